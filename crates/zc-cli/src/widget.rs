//! `zc widget add|list|show|edit|rm|history|diff|restore|duplicate|conflicts|resolve|seen|kinds`: widget
//! configurations, checked against their kind's JSON Schema, versioned and audited.

use crate::output::{Format, Table, emit};
use clap::Subcommand;
use serde_json::json;
use std::collections::BTreeMap;
use zc_app::App;
use zc_app::zc_domain::ZcResult;
use zc_app::zc_domain::widget::WidgetSpec;
use zc_app::zc_domain::widget::kind_info;
use zc_app::zc_domain::widget_merge::Side;
use zc_app::zc_domain::{ErrorCode, ZcError};
use zc_app::zc_store::{WidgetNotice, WidgetRow, WidgetVersion};

#[derive(Subcommand)]
pub enum WidgetCmd {
    Add {
        connection: String,
        name: String,
        /// value, gauge, trend, lamp or embed (`zc widget kinds` shows each one's settings).
        #[arg(long)]
        kind: String,
        /// Where the widget is served from (for CORS and licensing).
        #[arg(long)]
        url: Option<String>,
        /// JSON object, at most 64 KiB.
        #[arg(long, default_value = "{}")]
        config: String,
        /// Create it switched off.
        #[arg(long)]
        inactive: bool,
    },
    List {
        connection: Option<String>,
    },
    Show {
        connection: String,
        name: String,
    },
    Edit {
        connection: String,
        name: String,
        #[arg(long)]
        rename: Option<String>,
        #[arg(long)]
        url: Option<String>,
        #[arg(long)]
        config: Option<String>,
        #[arg(long)]
        active: Option<bool>,
    },
    Rm {
        connection: String,
        name: String,
    },
    /// Every version, newest first: who saved it, when, and how (edit, restore, duplicate).
    History {
        connection: String,
        name: String,
    },
    /// What changed from version FROM to version TO (the current one if omitted).
    Diff {
        connection: String,
        name: String,
        from: i64,
        to: Option<i64>,
    },
    /// Brings back an older version, as a new version.
    Restore {
        connection: String,
        name: String,
        version: i64,
    },
    /// Copies a widget under a new name, to the same connection or `--to` another.
    Duplicate {
        connection: String,
        name: String,
        new_name: String,
        #[arg(long)]
        to: Option<String>,
    },
    /// What the central store did with this console's offline edits: conflicts to resolve
    /// (each conflicting field with its base, this console's and the centre's value) and merges
    /// (the fields the centre changed, taken into this console's copy).
    Conflicts,
    /// Resolves conflict ID: `--keep FIELD=local` keeps this console's value, `FIELD=central`
    /// the centre's, once for every conflicting field. Saved as a new version, sent at the next
    /// sync.
    Resolve {
        id: i64,
        #[arg(long = "keep", value_name = "FIELD=local|central", required = true)]
        keep: Vec<String>,
    },
    /// Marks merge notice ID as read.
    Seen {
        id: i64,
    },
    /// The widget kinds and their settings; `--schema KIND` prints that kind's JSON Schema.
    Kinds {
        #[arg(long)]
        schema: Option<String>,
    },
}

fn widget_table(rows: &[WidgetRow]) -> Table {
    let mut t = Table::new(&["connection_id", "name", "kind", "active", "version", "url", "config"]);
    for w in rows {
        t.row(vec![
            w.connection_id.to_string(),
            w.spec.name.clone(),
            w.spec.kind.clone(),
            w.spec.active.to_string(),
            w.version.to_string(),
            w.spec.url.clone().unwrap_or_default(),
            w.spec.config.clone(),
        ]);
    }
    t
}

fn version_table(rows: &[WidgetVersion]) -> Table {
    let mut t =
        Table::new(&["version", "change", "from", "edited_by", "edited_at", "name", "kind", "active", "config"]);
    for v in rows {
        t.row(vec![
            v.version.to_string(),
            serde_json::to_value(v.change).ok().and_then(|c| c.as_str().map(str::to_owned)).unwrap_or_default(),
            v.source.clone().or(v.base_version.map(|b| b.to_string())).unwrap_or_default(),
            v.edited_by.clone().unwrap_or_default(),
            crate::output::time(v.edited_at),
            v.spec.name.clone(),
            v.spec.kind.clone(),
            v.spec.active.to_string(),
            v.spec.config.clone(),
        ]);
    }
    t
}

fn notice_table(rows: &[WidgetNotice]) -> Table {
    // One line a field: the notice, its widget, the field and its three values ("-": absent).
    let mut t = Table::new(&["id", "kind", "widget", "field", "base", "this console", "central", "central by"]);
    for n in rows {
        for c in &n.fields {
            t.row(vec![
                n.id.to_string(),
                n.kind.clone(),
                format!("{}/{}", n.connection, n.widget),
                c.field.clone(),
                c.base.clone().unwrap_or("-".into()),
                c.local.clone().unwrap_or("-".into()),
                c.central.clone().unwrap_or("-".into()),
                format!("{} (v{})", n.central_by, n.central_version),
            ]);
        }
    }
    t
}

/// `FIELD=local|central` as given to `--keep`.
fn parse_keep(keep: &[String]) -> ZcResult<BTreeMap<String, Side>> {
    keep.iter()
        .map(|k| {
            let (field, side) = k.rsplit_once('=').ok_or_else(|| {
                ZcError::invalid(format!("--keep '{k}' names no side: give FIELD=local or FIELD=central"))
            })?;
            let side = match side {
                "local" => Side::Local,
                "central" => Side::Central,
                other => {
                    return Err(ZcError::invalid(format!(
                        "--keep {field}={other}: the side is 'local' (this console's value) or 'central'"
                    )));
                }
            };
            Ok((field.to_owned(), side))
        })
        .collect()
}

pub async fn run(app: &App, cmd: &WidgetCmd, f: Format) -> ZcResult<()> {
    let row = match cmd {
        WidgetCmd::Conflicts => {
            let rows = app.widget_notices().await?;
            emit(f, &notice_table(&rows), &rows);
            return Ok(());
        }
        WidgetCmd::Resolve { id, keep } => {
            let rows = app.resolve_widget_conflict(*id, &parse_keep(keep)?).await?;
            eprintln!("resolved; it goes to the central store at the next sync (`zc sync now` sends it at once)");
            emit(f, &notice_table(&rows), &rows);
            return Ok(());
        }
        WidgetCmd::Seen { id } => {
            let rows = app.dismiss_widget_notice(*id).await?;
            emit(f, &notice_table(&rows), &rows);
            return Ok(());
        }
        WidgetCmd::Add { connection, name, kind, url, config, inactive } => {
            let spec = WidgetSpec {
                name: name.clone(),
                kind: kind.clone(),
                url: url.clone(),
                active: !inactive,
                config: config.clone(),
            };
            app.add_widget(connection, spec).await?
        }
        WidgetCmd::List { connection } => {
            let rows = app.list_widgets(connection.as_deref()).await?;
            emit(f, &widget_table(&rows), &rows);
            return Ok(());
        }
        WidgetCmd::Show { connection, name } => app.show_widget(connection, name).await?,
        WidgetCmd::Edit { connection, name, rename, url, config, active } => {
            app.edit_widget(connection, name, |s| {
                if let Some(v) = rename {
                    s.name = v.clone();
                }
                if let Some(v) = url {
                    s.url = (!v.is_empty()).then(|| v.clone());
                }
                if let Some(v) = config {
                    s.config = v.clone();
                }
                if let Some(v) = active {
                    s.active = *v;
                }
            })
            .await?
        }
        WidgetCmd::History { connection, name } => {
            let rows = app.widget_history(connection, name).await?;
            emit(f, &version_table(&rows), &rows);
            return Ok(());
        }
        WidgetCmd::Diff { connection, name, from, to } => {
            let d = app.widget_diff(connection, name, *from, *to).await?;
            // Columns: the field, its value in version FROM, its value in version TO ("-": absent).
            let mut t = Table::new(&["field", "from", "to"]);
            for c in &d.changes {
                t.row(vec![
                    c.field.clone(),
                    c.before.clone().unwrap_or("-".into()),
                    c.after.clone().unwrap_or("-".into()),
                ]);
            }
            emit(f, &t, &d);
            return Ok(());
        }
        WidgetCmd::Restore { connection, name, version } => {
            app.restore_widget(connection, name, *version, None).await?
        }
        WidgetCmd::Duplicate { connection, name, new_name, to } => {
            app.duplicate_widget(connection, name, new_name, to.as_deref()).await?
        }
        WidgetCmd::Kinds { schema } => {
            let kinds = app.widget_kinds().await?;
            if let Some(k) = schema {
                let info = kind_info(k).ok_or_else(|| {
                    ZcError::new(
                        ErrorCode::NotFound,
                        format!("'{k}' is not a widget kind; `zc widget kinds` lists them"),
                    )
                })?;
                // The schema document itself, as published, whatever the format.
                println!("{}", info.schema.trim_end());
                return Ok(());
            }
            let mut t = Table::new(&["kind", "title", "settings", "required"]);
            for k in &kinds {
                let names: Vec<&str> = k.fields.iter().map(|x| x.name.as_str()).collect();
                let req: Vec<&str> = k.fields.iter().filter(|x| x.required).map(|x| x.name.as_str()).collect();
                let mut req = req.join(", ");
                if k.needs_url {
                    req = if req.is_empty() { "--url".into() } else { format!("{req}, --url") };
                }
                t.row(vec![k.kind.clone(), k.title.clone(), names.join(", "), req]);
            }
            emit(f, &t, &kinds);
            return Ok(());
        }
        WidgetCmd::Rm { connection, name } => {
            app.remove_widget(connection, name).await?;
            let mut t = Table::new(&["removed"]);
            t.row(vec![format!("{connection}/{name}")]);
            emit(f, &t, &json!({"removed": format!("{connection}/{name}")}));
            return Ok(());
        }
    };
    emit(f, &widget_table(std::slice::from_ref(&row)), &row);
    Ok(())
}
