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
/// Entries the pusher holds read ahead: the two batches in flight and the two after them.
const AHEAD: i64 = 4 * BATCH;

fn row(p: &PendingActivity) -> Result<zc_central::activity::ActivityRow, String> {
    let id =
        uuid::Uuid::parse_str(&p.global_id).map_err(|_| format!("entry {} has no valid global id", p.entry.seq))?;
    Ok(zc_central::activity::ActivityRow { id, entry: p.entry.clone() })
}

/// Pushes until the log is drained, held or a push fails. Each round sends two batches at once
/// on two connections: the first on its own (the strict check against the centre's head), the
/// second to follow it (migration 0010: the centre checks and inserts it while the first is
/// stored, and keeps it only if it then extends the head exactly; otherwise it comes back
/// `not_yet` and goes again next round as the first). Meanwhile the console reads what comes
/// after them and marks what the last round's answers covered. A mark comes only after the
/// centre's answer covers it.
pub async fn push(store: &Store, central: &PgPool) -> ZcResult<StreamReport> {
    let mut report = StreamReport::new(ACTIVITY_STREAM);
    if let Some(q) = store.quarantined().await?.into_iter().find(|q| q.stream == ACTIVITY_STREAM) {
        report.finish = Finish::Held { seq: q.first_seq };
        return Ok(report);
    }
    // Entries read and not yet answered for, contiguous, the first right after the centre's head.
    let mut buf = store.unpushed_activity(AHEAD).await?;
    // The centre's head after the last answered batch, not yet marked locally.
    let mut unmarked: Option<i64> = None;
    loop {
        if buf.is_empty() {
            mark(store, unmarked).await?;
            return Ok(report);
        }
        let split = buf.len().min(BATCH as usize);
        let (first, second) = (&buf[..split], &buf[split..buf.len().min(2 * split)]);
        let first_last = first[first.len() - 1].entry.seq;
        let rows = match first.iter().map(row).collect::<Result<Vec<_>, _>>() {
            Ok(rows) => rows,
            Err(detail) => {
                mark(store, unmarked).await?;
                store.quarantine(ACTIVITY_STREAM, first[0].entry.seq, "invalid", &detail).await?;
                report.finish = Finish::Held { seq: first[0].entry.seq };
                return Ok(report);
            }
        };
        // An invalid entry in the second batch is found when that batch comes first.
        let follow = second.iter().map(row).collect::<Result<Vec<_>, _>>().ok().filter(|r| !r.is_empty());
        let buf_last = buf[buf.len() - 1].entry.seq;
        let room = AHEAD - buf.len() as i64;
        let (sent, followed, ahead, marked) = tokio::join!(
            zc_central::activity::push(central, &rows),
            async {
                match &follow {
                    Some(rows) => Some(zc_central::activity::push_after(central, rows, Some(first_last)).await),
                    None => None,
                }
            },
            async { if room > 0 { store.unpushed_activity_after(buf_last, room).await } else { Ok(Vec::new()) } },
            mark(store, unmarked.take()),
        );
        marked?;
        let out = match sent {
            Ok(out) => out,
            Err(e) => {
                let kind = failure::classify(&e);
                let message = failure::describe(&e);
                if kind == FailureKind::Rows {
                    store.quarantine(ACTIVITY_STREAM, first[0].entry.seq, "refused", &message).await?;
                    report.finish = Finish::Held { seq: first[0].entry.seq };
                    return Ok(report);
                }
                report.finish = crate::record_failure(store, ACTIVITY_STREAM, kind, message).await?;
                return Ok(report);
            }
        };
        report.batches += 1;
        report.accepted += u64::from(out.accepted);
        report.duplicates += u64::from(out.duplicates);
        if let Some((kind, seq, detail)) = out.rejected {
            // What came before the refused entry is at the centre; say so first.
            if out.head_seq >= first[0].entry.seq {
                store.record_activity_pushed(out.head_seq.min(first_last)).await?;
            }
            let reason = format!("{kind:?}").to_lowercase();
            store.quarantine(ACTIVITY_STREAM, seq, &reason, &detail).await?;
            tracing::warn!(seq, %reason, "the central store refused an activity entry");
            report.finish = Finish::Held { seq };
            return Ok(report);
        }
        let mut head = out.head_seq.min(first_last);
        if head < first_last {
            // The centre answered for less than it was sent: what was read ahead would leave a
            // gap, so read again from what it has.
            unmarked = Some(head);
            buf = match store.unpushed_activity_after(head, AHEAD).await {
                Ok(b) => b,
                Err(e) => {
                    mark(store, unmarked).await?;
                    return Err(e);
                }
            };
            continue;
        }
        // The followed batch counts only if the centre kept it; otherwise it goes again first.
        if let Some(Ok(out)) = followed
            && !out.not_yet
            && out.rejected.is_none()
        {
            report.batches += 1;
            report.accepted += u64::from(out.accepted);
            head = out.head_seq.min(buf_last).max(head);
        }
        unmarked = Some(head);
        buf.retain(|p| p.entry.seq > head);
        match ahead {
            Ok(more) => buf.extend(more),
            Err(e) => {
                mark(store, unmarked).await?;
                return Err(e);
            }
        }
    }
}

async fn mark(store: &Store, up_to_seq: Option<i64>) -> ZcResult<()> {
    if let Some(seq) = up_to_seq {
        store.record_activity_pushed(seq).await?;
    }
    Ok(())
}
