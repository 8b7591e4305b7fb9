//! API keys handed from one console to the others of its site, sealed to each recipient's
//! public key (`zc_secrets::seal`): the centre stores and forwards ciphertext only. Row-level
//! security lets a console read only boxes addressed to it, and seal only to consoles of its
//! own site that are not removed, to the public key they published.

use crate::statement;
use sqlx::PgPool;
use uuid::Uuid;

/// A console of the site another console may seal a key to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub console_id: Uuid,
    pub name: String,
    pub public_key: String,
}

/// A key sealed to this console, as the centre keeps it.
#[derive(Debug, Clone)]
pub struct SealedKey {
    pub id: Uuid,
    pub connection_id: Uuid,
    pub sender_console_id: Uuid,
    pub recipient_public_key: String,
    pub ciphertext: Vec<u8>,
    pub sealed_by: String,
}

/// Publishes this console's public key (its private half stays in its keyring). False when the
/// console is removed from its site (it may publish nothing then).
pub async fn publish_key(pool: &PgPool, public_key: &str) -> Result<bool, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let published =
        statement::query_scalar("SELECT central.publish_console_key($1)").bind(public_key).fetch_one(&mut *tx).await?;
    tx.commit().await?;
    Ok(published)
}

/// The public key the centre shows for this console (None until it published one).
pub async fn published_key(pool: &PgPool) -> Result<Option<String>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let key = statement::query_scalar("SELECT public_key FROM central.consoles WHERE id = central.console_id()")
        .fetch_optional(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(key.flatten())
}

/// The other consoles of this site that can receive a key: not removed, with a published key.
pub async fn recipients(pool: &PgPool) -> Result<Vec<Recipient>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let rows: Vec<(Uuid, String, String)> = statement::query_as(
        "SELECT id, name, public_key FROM central.consoles \
         WHERE site_id = central.console_site() AND id <> central.console_id() \
           AND removed_at IS NULL AND public_key IS NOT NULL ORDER BY name",
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(rows.into_iter().map(|(console_id, name, public_key)| Recipient { console_id, name, public_key }).collect())
}

/// Stores one box per recipient for connection `connection`, in one transaction: every
/// recipient gets the key, or none does.
pub async fn put(
    pool: &PgPool,
    connection: Uuid,
    boxes: &[(Recipient, Vec<u8>)],
    sealed_by: &str,
) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    for (to, ciphertext) in boxes {
        statement::query(
            "INSERT INTO central.sealed_keys (id, organisation_id, connection_id, sender_console_id, recipient_console_id, \
             recipient_public_key, ciphertext, sealed_by) \
             VALUES ($1, central.console_organisation(), $2, central.console_id(), $3, $4, $5, $6)",
        )
        .bind(Uuid::now_v7())
        .bind(connection)
        .bind(to.console_id)
        .bind(&to.public_key)
        .bind(ciphertext)
        .bind(sealed_by)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await
}

/// The newest key sealed to this console for each connection.
pub async fn addressed_here(pool: &PgPool) -> Result<Vec<SealedKey>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let rows: Vec<(Uuid, Uuid, Uuid, String, Vec<u8>, String)> = statement::query_as(
        "SELECT DISTINCT ON (connection_id) id, connection_id, sender_console_id, recipient_public_key, ciphertext, sealed_by \
         FROM central.sealed_keys WHERE recipient_console_id = central.console_id() \
         ORDER BY connection_id, sealed_at DESC, id DESC",
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(rows
        .into_iter()
        .map(|(id, connection_id, sender_console_id, recipient_public_key, ciphertext, sealed_by)| SealedKey {
            id,
            connection_id,
            sender_console_id,
            recipient_public_key,
            ciphertext,
            sealed_by,
        })
        .collect())
}
