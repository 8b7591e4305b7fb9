//! Widget configurations: they belong to a backend connection, not to a user, and are versioned
//! so an admin's offline edits can be published later without losing anyone's change.

use crate::connection::{validate_name, validate_url};
use crate::error::{ErrorCode, ZcError, ZcResult};
use serde::Serialize;

pub const MAX_CONFIG_BYTES: usize = 64 * 1024;
/// Shown when a config is not a JSON object: what a widget's config looks like.
pub const CONFIG_EXAMPLE: &str = r#"{"point":"pressure-1","min":0,"max":16,"unit":"bar"}"#;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WidgetSpec {
    pub name: String,
    pub kind: String,
    /// Where the widget is served from, for CORS and licensing checks.
    pub url: Option<String>,
    pub active: bool,
    /// A JSON object.
    pub config: String,
}

impl WidgetSpec {
    pub fn validate(mut self) -> ZcResult<Self> {
        validate_name(&self.name)
            .map_err(|e| ZcError::new(ErrorCode::InvalidName, e.message.replace("connection name", "widget name")))?;
        if self.kind.is_empty()
            || self.kind.len() > 32
            || !self.kind.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(ZcError::invalid(
                "the widget kind must be 1-32 letters, digits, '-' or '_' (e.g. gauge, trend, table)",
            ));
        }
        if let Some(u) = &self.url {
            self.url = Some(validate_url(u)?);
        }
        self.config = validate_config(&self.config)?;
        Ok(self)
    }
}

pub fn validate_config(raw: &str) -> ZcResult<String> {
    // Same rules as connection metadata: a bounded JSON object with no secret-looking field.
    crate::connection::validate_metadata_sized(raw, MAX_CONFIG_BYTES, "widget config", CONFIG_EXAMPLE)
}
