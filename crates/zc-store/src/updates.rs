//! What the console remembers about updates (one row of `settings`, see `settings.rs`): the automatic check and
//! the last check's outcome. Each change is in the activity log.

use crate::Store;
use crate::activity::{Audit, append};
use crate::error::db_err;
use crate::settings::{put_setting, read_setting};
use serde_json::json;
use zc_domain::update::{UpdateCheck, UpdateSettings};
use zc_domain::{ZcError, ZcResult};

const KEY: &str = "updates";

impl Store {
    pub async fn update_settings(&self) -> ZcResult<UpdateSettings> {
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        let raw = read_setting(&mut conn, KEY).await?;
        // Written by a newer version with fields this one does not know: those are ignored.
        Ok(raw.and_then(|s| serde_json::from_str(&s).ok()).unwrap_or_default())
    }

    async fn write_update_settings(
        &self,
        s: &UpdateSettings,
        audit: &Audit,
        action: &str,
        meta: serde_json::Value,
    ) -> ZcResult<()> {
        let now = self.now();
        let value = serde_json::to_string(s).map_err(|e| ZcError::internal(e.to_string()))?;
        let mut tx = self.begin_write().await?;
        put_setting(&mut tx, KEY, &value, now).await?;
        append(&mut tx, now, audit, action, "updates", meta).await?;
        tx.commit().await.map_err(db_err)
    }

    /// Turns the automatic check on or off (`update.auto_check`).
    pub async fn set_update_auto_check(&self, on: bool, audit: &Audit) -> ZcResult<UpdateSettings> {
        let mut s = self.update_settings().await?;
        s.auto_check = on;
        self.write_update_settings(&s, audit, "update.auto_check", json!({"auto_check": on})).await?;
        Ok(s)
    }

    /// Keeps a check's outcome (`update.check`, or `update.install` for an install).
    pub async fn record_update_check(&self, check: UpdateCheck, audit: &Audit) -> ZcResult<UpdateSettings> {
        let mut s = self.update_settings().await?;
        let action = match check.outcome {
            zc_domain::update::UpdateOutcome::Installed { .. } => "update.install",
            _ => "update.check",
        };
        let meta = json!({"outcome": &check.outcome});
        s.last_check = Some(check);
        self.write_update_settings(&s, audit, action, meta).await?;
        Ok(s)
    }
}
