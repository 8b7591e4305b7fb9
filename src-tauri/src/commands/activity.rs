//! The activity log view.

use super::Answer;
use crate::shell::Shell;
use tauri::State;
use zc_app::{ActivityFilter, ActivityView};

#[tauri::command]
pub async fn activity(shell: State<'_, Shell>, filter: ActivityFilter) -> Answer<ActivityView> {
    shell.app().activity(&filter).await
}
