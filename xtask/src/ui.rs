//! The frontend: installed with `npm ci` from the committed lock file, checked (lint, types,
//! Vitest) and built into `ui/dist`, which the desktop binary embeds.

use crate::{Result, root, status};
use std::process::Command;

fn npm(args: &[&str]) -> Command {
    let mut c = Command::new("npm");
    c.current_dir(root().join("ui")).args(args);
    c
}

/// `npm ci` when `node_modules` does not match the lock file (always on a fresh clone).
pub fn install(always: bool) -> Result {
    let ui = root().join("ui");
    let installed = ui.join("node_modules/.package-lock.json");
    let lock = ui.join("package-lock.json");
    let fresh = match (std::fs::metadata(&installed), std::fs::metadata(&lock)) {
        (Ok(i), Ok(l)) => i.modified().ok() >= l.modified().ok(),
        _ => false,
    };
    if always || !fresh {
        status(npm(&["ci", "--no-audit", "--no-fund"]), "npm ci (the console's frontend)")?;
    }
    Ok(())
}

pub fn check() -> Result {
    status(npm(&["run", "--silent", "lint"]), "frontend lint (eslint)")?;
    status(npm(&["test", "--silent"]), "frontend tests (vitest)")
}

pub fn build() -> Result {
    status(npm(&["run", "--silent", "build"]), "building the frontend (tsc, vite)")
}
