//! Acceptance 2 and 7 through the real `zc monitor` process.

use rand::Rng;
use std::time::Duration;
use zc_e2e::{Env, stop, wait_for_line};
use zc_sim::{Simulator, StationScript};

/// Stopping a station turns it offline after exactly its confirmation count of failed probes;
/// restarting brings it back; every request has its raw metrics row.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopped_station_goes_offline_after_confirmation_and_comes_back() {
    let key = format!("k-{:x}", rand::random::<u64>());
    let sim = Simulator::start(vec![StationScript::new("plant", &key)]).await.unwrap();
    let st = &sim.stations[0];
    let env = Env::new();
    env.add_station("plant", &st.url(), &key, "100ms", "3");

    let (child, mut out) = env.spawn_monitor(&[]);
    let mut t = Vec::new();
    wait_for_line(&mut out, "plant  unknown -> online", &mut t);
    st.stop().await;
    let line = wait_for_line(&mut out, "plant  online -> offline", &mut t);
    assert!(
        line.contains("connection refused") || line.contains("Connection refused") || line.contains("error"),
        "{line}"
    );
    st.restart().await.unwrap();
    wait_for_line(&mut out, "plant  offline -> online", &mut t);
    drop(out);
    let (code, _) = stop(child);
    assert_eq!(code, 0, "SIGTERM is a clean stop");

    let h = env.json(&["history", "plant", "--since", "1h"]);
    let tr = h["transitions"].as_array().unwrap();
    let offline = tr.iter().find(|t| t["to_status"] == "offline").expect("offline transition in history");
    assert_eq!(offline["error_category"], "connection_refused");
    let offline_at = offline["at"].as_i64().unwrap();
    assert!(tr.iter().any(|t| t["from_status"] == "offline" && t["to_status"] == "online"));
    assert!(h["downtime_ms"].as_i64().unwrap() > 0);

    let m = env.json(&["metrics", "plant", "--since", "1h"]);
    let m = m.as_array().unwrap();
    let refused: Vec<_> = m.iter().filter(|r| r["outcome"] == "connection_refused").collect();
    let before_offline = refused.iter().filter(|r| r["at_ms"].as_i64().unwrap() <= offline_at).count();
    assert_eq!(before_offline, 3, "declared offline on exactly the third failed probe");
    // Every request that reached the station has its row (the station counts them itself).
    let answered = m.iter().filter(|r| !r["http_status"].is_null()).count() as u64;
    assert_eq!(answered, st.requests());
}

fn integrity(db: &std::path::Path) -> String {
    let c = rusqlite::Connection::open(db).unwrap();
    c.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap()
}

fn metrics_rows(db: &std::path::Path) -> i64 {
    let c = rusqlite::Connection::open(db).unwrap();
    c.query_row("SELECT COUNT(*) FROM request_metrics", [], |r| r.get(0)).unwrap()
}

/// SIGKILL at random moments (while probes, batch writes and transitions are in flight) never
/// corrupts the database, and each restart carries on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_never_corrupts_and_a_restart_carries_on() {
    let scripts: Vec<_> = (0..20).map(|i| StationScript::new(&format!("s{i}"), "k")).collect();
    let sim = Simulator::start(scripts).await.unwrap();
    let env = Env::new();
    for (i, st) in sim.stations.iter().enumerate() {
        env.ok(&[
            "connection",
            "add",
            &format!("c{i}"),
            "--url",
            &format!("{}/nothing", st.url()),
            "--expect-status",
            "404",
            "--interval",
            "100ms",
        ]);
    }
    let mut rng = rand::rng();
    let mut last = 0;
    for round in 0..8 {
        // Half the stations flap so transitions are written too.
        for st in sim.stations.iter().step_by(2) {
            if round % 2 == 0 { st.stop().await } else { st.restart().await.unwrap() }
        }
        let (mut child, mut out) = env.spawn_monitor(&[]);
        let mut t = Vec::new();
        wait_for_line(&mut out, "monitoring", &mut t);
        // The moment is random; the test's correctness does not depend on it.
        std::thread::sleep(Duration::from_millis(rng.random_range(50..2500)));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let mut err = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
        // Every start after a kill says so, in one line, with what may be missing.
        assert_eq!(err.contains("did not stop cleanly"), round > 0, "round {round}: {err}");
        assert_eq!(integrity(&env.db()), "ok", "round {round}");
        let n = metrics_rows(&env.db());
        assert!(n >= last, "round {round}: rows went from {last} to {n}");
        last = n;
        let status = env.json(&["status"]);
        assert_eq!(
            status["connections"].as_array().unwrap().len(),
            20,
            "round {round}: the restart reads every connection"
        );
        assert_eq!(status["monitor"]["state"], "interrupted", "round {round}: a killed monitor's end is not recorded");
    }
    assert!(last > 0, "metrics were written across the restarts");
    let v = env.json(&["log", "verify"]);
    assert_eq!(v["first_bad_seq"], serde_json::Value::Null);
    let log = env.json(&["log", "--since", "1h"]);
    let noted = log.as_array().unwrap().iter().filter(|e| e["action"] == "monitor.interrupted").count();
    assert_eq!(noted, 7, "each restart recorded the killed run before it");
}
