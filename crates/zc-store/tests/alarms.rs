//! Alarms against a real SQLite file and an injected clock: raised in the batch that wrote the
//! status change, acknowledged and shelved with who and when in the activity log, suppressed by
//! a maintenance window and a gateway, a point's limits, and a restart keeps everything.

use std::sync::Arc;
use zc_domain::alarm::{AlarmAction, AlarmKind, AlarmState, Priority};
use zc_domain::point::{PointBatch, PointSample, Quality};
use zc_domain::probe::RequestMetric;
use zc_domain::status::Transition;
use zc_domain::{ConnectionKind, ConnectionSpec, ManualClock, Outcome, Status};
use zc_store::{AlarmFilter, AlarmRow, Audit, RunCounts, StatusChange, Store};

const T0: i64 = 1_800_000_000_000;
const MIN: i64 = 60_000;

fn ana() -> Audit {
    Audit { actor: "local:ana".into(), device_id: None }
}

struct Plant {
    store: Store,
    clock: ManualClock,
    run: i64,
    seq: i64,
    _dir: tempfile::TempDir,
}

impl Plant {
    async fn new(names: &[&str]) -> (Plant, Vec<i64>) {
        let dir = tempfile::tempdir().unwrap();
        let clock = ManualClock::new(T0);
        let store = Store::open(dir.path(), Arc::new(clock.clone())).await.unwrap();
        let mut ids = Vec::new();
        for n in names {
            let spec = ConnectionSpec::new(n, "http://127.0.0.1:1", ConnectionKind::Station).validate().unwrap();
            ids.push(store.add_connection(&spec, &ana()).await.unwrap().id);
        }
        let (run, _) = store.open_run(1, &ana()).await.unwrap();
        (Plant { store, clock, run, seq: 0, _dir: dir }, ids)
    }

    /// One batch as the monitor's writer writes it: status changes and point samples.
    async fn batch(&mut self, changes: &[(i64, Status, Status)], points: &[(i64, &str, f64, Quality)]) {
        self.seq += 1;
        let now = self.clock.now_ms();
        let changes: Vec<StatusChange> = changes
            .iter()
            .map(|&(id, from, to)| StatusChange {
                connection_id: id,
                transition: Transition { from, to, at_ms: now, error_category: None, observer_offline: false },
                detail: None,
            })
            .collect();
        let metrics: Vec<RequestMetric> = points
            .iter()
            .map(|&(id, ..)| RequestMetric {
                connection_id: id,
                at_ms: now,
                latency_us: 1000,
                http_status: Some(200),
                request_bytes: 1,
                response_bytes: 1,
                outcome: Outcome::Ok,
            })
            .collect();
        let batches: Vec<PointBatch> = points
            .iter()
            .map(|&(id, p, v, q)| PointBatch {
                connection_id: id,
                received_at: now,
                samples: vec![PointSample {
                    point: p.into(),
                    value: v,
                    unit: "bar".into(),
                    quality: q,
                    source_at: None,
                }]
                .into(),
            })
            .collect();
        let counts = RunCounts::default();
        self.store.write_batch(self.run, self.seq, &metrics, &batches, &changes, counts).await.unwrap();
    }

    async fn all(&self) -> Vec<AlarmRow> {
        self.store.evaluate_alarms().await.unwrap();
        self.store.alarms(&AlarmFilter { states: AlarmState::ALL.to_vec(), ..Default::default() }).await.unwrap()
    }

    async fn visible(&self) -> Vec<AlarmRow> {
        self.store.evaluate_alarms().await.unwrap();
        self.store.alarms(&AlarmFilter::default()).await.unwrap()
    }
}

use zc_domain::Clock;

#[tokio::test]
async fn an_outage_is_raised_with_its_batch_acknowledged_with_who_and_stays_until_acknowledged() {
    let (mut p, ids) = Plant::new(&["north"]).await;
    p.batch(&[(ids[0], Status::Unknown, Status::Online)], &[]).await;
    assert!(p.visible().await.is_empty());
    p.clock.advance_ms(MIN);
    p.batch(&[(ids[0], Status::Online, Status::Offline)], &[]).await;
    // Raised by the batch itself, before any separate pass.
    let rows = p.store.alarms(&AlarmFilter::default()).await.unwrap();
    assert_eq!(rows.len(), 1);
    let a = &rows[0];
    assert_eq!(
        (a.kind, a.state, a.priority, a.raised_at),
        (AlarmKind::Offline, AlarmState::Unacknowledged, Priority::High, Some(T0 + MIN))
    );
    assert!(a.message.starts_with("north: offline"), "{}", a.message);

    p.clock.advance_ms(MIN);
    p.batch(&[(ids[0], Status::Offline, Status::Online)], &[]).await;
    assert_eq!(p.visible().await[0].state, AlarmState::ReturnedUnacknowledged, "it stays until acknowledged");
    p.clock.advance_ms(5 * MIN);
    // An id that does not exist refuses the whole acknowledgement: nothing is half-done.
    let e = p.store.acknowledge_alarms(&[a.id, 999], None, &ana()).await.unwrap_err();
    assert!(e.message.contains("no alarm 999"), "{e}");
    assert_eq!(p.visible().await[0].state, AlarmState::ReturnedUnacknowledged);
    let r = p.store.acknowledge_alarms(&[a.id, a.id], Some("breaker reset"), &ana()).await.unwrap();
    assert_eq!(
        (r.acknowledged, r.skipped),
        (vec![a.id], vec![a.id]),
        "the second time there is nothing to acknowledge"
    );
    assert!(p.visible().await.is_empty());
    let a = &p.all().await[0];
    assert_eq!(
        (a.state, a.acked_by.as_deref(), a.acked_at),
        (AlarmState::Normal, Some("local:ana"), Some(T0 + 7 * MIN))
    );
    // Who and when, in the hash-chained activity log.
    let log = p.store.activity_since(0, 1000).await.unwrap();
    let ack = log.iter().find(|e| e.action == "alarm.ack").expect("the acknowledgement is in the activity log");
    assert_eq!((ack.actor.as_str(), ack.at_ms), ("local:ana", T0 + 7 * MIN));
    assert!(ack.metadata.contains("breaker reset"));
    assert_eq!(p.store.verify_activity().await.unwrap().first_bad_seq, None);
    // Every transition is stored.
    let h = p.store.alarm_history(0, i64::MAX, None, 0, 100).await.unwrap();
    let actions: Vec<_> = h.iter().map(|e| e.action).collect();
    assert_eq!(actions, [AlarmAction::Raised, AlarmAction::Returned, AlarmAction::Acknowledged]);
    assert_eq!(h[2].reason.as_deref(), Some("breaker reset"));
}

#[tokio::test]
async fn a_shelve_expires_while_no_monitor_runs_and_survives_a_restart() {
    let (mut p, ids) = Plant::new(&["north"]).await;
    p.batch(&[(ids[0], Status::Unknown, Status::Offline)], &[]).await;
    let id = p.visible().await[0].id;
    assert!(p.store.shelve_alarm(id, T0 + 10 * MIN, "", &ana()).await.unwrap_err().message.contains("reason"));
    let a = p.store.shelve_alarm(id, T0 + 10 * MIN, "crew on site", &ana()).await.unwrap();
    assert_eq!((a.state, a.shelved_by.as_deref()), (AlarmState::Shelved, Some("local:ana")));
    assert!(p.visible().await.is_empty());
    // Reopen the database: the shelve is still there, and it still expires.
    let dir = p._dir.path().to_owned();
    p.store.close().await;
    let store = Store::open(&dir, Arc::new(p.clock.clone())).await.unwrap();
    p.store = store;
    assert_eq!(p.all().await[0].state, AlarmState::Shelved);
    p.clock.advance_ms(10 * MIN);
    let v = p.visible().await;
    assert_eq!((v.len(), v[0].state), (1, AlarmState::Unacknowledged), "it comes back at expiry, no monitor needed");
    let last = p.store.alarm_history(0, i64::MAX, None, 0, 100).await.unwrap().pop().unwrap();
    assert_eq!((last.action, last.annunciated), (AlarmAction::ShelveExpired, true));
}

#[tokio::test]
async fn maintenance_and_gateway_suppress_and_points_alarm_on_their_limits() {
    let (mut p, ids) = Plant::new(&["gw", "north", "south"]).await;
    let (gw, north, south) = (ids[0], ids[1], ids[2]);
    p.batch(
        &[
            (gw, Status::Unknown, Status::Online),
            (north, Status::Unknown, Status::Online),
            (south, Status::Unknown, Status::Online),
        ],
        &[(north, "pressure", 4.0, Quality::Good)],
    )
    .await;
    p.store.set_dependency(north, "north", Some((gw, "gw")), &ana()).await.unwrap();
    assert!(
        p.store
            .set_dependency(gw, "gw", Some((north, "north")), &ana())
            .await
            .unwrap_err()
            .message
            .contains("already depends")
    );
    p.store.set_point_limits(north, "north", "pressure", Some(1.0), Some(5.0), &ana()).await.unwrap();
    assert!(p.store.set_point_limits(north, "north", "pressure", Some(6.0), Some(5.0), &ana()).await.is_err());
    assert!(p.visible().await.is_empty());

    // The pressure goes past its high limit.
    p.clock.advance_ms(1000);
    p.batch(&[], &[(north, "pressure", 5.5, Quality::Good)]).await;
    let v = p.visible().await;
    assert_eq!(v.len(), 1);
    assert_eq!((v[0].kind, v[0].point.as_deref()), (AlarmKind::PointHigh, Some("pressure")));

    // The gateway goes down, and north behind it: one alarm for the cause.
    p.clock.advance_ms(1000);
    p.batch(&[(gw, Status::Online, Status::Offline), (north, Status::Online, Status::Offline)], &[]).await;
    let v = p.visible().await;
    assert_eq!(
        v.iter().map(|a| (a.connection.as_deref(), a.kind)).collect::<Vec<_>>(),
        [(Some("gw"), AlarmKind::Offline)]
    );
    let all = p.all().await;
    let north_off =
        all.iter().find(|a| a.connection.as_deref() == Some("north") && a.kind == AlarmKind::Offline).unwrap();
    assert_eq!(
        (north_off.state, north_off.suppressed_by.as_deref(), north_off.suppressed_under.as_deref()),
        (AlarmState::Suppressed, Some("gateway"), Some("gw"))
    );
    let point = all.iter().find(|a| a.kind == AlarmKind::PointHigh).unwrap();
    assert_eq!(point.state, AlarmState::Suppressed, "the point waits under its station");

    // South goes into maintenance and then fails: nothing shown, and no downtime alarm at all.
    let w = p.store.open_maintenance_window(south, "south", T0, T0 + 3_600_000, "pump swap", &ana()).await.unwrap();
    p.clock.advance_ms(1000);
    p.batch(&[(south, Status::Online, Status::Offline)], &[]).await;
    assert_eq!(p.visible().await.len(), 1);
    // Ended early while south is still down: now it needs the operator.
    p.store.end_maintenance_window(w.id, &ana()).await.unwrap();
    let v = p.visible().await;
    assert!(v.iter().any(|a| a.connection.as_deref() == Some("south") && a.state == AlarmState::Unacknowledged));
    let log = p.store.activity_since(0, 1000).await.unwrap();
    for action in ["maintenance.open", "maintenance.end", "connection.depends_on", "point.limits"] {
        assert!(log.iter().any(|e| e.action == action), "{action} is audited");
    }
}

#[tokio::test]
async fn a_removed_connection_takes_its_alarms_with_it() {
    let (mut p, ids) = Plant::new(&["north"]).await;
    p.batch(&[(ids[0], Status::Unknown, Status::Offline)], &[]).await;
    assert_eq!(p.visible().await.len(), 1);
    p.store.remove_connection("north", &ana()).await.unwrap();
    assert!(p.all().await.is_empty());
}

/// A removed connection's alarm events go with it, and their ids are never handed out again: a
/// reader following events by id (the desktop notifications) would skip the next alarm.
#[tokio::test]
async fn alarm_event_ids_are_never_reused_after_a_removal() {
    let (mut p, ids) = Plant::new(&["north", "south"]).await;
    p.batch(&[(ids[0], Status::Unknown, Status::Offline)], &[]).await;
    let seen = p.store.last_alarm_event_id().await.unwrap();
    assert!(seen > 0);
    p.store.remove_connection("north", &ana()).await.unwrap();
    p.batch(&[(ids[1], Status::Unknown, Status::Offline)], &[]).await;
    let next = p.store.annunciations_after(seen, 10).await.unwrap();
    assert_eq!(next.len(), 1, "south's alarm is after everything seen before");
    assert_eq!(next[0].connection.as_deref(), Some("south"));
}

/// A removed connection's alarms go with it, and their ids are never handed out again: an
/// acknowledgement by id from a list read before the removal must not reach a newer alarm.
#[tokio::test]
async fn alarm_ids_are_never_reused_after_a_removal() {
    let (mut p, ids) = Plant::new(&["north", "south"]).await;
    p.batch(&[(ids[0], Status::Unknown, Status::Offline)], &[]).await;
    let north = p.visible().await.iter().map(|a| a.id).max().unwrap();
    p.store.remove_connection("north", &ana()).await.unwrap();
    p.batch(&[(ids[1], Status::Unknown, Status::Offline)], &[]).await;
    let south = p.visible().await;
    assert_eq!(south.len(), 1);
    assert_eq!(south[0].connection.as_deref(), Some("south"));
    assert!(south[0].id > north, "south's alarm took id {} after north's {north}", south[0].id);
}
