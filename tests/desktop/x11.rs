//! The console's window as a window manager sees it on the X display: whether it is mapped
//! (shown), and asking it to close exactly as a window manager does when the person clicks its
//! close button (a `WM_DELETE_WINDOW` message; no window manager runs under Xvfb).

use x11rb::connection::Connection;
use x11rb::protocol::xproto::{ClientMessageEvent, ConnectionExt, EventMask, MapState, Window};
use x11rb::rust_connection::RustConnection;

/// The console window's title (tauri.conf.json).
const TITLE: &str = "ZeroClient — Operator Console";

pub struct Display {
    conn: RustConnection,
    root: Window,
}

impl Display {
    pub fn open() -> Result<Display, String> {
        let (conn, screen) = x11rb::connect(None).map_err(|e| format!("cannot open the X display: {e}"))?;
        let root = conn.setup().roots[screen].root;
        Ok(Display { conn, root })
    }

    fn atom(&self, name: &str) -> Result<u32, String> {
        Ok(self
            .conn
            .intern_atom(false, name.as_bytes())
            .map_err(|e| e.to_string())?
            .reply()
            .map_err(|e| e.to_string())?
            .atom)
    }

    /// The console's top-level window, if it exists (mapped or not).
    pub fn console_window(&self) -> Result<Option<Window>, String> {
        let net_wm_name = self.atom("_NET_WM_NAME")?;
        let utf8 = self.atom("UTF8_STRING")?;
        let tree = self.conn.query_tree(self.root).map_err(|e| e.to_string())?.reply().map_err(|e| e.to_string())?;
        for w in tree.children {
            let Ok(cookie) = self.conn.get_property(false, w, net_wm_name, utf8, 0, 256) else { continue };
            let Ok(prop) = cookie.reply() else { continue };
            if prop.value == TITLE.as_bytes() {
                return Ok(Some(w));
            }
        }
        Ok(None)
    }

    /// Whether the console's window is shown.
    pub fn console_shown(&self) -> Result<bool, String> {
        let Some(w) = self.console_window()? else { return Ok(false) };
        let a = self.conn.get_window_attributes(w).map_err(|e| e.to_string())?.reply().map_err(|e| e.to_string())?;
        Ok(a.map_state == MapState::VIEWABLE)
    }

    /// Clicks the window's close button, as a window manager relays it.
    pub fn close_console(&self) -> Result<(), String> {
        let w = self.console_window()?.ok_or("the console has no window on the display")?;
        let protocols = self.atom("WM_PROTOCOLS")?;
        let delete = self.atom("WM_DELETE_WINDOW")?;
        let event = ClientMessageEvent::new(32, w, protocols, [delete, x11rb::CURRENT_TIME, 0, 0, 0]);
        self.conn.send_event(false, w, EventMask::NO_EVENT, event).map_err(|e| e.to_string())?;
        self.conn.flush().map_err(|e| e.to_string())?;
        Ok(())
    }
}
