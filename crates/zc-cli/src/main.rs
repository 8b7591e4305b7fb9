//! `zc`: the ZeroClient command-line tool. Every command calls the same application API
//! (zc-app) as the desktop shell; this file parses arguments and dispatches to one file per
//! command group, which only adapts input and output.
//!
//! Every command but `monitor`, `sim`, `login` and `user init` acts as the person signed in with
//! `zc login` (the session is kept in the OS keyring); `monitor` acts as the console itself, as
//! a service would; `demo` signs the demo's admin in when nobody is.
//!
//! Exit codes: 0 success, 1 error (one line on stderr: `error[code]: message`, or
//! `error[code]: field: message` when one input is at fault), 2 usage error.

mod alarms;
mod backup;
mod central;
mod config;
mod connection;
mod demo;
mod health;
mod history;
mod key;
mod log;
mod login;
mod monitor;
mod output;
mod points;
mod settings;
mod sync;
mod user;
mod widget;
mod window;

use clap::{Parser, Subcommand};
use connection::{ConnectionCmd, ms_arg};
use key::KeyCmd;
use output::Format;
use std::path::PathBuf;
use std::sync::Arc;
use widget::WidgetCmd;
use zc_app::App;
use zc_app::zc_domain::{SystemClock, ZcResult};

#[derive(Parser)]
#[command(name = "zc", version, about = "ZeroClient: monitor backend connections, offline-first.")]
struct Cli {
    /// Data directory (default: the platform's application-data directory).
    #[arg(long, global = true, env = "ZC_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Output for scripts.
    #[arg(long, global = true, value_enum, default_value = "table")]
    format: Format,
    /// IANA time zone for the times shown (e.g. Europe/Berlin); default: the signed-in person's,
    /// else the device's.
    #[arg(long, global = true, env = "ZC_TZ")]
    tz: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Sign in (password from a hidden prompt, or the first line of stdin); the session lasts
    /// 12 hours or until `zc logout`.
    Login { username: String },
    /// End the session kept for this data directory.
    Logout,
    /// Who is signed in.
    Whoami,
    /// People: the first admin (`init`), users and roles, passwords, profiles.
    #[command(subcommand)]
    User(user::UserCmd),
    /// Add, list, show, edit or remove backend connections.
    #[command(subcommand)]
    Connection(ConnectionCmd),
    /// Widget configurations of a connection (versioned; every edit is audited).
    #[command(subcommand)]
    Widget(WidgetCmd),
    /// Store or check a connection's API key (kept only in the OS keyring).
    #[command(subcommand)]
    Key(KeyCmd),
    /// Probe every connection on its schedule until stopped (Ctrl-C, SIGTERM) or for a duration.
    /// Exits 1 if anything it measured could not be written.
    Monitor {
        #[arg(long = "for", value_name = "DURATION")]
        for_: Option<String>,
    },
    /// Current status of every connection, the console at a glance (as its tray icon shows it),
    /// and the monitor's state and account.
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
    /// A station's data points: latest values with freshness and quality, or (with --since)
    /// their recorded history.
    Points {
        name: String,
        /// Only this point.
        #[arg(long)]
        point: Option<String>,
        /// Show recorded history from then (a duration back, e.g. 1h, or an RFC 3339 time).
        #[arg(long)]
        since: Option<String>,
        #[arg(long)]
        until: Option<String>,
        #[arg(long, default_value_t = 10_000)]
        limit: i64,
        /// With --point: record a new history row only past this change (in the point's unit;
        /// `default`: 1 % of the value).
        #[arg(long, requires = "point", allow_negative_numbers = true)]
        deadband: Option<String>,
        /// With --point: record at least this often even without a change, e.g. 5m (`default`: 10m).
        #[arg(long, requires = "point")]
        heartbeat: Option<String>,
        /// With --point: alarm below this value (`none`: no low limit).
        #[arg(long, requires = "point", allow_negative_numbers = true)]
        low: Option<String>,
        /// With --point: alarm above this value (`none`: no high limit).
        #[arg(long, requires = "point", allow_negative_numbers = true)]
        high: Option<String>,
    },
    /// Alarms: list (default), history, ack, shelve, unshelve, settings.
    #[command(args_conflicts_with_subcommands = true)]
    Alarms {
        #[command(flatten)]
        list: alarms::ListArgs,
        #[command(subcommand)]
        cmd: Option<alarms::AlarmsCmd>,
    },
    /// Maintenance windows of connections: open, end, list.
    #[command(subcommand)]
    Window(window::WindowCmd),
    /// Your settings: notifications (`zc settings notify`), theme; the zone and language shown.
    Settings {
        #[command(subcommand)]
        cmd: Option<settings::SettingsCmd>,
    },
    /// The site's configuration as one JSON or YAML document: export, import (with --dry-run).
    #[command(subcommand)]
    Config(config::ConfigCmd),
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
    /// Check the keyring, data directory, database, cache and the monitor's account.
    Doctor,
    /// Apply retention policies now (the monitor also does this hourly).
    Maintenance,
    /// A consistent copy of the local cache in FILE (new), safe while the monitor runs; it holds
    /// no key. To restore: stop the console, put the copy in place as `zeroclient.db`.
    Backup { file: PathBuf },
    /// The central store: `migrate` and `provision` at the centre, `connect` this console.
    #[command(subcommand)]
    Central(central::CentralCmd),
    /// The queue to the central store: `status`, `now`, `retry ID`.
    #[command(subcommand)]
    Sync(sync::SyncCmd),
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
        // A field error names the input it is about first (`config.max: ...`), for scripts.
        match &e.field {
            Some(f) => eprintln!("error[{}]: {f}: {}", e.code.as_str(), e.message),
            None => eprintln!("error[{}]: {}", e.code.as_str(), e.message),
        }
        std::process::exit(1);
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
    let dir = match &cli.data_dir {
        Some(d) => d.clone(),
        None => zc_app::default_data_dir()?,
    };
    let app = App::open(&dir, Arc::new(SystemClock)).await?;
    init_logging(&dir);
    tracing::info!(command = ?std::env::args().nth(1), "zc started");
    Ok(app)
}

async fn run(cli: Cli) -> ZcResult<()> {
    if let Command::Sim(args) = &cli.command {
        return demo::sim(args, cli.format).await;
    }
    if let Command::Central(cmd @ (central::CentralCmd::Migrate { .. } | central::CentralCmd::Provision { .. })) =
        &cli.command
    {
        return central::run_at_centre(cmd, cli.format).await;
    }
    let app = open(&cli).await?;
    // Commands that sign someone in, or act as the console, do not take up a kept session.
    let unattended = matches!(
        cli.command,
        Command::Monitor { .. } | Command::Login { .. } | Command::User(user::UserCmd::Init { .. })
    );
    // A keyring that cannot be read leaves nobody signed in; `whoami` and `logout` still answer.
    let tolerant = matches!(cli.command, Command::Whoami | Command::Logout);
    let result = match if unattended { Ok(None) } else { app.resume_cli_session().await } {
        Err(e) if !tolerant => Err(e),
        _ => match &cli.tz {
            Some(z) => zc_app::zc_domain::timezone::parse_zone(z).map(output::set_zone),
            None => {
                output::set_zone(app.display_zone().await);
                Ok(())
            }
        },
    };
    let result = match result {
        Ok(()) => dispatch(&app, &cli).await,
        Err(e) => Err(e),
    };
    // Whatever the outcome, close the database properly (WAL checkpointed and removed).
    app.close().await;
    result
}

async fn dispatch(app: &App, cli: &Cli) -> ZcResult<()> {
    let f = cli.format;
    match &cli.command {
        Command::Login { username } => login::login(app, username, f).await,
        Command::Logout => login::logout(app, f).await,
        Command::Whoami => login::whoami(app, f).await,
        Command::User(cmd) => user::run(app, cmd, f).await,
        Command::Connection(cmd) => connection::run(app, cmd, f).await,
        Command::Widget(cmd) => widget::run(app, cmd, f).await,
        Command::Key(cmd) => key::run(app, cmd, f).await,
        Command::Monitor { for_ } => monitor::monitor(app, ms_arg(for_)?, f).await,
        Command::Status => monitor::status(app, f).await,
        Command::History { name, since, until } => history::history(app, name, since, until.as_deref(), f).await,
        Command::Metrics { name, since, limit } => history::metrics(app, name, since, *limit, f).await,
        Command::Points { name, point: Some(point), low, high, .. } if low.is_some() || high.is_some() => {
            points::set_limits(app, name, point, low.as_deref(), high.as_deref(), f).await
        }
        Command::Points { name, point: Some(point), deadband, heartbeat, .. }
            if deadband.is_some() || heartbeat.is_some() =>
        {
            points::set_rule(app, name, point, deadband.as_deref(), heartbeat.as_deref(), f).await
        }
        Command::Points { name, point, since, until, limit, .. } => {
            let a = points::PointsArgs {
                name,
                point: point.as_deref(),
                since: since.as_deref(),
                until: until.as_deref(),
                limit: *limit,
            };
            points::points(app, a, f).await
        }
        Command::Alarms { list, cmd } => alarms::run(app, list, cmd.as_ref(), f).await,
        Command::Window(cmd) => window::run(app, cmd, f).await,
        Command::Config(cmd) => config::run(app, cmd, f).await,
        Command::Settings { cmd } => settings::run(app, cmd.as_ref(), f).await,
        Command::Chart { name, since, until, out, width, height } => {
            let a = history::ChartArgs { name, since, until: until.as_deref(), out, width: *width, height: *height };
            history::chart(app, a, f).await
        }
        Command::Log { verify: Some(LogCmd::Verify), .. } => log::verify(app, f).await,
        Command::Log { verify: None, since, limit } => log::list(app, since, *limit, f).await,
        Command::Demo { for_ } => demo::demo(app, ms_arg(for_)?).await,
        Command::Doctor => health::doctor(app, f).await,
        Command::Maintenance => health::maintenance(app, f).await,
        Command::Backup { file } => backup::backup(app, file, f).await,
        Command::Retention { set } => {
            let set = set.as_ref().map(|RetentionCmd::Set { kind, age }| (kind.as_str(), age.as_str()));
            health::retention(app, set, f).await
        }
        Command::Central(central::CentralCmd::Connect { url, login, from }) => {
            central::connect(app, url.as_deref(), login.as_deref(), from.as_deref(), f).await
        }
        Command::Central(_) => unreachable!("run at the centre, before the data directory is opened"),
        Command::Sync(cmd) => sync::run(app, cmd, f).await,
        Command::Sim(_) => unreachable!("handled before the data directory is opened"),
    }
}
