//! Central sync: draining an offline console's activity backlog to the central store, against
//! COPY of the same rows into the same table in the same run (the fastest way PostgreSQL takes
//! rows, with none of the pusher's checks).

use crate::{audit, median};
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use std::sync::Arc;
use std::time::Instant;
use zc_central::cluster::Cluster;
use zc_domain::SystemClock;
use zc_domain::activity::{EntryContent, entry_hash};
use zc_store::Store;

pub(crate) struct Centre {
    pub(crate) cluster: Cluster,
    pub(crate) admin: PgPool,
    pub(crate) url: String,
}

pub(crate) async fn centre() -> Centre {
    let cluster = Cluster::start().expect("a throwaway PostgreSQL (postgresql-15 installed?)");
    let postgres = PgPool::connect(&cluster.superuser_url("postgres")).await.unwrap();
    sqlx::query("CREATE DATABASE zc").execute(&postgres).await.unwrap();
    postgres.close().await;
    let admin = PgPoolOptions::new().max_connections(2).connect(&cluster.superuser_url("zc")).await.unwrap();
    zc_central::schema::migrate(&admin).await.unwrap();
    let url = format!("postgres://127.0.0.1:{}/zc", cluster.port());
    Centre { cluster, admin, url }
}

/// Appends `n` entries to the store's chain in one transaction, as a console offline for a long
/// time would have them (each hashed and linked exactly as `Store::record_activity` does).
fn backlog(store: &Store, n: i64) {
    let mut c = crate::rusqlite_open(store.path());
    let tx = c.transaction().unwrap();
    let (mut seq, mut prev): (i64, String) = tx
        .query_row(
            "SELECT c.head_seq, COALESCE((SELECT hash FROM activity_log WHERE seq = c.head_seq), c.anchor_hash) \
             FROM activity_log_chain c WHERE c.id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let t0 = 1_800_000_000_000i64;
    {
        let mut ins = tx
            .prepare(
                "INSERT INTO activity_log (seq, at, actor, device_id, action, resource, metadata, prev_hash, hash, global_id, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, NULL, ?4, ?5, ?6, ?7, ?8, ?9, ?2, ?2)",
            )
            .unwrap();
        for i in 0..n {
            seq += 1;
            let at = t0 + i * 1000;
            let resource = format!("alarm/{}", i % 300);
            let metadata = format!(
                r#"{{"alarm":{{"kind":"offline","connection_id":{},"occurrence":{i}}},"comment":null}}"#,
                i % 300
            );
            let content = EntryContent {
                seq,
                at_ms: at,
                actor: "operator-7",
                device_id: None,
                action: "alarm.ack",
                resource: &resource,
                metadata: &metadata,
            };
            let hash = entry_hash(&prev, &content);
            let ts = uuid::Timestamp::from_unix(uuid::NoContext, (at / 1000) as u64, ((at % 1000) * 1_000_000) as u32);
            let id = uuid::Uuid::new_v7(ts).to_string();
            ins.execute(rusqlite::params![seq, at, "operator-7", "alarm.ack", resource, metadata, prev, hash, id])
                .unwrap();
            prev = hash;
        }
    }
    tx.execute("UPDATE activity_log_chain SET head_seq = ?1 WHERE id = 1", [seq]).unwrap();
    tx.commit().unwrap();
}

/// The baseline: the console's unpushed entries as one COPY into `central.activity_log`, as the
/// schema's owner (no policy, no check, no trigger work beyond the table's own).
async fn copy_baseline(store: &Store, c: &Centre, console: uuid::Uuid, org: uuid::Uuid, site: uuid::Uuid) -> f64 {
    let pending = store.unpushed_activity(i64::MAX).await.unwrap();
    let mut data = String::with_capacity(pending.len() * 400);
    let esc = |s: &str| s.replace('\\', "\\\\").replace('\t', "\\t").replace('\n', "\\n");
    for p in &pending {
        let e = &p.entry;
        data.push_str(&format!(
            "{}\t{org}\t{site}\t{console}\t{}\t{}\t{}\t\\N\t{}\t{}\t{}\t{}\t{}\n",
            p.global_id,
            e.seq,
            e.at_ms,
            esc(&e.actor),
            esc(&e.action),
            esc(&e.resource),
            esc(&e.metadata),
            e.prev_hash,
            e.hash
        ));
    }
    let mut conn = c.admin.acquire().await.unwrap();
    sqlx::query("DELETE FROM central.activity_log WHERE console_id = $1")
        .bind(console)
        .execute(&mut *conn)
        .await
        .unwrap();
    let t = Instant::now();
    let mut copy = conn
        .copy_in_raw(
            "COPY central.activity_log (id, organisation_id, site_id, console_id, seq, at_ms, actor, device_id, action, \
             resource, metadata, prev_hash, hash) FROM STDIN",
        )
        .await
        .unwrap();
    copy.send(data.as_bytes()).await.unwrap();
    let rows = copy.finish().await.unwrap();
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(rows as usize, pending.len());
    sqlx::query("DELETE FROM central.activity_log WHERE console_id = $1")
        .bind(console)
        .execute(&mut *conn)
        .await
        .unwrap();
    secs
}

/// Rounds, each a fresh centre with the baseline and the pusher one after the other: the
/// machine's noise moves both, so the ratio is taken within each round.
const ROUNDS: usize = 5;

pub async fn bench_drain(n: i64) {
    println!("\n## 10. Draining {n} activity entries to the central store (loopback PostgreSQL 15)");
    let mut ours = Vec::new();
    let mut base = Vec::new();
    for round in 0..ROUNDS {
        let c = centre().await;
        let org = zc_central::provision::create_organisation(&c.admin, "North").await.unwrap();
        let site = zc_central::provision::create_site(&c.admin, org, "Plant 3").await.unwrap();
        let login = zc_central::provision::provision_console(&c.admin, site, "Control room 1").await.unwrap();
        let pool = zc_central::console_pool(&c.url, &login.login, &login.password).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), Arc::new(SystemClock)).await.unwrap();
        store.record_activity(&audit(), "bench.start", "bench", serde_json::json!({})).await.unwrap();
        backlog(&store, n);
        let total = store.activity_sync_status().await.unwrap().pending;
        // The baseline first, on the same server, then the pusher from an empty centre.
        base.push(copy_baseline(&store, &c, login.console_id, org, site).await);
        let t = Instant::now();
        let r = zc_sync::activity::push(&store, &pool).await.unwrap();
        let secs = t.elapsed().as_secs_f64();
        assert_eq!(r.finish, zc_sync::Finish::Drained, "{r:?}");
        assert_eq!(r.accepted as i64, total, "every entry once");
        assert_eq!(store.activity_sync_status().await.unwrap().pending, 0);
        ours.push(secs);
        println!(
            "round {round}: pusher {secs:.2} s ({} calls), COPY {:.2} s, ratio {:.2}x",
            r.batches,
            base[round],
            base[round] / secs
        );
        pool.close().await;
        store.close().await;
    }
    let ratios: Vec<f64> = base.iter().zip(&ours).map(|(b, o)| b / o).collect();
    let (lo, hi) = ratios.iter().fold((f64::MAX, f64::MIN), |(lo, hi), r| (lo.min(*r), hi.max(*r)));
    let ratio = median(ratios);
    let (o, b) = (median(ours), median(base));
    println!("| | median of {ROUNDS} | entries/s |");
    println!("|---|---|---|");
    println!(
        "| pusher (`zc_sync::activity::push`, {} per call, chain re-checked) | {o:.2} s | {:.0} |",
        zc_sync::activity::BATCH,
        n as f64 / o
    );
    println!("| COPY of the same rows (owner, no checks) | {b:.2} s | {:.0} |", n as f64 / b);
    println!(
        "ratio (COPY time / pusher time, paired per round; target >= 0.7): median {ratio:.2}x, range {lo:.2}x-{hi:.2}x"
    );
}
