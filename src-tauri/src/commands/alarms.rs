//! The alarm list, its actions, its history and maintenance windows.

use super::Answer;
use crate::shell::Shell;
use tauri::State;
use zc_app::zc_store::{AckReport, AlarmFilter, AlarmHistoryRow, AlarmRow, MaintenanceWindow};
use zc_app::{AckTarget, AlarmsView};

#[tauri::command]
pub async fn alarms_view(shell: State<'_, Shell>, filter: AlarmFilter) -> Answer<AlarmsView> {
    shell.app().alarms(&filter).await
}

#[tauri::command]
pub async fn acknowledge_alarms(
    shell: State<'_, Shell>,
    target: AckTarget,
    comment: Option<String>,
) -> Answer<AckReport> {
    shell.app().acknowledge_alarms(&target, comment.as_deref()).await
}

#[tauri::command]
pub async fn shelve_alarm(shell: State<'_, Shell>, id: i64, for_ms: i64, reason: String) -> Answer<AlarmRow> {
    shell.app().shelve_alarm(id, for_ms, &reason).await
}

#[tauri::command]
pub async fn unshelve_alarm(shell: State<'_, Shell>, id: i64) -> Answer<AlarmRow> {
    shell.app().unshelve_alarm(id).await
}

#[tauri::command]
pub async fn alarm_history(
    shell: State<'_, Shell>,
    since: i64,
    until: Option<i64>,
    connection: Option<String>,
    limit: i64,
) -> Answer<Vec<AlarmHistoryRow>> {
    let app = shell.app();
    let until = until.unwrap_or_else(|| app.store().now() + 1);
    app.alarm_history(since, until, connection.as_deref(), limit).await
}

#[tauri::command]
pub async fn maintenance_windows(shell: State<'_, Shell>, name: Option<String>) -> Answer<Vec<MaintenanceWindow>> {
    shell.app().maintenance_windows(name.as_deref(), false).await
}

#[tauri::command]
pub async fn open_maintenance_window(
    shell: State<'_, Shell>,
    name: String,
    for_ms: i64,
    reason: String,
) -> Answer<MaintenanceWindow> {
    shell.app().open_maintenance_window(&name, None, for_ms, &reason).await
}

#[tauri::command]
pub async fn end_maintenance_window(shell: State<'_, Shell>, id: i64) -> Answer<MaintenanceWindow> {
    shell.app().end_maintenance_window(id).await
}
