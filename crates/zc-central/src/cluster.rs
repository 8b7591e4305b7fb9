//! A throwaway PostgreSQL cluster from the system's binaries, for tests and benches: its own
//! data directory, a loopback port and a private socket directory, removed when dropped.
//! Run as root, the server runs as the `postgres` user (PostgreSQL refuses to run as root).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Where Debian's `postgresql-15` puts the server's binaries; `ZC_PG_BIN` overrides it.
const DEFAULT_BIN: &str = "/usr/lib/postgresql/15/bin";
/// The superuser's password (the cluster listens on loopback only and lives for one test).
const SUPERUSER_PASSWORD: &str = "zc-throwaway";

pub struct Cluster {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
    as_postgres: bool,
}

pub(crate) fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

impl Cluster {
    /// initdb, then start on a free loopback port; fails with what to install when the
    /// binaries are missing.
    pub fn start() -> Result<Cluster, String> {
        let bin = PathBuf::from(std::env::var("ZC_PG_BIN").unwrap_or_else(|_| DEFAULT_BIN.into()));
        if !bin.join("initdb").exists() {
            return Err(format!(
                "no PostgreSQL server binaries in {}; install postgresql-15 (cargo xtask test does) or set ZC_PG_BIN",
                bin.display()
            ));
        }
        let dir = tempfile::Builder::new().prefix("zc-pg-").tempdir().map_err(|e| e.to_string())?;
        let as_postgres = is_root();
        if as_postgres {
            chown_postgres(dir.path())?;
        }
        let c = Cluster { bin, dir, port: 0, as_postgres };
        let pwfile = c.dir.path().join("pw");
        std::fs::write(&pwfile, SUPERUSER_PASSWORD).map_err(|e| e.to_string())?;
        if as_postgres {
            chown_postgres(&pwfile)?;
        }
        c.run(
            "initdb",
            &[
                "-D".as_ref(),
                c.data().as_os_str(),
                "-U".as_ref(),
                "postgres".as_ref(),
                "--auth=scram-sha-256".as_ref(),
                "--pwfile".as_ref(),
                pwfile.as_os_str(),
                "-E".as_ref(),
                "UTF8".as_ref(),
                "--locale=C".as_ref(),
                "--no-sync".as_ref(),
            ],
        )?;
        std::fs::create_dir(c.socket_dir()).map_err(|e| e.to_string())?;
        if as_postgres {
            chown_postgres(&c.socket_dir())?;
        }
        let mut c = c;
        // A port can be taken between the probe and the bind; try a few.
        let mut last = String::new();
        for _ in 0..5 {
            c.port = free_port()?;
            match c.pg_start() {
                Ok(()) => return Ok(c),
                Err(e) => last = e,
            }
        }
        Err(format!("the throwaway PostgreSQL did not start: {last}"))
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }
    fn socket_dir(&self) -> PathBuf {
        self.dir.path().join("sock")
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The superuser's URL for a database of this cluster.
    pub fn superuser_url(&self, database: &str) -> String {
        self.url("postgres", SUPERUSER_PASSWORD, database)
    }

    /// The superuser's name and password (the pooler looks logins up as it).
    pub fn superuser(&self) -> (&'static str, &'static str) {
        ("postgres", SUPERUSER_PASSWORD)
    }

    pub fn url(&self, user: &str, password: &str, database: &str) -> String {
        format!("postgres://{user}:{password}@127.0.0.1:{}/{database}", self.port)
    }

    /// Stops the server now (fast: sessions are cut, nothing is written back).
    pub fn stop(&self) -> Result<(), String> {
        self.run(
            "pg_ctl",
            &["-D".as_ref(), self.data().as_os_str(), "-m".as_ref(), "fast".as_ref(), "-w".as_ref(), "stop".as_ref()],
        )
    }

    /// Starts the stopped server again on the same port.
    pub fn restart(&self) -> Result<(), String> {
        self.pg_start()
    }

    fn pg_start(&self) -> Result<(), String> {
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200 -c shared_buffers=128MB",
            self.port,
            self.socket_dir().display()
        );
        let log = self.dir.path().join("server.log");
        self.run(
            "pg_ctl",
            &[
                "-D".as_ref(),
                self.data().as_os_str(),
                "-l".as_ref(),
                log.as_os_str(),
                "-w".as_ref(),
                "-o".as_ref(),
                opts.as_ref(),
                "start".as_ref(),
            ],
        )
        .map_err(|e| format!("{e}\n{}", std::fs::read_to_string(&log).unwrap_or_default()))
    }

    fn run(&self, tool: &str, args: &[&std::ffi::OsStr]) -> Result<(), String> {
        let exe = self.bin.join(tool);
        let mut cmd = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&exe);
            c
        } else {
            Command::new(&exe)
        };
        let out = cmd
            .args(args)
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("{tool}: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{tool} failed: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self.run(
            "pg_ctl",
            &[
                "-D".as_ref(),
                self.data().as_os_str(),
                "-m".as_ref(),
                "immediate".as_ref(),
                "-w".as_ref(),
                "stop".as_ref(),
            ],
        );
    }
}

pub(crate) fn free_port() -> Result<u16, String> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(l.local_addr().map_err(|e| e.to_string())?.port())
}

pub(crate) fn chown_postgres(path: &Path) -> Result<(), String> {
    let out = Command::new("chown").arg("postgres:postgres").arg(path).output().map_err(|e| format!("chown: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("chown postgres {}: {}", path.display(), String::from_utf8_lossy(&out.stderr)))
    }
}
