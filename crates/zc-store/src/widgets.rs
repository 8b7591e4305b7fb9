//! Widget configurations (owned by a connection) and their access log.

use crate::activity::{Audit, append};
use crate::error::{db_err, is_unique_violation};
use crate::{SqliteQuery, Store};
use serde::Serialize;
use serde_json::json;
use sqlx::Row;
use zc_domain::widget::WidgetSpec;
use zc_domain::{ErrorCode, ZcError, ZcResult};

#[derive(Debug, Clone, Serialize)]
pub struct WidgetRow {
    pub id: i64,
    pub connection_id: i64,
    #[serde(flatten)]
    pub spec: WidgetSpec,
    pub version: i64,
    pub created_by: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

fn row_to_widget(r: &sqlx::sqlite::SqliteRow) -> WidgetRow {
    WidgetRow {
        id: r.get("id"),
        connection_id: r.get("connection_id"),
        spec: WidgetSpec {
            name: r.get("name"),
            kind: r.get("kind"),
            url: r.get("url"),
            active: r.get::<i64, _>("active") != 0,
            config: r.get("config"),
        },
        version: r.get("version"),
        created_by: r.get("created_by"),
        created_at: r.get("created_at"),
        updated_at: r.get("updated_at"),
    }
}

/// Binds what an admin edits, in the column order both INSERT and UPDATE use.
fn bind_spec<'q>(q: SqliteQuery<'q>, spec: &'q WidgetSpec) -> SqliteQuery<'q> {
    q.bind(&spec.name).bind(&spec.kind).bind(&spec.url).bind(spec.active as i64).bind(&spec.config)
}

impl Store {
    pub async fn add_widget(
        &self,
        connection_id: i64,
        connection: &str,
        spec: &WidgetSpec,
        created_by: Option<i64>,
        audit: &Audit,
    ) -> ZcResult<WidgetRow> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let res = bind_spec(
            sqlx::query(
                "INSERT INTO widget_configs (name, kind, url, active, config, connection_id, version, created_by, created_at, updated_at) \
                 VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?)",
            ),
            spec,
        )
        .bind(connection_id)
        .bind(created_by)
        .bind(now)
        .bind(now)
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
        append(
            &mut tx,
            now,
            audit,
            "widget.add",
            &format!("{connection}/{}", spec.name),
            json!({"id": id, "kind": spec.kind, "version": 1}),
        )
        .await?;
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

    /// Saves an edit as the next version. It applies only if the widget is still at `w.version`,
    /// so an edit made elsewhere since `w` was read is never overwritten.
    pub async fn update_widget(
        &self,
        w: &WidgetRow,
        connection: &str,
        spec: &WidgetSpec,
        audit: &Audit,
    ) -> ZcResult<WidgetRow> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
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
            Ok(_) => {
                return Err(ZcError::new(
                    ErrorCode::InvalidInput,
                    format!(
                        "widget '{}' changed since it was read (version {}); read it again and reapply your edit",
                        w.spec.name, w.version
                    ),
                ));
            }
            Err(e) if is_unique_violation(&e) => {
                return Err(ZcError::new(
                    ErrorCode::DuplicateName,
                    format!("connection '{connection}' already has a widget named '{}'", spec.name),
                ));
            }
            Err(e) => return Err(db_err(e)),
        }
        append(
            &mut tx,
            now,
            audit,
            "widget.edit",
            &format!("{connection}/{}", w.spec.name),
            json!({"id": w.id, "version": w.version + 1, "active": spec.active}),
        )
        .await?;
        tx.commit().await.map_err(db_err)?;
        self.widget_by_id(w.id).await
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
