//! A person's settings through `zc`: notification choices and theme, checked and recorded; every
//! time in a table in their own zone (DST-correct), `--tz` overriding it; JSON keeps UTC ms.

use zc_e2e::{Env, snapshot};

#[test]
fn notification_choices_are_checked_kept_apart_and_recorded() {
    let env = Env::new();
    let s = env.json(&["settings"]);
    assert_eq!(s["notifications"], serde_json::json!({"desktop": true, "min_priority": "medium", "quiet_hours": null}));
    assert_eq!(s["theme"], "dark");
    assert_eq!(s["languages"], serde_json::json!(["en", "de"]));
    assert!(s["device"]["hostname"].is_string());

    let s = env.json(&["settings", "notify", "--quiet", "22:00-06:00", "--min-priority", "high"]);
    assert_eq!(s["notifications"]["quiet_hours"], serde_json::json!({"from": "22:00", "to": "06:00"}));
    assert_eq!(s["notifications"]["min_priority"], "high");
    let s = env.json(&["settings", "theme", "light"]);
    assert_eq!(s["theme"], "light");

    let before = snapshot(&env.db());
    for (args, says) in [
        (vec!["settings", "notify", "--quiet", "25:00-06:00"], "not a time of day"),
        (vec!["settings", "notify", "--quiet", "22:00"], "22:00-06:00"),
        (vec!["settings", "notify", "--min-priority", "urgent"], "high, medium or low"),
        (vec!["settings", "theme", "purple"], "dark or light"),
    ] {
        let r = env.run(&args);
        assert_eq!(r.code, 1, "{args:?}");
        assert!(r.stderr.starts_with("error[invalid_input]") && r.stderr.contains(says), "{args:?}: {}", r.stderr);
    }
    assert_eq!(snapshot(&env.db()), before, "a refused setting changed something");

    // Kept in their own table, not among the profile or the console's settings.
    let c = rusqlite::Connection::open(env.db()).unwrap();
    let (from, prio): (String, String) = c
        .query_row("SELECT quiet_from, min_priority FROM notification_settings", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    assert_eq!((from.as_str(), prio.as_str()), ("22:00", "high"));
    let log = env.json(&["log", "--since", "1h"]);
    let actions: Vec<&str> = log.as_array().unwrap().iter().filter_map(|e| e["action"].as_str()).collect();
    assert!(actions.contains(&"settings.notifications") && actions.contains(&"settings.theme"), "{actions:?}");
}

#[test]
fn times_are_shown_in_the_persons_zone_and_tz_overrides() {
    let env = Env::new();
    env.ok(&["connection", "add", "c1", "--url", "http://127.0.0.1:9", "--kind", "http"]);
    // One window in winter, one in summer: Berlin is +01:00, then +02:00.
    for start in ["2099-12-24T06:00:00Z", "2099-07-01T06:00:00Z"] {
        env.ok(&["window", "open", "c1", "--for", "1h", "--reason", "planned", "--start", start]);
    }
    env.ok(&["user", "profile", "--timezone", "Europe/Berlin"]);
    let table = env.ok(&["window", "list"]);
    assert!(table.contains("2099-12-24T07:00:00+01:00"), "{table}");
    assert!(table.contains("2099-07-01T08:00:00+02:00"), "{table}");
    let table = env.ok(&["window", "list", "--tz", "America/New_York"]);
    assert!(table.contains("2099-12-24T01:00:00-05:00"), "{table}");
    assert!(table.contains("2099-07-01T02:00:00-04:00"), "{table}");
    // Scripts get UTC milliseconds whatever the zone.
    let json = env.json(&["window", "list"]);
    assert_eq!(json[0]["starts_at"], 4_086_568_800_000i64);
    let r = env.run(&["window", "list", "--tz", "Mars/Olympus"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.starts_with("error[invalid_input]") && r.stderr.contains("IANA"), "{}", r.stderr);
    assert_eq!(env.json(&["settings"])["timezone"], "Europe/Berlin");
}
