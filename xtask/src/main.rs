//! Project automation: `cargo xtask run | test | bench | soak`.
//!
//! Installs the Debian/Ubuntu packages each command needs (as root, or through sudo), or prints
//! the exact command when it cannot. Tests that use the OS keyring run inside a private D-Bus
//! session with an unlocked gnome-keyring and a throwaway HOME, so they never touch yours.

mod bundle;
mod disk;
mod packages;
mod session;
mod ui;

use packages::ensure as ensure_packages;
use session::in_keyring_session;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (cmd, mut rest) = args.split_first().map(|(c, r)| (c.as_str(), r.to_vec())).unwrap_or(("help", vec![]));
    // `cargo xtask run -- --for 2m` and `cargo xtask run --for 2m` mean the same.
    if rest.first().is_some_and(|a| a == "--") {
        rest.remove(0);
    }
    let result = match cmd {
        "run" => run(&rest),
        "test" => test(&rest),
        "bench" => bench(&rest),
        "soak" => soak(&rest),
        "bindings" => bindings(),
        "bundle" => bundle_cmd(&rest),
        _ => {
            eprintln!(
                "usage: cargo xtask <run|test|bench|soak|bundle|bindings> [args]\n  run    the desktop console on the embedded default (three simulated stations); without a display, the headless demo\n  test   every test and a short soak (installs what it needs)\n  bench  the benchmarks, each against its baseline\n  soak   the fault-injection soak: [--rounds N] [--seed S] [--only K] [--report FILE]\n  bundle the Linux package (target/bundle/*.deb; --debug for the debug build)\n  bindings  regenerate ui/src/bindings from the Rust types"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

pub(crate) type Result<T = ()> = std::result::Result<T, String>;

pub(crate) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_owned()
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root().join("target"))
}

fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(root());
    c
}

pub(crate) fn status(mut c: Command, what: &str) -> Result {
    eprintln!("xtask: {what}");
    let st = c.status().map_err(|e| format!("{what}: cannot start: {e}"))?;
    if st.success() { Ok(()) } else { Err(format!("{what} failed ({st})")) }
}

/// Arguments single-quoted for `sh -c`.
fn shell_words(args: &[String]) -> Vec<String> {
    args.iter().map(|a| format!("'{}'", a.replace('\'', "'\\''"))).collect()
}

/// Whether a window can open here: an X11 or Wayland display is set.
fn has_display() -> bool {
    ["DISPLAY", "WAYLAND_DISPLAY"].iter().any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()))
}

/// Node and npm from the machine, or Debian's when it has none.
fn ensure_node() -> Result {
    if Command::new("npm").arg("--version").output().is_ok_and(|o| o.status.success()) {
        return Ok(());
    }
    ensure_packages(packages::NODE)
}

fn run(args: &[String]) -> Result {
    ensure_packages(packages::BUILD)?;
    if has_display() {
        ensure_packages(packages::DESKTOP)?;
    }
    let data = std::env::var_os("ZC_DATA_DIR").map(PathBuf::from).unwrap_or_else(|| target_dir().join("demo-data"));
    let quoted = shell_words(args);
    let needs_session = std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none();
    if needs_session {
        ensure_packages(packages::SESSION)?;
    }
    if !has_display() {
        eprintln!(
            "xtask: no display here (DISPLAY and WAYLAND_DISPLAY are unset): running the headless demo (zc demo) instead of the console window"
        );
        let mut b = cargo();
        b.args(["build", "--release", "-p", "zc-cli"]);
        status(b, "building zc")?;
        let zc = target_dir().join("release").join("zc");
        eprintln!(
            "xtask: data directory {} (inspect with: {} --data-dir {} history demo-west)",
            data.display(),
            zc.display(),
            data.display()
        );
        if !needs_session {
            let mut c = Command::new(&zc);
            c.arg("--data-dir").arg(&data).arg("demo").args(args);
            return status(c, "starting the demo (zc demo)");
        }
        let c = in_keyring_session(
            &target_dir().join("demo-session"),
            &format!("exec '{}' --data-dir '{}' demo {}", zc.display(), data.display(), quoted.join(" ")),
        );
        return status(c, "starting the demo (zc demo)");
    }
    ensure_node()?;
    ui::install(false)?;
    ui::build()?;
    let mut b = cargo();
    b.args(["build", "-p", "zeroclient-desktop"]);
    status(b, "building the console")?;
    let app = target_dir().join("debug").join("zeroclient");
    eprintln!("xtask: the console on the demo; data directory {}", data.display());
    if !needs_session {
        let mut c = Command::new(&app);
        c.arg("--data-dir").arg(&data).arg("--demo").args(args);
        return status(c, "starting the console");
    }
    eprintln!(
        "xtask: no desktop session bus: starting a private D-Bus session and an unlocked gnome-keyring for the demo's keys"
    );
    let c = in_keyring_session(
        &target_dir().join("demo-session"),
        &format!("exec '{}' --data-dir '{}' --demo {}", app.display(), data.display(), quoted.join(" ")),
    );
    status(c, "starting the console")
}

/// tauri-driver (the WebDriver server for Tauri apps), installed once into target/tools.
fn ensure_tauri_driver() -> Result<PathBuf> {
    let tools = target_dir().join("tools");
    let bin = tools.join("bin").join("tauri-driver");
    if bin.exists() {
        return Ok(bin);
    }
    let mut c = cargo();
    c.args(["install", "tauri-driver", "--version", "2.1.0", "--locked", "--root"]).arg(&tools);
    status(c, "installing tauri-driver 2.1.0 into target/tools")?;
    Ok(bin)
}

fn bindings() -> Result {
    let mut c = cargo();
    c.args(["test", "-p", "zc-app", "--test", "bindings"]).env("ZC_WRITE_BINDINGS", "1");
    status(c, "regenerating ui/src/bindings")
}

fn test(args: &[String]) -> Result {
    disk::ensure_room(&target_dir(), disk::TEST_NEEDS_GB, "cargo xtask test")?;
    let mut all: Vec<&str> = packages::BUILD.to_vec();
    all.extend(packages::SESSION);
    all.extend(packages::TEST);
    all.extend(packages::DESKTOP);
    all.extend(packages::DESKTOP_E2E);
    ensure_packages(&all)?;
    ensure_node()?;
    let mut fmt = cargo();
    fmt.args(["fmt", "--all", "--", "--check"]);
    status(fmt, "cargo fmt --check")?;
    // The frontend first: the desktop binary embeds what it builds.
    ui::install(true)?;
    ui::check()?;
    ui::build()?;
    let mut clippy = cargo();
    clippy.args(["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]);
    status(clippy, "cargo clippy -D warnings")?;
    // The end-to-end tests and the soak run the real binaries.
    let mut b = cargo();
    b.args(["build", "-p", "zc-cli", "-p", "zc-faultfs", "-p", "zc-soak", "-p", "zeroclient-desktop"]);
    status(b, "building zc, the console and the soak")?;
    // The package test checks the .deb of this build (its contents, and that its console starts).
    let deb = bundle::bundle(&["--debug".into()])?;
    let driver = ensure_tauri_driver()?;
    let extra = shell_words(args);
    let mut c = in_keyring_session(
        &target_dir().join("test-session"),
        // Under a virtual display: the desktop end-to-end tests open the real window.
        &format!(
            "exec xvfb-run -a -s '-screen 0 1600x1000x24' cargo test --workspace --exclude xtask --exclude zc-bare-window --all-targets --no-fail-fast {}",
            extra.join(" ")
        ),
    );
    c.env("ZC_TAURI_DRIVER", &driver)
        .env("ZC_DESKTOP_BIN", target_dir().join("debug").join("zeroclient"))
        .env("ZC_DEB", &deb);
    eprintln!("xtask: cargo test (in a private keyring session)");
    // Stream the output and add up cargo's per-binary results into one closing line.
    c.stdout(std::process::Stdio::piped());
    let mut child = c.spawn().map_err(|e| format!("cannot start the tests: {e}"))?;
    let (mut passed, mut failed) = (0u64, 0u64);
    let out = child.stdout.take().expect("piped stdout");
    for line in std::io::BufRead::lines(std::io::BufReader::new(out)).map_while(std::result::Result::ok) {
        println!("{line}");
        if let Some(rest) = line.strip_prefix("test result: ") {
            let num = |word: &str| {
                rest.split(';').find_map(|part| {
                    part.trim().strip_suffix(word).and_then(|n| n.trim().split(' ').next_back()?.parse::<u64>().ok())
                })
            };
            passed += num(" passed").unwrap_or(0);
            failed += num(" failed").unwrap_or(0);
        }
    }
    let st = child.wait().map_err(|e| e.to_string())?;
    println!("tests: {passed} passed, {failed} failed");
    // The soak runs even when a test failed, so one run reports everything.
    let soaked =
        run_soak(&["--rounds".into(), CI_SOAK_ROUNDS.to_string(), "--sync-rounds".into(), CI_SYNC_ROUNDS.to_string()]);
    if !(st.success() && failed == 0) {
        return Err(format!("tests failed ({st})"));
    }
    soaked
}

/// Rounds of the soak in `cargo xtask test` (about 3 s each). Every round stops a monitor with
/// probes in flight, half of them on the writer's tick: see docs/reliability.md for the odds
/// that this catches a regression of the lost-batch bug.
const CI_SOAK_ROUNDS: u32 = 40;
/// Sync rounds of the soak in `cargo xtask test`: `zc sync now` killed 3 to 6 times each while
/// it pushes a backlog to a real PostgreSQL (docs/central.md).
const CI_SYNC_ROUNDS: u32 = 8;

fn soak(args: &[String]) -> Result {
    let mut all: Vec<&str> = packages::BUILD.to_vec();
    all.extend(packages::SESSION);
    all.extend(packages::CENTRAL);
    ensure_packages(&all)?;
    let mut b = cargo();
    b.args(["build", "-p", "zc-cli", "-p", "zc-faultfs", "-p", "zc-soak"]);
    status(b, "building zc and the soak")?;
    run_soak(args)
}

/// The soak (debug build of the real `zc`, the fault library) in a private keyring session.
fn run_soak(args: &[String]) -> Result {
    let debug = target_dir().join("debug");
    let quoted = shell_words(args);
    let mut c = in_keyring_session(
        &target_dir().join("soak-session"),
        &format!(
            "exec '{}' --zc '{}' --faultfs '{}' {}",
            debug.join("zc-soak").display(),
            debug.join("zc").display(),
            debug.join("libzc_faultfs.so").display(),
            quoted.join(" ")
        ),
    );
    c.env("ZC_SOAK_KEEP", target_dir().join("soak-failures"));
    status(c, "the fault-injection soak")
}

/// `cargo xtask bundle [--debug]`: the frontend, then the .deb.
fn bundle_cmd(args: &[String]) -> Result {
    ensure_packages(packages::BUILD)?;
    ensure_node()?;
    ui::install(false)?;
    ui::build()?;
    bundle::bundle(args).map(|_| ())
}

fn bench(args: &[String]) -> Result {
    let mut all: Vec<&str> = packages::BUILD.to_vec();
    all.extend(packages::DESKTOP);
    all.extend(packages::DESKTOP_E2E);
    all.extend(packages::CENTRAL);
    ensure_packages(&all)?;
    ensure_node()?;
    ui::install(false)?;
    ui::build()?;
    let mut b = cargo();
    // The console and its baseline, a bare Tauri window, built alike (release).
    b.args(["build", "--release", "-p", "zc-bench", "-p", "zeroclient-desktop", "-p", "zc-bare-window"]);
    status(b, "building the benchmarks, the console and the bare window (release)")?;
    let driver = ensure_tauri_driver()?;
    let release = target_dir().join("release");
    let bin = release.join("zc-bench");
    let quoted = shell_words(args);
    let env = |c: &mut Command| {
        c.env("ZC_TAURI_DRIVER", &driver)
            .env("ZC_DESKTOP_BIN", release.join("zeroclient"))
            .env("ZC_BARE_WINDOW_BIN", release.join("zc-bare-window"));
    };
    // The window benchmarks need a display: a virtual one unless there is one.
    let display = if has_display() { "" } else { "xvfb-run -a -s '-screen 0 1600x1000x24' " };
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some() {
        let mut c = Command::new("sh");
        c.args(["-c", &format!("exec {display}'{}' {}", bin.display(), quoted.join(" "))]);
        env(&mut c);
        return status(c, "running the benchmarks");
    }
    // The monitor benchmark stores its 1,000 keys in a real keyring, like the console does.
    ensure_packages(packages::SESSION)?;
    let mut c = in_keyring_session(
        &target_dir().join("bench-session"),
        &format!("exec {display}'{}' {}", bin.display(), quoted.join(" ")),
    );
    env(&mut c);
    status(c, "running the benchmarks (in a private keyring session)")
}
