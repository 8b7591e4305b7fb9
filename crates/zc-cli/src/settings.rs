//! `zc settings`: the signed-in person's settings (notifications, theme) and what they see
//! (time zone, language, this device). The profile is `zc user profile`.

use crate::output::{Format, Table, emit};
use clap::Subcommand;
use zc_app::App;
use zc_app::zc_domain::alarm::Priority;
use zc_app::zc_domain::notification::QuietHours;
use zc_app::zc_domain::user::Theme;
use zc_app::zc_domain::{ZcError, ZcResult};

#[derive(Subcommand)]
pub enum SettingsCmd {
    /// Desktop notifications for alarms: on or off, the lowest priority, quiet hours.
    Notify {
        /// on or off.
        #[arg(long)]
        desktop: Option<String>,
        /// high, medium or low: alarms of this priority and above notify.
        #[arg(long)]
        min_priority: Option<String>,
        /// HH:MM-HH:MM in your own time zone (e.g. 22:00-06:00), or `off`.
        #[arg(long)]
        quiet: Option<String>,
    },
    /// dark (the control room's) or light.
    Theme { theme: String },
    /// Whether the console looks for updates by itself (admins); the desktop console looks,
    /// checks signatures and installs (docs/updates.md).
    Updates {
        /// on or off.
        #[arg(long)]
        auto_check: String,
    },
}

fn on_off(s: &str) -> ZcResult<bool> {
    match s {
        "on" | "true" => Ok(true),
        "off" | "false" => Ok(false),
        _ => Err(ZcError::invalid(format!("'{s}' is neither on nor off"))),
    }
}

pub async fn run(app: &App, cmd: Option<&SettingsCmd>, f: Format) -> ZcResult<()> {
    match cmd {
        Some(SettingsCmd::Notify { desktop, min_priority, quiet }) => {
            let mut p = app.settings().await?.notifications;
            if let Some(d) = desktop {
                p.desktop = on_off(d)?;
            }
            if let Some(m) = min_priority {
                p.min_priority = Priority::parse(m)?;
            }
            match quiet.as_deref() {
                Some("off") => p.quiet_hours = None,
                Some(span) => {
                    let (from, to) = span.split_once('-').ok_or_else(|| {
                        ZcError::invalid(format!("'{span}' is not a span of the day; write it as 22:00-06:00, or off"))
                    })?;
                    p.quiet_hours = Some(QuietHours { from: from.trim().into(), to: to.trim().into() });
                }
                None => {}
            }
            app.set_notifications(p).await?;
        }
        Some(SettingsCmd::Theme { theme }) => {
            app.set_theme(Theme::parse(theme)?).await?;
        }
        Some(SettingsCmd::Updates { auto_check }) => {
            app.set_update_auto_check(on_off(auto_check)?).await?;
        }
        None => {}
    }
    show(app, f).await
}

async fn show(app: &App, f: Format) -> ZcResult<()> {
    let s = app.settings().await?;
    let n = &s.notifications;
    let mut t = Table::new(&["setting", "value"]);
    let mut row = |k: &str, v: String| t.row(vec![k.to_owned(), v]);
    row("user", s.user.username.clone());
    row("role", s.role.as_str().to_owned());
    row("timezone", s.timezone.clone());
    row("language", s.language.clone());
    row("theme", s.theme.as_str().to_owned());
    row("notify.desktop", if n.desktop { "on" } else { "off" }.to_owned());
    row("notify.min_priority", n.min_priority.as_str().to_owned());
    row("updates.auto_check", if s.updates.auto_check { "on" } else { "off" }.to_owned());
    row(
        "updates.last_check",
        s.updates
            .last_check
            .as_ref()
            .map_or("never".to_owned(), |c| format!("{} ({})", c.outcome.as_str(), crate::output::time(c.at))),
    );
    row("notify.quiet_hours", n.quiet_hours.as_ref().map_or("off".to_owned(), |q| format!("{}-{}", q.from, q.to)));
    row("device", format!("{} {} {} ({})", s.device.hostname, s.device.os, s.device.os_version, s.device.arch));
    row("app_version", s.device.app_version.clone());
    emit(f, &t, &s);
    Ok(())
}
