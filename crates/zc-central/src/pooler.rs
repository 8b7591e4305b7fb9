//! A throwaway PgBouncer in transaction mode in front of a throwaway [`Cluster`], for the tests
//! and the consoles bench: what an organisation puts between many consoles and one server.
//!
//! Pools are per login, as PgBouncer (and Supavisor) keep them, so every console is still its
//! own `session_user` at the server. PgBouncer looks a login's SCRAM secret up in the server
//! (`auth_query`, as the superuser) and logs in to the server with the keys the console proved,
//! so no console password is written anywhere. Run as root, it runs as `postgres` (PgBouncer
//! refuses to run as root), as the cluster does.

use crate::cluster::Cluster;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

/// Debian's `pgbouncer` package; `ZC_PGBOUNCER` overrides it.
const DEFAULT_BIN: &str = "/usr/sbin/pgbouncer";

pub struct Pooler {
    child: Child,
    dir: tempfile::TempDir,
    port: u16,
}

/// How the pooler shares server connections.
#[derive(Clone, Copy, Debug)]
pub struct PoolerLimits {
    /// Server connections a login may hold at once.
    pub per_login: u32,
    /// Server connections to the database in all (PgBouncer closes an idle one of another
    /// login to make room).
    pub in_all: u32,
    /// Hand out the least recently used idle server connection instead of the most recently
    /// used one, so consecutive transactions of one login land on different server
    /// connections: what a busy pooler does, made certain.
    pub round_robin: bool,
}

impl Pooler {
    /// Starts PgBouncer on a free loopback port in front of `cluster`'s database `database`.
    pub fn start(cluster: &Cluster, database: &str, limits: PoolerLimits) -> Result<Pooler, String> {
        let bin = PathBuf::from(std::env::var("ZC_PGBOUNCER").unwrap_or_else(|_| DEFAULT_BIN.into()));
        if !bin.exists() {
            return Err(format!(
                "no PgBouncer at {}; install pgbouncer (cargo xtask test does) or set ZC_PGBOUNCER",
                bin.display()
            ));
        }
        let dir = tempfile::Builder::new().prefix("zc-pgbouncer-").tempdir().map_err(|e| e.to_string())?;
        let as_postgres = crate::cluster::is_root();
        let (user, password) = cluster.superuser();
        let users = dir.path().join("users.txt");
        std::fs::write(&users, format!("\"{user}\" \"{password}\"\n")).map_err(|e| e.to_string())?;
        let mut last = String::new();
        // A port can be taken between the probe and the bind; try a few.
        for _ in 0..5 {
            let port = crate::cluster::free_port()?;
            let ini = dir.path().join("pgbouncer.ini");
            std::fs::write(
                &ini,
                format!(
                    "[databases]\n{database} = host=127.0.0.1 port={server} dbname={database}\n\
                     [pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n\
                     auth_type = scram-sha-256\nauth_file = {users}\nauth_user = {user}\n\
                     auth_query = SELECT usename, passwd FROM pg_catalog.pg_shadow WHERE usename = $1\n\
                     pool_mode = transaction\ndefault_pool_size = {per_login}\nmax_db_connections = {in_all}\n\
                     max_client_conn = 2000\nserver_round_robin = {rr}\n\
                     logfile = {log}\npidfile = {pid}\n",
                    server = cluster.port(),
                    users = users.display(),
                    per_login = limits.per_login,
                    in_all = limits.in_all,
                    rr = u8::from(limits.round_robin),
                    log = dir.path().join("pgbouncer.log").display(),
                    pid = dir.path().join("pgbouncer.pid").display(),
                ),
            )
            .map_err(|e| e.to_string())?;
            if as_postgres {
                for p in [dir.path(), &users, &ini] {
                    crate::cluster::chown_postgres(p)?;
                }
            }
            let mut cmd = if as_postgres {
                let mut c = Command::new("runuser");
                c.args(["-u", "postgres", "--"]).arg(&bin);
                c
            } else {
                Command::new(&bin)
            };
            let mut child = cmd
                .arg(&ini)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .map_err(|e| format!("pgbouncer: {e}"))?;
            match wait_listening(&mut child, port) {
                Ok(()) => return Ok(Pooler { child, dir, port }),
                Err(e) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    let log = std::fs::read_to_string(dir.path().join("pgbouncer.log")).unwrap_or_default();
                    last = format!("{e}\n{log}");
                }
            }
        }
        Err(format!("the throwaway PgBouncer did not start: {last}"))
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// What PgBouncer logged, for a failing test's message.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("pgbouncer.log")).unwrap_or_default()
    }
}

/// Until PgBouncer accepts connections on `port`, or it exits. Polls with a deadline: there is
/// no readiness signal to wait on.
fn wait_listening(child: &mut Child, port: u16) -> Result<(), String> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            return Err(format!("pgbouncer exited: {status}"));
        }
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        if std::time::Instant::now() > deadline {
            return Err("pgbouncer did not listen within 10 s".into());
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

impl Drop for Pooler {
    fn drop(&mut self) {
        // SIGTERM is PgBouncer's immediate shutdown. Sent to PgBouncer itself (its pid file),
        // as runuser cannot pass a SIGKILL on.
        let pid = std::fs::read_to_string(self.dir.path().join("pgbouncer.pid"))
            .ok()
            .and_then(|s| s.trim().parse::<i32>().ok())
            .unwrap_or(self.child.id() as i32);
        // SAFETY: kill has no memory preconditions; a stale pid at worst fails with ESRCH.
        unsafe { libc::kill(pid, libc::SIGTERM) };
        let _ = self.child.wait();
    }
}
