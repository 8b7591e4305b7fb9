//! Every fault the simulator can inject, over real HTTP on loopback, is classified correctly,
//! and none makes a probe outlive its deadline or read an unbounded body.

use zc_domain::{ConnectionKind, ConnectionSpec, FailureCategory, Outcome, Sensitive};
use zc_monitor::{Prober, ProberConfig};
use zc_sim::{Fault, FaultKind, Latency, Simulator, StationScript};

const KEY: &str = "station-key-1";

fn spec(url: &str, timeout_ms: i64) -> ConnectionSpec {
    let mut s = ConnectionSpec::new("s", url, ConnectionKind::Station);
    s.timeout_ms = timeout_ms;
    s
}

async fn outcome_with(faults: Vec<Fault>, latency: Latency, timeout_ms: i64) -> (Outcome, Option<i64>) {
    let mut script = StationScript::new("s", KEY);
    script.faults = faults;
    script.latency = latency;
    let sim = Simulator::start(vec![script]).await.unwrap();
    let prober = Prober::new(ProberConfig::default());
    let r = prober.probe(1, &spec(&sim.stations[0].url(), timeout_ms), Some(&Sensitive::new(KEY.into())), 0).await;
    (r.outcome, r.metric.map(|m| m.response_bytes))
}

async fn category(kind: FaultKind) -> FailureCategory {
    match outcome_with(vec![Fault::always(kind)], Latency::default(), 1500).await.0 {
        Outcome::Failed(c) => c,
        Outcome::Ok => panic!("expected a failure"),
    }
}

#[tokio::test]
async fn healthy_station_is_ok() {
    assert_eq!(outcome_with(vec![], Latency::default(), 2000).await.0, Outcome::Ok);
}

#[tokio::test]
async fn each_fault_gets_its_category() {
    assert_eq!(category(FaultKind::Http5xx { status: 503 }).await, FailureCategory::Http5xx);
    assert_eq!(category(FaultKind::WrongKey).await, FailureCategory::Unauthorized);
    assert_eq!(category(FaultKind::MalformedJson).await, FailureCategory::InvalidResponse);
    assert_eq!(category(FaultKind::DropConnection).await, FailureCategory::ConnectionDropped);
    assert_eq!(category(FaultKind::OversizedBody { bytes: 3 * 1024 * 1024 }).await, FailureCategory::BodyTooLarge);
    assert_eq!(category(FaultKind::SlowBody { bytes_per_sec: 20 }).await, FailureCategory::Timeout);
    assert_eq!(category(FaultKind::Latency { latency: Latency::Fixed { ms: 5000.0 } }).await, FailureCategory::Timeout);
}

#[tokio::test]
async fn outage_is_connection_refused_and_comes_back() {
    let sim = Simulator::start(vec![StationScript::new("s", KEY)]).await.unwrap();
    let st = &sim.stations[0];
    let prober = Prober::new(ProberConfig::default());
    let key = Sensitive::new(KEY.to_string());
    st.stop().await;
    let r = prober.probe(1, &spec(&st.url(), 1000), Some(&key), 0).await;
    assert_eq!(r.outcome, Outcome::Failed(FailureCategory::ConnectionRefused));
    st.restart().await.unwrap();
    let r = prober.probe(1, &spec(&st.url(), 1000), Some(&key), 0).await;
    assert_eq!(r.outcome, Outcome::Ok);
}

#[tokio::test]
async fn dns_and_missing_key_are_classified() {
    let prober = Prober::new(ProberConfig::default());
    // .invalid never resolves (RFC 2606). The deadline is long so that a slow or unreachable
    // resolver still answers with its own error before the probe times out.
    let r = prober.probe(1, &spec("http://station.invalid", 30_000), Some(&Sensitive::new("k".into())), 0).await;
    assert_eq!(r.outcome, Outcome::Failed(FailureCategory::Dns));
    let r = prober.probe(1, &spec("http://127.0.0.1:9", 1000), None, 0).await;
    assert_eq!(r.outcome, Outcome::Failed(FailureCategory::KeyMissing));
    assert!(r.metric.is_none(), "no request was sent, so no metrics row");
}

#[tokio::test]
async fn plain_http_checks_status_keyword_and_json_field() {
    let sim = Simulator::start(vec![StationScript::new("s", KEY)]).await.unwrap();
    let prober = Prober::new(ProberConfig::default());
    // The health endpoint without a key answers 401.
    let mut s = ConnectionSpec::new("h", &format!("{}/api/v1/health", sim.stations[0].url()), ConnectionKind::Http);
    let r = prober.probe(1, &s, None, 0).await;
    assert_eq!(r.outcome, Outcome::Failed(FailureCategory::Unauthorized));
    s.expect_status = 401;
    assert_eq!(prober.probe(1, &s, None, 0).await.outcome, Outcome::Ok);
    s.expect_keyword = Some("unauthorized".into());
    assert_eq!(prober.probe(1, &s, None, 0).await.outcome, Outcome::Ok);
    s.expect_json_field = Some("nope".into());
    assert_eq!(prober.probe(1, &s, None, 0).await.outcome, Outcome::Failed(FailureCategory::InvalidResponse));
    s.expect_json_field = Some("error".into());
    assert_eq!(prober.probe(1, &s, None, 0).await.outcome, Outcome::Ok);
    s.url = format!("{}/nowhere", sim.stations[0].url());
    s.expect_status = 200;
    s.expect_json_field = None;
    s.expect_keyword = None;
    assert_eq!(prober.probe(1, &s, None, 0).await.outcome, Outcome::Failed(FailureCategory::Http4xx));
}

fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    statm.split_whitespace().nth(1).and_then(|p| p.parse::<u64>().ok()).unwrap_or(0) * 4096
}

#[tokio::test]
async fn endless_body_is_cut_at_the_cap_and_memory_stays_bounded() {
    let mut script = StationScript::new("s", KEY);
    script.faults = vec![Fault::always(FaultKind::EndlessBody)];
    let sim = Simulator::start(vec![script]).await.unwrap();
    let cap = 256 * 1024;
    let prober = Prober::new(ProberConfig { max_body_bytes: cap, ..Default::default() });
    let key = Sensitive::new(KEY.to_string());
    let spec = spec(&sim.stations[0].url(), 10_000);
    let before = rss_bytes();
    for _ in 0..40 {
        let r = prober.probe(1, &spec, Some(&key), 0).await;
        assert_eq!(r.outcome, Outcome::Failed(FailureCategory::BodyTooLarge));
        // Read at most the cap plus one network chunk, then hung up.
        assert!(r.metric.unwrap().response_bytes < (cap + 128 * 1024) as i64);
    }
    let grown = rss_bytes().saturating_sub(before);
    // 40 probes of an endless body: if bodies were kept or read without a cap this would be
    // gigabytes; a bounded reader stays within a few MB of allocator slack.
    assert!(grown < 64 * 1024 * 1024, "memory grew by {grown} bytes");
}

#[tokio::test]
async fn faults_together_do_not_stall_probes_beyond_their_deadline() {
    let kinds = vec![
        FaultKind::SlowBody { bytes_per_sec: 10 },
        FaultKind::EndlessBody,
        FaultKind::DropConnection,
        FaultKind::Latency { latency: Latency::Fixed { ms: 60_000.0 } },
        FaultKind::MalformedJson,
    ];
    let scripts: Vec<_> = kinds
        .into_iter()
        .enumerate()
        .map(|(i, k)| {
            let mut s = StationScript::new(&format!("s{i}"), KEY);
            s.faults = vec![Fault::always(k)];
            s
        })
        .collect();
    let sim = Simulator::start(scripts).await.unwrap();
    let prober = Prober::new(ProberConfig::default());
    let key = Sensitive::new(KEY.to_string());
    let mut set = tokio::task::JoinSet::new();
    for st in &sim.stations {
        let (p, k, s) = (prober.clone(), key.clone(), spec(&st.url(), 800));
        set.spawn(async move { p.probe(1, &s, Some(&k), 0).await.outcome });
    }
    let mut n = 0;
    // A safety net, not a timed assertion: a stalled probe fails the test instead of hanging CI.
    let all = tokio::time::timeout(std::time::Duration::from_secs(60), async {
        while let Some(res) = set.join_next().await {
            assert!(matches!(res.unwrap(), Outcome::Failed(_)));
            n += 1;
        }
    });
    all.await.expect("a probe stalled past its 800 ms deadline (60 s safety net)");
    // Every probe returned (the join would hang otherwise): the 60 s latency and the slow body
    // were cut by the 800 ms deadline.
    assert_eq!(n, 5);
}

/// A one-request-at-a-time HTTP server on `ip`: answers `answer(path)`, and hands each request's
/// head to the test.
async fn raw_server(
    ip: &str,
    answer: impl Fn(&str) -> String + Send + Sync + 'static,
) -> (String, tokio::sync::mpsc::UnboundedReceiver<String>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind((ip, 0)).await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let mut b = vec![0u8; 8192];
            let n = s.read(&mut b).await.unwrap_or(0);
            let head = String::from_utf8_lossy(&b[..n]).into_owned();
            let path = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
            let _ = tx.send(head);
            let _ = s.write_all(answer(&path).as_bytes()).await;
            let _ = s.shutdown().await;
        }
    });
    (url, rx)
}

#[tokio::test]
async fn a_redirect_to_another_host_is_not_followed_so_the_key_goes_nowhere_else() {
    // The other host: 127.0.0.2 is loopback too, but another host to the client.
    let (elsewhere, mut seen_elsewhere) =
        raw_server("127.0.0.2", |_| "HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".into()).await;
    let target = format!("{elsewhere}/api/v1/points");
    let (station, mut seen) = raw_server("127.0.0.1", move |path| {
        if path == "/moved/api/v1/points" {
            format!("HTTP/1.1 302 Found\r\nlocation: {target}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
        } else {
            let body = r#"{"station":"s","points":[]}"#;
            if path == "/api/v1/points" {
                format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len())
            } else {
                "HTTP/1.1 301 Moved\r\nlocation: /api/v1/points\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                    .into()
            }
        }
    })
    .await;
    let prober = Prober::new(ProberConfig::default());
    let key = Sensitive::new(KEY.to_string());
    let r = prober.probe(1, &spec(&format!("{station}/moved"), 2000), Some(&key), 0).await;
    assert_eq!(r.outcome, Outcome::Failed(FailureCategory::InvalidResponse), "{:?}", r.detail);
    assert!(r.detail.as_deref().unwrap_or_default().contains("HTTP 302"), "{:?}", r.detail);
    assert!(seen.recv().await.unwrap().to_ascii_lowercase().contains("x-api-key: station-key-1"));
    assert!(seen_elsewhere.try_recv().is_err(), "the other host never saw a request, so never the key");
    // A redirect on the same host is followed.
    let r = prober.probe(1, &spec(&format!("{station}/old"), 2000), Some(&key), 0).await;
    assert_eq!(r.outcome, Outcome::Ok, "{:?}", r.detail);
}
