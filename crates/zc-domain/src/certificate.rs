//! How an https connection's certificate is trusted, and what a station presented.
//!
//! Never a switch that turns verification off: a connection trusts the operating system's
//! roots, one private CA (only that CA), or exactly one certificate pinned by its SHA-256.

use crate::{ZcError, ZcResult};
use serde::Serialize;

/// A certificate's SHA-256 fingerprint. Stored as 64 lowercase hex digits, shown as
/// `AB:CD:…` (as browsers and `openssl x509 -fingerprint -sha256` show it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint(pub [u8; 32]);

impl Fingerprint {
    /// Reads a fingerprint however it was copied: with or without colons or spaces, any case,
    /// with or without a `sha256:` / `SHA256 Fingerprint=` prefix.
    pub fn parse(s: &str) -> ZcResult<Fingerprint> {
        let t = s.trim();
        let t = t.rsplit_once('=').map_or(t, |(_, v)| v);
        let t = t.strip_prefix("sha256:").or_else(|| t.strip_prefix("SHA256:")).unwrap_or(t);
        let hex: String = t.chars().filter(|c| !matches!(c, ':' | ' ' | '-')).collect();
        let bad = || {
            ZcError::invalid(format!(
                "'{}' is not a SHA-256 fingerprint: it takes 64 hex digits (colons allowed), as `zc connection certificate NAME` shows it",
                s.chars().take(120).collect::<String>()
            ))
        };
        if hex.len() != 64 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(bad());
        }
        let mut out = [0u8; 32];
        for (i, b) in out.iter_mut().enumerate() {
            *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
        }
        Ok(Fingerprint(out))
    }

    /// The stored form: 64 lowercase hex digits.
    pub fn hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl std::fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, b) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(":")?;
            }
            write!(f, "{b:02X}")?;
        }
        Ok(())
    }
}

/// How a connection's https certificate is trusted.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum TlsTrust {
    /// The operating system's trust store.
    #[default]
    System,
    /// Only certificates issued by the CA(s) in this PEM file (a path inside the data directory).
    Ca(std::path::PathBuf),
    /// Only this exact certificate.
    Pin(Fingerprint),
    /// The stored trust cannot be read (a damaged row): nothing is trusted, and the reason says
    /// how to set it again.
    Unusable(String),
}

impl TlsTrust {
    pub fn word(&self) -> &'static str {
        match self {
            Self::System => "system",
            Self::Ca(_) => "private_ca",
            Self::Pin(_) => "pinned",
            Self::Unusable(_) => "unusable",
        }
    }
}

/// A certificate a station presented, as the console read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct CertificateInfo {
    /// `AB:CD:…`, the form an engineer compares with the device's own display.
    pub sha256: String,
    pub subject: String,
    pub issuer: String,
    pub not_before_ms: i64,
    pub not_after_ms: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fingerprint_reads_as_copied_from_anywhere_and_prints_as_browsers_show_it() {
        let hex = "5e".repeat(31) + "0a";
        let f = Fingerprint::parse(&hex).unwrap();
        assert_eq!(f.hex(), hex);
        let shown = f.to_string();
        assert!(shown.starts_with("5E:5E:") && shown.ends_with(":0A") && shown.len() == 95);
        assert_eq!(Fingerprint::parse(&shown).unwrap(), f);
        assert_eq!(Fingerprint::parse(&format!("sha256 Fingerprint={shown}")).unwrap(), f);
        assert_eq!(Fingerprint::parse(&format!("sha256:{}", hex.to_uppercase())).unwrap(), f);
        let e = Fingerprint::parse("AB:CD").unwrap_err();
        assert!(e.message.contains("64 hex digits"), "{}", e.message);
        assert!(Fingerprint::parse(&"zz".repeat(32)).is_err());
    }
}
