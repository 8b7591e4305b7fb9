//! Sealed API keys: which boxes from the centre this console has opened, and the activity
//! entries of keys shared and received. The keys themselves never pass through here.

use crate::Store;
use crate::activity::{Audit, append};
use crate::error::db_err;
use serde_json::json;
use std::collections::HashSet;
use zc_domain::ZcResult;

/// A box from the centre whose key is now in this console's keyring.
#[derive(Debug, Clone)]
pub struct ReceivedKey<'a> {
    pub box_id: &'a str,
    pub connection_id: i64,
    pub connection: &'a str,
    pub sender_console_id: &'a str,
    pub sealed_by: &'a str,
}

impl Store {
    /// The boxes already opened here, by id.
    pub async fn sealed_keys_received(&self) -> ZcResult<HashSet<String>> {
        let ids: Vec<String> =
            sqlx::query_scalar("SELECT id FROM sealed_keys_received").fetch_all(&self.pool).await.map_err(db_err)?;
        Ok(ids.into_iter().collect())
    }

    /// A shared key's box was opened and its key stored in the keyring: recorded with the
    /// connection's new settings version (the monitor takes the key at its next reload), in one
    /// transaction. A definition the centre had stays had: the key is not part of it.
    pub async fn record_sealed_key_received(&self, r: &ReceivedKey<'_>, audit: &Audit) -> ZcResult<()> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO sealed_keys_received (id, connection_id, sender_console_id, sealed_by, received_at, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?5) ON CONFLICT (id) DO NOTHING",
        )
        .bind(r.box_id)
        .bind(r.connection_id)
        .bind(r.sender_console_id)
        .bind(r.sealed_by)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        sqlx::query(
            "UPDATE backend_connections SET key_validated = NULL, key_last_validated_at = NULL, key_validation_error = NULL, \
             central_version = CASE WHEN central_version = settings_version THEN settings_version + 1 ELSE central_version END, \
             settings_version = settings_version + 1, updated_at = ?1 WHERE id = ?2",
        )
        .bind(now)
        .bind(r.connection_id)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        let meta = json!({"id": r.connection_id, "sealed_by": r.sealed_by, "from_console": r.sender_console_id, "box": r.box_id});
        append(&mut tx, now, audit, "key.received", r.connection, meta).await?;
        tx.commit().await.map_err(db_err)
    }

    /// A person sealed connection `id`'s key to `consoles` other consoles of the site.
    pub async fn record_key_shared(&self, id: i64, name: &str, consoles: &[String], audit: &Audit) -> ZcResult<()> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        append(&mut tx, now, audit, "key.share", name, json!({"id": id, "to_consoles": consoles})).await?;
        tx.commit().await.map_err(db_err)
    }

    /// Boxes already noted as sealed to a key this console no longer has.
    pub async fn sealed_keys_unopenable(&self) -> ZcResult<HashSet<String>> {
        let ids: Vec<String> =
            sqlx::query_scalar("SELECT id FROM sealed_keys_unopenable").fetch_all(&self.pool).await.map_err(db_err)?;
        Ok(ids.into_iter().collect())
    }

    /// A key shared to this console cannot open here (sealed to its previous sealing key) and the
    /// API key is missing: noted once, with a `key.share_again` entry naming who sealed it.
    pub async fn record_key_to_share_again(&self, r: &ReceivedKey<'_>, audit: &Audit) -> ZcResult<()> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let noted = sqlx::query(
            "INSERT INTO sealed_keys_unopenable (id, connection_id, sealed_by, noticed_at, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?4, ?4) ON CONFLICT (id) DO NOTHING",
        )
        .bind(r.box_id)
        .bind(r.connection_id)
        .bind(r.sealed_by)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        if noted.rows_affected() > 0 {
            let meta = json!({"id": r.connection_id, "sealed_by": r.sealed_by, "from_console": r.sender_console_id, "box": r.box_id});
            append(&mut tx, now, audit, "key.share_again", r.connection, meta).await?;
        }
        tx.commit().await.map_err(db_err)
    }
}
