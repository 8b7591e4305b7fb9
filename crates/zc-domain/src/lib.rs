//! ZeroClient domain: types and rules with no I/O.
//!
//! Everything here is pure so it can be tested without a database, a network or a clock
//! (time is passed in as milliseconds since the Unix epoch, read from a [`Clock`]).

pub mod activity;
pub mod alarm;
pub mod certificate;
pub mod chart;
pub mod clock;
pub mod connection;
pub mod error;
pub mod notification;
pub mod point;
pub mod probe;
pub mod run;
pub mod secret;
pub mod site_config;
pub mod status;
pub mod timefmt;
pub mod timezone;
pub mod update;
pub mod user;
pub mod widget;
pub mod widget_merge;
pub mod widget_schema;

pub use certificate::{CertificateInfo, Fingerprint, TlsTrust};
pub use clock::{Clock, ManualClock, SystemClock};
pub use connection::{ConnectionKind, ConnectionPatch, ConnectionSpec};
pub use error::{ErrorCode, ZcError, ZcResult};
pub use point::{Freshness, PointBatch, PointSample, Quality};
pub use probe::{FailureCategory, Outcome};
pub use run::{InterruptedRun, RunAccount, RunLoss};
pub use secret::{ApiKey, Sensitive};
pub use status::{Status, StatusTracker, Transition};
pub use user::{Capability, Role};
