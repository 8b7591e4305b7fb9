//! Connection diagnostics for engineers: the detail view's connection, latency chart (SVG drawn
//! by plotters in the core), error breakdown by category, and raw samples a page at a time.

use crate::App;
use crate::views::{WidgetView, widget_view};
use serde::Serialize;
use zc_domain::Capability;
use zc_domain::probe::RequestMetric;
use zc_domain::{ZcError, ZcResult};
use zc_store::ConnectionRow;

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ConnectionDetail {
    pub connection: ConnectionRow,
    /// The current status is `unknown` because the console had no network.
    pub observer_offline: bool,
    pub widgets: Vec<WidgetView>,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct LatencyChart {
    pub svg: String,
    pub since: i64,
    pub until: i64,
    /// Requests behind the chart: answered plus failed.
    pub samples: i64,
    pub failures: i64,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct OutcomeCount {
    pub outcome: String,
    pub count: i64,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct MetricsPage {
    pub rows: Vec<RequestMetric>,
    /// Rows in the whole window, for the pager.
    pub total: i64,
    pub offset: i64,
    /// Requests per outcome in the window: the error breakdown by category.
    pub outcomes: Vec<OutcomeCount>,
}

/// Rows per page at most.
pub const MAX_PAGE_ROWS: i64 = 1000;

impl App {
    /// What the detail view opens with. Opening it records the user's access to the connection.
    pub async fn connection_detail(&self, name: &str) -> ZcResult<ConnectionDetail> {
        let audit = self.authorize(Capability::View).await?;
        let connection = self.show_connection(name).await?;
        let observer_offline = connection.status == zc_domain::Status::Unknown
            && self.store().observer_offline_connections().await?.contains(&connection.id);
        let rows: Vec<_> =
            self.store().list_widgets(Some(connection.id)).await?.into_iter().filter(|w| w.spec.active).collect();
        // Widget views are recorded apart from the connection's access, in the widget access log.
        for w in &rows {
            self.store()
                .record_widget_access(w.id, self.signed_in().map(|s| s.user_id), audit.device_id, "view")
                .await?;
        }
        let widgets = rows.iter().map(widget_view).collect();
        Ok(ConnectionDetail { connection, observer_offline, widgets })
    }

    /// The latency chart as an SVG document for the page, re-drawn for every zoom.
    pub async fn latency_chart(
        &self,
        name: &str,
        since_ms: i64,
        until_ms: Option<i64>,
        width: u32,
        height: u32,
    ) -> ZcResult<LatencyChart> {
        self.authorize(Capability::View).await?;
        let input = self.chart_input(name, since_ms, until_ms, width, height).await?;
        let (since, until) = (input.series.from_ms, input.series.to_ms);
        let (samples, failures) = (input.series.samples, input.series.buckets.iter().map(|b| b.failures).sum());
        let svg = tokio::task::spawn_blocking(move || zc_chart::render_svg(&input, width, height))
            .await
            .map_err(|_| ZcError::internal("the chart renderer stopped"))??;
        Ok(LatencyChart { svg, since, until, samples, failures })
    }

    /// Raw samples of `[since, until)`, oldest first, a page at a time, with the breakdown of
    /// the whole window by outcome.
    pub async fn metrics_page(
        &self,
        name: &str,
        since_ms: i64,
        until_ms: Option<i64>,
        offset: i64,
        limit: i64,
    ) -> ZcResult<MetricsPage> {
        self.authorize(Capability::View).await?;
        if !(1..=MAX_PAGE_ROWS).contains(&limit) || offset < 0 {
            return Err(ZcError::invalid(format!("a page holds 1-{MAX_PAGE_ROWS} rows from an offset of 0 or more")));
        }
        let conn = self.store().connection(name).await?;
        let until = until_ms.unwrap_or_else(|| self.now() + 1);
        let rows = self.store().metrics_page(conn.id, since_ms, until, offset, limit).await?;
        let outcomes: Vec<OutcomeCount> = self
            .store()
            .outcome_counts(conn.id, since_ms, until)
            .await?
            .into_iter()
            .map(|(outcome, count)| OutcomeCount { outcome, count })
            .collect();
        let total = outcomes.iter().map(|o| o.count).sum();
        Ok(MetricsPage { rows, total, offset, outcomes })
    }
}
