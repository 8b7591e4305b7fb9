//! Serializable results of the application API.

use serde::Serialize;
use zc_domain::status::StatusSpan;
use zc_store::{ConnectionRow, HistoryRow, RunRecord, TableStats};

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct HistoryReport {
    pub connection: String,
    pub since: i64,
    pub until: i64,
    /// Time offline, unauthorized or untrusted, outside maintenance windows. Unknown time
    /// (observer offline included) is not downtime.
    pub downtime_ms: i64,
    /// Time in maintenance windows within the report's window.
    pub maintenance_ms: i64,
    /// The maintenance windows that overlap the report's window.
    pub maintenance: Vec<zc_store::MaintenanceWindow>,
    pub unknown_ms: i64,
    pub transitions: Vec<HistoryRow>,
    pub spans: Vec<StatusSpan>,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ChartReport {
    pub connection: String,
    pub file: String,
    pub samples: i64,
    pub columns_drawn: i64,
}

/// The monitor of a data directory: `running`, `stopped` (cleanly), `interrupted` (its end was
/// never recorded: killed, crashed, or the stop could not be written) or `never_run`; and its
/// newest run's account.
#[derive(Debug, Clone, Serialize)]
pub struct MonitorStatus {
    pub state: String,
    pub run: Option<RunRecord>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StatusReport {
    pub connections: Vec<ConnectionRow>,
    pub monitor: MonitorStatus,
    /// What the tray icon shows.
    pub summary: crate::ConsoleSummary,
}

#[derive(Debug, Clone, Serialize)]
pub struct DoctorReport {
    pub monitor: MonitorStatus,
    pub data_dir: String,
    pub keyring_ok: bool,
    pub keyring: String,
    pub integrity: String,
    pub connections: usize,
    pub open_ms: f64,
    pub cache_load_ms: f64,
    pub db_file_bytes: u64,
    pub free_disk_bytes: Option<u64>,
    pub tables: Vec<TableStats>,
}
