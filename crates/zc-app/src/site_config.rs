//! Configuration as code: the site's connections (never keys), widgets, maintenance windows and
//! retention policies out to one document, and back in. An import is checked as a whole against
//! the document's own rules and the console's state before anything is written; then every
//! change is made in one transaction, or none. A dry run shows the same plan and writes nothing.
//!
//! An import is declarative for what it names: a connection or widget in the document is created
//! or made to match it (settings left out take their defaults). What the console has and the
//! document does not name is kept, and listed, never removed.

use crate::App;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use zc_domain::site_config::{
    self, CheckedSite, Problem, SiteConfig, connection_entry, refusal, widget_entry, window_entry,
};
use zc_domain::widget::diff;
use zc_domain::{Capability, ConnectionKind, ZcResult};
use zc_store::{ConnectionRow, SiteChange, WidgetRow};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanAction {
    Create,
    Update,
    Unchanged,
    /// In the document but not applied (a maintenance window already over).
    Skip,
}

/// One line of an import's plan.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedChange {
    pub action: PlanAction,
    /// `connection`, `widget`, `maintenance` or `retention`.
    pub what: String,
    /// `north-1`, `north-1/pressure`, `request_metrics`.
    pub name: String,
    /// For an update: the settings that change.
    pub fields: Vec<String>,
}

/// What an import did (or, in a dry run, would do).
#[derive(Debug, Clone, Serialize)]
pub struct ImportPlan {
    pub dry_run: bool,
    /// True once written (never in a dry run, nor when nothing changes).
    pub applied: bool,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub skipped: usize,
    pub changes: Vec<PlannedChange>,
    /// Station connections the import creates: their keys are set apart (`zc key set NAME`),
    /// since a document never holds one.
    pub needs_key: Vec<String>,
    /// What the console has that the document does not name: kept as it is.
    pub not_in_document: Vec<String>,
}

/// The fields of a connection that differ, by their names in the document.
fn connection_fields(
    a: &zc_domain::ConnectionSpec,
    b: &zc_domain::ConnectionSpec,
    deps: (Option<&str>, Option<&str>),
) -> Vec<String> {
    let mut out = Vec::new();
    let mut f = |name: &str, differs: bool| {
        if differs {
            out.push(name.to_owned());
        }
    };
    f("url", a.url != b.url);
    f("interval", a.interval_ms != b.interval_ms);
    f("timeout", a.timeout_ms != b.timeout_ms);
    f("confirm", a.confirm != b.confirm);
    f("degraded_after", a.degraded_ms != b.degraded_ms);
    f("expect_status", a.expect_status != b.expect_status);
    f("expect_keyword", a.expect_keyword != b.expect_keyword);
    f("expect_json_field", a.expect_json_field != b.expect_json_field);
    let meta = |m: &str| serde_json::from_str::<serde_json::Value>(m).ok();
    f("metadata", meta(&a.metadata) != meta(&b.metadata));
    f("depends_on", deps.0 != deps.1);
    out
}

struct Planned {
    plan: ImportPlan,
    changes: Vec<SiteChange>,
    needs: Vec<Capability>,
}

impl App {
    /// The site's configuration as one document. Recorded (`config.export`).
    pub async fn export_site_config(&self) -> ZcResult<SiteConfig> {
        let audit = self.authorize(Capability::Export).await?;
        let now = self.now();
        let connections = self.store.list_connections().await?;
        let names: HashMap<i64, String> = connections.iter().map(|c| (c.id, c.spec.name.clone())).collect();
        let mut widgets: BTreeMap<i64, Vec<WidgetRow>> = BTreeMap::new();
        for w in self.store.list_widgets(None).await? {
            widgets.entry(w.connection_id).or_default().push(w);
        }
        let mut windows: BTreeMap<i64, Vec<zc_store::MaintenanceWindow>> = BTreeMap::new();
        for m in self.store.maintenance_windows(None, now, i64::MAX).await? {
            windows.entry(m.connection_id).or_default().push(m);
        }
        let mut doc = SiteConfig { version: site_config::VERSION, connections: Vec::new(), retention: BTreeMap::new() };
        for c in &connections {
            let mut e = connection_entry(&c.spec, c.depends_on.and_then(|d| names.get(&d).cloned()));
            e.widgets = widgets.remove(&c.id).unwrap_or_default().iter().map(|w| widget_entry(&w.spec)).collect();
            e.maintenance = windows
                .remove(&c.id)
                .unwrap_or_default()
                .iter()
                .map(|m| window_entry(m.starts_at, m.ends_at, &m.reason))
                .collect();
            doc.connections.push(e);
        }
        for p in self.store.retention_policies().await? {
            doc.retention.insert(p.data_kind, site_config::duration_text(p.max_age_ms));
        }
        let widget_count: usize = doc.connections.iter().map(|c| c.widgets.len()).sum();
        self.store
            .record_activity(
                &audit,
                "config.export",
                "site",
                serde_json::json!({"connections": doc.connections.len(), "widgets": widget_count}),
            )
            .await?;
        Ok(doc)
    }

    /// Imports a document: checks all of it, then (unless `dry_run`) writes every change in one
    /// transaction. Either way the answer is the plan: what is (or would be) created, updated,
    /// left unchanged or skipped.
    pub async fn import_site_config(&self, doc: &SiteConfig, dry_run: bool) -> ZcResult<ImportPlan> {
        // A dry run is open to whoever may change connections. An import needs every capability
        // its changes need (widgets and retention are an admin's), the highest asked for first,
        // so a refusal names the role the whole import needs.
        let mut audit = self.authorize(if dry_run { Capability::EditConnections } else { Capability::View }).await?;
        let now = self.now();
        let site = site_config::check(doc, now).map_err(|p| refusal(&p))?;
        let Planned { mut plan, changes, mut needs } = self.plan_site(&site, now).await?;
        plan.dry_run = dry_run;
        if dry_run {
            return Ok(plan);
        }
        needs.sort_by_key(|c| std::cmp::Reverse(c.needs()));
        for n in needs {
            audit = self.authorize(n).await?;
        }
        if changes.is_empty() {
            return Ok(plan);
        }
        let summary = serde_json::json!({
            "created": plan.created, "updated": plan.updated, "unchanged": plan.unchanged, "skipped": plan.skipped,
            "changes": changes.len(),
        });
        self.store.apply_site_changes(&changes, self.signed_in().map(|s| s.user_id), summary, &audit).await?;
        plan.applied = true;
        Ok(plan)
    }

    async fn plan_site(&self, site: &CheckedSite, now: i64) -> ZcResult<Planned> {
        let current = self.store.list_connections().await?;
        let by_name: HashMap<&str, &ConnectionRow> = current.iter().map(|c| (c.spec.name.as_str(), c)).collect();
        let names: HashMap<i64, &str> = current.iter().map(|c| (c.id, c.spec.name.as_str())).collect();
        let mut widgets: HashMap<i64, Vec<WidgetRow>> = HashMap::new();
        for w in self.store.list_widgets(None).await? {
            widgets.entry(w.connection_id).or_default().push(w);
        }
        let windows = self.store.maintenance_windows(None, now, i64::MAX).await?;
        let in_doc: HashMap<&str, usize> =
            site.connections.iter().enumerate().map(|(i, c)| (c.spec.name.as_str(), i)).collect();

        let mut problems = Vec::new();
        let mut plan = ImportPlan {
            dry_run: false,
            applied: false,
            created: 0,
            updated: 0,
            unchanged: 0,
            skipped: 0,
            changes: Vec::new(),
            needs_key: Vec::new(),
            not_in_document: Vec::new(),
        };
        let mut changes = Vec::new();
        let mut later = Vec::new();
        let mut needs = vec![Capability::EditConnections];
        let line = |plan: &mut ImportPlan, action, what: &str, name: String, fields: Vec<String>| {
            match action {
                PlanAction::Create => plan.created += 1,
                PlanAction::Update => plan.updated += 1,
                PlanAction::Unchanged => plan.unchanged += 1,
                PlanAction::Skip => plan.skipped += 1,
            }
            plan.changes.push(PlannedChange { action, what: what.to_owned(), name, fields });
        };

        for (i, c) in site.connections.iter().enumerate() {
            let name = c.spec.name.clone();
            let at = format!("connections[{i}]");
            if let Some(d) = &c.depends_on
                && !in_doc.contains_key(d.as_str())
                && !by_name.contains_key(d.as_str())
            {
                problems.push(Problem::new(
                    format!("{at}.depends_on"),
                    format!("'{d}' is neither in the document nor on this console"),
                ));
            }
            let existing = by_name.get(name.as_str()).copied();
            match existing {
                None => {
                    if c.spec.kind == ConnectionKind::Station {
                        plan.needs_key.push(name.clone());
                    }
                    line(&mut plan, PlanAction::Create, "connection", name.clone(), Vec::new());
                    changes.push(SiteChange::AddConnection(c.spec.clone()));
                    if c.depends_on.is_some() {
                        later.push(SiteChange::SetDependency {
                            connection: name.clone(),
                            depends_on: c.depends_on.clone(),
                        });
                    }
                }
                Some(row) => {
                    if row.spec.kind != c.spec.kind {
                        problems.push(Problem::new(
                            format!("{at}.kind"),
                            format!(
                                "'{name}' is a {} connection on this console; a kind cannot change (remove it and add it again)",
                                row.spec.kind.as_str()
                            ),
                        ));
                        continue;
                    }
                    let now_dep = row.depends_on.and_then(|d| names.get(&d).copied());
                    let fields = connection_fields(&row.spec, &c.spec, (now_dep, c.depends_on.as_deref()));
                    if fields.is_empty() {
                        line(&mut plan, PlanAction::Unchanged, "connection", name.clone(), fields);
                    } else {
                        if fields.iter().any(|f| f != "depends_on") {
                            changes.push(SiteChange::UpdateConnection {
                                id: row.id,
                                old_name: name.clone(),
                                spec: c.spec.clone(),
                            });
                        }
                        if fields.iter().any(|f| f == "depends_on") {
                            later.push(SiteChange::SetDependency {
                                connection: name.clone(),
                                depends_on: c.depends_on.clone(),
                            });
                        }
                        line(&mut plan, PlanAction::Update, "connection", name.clone(), fields);
                    }
                }
            }
            // Widgets, by name on their connection.
            let have = existing.and_then(|r| widgets.get(&r.id)).cloned().unwrap_or_default();
            for w in &c.widgets {
                let wname = format!("{name}/{}", w.name);
                match have.iter().find(|h| h.spec.name == w.name) {
                    None => {
                        line(&mut plan, PlanAction::Create, "widget", wname, Vec::new());
                        later.push(SiteChange::AddWidget { connection: name.clone(), spec: w.clone() });
                        needs.push(Capability::EditWidgets);
                    }
                    Some(h) => {
                        let fields: Vec<String> = diff(&h.spec, w).into_iter().map(|f| f.field).collect();
                        if fields.is_empty() {
                            line(&mut plan, PlanAction::Unchanged, "widget", wname, fields);
                        } else {
                            line(&mut plan, PlanAction::Update, "widget", wname, fields);
                            later.push(SiteChange::UpdateWidget {
                                connection: name.clone(),
                                current: h.clone(),
                                spec: w.clone(),
                            });
                            needs.push(Capability::EditWidgets);
                        }
                    }
                }
            }
            for h in &have {
                if !c.widgets.iter().any(|w| w.name == h.spec.name) {
                    plan.not_in_document.push(format!("widget {name}/{}", h.spec.name));
                }
            }
            // Maintenance windows: one with the same start, end and reason is the same window.
            let id = existing.map(|r| r.id);
            for (s, e, reason) in &c.windows {
                let wname = format!("{name} {}", zc_domain::timefmt::rfc3339(*s));
                let same = windows.iter().any(|m| {
                    Some(m.connection_id) == id && m.starts_at == *s && m.ends_at == *e && m.reason == *reason
                });
                if same {
                    line(&mut plan, PlanAction::Unchanged, "maintenance", wname, Vec::new());
                } else {
                    line(&mut plan, PlanAction::Create, "maintenance", wname, Vec::new());
                    later.push(SiteChange::OpenWindow {
                        connection: name.clone(),
                        starts_at: *s,
                        ends_at: *e,
                        reason: reason.clone(),
                    });
                    needs.push(Capability::MaintenanceWindows);
                }
            }
            for _ in 0..c.past_windows {
                line(&mut plan, PlanAction::Skip, "maintenance", format!("{name} (already over)"), Vec::new());
            }
        }
        for c in &current {
            if !in_doc.contains_key(c.spec.name.as_str()) {
                plan.not_in_document.push(format!("connection {}", c.spec.name));
            }
        }
        let policies = self.store.retention_policies().await?;
        for (kind, ms) in &site.retention {
            match policies.iter().find(|p| &p.data_kind == kind) {
                None => problems.push(Problem::new(
                    format!("retention.{kind}"),
                    format!(
                        "unknown data kind; this console keeps {}",
                        policies.iter().map(|p| p.data_kind.as_str()).collect::<Vec<_>>().join(", ")
                    ),
                )),
                Some(p) if p.max_age_ms == *ms => {
                    line(&mut plan, PlanAction::Unchanged, "retention", kind.clone(), Vec::new())
                }
                Some(_) => {
                    line(&mut plan, PlanAction::Update, "retention", kind.clone(), vec!["age".into()]);
                    later.push(SiteChange::SetRetention { data_kind: kind.clone(), max_age_ms: *ms });
                    needs.push(Capability::Retention);
                }
            }
        }
        if !problems.is_empty() {
            return Err(refusal(&problems));
        }
        // Connections first (a widget or a gateway may name one the import creates).
        changes.append(&mut later);
        let mut unique = Vec::new();
        for n in needs {
            if !unique.contains(&n) {
                unique.push(n);
            }
        }
        Ok(Planned { plan, changes, needs: unique })
    }
}
