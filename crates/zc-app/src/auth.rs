//! Who acts. Every command starts with [`App::authorize`], which reads the session again (so a
//! role change, a disable or an expiry takes effect at the next command, in every process) and
//! returns the audit the command records itself with. A refusal is `{code: forbidden}` naming
//! the role needed, and is recorded too. Unattended work (the monitor, its retention) acts as the
//! console itself ([`App::console_audit`]), never as whoever signed in last.
//!
//! Sign-in needs no network: the password's argon2id hash is in the OS keyring, the failures,
//! wait and lock in the database. The CLI keeps its session id in the keyring too (one per data
//! directory and OS account); the window keeps it in memory.

use crate::App;
use crate::central_sign_in::CheckedBy;
use serde::Serialize;
use serde_json::json;
use zc_central::people::PasswordCheck;
use zc_domain::user::{Profile, SignInFailure, SignInPolicy, forbidden, validate_new_password, validate_username};
use zc_domain::{Capability, ErrorCode, Role, Sensitive, ZcError, ZcResult};
use zc_secrets::{Keyring, hash_password, verify_password};
use zc_store::{Attempt, AttemptOrigin, Audit, Limits, SessionRow, UserRow};

/// A shift: a session lasts this long unless ended before.
pub const SESSION_MS: i64 = 12 * 3_600_000;

/// The demo's admin, signed in by `--demo` and `zc demo` (the README names the password, so
/// anyone trying the demo can sign in again after signing out).
pub const DEMO_USER: &str = "demo";
pub const DEMO_PASSWORD: &str = "zeroclient-trial";

/// Where a sign-in comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Client {
    Cli,
    Desktop,
}

impl Client {
    pub fn as_str(self) -> &'static str {
        match self {
            Client::Cli => "cli",
            Client::Desktop => "desktop",
        }
    }
}

/// Who the commands of this `App` act for.
#[derive(Debug, Clone)]
pub(crate) enum Actor {
    Nobody,
    /// A session was held (in memory, or kept by the CLI) and is no longer valid.
    Ended,
    Person(SessionRow),
}

/// What the sign-in screen needs to know.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct SignInState {
    /// Nobody can sign in yet: the first admin is to be created.
    pub first_run: bool,
    pub session: Option<SessionRow>,
    pub user: Option<UserRow>,
    /// The language to show in: the person's, or before anyone signs in the device's (`en`
    /// unless the device speaks one of the console's languages).
    pub language: String,
}

/// A new person, as an admin (or the first run) gives it.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub role: Role,
    pub profile: Profile,
    pub password: Sensitive<String>,
}

impl App {
    /// The console itself, for unattended work.
    pub fn console_audit(&self) -> Audit {
        Audit { actor: format!("console:{}", self.hostname), device_id: Some(self.device_id) }
    }

    fn audit_of(&self, s: &SessionRow) -> Audit {
        Audit { actor: format!("user:{}", s.username), device_id: Some(self.device_id) }
    }

    fn origin(&self, client: Client) -> AttemptOrigin {
        let d = crate::device_info();
        AttemptOrigin {
            client: client.as_str().into(),
            hostname: d.hostname,
            os_user: crate::os_user(),
            os: d.os,
            app_version: d.app_version,
            checked_by: None,
        }
    }

    fn set_actor(&self, a: Actor) {
        *self.actor.write().unwrap() = a;
    }

    /// The person signed in, as of the last command (not re-read).
    pub fn signed_in(&self) -> Option<SessionRow> {
        match &*self.actor.read().unwrap() {
            Actor::Person(s) => Some(s.clone()),
            Actor::Nobody | Actor::Ended => None,
        }
    }

    /// The check every command starts with; the audit to record the command with.
    pub(crate) async fn authorize(&self, c: Capability) -> ZcResult<Audit> {
        let Some(held) = self.signed_in() else {
            // The guard is let go before the await (it must not be held across one).
            let ended = matches!(*self.actor.read().unwrap(), Actor::Ended);
            return Err(if ended { session_ended() } else { self.signed_out_error().await });
        };
        let Some(s) = self.store.session(&held.id).await? else {
            self.set_actor(Actor::Ended);
            return Err(session_ended());
        };
        // The role as it is now, not as it was at sign-in.
        self.set_actor(Actor::Person(s.clone()));
        let audit = self.audit_of(&s);
        if !s.role.allows(c) {
            let e = forbidden(&s.username, s.role, c);
            let meta = json!({"capability": c.as_str(), "role": s.role.as_str(), "needs": c.needs().as_str()});
            self.store.record_activity(&audit, "auth.forbidden", &s.username, meta).await?;
            return Err(e);
        }
        Ok(audit)
    }

    async fn signed_out_error(&self) -> ZcError {
        let first = !self.store.has_users().await.unwrap_or(true);
        ZcError::new(
            ErrorCode::SignedOut,
            if first {
                "nobody can sign in to this console yet: create its first admin with `zc user init USERNAME` (or in the console's window)"
            } else {
                "nobody is signed in: sign in with `zc login USERNAME`"
            },
        )
    }

    pub async fn sign_in_state(&self) -> ZcResult<SignInState> {
        let session = match self.signed_in() {
            Some(s) => self.store.session(&s.id).await?,
            None => None,
        };
        let user = match &session {
            Some(s) => Some(self.store.user(&s.username).await?),
            None => None,
        };
        Ok(SignInState {
            first_run: !self.store.has_users().await?,
            session,
            user,
            language: self.display_language().await,
        })
    }

    /// Checks a new person and stores their password's hash in the keyring under a fresh
    /// credential id; returns the id. Nothing is in the database yet.
    async fn new_credential(&self, username: &str, password: &Sensitive<String>) -> ZcResult<String> {
        validate_new_password(password.expose(), username)?;
        let keyring = Keyring::new()?;
        let credential = hex::encode(rand::random::<[u8; 16]>());
        let hash = hash_password(password).await?;
        keyring.set(&Keyring::password_account(&self.install_id, &credential), &hash).await?;
        Ok(credential)
    }

    async fn create_user(&self, u: NewUser, first: bool, audit: &Audit) -> ZcResult<UserRow> {
        let username = validate_username(&u.username)?;
        let profile = u.profile.validate()?;
        let credential = self.new_credential(&username, &u.password).await?;
        match self.store.create_user(&username, u.role, &profile, &credential, first, audit).await {
            Ok(row) => {
                self.send_password(&username, &u.password).await;
                Ok(row)
            }
            Err(e) => {
                // Nobody points at it: let it go (harmless if that fails too: a random name).
                let _ = Keyring::new()?.delete(&Keyring::password_account(&self.install_id, &credential)).await;
                Err(e)
            }
        }
    }

    /// The first run: creates the console's first admin. Refused once anyone can sign in.
    pub async fn create_first_admin(&self, mut u: NewUser) -> ZcResult<UserRow> {
        u.role = Role::Admin;
        let name = validate_username(&u.username)?;
        let audit = Audit { actor: format!("user:{name}"), device_id: Some(self.device_id) };
        self.create_user(u, true, &audit).await
    }

    /// Signs a person in. Not connected to a centre: against the hash in the keyring, no
    /// network needed. Connected: the centre is asked first (see `central_sign_in.rs`) and the
    /// cached hash is used only when it does not answer. Each failure is recorded with its
    /// reason and who checked; the message never says whether the username or the password
    /// was wrong.
    pub async fn sign_in(&self, username: &str, password: &Sensitive<String>, client: Client) -> ZcResult<SessionRow> {
        let mut origin = self.origin(client);
        let device = self.console_audit();
        // A name that cannot be a username is an unknown user, checked like any other.
        let name = validate_username(username).unwrap_or_else(|_| String::from("\u{0}"));
        let connected = self.store.central_link().await?.is_some();
        // Connected: who exists, their role and whether they are disabled, as the centre says.
        let mut central = self.central_pool().await;
        if let Some(pool) = &central
            && !self.refresh_people(pool).await
        {
            pool.close().await;
            central = None;
        }
        // The centre's word first: when it answers, its count of failures across every console
        // decides the waits and the lock, not this console's own (docs/central.md).
        let verdict = match &central {
            Some(pool) => match self.store.user(&name).await {
                Ok(u) => self.central_check(pool, u.id, &name, password).await,
                Err(_) => None,
            },
            None => None,
        };
        if let Some(PasswordCheck::Locked | PasswordCheck::Backoff { .. }) = &verdict {
            close(central).await;
            let (reason, wait_ms) = match verdict {
                Some(PasswordCheck::Backoff { wait_ms }) => (SignInFailure::Backoff, wait_ms),
                _ => (SignInFailure::Locked, 0),
            };
            origin.checked_by = Some(CheckedBy::Central.as_str().into());
            self.store.record_central_refusal(&name, reason, wait_ms, &origin, &device).await?;
            return Err(refusal(reason, wait_ms));
        }
        let limits = limits_of(&verdict);
        let policy = policy_under(limits);
        let attempt = self.store.begin_sign_in(&name, &policy, limits, &origin, &device).await;
        let attempt = match attempt {
            Ok(a) => a,
            Err(e) => {
                close(central).await;
                return Err(e);
            }
        };
        let (user_id, username, credential) = match attempt {
            Attempt::Try { user_id, username, credential } => (user_id, username, credential),
            Attempt::Refused { reason, wait_ms } => {
                close(central).await;
                if reason == SignInFailure::UnknownUser {
                    // The same work as a real check, so the time taken tells nothing.
                    verify_password(password, None).await;
                }
                return Err(refusal(reason, wait_ms));
            }
        };
        let checked_by = match (&verdict, connected) {
            (Some(_), _) => CheckedBy::Central,
            (None, true) => CheckedBy::Cached,
            (None, false) => CheckedBy::Console,
        };
        origin.checked_by = Some(checked_by.as_str().into());
        let result = self
            .settle_sign_in(central.as_ref(), verdict, (user_id, &username, &credential), password, client, &origin)
            .await;
        close(central).await;
        result
    }

    /// The rest of a sign-in `begin_sign_in` allowed: the centre's verdict where it gave one,
    /// else the cached hash.
    async fn settle_sign_in(
        &self,
        central: Option<&sqlx::PgPool>,
        verdict: Option<PasswordCheck>,
        (user_id, username, credential): (i64, &str, &str),
        password: &Sensitive<String>,
        client: Client,
        origin: &AttemptOrigin,
    ) -> ZcResult<SessionRow> {
        let policy = policy_under(limits_of(&verdict));
        let device = self.console_audit();
        let read = match Keyring::new() {
            Ok(k) => k.get(&Keyring::password_account(&self.install_id, credential)).await,
            Err(e) => Err(e),
        };
        let cached = match read {
            Ok(h) => h,
            Err(e) => {
                // Not the person's failure: the attempt does not count.
                self.store.abandon_sign_in(user_id).await?;
                return Err(e);
            }
        };
        // The centre counted this failure: its wait is the one to tell.
        let central_wait = match &verdict {
            Some(PasswordCheck::Wrong { wait_ms }) => Some(*wait_ms),
            _ => None,
        };
        let ok = match verdict {
            Some(PasswordCheck::Ok { .. }) => {
                if let Err(e) = self.cache_central_password(user_id, credential, cached.as_ref(), password).await {
                    self.store.abandon_sign_in(user_id).await?;
                    return Err(e);
                }
                true
            }
            Some(PasswordCheck::Wrong { .. }) => false,
            Some(PasswordCheck::Disabled) => {
                self.store.abandon_sign_in(user_id).await?;
                return Err(refusal(SignInFailure::Disabled, 0));
            }
            // Refused before `begin_sign_in` (see `sign_in`).
            Some(PasswordCheck::Locked | PasswordCheck::Backoff { .. }) => {
                self.store.abandon_sign_in(user_id).await?;
                return Err(refusal(SignInFailure::Locked, 0));
            }
            // Not at the centre yet, or the centre lacks this console's password: this console's own.
            Some(PasswordCheck::Unknown | PasswordCheck::NoPassword { .. } | PasswordCheck::Stale { .. }) | None => {
                let Some(hash) = cached else {
                    self.store.abandon_sign_in(user_id).await?;
                    return Err(ZcError::new(
                        ErrorCode::SignInRefused,
                        format!(
                            "the password of {username} is not in this computer's keyring: they have not signed in here while the central store answered, or the keyring was reset; sign in when the central store can be reached, or an admin can set a new password with `zc user reset-password {username}`"
                        ),
                    ));
                };
                let ok = verify_password(password, Some(&hash)).await;
                if ok
                    && let (Some(pool), Some(PasswordCheck::NoPassword { user } | PasswordCheck::Stale { user })) =
                        (central, verdict)
                {
                    self.enrol_password(pool, user_id, user, password).await;
                }
                ok
            }
        };
        let id = hex::encode(rand::random::<[u8; 16]>());
        let session = self
            .store
            .finish_sign_in(user_id, username, ok, Some((&id, client.as_str(), SESSION_MS)), &policy, origin, &device)
            .await?;
        match session {
            Some(s) => {
                self.set_actor(Actor::Person(s.clone()));
                Ok(s)
            }
            None if ok => Err(refusal(SignInFailure::Disabled, 0)),
            // The centre counted it: its wait, whatever this console's count says.
            None if central_wait.is_some() => {
                Err(refusal(SignInFailure::WrongPassword, central_wait.unwrap_or_default()))
            }
            None => {
                let u = self.store.user(username).await?;
                Err(match u.locked_at {
                    Some(_) => refusal(SignInFailure::Locked, 0),
                    None => refusal(SignInFailure::WrongPassword, policy.delay_after(u.failed_count as u32)),
                })
            }
        }
    }

    /// Takes up a session started before (the CLI's, from the keyring). `false` when it is no
    /// longer valid.
    pub async fn resume_session(&self, id: &str) -> ZcResult<bool> {
        match self.store.session(id).await? {
            Some(s) => {
                self.set_actor(Actor::Person(s));
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Ends this App's session (recorded as the person's sign-out).
    pub async fn sign_out(&self) -> ZcResult<Option<SessionRow>> {
        let Some(s) = self.signed_in() else { return Ok(None) };
        self.store.end_session(&s.id, "sign_out", &self.audit_of(&s)).await?;
        self.set_actor(Actor::Nobody);
        Ok(Some(s))
    }

    // ---- the CLI's session, kept in the keyring ----

    /// Signs in from the CLI and keeps the session in the keyring; a session kept before is
    /// ended first.
    pub async fn login_cli(&self, username: &str, password: &Sensitive<String>) -> ZcResult<SessionRow> {
        let keyring = Keyring::new()?;
        let account = Keyring::session_account(&self.install_id);
        if let Some(old) = keyring.get(&account).await?
            && self.resume_session(old.expose()).await?
        {
            self.sign_out().await?;
        }
        let s = self.sign_in(username, password, Client::Cli).await?;
        if let Err(e) = keyring.set(&account, &Sensitive::new(s.id.clone())).await {
            self.sign_out().await?;
            return Err(e);
        }
        Ok(s)
    }

    /// Takes up the CLI's kept session, if there is a valid one. A keyring that cannot be read
    /// leaves nobody signed in; the command then says so.
    pub async fn resume_cli_session(&self) -> ZcResult<Option<SessionRow>> {
        let keyring = Keyring::new()?;
        let account = Keyring::session_account(&self.install_id);
        let Some(id) = keyring.get(&account).await? else { return Ok(None) };
        if self.resume_session(id.expose()).await? {
            Ok(self.signed_in())
        } else {
            keyring.delete(&account).await?;
            self.set_actor(Actor::Ended);
            Ok(None)
        }
    }

    pub async fn logout_cli(&self) -> ZcResult<Option<SessionRow>> {
        let ended = self.sign_out().await?;
        Keyring::new()?.delete(&Keyring::session_account(&self.install_id)).await?;
        Ok(ended)
    }

    /// The demo's admin: created on a console nobody signs in to yet, then signed in (in this
    /// process; nothing is kept in the keyring).
    pub async fn sign_in_demo(&self, client: Client) -> ZcResult<SessionRow> {
        // Its password is published: never on a console where anyone else signs in.
        let users = self.store.users().await?;
        if users.iter().any(|u| u.username != DEMO_USER) {
            return Err(ZcError::new(
                ErrorCode::SignInRefused,
                "this data directory has its own users, so the demo (whose password is published) does not sign in here; run the demo with a data directory of its own (--data-dir)",
            ));
        }
        if users.is_empty() {
            let profile = Profile { display_name: Some("Demo admin".into()), ..Default::default() };
            let password = Sensitive::new(DEMO_PASSWORD.to_owned());
            self.create_first_admin(NewUser { username: DEMO_USER.into(), role: Role::Admin, profile, password })
                .await?;
        }
        let password = Sensitive::new(DEMO_PASSWORD.to_owned());
        self.sign_in(DEMO_USER, &password, client).await.map_err(|e| match e.code {
            ErrorCode::SignInRefused => ZcError::new(
                ErrorCode::SignInRefused,
                format!("the demo cannot sign in here ({}); this data directory has its own users: run the demo with a data directory of its own (--data-dir)", e.message),
            ),
            _ => e,
        })
    }

    // ---- users (admin), and one's own password and profile ----

    pub async fn users(&self) -> ZcResult<Vec<UserRow>> {
        self.authorize(Capability::ManageUsers).await?;
        self.store.users().await
    }

    /// A user's record: one's own for anyone signed in, others' for admins.
    pub async fn user(&self, username: Option<&str>) -> ZcResult<UserRow> {
        let name = self.own_or_managed(username).await?.1;
        self.store.user(&name).await
    }

    pub async fn add_user(&self, u: NewUser) -> ZcResult<UserRow> {
        let audit = self.authorize(Capability::ManageUsers).await?;
        self.create_user(u, false, &audit).await
    }

    pub async fn set_user_role(&self, username: &str, role: Role) -> ZcResult<UserRow> {
        let audit = self.authorize(Capability::ManageUsers).await?;
        self.store.set_role(&validate_username(username)?, role, &audit).await
    }

    pub async fn set_user_disabled(&self, username: &str, disabled: bool) -> ZcResult<UserRow> {
        let audit = self.authorize(Capability::ManageUsers).await?;
        self.store.set_disabled(&validate_username(username)?, disabled, &audit).await
    }

    pub async fn unlock_user(&self, username: &str) -> ZcResult<UserRow> {
        let audit = self.authorize(Capability::ManageUsers).await?;
        let row = self.store.unlock_user(&validate_username(username)?, &audit).await?;
        // Connected: the centre's lock ends too (now, or at the next push).
        self.send_people().await;
        Ok(row)
    }

    /// An admin sets a new password for someone (who forgot theirs, or is locked out): it also
    /// unlocks them and ends their sessions.
    pub async fn reset_password(&self, username: &str, password: &Sensitive<String>) -> ZcResult<UserRow> {
        let audit = self.authorize(Capability::ManageUsers).await?;
        let name = validate_username(username)?;
        self.store.user(&name).await?;
        self.replace_password(&name, password, true, None, &audit).await
    }

    /// One's own password, with the current one. A wrong current password counts like a failed
    /// sign-in (the same waits and lock), so a console left signed in cannot be used to guess
    /// it; a right one ends the person's other sessions.
    pub async fn change_password(&self, current: &Sensitive<String>, new: &Sensitive<String>) -> ZcResult<UserRow> {
        let audit = self.authorize(Capability::View).await?;
        let s = self.signed_in().ok_or_else(|| ZcError::internal("authorized without a session"))?;
        let policy = SignInPolicy::default();
        let origin = self.origin(if s.client == "desktop" { Client::Desktop } else { Client::Cli });
        let (user_id, credential) =
            match self.store.begin_sign_in(&s.username, &policy, Limits::Console, &origin, &audit).await? {
                Attempt::Try { user_id, credential, .. } => (user_id, credential),
                Attempt::Refused { reason, wait_ms } => return Err(refusal(reason, wait_ms)),
            };
        let hash = match Keyring::new() {
            Ok(k) => k.get(&Keyring::password_account(&self.install_id, &credential)).await,
            Err(e) => Err(e),
        };
        let hash = match hash {
            Ok(h) => h,
            Err(e) => {
                self.store.abandon_sign_in(user_id).await?;
                return Err(e);
            }
        };
        if !verify_password(current, hash.as_ref()).await {
            self.store.finish_sign_in(user_id, &s.username, false, None, &policy, &origin, &audit).await?;
            self.store.record_activity(&audit, "user.password_change_failed", &s.username, json!({})).await?;
            return Err(ZcError::new(ErrorCode::SignInRefused, "the current password is wrong; nothing was changed"));
        }
        self.store.password_confirmed(user_id).await?;
        self.replace_password(&s.username, new, false, Some(&s.id), &audit).await
    }

    async fn replace_password(
        &self,
        username: &str,
        password: &Sensitive<String>,
        by_admin: bool,
        keep_session: Option<&str>,
        audit: &Audit,
    ) -> ZcResult<UserRow> {
        let credential = self.new_credential(username, password).await?;
        let keyring = Keyring::new()?;
        match self.store.replace_credential(username, &credential, by_admin, keep_session, audit).await {
            Ok(old) => {
                // The old hash is no longer used by anyone; a failure here leaves an unused entry.
                let _ = keyring.delete(&Keyring::password_account(&self.install_id, &old)).await;
                self.send_password(username, password).await;
            }
            Err(e) => {
                let _ = keyring.delete(&Keyring::password_account(&self.install_id, &credential)).await;
                return Err(e);
            }
        }
        self.store.user(username).await
    }

    /// Replaces a profile: one's own for anyone signed in, others' for admins.
    pub async fn set_profile(&self, username: Option<&str>, profile: Profile) -> ZcResult<UserRow> {
        let (audit, name) = self.own_or_managed(username).await?;
        let profile = profile.validate()?;
        self.store.set_profile(&name, &profile, &audit).await
    }

    /// The audit and the username for a command about oneself (any role) or another person
    /// (admins).
    async fn own_or_managed(&self, username: Option<&str>) -> ZcResult<(Audit, String)> {
        let audit = self.authorize(Capability::View).await?;
        let me = self.signed_in().map(|s| s.username).unwrap_or_default();
        match username.map(validate_username).transpose()? {
            Some(other) if other != me => Ok((self.authorize(Capability::ManageUsers).await?, other)),
            _ => Ok((audit, me)),
        }
    }
}

async fn close(pool: Option<sqlx::PgPool>) {
    if let Some(p) = pool {
        p.close().await;
    }
}

fn session_ended() -> ZcError {
    ZcError::new(
        ErrorCode::SignedOut,
        "your session has ended (it expired, you signed out, or an admin changed your account); sign in again (`zc login USERNAME`)",
    )
}

/// Whose waits and lock decide an attempt the centre gave `verdict` on.
fn limits_of(verdict: &Option<PasswordCheck>) -> Limits {
    match verdict {
        Some(PasswordCheck::Ok { .. } | PasswordCheck::Wrong { .. } | PasswordCheck::Disabled) => Limits::Central,
        _ => Limits::Console,
    }
}

/// The policy this console applies: when the centre decides, its count locks, not this one's
/// (which still counts, for the waits when the centre cannot be reached).
fn policy_under(limits: Limits) -> SignInPolicy {
    match limits {
        Limits::Console => SignInPolicy::default(),
        Limits::Central => SignInPolicy { lock_after: u32::MAX, ..SignInPolicy::default() },
    }
}

/// What a refused sign-in says. Never which half of the pair was wrong.
fn refusal(reason: SignInFailure, wait_ms: i64) -> ZcError {
    let wait = |ms: i64| format!("{} s", (ms + 999) / 1000);
    let message = match reason {
        SignInFailure::UnknownUser | SignInFailure::WrongPassword if wait_ms > 0 => format!(
            "the username or password is wrong; after several failures the next attempt waits {}",
            wait(wait_ms)
        ),
        SignInFailure::UnknownUser | SignInFailure::WrongPassword => {
            "the username or password is wrong; check both and try again".to_owned()
        }
        SignInFailure::Backoff => {
            format!("too many failed attempts: wait {} before the next one (nothing was checked)", wait(wait_ms))
        }
        SignInFailure::Locked => {
            "this account is locked after too many failed attempts; an admin can unlock it (`zc user unlock USERNAME`)"
                .to_owned()
        }
        SignInFailure::Disabled => "this account is disabled; ask an admin".to_owned(),
    };
    ZcError::new(ErrorCode::SignInRefused, message)
}
