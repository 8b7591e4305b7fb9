//! `zc key set|check`: API keys, kept only in the OS keyring.

use crate::output::{Format, Table, emit};
use clap::Subcommand;
use serde_json::json;
use std::io::{IsTerminal, Read};
use zc_app::App;
use zc_app::zc_domain::secret::parse_api_key;
use zc_app::zc_domain::{ErrorCode, ZcError, ZcResult};

#[derive(Subcommand)]
pub enum KeyCmd {
    /// Read the key from stdin (or a hidden prompt) and store it in the OS keyring.
    Set { name: String },
    /// Validate the stored key against the backend.
    Check { name: String },
    /// Hand the key to the other consoles of this site, sealed to each one's public key: the
    /// central store keeps only ciphertext, and each console opens it into its own keyring at
    /// its next sync.
    Share { name: String },
}

/// Reads a key from stdin when piped, or from a prompt that does not echo.
fn read_key(name: &str) -> ZcResult<zc_app::zc_domain::ApiKey> {
    let raw = if std::io::stdin().is_terminal() {
        rpassword::prompt_password(format!("API key for {name}: ")).map_err(|e| {
            ZcError::invalid(format!("cannot read the key from the terminal ({e}); pipe it on stdin instead"))
        })?
    } else {
        let mut s = String::new();
        std::io::stdin()
            .take(zc_app::zc_domain::secret::MAX_KEY_BYTES as u64 + 2)
            .read_to_string(&mut s)
            .map_err(|e| ZcError::invalid(format!("cannot read the key from stdin ({e}); pipe plain text")))?;
        s
    };
    parse_api_key(raw)
}

pub async fn run(app: &App, cmd: &KeyCmd, f: Format) -> ZcResult<()> {
    match cmd {
        KeyCmd::Set { name } => {
            // Fail on an unknown name before asking for the key.
            app.connection(name).await?;
            let key = read_key(name)?;
            app.set_key(name, key).await?;
            let mut t = Table::new(&["connection", "key"]);
            t.row(vec![name.clone(), "stored in the OS keyring".into()]);
            emit(f, &t, &json!({"connection": name, "stored": true}));
        }
        KeyCmd::Share { name } => {
            let shared = app.share_key(name).await?;
            let mut t = Table::new(&["connection", "sealed to"]);
            t.row(vec![shared.connection.clone(), shared.consoles.join(", ")]);
            emit(f, &t, &shared);
        }
        KeyCmd::Check { name } => {
            let c = app.check_key(name).await?;
            let mut t = Table::new(&["connection", "valid", "error"]);
            t.row(vec![c.connection.clone(), c.valid.to_string(), c.error.clone().unwrap_or_default()]);
            emit(f, &t, &c);
            if !c.valid {
                return Err(ZcError::new(
                    ErrorCode::InvalidKey,
                    format!("the backend refused the key for '{name}': {}", c.error.unwrap_or_default()),
                ));
            }
        }
    }
    Ok(())
}
