//! `zc monitor` and `zc status`.

use crate::connection::connection_table;
use crate::output::{Format, Table, emit};
use serde_json::json;
use zc_app::zc_domain::{ZcError, ZcResult};
use zc_app::zc_monitor::{MonitorConfig, MonitorEvent};
use zc_app::{App, MonitorStatus};

/// Resolves on Ctrl-C, SIGTERM, or after `for_ms`. The handlers are installed when this is
/// called, not when the future is first polled: a SIGTERM that arrives while the monitor is still
/// starting must stop it cleanly, not kill it (the signal's default action).
pub fn shutdown_signal(for_ms: Option<i64>) -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let (term, int) = {
        use tokio::signal::unix::{SignalKind, signal};
        (signal(SignalKind::terminate()).ok(), signal(SignalKind::interrupt()).ok())
    };
    async move {
        let timer = async {
            match for_ms {
                Some(ms) => tokio::time::sleep(std::time::Duration::from_millis(ms as u64)).await,
                None => std::future::pending().await,
            }
        };
        #[cfg(unix)]
        {
            let wait = |s: Option<tokio::signal::unix::Signal>| async move {
                match s {
                    Some(mut s) => {
                        s.recv().await;
                    }
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = timer => {}
                _ = wait(term) => {}
                _ = wait(int) => {}
            }
        }
        #[cfg(not(unix))]
        tokio::select! {
            _ = timer => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    }
}

/// The monitor's state and its newest run's account, in one line for people.
pub fn describe(m: &MonitorStatus) -> String {
    let Some(r) = &m.run else { return "never run on this data directory".into() };
    let a = &r.account;
    let counts = format!(
        "{} probes, {} metrics rows written, {} waiting, {} dropped, {} discarded (connection removed); {} status changes written",
        a.probes, a.rows_written, a.rows_held, a.rows_dropped, a.rows_discarded, a.transitions_written
    );
    match m.state.as_str() {
        "running" => format!(
            "running since {} (pid {}, last write {}): {counts}",
            crate::output::time(r.started_at),
            r.pid,
            crate::output::time(r.last_write_at)
        ),
        "stopped" => format!(
            "stopped at {}: {counts}; {}",
            crate::output::time(r.stopped_at.unwrap_or(r.last_write_at)),
            r.loss.as_deref().unwrap_or("nothing lost")
        ),
        _ => format!(
            "not running; the last run (pid {}) ended without a clean stop, so the statuses above are as of its last write ({}), not watched since; the next start records that time as unknown. At that write: {counts}",
            r.pid,
            crate::output::time(r.last_write_at)
        ),
    }
}

pub async fn monitor(app: &App, for_ms: Option<i64>, f: Format) -> ZcResult<()> {
    let print = f == Format::Table;
    let n = app.monitored_count().await?;
    let report = app
        .monitor(
            MonitorConfig::default(),
            |m| {
                for r in m.interrupted_runs() {
                    eprintln!("warning: {}", r.message());
                }
                let mut rx = m.subscribe();
                tokio::spawn(async move {
                    while let Ok(ev) = rx.recv().await {
                        if let MonitorEvent::Transition { name, transition: t, detail, .. } = ev
                            && print
                        {
                            println!(
                                "{}  {name}  {} -> {}{}",
                                crate::output::time(t.at_ms),
                                t.from.as_str(),
                                t.to.as_str(),
                                detail.map(|d| format!("  ({d})")).unwrap_or_default()
                            );
                        }
                    }
                });
                if print {
                    println!("monitoring {n} connection(s); edits apply within a second; Ctrl-C to stop");
                }
            },
            shutdown_signal(for_ms),
        )
        .await?;
    let a = &report.account;
    let mut t = Table::new(&["probes", "missed", "rows_written", "rows_lost", "rows_discarded", "changes_written"]);
    let lost = report.loss.as_ref().map_or(0, |l| l.rows);
    t.row(vec![
        a.probes.to_string(),
        report.stats.missed.to_string(),
        a.rows_written.to_string(),
        lost.to_string(),
        a.rows_discarded.to_string(),
        a.transitions_written.to_string(),
    ]);
    emit(
        f,
        &t,
        &json!({"run": report.run_id, "probes": a.probes, "missed": report.stats.missed, "account": a,
                "loss": report.loss, "stop_recorded": report.close_error.is_none()}),
    );
    report.error().map_or(Ok(()), Err::<(), ZcError>)
}

pub async fn status(app: &App, f: Format) -> ZcResult<()> {
    let s = app.status().await?;
    emit(f, &connection_table(&s.connections), &s);
    if f == Format::Table {
        println!("monitor: {}", describe(&s.monitor));
        println!("summary: {} — {}", s.summary.level.as_str(), s.summary.headline);
    }
    Ok(())
}
