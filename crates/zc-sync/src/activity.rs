//! The activity log's stream: entries leave in sequence order, a batch at a time, and are
//! marked pushed only once the centre has them (its head covers them). A crash between the
//! centre's commit and the local mark only makes the next push find them as duplicates.

use crate::failure::{self, FailureKind};
use crate::{Finish, StreamReport};
use sqlx::PgPool;
use zc_domain::ZcResult;
use zc_store::{ACTIVITY_STREAM, PendingActivity, Store};

/// Entries per call to the centre.
pub const BATCH: i64 = 2000;

fn row(p: &PendingActivity) -> Result<zc_central::activity::ActivityRow, String> {
    let id =
        uuid::Uuid::parse_str(&p.global_id).map_err(|_| format!("entry {} has no valid global id", p.entry.seq))?;
    Ok(zc_central::activity::ActivityRow { id, entry: p.entry.clone() })
}

/// Pushes until the log is drained, held or a push fails. Three things overlap: while the centre
/// checks and stores batch k, the console reads batch k+1 and marks batch k-1 (whose commit the
/// centre has answered). A mark still comes only after the centre's answer covers it.
pub async fn push(store: &Store, central: &PgPool) -> ZcResult<StreamReport> {
    let mut report = StreamReport::new(ACTIVITY_STREAM);
    if let Some(q) = store.quarantined().await?.into_iter().find(|q| q.stream == ACTIVITY_STREAM) {
        report.finish = Finish::Held { seq: q.first_seq };
        return Ok(report);
    }
    let mut pending = store.unpushed_activity(BATCH).await?;
    // The centre's head after the last answered batch, not yet marked locally.
    let mut unmarked: Option<i64> = None;
    loop {
        let Some(last) = pending.last().map(|p| p.entry.seq) else {
            mark(store, unmarked).await?;
            return Ok(report);
        };
        let rows = match pending.iter().map(row).collect::<Result<Vec<_>, _>>() {
            Ok(rows) => rows,
            Err(detail) => {
                mark(store, unmarked).await?;
                store.quarantine(ACTIVITY_STREAM, pending[0].entry.seq, "invalid", &detail).await?;
                report.finish = Finish::Held { seq: pending[0].entry.seq };
                return Ok(report);
            }
        };
        let (sent, mut next, marked) = tokio::join!(
            zc_central::activity::push(central, &rows),
            store.unpushed_activity_after(last, BATCH),
            mark(store, unmarked.take()),
        );
        marked?;
        match sent {
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
                let head = out.head_seq.min(last);
                unmarked = Some(head);
                if head < last {
                    // The centre answered for less than it was sent: the read-ahead would leave
                    // a gap, so read again from what it has.
                    next = store.unpushed_activity_after(head, BATCH).await;
                }
            }
            Err(e) => {
                let kind = failure::classify(&e);
                let message = failure::describe(&e);
                if kind == FailureKind::Rows {
                    store.quarantine(ACTIVITY_STREAM, pending[0].entry.seq, "refused", &message).await?;
                    report.finish = Finish::Held { seq: pending[0].entry.seq };
                    return Ok(report);
                }
                report.finish = crate::record_failure(store, ACTIVITY_STREAM, kind, message).await?;
                return Ok(report);
            }
        }
        pending = match next {
            Ok(next) => next,
            Err(e) => {
                mark(store, unmarked).await?;
                return Err(e);
            }
        };
    }
}

async fn mark(store: &Store, up_to_seq: Option<i64>) -> ZcResult<()> {
    if let Some(seq) = up_to_seq {
        store.record_activity_pushed(seq).await?;
    }
    Ok(())
}
