//! Connection definitions between two real SQLite consoles of one site and a real PostgreSQL
//! centre: what one console adds, edits or removes arrives on the other with its settings and
//! its gateway; a console's own push never comes back to it as a change; an edit the centre
//! lacks is kept until its push (the last writer wins); a name already taken here waits, visibly.

mod common;

use std::sync::Arc;
use zc_domain::connection::ConnectionSpec;
use zc_domain::{ConnectionKind, ManualClock};
use zc_store::{Audit, ConnectionRow, Store};
use zc_sync::connections::ConnectionsPull;

const T0: i64 = 1_800_000_000_000;

struct Side {
    _dir: tempfile::TempDir,
    store: Store,
    pool: sqlx::PgPool,
    id: uuid::Uuid,
    login: String,
    audit: Audit,
}

struct World {
    _centre: common::Centre,
    clock: ManualClock,
    a: Side,
    b: Side,
}

async fn world() -> World {
    let centre = common::centre().await;
    let clock = ManualClock::new(T0);
    let side = |actor: &str| Audit { actor: actor.into(), device_id: None };
    let dir_a = tempfile::tempdir().unwrap();
    let store_a = Store::open(dir_a.path(), Arc::new(clock.clone())).await.unwrap();
    let audit_a = side("user:anna");
    centre.link(&store_a, &audit_a, T0).await;
    let a = Side {
        _dir: dir_a,
        store: store_a,
        pool: centre.console.clone(),
        id: centre.console_id,
        login: centre.login.clone(),
        audit: audit_a,
    };
    let dir_b = tempfile::tempdir().unwrap();
    let store_b = Store::open(dir_b.path(), Arc::new(clock.clone())).await.unwrap();
    let audit_b = side("user:bo");
    let console = centre.second_console("control room 2", &store_b, &audit_b, T0).await;
    let b =
        Side { _dir: dir_b, store: store_b, pool: console.pool, id: console.id, login: console.login, audit: audit_b };
    World { _centre: centre, clock, a, b }
}

impl World {
    async fn push(&self, s: &Side) {
        self.clock.advance_ms(1000);
        let reports = zc_sync::push_all(&s.store, &s.pool, s.id, &s.login, &s.audit).await.unwrap();
        for r in reports {
            assert!(!matches!(r.finish, zc_sync::Finish::Failed { .. }), "{} failed: {:?}", r.stream, r.finish);
        }
    }

    async fn pull(&self, s: &Side) -> ConnectionsPull {
        self.clock.advance_ms(1000);
        match zc_sync::connections::pull(&s.store, &s.pool, &s.audit).await {
            Ok(r) => r,
            Err(e) => panic!("pull: {e:?}"),
        }
    }
}

async fn add(s: &Side, spec: &ConnectionSpec) -> ConnectionRow {
    s.store.add_connection(&spec.clone().validate().unwrap(), &s.audit).await.unwrap()
}

async fn named(s: &Side, name: &str) -> Option<ConnectionRow> {
    s.store.list_connections().await.unwrap().into_iter().find(|c| c.spec.name == name)
}

async fn global_id(s: &Side, id: i64) -> String {
    sqlx::query_scalar("SELECT global_id FROM backend_connections WHERE id = ?")
        .bind(id)
        .fetch_one(s.store.pool())
        .await
        .unwrap()
}

/// The actions of the activity entries `s` wrote about connections coming from the centre.
async fn pull_entries(s: &Side) -> Vec<(String, String)> {
    s.store
        .activity_since(0, 10_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action.starts_with("connection.pull"))
        .map(|e| (e.action, e.resource))
        .collect()
}

async fn pending(s: &Side) -> i64 {
    s.store.connections_sync_status().await.unwrap().pending
}

fn station(name: &str) -> ConnectionSpec {
    let mut spec = ConnectionSpec::new(name, &format!("http://127.0.0.1:9/{name}"), ConnectionKind::Station);
    spec.interval_ms = 2500;
    spec.expect_keyword = Some("ok".into());
    spec.metadata = r#"{"area":"north"}"#.into();
    spec
}

#[tokio::test]
async fn a_connection_added_on_one_console_arrives_on_the_other_with_its_settings_and_gateway() {
    let w = world().await;
    let gateway = add(&w.a, &station("gateway")).await;
    let north = add(&w.a, &station("north-1")).await;
    w.a.store.set_dependency(north.id, "north-1", Some((gateway.id, "gateway")), &w.a.audit).await.unwrap();
    w.push(&w.a).await;

    let r = w.pull(&w.b).await;
    assert_eq!((r.added, r.updated, r.waiting, r.kept_local), (2, 0, 0, 0), "{r:?}");
    let (gw_b, north_b) = (named(&w.b, "gateway").await.unwrap(), named(&w.b, "north-1").await.unwrap());
    assert_eq!(north_b.spec, north.spec.clone().validate().unwrap(), "the settings as the other console made them");
    assert_eq!(global_id(&w.b, north_b.id).await, global_id(&w.a, north.id).await, "the same row everywhere");
    assert_eq!(north_b.depends_on, Some(gw_b.id), "its gateway, by this console's own id");
    assert_eq!(north_b.key_validated, None, "no key travels with a definition");
    assert_eq!(pending(&w.b).await, 0, "what came from the centre is not pushed back to it");
    assert_eq!(
        pull_entries(&w.b).await,
        [("connection.pull".into(), "gateway".into()), ("connection.pull".into(), "north-1".into())],
        "each arrival is on record, gateway first"
    );

    let again = w.pull(&w.b).await;
    assert_eq!(again, ConnectionsPull::default(), "a second pull finds nothing new");
    let own = w.pull(&w.a).await;
    assert_eq!(own, ConnectionsPull::default(), "a console's own push does not come back as a change");
    assert!(pull_entries(&w.a).await.is_empty());
}

#[tokio::test]
async fn an_edit_at_the_centre_comes_down_unless_this_console_has_its_own_and_then_the_last_writer_wins() {
    let w = world().await;
    let north = add(&w.a, &station("north-1")).await;
    w.push(&w.a).await;
    w.pull(&w.b).await;

    let mut faster = north.spec.clone();
    faster.interval_ms = 1000;
    w.a.store.update_connection(north.id, "north-1", &faster, &w.a.audit).await.unwrap();
    w.push(&w.a).await;
    let r = w.pull(&w.b).await;
    assert_eq!(r.updated, 1, "{r:?}");
    let on_b = named(&w.b, "north-1").await.unwrap();
    assert_eq!(on_b.spec.interval_ms, 1000);
    assert_eq!(pending(&w.b).await, 0);

    // Both edit offline; A's push reaches the centre first.
    let mut slower = on_b.spec.clone();
    slower.interval_ms = 60_000;
    w.b.store.update_connection(on_b.id, "north-1", &slower, &w.b.audit).await.unwrap();
    let mut shorter_timeout = faster.clone();
    shorter_timeout.timeout_ms = 3000;
    w.a.store.update_connection(north.id, "north-1", &shorter_timeout, &w.a.audit).await.unwrap();
    w.push(&w.a).await;
    let r = w.pull(&w.b).await;
    assert_eq!((r.updated, r.kept_local), (0, 1), "B's own edit is not overwritten by the pull: {r:?}");
    assert_eq!(named(&w.b, "north-1").await.unwrap().spec.interval_ms, 60_000);

    // B's push replaces the centre's copy; A then takes it.
    w.push(&w.b).await;
    let r = w.pull(&w.a).await;
    assert_eq!(r.updated, 1, "{r:?}");
    let on_a = named(&w.a, "north-1").await.unwrap();
    assert_eq!((on_a.spec.interval_ms, on_a.spec.timeout_ms), (60_000, slower.timeout_ms), "the last writer's copy");
    assert_eq!(pending(&w.a).await, 0);
}

#[tokio::test]
async fn a_removal_at_the_centre_removes_the_copy_and_a_name_taken_here_waits_visibly() {
    let w = world().await;
    add(&w.a, &station("north-1")).await;
    w.push(&w.a).await;
    w.pull(&w.b).await;
    let on_b = named(&w.b, "north-1").await.unwrap();

    w.a.store.remove_connection("north-1", &w.a.audit).await.unwrap();
    w.push(&w.a).await;
    let r = w.pull(&w.b).await;
    assert_eq!(r.removed, vec![on_b.id], "the removed connection's id, for its key: {r:?}");
    assert!(named(&w.b, "north-1").await.is_none());
    assert_eq!(pending(&w.b).await, 0, "the centre's own removal is not sent back to it");
    assert!(pull_entries(&w.b).await.contains(&("connection.pull_remove".into(), "north-1".into())));

    // B has its own north-2; A's north-2 is another connection and waits.
    let mine = add(&w.b, &station("north-2")).await;
    let mut theirs = station("north-2");
    theirs.url = "http://127.0.0.1:9/elsewhere".into();
    add(&w.a, &theirs).await;
    w.push(&w.a).await;
    let r = w.pull(&w.b).await;
    assert_eq!(r.waiting, 1, "{r:?}");
    let still = named(&w.b, "north-2").await.unwrap();
    assert_eq!((still.id, still.spec.url), (mine.id, mine.spec.url), "this console's own is untouched");
}

#[tokio::test]
async fn two_consoles_gateway_edits_that_would_close_a_loop_leave_each_connection_watched_not_looped() {
    let w = world().await;
    let gw = add(&w.a, &station("gateway")).await;
    let north = add(&w.a, &station("north-1")).await;
    w.push(&w.a).await;
    w.pull(&w.b).await;
    let (gw_b, north_b) = (named(&w.b, "gateway").await.unwrap(), named(&w.b, "north-1").await.unwrap());

    // On one console a loop is refused outright.
    w.a.store.set_dependency(north.id, "north-1", Some((gw.id, "gateway")), &w.a.audit).await.unwrap();
    let err = w.a.store.set_dependency(gw.id, "gateway", Some((north.id, "north-1")), &w.a.audit).await.unwrap_err();
    assert!(err.message.contains("already depends on"), "{err}");
    // Offline, B makes the other half of the loop; both push, B last.
    w.b.store.set_dependency(gw_b.id, "gateway", Some((north_b.id, "north-1")), &w.b.audit).await.unwrap();
    w.push(&w.a).await;
    w.push(&w.b).await;

    w.pull(&w.b).await;
    let north_b = named(&w.b, "north-1").await.unwrap();
    assert_eq!(north_b.depends_on, None, "taking A's gateway would close a loop on B");
    assert_eq!(named(&w.b, "gateway").await.unwrap().depends_on, Some(north_b.id), "B's own edit stands");
    let entries = w.b.store.activity_since(0, 10_000).await.unwrap();
    let flagged: Vec<&str> = entries
        .iter()
        .filter(|e| e.action == "connection.pull" && e.metadata.contains("gateway_not_here"))
        .map(|e| e.resource.as_str())
        .collect();
    assert_eq!(
        flagged,
        ["north-1"],
        "and its entry says so: {:?}",
        entries.iter().map(|e| (&e.action, &e.resource, &e.metadata)).collect::<Vec<_>>()
    );

    w.pull(&w.a).await;
    let (gw_a, north_a) = (named(&w.a, "gateway").await.unwrap(), named(&w.a, "north-1").await.unwrap());
    assert!(
        gw_a.depends_on.is_none() || north_a.depends_on.is_none(),
        "no loop on A either: gateway -> {:?}, north-1 -> {:?}",
        gw_a.depends_on,
        north_a.depends_on
    );
}
