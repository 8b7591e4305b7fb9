//! The `settings` table: console-wide settings, one JSON value per key (the alarm settings, the
//! update settings). A value written by a newer version may hold fields this one does not know.

use crate::error::db_err;
use sqlx::SqliteConnection;
use zc_domain::ZcResult;

pub(crate) async fn read_setting(conn: &mut SqliteConnection, key: &str) -> ZcResult<Option<String>> {
    sqlx::query_scalar("SELECT value FROM settings WHERE key = ?").bind(key).fetch_optional(conn).await.map_err(db_err)
}

/// Inserts or replaces `key`, in the caller's transaction (with its activity entry).
pub(crate) async fn put_setting(conn: &mut SqliteConnection, key: &str, value: &str, now: i64) -> ZcResult<()> {
    sqlx::query(
        "INSERT INTO settings (key, value, created_at, updated_at) VALUES (?1, ?2, ?3, ?3) \
         ON CONFLICT (key) DO UPDATE SET value = ?2, updated_at = ?3",
    )
    .bind(key)
    .bind(value)
    .bind(now)
    .execute(conn)
    .await
    .map_err(db_err)
    .map(|_| ())
}
