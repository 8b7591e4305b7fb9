//! `zc backup FILE` under a running monitor: each copy is whole (integrity check), its activity
//! log verifies, it restores into a working console, and it holds no key.

use zc_e2e::{Env, stop, wait_for_lines};
use zc_sim::{Simulator, StationScript};

fn one(db: &std::path::Path, sql: &str) -> rusqlite::types::Value {
    let c = rusqlite::Connection::open(db).unwrap();
    c.query_row(sql, [], |r| r.get(0)).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_the_monitor_writes_is_whole_and_restores() {
    let key = format!("backup-key-{:x}", rand::random::<u64>());
    let scripts: Vec<_> = (0..3).map(|i| StationScript::new(&format!("st{i}"), &key)).collect();
    let sim = Simulator::start(scripts).await.unwrap();
    let env = Env::new();
    for (i, st) in sim.stations.iter().enumerate() {
        env.add_station(&format!("st{i}"), &st.url(), &key, "100ms", "3");
    }
    let (child, mut out) = env.spawn_monitor(&[]);
    let mut t = Vec::new();
    // All three, in whatever order they come online (waiting for them in turn hung whenever st1
    // printed before st0: its line was read and passed over while looking for st0's).
    let online: Vec<String> = (0..3).map(|i| format!("st{i}  unknown -> online")).collect();
    wait_for_lines(&mut out, &online, &mut t);
    let dir = tempfile::tempdir().unwrap();
    // Several copies while the monitor keeps writing a batch a second.
    let mut rows = Vec::new();
    for n in 0..5 {
        let file = dir.path().join(format!("site-{n}.db"));
        let r = env.json(&["backup", file.to_str().unwrap()]);
        assert_eq!(r["integrity"], "ok", "{r}");
        assert_eq!(one(&file, "PRAGMA integrity_check"), rusqlite::types::Value::Text("ok".into()));
        let bytes = std::fs::read(&file).unwrap();
        assert!(!zc_e2e::contains(&bytes, key.as_bytes()), "the key is in backup {n}");
        rows.push(r["request_metrics"].as_i64().unwrap());
    }
    drop(out);
    let (code, _) = stop(child);
    assert_eq!(code, 0);
    assert!(rows.windows(2).all(|w| w[0] <= w[1]) && rows[0] > 0, "each copy is a later snapshot: {rows:?}");
    // No half-made copy is left beside them.
    let names: Vec<String> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(names.len(), 5, "{names:?}");

    // Restore, as docs/storage.md says: the copy as `zeroclient.db` of a data directory. The
    // console opens it, its activity log verifies, and its connections and history are there.
    let restored = Env::with_data_dir(dir.path().join("restored"));
    std::fs::create_dir_all(restored.data_dir()).unwrap();
    std::fs::copy(dir.path().join("site-4.db"), restored.db()).unwrap();
    let verify = restored.run(&["log", "verify"]);
    assert_eq!(verify.code, 0, "{}", verify.stderr);
    assert!(verify.stdout.contains("ok"), "{}", verify.stdout);
    let list = restored.json(&["connection", "list"]);
    assert_eq!(list.as_array().unwrap().len(), 3);
    let h = restored.json(&["history", "st0", "--since", "1h"]);
    assert!(!h["transitions"].as_array().unwrap().is_empty());
    // The backups themselves are recorded in the live console's log.
    let log = env.json(&["log", "--since", "1h"]);
    assert_eq!(log.as_array().unwrap().iter().filter(|e| e["action"] == "backup.create").count(), 5);

    // A backup never overwrites a file.
    let existing = dir.path().join("site-0.db");
    let before = std::fs::read(&existing).unwrap();
    let r = env.run(&["backup", existing.to_str().unwrap()]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.starts_with("error[invalid_input]") && r.stderr.contains("never overwrites"), "{}", r.stderr);
    assert_eq!(std::fs::read(&existing).unwrap(), before);
}
