//! `zc alarms [list|history|ack|shelve|unshelve|settings]`: the same alarms, in the same states,
//! as the console's alarm list (both call zc-app).

use crate::output::{Format, Table, emit, time_opt};
use clap::Subcommand;
use zc_app::zc_domain::alarm::{AlarmSettings, AlarmState, Priority};
use zc_app::zc_domain::timefmt::{parse_duration_ms, parse_since};
use zc_app::zc_domain::{Clock, SystemClock, ZcError, ZcResult};
use zc_app::zc_store::{AlarmFilter, AlarmRow};
use zc_app::{AckTarget, AlarmsView, App, MAX_ALARM_HISTORY_ROWS};

#[derive(Subcommand)]
pub enum AlarmsCmd {
    /// Alarms that need the operator (default), by priority and time.
    List(ListArgs),
    /// Every alarm transition in a window, oldest first (export with --format csv).
    History {
        #[arg(long, default_value = "24h")]
        since: String,
        #[arg(long)]
        until: Option<String>,
        #[arg(long)]
        connection: Option<String>,
        #[arg(long, default_value_t = MAX_ALARM_HISTORY_ROWS)]
        limit: i64,
    },
    /// Acknowledge alarms by id, or every one the filter shows (--all).
    Ack {
        ids: Vec<i64>,
        #[arg(long, conflicts_with = "ids")]
        all: bool,
        /// With --all: only this connection's alarms.
        #[arg(long, requires = "all")]
        connection: Option<String>,
        #[arg(long)]
        comment: Option<String>,
    },
    /// Hide an alarm for a while (1m to 24h), with a reason; it comes back when the time is up.
    Shelve {
        id: i64,
        #[arg(long = "for", value_name = "DURATION")]
        for_: String,
        #[arg(long)]
        reason: String,
    },
    Unshelve {
        id: i64,
    },
    /// Show the thresholds and priorities, or change them.
    Settings {
        /// Status changes within the chattering window that make a connection chatter.
        #[arg(long)]
        chatter_changes: Option<u32>,
        #[arg(long)]
        chatter_window: Option<String>,
        #[arg(long)]
        chatter_settle: Option<String>,
        /// Days before a certificate expires that its alarm is raised.
        #[arg(long)]
        cert_warn_days: Option<i64>,
        /// A flood starts above this many alarms in the flood window …
        #[arg(long)]
        flood_start: Option<u32>,
        /// … and ends below this many.
        #[arg(long)]
        flood_end: Option<u32>,
        /// An alarm more than this before the next does not belong to the burst (first-out).
        #[arg(long)]
        first_out_gap: Option<String>,
        /// KIND=LEVEL, e.g. degraded=medium (repeatable; LEVEL `default` resets it).
        #[arg(long = "priority", value_name = "KIND=LEVEL")]
        priorities: Vec<String>,
    },
}

#[derive(clap::Args, Default)]
pub struct ListArgs {
    #[arg(long)]
    connection: Option<String>,
    /// high, medium or low (repeatable).
    #[arg(long = "priority")]
    priorities: Vec<String>,
    /// unacknowledged, acknowledged, returned_unacknowledged, shelved, suppressed, normal, or
    /// `all` (repeatable; default: the first three).
    #[arg(long = "state")]
    states: Vec<String>,
}

fn filter(a: &ListArgs) -> ZcResult<AlarmFilter> {
    let mut states = Vec::new();
    for s in &a.states {
        if s == "all" {
            states = AlarmState::ALL.to_vec();
            break;
        }
        states.push(AlarmState::parse(s)?);
    }
    Ok(AlarmFilter {
        connection: a.connection.clone(),
        priorities: a.priorities.iter().map(|p| Priority::parse(p)).collect::<ZcResult<_>>()?,
        states,
    })
}

fn source(a: &AlarmRow) -> String {
    match (&a.connection, &a.point) {
        (Some(c), Some(p)) => format!("{c}/{p}"),
        (Some(c), None) => c.clone(),
        _ => "(this console)".into(),
    }
}

/// The state as the list shows it, with what hides it.
fn state_word(a: &AlarmRow) -> String {
    match a.state {
        AlarmState::Shelved => format!("shelved until {}", time_opt(a.shelved_until)),
        AlarmState::Suppressed => match (&a.suppressed_by, &a.suppressed_under) {
            (Some(by), Some(under)) => format!("suppressed ({by} {under})"),
            (Some(by), None) => format!("suppressed ({by})"),
            _ => "suppressed".into(),
        },
        s => s.as_str().into(),
    }
}

pub fn alarm_table(rows: &[AlarmRow]) -> Table {
    let mut t = Table::new(&["id", "priority", "state", "source", "kind", "raised", "message", "acknowledged_by"]);
    for a in rows {
        t.row(vec![
            a.id.to_string(),
            a.priority.as_str().into(),
            state_word(a),
            source(a),
            a.kind.as_str().into(),
            time_opt(a.raised_at),
            a.message.clone(),
            match (&a.acked_by, a.acked_at) {
                (Some(by), Some(at)) => format!("{by} at {}", crate::output::time(at)),
                _ => "-".into(),
            },
        ]);
    }
    t
}

fn summary(v: &AlarmsView) {
    let c = &v.counts;
    println!(
        "{} active ({} unacknowledged, {} acknowledged, {} returned unacknowledged); {} shelved, {} suppressed",
        c.active, c.unacknowledged, c.acknowledged, c.returned_unacknowledged, c.shelved, c.suppressed
    );
    let minutes = v.flood.status.window_ms / 60_000;
    println!("alarm rate: {} in the last {minutes} minutes", v.flood.status.rate);
    if v.flood.status.flooding {
        let first = v.flood.first_out_alarm.as_ref().map(|a| format!("#{} {}", a.id, a.message)).unwrap_or_default();
        println!("ALARM FLOOD since {}: first out {first}", time_opt(v.flood.status.started_at));
        for o in &v.flood.offenders {
            println!("  repeats: #{} {} ({} times)", o.alarm.id, o.alarm.message, o.times);
        }
    }
}

pub async fn run(app: &App, list: &ListArgs, cmd: Option<&AlarmsCmd>, f: Format) -> ZcResult<()> {
    let Some(cmd) = cmd else { return list_alarms(app, list, f).await };
    match cmd {
        AlarmsCmd::List(a) => list_alarms(app, a, f).await?,
        AlarmsCmd::History { since, until, connection, limit } => {
            let now = SystemClock.now_ms();
            let since = parse_since(since, now)?;
            let until = until.as_deref().map(|u| parse_since(u, now)).transpose()?.unwrap_or(now + 1);
            let rows = app.alarm_history(since, until, connection.as_deref(), *limit).await?;
            let mut t = Table::new(&[
                "at", "alarm", "source", "kind", "action", "from", "to", "priority", "message", "actor", "reason",
            ]);
            for h in &rows {
                let src = match (&h.connection, &h.point) {
                    (Some(c), Some(p)) => format!("{c}/{p}"),
                    (Some(c), None) => c.clone(),
                    _ => "(this console)".into(),
                };
                t.row(vec![
                    crate::output::time(h.at),
                    h.alarm_id.to_string(),
                    src,
                    h.kind.as_str().into(),
                    h.action.as_str().into(),
                    h.from_state.as_str().into(),
                    h.to_state.as_str().into(),
                    h.priority.as_str().into(),
                    h.message.clone(),
                    h.actor.clone().unwrap_or_default(),
                    h.reason.clone().unwrap_or_default(),
                ]);
            }
            emit(f, &t, &rows);
        }
        AlarmsCmd::Ack { ids, all, connection, comment } => {
            let target = if *all {
                AckTarget::AllVisible(AlarmFilter { connection: connection.clone(), ..Default::default() })
            } else if ids.is_empty() {
                return Err(ZcError::invalid(
                    "say which alarms to acknowledge: their ids (`zc alarms` lists them), or --all",
                ));
            } else {
                AckTarget::Ids(ids.clone())
            };
            let r = app.acknowledge_alarms(&target, comment.as_deref()).await?;
            let mut t = Table::new(&["acknowledged", "skipped (nothing to acknowledge)"]);
            let join = |v: &[i64]| v.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(" ");
            t.row(vec![join(&r.acknowledged), join(&r.skipped)]);
            emit(f, &t, &r);
        }
        AlarmsCmd::Shelve { id, for_, reason } => {
            let a = app.shelve_alarm(*id, parse_duration_ms(for_)?, reason).await?;
            emit(f, &alarm_table(std::slice::from_ref(&a)), &a);
        }
        AlarmsCmd::Unshelve { id } => {
            let a = app.unshelve_alarm(*id).await?;
            emit(f, &alarm_table(std::slice::from_ref(&a)), &a);
        }
        AlarmsCmd::Settings {
            chatter_changes,
            chatter_window,
            chatter_settle,
            cert_warn_days,
            flood_start,
            flood_end,
            first_out_gap,
            priorities,
        } => {
            let mut s = app.alarm_settings().await?;
            let before = s.clone();
            s.chatter_changes = chatter_changes.unwrap_or(s.chatter_changes);
            s.chatter_window_ms =
                chatter_window.as_deref().map(parse_duration_ms).transpose()?.unwrap_or(s.chatter_window_ms);
            s.chatter_settle_ms =
                chatter_settle.as_deref().map(parse_duration_ms).transpose()?.unwrap_or(s.chatter_settle_ms);
            s.cert_warn_days = cert_warn_days.unwrap_or(s.cert_warn_days);
            s.flood_start = flood_start.unwrap_or(s.flood_start);
            s.flood_end = flood_end.unwrap_or(s.flood_end);
            s.first_out_gap_ms =
                first_out_gap.as_deref().map(parse_duration_ms).transpose()?.unwrap_or(s.first_out_gap_ms);
            for p in priorities {
                let (kind, level) = p.split_once('=').ok_or_else(|| {
                    ZcError::invalid(format!("--priority '{p}': use KIND=LEVEL, e.g. degraded=medium"))
                })?;
                let kind = zc_app::zc_domain::alarm::AlarmKind::parse(kind)?;
                if level == "default" {
                    s.priorities.remove(kind.as_str());
                } else {
                    s.priorities.insert(kind.as_str().to_owned(), Priority::parse(level)?);
                }
            }
            if s != before {
                s = app.set_alarm_settings(&s).await?;
            }
            emit(f, &settings_table(&s), &s);
        }
    }
    Ok(())
}

async fn list_alarms(app: &App, a: &ListArgs, f: Format) -> ZcResult<()> {
    let v = app.alarms(&filter(a)?).await?;
    emit(f, &alarm_table(&v.alarms), &v);
    if f == Format::Table {
        summary(&v);
    }
    Ok(())
}

fn settings_table(s: &AlarmSettings) -> Table {
    let mut t = Table::new(&["setting", "value"]);
    let d = crate::output::duration;
    t.row(vec!["chatter_changes".into(), s.chatter_changes.to_string()]);
    t.row(vec!["chatter_window".into(), d(s.chatter_window_ms)]);
    t.row(vec!["chatter_settle".into(), d(s.chatter_settle_ms)]);
    t.row(vec!["cert_warn_days".into(), s.cert_warn_days.to_string()]);
    t.row(vec!["flood_start".into(), format!("more than {} in {}", s.flood_start, d(s.flood_window_ms))]);
    t.row(vec!["flood_end".into(), format!("fewer than {}", s.flood_end)]);
    t.row(vec!["first_out_gap".into(), d(s.first_out_gap_ms)]);
    for k in zc_app::zc_domain::alarm::AlarmKind::ALL {
        let p = s.priority(k);
        let note = if p == k.default_priority() { "" } else { " (changed)" };
        t.row(vec![format!("priority {}", k.as_str()), format!("{}{note}", p.as_str())]);
    }
    t
}
