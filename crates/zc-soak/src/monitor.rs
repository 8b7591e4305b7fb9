//! One `zc monitor` process of a round: started, watched line by line, signalled, collected.

use crate::plan::IoKind;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub struct MonitorProc {
    child: Child,
    lines: Receiver<String>,
    stdout: Vec<String>,
    stderr: JoinHandle<String>,
    faults: Option<JoinHandle<String>>,
}

/// What a finished monitor left behind.
#[derive(Debug, Default)]
pub struct Exit {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    /// One line per fault the I/O library injected.
    pub faults: String,
}

pub struct Spawn<'a> {
    pub zc: &'a Path,
    pub data: &'a Path,
    pub for_ms: Option<u64>,
    /// The fault library, the fault, how many, and the file whose creation arms it.
    pub io: Option<(&'a PathBuf, IoKind, u64, PathBuf)>,
}

impl MonitorProc {
    pub fn spawn(s: Spawn<'_>) -> MonitorProc {
        let mut c = Command::new(s.zc);
        c.arg("--data-dir").arg(s.data).arg("monitor");
        if let Some(ms) = s.for_ms {
            c.args(["--for", &format!("{ms}ms")]);
        }
        c.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).env_remove("ZC_LOG");
        let mut faults = None;
        if let Some((lib, kind, count, arm)) = s.io {
            let (reader, writer) = std::io::pipe().expect("a pipe for the fault reports");
            let fd = std::os::fd::AsRawFd::as_raw_fd(&writer);
            c.env("LD_PRELOAD", lib)
                .env("ZC_FAULTFS", format!("{}x{count}", kind.name()))
                .env("ZC_FAULTFS_ARM", arm)
                .env("ZC_FAULTFS_FD", fd.to_string());
            // SAFETY: only fcntl between fork and exec, on a descriptor we own: the child keeps
            // the pipe's write end open across exec.
            unsafe {
                c.pre_exec(move || {
                    libc::fcntl(fd, libc::F_SETFD, 0);
                    Ok(())
                });
            }
            faults = Some((reader, writer));
        }
        let mut child = c.spawn().expect("start zc monitor");
        let faults = faults.map(|(mut reader, writer)| {
            // Our copy of the write end goes, so the reader sees the end when the child exits.
            drop(writer);
            std::thread::spawn(move || {
                let mut s = String::new();
                let _ = reader.read_to_string(&mut s);
                s
            })
        });
        let (tx, lines) = channel();
        let out = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut err = child.stderr.take().unwrap();
        let stderr = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = err.read_to_string(&mut s);
            s
        });
        MonitorProc { child, lines, stdout: Vec::new(), stderr, faults }
    }

    /// Waits for the "monitoring N connection(s)" line; Err with the process's output if it
    /// exits or stays silent first.
    pub fn wait_ready(&mut self, within: Duration) -> Result<(), String> {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let ready = line.starts_with("monitoring ");
                    self.stdout.push(line);
                    if ready {
                        return Ok(());
                    }
                }
                Err(RecvTimeoutError::Timeout) => return Err(format!("zc monitor not ready within {within:?}")),
                Err(RecvTimeoutError::Disconnected) => {
                    return Err(format!("zc monitor exited before it was ready: {:?}", self.collect_now()));
                }
            }
        }
    }

    pub fn signal(&self, sig: libc::c_int) {
        // SAFETY: a signal to our own child.
        unsafe { libc::kill(self.child.id() as i32, sig) };
    }

    fn collect_now(&mut self) -> Exit {
        let code = self.child.wait().ok().and_then(|s| s.code());
        self.finish(code)
    }

    fn finish(&mut self, code: Option<i32>) -> Exit {
        while let Ok(l) = self.lines.recv() {
            self.stdout.push(l);
        }
        let stderr = std::mem::replace(&mut self.stderr, std::thread::spawn(String::new));
        let faults = self.faults.take().map(|f| f.join().unwrap_or_default()).unwrap_or_default();
        Exit { code, stdout: self.stdout.join("\n"), stderr: stderr.join().unwrap_or_default(), faults }
    }

    /// Waits for the process to end; after `within` it is killed and `Err` says so.
    pub fn wait_exit(mut self, within: Duration) -> Result<Exit, Exit> {
        let deadline = Instant::now() + within;
        loop {
            if let Ok(Some(st)) = self.child.try_wait() {
                return Ok(self.finish(st.code()));
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                return Err(self.collect_now());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// SIGKILL, and what it printed until then.
    pub fn kill(mut self) -> Exit {
        let _ = self.child.kill();
        self.collect_now()
    }
}
