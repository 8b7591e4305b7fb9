//! What the shell holds: the opened data directory, the console feed and, in the demo, the
//! simulated stations.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tokio_util::sync::CancellationToken;
use zc_app::zc_domain::{SystemClock, ZcResult};
use zc_app::{App, Console, Demo};

pub struct Options {
    pub data_dir: Option<PathBuf>,
    /// Start the built-in simulated stations (the embedded default's demo).
    pub demo: bool,
}

const USAGE: &str = "usage: zeroclient [--data-dir DIR] [--demo]\n  --data-dir DIR  the data directory (default: ZC_DATA_DIR, or the platform's)\n  --demo          start three simulated stations with widgets (no server needed)";

impl Options {
    pub fn from_args(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
        let mut o = Options { data_dir: std::env::var_os("ZC_DATA_DIR").map(PathBuf::from), demo: false };
        while let Some(a) = args.next() {
            match a.as_str() {
                "--data-dir" => o.data_dir = Some(args.next().ok_or(USAGE)?.into()),
                "--demo" => o.demo = true,
                "-h" | "--help" => return Err(USAGE.into()),
                other => return Err(format!("unknown argument '{other}'\n{USAGE}")),
            }
        }
        Ok(o)
    }
}

pub struct Shell {
    pub console: Console,
    /// Exports running now, by the id the window gave them.
    exports: Mutex<HashMap<u64, CancellationToken>>,
    /// Set once the console has stopped; a second stop waits for the first.
    stopped: tokio::sync::OnceCell<()>,
}

impl Shell {
    pub async fn open(options: Options) -> ZcResult<Shell> {
        let dir = match options.data_dir {
            Some(d) => d,
            None => zc_app::default_data_dir()?,
        };
        let app = App::open(&dir, Arc::new(SystemClock)).await?;
        init_logging(&dir);
        // The demo's admin is signed in before the window asks who is (its stations start after).
        if options.demo {
            app.sign_in_demo(zc_app::Client::Desktop).await?;
        }
        let app = Arc::new(app);
        // The window opens at once; the demo's stations and connections are prepared meanwhile
        // (the console says "starting" until its monitor runs).
        let console = if options.demo {
            let demo_app = app.clone();
            Console::start_after(app, async move { demo_app.start_demo(zc_app::Client::Desktop).await.map(Some) })
        } else {
            Console::start_after(app, async { Ok(None::<Demo>) })
        };
        Ok(Shell { console, exports: Mutex::new(HashMap::new()), stopped: tokio::sync::OnceCell::new() })
    }

    pub fn export_started(&self, id: u64) -> CancellationToken {
        let token = CancellationToken::new();
        self.exports.lock().unwrap().insert(id, token.clone());
        token
    }

    pub fn export_ended(&self, id: u64) {
        self.exports.lock().unwrap().remove(&id);
    }

    pub fn cancel_export(&self, id: u64) {
        if let Some(t) = self.exports.lock().unwrap().get(&id) {
            t.cancel();
        }
    }

    pub fn app(&self) -> &App {
        self.console.app()
    }

    /// Stops the console cleanly, once: callers at the same time all wait for that one stop.
    pub async fn stop(&self) {
        self.stopped.get_or_init(|| self.stop_now()).await;
    }

    pub fn has_stopped(&self) -> bool {
        self.stopped.initialized()
    }

    async fn stop_now(&self) {
        if let Some(report) = self.console.stop().await
            && let Some(e) = report.error()
        {
            eprintln!("error[{}]: {}", e.code.as_str(), e.message);
        }
        // Whoever was signed in to this window is signed out when it ends (recorded), so no
        // desktop session outlives its console.
        if self.app().signed_in().is_some()
            && let Err(e) = self.app().sign_out().await
        {
            tracing::warn!("the session could not be ended: {}", e.message);
        }
        self.console.app().store().close().await;
    }
}

/// Logs go to `<data dir>/logs/zeroclient.log`, as the CLI's go to `zc.log`.
fn init_logging(dir: &std::path::Path) {
    let logs = dir.join("logs");
    if std::fs::create_dir_all(&logs).is_err() {
        return;
    }
    if let Ok(file) = std::fs::OpenOptions::new().create(true).append(true).open(logs.join("zeroclient.log")) {
        let _ = tracing_subscriber::fmt()
            .with_writer(std::sync::Mutex::new(file))
            .with_ansi(false)
            .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("ZC_LOG").unwrap_or_else(|_| "info".into()))
            .try_init();
    }
}
