//! A person's settings: profile (in `auth.rs`), notification choices, theme, the zone and
//! language everything is shown in, this device, and for admins the retention policies. Anyone
//! signed in changes their own; an admin's commands change others' profiles.

use crate::{App, device_info};
use chrono_tz::Tz;
use serde::Serialize;
use zc_domain::alarm::Priority;
use zc_domain::notification::{NotificationPreferences, NotifyDecision};
use zc_domain::timezone::parse_zone;
use zc_domain::user::{LANGUAGES, Theme};
use zc_domain::{Capability, ErrorCode, Role, ZcError, ZcResult};
use zc_store::{DeviceInfo, RetentionPolicy, UserRow};

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct Settings {
    pub user: UserRow,
    pub role: Role,
    pub notifications: NotificationPreferences,
    pub theme: Theme,
    /// The IANA zone every time is shown in: the profile's, else the device's, else UTC.
    pub timezone: String,
    /// `en` or `de`: the profile's, else the device's locale when it is one of them, else `en`.
    pub language: String,
    pub languages: Vec<String>,
    pub device: DeviceInfo,
    /// Admins only.
    pub retention: Option<Vec<RetentionPolicy>>,
    /// The automatic check and the last look for an update.
    pub updates: zc_domain::update::UpdateSettings,
}

/// The device's zone when it is an IANA name, else UTC. Read from the platform alone, not the
/// whole device record: every alarm notice asks for it.
fn device_zone() -> Tz {
    parse_zone(&crate::platform::timezone()).unwrap_or(Tz::UTC)
}

fn device_language() -> String {
    let locale = crate::platform::locale().to_ascii_lowercase();
    LANGUAGES.iter().find(|l| locale.starts_with(*l)).unwrap_or(&"en").to_string()
}

fn nobody() -> ZcError {
    ZcError::new(ErrorCode::SignedOut, "nobody is signed in: sign in with `zc login USERNAME`")
}

impl App {
    /// The zone times are shown in for whoever is signed in (see [`Settings::timezone`]).
    pub async fn display_zone(&self) -> Tz {
        let Some(s) = self.signed_in() else { return device_zone() };
        match self.store.user(&s.username).await {
            Ok(u) => u.profile.timezone.as_deref().and_then(|z| parse_zone(z).ok()).unwrap_or_else(device_zone),
            Err(_) => device_zone(),
        }
    }

    /// The language words are shown in for whoever is signed in (see [`Settings::language`]).
    pub async fn display_language(&self) -> String {
        let Some(s) = self.signed_in() else { return device_language() };
        match self.store.user(&s.username).await {
            Ok(u) => u.profile.preferred_language.unwrap_or_else(device_language),
            Err(_) => device_language(),
        }
    }

    pub async fn settings(&self) -> ZcResult<Settings> {
        self.authorize(Capability::View).await?;
        let session = self.signed_in().ok_or_else(nobody)?;
        let user = self.store.user(&session.username).await?;
        let retention = match session.role >= Capability::Retention.needs() {
            true => Some(self.store.retention_policies().await?),
            false => None,
        };
        Ok(Settings {
            notifications: self.store.notification_preferences(user.id).await?,
            theme: self.store.theme(user.id).await?,
            timezone: self.display_zone().await.name().to_owned(),
            language: user.profile.preferred_language.clone().unwrap_or_else(device_language),
            languages: LANGUAGES.iter().map(|l| l.to_string()).collect(),
            device: device_info(),
            role: session.role,
            retention,
            updates: self.store.update_settings().await?,
            user,
        })
    }

    /// The signed-in person's notification choices; recorded.
    pub async fn set_notifications(&self, p: NotificationPreferences) -> ZcResult<NotificationPreferences> {
        let audit = self.authorize(Capability::View).await?;
        let s = self.signed_in().ok_or_else(nobody)?;
        let p = p.validate()?;
        self.store.set_notification_preferences(s.user_id, &s.username, &p, &audit).await?;
        Ok(p)
    }

    pub async fn set_theme(&self, theme: Theme) -> ZcResult<Theme> {
        let audit = self.authorize(Capability::View).await?;
        let s = self.signed_in().ok_or_else(nobody)?;
        self.store.set_theme(s.user_id, &s.username, theme, &audit).await?;
        Ok(theme)
    }

    /// Whether an alarm of `priority` raised at `at_ms` becomes a desktop notification for the
    /// person signed in (nobody signed in: no notification).
    pub async fn notify_decision(&self, priority: Priority, at_ms: i64) -> ZcResult<NotifyDecision> {
        let Some(s) = self.signed_in() else { return Ok(NotifyDecision::Off) };
        let p = self.store.notification_preferences(s.user_id).await?;
        Ok(p.decide(priority, at_ms, self.display_zone().await))
    }
}
