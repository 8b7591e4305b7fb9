//! Desktop notifications for alarms: which annunciated alarms the person signed in is told of,
//! by their preferences (`zc_domain::notification`). The core decides; the desktop shell only
//! shows what it is given. Alarms are read by event id, so every annunciation is judged exactly
//! once, in order, whatever the polling rhythm.

use crate::App;
use serde::Serialize;
use zc_domain::ZcResult;
use zc_domain::alarm::{AlarmAction, Priority};
use zc_domain::notification::NotifyDecision;

/// One alarm a person may be told of, with the decision for them.
#[derive(Debug, Clone, Serialize)]
pub struct AlarmNotice {
    pub event_id: i64,
    pub alarm_id: i64,
    pub at: i64,
    pub priority: Priority,
    /// `HIGH ALARM: demo-west offline`.
    pub title: String,
    pub body: String,
    pub decision: NotifyDecision,
}

/// What the notifications did since the console started: shown, and held back by why, up to
/// which alarm event. The settings view shows it ("2 held by quiet hours"), and a test waits on
/// it to know an alarm was judged.
#[derive(Debug, Clone, Default, Serialize, ts_rs::TS)]
pub struct NotificationTally {
    pub shown: u64,
    pub quiet: u64,
    pub below_priority: u64,
    pub off: u64,
    /// Every annunciation up to this alarm event id has been judged.
    pub judged_up_to: i64,
    /// The last few verdicts, newest last: `(event id, title, decision)`.
    pub recent: Vec<JudgedNotice>,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct JudgedNotice {
    pub event_id: i64,
    pub title: String,
    pub decision: NotifyDecision,
}

/// How many verdicts the tally keeps.
const RECENT: usize = 20;

impl NotificationTally {
    pub fn count(&mut self, n: &AlarmNotice) {
        self.recent.push(JudgedNotice { event_id: n.event_id, title: n.title.clone(), decision: n.decision });
        if self.recent.len() > RECENT {
            self.recent.remove(0);
        }
        match n.decision {
            NotifyDecision::Notify => self.shown += 1,
            NotifyDecision::Quiet => self.quiet += 1,
            NotifyDecision::BelowPriority => self.below_priority += 1,
            NotifyDecision::Off => self.off += 1,
        }
    }
}

/// At most this many annunciations are judged per call (a flood is read in steps).
const BATCH: i64 = 200;

impl App {
    /// Where notices start for a console that just opened: after everything already recorded
    /// (an alarm raised before the console started is in its list, not a pop-up).
    pub async fn notices_start(&self) -> ZcResult<i64> {
        self.store.last_alarm_event_id().await
    }

    /// The annunciations after event `after`, each judged for whoever is signed in, and the
    /// cursor to ask from next. Nobody signed in: every one is `off`.
    pub async fn alarm_notices(&self, after: i64) -> ZcResult<(Vec<AlarmNotice>, i64)> {
        let rows = self.store.annunciations_after(after, BATCH).await?;
        let cursor = rows.last().map_or(after, |r| r.id);
        let mut out = Vec::new();
        for r in rows {
            if !matches!(r.action, AlarmAction::Raised | AlarmAction::Reraised | AlarmAction::Released) {
                continue;
            }
            let decision = self.notify_decision(r.priority, r.at).await?;
            let what = match (&r.connection, &r.point) {
                (Some(c), Some(p)) => format!("{c} {p}"),
                (Some(c), None) => c.clone(),
                _ => "this console".into(),
            };
            out.push(AlarmNotice {
                event_id: r.id,
                alarm_id: r.alarm_id,
                at: r.at,
                priority: r.priority,
                title: format!("{} ALARM: {what} {}", r.priority.as_str().to_uppercase(), r.kind.as_str()),
                body: r.message,
                decision,
            });
        }
        Ok((out, cursor))
    }
}
