//! `zc central migrate|provision|connect`: setting up the central store and connecting this
//! console to it (docs/central.md). Passwords come from stdin or a hidden prompt, never from an
//! argument.

use crate::login::read_password;
use crate::output::{Format, Table, emit};
use clap::Subcommand;
use serde_json::json;
use std::io::Write;
use std::path::{Path, PathBuf};
use zc_app::zc_domain::{ErrorCode, Sensitive, ZcError, ZcResult};
use zc_app::{App, ProvisionedConsole};

#[derive(Subcommand)]
pub enum CentralCmd {
    /// At the centre: apply the schema's migrations. URL names the schema owner's login
    /// (postgres://postgres@host/db); its password from stdin or a prompt.
    Migrate { url: String },
    /// At the centre: make a console of SITE (and the organisation and site, when missing) with
    /// its own login, written to FILE (new, readable only by you) for `zc central connect --from`.
    Provision {
        url: String,
        #[arg(long)]
        organisation: String,
        #[arg(long)]
        site: String,
        #[arg(long)]
        console: String,
        #[arg(long)]
        out: PathBuf,
    },
    /// On the console: connect it to the central store (admins). Either --from a provisioning
    /// file, or URL and --login with the password from stdin or a prompt.
    Connect {
        url: Option<String>,
        #[arg(long)]
        login: Option<String>,
        #[arg(long, conflicts_with_all = ["url", "login"])]
        from: Option<PathBuf>,
    },
}

/// Commands run at the centre, without a data directory.
pub async fn run_at_centre(cmd: &CentralCmd, f: Format) -> ZcResult<()> {
    match cmd {
        CentralCmd::Migrate { url } => {
            zc_app::check_central_url(url)?;
            let password = read_password("Password of the schema owner")?;
            let applied = zc_app::migrate_central(url, &password).await?;
            let mut t = Table::new(&["central store", "migrations applied now"]);
            t.row(vec!["schema up to date".into(), applied.to_string()]);
            emit(f, &t, &json!({"applied": applied}));
        }
        CentralCmd::Provision { url, organisation, site, console, out } => {
            // Refuse an existing file before anything is made at the centre.
            if out.exists() {
                return Err(ZcError::invalid(format!("{} exists; name a new file", out.display())));
            }
            zc_app::check_central_url(url)?;
            let password = read_password("Password of the schema owner")?;
            let made = zc_app::provision_console(url, &password, organisation, site, console).await?;
            write_private(out, &made)?;
            let mut t = Table::new(&["console", "login", "file"]);
            t.row(vec![console.clone(), made.login.clone(), out.display().to_string()]);
            emit(
                f,
                &t,
                &json!({"console_id": made.console_id, "login": made.login, "file": out.display().to_string()}),
            );
        }
        CentralCmd::Connect { .. } => unreachable!("connect runs with a data directory"),
    }
    Ok(())
}

/// The provisioning file: created new, mode 0600 on Unix (it holds the login's password).
fn write_private(path: &Path, made: &ProvisionedConsole) -> ZcResult<()> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    let mut file = o.open(path).map_err(|e| {
        ZcError::new(
            ErrorCode::Io,
            format!("cannot create {} ({e}); the console was made, provision another", path.display()),
        )
    })?;
    let text = serde_json::to_string_pretty(made).map_err(|e| ZcError::internal(e.to_string()))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| ZcError::new(ErrorCode::Io, format!("cannot write {} ({e})", path.display())))
}

pub async fn connect(
    app: &App,
    url: Option<&str>,
    login: Option<&str>,
    from: Option<&Path>,
    f: Format,
) -> ZcResult<()> {
    app.may_connect_central().await?;
    let status = match (from, url) {
        (Some(file), _) => {
            let text = std::fs::read_to_string(file)
                .map_err(|e| ZcError::new(ErrorCode::Io, format!("cannot read {} ({e})", file.display())))?;
            let made: ProvisionedConsole = serde_json::from_str(&text).map_err(|e| {
                ZcError::invalid(format!(
                    "{} is not a provisioning file from `zc central provision` ({e})",
                    file.display()
                ))
            })?;
            app.connect_central(&made.url, Some(&made.login), Sensitive::new(made.password)).await?
        }
        (None, Some(url)) => {
            // A bad URL (one holding a password, above all) is refused before the prompt.
            zc_app::check_central_url(url)?;
            let password = read_password("Password of the console's login")?;
            app.connect_central(url, login, password).await?
        }
        (None, None) => return Err(ZcError::invalid("give the central store's URL and --login, or --from FILE")),
    };
    let mut t = Table::new(&["central store", "login", "console", "pending"]);
    t.row(vec![
        status.central.clone().unwrap_or_default(),
        status.login.clone().unwrap_or_default(),
        status.console_id.clone().unwrap_or_default(),
        status.streams.iter().map(|s| s.pending).sum::<i64>().to_string(),
    ]);
    emit(f, &t, &status);
    Ok(())
}
