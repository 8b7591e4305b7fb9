//! Configuration as code: a site of 1,000 stations goes in with one `zc config import` and comes
//! back out of `zc config export` the same; a document with any problem writes nothing and names
//! each place; a dry run writes nothing; keys never leave the keyring.

use zc_e2e::{Env, snapshot};

const STATIONS: usize = 1_000;

/// A site as an engineer would write it: every tenth station behind a gateway, two widgets each,
/// planned maintenance on a few, one retention policy.
fn site_yaml(broken: &[(usize, &str, &str)]) -> String {
    let mut s = String::from("version: 1\nconnections:\n");
    for g in 0..STATIONS / 10 {
        s += &format!(
            "  - name: gw-{g:03}\n    url: http://10.1.{}.1/health\n    kind: http\n    interval: 5s\n",
            g / 250
        );
    }
    for i in 0..STATIONS - STATIONS / 10 {
        let mut entry = format!(
            "  - name: st-{i:04}\n    url: http://10.2.{}.{}:8080\n    interval: 2s\n    confirm: 2\n    metadata: {{site: plant-{}, line: {}}}\n    depends_on: gw-{:03}\n    widgets:\n      - name: pressure\n        kind: gauge\n        config: {{point: st-{i:04}.pressure-1, unit: bar, min: 0, max: 8, low: 3, high: 5}}\n      - name: flow\n        kind: lamp\n        active: false\n        config: {{point: st-{i:04}.flow-1, low: 100}}\n",
            i / 250,
            i % 250,
            i % 3,
            i % 7,
            i / 10,
        );
        if i % 100 == 0 {
            entry += "    maintenance:\n      - {starts: \"2099-01-01T06:00:00Z\", ends: \"2099-01-01T08:00:00Z\", reason: valve replacement}\n";
        }
        for (at, from, to) in broken {
            if *at == i {
                entry = entry.replace(from, to);
            }
        }
        s += &entry;
    }
    s += "retention:\n  request_metrics: 60d\n";
    s
}

fn write(env: &Env, name: &str, text: &str) -> String {
    let p = env.data_dir().parent().unwrap().join(name);
    std::fs::write(&p, text).unwrap();
    p.to_string_lossy().into_owned()
}

#[test]
fn a_thousand_stations_go_in_with_one_import_and_come_back_out_the_same() {
    let env = Env::new();
    let doc = write(&env, "site.yaml", &site_yaml(&[]));
    env.ok(&["status"]);

    // A dry run shows the whole plan and writes nothing.
    let before = snapshot(&env.db());
    let plan = env.json(&["config", "import", &doc, "--dry-run"]);
    assert_eq!(snapshot(&env.db()), before, "a dry run wrote something");
    let windows = (STATIONS - STATIONS / 10).div_ceil(100);
    let widgets = 2 * (STATIONS - STATIONS / 10);
    assert_eq!(plan["created"], STATIONS + widgets + windows, "{}", plan["changes"][0]);
    assert_eq!(plan["updated"], 1, "the retention policy");
    assert_eq!(plan["applied"], false);
    assert_eq!(plan["needs_key"].as_array().unwrap().len(), STATIONS - STATIONS / 10);

    // The import itself: one command.
    let plan = env.json(&["config", "import", &doc]);
    assert_eq!(plan["applied"], true);
    let list = env.json(&["connection", "list"]);
    assert_eq!(list.as_array().unwrap().len(), STATIONS);
    let st = env.json(&["connection", "show", "st-0123"]);
    assert_eq!(st["interval_ms"], 2000, "{st}");
    assert_eq!(st["confirm"], 2);
    let w = env.json(&["widget", "show", "st-0123", "flow"]);
    assert_eq!(w["active"], false);
    assert_eq!(w["version"], 1);
    let windows_listed = env.json(&["window", "list"]);
    assert_eq!(windows_listed.as_array().unwrap().len(), windows);
    let retention = env.json(&["retention"]);
    assert!(retention.to_string().contains("5184000000"), "60d: {retention}");
    // Each change is in the activity log as if made by hand, and the import as a whole too.
    let log = env.json(&["log", "--since", "1h", "--limit", "100000"]);
    let n = |action: &str| log.as_array().unwrap().iter().filter(|e| e["action"] == action).count();
    assert_eq!(n("connection.add"), STATIONS);
    assert_eq!(n("widget.add"), widgets);
    assert_eq!(n("config.import"), 1);
    assert!(env.ok(&["log", "verify"]).contains("ok"));

    // A key set for one station stays in the keyring: the export never holds it.
    let key = "site-export-key-7f3a9c1d2e";
    let r = env.run_with(&["key", "set", "st-0007"], format!("{key}\n").as_bytes(), &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);

    let out = env.data_dir().parent().unwrap().join("exported.json");
    env.ok(&["config", "export", out.to_str().unwrap()]);
    let exported = std::fs::read_to_string(&out).unwrap();
    assert!(!exported.contains(key), "the key is in the export");
    let e: serde_json::Value = serde_json::from_str(&exported).unwrap();
    assert_eq!(e["connections"].as_array().unwrap().len(), STATIONS);
    let st = e["connections"].as_array().unwrap().iter().find(|c| c["name"] == "st-0123").unwrap();
    assert_eq!(st["depends_on"], "gw-012");
    assert_eq!(st["metadata"], serde_json::json!({"site": "plant-0", "line": 4}));
    let gauge = st["widgets"].as_array().unwrap().iter().find(|w| w["name"] == "pressure").unwrap();
    assert_eq!(gauge["config"]["max"], 8);

    // The export imported on another console gives that console the same site: its own export
    // is the same document.
    let other = Env::new();
    let plan = other.json(&["config", "import", out.to_str().unwrap()]);
    assert_eq!(plan["applied"], true);
    let again = other.data_dir().parent().unwrap().join("again.json");
    other.ok(&["config", "export", again.to_str().unwrap()]);
    assert_eq!(std::fs::read_to_string(&again).unwrap(), exported, "export → import → export changed the document");

    // Importing what a console already has changes nothing and writes nothing.
    let before = snapshot(&env.db());
    let plan = env.json(&["config", "import", out.to_str().unwrap()]);
    assert_eq!(plan["applied"], false);
    assert_eq!(plan["created"], 0);
    assert_eq!(plan["updated"], 0);
    assert_eq!(snapshot(&env.db()), before);

    // YAML out reads back as the same site.
    let yaml = env.data_dir().parent().unwrap().join("site-out.yaml");
    env.ok(&["config", "export", yaml.to_str().unwrap()]);
    let plan = env.json(&["config", "import", yaml.to_str().unwrap(), "--dry-run"]);
    assert_eq!(plan["created"], 0);
    assert_eq!(plan["updated"], 0);
}

#[test]
fn a_document_with_any_problem_writes_nothing_and_names_each_place() {
    let env = Env::new();
    env.ok(&["connection", "add", "st-0001", "--url", "http://10.2.0.1:8080", "--kind", "http"]);
    let before = snapshot(&env.db());
    let refused = |name: &str, text: &str, expect: &[&str]| {
        let doc = write(&env, name, text);
        let r = env.run(&["config", "import", &doc]);
        assert_eq!(r.code, 1, "{name}: {}", r.stdout);
        assert!(r.stderr.starts_with("error[invalid_document]"), "{name}: {}", r.stderr);
        assert!(r.stderr.contains("nothing was written"), "{name}: {}", r.stderr);
        for e in expect {
            assert!(r.stderr.contains(e), "{name}: no {e} in {}", r.stderr);
        }
        assert_eq!(snapshot(&env.db()), before, "{name}: something was written");
    };
    // Two problems deep in the document: both named, nothing of the other 998 written.
    refused(
        "two.yaml",
        &site_yaml(&[(700, "max: 8", "max: eight"), (850, "interval: 2s", "interval: often")]),
        &["connections[800].widgets[0].config.max: 'max' must be a number", "connections[950].interval"],
    );
    // A misspelt setting is not silently ignored.
    refused("typo.yaml", &site_yaml(&[(3, "confirm: 2", "confrim: 2")]), &["connections[103]", "confrim"]);
    // A connection this console has as http cannot become a station by import.
    refused("kind.yaml", &site_yaml(&[]), &["connections[101].kind", "a kind cannot change"]);
    // A gateway nobody has.
    refused(
        "gateway.yaml",
        "version: 1\nconnections:\n  - {name: a, url: 'http://10.0.0.1', kind: http, depends_on: nowhere}\n",
        &["connections[0].depends_on", "'nowhere'"],
    );
    refused("syntax.json", "{\"version\": 1, \"connections\": [}", &[]);
    refused("retention.yaml", "version: 1\nretention:\n  everything: 1d\n", &["retention.everything"]);
}
