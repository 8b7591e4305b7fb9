//! Retention policies and applying them; activity entries go only once pushed centrally.

use crate::Store;
use crate::activity::{Audit, append};
use crate::error::db_err;
use crate::sync_series::Series;
use serde::Serialize;
use serde_json::json;
use sqlx::Row;
use zc_domain::{ZcError, ZcResult};

const DAY: i64 = 86_400_000;

/// Defaults: raw metrics 30 days (about 60 MB per station at 10 s probes), status history
/// 1 year, activity log 2 years — and never before it has been pushed to the central store.
pub(crate) const DEFAULT_RETENTION: [(&str, i64); 3] =
    [("request_metrics", 30 * DAY), ("status_history", 365 * DAY), ("activity_log", 730 * DAY)];

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct RetentionPolicy {
    pub data_kind: String,
    pub max_age_ms: i64,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct RetentionReport {
    pub request_metrics_deleted: u64,
    /// Point history follows the request_metrics policy.
    pub point_history_deleted: u64,
    pub status_history_deleted: u64,
    pub activity_log_deleted: u64,
    /// Old activity entries kept because they have not reached the central store yet.
    pub activity_log_kept_unpushed: i64,
}

/// Changes a retention policy inside the caller's transaction, audited.
pub(crate) async fn set_retention_in(
    tx: &mut sqlx::SqliteConnection,
    data_kind: &str,
    max_age_ms: i64,
    audit: &Audit,
    now: i64,
) -> ZcResult<()> {
    if max_age_ms < DAY {
        return Err(ZcError::invalid("a retention period must be at least 1d"));
    }
    let n = sqlx::query("UPDATE retention_policies SET max_age_ms = ?, updated_at = ? WHERE data_kind = ?")
        .bind(max_age_ms)
        .bind(now)
        .bind(data_kind)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?
        .rows_affected();
    if n == 0 {
        return Err(ZcError::invalid(format!(
            "unknown data kind '{data_kind}'; use request_metrics, status_history or activity_log"
        )));
    }
    append(tx, now, audit, "retention.set", data_kind, json!({"max_age_ms": max_age_ms})).await?;
    Ok(())
}

impl Store {
    pub async fn retention_policies(&self) -> ZcResult<Vec<RetentionPolicy>> {
        let rows = sqlx::query("SELECT data_kind, max_age_ms FROM retention_policies ORDER BY data_kind")
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(rows.iter().map(|r| RetentionPolicy { data_kind: r.get(0), max_age_ms: r.get(1) }).collect())
    }

    pub async fn set_retention(&self, data_kind: &str, max_age_ms: i64, audit: &Audit) -> ZcResult<()> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        set_retention_in(&mut tx, data_kind, max_age_ms, audit, now).await?;
        tx.commit().await.map_err(db_err)
    }

    /// Deletes what is older than each policy allows. Activity entries go only once pushed to
    /// the central store (`pushed_at`), and the chain anchor moves with them so `log verify`
    /// still checks everything that is left.
    pub async fn apply_retention(&self) -> ZcResult<RetentionReport> {
        self.apply_retention_until(&|| false).await
    }

    /// As [`Store::apply_retention`], but returns early between slices once `stop()` says so, so
    /// a stopping monitor waits for at most one slice (every slice is its own transaction).
    pub async fn apply_retention_until(&self, stop: &(dyn Fn() -> bool + Sync)) -> ZcResult<RetentionReport> {
        let now = self.now();
        let policies = self.retention_policies().await?;
        let age = |k: &str| policies.iter().find(|p| p.data_kind == k).map(|p| p.max_age_ms);
        let mut report = RetentionReport::default();
        // With a central store linked, what it does not have yet stays, however old: retention
        // goes no further than each series' push cursor (docs/central.md).
        let floor = |series| self.series_push_floor(series);
        let cutoff = |age: i64, floor: Option<i64>| floor.map_or(now - age, |f| f.min(now - age));
        if let Some(a) = age("request_metrics") {
            let metrics_cutoff = cutoff(a, floor(Series::RequestMetrics).await?);
            let points_cutoff = cutoff(a, floor(Series::PointHistory).await?);
            // In slices, so the monitor's batches are never blocked for long.
            loop {
                let n = sqlx::query(
                    "DELETE FROM request_metrics WHERE id IN (SELECT id FROM request_metrics WHERE at < ? LIMIT 50000)",
                )
                .bind(metrics_cutoff)
                .execute(&self.pool)
                .await
                .map_err(db_err)?
                .rows_affected();
                // Point history is raw time series too, and follows the same policy.
                let p = sqlx::query(
                    "DELETE FROM point_history WHERE (point_id, at) IN (SELECT point_id, at FROM point_history WHERE at < ? LIMIT 50000)",
                )
                .bind(points_cutoff)
                .execute(&self.pool)
                .await
                .map_err(db_err)?
                .rows_affected();
                report.request_metrics_deleted += n;
                report.point_history_deleted += p;
                if n == 0 && p == 0 {
                    break;
                }
                if stop() {
                    return Ok(report);
                }
            }
        }
        if let Some(a) = age("status_history") {
            let status_cutoff = cutoff(a, floor(Series::StatusHistory).await?);
            report.status_history_deleted = sqlx::query("DELETE FROM connection_status_history WHERE at < ?")
                .bind(status_cutoff)
                .execute(&self.pool)
                .await
                .map_err(db_err)?
                .rows_affected();
        }
        if let Some(a) = age("activity_log") {
            let cutoff = now - a;
            let mut tx = self.begin_write().await?;
            // Only a contiguous prefix of pushed entries can go, or the chain would have holes.
            let last: Option<(i64, String)> = sqlx::query(
                "SELECT seq, hash FROM activity_log WHERE at < ?1 AND pushed_at IS NOT NULL \
                 AND seq < COALESCE((SELECT MIN(seq) FROM activity_log WHERE pushed_at IS NULL OR at >= ?1), 9223372036854775807) \
                 ORDER BY seq DESC LIMIT 1",
            )
            .bind(cutoff)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?
            .map(|r| (r.get(0), r.get(1)));
            if let Some((seq, hash)) = last {
                report.activity_log_deleted = sqlx::query("DELETE FROM activity_log WHERE seq <= ?")
                    .bind(seq)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?
                    .rows_affected();
                sqlx::query(
                    "UPDATE activity_log_chain SET anchor_seq = ?, anchor_hash = ?, updated_at = ? WHERE id = 1",
                )
                .bind(seq)
                .bind(hash)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
            }
            report.activity_log_kept_unpushed =
                sqlx::query_scalar("SELECT COUNT(*) FROM activity_log WHERE at < ? AND pushed_at IS NULL")
                    .bind(cutoff)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(db_err)?;
            tx.commit().await.map_err(db_err)?;
        }
        Ok(report)
    }
}
