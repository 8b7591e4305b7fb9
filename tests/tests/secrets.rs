//! Acceptance 3: `zc key set` stores the key in the OS keyring (readable with `secret-tool` in
//! the same session) and nowhere else. A canary key goes through every flow; then the database
//! files (WAL included), the logs, the exported files and everything zc printed are searched.
//! Linux only: it reads the key back with `secret-tool`, the Secret Service's own client.
#![cfg(target_os = "linux")]

use std::process::Command;
use zc_e2e::{Env, contains, files_below};
use zc_sim::{Fault, FaultKind, Simulator, StationScript};

fn secret_tool_lookup(username: &str) -> Option<String> {
    let out = Command::new("secret-tool")
        .args(["lookup", "service", "zeroclient", "username", username])
        .output()
        .expect("secret-tool is installed (apt: libsecret-tools; `cargo xtask test` installs it)");
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn install_id(env: &Env) -> String {
    let c = rusqlite::Connection::open(env.db()).unwrap();
    c.query_row("SELECT value FROM meta WHERE key = 'install_id'", [], |r| r.get(0)).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn canary_key_lives_only_in_the_keyring() {
    let canary = format!("zc-canary-{:032x}", rand::random::<u128>());
    let sim = Simulator::start(vec![StationScript::new("plant", &canary)]).await.unwrap();
    let st = &sim.stations[0];
    let env = Env::new();
    env.add_station("plant", &st.url(), &canary, "200ms", "2");
    // SQLite deletes the WAL when the last connection closes; holding one open keeps the WAL on
    // disk, so the scan below sees what passed through it.
    let holder = rusqlite::Connection::open(env.db()).unwrap();
    let _: i64 = holder.query_row("SELECT COUNT(*) FROM meta", [], |r| r.get(0)).unwrap();

    let account = format!("{}/connection/1", install_id(&env));
    assert_eq!(secret_tool_lookup(&account).as_deref(), Some(canary.as_str()), "the key is in the OS keyring");

    let check = env.json(&["key", "check", "plant"]);
    assert_eq!(check["valid"], true);
    let shown = env.json(&["connection", "show", "plant"]);
    assert_eq!(shown["key_validated"], true);
    assert!(shown["key_last_validated_at"].is_i64());

    // The monitor at trace level: the most verbose logs must not carry the key either.
    let (child, mut out) = env.spawn_monitor(&[("ZC_LOG", "trace")]);
    let mut t = Vec::new();
    zc_e2e::wait_for_line(&mut out, "unknown -> online", &mut t);
    env.transcript.borrow_mut().extend(t);
    drop(out);
    let (_, rest) = zc_e2e::stop(child);
    env.transcript.borrow_mut().extend(rest.as_bytes());

    let charts = env.dir.path().join("charts");
    std::fs::create_dir_all(&charts).unwrap();
    let png = charts.join("plant.png").display().to_string();
    let svg = charts.join("plant.svg").display().to_string();
    for args in [
        vec!["status"],
        vec!["status", "--format", "json"],
        vec!["connection", "list", "--format", "csv"],
        vec!["history", "plant"],
        vec!["history", "plant", "--format", "json"],
        vec!["metrics", "plant", "--format", "csv"],
        vec!["metrics", "plant", "--format", "json"],
        vec!["chart", "plant", "--since", "1h", "--out", &png],
        vec!["chart", "plant", "--since", "1h", "--out", &svg],
        vec!["log"],
        vec!["log", "--format", "json"],
        vec!["log", "--format", "csv"],
        vec!["log", "verify"],
        vec!["doctor"],
        vec!["maintenance"],
        vec!["connection", "edit", "plant", "--rename", "plant-a"],
        vec!["connection", "show", "plant-a", "--format", "json"],
    ] {
        env.ok(&args);
    }
    // Failure paths: a refused key and a key that cannot be sent must not echo anything.
    st.set_faults(vec![Fault::always(FaultKind::WrongKey)]);
    let r = env.run(&["key", "check", "plant-a"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("refused the key"), "{}", r.stderr);
    let r = env.run_with(&["key", "set", "plant-a"], format!("{canary}\u{7}x").as_bytes(), &[]);
    assert_eq!(r.code, 1);
    assert_eq!(secret_tool_lookup(&account).as_deref(), Some(canary.as_str()), "a refused key leaves the stored one");
    let r = env.run_with(&["key", "set", "plant-a"], "x".repeat(5000).as_bytes(), &[]);
    assert_eq!(r.code, 1);

    let files = files_below(env.dir.path());
    assert!(files.iter().any(|(p, _)| p.ends_with("zeroclient.db-wal")), "the WAL is searched too");
    assert!(files.iter().any(|(p, _)| p.ends_with("zc.log")), "the log is searched too");
    for (path, bytes) in &files {
        assert!(!contains(bytes, canary.as_bytes()), "the key leaked into {}", path.display());
    }
    assert!(!contains(&env.transcript.borrow(), canary.as_bytes()), "the key leaked into zc's output");

    drop(holder);
    // Removing the connection removes its key.
    env.ok(&["connection", "rm", "plant-a"]);
    assert_eq!(secret_tool_lookup(&account), None);
}
