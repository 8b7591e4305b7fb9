//! A connection's TLS trust (system roots, a private CA file, a pinned certificate) and the
//! certificate its station last presented. Fingerprints are stored as 64 lowercase hex digits,
//! so a pin and a presented certificate compare as text.

use crate::activity::{Audit, append};
use crate::error::db_err;
use crate::{ConnectionRow, Store};
use serde_json::json;
use std::path::Path;
use zc_domain::{CertificateInfo, Fingerprint, TlsTrust, ZcError, ZcResult};

/// The folder in the data directory that holds private CA files.
pub const TRUST_DIR: &str = "trust";

impl ConnectionRow {
    /// How this connection's certificate is checked; a CA file is resolved in `data_dir`.
    /// A stored pin that cannot be read trusts nothing (it never falls back to the system's roots).
    pub fn tls_trust(&self, data_dir: &Path) -> TlsTrust {
        if let Some(pin) = self.tls_pin_sha256.as_deref() {
            match Fingerprint::parse(pin) {
                Ok(p) => TlsTrust::Pin(p),
                Err(_) => TlsTrust::Unusable(format!(
                    "the stored pinned fingerprint of '{}' is damaged; pin it again with `zc connection trust {} --pin`",
                    self.spec.name, self.spec.name
                )),
            }
        } else if let Some(file) = &self.tls_ca_file {
            TlsTrust::Ca(data_dir.join(file))
        } else {
            TlsTrust::System
        }
    }
}

impl Store {
    /// The data directory: the database's folder.
    pub fn data_dir(&self) -> &Path {
        self.path().parent().unwrap_or(Path::new("."))
    }

    /// Sets how the connection's certificate is trusted. A CA file must already be inside the
    /// data directory's `trust/` folder (`ca_file` is its name relative to the data directory).
    /// The monitor picks the change up at its next reload (the settings version changes). The
    /// certificate seen so far is forgotten (its expiry is kept): under the new trust, only a
    /// certificate seen from now on can contradict a pin.
    pub async fn set_tls_trust(
        &self,
        id: i64,
        name: &str,
        ca_file: Option<&str>,
        pin: Option<Fingerprint>,
        audit: &Audit,
    ) -> ZcResult<ConnectionRow> {
        if ca_file.is_some() && pin.is_some() {
            return Err(ZcError::invalid("a connection trusts either a private CA or a pinned certificate, not both"));
        }
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let n = sqlx::query(
            "UPDATE backend_connections SET tls_ca_file = ?, tls_pin_sha256 = ?, tls_trust_at = ?, \
             tls_seen_sha256 = NULL, tls_seen_at = NULL, \
             settings_version = settings_version + 1, updated_at = ? WHERE id = ?",
        )
        .bind(ca_file)
        .bind(pin.map(|p| p.hex()))
        .bind(now)
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?
        .rows_affected();
        if n == 0 {
            return Err(ZcError::not_found("connection", name));
        }
        crate::sync_connections::release_held_definition(&mut tx, id, now).await?;
        let trust = match (ca_file, pin) {
            (Some(_), _) => "private_ca",
            (_, Some(_)) => "pinned",
            _ => "system",
        };
        append(
            &mut tx,
            now,
            audit,
            "connection.trust",
            name,
            json!({"id": id, "trust": trust, "ca_file": ca_file, "pin_sha256": pin.map(|p| p.to_string())}),
        )
        .await?;
        crate::alarms::evaluate_in(&mut tx, now).await?;
        tx.commit().await.map_err(db_err)?;
        self.connection_by_id(id).await
    }

    /// Records the certificate a station presented, with its expiry (the alarms read it), and
    /// notes a change in the activity log. Called by the monitor only when it changed.
    pub async fn record_certificate(&self, id: i64, name: &str, cert: &CertificateInfo, audit: &Audit) -> ZcResult<()> {
        let sha = Fingerprint::parse(&cert.sha256)?.hex();
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let previous: Option<Option<String>> =
            sqlx::query_scalar("SELECT tls_seen_sha256 FROM backend_connections WHERE id = ?")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db_err)?;
        // Removed meanwhile: nothing to record.
        let Some(previous) = previous else { return Ok(()) };
        if previous.as_deref() == Some(sha.as_str()) {
            return Ok(());
        }
        sqlx::query(
            "UPDATE backend_connections SET tls_seen_sha256 = ?, tls_not_after = ?, tls_subject = ?, tls_seen_at = ? \
             WHERE id = ?",
        )
        .bind(&sha)
        .bind(cert.not_after_ms)
        .bind(&cert.subject)
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        append(
            &mut tx,
            now,
            audit,
            "connection.certificate",
            name,
            json!({
                "id": id,
                "sha256": cert.sha256,
                "previous_sha256": previous.and_then(|p| Fingerprint::parse(&p).ok()).map(|p| p.to_string()),
                "subject": cert.subject,
                "issuer": cert.issuer,
                "not_after_ms": cert.not_after_ms,
            }),
        )
        .await?;
        crate::alarms::evaluate_in(&mut tx, now).await?;
        tx.commit().await.map_err(db_err)
    }
}
