//! Handing a connection's API key to the other consoles of the site without a readable copy
//! anywhere: sealed here to each console's published public key, stored at the centre as
//! ciphertext, opened by the recipient straight into its OS keyring (docs/central.md, "Sealed
//! keys"). A console removed from the site is no recipient, publishes nothing and reads nothing.

use crate::App;
use crate::central::central_error;
use serde::Serialize;
use sqlx::PgPool;
use zc_domain::user::Capability;
use zc_domain::{ErrorCode, ZcError, ZcResult};
use zc_secrets::SealingKey;
use zc_store::CentralLink;

/// What sharing one connection's key did.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct KeyShare {
    pub connection: String,
    /// The consoles it was sealed to, by name.
    pub consoles: Vec<String>,
}

impl App {
    /// Seals connection `name`'s API key to every other console of this site that has published
    /// a key, in one transaction at the centre. Pushes first, so the centre has the connection.
    pub async fn share_key(&self, name: &str) -> ZcResult<KeyShare> {
        let audit = self.authorize(Capability::ManageKeys).await?;
        let row = self.store.connection(name).await?;
        let Some(key) = self.keyring()?.get(&self.account(row.id)).await? else {
            return Err(ZcError::new(
                ErrorCode::KeyMissing,
                format!("'{name}' has no API key on this console: set it with `zc key set {name}`, then share it"),
            ));
        };
        let report = self.push_pending().await?;
        if !self.store.connection_at_centre(row.id).await? {
            return Err(ZcError::new(
                ErrorCode::CentralUnreachable,
                format!(
                    "the central store does not have '{name}' yet ({}); nothing was shared: try again once `zc sync now` succeeds",
                    report.message.unwrap_or_else(|| "its definition is waiting".into())
                ),
            ));
        }
        let global = self.store.global_id_of_connection(row.id).await?.unwrap_or_default();
        let connection = uuid::Uuid::parse_str(&global)
            .map_err(|_| ZcError::internal(format!("'{name}' has no valid global id")))?;
        let (link, pool) = self.linked_pool().await?;
        let shared = async {
            self.publish_sealing_key(&link, &pool).await?;
            let to = zc_central::sealed_keys::recipients(&pool).await.map_err(|e| central_error(&link.url, &link.login, &e))?;
            if to.is_empty() {
                return Err(ZcError::new(
                    ErrorCode::NotFound,
                    "no other console of this site can receive a key yet: each publishes its key at its first sync after `zc central connect`; nothing was shared",
                ));
            }
            let mut boxes = Vec::with_capacity(to.len());
            for r in to {
                let sealed = zc_secrets::seal(&r.public_key, &key)?;
                boxes.push((r, sealed));
            }
            zc_central::sealed_keys::put(&pool, connection, &boxes, &audit.actor)
                .await
                .map_err(|e| central_error(&link.url, &link.login, &e))?;
            Ok(boxes.into_iter().map(|(r, _)| r.name).collect::<Vec<_>>())
        }
        .await;
        pool.close().await;
        let consoles = shared?;
        self.store.record_key_shared(row.id, name, &consoles, &audit).await?;
        Ok(KeyShare { connection: name.to_owned(), consoles })
    }

    /// Publishes this console's public key when the centre shows another (or none): made the
    /// first time, its private half kept in the keyring. Answers the key pair.
    pub(crate) async fn publish_sealing_key(&self, link: &CentralLink, pool: &PgPool) -> ZcResult<SealingKey> {
        let sealing = self.keyring()?.sealing_key(&self.install_id).await?;
        let public = sealing.public_hex()?;
        let central = |e: sqlx::Error| central_error(&link.url, &link.login, &e);
        let shown = zc_central::sealed_keys::published_key(pool).await.map_err(central)?;
        if shown.as_deref() != Some(public.as_str()) {
            zc_central::sealed_keys::publish_key(pool, &public).await.map_err(central)?;
        }
        Ok(sealing)
    }

    /// Opens every key sealed to this console that it has not opened yet, straight into its
    /// keyring, for connections it has (one whose connection is not here yet waits for it, at
    /// the centre). Answers how many it took.
    pub(crate) async fn receive_sealed_keys(&self, link: &CentralLink, pool: &PgPool) -> ZcResult<u64> {
        let sealing = self.publish_sealing_key(link, pool).await?;
        let public = sealing.public_hex()?;
        let keyring = self.keyring()?;
        let opened = self.store.sealed_keys_received().await?;
        let noted = self.store.sealed_keys_unopenable().await?;
        let boxes = zc_central::sealed_keys::addressed_here(pool)
            .await
            .map_err(|e| central_error(&link.url, &link.login, &e))?;
        let audit = self.console_audit();
        let mut taken = 0;
        for b in boxes {
            let box_id = b.id.to_string();
            if opened.contains(&box_id) && b.recipient_public_key == public {
                continue;
            }
            let Some(row) = self.store.connection_by_global_id(&b.connection_id.to_string()).await? else { continue };
            let received = zc_store::ReceivedKey {
                box_id: &box_id,
                connection_id: row.id,
                connection: &row.spec.name,
                sender_console_id: &b.sender_console_id.to_string(),
                sealed_by: &b.sealed_by,
            };
            // Sealed to a sealing key this console no longer has (its keyring was reset): it
            // cannot open. Said once, when the API key is missing here too: someone shares again.
            if b.recipient_public_key != public {
                if !noted.contains(&box_id) && keyring.get(&self.account(row.id)).await?.is_none() {
                    tracing::warn!(
                        connection = %row.spec.name,
                        "the key shared to this console was sealed to its previous sealing key and cannot open: ask {} to share it again (`zc key share {}`)",
                        b.sealed_by.strip_prefix("user:").unwrap_or(&b.sealed_by),
                        row.spec.name
                    );
                    self.store.record_key_to_share_again(&received, &audit).await?;
                }
                continue;
            }
            let key = match sealing.unseal(&b.ciphertext) {
                Ok(key) => key,
                Err(e) => {
                    tracing::warn!(connection = %row.spec.name, "a key shared to this console was not taken: {e}");
                    continue;
                }
            };
            // The keyring first: a crash before the record opens the box again next time.
            keyring.set(&self.account(row.id), &key).await?;
            self.store.record_sealed_key_received(&received, &audit).await?;
            taken += 1;
        }
        Ok(taken)
    }
}
