//! Widget configurations and the centre: edits waiting to go (each names the centre's version
//! it started from), what the centre answered (stored, merged, a conflict, refused), widgets
//! pulled from the centre, and the notices a person must see (conflicts to resolve, merges).
//! Every write that moves a widget is conditional on the version it read, so a pull or an
//! answer never overwrites an edit made meanwhile.

use crate::Store;
use crate::activity::{Audit, append};
use crate::error::db_err;
use crate::sync::StreamStatus;
use serde::Serialize;
use serde_json::json;
use sqlx::{Row, SqliteConnection};
use std::collections::BTreeMap;
use zc_domain::widget::WidgetSpec;
use zc_domain::widget_merge::{self, FieldConflict, Side};
use zc_domain::{ErrorCode, ZcError, ZcResult};

/// The widgets stream's name in `sync_series` (its health), `sync_quarantine`, `sync_removals`
/// and `zc sync status`.
pub const WIDGETS_STREAM: &str = "widgets";

/// A widget with an edit the centre lacks.
#[derive(Debug, Clone)]
pub struct PendingWidget {
    pub id: i64,
    pub global_id: String,
    pub connection_global_id: String,
    pub connection: String,
    pub spec: WidgetSpec,
    pub version: i64,
    /// The centre's version the edit started from (None: never at the centre).
    pub central_version: Option<i64>,
    /// Who saved the edit (username), when known.
    pub edited_by: Option<String>,
    pub edited_at: i64,
}

/// A widget as the centre holds it, for the pull.
#[derive(Debug, Clone)]
pub struct PulledWidget {
    pub global_id: String,
    pub connection_global_id: String,
    pub spec: WidgetSpec,
    pub version: i64,
    pub deleted: bool,
    pub updated_by: String,
}

/// What a pull did with one widget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PullOutcome {
    Added,
    Updated,
    Removed,
    /// Nothing to do (already this version, or removed here and there).
    Unchanged,
    /// This console has an edit of it the centre lacks: the push merges or raises a conflict.
    KeptLocalEdit,
    /// Its connection is not on this console (yet).
    NoConnection,
    /// Another widget of the connection here has its name; it comes once that one is renamed.
    NameTaken,
}

/// A conflict to resolve or a merge to hear of.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct WidgetNotice {
    pub id: i64,
    pub widget_id: i64,
    pub connection_id: i64,
    pub connection: String,
    pub widget: String,
    /// `conflict` or `merged`.
    pub kind: String,
    pub local_version: i64,
    pub base_version: i64,
    pub central_version: i64,
    /// Who changed it at the centre (a console login, or a person).
    pub central_by: String,
    pub base: WidgetSpec,
    pub local: WidgetSpec,
    pub central: WidgetSpec,
    /// For a conflict, each conflicting field on the three sides; for a merge, the fields the
    /// centre changed that were taken (their base, local and central values).
    pub fields: Vec<FieldConflict>,
    pub detected_at: i64,
}

fn spec_json(s: &WidgetSpec) -> String {
    serde_json::to_string(s).expect("a spec serialises")
}

fn spec_from(text: &str) -> WidgetSpec {
    serde_json::from_str(text).unwrap_or(WidgetSpec {
        name: String::new(),
        kind: String::new(),
        url: None,
        active: false,
        config: "{}".into(),
    })
}

/// Normalised config text (the centre's jsonb prints with spaces).
fn normal_config(raw: &str) -> String {
    serde_json::from_str::<serde_json::Value>(raw).map(|v| v.to_string()).unwrap_or_else(|_| "{}".into())
}

const PENDING: &str = "(w.synced_version IS NULL OR w.synced_version <> w.version)";

/// An edit saved here: the conflict or merge notice about an older version no longer stands
/// (the next push decides anew, against this edit), and a refusal of the older version no longer
/// holds it (the edit may be the fix; refused again, the entry comes back one attempt more).
pub(crate) async fn edited_again(conn: &mut SqliteConnection, widget_id: i64, now: i64) -> ZcResult<()> {
    sqlx::query(
        "UPDATE widget_sync_notices SET closed_at = ?1, closed_how = 'superseded', updated_at = ?1 \
         WHERE widget_id = ?2 AND closed_at IS NULL AND kind = 'conflict'",
    )
    .bind(now)
    .bind(widget_id)
    .execute(&mut *conn)
    .await
    .map_err(db_err)?;
    sqlx::query(
        "UPDATE sync_quarantine SET resolved_at = ?1, resolution = 'retried', updated_at = ?1 \
         WHERE stream = ?2 AND first_seq = ?3 AND resolved_at IS NULL",
    )
    .bind(now)
    .bind(WIDGETS_STREAM)
    .bind(widget_id)
    .execute(&mut *conn)
    .await
    .map_err(db_err)?;
    Ok(())
}

/// Whether an edit or a removal waits that nothing holds (a conflict, a refusal, a connection
/// the centre lacks).
pub(crate) async fn widgets_due(conn: &mut SqliteConnection) -> ZcResult<bool> {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT EXISTS (SELECT 1 FROM widget_configs w JOIN backend_connections c ON c.id = w.connection_id \
                        WHERE {PENDING} AND c.central_version IS NOT NULL \
                        AND NOT EXISTS (SELECT 1 FROM widget_sync_notices n WHERE n.widget_id = w.id AND n.kind = 'conflict' AND n.closed_at IS NULL) \
                        AND NOT EXISTS (SELECT 1 FROM sync_quarantine q WHERE q.stream = ?1 AND q.first_seq = w.id AND q.resolved_at IS NULL)) \
             OR EXISTS (SELECT 1 FROM sync_removals WHERE stream = ?1 AND pushed_at IS NULL)"
    )))
    .bind(WIDGETS_STREAM)
    .fetch_one(conn)
    .await
    .map_err(db_err)
}

fn notice_of(r: &sqlx::sqlite::SqliteRow) -> WidgetNotice {
    WidgetNotice {
        id: r.get("id"),
        widget_id: r.get("widget_id"),
        connection_id: r.get("connection_id"),
        connection: r.get("connection"),
        widget: r.get("widget"),
        kind: r.get("kind"),
        local_version: r.get("local_version"),
        base_version: r.get("base_version"),
        central_version: r.get("central_version"),
        central_by: r.get("central_by"),
        base: spec_from(r.get("base")),
        local: spec_from(r.get("local")),
        central: spec_from(r.get("central")),
        fields: serde_json::from_str(r.get("fields")).unwrap_or_default(),
        detected_at: r.get("detected_at"),
    }
}

const NOTICE_SELECT: &str = "SELECT n.*, w.connection_id, w.name AS widget, c.name AS connection FROM widget_sync_notices n \
     JOIN widget_configs w ON w.id = n.widget_id JOIN backend_connections c ON c.id = w.connection_id";

impl Store {
    /// Widgets with an edit the centre lacks, oldest first; those held (a conflict open, a
    /// refusal) or whose connection the centre does not have yet wait.
    pub async fn widgets_to_push(&self) -> ZcResult<Vec<PendingWidget>> {
        // A row written past the store (by an older build, or by hand) may lack its global id:
        // it gets one here, so it is pushed rather than skipped or failing the push.
        let missing: Vec<(i64, i64)> =
            sqlx::query_as("SELECT id, created_at FROM widget_configs WHERE global_id IS NULL")
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
        for (id, created_at) in missing {
            sqlx::query("UPDATE widget_configs SET global_id = ? WHERE id = ? AND global_id IS NULL")
                .bind(crate::ids::global_id(created_at.max(1)))
                .bind(id)
                .execute(&self.pool)
                .await
                .map_err(db_err)?;
        }
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT w.*, c.global_id AS connection_global_id, c.name AS connection, \
                    (SELECT u.username FROM widget_versions v JOIN users u ON u.id = v.edited_by \
                     WHERE v.widget_id = w.id AND v.version = w.version) AS edited_by_name \
             FROM widget_configs w JOIN backend_connections c ON c.id = w.connection_id \
             WHERE {PENDING} AND c.central_version IS NOT NULL \
             AND NOT EXISTS (SELECT 1 FROM widget_sync_notices n WHERE n.widget_id = w.id AND n.kind = 'conflict' AND n.closed_at IS NULL) \
             AND NOT EXISTS (SELECT 1 FROM sync_quarantine q WHERE q.stream = ? AND q.first_seq = w.id AND q.resolved_at IS NULL) \
             ORDER BY w.updated_at, w.id"
        )))
        .bind(WIDGETS_STREAM)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(rows
            .iter()
            .map(|r| PendingWidget {
                id: r.get("id"),
                global_id: r.get("global_id"),
                connection_global_id: r.get("connection_global_id"),
                connection: r.get("connection"),
                spec: crate::widgets::spec_of(r),
                version: r.get("version"),
                central_version: r.get("central_version"),
                edited_by: r.get("edited_by_name"),
                edited_at: r.get("updated_at"),
            })
            .collect())
    }

    /// The centre holds local version `version` of widget `id` as its version `central`. An
    /// edit saved meanwhile (a higher local version) stays pending, now based on `central`.
    pub async fn record_widget_stored(&self, id: i64, version: i64, central: i64) -> ZcResult<()> {
        sqlx::query(
            "UPDATE widget_configs SET synced_version = ?2, central_version = ?3 \
             WHERE id = ?1 AND version >= ?2 AND (central_version IS NULL OR central_version <= ?3)",
        )
        .bind(id)
        .bind(version)
        .bind(central)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    /// The centre merged local version `p.version` with its own changes into its version
    /// `central`: this console takes the merge as a new version and the admin is told which
    /// fields the centre changed. Edited again meanwhile, nothing is taken: the next push merges
    /// that edit too.
    #[allow(clippy::too_many_arguments)]
    pub async fn record_widget_merged(
        &self,
        p: &PendingWidget,
        merged: &WidgetSpec,
        central: i64,
        central_by: &str,
        base_version: i64,
        base: &WidgetSpec,
        central_spec: &WidgetSpec,
        from_central: &[FieldConflict],
        audit: &Audit,
    ) -> ZcResult<bool> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let moved = crate::widgets::bind_spec(
            sqlx::query(
                "UPDATE widget_configs SET name = ?, kind = ?, url = ?, active = ?, config = ?, version = version + 1, \
                 synced_version = version + 1, central_version = ?, updated_at = ? WHERE id = ? AND version = ?",
            ),
            merged,
        )
        .bind(central)
        .bind(now)
        .bind(p.id)
        .bind(p.version)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?
        .rows_affected();
        if moved == 0 {
            return Ok(false);
        }
        let source = format!("central:v{central}");
        crate::widgets::insert_version_row(
            &mut tx,
            p.id,
            p.version + 1,
            Some(p.version),
            "central",
            Some(&source),
            merged,
            None,
            now,
        )
        .await?;
        insert_notice(
            &mut tx,
            p,
            "merged",
            base_version,
            central,
            central_by,
            base,
            central_spec,
            &p.spec,
            from_central,
            now,
        )
        .await?;
        let fields: Vec<&str> = from_central.iter().map(|f| f.field.as_str()).collect();
        let meta = json!({"id": p.id, "version": p.version + 1, "central_version": central, "from_central": fields, "central_by": central_by});
        append(&mut tx, now, audit, "widget.merge", &format!("{}/{}", p.connection, p.spec.name), meta).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(true)
    }

    /// The centre changed the same fields as local version `p.version`: a conflict for a
    /// person, the widget held until it is resolved. The same conflict found again is not a
    /// second notice.
    #[allow(clippy::too_many_arguments)]
    pub async fn record_widget_conflict(
        &self,
        p: &PendingWidget,
        base_version: i64,
        base: &WidgetSpec,
        central: i64,
        central_by: &str,
        central_spec: &WidgetSpec,
        conflicts: &[FieldConflict],
        audit: &Audit,
    ) -> ZcResult<()> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let open: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM widget_sync_notices WHERE widget_id = ? AND kind = 'conflict' \
             AND local_version = ? AND central_version = ? AND closed_at IS NULL)",
        )
        .bind(p.id)
        .bind(p.version)
        .bind(central)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        // Edited again since the push read it: that edit goes next, and decides anew.
        let current: Option<i64> = sqlx::query_scalar("SELECT version FROM widget_configs WHERE id = ?")
            .bind(p.id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?;
        if open || current != Some(p.version) {
            return Ok(());
        }
        insert_notice(
            &mut tx,
            p,
            "conflict",
            base_version,
            central,
            central_by,
            base,
            central_spec,
            &p.spec,
            conflicts,
            now,
        )
        .await?;
        let fields: Vec<&str> = conflicts.iter().map(|f| f.field.as_str()).collect();
        let meta = json!({"id": p.id, "version": p.version, "base_version": base_version, "central_version": central, "fields": fields, "central_by": central_by});
        append(&mut tx, now, audit, "widget.conflict", &format!("{}/{}", p.connection, p.spec.name), meta).await?;
        tx.commit().await.map_err(db_err)
    }

    /// Open conflicts and merges not yet acknowledged, oldest first.
    pub async fn widget_notices(&self) -> ZcResult<Vec<WidgetNotice>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!("{NOTICE_SELECT} WHERE n.closed_at IS NULL ORDER BY n.id")))
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(rows.iter().map(notice_of).collect())
    }

    /// Resolves conflict `id` with a side for each conflicting field: the result is saved as a
    /// new version based on the centre's, and goes to the centre at the next push. A choice
    /// missing, a widget edited since, or a result the widget's checks refuse: nothing is saved.
    pub async fn resolve_widget_conflict(
        &self,
        id: i64,
        choices: &BTreeMap<String, Side>,
        edited_by: Option<i64>,
        audit: &Audit,
    ) -> ZcResult<WidgetNotice> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let Some(n) = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{NOTICE_SELECT} WHERE n.id = ? AND n.kind = 'conflict' AND n.closed_at IS NULL"
        )))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?
        .map(|r| notice_of(&r)) else {
            return Err(ZcError::new(
                ErrorCode::NotFound,
                format!("no open widget conflict {id}; `zc widget conflicts` lists them"),
            ));
        };
        let w = crate::widgets::widget_in(&mut tx, n.widget_id).await?;
        if w.version != n.local_version {
            return Err(ZcError::new(
                ErrorCode::EditConflict,
                format!(
                    "widget '{}' was saved again since this conflict was found; nothing was written: the next sync compares that edit with the centre",
                    w.spec.name
                ),
            ));
        }
        let spec = widget_merge::resolve(&n.base, &n.local, &n.central, choices)?;
        let moved = crate::widgets::bind_spec(
            sqlx::query(
                "UPDATE widget_configs SET name = ?, kind = ?, url = ?, active = ?, config = ?, version = version + 1, \
                 central_version = ?, updated_at = ? WHERE id = ? AND version = ?",
            ),
            &spec,
        )
        .bind(n.central_version)
        .bind(now)
        .bind(w.id)
        .bind(w.version)
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            if crate::error::is_unique_violation(&e) {
                ZcError::new(
                    ErrorCode::DuplicateName,
                    format!(
                        "connection '{}' already has a widget named '{}'; choose the other name",
                        n.connection, spec.name
                    ),
                )
            } else {
                db_err(e)
            }
        })?
        .rows_affected();
        if moved == 0 {
            return Err(ZcError::new(
                ErrorCode::EditConflict,
                "the widget changed while resolving; nothing was written",
            ));
        }
        let source = format!("central:v{}", n.central_version);
        crate::widgets::insert_version_row(
            &mut tx,
            w.id,
            w.version + 1,
            Some(w.version),
            "resolve",
            Some(&source),
            &spec,
            edited_by,
            now,
        )
        .await?;
        sqlx::query(
            "UPDATE widget_sync_notices SET closed_at = ?1, closed_how = 'resolved', updated_at = ?1 WHERE id = ?2",
        )
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        let kept: BTreeMap<&String, &str> =
            choices.iter().map(|(k, v)| (k, if *v == Side::Local { "local" } else { "central" })).collect();
        let meta = json!({"id": w.id, "version": w.version + 1, "central_version": n.central_version, "kept": kept});
        append(&mut tx, now, audit, "widget.resolve", &format!("{}/{}", n.connection, w.spec.name), meta).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(n)
    }

    /// A merge notice read: it leaves the list (the activity log keeps the merge).
    pub async fn dismiss_widget_notice(&self, id: i64, audit: &Audit) -> ZcResult<()> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE widget_sync_notices SET closed_at = ?1, closed_how = 'seen', updated_at = ?1 \
             WHERE id = ?2 AND kind = 'merged' AND closed_at IS NULL",
        )
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?
        .rows_affected();
        if done == 0 {
            return Err(ZcError::new(
                ErrorCode::NotFound,
                format!("no open merge notice {id} (a conflict is resolved, not dismissed: `zc widget resolve`)"),
            ));
        }
        append(&mut tx, now, audit, "widget.notice_seen", &format!("notice:{id}"), json!({"id": id})).await?;
        tx.commit().await.map_err(db_err)
    }

    /// Every widget here that the centre knows, by global id, with the centre's version this
    /// copy is at.
    pub async fn widget_central_versions(&self) -> ZcResult<BTreeMap<String, Option<i64>>> {
        let rows: Vec<(String, Option<i64>)> =
            sqlx::query_as("SELECT global_id, central_version FROM widget_configs WHERE global_id IS NOT NULL")
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
        Ok(rows.into_iter().collect())
    }

    /// Takes the centre's copy of a widget, unless this console has an edit of it the centre
    /// lacks (then the push merges or raises a conflict). Conditional on the version read, so
    /// an edit saved while the pull ran is kept.
    pub async fn apply_pulled_widget(&self, pw: &PulledWidget, audit: &Audit) -> ZcResult<PullOutcome> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let local = sqlx::query(
            "SELECT w.id, w.version, w.synced_version, w.central_version, w.name, c.name AS connection \
             FROM widget_configs w JOIN backend_connections c ON c.id = w.connection_id WHERE w.global_id = ?",
        )
        .bind(&pw.global_id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?;
        let spec = WidgetSpec { config: normal_config(&pw.spec.config), ..pw.spec.clone() };
        let Some(local) = local else {
            if pw.deleted {
                return Ok(PullOutcome::Unchanged);
            }
            let conn: Option<(i64, String)> =
                sqlx::query_as("SELECT id, name FROM backend_connections WHERE global_id = ?")
                    .bind(&pw.connection_global_id)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(db_err)?;
            let Some((connection_id, connection)) = conn else { return Ok(PullOutcome::NoConnection) };
            let taken: bool =
                sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM widget_configs WHERE connection_id = ? AND name = ?)")
                    .bind(connection_id)
                    .bind(&spec.name)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(db_err)?;
            if taken {
                return Ok(PullOutcome::NameTaken);
            }
            let id: i64 = crate::widgets::bind_spec(
                sqlx::query(
                    "INSERT INTO widget_configs (name, kind, url, active, config, connection_id, version, synced_version, \
                     central_version, global_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 1, 1, ?, ?, ?, ?) RETURNING id",
                ),
                &spec,
            )
            .bind(connection_id)
            .bind(pw.version)
            .bind(&pw.global_id)
            .bind(now)
            .bind(now)
            .fetch_one(&mut *tx)
            .await
            .map_err(db_err)?
            .get(0);
            let source = format!("central:v{}", pw.version);
            crate::widgets::insert_version_row(&mut tx, id, 1, None, "central", Some(&source), &spec, None, now)
                .await?;
            let meta = json!({"id": id, "central_version": pw.version, "central_by": pw.updated_by});
            append(&mut tx, now, audit, "widget.pull", &format!("{connection}/{}", spec.name), meta).await?;
            tx.commit().await.map_err(db_err)?;
            return Ok(PullOutcome::Added);
        };
        let (id, version): (i64, i64) = (local.get("id"), local.get("version"));
        let synced: Option<i64> = local.get("synced_version");
        let at: Option<i64> = local.get("central_version");
        let resource = format!("{}/{}", local.get::<String, _>("connection"), local.get::<String, _>("name"));
        if at == Some(pw.version) {
            return Ok(PullOutcome::Unchanged);
        }
        if synced != Some(version) {
            return Ok(PullOutcome::KeptLocalEdit);
        }
        if pw.deleted {
            // Marked first, so the removal trigger does not send the centre its own removal.
            sqlx::query("UPDATE widget_configs SET central_version = NULL WHERE id = ?")
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
            sqlx::query("DELETE FROM widget_configs WHERE id = ?").bind(id).execute(&mut *tx).await.map_err(db_err)?;
            let meta = json!({"id": id, "central_version": pw.version, "central_by": pw.updated_by});
            append(&mut tx, now, audit, "widget.pull_remove", &resource, meta).await?;
            tx.commit().await.map_err(db_err)?;
            return Ok(PullOutcome::Removed);
        }
        let moved = crate::widgets::bind_spec(
            sqlx::query(
                "UPDATE widget_configs SET name = ?, kind = ?, url = ?, active = ?, config = ?, version = version + 1, \
                 synced_version = version + 1, central_version = ?, updated_at = ? WHERE id = ? AND version = ?",
            ),
            &spec,
        )
        .bind(pw.version)
        .bind(now)
        .bind(id)
        .bind(version)
        .execute(&mut *tx)
        .await;
        match moved {
            Ok(_) => {}
            Err(e) if crate::error::is_unique_violation(&e) => return Ok(PullOutcome::NameTaken),
            Err(e) => return Err(db_err(e)),
        }
        let source = format!("central:v{}", pw.version);
        crate::widgets::insert_version_row(
            &mut tx,
            id,
            version + 1,
            Some(version),
            "central",
            Some(&source),
            &spec,
            None,
            now,
        )
        .await?;
        let meta =
            json!({"id": id, "version": version + 1, "central_version": pw.version, "central_by": pw.updated_by});
        append(&mut tx, now, audit, "widget.pull", &resource, meta).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(PullOutcome::Updated)
    }

    /// Gives up on a refused widget edit: this console takes the centre's copy at the next pull
    /// (or removes the widget, when the centre removed it). A widget the centre never had
    /// cannot be given up on this way: rename or remove it.
    pub(crate) async fn discard_widget_edit(conn: &mut SqliteConnection, id: i64) -> ZcResult<Option<i64>> {
        let row: Option<(String, Option<i64>)> =
            sqlx::query_as("SELECT name, central_version FROM widget_configs WHERE id = ?")
                .bind(id)
                .fetch_optional(&mut *conn)
                .await
                .map_err(db_err)?;
        match row {
            None => Ok(None),
            Some((name, None)) => Err(ZcError::new(
                ErrorCode::InvalidInput,
                format!(
                    "the central store has never had widget '{name}': rename it (another widget there has its name) or remove it; its edit cannot be given up for a copy the centre does not have"
                ),
            )),
            Some((_, Some(_))) => {
                // Version 0 at the centre does not exist: the next pull takes whatever it has.
                sqlx::query("UPDATE widget_configs SET synced_version = version, central_version = 0 WHERE id = ?")
                    .bind(id)
                    .execute(&mut *conn)
                    .await
                    .map_err(db_err)?;
                Ok(Some(id))
            }
        }
    }

    /// The widgets stream's queue and health.
    pub async fn widgets_sync_status(&self) -> ZcResult<StreamStatus> {
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        let (pending, oldest): (i64, Option<i64>) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT (SELECT COUNT(*) FROM widget_configs w WHERE {PENDING}) \
                    + (SELECT COUNT(*) FROM sync_removals WHERE stream = ?1 AND pushed_at IS NULL), \
                    MIN((SELECT MIN(w.updated_at) FROM widget_configs w WHERE {PENDING}), \
                        (SELECT MIN(removed_at) FROM sync_removals WHERE stream = ?1 AND pushed_at IS NULL))"
        )))
        .bind(WIDGETS_STREAM)
        .fetch_one(&mut *conn)
        .await
        .map_err(db_err)?;
        crate::sync::stream_status(&mut conn, WIDGETS_STREAM, pending, oldest).await
    }
}

#[allow(clippy::too_many_arguments)]
async fn insert_notice(
    tx: &mut SqliteConnection,
    p: &PendingWidget,
    kind: &str,
    base_version: i64,
    central: i64,
    central_by: &str,
    base: &WidgetSpec,
    central_spec: &WidgetSpec,
    local: &WidgetSpec,
    fields: &[FieldConflict],
    now: i64,
) -> ZcResult<()> {
    sqlx::query(
        "INSERT INTO widget_sync_notices (widget_id, kind, local_version, base_version, central_version, central_by, \
         base, local, central, fields, detected_at, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11, ?11)",
    )
    .bind(p.id)
    .bind(kind)
    .bind(p.version)
    .bind(base_version)
    .bind(central)
    .bind(central_by)
    .bind(spec_json(base))
    .bind(spec_json(local))
    .bind(spec_json(central_spec))
    .bind(serde_json::to_string(fields).expect("fields serialise"))
    .bind(now)
    .execute(tx)
    .await
    .map_err(db_err)?;
    Ok(())
}
