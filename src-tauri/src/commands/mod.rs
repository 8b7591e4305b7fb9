//! IPC commands, one file per command group. Each only translates arguments to a zc-app call
//! and its result back; errors reach the window as `{code, message}`.

pub mod activity;
pub mod alarms;
pub mod connections;
pub mod console;
pub mod diagnostics;
pub mod export;
pub mod session;
pub mod settings;
pub mod sync;
pub mod updates;
pub mod widgets;

/// What a command returns: the value, or zc-app's error as `{code, message}`.
pub type Answer<T> = Result<T, zc_app::zc_domain::ZcError>;
