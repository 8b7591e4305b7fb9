//! ZeroClient's local SQLite cache, through sqlx.
//!
//! Invariants kept here:
//! - WAL, synchronous=FULL (a commit is on disk when it returns), foreign keys and a busy timeout
//!   are set on every connection.
//! - A file that is not a ZeroClient database is refused before anything is written to it.
//! - Every audited change writes its activity-log row in the same transaction as the change.
//! - Raw metrics are written in multi-row batches, one transaction per batch.
//! - Transactions that read before they write start with `BEGIN IMMEDIATE`, so two processes
//!   (a monitor and a CLI command) never fail with a busy snapshot.
//! - No secret is ever stored here: API keys and password hashes live in the OS keyring
//!   (zc-secrets).

mod activity;
mod alarms;
mod backup;
mod certificates;
mod connections;
mod devices;
mod error;
mod health;
mod ids;
mod lock;
mod maintenance_windows;
mod metrics;
mod points;
mod preferences;
mod retention;
mod runs;
mod sealed_keys;
mod settings;
mod site_config;
mod sync;
mod sync_connections;
mod sync_people;
mod sync_series;
mod sync_widgets;
mod updates;
mod users;
mod widgets;

pub use activity::Audit;
pub use alarms::{AckReport, AlarmFilter, AlarmHistoryRow, AlarmRow};
pub use backup::BackupReport;
pub use certificates::TRUST_DIR;
pub use connections::{ConnectionRow, HistoryRow, StatusChange};
pub use devices::DeviceInfo;
pub use health::TableStats;
pub use lock::{LOCK_FILE, MonitorLock};
pub use maintenance_windows::{MAX_WINDOW_MS, MaintenanceWindow};
pub use metrics::{ChartBucket, ChartSeries};
pub use points::{PointHistoryRow, PointRow};
pub use retention::{RetentionPolicy, RetentionReport};
pub use runs::{BatchOutcome, RunCounts, RunRecord, RunWritten};
pub use sealed_keys::ReceivedKey;
pub use site_config::SiteChange;
pub use sync::{ACTIVITY_STREAM, CentralLink, PendingActivity, QuarantineRow, StreamStatus};
pub use sync_connections::{CONNECTIONS_STREAM, ConnectionPulled, PendingConnection, PendingRemoval, PulledConnection};
pub use sync_people::{PEOPLE_STREAM, PendingPerson, PersonPulled, PersonRecord};
pub use sync_series::{Series, SeriesBatch, SeriesRow, SeriesValues, UnpushedHistory};
pub use sync_widgets::{PendingWidget, PullOutcome, PulledWidget, WIDGETS_STREAM, WidgetNotice};
pub use users::{Attempt, AttemptOrigin, Limits, Profile, SessionRow, UserRow};
pub use widgets::{WidgetChange, WidgetRow, WidgetVersion};

use error::db_err;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use zc_domain::{Clock, ErrorCode, ZcError, ZcResult};

pub const DB_FILE: &str = "zeroclient.db";

/// A query with its bound arguments, for helpers that bind a whole spec.
pub(crate) type SqliteQuery<'q> = sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments>;

#[derive(Clone)]
pub struct Store {
    pool: SqlitePool,
    clock: Arc<dyn Clock>,
    path: PathBuf,
}

impl Store {
    /// Opens (creating if needed) the database in `data_dir` and brings its schema up to date.
    pub async fn open(data_dir: &Path, clock: Arc<dyn Clock>) -> ZcResult<Store> {
        prepare_data_dir(data_dir)?;
        let path = data_dir.join(DB_FILE);
        refuse_foreign_file(&path).await?;
        let options = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            // sqlx does not turn WAL on by default; readers must not block the monitor's writes.
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: a commit returns once the WAL is synced, so what the monitor counts as
            // written survives a power cut too, not only a crash (one fsync per batch a second).
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            // After SQLITE_FULL (or an I/O error) SQLite and sqlx can disagree about whether a
            // connection is inside a transaction. Reused, such a connection either fails every
            // BEGIN or, worse, turns later commits into savepoint releases inside a transaction
            // that is rolled back when it closes: silent data loss. Only idle connections return.
            .after_release(|conn, _| Box::pin(async move { connection_is_idle(conn).await }))
            .connect_with(options)
            .await
            .map_err(|e| open_error(&path, e))?;
        let mut migrator = sqlx::migrate!("./migrations");
        // Forward compatibility: a database migrated by a newer zc still opens here.
        migrator.set_ignore_missing(true);
        migrator.run(&pool).await.map_err(|e| {
            ZcError::new(ErrorCode::Database, format!("cannot bring the database schema up to date: {e}"))
        })?;
        let store = Store { pool, clock, path };
        store.seed_defaults().await?;
        Ok(store)
    }

    pub fn now(&self) -> i64 {
        self.clock.now_ms()
    }

    pub fn clock(&self) -> Arc<dyn Clock> {
        self.clock.clone()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The pool, for benchmarks and tests that need raw SQL.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Closes the database properly: the WAL is checkpointed into the main file and, once no
    /// other process has it open, removed. A failed checkpoint loses nothing (the WAL stays and
    /// the next open reads it); it is retried a few times because an I/O error may be transient.
    pub async fn close(&self) {
        for attempt in 0..3 {
            match self.checkpoint().await {
                // Not emptied (busy): another process has the database open and keeps the WAL.
                Ok(_) => break,
                Err(e) => {
                    tracing::warn!(attempt, "cannot checkpoint the WAL at close: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
        self.pool.close().await;
    }

    async fn begin_write(&self) -> ZcResult<sqlx::Transaction<'static, sqlx::Sqlite>> {
        self.pool.begin_with("BEGIN IMMEDIATE").await.map_err(db_err)
    }

    async fn seed_defaults(&self) -> ZcResult<()> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let install_id: String = {
            let bytes: [u8; 16] = rand::random();
            hex::encode(bytes)
        };
        sqlx::query("INSERT OR IGNORE INTO meta (key, value, created_at, updated_at) VALUES ('install_id', ?, ?, ?)")
            .bind(install_id)
            .bind(now)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        for (kind, age) in retention::DEFAULT_RETENTION {
            sqlx::query("INSERT OR IGNORE INTO retention_policies (data_kind, max_age_ms, created_at, updated_at) VALUES (?, ?, ?, ?)")
                .bind(kind)
                .bind(age)
                .bind(now)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
        }
        sqlx::query("INSERT OR IGNORE INTO activity_log_chain (id, anchor_seq, anchor_hash, head_seq, created_at, updated_at) VALUES (1, 0, ?, 0, ?, ?)")
            .bind(zc_domain::activity::GENESIS_HASH)
            .bind(now)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        tx.commit().await.map_err(db_err)
    }

    /// A random id for this database, used to namespace keyring entries so two data
    /// directories on one machine never share keys.
    pub async fn install_id(&self) -> ZcResult<String> {
        sqlx::query_scalar("SELECT value FROM meta WHERE key = 'install_id'")
            .fetch_one(&self.pool)
            .await
            .map_err(db_err)
    }
}

/// True when neither sqlx nor SQLite itself considers the connection inside a transaction.
async fn connection_is_idle(conn: &mut sqlx::SqliteConnection) -> Result<bool, sqlx::Error> {
    if sqlx::Connection::is_in_transaction(conn) {
        return Ok(false);
    }
    // The lock is queued behind any rollback still pending on this connection, so this reads
    // the settled state.
    let mut handle = conn.lock_handle().await?;
    // SAFETY: the handle is locked for this call; sqlite3_get_autocommit only reads a flag.
    let autocommit = unsafe { libsqlite3_sys::sqlite3_get_autocommit(handle.as_raw_handle().as_ptr()) };
    Ok(autocommit != 0)
}

/// What went wrong opening an existing or new database file, in words a user can act on.
fn open_error(path: &Path, e: sqlx::Error) -> ZcError {
    if let sqlx::Error::Database(db) = &e
        && matches!(db.code().and_then(|c| c.parse::<i32>().ok()).map(|c| c & 0xff), Some(11 | 26))
    {
        return damaged(path, db.message());
    }
    ZcError::new(
        ErrorCode::DataDir,
        format!(
            "cannot open the database {}: {e}; check the permissions of the data directory or pass --data-dir",
            path.display()
        ),
    )
}

fn damaged(path: &Path, why: &str) -> ZcError {
    ZcError::new(
        ErrorCode::DatabaseDamaged,
        format!(
            "{} is not a usable ZeroClient database ({why}); nothing was changed. Move it aside (zc then starts a new, empty database), restore it from a backup, or choose another --data-dir",
            path.display()
        ),
    )
}

/// Looks at an existing file read-only before opening it for writing (which would switch it to
/// WAL and migrate it): a damaged file or another program's database is refused untouched.
async fn refuse_foreign_file(path: &Path) -> ZcResult<()> {
    use sqlx::ConnectOptions;
    match std::fs::metadata(path) {
        Ok(m) if m.len() > 0 => {}
        // Missing or empty: a new database.
        _ => return Ok(()),
    }
    let inspect = async {
        let mut conn = SqliteConnectOptions::new().filename(path).read_only(true).connect().await?;
        let tables: Vec<String> =
            sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table'").fetch_all(&mut conn).await?;
        let _ = sqlx::Connection::close(conn).await;
        Ok::<_, sqlx::Error>(tables)
    };
    let tables = inspect.await.map_err(|e| open_error(path, e))?;
    if !tables.is_empty() && !tables.iter().any(|t| t == "_sqlx_migrations") {
        return Err(damaged(path, "it holds another program's tables"));
    }
    Ok(())
}

/// Creates the data directory and proves it is writable, with an error that says what to do.
fn prepare_data_dir(dir: &Path) -> ZcResult<()> {
    let fail = |what: &str, e: std::io::Error| {
        if e.kind() == std::io::ErrorKind::StorageFull {
            return ZcError::new(
                ErrorCode::DiskFull,
                format!(
                    "the disk holding the data directory {} is full; nothing was written. Free some space and retry",
                    dir.display()
                ),
            );
        }
        ZcError::new(
            ErrorCode::DataDir,
            format!(
                "the data directory {} {what} ({e}); fix its permissions or choose another with --data-dir / ZC_DATA_DIR",
                dir.display()
            ),
        )
    };
    std::fs::create_dir_all(dir).map_err(|e| fail("cannot be created", e))?;
    let probe = dir.join(".zc-write-test");
    let written = std::fs::write(&probe, b"ok");
    // Remove it even when the write failed half-way (a full disk can leave an empty file).
    let _ = std::fs::remove_file(&probe);
    written.map_err(|e| fail("is not writable", e))?;
    std::fs::read_dir(dir).map_err(|e| fail("is not readable", e))?;
    Ok(())
}
