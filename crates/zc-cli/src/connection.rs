//! `zc connection add|list|show|edit|rm`.

use crate::output::{Format, Table, duration, emit, time_opt};
use clap::{Args, Subcommand};
use serde_json::json;
use zc_app::App;
use zc_app::zc_domain::connection::ConnectionPatch;
use zc_app::zc_domain::timefmt::{parse_duration_ms, rfc3339};
use zc_app::zc_domain::{ConnectionKind, ConnectionSpec, ZcResult};
use zc_app::zc_store::ConnectionRow;

#[derive(Args, Default)]
pub struct SpecArgs {
    /// JSON object with free-form metadata.
    #[arg(long)]
    metadata: Option<String>,
    /// Probe interval, e.g. 10s.
    #[arg(long)]
    interval: Option<String>,
    /// Total deadline of one probe, e.g. 5s.
    #[arg(long)]
    timeout: Option<String>,
    /// Consecutive agreeing probes before a status change is declared.
    #[arg(long)]
    confirm: Option<i64>,
    /// Successful answers slower than this count as degraded, e.g. 1s.
    #[arg(long)]
    degraded_after: Option<String>,
    /// (http) Expected HTTP status.
    #[arg(long)]
    expect_status: Option<i64>,
    /// (http) Text the body must contain.
    #[arg(long)]
    expect_keyword: Option<String>,
    /// (http) JSON field the body must have (a.b.c or /a/b/c).
    #[arg(long)]
    expect_json_field: Option<String>,
}

#[derive(Subcommand)]
pub enum ConnectionCmd {
    Add {
        name: String,
        #[arg(long)]
        url: String,
        #[arg(long, default_value = "http")]
        kind: String,
        #[command(flatten)]
        spec: SpecArgs,
    },
    List,
    Show {
        name: String,
    },
    Edit {
        name: String,
        /// New name.
        #[arg(long)]
        rename: Option<String>,
        #[arg(long)]
        url: Option<String>,
        #[command(flatten)]
        spec: SpecArgs,
    },
    Rm {
        name: String,
    },
    /// Make a connection depend on another (its gateway): while the gateway has lost contact,
    /// this connection's alarms wait under the gateway's alarm.
    Depends {
        name: String,
        #[arg(long, conflicts_with = "none", required_unless_present = "none")]
        on: Option<String>,
        /// Depend on nothing.
        #[arg(long)]
        none: bool,
    },
}

pub fn ms_arg(v: &Option<String>) -> ZcResult<Option<i64>> {
    v.as_deref().map(parse_duration_ms).transpose()
}

/// The settings given on the command line, as a patch (absent options change nothing; an
/// empty `--expect-keyword ""` or `--expect-json-field ""` clears the check).
fn patch_from_args(a: &SpecArgs) -> ZcResult<ConnectionPatch> {
    let clearable = |v: &Option<String>| v.as_ref().map(|v| (!v.is_empty()).then(|| v.clone()));
    Ok(ConnectionPatch {
        metadata: a.metadata.clone(),
        interval_ms: ms_arg(&a.interval)?,
        timeout_ms: ms_arg(&a.timeout)?,
        confirm: a.confirm,
        degraded_ms: ms_arg(&a.degraded_after)?,
        expect_status: a.expect_status,
        expect_keyword: clearable(&a.expect_keyword),
        expect_json_field: clearable(&a.expect_json_field),
        ..Default::default()
    })
}

pub fn connection_table(rows: &[ConnectionRow]) -> Table {
    let mut t = Table::new(&["name", "kind", "url", "status", "since", "last_contact", "key", "interval"]);
    for r in rows {
        let key = match (r.spec.kind, r.key_validated) {
            (ConnectionKind::Http, _) => "-".into(),
            (_, None) => "unchecked".into(),
            (_, Some(true)) => "valid".into(),
            (_, Some(false)) => "invalid".into(),
        };
        t.row(vec![
            r.spec.name.clone(),
            r.spec.kind.as_str().into(),
            r.spec.url.clone(),
            r.status.as_str().into(),
            rfc3339(r.status_since),
            time_opt(r.last_contact_at),
            key,
            duration(r.spec.interval_ms),
        ]);
    }
    t
}

pub async fn run(app: &App, cmd: &ConnectionCmd, f: Format) -> ZcResult<()> {
    match cmd {
        ConnectionCmd::Add { name, url, kind, spec } => {
            let s = patch_from_args(spec)?.apply(ConnectionSpec::new(name, url, ConnectionKind::parse(kind)?))?;
            let row = app.add_connection(s).await?;
            emit(f, &connection_table(std::slice::from_ref(&row)), &row);
        }
        ConnectionCmd::List => {
            let rows = app.list_connections().await?;
            emit(f, &connection_table(&rows), &rows);
        }
        ConnectionCmd::Show { name } => {
            let r = app.show_connection(name).await?;
            let mut t = Table::new(&["field", "value"]);
            let v = serde_json::to_value(&r).unwrap_or_default();
            if let Some(obj) = v.as_object() {
                for (k, val) in obj {
                    let shown = match (k.as_str(), val.as_i64()) {
                        (k, Some(ms)) if k.ends_with("_at") || k == "status_since" || k == "tls_not_after" => {
                            rfc3339(ms)
                        }
                        _ => val.as_str().map(str::to_owned).unwrap_or_else(|| val.to_string()),
                    };
                    t.row(vec![k.clone(), shown]);
                }
            }
            emit(f, &t, &r);
        }
        ConnectionCmd::Edit { name, rename, url, spec } => {
            let patch = ConnectionPatch { name: rename.clone(), url: url.clone(), ..patch_from_args(spec)? };
            let row = app.edit_connection(name, patch).await?;
            emit(f, &connection_table(std::slice::from_ref(&row)), &row);
        }
        ConnectionCmd::Depends { name, on, .. } => {
            let row = app.set_dependency(name, on.as_deref()).await?;
            let mut t = Table::new(&["connection", "depends_on"]);
            t.row(vec![name.clone(), on.clone().unwrap_or_else(|| "-".into())]);
            emit(f, &t, &row);
        }
        ConnectionCmd::Rm { name } => {
            let row = app.remove_connection(name).await?;
            let mut t = Table::new(&["removed"]);
            t.row(vec![row.spec.name.clone()]);
            emit(f, &t, &json!({"removed": row.spec.name}));
        }
    }
    Ok(())
}
