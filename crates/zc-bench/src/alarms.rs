//! A gateway outage: `n` stations behind one gateway fail within one probe interval. Measured:
//! how long the batches that carry the failures take to write and decide (the alarms are
//! decided in each batch's transaction), when the alarm list is settled, and how many alarms an
//! operator sees (goal: one per cause). Baseline: the same stations with no dependency declared,
//! which is what a monitor without root-cause suppression shows. Also the engine's steady cost
//! per pass (the monitor runs one a second) with nothing changing.

use std::sync::Arc;
use std::time::Instant;
use zc_domain::status::Transition;
use zc_domain::{Clock, ConnectionKind, ConnectionSpec, ManualClock, Status};
use zc_store::{AlarmFilter, RunCounts, StatusChange, Store};

fn change(id: i64, from: Status, to: Status, at: i64) -> StatusChange {
    StatusChange {
        connection_id: id,
        transition: Transition { from, to, at_ms: at, error_category: None, observer_offline: false },
        detail: None,
    }
}

struct Outcome {
    first_batch_ms: f64,
    second_batch_ms: f64,
    settled_ms: f64,
    visible: usize,
    rate: u32,
    flooding: bool,
    idle_pass_ms: f64,
}

async fn outage(n: i64, with_gateway: bool) -> Outcome {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(1_800_000_000_000);
    let store = Store::open(dir.path(), Arc::new(clock.clone())).await.unwrap();
    let audit = crate::audit();
    let add =
        |name: String| ConnectionSpec::new(&name, "http://127.0.0.1:9", ConnectionKind::Station).validate().unwrap();
    let gw = store.add_connection(&add("gateway".into()), &audit).await.unwrap().id;
    let mut ids = Vec::new();
    for i in 0..n {
        let id = store.add_connection(&add(format!("station-{i:04}")), &audit).await.unwrap().id;
        if with_gateway {
            store.set_dependency(id, "station", Some((gw, "gateway")), &audit).await.unwrap();
        }
        ids.push(id);
    }
    let (run, _) = store.open_run(1, &audit).await.unwrap();
    let now = clock.now_ms();
    let up: Vec<_> = std::iter::once(gw)
        .chain(ids.iter().copied())
        .map(|id| change(id, Status::Unknown, Status::Online, now))
        .collect();
    store.write_batch(run, 1, &[], &[], &up, RunCounts::default()).await.unwrap();
    // Idle cost of a pass with every connection up and nothing to change.
    let mut idle = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        store.evaluate_alarms().await.unwrap();
        idle.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    clock.advance_ms(10_000);
    // The stations' probes happen to confirm first for half of them; then the gateway's and the
    // rest's, one second later (one batch a second, as the monitor writes).
    let (first, rest) = ids.split_at(ids.len() / 2);
    let now = clock.now_ms();
    let a: Vec<_> = first.iter().map(|&id| change(id, Status::Online, Status::Offline, now)).collect();
    let started = Instant::now();
    let t = Instant::now();
    store.write_batch(run, 2, &[], &[], &a, RunCounts::default()).await.unwrap();
    let first_batch_ms = t.elapsed().as_secs_f64() * 1000.0;
    clock.advance_ms(1000);
    let now = clock.now_ms();
    let b: Vec<_> = std::iter::once(gw)
        .chain(rest.iter().copied())
        .map(|id| change(id, Status::Online, Status::Offline, now))
        .collect();
    let t = Instant::now();
    store.write_batch(run, 3, &[], &[], &b, RunCounts::default()).await.unwrap();
    let second_batch_ms = t.elapsed().as_secs_f64() * 1000.0;
    let listed = store.alarms(&AlarmFilter::default()).await.unwrap();
    let settled_ms = started.elapsed().as_secs_f64() * 1000.0;
    // Nothing more shows later (the waiting dependants stay under the gateway).
    clock.advance_ms(60_000);
    store.evaluate_alarms().await.unwrap();
    let visible = store.alarms(&AlarmFilter::default()).await.unwrap().len();
    assert_eq!(visible, listed.len(), "the list changed after it was read as settled");
    let flood = store.flood_status().await.unwrap();
    store.close().await;
    Outcome {
        first_batch_ms,
        second_batch_ms,
        settled_ms,
        visible,
        rate: flood.rate,
        flooding: flood.flooding,
        idle_pass_ms: crate::median(idle),
    }
}

pub async fn bench_gateway_outage(n: i64) {
    println!("\n## 9. Gateway outage: {n} stations behind one gateway fail within a second");
    println!(
        "| | alarms shown | annunciations / 10 min | flood banner | batch 1 ({} changes) | batch 2 ({} changes) | list settled after | idle pass |",
        n / 2,
        n - n / 2 + 1
    );
    println!("|---|---|---|---|---|---|---|---|");
    for (label, with_gateway) in [("no dependency declared (baseline)", false), ("behind their gateway", true)] {
        let o = outage(n, with_gateway).await;
        println!(
            "| {label} | {} | {} | {} | {:.1} ms | {:.1} ms | {:.1} ms | {:.2} ms |",
            o.visible,
            o.rate,
            if o.flooding { "yes" } else { "no" },
            o.first_batch_ms,
            o.second_batch_ms,
            o.settled_ms,
            o.idle_pass_ms
        );
    }
}
