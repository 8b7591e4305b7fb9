//! Exports: CSV with progress events and cancel, and the chart as PNG or SVG. Each export is a
//! job the window can cancel by its id; zc-app writes the file whole or not at all.

use super::Answer;
use crate::shell::Shell;
use serde::Serialize;
use std::path::PathBuf;
use tauri::{AppHandle, Emitter, State};
use zc_app::{ChartReport, ExportKind, ExportReport, ExportRequest};

/// Progress of export `id`: `done` of `total` rows.
#[derive(Clone, Serialize)]
struct Progress {
    id: u64,
    done: u64,
    total: u64,
}

pub const PROGRESS: &str = "zc://export-progress";

#[tauri::command]
pub async fn default_export_path(shell: State<'_, Shell>, name: String, what: String, ext: String) -> Answer<String> {
    Ok(shell.app().default_export_path(&name, &what, &ext).display().to_string())
}

#[tauri::command]
#[allow(clippy::too_many_arguments)]
pub async fn export_csv(
    app: AppHandle,
    shell: State<'_, Shell>,
    id: u64,
    kind: ExportKind,
    name: String,
    since: i64,
    until: Option<i64>,
    path: String,
) -> Answer<ExportReport> {
    let cancel = shell.export_started(id);
    let progress = move |done, total| {
        let _ = app.emit(PROGRESS, Progress { id, done, total });
    };
    let path = PathBuf::from(path);
    let req = ExportRequest { kind, connection: &name, since_ms: since, until_ms: until, path: &path };
    let result = shell.app().export_csv(&req, &progress, &cancel).await;
    shell.export_ended(id);
    result
}

#[tauri::command]
pub async fn cancel_export(shell: State<'_, Shell>, id: u64) -> Answer<()> {
    shell.cancel_export(id);
    Ok(())
}

#[tauri::command]
pub async fn export_chart(
    shell: State<'_, Shell>,
    name: String,
    since: i64,
    until: Option<i64>,
    path: String,
    width: u32,
    height: u32,
) -> Answer<ChartReport> {
    shell.app().chart(&name, since, until, &PathBuf::from(path), width, height).await
}
