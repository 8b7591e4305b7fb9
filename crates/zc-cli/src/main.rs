//! `zc`: the ZeroClient command-line tool. Every command calls the same application API
//! (zc-app) as the desktop shell; this file only parses arguments and prints results.
//!
//! Exit codes: 0 success, 1 error (one line on stderr: `error[code]: message`), 2 usage error.

mod demo;
mod output;

use clap::{Args, Parser, Subcommand};
use output::{Format, Table, bytes, duration, emit, time_opt};
use serde_json::json;
use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::sync::Arc;
use zc_app::App;
use zc_app::zc_domain::connection::ConnectionPatch;
use zc_app::zc_domain::secret::parse_api_key;
use zc_app::zc_domain::timefmt::{parse_duration_ms, parse_since, rfc3339};
use zc_app::zc_domain::{ConnectionKind, ConnectionSpec, SystemClock, ZcError, ZcResult};
use zc_app::zc_monitor::{MonitorConfig, MonitorEvent, SystemNetwork};

#[derive(Parser)]
#[command(name = "zc", version, about = "ZeroClient: monitor backend connections, offline-first.")]
struct Cli {
    /// Data directory (default: the platform's application-data directory).
    #[arg(long, global = true, env = "ZC_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Output for scripts.
    #[arg(long, global = true, value_enum, default_value = "table")]
    format: Format,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Add, list, show, edit or remove backend connections.
    #[command(subcommand)]
    Connection(ConnectionCmd),
    /// Widget configurations of a connection (versioned; every edit is audited).
    #[command(subcommand)]
    Widget(WidgetCmd),
    /// Store or check a connection's API key (kept only in the OS keyring).
    #[command(subcommand)]
    Key(KeyCmd),
    /// Probe every connection on its schedule until stopped (Ctrl-C) or for a duration.
    Monitor {
        #[arg(long = "for", value_name = "DURATION")]
        for_: Option<String>,
    },
    /// Current status of every connection.
    Status,
    /// Status changes of a connection, with downtime.
    History {
        name: String,
        #[arg(long, default_value = "24h")]
        since: String,
        #[arg(long)]
        until: Option<String>,
    },
    /// Raw per-request metrics of a connection.
    Metrics {
        name: String,
        #[arg(long, default_value = "1h")]
        since: String,
        #[arg(long, default_value_t = 10_000)]
        limit: i64,
    },
    /// Render latency with status bands to a PNG or SVG file.
    Chart {
        name: String,
        #[arg(long)]
        since: String,
        #[arg(long)]
        until: Option<String>,
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 1200)]
        width: u32,
        #[arg(long, default_value_t = 500)]
        height: u32,
    },
    /// The activity log; `zc log verify` checks its hash chain.
    Log {
        #[command(subcommand)]
        verify: Option<LogCmd>,
        #[arg(long, default_value = "7d")]
        since: String,
        #[arg(long, default_value_t = 1000)]
        limit: i64,
    },
    /// Serve simulated stations on loopback (Station API with scriptable faults).
    Sim(demo::SimArgs),
    /// Simulator plus monitor on three stations, printing live status.
    Demo {
        #[arg(long = "for", value_name = "DURATION")]
        for_: Option<String>,
    },
    /// Check the keyring, data directory, database and cache.
    Doctor,
    /// Apply retention policies now (the monitor also does this hourly).
    Maintenance,
    /// Show retention policies; `zc retention set KIND AGE` changes one.
    Retention {
        #[command(subcommand)]
        set: Option<RetentionCmd>,
    },
}

#[derive(Subcommand)]
enum RetentionCmd {
    /// KIND: request_metrics, status_history or activity_log; AGE: e.g. 30d (at least 1d).
    Set { kind: String, age: String },
}

#[derive(Subcommand)]
enum LogCmd {
    /// Check that no entry was edited or deleted.
    Verify,
}

#[derive(Args, Default)]
struct SpecArgs {
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
enum ConnectionCmd {
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
}

#[derive(Subcommand)]
enum WidgetCmd {
    Add {
        connection: String,
        name: String,
        /// gauge, trend, table, …
        #[arg(long)]
        kind: String,
        /// Where the widget is served from (for CORS and licensing).
        #[arg(long)]
        url: Option<String>,
        /// JSON object, at most 64 KiB.
        #[arg(long, default_value = "{}")]
        config: String,
        /// Create it switched off.
        #[arg(long)]
        inactive: bool,
    },
    List {
        connection: Option<String>,
    },
    Show {
        connection: String,
        name: String,
    },
    Edit {
        connection: String,
        name: String,
        #[arg(long)]
        rename: Option<String>,
        #[arg(long)]
        url: Option<String>,
        #[arg(long)]
        config: Option<String>,
        #[arg(long)]
        active: Option<bool>,
    },
    Rm {
        connection: String,
        name: String,
    },
}

#[derive(Subcommand)]
enum KeyCmd {
    /// Read the key from stdin (or a hidden prompt) and store it in the OS keyring.
    Set { name: String },
    /// Validate the stored key against the backend.
    Check { name: String },
}

fn main() {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            std::process::exit(code);
        }
    };
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    let result = rt.block_on(run(cli));
    rt.shutdown_timeout(std::time::Duration::from_secs(2));
    if let Err(e) = result {
        eprintln!("error[{}]: {}", e.code.as_str(), e.message);
        std::process::exit(1);
    }
}

fn data_dir(cli: &Cli) -> ZcResult<PathBuf> {
    match &cli.data_dir {
        Some(d) => Ok(d.clone()),
        None => zc_app::default_data_dir(),
    }
}

/// A log file past this size is moved to `zc.log.1` (replacing the previous one) at start.
const LOG_ROTATE_BYTES: u64 = 10 * 1024 * 1024;

/// Logs go to `<data dir>/logs/zc.log`; the terminal only gets results and one-line errors.
fn init_logging(dir: &std::path::Path) {
    let logs = dir.join("logs");
    if std::fs::create_dir_all(&logs).is_err() {
        return;
    }
    let path = logs.join("zc.log");
    if std::fs::metadata(&path).is_ok_and(|m| m.len() > LOG_ROTATE_BYTES) {
        let _ = std::fs::rename(&path, logs.join("zc.log.1"));
    }
    if let Ok(file) = std::fs::OpenOptions::new().create(true).append(true).open(&path) {
        let _ = tracing_subscriber::fmt()
            .with_writer(std::sync::Mutex::new(file))
            .with_ansi(false)
            .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("ZC_LOG").unwrap_or_else(|_| "info".into()))
            .try_init();
    }
}

async fn open(cli: &Cli) -> ZcResult<App> {
    let dir = data_dir(cli)?;
    let app = App::open(&dir, Arc::new(SystemClock)).await?;
    init_logging(&dir);
    tracing::info!(command = ?std::env::args().nth(1), "zc started");
    Ok(app)
}

fn now() -> i64 {
    use zc_app::zc_domain::Clock;
    SystemClock.now_ms()
}

fn ms_arg(v: &Option<String>) -> ZcResult<Option<i64>> {
    v.as_deref().map(parse_duration_ms).transpose()
}

async fn shutdown_signal(for_ms: Option<i64>) {
    let timer = async {
        match for_ms {
            Some(ms) => tokio::time::sleep(std::time::Duration::from_millis(ms as u64)).await,
            None => std::future::pending().await,
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = timer => {}
        _ = tokio::signal::ctrl_c() => {}
        _ = term => {}
    }
}

fn connection_table(rows: &[zc_app::zc_store::ConnectionRow]) -> Table {
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

fn widget_table(rows: &[zc_app::zc_store::WidgetRow]) -> Table {
    let mut t = Table::new(&["connection_id", "name", "kind", "active", "version", "url", "config"]);
    for w in rows {
        t.row(vec![
            w.connection_id.to_string(),
            w.spec.name.clone(),
            w.spec.kind.clone(),
            w.spec.active.to_string(),
            w.version.to_string(),
            w.spec.url.clone().unwrap_or_default(),
            w.spec.config.clone(),
        ]);
    }
    t
}

async fn widget(app: &App, cmd: &WidgetCmd, f: Format) -> ZcResult<()> {
    use zc_app::zc_domain::widget::WidgetSpec;
    let row = match cmd {
        WidgetCmd::Add { connection, name, kind, url, config, inactive } => {
            let spec = WidgetSpec {
                name: name.clone(),
                kind: kind.clone(),
                url: url.clone(),
                active: !inactive,
                config: config.clone(),
            };
            app.add_widget(connection, spec).await?
        }
        WidgetCmd::List { connection } => {
            let rows = app.list_widgets(connection.as_deref()).await?;
            emit(f, &widget_table(&rows), &rows);
            return Ok(());
        }
        WidgetCmd::Show { connection, name } => app.show_widget(connection, name).await?,
        WidgetCmd::Edit { connection, name, rename, url, config, active } => {
            app.edit_widget(connection, name, |s| {
                if let Some(v) = rename {
                    s.name = v.clone();
                }
                if let Some(v) = url {
                    s.url = (!v.is_empty()).then(|| v.clone());
                }
                if let Some(v) = config {
                    s.config = v.clone();
                }
                if let Some(v) = active {
                    s.active = *v;
                }
            })
            .await?
        }
        WidgetCmd::Rm { connection, name } => {
            app.remove_widget(connection, name).await?;
            let mut t = Table::new(&["removed"]);
            t.row(vec![format!("{connection}/{name}")]);
            emit(f, &t, &json!({"removed": format!("{connection}/{name}")}));
            return Ok(());
        }
    };
    emit(f, &widget_table(std::slice::from_ref(&row)), &row);
    Ok(())
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

/// Reads a key from stdin when piped, or from a prompt that does not echo.
fn read_key(name: &str) -> ZcResult<zc_app::zc_domain::ApiKey> {
    let raw = if std::io::stdin().is_terminal() {
        rpassword::prompt_password(format!("API key for {name}: ")).map_err(|e| {
            ZcError::invalid(format!("cannot read the key from the terminal ({e}); pipe it on stdin instead"))
        })?
    } else {
        let mut s = String::new();
        std::io::stdin()
            .take(zc_app::zc_domain::secret::MAX_KEY_BYTES as u64 + 2)
            .read_to_string(&mut s)
            .map_err(|e| ZcError::invalid(format!("cannot read the key from stdin ({e}); pipe plain text")))?;
        s
    };
    parse_api_key(raw)
}

async fn run(cli: Cli) -> ZcResult<()> {
    let f = cli.format;
    match &cli.command {
        Command::Sim(args) => return demo::sim(args, f).await,
        Command::Demo { for_ } => {
            let app = open(&cli).await?;
            return demo::demo(&app, ms_arg(for_)?).await;
        }
        _ => {}
    }
    let app = open(&cli).await?;
    match &cli.command {
        Command::Connection(cmd) => match cmd {
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
                            (k, Some(ms)) if k.ends_with("_at") || k == "status_since" => rfc3339(ms),
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
            ConnectionCmd::Rm { name } => {
                let row = app.remove_connection(name).await?;
                let mut t = Table::new(&["removed"]);
                t.row(vec![row.spec.name.clone()]);
                emit(f, &t, &json!({"removed": row.spec.name}));
            }
        },
        Command::Widget(cmd) => widget(&app, cmd, f).await?,
        Command::Key(KeyCmd::Set { name }) => {
            // Fail on an unknown name before asking for the key.
            app.connection(name).await?;
            let key = read_key(name)?;
            app.set_key(name, key).await?;
            let mut t = Table::new(&["connection", "key"]);
            t.row(vec![name.clone(), "stored in the OS keyring".into()]);
            emit(f, &t, &json!({"connection": name, "stored": true}));
        }
        Command::Key(KeyCmd::Check { name }) => {
            let c = app.check_key(name).await?;
            let mut t = Table::new(&["connection", "valid", "error"]);
            t.row(vec![c.connection.clone(), c.valid.to_string(), c.error.clone().unwrap_or_default()]);
            emit(f, &t, &c);
            if !c.valid {
                return Err(ZcError::new(
                    zc_app::zc_domain::ErrorCode::InvalidKey,
                    format!("the backend refused the key for '{name}': {}", c.error.unwrap_or_default()),
                ));
            }
        }
        Command::Monitor { for_ } => {
            let for_ms = ms_arg(for_)?;
            let print = f == Format::Table;
            let n = app.list_connections().await?.len();
            let stats = app
                .monitor(
                    Arc::new(SystemNetwork),
                    MonitorConfig::default(),
                    |m| {
                        let mut rx = m.subscribe();
                        tokio::spawn(async move {
                            while let Ok(ev) = rx.recv().await {
                                if let MonitorEvent::Transition { name, transition: t, detail, .. } = ev
                                    && print
                                {
                                    println!(
                                        "{}  {name}  {} -> {}{}",
                                        rfc3339(t.at_ms),
                                        t.from.as_str(),
                                        t.to.as_str(),
                                        detail.map(|d| format!("  ({d})")).unwrap_or_default()
                                    );
                                }
                            }
                        });
                        if print {
                            println!("monitoring {n} connection(s); edits apply within 10 s; Ctrl-C to stop");
                        }
                    },
                    shutdown_signal(for_ms),
                )
                .await?;
            let mut t = Table::new(&["probes", "missed"]);
            t.row(vec![stats.completed.to_string(), stats.missed.to_string()]);
            emit(f, &t, &json!({"probes": stats.completed, "missed": stats.missed}));
        }
        Command::Status => {
            let rows = app.status().await?;
            emit(f, &connection_table(&rows), &rows);
        }
        Command::History { name, since, until } => {
            let n = now();
            let since = parse_since(since, n)?;
            let until = until.as_deref().map(|u| parse_since(u, n)).transpose()?;
            let h = app.history(name, since, until).await?;
            let mut t = Table::new(&["at", "from", "to", "category", "detail"]);
            for r in &h.transitions {
                let to = if r.observer_offline {
                    "unknown (observer offline)".into()
                } else {
                    r.to_status.as_str().to_owned()
                };
                t.row(vec![
                    rfc3339(r.at),
                    r.from_status.as_str().into(),
                    to,
                    r.error_category.clone().unwrap_or_default(),
                    r.error_detail.clone().unwrap_or_default(),
                ]);
            }
            emit(f, &t, &h);
            if f == Format::Table {
                println!(
                    "downtime {}  unknown {}  over {}",
                    duration(h.downtime_ms),
                    duration(h.unknown_ms),
                    duration(h.until - h.since)
                );
            }
        }
        Command::Metrics { name, since, limit } => {
            let rows = app.metrics(name, parse_since(since, now())?, *limit).await?;
            let mut t = Table::new(&["at", "latency_ms", "http_status", "request_bytes", "response_bytes", "outcome"]);
            for m in &rows {
                t.row(vec![
                    rfc3339(m.at_ms),
                    format!("{:.3}", m.latency_us as f64 / 1000.0),
                    m.http_status.map(|s| s.to_string()).unwrap_or_else(|| "-".into()),
                    m.request_bytes.to_string(),
                    m.response_bytes.to_string(),
                    m.outcome.as_str().into(),
                ]);
            }
            emit(f, &t, &rows);
        }
        Command::Chart { name, since, until, out, width, height } => {
            let n = now();
            let until = until.as_deref().map(|u| parse_since(u, n)).transpose()?;
            let r = app.chart(name, parse_since(since, n)?, until, out, *width, *height).await?;
            let mut t = Table::new(&["file", "samples", "columns_drawn"]);
            t.row(vec![r.file.clone(), r.samples.to_string(), r.columns_drawn.to_string()]);
            emit(f, &t, &r);
        }
        Command::Log { verify: Some(LogCmd::Verify), .. } => {
            let r = app.verify_log().await?;
            let mut t = Table::new(&["entries_checked", "result"]);
            t.row(vec![r.entries_checked.to_string(), r.problem.clone().unwrap_or_else(|| "ok".into())]);
            emit(f, &t, &r);
            if let (Some(seq), Some(p)) = (r.first_bad_seq, r.problem) {
                return Err(ZcError::new(
                    zc_app::zc_domain::ErrorCode::LogTampered,
                    format!("activity log broken at entry {seq}: {p}"),
                ));
            }
        }
        Command::Log { verify: None, since, limit } => {
            let entries = app.log(parse_since(since, now())?, *limit).await?;
            let mut t = Table::new(&["seq", "at", "actor", "device", "action", "resource", "metadata"]);
            for e in &entries {
                t.row(vec![
                    e.seq.to_string(),
                    rfc3339(e.at_ms),
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
            .await?;
        }
        Command::Doctor => {
            let d = app.doctor().await?;
            let mut t = Table::new(&["check", "result"]);
            t.row(vec!["data directory".into(), format!("{} (writable)", d.data_dir)]);
            t.row(vec!["keyring".into(), d.keyring.clone()]);
            t.row(vec!["database integrity".into(), d.integrity.clone()]);
            t.row(vec!["database files".into(), bytes(d.db_file_bytes as i64)]);
            t.row(vec!["open + migrate".into(), format!("{:.1} ms", d.open_ms)]);
            t.row(vec!["cache load".into(), format!("{:.1} ms ({} connections)", d.cache_load_ms, d.connections)]);
            t.row(vec![
                "disk free".into(),
                d.free_disk_bytes.map(|b| bytes(b as i64)).unwrap_or_else(|| "unknown".into()),
            ]);
            for s in &d.tables {
                t.row(vec![format!("table {}", s.table), format!("{} rows, {}", s.rows, bytes(s.bytes))]);
            }
            emit(f, &t, &d);
            use zc_app::zc_domain::ErrorCode;
            if d.integrity != "ok" {
                return Err(ZcError::new(
                    ErrorCode::Database,
                    format!("the database failed its integrity check ({}); restore it from a backup", d.integrity),
                ));
            }
            if !d.keyring_ok {
                return Err(ZcError::new(ErrorCode::KeyringUnavailable, d.keyring.clone()));
            }
        }
        Command::Maintenance => {
            let r = app.maintenance().await?;
            let mut t = Table::new(&["data", "deleted"]);
            t.row(vec!["request_metrics".into(), r.request_metrics_deleted.to_string()]);
            t.row(vec!["status_history".into(), r.status_history_deleted.to_string()]);
            t.row(vec![
                "activity_log".into(),
                format!("{} ({} kept: not yet pushed)", r.activity_log_deleted, r.activity_log_kept_unpushed),
            ]);
            emit(f, &t, &r);
        }
        Command::Retention { set } => {
            let policies = match set {
                Some(RetentionCmd::Set { kind, age }) => app.set_retention(kind, parse_duration_ms(age)?).await?,
                None => app.retention().await?,
            };
            let mut t = Table::new(&["data", "max_age"]);
            for p in &policies {
                t.row(vec![p.data_kind.clone(), duration(p.max_age_ms)]);
            }
            emit(f, &t, &policies);
        }
        Command::Sim(_) | Command::Demo { .. } => unreachable!("handled above"),
    }
    Ok(())
}
