//! `zc points`: the station's values are kept with their quality and freshness, and their history
//! is recorded, through the real `zc monitor`.

use zc_e2e::{Env, stop, wait_for_line};
use zc_sim::{Simulator, StationScript};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn point_values_are_kept_with_quality_and_history() {
    let key = format!("k-{:x}", rand::random::<u64>());
    let mut script = StationScript::new("plant", &key);
    script.points = 4;
    let sim = Simulator::start(vec![script]).await.unwrap();
    let st = &sim.stations[0];
    let env = Env::new();
    env.add_station("plant", &st.url(), &key, "100ms", "1");
    let (child, mut out) = env.spawn_monitor(&[]);
    let mut t = Vec::new();
    wait_for_line(&mut out, "plant  unknown -> online", &mut t);
    // Five answers after the first: each has been probed, queued and written by the stop.
    st.wait_requests(6).await;
    drop(out);
    let (code, _) = stop(child);
    assert_eq!(code, 0);

    let r = env.json(&["points", "plant"]);
    let values = r["values"].as_array().unwrap();
    let ids: Vec<&str> = values.iter().map(|v| v["point"].as_str().unwrap()).collect();
    assert_eq!(ids, ["plant.flow-1", "plant.level-1", "plant.pressure-1", "plant.temperature-1"]);
    for v in values {
        assert!(v["value"].is_f64(), "{v}");
        assert!(["good", "uncertain"].contains(&v["quality"].as_str().unwrap()), "{v}");
        assert!(["fresh", "stale", "unknown"].contains(&v["freshness"].as_str().unwrap()), "{v}");
        assert!(v["source_at"].is_i64(), "the station's timestamp is kept: {v}");
        assert!(v["fresh_until"].as_i64() > v["received_at"].as_i64());
    }
    let unit = |id: &str| values.iter().find(|v| v["point"] == id).unwrap()["unit"].as_str().unwrap().to_owned();
    assert_eq!(unit("plant.pressure-1"), "bar");

    // History: the first value of every point at least, as CSV with one header.
    let csv = env.ok(&["points", "plant", "--since", "1h", "--format", "csv"]);
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("point,at,value,quality,station_time"));
    let rows: Vec<&str> = lines.collect();
    for id in ids {
        assert!(rows.iter().any(|l| l.starts_with(&format!("{id},"))), "no history for {id}: {csv}");
    }
    let one = env.json(&["points", "plant", "--point", "plant.level-1", "--since", "1h"]);
    assert!(one.as_array().unwrap().iter().all(|h| h["point"] == "plant.level-1"));

    // Bad input: a clear error naming what to do.
    let r = env.run(&["points", "plant", "--point", "nope"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.starts_with("error[not_found]: 'plant' has no point 'nope'"), "{}", r.stderr);
    let r = env.run(&["points", "plant", "--until", "1h"]);
    assert!(r.stderr.contains("--until needs --since"), "{}", r.stderr);

    // A point's recording rule: set, shown, audited; bad values refused with a reason.
    let set = env.json(&["points", "plant", "--point", "plant.level-1", "--deadband", "0.5", "--heartbeat", "5m"]);
    assert_eq!((set["deadband"].as_f64(), set["heartbeat_ms"].as_i64()), (Some(0.5), Some(300_000)));
    let c = rusqlite::Connection::open(env.db()).unwrap();
    let stored: (f64, i64) = c
        .query_row("SELECT deadband, heartbeat_ms FROM data_points WHERE point_key = 'plant.level-1'", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!(stored, (0.5, 300_000));
    let back = env.json(&["points", "plant", "--point", "plant.level-1", "--deadband", "default"]);
    assert!(back["deadband"].is_null() && back["heartbeat_ms"] == 300_000, "{back}");
    let log = env.json(&["log", "--since", "1h"]);
    assert_eq!(log.as_array().unwrap().iter().filter(|e| e["action"] == "point.rule").count(), 2);
    for (flag, value, says) in [
        ("--deadband", "-1", "0 or more"),
        ("--deadband", "wide", "not a number"),
        ("--heartbeat", "0s", "between 1s and 1d"),
    ] {
        let r = env.run(&["points", "plant", "--point", "plant.level-1", flag, value]);
        assert_eq!(r.code, 1);
        assert!(r.stderr.starts_with("error[invalid_input]") && r.stderr.contains(says), "{}", r.stderr);
    }
    let r = env.run(&["points", "plant", "--point", "plant.nothing", "--deadband", "1"]);
    assert!(r.stderr.starts_with("error[not_found]"), "{}", r.stderr);
}
