//! What central sync keeps locally: the link to the centre, each stream's progress and health,
//! and what the centre refused for good (the quarantine). The activity log is its own outbox:
//! an entry is written with its change, in one transaction, and `pushed_at` says it arrived.

use crate::Store;
use crate::activity::{Audit, ENTRY_COLUMNS, append, entry_from_row};
use crate::error::db_err;
use serde::Serialize;
use sqlx::Row;
use zc_domain::activity::ActivityEntry;
use zc_domain::{ErrorCode, ZcError, ZcResult};

/// The activity stream's name in `sync_streams` and `sync_quarantine`.
pub const ACTIVITY_STREAM: &str = "activity_log";

/// The centre this console pushes to (no credentials: the password is in the keyring).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CentralLink {
    pub url: String,
    pub login: String,
    pub console_id: String,
    pub organisation_id: String,
    pub site_id: String,
    pub connected_at: i64,
}

/// An activity entry not yet at the centre, with its global id.
#[derive(Debug, Clone)]
pub struct PendingActivity {
    pub global_id: String,
    pub entry: ActivityEntry,
}

/// A stream's queue and health, as `zc sync status` and the console's sync view show them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct StreamStatus {
    pub stream: String,
    /// Rows waiting to be pushed.
    #[ts(type = "number")]
    pub pending: i64,
    /// When the oldest waiting row was written (UTC ms).
    #[ts(type = "number | null")]
    pub oldest_pending_at: Option<i64>,
    #[ts(type = "number | null")]
    pub last_success_at: Option<i64>,
    #[ts(type = "number | null")]
    pub last_attempt_at: Option<i64>,
    pub last_error: Option<String>,
    /// Failures in a row since the last success.
    #[ts(type = "number")]
    pub failures: i64,
    #[ts(type = "number | null")]
    pub next_attempt_at: Option<i64>,
    #[ts(type = "number")]
    pub pushed_total: i64,
    /// Open quarantine entries (the stream is held behind the first).
    #[ts(type = "number")]
    pub quarantined: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct QuarantineRow {
    #[ts(type = "number")]
    pub id: i64,
    pub stream: String,
    /// The first row the centre refused (for the activity log, its sequence number).
    #[ts(type = "number")]
    pub first_seq: i64,
    pub reason: String,
    pub detail: String,
    #[ts(type = "number")]
    pub attempts: i64,
    #[ts(type = "number")]
    pub first_failed_at: i64,
    #[ts(type = "number")]
    pub last_failed_at: i64,
}

impl Store {
    pub async fn central_link(&self) -> ZcResult<Option<CentralLink>> {
        let row = sqlx::query(
            "SELECT url, login, console_id, organisation_id, site_id, connected_at FROM central_link WHERE id = 1",
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(row.map(|r| CentralLink {
            url: r.get(0),
            login: r.get(1),
            console_id: r.get(2),
            organisation_id: r.get(3),
            site_id: r.get(4),
            connected_at: r.get(5),
        }))
    }

    /// Records the link and its activity entry in one transaction.
    pub async fn set_central_link(
        &self,
        link: &CentralLink,
        audit: &Audit,
        metadata: serde_json::Value,
    ) -> ZcResult<()> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO central_link (id, url, login, console_id, organisation_id, site_id, connected_at, created_at, updated_at) \
             VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET url = excluded.url, login = excluded.login, \
             console_id = excluded.console_id, organisation_id = excluded.organisation_id, site_id = excluded.site_id, \
             connected_at = excluded.connected_at, updated_at = excluded.updated_at",
        )
        .bind(&link.url)
        .bind(&link.login)
        .bind(&link.console_id)
        .bind(&link.organisation_id)
        .bind(&link.site_id)
        .bind(link.connected_at)
        .bind(now)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        append(&mut tx, now, audit, "central.connect", "central", metadata).await?;
        tx.commit().await.map_err(db_err)
    }

    /// Closes a quarantine entry so its stream is pushed again; answers its stream, or None when
    /// there is no open entry by that id.
    pub async fn retry_quarantined(&self, id: i64, audit: &Audit) -> ZcResult<Option<QuarantineRow>> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "UPDATE sync_quarantine SET resolved_at = ?, resolution = 'retried', updated_at = ? WHERE id = ? AND resolved_at IS NULL \
             RETURNING id, stream, first_seq, reason, detail, attempts, first_failed_at, last_failed_at",
        )
        .bind(now)
        .bind(now)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?;
        let Some(row) = row.as_ref().map(quarantine_row) else {
            return Ok(None);
        };
        let meta = serde_json::json!({"stream": row.stream, "first_seq": row.first_seq, "reason": row.reason, "attempts": row.attempts});
        append(&mut tx, now, audit, "sync.retry", &format!("quarantine:{id}"), meta).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(Some(row))
    }

    /// Gives up on a held edit of a connection definition: the console keeps it, the centre keeps
    /// its older version, and the definition goes again at its next edit. A definition the centre
    /// never had cannot be given up on (its history waits for it). Only
    /// definitions can be discarded: the activity log and the time series reach the centre
    /// whole and in order, so their held rows can only be retried (after fixing the cause).
    /// Answers the entry, or None when there is no open entry by that id.
    pub async fn discard_quarantined(&self, id: i64, audit: &Audit) -> ZcResult<Option<QuarantineRow>> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "SELECT id, stream, first_seq, reason, detail, attempts, first_failed_at, last_failed_at FROM sync_quarantine \
             WHERE id = ? AND resolved_at IS NULL",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?;
        let Some(row) = row.as_ref().map(quarantine_row) else {
            return Ok(None);
        };
        if row.stream == crate::WIDGETS_STREAM {
            let taken = Store::discard_widget_edit(&mut tx, row.first_seq).await?;
            sqlx::query(
                "UPDATE sync_quarantine SET resolved_at = ?1, resolution = 'set_aside', updated_at = ?1 WHERE id = ?2",
            )
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
            let meta = serde_json::json!({"stream": row.stream, "first_seq": row.first_seq, "reason": row.reason, "attempts": row.attempts, "takes_central": taken.is_some()});
            append(&mut tx, now, audit, "sync.discard", &format!("quarantine:{id}"), meta).await?;
            tx.commit().await.map_err(db_err)?;
            return Ok(Some(row));
        }
        if row.stream != crate::sync_connections::CONNECTIONS_STREAM {
            return Err(ZcError::new(
                ErrorCode::InvalidInput,
                format!(
                    "held entry {id} is in the {} stream, which reaches the central store whole and in order: it cannot be discarded, only retried once what the centre refused is fixed ({})",
                    row.stream, row.reason
                ),
            ));
        }
        let known: Option<(String, bool)> =
            sqlx::query_as("SELECT name, central_version IS NOT NULL FROM backend_connections WHERE id = ?")
                .bind(row.first_seq)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db_err)?;
        if let Some((name, false)) = known {
            return Err(ZcError::new(
                ErrorCode::InvalidInput,
                format!(
                    "the central store has never had '{name}', so its history would have nowhere to go there: fix what it refused ({}) by editing the connection, and it goes again; or remove it (`zc connection rm {name} --discard-unpushed`, the discarded history counted in the activity log)",
                    row.reason
                ),
            ));
        }
        // "Settled with the centre" from now on means pushed or given up on; the activity entry
        // says which. The centre keeps its older version, so the history goes on arriving.
        let version: Option<i64> = sqlx::query_scalar(
            "UPDATE backend_connections SET central_version = settings_version WHERE id = ? RETURNING settings_version",
        )
        .bind(row.first_seq)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?;
        sqlx::query(
            "UPDATE sync_quarantine SET resolved_at = ?1, resolution = 'set_aside', updated_at = ?1 WHERE id = ?2",
        )
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        let meta = serde_json::json!({"stream": row.stream, "first_seq": row.first_seq, "reason": row.reason, "attempts": row.attempts, "settings_version": version});
        append(&mut tx, now, audit, "sync.discard", &format!("quarantine:{id}"), meta).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(Some(row))
    }

    /// The oldest `limit` activity entries not yet at the centre, in sequence order. Entries an
    /// older `zc` wrote (it knows no global ids) get theirs here, as migration 0013 gave them.
    pub async fn unpushed_activity(&self, limit: i64) -> ZcResult<Vec<PendingActivity>> {
        self.unpushed_activity_after(0, limit).await
    }

    /// Like [`Store::unpushed_activity`], but only entries after `after_seq`: the pusher reads
    /// the next batch while the centre still checks the one before, which is not marked yet.
    pub async fn unpushed_activity_after(&self, after_seq: i64, limit: i64) -> ZcResult<Vec<PendingActivity>> {
        // From the first unpushed entry on, in sequence (rowid) order: read through the `pushed_at`
        // index, a backlog of 100,000 was sorted again for every batch.
        let sql = format!(
            "SELECT {ENTRY_COLUMNS}, global_id FROM activity_log \
             WHERE seq >= MAX(?1 + 1, (SELECT MIN(seq) FROM activity_log WHERE pushed_at IS NULL)) AND +pushed_at IS NULL \
             ORDER BY seq LIMIT ?2"
        );
        let read = async || {
            sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(after_seq)
                .bind(limit)
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)
        };
        let mut rows = read().await?;
        // Only when a batch holds one: a write at every batch read took the write lock from the
        // monitor for nothing.
        if rows.iter().any(|r| r.get::<Option<String>, _>("global_id").is_none()) {
            sqlx::query(
                "UPDATE activity_log SET global_id = lower(\
                     substr(printf('%012x', at), 1, 8) || '-' || substr(printf('%012x', at), 9, 4) || '-7' \
                     || substr(hex(randomblob(2)), 2, 3) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) \
                     || substr(hex(randomblob(2)), 2, 3) || '-' || hex(randomblob(6))) \
                 WHERE global_id IS NULL",
            )
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
            rows = read().await?;
        }
        Ok(rows.iter().map(|r| PendingActivity { global_id: r.get("global_id"), entry: entry_from_row(r) }).collect())
    }

    /// The centre has every entry up to `up_to_seq`: marks them pushed and the stream healthy,
    /// in one transaction.
    pub async fn record_activity_pushed(&self, up_to_seq: i64) -> ZcResult<u64> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let marked =
            sqlx::query(
                "UPDATE activity_log SET pushed_at = ?, updated_at = ? \
                 WHERE seq >= (SELECT MIN(seq) FROM activity_log WHERE pushed_at IS NULL) AND seq <= ? AND +pushed_at IS NULL",
            )
                .bind(now)
                .bind(now)
                .bind(up_to_seq)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?
                .rows_affected();
        sqlx::query(
            "INSERT INTO sync_streams (stream, last_success_at, last_attempt_at, failures, pushed_total, created_at, updated_at) \
             VALUES (?1, ?2, ?2, 0, ?3, ?2, ?2) ON CONFLICT (stream) DO UPDATE SET last_success_at = ?2, last_attempt_at = ?2, \
             failures = 0, next_attempt_at = NULL, pushed_total = pushed_total + ?3, updated_at = ?2",
        )
        .bind(ACTIVITY_STREAM)
        .bind(now)
        .bind(marked as i64)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(marked)
    }

    /// A push of `stream` failed (the centre unreachable, or busy): the error and when to try
    /// next.
    pub async fn record_push_failure(&self, stream: &str, error: &str, next_attempt_at: i64) -> ZcResult<()> {
        let now = self.now();
        // The activity log's health is in `sync_streams`, the others' in `sync_series` (whose
        // cursor columns a health-only row fills with the lowest cursor).
        let sql = if stream == ACTIVITY_STREAM {
            "INSERT INTO sync_streams (stream, last_attempt_at, last_error, failures, next_attempt_at, created_at, updated_at) \
             VALUES (?1, ?2, ?3, 1, ?4, ?2, ?2) ON CONFLICT (stream) DO UPDATE SET last_attempt_at = ?2, last_error = ?3, \
             failures = failures + 1, next_attempt_at = ?4, updated_at = ?2"
        } else {
            "INSERT INTO sync_series (stream, cursor_at, cursor_key, last_attempt_at, last_error, failures, next_attempt_at, created_at, updated_at) \
             VALUES (?1, ?5, ?5, ?2, ?3, 1, ?4, ?2, ?2) ON CONFLICT (stream) DO UPDATE SET last_attempt_at = ?2, last_error = ?3, \
             failures = failures + 1, next_attempt_at = ?4, updated_at = ?2"
        };
        sqlx::query(sql)
            .bind(stream)
            .bind(now)
            .bind(error)
            .bind(next_attempt_at)
            .bind(i64::MIN)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    /// Failures of `stream` in a row since its last success (the backoff's exponent).
    pub async fn push_failures(&self, stream: &str) -> ZcResult<i64> {
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        Ok(read_health(&mut conn, stream).await?.failures)
    }

    /// The centre refused the row at `first_seq` for good: kept for a person, counted once
    /// however often the same refusal comes back.
    pub async fn quarantine(&self, stream: &str, first_seq: i64, reason: &str, detail: &str) -> ZcResult<()> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        // The same refusal again (also after a retry) is the same entry, one attempt more. Not
        // once the stream has got through since the retry: then it is a new refusal, with its
        // own first time and count, not an old entry reopened.
        let bumped = sqlx::query(
            "UPDATE sync_quarantine SET attempts = attempts + 1, last_failed_at = ?1, detail = ?2, reason = ?3, updated_at = ?1, \
             resolved_at = NULL, resolution = NULL \
             WHERE id = (SELECT MAX(q.id) FROM sync_quarantine q WHERE q.stream = ?4 AND q.first_seq = ?5 \
                         AND (q.resolved_at IS NULL OR (q.resolution = 'retried' \
                              AND NOT EXISTS (SELECT 1 FROM sync_streams s WHERE s.stream = q.stream AND s.last_success_at > q.resolved_at) \
                              AND NOT EXISTS (SELECT 1 FROM sync_series s WHERE s.stream = q.stream AND s.last_success_at > q.resolved_at))))",
        )
        .bind(now)
        .bind(detail)
        .bind(reason)
        .bind(stream)
        .bind(first_seq)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?
        .rows_affected();
        if bumped == 0 {
            sqlx::query(
                "INSERT INTO sync_quarantine (stream, first_seq, reason, detail, first_failed_at, last_failed_at, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?5, ?5)",
            )
            .bind(stream)
            .bind(first_seq)
            .bind(reason)
            .bind(detail)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        }
        // The stream's health: the activity log's in `sync_streams`, the others' in `sync_series`.
        // A refusal is an answer: the centre is reachable, so the failures in a row that back
        // the stream off (and make the console say "failing") end here; the entry says "held".
        let health = if stream == ACTIVITY_STREAM {
            "INSERT INTO sync_streams (stream, last_attempt_at, last_error, failures, created_at, updated_at) \
             VALUES (?1, ?2, ?3, 0, ?2, ?2) ON CONFLICT (stream) DO UPDATE SET last_attempt_at = ?2, last_error = ?3, \
             failures = 0, next_attempt_at = NULL, updated_at = ?2"
        } else {
            "INSERT INTO sync_series (stream, cursor_at, cursor_key, last_attempt_at, last_error, failures, created_at, updated_at) \
             VALUES (?1, ?4, ?4, ?2, ?3, 0, ?2, ?2) ON CONFLICT (stream) DO UPDATE SET last_attempt_at = ?2, last_error = ?3, \
             failures = 0, next_attempt_at = NULL, updated_at = ?2"
        };
        sqlx::query(health)
            .bind(stream)
            .bind(now)
            .bind(detail)
            .bind(i64::MIN)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        tx.commit().await.map_err(db_err)
    }

    /// Open quarantine entries, oldest first.
    pub async fn quarantined(&self) -> ZcResult<Vec<QuarantineRow>> {
        let rows = sqlx::query(
            "SELECT id, stream, first_seq, reason, detail, attempts, first_failed_at, last_failed_at FROM sync_quarantine \
             WHERE resolved_at IS NULL ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(rows.iter().map(quarantine_row).collect())
    }

    /// The activity stream's queue and health.
    pub async fn activity_sync_status(&self) -> ZcResult<StreamStatus> {
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        let (pending, oldest): (i64, Option<i64>) =
            sqlx::query_as("SELECT COUNT(*), MIN(at) FROM activity_log WHERE pushed_at IS NULL")
                .fetch_one(&mut *conn)
                .await
                .map_err(db_err)?;
        stream_status(&mut conn, ACTIVITY_STREAM, pending, oldest).await
    }

    /// The streams with something to push now or later (a row waiting that is not held behind
    /// a quarantined one), each with when its backoff allows the next attempt (None: now). Asks
    /// only whether a row waits, never how many: the monitor's sync loop asks every few seconds,
    /// and a backlog of a month is a million rows.
    pub async fn streams_due(&self) -> ZcResult<Vec<(&'static str, Option<i64>)>> {
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        let mut due = Vec::new();
        let activity: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM activity_log WHERE pushed_at IS NULL) \
             AND NOT EXISTS (SELECT 1 FROM sync_quarantine WHERE stream = ? AND resolved_at IS NULL)",
        )
        .bind(ACTIVITY_STREAM)
        .fetch_one(&mut *conn)
        .await
        .map_err(db_err)?;
        if activity {
            due.push(ACTIVITY_STREAM);
        }
        if crate::sync_connections::connections_due(&mut conn).await? {
            due.push(crate::CONNECTIONS_STREAM);
        }
        if crate::sync_people::people_due(&mut conn).await? {
            due.push(crate::PEOPLE_STREAM);
        }
        if crate::sync_widgets::widgets_due(&mut conn).await? {
            due.push(crate::WIDGETS_STREAM);
        }
        for s in crate::Series::ALL {
            if crate::sync_series::series_due(&mut conn, s).await? {
                due.push(s.stream());
            }
        }
        let mut out = Vec::with_capacity(due.len());
        for stream in due {
            out.push((stream, read_health(&mut conn, stream).await?.next_attempt_at));
        }
        Ok(out)
    }
}

/// A stream's health: the activity log's in `sync_streams`, the others' in `sync_series`.
#[derive(Debug, Default)]
pub(crate) struct Health {
    last_success_at: Option<i64>,
    last_attempt_at: Option<i64>,
    last_error: Option<String>,
    failures: i64,
    next_attempt_at: Option<i64>,
    pushed_total: i64,
}

pub(crate) async fn read_health(conn: &mut sqlx::SqliteConnection, stream: &str) -> ZcResult<Health> {
    let sql = if stream == ACTIVITY_STREAM {
        "SELECT last_success_at, last_attempt_at, last_error, failures, next_attempt_at, pushed_total FROM sync_streams WHERE stream = ?"
    } else {
        "SELECT last_success_at, last_attempt_at, last_error, failures, next_attempt_at, pushed_total FROM sync_series WHERE stream = ?"
    };
    let row = sqlx::query(sql).bind(stream).fetch_optional(conn).await.map_err(db_err)?;
    Ok(row.map_or_else(Health::default, |r| Health {
        last_success_at: r.get(0),
        last_attempt_at: r.get(1),
        last_error: r.get(2),
        failures: r.get(3),
        next_attempt_at: r.get(4),
        pushed_total: r.get(5),
    }))
}

/// A stream's status: its queue (counted by the caller) with its health and quarantine.
pub(crate) async fn stream_status(
    conn: &mut sqlx::SqliteConnection,
    stream: &str,
    pending: i64,
    oldest_pending_at: Option<i64>,
) -> ZcResult<StreamStatus> {
    let h = read_health(conn, stream).await?;
    Ok(StreamStatus {
        stream: stream.into(),
        pending,
        oldest_pending_at,
        last_success_at: h.last_success_at,
        last_attempt_at: h.last_attempt_at,
        last_error: h.last_error,
        failures: h.failures,
        next_attempt_at: h.next_attempt_at,
        pushed_total: h.pushed_total,
        quarantined: quarantined_count(conn, stream).await?,
    })
}

/// Open quarantine entries of `stream`.
pub(crate) async fn quarantined_count(conn: &mut sqlx::SqliteConnection, stream: &str) -> ZcResult<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM sync_quarantine WHERE stream = ? AND resolved_at IS NULL")
        .bind(stream)
        .fetch_one(conn)
        .await
        .map_err(db_err)
}

fn quarantine_row(r: &sqlx::sqlite::SqliteRow) -> QuarantineRow {
    QuarantineRow {
        id: r.get(0),
        stream: r.get(1),
        first_seq: r.get(2),
        reason: r.get(3),
        detail: r.get(4),
        attempts: r.get(5),
        first_failed_at: r.get(6),
        last_failed_at: r.get(7),
    }
}
