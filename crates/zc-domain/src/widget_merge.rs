//! Three-way merge of a widget edited offline: the version the edit started from (base), this
//! console's edit (local) and what the centre holds now (central). A field is the name, kind,
//! URL, active flag, or one top-level config setting (`config.<name>`). A field changed on one
//! side only takes that side; changed on both to the same value, that value; changed on both
//! differently, it is a conflict that a person resolves. Nothing is decided by time or by who
//! pushed first.

use crate::error::{ErrorCode, ZcError, ZcResult};
use crate::widget::WidgetSpec;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// One field both sides changed differently; values are JSON text, None where absent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct FieldConflict {
    pub field: String,
    pub base: Option<String>,
    pub local: Option<String>,
    pub central: Option<String>,
}

/// Which side a person keeps for a conflicting field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Local,
    Central,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Merge {
    /// Every field merged; a conflicting field holds the centre's value until resolved.
    pub spec: WidgetSpec,
    pub conflicts: Vec<FieldConflict>,
    /// Fields the centre changed that the merge took (what the admin is told changed).
    pub from_central: Vec<String>,
}

type Fields = BTreeMap<String, Value>;

fn fields(s: &WidgetSpec) -> Fields {
    let mut f = Fields::new();
    f.insert("name".into(), Value::String(s.name.clone()));
    f.insert("kind".into(), Value::String(s.kind.clone()));
    if let Some(u) = &s.url {
        f.insert("url".into(), Value::String(u.clone()));
    }
    f.insert("active".into(), Value::Bool(s.active));
    if let Ok(Value::Object(m)) = serde_json::from_str::<Value>(&s.config) {
        for (k, v) in m {
            f.insert(format!("config.{k}"), v);
        }
    }
    f
}

fn spec_of(f: &Fields) -> WidgetSpec {
    let text = |k: &str| f.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
    let mut config = Map::new();
    for (k, v) in f {
        if let Some(name) = k.strip_prefix("config.") {
            config.insert(name.to_owned(), v.clone());
        }
    }
    WidgetSpec {
        name: text("name"),
        kind: text("kind"),
        url: f.get("url").and_then(Value::as_str).map(str::to_owned),
        active: f.get("active").and_then(Value::as_bool).unwrap_or(true),
        config: Value::Object(config).to_string(),
    }
}

fn shown(v: Option<&Value>) -> Option<String> {
    v.map(Value::to_string)
}

/// One field's value as JSON text (None: absent), as the conflict screen shows it.
pub fn field_value(s: &WidgetSpec, field: &str) -> Option<String> {
    shown(fields(s).get(field))
}

/// Whether two specs say the same, field by field (config key order and spacing aside).
pub fn same(a: &WidgetSpec, b: &WidgetSpec) -> bool {
    fields(a) == fields(b)
}

/// Merges `local` and `central`, both descended from `base`.
pub fn merge(base: &WidgetSpec, local: &WidgetSpec, central: &WidgetSpec) -> Merge {
    let (b, l, c) = (fields(base), fields(local), fields(central));
    let names: BTreeSet<&String> = b.keys().chain(l.keys()).chain(c.keys()).collect();
    let mut out = Fields::new();
    let mut conflicts = Vec::new();
    let mut from_central = Vec::new();
    for name in names {
        let (bv, lv, cv) = (b.get(name), l.get(name), c.get(name));
        let chosen = if lv == bv {
            if cv != bv {
                from_central.push(name.clone());
            }
            cv
        } else if cv == bv || cv == lv {
            lv
        } else {
            conflicts.push(FieldConflict {
                field: name.clone(),
                base: shown(bv),
                local: shown(lv),
                central: shown(cv),
            });
            cv
        };
        if let Some(v) = chosen {
            out.insert(name.clone(), v.clone());
        }
    }
    Merge { spec: spec_of(&out), conflicts, from_central }
}

/// The widget once a person has chosen a side for every conflicting field: the merge with
/// those choices applied, checked like any save. A conflict left without a choice, or a choice
/// for a field that is not in conflict, is refused and nothing is decided.
pub fn resolve(
    base: &WidgetSpec,
    local: &WidgetSpec,
    central: &WidgetSpec,
    choices: &BTreeMap<String, Side>,
) -> ZcResult<WidgetSpec> {
    let m = merge(base, local, central);
    let open: Vec<&str> =
        m.conflicts.iter().filter(|c| !choices.contains_key(&c.field)).map(|c| c.field.as_str()).collect();
    if !open.is_empty() {
        return Err(ZcError::new(
            ErrorCode::InvalidInput,
            format!("choose this console's or the centre's value for {}; nothing was saved", open.join(", ")),
        ));
    }
    if let Some(extra) = choices.keys().find(|k| !m.conflicts.iter().any(|c| &c.field == *k)) {
        return Err(ZcError::new(
            ErrorCode::InvalidInput,
            format!("'{extra}' is not in conflict (it merged by itself); choose only among the conflicting fields"),
        ));
    }
    let mut f = fields(&m.spec);
    let l = fields(local);
    for (field, side) in choices {
        if *side == Side::Local {
            match l.get(field) {
                Some(v) => f.insert(field.clone(), v.clone()),
                None => f.remove(field),
            };
        }
    }
    spec_of(&f).validate()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gauge(name: &str, config: &str) -> WidgetSpec {
        WidgetSpec { name: name.into(), kind: "gauge".into(), url: None, active: true, config: config.into() }
    }

    #[test]
    fn changes_to_different_fields_merge_and_say_what_the_centre_changed() {
        let base = gauge("Pressure", r#"{"point":"p1","min":0,"max":16,"unit":"bar"}"#);
        let local = gauge("Pressure", r#"{"point":"p1","min":0,"max":20,"unit":"bar"}"#);
        let central = gauge("Inlet pressure", r#"{"point":"p1","min":0,"max":16,"unit":"kPa"}"#);
        let m = merge(&base, &local, &central);
        assert!(m.conflicts.is_empty(), "{:?}", m.conflicts);
        assert_eq!(m.spec.name, "Inlet pressure");
        let v: Value = serde_json::from_str(&m.spec.config).unwrap();
        assert_eq!(v["max"], 20);
        assert_eq!(v["unit"], "kPa");
        assert_eq!(m.from_central, ["config.unit", "name"]);
    }

    #[test]
    fn the_same_field_changed_differently_is_a_conflict_and_the_same_change_is_not() {
        let base = gauge("P", r#"{"point":"p1","max":16}"#);
        let local = gauge("P", r#"{"point":"p1","max":25,"unit":"bar"}"#);
        let central = gauge("P", r#"{"point":"p1","max":20,"unit":"bar"}"#);
        let m = merge(&base, &local, &central);
        assert_eq!(
            m.conflicts,
            [FieldConflict {
                field: "config.max".into(),
                base: Some("16".into()),
                local: Some("25".into()),
                central: Some("20".into()),
            }]
        );
        // Until resolved the centre's value stands; the unit both added is no conflict.
        let v: Value = serde_json::from_str(&m.spec.config).unwrap();
        assert_eq!((v["max"].clone(), v["unit"].clone()), (20.into(), "bar".into()));
        // A removal on one side and an edit on the other is a conflict too.
        let gone = gauge("P", r#"{"point":"p1"}"#);
        assert_eq!(merge(&base, &gone, &central).conflicts[0].local, None);
    }

    #[test]
    fn a_resolution_needs_a_choice_for_every_conflict_and_is_checked() {
        let base = gauge("P", r#"{"point":"p1","min":0,"max":16}"#);
        let local = gauge("P", r#"{"point":"p1","min":0,"max":25}"#);
        let central = gauge("P", r#"{"point":"p2","min":0,"max":20}"#);
        let none = BTreeMap::new();
        let e = resolve(&base, &local, &central, &none).unwrap_err();
        assert!(e.message.contains("config.max"), "{}", e.message);
        let mine = BTreeMap::from([("config.max".to_owned(), Side::Local)]);
        let r = resolve(&base, &local, &central, &mine).unwrap();
        let v: Value = serde_json::from_str(&r.config).unwrap();
        assert_eq!((v["max"].clone(), v["point"].clone()), (25.into(), "p2".into()));
        let theirs = BTreeMap::from([("config.max".to_owned(), Side::Central)]);
        let v: Value = serde_json::from_str(&resolve(&base, &local, &central, &theirs).unwrap().config).unwrap();
        assert_eq!(v["max"], 20);
        let stray = BTreeMap::from([("config.max".to_owned(), Side::Local), ("name".to_owned(), Side::Local)]);
        assert!(resolve(&base, &local, &central, &stray).unwrap_err().message.contains("'name'"));
        // A choice that makes an invalid widget is refused like any save.
        let bad_local = gauge("P", r#"{"point":"p1","min":0,"max":"high"}"#);
        assert!(resolve(&base, &bad_local, &central, &mine).is_err());
    }
}
