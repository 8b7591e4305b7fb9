//! Maintenance windows: planned work on a connection. While one is open the connection's alarms
//! are suppressed; its time shows as maintenance in history and is not downtime. Opening and
//! ending one are audited, and the alarms are decided again in the same transaction.

use crate::Store;
use crate::activity::{Audit, append};
use crate::alarms::evaluate_in;
use crate::error::db_err;
use serde::Serialize;
use serde_json::json;
use sqlx::Row;
use zc_domain::{ErrorCode, ZcError, ZcResult};

/// Longest window: planned work longer than a month is a decommissioning, not maintenance.
pub const MAX_WINDOW_MS: i64 = 31 * 86_400_000;

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct MaintenanceWindow {
    pub id: i64,
    pub connection_id: i64,
    pub connection: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub reason: String,
    pub created_by: String,
    /// Who ended it before its planned end, if anyone.
    pub ended_early_by: Option<String>,
    pub created_at: i64,
}

fn row_to_window(r: &sqlx::sqlite::SqliteRow) -> MaintenanceWindow {
    MaintenanceWindow {
        id: r.get("id"),
        connection_id: r.get("connection_id"),
        connection: r.get("connection_name"),
        starts_at: r.get("starts_at"),
        ends_at: r.get("ends_at"),
        reason: r.get("reason"),
        created_by: r.get("created_by"),
        ended_early_by: r.get("ended_early_by"),
        created_at: r.get("created_at"),
    }
}

const SELECT: &str = "SELECT m.*, c.name AS connection_name FROM maintenance_windows m JOIN backend_connections c ON c.id = m.connection_id";

/// Checks and inserts a window inside the caller's transaction, audited; returns its id. The
/// caller decides the alarms again once its changes are made.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn insert_window(
    tx: &mut sqlx::SqliteConnection,
    connection_id: i64,
    connection: &str,
    starts_at: i64,
    ends_at: i64,
    reason: &str,
    audit: &Audit,
    now: i64,
) -> ZcResult<i64> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(ZcError::invalid("a maintenance window needs a reason; say what work is planned (--reason)"));
    }
    if reason.chars().count() > zc_domain::alarm::MAX_REASON_CHARS {
        return Err(ZcError::invalid("the reason is too long; keep it under 500 characters"));
    }
    if ends_at <= starts_at {
        return Err(ZcError::invalid("a maintenance window must end after it starts"));
    }
    if ends_at <= now {
        return Err(ZcError::invalid("this maintenance window would already be over; give an end in the future"));
    }
    if ends_at - starts_at > MAX_WINDOW_MS {
        return Err(ZcError::invalid("a maintenance window can last at most 31 days"));
    }
    let id: i64 = sqlx::query_scalar(
            "INSERT INTO maintenance_windows (connection_id, starts_at, ends_at, reason, created_by, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(connection_id)
        .bind(starts_at)
        .bind(ends_at)
        .bind(reason)
        .bind(&audit.actor)
        .bind(now)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
    let gid = crate::sync_connections::connection_global_id(&mut *tx, Some(connection_id)).await?;
    let meta =
        json!({"window": id, "starts_at": starts_at, "ends_at": ends_at, "reason": reason, "connection_gid": gid});
    append(tx, now, audit, "maintenance.open", connection, meta).await?;
    Ok(id)
}

impl Store {
    /// Plans a window on a connection: `[starts_at, ends_at)`, with a reason.
    pub async fn open_maintenance_window(
        &self,
        connection_id: i64,
        connection: &str,
        starts_at: i64,
        ends_at: i64,
        reason: &str,
        audit: &Audit,
    ) -> ZcResult<MaintenanceWindow> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let id = insert_window(&mut tx, connection_id, connection, starts_at, ends_at, reason, audit, now).await?;
        evaluate_in(&mut tx, now).await?;
        tx.commit().await.map_err(db_err)?;
        self.maintenance_window(id).await
    }

    /// Ends a window now (or cancels one that has not started), audited.
    pub async fn end_maintenance_window(&self, id: i64, audit: &Audit) -> ZcResult<MaintenanceWindow> {
        let now = self.now();
        let w = self.maintenance_window(id).await?;
        if w.ends_at <= now || w.ends_at == w.starts_at {
            return Err(ZcError::invalid(format!("maintenance window {id} is already over (or was cancelled)")));
        }
        let mut tx = self.begin_write().await?;
        // A window that has not started is cancelled: it keeps its planned start and ends there,
        // covering no time.
        let ends = now.max(w.starts_at);
        sqlx::query("UPDATE maintenance_windows SET ends_at = ?, ended_early_by = ?, updated_at = ? WHERE id = ?")
            .bind(ends)
            .bind(&audit.actor)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        let gid = crate::sync_connections::connection_global_id(&mut tx, Some(w.connection_id)).await?;
        let meta = json!({"window": id, "planned_end": w.ends_at, "ended_at": now, "connection_gid": gid});
        append(&mut tx, now, audit, "maintenance.end", &w.connection, meta).await?;
        evaluate_in(&mut tx, now).await?;
        tx.commit().await.map_err(db_err)?;
        self.maintenance_window(id).await
    }

    pub async fn maintenance_window(&self, id: i64) -> ZcResult<MaintenanceWindow> {
        sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} WHERE m.id = ?")))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?
            .as_ref()
            .map(row_to_window)
            .ok_or_else(|| {
                ZcError::new(
                    ErrorCode::NotFound,
                    format!("there is no maintenance window {id}; `zc window list` shows them"),
                )
            })
    }

    /// Windows that overlap `[since_ms, until_ms)` (with `now` as the start: the current and
    /// planned ones), of one connection or all, by start. Cancelled windows cover no time and are
    /// not listed.
    pub async fn maintenance_windows(
        &self,
        connection_id: Option<i64>,
        since_ms: i64,
        until_ms: i64,
    ) -> ZcResult<Vec<MaintenanceWindow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SELECT} WHERE (?1 IS NULL OR m.connection_id = ?1) AND m.ends_at > ?2 AND m.starts_at < ?3 AND m.ends_at > m.starts_at ORDER BY m.starts_at, m.id"
        )))
        .bind(connection_id)
        .bind(since_ms)
        .bind(until_ms)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(rows.iter().map(row_to_window).collect())
    }
}
