//! Pushing what a console measured (status history, raw request metrics, point history) and
//! the connection definitions those rows belong to. Every row carries the id the console gave
//! it; a row the centre has is ignored, so the same batch twice is stored once. One statement
//! per batch (arrays unnested server-side): the round trip, not the rows, is what costs.

use crate::statement;
use sqlx::PgPool;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq)]
pub struct StatusRow {
    pub id: Uuid,
    pub connection: Uuid,
    pub at_ms: i64,
    pub from: String,
    pub to: String,
    pub error_category: Option<String>,
    pub error_detail: Option<String>,
    pub observer_offline: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MetricRow {
    pub id: Uuid,
    pub connection: Uuid,
    pub at_ms: i64,
    pub latency_us: i64,
    pub http_status: Option<i32>,
    pub request_bytes: i64,
    pub response_bytes: i64,
    pub outcome: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PointRow {
    pub id: Uuid,
    pub connection: Uuid,
    pub at_ms: i64,
    pub point: String,
    pub value: Option<f64>,
    pub quality: String,
    pub source_at_ms: Option<i64>,
}

/// A connection's definition as the centre keeps it: never its key.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectionDef {
    pub id: Uuid,
    pub name: String,
    pub url: String,
    /// A JSON object: what the console's form holds besides the name and URL.
    pub settings: String,
    pub updated_by: String,
}

/// A connection of the console's site as the centre holds it, for the pull.
#[derive(Debug, Clone, PartialEq)]
pub struct CentralConnection {
    pub def: ConnectionDef,
    pub version: i64,
    pub deleted: bool,
}

/// Every connection of the console's site, removed ones too (a removal travels by the pull).
/// A site holds tens to hundreds, each a few hundred bytes: one read, no paging.
pub async fn site_connections(pool: &PgPool) -> Result<Vec<CentralConnection>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let rows: Vec<(Uuid, String, String, String, String, i64, bool)> = statement::query_as(
        "SELECT id, name, url, settings::text, updated_by, version, deleted_at IS NOT NULL \
         FROM central.connections WHERE site_id = central.console_site() ORDER BY id",
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(rows
        .into_iter()
        .map(|(id, name, url, settings, updated_by, version, deleted)| CentralConnection {
            def: ConnectionDef { id, name, url, settings, updated_by },
            version,
            deleted,
        })
        .collect())
}

/// Stores the rows the centre does not have yet; answers how many it stored.
pub async fn push_status(pool: &PgPool, rows: &[StatusRow]) -> Result<u64, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let r = statement::query(
        "INSERT INTO central.status_history (id, organisation_id, console_id, connection_id, at, from_status, \
         to_status, reason, error_category, observer_offline) \
         SELECT b.id, me.org, me.console, b.conn, to_timestamp(b.at / 1000.0), b.from_s, b.to_s, coalesce(b.detail, ''), \
                b.category, b.offline \
         FROM (SELECT central.console_organisation() AS org, central.console_id() AS console) me, \
              unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bool[]) \
              AS b(id, conn, at, from_s, to_s, category, detail, offline) \
         ON CONFLICT DO NOTHING",
    )
    .bind(rows.iter().map(|r| r.id).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.connection).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.at_ms).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.from.clone()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.to.clone()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.error_category.clone()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.error_detail.clone()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.observer_offline).collect::<Vec<_>>())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(r.rows_affected())
}

pub async fn push_metrics(pool: &PgPool, rows: &[MetricRow]) -> Result<u64, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let r = statement::query(
        "INSERT INTO central.request_metrics (id, organisation_id, console_id, connection_id, at, latency_ms, \
         http_status, failure, request_bytes, response_bytes, outcome) \
         SELECT b.id, me.org, me.console, b.conn, to_timestamp(b.at / 1000.0), b.latency_us / 1000.0, b.http, \
                CASE WHEN b.outcome = 'ok' THEN NULL ELSE b.outcome END, b.req, b.resp, b.outcome \
         FROM (SELECT central.console_organisation() AS org, central.console_id() AS console) me, \
              unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::bigint[], $5::int[], $6::bigint[], $7::bigint[], $8::text[]) \
              AS b(id, conn, at, latency_us, http, req, resp, outcome) \
         ON CONFLICT DO NOTHING",
    )
    .bind(rows.iter().map(|r| r.id).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.connection).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.at_ms).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.latency_us).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.http_status).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.request_bytes).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.response_bytes).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.outcome.clone()).collect::<Vec<_>>())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(r.rows_affected())
}

pub async fn push_points(pool: &PgPool, rows: &[PointRow]) -> Result<u64, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let r = statement::query(
        "INSERT INTO central.point_history (id, organisation_id, console_id, connection_id, point, at, value, \
         quality, source_at) \
         SELECT b.id, me.org, me.console, b.conn, b.point, to_timestamp(b.at / 1000.0), b.value, b.quality, \
                to_timestamp(b.source_at / 1000.0) \
         FROM (SELECT central.console_organisation() AS org, central.console_id() AS console) me, \
              unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::text[], $5::float8[], $6::text[], $7::bigint[]) \
              AS b(id, conn, at, point, value, quality, source_at) \
         ON CONFLICT DO NOTHING",
    )
    .bind(rows.iter().map(|r| r.id).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.connection).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.at_ms).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.point.clone()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.value).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.quality.clone()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.source_at_ms).collect::<Vec<_>>())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(r.rows_affected())
}

/// Adds a connection to the console's site, or replaces its definition (a removed one comes
/// back). Answers the centre's version of it after the call.
pub async fn put_connection(pool: &PgPool, c: &ConnectionDef) -> Result<i64, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let version = statement::query_scalar(
        "INSERT INTO central.connections AS c (id, organisation_id, site_id, name, url, settings, updated_by, console_id) \
         VALUES ($1, central.console_organisation(), central.console_site(), $2, $3, $4::jsonb, $5, central.console_id()) \
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, url = excluded.url, settings = excluded.settings, \
             updated_by = excluded.updated_by, console_id = excluded.console_id, deleted_at = NULL, \
             version = c.version + 1, updated_at = now() \
         RETURNING version",
    )
    .bind(c.id)
    .bind(&c.name)
    .bind(&c.url)
    .bind(&c.settings)
    .bind(&c.updated_by)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(version)
}

/// Marks a connection removed (its history stays: it happened). A connection the centre never
/// had is nothing to remove.
pub async fn remove_connection(pool: &PgPool, id: Uuid, removed_at_ms: i64, by: &str) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    statement::query(
        "UPDATE central.connections SET deleted_at = to_timestamp($2 / 1000.0), updated_by = $3, \
         console_id = central.console_id(), version = version + 1, updated_at = now() \
         WHERE id = $1 AND deleted_at IS NULL",
    )
    .bind(id)
    .bind(removed_at_ms)
    .bind(by)
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}
