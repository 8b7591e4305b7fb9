//! Widget configurations (owned by a connection) and their access log.

use crate::activity::{Audit, append};
use crate::error::{db_err, is_unique_violation};
use crate::{SqliteQuery, Store};
use serde::Serialize;
use serde_json::json;
use sqlx::Row;
use zc_domain::widget::WidgetSpec;
use zc_domain::{ErrorCode, ZcError, ZcResult};

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct WidgetRow {
    pub id: i64,
    pub connection_id: i64,
    #[serde(flatten)]
    #[ts(flatten)]
    pub spec: WidgetSpec,
    pub version: i64,
    pub created_by: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// How a version came to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum WidgetChange {
    Create,
    Edit,
    /// An older version brought back (as a new version).
    Restore,
    /// Copied from another widget.
    Duplicate,
    /// The state a widget had when versions began to be kept.
    Existing,
    /// Taken from the central store (pulled, or merged there with this console's edit).
    Central,
    /// A conflict with the centre, resolved by a person.
    Resolve,
}

impl WidgetChange {
    fn as_str(self) -> &'static str {
        match self {
            WidgetChange::Create => "create",
            WidgetChange::Edit => "edit",
            WidgetChange::Restore => "restore",
            WidgetChange::Duplicate => "duplicate",
            WidgetChange::Existing => "existing",
            WidgetChange::Central => "central",
            WidgetChange::Resolve => "resolve",
        }
    }
    fn parse(s: &str) -> Self {
        match s {
            "create" => WidgetChange::Create,
            "edit" => WidgetChange::Edit,
            "restore" => WidgetChange::Restore,
            "duplicate" => WidgetChange::Duplicate,
            "central" => WidgetChange::Central,
            "resolve" => WidgetChange::Resolve,
            _ => WidgetChange::Existing,
        }
    }
}

/// One saved version of a widget.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct WidgetVersion {
    pub widget_id: i64,
    pub version: i64,
    /// The version the edit started from (None for a new widget).
    pub base_version: Option<i64>,
    pub change: WidgetChange,
    /// For a restore, the version brought back; for a duplicate, `connection/widget` copied.
    pub source: Option<String>,
    #[serde(flatten)]
    #[ts(flatten)]
    pub spec: WidgetSpec,
    /// Who saved it (username), when known.
    pub edited_by: Option<String>,
    pub edited_at: i64,
}

pub(crate) fn spec_of(r: &sqlx::sqlite::SqliteRow) -> WidgetSpec {
    WidgetSpec {
        name: r.get("name"),
        kind: r.get("kind"),
        url: r.get("url"),
        active: r.get::<i64, _>("active") != 0,
        config: r.get("config"),
    }
}

fn row_to_version(r: &sqlx::sqlite::SqliteRow) -> WidgetVersion {
    WidgetVersion {
        widget_id: r.get("widget_id"),
        version: r.get("version"),
        base_version: r.get("base_version"),
        change: WidgetChange::parse(r.get::<&str, _>("change")),
        source: r.get("source"),
        spec: spec_of(r),
        edited_by: r.get("username"),
        edited_at: r.get("edited_at"),
    }
}

const VERSION_SELECT: &str = "SELECT v.*, u.username FROM widget_versions v LEFT JOIN users u ON u.id = v.edited_by";

/// Records a version in the transaction that saves it, so a widget never has a version
/// without its history.
#[allow(clippy::too_many_arguments)]
async fn insert_version(
    tx: &mut sqlx::SqliteConnection,
    widget_id: i64,
    version: i64,
    base_version: Option<i64>,
    change: WidgetChange,
    source: Option<&str>,
    spec: &WidgetSpec,
    edited_by: Option<i64>,
    now: i64,
) -> ZcResult<()> {
    insert_version_row(tx, widget_id, version, base_version, change.as_str(), source, spec, edited_by, now).await
}

/// [`insert_version`] with the change named as stored (sync's versions: `central`, `resolve`).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn insert_version_row(
    tx: &mut sqlx::SqliteConnection,
    widget_id: i64,
    version: i64,
    base_version: Option<i64>,
    change: &str,
    source: Option<&str>,
    spec: &WidgetSpec,
    edited_by: Option<i64>,
    now: i64,
) -> ZcResult<()> {
    bind_spec(
        sqlx::query(
            "INSERT INTO widget_versions (name, kind, url, active, config, widget_id, version, base_version, change, source, edited_by, edited_at, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        ),
        spec,
    )
    .bind(widget_id)
    .bind(version)
    .bind(base_version)
    .bind(change)
    .bind(source)
    .bind(edited_by)
    .bind(now)
    .bind(now)
    .bind(now)
    .execute(&mut *tx)
    .await
    .map_err(db_err)?;
    Ok(())
}

/// Widget `id` read inside the caller's transaction.
pub(crate) async fn widget_in(tx: &mut sqlx::SqliteConnection, id: i64) -> ZcResult<WidgetRow> {
    sqlx::query("SELECT * FROM widget_configs WHERE id = ?")
        .bind(id)
        .fetch_optional(tx)
        .await
        .map_err(db_err)?
        .map(|r| row_to_widget(&r))
        .ok_or_else(|| ZcError::new(ErrorCode::NotFound, format!("no widget {id}; it was removed")))
}

fn row_to_widget(r: &sqlx::sqlite::SqliteRow) -> WidgetRow {
    WidgetRow {
        id: r.get("id"),
        connection_id: r.get("connection_id"),
        spec: spec_of(r),
        version: r.get("version"),
        created_by: r.get("created_by"),
        created_at: r.get("created_at"),
        updated_at: r.get("updated_at"),
    }
}

/// Binds what an admin edits, in the column order both INSERT and UPDATE use.
pub(crate) fn bind_spec<'q>(q: SqliteQuery<'q>, spec: &'q WidgetSpec) -> SqliteQuery<'q> {
    q.bind(&spec.name).bind(&spec.kind).bind(&spec.url).bind(spec.active as i64).bind(&spec.config)
}

fn moved_on(name: &str, version: i64) -> ZcError {
    ZcError::new(
        ErrorCode::EditConflict,
        format!(
            "widget '{name}' was saved by someone else since your edit began at version {version}; nothing was written: open it again and reapply your change"
        ),
    )
}

/// Inserts a widget at version 1 with its first version row, audited, inside the caller's
/// transaction; returns its id.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn insert_widget(
    tx: &mut sqlx::SqliteConnection,
    connection_id: i64,
    connection: &str,
    spec: &WidgetSpec,
    created_by: Option<i64>,
    copied_from: Option<&str>,
    audit: &Audit,
    now: i64,
) -> ZcResult<i64> {
    let res = bind_spec(
            sqlx::query(
                "INSERT INTO widget_configs (name, kind, url, active, config, connection_id, version, created_by, created_at, updated_at, global_id) \
                 VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?)",
            ),
            spec,
        )
        .bind(connection_id)
        .bind(created_by)
        .bind(now)
        .bind(now)
        .bind(crate::ids::global_id(now))
        .execute(&mut *tx)
        .await;
    let id = match res {
        Ok(r) => r.last_insert_rowid(),
        Err(e) if is_unique_violation(&e) => {
            return Err(ZcError::new(
                ErrorCode::DuplicateName,
                format!(
                    "connection '{connection}' already has a widget named '{}'; edit it with `zc widget edit {connection} {}`",
                    spec.name, spec.name
                ),
            ));
        }
        Err(e) => return Err(db_err(e)),
    };
    let change = if copied_from.is_some() { WidgetChange::Duplicate } else { WidgetChange::Create };
    insert_version(tx, id, 1, None, change, copied_from, spec, created_by, now).await?;
    let mut meta = json!({"id": id, "kind": spec.kind, "version": 1, "active": spec.active});
    if let Some(from) = copied_from {
        meta["copied_from"] = json!(from);
    }
    let action = if copied_from.is_some() { "widget.duplicate" } else { "widget.add" };
    append(tx, now, audit, action, &format!("{connection}/{}", spec.name), meta).await?;
    Ok(id)
}

/// Saves `spec` as the next version of `w` inside the caller's transaction, only if the widget
/// is still at `w.version` (`edit_conflict` otherwise).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn update_widget_in(
    tx: &mut sqlx::SqliteConnection,
    w: &WidgetRow,
    connection: &str,
    spec: &WidgetSpec,
    edited_by: Option<i64>,
    restored: Option<i64>,
    audit: &Audit,
    now: i64,
) -> ZcResult<()> {
    let res = bind_spec(
            sqlx::query(
                "UPDATE widget_configs SET name = ?, kind = ?, url = ?, active = ?, config = ?, version = version + 1, updated_at = ? \
                 WHERE id = ? AND version = ?",
            ),
            spec,
        )
        .bind(now)
        .bind(w.id)
        .bind(w.version)
        .execute(&mut *tx)
        .await;
    match res {
        Ok(r) if r.rows_affected() == 1 => {}
        Ok(_) => return Err(moved_on(&w.spec.name, w.version)),
        Err(e) if is_unique_violation(&e) => {
            return Err(ZcError::new(
                ErrorCode::DuplicateName,
                format!("connection '{connection}' already has a widget named '{}'", spec.name),
            )
            .at_field("name"));
        }
        Err(e) => return Err(db_err(e)),
    }
    let version = w.version + 1;
    let (change, source) = match restored {
        Some(v) => (WidgetChange::Restore, Some(v.to_string())),
        None => (WidgetChange::Edit, None),
    };
    insert_version(tx, w.id, version, Some(w.version), change, source.as_deref(), spec, edited_by, now).await?;
    crate::sync_widgets::edited_again(tx, w.id, now).await?;
    let changed: Vec<String> = zc_domain::widget::diff(&w.spec, spec).into_iter().map(|c| c.field).collect();
    let mut meta =
        json!({"id": w.id, "version": version, "base_version": w.version, "active": spec.active, "changed": changed});
    if let Some(v) = restored {
        meta["restored"] = json!(v);
    }
    let action = if restored.is_some() { "widget.restore" } else { "widget.edit" };
    append(tx, now, audit, action, &format!("{connection}/{}", w.spec.name), meta).await?;
    Ok(())
}

impl Store {
    /// A new widget at version 1; `copied_from` (`connection/widget`) makes it a duplicate.
    pub async fn add_widget(
        &self,
        connection_id: i64,
        connection: &str,
        spec: &WidgetSpec,
        created_by: Option<i64>,
        copied_from: Option<&str>,
        audit: &Audit,
    ) -> ZcResult<WidgetRow> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let id = insert_widget(&mut tx, connection_id, connection, spec, created_by, copied_from, audit, now).await?;
        tx.commit().await.map_err(db_err)?;
        self.widget_by_id(id).await
    }

    async fn widget_by_id(&self, id: i64) -> ZcResult<WidgetRow> {
        let r = sqlx::query("SELECT * FROM widget_configs WHERE id = ?")
            .bind(id)
            .fetch_one(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(row_to_widget(&r))
    }

    pub async fn widget(&self, connection_id: i64, connection: &str, name: &str) -> ZcResult<WidgetRow> {
        sqlx::query("SELECT * FROM widget_configs WHERE connection_id = ? AND name = ?")
            .bind(connection_id)
            .bind(name)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?
            .map(|r| row_to_widget(&r))
            .ok_or_else(|| {
                ZcError::new(ErrorCode::NotFound, format!("connection '{connection}' has no widget named '{name}'; `zc widget list {connection}` shows them"))
            })
    }

    pub async fn list_widgets(&self, connection_id: Option<i64>) -> ZcResult<Vec<WidgetRow>> {
        let rows = sqlx::query(
            "SELECT * FROM widget_configs WHERE ?1 IS NULL OR connection_id = ?1 ORDER BY connection_id, name",
        )
        .bind(connection_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(rows.iter().map(row_to_widget).collect())
    }

    /// Saves `spec` as the next version of `w`. It applies only if the widget is still at
    /// `w.version` (the version the edit started from), so an edit saved elsewhere since is
    /// never overwritten. `restored` names the older version a restore brings back.
    pub async fn update_widget(
        &self,
        w: &WidgetRow,
        connection: &str,
        spec: &WidgetSpec,
        edited_by: Option<i64>,
        restored: Option<i64>,
        audit: &Audit,
    ) -> ZcResult<WidgetRow> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        update_widget_in(&mut tx, w, connection, spec, edited_by, restored, audit, now).await?;
        tx.commit().await.map_err(db_err)?;
        self.widget_by_id(w.id).await
    }

    /// Every version of a widget, newest first.
    pub async fn widget_versions(&self, widget_id: i64) -> ZcResult<Vec<WidgetVersion>> {
        let rows =
            sqlx::query(sqlx::AssertSqlSafe(format!("{VERSION_SELECT} WHERE v.widget_id = ? ORDER BY v.version DESC")))
                .bind(widget_id)
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
        Ok(rows.iter().map(row_to_version).collect())
    }

    pub async fn widget_version(&self, w: &WidgetRow, version: i64) -> ZcResult<WidgetVersion> {
        sqlx::query(sqlx::AssertSqlSafe(format!("{VERSION_SELECT} WHERE v.widget_id = ? AND v.version = ?")))
            .bind(w.id)
            .bind(version)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?
            .map(|r| row_to_version(&r))
            .ok_or_else(|| {
                ZcError::new(
                    ErrorCode::NotFound,
                    format!(
                        "widget '{}' has no version {version} (it is at version {}); `zc widget history` lists them",
                        w.spec.name, w.version
                    ),
                )
            })
    }

    pub async fn remove_widget(&self, w: &WidgetRow, connection: &str, audit: &Audit) -> ZcResult<()> {
        let resource = format!("{connection}/{}", w.spec.name);
        let meta = json!({"id": w.id, "version": w.version});
        self.delete_audited("widget_configs", w.id, audit, "widget.remove", &resource, meta).await
    }

    /// A person opened a widget; kept apart from connection access.
    pub async fn record_widget_access(
        &self,
        widget_id: i64,
        user_id: Option<i64>,
        device_id: Option<i64>,
        action: &str,
    ) -> ZcResult<()> {
        let now = self.now();
        sqlx::query("INSERT INTO widget_access_log (widget_id, user_id, device_id, at, action, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)")
            .bind(widget_id)
            .bind(user_id)
            .bind(device_id)
            .bind(now)
            .bind(action)
            .bind(now)
            .bind(now)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }
}
