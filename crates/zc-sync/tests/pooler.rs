//! A console behind PgBouncer in transaction mode, the pooler an organisation with many
//! consoles puts in front of its server (Supabase's Supavisor pools the same way): a whole
//! sync round, every stream pushed and pulled, arrives as it does on a direct connection.
//!
//! The pooler hands out the least recently used server connection (`server_round_robin`), so
//! two consecutive transactions of the console always land on different server connections:
//! anything a call leaves on a server connection for the next one (a prepared statement, a
//! statement parsed in one transaction and run in the next) fails here every time, not once in
//! a while under load. Each of the two ways a console could leave something behind is seen to
//! fail this test: a statement kept under a name ("prepared statement \"sqlx_s_1\" already
//! exists" from the second client) and a call outside a transaction of its own ("unnamed
//! prepared statement does not exist").

mod common;

use std::sync::Arc;
use zc_central::pooler::{Pooler, PoolerLimits};
use zc_domain::connection::ConnectionSpec;
use zc_domain::user::{Profile, Role};
use zc_domain::{ConnectionKind, ManualClock};
use zc_store::{Audit, RunCounts, Store};
use zc_sync::Finish;

const T0: i64 = 1_800_000_000_000;

#[tokio::test]
async fn a_whole_sync_round_through_a_transaction_pooler_arrives_as_it_does_direct() {
    let centre = common::centre().await;
    let pooler =
        Pooler::start(&centre.cluster, "zc", PoolerLimits { per_login: 2, in_all: 4, round_robin: true }).unwrap();
    let made = zc_central::provision::provision_console(&centre.admin, centre.site, "behind the pooler").await.unwrap();
    let url = format!("postgres://127.0.0.1:{}/zc", pooler.port());
    let console = zc_central::console_pool(&url, &made.login, &made.password).unwrap();
    // Two transactions open at once make the pooler open two server connections for the login;
    // from then on round robin alternates them.
    let (mut a, mut b) = (console.begin().await.unwrap(), console.begin().await.unwrap());
    let mut backends = Vec::new();
    for tx in [&mut a, &mut b] {
        let row = sqlx::raw_sql("SELECT pg_backend_pid()").fetch_one(&mut **tx).await.unwrap();
        backends.push(sqlx::Row::get::<i32, _>(&row, 0));
    }
    a.commit().await.unwrap();
    b.commit().await.unwrap();
    assert_ne!(backends[0], backends[1], "two server connections behind the pooler");

    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(T0);
    let store = Store::open(dir.path(), Arc::new(clock.clone())).await.unwrap();
    let audit = Audit { actor: "user:anna".into(), device_id: None };
    let link = zc_store::CentralLink {
        url: url.clone(),
        login: made.login.clone(),
        console_id: made.console_id.to_string(),
        organisation_id: centre.organisation.to_string(),
        site_id: centre.site.to_string(),
        connected_at: T0,
    };
    store.set_central_link(&link, &audit, serde_json::json!({})).await.unwrap();
    store.create_user("anna", Role::Admin, &Profile::default(), "cred-anna", true, &audit).await.unwrap();
    let spec = ConnectionSpec::new("Pump 4", "http://127.0.0.1:9/status", ConnectionKind::Station);
    let station = store.add_connection(&spec, &audit).await.unwrap().id;
    let (run, _) = store.open_run(1, &audit).await.unwrap();
    // Past one batch of the activity log, so a push is several calls.
    let entries = zc_sync::activity::BATCH as usize + 20;
    for i in 0..entries {
        clock.advance_ms(1000);
        store
            .record_activity(&audit, "alarm.acknowledge", &format!("alarm:{i}"), serde_json::json!({"i": i}))
            .await
            .unwrap();
    }
    for seq in 1..=30 {
        let at = T0 + seq * 10_000;
        let (metric, points) = common::probe_rows(station, at, seq as f64);
        store.write_batch(run, seq, &[metric], &[points], &[], RunCounts::default()).await.unwrap();
    }

    let reports = zc_sync::push_all(&store, &console, made.console_id, &made.login, &audit).await.unwrap();
    let failed: Vec<_> = reports.iter().filter(|r| !matches!(r.finish, Finish::Drained)).collect();
    let held = store.quarantined().await.unwrap();
    assert!(failed.is_empty(), "every stream drains through the pooler: {failed:?}\n{held:?}\n{}", pooler.log());
    let pulled = (
        zc_sync::connections::pull(&store, &console, &audit).await.map(|_| ()),
        zc_sync::people::pull(&store, &console, &audit).await.map(|_| ()),
        zc_sync::widgets::pull(&store, &console, &audit).await.map(|_| ()),
    );
    assert!(
        matches!(pulled, (Ok(()), Ok(()), Ok(()))),
        "every pull works through the pooler: {pulled:?}\n{}",
        pooler.log()
    );
    // The calls a console makes besides its sync rounds: sign-in, unlock, a password, its key.
    let people = zc_central::people::people(&console).await.unwrap();
    let anna = people.iter().find(|p| p.person.username == "anna").expect("anna reached the centre").person.id;
    let pw = zc_domain::Sensitive::new("correct horse battery".to_string());
    assert!(zc_central::people::set_password(&console, anna, &pw, T0 + 1).await.unwrap());
    let check = zc_central::people::sign_in(&console, "anna", &pw, None).await.unwrap();
    assert!(matches!(check, zc_central::people::PasswordCheck::Ok { .. }), "{check:?}");
    zc_central::people::unlock_person(&console, anna, T0 + 2).await.unwrap();
    let key = "ab".repeat(32);
    assert!(zc_central::sealed_keys::publish_key(&console, &key).await.unwrap());
    assert_eq!(zc_central::sealed_keys::published_key(&console).await.unwrap(), Some(key));
    assert!(zc_central::sealed_keys::recipients(&console).await.unwrap().is_empty());
    assert!(zc_central::sealed_keys::addressed_here(&console).await.unwrap().is_empty());
    let me = zc_central::console_identity(&console).await.unwrap().expect("the centre knows the console");
    assert_eq!(me.0, made.console_id.to_string());

    // `zc sync now` beside the running console: another client of the same login, whose
    // statement names (were any kept) would start again at the first one on server connections
    // that still hold them.
    let beside = zc_central::console_pool(&url, &made.login, &made.password).unwrap();
    clock.advance_ms(1000);
    store.record_activity(&audit, "alarm.shelve", "alarm:1", serde_json::json!({})).await.unwrap();
    let reports = zc_sync::push_all(&store, &beside, made.console_id, &made.login, &audit).await.unwrap();
    let failed: Vec<_> = reports.iter().filter(|r| !matches!(r.finish, Finish::Drained)).collect();
    let held = store.quarantined().await.unwrap();
    assert!(failed.is_empty(), "a second client of the login: {failed:?}\n{held:?}\n{}", pooler.log());
    let head = zc_central::activity::head(&console).await.unwrap();
    console.close().await;
    beside.close().await;

    let local: i64 = sqlx::query_scalar("SELECT count(*) FROM activity_log").fetch_one(store.pool()).await.unwrap();
    assert!(local > entries as i64);
    let count = |sql: &'static str| {
        let admin = centre.admin.clone();
        async move { sqlx::query_scalar::<_, i64>(sql).bind(made.console_id).fetch_one(&admin).await.unwrap() }
    };
    assert_eq!(count("SELECT count(*) FROM central.activity_log WHERE console_id = $1").await, local);
    assert_eq!(head.0, local, "the centre's chain head, read through the pooler");
    assert_eq!(count("SELECT count(*) FROM central.request_metrics WHERE console_id = $1").await, 30);
    assert_eq!(count("SELECT count(*) FROM central.point_history WHERE console_id = $1").await, 30);
}
