//! The activity log reaches the centre exactly once and in order, its chain re-checked there:
//! duplicates are ignored, a broken, gapped or rewritten chain is refused and recorded.

// The tests' own statements (as the schema owner, or as an attacker would write them) are
// not the console's: sqlx's own constructors are fine here.
#![allow(clippy::disallowed_methods)]

mod common;

use common::{Centre, chain};
use zc_central::activity::{self, Rejection};
use zc_domain::activity::GENESIS_HASH;

async fn stored(centre: &Centre, console: uuid::Uuid) -> Vec<(i64, String)> {
    sqlx::query_as("SELECT seq, hash FROM central.activity_log WHERE console_id = $1 ORDER BY seq")
        .bind(console)
        .fetch_all(&centre.admin)
        .await
        .unwrap()
}

async fn rejections(centre: &Centre) -> Vec<(String, i64)> {
    sqlx::query_as("SELECT kind, seq FROM central.chain_rejections ORDER BY id").fetch_all(&centre.admin).await.unwrap()
}

#[tokio::test]
async fn a_batch_sent_twice_is_stored_once_and_the_centres_hash_agrees() {
    let centre = Centre::start().await;
    let t = centre.tenant("North", 1).await;
    let (id, pool) = (&t.consoles[0].id, &t.consoles[0].pool);
    let rows = chain(1, 50, GENESIS_HASH, "anna");
    let first = activity::push(pool, &rows).await.unwrap();
    assert_eq!((first.accepted, first.duplicates, first.head_seq, first.rejected.clone()), (50, 0, 50, None));
    assert_eq!(first.head_hash, rows[49].entry.hash);
    let again = activity::push(pool, &rows).await.unwrap();
    assert_eq!((again.accepted, again.duplicates, again.head_seq), (0, 50, 50));
    // A retry that overlaps what arrived: only the new part is stored.
    let more = chain(51, 10, &rows[49].entry.hash, "anna");
    let overlap: Vec<_> = rows[40..].iter().chain(more.iter()).cloned().collect();
    let o = activity::push(pool, &overlap).await.unwrap();
    assert_eq!((o.accepted, o.duplicates, o.head_seq), (10, 10, 60));
    let kept = stored(&centre, *id).await;
    assert_eq!(kept.len(), 60);
    assert!(kept.iter().enumerate().all(|(i, (seq, _))| *seq == i as i64 + 1), "in order, none twice");
    assert_eq!(activity::head(pool).await.unwrap(), (60, more[9].entry.hash.clone()));
    assert!(rejections(&centre).await.is_empty());
}

#[tokio::test]
async fn a_broken_chain_is_refused_whole_and_recorded() {
    let centre = Centre::start().await;
    let t = centre.tenant("North", 1).await;
    let (id, pool) = (&t.consoles[0].id, &t.consoles[0].pool);
    let mut rows = chain(1, 5, GENESIS_HASH, "anna");
    // Entry 4's metadata changed after it was hashed.
    rows[3].entry.metadata = r#"{"n":4,"note":"edited"}"#.into();
    let out = activity::push(pool, &rows).await.unwrap();
    let (kind, seq, detail) = out.rejected.expect("refused");
    assert_eq!((kind, seq, out.accepted), (Rejection::Broken, 4, 0));
    assert!(detail.contains("entry 4"), "{detail}");
    assert!(stored(&centre, *id).await.is_empty(), "nothing of a refused batch is stored");
    assert_eq!(rejections(&centre).await, vec![("broken".to_string(), 4)]);
    // An entry that does not link to the one before it.
    let rows = chain(1, 3, GENESIS_HASH, "anna");
    let stray = chain(3, 1, &"1".repeat(64), "anna");
    let out = activity::push(pool, &[rows[0].clone(), rows[1].clone(), stray[0].clone()]).await.unwrap();
    assert_eq!(out.rejected.map(|r| (r.0, r.1)), Some((Rejection::Broken, 3)));
}

#[tokio::test]
async fn entries_after_a_gap_are_refused() {
    let centre = Centre::start().await;
    let t = centre.tenant("North", 1).await;
    let (id, pool) = (&t.consoles[0].id, &t.consoles[0].pool);
    let rows = chain(1, 6, GENESIS_HASH, "anna");
    activity::push(pool, &rows[..3]).await.unwrap();
    let out = activity::push(pool, &rows[4..]).await.unwrap();
    assert_eq!(out.rejected.map(|r| (r.0, r.1)), Some((Rejection::Gap, 5)));
    assert_eq!(stored(&centre, *id).await.len(), 3);
    // The missing entry, then the rest, are taken.
    assert_eq!(activity::push(pool, &rows[3..]).await.unwrap().accepted, 3);
}

#[tokio::test]
async fn a_rewritten_log_is_refused_and_the_centre_keeps_the_first() {
    let centre = Centre::start().await;
    let t = centre.tenant("North", 1).await;
    let (id, pool) = (&t.consoles[0].id, &t.consoles[0].pool);
    let original = chain(1, 5, GENESIS_HASH, "anna");
    activity::push(pool, &original).await.unwrap();
    // The console's database was replaced and its log begun again: the same numbers, other entries.
    let rewritten = chain(1, 8, GENESIS_HASH, "mallory");
    let out = activity::push(pool, &rewritten).await.unwrap();
    let (kind, seq, detail) = out.rejected.expect("refused");
    assert_eq!((kind, seq), (Rejection::Rewritten, 1));
    assert!(detail.contains("rewritten"), "{detail}");
    let kept = stored(&centre, *id).await;
    assert_eq!(
        kept.iter().map(|r| r.1.clone()).collect::<Vec<_>>(),
        original.iter().map(|r| r.entry.hash.clone()).collect::<Vec<_>>()
    );
    // Nor does it get in by continuing from the centre's head with its own history.
    let tail = chain(6, 2, &rewritten[4].entry.hash, "mallory");
    assert_eq!(activity::push(pool, &tail).await.unwrap().rejected.map(|r| r.0), Some(Rejection::Broken));
    assert_eq!(rejections(&centre).await, vec![("rewritten".to_string(), 1), ("broken".to_string(), 6)]);
}

#[tokio::test]
async fn metadata_that_names_a_secret_is_refused() {
    let centre = Centre::start().await;
    let t = centre.tenant("North", 1).await;
    let pool = &t.consoles[0].pool;
    // The centre's quick look at the text must not be fooled by a letter written as an escape.
    for metadata in [
        r#"{"station":"Pump 3","headers":[{"X-Api-Key":"abc"}]}"#,
        r#"{"station":"Pump 3","headers":[{"X-Api-K\u0065y":"abc"}]}"#,
    ] {
        let mut rows = chain(1, 1, GENESIS_HASH, "anna");
        let content = zc_domain::activity::EntryContent {
            seq: 1,
            at_ms: rows[0].entry.at_ms,
            actor: "anna",
            device_id: None,
            action: "connection.edit",
            resource: "connection:1",
            metadata,
        };
        rows[0].entry.device_id = None;
        rows[0].entry.action = content.action.into();
        rows[0].entry.resource = content.resource.into();
        rows[0].entry.metadata = metadata.into();
        rows[0].entry.hash = zc_domain::activity::entry_hash(GENESIS_HASH, &content);
        let out = activity::push(pool, &rows).await.unwrap();
        assert_eq!(out.rejected.map(|r| r.0), Some(Rejection::Secret), "{metadata}");
    }
}

#[tokio::test]
async fn metadata_the_console_redacted_is_accepted() {
    let centre = Centre::start().await;
    let t = centre.tenant("North", 1).await;
    let pool = &t.consoles[0].pool;
    // What the console writes about keys: whether there is one, and a redacted value.
    let metadata = r#"{"has_key":true,"spec":{"metadata":{"api_token":"<redacted>"}}}"#;
    let mut rows = chain(1, 1, GENESIS_HASH, "anna");
    let content = zc_domain::activity::EntryContent {
        seq: 1,
        at_ms: rows[0].entry.at_ms,
        actor: "anna",
        device_id: rows[0].entry.device_id,
        action: "key.set",
        resource: "north-1",
        metadata,
    };
    rows[0].entry.action = content.action.into();
    rows[0].entry.resource = content.resource.into();
    rows[0].entry.metadata = metadata.into();
    rows[0].entry.hash = zc_domain::activity::entry_hash(GENESIS_HASH, &content);
    let out = activity::push(pool, &rows).await.unwrap();
    assert_eq!((out.rejected, out.accepted), (None, 1));
    // Still refused: a value that is not the marker, even a number.
    let found: Vec<String> = sqlx::query_scalar(
        r#"SELECT unnest(central.secret_fields('{"a":{"api_key":"<redacted> "},"pwd":1234,"has_key":true}'::jsonb))"#,
    )
    .fetch_all(&centre.admin)
    .await
    .unwrap();
    assert_eq!(found, vec!["/a/api_key".to_string(), "/pwd".to_string()]);
}

#[tokio::test]
async fn a_console_cannot_write_the_log_directly_and_a_removed_one_not_at_all() {
    let centre = Centre::start().await;
    let t = centre.tenant("North", 2).await;
    let pool = &t.consoles[0].pool;
    let err = sqlx::query("INSERT INTO central.activity_log (id, organisation_id, site_id, console_id, seq, at_ms, actor, action, resource, metadata, prev_hash, hash) VALUES (gen_random_uuid(), $1, $2, $3, 1, 0, 'x', 'x', 'x', '{}', 'x', 'x')")
        .bind(t.organisation)
        .bind(t.site)
        .bind(t.consoles[0].id)
        .execute(pool)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("permission denied"), "{err}");
    for sql in [
        "UPDATE central.activity_log SET actor = 'x'",
        "DELETE FROM central.activity_log",
        "UPDATE central.console_chains SET head_seq = 0",
    ] {
        let err = sqlx::query(sqlx::AssertSqlSafe(sql)).execute(pool).await.unwrap_err();
        assert!(err.to_string().contains("permission denied"), "{sql}: {err}");
    }
    let (removed, removed_pool) = (&t.consoles[1].id, &t.consoles[1].pool);
    zc_central::provision::remove_console(&centre.admin, *removed).await.unwrap();
    let err = activity::push(removed_pool, &chain(1, 1, GENESIS_HASH, "anna")).await.unwrap_err();
    assert!(err.to_string().contains("not a console of any site"), "{err}");
}

#[tokio::test]
async fn concurrent_pushes_of_one_console_store_each_entry_once() {
    let centre = Centre::start().await;
    let t = centre.tenant("North", 1).await;
    let c = &t.consoles[0];
    let id = &c.id;
    // Two connections of the same login (a pusher and its restarted self), racing on the same
    // batches, 20 rounds: the head lock serialises them, so nothing is stored twice or refused.
    let pool = &c.pool;
    let second = centre.connect(&c.login, &c.password).await;
    let all = chain(1, 200, GENESIS_HASH, "anna");
    for round in 0..20usize {
        let a = all[round * 10..round * 10 + 10].to_vec();
        let b = all[round * 10..round * 10 + 10].to_vec();
        let (p, q) = (pool.clone(), second.clone());
        let (x, y) = tokio::join!(activity::push(&p, &a), activity::push(&q, &b));
        let (x, y) = (x.unwrap(), y.unwrap());
        assert_eq!((x.accepted + y.accepted, x.duplicates + y.duplicates), (10, 10), "round {round}");
        assert!(x.rejected.is_none() && y.rejected.is_none());
    }
    assert_eq!(stored(&centre, *id).await.len(), 200);
}

#[tokio::test]
async fn a_batch_sent_to_follow_another_is_kept_only_when_it_extends_the_head() {
    let centre = Centre::start().await;
    let t = centre.tenant("North", 1).await;
    let (id, pool) = (&t.consoles[0].id, &t.consoles[0].pool);
    let rows = chain(1, 30, GENESIS_HASH, "anna");
    activity::push(pool, &rows[..10]).await.unwrap();
    // Its predecessor (11..=20) has not arrived: turned back, nothing kept, nothing recorded.
    let early = activity::push_after(pool, &rows[20..], Some(20)).await.unwrap();
    assert!(early.not_yet && early.rejected.is_none(), "{early:?}");
    assert_eq!(stored(&centre, *id).await.len(), 10);
    // A broken entry in a followed batch is not refused there either: the strict call does that.
    let mut broken = rows[10..20].to_vec();
    broken[4].entry.metadata = r#"{"edited":true}"#.into();
    assert!(activity::push_after(pool, &broken, Some(10)).await.unwrap().not_yet);
    // Sent to follow the head it does extend: kept.
    let out = activity::push_after(pool, &rows[10..20], Some(10)).await.unwrap();
    assert_eq!((out.accepted, out.head_seq, out.not_yet), (10, 20, false));
    // A resend of what the centre has is turned back too, and is a duplicate on its own.
    assert!(activity::push_after(pool, &rows[10..20], Some(10)).await.unwrap().not_yet);
    assert_eq!(activity::push(pool, &rows[10..20]).await.unwrap().duplicates, 10);
    assert!(rejections(&centre).await.is_empty());

    // Both at once on two connections, many times: the follower waits for its predecessor's
    // commit, so the pair lands whole, in order, whichever the server starts first.
    let rows = chain(21, 2000, &rows[19].entry.hash, "anna");
    let mut kept_together = 0;
    for pair in rows.chunks(200) {
        let (a, b) = pair.split_at(100);
        let (ra, rb) = tokio::join!(activity::push(pool, a), activity::push_after(pool, b, Some(a[99].entry.seq)));
        let (ra, rb) = (ra.unwrap(), rb.unwrap());
        assert_eq!(ra.accepted, 100);
        if rb.not_yet {
            assert_eq!(activity::push(pool, b).await.unwrap().accepted, 100);
        } else {
            kept_together += 1;
        }
    }
    let kept = stored(&centre, *id).await;
    assert_eq!(kept.len(), 2020);
    assert!(kept.iter().enumerate().all(|(i, (seq, _))| *seq == i as i64 + 1), "in order, none twice");
    assert_eq!(kept.last().unwrap().1, rows[1999].entry.hash);
    assert!(rejections(&centre).await.is_empty());
    eprintln!("followers kept together with their predecessor: {kept_together} of 10");
}

/// Why the soak checks commit order, not `received_at`: a follower whose transaction began
/// before its predecessor's (the server took it first) still waits for the predecessor and
/// commits after it, so the chain is taken in order while `received_at` (`now()`, the start of
/// the transaction) runs backwards across the boundary. The moment is forced, not timed: the
/// follower is held at its insert by a row the test keeps uncommitted, and the predecessor
/// is sent only once the server shows the follower waiting on it.
#[tokio::test]
async fn a_follower_that_began_first_is_still_taken_after_its_predecessor() {
    let centre = Centre::start().await;
    let t = centre.tenant("North", 1).await;
    let console = &t.consoles[0];
    let rows = chain(1, 20, GENESIS_HASH, "anna");
    let (a, b) = rows.split_at(10);
    let mut blocker = centre.admin.begin().await.unwrap();
    sqlx::query(
        "INSERT INTO central.activity_log (id, organisation_id, site_id, console_id, seq, at_ms, actor, action, \
         resource, metadata, prev_hash, hash) VALUES (gen_random_uuid(), $1, $2, $3, 11, 0, 'x', 'x', 'x', '{}', 'x', 'x')",
    )
    .bind(t.organisation)
    .bind(t.site)
    .bind(console.id)
    .execute(&mut *blocker)
    .await
    .unwrap();
    let follower = {
        let (pool, b) = (console.pool.clone(), b.to_vec());
        tokio::spawn(async move { activity::push_after(&pool, &b, Some(10)).await })
    };
    // The follower has begun, checked its rows and waits on the uncommitted one.
    loop {
        let waiting: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE usename = $1 AND wait_event_type = 'Lock')",
        )
        .bind(&console.login)
        .fetch_one(&centre.admin)
        .await
        .unwrap();
        if waiting {
            break;
        }
        // A poll of the server's own state, not a guess at how long the follower takes.
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    // On a second connection, as the pusher sends it.
    let second = centre.connect(&console.login, &console.password).await;
    assert_eq!(activity::push(&second, a).await.unwrap().accepted, 10, "the predecessor, sent second");
    blocker.rollback().await.unwrap();
    let out = follower.await.unwrap().unwrap();
    assert_eq!((out.accepted, out.head_seq, out.not_yet), (10, 20, false), "kept: it extends the head");
    let kept = stored(&centre, console.id).await;
    assert_eq!(kept.iter().map(|r| r.0).collect::<Vec<_>>(), (1..=20).collect::<Vec<i64>>());
    let backwards: bool = sqlx::query_scalar(
        "SELECT (SELECT received_at FROM central.activity_log WHERE console_id = $1 AND seq = 11) \
              < (SELECT received_at FROM central.activity_log WHERE console_id = $1 AND seq = 10)",
    )
    .bind(console.id)
    .fetch_one(&centre.admin)
    .await
    .unwrap();
    assert!(backwards, "received_at is when the follower's transaction began, before its predecessor's");
    assert!(rejections(&centre).await.is_empty());
}

#[tokio::test]
async fn secret_looking_metadata_is_redacted_in_the_journal_and_the_console_list() {
    let centre = Centre::start().await;
    let t = centre.tenant("North", 1).await;
    let console = t.consoles[0].id;
    sqlx::query(
        r#"UPDATE central.consoles SET metadata = '{"os":"Linux","update":{"api_key":"abc123"}}' WHERE id = $1"#,
    )
    .bind(console)
    .execute(&centre.admin)
    .await
    .unwrap();
    for (detail, kept) in [
        (
            r#"{"comment":"pump tripped","session_token":"s3cr3t"}"#,
            r#"{"comment": "pump tripped", "session_token": "[redacted]"}"#,
        ),
        (r#"{"comment":"pump tripped"}"#, r#"{"comment": "pump tripped"}"#),
        // An escaped letter is written out in jsonb's text, so it cannot hide the word.
        (r#"{"pass\u0077ord":"hunter2"}"#, r#"{"password": "[redacted]"}"#),
    ] {
        let stored: String = sqlx::query_scalar(
            "INSERT INTO central.alarm_journal (id, organisation_id, site_id, console_id, alarm, action, actor, at, reason, detail) \
             SELECT gen_random_uuid(), c.organisation_id, c.site_id, c.id, 'alarm/7', 'alarm.ack', 'user:anna', now(), '', $2::jsonb \
             FROM central.consoles c WHERE c.id = $1 RETURNING detail::text",
        )
        .bind(console)
        .bind(detail)
        .fetch_one(&centre.admin)
        .await
        .unwrap();
        assert_eq!(stored, kept);
    }
    let metadata: String = sqlx::query_scalar("SELECT metadata::text FROM central.consoles WHERE id = $1")
        .bind(console)
        .fetch_one(&centre.admin)
        .await
        .unwrap();
    assert_eq!(metadata, r#"{"os": "Linux", "update": {"api_key": "[redacted]"}}"#);
}
