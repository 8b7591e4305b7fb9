//! Throughput of the store's metrics write path by batch size (a diagnostic, not a benchmark).
use std::sync::Arc;
use std::time::Instant;
use zc_domain::probe::RequestMetric;
use zc_domain::{ConnectionKind, ConnectionSpec, Outcome, SystemClock};
use zc_store::{Audit, Store};

#[tokio::main]
async fn main() {
    for batch in [500usize, 2000, 4000, 200_000] {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), Arc::new(SystemClock)).await.unwrap();
        let spec = ConnectionSpec::new("b", "http://127.0.0.1:9", ConnectionKind::Http).validate().unwrap();
        let id = store.add_connection(&spec, &Audit { actor: "b".into(), device_id: None }).await.unwrap().id;
        let data: Vec<RequestMetric> = (0..200_000)
            .map(|i| RequestMetric {
                connection_id: id,
                at_ms: i,
                latency_us: i,
                http_status: Some(200),
                request_bytes: 1,
                response_bytes: 2,
                outcome: Outcome::Ok,
            })
            .collect();
        let t = Instant::now();
        for c in data.chunks(batch) {
            store.insert_metrics(c).await.unwrap();
        }
        println!("batch {batch}: {:.0} rows/s", 200_000.0 / t.elapsed().as_secs_f64());
    }
}
