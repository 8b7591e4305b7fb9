//! The monitor: per-connection schedules, status trackers, batched metric writes.

use crate::network::NetworkObserver;
use crate::probe::{ProbeResult, Prober};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Notify, broadcast};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use zc_domain::probe::RequestMetric;
use zc_domain::status::{Observation, Rules, Transition};
use zc_domain::{ApiKey, Status, StatusTracker, ZcResult};
use zc_secrets::Keyring;
use zc_store::{ConnectionRow, Store};

#[derive(Debug, Clone)]
pub struct MonitorConfig {
    /// Metrics are written when this many are pending, or every `flush_every`.
    pub batch_rows: usize,
    pub flush_every: Duration,
    /// How often the connection list is re-read, so edits apply without a restart.
    pub reload_every: Duration,
    /// How often retention runs in the background.
    pub retention_every: Duration,
}

impl Default for MonitorConfig {
    fn default() -> Self {
        Self {
            batch_rows: 2000,
            flush_every: Duration::from_secs(1),
            reload_every: Duration::from_secs(10),
            retention_every: Duration::from_secs(3600),
        }
    }
}

/// What the monitor tells its watchers (the CLI's live view, the desktop shell).
#[derive(Debug, Clone)]
pub enum MonitorEvent {
    Probed { connection_id: i64, name: String, outcome: zc_domain::Outcome, latency_ms: i64 },
    Transition { connection_id: i64, name: String, transition: Transition, detail: Option<String> },
}

/// Schedule keeping, for the benchmark and `zc monitor`'s summary.
#[derive(Debug, Clone, Default)]
pub struct RunStats {
    pub scheduled: u64,
    pub completed: u64,
    pub missed: u64,
    /// Metrics rows dropped because the database refused writes for too long.
    pub dropped: u64,
    /// Lateness of probe starts against their schedule, microseconds (a bounded sample).
    pub lateness_us: Vec<u32>,
}

const LATENESS_SAMPLES: usize = 200_000;

/// Metrics kept in memory while the database cannot take them (a full disk): about 50 MB, or
/// 8 minutes of 1,000 stations at one probe a second. Past that the oldest go, counted and logged.
const MAX_PENDING: usize = 500_000;

pub struct Monitor {
    store: Store,
    prober: Prober,
    network: Arc<dyn NetworkObserver>,
    keyring: Option<Keyring>,
    install_id: String,
    config: MonitorConfig,
    trackers: Mutex<HashMap<i64, StatusTracker>>,
    keys: Mutex<HashMap<i64, Option<ApiKey>>>,
    /// Keyring reads at once: the keyring daemon answers one at a time anyway, and each
    /// waiting read would hold a blocking-pool thread.
    keyring_reads: tokio::sync::Semaphore,
    pending: Mutex<Vec<RequestMetric>>,
    pending_full: Notify,
    events: broadcast::Sender<MonitorEvent>,
    scheduled: AtomicU64,
    completed: AtomicU64,
    missed: AtomicU64,
    dropped: AtomicU64,
    lateness: Mutex<Vec<u32>>,
}

impl Monitor {
    pub async fn new(
        store: Store,
        prober: Prober,
        network: Arc<dyn NetworkObserver>,
        keyring: Option<Keyring>,
        config: MonitorConfig,
    ) -> ZcResult<Arc<Monitor>> {
        let install_id = store.install_id().await?;
        let (events, _) = broadcast::channel(4096);
        Ok(Arc::new(Monitor {
            store,
            prober,
            network,
            keyring,
            install_id,
            config,
            trackers: Mutex::new(HashMap::new()),
            keys: Mutex::new(HashMap::new()),
            keyring_reads: tokio::sync::Semaphore::new(4),
            pending: Mutex::new(Vec::new()),
            pending_full: Notify::new(),
            events,
            scheduled: AtomicU64::new(0),
            completed: AtomicU64::new(0),
            missed: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            lateness: Mutex::new(Vec::new()),
        }))
    }

    pub fn subscribe(&self) -> broadcast::Receiver<MonitorEvent> {
        self.events.subscribe()
    }

    /// The connection's API key, read from the keyring once and then cached.
    async fn key_for(&self, conn: &ConnectionRow) -> Option<ApiKey> {
        if conn.spec.kind != zc_domain::ConnectionKind::Station {
            return None;
        }
        if let Some(k) = self.keys.lock().unwrap().get(&conn.id) {
            return k.clone();
        }
        let _permit = self.keyring_reads.acquire().await.ok();
        let key = match &self.keyring {
            Some(kr) => match kr.get(&Keyring::account(&self.install_id, conn.id)).await {
                Ok(k) => k,
                Err(e) => {
                    tracing::warn!(connection = %conn.spec.name, "cannot read the key: {e}");
                    None
                }
            },
            None => None,
        };
        self.keys.lock().unwrap().insert(conn.id, key.clone());
        key
    }

    /// Probes one connection now: measures, updates its status (persisting any confirmed
    /// transition at once) and queues the raw metric for the next batch.
    pub async fn probe_now(&self, conn: &ConnectionRow) -> ZcResult<(ProbeResult, Option<Transition>)> {
        let key = self.key_for(conn).await;
        let at = self.store.now();
        let result = self.prober.probe(conn.id, &conn.spec, key.as_ref(), at).await;
        let observer_online = match result.outcome {
            zc_domain::Outcome::Failed(c) if c.is_network_level() => self.network.is_online(),
            _ => true,
        };
        let obs = Observation { outcome: result.outcome, latency_ms: result.latency_ms, observer_online };
        let rules = Rules { confirm: conn.spec.confirm as u32, degraded_latency_ms: conn.spec.degraded_ms };
        let transition = {
            let mut trackers = self.trackers.lock().unwrap();
            let t = trackers.entry(conn.id).or_insert_with(|| StatusTracker::new(conn.status));
            t.observe(obs, at, &rules)
        };
        if let Some(t) = &transition {
            let detail = if t.observer_offline {
                Some("the console had no network of its own; the backend's state is unknown".to_owned())
            } else {
                result.detail.clone()
            };
            if let Err(e) = self.store.apply_transition(conn.id, t, detail.as_deref()).await {
                // Not written (a full disk): go back, so the change is confirmed and written again
                // once the database takes writes, instead of missing from the history for good.
                self.trackers.lock().unwrap().insert(conn.id, StatusTracker::new(t.from));
                return Err(e);
            }
            let _ = self.events.send(MonitorEvent::Transition {
                connection_id: conn.id,
                name: conn.spec.name.clone(),
                transition: t.clone(),
                detail,
            });
        }
        if let Some(m) = &result.metric {
            let mut pending = self.pending.lock().unwrap();
            pending.push(m.clone());
            if pending.len() >= self.config.batch_rows {
                self.pending_full.notify_one();
            }
        }
        let _ = self.events.send(MonitorEvent::Probed {
            connection_id: conn.id,
            name: conn.spec.name.clone(),
            outcome: result.outcome,
            latency_ms: result.latency_ms,
        });
        Ok((result, transition))
    }

    /// Writes every pending metric in one batch. A failed write keeps the rows for the next try.
    pub async fn flush(&self) -> ZcResult<usize> {
        let batch = std::mem::take(&mut *self.pending.lock().unwrap());
        if batch.is_empty() {
            return Ok(0);
        }
        match self.store.insert_metrics(&batch).await {
            Ok(()) => Ok(batch.len()),
            Err(e) => {
                let mut pending = self.pending.lock().unwrap();
                let mut kept = batch;
                kept.append(&mut pending);
                if kept.len() > MAX_PENDING {
                    let excess = kept.len() - MAX_PENDING;
                    kept.drain(..excess);
                    self.dropped.fetch_add(excess as u64, Ordering::Relaxed);
                    tracing::error!(
                        dropped = excess,
                        "the database has refused metrics for too long; oldest rows dropped"
                    );
                }
                *pending = kept;
                Err(e)
            }
        }
    }

    pub fn stats(&self) -> RunStats {
        RunStats {
            scheduled: self.scheduled.load(Ordering::Relaxed),
            completed: self.completed.load(Ordering::Relaxed),
            missed: self.missed.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
            lateness_us: self.lateness.lock().unwrap().clone(),
        }
    }

    fn record_lateness(&self, us: u32) {
        let n = self.scheduled.fetch_add(1, Ordering::Relaxed) as usize;
        let mut l = self.lateness.lock().unwrap();
        if l.len() < LATENESS_SAMPLES {
            l.push(us);
        } else {
            l[n % LATENESS_SAMPLES] = us;
        }
    }

    /// Probes one connection on its schedule until aborted. Start times are spread over the
    /// interval so a thousand connections do not fire in the same millisecond.
    async fn schedule(self: Arc<Self>, conn: ConnectionRow, offset: Duration) {
        let interval = Duration::from_millis(conn.spec.interval_ms as u64);
        // The keyring can be slow (D-Bus, many items): read the key before the schedule starts,
        // so the first slot is not spent waiting for it.
        self.key_for(&conn).await;
        let mut next = Instant::now() + offset;
        loop {
            tokio::time::sleep_until(next).await;
            let late = Instant::now().saturating_duration_since(next);
            self.record_lateness(late.as_micros().min(u32::MAX as u128) as u32);
            if let Err(e) = self.probe_now(&conn).await {
                tracing::error!(connection = %conn.spec.name, "cannot record the probe: {e}");
            }
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

    /// Runs until `shutdown` resolves; then writes what is pending and returns the stats.
    pub async fn run(self: Arc<Self>, shutdown: impl std::future::Future<Output = ()>) -> ZcResult<RunStats> {
        let mut tasks: HashMap<i64, (i64, JoinHandle<()>)> = HashMap::new();
        self.reload(&mut tasks).await?;
        let flusher = {
            let me = self.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(me.config.flush_every);
                loop {
                    tokio::select! {
                        _ = tick.tick() => {}
                        _ = me.pending_full.notified() => {}
                    }
                    if let Err(e) = me.flush().await {
                        tracing::error!("cannot write metrics (kept for the next try): {e}");
                    }
                }
            })
        };
        let retention = {
            let me = self.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(me.config.retention_every);
                loop {
                    tick.tick().await;
                    match me.store.apply_retention().await {
                        Ok(r) => tracing::info!(?r, "retention applied"),
                        Err(e) => tracing::error!("retention failed: {e}"),
                    }
                }
            })
        };
        let mut reload = tokio::time::interval(self.config.reload_every);
        reload.tick().await;
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                _ = reload.tick() => {
                    if let Err(e) = self.reload(&mut tasks).await {
                        tracing::error!("cannot re-read connections: {e}");
                    }
                }
            }
        }
        for (_, (_, t)) in tasks.drain() {
            t.abort();
        }
        flusher.abort();
        retention.abort();
        self.flush().await?;
        self.mark_unwatched().await?;
        Ok(self.stats())
    }

    /// A clean stop: nobody watches the connections any more, so their status becomes
    /// `unknown` and the time until the next start is never counted as up or down. (After a
    /// crash nothing can be written; the next start carries on from the stored status.)
    async fn mark_unwatched(&self) -> ZcResult<()> {
        let at = self.store.now();
        for conn in self.store.list_connections().await? {
            if conn.status == Status::Unknown {
                continue;
            }
            let t = Transition {
                from: conn.status,
                to: Status::Unknown,
                at_ms: at,
                error_category: None,
                observer_offline: false,
            };
            self.store.apply_transition(conn.id, &t, Some("monitoring stopped")).await?;
            self.trackers.lock().unwrap().insert(conn.id, StatusTracker::new(Status::Unknown));
        }
        Ok(())
    }

    /// Starts tasks for new connections, restarts those whose settings or key changed (not their
    /// status), stops removed ones.
    async fn reload(self: &Arc<Self>, tasks: &mut HashMap<i64, (i64, JoinHandle<()>)>) -> ZcResult<()> {
        let conns = self.store.list_connections().await?;
        let n = conns.len().max(1) as u64;
        tasks.retain(|id, (_, t)| {
            let keep = conns.iter().any(|c| c.id == *id);
            if !keep {
                t.abort();
            }
            keep
        });
        for (i, conn) in conns.into_iter().enumerate() {
            if tasks.get(&conn.id).is_some_and(|(v, _)| *v == conn.settings_version) {
                continue;
            }
            if let Some((_, t)) = tasks.remove(&conn.id) {
                t.abort();
            }
            // A changed key or settings: read them afresh.
            self.keys.lock().unwrap().remove(&conn.id);
            let offset = Duration::from_millis(conn.spec.interval_ms as u64 * i as u64 / n);
            let id = conn.id;
            let version = conn.settings_version;
            let handle = tokio::spawn(self.clone().schedule(conn, offset));
            tasks.insert(id, (version, handle));
        }
        Ok(())
    }
}
