//! What one probe request observed.

use serde::Serialize;

/// Why a request failed. Stored as text in `request_metrics.outcome` and
/// `connection_status_history.error_category`; the strings are a stable interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureCategory {
    Timeout,
    ConnectionRefused,
    ConnectionDropped,
    Dns,
    Tls,
    /// The TLS handshake reached the station's certificate and the console refused it (unknown
    /// issuer, expired, wrong name): the station answers, it is not trusted.
    CertificateUntrusted,
    Network,
    Unauthorized,
    Http4xx,
    Http5xx,
    InvalidResponse,
    BodyTooLarge,
    KeyMissing,
}

impl FailureCategory {
    pub const ALL: [FailureCategory; 13] = [
        Self::Timeout,
        Self::ConnectionRefused,
        Self::ConnectionDropped,
        Self::Dns,
        Self::Tls,
        Self::CertificateUntrusted,
        Self::Network,
        Self::Unauthorized,
        Self::Http4xx,
        Self::Http5xx,
        Self::InvalidResponse,
        Self::BodyTooLarge,
        Self::KeyMissing,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Timeout => "timeout",
            Self::ConnectionRefused => "connection_refused",
            Self::ConnectionDropped => "connection_dropped",
            Self::Dns => "dns",
            Self::Tls => "tls",
            Self::CertificateUntrusted => "certificate_untrusted",
            Self::Network => "network",
            Self::Unauthorized => "unauthorized",
            Self::Http4xx => "http_4xx",
            Self::Http5xx => "http_5xx",
            Self::InvalidResponse => "invalid_response",
            Self::BodyTooLarge => "body_too_large",
            Self::KeyMissing => "key_missing",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// What an operator reads (an alarm message): short, no library text.
    pub fn words(self) -> &'static str {
        match self {
            Self::Timeout => "no answer in time",
            Self::ConnectionRefused => "connection refused",
            Self::ConnectionDropped => "connection dropped",
            Self::Dns => "name not found (DNS)",
            Self::Tls => "TLS handshake failed",
            Self::CertificateUntrusted => "certificate not trusted",
            Self::Network => "network unreachable",
            Self::Unauthorized => "API key refused",
            Self::Http4xx => "request refused (HTTP 4xx)",
            Self::Http5xx => "server error (HTTP 5xx)",
            Self::InvalidResponse => "answer not understood",
            Self::BodyTooLarge => "answer too large",
            Self::KeyMissing => "no API key in the keyring",
        }
    }

    /// Failures that say the path to the backend is broken (as opposed to the backend
    /// answering badly). Only these can be explained by the console itself being offline.
    pub fn is_network_level(self) -> bool {
        matches!(self, Self::Timeout | Self::ConnectionRefused | Self::ConnectionDropped | Self::Dns | Self::Network)
    }
}

/// Outcome of one request; serialised as its stable string (`ok`, `timeout`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    Failed(FailureCategory),
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Failed(c) => c.as_str(),
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        if s == "ok" { Some(Outcome::Ok) } else { FailureCategory::parse(s).map(Outcome::Failed) }
    }
}

impl Serialize for Outcome {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// One raw metrics row: exactly one per request, never aggregated in storage.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct RequestMetric {
    pub connection_id: i64,
    /// When the request started, Unix ms.
    pub at_ms: i64,
    /// Time until the response was complete or the request failed, microseconds.
    pub latency_us: i64,
    pub http_status: Option<u16>,
    pub request_bytes: i64,
    pub response_bytes: i64,
    /// `ok` or a failure category (serialised as its stable string).
    #[ts(type = "string")]
    pub outcome: Outcome,
}
