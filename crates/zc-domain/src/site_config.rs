//! A site's configuration as one document, for version control and for setting up many
//! stations at once: connections (never their keys) with their widgets and maintenance windows,
//! and the retention policies. JSON or YAML, the same shape. Everything in a document is checked
//! before anything is written, and every problem is reported with its place in the document
//! (`connections[3].widgets[0].config.max`), not only the first.

use crate::connection::{ConnectionKind, ConnectionSpec};
use crate::error::{ErrorCode, ZcError, ZcResult};
use crate::timefmt::{parse_duration_ms, parse_rfc3339_ms, rfc3339};
use crate::widget::WidgetSpec;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};

/// The document version this console reads and writes.
pub const VERSION: u32 = 1;

/// At most this many problems are listed in one refusal (the count says how many more).
pub const SHOWN_PROBLEMS: usize = 20;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteConfig {
    /// The document's format version (1).
    pub version: u32,
    #[serde(default)]
    pub connections: Vec<ConnectionEntry>,
    /// Data kind (`request_metrics`, `status_history`, `activity_log`, ...) → age, e.g. `60d`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub retention: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectionEntry {
    pub name: String,
    pub url: String,
    /// `station` (the Station API, with a key set apart: `zc key set`) or `http`.
    #[serde(default = "station")]
    pub kind: String,
    /// How often it is probed, e.g. `10s` (default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<String>,
    /// Failed probes in a row before it counts as offline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirm: Option<i64>,
    /// Latency above which it counts as degraded, e.g. `1s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub degraded_after: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect_status: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect_keyword: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect_json_field: Option<String>,
    #[serde(default = "empty_object", skip_serializing_if = "is_empty_object")]
    pub metadata: serde_json::Value,
    /// The gateway this connection is reached through (another connection's name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub depends_on: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub widgets: Vec<WidgetEntry>,
    /// Planned maintenance. A window already over when the document is imported is skipped.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub maintenance: Vec<WindowEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WidgetEntry {
    pub name: String,
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default = "yes")]
    pub active: bool,
    /// The kind's settings (`zc widget kinds`).
    #[serde(default = "empty_object")]
    pub config: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowEntry {
    /// RFC 3339, e.g. `2026-12-03T06:00:00Z`.
    pub starts: String,
    pub ends: String,
    pub reason: String,
}

fn station() -> String {
    "station".into()
}
fn yes() -> bool {
    true
}
fn empty_object() -> serde_json::Value {
    serde_json::json!({})
}
fn is_empty_object(v: &serde_json::Value) -> bool {
    v.as_object().is_some_and(|o| o.is_empty())
}

/// One thing wrong with a document, at its place in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub path: String,
    pub message: String,
}

impl Problem {
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self { path: path.into(), message: message.into() }
    }
}

/// The refusal for a document with `problems`: one line naming the first ones, the count, and
/// that nothing was written.
pub fn refusal(problems: &[Problem]) -> ZcError {
    let listed: Vec<String> =
        problems.iter().take(SHOWN_PROBLEMS).map(|p| format!("{}: {}", p.path, p.message)).collect();
    let more = problems.len().saturating_sub(SHOWN_PROBLEMS);
    let tail = if more > 0 { format!("; and {more} more") } else { String::new() };
    let n = problems.len();
    ZcError::new(
        ErrorCode::InvalidDocument,
        format!(
            "the document has {n} problem{}; nothing was written. {}{tail}",
            if n == 1 { "" } else { "s" },
            listed.join("; ")
        ),
    )
}

/// The two formats a document is read and written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocFormat {
    Json,
    Yaml,
}

impl DocFormat {
    /// By a file's extension (`.yaml`, `.yml`); anything else is JSON.
    pub fn for_path(path: &str) -> Self {
        let p = path.to_ascii_lowercase();
        if p.ends_with(".yaml") || p.ends_with(".yml") { DocFormat::Yaml } else { DocFormat::Json }
    }

    /// For text read from stdin: a JSON document starts with `{`.
    pub fn sniff(text: &str) -> Self {
        if text.trim_start().starts_with('{') { DocFormat::Json } else { DocFormat::Yaml }
    }
}

/// Reads a document; a syntax or shape error names where it is.
pub fn parse(text: &str, format: DocFormat) -> ZcResult<SiteConfig> {
    let at = |path: String, e: String| {
        let path = if path == "." || path.is_empty() { "document".to_owned() } else { path };
        refusal(&[Problem::new(path, e)])
    };
    let doc: SiteConfig = match format {
        DocFormat::Json => {
            let mut de = serde_json::Deserializer::from_str(text);
            serde_path_to_error::deserialize(&mut de).map_err(|e| at(e.path().to_string(), e.inner().to_string()))?
        }
        DocFormat::Yaml => {
            let de = serde_yaml_ng::Deserializer::from_str(text);
            serde_path_to_error::deserialize(de).map_err(|e| at(e.path().to_string(), e.inner().to_string()))?
        }
    };
    if doc.version != VERSION {
        return Err(refusal(&[Problem::new(
            "version",
            format!(
                "this console reads version {VERSION} documents, not {}; export again from this console",
                doc.version
            ),
        )]));
    }
    Ok(doc)
}

pub fn render(doc: &SiteConfig, format: DocFormat) -> String {
    match format {
        DocFormat::Json => serde_json::to_string_pretty(doc).unwrap_or_default() + "\n",
        DocFormat::Yaml => serde_yaml_ng::to_string(doc).unwrap_or_default(),
    }
}

/// A duration as the shortest exact text: `10s`, `500ms`, `2m`, `1d`.
pub fn duration_text(ms: i64) -> String {
    for (unit, size) in [("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1_000)] {
        if ms != 0 && ms % size == 0 {
            return format!("{}{unit}", ms / size);
        }
    }
    format!("{ms}ms")
}

/// A connection as the document holds it, with its settings checked.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedConnection {
    pub spec: ConnectionSpec,
    pub depends_on: Option<String>,
    pub widgets: Vec<WidgetSpec>,
    /// `(starts, ends, reason)`, only those not over at `now`.
    pub windows: Vec<(i64, i64, String)>,
    /// Windows skipped because they were already over.
    pub past_windows: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CheckedSite {
    pub connections: Vec<CheckedConnection>,
    /// `(data kind, max age ms)`.
    pub retention: Vec<(String, i64)>,
}

/// Checks everything the document says on its own (names, URLs, settings, widget configs against
/// their schemas, windows, references between its connections). What needs the console's state
/// (a gateway only the console has, a kind change, retention kinds) is checked by the caller.
pub fn check(doc: &SiteConfig, now_ms: i64) -> Result<CheckedSite, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (i, c) in doc.connections.iter().enumerate() {
        let at = format!("connections[{i}]");
        if !seen.insert(c.name.as_str()) {
            problems
                .push(Problem::new(format!("{at}.name"), format!("'{}' appears twice; each connection once", c.name)));
        }
        match check_connection(c, &at, now_ms) {
            Ok(checked) => out.push(checked),
            Err(mut p) => problems.append(&mut p),
        }
    }
    for (i, c) in doc.connections.iter().enumerate() {
        if c.depends_on.as_deref() == Some(c.name.as_str()) {
            problems.push(Problem::new(format!("connections[{i}].depends_on"), "a connection cannot depend on itself"));
        }
    }
    let mut retention = Vec::new();
    for (kind, age) in &doc.retention {
        match parse_duration_ms(age) {
            Ok(ms) if ms >= 86_400_000 => retention.push((kind.clone(), ms)),
            Ok(_) => problems.push(Problem::new(format!("retention.{kind}"), "a retention period must be at least 1d")),
            Err(e) => problems.push(Problem::new(format!("retention.{kind}"), e.message)),
        }
    }
    if problems.is_empty() { Ok(CheckedSite { connections: out, retention }) } else { Err(problems) }
}

fn check_connection(c: &ConnectionEntry, at: &str, now_ms: i64) -> Result<CheckedConnection, Vec<Problem>> {
    let mut problems = Vec::new();
    let kind = ConnectionKind::parse(&c.kind).unwrap_or_else(|e| {
        problems.push(Problem::new(format!("{at}.kind"), e.message));
        ConnectionKind::Station
    });
    let mut spec = ConnectionSpec::new(&c.name, &c.url, kind);
    let mut duration = |field: &str, v: &Option<String>, target: &mut i64| {
        if let Some(text) = v {
            match parse_duration_ms(text) {
                Ok(ms) => *target = ms,
                Err(e) => problems.push(Problem::new(format!("{at}.{field}"), e.message)),
            }
        }
    };
    duration("interval", &c.interval, &mut spec.interval_ms);
    duration("timeout", &c.timeout, &mut spec.timeout_ms);
    duration("degraded_after", &c.degraded_after, &mut spec.degraded_ms);
    if let Some(n) = c.confirm {
        spec.confirm = n;
    }
    if let Some(s) = c.expect_status {
        spec.expect_status = s;
    }
    spec.expect_keyword = c.expect_keyword.clone();
    spec.expect_json_field = c.expect_json_field.clone();
    if !c.metadata.is_object() {
        problems.push(Problem::new(format!("{at}.metadata"), "metadata must be an object, e.g. {site: north}"));
    }
    spec.metadata = c.metadata.to_string();
    let spec = match spec.validate() {
        Ok(s) => Some(s),
        Err(e) => {
            problems.push(Problem::new(at.to_owned(), format!("'{}': {}", c.name, e.message)));
            None
        }
    };
    let mut widgets = Vec::new();
    let mut names = HashSet::new();
    for (j, w) in c.widgets.iter().enumerate() {
        let wat = format!("{at}.widgets[{j}]");
        if !names.insert(w.name.as_str()) {
            problems.push(Problem::new(format!("{wat}.name"), format!("'{}' appears twice on '{}'", w.name, c.name)));
        }
        let ws = WidgetSpec {
            name: w.name.clone(),
            kind: w.kind.clone(),
            url: w.url.clone(),
            active: w.active,
            config: w.config.to_string(),
        };
        let wrong = ws.check();
        if wrong.is_empty() {
            match ws.validate() {
                Ok(ws) => widgets.push(ws),
                Err(e) => problems.push(Problem::new(wat, e.message)),
            }
        } else {
            problems.extend(wrong.into_iter().map(|f| Problem::new(format!("{wat}.{}", f.field), f.message)));
        }
    }
    let mut windows = Vec::new();
    let mut past_windows = 0;
    for (j, m) in c.maintenance.iter().enumerate() {
        let mat = format!("{at}.maintenance[{j}]");
        let (Some(s), Some(e)) = (parse_rfc3339_ms(&m.starts), parse_rfc3339_ms(&m.ends)) else {
            problems.push(Problem::new(mat, "starts and ends must be RFC 3339 times, e.g. 2026-12-03T06:00:00Z"));
            continue;
        };
        if e <= s {
            problems.push(Problem::new(format!("{mat}.ends"), "a maintenance window must end after it starts"));
        } else if m.reason.trim().is_empty() {
            problems.push(Problem::new(format!("{mat}.reason"), "a maintenance window needs a reason"));
        } else if e <= now_ms {
            past_windows += 1;
        } else {
            windows.push((s, e, m.reason.trim().to_owned()));
        }
    }
    match spec {
        Some(spec) if problems.is_empty() => {
            Ok(CheckedConnection { spec, depends_on: c.depends_on.clone(), widgets, windows, past_windows })
        }
        _ => Err(problems),
    }
}

/// A window as the document writes it.
pub fn window_entry(starts: i64, ends: i64, reason: &str) -> WindowEntry {
    WindowEntry { starts: rfc3339(starts), ends: rfc3339(ends), reason: reason.to_owned() }
}

/// A connection's settings as the document writes them: every setting, defaults included, so a
/// document says exactly what a console runs.
pub fn connection_entry(spec: &ConnectionSpec, depends_on: Option<String>) -> ConnectionEntry {
    let http = spec.kind == ConnectionKind::Http;
    ConnectionEntry {
        name: spec.name.clone(),
        url: spec.url.clone(),
        kind: spec.kind.as_str().to_owned(),
        interval: Some(duration_text(spec.interval_ms)),
        timeout: Some(duration_text(spec.timeout_ms)),
        confirm: Some(spec.confirm),
        degraded_after: Some(duration_text(spec.degraded_ms)),
        expect_status: http.then_some(spec.expect_status),
        expect_keyword: spec.expect_keyword.clone(),
        expect_json_field: spec.expect_json_field.clone(),
        metadata: serde_json::from_str(&spec.metadata).unwrap_or_else(|_| empty_object()),
        depends_on,
        widgets: Vec::new(),
        maintenance: Vec::new(),
    }
}

pub fn widget_entry(w: &WidgetSpec) -> WidgetEntry {
    WidgetEntry {
        name: w.name.clone(),
        kind: w.kind.clone(),
        url: w.url.clone(),
        active: w.active,
        config: serde_json::from_str(&w.config).unwrap_or_else(|_| empty_object()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"
version: 1
connections:
  - name: north-1
    url: http://10.0.4.17:8080
    interval: 2s
    widgets:
      - name: pressure
        kind: gauge
        config: {point: north-1.pressure-1, min: 0, max: 8}
  - name: pump-3
    url: http://10.0.4.18/health
    kind: http
    depends_on: north-1
    maintenance:
      - {starts: "2026-12-03T06:00:00Z", ends: "2026-12-03T08:00:00Z", reason: valve}
      - {starts: "2020-01-01T06:00:00Z", ends: "2020-01-01T08:00:00Z", reason: old}
retention:
  request_metrics: 60d
"#;
    const NOW: i64 = 1_796_000_000_000; // 2026-11-30

    #[test]
    fn a_yaml_document_reads_and_checks() {
        let doc = parse(DOC, DocFormat::Yaml).unwrap();
        let site = check(&doc, NOW).unwrap();
        assert_eq!(site.connections[0].spec.interval_ms, 2_000);
        assert_eq!(site.connections[0].widgets[0].kind, "gauge");
        assert_eq!(site.connections[1].windows.len(), 1);
        assert_eq!(site.connections[1].past_windows, 1);
        assert_eq!(site.retention, vec![("request_metrics".into(), 60 * 86_400_000)]);
        // Rendered and read back, in both formats, it is the same document.
        for f in [DocFormat::Json, DocFormat::Yaml] {
            assert_eq!(parse(&render(&doc, f), f).unwrap(), doc);
        }
    }

    #[test]
    fn every_problem_is_named_at_its_place() {
        let bad = DOC
            .replace("max: 8", "max: eight")
            .replace("interval: 2s", "interval: often")
            .replace("kind: http", "kind: modbus");
        let p = check(&parse(&bad, DocFormat::Yaml).unwrap(), NOW).unwrap_err();
        let paths: Vec<&str> = p.iter().map(|p| p.path.as_str()).collect();
        assert!(paths.contains(&"connections[0].interval"), "{p:?}");
        assert!(paths.contains(&"connections[0].widgets[0].config.max"), "{p:?}");
        assert!(paths.contains(&"connections[1].kind"), "{p:?}");
        let e = refusal(&p);
        assert_eq!(e.code, ErrorCode::InvalidDocument);
        assert!(e.message.contains("nothing was written"), "{}", e.message);
    }

    #[test]
    fn a_misspelt_setting_is_refused_with_its_path() {
        let e = parse(&DOC.replace("interval: 2s", "intervall: 2s"), DocFormat::Yaml).unwrap_err();
        assert!(e.message.contains("connections[0]") && e.message.contains("intervall"), "{}", e.message);
        let e = parse(r#"{"version": 2}"#, DocFormat::Json).unwrap_err();
        assert!(e.message.contains("version: this console reads version 1"), "{}", e.message);
    }

    #[test]
    fn durations_are_written_in_their_shortest_exact_unit() {
        assert_eq!(duration_text(10_000), "10s");
        assert_eq!(duration_text(500), "500ms");
        assert_eq!(duration_text(120_000), "2m");
        assert_eq!(duration_text(86_400_000), "1d");
        assert_eq!(duration_text(1_500), "1500ms");
    }
}
