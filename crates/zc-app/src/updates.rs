//! Updates as the core sees them: who may look for one and install it (admins), the automatic
//! check, and the record of every look. The looking itself, and the signature check, are the
//! desktop shell's (tauri-plugin-updater): the CLI is installed with the package and updated
//! with it.

use crate::App;
use zc_domain::update::{UpdateCheck, UpdateOutcome, UpdateSettings};
use zc_domain::{Capability, ZcResult};

impl App {
    pub async fn update_settings(&self) -> ZcResult<UpdateSettings> {
        self.authorize(Capability::View).await?;
        self.store().update_settings().await
    }

    /// Whether the automatic look is on: a device setting the background task reads whoever
    /// is signed in (or nobody).
    pub async fn update_auto_check(&self) -> ZcResult<bool> {
        Ok(self.store().update_settings().await?.auto_check)
    }

    /// Whether the console looks for updates by itself (admins; recorded).
    pub async fn set_update_auto_check(&self, on: bool) -> ZcResult<UpdateSettings> {
        let audit = self.authorize(Capability::Updates).await?;
        self.store().set_update_auto_check(on, &audit).await
    }

    /// The check before a person looks for or installs an update: admins only (recorded when
    /// refused, as every refusal is).
    pub async fn may_update(&self) -> ZcResult<()> {
        self.authorize(Capability::Updates).await.map(|_| ())
    }

    /// Keeps what a look found: asked by the person signed in (`by_person`, who must be allowed
    /// to), or the automatic check, done by the console itself.
    pub async fn record_update_check(&self, outcome: UpdateOutcome, by_person: bool) -> ZcResult<UpdateSettings> {
        let audit = match by_person {
            true => self.authorize(Capability::Updates).await?,
            false => self.console_audit(),
        };
        self.store().record_update_check(UpdateCheck { at: self.now(), outcome }, &audit).await
    }
}
