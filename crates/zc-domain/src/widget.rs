//! Widget configurations: they belong to a backend connection, not to a user, and are versioned
//! so an admin's offline edits can be published later without losing anyone's change.

use crate::connection::{validate_name, validate_url};
use crate::error::{ErrorCode, ZcResult};
pub use crate::widget_schema::{FieldError, KINDS, WidgetKindInfo, all_kinds, kind_info};
use crate::widget_schema::{check_config, is_kind, unknown_kind};
use serde::{Deserialize, Serialize};

pub const MAX_CONFIG_BYTES: usize = 64 * 1024;
/// Shown when a config is not a JSON object: what a widget's config looks like.
pub const CONFIG_EXAMPLE: &str = r#"{"point":"pressure-1","min":0,"max":16,"unit":"bar"}"#;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct WidgetSpec {
    pub name: String,
    /// One of [`KINDS`]. Rows stored before kinds were checked may hold another; they show as a
    /// placeholder until an admin picks a kind.
    pub kind: String,
    /// Where the widget is served from, for CORS and licensing checks (required for `embed`).
    pub url: Option<String>,
    pub active: bool,
    /// A JSON object, checked against the kind's JSON Schema.
    pub config: String,
}

impl WidgetSpec {
    /// Every problem, each at its field, for the editor. Empty: the widget can be saved.
    pub fn check(&self) -> Vec<FieldError> {
        let mut out = Vec::new();
        if let Err(e) = validate_name(&self.name) {
            out.push(FieldError::new(
                "name",
                ErrorCode::InvalidName,
                e.message.replace("connection name", "widget name"),
            ));
        }
        let known = is_kind(&self.kind);
        if !known {
            out.push(unknown_kind(&self.kind));
        }
        match &self.url {
            Some(u) => {
                if let Err(e) = validate_url(u) {
                    out.push(FieldError::new("url", e.code, e.message));
                }
            }
            None if self.kind == "embed" => out.push(FieldError::new(
                "url",
                ErrorCode::InvalidUrl,
                "an embedded page needs the URL it is served from (--url), e.g. https://north.example/panel",
            )),
            None => {}
        }
        match validate_config(&self.config) {
            Err(e) => out.push(FieldError::new("config", e.code, e.message)),
            Ok(normal) if known => {
                let v: serde_json::Value = serde_json::from_str(&normal).unwrap_or_default();
                out.extend(check_config(&self.kind, &v));
            }
            Ok(_) => {}
        }
        out
    }

    /// The spec as stored (URL and config normalised), or its first problem as one line that
    /// names the field, and how many more there are.
    pub fn validate(mut self) -> ZcResult<Self> {
        let mut problems = self.check().into_iter();
        if let Some(first) = problems.next() {
            let rest: Vec<String> = problems.map(|p| p.field).collect();
            let mut e = first.into_error();
            if !rest.is_empty() {
                e.message = format!("{}; also wrong: {}", e.message, rest.join(", "));
            }
            return Err(e);
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

/// One field that differs between two versions of a widget; a config setting is
/// `config.<name>`, its values JSON text. `None`: absent on that side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct FieldChange {
    pub field: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// What changed from `a` to `b`, field by field, settings in name order.
pub fn diff(a: &WidgetSpec, b: &WidgetSpec) -> Vec<FieldChange> {
    let mut out = Vec::new();
    let mut field = |name: &str, x: Option<String>, y: Option<String>| {
        if x != y {
            out.push(FieldChange { field: name.to_owned(), before: x, after: y });
        }
    };
    field("name", Some(a.name.clone()), Some(b.name.clone()));
    field("kind", Some(a.kind.clone()), Some(b.kind.clone()));
    field("url", a.url.clone(), b.url.clone());
    field("active", Some(a.active.to_string()), Some(b.active.to_string()));
    let obj = |c: &str| match serde_json::from_str::<serde_json::Value>(c) {
        Ok(serde_json::Value::Object(m)) => m,
        _ => serde_json::Map::new(),
    };
    let (ca, cb) = (obj(&a.config), obj(&b.config));
    let keys: std::collections::BTreeSet<&String> = ca.keys().chain(cb.keys()).collect();
    for k in keys {
        field(&format!("config.{k}"), ca.get(k).map(|v| v.to_string()), cb.get(k).map(|v| v.to_string()));
    }
    out
}

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
    if !is_kind(kind) {
        return Err(format!("unknown widget kind '{kind}' (known: {})", KINDS.join(", ")));
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
    fn a_spec_lists_every_problem_and_its_one_line_names_the_field() {
        let spec = |kind: &str, url: Option<&str>, config: &str| WidgetSpec {
            name: "pressure".into(),
            kind: kind.into(),
            url: url.map(str::to_owned),
            active: true,
            config: config.into(),
        };
        assert!(spec("gauge", None, r#"{"point":"n.p","min":0,"max":8}"#).check().is_empty());
        let e = spec("gauge", None, r#"{"point":"n.p","min":"0"}"#).validate().unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidWidgetConfig);
        assert_eq!(e.field.as_deref(), Some("config.max"), "{e:?}");
        assert!(e.message.contains("also wrong: config.min"), "{}", e.message);
        let e = spec("embed", None, "{}").validate().unwrap_err();
        assert_eq!((e.code, e.field.as_deref()), (ErrorCode::InvalidUrl, Some("url")));
        let e = spec("gauge", None, "max=16").validate().unwrap_err();
        assert_eq!((e.code, e.field.as_deref()), (ErrorCode::InvalidMetadata, Some("config")));
        let ok = spec("value", None, r#"{ "point": "n.p" }"#).validate().unwrap();
        assert_eq!(ok.config, r#"{"point":"n.p"}"#, "stored normalised");
    }

    #[test]
    fn a_diff_names_each_changed_field_and_setting() {
        let a = WidgetSpec {
            name: "p".into(),
            kind: "gauge".into(),
            url: None,
            active: true,
            config: r#"{"max":8,"min":0,"unit":"bar"}"#.into(),
        };
        let b = WidgetSpec { active: false, config: r#"{"max":16,"min":0,"low":2}"#.into(), ..a.clone() };
        let d = diff(&a, &b);
        let f: Vec<(&str, Option<&str>, Option<&str>)> =
            d.iter().map(|c| (c.field.as_str(), c.before.as_deref(), c.after.as_deref())).collect();
        assert_eq!(
            f,
            vec![
                ("active", Some("true"), Some("false")),
                ("config.low", None, Some("2")),
                ("config.max", Some("8"), Some("16")),
                ("config.unit", Some("\"bar\""), None),
            ]
        );
        assert!(diff(&a, &a).is_empty());
    }

    #[test]
    fn values_are_judged_against_their_normal_range() {
        assert_eq!(range_state(2.0, Some(3.0), Some(5.0)), RangeState::Low);
        assert_eq!(range_state(5.5, Some(3.0), Some(5.0)), RangeState::High);
        assert_eq!(range_state(4.0, Some(3.0), Some(5.0)), RangeState::Normal);
        assert_eq!(range_state(4.0, None, None), RangeState::Unranged);
    }
}
