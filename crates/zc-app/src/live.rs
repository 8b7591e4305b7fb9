//! The console's live feed: one monitor per data directory, and the events any front end
//! renders. The flow is one way: probe → queue → the writer's commit → monitor event → console
//! event → the window. Nothing is shown before it is written.
//!
//! A console runs the monitor in-process. If a `zc monitor` (or another console) already holds
//! the data directory's monitor lock, it does not start a second one: it follows that monitor
//! by reading what it commits to the shared database, says so ([`ConsoleMode::Following`]), and
//! takes over once the lock is free.

use crate::App;
use crate::points::PointValue;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::broadcast;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use zc_domain::point::{Freshness, fresh_for_ms};
use zc_domain::{ErrorCode, Status, ZcResult};
use zc_monitor::{MonitorConfig, MonitorEvent, RunReport};

/// How the console gets its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum ConsoleMode {
    Starting,
    /// This console runs the data directory's monitor.
    Monitoring,
    /// Another process runs it; this console shows what it writes.
    Following,
    /// The monitor cannot run (e.g. no keyring); `detail` says why, and it is retried.
    Failed,
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct ConsoleState {
    pub mode: ConsoleMode,
    pub detail: Option<String>,
    pub observer_online: bool,
    pub data_dir: String,
}

/// What changed, pushed to the window as it happens (in small batches).
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ConsoleEvent {
    /// A request's raw metrics row was written. `answered`: the station answered (last contact).
    Sample { connection_id: i64, at: i64, latency_ms: f64, failed: bool, answered: bool, outcome: String },
    /// A status change was written.
    Status { connection_id: i64, from: Status, to: Status, at: i64, observer_offline: bool, detail: Option<String> },
    /// New values of a connection's points were written.
    Points { connection_id: i64, values: Vec<PointValue> },
    /// The console's own network changed.
    Observer { online: bool, at: i64 },
    /// The console's mode changed.
    Mode { state: ConsoleState },
    /// Events were lost on the way to this watcher (it was too slow): reload everything.
    Resync,
}

/// Events are sent in batches at most this far apart: a thousand stations would otherwise make
/// a thousand window messages a second.
const BATCH_EVERY: Duration = Duration::from_millis(150);
/// How often a following console reads what the other monitor wrote.
const FOLLOW_EVERY: Duration = Duration::from_millis(500);

pub type EventBatch = Arc<Vec<ConsoleEvent>>;

/// How long values stay fresh, per connection (name, ms), and when that was read.
struct Deadlines {
    map: HashMap<i64, (String, i64)>,
    read_at: std::time::Instant,
}

/// The deadlines are read again at most this often (and at once for an unknown connection).
const DEADLINES_EVERY: Duration = Duration::from_secs(5);

pub struct Console {
    app: Arc<App>,
    events: broadcast::Sender<EventBatch>,
    state: Arc<Mutex<ConsoleState>>,
    stop: CancellationToken,
    task: Mutex<Option<JoinHandle<Option<RunReport>>>>,
}

impl Console {
    /// Starts the console's feed: the monitor in-process, or following the one that runs.
    pub fn start(app: Arc<App>) -> Console {
        Self::start_after(app, async { Ok(()) })
    }

    /// As [`Console::start`], once `prepare` is done (the demo's stations and connections): the
    /// console exists at once (mode `starting`), so a window can open while it prepares. What
    /// `prepare` returns is kept until the console stops; if it fails, the mode says why.
    pub fn start_after<T: Send + 'static>(
        app: Arc<App>,
        prepare: impl std::future::Future<Output = ZcResult<T>> + Send + 'static,
    ) -> Console {
        let (events, _) = broadcast::channel(1024);
        let state = Arc::new(Mutex::new(ConsoleState {
            mode: ConsoleMode::Starting,
            detail: None,
            observer_online: app.network().is_online(),
            data_dir: app.data_dir().display().to_string(),
        }));
        let stop = CancellationToken::new();
        let feed = Feed { app: app.clone(), events: events.clone(), state: state.clone() };
        let stopping = stop.clone();
        let task = tokio::spawn(async move {
            let kept = match prepare.await {
                Ok(kept) => kept,
                Err(e) => {
                    tracing::error!("the console cannot start: {e}");
                    feed.set_mode(ConsoleMode::Failed, Some(e.message));
                    return None;
                }
            };
            let report = feed.supervise(stopping).await;
            drop(kept);
            report
        });
        Console { app, events, state, stop, task: Mutex::new(Some(task)) }
    }

    pub fn app(&self) -> &Arc<App> {
        &self.app
    }

    pub fn subscribe(&self) -> broadcast::Receiver<EventBatch> {
        self.events.subscribe()
    }

    pub fn state(&self) -> ConsoleState {
        self.state.lock().unwrap().clone()
    }

    /// Stops the feed; a monitor this console runs stops cleanly (everything queued is written)
    /// and its report is returned.
    pub async fn stop(&self) -> Option<RunReport> {
        self.stop.cancel();
        let task = self.task.lock().unwrap().take();
        match task {
            Some(t) => t.await.ok().flatten(),
            None => None,
        }
    }
}

#[derive(Clone)]
struct Feed {
    app: Arc<App>,
    events: broadcast::Sender<EventBatch>,
    state: Arc<Mutex<ConsoleState>>,
}

impl Feed {
    fn send(&self, batch: Vec<ConsoleEvent>) {
        if !batch.is_empty() {
            let _ = self.events.send(Arc::new(batch));
        }
    }

    fn set_mode(&self, mode: ConsoleMode, detail: Option<String>) {
        let state = {
            let mut s = self.state.lock().unwrap();
            if s.mode == mode && s.detail == detail {
                return;
            }
            s.mode = mode;
            s.detail = detail;
            s.clone()
        };
        tracing::info!(?state, "console mode");
        self.send(vec![ConsoleEvent::Mode { state }]);
    }

    fn set_observer(&self, online: bool, at: i64) -> Option<ConsoleEvent> {
        let mut s = self.state.lock().unwrap();
        if s.observer_online == online {
            return None;
        }
        s.observer_online = online;
        Some(ConsoleEvent::Observer { online, at })
    }

    /// Be the monitor when the lock is free; follow the one that holds it otherwise.
    async fn supervise(self, stop: CancellationToken) -> Option<RunReport> {
        loop {
            if stop.is_cancelled() {
                return None;
            }
            let feed = self.clone();
            let started = self
                .app
                .monitor(
                    MonitorConfig::default(),
                    move |m| {
                        let rx = m.subscribe();
                        feed.set_mode(ConsoleMode::Monitoring, None);
                        tokio::spawn(feed.forward(rx));
                    },
                    stop.clone().cancelled_owned(),
                )
                .await;
            match started {
                Ok(report) => {
                    if let Some(e) = report.error() {
                        tracing::error!("the console's monitor: {e}");
                    }
                    return Some(report);
                }
                Err(e) if e.code == ErrorCode::MonitorRunning => {
                    self.set_mode(ConsoleMode::Following, Some(e.message));
                    if let Err(e) = self.follow(&stop).await {
                        tracing::error!("cannot follow the other monitor: {e}");
                        self.set_mode(ConsoleMode::Failed, Some(e.message));
                        wait_or_stop(&stop, Duration::from_secs(5)).await;
                    }
                }
                Err(e) => {
                    tracing::error!("the console's monitor cannot start: {e}");
                    self.set_mode(ConsoleMode::Failed, Some(e.message));
                    wait_or_stop(&stop, Duration::from_secs(5)).await;
                }
            }
        }
    }

    /// Connection intervals, for each value's freshness deadline.
    async fn fresh_for(&self) -> HashMap<i64, (String, i64)> {
        match self.app.store().list_connections().await {
            Ok(cs) => cs
                .into_iter()
                .map(|c| (c.id, (c.spec.name.clone(), fresh_for_ms(c.spec.interval_ms, c.spec.timeout_ms))))
                .collect(),
            Err(_) => HashMap::new(),
        }
    }

    fn point_values(
        conns: &HashMap<i64, (String, i64)>,
        connection_id: i64,
        received_at: i64,
        samples: &[zc_domain::PointSample],
        online: bool,
    ) -> Option<ConsoleEvent> {
        let (name, fresh_for) = conns.get(&connection_id)?;
        let values = samples
            .iter()
            .map(|s| PointValue {
                connection: name.clone(),
                point: s.point.clone(),
                value: Some(s.value),
                unit: s.unit.clone(),
                quality: s.quality,
                freshness: if online { Freshness::Fresh } else { Freshness::Unknown },
                source_at: s.source_at,
                received_at,
                fresh_until: received_at + fresh_for,
            })
            .collect();
        Some(ConsoleEvent::Points { connection_id, values })
    }

    /// Turns the in-process monitor's events into console events, in batches.
    async fn forward(self, mut rx: broadcast::Receiver<MonitorEvent>) {
        let mut conns = Deadlines { map: self.fresh_for().await, read_at: std::time::Instant::now() };
        loop {
            let Ok(first) = recv(&mut rx).await else { return };
            let mut batch = Vec::new();
            let deadline = tokio::time::Instant::now() + BATCH_EVERY;
            let mut next = Some(first);
            while let Some(ev) = next.take() {
                match ev {
                    Received::Event(ev) => self.convert(ev, &mut conns, &mut batch).await,
                    Received::Lagged => batch.push(ConsoleEvent::Resync),
                }
                next = match tokio::time::timeout_at(deadline, recv(&mut rx)).await {
                    Ok(Ok(ev)) => Some(ev),
                    Ok(Err(())) => {
                        self.send(batch);
                        return;
                    }
                    Err(_) => None,
                };
            }
            self.send(batch);
        }
    }

    async fn convert(&self, ev: MonitorEvent, conns: &mut Deadlines, out: &mut Vec<ConsoleEvent>) {
        match ev {
            MonitorEvent::Sample { connection_id, metric, points, .. } => {
                // A new connection, or an edit that may have changed an interval: read the
                // deadlines again (a cheap query, at most every few seconds otherwise).
                if !conns.map.contains_key(&connection_id) || conns.read_at.elapsed() > DEADLINES_EVERY {
                    *conns = Deadlines { map: self.fresh_for().await, read_at: std::time::Instant::now() };
                }
                let conns = &conns.map;
                out.push(sample_event(&metric));
                if !points.is_empty() {
                    let online = self.state.lock().unwrap().observer_online;
                    let received = metric.at_ms + metric.latency_us / 1000;
                    out.extend(Self::point_values(conns, connection_id, received, &points, online));
                }
            }
            MonitorEvent::Transition { connection_id, transition: t, detail, .. } => {
                out.push(ConsoleEvent::Status {
                    connection_id,
                    from: t.from,
                    to: t.to,
                    at: t.at_ms,
                    observer_offline: t.observer_offline,
                    detail,
                });
            }
            MonitorEvent::Observer { online, at_ms } => out.extend(self.set_observer(online, at_ms)),
            MonitorEvent::Probed { .. } => {}
        }
    }

    /// Follows another process's monitor through the database until its lock is free.
    async fn follow(&self, stop: &CancellationToken) -> ZcResult<()> {
        let store = self.app.store();
        let mut last_metric = store.last_metrics_id().await?;
        let mut last_history = store.last_history_id().await?;
        let mut points_since = self.app.now();
        // The receive time last sent per point: a row read twice (same write millisecond) is
        // sent once.
        let mut sent: HashMap<(i64, String), i64> = HashMap::new();
        let mut conns = self.fresh_for().await;
        let mut tick = tokio::time::interval(FOLLOW_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = stop.cancelled() => return Ok(()),
                _ = tick.tick() => {}
            }
            let mut batch = Vec::new();
            let online = self.app.network().is_online();
            batch.extend(self.set_observer(online, self.app.now()));
            for (id, m) in store.metrics_after(last_metric, 20_000).await? {
                last_metric = id;
                batch.push(sample_event(&m));
            }
            let history = store.history_after(last_history, 10_000).await?;
            if !history.is_empty() {
                conns = self.fresh_for().await;
            }
            for (id, connection_id, h) in history {
                last_history = id;
                batch.push(ConsoleEvent::Status {
                    connection_id,
                    from: h.from_status,
                    to: h.to_status,
                    at: h.at,
                    observer_offline: h.observer_offline,
                    detail: h.error_detail,
                });
            }
            let (rows, newest) = store.points_written_since(points_since).await?;
            points_since = newest;
            if rows.iter().any(|r| !conns.contains_key(&r.connection_id)) {
                conns = self.fresh_for().await;
            }
            let mut by_conn: HashMap<i64, Vec<PointValue>> = HashMap::new();
            let now = self.app.now();
            for r in &rows {
                if sent.insert((r.connection_id, r.point.clone()), r.received_at) == Some(r.received_at) {
                    continue;
                }
                if let Some((name, fresh_for)) = conns.get(&r.connection_id) {
                    let conn_fresh = zc_domain::point::freshness(Some(r.received_at), *fresh_for, now, online);
                    by_conn.entry(r.connection_id).or_default().push(PointValue {
                        connection: name.clone(),
                        point: r.point.clone(),
                        value: r.value,
                        unit: r.unit.clone(),
                        quality: r.quality,
                        freshness: conn_fresh,
                        source_at: r.source_at,
                        received_at: r.received_at,
                        fresh_until: r.received_at + fresh_for,
                    });
                }
            }
            batch.extend(
                by_conn.into_iter().map(|(connection_id, values)| ConsoleEvent::Points { connection_id, values }),
            );
            self.send(batch);
            if !store.monitor_running() {
                tracing::info!("the other monitor stopped; this console takes over");
                return Ok(());
            }
        }
    }
}

fn sample_event(m: &zc_domain::probe::RequestMetric) -> ConsoleEvent {
    ConsoleEvent::Sample {
        connection_id: m.connection_id,
        at: m.at_ms,
        latency_ms: m.latency_us as f64 / 1000.0,
        failed: m.outcome != zc_domain::Outcome::Ok,
        answered: m.http_status.is_some(),
        outcome: m.outcome.as_str().to_owned(),
    }
}

enum Received {
    Event(MonitorEvent),
    Lagged,
}

async fn recv(rx: &mut broadcast::Receiver<MonitorEvent>) -> Result<Received, ()> {
    match rx.recv().await {
        Ok(ev) => Ok(Received::Event(ev)),
        Err(broadcast::error::RecvError::Lagged(_)) => Ok(Received::Lagged),
        Err(broadcast::error::RecvError::Closed) => Err(()),
    }
}

async fn wait_or_stop(stop: &CancellationToken, d: Duration) {
    tokio::select! {
        _ = stop.cancelled() => {}
        _ = tokio::time::sleep(d) => {}
    }
}
