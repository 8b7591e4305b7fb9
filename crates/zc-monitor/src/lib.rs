//! The connection monitor: probes backends, confirms status changes, records raw metrics.
//!
//! - One shared HTTP client; each probe has its own total deadline and reads the body with a cap.
//! - Every failure is classified ([`zc_domain::FailureCategory`]).
//! - Status changes go through [`zc_domain::StatusTracker`], so one lost packet is not an outage.
//! - Raw metrics are buffered and written in batches; transitions are written at once.
//! - Time comes from the injected clock; the scheduler alone uses tokio's timers.

mod network;
mod probe;
mod runner;

pub use network::{ManualNetwork, NetworkObserver, SystemNetwork};
pub use probe::{ProbeResult, Prober, ProberConfig};
pub use runner::{Monitor, MonitorConfig, MonitorEvent, RunStats};
