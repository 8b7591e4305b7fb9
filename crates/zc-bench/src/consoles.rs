//! Many consoles pushing to one central server at once: at what load (consoles × activity
//! entries per second each) does the age of the oldest entry still waiting stop being bounded?
//!
//! Each simulated console has its own login and connection, as a real one does, and keeps its
//! log the way the console does (every entry hashed and linked), in memory: the consoles share
//! this machine's two cores with the server, and a SQLite file each would measure the consoles'
//! disks, not the centre. They record at their rate and push on the desktop's schedule
//! (`zc_app::SYNC_EVERY`: everything waiting, in batches of `zc_sync::activity::BATCH`,
//! then wait for the next tick), each starting at its own phase of the tick.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use zc_central::activity::ActivityRow;
use zc_domain::activity::{ActivityEntry, EntryContent, GENESIS_HASH, entry_hash};

/// One console's log: what was recorded and not yet at the centre, with when it was recorded.
struct Log {
    seq: i64,
    prev: String,
    waiting: std::collections::VecDeque<(Instant, ActivityRow)>,
}

impl Log {
    /// Records the entries due by `now` at `rate` a second since `start`, each stamped with the
    /// moment it was due (so its age counts from when the console would have written it).
    fn record_until(&mut self, start: Instant, rate: f64, now: Instant) {
        let due = (now.duration_since(start).as_secs_f64() * rate) as i64;
        while self.seq < due {
            self.seq += 1;
            let seq = self.seq;
            // One in ten an acknowledgement (filed in the site's alarm journal too).
            let (action, resource) =
                if seq % 10 == 0 { ("alarm.ack", "alarm/7") } else { ("connection.status", "connection/7") };
            let metadata = format!(r#"{{"status":"online","latency_ms":{},"n":{seq}}}"#, 20 + seq % 40);
            let at_ms = 1_800_000_000_000 + seq;
            let content = EntryContent {
                seq,
                at_ms,
                actor: "user:operator",
                device_id: None,
                action,
                resource,
                metadata: &metadata,
            };
            let hash = entry_hash(&self.prev, &content);
            let entry = ActivityEntry {
                seq,
                at_ms,
                actor: content.actor.into(),
                device_id: None,
                action: action.into(),
                resource: resource.into(),
                metadata,
                prev_hash: std::mem::replace(&mut self.prev, hash.clone()),
                hash,
            };
            let when = start + Duration::from_secs_f64(seq as f64 / rate);
            self.waiting.push_back((when, ActivityRow { id: uuid::Uuid::now_v7(), entry }));
        }
    }
}

#[derive(Default)]
struct Observed {
    /// (seconds since the start, age in seconds of the console's oldest waiting entry), at
    /// the start of every sync round of every console.
    ages: Vec<(f64, f64)>,
    accepted: u64,
    calls: u64,
    failures: u64,
}

struct Level {
    via: Via,
    consoles: usize,
    rate: f64,
    middle_third: f64,
    last_third: f64,
    backlog: usize,
    accepted: u64,
    calls: u64,
    failures: u64,
    secs: f64,
}

/// How the consoles reach the server.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Via {
    /// Each console its own connection to the server, as without a pooler.
    Direct,
    /// Through PgBouncer in transaction mode, holding the server to this many connections in all
    /// (one at a time per console login, as a console pushes one batch at a time).
    Pooler(u32),
}

impl Via {
    fn label(self) -> String {
        match self {
            Via::Direct => "direct".into(),
            Via::Pooler(n) => format!("PgBouncer, {n} server connections"),
        }
    }
}

async fn run_level(
    centre: &crate::central::Centre,
    site: uuid::Uuid,
    consoles: usize,
    rate: f64,
    secs: f64,
    via: Via,
) -> Level {
    let pooler = match via {
        Via::Direct => None,
        Via::Pooler(in_all) => Some(
            zc_central::pooler::Pooler::start(
                &centre.cluster,
                "zc",
                zc_central::pooler::PoolerLimits { per_login: 1, in_all, round_robin: false },
            )
            .expect("a throwaway PgBouncer (pgbouncer installed?)"),
        ),
    };
    let url = match &pooler {
        Some(p) => format!("postgres://127.0.0.1:{}/zc", p.port()),
        None => centre.url.clone(),
    };
    let mut pools = Vec::new();
    for i in 0..consoles {
        let login =
            zc_central::provision::provision_console(&centre.admin, site, &format!("Console {i}")).await.unwrap();
        let pool = zc_central::console_pool(&url, &login.login, &login.password).unwrap();
        pools.push(pool);
    }
    let observed = Arc::new(Mutex::new(Observed::default()));
    let start = Instant::now();
    let end = start + Duration::from_secs_f64(secs);
    let every = zc_app::SYNC_EVERY;
    let mut tasks = Vec::new();
    let mut backlogs = Vec::new();
    for (i, pool) in pools.iter().cloned().enumerate() {
        let observed = observed.clone();
        let phase = every.mul_f64(i as f64 / consoles as f64);
        let (tx, rx) = tokio::sync::oneshot::channel();
        backlogs.push(rx);
        tasks.push(tokio::spawn(async move {
            let mut log = Log { seq: 0, prev: GENESIS_HASH.to_string(), waiting: Default::default() };
            let mut tick = start + phase;
            // Pacing the load, not synchronising anything: a console pushes when its tick comes.
            while tick < end {
                tokio::time::sleep_until(tick.into()).await;
                let now = Instant::now();
                log.record_until(start, rate, now);
                if let Some((when, _)) = log.waiting.front() {
                    observed
                        .lock()
                        .unwrap()
                        .ages
                        .push((now.duration_since(start).as_secs_f64(), now.duration_since(*when).as_secs_f64()));
                }
                // Everything waiting at the round's start, a batch at a time.
                while !log.waiting.is_empty() && Instant::now() < end {
                    let n = log.waiting.len().min(zc_sync::activity::BATCH as usize);
                    let rows: Vec<ActivityRow> = log.waiting.iter().take(n).map(|(_, r)| r.clone()).collect();
                    match zc_central::activity::push(&pool, &rows).await {
                        Ok(out) if out.rejected.is_none() => {
                            let head = out.head_seq;
                            let before = log.waiting.len();
                            log.waiting.retain(|(_, r)| r.entry.seq > head);
                            let mut o = observed.lock().unwrap();
                            o.accepted += (before - log.waiting.len()) as u64;
                            o.calls += 1;
                        }
                        other => {
                            let mut o = observed.lock().unwrap();
                            o.failures += 1;
                            if o.failures == 1 {
                                eprintln!("a push failed: {other:?}");
                            }
                            break;
                        }
                    }
                }
                tick += every;
            }
            log.record_until(start, rate, end);
            let _ = tx.send(log.waiting.len());
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let mut backlog = 0;
    for rx in backlogs {
        backlog += rx.await.unwrap();
    }
    for p in pools {
        p.close().await;
    }
    drop(pooler);
    let o = observed.lock().unwrap();
    let third = |lo: f64, hi: f64| {
        o.ages.iter().filter(|(t, _)| *t >= lo * secs && *t < hi * secs).map(|(_, a)| *a).fold(0.0, f64::max)
    };
    Level {
        via,
        consoles,
        rate,
        middle_third: third(1.0 / 3.0, 2.0 / 3.0),
        last_third: third(2.0 / 3.0, 1.0),
        backlog,
        accepted: o.accepted,
        calls: o.calls,
        failures: o.failures,
        secs,
    }
}

/// `levels`: (consoles, entries a second each); empty for the standard ones, each run direct,
/// then the ones about the knee direct and through PgBouncer side by side. `via`: how custom
/// levels connect.
pub async fn bench_consoles(quick: bool, levels: &[(usize, f64)], via: &[Via]) {
    let secs = if quick { 12.0 } else { 45.0 };
    println!(
        "\n## 12. Many consoles pushing to one central server (loopback PostgreSQL 15, {secs:.0} s a level, a push round every {} s)",
        zc_app::SYNC_EVERY.as_secs()
    );
    if !levels.is_empty() {
        let via = if via.is_empty() { &[Via::Direct][..] } else { via };
        let runs: Vec<(usize, f64, Via)> =
            levels.iter().flat_map(|&(c, r)| via.iter().map(move |&v| (c, r, v))).collect();
        table(&runs, secs).await;
        return;
    }
    let standard: &[(usize, f64)] = if quick {
        &[(10, 100.0), (10, 2000.0)]
    } else {
        &[(10, 500.0), (50, 100.0), (50, 400.0), (150, 100.0), (50, 800.0), (150, 300.0), (50, 1600.0), (150, 600.0)]
    };
    table(&standard.iter().map(|&(c, r)| (c, r, Via::Direct)).collect::<Vec<_>>(), secs).await;
    // Direct and through PgBouncer side by side in one run: the same offered load from more
    // consoles about the knee, and more consoles than the server takes connections (its
    // max_connections is 200; a console holds up to two).
    let pooled: &[(usize, f64, Via)] = if quick {
        &[(20, 500.0, Via::Direct), (20, 500.0, Via::Pooler(4))]
    } else {
        &[
            (50, 1700.0, Via::Direct),
            (50, 1700.0, Via::Pooler(8)),
            (200, 425.0, Via::Direct),
            (200, 425.0, Via::Pooler(8)),
            (300, 100.0, Via::Direct),
            (300, 100.0, Via::Pooler(16)),
            (300, 100.0, Via::Pooler(150)),
        ]
    };
    println!("\nThrough PgBouncer (transaction mode, a pool per console login):\n");
    table(pooled, secs).await;
}

async fn table(runs: &[(usize, f64, Via)], secs: f64) {
    println!(
        "| consoles | entries/s each | via | offered/s | stored/s | calls/s | oldest waiting, middle third | last third | left waiting at the end | bounded |"
    );
    println!("|---:|---:|---|---:|---:|---:|---:|---:|---:|---|");
    for &(consoles, rate, via) in runs {
        // A fresh server for each level, so one level's tables do not slow the next.
        let centre = crate::central::centre().await;
        let org = zc_central::provision::create_organisation(&centre.admin, "North").await.unwrap();
        let site = zc_central::provision::create_site(&centre.admin, org, "Plant 3").await.unwrap();
        let l = run_level(&centre, site, consoles, rate, secs, via).await;
        let offered = l.consoles as f64 * l.rate;
        // Bounded: the oldest waiting entry is no older in the last third than in the middle one
        // (the first is the consoles starting up), with one push period of slack, and what is
        // left at the end is less than two periods' worth.
        let period = zc_app::SYNC_EVERY.as_secs_f64();
        let bounded =
            l.failures == 0 && l.last_third <= l.middle_third + period && (l.backlog as f64) < 2.0 * period * offered;
        println!(
            "| {} | {:.0} | {} | {:.0} | {:.0} | {:.0} | {:.1} s | {:.1} s | {} | {} |",
            l.consoles,
            l.rate,
            l.via.label(),
            offered,
            l.accepted as f64 / l.secs,
            l.calls as f64 / l.secs,
            l.middle_third,
            l.last_third,
            l.backlog,
            if bounded {
                "yes"
            } else if l.failures > 0 {
                "no (pushes failed)"
            } else {
                "**no**"
            }
        );
    }
}
