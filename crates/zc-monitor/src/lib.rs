//! The connection monitor: probes backends, confirms status changes, records raw metrics.
//!
//! - One shared HTTP client (a connection with its own TLS trust has its own, see `tls.rs`);
//!   each probe has its own total deadline and reads the body with a cap.
//! - Every failure is classified ([`zc_domain::FailureCategory`]).
//! - Status changes go through [`zc_domain::StatusTracker`], so one lost packet is not an outage.
//! - Probes queue their metrics and status changes in memory; one writer moves them to the
//!   database in batches (a status change wakes it at once), each batch with the run's ledger.
//! - Nothing that holds data not yet durable is ever aborted: stops and reloads are signals, and
//!   queued data leaves memory only once its commit succeeded (see `writer.rs`).
//! - Time comes from the injected clock; the scheduler alone uses tokio's timers.

mod monitor;
mod network;
mod probe;
mod queue;
mod run;
mod schedule;
mod tls;
mod writer;

pub use monitor::{Monitor, MonitorConfig, MonitorEvent, RunStats};
pub use network::{ManualNetwork, NetworkObserver, SystemNetwork};
pub use probe::{Inspection, ProbeResult, Prober, ProberConfig};
pub use run::RunReport;
pub use tls::{PinMismatch, certificate_info, fingerprint, read_ca_pem};
pub use writer::FlushReport;
