//! What the monitor has made and not yet written (metrics rows and status changes), with the
//! run's account of all of it. In memory only: the writer moves it into the database and removes
//! it from here only once its transaction has committed.

use std::collections::VecDeque;
use zc_domain::RunAccount;
use zc_domain::point::PointSample;
use zc_domain::probe::RequestMetric;
use zc_store::{RunWritten, StatusChange};

/// Metrics kept in memory while the database cannot take them (a full disk): about 50 MB, or
/// 8 minutes of 1,000 stations at one probe a second. Past that, new rows are dropped and counted;
/// the oldest stay, because the batch being written is always the front of the queue.
pub(crate) const MAX_QUEUED_ROWS: usize = 500_000;
/// Status changes are rare; this bound is only a guard against unbounded memory.
pub(crate) const MAX_QUEUED_CHANGES: usize = 100_000;

/// A status change waiting to be written, with the name the events carry.
#[derive(Debug, Clone)]
pub(crate) struct QueuedChange {
    pub change: StatusChange,
    pub name: String,
}

/// A metrics row waiting to be written, with the point samples its probe read: they are written
/// in the same transaction, so the row's account covers them.
#[derive(Debug, Clone)]
pub(crate) struct QueuedRow {
    pub metric: RequestMetric,
    pub points: std::sync::Arc<[PointSample]>,
    pub name: String,
}

#[derive(Default)]
pub(crate) struct Queue {
    pub metrics: VecDeque<QueuedRow>,
    pub changes: VecDeque<QueuedChange>,
    /// Made, dropped, written and discarded; the held counts are the queues' lengths.
    account: RunAccount,
}

impl Queue {
    pub fn probed(&mut self) {
        self.account.probes += 1;
    }

    /// Queues a row; false when it was dropped because the queue is full.
    pub fn push_metric(&mut self, m: QueuedRow) -> bool {
        let a = &mut self.account;
        push_bounded(&mut self.metrics, m, MAX_QUEUED_ROWS, &mut a.rows_made, &mut a.rows_dropped)
    }

    /// Queues a status change; false when it was dropped because the queue is full.
    pub fn push_change(&mut self, c: QueuedChange) -> bool {
        let a = &mut self.account;
        push_bounded(&mut self.changes, c, MAX_QUEUED_CHANGES, &mut a.transitions_made, &mut a.transitions_dropped)
    }

    pub fn account(&self) -> RunAccount {
        RunAccount { rows_held: self.metrics.len() as u64, transitions_held: self.changes.len() as u64, ..self.account }
    }

    /// The first `rows` metrics and `changes` status changes were committed as one batch with
    /// these counts: they leave the queue now, and not before.
    pub fn settle(&mut self, rows: usize, changes: usize, batch: RunWritten) -> (Vec<QueuedRow>, Vec<QueuedChange>) {
        let settled_rows = self.metrics.drain(..rows).collect();
        self.account.rows_written += batch.rows_written;
        self.account.rows_discarded += batch.rows_discarded;
        self.account.transitions_written += batch.transitions_written;
        self.account.transitions_discarded += batch.transitions_discarded;
        (settled_rows, self.changes.drain(..changes).collect())
    }

    /// As [`Queue::settle`], for a batch found already committed: the ledger's totals are the truth.
    pub fn settle_to_totals(
        &mut self,
        rows: usize,
        changes: usize,
        totals: RunWritten,
    ) -> (Vec<QueuedRow>, Vec<QueuedChange>) {
        let a = &self.account;
        let batch = RunWritten {
            rows_written: totals.rows_written.saturating_sub(a.rows_written),
            rows_discarded: totals.rows_discarded.saturating_sub(a.rows_discarded),
            transitions_written: totals.transitions_written.saturating_sub(a.transitions_written),
            transitions_discarded: totals.transitions_discarded.saturating_sub(a.transitions_discarded),
        };
        self.settle(rows, changes, batch)
    }
}

/// Counts `item` as made and queues it at the back, or counts it as dropped when the queue is at
/// `cap` (the front, which the writer may be writing, never moves).
fn push_bounded<T>(queue: &mut VecDeque<T>, item: T, cap: usize, made: &mut u64, dropped: &mut u64) -> bool {
    *made += 1;
    if queue.len() >= cap {
        *dropped += 1;
        return false;
    }
    queue.push_back(item);
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_queue_drops_the_newest_and_counts_it() {
        let (mut q, mut made, mut dropped) = (VecDeque::new(), 0, 0);
        for i in 0..5 {
            push_bounded(&mut q, i, 3, &mut made, &mut dropped);
        }
        assert_eq!((made, dropped), (5, 2));
        assert_eq!(q, [0, 1, 2], "the front, which a batch may be writing, stays as it was");
    }

    #[test]
    fn rows_leave_only_when_settled_and_the_account_balances() {
        let mut q = Queue::default();
        for i in 0..4 {
            let metric = RequestMetric {
                connection_id: 1,
                at_ms: i,
                latency_us: 1,
                http_status: Some(200),
                request_bytes: 1,
                response_bytes: 1,
                outcome: zc_domain::Outcome::Ok,
            };
            q.push_metric(QueuedRow { metric, points: Vec::new().into(), name: "c".into() });
        }
        q.settle(3, 0, RunWritten { rows_written: 2, rows_discarded: 1, ..Default::default() });
        let a = q.account();
        assert_eq!((a.rows_made, a.rows_written, a.rows_discarded, a.rows_held), (4, 2, 1, 1));
        assert_eq!(a.rows_unaccounted(), 0);
        assert_eq!(q.metrics.front().map(|m| m.metric.at_ms), Some(3));
    }
}
