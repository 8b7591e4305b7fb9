//! Helpers for the end-to-end tests: run the real `zc` binary against a throwaway data directory.
//!
//! The keyring tests need a Secret Service on the session bus; `cargo xtask test` starts a
//! private D-Bus session with an unlocked gnome-keyring for them.

pub mod centre;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Output, Stdio};

/// Where `zc` was built: `ZC_BIN`, or next to this test executable's `deps/` folder.
pub fn zc_bin() -> PathBuf {
    if let Ok(p) = std::env::var("ZC_BIN") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().expect("test executable path");
    let dir = exe.parent().and_then(Path::parent).expect("target dir");
    let bin = dir.join(if cfg!(windows) { "zc.exe" } else { "zc" });
    assert!(
        bin.exists(),
        "{} is missing: build it first (`cargo build -p zc-cli`; `cargo xtask test` does this)",
        bin.display()
    );
    bin
}

/// The admin every `Env` signs in as before its first command (`zc user init`).
pub const ADMIN: &str = "admin";
pub const ADMIN_PASSWORD: &str = "e2e console passphrase";

pub struct Env {
    pub dir: tempfile::TempDir,
    data: PathBuf,
    /// Whether the first command still has to create the admin and sign in (see `new_signed_out`).
    sign_in_first: std::cell::Cell<bool>,
    /// Everything zc printed, for the secret scan.
    pub transcript: std::cell::RefCell<Vec<u8>>,
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Default for Env {
    fn default() -> Self {
        Self::new()
    }
}

impl Env {
    pub fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        Env { dir, data, sign_in_first: true.into(), transcript: Default::default() }
    }

    /// An environment whose commands run as nobody until the test signs someone in.
    pub fn new_signed_out() -> Env {
        let env = Env::new();
        env.sign_in_first.set(false);
        env
    }

    /// An environment whose data directory is `data` (e.g. on a small filesystem).
    pub fn with_data_dir(data: PathBuf) -> Env {
        Env { dir: tempfile::tempdir().unwrap(), data, sign_in_first: true.into(), transcript: Default::default() }
    }

    pub fn data_dir(&self) -> PathBuf {
        self.data.clone()
    }

    pub fn db(&self) -> PathBuf {
        self.data_dir().join("zeroclient.db")
    }

    pub fn command(&self) -> Command {
        let mut c = Command::new(zc_bin());
        c.env("ZC_DATA_DIR", self.data_dir()).env_remove("ZC_LOG");
        c
    }

    fn record(&self, out: &Output) -> Run {
        let mut t = self.transcript.borrow_mut();
        t.extend_from_slice(&out.stdout);
        t.extend_from_slice(&out.stderr);
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Before the first command: the console's first admin, signed in (its session kept in the
    /// keyring, as `zc user init` does). A data directory zc refuses stays refused: the test's
    /// own command then shows why.
    fn sign_in_once(&self) {
        if self.sign_in_first.replace(false) {
            let r = self.spawn_with(&["user", "init", ADMIN], format!("{ADMIN_PASSWORD}\n").as_bytes(), &[]);
            if r.code != 0 {
                eprintln!("(the first admin was not created: {})", r.stderr.trim());
            }
        }
    }

    /// Runs `zc ARGS` with `stdin` piped in.
    pub fn run_with(&self, args: &[&str], stdin: &[u8], env: &[(&str, &str)]) -> Run {
        self.sign_in_once();
        self.spawn_with(args, stdin, env)
    }

    fn spawn_with(&self, args: &[&str], stdin: &[u8], env: &[(&str, &str)]) -> Run {
        let mut c = self.command();
        c.args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        for (k, v) in env {
            c.env(k, v);
        }
        let mut child = c.spawn().expect("spawn zc");
        child.stdin.take().unwrap().write_all(stdin).unwrap();
        let out = child.wait_with_output().unwrap();
        self.record(&out)
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with(args, b"", &[])
    }

    /// Runs and requires success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let r = self.run(args);
        assert_eq!(r.code, 0, "zc {args:?} failed: {}", r.stderr);
        r.stdout
    }

    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut a = args.to_vec();
        a.extend(["--format", "json"]);
        serde_json::from_str(&self.ok(&a)).expect("valid JSON")
    }

    /// Adds a `station` connection probed every `interval` and stores its key through stdin.
    pub fn add_station(&self, name: &str, url: &str, key: &str, interval: &str, confirm: &str) {
        self.ok(&[
            "connection",
            "add",
            name,
            "--url",
            url,
            "--kind",
            "station",
            "--interval",
            interval,
            "--confirm",
            confirm,
        ]);
        let r = self.run_with(&["key", "set", name], format!("{key}\n").as_bytes(), &[]);
        assert_eq!(r.code, 0, "zc key set: {}", r.stderr);
    }

    /// Starts `zc monitor` in the background with its stdout readable line by line.
    pub fn spawn_monitor(&self, extra_env: &[(&str, &str)]) -> (Child, BufReader<ChildStdout>) {
        let mut c = self.command();
        // `--for` bounds it: if an expected line never comes, the monitor exits, the read sees
        // end of output and the test fails instead of hanging CI.
        c.args(["monitor", "--for", "300s"]).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        for (k, v) in extra_env {
            c.env(k, v);
        }
        let mut child = c.spawn().expect("spawn zc monitor");
        let out = BufReader::new(child.stdout.take().unwrap());
        (child, out)
    }
}

/// Reads lines until one contains `needle`; returns it. Blocks on the monitor's own output, so
/// the test waits on an event, not on a clock.
pub fn wait_for_line(out: &mut BufReader<ChildStdout>, needle: &str, transcript: &mut Vec<u8>) -> String {
    let mut line = String::new();
    loop {
        line.clear();
        let n = out.read_line(&mut line).expect("read monitor output");
        assert!(n > 0, "zc monitor exited before printing '{needle}'");
        transcript.extend_from_slice(line.as_bytes());
        if line.contains(needle) {
            return line;
        }
    }
}

/// Reads the monitor's output until every one of `needles` has appeared, in whatever order:
/// stations that come online together print in the order their probes finish.
pub fn wait_for_lines(out: &mut BufReader<ChildStdout>, needles: &[String], transcript: &mut Vec<u8>) {
    let mut waiting: Vec<&String> = needles.iter().collect();
    let mut line = String::new();
    while !waiting.is_empty() {
        line.clear();
        let n = out.read_line(&mut line).expect("read monitor output");
        assert!(n > 0, "zc monitor exited before printing {waiting:?}");
        transcript.extend_from_slice(line.as_bytes());
        waiting.retain(|needle| !line.contains(needle.as_str()));
    }
}

/// Sends SIGTERM (a graceful stop) and waits; returns everything left on stdout and stderr.
pub fn stop(child: Child) -> (i32, String) {
    #[cfg(unix)]
    // SAFETY: kill with a valid pid of our own child.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    #[cfg(not(unix))]
    let child = {
        let mut child = child;
        let _ = child.kill();
        child
    };
    let out = child.wait_with_output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

/// A snapshot of every table's content, to prove a failed command changed nothing.
pub fn snapshot(db: &Path) -> String {
    let c = rusqlite::Connection::open(db).unwrap();
    let tables: Vec<String> = c
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut out = String::new();
    for t in tables {
        // Device rows are refreshed (last_seen) by every run; that is not a change of data.
        if t == "devices" {
            continue;
        }
        let mut stmt = c.prepare(&format!("SELECT * FROM \"{t}\" ORDER BY 1")).unwrap();
        let n = stmt.column_count();
        let rows: Vec<String> = stmt
            .query_map([], |r| Ok((0..n).map(|i| format!("{:?}", r.get_ref(i).unwrap())).collect::<Vec<_>>().join("|")))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        out.push_str(&format!("[{t}]\n{}\n", rows.join("\n")));
    }
    out
}

/// The tables whose rows differ between two `snapshot`s.
pub fn snapshot_changes(before: &str, after: &str) -> Vec<String> {
    fn tables(s: &str) -> std::collections::BTreeMap<String, String> {
        s.split("\n[")
            .map(|t| t.trim_start_matches('['))
            .filter_map(|t| t.split_once("]\n").map(|(name, rows)| (name.to_owned(), rows.to_owned())))
            .collect()
    }
    let (a, b) = (tables(before), tables(after));
    let mut names: Vec<String> = a.keys().chain(b.keys()).cloned().collect();
    names.sort();
    names.dedup();
    names.into_iter().filter(|n| a.get(n) != b.get(n)).collect()
}

/// Every file below `dir` (database, WAL, logs, charts), read raw.
pub fn files_below(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(b) = std::fs::read(&p) {
                out.push((p, b));
            }
        }
    }
    out
}

pub fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}
