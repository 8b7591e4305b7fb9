//! The central schema's migrations (`migrations/*.sql`), applied in order and recorded in
//! `_sqlx_migrations`. They run unchanged on a plain server and on Supabase (0001 creates only
//! what Supabase already has).

use sqlx::PgPool;
use sqlx::migrate::Migrator;

pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// Applies the migrations not applied yet. The caller connects as the role that will own the
/// schema (a superuser, or Supabase's `postgres`).
pub async fn migrate(pool: &PgPool) -> Result<(), sqlx::migrate::MigrateError> {
    MIGRATOR.run(pool).await
}
