use std::sync::Arc;
use zc_domain::probe::RequestMetric;
use zc_domain::{ConnectionKind, ConnectionSpec, ErrorCode, ManualClock, Outcome};
use zc_store::{Audit, BatchOutcome, RunCounts, Store};

const DAY: i64 = 86_400_000;
const T0: i64 = 1_800_000_000_000;

fn audit() -> Audit {
    Audit { actor: "test".into(), device_id: None }
}

async fn store() -> (tempfile::TempDir, ManualClock, Store, i64) {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(T0);
    let store = Store::open(dir.path(), Arc::new(clock.clone())).await.unwrap();
    let spec = ConnectionSpec::new("c", "http://127.0.0.1:1", ConnectionKind::Http).validate().unwrap();
    let id = store.add_connection(&spec, &audit()).await.unwrap().id;
    (dir, clock, store, id)
}

fn metric(id: i64, at: i64, latency_us: i64) -> RequestMetric {
    RequestMetric {
        connection_id: id,
        at_ms: at,
        latency_us,
        http_status: Some(200),
        request_bytes: 100,
        response_bytes: 900,
        outcome: Outcome::Ok,
    }
}

#[tokio::test]
async fn wal_and_foreign_keys_are_on() {
    let (_d, _c, s, _) = store().await;
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode").fetch_one(s.pool()).await.unwrap();
    assert_eq!(mode, "wal");
    let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys").fetch_one(s.pool()).await.unwrap();
    assert_eq!(fk, 1);
    let sync: i64 = sqlx::query_scalar("PRAGMA synchronous").fetch_one(s.pool()).await.unwrap();
    assert_eq!(sync, 2, "FULL: a commit is on disk when it returns");
}

/// A batch whose COMMIT reported an error may still have committed. Writing the same batch again
/// (as the monitor does) must not duplicate a row: the run's ledger says it is already written.
#[tokio::test]
async fn a_batch_written_twice_is_written_once() {
    let (_d, _c, s, id) = store().await;
    let (run, _) = s.open_run(1, &audit()).await.unwrap();
    let batch = [metric(id, T0, 1000), metric(id, T0 + 1, 1000)];
    let counts = RunCounts { probes: 2, rows_made: 2, ..Default::default() };
    let first = s.write_batch(run, 1, &batch, &[], &[], counts).await.unwrap();
    assert!(matches!(first, BatchOutcome::Written(w, _) if w.rows_written == 2));
    let again = s.write_batch(run, 1, &batch, &[], &[], counts).await.unwrap();
    assert!(matches!(again, BatchOutcome::AlreadyWritten(w) if w.rows_written == 2), "{again:?}");
    assert_eq!(s.metrics(id, 0, i64::MAX, 10).await.unwrap().len(), 2, "no duplicate");
    let next = s.write_batch(run, 2, &batch[..1], &[], &[], counts).await.unwrap();
    assert!(matches!(next, BatchOutcome::Written(w, _) if w.rows_written == 1));
    assert_eq!(s.read_back_run(run).await.unwrap().rows_written, 3);
}

/// A removed connection's id is never given to a new one: a running monitor may still hold rows
/// of the removed one, and they must not land on the newcomer.
#[tokio::test]
async fn connection_ids_are_never_reused() {
    let (_d, _c, s, id) = store().await;
    s.remove_connection("c", &audit()).await.unwrap();
    let spec = ConnectionSpec::new("c", "http://127.0.0.1:1", ConnectionKind::Http).validate().unwrap();
    let again = s.add_connection(&spec, &audit()).await.unwrap().id;
    assert!(again > id, "{again} after {id}");
    // A row held for the removed connection is skipped, not written to the new one.
    assert_eq!(s.insert_metrics(&[metric(id, T0, 1), metric(again, T0, 1)]).await.unwrap(), 1);
    assert_eq!(s.metrics(again, 0, i64::MAX, 10).await.unwrap().len(), 1);
}

#[tokio::test]
async fn duplicate_names_leave_the_database_unchanged() {
    let (_d, _c, s, _) = store().await;
    let before = s.activity_since(0, 100).await.unwrap().len();
    let spec = ConnectionSpec::new("c", "http://127.0.0.1:2", ConnectionKind::Http).validate().unwrap();
    assert_eq!(s.add_connection(&spec, &audit()).await.unwrap_err().code, ErrorCode::DuplicateName);
    assert_eq!(s.list_connections().await.unwrap().len(), 1);
    assert_eq!(s.activity_since(0, 100).await.unwrap().len(), before, "no audit row for a change that did not happen");
}

#[tokio::test]
async fn retention_deletes_old_rows_and_keeps_unpushed_activity() {
    let (_d, clock, s, id) = store().await;
    s.insert_metrics(&[metric(id, T0, 1000), metric(id, T0 + 40 * DAY, 1000)]).await.unwrap();
    for i in 0..3 {
        s.record_activity(&audit(), "test.action", &format!("r{i}"), serde_json::json!({})).await.unwrap();
    }
    clock.set_ms(T0 + 1000 * DAY);
    s.insert_metrics(&[metric(id, T0 + 999 * DAY, 1000)]).await.unwrap();
    let r = s.apply_retention().await.unwrap();
    assert_eq!(r.request_metrics_deleted, 2);
    assert_eq!(r.activity_log_deleted, 0, "nothing was pushed to the central store yet");
    assert_eq!(r.activity_log_kept_unpushed, 4);

    // Once pushed, old entries go, and the chain still verifies from its new anchor.
    s.record_activity_pushed(3).await.unwrap();
    let r = s.apply_retention().await.unwrap();
    assert_eq!(r.activity_log_deleted, 3);
    let v = s.verify_activity().await.unwrap();
    assert_eq!(v.first_bad_seq, None, "{:?}", v.problem);
    s.record_activity(&audit(), "test.after", "r", serde_json::json!({})).await.unwrap();
    assert_eq!(s.verify_activity().await.unwrap().first_bad_seq, None);
}

#[tokio::test]
async fn chart_series_has_at_most_one_bucket_per_column_and_keeps_extremes() {
    let (_d, _c, s, id) = store().await;
    let rows: Vec<_> = (0..50_000).map(|i| metric(id, T0 + i * 100, 1000 + (i % 977))).collect();
    s.insert_metrics(&rows).await.unwrap();
    s.insert_metrics(&[metric(id, T0 + 123_456, 9_999_999)]).await.unwrap();
    let mut failed = metric(id, T0 + 2_000_000, 500);
    failed.outcome = Outcome::Failed(zc_domain::FailureCategory::Timeout);
    s.insert_metrics(&[failed.clone(), RequestMetric { at_ms: T0 + 2_000_050, ..failed }]).await.unwrap();
    let series = s.chart_series(id, T0, T0 + 5_000_000, 300).await.unwrap();
    assert!(series.buckets.len() <= 300);
    assert_eq!(series.samples, 50_003);
    assert_eq!(series.buckets.iter().map(|b| b.failures).sum::<i64>(), 2);
    assert!(series.buckets.windows(2).all(|w| w[0].column < w[1].column));
    assert_eq!(series.buckets.iter().map(|b| b.max_latency_us).max(), Some(9_999_999), "a spike survives downsampling");
    // Every row carries the batch's write time, bound once per statement.
    let (distinct, stamp): (i64, i64) =
        sqlx::query_as("SELECT COUNT(DISTINCT created_at), MAX(updated_at) FROM request_metrics")
            .fetch_one(s.pool())
            .await
            .unwrap();
    assert_eq!((distinct, stamp), (1, T0));
    // Storage stays raw.
    assert_eq!(s.metrics(id, 0, i64::MAX, 100_000).await.unwrap().len(), 50_003);
}

#[tokio::test]
async fn an_unwritable_data_dir_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, b"x").unwrap();
    let err = match Store::open(&file, Arc::new(ManualClock::new(0))).await {
        Err(e) => e,
        Ok(_) => panic!("opened a data directory that is a file"),
    };
    assert_eq!(err.code, ErrorCode::DataDir);
    assert!(err.message.contains("--data-dir"));
}
