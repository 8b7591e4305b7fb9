//! `zc points`: a station's data points, with freshness, or their recorded history.

use crate::output::{Format, Table, duration, emit, time_opt};
use zc_app::App;
use zc_app::zc_domain::timefmt::{parse_duration_ms, parse_since};
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
                crate::output::time(h.at),
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
            crate::output::time(v.received_at),
        ]);
    }
    emit(f, &t, &r);
    if f == Format::Table && !r.observer_online {
        println!("this console has no network of its own: no value can be confirmed, all are unknown");
    }
    Ok(())
}

/// `zc points NAME --point P --deadband X --heartbeat D`: the point's recording rule. A flag not
/// given keeps its setting; `default` puts it back.
pub async fn set_rule(
    app: &App,
    name: &str,
    point: &str,
    deadband: Option<&str>,
    heartbeat: Option<&str>,
    f: Format,
) -> ZcResult<()> {
    let conn = app.connection(name).await?;
    let current = app.store().latest_points(Some(conn.id)).await?.into_iter().find(|p| p.point == point);
    let (mut d, mut h) = current.map(|p| (p.deadband, p.heartbeat_ms)).unwrap_or((None, None));
    if let Some(v) = deadband {
        d = match v {
            "default" => None,
            v => Some(v.parse::<f64>().map_err(|_| {
                ZcError::invalid(format!("--deadband '{v}' is not a number; give it in the point's unit, or `default`"))
            })?),
        };
    }
    if let Some(v) = heartbeat {
        h = if v == "default" { None } else { Some(parse_duration_ms(v)?) };
    }
    app.set_point_rule(name, point, d, h).await?;
    let mut t = Table::new(&["point", "deadband", "heartbeat"]);
    let show_d = d.map(|d| d.to_string()).unwrap_or_else(|| "default (1 % of the value)".into());
    let show_h = h.map(duration).unwrap_or_else(|| "default (10m)".into());
    t.row(vec![point.to_owned(), show_d, show_h]);
    emit(f, &t, &serde_json::json!({"point": point, "deadband": d, "heartbeat_ms": h}));
    Ok(())
}

/// `zc points NAME --point P --low X --high Y`: the point's alarm limits. A flag not given keeps
/// its limit; `none` removes it.
pub async fn set_limits(
    app: &App,
    name: &str,
    point: &str,
    low: Option<&str>,
    high: Option<&str>,
    f: Format,
) -> ZcResult<()> {
    let conn = app.connection(name).await?;
    let current = app.store().latest_points(Some(conn.id)).await?.into_iter().find(|p| p.point == point);
    let (mut l, mut h) = current.map(|p| (p.low_limit, p.high_limit)).unwrap_or((None, None));
    let parse = |flag: &str, v: &str| -> ZcResult<Option<f64>> {
        match v {
            "none" => Ok(None),
            v => v.parse::<f64>().map(Some).map_err(|_| {
                ZcError::invalid(format!("--{flag} '{v}' is not a number; give it in the point's unit, or `none`"))
            }),
        }
    };
    if let Some(v) = low {
        l = parse("low", v)?;
    }
    if let Some(v) = high {
        h = parse("high", v)?;
    }
    app.set_point_limits(name, point, l, h).await?;
    let mut t = Table::new(&["point", "low", "high"]);
    t.row(vec![point.to_owned(), value(l), value(h)]);
    emit(f, &t, &serde_json::json!({"point": point, "low": l, "high": h}));
    Ok(())
}
