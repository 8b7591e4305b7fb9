//! Everything besides the activity log travels from a real SQLite store to a real PostgreSQL
//! centre: connection definitions, status history, raw metrics and point history, each exactly
//! once (the same batch twice is stored once), none skipped when a row arrives late (a clock set
//! back, a row written while a push is in flight), and none expired locally before the centre has
//! it. An operator's alarm actions reach the site's alarm journal.

mod common;

use std::sync::Arc;
use zc_domain::connection::ConnectionSpec;
use zc_domain::status::Transition;
use zc_domain::{ConnectionKind, ManualClock, Status};
use zc_store::{Audit, RunCounts, Series, StatusChange, Store};
use zc_sync::{Finish, StreamReport};

const T0: i64 = 1_800_000_000_000;

struct World {
    centre: common::Centre,
    _dir: tempfile::TempDir,
    clock: ManualClock,
    store: Store,
    audit: Audit,
    run: i64,
    batch: std::sync::atomic::AtomicI64,
}

async fn world() -> World {
    let centre = common::centre().await;
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(T0);
    let store = Store::open(dir.path(), Arc::new(clock.clone())).await.unwrap();
    let audit = Audit { actor: "anna".into(), device_id: None };
    centre.link(&store, &audit, T0).await;
    let (run, _) = store.open_run(1, &audit).await.unwrap();
    World { centre, _dir: dir, clock, store, audit, run, batch: 0.into() }
}

impl World {
    async fn station(&self, name: &str) -> i64 {
        let spec = ConnectionSpec::new(name, "http://127.0.0.1:9/status", ConnectionKind::Station);
        self.store.add_connection(&spec, &self.audit).await.unwrap().id
    }

    /// What one probe of `connection` writes at `at`: a metric, a point sample, and (when the
    /// status changes) a status change, through the monitor's own write path.
    async fn probe(&self, connection: i64, at: i64, value: f64, change: Option<(Status, Status)>) {
        let (metric, points) = common::probe_rows(connection, at, value);
        let changes: Vec<StatusChange> = change
            .map(|(from, to)| StatusChange {
                connection_id: connection,
                transition: Transition { from, to, at_ms: at, error_category: None, observer_offline: false },
                detail: None,
            })
            .into_iter()
            .collect();
        let seq = self.batch.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        self.store.write_batch(self.run, seq, &[metric], &[points], &changes, RunCounts::default()).await.unwrap();
    }

    async fn push(&self) -> Vec<StreamReport> {
        zc_sync::push_all(&self.store, &self.centre.console, self.centre.console_id, "zc_console_test", &self.audit)
            .await
            .unwrap()
    }

    async fn count(&self, table: &str) -> i64 {
        sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM central.{table}")))
            .fetch_one(&self.centre.admin)
            .await
            .unwrap()
    }

    async fn pending(&self, series: Series) -> i64 {
        self.store.series_status(series).await.unwrap().pending
    }
}

fn report<'a>(rs: &'a [StreamReport], stream: &str) -> &'a StreamReport {
    rs.iter().find(|r| r.stream == stream).unwrap_or_else(|| panic!("no report for {stream}: {rs:?}"))
}

#[tokio::test]
async fn measurements_arrive_once_with_their_connection_and_every_field() {
    let w = world().await;
    let a = w.station("north-1").await;
    let b = w.station("north-2").await;
    // 6000 probes each: more than one batch per series.
    for i in 0..6000i64 {
        let at = T0 + 1000 + i * 10_000;
        let change = match i {
            0 => Some((Status::Unknown, Status::Online)),
            3000 => Some((Status::Online, Status::Offline)),
            _ => None,
        };
        w.probe(a, at, i as f64, change).await;
        w.probe(b, at + 3, (i % 7) as f64, (i == 0).then_some((Status::Unknown, Status::Online))).await;
    }
    assert_eq!(w.pending(Series::RequestMetrics).await, 12_000);
    let rs = w.push().await;
    assert_eq!(report(&rs, "connections").accepted, 2);
    assert_eq!(report(&rs, "request_metrics").accepted, 12_000);
    assert!(report(&rs, "request_metrics").batches >= 3, "{rs:?}");
    assert_eq!(report(&rs, "status_history").accepted, 3);
    for r in &rs {
        assert_eq!(r.finish, Finish::Drained, "{r:?}");
    }
    assert_eq!(w.count("request_metrics").await, 12_000);
    assert_eq!(w.count("status_history").await, 3);
    let points = w.count("point_history").await;
    let local_points: i64 =
        sqlx::query_scalar("SELECT count(*) FROM point_history").fetch_one(w.store.pool()).await.unwrap();
    assert_eq!(points, local_points);
    for s in Series::ALL {
        assert_eq!(w.pending(s).await, 0, "{s:?}");
    }
    // A row at the centre is the row the console has, field for field, under its connection.
    let gid: String = sqlx::query_scalar("SELECT global_id FROM backend_connections WHERE id = ?")
        .bind(a)
        .fetch_one(w.store.pool())
        .await
        .unwrap();
    let (latency, status, req, resp, outcome, conn): (f64, i32, i64, i64, String, String) = sqlx::query_as(
        "SELECT latency_ms, http_status, request_bytes, response_bytes, outcome, connection_id::text \
         FROM central.request_metrics WHERE at = to_timestamp($1 / 1000.0)",
    )
    .bind(T0 + 1000 + 42 * 10_000)
    .fetch_one(&w.centre.admin)
    .await
    .unwrap();
    assert_eq!((latency, status, req, resp, outcome.as_str(), conn.as_str()), (1.5, 200, 120, 900, "ok", gid.as_str()));
    let (to_status, name): (String, String) = sqlx::query_as(
        "SELECT h.to_status, c.name FROM central.status_history h JOIN central.connections c ON c.id = h.connection_id \
         WHERE h.at = to_timestamp($1 / 1000.0)",
    )
    .bind(T0 + 1000 + 3000 * 10_000)
    .fetch_one(&w.centre.admin)
    .await
    .unwrap();
    assert_eq!((to_status.as_str(), name.as_str()), ("offline", "north-1"));
    let newest: (f64, String) =
        sqlx::query_as("SELECT value, quality FROM point_history WHERE point_id = (SELECT id FROM data_points WHERE connection_id = ?) ORDER BY at DESC LIMIT 1")
            .bind(a)
            .fetch_one(w.store.pool())
            .await
            .unwrap();
    let (value, quality, point): (f64, String, String) = sqlx::query_as(
        "SELECT value, quality, point FROM central.point_history WHERE connection_id = $1::uuid ORDER BY at DESC LIMIT 1",
    )
    .bind(&gid)
    .fetch_one(&w.centre.admin)
    .await
    .unwrap();
    assert_eq!((value, quality, point.as_str()), (newest.0, newest.1, "pressure-1"));

    // Nothing pending: the next push sends nothing.
    let again = w.push().await;
    assert!(again.iter().all(|r| r.accepted == 0 && r.duplicates == 0), "{again:?}");
}

#[tokio::test]
async fn a_batch_pushed_again_after_a_crash_is_stored_once() {
    let w = world().await;
    let a = w.station("north-1").await;
    for i in 0..300i64 {
        w.probe(a, T0 + 1000 + i * 1000, i as f64, None).await;
    }
    zc_sync::connections::push(&w.store, &w.centre.console, "zc_console_test").await.unwrap();
    // The centre stores a claimed batch, and the console dies before it moves its cursor.
    let batch = w.store.claim_series(Series::RequestMetrics, 200).await.unwrap();
    assert_eq!(zc_sync::series::send(&w.centre.console, w.centre.console_id, &batch).await.unwrap().unwrap(), 200);
    // After the restart the same rows go again: the centre ignores them and stores the rest.
    let r = zc_sync::series::push(&w.store, &w.centre.console, w.centre.console_id, Series::RequestMetrics, None)
        .await
        .unwrap();
    assert_eq!((r.duplicates, r.accepted, r.finish), (200, 100, Finish::Drained));
    assert_eq!(w.count("request_metrics").await, 300);
}

#[tokio::test]
async fn a_late_row_is_pushed_not_skipped() {
    let w = world().await;
    let a = w.station("north-1").await;
    for i in 0..100i64 {
        w.probe(a, T0 + 100_000 + i * 1000, i as f64, None).await;
    }
    w.push().await;
    assert_eq!(w.count("request_metrics").await, 100);

    // The clock was set back: a probe is timed before what the centre already has.
    w.probe(a, T0 + 150_500, 1e6, None).await;
    assert_eq!(w.pending(Series::RequestMetrics).await, 50, "the cursor went back to the late row");
    // And a row written while a push is in flight, timed inside what that push claimed.
    for i in 0..10i64 {
        w.probe(a, T0 + 300_000 + i * 1000, i as f64, None).await;
    }
    let claim = w.store.claim_series(Series::RequestMetrics, 1000).await.unwrap();
    assert_eq!(claim.rows.len(), 60);
    w.probe(a, T0 + 305_500, 2e6, None).await;
    // The in-flight push stores its rows and moves the cursor: not past the late row.
    // 49 of them the centre has already (they came after the cursor the late row moved back).
    assert_eq!(zc_sync::series::send(&w.centre.console, w.centre.console_id, &claim).await.unwrap().unwrap(), 11);
    assert!(w.store.record_series_pushed(&claim).await.unwrap());
    let rs = w.push().await;
    assert_eq!(report(&rs, "request_metrics").finish, Finish::Drained);
    let late: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM central.request_metrics WHERE at IN (to_timestamp($1 / 1000.0), to_timestamp($2 / 1000.0))",
    )
    .bind(T0 + 150_500)
    .bind(T0 + 305_500)
    .fetch_one(&w.centre.admin)
    .await
    .unwrap();
    assert_eq!(late, 2);
    assert_eq!(w.count("request_metrics").await, 112);
    assert_eq!(w.pending(Series::RequestMetrics).await, 0);
}

#[tokio::test]
async fn two_pushers_at_once_skip_nothing() {
    let w = world().await;
    let a = w.station("north-1").await;
    // Its definition first: history goes only once the centre has it.
    w.push().await;
    for i in 0..50i64 {
        w.probe(a, T0 + 1000 + i * 1000, i as f64, None).await;
    }
    // One claims, a second claims the same rows; a late row arrives; the first finishes last.
    let first = w.store.claim_series(Series::RequestMetrics, 1000).await.unwrap();
    let second = w.store.claim_series(Series::RequestMetrics, 1000).await.unwrap();
    w.probe(a, T0 + 20_500, 7.0, None).await;
    assert!(w.store.record_series_pushed(&second).await.unwrap());
    assert!(!w.store.record_series_pushed(&first).await.unwrap(), "an older claim does not move the cursor");
    assert_eq!(w.pending(Series::RequestMetrics).await, 31, "from the late row on");
}

#[tokio::test]
async fn retention_keeps_what_the_centre_does_not_have() {
    let w = world().await;
    let a = w.station("north-1").await;
    for i in 0..100i64 {
        w.probe(a, T0 + i * 1000, i as f64, None).await;
    }
    // 40 days later, offline all along: the 30-day policy would expire every row.
    w.clock.advance_ms(40 * 86_400_000);
    let r = w.store.apply_retention().await.unwrap();
    assert_eq!((r.request_metrics_deleted, r.point_history_deleted), (0, 0));
    assert_eq!(w.pending(Series::RequestMetrics).await, 100);
    w.push().await;
    assert_eq!(w.count("request_metrics").await, 100);
    // Once the centre has them, they go (all but the rows at the cursor's own millisecond).
    let r = w.store.apply_retention().await.unwrap();
    assert_eq!(r.request_metrics_deleted, 99);
}

#[tokio::test]
async fn edits_and_removals_reach_the_centre_and_a_refused_definition_holds_only_itself() {
    let w = world().await;
    let a = w.station("north-1").await;
    // A definition the console's own checks should have refused (a secret in its metadata; the
    // store is reached here without them, as an older console might have): the centre refuses
    // it, the others go on, and the activity entry about it (redacted) is accepted.
    let mut bad = ConnectionSpec::new("north-9", "http://127.0.0.1:9/", ConnectionKind::Http);
    bad.metadata = r#"{"api_token": "abc123"}"#.into();
    let bad = w.store.add_connection(&bad, &w.audit).await.unwrap();
    w.push().await;
    let (name, version, deleted): (String, i64, bool) =
        sqlx::query_as("SELECT name, version, deleted_at IS NOT NULL FROM central.connections")
            .fetch_one(&w.centre.admin)
            .await
            .unwrap();
    assert_eq!((name.as_str(), version, deleted), ("north-1", 1, false));
    let held = w.store.quarantined().await.unwrap();
    assert_eq!(held.len(), 1);
    assert_eq!((held[0].stream.as_str(), held[0].first_seq), ("connections", bad.id));
    assert!(!held[0].detail.contains("abc123"), "{}", held[0].detail);

    let row = w.store.connection_by_id(a).await.unwrap();
    let mut spec = row.spec.clone();
    spec.interval_ms = 30_000;
    w.store.update_connection(a, "north-1", &spec, &w.audit).await.unwrap();
    let rs = w.push().await;
    assert_eq!(report(&rs, "connections").accepted, 1);
    let (version, interval): (i64, i64) = sqlx::query_as(
        "SELECT version, (settings->>'interval_ms')::bigint FROM central.connections WHERE name = 'north-1'",
    )
    .fetch_one(&w.centre.admin)
    .await
    .unwrap();
    assert_eq!((version, interval), (2, 30_000));

    // An edit the centre refuses, of a connection it has: held. The admin gives up on it: the
    // centre keeps version 2, the console its edit, and the activity log says who did.
    let mut worse = spec.clone();
    worse.metadata = r#"{"password": "hunter2"}"#.into();
    w.store.update_connection(a, "north-1", &worse, &w.audit).await.unwrap();
    // The centre was out of reach twice before (the stream backs off, the console says failing);
    // this time it answers, with a refusal: held now, no longer failing.
    for _ in 0..2 {
        w.store.record_push_failure("connections", "cannot reach the central store", T0).await.unwrap();
    }
    w.push().await;
    let status = w.store.connections_sync_status().await.unwrap();
    assert_eq!((status.failures, status.next_attempt_at, status.quarantined), (0, None, 2), "{status:?}");
    let held = w.store.quarantined().await.unwrap();
    let edit = held.iter().find(|q| q.first_seq == a).expect("the edit is held").clone();
    // A held definition waits for a person, not for the pusher: it does not keep sync "due".
    let due = w.store.streams_due().await.unwrap();
    assert!(!due.iter().any(|(s, _)| *s == "connections"), "{due:?}");
    w.store.discard_quarantined(edit.id, &w.audit).await.unwrap().expect("an open entry");
    assert!(w.store.discard_quarantined(edit.id, &w.audit).await.unwrap().is_none(), "closed");
    let entry = w.store.activity_newest(0, 1).await.unwrap().remove(0);
    assert_eq!((entry.action.as_str(), entry.actor.as_str()), ("sync.discard", "anna"));
    assert_eq!(w.store.connection("north-1").await.unwrap().spec.metadata, worse.metadata, "the console keeps it");
    let status = w.store.connections_sync_status().await.unwrap();
    assert_eq!(
        (status.failures, status.quarantined),
        (0, 1),
        "only north-9 is still held, nothing failing: {status:?}"
    );

    // History: north-1's reaches the centre (it has north-1); north-9's waits for a definition
    // the centre never had (its policies would refuse it), counted as waiting, holding nothing
    // else back, and not making the pusher try every few seconds.
    w.probe(a, T0 + 1000, 1.0, None).await;
    w.probe(bad.id, T0 + 2000, 2.0, None).await;
    w.probe(a, T0 + 3000, 3.0, None).await;
    w.push().await;
    assert_eq!(w.count("request_metrics").await, 2, "both of north-1's rows");
    assert_eq!(w.pending(Series::RequestMetrics).await, 1, "north-9's row waits, and is shown waiting");
    assert_eq!(w.store.unpushed_history(bad.id).await.unwrap().request_metrics, 1);
    assert!(w.store.quarantined().await.unwrap().iter().all(|q| q.stream == "connections"), "no series is held");
    assert!(w.store.streams_due().await.unwrap().is_empty(), "{:?}", w.store.streams_due().await.unwrap());
    // Old as it gets, retention keeps it.
    w.clock.advance_ms(40 * 86_400_000);
    w.store.apply_retention().await.unwrap();
    assert_eq!(w.store.unpushed_history(bad.id).await.unwrap().request_metrics, 1, "kept");
    // north-9 cannot be given up on: its history would have nowhere to go.
    let nine = w.store.quarantined().await.unwrap().into_iter().find(|q| q.first_seq == bad.id).unwrap();
    let e = w.store.discard_quarantined(nine.id, &w.audit).await.unwrap_err();
    assert!(e.message.contains("never had 'north-9'") && e.message.contains("--discard-unpushed"), "{}", e.message);
    // Fixed by an edit (no retry needed: the edit is a new version), it reaches the centre, and
    // its history follows (the cursor had passed it).
    let mut fixed = w.store.connection("north-9").await.unwrap().spec;
    fixed.metadata = "{}".into();
    w.store.update_connection(bad.id, "north-9", &fixed, &w.audit).await.unwrap();
    assert!(w.store.quarantined().await.unwrap().is_empty(), "the edit releases the held definition");
    assert!(w.store.retry_quarantined(nine.id, &w.audit).await.unwrap().is_none(), "nothing left to retry");
    w.push().await;
    assert_eq!(w.count("request_metrics").await, 3, "north-9's row arrived, north-1's not twice");
    assert_eq!(w.pending(Series::RequestMetrics).await, 0);
    assert!(w.store.quarantined().await.unwrap().is_empty());

    w.store.remove_connection("north-1", &w.audit).await.unwrap();
    w.push().await;
    let deleted: bool =
        sqlx::query_scalar("SELECT deleted_at IS NOT NULL FROM central.connections WHERE name = 'north-1'")
            .fetch_one(&w.centre.admin)
            .await
            .unwrap();
    assert!(deleted, "the centre shows the connection removed");
    assert!(w.store.streams_due().await.unwrap().is_empty(), "nothing waits");
}

#[tokio::test]
async fn removing_a_connection_says_what_history_the_centre_never_got() {
    let w = world().await;
    let a = w.station("north-1").await;
    let b = w.station("north-2").await;
    for i in 0..5i64 {
        w.probe(a, T0 + i * 1000, i as f64, (i == 0).then_some((Status::Unknown, Status::Online))).await;
        w.probe(b, T0 + i * 1000, i as f64, None).await;
    }
    w.push().await;
    // Offline for a while: three more probes of north-1 that the centre has not seen.
    for i in 5..8i64 {
        w.probe(a, T0 + i * 1000, i as f64, None).await;
    }
    let waiting = w.store.unpushed_history(a).await.unwrap();
    assert_eq!((waiting.status_history, waiting.request_metrics, waiting.point_history), (0, 3, 3));
    assert_eq!(w.store.unpushed_history(b).await.unwrap().total(), 0, "north-2 is all at the centre");

    // Asked to remove only what the centre has all of, the removal looks inside its own
    // transaction, so a row the monitor wrote after any earlier check is not lost with it.
    let before = w.store.activity_newest(0, 1).await.unwrap().remove(0).seq;
    let e = w.store.remove_connection_if_pushed("north-1", &w.audit).await.unwrap_err();
    assert_eq!(e.code, zc_domain::ErrorCode::UnpushedHistory, "{}", e.message);
    assert!(e.message.contains("3 request metrics") && e.message.contains("nothing was removed"), "{}", e.message);
    assert_eq!(w.store.unpushed_history(a).await.unwrap(), waiting, "nothing changed");
    assert_eq!(w.store.activity_newest(0, 1).await.unwrap().remove(0).seq, before, "no removal recorded");

    let (_, lost) = w.store.remove_connection("north-1", &w.audit).await.unwrap();
    assert_eq!(lost, waiting, "the removal answers what it took with it");
    let entry = w.store.activity_newest(0, 1).await.unwrap().remove(0);
    assert_eq!(entry.action, "connection.remove");
    let meta: serde_json::Value = serde_json::from_str(&entry.metadata).unwrap();
    assert_eq!(meta["unpushed_discarded"]["request_metrics"], 3, "{meta}");
    assert_eq!(meta["unpushed_discarded"]["point_history"], 3, "{meta}");

    // Removing north-2, whose history the centre has, records no loss.
    w.store.remove_connection_if_pushed("north-2", &w.audit).await.unwrap();
    let entry = w.store.activity_newest(0, 1).await.unwrap().remove(0);
    let meta: serde_json::Value = serde_json::from_str(&entry.metadata).unwrap();
    assert!(meta.get("unpushed_discarded").is_none(), "{meta}");
    // The removals and the entries about them reach the centre; nothing else is left waiting.
    w.push().await;
    assert_eq!(w.count("request_metrics").await, 10);
    assert!(w.store.streams_due().await.unwrap().is_empty());
}

#[tokio::test]
async fn an_operators_alarm_actions_fill_the_sites_journal() {
    let w = world().await;
    let a = w.station("north-1").await;
    w.clock.advance_ms(60_000);
    let start = w.store.now() + 60_000;
    let window =
        w.store.open_maintenance_window(a, "north-1", start, start + 3_600_000, "pump swap", &w.audit).await.unwrap();
    w.store.end_maintenance_window(window.id, &w.audit).await.unwrap();
    w.push().await;
    let rows: Vec<(String, String, String, Option<String>)> = sqlx::query_as(
        "SELECT j.action, j.actor, j.reason, c.name FROM central.alarm_journal j \
         LEFT JOIN central.connections c ON c.id = j.connection_id ORDER BY j.at, j.action DESC",
    )
    .fetch_all(&w.centre.admin)
    .await
    .unwrap();
    assert_eq!(
        rows,
        vec![
            ("maintenance.open".into(), "anna".into(), "pump swap".into(), Some("north-1".into())),
            ("maintenance.end".into(), "anna".into(), String::new(), Some("north-1".into())),
        ]
    );
    // The journal entry is the activity entry's: same id, same console.
    let same: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM central.alarm_journal j JOIN central.activity_log l ON l.id = j.id AND l.console_id = j.console_id",
    )
    .fetch_one(&w.centre.admin)
    .await
    .unwrap();
    assert_eq!(same, 2);
}
