//! Issue 9, through the real `zc`: the central store set up with `zc central migrate` and
//! `provision`, a console connected with `zc central connect`, its activity log pushed by
//! `zc sync now` and by a running monitor, the queue visible in `zc sync status`, an outage of
//! the centre survived, and the login's password kept out of everything but the keyring.

use sqlx::PgPool;
use zc_e2e::centre::{Centre, connect_another, local_activity, set_up};
use zc_e2e::{Env, contains, files_below};
use zc_sim::{Simulator, StationScript};

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
    // Nor in the query, where the address SQLite keeps would carry it.
    let r = env.run(&[
        "central",
        "connect",
        &format!("postgres://127.0.0.1:{}/zc?sslmode=disable&password=hunter22", centre.cluster.port()),
        "--login",
        "x",
    ]);
    assert!(r.stderr.contains("error[invalid_url]") && r.stderr.contains("stdin"), "{}", r.stderr);
    assert!(!r.stderr.contains("hunter22"), "{}", r.stderr);
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removing_a_station_whose_history_never_reached_the_centre_asks_first() {
    let key = format!("central-key-{:x}", rand::random::<u64>());
    let scripts: Vec<_> = (0..2).map(|i| StationScript::new(&format!("st{i}"), &key)).collect();
    let sim = Simulator::start(scripts).await.unwrap();
    let centre = Centre::start().await;
    let env = Env::new();
    let (console, _) = set_up(&centre, &env);
    for (i, st) in sim.stations.iter().enumerate() {
        env.add_station(&format!("st{i}"), &st.url(), &key, "100ms", "3");
    }
    // The centre goes away while both stations are watched: their history waits on the console.
    centre.cluster.stop().unwrap();
    let (child, mut out) = env.spawn_monitor(&[]);
    let mut t = Vec::new();
    let online: Vec<String> = (0..2).map(|i| format!("st{i}  unknown -> online")).collect();
    zc_e2e::wait_for_lines(&mut out, &online, &mut t);
    drop(out);
    assert_eq!(zc_e2e::stop(child).0, 0);

    let refused = env.run(&["connection", "rm", "st0"]);
    assert_eq!(refused.code, 1);
    assert!(
        refused.stderr.contains("error[unpushed_history]")
            && refused.stderr.contains("nothing was removed")
            && refused.stderr.contains("--discard-unpushed"),
        "{}",
        refused.stderr
    );
    let names = |env: &Env| -> Vec<String> {
        env.json(&["connection", "list"])
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap().into())
            .collect()
    };
    assert_eq!(names(&env), ["st0", "st1"], "st0 is still there");
    let keys = env.json(&["key", "check", "st0"]);
    assert_eq!(keys["valid"], true, "and so is its key: {keys}");

    // Told what it costs, the engineer discards it; the count stays in the activity log.
    let gone = env.json(&["connection", "rm", "st0", "--discard-unpushed"]);
    assert_eq!(gone["removed"], "st0");
    let discarded = gone["discarded"]["request_metrics"].as_i64().unwrap();
    assert!(discarded >= 1, "{gone}");
    assert_eq!(names(&env), ["st1"]);

    // With the centre back, removing st1 pushes its history first and loses nothing.
    centre.cluster.restart().unwrap();
    let admin = PgPool::connect(&centre.cluster.superuser_url("zc")).await.unwrap();
    let local_st1: i64 = {
        let c = rusqlite::Connection::open(env.db()).unwrap();
        c.query_row(
            "SELECT count(*) FROM request_metrics m JOIN backend_connections c ON c.id = m.connection_id WHERE c.name = 'st1'",
            [],
            |r| r.get(0),
        )
        .unwrap()
    };
    let st1 = env.json(&["connection", "rm", "st1"]);
    assert_eq!(st1["discarded"]["request_metrics"], 0, "{st1}");
    let central_st1: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM central.request_metrics m JOIN central.connections c ON c.id = m.connection_id WHERE c.name = 'st1'",
    )
    .fetch_one(&admin)
    .await
    .unwrap();
    assert_eq!(central_st1, local_st1, "every metric of st1 reached the centre before it went");
    // The discard itself reaches the centre's copy of the log, with its count.
    assert_eq!(env.json(&["sync", "now"])["outcome"], "drained");
    let meta: String = sqlx::query_scalar(
        "SELECT metadata FROM central.activity_log WHERE console_id = $1::uuid AND action = 'connection.remove' AND resource = 'st0'",
    )
    .bind(&console)
    .fetch_one(&admin)
    .await
    .unwrap();
    let meta: serde_json::Value = serde_json::from_str(&meta).unwrap();
    assert_eq!(meta["unpushed_discarded"]["request_metrics"].as_i64(), Some(discarded), "{meta}");
}

/// Who checked the password of `user`'s newest sign-in on `env`: console, central or cached
/// (read from the database: the person signed in may not read the log).
fn last_sign_in_checked_by(env: &Env, user: &str) -> String {
    let c = rusqlite::Connection::open(env.db()).unwrap();
    let meta: String = c
        .query_row(
            "SELECT metadata FROM activity_log WHERE action = 'auth.sign_in' AND resource = ?1 ORDER BY seq DESC LIMIT 1",
            [user],
            |r| r.get(0),
        )
        .unwrap_or_else(|e| panic!("no sign-in of {user}: {e}"));
    let m: serde_json::Value = serde_json::from_str(&meta).unwrap();
    m["origin"]["checked_by"].as_str().unwrap_or_default().to_string()
}

/// Two consoles of one site, connected to `centre`.
fn two_consoles(centre: &Centre) -> (Env, Env) {
    let one = Env::new();
    set_up(centre, &one);
    let two = Env::new();
    connect_another(centre, &two, "Control room 2");
    (one, two)
}

fn login(env: &Env, user: &str, password: &str) -> zc_e2e::Run {
    env.run_with(&["login", user], format!("{password}\n").as_bytes(), &[])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn people_are_the_centres_a_sign_in_asks_it_first_and_a_disable_counts_everywhere() {
    let centre = Centre::start().await;
    let (one, two) = two_consoles(&centre);

    // An admin on console one adds Olga while the centre answers: her password goes there.
    let r = one.run_with(&["user", "add", "olga", "--role", "operator"], b"night shift phrase 1\n", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(one.json(&["sync", "now"])["outcome"], "drained");

    // Console two never saw her: the centre knows her and her password.
    let r = login(&two, "olga", "night shift phrase 1");
    assert_eq!(r.code, 0, "{}", r.stderr);
    let me = two.json(&["whoami"]);
    assert_eq!((&me["session"]["username"], &me["session"]["role"]), (&"olga".into(), &"operator".into()), "{me}");
    assert_eq!(last_sign_in_checked_by(&two, "olga"), "central");

    // The centre away: the hash console two kept lets her in, and the log says so.
    centre.cluster.stop().unwrap();
    let r = login(&two, "olga", "night shift phrase 1");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(last_sign_in_checked_by(&two, "olga"), "cached");
    centre.cluster.restart().unwrap();

    // Her password reset on console one: the old one no longer works on console two, although
    // the hash kept there would take it; the new one does.
    let r = one.run_with(&["user", "reset-password", "olga"], b"night shift phrase 2\n", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = login(&two, "olga", "night shift phrase 1");
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stderr.contains("username or password is wrong"), "{}", r.stderr);
    let r = login(&two, "olga", "night shift phrase 2");
    assert_eq!(r.code, 0, "{}", r.stderr);

    // Disabled on console one: at console two's next contact her session there ends.
    one.ok(&["user", "disable", "olga"]);
    assert_eq!(one.json(&["sync", "now"])["outcome"], "drained");
    assert_eq!(two.run(&["status"]).code, 0, "not before the contact");
    let synced = two.json(&["sync", "now"]);
    assert_eq!(synced["pulled"]["people"], 1, "{synced}");
    let r = two.run(&["status"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stderr.contains("error[signed_out]"), "{}", r.stderr);
    let r = login(&two, "olga", "night shift phrase 2");
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("disabled"), "{}", r.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_shared_to_the_sites_consoles_opens_only_there_and_never_in_the_clear() {
    let key = format!("sealed-key-{:x}", rand::random::<u64>());
    let sim = Simulator::start(vec![StationScript::new("north-1", &key)]).await.unwrap();
    let centre = Centre::start().await;
    let one = Env::new();
    set_up(&centre, &one);
    let two = Env::new();
    connect_another(&centre, &two, "Control room 2");
    let three = Env::new();
    connect_another(&centre, &three, "Control room 3");
    one.add_station("north-1", &sim.stations[0].url(), &key, "100ms", "3");

    // Nobody to share with until the others publish their keys, at their first sync.
    let r = one.run(&["key", "share", "north-1"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stderr.contains("no other console of this site") && r.stderr.contains("nothing was shared"),
        "{}",
        r.stderr
    );
    // The attempt pushed north-1: their first sync brings its definition, without a key.
    for env in [&two, &three] {
        let synced = env.json(&["sync", "now"]);
        assert_eq!((&synced["outcome"], &synced["pulled"]["connections"]), (&"drained".into(), &1.into()), "{synced}");
    }
    let r = two.run(&["key", "check", "north-1"]);
    assert_eq!(r.code, 1, "no key yet: {}", r.stdout);
    // Console three leaves the site before the key is shared.
    let three_id: uuid::Uuid = three.json(&["sync", "status"])["console_id"].as_str().unwrap().parse().unwrap();
    zc_central::provision::remove_console(&centre.admin, three_id).await.unwrap();

    let shared = one.json(&["key", "share", "north-1"]);
    assert_eq!(shared["consoles"], serde_json::json!(["Control room 2"]), "not to the removed console: {shared}");

    // At its next sync console two opens its box, straight into its keyring.
    let synced = two.json(&["sync", "now"]);
    assert_eq!(synced["outcome"], "drained", "{synced}");
    let waiting: Vec<_> = synced["status"]["streams"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["pending"] != 0)
        .map(|s| s["stream"].clone())
        .collect();
    assert!(waiting.is_empty(), "the sync that opened the box pushed its log entry too: {waiting:?}");
    let check = two.json(&["key", "check", "north-1"]);
    assert_eq!(check["valid"], true, "the station takes the key console two unsealed: {check}");
    let received: Vec<String> = two
        .json(&["log"])
        .as_array()
        .map(|a| a.iter().filter_map(|e| e["action"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    assert!(received.iter().any(|a| a == "key.received"), "{received:?}");

    // The centre holds one box, to console two only, and the key nowhere in the clear.
    let boxes: Vec<(uuid::Uuid, Vec<u8>)> =
        sqlx::query_as("SELECT recipient_console_id, ciphertext FROM central.sealed_keys")
            .fetch_all(&centre.admin)
            .await
            .unwrap();
    let two_id: uuid::Uuid = two.json(&["sync", "status"])["console_id"].as_str().unwrap().parse().unwrap();
    assert_eq!(boxes.len(), 1);
    assert_eq!(boxes[0].0, two_id);
    assert!(!contains(&boxes[0].1, key.as_bytes()), "ciphertext only");
    let anywhere: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM central.activity_log WHERE metadata::text LIKE '%' || $1 || '%') \
              + (SELECT count(*) FROM central.connections WHERE settings::text LIKE '%' || $1 || '%')",
    )
    .bind(&key)
    .fetch_one(&centre.admin)
    .await
    .unwrap();
    assert_eq!(anywhere, 0, "no key in the centre's log or definitions");
    for env in [&one, &two] {
        for (path, bytes) in files_below(env.dir.path()) {
            assert!(!contains(&bytes, key.as_bytes()), "the key in {}", path.display());
        }
    }
    // The removed console gets nothing: no box was sealed to it, and the centre refuses its login.
    let r = three.run(&["sync", "now"]);
    assert!(r.stderr.contains("could not read what changed"), "{}", r.stderr);
    assert_eq!(three.run(&["key", "check", "north-1"]).code, 1, "still no key on console three");

    // Console two's keyring is reset: its sealing key and the API key are gone. The box sealed
    // to its old key cannot open; it says so once, naming who shared it; a share again reaches it.
    let db = rusqlite::Connection::open(two.db()).unwrap();
    let install: String = db.query_row("SELECT value FROM meta WHERE key = 'install_id'", [], |r| r.get(0)).unwrap();
    let north: i64 =
        db.query_row("SELECT id FROM backend_connections WHERE name = 'north-1'", [], |r| r.get(0)).unwrap();
    let keyring = zc_secrets::Keyring::new().unwrap();
    keyring.delete(&zc_secrets::Keyring::sealing_account(&install)).await.unwrap();
    keyring.delete(&zc_secrets::Keyring::account(&install, north)).await.unwrap();
    for _ in 0..2 {
        assert_eq!(two.json(&["sync", "now"])["outcome"], "drained");
    }
    assert_eq!(two.run(&["key", "check", "north-1"]).code, 1, "the key went with the keyring");
    let notices: Vec<serde_json::Value> = two
        .json(&["log"])
        .as_array()
        .map(|a| a.iter().filter(|e| e["action"] == "key.share_again").cloned().collect())
        .unwrap_or_default();
    assert_eq!(notices.len(), 1, "said once, though two syncs saw it: {notices:?}");
    assert_eq!(notices[0]["resource"], "north-1", "{notices:?}");
    let shared = one.json(&["key", "share", "north-1"]);
    assert_eq!(shared["consoles"], serde_json::json!(["Control room 2"]), "{shared}");
    assert_eq!(two.json(&["sync", "now"])["outcome"], "drained");
    let check = two.json(&["key", "check", "north-1"]);
    assert_eq!(check["valid"], true, "sealed to its new key, it opens: {check}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_sign_ins_add_up_across_consoles_and_an_unlock_on_either_ends_the_lock() {
    let centre = Centre::start().await;
    let (one, two) = two_consoles(&centre);
    let r = one.run_with(&["user", "add", "olga", "--role", "operator"], b"night shift phrase 1\n", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(one.json(&["sync", "now"])["outcome"], "drained");
    // The waits run on the centre's clock: the test moves them past instead of sleeping.
    let wait_out = async || {
        sqlx::query("UPDATE central.user_credentials SET next_attempt_at = now() - interval '1 ms'")
            .execute(&centre.admin)
            .await
            .unwrap();
    };

    // Five guesses on each console: neither would lock her alone (ten on one console do).
    for n in 1..=10 {
        let env = if n % 2 == 1 { &one } else { &two };
        let r = login(env, "olga", "a wrong guess");
        assert_eq!(r.code, 1, "{}", r.stdout);
        let said = if n < 10 { "username or password is wrong" } else { "locked" };
        assert!(r.stderr.contains(said), "guess {n}: {}", r.stderr);
        wait_out().await;
    }
    for env in [&one, &two] {
        let r = login(env, "olga", "night shift phrase 1");
        assert_eq!(r.code, 1, "{}", r.stdout);
        assert!(r.stderr.contains("locked"), "the right password is not even checked: {}", r.stderr);
    }
    // The centre away: console two keeps the centre's lock.
    centre.cluster.stop().unwrap();
    let r = login(&two, "olga", "night shift phrase 1");
    assert!(r.code == 1 && r.stderr.contains("locked"), "{}", r.stderr);
    centre.cluster.restart().unwrap();

    // An admin unlocks her on console one: console two lets her in at once.
    let r = login(&one, zc_e2e::ADMIN, zc_e2e::ADMIN_PASSWORD);
    assert_eq!(r.code, 0, "{}", r.stderr);
    one.ok(&["user", "unlock", "olga"]);
    let r = login(&two, "olga", "night shift phrase 1");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(last_sign_in_checked_by(&two, "olga"), "central");
}
