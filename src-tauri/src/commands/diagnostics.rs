//! A connection's detail view: history, latency chart, raw samples, points, its key.

use super::Answer;
use crate::shell::Shell;
use tauri::State;
use zc_app::{ConnectionDetail, HistoryReport, KeyCheck, KeyShare, LatencyChart, MetricsPage, PointsReport};

#[tauri::command]
pub async fn connection_detail(shell: State<'_, Shell>, name: String) -> Answer<ConnectionDetail> {
    shell.app().connection_detail(&name).await
}

#[tauri::command]
pub async fn status_history(
    shell: State<'_, Shell>,
    name: String,
    since: i64,
    until: Option<i64>,
) -> Answer<HistoryReport> {
    shell.app().history(&name, since, until).await
}

#[tauri::command]
pub async fn latency_chart(
    shell: State<'_, Shell>,
    name: String,
    since: i64,
    until: Option<i64>,
    width: u32,
    height: u32,
) -> Answer<LatencyChart> {
    shell.app().latency_chart(&name, since, until, width, height).await
}

#[tauri::command]
pub async fn metrics_page(
    shell: State<'_, Shell>,
    name: String,
    since: i64,
    until: Option<i64>,
    offset: i64,
    limit: i64,
) -> Answer<MetricsPage> {
    shell.app().metrics_page(&name, since, until, offset, limit).await
}

#[tauri::command]
pub async fn point_values(
    shell: State<'_, Shell>,
    name: String,
    since: Option<i64>,
    until: Option<i64>,
    limit: i64,
) -> Answer<PointsReport> {
    shell.app().points(&name, None, since.map(|s| (s, until)), limit).await
}

#[tauri::command]
pub async fn check_key(shell: State<'_, Shell>, name: String) -> Answer<KeyCheck> {
    shell.app().check_key(&name).await
}

/// Seals the key to the site's other consoles (engineers and admins; needs the centre).
#[tauri::command]
pub async fn share_key(shell: State<'_, Shell>, name: String) -> Answer<KeyShare> {
    shell.app().share_key(&name).await
}
