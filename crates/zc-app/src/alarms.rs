//! Alarm commands: what the alarm list and its banner show, acknowledge, shelve, unshelve, the
//! history, maintenance windows, gateways and point limits. The CLI and the console call these,
//! so both show the same alarms in the same states. Every read first lets the engine decide what
//! time alone changed (a shelve that expired while no monitor ran is shown as expired).

use crate::App;
use serde::Serialize;
use zc_domain::Capability;
use zc_domain::alarm::{AlarmSettings, AlarmState, FloodStatus, Priority};
use zc_domain::{ZcError, ZcResult};
use zc_store::{AckReport, AlarmFilter, AlarmHistoryRow, AlarmRow, MaintenanceWindow};

/// The most history rows one call returns (the export pages through all of them).
pub const MAX_ALARM_HISTORY_ROWS: i64 = 50_000;

/// Everything the alarm list and the always-visible counts need, read at one moment.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct AlarmsView {
    pub at: i64,
    pub alarms: Vec<AlarmRow>,
    pub counts: AlarmCounts,
    /// Per connection, what its control-room tile shows.
    pub by_connection: Vec<ConnectionAlarms>,
    pub flood: FloodView,
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct ConnectionAlarms {
    pub connection_id: i64,
    /// Alarms that need the operator (unacknowledged, acknowledged, returned unacknowledged).
    pub active: u32,
    pub unacknowledged: u32,
    /// The highest priority among them.
    pub worst: Priority,
}

/// Counts over all alarms (whatever the filter): the operator always sees these.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ts_rs::TS)]
pub struct AlarmCounts {
    /// Alarms that need the operator: unacknowledged, acknowledged and returned unacknowledged.
    pub active: u32,
    pub unacknowledged: u32,
    pub acknowledged: u32,
    pub returned_unacknowledged: u32,
    pub shelved: u32,
    pub suppressed: u32,
    /// Unacknowledged high-priority alarms: what the sound and the banner are for.
    pub unacknowledged_high: u32,
}

/// The alarm rate and, in a flood, the alarm that started it and the worst repeaters.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct FloodView {
    #[serde(flatten)]
    pub status: FloodStatus,
    pub first_out_alarm: Option<AlarmRow>,
    pub offenders: Vec<RepeatOffender>,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct RepeatOffender {
    pub alarm: AlarmRow,
    pub times: u32,
}

/// Which alarms an acknowledgement is for.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum AckTarget {
    Ids(Vec<i64>),
    /// Every alarm the filter shows that waits for acknowledgement.
    AllVisible(AlarmFilter),
}

/// The counts over `all` alarms, and per connection what its tile shows.
pub(crate) fn alarm_counts(all: &[AlarmRow]) -> (AlarmCounts, Vec<ConnectionAlarms>) {
    let mut counts = AlarmCounts::default();
    let mut by: std::collections::BTreeMap<i64, ConnectionAlarms> = Default::default();
    for a in all {
        if let Some(id) = a.connection_id
            && a.state.is_visible()
        {
            let c = by.entry(id).or_insert(ConnectionAlarms {
                connection_id: id,
                active: 0,
                unacknowledged: 0,
                worst: Priority::Low,
            });
            c.active += 1;
            c.unacknowledged += u32::from(a.state != AlarmState::Acknowledged);
            c.worst = c.worst.min(a.priority);
        }
        match a.state {
            AlarmState::Unacknowledged => counts.unacknowledged += 1,
            AlarmState::Acknowledged => counts.acknowledged += 1,
            AlarmState::ReturnedUnacknowledged => counts.returned_unacknowledged += 1,
            AlarmState::Shelved => counts.shelved += 1,
            AlarmState::Suppressed => counts.suppressed += 1,
            AlarmState::Normal => {}
        }
        if a.state == AlarmState::Unacknowledged && a.priority == Priority::High {
            counts.unacknowledged_high += 1;
        }
    }
    counts.active = counts.unacknowledged + counts.acknowledged + counts.returned_unacknowledged;
    (counts, by.into_values().collect())
}

impl App {
    /// The alarms the filter selects, the counts, and the flood status.
    pub async fn alarms(&self, filter: &AlarmFilter) -> ZcResult<AlarmsView> {
        self.authorize(Capability::View).await?;
        if let Some(name) = &filter.connection {
            self.connection(name).await?;
        }
        self.store().evaluate_alarms().await?;
        let alarms = self.store().alarms(filter).await?;
        let all = self.store().alarms(&AlarmFilter { states: AlarmState::ALL.to_vec(), ..Default::default() }).await?;
        let (counts, by_connection) = alarm_counts(&all);
        let status = self.store().flood_status().await?;
        let find = |id: i64| all.iter().find(|a| a.id == id).cloned();
        let first_out = match status.first_out {
            Some(id) => find(id).or(Some(self.store().alarm(id).await?)),
            None => None,
        };
        let mut repeat_offenders = Vec::new();
        for &(id, times) in &status.repeat_offenders {
            let alarm = match find(id) {
                Some(a) => a,
                None => self.store().alarm(id).await?,
            };
            repeat_offenders.push(RepeatOffender { alarm, times });
        }
        Ok(AlarmsView {
            at: self.now(),
            alarms,
            counts,
            by_connection,
            flood: FloodView { status, first_out_alarm: first_out, offenders: repeat_offenders },
        })
    }

    pub async fn acknowledge_alarms(&self, target: &AckTarget, comment: Option<&str>) -> ZcResult<AckReport> {
        let audit = self.authorize(Capability::HandleAlarms).await?;
        let ids = match target {
            AckTarget::Ids(ids) => ids.clone(),
            AckTarget::AllVisible(filter) => {
                self.store().evaluate_alarms().await?;
                let rows = self.store().alarms(filter).await?;
                let ids: Vec<i64> = rows
                    .iter()
                    .filter(|a| matches!(a.state, AlarmState::Unacknowledged | AlarmState::ReturnedUnacknowledged))
                    .map(|a| a.id)
                    .collect();
                if ids.is_empty() {
                    return Ok(AckReport::default());
                }
                ids
            }
        };
        self.store().acknowledge_alarms(&ids, comment, &audit).await
    }

    /// Shelves an alarm for `for_ms` (1 minute to 24 hours) with a reason.
    pub async fn shelve_alarm(&self, id: i64, for_ms: i64, reason: &str) -> ZcResult<AlarmRow> {
        let audit = self.authorize(Capability::HandleAlarms).await?;
        self.store().shelve_alarm(id, self.now() + for_ms, reason, &audit).await
    }

    pub async fn unshelve_alarm(&self, id: i64) -> ZcResult<AlarmRow> {
        let audit = self.authorize(Capability::HandleAlarms).await?;
        self.store().unshelve_alarm(id, &audit).await
    }

    /// Every alarm transition in `[since, until)`, oldest first.
    pub async fn alarm_history(
        &self,
        since_ms: i64,
        until_ms: i64,
        connection: Option<&str>,
        limit: i64,
    ) -> ZcResult<Vec<AlarmHistoryRow>> {
        self.authorize(Capability::View).await?;
        if until_ms <= since_ms {
            return Err(ZcError::invalid("the window is empty: --since must be before --until"));
        }
        if let Some(name) = connection {
            self.connection(name).await?;
        }
        self.store().evaluate_alarms().await?;
        self.store().alarm_history(since_ms, until_ms, connection, 0, limit.clamp(1, MAX_ALARM_HISTORY_ROWS)).await
    }

    pub async fn alarm_settings(&self) -> ZcResult<AlarmSettings> {
        self.authorize(Capability::View).await?;
        self.store().alarm_settings().await
    }

    pub async fn set_alarm_settings(&self, settings: &AlarmSettings) -> ZcResult<AlarmSettings> {
        let audit = self.authorize(Capability::AlarmSettings).await?;
        self.store().set_alarm_settings(settings, &audit).await?;
        self.store().alarm_settings().await
    }

    /// Opens a maintenance window on a connection from `starts_at` (None: now) for `for_ms`.
    pub async fn open_maintenance_window(
        &self,
        name: &str,
        starts_at: Option<i64>,
        for_ms: i64,
        reason: &str,
    ) -> ZcResult<MaintenanceWindow> {
        let audit = self.authorize(Capability::MaintenanceWindows).await?;
        let conn = self.connection(name).await?;
        let start = starts_at.unwrap_or_else(|| self.now());
        self.store().open_maintenance_window(conn.id, name, start, start + for_ms, reason, &audit).await
    }

    pub async fn end_maintenance_window(&self, id: i64) -> ZcResult<MaintenanceWindow> {
        let audit = self.authorize(Capability::MaintenanceWindows).await?;
        self.store().end_maintenance_window(id, &audit).await
    }

    /// Current and planned windows (of one connection, or all); with `all`, past ones too.
    pub async fn maintenance_windows(&self, name: Option<&str>, all: bool) -> ZcResult<Vec<MaintenanceWindow>> {
        self.authorize(Capability::View).await?;
        let id = match name {
            Some(n) => Some(self.connection(n).await?.id),
            None => None,
        };
        let since = if all { i64::MIN } else { self.now() };
        self.store().maintenance_windows(id, since, i64::MAX).await
    }

    /// Makes `name` depend on `gateway` (None: on nothing).
    pub async fn set_dependency(&self, name: &str, gateway: Option<&str>) -> ZcResult<zc_store::ConnectionRow> {
        let audit = self.authorize(Capability::EditConnections).await?;
        let conn = self.connection(name).await?;
        let parent = match gateway {
            Some(g) if g == name => return Err(ZcError::invalid("a connection cannot depend on itself")),
            Some(g) => Some((self.connection(g).await?.id, g)),
            None => None,
        };
        self.store().set_dependency(conn.id, name, parent, &audit).await
    }

    /// Sets a point's alarm limits (None: no limit on that side).
    pub async fn set_point_limits(&self, name: &str, point: &str, low: Option<f64>, high: Option<f64>) -> ZcResult<()> {
        let audit = self.authorize(Capability::EditConnections).await?;
        let conn = self.connection(name).await?;
        self.store().set_point_limits(conn.id, name, point, low, high, &audit).await
    }
}
