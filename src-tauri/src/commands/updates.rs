//! Updates in the settings view: what this build can do, look now, install, the automatic look.

use super::Answer;
use crate::shell::Shell;
use crate::updates::{self, UpdateInfo};
use tauri::{AppHandle, State};
use zc_app::zc_domain::update::{UpdateOutcome, UpdateSettings};

#[tauri::command]
pub fn update_info(handle: AppHandle) -> UpdateInfo {
    updates::info(&handle)
}

#[tauri::command]
pub async fn check_for_updates(handle: AppHandle, shell: State<'_, Shell>) -> Answer<UpdateOutcome> {
    updates::check_now(&handle, shell.app()).await
}

/// Installs the newer version when there is one and it verifies, then restarts into it.
#[tauri::command]
pub async fn install_update(handle: AppHandle, shell: State<'_, Shell>) -> Answer<UpdateOutcome> {
    let outcome = updates::install(&handle, shell.app()).await?;
    if matches!(outcome, UpdateOutcome::Installed { .. }) {
        handle.restart();
    }
    Ok(outcome)
}

#[tauri::command]
pub async fn set_update_auto_check(shell: State<'_, Shell>, on: bool) -> Answer<UpdateSettings> {
    shell.app().set_update_auto_check(on).await
}
