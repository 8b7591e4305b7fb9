//! A stand-in for the desktop's notification daemon (test double: no desktop runs under Xvfb):
//! it owns `org.freedesktop.Notifications` on the private session bus and records every
//! `Notify` call the console makes, so a test observes on the bus exactly what a person would
//! have seen pop up.

use std::sync::{Arc, Mutex};
use zbus::interface;

#[derive(Clone, Default)]
pub struct Seen(Arc<Mutex<Vec<(String, String)>>>);

impl Seen {
    /// `(summary, body)` of every notification so far.
    pub fn all(&self) -> Vec<(String, String)> {
        self.0.lock().unwrap().clone()
    }
}

struct Daemon {
    seen: Seen,
    next: u32,
}

#[interface(name = "org.freedesktop.Notifications")]
impl Daemon {
    #[allow(clippy::too_many_arguments)]
    async fn notify(
        &mut self,
        _app_name: String,
        _replaces_id: u32,
        _app_icon: String,
        summary: String,
        body: String,
        _actions: Vec<String>,
        _hints: std::collections::HashMap<String, zbus::OwnedVariant>,
        _expire_timeout: i32,
    ) -> u32 {
        self.seen.0.lock().unwrap().push((summary, body));
        self.next += 1;
        self.next
    }

    async fn get_capabilities(&self) -> Vec<String> {
        vec!["body".into()]
    }

    async fn get_server_information(&self) -> (String, String, String, String) {
        ("zc-e2e".into(), "zeroclient".into(), "1".into(), "1.2".into())
    }

    async fn close_notification(&self, _id: u32) {}
}

/// Serves the daemon until the returned connection is dropped.
pub async fn serve() -> Result<(zbus::Connection, Seen), String> {
    let seen = Seen::default();
    let conn = zbus::connection::Builder::session()
        .name("org.freedesktop.Notifications")
        .serve_at("/org/freedesktop/Notifications", Daemon { seen: seen.clone(), next: 0 })
        .build()
        .await
        .map_err(|e| format!("cannot own org.freedesktop.Notifications on the session bus: {e}"))?;
    Ok((conn, seen))
}
