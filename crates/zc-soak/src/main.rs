//! `zc-soak`, run by `cargo xtask soak`: the real `zc monitor` against simulated stations (some
//! flapping, some slow to answer, so probes are in flight at every moment and history is written
//! too), with faults injected at moments drawn from a printed seed: clean stops (SIGTERM,
//! Ctrl-C, `--for`), edits and removals, a full disk, SIGKILL and a restart, and I/O errors at
//! the SQLite layer (`zc-faultfs`), alone and combined. After every round it checks that nothing
//! was lost (see `checks.rs`). Any round can be replayed: `--seed S --only K`.
//!
//! Sync rounds (`sync.rs`) then kill `zc sync now` with SIGKILL while it pushes a backlog to a
//! real PostgreSQL, and check that every row arrived exactly once.
//!
//! Usage: zc-soak --zc PATH [--faultfs PATH] [--rounds N] [--seed S] [--only K] [--report FILE]
//!        [--sync-rounds N]

mod checks;
mod disk;
mod figures;
mod monitor;
mod plan;
mod round;
mod sync;

use plan::{Plan, STATIONS};
use rand::SeedableRng;
use rand::rngs::StdRng;
use round::Setup;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

struct Args {
    zc: PathBuf,
    faultfs: Option<PathBuf>,
    rounds: u64,
    seed: u64,
    only: Option<u64>,
    report: Option<PathBuf>,
    /// Rounds of `zc sync now` killed with SIGKILL against a real PostgreSQL (0: none).
    sync_rounds: u64,
}

fn args() -> Result<Args, String> {
    let mut a = Args {
        zc: PathBuf::new(),
        faultfs: None,
        rounds: 40,
        seed: rand::random(),
        only: None,
        report: None,
        sync_rounds: 10,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--zc" => a.zc = value()?.into(),
            "--faultfs" => a.faultfs = Some(value()?.into()),
            "--rounds" => a.rounds = value()?.parse().map_err(|e| format!("--rounds: {e}"))?,
            "--seed" => a.seed = value()?.parse().map_err(|e| format!("--seed: {e}"))?,
            "--only" => a.only = Some(value()?.parse().map_err(|e| format!("--only: {e}"))?),
            "--report" => a.report = Some(value()?.into()),
            "--sync-rounds" => a.sync_rounds = value()?.parse().map_err(|e| format!("--sync-rounds: {e}"))?,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if a.zc.as_os_str().is_empty() {
        return Err("--zc PATH (the zc binary) is required".into());
    }
    Ok(a)
}

/// Each round draws from its own generator, so one round replays without the ones before it.
fn round_rng(seed: u64, round: u64) -> StdRng {
    StdRng::seed_from_u64(seed ^ round.wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

fn free_ports() -> [u16; STATIONS] {
    let listeners: Vec<_> =
        (0..STATIONS).map(|_| std::net::TcpListener::bind("127.0.0.1:0").expect("a free port")).collect();
    std::array::from_fn(|i| listeners[i].local_addr().unwrap().port())
}

fn main() -> ExitCode {
    let a = match args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("zc-soak: {e}");
            return ExitCode::from(2);
        }
    };
    let tmp = tempfile::tempdir().expect("a temporary directory");
    // Fault kinds that cannot run here are said at the start and in the figures.
    let mut missing = Vec::new();
    let disk = match disk::SmallDisk::mount() {
        Ok(d) => Some(d),
        Err(why) => {
            missing.push(format!("NOT RUN: disk-full faults ({why})"));
            None
        }
    };
    if a.faultfs.is_none() {
        missing.push("NOT RUN: I/O faults (no --faultfs library)".to_owned());
    }
    for m in &missing {
        eprintln!("soak: {m}");
    }
    let work = disk.as_ref().map(|d| d.path.clone()).unwrap_or_else(|| tmp.path().to_owned());
    std::fs::create_dir_all(work.join("template")).expect("template directory");
    let setup = Setup {
        zc: a.zc,
        faultfs: a.faultfs,
        template: work.join("template").join("zeroclient.db"),
        work,
        disk,
        ports: free_ports(),
        keys: (0..STATIONS).map(|i| format!("soak-key-{i}-{:x}", rand::random::<u32>())).collect(),
        rt: tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime"),
        _tmp: tmp,
    };
    if let Err(e) = setup.build_template() {
        eprintln!("soak: cannot build the template data directory: {e}");
        return ExitCode::FAILURE;
    }
    let rounds: Vec<u64> = match a.only {
        Some(k) => vec![k],
        None => (0..a.rounds).collect(),
    };
    println!(
        "soak: seed {}, {} round(s); replay with `cargo xtask soak --seed {} --rounds {}` (one round: --only K)",
        a.seed,
        rounds.len(),
        a.seed,
        a.rounds
    );
    let started = Instant::now();
    let mut figures = figures::Figures::default();
    for k in rounds {
        let plan = Plan::draw(&mut round_rng(a.seed, k), setup.disk.is_some());
        let t = Instant::now();
        let (obs, failures) = round::run(&setup, k, &plan);
        let verdict = if failures.is_empty() { "ok".to_owned() } else { format!("FAILED: {}", failures.join(" | ")) };
        println!(
            "round {k} ({:.1} s): {plan}; {} requests, {} missing{} -> {verdict}",
            t.elapsed().as_secs_f64(),
            obs.requests.iter().sum::<u64>(),
            obs.missing,
            obs.kill_bound.map(|b| format!(" (bound {b})")).unwrap_or_default()
        );
        figures.add(k, &obs, failures.is_empty());
    }
    let mut sync_failed = Vec::new();
    let mut sync_lines = Vec::new();
    if a.sync_rounds > 0 && a.only.is_none() {
        match sync::Centre::start(&setup) {
            Err(e) => {
                missing.push(format!("NOT RUN: sync rounds ({e})"));
            }
            Ok(centre) => {
                let (mut kills, mut mid, mut fulls, mut full_mid, mut rows, mut worst, mut early) =
                    (0, 0, 0, 0, 0, 0, 0);
                for k in 0..a.sync_rounds {
                    // Seeds apart from the monitor rounds', so either replays alone.
                    let mut rng = round_rng(a.seed ^ 0x5EED_5F1C, k);
                    let (obs, failures) = sync::run(&setup, &centre, k, &mut rng);
                    let verdict =
                        if failures.is_empty() { "ok".to_owned() } else { format!("FAILED: {}", failures.join(" | ")) };
                    println!(
                        "sync round {k}: {} SIGKILLs ({} mid-push), {} disks full ({} stopped a push), {} rows, drained {:.1} s after the first start, {} entries began before their predecessor -> {verdict}",
                        obs.kills,
                        obs.kills_mid_push,
                        obs.disk_fulls,
                        obs.disk_full_mid_push,
                        obs.rows,
                        obs.drain_ms as f64 / 1000.0,
                        obs.began_before_predecessor
                    );
                    if !failures.is_empty() {
                        sync_failed.push(k);
                    }
                    kills += obs.kills;
                    mid += obs.kills_mid_push;
                    fulls += obs.disk_fulls;
                    full_mid += obs.disk_full_mid_push;
                    rows += obs.rows;
                    worst = worst.max(obs.drain_ms);
                    early += obs.began_before_predecessor;
                }
                sync_lines.push(format!(
                    "sync: {} rounds, {kills} SIGKILLs of `zc sync now` ({mid} while rows were waiting), {fulls} disks filling up mid-run ({full_mid} stopping a push with disk_full), {rows} rows checked exactly once at the centre, slowest drain {:.1} s, {early} entries committed in order though their transaction began before their predecessor's, {} failed",
                    a.sync_rounds,
                    worst as f64 / 1000.0,
                    sync_failed.len()
                ));
            }
        }
    }
    let mut report = figures.report(a.seed, started.elapsed());
    for l in &sync_lines {
        report.push_str(&format!("{l}\n"));
    }
    for m in &missing {
        report.push_str(&format!("{m}\n"));
    }
    println!("\n{report}");
    if let Some(path) = a.report {
        let _ = std::fs::write(path, &report);
    }
    if !sync_failed.is_empty() {
        eprintln!("soak: sync round(s) {sync_failed:?} failed (seed {})", a.seed);
        return ExitCode::FAILURE;
    }
    if figures.failed().is_empty() {
        ExitCode::SUCCESS
    } else {
        eprintln!(
            "soak: {} round(s) failed: {:?}; replay one with `cargo xtask soak --seed {} --only K`",
            figures.failed().len(),
            figures.failed(),
            a.seed
        );
        ExitCode::FAILURE
    }
}
