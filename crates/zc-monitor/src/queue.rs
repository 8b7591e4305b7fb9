//! What the monitor has made and not yet written (metrics rows and status changes), with the
//! run's account of all of it. In memory only: the writer moves it into the database and removes
//! it from here only once its transaction has committed.

use std::collections::VecDeque;
use zc_domain::RunAccount;
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

#[derive(Default)]
pub(crate) struct Queue {
    pub metrics: VecDeque<RequestMetric>,
    pub changes: VecDeque<QueuedChange>,
    /// Made, dropped, written and discarded; the held counts are the queues' lengths.
    account: RunAccount,
}

impl Queue {
    pub fn probed(&mut self) {
        self.account.probes += 1;
    }

    /// Queues a row; false when it was dropped because the queue is full.
    pub fn push_metric(&mut self, m: RequestMetric) -> bool {
        self.account.rows_made += 1;
        if self.metrics.len() >= MAX_QUEUED_ROWS {
            self.account.rows_dropped += 1;
            return false;
        }
        self.metrics.push_back(m);
        true
    }

    pub fn push_change(&mut self, c: QueuedChange) -> bool {
        self.account.transitions_made += 1;
        if self.changes.len() >= MAX_QUEUED_CHANGES {
            self.account.transitions_dropped += 1;
            return false;
        }
        self.changes.push_back(c);
        true
    }

    pub fn account(&self) -> RunAccount {
        RunAccount { rows_held: self.metrics.len() as u64, transitions_held: self.changes.len() as u64, ..self.account }
    }

    /// The first `rows` metrics and `changes` status changes were committed as one batch with
    /// these counts: they leave the queue now, and not before.
    pub fn settle(&mut self, rows: usize, changes: usize, batch: RunWritten) -> Vec<QueuedChange> {
        self.metrics.drain(..rows);
        self.account.rows_written += batch.rows_written;
        self.account.rows_discarded += batch.rows_discarded;
        self.account.transitions_written += batch.transitions_written;
        self.account.transitions_discarded += batch.transitions_discarded;
        self.changes.drain(..changes).collect()
    }

    /// As [`Queue::settle`], for a batch found already committed: the ledger's totals are the truth.
    pub fn settle_to_totals(&mut self, rows: usize, changes: usize, totals: RunWritten) -> Vec<QueuedChange> {
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
