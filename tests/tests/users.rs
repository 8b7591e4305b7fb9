//! People sign in, and their role decides what they may do, in the core. Through the
//! real `zc`, a real SQLite file and the real keyring (the password hashes and the CLI's session
//! live there).

use zc_e2e::{ADMIN, ADMIN_PASSWORD, Env, contains, files_below};

const OPERATOR_PASSWORD: &str = "operator pass phrase";
const ENGINEER_PASSWORD: &str = "engineer pass phrase";

fn login(env: &Env, user: &str, password: &str) -> zc_e2e::Run {
    env.run_with(&["login", user], format!("{password}\n").as_bytes(), &[])
}

fn add_user(env: &Env, user: &str, role: &str, password: &str) {
    let r = env.run_with(&["user", "add", user, "--role", role], format!("{password}\n").as_bytes(), &[]);
    assert_eq!(r.code, 0, "zc user add {user}: {}", r.stderr);
}

fn log_actions(env: &Env) -> Vec<serde_json::Value> {
    env.json(&["log", "--since", "1h"]).as_array().unwrap().clone()
}

#[test]
fn first_run_sign_in_refusals_and_what_is_recorded() {
    let env = Env::new_signed_out();
    // A new console: nothing works before its first admin exists, and it says how to start.
    let r = env.run(&["status"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("error[signed_out]") && r.stderr.contains("zc user init"), "{}", r.stderr);
    // A weak first password is refused and creates nobody.
    let r = env.run_with(&["user", "init", ADMIN], b"short\n", &[]);
    assert!(r.stderr.contains("error[weak_password]") && !r.stderr.contains("short"), "{}", r.stderr);
    assert_eq!(env.json(&["whoami"])["first_run"], true);
    let r = env.run_with(&["user", "init", ADMIN], format!("{ADMIN_PASSWORD}\n").as_bytes(), &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(env.json(&["whoami"])["session"]["username"], ADMIN);
    // A second first admin is refused.
    let r = env.run_with(&["user", "init", "other"], format!("{ADMIN_PASSWORD}\n").as_bytes(), &[]);
    assert!(r.stderr.contains("already has its first admin"), "{}", r.stderr);

    add_user(&env, "olga", "operator", OPERATOR_PASSWORD);
    env.ok(&["logout"]);
    assert!(env.run(&["status"]).stderr.contains("zc login"), "signed out, commands are refused");

    // Wrong passwords: the same words as an unknown user, then a wait.
    for _ in 0..3 {
        let r = login(&env, "olga", "wrong guess here");
        assert_eq!(r.code, 1);
        assert!(r.stderr.contains("error[sign_in_refused]: the username or password is wrong"), "{}", r.stderr);
    }
    let r = login(&env, "nobody-here", "wrong guess here");
    assert!(r.stderr.contains("the username or password is wrong"), "{}", r.stderr);
    // (The wait that follows, and the lock, are tested under a manual clock in zc-app's
    // `sign_in` tests: here the time between two commands is not the test's to decide.)

    // The admin lifts the wait; olga signs in.
    assert_eq!(login(&env, ADMIN, ADMIN_PASSWORD).code, 0);
    let olga = env.json(&["user", "show", "olga"]);
    assert_eq!(olga["failed_count"], 3);
    env.ok(&["user", "unlock", "olga"]);
    assert_eq!(login(&env, "olga", OPERATOR_PASSWORD).code, 0);
    assert_eq!(env.json(&["whoami"])["session"]["role"], "operator");

    // Every attempt is in the activity log with its reason and origin; an unknown name is not.
    assert_eq!(login(&env, ADMIN, ADMIN_PASSWORD).code, 0);
    let log = log_actions(&env);
    let failed: Vec<&serde_json::Value> = log.iter().filter(|e| e["action"] == "auth.sign_in_failed").collect();
    let reasons: Vec<String> = failed
        .iter()
        .map(|e| {
            let m: serde_json::Value = serde_json::from_str(e["metadata"].as_str().unwrap()).unwrap();
            assert_eq!(m["origin"]["client"], "cli");
            assert!(m["origin"]["hostname"].is_string());
            m["reason"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(reasons, ["wrong_password", "wrong_password", "wrong_password", "unknown_user"], "{failed:?}");
    assert!(failed.iter().any(|e| e["resource"] == "(unknown)"));
    assert!(!log.iter().any(|e| e["resource"] == "nobody-here"), "an unknown username is not kept");
    let signed_in = log.iter().filter(|e| e["action"] == "auth.sign_in").count();
    assert!(signed_in >= 4, "each sign-in is recorded ({signed_in})");
    assert_eq!(env.json(&["log", "verify"])["problem"], serde_json::Value::Null, "the chain verifies");

    // No password, typed or stored, and no hash anywhere in the data directory or the output.
    for secret in [ADMIN_PASSWORD, OPERATOR_PASSWORD, "wrong guess here", "$argon2id$"] {
        for (path, bytes) in files_below(&env.data_dir()) {
            assert!(!contains(&bytes, secret.as_bytes()), "{secret:?} found in {}", path.display());
        }
        assert!(!contains(&env.transcript.borrow(), secret.as_bytes()), "{secret:?} printed");
    }
}

/// What each command needs, and an invocation of it. The commands act on a connection `c1`
/// (http), a widget `w1` and a user `spare`; an allowed command may still fail for its own
/// reasons (an alarm that does not exist), but never as `forbidden`, and a refused one changes
/// nothing.
const MATRIX: &[(&str, &[&str])] = &[
    ("operator", &["status"]),
    ("operator", &["connection", "list"]),
    ("operator", &["connection", "show", "c1"]),
    ("operator", &["history", "c1", "--since", "1h"]),
    ("operator", &["metrics", "c1", "--since", "1h"]),
    ("operator", &["points", "c1"]),
    ("operator", &["alarms"]),
    ("operator", &["alarms", "history", "--since", "1h"]),
    ("operator", &["alarms", "settings"]),
    ("operator", &["alarms", "ack", "999"]),
    ("operator", &["alarms", "shelve", "999", "--for", "1h", "--reason", "known"]),
    ("operator", &["alarms", "unshelve", "999"]),
    ("operator", &["window", "list"]),
    ("operator", &["widget", "list"]),
    ("operator", &["widget", "show", "c1", "w1"]),
    ("operator", &["widget", "history", "c1", "w1"]),
    ("operator", &["widget", "diff", "c1", "w1", "1"]),
    ("operator", &["widget", "kinds"]),
    ("operator", &["doctor"]),
    ("operator", &["retention"]),
    ("operator", &["user", "show"]),
    ("operator", &["settings"]),
    ("operator", &["settings", "notify", "--quiet", "22:00-06:00"]),
    ("operator", &["settings", "theme", "light"]),
    ("operator", &["sync", "status"]),
    ("operator", &["sync", "now"]),
    ("engineer", &["connection", "add", "new-one", "--url", "http://127.0.0.1:9", "--kind", "http"]),
    ("engineer", &["connection", "edit", "c1", "--interval", "20s"]),
    ("engineer", &["connection", "depends", "c1", "--on", "c2"]),
    ("engineer", &["connection", "trust", "c1", "--system"]),
    ("engineer", &["points", "c1", "--point", "p", "--low", "1"]),
    ("engineer", &["points", "c1", "--point", "p", "--deadband", "0.5"]),
    ("engineer", &["connection", "rm", "c2"]),
    ("engineer", &["key", "check", "c1"]),
    ("engineer", &["window", "open", "c1", "--for", "1h", "--reason", "pump swap"]),
    ("engineer", &["window", "end", "999"]),
    ("engineer", &["alarms", "settings", "--cert-warn-days", "20"]),
    ("engineer", &["chart", "c1", "--since", "1h", "--out", "CHART"]),
    ("engineer", &["log"]),
    ("engineer", &["log", "verify"]),
    ("engineer", &["config", "export"]),
    ("engineer", &["backup", "BACKUP"]),
    ("engineer", &["config", "import", "SITE", "--dry-run"]),
    ("engineer", &["config", "import", "SITE"]),
    // A document that adds a widget needs what adding the widget needs.
    ("admin", &["config", "import", "WIDGETS"]),
    ("admin", &["widget", "add", "c1", "w2", "--kind", "value", "--config", "{\"point\":\"c1.p\"}"]),
    ("admin", &["widget", "edit", "c1", "w1", "--config", "{\"point\":\"p\"}"]),
    ("admin", &["widget", "restore", "c1", "w1", "1"]),
    ("admin", &["widget", "duplicate", "c1", "w1", "w3"]),
    ("admin", &["widget", "rm", "c1", "w1"]),
    ("admin", &["user", "list"]),
    ("admin", &["user", "show", "spare"]),
    ("admin", &["user", "role", "spare", "engineer"]),
    ("admin", &["user", "unlock", "spare"]),
    ("admin", &["user", "disable", "spare"]),
    ("admin", &["retention", "set", "request_metrics", "30d"]),
    ("admin", &["maintenance"]),
    ("admin", &["settings", "updates", "--auto-check", "on"]),
    ("admin", &["central", "connect", "--from", "/nonexistent/console.json"]),
    ("admin", &["sync", "retry", "999"]),
];

fn rank(role: &str) -> u8 {
    ["operator", "engineer", "admin"].iter().position(|r| *r == role).unwrap() as u8
}

/// A console with the admin, one user per role, a spare user and the objects the matrix acts on.
fn plant(env: &Env) {
    env.ok(&["connection", "add", "c1", "--url", "http://127.0.0.1:9", "--kind", "http"]);
    env.ok(&["connection", "add", "c2", "--url", "http://127.0.0.1:9", "--kind", "http"]);
    env.ok(&["widget", "add", "c1", "w1", "--kind", "value", "--config", r#"{"point":"c1.p"}"#]);
    add_user(env, "olga", "operator", OPERATOR_PASSWORD);
    add_user(env, "erik", "engineer", ENGINEER_PASSWORD);
    add_user(env, "spare", "operator", "unused pass phrase");
}

#[test]
fn every_command_is_refused_below_its_role_and_the_refusal_is_recorded() {
    let chart = tempfile::tempdir().unwrap();
    let chart_file = chart.path().join("c1.svg").display().to_string();
    // Site documents: one that only changes a connection, one that also adds a widget.
    let site = chart.path().join("site.json");
    std::fs::write(&site, r#"{"version": 1, "connections": [{"name": "c2", "url": "http://127.0.0.1:9", "kind": "http", "interval": "30s"}]}"#).unwrap();
    let widgets = chart.path().join("widgets.yaml");
    std::fs::write(&widgets, "version: 1\nconnections:\n  - {name: c3, url: 'http://127.0.0.1:9', kind: http, widgets: [{name: w9, kind: value, config: {point: c3.p}}]}\n").unwrap();
    let (site, widgets) = (site.display().to_string(), widgets.display().to_string());
    let backup = chart.path().join("backup.db").display().to_string();
    for (role, user, password) in [
        ("operator", "olga", OPERATOR_PASSWORD),
        ("engineer", "erik", ENGINEER_PASSWORD),
        ("admin", ADMIN, ADMIN_PASSWORD),
    ] {
        // A fresh console per role: what one role's commands change is not what the next sees.
        let env = Env::new();
        plant(&env);
        assert_eq!(login(&env, user, password).code, 0);
        for (needs, args) in MATRIX {
            let args: Vec<&str> = args
                .iter()
                .map(|a| match *a {
                    "CHART" => chart_file.as_str(),
                    "SITE" => site.as_str(),
                    "WIDGETS" => widgets.as_str(),
                    "BACKUP" => backup.as_str(),
                    _ => a,
                })
                .collect();
            let db_before = zc_e2e::snapshot(&env.db());
            let r = env.run_with(&args, b"", &[]);
            if rank(role) < rank(needs) {
                assert_eq!(r.code, 1, "{role}: zc {args:?} should be refused");
                assert!(r.stderr.starts_with("error[forbidden]: "), "{role}: zc {args:?}: {}", r.stderr);
                assert!(
                    r.stderr.contains(&format!("needs the {needs} role; {user} is")),
                    "{role}: zc {args:?}: {}",
                    r.stderr
                );
                // Nothing but the refusal's own activity entry was written.
                let after = zc_e2e::snapshot(&env.db());
                let changed = zc_e2e::snapshot_changes(&db_before, &after);
                assert!(
                    changed.iter().all(|t| t == "activity_log" || t == "activity_log_chain"),
                    "{role}: refused zc {args:?} changed {changed:?}"
                );
            } else {
                assert!(!r.stderr.contains("error[forbidden]"), "{role}: zc {args:?} was refused: {}", r.stderr);
            }
        }
        // The refusals are recorded, each naming what it needed.
        if role != "admin" {
            assert_eq!(login(&env, ADMIN, ADMIN_PASSWORD).code, 0);
            let refused = log_actions(&env).iter().filter(|e| e["action"] == "auth.forbidden").count();
            let expected = MATRIX.iter().filter(|(needs, _)| rank(role) < rank(needs)).count();
            assert_eq!(refused, expected, "{role}: one auth.forbidden entry per refusal");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_change_and_a_disable_take_effect_at_olgas_next_command() {
    let env = Env::new();
    plant(&env);
    assert_eq!(login(&env, "olga", OPERATOR_PASSWORD).code, 0);
    assert!(env.run(&["connection", "edit", "c1", "--interval", "20s"]).stderr.contains("error[forbidden]"));
    // The admin acts on another console process (the application API, its own session) while
    // olga stays signed in to the CLI.
    let admin = zc_app::App::open(&env.data_dir(), std::sync::Arc::new(zc_app::zc_domain::SystemClock)).await.unwrap();
    let password = zc_app::zc_domain::Sensitive::new(ADMIN_PASSWORD.to_owned());
    admin.sign_in(ADMIN, &password, zc_app::Client::Desktop).await.unwrap();
    admin.set_user_role("olga", zc_app::zc_domain::Role::Engineer).await.unwrap();
    // Her next command sees the new role: no sign-in again.
    env.ok(&["connection", "edit", "c1", "--interval", "20s"]);
    admin.set_user_disabled("olga", true).await.unwrap();
    let r = env.run(&["status"]);
    assert!(r.stderr.contains("error[signed_out]: your session has ended"), "{}", r.stderr);
    let r = login(&env, "olga", OPERATOR_PASSWORD);
    assert!(r.stderr.contains("this account is disabled"), "{}", r.stderr);
    // The last admin can be neither demoted nor disabled.
    let e = admin.set_user_role(ADMIN, zc_app::zc_domain::Role::Operator).await.unwrap_err();
    assert!(e.message.contains("last active admin"), "{}", e.message);
    let e = admin.set_user_disabled(ADMIN, true).await.unwrap_err();
    assert!(e.message.contains("last active admin"), "{}", e.message);
    admin.close().await;
}

#[test]
fn the_demo_signs_its_admin_in_and_leaves_no_session_behind() {
    let env = Env::new_signed_out();
    let r = env.run(&["demo", "--for", "2s"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(env.json(&["whoami"])["session"], serde_json::Value::Null);
    assert_eq!(login(&env, zc_app::DEMO_USER, zc_app::DEMO_PASSWORD).code, 0);
    assert_eq!(env.json(&["whoami"])["session"]["role"], "admin");
}

/// Changing one's own password: a wrong current password counts like a failed sign-in (so a
/// console left signed in cannot be used to guess it), and the change ends the person's other
/// sessions while the one that made it goes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_change_counts_wrong_guesses_and_ends_the_other_sessions() {
    let env = Env::new();
    add_user(&env, "olga", "operator", OPERATOR_PASSWORD);
    assert_eq!(login(&env, "olga", OPERATOR_PASSWORD).code, 0);
    // A second session of olga's: the console's window on the same data directory.
    let app = zc_app::App::open(&env.data_dir(), std::sync::Arc::new(zc_app::zc_domain::SystemClock)).await.unwrap();
    let pw = zc_app::zc_domain::Sensitive::new(OPERATOR_PASSWORD.to_owned());
    app.sign_in("olga", &pw, zc_app::Client::Desktop).await.unwrap();
    app.close().await;
    let failures = || -> i64 {
        let c = rusqlite::Connection::open(env.db()).unwrap();
        c.query_row(
            "SELECT failed_count FROM user_credentials WHERE user_id = (SELECT id FROM users WHERE username = 'olga')",
            [],
            |r| r.get(0),
        )
        .unwrap()
    };
    let new = "a changed pass phrase";
    let r = env.run_with(&["user", "passwd"], format!("wrong guess here\n{new}\n").as_bytes(), &[]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.starts_with("error[sign_in_refused]"), "{}", r.stderr);
    assert_eq!(failures(), 1, "a wrong current password counts");
    let r = env.run_with(&["user", "passwd"], format!("{OPERATOR_PASSWORD}\n{new}\n").as_bytes(), &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(failures(), 0, "the right one resets the count");
    let c = rusqlite::Connection::open(env.db()).unwrap();
    let (open, ended): (i64, i64) = c
        .query_row(
            "SELECT SUM(ended_at IS NULL), SUM(end_reason = 'password_changed') FROM sessions \
             WHERE user_id = (SELECT id FROM users WHERE username = 'olga')",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((open, ended), (1, 1), "the desktop session ended, the CLI's goes on");
    assert!(env.ok(&["whoami"]).contains("olga"));
    assert_eq!(login(&env, "olga", new).code, 0, "the new password signs in");
}
