//! One round: fresh data directory (a copy of the template), fresh stations, the real
//! `zc monitor`, the plan's faults at their moments, a final stop, then the checks.

use crate::checks::{self, Observed};
use crate::disk::SmallDisk;
use crate::monitor::{Exit, MonitorProc, Spawn};
use crate::plan::{Edit, Free, Mode, Plan, REMOVABLE, STATIONS, StopKind};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use zc_sim::{Fault, FaultKind, Latency, Simulator, StationScript, Window};

/// The connections of the template: stations 0-3 are `station` connections with keys in the
/// keyring, station 4 is probed by an `http` connection (the one some rounds remove).
pub fn connection_name(i: usize) -> String {
    if i == REMOVABLE { "h0".to_owned() } else { format!("s{i}") }
}
pub const INTERVALS_MS: [u32; STATIONS] = [100, 150, 200, 120, 100];

pub struct Setup {
    pub zc: PathBuf,
    pub faultfs: Option<PathBuf>,
    pub disk: Option<SmallDisk>,
    /// Where the rounds' data directories live (on the small disk when there is one).
    pub work: PathBuf,
    pub template: PathBuf,
    pub ports: [u16; STATIONS],
    pub keys: Vec<String>,
    pub rt: tokio::runtime::Runtime,
    /// Keeps the work directory when there is no small disk.
    pub _tmp: tempfile::TempDir,
}

pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

pub fn zc(setup: &Setup, data: &Path, args: &[&str], stdin: Option<&str>) -> std::process::Output {
    use std::io::Write;
    let mut c = Command::new(&setup.zc);
    c.arg("--data-dir").arg(data).args(args).env_remove("ZC_LOG");
    c.stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
    let mut child = c.spawn().expect("start zc");
    let mut input = child.stdin.take().unwrap();
    if let Some(s) = stdin {
        let _ = input.write_all(s.as_bytes());
    }
    drop(input);
    child.wait_with_output().expect("zc ran")
}

impl Setup {
    /// Builds the template data directory once: five connections, four keys in the keyring.
    pub fn build_template(&self) -> Result<(), String> {
        let dir = self.template.parent().unwrap().to_owned();
        // The edits of every round are made by a signed-in engineer: the template's admin, whose
        // session (kept in the keyring under the template's install id) every copy shares.
        let out = zc(self, &dir, &["user", "init", "soak-admin"], Some("soak pass phrase\n"));
        if !out.status.success() {
            return Err(format!("zc user init: {}", String::from_utf8_lossy(&out.stderr)));
        }
        for (i, (port, interval)) in self.ports.iter().zip(INTERVALS_MS).enumerate() {
            let name = connection_name(i);
            let url = format!("http://127.0.0.1:{port}");
            let interval = format!("{interval}ms");
            let out = if i == REMOVABLE {
                let url = format!("{url}/nothing");
                let args =
                    ["connection", "add", &name, "--url", &url, "--expect-status", "404", "--interval", &interval];
                zc(self, &dir, &args, None)
            } else {
                let args = [
                    "connection",
                    "add",
                    &name,
                    "--url",
                    &url,
                    "--kind",
                    "station",
                    "--interval",
                    &interval,
                    "--confirm",
                    "2",
                    "--timeout",
                    "1s",
                ];
                zc(self, &dir, &args, None)
            };
            if !out.status.success() {
                return Err(format!("zc connection add {name}: {}", String::from_utf8_lossy(&out.stderr)));
            }
            if i != REMOVABLE {
                let out = zc(self, &dir, &["key", "set", &name], Some(&self.keys[i]));
                if !out.status.success() {
                    return Err(format!("zc key set {name}: {}", String::from_utf8_lossy(&out.stderr)));
                }
            }
        }
        Ok(())
    }
}

fn scripts(setup: &Setup, plan: &Plan) -> Vec<StationScript> {
    (0..STATIONS)
        .map(|i| {
            let mut s = StationScript::new(&format!("st{i}"), &setup.keys[i]);
            s.port = setup.ports[i];
            s.points = 4;
            match plan.modes[i] {
                Mode::Steady => s.latency = Latency::Fixed { ms: 2.0 },
                Mode::Slow => s.latency = Latency::Uniform { min_ms: 50.0, max_ms: 400.0 },
                Mode::Flapping => {
                    s.latency = Latency::Fixed { ms: 2.0 };
                    let window = Window { start_s: 0.3, duration_s: Some(0.5), every_s: Some(1.2), probability: 1.0 };
                    s.faults = vec![Fault { kind: FaultKind::Http5xx { status: 503 }, window }];
                }
            }
            s
        })
        .collect()
}

enum Event {
    Edit(Edit),
    Remove,
    Fill,
    Free,
    Kill,
    ArmIo,
    Stop,
}

/// A read transaction held open while the disk is full (as the console's screens may hold
/// one): SQLite cannot start the WAL over from its beginning meanwhile, so every write needs new
/// space and the full disk really refuses it.
struct FullDisk {
    filler: PathBuf,
    reader: rusqlite::Connection,
}

impl FullDisk {
    fn fill(disk: &SmallDisk, db: &Path) -> FullDisk {
        let reader = rusqlite::Connection::open(db).expect("open a reader");
        reader.execute_batch("BEGIN; SELECT COUNT(*) FROM request_metrics;").expect("start a read");
        FullDisk { filler: disk.fill(), reader }
    }
    fn free(self) {
        let _ = self.reader.execute_batch("COMMIT");
        drop(self.reader);
        let _ = std::fs::remove_file(&self.filler);
    }
}

/// Runs one round and checks it. Returns the observations (for the figures) and the failures.
pub fn run(setup: &Setup, round: u64, plan: &Plan) -> (Observed, Vec<String>) {
    let data = setup.work.join(format!("round-{round}"));
    let _ = std::fs::remove_dir_all(&data);
    std::fs::create_dir_all(&data).expect("round data directory");
    std::fs::copy(&setup.template, data.join("zeroclient.db")).expect("copy the template");
    let db = data.join("zeroclient.db");
    let sim = setup.rt.block_on(Simulator::start(scripts(setup, plan))).expect("start the stations");
    let mut obs = Observed::new(plan);
    let mut failures = Vec::new();

    // A timed stop runs whole seconds from its own start, so it falls on the writer's tick; a
    // restart after a kill runs the whole seconds that cover what is left.
    let timed = |elapsed: u64| {
        (plan.stop == StopKind::Timed).then(|| plan.stop_at.saturating_sub(elapsed).div_ceil(1000).max(1) * 1000)
    };
    // Every process gets the fault library with a file of its own that arms it; the soak creates
    // the file of the process running at the planned moment.
    let arm_file = |n: u32| setup.work.join(format!("round-{round}.arm{n}"));
    let io_for =
        |n: u32| plan.io.and_then(|(k, _, count)| setup.faultfs.as_ref().map(|lib| (lib, k, count, arm_file(n))));
    let mut first = MonitorProc::spawn(Spawn { zc: &setup.zc, data: &data, for_ms: timed(0), io: io_for(0) });
    obs.monitors = 1;
    if let Err(e) = first.wait_ready(Duration::from_secs(20)) {
        failures.push(e);
        let _ = first.kill();
        stop_stations(setup, &sim);
        return (obs, failures);
    }
    // The running monitor; taken by a kill (and replaced) and by the stop.
    let mut m = Some(first);
    let t0 = Instant::now();

    let mut events: Vec<(u64, Event)> = vec![(plan.stop_at, Event::Stop)];
    if let Some((at, e)) = &plan.edit {
        events.push((*at, Event::Edit(e.clone())));
    }
    if let Some(at) = plan.remove_at {
        events.push((at, Event::Remove));
    }
    if let Some((at, free)) = plan.disk
        && setup.disk.is_some()
    {
        events.push((at, Event::Fill));
        if let Free::After(d) = free {
            events.push((at + d, Event::Free));
        }
    }
    if let Some(at) = plan.kill_at {
        events.push((at, Event::Kill));
    }
    if let Some((_, at, _)) = plan.io
        && setup.faultfs.is_some()
    {
        events.push((at, Event::ArmIo));
    }
    events.sort_by_key(|(at, _)| *at);

    let mut full: Option<FullDisk> = None;
    let mut exit: Option<Exit> = None;
    for (at, event) in events {
        let due = t0 + Duration::from_millis(at);
        std::thread::sleep(due.saturating_duration_since(Instant::now()));
        match event {
            Event::Edit(e) => {
                let name = connection_name(match e {
                    Edit::Interval(c, _) | Edit::Timeout(c, _) | Edit::Rename(c) => c,
                });
                let out = match e {
                    Edit::Interval(_, ms) => {
                        zc(setup, &data, &["connection", "edit", &name, "--interval", &format!("{ms}ms")], None)
                    }
                    Edit::Timeout(_, ms) => {
                        zc(setup, &data, &["connection", "edit", &name, "--timeout", &format!("{ms}ms")], None)
                    }
                    Edit::Rename(_) => {
                        zc(setup, &data, &["connection", "edit", &name, "--rename", &format!("{name}-renamed")], None)
                    }
                };
                obs.edited = edit_outcome(&out, full.is_some(), &mut failures, "edit");
                if obs.edited
                    && let Edit::Interval(c, ms) = e
                {
                    obs.min_interval[c] = obs.min_interval[c].min(ms);
                }
            }
            Event::Remove => {
                let out = zc(setup, &data, &["connection", "rm", &connection_name(REMOVABLE)], None);
                obs.removed = edit_outcome(&out, full.is_some(), &mut failures, "remove");
            }
            Event::Fill => {
                full = setup.disk.as_ref().map(|d| FullDisk::fill(d, &db));
                obs.disk_filled = true;
            }
            Event::Free => {
                if let Some(f) = full.take() {
                    f.free();
                }
            }
            Event::Kill => {
                obs.kill_ms = Some(now_ms());
                let killed = m.take().expect("a running monitor").kill();
                obs.io_fired.push_str(&killed.faults);
                obs.killed_output = format!("{}\n{}", killed.stdout, killed.stderr);
                let elapsed = t0.elapsed().as_millis() as u64;
                let io = io_for(obs.monitors);
                let mut restarted =
                    MonitorProc::spawn(Spawn { zc: &setup.zc, data: &data, for_ms: timed(elapsed), io });
                obs.monitors += 1;
                if let Err(e) = restarted.wait_ready(Duration::from_secs(20)) {
                    failures.push(format!("the restart after SIGKILL: {e}"));
                }
                m = Some(restarted);
            }
            Event::ArmIo => {
                // The process running now is the last one started.
                let _ = std::fs::write(arm_file(obs.monitors - 1), b"");
                obs.io_armed_in = Some(obs.monitors - 1);
            }
            Event::Stop => {
                let proc = m.take().expect("a running monitor");
                match plan.stop {
                    StopKind::Term => proc.signal(libc::SIGTERM),
                    StopKind::Int => proc.signal(libc::SIGINT),
                    StopKind::Timed => {}
                }
                if let (Some((_, Free::InGrace(d))), Some(_)) = (plan.disk, &full) {
                    std::thread::sleep(Duration::from_millis(d));
                    if let Some(f) = full.take() {
                        f.free();
                    }
                }
                exit = Some(proc.wait_exit(Duration::from_secs(60)).unwrap_or_else(|e| {
                    failures.push(format!("zc monitor did not end within 60 s of its stop: {e:?}"));
                    e
                }));
            }
        }
    }
    if let Some(f) = full.take() {
        // A disk still full when the monitor ended (Free::Never): space again for the checks.
        obs.full_at_exit = true;
        f.free();
    }
    stop_stations(setup, &sim);
    obs.requests = sim.stations.iter().map(|s| s.requests()).collect();
    let exit = exit.unwrap_or_default();
    obs.io_fired.push_str(&exit.faults);
    checks::check(setup, &data, &exit, &mut obs, &mut failures);
    for n in 0..obs.monitors {
        let _ = std::fs::remove_file(arm_file(n));
    }
    if failures.is_empty() {
        let _ = std::fs::remove_dir_all(&data);
    } else {
        keep(&data, round, &exit, &obs);
    }
    (obs, failures)
}

/// An edit or removal is expected to work, except while the disk is full, when it must fail with
/// one `disk_full` line and change nothing.
fn edit_outcome(out: &std::process::Output, disk_full: bool, failures: &mut Vec<String>, what: &str) -> bool {
    let err = String::from_utf8_lossy(&out.stderr);
    match (out.status.success(), disk_full) {
        (true, _) => true,
        (false, true) if err.starts_with("error[disk_full]: ") && err.trim_end().lines().count() == 1 => false,
        _ => {
            failures.push(format!("zc connection {what} failed: {err}"));
            false
        }
    }
}

fn stop_stations(setup: &Setup, sim: &Simulator) {
    setup.rt.block_on(async {
        for s in &sim.stations {
            s.stop().await;
        }
    });
}

/// A failing round's data directory and output, kept for a look (target/soak-failures).
fn keep(data: &Path, round: u64, exit: &Exit, obs: &Observed) {
    let dest = PathBuf::from(std::env::var("ZC_SOAK_KEEP").unwrap_or_else(|_| "target/soak-failures".into()))
        .join(format!("round-{round}"));
    let _ = std::fs::remove_dir_all(&dest);
    let _ = std::fs::create_dir_all(&dest);
    if let Ok(entries) = std::fs::read_dir(data) {
        for e in entries.flatten() {
            let _ = std::fs::copy(e.path(), dest.join(e.file_name()));
        }
    }
    let _ = std::fs::create_dir_all(dest.join("logs"));
    let _ = std::fs::copy(data.join("logs/zc.log"), dest.join("logs/zc.log"));
    let _ = std::fs::write(
        dest.join("output.txt"),
        format!(
            "{}\n--- stdout\n{}\n--- stderr\n{}\n--- killed\n{}\n",
            obs.plan, exit.stdout, exit.stderr, obs.killed_output
        ),
    );
    eprintln!("  kept in {}", dest.display());
    let _ = std::fs::remove_dir_all(data);
}
