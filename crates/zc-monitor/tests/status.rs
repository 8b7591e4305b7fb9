//! The monitor against a real simulated station, a real SQLite file, and an injected clock and
//! network observer: no sleeps, every step driven explicitly.

use std::sync::Arc;
use zc_domain::{Clock, ConnectionKind, ConnectionSpec, ManualClock, Status};
use zc_monitor::{ManualNetwork, Monitor, MonitorConfig, Prober, ProberConfig};
use zc_sim::{Simulator, StationScript};
use zc_store::{Audit, Store};

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
    store.add_connection(&spec, &Audit { actor: "test".into(), device_id: None }).await.unwrap();
    let network = ManualNetwork::new(true);
    let monitor = Monitor::new(
        store.clone(),
        Prober::new(ProberConfig::default()),
        Arc::new(network.clone()),
        None,
        MonitorConfig::default(),
    )
    .await
    .unwrap();
    Rig { _dir: dir, clock, network, store, monitor, sim }
}

impl Rig {
    /// One probe at the next scheduled time; returns the status after it.
    async fn step(&self) -> Status {
        self.clock.advance_ms(STEP);
        let conn = self.store.connection("plant").await.unwrap();
        self.monitor.probe_now(&conn).await.unwrap();
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

    // Every request has its raw row, once the batch is written.
    assert_eq!(r.monitor.flush().await.unwrap(), 7);
    let m = r.store.metrics(id, 0, i64::MAX, 100).await.unwrap();
    assert_eq!(m.len(), 7);
    assert_eq!(m.iter().filter(|m| m.outcome.as_str() == "connection_refused").count(), 3);
    let conn = r.store.connection("plant").await.unwrap();
    assert_eq!(conn.last_contact_at, Some(r.clock.now_ms()));
    assert_eq!(conn.settings_version, 1, "status changes are not settings changes: the schedule keeps running");
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

#[tokio::test]
async fn a_restarted_monitor_carries_on_from_the_stored_status() {
    let r = rig().await;
    r.step().await;
    r.sim.stations[0].stop().await;
    for _ in 0..3 {
        r.step().await;
    }
    // A new monitor process (same database) starts from "offline", not "unknown".
    let fresh = Monitor::new(
        r.store.clone(),
        Prober::new(ProberConfig::default()),
        Arc::new(r.network.clone()),
        None,
        MonitorConfig::default(),
    )
    .await
    .unwrap();
    r.clock.advance_ms(STEP);
    let conn = r.store.connection("plant").await.unwrap();
    let (_, t) = fresh.probe_now(&conn).await.unwrap();
    assert!(t.is_none(), "still offline: no new transition");
}
