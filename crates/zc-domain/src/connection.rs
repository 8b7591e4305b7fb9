//! Backend connections and the rules their settings must satisfy.

use crate::error::{ErrorCode, ZcError, ZcResult};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionKind {
    /// Any URL: healthy when the response has the expected status (and keyword / JSON field).
    Http,
    /// The Station API (`docs/station-api.md`) with an API key from the keyring.
    Station,
}

impl ConnectionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionKind::Http => "http",
            ConnectionKind::Station => "station",
        }
    }
    pub fn parse(s: &str) -> ZcResult<Self> {
        match s {
            "http" => Ok(Self::Http),
            "station" => Ok(Self::Station),
            _ => Err(ZcError::invalid(format!("unknown connection kind '{s}'; use 'http' or 'station'"))),
        }
    }
}

pub const DEFAULT_INTERVAL_MS: i64 = 10_000;
pub const DEFAULT_TIMEOUT_MS: i64 = 5_000;
pub const DEFAULT_CONFIRM: i64 = 3;
pub const DEFAULT_DEGRADED_MS: i64 = 1_000;
pub const MAX_METADATA_BYTES: usize = 16 * 1024;

/// Everything an admin sets on a connection (and what the console's form sends).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct ConnectionSpec {
    pub name: String,
    pub url: String,
    pub kind: ConnectionKind,
    /// A JSON object, stored as text.
    pub metadata: String,
    pub interval_ms: i64,
    pub timeout_ms: i64,
    pub confirm: i64,
    pub degraded_ms: i64,
    pub expect_status: i64,
    pub expect_keyword: Option<String>,
    pub expect_json_field: Option<String>,
}

impl ConnectionSpec {
    pub fn new(name: &str, url: &str, kind: ConnectionKind) -> Self {
        Self {
            name: name.to_owned(),
            url: url.to_owned(),
            kind,
            metadata: "{}".to_owned(),
            interval_ms: DEFAULT_INTERVAL_MS,
            timeout_ms: DEFAULT_TIMEOUT_MS,
            confirm: DEFAULT_CONFIRM,
            degraded_ms: DEFAULT_DEGRADED_MS,
            expect_status: 200,
            expect_keyword: None,
            expect_json_field: None,
        }
    }

    /// Checks every field and normalises the URL and metadata. Nothing is written before this
    /// passes, so bad input never leaves a half-made connection.
    pub fn validate(mut self) -> ZcResult<Self> {
        validate_name(&self.name)?;
        self.url = validate_url(&self.url)?;
        self.metadata = validate_metadata(&self.metadata)?;
        if !(100..=86_400_000).contains(&self.interval_ms) {
            return Err(ZcError::invalid("the probe interval must be between 100ms and 1d"));
        }
        if !(50..=120_000).contains(&self.timeout_ms) {
            return Err(ZcError::invalid("the probe timeout must be between 50ms and 120s"));
        }
        if !(1..=100).contains(&self.confirm) {
            return Err(ZcError::invalid("--confirm must be between 1 and 100 probes"));
        }
        if !(1..=600_000).contains(&self.degraded_ms) {
            return Err(ZcError::invalid("the degraded latency threshold must be between 1ms and 10m"));
        }
        if !(100..=599).contains(&self.expect_status) {
            return Err(ZcError::invalid("the expected HTTP status must be between 100 and 599"));
        }
        Ok(self)
    }
}

/// A partial edit; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct ConnectionPatch {
    pub name: Option<String>,
    pub url: Option<String>,
    pub metadata: Option<String>,
    pub interval_ms: Option<i64>,
    pub timeout_ms: Option<i64>,
    pub confirm: Option<i64>,
    pub degraded_ms: Option<i64>,
    pub expect_status: Option<i64>,
    pub expect_keyword: Option<Option<String>>,
    pub expect_json_field: Option<Option<String>>,
}

impl ConnectionPatch {
    pub fn apply(self, mut spec: ConnectionSpec) -> ZcResult<ConnectionSpec> {
        macro_rules! set {
            ($($f:ident),*) => { $(if let Some(v) = self.$f { spec.$f = v; })* };
        }
        set!(
            name,
            url,
            metadata,
            interval_ms,
            timeout_ms,
            confirm,
            degraded_ms,
            expect_status,
            expect_keyword,
            expect_json_field
        );
        spec.validate()
    }
}

pub fn validate_name(name: &str) -> ZcResult<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && name.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err(ZcError::new(
            ErrorCode::InvalidName,
            format!(
                "'{}' is not a valid connection name; use 1-64 letters, digits, '-', '_' or '.', starting with a letter or digit",
                name.chars().take(80).collect::<String>()
            ),
        ))
    }
}

pub fn validate_url(raw: &str) -> ZcResult<String> {
    let shown: String = raw.chars().take(200).collect();
    let url = url::Url::parse(raw.trim()).map_err(|e| {
        ZcError::new(
            ErrorCode::InvalidUrl,
            format!("'{shown}' is not a valid URL ({e}); use e.g. http://10.0.0.5:8080 or https://station.example"),
        )
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ZcError::new(
            ErrorCode::InvalidUrl,
            format!("'{shown}' uses the '{}' scheme; only http and https are supported", url.scheme()),
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(ZcError::new(ErrorCode::InvalidUrl, format!("'{shown}' has no host")));
    }
    if !url.username().is_empty() || url.password().is_some() {
        // Credentials in a URL would end up in SQLite and logs; keys belong in the keyring.
        return Err(ZcError::new(
            ErrorCode::InvalidUrl,
            "the URL contains a user name or password; remove it and store the key with `zc key set`",
        ));
    }
    Ok(url.to_string())
}

pub fn validate_metadata(raw: &str) -> ZcResult<String> {
    validate_metadata_sized(raw, MAX_METADATA_BYTES, "metadata", r#"{"site":"north"}"#)
}

/// A JSON object of at most `max` bytes with no secret-looking field, normalised.
/// `example` is a valid value of the same kind, shown when the input is not a JSON object.
pub fn validate_metadata_sized(raw: &str, max: usize, what: &str, example: &str) -> ZcResult<String> {
    if raw.len() > max {
        return Err(ZcError::new(
            ErrorCode::InvalidMetadata,
            format!("{what} is {} bytes, more than the {max} allowed", raw.len()),
        ));
    }
    let value: serde_json::Value = serde_json::from_str(raw).map_err(|e| {
        ZcError::new(
            ErrorCode::InvalidMetadata,
            format!("{what} is not valid JSON ({e}); pass an object such as '{example}'"),
        )
    })?;
    if !value.is_object() {
        return Err(ZcError::new(
            ErrorCode::InvalidMetadata,
            format!("{what} must be a JSON object, such as '{example}'"),
        ));
    }
    if let Some(field) = secret_field(&value) {
        // It is stored in SQLite and copied to the activity log: no place for a secret.
        return Err(ZcError::new(
            ErrorCode::InvalidMetadata,
            format!(
                "{what} field '{field}' looks like a secret; it is stored in plain text, so keep keys in the keyring with `zc key set`"
            ),
        ));
    }
    Ok(value.to_string())
}

fn secret_field(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::Object(map) => map.iter().find_map(|(k, v)| {
            if crate::activity::is_secret_key(k) && !v.is_boolean() { Some(k.clone()) } else { secret_field(v) }
        }),
        serde_json::Value::Array(items) => items.iter().find_map(secret_field),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_input_is_refused_with_a_code() {
        let s = |n: &str, u: &str| ConnectionSpec::new(n, u, ConnectionKind::Http).validate();
        assert_eq!(s("ok", "not a url").unwrap_err().code, ErrorCode::InvalidUrl);
        assert_eq!(s("ok", "ftp://x").unwrap_err().code, ErrorCode::InvalidUrl);
        assert_eq!(s("ok", "http://u:p@x").unwrap_err().code, ErrorCode::InvalidUrl);
        assert_eq!(s("bad name", "http://x").unwrap_err().code, ErrorCode::InvalidName);
        assert_eq!(s("", "http://x").unwrap_err().code, ErrorCode::InvalidName);
        assert!(s("north-1", "http://127.0.0.1:80").is_ok());
        let mut spec = ConnectionSpec::new("a", "http://x", ConnectionKind::Http);
        spec.metadata = "{nope".into();
        assert_eq!(spec.clone().validate().unwrap_err().code, ErrorCode::InvalidMetadata);
        spec.metadata = r#"{"site":"n","auth":{"api_key":"x"}}"#.into();
        assert_eq!(spec.clone().validate().unwrap_err().code, ErrorCode::InvalidMetadata);
        spec.metadata = "[1]".into();
        assert_eq!(spec.clone().validate().unwrap_err().code, ErrorCode::InvalidMetadata);
        spec.metadata = format!("{{\"a\":\"{}\"}}", "x".repeat(MAX_METADATA_BYTES));
        assert_eq!(spec.validate().unwrap_err().code, ErrorCode::InvalidMetadata);
    }
}
