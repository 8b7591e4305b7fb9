//! Pushing a console's activity log: entries in sequence order, in batches, through
//! `central.push_activity()`, which re-checks the chain and ignores what it already has.

use sqlx::PgPool;
use uuid::Uuid;
use zc_domain::activity::ActivityEntry;

/// One entry exactly as the console hashed it, with its global id.
#[derive(Debug, Clone)]
pub struct ActivityRow {
    pub id: Uuid,
    pub entry: ActivityEntry,
}

/// Why the centre refused a batch; nothing of the batch was stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// An entry the centre has came again with another hash: the console's log was rewritten.
    Rewritten,
    /// An entry does not match its fields or does not link to the one before.
    Broken,
    /// Entries are missing before this one.
    Gap,
    /// The entry's metadata names a secret.
    Secret,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushOutcome {
    /// Entries stored by this call.
    pub accepted: u32,
    /// Entries the centre already had (identical), ignored.
    pub duplicates: u32,
    /// The console's chain head at the centre after the call.
    pub head_seq: i64,
    pub head_hash: String,
    /// Set when the batch was refused: why, at which entry, and the centre's words.
    pub rejected: Option<(Rejection, i64, String)>,
}

/// Pushes `rows` (ascending `seq`) in one call; the centre takes all of the new ones or none.
pub async fn push(pool: &PgPool, rows: &[ActivityRow]) -> Result<PushOutcome, sqlx::Error> {
    let col = |f: fn(&ActivityEntry) -> String| rows.iter().map(|r| f(&r.entry)).collect::<Vec<_>>();
    let r: (i32, i32, i64, String, Option<String>, Option<i64>, Option<String>) = sqlx::query_as(
        "SELECT accepted, duplicates, head_seq, head_hash, rejected, rejected_seq, detail \
         FROM central.push_activity($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(rows.iter().map(|r| r.id).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.entry.seq).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.entry.at_ms).collect::<Vec<_>>())
    .bind(col(|r| r.actor.clone()))
    .bind(rows.iter().map(|r| r.entry.device_id).collect::<Vec<_>>())
    .bind(col(|r| r.action.clone()))
    .bind(col(|r| r.resource.clone()))
    .bind(col(|r| r.metadata.clone()))
    .bind(col(|r| r.prev_hash.clone()))
    .bind(col(|r| r.hash.clone()))
    .fetch_one(pool)
    .await?;
    let rejected = match (r.4.as_deref(), r.5, r.6) {
        (Some(kind), Some(seq), Some(detail)) => {
            let kind = match kind {
                "rewritten" => Rejection::Rewritten,
                "gap" => Rejection::Gap,
                "secret" => Rejection::Secret,
                _ => Rejection::Broken,
            };
            Some((kind, seq, detail))
        }
        _ => None,
    };
    Ok(PushOutcome { accepted: r.0 as u32, duplicates: r.1 as u32, head_seq: r.2, head_hash: r.3, rejected })
}

/// The console's chain head as the centre knows it (0 before its first push).
pub async fn head(pool: &PgPool) -> Result<(i64, String), sqlx::Error> {
    sqlx::query_as("SELECT head_seq, head_hash FROM central.chain_head()").fetch_one(pool).await
}
