//! Connection definitions both ways. Push: a connection's settings (never its key) go once per
//! settings version, and a removal once; the centre's copy moves with them. Pull: what another
//! console of the site added, changed or removed arrives here, except where this console has an
//! edit the centre lacks (its push then replaces the centre's: the last writer wins).

use crate::activity::{Audit, append};
use crate::connections::ConnectionRow;
use crate::error::{db_err, is_unique_violation};
use crate::ids::{IdSeries, next_id};
use crate::sync::StreamStatus;
use crate::{PullOutcome, Store};
use serde_json::json;
use sqlx::{Row, SqliteConnection};
use zc_domain::ZcResult;
use zc_domain::connection::ConnectionSpec;

/// The connections stream's name in `sync_series` (its health), `sync_quarantine` and
/// `zc sync status`.
pub const CONNECTIONS_STREAM: &str = "connections";

/// A connection whose settings the centre does not have yet.
#[derive(Debug, Clone)]
pub struct PendingConnection {
    pub global_id: String,
    /// The connection it depends on (its gateway), by global id.
    pub depends_on: Option<String>,
    pub row: ConnectionRow,
}

/// A connection removed here that the centre still shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingRemoval {
    pub id: i64,
    pub global_id: String,
    pub removed_at: i64,
}

/// A connection's definition as the centre holds it, for the pull.
#[derive(Debug, Clone)]
pub struct PulledConnection {
    pub global_id: String,
    pub spec: ConnectionSpec,
    /// Its gateway, by global id.
    pub depends_on: Option<String>,
    pub tls_pin_sha256: Option<String>,
    /// The centre's version of it.
    pub version: i64,
    pub deleted: bool,
    pub updated_by: String,
}

/// What the pull did with one connection, and the local id it did it to (a removed one's key
/// is the caller's to delete from the keyring).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionPulled {
    pub outcome: PullOutcome,
    pub id: Option<i64>,
}

/// The local copy a pull compares with.
struct LocalCopy {
    id: i64,
    name: String,
    pending: bool,
    central_row_version: Option<i64>,
    spec: ConnectionSpec,
    depends_on: Option<String>,
    tls_pin_sha256: Option<String>,
}

async fn local_copy(tx: &mut SqliteConnection, global_id: &str) -> ZcResult<Option<LocalCopy>> {
    let row = sqlx::query(
        "SELECT c.*, p.global_id AS depends_on_global_id FROM backend_connections c \
         LEFT JOIN backend_connections p ON p.id = c.depends_on WHERE c.global_id = ?",
    )
    .bind(global_id)
    .fetch_optional(&mut *tx)
    .await
    .map_err(db_err)?;
    Ok(row.map(|r| {
        let c = crate::connections::row_to_connection(&r);
        let central: Option<i64> = r.get("central_version");
        LocalCopy {
            id: c.id,
            name: c.spec.name.clone(),
            pending: central.is_none_or(|v| v < c.settings_version),
            central_row_version: r.get("central_row_version"),
            spec: c.spec,
            depends_on: r.get("depends_on_global_id"),
            tls_pin_sha256: c.tls_pin_sha256,
        }
    }))
}

/// The local id of the gateway `pc` names: none when it is not on this console (the pull takes
/// gateways first, so one the centre has arrives with it) or taking it would make a loop. Then
/// the connection is watched on its own and its entry says `gateway_not_here`.
async fn local_gateway(tx: &mut SqliteConnection, pc: &PulledConnection, id: Option<i64>) -> ZcResult<Option<i64>> {
    let Some(parent) = &pc.depends_on else { return Ok(None) };
    let parent: Option<i64> = sqlx::query_scalar("SELECT id FROM backend_connections WHERE global_id = ?")
        .bind(parent)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?;
    let (Some(parent), Some(id)) = (parent, id) else { return Ok(parent) };
    Ok((!crate::connections::gateway_reaches(tx, parent, id).await?).then_some(parent))
}

/// A connection's global id, for activity entries the centre files in a site's alarm journal
/// (its local id means nothing to other consoles).
pub(crate) async fn connection_global_id(
    conn: &mut sqlx::SqliteConnection,
    id: Option<i64>,
) -> ZcResult<Option<String>> {
    let Some(id) = id else { return Ok(None) };
    sqlx::query_scalar("SELECT global_id FROM backend_connections WHERE id = ?")
        .bind(id)
        .fetch_optional(conn)
        .await
        .map(Option::flatten)
        .map_err(db_err)
}

impl Store {
    /// Connection `id`'s global id: the same connection on every console and at the centre.
    pub async fn global_id_of_connection(&self, id: i64) -> ZcResult<Option<String>> {
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        connection_global_id(&mut conn, Some(id)).await
    }

    /// The connection with global id `global_id`, if this console has it.
    pub async fn connection_by_global_id(&self, global_id: &str) -> ZcResult<Option<ConnectionRow>> {
        let row = sqlx::query("SELECT * FROM backend_connections WHERE global_id = ?")
            .bind(global_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(row.map(|r| crate::connections::row_to_connection(&r)))
    }

    /// Whether the centre has connection `id`'s definition (any version of it).
    pub async fn connection_at_centre(&self, id: i64) -> ZcResult<bool> {
        sqlx::query_scalar("SELECT central_version IS NOT NULL FROM backend_connections WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map(|v| v.unwrap_or(false))
            .map_err(db_err)
    }

    /// Takes the centre's definition of a connection, unless this console has an edit of it the
    /// centre lacks, or (for a removal) history the centre does not have yet: both wait for the
    /// push. Read and written in one write transaction (BEGIN IMMEDIATE), so no edit can be
    /// saved between the look and the write.
    pub async fn apply_pulled_connection(&self, pc: &PulledConnection, audit: &Audit) -> ZcResult<ConnectionPulled> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let done = |outcome, id| Ok(ConnectionPulled { outcome, id });
        let local = local_copy(&mut tx, &pc.global_id).await?;
        let meta = |id: i64| json!({"id": id, "central_version": pc.version, "central_by": pc.updated_by});
        let Some(local) = local else {
            if pc.deleted {
                return done(PullOutcome::Unchanged, None);
            }
            let id = next_id(&mut tx, IdSeries::Connections, now).await?;
            let gateway = local_gateway(&mut tx, pc, None).await?;
            let s = &pc.spec;
            let res = crate::connections::bind_spec(
                sqlx::query(
                    "INSERT INTO backend_connections (name, url, metadata, probe_interval_ms, probe_timeout_ms, confirm_count, \
                     degraded_latency_ms, expect_status, expect_keyword, expect_json_field, kind, id, global_id, depends_on, \
                     tls_pin_sha256, tls_trust_at, settings_version, central_version, central_row_version, status, status_since, \
                     created_at, updated_at) \
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 1, ?, 'unknown', ?, ?, ?)",
                ),
                s,
            )
            .bind(s.kind.as_str())
            .bind(id)
            .bind(&pc.global_id)
            .bind(gateway)
            .bind(&pc.tls_pin_sha256)
            .bind(pc.tls_pin_sha256.as_ref().map(|_| now))
            .bind(pc.version)
            .bind(now)
            .bind(now)
            .bind(now)
            .execute(&mut *tx)
            .await;
            match res {
                Ok(_) => {}
                Err(e) if is_unique_violation(&e) => return done(PullOutcome::NameTaken, None),
                Err(e) => return Err(db_err(e)),
            }
            let mut m = meta(id);
            m["spec"] = crate::connections::spec_json(s);
            if pc.depends_on.is_some() && gateway.is_none() {
                m["gateway_not_here"] = json!(true);
            }
            append(&mut tx, now, audit, "connection.pull", &s.name, m).await?;
            tx.commit().await.map_err(db_err)?;
            return done(PullOutcome::Added, Some(id));
        };
        let id = local.id;
        if local.central_row_version == Some(pc.version) {
            return done(PullOutcome::Unchanged, Some(id));
        }
        if local.pending {
            return done(PullOutcome::KeptLocalEdit, Some(id));
        }
        if pc.deleted {
            if crate::sync_series::unpushed_history_in(&mut tx, id).await?.total() > 0 {
                // Its history reaches the centre first (the centre keeps a removed one's).
                return done(PullOutcome::KeptLocalEdit, Some(id));
            }
            sqlx::query("DELETE FROM backend_connections WHERE id = ?")
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
            // The trigger queued a removal for the centre, which removed it first.
            sqlx::query(
                "UPDATE sync_removals SET pushed_at = ?1, updated_at = ?1 WHERE global_id = ?2 AND pushed_at IS NULL",
            )
            .bind(now)
            .bind(&pc.global_id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
            crate::alarms::evaluate_in(&mut tx, now).await?;
            append(&mut tx, now, audit, "connection.pull_remove", &local.name, meta(id)).await?;
            tx.commit().await.map_err(db_err)?;
            return done(PullOutcome::Removed, Some(id));
        }
        let gateway = local_gateway(&mut tx, pc, Some(id)).await?;
        let same =
            local.spec == pc.spec && local.depends_on == pc.depends_on && local.tls_pin_sha256 == pc.tls_pin_sha256;
        if same {
            // This console's own push, or a console upgraded with it already there: nothing moved.
            sqlx::query("UPDATE backend_connections SET central_row_version = ? WHERE id = ?")
                .bind(pc.version)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
            tx.commit().await.map_err(db_err)?;
            return done(PullOutcome::Unchanged, Some(id));
        }
        let res = crate::connections::bind_spec(
            sqlx::query(
                "UPDATE backend_connections SET name = ?, url = ?, metadata = ?, probe_interval_ms = ?, probe_timeout_ms = ?, \
                 confirm_count = ?, degraded_latency_ms = ?, expect_status = ?, expect_keyword = ?, expect_json_field = ?, \
                 kind = ?, depends_on = ?, settings_version = settings_version + 1, central_version = settings_version + 1, \
                 central_row_version = ?, updated_at = ? WHERE id = ?",
            ),
            &pc.spec,
        )
        .bind(pc.spec.kind.as_str())
        .bind(gateway)
        .bind(pc.version)
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await;
        match res {
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => return done(PullOutcome::NameTaken, Some(id)),
            Err(e) => return Err(db_err(e)),
        }
        if local.tls_pin_sha256 != pc.tls_pin_sha256 {
            // A pin replaces a private CA; under the new trust only a certificate seen from now
            // on can contradict it (as `set_tls_trust`).
            sqlx::query(
                "UPDATE backend_connections SET tls_pin_sha256 = ?1, \
                 tls_ca_file = CASE WHEN ?1 IS NULL THEN tls_ca_file ELSE NULL END, \
                 tls_trust_at = ?2, tls_seen_sha256 = NULL, tls_seen_at = NULL WHERE id = ?3",
            )
            .bind(&pc.tls_pin_sha256)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        }
        release_held_definition(&mut tx, id, now).await?;
        if local.depends_on != pc.depends_on {
            crate::alarms::evaluate_in(&mut tx, now).await?;
        }
        let mut m = meta(id);
        m["spec"] = crate::connections::spec_json(&pc.spec);
        if pc.depends_on.is_some() && gateway.is_none() {
            m["gateway_not_here"] = json!(true);
        }
        append(&mut tx, now, audit, "connection.pull", &local.name, m).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(ConnectionPulled { outcome: PullOutcome::Updated, id: Some(id) })
    }

    /// Connections whose settings changed since the centre last had them, oldest first.
    pub async fn connections_to_push(&self) -> ZcResult<Vec<PendingConnection>> {
        let rows = sqlx::query(
            "SELECT c.*, p.global_id AS depends_on_global_id FROM backend_connections c \
             LEFT JOIN backend_connections p ON p.id = c.depends_on \
             WHERE c.central_version IS NULL OR c.central_version < c.settings_version ORDER BY c.id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(rows
            .iter()
            .map(|r| PendingConnection {
                global_id: r.get("global_id"),
                depends_on: r.get("depends_on_global_id"),
                row: crate::connections::row_to_connection(r),
            })
            .collect())
    }

    /// The centre has settings version `version` of connection `id`, as its own version
    /// `central_row_version` (an edit made meanwhile has a higher version and stays pending).
    /// The first version the centre has lets the connection's history go: the series rewind to
    /// it in the same transaction.
    pub async fn record_connection_pushed(&self, id: i64, version: i64, central_row_version: i64) -> ZcResult<()> {
        let mut tx = self.begin_write().await?;
        let first: bool = sqlx::query_scalar("SELECT central_version IS NULL FROM backend_connections WHERE id = ?")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?
            .unwrap_or(false);
        sqlx::query(
            "UPDATE backend_connections SET central_version = ?1, central_row_version = ?3 WHERE id = ?2 \
             AND (central_version IS NULL OR central_version < ?1)",
        )
        .bind(version)
        .bind(id)
        .bind(central_row_version)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        if first {
            crate::sync_series::rewind_to_connection(&mut tx, id).await?;
        }
        tx.commit().await.map_err(db_err)
    }

    /// Removals of `stream`'s rows (connections, widgets) the centre has not heard of.
    pub async fn removals_to_push(&self, stream: &str) -> ZcResult<Vec<PendingRemoval>> {
        let rows = sqlx::query(
            "SELECT id, global_id, removed_at FROM sync_removals WHERE stream = ? AND pushed_at IS NULL ORDER BY id",
        )
        .bind(stream)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(rows.iter().map(|r| PendingRemoval { id: r.get(0), global_id: r.get(1), removed_at: r.get(2) }).collect())
    }

    pub async fn record_removal_pushed(&self, id: i64) -> ZcResult<()> {
        let now = self.now();
        sqlx::query("UPDATE sync_removals SET pushed_at = ?1, updated_at = ?1 WHERE id = ?2")
            .bind(now)
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    /// A push of a stream other than the activity log went through: `n` rows more.
    pub async fn record_stream_success(&self, stream: &str, n: i64) -> ZcResult<()> {
        let now = self.now();
        sqlx::query(
            "INSERT INTO sync_series (stream, cursor_at, cursor_key, last_success_at, last_attempt_at, pushed_total, created_at, updated_at) \
             VALUES (?1, ?2, ?2, ?3, ?3, ?4, ?3, ?3) ON CONFLICT (stream) DO UPDATE SET last_success_at = ?3, \
             last_attempt_at = ?3, last_error = NULL, failures = 0, next_attempt_at = NULL, \
             pushed_total = pushed_total + ?4, updated_at = ?3",
        )
        .bind(stream)
        .bind(i64::MIN)
        .bind(now)
        .bind(n)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    /// The connections stream's queue and health.
    pub async fn connections_sync_status(&self) -> ZcResult<StreamStatus> {
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        let (pending, oldest): (i64, Option<i64>) = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM backend_connections WHERE central_version IS NULL OR central_version < settings_version) \
                    + (SELECT COUNT(*) FROM sync_removals WHERE stream = ?1 AND pushed_at IS NULL), \
                    MIN((SELECT MIN(updated_at) FROM backend_connections WHERE central_version IS NULL OR central_version < settings_version), \
                        (SELECT MIN(removed_at) FROM sync_removals WHERE stream = ?1 AND pushed_at IS NULL))",
        )
        .bind(CONNECTIONS_STREAM)
        .fetch_one(&mut *conn)
        .await
        .map_err(db_err)?;
        crate::sync::stream_status(&mut conn, CONNECTIONS_STREAM, pending, oldest).await
    }
}

/// Whether a definition or a removal waits that is not held: a refused definition holds only
/// itself, and waits without making the sync loop push for nothing every few seconds.
pub(crate) async fn connections_due(conn: &mut sqlx::SqliteConnection) -> ZcResult<bool> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM backend_connections c \
                        WHERE (c.central_version IS NULL OR c.central_version < c.settings_version) \
                        AND NOT EXISTS (SELECT 1 FROM sync_quarantine q WHERE q.stream = ?1 AND q.first_seq = c.id \
                                        AND q.resolved_at IS NULL)) \
             OR EXISTS (SELECT 1 FROM sync_removals WHERE stream = ?1 AND pushed_at IS NULL)",
    )
    .bind(CONNECTIONS_STREAM)
    .fetch_one(conn)
    .await
    .map_err(db_err)
}

/// A new settings version of connection `id` (an edit, its trust, its key) goes to the centre
/// again: a held refusal of an older version no longer holds it (the edit may be the fix).
/// Refused again, the same entry comes back with one attempt more.
pub(crate) async fn release_held_definition(conn: &mut SqliteConnection, id: i64, now: i64) -> ZcResult<()> {
    sqlx::query(
        "UPDATE sync_quarantine SET resolved_at = ?1, resolution = 'retried', updated_at = ?1 \
         WHERE stream = ?2 AND first_seq = ?3 AND resolved_at IS NULL",
    )
    .bind(now)
    .bind(CONNECTIONS_STREAM)
    .bind(id)
    .execute(conn)
    .await
    .map_err(db_err)?;
    Ok(())
}
