//! Pushing a console's activity log: entries in sequence order, in batches, through
//! `central.push_activity()`, which re-checks the chain and ignores what it already has.

use crate::statement;
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
    /// Set when a batch sent to follow another ([`push_after`]) did not extend the head when it
    /// came to take it: nothing of it was stored or recorded, and it is to be sent on its own.
    pub not_yet: bool,
}

/// Pushes `rows` (ascending `seq`) in one call; the centre takes all of the new ones or none.
pub async fn push(pool: &PgPool, rows: &[ActivityRow]) -> Result<PushOutcome, sqlx::Error> {
    push_after(pool, rows, None).await
}

/// Like [`push`], but with `after_seq` set the batch may be sent while the one ending at
/// `after_seq` is still being stored on another connection: the centre checks and inserts it
/// meanwhile and keeps it only if it then extends the head exactly; otherwise the answer is
/// `not_yet` and nothing of it was kept (migration 0010).
pub async fn push_after(
    pool: &PgPool,
    rows: &[ActivityRow],
    after_seq: Option<i64>,
) -> Result<PushOutcome, sqlx::Error> {
    let col = |f: fn(&ActivityEntry) -> String| rows.iter().map(|r| f(&r.entry)).collect::<Vec<_>>();
    // The strict call keeps its ten arguments, so a console works with a centre before 0010.
    const STRICT: &str = "SELECT accepted, duplicates, head_seq, head_hash, rejected, rejected_seq, detail \
         FROM central.push_activity($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
    const AFTER: &str = "SELECT accepted, duplicates, head_seq, head_hash, rejected, rejected_seq, detail \
         FROM central.push_activity($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
    let query = statement::query_as(if after_seq.is_some() { AFTER } else { STRICT })
        .bind(rows.iter().map(|r| r.id).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.entry.seq).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.entry.at_ms).collect::<Vec<_>>())
        .bind(col(|r| r.actor.clone()))
        .bind(rows.iter().map(|r| r.entry.device_id).collect::<Vec<_>>())
        .bind(col(|r| r.action.clone()))
        .bind(col(|r| r.resource.clone()))
        .bind(col(|r| r.metadata.clone()))
        .bind(col(|r| r.prev_hash.clone()))
        .bind(col(|r| r.hash.clone()));
    let query = match after_seq {
        Some(after) => query.bind(after),
        None => query,
    };
    let mut tx = pool.begin().await?;
    let r: (i32, i32, i64, String, Option<String>, Option<i64>, Option<String>) = match query.fetch_one(&mut *tx).await
    {
        Ok(r) => r,
        // A centre without migration 0010 has no pipelined call: the batch goes again on its own.
        Err(sqlx::Error::Database(e)) if after_seq.is_some() && e.code().as_deref() == Some("42883") => {
            return Ok(PushOutcome {
                accepted: 0,
                duplicates: 0,
                head_seq: 0,
                head_hash: String::new(),
                rejected: None,
                not_yet: true,
            });
        }
        Err(e) => return Err(e),
    };
    tx.commit().await?;
    let not_yet = r.4.as_deref() == Some("not_yet");
    let rejected = match (r.4.as_deref().filter(|_| !not_yet), r.5, r.6) {
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
    Ok(PushOutcome { accepted: r.0 as u32, duplicates: r.1 as u32, head_seq: r.2, head_hash: r.3, rejected, not_yet })
}

/// The console's chain head as the centre knows it (0 before its first push).
pub async fn head(pool: &PgPool) -> Result<(i64, String), sqlx::Error> {
    let mut tx = pool.begin().await?;
    let head = statement::query_as("SELECT head_seq, head_hash FROM central.chain_head()").fetch_one(&mut *tx).await?;
    tx.commit().await?;
    Ok(head)
}
