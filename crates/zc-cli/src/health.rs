//! `zc doctor`, `zc maintenance`, `zc retention`.

use crate::monitor::describe;
use crate::output::{Format, Table, bytes, duration, emit};
use zc_app::App;
use zc_app::zc_domain::timefmt::parse_duration_ms;
use zc_app::zc_domain::{ErrorCode, ZcError, ZcResult};

pub async fn doctor(app: &App, f: Format) -> ZcResult<()> {
    let d = app.doctor().await?;
    let mut t = Table::new(&["check", "result"]);
    t.row(vec!["data directory".into(), format!("{} (writable)", d.data_dir)]);
    t.row(vec!["keyring".into(), d.keyring.clone()]);
    t.row(vec!["database integrity".into(), d.integrity.clone()]);
    t.row(vec!["database files".into(), bytes(d.db_file_bytes as i64)]);
    t.row(vec!["open + migrate".into(), format!("{:.1} ms", d.open_ms)]);
    t.row(vec!["cache load".into(), format!("{:.1} ms ({} connections)", d.cache_load_ms, d.connections)]);
    t.row(vec!["disk free".into(), d.free_disk_bytes.map(|b| bytes(b as i64)).unwrap_or_else(|| "unknown".into())]);
    t.row(vec!["monitor".into(), describe(&d.monitor)]);
    for s in &d.tables {
        t.row(vec![format!("table {}", s.table), format!("{} rows, {}", s.rows, bytes(s.bytes))]);
    }
    emit(f, &t, &d);
    if d.integrity != "ok" {
        return Err(ZcError::new(
            ErrorCode::Database,
            format!("the database failed its integrity check ({}); restore it from a backup", d.integrity),
        ));
    }
    if !d.keyring_ok {
        return Err(ZcError::new(ErrorCode::KeyringUnavailable, d.keyring.clone()));
    }
    Ok(())
}

pub async fn maintenance(app: &App, f: Format) -> ZcResult<()> {
    let r = app.maintenance().await?;
    let mut t = Table::new(&["data", "deleted"]);
    t.row(vec!["request_metrics".into(), r.request_metrics_deleted.to_string()]);
    t.row(vec!["status_history".into(), r.status_history_deleted.to_string()]);
    t.row(vec![
        "activity_log".into(),
        format!("{} ({} kept: not yet pushed)", r.activity_log_deleted, r.activity_log_kept_unpushed),
    ]);
    emit(f, &t, &r);
    Ok(())
}

/// Lists the policies, or sets one first (`set` = (kind, age)).
pub async fn retention(app: &App, set: Option<(&str, &str)>, f: Format) -> ZcResult<()> {
    let policies = match set {
        Some((kind, age)) => app.set_retention(kind, parse_duration_ms(age)?).await?,
        None => app.retention().await?,
    };
    let mut t = Table::new(&["data", "max_age"]);
    for p in &policies {
        t.row(vec![p.data_kind.clone(), duration(p.max_age_ms)]);
    }
    emit(f, &t, &policies);
    Ok(())
}
