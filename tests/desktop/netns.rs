//! Two network namespaces made for the test and removed after it:
//! - the console's (`zcc-PID`): the test, tauri-driver and the app run here. Its only way off the
//!   machine is a default route through a veth pair, which the observer scenario removes;
//! - the plant's (`zcp-PID`): the simulated stations, on 10.231.1.1, an address reachable only
//!   through that default route (it is on the plant's loopback, not on the shared subnet).
//!
//! No packet can leave: the plant namespace has no route anywhere but back to the console.

use std::process::Command;

pub const STATIONS_HOST: &str = "10.231.1.1";
const GATEWAY: &str = "10.231.0.1";

pub struct Namespaces {
    pub console: String,
    pub plant: String,
    veth: String,
}

fn ip(args: &[&str]) -> Result<(), String> {
    let out = Command::new("ip").args(args).output().map_err(|e| format!("cannot run ip: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("ip {}: {}", args.join(" "), String::from_utf8_lossy(&out.stderr).trim()))
    }
}

impl Namespaces {
    pub fn create() -> Result<Namespaces, String> {
        let pid = std::process::id();
        let ns = Namespaces { console: format!("zcc-{pid}"), plant: format!("zcp-{pid}"), veth: format!("zcv{pid}") };
        let peer = format!("{}p", ns.veth);
        ip(&["netns", "add", &ns.console])?;
        ip(&["netns", "add", &ns.plant])?;
        ip(&["-n", &ns.console, "link", "set", "lo", "up"])?;
        ip(&["-n", &ns.plant, "link", "set", "lo", "up"])?;
        ip(&[
            "link",
            "add",
            &ns.veth,
            "netns",
            &ns.console,
            "type",
            "veth",
            "peer",
            "name",
            &peer,
            "netns",
            &ns.plant,
        ])?;
        ip(&["-n", &ns.console, "addr", "add", "10.231.0.2/24", "dev", &ns.veth])?;
        ip(&["-n", &ns.plant, "addr", "add", &format!("{GATEWAY}/24"), "dev", &peer])?;
        ip(&["-n", &ns.plant, "addr", "add", &format!("{STATIONS_HOST}/32"), "dev", "lo"])?;
        ip(&["-n", &ns.console, "link", "set", &ns.veth, "up"])?;
        ip(&["-n", &ns.plant, "link", "set", &peer, "up"])?;
        ns.restore_route()?;
        Ok(ns)
    }

    /// Moves the calling thread into the console's namespace. Call before any other thread
    /// starts: threads and processes started afterwards inherit it.
    pub fn enter_console(&self) -> Result<(), String> {
        let path = format!("/run/netns/{}", self.console);
        let f = std::fs::File::open(&path).map_err(|e| format!("cannot open {path}: {e}"))?;
        use std::os::fd::AsRawFd;
        // SAFETY: a valid namespace fd; setns only changes this thread's network namespace.
        if unsafe { libc::setns(f.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
            return Err(format!("setns: {}", std::io::Error::last_os_error()));
        }
        Ok(())
    }

    /// The console loses its network for real: its default route goes.
    pub fn drop_route(&self) -> Result<(), String> {
        ip(&["-n", &self.console, "route", "del", "default"])
    }

    pub fn restore_route(&self) -> Result<(), String> {
        ip(&["-n", &self.console, "route", "replace", "default", "via", GATEWAY])
    }

    /// A command run in the plant's namespace.
    pub fn in_plant(&self, program: &str) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.plant, program]);
        c
    }
}

impl Drop for Namespaces {
    fn drop(&mut self) {
        // Deleting a namespace removes its end of the veth pair, and with it the other end.
        let _ = ip(&["netns", "del", &self.console]);
        let _ = ip(&["netns", "del", &self.plant]);
    }
}
