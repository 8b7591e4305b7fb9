//! Central sync: the console's side of store-and-forward. Each stream is pushed in order, in
//! batches, idempotently (the centre ignores what it has); a transient failure waits with
//! exponential backoff and jitter, a refusal of a row is quarantined for a person to see.
//! `zc-app` runs it; nothing here knows of terminals or windows.

pub mod activity;
pub mod connections;
pub mod failure;
pub mod people;
pub mod series;
pub mod widgets;

use failure::FailureKind;
use sqlx::PgPool;
use uuid::Uuid;
use zc_domain::ZcResult;
use zc_store::{Audit, Series, Store};

/// A pull that did not finish: the centre's side (retried at the next round) or this console's.
#[derive(Debug)]
pub enum PullError {
    Central(sqlx::Error),
    Local(zc_domain::ZcError),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finish {
    /// Nothing left to push.
    Drained,
    /// The stream is held behind a quarantined row (for the activity log, its sequence number;
    /// for a series, the row's time; for connections, the connection's local id).
    Held { seq: i64 },
    /// The push failed; the next attempt is due at this time (UTC ms).
    Failed { kind: FailureKind, message: String, next_attempt_at: i64 },
}

/// What one push of one stream did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamReport {
    pub stream: &'static str,
    /// Rows the centre stored in this run.
    pub accepted: u64,
    /// Rows it already had.
    pub duplicates: u64,
    pub batches: u64,
    pub finish: Finish,
}

impl StreamReport {
    pub fn new(stream: &'static str) -> Self {
        Self { stream, accepted: 0, duplicates: 0, batches: 0, finish: Finish::Drained }
    }
}

/// Records a failed push of `stream` with its backoff, and answers how the push ended.
pub(crate) async fn record_failure(
    store: &Store,
    stream: &str,
    kind: FailureKind,
    message: String,
) -> ZcResult<Finish> {
    let failures = store.push_failures(stream).await?;
    let next_attempt_at = store.now() + failure::delay(kind, failures as u32 + 1).as_millis() as i64;
    store.record_push_failure(stream, &message, next_attempt_at).await?;
    Ok(Finish::Failed { kind, message, next_attempt_at })
}

/// Pushes everything pending, in the order the centre needs it: connection definitions first
/// (the history of a connection names it), then people (their changes; `audit` records what the centre refused), then widget configurations (`audit` records what
/// the centre answered, as the console), then the activity log, then the time series a batch
/// of each at a time, with the activity log drained again between rounds, so a backlog of
/// metrics never keeps an operator's acknowledgement waiting for more than one batch each. A
/// failure to reach the centre ends the run (the other streams would fail the same way); a
/// held stream stops alone.
pub async fn push_all(
    store: &Store,
    central: &PgPool,
    console: Uuid,
    by: &str,
    audit: &Audit,
) -> ZcResult<Vec<StreamReport>> {
    let reports = push_in_order(store, central, console, by, audit).await?;
    // A failure to reach the centre is every waiting stream's: each shows it, and backs off.
    if let Some(StreamReport { finish: Finish::Failed { kind, message, .. }, .. }) =
        reports.iter().find(|r| matches!(r.finish, Finish::Failed { .. }))
    {
        let mut all = reports.clone();
        for (other, _) in store.streams_due().await? {
            if reports.iter().any(|r| r.stream == other) {
                continue;
            }
            let mut r = StreamReport::new(other);
            r.finish = record_failure(store, other, *kind, message.clone()).await?;
            all.push(r);
        }
        return Ok(all);
    }
    Ok(reports)
}

async fn push_in_order(
    store: &Store,
    central: &PgPool,
    console: Uuid,
    by: &str,
    audit: &Audit,
) -> ZcResult<Vec<StreamReport>> {
    let mut reports = Vec::new();
    let failed = |r: &StreamReport| matches!(r.finish, Finish::Failed { .. });
    let c = connections::push(store, central, by).await?;
    let stop = failed(&c);
    reports.push(c);
    if stop {
        return Ok(reports);
    }
    let p = people::push(store, central, audit).await?;
    let stop = failed(&p);
    reports.push(p);
    if stop {
        return Ok(reports);
    }
    let w = widgets::push(store, central, audit).await?;
    let stop = failed(&w);
    reports.push(w);
    if stop {
        return Ok(reports);
    }
    let mut activity = activity::push(store, central).await?;
    if failed(&activity) {
        reports.push(activity);
        return Ok(reports);
    }
    let mut series: Vec<StreamReport> = Series::ALL.iter().map(|s| StreamReport::new(s.stream())).collect();
    let mut open: Vec<Series> = Series::ALL.to_vec();
    while !open.is_empty() {
        let mut still = Vec::new();
        for s in open {
            let r = series::push(store, central, console, s, Some(1)).await?;
            let slot = series.iter_mut().find(|x| x.stream == s.stream()).expect("every series has a report");
            slot.accepted += r.accepted;
            slot.duplicates += r.duplicates;
            slot.batches += r.batches;
            slot.finish = r.finish.clone();
            if failed(&r) {
                reports.push(activity);
                reports.extend(series);
                return Ok(reports);
            }
            if r.batches > 0 && r.finish == Finish::Drained {
                still.push(s);
            }
        }
        open = still;
        // What happened meanwhile (an acknowledgement, a status change's entry) goes first.
        let more = activity::push(store, central).await?;
        activity.accepted += more.accepted;
        activity.duplicates += more.duplicates;
        activity.batches += more.batches;
        activity.finish = more.finish;
        if failed(&activity) {
            break;
        }
    }
    reports.push(activity);
    reports.extend(series);
    Ok(reports)
}
