//! A throwaway central store for the end-to-end tests, and a console connected to it through the
//! real `zc central migrate | provision | connect`.

use crate::Env;
use sqlx::PgPool;
use zc_central::cluster::Cluster;

pub struct Centre {
    pub cluster: Cluster,
    pub admin: PgPool,
}

impl Centre {
    pub async fn start() -> Centre {
        let cluster = Cluster::start().expect("throwaway PostgreSQL");
        let postgres = PgPool::connect(&cluster.superuser_url("postgres")).await.unwrap();
        sqlx::query("CREATE DATABASE zc").execute(&postgres).await.unwrap();
        postgres.close().await;
        let admin = PgPool::connect(&cluster.superuser_url("zc")).await.unwrap();
        Centre { cluster, admin }
    }
    /// The schema owner's URL as `zc central migrate|provision` take it (password on stdin).
    pub fn owner_url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/zc", self.cluster.port())
    }
    pub fn password(&self) -> &'static [u8] {
        b"zc-throwaway\n"
    }
    pub async fn activity(&self, console: &str) -> Vec<(i64, String)> {
        sqlx::query_as("SELECT seq, hash FROM central.activity_log WHERE console_id = $1::uuid ORDER BY seq")
            .bind(console)
            .fetch_all(&self.admin)
            .await
            .unwrap()
    }
}

/// Migrates the centre, provisions a console into `file`, connects `env` to it; answers the
/// console's id and the login's password (read from the file, as an admin would hand it over).
pub fn set_up(centre: &Centre, env: &Env) -> (String, String) {
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

/// (seq, hash) of every local activity entry, to hold against `Centre::activity`.
pub fn local_activity(env: &Env) -> Vec<(i64, String)> {
    let c = rusqlite::Connection::open(env.db()).unwrap();
    let mut s = c.prepare("SELECT seq, hash FROM activity_log ORDER BY seq").unwrap();
    s.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect()
}

/// Another console of the same site, connected to a centre `set_up` made: provisioned into a
/// file and connected from it, as an admin hands a new console its login.
pub fn connect_another(centre: &Centre, env: &Env, name: &str) {
    let file = env.dir.path().join("console.json");
    let file_s = file.display().to_string();
    let args = [
        "central",
        "provision",
        &centre.owner_url(),
        "--organisation",
        "North Water",
        "--site",
        "Plant 3",
        "--console",
        name,
        "--out",
        &file_s,
    ];
    let p = env.run_with(&args, centre.password(), &[]);
    assert_eq!(p.code, 0, "{}", p.stderr);
    let c = env.run(&["central", "connect", "--from", &file_s, "--format", "json"]);
    assert_eq!(c.code, 0, "{}", c.stderr);
    std::fs::remove_file(&file).unwrap();
}
