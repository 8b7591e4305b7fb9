//! A monitor run's account: every metrics row and status change it made, and where each went.
//!
//! The rule is conservation: `made = written + held + dropped + discarded`.
//! - *written*: committed to the database (and counted in the run's ledger row in the same
//!   transaction);
//! - *held*: in memory, waiting for the database; at a stop, whatever is still held is lost;
//! - *dropped*: given up while the database refused writes for too long (the memory bound);
//! - *discarded*: belonged to a connection removed while it was probed; its data went with it,
//!   by the user's decision, so this is not a loss.
//!
//! A run is clean when, at its stop, nothing is held or dropped, the sums balance, and the
//! database, read back through a fresh connection, holds what the monitor counted as written.

use crate::timefmt::rfc3339;
use serde::Serialize;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RunAccount {
    /// Probes completed (a probe that could send no request, e.g. without a key, makes no row).
    pub probes: u64,
    pub rows_made: u64,
    pub rows_written: u64,
    pub rows_held: u64,
    pub rows_dropped: u64,
    /// Not written: their connection was removed meanwhile.
    pub rows_discarded: u64,
    pub transitions_made: u64,
    pub transitions_written: u64,
    pub transitions_held: u64,
    pub transitions_dropped: u64,
    /// Not written: their connection was removed meanwhile, or was already in that status.
    pub transitions_discarded: u64,
}

/// What a run lost, in one line for the operator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunLoss {
    pub rows: u64,
    pub transitions: u64,
    pub message: String,
}

impl RunAccount {
    /// Rows neither written, held, dropped nor discarded: always 0 unless there is a bug.
    pub fn rows_unaccounted(&self) -> i64 {
        self.rows_made as i64 - (self.rows_written + self.rows_held + self.rows_dropped + self.rows_discarded) as i64
    }

    pub fn transitions_unaccounted(&self) -> i64 {
        self.transitions_made as i64
            - (self.transitions_written + self.transitions_held + self.transitions_dropped + self.transitions_discarded)
                as i64
    }

    /// The loss of a run that has stopped with this account. `in_database` is what the run's
    /// ledger row says was written (rows, status changes), read back after the stop (`None`: it
    /// could not be read, which the caller reports apart). `why_held` says why held data could
    /// not be written.
    pub fn loss_at_stop(&self, in_database: Option<(u64, u64)>, why_held: Option<&str>) -> Option<RunLoss> {
        let mut parts = Vec::new();
        let (mut rows, mut transitions) = (0u64, 0u64);
        if self.rows_held > 0 || self.transitions_held > 0 {
            rows += self.rows_held;
            transitions += self.transitions_held;
            parts.push(format!(
                "{} metrics rows and {} status changes could not be written before the stop{}",
                self.rows_held,
                self.transitions_held,
                why_held.map(|w| format!(" ({w})")).unwrap_or_default()
            ));
        }
        if self.rows_dropped > 0 || self.transitions_dropped > 0 {
            rows += self.rows_dropped;
            transitions += self.transitions_dropped;
            parts.push(format!(
                "{} metrics rows and {} status changes were dropped while the database refused writes for too long",
                self.rows_dropped, self.transitions_dropped
            ));
        }
        let (ru, tu) = (self.rows_unaccounted(), self.transitions_unaccounted());
        if ru != 0 || tu != 0 {
            rows += ru.unsigned_abs();
            transitions += tu.unsigned_abs();
            parts.push(format!(
                "{ru} metrics rows and {tu} status changes are unaccounted for (a bug: please report it with the log)"
            ));
        }
        match in_database {
            Some((r, t)) if r != self.rows_written || t != self.transitions_written => {
                rows += self.rows_written.abs_diff(r);
                transitions += self.transitions_written.abs_diff(t);
                parts.push(format!(
                    "the database holds {r} metrics rows and {t} status changes of this run, but {} and {} were written",
                    self.rows_written, self.transitions_written
                ));
            }
            _ => {}
        }
        if parts.is_empty() {
            return None;
        }
        Some(RunLoss { rows, transitions, message: format!("monitoring lost data: {}", parts.join("; ")) })
    }
}

/// A run that ended without a clean stop (killed, crashed, power lost, or the stop could not be
/// written), as the next start finds it in the database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InterruptedRun {
    pub run_id: i64,
    pub pid: i64,
    pub started_at: i64,
    /// Its last durable write: everything before it is accounted for in the database.
    pub last_write_at: i64,
    /// Made but not yet written at that moment, so lost.
    pub rows_waiting: u64,
    pub transitions_waiting: u64,
    /// What the connections produce per minute: rows made after the last write are lost too.
    pub rows_per_minute: u64,
}

impl InterruptedRun {
    /// At most this many rows are missing if the run ended `ms_after_last_write` after its last
    /// write: those waiting then, those made since, and one probe in flight per connection.
    pub fn missing_at_most(&self, ms_after_last_write: i64, connections: u64) -> u64 {
        let since = (self.rows_per_minute as u128 * ms_after_last_write.max(0) as u128).div_ceil(60_000) as u64;
        self.rows_waiting + since + connections
    }

    pub fn message(&self) -> String {
        let rate = if self.rows_per_minute >= 60 {
            format!("about {} rows a second", self.rows_per_minute.div_ceil(60))
        } else {
            format!("about {} rows a minute", self.rows_per_minute)
        };
        format!(
            "the previous monitor run (pid {}, started {}) did not stop cleanly. Its last write was at {}; missing are the {} metrics rows and {} status changes still waiting then, and what it probed after that until it ended ({rate}). The time since is recorded as unknown",
            self.pid,
            rfc3339(self.started_at),
            rfc3339(self.last_write_at),
            self.rows_waiting,
            self.transitions_waiting,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn balanced() -> RunAccount {
        RunAccount {
            probes: 12,
            rows_made: 10,
            rows_written: 7,
            rows_discarded: 3,
            transitions_made: 2,
            transitions_written: 2,
            ..Default::default()
        }
    }

    #[test]
    fn a_balanced_account_whose_rows_are_in_the_database_lost_nothing() {
        assert_eq!(balanced().loss_at_stop(Some((7, 2)), None), None);
    }

    #[test]
    fn rows_still_held_at_the_stop_are_lost_and_say_why() {
        let a = RunAccount { rows_written: 5, rows_held: 2, ..balanced() };
        let loss = a.loss_at_stop(Some((5, 2)), Some("the disk is full")).unwrap();
        assert_eq!((loss.rows, loss.transitions), (2, 0));
        assert!(loss.message.contains("2 metrics rows") && loss.message.contains("the disk is full"), "{loss:?}");
    }

    #[test]
    fn rows_that_vanished_without_a_trace_are_unaccounted() {
        // The bug this account exists for: rows taken from memory whose write never happened.
        let a = RunAccount { rows_written: 1, rows_discarded: 0, ..balanced() };
        let loss = a.loss_at_stop(Some((1, 2)), None).unwrap();
        assert_eq!(loss.rows, 9);
        assert!(loss.message.contains("unaccounted"), "{loss:?}");
    }

    #[test]
    fn a_database_that_disagrees_with_the_count_is_a_loss() {
        let loss = balanced().loss_at_stop(Some((6, 2)), None).unwrap();
        assert_eq!(loss.rows, 1);
        assert!(loss.message.contains("holds 6 metrics rows"), "{loss:?}");
    }

    #[test]
    fn dropped_rows_are_a_loss() {
        let a = RunAccount { rows_written: 4, rows_dropped: 3, ..balanced() };
        assert_eq!(a.loss_at_stop(Some((4, 2)), None).unwrap().rows, 3);
    }

    #[test]
    fn an_interrupted_run_bounds_what_may_be_missing() {
        let r = InterruptedRun {
            run_id: 1,
            pid: 7,
            started_at: 0,
            last_write_at: 1_000,
            rows_waiting: 4,
            transitions_waiting: 0,
            rows_per_minute: 600,
        };
        // 10 rows a second for 1.5 s, plus the 4 waiting and one in flight per connection.
        assert_eq!(r.missing_at_most(1_500, 2), 4 + 15 + 2);
        assert!(r.message().contains("did not stop cleanly"));
    }
}
