//! Point values: latest kept across restarts, history on change (deadband, quality, heartbeat),
//! written with the batch they came in.

use std::sync::Arc;
use zc_domain::point::{DEFAULT_HEARTBEAT_MS, PointBatch, PointSample, Quality};
use zc_domain::probe::RequestMetric;
use zc_domain::{ConnectionKind, ConnectionSpec, ManualClock, Outcome};
use zc_store::{Audit, RunCounts, Store};

const T0: i64 = 1_800_000_000_000;

fn audit() -> Audit {
    Audit { actor: "test".into(), device_id: None }
}

fn sample(point: &str, value: f64, quality: Quality) -> PointSample {
    PointSample { point: point.into(), value, unit: "bar".into(), quality, source_at: Some(T0 - 5) }
}

fn metric(id: i64, at: i64) -> RequestMetric {
    RequestMetric {
        connection_id: id,
        at_ms: at,
        latency_us: 1000,
        http_status: Some(200),
        request_bytes: 100,
        response_bytes: 900,
        outcome: Outcome::Ok,
    }
}

#[tokio::test]
async fn history_keeps_changes_and_heartbeats_and_latest_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open(dir.path(), Arc::new(ManualClock::new(T0))).await.unwrap();
    let spec = ConnectionSpec::new("st", "http://127.0.0.1:1", ConnectionKind::Station).validate().unwrap();
    let id = s.add_connection(&spec, &audit()).await.unwrap().id;
    let (run, _) = s.open_run(1, &audit()).await.unwrap();
    // (time, pressure value, quality): kept are the first, the jump past 1 %, the quality change
    // and the heartbeat; the small wiggles are not.
    let plan = [
        (T0, 4.00, Quality::Good, true),
        (T0 + 1000, 4.005, Quality::Good, false),
        (T0 + 2000, 4.2, Quality::Good, true),
        (T0 + 3000, 4.2, Quality::Bad, true),
        (T0 + 4000, 4.2, Quality::Bad, false),
        (T0 + 3000 + DEFAULT_HEARTBEAT_MS, 4.2, Quality::Bad, true),
    ];
    // Two batches, the second holding several probes of the same station.
    for (seq, range) in [(1, 0..2), (2, 2..6)] {
        let steps = &plan[range];
        let metrics: Vec<_> = steps.iter().map(|(at, ..)| metric(id, *at)).collect();
        let points: Vec<_> = steps
            .iter()
            .map(|(at, v, q, _)| PointBatch {
                connection_id: id,
                received_at: *at,
                samples: vec![sample("p", *v, *q), sample("steady", 1.0, Quality::Good)].into(),
            })
            .collect();
        s.write_batch(run, seq, &metrics, &points, &[], RunCounts::default()).await.unwrap();
    }
    let kept: Vec<i64> = s.point_history(id, Some("p"), 0, i64::MAX, 100).await.unwrap().iter().map(|h| h.at).collect();
    let expected: Vec<i64> = plan.iter().filter(|p| p.3).map(|p| p.0).collect();
    assert_eq!(kept, expected);
    let steady = s.point_history(id, Some("steady"), 0, i64::MAX, 100).await.unwrap();
    assert_eq!(steady.len(), 2, "the first value and one heartbeat: {steady:?}");
    s.close().await;

    let s = Store::open(dir.path(), Arc::new(ManualClock::new(T0))).await.unwrap();
    let latest = s.latest_points(Some(id)).await.unwrap();
    assert_eq!(latest.len(), 2);
    let p = latest.iter().find(|p| p.point == "p").unwrap();
    assert_eq!((p.value, p.quality, p.received_at), (Some(4.2), Quality::Bad, T0 + 3000 + DEFAULT_HEARTBEAT_MS));
    assert_eq!(p.source_at, Some(T0 - 5), "the station's own timestamp is kept");
}

#[tokio::test]
async fn samples_of_a_removed_connection_are_skipped_with_their_rows() {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open(dir.path(), Arc::new(ManualClock::new(T0))).await.unwrap();
    let spec = |n: &str| ConnectionSpec::new(n, "http://127.0.0.1:1", ConnectionKind::Station).validate().unwrap();
    let gone = s.add_connection(&spec("gone"), &audit()).await.unwrap().id;
    let kept = s.add_connection(&spec("kept"), &audit()).await.unwrap().id;
    let (run, _) = s.open_run(1, &audit()).await.unwrap();
    s.remove_connection("gone", &audit()).await.unwrap();
    let points = [gone, kept].map(|id| PointBatch {
        connection_id: id,
        received_at: T0,
        samples: vec![sample("p", 1.0, Quality::Good)].into(),
    });
    let out = s.write_batch(run, 1, &[metric(gone, T0), metric(kept, T0)], &points, &[], RunCounts::default()).await;
    assert!(out.is_ok(), "{out:?}");
    let all = s.latest_points(None).await.unwrap();
    assert_eq!(all.iter().map(|p| p.connection_id).collect::<Vec<_>>(), vec![kept]);
}
