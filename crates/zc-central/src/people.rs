//! People at the centre, the authority once a console is connected: a console pushes what its
//! admins changed (naming the centre's version the change started from; a change to a person
//! the centre has moved on since is refused, the centre's copy wins), pulls everyone of its
//! organisation by version, and asks the centre to check a password at sign-in. A password's
//! hash never leaves the centre: `central.sign_in` and `central.set_password` are the only way
//! to it.

use crate::statement;
use sqlx::{PgPool, Row};
use uuid::Uuid;
use zc_domain::Sensitive;

/// A person as a console sends it and the centre keeps it: identity and role, the profile and
/// the notification choices (kept apart in both stores, sent together).
#[derive(Debug, Clone, PartialEq)]
pub struct Person {
    pub id: Uuid,
    pub username: String,
    pub role: String,
    pub disabled: bool,
    pub display_name: String,
    pub company: String,
    pub email: String,
    pub phone: String,
    pub time_zone: Option<String>,
    pub language: Option<String>,
    pub desktop: bool,
    pub min_priority: String,
    pub quiet_from: Option<String>,
    pub quiet_to: Option<String>,
}

/// A person at the centre, with the version every change of theirs moves.
#[derive(Debug, Clone, PartialEq)]
pub struct CentralPerson {
    pub person: Person,
    pub version: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PersonPush {
    /// The centre holds the change, at `version`.
    Stored { version: i64 },
    /// The centre changed the person since `base`: nothing was written; the centre's copy is
    /// at `version`.
    Superseded { version: i64 },
    /// Another person of the organisation has the username; nothing was written.
    NameTaken,
}

/// What the centre says of a password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordCheck {
    Ok {
        user: Uuid,
    },
    /// `wait_ms`: how long the centre makes the next attempt wait (0: none).
    Wrong {
        wait_ms: i64,
    },
    Disabled,
    /// Locked at the centre by failures on any of the organisation's consoles (or by this
    /// one); the password was not checked, or this failure locked it. An admin unlocks.
    Locked,
    /// Too soon after the last failure at the centre: the password was not checked.
    Backoff {
        wait_ms: i64,
    },
    /// No such person at the centre (one this console made, not pushed yet).
    Unknown,
    /// The person is there without a password yet.
    NoPassword {
        user: Uuid,
    },
    /// The console's password is newer than the centre's and this one is not the centre's.
    Stale {
        user: Uuid,
    },
}

/// A person with their profile and notification choices, as the centre keeps them.
macro_rules! person_select {
    () => {
        "SELECT u.id, u.username, u.role, u.disabled_at IS NOT NULL AS disabled, u.version, \
         coalesce(p.display_name, '') AS display_name, coalesce(p.company, '') AS company, \
         coalesce(p.email, '') AS email, coalesce(p.phone, '') AS phone, p.time_zone, p.language, \
         coalesce(n.desktop, true) AS desktop, coalesce(n.min_priority, 'medium') AS min_priority, \
         n.quiet_from, n.quiet_to \
         FROM central.users u LEFT JOIN central.user_profiles p ON p.user_id = u.id \
         LEFT JOIN central.notification_preferences n ON n.user_id = u.id"
    };
}

/// Stores a console's change of a person (`base`: the centre's version it started from; None
/// for a person this console made). Profile and notification choices go in the same
/// transaction, under the person's row lock. A change the centre already holds (a retry of a
/// push whose answer was lost) is `Stored` at the centre's version, and nothing moves.
pub async fn push_person(pool: &PgPool, p: &Person, base: Option<i64>) -> Result<PersonPush, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let current: Option<i64> = statement::query_scalar("SELECT version FROM central.users WHERE id = $1 FOR UPDATE")
        .bind(p.id)
        .fetch_optional(&mut *tx)
        .await?;
    if current.is_some() {
        // The centre already holds exactly this (the push committed there, but the console
        // stopped before it recorded so): stored, whatever `base` says, and nothing moves. Else
        // the retry would read as superseded, and its own change come back as another's.
        let there =
            statement::query(concat!(person_select!(), " WHERE u.id = $1")).bind(p.id).fetch_one(&mut *tx).await?;
        let there = central_person(&there);
        if there.person == *p {
            return Ok(PersonPush::Stored { version: there.version });
        }
    }
    match (current, base) {
        (None, _) => {
            let made = statement::query(
                "INSERT INTO central.users (id, organisation_id, username, role, disabled_at) \
                 VALUES ($1, central.console_organisation(), $2, $3, CASE WHEN $4 THEN now() END) \
                 ON CONFLICT (organisation_id, username) DO NOTHING",
            )
            .bind(p.id)
            .bind(&p.username)
            .bind(&p.role)
            .bind(p.disabled)
            .execute(&mut *tx)
            .await?;
            if made.rows_affected() == 0 {
                return Ok(PersonPush::NameTaken);
            }
        }
        (Some(v), Some(b)) if v == b => {
            statement::query(
                "UPDATE central.users SET username = $2, role = $3, \
                 disabled_at = CASE WHEN $4 THEN coalesce(disabled_at, now()) END, \
                 version = version + 1, updated_at = now() WHERE id = $1",
            )
            .bind(p.id)
            .bind(&p.username)
            .bind(&p.role)
            .bind(p.disabled)
            .execute(&mut *tx)
            .await?;
        }
        (Some(v), _) => return Ok(PersonPush::Superseded { version: v }),
    }
    statement::query(
        "INSERT INTO central.user_profiles (user_id, organisation_id, display_name, company, email, phone, time_zone, language) \
         VALUES ($1, central.console_organisation(), $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (user_id) DO UPDATE SET display_name = EXCLUDED.display_name, company = EXCLUDED.company, \
         email = EXCLUDED.email, phone = EXCLUDED.phone, time_zone = EXCLUDED.time_zone, language = EXCLUDED.language, \
         version = central.user_profiles.version + 1, updated_at = now()",
    )
    .bind(p.id)
    .bind(&p.display_name)
    .bind(&p.company)
    .bind(&p.email)
    .bind(&p.phone)
    .bind(&p.time_zone)
    .bind(&p.language)
    .execute(&mut *tx)
    .await?;
    statement::query(
        "INSERT INTO central.notification_preferences (user_id, organisation_id, desktop, min_priority, quiet_from, quiet_to) \
         VALUES ($1, central.console_organisation(), $2, $3, $4, $5) \
         ON CONFLICT (user_id) DO UPDATE SET desktop = EXCLUDED.desktop, min_priority = EXCLUDED.min_priority, \
         quiet_from = EXCLUDED.quiet_from, quiet_to = EXCLUDED.quiet_to, \
         version = central.notification_preferences.version + 1, updated_at = now()",
    )
    .bind(p.id)
    .bind(p.desktop)
    .bind(&p.min_priority)
    .bind(&p.quiet_from)
    .bind(&p.quiet_to)
    .execute(&mut *tx)
    .await?;
    let version: i64 = statement::query_scalar("SELECT version FROM central.users WHERE id = $1")
        .bind(p.id)
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(PersonPush::Stored { version })
}

/// Everyone of the console's organisation (row-level security keeps it to that), with their
/// versions. An organisation has tens to hundreds of people: all of them, every time.
pub async fn people(pool: &PgPool) -> Result<Vec<CentralPerson>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let rows = statement::query(concat!(person_select!(), " ORDER BY u.username")).fetch_all(&mut *tx).await?;
    tx.commit().await?;
    Ok(rows.iter().map(central_person).collect())
}

fn central_person(r: &sqlx::postgres::PgRow) -> CentralPerson {
    CentralPerson {
        version: r.get("version"),
        person: Person {
            id: r.get("id"),
            username: r.get("username"),
            role: r.get("role"),
            disabled: r.get("disabled"),
            display_name: r.get("display_name"),
            company: r.get("company"),
            email: r.get("email"),
            phone: r.get("phone"),
            time_zone: r.get("time_zone"),
            language: r.get("language"),
            desktop: r.get("desktop"),
            min_priority: r.get("min_priority"),
            quiet_from: r.get("quiet_from"),
            quiet_to: r.get("quiet_to"),
        },
    }
}

/// Asks the centre whether `password` is `username`'s. `local_set_at_ms`: when this console's
/// own password for them was set, if the centre may not have it yet.
pub async fn sign_in(
    pool: &PgPool,
    username: &str,
    password: &Sensitive<String>,
    local_set_at_ms: Option<i64>,
) -> Result<PasswordCheck, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let (outcome, user, wait_ms): (String, Option<Uuid>, i64) = statement::query_as(
        "SELECT outcome, user_id, wait_ms FROM central.sign_in($1, $2, to_timestamp($3::bigint / 1000.0))",
    )
    .bind(username)
    .bind(password.expose())
    .bind(local_set_at_ms)
    .fetch_one(&mut *tx)
    .await?;
    // The count of failures is written in this transaction: it must commit.
    tx.commit().await?;
    let user = || user.unwrap_or_default();
    Ok(match outcome.as_str() {
        "ok" => PasswordCheck::Ok { user: user() },
        "disabled" => PasswordCheck::Disabled,
        "unknown" => PasswordCheck::Unknown,
        "no_password" => PasswordCheck::NoPassword { user: user() },
        "stale" => PasswordCheck::Stale { user: user() },
        "locked" => PasswordCheck::Locked,
        "backoff" => PasswordCheck::Backoff { wait_ms },
        _ => PasswordCheck::Wrong { wait_ms },
    })
}

/// An admin's unlock of `user`, made on a console at `at_ms`: the centre's count of failures
/// and its lock end, unless the centre locked them after it. True when a lock ended.
pub async fn unlock_person(pool: &PgPool, user: Uuid, at_ms: i64) -> Result<bool, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let ended = statement::query_scalar("SELECT central.unlock_person($1, to_timestamp($2::bigint / 1000.0))")
        .bind(user)
        .bind(at_ms)
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(ended)
}

/// Gives the centre a password set on a console at `set_at_ms`; false when the centre has a
/// newer one (which stays).
pub async fn set_password(
    pool: &PgPool,
    user: Uuid,
    password: &Sensitive<String>,
    set_at_ms: i64,
) -> Result<bool, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let taken = statement::query_scalar("SELECT central.set_password($1, $2, to_timestamp($3::bigint / 1000.0))")
        .bind(user)
        .bind(password.expose())
        .bind(set_at_ms)
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(taken)
}
