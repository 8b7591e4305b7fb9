//! Raw per-request metrics: batched writes, raw reads, and per-pixel downsampling for charts.

use crate::Store;
use crate::error::db_err;
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};
use std::collections::HashMap;
pub use zc_domain::chart::{ChartBucket, ChartSeries};
use zc_domain::probe::RequestMetric;
use zc_domain::{Outcome, ZcResult};

/// Rows per INSERT statement: 7 bound values each stays below SQLite's 32,766-variable limit.
const ROWS_PER_STATEMENT: usize = 4000;

/// Inserts a batch inside the caller's transaction and updates each connection's last contact
/// and usage. Rows of connections that no longer exist (removed while the monitor held them) are
/// skipped; returns how many rows were inserted.
pub(crate) async fn insert_rows(conn: &mut SqliteConnection, batch: &[RequestMetric], now: i64) -> ZcResult<u64> {
    let mut inserted = 0;
    for chunk in batch.chunks(ROWS_PER_STATEMENT) {
        // The statement text must not change between calls, or SQLite re-prepares a
        // thousand-row INSERT every batch. The batch's timestamp is bound once, in a one-row
        // subquery after the VALUES (sqlx numbers `?` in order, so it must come last), and
        // shared by every row: fewer binds per row is most of the win over plain INSERTs.
        let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(
            "INSERT INTO request_metrics (connection_id, at, latency_us, http_status, request_bytes, response_bytes, outcome, created_at, updated_at) \
             SELECT v.column1, v.column2, v.column3, v.column4, v.column5, v.column6, v.column7, s.t, s.t FROM (",
        );
        qb.push_values(chunk, |mut b, m| {
            b.push_bind(m.connection_id)
                .push_bind(m.at_ms)
                .push_bind(m.latency_us)
                .push_bind(m.http_status.map(i64::from))
                .push_bind(m.request_bytes)
                .push_bind(m.response_bytes)
                .push_bind(m.outcome.as_str());
        });
        qb.push(") AS v, (SELECT ");
        qb.push_bind(now);
        qb.push(" AS t) AS s WHERE v.column1 IN (SELECT id FROM backend_connections)");
        inserted += qb.build().execute(&mut *conn).await.map_err(db_err)?.rows_affected();
    }
    if inserted > 0
        && let Some(min_at) = batch.iter().map(|m| m.at_ms).min()
    {
        crate::sync_series::note_written(conn, crate::sync_series::Series::RequestMetrics, min_at).await?;
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
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
    }
    Ok(inserted)
}

impl Store {
    /// Writes a batch of raw metrics in one transaction with multi-row INSERTs. For tests and the
    /// benchmarks: the monitor writes through [`Store::write_batch`], which keeps its run's ledger
    /// in the same transaction. Returns the rows inserted.
    pub async fn insert_metrics(&self, batch: &[RequestMetric]) -> ZcResult<u64> {
        if batch.is_empty() {
            return Ok(0);
        }
        let now = self.now();
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        let n = insert_rows(&mut tx, batch, now).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(n)
    }

    /// Raw rows, oldest first.
    pub async fn metrics(&self, id: i64, since_ms: i64, until_ms: i64, limit: i64) -> ZcResult<Vec<RequestMetric>> {
        self.metrics_page(id, since_ms, until_ms, 0, limit).await
    }

    /// Raw rows, oldest first, from the `offset`-th row of the window.
    pub async fn metrics_page(
        &self,
        id: i64,
        since_ms: i64,
        until_ms: i64,
        offset: i64,
        limit: i64,
    ) -> ZcResult<Vec<RequestMetric>> {
        let rows = sqlx::query(
            "SELECT connection_id, at, latency_us, http_status, request_bytes, response_bytes, outcome FROM request_metrics \
             WHERE connection_id = ? AND at >= ? AND at < ? ORDER BY at, id LIMIT ? OFFSET ?",
        )
        .bind(id)
        .bind(since_ms)
        .bind(until_ms)
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(rows.iter().map(|r| metric_from_row(r, 0)).collect())
    }

    /// Downsamples `[from, to)` into `columns` pixel columns inside SQLite: one min/max pair of
    /// the answered requests' latency per column, and the failed requests counted apart (they
    /// are marks, not latency), so a chart never draws more points than it has pixels while
    /// storage stays raw.
    ///
    /// Each column is one index range scan, all in a single statement. A `GROUP BY` over the
    /// computed column number would make SQLite sort every row (it cannot see the number grows
    /// with time), and one statement per column would pay sqlx's round trip a thousand times.
    pub async fn chart_series(&self, id: i64, from_ms: i64, to_ms: i64, columns: i64) -> ZcResult<ChartSeries> {
        let span = (to_ms - from_ms).max(1);
        let cols = columns.max(1);
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        // Column c holds the rows whose ((at - from) * cols) / span == c, i.e. from + ceil(c * span / cols) <= at.
        let rows = sqlx::query(
            "WITH RECURSIVE cols(c) AS (SELECT 0 UNION ALL SELECT c + 1 FROM cols WHERE c + 1 < ?3), \
             bounds(c, lo, hi) AS (SELECT c, ?1 + (c * ?2 + ?3 - 1) / ?3, \
                 CASE WHEN c + 1 = ?3 THEN ?1 + ?2 ELSE ?1 + ((c + 1) * ?2 + ?3 - 1) / ?3 END FROM cols) \
             SELECT c, (SELECT MIN(latency_us) || ' ' || MAX(latency_us) || ' ' || COUNT(*) FROM request_metrics \
                        WHERE connection_id = ?4 AND at >= lo AND at < hi AND outcome = 'ok') FROM bounds",
        )
        .bind(from_ms)
        .bind(span)
        .bind(cols)
        .bind(id)
        .fetch_all(&mut *conn)
        .await
        .map_err(db_err)?;
        let mut buckets: Vec<ChartBucket> = rows
            .iter()
            .filter_map(|r| {
                let packed: Option<String> = r.get(1);
                let mut it = packed?.split(' ').map(|v| v.parse::<i64>().unwrap_or(0)).collect::<Vec<_>>().into_iter();
                let (min, max, count) = (it.next()?, it.next()?, it.next()?);
                Some(ChartBucket { column: r.get(0), min_latency_us: min, max_latency_us: max, count, failures: 0 })
            })
            .collect();
        let span = span as i128;
        // Failures through their partial index: only the failed rows are read.
        let failed: Vec<i64> = sqlx::query_scalar(
            "SELECT at FROM request_metrics INDEXED BY request_metrics_failures \
             WHERE connection_id = ? AND at >= ? AND at < ? AND outcome <> 'ok' ORDER BY at",
        )
        .bind(id)
        .bind(from_ms)
        .bind(to_ms)
        .fetch_all(&mut *conn)
        .await
        .map_err(db_err)?;
        // A failed request has no latency to draw: it is a mark in its column, and a column with
        // failures only gets a bucket of its own (count 0).
        let mut fails: std::collections::BTreeMap<i64, i64> = std::collections::BTreeMap::new();
        for at in failed {
            *fails.entry((((at - from_ms) as i128 * cols as i128) / span) as i64).or_default() += 1;
        }
        for b in buckets.iter_mut() {
            b.failures = fails.remove(&b.column).unwrap_or(0);
        }
        buckets.extend(fails.into_iter().map(|(column, failures)| ChartBucket {
            column,
            min_latency_us: 0,
            max_latency_us: 0,
            count: 0,
            failures,
        }));
        buckets.sort_unstable_by_key(|b| b.column);
        let samples = buckets.iter().map(|b| b.count + b.failures).sum();
        Ok(ChartSeries { from_ms, to_ms, columns: cols, buckets, samples })
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

    /// Rows of every connection written after row `after_id`, oldest first, with their ids: how
    /// a console following another process's monitor sees new samples.
    pub async fn metrics_after(&self, after_id: i64, limit: i64) -> ZcResult<Vec<(i64, RequestMetric)>> {
        let rows = sqlx::query(
            "SELECT id, connection_id, at, latency_us, http_status, request_bytes, response_bytes, outcome \
             FROM request_metrics WHERE id > ? ORDER BY id LIMIT ?",
        )
        .bind(after_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(rows.iter().map(|r| (r.get(0), metric_from_row(r, 1))).collect())
    }

    /// The newest metrics row id (0 when there is none).
    pub async fn last_metrics_id(&self) -> ZcResult<i64> {
        sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM request_metrics")
            .fetch_one(&self.pool)
            .await
            .map_err(db_err)
    }

    /// The newest `per_connection` rows of every connection, oldest first per connection: the
    /// control room's sparklines. One statement, one short index range scan per connection.
    pub async fn recent_metrics(&self, per_connection: i64) -> ZcResult<Vec<RequestMetric>> {
        let rows = sqlx::query(
            "SELECT m.connection_id, m.at, m.latency_us, m.http_status, m.request_bytes, m.response_bytes, m.outcome \
             FROM backend_connections c JOIN request_metrics m ON m.id IN \
               (SELECT id FROM request_metrics WHERE connection_id = c.id ORDER BY at DESC LIMIT ?) \
             ORDER BY m.connection_id, m.at",
        )
        .bind(per_connection)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(rows.iter().map(|r| metric_from_row(r, 0)).collect())
    }

    /// Requests per outcome in `[from, to)`: the error breakdown by category.
    pub async fn outcome_counts(&self, id: i64, from_ms: i64, to_ms: i64) -> ZcResult<Vec<(String, i64)>> {
        let rows = sqlx::query(
            "SELECT outcome, COUNT(*) FROM request_metrics WHERE connection_id = ? AND at >= ? AND at < ? \
             GROUP BY outcome ORDER BY COUNT(*) DESC",
        )
        .bind(id)
        .bind(from_ms)
        .bind(to_ms)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }
}

/// A metrics row read with the columns `connection_id, at, latency_us, http_status,
/// request_bytes, response_bytes, outcome` starting at column `first`.
fn metric_from_row(r: &sqlx::sqlite::SqliteRow, first: usize) -> RequestMetric {
    RequestMetric {
        connection_id: r.get(first),
        at_ms: r.get(first + 1),
        latency_us: r.get(first + 2),
        http_status: r.get::<Option<i64>, _>(first + 3).map(|s| s as u16),
        request_bytes: r.get(first + 4),
        response_bytes: r.get(first + 5),
        outcome: outcome(r.get::<&str, _>(first + 6)),
    }
}

/// A stored outcome; an unreadable one (written by a newer version) counts as a failure, never as ok.
fn outcome(s: &str) -> Outcome {
    Outcome::parse(s).unwrap_or(Outcome::Failed(zc_domain::FailureCategory::InvalidResponse))
}
