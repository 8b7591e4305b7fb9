//! Monitor runs: each run's ledger row, written in the same transaction as every batch the run
//! writes, so the database itself always says what was durably written; interrupted runs found
//! at the next start; the clean stop.

use crate::activity::{Audit, append};
use crate::connections::{StatusChange, apply_change, mark_unwatched};
use crate::error::db_err;
use crate::metrics::insert_rows;
use crate::points::write_points;
use crate::{SqliteQuery, Store};
use serde::Serialize;
use serde_json::json;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Row, SqliteConnection};
use zc_domain::point::PointBatch;
use zc_domain::probe::RequestMetric;
use zc_domain::{InterruptedRun, RunAccount, Status, ZcResult};

/// A run's counts that only the monitor knows (what it made and dropped), persisted with every
/// batch so an interrupted run's record says what was still waiting.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunCounts {
    pub probes: u64,
    pub rows_made: u64,
    pub rows_dropped: u64,
    pub transitions_made: u64,
    pub transitions_dropped: u64,
}

impl From<&RunAccount> for RunCounts {
    fn from(a: &RunAccount) -> Self {
        RunCounts {
            probes: a.probes,
            rows_made: a.rows_made,
            rows_dropped: a.rows_dropped,
            transitions_made: a.transitions_made,
            transitions_dropped: a.transitions_dropped,
        }
    }
}

/// What the ledger says a run has written so far (cumulative).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RunWritten {
    pub rows_written: u64,
    pub rows_discarded: u64,
    pub transitions_written: u64,
    pub transitions_discarded: u64,
}

/// The result of one batch write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchOutcome {
    /// Committed now; the counts are this batch's, and for each status change the `from` it was
    /// written with (None: not written, its connection removed or already in that status).
    Written(RunWritten, Vec<Option<Status>>),
    /// An earlier attempt of this same batch had committed although its COMMIT reported an
    /// error; nothing was written again. The counts are the run's totals from its ledger.
    AlreadyWritten(RunWritten),
}

/// A run as its ledger row records it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RunRecord {
    pub id: i64,
    pub pid: i64,
    pub started_at: i64,
    pub last_write_at: i64,
    pub stopped_at: Option<i64>,
    /// Set when a later start found this run had ended without a clean stop.
    pub interrupted_noted_at: Option<i64>,
    pub account: RunAccount,
    /// At a clean stop, the one-line account of what was lost, if anything.
    pub loss: Option<String>,
}

fn record_from_row(r: &sqlx::sqlite::SqliteRow) -> RunRecord {
    let n = |c: &str| r.get::<i64, _>(c) as u64;
    let mut account = RunAccount {
        probes: n("probes"),
        rows_made: n("rows_made"),
        rows_written: n("rows_written"),
        rows_held: 0,
        rows_dropped: n("rows_dropped"),
        rows_discarded: n("rows_discarded"),
        transitions_made: n("transitions_made"),
        transitions_written: n("transitions_written"),
        transitions_held: 0,
        transitions_dropped: n("transitions_dropped"),
        transitions_discarded: n("transitions_discarded"),
    };
    // Made but neither written, dropped nor discarded as of the last write: still in memory then.
    account.rows_held = account.rows_unaccounted().max(0) as u64;
    account.transitions_held = account.transitions_unaccounted().max(0) as u64;
    RunRecord {
        id: r.get("id"),
        pid: r.get("pid"),
        started_at: r.get("started_at"),
        last_write_at: r.get("last_write_at"),
        stopped_at: r.get("stopped_at"),
        interrupted_noted_at: r.get("interrupted_noted_at"),
        account,
        loss: r.get("loss"),
    }
}

fn written_from_row(r: &sqlx::sqlite::SqliteRow) -> RunWritten {
    RunWritten {
        rows_written: r.get::<i64, _>("rows_written") as u64,
        rows_discarded: r.get::<i64, _>("rows_discarded") as u64,
        transitions_written: r.get::<i64, _>("transitions_written") as u64,
        transitions_discarded: r.get::<i64, _>("transitions_discarded") as u64,
    }
}

/// Binds `last_write_at` and the counts only the monitor knows, in the order both ledger
/// updates list them (`last_write_at, probes, rows_made, rows_dropped, transitions_made,
/// transitions_dropped`).
fn bind_counts(q: SqliteQuery<'_>, last_write_at: i64, c: RunCounts) -> SqliteQuery<'_> {
    q.bind(last_write_at)
        .bind(c.probes as i64)
        .bind(c.rows_made as i64)
        .bind(c.rows_dropped as i64)
        .bind(c.transitions_made as i64)
        .bind(c.transitions_dropped as i64)
}

impl Store {
    /// Starts a run: notes every earlier run that ended without a clean stop (their unwatched
    /// time becomes `unknown`, from their last write), and records the start. One transaction.
    /// The caller must hold the monitor lock, or a running monitor would be taken for a dead one.
    pub async fn open_run(&self, pid: u32, audit: &Audit) -> ZcResult<(i64, Vec<InterruptedRun>)> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let open = sqlx::query(
            "SELECT * FROM monitor_runs WHERE stopped_at IS NULL AND interrupted_noted_at IS NULL ORDER BY id",
        )
        .fetch_all(&mut *tx)
        .await
        .map_err(db_err)?;
        // Rows the connections make per minute (rounded up per connection).
        let per_minute: i64 = sqlx::query_scalar(
            "SELECT COALESCE(SUM((60000 + probe_interval_ms - 1) / probe_interval_ms), 0) FROM backend_connections",
        )
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        let mut interrupted = Vec::new();
        for r in &open {
            let rec = record_from_row(r);
            let run = InterruptedRun {
                run_id: rec.id,
                pid: rec.pid,
                started_at: rec.started_at,
                last_write_at: rec.last_write_at,
                rows_waiting: rec.account.rows_held,
                transitions_waiting: rec.account.transitions_held,
                rows_per_minute: per_minute as u64,
            };
            sqlx::query("UPDATE monitor_runs SET interrupted_noted_at = ?, updated_at = ? WHERE id = ?")
                .bind(now)
                .bind(now)
                .bind(rec.id)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
            append(&mut tx, now, audit, "monitor.interrupted", &format!("run/{}", rec.id), json!(run)).await?;
            interrupted.push(run);
        }
        if let Some(last) = interrupted.iter().map(|r| r.last_write_at).max() {
            // Nobody watched since that run's last write: not up, not down.
            mark_unwatched(&mut tx, last, "the previous monitor run ended without a clean stop", now).await?;
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO monitor_runs (pid, device_id, started_at, last_write_at, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(pid as i64)
        .bind(audit.device_id)
        .bind(now)
        .bind(now)
        .bind(now)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        let connections: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM backend_connections").fetch_one(&mut *tx).await.map_err(db_err)?;
        append(&mut tx, now, audit, "monitor.start", &format!("run/{id}"), json!({"connections": connections})).await?;
        tx.commit().await.map_err(db_err)?;
        Ok((id, interrupted))
    }

    /// Writes batch `seq` of run `run_id` (metrics and the point samples that came with them, then
    /// status changes in order) and the run's ledger in one transaction. If the ledger shows `seq` already written (an earlier attempt's
    /// COMMIT reported an error but took effect), writes nothing. Rows and changes of connections
    /// removed meanwhile are skipped and counted as discarded.
    pub async fn write_batch(
        &self,
        run_id: i64,
        seq: i64,
        metrics: &[RequestMetric],
        points: &[PointBatch],
        changes: &[StatusChange],
        counts: RunCounts,
    ) -> ZcResult<BatchOutcome> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let ledger = sqlx::query("SELECT * FROM monitor_runs WHERE id = ?")
            .bind(run_id)
            .fetch_one(&mut *tx)
            .await
            .map_err(db_err)?;
        if ledger.get::<i64, _>("last_batch") >= seq {
            tx.commit().await.map_err(db_err)?;
            return Ok(BatchOutcome::AlreadyWritten(written_from_row(&ledger)));
        }
        let rows = insert_rows(&mut tx, metrics, now).await?;
        write_points(&mut tx, points, now).await?;
        let mut written_from = Vec::with_capacity(changes.len());
        for c in changes {
            written_from.push(apply_change(&mut tx, c, now).await?);
        }
        let transitions = written_from.iter().flatten().count() as u64;
        // Alarms are decided with the facts this batch wrote, in its transaction: a status change
        // and its alarm are committed together. In a savepoint: should deciding the alarms fail,
        // the measurements are still written (the next pass decides the alarms), never held back.
        let mut alarms = sqlx::Connection::begin(&mut *tx).await.map_err(db_err)?;
        match crate::alarms::evaluate_in(&mut alarms, now).await {
            Ok(_) => alarms.commit().await.map_err(db_err)?,
            Err(e) => {
                alarms.rollback().await.map_err(db_err)?;
                tracing::error!("the alarms could not be decided with this batch (retried with the next): {e}");
            }
        }
        let batch = RunWritten {
            rows_written: rows,
            rows_discarded: metrics.len() as u64 - rows,
            transitions_written: transitions,
            transitions_discarded: changes.len() as u64 - transitions,
        };
        let q = sqlx::query(
            "UPDATE monitor_runs SET last_batch = ?, last_write_at = ?, probes = ?, rows_made = ?, rows_dropped = ?, \
             transitions_made = ?, transitions_dropped = ?, rows_written = rows_written + ?, rows_discarded = rows_discarded + ?, \
             transitions_written = transitions_written + ?, transitions_discarded = transitions_discarded + ?, updated_at = ? \
             WHERE id = ?",
        )
        .bind(seq);
        bind_counts(q, now, counts)
            .bind(batch.rows_written as i64)
            .bind(batch.rows_discarded as i64)
            .bind(batch.transitions_written as i64)
            .bind(batch.transitions_discarded as i64)
            .bind(now)
            .bind(run_id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(BatchOutcome::Written(batch, written_from))
    }

    /// A clean stop: every connection becomes `unknown` (nobody watches it any more), the run's
    /// final counts and loss (if any) are recorded, and so is `monitor.stop`. One transaction; a
    /// retry after a COMMIT that took effect despite its error does nothing.
    pub async fn close_run(
        &self,
        run_id: i64,
        account: &RunAccount,
        loss: Option<&str>,
        audit: &Audit,
    ) -> ZcResult<()> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let q = sqlx::query(
            "UPDATE monitor_runs SET stopped_at = ?, last_write_at = ?, probes = ?, rows_made = ?, rows_dropped = ?, \
             transitions_made = ?, transitions_dropped = ?, loss = ?, updated_at = ? WHERE id = ? AND stopped_at IS NULL",
        )
        .bind(now);
        let closed = bind_counts(q, now, RunCounts::from(account))
            .bind(loss)
            .bind(now)
            .bind(run_id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?
            .rows_affected();
        if closed == 1 {
            mark_unwatched(&mut tx, now, "monitoring stopped", now).await?;
            let meta = json!({"account": account, "loss": loss});
            append(&mut tx, now, audit, "monitor.stop", &format!("run/{run_id}"), meta).await?;
        }
        tx.commit().await.map_err(db_err)
    }

    /// What the ledger of run `run_id` says was written, read through a new connection of its own
    /// (not the pool): it sees only what was committed, whatever state the pool's connections are
    /// in (one that a failed COMMIT left inside a transaction would see its own uncommitted writes).
    pub async fn read_back_run(&self, run_id: i64) -> ZcResult<RunWritten> {
        let mut conn: SqliteConnection = SqliteConnectOptions::new()
            .filename(self.path.as_path())
            .read_only(true)
            .connect()
            .await
            .map_err(db_err)?;
        let row = sqlx::query("SELECT * FROM monitor_runs WHERE id = ?")
            .bind(run_id)
            .fetch_one(&mut conn)
            .await
            .map_err(db_err);
        let _ = sqlx::Connection::close(conn).await;
        Ok(written_from_row(&row?))
    }

    /// The newest run, for `zc status` and `zc doctor`.
    pub async fn latest_run(&self) -> ZcResult<Option<RunRecord>> {
        Ok(sqlx::query("SELECT * FROM monitor_runs ORDER BY id DESC LIMIT 1")
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?
            .map(|r| record_from_row(&r)))
    }

    /// Runs whose end was never recorded and not yet noted by a later start.
    pub async fn unstopped_runs(&self) -> ZcResult<Vec<RunRecord>> {
        Ok(sqlx::query(
            "SELECT * FROM monitor_runs WHERE stopped_at IS NULL AND interrupted_noted_at IS NULL ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(record_from_row)
        .collect())
    }
}
