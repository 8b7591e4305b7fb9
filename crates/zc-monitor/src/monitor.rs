//! The monitor: its configuration and events, a run's start (lock, ledger row, interrupted runs),
//! and a probe: measured, judged by the connection's status tracker, queued for the writer.
//! Schedules and reloads are in `schedule.rs`, the writer in `writer.rs`, how a run goes and
//! ends in `run.rs`.

use crate::network::NetworkObserver;
use crate::probe::{ProbeResult, Prober};
use crate::queue::{Queue, QueuedChange, QueuedRow};
use crate::writer::WriteState;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Notify, broadcast};
use zc_domain::status::{Observation, Rules, Transition};
use zc_domain::{ApiKey, InterruptedRun, RunAccount, StatusTracker, ZcResult};
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
    /// A probe's metrics row and the point values it read, sent once they are written.
    Sample {
        connection_id: i64,
        name: String,
        metric: zc_domain::probe::RequestMetric,
        points: std::sync::Arc<[zc_domain::PointSample]>,
    },
    /// The console's own network changed (checked every `reload_every`): while it is offline,
    /// nothing it shows can be confirmed.
    Observer {
        online: bool,
        at_ms: i64,
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

const LATENESS_SAMPLES: usize = 200_000;

pub struct Monitor {
    pub(crate) store: Store,
    pub(crate) prober: Prober,
    pub(crate) network: Arc<dyn NetworkObserver>,
    pub(crate) keyring: Option<Keyring>,
    pub(crate) install_id: String,
    pub(crate) config: MonitorConfig,
    pub(crate) audit: Audit,
    pub(crate) run_id: i64,
    pub(crate) interrupted: Vec<InterruptedRun>,
    _lock: MonitorLock,
    pub(crate) trackers: Mutex<HashMap<i64, StatusTracker>>,
    pub(crate) keys: Mutex<HashMap<i64, Option<ApiKey>>>,
    /// The presented certificate last stored per connection (its SHA-256, hex).
    pub(crate) certificates: Mutex<HashMap<i64, Option<String>>>,
    /// Keyring reads at once: the keyring daemon answers one at a time anyway, and each
    /// waiting read would hold a blocking-pool thread.
    keyring_reads: tokio::sync::Semaphore,
    pub(crate) queue: Mutex<Queue>,
    pub(crate) writer: tokio::sync::Mutex<WriteState>,
    pub(crate) wake_writer: Notify,
    pub(crate) events: broadcast::Sender<MonitorEvent>,
    pub(crate) scheduled: AtomicU64,
    pub(crate) completed: AtomicU64,
    pub(crate) missed: AtomicU64,
    pub(crate) lateness: Mutex<Vec<u32>>,
    /// `run` may be called once.
    pub(crate) started: std::sync::atomic::AtomicBool,
    /// The console's own network, as last checked.
    pub(crate) observer_online: std::sync::atomic::AtomicBool,
}

impl Drop for Monitor {
    fn drop(&mut self) {
        // A monitor whose run was not awaited to its end (a test, a crash of the caller) leaves
        // its run open, so the next start reports it; say here what it still held.
        let a = self.queue.lock().map(|q| q.account()).unwrap_or_default();
        if a.rows_held > 0 || a.transitions_held > 0 {
            tracing::warn!(
                rows = a.rows_held,
                changes = a.transitions_held,
                "the monitor ended with data not written (its run was not stopped)"
            );
        }
    }
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
            certificates: Mutex::new(HashMap::new()),
            keyring_reads: tokio::sync::Semaphore::new(4),
            queue: Mutex::new(Queue::default()),
            writer: tokio::sync::Mutex::new(WriteState::new()),
            wake_writer: Notify::new(),
            events,
            scheduled: AtomicU64::new(0),
            completed: AtomicU64::new(0),
            missed: AtomicU64::new(0),
            lateness: Mutex::new(Vec::new()),
            started: std::sync::atomic::AtomicBool::new(false),
            observer_online: std::sync::atomic::AtomicBool::new(true),
        }))
    }

    pub fn subscribe(&self) -> broadcast::Receiver<MonitorEvent> {
        self.events.subscribe()
    }

    /// Whether the console had a network of its own at the last check.
    pub fn observer_online(&self) -> bool {
        self.observer_online.load(Ordering::Acquire)
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
    pub(crate) async fn key_for(&self, conn: &ConnectionRow) -> Option<ApiKey> {
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
        let trust = conn.tls_trust(self.store.data_dir());
        let mut result = self.prober.probe_trusting(conn.id, &conn.spec, &trust, key.as_ref(), at).await;
        // The samples move into the queue (and from there to the writer and the event).
        let points: std::sync::Arc<[zc_domain::PointSample]> = std::mem::take(&mut result.points).into();
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
            let row = result.metric.clone().map(|metric| QueuedRow {
                metric,
                points: points.clone(),
                name: conn.spec.name.clone(),
            });
            if let Some(row) = row
                && !q.push_metric(row)
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
                if !q.push_change(QueuedChange { change, name: conn.spec.name.clone() }) {
                    // Counted as dropped. The tracker goes back, so the change is confirmed again
                    // once there is room, instead of the stored status staying behind.
                    self.trackers.lock().unwrap().insert(conn.id, StatusTracker::new(t.from));
                    tracing::error!(connection = %conn.spec.name, "too many status changes wait for the database; one was dropped (counted)");
                }
            }
            // A status change is written at once; metrics in batches.
            transition.is_some() || q.metrics.len() >= self.config.batch_rows
        };
        if wake {
            self.wake_writer.notify_one();
        }
        if let Some(cert) = &result.certificate {
            self.record_certificate(conn, cert).await;
        }
        let _ = self.events.send(MonitorEvent::Probed {
            connection_id: conn.id,
            name: conn.spec.name.clone(),
            outcome: result.outcome,
            latency_ms: result.latency_ms,
        });
        (result, transition)
    }

    /// Stores the presented certificate when it is not the one last stored (rarely: a renewal,
    /// a replaced device). A failed write is tried again at the next probe.
    async fn record_certificate(&self, conn: &ConnectionRow, cert: &zc_domain::CertificateInfo) {
        let Ok(sha) = zc_domain::Fingerprint::parse(&cert.sha256).map(|f| f.hex()) else { return };
        {
            let mut known = self.certificates.lock().unwrap();
            let stored = known.entry(conn.id).or_insert_with(|| conn.tls_seen_sha256.clone());
            if stored.as_deref() == Some(sha.as_str()) {
                return;
            }
        }
        match self.store.record_certificate(conn.id, &conn.spec.name, cert, &self.audit).await {
            Ok(()) => {
                self.certificates.lock().unwrap().insert(conn.id, Some(sha));
            }
            Err(e) => tracing::warn!(connection = %conn.spec.name, "cannot record the presented certificate yet: {e}"),
        }
    }

    pub fn stats(&self) -> RunStats {
        RunStats {
            scheduled: self.scheduled.load(Ordering::Relaxed),
            completed: self.completed.load(Ordering::Relaxed),
            missed: self.missed.load(Ordering::Relaxed),
            lateness_us: self.lateness.lock().unwrap().clone(),
        }
    }

    pub(crate) fn record_lateness(&self, us: u32) {
        let n = self.scheduled.fetch_add(1, Ordering::Relaxed) as usize;
        let mut l = self.lateness.lock().unwrap();
        if l.len() < LATENESS_SAMPLES {
            l.push(us);
        } else {
            l[n % LATENESS_SAMPLES] = us;
        }
    }
}
