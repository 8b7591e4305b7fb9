//! A site configuration's changes, applied in one transaction: every one of them or none. Each
//! change is audited as it would be made by hand (`connection.add`, `widget.edit`, ...), and one
//! `config.import` entry says what the import did as a whole.

use crate::activity::{Audit, append};
use crate::alarms::evaluate_in;
use crate::connections::{insert_connection, set_dependency_in, update_connection_in};
use crate::error::db_err;
use crate::maintenance_windows::insert_window;
use crate::retention::set_retention_in;
use crate::widgets::{insert_widget, update_widget_in};
use crate::{Store, WidgetRow};
use std::collections::HashMap;
use zc_domain::widget::WidgetSpec;
use zc_domain::{ConnectionSpec, ErrorCode, ZcError, ZcResult};

/// One change an import makes. Connections are named, not numbered: one the same import creates
/// has no id until its insert.
#[derive(Debug, Clone)]
pub enum SiteChange {
    AddConnection(ConnectionSpec),
    UpdateConnection {
        id: i64,
        old_name: String,
        spec: ConnectionSpec,
    },
    SetDependency {
        connection: String,
        depends_on: Option<String>,
    },
    AddWidget {
        connection: String,
        spec: WidgetSpec,
    },
    /// Applies only while the widget is still at `current.version` (`edit_conflict` otherwise).
    UpdateWidget {
        connection: String,
        current: WidgetRow,
        spec: WidgetSpec,
    },
    OpenWindow {
        connection: String,
        starts_at: i64,
        ends_at: i64,
        reason: String,
    },
    SetRetention {
        data_kind: String,
        max_age_ms: i64,
    },
}

async fn id_of(tx: &mut sqlx::SqliteConnection, ids: &mut HashMap<String, i64>, name: &str) -> ZcResult<i64> {
    if let Some(id) = ids.get(name) {
        return Ok(*id);
    }
    let id: Option<i64> = sqlx::query_scalar("SELECT id FROM backend_connections WHERE name = ?")
        .bind(name)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?;
    let id = id.ok_or_else(|| {
        ZcError::new(
            ErrorCode::NotFound,
            format!("connection '{name}' was removed while the import ran; nothing was written: import again"),
        )
    })?;
    ids.insert(name.to_owned(), id);
    Ok(id)
}

impl Store {
    /// Applies `changes` in order, in one transaction, then records `summary` as `config.import`.
    /// The first change that fails rolls all of them back.
    pub async fn apply_site_changes(
        &self,
        changes: &[SiteChange],
        edited_by: Option<i64>,
        summary: serde_json::Value,
        audit: &Audit,
    ) -> ZcResult<()> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let mut ids = HashMap::new();
        let mut decide_alarms = false;
        for change in changes {
            match change {
                SiteChange::AddConnection(spec) => {
                    let id = insert_connection(&mut tx, spec, audit, now).await?;
                    ids.insert(spec.name.clone(), id);
                }
                SiteChange::UpdateConnection { id, old_name, spec } => {
                    update_connection_in(&mut tx, *id, old_name, spec, audit, now).await?;
                }
                SiteChange::SetDependency { connection, depends_on } => {
                    let id = id_of(&mut tx, &mut ids, connection).await?;
                    let parent = match depends_on {
                        Some(p) => Some((id_of(&mut tx, &mut ids, p).await?, p.as_str())),
                        None => None,
                    };
                    set_dependency_in(&mut tx, id, connection, parent, audit, now).await?;
                    decide_alarms = true;
                }
                SiteChange::AddWidget { connection, spec } => {
                    let id = id_of(&mut tx, &mut ids, connection).await?;
                    insert_widget(&mut tx, id, connection, spec, edited_by, None, audit, now).await?;
                }
                SiteChange::UpdateWidget { connection, current, spec } => {
                    update_widget_in(&mut tx, current, connection, spec, edited_by, None, audit, now).await?;
                }
                SiteChange::OpenWindow { connection, starts_at, ends_at, reason } => {
                    let id = id_of(&mut tx, &mut ids, connection).await?;
                    insert_window(&mut tx, id, connection, *starts_at, *ends_at, reason, audit, now).await?;
                    decide_alarms = true;
                }
                SiteChange::SetRetention { data_kind, max_age_ms } => {
                    set_retention_in(&mut tx, data_kind, *max_age_ms, audit, now).await?;
                }
            }
        }
        if decide_alarms {
            evaluate_in(&mut tx, now).await?;
        }
        append(&mut tx, now, audit, "config.import", "site", summary).await?;
        tx.commit().await.map_err(db_err)
    }
}
