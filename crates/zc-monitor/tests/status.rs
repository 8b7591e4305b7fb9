//! The monitor against a real simulated station, a real SQLite file, and an injected clock and
//! network observer: no sleeps, every step driven explicitly.

use std::sync::Arc;
use zc_domain::{Clock, ConnectionKind, ConnectionSpec, ManualClock, Status};
use zc_monitor::{ManualNetwork, Monitor, MonitorConfig, Prober, ProberConfig};
use zc_sim::{Simulator, StationScript};
use zc_store::{Audit, Store};

fn audit() -> Audit {
    Audit { actor: "test".into(), device_id: None }
}

const T0: i64 = 1_800_000_000_000;
const STEP: i64 = 10_000;

struct Rig {
    _dir: tempfile::TempDir,
    clock: ManualClock,
    network: ManualNetwork,
    store: Store,
    monitor: Arc<Monitor>,
    sim: Simulator,
}

async fn rig() -> Rig {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(T0);
    let store = Store::open(dir.path(), Arc::new(clock.clone())).await.unwrap();
    let sim = Simulator::start(vec![StationScript::new("s", "k")]).await.unwrap();
    // An http connection to a path the station answers with 404: no key needed here (keys are
    // covered by the end-to-end tests, which run the real keyring).
    let mut spec = ConnectionSpec::new("plant", &format!("{}/not-there", sim.stations[0].url()), ConnectionKind::Http);
    spec.expect_status = 404;
    spec.confirm = 3;
    let spec = spec.validate().unwrap();
    store.add_connection(&spec, &audit()).await.unwrap();
    let network = ManualNetwork::new(true);
    let monitor = Monitor::new(
        store.clone(),
        Prober::new(ProberConfig::default()),
        Arc::new(network.clone()),
        None,
        MonitorConfig::default(),
        audit(),
    )
    .await
    .unwrap();
    Rig { _dir: dir, clock, network, store, monitor, sim }
}

impl Rig {
    /// One probe at the next scheduled time, written; returns the stored status after it.
    async fn step(&self) -> Status {
        self.clock.advance_ms(STEP);
        let conn = self.store.connection("plant").await.unwrap();
        self.monitor.probe_now(&conn).await;
        self.monitor.flush().await.unwrap();
        self.store.connection("plant").await.unwrap().status
    }
}

#[tokio::test]
async fn outage_is_confirmed_then_recovery_is_confirmed() {
    let r = rig().await;
    assert_eq!(r.step().await, Status::Online, "first answer from unknown is immediate");
    r.sim.stations[0].stop().await;
    assert_eq!(r.step().await, Status::Online);
    assert_eq!(r.step().await, Status::Online);
    assert_eq!(r.step().await, Status::Offline, "offline on the third refused probe");
    let offline_at = r.clock.now_ms();
    r.sim.stations[0].restart().await.unwrap();
    assert_eq!(r.step().await, Status::Offline);
    assert_eq!(r.step().await, Status::Offline);
    assert_eq!(r.step().await, Status::Online);

    let id = r.store.connection("plant").await.unwrap().id;
    let h = r.store.history(id, 0, i64::MAX).await.unwrap();
    let seen: Vec<_> = h.iter().map(|t| (t.from_status, t.to_status, t.error_category.clone())).collect();
    assert_eq!(
        seen,
        vec![
            (Status::Unknown, Status::Online, None),
            (Status::Online, Status::Offline, Some("connection_refused".into())),
            (Status::Offline, Status::Online, None),
        ]
    );
    assert_eq!(h[1].at, offline_at, "the transition carries the clock's time");

    // Every request has its raw row, and the run's account says so.
    let m = r.store.metrics(id, 0, i64::MAX, 100).await.unwrap();
    assert_eq!(m.len(), 7);
    assert_eq!(m.iter().filter(|m| m.outcome.as_str() == "connection_refused").count(), 3);
    let conn = r.store.connection("plant").await.unwrap();
    assert_eq!(conn.last_contact_at, Some(r.clock.now_ms()));
    assert_eq!(conn.settings_version, 1, "status changes are not settings changes: the schedule keeps running");
    let a = r.monitor.account();
    assert_eq!((a.probes, a.rows_made, a.rows_written, a.rows_held), (7, 7, 7, 0));
    assert_eq!((a.transitions_made, a.transitions_written), (3, 3));
    let ledger = r.store.read_back_run(r.monitor.run_id()).await.unwrap();
    assert_eq!((ledger.rows_written, ledger.transitions_written), (7, 3), "the ledger on disk agrees");
}

#[tokio::test]
async fn observer_offline_is_unknown_and_not_downtime() {
    let r = rig().await;
    r.step().await;
    r.network.set_online(false);
    r.sim.stations[0].stop().await;
    assert_eq!(r.step().await, Status::Unknown, "our own network is down: nothing is known");
    r.step().await;
    r.network.set_online(true);
    r.sim.stations[0].restart().await.unwrap();
    assert_eq!(r.step().await, Status::Online);
    let id = r.store.connection("plant").await.unwrap().id;
    let h = r.store.history(id, 0, i64::MAX).await.unwrap();
    assert!(h.iter().all(|t| t.to_status != Status::Offline));
    assert!(h[1].observer_offline && h[1].to_status == Status::Unknown);
    let spans = zc_domain::status::spans(
        Status::Unknown,
        &h.iter().map(|t| (t.at, t.to_status, t.observer_offline)).collect::<Vec<_>>(),
        T0,
        r.clock.now_ms(),
    );
    assert_eq!(zc_domain::status::downtime_ms(&spans), 0);
}

/// A monitor that ends without a clean stop (here: dropped, as a kill would leave it) is found
/// by the next start, which says so and records the unwatched time as unknown from the dead
/// run's last write, so the history never claims the station was watched meanwhile.
#[tokio::test]
async fn the_next_start_notes_a_run_that_did_not_stop_cleanly() {
    let r = rig().await;
    r.step().await;
    r.sim.stations[0].stop().await;
    for _ in 0..3 {
        r.step().await;
    }
    let last_write = r.clock.now_ms();
    // One more probe that is never written: the "kill" comes before the next write.
    r.clock.advance_ms(STEP);
    let conn = r.store.connection("plant").await.unwrap();
    r.monitor.probe_now(&conn).await;
    let Rig { _dir, clock, network, store, monitor, sim: _sim } = r;
    let dead_run = monitor.run_id();
    drop(monitor);

    clock.advance_ms(STEP);
    let fresh = Monitor::new(
        store.clone(),
        Prober::new(ProberConfig::default()),
        Arc::new(network.clone()),
        None,
        MonitorConfig::default(),
        audit(),
    )
    .await
    .unwrap();
    let noted = fresh.interrupted_runs();
    assert_eq!(noted.len(), 1);
    assert_eq!((noted[0].run_id, noted[0].last_write_at, noted[0].rows_waiting), (dead_run, last_write, 0));
    assert!(noted[0].message().contains("did not stop cleanly"), "{}", noted[0].message());
    // What may be missing is bounded: nothing was waiting at the last write, one probe a STEP since.
    assert_eq!(noted[0].rows_per_minute, 6, "one connection probed every 10 s");
    assert_eq!(noted[0].missing_at_most(STEP, 1), 1 + 1, "one probe in those 10 s, plus one in flight");

    let id = store.connection("plant").await.unwrap().id;
    let h = store.history(id, 0, i64::MAX).await.unwrap();
    let gap = h.last().unwrap();
    assert_eq!((gap.from_status, gap.to_status, gap.at), (Status::Offline, Status::Unknown, last_write));
    assert!(gap.error_detail.as_deref().unwrap_or("").contains("without a clean stop"));
    let conn = store.connection("plant").await.unwrap();
    assert_eq!(conn.status, Status::Unknown);
    // The station is still down: from unknown it takes the full confirmation again.
    clock.advance_ms(STEP);
    let (_, t) = fresh.probe_now(&conn).await;
    assert!(t.is_none(), "one failed probe does not confirm an outage");
}

/// Only one monitor per data directory: a second is refused with a clear error and changes nothing.
#[tokio::test]
async fn a_second_monitor_on_the_same_data_directory_is_refused() {
    let r = rig().await;
    let second = Monitor::new(
        r.store.clone(),
        Prober::new(ProberConfig::default()),
        Arc::new(r.network.clone()),
        None,
        MonitorConfig::default(),
        audit(),
    )
    .await;
    let err = second.err().expect("refused");
    assert_eq!(err.code, zc_domain::ErrorCode::MonitorRunning);
    assert!(err.message.contains("already watching"), "{}", err.message);
    assert!(r.store.monitor_running());
    assert!(
        r.store.unstopped_runs().await.unwrap().len() == 1,
        "the running monitor's run is not taken for a dead one"
    );
}
