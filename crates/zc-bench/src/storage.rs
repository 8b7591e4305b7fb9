//! Storage per station per day: raw metrics plus point history, for the simulator's default
//! station (8 points) at the default probe interval, written through the monitor's own batch
//! path (metrics, point samples and the run's ledger in one transaction), against the data
//! design's budget of about 2 MB per station per day.

use std::sync::Arc;
use zc_domain::point::{PointBatch, PointSample, Quality};
use zc_domain::timefmt::parse_rfc3339_ms;
use zc_domain::{ConnectionKind, ConnectionSpec, ManualClock};
use zc_store::{RunCounts, Store};

/// The probe's reading of a points document (as zc-monitor parses it).
fn samples(doc: &str) -> Vec<PointSample> {
    let v: serde_json::Value = serde_json::from_str(doc).unwrap();
    v["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| PointSample {
            point: p["id"].as_str().unwrap().to_owned(),
            value: p["value"].as_f64().unwrap(),
            unit: p["unit"].as_str().unwrap().to_owned(),
            quality: Quality::parse_lenient(p["quality"].as_str().unwrap()),
            source_at: parse_rfc3339_ms(p["timestamp"].as_str().unwrap()),
        })
        .collect()
}

pub async fn bench_storage(days: i64) {
    let interval = zc_domain::connection::DEFAULT_INTERVAL_MS;
    println!(
        "\n## 5. Storage per station per day (metrics + point history, {days} simulated day(s) at {} s)",
        interval / 1000
    );
    let dir = tempfile::tempdir().unwrap();
    let t0 = 1_800_000_000_000i64;
    let clock = ManualClock::new(t0);
    let store = Store::open(dir.path(), Arc::new(clock.clone())).await.unwrap();
    let spec = ConnectionSpec::new("north-1", "http://127.0.0.1:9", ConnectionKind::Station).validate().unwrap();
    let audit = zc_store::Audit { actor: "bench".into(), device_id: None };
    let id = store.add_connection(&spec, &audit).await.unwrap().id;
    let (run, _) = store.open_run(1, &audit).await.unwrap();
    let script = zc_sim::StationScript::new("north-1", "k");
    let probes = days * 86_400_000 / interval;
    let (mut seq, mut i) = (1, 0);
    while i < probes {
        // The monitor writes about once a second: at 10 s probes, one probe per batch. Batches of
        // 60 write the same rows (the storage does not depend on it) in a fraction of the time.
        let n = (probes - i).min(60);
        let mut metrics = Vec::new();
        let mut points = Vec::new();
        for k in i..i + n {
            let at = t0 + k * interval;
            metrics.push(crate::sample(id, k, t0, interval));
            let doc = zc_sim::points_json("north-1", script.points, (k * interval) as f64 / 1000.0);
            points.push(PointBatch { connection_id: id, received_at: at + 25, samples: samples(&doc).into() });
        }
        clock.set_ms(t0 + (i + n) * interval);
        store.write_batch(run, seq, &metrics, &points, &[], RunCounts::default()).await.unwrap();
        seq += 1;
        i += n;
    }
    store.checkpoint().await.unwrap();
    let stats = store.table_stats().await.unwrap();
    let of = |t: &str| stats.iter().find(|s| s.table == t).map(|s| (s.rows, s.bytes)).unwrap_or((0, 0));
    let (m_rows, m_bytes) = of("request_metrics");
    let (h_rows, h_bytes) = of("point_history");
    let (_, p_bytes) = of("data_points");
    let per_day = |b: i64| b as f64 / days as f64 / 1e6;
    println!("| table | rows per day | MB per station per day |\n|---|---:|---:|");
    println!("| request_metrics (one row per request) | {} | {:.2} |", m_rows / days, per_day(m_bytes));
    println!(
        "| point_history ({} points, deadband + 10 min heartbeat; {:.1} % of samples kept) | {} | {:.2} |",
        script.points,
        h_rows as f64 / (probes * script.points as i64) as f64 * 100.0,
        h_rows / days,
        per_day(h_bytes)
    );
    println!("| data_points (latest values; does not grow) | - | {:.3} total |", p_bytes as f64 / 1e6);
    let total = per_day(m_bytes + h_bytes);
    println!("| **total** | | **{total:.2}** |");
    println!("budget (data design): about 2 MB per station per day; this is {:.0} % of it", total / 2.0 * 100.0);
    store.close().await;
}
