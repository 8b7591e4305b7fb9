//! The time series' streams: status history, raw metrics, point history. Each is pushed a
//! batch at a time from its cursor; a batch the centre stored (or already had) moves the
//! cursor. A row's global id is derived from what makes it that row on this console, so a
//! batch pushed again after a crash, or a row a rewind sends again, is the same row.

use crate::failure::{self, FailureKind};
use crate::{Finish, StreamReport};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use uuid::Uuid;
use zc_central::series::{MetricRow, PointRow, StatusRow};
use zc_domain::ZcResult;
use zc_store::{Series, SeriesBatch, SeriesRow, SeriesValues, Store};

/// Rows per call to the centre: big enough that the round trip is not what costs, small
/// enough that the activity log waits at most one batch of each series.
pub const BATCH: i64 = 5000;

/// A row's global id: a UUIDv7 timed by the row's own time, its other 74 bits from a hash of
/// the console, the series, the row's local key and time. The same row always gets the same id.
pub fn row_id(console: Uuid, series: Series, key: i64, at_ms: i64) -> Uuid {
    let mut h = Sha256::new();
    h.update(console.as_bytes());
    h.update(series.stream().as_bytes());
    h.update(key.to_be_bytes());
    h.update(at_ms.to_be_bytes());
    let d = h.finalize();
    let mut b = [0u8; 16];
    let ms = (at_ms.max(0) as u64).to_be_bytes();
    b[..6].copy_from_slice(&ms[2..]);
    b[6..].copy_from_slice(&d[..10]);
    b[6] = 0x70 | (b[6] & 0x0f);
    b[8] = 0x80 | (b[8] & 0x3f);
    Uuid::from_bytes(b)
}

fn connection_of(r: &SeriesRow) -> Result<Uuid, String> {
    Uuid::parse_str(&r.connection)
        .map_err(|_| format!("the row at {} names a connection without a valid global id", r.at))
}

/// Sends one claimed batch; answers how many rows the centre stored (the rest it had), or
/// (the outer error) why the batch cannot be sent at all.
pub async fn send(central: &PgPool, console: Uuid, batch: &SeriesBatch) -> Result<Result<u64, sqlx::Error>, String> {
    let id = |r: &SeriesRow| row_id(console, batch.series, r.key, r.at);
    Ok(match batch.series {
        Series::StatusHistory => {
            let mut rows = Vec::with_capacity(batch.rows.len());
            for r in &batch.rows {
                if let SeriesValues::Status { from, to, error_category, error_detail, observer_offline } = &r.values {
                    rows.push(StatusRow {
                        id: id(r),
                        connection: connection_of(r)?,
                        at_ms: r.at,
                        from: from.clone(),
                        to: to.clone(),
                        error_category: error_category.clone(),
                        error_detail: error_detail.clone(),
                        observer_offline: *observer_offline,
                    });
                }
            }
            zc_central::series::push_status(central, &rows).await
        }
        Series::RequestMetrics => {
            let mut rows = Vec::with_capacity(batch.rows.len());
            for r in &batch.rows {
                if let SeriesValues::Metric { latency_us, http_status, request_bytes, response_bytes, outcome } =
                    &r.values
                {
                    rows.push(MetricRow {
                        id: id(r),
                        connection: connection_of(r)?,
                        at_ms: r.at,
                        latency_us: *latency_us,
                        http_status: http_status.map(|s| s as i32),
                        request_bytes: *request_bytes,
                        response_bytes: *response_bytes,
                        outcome: outcome.clone(),
                    });
                }
            }
            zc_central::series::push_metrics(central, &rows).await
        }
        Series::PointHistory => {
            let mut rows = Vec::with_capacity(batch.rows.len());
            for r in &batch.rows {
                if let SeriesValues::Point { point, value, quality, source_at } = &r.values {
                    rows.push(PointRow {
                        id: id(r),
                        connection: connection_of(r)?,
                        at_ms: r.at,
                        point: point.clone(),
                        value: *value,
                        quality: quality.clone(),
                        source_at_ms: *source_at,
                    });
                }
            }
            zc_central::series::push_points(central, &rows).await
        }
    })
}

/// Pushes at most `batches` batches of `series` (None: until drained), stopping at a failure
/// or a quarantined row.
pub async fn push(
    store: &Store,
    central: &PgPool,
    console: Uuid,
    series: Series,
    batches: Option<u64>,
) -> ZcResult<StreamReport> {
    let stream = series.stream();
    let mut report = StreamReport::new(stream);
    if let Some(q) = store.quarantined().await?.into_iter().find(|q| q.stream == stream) {
        report.finish = Finish::Held { seq: q.first_seq };
        return Ok(report);
    }
    while batches.is_none_or(|n| report.batches < n) {
        let batch = store.claim_series(series, BATCH).await?;
        let Some(first) = batch.rows.first().map(|r| r.at) else {
            return Ok(report);
        };
        let sent = match send(central, console, &batch).await {
            Ok(sent) => sent,
            Err(detail) => {
                store.quarantine(stream, first, "invalid", &detail).await?;
                report.finish = Finish::Held { seq: first };
                return Ok(report);
            }
        };
        match sent {
            Ok(stored) => {
                report.batches += 1;
                report.accepted += stored;
                report.duplicates += batch.rows.len() as u64 - stored;
                store.record_series_pushed(&batch).await?;
            }
            Err(e) => {
                let kind = failure::classify(&e);
                let message = failure::describe(&e);
                if kind == FailureKind::Rows {
                    store.quarantine(stream, first, "refused", &message).await?;
                    tracing::warn!(stream, at = first, "the central store refused a batch: {message}");
                    report.finish = Finish::Held { seq: first };
                    return Ok(report);
                }
                report.finish = crate::record_failure(store, stream, kind, message).await?;
                return Ok(report);
            }
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_keeps_its_id_and_its_time() {
        let console = Uuid::from_u128(7);
        let a = row_id(console, Series::RequestMetrics, 41, 1_790_000_000_123);
        assert_eq!(a, row_id(console, Series::RequestMetrics, 41, 1_790_000_000_123));
        assert_eq!(a.get_version_num(), 7);
        assert_eq!(a.get_variant(), uuid::Variant::RFC4122);
        let (secs, nanos) = a.get_timestamp().expect("a v7 id has a time").to_unix();
        assert_eq!((secs, nanos / 1_000_000), (1_790_000_000, 123));
        // Another row, series or console is another id.
        assert_ne!(a, row_id(console, Series::RequestMetrics, 42, 1_790_000_000_123));
        assert_ne!(a, row_id(console, Series::StatusHistory, 41, 1_790_000_000_123));
        assert_ne!(a, row_id(Uuid::from_u128(8), Series::RequestMetrics, 41, 1_790_000_000_123));
        assert_ne!(a, row_id(console, Series::RequestMetrics, 41, 1_790_000_000_124));
    }
}
