//! Connection definitions: each edit reaches the centre once (by settings version), a removal
//! once. They are independent of each other, so one the centre refuses is quarantined alone and
//! the others go on; its history waits (the centre takes history only of connections it has).

use crate::failure::{self, FailureKind};
use crate::{Finish, StreamReport};
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;
use zc_central::series::ConnectionDef;
use zc_domain::ZcResult;
use zc_store::{CONNECTIONS_STREAM, PendingConnection, Store};

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
            Ok(_) => {
                store.record_connection_pushed(p.row.id, p.row.settings_version).await?;
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
