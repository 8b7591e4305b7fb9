//! The only way this crate builds a statement: unnamed (`persistent(false)`), so nothing is left
//! prepared on a server connection. Behind a transaction pooler the next transaction may get
//! another client's server connection, where a name sqlx chose (`sqlx_s_1`, counted per client
//! connection) is missing, already taken, or names a different statement. `clippy.toml` here
//! keeps `sqlx::query*` out of this crate.

use sqlx::postgres::{PgArguments, PgRow, Postgres};
use sqlx::query::{Query, QueryAs, QueryScalar};
use sqlx::{FromRow, SqlSafeStr};

#[allow(clippy::disallowed_methods)]
pub fn query<'q>(sql: impl SqlSafeStr) -> Query<'q, Postgres, PgArguments> {
    sqlx::query(sql).persistent(false)
}

#[allow(clippy::disallowed_methods)]
pub fn query_as<'q, O>(sql: impl SqlSafeStr) -> QueryAs<'q, Postgres, O, PgArguments>
where
    O: for<'r> FromRow<'r, PgRow>,
{
    sqlx::query_as(sql).persistent(false)
}

#[allow(clippy::disallowed_methods)]
pub fn query_scalar<'q, O>(sql: impl SqlSafeStr) -> QueryScalar<'q, Postgres, O, PgArguments>
where
    (O,): for<'r> FromRow<'r, PgRow>,
{
    sqlx::query_scalar(sql).persistent(false)
}
