//! Connection diagnostics: `zc history`, `zc metrics`, `zc chart`.

use crate::output::{Format, Table, duration, emit};
use std::path::Path;
use zc_app::App;
use zc_app::zc_domain::timefmt::parse_since;
use zc_app::zc_domain::{Clock, SystemClock, ZcResult};

fn now() -> i64 {
    SystemClock.now_ms()
}

pub async fn history(app: &App, name: &str, since: &str, until: Option<&str>, f: Format) -> ZcResult<()> {
    let n = now();
    let since = parse_since(since, n)?;
    let until = until.map(|u| parse_since(u, n)).transpose()?;
    let h = app.history(name, since, until).await?;
    let mut t = Table::new(&["at", "from", "to", "category", "detail"]);
    for r in &h.transitions {
        let to = if r.observer_offline { "unknown (observer offline)".into() } else { r.to_status.as_str().to_owned() };
        t.row(vec![
            crate::output::time(r.at),
            r.from_status.as_str().into(),
            to,
            r.error_category.clone().unwrap_or_default(),
            r.error_detail.clone().unwrap_or_default(),
        ]);
    }
    emit(f, &t, &h);
    if f == Format::Table {
        println!(
            "downtime {}  unknown {}  maintenance {}  over {}",
            duration(h.downtime_ms),
            duration(h.unknown_ms),
            duration(h.maintenance_ms),
            duration(h.until - h.since)
        );
    }
    Ok(())
}

pub async fn metrics(app: &App, name: &str, since: &str, limit: i64, f: Format) -> ZcResult<()> {
    let rows = app.metrics(name, parse_since(since, now())?, limit).await?;
    let mut t = Table::new(&["at", "latency_ms", "http_status", "request_bytes", "response_bytes", "outcome"]);
    for m in &rows {
        t.row(vec![
            crate::output::time(m.at_ms),
            format!("{:.3}", m.latency_us as f64 / 1000.0),
            m.http_status.map(|s| s.to_string()).unwrap_or_else(|| "-".into()),
            m.request_bytes.to_string(),
            m.response_bytes.to_string(),
            m.outcome.as_str().into(),
        ]);
    }
    emit(f, &t, &rows);
    Ok(())
}

pub struct ChartArgs<'a> {
    pub name: &'a str,
    pub since: &'a str,
    pub until: Option<&'a str>,
    pub out: &'a Path,
    pub width: u32,
    pub height: u32,
}

pub async fn chart(app: &App, a: ChartArgs<'_>, f: Format) -> ZcResult<()> {
    let n = now();
    let until = a.until.map(|u| parse_since(u, n)).transpose()?;
    let r = app.chart(a.name, parse_since(a.since, n)?, until, a.out, a.width, a.height).await?;
    let mut t = Table::new(&["file", "samples", "columns_drawn"]);
    t.row(vec![r.file.clone(), r.samples.to_string(), r.columns_drawn.to_string()]);
    emit(f, &t, &r);
    Ok(())
}
