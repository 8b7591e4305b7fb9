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
    assert!(
        line.starts_with(&format!("error[{code}]: ")),
        "zc {args:?}: {line}"
    );
    assert_eq!(
        snapshot(&env.db()),
        before,
        "zc {args:?} changed the database"
    );
}

#[test]
fn bad_input_is_refused_and_changes_nothing() {
    let env = Env::new();
    env.ok(&[
        "connection",
        "add",
        "north",
        "--url",
        "http://127.0.0.1:9",
        "--kind",
        "station",
    ]);
    assert_refused(
        &env,
        &["connection", "add", "x", "--url", "not a url"],
        b"",
        "invalid_url",
    );
    assert_refused(
        &env,
        &["connection", "add", "x", "--url", "ftp://10.0.0.1"],
        b"",
        "invalid_url",
    );
    assert_refused(
        &env,
        &["connection", "add", "north", "--url", "http://127.0.0.1:10"],
        b"",
        "duplicate_name",
    );
    assert_refused(
        &env,
        &[
            "connection",
            "add",
            "bad name",
            "--url",
            "http://127.0.0.1:10",
        ],
        b"",
        "invalid_name",
    );
    assert_refused(
        &env,
        &[
            "connection",
            "add",
            "x",
            "--url",
            "http://h",
            "--metadata",
            "{oops",
        ],
        b"",
        "invalid_metadata",
    );
    assert_refused(
        &env,
        &[
            "connection",
            "add",
            "x",
            "--url",
            "http://h",
            "--metadata",
            "[1,2]",
        ],
        b"",
        "invalid_metadata",
    );
    let big = format!("{{\"blob\":\"{}\"}}", "x".repeat(20_000));
    assert_refused(
        &env,
        &[
            "connection",
            "add",
            "x",
            "--url",
            "http://h",
            "--metadata",
            &big,
        ],
        b"",
        "invalid_metadata",
    );
    assert_refused(
        &env,
        &[
            "connection",
            "add",
            "x",
            "--url",
            "http://h",
            "--interval",
            "soon",
        ],
        b"",
        "invalid_input",
    );
    assert_refused(
        &env,
        &["connection", "edit", "north", "--url", "nope"],
        b"",
        "invalid_url",
    );
    assert_refused(&env, &["connection", "show", "south"], b"", "not_found");
    assert_refused(&env, &["connection", "rm", "south"], b"", "not_found");
    assert_refused(&env, &["history", "south"], b"", "not_found");
    assert_refused(&env, &["key", "set", "south"], b"k", "not_found");
    assert_refused(&env, &["key", "set", "north"], b"", "invalid_key");
    assert_refused(&env, &["key", "set", "north"], b"  \n", "invalid_key");
    assert_refused(
        &env,
        &["key", "set", "north"],
        "k".repeat(10_000).as_bytes(),
        "invalid_key",
    );
    assert_refused(
        &env,
        &["chart", "north", "--since", "1h", "--out", "/tmp/x.gif"],
        b"",
        "invalid_input",
    );
    assert_refused(
        &env,
        &["history", "north", "--since", "yesterday"],
        b"",
        "invalid_input",
    );
}

#[test]
fn an_unusable_data_directory_is_one_clear_line() {
    let env = Env::new();
    let file = env.dir.path().join("plain-file");
    std::fs::write(&file, b"x").unwrap();
    for dir in [file.clone(), file.join("below")] {
        let out = env
            .command()
            .args(["status"])
            .env("ZC_DATA_DIR", &dir)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.starts_with("error[data_dir]: ") && err.contains("--data-dir"),
            "{err}"
        );
        assert_eq!(err.trim_end().lines().count(), 1);
    }
}

#[test]
fn usage_errors_exit_2() {
    let env = Env::new();
    assert_eq!(env.run(&["connection", "frobnicate"]).code, 2);
    assert_eq!(
        env.run(&["key", "set", "a", "the-key-as-argument"]).code,
        2,
        "keys are never arguments"
    );
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
    assert_eq!(
        v["first_bad_seq"],
        serde_json::Value::Null,
        "an untouched log verifies"
    );
    env
}

#[test]
fn log_verify_reports_an_edited_entry() {
    let env = populated();
    sqlite3(
        &env.db(),
        "UPDATE activity_log SET actor = 'mallory' WHERE seq = 2;",
    );
    let r = env.run(&["log", "verify"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("error[log_tampered]: activity log broken at entry 2"),
        "{}",
        r.stderr
    );
}

#[test]
fn log_verify_reports_a_deleted_entry() {
    let env = populated();
    sqlite3(&env.db(), "DELETE FROM activity_log WHERE seq = 3;");
    let r = env.run(&["log", "verify"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("entry 3"), "{}", r.stderr);
}

#[test]
fn log_verify_reports_entries_deleted_from_the_end() {
    let env = populated();
    sqlite3(
        &env.db(),
        "DELETE FROM activity_log WHERE seq = (SELECT MAX(seq) FROM activity_log);",
    );
    let r = env.run(&["log", "verify"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stderr.contains("missing"), "{}", r.stderr);
}
