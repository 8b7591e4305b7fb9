//! Live point values with their freshness, and point history: what `zc points` prints and what
//! the console's tiles and trends show.

use crate::App;
use serde::Serialize;
use zc_domain::Capability;
use zc_domain::point::{Freshness, Quality, fresh_for_ms, freshness};
use zc_domain::{ZcError, ZcResult};
use zc_store::{ConnectionRow, PointHistoryRow, PointRow};

/// A point's latest value as an operator may see it: never without its freshness.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct PointValue {
    pub connection: String,
    pub point: String,
    pub value: Option<f64>,
    pub unit: String,
    /// The station's own judgement.
    pub quality: Quality,
    /// This console's: fresh, stale, or unknown (never received, or the console has no network).
    pub freshness: Freshness,
    /// The station's timestamp of the value.
    pub source_at: Option<i64>,
    pub received_at: i64,
    /// Until when the value counts as fresh (if the console keeps its network).
    pub fresh_until: i64,
}

impl PointValue {
    pub fn from_row(conn: &ConnectionRow, row: &PointRow, now: i64, observer_online: bool) -> PointValue {
        let fresh_for = fresh_for_ms(conn.spec.interval_ms, conn.spec.timeout_ms);
        PointValue {
            connection: conn.spec.name.clone(),
            point: row.point.clone(),
            value: row.value,
            unit: row.unit.clone(),
            quality: row.quality,
            freshness: freshness(Some(row.received_at), fresh_for, now, observer_online),
            source_at: row.source_at,
            received_at: row.received_at,
            fresh_until: row.received_at + fresh_for,
        }
    }
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct PointsReport {
    pub connection: String,
    /// Whether the console had a network of its own when this was read.
    pub observer_online: bool,
    pub at: i64,
    pub values: Vec<PointValue>,
    /// Recorded history in the window asked for (empty without one).
    pub history: Vec<PointHistoryRow>,
}

/// At most this many history rows per request: a page, not the whole table.
pub const MAX_HISTORY_ROWS: i64 = 100_000;

impl App {
    /// Every point of a connection with its freshness now, and (with `since`) its recorded
    /// history in `[since, until)`, optionally of one point. Records a user access.
    pub async fn points(
        &self,
        name: &str,
        point: Option<&str>,
        window: Option<(i64, Option<i64>)>,
        limit: i64,
    ) -> ZcResult<PointsReport> {
        self.authorize(Capability::View).await?;
        if !(1..=MAX_HISTORY_ROWS).contains(&limit) {
            return Err(ZcError::invalid(format!("--limit must be between 1 and {MAX_HISTORY_ROWS}")));
        }
        let conn = self.show_connection(name).await?;
        let now = self.now();
        let online = self.network().is_online();
        let mut values: Vec<PointValue> = self
            .store()
            .latest_points(Some(conn.id))
            .await?
            .iter()
            .map(|r| PointValue::from_row(&conn, r, now, online))
            .collect();
        if let Some(p) = point {
            values.retain(|v| v.point == p);
            if values.is_empty() {
                return Err(ZcError::new(
                    zc_domain::ErrorCode::NotFound,
                    format!("'{name}' has no point '{p}'; `zc points {name}` lists its points"),
                ));
            }
        }
        let history = match window {
            Some((since, until)) => {
                let until = until.unwrap_or(now + 1);
                if until <= since {
                    return Err(ZcError::invalid("the window is empty: --since must be before --until"));
                }
                self.store().point_history(conn.id, point, since, until, limit).await?
            }
            None => Vec::new(),
        };
        Ok(PointsReport { connection: name.to_owned(), observer_online: online, at: now, values, history })
    }

    /// The latest value of every point of every connection, with freshness (the control room).
    pub async fn all_points(&self) -> ZcResult<Vec<PointValue>> {
        self.authorize(Capability::View).await?;
        let conns = self.store().list_connections().await?;
        let now = self.now();
        let online = self.network().is_online();
        let rows = self.store().latest_points(None).await?;
        Ok(rows
            .iter()
            .filter_map(|r| conns.iter().find(|c| c.id == r.connection_id).map(|c| (c, r)))
            .map(|(c, r)| PointValue::from_row(c, r, now, online))
            .collect())
    }

    /// Sets how a point's history is recorded: its deadband (in the point's unit) and heartbeat.
    /// None puts a setting back to its default (1 % of the value; 10 minutes). The monitor uses
    /// the new rule from its next write.
    pub async fn set_point_rule(
        &self,
        name: &str,
        point: &str,
        deadband: Option<f64>,
        heartbeat_ms: Option<i64>,
    ) -> ZcResult<()> {
        let audit = self.authorize(Capability::EditConnections).await?;
        if deadband.is_some_and(|d| !d.is_finite() || d < 0.0) {
            return Err(ZcError::invalid("the deadband must be a number of 0 or more, in the point's unit"));
        }
        if heartbeat_ms.is_some_and(|h| !(1_000..=86_400_000).contains(&h)) {
            return Err(ZcError::invalid("the heartbeat must be between 1s and 1d"));
        }
        let conn = self.connection(name).await?;
        self.store().set_point_rule(conn.id, name, point, deadband, heartbeat_ms, &audit).await
    }
}
