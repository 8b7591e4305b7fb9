//! Debian/Ubuntu packages: installed when missing (as root, or through sudo), or the exact
//! command printed when that cannot be done.

use crate::{Result, status};
use std::process::Command;

/// Needed to build: keyring's Secret Service client links libdbus; the desktop shell links
/// WebKitGTK (the only package Tauri needs here).
pub const BUILD: &[&str] = &["pkg-config", "libdbus-1-dev", "libwebkit2gtk-4.1-dev"];
/// What the console loads at run time beyond what it builds with: the tray's AppIndicator
/// library (without it there is no tray icon, and closing the window quits).
pub const DESKTOP: &[&str] = &["libayatana-appindicator3-1"];
/// Needed to run the keyring in a headless session, and by the tests' own checks.
pub const SESSION: &[&str] = &["dbus", "dbus-x11", "gnome-keyring", "libsecret-tools"];
/// The central store's tests start a throwaway PostgreSQL 15 cluster (and use pgTAP for its
/// lint, and PgBouncer in front of it for the pooler test).
pub const TEST: &[&str] = &["sqlite3", "postgresql-15", "postgresql-15-pgtap", "pgbouncer"];
/// The soak's sync rounds and the drain benchmark push to a throwaway PostgreSQL 15 cluster; the
/// consoles benchmark also through PgBouncer.
pub const CENTRAL: &[&str] = &["postgresql-15", "pgbouncer"];
/// The desktop end-to-end tests: a virtual display, WebKit's WebDriver, network namespaces.
pub const DESKTOP_E2E: &[&str] = &["xvfb", "xauth", "webkit2gtk-driver", "iproute2"];
/// The frontend's toolchain, when the machine has none.
pub const NODE: &[&str] = &["nodejs", "npm"];

pub fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0").unwrap_or(false)
}

fn missing(pkgs: &[&str]) -> Vec<String> {
    pkgs.iter()
        .filter(|p| {
            !Command::new("dpkg-query")
                .args(["-W", "-f=${Status}", p])
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
                .unwrap_or(false)
        })
        .map(|p| p.to_string())
        .collect()
}

/// Installs missing Debian packages, or says exactly how to.
pub fn ensure(pkgs: &[&str]) -> Result {
    if Command::new("dpkg-query").arg("--version").output().is_err() {
        eprintln!("xtask: not a Debian/Ubuntu system; make sure these are installed: {}", pkgs.join(" "));
        return Ok(());
    }
    let need = missing(pkgs);
    if need.is_empty() {
        return Ok(());
    }
    let apt = format!("apt-get update && apt-get install -y {}", need.join(" "));
    let sudo = if is_root() {
        None
    } else if Command::new("sudo").args(["-n", "true"]).status().map(|s| s.success()).unwrap_or(false) {
        Some("sudo -n")
    } else {
        return Err(format!("missing packages: {}. Install them with:\n    sudo sh -c '{apt}'", need.join(" ")));
    };
    let mut c = Command::new("sh");
    let line = match sudo {
        Some(s) => format!(
            "{s} sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq {}'",
            need.join(" ")
        ),
        None => {
            format!("apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq {}", need.join(" "))
        }
    };
    c.args(["-c", &line]);
    status(c, &format!("installing {}", need.join(" ")))
}
