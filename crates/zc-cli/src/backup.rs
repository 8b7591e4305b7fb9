//! `zc backup FILE`: a consistent copy of the local cache, taken while the monitor runs.

use crate::output::{Format, Table, emit};
use std::path::Path;
use zc_app::App;
use zc_app::zc_domain::ZcResult;

pub async fn backup(app: &App, file: &Path, f: Format) -> ZcResult<()> {
    let r = app.backup(file).await?;
    let mut t = Table::new(&["file", "bytes", "integrity", "connections", "activity_entries", "request_metrics"]);
    t.row(vec![
        r.path.display().to_string(),
        r.bytes.to_string(),
        r.integrity.clone(),
        r.connections.to_string(),
        r.activity_entries.to_string(),
        r.request_metrics.to_string(),
    ]);
    emit(f, &t, &r);
    Ok(())
}
