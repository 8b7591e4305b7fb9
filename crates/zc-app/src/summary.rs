//! The console at a glance: the worst thing going on, in one level and one line. The tray icon
//! shows it while the window is hidden, and `zc status` prints it, so both say the same.

use crate::App;
use crate::alarms::alarm_counts;
use serde::Serialize;
use zc_domain::alarm::{AlarmState, Priority};
use zc_domain::{Capability, Status, ZcResult};
use zc_store::AlarmFilter;

/// How bad it is, worst last (ISA-101: colour and a distinct shape only above `normal`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum SummaryLevel {
    /// Every station online, no alarm that needs anyone.
    Normal,
    /// Nothing waits for an acknowledgement, but not all is well: an acknowledged alarm is
    /// still active, an alarm returned unacknowledged, a station is not online, or the console
    /// itself has no network.
    Attention,
    /// At least one alarm is active and unacknowledged: an operator is needed.
    Alarm,
}

impl SummaryLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Normal => "normal",
            Self::Attention => "attention",
            Self::Alarm => "alarm",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct ConsoleSummary {
    pub at: i64,
    pub level: SummaryLevel,
    pub stations: u32,
    /// Stations whose status is anything but `online` (unknown, degraded, offline, …).
    pub stations_not_online: u32,
    /// The worst status among them (`online` when all are).
    pub worst_status: Status,
    pub observer_online: bool,
    /// Active alarms: unacknowledged, acknowledged, returned unacknowledged.
    pub alarms_active: u32,
    /// Those waiting for an acknowledgement (including returned unacknowledged).
    pub alarms_unacknowledged: u32,
    /// The highest priority among the unacknowledged ones.
    pub highest_unacknowledged: Option<Priority>,
    /// One line saying all of it, in the signed-in person's language.
    pub headline: String,
}

/// Worse first, for `worst_status`.
fn badness(s: Status) -> u8 {
    match s {
        Status::Online => 0,
        Status::Unknown => 1,
        Status::Degraded => 2,
        Status::Untrusted => 3,
        Status::Unauthorized => 4,
        Status::Offline => 5,
    }
}

impl ConsoleSummary {
    fn level(&self, waiting_new: u32) -> SummaryLevel {
        if waiting_new > 0 {
            SummaryLevel::Alarm
        } else if self.alarms_active > 0 || self.stations_not_online > 0 || !self.observer_online {
            SummaryLevel::Attention
        } else {
            SummaryLevel::Normal
        }
    }

    /// The headline in `language` (`en` or `de`; anything else is English).
    pub fn describe(&self, language: &str) -> String {
        let de = language == "de";
        let mut parts = Vec::new();
        if self.alarms_unacknowledged > 0 {
            let n = self.alarms_unacknowledged;
            let mut s = match (de, n) {
                (false, 1) => "1 unacknowledged alarm".to_owned(),
                (false, _) => format!("{n} unacknowledged alarms"),
                (true, 1) => "1 nicht quittierter Alarm".to_owned(),
                (true, _) => format!("{n} nicht quittierte Alarme"),
            };
            if let Some(p) = self.highest_unacknowledged {
                s.push_str(&match (de, p) {
                    (false, _) => format!(" (highest: {})", p.as_str()),
                    (true, Priority::High) => " (höchste: hoch)".to_owned(),
                    (true, Priority::Medium) => " (höchste: mittel)".to_owned(),
                    (true, Priority::Low) => " (höchste: niedrig)".to_owned(),
                });
            }
            parts.push(s);
        } else if self.alarms_active > 0 {
            let n = self.alarms_active;
            parts.push(match (de, n) {
                (false, 1) => "1 active alarm, acknowledged".to_owned(),
                (false, _) => format!("{n} active alarms, all acknowledged"),
                (true, 1) => "1 aktiver Alarm, quittiert".to_owned(),
                (true, _) => format!("{n} aktive Alarme, alle quittiert"),
            });
        }
        if !self.observer_online {
            parts.push(if de { "diese Konsole hat kein Netz" } else { "this console has no network" }.to_owned());
        }
        if self.stations_not_online > 0 {
            let (k, t) = (self.stations_not_online, self.stations);
            parts.push(match (de, t) {
                (false, 1) => "the station is not online".to_owned(),
                (false, _) => format!("{k} of {t} stations not online"),
                (true, 1) => "die Station ist nicht online".to_owned(),
                (true, _) => format!("{k} von {t} Stationen nicht online"),
            });
        }
        if parts.is_empty() {
            parts.push(match (de, self.stations) {
                (false, 0) => "no stations configured".to_owned(),
                (false, 1) => "the station is online, no active alarms".to_owned(),
                (false, t) => format!("all {t} stations online, no active alarms"),
                (true, 0) => "keine Stationen eingerichtet".to_owned(),
                (true, 1) => "die Station ist online, keine aktiven Alarme".to_owned(),
                (true, t) => format!("alle {t} Stationen online, keine aktiven Alarme"),
            });
        }
        let mut line = parts.join(" · ");
        if let Some(first) = line.get(0..1) {
            let upper = first.to_uppercase();
            line.replace_range(0..1, &upper);
        }
        line
    }
}

/// What quitting would leave unwatched.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct QuitCheck {
    pub alarms_active: u32,
    pub alarms_unacknowledged: u32,
}

impl QuitCheck {
    /// Quitting must be confirmed: monitoring would stop while alarms need someone.
    pub fn must_ask(&self) -> bool {
        self.alarms_active > 0
    }
}

impl App {
    /// The active alarms quitting would leave unwatched. Counts only, so it needs no sign-in:
    /// whoever is at the console is asked before its monitoring stops.
    pub async fn quit_check(&self) -> ZcResult<QuitCheck> {
        self.store().evaluate_alarms().await?;
        let all = self.store().alarms(&AlarmFilter { states: AlarmState::ALL.to_vec(), ..Default::default() }).await?;
        let (counts, _) = alarm_counts(&all);
        Ok(QuitCheck {
            alarms_active: counts.active,
            alarms_unacknowledged: counts.unacknowledged + counts.returned_unacknowledged,
        })
    }

    /// Records that the console is being quit on purpose (`console.quit`), by the person signed
    /// in or else the console, with the alarms it leaves: a supervisor later sees who stopped
    /// the monitoring while what was active.
    pub async fn record_quit(&self, check: &QuitCheck, confirmed: bool) -> ZcResult<()> {
        let audit = match self.signed_in() {
            Some(_) => self.authorize(Capability::View).await.unwrap_or_else(|_| self.console_audit()),
            None => self.console_audit(),
        };
        let meta = serde_json::json!({
            "alarms_active": check.alarms_active,
            "alarms_unacknowledged": check.alarms_unacknowledged,
            "confirmed": confirmed,
        });
        self.store().record_activity(&audit, "console.quit", &self.hostname, meta).await?;
        Ok(())
    }

    /// The console at a glance, for whoever is signed in (it needs the right to view).
    pub async fn console_summary(&self) -> ZcResult<ConsoleSummary> {
        self.authorize(Capability::View).await?;
        self.store().evaluate_alarms().await?;
        let conns = self.store().list_connections().await?;
        let all = self.store().alarms(&AlarmFilter { states: AlarmState::ALL.to_vec(), ..Default::default() }).await?;
        let (counts, _) = alarm_counts(&all);
        let highest = all
            .iter()
            .filter(|a| matches!(a.state, AlarmState::Unacknowledged | AlarmState::ReturnedUnacknowledged))
            .map(|a| a.priority)
            .min();
        let mut s = ConsoleSummary {
            at: self.now(),
            level: SummaryLevel::Normal,
            stations: conns.len() as u32,
            stations_not_online: conns.iter().filter(|c| c.status != Status::Online).count() as u32,
            worst_status: conns.iter().map(|c| c.status).max_by_key(|s| badness(*s)).unwrap_or(Status::Online),
            observer_online: self.network().is_online(),
            alarms_active: counts.active,
            alarms_unacknowledged: counts.unacknowledged + counts.returned_unacknowledged,
            highest_unacknowledged: highest,
            headline: String::new(),
        };
        s.level = s.level(counts.unacknowledged);
        s.headline = s.describe(&self.display_language().await);
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary() -> ConsoleSummary {
        ConsoleSummary {
            at: 0,
            level: SummaryLevel::Normal,
            stations: 3,
            stations_not_online: 0,
            worst_status: Status::Online,
            observer_online: true,
            alarms_active: 0,
            alarms_unacknowledged: 0,
            highest_unacknowledged: None,
            headline: String::new(),
        }
    }

    #[test]
    fn an_unacknowledged_alarm_is_the_worst_level_and_leads_the_line() {
        let mut s = summary();
        assert_eq!(s.level(0), SummaryLevel::Normal);
        assert_eq!(s.describe("en"), "All 3 stations online, no active alarms");
        s.stations_not_online = 1;
        assert_eq!(s.level(0), SummaryLevel::Attention);
        s.alarms_active = 2;
        s.alarms_unacknowledged = 2;
        s.highest_unacknowledged = Some(Priority::High);
        assert_eq!(s.level(2), SummaryLevel::Alarm);
        assert_eq!(s.describe("en"), "2 unacknowledged alarms (highest: high) · 1 of 3 stations not online");
        assert_eq!(s.describe("de"), "2 nicht quittierte Alarme (höchste: hoch) · 1 von 3 Stationen nicht online");
    }

    #[test]
    fn acknowledged_or_returned_alarms_are_attention_not_alarm() {
        let mut s = summary();
        s.alarms_active = 1;
        assert_eq!(s.level(0), SummaryLevel::Attention);
        assert_eq!(s.describe("en"), "1 active alarm, acknowledged");
        // Returned unacknowledged: waits for an acknowledgement, but the condition is gone.
        s.alarms_unacknowledged = 1;
        s.highest_unacknowledged = Some(Priority::Low);
        assert_eq!(s.level(0), SummaryLevel::Attention);
        assert_eq!(s.describe("de"), "1 nicht quittierter Alarm (höchste: niedrig)");
    }

    #[test]
    fn a_console_without_network_says_so_and_an_empty_one_says_it_has_no_stations() {
        let mut s = summary();
        s.stations = 0;
        assert_eq!(s.describe("en"), "No stations configured");
        s.observer_online = false;
        assert_eq!(s.level(0), SummaryLevel::Attention);
        assert_eq!(s.describe("de"), "Diese Konsole hat kein Netz");
    }
}
