//! A full disk: one clear line, a non-zero exit, and nothing half-written. The data directory
//! lives on a real 4 MiB tmpfs that the test fills to the last block (mounting needs root, which
//! CI has; elsewhere the test says it did not run).
#![cfg(target_os = "linux")]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use zc_e2e::{Env, snapshot, stop, wait_for_line};
use zc_sim::{Simulator, StationScript};

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

/// The disk fills while `zc monitor` runs: metrics wait in memory, and once space is back every
/// request still has its row.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_written_while_the_disk_is_full_are_kept_until_it_has_space() {
    let Some((_tmp, mount)) = small_disk() else { return };
    let sim = Simulator::start(vec![StationScript::new("s", "k")]).await.unwrap();
    let st = sim.stations[0].clone();
    let env = Env::with_data_dir(mount.0.join("data"));
    let url = format!("{}/nothing", st.url());
    env.ok(&["connection", "add", "plant", "--url", &url, "--expect-status", "404", "--interval", "100ms"]);
    let (child, mut out) = env.spawn_monitor(&[]);
    let mut t = Vec::new();
    wait_for_line(&mut out, "plant  unknown -> online", &mut t);

    // A reader mid-read keeps SQLite from reusing the WAL's own space (see below): writes fail.
    let reader = rusqlite::Connection::open(env.db()).unwrap();
    reader.execute_batch("BEGIN; SELECT COUNT(*) FROM request_metrics;").unwrap();
    let filler = fill(&mount.0);
    // Long enough for several failed batch writes (one a second).
    st.wait_requests(st.requests() + 30).await;
    std::fs::remove_file(filler).unwrap();
    reader.execute_batch("COMMIT").unwrap();
    drop(reader);
    st.wait_requests(st.requests() + 10).await;
    drop(out);
    let (code, rest) = stop(child);
    assert_eq!(code, 0, "{rest}");

    let c = rusqlite::Connection::open(env.db()).unwrap();
    let rows: i64 = c.query_row("SELECT COUNT(*) FROM request_metrics", [], |r| r.get(0)).unwrap();
    let log = std::fs::read_to_string(env.data_dir().join("logs/zc.log")).unwrap_or_default();
    assert_eq!(
        rows as u64,
        st.requests(),
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
    let Some((_tmp, mount)) = small_disk() else { return };
    let sim = Simulator::start(vec![StationScript::new("s", "k")]).await.unwrap();
    let st = sim.stations[0].clone();
    let env = Env::with_data_dir(mount.0.join("data"));
    let url = format!("{}/nothing", st.url());
    env.ok(&["connection", "add", "plant", "--url", &url, "--expect-status", "404", "--interval", "100ms"]);
    let (child, mut out) = env.spawn_monitor(&[]);
    let mut t = Vec::new();
    wait_for_line(&mut out, "plant  unknown -> online", &mut t);
    // A reader in the middle of a read (as the desktop console may be): SQLite cannot restart
    // the WAL from its beginning meanwhile, so every write needs new space. (Without a reader, a
    // write after a checkpoint reuses the WAL file's own space and succeeds on a full disk.)
    let reader = rusqlite::Connection::open(env.db()).unwrap();
    reader.execute_batch("BEGIN; SELECT COUNT(*) FROM request_metrics;").unwrap();
    let filler = fill(&mount.0);
    st.wait_requests(st.requests() + 20).await;
    drop(out);
    let (code, rest) = stop(child);
    assert_eq!(code, 1, "{rest}");
    let line = rest.lines().find(|l| l.starts_with("error[")).unwrap_or_default();
    assert_eq!(rest.lines().filter(|l| l.starts_with("error[")).count(), 1, "{rest}");
    assert!(line.starts_with("error[disk_full]: monitoring lost data: "), "{rest}");
    let lost: u64 = line
        .split("lost data: ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("a count in: {line}"));
    assert!(lost > 0, "{line}");

    std::fs::remove_file(filler).unwrap();
    reader.execute_batch("COMMIT").unwrap();
    let rows: i64 = reader.query_row("SELECT COUNT(*) FROM request_metrics", [], |r| r.get(0)).unwrap();
    drop(reader);
    assert_eq!(rows as u64 + lost, st.requests(), "the count said is exactly what is missing");
    let d = env.json(&["doctor"]);
    let run = &d["monitor"]["run"];
    assert!(run["account"]["rows_written"].as_u64().unwrap() <= rows as u64, "{d}");
    assert!(matches!(d["monitor"]["state"].as_str(), Some("stopped" | "interrupted")), "{d}");
}
