//! Per-connection schedules and reloads. A schedule looks at its stop signal only between probes:
//! a probe in flight finishes and is queued. A reload replaces the schedule of an edited
//! connection, and the new one starts once the old one has finished.

use crate::monitor::Monitor;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use zc_domain::ZcResult;
use zc_store::ConnectionRow;

/// A connection's schedule task and the signal that stops it.
pub(crate) struct Scheduled {
    version: i64,
    stop: CancellationToken,
    pub(crate) handle: JoinHandle<()>,
}

impl Monitor {
    /// Probes one connection on its schedule until `stop`. Start times are spread over the
    /// interval so a thousand connections do not fire in the same millisecond. `stop` is looked
    /// at only between probes: a probe in flight finishes and is queued. A schedule that replaces
    /// another (an edit) first waits for that one to finish, so the two never overlap.
    async fn schedule(
        self: Arc<Self>,
        conn: ConnectionRow,
        offset: Duration,
        stop: CancellationToken,
        previous: Option<JoinHandle<()>>,
    ) {
        if let Some(p) = previous {
            let _ = p.await;
            // The old schedule may have cached the old key while finishing.
            self.keys.lock().unwrap().remove(&conn.id);
        }
        let interval = Duration::from_millis(conn.spec.interval_ms as u64);
        // The keyring can be slow (D-Bus, many items): read the key before the schedule starts,
        // so the first slot is not spent waiting for it.
        tokio::select! {
            biased;
            _ = stop.cancelled() => return,
            _ = self.key_for(&conn) => {}
        }
        let mut next = Instant::now() + offset;
        loop {
            tokio::select! {
                biased;
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep_until(next) => {}
            }
            let late = Instant::now().saturating_duration_since(next);
            self.record_lateness(late.as_micros().min(u32::MAX as u128) as u32);
            self.probe_now(&conn).await;
            self.completed.fetch_add(1, Ordering::Relaxed);
            next += interval;
            // A probe that outlived its interval: skip the slots that passed, and count them.
            let now = Instant::now();
            while next < now {
                self.missed.fetch_add(1, Ordering::Relaxed);
                next += interval;
            }
        }
    }

    /// Starts schedules for new connections, replaces those whose settings or key changed (not
    /// their status), stops removed ones. Reads only ids and versions unless something changed.
    pub(crate) async fn reload(
        self: &Arc<Self>,
        tasks: &mut HashMap<i64, Scheduled>,
        retired: &mut Vec<JoinHandle<()>>,
        versions: &mut Vec<(i64, i64)>,
        parent: &CancellationToken,
    ) -> ZcResult<()> {
        if self.store.connection_versions().await? == *versions {
            return Ok(());
        }
        let conns = self.store.list_connections().await?;
        *versions = conns.iter().map(|c| (c.id, c.settings_version)).collect();
        versions.sort_unstable();
        let n = conns.len().max(1) as u64;
        let removed: Vec<i64> = tasks.keys().filter(|id| !conns.iter().any(|c| c.id == **id)).copied().collect();
        for id in removed {
            if let Some(t) = tasks.remove(&id) {
                t.stop.cancel();
                retired.push(t.handle);
            }
            self.trackers.lock().unwrap().remove(&id);
            self.keys.lock().unwrap().remove(&id);
            self.certificates.lock().unwrap().remove(&id);
            self.prober.forget(id);
        }
        retired.retain(|h| !h.is_finished());
        for (i, conn) in conns.into_iter().enumerate() {
            if tasks.get(&conn.id).is_some_and(|t| t.version == conn.settings_version) {
                continue;
            }
            // Its trust may have changed: what it presented is read from the row again.
            self.certificates.lock().unwrap().remove(&conn.id);
            let previous = tasks.remove(&conn.id).map(|t| {
                t.stop.cancel();
                t.handle
            });
            let offset = Duration::from_millis(conn.spec.interval_ms as u64 * i as u64 / n);
            let (id, version) = (conn.id, conn.settings_version);
            let stop = parent.child_token();
            let handle = tokio::spawn(self.clone().schedule(conn, offset, stop.clone(), previous));
            tasks.insert(id, Scheduled { version, stop, handle });
        }
        Ok(())
    }
}
