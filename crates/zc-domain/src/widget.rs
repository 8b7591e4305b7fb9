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

/// The kinds the console displays. Their editor (with a JSON Schema per kind) comes with the
/// admin tools; until then any kind is stored and an unknown one shows as a placeholder.
pub const DISPLAY_KINDS: [&str; 5] = ["value", "gauge", "trend", "lamp", "embed"];

/// What a widget shows, read from its configuration for display.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct WidgetBinding {
    /// The station point it shows (None for an embedded page).
    pub point: Option<String>,
    /// The scale.
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// The normal range: a value outside it is abnormal.
    pub low: Option<f64>,
    pub high: Option<f64>,
    /// A trend's time window, ms.
    pub window_ms: Option<i64>,
}

/// Reads a stored widget for display, or says in one line why it cannot be shown (the console
/// then shows a placeholder with that reason, never a blank or a crash).
pub fn display_binding(kind: &str, url: Option<&str>, config: &str) -> Result<WidgetBinding, String> {
    if !DISPLAY_KINDS.contains(&kind) {
        return Err(format!("unknown widget kind '{kind}' (known: {})", DISPLAY_KINDS.join(", ")));
    }
    let v: serde_json::Value =
        serde_json::from_str(config).map_err(|e| format!("the configuration is not valid JSON ({e})"))?;
    let num = |k: &str| -> Result<Option<f64>, String> {
        match v.get(k) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(x) => x.as_f64().map(Some).ok_or_else(|| format!("'{k}' must be a number")),
        }
    };
    let binding = WidgetBinding {
        point: match v.get("point") {
            None => None,
            Some(p) => Some(p.as_str().filter(|s| !s.is_empty()).ok_or("'point' must be a point id")?.to_owned()),
        },
        min: num("min")?,
        max: num("max")?,
        low: num("low")?,
        high: num("high")?,
        window_ms: match v.get("window").and_then(|w| w.as_str()) {
            Some(w) => Some(crate::timefmt::parse_duration_ms(w).map_err(|e| e.message)?),
            None => None,
        },
    };
    if kind == "embed" {
        if url.is_none() {
            return Err("an embedded page needs a URL".into());
        }
    } else if binding.point.is_none() {
        return Err("no point is configured ('point' is missing)".into());
    }
    if let (Some(lo), Some(hi)) = (binding.min, binding.max)
        && lo >= hi
    {
        return Err(format!("'min' ({lo}) must be below 'max' ({hi})"));
    }
    if let (Some(lo), Some(hi)) = (binding.low, binding.high)
        && lo > hi
    {
        return Err(format!("'low' ({lo}) must not be above 'high' ({hi})"));
    }
    Ok(binding)
}

/// Where a value stands against its normal range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum RangeState {
    Normal,
    Low,
    High,
    /// No range configured.
    Unranged,
}

pub fn range_state(value: f64, low: Option<f64>, high: Option<f64>) -> RangeState {
    match (low, high) {
        (None, None) => RangeState::Unranged,
        (Some(l), _) if value < l => RangeState::Low,
        (_, Some(h)) if value > h => RangeState::High,
        _ => RangeState::Normal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bindings_say_why_a_widget_cannot_be_shown() {
        let ok = display_binding("gauge", None, r#"{"point":"a.p","min":0,"max":8,"low":3,"high":5}"#).unwrap();
        assert_eq!(ok.point.as_deref(), Some("a.p"));
        assert_eq!(ok.high, Some(5.0));
        assert!(display_binding("pie", None, "{}").unwrap_err().contains("unknown widget kind 'pie'"));
        assert!(display_binding("gauge", None, "{}").unwrap_err().contains("no point"));
        assert!(display_binding("gauge", None, r#"{"point":"a","min":"x"}"#).unwrap_err().contains("'min'"));
        assert!(display_binding("gauge", None, r#"{"point":"a","min":5,"max":1}"#).unwrap_err().contains("below"));
        assert!(display_binding("embed", None, "{}").unwrap_err().contains("URL"));
        assert_eq!(display_binding("trend", None, r#"{"point":"a","window":"10m"}"#).unwrap().window_ms, Some(600_000));
    }

    #[test]
    fn values_are_judged_against_their_normal_range() {
        assert_eq!(range_state(2.0, Some(3.0), Some(5.0)), RangeState::Low);
        assert_eq!(range_state(5.5, Some(3.0), Some(5.0)), RangeState::High);
        assert_eq!(range_state(4.0, Some(3.0), Some(5.0)), RangeState::Normal);
        assert_eq!(range_state(4.0, None, None), RangeState::Unranged);
    }
}
