//! The activity log travels from a real SQLite store to a real PostgreSQL centre: exactly once,
//! in order, through a crash between the two commits, an outage of the centre and a refusal.

mod common;

use std::sync::Arc;
use zc_domain::ManualClock;
use zc_store::{Audit, Store};
use zc_sync::failure::FailureKind;
use zc_sync::{Finish, activity};

const T0: i64 = 1_800_000_000_000;

struct World {
    centre: common::Centre,
    _dir: tempfile::TempDir,
    clock: ManualClock,
    store: Store,
}

async fn world() -> World {
    let centre = common::centre().await;
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(T0);
    let store = Store::open(dir.path(), Arc::new(clock.clone())).await.unwrap();
    World { centre, _dir: dir, clock, store }
}

async fn act(w: &World, n: usize) {
    let audit = Audit { actor: "anna".into(), device_id: None };
    for i in 0..n {
        w.clock.advance_ms(1000);
        w.store
            .record_activity(
                &audit,
                "alarm.acknowledge",
                &format!("alarm:{i}"),
                serde_json::json!({"note": "Pumpe läuft", "i": i}),
            )
            .await
            .unwrap();
    }
}

/// (seq, hash, global id) of every entry, at the centre and locally.
async fn centre_rows(w: &World) -> Vec<(i64, String, String)> {
    sqlx::query_as("SELECT seq, hash, id::text FROM central.activity_log WHERE console_id = $1 ORDER BY seq")
        .bind(w.centre.console_id)
        .fetch_all(&w.centre.admin)
        .await
        .unwrap()
}
async fn local_rows(w: &World) -> Vec<(i64, String, String)> {
    sqlx::query_as("SELECT seq, hash, global_id FROM activity_log ORDER BY seq")
        .fetch_all(w.store.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_log_kept_offline_arrives_once_and_in_order() {
    let w = world().await;
    act(&w, 1200).await;
    let local = local_rows(&w).await;
    let before = w.store.activity_sync_status().await.unwrap();
    assert_eq!(before.pending, local.len() as i64);
    assert!(before.oldest_pending_at.is_some());
    let r = activity::push(&w.store, &w.centre.console).await.unwrap();
    assert_eq!(r.finish, Finish::Drained);
    assert_eq!((r.accepted, r.duplicates), (local.len() as u64, 0));
    assert_eq!(r.batches, (local.len() as u64).div_ceil(activity::BATCH as u64));
    assert_eq!(centre_rows(&w).await, local, "the same entries, same ids, in order");
    let after = w.store.activity_sync_status().await.unwrap();
    assert_eq!((after.pending, after.oldest_pending_at, after.failures), (0, None, 0));
    assert_eq!(after.last_success_at, Some(zc_domain::Clock::now_ms(&w.clock)));
    assert_eq!(after.pushed_total, local.len() as i64);
    // Nothing pending: a second run sends nothing.
    let again = activity::push(&w.store, &w.centre.console).await.unwrap();
    assert_eq!((again.batches, again.accepted), (0, 0));
}

#[tokio::test]
async fn a_crash_between_the_centres_commit_and_the_local_mark_doubles_nothing() {
    let w = world().await;
    act(&w, 30).await;
    // The centre took the first 20 but the console died before marking them.
    let pending = w.store.unpushed_activity(20).await.unwrap();
    let rows: Vec<_> = pending
        .iter()
        .map(|p| zc_central::activity::ActivityRow { id: p.global_id.parse().unwrap(), entry: p.entry.clone() })
        .collect();
    zc_central::activity::push(&w.centre.console, &rows).await.unwrap();
    let r = activity::push(&w.store, &w.centre.console).await.unwrap();
    let total = local_rows(&w).await.len() as u64;
    assert_eq!((r.duplicates, r.accepted, r.finish), (20, total - 20, Finish::Drained));
    assert_eq!(centre_rows(&w).await, local_rows(&w).await);
}

#[tokio::test]
async fn with_the_centre_down_the_queue_waits_and_then_drains() {
    let w = world().await;
    act(&w, 10).await;
    w.centre.cluster.stop().unwrap();
    let r = activity::push(&w.store, &w.centre.console).await.unwrap();
    let Finish::Failed { kind, next_attempt_at, .. } = r.finish else { panic!("{r:?}") };
    assert_eq!(kind, FailureKind::Transient);
    assert!(next_attempt_at > zc_domain::Clock::now_ms(&w.clock));
    // Work goes on while it is down; a second failure waits longer (1 s then 2 s, jittered).
    act(&w, 5).await;
    let r = activity::push(&w.store, &w.centre.console).await.unwrap();
    let Finish::Failed { next_attempt_at: second, .. } = r.finish else { panic!("{r:?}") };
    assert!(second - zc_domain::Clock::now_ms(&w.clock) >= 2000, "backoff grows");
    let s = w.store.activity_sync_status().await.unwrap();
    assert_eq!(s.failures, 2);
    assert!(s.last_error.as_deref().unwrap_or("").contains("could not be reached"), "{s:?}");
    assert_eq!(s.pending, local_rows(&w).await.len() as i64, "nothing marked while down");
    w.centre.cluster.restart().unwrap();
    let r = activity::push(&w.store, &w.centre.console).await.unwrap();
    assert_eq!(r.finish, Finish::Drained);
    let s = w.store.activity_sync_status().await.unwrap();
    assert_eq!((s.pending, s.failures, s.next_attempt_at), (0, 0, None));
    assert_eq!(centre_rows(&w).await, local_rows(&w).await);
}

#[tokio::test]
async fn a_refused_entry_is_quarantined_and_holds_what_follows() {
    let w = world().await;
    act(&w, 10).await;
    let local = local_rows(&w).await;
    let bad = local[5].0;
    // Entry 6 altered after it was hashed (a damaged or tampered file).
    sqlx::query("UPDATE activity_log SET metadata = '{\"note\":\"edited\"}' WHERE seq = ?")
        .bind(bad)
        .execute(w.store.pool())
        .await
        .unwrap();
    let r = activity::push(&w.store, &w.centre.console).await.unwrap();
    assert_eq!(r.finish, Finish::Held { seq: bad });
    let q = w.store.quarantined().await.unwrap();
    assert_eq!(q.len(), 1);
    assert_eq!((q[0].first_seq, q[0].reason.as_str(), q[0].attempts), (bad, "broken", 1));
    assert!(q[0].detail.contains(&format!("entry {bad}")), "{}", q[0].detail);
    // The batch was refused whole; nothing after the refused entry is marked.
    let s = w.store.activity_sync_status().await.unwrap();
    assert_eq!((s.pending, s.quarantined), (local.len() as i64, 1));
    // The log reaches the centre whole and in order: a held entry cannot be discarded.
    let audit = Audit { actor: "anna".into(), device_id: None };
    let e = w.store.discard_quarantined(q[0].id, &audit).await.unwrap_err();
    assert_eq!(e.code, zc_domain::ErrorCode::InvalidInput);
    assert!(e.message.contains("cannot be discarded, only retried"), "{}", e.message);
    assert_eq!(w.store.quarantined().await.unwrap().len(), 1, "still held");
    assert!(centre_rows(&w).await.is_empty());
    // A held stream does not keep knocking.
    let r = activity::push(&w.store, &w.centre.console).await.unwrap();
    assert_eq!((r.batches, r.finish), (0, Finish::Held { seq: bad }));
}

#[tokio::test]
async fn a_refusal_in_a_later_batch_keeps_the_batches_before_it_marked() {
    // The pusher reads ahead and marks a batch while the next is at the centre: a refusal there
    // must still leave exactly the accepted batches marked, and nothing of the refused one.
    let w = world().await;
    act(&w, activity::BATCH as usize + 100).await;
    let local = local_rows(&w).await;
    let bad = local[activity::BATCH as usize + 5].0;
    sqlx::query("UPDATE activity_log SET metadata = '{\"note\":\"edited\"}' WHERE seq = ?")
        .bind(bad)
        .execute(w.store.pool())
        .await
        .unwrap();
    let r = activity::push(&w.store, &w.centre.console).await.unwrap();
    assert_eq!((r.batches, r.accepted, r.finish), (2, activity::BATCH as u64, Finish::Held { seq: bad }));
    assert_eq!(centre_rows(&w).await, local[..activity::BATCH as usize].to_vec());
    let s = w.store.activity_sync_status().await.unwrap();
    assert_eq!((s.pending, s.quarantined), (local.len() as i64 - activity::BATCH, 1));
}

#[tokio::test]
async fn a_removed_console_is_told_its_login_was_refused() {
    let w = world().await;
    act(&w, 3).await;
    zc_central::provision::remove_console(&w.centre.admin, w.centre.console_id).await.unwrap();
    let r = activity::push(&w.store, &w.centre.console).await.unwrap();
    let Finish::Failed { kind, message, .. } = r.finish else { panic!("{r:?}") };
    assert_eq!(kind, FailureKind::Login);
    assert!(message.contains("zc central connect"), "{message}");
    assert!(w.store.quarantined().await.unwrap().is_empty(), "not the entries' fault");
}

#[tokio::test]
async fn entries_an_older_console_wrote_without_a_global_id_still_travel() {
    let w = world().await;
    act(&w, 4).await;
    sqlx::query("UPDATE activity_log SET global_id = NULL WHERE seq > 2").execute(w.store.pool()).await.unwrap();
    let r = activity::push(&w.store, &w.centre.console).await.unwrap();
    assert_eq!(r.finish, Finish::Drained);
    let local = local_rows(&w).await;
    assert!(
        local.iter().all(|(_, _, id)| uuid::Uuid::parse_str(id).map(|u| u.get_version_num() == 7).unwrap_or(false))
    );
    assert_eq!(centre_rows(&w).await, local);
}
