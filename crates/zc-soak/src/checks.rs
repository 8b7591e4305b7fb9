//! After every round, on the round's database and the stations' own request counters:
//! - `PRAGMA integrity_check` is ok, and `zc log verify` passes;
//! - every request a station counted has exactly one metrics row (never more: no duplicates),
//!   except, after a SIGKILL, those the killed run had not written yet, at most what was
//!   waiting at its last write plus what the connections probe until the kill (plus one in
//!   flight each);
//! - a monitor that ends with the disk still full exits 1 and says exactly how many rows it lost;
//! - each connection's history is continuous (every `from` is the previous `to`) and ends where
//!   the connection's status is (`unknown` after a clean stop);
//! - one run per process started, the killed one noted by the restart (which says so), the last
//!   one stopped cleanly with a balanced account, and no WAL left behind after a clean stop.

use crate::monitor::Exit;
use crate::plan::{Plan, REMOVABLE, STATIONS};
use crate::round::{INTERVALS_MS, Setup, zc};
use std::collections::HashMap;
use std::path::Path;

/// What a round did and found: the inputs of the figures.
#[derive(Debug, Clone)]
pub struct Observed {
    pub plan: Plan,
    pub monitors: u32,
    pub edited: bool,
    pub removed: bool,
    pub disk_filled: bool,
    /// The disk was still full when the last monitor ended.
    pub full_at_exit: bool,
    pub kill_ms: Option<i64>,
    pub killed_output: String,
    /// The fault library's reports (one line per injected fault).
    pub io_fired: String,
    /// Which monitor process (0: the first) the I/O fault was armed in.
    pub io_armed_in: Option<u32>,
    /// Per connection, the shortest interval it had during the round.
    pub min_interval: [u32; STATIONS],
    pub requests: Vec<u64>,
    /// Requests without their row, over the connections that still exist.
    pub missing: u64,
    pub kill_bound: Option<u64>,
    pub reported_loss: Option<u64>,
    pub dropped: u64,
    pub discarded: u64,
    pub rows: u64,
}

impl Observed {
    pub fn new(plan: &Plan) -> Observed {
        Observed {
            plan: plan.clone(),
            monitors: 0,
            edited: false,
            removed: false,
            disk_filled: false,
            full_at_exit: false,
            kill_ms: None,
            killed_output: String::new(),
            io_fired: String::new(),
            io_armed_in: None,
            min_interval: INTERVALS_MS,
            requests: Vec::new(),
            missing: 0,
            kill_bound: None,
            reported_loss: None,
            dropped: 0,
            discarded: 0,
            rows: 0,
        }
    }
}

fn port_of(url: &str) -> Option<u16> {
    url.strip_prefix("http://127.0.0.1:")?.split('/').next()?.parse().ok()
}

/// The `rows_lost` column of the summary table `zc monitor` prints at its end.
fn reported_loss(stdout: &str) -> Option<u64> {
    let mut lines = stdout.lines().skip_while(|l| !l.starts_with("PROBES"));
    let header: Vec<&str> = lines.next()?.split_whitespace().collect();
    let column = header.iter().position(|h| *h == "ROWS_LOST")?;
    lines.next()?.split_whitespace().nth(column)?.parse().ok()
}

pub fn check(setup: &Setup, data: &Path, exit: &Exit, obs: &mut Observed, failures: &mut Vec<String>) {
    let mut fail = |s: String| failures.push(s);
    let db = data.join("zeroclient.db");
    // Exit code and the one line.
    if obs.full_at_exit {
        let errors: Vec<&str> = exit.stderr.lines().filter(|l| l.starts_with("error[")).collect();
        if exit.code != Some(1)
            || errors.len() != 1
            || !errors[0].starts_with("error[disk_full]: monitoring lost data: ")
        {
            fail(format!(
                "a stop on a full disk must exit 1 with one disk_full line; got {:?}: {}",
                exit.code, exit.stderr
            ));
        }
        obs.reported_loss = reported_loss(&exit.stdout);
    } else if exit.code != Some(0) {
        fail(format!("zc monitor exited {:?}: {}", exit.code, exit.stderr.trim()));
    }
    if exit.code == Some(0) && data.join("zeroclient.db-wal").exists() {
        fail("a clean stop left the WAL behind".into());
    }

    let c = match rusqlite::Connection::open(&db) {
        Ok(c) => c,
        Err(e) => return fail(format!("cannot open the database: {e}")),
    };
    let q = |sql: &str| -> Vec<Vec<rusqlite::types::Value>> {
        let mut st = c.prepare(sql).expect(sql);
        let n = st.column_count();
        st.query_map([], |r| (0..n).map(|i| r.get(i)).collect()).expect(sql).map(Result::unwrap).collect()
    };
    let int = |v: &rusqlite::types::Value| match v {
        rusqlite::types::Value::Integer(i) => *i,
        _ => 0,
    };
    let text = |v: &rusqlite::types::Value| match v {
        rusqlite::types::Value::Text(t) => t.clone(),
        _ => String::new(),
    };
    let integrity: String = c.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap_or_else(|e| e.to_string());
    if integrity != "ok" {
        fail(format!("integrity_check: {integrity}"));
    }

    // Connections by station (through their URL's port), rows per connection.
    let mut station_of: HashMap<i64, usize> = HashMap::new();
    let mut status_of: HashMap<i64, String> = HashMap::new();
    for r in q("SELECT id, url, status FROM backend_connections") {
        if let Some(i) = port_of(&text(&r[1])).and_then(|p| setup.ports.iter().position(|x| *x == p)) {
            station_of.insert(int(&r[0]), i);
            status_of.insert(int(&r[0]), text(&r[2]));
        }
    }
    let removable_present = station_of.values().any(|i| *i == REMOVABLE);
    if removable_present == obs.removed {
        fail(format!(
            "the removable connection is {} although its removal {}",
            if removable_present { "there" } else { "gone" },
            if obs.removed { "succeeded" } else { "did not happen" }
        ));
    }
    let rows: HashMap<i64, u64> = q("SELECT connection_id, COUNT(*) FROM request_metrics GROUP BY connection_id")
        .iter()
        .map(|r| (int(&r[0]), int(&r[1]) as u64))
        .collect();
    for (id, i) in &station_of {
        let (req, got) = (obs.requests[*i], rows.get(id).copied().unwrap_or(0));
        obs.rows += got;
        if got > req {
            fail(format!("connection {id}: {got} rows for {req} requests: duplicates"));
        } else {
            obs.missing += req - got;
        }
    }

    let duplicates: i64 = c
        .query_row(
            "SELECT COUNT(*) FROM (SELECT 1 FROM request_metrics GROUP BY connection_id, at HAVING COUNT(*) > 1)",
            [],
            |r| r.get(0),
        )
        .unwrap_or(-1);
    if duplicates != 0 {
        // One connection's probes follow one another: two rows of one moment are one written twice.
        fail(format!("{duplicates} (connection, time) pairs have more than one metrics row"));
    }

    // An I/O fault armed in a process that then ran to its stop must have fired.
    if let Some(n) = obs.io_armed_in
        && n + 1 == obs.monitors
        && obs.io_fired.trim().is_empty()
    {
        fail("the I/O fault was armed but never injected".into());
    }
    let log = std::fs::read_to_string(data.join("logs/zc.log")).unwrap_or_default();
    if log.contains("status change written from the stored status") {
        fail("a status change was not continuous with the stored status (see zc.log)".into());
    }

    // The runs.
    let runs = q(
        "SELECT id, stopped_at, interrupted_noted_at, last_write_at, rows_made, rows_written, rows_dropped, rows_discarded, loss FROM monitor_runs ORDER BY id",
    );
    if runs.len() as u32 != obs.monitors {
        fail(format!("{} runs recorded for {} monitor processes", runs.len(), obs.monitors));
    }
    obs.dropped = runs.iter().map(|r| int(&r[6]) as u64).sum();
    obs.discarded = runs.iter().map(|r| int(&r[7]) as u64).sum();
    let noted: Vec<_> = runs.iter().filter(|r| !matches!(r[2], rusqlite::types::Value::Null)).collect();
    match obs.kill_ms {
        Some(kill_ms) => {
            if noted.len() != 1 {
                fail(format!("{} runs noted as interrupted after one SIGKILL", noted.len()));
            }
            if !exit.stderr.contains("did not stop cleanly") {
                fail(format!(
                    "the restart after SIGKILL did not say the previous run did not stop cleanly: {}",
                    exit.stderr
                ));
            }
            if let Some(r) = noted.first() {
                let waiting = (int(&r[4]) - int(&r[5]) - int(&r[6]) - int(&r[7])).max(0) as u64;
                let since = (kill_ms - int(&r[3])).max(0) as u64;
                let probes: u64 = station_of.values().map(|i| since.div_ceil(obs.min_interval[*i] as u64)).sum();
                let bound = waiting + probes + station_of.len() as u64;
                obs.kill_bound = Some(bound);
                if obs.missing > bound {
                    fail(format!(
                        "{} rows missing after a SIGKILL, more than the bound {bound} ({waiting} waiting, {since} ms since the last write)",
                        obs.missing
                    ));
                }
            }
        }
        None if obs.full_at_exit => {
            if obs.reported_loss != Some(obs.missing) {
                fail(format!("{} rows are missing but the monitor reported {:?}", obs.missing, obs.reported_loss));
            }
        }
        None => {
            if !noted.is_empty() {
                fail("a run was noted as interrupted without a SIGKILL".into());
            }
            if obs.missing > 0 {
                fail(format!("{} requests have no metrics row after a clean stop", obs.missing));
            }
        }
    }
    if exit.code == Some(0)
        && let Some(last) = runs.last()
    {
        if matches!(last[1], rusqlite::types::Value::Null) || !matches!(last[8], rusqlite::types::Value::Null) {
            fail(format!("the last run is not recorded as a clean stop: {last:?}"));
        }
        let (made, written, dropped, discarded) = (int(&last[4]), int(&last[5]), int(&last[6]), int(&last[7]));
        if made != written + discarded || dropped != 0 {
            fail(format!(
                "the last run's account does not balance: made {made}, written {written}, dropped {dropped}, discarded {discarded}"
            ));
        }
    }

    // Continuous history, ending at the stored status.
    let mut last_to: HashMap<i64, String> = HashMap::new();
    for r in q(
        "SELECT connection_id, from_status, to_status, at FROM connection_status_history ORDER BY connection_id, at, id",
    ) {
        let id = int(&r[0]);
        let prev = last_to.get(&id).cloned().unwrap_or_else(|| "unknown".into());
        if text(&r[1]) != prev {
            fail(format!("connection {id}: a change from {} follows one to {prev} (at {})", text(&r[1]), int(&r[3])));
        }
        last_to.insert(id, text(&r[2]));
    }
    for (id, status) in &status_of {
        let last = last_to.get(id).cloned().unwrap_or_else(|| "unknown".into());
        if &last != status {
            fail(format!("connection {id}: stored status {status}, but its history ends at {last}"));
        }
        if exit.code == Some(0) && status != "unknown" {
            fail(format!("connection {id} is {status} after a clean stop (should be unknown: unwatched)"));
        }
    }
    drop(c);

    let v = zc(setup, data, &["log", "verify"], None);
    if !v.status.success() {
        fail(format!("zc log verify: {}", String::from_utf8_lossy(&v.stderr)));
    }
}
