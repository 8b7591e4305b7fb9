//! Acceptance 5 and 6: bad input gets one clear line, a non-zero exit and no change; the
//! activity log's chain catches edits and deletions made behind zc's back with sqlite3.

use std::process::Command;
use zc_e2e::{Env, snapshot};

fn assert_refused(env: &Env, args: &[&str], stdin: &[u8], code: &str) {
    let before = snapshot(&env.db());
    let r = env.run_with(args, stdin, &[]);
    assert_eq!(r.code, 1, "zc {args:?} should fail: {}", r.stdout);
    let line = r.stderr.trim_end();
    assert_eq!(line.lines().count(), 1, "one line: {line}");
    assert!(line.starts_with(&format!("error[{code}]: ")), "zc {args:?}: {line}");
    assert_eq!(snapshot(&env.db()), before, "zc {args:?} changed the database");
}

#[test]
fn bad_input_is_refused_and_changes_nothing() {
    let env = Env::new();
    env.ok(&["connection", "add", "north", "--url", "http://127.0.0.1:9", "--kind", "station"]);
    let big = format!("{{\"blob\":\"{}\"}}", "x".repeat(20_000));
    let long_key = "k".repeat(10_000);
    let add = |extra: &[&'static str]| [&["connection", "add", "x", "--url", "http://h"][..], extra].concat();
    let cases: Vec<(Vec<&str>, &[u8], &str)> = vec![
        (vec!["connection", "add", "x", "--url", "not a url"], b"", "invalid_url"),
        (vec!["connection", "add", "x", "--url", "ftp://10.0.0.1"], b"", "invalid_url"),
        (vec!["connection", "add", "north", "--url", "http://127.0.0.1:10"], b"", "duplicate_name"),
        (vec!["connection", "add", "bad name", "--url", "http://127.0.0.1:10"], b"", "invalid_name"),
        (add(&["--metadata", "{oops"]), b"", "invalid_metadata"),
        (add(&["--metadata", "[1,2]"]), b"", "invalid_metadata"),
        ([add(&["--metadata"]), vec![big.as_str()]].concat(), b"", "invalid_metadata"),
        (add(&["--interval", "soon"]), b"", "invalid_input"),
        (vec!["connection", "edit", "north", "--url", "nope"], b"", "invalid_url"),
        (vec!["connection", "show", "south"], b"", "not_found"),
        (vec!["connection", "rm", "south"], b"", "not_found"),
        (vec!["history", "south"], b"", "not_found"),
        (vec!["key", "set", "south"], b"k", "not_found"),
        (vec!["key", "set", "north"], b"", "invalid_key"),
        (vec!["key", "set", "north"], b"  \n", "invalid_key"),
        (vec!["key", "set", "north"], long_key.as_bytes(), "invalid_key"),
        (vec!["chart", "north", "--since", "1h", "--out", "/tmp/x.gif"], b"", "invalid_input"),
        (vec!["history", "north", "--since", "yesterday"], b"", "invalid_input"),
        (vec!["retention", "set", "request_metrics", "2h"], b"", "invalid_input"),
        (vec!["retention", "set", "widgets", "30d"], b"", "invalid_input"),
    ];
    for (args, stdin, code) in cases {
        assert_refused(&env, &args, stdin, code);
    }
}

#[test]
fn an_unusable_data_directory_is_one_clear_line() {
    let env = Env::new();
    let file = env.dir.path().join("plain-file");
    std::fs::write(&file, b"x").unwrap();
    for dir in [file.clone(), file.join("below")] {
        let out = env.command().args(["status"]).env("ZC_DATA_DIR", &dir).output().unwrap();
        assert_eq!(out.status.code(), Some(1));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.starts_with("error[data_dir]: ") && err.contains("--data-dir"), "{err}");
        assert_eq!(err.trim_end().lines().count(), 1);
    }
}

/// A file that is not a ZeroClient database (damaged, or another program's) is named, left
/// exactly as it was, and the user is told what to do.
#[test]
fn a_foreign_or_damaged_database_file_is_refused_untouched() {
    let env = Env::new();
    std::fs::create_dir_all(env.data_dir()).unwrap();
    let garbage: Vec<u8> = (0..8192u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(env.db(), &garbage).unwrap();
    let r = env.run(&["status"]);
    assert_eq!(r.code, 1);
    let line = r.stderr.trim_end();
    assert_eq!(line.lines().count(), 1, "{line}");
    assert!(line.starts_with("error[database_damaged]: ") && line.contains("zeroclient.db"), "{line}");
    assert!(line.contains("nothing was changed") && line.contains("Move it aside"), "{line}");
    assert_eq!(std::fs::read(env.db()).unwrap(), garbage, "the file is untouched");

    // Another program's SQLite database: refused before WAL or migrations could change it.
    std::fs::remove_file(env.db()).unwrap();
    sqlite3(
        &env.db(),
        "CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL); INSERT INTO invoices VALUES (1, 9.5);",
    );
    let before = std::fs::read(env.db()).unwrap();
    let r = env.run(&["connection", "list"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.starts_with("error[database_damaged]: ") && r.stderr.contains("another program"), "{}", r.stderr);
    assert_eq!(std::fs::read(env.db()).unwrap(), before, "the other program's database is untouched");
}

#[test]
fn a_malformed_widget_config_is_answered_with_a_widget_example() {
    let env = Env::new();
    env.ok(&["connection", "add", "north", "--url", "http://127.0.0.1:9"]);
    let r = env.run(&["widget", "add", "north", "pressure", "--kind", "gauge", "--config", "max=16"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.starts_with("error[invalid_metadata]: config: widget config"), "{}", r.stderr);
    assert!(r.stderr.contains("\"max\":16") && !r.stderr.contains("site"), "a widget example: {}", r.stderr);
}

#[test]
fn usage_errors_exit_2() {
    let env = Env::new();
    assert_eq!(env.run(&["connection", "frobnicate"]).code, 2);
    assert_eq!(env.run(&["key", "set", "a", "the-key-as-argument"]).code, 2, "keys are never arguments");
}

fn sqlite3(db: &std::path::Path, sql: &str) {
    let st = Command::new("sqlite3")
        .arg(db)
        .arg(sql)
        .status()
        .expect("sqlite3 is installed (`cargo xtask test` installs it)");
    assert!(st.success());
}

fn populated() -> Env {
    let env = Env::new();
    for n in ["a", "b", "c"] {
        env.ok(&["connection", "add", n, "--url", "http://127.0.0.1:9"]);
    }
    env.ok(&["connection", "edit", "b", "--interval", "30s"]);
    env.ok(&["connection", "rm", "c"]);
    let v = env.json(&["log", "verify"]);
    assert_eq!(v["first_bad_seq"], serde_json::Value::Null, "an untouched log verifies");
    env
}

/// Tampers with the log through the sqlite3 tool, then expects `zc log verify` to fail naming it.
fn assert_verify_catches(sql: &str, expected: &str) {
    let env = populated();
    sqlite3(&env.db(), sql);
    let r = env.run(&["log", "verify"]);
    assert_eq!(r.code, 1, "{sql}: {}", r.stdout);
    assert!(r.stderr.starts_with("error[log_tampered]: ") && r.stderr.contains(expected), "{sql}: {}", r.stderr);
}

#[test]
fn log_verify_reports_an_edited_entry() {
    assert_verify_catches("UPDATE activity_log SET actor = 'mallory' WHERE seq = 2;", "activity log broken at entry 2");
}

#[test]
fn log_verify_reports_a_deleted_entry() {
    assert_verify_catches("DELETE FROM activity_log WHERE seq = 3;", "entry 3");
}

#[test]
fn log_verify_reports_entries_deleted_from_the_end() {
    assert_verify_catches("DELETE FROM activity_log WHERE seq = (SELECT MAX(seq) FROM activity_log);", "missing");
}
