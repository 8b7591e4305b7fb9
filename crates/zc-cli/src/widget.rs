//! `zc widget add|list|show|edit|rm`: widget configurations, versioned and audited.

use crate::output::{Format, Table, emit};
use clap::Subcommand;
use serde_json::json;
use zc_app::App;
use zc_app::zc_domain::ZcResult;
use zc_app::zc_domain::widget::WidgetSpec;
use zc_app::zc_store::WidgetRow;

#[derive(Subcommand)]
pub enum WidgetCmd {
    Add {
        connection: String,
        name: String,
        /// gauge, trend, table, …
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
