//! Alarms, after ISA-18.2 / IEC 62682: what raises them, their states, what an operator may do
//! with them, suppression under a parent, chattering and floods. See `docs/alarms.md`.
//!
//! An alarm is one *source* (a connection's offline condition, a point's high limit, …) with a
//! stored state that outlives each occurrence, so shelving applies to the source and history
//! reads as one line per source. The engine ([`evaluate`]) is a pure function of the facts (what
//! the store knows now) and the stored alarms: it is run after every write that can change a
//! fact, and once a second for what time alone changes (shelve expiry, maintenance windows,
//! chattering settling, certificate expiry). Running it twice changes nothing the second time.
//!
//! Rules that hold:
//! - an acknowledged alarm never asks for acknowledgement again until a new occurrence;
//! - a returned-to-normal alarm that nobody acknowledged stays visible until acknowledged;
//! - shelving always has a reason and an expiry, and the alarm comes back when it expires;
//! - under suppression or shelving nothing that returned to normal waits for acknowledgement
//!   (it was never shown); an alarm still active when released is shown unacknowledged;
//! - a connection whose status is `unknown` (monitoring stopped, the console offline) neither
//!   raises nor clears its status alarms: nothing is known.

use crate::error::{ZcError, ZcResult};
use crate::status::Status;
use serde::Serialize;
use std::collections::{HashMap, HashSet, VecDeque};

/// Three levels, as ISA-18.2 suggests (about 80 % low, 15 % medium, 5 % high annunciated).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    High,
    Medium,
    Low,
}

impl Priority {
    pub const ALL: [Priority; 3] = [Priority::High, Priority::Medium, Priority::Low];
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::High => "high",
            Priority::Medium => "medium",
            Priority::Low => "low",
        }
    }
    pub fn parse(s: &str) -> ZcResult<Self> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| ZcError::invalid(format!("unknown priority '{s}'; use high, medium or low")))
    }
}

/// What raises an alarm. The strings are stored and are a stable interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum AlarmKind {
    /// The console itself has no network: one alarm instead of one per station.
    ConsoleNetwork,
    Offline,
    Unauthorized,
    /// The station answers, but its certificate is not trusted.
    Untrusted,
    Degraded,
    /// The connection's status changes too often to be shown change by change.
    Chattering,
    PointHigh,
    PointLow,
    PointQuality,
    CertExpiring,
    CertExpired,
    /// A pinned certificate was replaced by another one.
    CertChanged,
}

impl AlarmKind {
    pub const ALL: [AlarmKind; 12] = [
        Self::ConsoleNetwork,
        Self::Offline,
        Self::Unauthorized,
        Self::Untrusted,
        Self::Degraded,
        Self::Chattering,
        Self::PointHigh,
        Self::PointLow,
        Self::PointQuality,
        Self::CertExpiring,
        Self::CertExpired,
        Self::CertChanged,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ConsoleNetwork => "console_network",
            Self::Offline => "offline",
            Self::Unauthorized => "unauthorized",
            Self::Untrusted => "untrusted",
            Self::Degraded => "degraded",
            Self::Chattering => "chattering",
            Self::PointHigh => "point_high",
            Self::PointLow => "point_low",
            Self::PointQuality => "point_quality",
            Self::CertExpiring => "cert_expiring",
            Self::CertExpired => "cert_expired",
            Self::CertChanged => "cert_changed",
        }
    }
    pub fn parse(s: &str) -> ZcResult<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| {
            let all: Vec<_> = Self::ALL.iter().map(|k| k.as_str()).collect();
            ZcError::invalid(format!("unknown alarm kind '{s}'; use one of {}", all.join(", ")))
        })
    }
    /// The default priority of each source (configurable per kind, see [`AlarmSettings`]).
    pub fn default_priority(self) -> Priority {
        match self {
            Self::ConsoleNetwork | Self::Offline | Self::Untrusted | Self::CertExpired | Self::CertChanged => {
                Priority::High
            }
            Self::Unauthorized | Self::Chattering | Self::PointHigh | Self::PointLow => Priority::Medium,
            Self::Degraded | Self::PointQuality | Self::CertExpiring => Priority::Low,
        }
    }
    /// Alarms raised by the connection's status.
    pub fn is_status(self) -> bool {
        matches!(self, Self::Offline | Self::Unauthorized | Self::Untrusted | Self::Degraded)
    }
    pub fn is_point(self) -> bool {
        matches!(self, Self::PointHigh | Self::PointLow | Self::PointQuality)
    }
    pub fn is_cert(self) -> bool {
        matches!(self, Self::CertExpiring | Self::CertExpired | Self::CertChanged)
    }
    /// The status alarm for a status, if that status is abnormal.
    pub fn for_status(s: Status) -> Option<Self> {
        match s {
            Status::Offline => Some(Self::Offline),
            Status::Unauthorized => Some(Self::Unauthorized),
            Status::Untrusted => Some(Self::Untrusted),
            Status::Degraded => Some(Self::Degraded),
            Status::Online | Status::Unknown => None,
        }
    }
    /// A status alarm that means nothing behind the connection can be reached: the parent of
    /// its points' alarms, and of the alarms of connections that depend on it.
    pub fn is_loss_of_contact(self) -> bool {
        matches!(self, Self::Offline | Self::Unauthorized | Self::Untrusted)
    }
}

/// The states of ISA-18.2, as a word the operator reads (and the UI gives a shape and a colour).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum AlarmState {
    /// Not in alarm, nothing to acknowledge. Not shown in the alarm list.
    Normal,
    /// Active, not acknowledged: needs the operator.
    Unacknowledged,
    /// Active, acknowledged: someone is on it.
    Acknowledged,
    /// Returned to normal, not acknowledged: stays until acknowledged.
    ReturnedUnacknowledged,
    /// Hidden by an operator for a while, with a reason; comes back at expiry.
    Shelved,
    /// Active but hidden by design: a maintenance window, or a parent alarm that explains it.
    Suppressed,
}

impl AlarmState {
    pub const ALL: [AlarmState; 6] = [
        Self::Normal,
        Self::Unacknowledged,
        Self::Acknowledged,
        Self::ReturnedUnacknowledged,
        Self::Shelved,
        Self::Suppressed,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Normal => "normal",
            Self::Unacknowledged => "unacknowledged",
            Self::Acknowledged => "acknowledged",
            Self::ReturnedUnacknowledged => "returned_unacknowledged",
            Self::Shelved => "shelved",
            Self::Suppressed => "suppressed",
        }
    }
    pub fn parse(s: &str) -> ZcResult<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| {
            ZcError::invalid(format!(
                "unknown alarm state '{s}'; use unacknowledged, acknowledged, returned_unacknowledged, shelved, suppressed or normal"
            ))
        })
    }
    /// The word an operator reads.
    pub fn word(self) -> &'static str {
        match self {
            Self::Normal => "Normal",
            Self::Unacknowledged => "Active, unacknowledged",
            Self::Acknowledged => "Active, acknowledged",
            Self::ReturnedUnacknowledged => "Returned, unacknowledged",
            Self::Shelved => "Shelved",
            Self::Suppressed => "Suppressed",
        }
    }
    /// Shown in the alarm list (shelved and suppressed alarms are listed on request).
    pub fn is_visible(self) -> bool {
        matches!(self, Self::Unacknowledged | Self::Acknowledged | Self::ReturnedUnacknowledged)
    }
}

/// Why an alarm is suppressed, in order of precedence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ts_rs::TS)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum Suppression {
    /// A maintenance window of the connection is open.
    Maintenance,
    /// The console itself has no network: its one alarm stands for all of these.
    ConsoleNetwork,
    /// The gateway this connection depends on has lost contact.
    Gateway { connection_id: i64 },
    /// The point's station has lost contact: one alarm per lost station.
    Station { connection_id: i64 },
    /// The connection chatters: one chattering alarm instead of a stream of status alarms.
    Chattering,
}

impl Suppression {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Maintenance => "maintenance",
            Self::ConsoleNetwork => "console_network",
            Self::Gateway { .. } => "gateway",
            Self::Station { .. } => "station",
            Self::Chattering => "chattering",
        }
    }
    /// The connection whose alarm explains this one, if any.
    pub fn parent(&self) -> Option<i64> {
        match self {
            Self::Gateway { connection_id } | Self::Station { connection_id } => Some(*connection_id),
            _ => None,
        }
    }
    pub fn from_code(code: &str, parent: Option<i64>) -> Option<Self> {
        Some(match (code, parent) {
            ("maintenance", _) => Self::Maintenance,
            ("console_network", _) => Self::ConsoleNetwork,
            ("gateway", Some(c)) => Self::Gateway { connection_id: c },
            ("station", Some(c)) => Self::Station { connection_id: c },
            ("chattering", _) => Self::Chattering,
            _ => return None,
        })
    }
}

/// Which source an alarm belongs to. The console's own alarm has no connection.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct AlarmKey {
    pub kind: AlarmKind,
    pub connection_id: Option<i64>,
    /// The point, for point alarms; empty otherwise.
    pub point: String,
}

impl AlarmKey {
    pub fn connection(kind: AlarmKind, connection_id: i64) -> Self {
        Self { kind, connection_id: Some(connection_id), point: String::new() }
    }
    pub fn point(kind: AlarmKind, connection_id: i64, point: &str) -> Self {
        Self { kind, connection_id: Some(connection_id), point: point.to_owned() }
    }
    pub fn console() -> Self {
        Self { kind: AlarmKind::ConsoleNetwork, connection_id: None, point: String::new() }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shelve {
    pub until_ms: i64,
    pub reason: String,
    pub by: String,
}

/// An alarm source's stored state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alarm {
    /// None until stored.
    pub id: Option<i64>,
    pub key: AlarmKey,
    pub priority: Priority,
    pub message: String,
    /// The condition holds now.
    pub active: bool,
    /// The current occurrence was acknowledged (true when normal: nothing to acknowledge).
    pub acked: bool,
    pub shelved: Option<Shelve>,
    pub suppression: Option<Suppression>,
    /// Occurrences so far: a new one starts when the condition returns after the alarm was normal.
    pub occurrence: i64,
    /// When the current occurrence was raised.
    pub raised_at: Option<i64>,
    pub returned_at: Option<i64>,
    pub acked_at: Option<i64>,
    pub acked_by: Option<String>,
}

impl Alarm {
    /// A source never in alarm yet.
    pub fn normal(key: AlarmKey, priority: Priority) -> Self {
        Alarm {
            id: None,
            key,
            priority,
            message: String::new(),
            active: false,
            acked: true,
            shelved: None,
            suppression: None,
            occurrence: 0,
            raised_at: None,
            returned_at: None,
            acked_at: None,
            acked_by: None,
        }
    }

    pub fn state(&self) -> AlarmState {
        if self.shelved.is_some() {
            AlarmState::Shelved
        } else if self.suppression.is_some() && self.active {
            AlarmState::Suppressed
        } else {
            match (self.active, self.acked) {
                (true, false) => AlarmState::Unacknowledged,
                (true, true) => AlarmState::Acknowledged,
                (false, false) => AlarmState::ReturnedUnacknowledged,
                (false, true) => AlarmState::Normal,
            }
        }
    }

    /// Acknowledges the current occurrence. Allowed whenever something waits for it.
    pub fn acknowledge(&mut self, by: &str, now: i64) -> ZcResult<AlarmEvent> {
        if self.acked {
            return Err(ZcError::invalid(format!(
                "this alarm has nothing to acknowledge: it is {}",
                self.state().word().to_lowercase()
            )));
        }
        let from = self.state();
        self.acked = true;
        self.acked_at = Some(now);
        self.acked_by = Some(by.to_owned());
        Ok(self.event(AlarmAction::Acknowledged, from, now, Some(by), None))
    }

    /// Shelves the source until `until_ms`; shelving a shelved alarm sets a new expiry. A return
    /// to normal that waited for acknowledgement is cleared with it (it is hidden now).
    pub fn shelve(&mut self, by: &str, until_ms: i64, reason: &str, now: i64) -> ZcResult<Vec<AlarmEvent>> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(ZcError::invalid("shelving needs a reason; say why this alarm may be hidden (--reason)"));
        }
        if reason.chars().count() > MAX_REASON_CHARS {
            return Err(ZcError::invalid(format!(
                "the reason is too long; keep it under {MAX_REASON_CHARS} characters"
            )));
        }
        let d = until_ms - now;
        if !(MIN_SHELVE_MS..=MAX_SHELVE_MS).contains(&d) {
            return Err(ZcError::invalid(
                "an alarm can be shelved for 1 minute to 24 hours; for planned work use a maintenance window",
            ));
        }
        let from = self.state();
        self.shelved = Some(Shelve { until_ms, reason: reason.to_owned(), by: by.to_owned() });
        let mut e = self.event(AlarmAction::Shelved, from, now, Some(by), Some(reason));
        e.until_ms = Some(until_ms);
        Ok(std::iter::once(e).chain(self.clear_hidden_return(now)).collect())
    }

    pub fn unshelve(&mut self, by: &str, now: i64) -> ZcResult<AlarmEvent> {
        if self.shelved.is_none() {
            return Err(ZcError::invalid("this alarm is not shelved"));
        }
        let from = self.state();
        self.shelved = None;
        Ok(self.event(AlarmAction::Unshelved, from, now, Some(by), None))
    }

    /// Under shelving or suppression, a return to normal needs no acknowledgement: it was hidden.
    fn clear_hidden_return(&mut self, now: i64) -> Option<AlarmEvent> {
        if !self.active && !self.acked && (self.shelved.is_some() || self.suppression.is_some()) {
            let from = self.state();
            self.acked = true;
            self.acked_at = Some(now);
            self.acked_by = None;
            return Some(self.event(AlarmAction::Cleared, from, now, None, Some("returned to normal while hidden")));
        }
        None
    }

    fn event(
        &self,
        action: AlarmAction,
        from: AlarmState,
        at: i64,
        actor: Option<&str>,
        reason: Option<&str>,
    ) -> AlarmEvent {
        let to = self.state();
        AlarmEvent {
            action,
            from,
            to,
            at_ms: at,
            occurrence: self.occurrence,
            priority: self.priority,
            message: self.message.clone(),
            actor: actor.map(str::to_owned),
            reason: reason.map(str::to_owned),
            until_ms: None,
            annunciated: to == AlarmState::Unacknowledged && from != AlarmState::Unacknowledged,
        }
    }
}

pub const MIN_SHELVE_MS: i64 = 60_000;
pub const MAX_SHELVE_MS: i64 = 24 * 3_600_000;
pub const MAX_REASON_CHARS: usize = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum AlarmAction {
    Raised,
    /// The condition came back before the last return was acknowledged.
    Reraised,
    Returned,
    Acknowledged,
    Cleared,
    Shelved,
    Unshelved,
    ShelveExpired,
    Suppressed,
    Released,
    /// The message changed while active (another failure, a new value past the limit).
    Updated,
}

impl AlarmAction {
    pub const ALL: [AlarmAction; 11] = [
        Self::Raised,
        Self::Reraised,
        Self::Returned,
        Self::Acknowledged,
        Self::Cleared,
        Self::Shelved,
        Self::Unshelved,
        Self::ShelveExpired,
        Self::Suppressed,
        Self::Released,
        Self::Updated,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Raised => "raised",
            Self::Reraised => "reraised",
            Self::Returned => "returned",
            Self::Acknowledged => "acknowledged",
            Self::Cleared => "cleared",
            Self::Shelved => "shelved",
            Self::Unshelved => "unshelved",
            Self::ShelveExpired => "shelve_expired",
            Self::Suppressed => "suppressed",
            Self::Released => "released",
            Self::Updated => "updated",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// One stored transition of an alarm. Every one is kept; alarm history is never aggregated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlarmEvent {
    pub action: AlarmAction,
    pub from: AlarmState,
    pub to: AlarmState,
    pub at_ms: i64,
    pub occurrence: i64,
    pub priority: Priority,
    pub message: String,
    pub actor: Option<String>,
    pub reason: Option<String>,
    pub until_ms: Option<i64>,
    /// The alarm became visible and unacknowledged: what flood rates count.
    pub annunciated: bool,
}

/// Thresholds an engineer tunes (stored in the settings table; these are the defaults).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(default)]
pub struct AlarmSettings {
    /// Status changes within `chatter_window_ms` that make a connection chatter.
    pub chatter_changes: u32,
    pub chatter_window_ms: i64,
    /// A chattering connection settles after this long without a change.
    pub chatter_settle_ms: i64,
    /// Days before a certificate's expiry that its alarm is raised.
    pub cert_warn_days: i64,
    /// A flood starts above this many annunciations in `flood_window_ms` (EEMUA 191: 10) …
    pub flood_start: u32,
    /// … and ends below this many (5).
    pub flood_end: u32,
    pub flood_window_ms: i64,
    /// The first-out is the first annunciation of the burst that crossed the threshold: one
    /// more than this before the next belongs to an earlier, quieter time.
    pub first_out_gap_ms: i64,
    /// Per-kind priorities that differ from the defaults.
    pub priorities: std::collections::BTreeMap<String, Priority>,
}

impl Default for AlarmSettings {
    fn default() -> Self {
        AlarmSettings {
            chatter_changes: 3,
            chatter_window_ms: 60_000,
            chatter_settle_ms: 120_000,
            cert_warn_days: 14,
            flood_start: 10,
            flood_end: 5,
            flood_window_ms: 600_000,
            first_out_gap_ms: 60_000,
            priorities: Default::default(),
        }
    }
}

impl AlarmSettings {
    pub fn priority(&self, kind: AlarmKind) -> Priority {
        self.priorities.get(kind.as_str()).copied().unwrap_or_else(|| kind.default_priority())
    }
    pub fn validate(&self) -> ZcResult<()> {
        if !(2..=100).contains(&self.chatter_changes) {
            return Err(ZcError::invalid("chattering needs 2 to 100 changes"));
        }
        if !(10_000..=3_600_000).contains(&self.chatter_window_ms)
            || !(10_000..=86_400_000).contains(&self.chatter_settle_ms)
        {
            return Err(ZcError::invalid(
                "the chattering window and settle time must be between 10s and 1h (settle: 1d)",
            ));
        }
        if !(1..=365).contains(&self.cert_warn_days) {
            return Err(ZcError::invalid("the certificate warning must be 1 to 365 days before expiry"));
        }
        if !(1_000..=600_000).contains(&self.first_out_gap_ms) {
            return Err(ZcError::invalid("the first-out gap must be between 1s and 10m"));
        }
        if self.flood_end == 0 || self.flood_end > self.flood_start {
            return Err(ZcError::invalid(
                "the flood end threshold must be at least 1 and not above the start threshold",
            ));
        }
        for k in self.priorities.keys() {
            AlarmKind::parse(k)?;
        }
        Ok(())
    }
}

/// What the engine needs to know about one connection.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectionFacts {
    pub id: i64,
    pub name: String,
    pub status: Status,
    pub status_since: i64,
    /// Why it is in its status (the last change's failure, in words), for the message.
    pub detail: Option<String>,
    pub depends_on: Option<i64>,
    /// How long this connection takes to confirm a change: a dependant waits this long for it.
    pub confirm_window_ms: i64,
    pub in_maintenance: bool,
    /// Status changes (between known statuses) inside the chattering window, and the last one.
    pub recent_changes: u32,
    pub last_change_at: Option<i64>,
    pub cert: Option<CertFacts>,
    /// When the connection's certificate trust was last changed.
    pub trust_changed_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertFacts {
    pub not_after_ms: i64,
    /// The pinned certificate was replaced.
    pub pin_changed: bool,
}

/// A point outside its normal range (or with bad quality), as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct PointFacts {
    pub connection_id: i64,
    pub point: String,
    pub kind: AlarmKind,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct AlarmFacts {
    pub console_online: bool,
    pub connections: Vec<ConnectionFacts>,
    /// Only the abnormal points.
    pub points: Vec<PointFacts>,
}

/// A stored alarm that changed, with the transitions to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlarmChange {
    pub alarm: Alarm,
    pub events: Vec<AlarmEvent>,
}

struct Condition {
    message: String,
    priority: Priority,
}

/// Decides every alarm from the facts. `stored` must hold every alarm that is not normal; an
/// alarm source not in it is taken as normal (the store finds its row when it is written).
pub fn evaluate(facts: &AlarmFacts, stored: &[Alarm], settings: &AlarmSettings, now: i64) -> Vec<AlarmChange> {
    let by_key: HashMap<&AlarmKey, &Alarm> = stored.iter().map(|a| (&a.key, a)).collect();
    let conns: HashMap<i64, &ConnectionFacts> = facts.connections.iter().map(|c| (c.id, c)).collect();
    let active_now = |key: &AlarmKey| by_key.get(key).is_some_and(|a| a.active);
    let mut conditions: HashMap<AlarmKey, Condition> = HashMap::new();
    let mut cond = |key: AlarmKey, message: String| {
        let priority = settings.priority(key.kind);
        conditions.insert(key, Condition { message, priority });
    };

    if !facts.console_online {
        cond(AlarmKey::console(), "This console has no network: no station can be seen".to_owned());
    }
    for c in &facts.connections {
        for kind in [AlarmKind::Offline, AlarmKind::Unauthorized, AlarmKind::Untrusted, AlarmKind::Degraded] {
            let key = AlarmKey::connection(kind, c.id);
            // A pinned certificate replaced: its own alarm says more than "untrusted".
            let pin_changed = kind == AlarmKind::Untrusted && c.cert.as_ref().is_some_and(|x| x.pin_changed);
            // The trust changed after the station was found untrusted: the monitor checks again.
            let rechecking = kind == AlarmKind::Untrusted
                && c.trust_changed_at.is_some_and(|t| t >= c.status_since && now < t + c.confirm_window_ms);
            let holds = match c.status {
                _ if pin_changed || rechecking => false,
                // Nothing is known: keep what was there.
                Status::Unknown => active_now(&key),
                s => AlarmKind::for_status(s) == Some(kind) && (active_now(&key) || !waits_for_gateway(c, &conns, now)),
            };
            if holds {
                let previous = by_key.get(&key).map(|a| a.message.clone()).unwrap_or_default();
                let msg = if c.status == Status::Unknown { previous } else { status_message(c, kind) };
                cond(key, msg);
            }
        }
        let chatter_key = AlarmKey::connection(AlarmKind::Chattering, c.id);
        let chatters = c.recent_changes >= settings.chatter_changes
            || (active_now(&chatter_key) && c.last_change_at.is_some_and(|t| now - t < settings.chatter_settle_ms));
        if chatters {
            cond(
                chatter_key,
                format!("{}: status changes too often ({} in the last minute)", c.name, c.recent_changes),
            );
        }
        if let Some(cert) = &c.cert {
            let day = 86_400_000;
            if now >= cert.not_after_ms {
                cond(
                    AlarmKey::connection(AlarmKind::CertExpired, c.id),
                    format!("{}: its certificate expired on {}", c.name, crate::timefmt::date(cert.not_after_ms)),
                );
            } else if cert.not_after_ms - now <= settings.cert_warn_days * day {
                let days = (cert.not_after_ms - now + day - 1) / day;
                cond(
                    AlarmKey::connection(AlarmKind::CertExpiring, c.id),
                    format!(
                        "{}: its certificate expires in {days} day{} ({})",
                        c.name,
                        if days == 1 { "" } else { "s" },
                        crate::timefmt::date(cert.not_after_ms)
                    ),
                );
            }
            if cert.pin_changed {
                cond(
                    AlarmKey::connection(AlarmKind::CertChanged, c.id),
                    format!(
                        "{}: its certificate changed and no longer matches the pinned one; check the device before trusting the new one",
                        c.name
                    ),
                );
            }
        }
    }
    for p in &facts.points {
        if conns.contains_key(&p.connection_id) {
            cond(AlarmKey::point(p.kind, p.connection_id, &p.point), p.message.clone());
        }
    }

    // Suppression, for every source that is active or stored (a release must be seen too).
    let lost_contact = |id: i64| {
        [AlarmKind::Offline, AlarmKind::Unauthorized, AlarmKind::Untrusted, AlarmKind::CertChanged]
            .into_iter()
            .any(|k| conditions.contains_key(&AlarmKey::connection(k, id)))
    };
    let suppression_of = |key: &AlarmKey| -> Option<Suppression> {
        let id = key.connection_id?;
        let c = conns.get(&id)?;
        let k = key.kind;
        if c.in_maintenance {
            return Some(Suppression::Maintenance);
        }
        if !facts.console_online && !k.is_cert() {
            return Some(Suppression::ConsoleNetwork);
        }
        if (k.is_status() || k.is_point() || k == AlarmKind::Chattering)
            && let Some(g) = c.depends_on
            && lost_contact(g)
        {
            return Some(Suppression::Gateway { connection_id: g });
        }
        if k.is_point() && lost_contact(id) {
            return Some(Suppression::Station { connection_id: id });
        }
        if k.is_status() && conditions.contains_key(&AlarmKey::connection(AlarmKind::Chattering, id)) {
            return Some(Suppression::Chattering);
        }
        None
    };

    let mut keys: Vec<&AlarmKey> =
        conditions.keys().chain(by_key.keys().copied()).collect::<HashSet<_>>().into_iter().collect();
    keys.sort();
    let mut out = Vec::new();
    for key in keys {
        // An alarm of a removed connection is gone with it (the store deletes it).
        if key.connection_id.is_some_and(|id| !conns.contains_key(&id)) {
            continue;
        }
        let existing = by_key.get(key).copied();
        let condition = conditions.get(key);
        let priority = condition.map(|c| c.priority).unwrap_or_else(|| settings.priority(key.kind));
        let mut a = existing.cloned().unwrap_or_else(|| Alarm::normal(key.clone(), priority));
        let events = step(&mut a, condition, suppression_of(key), now);
        if Some(&a) != existing && (existing.is_some() || a.state() != AlarmState::Normal || !events.is_empty()) {
            out.push(AlarmChange { alarm: a, events });
        }
    }
    out
}

/// A dependant's loss of contact waits for its gateway's verdict: the gateway needs its own
/// confirmation time to be found down, and until then the dependant's alarm would be a false
/// first-out (and in a gateway outage, one of a thousand).
fn waits_for_gateway(c: &ConnectionFacts, conns: &HashMap<i64, &ConnectionFacts>, now: i64) -> bool {
    let Some(g) = c.depends_on.and_then(|g| conns.get(&g)) else { return false };
    AlarmKind::for_status(c.status).is_some_and(AlarmKind::is_loss_of_contact)
        && matches!(g.status, Status::Online | Status::Degraded)
        && now - c.status_since < g.confirm_window_ms
}

fn status_message(c: &ConnectionFacts, kind: AlarmKind) -> String {
    let what = match kind {
        AlarmKind::Offline => "offline",
        AlarmKind::Unauthorized => "refuses the API key (unauthorized)",
        AlarmKind::Untrusted => "answers, but its certificate is not trusted",
        _ => "degraded (slow answers)",
    };
    match &c.detail {
        // The untrusted alarm's words already say why.
        Some(d) if !d.is_empty() && kind != AlarmKind::Untrusted => format!("{}: {what} ({d})", c.name),
        _ => format!("{}: {what}", c.name),
    }
}

/// Moves one alarm to what the condition and suppression say now; returns its transitions.
/// A suppression is applied before the condition is looked at and lifted after, so a child
/// raised together with its parent is never shown, and one that recovered together with its
/// parent never asks for acknowledgement.
fn step(a: &mut Alarm, condition: Option<&Condition>, suppression: Option<Suppression>, now: i64) -> Vec<AlarmEvent> {
    let mut events = Vec::new();
    if a.shelved.as_ref().is_some_and(|s| s.until_ms <= now) {
        let from = a.state();
        a.shelved = None;
        events.push(a.event(AlarmAction::ShelveExpired, from, now, None, None));
    }
    if suppression.is_some() && a.suppression != suppression {
        events.extend(suppress(a, suppression, now));
    }
    match (a.active, condition) {
        (false, Some(c)) => {
            let from = a.state();
            let action = if a.acked {
                a.occurrence += 1;
                a.raised_at = Some(now);
                a.acked_at = None;
                a.acked_by = None;
                a.priority = c.priority;
                AlarmAction::Raised
            } else {
                AlarmAction::Reraised
            };
            a.active = true;
            a.acked = false;
            a.returned_at = None;
            a.message = c.message.clone();
            events.push(a.event(action, from, now, None, None));
        }
        (true, None) => {
            let from = a.state();
            a.active = false;
            a.returned_at = Some(now);
            events.push(a.event(AlarmAction::Returned, from, now, None, None));
        }
        (true, Some(c)) if c.message != a.message => {
            let from = a.state();
            a.message = c.message.clone();
            events.push(a.event(AlarmAction::Updated, from, now, None, None));
        }
        _ => {}
    }
    events.extend(a.clear_hidden_return(now));
    if suppression.is_none() && a.suppression.is_some() {
        events.extend(suppress(a, None, now));
    }
    events
}

/// Sets the suppression; an event when it changes what the operator sees, or hides an active
/// alarm for another reason (a change of reason of an inactive alarm stays on the row only).
fn suppress(a: &mut Alarm, suppression: Option<Suppression>, now: i64) -> Option<AlarmEvent> {
    let from = a.state();
    let action = if suppression.is_some() { AlarmAction::Suppressed } else { AlarmAction::Released };
    a.suppression = suppression;
    let reason = a.suppression.as_ref().map(Suppression::code);
    (a.state() != from || (a.active && from != AlarmState::Shelved)).then(|| a.event(action, from, now, None, reason))
}

/// One annunciation (an alarm becoming visible and unacknowledged), for flood rates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Annunciation {
    pub at_ms: i64,
    pub alarm_id: i64,
}

/// The alarm rate and, during a flood, where it started and who keeps repeating.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct FloodStatus {
    /// Annunciations in the last `flood_window_ms` (10 minutes by default).
    pub rate: u32,
    pub window_ms: i64,
    pub flooding: bool,
    pub started_at: Option<i64>,
    /// The alarm that started the burst that crossed the threshold.
    pub first_out: Option<i64>,
    /// Alarms annunciated most often since the flood started: (alarm id, times), worst first.
    pub repeat_offenders: Vec<(i64, u32)>,
}

/// Walks the annunciations (oldest first) with a sliding window. A flood starts when the window
/// holds more than `flood_start` and ends when it holds fewer than `flood_end` (hysteresis, so a
/// rate near the threshold does not make the banner flicker).
pub fn flood(annunciations: &[Annunciation], now: i64, s: &AlarmSettings) -> FloodStatus {
    let w = s.flood_window_ms;
    let mut window: VecDeque<Annunciation> = VecDeque::new();
    let mut flood: Option<(i64, Annunciation)> = None;
    let expire_until = |window: &mut VecDeque<Annunciation>, flood: &mut Option<(i64, Annunciation)>, t: i64| {
        while let Some(f) = window.front() {
            if f.at_ms + w > t {
                break;
            }
            window.pop_front();
            if flood.is_some() && (window.len() as u32) < s.flood_end {
                *flood = None;
            }
        }
    };
    for a in annunciations.iter().filter(|a| a.at_ms <= now) {
        expire_until(&mut window, &mut flood, a.at_ms);
        window.push_back(*a);
        if flood.is_none() && window.len() as u32 > s.flood_start {
            // Back from the crossing while the annunciations follow each other closely: a stray
            // alarm minutes earlier in the window did not start this burst.
            let mut first = window.len() - 1;
            while first > 0 && window[first].at_ms - window[first - 1].at_ms <= s.first_out_gap_ms {
                first -= 1;
            }
            flood = Some((a.at_ms, window[first]));
        }
    }
    expire_until(&mut window, &mut flood, now);
    let mut status = FloodStatus {
        rate: window.len() as u32,
        window_ms: w,
        flooding: flood.is_some(),
        started_at: None,
        first_out: None,
        repeat_offenders: Vec::new(),
    };
    if let Some((started, first)) = flood {
        status.started_at = Some(started);
        status.first_out = Some(first.alarm_id);
        let mut counts: HashMap<i64, (u32, i64)> = HashMap::new();
        for a in annunciations.iter().filter(|a| a.at_ms >= first.at_ms && a.at_ms <= now) {
            let e = counts.entry(a.alarm_id).or_insert((0, a.at_ms));
            e.0 += 1;
        }
        let mut v: Vec<(i64, u32, i64)> =
            counts.into_iter().filter(|(_, (n, _))| *n > 1).map(|(id, (n, t))| (id, n, t)).collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.2.cmp(&b.2)));
        status.repeat_offenders = v.into_iter().take(5).map(|(id, n, _)| (id, n)).collect();
    }
    status
}

#[cfg(test)]
mod tests;
