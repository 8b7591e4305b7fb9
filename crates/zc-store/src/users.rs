//! People who sign in: identity and role (`users`), profile (`user_profiles`), what decides
//! whether they may try to sign in (`user_credentials`: failures, backoff, lock) and who is
//! signed in (`sessions`). A password's hash is never here: `credential` names its entry in the
//! OS keyring. Every change is audited in its own transaction.

use crate::Store;
use crate::activity::{Audit, append};
use crate::error::db_err;
use serde::Serialize;
use serde_json::json;
use sqlx::{Row, SqliteConnection};
pub use zc_domain::user::Profile;
use zc_domain::user::{Role, SignInFailure, SignInPolicy};
use zc_domain::{ErrorCode, ZcError, ZcResult};

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub role: Role,
    pub disabled_at: Option<i64>,
    pub locked_at: Option<i64>,
    pub failed_count: i64,
    pub last_sign_in_at: Option<i64>,
    pub password_set_at: i64,
    pub created_at: i64,
    pub created_by: Option<String>,
    pub profile: Profile,
}

/// A signed-in session, as every command checks it.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct SessionRow {
    /// The session's token: whoever holds it acts as the person. Kept in memory and the OS
    /// keyring only; the database has its SHA-256 (`sessions.id`), and it is never serialised.
    #[serde(skip)]
    #[ts(skip)]
    pub id: String,
    pub user_id: i64,
    pub username: String,
    pub role: Role,
    pub client: String,
    pub started_at: i64,
    pub expires_at: i64,
}

/// What `begin_sign_in` found: try the password against `credential`, or a refusal already
/// recorded.
#[derive(Debug, Clone, PartialEq)]
pub enum Attempt {
    Try { user_id: i64, username: String, credential: String },
    Refused { reason: SignInFailure, wait_ms: i64 },
}

/// Whose waits and lock decide an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limits {
    /// This console's: not connected, or the centre did not answer.
    Console,
    /// The centre answered with its own count across every console (docs/central.md, "Failed
    /// sign-ins"): this console's waits and a lock copied from the centre do not refuse (a lock
    /// its own count made still does), and a right password ends them here too. The attempt is
    /// still counted here, for when the centre cannot be reached.
    Central,
}

/// What the activity log keeps of a sign-in besides the outcome: where it came from.
#[derive(Debug, Clone, Serialize)]
pub struct AttemptOrigin {
    pub client: String,
    pub hostname: String,
    /// The operating system's account the program ran under.
    pub os_user: String,
    pub os: String,
    pub app_version: String,
    /// Who checked the password: `console` (not connected to a centre), `central`, or
    /// `cached` (connected, but the centre did not answer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checked_by: Option<String>,
}

/// The user query with a constant tail (statement text stays constant, so it is cached).
macro_rules! select_user {
    ($tail:literal) => {
        concat!(
            "SELECT u.id, u.username, u.role, u.disabled_at, u.created_at, u.created_by, ",
            "c.locked_at, c.failed_count, c.last_sign_in_at, c.password_set_at, ",
            "p.display_name, p.company, p.email, p.phone, p.timezone, p.preferred_language ",
            "FROM users u JOIN user_credentials c ON c.user_id = u.id LEFT JOIN user_profiles p ON p.user_id = u.id ",
            "WHERE u.role IS NOT NULL ",
            $tail
        )
    };
}

fn row_to_user(r: &sqlx::sqlite::SqliteRow) -> UserRow {
    UserRow {
        id: r.get("id"),
        username: r.get("username"),
        role: Role::parse(r.get::<&str, _>("role")).unwrap_or(Role::Operator),
        disabled_at: r.get("disabled_at"),
        locked_at: r.get("locked_at"),
        failed_count: r.get("failed_count"),
        last_sign_in_at: r.get("last_sign_in_at"),
        password_set_at: r.get("password_set_at"),
        created_at: r.get("created_at"),
        created_by: r.get("created_by"),
        profile: Profile {
            display_name: r.get("display_name"),
            company: r.get("company"),
            email: r.get("email"),
            phone: r.get("phone"),
            timezone: r.get("timezone"),
            preferred_language: r.get("preferred_language"),
        },
    }
}

async fn user_in(conn: &mut SqliteConnection, username: &str) -> ZcResult<UserRow> {
    sqlx::query(select_user!("AND u.username = ?"))
        .bind(username)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_err)?
        .map(|r| row_to_user(&r))
        .ok_or_else(|| ZcError::not_found("user", username))
}

async fn admins_left(conn: &mut SqliteConnection, except: i64) -> ZcResult<i64> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM users u JOIN user_credentials c ON c.user_id = u.id \
         WHERE u.role = 'admin' AND u.disabled_at IS NULL AND c.locked_at IS NULL AND u.id <> ?",
    )
    .bind(except)
    .fetch_one(&mut *conn)
    .await
    .map_err(db_err)
}

fn last_admin(username: &str) -> ZcError {
    ZcError::invalid(format!(
        "{username} is the last active admin; make another user admin first, so the console keeps someone who can manage it"
    ))
}

impl Store {
    /// Whether anyone can sign in yet (false on a new console: the first admin is to be made).
    pub async fn has_users(&self) -> ZcResult<bool> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users u JOIN user_credentials c ON c.user_id = u.id")
            .fetch_one(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(n > 0)
    }

    /// Creates a person who signs in with the password whose hash is in the keyring under
    /// `credential`. `first` makes the first admin, and is refused once anyone exists (checked in
    /// the transaction, so two first runs at once make one admin).
    pub async fn create_user(
        &self,
        username: &str,
        role: Role,
        profile: &Profile,
        credential: &str,
        first: bool,
        audit: &Audit,
    ) -> ZcResult<UserRow> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        if first {
            let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM user_credentials")
                .fetch_one(&mut *tx)
                .await
                .map_err(db_err)?;
            if n > 0 {
                return Err(ZcError::invalid(
                    "this console already has its first admin; sign in (`zc login`) and add users with `zc user add`",
                ));
            }
        }
        // A user row from before sign-in (an OS account's, without a role) takes the role.
        let existing: Option<(i64, Option<String>)> = sqlx::query_as("SELECT id, role FROM users WHERE username = ?")
            .bind(username)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?;
        let id = match existing {
            Some((_, Some(_))) => {
                return Err(ZcError::new(
                    ErrorCode::DuplicateName,
                    format!("a user named {username} already exists; choose another username"),
                ));
            }
            Some((id, None)) => {
                sqlx::query("UPDATE users SET role = ?, created_by = ?, disabled_at = NULL, updated_at = ? WHERE id = ?")
                    .bind(role.as_str())
                    .bind(&audit.actor)
                    .bind(now)
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                id
            }
            None => sqlx::query_scalar(
                "INSERT INTO users (username, role, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
            )
            .bind(username)
            .bind(role.as_str())
            .bind(&audit.actor)
            .bind(now)
            .bind(now)
            .fetch_one(&mut *tx)
            .await
            .map_err(db_err)?,
        };
        sqlx::query(
            "INSERT INTO user_credentials (user_id, credential, password_set_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(id)
        .bind(credential)
        .bind(now)
        .bind(now)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        write_profile(&mut tx, id, profile, now).await?;
        let action = if first { "user.first_admin" } else { "user.create" };
        append(&mut tx, now, audit, action, username, json!({"role": role.as_str()})).await?;
        committed(tx, username).await
    }

    pub async fn users(&self) -> ZcResult<Vec<UserRow>> {
        Ok(sqlx::query(select_user!("ORDER BY u.username"))
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?
            .iter()
            .map(row_to_user)
            .collect())
    }

    pub async fn user(&self, username: &str) -> ZcResult<UserRow> {
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        user_in(&mut conn, username).await
    }

    /// Starts a sign-in attempt. A refusal (unknown, disabled, locked, too soon) is recorded
    /// here. Otherwise the attempt is counted as a failure *before* the password is checked, with
    /// the wait a failure brings, so a second attempt at the same time finds it and waits: the
    /// backoff cannot be outrun by trying in parallel. `finish_sign_in` settles it.
    pub async fn begin_sign_in(
        &self,
        username: &str,
        policy: &SignInPolicy,
        limits: Limits,
        origin: &AttemptOrigin,
        audit: &Audit,
    ) -> ZcResult<Attempt> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "SELECT u.id, u.disabled_at, c.credential, c.failed_count, c.next_attempt_at, c.locked_at, c.locked_by_centre \
             FROM users u JOIN user_credentials c ON c.user_id = u.id WHERE u.username = ? AND u.role IS NOT NULL",
        )
        .bind(username)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?;
        let refused = |reason: SignInFailure, wait_ms: i64| Attempt::Refused { reason, wait_ms };
        let outcome = match &row {
            None => refused(SignInFailure::UnknownUser, 0),
            Some(r) if r.get::<Option<i64>, _>("disabled_at").is_some() => refused(SignInFailure::Disabled, 0),
            // A lock this console's own count made holds whoever answers; a copy of the centre's
            // gives way to the centre's word.
            Some(r)
                if r.get::<Option<i64>, _>("locked_at").is_some()
                    && (limits == Limits::Console || r.get::<i64, _>("locked_by_centre") == 0) =>
            {
                refused(SignInFailure::Locked, 0)
            }
            Some(r)
                if limits == Limits::Console && r.get::<Option<i64>, _>("next_attempt_at").is_some_and(|t| t > now) =>
            {
                refused(SignInFailure::Backoff, r.get::<i64, _>("next_attempt_at") - now)
            }
            Some(r) => {
                let failures = r.get::<i64, _>("failed_count") as u32 + 1;
                let wait = policy.delay_after(failures);
                sqlx::query(
                    "UPDATE user_credentials SET failed_count = ?, next_attempt_at = ?, updated_at = ? WHERE user_id = ?",
                )
                .bind(failures as i64)
                .bind((wait > 0).then_some(now + wait))
                .bind(now)
                .bind(r.get::<i64, _>("id"))
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
                Attempt::Try { user_id: r.get("id"), username: username.to_owned(), credential: r.get("credential") }
            }
        };
        if let Attempt::Refused { reason, wait_ms } = outcome {
            // An unknown username is not kept: it may be a password typed in the wrong field.
            let who = if reason == SignInFailure::UnknownUser { "(unknown)" } else { username };
            let meta = json!({"reason": reason.as_str(), "wait_ms": wait_ms, "origin": origin});
            append(&mut tx, now, audit, "auth.sign_in_failed", who, meta).await?;
        }
        tx.commit().await.map_err(db_err)?;
        Ok(outcome)
    }

    /// Settles an attempt `begin_sign_in` allowed. On success: failures reset, a session of
    /// `session_ms` started (returned). On a wrong password: the failure stays counted, and the
    /// account locks at the policy's limit.
    #[allow(clippy::too_many_arguments)]
    pub async fn finish_sign_in(
        &self,
        user_id: i64,
        username: &str,
        password_ok: bool,
        session: Option<(&str, &str, i64)>,
        policy: &SignInPolicy,
        origin: &AttemptOrigin,
        audit: &Audit,
    ) -> ZcResult<Option<SessionRow>> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let (failed, disabled): (i64, Option<i64>) = sqlx::query_as(
            "SELECT c.failed_count, u.disabled_at FROM user_credentials c JOIN users u ON u.id = c.user_id WHERE c.user_id = ?",
        )
        .bind(user_id)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        let result = match session {
            // Disabled while the password was being checked: refused all the same.
            Some((id, client, session_ms)) if password_ok && disabled.is_none() => {
                sqlx::query(
                    // locked_at too: only a sign-in the centre decided gets here while locked.
                    "UPDATE user_credentials SET failed_count = 0, next_attempt_at = NULL, locked_at = NULL, \
                     locked_by_centre = 0, last_sign_in_at = ?, updated_at = ? WHERE user_id = ?",
                )
                .bind(now)
                .bind(now)
                .bind(user_id)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
                sqlx::query(
                    "INSERT INTO sessions (id, user_id, device_id, client, started_at, expires_at, created_at, updated_at) \
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                )
                .bind(token_digest(id))
                .bind(user_id)
                .bind(audit.device_id)
                .bind(client)
                .bind(now)
                .bind(now + session_ms)
                .bind(now)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
                let who = Audit { actor: format!("user:{username}"), device_id: audit.device_id };
                let meta = json!({"client": client, "expires_at": now + session_ms, "origin": origin});
                append(&mut tx, now, &who, "auth.sign_in", username, meta).await?;
                Some(session_in(&mut tx, id, now).await?.ok_or_else(|| ZcError::internal("the new session vanished"))?)
            }
            _ => {
                // Never the last admin who can still sign in: ten guesses by anyone at the console
                // would leave nobody to unlock anyone. Their waits keep growing instead.
                let role: Option<String> = sqlx::query_scalar("SELECT role FROM users WHERE id = ?")
                    .bind(user_id)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(db_err)?;
                let last_admin = role.as_deref() == Some("admin") && admins_left(&mut tx, user_id).await? == 0;
                let locks = policy.locks(failed as u32) && !last_admin;
                sqlx::query(
                    "UPDATE user_credentials SET locked_at = CASE WHEN ?1 THEN ?2 ELSE locked_at END, \
                     locked_by_centre = CASE WHEN ?1 THEN 0 ELSE locked_by_centre END, last_failed_at = ?2, \
                     updated_at = ?2 WHERE user_id = ?3",
                )
                .bind(locks)
                .bind(now)
                .bind(user_id)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
                let reason = if password_ok { SignInFailure::Disabled } else { SignInFailure::WrongPassword };
                let meta = json!({"reason": reason.as_str(), "failures": failed, "locked": locks, "origin": origin});
                append(&mut tx, now, audit, "auth.sign_in_failed", username, meta).await?;
                None
            }
        };
        tx.commit().await.map_err(db_err)?;
        Ok(result)
    }

    /// The centre refused a sign-in before checking the password (`Locked`: the person is
    /// locked there; `Backoff`: too soon after a failure there, at any console). Recorded
    /// here; a central lock is kept here too, so this console refuses them while the centre
    /// cannot be reached, until an admin unlocks them.
    pub async fn record_central_refusal(
        &self,
        username: &str,
        reason: SignInFailure,
        wait_ms: i64,
        origin: &AttemptOrigin,
        audit: &Audit,
    ) -> ZcResult<()> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        if reason == SignInFailure::Locked {
            // Never this console's last admin who can sign in (as for its own count): offline,
            // nobody would be left to unlock anyone.
            let who: Option<(i64, Option<String>)> = sqlx::query_as("SELECT id, role FROM users WHERE username = ?")
                .bind(username)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db_err)?;
            if let Some((id, role)) = who
                && !(role.as_deref() == Some("admin") && admins_left(&mut tx, id).await? == 0)
            {
                sqlx::query(
                    "UPDATE user_credentials SET locked_at = coalesce(locked_at, ?1), \
                     locked_by_centre = CASE WHEN locked_at IS NULL THEN 1 ELSE locked_by_centre END, updated_at = ?1 \
                     WHERE user_id = ?2",
                )
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
            }
        }
        let meta = json!({"reason": reason.as_str(), "wait_ms": wait_ms, "origin": origin});
        append(&mut tx, now, audit, "auth.sign_in_failed", username, meta).await?;
        tx.commit().await.map_err(db_err)
    }

    /// Unlocks made here that the centre has not heard of: (global id, when).
    pub async fn central_unlocks_pending(&self) -> ZcResult<Vec<(String, i64)>> {
        sqlx::query_as(
            "SELECT u.global_id, c.central_unlock_pending_at FROM user_credentials c JOIN users u ON u.id = c.user_id \
             WHERE c.central_unlock_pending_at IS NOT NULL AND u.global_id IS NOT NULL ORDER BY c.central_unlock_pending_at",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)
    }

    /// The centre has the unlock made at `at` (one made since stays pending).
    pub async fn record_central_unlock_sent(&self, global_id: &str, at: i64) -> ZcResult<()> {
        sqlx::query(
            "UPDATE user_credentials SET central_unlock_pending_at = NULL \
             WHERE central_unlock_pending_at = ?1 AND user_id = (SELECT id FROM users WHERE global_id = ?2)",
        )
        .bind(at)
        .bind(global_id)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    /// Takes back an attempt `begin_sign_in` counted, when it could not be checked (the
    /// keyring did not answer): not the person's failure.
    pub async fn abandon_sign_in(&self, user_id: i64) -> ZcResult<()> {
        sqlx::query(
            "UPDATE user_credentials SET failed_count = MAX(failed_count - 1, 0), next_attempt_at = NULL, updated_at = ? \
             WHERE user_id = ?",
        )
        .bind(self.now())
        .bind(user_id)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    /// The current password was given right (changing one's own): the failures before it stop
    /// counting, as after a sign-in.
    pub async fn password_confirmed(&self, user_id: i64) -> ZcResult<()> {
        sqlx::query(
            "UPDATE user_credentials SET failed_count = 0, next_attempt_at = NULL, updated_at = ? WHERE user_id = ?",
        )
        .bind(self.now())
        .bind(user_id)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    /// The keyring entry name of a user's password hash.
    pub async fn credential_of(&self, user_id: i64) -> ZcResult<String> {
        sqlx::query_scalar("SELECT credential FROM user_credentials WHERE user_id = ?")
            .bind(user_id)
            .fetch_one(&self.pool)
            .await
            .map_err(db_err)
    }

    /// A session that still lets its person act: not ended, not expired, its user enabled and
    /// holding a role. Read at every command, so a role change or a disable takes effect at once.
    pub async fn session(&self, id: &str) -> ZcResult<Option<SessionRow>> {
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        session_in(&mut conn, id, self.now()).await
    }

    /// Ends a session (sign-out, or an admin's action); `reason` is kept.
    pub async fn end_session(&self, id: &str, reason: &str, audit: &Audit) -> ZcResult<()> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let user: Option<String> = sqlx::query_scalar(
            "UPDATE sessions SET ended_at = ?, end_reason = ?, updated_at = ? WHERE id = ? AND ended_at IS NULL \
             RETURNING (SELECT username FROM users WHERE users.id = sessions.user_id)",
        )
        .bind(now)
        .bind(reason)
        .bind(now)
        .bind(token_digest(id))
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?;
        if let Some(user) = user {
            append(&mut tx, now, audit, "auth.sign_out", &user, json!({"reason": reason})).await?;
        }
        tx.commit().await.map_err(db_err)?;
        Ok(())
    }

    /// Changes a user's role. The last active admin keeps theirs.
    pub async fn set_role(&self, username: &str, role: Role, audit: &Audit) -> ZcResult<UserRow> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let u = user_in(&mut tx, username).await?;
        if u.role == Role::Admin && role != Role::Admin && admins_left(&mut tx, u.id).await? == 0 {
            return Err(last_admin(username));
        }
        sqlx::query("UPDATE users SET role = ?, updated_at = ? WHERE id = ?")
            .bind(role.as_str())
            .bind(now)
            .bind(u.id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        append(&mut tx, now, audit, "user.role", username, json!({"from": u.role.as_str(), "to": role.as_str()}))
            .await?;
        committed(tx, username).await
    }

    /// Disables (ending every session) or enables a user. The last active admin stays enabled.
    pub async fn set_disabled(&self, username: &str, disabled: bool, audit: &Audit) -> ZcResult<UserRow> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let u = user_in(&mut tx, username).await?;
        if disabled && u.role == Role::Admin && admins_left(&mut tx, u.id).await? == 0 {
            return Err(last_admin(username));
        }
        sqlx::query("UPDATE users SET disabled_at = ?, updated_at = ? WHERE id = ?")
            .bind(disabled.then_some(now))
            .bind(now)
            .bind(u.id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        let ended = if disabled { end_sessions_of(&mut tx, u.id, "disabled", now).await? } else { 0 };
        let action = if disabled { "user.disable" } else { "user.enable" };
        append(&mut tx, now, audit, action, username, json!({"sessions_ended": ended})).await?;
        committed(tx, username).await
    }

    /// Lifts a lock and the wait after failures.
    pub async fn unlock_user(&self, username: &str, audit: &Audit) -> ZcResult<UserRow> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let u = user_in(&mut tx, username).await?;
        sqlx::query(
            "UPDATE user_credentials SET locked_at = NULL, locked_by_centre = 0, failed_count = 0, next_attempt_at = NULL, updated_at = ?1, \
             central_unlock_pending_at = CASE WHEN EXISTS (SELECT 1 FROM central_link) THEN ?1 END WHERE user_id = ?2",
        )
        .bind(now)
        .bind(u.id)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        append(
            &mut tx,
            now,
            audit,
            "user.unlock",
            username,
            json!({"was_locked": u.locked_at.is_some(), "failures": u.failed_count}),
        )
        .await?;
        committed(tx, username).await
    }

    /// Points a user at a new credential (a new password's keyring entry); returns the old one
    /// for the caller to delete. A reset by someone else also unlocks and ends every session.
    pub async fn replace_credential(
        &self,
        username: &str,
        credential: &str,
        by_admin: bool,
        keep_session: Option<&str>,
        audit: &Audit,
    ) -> ZcResult<String> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let u = user_in(&mut tx, username).await?;
        let old: String = sqlx::query_scalar("SELECT credential FROM user_credentials WHERE user_id = ?")
            .bind(u.id)
            .fetch_one(&mut *tx)
            .await
            .map_err(db_err)?;
        sqlx::query(
            "UPDATE user_credentials SET credential = ?, password_set_at = ?, locked_at = CASE WHEN ? THEN NULL ELSE locked_at END, \
             failed_count = CASE WHEN ? THEN 0 ELSE failed_count END, next_attempt_at = CASE WHEN ? THEN NULL ELSE next_attempt_at END, \
             updated_at = ? WHERE user_id = ?",
        )
        .bind(credential)
        .bind(now)
        .bind(by_admin)
        .bind(by_admin)
        .bind(by_admin)
        .bind(now)
        .bind(u.id)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        // A reset ends every session of the person; one's own change ends every other one (a
        // password changed because someone else knew it must also end what they opened).
        let ended = match (by_admin, keep_session) {
            (true, _) | (false, None) => {
                end_sessions_of(&mut tx, u.id, if by_admin { "password_reset" } else { "password_changed" }, now)
                    .await?
            }
            (false, Some(keep)) => sqlx::query(
                "UPDATE sessions SET ended_at = ?, end_reason = 'password_changed', updated_at = ? \
                 WHERE user_id = ? AND ended_at IS NULL AND id != ?",
            )
            .bind(now)
            .bind(now)
            .bind(u.id)
            .bind(token_digest(keep))
            .execute(&mut *tx)
            .await
            .map_err(db_err)?
            .rows_affected(),
        };
        let action = if by_admin { "user.password_reset" } else { "user.password_change" };
        append(&mut tx, now, audit, action, username, json!({"sessions_ended": ended})).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(old)
    }

    /// Replaces a user's profile (validated by the caller).
    pub async fn set_profile(&self, username: &str, profile: &Profile, audit: &Audit) -> ZcResult<UserRow> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let u = user_in(&mut tx, username).await?;
        write_profile(&mut tx, u.id, profile, now).await?;
        // Which fields changed, not their values: a phone number is the person's, not the log's.
        let changed: Vec<&str> = [
            ("display_name", u.profile.display_name != profile.display_name),
            ("company", u.profile.company != profile.company),
            ("email", u.profile.email != profile.email),
            ("phone", u.profile.phone != profile.phone),
            ("timezone", u.profile.timezone != profile.timezone),
            ("preferred_language", u.profile.preferred_language != profile.preferred_language),
        ]
        .into_iter()
        .filter_map(|(f, c)| c.then_some(f))
        .collect();
        append(&mut tx, now, audit, "user.profile", username, json!({"changed": changed})).await?;
        committed(tx, username).await
    }
}

/// Reads the user back in the transaction that changed them, then commits it.
async fn committed(mut tx: sqlx::Transaction<'static, sqlx::Sqlite>, username: &str) -> ZcResult<UserRow> {
    let row = user_in(&mut tx, username).await?;
    tx.commit().await.map_err(db_err)?;
    Ok(row)
}

/// What the database keeps of a session token: a copy of the database (a backup) holds no token
/// anyone could act with.
fn token_digest(token: &str) -> String {
    zc_domain::user::session_digest(token)
}

async fn session_in(conn: &mut SqliteConnection, token: &str, now: i64) -> ZcResult<Option<SessionRow>> {
    Ok(sqlx::query(
        "SELECT s.user_id, u.username, u.role, s.client, s.started_at, s.expires_at FROM sessions s \
         JOIN users u ON u.id = s.user_id \
         WHERE s.id = ? AND s.ended_at IS NULL AND s.expires_at > ? AND u.disabled_at IS NULL AND u.role IS NOT NULL",
    )
    .bind(token_digest(token))
    .bind(now)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db_err)?
    .map(|r| SessionRow {
        id: token.to_owned(),
        user_id: r.get("user_id"),
        username: r.get("username"),
        role: Role::parse(r.get::<&str, _>("role")).unwrap_or(Role::Operator),
        client: r.get("client"),
        started_at: r.get("started_at"),
        expires_at: r.get("expires_at"),
    }))
}

pub(crate) async fn end_sessions_of(
    conn: &mut SqliteConnection,
    user_id: i64,
    reason: &str,
    now: i64,
) -> ZcResult<u64> {
    Ok(sqlx::query(
        "UPDATE sessions SET ended_at = ?, end_reason = ?, updated_at = ? WHERE user_id = ? AND ended_at IS NULL",
    )
    .bind(now)
    .bind(reason)
    .bind(now)
    .bind(user_id)
    .execute(&mut *conn)
    .await
    .map_err(db_err)?
    .rows_affected())
}

pub(crate) async fn write_profile(conn: &mut SqliteConnection, user_id: i64, p: &Profile, now: i64) -> ZcResult<()> {
    sqlx::query(
        "INSERT INTO user_profiles (user_id, display_name, company, email, phone, timezone, preferred_language, created_at, updated_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET display_name = excluded.display_name, \
         company = excluded.company, email = excluded.email, phone = excluded.phone, timezone = excluded.timezone, \
         preferred_language = excluded.preferred_language, updated_at = excluded.updated_at",
    )
    .bind(user_id)
    .bind(&p.display_name)
    .bind(&p.company)
    .bind(&p.email)
    .bind(&p.phone)
    .bind(&p.timezone)
    .bind(&p.preferred_language)
    .bind(now)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map_err(db_err)?;
    Ok(())
}
