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

/// Pushes until the log is drained, held or a push fails.
pub async fn push(store: &Store, central: &PgPool) -> ZcResult<StreamReport> {
    let mut report = StreamReport::new(ACTIVITY_STREAM);
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
                report.finish = crate::record_failure(store, ACTIVITY_STREAM, kind, message).await?;
                return Ok(report);
            }
        }
    }
}
