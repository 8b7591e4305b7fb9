//! What the console's screens show, assembled in the core so the desktop shell and any other
//! front end only render it: the control room's tiles (status, last contact, a latency
//! sparkline, widgets bound to live point values), and widgets resolved against their points.

use crate::App;
use crate::points::PointValue;
use serde::Serialize;
use std::collections::HashMap;
use zc_domain::Capability;
use zc_domain::widget::{WidgetBinding, display_binding};
use zc_domain::{ConnectionKind, Status, ZcResult};
use zc_store::WidgetRow;

/// Latency samples per tile sparkline.
pub const SPARK_SAMPLES: i64 = 60;

/// One request in a sparkline: its latency, or a failure mark (a failure has no latency to draw).
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct SparkPoint {
    pub at: i64,
    pub latency_ms: f64,
    pub failed: bool,
}

/// A widget as the console displays it: its binding and the live value it shows, or the reason
/// it cannot be shown (the console then shows a placeholder that says so).
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct WidgetView {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub url: Option<String>,
    pub binding: Option<WidgetBinding>,
    pub problem: Option<String>,
}

/// One connection in the control room.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct Tile {
    pub id: i64,
    pub name: String,
    pub kind: ConnectionKind,
    pub url: String,
    pub status: Status,
    pub status_since: i64,
    /// The status is `unknown` because the console itself had no network, not the station.
    pub observer_offline: bool,
    pub last_contact_at: Option<i64>,
    pub interval_ms: i64,
    pub spark: Vec<SparkPoint>,
    pub widgets: Vec<WidgetView>,
}

/// One recorded value of a point, for a trend.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct TrendSample {
    pub at: i64,
    pub value: Option<f64>,
}

/// The recorded history a trend widget opens with (it then grows with the live values).
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct PointTrend {
    pub connection: String,
    pub point: String,
    pub samples: Vec<TrendSample>,
}

/// The control room at one moment: every tile, every point value with its freshness, the
/// trends' recorded history, and whether the console itself has a network.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ControlRoom {
    pub at: i64,
    pub observer_online: bool,
    pub tiles: Vec<Tile>,
    pub points: Vec<PointValue>,
    pub trends: Vec<PointTrend>,
}

/// A trend's window unless its configuration says otherwise, and its samples at most.
pub const DEFAULT_TREND_WINDOW_MS: i64 = 10 * 60 * 1000;
const MAX_TREND_SAMPLES: i64 = 600;

pub fn widget_view(w: &WidgetRow) -> WidgetView {
    let (binding, problem) = match display_binding(&w.spec.kind, w.spec.url.as_deref(), &w.spec.config) {
        Ok(b) => (Some(b), None),
        Err(why) => (None, Some(why)),
    };
    WidgetView {
        id: w.id,
        name: w.spec.name.clone(),
        kind: w.spec.kind.clone(),
        url: w.spec.url.clone(),
        binding,
        problem,
    }
}

impl App {
    /// Everything the control room shows, read in a handful of statements whatever the number
    /// of connections.
    pub async fn control_room(&self) -> ZcResult<ControlRoom> {
        self.authorize(Capability::View).await?;
        let store = self.store();
        let conns = store.list_connections().await?;
        let mut spark: HashMap<i64, Vec<SparkPoint>> = HashMap::new();
        for m in store.recent_metrics(SPARK_SAMPLES).await? {
            spark.entry(m.connection_id).or_default().push(SparkPoint {
                at: m.at_ms,
                latency_ms: m.latency_us as f64 / 1000.0,
                failed: m.outcome != zc_domain::Outcome::Ok,
            });
        }
        let mut widgets: HashMap<i64, Vec<WidgetView>> = HashMap::new();
        for w in store.list_widgets(None).await?.iter().filter(|w| w.spec.active) {
            widgets.entry(w.connection_id).or_default().push(widget_view(w));
        }
        let observer_offline = store.observer_offline_connections().await?;
        let now = self.now();
        let mut trends = Vec::new();
        for c in &conns {
            for w in widgets.get(&c.id).into_iter().flatten().filter(|w| w.kind == "trend") {
                let Some(b) = &w.binding else { continue };
                let Some(point) = &b.point else { continue };
                let since = now - b.window_ms.unwrap_or(DEFAULT_TREND_WINDOW_MS);
                let rows = store.point_history(c.id, Some(point), since, now + 1, MAX_TREND_SAMPLES).await?;
                trends.push(PointTrend {
                    connection: c.spec.name.clone(),
                    point: point.clone(),
                    samples: rows.into_iter().map(|h| TrendSample { at: h.at, value: h.value }).collect(),
                });
            }
        }
        let tiles = conns
            .iter()
            .map(|c| Tile {
                id: c.id,
                name: c.spec.name.clone(),
                kind: c.spec.kind,
                url: c.spec.url.clone(),
                status: c.status,
                status_since: c.status_since,
                observer_offline: c.status == Status::Unknown && observer_offline.contains(&c.id),
                last_contact_at: c.last_contact_at,
                interval_ms: c.spec.interval_ms,
                spark: spark.remove(&c.id).unwrap_or_default(),
                widgets: widgets.remove(&c.id).unwrap_or_default(),
            })
            .collect();
        Ok(ControlRoom {
            at: now,
            observer_online: self.network().is_online(),
            tiles,
            points: self.all_points().await?,
            trends,
        })
    }
}
