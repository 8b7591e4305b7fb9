//! A station's data points: what one probe read, when a value is worth keeping in history
//! (deadband plus heartbeat), and how fresh a displayed value is.
//!
//! Freshness is the operator's guarantee that an old value is never taken for a live one:
//! - **fresh**: received within the last few probe intervals;
//! - **stale**: older than that (the station stopped answering, or answers without this point);
//! - **unknown**: never received, or the console itself has no network now, so nothing it shows
//!   can be confirmed.
//!
//! The station's own quality (good / uncertain / bad) is shown beside freshness, never mixed in.

use serde::Serialize;

/// The station's own judgement of a value (OPC-style quality, reduced to three levels).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Quality {
    Good,
    Uncertain,
    Bad,
}

impl Quality {
    pub fn as_str(self) -> &'static str {
        match self {
            Quality::Good => "good",
            Quality::Uncertain => "uncertain",
            Quality::Bad => "bad",
        }
    }
    /// Anything a station sends that is not `good` or `uncertain` counts as `bad`: an unknown
    /// word must never make a value look trustworthy.
    pub fn parse_lenient(s: &str) -> Quality {
        match s.to_ascii_lowercase().as_str() {
            "good" => Quality::Good,
            "uncertain" => Quality::Uncertain,
            _ => Quality::Bad,
        }
    }
}

/// One point as one probe read it.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct PointSample {
    /// The station's id of the point, e.g. `north-1.pressure-1`.
    pub point: String,
    pub value: f64,
    pub unit: String,
    pub quality: Quality,
    /// The station's own timestamp of the value, Unix ms (None when it sent none we could read).
    pub source_at: Option<i64>,
}

/// The samples one successful probe read, with the time they were received. Shared, not copied:
/// the same samples sit in the monitor's queue, in the batch being written and in the event.
#[derive(Debug, Clone, PartialEq)]
pub struct PointBatch {
    pub connection_id: i64,
    pub received_at: i64,
    pub samples: std::sync::Arc<[PointSample]>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Freshness {
    Fresh,
    Stale,
    Unknown,
}

impl Freshness {
    pub fn as_str(self) -> &'static str {
        match self {
            Freshness::Fresh => "fresh",
            Freshness::Stale => "stale",
            Freshness::Unknown => "unknown",
        }
    }
}

/// A value older than this many probe intervals (plus the probe's deadline) is stale.
pub const STALE_AFTER_INTERVALS: i64 = 3;

/// How long after it was received a value of a connection probed every `interval_ms` (each
/// probe allowed `timeout_ms`) stays fresh.
pub fn fresh_for_ms(interval_ms: i64, timeout_ms: i64) -> i64 {
    STALE_AFTER_INTERVALS * interval_ms + timeout_ms
}

/// The freshness of a value received at `received_at` (None: never), seen at `now`.
pub fn freshness(received_at: Option<i64>, fresh_for_ms: i64, now: i64, observer_online: bool) -> Freshness {
    match received_at {
        _ if !observer_online => Freshness::Unknown,
        None => Freshness::Unknown,
        Some(at) if now - at <= fresh_for_ms => Freshness::Fresh,
        Some(_) => Freshness::Stale,
    }
}

/// When a new sample goes into the point history: it moved by more than the deadband since the
/// last recorded one, its quality changed, or the heartbeat is due (so a steady value still shows
/// up as recorded, and a gap in history always means no data, never "no change").
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RecordRule {
    /// Absolute deadband in the point's unit; None: [`DEFAULT_DEADBAND_FRACTION`] of the last
    /// recorded value's magnitude (at least of 1 unit).
    pub deadband: Option<f64>,
    pub heartbeat_ms: i64,
}

/// 1 % of the value: below what an operator reads off a display, above a station's jitter.
pub const DEFAULT_DEADBAND_FRACTION: f64 = 0.01;
/// Ten minutes, as common historians' "maximum time between archived values".
pub const DEFAULT_HEARTBEAT_MS: i64 = 10 * 60 * 1000;

impl Default for RecordRule {
    fn default() -> Self {
        RecordRule { deadband: None, heartbeat_ms: DEFAULT_HEARTBEAT_MS }
    }
}

/// The last value written to a point's history.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Recorded {
    pub value: f64,
    pub quality: Quality,
    pub at: i64,
}

impl RecordRule {
    pub fn should_record(&self, last: Option<&Recorded>, value: f64, quality: Quality, at: i64) -> bool {
        let Some(last) = last else { return true };
        if quality != last.quality || at - last.at >= self.heartbeat_ms {
            return true;
        }
        let band = self.deadband.unwrap_or(DEFAULT_DEADBAND_FRACTION * last.value.abs().max(1.0));
        // NaN never compares: a NaN after a number (or the reverse) is a change worth keeping.
        value.is_nan() != last.value.is_nan() || (value - last.value).abs() > band
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn freshness_follows_the_probe_interval_and_the_observer() {
        let f = fresh_for_ms(1000, 2000);
        assert_eq!(f, 5000);
        assert_eq!(freshness(Some(10_000), f, 15_000, true), Freshness::Fresh);
        assert_eq!(freshness(Some(10_000), f, 15_001, true), Freshness::Stale);
        assert_eq!(freshness(None, f, 15_000, true), Freshness::Unknown);
        // The console itself offline: even a value received a moment ago cannot be confirmed.
        assert_eq!(freshness(Some(14_999), f, 15_000, false), Freshness::Unknown);
    }

    #[test]
    fn history_keeps_changes_beyond_the_deadband_quality_changes_and_heartbeats() {
        let rule = RecordRule::default();
        let last = Recorded { value: 100.0, quality: Quality::Good, at: 0 };
        assert!(rule.should_record(None, 1.0, Quality::Good, 0), "the first value is always kept");
        assert!(!rule.should_record(Some(&last), 100.9, Quality::Good, 1000), "inside 1 % of 100");
        assert!(rule.should_record(Some(&last), 101.1, Quality::Good, 1000));
        assert!(rule.should_record(Some(&last), 98.9, Quality::Good, 1000));
        assert!(rule.should_record(Some(&last), 100.0, Quality::Uncertain, 1000));
        assert!(!rule.should_record(Some(&last), 100.0, Quality::Good, DEFAULT_HEARTBEAT_MS - 1));
        assert!(rule.should_record(Some(&last), 100.0, Quality::Good, DEFAULT_HEARTBEAT_MS));
        let fixed = RecordRule { deadband: Some(0.05), heartbeat_ms: 60_000 };
        let small = Recorded { value: 0.2, quality: Quality::Good, at: 0 };
        assert!(fixed.should_record(Some(&small), 0.26, Quality::Good, 10));
        assert!(!fixed.should_record(Some(&small), 0.24, Quality::Good, 10));
        assert!(rule.should_record(Some(&small), f64::NAN, Quality::Good, 10));
    }

    #[test]
    fn unknown_quality_words_are_bad() {
        assert_eq!(Quality::parse_lenient("GOOD"), Quality::Good);
        assert_eq!(Quality::parse_lenient("uncertain"), Quality::Uncertain);
        assert_eq!(Quality::parse_lenient("questionable"), Quality::Bad);
    }
}
