//! Sign-in without network: failures wait longer, then lock; parallel attempts cannot outrun the
//! wait; sessions expire. Time comes from a `ManualClock`, so nothing sleeps. Needs the OS
//! keyring (the hashes live there): `cargo xtask test` starts one.

use std::sync::Arc;
use zc_app::zc_domain::user::{Profile, SignInPolicy};
use zc_app::zc_domain::{Capability, ErrorCode, ManualClock, Role, Sensitive};
use zc_app::{App, Client, NewUser, SESSION_MS};

const T0: i64 = 1_800_000_000_000;
const RIGHT: &str = "operator pass phrase";

fn pw(s: &str) -> Sensitive<String> {
    Sensitive::new(s.to_owned())
}

async fn console() -> (tempfile::TempDir, Arc<ManualClock>, App) {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(T0));
    let app = App::open(dir.path(), clock.clone()).await.unwrap();
    let admin = NewUser {
        username: "admin".into(),
        role: Role::Admin,
        profile: Profile::default(),
        password: pw("quiet console phrase"),
    };
    app.create_first_admin(admin).await.unwrap();
    app.sign_in("admin", &pw("quiet console phrase"), Client::Desktop).await.unwrap();
    let olga =
        NewUser { username: "olga".into(), role: Role::Operator, profile: Profile::default(), password: pw(RIGHT) };
    app.add_user(olga).await.unwrap();
    app.sign_out().await.unwrap();
    (dir, clock, app)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_wait_longer_then_lock_until_an_admin_unlocks() {
    let (_dir, clock, app) = console().await;
    let policy = SignInPolicy::default();
    for n in 1..=policy.lock_after {
        let e = app.sign_in("olga", &pw("wrong guess"), Client::Desktop).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::SignInRefused);
        if n < policy.lock_after {
            let wait = policy.delay_after(n);
            if wait > 0 {
                // Even the right password waits, and trying does not count as another failure.
                let e = app.sign_in("olga", &pw(RIGHT), Client::Desktop).await.unwrap_err();
                assert!(e.message.contains("too many failed attempts"), "{n}: {}", e.message);
                clock.advance_ms(wait);
            }
        }
    }
    let e = app.sign_in("olga", &pw(RIGHT), Client::Desktop).await.unwrap_err();
    assert!(e.message.contains("locked"), "{}", e.message);
    clock.advance_ms(24 * 3_600_000);
    assert!(
        app.sign_in("olga", &pw(RIGHT), Client::Desktop).await.unwrap_err().message.contains("locked"),
        "a lock does not time out"
    );
    app.sign_in("admin", &pw("quiet console phrase"), Client::Desktop).await.unwrap();
    let u = app.unlock_user("olga").await.unwrap();
    assert_eq!((u.failed_count, u.locked_at), (0, None));
    let s = app.sign_in("olga", &pw(RIGHT), Client::Desktop).await.unwrap();
    assert_eq!(s.role, Role::Operator);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attempts_in_parallel_cannot_outrun_the_wait() {
    let (_dir, _clock, app) = console().await;
    let app = Arc::new(app);
    // Two failures: the next one brings the first wait. Ten guesses at the same instant: one is
    // checked, the other nine find it counted and wait.
    for _ in 0..2 {
        app.sign_in("olga", &pw("wrong guess"), Client::Desktop).await.unwrap_err();
    }
    let guesses: Vec<_> = (0..10)
        .map(|i| {
            let app = app.clone();
            tokio::spawn(async move { app.sign_in("olga", &pw(&format!("guess {i}")), Client::Desktop).await })
        })
        .collect();
    let mut checked = 0;
    for g in guesses {
        let e = g.await.unwrap().unwrap_err();
        if !e.message.contains("too many failed attempts") {
            checked += 1;
        }
    }
    assert_eq!(checked, 1, "exactly one of the parallel guesses was checked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_ends_after_a_shift_and_every_command_then_says_so() {
    let (_dir, clock, app) = console().await;
    app.sign_in("olga", &pw(RIGHT), Client::Desktop).await.unwrap();
    app.alarms(&Default::default()).await.unwrap();
    let e = app
        .list_widgets(None)
        .await
        .map(|_| ())
        .and(app.set_retention("request_metrics", 86_400_000).await.map(|_| ()));
    assert_eq!(e.unwrap_err().code, ErrorCode::Forbidden);
    clock.advance_ms(SESSION_MS);
    let e = app.alarms(&Default::default()).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::SignedOut);
    assert!(app.signed_in().is_none());
    // The refusal needed the admin role and was recorded as such.
    app.sign_in("admin", &pw("quiet console phrase"), Client::Desktop).await.unwrap();
    let log = app.log(0, 1000).await.unwrap();
    let refused = log.iter().find(|e| e.action == "auth.forbidden").expect("the refusal is recorded");
    assert!(refused.metadata.contains(Capability::Retention.as_str()), "{}", refused.metadata);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_last_admin_is_never_locked_out_and_no_token_is_stored() {
    let (_dir, clock, app) = console().await;
    // Anyone at the console guessing the only admin's password: the waits grow, no lock.
    let policy = SignInPolicy::default();
    for n in 1..=policy.lock_after + 2 {
        app.sign_in("admin", &pw("wrong guess"), Client::Desktop).await.unwrap_err();
        clock.advance_ms(policy.delay_after(n));
    }
    let s = app.sign_in("admin", &pw("quiet console phrase"), Client::Desktop).await.unwrap();
    // Olga, an operator, is locked by the same guesses.
    for n in 1..=policy.lock_after {
        app.sign_in("olga", &pw("wrong guess"), Client::Desktop).await.unwrap_err();
        clock.advance_ms(policy.delay_after(n));
    }
    assert!(app.sign_in("olga", &pw(RIGHT), Client::Desktop).await.unwrap_err().message.contains("locked"));
    // The database keeps a digest of each session's token, never the token.
    let stored: Vec<String> =
        sqlx::query_scalar("SELECT id FROM sessions").fetch_all(app.store().pool()).await.unwrap();
    assert!(!stored.is_empty());
    assert!(!stored.contains(&s.id), "the token itself is not in the database");
    assert!(stored.contains(&zc_app::zc_domain::user::session_digest(&s.id)));
}
