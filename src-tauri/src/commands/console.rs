//! The console as a whole: its mode and the control room.

use super::Answer;
use crate::shell::Shell;
use tauri::State;
use zc_app::{ConsoleState, ControlRoom};

#[tauri::command]
pub async fn console_state(shell: State<'_, Shell>) -> Answer<ConsoleState> {
    Ok(shell.console.state())
}

#[tauri::command]
pub async fn control_room(shell: State<'_, Shell>) -> Answer<ControlRoom> {
    shell.app().control_room().await
}

/// Quit after the person confirmed it in the window (asked because alarms were active).
#[tauri::command]
pub async fn quit_console(handle: tauri::AppHandle, shell: State<'_, Shell>) -> Answer<()> {
    let check = shell.app().quit_check().await.unwrap_or_default();
    crate::tray::quit(&handle, check, true).await;
    Ok(())
}
