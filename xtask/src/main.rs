//! Project automation: `cargo xtask run | test | bench | soak`.
//!
//! Installs the Debian/Ubuntu packages each command needs (as root, or through sudo), or prints
//! the exact command when it cannot. Tests that use the OS keyring run inside a private D-Bus
//! session with an unlocked gnome-keyring and a throwaway HOME, so they never touch yours.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// Needed to build (keyring's Secret Service client links libdbus).
const BUILD_PKGS: &[&str] = &["pkg-config", "libdbus-1-dev"];
/// Needed to run the keyring in a headless session, and by the tests' own checks.
const SESSION_PKGS: &[&str] = &["dbus", "dbus-x11", "gnome-keyring", "libsecret-tools"];
const TEST_PKGS: &[&str] = &["sqlite3"];

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
        _ => {
            eprintln!(
                "usage: cargo xtask <run|test|bench|soak> [args]\n  run    the console on the embedded default (until the desktop shell exists: `zc demo`)\n  test   every test and a short soak (installs what it needs)\n  bench  the benchmarks, each against its baseline\n  soak   the fault-injection soak: [--rounds N] [--seed S] [--only K] [--report FILE]"
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

type Result<T = ()> = std::result::Result<T, String>;

fn root() -> PathBuf {
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

fn status(mut c: Command, what: &str) -> Result {
    eprintln!("xtask: {what}");
    let st = c.status().map_err(|e| format!("{what}: cannot start: {e}"))?;
    if st.success() { Ok(()) } else { Err(format!("{what} failed ({st})")) }
}

fn is_root() -> bool {
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
fn ensure_packages(pkgs: &[&str]) -> Result {
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

/// Arguments single-quoted for `sh -c`.
fn shell_words(args: &[String]) -> Vec<String> {
    args.iter().map(|a| format!("'{}'", a.replace('\'', "'\\''"))).collect()
}

fn tool_homes() -> (String, String) {
    let home = std::env::var("HOME").unwrap_or_else(|_| "/root".into());
    let cargo_home = std::env::var("CARGO_HOME").unwrap_or_else(|_| format!("{home}/.cargo"));
    let rustup_home = std::env::var("RUSTUP_HOME").unwrap_or_else(|_| format!("{home}/.rustup"));
    (cargo_home, rustup_home)
}

/// A command run inside a private D-Bus session with an unlocked gnome-keyring whose files live
/// in `home` (a throwaway directory), so no real keyring is touched.
fn in_keyring_session(home: &Path, inner: &str) -> Command {
    let _ = std::fs::remove_dir_all(home);
    // dbus-daemon needs the runtime directory before it starts, private to us.
    let runtime = home.join("run");
    std::fs::create_dir_all(&runtime).expect("create the session's runtime directory");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700));
    }
    let (cargo_home, rustup_home) = tool_homes();
    let mut c = Command::new("dbus-run-session");
    c.current_dir(root())
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("share"))
        .env("XDG_RUNTIME_DIR", &runtime)
        .env("CARGO_HOME", cargo_home)
        .env("RUSTUP_HOME", rustup_home)
        .args(["--", "sh", "-c"])
        .arg(format!(
            // The daemon runs in the foreground as a child of this shell, so it lives exactly as
            // long as the session (a daemonised one outlives it), and the command starts only
            // once the daemon owns the Secret Service name on the bus.
            "printf %s xtask-session | gnome-keyring-daemon --foreground --unlock --components=secrets >/dev/null 2>&1 &
             i=0
             until dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
                   org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q 'boolean true'; do
               i=$((i+1)); [ $i -gt 300 ] && {{ echo 'xtask: gnome-keyring-daemon did not start' >&2; exit 1; }}; sleep 0.1
             done
             {inner}"
        ));
    c
}

fn run(args: &[String]) -> Result {
    ensure_packages(BUILD_PKGS)?;
    let mut b = cargo();
    b.args(["build", "--release", "-p", "zc-cli"]);
    status(b, "building zc")?;
    let zc = target_dir().join("release").join("zc");
    let data = std::env::var_os("ZC_DATA_DIR").map(PathBuf::from).unwrap_or_else(|| target_dir().join("demo-data"));
    let quoted = shell_words(args);
    eprintln!(
        "xtask: data directory {} (inspect with: {} --data-dir {} history demo-west)",
        data.display(),
        zc.display(),
        data.display()
    );
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some() {
        // A desktop session: use its keyring, as the console would.
        let mut c = Command::new(&zc);
        c.arg("--data-dir").arg(&data).arg("demo").args(args);
        return status(c, "starting the demo (zc demo)");
    }
    ensure_packages(SESSION_PKGS)?;
    eprintln!(
        "xtask: no desktop session bus: starting a private D-Bus session and an unlocked gnome-keyring for the demo"
    );
    let c = in_keyring_session(
        &target_dir().join("demo-session"),
        &format!("exec '{}' --data-dir '{}' demo {}", zc.display(), data.display(), quoted.join(" ")),
    );
    status(c, "starting the demo (zc demo)")
}

fn test(args: &[String]) -> Result {
    let mut all: Vec<&str> = BUILD_PKGS.to_vec();
    all.extend(SESSION_PKGS);
    all.extend(TEST_PKGS);
    ensure_packages(&all)?;
    let mut fmt = cargo();
    fmt.args(["fmt", "--all", "--", "--check"]);
    status(fmt, "cargo fmt --check")?;
    let mut clippy = cargo();
    clippy.args(["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]);
    status(clippy, "cargo clippy -D warnings")?;
    // The end-to-end tests and the soak run the real binary.
    let mut b = cargo();
    b.args(["build", "-p", "zc-cli", "-p", "zc-faultfs", "-p", "zc-soak"]);
    status(b, "building zc and the soak")?;
    let extra = shell_words(args);
    let mut c = in_keyring_session(
        &target_dir().join("test-session"),
        &format!("cargo test --workspace --exclude xtask --all-targets --no-fail-fast {}", extra.join(" ")),
    );
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
    let soaked = run_soak(&["--rounds".into(), CI_SOAK_ROUNDS.to_string()]);
    if !(st.success() && failed == 0) {
        return Err(format!("tests failed ({st})"));
    }
    soaked
}

/// Rounds of the soak in `cargo xtask test` (about 3 s each). Every round stops a monitor with
/// probes in flight, half of them on the writer's tick: see docs/reliability.md for the odds
/// that this catches a regression of the lost-batch bug.
const CI_SOAK_ROUNDS: u32 = 40;

fn soak(args: &[String]) -> Result {
    let mut all: Vec<&str> = BUILD_PKGS.to_vec();
    all.extend(SESSION_PKGS);
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

fn bench(args: &[String]) -> Result {
    ensure_packages(BUILD_PKGS)?;
    let mut b = cargo();
    b.args(["build", "--release", "-p", "zc-bench"]);
    status(b, "building the benchmarks (release)")?;
    let bin = target_dir().join("release").join("zc-bench");
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some() {
        let mut c = Command::new(bin);
        c.args(args);
        return status(c, "running the benchmarks");
    }
    // The monitor benchmark stores its 1,000 keys in a real keyring, like the console does.
    ensure_packages(SESSION_PKGS)?;
    let quoted = shell_words(args);
    let c = in_keyring_session(
        &target_dir().join("bench-session"),
        &format!("exec '{}' {}", bin.display(), quoted.join(" ")),
    );
    status(c, "running the benchmarks (in a private keyring session)")
}
