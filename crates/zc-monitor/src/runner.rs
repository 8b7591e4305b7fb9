//! The monitor: per-connection schedules, status trackers, the writer, and how a run starts and
//! stops.
//!
//! The rule (ARCHITECTURE.md, "Nothing is lost"): no task that holds data not yet durable is ever
//! aborted. Stopping a schedule, the writer or retention is a signal; the task finishes what it
//! is doing (a probe in flight queues its metric, a write in progress commits or keeps its rows
//! queued) and then returns, and the stop waits for it.

use crate::network::NetworkObserver;
use crate::probe::{ProbeResult, Prober};
use crate::queue::{Queue, QueuedChange};
use crate::writer::WriteState;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Notify, broadcast};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use zc_domain::status::{Observation, Rules, Transition};
use zc_domain::{ApiKey, ErrorCode, InterruptedRun, RunAccount, RunLoss, StatusTracker, ZcError, ZcResult};
use zc_secrets::Keyring;
use zc_store::{Audit, ConnectionRow, MonitorLock, StatusChange, Store};

#[derive(Debug, Clone)]
pub struct MonitorConfig {
    /// The writer wakes when this many rows are queued, or every `flush_every`.
    pub batch_rows: usize,
    pub flush_every: Duration,
    /// How often the monitor looks for edited, added or removed connections (a cheap query).
    pub reload_every: Duration,
    /// How often retention runs in the background.
    pub retention_every: Duration,
    /// At a stop, how long writes that fail (a full disk) are retried before what is still
    /// queued is reported lost.
    pub stop_grace: Duration,
}

impl Default for MonitorConfig {
    fn default() -> Self {
        Self {
            batch_rows: 2000,
            flush_every: Duration::from_secs(1),
            reload_every: Duration::from_secs(1),
            retention_every: Duration::from_secs(3600),
            stop_grace: Duration::from_secs(5),
        }
    }
}

/// What the monitor tells its watchers (the CLI's live view, the desktop shell).
#[derive(Debug, Clone)]
pub enum MonitorEvent {
    Probed {
        connection_id: i64,
        name: String,
        outcome: zc_domain::Outcome,
        latency_ms: i64,
    },
    /// A status change, sent once it is written to the database.
    Transition {
        connection_id: i64,
        name: String,
        transition: Transition,
        detail: Option<String>,
    },
}

/// Schedule keeping, for the benchmark and `zc monitor`'s summary.
#[derive(Debug, Clone, Default)]
pub struct RunStats {
    pub scheduled: u64,
    pub completed: u64,
    pub missed: u64,
    /// Lateness of probe starts against their schedule, microseconds (a bounded sample).
    pub lateness_us: Vec<u32>,
}

/// How a run ended: its schedule, its account, and anything it lost or could not record.
#[derive(Debug, Clone)]
pub struct RunReport {
    pub run_id: i64,
    pub stats: RunStats,
    pub account: RunAccount,
    /// What was lost, in one line; None for a run that lost nothing.
    pub loss: Option<RunLoss>,
    /// Why the last write failed, when data was still queued at the end.
    pub write_error: Option<ZcError>,
    /// Why the stop could not be recorded (the next start then treats the run as interrupted).
    pub close_error: Option<ZcError>,
}

impl RunReport {
    /// The error a caller reports for this run, if any: a loss, or a stop that was not recorded.
    pub fn error(&self) -> Option<ZcError> {
        if let Some(loss) = &self.loss {
            let code = match &self.write_error {
                Some(e) if e.code == ErrorCode::DiskFull => ErrorCode::DiskFull,
                _ => ErrorCode::DataLoss,
            };
            return Some(ZcError::new(code, loss.message.clone()));
        }
        self.close_error.as_ref().map(|e| {
            ZcError::new(
                e.code,
                format!(
                    "everything was written, but the stop could not be recorded ({}); the next start records the time since as unknown",
                    e.message
                ),
            )
        })
    }
}

const LATENESS_SAMPLES: usize = 200_000;

pub struct Monitor {
    pub(crate) store: Store,
    prober: Prober,
    network: Arc<dyn NetworkObserver>,
    keyring: Option<Keyring>,
    install_id: String,
    config: MonitorConfig,
    audit: Audit,
    pub(crate) run_id: i64,
    interrupted: Vec<InterruptedRun>,
    _lock: MonitorLock,
    trackers: Mutex<HashMap<i64, StatusTracker>>,
    keys: Mutex<HashMap<i64, Option<ApiKey>>>,
    /// Keyring reads at once: the keyring daemon answers one at a time anyway, and each
    /// waiting read would hold a blocking-pool thread.
    keyring_reads: tokio::sync::Semaphore,
    pub(crate) queue: Mutex<Queue>,
    pub(crate) writer: tokio::sync::Mutex<WriteState>,
    wake_writer: Notify,
    pub(crate) events: broadcast::Sender<MonitorEvent>,
    scheduled: AtomicU64,
    completed: AtomicU64,
    missed: AtomicU64,
    lateness: Mutex<Vec<u32>>,
}

/// A connection's schedule task and the signal that stops it.
struct Scheduled {
    version: i64,
    stop: CancellationToken,
    handle: JoinHandle<()>,
}

impl Monitor {
    /// Takes the data directory's monitor lock and starts a run: earlier runs that ended without
    /// a clean stop are noted (see [`Monitor::interrupted_runs`]) and their unwatched time
    /// recorded as unknown. `audit` is who the run's activity entries are recorded as.
    pub async fn new(
        store: Store,
        prober: Prober,
        network: Arc<dyn NetworkObserver>,
        keyring: Option<Keyring>,
        config: MonitorConfig,
        audit: Audit,
    ) -> ZcResult<Arc<Monitor>> {
        let lock = store.lock_monitor().await?;
        let install_id = store.install_id().await?;
        let (run_id, interrupted) = store.open_run(std::process::id(), &audit).await?;
        for r in &interrupted {
            tracing::warn!("{}", r.message());
        }
        let (events, _) = broadcast::channel(4096);
        Ok(Arc::new(Monitor {
            store,
            prober,
            network,
            keyring,
            install_id,
            config,
            audit,
            run_id,
            interrupted,
            _lock: lock,
            trackers: Mutex::new(HashMap::new()),
            keys: Mutex::new(HashMap::new()),
            keyring_reads: tokio::sync::Semaphore::new(4),
            queue: Mutex::new(Queue::default()),
            writer: tokio::sync::Mutex::new(WriteState::new()),
            wake_writer: Notify::new(),
            events,
            scheduled: AtomicU64::new(0),
            completed: AtomicU64::new(0),
            missed: AtomicU64::new(0),
            lateness: Mutex::new(Vec::new()),
        }))
    }

    pub fn subscribe(&self) -> broadcast::Receiver<MonitorEvent> {
        self.events.subscribe()
    }

    pub fn run_id(&self) -> i64 {
        self.run_id
    }

    /// Earlier runs that this start found ended without a clean stop.
    pub fn interrupted_runs(&self) -> &[InterruptedRun] {
        &self.interrupted
    }

    /// The run's account so far.
    pub fn account(&self) -> RunAccount {
        self.queue.lock().unwrap().account()
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

    /// Probes one connection now: measures, updates its status, and queues the raw metric and
    /// any confirmed status change for the writer. Once the answer is in, nothing awaits until
    /// both are queued, so a probe is never half-recorded.
    pub async fn probe_now(&self, conn: &ConnectionRow) -> (ProbeResult, Option<Transition>) {
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
        let wake = {
            let mut q = self.queue.lock().unwrap();
            q.probed();
            if let Some(m) = &result.metric
                && !q.push_metric(m.clone())
                && q.account().rows_dropped % 10_000 == 1
            {
                tracing::error!("the database has refused writes for too long; new metrics rows are dropped (counted)");
            }
            if let Some(t) = &transition {
                let detail = if t.observer_offline {
                    Some("the console had no network of its own; the backend's state is unknown".to_owned())
                } else {
                    result.detail.clone()
                };
                let change = StatusChange { connection_id: conn.id, transition: t.clone(), detail };
                q.push_change(QueuedChange { change, name: conn.spec.name.clone() });
            }
            // A status change is written at once; metrics in batches.
            transition.is_some() || q.metrics.len() >= self.config.batch_rows
        };
        if wake {
            self.wake_writer.notify_one();
        }
        let _ = self.events.send(MonitorEvent::Probed {
            connection_id: conn.id,
            name: conn.spec.name.clone(),
            outcome: result.outcome,
            latency_ms: result.latency_ms,
        });
        (result, transition)
    }

    pub fn stats(&self) -> RunStats {
        RunStats {
            scheduled: self.scheduled.load(Ordering::Relaxed),
            completed: self.completed.load(Ordering::Relaxed),
            missed: self.missed.load(Ordering::Relaxed),
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

    /// The writer task: writes when woken (a status change, a full batch) or every
    /// `flush_every`, until `stop`. A write in progress always finishes.
    async fn write_loop(self: Arc<Self>, stop: CancellationToken) {
        let mut tick = tokio::time::interval(self.config.flush_every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                biased;
                _ = stop.cancelled() => return,
                _ = self.wake_writer.notified() => {}
                _ = tick.tick() => {}
            }
            // Failures are logged by flush; the rows stay queued for the next attempt.
            let _ = self.flush().await;
        }
    }

    /// Retention in the background, stopping between slices.
    async fn retention_loop(self: Arc<Self>, stop: CancellationToken) {
        let mut tick = tokio::time::interval(self.config.retention_every);
        loop {
            tokio::select! {
                biased;
                _ = stop.cancelled() => return,
                _ = tick.tick() => {}
            }
            let stopping = stop.clone();
            match self.store.apply_retention_until(&move || stopping.is_cancelled()).await {
                Ok(r) => tracing::info!(?r, "retention applied"),
                Err(e) => tracing::error!("retention failed: {e}"),
            }
        }
    }

    /// Runs until `shutdown` resolves, then stops every task by signal, waits for each (a probe
    /// waits at most its deadline), writes what is queued (retrying failed writes for
    /// `stop_grace`), records the stop, and checks the run's account against the database.
    pub async fn run(self: Arc<Self>, shutdown: impl std::future::Future<Output = ()>) -> ZcResult<RunReport> {
        let schedules = CancellationToken::new();
        let mut tasks: HashMap<i64, Scheduled> = HashMap::new();
        let mut retired: Vec<JoinHandle<()>> = Vec::new();
        let mut versions = Vec::new();
        if let Err(e) = self.reload(&mut tasks, &mut retired, &mut versions, &schedules).await {
            let _ = self.finish().await;
            return Err(e);
        }
        let writer_stop = CancellationToken::new();
        let writer = tokio::spawn(self.clone().write_loop(writer_stop.clone()));
        let retention_stop = CancellationToken::new();
        let retention = tokio::spawn(self.clone().retention_loop(retention_stop.clone()));
        let mut reload = tokio::time::interval(self.config.reload_every);
        reload.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        reload.tick().await;
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                _ = reload.tick() => {
                    if let Err(e) = self.reload(&mut tasks, &mut retired, &mut versions, &schedules).await {
                        tracing::error!("cannot re-read connections: {e}");
                    }
                }
            }
        }
        // Stop by signal, then wait: every probe in flight queues its result first.
        schedules.cancel();
        for handle in tasks.into_values().map(|t| t.handle).chain(retired) {
            if let Err(e) = handle.await {
                tracing::error!("a connection's schedule ended abnormally: {e}");
            }
        }
        // The writer finishes the write it is in; the final writes below take the rest.
        writer_stop.cancel();
        retention_stop.cancel();
        let _ = writer.await;
        let _ = retention.await;
        Ok(self.finish().await)
    }

    /// The end of a run: the last writes (retried within the grace), the account checked against
    /// the run's ledger read back from disk, and the stop recorded with every connection unwatched.
    async fn finish(&self) -> RunReport {
        let deadline = Instant::now() + self.config.stop_grace;
        let retry = Duration::from_millis(100);
        let write_error = loop {
            match self.flush().await {
                Ok(_) => break None,
                Err(e) if Instant::now() + retry >= deadline => break Some(e),
                Err(_) => tokio::time::sleep(retry).await,
            }
        };
        let account = self.account();
        let in_database = match self.store.read_back_run(self.run_id).await {
            Ok(w) => Some((w.rows_written, w.transitions_written)),
            Err(e) => {
                tracing::error!("cannot read the run's record back: {e}");
                None
            }
        };
        let loss = account.loss_at_stop(in_database, write_error.as_ref().map(|e| e.message.as_str()));
        let close_error = loop {
            match self
                .store
                .close_run(self.run_id, &account, loss.as_ref().map(|l| l.message.as_str()), &self.audit)
                .await
            {
                Ok(()) => break None,
                Err(e) if Instant::now() + retry >= deadline => break Some(e),
                Err(_) => tokio::time::sleep(retry).await,
            }
        };
        if let Some(l) = &loss {
            tracing::error!("{}", l.message);
        }
        RunReport { run_id: self.run_id, stats: self.stats(), account, loss, write_error, close_error }
    }

    /// Starts schedules for new connections, replaces those whose settings or key changed (not
    /// their status), stops removed ones. Reads only ids and versions unless something changed.
    async fn reload(
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
        }
        retired.retain(|h| !h.is_finished());
        for (i, conn) in conns.into_iter().enumerate() {
            if tasks.get(&conn.id).is_some_and(|t| t.version == conn.settings_version) {
                continue;
            }
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
