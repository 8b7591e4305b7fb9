//! Tauri's build step: the config, the icons and the ACL. The UI's commands are listed here; the
//! capabilities grant exactly these to the main window, and nothing else can be called.

/// Every command the UI may call (see src/commands/). Kept in step with `generate_handler!` in
/// main.rs: a command missing here can never be called, one missing there fails to build.
const COMMANDS: &[&str] = &[
    "console_state",
    "control_room",
    "connection_detail",
    "status_history",
    "latency_chart",
    "metrics_page",
    "point_values",
    "check_key",
    "share_key",
    "list_connections",
    "connection_form",
    "add_connection",
    "update_connection",
    "remove_connection",
    "activity",
    "sync_status",
    "sync_now",
    "retry_quarantined",
    "discard_quarantined",
    "widget_notices",
    "resolve_widget_conflict",
    "dismiss_widget_notice",
    "default_export_path",
    "export_csv",
    "cancel_export",
    "export_chart",
    "alarms_view",
    "acknowledge_alarms",
    "shelve_alarm",
    "unshelve_alarm",
    "alarm_history",
    "maintenance_windows",
    "open_maintenance_window",
    "end_maintenance_window",
    "inspect_certificate",
    "trust_certificate",
    "sign_in_state",
    "create_first_admin",
    "sign_in",
    "sign_out",
    "widget_kinds",
    "widget_groups",
    "check_widget",
    "add_widget",
    "save_widget",
    "widget_history",
    "widget_diff",
    "restore_widget",
    "duplicate_widget",
    "remove_widget",
    "settings",
    "set_profile",
    "set_notifications",
    "set_theme",
    "set_retention",
    "notification_tally",
    "quit_console",
    "update_info",
    "check_for_updates",
    "install_update",
    "set_update_auto_check",
];

fn main() {
    // The window serves the built UI (`ui/dist`), embedded at compile time. On a clone where the
    // UI was never built, a placeholder page says how to build it instead of failing the build.
    let dist = std::path::Path::new("../ui/dist");
    if !dist.join("index.html").exists() {
        std::fs::create_dir_all(dist).expect("create ui/dist");
        std::fs::write(
            dist.join("index.html"),
            "<!doctype html><meta charset=utf-8><title>ZeroClient</title><body style=\"font:20px sans-serif;background:#2b3036;color:#e6e8ea;padding:3em\">The console's interface has not been built. Run <code>cargo xtask run</code>, which builds it (npm ci, vite build) and starts the console.",
        )
        .expect("write the placeholder page");
    }
    println!("cargo:rerun-if-changed=../ui/dist");
    tauri_build::try_build(
        tauri_build::Attributes::new().app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri-build");
}
