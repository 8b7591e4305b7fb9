//! `cargo xtask bench`: ZeroClient's benchmarks, each measured against a baseline in the same
//! run and printed as figures and ratios. Not tests: nothing here passes or fails on time.
//!
//! Usage: zc-bench [ingest|chart|monitor|storage|zoom|window|room|alarms|drain|consoles|all] [--quick]
//!        zc-bench consoles --level CONSOLESxRATE [--level ...] [--via direct|pooler:N ...]

mod alarms;
mod central;
mod consoles;
mod desktop;
mod storage;
mod zoom;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use zc_domain::probe::RequestMetric;
use zc_domain::{ConnectionKind, ConnectionSpec, Outcome, SystemClock};
use zc_store::{Audit, Store};

fn audit() -> Audit {
    Audit { actor: "bench".into(), device_id: None }
}

pub(crate) fn sample(id: i64, i: i64, t0: i64, step_ms: i64) -> RequestMetric {
    // Deterministic, realistic spread: 20-60 ms with rare slow answers and failures.
    let x = i.wrapping_mul(2_654_435_761) & 0xffff;
    let failed = x % 500 == 0;
    RequestMetric {
        connection_id: id,
        at_ms: t0 + i * step_ms,
        latency_us: 20_000 + (x % 40_000) + if x % 97 == 0 { 900_000 } else { 0 },
        http_status: if failed { None } else { Some(200) },
        request_bytes: 215,
        response_bytes: if failed { 0 } else { 1050 + x % 20 },
        outcome: if failed { Outcome::Failed(zc_domain::FailureCategory::Timeout) } else { Outcome::Ok },
    }
}

async fn fresh_store(dir: &Path) -> (Store, i64) {
    let store = Store::open(dir, Arc::new(SystemClock)).await.expect("open store");
    let spec = ConnectionSpec::new("bench", "http://127.0.0.1:9", ConnectionKind::Http).validate().unwrap();
    let id = store.add_connection(&spec, &audit()).await.unwrap().id;
    (store, id)
}

pub(crate) fn rusqlite_open(path: &Path) -> rusqlite::Connection {
    let c = rusqlite::Connection::open(path).unwrap();
    c.execute_batch("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;").unwrap();
    c
}

pub(crate) fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

async fn bench_ingest(rows: i64) {
    println!("\n## 1. Metrics ingest ({rows} rows)");
    let data: Vec<RequestMetric> = (0..rows).map(|i| sample(1, i, 1_800_000_000_000, 1000)).collect();
    let mut ours_one = Vec::new();
    let mut ours_batched = Vec::new();
    let mut base = Vec::new();
    let mut base_batched = Vec::new();
    for _ in 0..3 {
        // Store write path, all rows in one call (one transaction, multi-row INSERTs).
        let dir = tempfile::tempdir().unwrap();
        let (store, id) = fresh_store(dir.path()).await;
        let data: Vec<_> = data
            .iter()
            .cloned()
            .map(|mut m| {
                m.connection_id = id;
                m
            })
            .collect();
        let t = Instant::now();
        store.insert_metrics(&data).await.unwrap();
        ours_one.push(t.elapsed().as_secs_f64());
        store.close().await;

        // Store write path in the monitor's batch size (2000 rows a transaction).
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = fresh_store(dir.path()).await;
        let t = Instant::now();
        for chunk in data.chunks(2000) {
            store.insert_metrics(chunk).await.unwrap();
        }
        ours_batched.push(t.elapsed().as_secs_f64());
        store.close().await;

        // Baselines: bare rusqlite, one prepared statement, same schema; all rows in one
        // transaction (the limit), and committing every 2,000 rows like the monitor.
        base.push(rusqlite_ingest(&data, data.len()).await);
        base_batched.push(rusqlite_ingest(&data, 2000).await);
    }
    let (o1, ob, b, bb) = (median(ours_one), median(ours_batched), median(base), median(base_batched));
    let rate = |s: f64| rows as f64 / s;
    println!("| path | rows/s | vs its baseline |\n|---|---:|---:|");
    println!("| baseline: bare rusqlite prepared statement, one transaction | {:.0} | 1.00x |", rate(b));
    println!("| Store::insert_metrics, one call (one transaction) | {:.0} | {:.2}x |", rate(o1), b / o1);
    println!("| baseline: bare rusqlite prepared statement, commit every 2,000 rows | {:.0} | 1.00x |", rate(bb));
    println!("| Store::insert_metrics, 2,000-row batches (the monitor's size) | {:.0} | {:.2}x |", rate(ob), bb / ob);
    println!("target: store path >= 0.80x of the baseline's throughput");
}

/// Inserts `data` with one rusqlite prepared statement, committing every `per_tx` rows.
async fn rusqlite_ingest(data: &[RequestMetric], per_tx: usize) -> f64 {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = fresh_store(dir.path()).await;
    let path = store.path().to_owned();
    store.close().await;
    let mut c = rusqlite_open(&path);
    let t = Instant::now();
    for chunk in data.chunks(per_tx) {
        let tx = c.transaction().unwrap();
        {
            let mut st = tx
                .prepare_cached("INSERT INTO request_metrics (connection_id, at, latency_us, http_status, request_bytes, response_bytes, outcome, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?)")
                .unwrap();
            for m in chunk {
                st.execute(rusqlite::params![
                    m.connection_id,
                    m.at_ms,
                    m.latency_us,
                    m.http_status,
                    m.request_bytes,
                    m.response_bytes,
                    m.outcome.as_str(),
                    m.at_ms,
                    m.at_ms
                ])
                .unwrap();
            }
        }
        tx.commit().unwrap();
    }
    t.elapsed().as_secs_f64()
}

async fn bench_chart_and_storage(rows: i64) {
    println!("\n## 2. Chart pipeline ({rows} raw samples of one connection, query to PNG)");
    let dir = tempfile::tempdir().unwrap();
    let (store, id) = fresh_store(dir.path()).await;
    let t0 = 1_800_000_000_000i64;
    let step = 10_000; // the default 10 s probe interval
    let mut i = 0;
    while i < rows {
        let n = (rows - i).min(50_000);
        let chunk: Vec<_> = (i..i + n).map(|k| sample(id, k, t0, step)).collect();
        store.insert_metrics(&chunk).await.unwrap();
        i += n;
    }
    store.checkpoint().await.unwrap();
    let (from, to) = (t0, t0 + rows * step);
    let out = dir.path().join("chart.png");
    let path = store.path().to_owned();
    let mut ours = Vec::new();
    let mut base = Vec::new();
    let mut drawn = 0;
    let (mut q_parts, mut r_parts) = (Vec::new(), Vec::new());
    for _ in 0..5 {
        let t = Instant::now();
        let series = store.chart_series(id, from, to, zc_chart::plot_columns(1200)).await.unwrap();
        q_parts.push(t.elapsed().as_secs_f64());
        drawn = series.buckets.len();
        let input = zc_domain::chart::ChartInput { title: "bench".into(), series, bands: vec![] };
        let tr = Instant::now();
        zc_chart::render(&input, &out, 1200, 500).unwrap();
        r_parts.push(tr.elapsed().as_secs_f64());
        ours.push(t.elapsed().as_secs_f64());

        let c = rusqlite_open(&path);
        let t = Instant::now();
        let mut st = c
            .prepare("SELECT at, latency_us FROM request_metrics WHERE connection_id = ? AND at >= ? AND at < ?")
            .unwrap();
        let mut rows_it = st.query(rusqlite::params![id, from, to]).unwrap();
        let (mut n, mut sum) = (0i64, 0i64);
        while let Some(r) = rows_it.next().unwrap() {
            sum = sum.wrapping_add(r.get::<_, i64>(0).unwrap() ^ r.get::<_, i64>(1).unwrap());
            n += 1;
        }
        std::hint::black_box(sum);
        assert_eq!(n, rows);
        base.push(t.elapsed().as_secs_f64());
    }
    let (o, b) = (median(ours), median(base));
    println!("| path | time (median of 5) | vs baseline |\n|---|---:|---:|");
    println!("| bare rusqlite scan of the same rows (baseline) | {:.1} ms | 1.00x |", b * 1000.0);
    println!("| chart_series (per-pixel min/max in SQLite) + PNG render | {:.1} ms | {:.2}x |", o * 1000.0, o / b);
    println!(
        "| of which: query (downsampling) | {:.1} ms | {:.2}x |",
        median(q_parts.clone()) * 1000.0,
        median(q_parts) / b
    );
    println!("| of which: PNG render, 1200x500 | {:.1} ms | |", median(r_parts) * 1000.0);
    println!("points drawn: {drawn} pixel columns for {rows} samples; target: <= 1.50x the scan");

    println!("\n## 3. Storage per raw sample");
    let stats = store.table_stats().await.unwrap();
    let m = stats.iter().find(|s| s.table == "request_metrics").unwrap();
    let per = m.bytes as f64 / m.rows as f64;
    let per_day = 86_400_000 / zc_domain::connection::DEFAULT_INTERVAL_MS;
    let day_bytes = per * per_day as f64;
    println!("| figure | value |\n|---|---:|");
    println!("| bytes on disk per raw sample (table + indexes) | {per:.1} B |");
    println!(
        "| samples per station per day at the default {} s interval | {per_day} |",
        zc_domain::connection::DEFAULT_INTERVAL_MS / 1000
    );
    println!("| bytes per station per day | {:.2} MB |", day_bytes / 1e6);
    println!("| budget (data design) | 2.00 MB |");
    println!("| share of budget | {:.0} % |", day_bytes / 2e6 * 100.0);
    let _ = std::hint::black_box(out);
}

#[cfg(unix)]
fn cpu_seconds() -> f64 {
    // SAFETY: getrusage fills a plain struct.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    tv(u.ru_utime) + tv(u.ru_stime)
}

#[cfg(not(unix))]
fn cpu_seconds() -> f64 {
    f64::NAN // process CPU time is read with getrusage; not measured on this platform
}

fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1).and_then(|p| p.parse::<u64>().ok()))
        .unwrap_or(0)
        * 4096
}

async fn bench_monitor(n: usize, secs: u64) {
    println!("\n## 4. Monitor scale ({n} station connections probed every second for {secs} s)");
    // The stations run in a separate process so their CPU is not counted as ours.
    let exe = std::env::current_exe().unwrap();
    let mut sim = std::process::Command::new(exe)
        .args(["serve-sim", &n.to_string()])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(sim.stdout.take().unwrap()), &mut line).unwrap();
    let urls: Vec<String> = serde_json::from_str(&line).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), Arc::new(SystemClock)).await.unwrap();
    let keyring = match zc_secrets::Keyring::new() {
        Ok(k) if k.check_available().await.is_ok() => k,
        _ => {
            println!("skipped: no OS keyring (run through `cargo xtask bench`, which starts one)");
            let _ = sim.kill();
            let _ = sim.wait();
            return;
        }
    };
    let install = store.install_id().await.unwrap();
    for (i, url) in urls.iter().enumerate() {
        let mut spec = ConnectionSpec::new(&format!("st{i}"), url, ConnectionKind::Station);
        spec.interval_ms = 1000;
        spec.timeout_ms = 900;
        let id = store.add_connection(&spec.validate().unwrap(), &audit()).await.unwrap().id;
        keyring
            .set(&zc_secrets::Keyring::account(&install, id), &zc_domain::Sensitive::new("bench-key".into()))
            .await
            .unwrap();
    }
    let monitor = zc_monitor::Monitor::new(
        store.clone(),
        zc_monitor::Prober::new(Default::default()),
        Arc::new(zc_monitor::SystemNetwork),
        Some(keyring),
        Default::default(),
        audit(),
    )
    .await
    .unwrap();
    let peak = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let sampler = {
        let peak = peak.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(500));
            loop {
                tick.tick().await;
                peak.fetch_max(rss_bytes(), std::sync::atomic::Ordering::Relaxed);
            }
        })
    };
    let (cpu0, wall0) = (cpu_seconds(), Instant::now());
    // The steady state, apart from the start: the first probes read the 1,000 keys from the
    // keyring (a D-Bus round trip and a Diffie-Hellman exchange each, in this process), which
    // otherwise weighs on the CPU figure as much as the probing itself, and varies with the
    // keyring daemon.
    let warm = Duration::from_secs((secs / 4).clamp(1, 30));
    let steady = tokio::spawn(async move {
        tokio::time::sleep(warm).await;
        (cpu_seconds(), Instant::now())
    });
    let report = monitor.clone().run(tokio::time::sleep(Duration::from_secs(secs))).await.unwrap();
    let stats = &report.stats;
    let (cpu, wall) = (cpu_seconds() - cpu0, wall0.elapsed().as_secs_f64());
    let (cpu1, wall1) = steady.await.unwrap();
    let (steady_cpu, steady_wall) = (cpu_seconds() - cpu1, wall1.elapsed().as_secs_f64());
    sampler.abort();
    let _ = sim.kill();
    let _ = sim.wait();
    let mut late = stats.lateness_us.clone();
    late.sort_unstable();
    let pct = |p: f64| {
        late.get(((late.len() as f64 * p) as usize).min(late.len().saturating_sub(1))).copied().unwrap_or(0) as f64
            / 1000.0
    };
    let expected = n as u64 * secs;
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM request_metrics").fetch_one(store.pool()).await.unwrap();
    let ok: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM request_metrics WHERE outcome = 'ok'")
        .fetch_one(store.pool())
        .await
        .unwrap();
    let batches: i64 = sqlx::query_scalar("SELECT last_batch FROM monitor_runs WHERE id = ?")
        .bind(report.run_id)
        .fetch_one(store.pool())
        .await
        .unwrap();
    println!("| figure | value |\n|---|---:|");
    let due = stats.scheduled + stats.missed;
    println!("| slots due in the run (at most n x seconds = {expected}) | {due} |");
    println!(
        "| probes completed | {} ({:.2} % of slots due) |",
        stats.completed,
        stats.completed as f64 / due.max(1) as f64 * 100.0
    );
    println!("| probes missed (slots skipped) | {} |", stats.missed);
    println!("| raw metrics rows written | {rows} ({ok} ok) |");
    // One a second is the design (one fsync each); status changes add their own.
    println!("| batches written (transactions, one fsync each) | {batches} ({:.1} a second) |", batches as f64 / wall);
    println!("| rows lost at the stop | {} |", report.loss.as_ref().map_or(0, |l| l.rows));
    println!(
        "| lateness p50 / p99 / max | {:.2} / {:.2} / {:.2} ms |",
        pct(0.5),
        pct(0.99),
        late.last().copied().unwrap_or(0) as f64 / 1000.0
    );
    println!("| CPU, share of one core, whole run (keys read at the start included) | {:.1} % |", cpu / wall * 100.0);
    println!(
        "| CPU, share of one core, after the first {} s (steady) | {:.1} % |",
        warm.as_secs(),
        steady_cpu / steady_wall * 100.0
    );
    println!("| memory (peak RSS sampled) | {:.1} MB |", peak.load(std::sync::atomic::Ordering::Relaxed) as f64 / 1e6);
    println!("target: none missed");
}

/// Child-process mode for the monitor benchmark: serve N stations, print their URLs as JSON.
async fn serve_sim(n: usize) {
    let scripts = (0..n).map(|i| zc_sim::StationScript::new(&format!("st{i}"), "bench-key")).collect();
    let sim = zc_sim::Simulator::start(scripts).await.expect("start stations");
    let urls: Vec<String> = sim.stations.iter().map(|s| s.url()).collect();
    println!("{}", serde_json::to_string(&urls).unwrap());
    std::future::pending::<()>().await;
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // To see where a figure comes from: ZC_BENCH_LOG=sqlx::query=debug prints every statement
    // with its time (to stderr).
    if let Ok(filter) = std::env::var("ZC_BENCH_LOG") {
        let _ = tracing_subscriber::fmt()
            .with_writer(std::io::stderr)
            .with_ansi(false)
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .try_init();
    }
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    if args.first().map(String::as_str) == Some("serve-sim") {
        let n = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(1000);
        rt.block_on(serve_sim(n));
        return;
    }
    let quick = args.iter().any(|a| a == "--quick");
    let which = args.iter().find(|a| !a.starts_with("--")).map(String::as_str).unwrap_or("all");
    if !args.iter().any(|a| a == "--child") {
        println!("# ZeroClient benchmarks{}", if quick { " (--quick: reduced sizes)" } else { "" });
        println!(
            "machine: {} cores; release build; every figure is measured against its baseline in this run",
            std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
        );
    }
    if which == "all" {
        // Each benchmark in a fresh process, so one's memory does not show in the next's figures.
        let exe = std::env::current_exe().unwrap();
        for b in ["ingest", "chart", "monitor", "storage", "zoom", "window", "room", "alarms", "drain", "consoles"] {
            let mut c = std::process::Command::new(&exe);
            c.arg(b).arg("--child");
            if quick {
                c.arg("--quick");
            }
            let st = c.status().expect("run a benchmark");
            assert!(st.success(), "benchmark {b} failed");
        }
        return;
    }
    rt.block_on(async {
        if matches!(which, "all" | "ingest") {
            bench_ingest(if quick { 20_000 } else { 200_000 }).await;
        }
        if matches!(which, "all" | "chart") {
            bench_chart_and_storage(if quick { 100_000 } else { 1_000_000 }).await;
        }
        if matches!(which, "all" | "monitor") {
            if quick { bench_monitor(100, 10).await } else { bench_monitor(1000, 120).await }
        }
        if which == "storage" {
            storage::bench_storage(if quick { 1 } else { 3 }).await;
        }
        if which == "zoom" {
            zoom::bench_zoom(if quick { 3 } else { 30 }).await;
        }
        if which == "window" {
            desktop::bench_first_paint(if quick { 1 } else { 5 }).await;
        }
        if which == "room" {
            desktop::bench_control_room(if quick { 100 } else { 1000 }).await;
        }
        if which == "alarms" {
            alarms::bench_gateway_outage(if quick { 100 } else { 1000 }).await;
        }
        if which == "drain" {
            central::bench_drain(if quick { 10_000 } else { 100_000 }).await;
        }
        if which == "consoles" {
            // `--level CxR` (repeatable): C consoles at R entries a second each, instead of the
            // standard levels, to look closer at the knee.
            let levels: Vec<(usize, f64)> = args
                .windows(2)
                .filter(|w| w[0] == "--level")
                .map(|w| {
                    let (c, r) = w[1].split_once('x').expect("--level CONSOLESxRATE, e.g. 100x850");
                    (c.parse().expect("consoles"), r.parse().expect("entries a second"))
                })
                .collect();
            // `--via direct|pooler:N` (repeatable): how those levels connect; each level runs
            // once for each.
            let via: Vec<consoles::Via> = args
                .windows(2)
                .filter(|w| w[0] == "--via")
                .map(|w| match w[1].split_once(':') {
                    None if w[1] == "direct" => consoles::Via::Direct,
                    Some(("pooler", n)) => {
                        consoles::Via::Pooler(n.parse().expect("--via pooler:N, N server connections"))
                    }
                    _ => panic!("--via direct or --via pooler:N"),
                })
                .collect();
            consoles::bench_consoles(quick, &levels, &via).await;
        }
    });
}
