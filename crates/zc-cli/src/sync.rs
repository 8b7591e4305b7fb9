//! `zc sync status|now|retry|discard`: the queue to the central store.

use crate::output::{Format, Table, emit, time_opt};
use clap::Subcommand;
use zc_app::zc_domain::{ErrorCode, ZcError, ZcResult};
use zc_app::{App, SyncReport, SyncStatus};

#[derive(Subcommand)]
pub enum SyncCmd {
    /// What is waiting, since when, the last success and error, and what is held.
    Status,
    /// Push everything pending now; exits 1 when the push failed or is held.
    Now,
    /// Push a held entry again (admins); `zc sync status` lists them with their ids.
    Retry { id: i64 },
    /// Give up on a held edit (admins). A connection definition: the console keeps it, the
    /// centre keeps its older version; it goes again at its next edit. A widget edit: the
    /// console takes the centre's copy at the next sync (or removes the widget, when the centre
    /// removed it). Held log and history rows, and what the centre never had, can only be
    /// retried.
    Discard { id: i64 },
}

fn table(s: &SyncStatus) -> Table {
    let mut t = Table::new(&[
        "stream",
        "pending",
        "oldest pending",
        "last success",
        "failures",
        "next attempt",
        "held",
        "last error",
    ]);
    for st in &s.streams {
        t.row(vec![
            st.stream.clone(),
            st.pending.to_string(),
            time_opt(st.oldest_pending_at),
            time_opt(st.last_success_at),
            st.failures.to_string(),
            time_opt(st.next_attempt_at),
            st.quarantined.to_string(),
            st.last_error.clone().unwrap_or_default(),
        ]);
    }
    for q in &s.quarantine {
        t.row(vec![
            format!("held #{}", q.id),
            match q.stream.as_str() {
                "connections" => format!("connection #{}", q.first_seq),
                "widgets" => format!("widget #{}", q.first_seq),
                "activity_log" => format!("from entry {}", q.first_seq),
                _ => format!("from {}", time_opt(Some(q.first_seq))),
            },
            time_opt(Some(q.first_failed_at)),
            String::new(),
            q.attempts.to_string(),
            String::new(),
            q.reason.clone(),
            q.detail.clone(),
        ]);
    }
    for n in &s.notices {
        let fields: Vec<&str> = n.fields.iter().map(|c| c.field.as_str()).collect();
        t.row(vec![
            format!("{} #{}", n.kind, n.id),
            format!("{}/{}", n.connection, n.widget),
            time_opt(Some(n.detected_at)),
            String::new(),
            String::new(),
            String::new(),
            fields.join(", "),
            format!("central v{} by {}; `zc widget conflicts`", n.central_version, n.central_by),
        ]);
    }
    t
}

fn finish(r: &SyncReport, f: Format) -> ZcResult<()> {
    emit(f, &table(&r.status), r);
    if let Some(p) = &r.pulled
        && p.connections + p.added + p.updated + p.removed + p.waiting > 0
    {
        eprintln!(
            "from the central store: {} connection(s) added, changed or removed; {} widget(s) added, {} updated, {} removed; \
             {} waiting (a connection or widget here has the name, or a widget's connection is not here)",
            p.connections, p.added, p.updated, p.removed, p.waiting
        );
    }
    if let Some(e) = &r.pull_error {
        eprintln!("{e}");
    }
    match r.outcome.as_str() {
        "drained" => Ok(()),
        "held" => Err(ZcError::new(ErrorCode::Backend, r.message.clone().unwrap_or_default())),
        _ => Err(ZcError::new(ErrorCode::CentralUnreachable, r.message.clone().unwrap_or_default())),
    }
}

pub async fn run(app: &App, cmd: &SyncCmd, f: Format) -> ZcResult<()> {
    match cmd {
        SyncCmd::Status => {
            let s = app.sync_status().await?;
            if s.central.is_none() {
                eprintln!("not connected to a central store (`zc central connect`); entries wait here");
            }
            emit(f, &table(&s), &s);
            Ok(())
        }
        SyncCmd::Now => finish(&app.sync_now().await?, f),
        SyncCmd::Retry { id } => finish(&app.retry_quarantined(*id).await?, f),
        SyncCmd::Discard { id } => {
            let s = app.discard_quarantined(*id).await?;
            emit(f, &table(&s), &s);
            Ok(())
        }
    }
}
