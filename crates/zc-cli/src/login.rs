//! `zc login|logout|whoami`: the CLI acts as a signed-in person. The session (12 hours, or until
//! `zc logout`) is kept in the OS keyring, one per data directory and OS account.

use crate::output::{Format, Table, emit, time_opt};
use std::io::{BufRead, IsTerminal};
use zc_app::App;
use zc_app::zc_domain::user::MAX_PASSWORD_BYTES;
use zc_app::zc_domain::{Sensitive, ZcError, ZcResult};
use zc_app::zc_store::SessionRow;

/// Reads one password: from a prompt that does not echo, or the first line of stdin when piped.
pub fn read_password(prompt: &str) -> ZcResult<Sensitive<String>> {
    read_passwords(&[prompt]).map(|mut v| v.remove(0))
}

/// Reads several passwords: one prompt each, or one line of stdin each.
pub fn read_passwords(prompts: &[&str]) -> ZcResult<Vec<Sensitive<String>>> {
    if std::io::stdin().is_terminal() {
        return prompts
            .iter()
            .map(|p| {
                rpassword::prompt_password(format!("{p}: ")).map(Sensitive::new).map_err(|e| {
                    ZcError::invalid(format!(
                        "cannot read the password from the terminal ({e}); pipe it on stdin instead"
                    ))
                })
            })
            .collect();
    }
    let mut lines = std::io::stdin().lock().lines();
    prompts
        .iter()
        .map(|p| match lines.next() {
            Some(Ok(l)) if l.len() <= MAX_PASSWORD_BYTES => Ok(Sensitive::new(l.trim_end_matches('\r').to_owned())),
            Some(Ok(_)) => Err(ZcError::invalid(format!("the {} is too long", p.to_lowercase()))),
            _ => Err(ZcError::invalid(format!("stdin ended before the {}; give one per line", p.to_lowercase()))),
        })
        .collect()
}

/// A new password, asked twice at a terminal so a typo does not lock anyone out.
pub fn read_new_password(prompt: &str) -> ZcResult<Sensitive<String>> {
    if !std::io::stdin().is_terminal() {
        return read_password(prompt);
    }
    let mut v = read_passwords(&[prompt, "Once more"])?;
    if v[0].expose() != v[1].expose() {
        return Err(ZcError::invalid("the two passwords differ; nothing was changed"));
    }
    Ok(v.remove(0))
}

pub fn session_table(s: &SessionRow) -> Table {
    let mut t = Table::new(&["user", "role", "client", "signed_in", "expires"]);
    t.row(vec![
        s.username.clone(),
        s.role.as_str().into(),
        s.client.clone(),
        time_opt(Some(s.started_at)),
        time_opt(Some(s.expires_at)),
    ]);
    t
}

pub async fn login(app: &App, username: &str, f: Format) -> ZcResult<()> {
    let password = read_password(&format!("Password for {username}"))?;
    let s = app.login_cli(username, &password).await?;
    emit(f, &session_table(&s), &s);
    Ok(())
}

pub async fn logout(app: &App, f: Format) -> ZcResult<()> {
    let ended = app.logout_cli().await?;
    let mut t = Table::new(&["signed_out"]);
    t.row(vec![ended.as_ref().map(|s| s.username.clone()).unwrap_or_else(|| "(nobody was signed in)".into())]);
    emit(f, &t, &serde_json::json!({"signed_out": ended.map(|s| s.username)}));
    Ok(())
}

pub async fn whoami(app: &App, f: Format) -> ZcResult<()> {
    let state = app.sign_in_state().await?;
    match &state.session {
        Some(s) => emit(f, &session_table(s), &state),
        None => {
            let mut t = Table::new(&["signed_in"]);
            t.row(vec![if state.first_run { "nobody (no users yet: `zc user init`)" } else { "nobody" }.into()]);
            emit(f, &t, &state);
        }
    }
    Ok(())
}
