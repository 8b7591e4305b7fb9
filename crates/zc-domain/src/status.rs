//! The connection status state machine. See `docs/status-model.md`.
//!
//! A change is declared only after `confirm` consecutive probes agree, so one lost packet is not
//! an outage. While the console itself is offline, failures say nothing about the backend:
//! the connection goes to `Unknown` (observer offline) and that time is not downtime.

use crate::probe::{FailureCategory, Outcome};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Unknown,
    Online,
    Degraded,
    Offline,
    Unauthorized,
    /// The station answers, but the console refuses its certificate (not trusted, or not the
    /// pinned one). Never `offline`: the station is there.
    Untrusted,
}

impl Status {
    pub const ALL: [Status; 6] =
        [Status::Unknown, Status::Online, Status::Degraded, Status::Offline, Status::Unauthorized, Status::Untrusted];
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Unknown => "unknown",
            Status::Online => "online",
            Status::Degraded => "degraded",
            Status::Offline => "offline",
            Status::Unauthorized => "unauthorized",
            Status::Untrusted => "untrusted",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// What one probe says the status should be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Observation {
    pub outcome: Outcome,
    pub latency_ms: i64,
    /// False when the console has no network of its own at the time of the probe.
    pub observer_online: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    /// Consecutive agreeing probes needed before a change is declared.
    pub confirm: u32,
    /// A successful response slower than this counts as degraded.
    pub degraded_latency_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Transition {
    pub from: Status,
    pub to: Status,
    pub at_ms: i64,
    pub error_category: Option<FailureCategory>,
    /// True when the change is caused by the console losing its own network.
    pub observer_offline: bool,
}

/// What a single observation points to, before confirmation.
fn target(obs: &Observation, rules: &Rules) -> (Status, Option<FailureCategory>, bool) {
    match obs.outcome {
        Outcome::Ok if obs.latency_ms > rules.degraded_latency_ms => (Status::Degraded, None, false),
        Outcome::Ok => (Status::Online, None, false),
        Outcome::Failed(c) if !obs.observer_online && c.is_network_level() => (Status::Unknown, Some(c), true),
        Outcome::Failed(c @ FailureCategory::CertificateUntrusted) => (Status::Untrusted, Some(c), false),
        Outcome::Failed(c @ (FailureCategory::Unauthorized | FailureCategory::KeyMissing)) => {
            (Status::Unauthorized, Some(c), false)
        }
        Outcome::Failed(c) => (Status::Offline, Some(c), false),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusTracker {
    pub status: Status,
    /// The status the recent probes point to, and how many agreed in a row.
    candidate: Option<(Status, u32)>,
}

impl StatusTracker {
    pub fn new(status: Status) -> Self {
        Self { status, candidate: None }
    }

    /// Feeds one probe result; returns the transition when a change is confirmed.
    pub fn observe(&mut self, obs: Observation, at_ms: i64, rules: &Rules) -> Option<Transition> {
        let (to, category, observer_offline) = target(&obs, rules);
        if to == self.status {
            self.candidate = None;
            return None;
        }
        let needed = if observer_offline || (self.status == Status::Unknown && to == Status::Online) {
            // Leaving "we don't know" for "it answers" needs no vote, and losing our own network
            // is a fact about us, not a claim about the backend.
            1
        } else {
            rules.confirm.max(1)
        };
        let count = match self.candidate {
            Some((s, n)) if s == to => n + 1,
            _ => 1,
        };
        if count >= needed {
            let t = Transition { from: self.status, to, at_ms, error_category: category, observer_offline };
            self.status = to;
            self.candidate = None;
            Some(t)
        } else {
            self.candidate = Some((to, count));
            None
        }
    }
}

/// A span of time in one status, for downtime and chart bands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct StatusSpan {
    pub status: Status,
    pub from_ms: i64,
    pub to_ms: i64,
    pub observer_offline: bool,
}

/// Turns transitions (oldest first) into spans covering `[from_ms, to_ms)`. `initial` is the
/// status in force at `from_ms` (the last transition before the window).
pub fn spans(initial: Status, transitions: &[(i64, Status, bool)], from_ms: i64, to_ms: i64) -> Vec<StatusSpan> {
    let mut out = Vec::new();
    let (mut cur, mut cur_obs, mut start) = (initial, false, from_ms);
    for &(at, status, obs_off) in transitions {
        if at <= from_ms {
            cur = status;
            cur_obs = obs_off;
            continue;
        }
        if at >= to_ms {
            break;
        }
        if at > start {
            out.push(StatusSpan { status: cur, from_ms: start, to_ms: at, observer_offline: cur_obs });
        }
        cur = status;
        cur_obs = obs_off;
        start = at;
    }
    if to_ms > start {
        out.push(StatusSpan { status: cur, from_ms: start, to_ms, observer_offline: cur_obs });
    }
    out
}

/// Downtime counts only `offline`, `unauthorized` and `untrusted` (unusable either way): `unknown` (including observer offline)
/// is excluded because nobody could see the backend then.
pub fn downtime_ms(spans: &[StatusSpan]) -> i64 {
    spans
        .iter()
        .filter(|s| matches!(s.status, Status::Offline | Status::Unauthorized | Status::Untrusted))
        .map(|s| s.to_ms - s.from_ms)
        .sum()
}

/// Downtime outside maintenance windows (`[start, end)`, possibly overlapping): planned work is
/// not an outage. Returns (downtime, time in maintenance within the spans).
pub fn downtime_outside(spans: &[StatusSpan], windows: &[(i64, i64)]) -> (i64, i64) {
    let mut w: Vec<(i64, i64)> = windows.iter().copied().filter(|(a, b)| b > a).collect();
    w.sort();
    // Merge overlapping windows, so overlap is never counted twice.
    let mut merged: Vec<(i64, i64)> = Vec::new();
    for (a, b) in w {
        match merged.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => merged.push((a, b)),
        }
    }
    let overlap = |from: i64, to: i64| -> i64 { merged.iter().map(|&(a, b)| (b.min(to) - a.max(from)).max(0)).sum() };
    let (from, to) = match (spans.first(), spans.last()) {
        (Some(f), Some(l)) => (f.from_ms, l.to_ms),
        _ => return (0, 0),
    };
    let down = spans
        .iter()
        .filter(|s| matches!(s.status, Status::Offline | Status::Unauthorized | Status::Untrusted))
        .map(|s| (s.to_ms - s.from_ms) - overlap(s.from_ms, s.to_ms))
        .sum();
    (down, overlap(from, to))
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: Rules = Rules { confirm: 3, degraded_latency_ms: 1000 };

    #[test]
    fn maintenance_is_not_downtime() {
        let sp = spans(Status::Online, &[(10, Status::Offline, false), (50, Status::Online, false)], 0, 100);
        assert_eq!(downtime_ms(&sp), 40);
        // A window over part of the outage (and an overlapping one) takes only its part out.
        assert_eq!(downtime_outside(&sp, &[(20, 40), (30, 45), (90, 200)]), (15, 35));
        assert_eq!(downtime_outside(&sp, &[]), (40, 0));
    }

    fn ok(ms: i64) -> Observation {
        Observation { outcome: Outcome::Ok, latency_ms: ms, observer_online: true }
    }
    fn fail(c: FailureCategory) -> Observation {
        Observation { outcome: Outcome::Failed(c), latency_ms: 5, observer_online: true }
    }

    #[test]
    fn one_lost_probe_is_not_an_outage() {
        let mut t = StatusTracker::new(Status::Online);
        assert_eq!(t.observe(fail(FailureCategory::Timeout), 1, &RULES), None);
        assert_eq!(t.observe(ok(10), 2, &RULES), None);
        assert_eq!(t.status, Status::Online);
    }

    #[test]
    fn offline_needs_confirm_consecutive_failures() {
        let mut t = StatusTracker::new(Status::Online);
        assert!(t.observe(fail(FailureCategory::ConnectionRefused), 1, &RULES).is_none());
        assert!(t.observe(fail(FailureCategory::Timeout), 2, &RULES).is_none());
        let tr = t.observe(fail(FailureCategory::ConnectionRefused), 3, &RULES).unwrap();
        assert_eq!((tr.from, tr.to, tr.at_ms), (Status::Online, Status::Offline, 3));
        assert_eq!(tr.error_category, Some(FailureCategory::ConnectionRefused));
        // Recovery also needs confirmation.
        assert!(t.observe(ok(5), 4, &RULES).is_none());
        assert!(t.observe(ok(5), 5, &RULES).is_none());
        assert_eq!(t.observe(ok(5), 6, &RULES).unwrap().to, Status::Online);
    }

    #[test]
    fn first_answer_from_unknown_is_immediate() {
        let mut t = StatusTracker::new(Status::Unknown);
        assert_eq!(t.observe(ok(5), 1, &RULES).unwrap().to, Status::Online);
    }

    #[test]
    fn slow_is_degraded_and_wrong_key_is_unauthorized() {
        let mut t = StatusTracker::new(Status::Online);
        for i in 0..2 {
            assert!(t.observe(ok(5000), i, &RULES).is_none());
        }
        assert_eq!(t.observe(ok(5000), 3, &RULES).unwrap().to, Status::Degraded);
        for i in 0..2 {
            assert!(t.observe(fail(FailureCategory::Unauthorized), i, &RULES).is_none());
        }
        assert_eq!(t.observe(fail(FailureCategory::Unauthorized), 9, &RULES).unwrap().to, Status::Unauthorized);
        // A refused certificate: the station answers, so it is untrusted, never offline.
        let mut t = StatusTracker::new(Status::Online);
        for i in 0..2 {
            assert!(t.observe(fail(FailureCategory::CertificateUntrusted), i, &RULES).is_none());
        }
        assert_eq!(t.observe(fail(FailureCategory::CertificateUntrusted), 3, &RULES).unwrap().to, Status::Untrusted);
    }

    #[test]
    fn observer_offline_is_unknown_not_offline_and_not_downtime() {
        let mut t = StatusTracker::new(Status::Online);
        let mut obs = fail(FailureCategory::Dns);
        obs.observer_online = false;
        let tr = t.observe(obs, 10, &RULES).unwrap();
        assert_eq!(tr.to, Status::Unknown);
        assert!(tr.observer_offline);
        let s = spans(Status::Online, &[(10, Status::Unknown, true), (30, Status::Online, false)], 0, 40);
        assert_eq!(s.len(), 3);
        assert_eq!(downtime_ms(&s), 0);
        let s = spans(Status::Online, &[(10, Status::Offline, false), (30, Status::Online, false)], 0, 40);
        assert_eq!(downtime_ms(&s), 20);
    }

    #[test]
    fn a_broken_answer_while_observer_offline_still_counts() {
        // An HTTP 500 proves the path works, so it is about the backend.
        let mut t = StatusTracker::new(Status::Online);
        let mut obs = fail(FailureCategory::Http5xx);
        obs.observer_online = false;
        assert!(t.observe(obs, 1, &RULES).is_none());
    }
}
