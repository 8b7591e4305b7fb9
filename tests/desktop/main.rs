//! The desktop console, end to end, in the real window: WebKit through tauri-driver and
//! WebKitWebDriver under Xvfb, the app as built, a real SQLite file, the real keyring, and
//! simulated stations in a network namespace reached through the console's default route.
//! Run by `cargo xtask test`, which provides the driver, the app and the display.
//!
//! Every wait is for something a user would see (an element, a word, a status), never a fixed
//! sleep. The WebDriver session is closed before the results are judged, so a failure never
//! leaves the app running.

mod driver;
mod netns;
mod notifications;
mod scenarios;
mod tray;
mod x11;

use std::path::PathBuf;

fn not_run(why: &str) -> ! {
    println!("desktop end-to-end tests: NOT RUN ({why})");
    println!("test result: ok. 0 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out");
    std::process::exit(0);
}

fn main() {
    let (Some(driver), Some(app)) = (std::env::var_os("ZC_TAURI_DRIVER"), std::env::var_os("ZC_DESKTOP_BIN")) else {
        not_run("run them with `cargo xtask test`, which provides tauri-driver, the console and a display")
    };
    if std::env::var_os("DISPLAY").is_none() {
        not_run("no display; `cargo xtask test` runs them under Xvfb");
    }
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        not_run("network namespaces need root");
    }
    let ns = match netns::Namespaces::create() {
        Ok(ns) => ns,
        Err(e) => {
            eprintln!("desktop end-to-end tests: cannot make the network namespaces: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = ns.enter_console() {
        eprintln!("desktop end-to-end tests: {e}");
        std::process::exit(1);
    }
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let results = rt.block_on(scenarios::run_all(&ns, PathBuf::from(driver), PathBuf::from(app)));
    drop(rt);
    drop(ns);
    let failed: Vec<_> = results.iter().filter(|(_, r)| r.is_err()).collect();
    for (name, r) in &results {
        match r {
            Ok(()) => println!("test desktop::{name} ... ok"),
            Err(e) => println!("test desktop::{name} ... FAILED\n    {e}"),
        }
    }
    println!(
        "test result: {}. {} passed; {} failed; 0 ignored; 0 measured; 0 filtered out",
        if failed.is_empty() { "ok" } else { "FAILED" },
        results.len() - failed.len(),
        failed.len()
    );
    std::process::exit(if failed.is_empty() { 0 } else { 1 });
}
