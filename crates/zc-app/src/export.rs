//! Exports for engineers: CSV of status history, raw metrics and point history, written a page
//! at a time with progress and a way to cancel. A file appears whole or not at all (drawn into
//! a temporary file beside it and renamed into place), and every export is recorded in the
//! activity log with what it holds.

use crate::App;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::io::Write;
use std::path::{Path, PathBuf};
use tokio_util::sync::CancellationToken;
use zc_domain::Capability;
use zc_domain::timefmt::rfc3339;
use zc_domain::{ErrorCode, ZcError, ZcResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum ExportKind {
    /// Status changes.
    History,
    /// Raw per-request metrics.
    Metrics,
    /// Recorded point history.
    Points,
    /// Alarm transitions: of the connection, or of every source when the connection is "".
    Alarms,
}

impl ExportKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ExportKind::History => "history",
            ExportKind::Metrics => "metrics",
            ExportKind::Points => "points",
            ExportKind::Alarms => "alarms",
        }
    }
}

/// What to export: `kind` of connection `connection` over `[since_ms, until_ms)` (until: now),
/// to `path`.
#[derive(Debug, Clone)]
pub struct ExportRequest<'a> {
    pub kind: ExportKind,
    pub connection: &'a str,
    pub since_ms: i64,
    pub until_ms: Option<i64>,
    pub path: &'a Path,
}

/// The rows one export reads: a connection's, in `[since, until)`.
#[derive(Clone, Copy)]
struct Rows<'a> {
    kind: ExportKind,
    id: i64,
    /// The connection's name; None for an export of every alarm.
    name: Option<&'a str>,
    since: i64,
    until: i64,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ExportReport {
    pub file: String,
    pub rows: u64,
}

/// Rows read per page: progress moves, memory stays flat, however long the window.
const PAGE_ROWS: i64 = 10_000;

fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_owned() }
}

fn io_err(path: &Path, e: std::io::Error) -> ZcError {
    if e.kind() == std::io::ErrorKind::StorageFull {
        return ZcError::new(ErrorCode::DiskFull, format!("the disk is full; {} was not written", path.display()));
    }
    ZcError::new(ErrorCode::Io, format!("cannot write {} ({e}); choose a folder you can write to", path.display()))
}

impl App {
    /// Where an export goes unless the user says otherwise: `<data dir>/exports/`.
    pub fn default_export_path(&self, name: &str, what: &str, ext: &str) -> PathBuf {
        let stamp = rfc3339(self.now()).replace([':', '-'], "").replace('.', "");
        self.data_dir().join("exports").join(format!("{name}-{what}-{stamp}.{ext}"))
    }

    /// Writes the request's rows as CSV. `progress` gets (rows written, rows in the window)
    /// after every page; `cancel` stops it between pages, and then no file is left behind.
    pub async fn export_csv(
        &self,
        req: &ExportRequest<'_>,
        progress: &(dyn Fn(u64, u64) + Sync),
        cancel: &CancellationToken,
    ) -> ZcResult<ExportReport> {
        self.authorize(Capability::Export).await?;
        let (kind, name, since_ms, until_ms, path) = (req.kind, req.connection, req.since_ms, req.until_ms, req.path);
        let every_alarm = kind == ExportKind::Alarms && name.is_empty();
        let id = if every_alarm { 0 } else { self.connection(name).await?.id };
        let until = until_ms.unwrap_or_else(|| self.now() + 1);
        if until <= since_ms {
            return Err(ZcError::invalid("the export window is empty: its start must be before its end"));
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
        }
        let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let partial = path.with_file_name(format!(".{file_name}.partial-{}", std::process::id()));
        let rows = Rows { kind, id, name: (!every_alarm).then_some(name), since: since_ms, until };
        let result = self.write_csv(&rows, &partial, progress, cancel).await;
        let rows = match result {
            Ok(rows) => rows,
            Err(e) => {
                let _ = std::fs::remove_file(&partial);
                return Err(e);
            }
        };
        std::fs::rename(&partial, path).map_err(|e| {
            let _ = std::fs::remove_file(&partial);
            io_err(path, e)
        })?;
        let file = path.display().to_string();
        self.record(
            &format!("export.{}", kind.as_str()),
            name,
            json!({"file": file, "rows": rows, "since": since_ms, "until": until}),
        )
        .await?;
        Ok(ExportReport { file, rows })
    }

    async fn write_csv(
        &self,
        what: &Rows<'_>,
        partial: &Path,
        progress: &(dyn Fn(u64, u64) + Sync),
        cancel: &CancellationToken,
    ) -> ZcResult<u64> {
        let Rows { kind, id, name, since, until } = *what;
        let file = std::fs::File::create(partial).map_err(|e| io_err(partial, e))?;
        let mut out = std::io::BufWriter::new(file);
        let store = self.store();
        let mut rows = 0u64;
        let stopped = || ZcError::new(ErrorCode::Cancelled, "the export was cancelled; no file was written");
        match kind {
            ExportKind::History => {
                writeln!(out, "at,from,to,observer_offline,category,detail").map_err(|e| io_err(partial, e))?;
                let h = store.history(id, since, until).await?;
                for r in &h {
                    let line = format!(
                        "{},{},{},{},{},{}",
                        rfc3339(r.at),
                        r.from_status.as_str(),
                        r.to_status.as_str(),
                        r.observer_offline,
                        csv_cell(r.error_category.as_deref().unwrap_or("")),
                        csv_cell(r.error_detail.as_deref().unwrap_or(""))
                    );
                    writeln!(out, "{line}").map_err(|e| io_err(partial, e))?;
                }
                rows = h.len() as u64;
                progress(rows, rows);
            }
            ExportKind::Metrics => {
                writeln!(out, "at,latency_ms,http_status,request_bytes,response_bytes,outcome")
                    .map_err(|e| io_err(partial, e))?;
                let total: u64 = store.outcome_counts(id, since, until).await?.iter().map(|(_, n)| *n as u64).sum();
                progress(0, total);
                loop {
                    if cancel.is_cancelled() {
                        return Err(stopped());
                    }
                    let page = store.metrics_page(id, since, until, rows as i64, PAGE_ROWS).await?;
                    for m in &page {
                        writeln!(
                            out,
                            "{},{:.3},{},{},{},{}",
                            rfc3339(m.at_ms),
                            m.latency_us as f64 / 1000.0,
                            m.http_status.map(|s| s.to_string()).unwrap_or_default(),
                            m.request_bytes,
                            m.response_bytes,
                            m.outcome.as_str()
                        )
                        .map_err(|e| io_err(partial, e))?;
                    }
                    rows += page.len() as u64;
                    progress(rows, total.max(rows));
                    if (page.len() as i64) < PAGE_ROWS {
                        break;
                    }
                }
            }
            ExportKind::Points => {
                writeln!(out, "point,at,value,quality,station_time").map_err(|e| io_err(partial, e))?;
                loop {
                    if cancel.is_cancelled() {
                        return Err(stopped());
                    }
                    let page = store.point_history_page(id, since, until, rows as i64, PAGE_ROWS).await?;
                    for h in &page {
                        writeln!(
                            out,
                            "{},{},{},{},{}",
                            csv_cell(&h.point),
                            rfc3339(h.at),
                            h.value.map(|v| v.to_string()).unwrap_or_default(),
                            h.quality.as_str(),
                            h.source_at.map(rfc3339).unwrap_or_default()
                        )
                        .map_err(|e| io_err(partial, e))?;
                    }
                    rows += page.len() as u64;
                    progress(rows, rows);
                    if (page.len() as i64) < PAGE_ROWS {
                        break;
                    }
                }
            }
            ExportKind::Alarms => {
                writeln!(out, "at,alarm,source,kind,action,from,to,priority,message,actor,reason")
                    .map_err(|e| io_err(partial, e))?;
                loop {
                    if cancel.is_cancelled() {
                        return Err(stopped());
                    }
                    let page = store.alarm_history(since, until, name, rows as i64, PAGE_ROWS).await?;
                    for h in &page {
                        let source = match (&h.connection, &h.point) {
                            (Some(c), Some(p)) => format!("{c}/{p}"),
                            (Some(c), None) => c.clone(),
                            _ => "(this console)".into(),
                        };
                        writeln!(
                            out,
                            "{},{},{},{},{},{},{},{},{},{},{}",
                            rfc3339(h.at),
                            h.alarm_id,
                            csv_cell(&source),
                            h.kind.as_str(),
                            h.action.as_str(),
                            h.from_state.as_str(),
                            h.to_state.as_str(),
                            h.priority.as_str(),
                            csv_cell(&h.message),
                            csv_cell(h.actor.as_deref().unwrap_or("")),
                            csv_cell(h.reason.as_deref().unwrap_or(""))
                        )
                        .map_err(|e| io_err(partial, e))?;
                    }
                    rows += page.len() as u64;
                    progress(rows, rows);
                    if (page.len() as i64) < PAGE_ROWS {
                        break;
                    }
                }
            }
        }
        let file = out.into_inner().map_err(|e| io_err(partial, e.into_error()))?;
        // Durable before it is renamed into place and reported.
        file.sync_all().map_err(|e| io_err(partial, e))?;
        Ok(rows)
    }
}
