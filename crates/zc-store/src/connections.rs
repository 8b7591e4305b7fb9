//! Backend connections, their status history and access bookkeeping.

use crate::activity::{Audit, append};
use crate::error::{db_err, is_unique_violation};
use crate::ids::{IdSeries, next_id};
use crate::sync_series::UnpushedHistory;
use crate::{SqliteQuery, Store};
use serde::Serialize;
use serde_json::json;
use sqlx::{Row, SqliteConnection};
use zc_domain::connection::ConnectionSpec;
use zc_domain::status::Transition;
use zc_domain::{ConnectionKind, ErrorCode, Status, ZcError, ZcResult};

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ConnectionRow {
    pub id: i64,
    #[serde(flatten)]
    pub spec: ConnectionSpec,
    pub status: Status,
    pub status_since: i64,
    pub last_contact_at: Option<i64>,
    pub last_accessed_at: Option<i64>,
    pub key_validated: Option<bool>,
    pub key_last_validated_at: Option<i64>,
    pub key_validation_error: Option<String>,
    pub usage_count: i64,
    pub last_used_at: Option<i64>,
    /// Changes with every settings or key edit, never with status.
    pub settings_version: i64,
    /// The connection this one depends on (its gateway): its alarms wait under that one's.
    pub depends_on: Option<i64>,
    /// Trust for https: a private CA file in the data directory, or a pinned certificate.
    pub tls_ca_file: Option<String>,
    pub tls_pin_sha256: Option<String>,
    /// What the last https probe saw: the certificate's SHA-256, its expiry and subject.
    pub tls_seen_sha256: Option<String>,
    pub tls_not_after: Option<i64>,
    pub tls_subject: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct HistoryRow {
    pub at: i64,
    pub from_status: Status,
    pub to_status: Status,
    pub error_category: Option<String>,
    pub error_detail: Option<String>,
    pub observer_offline: bool,
}

pub(crate) fn row_to_connection(r: &sqlx::sqlite::SqliteRow) -> ConnectionRow {
    ConnectionRow {
        id: r.get("id"),
        spec: ConnectionSpec {
            name: r.get("name"),
            url: r.get("url"),
            kind: ConnectionKind::parse(r.get::<&str, _>("kind")).unwrap_or(ConnectionKind::Http),
            metadata: r.get("metadata"),
            interval_ms: r.get("probe_interval_ms"),
            timeout_ms: r.get("probe_timeout_ms"),
            confirm: r.get("confirm_count"),
            degraded_ms: r.get("degraded_latency_ms"),
            expect_status: r.get("expect_status"),
            expect_keyword: r.get("expect_keyword"),
            expect_json_field: r.get("expect_json_field"),
        },
        status: Status::parse(r.get::<&str, _>("status")).unwrap_or(Status::Unknown),
        status_since: r.get("status_since"),
        last_contact_at: r.get("last_contact_at"),
        last_accessed_at: r.get("last_accessed_at"),
        key_validated: r.get::<Option<i64>, _>("key_validated").map(|v| v != 0),
        key_last_validated_at: r.get("key_last_validated_at"),
        key_validation_error: r.get("key_validation_error"),
        usage_count: r.get("usage_count"),
        last_used_at: r.get("last_used_at"),
        settings_version: r.get("settings_version"),
        depends_on: r.get("depends_on"),
        tls_ca_file: r.get("tls_ca_file"),
        tls_pin_sha256: r.get("tls_pin_sha256"),
        tls_seen_sha256: r.get("tls_seen_sha256"),
        tls_not_after: r.get("tls_not_after"),
        tls_subject: r.get("tls_subject"),
        created_at: r.get("created_at"),
        updated_at: r.get("updated_at"),
    }
}

/// A history row read with the columns `at, from_status, to_status, error_category,
/// error_detail, observer_offline` starting at column `first`.
fn history_from_row(r: &sqlx::sqlite::SqliteRow, first: usize) -> HistoryRow {
    HistoryRow {
        at: r.get(first),
        from_status: Status::parse(r.get::<&str, _>(first + 1)).unwrap_or(Status::Unknown),
        to_status: Status::parse(r.get::<&str, _>(first + 2)).unwrap_or(Status::Unknown),
        error_category: r.get(first + 3),
        error_detail: r.get(first + 4),
        observer_offline: r.get::<i64, _>(first + 5) != 0,
    }
}

fn duplicate(name: &str) -> ZcError {
    ZcError::new(
        ErrorCode::DuplicateName,
        format!(
            "a connection named '{name}' already exists; choose another name or edit it with `zc connection edit {name}`"
        ),
    )
}

/// The spec as the activity log records it, with metadata as JSON so redaction reaches inside.
pub(crate) fn spec_json(spec: &ConnectionSpec) -> serde_json::Value {
    let mut v = serde_json::to_value(spec).unwrap_or_default();
    if let Ok(meta) = serde_json::from_str::<serde_json::Value>(&spec.metadata) {
        v["metadata"] = meta;
    }
    v
}

/// Binds the settings an admin edits, in the column order both INSERT and UPDATE use.
pub(crate) fn bind_spec<'q>(q: SqliteQuery<'q>, spec: &'q ConnectionSpec) -> SqliteQuery<'q> {
    q.bind(&spec.name)
        .bind(&spec.url)
        .bind(&spec.metadata)
        .bind(spec.interval_ms)
        .bind(spec.timeout_ms)
        .bind(spec.confirm)
        .bind(spec.degraded_ms)
        .bind(spec.expect_status)
        .bind(&spec.expect_keyword)
        .bind(&spec.expect_json_field)
}

/// A confirmed status change waiting to be written.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusChange {
    pub connection_id: i64,
    pub transition: Transition,
    /// Why, for the history (never contains a key).
    pub detail: Option<String>,
}

/// Writes a status change and the connection's new status inside the caller's transaction, and
/// returns the `from` it wrote (the stored status). Writes nothing and returns None when the
/// connection no longer exists (removed while the change waited) or is already in the new status.
pub(crate) async fn apply_change(conn: &mut SqliteConnection, c: &StatusChange, now: i64) -> ZcResult<Option<Status>> {
    let t = &c.transition;
    // The stored status first: it tells whether the connection still exists (before the history
    // row's foreign key would fail the whole batch), and it is the `from` written, so the history
    // is continuous by construction, whatever was or was not written before.
    let stored: Option<String> = sqlx::query_scalar("SELECT status FROM backend_connections WHERE id = ?")
        .bind(c.connection_id)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_err)?;
    let Some(from) = stored.as_deref().and_then(Status::parse) else { return Ok(None) };
    if from != t.from {
        tracing::warn!(
            connection = c.connection_id,
            stored = from.as_str(),
            expected = t.from.as_str(),
            "status change written from the stored status"
        );
    }
    if from == t.to {
        // Nothing changes against what is stored.
        return Ok(None);
    }
    sqlx::query("UPDATE backend_connections SET status = ?, status_since = ?, updated_at = ? WHERE id = ?")
        .bind(t.to.as_str())
        .bind(t.at_ms)
        .bind(now)
        .bind(c.connection_id)
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
    sqlx::query(
        "INSERT INTO connection_status_history (connection_id, at, from_status, to_status, error_category, error_detail, observer_offline, created_at, updated_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(c.connection_id)
    .bind(t.at_ms)
    .bind(from.as_str())
    .bind(t.to.as_str())
    .bind(t.error_category.map(|c| c.as_str()))
    .bind(&c.detail)
    .bind(t.observer_offline as i64)
    .bind(now)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map_err(db_err)?;
    crate::sync_series::note_written(conn, crate::sync_series::Series::StatusHistory, t.at_ms).await?;
    Ok(Some(from))
}

/// Moves every connection that is not `unknown` to `unknown` at `at_ms` (or at its last change,
/// if later, so the history stays in order), inside the caller's transaction: nobody watches
/// them from then on. The `from` of each change is read in the same transaction, so the history
/// stays continuous whatever was or was not written before.
pub(crate) async fn mark_unwatched(conn: &mut SqliteConnection, at_ms: i64, detail: &str, now: i64) -> ZcResult<()> {
    let rows = sqlx::query("SELECT id, status, status_since FROM backend_connections WHERE status <> 'unknown'")
        .fetch_all(&mut *conn)
        .await
        .map_err(db_err)?;
    for r in &rows {
        let from = Status::parse(r.get::<&str, _>(1)).unwrap_or(Status::Unknown);
        let change = StatusChange {
            connection_id: r.get(0),
            transition: Transition {
                from,
                to: Status::Unknown,
                at_ms: at_ms.max(r.get::<i64, _>(2)),
                error_category: None,
                observer_offline: false,
            },
            detail: Some(detail.to_owned()),
        };
        apply_change(conn, &change, now).await?;
    }
    Ok(())
}

/// Inserts a connection inside the caller's transaction, audited; returns its id.
pub(crate) async fn insert_connection(
    tx: &mut SqliteConnection,
    spec: &ConnectionSpec,
    audit: &Audit,
    now: i64,
) -> ZcResult<i64> {
    // Ids are never reused (a monitor may still hold data of a removed connection): the next
    // id is past both the high-water mark and every id in the table.
    let id = next_id(&mut *tx, IdSeries::Connections, now).await?;
    let res = bind_spec(
        sqlx::query(
        "INSERT INTO backend_connections (name, url, metadata, probe_interval_ms, probe_timeout_ms, confirm_count, \
         degraded_latency_ms, expect_status, expect_keyword, expect_json_field, kind, id, global_id, status, status_since, created_at, updated_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'unknown', ?, ?, ?)",
        ),
        spec,
    )
    .bind(spec.kind.as_str())
    .bind(id)
    .bind(crate::ids::global_id(now))
    .bind(now)
    .bind(now)
    .bind(now)
    .execute(&mut *tx)
    .await;
    match res {
        Ok(_) => {}
        Err(e) if is_unique_violation(&e) => return Err(duplicate(&spec.name)),
        Err(e) => return Err(db_err(e)),
    }
    append(tx, now, audit, "connection.add", &spec.name, json!({"id": id, "spec": spec_json(spec)})).await?;
    Ok(id)
}

/// Replaces a connection's settings inside the caller's transaction, audited.
pub(crate) async fn update_connection_in(
    tx: &mut SqliteConnection,
    id: i64,
    old_name: &str,
    spec: &ConnectionSpec,
    audit: &Audit,
    now: i64,
) -> ZcResult<()> {
    let res = bind_spec(
        sqlx::query(
        "UPDATE backend_connections SET name = ?, url = ?, metadata = ?, probe_interval_ms = ?, probe_timeout_ms = ?, \
         confirm_count = ?, degraded_latency_ms = ?, expect_status = ?, expect_keyword = ?, expect_json_field = ?, \
         settings_version = settings_version + 1, updated_at = ? \
         WHERE id = ?",
        ),
        spec,
    )
    .bind(now)
    .bind(id)
    .execute(&mut *tx)
    .await;
    match res {
        Ok(r) if r.rows_affected() == 1 => {}
        Ok(_) => return Err(ZcError::not_found("connection", old_name)),
        Err(e) if is_unique_violation(&e) => return Err(duplicate(&spec.name)),
        Err(e) => return Err(db_err(e)),
    }
    crate::sync_connections::release_held_definition(tx, id, now).await?;
    append(tx, now, audit, "connection.edit", old_name, json!({"id": id, "spec": spec_json(spec)})).await?;
    Ok(())
}

/// Whether walking up the gateways from `gateway` reaches connection `id`: making `id` depend on
/// `gateway` would then close a loop.
pub(crate) async fn gateway_reaches(tx: &mut SqliteConnection, gateway: i64, id: i64) -> ZcResult<bool> {
    let mut at = Some(gateway);
    for _ in 0..10_000 {
        let Some(cur) = at else { break };
        if cur == id {
            return Ok(true);
        }
        at = sqlx::query_scalar::<_, Option<i64>>("SELECT depends_on FROM backend_connections WHERE id = ?")
            .bind(cur)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?
            .flatten();
    }
    Ok(false)
}

/// Sets a connection's gateway inside the caller's transaction, audited; a loop is refused. The
/// caller decides the alarms again once its changes are made.
pub(crate) async fn set_dependency_in(
    tx: &mut SqliteConnection,
    id: i64,
    name: &str,
    parent: Option<(i64, &str)>,
    audit: &Audit,
    now: i64,
) -> ZcResult<()> {
    if let Some((pid, pname)) = parent
        && gateway_reaches(tx, pid, id).await?
    {
        return Err(ZcError::invalid(format!(
            "'{name}' cannot depend on '{pname}': '{pname}' already depends on '{name}', directly or through others"
        )));
    }
    // A gateway is part of the definition: a new settings version takes it to the centre.
    let n = sqlx::query(
        "UPDATE backend_connections SET depends_on = ?, settings_version = settings_version + 1, updated_at = ? WHERE id = ?",
    )
        .bind(parent.map(|p| p.0))
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?
        .rows_affected();
    if n == 0 {
        return Err(ZcError::not_found("connection", name));
    }
    crate::sync_connections::release_held_definition(tx, id, now).await?;
    append(tx, now, audit, "connection.depends_on", name, json!({"id": id, "depends_on": parent.map(|p| p.1)})).await?;
    Ok(())
}

impl Store {
    pub async fn add_connection(&self, spec: &ConnectionSpec, audit: &Audit) -> ZcResult<ConnectionRow> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let id = insert_connection(&mut tx, spec, audit, now).await?;
        tx.commit().await.map_err(db_err)?;
        self.connection_by_id(id).await
    }

    pub async fn list_connections(&self) -> ZcResult<Vec<ConnectionRow>> {
        let rows = sqlx::query("SELECT * FROM backend_connections ORDER BY name")
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(rows.iter().map(row_to_connection).collect())
    }

    /// Each connection's id and settings version: a cheap way for the monitor to notice edits.
    pub async fn connection_versions(&self) -> ZcResult<Vec<(i64, i64)>> {
        let rows = sqlx::query("SELECT id, settings_version FROM backend_connections ORDER BY id")
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    pub async fn connection(&self, name: &str) -> ZcResult<ConnectionRow> {
        sqlx::query("SELECT * FROM backend_connections WHERE name = ?")
            .bind(name)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?
            .map(|r| row_to_connection(&r))
            .ok_or_else(|| ZcError::not_found("connection", name))
    }

    pub async fn connection_by_id(&self, id: i64) -> ZcResult<ConnectionRow> {
        sqlx::query("SELECT * FROM backend_connections WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?
            .map(|r| row_to_connection(&r))
            .ok_or_else(|| ZcError::not_found("connection", &format!("#{id}")))
    }

    /// Replaces a connection's settings. Monitoring state (status, history, metrics) is kept.
    pub async fn update_connection(
        &self,
        id: i64,
        old_name: &str,
        spec: &ConnectionSpec,
        audit: &Audit,
    ) -> ZcResult<ConnectionRow> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        update_connection_in(&mut tx, id, old_name, spec, audit, now).await?;
        tx.commit().await.map_err(db_err)?;
        self.connection_by_id(id).await
    }

    /// Deletes a connection with its history, metrics and widgets (cascade). History the
    /// central store does not have yet goes with it: counted in the same transaction and kept
    /// in the removal's activity entry (and answered), so nothing goes without a word. Callers
    /// who must not lose it use `remove_connection_if_pushed`.
    pub async fn remove_connection(&self, name: &str, audit: &Audit) -> ZcResult<(ConnectionRow, UnpushedHistory)> {
        self.remove_connection_in(name, audit, true).await
    }

    /// Removes connection `name` only if the central store has all its history: checked inside
    /// the removal's own write transaction, so a row the monitor writes after any earlier check
    /// cannot be lost with it (the removal is refused with `unpushed_history`, nothing changed).
    pub async fn remove_connection_if_pushed(&self, name: &str, audit: &Audit) -> ZcResult<ConnectionRow> {
        self.remove_connection_in(name, audit, false).await.map(|(row, _)| row)
    }

    async fn remove_connection_in(
        &self,
        name: &str,
        audit: &Audit,
        discard_unpushed: bool,
    ) -> ZcResult<(ConnectionRow, UnpushedHistory)> {
        let row = self.connection(name).await?;
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let lost = crate::sync_series::unpushed_history_in(&mut tx, row.id).await?;
        if !discard_unpushed && lost.total() > 0 {
            return Err(ZcError::new(
                ErrorCode::UnpushedHistory,
                format!(
                    "'{name}' has history the central store does not have yet ({}); nothing was removed",
                    lost.describe()
                ),
            ));
        }
        let global_id = crate::sync_connections::connection_global_id(&mut tx, Some(row.id)).await?;
        sqlx::query("DELETE FROM backend_connections WHERE id = ?")
            .bind(row.id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        // The trigger wrote the removal's outbox row with SQLite's clock: the time the centre
        // shows is the console's (injectable) one.
        sqlx::query("UPDATE sync_removals SET removed_at = ?1, created_at = ?1, updated_at = ?1 WHERE global_id = ?2 AND pushed_at IS NULL")
            .bind(now)
            .bind(&global_id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        // What the centre held back of its definition goes with it (nothing is left to retry).
        sqlx::query(
            "UPDATE sync_quarantine SET resolved_at = ?1, resolution = 'set_aside', updated_at = ?1 \
             WHERE stream = ?2 AND first_seq = ?3 AND resolved_at IS NULL",
        )
        .bind(now)
        .bind(crate::sync_connections::CONNECTIONS_STREAM)
        .bind(row.id)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        let mut meta = json!({"id": row.id});
        if lost.total() > 0 {
            meta["unpushed_discarded"] = json!(lost);
        }
        append(&mut tx, now, audit, "connection.remove", name, meta).await?;
        tx.commit().await.map_err(db_err)?;
        Ok((row, lost))
    }

    /// History of connection `id` that the central store does not have yet (all zero when no
    /// centre is linked).
    pub async fn unpushed_history(&self, id: i64) -> ZcResult<UnpushedHistory> {
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        crate::sync_series::unpushed_history_in(&mut conn, id).await
    }

    /// Sets (or with None clears) the connection this one depends on, its gateway: while the
    /// gateway has lost contact, this one's alarms wait under its alarm. A loop is refused.
    pub async fn set_dependency(
        &self,
        id: i64,
        name: &str,
        parent: Option<(i64, &str)>,
        audit: &Audit,
    ) -> ZcResult<ConnectionRow> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        set_dependency_in(&mut tx, id, name, parent, audit, now).await?;
        crate::alarms::evaluate_in(&mut tx, now).await?;
        tx.commit().await.map_err(db_err)?;
        self.connection_by_id(id).await
    }

    /// A person looked at the connection (show, history, metrics, chart).
    pub async fn touch_connection_access(&self, id: i64) -> ZcResult<()> {
        sqlx::query("UPDATE backend_connections SET last_accessed_at = ? WHERE id = ?")
            .bind(self.now())
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    /// Records that a key was stored (the key itself is not passed here and never can be).
    /// Validation state resets: the new key has not been checked yet.
    pub async fn record_key_set(&self, id: i64, name: &str, audit: &Audit) -> ZcResult<()> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE backend_connections SET key_validated = NULL, key_last_validated_at = NULL, key_validation_error = NULL, \
             settings_version = settings_version + 1, updated_at = ? WHERE id = ?",
        )
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        crate::sync_connections::release_held_definition(&mut tx, id, now).await?;
        append(&mut tx, now, audit, "key.set", name, json!({"id": id})).await?;
        tx.commit().await.map_err(db_err)
    }

    pub async fn record_key_validation(&self, id: i64, name: &str, error: Option<&str>, audit: &Audit) -> ZcResult<()> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE backend_connections SET key_validated = ?, key_last_validated_at = ?, key_validation_error = ?, \
             usage_count = usage_count + 1, last_used_at = ?, updated_at = ? WHERE id = ?",
        )
        .bind(error.is_none() as i64)
        .bind(now)
        .bind(error)
        .bind(now)
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        append(&mut tx, now, audit, "key.validate", name, json!({"id": id, "valid": error.is_none(), "error": error}))
            .await?;
        tx.commit().await.map_err(db_err)
    }

    pub async fn history(&self, id: i64, since_ms: i64, until_ms: i64) -> ZcResult<Vec<HistoryRow>> {
        let rows = sqlx::query(
            "SELECT at, from_status, to_status, error_category, error_detail, observer_offline FROM connection_status_history \
             WHERE connection_id = ? AND at >= ? AND at < ? ORDER BY at, id",
        )
        .bind(id)
        .bind(since_ms)
        .bind(until_ms)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(rows.iter().map(|r| history_from_row(r, 0)).collect())
    }

    /// The status in force at `at_ms` (from the last transition before it).
    pub async fn status_at(&self, id: i64, at_ms: i64) -> ZcResult<(Status, bool)> {
        let row = sqlx::query(
            "SELECT to_status, observer_offline FROM connection_status_history WHERE connection_id = ? AND at <= ? ORDER BY at DESC, id DESC LIMIT 1",
        )
        .bind(id)
        .bind(at_ms)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(row
            .map(|r| (Status::parse(r.get::<&str, _>(0)).unwrap_or(Status::Unknown), r.get::<i64, _>(1) != 0))
            .unwrap_or((Status::Unknown, false)))
    }

    /// Status changes of every connection written after history row `after_id`, oldest first,
    /// with their row ids: how a console following another process's monitor sees them.
    pub async fn history_after(&self, after_id: i64, limit: i64) -> ZcResult<Vec<(i64, i64, HistoryRow)>> {
        let rows = sqlx::query(
            "SELECT id, connection_id, at, from_status, to_status, error_category, error_detail, observer_offline \
             FROM connection_status_history WHERE id > ? ORDER BY id LIMIT ?",
        )
        .bind(after_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1), history_from_row(r, 2))).collect())
    }

    /// The newest status history row id (0 when there is none).
    pub async fn last_history_id(&self) -> ZcResult<i64> {
        sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM connection_status_history")
            .fetch_one(&self.pool)
            .await
            .map_err(db_err)
    }

    /// Connections whose current status was set because the console itself had no network
    /// (their `unknown` is the observer's, not the station's).
    pub async fn observer_offline_connections(&self) -> ZcResult<Vec<i64>> {
        sqlx::query_scalar(
            "SELECT c.id FROM backend_connections c WHERE (SELECT observer_offline FROM connection_status_history \
             WHERE connection_id = c.id ORDER BY at DESC, id DESC LIMIT 1) = 1",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)
    }
}
