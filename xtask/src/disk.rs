//! Room on the disk before a long run: a full disk halfway through a build fails with a
//! compiler's "No space left on device" after many minutes; this says so first, with what to do.

use crate::Result;
use std::path::Path;
use std::process::Command;

/// Free space `target/` needs for `cargo xtask test` from a clean checkout (builds, the .deb, the
/// test clusters and data): `.ci/run` peaked at 5.1 GB of target/ (21.6 GB before line tables
/// only), with room for the clusters and a margin (README, "Disk").
pub(crate) const TEST_NEEDS_GB: u64 = 8;

/// Fails when the filesystem of `dir` has less than `gb` GB free, less what `dir` already
/// holds (a warm target/ needs less; one of `gb` or more is not checked).
pub(crate) fn ensure_room(dir: &Path, gb: u64, what: &str) -> Result {
    // A relative CARGO_TARGET_DIR is cargo's, from the workspace root.
    let dir = &crate::root().join(dir);
    let existing = first_existing(dir);
    // A disk that cannot be measured is no reason to refuse: the build then tells.
    let free = match kib(Command::new("df").args(["-Pk"]).arg(existing), 3) {
        Ok(free) => free,
        Err(e) => {
            eprintln!("xtask: {e}; going on without the free-space check");
            return Ok(());
        }
    };
    let held = if dir.exists() { kib(Command::new("du").args(["-sk"]).arg(dir), 0).unwrap_or(0) } else { 0 };
    let needed = (gb * 1024 * 1024).saturating_sub(held);
    if free >= needed {
        return Ok(());
    }
    Err(format!(
        "{what} needs about {gb} GB for {} and this disk has {:.1} GB free ({:.1} GB more needed): free some space, or set CARGO_TARGET_DIR to a larger disk",
        dir.display(),
        free as f64 / 1048576.0,
        (needed - free) as f64 / 1048576.0
    ))
}

fn first_existing(dir: &Path) -> &Path {
    dir.ancestors().find(|p| p.exists()).unwrap_or(Path::new("/"))
}

/// A size in KiB from a column of the last line `c` prints.
fn kib(c: &mut Command, column: usize) -> Result<u64> {
    let out = c.output().map_err(|e| format!("cannot measure the disk: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "cannot measure the disk ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .next_back()
        .and_then(|l| l.split_whitespace().nth(column))
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| format!("cannot read the disk's free space from `{text}`"))
}
