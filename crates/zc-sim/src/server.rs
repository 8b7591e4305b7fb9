//! The stations' HTTP/1.1 server, on plain tokio sockets.

use crate::script::{FaultKind, Latency, StationScript};
use rand::Rng;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

const MAX_HEAD: usize = 16 * 1024;

/// A set of stations started together; fault windows count from `started`.
pub struct Simulator {
    pub stations: Vec<Station>,
}

impl Simulator {
    /// Starts every station of the script on 127.0.0.1.
    pub async fn start(scripts: Vec<StationScript>) -> std::io::Result<Simulator> {
        Self::start_on(std::net::Ipv4Addr::LOCALHOST.into(), scripts).await
    }

    /// Starts every station on `host` (an address of this machine; the desktop end-to-end tests
    /// serve stations from a network namespace of their own).
    pub async fn start_on(host: std::net::IpAddr, scripts: Vec<StationScript>) -> std::io::Result<Simulator> {
        let started = Instant::now();
        let mut stations = Vec::with_capacity(scripts.len());
        for s in scripts {
            stations.push(Station::start_on(host, s, started).await?);
        }
        Ok(Simulator { stations })
    }

    pub fn station(&self, name: &str) -> Option<&Station> {
        self.stations.iter().find(|s| s.name() == name)
    }
}

#[derive(Clone)]
pub struct Station {
    inner: Arc<Inner>,
}

struct Inner {
    addr: SocketAddr,
    script: Mutex<StationScript>,
    started: Instant,
    accept_task: Mutex<Option<JoinHandle<()>>>,
    requests: AtomicU64,
    /// The request count, for tests that wait until a station has seen n requests.
    seen: tokio::sync::watch::Sender<u64>,
}

impl Station {
    pub async fn start(script: StationScript, started: Instant) -> std::io::Result<Station> {
        Self::start_on(std::net::Ipv4Addr::LOCALHOST.into(), script, started).await
    }

    pub async fn start_on(host: std::net::IpAddr, script: StationScript, started: Instant) -> std::io::Result<Station> {
        let listener = TcpListener::bind((host, script.port)).await?;
        let addr = listener.local_addr()?;
        let has_outage = script.faults.iter().any(|f| f.kind == FaultKind::Outage);
        let inner = Arc::new(Inner {
            addr,
            script: Mutex::new(script),
            started,
            accept_task: Mutex::new(None),
            requests: AtomicU64::new(0),
            seen: tokio::sync::watch::Sender::new(0),
        });
        let station = Station { inner };
        station.serve(listener);
        if has_outage {
            station.spawn_outage_supervisor();
        }
        Ok(station)
    }

    pub fn name(&self) -> String {
        self.inner.script.lock().unwrap().name.clone()
    }
    pub fn url(&self) -> String {
        format!("http://{}", self.inner.addr)
    }
    pub fn addr(&self) -> SocketAddr {
        self.inner.addr
    }
    pub fn key(&self) -> String {
        self.inner.script.lock().unwrap().key.clone()
    }
    pub fn requests(&self) -> u64 {
        self.inner.requests.load(Ordering::Relaxed)
    }
    /// Resolves once the station has read `n` requests (the moment it counts one, before it
    /// answers), so a test can act while a request is in flight without sleeping.
    pub async fn wait_requests(&self, n: u64) {
        let mut rx = self.inner.seen.subscribe();
        let _ = rx.wait_for(|&seen| seen >= n).await;
    }

    pub fn is_running(&self) -> bool {
        self.inner.accept_task.lock().unwrap().is_some()
    }

    /// Replaces the station's faults from now on (tests and the demo script them live).
    pub fn set_faults(&self, faults: Vec<crate::Fault>) {
        self.inner.script.lock().unwrap().faults = faults;
    }
    pub fn set_latency(&self, latency: Latency) {
        self.inner.script.lock().unwrap().latency = latency;
    }

    /// Closes the port and every open connection: clients see connection refused.
    pub async fn stop(&self) {
        let task = self.inner.accept_task.lock().unwrap().take();
        if let Some(task) = task {
            // Dropping the accept task drops its listener and its JoinSet, which aborts every
            // connection. Awaiting it makes the port closed by the time we return.
            task.abort();
            let _ = task.await;
        }
    }

    /// Opens the same port again.
    pub async fn restart(&self) -> std::io::Result<()> {
        if self.is_running() {
            return Ok(());
        }
        let listener = TcpListener::bind(self.inner.addr).await?;
        self.serve(listener);
        Ok(())
    }

    fn serve(&self, listener: TcpListener) {
        let inner = self.inner.clone();
        let task = tokio::spawn(async move {
            let mut conns = JoinSet::new();
            loop {
                tokio::select! {
                    accepted = listener.accept() => {
                        if let Ok((stream, _)) = accepted {
                            let _ = stream.set_nodelay(true);
                            conns.spawn(serve_connection(stream, inner.clone()));
                        }
                    }
                    Some(_) = conns.join_next(), if !conns.is_empty() => {}
                }
            }
        });
        *self.inner.accept_task.lock().unwrap() = Some(task);
    }

    /// Opens and closes the port as scripted outage windows begin and end.
    fn spawn_outage_supervisor(&self) {
        let station = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(100));
            loop {
                tick.tick().await;
                let t = station.inner.started.elapsed().as_secs_f64();
                let down = station
                    .inner
                    .script
                    .lock()
                    .unwrap()
                    .faults
                    .iter()
                    .any(|f| f.kind == FaultKind::Outage && f.window.active_at(t));
                if down && station.is_running() {
                    station.stop().await;
                } else if !down && !station.is_running() {
                    let _ = station.restart().await;
                }
            }
        });
    }
}

struct Request {
    path: String,
    api_key: Option<String>,
}

async fn read_request(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<Request> {
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            buf.drain(..end + 4);
            let mut lines = head.split("\r\n");
            let path = lines.next()?.split(' ').nth(1)?.to_owned();
            let mut api_key = None;
            let mut body_len = 0usize;
            for line in lines {
                if let Some((k, v)) = line.split_once(':') {
                    match k.trim().to_ascii_lowercase().as_str() {
                        "x-api-key" => api_key = Some(v.trim().to_owned()),
                        "content-length" => body_len = v.trim().parse().unwrap_or(0),
                        _ => {}
                    }
                }
            }
            // Requests carry no body we use; discard it to keep the connection in step.
            while buf.len() < body_len {
                let mut chunk = [0u8; 4096];
                let n = stream.read(&mut chunk).await.ok()?;
                if n == 0 {
                    return None;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            buf.drain(..body_len);
            return Some(Request { path, api_key });
        }
        if buf.len() > MAX_HEAD {
            return None;
        }
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

async fn serve_connection(mut stream: TcpStream, inner: Arc<Inner>) {
    let mut buf = Vec::new();
    while let Some(req) = read_request(&mut stream, &mut buf).await {
        let n = inner.requests.fetch_add(1, Ordering::Relaxed) + 1;
        inner.seen.send_modify(|seen| *seen = (*seen).max(n));
        let t = inner.started.elapsed().as_secs_f64();
        let (script, active, delay_ms) = {
            let script = inner.script.lock().unwrap().clone();
            let mut rng = rand::rng();
            let active: Vec<FaultKind> = script
                .faults
                .iter()
                .filter(|f| f.window.active_at(t) && rng.random::<f64>() < f.window.probability)
                .map(|f| f.kind.clone())
                .collect();
            let latency = active
                .iter()
                .find_map(|k| match k {
                    FaultKind::Latency { latency } => Some(*latency),
                    _ => None,
                })
                .unwrap_or(script.latency);
            let delay = latency.sample_ms(&mut rng);
            (script, active, delay)
        };
        if delay_ms > 0.0 {
            tokio::time::sleep(Duration::from_micros((delay_ms * 1000.0) as u64)).await;
        }
        let has = |f: fn(&FaultKind) -> bool| active.iter().any(f);
        if has(|k| matches!(k, FaultKind::DropConnection)) {
            return;
        }
        let authorized =
            !has(|k| matches!(k, FaultKind::WrongKey)) && req.api_key.as_deref() == Some(script.key.as_str());
        let path = req.path.split('?').next().unwrap_or("");
        let (status, body) = match path {
            "/api/v1/health" | "/api/v1/points" if !authorized => {
                (401, r#"{"error":"unauthorized","message":"missing or wrong X-Api-Key"}"#.to_owned())
            }
            "/api/v1/health" | "/api/v1/points" => {
                if let Some(s) = active.iter().find_map(|k| match k {
                    FaultKind::Http5xx { status } => Some(*status),
                    _ => None,
                }) {
                    (s, r#"{"error":"unavailable","message":"simulated server error"}"#.to_owned())
                } else if has(|k| matches!(k, FaultKind::MalformedJson)) {
                    (200, r#"{"station": "broken", "points": [{"id": "p1", "value": 1.0,"#.to_owned())
                } else if path == "/api/v1/health" {
                    (200, health_json(&script.name))
                } else {
                    (200, points_json(&script.name, script.points, t))
                }
            }
            _ => (404, r#"{"error":"not_found"}"#.to_owned()),
        };
        let endless = has(|k| matches!(k, FaultKind::EndlessBody)) && status == 200;
        let oversized = active.iter().find_map(|k| match k {
            FaultKind::OversizedBody { bytes } => Some(*bytes),
            _ => None,
        });
        let slow = active.iter().find_map(|k| match k {
            FaultKind::SlowBody { bytes_per_sec } => Some(*bytes_per_sec),
            _ => None,
        });
        let ok = if endless {
            write_endless(&mut stream).await
        } else {
            let body = match oversized {
                Some(n) if status == 200 => pad_json(body, n as usize),
                _ => body,
            };
            write_response(&mut stream, status, body.as_bytes(), slow).await
        };
        if ok.is_err() {
            return;
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        401 => "Unauthorized",
        404 => "Not Found",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

async fn write_response(stream: &mut TcpStream, status: u16, body: &[u8], slow: Option<u64>) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status} {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        reason(status),
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    match slow {
        Some(bps) => {
            // Ten writes a second at the scripted rate.
            let step = (bps / 10).max(1) as usize;
            for chunk in body.chunks(step) {
                stream.write_all(chunk).await?;
                stream.flush().await?;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        None => stream.write_all(body).await?,
    }
    stream.flush().await
}

async fn write_endless(stream: &mut TcpStream) -> std::io::Result<()> {
    stream
        .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n")
        .await?;
    let chunk = format!("4000\r\n{}\r\n", "x".repeat(0x4000));
    loop {
        // Ends only when the client hangs up.
        stream.write_all(chunk.as_bytes()).await?;
    }
}

/// A valid answer grown to `bytes` with a padding field.
fn pad_json(body: String, bytes: usize) -> String {
    let pad = bytes.saturating_sub(body.len() + 16);
    format!("{},\"padding\":\"{}\"}}", body.trim_end_matches('}'), "x".repeat(pad))
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

fn health_json(name: &str) -> String {
    serde_json::json!({"status": "ok", "station": name, "time": now_rfc3339()}).to_string()
}

/// A station's points document at `t` seconds after it started: what `GET /api/v1/points`
/// answers (the storage benchmark replays a day of it without waiting a day).
pub fn points_json(name: &str, n: usize, t: f64) -> String {
    // Each station its own phase, so a plant's stations do not move in lockstep.
    let phase = name.bytes().fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(b as u32)) as f64 / 1000.0;
    const KINDS: [(&str, &str, f64, f64); 4] = [
        ("pressure", "bar", 4.0, 0.6),
        ("temperature", "degC", 61.0, 4.0),
        ("flow", "m3/h", 120.0, 15.0),
        ("level", "%", 70.0, 12.0),
    ];
    let ts = now_rfc3339();
    let points: Vec<_> = (0..n)
        .map(|i| {
            let (kind, unit, base, amp) = KINDS[i % KINDS.len()];
            // A half-hour swing: process values move slowly, and the console's deadband is meant for them.
            let value = base + amp * (t / 300.0 + i as f64 + phase).sin();
            let quality = if (t as u64 + i as u64).is_multiple_of(97) { "uncertain" } else { "good" };
            serde_json::json!({"id": format!("{name}.{kind}-{}", i / KINDS.len() + 1), "value": (value * 100.0).round() / 100.0,
                "unit": unit, "quality": quality, "timestamp": ts})
        })
        .collect();
    serde_json::json!({"station": name, "points": points}).to_string()
}
