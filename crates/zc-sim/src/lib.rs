//! Simulated stations speaking the Station API (`docs/station-api.md`) on loopback, with
//! scriptable faults. Serves the demo, the tests and the benchmarks; the core never depends on it.
//!
//! The HTTP/1.1 server is written directly on tokio sockets so that faults the real world
//! produces (a connection dropped mid-answer, an endless body, a refused port) can be made
//! exactly, which a full HTTP framework would smooth over.

mod script;
mod server;
#[cfg(feature = "tls")]
pub mod tls;

pub use script::{Fault, FaultKind, Latency, SimScript, StationScript, Window};
pub use server::{Simulator, Station, points_json};
