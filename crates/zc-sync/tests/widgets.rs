//! Widget configurations between a real SQLite console and a real PostgreSQL centre, where a
//! second console of the site (its own login) moves the centre on: an offline edit that touched
//! other fields merges and the admin is told what the centre changed; the same field changed on
//! both sides is a conflict held until a person resolves it, and the pull never overwrites it;
//! a widget removed at the centre or a name taken there is refused and held alone, visibly.

mod common;

use serde_json::Value;
use sqlx::PgPool;
use std::collections::BTreeMap;
use std::sync::Arc;
use uuid::Uuid;
use zc_central::widgets::{WidgetEdit, WidgetPush};
use zc_domain::connection::ConnectionSpec;
use zc_domain::widget::WidgetSpec;
use zc_domain::widget_merge::Side;
use zc_domain::{ConnectionKind, ManualClock};
use zc_store::{Audit, Store, WIDGETS_STREAM, WidgetRow};
use zc_sync::{Finish, StreamReport};

const T0: i64 = 1_800_000_000_000;

struct World {
    centre: common::Centre,
    _dir: tempfile::TempDir,
    clock: ManualClock,
    store: Store,
    audit: Audit,
    connection: i64,
    /// The other console's own pool.
    other: PgPool,
}

fn gauge(name: &str, config: &str) -> WidgetSpec {
    WidgetSpec { name: name.into(), kind: "gauge".into(), url: None, active: true, config: config.into() }
}

async fn world() -> World {
    let centre = common::centre().await;
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(T0);
    let store = Store::open(dir.path(), Arc::new(clock.clone())).await.unwrap();
    let audit = Audit { actor: "user:anna".into(), device_id: None };
    centre.link(&store, &audit, T0).await;
    let spec = ConnectionSpec::new("north-1", "http://127.0.0.1:9/status", ConnectionKind::Station);
    let connection = store.add_connection(&spec, &audit).await.unwrap().id;
    let (other, _) = centre.other_console("control room 2").await;
    World { centre, _dir: dir, clock, store, audit, connection, other }
}

impl World {
    async fn push(&self) -> Vec<StreamReport> {
        self.clock.advance_ms(1000);
        zc_sync::push_all(&self.store, &self.centre.console, self.centre.console_id, &self.centre.login, &self.audit)
            .await
            .unwrap()
    }

    async fn pull(&self) -> zc_sync::widgets::PullReport {
        match zc_sync::widgets::pull(&self.store, &self.centre.console, &self.audit).await {
            Ok(r) => r,
            Err(e) => panic!("pull: {e:?}"),
        }
    }

    async fn add(&self, spec: &WidgetSpec) -> WidgetRow {
        self.store.add_widget(self.connection, "north-1", spec, None, None, &self.audit).await.unwrap()
    }

    async fn get(&self, id: i64) -> Option<WidgetRow> {
        self.store.list_widgets(None).await.unwrap().into_iter().find(|w| w.id == id)
    }

    async fn edit(&self, id: i64, config: &str) -> WidgetRow {
        self.clock.advance_ms(1000);
        let w = self.get(id).await.unwrap();
        let spec = WidgetSpec { config: config.into(), ..w.spec.clone() };
        self.store.update_widget(&w, "north-1", &spec, None, None, &self.audit).await.unwrap()
    }

    async fn global_id(&self, id: i64) -> Uuid {
        let g: String = sqlx::query_scalar("SELECT global_id FROM widget_configs WHERE id = ?")
            .bind(id)
            .fetch_one(self.store.pool())
            .await
            .unwrap();
        Uuid::parse_str(&g).unwrap()
    }

    async fn connection_gid(&self) -> Uuid {
        let g: String = sqlx::query_scalar("SELECT global_id FROM backend_connections WHERE id = ?")
            .bind(self.connection)
            .fetch_one(self.store.pool())
            .await
            .unwrap();
        Uuid::parse_str(&g).unwrap()
    }

    /// The other console saves `spec` at the centre, starting from central version `base`.
    async fn other_saves(&self, id: Uuid, spec: WidgetSpec, base: Option<i64>) -> WidgetPush {
        let edit = WidgetEdit {
            id,
            connection_id: self.connection_gid().await,
            spec,
            base_version: base,
            changed_by: "user:bo".into(),
            changed_at_ms: T0 + 500,
        };
        zc_central::widgets::push(&self.other, &edit).await.unwrap()
    }

    /// The centre's copy: version, config (parsed), removed.
    async fn central(&self, id: Uuid) -> (i64, Value, bool) {
        let (v, config, deleted): (i64, String, bool) =
            sqlx::query_as("SELECT version, config::text, deleted_at IS NOT NULL FROM central.widgets WHERE id = $1")
                .bind(id)
                .fetch_one(&self.centre.admin)
                .await
                .unwrap();
        (v, serde_json::from_str(&config).unwrap(), deleted)
    }

    async fn pending(&self) -> i64 {
        self.store.widgets_sync_status().await.unwrap().pending
    }
}

fn config(w: &WidgetRow) -> Value {
    serde_json::from_str(&w.spec.config).unwrap()
}

fn widgets_report(rs: &[StreamReport]) -> &StreamReport {
    rs.iter().find(|r| r.stream == WIDGETS_STREAM).unwrap_or_else(|| panic!("no widgets report: {rs:?}"))
}

#[tokio::test]
async fn a_widget_goes_up_once_and_the_centres_edit_comes_down() {
    let w = world().await;
    let added = w.add(&gauge("Pressure", r#"{"point":"p1","min":0,"max":16}"#)).await;
    assert_eq!(w.pending().await, 1);
    let rs = w.push().await;
    assert_eq!(widgets_report(&rs).accepted, 1, "{rs:?}");
    assert_eq!(widgets_report(&rs).finish, Finish::Drained);
    let gid = w.global_id(added.id).await;
    assert_eq!(w.central(gid).await.0, 1);
    assert_eq!(w.pending().await, 0);
    // Pushed again: nothing goes twice.
    assert_eq!(widgets_report(&w.push().await).accepted, 0);
    // Nothing moved at the centre: the pull takes nothing.
    assert_eq!(w.pull().await, zc_sync::widgets::PullReport::default());

    // The other console edits it at the centre; this one takes the edit, as a version of its own.
    let theirs = gauge("Pressure", r#"{"point":"p1","min":0,"max":16,"unit":"bar"}"#);
    assert_eq!(w.other_saves(gid, theirs, Some(1)).await, WidgetPush::Stored { version: 2 });
    let pulled = w.pull().await;
    assert_eq!(pulled.updated, 1, "{pulled:?}");
    let now = w.get(added.id).await.unwrap();
    assert_eq!(config(&now)["unit"], "bar");
    assert_eq!(now.version, 2);
    let versions = w.store.widget_versions(added.id).await.unwrap();
    assert_eq!(versions[0].source.as_deref(), Some("central:v2"));
    // Taking the centre's copy is not an edit to send back.
    assert_eq!(w.pending().await, 0);
    assert_eq!(widgets_report(&w.push().await).accepted, 0);
    assert_eq!(w.central(gid).await.0, 2);

    // A widget the other console added comes down too; removed there, it goes here.
    let (made, _) = (Uuid::now_v7(), ());
    w.other_saves(made, gauge("Flow", r#"{"point":"f1","min":0,"max":50}"#), None).await;
    assert_eq!(w.pull().await.added, 1);
    let flow = w.store.widget(w.connection, "north-1", "Flow").await.unwrap();
    zc_central::widgets::remove(&w.other, made, "user:bo", T0 + 900).await.unwrap();
    assert_eq!(w.pull().await.removed, 1);
    assert!(w.get(flow.id).await.is_none());
    // Its removal here came from the centre: nothing goes back.
    assert_eq!(w.pending().await, 0);
}

#[tokio::test]
async fn an_offline_edit_of_other_fields_merges_and_the_admin_is_told() {
    let w = world().await;
    let added = w.add(&gauge("Pressure", r#"{"point":"p1","min":0,"max":16,"unit":"bar"}"#)).await;
    w.push().await;
    let gid = w.global_id(added.id).await;
    // Offline here: the scale's top moves. Meanwhile at the centre: the unit.
    w.edit(added.id, r#"{"point":"p1","min":0,"max":20,"unit":"bar"}"#).await;
    w.other_saves(gid, gauge("Pressure", r#"{"point":"p1","min":0,"max":16,"unit":"kPa"}"#), Some(1)).await;
    // The pull does not overwrite the edit the centre lacks.
    assert_eq!(w.pull().await.kept_local, 1);
    assert_eq!(config(&w.get(added.id).await.unwrap())["max"], 20);

    let rs = w.push().await;
    assert_eq!(widgets_report(&rs).accepted, 1, "{rs:?}");
    let (version, at_centre, _) = w.central(gid).await;
    assert_eq!(version, 3);
    assert_eq!((at_centre["max"].clone(), at_centre["unit"].clone()), (20.into(), "kPa".into()));
    let here = w.get(added.id).await.unwrap();
    assert_eq!(config(&here), at_centre, "this console holds what the centre holds");
    assert_eq!(w.pending().await, 0);
    // The admin hears which field the centre changed, with the three values.
    let notices = w.store.widget_notices().await.unwrap();
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert_eq!(notices[0].kind, "merged");
    assert_eq!(notices[0].fields.len(), 1);
    assert_eq!(notices[0].fields[0].field, "config.unit");
    assert_eq!(notices[0].fields[0].central.as_deref(), Some("\"kPa\""));
    assert_eq!(notices[0].central_by, "user:bo");
    w.store.dismiss_widget_notice(notices[0].id, &w.audit).await.unwrap();
    assert!(w.store.widget_notices().await.unwrap().is_empty());
    // Both sides' authors stay in the centre's history, with the base the merge started from.
    let (by, base, merged): (String, i64, String) = sqlx::query_as(
        "SELECT changed_by, base_version, merged::text FROM central.widget_versions WHERE widget_id = $1 AND version = 3",
    )
    .bind(gid)
    .fetch_one(&w.centre.admin)
    .await
    .unwrap();
    assert_eq!((by.as_str(), base), ("user:anna", 1));
    assert!(merged.contains("config.unit"), "{merged}");
}

#[tokio::test]
async fn the_same_field_changed_on_both_sides_is_held_until_a_person_resolves_it() {
    let w = world().await;
    let added = w.add(&gauge("Pressure", r#"{"point":"p1","min":0,"max":16}"#)).await;
    w.push().await;
    let gid = w.global_id(added.id).await;
    w.edit(added.id, r#"{"point":"p1","min":0,"max":25}"#).await;
    w.other_saves(gid, gauge("Pressure", r#"{"point":"p1","min":0,"max":20}"#), Some(1)).await;

    let rs = w.push().await;
    assert_eq!(widgets_report(&rs).accepted, 0, "{rs:?}");
    // Nothing was overwritten on either side.
    assert_eq!(w.central(gid).await.1["max"], 20);
    assert_eq!(config(&w.get(added.id).await.unwrap())["max"], 25);
    let notices = w.store.widget_notices().await.unwrap();
    assert_eq!(notices.len(), 1);
    let n = &notices[0];
    assert_eq!(n.kind, "conflict");
    assert_eq!((n.base_version, n.central_version), (1, 2));
    assert_eq!(n.fields[0].field, "config.max");
    assert_eq!(
        (n.fields[0].base.as_deref(), n.fields[0].local.as_deref(), n.fields[0].central.as_deref()),
        (Some("16"), Some("25"), Some("20"))
    );
    // Held: the edit still counts as waiting, but no push sends it, none finds it twice, and a
    // pull keeps it.
    assert_eq!(w.pending().await, 1);
    w.push().await;
    assert_eq!(w.store.widget_notices().await.unwrap().len(), 1);
    assert_eq!(w.pull().await.kept_local, 1);
    assert_eq!(config(&w.get(added.id).await.unwrap())["max"], 25);

    // A resolution must choose for every conflicting field, and only those.
    let e = w.store.resolve_widget_conflict(n.id, &BTreeMap::new(), None, &w.audit).await.unwrap_err();
    assert!(e.message.contains("config.max"), "{}", e.message);
    let mine = BTreeMap::from([("config.max".to_owned(), Side::Local)]);
    w.store.resolve_widget_conflict(n.id, &mine, None, &w.audit).await.unwrap();
    assert!(w.store.widget_notices().await.unwrap().is_empty());
    let rs = w.push().await;
    assert_eq!(widgets_report(&rs).accepted, 1, "{rs:?}");
    let (version, at_centre, _) = w.central(gid).await;
    assert_eq!((version, at_centre["max"].clone()), (3, 25.into()));
    assert_eq!(w.pending().await, 0);
    // The resolution is on record here, as a version and in the activity log.
    let versions = w.store.widget_versions(added.id).await.unwrap();
    assert_eq!(versions[0].change, zc_store::WidgetChange::Resolve);
}

#[tokio::test]
async fn an_edit_saved_after_a_conflict_replaces_it_and_is_decided_anew() {
    let w = world().await;
    let added = w.add(&gauge("Pressure", r#"{"point":"p1","min":0,"max":16}"#)).await;
    w.push().await;
    let gid = w.global_id(added.id).await;
    w.edit(added.id, r#"{"point":"p1","min":0,"max":25}"#).await;
    w.other_saves(gid, gauge("Pressure", r#"{"point":"p1","min":0,"max":20}"#), Some(1)).await;
    w.push().await;
    let n = w.store.widget_notices().await.unwrap().remove(0);
    // The admin gives in by hand: max back to what the centre has, and a label.
    w.edit(added.id, r#"{"point":"p1","min":0,"max":20,"label":"Inlet"}"#).await;
    assert!(w.store.widget_notices().await.unwrap().is_empty(), "the old conflict no longer stands");
    let mine = BTreeMap::from([("config.max".to_owned(), Side::Local)]);
    assert!(w.store.resolve_widget_conflict(n.id, &mine, None, &w.audit).await.is_err());
    w.push().await;
    let at_centre = w.central(gid).await.1;
    assert_eq!((at_centre["max"].clone(), at_centre["label"].clone()), (20.into(), "Inlet".into()));
    assert_eq!(w.pending().await, 0);
}

#[tokio::test]
async fn a_widget_removed_at_the_centre_or_a_name_taken_there_is_refused_and_held_alone() {
    let w = world().await;
    let a = w.add(&gauge("Pressure", r#"{"point":"p1","min":0,"max":16}"#)).await;
    let b = w.add(&gauge("Level", r#"{"point":"l1","min":0,"max":5}"#)).await;
    w.push().await;
    let gid = w.global_id(a.id).await;
    zc_central::widgets::remove(&w.other, gid, "user:bo", T0 + 700).await.unwrap();
    w.edit(a.id, r#"{"point":"p1","min":0,"max":30}"#).await;
    w.edit(b.id, r#"{"point":"l1","min":0,"max":6}"#).await;
    // Meanwhile both consoles add a widget named "Flow"; the other one's arrives first.
    w.other_saves(Uuid::now_v7(), gauge("Flow", r#"{"point":"f1","min":0,"max":50}"#), None).await;
    let flow = w.add(&gauge("Flow", r#"{"point":"f2","min":0,"max":60}"#)).await;

    let rs = w.push().await;
    let r = widgets_report(&rs);
    // The level edit went; the other two are held, each with a reason a person can act on.
    assert_eq!(r.accepted, 1, "{rs:?}");
    assert!(matches!(r.finish, Finish::Held { .. }), "{r:?}");
    assert_eq!(w.central(w.global_id(b.id).await).await.1["max"], 6);
    let held = w.store.quarantined().await.unwrap();
    let held: Vec<_> = held.iter().filter(|q| q.stream == WIDGETS_STREAM).collect();
    assert_eq!(held.len(), 2, "{held:?}");
    let removed = held.iter().find(|q| q.first_seq == a.id).unwrap();
    assert_eq!(removed.reason, "removed_centrally");
    assert!(removed.detail.contains("removed at the central store by user:bo"), "{}", removed.detail);
    let taken = held.iter().find(|q| q.first_seq == flow.id).unwrap();
    assert!(taken.detail.contains("rename this one"), "{}", taken.detail);
    // A widget the centre never had cannot be given up for the centre's copy.
    assert!(w.store.discard_quarantined(taken.id, &w.audit).await.is_err());
    // Renamed, it goes (the rename lifts the hold).
    let f = w.get(flow.id).await.unwrap();
    let renamed = WidgetSpec { name: "Flow 2".into(), ..f.spec.clone() };
    w.store.update_widget(&f, "north-1", &renamed, None, None, &w.audit).await.unwrap();
    // Giving up the edit of the removed one takes the centre's removal at the next pull.
    w.store.discard_quarantined(removed.id, &w.audit).await.unwrap();
    let rs = w.push().await;
    assert_eq!(widgets_report(&rs).accepted, 1, "{rs:?}");
    assert_eq!(widgets_report(&rs).finish, Finish::Drained);
    assert_eq!(w.pull().await.removed, 1);
    assert!(w.get(a.id).await.is_none());
    assert_eq!(w.pending().await, 0);
    assert!(w.store.quarantined().await.unwrap().iter().all(|q| q.stream != WIDGETS_STREAM));
}

#[tokio::test]
async fn a_removal_here_reaches_the_centre_once() {
    let w = world().await;
    let a = w.add(&gauge("Pressure", r#"{"point":"p1","min":0,"max":16}"#)).await;
    // Never pushed: removed here, the centre never hears of it.
    let never = w.add(&gauge("Scratch", r#"{"point":"p9","min":0,"max":1}"#)).await;
    w.store.remove_widget(&never, "north-1", &w.audit).await.unwrap();
    w.push().await;
    let gid = w.global_id(a.id).await;
    let row = w.get(a.id).await.unwrap();
    w.store.remove_widget(&row, "north-1", &w.audit).await.unwrap();
    assert_eq!(w.pending().await, 1);
    let rs = w.push().await;
    assert_eq!(widgets_report(&rs).accepted, 1, "{rs:?}");
    let (version, _, deleted) = w.central(gid).await;
    assert!(deleted);
    assert_eq!(version, 2, "a removal moves the version, so other consoles' pulls see it");
    assert_eq!(w.pending().await, 0);
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM central.widgets").fetch_one(&w.centre.admin).await.unwrap();
    assert_eq!(n, 1);
}
