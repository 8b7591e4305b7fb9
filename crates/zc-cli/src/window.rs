//! `zc window open|end|list`: maintenance windows (`zc maintenance` applies retention). While a
//! window is open the connection's alarms are suppressed and its time is not downtime.

use crate::output::{Format, Table, emit};
use clap::Subcommand;
use zc_app::App;
use zc_app::zc_domain::timefmt::{parse_duration_ms, parse_rfc3339_ms};
use zc_app::zc_domain::{ZcError, ZcResult};
use zc_app::zc_store::MaintenanceWindow;

#[derive(Subcommand)]
pub enum WindowCmd {
    /// Plan work on a connection: from --start (default now) for --for, with a reason.
    Open {
        name: String,
        #[arg(long = "for", value_name = "DURATION")]
        for_: String,
        #[arg(long)]
        reason: String,
        /// RFC 3339 start, e.g. 2026-12-02T06:00:00Z.
        #[arg(long)]
        start: Option<String>,
    },
    /// End a window now (a planned one is cancelled).
    End { id: i64 },
    /// Current and planned windows; --all adds past ones.
    List {
        name: Option<String>,
        #[arg(long)]
        all: bool,
    },
}

fn table(rows: &[MaintenanceWindow]) -> Table {
    let mut t = Table::new(&["id", "connection", "starts", "ends", "reason", "by", "ended_early_by"]);
    for w in rows {
        t.row(vec![
            w.id.to_string(),
            w.connection.clone(),
            crate::output::time(w.starts_at),
            crate::output::time(w.ends_at),
            w.reason.clone(),
            w.created_by.clone(),
            w.ended_early_by.clone().unwrap_or_else(|| "-".into()),
        ]);
    }
    t
}

pub async fn run(app: &App, cmd: &WindowCmd, f: Format) -> ZcResult<()> {
    match cmd {
        WindowCmd::Open { name, for_, reason, start } => {
            let start = match start {
                Some(s) => Some(parse_rfc3339_ms(s).ok_or_else(|| {
                    ZcError::invalid(format!("--start '{s}' is not an RFC 3339 time, e.g. 2026-12-02T06:00:00Z"))
                })?),
                None => None,
            };
            let w = app.open_maintenance_window(name, start, parse_duration_ms(for_)?, reason).await?;
            emit(f, &table(std::slice::from_ref(&w)), &w);
        }
        WindowCmd::End { id } => {
            let w = app.end_maintenance_window(*id).await?;
            emit(f, &table(std::slice::from_ref(&w)), &w);
        }
        WindowCmd::List { name, all } => {
            let rows = app.maintenance_windows(name.as_deref(), *all).await?;
            emit(f, &table(&rows), &rows);
        }
    }
    Ok(())
}
