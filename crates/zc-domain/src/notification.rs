//! Desktop notifications for alarms, by each person's preferences: on or off, which priorities,
//! and quiet hours in their own time zone. Notifications are an extra channel: whatever they
//! hold back, the alarm list, banners and tray still show everything (ISA-18.2: an alarm is never
//! hidden by a personal setting).

use crate::alarm::Priority;
use crate::error::{ZcError, ZcResult};
use chrono::{DateTime, Timelike, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct NotificationPreferences {
    /// Desktop notifications at all.
    pub desktop: bool,
    /// The lowest priority that notifies: `high` notifies only high, `low` every alarm.
    pub min_priority: Priority,
    pub quiet_hours: Option<QuietHours>,
}

impl Default for NotificationPreferences {
    fn default() -> Self {
        // High and medium: a low alarm is one an operator handles in the list, not a pop-up.
        Self { desktop: true, min_priority: Priority::Medium, quiet_hours: None }
    }
}

/// A daily span, in the person's own zone, with no notifications: `22:00`–`06:00` crosses
/// midnight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct QuietHours {
    /// `HH:MM`, 24-hour.
    pub from: String,
    pub to: String,
}

/// Minutes after midnight of `HH:MM`.
pub fn parse_clock(s: &str) -> ZcResult<u32> {
    let bad = || ZcError::invalid(format!("'{s}' is not a time of day; write it as HH:MM, e.g. 22:00"));
    let (h, m) = s.trim().split_once(':').ok_or_else(bad)?;
    let (h, m): (u32, u32) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if h > 23 || m > 59 || s.trim().len() != 5 {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

impl QuietHours {
    pub fn validate(&self) -> ZcResult<(u32, u32)> {
        let (from, to) = (parse_clock(&self.from)?, parse_clock(&self.to)?);
        if from == to {
            return Err(ZcError::invalid("quiet hours must not start and end at the same time; turn them off instead"));
        }
        Ok((from, to))
    }

    /// Whether `at_ms` falls inside, read on the wall clock of `tz` (so the span moves with
    /// daylight saving, as the person's evening does).
    pub fn contains(&self, at_ms: i64, tz: Tz) -> bool {
        let Ok((from, to)) = self.validate() else { return false };
        let Some(t) = DateTime::<Utc>::from_timestamp_millis(at_ms) else { return false };
        let local = t.with_timezone(&tz);
        let now = local.hour() * 60 + local.minute();
        if from < to { (from..to).contains(&now) } else { now >= from || now < to }
    }
}

/// Why a notification was or was not shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum NotifyDecision {
    Notify,
    /// Desktop notifications are off.
    Off,
    /// Below the person's lowest priority.
    BelowPriority,
    /// Inside quiet hours.
    Quiet,
}

impl NotificationPreferences {
    pub fn validate(self) -> ZcResult<Self> {
        if let Some(q) = &self.quiet_hours {
            q.validate()?;
        }
        Ok(self)
    }

    /// Whether an alarm of `priority` raised at `at_ms` notifies this person, in zone `tz`.
    pub fn decide(&self, priority: Priority, at_ms: i64, tz: Tz) -> NotifyDecision {
        if !self.desktop {
            return NotifyDecision::Off;
        }
        // Priority orders High < Medium < Low.
        if priority > self.min_priority {
            return NotifyDecision::BelowPriority;
        }
        if self.quiet_hours.as_ref().is_some_and(|q| q.contains(at_ms, tz)) {
            return NotifyDecision::Quiet;
        }
        NotifyDecision::Notify
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timezone::parse_zone;

    fn quiet(from: &str, to: &str) -> NotificationPreferences {
        NotificationPreferences {
            quiet_hours: Some(QuietHours { from: from.into(), to: to.into() }),
            ..Default::default()
        }
    }

    #[test]
    fn quiet_hours_cross_midnight_on_the_persons_own_clock() {
        let berlin = parse_zone("Europe/Berlin").unwrap();
        let p = quiet("22:00", "06:00");
        // 2026-12-02 21:30 UTC is 22:30 in Berlin (CET, +01:00): quiet.
        let at = 1_796_247_000_000;
        assert_eq!(p.decide(Priority::High, at, berlin), NotifyDecision::Quiet);
        // The same instant in UTC is 21:30: not quiet.
        assert_eq!(p.decide(Priority::High, at, parse_zone("UTC").unwrap()), NotifyDecision::Notify);
        // 05:59 Berlin is still quiet, 06:00 is not.
        let six = 1_796_274_000_000; // 2026-12-03 05:00 UTC = 06:00 CET
        assert_eq!(p.decide(Priority::High, six - 60_000, berlin), NotifyDecision::Quiet);
        assert_eq!(p.decide(Priority::High, six, berlin), NotifyDecision::Notify);
    }

    #[test]
    fn quiet_hours_follow_daylight_saving() {
        let berlin = parse_zone("Europe/Berlin").unwrap();
        let p = quiet("12:00", "13:00");
        // 11:30 UTC is 12:30 in winter (quiet) and 13:30 in summer (not).
        assert_eq!(p.decide(Priority::High, 1_796_211_000_000, berlin), NotifyDecision::Quiet); // 2026-12-02
        assert_eq!(p.decide(Priority::High, 1_782_991_800_000, berlin), NotifyDecision::Notify); // 2026-07-02
    }

    #[test]
    fn priorities_below_the_persons_choice_and_off_do_not_notify() {
        let utc = parse_zone("UTC").unwrap();
        let p = NotificationPreferences::default();
        assert_eq!(p.decide(Priority::Medium, 0, utc), NotifyDecision::Notify);
        assert_eq!(p.decide(Priority::Low, 0, utc), NotifyDecision::BelowPriority);
        let off = NotificationPreferences { desktop: false, ..p };
        assert_eq!(off.decide(Priority::High, 0, utc), NotifyDecision::Off);
    }

    #[test]
    fn a_time_of_day_is_checked() {
        assert_eq!(parse_clock("06:30").unwrap(), 390);
        for bad in ["24:00", "6:30", "06:60", "noon", "06-30"] {
            assert!(parse_clock(bad).is_err(), "{bad}");
        }
        assert!(QuietHours { from: "22:00".into(), to: "22:00".into() }.validate().is_err());
    }
}
