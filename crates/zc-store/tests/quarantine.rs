//! A refusal that comes again after a retry is the same entry, one attempt more; once the stream
//! has got through since, a refusal at the same place is a new entry with its own first time.

use std::sync::Arc;
use zc_domain::ManualClock;
use zc_store::{ACTIVITY_STREAM, Audit, Store};

#[tokio::test]
async fn a_refusal_after_the_stream_got_through_is_a_new_entry_not_an_old_one_reopened() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(1_800_000_000_000);
    let store = Store::open(dir.path(), Arc::new(clock.clone())).await.unwrap();
    let who = Audit { actor: "user:admin".into(), device_id: None };
    store.record_activity(&who, "test.entry", "test", serde_json::json!({})).await.unwrap();

    store.quarantine(ACTIVITY_STREAM, 1, "broken", "entry 1 does not match").await.unwrap();
    let first = store.quarantined().await.unwrap().remove(0);
    clock.advance_ms(1000);
    store.retry_quarantined(first.id, &who).await.unwrap().expect("open entry");
    clock.advance_ms(1000);
    // Refused again straight after the retry: the same entry, two attempts.
    store.quarantine(ACTIVITY_STREAM, 1, "broken", "entry 1 does not match").await.unwrap();
    let again = store.quarantined().await.unwrap().remove(0);
    assert_eq!((again.id, again.attempts, again.first_failed_at), (first.id, 2, first.first_failed_at));

    // Retried, and this time it got through.
    clock.advance_ms(1000);
    store.retry_quarantined(again.id, &who).await.unwrap().expect("open entry");
    clock.advance_ms(1000);
    store.record_activity_pushed(1).await.unwrap();
    clock.advance_ms(60_000);
    store.quarantine(ACTIVITY_STREAM, 1, "secret", "entry 1 has metadata that names a secret").await.unwrap();
    let open = store.quarantined().await.unwrap();
    assert_eq!(open.len(), 1, "{open:?}");
    assert_ne!(open[0].id, first.id, "a new entry, not the old one reopened");
    assert_eq!((open[0].attempts, open[0].reason.as_str()), (1, "secret"));
    assert!(open[0].first_failed_at > first.first_failed_at);
}
