//! The activity log as the console shows it: filtered by time, actor, action and resource, with
//! the chain's verification status beside it.

use crate::App;
use serde::{Deserialize, Serialize};
use zc_domain::Capability;
use zc_domain::ZcResult;
use zc_domain::activity::{ActivityEntry, VerifyReport};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct ActivityFilter {
    pub since: i64,
    pub until: Option<i64>,
    /// Substrings, case-insensitive; empty or None matches everything.
    pub actor: Option<String>,
    pub action: Option<String>,
    pub resource: Option<String>,
    pub limit: i64,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ActivityView {
    /// Newest first.
    pub entries: Vec<ActivityEntry>,
    /// Entries in the window before the filters (so "12 of 3,400" can be said).
    pub scanned: usize,
    pub verify: VerifyReport,
}

/// Entries read per request at most.
const MAX_SCAN: i64 = 50_000;

fn matches(field: &str, want: &Option<String>) -> bool {
    want.as_deref()
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .is_none_or(|w| field.to_lowercase().contains(&w.to_lowercase()))
}

impl App {
    pub async fn activity(&self, f: &ActivityFilter) -> ZcResult<ActivityView> {
        self.authorize(Capability::ReadActivity).await?;
        let until = f.until.unwrap_or(i64::MAX);
        // Newest first: a long-lived console shows its latest entries, however many are older.
        let all = self.store().activity_newest(f.since, MAX_SCAN).await?;
        let scanned = all.len();
        let mut entries: Vec<ActivityEntry> = all
            .into_iter()
            .filter(|e| {
                e.at_ms < until
                    && matches(&e.actor, &f.actor)
                    && matches(&e.action, &f.action)
                    && matches(&e.resource, &f.resource)
            })
            .collect();
        entries.truncate(f.limit.clamp(1, 10_000) as usize);
        Ok(ActivityView { entries, scanned, verify: self.verify_log().await? })
    }
}
