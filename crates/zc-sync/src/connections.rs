//! Connection definitions both ways. Push: each edit reaches the centre once (by settings
//! version), a removal once. They are independent of each other, so one the centre refuses is
//! quarantined alone and the others go on; its history waits (the centre takes history only of
//! connections it has). Pull: what other consoles of the site added, changed or removed, except
//! where this console has an edit the centre lacks (its push replaces the centre's copy: for a
//! connection definition the last writer wins; widgets merge field by field).

use crate::failure::{self, FailureKind};
use crate::{Finish, PullError, StreamReport};
use serde_json::{Value, json};
use sqlx::PgPool;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;
use zc_central::series::{CentralConnection, ConnectionDef};
use zc_domain::connection::ConnectionSpec;
use zc_domain::{ConnectionKind, ZcResult};
use zc_store::{Audit, CONNECTIONS_STREAM, PendingConnection, PullOutcome, PulledConnection, Store};

/// The definition the centre keeps: everything the form holds but the name and URL, never a
/// key (keys live in the keyring; a private CA file is this console's own path).
fn definition(p: &PendingConnection, by: &str) -> Result<ConnectionDef, String> {
    let id =
        Uuid::parse_str(&p.global_id).map_err(|_| format!("connection {} has no valid global id", p.row.spec.name))?;
    let spec = &p.row.spec;
    let metadata: serde_json::Value = serde_json::from_str(&spec.metadata).unwrap_or_else(|_| json!({}));
    let settings = json!({
        "kind": spec.kind,
        "metadata": metadata,
        "interval_ms": spec.interval_ms,
        "timeout_ms": spec.timeout_ms,
        "confirm": spec.confirm,
        "degraded_ms": spec.degraded_ms,
        "expect_status": spec.expect_status,
        "expect_keyword": spec.expect_keyword,
        "expect_json_field": spec.expect_json_field,
        "depends_on": p.depends_on,
        "tls_pin_sha256": p.row.tls_pin_sha256,
    });
    Ok(ConnectionDef {
        id,
        name: spec.name.clone(),
        url: spec.url.clone(),
        settings: settings.to_string(),
        updated_by: by.to_owned(),
    })
}

/// Pushes every changed definition and every removal; `by` names who changed them for the
/// centre (this console).
pub async fn push(store: &Store, central: &PgPool, by: &str) -> ZcResult<StreamReport> {
    let mut report = StreamReport::new(CONNECTIONS_STREAM);
    let held: Vec<i64> = store
        .quarantined()
        .await?
        .into_iter()
        .filter(|q| q.stream == CONNECTIONS_STREAM)
        .map(|q| q.first_seq)
        .collect();
    let refuse =
        async |id: i64, reason: &str, detail: &str| store.quarantine(CONNECTIONS_STREAM, id, reason, detail).await;
    for p in store.connections_to_push().await? {
        if held.contains(&p.row.id) {
            continue;
        }
        let def = match definition(&p, by) {
            Ok(def) => def,
            Err(detail) => {
                refuse(p.row.id, "invalid", &detail).await?;
                continue;
            }
        };
        match zc_central::series::put_connection(central, &def).await {
            Ok(central_version) => {
                store.record_connection_pushed(p.row.id, p.row.settings_version, central_version).await?;
                report.accepted += 1;
                report.batches += 1;
            }
            Err(e) => match failure::classify(&e) {
                FailureKind::Rows => {
                    let message = format!("connection '{}': {}", p.row.spec.name, failure::describe(&e));
                    tracing::warn!("{message}");
                    refuse(p.row.id, "refused", &message).await?;
                }
                kind => {
                    report.finish =
                        crate::record_failure(store, CONNECTIONS_STREAM, kind, failure::describe(&e)).await?;
                    return Ok(report);
                }
            },
        }
    }
    for r in store.removals_to_push(CONNECTIONS_STREAM).await? {
        let Ok(id) = Uuid::parse_str(&r.global_id) else {
            store.record_removal_pushed(r.id).await?;
            continue;
        };
        match zc_central::series::remove_connection(central, id, r.removed_at, by).await {
            Ok(()) => {
                store.record_removal_pushed(r.id).await?;
                report.accepted += 1;
                report.batches += 1;
            }
            Err(e) => {
                let kind = failure::classify(&e);
                report.finish = crate::record_failure(store, CONNECTIONS_STREAM, kind, failure::describe(&e)).await?;
                return Ok(report);
            }
        }
    }
    if report.accepted > 0 {
        store.record_stream_success(CONNECTIONS_STREAM, report.accepted as i64).await?;
    }
    if let Some(first) = store.quarantined().await?.into_iter().find(|q| q.stream == CONNECTIONS_STREAM) {
        report.finish = Finish::Held { seq: first.first_seq };
    }
    Ok(report)
}

/// The definition back from the centre's form (the inverse of [`definition`]), checked as a
/// form here would check it: a definition this console would refuse is not taken.
fn pulled(c: &CentralConnection) -> Result<PulledConnection, String> {
    let settings: Value = serde_json::from_str(&c.def.settings).map_err(|e| format!("unreadable settings: {e}"))?;
    let text = |k: &str| settings.get(k).and_then(Value::as_str).map(str::to_owned);
    let num = |k: &str, default: i64| settings.get(k).and_then(Value::as_i64).unwrap_or(default);
    let kind = ConnectionKind::parse(&text("kind").unwrap_or_else(|| "http".into())).map_err(|e| e.to_string())?;
    let base = ConnectionSpec::new(&c.def.name, &c.def.url, kind);
    let spec = ConnectionSpec {
        metadata: settings.get("metadata").map_or_else(|| "{}".into(), Value::to_string),
        interval_ms: num("interval_ms", base.interval_ms),
        timeout_ms: num("timeout_ms", base.timeout_ms),
        confirm: num("confirm", base.confirm),
        degraded_ms: num("degraded_ms", base.degraded_ms),
        expect_status: num("expect_status", base.expect_status),
        expect_keyword: text("expect_keyword"),
        expect_json_field: text("expect_json_field"),
        ..base
    }
    .validate()
    .map_err(|e| e.to_string())?;
    Ok(PulledConnection {
        global_id: c.def.id.to_string(),
        spec,
        depends_on: text("depends_on"),
        tls_pin_sha256: text("tls_pin_sha256"),
        version: c.version,
        deleted: c.deleted,
        updated_by: c.def.updated_by.clone(),
    })
}

/// Gateways before the connections that depend on them, so both arrive in one pull; a loop
/// (two consoles' edits together) is broken where it closes.
fn gateways_first(all: Vec<PulledConnection>) -> Vec<PulledConnection> {
    let by_id: HashMap<String, usize> = all.iter().enumerate().map(|(i, p)| (p.global_id.clone(), i)).collect();
    let mut placed = HashSet::new();
    let mut order = Vec::with_capacity(all.len());
    for start in 0..all.len() {
        let mut chain = Vec::new();
        let mut at = Some(start);
        while let Some(i) = at.filter(|i| !placed.contains(i) && !chain.contains(i)) {
            chain.push(i);
            at = all[i].depends_on.as_ref().and_then(|g| by_id.get(g)).copied();
        }
        for i in chain.into_iter().rev() {
            placed.insert(i);
            order.push(i);
        }
    }
    let mut slots: Vec<Option<PulledConnection>> = all.into_iter().map(Some).collect();
    order.into_iter().filter_map(|i| slots[i].take()).collect()
}

/// What one pull of connection definitions did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConnectionsPull {
    pub added: u64,
    pub updated: u64,
    /// Local ids of connections removed here because the centre removed them: their keys are
    /// the caller's to delete from the keyring.
    pub removed: Vec<i64>,
    /// Kept because this console has an edit (or history) the centre lacks: the push decides.
    pub kept_local: u64,
    /// Waiting: a connection here has their name, or this console would refuse the definition.
    pub waiting: u64,
}

/// Whether this process has not yet warned of refusing version `version` of `name`.
fn first_refusal(name: &str, version: i64) -> bool {
    static WARNED: std::sync::Mutex<Option<HashSet<(String, i64)>>> = std::sync::Mutex::new(None);
    let mut warned = WARNED.lock().unwrap_or_else(|e| e.into_inner());
    warned.get_or_insert_with(HashSet::new).insert((name.to_owned(), version))
}

/// Takes what moved at the centre among the site's connection definitions.
pub async fn pull(store: &Store, central: &PgPool, audit: &Audit) -> Result<ConnectionsPull, PullError> {
    let all = zc_central::series::site_connections(central).await.map_err(PullError::Central)?;
    let mut report = ConnectionsPull::default();
    let mut taken = Vec::with_capacity(all.len());
    for c in &all {
        match pulled(c) {
            Ok(p) => taken.push(p),
            Err(why) => {
                // Once per version in this process, not at every pull (every 30 s): the
                // report's `waiting` still counts it each time.
                if first_refusal(&c.def.name, c.version) {
                    tracing::warn!(connection = %c.def.name, version = c.version, "the centre's definition is not taken here: {why}");
                }
                report.waiting += 1;
            }
        }
    }
    for p in gateways_first(taken) {
        let done = store.apply_pulled_connection(&p, audit).await.map_err(PullError::Local)?;
        match done.outcome {
            PullOutcome::Added => report.added += 1,
            PullOutcome::Updated => report.updated += 1,
            PullOutcome::Removed => report.removed.extend(done.id),
            PullOutcome::Unchanged => {}
            PullOutcome::KeptLocalEdit => report.kept_local += 1,
            PullOutcome::NoConnection | PullOutcome::NameTaken => report.waiting += 1,
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_definition_is_warned_of_once_per_version() {
        assert!(first_refusal("pump-7", 3));
        assert!(!first_refusal("pump-7", 3), "not again at the next pull");
        assert!(first_refusal("pump-7", 4), "a new version is news");
        assert!(first_refusal("pump-8", 3));
    }

    fn def(id: &str, depends_on: Option<&str>) -> PulledConnection {
        PulledConnection {
            global_id: id.into(),
            spec: ConnectionSpec::new(id, "http://127.0.0.1:9/", ConnectionKind::Http),
            depends_on: depends_on.map(str::to_owned),
            tls_pin_sha256: None,
            version: 1,
            deleted: false,
            updated_by: "c".into(),
        }
    }

    fn ids(v: &[PulledConnection]) -> Vec<&str> {
        v.iter().map(|p| p.global_id.as_str()).collect()
    }

    #[test]
    fn gateways_come_before_what_depends_on_them() {
        let order = gateways_first(vec![def("leaf", Some("mid")), def("mid", Some("root")), def("root", None)]);
        assert_eq!(ids(&order), ["root", "mid", "leaf"]);
    }

    #[test]
    fn a_loop_and_an_absent_gateway_still_give_every_connection_once() {
        let order = gateways_first(vec![def("a", Some("b")), def("b", Some("a")), def("c", Some("elsewhere"))]);
        let mut seen = ids(&order);
        seen.sort();
        assert_eq!(seen, ["a", "b", "c"]);
    }

    #[test]
    fn the_centres_form_reads_back_as_the_definition_pushed() {
        let mut spec = ConnectionSpec::new("north-1", "http://127.0.0.1:9/status", ConnectionKind::Station);
        spec.interval_ms = 2500;
        spec.expect_keyword = Some("ok".into());
        spec.metadata = r#"{"area":"north"}"#.into();
        let spec = spec.validate().unwrap();
        let pending = PendingConnection {
            global_id: Uuid::now_v7().to_string(),
            depends_on: Some(Uuid::now_v7().to_string()),
            row: zc_store::ConnectionRow {
                id: 1,
                spec: spec.clone(),
                status: zc_domain::Status::Unknown,
                status_since: 0,
                last_contact_at: None,
                last_accessed_at: None,
                key_validated: None,
                key_last_validated_at: None,
                key_validation_error: None,
                usage_count: 0,
                last_used_at: None,
                settings_version: 1,
                depends_on: None,
                tls_ca_file: None,
                tls_pin_sha256: None,
                tls_seen_sha256: None,
                tls_not_after: None,
                tls_subject: None,
                created_at: 0,
                updated_at: 0,
            },
        };
        let def = definition(&pending, "console").unwrap();
        let back = pulled(&CentralConnection { def, version: 3, deleted: false }).unwrap();
        assert_eq!(back.spec, spec);
        assert_eq!(back.depends_on, pending.depends_on);
        assert_eq!(back.version, 3);
    }
}
