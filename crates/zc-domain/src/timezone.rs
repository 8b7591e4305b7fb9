//! Times in a person's zone. Stored times are UTC milliseconds; what a person reads is in the
//! zone of their profile (IANA database through chrono-tz, so daylight saving is right on both
//! sides of a change), with the offset shown, so a time read aloud over the radio is never
//! ambiguous.

use crate::error::{ZcError, ZcResult};
use chrono::{DateTime, LocalResult, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

/// An IANA zone name (Europe/Berlin, America/New_York, UTC).
pub fn parse_zone(name: &str) -> ZcResult<Tz> {
    name.parse::<Tz>().map_err(|_| {
        ZcError::invalid(format!(
            "'{name}' is not a time zone of the IANA database; use a name such as Europe/Berlin, America/Chicago or UTC"
        ))
    })
}

/// `2026-03-29T03:30:00+02:00`: the time in `tz`, with its offset.
pub fn format_in(ms: i64, tz: Tz) -> String {
    match DateTime::<Utc>::from_timestamp_millis(ms) {
        Some(t) => t.with_timezone(&tz).to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        None => ms.to_string(),
    }
}

/// A wall-clock time typed in `tz` (`2026-03-29T02:30`, seconds optional) as UTC ms. A time that
/// does not exist (skipped by a spring-forward) is refused; one that exists twice (an autumn
/// hour) is refused too, with both readings offered, rather than guessed.
pub fn parse_local(s: &str, tz: Tz) -> ZcResult<i64> {
    let naive = ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s.trim(), f).ok())
        .ok_or_else(|| ZcError::invalid(format!("'{s}' is not a date and time; write 2026-12-01T14:30")))?;
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(t) => Ok(t.timestamp_millis()),
        LocalResult::Ambiguous(a, b) => Err(ZcError::invalid(format!(
            "{s} happens twice in {tz} (the clocks go back); write it with its offset: {} or {}",
            a.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            b.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        ))),
        LocalResult::None => {
            Err(ZcError::invalid(format!("{s} does not exist in {tz} (the clocks go forward); choose another time")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_follow_daylight_saving() {
        let berlin = parse_zone("Europe/Berlin").unwrap();
        // 2026-03-29 01:00 UTC is the change: 02:00 CET becomes 03:00 CEST.
        let before = 1_774_745_999_000; // 00:59:59 UTC
        assert_eq!(format_in(before, berlin), "2026-03-29T01:59:59+01:00");
        assert_eq!(format_in(before + 1000, berlin), "2026-03-29T03:00:00+02:00");
        assert_eq!(format_in(before + 1000, parse_zone("UTC").unwrap()), "2026-03-29T01:00:00Z");
    }

    #[test]
    fn a_typed_local_time_that_is_skipped_or_doubled_is_refused() {
        let berlin = parse_zone("Europe/Berlin").unwrap();
        assert_eq!(parse_local("2026-03-29T03:00", berlin).unwrap(), 1_774_746_000_000);
        assert!(parse_local("2026-03-29T02:30", berlin).unwrap_err().message.contains("does not exist"));
        let e = parse_local("2026-10-25T02:30", berlin).unwrap_err().message;
        assert!(e.contains("+02:00") && e.contains("+01:00"), "{e}");
        assert!(parse_zone("Berlin").unwrap_err().message.contains("IANA"));
    }
}
