//! API keys, password hashes and sessions in the OS keyring, and nowhere else.
//!
//! The keyring crate falls back to an in-memory mock when its platform store is not compiled in.
//! We never use its default: each OS names its real store module below, so a build without the
//! store does not compile, and a store that cannot be reached gives a clear error at run time.
//! Keyring calls block (D-Bus round trips), so they run on tokio's blocking pool, never on the
//! async runtime threads.

mod password;
mod seal;

pub use password::{hash_password, verify_password};
pub use seal::{SealingKey, seal};

use keyring::credential::{CredentialBuilder, CredentialPersistence};
use std::sync::Arc;
use zc_domain::{ApiKey, ErrorCode, Sensitive, ZcError, ZcResult};

pub const SERVICE: &str = "zeroclient";

#[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
fn platform_builder() -> Box<CredentialBuilder> {
    keyring::secret_service::default_credential_builder()
}
#[cfg(windows)]
fn platform_builder() -> Box<CredentialBuilder> {
    keyring::windows::default_credential_builder()
}
#[cfg(target_os = "macos")]
fn platform_builder() -> Box<CredentialBuilder> {
    keyring::macos::default_credential_builder()
}

/// What the user should do when no keyring answers, per platform.
#[cfg(windows)]
const FIX: &str = "Windows Credential Manager must be available to this user account";
#[cfg(target_os = "macos")]
const FIX: &str = "unlock the login keychain";
#[cfg(not(any(windows, target_os = "macos")))]
const FIX: &str = "run a Secret Service provider in this desktop session (e.g. `apt install gnome-keyring` and log in again) and unlock it; on a headless machine start one with `dbus-run-session` and `gnome-keyring-daemon --unlock`";

/// Handle to the OS keyring. Accounts are `<install id>/connection/<id>`, so two data
/// directories never share keys and renaming a connection keeps its key.
#[derive(Clone)]
pub struct Keyring {
    builder: Arc<CredentialBuilder>,
}

impl Keyring {
    pub fn new() -> ZcResult<Self> {
        let builder = platform_builder();
        // Belt and braces: refuse any store that does not outlive the process.
        if matches!(builder.persistence(), CredentialPersistence::EntryOnly | CredentialPersistence::ProcessOnly) {
            return Err(unavailable("this build's keyring store does not persist keys"));
        }
        Ok(Self { builder: Arc::from(builder) })
    }

    pub fn account(install_id: &str, connection_id: i64) -> String {
        format!("{install_id}/connection/{connection_id}")
    }

    /// Where a password's hash is kept: named by a random credential id, never by the user,
    /// so a reset writes a new entry before the old one is let go.
    pub fn password_account(install_id: &str, credential: &str) -> String {
        format!("{install_id}/password/{credential}")
    }

    /// The password of this console's login at the central store.
    pub fn central_account(install_id: &str) -> String {
        format!("{install_id}/central")
    }

    /// The CLI's session for a data directory (one per OS account, as the keyring is).
    pub fn session_account(install_id: &str) -> String {
        format!("{install_id}/session")
    }

    fn entry(&self, account: &str) -> ZcResult<keyring::Entry> {
        self.builder.build(None, SERVICE, account).map(keyring::Entry::new_with_credential).map_err(map_err)
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(Keyring) -> ZcResult<T> + Send + 'static,
    ) -> ZcResult<T> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || f(this))
            .await
            .map_err(|_| ZcError::internal("the keyring call did not complete"))?
    }

    /// Proves a keyring answers (a lookup of an entry that does not exist).
    pub async fn check_available(&self) -> ZcResult<()> {
        self.blocking(|k| match k.entry("zeroclient-probe")?.get_password() {
            Ok(_) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(map_err(e)),
        })
        .await
    }

    pub async fn set(&self, account: &str, key: &ApiKey) -> ZcResult<()> {
        let account = account.to_owned();
        let key = key.clone();
        self.blocking(move |k| k.entry(&account)?.set_password(key.expose()).map_err(map_err)).await
    }

    pub async fn get(&self, account: &str) -> ZcResult<Option<ApiKey>> {
        let account = account.to_owned();
        self.blocking(move |k| match k.entry(&account)?.get_password() {
            Ok(p) => Ok(Some(Sensitive::new(p))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(map_err(e)),
        })
        .await
    }

    pub async fn delete(&self, account: &str) -> ZcResult<()> {
        let account = account.to_owned();
        self.blocking(move |k| match k.entry(&account)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(map_err(e)),
        })
        .await
    }
}

fn unavailable(why: &str) -> ZcError {
    ZcError::new(ErrorCode::KeyringUnavailable, format!("no OS keyring is available ({why}); {FIX}"))
}

/// Keyring errors never carry the secret (BadEncoding's bytes are dropped here).
fn map_err(e: keyring::Error) -> ZcError {
    match e {
        keyring::Error::PlatformFailure(inner) | keyring::Error::NoStorageAccess(inner) => {
            unavailable(&inner.to_string())
        }
        keyring::Error::BadEncoding(_) => ZcError::new(
            ErrorCode::KeyringUnavailable,
            "the keyring holds a key that is not valid UTF-8; set it again with `zc key set`",
        ),
        other => ZcError::new(ErrorCode::KeyringUnavailable, format!("keyring error: {other}")),
    }
}
