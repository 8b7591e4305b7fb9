//! Sign-in on a connected console: the centre is asked first (who exists, their role, whether
//! they are disabled, and whether the password is right), and only when it does not answer in
//! [`CENTRAL_WAIT`] does the console fall back to the hash it cached at the last sign-in the
//! centre answered. A password set on this console reaches the centre when it is set while the
//! centre answers, else at the person's next sign-in it answers (its text is never kept).

use crate::App;
use std::time::Duration;
use uuid::Uuid;
use zc_central::people::PasswordCheck;
use zc_domain::{Sensitive, ZcResult};
use zc_secrets::{Keyring, hash_password, verify_password};

/// How long a sign-in waits for the centre before using the cached credentials: long enough
/// for a slow link, short enough that an operator offline is not kept at the door.
pub const CENTRAL_WAIT: Duration = Duration::from_secs(3);

/// Who checked a password, as the activity log keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CheckedBy {
    /// Not connected to a centre.
    Console,
    /// The centre answered.
    Central,
    /// Connected, but the centre did not answer: the cached hash.
    Cached,
}

impl CheckedBy {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            CheckedBy::Console => "console",
            CheckedBy::Central => "central",
            CheckedBy::Cached => "cached",
        }
    }
}

impl App {
    /// The centre's pool when this console is connected and its login is in the keyring.
    pub(crate) async fn central_pool(&self) -> Option<sqlx::PgPool> {
        let link = self.store.central_link().await.ok()??;
        let password = self.keyring().ok()?.get(&Keyring::central_account(&self.install_id)).await.ok()??;
        zc_central::console_pool(&link.url, &link.login, &password).ok()
    }

    /// Brings this console's people up to the centre's (pushing what changed here first);
    /// false when the centre did not answer in time.
    pub(crate) async fn refresh_people(&self, pool: &sqlx::PgPool) -> bool {
        let audit = self.console_audit();
        let work = async {
            let pushed = zc_sync::people::push(&self.store, pool, &audit).await;
            if !matches!(pushed, Ok(ref r) if !matches!(r.finish, zc_sync::Finish::Failed { .. })) {
                return false;
            }
            zc_sync::people::pull(&self.store, pool, &audit).await.is_ok()
        };
        tokio::time::timeout(CENTRAL_WAIT, work).await.unwrap_or(false)
    }

    /// The centre's word on a password; None when it did not answer.
    pub(crate) async fn central_check(
        &self,
        pool: &sqlx::PgPool,
        user_id: i64,
        username: &str,
        password: &Sensitive<String>,
    ) -> Option<PasswordCheck> {
        let (_, pending) = self.store.central_password_state(user_id).await.ok()?;
        let asked = zc_central::people::sign_in(pool, username, password, pending);
        match tokio::time::timeout(CENTRAL_WAIT, asked).await {
            Ok(Ok(check)) => Some(check),
            Ok(Err(e)) => {
                tracing::warn!("the central store could not check a password: {}", zc_sync::failure::describe(&e));
                None
            }
            Err(_) => None,
        }
    }

    /// After the centre accepted a password: keeps its hash for offline sign-ins (in the
    /// credential's keyring entry), and notes that the centre has this person's password.
    pub(crate) async fn cache_central_password(
        &self,
        user_id: i64,
        credential: &str,
        cached: Option<&Sensitive<String>>,
        password: &Sensitive<String>,
    ) -> ZcResult<()> {
        if !(cached.is_some() && verify_password(password, cached).await) {
            let hash = hash_password(password).await?;
            self.keyring()?.set(&Keyring::password_account(&self.install_id, credential), &hash).await?;
        }
        self.store.record_central_password(user_id, self.now()).await
    }

    /// Gives the centre a password set here (best effort: it goes at the next sign-in the
    /// centre answers otherwise). The person is pushed first, so the centre knows them.
    pub(crate) async fn send_password(&self, username: &str, password: &Sensitive<String>) {
        let Some(pool) = self.central_pool().await else { return };
        let work = async {
            let user = self.store.user(username).await.ok()?;
            let (global, pending) = self.store.central_password_state(user.id).await.ok()?;
            let set_at = pending?;
            let audit = self.console_audit();
            let _ = zc_sync::people::push(&self.store, &pool, &audit).await;
            let id = Uuid::parse_str(&global).ok()?;
            match zc_central::people::set_password(&pool, id, password, set_at).await {
                Ok(_) => self.store.record_central_password(user.id, set_at).await.ok(),
                Err(e) => {
                    tracing::warn!(
                        "the new password goes to the central store at the next sign-in: {}",
                        zc_sync::failure::describe(&e)
                    );
                    None
                }
            }
        };
        let _ = tokio::time::timeout(CENTRAL_WAIT, work).await;
        pool.close().await;
    }

    /// Pushes people's changes and unlocks made here, best effort: what the centre does not
    /// take now goes with the next sync.
    pub(crate) async fn send_people(&self) {
        let Some(pool) = self.central_pool().await else { return };
        let audit = self.console_audit();
        let _ = tokio::time::timeout(CENTRAL_WAIT, zc_sync::people::push(&self.store, &pool, &audit)).await;
        pool.close().await;
    }

    /// The centre lacked this console's newer password (or any): a sign-in the console's own
    /// hash accepted gives it to the centre.
    pub(crate) async fn enrol_password(
        &self,
        pool: &sqlx::PgPool,
        user_id: i64,
        user: Uuid,
        password: &Sensitive<String>,
    ) {
        let Ok((_, Some(set_at))) = self.store.central_password_state(user_id).await else { return };
        let sent =
            tokio::time::timeout(CENTRAL_WAIT, zc_central::people::set_password(pool, user, password, set_at)).await;
        if let Ok(Ok(_)) = sent {
            let _ = self.store.record_central_password(user_id, set_at).await;
        }
    }
}
