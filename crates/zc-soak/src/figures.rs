//! The soak's figures: per fault kind, how often it was injected and what went missing.

use crate::checks::Observed;
use crate::plan::{Free, IoKind, StopKind};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::time::Duration;

#[derive(Default)]
struct Kind {
    rounds: u64,
    /// Rows missing in the rounds of this kind that had no SIGKILL (and whose disk was freed
    /// before the monitor ended): must be 0.
    missing: u64,
    killed_rounds: u64,
    /// Rows missing in the rounds of this kind that also had a SIGKILL: bounded.
    killed_missing: u64,
}

#[derive(Default)]
pub struct Figures {
    rounds: u64,
    failed: Vec<u64>,
    kinds: BTreeMap<&'static str, Kind>,
    kill_missing_max: u64,
    kill_bound_max: u64,
    reported_exact: u64,
    reported_rounds: u64,
    requests: u64,
    rows: u64,
    dropped: u64,
    discarded: u64,
}

/// The fault kinds a round really had (an I/O fault counts only if the library injected it).
fn kinds(o: &Observed) -> Vec<&'static str> {
    let mut k = vec![match o.plan.stop {
        StopKind::Term => "A. clean stop: SIGTERM",
        StopKind::Int => "A. clean stop: SIGINT (Ctrl-C)",
        StopKind::Timed => "A. clean stop: timed (--for)",
    }];
    let mut faults = 0;
    if o.edited || o.removed {
        faults += 1;
        k.push("B. edit or removal while probing");
    }
    if o.edited {
        k.push("B1. edit (interval, timeout or rename)");
    }
    if o.removed {
        k.push("B2. removal");
    }
    if o.disk_filled {
        faults += 1;
        k.push("C. disk full");
        k.push(match o.plan.disk.map(|d| d.1) {
            Some(Free::After(_)) => "C1. disk full, freed before the stop",
            Some(Free::InGrace(_)) => "C2. disk full at the stop, freed within the grace",
            _ => "C3. disk full at the stop, never freed (loss reported)",
        });
    }
    if o.kill_ms.is_some() {
        faults += 1;
        k.push("D. SIGKILL, then a restart");
    }
    if !o.io_fired.trim().is_empty() {
        faults += 1;
        k.push("E. I/O error at the SQLite layer");
        k.push(match o.plan.io.map(|i| i.0) {
            Some(IoKind::Write) => "E1. failed write (EIO)",
            Some(IoKind::Fsync) => "E2. failed fsync (EIO)",
            _ => "E3. short write, then ENOSPC",
        });
    }
    if faults >= 2 {
        k.push("F. combination of two or more of B-E");
    }
    k
}

impl Figures {
    pub fn add(&mut self, round: u64, o: &Observed, ok: bool) {
        self.rounds += 1;
        if !ok {
            self.failed.push(round);
        }
        for name in kinds(o) {
            let k = self.kinds.entry(name).or_default();
            k.rounds += 1;
            if o.kill_ms.is_some() {
                k.killed_rounds += 1;
                k.killed_missing += o.missing;
            } else if !o.full_at_exit {
                k.missing += o.missing;
            }
        }
        if o.kill_ms.is_some() {
            self.kill_missing_max = self.kill_missing_max.max(o.missing);
            self.kill_bound_max = self.kill_bound_max.max(o.kill_bound.unwrap_or(0));
        }
        if o.full_at_exit {
            self.reported_rounds += 1;
            self.reported_exact += (o.reported_loss == Some(o.missing)) as u64;
        }
        self.requests += o.requests.iter().sum::<u64>();
        self.rows += o.rows;
        self.dropped += o.dropped;
        self.discarded += o.discarded;
    }

    pub fn failed(&self) -> &[u64] {
        &self.failed
    }

    pub fn report(&self, seed: u64, wall: Duration) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "seed {seed}: {} rounds in {:.1} min, {} failed",
            self.rounds,
            wall.as_secs_f64() / 60.0,
            self.failed.len()
        );
        let _ = writeln!(
            s,
            "\n| fault kind | rounds | rows lost (rounds without SIGKILL) | of those rounds, also SIGKILLed | rows lost there (bounded) |"
        );
        let _ = writeln!(s, "|---|---:|---:|---:|---:|");
        for (name, k) in &self.kinds {
            let _ =
                writeln!(s, "| {name} | {} | {} | {} | {} |", k.rounds, k.missing, k.killed_rounds, k.killed_missing);
        }
        let _ = writeln!(
            s,
            "\nrequests {}, rows {}; rows dropped (memory bound) {}; rows discarded (connection removed) {}",
            self.requests, self.rows, self.dropped, self.discarded
        );
        let _ = writeln!(
            s,
            "after SIGKILL: at most {} rows missing in a round (its bound at most {}); full disk at exit: loss reported exactly in {} of {} rounds",
            self.kill_missing_max, self.kill_bound_max, self.reported_exact, self.reported_rounds
        );
        s
    }
}
