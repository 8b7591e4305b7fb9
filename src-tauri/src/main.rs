//! ZeroClient desktop shell. The Tauri v2 window arrives with the next issue; the shell will
//! only adapt `zc-app` (the same API the `zc` CLI calls) to IPC commands. Until then this binary
//! proves the boundary: it opens the data directory through zc-app and prints the statuses.

use std::sync::Arc;
use zc_app::App;
use zc_app::zc_domain::SystemClock;

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio runtime");
    let result = rt.block_on(async {
        let dir = match std::env::var_os("ZC_DATA_DIR") {
            Some(d) => d.into(),
            None => zc_app::default_data_dir()?,
        };
        let app = App::open(&dir, Arc::new(SystemClock)).await?;
        for c in app.status().await?.connections {
            println!("{}\t{}", c.spec.name, c.status.as_str());
        }
        app.close().await;
        Ok::<_, zc_app::zc_domain::ZcError>(())
    });
    if let Err(e) = result {
        eprintln!("error[{}]: {}", e.code.as_str(), e.message);
        std::process::exit(1);
    }
    eprintln!("the desktop window is not built yet; use `cargo xtask run` for the live demo");
}
