//! One probe: one HTTP request, measured, read with a size cap, classified.

use crate::tls::{StationVerifier, certificate_info, client_config, fingerprint, refusal_words};
use std::collections::HashMap;
use std::error::Error as _;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use zc_domain::point::{PointSample, Quality};
use zc_domain::probe::RequestMetric;
use zc_domain::timefmt::parse_rfc3339_ms;
use zc_domain::{
    ApiKey, CertificateInfo, ConnectionKind, ConnectionSpec, FailureCategory, Fingerprint, Outcome, TlsTrust, ZcResult,
};

#[derive(Debug, Clone)]
pub struct ProberConfig {
    /// Bodies larger than this are cut off and classified `body_too_large`.
    pub max_body_bytes: usize,
    pub connect_timeout: Duration,
}

impl Default for ProberConfig {
    fn default() -> Self {
        Self { max_body_bytes: 1024 * 1024, connect_timeout: Duration::from_secs(5) }
    }
}

/// What one probe saw.
#[derive(Debug, Clone)]
pub struct ProbeResult {
    /// None when no request was sent (no key in the keyring).
    pub metric: Option<RequestMetric>,
    pub outcome: Outcome,
    pub latency_ms: i64,
    /// Why it failed, for the status history. Never contains a key.
    pub detail: Option<String>,
    /// The data points a healthy station answer carried (empty otherwise; the monitor moves
    /// them into its queue).
    pub points: Vec<PointSample>,
    /// The certificate an https station presented (also when it was refused, for connections
    /// with a private CA or a pin).
    pub certificate: Option<CertificateInfo>,
}

/// What an inspection of a station's certificate found.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Inspection {
    /// None when no TLS handshake got as far as a certificate (see `error`).
    pub presented: Option<CertificateInfo>,
    /// Whether the connection's trust accepts it.
    pub trusted: bool,
    /// Why it is refused, in words, when it is.
    pub refusal: Option<String>,
    /// A pin refused the certificate (known even when the certificate itself cannot be read).
    pub pin_mismatch: bool,
    /// Why the station could not be asked, when it could not.
    pub error: Option<String>,
}

/// A client of its own for a connection with a private CA or a pin.
struct TrustedClient {
    trust: TlsTrust,
    client: reqwest::Client,
    verifier: Arc<StationVerifier>,
}

/// The shared HTTP client. Clone is cheap (reqwest's client is reference-counted).
#[derive(Clone)]
pub struct Prober {
    client: reqwest::Client,
    config: ProberConfig,
    provider: Arc<rustls::crypto::CryptoProvider>,
    trusted: Arc<Mutex<HashMap<i64, Arc<TrustedClient>>>>,
    /// The certificate each connection last presented, read once per change.
    seen: Arc<Mutex<HashMap<i64, (Fingerprint, CertificateInfo)>>>,
}

pub const STATION_POINTS_PATH: &str = "/api/v1/points";
pub const STATION_HEALTH_PATH: &str = "/api/v1/health";

impl Prober {
    pub fn new(config: ProberConfig) -> Self {
        // reqwest is built without a bundled crypto provider; install ring once for TLS.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = Self::builder(&config).build().expect("the HTTP client configuration is static and valid");
        Self {
            client,
            config,
            provider: Arc::new(rustls::crypto::ring::default_provider()),
            trusted: Arc::default(),
            seen: Arc::default(),
        }
    }

    fn builder(config: &ProberConfig) -> reqwest::ClientBuilder {
        reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .pool_idle_timeout(Duration::from_secs(90))
            .pool_max_idle_per_host(4)
            .tcp_nodelay(true)
            .redirect(same_host_redirects())
            .user_agent(concat!("ZeroClient/", env!("CARGO_PKG_VERSION")))
            // The presented certificate: its expiry is recorded.
            .tls_info(true)
    }

    /// A client that checks certificates with `trust`, and its verifier.
    fn trusted_client(&self, trust: &TlsTrust) -> ZcResult<TrustedClient> {
        let verifier = Arc::new(StationVerifier::new(trust, self.provider.clone())?);
        let tls = client_config(verifier.clone(), self.provider.clone());
        let client = Self::builder(&self.config)
            .tls_backend_preconfigured(tls)
            .build()
            .map_err(|e| zc_domain::ZcError::new(zc_domain::ErrorCode::Internal, format!("cannot set up TLS ({e})")))?;
        Ok(TrustedClient { trust: trust.clone(), client, verifier })
    }

    /// The client for connection `id` under `trust`: the shared one for the system's roots, the
    /// connection's own otherwise (built again when its trust changed).
    fn client_for(&self, id: i64, trust: &TlsTrust) -> ZcResult<Option<Arc<TrustedClient>>> {
        if *trust == TlsTrust::System {
            self.trusted.lock().unwrap().remove(&id);
            return Ok(None);
        }
        if let Some(c) = self.trusted.lock().unwrap().get(&id)
            && c.trust == *trust
        {
            return Ok(Some(c.clone()));
        }
        let c = Arc::new(self.trusted_client(trust)?);
        self.trusted.lock().unwrap().insert(id, c.clone());
        Ok(Some(c))
    }

    /// Forgets a removed connection's client and certificate.
    pub fn forget(&self, id: i64) {
        self.trusted.lock().unwrap().remove(&id);
        self.seen.lock().unwrap().remove(&id);
    }

    /// What the certificate in `der` says, read again only when connection `id`'s changed.
    fn read_certificate(&self, id: i64, der: &[u8]) -> Option<CertificateInfo> {
        let f = fingerprint(der);
        let mut seen = self.seen.lock().unwrap();
        if let Some((known, info)) = seen.get(&id)
            && *known == f
        {
            return Some(info.clone());
        }
        let info = certificate_info(der)?;
        seen.insert(id, (f, info.clone()));
        Some(info)
    }

    /// Connects to the station as the probe would under `trust`, and reports the certificate
    /// it presents and whether `trust` accepts it. Sends one GET to the connection's address;
    /// its answer does not matter.
    pub async fn inspect(&self, spec: &ConnectionSpec, trust: &TlsTrust) -> ZcResult<Inspection> {
        if !spec.url.starts_with("https://") {
            return Err(zc_domain::ZcError::invalid(format!(
                "'{}' is reached over plain http ({}); only https connections have a certificate",
                spec.name, spec.url
            )));
        }
        let tc = self.trusted_client(trust)?;
        let sent = tc.client.get(&spec.url).timeout(Duration::from_millis(spec.timeout_ms as u64)).send().await;
        let presented = tc.verifier.take_presented().and_then(|d| certificate_info(&d));
        let verdict = tc.verifier.take_verdict();
        let error = match (&presented, sent) {
            (None, Err(e)) => Some(classify(&e).1),
            (None, Ok(_)) => Some("the station presented no certificate that could be read".to_owned()),
            _ => None,
        };
        Ok(Inspection {
            trusted: matches!(verdict, Some(Ok(()))),
            pin_mismatch: matches!(&verdict, Some(Err(e)) if crate::tls::is_pin_mismatch(e)),
            refusal: match verdict {
                Some(Err(e)) => Some(refusal_words(&e, &spec.name)),
                _ => None,
            },
            presented,
            error,
        })
    }

    pub fn probe_url(spec: &ConnectionSpec) -> String {
        match spec.kind {
            ConnectionKind::Http => spec.url.clone(),
            ConnectionKind::Station => {
                format!("{}{}", spec.url.trim_end_matches('/'), STATION_POINTS_PATH)
            }
        }
    }

    /// Probes a connection whose https certificate the system's roots check.
    pub async fn probe(&self, id: i64, spec: &ConnectionSpec, key: Option<&ApiKey>, at_ms: i64) -> ProbeResult {
        self.probe_trusting(id, spec, &TlsTrust::System, key, at_ms).await
    }

    /// Probes a connection. `at_ms` is the clock's time when the probe starts.
    pub async fn probe_trusting(
        &self,
        id: i64,
        spec: &ConnectionSpec,
        trust: &TlsTrust,
        key: Option<&ApiKey>,
        at_ms: i64,
    ) -> ProbeResult {
        if spec.kind == ConnectionKind::Station && key.is_none() {
            return ProbeResult {
                metric: None,
                outcome: Outcome::Failed(FailureCategory::KeyMissing),
                latency_ms: 0,
                detail: Some(format!("no API key in the keyring; set one with `zc key set {}`", spec.name)),
                points: Vec::new(),
                certificate: None,
            };
        }
        let url = Self::probe_url(spec);
        let client = match self.client_for(id, trust) {
            Ok(c) => c,
            Err(e) => {
                return ProbeResult {
                    metric: None,
                    outcome: Outcome::Failed(FailureCategory::CertificateUntrusted),
                    latency_ms: 0,
                    detail: Some(e.message),
                    points: Vec::new(),
                    certificate: None,
                };
            }
        };
        let ex =
            self.request(id, client.as_deref(), &url, spec, key, Duration::from_millis(spec.timeout_ms as u64)).await;
        let latency_us = ex.latency.as_micros() as i64;
        let outcome = ex.outcome();
        ProbeResult {
            metric: Some(RequestMetric {
                connection_id: id,
                at_ms,
                latency_us,
                http_status: ex.http_status,
                request_bytes: ex.request_bytes,
                response_bytes: ex.response_bytes,
                outcome,
            }),
            outcome,
            latency_ms: latency_us / 1000,
            detail: ex.outcome.map(|(_, d)| d),
            points: ex.points,
            certificate: ex.certificate,
        }
    }

    /// Checks a key against a station's health endpoint: `Ok(())` when accepted, otherwise the
    /// category and a reason.
    pub async fn check_key(
        &self,
        spec: &ConnectionSpec,
        trust: &TlsTrust,
        key: &ApiKey,
    ) -> Result<(), (FailureCategory, String)> {
        let url = format!("{}{}", spec.url.trim_end_matches('/'), STATION_HEALTH_PATH);
        let mut health = spec.clone();
        health.kind = ConnectionKind::Http;
        health.expect_status = 200;
        let client = match trust {
            TlsTrust::System => None,
            t => Some(self.trusted_client(t).map_err(|e| (FailureCategory::CertificateUntrusted, e.message))?),
        };
        let timeout = Duration::from_millis(spec.timeout_ms as u64);
        let ex = self.request(0, client.as_ref(), &url, &health, Some(key), timeout).await;
        ex.outcome.map_or(Ok(()), Err)
    }

    /// One GET with the key (if any), the body read up to the cap, the answer judged. `id` 0
    /// reads no certificate (a key check).
    async fn request(
        &self,
        id: i64,
        trusted: Option<&TrustedClient>,
        url: &str,
        spec: &ConnectionSpec,
        key: Option<&ApiKey>,
        deadline: Duration,
    ) -> Exchange {
        let client = trusted.map_or(&self.client, |t| &t.client);
        let mut req = client.get(url).timeout(deadline).header("accept", "application/json");
        // Request size as sent on the wire, approximately: request line, Host and our headers.
        let mut ex = Exchange { request_bytes: (url.len() + 64 + 40 + 30) as i64, ..Exchange::default() };
        if let Some(k) = key {
            // Validated as header-safe ASCII when stored; marked sensitive so HTTP-level
            // debug logging prints it as "Sensitive".
            let Ok(mut value) = reqwest::header::HeaderValue::from_str(k.expose()) else {
                let why = "the stored key cannot be sent in an HTTP header; set it again with `zc key set`";
                return ex.failed(FailureCategory::KeyMissing, why.into());
            };
            value.set_sensitive(true);
            ex.request_bytes += 13 + k.expose().len() as i64;
            req = req.header("x-api-key", value);
        }
        let started = Instant::now();
        let mut resp = match req.send().await {
            Ok(r) => r,
            Err(e) => {
                let (c, mut d) = classify(&e);
                ex.latency = started.elapsed();
                if c == FailureCategory::CertificateUntrusted {
                    if let Some(r) = rustls_error(&e) {
                        d = refusal_words(r, &spec.name);
                    }
                    // What a connection with its own trust was shown, even though it refused it.
                    if id != 0 {
                        ex.certificate = trusted
                            .and_then(|t| t.verifier.take_presented())
                            .and_then(|der| self.read_certificate(id, &der));
                    }
                }
                return ex.failed(c, d);
            }
        };
        if id != 0 {
            if let Some(t) = trusted {
                t.verifier.take_presented();
            }
            ex.certificate = resp
                .extensions()
                .get::<reqwest::tls::TlsInfo>()
                .and_then(|i| i.peer_certificate())
                .and_then(|der| self.read_certificate(id, der));
        }
        let status = resp.status().as_u16();
        ex.http_status = Some(status);
        ex.response_bytes =
            resp.headers().iter().map(|(k, v)| (k.as_str().len() + v.len() + 4) as i64).sum::<i64>() + 17;
        let mut body = Vec::new();
        let cap = self.config.max_body_bytes;
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > cap {
                        // Dropping the response closes the connection: the rest is never read.
                        ex.response_bytes += (body.len() + chunk.len()) as i64;
                        ex.latency = started.elapsed();
                        return ex.failed(
                            FailureCategory::BodyTooLarge,
                            format!("the response body exceeded the {cap}-byte limit"),
                        );
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => {
                    let (c, d) = classify(&e);
                    // The answer had started: a failure now means the connection went away.
                    let c = if c == FailureCategory::Network { FailureCategory::ConnectionDropped } else { c };
                    ex.response_bytes += body.len() as i64;
                    ex.latency = started.elapsed();
                    return ex.failed(c, d);
                }
            }
        }
        ex.latency = started.elapsed();
        ex.response_bytes += body.len() as i64;
        match judge(spec, status, &body) {
            Ok(points) => {
                ex.points = points;
                ex
            }
            Err((c, d)) => ex.failed(c, d),
        }
    }
}

/// Redirects are followed (up to 5) only to the same host, and never from https down to http:
/// a station's key header is sent again on a redirect (reqwest strips only its own sensitive
/// headers), so it must not reach another host or travel in clear text. A redirect elsewhere is
/// answered as the redirect itself (`HTTP 3xx, expected …`).
fn same_host_redirects() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let Some(first) = attempt.previous().first() else { return attempt.follow() };
        let to = attempt.url();
        let downgrade = first.scheme() == "https" && to.scheme() != "https";
        if attempt.previous().len() > 5 {
            attempt.error("more than 5 redirects")
        } else if to.host_str() != first.host_str() || downgrade {
            attempt.stop()
        } else {
            attempt.follow()
        }
    })
}

/// What one request exchanged, as measured.
#[derive(Debug, Default)]
struct Exchange {
    outcome: Option<(FailureCategory, String)>,
    http_status: Option<u16>,
    request_bytes: i64,
    response_bytes: i64,
    latency: Duration,
    points: Vec<PointSample>,
    certificate: Option<CertificateInfo>,
}

impl Exchange {
    fn failed(mut self, category: FailureCategory, detail: String) -> Self {
        self.outcome = Some((category, detail));
        self
    }
    fn outcome(&self) -> Outcome {
        self.outcome.as_ref().map_or(Outcome::Ok, |(c, _)| Outcome::Failed(*c))
    }
}

/// Decides whether a complete answer is healthy; a station's answer yields its data points.
fn judge(spec: &ConnectionSpec, status: u16, body: &[u8]) -> Result<Vec<PointSample>, (FailureCategory, String)> {
    let expected = match spec.kind {
        ConnectionKind::Station => 200,
        ConnectionKind::Http => spec.expect_status as u16,
    };
    if status != expected {
        let c = match status {
            401 | 403 => FailureCategory::Unauthorized,
            500..=599 => FailureCategory::Http5xx,
            400..=499 => FailureCategory::Http4xx,
            _ => FailureCategory::InvalidResponse,
        };
        return Err((c, format!("HTTP {status}, expected {expected}")));
    }
    match spec.kind {
        ConnectionKind::Station => check_station_points(body),
        ConnectionKind::Http => {
            if let Some(kw) = spec.expect_keyword.as_deref()
                && !String::from_utf8_lossy(body).contains(kw)
            {
                return Err((FailureCategory::InvalidResponse, format!("the response does not contain '{kw}'")));
            }
            if let Some(field) = spec.expect_json_field.as_deref() {
                let v: serde_json::Value = serde_json::from_slice(body)
                    .map_err(|e| (FailureCategory::InvalidResponse, format!("the response is not JSON ({e})")))?;
                let pointer =
                    if field.starts_with('/') { field.to_owned() } else { format!("/{}", field.replace('.', "/")) };
                if v.pointer(&pointer).is_none() {
                    return Err((
                        FailureCategory::InvalidResponse,
                        format!("the JSON response has no field '{field}'"),
                    ));
                }
            }
            Ok(Vec::new())
        }
    }
}

/// The Station API's points document: `{"station": str, "points": [{id, value, unit, quality, timestamp}]}`,
/// read into typed fields (no JSON tree in between: a thousand stations send eight thousand points
/// a second). Fields are optional here only so a missing one gets its own message.
#[derive(serde::Deserialize)]
struct PointsDoc<'a> {
    #[serde(borrow)]
    points: Option<Vec<RawPoint<'a>>>,
}

#[derive(serde::Deserialize)]
struct RawPoint<'a> {
    #[serde(borrow)]
    id: Option<std::borrow::Cow<'a, str>>,
    value: Option<serde_json::Number>,
    #[serde(borrow)]
    unit: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow)]
    quality: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow)]
    timestamp: Option<std::borrow::Cow<'a, str>>,
}

/// A document with any malformed point is refused whole: a half-read answer is not a healthy one.
fn check_station_points(body: &[u8]) -> Result<Vec<PointSample>, (FailureCategory, String)> {
    let bad = |why: String| (FailureCategory::InvalidResponse, why);
    let doc: PointsDoc = serde_json::from_slice(body)
        .map_err(|e| bad(format!("the station sent invalid JSON or an unexpected shape ({e})")))?;
    let points = doc.points.ok_or_else(|| bad("the station's answer has no 'points' list".into()))?;
    let mut samples = Vec::with_capacity(points.len());
    let mut seen = std::collections::HashSet::with_capacity(points.len());
    for (i, p) in points.into_iter().enumerate() {
        let (Some(id), Some(value), Some(unit), Some(quality), Some(ts)) =
            (p.id, p.value.and_then(|v| v.as_f64()), p.unit, p.quality, p.timestamp)
        else {
            return Err(bad(format!("data point {i} lacks id, value, unit, quality or timestamp")));
        };
        if id.is_empty() || id.len() > 128 || unit.len() > 32 {
            return Err(bad(format!(
                "data point {i} has an empty or over-long id (1-128 characters) or unit (up to 32)"
            )));
        }
        if !seen.insert(id.clone()) {
            return Err(bad(format!("data point id '{id}' appears twice in the station's answer")));
        }
        samples.push(PointSample {
            point: id.into_owned(),
            value,
            unit: unit.into_owned(),
            quality: Quality::parse_lenient(&quality),
            source_at: parse_rfc3339_ms(&ts),
        });
    }
    Ok(samples)
}

/// The rustls error inside `e`, if any. It sits in an io::Error (inside another io::Error) whose
/// `source()` skips it, so io::Errors are opened with `get_ref`.
fn rustls_error<'a>(mut e: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    loop {
        if let Some(r) = e.downcast_ref::<rustls::Error>() {
            return Some(r);
        }
        e = match e.downcast_ref::<std::io::Error>() {
            Some(io) => io.get_ref().map(|i| i as &(dyn std::error::Error + 'static)),
            None => e.source(),
        }?;
    }
}

/// Classifies a transport error by walking its source chain.
pub fn classify(e: &reqwest::Error) -> (FailureCategory, String) {
    let mut text = e.to_string();
    let mut source = e.source();
    let mut category = None;
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        if category.is_none() {
            if let Some(t) = rustls_error(s) {
                category = Some(match t {
                    rustls::Error::InvalidCertificate(_) => FailureCategory::CertificateUntrusted,
                    _ => FailureCategory::Tls,
                });
            } else if let Some(io) = s.downcast_ref::<std::io::Error>() {
                use std::io::ErrorKind::*;
                category = match io.kind() {
                    ConnectionRefused => Some(FailureCategory::ConnectionRefused),
                    ConnectionReset | ConnectionAborted | BrokenPipe | UnexpectedEof => {
                        Some(FailureCategory::ConnectionDropped)
                    }
                    TimedOut => Some(FailureCategory::Timeout),
                    HostUnreachable | NetworkUnreachable | NetworkDown | AddrNotAvailable => {
                        Some(FailureCategory::Network)
                    }
                    _ => None,
                };
            }
        }
        source = s.source();
    }
    let lower = text.to_ascii_lowercase();
    let category = if e.is_timeout() {
        FailureCategory::Timeout
    } else if let Some(c) = category {
        c
    } else if lower.contains("dns error")
        || lower.contains("failed to lookup address")
        || lower.contains("name or service not known")
    {
        FailureCategory::Dns
    } else if lower.contains("certificate") || lower.contains("tls") || lower.contains("handshake") {
        FailureCategory::Tls
    } else if lower.contains("connection closed before message completed")
        || lower.contains("incomplete")
        || lower.contains("connection reset")
    {
        FailureCategory::ConnectionDropped
    } else if lower.contains("invalid")
        && (lower.contains("http") || lower.contains("header") || lower.contains("status"))
    {
        FailureCategory::InvalidResponse
    } else {
        FailureCategory::Network
    };
    (category, text.chars().take(300).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_points_document_is_read_whole_or_refused_with_a_reason() {
        let ok = br#"{"station":"s","points":[{"id":"s.p-1","value":4.2,"unit":"bar","quality":"GOOD","timestamp":"2026-11-23T08:00:00Z"},
            {"id":"s.t-1","value":61,"unit":"degC","quality":"odd","timestamp":"not a time"}]}"#;
        let p = check_station_points(ok).unwrap();
        assert_eq!((p[0].point.as_str(), p[0].value, p[0].quality), ("s.p-1", 4.2, Quality::Good));
        assert_eq!(p[0].source_at, Some(1_795_420_800_000));
        assert_eq!(
            (p[1].quality, p[1].source_at),
            (Quality::Bad, None),
            "an unknown quality is bad; an unreadable time is none"
        );
        let why = |b: &[u8]| check_station_points(b).unwrap_err().1;
        assert!(why(br#"{"points":[{"id":"a","value":1,"unit":"u","quality":"good","timestamp":"t"},{"id":"a","value":2,"unit":"u","quality":"good","timestamp":"t"}]}"#).contains("appears twice"));
        assert!(why(br#"{"points":[{"id":"a","value":1,"quality":"good","timestamp":"t"}]}"#).contains("lacks"));
        assert!(why(br#"{"station":"s"}"#).contains("no 'points' list"));
        assert!(
            why(br#"{"points":[{"id":"a","value":"high","unit":"u","quality":"good","timestamp":"t"}]}"#)
                .contains("unexpected shape")
        );
    }
}
