//! The activity log's stream: entries leave in sequence order, a batch at a time, and are
//! marked pushed only once the centre has them (its head covers them). A crash between the
//! centre's commit and the local mark only makes the next push find them as duplicates.

use crate::failure::{self, FailureKind};
use sqlx::PgPool;
use zc_domain::ZcResult;
use zc_store::{ACTIVITY_STREAM, PendingActivity, Store};

/// Entries per call to the centre.
pub const BATCH: i64 = 500;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finish {
    /// Nothing left to push.
    Drained,
    /// The stream is held behind a quarantined entry.
    Held { seq: i64 },
    /// The push failed; the next attempt is due at this time (UTC ms).
    Failed { kind: FailureKind, message: String, next_attempt_at: i64 },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushReport {
    /// Entries the centre stored in this run.
    pub accepted: u64,
    /// Entries it already had.
    pub duplicates: u64,
    pub batches: u64,
    pub finish: Finish,
}

fn row(p: &PendingActivity) -> Result<zc_central::activity::ActivityRow, String> {
    let id =
        uuid::Uuid::parse_str(&p.global_id).map_err(|_| format!("entry {} has no valid global id", p.entry.seq))?;
    Ok(zc_central::activity::ActivityRow { id, entry: p.entry.clone() })
}

/// Pushes until the log is drained, held or a push fails.
pub async fn push(store: &Store, central: &PgPool) -> ZcResult<PushReport> {
    let mut report = PushReport { accepted: 0, duplicates: 0, batches: 0, finish: Finish::Drained };
    loop {
        if let Some(q) = store.quarantined().await?.into_iter().find(|q| q.stream == ACTIVITY_STREAM) {
            report.finish = Finish::Held { seq: q.first_seq };
            return Ok(report);
        }
        let pending = store.unpushed_activity(BATCH).await?;
        let Some(last) = pending.last().map(|p| p.entry.seq) else {
            return Ok(report);
        };
        let rows = match pending.iter().map(row).collect::<Result<Vec<_>, _>>() {
            Ok(rows) => rows,
            Err(detail) => {
                store.quarantine(ACTIVITY_STREAM, pending[0].entry.seq, "invalid", &detail).await?;
                report.finish = Finish::Held { seq: pending[0].entry.seq };
                return Ok(report);
            }
        };
        match zc_central::activity::push(central, &rows).await {
            Ok(out) => {
                report.batches += 1;
                report.accepted += u64::from(out.accepted);
                report.duplicates += u64::from(out.duplicates);
                if let Some((kind, seq, detail)) = out.rejected {
                    // What came before the refused entry is at the centre; say so first.
                    if out.head_seq >= pending[0].entry.seq {
                        store.record_activity_pushed(out.head_seq.min(last)).await?;
                    }
                    let reason = format!("{kind:?}").to_lowercase();
                    store.quarantine(ACTIVITY_STREAM, seq, &reason, &detail).await?;
                    tracing::warn!(seq, %reason, "the central store refused an activity entry");
                    report.finish = Finish::Held { seq };
                    return Ok(report);
                }
                store.record_activity_pushed(out.head_seq.min(last)).await?;
            }
            Err(e) => {
                let kind = failure::classify(&e);
                let message = failure::describe(&e);
                if kind == FailureKind::Rows {
                    store.quarantine(ACTIVITY_STREAM, pending[0].entry.seq, "refused", &message).await?;
                    report.finish = Finish::Held { seq: pending[0].entry.seq };
                    return Ok(report);
                }
                let failures = store.sync_failures(ACTIVITY_STREAM).await? as u32 + 1;
                let next_attempt_at = store.now() + failure::delay(kind, failures).as_millis() as i64;
                store.record_sync_failure(ACTIVITY_STREAM, &message, next_attempt_at).await?;
                report.finish = Finish::Failed { kind, message, next_attempt_at };
                return Ok(report);
            }
        }
    }
}
