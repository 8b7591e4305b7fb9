//! Live point values: each point's latest value (kept so the last known values are there offline
//! and after a restart) and its history, recorded on change (deadband plus heartbeat), never
//! aggregated. Written by the monitor's writer in the same transaction as the metrics rows the
//! samples came with, so a point sample is written exactly when its metrics row is.

use crate::Store;
use crate::activity::{Audit, append};
use crate::error::db_err;
use serde::Serialize;
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};
use std::collections::{HashMap, HashSet};
use zc_domain::ZcResult;
use zc_domain::point::{PointBatch, Quality, RecordRule, Recorded};

/// 10 bound values per latest-value row, 5 per history row: both stay below SQLite's limit.
const LATEST_ROWS_PER_STATEMENT: usize = 2000;
const HISTORY_ROWS_PER_STATEMENT: usize = 4000;

/// A point's latest value as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PointRow {
    pub connection_id: i64,
    pub point: String,
    pub unit: String,
    pub value: Option<f64>,
    pub quality: Quality,
    /// The station's timestamp of the value.
    pub source_at: Option<i64>,
    /// When this console received it.
    pub received_at: i64,
    /// The recording rule's overrides (None: the defaults).
    pub deadband: Option<f64>,
    pub heartbeat_ms: Option<i64>,
    /// Alarm limits (None: none on that side).
    pub low_limit: Option<f64>,
    pub high_limit: Option<f64>,
}

/// One kept sample of a point's history.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct PointHistoryRow {
    pub point: String,
    pub at: i64,
    pub value: Option<f64>,
    pub quality: Quality,
    pub source_at: Option<i64>,
}

/// What a point looks like while a batch is decided.
struct PointState {
    id: Option<i64>,
    rule: RecordRule,
    recorded: Option<Recorded>,
    latest: Option<Latest>,
}

/// A sample the recording rule keeps: (point, received at, value, quality, station time).
type Kept = ((i64, String), i64, f64, Quality, Option<i64>);

struct Latest {
    unit: String,
    value: f64,
    quality: Quality,
    source_at: Option<i64>,
    received_at: i64,
}

fn no_point(connection: &str, point: &str) -> zc_domain::ZcError {
    zc_domain::ZcError::new(
        zc_domain::ErrorCode::NotFound,
        format!("'{connection}' has no point '{point}' yet; `zc points {connection}` lists the points it has sent"),
    )
}

fn quality(s: &str) -> Quality {
    Quality::parse_lenient(s)
}

/// Writes the samples of `batches` inside the caller's transaction: every point's latest value,
/// and a history row for each sample its recording rule keeps. Samples of connections that no
/// longer exist are skipped. Returns the history rows written.
pub(crate) async fn write_points(conn: &mut SqliteConnection, batches: &[PointBatch], now: i64) -> ZcResult<u64> {
    if batches.iter().all(|b| b.samples.is_empty()) {
        return Ok(0);
    }
    let ids: Vec<i64> = batches.iter().map(|b| b.connection_id).collect::<HashSet<_>>().into_iter().collect();
    let ids_json = serde_json::to_string(&ids).unwrap_or_else(|_| "[]".into());
    let existing: HashSet<i64> =
        sqlx::query_scalar("SELECT id FROM backend_connections WHERE id IN (SELECT value FROM json_each(?))")
            .bind(&ids_json)
            .fetch_all(&mut *conn)
            .await
            .map_err(db_err)?
            .into_iter()
            .collect();
    let mut points: HashMap<(i64, String), PointState> = HashMap::new();
    let rows = sqlx::query(
        "SELECT id, connection_id, point_key, recorded_value, recorded_quality, recorded_at, deadband, heartbeat_ms \
         FROM data_points WHERE connection_id IN (SELECT value FROM json_each(?))",
    )
    .bind(&ids_json)
    .fetch_all(&mut *conn)
    .await
    .map_err(db_err)?;
    for r in rows {
        let recorded = match (r.get::<Option<f64>, _>(3), r.get::<Option<String>, _>(4), r.get::<Option<i64>, _>(5)) {
            (v, Some(q), Some(at)) => Some(Recorded { value: v.unwrap_or(f64::NAN), quality: quality(&q), at }),
            _ => None,
        };
        let rule = RecordRule {
            deadband: r.get(6),
            heartbeat_ms: r.get::<Option<i64>, _>(7).unwrap_or(RecordRule::default().heartbeat_ms),
        };
        points.insert((r.get(1), r.get(2)), PointState { id: Some(r.get(0)), rule, recorded, latest: None });
    }
    // Decide in order: a batch may hold several probes of the same station.
    let mut history: Vec<Kept> = Vec::new();
    let mut touched: Vec<(i64, String)> = Vec::new();
    for b in batches.iter().filter(|b| existing.contains(&b.connection_id)) {
        for s in b.samples.iter() {
            let key = (b.connection_id, s.point.clone());
            let p = points.entry(key.clone()).or_insert_with(|| PointState {
                id: None,
                rule: RecordRule::default(),
                recorded: None,
                latest: None,
            });
            if p.latest.is_none() {
                touched.push(key.clone());
            }
            if p.rule.should_record(p.recorded.as_ref(), s.value, s.quality, b.received_at) {
                p.recorded = Some(Recorded { value: s.value, quality: s.quality, at: b.received_at });
                history.push((key, b.received_at, s.value, s.quality, s.source_at));
            }
            p.latest = Some(Latest {
                unit: s.unit.clone(),
                value: s.value,
                quality: s.quality,
                source_at: s.source_at,
                received_at: b.received_at,
            });
        }
    }
    for chunk in touched.chunks(LATEST_ROWS_PER_STATEMENT) {
        let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(
            "INSERT INTO data_points (connection_id, point_key, unit, value, quality, source_at, received_at, \
             recorded_value, recorded_quality, recorded_at, created_at, updated_at) \
             SELECT v.column1, v.column2, v.column3, v.column4, v.column5, v.column6, v.column7, v.column8, v.column9, \
             v.column10, s.t, s.t FROM (",
        );
        qb.push_values(chunk, |mut row, key| {
            let p = &points[key];
            let l = p.latest.as_ref().expect("touched points have a latest value");
            row.push_bind(key.0)
                .push_bind(key.1.as_str())
                .push_bind(l.unit.as_str())
                .push_bind(l.value)
                .push_bind(l.quality.as_str())
                .push_bind(l.source_at)
                .push_bind(l.received_at)
                .push_bind(p.recorded.map(|r| r.value))
                .push_bind(p.recorded.map(|r| r.quality.as_str()))
                .push_bind(p.recorded.map(|r| r.at));
        });
        qb.push(") AS v, (SELECT ");
        qb.push_bind(now);
        // `WHERE true` keeps SQLite from reading ON CONFLICT as a join's ON.
        qb.push(
            " AS t) AS s WHERE true ON CONFLICT (connection_id, point_key) DO UPDATE SET unit = excluded.unit, \
             value = excluded.value, quality = excluded.quality, source_at = excluded.source_at, \
             received_at = excluded.received_at, recorded_value = excluded.recorded_value, \
             recorded_quality = excluded.recorded_quality, recorded_at = excluded.recorded_at, \
             updated_at = excluded.updated_at RETURNING id, connection_id, point_key",
        );
        for r in qb.build().fetch_all(&mut *conn).await.map_err(db_err)? {
            if let Some(p) = points.get_mut(&(r.get(1), r.get(2))) {
                p.id = Some(r.get(0));
            }
        }
    }
    let mut written = 0;
    for chunk in history.chunks(HISTORY_ROWS_PER_STATEMENT) {
        let mut qb: QueryBuilder<Sqlite> =
            QueryBuilder::new("INSERT OR IGNORE INTO point_history (point_id, at, value, quality, source_at) ");
        qb.push_values(chunk, |mut row, (key, at, value, q, source_at)| {
            row.push_bind(points[key].id).push_bind(*at).push_bind(*value).push_bind(q.as_str()).push_bind(*source_at);
        });
        written += qb.build().execute(&mut *conn).await.map_err(db_err)?.rows_affected();
    }
    if written > 0
        && let Some(min_at) = history.iter().map(|h| h.1).min()
    {
        crate::sync_series::note_written(conn, crate::sync_series::Series::PointHistory, min_at).await?;
    }
    Ok(written)
}

fn point_row(r: &sqlx::sqlite::SqliteRow) -> PointRow {
    PointRow {
        connection_id: r.get("connection_id"),
        point: r.get("point_key"),
        unit: r.get("unit"),
        value: r.get("value"),
        quality: quality(r.get::<&str, _>("quality")),
        source_at: r.get("source_at"),
        received_at: r.get("received_at"),
        deadband: r.get("deadband"),
        heartbeat_ms: r.get("heartbeat_ms"),
        low_limit: r.get("low_limit"),
        high_limit: r.get("high_limit"),
    }
}

impl Store {
    /// Sets a point's recording rule (None: back to the default), audited. The point must have
    /// been received at least once (it is known by its station's id).
    pub async fn set_point_rule(
        &self,
        connection_id: i64,
        connection: &str,
        point: &str,
        deadband: Option<f64>,
        heartbeat_ms: Option<i64>,
        audit: &Audit,
    ) -> ZcResult<()> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let n = sqlx::query(
            "UPDATE data_points SET deadband = ?, heartbeat_ms = ?, updated_at = ? WHERE connection_id = ? AND point_key = ?",
        )
        .bind(deadband)
        .bind(heartbeat_ms)
        .bind(now)
        .bind(connection_id)
        .bind(point)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?
        .rows_affected();
        if n == 0 {
            return Err(no_point(connection, point));
        }
        let meta = serde_json::json!({"point": point, "deadband": deadband, "heartbeat_ms": heartbeat_ms});
        append(&mut tx, now, audit, "point.rule", connection, meta).await?;
        tx.commit().await.map_err(db_err)
    }

    /// Sets a point's alarm limits (None: no limit on that side), audited; the alarms are decided
    /// again in the same transaction. The point must have been received at least once.
    pub async fn set_point_limits(
        &self,
        connection_id: i64,
        connection: &str,
        point: &str,
        low: Option<f64>,
        high: Option<f64>,
        audit: &Audit,
    ) -> ZcResult<()> {
        if low.is_some_and(|l| !l.is_finite()) || high.is_some_and(|h| !h.is_finite()) {
            return Err(zc_domain::ZcError::invalid("a limit must be a finite number"));
        }
        if let (Some(l), Some(h)) = (low, high)
            && l >= h
        {
            return Err(zc_domain::ZcError::invalid(format!("the low limit ({l}) must be below the high limit ({h})")));
        }
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let n = sqlx::query(
            "UPDATE data_points SET low_limit = ?, high_limit = ?, updated_at = ? WHERE connection_id = ? AND point_key = ?",
        )
        .bind(low)
        .bind(high)
        .bind(now)
        .bind(connection_id)
        .bind(point)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?
        .rows_affected();
        if n == 0 {
            return Err(no_point(connection, point));
        }
        let meta = serde_json::json!({"point": point, "low": low, "high": high});
        append(&mut tx, now, audit, "point.limits", connection, meta).await?;
        crate::alarms::evaluate_in(&mut tx, now).await?;
        tx.commit().await.map_err(db_err)
    }

    /// The latest value of every point, of one connection or of all, by connection and point.
    pub async fn latest_points(&self, connection_id: Option<i64>) -> ZcResult<Vec<PointRow>> {
        let rows = sqlx::query(
            "SELECT * FROM data_points WHERE ?1 IS NULL OR connection_id = ?1 ORDER BY connection_id, point_key",
        )
        .bind(connection_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(rows.iter().map(point_row).collect())
    }

    /// Points whose latest value was written at or after `since` (the writer's clock, which
    /// only moves forward, unlike receive times across probes), with the newest write time seen:
    /// how a console following another process's monitor reads new values. A row written in
    /// the same millisecond as the last read comes again, which is harmless; none is missed.
    pub async fn points_written_since(&self, since: i64) -> ZcResult<(Vec<PointRow>, i64)> {
        let rows = sqlx::query("SELECT * FROM data_points WHERE updated_at >= ? ORDER BY connection_id, point_key")
            .bind(since)
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        let newest = rows.iter().map(|r| r.get::<i64, _>("updated_at")).max().unwrap_or(since);
        Ok((rows.iter().map(point_row).collect(), newest))
    }

    /// Recorded history of a connection's points in `[since, until)`, optionally of one point,
    /// by point then time.
    pub async fn point_history(
        &self,
        connection_id: i64,
        point: Option<&str>,
        since_ms: i64,
        until_ms: i64,
        limit: i64,
    ) -> ZcResult<Vec<PointHistoryRow>> {
        self.point_history_rows(connection_id, point, since_ms, until_ms, 0, limit).await
    }

    /// A page of [`Store::point_history`] from its `offset`-th row (exports).
    pub async fn point_history_page(
        &self,
        connection_id: i64,
        since_ms: i64,
        until_ms: i64,
        offset: i64,
        limit: i64,
    ) -> ZcResult<Vec<PointHistoryRow>> {
        self.point_history_rows(connection_id, None, since_ms, until_ms, offset, limit).await
    }

    async fn point_history_rows(
        &self,
        connection_id: i64,
        point: Option<&str>,
        since_ms: i64,
        until_ms: i64,
        offset: i64,
        limit: i64,
    ) -> ZcResult<Vec<PointHistoryRow>> {
        let rows = sqlx::query(
            "SELECT p.point_key, h.at, h.value, h.quality, h.source_at FROM point_history h \
             JOIN data_points p ON p.id = h.point_id \
             WHERE p.connection_id = ?1 AND (?2 IS NULL OR p.point_key = ?2) AND h.at >= ?3 AND h.at < ?4 \
             ORDER BY p.point_key, h.at LIMIT ?5 OFFSET ?6",
        )
        .bind(connection_id)
        .bind(point)
        .bind(since_ms)
        .bind(until_ms)
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(rows
            .iter()
            .map(|r| PointHistoryRow {
                point: r.get(0),
                at: r.get(1),
                value: r.get(2),
                quality: quality(r.get::<&str, _>(3)),
                source_at: r.get(4),
            })
            .collect())
    }
}
