//! Thirty days offline: a console linked to a centre it cannot reach watches three stations at
//! the default interval (10 s) for 30 days of its injected clock, writing what they produce
//! through the monitor's own write path as the clock goes: a metric and a point sample per
//! request, a short outage a day per station with its status changes and the operator's
//! acknowledgement, retention once a day. Then the centre is back: while the pusher drains the
//! backlog the monitor keeps writing and the operator keeps working, and afterwards every row is
//! at the centre exactly once, the activity log in order, nothing left waiting.
//!
//! The drain time and the console's slowest operation during the drain are printed; the figures
//! in docs/benchmarks.md come from a release run:
//! `cargo test --release -p zc-sync --test offline -- --nocapture`.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use zc_domain::connection::DEFAULT_INTERVAL_MS;
use zc_domain::point::{PointBatch, PointSample, Quality};
use zc_domain::probe::{FailureCategory, Outcome, RequestMetric};
use zc_domain::status::Transition;
use zc_domain::{ConnectionKind, ManualClock, Status};
use zc_store::{Audit, RunCounts, Series, StatusChange, Store};
use zc_sync::Finish;

const T0: i64 = 1_800_000_000_000;
const DAY_MS: i64 = 86_400_000;
const DAYS: i64 = 30;
const STATIONS: i64 = 3;
/// Rounds (one request per station each) written per batch: ten minutes of the clock. The
/// monitor writes a batch a second of real time; under a clock this fast a second holds far more.
const ROUNDS_PER_BATCH: i64 = 60;
/// A daily outage of each station, in rounds: 2 minutes.
const OUTAGE_ROUNDS: i64 = 12;

struct Probes {
    metrics: Vec<RequestMetric>,
    points: Vec<PointBatch>,
    changes: Vec<StatusChange>,
}

impl Probes {
    fn new() -> Probes {
        Probes { metrics: Vec::new(), points: Vec::new(), changes: Vec::new() }
    }

    /// What one request to station `s` (connection `id`) at `at` leaves behind.
    fn request(&mut self, id: i64, at: i64, up: bool) {
        self.metrics.push(RequestMetric {
            connection_id: id,
            at_ms: at,
            latency_us: 1200 + (at / 7) % 4000,
            http_status: up.then_some(200),
            request_bytes: 140,
            response_bytes: if up { 1800 } else { 0 },
            outcome: if up { Outcome::Ok } else { Outcome::Failed(FailureCategory::Timeout) },
        });
        if up {
            let samples: Arc<[PointSample]> = Arc::from(vec![PointSample {
                point: "pressure-1".into(),
                value: ((at / DEFAULT_INTERVAL_MS) % 1000) as f64 / 10.0,
                unit: "bar".into(),
                quality: Quality::Good,
                source_at: Some(at - 3),
            }]);
            self.points.push(PointBatch { connection_id: id, received_at: at, samples });
        }
    }

    fn change(&mut self, id: i64, at: i64, from: Status, to: Status) {
        let error_category = (to == Status::Offline).then_some(FailureCategory::Timeout);
        self.changes.push(StatusChange {
            connection_id: id,
            transition: Transition { from, to, at_ms: at, error_category, observer_offline: false },
            detail: None,
        });
    }
}

/// Writes `p` as one monitor batch and empties it.
async fn flush(store: &Store, run: i64, seq: &mut i64, p: &mut Probes) {
    *seq += 1;
    store.write_batch(run, *seq, &p.metrics, &p.points, &p.changes, RunCounts::default()).await.unwrap();
    *p = Probes::new();
}

async fn central_count(admin: &sqlx::PgPool, table: &str) -> (i64, i64) {
    sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT count(*), count(DISTINCT id) FROM central.{table}")))
        .fetch_one(admin)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_days_offline_arrive_once_and_in_order_while_the_console_works_on() {
    let centre = common::centre().await;
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(T0);
    let store = Arc::new(Store::open(dir.path(), Arc::new(clock.clone())).await.unwrap());
    let operator = Audit { actor: "anna".into(), device_id: None };
    centre.link(&store, &operator, T0).await;
    let mut ids = Vec::new();
    for s in 0..STATIONS {
        let spec = zc_domain::connection::ConnectionSpec::new(
            &format!("north-{s}"),
            "http://127.0.0.1:9/status",
            ConnectionKind::Station,
        );
        ids.push(store.add_connection(&spec, &operator).await.unwrap().id);
    }
    let (run, _) = store.open_run(1, &operator).await.unwrap();

    // 30 days, written as the clock goes.
    let written = Instant::now();
    let rounds_per_day = DAY_MS / DEFAULT_INTERVAL_MS;
    let (mut seq, mut p) = (0i64, Probes::new());
    for round in 0..DAYS * rounds_per_day {
        let day_round = round % rounds_per_day;
        for (s, &id) in ids.iter().enumerate() {
            // Stations a little apart within a round, as their own timers are.
            let at = T0 + round * DEFAULT_INTERVAL_MS + s as i64 * 1500;
            let outage_from = 3000 + s as i64 * 600;
            let down = (outage_from..outage_from + OUTAGE_ROUNDS).contains(&day_round);
            if round == 0 {
                p.change(id, at, Status::Unknown, Status::Online);
            } else if day_round == outage_from {
                p.change(id, at, Status::Online, Status::Offline);
            } else if day_round == outage_from + OUTAGE_ROUNDS {
                p.change(id, at, Status::Offline, Status::Online);
                clock.set_ms(at);
                let alarm = format!("alarm:north-{s}:offline:{}", round / rounds_per_day);
                store
                    .record_activity(&operator, "alarm.ack", &alarm, serde_json::json!({"comment": "Leitung geprüft"}))
                    .await
                    .unwrap();
            }
            p.request(id, at, !down);
        }
        if (round + 1) % ROUNDS_PER_BATCH == 0 {
            clock.set_ms(T0 + round * DEFAULT_INTERVAL_MS + 5000);
            flush(&store, run, &mut seq, &mut p).await;
        }
        if (round + 1) % rounds_per_day == 0 {
            // The daily retention of a console whose centre has not had anything yet: keeps all.
            let r = store.apply_retention().await.unwrap();
            assert_eq!((r.request_metrics_deleted, r.point_history_deleted), (0, 0));
        }
    }
    flush(&store, run, &mut seq, &mut p).await;
    let expected_metrics = DAYS * rounds_per_day * STATIONS;
    let waiting = store.series_status(Series::RequestMetrics).await.unwrap();
    assert_eq!(waiting.pending, expected_metrics, "30 days of metrics wait, none expired");
    eprintln!(
        "30 days of 3 stations written in {:.1} s: {expected_metrics} metrics, {} point samples, {} status changes",
        written.elapsed().as_secs_f64(),
        store.series_status(Series::PointHistory).await.unwrap().pending,
        store.series_status(Series::StatusHistory).await.unwrap().pending,
    );

    // The centre is back. The pusher drains while the console goes on: the monitor writes a
    // batch, the operator acknowledges, the sync view reads the queue, in a loop until the drain
    // is done, each timed.
    let draining = Arc::new(AtomicBool::new(true));
    let console = {
        let (store, clock, draining, ids) = (store.clone(), clock.clone(), draining.clone(), ids.clone());
        let operator = operator.clone();
        tokio::spawn(async move {
            let mut slowest = Duration::ZERO;
            let mut ops = 0u32;
            let mut round = DAYS * rounds_per_day;
            let mut seq = seq;
            while draining.load(Ordering::Acquire) {
                let t = Instant::now();
                let at = T0 + round * DEFAULT_INTERVAL_MS;
                clock.set_ms(at + 5000);
                let mut p = Probes::new();
                for &id in &ids {
                    p.request(id, at, true);
                }
                flush(&store, run, &mut seq, &mut p).await;
                store
                    .record_activity(&operator, "alarm.ack", &format!("alarm:drain:{round}"), serde_json::json!({}))
                    .await
                    .unwrap();
                for s in Series::ALL {
                    store.series_status(s).await.unwrap();
                }
                store.activity_sync_status().await.unwrap();
                slowest = slowest.max(t.elapsed());
                ops += 1;
                round += 1;
                tokio::task::yield_now().await;
            }
            (ops, slowest)
        })
    };
    let drain = Instant::now();
    let mut pushes = 0;
    loop {
        let reports = zc_sync::push_all(
            &store,
            &centre.console,
            centre.console_id,
            &centre.login,
            &Audit { actor: "console:test".into(), device_id: None },
        )
        .await
        .unwrap();
        pushes += 1;
        assert!(reports.iter().all(|r| r.finish == Finish::Drained), "{reports:?}");
        // The backlog is drained once a push finds little left (the console keeps adding).
        if store.series_status(Series::RequestMetrics).await.unwrap().pending < 1000 {
            break;
        }
    }
    let drain_s = drain.elapsed().as_secs_f64();
    draining.store(false, Ordering::Release);
    let (ops, slowest) = console.await.unwrap();
    // What the console wrote meanwhile goes too.
    let reports = zc_sync::push_all(
        &store,
        &centre.console,
        centre.console_id,
        &centre.login,
        &Audit { actor: "console:test".into(), device_id: None },
    )
    .await
    .unwrap();
    assert!(reports.iter().all(|r| r.finish == Finish::Drained), "{reports:?}");
    eprintln!(
        "drained in {drain_s:.1} s ({pushes} pushes); meanwhile the console did {ops} rounds of work \
         (a monitor batch, an acknowledgement, the sync view), the slowest {:.0} ms",
        slowest.as_secs_f64() * 1000.0
    );
    assert!(ops > 0, "the console got its work done during the drain");

    // Everything once, the log in order, nothing waiting.
    assert!(store.streams_due().await.unwrap().is_empty());
    for (series, table, local) in [
        (Series::RequestMetrics, "request_metrics", "request_metrics"),
        (Series::PointHistory, "point_history", "point_history"),
        (Series::StatusHistory, "status_history", "connection_status_history"),
    ] {
        let here: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {local}")))
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(central_count(&centre.admin, table).await, (here, here), "{table}: every row once");
        assert_eq!(store.series_status(series).await.unwrap().pending, 0);
    }
    let metrics: i64 =
        sqlx::query_scalar("SELECT count(*) FROM request_metrics").fetch_one(store.pool()).await.unwrap();
    assert_eq!(metrics, expected_metrics + ops as i64 * STATIONS, "no metric was lost or expired on the way");
    let local: Vec<(i64, String)> =
        sqlx::query_as("SELECT seq, hash FROM activity_log ORDER BY seq").fetch_all(store.pool()).await.unwrap();
    let central: Vec<(i64, String)> =
        sqlx::query_as("SELECT seq, hash FROM central.activity_log WHERE console_id = $1 ORDER BY seq")
            .bind(centre.console_id)
            .fetch_all(&centre.admin)
            .await
            .unwrap();
    assert_eq!(central, local, "the log, entry for entry");
    let acks: i64 =
        sqlx::query_scalar("SELECT count(*) FROM central.alarm_journal").fetch_one(&centre.admin).await.unwrap();
    assert_eq!(acks, DAYS * STATIONS + ops as i64, "every acknowledgement in the site's journal");
}
