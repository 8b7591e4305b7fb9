//! https stations on loopback with certificates made on the spot: self-signed ones, a plant's
//! private CA and what it issues, any expiry. The certificate a station presents can be
//! replaced while it runs (a renewed or swapped device).

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A certificate and its key, as a server presents them.
pub struct TlsCert {
    pub der: CertificateDer<'static>,
    pub pem: String,
    key: PrivateKeyDer<'static>,
}

fn params(names: &[&str], not_after_ms: Option<i64>) -> CertificateParams {
    let mut p = CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).expect("valid names");
    p.distinguished_name.push(DnType::CommonName, names.first().copied().unwrap_or("station"));
    if let Some(ms) = not_after_ms {
        p.not_after = time::OffsetDateTime::from_unix_timestamp(ms / 1000).expect("a valid time");
        p.not_before = time::macros::datetime!(2020-01-01 0:00 UTC);
    }
    p
}

impl TlsCert {
    /// A self-signed certificate for `names` (DNS names or IP addresses), valid until
    /// `not_after_ms` (None: far in the future).
    pub fn self_signed(names: &[&str], not_after_ms: Option<i64>) -> TlsCert {
        let key = KeyPair::generate().expect("key generation");
        let cert = params(names, not_after_ms).self_signed(&key).expect("self-signing");
        TlsCert { der: cert.der().clone(), pem: cert.pem(), key: PrivateKeyDer::Pkcs8(key.serialize_der().into()) }
    }
}

/// A plant's private CA.
pub struct TestCa {
    pub pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl TestCa {
    pub fn new(name: &str) -> TestCa {
        let mut p = CertificateParams::new(Vec::<String>::new()).expect("no names");
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.distinguished_name.push(DnType::CommonName, name);
        let key = KeyPair::generate().expect("key generation");
        let cert = p.self_signed(&key).expect("self-signing");
        TestCa { pem: cert.pem(), issuer: Issuer::new(p, key) }
    }

    /// A station certificate for `names`, issued by this CA.
    pub fn issue(&self, names: &[&str], not_after_ms: Option<i64>) -> TlsCert {
        let key = KeyPair::generate().expect("key generation");
        let cert = params(names, not_after_ms).signed_by(&key, &self.issuer).expect("signing");
        TlsCert { der: cert.der().clone(), pem: cert.pem(), key: PrivateKeyDer::Pkcs8(key.serialize_der().into()) }
    }
}

/// An https server on 127.0.0.1 that answers 200 "ok" to any request, closing the connection
/// after each answer: every request makes a new TLS connection and sees the certificate the
/// station presents now.
pub struct TlsStation {
    port: u16,
    config: Arc<Mutex<Arc<rustls::ServerConfig>>>,
    task: tokio::task::JoinHandle<()>,
}

fn server_config(c: &TlsCert) -> Arc<rustls::ServerConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut sc = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("ring supports the default versions")
        .with_no_client_auth()
        .with_single_cert(vec![c.der.clone()], c.key.clone_key())
        .expect("a matching certificate and key");
    sc.alpn_protocols = vec![b"http/1.1".to_vec()];
    Arc::new(sc)
}

impl TlsStation {
    pub async fn start(cert: &TlsCert) -> std::io::Result<TlsStation> {
        let config = Arc::new(Mutex::new(server_config(cert)));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let current = config.clone();
        let task = tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let acceptor = tokio_rustls::TlsAcceptor::from(current.lock().unwrap().clone());
                tokio::spawn(async move {
                    // A client that refuses the certificate ends the handshake here.
                    let Ok(mut s) = acceptor.accept(tcp).await else { return };
                    let mut b = [0u8; 4096];
                    let _ = s.read(&mut b).await;
                    let _ = s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok").await;
                    let _ = s.shutdown().await;
                });
            }
        });
        Ok(TlsStation { port, config, task })
    }

    /// From now on the station presents `cert`.
    pub fn present(&self, cert: &TlsCert) {
        *self.config.lock().unwrap() = server_config(cert);
    }

    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}/", self.port)
    }
}

impl Drop for TlsStation {
    fn drop(&mut self) {
        self.task.abort();
    }
}
