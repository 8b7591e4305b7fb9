//! The central store: a PostgreSQL (Supabase-compatible) schema with row-level security that
//! every console pushes to and pulls from, and the console's side of that conversation.
//! Nothing here knows of SQLite; `zc-app` moves rows between the two.

pub mod activity;
pub mod cluster;
pub mod people;
pub mod provision;
pub mod schema;
pub mod sealed_keys;
pub mod series;
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
pub fn console_pool(url: &str, login: &str, password: &Sensitive<String>) -> Result<PgPool, sqlx::Error> {
    let options: PgConnectOptions = url.parse()?;
    let options = options.username(login).password(password.expose()).application_name("zeroclient");
    Ok(PgPoolOptions::new().max_connections(2).acquire_timeout(CONNECT_TIMEOUT).connect_lazy_with(options))
}
