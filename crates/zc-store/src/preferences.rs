//! Each person's notification choices (kept apart from their other settings) and console
//! settings (theme). A person without a row has the defaults.

use crate::Store;
use crate::activity::{Audit, append};
use crate::error::db_err;
use serde_json::json;
use sqlx::{Row, SqliteConnection};
use zc_domain::ZcResult;
use zc_domain::alarm::Priority;
use zc_domain::notification::{NotificationPreferences, QuietHours};
use zc_domain::user::Theme;

impl Store {
    pub async fn notification_preferences(&self, user_id: i64) -> ZcResult<NotificationPreferences> {
        let row = sqlx::query(
            "SELECT desktop, min_priority, quiet_from, quiet_to FROM notification_settings WHERE user_id = ?",
        )
        .bind(user_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?;
        let Some(r) = row else { return Ok(NotificationPreferences::default()) };
        let from: Option<String> = r.get("quiet_from");
        let to: Option<String> = r.get("quiet_to");
        Ok(NotificationPreferences {
            desktop: r.get::<i64, _>("desktop") != 0,
            min_priority: Priority::parse(r.get("min_priority")).unwrap_or(Priority::Medium),
            quiet_hours: from.zip(to).map(|(from, to)| QuietHours { from, to }),
        })
    }

    /// Saves a person's (validated) notification choices, audited as `settings.notifications`.
    pub async fn set_notification_preferences(
        &self,
        user_id: i64,
        username: &str,
        p: &NotificationPreferences,
        audit: &Audit,
    ) -> ZcResult<()> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let (from, to) = match &p.quiet_hours {
            Some(q) => (Some(q.from.as_str()), Some(q.to.as_str())),
            None => (None, None),
        };
        write_notifications(&mut tx, user_id, p.desktop, p.min_priority.as_str(), (from, to), now).await?;
        append(&mut tx, now, audit, "settings.notifications", username, json!(p)).await?;
        tx.commit().await.map_err(db_err)
    }

    pub async fn theme(&self, user_id: i64) -> ZcResult<Theme> {
        let t: Option<String> = sqlx::query_scalar("SELECT theme FROM user_settings WHERE user_id = ?")
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(t.and_then(|t| Theme::parse(&t).ok()).unwrap_or_default())
    }

    pub async fn set_theme(&self, user_id: i64, username: &str, theme: Theme, audit: &Audit) -> ZcResult<()> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO user_settings (user_id, theme, created_at, updated_at) VALUES (?, ?, ?, ?) \
             ON CONFLICT (user_id) DO UPDATE SET theme = excluded.theme, updated_at = excluded.updated_at",
        )
        .bind(user_id)
        .bind(theme.as_str())
        .bind(now)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        append(&mut tx, now, audit, "settings.theme", username, json!({"theme": theme})).await?;
        tx.commit().await.map_err(db_err)
    }
}

/// A person's notification choices, inserted or replaced (a choice made here, or the centre's).
pub(crate) async fn write_notifications(
    tx: &mut SqliteConnection,
    user_id: i64,
    desktop: bool,
    min_priority: &str,
    (quiet_from, quiet_to): (Option<&str>, Option<&str>),
    now: i64,
) -> ZcResult<()> {
    sqlx::query(
        "INSERT INTO notification_settings (user_id, desktop, min_priority, quiet_from, quiet_to, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6) ON CONFLICT (user_id) DO UPDATE SET desktop = excluded.desktop, \
         min_priority = excluded.min_priority, quiet_from = excluded.quiet_from, quiet_to = excluded.quiet_to, \
         updated_at = excluded.updated_at",
    )
    .bind(user_id)
    .bind(desktop as i64)
    .bind(min_priority)
    .bind(quiet_from)
    .bind(quiet_to)
    .bind(now)
    .execute(&mut *tx)
    .await
    .map_err(db_err)?;
    Ok(())
}
