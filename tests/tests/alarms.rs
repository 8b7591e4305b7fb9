//! Alarms through the real `zc`: a station stops answering under `zc monitor`, its alarm is
//! raised; `zc alarms` and the application API (what the console calls) show the same alarms in
//! the same states; acknowledge, shelve and maintenance windows work with no network at all
//! (they touch only the local database) and are audited.

use std::sync::Arc;
use zc_app::App;
use zc_app::zc_domain::SystemClock;
use zc_app::zc_store::AlarmFilter;
use zc_e2e::{Env, stop, wait_for_line};
use zc_sim::{Simulator, StationScript};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_station_raises_one_alarm_the_cli_and_the_app_agree_and_operator_actions_are_audited() {
    let key = format!("k-{:x}", rand::random::<u64>());
    let mut script = StationScript::new("north", &key);
    script.points = 2;
    let sim = Simulator::start(vec![script]).await.unwrap();
    let st = &sim.stations[0];
    let env = Env::new();
    env.add_station("north", &st.url(), &key, "100ms", "2");
    let (child, mut out) = env.spawn_monitor(&[]);
    let mut t = Vec::new();
    wait_for_line(&mut out, "north  unknown -> online", &mut t);
    st.stop().await;
    wait_for_line(&mut out, "north  online -> offline", &mut t);
    drop(out);
    assert_eq!(stop(child).0, 0);

    // One alarm for the lost station; its points are stale, not alarmed one by one.
    let cli = env.json(&["alarms"]);
    let alarms = cli["alarms"].as_array().unwrap();
    assert_eq!(alarms.len(), 1, "{cli}");
    let a = &alarms[0];
    assert_eq!(
        (a["kind"].as_str(), a["state"].as_str(), a["priority"].as_str()),
        (Some("offline"), Some("unacknowledged"), Some("high"))
    );
    assert!(a["message"].as_str().unwrap().starts_with("north: offline"), "{a}");
    assert_eq!(cli["counts"]["unacknowledged_high"], 1);

    // The application API gives the same answer for the same data.
    let app = App::open(&env.data_dir(), Arc::new(SystemClock)).await.unwrap();
    let password = zc_app::zc_domain::Sensitive::new(zc_e2e::ADMIN_PASSWORD.to_owned());
    app.sign_in(zc_e2e::ADMIN, &password, zc_app::Client::Cli).await.unwrap();
    let view = app.alarms(&AlarmFilter::default()).await.unwrap();
    assert_eq!(serde_json::to_value(&view.alarms).unwrap(), cli["alarms"]);
    assert_eq!(serde_json::to_value(&view.counts).unwrap(), cli["counts"]);
    app.close().await;

    // Acknowledge (no network needed: a local write), with who and when.
    let id = a["id"].as_i64().unwrap().to_string();
    let r = env.json(&["alarms", "ack", &id, "--comment", "crew called"]);
    assert_eq!(r["acknowledged"][0].as_i64(), a["id"].as_i64());
    let after = env.json(&["alarms"]);
    let a2 = &after["alarms"][0];
    assert_eq!(a2["state"], "acknowledged");
    assert_eq!(a2["acked_by"], "user:admin", "an acknowledgement names the person signed in");
    assert!(a2["acked_at"].is_i64());
    // Acknowledging again says there was nothing to do, and changes nothing.
    let again = env.json(&["alarms", "ack", &id]);
    assert_eq!(again["skipped"][0].as_i64(), a["id"].as_i64());

    // Shelving needs a reason and a bounded time; a good one hides it.
    let r = env.run(&["alarms", "shelve", &id, "--for", "2d", "--reason", "x"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("1 minute to 24 hours"), "{}", r.stderr);
    let r = env.run(&["alarms", "shelve", &id, "--for", "1h", "--reason", " "]);
    assert!(r.stderr.contains("needs a reason"), "{}", r.stderr);
    env.ok(&["alarms", "shelve", &id, "--for", "1h", "--reason", "known fault"]);
    assert_eq!(env.json(&["alarms"])["alarms"].as_array().unwrap().len(), 0);
    let shelved = env.json(&["alarms", "--state", "shelved"]);
    assert_eq!(shelved["alarms"][0]["shelve_reason"], "known fault");
    env.ok(&["alarms", "unshelve", &id]);
    assert_eq!(env.json(&["alarms"])["alarms"][0]["state"], "acknowledged");

    // A maintenance window: opened and ended from the CLI, audited.
    let w = env.json(&["window", "open", "north", "--for", "2h", "--reason", "pump swap"]);
    assert_eq!(env.json(&["window", "list"]).as_array().unwrap().len(), 1);
    env.ok(&["window", "end", &w["id"].as_i64().unwrap().to_string()]);
    let r = env.run(&["window", "open", "north", "--for", "2h", "--reason", ""]);
    assert!(r.stderr.contains("needs a reason"), "{}", r.stderr);

    // Every transition is in the history, as CSV for export.
    let csv = env.ok(&["alarms", "history", "--format", "csv"]);
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("at,alarm,source,kind,action,from,to,priority,message,actor,reason"));
    let actions: Vec<&str> = lines.map(|l| l.split(',').nth(4).unwrap()).collect();
    assert_eq!(actions, ["raised", "acknowledged", "shelved", "unshelved", "suppressed", "released"], "{csv}");
    let log = env.ok(&["log"]);
    for action in ["alarm.ack", "alarm.shelve", "alarm.unshelve", "maintenance.open", "maintenance.end"] {
        assert!(log.contains(action), "{action} is not in the activity log");
    }
    assert_eq!(env.run(&["log", "verify"]).code, 0);
}
