//! `zc sim` and `zc demo`: simulated stations, and a full monitoring demo with no server.

use crate::connection::ms_arg;
use crate::monitor::shutdown_signal;
use crate::output::{Format, Table, emit};
use clap::Args;
use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use zc_app::App;
use zc_app::zc_domain::{ErrorCode, Status, ZcError, ZcResult};
use zc_app::zc_monitor::{MonitorConfig, MonitorEvent};
use zc_sim::{SimScript, Simulator, StationScript};

#[derive(Args)]
pub struct SimArgs {
    /// Number of healthy stations to serve (ignored with --script).
    #[arg(long, default_value_t = 3)]
    stations: usize,
    /// First port; stations take consecutive ports (0: any free ports).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// JSON fault script (see docs/station-api.md).
    #[arg(long)]
    script: Option<PathBuf>,
    /// Stop after this long (default: until Ctrl-C).
    #[arg(long = "for", value_name = "DURATION")]
    for_: Option<String>,
    /// Serve the three demo stations (as `zc demo` and the console's demo do), with a fresh key.
    #[arg(long, conflicts_with = "script")]
    demo: bool,
    /// Address to serve on (an address of this machine).
    #[arg(long, default_value = "127.0.0.1")]
    host: std::net::IpAddr,
}

fn load_script(args: &SimArgs) -> ZcResult<SimScript> {
    if args.demo {
        let key: String =
            rand::Rng::sample_iter(rand::rng(), rand::distr::Alphanumeric).take(32).map(char::from).collect();
        return Ok(SimScript { stations: zc_app::demo_stations(&key) });
    }
    if let Some(path) = &args.script {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ZcError::new(ErrorCode::Io, format!("cannot read the script {}: {e}", path.display())))?;
        return serde_json::from_str(&text).map_err(|e| {
            ZcError::invalid(format!("the script {} is not valid ({e}); see docs/station-api.md", path.display()))
        });
    }
    if args.stations == 0 || args.stations > 10_000 {
        return Err(ZcError::invalid("--stations must be between 1 and 10000"));
    }
    Ok(SimScript {
        stations: (1..=args.stations)
            .map(|i| {
                let mut s = StationScript::new(&format!("station-{i}"), &format!("sim-key-{i}"));
                s.port = if args.port == 0 { 0 } else { args.port.saturating_add(i as u16 - 1) };
                s
            })
            .collect(),
    })
}

pub async fn sim(args: &SimArgs, f: Format) -> ZcResult<()> {
    let script = load_script(args)?;
    // Handlers first: whoever reads the printed ports may signal at once.
    let stop = shutdown_signal(ms_arg(&args.for_)?);
    let sim = Simulator::start_on(args.host, script.stations).await.map_err(|e| {
        ZcError::new(
            ErrorCode::Io,
            format!("cannot open the simulator's ports on {} ({e}); choose another --port or --host", args.host),
        )
    })?;
    let mut t = Table::new(&["name", "url", "key"]);
    let mut json = Vec::new();
    for s in &sim.stations {
        // Simulator keys are test fixtures, printed so they can be piped into `zc key set`.
        t.row(vec![s.name(), s.url(), s.key()]);
        json.push(serde_json::json!({"name": s.name(), "url": s.url(), "key": s.key()}));
    }
    emit(f, &t, &json);
    let _ = std::io::stdout().flush();
    stop.await;
    Ok(())
}

pub async fn demo(app: &App, for_ms: Option<i64>) -> ZcResult<()> {
    // Signed in by the demo itself (nobody was): signed out again at the end, however it ends.
    let own_session = app.signed_in().is_none();
    let result = run_demo(app, for_ms).await;
    if own_session && app.signed_in().is_some() {
        let out = app.sign_out().await;
        if result.is_ok() {
            out?;
        }
    }
    result
}

async fn run_demo(app: &App, for_ms: Option<i64>) -> ZcResult<()> {
    let demo = app.start_demo(zc_app::Client::Cli).await?;
    let sim = &demo.simulator;
    let started = zc_app::zc_domain::Clock::now_ms(&zc_app::zc_domain::SystemClock);
    println!("ZeroClient demo: 3 simulated stations on loopback, probed every second (widgets bound to their points).");
    println!("data directory: {}   (Ctrl-C to stop)", app.data_dir().display());
    let tty = std::io::stdout().is_terminal();
    // Start from the stored statuses: a rerun continues where the last run left off.
    let mut live: BTreeMap<String, (Status, i64, String)> = BTreeMap::new();
    for st in &sim.stations {
        let row = app.connection(&st.name()).await?;
        live.insert(st.name(), (row.status, 0, "-".to_owned()));
    }
    let report = app.monitor(
        MonitorConfig::default(),
        move |m| {
            let mut rx = m.subscribe();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
                loop {
                    tokio::select! {
                        ev = rx.recv() => match ev {
                            Ok(MonitorEvent::Probed { name, outcome, latency_ms, .. }) => {
                                if let Some(e) = live.get_mut(&name) { e.1 = latency_ms; e.2 = outcome.as_str().to_owned(); }
                            }
                            Ok(MonitorEvent::Transition { name, transition, detail, .. }) => {
                                if let Some(e) = live.get_mut(&name) { e.0 = transition.to; }
                                if !tty {
                                    println!("{}  {name}  {} -> {}{}", crate::output::time(transition.at_ms), transition.from.as_str(), transition.to.as_str(),
                                        detail.map(|d| format!("  ({d})")).unwrap_or_default());
                                }
                            }
                            Ok(MonitorEvent::Sample { .. } | MonitorEvent::Observer { .. }) => {}
                            Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                            Err(_) => break,
                        },
                        _ = tick.tick() => {
                            if tty {
                                let mut out = String::from("\x1b[H\x1b[2J");
                                out.push_str(&format!("ZeroClient demo  {}\n\n", crate::output::time(zc_app::zc_domain::Clock::now_ms(&zc_app::zc_domain::SystemClock))));
                                out.push_str(&format!("{:<12} {:<13} {:>10}  {}\n", "STATION", "STATUS", "LATENCY", "LAST PROBE"));
                                for (n, (s, l, o)) in &live {
                                    out.push_str(&format!("{n:<12} {:<13} {:>8}ms  {o}\n", s.as_str(), l));
                                }
                                out.push_str("\nCtrl-C to stop. Afterwards: zc history demo-west, zc metrics demo-east, zc chart demo-west --since 10m --out demo.png\n");
                                print!("{out}");
                                let _ = std::io::stdout().flush();
                            }
                        }
                    }
                }
            });
        },
        shutdown_signal(for_ms),
    )
    .await?;
    // What happened during this run, per station.
    for n in sim.stations.iter().map(|s| s.name()) {
        let h = app.history(&n, started, None).await?;
        let outages = h.transitions.iter().filter(|t| t.to_status == Status::Offline).count();
        println!("{n}: {outages} outage(s), downtime {} during this run", crate::output::duration(h.downtime_ms));
    }
    println!(
        "see `zc --data-dir {} history NAME` for every transition (sign in first: `zc login {}`, password {})",
        app.data_dir().display(),
        zc_app::DEMO_USER,
        zc_app::DEMO_PASSWORD
    );
    report.error().map_or(Ok(()), Err)
}
