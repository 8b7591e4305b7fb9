//! The console in its real window (WebKit through tauri-driver, under Xvfb):
//! - first interactive paint and memory (PSS of the app and its WebKit processes) with the demo
//!   loaded, against a bare Tauri window (one static page) built and measured in the same run;
//! - the control room with 1,000 connections: time to first render, and to show a burst of
//!   1,000 status changes written at once.
//!
//! Both sides go through the same WebDriver steps, so the driver's own cost is in both.

use fantoccini::{Client, ClientBuilder, Locator};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use zc_domain::status::Transition;
use zc_domain::{ConnectionKind, ConnectionSpec, Status, SystemClock};
use zc_store::{Audit, RunCounts, StatusChange, Store};

struct Tools {
    driver: PathBuf,
    console: PathBuf,
    bare: PathBuf,
}

fn tools() -> Option<Tools> {
    let get = |v: &str| std::env::var_os(v).map(PathBuf::from).filter(|p| p.exists());
    Some(Tools { driver: get("ZC_TAURI_DRIVER")?, console: get("ZC_DESKTOP_BIN")?, bare: get("ZC_BARE_WINDOW_BIN")? })
}

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        // SAFETY: signalling our own child.
        unsafe { libc::kill(self.0.id() as i32, libc::SIGTERM) };
        let _ = self.0.wait();
    }
}

async fn start_driver(bin: &Path) -> Driver {
    let child = Command::new(bin)
        .args(["--port", "4444", "--native-driver", "/usr/bin/WebKitWebDriver"])
        .env("WEBKIT_DISABLE_COMPOSITING_MODE", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start tauri-driver");
    // Ready once it and WebKitWebDriver behind it (4445) both accept connections.
    for port in [4444, 4445] {
        while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    Driver(child)
}

async fn session(app: &Path, args: &[String]) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert("tauri:options".into(), serde_json::json!({"application": app, "args": args}));
    caps.insert("browserName".into(), serde_json::json!("wry"));
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect("http://127.0.0.1:4444")
        .await
        .expect("a WebDriver session")
}

async fn wait_css(c: &Client, css: &str) {
    c.wait()
        .at_most(Duration::from_secs(120))
        .every(Duration::from_millis(20))
        .for_element(Locator::Css(css))
        .await
        .expect(css);
}

/// PSS of the process running `exe` and of every process below it (WebKit's web and network
/// processes), in bytes.
fn pss_of_app(exe: &Path) -> u64 {
    let procs: Vec<(u32, u32, PathBuf)> = std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| {
            let pid: u32 = e.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            let ppid: u32 = stat.rsplit(')').next()?.split_whitespace().nth(1)?.parse().ok()?;
            let exe = std::fs::read_link(format!("/proc/{pid}/exe")).unwrap_or_default();
            Some((pid, ppid, exe))
        })
        .collect();
    let Some(root) = procs.iter().find(|p| p.2 == exe).map(|p| p.0) else { return 0 };
    let mut family = vec![root];
    let mut i = 0;
    while i < family.len() {
        let parent = family[i];
        family.extend(procs.iter().filter(|p| p.1 == parent).map(|p| p.0));
        i += 1;
    }
    family
        .iter()
        .filter_map(|pid| std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok())
        .filter_map(|s| {
            s.lines().find(|l| l.starts_with("Pss:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .sum::<u64>()
        * 1024
}

/// (time to the first condition, time to the second, PSS once both hold and the window settled
/// for 3 s).
async fn paint_and_memory(app: &Path, args: &[String], interactive_css: &str, live_css: &str) -> (f64, f64, u64) {
    let t = Instant::now();
    let c = session(app, args).await;
    wait_css(&c, interactive_css).await;
    let interactive = t.elapsed().as_secs_f64();
    wait_css(&c, live_css).await;
    let live = t.elapsed().as_secs_f64();
    // Memory once the page settled: the largest of three samples a second apart.
    let mut pss = 0;
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_secs(1)).await;
        pss = pss.max(pss_of_app(app));
    }
    let _ = c.close().await;
    (interactive, live, pss)
}

pub async fn bench_first_paint(runs: usize) {
    println!("\n## 7. First interactive paint and memory (the console on the demo vs a bare Tauri window)");
    let Some(t) = tools() else {
        println!(
            "skipped: run through `cargo xtask bench`, which builds both windows and provides tauri-driver and a display"
        );
        return;
    };
    let _driver = start_driver(&t.driver).await;
    const TILE: &str = "[data-connection]";
    const LIVE: &str = "[data-connection] .widget[data-freshness=\"fresh\"]";
    let (mut cold, mut warm, mut live, mut base, mut ours_mem, mut base_mem) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..runs {
        let dir = tempfile::tempdir().unwrap();
        let args = vec!["--data-dir".into(), dir.path().display().to_string(), "--demo".into()];
        // A new data directory (the database made, the demo's connections and widgets added),
        // then the same one again, as a console starts every day after its first.
        let (p, _, _) = paint_and_memory(&t.console, &args, TILE, LIVE).await;
        cold.push(p);
        let (p, l, m) = paint_and_memory(&t.console, &args, TILE, LIVE).await;
        warm.push(p);
        live.push(l);
        ours_mem.push(m as f64);
        let (p, _, m) = paint_and_memory(&t.bare, &[], "#ready", "#ready").await;
        base.push(p);
        base_mem.push(m as f64);
    }
    let m = crate::median;
    let (w, b, om, bm) = (m(warm), m(base.clone()), m(ours_mem), m(base_mem));
    println!(
        "| window | first interactive paint | vs baseline | memory (PSS, app + WebKit) | vs baseline |\n|---|---:|---:|---:|---:|"
    );
    println!(
        "| bare Tauri window, one static page (baseline) | {:.0} ms | 1.00x | {:.1} MB | 1.00x |",
        b * 1000.0,
        bm / 1e6
    );
    println!(
        "| the console on the demo: control room on screen | **{:.0} ms** | **{:.2}x** | **{:.1} MB** | **{:.2}x** |",
        w * 1000.0,
        w / b,
        om / 1e6,
        om / bm
    );
    let (c, l) = (m(cold), m(live));
    println!(
        "| the console, first start on a new data directory (database and demo made) | {:.0} ms | {:.2}x | | |",
        c * 1000.0,
        c / b
    );
    println!(
        "| the console: first live value on screen (a probe answered, written, pushed) | {:.0} ms | {:.2}x | | |",
        l * 1000.0,
        l / b
    );
    println!(
        "medians of {runs} runs, every window launched by tauri-driver the same way; targets: <= 1.5x time, <= 1.3x memory"
    );
}

pub async fn bench_control_room(n: usize) {
    println!("\n## 8. Control room with {n} connections");
    let Some(t) = tools() else {
        println!("skipped: run through `cargo xtask bench`");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), Arc::new(SystemClock)).await.unwrap();
    let audit = Audit { actor: "bench".into(), device_id: None };
    let mut ids = Vec::new();
    for i in 0..n {
        let spec = ConnectionSpec::new(&format!("site-{i:04}"), "http://127.0.0.1:9", ConnectionKind::Http)
            .validate()
            .unwrap();
        ids.push(store.add_connection(&spec, &audit).await.unwrap().id);
    }
    // This benchmark holds the monitor lock, so the console follows "another monitor": the
    // writes below reach it as they would from a `zc monitor` (its read interval is 500 ms).
    let _lock = store.lock_monitor().await.unwrap();
    let (run, _) = store.open_run(1, &audit).await.unwrap();
    let now = zc_domain::Clock::now_ms(&SystemClock);
    let metrics: Vec<_> =
        ids.iter().flat_map(|&id| (0..60).map(move |k| crate::sample(id, k, now - 60_000, 1000))).collect();
    store.write_batch(run, 1, &metrics, &[], &[], RunCounts::default()).await.unwrap();
    let _driver = start_driver(&t.driver).await;
    let started = Instant::now();
    let c = session(&t.console, &["--data-dir".into(), dir.path().display().to_string()]).await;
    wait_css(&c, "[data-connection]").await;
    let summary = format!("{n} of {n} connections");
    wait_text(&c, ".filter-summary", &summary).await;
    let first = started.elapsed().as_secs_f64();
    // A burst: every connection goes offline in one transaction.
    let at = zc_domain::Clock::now_ms(&SystemClock);
    let changes: Vec<StatusChange> = ids
        .iter()
        .map(|&id| StatusChange {
            connection_id: id,
            transition: Transition {
                from: Status::Unknown,
                to: Status::Offline,
                at_ms: at,
                error_category: None,
                observer_offline: false,
            },
            detail: Some("bench".into()),
        })
        .collect();
    let t0 = Instant::now();
    store.write_batch(run, 2, &[], &[], &changes, RunCounts::default()).await.unwrap();
    let written = t0.elapsed().as_secs_f64();
    wait_text(&c, ".filter-status.status-offline .count", &n.to_string()).await;
    wait_css(&c, "[data-connection][data-status=\"offline\"]").await;
    let shown = t0.elapsed().as_secs_f64();
    let _ = c.close().await;
    println!("| figure | time |\n|---|---:|");
    println!(
        "| start to the control room rendered ({n} tiles known, the first on screen) | {:.0} ms |",
        first * 1000.0
    );
    println!("| burst of {n} status changes: write (one transaction) | {:.0} ms |", written * 1000.0);
    println!(
        "| burst: from the commit to every change shown (counts and tiles), including the follower's 500 ms read interval | {:.0} ms |",
        shown * 1000.0
    );
    store.close().await;
}

async fn wait_text(c: &Client, css: &str, text: &str) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Ok(el) = c.find(Locator::Css(css)).await
            && el.text().await.is_ok_and(|t| t.contains(text))
        {
            return;
        }
        assert!(Instant::now() < deadline, "waited 120 s for {css} to say {text}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
