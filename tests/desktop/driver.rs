//! The real console in WebKit through tauri-driver, and waits for what a user would see.

use fantoccini::{Client, ClientBuilder, Locator};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// tauri-driver, stopped with SIGTERM (it then ends WebKitWebDriver and the app).
pub struct Driver {
    child: Child,
}

impl Driver {
    pub async fn start(bin: &Path, log: &Path) -> Result<Driver, String> {
        let log = std::fs::File::create(log).map_err(|e| e.to_string())?;
        let child = Command::new(bin)
            .args(["--port", "4444", "--native-driver", "/usr/bin/WebKitWebDriver"])
            .env("WEBKIT_DISABLE_COMPOSITING_MODE", "1")
            .stdout(Stdio::from(log.try_clone().map_err(|e| e.to_string())?))
            .stderr(Stdio::from(log))
            .spawn()
            .map_err(|e| format!("cannot start tauri-driver: {e}"))?;
        // Ready when it and WebKitWebDriver behind it (4445) accept connections (bounded): a
        // session asked for before the native driver listens fails half-way.
        let deadline = Instant::now() + Duration::from_secs(30);
        for port in [4444, 4445] {
            while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
                if Instant::now() > deadline {
                    return Err(format!("tauri-driver did not listen on {port} within 30 s"));
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        Ok(Driver { child })
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // SAFETY: signalling our own child.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let _ = self.child.wait();
        // tauri-driver SIGKILLs WebKitWebDriver without waiting for it: gone once its port is
        // free (bounded), so a driver started next never meets the old one's listener.
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline
            && [4444u16, 4445].iter().any(|p| std::net::TcpStream::connect(("127.0.0.1", *p)).is_ok())
        {
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Opens the console (the app binary) with `args` in a new WebDriver session.
pub async fn open_console(app: &Path, args: &[String]) -> Result<Client, String> {
    let mut caps = serde_json::Map::new();
    caps.insert("tauri:options".into(), serde_json::json!({"application": app, "args": args}));
    caps.insert("browserName".into(), serde_json::json!("wry"));
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect("http://127.0.0.1:4444")
        .await
        .map_err(|e| format!("cannot open a WebDriver session: {e}"))
}

/// Waits until `check` holds, looking every 200 ms for at most `limit`: a wait for a condition
/// the user would see, never a fixed sleep.
pub async fn wait_until<F, Fut>(what: &str, limit: Duration, mut check: F) -> Result<(), String>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<bool, String>>,
{
    let deadline = Instant::now() + limit;
    loop {
        if check().await? {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!("waited {} s for: {what}", limit.as_secs()));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

pub async fn count(c: &Client, css: &str) -> Result<usize, String> {
    c.find_all(Locator::Css(css)).await.map(|v| v.len()).map_err(|e| format!("find {css}: {e}"))
}

pub async fn wait_for(c: &Client, css: &str, limit: Duration) -> Result<(), String> {
    wait_until(css, limit, || async { Ok(count(c, css).await? > 0) }).await
}

pub async fn wait_gone(c: &Client, css: &str, limit: Duration) -> Result<(), String> {
    wait_until(&format!("no {css}"), limit, || async { Ok(count(c, css).await? == 0) }).await
}

pub async fn click(c: &Client, css: &str) -> Result<(), String> {
    let el = c.find(Locator::Css(css)).await.map_err(|e| format!("find {css}: {e}"))?;
    // WebDriver scrolls a target only until it is inside the viewport; a control just below the
    // sticky header (the alarm flood banner) is then under it, and the click is intercepted.
    // A person scrolls it to where they can see it first.
    c.execute(
        "arguments[0].scrollIntoView({block: 'center'})",
        vec![serde_json::to_value(&el).map_err(|e| e.to_string())?],
    )
    .await
    .map_err(|e| format!("scroll to {css}: {e}"))?;
    el.click().await.map_err(|e| format!("click {css}: {e:?}"))
}

pub async fn type_into(c: &Client, css: &str, text: &str) -> Result<(), String> {
    let el = c.find(Locator::Css(css)).await.map_err(|e| format!("find {css}: {e}"))?;
    // Select all and delete with keys, as a person would, never WebDriver's clear(): clear()
    // sets the DOM value through the setter React tracks and fires only `change`, so React never
    // hears of it and keeps its state. The next re-render (a live value arriving each second)
    // then put the old value back under the caret, and the typing landed behind it: the export
    // scenario saved to "<suggested><typed>" about one run in three.
    el.send_keys("\u{E009}a\u{E000}\u{E003}").await.map_err(|e| format!("empty {css}: {e}"))?;
    el.send_keys(text).await.map_err(|e| format!("type into {css}: {e}"))?;
    let now = el.prop("value").await.map_err(|e| format!("read {css}: {e}"))?.unwrap_or_default();
    if now != text {
        return Err(format!("{css} holds {now:?} after typing {text:?}"));
    }
    Ok(())
}

/// Saves what the window shows (for the README and for a failure's evidence). Never fails a
/// scenario: WebKitWebDriver's screenshot sometimes never answers (on the sign-in screen every
/// time, with or without focus or a forced repaint; once during the alarm flood), and the session
/// then answers nothing else for minutes. After `SHOT_LIMIT` the scenario goes on without it.
pub async fn screenshot(c: &Client, dir: &Path, name: &str) -> Result<PathBuf, String> {
    let path = dir.join(format!("{name}.png"));
    match tokio::time::timeout(SHOT_LIMIT, c.screenshot()).await {
        Ok(Ok(png)) => std::fs::write(&path, png).map_err(|e| e.to_string())?,
        Ok(Err(e)) => eprintln!("warning: no screenshot {name}: {e}"),
        Err(_) => eprintln!("warning: no screenshot {name}: WebDriver did not answer in {} s", SHOT_LIMIT.as_secs()),
    }
    Ok(path)
}

const SHOT_LIMIT: Duration = Duration::from_secs(20);
