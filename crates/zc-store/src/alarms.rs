//! Alarms as stored: the engine's pass (facts read, `zc_domain::alarm::evaluate`, changes
//! written, all in the caller's transaction), the operator's actions (acknowledge, shelve,
//! unshelve, each with its activity-log entry in the same transaction), the list, the history
//! and the flood status. Every process may run a pass (the monitor after each batch and once a
//! second, the CLI and the console before they read); passes are serialised by `BEGIN
//! IMMEDIATE`, and a second pass over the same facts writes nothing.

use crate::Store;
use crate::activity::{Audit, append};
use crate::error::db_err;
use crate::ids::{IdSeries, next_id};
use crate::sync_connections::connection_global_id;
use serde::Serialize;
use serde_json::json;
use sqlx::{Row, SqliteConnection};
use std::collections::HashMap;
use zc_domain::alarm::{
    Alarm, AlarmAction, AlarmChange, AlarmEvent, AlarmFacts, AlarmKey, AlarmKind, AlarmSettings, AlarmState,
    Annunciation, CertFacts, ConnectionFacts, FloodStatus, PointFacts, Priority, Shelve, Suppression, evaluate, flood,
};
use zc_domain::{ErrorCode, Status, ZcError, ZcResult};

/// An alarm as the list shows it.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct AlarmRow {
    pub id: i64,
    pub kind: AlarmKind,
    pub connection_id: Option<i64>,
    /// The connection's name; None for the console's own alarm.
    pub connection: Option<String>,
    pub point: Option<String>,
    pub state: AlarmState,
    pub priority: Priority,
    pub message: String,
    pub occurrence: i64,
    pub raised_at: Option<i64>,
    pub returned_at: Option<i64>,
    pub acked_at: Option<i64>,
    pub acked_by: Option<String>,
    pub shelved_until: Option<i64>,
    pub shelve_reason: Option<String>,
    pub shelved_by: Option<String>,
    /// Why it is suppressed: maintenance, console_network, gateway, station or chattering.
    pub suppressed_by: Option<String>,
    /// The connection whose alarm explains the suppression (the gateway, the point's station).
    pub suppressed_under: Option<String>,
}

/// One stored transition, for the history and its export.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct AlarmHistoryRow {
    pub id: i64,
    pub alarm_id: i64,
    pub at: i64,
    pub kind: AlarmKind,
    pub connection: Option<String>,
    pub point: Option<String>,
    pub action: AlarmAction,
    pub from_state: AlarmState,
    pub to_state: AlarmState,
    pub occurrence: i64,
    pub priority: Priority,
    pub message: String,
    pub actor: Option<String>,
    pub reason: Option<String>,
    pub until: Option<i64>,
    pub annunciated: bool,
}

/// Which alarms a list or history shows.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize, ts_rs::TS)]
#[serde(default)]
pub struct AlarmFilter {
    pub connection: Option<String>,
    pub priorities: Vec<Priority>,
    /// Empty: what needs the operator (unacknowledged, acknowledged, returned unacknowledged).
    pub states: Vec<AlarmState>,
}

/// What an acknowledgement of several alarms did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ts_rs::TS)]
pub struct AckReport {
    pub acknowledged: Vec<i64>,
    /// Alarms that had nothing to acknowledge (already acknowledged, or normal by now).
    pub skipped: Vec<i64>,
}

const SETTINGS_KEY: &str = "alarms";
const CONSOLE_NETWORK_KEY: &str = "console_network";
/// How far back the flood detector reads: a flood longer than this shows its first-out as the
/// first annunciation in the last 24 hours.
const FLOOD_LOOKBACK_MS: i64 = 86_400_000;

fn state_of(s: &str) -> AlarmState {
    AlarmState::parse(s).unwrap_or(AlarmState::Unacknowledged)
}

fn row_to_alarm(r: &sqlx::sqlite::SqliteRow) -> Alarm {
    let kind = AlarmKind::parse(r.get::<&str, _>("kind")).unwrap_or(AlarmKind::Offline);
    let until: Option<i64> = r.get("shelved_until");
    Alarm {
        id: Some(r.get("id")),
        key: AlarmKey { kind, connection_id: r.get("connection_id"), point: r.get("point_key") },
        priority: Priority::parse(r.get::<&str, _>("priority")).unwrap_or(Priority::High),
        message: r.get("message"),
        active: r.get::<i64, _>("active") != 0,
        acked: r.get::<i64, _>("acked") != 0,
        shelved: until.map(|until_ms| Shelve {
            until_ms,
            reason: r.get::<Option<String>, _>("shelve_reason").unwrap_or_default(),
            by: r.get::<Option<String>, _>("shelved_by").unwrap_or_default(),
        }),
        suppression: r
            .get::<Option<&str>, _>("suppressed_by")
            .and_then(|c| Suppression::from_code(c, r.get("suppressed_under"))),
        occurrence: r.get("occurrence"),
        raised_at: r.get("raised_at"),
        returned_at: r.get("returned_at"),
        acked_at: r.get("acked_at"),
        acked_by: r.get("acked_by"),
    }
}

const ROW_SELECT: &str = "SELECT a.*, c.name AS connection_name, u.name AS under_name FROM alarms a \
     LEFT JOIN backend_connections c ON c.id = a.connection_id \
     LEFT JOIN backend_connections u ON u.id = a.suppressed_under";

fn row_to_view(r: &sqlx::sqlite::SqliteRow) -> AlarmRow {
    let a = row_to_alarm(r);
    AlarmRow {
        id: a.id.unwrap_or_default(),
        kind: a.key.kind,
        connection_id: a.key.connection_id,
        connection: r.get("connection_name"),
        point: (!a.key.point.is_empty()).then(|| a.key.point.clone()),
        state: a.state(),
        priority: a.priority,
        message: a.message.clone(),
        occurrence: a.occurrence,
        raised_at: a.raised_at,
        returned_at: a.returned_at,
        acked_at: a.acked_at,
        acked_by: a.acked_by.clone(),
        shelved_until: a.shelved.as_ref().map(|s| s.until_ms),
        shelve_reason: a.shelved.as_ref().map(|s| s.reason.clone()),
        shelved_by: a.shelved.as_ref().map(|s| s.by.clone()),
        suppressed_by: a.suppression.map(|s| s.code().to_owned()),
        suppressed_under: r.get("under_name"),
    }
}

async fn read_settings(conn: &mut SqliteConnection) -> ZcResult<AlarmSettings> {
    let raw = crate::settings::read_setting(conn, SETTINGS_KEY).await?;
    // Settings written by a newer version may hold fields this one does not know: ignored.
    Ok(raw.and_then(|s| serde_json::from_str(&s).ok()).unwrap_or_default())
}

async fn console_online(conn: &mut SqliteConnection) -> ZcResult<bool> {
    let v: Option<String> = sqlx::query_scalar("SELECT value FROM meta WHERE key = ?")
        .bind(CONSOLE_NETWORK_KEY)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_err)?;
    Ok(v.as_deref() != Some("offline"))
}

/// Everything the engine decides from, read in the caller's transaction.
async fn read_facts(conn: &mut SqliteConnection, now: i64, s: &AlarmSettings) -> ZcResult<AlarmFacts> {
    let mut facts = AlarmFacts { console_online: console_online(conn).await?, ..Default::default() };
    let rows = sqlx::query(
        "SELECT c.id, c.name, c.status, c.status_since, c.depends_on, c.probe_interval_ms, c.probe_timeout_ms, \
         c.confirm_count, c.tls_not_after, c.tls_pin_sha256, c.tls_seen_sha256, c.tls_trust_at, \
         EXISTS (SELECT 1 FROM maintenance_windows m WHERE m.connection_id = c.id AND m.starts_at <= ?1 AND m.ends_at > ?1), \
         CASE WHEN c.status IN ('offline', 'unauthorized', 'untrusted', 'degraded') THEN \
           (SELECT h.error_category FROM connection_status_history h \
            WHERE h.connection_id = c.id ORDER BY h.at DESC, h.id DESC LIMIT 1) END \
         FROM backend_connections c",
    )
    .bind(now)
    .fetch_all(&mut *conn)
    .await
    .map_err(db_err)?;
    // Changes between known statuses only: a monitor's stop and start are not flapping.
    let chatter: HashMap<i64, (i64, Option<i64>)> = sqlx::query(
        "SELECT connection_id, SUM(at > ?1), MAX(at) FROM connection_status_history \
         WHERE at > ?2 AND from_status <> 'unknown' AND to_status <> 'unknown' GROUP BY connection_id",
    )
    .bind(now - s.chatter_window_ms)
    .bind(now - s.chatter_window_ms.max(s.chatter_settle_ms))
    .fetch_all(&mut *conn)
    .await
    .map_err(db_err)?
    .into_iter()
    .map(|r| (r.get::<i64, _>(0), (r.get::<i64, _>(1), r.get::<Option<i64>, _>(2))))
    .collect();
    for r in rows {
        let id: i64 = r.get(0);
        let interval: i64 = r.get(5);
        let timeout: i64 = r.get(6);
        let confirm: i64 = r.get(7);
        let (recent, last) = chatter.get(&id).copied().unwrap_or((0, None));
        let pin: Option<String> = r.get(9);
        let seen: Option<String> = r.get(10);
        facts.connections.push(ConnectionFacts {
            id,
            name: r.get(1),
            status: Status::parse(r.get::<&str, _>(2)).unwrap_or(Status::Unknown),
            status_since: r.get(3),
            // The category in words: the library's error text is for the detail view, not an alarm.
            detail: r
                .get::<Option<&str>, _>(13)
                .and_then(zc_domain::FailureCategory::parse)
                .map(|c| c.words().to_owned()),
            depends_on: r.get(4),
            // The gateway's own confirmation: `confirm` probes, the last one up to its deadline.
            confirm_window_ms: interval * confirm.max(1) + timeout,
            in_maintenance: r.get::<i64, _>(12) != 0,
            recent_changes: recent.max(0) as u32,
            last_change_at: last,
            cert: r.get::<Option<i64>, _>(8).map(|not_after_ms| CertFacts {
                not_after_ms,
                // What was seen is forgotten when the trust changes (`set_tls_trust`): a
                // certificate seen before the pin was set says nothing against it.
                pin_changed: matches!((&pin, &seen), (Some(p), Some(s)) if p != s),
            }),
            trust_changed_at: r.get(11),
        });
    }
    let names: HashMap<i64, &str> = facts.connections.iter().map(|c| (c.id, c.name.as_str())).collect();
    let points = sqlx::query(
        "SELECT connection_id, point_key, value, unit, quality, low_limit, high_limit FROM data_points \
         WHERE quality = 'bad' OR value > high_limit OR value < low_limit",
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(db_err)?;
    let mut point_facts = Vec::with_capacity(points.len());
    for r in points {
        let connection_id: i64 = r.get(0);
        let point: String = r.get(1);
        let unit: String = r.get(3);
        let station = names.get(&connection_id).copied().unwrap_or("?");
        // A value of bad quality says nothing about the limits.
        let (kind, message) = if r.get::<&str, _>(4) == "bad" {
            (AlarmKind::PointQuality, format!("{station}: {point} has bad quality"))
        } else if let Some(high) =
            r.get::<Option<f64>, _>(6).filter(|h| r.get::<Option<f64>, _>(2).is_some_and(|v| v > *h))
        {
            (AlarmKind::PointHigh, format!("{station}: {point} above its high limit ({high} {unit})"))
        } else {
            let low = r.get::<Option<f64>, _>(5).unwrap_or_default();
            (AlarmKind::PointLow, format!("{station}: {point} below its low limit ({low} {unit})"))
        };
        point_facts.push(PointFacts { connection_id, point, kind, message });
    }
    facts.points = point_facts;
    Ok(facts)
}

async fn stored_alarms(conn: &mut SqliteConnection) -> ZcResult<Vec<Alarm>> {
    Ok(sqlx::query("SELECT * FROM alarms WHERE state <> 'normal'")
        .fetch_all(&mut *conn)
        .await
        .map_err(db_err)?
        .iter()
        .map(row_to_alarm)
        .collect())
}

/// The normal rows among `keys` (one query, however many: a burst raises a thousand at once).
async fn normal_alarms_of(conn: &mut SqliteConnection, keys: &[&AlarmKey]) -> ZcResult<Vec<Alarm>> {
    let wanted: Vec<(String, i64, String)> =
        keys.iter().map(|k| (k.kind.as_str().to_owned(), k.connection_id.unwrap_or(0), k.point.clone())).collect();
    let json = serde_json::to_string(&wanted).map_err(|e| ZcError::internal(e.to_string()))?;
    Ok(sqlx::query(
        "SELECT a.* FROM json_each(?) w JOIN alarms a ON a.kind = json_extract(w.value, '$[0]') \
         AND IFNULL(a.connection_id, 0) = json_extract(w.value, '$[1]') AND a.point_key = json_extract(w.value, '$[2]') \
         WHERE a.state = 'normal'",
    )
    .bind(json)
    .fetch_all(&mut *conn)
    .await
    .map_err(db_err)?
    .iter()
    .map(row_to_alarm)
    .collect())
}

/// Decides every alarm against what the store holds now, without writing.
async fn decide(conn: &mut SqliteConnection, now: i64) -> ZcResult<Vec<AlarmChange>> {
    let settings = read_settings(conn).await?;
    let facts = read_facts(conn, now, &settings).await?;
    let mut stored = stored_alarms(conn).await?;
    let mut changes = evaluate(&facts, &stored, &settings, now);
    // A source new to this pass may have a row from an earlier occurrence (now normal): with it
    // loaded, decide again, so its occurrences and shelving continue.
    let new: Vec<&AlarmKey> = changes.iter().filter(|c| c.alarm.id.is_none()).map(|c| &c.alarm.key).collect();
    let known = if new.is_empty() { Vec::new() } else { normal_alarms_of(conn, &new).await? };
    if !known.is_empty() {
        stored.extend(known);
        changes = evaluate(&facts, &stored, &settings, now);
    }
    Ok(changes)
}

/// Runs the engine inside the caller's write transaction; returns how many alarms changed.
pub(crate) async fn evaluate_in(conn: &mut SqliteConnection, now: i64) -> ZcResult<usize> {
    let changes = decide(conn, now).await?;
    for c in &changes {
        write_alarm(conn, &c.alarm, &c.events, now).await?;
    }
    Ok(changes.len())
}

/// Writes an alarm's row and its events.
async fn write_alarm(conn: &mut SqliteConnection, a: &Alarm, events: &[AlarmEvent], now: i64) -> ZcResult<i64> {
    let shelve = a.shelved.as_ref();
    // A new alarm takes an id never used before (see ids.rs).
    let id = match a.id {
        Some(id) => id,
        None => next_id(conn, IdSeries::Alarms, now).await?,
    };
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO alarms (id, kind, connection_id, point_key, state, priority, message, active, acked, occurrence, raised_at, \
         returned_at, acked_at, acked_by, shelved_until, shelve_reason, shelved_by, suppressed_by, suppressed_under, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?20) \
         ON CONFLICT (id) DO UPDATE SET state = ?5, priority = ?6, message = ?7, active = ?8, acked = ?9, occurrence = ?10, \
         raised_at = ?11, returned_at = ?12, acked_at = ?13, acked_by = ?14, shelved_until = ?15, shelve_reason = ?16, \
         shelved_by = ?17, suppressed_by = ?18, suppressed_under = ?19, updated_at = ?20 RETURNING id",
    )
    .bind(id)
    .bind(a.key.kind.as_str())
    .bind(a.key.connection_id)
    .bind(&a.key.point)
    .bind(a.state().as_str())
    .bind(a.priority.as_str())
    .bind(&a.message)
    .bind(a.active as i64)
    .bind(a.acked as i64)
    .bind(a.occurrence)
    .bind(a.raised_at)
    .bind(a.returned_at)
    .bind(a.acked_at)
    .bind(&a.acked_by)
    .bind(shelve.map(|s| s.until_ms))
    .bind(shelve.map(|s| s.reason.as_str()))
    .bind(shelve.map(|s| s.by.as_str()))
    .bind(a.suppression.map(|s| s.code()))
    .bind(a.suppression.and_then(|s| s.parent()))
    .bind(now)
    .fetch_one(&mut *conn)
    .await
    .map_err(db_err)?;
    for e in events {
        let event_id = next_id(conn, IdSeries::AlarmEvents, now).await?;
        sqlx::query(
            "INSERT INTO alarm_events (id, alarm_id, at, action, from_state, to_state, occurrence, priority, message, actor, reason, \
             until_at, annunciated, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(event_id)
        .bind(id)
        .bind(e.at_ms)
        .bind(e.action.as_str())
        .bind(e.from.as_str())
        .bind(e.to.as_str())
        .bind(e.occurrence)
        .bind(e.priority.as_str())
        .bind(&e.message)
        .bind(&e.actor)
        .bind(&e.reason)
        .bind(e.until_ms)
        .bind(e.annunciated as i64)
        .bind(now)
        .bind(now)
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
    }
    Ok(id)
}

fn no_alarm(id: i64) -> ZcError {
    ZcError::new(ErrorCode::NotFound, format!("there is no alarm {id}; `zc alarms list --state all` shows their ids"))
}

fn key_json(a: &Alarm) -> serde_json::Value {
    json!({"kind": a.key.kind.as_str(), "connection_id": a.key.connection_id, "point": a.key.point, "occurrence": a.occurrence})
}

fn history_row(r: &sqlx::sqlite::SqliteRow) -> AlarmHistoryRow {
    AlarmHistoryRow {
        id: r.get("id"),
        alarm_id: r.get("alarm_id"),
        at: r.get("at"),
        kind: AlarmKind::parse(r.get::<&str, _>("kind")).unwrap_or(AlarmKind::Offline),
        connection: r.get("connection_name"),
        point: Some(r.get::<String, _>("point_key")).filter(|p| !p.is_empty()),
        action: AlarmAction::parse(r.get::<&str, _>("action")).unwrap_or(AlarmAction::Updated),
        from_state: state_of(r.get::<&str, _>("from_state")),
        to_state: state_of(r.get::<&str, _>("to_state")),
        occurrence: r.get("occurrence"),
        priority: Priority::parse(r.get::<&str, _>("priority")).unwrap_or(Priority::High),
        message: r.get("message"),
        actor: r.get("actor"),
        reason: r.get("reason"),
        until: r.get("until_at"),
        annunciated: r.get::<i64, _>("annunciated") != 0,
    }
}

impl Store {
    /// Runs the engine: reads first, and takes the write lock only when something changes (it
    /// runs once a second in the monitor and before every read of the alarms).
    pub async fn evaluate_alarms(&self) -> ZcResult<usize> {
        let now = self.now();
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        if decide(&mut conn, now).await?.is_empty() {
            return Ok(0);
        }
        drop(conn);
        let mut tx = self.begin_write().await?;
        let n = evaluate_in(&mut tx, now).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(n)
    }

    /// Records whether the console has a network of its own (the monitor's check) and decides
    /// the alarms with it, in one transaction.
    pub async fn set_console_network(&self, online: bool) -> ZcResult<()> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO meta (key, value, created_at, updated_at) VALUES (?1, ?2, ?3, ?3) \
             ON CONFLICT (key) DO UPDATE SET value = ?2, updated_at = ?3",
        )
        .bind(CONSOLE_NETWORK_KEY)
        .bind(if online { "online" } else { "offline" })
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        evaluate_in(&mut tx, now).await?;
        tx.commit().await.map_err(db_err)
    }

    pub async fn alarm_settings(&self) -> ZcResult<AlarmSettings> {
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        read_settings(&mut conn).await
    }

    /// Replaces the alarm settings (validated), audited, and decides the alarms with them.
    pub async fn set_alarm_settings(&self, settings: &AlarmSettings, audit: &Audit) -> ZcResult<()> {
        settings.validate()?;
        let now = self.now();
        let value = serde_json::to_string(settings).map_err(|e| ZcError::internal(e.to_string()))?;
        let mut tx = self.begin_write().await?;
        crate::settings::put_setting(&mut tx, SETTINGS_KEY, &value, now).await?;
        append(&mut tx, now, audit, "alarm.settings", "alarms", json!({"settings": settings})).await?;
        evaluate_in(&mut tx, now).await?;
        tx.commit().await.map_err(db_err)
    }

    /// The alarms the filter selects, by priority (high first) and then newest first.
    pub async fn alarms(&self, filter: &AlarmFilter) -> ZcResult<Vec<AlarmRow>> {
        let states: Vec<&str> = if filter.states.is_empty() {
            AlarmState::ALL.iter().filter(|s| s.is_visible()).map(|s| s.as_str()).collect()
        } else {
            filter.states.iter().map(|s| s.as_str()).collect()
        };
        let priorities: Vec<&str> = if filter.priorities.is_empty() {
            Priority::ALL.iter().map(|p| p.as_str()).collect()
        } else {
            filter.priorities.iter().map(|p| p.as_str()).collect()
        };
        let sql = format!(
            "{ROW_SELECT} WHERE a.state IN (SELECT value FROM json_each(?1)) AND a.priority IN (SELECT value FROM json_each(?2)) \
             AND (?3 IS NULL OR c.name = ?3) \
             ORDER BY CASE a.priority WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END, a.raised_at DESC, a.id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(serde_json::to_string(&states).unwrap_or_default())
            .bind(serde_json::to_string(&priorities).unwrap_or_default())
            .bind(&filter.connection)
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(rows.iter().map(row_to_view).collect())
    }

    pub async fn alarm(&self, id: i64) -> ZcResult<AlarmRow> {
        let sql = format!("{ROW_SELECT} WHERE a.id = ?");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?
            .as_ref()
            .map(row_to_view)
            .ok_or_else(|| no_alarm(id))
    }

    /// Alarm counts that need the operator, per connection (None: the console's own).
    pub async fn alarm_counts(&self) -> ZcResult<Vec<(Option<i64>, i64, i64)>> {
        let rows = sqlx::query(
            "SELECT connection_id, COUNT(*), SUM(state <> 'acknowledged') FROM alarms \
             WHERE state IN ('unacknowledged', 'acknowledged', 'returned_unacknowledged') GROUP BY connection_id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect())
    }

    /// Every transition in `[since, until)`, oldest first.
    pub async fn alarm_history(
        &self,
        since_ms: i64,
        until_ms: i64,
        connection: Option<&str>,
        offset: i64,
        limit: i64,
    ) -> ZcResult<Vec<AlarmHistoryRow>> {
        let rows = sqlx::query(
            "SELECT e.*, a.kind, a.point_key, c.name AS connection_name FROM alarm_events e JOIN alarms a ON a.id = e.alarm_id \
             LEFT JOIN backend_connections c ON c.id = a.connection_id \
             WHERE e.at >= ?1 AND e.at < ?2 AND (?3 IS NULL OR c.name = ?3) ORDER BY e.at, e.id LIMIT ?4 OFFSET ?5",
        )
        .bind(since_ms)
        .bind(until_ms)
        .bind(connection)
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(rows.iter().map(history_row).collect())
    }

    /// Annunciated transitions after event `after_id`, oldest first (what a person is told of:
    /// the desktop notifications follow them).
    pub async fn annunciations_after(&self, after_id: i64, limit: i64) -> ZcResult<Vec<AlarmHistoryRow>> {
        let rows = sqlx::query(
            "SELECT e.*, a.kind, a.point_key, c.name AS connection_name FROM alarm_events e JOIN alarms a ON a.id = e.alarm_id \
             LEFT JOIN backend_connections c ON c.id = a.connection_id \
             WHERE e.id > ?1 AND e.annunciated = 1 ORDER BY e.id LIMIT ?2",
        )
        .bind(after_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(rows.iter().map(history_row).collect())
    }

    /// The newest alarm event's id (0: none yet).
    pub async fn last_alarm_event_id(&self) -> ZcResult<i64> {
        sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM alarm_events").fetch_one(&self.pool).await.map_err(db_err)
    }

    /// The alarm rate over the flood window and, in a flood, its first-out and repeat offenders.
    pub async fn flood_status(&self) -> ZcResult<FloodStatus> {
        let now = self.now();
        let settings = self.alarm_settings().await?;
        let ann: Vec<Annunciation> = sqlx::query(
            "SELECT at, alarm_id FROM alarm_events WHERE annunciated = 1 AND at > ? AND at <= ? ORDER BY at, id",
        )
        .bind(now - FLOOD_LOOKBACK_MS)
        .bind(now)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(|r| Annunciation { at_ms: r.get(0), alarm_id: r.get(1) })
        .collect();
        Ok(flood(&ann, now, &settings))
    }

    /// Acknowledges the alarms (one, several or all the operator sees), each with its activity
    /// entry, in one transaction. Alarms with nothing to acknowledge are skipped, not refused:
    /// between the operator's look and the click, one may have cleared.
    pub async fn acknowledge_alarms(&self, ids: &[i64], comment: Option<&str>, audit: &Audit) -> ZcResult<AckReport> {
        if ids.is_empty() {
            return Err(ZcError::invalid("say which alarms to acknowledge (their ids, or --all)"));
        }
        let comment = comment.map(str::trim).filter(|c| !c.is_empty());
        if comment.is_some_and(|c| c.chars().count() > zc_domain::alarm::MAX_REASON_CHARS) {
            return Err(ZcError::invalid("the comment is too long; keep it under 500 characters"));
        }
        let now = self.now();
        let mut tx = self.begin_write().await?;
        evaluate_in(&mut tx, now).await?;
        let mut report = AckReport::default();
        for &id in ids {
            let mut a = self.alarm_in(&mut tx, id).await?;
            match a.acknowledge(&audit.actor, now) {
                Ok(mut e) => {
                    e.reason = comment.map(str::to_owned);
                    write_alarm(&mut tx, &a, &[e], now).await?;
                    let gid = connection_global_id(&mut tx, a.key.connection_id).await?;
                    let meta = json!({"alarm": key_json(&a), "comment": comment, "connection_gid": gid});
                    append(&mut tx, now, audit, "alarm.ack", &format!("alarm/{id}"), meta).await?;
                    report.acknowledged.push(id);
                }
                Err(_) => report.skipped.push(id),
            }
        }
        tx.commit().await.map_err(db_err)?;
        Ok(report)
    }

    /// Shelves an alarm until `until_ms`, with a reason; audited.
    pub async fn shelve_alarm(&self, id: i64, until_ms: i64, reason: &str, audit: &Audit) -> ZcResult<AlarmRow> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        evaluate_in(&mut tx, now).await?;
        let mut a = self.alarm_in(&mut tx, id).await?;
        let events = a.shelve(&audit.actor, until_ms, reason, now)?;
        write_alarm(&mut tx, &a, &events, now).await?;
        let gid = connection_global_id(&mut tx, a.key.connection_id).await?;
        let meta = json!({"alarm": key_json(&a), "until": until_ms, "reason": reason.trim(), "connection_gid": gid});
        append(&mut tx, now, audit, "alarm.shelve", &format!("alarm/{id}"), meta).await?;
        tx.commit().await.map_err(db_err)?;
        self.alarm(id).await
    }

    pub async fn unshelve_alarm(&self, id: i64, audit: &Audit) -> ZcResult<AlarmRow> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        evaluate_in(&mut tx, now).await?;
        let mut a = self.alarm_in(&mut tx, id).await?;
        let e = a.unshelve(&audit.actor, now)?;
        write_alarm(&mut tx, &a, &[e], now).await?;
        let gid = connection_global_id(&mut tx, a.key.connection_id).await?;
        let meta = json!({"alarm": key_json(&a), "connection_gid": gid});
        append(&mut tx, now, audit, "alarm.unshelve", &format!("alarm/{id}"), meta).await?;
        tx.commit().await.map_err(db_err)?;
        self.alarm(id).await
    }

    async fn alarm_in(&self, conn: &mut SqliteConnection, id: i64) -> ZcResult<Alarm> {
        sqlx::query("SELECT * FROM alarms WHERE id = ?")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await
            .map_err(db_err)?
            .as_ref()
            .map(row_to_alarm)
            .ok_or_else(|| no_alarm(id))
    }
}
