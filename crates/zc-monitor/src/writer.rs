//! The monitor's one writer: it moves queued metrics and status changes into the database in
//! batches, each batch in one transaction together with the run's ledger.
//!
//! Cancellation safety, by construction rather than by care:
//! - a batch is a copy of the front of the queues; it leaves the queues only after its commit
//!   succeeded, so a write that fails, or a future dropped at any await, loses nothing;
//! - the batch's number is recorded as "uncertain" before the write starts; the next attempt
//!   writes the same rows under the same number, and the ledger turns it into a no-op if the
//!   earlier COMMIT took effect after all (an error reported by COMMIT does not prove it did not),
//!   so a retry never writes a duplicate.

use crate::monitor::{Monitor, MonitorEvent};
use crate::queue::{QueuedChange, QueuedRow};
use zc_domain::ZcResult;
use zc_domain::point::PointBatch;
use zc_store::{BatchOutcome, RunCounts, StatusChange};

/// Rows per transaction: large enough to catch up quickly after an outage of the disk, small
/// enough that one transaction stays short.
const MAX_BATCH_ROWS: usize = 20_000;
const MAX_BATCH_CHANGES: usize = 1_000;

/// What the writer knows between attempts (guarded by one async mutex: one writer at a time).
/// No `Default`: batch numbers start at 1, because the ledger's `last_batch` starts at 0.
#[derive(Debug)]
pub(crate) struct WriteState {
    next_seq: i64,
    /// The batch last attempted without a known outcome: (number, rows, changes).
    uncertain: Option<(i64, usize, usize)>,
    /// Failed attempts in a row, for the log.
    failures: u64,
}

impl WriteState {
    pub fn new() -> Self {
        WriteState { next_seq: 1, uncertain: None, failures: 0 }
    }
}

/// What one [`Monitor::flush`] wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FlushReport {
    pub rows: u64,
    pub changes: u64,
}

impl Monitor {
    /// Writes what was queued when it was called, batch by batch (more than one only for a
    /// backlog), and returns what it wrote. Stops at the first batch that cannot be written and
    /// returns its error; that batch and the rest stay queued.
    ///
    /// Rows that arrive during the flush wait for the next one (the tick, or a status change's
    /// wake-up). Draining until the queue was empty instead kept the writer in a loop of tiny
    /// batches, each with its fsync and its alarm pass: at 1,000 stations a second, about 45
    /// batches a second of 20 rows, where one a second was meant.
    pub async fn flush(&self) -> ZcResult<FlushReport> {
        let mut state = self.writer.lock().await;
        let mut report = FlushReport::default();
        let (mut rows_left, mut changes_left) = {
            let q = self.queue.lock().unwrap();
            (q.metrics.len(), q.changes.len())
        };
        loop {
            let (seq, rows, changes, metrics, points, queued, counts) = {
                let q = self.queue.lock().unwrap();
                let (seq, rows, changes) = state.uncertain.unwrap_or((
                    state.next_seq,
                    q.metrics.len().min(MAX_BATCH_ROWS).min(rows_left),
                    q.changes.len().min(MAX_BATCH_CHANGES).min(changes_left),
                ));
                if rows == 0 && changes == 0 {
                    return Ok(report);
                }
                let metrics: Vec<_> = q.metrics.iter().take(rows).map(|r| r.metric.clone()).collect();
                let points: Vec<PointBatch> = q
                    .metrics
                    .iter()
                    .take(rows)
                    .filter(|r| !r.points.is_empty())
                    .map(|r| PointBatch {
                        connection_id: r.metric.connection_id,
                        // When the answer was in: the probe started at `at_ms`.
                        received_at: r.metric.at_ms + r.metric.latency_us / 1000,
                        samples: r.points.clone(),
                    })
                    .collect();
                let queued: Vec<QueuedChange> = q.changes.iter().take(changes).cloned().collect();
                (seq, rows, changes, metrics, points, queued, RunCounts::from(&q.account()))
            };
            // Before the first await: if this future is dropped mid-write, the next attempt
            // still knows which batch may have committed.
            state.uncertain = Some((seq, rows, changes));
            let changes_only: Vec<StatusChange> = queued.iter().map(|c| c.change.clone()).collect();
            let outcome = self.store.write_batch(self.run_id, seq, &metrics, &points, &changes_only, counts).await;
            // The rows written, and the status changes written, each with the `from` it was
            // written with.
            let (samples, written): (Vec<QueuedRow>, Vec<(QueuedChange, zc_domain::Status)>) = match outcome {
                Ok(BatchOutcome::Written(batch, froms)) => {
                    report.rows += batch.rows_written;
                    report.changes += batch.transitions_written;
                    let (rows, settled) = self.queue.lock().unwrap().settle(rows, changes, batch);
                    (rows, settled.into_iter().zip(froms).filter_map(|(c, from)| Some((c, from?))).collect())
                }
                Ok(BatchOutcome::AlreadyWritten(totals)) => {
                    // Which of its changes were written is not known here: no events for them
                    // (watchers read the history from the database anyway).
                    tracing::warn!(batch = seq, "a batch reported as failed had been committed; not written again");
                    self.queue.lock().unwrap().settle_to_totals(rows, changes, totals);
                    (Vec::new(), Vec::new())
                }
                Err(e) => {
                    state.failures += 1;
                    // Once, then every minute or so at one attempt a second.
                    if state.failures == 1 || state.failures.is_multiple_of(60) {
                        tracing::error!(
                            attempts = state.failures,
                            queued_rows = self.queue.lock().unwrap().metrics.len(),
                            "cannot write to the database; everything stays queued and is retried: {e}"
                        );
                    }
                    return Err(e);
                }
            };
            if state.failures > 0 {
                tracing::info!(failed_attempts = state.failures, "the database takes writes again");
                state.failures = 0;
            }
            state.uncertain = None;
            state.next_seq = seq + 1;
            rows_left = rows_left.saturating_sub(rows);
            changes_left = changes_left.saturating_sub(changes);
            // Rows of a connection removed meanwhile were discarded, not written; an event for
            // them only names a connection that is gone, which watchers ignore.
            for r in samples {
                let _ = self.events.send(MonitorEvent::Sample {
                    connection_id: r.metric.connection_id,
                    name: r.name,
                    metric: r.metric,
                    points: r.points,
                });
            }
            for (c, from) in written {
                let _ = self.events.send(MonitorEvent::Transition {
                    connection_id: c.change.connection_id,
                    name: c.name,
                    transition: zc_domain::Transition { from, ..c.change.transition },
                    detail: c.change.detail,
                });
            }
        }
    }
}
