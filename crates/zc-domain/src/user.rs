//! People and what they may do: roles, the capability every command needs, and the rules for
//! usernames, passwords and failed sign-ins. `zc-app` checks a capability at the top of every
//! command, so the CLI, the window and a direct IPC call get the same answer; the UI only hides
//! what the core would refuse anyway.

use crate::error::{ErrorCode, ZcError, ZcResult};
use serde::{Deserialize, Serialize};

/// A person's role. Each includes the one before: an engineer may do all an operator may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Watches, acknowledges and shelves alarms.
    Operator,
    /// Plus connections, keys, certificates, maintenance windows, alarm settings, exports.
    Engineer,
    /// Plus widgets, users, retention and updates.
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Operator, Role::Engineer, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Operator => "operator",
            Role::Engineer => "engineer",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> ZcResult<Role> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| ZcError::invalid(format!("'{s}' is not a role; use operator, engineer or admin")))
    }

    /// With its article, for messages ("an operator").
    pub fn with_article(self) -> &'static str {
        match self {
            Role::Operator => "an operator",
            Role::Engineer => "an engineer",
            Role::Admin => "an admin",
        }
    }
}

/// What a command needs. Every `zc-app` command names exactly one; the role matrix test walks
/// all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Capability {
    /// What the console shows: status, history, metrics, points, alarms, widgets, health.
    View,
    /// Acknowledge, shelve and unshelve alarms.
    HandleAlarms,
    /// Add, edit and remove connections; certificates and trust; gateways; point limits.
    EditConnections,
    /// Set and check API keys.
    ManageKeys,
    /// Schedule and end maintenance windows.
    MaintenanceWindows,
    /// Alarm settings (floods, certificate warnings).
    AlarmSettings,
    /// Exports and charts written to files.
    Export,
    /// Read and verify the activity log.
    ReadActivity,
    /// Create, edit, duplicate, deactivate, delete and restore widgets.
    EditWidgets,
    /// Create users, change roles, unlock, reset passwords.
    ManageUsers,
    /// Retention policies and running retention.
    Retention,
    /// Check for and install updates.
    Updates,
    /// Connect the console to the central store; retry what it refused.
    Central,
}

impl Capability {
    pub const ALL: [Capability; 13] = [
        Capability::View,
        Capability::HandleAlarms,
        Capability::EditConnections,
        Capability::ManageKeys,
        Capability::MaintenanceWindows,
        Capability::AlarmSettings,
        Capability::Export,
        Capability::ReadActivity,
        Capability::EditWidgets,
        Capability::ManageUsers,
        Capability::Retention,
        Capability::Updates,
        Capability::Central,
    ];

    /// The least role that has it.
    pub fn needs(self) -> Role {
        use Capability::*;
        match self {
            View | HandleAlarms => Role::Operator,
            EditConnections | ManageKeys | MaintenanceWindows | AlarmSettings | Export | ReadActivity => Role::Engineer,
            EditWidgets | ManageUsers | Retention | Updates | Central => Role::Admin,
        }
    }

    pub fn as_str(self) -> &'static str {
        use Capability::*;
        match self {
            View => "view",
            HandleAlarms => "handle_alarms",
            EditConnections => "edit_connections",
            ManageKeys => "manage_keys",
            MaintenanceWindows => "maintenance_windows",
            AlarmSettings => "alarm_settings",
            Export => "export",
            ReadActivity => "read_activity",
            EditWidgets => "edit_widgets",
            ManageUsers => "manage_users",
            Retention => "retention",
            Updates => "updates",
            Central => "central",
        }
    }

    /// What it lets a person do, for refusals ("editing connections needs …").
    pub fn words(self) -> &'static str {
        use Capability::*;
        match self {
            View => "viewing the console",
            HandleAlarms => "handling alarms",
            EditConnections => "editing connections",
            ManageKeys => "managing API keys",
            MaintenanceWindows => "scheduling maintenance windows",
            AlarmSettings => "changing alarm settings",
            Export => "exporting",
            ReadActivity => "reading the activity log",
            EditWidgets => "editing widgets",
            ManageUsers => "managing users",
            Retention => "changing retention",
            Updates => "installing updates",
            Central => "managing the central store connection",
        }
    }
}

impl Role {
    pub fn allows(self, c: Capability) -> bool {
        self >= c.needs()
    }
}

/// The refusal for a person whose role lacks `c`.
pub fn forbidden(username: &str, role: Role, c: Capability) -> ZcError {
    let needed = c.needs();
    ZcError::new(
        ErrorCode::Forbidden,
        format!(
            "{} needs the {} role; {username} is {}. Ask an admin to change your role, or sign in as someone who has it",
            capitalised(c.words()),
            needed.as_str(),
            role.with_article()
        ),
    )
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

/// The SHA-256 of a session token, lowercase hex: what the database keeps of it.
pub fn session_digest(token: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A username: what a person types to sign in, and what the activity log names.
pub fn validate_username(raw: &str) -> ZcResult<String> {
    let u = raw.trim().to_lowercase();
    let ok = (2..=32).contains(&u.len())
        && u.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-' | '_'))
        && u.chars().next().is_some_and(|c| c.is_ascii_lowercase());
    if !ok {
        return Err(ZcError::new(
            ErrorCode::InvalidName,
            "a username is 2-32 lowercase letters, digits, '.', '-' or '_', starting with a letter (e.g. j.meyer)",
        ));
    }
    Ok(u)
}

pub const MIN_PASSWORD_CHARS: usize = 10;
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// The rules a new password must meet (NIST SP 800-63B: length, not composition rules). The
/// message never repeats the password.
pub fn validate_new_password(password: &str, username: &str) -> ZcResult<()> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(ZcError::new(
            ErrorCode::WeakPassword,
            format!(
                "the password has {chars} characters; use at least {MIN_PASSWORD_CHARS} (a phrase of a few words is easiest)"
            ),
        ));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(ZcError::new(
            ErrorCode::WeakPassword,
            format!("the password is longer than {MAX_PASSWORD_BYTES} bytes; choose a shorter one"),
        ));
    }
    if password.to_lowercase().contains(username) {
        return Err(ZcError::new(ErrorCode::WeakPassword, "the password contains the username; choose another"));
    }
    if password.chars().all(|c| password.starts_with(c)) {
        return Err(ZcError::new(ErrorCode::WeakPassword, "the password repeats one character; choose another"));
    }
    Ok(())
}

/// A person's profile, apart from their identity.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct Profile {
    pub display_name: Option<String>,
    pub company: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// IANA time zone (e.g. Europe/Berlin); `None`: the device's.
    pub timezone: Option<String>,
    /// The console's language: `en` or `de`; `None`: the device's.
    pub preferred_language: Option<String>,
}

/// The languages every console string exists in.
pub const LANGUAGES: [&str; 2] = ["en", "de"];

/// The console's colours: the dark control-room theme by default, a light one for bright rooms.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Theme {
    #[default]
    Dark,
    Light,
}

impl Theme {
    pub fn as_str(self) -> &'static str {
        match self {
            Theme::Dark => "dark",
            Theme::Light => "light",
        }
    }
    pub fn parse(s: &str) -> ZcResult<Theme> {
        match s {
            "dark" => Ok(Theme::Dark),
            "light" => Ok(Theme::Light),
            _ => Err(ZcError::invalid(format!("unknown theme '{s}'; use dark or light"))),
        }
    }
}

const MAX_PROFILE_FIELD_CHARS: usize = 120;

impl Profile {
    /// Trims every field (empty means unset) and checks it; the message names the field.
    pub fn validate(self) -> ZcResult<Profile> {
        fn field(name: &str, v: Option<String>) -> ZcResult<Option<String>> {
            let v = v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
            if let Some(s) = &v
                && (s.chars().count() > MAX_PROFILE_FIELD_CHARS || s.chars().any(char::is_control))
            {
                return Err(ZcError::invalid(format!(
                    "the {name} must be one line of at most {MAX_PROFILE_FIELD_CHARS} characters"
                )));
            }
            Ok(v)
        }
        let email = field("email", self.email)?;
        if let Some(e) = &email {
            let ok = e.split_once('@').is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !d.starts_with('.'));
            if !ok || e.contains(' ') {
                return Err(ZcError::invalid(format!("'{e}' is not an email address (name@example.com)")));
            }
        }
        let phone = field("phone number", self.phone)?;
        if let Some(p) = &phone
            && !p.chars().all(|c| c.is_ascii_digit() || " +-()/.".contains(c))
        {
            return Err(ZcError::invalid("a phone number holds digits, spaces and + - ( ) / . only"));
        }
        let timezone = field("time zone", self.timezone)?;
        if let Some(tz) = &timezone {
            crate::timezone::parse_zone(tz)?;
        }
        let preferred_language = field("language", self.preferred_language)?;
        if let Some(l) = &preferred_language
            && !LANGUAGES.contains(&l.as_str())
        {
            return Err(ZcError::invalid(format!("'{l}' is not a console language; use en or de")));
        }
        Ok(Profile {
            display_name: field("display name", self.display_name)?,
            company: field("company", self.company)?,
            email,
            phone,
            timezone,
            preferred_language,
        })
    }
}

/// How failed sign-ins slow down and lock: the first few are free (typos), then each waits
/// twice as long as the one before, and the limit locks the account until an admin unlocks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInPolicy {
    /// Failures allowed before the first wait.
    pub free_failures: u32,
    /// The first wait; each later failure doubles it, up to `max_delay_ms`.
    pub first_delay_ms: i64,
    pub max_delay_ms: i64,
    /// Consecutive failures that lock the account.
    pub lock_after: u32,
}

impl Default for SignInPolicy {
    fn default() -> Self {
        SignInPolicy { free_failures: 3, first_delay_ms: 2_000, max_delay_ms: 5 * 60_000, lock_after: 10 }
    }
}

impl SignInPolicy {
    /// How long after the `failures`-th consecutive failure the next attempt must wait.
    pub fn delay_after(&self, failures: u32) -> i64 {
        if failures < self.free_failures.max(1) {
            return 0;
        }
        let doublings = (failures - self.free_failures.max(1)).min(30);
        self.first_delay_ms.saturating_mul(1i64 << doublings).min(self.max_delay_ms)
    }

    pub fn locks(&self, failures: u32) -> bool {
        failures >= self.lock_after
    }
}

/// Why a sign-in failed, as the activity log records it. Never the typed password, nor an
/// unknown username (it may be a password typed in the wrong field).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum SignInFailure {
    UnknownUser,
    WrongPassword,
    /// Too soon after the last failure.
    Backoff,
    Locked,
    Disabled,
}

impl SignInFailure {
    pub fn as_str(self) -> &'static str {
        match self {
            SignInFailure::UnknownUser => "unknown_user",
            SignInFailure::WrongPassword => "wrong_password",
            SignInFailure::Backoff => "backoff",
            SignInFailure::Locked => "locked",
            SignInFailure::Disabled => "disabled",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_includes_the_one_before() {
        for c in Capability::ALL {
            let allowed: Vec<Role> = Role::ALL.into_iter().filter(|r| r.allows(c)).collect();
            assert_eq!(allowed.first(), Some(&c.needs()), "{c:?}");
            assert_eq!(allowed.last(), Some(&Role::Admin), "{c:?}");
        }
        assert!(Role::Operator.allows(Capability::HandleAlarms));
        assert!(!Role::Operator.allows(Capability::EditWidgets));
        assert!(!Role::Engineer.allows(Capability::EditWidgets));
        assert!(Role::Engineer.allows(Capability::MaintenanceWindows));
    }

    #[test]
    fn a_refusal_names_the_role_needed() {
        let e = forbidden("olga", Role::Operator, Capability::EditWidgets);
        assert_eq!(e.code, ErrorCode::Forbidden);
        assert_eq!(
            e.message,
            "Editing widgets needs the admin role; olga is an operator. Ask an admin to change your role, or sign in as someone who has it"
        );
    }

    #[test]
    fn usernames_are_normalised_and_bounded() {
        assert_eq!(validate_username(" J.Meyer ").unwrap(), "j.meyer");
        for bad in ["a", "1abc", "with space", "ümlaut", &"x".repeat(33)] {
            assert_eq!(validate_username(bad).unwrap_err().code, ErrorCode::InvalidName, "{bad}");
        }
    }

    #[test]
    fn weak_passwords_are_refused_without_repeating_them() {
        for bad in ["short", "aaaaaaaaaaaa", "olga-password-1"] {
            let e = validate_new_password(bad, "olga").unwrap_err();
            assert_eq!(e.code, ErrorCode::WeakPassword);
            assert!(!e.message.contains(bad), "{}", e.message);
        }
        validate_new_password("correct horse battery", "olga").unwrap();
    }

    #[test]
    fn a_profile_is_trimmed_and_each_field_checked() {
        let p = Profile {
            display_name: Some("  Jana Meyer ".into()),
            email: Some("j.meyer@example.com".into()),
            timezone: Some("Europe/Berlin".into()),
            preferred_language: Some("de".into()),
            company: Some("".into()),
            ..Default::default()
        }
        .validate()
        .unwrap();
        assert_eq!(p.display_name.as_deref(), Some("Jana Meyer"));
        assert_eq!(p.company, None);
        let bad = |f: fn(&mut Profile)| {
            let mut p = Profile::default();
            f(&mut p);
            p.validate().unwrap_err().message
        };
        assert!(bad(|p| p.email = Some("nobody".into())).contains("not an email address"));
        assert!(bad(|p| p.timezone = Some("Mars/Olympus".into())).contains("Mars/Olympus"));
        assert!(bad(|p| p.preferred_language = Some("fr".into())).contains("use en or de"));
        assert!(bad(|p| p.phone = Some("call me".into())).contains("phone number"));
    }

    #[test]
    fn failures_wait_longer_and_then_lock() {
        let p = SignInPolicy::default();
        let delays: Vec<i64> = (1..=9).map(|n| p.delay_after(n)).collect();
        assert_eq!(delays, [0, 0, 2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 128_000]);
        assert_eq!(p.delay_after(40), p.max_delay_ms);
        assert!(!p.locks(9));
        assert!(p.locks(10));
    }
}
