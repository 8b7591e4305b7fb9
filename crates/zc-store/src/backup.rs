//! A consistent copy of the local cache, taken while the monitor writes: `VACUUM INTO` reads one
//! snapshot (a read transaction in WAL mode, which never blocks the writer) into a new file. The
//! copy is checked (`PRAGMA integrity_check`) before it is given its name, so a backup that
//! exists is a whole one. It holds no secret: keys and password hashes live in the OS keyring,
//! and of a session only the SHA-256 of its token is kept.

use crate::Store;
use crate::activity::Audit;
use crate::error::db_err;
use serde::Serialize;
use sqlx::ConnectOptions;
use sqlx::sqlite::SqliteConnectOptions;
use std::path::{Path, PathBuf};
use zc_domain::{ErrorCode, ZcError, ZcResult};

#[derive(Debug, Clone, Serialize)]
pub struct BackupReport {
    pub path: PathBuf,
    pub bytes: u64,
    /// The copy's `PRAGMA integrity_check`: `ok`.
    pub integrity: String,
    pub connections: i64,
    pub activity_entries: i64,
    pub request_metrics: i64,
}

fn io_error(what: &str, path: &Path, e: std::io::Error) -> ZcError {
    let code = if e.kind() == std::io::ErrorKind::StorageFull { ErrorCode::DiskFull } else { ErrorCode::DataDir };
    ZcError::new(code, format!("cannot {what} {}: {e}; no backup was kept", path.display()))
}

async fn check_copy(path: &Path) -> ZcResult<(String, i64, i64, i64)> {
    let mut conn = SqliteConnectOptions::new().filename(path).read_only(true).connect().await.map_err(db_err)?;
    let integrity: Vec<String> =
        sqlx::query_scalar("PRAGMA integrity_check").fetch_all(&mut conn).await.map_err(db_err)?;
    let count = |t: &'static str| format!("SELECT COUNT(*) FROM {t}");
    let mut n = Vec::new();
    for t in ["backend_connections", "activity_log", "request_metrics"] {
        let c: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(count(t))).fetch_one(&mut conn).await.map_err(db_err)?;
        n.push(c);
    }
    Ok((integrity.join("; "), n[0], n[1], n[2]))
}

impl Store {
    /// Writes a consistent copy of the database to `dest`, which must not exist yet, and records
    /// it (`backup.create`). The copy is made under a temporary name, checked, synced, then
    /// renamed: a failure (a full disk) leaves no file that looks like a backup.
    pub async fn backup_to(&self, dest: &Path, audit: &Audit) -> ZcResult<BackupReport> {
        if dest.exists() {
            return Err(ZcError::invalid(format!(
                "{} already exists; a backup never overwrites a file: choose another name",
                dest.display()
            )));
        }
        let name = dest.file_name().ok_or_else(|| ZcError::invalid("give the backup a file name, e.g. site.db"))?;
        let tmp = dest.with_file_name(format!(".{}.partial", name.to_string_lossy()));
        let _ = std::fs::remove_file(&tmp);
        let result = async {
            sqlx::query("VACUUM INTO ?").bind(tmp.to_string_lossy().into_owned()).execute(&self.pool).await.map_err(
                |e| match db_err(e) {
                    // The copy's disk, which may not be the data directory's.
                    full if full.code == ErrorCode::DiskFull => ZcError::new(
                        ErrorCode::DiskFull,
                        format!(
                            "the disk holding {} is full; no backup was kept. Free some space or choose another place",
                            tmp.display()
                        ),
                    ),
                    other => other,
                },
            )?;
            let (integrity, connections, activity_entries, request_metrics) = check_copy(&tmp).await?;
            if integrity != "ok" {
                return Err(ZcError::new(
                    ErrorCode::DatabaseDamaged,
                    format!("the copy failed its integrity check ({integrity}); it was not kept. Run `zc doctor`"),
                ));
            }
            std::fs::File::open(&tmp).and_then(|f| f.sync_all()).map_err(|e| io_error("sync", &tmp, e))?;
            std::fs::rename(&tmp, dest).map_err(|e| io_error("name", dest, e))?;
            if let Some(dir) = dest.parent().filter(|d| !d.as_os_str().is_empty()) {
                // The rename itself survives a power cut only once the directory is synced.
                let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
            }
            let bytes = std::fs::metadata(dest).map(|m| m.len()).unwrap_or(0);
            Ok(BackupReport { path: dest.to_owned(), bytes, integrity, connections, activity_entries, request_metrics })
        }
        .await;
        let report = match result {
            Ok(r) => r,
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                return Err(e);
            }
        };
        self.record_activity(
            audit,
            "backup.create",
            &dest.display().to_string(),
            serde_json::json!({"bytes": report.bytes, "connections": report.connections, "activity_entries": report.activity_entries}),
        )
        .await?;
        Ok(report)
    }
}
