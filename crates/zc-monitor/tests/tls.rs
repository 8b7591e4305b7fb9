//! Certificates over real TLS on loopback, with certificates this test makes: a station whose
//! certificate the console cannot trust answers, so it is `untrusted`, never `offline`.

use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use zc_domain::status::{Observation, Rules};
use zc_domain::{ConnectionKind, ConnectionSpec, FailureCategory, Outcome, Status, StatusTracker};
use zc_monitor::{Prober, ProberConfig};

/// An https server on 127.0.0.1 with a self-signed certificate; answers 200 "ok" to anything.
async fn self_signed_server() -> u16 {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let key = rcgen::KeyPair::generate().unwrap();
    let cert =
        rcgen::CertificateParams::new(vec!["127.0.0.1".into(), "localhost".into()]).unwrap().self_signed(&key).unwrap();
    let der = rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into());
    let mut sc = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.der().clone()], der)
        .unwrap();
    sc.alpn_protocols = vec![b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(sc));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acc = acceptor.clone();
            tokio::spawn(async move {
                // A client that refuses the certificate ends the handshake here.
                let Ok(mut s) = acc.accept(tcp).await else { return };
                let mut b = [0u8; 4096];
                let _ = s.read(&mut b).await;
                let _ = s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok").await;
                let _ = s.shutdown().await;
            });
        }
    });
    port
}

#[tokio::test]
async fn a_self_signed_station_is_untrusted_not_offline() {
    let port = self_signed_server().await;
    let prober = Prober::new(ProberConfig::default());
    let spec =
        ConnectionSpec::new("plc-7", &format!("https://127.0.0.1:{port}/"), ConnectionKind::Http).validate().unwrap();
    let rules = Rules { confirm: 3, degraded_latency_ms: 1000 };
    let mut tracker = StatusTracker::new(Status::Online);
    let mut to = None;
    for i in 0..3 {
        let r = prober.probe(1, &spec, None, i).await;
        assert_eq!(r.outcome, Outcome::Failed(FailureCategory::CertificateUntrusted), "{:?}", r.detail);
        assert!(!FailureCategory::CertificateUntrusted.is_network_level(), "the station answered");
        let obs = Observation { outcome: r.outcome, latency_ms: r.latency_ms, observer_online: true };
        to = tracker.observe(obs, i, &rules).map(|t| t.to).or(to);
    }
    assert_eq!(to, Some(Status::Untrusted));
}
