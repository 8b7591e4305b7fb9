//! Ids that are never handed out twice. SQLite gives a new row the largest id plus one, so
//! deleting the newest row frees its id; anything that names rows by id across time (a monitor
//! holding a removed connection's data, notifications following alarm events, an acknowledgement
//! by alarm id) would then reach a different row. Each series keeps its high-water mark in
//! `meta` (migrations 0004, 0011, 0012), and the next id is past both it and every id present.

use crate::error::db_err;
use sqlx::SqliteConnection;
use zc_domain::ZcResult;

#[derive(Debug, Clone, Copy)]
pub(crate) enum IdSeries {
    Connections,
    Alarms,
    AlarmEvents,
}

impl IdSeries {
    /// One constant statement per series (the table cannot be a parameter).
    fn sql(self) -> &'static str {
        match self {
            Self::Connections => {
                "UPDATE meta SET value = MAX(CAST(value AS INTEGER), COALESCE((SELECT MAX(id) FROM backend_connections), 0)) + 1, \
                 updated_at = ? WHERE key = 'connection_id_high' RETURNING CAST(value AS INTEGER)"
            }
            Self::Alarms => {
                "UPDATE meta SET value = MAX(CAST(value AS INTEGER), COALESCE((SELECT MAX(id) FROM alarms), 0)) + 1, \
                 updated_at = ? WHERE key = 'alarm_id_high' RETURNING CAST(value AS INTEGER)"
            }
            Self::AlarmEvents => {
                "UPDATE meta SET value = MAX(CAST(value AS INTEGER), COALESCE((SELECT MAX(id) FROM alarm_events), 0)) + 1, \
                 updated_at = ? WHERE key = 'alarm_event_id_high' RETURNING CAST(value AS INTEGER)"
            }
        }
    }
}

/// The next id of `series`, in the caller's (write) transaction.
pub(crate) async fn next_id(conn: &mut SqliteConnection, series: IdSeries, now: i64) -> ZcResult<i64> {
    sqlx::query_scalar(series.sql()).bind(now).fetch_one(conn).await.map_err(db_err)
}

/// A new global id for a row that will reach the central store: a UUIDv7 timed by the store's
/// clock (so an injected clock gives ids of its own time), the rest random.
pub(crate) fn global_id(now_ms: i64) -> String {
    let ms = now_ms.max(0) as u64;
    let ts = uuid::Timestamp::from_unix(uuid::NoContext, ms / 1000, ((ms % 1000) * 1_000_000) as u32);
    uuid::Uuid::new_v7(ts).to_string()
}
