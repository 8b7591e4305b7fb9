//! The settings screen: the person's own profile, notification choices and theme; for admins,
//! retention policies.

use super::Answer;
use crate::shell::Shell;
use tauri::State;
use zc_app::zc_domain::notification::NotificationPreferences;
use zc_app::zc_domain::user::{Profile, Theme};
use zc_app::zc_store::{RetentionPolicy, UserRow};
use zc_app::{NotificationTally, Settings};

#[tauri::command]
pub async fn settings(shell: State<'_, Shell>) -> Answer<Settings> {
    shell.app().settings().await
}

#[tauri::command]
pub async fn set_profile(shell: State<'_, Shell>, profile: Profile) -> Answer<UserRow> {
    shell.app().set_profile(None, profile).await
}

#[tauri::command]
pub async fn set_notifications(
    shell: State<'_, Shell>,
    preferences: NotificationPreferences,
) -> Answer<NotificationPreferences> {
    shell.app().set_notifications(preferences).await
}

#[tauri::command]
pub async fn set_theme(shell: State<'_, Shell>, theme: Theme) -> Answer<Theme> {
    shell.app().set_theme(theme).await
}

#[tauri::command]
pub async fn set_retention(
    shell: State<'_, Shell>,
    data_kind: String,
    max_age_ms: i64,
) -> Answer<Vec<RetentionPolicy>> {
    shell.app().set_retention(&data_kind, max_age_ms).await
}

/// What desktop notifications did since the console started.
#[tauri::command]
pub fn notification_tally(tally: State<'_, crate::notify::Tally>) -> NotificationTally {
    tally.0.lock().unwrap().clone()
}
