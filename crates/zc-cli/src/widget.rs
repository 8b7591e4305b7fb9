//! `zc widget add|list|show|edit|rm|history|diff|restore|duplicate|kinds`: widget
//! configurations, checked against their kind's JSON Schema, versioned and audited.

use crate::output::{Format, Table, emit};
use clap::Subcommand;
use serde_json::json;
use zc_app::App;
use zc_app::zc_domain::ZcResult;
use zc_app::zc_domain::widget::WidgetSpec;
use zc_app::zc_domain::widget::kind_info;
use zc_app::zc_domain::{ErrorCode, ZcError};
use zc_app::zc_store::{WidgetRow, WidgetVersion};

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

pub async fn run(app: &App, cmd: &WidgetCmd, f: Format) -> ZcResult<()> {
    let row = match cmd {
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
