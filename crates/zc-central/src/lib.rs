//! The central store: a PostgreSQL (Supabase-compatible) schema with row-level security that
//! every console pushes to and pulls from, and the console's side of that conversation.
//! Nothing here knows of SQLite; `zc-app` moves rows between the two.

pub mod activity;
pub mod cluster;
pub mod people;
pub mod pooler;
pub mod provision;
pub mod schema;
pub mod sealed_keys;
pub mod series;
mod statement;
pub mod widgets;

use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use std::time::Duration;
use zc_domain::Sensitive;

/// How long a console waits for the centre before counting a push as failed: a console
/// offline for days must find out fast, not hang its sync for sqlx's default 30 s.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A console's pool to the centre: `url` without credentials (as kept in SQLite), the login
/// and its password (from the keyring). Connects lazily, so an unreachable centre is a failed
/// push, not a failed start.
///
/// The centre may sit behind a transaction pooler (PgBouncer, Supabase's Supavisor), which
/// hands each transaction whichever server connection is free. So nothing is left on a server
/// connection between calls: every statement is unnamed ([`statement`]; a name prepared on one
/// server connection is missing on the next, or names another statement there), and every call
/// runs in a transaction of its own, which keeps a statement's parse and its execution (two
/// round trips in sqlx) on one server connection. `tests/pooler.rs` in zc-sync holds the console to
/// both through a PgBouncer that changes server connection at every transaction.
pub fn console_pool(url: &str, login: &str, password: &Sensitive<String>) -> Result<PgPool, sqlx::Error> {
    let options: PgConnectOptions = url.parse()?;
    let options = options
        .username(login)
        .password(password.expose())
        .application_name("zeroclient")
        // Only read in text by simple queries, which the console does not read floats from;
        // unsent, a stock PgBouncer needs no `ignore_startup_parameters`.
        .extra_float_digits(None);
    Ok(PgPoolOptions::new().max_connections(2).acquire_timeout(CONNECT_TIMEOUT).connect_lazy_with(options))
}

/// Who the centre says this login is: (console, organisation, site) as text, None when the
/// login is no console's or the console was removed.
pub async fn console_identity(pool: &PgPool) -> Result<Option<(String, String, String)>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let found = statement::query_as(
        "SELECT c.id::text, c.organisation_id::text, c.site_id::text FROM central.consoles c \
         WHERE c.login = session_user AND c.removed_at IS NULL",
    )
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(found)
}
