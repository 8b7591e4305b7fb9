//! Timestamps are stored as Unix milliseconds (compact, index-friendly) and shown as RFC 3339.

use crate::error::{ZcError, ZcResult};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

pub fn rfc3339(ms: i64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| ms.to_string())
}

/// The UTC calendar date of a time, `2026-12-01`.
pub fn date(ms: i64) -> String {
    let t = rfc3339(ms);
    t.get(..10).map(str::to_owned).unwrap_or(t)
}

/// An RFC 3339 time as Unix ms, if it is one.
pub fn parse_rfc3339_ms(s: &str) -> Option<i64> {
    OffsetDateTime::parse(s, &Rfc3339).ok().map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64)
}

/// Parses a duration such as `90s`, `15m`, `2h`, `7d` or `500ms`.
pub fn parse_duration_ms(s: &str) -> ZcResult<i64> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: i64 = num.parse().map_err(|_| bad_duration(s))?;
    let mult = match unit {
        "ms" => 1,
        "s" | "" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(bad_duration(s)),
    };
    n.checked_mul(mult).ok_or_else(|| bad_duration(s))
}

fn bad_duration(s: &str) -> ZcError {
    ZcError::invalid(format!("'{s}' is not a duration; use a number with ms, s, m, h or d (e.g. 90s, 15m, 2h, 7d)"))
}

/// Parses `--since`: either a duration back from `now_ms` (`2h`) or an RFC 3339 time.
pub fn parse_since(s: &str, now_ms: i64) -> ZcResult<i64> {
    if let Some(t) = parse_rfc3339_ms(s) {
        return Ok(t);
    }
    parse_duration_ms(s).map(|d| now_ms - d).map_err(|_| {
        ZcError::invalid(format!("'{s}' is neither a duration (2h, 7d) nor an RFC 3339 time (2026-11-23T08:00:00Z)"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_since() {
        assert_eq!(parse_duration_ms("15m").unwrap(), 900_000);
        assert_eq!(parse_duration_ms("500ms").unwrap(), 500);
        assert!(parse_duration_ms("abc").is_err());
        assert_eq!(parse_since("1h", 10_000_000).unwrap(), 10_000_000 - 3_600_000);
        assert_eq!(parse_since("1970-01-01T00:00:01Z", 0).unwrap(), 1000);
        assert_eq!(rfc3339(1000), "1970-01-01T00:00:01Z");
    }
}
