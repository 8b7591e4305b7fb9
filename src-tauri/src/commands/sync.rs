//! The queue to the central store: its state, a push now, a held entry retried or discarded.

use super::Answer;
use crate::shell::Shell;
use tauri::State;
use zc_app::{SyncReport, SyncStatus};

#[tauri::command]
pub async fn sync_status(shell: State<'_, Shell>) -> Answer<SyncStatus> {
    shell.app().sync_status().await
}

#[tauri::command]
pub async fn sync_now(shell: State<'_, Shell>) -> Answer<SyncReport> {
    shell.app().sync_now().await
}

#[tauri::command]
pub async fn retry_quarantined(shell: State<'_, Shell>, id: i64) -> Answer<SyncReport> {
    shell.app().retry_quarantined(id).await
}

#[tauri::command]
pub async fn discard_quarantined(shell: State<'_, Shell>, id: i64) -> Answer<SyncStatus> {
    shell.app().discard_quarantined(id).await
}
