//! The console's events, pushed to the window as they happen (never polled by the UI).

use crate::shell::Shell;
use tauri::{Emitter, Manager};

/// The one event name the window listens to; its payload is a batch of `ConsoleEvent`s.
pub const EVENTS: &str = "zc://events";

pub fn forward(handle: tauri::AppHandle) {
    let mut rx = handle.state::<Shell>().console.subscribe();
    tauri::async_runtime::spawn(async move {
        loop {
            match rx.recv().await {
                // Only to a window someone is signed in to: the sign-in screen shows nothing of
                // the stations, and receives nothing of them either (the console loads afresh
                // at sign-in).
                Ok(_) if handle.state::<Shell>().app().signed_in().is_none() => {}
                Ok(batch) => {
                    let _ = handle.emit(EVENTS, &*batch);
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                    let _ = handle.emit(EVENTS, [zc_app::ConsoleEvent::Resync]);
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            }
        }
    });
}
