//! The time series' way to the centre: status history, raw request metrics and point history.
//! They are append-only and the largest tables, so instead of a mark on each row every series
//! has a cursor `(at, key)` up to which the centre has every row (migration 0014 says how a late
//! row rewinds it). A push claims the rows after the cursor in one write transaction and moves
//! the cursor once the centre has them; the centre ignores rows it has (their global ids are
//! derived from the row), so a row pushed twice is stored once and no row is skipped.

use crate::Store;
use crate::error::db_err;
use crate::sync::StreamStatus;
use serde::Serialize;
use sqlx::{Row, SqliteConnection};
use zc_domain::ZcResult;

/// A time series pushed to the centre.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Series {
    StatusHistory,
    RequestMetrics,
    PointHistory,
}

impl Series {
    pub const ALL: [Series; 3] = [Series::StatusHistory, Series::RequestMetrics, Series::PointHistory];

    /// The stream's name in `sync_series`, `sync_quarantine` and `zc sync status`.
    pub fn stream(self) -> &'static str {
        match self {
            Series::StatusHistory => "status_history",
            Series::RequestMetrics => "request_metrics",
            Series::PointHistory => "point_history",
        }
    }

    pub fn parse(stream: &str) -> Option<Series> {
        Series::ALL.into_iter().find(|s| s.stream() == stream)
    }

    /// The rows after a cursor, oldest first, with their connection's global id. Constant text
    /// per series; `?1, ?2` is the cursor, `?3` the limit. Rows of a connection the centre has
    /// no version of yet are left out (its policies would refuse them): the cursor passes them,
    /// and the definition's arrival rewinds it to them (`record_connection_pushed`); meanwhile
    /// they count as pending and retention keeps them (`unsettled_sql`). Each reads the table's `at` index
    /// (which holds the row's key too).
    fn claim_sql(self) -> &'static str {
        match self {
            Series::StatusHistory => {
                "SELECT h.id, h.at, c.global_id, h.from_status, h.to_status, h.error_category, h.error_detail, h.observer_offline \
                 FROM connection_status_history h JOIN backend_connections c ON c.id = h.connection_id \
                 WHERE h.at >= ?1 AND (h.at > ?1 OR h.id > ?2) AND c.central_version IS NOT NULL ORDER BY h.at, h.id LIMIT ?3"
            }
            Series::RequestMetrics => {
                "SELECT m.id, m.at, c.global_id, m.latency_us, m.http_status, m.request_bytes, m.response_bytes, m.outcome \
                 FROM request_metrics m JOIN backend_connections c ON c.id = m.connection_id \
                 WHERE m.at >= ?1 AND (m.at > ?1 OR m.id > ?2) AND c.central_version IS NOT NULL ORDER BY m.at, m.id LIMIT ?3"
            }
            Series::PointHistory => {
                "SELECT h.point_id, h.at, c.global_id, p.point_key, h.value, h.quality, h.source_at \
                 FROM point_history h JOIN data_points p ON p.id = h.point_id \
                 JOIN backend_connections c ON c.id = p.connection_id \
                 WHERE h.at >= ?1 AND (h.at > ?1 OR h.point_id > ?2) AND c.central_version IS NOT NULL \
                 ORDER BY h.at, h.point_id LIMIT ?3"
            }
        }
    }

    /// How many rows are after a cursor, and the oldest one's time.
    fn pending_sql(self) -> &'static str {
        match self {
            Series::StatusHistory => {
                "SELECT COUNT(*), MIN(at) FROM connection_status_history WHERE at >= ?1 AND (at > ?1 OR id > ?2)"
            }
            Series::RequestMetrics => {
                "SELECT COUNT(*), MIN(at) FROM request_metrics WHERE at >= ?1 AND (at > ?1 OR id > ?2)"
            }
            Series::PointHistory => {
                "SELECT COUNT(*), MIN(at) FROM point_history WHERE at >= ?1 AND (at > ?1 OR point_id > ?2)"
            }
        }
    }

    /// Whether any row is after a cursor (one step down the `at` index), leaving out rows that
    /// wait for their connection's definition (they wait for a person, not for the pusher).
    fn any_pending_sql(self) -> &'static str {
        match self {
            Series::StatusHistory => {
                "SELECT EXISTS (SELECT 1 FROM connection_status_history WHERE at >= ?1 AND (at > ?1 OR id > ?2) \
                 AND connection_id NOT IN (SELECT id FROM backend_connections WHERE central_version IS NULL))"
            }
            Series::RequestMetrics => {
                "SELECT EXISTS (SELECT 1 FROM request_metrics WHERE at >= ?1 AND (at > ?1 OR id > ?2) \
                 AND connection_id NOT IN (SELECT id FROM backend_connections WHERE central_version IS NULL))"
            }
            Series::PointHistory => {
                "SELECT EXISTS (SELECT 1 FROM point_history WHERE at >= ?1 AND (at > ?1 OR point_id > ?2) \
                 AND point_id NOT IN (SELECT p.id FROM data_points p JOIN backend_connections c ON c.id = p.connection_id \
                                      WHERE c.central_version IS NULL))"
            }
        }
    }

    /// How many of one connection's rows (`?3`) are after a cursor, and the oldest one's time.
    fn connection_pending_sql(self) -> &'static str {
        match self {
            Series::StatusHistory => {
                "SELECT COUNT(*), MIN(at) FROM connection_status_history WHERE connection_id = ?3 AND at >= ?1 AND (at > ?1 OR id > ?2)"
            }
            Series::RequestMetrics => {
                "SELECT COUNT(*), MIN(at) FROM request_metrics WHERE connection_id = ?3 AND at >= ?1 AND (at > ?1 OR id > ?2)"
            }
            Series::PointHistory => {
                "SELECT COUNT(*), MIN(h.at) FROM point_history h JOIN data_points p ON p.id = h.point_id \
                 WHERE p.connection_id = ?3 AND h.at >= ?1 AND (h.at > ?1 OR h.point_id > ?2)"
            }
        }
    }

    /// Rows at or before a cursor whose connection the centre has no version of: passed over by
    /// the claims, still waiting. How many, and the oldest one's time.
    fn unsettled_sql(self) -> &'static str {
        match self {
            Series::StatusHistory => {
                "SELECT COUNT(*), MIN(at) FROM connection_status_history \
                 WHERE connection_id IN (SELECT id FROM backend_connections WHERE central_version IS NULL) \
                 AND (at < ?1 OR (at = ?1 AND id <= ?2))"
            }
            Series::RequestMetrics => {
                "SELECT COUNT(*), MIN(at) FROM request_metrics \
                 WHERE connection_id IN (SELECT id FROM backend_connections WHERE central_version IS NULL) \
                 AND (at < ?1 OR (at = ?1 AND id <= ?2))"
            }
            Series::PointHistory => {
                "SELECT COUNT(*), MIN(at) FROM point_history \
                 WHERE point_id IN (SELECT p.id FROM data_points p JOIN backend_connections c ON c.id = p.connection_id \
                                    WHERE c.central_version IS NULL) \
                 AND (at < ?1 OR (at = ?1 AND point_id <= ?2))"
            }
        }
    }
}

/// One connection's history that the centre does not have yet, by series: what removing the
/// connection would take with it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct UnpushedHistory {
    #[ts(type = "number")]
    pub status_history: i64,
    #[ts(type = "number")]
    pub request_metrics: i64,
    #[ts(type = "number")]
    pub point_history: i64,
}

impl UnpushedHistory {
    pub fn total(&self) -> i64 {
        self.status_history + self.request_metrics + self.point_history
    }

    /// "3 status changes, 1200 request metrics and 40 point samples", for messages.
    pub fn describe(&self) -> String {
        format!(
            "{} status changes, {} request metrics and {} point samples",
            self.status_history, self.request_metrics, self.point_history
        )
    }
}

/// The history of connection `id` after each series' cursor, when a centre is linked (without
/// one nothing is waiting for it: all zero).
pub(crate) async fn unpushed_history_in(conn: &mut SqliteConnection, id: i64) -> ZcResult<UnpushedHistory> {
    let linked: Option<i64> = sqlx::query_scalar("SELECT id FROM central_link WHERE id = 1")
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_err)?;
    let mut out = UnpushedHistory::default();
    if linked.is_none() {
        return Ok(out);
    }
    // All of a connection the centre has no version of waits, whatever the cursors say.
    let unsettled: bool = sqlx::query_scalar("SELECT central_version IS NULL FROM backend_connections WHERE id = ?")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_err)?
        .unwrap_or(false);
    for series in Series::ALL {
        let cursor = if unsettled { START } else { series_cursor(conn, series).await?.unwrap_or(START) };
        let (n, _): (i64, Option<i64>) = sqlx::query_as(series.connection_pending_sql())
            .bind(cursor.0)
            .bind(cursor.1)
            .bind(id)
            .fetch_one(&mut *conn)
            .await
            .map_err(db_err)?;
        match series {
            Series::StatusHistory => out.status_history = n,
            Series::RequestMetrics => out.request_metrics = n,
            Series::PointHistory => out.point_history = n,
        }
    }
    Ok(out)
}

/// Whether `series` has a row to push now: one after the cursor, and nothing held.
pub(crate) async fn series_due(conn: &mut SqliteConnection, series: Series) -> ZcResult<bool> {
    if crate::sync::quarantined_count(conn, series.stream()).await? > 0 {
        return Ok(false);
    }
    let cursor = series_cursor(conn, series).await?.unwrap_or(START);
    sqlx::query_scalar(series.any_pending_sql()).bind(cursor.0).bind(cursor.1).fetch_one(conn).await.map_err(db_err)
}

/// Rows at or before `cursor` that wait for their connection's definition: how many, the oldest.
async fn unsettled_before(
    conn: &mut SqliteConnection,
    series: Series,
    cursor: (i64, i64),
) -> ZcResult<(i64, Option<i64>)> {
    sqlx::query_as(series.unsettled_sql()).bind(cursor.0).bind(cursor.1).fetch_one(conn).await.map_err(db_err)
}

/// The centre has a version of connection `id` for the first time: each series' cursor goes
/// back to the connection's oldest row, passed over while it waited (rows already at the
/// centre in between are sent again and stored once).
pub(crate) async fn rewind_to_connection(conn: &mut SqliteConnection, id: i64) -> ZcResult<()> {
    for series in Series::ALL {
        let (_, oldest): (i64, Option<i64>) = sqlx::query_as(series.connection_pending_sql())
            .bind(START.0)
            .bind(START.1)
            .bind(id)
            .fetch_one(&mut *conn)
            .await
            .map_err(db_err)?;
        if let Some(at) = oldest {
            note_written(conn, series, at).await?;
        }
    }
    Ok(())
}

/// The cursor of `series` as it stands (a pending rewind applied), or None when it was never
/// pushed.
async fn series_cursor(conn: &mut SqliteConnection, series: Series) -> ZcResult<Option<(i64, i64)>> {
    let row = sqlx::query("SELECT cursor_at, cursor_key, rewind_at FROM sync_series WHERE stream = ?")
        .bind(series.stream())
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_err)?;
    Ok(row.map(|r| rewound((r.get(0), r.get(1)), r.get(2))))
}

/// What a row of a series says, beyond its time and connection.
#[derive(Debug, Clone, PartialEq)]
pub enum SeriesValues {
    Status {
        from: String,
        to: String,
        error_category: Option<String>,
        error_detail: Option<String>,
        observer_offline: bool,
    },
    Metric {
        latency_us: i64,
        http_status: Option<i64>,
        request_bytes: i64,
        response_bytes: i64,
        outcome: String,
    },
    Point {
        point: String,
        value: Option<f64>,
        quality: String,
        source_at: Option<i64>,
    },
}

/// One row to push: its place in the series (`at`, then its local key: the row id, or for
/// point history the point's id) and its connection's global id.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesRow {
    pub at: i64,
    pub key: i64,
    pub connection: String,
    pub values: SeriesValues,
}

/// Rows claimed for one push. Only the newest claim of a series may move its cursor.
#[derive(Debug, Clone)]
pub struct SeriesBatch {
    pub series: Series,
    pub claim: i64,
    pub rows: Vec<SeriesRow>,
}

/// The lowest cursor: before every row.
const START: (i64, i64) = (i64::MIN, i64::MIN);

/// The cursor a rewind leaves: every row before `rewind_at` (the late row's time) is at the centre.
fn rewound(cursor: (i64, i64), rewind_at: Option<i64>) -> (i64, i64) {
    match rewind_at {
        Some(at) if at <= cursor.0 => (at.saturating_sub(1), i64::MAX),
        _ => cursor,
    }
}

/// Called by every write of a series inside its transaction, with the earliest `at` written: a
/// row at or before what the centre has (or what a push in flight has claimed) rewinds the
/// cursor. Writes nothing in the usual case (rows newer than the cursor), and nothing when the
/// series was never pushed (no cursor: everything is pending).
pub(crate) async fn note_written(conn: &mut SqliteConnection, series: Series, min_at: i64) -> ZcResult<()> {
    sqlx::query(
        "UPDATE sync_series SET rewind_at = MIN(COALESCE(rewind_at, ?1), ?1) \
         WHERE stream = ?2 AND ?1 <= MAX(cursor_at, COALESCE(claimed_to_at, cursor_at))",
    )
    .bind(min_at)
    .bind(series.stream())
    .execute(conn)
    .await
    .map_err(db_err)?;
    Ok(())
}

fn values(series: Series, r: &sqlx::sqlite::SqliteRow) -> SeriesValues {
    match series {
        Series::StatusHistory => SeriesValues::Status {
            from: r.get(3),
            to: r.get(4),
            error_category: r.get(5),
            error_detail: r.get(6),
            observer_offline: r.get::<i64, _>(7) != 0,
        },
        Series::RequestMetrics => SeriesValues::Metric {
            latency_us: r.get(3),
            http_status: r.get(4),
            request_bytes: r.get(5),
            response_bytes: r.get(6),
            outcome: r.get(7),
        },
        Series::PointHistory => {
            SeriesValues::Point { point: r.get(3), value: r.get(4), quality: r.get(5), source_at: r.get(6) }
        }
    }
}

impl Store {
    /// Claims the oldest `limit` rows after the cursor. Read and claimed in one write
    /// transaction, so a row written meanwhile is either read here or sees the claim (and
    /// rewinds the cursor if it lies before its end).
    pub async fn claim_series(&self, series: Series, limit: i64) -> ZcResult<SeriesBatch> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let cursor = series_cursor(&mut tx, series).await?.unwrap_or(START);
        let rows = sqlx::query(series.claim_sql())
            .bind(cursor.0)
            .bind(cursor.1)
            .bind(limit)
            .fetch_all(&mut *tx)
            .await
            .map_err(db_err)?;
        let rows: Vec<SeriesRow> = rows
            .iter()
            .map(|r| SeriesRow { key: r.get(0), at: r.get(1), connection: r.get(2), values: values(series, r) })
            .collect();
        let claimed_to = rows.last().map_or(cursor.0, |r| r.at);
        // The rewind is folded into the cursor now: rows after it are in this claim or after it.
        let claim: i64 = sqlx::query_scalar(
            "INSERT INTO sync_series (stream, cursor_at, cursor_key, claimed_to_at, claim, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, 1, ?5, ?5) ON CONFLICT (stream) DO UPDATE SET cursor_at = ?2, cursor_key = ?3, \
             claimed_to_at = ?4, rewind_at = NULL, claim = claim + 1, updated_at = ?5 RETURNING claim",
        )
        .bind(series.stream())
        .bind(cursor.0)
        .bind(cursor.1)
        .bind(claimed_to)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(SeriesBatch { series, claim, rows })
    }

    /// The centre has every row of `batch`: moves the cursor to its last row (or back to a rewind
    /// that came meanwhile) and marks the series healthy. Answers false when a newer claim was
    /// made meanwhile: that claim's push moves the cursor instead.
    pub async fn record_series_pushed(&self, batch: &SeriesBatch) -> ZcResult<bool> {
        let Some(last) = batch.rows.last() else { return Ok(true) };
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let row = sqlx::query("SELECT claim, rewind_at FROM sync_series WHERE stream = ?")
            .bind(batch.series.stream())
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?;
        let Some(row) = row.filter(|r| r.get::<i64, _>(0) == batch.claim) else { return Ok(false) };
        let cursor = rewound((last.at, last.key), row.get(1));
        sqlx::query(
            "UPDATE sync_series SET cursor_at = ?1, cursor_key = ?2, claimed_to_at = NULL, rewind_at = NULL, \
             last_success_at = ?3, last_attempt_at = ?3, last_error = NULL, failures = 0, next_attempt_at = NULL, \
             pushed_total = pushed_total + ?4, updated_at = ?3 WHERE stream = ?5",
        )
        .bind(cursor.0)
        .bind(cursor.1)
        .bind(now)
        .bind(batch.rows.len() as i64)
        .bind(batch.series.stream())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(true)
    }

    /// The series' queue and health.
    pub async fn series_status(&self, series: Series) -> ZcResult<StreamStatus> {
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        let cursor = series_cursor(&mut conn, series).await?.unwrap_or(START);
        let (after, oldest): (i64, Option<i64>) = sqlx::query_as(series.pending_sql())
            .bind(cursor.0)
            .bind(cursor.1)
            .fetch_one(&mut *conn)
            .await
            .map_err(db_err)?;
        let (passed, passed_oldest) = unsettled_before(&mut conn, series, cursor).await?;
        let oldest = [oldest, passed_oldest].into_iter().flatten().min();
        crate::sync::stream_status(&mut conn, series.stream(), after + passed, oldest).await
    }

    /// Where retention must stop for `series` while a centre is linked: rows at or after this
    /// time may not be at the centre yet. None: no centre (retention goes by age alone).
    pub(crate) async fn series_push_floor(&self, series: Series) -> ZcResult<Option<i64>> {
        let linked: Option<i64> = sqlx::query_scalar("SELECT id FROM central_link WHERE id = 1")
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        if linked.is_none() {
            return Ok(None);
        }
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        // A cursor at (at, key) may leave rows at `at` with a higher key: only older rows may go;
        // nor rows passed over while their connection's definition waits.
        let cursor = series_cursor(&mut conn, series).await?.unwrap_or(START);
        let (_, passed_oldest) = unsettled_before(&mut conn, series, cursor).await?;
        Ok(Some(passed_oldest.map_or(cursor.0, |at| at.min(cursor.0))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rewind_moves_the_cursor_only_back() {
        assert_eq!(rewound((100, 7), None), (100, 7));
        assert_eq!(rewound((100, 7), Some(100)), (99, i64::MAX));
        assert_eq!(rewound((100, 7), Some(40)), (39, i64::MAX));
        // A rewind past the cursor (a late row the claim did not cover) leaves it.
        assert_eq!(rewound((100, 7), Some(101)), (100, 7));
        assert_eq!(rewound(START, Some(i64::MIN)), (i64::MIN, i64::MAX));
    }
}
