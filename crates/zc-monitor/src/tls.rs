//! How an https connection's certificate is checked, and what the station presented.
//!
//! Three kinds of trust and no fourth: the operating system's roots, one private CA (only that
//! CA, the name still checked), or one certificate pinned by its SHA-256 (then only that exact
//! certificate counts, whatever its name, as with an SSH host key). There is no switch that
//! disables verification.
//!
//! The verifier keeps the certificate it was shown, so a refused station still tells the
//! engineer what it presented (a pin mismatch names the new fingerprint). Session resumption
//! is off for these connections: every new TLS connection shows its certificate again.

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use sha2::Digest;
use std::path::Path;
use std::sync::{Arc, Mutex};
use zc_domain::{CertificateInfo, ErrorCode, Fingerprint, TlsTrust, ZcError, ZcResult};

/// A pinned connection presented another certificate.
#[derive(Debug)]
pub struct PinMismatch {
    pub presented: Fingerprint,
    pub pinned: Fingerprint,
}

impl std::fmt::Display for PinMismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the station presented certificate {}, not the pinned {}", self.presented, self.pinned)
    }
}

impl std::error::Error for PinMismatch {}

/// Whether `e` is a pinned connection refusing another certificate.
pub fn is_pin_mismatch(e: &rustls::Error) -> bool {
    matches!(e, rustls::Error::InvalidCertificate(rustls::CertificateError::Other(o)) if o.0.downcast_ref::<PinMismatch>().is_some())
}

pub fn fingerprint(der: &[u8]) -> Fingerprint {
    Fingerprint(sha2::Sha256::digest(der).into())
}

/// What a DER certificate says about itself; None when it cannot be read.
pub fn certificate_info(der: &[u8]) -> Option<CertificateInfo> {
    let (_, c) = x509_parser::parse_x509_certificate(der).ok()?;
    let v = c.validity();
    Some(CertificateInfo {
        sha256: fingerprint(der).to_string(),
        subject: c.subject().to_string(),
        issuer: c.issuer().to_string(),
        not_before_ms: v.not_before.timestamp().saturating_mul(1000),
        not_after_ms: v.not_after.timestamp().saturating_mul(1000),
    })
}

/// Reads a PEM file meant as a private CA and returns what its CA certificates say, for the
/// engineer to confirm. Only CA certificates become trust anchors: a full chain's station
/// certificate in the same file is left out, never trusted as an issuer.
pub fn read_ca_pem(pem: &[u8]) -> ZcResult<Vec<CertificateInfo>> {
    Ok(ca_certificates(pem)?.iter().filter_map(|c| certificate_info(c)).collect())
}

/// The CA certificates in a PEM file; an error says what the file holds instead.
fn ca_certificates(pem: &[u8]) -> ZcResult<Vec<CertificateDer<'static>>> {
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_slice_iter(pem).collect::<Result<_, _>>().map_err(|e| {
            ZcError::invalid(format!("the CA file is not readable PEM ({e}); give the CA's certificate in PEM form (-----BEGIN CERTIFICATE-----)"))
        })?;
    if certs.is_empty() {
        return Err(ZcError::invalid(
            "the CA file holds no certificate; give the CA's certificate in PEM form (-----BEGIN CERTIFICATE-----)",
        ));
    }
    let mut cas = Vec::new();
    for (i, der) in certs.iter().enumerate() {
        let (_, c) = x509_parser::parse_x509_certificate(der)
            .map_err(|e| ZcError::invalid(format!("certificate {} in the CA file cannot be read ({e})", i + 1)))?;
        if c.is_ca() {
            cas.push(der.clone());
        }
    }
    if cas.is_empty() {
        return Err(ZcError::invalid(format!(
            "the file holds a station's own certificate, not a CA; to trust exactly that certificate, pin it: --pin {}",
            fingerprint(&certs[0])
        )));
    }
    roots(&cas)?;
    Ok(cas)
}

fn roots(certs: &[CertificateDer<'static>]) -> ZcResult<rustls::RootCertStore> {
    let mut roots = rustls::RootCertStore::empty();
    for c in certs {
        roots
            .add(c.clone())
            .map_err(|e| ZcError::invalid(format!("a certificate in the CA file cannot be a trust anchor ({e})")))?;
    }
    Ok(roots)
}

enum Check {
    System(Arc<rustls_platform_verifier::Verifier>),
    Ca(Arc<rustls::client::WebPkiServerVerifier>),
    Pin(Fingerprint),
}

/// Checks a station's certificate against the connection's trust, and keeps what it was shown.
pub(crate) struct StationVerifier {
    check: Check,
    provider: Arc<CryptoProvider>,
    presented: Mutex<Option<CertificateDer<'static>>>,
    /// The outcome of the last check, for an inspection (the HTTP answer does not matter there).
    verdict: Mutex<Option<Result<(), rustls::Error>>>,
}

impl std::fmt::Debug for StationVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StationVerifier")
    }
}

impl StationVerifier {
    pub(crate) fn new(trust: &TlsTrust, provider: Arc<CryptoProvider>) -> ZcResult<StationVerifier> {
        let check = match trust {
            TlsTrust::System => {
                Check::System(Arc::new(rustls_platform_verifier::Verifier::new(provider.clone()).map_err(|e| {
                    ZcError::new(ErrorCode::Internal, format!("cannot read the operating system's trusted roots ({e})"))
                })?))
            }
            TlsTrust::Ca(path) => {
                let pem = std::fs::read(path).map_err(|e| ca_unreadable(path, &e.to_string()))?;
                let cas = ca_certificates(&pem).map_err(|e| ca_unreadable(path, &e.message))?;
                let roots = roots(&cas).map_err(|e| ca_unreadable(path, &e.message))?;
                Check::Ca(
                    rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                        .build()
                        .map_err(|e| ca_unreadable(path, &e.to_string()))?,
                )
            }
            TlsTrust::Pin(f) => Check::Pin(*f),
            TlsTrust::Unusable(why) => return Err(ZcError::invalid(why.clone())),
        };
        Ok(StationVerifier { check, provider, presented: Mutex::new(None), verdict: Mutex::new(None) })
    }

    /// The certificate of the last handshake, taken (so a later pooled request does not report
    /// an old one).
    pub(crate) fn take_presented(&self) -> Option<CertificateDer<'static>> {
        self.presented.lock().unwrap().take()
    }

    pub(crate) fn take_verdict(&self) -> Option<Result<(), rustls::Error>> {
        self.verdict.lock().unwrap().take()
    }
}

fn ca_unreadable(path: &Path, why: &str) -> ZcError {
    ZcError::invalid(format!(
        "the private CA file {} cannot be used ({why}); give the connection its CA again (`zc connection trust` with `--ca FILE`)",
        path.display()
    ))
}

impl ServerCertVerifier for StationVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        *self.presented.lock().unwrap() = Some(end_entity.clone().into_owned());
        let result = match &self.check {
            Check::System(v) => v.verify_server_cert(end_entity, intermediates, server_name, ocsp, now),
            Check::Ca(v) => v.verify_server_cert(end_entity, intermediates, server_name, ocsp, now),
            Check::Pin(pinned) => {
                let presented = fingerprint(end_entity);
                if presented == *pinned {
                    Ok(ServerCertVerified::assertion())
                } else {
                    Err(rustls::Error::InvalidCertificate(rustls::CertificateError::Other(rustls::OtherError(
                        Arc::new(PinMismatch { presented, pinned: *pinned }),
                    ))))
                }
            }
        };
        *self.verdict.lock().unwrap() = Some(result.as_ref().map(|_| ()).map_err(Clone::clone));
        result
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

/// A TLS client configuration that checks with `verifier`.
pub(crate) fn client_config(verifier: Arc<StationVerifier>, provider: Arc<CryptoProvider>) -> rustls::ClientConfig {
    let mut c = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("ring supports the default protocol versions")
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    // reqwest sets ALPN only on configurations it builds itself.
    c.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    c.resumption = rustls::client::Resumption::disabled();
    c
}

/// Why a certificate was refused, in words an engineer acts on.
/// `name` is the connection's, for the command to run.
pub fn refusal_words(e: &rustls::Error, name: &str) -> String {
    use rustls::CertificateError as C;
    match e {
        rustls::Error::InvalidCertificate(c) => match c {
            C::UnknownIssuer => format!(
                "its certificate is not issued by a CA this connection trusts (self-signed, or a private CA): trust the CA with `zc connection trust {name} --ca FILE`, or pin the certificate with `--pin`"
            ),
            C::Expired | C::ExpiredContext { .. } => "its certificate has expired".into(),
            C::NotValidYet | C::NotValidYetContext { .. } => {
                "its certificate is not valid yet (check the station's and the console's clocks)".into()
            }
            C::NotValidForName | C::NotValidForNameContext { .. } => {
                "its certificate is issued for another name than the connection's address".into()
            }
            C::Revoked => "its certificate has been revoked".into(),
            C::Other(o) => match o.0.downcast_ref::<PinMismatch>() {
                Some(p) => format!(
                    "{p}: the certificate changed; check the device, then pin the new one with `zc connection trust {name} --pin`"
                ),
                None => format!("its certificate is refused ({o})"),
            },
            other => format!("its certificate is refused ({other:?})"),
        },
        other => format!("the TLS handshake failed ({other})"),
    }
}
