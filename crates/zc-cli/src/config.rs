//! `zc config export|import`: the site's configuration as one JSON or YAML document, for
//! version control and for setting up many stations in one step. Keys are never in it.

use crate::output::{Format, Table, emit};
use clap::Subcommand;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use zc_app::zc_domain::site_config::{self, DocFormat};
use zc_app::zc_domain::{ErrorCode, ZcError, ZcResult};
use zc_app::{App, ImportPlan, PlanAction};

#[derive(Subcommand)]
pub enum ConfigCmd {
    /// Write connections (without keys), widgets, maintenance windows and retention to FILE
    /// (`.yaml`/`.yml` for YAML, anything else JSON), or to stdout.
    Export {
        file: Option<PathBuf>,
        /// Write YAML to stdout (a FILE's extension decides otherwise).
        #[arg(long)]
        yaml: bool,
    },
    /// Check FILE (or `-` for stdin) as a whole, then apply all of it or nothing.
    Import {
        file: PathBuf,
        /// Show what would change and write nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

pub async fn run(app: &App, cmd: &ConfigCmd, f: Format) -> ZcResult<()> {
    match cmd {
        ConfigCmd::Export { file, yaml } => export(app, file.as_deref(), *yaml).await,
        ConfigCmd::Import { file, dry_run } => import(app, file, *dry_run, f).await,
    }
}

fn io_err(what: &str, path: &Path, e: std::io::Error) -> ZcError {
    ZcError::new(ErrorCode::InvalidInput, format!("cannot {what} {}: {e}", path.display()))
}

async fn export(app: &App, file: Option<&Path>, yaml: bool) -> ZcResult<()> {
    let doc = app.export_site_config().await?;
    match file {
        None => {
            let format = if yaml { DocFormat::Yaml } else { DocFormat::Json };
            let _ = std::io::stdout().lock().write_all(site_config::render(&doc, format).as_bytes());
        }
        Some(path) => {
            let text = site_config::render(&doc, DocFormat::for_path(&path.to_string_lossy()));
            // Written beside it and renamed: a failed export never leaves half a document.
            let tmp = path.with_extension("zc-partial");
            std::fs::write(&tmp, text).map_err(|e| io_err("write", &tmp, e))?;
            std::fs::rename(&tmp, path).map_err(|e| io_err("write", path, e))?;
            eprintln!(
                "exported {} connections to {} (keys are not in it; they stay in the keyring)",
                doc.connections.len(),
                path.display()
            );
        }
    }
    Ok(())
}

async fn import(app: &App, file: &Path, dry_run: bool, f: Format) -> ZcResult<()> {
    let (text, format) = if file == Path::new("-") {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s).map_err(|e| io_err("read", file, e))?;
        let format = DocFormat::sniff(&s);
        (s, format)
    } else {
        let s = std::fs::read_to_string(file).map_err(|e| io_err("read", file, e))?;
        (s, DocFormat::for_path(&file.to_string_lossy()))
    };
    let doc = site_config::parse(&text, format)?;
    let plan = app.import_site_config(&doc, dry_run).await?;
    emit(f, &plan_table(&plan), &plan);
    if matches!(f, Format::Table) {
        eprintln!("{}", summary(&plan));
    }
    Ok(())
}

fn plan_table(plan: &ImportPlan) -> Table {
    let mut t = Table::new(&["action", "what", "name", "changes"]);
    for c in plan.changes.iter().filter(|c| c.action != PlanAction::Unchanged) {
        let action = match c.action {
            PlanAction::Create => "create",
            PlanAction::Update => "update",
            PlanAction::Unchanged => "unchanged",
            PlanAction::Skip => "skip",
        };
        t.row(vec![action.into(), c.what.clone(), c.name.clone(), c.fields.join(", ")]);
    }
    t
}

fn summary(plan: &ImportPlan) -> String {
    let (c, u, n, k) = (plan.created, plan.updated, plan.unchanged, plan.skipped);
    let mut s = if plan.dry_run {
        format!("dry run: {c} to create, {u} to update, {n} unchanged, {k} skipped; nothing was written")
    } else if plan.applied {
        format!("imported: {c} created, {u} updated, {n} unchanged, {k} skipped")
    } else {
        format!("nothing to change: {n} unchanged, {k} skipped")
    };
    if !plan.not_in_document.is_empty() {
        s += &format!("\nkept, not in the document: {}", plan.not_in_document.len());
    }
    if !plan.needs_key.is_empty() {
        s += &format!(
            "\n{} new station connection(s) need their key: `zc key set NAME` (e.g. {})",
            plan.needs_key.len(),
            plan.needs_key[0]
        );
    }
    s
}
