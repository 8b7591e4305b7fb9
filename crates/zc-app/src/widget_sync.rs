//! What the centre did with an admin's offline widget edits, as the console shows it: conflicts
//! to resolve (base, this console's edit and the centre's, side by side) and merges to hear of.
//! A resolution is a save like any other (checked, versioned, audited) and goes at the next push.

use crate::App;
use std::collections::BTreeMap;
use zc_domain::widget_merge::Side;
use zc_domain::{Capability, ZcResult};
use zc_store::WidgetNotice;

impl App {
    /// Open widget conflicts and unread merges, oldest first.
    pub async fn widget_notices(&self) -> ZcResult<Vec<WidgetNotice>> {
        self.authorize(Capability::View).await?;
        self.store.widget_notices().await
    }

    /// Resolves conflict `id`, keeping for each conflicting field this console's value or the
    /// centre's; answers the notices left. Every conflicting field needs a choice; nothing is
    /// saved otherwise.
    pub async fn resolve_widget_conflict(
        &self,
        id: i64,
        choices: &BTreeMap<String, Side>,
    ) -> ZcResult<Vec<WidgetNotice>> {
        let audit = self.authorize(Capability::EditWidgets).await?;
        self.store.resolve_widget_conflict(id, choices, self.signed_in().map(|s| s.user_id), &audit).await?;
        self.store.widget_notices().await
    }

    /// Marks merge notice `id` as read; answers the notices left.
    pub async fn dismiss_widget_notice(&self, id: i64) -> ZcResult<Vec<WidgetNotice>> {
        let audit = self.authorize(Capability::EditWidgets).await?;
        self.store.dismiss_widget_notice(id, &audit).await?;
        self.store.widget_notices().await
    }
}
