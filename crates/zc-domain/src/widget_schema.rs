//! The widget kinds and the JSON Schema of each kind's configuration. A config is checked against
//! its schema here, in the core, so `zc widget`, the editor and a direct IPC call get the same
//! answer; each problem names the field it is about, so the editor shows it there.
//!
//! The schemas are files (`schemas/widgets/<kind>.schema.json`, JSON Schema 2020-12) so they can
//! be read, published and used by other tools; `x-order` gives the editor's field order.

use crate::error::{ErrorCode, ZcError};
use jsonschema::error::{TypeKind, ValidationErrorKind};
use serde::Serialize;
use serde_json::Value;
use std::sync::OnceLock;

/// The kinds the console displays, with their schema files.
const SCHEMAS: [(&str, &str); 5] = [
    ("value", include_str!("../schemas/widgets/value.schema.json")),
    ("gauge", include_str!("../schemas/widgets/gauge.schema.json")),
    ("trend", include_str!("../schemas/widgets/trend.schema.json")),
    ("lamp", include_str!("../schemas/widgets/lamp.schema.json")),
    ("embed", include_str!("../schemas/widgets/embed.schema.json")),
];

pub const KINDS: [&str; 5] = ["value", "gauge", "trend", "lamp", "embed"];

/// One problem with a widget, at the field it is about: `name`, `kind`, `url`, `config` (the
/// whole document) or `config.<setting>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct FieldError {
    pub field: String,
    pub code: crate::ErrorCode,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: ErrorCode, message: impl Into<String>) -> Self {
        Self { field: field.into(), code, message: message.into() }
    }
    pub fn into_error(self) -> ZcError {
        ZcError::new(self.code, self.message).at_field(self.field)
    }
}

/// How the editor asks for a setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum FieldInput {
    Text,
    Number,
    Integer,
}

/// A setting of a kind, read from its schema, for the editor's form.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct SchemaField {
    pub name: String,
    pub title: String,
    pub description: Option<String>,
    pub input: FieldInput,
    pub required: bool,
    pub minimum: Option<f64>,
    pub maximum: Option<f64>,
}

/// A widget kind as the editor offers it.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct WidgetKindInfo {
    pub kind: String,
    pub title: String,
    pub description: String,
    /// The widget's URL is required (an embedded page), not only allowed.
    pub needs_url: bool,
    pub fields: Vec<SchemaField>,
    /// The JSON Schema itself, as published.
    pub schema: String,
}

struct Kind {
    name: &'static str,
    schema: Value,
    validator: jsonschema::Validator,
}

fn kinds() -> &'static [Kind] {
    static KINDS_COMPILED: OnceLock<Vec<Kind>> = OnceLock::new();
    KINDS_COMPILED.get_or_init(|| {
        SCHEMAS
            .iter()
            .map(|(name, text)| {
                // The schemas ship inside the binary and a unit test compiles each: a failure
                // here is a build defect, not a user's input.
                let schema: Value = serde_json::from_str(text).expect("widget schema is JSON");
                let validator = jsonschema::validator_for(&schema).expect("widget schema compiles");
                Kind { name, schema, validator }
            })
            .collect()
    })
}

fn kind(name: &str) -> Option<&'static Kind> {
    kinds().iter().find(|k| k.name == name)
}

pub fn is_kind(name: &str) -> bool {
    kind(name).is_some()
}

pub fn unknown_kind(name: &str) -> FieldError {
    FieldError::new(
        "kind",
        ErrorCode::InvalidInput,
        format!("'{name}' is not a widget kind; use one of: {}", KINDS.join(", ")),
    )
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn order(schema: &Value) -> Vec<String> {
    schema["x-order"].as_array().into_iter().flatten().filter_map(|v| v.as_str().map(str::to_owned)).collect()
}

pub fn kind_info(name: &str) -> Option<WidgetKindInfo> {
    let k = kind(name)?;
    let s = &k.schema;
    let required: Vec<&str> = s["required"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    let fields = order(s)
        .into_iter()
        .map(|f| {
            let p = &s["properties"][&f];
            SchemaField {
                title: text(p, "title").unwrap_or_else(|| f.clone()),
                description: text(p, "description"),
                input: match p["type"].as_str() {
                    Some("number") => FieldInput::Number,
                    Some("integer") => FieldInput::Integer,
                    _ => FieldInput::Text,
                },
                required: required.contains(&f.as_str()),
                minimum: p["minimum"].as_f64(),
                maximum: p["maximum"].as_f64(),
                name: f,
            }
        })
        .collect();
    Some(WidgetKindInfo {
        kind: name.to_owned(),
        title: text(s, "title").unwrap_or_default(),
        description: text(s, "description").unwrap_or_default(),
        needs_url: name == "embed",
        fields,
        schema: SCHEMAS.iter().find(|(n, _)| *n == name).map(|(_, t)| (*t).to_owned()).unwrap_or_default(),
    })
}

pub fn all_kinds() -> Vec<WidgetKindInfo> {
    KINDS.iter().filter_map(|k| kind_info(k)).collect()
}

fn type_words(t: &TypeKind) -> String {
    let one = |j: &jsonschema::JsonType| match j.to_string().as_str() {
        "number" => "a number".to_owned(),
        "integer" => "a whole number".to_owned(),
        "string" => "text".to_owned(),
        "boolean" => "true or false".to_owned(),
        "object" => "a JSON object".to_owned(),
        other => format!("of type {other}"),
    };
    match t {
        TypeKind::Single(j) => one(j),
        TypeKind::Multiple(set) => set.iter().map(|j| one(&j)).collect::<Vec<_>>().join(" or "),
    }
}

fn num(v: &Value) -> String {
    v.to_string()
}

/// Checks a parsed config (a JSON object) against its kind's schema, then the rules a schema
/// cannot say (a scale's minimum below its maximum, a normal range that is a range).
pub fn check_config(kind_name: &str, config: &Value) -> Vec<FieldError> {
    let Some(k) = kind(kind_name) else { return vec![unknown_kind(kind_name)] };
    let title = text(&k.schema, "title").unwrap_or_else(|| kind_name.to_owned());
    let props = &k.schema["properties"];
    let settings = order(&k.schema).join(", ");
    let mut out = Vec::new();
    for e in k.validator.iter_errors(config) {
        let path: Vec<String> = e.instance_path().segments().map(|s| s.to_string()).collect();
        let at = path.first().cloned();
        let field = at.as_ref().map_or_else(|| "config".to_owned(), |p| format!("config.{p}"));
        let name = at.clone().unwrap_or_default();
        let hint = text(&props[&name], "description").map(|d| format!(" ({d})")).unwrap_or_default();
        let code = ErrorCode::InvalidWidgetConfig;
        match e.kind() {
            ValidationErrorKind::Required { property } => {
                let p = property.as_str().unwrap_or_default();
                let what = text(&props[p], "title").unwrap_or_else(|| p.to_owned());
                let d = text(&props[p], "description").map(|d| format!(": {d}")).unwrap_or_default();
                out.push(FieldError::new(
                    format!("config.{p}"),
                    code,
                    format!("a {} needs '{p}' ({what}{d})", title.to_lowercase()),
                ));
            }
            ValidationErrorKind::AdditionalProperties { unexpected } => {
                for u in unexpected {
                    out.push(FieldError::new(
                        format!("config.{u}"),
                        code,
                        format!("'{u}' is not a setting of a {}; its settings are {settings}", title.to_lowercase()),
                    ));
                }
            }
            ValidationErrorKind::Type { kind } => {
                out.push(FieldError::new(field, code, format!("'{name}' must be {}", type_words(kind))));
            }
            ValidationErrorKind::Minimum { limit } => {
                out.push(FieldError::new(field, code, format!("'{name}' must be at least {}", num(limit))));
            }
            ValidationErrorKind::Maximum { limit } => {
                out.push(FieldError::new(field, code, format!("'{name}' must be at most {}", num(limit))));
            }
            ValidationErrorKind::MinLength { limit: 1 } => {
                out.push(FieldError::new(field, code, format!("'{name}' must not be empty{hint}")));
            }
            ValidationErrorKind::MinLength { limit } => {
                out.push(FieldError::new(field, code, format!("'{name}' needs at least {limit} characters")));
            }
            ValidationErrorKind::MaxLength { limit } => {
                out.push(FieldError::new(field, code, format!("'{name}' may have at most {limit} characters")));
            }
            ValidationErrorKind::Pattern { .. } => {
                out.push(FieldError::new(field, code, format!("'{name}' is not valid{hint}")));
            }
            ValidationErrorKind::AnyOf { .. } if kind_name == "lamp" => {
                out.push(FieldError::new(
                    "config.low",
                    code,
                    "a status lamp needs its normal range: 'low', 'high' or both".to_owned(),
                ));
            }
            _ => out.push(FieldError::new(field, code, format!("{}: {e}", title.to_lowercase()))),
        }
    }
    let n = |key: &str| config.get(key).and_then(Value::as_f64);
    if let (Some(lo), Some(hi)) = (n("min"), n("max"))
        && lo >= hi
    {
        out.push(FieldError::new(
            "config.max",
            ErrorCode::InvalidWidgetConfig,
            format!("'max' ({hi}) must be above 'min' ({lo})"),
        ));
    }
    if let (Some(lo), Some(hi)) = (n("low"), n("high"))
        && lo > hi
    {
        out.push(FieldError::new(
            "config.high",
            ErrorCode::InvalidWidgetConfig,
            format!("'high' ({hi}) must not be below 'low' ({lo})"),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_schema_compiles_and_lists_its_fields_in_order() {
        for k in KINDS {
            let info = kind_info(k).unwrap_or_else(|| panic!("{k} has a schema"));
            let s: Value = serde_json::from_str(&info.schema).unwrap();
            let mut props: Vec<&String> = s["properties"].as_object().unwrap().keys().collect();
            let mut ordered: Vec<&String> = info.fields.iter().map(|f| &f.name).collect();
            props.sort();
            ordered.sort();
            assert_eq!(props, ordered, "{k}: x-order names every property once");
            assert!(!info.title.is_empty() && !info.description.is_empty(), "{k}");
        }
        let gauge = kind_info("gauge").unwrap();
        assert!(gauge.fields.iter().any(|f| f.name == "min" && f.required && f.input == FieldInput::Number));
    }

    #[test]
    fn a_config_that_breaks_its_schema_is_refused_at_the_field() {
        let at = |kind: &str, v: Value| -> Vec<(String, String)> {
            check_config(kind, &v).into_iter().map(|e| (e.field, e.message)).collect()
        };
        assert!(at("gauge", json!({"point": "n.p", "min": 0, "max": 8, "low": 3, "high": 5})).is_empty());
        let e = at("gauge", json!({"point": "n.p", "min": 0}));
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].0, "config.max");
        assert!(e[0].1.contains("a gauge needs 'max'"), "{e:?}");
        let e = at("gauge", json!({"point": "n.p", "min": 0, "max": "16"}));
        assert_eq!(e, vec![("config.max".into(), "'max' must be a number".into())]);
        let e = at("value", json!({"point": "n.p", "mx": 3}));
        assert_eq!(e[0].0, "config.mx");
        assert!(e[0].1.contains("not a setting of a value tile") && e[0].1.contains("point, label"), "{e:?}");
        let e = at("value", json!({"point": "n.p", "decimals": 9}));
        assert_eq!(e, vec![("config.decimals".into(), "'decimals' must be at most 6".into())]);
        let e = at("trend", json!({"point": "n.p", "window": "ten minutes"}));
        assert_eq!(e[0].0, "config.window");
        assert!(e[0].1.contains("e.g. 10m"), "{e:?}");
        let e = at("gauge", json!({"point": "n.p", "min": 5, "max": 1}));
        assert_eq!(e, vec![("config.max".into(), "'max' (1) must be above 'min' (5)".into())]);
        let e = at("lamp", json!({"point": "n.p", "low": 9, "high": 2}));
        assert_eq!(e[0].0, "config.high");
        let e = at("lamp", json!({"point": "n.p"}));
        assert_eq!(e[0].0, "config.low");
        let e = at("value", json!({"point": ""}));
        assert_eq!(e[0].0, "config.point");
        assert!(e[0].1.contains("must not be empty"), "{e:?}");
        assert_eq!(at("pie", json!({}))[0].0, "kind");
    }
}
