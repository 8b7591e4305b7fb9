//! ZeroClient desktop console: the Tauri v2 shell. It opens the data directory through zc-app,
//! runs the console feed (the monitor in-process, or following the one that holds the lock),
//! forwards its events to the window, and adapts IPC commands to zc-app calls. No business
//! logic lives here: the `zc` CLI calls the same functions and gives the same answers.
//!
//! A library with a thin `main`, so the updater's tests drive the same code (`updates`) with
//! Tauri's mock runtime.

mod commands;
mod events;
mod notify;
mod shell;
mod tray;
mod tray_image;
pub mod updates;

use shell::{Options, Shell};

/// Runs the console (what `main` does).
pub fn run() {
    let options = match Options::from_args(std::env::args().skip(1)) {
        Ok(o) => o,
        Err(usage) => {
            eprintln!("{usage}");
            std::process::exit(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    // Tauri's commands and zc-app's tasks share this runtime.
    tauri::async_runtime::set(runtime.handle().clone());
    let shell = match runtime.block_on(Shell::open(options)) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error[{}]: {}", e.code.as_str(), e.message);
            std::process::exit(1);
        }
    };
    let app = tauri::Builder::default()
        .plugin(tauri_plugin_notification::init())
        .manage(shell)
        .invoke_handler(tauri::generate_handler![
            commands::console::console_state,
            commands::console::control_room,
            commands::diagnostics::connection_detail,
            commands::diagnostics::status_history,
            commands::diagnostics::latency_chart,
            commands::diagnostics::metrics_page,
            commands::diagnostics::point_values,
            commands::diagnostics::check_key,
            commands::diagnostics::share_key,
            commands::connections::list_connections,
            commands::connections::connection_form,
            commands::connections::add_connection,
            commands::connections::update_connection,
            commands::connections::remove_connection,
            commands::activity::activity,
            commands::sync::sync_status,
            commands::sync::sync_now,
            commands::sync::retry_quarantined,
            commands::sync::discard_quarantined,
            commands::widgets::widget_notices,
            commands::widgets::resolve_widget_conflict,
            commands::widgets::dismiss_widget_notice,
            commands::export::default_export_path,
            commands::export::export_csv,
            commands::export::cancel_export,
            commands::export::export_chart,
            commands::alarms::alarms_view,
            commands::alarms::acknowledge_alarms,
            commands::alarms::shelve_alarm,
            commands::alarms::unshelve_alarm,
            commands::alarms::alarm_history,
            commands::alarms::maintenance_windows,
            commands::alarms::open_maintenance_window,
            commands::alarms::end_maintenance_window,
            commands::connections::inspect_certificate,
            commands::connections::trust_certificate,
            commands::session::sign_in_state,
            commands::session::create_first_admin,
            commands::session::sign_in,
            commands::session::sign_out,
            commands::widgets::widget_kinds,
            commands::widgets::widget_groups,
            commands::widgets::check_widget,
            commands::widgets::add_widget,
            commands::widgets::save_widget,
            commands::widgets::widget_history,
            commands::widgets::widget_diff,
            commands::widgets::restore_widget,
            commands::widgets::duplicate_widget,
            commands::widgets::remove_widget,
            commands::settings::settings,
            commands::settings::set_profile,
            commands::settings::set_notifications,
            commands::settings::set_theme,
            commands::settings::set_retention,
            commands::settings::notification_tally,
            commands::console::quit_console,
            commands::updates::update_info,
            commands::updates::check_for_updates,
            commands::updates::install_update,
            commands::updates::set_update_auto_check,
        ])
        .on_window_event(|window, event| {
            if let tauri::WindowEvent::CloseRequested { api, .. } = event {
                tray::on_close_requested(window, api);
            }
        })
        .setup(|app| {
            // The updater only in a build made with the release configuration (its key and
            // endpoint); without one the settings say so.
            if updates::configured(app.config()) {
                app.handle().plugin(tauri_plugin_updater::Builder::new().build())?;
                tauri::Manager::manage(app, updates::Configured);
                updates::start_auto_check(app.handle().clone());
            }
            tray::start(app);
            events::forward(app.handle().clone());
            notify::start(app.handle().clone());
            stop_on_signal(app.handle().clone());
            // After this line a SIGTERM stops the console cleanly (the package test waits for it).
            tracing::info!("console started: the window is open and SIGTERM stops it cleanly");
            Ok(())
        })
        .build(tauri::generate_context!())
        .unwrap_or_else(|e| {
            eprintln!("error[internal]: the console window cannot start ({e})");
            std::process::exit(1);
        });
    app.run(|handle, event| {
        use tauri::Manager;
        match event {
            // A clean stop (the monitor writes everything it holds), made while the event loop
            // still turns: the stop's last steps may need the main thread (the tray's setters
            // run there), which a loop blocked waiting for the stop would never give them. The
            // exit goes on once the console has stopped.
            tauri::RunEvent::ExitRequested { api, code, .. } if !handle.state::<Shell>().has_stopped() => {
                api.prevent_exit();
                let handle = handle.clone();
                tauri::async_runtime::spawn(async move {
                    handle.state::<Shell>().stop().await;
                    handle.exit(code.unwrap_or(0));
                });
            }
            // Only when the loop ended without asking first; otherwise the stop is done.
            tauri::RunEvent::Exit => tauri::async_runtime::block_on(handle.state::<Shell>().stop()),
            _ => {}
        }
    });
}

/// SIGTERM or SIGINT (a service manager, a shutdown, Ctrl-C in a terminal) ends the app the same
/// way closing its window does, so the monitor stops cleanly and writes everything it holds. The
/// handlers are installed before this returns (not when the task first runs), so a signal that
/// comes right after start-up is handled too, never the default action that kills the process.
fn stop_on_signal(handle: tauri::AppHandle) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        // `signal` needs the runtime's context; setup runs on the main thread outside it.
        let (term, int) = tauri::async_runtime::block_on(async {
            (signal(SignalKind::terminate()), signal(SignalKind::interrupt()))
        });
        let (Ok(mut term), Ok(mut int)) = (term, int) else {
            tracing::warn!("SIGTERM and SIGINT cannot be handled; closing the window stops the console cleanly");
            return;
        };
        tauri::async_runtime::spawn(async move {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
            tracing::info!("stop requested by a signal");
            handle.exit(0);
        });
    }
    #[cfg(not(unix))]
    tauri::async_runtime::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            handle.exit(0);
        }
    });
}
