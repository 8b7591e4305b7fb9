//! `zc log` and `zc log verify`: the hash-chained activity log.

use crate::output::{Format, Table, emit};
use serde_json::json;
use zc_app::App;
use zc_app::zc_domain::timefmt::parse_since;
use zc_app::zc_domain::{Clock, ErrorCode, SystemClock, ZcError, ZcResult};

pub async fn verify(app: &App, f: Format) -> ZcResult<()> {
    let r = app.verify_log().await?;
    let mut t = Table::new(&["entries_checked", "result"]);
    t.row(vec![r.entries_checked.to_string(), r.problem.clone().unwrap_or_else(|| "ok".into())]);
    emit(f, &t, &r);
    if let (Some(seq), Some(p)) = (r.first_bad_seq, r.problem) {
        return Err(ZcError::new(ErrorCode::LogTampered, format!("activity log broken at entry {seq}: {p}")));
    }
    Ok(())
}

pub async fn list(app: &App, since: &str, limit: i64, f: Format) -> ZcResult<()> {
    let entries = app.log(parse_since(since, SystemClock.now_ms())?, limit).await?;
    let mut t = Table::new(&["seq", "at", "actor", "device", "action", "resource", "metadata"]);
    for e in &entries {
        t.row(vec![
            e.seq.to_string(),
            crate::output::time(e.at_ms),
            e.actor.clone(),
            e.device_id.map(|d| d.to_string()).unwrap_or_default(),
            e.action.clone(),
            e.resource.clone(),
            e.metadata.clone(),
        ]);
    }
    emit(f, &t, &entries);
    app.record(
        "export.log",
        "activity_log",
        json!({"entries": entries.len(), "format": format!("{f:?}").to_lowercase()}),
    )
    .await
}
