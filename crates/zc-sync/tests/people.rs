//! People between a real SQLite console and a real PostgreSQL centre, where a second console of
//! the organisation (its own login) changes them: what an admin changed here reaches the centre;
//! a demotion or a disable made elsewhere reaches this console at its next contact (a disable
//! ends the person's sessions here at once); an offline change to a person the centre changed
//! since is dropped and recorded, never silently; passwords are checked by the centre, which no
//! console can read them from.

mod common;

use std::sync::Arc;
use uuid::Uuid;
use zc_central::people::{PasswordCheck, Person, PersonPush};
use zc_domain::user::{Profile, Role, SignInFailure, SignInPolicy};
use zc_domain::{ManualClock, Sensitive};
use zc_store::{Attempt, AttemptOrigin, Audit, Limits, PEOPLE_STREAM, Store};

const T0: i64 = 1_800_000_000_000;

struct World {
    centre: common::Centre,
    _dir: tempfile::TempDir,
    clock: ManualClock,
    store: Store,
    audit: Audit,
    other: sqlx::PgPool,
}

async fn world() -> World {
    let centre = common::centre().await;
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(T0);
    let store = Store::open(dir.path(), Arc::new(clock.clone())).await.unwrap();
    let audit = Audit { actor: "user:anna".into(), device_id: None };
    centre.link(&store, &audit, T0).await;
    let profile = Profile { display_name: Some("Anna".into()), ..Default::default() };
    store.create_user("anna", Role::Admin, &profile, "cred-anna", true, &audit).await.unwrap();
    let profile = Profile { display_name: Some("Olga".into()), ..Default::default() };
    store.create_user("olga", Role::Operator, &profile, "cred-olga", false, &audit).await.unwrap();
    let (other, _) = centre.other_console("control room 2").await;
    World { centre, _dir: dir, clock, store, audit, other }
}

/// Where a sign-in at this console comes from (the CLI, as a test).
fn origin() -> AttemptOrigin {
    AttemptOrigin {
        client: "cli".into(),
        hostname: "h".into(),
        os_user: "u".into(),
        os: "linux".into(),
        app_version: "0".into(),
        checked_by: None,
    }
}

fn password(s: &str) -> Sensitive<String> {
    Sensitive::new(s.to_owned())
}

impl World {
    async fn sync(&self) {
        self.clock.advance_ms(1000);
        let c = &self.centre;
        let r = zc_sync::push_all(&self.store, &c.console, c.console_id, &c.login, &self.audit).await.unwrap();
        let people = r.iter().find(|s| s.stream == PEOPLE_STREAM).expect("people are pushed");
        assert_eq!(people.finish, zc_sync::Finish::Drained, "{r:?}");
        if let Err(e) = zc_sync::people::pull(&self.store, &c.console, &self.audit).await {
            panic!("pull: {e:?}");
        }
    }

    /// A person as the centre holds them, with their version.
    async fn at_centre(&self, username: &str) -> (Person, i64) {
        let all = zc_central::people::people(&self.other).await.unwrap();
        let p = all.into_iter().find(|p| p.person.username == username).expect("at the centre");
        (p.person, p.version)
    }

    /// What the other console's admin does: a change from the centre's current version.
    async fn change_elsewhere(&self, username: &str, change: impl FnOnce(&mut Person)) {
        let (mut p, version) = self.at_centre(username).await;
        change(&mut p);
        let r = zc_central::people::push_person(&self.other, &p, Some(version)).await.unwrap();
        assert!(matches!(r, PersonPush::Stored { .. }), "{r:?}");
    }

    async fn session_of(&self, username: &str) -> String {
        let policy = SignInPolicy::default();
        let origin = origin();
        let Attempt::Try { user_id, .. } =
            self.store.begin_sign_in(username, &policy, Limits::Console, &origin, &self.audit).await.unwrap()
        else {
            panic!("{username} may try")
        };
        let token = format!("token-{username}");
        let s = self
            .store
            .finish_sign_in(user_id, username, true, Some((&token, "cli", 3_600_000)), &policy, &origin, &self.audit)
            .await
            .unwrap();
        assert!(s.is_some());
        token
    }

    async fn actions(&self, action: &str) -> Vec<serde_json::Value> {
        let rows: Vec<(String,)> = sqlx::query_as("SELECT metadata FROM activity_log WHERE action = ? ORDER BY seq")
            .bind(action)
            .fetch_all(self.store.pool())
            .await
            .unwrap();
        rows.iter().map(|(m,)| serde_json::from_str(m).unwrap()).collect()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_demotion_or_a_disable_made_elsewhere_counts_here_at_the_next_contact() {
    let w = world().await;
    assert_eq!(w.store.people_sync_status().await.unwrap().pending, 2, "both people wait to go");
    w.sync().await;
    assert_eq!(w.store.people_sync_status().await.unwrap().pending, 0);
    let (olga, _) = w.at_centre("olga").await;
    assert_eq!((olga.role.as_str(), olga.display_name.as_str()), ("operator", "Olga"));
    let token = w.session_of("olga").await;

    w.change_elsewhere("olga", |p| p.role = "engineer".into()).await;
    assert_eq!(w.store.session(&token).await.unwrap().unwrap().role, Role::Operator, "not before the contact");
    w.sync().await;
    assert_eq!(w.store.session(&token).await.unwrap().unwrap().role, Role::Engineer, "her next command sees it");
    assert_eq!(w.store.people_sync_status().await.unwrap().pending, 0, "the centre's copy is not sent back");

    w.change_elsewhere("olga", |p| p.disabled = true).await;
    w.sync().await;
    assert!(w.store.session(&token).await.unwrap().is_none(), "a disable ends her session here");
    let updates = w.actions("user.central_update").await;
    assert_eq!(updates.last().unwrap()["sessions_ended"], 1, "{updates:?}");
    assert!(w.store.user("olga").await.unwrap().disabled_at.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offline_change_to_a_person_changed_at_the_centre_since_is_dropped_and_recorded() {
    let w = world().await;
    w.sync().await;
    w.change_elsewhere("olga", |p| p.display_name = "Olga K.".into()).await;
    // Offline here: an admin edits her profile too.
    let mine = Profile { display_name: Some("Olga Kowalski".into()), ..Default::default() };
    w.store.set_profile("olga", &mine, &w.audit).await.unwrap();
    assert_eq!(w.store.people_sync_status().await.unwrap().pending, 1);
    w.sync().await;
    let dropped = w.actions("user.edit_superseded").await;
    assert_eq!(dropped.len(), 1, "{dropped:?}");
    assert_eq!(
        dropped[0]["dropped"]["profile"]["display_name"], "Olga Kowalski",
        "what was dropped is kept in the log"
    );
    assert_eq!(w.store.user("olga").await.unwrap().profile.display_name.as_deref(), Some("Olga K."));
    assert_eq!(w.at_centre("olga").await.0.display_name, "Olga K.", "the centre's stands");
    assert_eq!(w.store.people_sync_status().await.unwrap().pending, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_the_centre_already_holds_is_stored_not_superseded_and_does_not_come_back() {
    let w = world().await;
    w.sync().await;
    w.store.set_role("olga", Role::Engineer, &w.audit).await.unwrap();
    // The centre took this very change, but the console stopped before it recorded so (a kill
    // after the centre's commit): the centre is one version past the console's base.
    w.change_elsewhere("olga", |p| p.role = "engineer".into()).await;
    let (_, version) = w.at_centre("olga").await;
    w.sync().await;
    assert!(w.actions("user.edit_superseded").await.is_empty(), "nothing was dropped: the centre has it");
    let updates = w.actions("user.central_update").await;
    assert!(updates.is_empty(), "its own change is not another's: {updates:?}");
    let (now, version_now) = w.at_centre("olga").await;
    assert_eq!((now.role.as_str(), version_now), ("engineer", version), "stored once, not again");
    assert_eq!(w.store.people_sync_status().await.unwrap().pending, 0);
    w.sync().await;
    assert!(w.actions("user.central_update").await.is_empty(), "nor at the next contact");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_centre_checks_passwords_and_no_console_reads_them() {
    let w = world().await;
    w.sync().await;
    let (olga, _) = w.at_centre("olga").await;
    let c = &w.centre.console;
    let set_at = T0 + 10_000;
    assert!(zc_central::people::set_password(c, olga.id, &password("first-Passw0rd"), set_at).await.unwrap());
    let other = &w.other;
    let check = async |p: &'static str, local: Option<i64>| {
        zc_central::people::sign_in(other, "olga", &password(p), local).await.unwrap()
    };
    assert_eq!(
        check("first-Passw0rd", None).await,
        PasswordCheck::Ok { user: olga.id },
        "any console of the organisation"
    );
    assert_eq!(check("wrong-Passw0rd", None).await, PasswordCheck::Wrong { wait_ms: 0 });
    assert_eq!(check("newer-Passw0rd", Some(set_at + 1)).await, PasswordCheck::Stale { user: olga.id });
    assert_eq!(
        check("newer-Passw0rd", Some(set_at - 1)).await,
        PasswordCheck::Wrong { wait_ms: 0 },
        "an older one is just wrong"
    );
    // An older password set offline does not replace a newer one.
    assert!(!zc_central::people::set_password(c, olga.id, &password("older-Passw0rd"), set_at - 5).await.unwrap());
    assert_eq!(check("first-Passw0rd", None).await, PasswordCheck::Ok { user: olga.id });
    let anna = w.at_centre("anna").await.0;
    let r = zc_central::people::sign_in(c, "anna", &password("anything-1"), None).await.unwrap();
    assert_eq!(r, PasswordCheck::NoPassword { user: anna.id });
    assert_eq!(zc_central::people::sign_in(c, "nobody", &password("x"), None).await.unwrap(), PasswordCheck::Unknown);

    // Another organisation's console knows nobody of this one, and sets nothing for them.
    let south = zc_central::provision::create_organisation(&w.centre.admin, "South").await.unwrap();
    let site = zc_central::provision::create_site(&w.centre.admin, south, "South plant").await.unwrap();
    let made = zc_central::provision::provision_console(&w.centre.admin, site, "south 1").await.unwrap();
    let stranger = zc_central::console_pool(&w.centre.url, &made.login, &made.password).unwrap();
    let r = zc_central::people::sign_in(&stranger, "olga", &password("first-Passw0rd"), None).await.unwrap();
    assert_eq!(r, PasswordCheck::Unknown);
    assert!(
        zc_central::people::set_password(&stranger, olga.id, &password("taken-Passw0rd"), set_at + 99).await.is_err()
    );
    assert_eq!(check("first-Passw0rd", None).await, PasswordCheck::Ok { user: olga.id });
    // No console reads a hash, not even its own organisation's.
    let e = sqlx::query("SELECT password_hash FROM central.user_credentials").fetch_all(c).await.unwrap_err();
    assert!(e.to_string().contains("permission denied"), "{e}");
}

/// Until two sign-ins at the centre wait on a row lock (a poll of the server's own state, not a
/// guess at how long an attempt takes); a deadline only so that a broken lock fails the test
/// instead of hanging it.
async fn both_wait_on_a_lock<T>(w: &World, a: &tokio::task::JoinHandle<T>, b: &tokio::task::JoinHandle<T>) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        assert!(!a.is_finished() && !b.is_finished(), "an attempt did not wait for the held row");
        assert!(std::time::Instant::now() < deadline, "the attempts never waited on the held row");
        let waiting: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%central.sign_in(%'",
        )
        .fetch_one(&w.centre.admin)
        .await
        .unwrap();
        if waiting >= 2 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}

/// The centre's wait after a failure has passed (the centre's clock, moved by its owner: the
/// tests do not sleep).
async fn wait_out(w: &World, user: Uuid) {
    sqlx::query("UPDATE central.user_credentials SET next_attempt_at = now() - interval '1 ms' WHERE user_id = $1")
        .bind(user)
        .execute(&w.centre.admin)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_sign_ins_count_at_the_centre_across_consoles_and_an_unlock_from_any_console_ends_the_lock() {
    let w = world().await;
    w.sync().await;
    let (olga, _) = w.at_centre("olga").await;
    let (here, other) = (&w.centre.console, &w.other);
    assert!(zc_central::people::set_password(here, olga.id, &password("right-Passw0rd"), T0).await.unwrap());
    let check = async |pool: &sqlx::PgPool, p: &'static str| {
        zc_central::people::sign_in(pool, "olga", &password(p), None).await.unwrap()
    };
    // Guesses from two consoles add up: the waits of a console's policy, then the lock at 10.
    let mut waits = Vec::new();
    for n in 1..=9 {
        let console = if n % 2 == 0 { other } else { here };
        match check(console, "guess-Passw0rd").await {
            PasswordCheck::Wrong { wait_ms } => waits.push(wait_ms),
            r => panic!("failure {n}: {r:?}"),
        }
        if n == 3 {
            // Too soon: even the right password is not checked, on the other console too.
            assert!(
                matches!(check(other, "right-Passw0rd").await, PasswordCheck::Backoff { wait_ms } if wait_ms > 0 && wait_ms <= 2_000)
            );
        }
        wait_out(&w, olga.id).await;
    }
    assert_eq!(waits, [0, 0, 2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 128_000]);
    assert_eq!(check(other, "guess-Passw0rd").await, PasswordCheck::Locked, "the tenth failure locks");
    wait_out(&w, olga.id).await;
    assert_eq!(check(here, "right-Passw0rd").await, PasswordCheck::Locked, "a locked person's password is not checked");

    // An unlock made an hour before the lock (sent late) does not end it.
    let now_ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
    assert!(!zc_central::people::unlock_person(other, olga.id, now_ms - 3_600_000).await.unwrap());
    assert_eq!(check(here, "right-Passw0rd").await, PasswordCheck::Locked, "locked after that unlock");
    // An admin's unlock from the other console ends it for every console.
    assert!(zc_central::people::unlock_person(other, olga.id, now_ms).await.unwrap());
    assert_eq!(check(here, "right-Passw0rd").await, PasswordCheck::Ok { user: olga.id });
    assert_eq!(check(here, "guess-Passw0rd").await, PasswordCheck::Wrong { wait_ms: 0 }, "counted from zero again");

    // A new password ends the count too.
    for _ in 0..2 {
        check(other, "guess-Passw0rd").await;
    }
    assert!(zc_central::people::set_password(other, olga.id, &password("new-Passw0rd"), T0 + 1).await.unwrap());
    let counted: (i32, bool) =
        sqlx::query_as("SELECT failed_count, next_attempt_at IS NULL FROM central.user_credentials WHERE user_id = $1")
            .bind(olga.id)
            .fetch_one(&w.centre.admin)
            .await
            .unwrap();
    assert_eq!(counted, (0, true), "a new password ends the count and the wait");
    assert_eq!(check(here, "new-Passw0rd").await, PasswordCheck::Ok { user: olga.id });

    // The organisation's only admin is never locked: their waits keep growing instead.
    let (anna, _) = w.at_centre("anna").await;
    assert!(zc_central::people::set_password(here, anna.id, &password("admin-Passw0rd"), T0).await.unwrap());
    for n in 1..=12 {
        let r = zc_central::people::sign_in(here, "anna", &password("guess-Passw0rd"), None).await.unwrap();
        assert!(matches!(r, PasswordCheck::Wrong { .. }), "failure {n}: {r:?}");
        wait_out(&w, anna.id).await;
    }
    let r = zc_central::people::sign_in(other, "anna", &password("admin-Passw0rd"), None).await.unwrap();
    assert_eq!(r, PasswordCheck::Ok { user: anna.id });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_admins_guessed_at_the_same_moment_do_not_both_lock() {
    let w = world().await;
    let profile = Profile { display_name: Some("Bert".into()), ..Default::default() };
    w.store.create_user("bert", Role::Admin, &profile, "cred-bert", false, &w.audit).await.unwrap();
    w.sync().await;
    let (anna, bert) = (w.at_centre("anna").await.0, w.at_centre("bert").await.0);
    for id in [anna.id, bert.id] {
        assert!(zc_central::people::set_password(&w.other, id, &password("admin-Passw0rd"), T0).await.unwrap());
    }
    // Both at nine failures, their rows held so that both tenth guesses reach the lock decision
    // together: each, deciding alone, would see the other still unlocked.
    let mut holder = w.centre.admin.begin().await.unwrap();
    sqlx::query("UPDATE central.user_credentials SET failed_count = 9 WHERE user_id = ANY($1)")
        .bind(vec![anna.id, bert.id])
        .execute(&mut *holder)
        .await
        .unwrap();
    let guess = |pool: sqlx::PgPool, who: &'static str| {
        tokio::spawn(async move { zc_central::people::sign_in(&pool, who, &password("guess-Passw0rd"), None).await })
    };
    let (a, b) = (guess(w.centre.console.clone(), "anna"), guess(w.other.clone(), "bert"));
    both_wait_on_a_lock(&w, &a, &b).await;
    holder.commit().await.unwrap();
    let answers = [a.await.unwrap().unwrap(), b.await.unwrap().unwrap()];
    let locked = answers.iter().filter(|r| **r == PasswordCheck::Locked).count();
    assert_eq!(locked, 1, "one admin is left to unlock the other: {answers:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lock_this_console_counted_holds_when_the_centre_answers_and_a_copied_one_gives_way() {
    let w = world().await;
    let origin = origin();
    let policy = SignInPolicy::default();
    let lock = |by_centre: i64| {
        sqlx::query(
            "UPDATE user_credentials SET locked_at = 1, locked_by_centre = ? \
             WHERE user_id = (SELECT id FROM users WHERE username = 'olga')",
        )
        .bind(by_centre)
        .execute(w.store.pool())
    };
    let attempt = async |limits| w.store.begin_sign_in("olga", &policy, limits, &origin, &w.audit).await.unwrap();
    let locked = Attempt::Refused { reason: SignInFailure::Locked, wait_ms: 0 };
    // Locked by this console's own count (guesses while the centre was away): it holds even
    // when the centre answers, which never saw those guesses.
    lock(0).await.unwrap();
    assert_eq!(attempt(Limits::Central).await, locked);
    // A copy of the centre's lock gives way to the centre's word, and holds offline.
    lock(1).await.unwrap();
    assert!(matches!(attempt(Limits::Central).await, Attempt::Try { .. }));
    assert_eq!(attempt(Limits::Console).await, locked);

    // The centre's lock of this console's only admin is not copied: offline, nobody would be
    // left to unlock anyone.
    w.store.record_central_refusal("anna", SignInFailure::Locked, 0, &origin, &w.audit).await.unwrap();
    assert_eq!(w.store.user("anna").await.unwrap().locked_at, None);
    w.store.record_central_refusal("olga", SignInFailure::Backoff, 2_000, &origin, &w.audit).await.unwrap();
    // Every refusal is recorded: the two here, then the centre's two.
    let reasons: Vec<String> =
        w.actions("auth.sign_in_failed").await.iter().map(|m| m["reason"].as_str().unwrap().to_owned()).collect();
    assert_eq!(reasons, ["locked", "locked", "locked", "backoff"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unlock_made_while_the_centre_was_away_reaches_it_with_the_next_push() {
    let w = world().await;
    w.sync().await;
    let (olga, _) = w.at_centre("olga").await;
    assert!(zc_central::people::set_password(&w.other, olga.id, &password("right-Passw0rd"), T0).await.unwrap());
    sqlx::query("UPDATE central.user_credentials SET failed_count = 10, locked_at = now() WHERE user_id = $1")
        .bind(olga.id)
        .execute(&w.centre.admin)
        .await
        .unwrap();
    // The admin's unlock here, with nothing sent yet: it waits in the store.
    w.store.unlock_user("olga", &w.audit).await.unwrap();
    assert_eq!(w.store.central_unlocks_pending().await.unwrap().len(), 1);
    let check = zc_central::people::sign_in(&w.other, "olga", &password("right-Passw0rd"), None).await.unwrap();
    assert_eq!(check, PasswordCheck::Locked, "not at the centre before the push");
    w.sync().await;
    assert!(w.store.central_unlocks_pending().await.unwrap().is_empty(), "sent once");
    let check = zc_central::people::sign_in(&w.other, "olga", &password("right-Passw0rd"), None).await.unwrap();
    assert_eq!(check, PasswordCheck::Ok { user: olga.id }, "unlocked for every console");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_consoles_guessing_at_the_same_moment_are_both_counted() {
    let w = world().await;
    w.sync().await;
    let (olga, _) = w.at_centre("olga").await;
    assert!(zc_central::people::set_password(&w.other, olga.id, &password("right-Passw0rd"), T0).await.unwrap());
    // Hold olga's count so that both attempts reach it before either has counted: without the
    // centre's row lock, both would read 0 and write 1.
    let mut holder = w.centre.admin.begin().await.unwrap();
    sqlx::query("SELECT failed_count FROM central.user_credentials WHERE user_id = $1 FOR UPDATE")
        .bind(olga.id)
        .execute(&mut *holder)
        .await
        .unwrap();
    let guess = |pool: sqlx::PgPool| {
        tokio::spawn(async move {
            zc_central::people::sign_in(&pool, "olga", &password("guess-Passw0rd"), None).await.unwrap()
        })
    };
    let (a, b) = (guess(w.centre.console.clone()), guess(w.other.clone()));
    both_wait_on_a_lock(&w, &a, &b).await;
    holder.commit().await.unwrap();
    assert_eq!(a.await.unwrap(), PasswordCheck::Wrong { wait_ms: 0 });
    assert_eq!(b.await.unwrap(), PasswordCheck::Wrong { wait_ms: 0 });
    // The third failure is the first that brings a wait: both of the first two counted.
    let r = zc_central::people::sign_in(&w.other, "olga", &password("guess-Passw0rd"), None).await.unwrap();
    assert_eq!(r, PasswordCheck::Wrong { wait_ms: 2_000 });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_made_on_another_console_arrives_here_and_waits_for_a_sign_in_the_centre_answers() {
    let w = world().await;
    w.sync().await;
    let id = Uuid::now_v7();
    let p = Person {
        id,
        username: "erik".into(),
        role: "engineer".into(),
        disabled: false,
        display_name: "Erik".into(),
        company: String::new(),
        email: String::new(),
        phone: String::new(),
        time_zone: Some("Europe/Berlin".into()),
        language: None,
        desktop: true,
        min_priority: "high".into(),
        quiet_from: None,
        quiet_to: None,
    };
    assert!(matches!(zc_central::people::push_person(&w.other, &p, None).await.unwrap(), PersonPush::Stored { .. }));
    // The same name made offline here is the centre's person once the centre has it.
    assert_eq!(
        zc_central::people::push_person(&w.other, &Person { id: Uuid::now_v7(), ..p.clone() }, None).await.unwrap(),
        PersonPush::NameTaken
    );
    w.sync().await;
    let erik = w.store.user("erik").await.unwrap();
    assert_eq!(erik.role, Role::Engineer);
    assert_eq!(erik.profile.timezone.as_deref(), Some("Europe/Berlin"));
    let (global, pending) = w.store.central_password_state(erik.id).await.unwrap();
    assert_eq!(global, id.to_string());
    assert_eq!(pending, None, "the centre has his password; nothing waits to go there");
    assert_eq!(w.store.people_sync_status().await.unwrap().pending, 0, "he is not sent back");
}
