//! Certificate trust for https connections: look at what a station presents, trust a private
//! CA (its PEM file copied into the data directory), pin a self-signed certificate by its
//! SHA-256, or go back to the operating system's roots. Never "ignore TLS errors".

use crate::App;
use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};
use zc_domain::Capability;
use zc_domain::{CertificateInfo, ErrorCode, Fingerprint, TlsTrust, ZcError, ZcResult};
use zc_monitor::{Prober, ProberConfig, read_ca_pem};
use zc_store::{ConnectionRow, TRUST_DIR};

/// A CA file larger than this is not a CA file.
const MAX_CA_FILE_BYTES: u64 = 1024 * 1024;

/// How a connection trusts certificates, what its station presents now, and whether that is
/// trusted: what `zc connection certificate` and the detail view show.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct CertificateCheck {
    pub connection: String,
    /// `system`, `private_ca` or `pinned`.
    pub trust: String,
    /// The pinned fingerprint, `AB:CD:…`.
    pub pinned_sha256: Option<String>,
    /// The private CA file, inside the data directory.
    pub ca_file: Option<String>,
    /// The CA certificates in that file.
    pub ca: Vec<CertificateInfo>,
    /// What the station presents now; None when it could not be asked (see `error`).
    pub presented: Option<CertificateInfo>,
    pub trusted: bool,
    /// Why the presented certificate is refused, and what to do.
    pub refusal: Option<String>,
    /// Why the station could not be asked.
    pub error: Option<String>,
    /// What changed, for `trust`: empty for a look only.
    pub note: Option<String>,
}

/// What to trust.
#[derive(Debug, Clone)]
pub enum TrustChoice {
    /// The operating system's trust store (the default).
    System,
    /// A CA's PEM file, anywhere: it is copied into the data directory.
    Ca(PathBuf),
    /// A fingerprint, as the engineer copied it from the device or from `zc connection certificate`.
    Pin(String),
}

impl App {
    /// Connects to the station now and reports its certificate under the connection's trust.
    pub async fn inspect_certificate(&self, name: &str) -> ZcResult<CertificateCheck> {
        self.authorize(Capability::View).await?;
        let row = self.store.connection(name).await?;
        self.certificate_check(&row, None).await
    }

    /// Sets how `name` trusts its station's certificate, and reports what the station presents.
    /// A pin is refused when the station, reachable, presents another certificate: the engineer
    /// compares the fingerprint with the device's own, and a typo or an impostor must not be
    /// pinned. A station that cannot be reached is pinned as given (set up before it is online).
    pub async fn trust_certificate(&self, name: &str, choice: TrustChoice) -> ZcResult<CertificateCheck> {
        let audit = self.authorize(Capability::EditConnections).await?;
        let row = self.store.connection(name).await?;
        if !row.spec.url.starts_with("https://") {
            return Err(ZcError::invalid(format!(
                "'{name}' is reached over plain http ({}); trust applies to https connections only",
                row.spec.url
            )));
        }
        let prober = Prober::new(ProberConfig::default());
        let (updated, note) = match choice {
            TrustChoice::System => {
                let r = self.store.set_tls_trust(row.id, name, None, None, &audit).await?;
                (r, "trusts the operating system's roots again".to_owned())
            }
            TrustChoice::Pin(text) => {
                let pin = Fingerprint::parse(&text)?;
                let seen = prober.inspect(&row.spec, &TlsTrust::Pin(pin)).await?;
                let other = seen.presented.as_ref().filter(|p| p.sha256 != pin.to_string());
                if other.is_some() || seen.pin_mismatch {
                    let what = other.map_or("another certificate".to_owned(), |p| {
                        format!("the certificate {} ({})", p.sha256, p.subject)
                    });
                    return Err(ZcError::new(
                        ErrorCode::InvalidInput,
                        format!(
                            "'{name}' presents {what}, not {pin}; compare with the device's own display before pinning. Nothing was changed"
                        ),
                    ));
                }
                let r = self.store.set_tls_trust(row.id, name, None, Some(pin), &audit).await?;
                let note = match &seen.presented {
                    Some(_) => format!("pinned {pin}: the station presents this certificate"),
                    None => format!(
                        "pinned {pin}; the station could not be reached to compare ({})",
                        seen.error.as_deref().unwrap_or("no answer")
                    ),
                };
                (r, note)
            }
            TrustChoice::Ca(path) => {
                let file = self.copy_ca_file(row.id, &path)?;
                let r = self.store.set_tls_trust(row.id, name, Some(&file), None, &audit).await?;
                (r, format!("trusts only the CA in {}", path.display()))
            }
        };
        // The connection's previous CA copy is no longer used (each copy is one connection's).
        if let Some(old) = row.tls_ca_file.as_deref().filter(|o| Some(*o) != updated.tls_ca_file.as_deref()) {
            let _ = std::fs::remove_file(self.data_dir.join(old));
        }
        self.certificate_check(&updated, Some(note)).await
    }

    async fn certificate_check(&self, row: &ConnectionRow, note: Option<String>) -> ZcResult<CertificateCheck> {
        let trust = row.tls_trust(&self.data_dir);
        let ca = match &trust {
            TlsTrust::Ca(p) => std::fs::read(p).ok().and_then(|b| read_ca_pem(&b).ok()).unwrap_or_default(),
            _ => Vec::new(),
        };
        let seen = Prober::new(ProberConfig::default()).inspect(&row.spec, &trust).await?;
        Ok(CertificateCheck {
            connection: row.spec.name.clone(),
            trust: trust.word().to_owned(),
            pinned_sha256: match &trust {
                TlsTrust::Pin(p) => Some(p.to_string()),
                _ => None,
            },
            ca_file: row.tls_ca_file.clone(),
            ca,
            presented: seen.presented,
            trusted: seen.trusted,
            refusal: seen.refusal,
            error: seen.error,
            note,
        })
    }

    /// Checks a CA file and copies it, durably, to `trust/ca-<id>-<digest>.pem` in the data
    /// directory (the original may be on a USB stick). Returns the path relative to the data
    /// directory.
    fn copy_ca_file(&self, id: i64, path: &Path) -> ZcResult<String> {
        let unreadable = |e: std::io::Error| {
            ZcError::invalid(format!("cannot read the CA file {} ({e}); check the path", path.display()))
        };
        let len = std::fs::metadata(path).map_err(unreadable)?.len();
        if len > MAX_CA_FILE_BYTES {
            return Err(ZcError::invalid(format!(
                "{} is {len} bytes: not a CA certificate file (PEM, at most 1 MiB)",
                path.display()
            )));
        }
        let pem = std::fs::read(path).map_err(unreadable)?;
        read_ca_pem(&pem)?;
        let digest = zc_monitor::fingerprint(&pem).hex();
        let relative = format!("{TRUST_DIR}/ca-{id}-{}.pem", &digest[..16]);
        let dir = self.data_dir.join(TRUST_DIR);
        let io = |e: std::io::Error| {
            ZcError::new(ErrorCode::Io, format!("cannot store the CA file in {} ({e})", dir.display()))
        };
        std::fs::create_dir_all(&dir).map_err(io)?;
        let dest = self.data_dir.join(&relative);
        let partial = dest.with_extension("pem.partial");
        let mut f = std::fs::File::create(&partial).map_err(io)?;
        f.write_all(&pem).map_err(io)?;
        f.sync_all().map_err(io)?;
        std::fs::rename(&partial, &dest).map_err(io)?;
        // The rename itself survives a power cut only once the folder is synced.
        if let Ok(d) = std::fs::File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(relative)
    }
}
