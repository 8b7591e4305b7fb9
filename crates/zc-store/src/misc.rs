//! Devices, retention and health checks.

use crate::Store;
use crate::activity::{Audit, append};
use crate::error::db_err;
use serde::Serialize;
use serde_json::json;
use sqlx::Row;
use zc_domain::{ZcError, ZcResult};

const DAY: i64 = 86_400_000;

/// Defaults: raw metrics 30 days (about 60 MB per station at 10 s probes), status history
/// 1 year, activity log 2 years — and never before it has been pushed to the central store.
pub(crate) const DEFAULT_RETENTION: [(&str, i64); 3] =
    [("request_metrics", 30 * DAY), ("status_history", 365 * DAY), ("activity_log", 730 * DAY)];

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DeviceInfo {
    pub fingerprint: String,
    pub os: String,
    pub os_version: String,
    pub hostname: String,
    pub arch: String,
    pub cpu: String,
    pub cpu_count: i64,
    pub memory_bytes: i64,
    pub app_version: String,
    pub locale: String,
    pub timezone: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct RetentionPolicy {
    pub data_kind: String,
    pub max_age_ms: i64,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct RetentionReport {
    pub request_metrics_deleted: u64,
    pub status_history_deleted: u64,
    pub activity_log_deleted: u64,
    /// Old activity entries kept because they have not reached the central store yet.
    pub activity_log_kept_unpushed: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct TableStats {
    pub table: String,
    pub rows: i64,
    pub bytes: i64,
}

impl Store {
    /// Inserts or refreshes this device's metadata; returns its id for activity entries.
    pub async fn upsert_device(&self, d: &DeviceInfo) -> ZcResult<i64> {
        let now = self.now();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO devices (fingerprint, os, os_version, hostname, arch, cpu, cpu_count, memory_bytes, app_version, locale, timezone, first_seen, last_seen, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (fingerprint) DO UPDATE SET os = excluded.os, os_version = excluded.os_version, hostname = excluded.hostname, \
             arch = excluded.arch, cpu = excluded.cpu, cpu_count = excluded.cpu_count, memory_bytes = excluded.memory_bytes, \
             app_version = excluded.app_version, locale = excluded.locale, timezone = excluded.timezone, last_seen = excluded.last_seen, \
             updated_at = excluded.updated_at RETURNING id",
        )
        .bind(&d.fingerprint)
        .bind(&d.os)
        .bind(&d.os_version)
        .bind(&d.hostname)
        .bind(&d.arch)
        .bind(&d.cpu)
        .bind(d.cpu_count)
        .bind(d.memory_bytes)
        .bind(&d.app_version)
        .bind(&d.locale)
        .bind(&d.timezone)
        .bind(now)
        .bind(now)
        .bind(now)
        .bind(now)
        .fetch_one(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(id)
    }

    /// Ensures the local user exists with a profile; returns its id. Central sign-in (a later
    /// issue) will add remote identities to the same table.
    pub async fn upsert_local_user(&self, username: &str, timezone: &str, language: &str) -> ZcResult<i64> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO users (username, created_at, updated_at) VALUES (?, ?, ?) \
             ON CONFLICT (username) DO UPDATE SET updated_at = users.updated_at RETURNING id",
        )
        .bind(username)
        .bind(now)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        sqlx::query(
            "INSERT INTO user_profiles (user_id, timezone, preferred_language, created_at, updated_at) VALUES (?, ?, ?, ?, ?) \
             ON CONFLICT (user_id) DO NOTHING",
        )
        .bind(id)
        .bind(timezone)
        .bind(language)
        .bind(now)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(id)
    }

    pub async fn device(&self, id: i64) -> ZcResult<DeviceInfo> {
        let r =
            sqlx::query("SELECT * FROM devices WHERE id = ?").bind(id).fetch_one(&self.pool).await.map_err(db_err)?;
        Ok(DeviceInfo {
            fingerprint: r.get("fingerprint"),
            os: r.get("os"),
            os_version: r.get("os_version"),
            hostname: r.get("hostname"),
            arch: r.get("arch"),
            cpu: r.get("cpu"),
            cpu_count: r.get("cpu_count"),
            memory_bytes: r.get("memory_bytes"),
            app_version: r.get("app_version"),
            locale: r.get("locale"),
            timezone: r.get("timezone"),
        })
    }

    pub async fn retention_policies(&self) -> ZcResult<Vec<RetentionPolicy>> {
        let rows = sqlx::query("SELECT data_kind, max_age_ms FROM retention_policies ORDER BY data_kind")
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(rows.iter().map(|r| RetentionPolicy { data_kind: r.get(0), max_age_ms: r.get(1) }).collect())
    }

    pub async fn set_retention(&self, data_kind: &str, max_age_ms: i64, audit: &Audit) -> ZcResult<()> {
        if max_age_ms < DAY {
            return Err(ZcError::invalid("a retention period must be at least 1d"));
        }
        let now = self.now();
        let mut tx = self.begin_write().await?;
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
        append(&mut tx, now, audit, "retention.set", data_kind, json!({"max_age_ms": max_age_ms})).await?;
        tx.commit().await.map_err(db_err)
    }

    /// Deletes what is older than each policy allows. Activity entries go only once pushed to
    /// the central store (`pushed_at`), and the chain anchor moves with them so `log verify`
    /// still checks everything that is left.
    pub async fn apply_retention(&self) -> ZcResult<RetentionReport> {
        let now = self.now();
        let policies = self.retention_policies().await?;
        let age = |k: &str| policies.iter().find(|p| p.data_kind == k).map(|p| p.max_age_ms);
        let mut report = RetentionReport::default();
        if let Some(a) = age("request_metrics") {
            // In slices, so the monitor's batches are never blocked for long.
            loop {
                let n = sqlx::query(
                    "DELETE FROM request_metrics WHERE id IN (SELECT id FROM request_metrics WHERE at < ? LIMIT 50000)",
                )
                .bind(now - a)
                .execute(&self.pool)
                .await
                .map_err(db_err)?
                .rows_affected();
                report.request_metrics_deleted += n;
                if n == 0 {
                    break;
                }
            }
        }
        if let Some(a) = age("status_history") {
            report.status_history_deleted = sqlx::query("DELETE FROM connection_status_history WHERE at < ?")
                .bind(now - a)
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

    /// Marks activity entries up to `seq` as pushed. Central sync (a later issue) calls this.
    pub async fn mark_activity_pushed(&self, up_to_seq: i64) -> ZcResult<u64> {
        let now = self.now();
        Ok(sqlx::query("UPDATE activity_log SET pushed_at = ?, updated_at = ? WHERE seq <= ? AND pushed_at IS NULL")
            .bind(now)
            .bind(now)
            .bind(up_to_seq)
            .execute(&self.pool)
            .await
            .map_err(db_err)?
            .rows_affected())
    }

    /// `PRAGMA integrity_check`: `ok` or the first problems found.
    pub async fn integrity_check(&self) -> ZcResult<String> {
        let rows: Vec<String> =
            sqlx::query_scalar("PRAGMA integrity_check").fetch_all(&self.pool).await.map_err(db_err)?;
        Ok(rows.join("; "))
    }

    /// Rows and bytes on disk (table plus its indexes) per table, from the dbstat table.
    pub async fn table_stats(&self) -> ZcResult<Vec<TableStats>> {
        // Every table the schema has, including ones added by later migrations.
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY rowid",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        let mut out = Vec::new();
        for t in tables {
            let rows: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM \"{t}\"")))
                .fetch_one(&self.pool)
                .await
                .map_err(db_err)?;
            let bytes: i64 = sqlx::query_scalar(
                "SELECT COALESCE(SUM(pgsize), 0) FROM dbstat WHERE name = ?1 OR name IN (SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?1)",
            )
            .bind(&t)
            .fetch_one(&self.pool)
            .await
            .unwrap_or(-1);
            out.push(TableStats { table: t, rows, bytes });
        }
        Ok(out)
    }

    /// Copies WAL content into the main file (used before measuring file sizes).
    pub async fn checkpoint(&self) -> ZcResult<()> {
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&self.pool).await.map_err(db_err)?;
        Ok(())
    }
}
