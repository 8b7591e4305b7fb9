//! Widget configurations: owned by a connection, checked against their kind's JSON Schema,
//! versioned with a diff and restore, audited; bad configs change nothing.

use zc_e2e::{Env, snapshot};

fn list(env: &Env, args: &[&str]) -> Vec<serde_json::Value> {
    env.json(args).as_array().expect("a JSON array").clone()
}

const GAUGE: &str = r#"{"point":"north.pressure-1","min":0,"max":10,"unit":"bar"}"#;

#[test]
fn widgets_are_versioned_audited_and_validated() {
    let env = Env::new();
    env.ok(&["connection", "add", "north", "--url", "http://127.0.0.1:9"]);
    let w = env.json(&["widget", "add", "north", "pressure", "--kind", "gauge", "--config", GAUGE]);
    assert_eq!(w["version"], 1);
    assert_eq!(w["active"], true);
    assert!(w["created_by"].is_i64(), "created by the signed-in admin");

    let w = env.json(&[
        "widget",
        "edit",
        "north",
        "pressure",
        "--config",
        r#"{"point":"north.pressure-1","min":0,"max":16,"unit":"bar"}"#,
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
        (vec!["widget", "add", "north", "pressure", "--kind", "gauge", "--config", GAUGE], "duplicate_name"),
        (vec!["widget", "add", "south", "p", "--kind", "gauge", "--config", GAUGE], "not_found"),
        (vec!["widget", "add", "north", "p", "--kind", "gauge", "--config", "{broken"], "invalid_metadata"),
        (vec!["widget", "add", "north", "p", "--kind", "gauge", "--config", r#"{"token":"abc"}"#], "invalid_metadata"),
        (vec!["widget", "add", "north", "p", "--kind", "bad kind"], "invalid_input"),
        (vec!["widget", "add", "north", "p", "--kind", "pie"], "invalid_input"),
        (vec!["widget", "add", "north", "p", "--kind", "embed"], "invalid_url"),
        (vec!["widget", "edit", "north", "nope", "--active", "true"], "not_found"),
        (
            vec!["widget", "edit", "north", "pressure", "--config", r#"{"point":"n.p","min":0}"#],
            "invalid_widget_config",
        ),
        (vec!["widget", "restore", "north", "pressure", "7"], "not_found"),
        (vec!["widget", "restore", "north", "pressure", "2"], "invalid_input"),
    ] {
        let r = env.run(&args);
        assert_eq!(r.code, 1, "{args:?}");
        assert!(r.stderr.starts_with(&format!("error[{code}]")), "{args:?}: {}", r.stderr);
        assert_eq!(r.stderr.lines().count(), 1, "one line: {}", r.stderr);
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

#[test]
fn a_config_that_breaks_its_schema_is_refused_with_the_field_and_what_to_do() {
    let env = Env::new();
    env.ok(&["connection", "add", "north", "--url", "http://127.0.0.1:9"]);
    for (kind, config, field, says) in [
        ("gauge", r#"{"point":"north.p","min":0}"#, "config.max", "a gauge needs 'max' (Scale maximum)"),
        ("gauge", r#"{"point":"north.p","min":0,"max":"16"}"#, "config.max", "'max' must be a number"),
        ("gauge", r#"{"point":"north.p","min":9,"max":1}"#, "config.max", "'max' (1) must be above 'min' (9)"),
        ("value", r#"{"point":"north.p","mx":1}"#, "config.mx", "'mx' is not a setting of a value tile"),
        ("trend", r#"{"point":"north.p","window":"a while"}"#, "config.window", "e.g. 10m, 2h, 1d"),
        ("lamp", r#"{"point":"north.p"}"#, "config.low", "needs its normal range"),
    ] {
        let r = env.run(&["widget", "add", "north", "w", "--kind", kind, "--config", config]);
        assert_eq!(r.code, 1, "{kind} {config}");
        let head = format!("error[invalid_widget_config]: {field}: ");
        assert!(r.stderr.starts_with(&head), "{kind} {config}: {}", r.stderr);
        assert!(r.stderr.contains(says), "{kind} {config}: {}", r.stderr);
    }
    // Every kind's settings are listed, and each schema is a JSON Schema document.
    let kinds = env.json(&["widget", "kinds"]);
    let names: Vec<&str> = kinds.as_array().unwrap().iter().map(|k| k["kind"].as_str().unwrap()).collect();
    assert_eq!(names, ["value", "gauge", "trend", "lamp", "embed"]);
    let r = env.run(&["widget", "kinds", "--schema", "gauge"]);
    let schema: serde_json::Value = serde_json::from_str(&r.stdout).expect("the schema is JSON");
    assert_eq!(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
    assert_eq!(schema["required"], serde_json::json!(["point", "min", "max"]));
    assert!(list(&env, &["widget", "list"]).is_empty(), "nothing refused was saved");
}

#[test]
fn history_diff_restore_and_duplicate_keep_every_version() {
    let env = Env::new();
    env.ok(&["connection", "add", "north", "--url", "http://127.0.0.1:9"]);
    env.ok(&["connection", "add", "south", "--url", "http://127.0.0.1:9"]);
    env.ok(&["widget", "add", "north", "pressure", "--kind", "gauge", "--config", GAUGE]);
    let v2 = r#"{"point":"north.pressure-1","min":0,"max":16,"unit":"bar","low":2}"#;
    env.ok(&["widget", "edit", "north", "pressure", "--config", v2]);
    env.ok(&["widget", "edit", "north", "pressure", "--active", "false"]);

    let h = list(&env, &["widget", "history", "north", "pressure"]);
    let versions: Vec<(i64, &str, Option<i64>)> = h
        .iter()
        .map(|v| (v["version"].as_i64().unwrap(), v["change"].as_str().unwrap(), v["base_version"].as_i64()))
        .collect();
    assert_eq!(versions, [(3, "edit", Some(2)), (2, "edit", Some(1)), (1, "create", None)]);
    assert_eq!(h[0]["edited_by"], zc_e2e::ADMIN);

    let d = env.json(&["widget", "diff", "north", "pressure", "1"]);
    let changes: Vec<(String, String, String)> = d["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let s = |k: &str| c[k].as_str().unwrap_or("-").to_owned();
            (s("field"), s("before"), s("after"))
        })
        .collect();
    assert_eq!(
        changes,
        [
            ("active".into(), "true".into(), "false".into()),
            ("config.low".into(), "-".into(), "2".into()),
            ("config.max".into(), "10".into(), "16".into()),
        ]
    );
    // The table says the same to a person.
    let table = env.run(&["--format", "table", "widget", "diff", "north", "pressure", "1", "2"]).stdout;
    assert!(table.contains("config.max") && !table.contains("active"), "{table}");

    // A restore is a new version with the old content; nothing is rewritten.
    let w = env.json(&["widget", "restore", "north", "pressure", "1"]);
    assert_eq!(w["version"], 4);
    assert_eq!(w["active"], true);
    assert_eq!(serde_json::from_str::<serde_json::Value>(w["config"].as_str().unwrap()).unwrap()["max"], 10);
    let h = list(&env, &["widget", "history", "north", "pressure"]);
    assert_eq!(h.len(), 4);
    assert_eq!(
        (h[0]["change"].as_str(), h[0]["source"].as_str(), h[0]["base_version"].as_i64()),
        (Some("restore"), Some("1"), Some(3))
    );
    assert!(env.json(&["widget", "diff", "north", "pressure", "1", "4"])["changes"].as_array().unwrap().is_empty());

    // A duplicate starts its own history; the original keeps its own.
    let copy = env.json(&["widget", "duplicate", "north", "pressure", "pressure-b", "--to", "south"]);
    assert_eq!(copy["version"], 1);
    let h = list(&env, &["widget", "history", "south", "pressure-b"]);
    assert_eq!(
        (h.len(), h[0]["change"].as_str(), h[0]["source"].as_str()),
        (1, Some("duplicate"), Some("north/pressure"))
    );
    let r = env.run(&["widget", "duplicate", "north", "pressure", "pressure-b", "--to", "south"]);
    assert!(r.stderr.starts_with("error[duplicate_name]"), "{}", r.stderr);

    let log = env.json(&["log"]);
    let meta =
        |e: &serde_json::Value| -> serde_json::Value { serde_json::from_str(e["metadata"].as_str().unwrap()).unwrap() };
    let entry = |action: &str| meta(log.as_array().unwrap().iter().find(|e| e["action"] == action).unwrap());
    assert_eq!(entry("widget.restore")["restored"], 1);
    assert_eq!(entry("widget.duplicate")["copied_from"], "north/pressure");
    let edits: Vec<_> = log.as_array().unwrap().iter().filter(|e| e["action"] == "widget.edit").map(meta).collect();
    assert_eq!(edits[0]["changed"], serde_json::json!(["config.low", "config.max"]));

    // Removing the widget removes its history with it, and says so in the log.
    env.ok(&["widget", "rm", "north", "pressure"]);
    let c = rusqlite::Connection::open(env.db()).unwrap();
    let left: i64 = c.query_row("SELECT COUNT(*) FROM widget_versions", [], |r| r.get(0)).unwrap();
    assert_eq!(left, 1, "only the copy's version is left");
}
