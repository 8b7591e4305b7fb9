//! ZeroClient's application API: the command bodies. The `zc` CLI and the desktop shell both
//! call these and only adapt input and output; nothing here knows about terminals or windows.

mod activity;
mod alarms;
mod auth;
mod central;
mod central_sign_in;
mod certificates;
mod connection_form;
mod demo;
mod diagnostics;
mod export;
pub mod live;
mod notifications;
mod platform;
mod points;
mod reports;
mod sealed_keys;
mod settings;
mod site_config;
mod summary;
mod updates;
mod views;
mod widget_sync;
mod widgets;

pub use activity::{ActivityFilter, ActivityView};
pub use alarms::{
    AckTarget, AlarmCounts, AlarmsView, ConnectionAlarms, FloodView, MAX_ALARM_HISTORY_ROWS, RepeatOffender,
};
pub use auth::{Client, DEMO_PASSWORD, DEMO_USER, NewUser, SESSION_MS, SignInState};
pub use central::{
    PULL_EVERY, ProvisionedConsole, PullSummary, SYNC_EVERY, StreamPush, SyncReport, SyncStatus, check_central_url,
    migrate_central, provision_console,
};
pub use certificates::{CertificateCheck, TrustChoice};
pub use connection_form::form_defaults;
pub use demo::{Demo, demo_stations};
pub use diagnostics::{ConnectionDetail, LatencyChart, MAX_PAGE_ROWS, MetricsPage, OutcomeCount};
pub use export::{ExportKind, ExportReport, ExportRequest};
pub use live::{Console, ConsoleEvent, ConsoleMode, ConsoleState};
pub use notifications::{AlarmNotice, JudgedNotice, NotificationTally};
pub use platform::{default_data_dir, device_info, free_disk_bytes, os_user};
pub use points::{MAX_HISTORY_ROWS, PointValue, PointsReport};
pub use reports::*;
pub use sealed_keys::KeyShare;
pub use settings::Settings;
pub use site_config::{ImportPlan, PlanAction, PlannedChange};
pub use summary::{ConsoleSummary, QuitCheck, SummaryLevel};
pub use views::{
    ControlRoom, DEFAULT_TREND_WINDOW_MS, PointTrend, SPARK_SAMPLES, SparkPoint, Tile, TrendSample, WidgetView,
    widget_view,
};
pub use widgets::{WidgetDiff, WidgetGroup};

use serde::Serialize;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;
use zc_domain::connection::ConnectionPatch;
use zc_domain::status::{downtime_outside, spans};
use zc_domain::{ApiKey, Capability, Clock, ConnectionKind, ConnectionSpec, ErrorCode, Status, ZcError, ZcResult};
use zc_monitor::{Monitor, MonitorConfig, NetworkObserver, Prober, ProberConfig, RunReport, SystemNetwork};
use zc_secrets::Keyring;
use zc_store::{ConnectionRow, Store};

pub use zc_domain;
pub use zc_monitor;
pub use zc_store;

/// One opened data directory on one device, acting for the person signed in (nobody at first:
/// see `auth.rs`).
pub struct App {
    store: Store,
    device_id: i64,
    hostname: String,
    actor: std::sync::RwLock<auth::Actor>,
    install_id: String,
    data_dir: PathBuf,
    open_ms: u128,
    /// The console's own network, as the monitor and every freshness judgement see it.
    network: Arc<dyn NetworkObserver>,
}

impl App {
    /// Opens the data directory (creating it) and records this device's metadata. Nobody is
    /// signed in yet.
    pub async fn open(data_dir: &Path, clock: Arc<dyn Clock>) -> ZcResult<App> {
        let started = Instant::now();
        let store = Store::open(data_dir, clock).await?;
        let device = device_info();
        let device_id = store.upsert_device(&device).await?;
        let install_id = store.install_id().await?;
        let open_ms = started.elapsed().as_millis();
        Ok(App {
            store,
            device_id,
            hostname: device.hostname,
            actor: std::sync::RwLock::new(auth::Actor::Nobody),
            install_id,
            data_dir: data_dir.to_owned(),
            open_ms,
            network: Arc::new(SystemNetwork),
        })
    }

    /// Replaces how the console's own network is observed (tests set it by hand).
    pub fn with_network(mut self, network: Arc<dyn NetworkObserver>) -> App {
        self.network = network;
        self
    }

    pub fn network(&self) -> &Arc<dyn NetworkObserver> {
        &self.network
    }

    pub fn store(&self) -> &Store {
        &self.store
    }
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }
    pub(crate) fn now(&self) -> i64 {
        self.store.now()
    }

    fn keyring(&self) -> ZcResult<Keyring> {
        Keyring::new()
    }

    fn account(&self, id: i64) -> String {
        Keyring::account(&self.install_id, id)
    }

    // ---- connections ----

    pub async fn add_connection(&self, spec: ConnectionSpec) -> ZcResult<ConnectionRow> {
        let audit = self.authorize(Capability::EditConnections).await?;
        let spec = spec.validate()?;
        self.store.add_connection(&spec, &audit).await
    }

    pub async fn list_connections(&self) -> ZcResult<Vec<ConnectionRow>> {
        self.authorize(Capability::View).await?;
        self.store.list_connections().await
    }

    /// A connection by name, without recording a user access (for internal lookups).
    pub async fn connection(&self, name: &str) -> ZcResult<ConnectionRow> {
        self.authorize(Capability::View).await?;
        self.store.connection(name).await
    }

    pub async fn show_connection(&self, name: &str) -> ZcResult<ConnectionRow> {
        self.authorize(Capability::View).await?;
        let row = self.store.connection(name).await?;
        self.store.touch_connection_access(row.id).await?;
        Ok(row)
    }

    pub async fn edit_connection(&self, name: &str, patch: ConnectionPatch) -> ZcResult<ConnectionRow> {
        let audit = self.authorize(Capability::EditConnections).await?;
        let row = self.store.connection(name).await?;
        let spec = patch.apply(row.spec.clone())?;
        self.store.update_connection(row.id, name, &spec, &audit).await
    }

    /// Removes the connection and its key. The key goes first: if the keyring cannot be reached
    /// nothing is removed, so no key is ever orphaned.
    ///
    /// With a central store linked, its history that the centre lacks would go with it: the
    /// console pushes first, and if rows still wait (the centre unreachable) it refuses unless
    /// `discard_unpushed`, with nothing changed; a row a running monitor writes meanwhile is
    /// caught by the store's check inside the removal itself. What `discard_unpushed` discards
    /// is counted in the removal's activity entry and answered.
    pub async fn remove_connection(&self, name: &str, discard_unpushed: bool) -> ZcResult<ConnectionRemoval> {
        let audit = self.authorize(Capability::EditConnections).await?;
        let (removed, discarded) = if discard_unpushed {
            self.store.remove_connection(name, &audit).await?
        } else {
            (self.remove_when_pushed(name, &audit).await?, zc_store::UnpushedHistory::default())
        };
        // The key goes only once the removal stands (a refused removal keeps its key); ids are
        // never reused, so a key left behind by a failing keyring names nothing, and is said.
        let mut key_left = None;
        if removed.spec.kind == ConnectionKind::Station
            && let Err(e) = self.keyring()?.delete(&self.account(removed.id)).await
        {
            tracing::warn!(connection = %removed.spec.name, "its key stayed in the keyring: {e}");
            key_left = Some(format!(
                "Its API key could not be deleted from the OS keyring ({}); it names a connection that no longer exists: remove it with the keyring's own tool.",
                e.message
            ));
        }
        // Its private CA copy is its own (named by its id); nothing else uses it.
        if let Some(file) = &removed.tls_ca_file {
            let _ = std::fs::remove_file(self.data_dir.join(file));
        }
        Ok(ConnectionRemoval { name: removed.spec.name, discarded, key_left })
    }

    /// Removes `name` once the centre has all its history: pushes what waits, then removes,
    /// the store checking again inside the removal's transaction. A running monitor may write a
    /// row in between; that push-and-remove is tried again a few times, then refused.
    async fn remove_when_pushed(&self, name: &str, audit: &zc_store::Audit) -> ZcResult<zc_store::ConnectionRow> {
        const TRIES: u32 = 3;
        let mut why = None;
        for _ in 0..TRIES {
            match self.store.remove_connection_if_pushed(name, audit).await {
                Err(e) if e.code == ErrorCode::UnpushedHistory => {}
                done => return done,
            }
            why = match self.push_pending().await {
                // Failed or held: trying again now would not help.
                Ok(r) if r.outcome != "drained" => r.message,
                Ok(_) => None,
                Err(e) => Some(e.message),
            };
            if why.is_some() {
                break;
            }
        }
        let row = self.store.connection(name).await?;
        let waiting = self.store.unpushed_history(row.id).await?;
        Err(ZcError::new(
            ErrorCode::UnpushedHistory,
            format!(
                "'{name}' has history the central store does not have yet ({}){}; nothing was removed. Remove it once the console reaches the centre, or discard that history (`zc connection rm {name} --discard-unpushed`; the count is kept in the activity log)",
                waiting.describe(),
                why.map(|w| format!(": {w}")).unwrap_or_default()
            ),
        ))
    }

    // ---- keys ----

    /// Stores the key in the OS keyring (never anywhere else) and records that it changed.
    pub async fn set_key(&self, name: &str, key: ApiKey) -> ZcResult<()> {
        let audit = self.authorize(Capability::ManageKeys).await?;
        let row = self.store.connection(name).await?;
        let keyring = self.keyring()?;
        keyring.set(&self.account(row.id), &key).await?;
        self.store.record_key_set(row.id, name, &audit).await
    }

    /// Validates the stored key against the backend and records the result.
    pub async fn check_key(&self, name: &str) -> ZcResult<KeyCheck> {
        let audit = self.authorize(Capability::ManageKeys).await?;
        let row = self.store.connection(name).await?;
        if row.spec.kind != ConnectionKind::Station {
            return Err(ZcError::invalid(format!(
                "'{name}' is an http connection; only station connections use API keys"
            )));
        }
        let key = self.keyring()?.get(&self.account(row.id)).await?.ok_or_else(|| {
            ZcError::new(
                ErrorCode::KeyMissing,
                format!("'{name}' has no key in the keyring; set one with `zc key set {name}`"),
            )
        })?;
        let prober = Prober::new(ProberConfig::default());
        let result = prober.check_key(&row.spec, &row.tls_trust(&self.data_dir), &key).await;
        let error = result.as_ref().err().map(|(c, d)| format!("{}: {d}", c.as_str()));
        self.store.record_key_validation(row.id, name, error.as_deref(), &audit).await?;
        Ok(KeyCheck { connection: name.to_owned(), valid: error.is_none(), checked_at: self.now(), error })
    }

    // ---- status, history, metrics ----

    /// Every connection's status, the console at a glance, and the monitor's state and account.
    pub async fn status(&self) -> ZcResult<StatusReport> {
        self.authorize(Capability::View).await?;
        Ok(StatusReport {
            summary: self.console_summary().await?,
            connections: self.store.list_connections().await?,
            monitor: self.monitor_status().await?,
        })
    }

    pub async fn history(&self, name: &str, since_ms: i64, until_ms: Option<i64>) -> ZcResult<HistoryReport> {
        self.authorize(Capability::View).await?;
        let row = self.show_connection(name).await?;
        let until = until_ms.unwrap_or_else(|| self.now());
        let rows = self.store.history(row.id, since_ms, until).await?;
        let (initial, initial_obs) = self.store.status_at(row.id, since_ms).await?;
        let points: Vec<(i64, Status, bool)> = rows.iter().map(|r| (r.at, r.to_status, r.observer_offline)).collect();
        let mut sp = spans(initial, &points, since_ms, until);
        if let Some(first) = sp.first_mut()
            && first.from_ms == since_ms
        {
            first.observer_offline = initial_obs && first.status == Status::Unknown;
        }
        let unknown = sp.iter().filter(|s| s.status == Status::Unknown).map(|s| s.to_ms - s.from_ms).sum();
        let maintenance = self.store.maintenance_windows(Some(row.id), since_ms, until).await?;
        let windows: Vec<(i64, i64)> = maintenance.iter().map(|w| (w.starts_at, w.ends_at)).collect();
        let (downtime, maintenance_ms) = downtime_outside(&sp, &windows);
        Ok(HistoryReport {
            connection: name.to_owned(),
            since: since_ms,
            until,
            downtime_ms: downtime,
            maintenance_ms,
            maintenance,
            unknown_ms: unknown,
            transitions: rows,
            spans: sp,
        })
    }

    pub async fn metrics(
        &self,
        name: &str,
        since_ms: i64,
        limit: i64,
    ) -> ZcResult<Vec<zc_domain::probe::RequestMetric>> {
        self.authorize(Capability::View).await?;
        let row = self.show_connection(name).await?;
        self.store.metrics(row.id, since_ms, self.now() + 1, limit).await
    }

    /// Renders latency with status bands to PNG or SVG and records the export.
    pub async fn chart(
        &self,
        name: &str,
        since_ms: i64,
        until_ms: Option<i64>,
        out: &Path,
        width: u32,
        height: u32,
    ) -> ZcResult<ChartReport> {
        let audit = self.authorize(Capability::Export).await?;
        zc_chart::Format::from_path(out)?;
        let input = self.chart_input(name, since_ms, until_ms, width, height).await?;
        // The console suggests `<data dir>/exports/…`, which may not exist yet.
        if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                ZcError::new(
                    ErrorCode::Io,
                    format!("cannot create {} ({e}); choose a folder you can write to", dir.display()),
                )
            })?;
        }
        let input_for_render = input.clone();
        let out_buf = out.to_owned();
        // Rasterising is CPU work: keep it off the async threads.
        tokio::task::spawn_blocking(move || zc_chart::render(&input_for_render, &out_buf, width, height))
            .await
            .map_err(|_| ZcError::internal("the chart renderer stopped"))??;
        self.store
            .record_activity(
                &audit,
                "export.chart",
                name,
                json!({"file": out.display().to_string(), "samples": input.series.samples}),
            )
            .await?;
        Ok(ChartReport {
            connection: name.to_owned(),
            file: out.display().to_string(),
            samples: input.series.samples,
            columns_drawn: input.series.buckets.len() as i64,
        })
    }

    /// What a latency chart of `name` over `[since, until)` is drawn from: latency per pixel
    /// column, failures apart, and the status bands. Records a user access.
    pub(crate) async fn chart_input(
        &self,
        name: &str,
        since_ms: i64,
        until_ms: Option<i64>,
        width: u32,
        height: u32,
    ) -> ZcResult<zc_domain::chart::ChartInput> {
        if !(200..=8000).contains(&width) || !(150..=8000).contains(&height) {
            return Err(ZcError::invalid("chart size must be 200-8000 x 150-8000 pixels"));
        }
        let row = self.show_connection(name).await?;
        let until = until_ms.unwrap_or_else(|| self.now());
        if until <= since_ms {
            return Err(ZcError::invalid("the chart window is empty: --since must be before --until"));
        }
        let columns = zc_chart::plot_columns(width);
        let series = self.store.chart_series(row.id, since_ms, until, columns).await?;
        let bands = self.history(name, since_ms, Some(until)).await?.spans;
        Ok(zc_domain::chart::ChartInput { title: name.to_owned(), series, bands })
    }

    // ---- activity log ----

    pub async fn log(&self, since_ms: i64, limit: i64) -> ZcResult<Vec<zc_domain::activity::ActivityEntry>> {
        self.authorize(Capability::ReadActivity).await?;
        self.store.activity_since(since_ms, limit).await
    }

    pub async fn verify_log(&self) -> ZcResult<zc_domain::activity::VerifyReport> {
        self.authorize(Capability::ReadActivity).await?;
        self.store.verify_activity().await
    }

    /// Records an action that the store did not already record (exports done by the caller).
    pub async fn record(&self, action: &str, resource: &str, metadata: serde_json::Value) -> ZcResult<()> {
        let audit = self.authorize(Capability::View).await?;
        self.store.record_activity(&audit, action, resource, metadata).await.map(|_| ())
    }

    // ---- maintenance and health ----

    /// A consistent copy of the local cache at `dest` (a new file), taken while the monitor may
    /// be writing, checked before it is kept. Recorded (`backup.create`).
    pub async fn backup(&self, dest: &Path) -> ZcResult<zc_store::BackupReport> {
        let audit = self.authorize(Capability::Export).await?;
        self.store.backup_to(dest, &audit).await
    }

    pub async fn maintenance(&self) -> ZcResult<zc_store::RetentionReport> {
        let audit = self.authorize(Capability::Retention).await?;
        let report = self.store.apply_retention().await?;
        self.store
            .record_activity(
                &audit,
                "maintenance.retention",
                "local",
                serde_json::to_value(&report).unwrap_or_default(),
            )
            .await?;
        Ok(report)
    }

    pub async fn retention(&self) -> ZcResult<Vec<zc_store::RetentionPolicy>> {
        self.authorize(Capability::View).await?;
        self.store.retention_policies().await
    }

    pub async fn set_retention(&self, data_kind: &str, max_age_ms: i64) -> ZcResult<Vec<zc_store::RetentionPolicy>> {
        let audit = self.authorize(Capability::Retention).await?;
        self.store.set_retention(data_kind, max_age_ms, &audit).await?;
        self.store.retention_policies().await
    }

    pub async fn doctor(&self) -> ZcResult<DoctorReport> {
        self.authorize(Capability::View).await?;
        let keyring = match Keyring::new() {
            Ok(k) => k.check_available().await.map(|_| "reachable".to_owned()).map_err(|e| e.message),
            Err(e) => Err(e.message),
        };
        let started = Instant::now();
        let conns = self.store.list_connections().await?;
        let load_ms = started.elapsed().as_secs_f64() * 1000.0;
        let integrity = self.store.integrity_check().await?;
        let tables = self.store.table_stats().await?;
        let db_file_bytes = ["", "-wal", "-shm"]
            .iter()
            .filter_map(|s| std::fs::metadata(format!("{}{s}", self.store.path().display())).ok())
            .map(|m| m.len())
            .sum();
        Ok(DoctorReport {
            monitor: self.monitor_status().await?,
            data_dir: self.data_dir.display().to_string(),
            keyring_ok: keyring.is_ok(),
            keyring: keyring.unwrap_or_else(|e| e),
            integrity,
            connections: conns.len(),
            open_ms: self.open_ms as f64,
            cache_load_ms: load_ms,
            db_file_bytes,
            free_disk_bytes: free_disk_bytes(&self.data_dir),
            tables,
        })
    }

    // ---- monitor ----

    /// Runs the monitor until `shutdown`. The run records its own start, stop and account in
    /// the activity log and in its ledger row; the report says whether anything was lost
    /// ([`RunReport::error`]). Errors before the run starts (no keyring, another monitor on this
    /// data directory) change nothing.
    pub async fn monitor(
        &self,
        config: MonitorConfig,
        on_start: impl FnOnce(&Arc<Monitor>),
        shutdown: impl std::future::Future<Output = ()>,
    ) -> ZcResult<RunReport> {
        let conns = self.store.list_connections().await?;
        // Station connections need the keyring: say so up front instead of marking them all
        // unauthorized.
        let keyring = if conns.iter().any(|c| c.spec.kind == ConnectionKind::Station) {
            let k = self.keyring()?;
            k.check_available().await?;
            Some(k)
        } else {
            Keyring::new().ok()
        };
        let prober = Prober::new(ProberConfig::default());
        let monitor =
            Monitor::new(self.store.clone(), prober, self.network.clone(), keyring, config, self.console_audit())
                .await?;
        on_start(&monitor);
        // The activity log goes to the central store (when connected) while the monitor runs.
        let stop_sync = tokio_util::sync::CancellationToken::new();
        let (report, ()) = tokio::join!(
            async {
                let r = monitor.run(shutdown).await;
                stop_sync.cancel();
                r
            },
            self.sync_loop(stop_sync.clone())
        );
        report
    }

    /// How many connections a monitor started now would watch (for its start line; unattended,
    /// like the monitor itself).
    pub async fn monitored_count(&self) -> ZcResult<usize> {
        Ok(self.store.list_connections().await?.len())
    }

    /// Whether a monitor watches this data directory now, and its newest run's account.
    pub async fn monitor_status(&self) -> ZcResult<MonitorStatus> {
        self.authorize(Capability::View).await?;
        let running = self.store.monitor_running();
        let run = self.store.latest_run().await?;
        let state = match &run {
            None => "never_run",
            Some(_) if running => "running",
            Some(r) if r.stopped_at.is_some() => "stopped",
            Some(_) => "interrupted",
        };
        Ok(MonitorStatus { state: state.to_owned(), run })
    }

    /// Closes the database properly (WAL checkpointed and, if no other process has it open,
    /// removed). Call before the process ends.
    pub async fn close(self) {
        self.store.close().await;
    }
}

/// A removed connection, and its history that the central store never got (all zero when no
/// centre is linked or it had everything).
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ConnectionRemoval {
    pub name: String,
    /// History the centre did not have that went with it (asked for with discard).
    pub discarded: zc_store::UnpushedHistory,
    /// Set when the removal stands but its key could not be deleted from the keyring.
    pub key_left: Option<String>,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct KeyCheck {
    pub connection: String,
    pub valid: bool,
    pub checked_at: i64,
    pub error: Option<String>,
}
