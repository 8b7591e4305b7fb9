//! A private D-Bus session with an unlocked gnome-keyring and a throwaway HOME, so tests and the
//! demo never touch a real keyring.

use crate::root;
use std::path::Path;
use std::process::Command;

fn tool_homes() -> (String, String) {
    let home = std::env::var("HOME").unwrap_or_else(|_| "/root".into());
    let cargo_home = std::env::var("CARGO_HOME").unwrap_or_else(|_| format!("{home}/.cargo"));
    let rustup_home = std::env::var("RUSTUP_HOME").unwrap_or_else(|_| format!("{home}/.rustup"));
    (cargo_home, rustup_home)
}

/// A command run inside a private D-Bus session with an unlocked gnome-keyring whose files live
/// in `home` (a throwaway directory), so no real keyring is touched.
pub fn in_keyring_session(home: &Path, inner: &str) -> Command {
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
