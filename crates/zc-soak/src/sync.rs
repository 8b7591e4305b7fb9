//! Sync rounds: the real `zc sync now` pushing a console's backlog (activity log, metrics,
//! status and point history) to a real PostgreSQL, killed with SIGKILL at random moments several
//! times, then run to the end. Every row must be at the centre exactly once, the activity log in
//! order and with the console's own hashes, and nothing may be left waiting.

use crate::round::{Setup, zc};
use rand::Rng;
use rand::rngs::StdRng;
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use zc_central::cluster::Cluster;
use zc_domain::activity::{EntryContent, entry_hash};

/// The backlog of every round: an offline console's week, roughly.
const ACTIVITY: i64 = 4000;
const METRICS: i64 = 40_000;
const HISTORY: i64 = 1500;
const POINTS: i64 = 12_000;

pub struct Centre {
    cluster: Cluster,
    admin: PgPool,
    site: uuid::Uuid,
    /// The monitor rounds' template database; each round adds its backlog to a copy.
    template: PathBuf,
    /// Where the sync rounds work: not on the small disk, which is the monitor rounds'.
    dir: tempfile::TempDir,
}

/// What a round saw, for the figures.
#[derive(Debug, Default, Clone)]
pub struct SyncObserved {
    pub kills: u32,
    /// Kills that landed while rows were still waiting (the others found the push done).
    pub kills_mid_push: u32,
    /// Runs whose disk filled up, and those that it stopped with `disk_full`.
    pub disk_fulls: u32,
    pub disk_full_mid_push: u32,
    pub rows: i64,
    pub drain_ms: u64,
    /// Entries whose transaction at the centre began before their predecessor's (a pipelined
    /// batch); harmless, counted to show the order check reads commit order for a reason.
    pub began_before_predecessor: u32,
}

/// Writes the backlog straight into the template's SQLite file, as the console's own code would
/// have: each activity entry hashed and linked, rows under the template's connections.
fn backlog(db: &Path) -> Result<(), String> {
    let mut c = rusqlite::Connection::open(db).map_err(|e| e.to_string())?;
    let tx = c.transaction().map_err(|e| e.to_string())?;
    // Every round is another console with a history of its own: the template's entries (copied
    // into every round) get new global ids, or the centre would see one console's rows again.
    tx.execute(
        "UPDATE activity_log SET global_id = lower(substr(global_id, 1, 15) || substr(hex(randomblob(2)), 2, 3) || '-' \
         || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2, 3) || '-' || hex(randomblob(6)))",
        [],
    )
    .map_err(|e| e.to_string())?;
    let ids: Vec<i64> = {
        let mut s = tx.prepare("SELECT id FROM backend_connections ORDER BY id").unwrap();
        s.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
    };
    let t0: i64 = tx.query_row("SELECT MAX(at) FROM activity_log", [], |r| r.get(0)).unwrap();
    let (mut seq, mut prev): (i64, String) = tx
        .query_row(
            "SELECT c.head_seq, COALESCE((SELECT hash FROM activity_log WHERE seq = c.head_seq), c.anchor_hash) \
             FROM activity_log_chain c WHERE c.id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    for i in 0..ACTIVITY {
        seq += 1;
        let at = t0 + 1 + i * 150;
        let resource = format!("alarm/{}", i % 40);
        let metadata = format!(r#"{{"comment":"soak {i}","alarm":{{"kind":"offline","occurrence":{i}}}}}"#);
        let content = EntryContent {
            seq,
            at_ms: at,
            actor: "soak-operator",
            device_id: None,
            action: "alarm.ack",
            resource: &resource,
            metadata: &metadata,
        };
        let hash = entry_hash(&prev, &content);
        let ts = uuid::Timestamp::from_unix(uuid::NoContext, (at / 1000) as u64, ((at % 1000) * 1_000_000) as u32);
        tx.execute(
            "INSERT INTO activity_log (seq, at, actor, action, resource, metadata, prev_hash, hash, global_id, created_at, updated_at) \
             VALUES (?1, ?2, 'soak-operator', 'alarm.ack', ?3, ?4, ?5, ?6, ?7, ?2, ?2)",
            rusqlite::params![seq, at, resource, metadata, prev, hash, uuid::Uuid::new_v7(ts).to_string()],
        )
        .map_err(|e| e.to_string())?;
        prev = hash;
    }
    tx.execute("UPDATE activity_log_chain SET head_seq = ?1 WHERE id = 1", [seq]).map_err(|e| e.to_string())?;
    for i in 0..METRICS {
        tx.execute(
            "INSERT INTO request_metrics (connection_id, at, latency_us, http_status, request_bytes, response_bytes, outcome, created_at, updated_at) \
             VALUES (?1, ?2, ?3, 200, 120, 900, 'ok', ?2, ?2)",
            rusqlite::params![ids[(i as usize) % ids.len()], t0 + i * 15, 1000 + i % 5000],
        )
        .map_err(|e| e.to_string())?;
    }
    for i in 0..HISTORY {
        let (from, to) = if i % 2 == 0 { ("online", "offline") } else { ("offline", "online") };
        tx.execute(
            "INSERT INTO connection_status_history (connection_id, at, from_status, to_status, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?2, ?2)",
            rusqlite::params![ids[(i as usize) % ids.len()], t0 + i * 400, from, to],
        )
        .map_err(|e| e.to_string())?;
    }
    let mut points = Vec::new();
    for id in &ids {
        points.push(tx.query_row(
            "INSERT INTO data_points (connection_id, point_key, unit, value, quality, received_at, created_at, updated_at) \
             VALUES (?1, 'pressure-1', 'bar', 1.0, 'good', ?2, ?2, ?2) RETURNING id",
            rusqlite::params![id, t0],
            |r| r.get::<_, i64>(0),
        )
        .map_err(|e| e.to_string())?);
    }
    for i in 0..POINTS {
        tx.execute(
            "INSERT INTO point_history (point_id, at, value, quality) VALUES (?1, ?2, ?3, 'good')",
            rusqlite::params![points[(i as usize) % points.len()], t0 + i * 50, (i % 97) as f64],
        )
        .map_err(|e| e.to_string())?;
    }
    tx.commit().map_err(|e| e.to_string())
}

impl Centre {
    pub fn start(setup: &Setup) -> Result<Centre, String> {
        let cluster = Cluster::start().map_err(|e| format!("a throwaway PostgreSQL: {e}"))?;
        let (admin, site) = setup.rt.block_on(async {
            let postgres = PgPool::connect(&cluster.superuser_url("postgres")).await.map_err(|e| e.to_string())?;
            sqlx::query("CREATE DATABASE zc").execute(&postgres).await.map_err(|e| e.to_string())?;
            // The order check below reads when each entry's transaction committed.
            sqlx::query("ALTER SYSTEM SET track_commit_timestamp = on")
                .execute(&postgres)
                .await
                .map_err(|e| e.to_string())?;
            postgres.close().await;
            cluster.stop()?;
            cluster.restart()?;
            let admin = PgPoolOptions::new()
                .max_connections(2)
                .connect(&cluster.superuser_url("zc"))
                .await
                .map_err(|e| e.to_string())?;
            zc_central::schema::migrate(&admin).await.map_err(|e| e.to_string())?;
            let (_, site) =
                zc_central::provision::ensure_site(&admin, "Soak Water", "Plant 1").await.map_err(|e| e.to_string())?;
            Ok::<_, String>((admin, site))
        })?;
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        Ok(Centre { cluster, admin, site, template: setup.template.clone(), dir })
    }

    async fn activity(&self, console: uuid::Uuid) -> Vec<(i64, String)> {
        sqlx::query_as("SELECT seq, hash FROM central.activity_log WHERE console_id = $1 ORDER BY seq")
            .bind(console)
            .fetch_all(&self.admin)
            .await
            .unwrap()
    }

    async fn count(&self, table: &str, console: uuid::Uuid) -> (i64, i64) {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT count(*), count(DISTINCT id) FROM central.{table} WHERE console_id = $1"
        )))
        .bind(console)
        .fetch_one(&self.admin)
        .await
        .unwrap()
    }
}

fn local(db: &Path) -> (Vec<(i64, String)>, [i64; 3]) {
    let c = rusqlite::Connection::open(db).unwrap();
    let mut s = c.prepare("SELECT seq, hash FROM activity_log ORDER BY seq").unwrap();
    let log = s.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect();
    let n = |t: &str| c.query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get::<_, i64>(0)).unwrap();
    (log, [n("request_metrics"), n("connection_status_history"), n("point_history")])
}

/// One sync round; answers what it saw and what failed.
pub fn run(setup: &Setup, centre: &Centre, round: u64, rng: &mut StdRng) -> (SyncObserved, Vec<String>) {
    let mut failures = Vec::new();
    let mut obs = SyncObserved::default();
    let data = centre.dir.path().join(format!("round-{round}"));
    std::fs::create_dir_all(&data).unwrap();
    std::fs::copy(&centre.template, data.join("zeroclient.db")).unwrap();
    if let Err(e) = backlog(&data.join("zeroclient.db")) {
        return (obs, vec![format!("the backlog: {e}")]);
    }
    let made = setup.rt.block_on(zc_central::provision::provision_console(
        &centre.admin,
        centre.site,
        &format!("soak console {round}"),
    ));
    let made = match made {
        Ok(m) => m,
        Err(e) => return (obs, vec![format!("provision: {e}")]),
    };
    let file = data.join("console.json");
    let handover = serde_json::json!({
        "url": format!("postgres://127.0.0.1:{}/zc", centre.cluster.port()),
        "login": made.login,
        "password": made.password.expose(),
        "console_id": made.console_id.to_string(),
        "organisation": "Soak Water",
        "site": "Plant 1",
    });
    // The handover holds the login's password: only its owner reads it, as `zc central
    // provision` writes it (the soak runs on Linux only).
    {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&file).unwrap();
        f.write_all(handover.to_string().as_bytes()).unwrap();
    }
    let out = zc(setup, &data, &["central", "connect", "--from", &file.display().to_string()], None);
    let _ = std::fs::remove_file(&file);
    if !out.status.success() {
        return (obs, vec![format!("zc central connect: {}", String::from_utf8_lossy(&out.stderr))]);
    }
    let started = Instant::now();
    // Interruptions at moments drawn from the round's seed: SIGKILL, or (with the fault
    // library) the disk filling up; each run resumes where the last stopped, so they land further
    // along each time (connections, the log, the series, the marks after the centre's commit).
    for n in 0..rng.random_range(3..=6u32) {
        let delay = Duration::from_millis(rng.random_range(30..2500));
        let disk_full = setup.faultfs.is_some() && rng.random_bool(0.5);
        let mut c = Command::new(&setup.zc);
        c.arg("--data-dir").arg(&data).args(["sync", "now"]).env_remove("ZC_LOG").stdout(Stdio::null());
        if !disk_full {
            let mut child = c.stderr(Stdio::null()).spawn().expect("start zc sync now");
            std::thread::sleep(delay);
            let running = child.try_wait().ok().flatten().is_none();
            unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
            let _ = child.wait();
            obs.kills += 1;
            obs.kills_mid_push += u32::from(running);
            continue;
        }
        // Every write to the database fails as on a full disk (the first one short), from the
        // moment the arm file appears until the process ends.
        let arm = data.join(format!("arm-{n}"));
        let lib = setup.faultfs.as_ref().expect("checked above");
        let mut child = c
            .env("LD_PRELOAD", lib)
            .env("ZC_FAULTFS", "shortx1000000")
            .env("ZC_FAULTFS_ARM", &arm)
            .stderr(Stdio::piped())
            .spawn()
            .expect("start zc sync now");
        std::thread::sleep(delay);
        // A run already over when the disk would fill saw no full disk: not counted as one.
        let filled = child.try_wait().ok().flatten().is_none();
        std::fs::write(&arm, b"").unwrap();
        let out = child.wait_with_output().expect("zc sync now");
        let _ = std::fs::remove_file(&arm);
        let stderr = String::from_utf8_lossy(&out.stderr);
        match out.status.code() {
            Some(0) => {}
            Some(1) if stderr.lines().any(|l| l.starts_with("error[disk_full]: ")) => obs.disk_full_mid_push += 1,
            _ => failures.push(format!("`zc sync now` on a full disk: {:?}: {}", out.status, stderr.trim())),
        }
        obs.disk_fulls += u32::from(filled);
    }
    let out = zc(setup, &data, &["sync", "now", "--format", "json"], None);
    obs.drain_ms = started.elapsed().as_millis() as u64;
    if !out.status.success() {
        failures.push(format!("the last `zc sync now` failed: {}", String::from_utf8_lossy(&out.stderr)));
    }
    let (log, counts) = local(&data.join("zeroclient.db"));
    match rusqlite::Connection::open(data.join("zeroclient.db"))
        .and_then(|c| c.query_row("PRAGMA integrity_check", [], |r| r.get::<_, String>(0)))
    {
        Ok(ok) if ok == "ok" => {}
        other => failures.push(format!("the console's database after the round: {other:?}")),
    }
    let console = made.console_id;
    setup.rt.block_on(async {
        let centre_log = centre.activity(console).await;
        if centre_log != log {
            let missing: Vec<i64> = log.iter().filter(|e| !centre_log.contains(e)).map(|e| e.0).collect();
            // Which entries, by action: the first thing a replay needs to know.
            let c = rusqlite::Connection::open(data.join("zeroclient.db")).unwrap();
            let actions: Vec<String> = missing
                .iter()
                .take(5)
                .map(|seq| {
                    c.query_row("SELECT action FROM activity_log WHERE seq = ?1", [seq], |r| r.get::<_, String>(0))
                        .map(|a| format!("{seq} {a}"))
                        .unwrap_or_else(|e| format!("{seq} ({e})"))
                })
                .collect();
            failures.push(format!(
                "activity log: {} entries here, {} at the centre, {} missing or different ({})",
                log.len(),
                centre_log.len(),
                missing.len(),
                actions.join(", ")
            ));
        }
        // In order: the centre committed each entry no earlier than the one it follows. Commit
        // order, not `received_at`: that is when the entry's transaction began, and a pipelined
        // batch's transaction may begin before its predecessor's (it checks its rows, then waits
        // for the predecessor's chain lock), so `received_at` can run backwards across a batch
        // boundary while the chain is taken strictly in order.
        let rows: Vec<(i64, bool, bool)> = sqlx::query_as(
            "SELECT seq, coalesce(t < lag(t) OVER (ORDER BY seq), false), coalesce(r < lag(r) OVER (ORDER BY seq), false) \
             FROM (SELECT seq, pg_xact_commit_timestamp(xmin) AS t, received_at AS r \
                   FROM central.activity_log WHERE console_id = $1) s",
        )
        .bind(console)
        .fetch_all(&centre.admin)
        .await
        .unwrap();
        let unordered: Vec<i64> = rows.iter().filter(|r| r.1).map(|r| r.0).collect();
        if !unordered.is_empty() {
            failures.push(format!(
                "{} activity entries were committed at the centre before the one they follow (first: {:?})",
                unordered.len(),
                &unordered[..unordered.len().min(5)]
            ));
        }
        obs.began_before_predecessor += rows.iter().filter(|r| r.2).count() as u32;
        for (table, here) in ["request_metrics", "status_history", "point_history"].into_iter().zip(counts) {
            let (rows, distinct) = centre.count(table, console).await;
            if (rows, distinct) != (here, here) {
                failures.push(format!("{table}: {here} here, {rows} at the centre ({distinct} distinct)"));
            }
            obs.rows += rows;
        }
    });
    obs.rows += log.len() as i64;
    let _ = std::fs::remove_dir_all(&data);
    (obs, failures)
}
