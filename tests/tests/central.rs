//! Issue 9, through the real `zc`: the central store set up with `zc central migrate` and
//! `provision`, a console connected with `zc central connect`, its activity log pushed by
//! `zc sync now` and by a running monitor, the queue visible in `zc sync status`, an outage of
//! the centre survived, and the login's password kept out of everything but the keyring.

use sqlx::PgPool;
use zc_central::cluster::Cluster;
use zc_e2e::{Env, contains, files_below};

struct Centre {
    cluster: Cluster,
    admin: PgPool,
}

impl Centre {
    async fn start() -> Centre {
        let cluster = Cluster::start().expect("throwaway PostgreSQL");
        let postgres = PgPool::connect(&cluster.superuser_url("postgres")).await.unwrap();
        sqlx::query("CREATE DATABASE zc").execute(&postgres).await.unwrap();
        postgres.close().await;
        let admin = PgPool::connect(&cluster.superuser_url("zc")).await.unwrap();
        Centre { cluster, admin }
    }
    /// The schema owner's URL as `zc central migrate|provision` take it (password on stdin).
    fn owner_url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/zc", self.cluster.port())
    }
    fn password(&self) -> &'static [u8] {
        b"zc-throwaway\n"
    }
    async fn activity(&self, console: &str) -> Vec<(i64, String)> {
        sqlx::query_as("SELECT seq, hash FROM central.activity_log WHERE console_id = $1::uuid ORDER BY seq")
            .bind(console)
            .fetch_all(&self.admin)
            .await
            .unwrap()
    }
}

/// The activity log's stream in `zc sync status --format json`.
fn activity(status: &serde_json::Value) -> &serde_json::Value {
    stream(status, "activity_log")
}
fn stream<'a>(status: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    status["streams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["stream"] == name)
        .unwrap_or_else(|| panic!("no {name}: {status}"))
}

fn local_activity(env: &Env) -> Vec<(i64, String)> {
    let c = rusqlite::Connection::open(env.db()).unwrap();
    let mut s = c.prepare("SELECT seq, hash FROM activity_log ORDER BY seq").unwrap();
    s.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect()
}

/// Migrates the centre, provisions a console into `file`, connects `env` to it; answers the
/// console's id and the login's password (read from the file, as an admin would hand it over).
fn set_up(centre: &Centre, env: &Env) -> (String, String) {
    let owner = centre.owner_url();
    let m = env.run_with(&["central", "migrate", &owner, "--format", "json"], centre.password(), &[]);
    assert_eq!(m.code, 0, "{}", m.stderr);
    let applied: serde_json::Value = serde_json::from_str(&m.stdout).unwrap();
    assert_eq!(applied["applied"], zc_central::schema::MIGRATOR.iter().count());
    // Again: nothing left to apply.
    let again = env.run_with(&["central", "migrate", &owner, "--format", "json"], centre.password(), &[]);
    assert_eq!(serde_json::from_str::<serde_json::Value>(&again.stdout).unwrap()["applied"], 0);
    let file = env.dir.path().join("console.json");
    let file_s = file.display().to_string();
    let p = env.run_with(
        &[
            "central",
            "provision",
            &owner,
            "--organisation",
            "North Water",
            "--site",
            "Plant 3",
            "--console",
            "Control room 1",
            "--out",
            &file_s,
        ],
        centre.password(),
        &[],
    );
    assert_eq!(p.code, 0, "{}", p.stderr);
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600, "only its owner reads it");
    let made: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    // A second provisioning to the same file is refused before anything is made.
    let twice = env.run_with(
        &[
            "central",
            "provision",
            &owner,
            "--organisation",
            "North Water",
            "--site",
            "Plant 3",
            "--console",
            "Other",
            "--out",
            &file_s,
        ],
        centre.password(),
        &[],
    );
    assert_ne!(twice.code, 0);
    assert!(twice.stderr.contains("exists"), "{}", twice.stderr);
    let c = env.run(&["central", "connect", "--from", &file_s, "--format", "json"]);
    assert_eq!(c.code, 0, "{}", c.stderr);
    std::fs::remove_file(&file).unwrap();
    (made["console_id"].as_str().unwrap().to_string(), made["password"].as_str().unwrap().to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connected_console_pushes_its_log_once_and_in_order_through_an_outage() {
    let centre = Centre::start().await;
    let env = Env::new();
    // Work done before the console was ever connected waits in its log.
    env.ok(&["connection", "add", "pump-1", "--url", "http://127.0.0.1:9"]);
    let (console, password) = set_up(&centre, &env);
    let status = env.json(&["sync", "status"]);
    assert_eq!(status["console_id"], console.as_str());
    assert!(!status["central"].as_str().unwrap().contains(&password));
    let pending = activity(&status)["pending"].as_i64().unwrap();
    assert!(pending >= 3, "the init, the sign-in, the connection and the connect wait: {status}");
    assert!(activity(&status)["oldest_pending_at"].is_i64());

    let now = env.json(&["sync", "now"]);
    assert_eq!(now["outcome"], "drained");
    assert_eq!(centre.activity(&console).await, local_activity(&env), "the same entries, in order");
    let status = env.json(&["sync", "status"]);
    assert_eq!(activity(&status)["pending"], 0);
    assert!(activity(&status)["last_success_at"].is_i64());

    // The centre goes away; work goes on; the push fails clearly and nothing is marked.
    centre.cluster.stop().unwrap();
    env.ok(&["connection", "add", "pump-2", "--url", "http://127.0.0.1:9"]);
    let down = env.run(&["sync", "now"]);
    assert_eq!(down.code, 1);
    assert!(
        down.stderr.contains("error[central_unreachable]") && down.stderr.contains("could not be reached"),
        "{}",
        down.stderr
    );
    let status = env.json(&["sync", "status"]);
    assert_eq!(activity(&status)["failures"], 1);
    assert_eq!(activity(&status)["pending"], 1, "the new connection's entry waits: {status}");
    assert!(activity(&status)["next_attempt_at"].is_i64());
    // Back: the queue drains completely, and nothing arrives twice.
    centre.cluster.restart().unwrap();
    let admin = PgPool::connect(&centre.cluster.superuser_url("zc")).await.unwrap();
    let centre = Centre { cluster: centre.cluster, admin };
    assert_eq!(env.json(&["sync", "now"])["outcome"], "drained");
    assert_eq!(centre.activity(&console).await, local_activity(&env));
    let status = env.json(&["sync", "status"]);
    assert_eq!(activity(&status)["failures"], 0);
    // The connections went too, the one added during the outage as well; nothing waits.
    let names: Vec<(String,)> =
        sqlx::query_as("SELECT name FROM central.connections ORDER BY name").fetch_all(&centre.admin).await.unwrap();
    assert_eq!(names, vec![("pump-1".to_string(),), ("pump-2".to_string(),)]);
    for s in ["connections", "activity_log", "status_history", "request_metrics", "point_history"] {
        assert_eq!(stream(&status, s)["pending"], 0, "{s}: {status}");
    }

    // The login's password is in the keyring only: not in the database, the logs, or anything
    // zc printed after the handover.
    let needle = password.as_bytes();
    for (path, bytes) in files_below(&env.data_dir()) {
        assert!(!contains(&bytes, needle), "the central password is in {}", path.display());
    }
    assert!(
        !contains(&env.transcript.borrow(), needle) || {
            // `zc central provision` wrote it only to its file; the transcript holds stdout of the
            // commands, which never print it.
            false
        }
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_monitor_pushes_without_being_asked() {
    let centre = Centre::start().await;
    let env = Env::new();
    let (console, _) = set_up(&centre, &env);
    let (child, mut out) = env.spawn_monitor(&[]);
    // The start line comes after the monitor's start entry is written; the monitor's sync loop
    // makes its first look before it can notice a stop, so even a monitor stopped right away
    // has pushed what was pending at its start (no waiting on time here).
    let mut t = Vec::new();
    zc_e2e::wait_for_line(&mut out, "monitoring ", &mut t);
    drop(out);
    let (code, _) = zc_e2e::stop(child);
    assert_eq!(code, 0);
    let rows: Vec<(String,)> = sqlx::query_as("SELECT action FROM central.activity_log WHERE console_id = $1::uuid")
        .bind(&console)
        .fetch_all(&centre.admin)
        .await
        .unwrap();
    let seen: Vec<String> = rows.into_iter().map(|r| r.0).collect();
    assert!(seen.iter().any(|a| a == "monitor.start"), "the monitor pushed its start: {seen:?}");
    assert!(seen.iter().any(|a| a == "central.connect"), "and what came before: {seen:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_connection_details_are_refused_clearly_and_change_nothing() {
    let centre = Centre::start().await;
    let env = Env::new();
    let owner = centre.owner_url();
    assert_eq!(env.run_with(&["central", "migrate", &owner], centre.password(), &[]).code, 0);
    let url = format!("postgres://127.0.0.1:{}/zc", centre.cluster.port());
    // A password in the URL is refused and not echoed.
    let r = env.run(&[
        "central",
        "connect",
        &format!("postgres://x:hunter22@127.0.0.1:{}/zc", centre.cluster.port()),
        "--login",
        "x",
    ]);
    assert!(r.stderr.contains("error[invalid_url]") && !r.stderr.contains("hunter22"), "{}", r.stderr);
    // A login the centre does not know.
    let r = env.run_with(&["central", "connect", &url, "--login", "nobody"], b"wrong\n", &[]);
    assert!(r.stderr.contains("error[central_refused]"), "{}", r.stderr);
    // Nothing listening there.
    let r = env.run_with(&["central", "connect", "postgres://127.0.0.1:9/zc", "--login", "x"], b"pw\n", &[]);
    assert!(
        r.stderr.contains("error[central_unreachable]") && r.stderr.contains("nothing was changed"),
        "{}",
        r.stderr
    );
    let status = env.json(&["sync", "status"]);
    assert!(status["central"].is_null(), "still not connected: {status}");
    // Not connected: `zc sync now` says how to connect.
    let r = env.run(&["sync", "now"]);
    assert!(r.stderr.contains("error[not_connected]") && r.stderr.contains("zc central connect"), "{}", r.stderr);
}
