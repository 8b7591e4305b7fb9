//! How a run goes: its tasks (schedules, the writer, retention) start, and at the stop each is
//! signalled and awaited, never aborted (ARCHITECTURE.md, "Nothing is lost"); then the last
//! writes, the account checked against the ledger read back from disk, and the stop recorded.

use crate::monitor::{Monitor, RunStats};
use crate::schedule::Scheduled;
use crate::writer::FlushReport;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use zc_domain::{ErrorCode, RunAccount, RunLoss, ZcError, ZcResult};

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
    /// Why the run's ledger could not be read back to check the account.
    pub check_error: Option<ZcError>,
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
        if let Some(e) = &self.close_error {
            return Some(ZcError::new(
                e.code,
                format!(
                    "everything was written, but the stop could not be recorded ({}); the next start records the time since as unknown",
                    e.message
                ),
            ));
        }
        self.check_error.as_ref().map(|e| {
            ZcError::new(
                e.code,
                format!(
                    "everything queued was written, but the run's record could not be read back to check it ({})",
                    e.message
                ),
            )
        })
    }
}

impl Monitor {
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
            if let Ok(FlushReport { rows: 0, changes: 0 }) = self.flush().await {
                // No batch decided the alarms this time: time alone may change them (a shelve
                // expires, a maintenance window opens, chattering settles).
                if let Err(e) = self.store.evaluate_alarms().await {
                    tracing::warn!("cannot decide the alarms now (retried each second): {e}");
                }
            }
        }
    }

    /// Stores the console's own network when it differs from what is stored, so its alarm (one
    /// alarm instead of one per station) is raised and cleared by the monitor. Retried at each
    /// check while the database refuses it.
    async fn record_observer(&self, recorded: &mut ObserverRecord) {
        let online = self.observer_online();
        if recorded.state == Some(online) {
            return;
        }
        match self.store.set_console_network(online).await {
            Ok(()) => {
                recorded.state = Some(online);
                recorded.failing = false;
            }
            // Tried again every second; said once per failing streak, not every second.
            Err(e) if !recorded.failing => {
                recorded.failing = true;
                tracing::warn!("cannot record the console's network state yet (retried every second): {e}");
            }
            Err(_) => {}
        }
    }

    /// Looks at the console's own network and tells watchers when it changed (`always`: say it
    /// anyway, at the start of a run). Reading the route table is cheap; probes ask it too, but
    /// only when they fail, and a console whose stations all sit on its own subnet would never ask.
    fn check_observer(&self, always: bool) {
        let online = self.network.is_online();
        let was = self.observer_online.swap(online, std::sync::atomic::Ordering::AcqRel);
        if always || was != online {
            if !always {
                if online {
                    tracing::info!("the console has a network again");
                } else {
                    tracing::warn!("the console has no network of its own (no route off this machine)");
                }
            }
            let _ = self.events.send(crate::MonitorEvent::Observer { online, at_ms: self.store.now() });
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
        if self.started.swap(true, std::sync::atomic::Ordering::AcqRel) {
            return Err(ZcError::internal("this monitor has already run; start a new one"));
        }
        let schedules = CancellationToken::new();
        // If this future is dropped instead of awaited to its end, its tasks stop anyway.
        let _stop_schedules = schedules.clone().drop_guard();
        let mut tasks: HashMap<i64, Scheduled> = HashMap::new();
        let mut retired: Vec<JoinHandle<()>> = Vec::new();
        let mut versions = Vec::new();
        if let Err(e) = self.reload(&mut tasks, &mut retired, &mut versions, &schedules).await {
            let _ = self.finish().await;
            return Err(e);
        }
        let writer_stop = CancellationToken::new();
        let _stop_writer = writer_stop.clone().drop_guard();
        let writer = tokio::spawn(self.clone().write_loop(writer_stop.clone()));
        let retention_stop = CancellationToken::new();
        let _stop_retention = retention_stop.clone().drop_guard();
        let retention = tokio::spawn(self.clone().retention_loop(retention_stop.clone()));
        let mut reload = tokio::time::interval(self.config.reload_every);
        reload.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        reload.tick().await;
        self.check_observer(true);
        let mut observer_recorded = ObserverRecord::default();
        self.record_observer(&mut observer_recorded).await;
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                _ = reload.tick() => {
                    self.check_observer(false);
                    self.record_observer(&mut observer_recorded).await;
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
        let (in_database, check_error) = match self.store.read_back_run(self.run_id).await {
            Ok(w) => (Some((w.rows_written, w.transitions_written)), None),
            Err(e) => {
                tracing::error!("cannot read the run's record back: {e}");
                (None, Some(e))
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
        RunReport { run_id: self.run_id, stats: self.stats(), account, loss, write_error, close_error, check_error }
    }
}

/// The console's network state as last stored for the alarms, and whether storing it fails.
#[derive(Default)]
struct ObserverRecord {
    state: Option<bool>,
    failing: bool,
}
