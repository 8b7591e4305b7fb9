//! Exports: every raw row of the window, progress as pages are written, cancel leaves no file,
//! and the export is recorded in the activity log.

use std::sync::{Arc, Mutex};
use tokio_util::sync::CancellationToken;
use zc_app::zc_domain::probe::RequestMetric;
use zc_app::zc_domain::{ConnectionKind, ConnectionSpec, ErrorCode, ManualClock, Outcome};
use zc_app::{App, ExportKind, ExportRequest};

const T0: i64 = 1_800_000_000_000;

async fn app_with_rows(n: i64) -> (tempfile::TempDir, App) {
    let dir = tempfile::tempdir().unwrap();
    let app = App::open(dir.path(), Arc::new(ManualClock::new(T0 + n * 1000))).await.unwrap();
    app.sign_in_demo(zc_app::Client::Cli).await.unwrap();
    let id = app.add_connection(ConnectionSpec::new("c", "http://127.0.0.1:9", ConnectionKind::Http)).await.unwrap().id;
    let rows: Vec<_> = (0..n)
        .map(|i| RequestMetric {
            connection_id: id,
            at_ms: T0 + i * 1000,
            latency_us: 1000 + i,
            http_status: Some(200),
            request_bytes: 10,
            response_bytes: 20,
            outcome: if i % 7 == 0 {
                Outcome::Failed(zc_app::zc_domain::FailureCategory::Timeout)
            } else {
                Outcome::Ok
            },
        })
        .collect();
    app.store().insert_metrics(&rows).await.unwrap();
    (dir, app)
}

#[tokio::test]
async fn a_metrics_export_has_every_row_of_the_window_and_is_recorded() {
    let (dir, app) = app_with_rows(25_000).await;
    let path = dir.path().join("out/c.csv");
    let seen = Mutex::new(Vec::new());
    let req = ExportRequest {
        kind: ExportKind::Metrics,
        connection: "c",
        since_ms: T0 + 1000,
        until_ms: Some(T0 + 24_001_000),
        path: &path,
    };
    let r = app
        .export_csv(&req, &|done, total| seen.lock().unwrap().push((done, total)), &CancellationToken::new())
        .await
        .unwrap();
    // [T0 + 1 s, T0 + 24,001 s): rows 1..=24,000.
    assert_eq!(r.rows, 24_000);
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.lines().count(), 24_001, "a header and every row");
    assert!(text.lines().nth(1).unwrap().ends_with(",200,10,20,ok"));
    let progress = seen.lock().unwrap().clone();
    assert!(progress.len() >= 3, "progress after every page: {progress:?}");
    assert_eq!(progress.last(), Some(&(24_000, 24_000)));
    let log = app.log(0, 100).await.unwrap();
    assert!(log.iter().any(|e| e.action == "export.metrics" && e.metadata.contains("\"rows\":24000")));
}

#[tokio::test]
async fn a_cancelled_export_leaves_no_file() {
    let (dir, app) = app_with_rows(100).await;
    let path = dir.path().join("c.csv");
    let cancel = CancellationToken::new();
    cancel.cancel();
    let req = ExportRequest { kind: ExportKind::Metrics, connection: "c", since_ms: 0, until_ms: None, path: &path };
    let e = app.export_csv(&req, &|_, _| {}, &cancel).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Cancelled);
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .filter(|n| n.to_string_lossy().contains("c.csv"))
        .collect();
    assert!(left.is_empty(), "no file and no partial file: {left:?}");
}

#[tokio::test]
async fn a_chart_export_makes_its_folder_and_is_recorded() {
    let (dir, app) = app_with_rows(500).await;
    let path = dir.path().join("exports/deep/c.svg");
    let r = app.chart("c", T0, Some(T0 + 500_000), &path, 800, 400).await.unwrap();
    assert_eq!(r.samples, 500);
    assert!(std::fs::read_to_string(&path).unwrap().starts_with("<svg"));
    assert!(app.log(0, 100).await.unwrap().iter().any(|e| e.action == "export.chart"));
}

#[tokio::test]
async fn the_activity_view_shows_the_newest_entries_filtered() {
    let (_dir, app) = app_with_rows(10).await;
    for i in 0..30 {
        app.record("test.note", &format!("thing-{i}"), serde_json::json!({})).await.unwrap();
    }
    let f = zc_app::ActivityFilter {
        since: 0,
        until: None,
        actor: None,
        action: Some("NOTE".into()),
        resource: None,
        limit: 5,
    };
    let v = app.activity(&f).await.unwrap();
    let names: Vec<_> = v.entries.iter().map(|e| e.resource.as_str()).collect();
    assert_eq!(
        names,
        ["thing-29", "thing-28", "thing-27", "thing-26", "thing-25"],
        "newest first, case-insensitive filter"
    );
    assert!(v.verify.problem.is_none());
}
