//! Widget configurations: the admin's editor and `zc widget`. Every save is checked against the
//! kind's JSON Schema here, names the version it started from, and becomes a new version with
//! its history; a restore or a duplicate is a save like any other.

use crate::App;
use serde::Serialize;
use zc_domain::widget::{FieldChange, FieldError, WidgetKindInfo, WidgetSpec, all_kinds, diff};
use zc_domain::{Capability, ErrorCode, ZcError, ZcResult};
use zc_store::{WidgetRow, WidgetVersion};

/// A connection's widgets, for the editor's list.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct WidgetGroup {
    pub connection: String,
    pub widgets: Vec<WidgetRow>,
}

/// What changed between two versions of a widget.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct WidgetDiff {
    pub from: WidgetVersion,
    pub to: WidgetVersion,
    pub changes: Vec<FieldChange>,
}

impl App {
    /// The kinds an admin can choose, with each one's schema and fields.
    pub async fn widget_kinds(&self) -> ZcResult<Vec<WidgetKindInfo>> {
        self.authorize(Capability::View).await?;
        Ok(all_kinds())
    }

    /// Every problem with a widget as the editor has it, each at its field; nothing is saved.
    pub async fn check_widget(&self, spec: &WidgetSpec) -> ZcResult<Vec<FieldError>> {
        self.authorize(Capability::EditWidgets).await?;
        Ok(spec.check())
    }

    pub async fn add_widget(&self, connection: &str, spec: WidgetSpec) -> ZcResult<WidgetRow> {
        let audit = self.authorize(Capability::EditWidgets).await?;
        let spec = spec.validate()?;
        let conn = self.store.connection(connection).await?;
        self.store.add_widget(conn.id, connection, &spec, self.signed_in().map(|s| s.user_id), None, &audit).await
    }

    pub async fn list_widgets(&self, connection: Option<&str>) -> ZcResult<Vec<WidgetRow>> {
        self.authorize(Capability::View).await?;
        let id = match connection {
            Some(n) => Some(self.store.connection(n).await?.id),
            None => None,
        };
        self.store.list_widgets(id).await
    }

    /// Every connection with its widgets (none is a group too: that is where one is added).
    pub async fn widget_groups(&self) -> ZcResult<Vec<WidgetGroup>> {
        self.authorize(Capability::View).await?;
        let connections = self.store.list_connections().await?;
        let mut widgets = self.store.list_widgets(None).await?;
        let mut groups: Vec<WidgetGroup> = connections
            .iter()
            .map(|c| WidgetGroup {
                connection: c.spec.name.clone(),
                widgets: widgets.extract_if(.., |w| w.connection_id == c.id).collect(),
            })
            .collect();
        groups.sort_by(|a, b| a.connection.cmp(&b.connection));
        Ok(groups)
    }

    /// Reads a widget for a person, logging the access (apart from connection access).
    pub async fn show_widget(&self, connection: &str, name: &str) -> ZcResult<WidgetRow> {
        let audit = self.authorize(Capability::View).await?;
        let conn = self.store.connection(connection).await?;
        let w = self.store.widget(conn.id, connection, name).await?;
        self.store.record_widget_access(w.id, self.signed_in().map(|s| s.user_id), audit.device_id, "view").await?;
        Ok(w)
    }

    /// Applies `edit` to the current configuration and saves it as the next version (`zc widget
    /// edit`: the edit starts from the version just read).
    pub async fn edit_widget(
        &self,
        connection: &str,
        name: &str,
        edit: impl FnOnce(&mut WidgetSpec),
    ) -> ZcResult<WidgetRow> {
        self.authorize(Capability::EditWidgets).await?;
        let current = self.widget_row(connection, name).await?;
        let mut spec = current.spec.clone();
        edit(&mut spec);
        self.save_widget(connection, name, current.version, spec).await
    }

    /// Saves the editor's `spec` as the next version, if the widget is still at `base_version`,
    /// the version the edit started from; otherwise nothing is written (`edit_conflict`).
    pub async fn save_widget(
        &self,
        connection: &str,
        name: &str,
        base_version: i64,
        spec: WidgetSpec,
    ) -> ZcResult<WidgetRow> {
        let audit = self.authorize(Capability::EditWidgets).await?;
        let spec = spec.validate()?;
        let current = self.at_version(connection, name, base_version).await?;
        self.store.update_widget(&current, connection, &spec, self.signed_in().map(|s| s.user_id), None, &audit).await
    }

    /// Every version, newest first.
    pub async fn widget_history(&self, connection: &str, name: &str) -> ZcResult<Vec<WidgetVersion>> {
        self.authorize(Capability::View).await?;
        let w = self.widget_row(connection, name).await?;
        self.store.widget_versions(w.id).await
    }

    /// What changed from version `from` to version `to` (the current one when None).
    pub async fn widget_diff(&self, connection: &str, name: &str, from: i64, to: Option<i64>) -> ZcResult<WidgetDiff> {
        self.authorize(Capability::View).await?;
        let w = self.widget_row(connection, name).await?;
        let a = self.store.widget_version(&w, from).await?;
        let b = self.store.widget_version(&w, to.unwrap_or(w.version)).await?;
        Ok(WidgetDiff { changes: diff(&a.spec, &b.spec), from: a, to: b })
    }

    /// Brings back `version` as a new version (history is never rewritten). `base_version`, when
    /// given, is the version the admin was looking at: a save since then refuses the restore.
    pub async fn restore_widget(
        &self,
        connection: &str,
        name: &str,
        version: i64,
        base_version: Option<i64>,
    ) -> ZcResult<WidgetRow> {
        let audit = self.authorize(Capability::EditWidgets).await?;
        let current = self.widget_row(connection, name).await?;
        let current = match base_version {
            Some(b) => self.at_version(connection, name, b).await?,
            None => current,
        };
        let old = self.store.widget_version(&current, version).await?;
        if version == current.version {
            return Err(ZcError::invalid(format!(
                "version {version} is the current version of '{name}'; pick an older one from `zc widget history {connection} {name}`"
            )));
        }
        // The old version must still be a valid widget today; an unknown kind from before
        // kinds were checked is refused with its field, not restored.
        let spec = old.spec.validate()?;
        let by = self.signed_in().map(|s| s.user_id);
        self.store.update_widget(&current, connection, &spec, by, Some(version), &audit).await
    }

    /// Copies a widget (its current version) under `new_name`, to the same connection or to
    /// `to_connection`; the copy starts its own history at version 1.
    pub async fn duplicate_widget(
        &self,
        connection: &str,
        name: &str,
        new_name: &str,
        to_connection: Option<&str>,
    ) -> ZcResult<WidgetRow> {
        let audit = self.authorize(Capability::EditWidgets).await?;
        let w = self.widget_row(connection, name).await?;
        let target = to_connection.unwrap_or(connection);
        let conn = self.store.connection(target).await?;
        let spec = WidgetSpec { name: new_name.to_owned(), ..w.spec }.validate()?;
        let from = format!("{connection}/{name}");
        self.store.add_widget(conn.id, target, &spec, self.signed_in().map(|s| s.user_id), Some(&from), &audit).await
    }

    pub async fn remove_widget(&self, connection: &str, name: &str) -> ZcResult<()> {
        let audit = self.authorize(Capability::EditWidgets).await?;
        let w = self.widget_row(connection, name).await?;
        self.store.remove_widget(&w, connection, &audit).await
    }

    async fn widget_row(&self, connection: &str, name: &str) -> ZcResult<WidgetRow> {
        let conn = self.store.connection(connection).await?;
        self.store.widget(conn.id, connection, name).await
    }

    /// The widget, if it is still at `base_version`.
    async fn at_version(&self, connection: &str, name: &str, base_version: i64) -> ZcResult<WidgetRow> {
        let w = self.widget_row(connection, name).await?;
        if w.version != base_version {
            return Err(ZcError::new(
                ErrorCode::EditConflict,
                format!(
                    "widget '{name}' is at version {} now, not {base_version} where your edit began (someone saved it since); nothing was written: open it again and reapply your change",
                    w.version
                ),
            ));
        }
        Ok(w)
    }
}
