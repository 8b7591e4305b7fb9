//! The tray as a desktop panel sees it. A stand-in for the panel's StatusNotifierWatcher (test
//! double: no desktop runs under Xvfb) owns `org.kde.StatusNotifierWatcher` on the private
//! session bus, so the console registers its tray icon there as it would with a real panel; the
//! test then reads the icon and the menu, and clicks menu items, over the same D-Bus interfaces
//! (StatusNotifierItem, com.canonical.dbusmenu) a panel uses.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use zbus::interface;
use zbus::message::Header;
use zbus::proxy::CacheProperties;
use zbus::{OwnedObjectPath, OwnedVariant, Variant};

/// Items registered so far: (bus name, object path).
#[derive(Clone, Default)]
pub struct Items(Arc<Mutex<Vec<(String, String)>>>);

struct Watcher {
    items: Items,
}

#[interface(name = "org.kde.StatusNotifierWatcher")]
impl Watcher {
    async fn register_status_notifier_item(&mut self, service: String, #[zbus(header)] header: Header<'_>) {
        let sender = header.sender().map(|s| s.to_string()).unwrap_or_default();
        // An item names itself by its object path (AppIndicator) or by its bus name.
        let item = match service.starts_with('/') {
            true => (sender, service),
            false => (service, "/StatusNotifierItem".to_owned()),
        };
        self.items.0.lock().unwrap().push(item);
    }

    async fn register_status_notifier_host(&self, _service: String) {}

    #[zbus(property)]
    async fn registered_status_notifier_items(&self) -> Vec<String> {
        self.items.0.lock().unwrap().iter().map(|(s, p)| format!("{s}{p}")).collect()
    }

    #[zbus(property)]
    async fn is_status_notifier_host_registered(&self) -> bool {
        true
    }

    #[zbus(property)]
    async fn protocol_version(&self) -> i32 {
        0
    }
}

/// Serves the watcher until the returned connection is dropped.
pub async fn serve() -> Result<(zbus::Connection, Items), String> {
    let items = Items::default();
    let conn = zbus::connection::Builder::session()
        .name("org.kde.StatusNotifierWatcher")
        .serve_at("/StatusNotifierWatcher", Watcher { items: items.clone() })
        .build()
        .await
        .map_err(|e| format!("cannot own org.kde.StatusNotifierWatcher on the session bus: {e}"))?;
    Ok((conn, items))
}

/// One menu entry as the panel would draw it.
#[derive(Debug, Clone)]
pub struct Entry {
    pub id: i32,
    pub label: String,
    pub enabled: bool,
}

/// The console's tray item, read fresh on every call (never cached).
pub struct Item {
    conn: zbus::Connection,
    service: String,
    path: String,
}

type Layout = (i32, HashMap<String, OwnedVariant>, Vec<OwnedVariant>);

impl Item {
    /// The most recently registered item whose owner is still on the bus.
    pub async fn find(conn: &zbus::Connection, items: &Items) -> Result<Option<Item>, String> {
        let list = items.0.lock().unwrap().clone();
        let dbus = zbus::fdo::DBusProxy::new(conn).await.map_err(|e| e.to_string())?;
        for (service, path) in list.into_iter().rev() {
            let name = zbus::names::BusName::try_from(service.as_str()).map_err(|e| e.to_string())?;
            if dbus.name_has_owner(name).await.map_err(|e| e.to_string())? {
                return Ok(Some(Item { conn: conn.clone(), service, path }));
            }
        }
        Ok(None)
    }

    /// Whether the item's owner (the console) is still on the bus.
    pub async fn alive(&self) -> Result<bool, String> {
        let dbus = zbus::fdo::DBusProxy::new(&self.conn).await.map_err(|e| e.to_string())?;
        let name = zbus::names::BusName::try_from(self.service.as_str()).map_err(|e| e.to_string())?;
        dbus.name_has_owner(name).await.map_err(|e| e.to_string())
    }

    /// The console's process (the item's owner on the bus).
    pub async fn pid(&self) -> Result<u32, String> {
        let dbus = zbus::fdo::DBusProxy::new(&self.conn).await.map_err(|e| e.to_string())?;
        let name = zbus::names::BusName::try_from(self.service.as_str()).map_err(|e| e.to_string())?;
        dbus.get_connection_unix_process_id(name).await.map_err(|e| e.to_string())
    }

    async fn proxy(&self, path: &str, interface: &'static str) -> Result<zbus::Proxy<'static>, String> {
        zbus::proxy::Builder::new(&self.conn)
            .destination(self.service.clone())
            .path(path.to_owned())
            .interface(interface)
            .cache_properties(CacheProperties::No)
            .build()
            .await
            .map_err(|e| e.to_string())
    }

    /// The icon's picture as the panel would load it (a PNG file the item names).
    pub async fn icon_png(&self) -> Result<Vec<u8>, String> {
        let item = self.proxy(&self.path, "org.kde.StatusNotifierItem").await?;
        let name: String = item.get_property("IconName").await.map_err(|e| format!("IconName: {e}"))?;
        let path = if name.starts_with('/') {
            std::path::PathBuf::from(&name)
        } else {
            let dir: String = item.get_property("IconThemePath").await.map_err(|e| format!("IconThemePath: {e}"))?;
            std::path::Path::new(&dir).join(format!("{name}.png"))
        };
        let path = if path.extension().is_none() { path.with_extension("png") } else { path };
        std::fs::read(&path).map_err(|e| format!("the tray's icon {}: {e}", path.display()))
    }

    async fn menu(&self) -> Result<zbus::Proxy<'static>, String> {
        let item = self.proxy(&self.path, "org.kde.StatusNotifierItem").await?;
        let menu: OwnedObjectPath = item.get_property("Menu").await.map_err(|e| format!("Menu: {e}"))?;
        self.proxy(menu.as_str(), "com.canonical.dbusmenu").await
    }

    /// The menu's entries, top level, separators left out.
    pub async fn entries(&self) -> Result<Vec<Entry>, String> {
        let menu = self.menu().await?;
        let _: bool = menu.call("AboutToShow", &(0i32,)).await.unwrap_or(false);
        let (_, (_, _, children)): (u32, Layout) =
            menu.call("GetLayout", &(0i32, 1i32, Vec::<String>::new())).await.map_err(|e| format!("GetLayout: {e}"))?;
        let mut out = Vec::new();
        for child in children {
            let (id, props, _): Layout = Layout::try_from(child).map_err(|e| format!("a menu entry: {e}"))?;
            let text = |k: &str| props.get(k).and_then(|v| String::try_from(v.clone()).ok());
            if text("type").as_deref() == Some("separator") {
                continue;
            }
            let enabled = props.get("enabled").and_then(|v| bool::try_from(v.clone()).ok()).unwrap_or(true);
            // GTK's mnemonic underscores are not part of what the panel shows.
            out.push(Entry { id, label: text("label").unwrap_or_default().replace('_', ""), enabled });
        }
        Ok(out)
    }

    /// Clicks the entry whose label starts with `label`, as the panel does.
    pub async fn click(&self, label: &str) -> Result<(), String> {
        let entries = self.entries().await?;
        let e = entries
            .iter()
            .find(|e| e.label.starts_with(label))
            .ok_or_else(|| format!("no menu entry '{label}' in {entries:?}"))?;
        let menu = self.menu().await?;
        let () = menu
            .call("Event", &(e.id, "clicked", Variant::from(0i32), 0u32))
            .await
            .map_err(|e| format!("clicking '{label}': {e}"))?;
        Ok(())
    }
}

/// The icon as a person sees it: its fully opaque colours, and the pixel at its centre (RGBA),
/// which tells a filled shape with a mark from a hollow one.
pub struct Icon {
    pub colours: Vec<[u8; 3]>,
    pub centre: [u8; 4],
}

pub fn icon(png_bytes: &[u8]) -> Result<Icon, String> {
    let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut reader = decoder.read_info().map_err(|e| e.to_string())?;
    let mut buf = vec![0; reader.output_buffer_size().ok_or("the icon is too large")?];
    let info = reader.next_frame(&mut buf).map_err(|e| e.to_string())?;
    if info.color_type != png::ColorType::Rgba {
        return Err(format!("the icon is {:?}, not RGBA", info.color_type));
    }
    let px = |x: u32, y: u32| {
        let i = ((y * info.width + x) * 4) as usize;
        [buf[i], buf[i + 1], buf[i + 2], buf[i + 3]]
    };
    let mut colours: Vec<[u8; 3]> = Vec::new();
    for y in 0..info.height {
        for x in 0..info.width {
            let p = px(x, y);
            if p[3] == 255 && !colours.contains(&[p[0], p[1], p[2]]) {
                colours.push([p[0], p[1], p[2]]);
            }
        }
    }
    // Just left of the middle: inside the mark of an alarm's triangle.
    let centre = px(info.width * 15 / 32, info.height / 2);
    Ok(Icon { colours, centre })
}
