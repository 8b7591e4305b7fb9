//! Widget configurations both ways. Push: each edit names the centre's version it started
//! from, and the centre stores it, merges it with its own changes to other fields (this console
//! takes the merge and says so), or answers a conflict (held here until a person resolves it);
//! a refusal (a widget removed at the centre, a name taken there) is quarantined alone. Pull:
//! the site's widgets whose version moved are fetched and taken, except where this console has
//! an edit the centre lacks.

pub use crate::PullError;
use crate::failure::{self, FailureKind};
use crate::{Finish, StreamReport};
use sqlx::PgPool;
use uuid::Uuid;
use zc_central::widgets::{WidgetEdit, WidgetPush};
use zc_domain::ZcResult;
use zc_domain::widget_merge::{FieldConflict, field_value};
use zc_store::{Audit, PullOutcome, PulledWidget, Store, WIDGETS_STREAM};

/// What one pull did, by outcome.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PullReport {
    pub added: u64,
    pub updated: u64,
    pub removed: u64,
    /// Kept because this console has an edit the centre lacks (the push decides).
    pub kept_local: u64,
    /// Waiting: their connection is not here, or a widget here has their name.
    pub waiting: u64,
}

/// Pushes every pending widget edit and removal; `audit` is the console's own (merges and
/// conflicts are recorded as what the console found).
pub async fn push(store: &Store, central: &PgPool, audit: &Audit) -> ZcResult<StreamReport> {
    let mut report = StreamReport::new(WIDGETS_STREAM);
    for p in store.widgets_to_push().await? {
        let (Ok(id), Ok(connection_id)) = (Uuid::parse_str(&p.global_id), Uuid::parse_str(&p.connection_global_id))
        else {
            store
                .quarantine(
                    WIDGETS_STREAM,
                    p.id,
                    "invalid",
                    &format!("widget '{}' has no valid global id", p.spec.name),
                )
                .await?;
            continue;
        };
        let edit = WidgetEdit {
            id,
            connection_id,
            spec: p.spec.clone(),
            base_version: p.central_version,
            changed_by: p.edited_by.as_deref().map_or_else(|| audit.actor.clone(), |u| format!("user:{u}")),
            changed_at_ms: p.edited_at,
        };
        match zc_central::widgets::push(central, &edit).await {
            Ok(WidgetPush::Stored { version }) => {
                store.record_widget_stored(p.id, p.version, version).await?;
                report.accepted += 1;
            }
            Ok(WidgetPush::Merged { version, spec, base, central: before, from_central }) => {
                let fields: Vec<FieldConflict> = from_central
                    .iter()
                    .map(|f| FieldConflict {
                        field: f.clone(),
                        base: field_value(&base, f),
                        local: field_value(&p.spec, f),
                        central: field_value(&before.spec, f),
                    })
                    .collect();
                store
                    .record_widget_merged(
                        &p,
                        &spec,
                        version,
                        &before.updated_by,
                        edit.base_version.unwrap_or(1),
                        &base,
                        &before.spec,
                        &fields,
                        audit,
                    )
                    .await?;
                report.accepted += 1;
            }
            Ok(WidgetPush::Conflict { base_version, base, central: c, conflicts }) => {
                store
                    .record_widget_conflict(
                        &p,
                        base_version,
                        &base,
                        c.version,
                        &c.updated_by,
                        &c.spec,
                        &conflicts,
                        audit,
                    )
                    .await?;
            }
            Ok(WidgetPush::Removed { by, at_ms }) => {
                let detail = format!(
                    "widget '{}' of '{}' was removed at the central store by {by} ({}); this console's edit was not stored there: give it up to remove it here too, or add it again as a new widget",
                    p.spec.name,
                    p.connection,
                    zc_domain::timefmt::rfc3339(at_ms)
                );
                store.quarantine(WIDGETS_STREAM, p.id, "removed_centrally", &detail).await?;
            }
            Err(e) => match failure::classify(&e) {
                FailureKind::Rows => {
                    let message = refusal(&p.spec.name, &p.connection, &e);
                    tracing::warn!("{message}");
                    store.quarantine(WIDGETS_STREAM, p.id, "refused", &message).await?;
                }
                kind => {
                    report.finish = crate::record_failure(store, WIDGETS_STREAM, kind, failure::describe(&e)).await?;
                    return Ok(report);
                }
            },
        }
        report.batches += 1;
    }
    for r in store.removals_to_push(WIDGETS_STREAM).await? {
        let Ok(id) = Uuid::parse_str(&r.global_id) else {
            store.record_removal_pushed(r.id).await?;
            continue;
        };
        match zc_central::widgets::remove(central, id, &audit.actor, r.removed_at).await {
            Ok(()) => {
                store.record_removal_pushed(r.id).await?;
                report.accepted += 1;
                report.batches += 1;
            }
            Err(e) => {
                report.finish =
                    crate::record_failure(store, WIDGETS_STREAM, failure::classify(&e), failure::describe(&e)).await?;
                return Ok(report);
            }
        }
    }
    if report.accepted > 0 {
        store.record_stream_success(WIDGETS_STREAM, report.accepted as i64).await?;
    }
    if let Some(first) = store.quarantined().await?.into_iter().find(|q| q.stream == WIDGETS_STREAM) {
        report.finish = Finish::Held { seq: first.first_seq };
    }
    Ok(report)
}

/// What a person reads when the centre refuses a widget: the name taken there says so plainly.
fn refusal(widget: &str, connection: &str, e: &sqlx::Error) -> String {
    if let sqlx::Error::Database(db) = e
        && db.code().as_deref() == Some("23505")
    {
        return format!(
            "another console added a widget named '{widget}' to '{connection}' first: the central store keeps one widget of a name per connection; rename this one and it goes again"
        );
    }
    format!("widget '{widget}' of '{connection}': {}", failure::describe(e))
}

/// Takes what moved at the centre. Asks for every version first (small), then only the widgets
/// whose version differs from this console's copy.
pub async fn pull(store: &Store, central: &PgPool, audit: &Audit) -> Result<PullReport, PullError> {
    let heads = zc_central::widgets::heads(central).await.map_err(PullError::Central)?;
    let here = store.widget_central_versions().await.map_err(PullError::Local)?;
    let moved: Vec<Uuid> = heads
        .into_iter()
        .filter(|(id, v)| here.get(&id.to_string()).is_none_or(|at| *at != Some(*v)))
        .map(|(id, _)| id)
        .collect();
    let mut report = PullReport::default();
    for chunk in moved.chunks(200) {
        for w in zc_central::widgets::fetch(central, chunk).await.map_err(PullError::Central)? {
            let pw = PulledWidget {
                global_id: w.id.to_string(),
                connection_global_id: w.connection_id.to_string(),
                spec: w.spec,
                version: w.version,
                deleted: w.deleted,
                updated_by: w.updated_by,
            };
            match store.apply_pulled_widget(&pw, audit).await.map_err(PullError::Local)? {
                PullOutcome::Added => report.added += 1,
                PullOutcome::Updated => report.updated += 1,
                PullOutcome::Removed => report.removed += 1,
                PullOutcome::Unchanged => {}
                PullOutcome::KeptLocalEdit => report.kept_local += 1,
                PullOutcome::NoConnection | PullOutcome::NameTaken => report.waiting += 1,
            }
        }
    }
    Ok(report)
}
