//! The tray icon: the console's worst current state while its window is hidden, and a menu to
//! open it, go to the alarms, or quit. Closing the window hides it and monitoring goes on;
//! quitting with alarms active asks first, in the window (the core says what is active).
//!
//! Where the platform has no tray (a Linux desktop without the AppIndicator library), there is no
//! icon to come back through, so closing the window quits, asking the same way.

use crate::shell::Shell;
use crate::tray_image::{self, Picture};
use serde::Serialize;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tauri::image::Image;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::{TrayIcon, TrayIconBuilder};
use tauri::{AppHandle, Emitter, Manager, Wry};
use tauri_plugin_notification::NotificationExt;
use zc_app::QuitCheck;
use zc_app::zc_domain::ErrorCode;

/// What the shell tells the window beyond the console's events.
pub const SHELL_EVENTS: &str = "zc://shell";

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ShellEvent {
    /// Show this view (the tray's "Alarms" item).
    Navigate { view: &'static str },
    /// Quitting was asked for while alarms are active (or which are cannot be read: `None`):
    /// the window asks the person.
    ConfirmQuit { check: Option<QuitCheck> },
}

/// As often as the alarm list and the notifications look.
const EVERY: Duration = Duration::from_secs(1);

/// The tray, when the platform has one (managed state either way).
#[derive(Clone, Default)]
pub struct Tray(Option<Arc<Shown>>);

struct Shown {
    icon: TrayIcon,
    status: MenuItem<Wry>,
    open: MenuItem<Wry>,
    alarms: MenuItem<Wry>,
    quit: MenuItem<Wry>,
    /// What the icon shows now, to change it only when that changes.
    now: Mutex<Option<Look>>,
    /// The window was hidden to the tray once this run (the person is told the first time).
    hidden_once: AtomicBool,
}

#[derive(Debug, Clone, PartialEq)]
struct Look {
    picture: Picture,
    line: String,
    /// Unacknowledged alarms, shown beside the icon where the panel shows a label.
    count: u32,
    language: String,
}

/// The words of the tray's menu.
struct Words {
    open: &'static str,
    alarms: &'static str,
    quit: &'static str,
    signed_out: &'static str,
    unreadable: &'static str,
    kept: &'static str,
    kept_body: &'static str,
}

fn words(language: &str) -> Words {
    match language {
        "de" => Words {
            open: "Konsole öffnen",
            alarms: "Alarme anzeigen …",
            quit: "ZeroClient beenden …",
            signed_out: "Abgemeldet: zum Anzeigen des Zustands anmelden",
            unreadable: "Zustand nicht lesbar",
            kept: "ZeroClient überwacht weiter",
            kept_body: "Das Fenster ist geschlossen; die Überwachung läuft im Infobereich weiter. Beenden über dessen Menü.",
        },
        _ => Words {
            open: "Open console",
            alarms: "Show alarms …",
            quit: "Quit ZeroClient …",
            signed_out: "Signed out: sign in to see the status",
            unreadable: "Status cannot be read",
            kept: "ZeroClient keeps monitoring",
            kept_body: "The window is closed; monitoring goes on in the tray. Quit from its menu.",
        },
    }
}

/// Whether the platform can show a tray icon. On Linux the AppIndicator library is loaded when
/// the first icon is made, and its absence is a panic there: look for it first.
fn platform_has_tray() -> bool {
    #[cfg(target_os = "linux")]
    {
        const LIBS: [&str; 4] = [
            "libayatana-appindicator3.so.1",
            "libappindicator3.so.1",
            "libayatana-appindicator3.so",
            "libappindicator3.so",
        ];
        // SAFETY: these libraries run no code of concern when loaded; the handle is dropped.
        LIBS.iter().any(|l| unsafe { libloading::Library::new(l) }.is_ok())
    }
    #[cfg(not(target_os = "linux"))]
    true
}

/// Makes the tray icon (if the platform has a tray) and keeps it up to date.
pub fn start(app: &tauri::App) -> Tray {
    if !platform_has_tray() {
        tracing::warn!("no tray on this desktop (no AppIndicator library): closing the window quits the console");
        app.manage(Tray(None));
        return Tray(None);
    }
    let tray = match build(app) {
        Ok(s) => Tray(Some(Arc::new(s))),
        Err(e) => {
            tracing::warn!("the tray icon cannot be made ({e}): closing the window quits the console");
            Tray(None)
        }
    };
    app.manage(tray.clone());
    if let Some(shown) = tray.0.clone() {
        let handle = app.handle().clone();
        tauri::async_runtime::spawn(async move {
            let mut tick = tokio::time::interval(EVERY);
            loop {
                tick.tick().await;
                let look = look(&handle).await;
                // The tray's setters wait for the main thread: they run there, never on a runtime
                // worker. A worker blocked on the main thread while the main thread waits for the
                // runtime (as it did at exit) was a deadlock that hung the console's stop.
                let shown = shown.clone();
                if handle.run_on_main_thread(move || shown.show(look)).is_err() {
                    return;
                }
            }
        });
    }
    tray
}

fn build(app: &tauri::App) -> tauri::Result<Shown> {
    let w = words("en");
    let status = MenuItem::with_id(app, "status", w.signed_out, false, None::<&str>)?;
    let open = MenuItem::with_id(app, "open", w.open, true, None::<&str>)?;
    let alarms = MenuItem::with_id(app, "alarms", w.alarms, true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", w.quit, true, None::<&str>)?;
    let menu = Menu::with_items(
        app,
        &[&status, &PredefinedMenuItem::separator(app)?, &open, &alarms, &PredefinedMenuItem::separator(app)?, &quit],
    )?;
    let icon = TrayIconBuilder::with_id("zeroclient")
        .icon(picture(Picture::SignedOut))
        .tooltip("ZeroClient")
        .menu(&menu)
        .show_menu_on_left_click(true)
        .on_menu_event(|handle, event| match event.id().as_ref() {
            "open" => show_window(handle),
            "alarms" => {
                show_window(handle);
                let _ = handle.emit(SHELL_EVENTS, ShellEvent::Navigate { view: "alarms" });
            }
            "quit" => request_quit(handle.clone()),
            _ => {}
        })
        .build(app)?;
    Ok(Shown { icon, status, open, alarms, quit, now: Mutex::new(None), hidden_once: AtomicBool::new(false) })
}

fn picture(p: Picture) -> Image<'static> {
    Image::new_owned(tray_image::draw(p), tray_image::SIZE, tray_image::SIZE)
}

/// What the tray should show now, as the core sees the console.
async fn look(handle: &AppHandle) -> Look {
    let shell = handle.state::<Shell>();
    let app = shell.app();
    let language = app.display_language().await;
    let w = words(&language);
    match app.console_summary().await {
        Ok(s) => Look {
            picture: Picture::Level(s.level, s.highest_unacknowledged),
            line: s.headline,
            count: s.alarms_unacknowledged,
            language,
        },
        Err(e) if e.code == ErrorCode::SignedOut => {
            Look { picture: Picture::SignedOut, line: w.signed_out.into(), count: 0, language }
        }
        Err(e) => Look {
            picture: Picture::Level(zc_app::SummaryLevel::Attention, None),
            line: format!("{}: {}", w.unreadable, e.message),
            count: 0,
            language,
        },
    }
}

impl Shown {
    fn show(&self, look: Look) {
        let mut now = self.now.lock().unwrap();
        if now.as_ref() == Some(&look) {
            return;
        }
        let before = now.replace(look.clone());
        if before.as_ref().map(|b| b.picture) != Some(look.picture) {
            let _ = self.icon.set_icon(Some(picture(look.picture)));
        }
        let _ = self.status.set_text(&look.line);
        let _ = self.icon.set_tooltip(Some(format!("ZeroClient — {}", look.line)));
        let _ = self.icon.set_title((look.count > 0).then(|| look.count.to_string()));
        if before.as_ref().map(|b| b.language.as_str()) != Some(look.language.as_str()) {
            let w = words(&look.language);
            let _ = self.open.set_text(w.open);
            let _ = self.alarms.set_text(w.alarms);
            let _ = self.quit.set_text(w.quit);
        }
    }
}

fn show_window(handle: &AppHandle) {
    if let Some(w) = handle.get_webview_window("main") {
        let _ = w.unminimize();
        let _ = w.show();
        let _ = w.set_focus();
    }
}

/// The window's close button: hidden to the tray when there is one (monitoring goes on), else a
/// quit, asked for as from the tray. The close itself never happens here: quitting ends the app.
pub fn on_close_requested(window: &tauri::Window, api: &tauri::CloseRequestApi) {
    let handle = window.app_handle().clone();
    api.prevent_close();
    let tray = handle.state::<Tray>().inner().clone();
    match tray.0 {
        Some(shown) => {
            let _ = window.hide();
            if !shown.hidden_once.swap(true, Ordering::SeqCst) {
                let language = shown.now.lock().unwrap().as_ref().map(|l| l.language.clone()).unwrap_or_default();
                let w = words(&language);
                let _ = handle.notification().builder().title(w.kept).body(w.kept_body).show();
            }
        }
        None => request_quit(handle),
    }
}

/// Quit, unless alarms are active: then the window asks (and [`quit`] follows a yes).
pub fn request_quit(handle: AppHandle) {
    tauri::async_runtime::spawn(async move {
        let shell = handle.state::<Shell>();
        match shell.app().quit_check().await {
            Ok(check) if !check.must_ask() => quit(&handle, check, false).await,
            Ok(check) => {
                show_window(&handle);
                let _ = handle.emit(SHELL_EVENTS, ShellEvent::ConfirmQuit { check: Some(check) });
            }
            // Not knowing what is active is no reason to quit without asking.
            Err(e) => {
                tracing::warn!("cannot tell which alarms are active before quitting: {}", e.message);
                show_window(&handle);
                let _ = handle.emit(SHELL_EVENTS, ShellEvent::ConfirmQuit { check: None });
            }
        }
    });
}

/// Records the quit and ends the app (which stops the monitor cleanly: see main.rs).
pub async fn quit(handle: &AppHandle, check: QuitCheck, confirmed: bool) {
    let shell = handle.state::<Shell>();
    if let Err(e) = shell.app().record_quit(&check, confirmed).await {
        tracing::warn!("the quit could not be recorded: {}", e.message);
    }
    handle.exit(0);
}
