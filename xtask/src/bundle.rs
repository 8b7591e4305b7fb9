//! `cargo xtask bundle`: the Linux package (.deb) of the console and `zc`, made with dpkg-deb
//! from the built binaries (the window's interface is embedded in the console binary). Release
//! builds by default; `--debug` packages the debug build, which is what the package test uses
//! (it checks the packaging, not the optimiser). The Windows installer is built on Windows with
//! the Tauri CLI: docs/packaging.md.

use crate::{Result, cargo, root, status, target_dir};
use std::path::{Path, PathBuf};
use std::process::Command;

/// What the console needs at run time on Debian/Ubuntu (WebKitGTK, the tray's AppIndicator, the
/// Secret Service for the keyring).
const DEPENDS: &str = "libwebkit2gtk-4.1-0, libgtk-3-0, libayatana-appindicator3-1, libdbus-1-3, \
                       gnome-keyring | kwalletmanager | keepassxc";

pub fn bundle(args: &[String]) -> Result<PathBuf> {
    let debug = args.iter().any(|a| a == "--debug");
    let profile = if debug { "debug" } else { "release" };
    let mut b = cargo();
    b.args(["build", "-p", "zeroclient-desktop", "-p", "zc-cli"]);
    if !debug {
        b.arg("--release");
    }
    status(b, &format!("building the console and zc ({profile})"))?;
    let bins = target_dir().join(profile);
    let version = workspace_version()?;
    let arch = output(Command::new("dpkg").arg("--print-architecture"))?;
    let stage = target_dir().join("bundle").join(format!("zeroclient_{version}_{arch}"));
    let _ = std::fs::remove_dir_all(&stage);
    let copy = |from: &Path, to: &str, mode: u32| -> Result {
        let dest = stage.join(to);
        std::fs::create_dir_all(dest.parent().unwrap()).map_err(|e| e.to_string())?;
        std::fs::copy(from, &dest).map_err(|e| format!("{}: {e}", from.display()))?;
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&dest, std::fs::Permissions::from_mode(mode)).map_err(|e| e.to_string())
    };
    copy(&bins.join("zeroclient"), "usr/bin/zeroclient", 0o755)?;
    copy(&bins.join("zc"), "usr/bin/zc", 0o755)?;
    let icons = root().join("icons");
    copy(&icons.join("32x32.png"), "usr/share/icons/hicolor/32x32/apps/zeroclient.png", 0o644)?;
    copy(&icons.join("128x128.png"), "usr/share/icons/hicolor/128x128/apps/zeroclient.png", 0o644)?;
    copy(&icons.join("128x128@2x.png"), "usr/share/icons/hicolor/256x256/apps/zeroclient.png", 0o644)?;
    write(&stage, "usr/share/applications/zeroclient.desktop", DESKTOP_ENTRY)?;
    write(&stage, "usr/share/doc/zeroclient/copyright", &copyright())?;
    let installed_kib = du_kib(&stage);
    write(
        &stage,
        "DEBIAN/control",
        &format!(
            "Package: zeroclient\nVersion: {version}\nArchitecture: {arch}\nMaintainer: ZeroClient <team@zeroclient.invalid>\n\
             Installed-Size: {installed_kib}\nDepends: {DEPENDS}\nSection: utils\nPriority: optional\n\
             Homepage: https://zeroclient.invalid\n\
             Description: Operator console for industrial monitoring with poor connectivity\n \
             ZeroClient watches backend connections (stations), keeps working offline, records\n \
             every status change and raw metric locally, keeps API keys in the OS keyring, and\n \
             raises ISA-18.2 alarms. Includes the zc command-line tool.\n"
        ),
    )?;
    let deb = target_dir()
        .join("bundle")
        .join(format!("zeroclient_{version}_{arch}{}.deb", if debug { "-debug" } else { "" }));
    let mut d = Command::new("dpkg-deb");
    d.args(["--root-owner-group", "--build"]);
    // A debug build is large and only for the test: fast compression.
    if debug {
        d.args(["-Zgzip", "-z1"]);
    }
    d.arg(&stage).arg(&deb);
    status(d, &format!("dpkg-deb: {}", deb.display()))?;
    let _ = std::fs::remove_dir_all(&stage);
    eprintln!("xtask: the package is {}", deb.display());
    Ok(deb)
}

const DESKTOP_ENTRY: &str = "[Desktop Entry]\nType=Application\nName=ZeroClient\n\
GenericName=Operator Console\nComment=Monitor stations and alarms, offline first\n\
Exec=zeroclient\nIcon=zeroclient\nTerminal=false\nCategories=Utility;Monitor;\n\
StartupWMClass=zeroclient\n";

fn copyright() -> String {
    "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\nUpstream-Name: zeroclient\n\n\
     Files: *\nLicense: see the project's repository\n"
        .to_owned()
}

fn write(stage: &Path, to: &str, text: &str) -> Result {
    let dest = stage.join(to);
    std::fs::create_dir_all(dest.parent().unwrap()).map_err(|e| e.to_string())?;
    std::fs::write(&dest, text).map_err(|e| format!("{}: {e}", dest.display()))
}

fn du_kib(dir: &Path) -> u64 {
    fn walk(p: &Path) -> u64 {
        match std::fs::read_dir(p) {
            Ok(entries) => entries.flatten().map(|e| walk(&e.path())).sum(),
            Err(_) => std::fs::metadata(p).map(|m| m.len()).unwrap_or(0),
        }
    }
    walk(dir).div_ceil(1024)
}

fn output(c: &mut Command) -> Result<String> {
    let o = c.output().map_err(|e| e.to_string())?;
    if !o.status.success() {
        return Err(format!("{c:?} failed"));
    }
    Ok(String::from_utf8_lossy(&o.stdout).trim().to_owned())
}

/// The workspace's version (Cargo.toml `[workspace.package]`).
fn workspace_version() -> Result<String> {
    let text = std::fs::read_to_string(root().join("Cargo.toml")).map_err(|e| e.to_string())?;
    let mut in_package = false;
    for line in text.lines() {
        let l = line.trim();
        if l.starts_with('[') {
            in_package = l == "[workspace.package]";
        } else if in_package && let Some(v) = l.strip_prefix("version") {
            return Ok(v.trim_start_matches([' ', '=']).trim().trim_matches('"').to_owned());
        }
    }
    Err("no version in [workspace.package] of Cargo.toml".into())
}
