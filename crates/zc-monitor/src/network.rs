//! Is the console itself on a network? When it is not, failed probes say nothing about the
//! backends, and the monitor records `unknown (observer offline)` instead of `offline`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

pub trait NetworkObserver: Send + Sync + 'static {
    fn is_online(&self) -> bool;
}

/// Asks the operating system whether any route leads off this machine.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemNetwork;

impl NetworkObserver for SystemNetwork {
    fn is_online(&self) -> bool {
        has_route_off_host()
    }
}

#[cfg(target_os = "linux")]
fn has_route_off_host() -> bool {
    // A default route (destination 0.0.0.0/0 or ::/0) on an interface that is not loopback.
    let v4 = std::fs::read_to_string("/proc/net/route").unwrap_or_default();
    let v4_default = v4.lines().skip(1).any(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        f.len() > 7 && f[0] != "lo" && f[1] == "00000000" && f[7] == "00000000"
    });
    let v6 = std::fs::read_to_string("/proc/net/ipv6_route").unwrap_or_default();
    let v6_default = v6.lines().any(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        f.len() > 9 && f[0] == "00000000000000000000000000000000" && f[1] == "00" && f[9] != "lo"
    });
    v4_default || v6_default
}

#[cfg(not(target_os = "linux"))]
fn has_route_off_host() -> bool {
    // Connecting a UDP socket only asks the OS for a route; no packet is sent. It fails with
    // "network unreachable" when the machine has no route off itself. 192.0.2.1 is TEST-NET-1.
    std::net::UdpSocket::bind(("0.0.0.0", 0)).and_then(|s| s.connect(("192.0.2.1", 9))).is_ok()
}

/// An observer whose answer is set by hand: used by tests to take the console "off the
/// network" without touching the machine's interfaces.
#[derive(Debug, Clone)]
pub struct ManualNetwork(Arc<AtomicBool>);

impl ManualNetwork {
    pub fn new(online: bool) -> Self {
        Self(Arc::new(AtomicBool::new(online)))
    }
    pub fn set_online(&self, online: bool) {
        self.0.store(online, Ordering::SeqCst);
    }
}

impl NetworkObserver for ManualNetwork {
    fn is_online(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}
