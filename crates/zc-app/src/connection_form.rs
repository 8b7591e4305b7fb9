//! Connections as the console's form edits them: every setting at once, validated by the core,
//! and the API key (typed once) sent straight to the keyring, never back.

use crate::App;
use serde::{Deserialize, Serialize};
use zc_domain::connection::ConnectionPatch;
use zc_domain::{ApiKey, ConnectionKind, ConnectionSpec, ErrorCode, ZcError, ZcResult};
use zc_store::ConnectionRow;

/// A connection's settings as a form sends them (no key: that travels apart, once).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct ConnectionInput {
    pub name: String,
    pub url: String,
    pub kind: ConnectionKind,
    /// A JSON object.
    pub metadata: String,
    pub interval_ms: i64,
    pub timeout_ms: i64,
    pub confirm: i64,
    pub degraded_ms: i64,
    /// http probes: the status, text and JSON field an answer must have.
    pub expect_status: i64,
    pub expect_keyword: Option<String>,
    pub expect_json_field: Option<String>,
}

impl ConnectionInput {
    fn spec(&self) -> ConnectionSpec {
        let blank = |s: &Option<String>| s.as_ref().map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        ConnectionSpec {
            name: self.name.trim().to_owned(),
            url: self.url.trim().to_owned(),
            kind: self.kind,
            metadata: if self.metadata.trim().is_empty() { "{}".into() } else { self.metadata.clone() },
            interval_ms: self.interval_ms,
            timeout_ms: self.timeout_ms,
            confirm: self.confirm,
            degraded_ms: self.degraded_ms,
            expect_status: self.expect_status,
            expect_keyword: blank(&self.expect_keyword),
            expect_json_field: blank(&self.expect_json_field),
        }
    }

    /// The form as it opens for a new connection: the core's defaults.
    pub fn defaults() -> ConnectionInput {
        let d = ConnectionSpec::new("", "", ConnectionKind::Station);
        ConnectionInput {
            name: String::new(),
            url: String::new(),
            kind: d.kind,
            metadata: "{}".into(),
            interval_ms: d.interval_ms,
            timeout_ms: d.timeout_ms,
            confirm: d.confirm,
            degraded_ms: d.degraded_ms,
            expect_status: d.expect_status,
            expect_keyword: None,
            expect_json_field: None,
        }
    }

    pub fn from_row(row: &ConnectionRow) -> ConnectionInput {
        let s = &row.spec;
        ConnectionInput {
            name: s.name.clone(),
            url: s.url.clone(),
            kind: s.kind,
            metadata: s.metadata.clone(),
            interval_ms: s.interval_ms,
            timeout_ms: s.timeout_ms,
            confirm: s.confirm,
            degraded_ms: s.degraded_ms,
            expect_status: s.expect_status,
            expect_keyword: s.expect_keyword.clone(),
            expect_json_field: s.expect_json_field.clone(),
        }
    }
}

impl App {
    /// Adds a connection and, for a station, its key: both or neither. The key goes to the OS
    /// keyring only; if it cannot be stored, the connection is removed again.
    pub async fn add_connection_with_key(
        &self,
        input: ConnectionInput,
        key: Option<ApiKey>,
    ) -> ZcResult<ConnectionRow> {
        let spec = input.spec();
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
            let _ = self.store().remove_connection(&row.spec.name, self.audit()).await;
            return Err(ZcError::new(e.code, format!("the connection was not added: {}", e.message)));
        }
        self.store().connection(&row.spec.name).await
    }

    /// Replaces every setting of `name` with the form's (a rename included); a new key, if
    /// given, replaces the stored one.
    pub async fn update_connection(
        &self,
        name: &str,
        input: ConnectionInput,
        key: Option<ApiKey>,
    ) -> ZcResult<ConnectionRow> {
        let current = self.connection(name).await?;
        if current.spec.kind != input.kind {
            return Err(ZcError::invalid(
                "a connection's kind cannot change; remove it and add a new one of the other kind",
            ));
        }
        let s = input.spec();
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
