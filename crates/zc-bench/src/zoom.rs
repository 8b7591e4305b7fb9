//! Zooming the detail chart over 30 days of 1 s samples (2.6 M rows of one connection): the time
//! from the request (`App::latency_chart`, what the window's zoom calls) to the SVG document,
//! against a bare rusqlite scan of the same rows, for the 30-day view and three zoom levels.

use std::sync::Arc;
use std::time::Instant;
use zc_app::App;
use zc_domain::{ConnectionKind, ConnectionSpec, ManualClock};

pub async fn bench_zoom(days: i64) {
    let rows = days * 86_400;
    println!("\n## 6. Detail chart zoom ({days} days of 1 s samples: {rows} rows, request to SVG)");
    let dir = tempfile::tempdir().unwrap();
    let t0 = 1_800_000_000_000i64;
    let end = t0 + rows * 1000;
    let app = App::open(dir.path(), Arc::new(ManualClock::new(end))).await.unwrap();
    app.sign_in_demo(zc_app::Client::Cli).await.unwrap();
    let mut spec = ConnectionSpec::new("plant", "http://127.0.0.1:9", ConnectionKind::Http);
    spec.interval_ms = 1000;
    let id = app.add_connection(spec).await.unwrap().id;
    let t = Instant::now();
    let mut i = 0;
    while i < rows {
        let n = (rows - i).min(50_000);
        let chunk: Vec<_> = (i..i + n).map(|k| crate::sample(id, k, t0, 1000)).collect();
        app.store().insert_metrics(&chunk).await.unwrap();
        i += n;
    }
    app.store().checkpoint().await.unwrap();
    println!("(filled in {:.1} s)", t.elapsed().as_secs_f64());
    let path = app.store().path().to_owned();
    println!("| window | request to SVG (median of 3) | bare scan of its rows | ratio |\n|---|---:|---:|---:|");
    for (label, span) in
        [("30 d", days * 86_400_000), ("7 d", 7 * 86_400_000), ("24 h", 86_400_000), ("1 h", 3_600_000)]
    {
        let span = span.min(rows * 1000);
        let since = end - span;
        let (mut ours, mut base) = (Vec::new(), Vec::new());
        for _ in 0..3 {
            let t = Instant::now();
            let chart = app.latency_chart("plant", since, Some(end), 1200, 400).await.unwrap();
            std::hint::black_box(chart.svg.len());
            ours.push(t.elapsed().as_secs_f64());
            let c = crate::rusqlite_open(&path);
            let t = Instant::now();
            let mut st = c
                .prepare("SELECT at, latency_us FROM request_metrics WHERE connection_id = ? AND at >= ? AND at < ?")
                .unwrap();
            let mut it = st.query(rusqlite::params![id, since, end]).unwrap();
            let mut sum = 0i64;
            while let Some(r) = it.next().unwrap() {
                sum = sum.wrapping_add(r.get::<_, i64>(0).unwrap() ^ r.get::<_, i64>(1).unwrap());
            }
            std::hint::black_box(sum);
            base.push(t.elapsed().as_secs_f64());
        }
        let (o, b) = (crate::median(ours), crate::median(base));
        println!("| {label} | {:.1} ms | {:.1} ms | {:.2}x |", o * 1000.0, b * 1000.0, o / b);
    }
    app.close().await;
}
