//! One monitor per data directory. A second one would probe every connection twice, and at its
//! start it would take the first one's open run for a run that had died. An OS file lock, so it
//! is released whenever the holder ends, however it ends.

use crate::Store;
use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::time::Duration;
use zc_domain::timefmt::rfc3339;
use zc_domain::{ErrorCode, ZcError, ZcResult};

pub const LOCK_FILE: &str = "monitor.lock";

/// Held for the life of a monitor; dropping it releases the lock.
#[derive(Debug)]
pub struct MonitorLock {
    _file: File,
}

fn lock_path(db: &Path) -> PathBuf {
    db.with_file_name(LOCK_FILE)
}

fn open_lock_file(db: &Path) -> ZcResult<File> {
    let path = lock_path(db);
    OpenOptions::new().create(true).truncate(false).write(true).open(&path).map_err(|e| {
        ZcError::new(
            ErrorCode::DataDir,
            format!("cannot open the lock file {} ({e}); check the data directory's permissions", path.display()),
        )
    })
}

impl Store {
    /// Takes the data directory's monitor lock, or says who holds it. Waits up to a second, so a
    /// `zc status` that is looking at the lock at that moment does not refuse a start.
    pub async fn lock_monitor(&self) -> ZcResult<MonitorLock> {
        let file = open_lock_file(&self.path)?;
        for _ in 0..20 {
            match file.try_lock() {
                Ok(()) => return Ok(MonitorLock { _file: file }),
                Err(TryLockError::WouldBlock) => tokio::time::sleep(Duration::from_millis(50)).await,
                Err(TryLockError::Error(e)) => {
                    return Err(ZcError::new(
                        ErrorCode::DataDir,
                        format!("cannot lock {} ({e})", lock_path(&self.path).display()),
                    ));
                }
            }
        }
        let holder = match self.unstopped_runs().await.ok().and_then(|r| r.into_iter().last()) {
            Some(r) => format!(" (pid {}, since {})", r.pid, rfc3339(r.started_at)),
            None => String::new(),
        };
        Err(ZcError::new(
            ErrorCode::MonitorRunning,
            format!(
                "another monitor is already watching the data directory {}{holder}; stop it first, or see what it records with `zc status`",
                self.path.parent().unwrap_or(Path::new(".")).display()
            ),
        ))
    }

    /// True while a monitor holds the lock. Looks without waiting (a shared lock, released at once).
    pub fn monitor_running(&self) -> bool {
        let Ok(file) = open_lock_file(&self.path) else { return false };
        matches!(file.try_lock_shared(), Err(TryLockError::WouldBlock))
    }
}
