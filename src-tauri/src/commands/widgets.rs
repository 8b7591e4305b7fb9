//! The widget editor: kinds and their schemas, the list by connection, check, save (from the
//! version the edit started at), history, diff, restore, duplicate, delete; what the central
//! store did with offline edits (conflicts to resolve, merges to hear of).

use super::Answer;
use crate::shell::Shell;
use std::collections::BTreeMap;
use tauri::State;
use zc_app::zc_domain::widget::{FieldError, WidgetKindInfo, WidgetSpec};
use zc_app::zc_domain::widget_merge::Side;
use zc_app::zc_store::{WidgetNotice, WidgetRow, WidgetVersion};
use zc_app::{WidgetDiff, WidgetGroup};

#[tauri::command]
pub async fn widget_kinds(shell: State<'_, Shell>) -> Answer<Vec<WidgetKindInfo>> {
    shell.app().widget_kinds().await
}

#[tauri::command]
pub async fn widget_groups(shell: State<'_, Shell>) -> Answer<Vec<WidgetGroup>> {
    shell.app().widget_groups().await
}

#[tauri::command]
pub async fn check_widget(shell: State<'_, Shell>, spec: WidgetSpec) -> Answer<Vec<FieldError>> {
    shell.app().check_widget(&spec).await
}

#[tauri::command]
pub async fn add_widget(shell: State<'_, Shell>, connection: String, spec: WidgetSpec) -> Answer<WidgetRow> {
    shell.app().add_widget(&connection, spec).await
}

#[tauri::command]
pub async fn save_widget(
    shell: State<'_, Shell>,
    connection: String,
    name: String,
    base_version: i64,
    spec: WidgetSpec,
) -> Answer<WidgetRow> {
    shell.app().save_widget(&connection, &name, base_version, spec).await
}

#[tauri::command]
pub async fn widget_history(shell: State<'_, Shell>, connection: String, name: String) -> Answer<Vec<WidgetVersion>> {
    shell.app().widget_history(&connection, &name).await
}

#[tauri::command]
pub async fn widget_diff(
    shell: State<'_, Shell>,
    connection: String,
    name: String,
    from: i64,
    to: Option<i64>,
) -> Answer<WidgetDiff> {
    shell.app().widget_diff(&connection, &name, from, to).await
}

#[tauri::command]
pub async fn restore_widget(
    shell: State<'_, Shell>,
    connection: String,
    name: String,
    version: i64,
    base_version: i64,
) -> Answer<WidgetRow> {
    shell.app().restore_widget(&connection, &name, version, Some(base_version)).await
}

#[tauri::command]
pub async fn duplicate_widget(
    shell: State<'_, Shell>,
    connection: String,
    name: String,
    new_name: String,
    to_connection: Option<String>,
) -> Answer<WidgetRow> {
    shell.app().duplicate_widget(&connection, &name, &new_name, to_connection.as_deref()).await
}

#[tauri::command]
pub async fn remove_widget(shell: State<'_, Shell>, connection: String, name: String) -> Answer<()> {
    shell.app().remove_widget(&connection, &name).await
}

#[tauri::command]
pub async fn widget_notices(shell: State<'_, Shell>) -> Answer<Vec<WidgetNotice>> {
    shell.app().widget_notices().await
}

#[tauri::command]
pub async fn resolve_widget_conflict(
    shell: State<'_, Shell>,
    id: i64,
    choices: BTreeMap<String, Side>,
) -> Answer<Vec<WidgetNotice>> {
    shell.app().resolve_widget_conflict(id, &choices).await
}

#[tauri::command]
pub async fn dismiss_widget_notice(shell: State<'_, Shell>, id: i64) -> Answer<Vec<WidgetNotice>> {
    shell.app().dismiss_widget_notice(id).await
}
