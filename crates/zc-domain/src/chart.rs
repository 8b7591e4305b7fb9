//! The data a chart is drawn from: raw samples already reduced to one min/max pair per pixel
//! column (storage stays raw; only the read is downsampled).

use crate::status::StatusSpan;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ChartBucket {
    /// Pixel column, 0-based, within `[from_ms, to_ms)`.
    pub column: i64,
    /// Latency of the requests answered well (`count` of them; 0 and 0 when there were none).
    pub min_latency_us: i64,
    pub max_latency_us: i64,
    pub count: i64,
    /// Failed requests: drawn as marks, never as latency.
    pub failures: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChartSeries {
    pub from_ms: i64,
    pub to_ms: i64,
    pub columns: i64,
    pub buckets: Vec<ChartBucket>,
    /// Raw samples behind the buckets (answered plus failed).
    pub samples: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChartInput {
    pub title: String,
    pub series: ChartSeries,
    pub bands: Vec<StatusSpan>,
}
