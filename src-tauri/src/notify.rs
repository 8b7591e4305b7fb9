//! Desktop notifications for alarms. The core judges each annunciated alarm for the person signed
//! in (their priorities, quiet hours, zone); this only shows what it says to show, through the
//! platform's notification service (the freedesktop Notifications D-Bus service on Linux, toasts
//! on Windows), and keeps the tally the settings view shows.

use crate::shell::Shell;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tauri::Manager;
use tauri_plugin_notification::NotificationExt;
use zc_app::NotificationTally;
use zc_app::zc_domain::notification::NotifyDecision;

/// How often new annunciations are looked for: as often as the alarm list reads them.
const EVERY: Duration = Duration::from_secs(1);

/// The tally, shared with the `notification_tally` command.
#[derive(Clone, Default)]
pub struct Tally(pub Arc<Mutex<NotificationTally>>);

pub fn start(handle: tauri::AppHandle) {
    let tally = Tally::default();
    handle.manage(tally.clone());
    tauri::async_runtime::spawn(async move {
        let shell = handle.state::<Shell>();
        let app = shell.app();
        let mut cursor = match app.notices_start().await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!("desktop notifications are off: {}", e.message);
                return;
            }
        };
        let mut tick = tokio::time::interval(EVERY);
        loop {
            tick.tick().await;
            let (notices, next) = match app.alarm_notices(cursor).await {
                Ok(x) => x,
                Err(e) => {
                    tracing::warn!("cannot read alarms for notifications: {}", e.message);
                    continue;
                }
            };
            cursor = next;
            for n in &notices {
                if n.decision == NotifyDecision::Notify
                    && let Err(e) = handle.notification().builder().title(&n.title).body(&n.body).show()
                {
                    tracing::warn!("cannot show a desktop notification: {e}");
                }
            }
            let mut t = tally.0.lock().unwrap();
            notices.iter().for_each(|n| t.count(n));
            t.judged_up_to = cursor;
        }
    });
}
