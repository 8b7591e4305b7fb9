//! The activity log: every action, append-only, hash-chained.

use crate::Store;
use crate::error::db_err;
use sqlx::{Row, SqliteConnection};
use zc_domain::ZcResult;
use zc_domain::activity::{ActivityEntry, EntryContent, VerifyReport, entry_hash, redact, verify_chain};

/// Who is acting, from which device. Passed to every audited store call.
#[derive(Debug, Clone)]
pub struct Audit {
    pub actor: String,
    pub device_id: Option<i64>,
}

/// Appends one entry inside the caller's transaction (which must be `BEGIN IMMEDIATE`, so the
/// chain head cannot move between the read and the write).
pub(crate) async fn append(
    conn: &mut SqliteConnection,
    now: i64,
    audit: &Audit,
    action: &str,
    resource: &str,
    mut metadata: serde_json::Value,
) -> ZcResult<i64> {
    redact(&mut metadata);
    let metadata = metadata.to_string();
    let head: (i64, String) = {
        let row = sqlx::query(
            "SELECT c.head_seq, COALESCE((SELECT hash FROM activity_log WHERE seq = c.head_seq), c.anchor_hash) \
             FROM activity_log_chain c WHERE c.id = 1",
        )
        .fetch_one(&mut *conn)
        .await
        .map_err(db_err)?;
        (row.get(0), row.get(1))
    };
    let seq = head.0 + 1;
    let content = EntryContent {
        seq,
        at_ms: now,
        actor: &audit.actor,
        device_id: audit.device_id,
        action,
        resource,
        metadata: &metadata,
    };
    let hash = entry_hash(&head.1, &content);
    sqlx::query(
        "INSERT INTO activity_log (seq, at, actor, device_id, action, resource, metadata, prev_hash, hash, global_id, created_at, updated_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(seq)
    .bind(now)
    .bind(&audit.actor)
    .bind(audit.device_id)
    .bind(action)
    .bind(resource)
    .bind(&metadata)
    .bind(&head.1)
    .bind(&hash)
    .bind(crate::ids::global_id(now))
    .bind(now)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map_err(db_err)?;
    sqlx::query("UPDATE activity_log_chain SET head_seq = ?, updated_at = ? WHERE id = 1")
        .bind(seq)
        .bind(now)
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
    Ok(seq)
}

pub(crate) fn entry_from_row(r: &sqlx::sqlite::SqliteRow) -> ActivityEntry {
    ActivityEntry {
        seq: r.get("seq"),
        at_ms: r.get("at"),
        actor: r.get("actor"),
        device_id: r.get("device_id"),
        action: r.get("action"),
        resource: r.get("resource"),
        metadata: r.get("metadata"),
        prev_hash: r.get("prev_hash"),
        hash: r.get("hash"),
    }
}

pub(crate) const ENTRY_COLUMNS: &str = "seq, at, actor, device_id, action, resource, metadata, prev_hash, hash";

impl Store {
    /// Records an action that changes nothing else (monitor start, export, sign-in …).
    pub async fn record_activity(
        &self,
        audit: &Audit,
        action: &str,
        resource: &str,
        metadata: serde_json::Value,
    ) -> ZcResult<i64> {
        let mut tx = self.begin_write().await?;
        let seq = append(&mut tx, self.now(), audit, action, resource, metadata).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(seq)
    }

    /// Deletes one row by id and records the action, in one transaction.
    pub(crate) async fn delete_audited(
        &self,
        table: &'static str,
        id: i64,
        audit: &Audit,
        action: &str,
        resource: &str,
        metadata: serde_json::Value,
    ) -> ZcResult<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table} WHERE id = ?")))
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        append(&mut tx, self.now(), audit, action, resource, metadata).await?;
        tx.commit().await.map_err(db_err)
    }

    pub async fn activity_since(&self, since_ms: i64, limit: i64) -> ZcResult<Vec<ActivityEntry>> {
        let sql = format!("SELECT {ENTRY_COLUMNS} FROM activity_log WHERE at >= ? ORDER BY seq LIMIT ?");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(since_ms)
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(rows.iter().map(entry_from_row).collect())
    }

    /// The newest `limit` entries at or after `since_ms`, newest first (the console's view).
    pub async fn activity_newest(&self, since_ms: i64, limit: i64) -> ZcResult<Vec<ActivityEntry>> {
        let sql = format!("SELECT {ENTRY_COLUMNS} FROM activity_log WHERE at >= ? ORDER BY seq DESC LIMIT ?");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(since_ms)
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(rows.iter().map(entry_from_row).collect())
    }

    /// Checks the whole chain from its anchor to its recorded head.
    pub async fn verify_activity(&self) -> ZcResult<VerifyReport> {
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        let chain = sqlx::query("SELECT anchor_seq, anchor_hash, head_seq FROM activity_log_chain WHERE id = 1")
            .fetch_one(&mut *conn)
            .await
            .map_err(db_err)?;
        let sql = format!("SELECT {ENTRY_COLUMNS} FROM activity_log ORDER BY seq");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&mut *conn).await.map_err(db_err)?;
        let entries: Vec<ActivityEntry> = rows.iter().map(entry_from_row).collect();
        Ok(verify_chain(chain.get(0), chain.get::<String, _>(1).as_str(), Some(chain.get(2)), &entries))
    }
}
