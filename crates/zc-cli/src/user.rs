//! `zc user …`: the first admin, people and their roles (admins), one's own password and
//! profile. Passwords come from a prompt that does not echo, or one per line on stdin.

use crate::login::{read_new_password, read_passwords, session_table};
use crate::output::{Format, Table, emit, time_opt};
use clap::{Args, Subcommand};
use zc_app::zc_domain::user::Profile;
use zc_app::zc_domain::{Role, ZcResult};
use zc_app::zc_store::UserRow;
use zc_app::{App, NewUser};

#[derive(Args, Default)]
pub struct ProfileArgs {
    /// The name shown in the console.
    #[arg(long)]
    pub name: Option<String>,
    #[arg(long)]
    pub company: Option<String>,
    #[arg(long)]
    pub email: Option<String>,
    #[arg(long)]
    pub phone: Option<String>,
    /// IANA time zone every time is shown in, e.g. Europe/Berlin.
    #[arg(long)]
    pub timezone: Option<String>,
    /// en or de.
    #[arg(long)]
    pub language: Option<String>,
}

impl ProfileArgs {
    /// The given fields over `base` (an empty value clears a field).
    fn over(&self, base: Profile) -> Profile {
        let pick = |new: &Option<String>, old: Option<String>| new.clone().or(old);
        Profile {
            display_name: pick(&self.name, base.display_name),
            company: pick(&self.company, base.company),
            email: pick(&self.email, base.email),
            phone: pick(&self.phone, base.phone),
            timezone: pick(&self.timezone, base.timezone),
            preferred_language: pick(&self.language, base.preferred_language),
        }
    }
}

#[derive(Subcommand)]
pub enum UserCmd {
    /// On a new console: create its first admin (password asked twice) and sign in.
    Init {
        username: String,
        #[command(flatten)]
        profile: ProfileArgs,
    },
    /// Add a person (admin): operator, engineer or admin.
    Add {
        username: String,
        #[arg(long)]
        role: String,
        #[command(flatten)]
        profile: ProfileArgs,
    },
    /// Everyone who can sign in (admin).
    List,
    /// A person's record (default: yourself).
    Show {
        username: Option<String>,
    },
    /// Change a person's role (admin).
    Role {
        username: String,
        role: String,
    },
    /// Disable a person (admin): their sessions end and they cannot sign in.
    Disable {
        username: String,
    },
    Enable {
        username: String,
    },
    /// Lift a lock after failed sign-ins (admin).
    Unlock {
        username: String,
    },
    /// Set a new password for a person (admin); also unlocks them and ends their sessions.
    ResetPassword {
        username: String,
    },
    /// Change your own password (the current one, then the new one).
    Passwd,
    /// Change a profile (default: yours; another person's: admin).
    Profile {
        username: Option<String>,
        #[command(flatten)]
        profile: ProfileArgs,
    },
}

fn users_table(rows: &[UserRow]) -> Table {
    let mut t = Table::new(&["user", "role", "name", "state", "failed", "last_sign_in", "timezone", "language"]);
    for u in rows {
        let state = match (u.disabled_at, u.locked_at) {
            (Some(_), _) => "disabled",
            (None, Some(_)) => "locked",
            _ => "active",
        };
        t.row(vec![
            u.username.clone(),
            u.role.as_str().into(),
            u.profile.display_name.clone().unwrap_or_default(),
            state.into(),
            u.failed_count.to_string(),
            time_opt(u.last_sign_in_at),
            u.profile.timezone.clone().unwrap_or_default(),
            u.profile.preferred_language.clone().unwrap_or_default(),
        ]);
    }
    t
}

fn one(f: Format, u: &UserRow) {
    emit(f, &users_table(std::slice::from_ref(u)), u);
}

pub async fn run(app: &App, cmd: &UserCmd, f: Format) -> ZcResult<()> {
    match cmd {
        UserCmd::Init { username, profile } => {
            let password = read_new_password(&format!("New password for {username}"))?;
            let profile = profile.over(Profile::default());
            let u = app
                .create_first_admin(NewUser {
                    username: username.clone(),
                    role: Role::Admin,
                    profile,
                    password: password.clone(),
                })
                .await?;
            let s = app.login_cli(&u.username, &password).await?;
            emit(f, &session_table(&s), &s);
        }
        UserCmd::Add { username, role, profile } => {
            let role = Role::parse(role)?;
            let password = read_new_password(&format!("Password for {username}"))?;
            let profile = profile.over(Profile::default());
            one(f, &app.add_user(NewUser { username: username.clone(), role, profile, password }).await?);
        }
        UserCmd::List => {
            let all = app.users().await?;
            emit(f, &users_table(&all), &all);
        }
        UserCmd::Show { username } => one(f, &app.user(username.as_deref()).await?),
        UserCmd::Role { username, role } => one(f, &app.set_user_role(username, Role::parse(role)?).await?),
        UserCmd::Disable { username } => one(f, &app.set_user_disabled(username, true).await?),
        UserCmd::Enable { username } => one(f, &app.set_user_disabled(username, false).await?),
        UserCmd::Unlock { username } => one(f, &app.unlock_user(username).await?),
        UserCmd::ResetPassword { username } => {
            let password = read_new_password(&format!("New password for {username}"))?;
            one(f, &app.reset_password(username, &password).await?);
        }
        UserCmd::Passwd => {
            let mut v = read_passwords(&["Current password"])?;
            let new = read_new_password("New password")?;
            one(f, &app.change_password(&v.remove(0), &new).await?);
        }
        UserCmd::Profile { username, profile } => {
            let current = app.user(username.as_deref()).await?;
            let merged = profile.over(current.profile);
            one(f, &app.set_profile(username.as_deref(), merged).await?);
        }
    }
    Ok(())
}
