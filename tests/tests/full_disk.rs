//! A full disk: one clear line, a non-zero exit, and nothing half-written. The data directory
//! lives on a real 4 MiB tmpfs that the test fills to the last block (mounting needs root, which
//! CI has; elsewhere the test says it did not run).
#![cfg(target_os = "linux")]

use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command};
use zc_e2e::centre::{Centre, local_activity, set_up};
use zc_e2e::{Env, snapshot, stop, wait_for_line};
use zc_sim::{Simulator, Station, StationScript};

struct Mount(PathBuf);

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

fn fill(dir: &Path) -> PathBuf {
    let path = dir.join("filler");
    let mut f = std::fs::File::create(&path).unwrap();
    let block = vec![0u8; 64 * 1024];
    loop {
        if let Err(e) = f.write_all(&block).and_then(|_| f.sync_all()) {
            assert_eq!(e.kind(), std::io::ErrorKind::StorageFull, "filling stopped for another reason: {e}");
            break;
        }
    }
    // Last partial block, byte by byte would be slow; a few small writes take what is left.
    for _ in 0..64 {
        if f.write_all(&[0u8; 512]).and_then(|_| f.sync_all()).is_err() {
            break;
        }
    }
    path
}

/// A 4 MiB tmpfs, or None (with a note) when this user may not mount one.
fn small_disk() -> Option<(tempfile::TempDir, Mount)> {
    // SAFETY: geteuid cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("full_disk: not run: mounting a small tmpfs needs root (CI runs as root)");
        return None;
    }
    let tmp = tempfile::tempdir().unwrap();
    let mnt = tmp.path().join("small");
    std::fs::create_dir_all(&mnt).unwrap();
    let out = Command::new("mount").args(["-t", "tmpfs", "-o", "size=4m", "tmpfs"]).arg(&mnt).output().unwrap();
    if !out.status.success() {
        // Root without the capability to mount (some containers): say so rather than fail.
        eprintln!("full_disk: not run: cannot mount a tmpfs here: {}", String::from_utf8_lossy(&out.stderr).trim());
        return None;
    }
    Some((tmp, Mount(mnt)))
}

#[test]
fn a_full_disk_is_one_clear_line_and_loses_nothing() {
    let Some((_tmp, mount)) = small_disk() else { return };
    let mnt = mount.0.clone();

    let env = Env::with_data_dir(mnt.join("data"));
    env.ok(&["connection", "add", "north", "--url", "http://127.0.0.1:9"]);
    let before = snapshot(&env.db());
    let filler = fill(&mnt);

    for args in [
        vec!["connection", "add", "south", "--url", "http://127.0.0.1:10"],
        vec!["connection", "edit", "north", "--interval", "30s"],
    ] {
        let r = env.run(&args);
        assert_eq!(r.code, 1, "zc {args:?} on a full disk: {}", r.stdout);
        let line = r.stderr.trim_end();
        assert_eq!(line.lines().count(), 1, "{line}");
        assert!(line.starts_with("error[disk_full]: ") && line.contains("Free"), "zc {args:?}: {line}");
    }

    std::fs::remove_file(filler).unwrap();
    assert_eq!(snapshot(&env.db()), before, "nothing was half-written");
    assert_eq!(env.json(&["log", "verify"])["first_bad_seq"], serde_json::Value::Null);
    // With space again, the same command works.
    env.ok(&["connection", "add", "south", "--url", "http://127.0.0.1:10"]);
}

/// `zc monitor` probing one station every 100 ms, with its data directory on a small disk,
/// past the station's first answer.
struct Watched {
    // Unmounted before the directory holding the mount point is removed (fields drop in order).
    mount: Mount,
    _tmp: tempfile::TempDir,
    _sim: Simulator,
    st: Station,
    env: Env,
    child: Child,
    out: BufReader<ChildStdout>,
}

async fn watched_on_a_small_disk() -> Option<Watched> {
    let (tmp, mount) = small_disk()?;
    let sim = Simulator::start(vec![StationScript::new("s", "k")]).await.unwrap();
    let st = sim.stations[0].clone();
    let env = Env::with_data_dir(mount.0.join("data"));
    let url = format!("{}/nothing", st.url());
    env.ok(&["connection", "add", "plant", "--url", &url, "--expect-status", "404", "--interval", "100ms"]);
    let (child, mut out) = env.spawn_monitor(&[]);
    wait_for_line(&mut out, "plant  unknown -> online", &mut Vec::new());
    Some(Watched { mount, _tmp: tmp, _sim: sim, st, env, child, out })
}

/// Fills the disk while a reader is in the middle of a read (as the desktop console may be):
/// SQLite cannot then start its WAL over in the WAL file's own space, so every write needs new
/// space and fails. (Without a reader, a write after a checkpoint reuses the WAL file and
/// succeeds on a full disk.) Returns the filler and the reader; `free` undoes both.
fn fill_under_a_reader(w: &Watched) -> (PathBuf, rusqlite::Connection) {
    let reader = rusqlite::Connection::open(w.env.db()).unwrap();
    reader.execute_batch("BEGIN; SELECT COUNT(*) FROM request_metrics;").unwrap();
    (fill(&w.mount.0), reader)
}

/// Frees the disk and ends the read; returns the rows now in the database.
fn free((filler, reader): (PathBuf, rusqlite::Connection)) -> u64 {
    std::fs::remove_file(filler).unwrap();
    reader.execute_batch("COMMIT").unwrap();
    reader.query_row("SELECT COUNT(*) FROM request_metrics", [], |r| r.get::<_, i64>(0)).unwrap() as u64
}

/// The disk fills while `zc monitor` runs: metrics wait in memory, and once space is back every
/// request still has its row.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_written_while_the_disk_is_full_are_kept_until_it_has_space() {
    let Some(w) = watched_on_a_small_disk().await else { return };
    let full = fill_under_a_reader(&w);
    // Long enough for several failed batch writes (one a second).
    w.st.wait_requests(w.st.requests() + 30).await;
    free(full);
    w.st.wait_requests(w.st.requests() + 10).await;
    drop(w.out);
    let (code, rest) = stop(w.child);
    assert_eq!(code, 0, "{rest}");

    let c = rusqlite::Connection::open(w.env.db()).unwrap();
    let rows: i64 = c.query_row("SELECT COUNT(*) FROM request_metrics", [], |r| r.get(0)).unwrap();
    let log = std::fs::read_to_string(w.env.data_dir().join("logs/zc.log")).unwrap_or_default();
    assert_eq!(
        rows as u64,
        w.st.requests(),
        "every request has its row, even those made while the disk was full:\n{log}"
    );
    // Logged once space was back (the disk had no room for a log line before).
    assert!(log.contains("the database takes writes again"), "the disk did refuse writes meanwhile:\n{log}");
}

/// A stop while the disk is still full: the final write is retried for the grace period, then
/// the monitor exits 1 with one line saying exactly how much it could not write, and
/// `zc doctor` shows the run's counts once there is space again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_while_the_disk_is_full_reports_exactly_what_was_lost() {
    let Some(w) = watched_on_a_small_disk().await else { return };
    let full = fill_under_a_reader(&w);
    w.st.wait_requests(w.st.requests() + 20).await;
    drop(w.out);
    let (code, rest) = stop(w.child);
    assert_eq!(code, 1, "{rest}");
    let errors: Vec<&str> = rest.lines().filter(|l| l.starts_with("error[")).collect();
    assert_eq!(errors.len(), 1, "{rest}");
    assert!(errors[0].starts_with("error[disk_full]: monitoring lost data: "), "{rest}");
    let lost: u64 = errors[0]
        .split("lost data: ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("a count in: {}", errors[0]));
    assert!(lost > 0, "{rest}");

    let rows = free(full);
    assert_eq!(rows + lost, w.st.requests(), "the count said is exactly what is missing");
    let d = w.env.json(&["doctor"]);
    let run = &d["monitor"]["run"];
    assert!(run["account"]["rows_written"].as_u64().unwrap() <= rows, "{d}");
    assert!(matches!(d["monitor"]["state"].as_str(), Some("stopped" | "interrupted")), "{d}");
}

/// A full disk when `zc sync now` is to push a backlog: one clear line, no corruption, and once
/// there is space the push completes, everything at the centre exactly once, the log in order.
/// (The disk filling in the middle of a push, after the centre's commit and before the console's
/// mark, is the soak's: `zc-soak` sync rounds, with the fault library.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_stops_a_push_clearly_and_the_next_one_completes() {
    let Some((_tmp, mount)) = small_disk() else { return };
    let sim = Simulator::start(vec![StationScript::new("s", "k")]).await.unwrap();
    let centre = Centre::start().await;
    let env = Env::with_data_dir(mount.0.join("data"));
    let (console, _) = set_up(&centre, &env);
    let url = format!("{}/nothing", sim.stations[0].url());
    env.ok(&["connection", "add", "plant", "--url", &url, "--expect-status", "404", "--interval", "100ms"]);
    // A backlog: the centre down while the monitor watches the station.
    centre.cluster.stop().unwrap();
    let (child, mut out) = env.spawn_monitor(&[]);
    wait_for_line(&mut out, "plant  unknown -> online", &mut Vec::new());
    drop(out);
    assert_eq!(stop(child).0, 0);
    centre.cluster.restart().unwrap();
    let admin = sqlx::PgPool::connect(&centre.cluster.superuser_url("zc")).await.unwrap();
    let centre = Centre { cluster: centre.cluster, admin };

    let reader = rusqlite::Connection::open(env.db()).unwrap();
    reader.execute_batch("BEGIN; SELECT COUNT(*) FROM request_metrics;").unwrap();
    let filler = fill(&mount.0);
    let r = env.run(&["sync", "now"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    let errors: Vec<&str> = r.stderr.lines().filter(|l| l.starts_with("error[")).collect();
    assert_eq!(errors.len(), 1, "{}", r.stderr);
    assert!(errors[0].starts_with("error[disk_full]: ") && errors[0].contains("Free"), "{}", r.stderr);

    std::fs::remove_file(filler).unwrap();
    reader.execute_batch("COMMIT").unwrap();
    let ok: String = reader.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(ok, "ok");
    assert_eq!(env.json(&["log", "verify"])["first_bad_seq"], serde_json::Value::Null);

    let again = env.json(&["sync", "now"]);
    assert_eq!(again["outcome"], "drained", "{again}");
    assert_eq!(centre.activity(&console).await, local_activity(&env), "the same entries, once, in order");
    let local: i64 = reader.query_row("SELECT COUNT(*) FROM request_metrics", [], |r| r.get(0)).unwrap();
    let (central, distinct): (i64, i64) =
        sqlx::query_as("SELECT count(*), count(DISTINCT (connection_id, at)) FROM central.request_metrics")
            .fetch_one(&centre.admin)
            .await
            .unwrap();
    assert!(local > 0);
    assert_eq!((central, distinct), (local, local), "every metric once");
    let status = env.json(&["sync", "status"]);
    for s in status["streams"].as_array().unwrap() {
        assert_eq!(s["pending"], 0, "{status}");
    }
}
