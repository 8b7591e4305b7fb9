//! Widget configurations at the centre: an edit made offline names the version it started
//! from; under the widget's row lock the centre's version is compared with it, and the edit is
//! stored, merged with what the centre changed meanwhile (different fields), or answered as a
//! conflict (the same field), with nothing written. A widget removed at the centre refuses
//! edits. Pull reads the site's widgets by version, so a console fetches only what moved.

use crate::statement;
use sqlx::{PgConnection, PgPool, Row};
use uuid::Uuid;
use zc_domain::widget::WidgetSpec;
use zc_domain::widget_merge::{self, FieldConflict};

/// A widget as the centre holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct CentralWidget {
    pub id: Uuid,
    pub connection_id: Uuid,
    pub spec: WidgetSpec,
    pub version: i64,
    pub deleted: bool,
    pub updated_by: String,
    pub updated_at_ms: i64,
}

/// A console's edit: `base_version` is the centre's version it started from (None: a widget
/// this console made, never at the centre yet).
#[derive(Debug, Clone)]
pub struct WidgetEdit {
    pub id: Uuid,
    pub connection_id: Uuid,
    pub spec: WidgetSpec,
    pub base_version: Option<i64>,
    pub changed_by: String,
    pub changed_at_ms: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum WidgetPush {
    /// The centre holds exactly the edit, at `version` (also when it already did).
    Stored { version: i64 },
    /// The centre had moved on in other fields: it now holds the merge, at `version`.
    /// `base` and `central` are the two sides it merged (the centre's before the merge).
    Merged { version: i64, spec: WidgetSpec, base: WidgetSpec, central: CentralWidget, from_central: Vec<String> },
    /// The same field changed on both sides; nothing was written.
    Conflict { base_version: i64, base: WidgetSpec, central: CentralWidget, conflicts: Vec<FieldConflict> },
    /// The widget was removed at the centre; nothing was written.
    Removed { by: String, at_ms: i64 },
}

const SELECT: &str = "SELECT w.id, w.connection_id, w.kind, w.name, w.url, w.config::text AS config, w.active, w.version, \
     w.deleted_at IS NOT NULL AS deleted, w.updated_by, (extract(epoch FROM w.updated_at) * 1000)::bigint AS updated_at_ms \
     FROM central.widgets w";

fn row_to_widget(r: &sqlx::postgres::PgRow) -> CentralWidget {
    CentralWidget {
        id: r.get("id"),
        connection_id: r.get("connection_id"),
        spec: WidgetSpec {
            name: r.get("name"),
            kind: r.get("kind"),
            url: r.get("url"),
            active: r.get("active"),
            config: r.get("config"),
        },
        version: r.get("version"),
        deleted: r.get("deleted"),
        updated_by: r.get("updated_by"),
        updated_at_ms: r.get("updated_at_ms"),
    }
}

/// Every widget of the console's site with its version (removed ones too: a removal moves the
/// version).
pub async fn heads(pool: &PgPool) -> Result<Vec<(Uuid, i64)>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let heads = statement::query_as(
        "SELECT w.id, w.version FROM central.widgets w JOIN central.connections c ON c.id = w.connection_id \
         WHERE c.site_id = (SELECT central.console_site()) ORDER BY w.id",
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(heads)
}

/// The site's widgets among `ids`.
pub async fn fetch(pool: &PgPool, ids: &[Uuid]) -> Result<Vec<CentralWidget>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let rows = statement::query(sqlx::AssertSqlSafe(format!(
        "{SELECT} JOIN central.connections c ON c.id = w.connection_id \
         WHERE c.site_id = (SELECT central.console_site()) AND w.id = ANY($1) ORDER BY w.id"
    )))
    .bind(ids)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(rows.iter().map(row_to_widget).collect())
}

async fn version_spec(tx: &mut PgConnection, id: Uuid, version: i64) -> Result<Option<WidgetSpec>, sqlx::Error> {
    let r = statement::query(
        "SELECT kind, name, url, config::text AS config, active FROM central.widget_versions WHERE widget_id = $1 AND version = $2",
    )
    .bind(id)
    .bind(version)
    .fetch_optional(&mut *tx)
    .await?;
    Ok(r.map(|r| WidgetSpec {
        name: r.get("name"),
        kind: r.get("kind"),
        url: r.get("url"),
        active: r.get("active"),
        config: r.get("config"),
    }))
}

async fn insert_version(
    tx: &mut PgConnection,
    edit: &WidgetEdit,
    spec: &WidgetSpec,
    version: i64,
    base: Option<i64>,
    merged: Option<&[String]>,
) -> Result<(), sqlx::Error> {
    statement::query(
        "INSERT INTO central.widget_versions (widget_id, version, organisation_id, kind, name, url, config, active, \
         changed_by, changed_at, console_id, base_version, merged) \
         VALUES ($1, $2, (SELECT central.console_organisation()), $3, $4, $5, $6::jsonb, $7, $8, to_timestamp($9 / 1000.0), \
                 (SELECT central.console_id()), $10, $11::jsonb)",
    )
    .bind(edit.id)
    .bind(version)
    .bind(&spec.kind)
    .bind(&spec.name)
    .bind(&spec.url)
    .bind(&spec.config)
    .bind(spec.active)
    .bind(&edit.changed_by)
    .bind(edit.changed_at_ms)
    .bind(base)
    .bind(merged.map(|m| serde_json::Value::from(m.to_vec()).to_string()))
    .execute(&mut *tx)
    .await?;
    Ok(())
}

async fn update(tx: &mut PgConnection, edit: &WidgetEdit, spec: &WidgetSpec, version: i64) -> Result<(), sqlx::Error> {
    statement::query(
        "UPDATE central.widgets SET kind = $2, name = $3, url = $4, config = $5::jsonb, active = $6, version = $7, \
         updated_at = to_timestamp($8 / 1000.0), updated_by = $9, console_id = (SELECT central.console_id()) WHERE id = $1",
    )
    .bind(edit.id)
    .bind(&spec.kind)
    .bind(&spec.name)
    .bind(&spec.url)
    .bind(&spec.config)
    .bind(spec.active)
    .bind(version)
    .bind(edit.changed_at_ms)
    .bind(&edit.changed_by)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Pushes one edit (or a new widget); see [`WidgetPush`]. The whole decision is made under the
/// widget's row lock, so two consoles pushing at once are ordered, and the second merges with
/// the first or conflicts with it.
pub async fn push(pool: &PgPool, edit: &WidgetEdit) -> Result<WidgetPush, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let current = statement::query(sqlx::AssertSqlSafe(format!("{SELECT} WHERE w.id = $1 FOR UPDATE")))
        .bind(edit.id)
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| row_to_widget(&r));
    let Some(c) = current else {
        statement::query(
            "INSERT INTO central.widgets (id, organisation_id, connection_id, kind, name, url, config, active, version, \
             updated_at, updated_by, console_id) \
             VALUES ($1, (SELECT central.console_organisation()), $2, $3, $4, $5, $6::jsonb, $7, 1, to_timestamp($8 / 1000.0), $9, \
                     (SELECT central.console_id()))",
        )
        .bind(edit.id)
        .bind(edit.connection_id)
        .bind(&edit.spec.kind)
        .bind(&edit.spec.name)
        .bind(&edit.spec.url)
        .bind(&edit.spec.config)
        .bind(edit.spec.active)
        .bind(edit.changed_at_ms)
        .bind(&edit.changed_by)
        .execute(&mut *tx)
        .await?;
        insert_version(&mut tx, edit, &edit.spec, 1, None, None).await?;
        tx.commit().await?;
        return Ok(WidgetPush::Stored { version: 1 });
    };
    if c.deleted {
        return Ok(WidgetPush::Removed { by: c.updated_by, at_ms: c.updated_at_ms });
    }
    if widget_merge::same(&c.spec, &edit.spec) {
        // Already there (an answer lost on the way back, or the same change made twice).
        return Ok(WidgetPush::Stored { version: c.version });
    }
    // A widget this console made and pushed before (the answer lost) started from version 1.
    let base_version = edit.base_version.unwrap_or(1);
    if c.version == base_version {
        update(&mut tx, edit, &edit.spec, c.version + 1).await?;
        insert_version(&mut tx, edit, &edit.spec, c.version + 1, Some(base_version), None).await?;
        tx.commit().await?;
        return Ok(WidgetPush::Stored { version: c.version + 1 });
    }
    // Without its base every difference counts as changed on both sides: a conflict, never a
    // guess at whose change wins.
    let base = version_spec(&mut tx, edit.id, base_version).await?.unwrap_or(WidgetSpec {
        name: String::new(),
        kind: String::new(),
        url: None,
        active: !edit.spec.active,
        config: "{}".into(),
    });
    let m = widget_merge::merge(&base, &edit.spec, &c.spec);
    let conflicts = if m.conflicts.is_empty() && m.spec.clone().validate().is_err() {
        // Each side fine, the two together not (a kind changed on one side, its settings on the
        // other): a person decides, field by field.
        zc_domain::widget::diff(&c.spec, &edit.spec)
            .into_iter()
            .map(|d| FieldConflict { field: d.field, base: None, local: d.after, central: d.before })
            .collect()
    } else {
        m.conflicts
    };
    if !conflicts.is_empty() {
        return Ok(WidgetPush::Conflict { base_version, base, central: c, conflicts });
    }
    let merged = m.spec.validate().expect("checked above");
    update(&mut tx, edit, &merged, c.version + 1).await?;
    insert_version(&mut tx, edit, &merged, c.version + 1, Some(base_version), Some(&m.from_central)).await?;
    tx.commit().await?;
    Ok(WidgetPush::Merged { version: c.version + 1, spec: merged, base, central: c, from_central: m.from_central })
}

/// A widget removed on this console: removed at the centre too (a version more, so other
/// consoles' pulls see it). Already removed: nothing changes.
pub async fn remove(pool: &PgPool, id: Uuid, by: &str, at_ms: i64) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    statement::query(
        "UPDATE central.widgets SET deleted_at = to_timestamp($2 / 1000.0), version = version + 1, \
         updated_at = to_timestamp($2 / 1000.0), updated_by = $3, console_id = (SELECT central.console_id()) \
         WHERE id = $1 AND deleted_at IS NULL",
    )
    .bind(id)
    .bind(at_ms)
    .bind(by)
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}
