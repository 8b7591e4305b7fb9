//! The console's feed: one monitor per data directory. A second console on the same directory
//! follows the first one's monitor live (through the database), says so, and takes over once
//! the lock is free.

use std::sync::Arc;
use std::time::Duration;
use zc_app::live::EventBatch;
use zc_app::zc_domain::{ConnectionKind, ConnectionSpec, Sensitive, SystemClock};
use zc_app::{App, Console, ConsoleEvent, ConsoleMode};
use zc_sim::{Simulator, StationScript};

/// Waits (bounded, so a regression fails instead of hanging) for an event that satisfies `want`.
async fn wait_for(
    rx: &mut tokio::sync::broadcast::Receiver<EventBatch>,
    want: impl Fn(&ConsoleEvent) -> bool,
) -> ConsoleEvent {
    let found = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            match rx.recv().await {
                Ok(batch) => {
                    if let Some(e) = batch.iter().find(|e| want(e)) {
                        return e.clone();
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(e) => panic!("the feed ended: {e}"),
            }
        }
    })
    .await;
    found.expect("the event did not come within 60 s")
}

fn is_mode(e: &ConsoleEvent, mode: ConsoleMode) -> bool {
    matches!(e, ConsoleEvent::Mode { state } if state.mode == mode)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_console_follows_the_running_monitor_and_takes_over() {
    let key = format!("k-{:x}", rand::random::<u64>());
    let sim = Simulator::start(vec![StationScript::new("plant", &key)]).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let first = Arc::new(App::open(dir.path(), Arc::new(SystemClock)).await.unwrap());
    first.sign_in_demo(zc_app::Client::Cli).await.unwrap();
    let mut spec = ConnectionSpec::new("plant", &sim.stations[0].url(), ConnectionKind::Station);
    spec.interval_ms = 200;
    spec.confirm = 1;
    let id = first.add_connection(spec).await.unwrap().id;
    first.set_key("plant", Sensitive::new(key.clone())).await.unwrap();

    let one = Console::start(first.clone());
    let mut rx1 = one.subscribe();
    wait_for(&mut rx1, |e| is_mode(e, ConsoleMode::Monitoring)).await;
    wait_for(
        &mut rx1,
        |e| matches!(e, ConsoleEvent::Points { connection_id, values } if *connection_id == id && !values.is_empty()),
    )
    .await;

    let second = Arc::new(App::open(dir.path(), Arc::new(SystemClock)).await.unwrap());
    second.sign_in_demo(zc_app::Client::Cli).await.unwrap();
    let two = Console::start(second.clone());
    let mut rx2 = two.subscribe();
    let ConsoleEvent::Mode { state } = wait_for(&mut rx2, |e| matches!(e, ConsoleEvent::Mode { .. })).await else {
        unreachable!()
    };
    assert_eq!(state.mode, ConsoleMode::Following, "{state:?}");
    assert!(state.detail.unwrap_or_default().contains("another monitor"), "it says why");
    // It shows the other monitor's data live: samples and point values as they are written.
    wait_for(&mut rx2, |e| matches!(e, ConsoleEvent::Sample { connection_id, .. } if *connection_id == id)).await;
    wait_for(&mut rx2, |e| matches!(e, ConsoleEvent::Points { connection_id, .. } if *connection_id == id)).await;

    // The first stops cleanly; the second takes over the monitoring.
    let report = one.stop().await.expect("the first console ran the monitor");
    assert!(report.error().is_none(), "{:?}", report.error());
    wait_for(&mut rx2, |e| is_mode(e, ConsoleMode::Monitoring)).await;
    wait_for(&mut rx2, |e| matches!(e, ConsoleEvent::Sample { connection_id, .. } if *connection_id == id)).await;
    let report = two.stop().await.expect("the second console ran the monitor after the first");
    assert!(report.error().is_none());
    assert!(report.account.rows_written > 0);
}
