//! Acceptance 1: the demo (what `cargo xtask run` starts) brings up three simulated stations,
//! monitors them live, and leaves their history behind for `zc history`.

use zc_e2e::Env;

#[test]
fn demo_shows_three_stations_and_their_live_status() {
    let env = Env::new();
    // Not a terminal, so the demo prints each status change as a line instead of redrawing.
    let r = env.run(&["demo", "--for", "3s"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for station in ["demo-north", "demo-east", "demo-west"] {
        assert!(r.stdout.contains(&format!("{station}  unknown -> online")), "{station} came online:\n{}", r.stdout);
        assert!(r.stdout.contains(&format!("{station}: 0 outage(s)")), "{station} summarised:\n{}", r.stdout);
    }
    let status = env.json(&["status"]);
    assert_eq!(status["connections"].as_array().unwrap().len(), 3);
    assert_eq!(status["monitor"]["state"], "stopped");
    assert_eq!(status["monitor"]["run"]["loss"], serde_json::Value::Null, "the demo lost nothing");
    let h = env.json(&["history", "demo-west", "--since", "1h"]);
    let t = h["transitions"].as_array().unwrap();
    assert_eq!(t.first().unwrap()["to_status"], "online");
    assert_eq!(t.last().unwrap()["error_detail"], "monitoring stopped", "a clean stop leaves the stations unknown");
    let m = env.json(&["metrics", "demo-north", "--since", "1h"]);
    assert!(m.as_array().unwrap().len() >= 2, "raw metrics for every probe");

    // A second run reuses the connections (new ports, fresh key) instead of failing on names.
    let r = env.run(&["demo", "--for", "2s"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(env.json(&["status"])["connections"].as_array().unwrap().len(), 3);
}
