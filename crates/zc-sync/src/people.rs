//! People: each change an admin made here goes to the centre once (by version, naming the
//! centre's version it started from); the centre, the authority, refuses a change to a person
//! it changed since, and the refusal is recorded here with what was dropped. The pull takes
//! everyone of the organisation whose version moved: new people, roles, disables, profiles.

/// A pull's failure: at the centre (asked again at the next sync) or here.
pub use crate::PullError;
use crate::StreamReport;
use crate::failure::{self, FailureKind};
use sqlx::PgPool;
use uuid::Uuid;
use zc_central::people::{Person, PersonPush};
use zc_domain::ZcResult;
use zc_domain::user::{Profile, Role};
use zc_store::{Audit, PEOPLE_STREAM, PersonPulled, PersonRecord, Store};

fn to_central(r: &PersonRecord) -> Option<Person> {
    let p = &r.profile;
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    Some(Person {
        id: Uuid::parse_str(&r.global_id).ok()?,
        username: r.username.clone(),
        role: r.role.as_str().into(),
        disabled: r.disabled,
        display_name: text(&p.display_name),
        company: text(&p.company),
        email: text(&p.email),
        phone: text(&p.phone),
        time_zone: p.timezone.clone(),
        language: p.preferred_language.clone(),
        desktop: r.desktop,
        min_priority: r.min_priority.clone(),
        quiet_from: r.quiet_from.clone(),
        quiet_to: r.quiet_to.clone(),
    })
}

fn from_central(p: &Person) -> PersonRecord {
    let opt = |v: &str| (!v.is_empty()).then(|| v.to_owned());
    PersonRecord {
        global_id: p.id.to_string(),
        username: p.username.clone(),
        role: Role::parse(&p.role).unwrap_or(Role::Operator),
        disabled: p.disabled,
        profile: Profile {
            display_name: opt(&p.display_name),
            company: opt(&p.company),
            email: opt(&p.email),
            phone: opt(&p.phone),
            timezone: p.time_zone.clone(),
            preferred_language: p.language.clone(),
        },
        desktop: p.desktop,
        min_priority: p.min_priority.clone(),
        quiet_from: p.quiet_from.clone(),
        quiet_to: p.quiet_to.clone(),
    }
}

/// Pushes every person whose change the centre lacks; `audit` records what it refused.
pub async fn push(store: &Store, central: &PgPool, audit: &Audit) -> ZcResult<StreamReport> {
    let mut report = StreamReport::new(PEOPLE_STREAM);
    for p in store.people_to_push().await? {
        let Some(person) = to_central(&p.record) else {
            store.record_person_superseded(&p, "no valid global id", audit).await?;
            continue;
        };
        match zc_central::people::push_person(central, &person, p.central_version).await {
            Ok(PersonPush::Stored { version }) => {
                store.record_person_pushed(p.id, p.version, version).await?;
                report.accepted += 1;
                report.batches += 1;
            }
            Ok(PersonPush::Superseded { .. }) => {
                tracing::warn!(user = %p.record.username, "the central store changed this person since; its copy wins");
                store.record_person_superseded(&p, "changed at the central store since", audit).await?;
            }
            Ok(PersonPush::NameTaken) => {
                store
                    .record_person_superseded(&p, "the username is another person's at the central store", audit)
                    .await?;
            }
            Err(e) => {
                let kind = failure::classify(&e);
                let kind = if kind == FailureKind::Rows { FailureKind::Transient } else { kind };
                report.finish = crate::record_failure(store, PEOPLE_STREAM, kind, failure::describe(&e)).await?;
                return Ok(report);
            }
        }
    }
    // Unlocks after the people: a person made here reaches the centre first.
    for (global_id, at) in store.central_unlocks_pending().await? {
        let Ok(id) = Uuid::parse_str(&global_id) else { continue };
        match zc_central::people::unlock_person(central, id, at).await {
            Ok(_) => store.record_central_unlock_sent(&global_id, at).await?,
            // Not a person of the centre's (their change was refused, and recorded so): nothing
            // to unlock there. Any other refusal is asked again.
            Err(sqlx::Error::Database(db)) if db.code().as_deref() == Some("23503") => {
                let e = sqlx::Error::Database(db);
                tracing::warn!(%global_id, "the central store has no such person to unlock: {}", failure::describe(&e));
                store.record_central_unlock_sent(&global_id, at).await?
            }
            Err(e) => {
                let kind = failure::classify(&e);
                let kind = if kind == FailureKind::Rows { FailureKind::Transient } else { kind };
                report.finish = crate::record_failure(store, PEOPLE_STREAM, kind, failure::describe(&e)).await?;
                return Ok(report);
            }
        }
    }
    if report.accepted > 0 {
        store.record_stream_success(PEOPLE_STREAM, report.accepted as i64).await?;
    }
    Ok(report)
}

/// What the pull of people did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PeoplePull {
    pub added: u64,
    pub updated: u64,
    pub kept_local: u64,
}

/// Takes everyone of the organisation whose version moved at the centre.
pub async fn pull(store: &Store, central: &PgPool, audit: &Audit) -> Result<PeoplePull, PullError> {
    let people = zc_central::people::people(central).await.map_err(PullError::Central)?;
    let mut r = PeoplePull::default();
    for c in &people {
        match store.apply_central_person(&from_central(&c.person), c.version, audit).await.map_err(PullError::Local)? {
            PersonPulled::Added => r.added += 1,
            PersonPulled::Updated => r.updated += 1,
            PersonPulled::KeptLocal => r.kept_local += 1,
            PersonPulled::Unchanged => {}
        }
    }
    Ok(r)
}
