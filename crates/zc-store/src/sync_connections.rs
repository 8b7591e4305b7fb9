//! Connection definitions on their way to the centre: a connection's settings (never its key)
//! are pushed once per settings version, and a removal once; the centre's copy moves with them.

use crate::Store;
use crate::connections::ConnectionRow;
use crate::error::db_err;
use crate::sync::StreamStatus;
use sqlx::{Row, SqliteConnection};
use zc_domain::ZcResult;

/// The connections stream's name in `sync_series` (its health), `sync_quarantine` and
/// `zc sync status`.
pub const CONNECTIONS_STREAM: &str = "connections";

/// A connection whose settings the centre does not have yet.
#[derive(Debug, Clone)]
pub struct PendingConnection {
    pub global_id: String,
    /// The connection it depends on (its gateway), by global id.
    pub depends_on: Option<String>,
    pub row: ConnectionRow,
}

/// A connection removed here that the centre still shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingRemoval {
    pub id: i64,
    pub global_id: String,
    pub removed_at: i64,
}

/// A connection's global id, for activity entries the centre files in a site's alarm journal
/// (its local id means nothing to other consoles).
pub(crate) async fn connection_global_id(
    conn: &mut sqlx::SqliteConnection,
    id: Option<i64>,
) -> ZcResult<Option<String>> {
    let Some(id) = id else { return Ok(None) };
    sqlx::query_scalar("SELECT global_id FROM backend_connections WHERE id = ?")
        .bind(id)
        .fetch_optional(conn)
        .await
        .map(Option::flatten)
        .map_err(db_err)
}

impl Store {
    /// Connections whose settings changed since the centre last had them, oldest first.
    pub async fn connections_to_push(&self) -> ZcResult<Vec<PendingConnection>> {
        let rows = sqlx::query(
            "SELECT c.*, p.global_id AS depends_on_global_id FROM backend_connections c \
             LEFT JOIN backend_connections p ON p.id = c.depends_on \
             WHERE c.central_version IS NULL OR c.central_version < c.settings_version ORDER BY c.id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(rows
            .iter()
            .map(|r| PendingConnection {
                global_id: r.get("global_id"),
                depends_on: r.get("depends_on_global_id"),
                row: crate::connections::row_to_connection(r),
            })
            .collect())
    }

    /// The centre has settings version `version` of connection `id` (an edit made meanwhile
    /// has a higher version and stays pending).
    /// The first version the centre has lets the connection's history go: the series rewind to
    /// it in the same transaction.
    pub async fn record_connection_pushed(&self, id: i64, version: i64) -> ZcResult<()> {
        let mut tx = self.begin_write().await?;
        let first: bool = sqlx::query_scalar("SELECT central_version IS NULL FROM backend_connections WHERE id = ?")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?
            .unwrap_or(false);
        sqlx::query(
            "UPDATE backend_connections SET central_version = ?1 WHERE id = ?2 \
             AND (central_version IS NULL OR central_version < ?1)",
        )
        .bind(version)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        if first {
            crate::sync_series::rewind_to_connection(&mut tx, id).await?;
        }
        tx.commit().await.map_err(db_err)
    }

    /// Removals of `stream`'s rows (connections, widgets) the centre has not heard of.
    pub async fn removals_to_push(&self, stream: &str) -> ZcResult<Vec<PendingRemoval>> {
        let rows = sqlx::query(
            "SELECT id, global_id, removed_at FROM sync_removals WHERE stream = ? AND pushed_at IS NULL ORDER BY id",
        )
        .bind(stream)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(rows.iter().map(|r| PendingRemoval { id: r.get(0), global_id: r.get(1), removed_at: r.get(2) }).collect())
    }

    pub async fn record_removal_pushed(&self, id: i64) -> ZcResult<()> {
        let now = self.now();
        sqlx::query("UPDATE sync_removals SET pushed_at = ?1, updated_at = ?1 WHERE id = ?2")
            .bind(now)
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    /// A push of a stream other than the activity log went through: `n` rows more.
    pub async fn record_stream_success(&self, stream: &str, n: i64) -> ZcResult<()> {
        let now = self.now();
        sqlx::query(
            "INSERT INTO sync_series (stream, cursor_at, cursor_key, last_success_at, last_attempt_at, pushed_total, created_at, updated_at) \
             VALUES (?1, ?2, ?2, ?3, ?3, ?4, ?3, ?3) ON CONFLICT (stream) DO UPDATE SET last_success_at = ?3, \
             last_attempt_at = ?3, last_error = NULL, failures = 0, next_attempt_at = NULL, \
             pushed_total = pushed_total + ?4, updated_at = ?3",
        )
        .bind(stream)
        .bind(i64::MIN)
        .bind(now)
        .bind(n)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    /// The connections stream's queue and health.
    pub async fn connections_sync_status(&self) -> ZcResult<StreamStatus> {
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        let (pending, oldest): (i64, Option<i64>) = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM backend_connections WHERE central_version IS NULL OR central_version < settings_version) \
                    + (SELECT COUNT(*) FROM sync_removals WHERE stream = ?1 AND pushed_at IS NULL), \
                    MIN((SELECT MIN(updated_at) FROM backend_connections WHERE central_version IS NULL OR central_version < settings_version), \
                        (SELECT MIN(removed_at) FROM sync_removals WHERE stream = ?1 AND pushed_at IS NULL))",
        )
        .bind(CONNECTIONS_STREAM)
        .fetch_one(&mut *conn)
        .await
        .map_err(db_err)?;
        crate::sync::stream_status(&mut conn, CONNECTIONS_STREAM, pending, oldest).await
    }
}

/// Whether a definition or a removal waits that is not held: a refused definition holds only
/// itself, and waits without making the sync loop push for nothing every few seconds.
pub(crate) async fn connections_due(conn: &mut sqlx::SqliteConnection) -> ZcResult<bool> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM backend_connections c \
                        WHERE (c.central_version IS NULL OR c.central_version < c.settings_version) \
                        AND NOT EXISTS (SELECT 1 FROM sync_quarantine q WHERE q.stream = ?1 AND q.first_seq = c.id \
                                        AND q.resolved_at IS NULL)) \
             OR EXISTS (SELECT 1 FROM sync_removals WHERE stream = ?1 AND pushed_at IS NULL)",
    )
    .bind(CONNECTIONS_STREAM)
    .fetch_one(conn)
    .await
    .map_err(db_err)
}

/// A new settings version of connection `id` (an edit, its trust, its key) goes to the centre
/// again: a held refusal of an older version no longer holds it (the edit may be the fix).
/// Refused again, the same entry comes back with one attempt more.
pub(crate) async fn release_held_definition(conn: &mut SqliteConnection, id: i64, now: i64) -> ZcResult<()> {
    sqlx::query(
        "UPDATE sync_quarantine SET resolved_at = ?1, resolution = 'retried', updated_at = ?1 \
         WHERE stream = ?2 AND first_seq = ?3 AND resolved_at IS NULL",
    )
    .bind(now)
    .bind(CONNECTIONS_STREAM)
    .bind(id)
    .execute(conn)
    .await
    .map_err(db_err)?;
    Ok(())
}
