//! Raw per-request metrics: batched writes, raw reads, and per-pixel downsampling for charts.

use crate::Store;
use crate::error::db_err;
pub use zc_domain::chart::{ChartBucket, ChartSeries};
use sqlx::{QueryBuilder, Row, Sqlite};
use std::collections::HashMap;
use zc_domain::probe::RequestMetric;
use zc_domain::{Outcome, ZcResult};

/// Rows per INSERT statement: 10 bound values each keeps us far below SQLite's variable limit.
const ROWS_PER_STATEMENT: usize = 1000;

impl Store {
    /// Writes a batch of raw metrics in one transaction with multi-row INSERTs, and updates
    /// each connection's last contact and usage in the same transaction.
    pub async fn insert_metrics(&self, batch: &[RequestMetric]) -> ZcResult<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let now = self.now();
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        for chunk in batch.chunks(ROWS_PER_STATEMENT) {
            let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(
                "INSERT INTO request_metrics (connection_id, at, latency_us, http_status, request_bytes, response_bytes, outcome, created_at, updated_at) ",
            );
            qb.push_values(chunk, |mut b, m| {
                b.push_bind(m.connection_id)
                    .push_bind(m.at_ms)
                    .push_bind(m.latency_us)
                    .push_bind(m.http_status.map(i64::from))
                    .push_bind(m.request_bytes)
                    .push_bind(m.response_bytes)
                    .push_bind(m.outcome.as_str())
                    .push_bind(now)
                    .push_bind(now);
            });
            qb.build().execute(&mut *tx).await.map_err(db_err)?;
        }
        // (requests, last request, last answer) per connection.
        let mut per_conn: HashMap<i64, (i64, i64, Option<i64>)> = HashMap::new();
        for m in batch {
            let e = per_conn.entry(m.connection_id).or_insert((0, i64::MIN, None));
            e.0 += 1;
            e.1 = e.1.max(m.at_ms);
            if m.http_status.is_some() {
                e.2 = Some(e.2.map_or(m.at_ms, |t: i64| t.max(m.at_ms)));
            }
        }
        for (id, (n, last_used, last_contact)) in per_conn {
            sqlx::query(
                "UPDATE backend_connections SET usage_count = usage_count + ?, last_used_at = MAX(COALESCE(last_used_at, 0), ?), \
                 last_contact_at = CASE WHEN ? IS NULL THEN last_contact_at ELSE MAX(COALESCE(last_contact_at, 0), ?) END WHERE id = ?",
            )
            .bind(n)
            .bind(last_used)
            .bind(last_contact)
            .bind(last_contact)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        }
        tx.commit().await.map_err(db_err)
    }

    /// Raw rows, oldest first.
    pub async fn metrics(&self, id: i64, since_ms: i64, until_ms: i64, limit: i64) -> ZcResult<Vec<RequestMetric>> {
        let rows = sqlx::query(
            "SELECT at, latency_us, http_status, request_bytes, response_bytes, outcome FROM request_metrics \
             WHERE connection_id = ? AND at >= ? AND at < ? ORDER BY at LIMIT ?",
        )
        .bind(id)
        .bind(since_ms)
        .bind(until_ms)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(rows
            .iter()
            .map(|r| RequestMetric {
                connection_id: id,
                at_ms: r.get(0),
                latency_us: r.get(1),
                http_status: r.get::<Option<i64>, _>(2).map(|s| s as u16),
                request_bytes: r.get(3),
                response_bytes: r.get(4),
                outcome: Outcome::parse(r.get::<&str, _>(5)).unwrap_or(Outcome::Failed(zc_domain::FailureCategory::InvalidResponse)),
            })
            .collect())
    }

    /// Downsamples `[from, to)` into `columns` pixel columns inside SQLite: one min/max pair per
    /// column, so a chart never draws more points than it has pixels while storage stays raw.
    pub async fn chart_series(&self, id: i64, from_ms: i64, to_ms: i64, columns: i64) -> ZcResult<ChartSeries> {
        let span = (to_ms - from_ms).max(1);
        let rows = sqlx::query(
            "SELECT ((at - ?1) * ?3) / ?2 AS col, MIN(latency_us), MAX(latency_us), COUNT(*), SUM(outcome <> 'ok') \
             FROM request_metrics WHERE connection_id = ?4 AND at >= ?5 AND at < ?6 GROUP BY col ORDER BY col",
        )
        .bind(from_ms)
        .bind(span)
        .bind(columns)
        .bind(id)
        .bind(from_ms)
        .bind(to_ms)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        let buckets: Vec<ChartBucket> = rows
            .iter()
            .map(|r| ChartBucket {
                column: r.get(0),
                min_latency_us: r.get(1),
                max_latency_us: r.get(2),
                count: r.get(3),
                failures: r.get(4),
            })
            .collect();
        let samples = buckets.iter().map(|b| b.count).sum();
        Ok(ChartSeries { from_ms, to_ms, columns, buckets, samples })
    }

    /// Time of the oldest and newest sample of a connection, for default chart windows.
    pub async fn metrics_span(&self, id: i64) -> ZcResult<Option<(i64, i64)>> {
        let r = sqlx::query("SELECT MIN(at), MAX(at) FROM request_metrics WHERE connection_id = ?")
            .bind(id)
            .fetch_one(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(r.get::<Option<i64>, _>(0).zip(r.get::<Option<i64>, _>(1)))
    }
}
