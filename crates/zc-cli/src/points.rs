//! `zc points`: a station's data points, with freshness, or their recorded history.

use crate::output::{Format, Table, duration, emit, time_opt};
use zc_app::App;
use zc_app::zc_domain::timefmt::{parse_since, rfc3339};
use zc_app::zc_domain::{Clock, SystemClock, ZcError, ZcResult};

pub struct PointsArgs<'a> {
    pub name: &'a str,
    pub point: Option<&'a str>,
    pub since: Option<&'a str>,
    pub until: Option<&'a str>,
    pub limit: i64,
}

fn value(v: Option<f64>) -> String {
    v.map(|v| format!("{v}")).unwrap_or_else(|| "-".into())
}

pub async fn points(app: &App, a: PointsArgs<'_>, f: Format) -> ZcResult<()> {
    let now = SystemClock.now_ms();
    if a.until.is_some() && a.since.is_none() {
        return Err(ZcError::invalid("--until needs --since (the start of the history window)"));
    }
    let window = match a.since {
        Some(s) => Some((parse_since(s, now)?, a.until.map(|u| parse_since(u, now)).transpose()?)),
        None => None,
    };
    let r = app.points(a.name, a.point, window, a.limit).await?;
    if window.is_some() {
        let mut t = Table::new(&["point", "at", "value", "quality", "station_time"]);
        for h in &r.history {
            t.row(vec![
                h.point.clone(),
                rfc3339(h.at),
                value(h.value),
                h.quality.as_str().into(),
                time_opt(h.source_at),
            ]);
        }
        // Scripts get the rows alone, as `zc metrics` gives them.
        emit(f, &t, &r.history);
        return Ok(());
    }
    let mut t = Table::new(&["point", "value", "unit", "quality", "freshness", "age", "station_time", "received"]);
    for v in &r.values {
        t.row(vec![
            v.point.clone(),
            value(v.value),
            v.unit.clone(),
            v.quality.as_str().into(),
            v.freshness.as_str().into(),
            duration((r.at - v.received_at).max(0)),
            time_opt(v.source_at),
            rfc3339(v.received_at),
        ]);
    }
    emit(f, &t, &r);
    if f == Format::Table && !r.observer_online {
        println!("this console has no network of its own: no value can be confirmed, all are unknown");
    }
    Ok(())
}
