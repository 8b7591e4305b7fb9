//! People on their way to and from the centre. A change of a person (identity, role, profile,
//! notification choices) moves `users.version` in its own transaction (triggers, migration
//! 0016); the pusher sends each person whose version the centre lacks, naming the centre's
//! version the change started from. The centre is the authority: a change it refuses as
//! superseded is recorded (`user.edit_superseded`, with what was dropped) and the pull brings
//! the centre's copy. A pulled change that disables a person ends their sessions at once; a
//! demotion counts at their next command (every command reads the role again).

use crate::Store;
use crate::activity::{Audit, append};
use crate::error::db_err;
use crate::sync::StreamStatus;
use serde_json::json;
use sqlx::{Row, SqliteConnection};
use zc_domain::user::{Profile, Role};
use zc_domain::{ZcError, ZcResult};

/// The people stream's name in `sync_series` (its health) and `zc sync status`.
pub const PEOPLE_STREAM: &str = "people";

/// A person as both stores keep them, less what decides sign-in here (failures, locks).
#[derive(Debug, Clone, PartialEq)]
pub struct PersonRecord {
    pub global_id: String,
    pub username: String,
    pub role: Role,
    pub disabled: bool,
    pub profile: Profile,
    pub desktop: bool,
    pub min_priority: String,
    pub quiet_from: Option<String>,
    pub quiet_to: Option<String>,
}

/// A person whose change the centre lacks.
#[derive(Debug, Clone)]
pub struct PendingPerson {
    pub id: i64,
    /// The local version read; the centre has it once pushed.
    pub version: i64,
    /// The centre's version the change started from (None: never at the centre).
    pub central_version: Option<i64>,
    pub record: PersonRecord,
}

/// What the pull did with one person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PersonPulled {
    Unchanged,
    Added,
    Updated,
    /// This console has a change the centre lacks: kept, and pushed next.
    KeptLocal,
}

const PENDING: &str = "u.role IS NOT NULL AND (u.pushed_version IS NULL OR u.pushed_version < u.version)";

fn row_to_record(r: &sqlx::sqlite::SqliteRow) -> PersonRecord {
    PersonRecord {
        global_id: r.get("global_id"),
        username: r.get("username"),
        role: Role::parse(r.get::<&str, _>("role")).unwrap_or(Role::Operator),
        disabled: r.get::<Option<i64>, _>("disabled_at").is_some(),
        profile: Profile {
            display_name: r.get("display_name"),
            company: r.get("company"),
            email: r.get("email"),
            phone: r.get("phone"),
            timezone: r.get("timezone"),
            preferred_language: r.get("preferred_language"),
        },
        desktop: r.get::<Option<i64>, _>("desktop").unwrap_or(1) != 0,
        min_priority: r.get::<Option<String>, _>("min_priority").unwrap_or_else(|| "medium".into()),
        quiet_from: r.get("quiet_from"),
        quiet_to: r.get("quiet_to"),
    }
}

impl Store {
    /// People whose change the centre lacks, oldest change first.
    pub async fn people_to_push(&self) -> ZcResult<Vec<PendingPerson>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT u.id, u.global_id, u.username, u.role, u.disabled_at, u.version, u.central_version, \
             p.display_name, p.company, p.email, p.phone, p.timezone, p.preferred_language, \
             n.desktop, n.min_priority, n.quiet_from, n.quiet_to \
             FROM users u LEFT JOIN user_profiles p ON p.user_id = u.id \
             LEFT JOIN notification_settings n ON n.user_id = u.id WHERE {PENDING} ORDER BY u.updated_at, u.id"
        )))
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(rows
            .iter()
            .map(|r| PendingPerson {
                id: r.get("id"),
                version: r.get("version"),
                central_version: r.get("central_version"),
                record: row_to_record(r),
            })
            .collect())
    }

    /// The centre holds local version `version` of person `id`, as its version `central`. A
    /// change made meanwhile has a higher local version and stays pending.
    pub async fn record_person_pushed(&self, id: i64, version: i64, central: i64) -> ZcResult<()> {
        sqlx::query(
            "UPDATE users SET pushed_version = ?1, central_version = ?2 WHERE id = ?3 \
             AND (pushed_version IS NULL OR pushed_version < ?1)",
        )
        .bind(version)
        .bind(central)
        .bind(id)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    /// The centre refused a change of person `p` (it moved on, or another person has the
    /// name): the change is dropped here, recorded with what it held, and the pull brings the
    /// centre's copy.
    pub async fn record_person_superseded(&self, p: &PendingPerson, reason: &str, audit: &Audit) -> ZcResult<()> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let marked = sqlx::query(
            "UPDATE users SET pushed_version = ?1 WHERE id = ?2 AND (pushed_version IS NULL OR pushed_version < ?1)",
        )
        .bind(p.version)
        .bind(p.id)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        // Another pusher (the window's beside `zc`) already recorded this version as stored:
        // its write is what the centre "moved on" to, and nothing was dropped.
        if marked.rows_affected() == 0 {
            return Ok(());
        }
        let r = &p.record;
        let meta = json!({
            "reason": reason,
            "dropped": {"role": r.role.as_str(), "disabled": r.disabled, "profile": r.profile,
                        "desktop": r.desktop, "min_priority": r.min_priority,
                        "quiet_from": r.quiet_from, "quiet_to": r.quiet_to},
        });
        append(&mut tx, now, audit, "user.edit_superseded", &r.username, meta).await?;
        tx.commit().await.map_err(db_err)
    }

    /// Takes the centre's copy of a person (version `version`) unless this console has a change
    /// the centre lacks. A person new here can sign in once they have signed in here while the
    /// centre answered (their password's hash is kept only then).
    pub async fn apply_central_person(&self, c: &PersonRecord, version: i64, audit: &Audit) -> ZcResult<PersonPulled> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let found = sqlx::query(
            "SELECT u.id, u.global_id, u.role, u.disabled_at, u.version, u.pushed_version, u.central_version, \
             c.user_id IS NOT NULL AS has_credential \
             FROM users u LEFT JOIN user_credentials c ON c.user_id = u.id \
             WHERE u.global_id = ?1 OR u.username = ?2 ORDER BY u.global_id = ?1 DESC LIMIT 1",
        )
        .bind(&c.global_id)
        .bind(&c.username)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?;
        let (id, outcome) = match found {
            Some(r) if r.get::<Option<String>, _>("role").is_some() => {
                let id: i64 = r.get("id");
                let pending = r.get::<Option<i64>, _>("pushed_version").is_none_or(|p| p < r.get::<i64, _>("version"));
                if pending {
                    return Ok(PersonPulled::KeptLocal);
                }
                if r.get::<String, _>("global_id") != c.global_id {
                    // The same name made here and at the centre: the centre's is the person.
                    sqlx::query("UPDATE users SET global_id = ? WHERE id = ?")
                        .bind(&c.global_id)
                        .bind(id)
                        .execute(&mut *tx)
                        .await
                        .map_err(db_err)?;
                } else if r.get::<Option<i64>, _>("central_version") == Some(version) {
                    return Ok(PersonPulled::Unchanged);
                }
                let was_role = Role::parse(r.get::<&str, _>("role")).unwrap_or(Role::Operator);
                let was_disabled = r.get::<Option<i64>, _>("disabled_at").is_some();
                if was_role != c.role || was_disabled != c.disabled {
                    sqlx::query("UPDATE users SET role = ?, disabled_at = ?, updated_at = ? WHERE id = ?")
                        .bind(c.role.as_str())
                        .bind(c.disabled.then(|| r.get::<Option<i64>, _>("disabled_at").unwrap_or(now)))
                        .bind(now)
                        .bind(id)
                        .execute(&mut *tx)
                        .await
                        .map_err(db_err)?;
                }
                let ended = if c.disabled && !was_disabled {
                    crate::users::end_sessions_of(&mut tx, id, "disabled_centrally", now).await?
                } else {
                    0
                };
                let meta = json!({
                    "from": "central", "version": version,
                    "role": {"from": was_role.as_str(), "to": c.role.as_str()},
                    "disabled": {"from": was_disabled, "to": c.disabled},
                    "sessions_ended": ended,
                });
                append(&mut tx, now, audit, "user.central_update", &c.username, meta).await?;
                (id, PersonPulled::Updated)
            }
            found => {
                let id: i64 = match found {
                    // A user row from before sign-in (an OS account's, without a role) takes it.
                    Some(r) => {
                        let id: i64 = r.get("id");
                        sqlx::query(
                            "UPDATE users SET role = ?, disabled_at = ?, global_id = ?, created_by = 'central', updated_at = ? WHERE id = ?",
                        )
                        .bind(c.role.as_str())
                        .bind(c.disabled.then_some(now))
                        .bind(&c.global_id)
                        .bind(now)
                        .bind(id)
                        .execute(&mut *tx)
                        .await
                        .map_err(db_err)?;
                        id
                    }
                    None => sqlx::query_scalar(
                        "INSERT INTO users (username, role, disabled_at, global_id, created_by, created_at, updated_at) \
                         VALUES (?1, ?2, ?3, ?4, 'central', ?5, ?5) RETURNING id",
                    )
                    .bind(&c.username)
                    .bind(c.role.as_str())
                    .bind(c.disabled.then_some(now))
                    .bind(&c.global_id)
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(db_err)?,
                };
                // No hash here yet: the credential names a keyring entry that a sign-in the centre
                // answers fills. The centre has the password, so nothing waits to go there.
                sqlx::query(
                    "INSERT INTO user_credentials (user_id, credential, password_set_at, central_password_at, created_at, updated_at) \
                     VALUES (?1, lower(hex(randomblob(16))), ?2, ?2, ?2, ?2) ON CONFLICT (user_id) DO NOTHING",
                )
                .bind(id)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
                append(
                    &mut tx,
                    now,
                    audit,
                    "user.create",
                    &c.username,
                    json!({"from": "central", "role": c.role.as_str()}),
                )
                .await?;
                (id, PersonPulled::Added)
            }
        };
        crate::users::write_profile(&mut tx, id, &c.profile, now).await?;
        let quiet = (c.quiet_from.as_deref(), c.quiet_to.as_deref());
        crate::preferences::write_notifications(&mut tx, id, c.desktop, &c.min_priority, quiet, now).await?;
        // The triggers moved the version for the writes above: that version is the centre's.
        sqlx::query("UPDATE users SET pushed_version = version, central_version = ? WHERE id = ?")
            .bind(version)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(outcome)
    }

    /// A person's global id and, when the centre may lack this console's password for them,
    /// when it was set here.
    pub async fn central_password_state(&self, user_id: i64) -> ZcResult<(String, Option<i64>)> {
        let r = sqlx::query(
            "SELECT u.global_id, CASE WHEN c.central_password_at IS NULL OR c.central_password_at < c.password_set_at \
             THEN c.password_set_at END AS pending FROM users u JOIN user_credentials c ON c.user_id = u.id WHERE u.id = ?",
        )
        .bind(user_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?
        .ok_or_else(|| ZcError::not_found("user", &user_id.to_string()))?;
        Ok((r.get("global_id"), r.get("pending")))
    }

    /// The centre has the password set here at `set_at` (or a newer one).
    pub async fn record_central_password(&self, user_id: i64, set_at: i64) -> ZcResult<()> {
        sqlx::query(
            "UPDATE user_credentials SET central_password_at = ?1 WHERE user_id = ?2 \
             AND (central_password_at IS NULL OR central_password_at < ?1)",
        )
        .bind(set_at)
        .bind(user_id)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    /// The people stream's queue and health.
    pub async fn people_sync_status(&self) -> ZcResult<StreamStatus> {
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        let (pending, oldest): (i64, Option<i64>) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*), MIN(u.updated_at) FROM users u WHERE {PENDING}"
        )))
        .fetch_one(&mut *conn)
        .await
        .map_err(db_err)?;
        crate::sync::stream_status(&mut conn, PEOPLE_STREAM, pending, oldest).await
    }
}

/// Whether a person waits to go to the centre.
pub(crate) async fn people_due(conn: &mut SqliteConnection) -> ZcResult<bool> {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT EXISTS (SELECT 1 FROM users u WHERE {PENDING})")))
        .fetch_one(conn)
        .await
        .map_err(db_err)
}
