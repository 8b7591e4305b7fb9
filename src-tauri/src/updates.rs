//! Signed updates through tauri-plugin-updater. The update endpoint and the release's public
//! key come only from the release configuration overlay (docs/updates.md): a build without it
//! has no updater and says so. An update is offered only when it is newer than this build, and
//! handed to the installer only when its file carries a valid signature by the release key,
//! made for exactly the version announced (`requireSignedVersion`), so a replayed older release
//! is refused as well as a tampered file or another key's signature.
//!
//! Looking is never in the way: the automatic look runs in the background, and an unreachable
//! server (offline is normal here) is kept as the last outcome in the settings, not shown as an
//! interruption.

use serde::Serialize;
use std::time::Duration;
use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_updater::{Error as UpdaterError, Update, UpdaterExt};
use zc_app::zc_domain::update::UpdateOutcome;
use zc_app::zc_domain::{ErrorCode, ZcError};

/// How long one look may take before it counts as unreachable.
const LOOK_LIMIT: Duration = Duration::from_secs(30);
/// The automatic look, when it is on: at start and then this often.
pub const AUTO_EVERY: Duration = Duration::from_secs(24 * 3600);

/// Whether this build was made with the release overlay (an endpoint and a public key).
pub fn configured(config: &tauri::Config) -> bool {
    let Some(u) = config.plugins.0.get("updater") else { return false };
    let key = u.get("pubkey").and_then(|k| k.as_str()).is_some_and(|k| !k.trim().is_empty());
    let endpoints = u.get("endpoints").and_then(|e| e.as_array()).is_some_and(|e| !e.is_empty());
    key && endpoints
}

/// What settings shows about updates in this build.
#[derive(Debug, Clone, Serialize)]
pub struct UpdateInfo {
    pub configured: bool,
    pub current_version: String,
}

pub fn info<R: Runtime>(handle: &AppHandle<R>) -> UpdateInfo {
    UpdateInfo {
        configured: configured(handle.config()) && handle.try_state::<Configured>().is_some(),
        current_version: handle.package_info().version.to_string(),
    }
}

/// Managed once the updater plugin is registered (the build is configured).
pub struct Configured;

fn not_configured() -> ZcError {
    ZcError::new(
        ErrorCode::UpdatesNotConfigured,
        "this build has no update server: updates come with the release build (docs/updates.md), or install a newer package by hand",
    )
}

/// Looks for an update: `Ok(Some)` only for a newer version than this build.
pub async fn look<R: Runtime>(handle: &AppHandle<R>) -> Result<Option<Update>, UpdateOutcome> {
    let unreachable = |reason: String| UpdateOutcome::Unreachable { reason };
    let updater = handle
        .updater_builder()
        .timeout(LOOK_LIMIT)
        .build()
        .map_err(|e| unreachable(format!("the updater cannot start: {e}")))?;
    match tokio::time::timeout(LOOK_LIMIT, updater.check()).await {
        Ok(Ok(update)) => Ok(update),
        Ok(Err(e)) => Err(unreachable(describe(&e))),
        Err(_) => Err(unreachable(format!("no answer within {} s", LOOK_LIMIT.as_secs()))),
    }
}

/// Downloads the update and checks its signature; the bytes only when they are the release.
pub async fn fetch_verified(update: &Update) -> Result<Vec<u8>, UpdateOutcome> {
    update.download(|_, _| {}, || {}).await.map_err(|e| match e {
        UpdaterError::Minisign(_)
        | UpdaterError::SignedVersionMismatch { .. }
        | UpdaterError::MissingSignedVersion
        | UpdaterError::Base64(_)
        | UpdaterError::SignatureUtf8(_) => {
            UpdateOutcome::Rejected { version: update.version.clone(), reason: describe(&e) }
        }
        other => UpdateOutcome::Unreachable { reason: describe(&other) },
    })
}

fn describe(e: &UpdaterError) -> String {
    match e {
        UpdaterError::Minisign(_) => {
            "the file's signature is not the release key's (tampered, or signed by another key)".into()
        }
        UpdaterError::SignedVersionMismatch { signed, announced } => {
            format!("the file was signed as version {signed}, but offered as {announced}")
        }
        UpdaterError::MissingSignedVersion => "the signature does not say which version it was made for".into(),
        other => other.to_string(),
    }
}

/// A look as a person asked for it: the outcome, kept and recorded, or why it could not be made.
pub async fn check_now<R: Runtime>(handle: &AppHandle<R>, app: &zc_app::App) -> Result<UpdateOutcome, ZcError> {
    app.may_update().await?;
    if handle.try_state::<Configured>().is_none() {
        return Err(not_configured());
    }
    let current = handle.package_info().version.to_string();
    let outcome = match look(handle).await {
        Ok(Some(u)) => UpdateOutcome::Available { version: u.version.clone(), current },
        Ok(None) => UpdateOutcome::UpToDate { version: current },
        Err(o) => o,
    };
    app.record_update_check(outcome.clone(), true).await?;
    Ok(outcome)
}

/// Downloads, verifies and installs the newer version, then restarts into it.
pub async fn install<R: Runtime>(handle: &AppHandle<R>, app: &zc_app::App) -> Result<UpdateOutcome, ZcError> {
    app.may_update().await?;
    if handle.try_state::<Configured>().is_none() {
        return Err(not_configured());
    }
    let update = match look(handle).await {
        Ok(Some(u)) => u,
        Ok(None) => {
            let outcome = UpdateOutcome::UpToDate { version: handle.package_info().version.to_string() };
            app.record_update_check(outcome.clone(), true).await?;
            return Ok(outcome);
        }
        Err(o) => {
            app.record_update_check(o.clone(), true).await?;
            return Ok(o);
        }
    };
    let bytes = match fetch_verified(&update).await {
        Ok(b) => b,
        Err(o) => {
            app.record_update_check(o.clone(), true).await?;
            return Ok(o);
        }
    };
    if let Err(e) = update.install(&bytes) {
        let o = UpdateOutcome::Unreachable { reason: format!("the installer failed: {}", describe(&e)) };
        app.record_update_check(o.clone(), true).await?;
        return Ok(o);
    }
    let outcome = UpdateOutcome::Installed { version: update.version.clone() };
    app.record_update_check(outcome.clone(), true).await?;
    Ok(outcome)
}

/// The automatic look, when a person turned it on: in the background, kept as the last outcome
/// (by the console itself), never a prompt.
pub fn start_auto_check(handle: AppHandle) {
    tauri::async_runtime::spawn(async move {
        let mut tick = tokio::time::interval(AUTO_EVERY);
        loop {
            tick.tick().await;
            if handle.try_state::<Configured>().is_none() {
                return;
            }
            let shell = handle.state::<crate::shell::Shell>();
            let app = shell.app();
            if !app.update_auto_check().await.unwrap_or(false) {
                continue;
            }
            let current = handle.package_info().version.to_string();
            let outcome = match look(&handle).await {
                Ok(Some(u)) => UpdateOutcome::Available { version: u.version.clone(), current },
                Ok(None) => UpdateOutcome::UpToDate { version: current },
                Err(o) => o,
            };
            if let Err(e) = app.record_update_check(outcome, false).await {
                tracing::warn!("the automatic update check could not be kept: {}", e.message);
            }
        }
    });
}
