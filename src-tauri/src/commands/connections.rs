//! Connections: list, add, edit, remove, certificate trust. A key arrives once, is wrapped as a secret at once and
//! handed to zc-app, which puts it in the OS keyring; nothing returns it.

use super::Answer;
use crate::shell::Shell;
use tauri::State;
use zc_app::zc_domain::{ConnectionSpec, Sensitive, ZcError};
use zc_app::zc_store::ConnectionRow;
use zc_app::{CertificateCheck, ConnectionRemoval, TrustChoice, form_defaults};

fn key(k: Option<String>) -> Option<Sensitive<String>> {
    k.filter(|k| !k.is_empty()).map(Sensitive::new)
}

#[tauri::command]
pub async fn list_connections(shell: State<'_, Shell>) -> Answer<Vec<ConnectionRow>> {
    shell.app().list_connections().await
}

/// The form's content: a connection's current settings, or the defaults for a new one.
#[tauri::command]
pub async fn connection_form(shell: State<'_, Shell>, name: Option<String>) -> Answer<ConnectionSpec> {
    match name {
        Some(n) => Ok(shell.app().connection(&n).await?.spec),
        None => Ok(form_defaults()),
    }
}

#[tauri::command]
pub async fn add_connection(
    shell: State<'_, Shell>,
    input: ConnectionSpec,
    key: Option<String>,
) -> Answer<ConnectionRow> {
    shell.app().add_connection_with_key(input, self::key(key)).await
}

#[tauri::command]
pub async fn update_connection(
    shell: State<'_, Shell>,
    name: String,
    input: ConnectionSpec,
    key: Option<String>,
) -> Answer<ConnectionRow> {
    shell.app().update_connection(&name, input, self::key(key)).await
}

#[tauri::command]
pub async fn remove_connection(
    shell: State<'_, Shell>,
    name: String,
    discard_unpushed: Option<bool>,
) -> Answer<ConnectionRemoval> {
    shell.app().remove_connection(&name, discard_unpushed.unwrap_or(false)).await
}

/// What the station presents now and whether the connection trusts it.
#[tauri::command]
pub async fn inspect_certificate(shell: State<'_, Shell>, name: String) -> Answer<CertificateCheck> {
    shell.app().inspect_certificate(&name).await
}

/// Pins the certificate the engineer confirmed (by its fingerprint), trusts a private CA file,
/// or goes back to the system's roots. Exactly one of `pin` and `ca_file`, or neither.
#[tauri::command]
pub async fn trust_certificate(
    shell: State<'_, Shell>,
    name: String,
    pin: Option<String>,
    ca_file: Option<String>,
) -> Answer<CertificateCheck> {
    let choice = match (pin, ca_file) {
        (Some(_), Some(_)) => {
            return Err(ZcError::invalid("give either a fingerprint to pin or a CA file, not both"));
        }
        (Some(p), None) => TrustChoice::Pin(p),
        (None, Some(f)) => TrustChoice::Ca(f.into()),
        (None, None) => TrustChoice::System,
    };
    shell.app().trust_certificate(&name, choice).await
}
