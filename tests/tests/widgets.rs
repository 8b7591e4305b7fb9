//! Widget configurations: owned by a connection, versioned, audited; bad configs change nothing.

use zc_e2e::{Env, snapshot};

#[test]
fn widgets_are_versioned_audited_and_validated() {
    let env = Env::new();
    env.ok(&["connection", "add", "north", "--url", "http://127.0.0.1:9"]);
    let w = env.json(&[
        "widget",
        "add",
        "north",
        "pressure",
        "--kind",
        "gauge",
        "--config",
        r#"{"min":0,"max":10,"unit":"bar"}"#,
    ]);
    assert_eq!(w["version"], 1);
    assert_eq!(w["active"], true);
    assert!(w["created_by"].is_i64(), "created by the local user");

    let w = env.json(&[
        "widget",
        "edit",
        "north",
        "pressure",
        "--config",
        r#"{"min":0,"max":16,"unit":"bar"}"#,
        "--active",
        "false",
    ]);
    assert_eq!(w["version"], 2);
    assert_eq!(w["active"], false);
    assert!(w["config"].as_str().unwrap().contains("16"));

    env.json(&["widget", "show", "north", "pressure"]);
    let c = rusqlite::Connection::open(env.db()).unwrap();
    let views: i64 =
        c.query_row("SELECT COUNT(*) FROM widget_access_log WHERE action = 'view'", [], |r| r.get(0)).unwrap();
    assert_eq!(views, 1, "widget access is logged apart from connection access");

    let before = snapshot(&env.db());
    for (args, code) in [
        (vec!["widget", "add", "north", "pressure", "--kind", "gauge"], "duplicate_name"),
        (vec!["widget", "add", "south", "p", "--kind", "gauge"], "not_found"),
        (vec!["widget", "add", "north", "p", "--kind", "gauge", "--config", "{broken"], "invalid_metadata"),
        (vec!["widget", "add", "north", "p", "--kind", "gauge", "--config", r#"{"token":"abc"}"#], "invalid_metadata"),
        (vec!["widget", "add", "north", "p", "--kind", "bad kind"], "invalid_input"),
        (vec!["widget", "edit", "north", "nope", "--active", "true"], "not_found"),
    ] {
        let r = env.run(&args);
        assert_eq!(r.code, 1, "{args:?}");
        assert!(r.stderr.starts_with(&format!("error[{code}]")), "{args:?}: {}", r.stderr);
    }
    let huge = format!("{{\"series\":\"{}\"}}", "x".repeat(70_000));
    let r = env.run(&["widget", "edit", "north", "pressure", "--config", &huge]);
    assert!(r.stderr.starts_with("error[invalid_metadata]") && r.stderr.contains("65536"), "{}", r.stderr);
    assert_eq!(snapshot(&env.db()), before, "refused edits changed nothing");

    env.ok(&["widget", "rm", "north", "pressure"]);
    let log = env.json(&["log"]);
    let actions: Vec<&str> = log.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    for a in ["widget.add", "widget.edit", "widget.remove"] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }
}
