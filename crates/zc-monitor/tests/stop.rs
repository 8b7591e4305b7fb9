//! Stopping and reloading never lose what was measured: a probe in flight at the stop is
//! recorded, a removed connection's queued rows do not block anyone else's, and an edit waits
//! for the old schedule's probe. Real stations, real SQLite files; each test acts at the moment
//! a station has counted a request (an event), never after a sleep.

use std::sync::Arc;
use std::time::Duration;
use zc_domain::{ConnectionKind, ConnectionPatch, ConnectionSpec, SystemClock};
use zc_monitor::{ManualNetwork, Monitor, MonitorConfig, Prober, ProberConfig, RunReport};
use zc_sim::{Latency, Simulator, StationScript};
use zc_store::{Audit, Store};

fn audit() -> Audit {
    Audit { actor: "test".into(), device_id: None }
}

async fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), Arc::new(SystemClock)).await.unwrap();
    (dir, store)
}

/// An http connection to a path the station answers with 404 (no key needed).
async fn add(store: &Store, name: &str, url: &str, interval_ms: i64) -> i64 {
    let mut spec = ConnectionSpec::new(name, &format!("{url}/not-there"), ConnectionKind::Http);
    spec.expect_status = 404;
    spec.interval_ms = interval_ms;
    spec.timeout_ms = 5_000;
    store.add_connection(&spec.validate().unwrap(), &audit()).await.unwrap().id
}

async fn monitor(store: &Store) -> Arc<Monitor> {
    let config = MonitorConfig { reload_every: Duration::from_millis(100), ..MonitorConfig::default() };
    let network = Arc::new(ManualNetwork::new(true));
    Monitor::new(store.clone(), Prober::new(ProberConfig::default()), network, None, config, audit()).await.unwrap()
}

async fn rows(store: &Store, id: i64) -> u64 {
    store.metrics(id, 0, i64::MAX, 1_000_000).await.unwrap().len() as u64
}

fn assert_nothing_lost(r: &RunReport) {
    assert!(r.loss.is_none() && r.close_error.is_none(), "{:?} {:?}", r.loss, r.close_error);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_while_a_probe_is_in_flight_records_that_probe() {
    let sim = Simulator::start(vec![StationScript::new("slow", "k")]).await.unwrap();
    let st = sim.stations[0].clone();
    // Each answer takes 300 ms: whenever the stop comes, the station has a request in hand.
    st.set_latency(Latency::Fixed { ms: 300.0 });
    let (_dir, store) = store().await;
    let id = add(&store, "slow", &st.url(), 100).await;
    let m = monitor(&store).await;
    let stop = {
        let st = st.clone();
        async move { st.wait_requests(4).await }
    };
    let report = m.clone().run(stop).await.unwrap();
    assert_nothing_lost(&report);
    // The 4th request was in flight at the stop: it has its row, like the three before it.
    assert_eq!(st.requests(), 4);
    assert_eq!(rows(&store, id).await, 4);
    assert_eq!(report.account.rows_written, 4);
    let run = store.latest_run().await.unwrap().unwrap();
    assert!(run.stopped_at.is_some() && run.loss.is_none());
    assert_eq!(run.account.rows_written, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removing_a_connection_while_its_rows_wait_does_not_block_the_others() {
    let sim = Simulator::start(vec![StationScript::new("a", "k"), StationScript::new("b", "k")]).await.unwrap();
    let (sa, sb) = (sim.stations[0].clone(), sim.stations[1].clone());
    let (_dir, store) = store().await;
    add(&store, "a", &sa.url(), 100).await;
    let b = add(&store, "b", &sb.url(), 100).await;
    let m = monitor(&store).await;
    let stop = {
        let (store, sb) = (store.clone(), sb.clone());
        async move {
            sa.wait_requests(3).await;
            // Removed while the monitor holds its unwritten rows (the writer runs once a second).
            store.remove_connection("a", &audit()).await.unwrap();
            // b's rows keep flowing: wait for a write after the removal to have happened.
            let seen = sb.requests();
            sb.wait_requests(seen + 15).await;
        }
    };
    let report = m.clone().run(stop).await.unwrap();
    assert_nothing_lost(&report);
    assert_eq!(rows(&store, b).await, sb.requests(), "every request to b has its row");
    let a = report.account;
    assert_eq!(a.rows_unaccounted(), 0);
    assert_eq!(a.rows_made, a.rows_written + a.rows_discarded, "a's rows after the removal are discarded, counted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_replaces_the_schedule_after_its_probe_in_flight() {
    let sim = Simulator::start(vec![StationScript::new("s", "k")]).await.unwrap();
    let st = sim.stations[0].clone();
    st.set_latency(Latency::Fixed { ms: 200.0 });
    let (_dir, store) = store().await;
    let id = add(&store, "plant", &st.url(), 100).await;
    let m = monitor(&store).await;
    let stop = {
        let (store, st) = (store.clone(), st.clone());
        async move {
            st.wait_requests(2).await;
            // Edited while request 2 is in flight: the new schedule starts once it is answered.
            let row = store.connection("plant").await.unwrap();
            let spec = ConnectionPatch { interval_ms: Some(150), ..Default::default() }.apply(row.spec).unwrap();
            store.update_connection(row.id, "plant", &spec, &audit()).await.unwrap();
            st.wait_requests(6).await;
        }
    };
    let report = m.clone().run(stop).await.unwrap();
    assert_nothing_lost(&report);
    assert_eq!(rows(&store, id).await, st.requests(), "no probe of the old or the new schedule was lost");
}
