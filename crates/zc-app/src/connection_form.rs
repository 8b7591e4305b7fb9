//! Connections as the console's form edits them: every setting at once (a whole
//! `ConnectionSpec`), validated by the core, and the API key (typed once) sent straight to the
//! keyring, never back.

use crate::App;
use zc_domain::Capability;
use zc_domain::connection::ConnectionPatch;
use zc_domain::{ApiKey, ConnectionKind, ConnectionSpec, ErrorCode, ZcError, ZcResult};
use zc_store::ConnectionRow;

/// What a form sends, tidied: names and URLs trimmed, empty expectations and metadata meaning none.
fn tidy(mut s: ConnectionSpec) -> ConnectionSpec {
    let blank = |v: Option<String>| v.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    s.name = s.name.trim().to_owned();
    s.url = s.url.trim().to_owned();
    if s.metadata.trim().is_empty() {
        s.metadata = "{}".into();
    }
    s.expect_keyword = blank(s.expect_keyword);
    s.expect_json_field = blank(s.expect_json_field);
    s
}

/// The form as it opens for a new connection: the core's defaults.
pub fn form_defaults() -> ConnectionSpec {
    ConnectionSpec::new("", "", ConnectionKind::Station)
}

impl App {
    /// Adds a connection and, for a station, its key: both or neither. The key goes to the OS
    /// keyring only; if it cannot be stored, the connection is removed again.
    pub async fn add_connection_with_key(&self, spec: ConnectionSpec, key: Option<ApiKey>) -> ZcResult<ConnectionRow> {
        let audit = self.authorize(Capability::EditConnections).await?;
        let spec = tidy(spec);
        if spec.kind == ConnectionKind::Station && key.is_none() {
            return Err(ZcError::new(
                ErrorCode::KeyMissing,
                "a station connection needs its API key; type it in the key field (it is stored only in the OS keyring)",
            ));
        }
        if spec.kind == ConnectionKind::Http && key.is_some() {
            return Err(ZcError::invalid("http connections use no API key; leave the key field empty"));
        }
        let row = self.add_connection(spec).await?;
        if let Some(k) = key
            && let Err(e) = self.set_key(&row.spec.name, k).await
        {
            // All or nothing: no station left behind without its key.
            let _ = self.store().remove_connection(&row.spec.name, &audit).await;
            return Err(ZcError::new(e.code, format!("the connection was not added: {}", e.message)));
        }
        self.store().connection(&row.spec.name).await
    }

    /// Replaces every setting of `name` with the form's (a rename included); a new key, if
    /// given, replaces the stored one.
    pub async fn update_connection(
        &self,
        name: &str,
        spec: ConnectionSpec,
        key: Option<ApiKey>,
    ) -> ZcResult<ConnectionRow> {
        self.authorize(Capability::EditConnections).await?;
        let current = self.connection(name).await?;
        if current.spec.kind != spec.kind {
            return Err(ZcError::invalid(
                "a connection's kind cannot change; remove it and add a new one of the other kind",
            ));
        }
        let s = tidy(spec);
        let patch = ConnectionPatch {
            name: (s.name != name).then_some(s.name.clone()),
            url: Some(s.url),
            metadata: Some(s.metadata),
            interval_ms: Some(s.interval_ms),
            timeout_ms: Some(s.timeout_ms),
            confirm: Some(s.confirm),
            degraded_ms: Some(s.degraded_ms),
            expect_status: Some(s.expect_status),
            expect_keyword: Some(s.expect_keyword),
            expect_json_field: Some(s.expect_json_field),
        };
        let row = self.edit_connection(name, patch).await?;
        if let Some(k) = key {
            self.set_key(&row.spec.name, k).await?;
        }
        self.store().connection(&row.spec.name).await
    }
}
