//! A small disk of the soak's own (a tmpfs, as the full-disk tests use) that it can fill to the
//! last block and free again. Mounting needs root; without it the soak runs without disk faults
//! and says so.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

pub struct SmallDisk {
    pub path: PathBuf,
    _dir: tempfile::TempDir,
}

impl SmallDisk {
    /// A 64 MiB tmpfs, or why not.
    pub fn mount() -> Result<SmallDisk, String> {
        // SAFETY: geteuid cannot fail.
        if unsafe { libc::geteuid() } != 0 {
            return Err("mounting a tmpfs needs root".into());
        }
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let path = dir.path().join("disk");
        std::fs::create_dir_all(&path).map_err(|e| e.to_string())?;
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=64m", "tmpfs"])
            .arg(&path)
            .output()
            .map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).trim().to_owned());
        }
        Ok(SmallDisk { path, _dir: dir })
    }

    /// Fills every free block; returns the filler to remove to free them.
    pub fn fill(&self) -> PathBuf {
        fill(&self.path)
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.path).status();
    }
}

pub fn fill(dir: &Path) -> PathBuf {
    let path = dir.join("filler");
    let mut f = std::fs::File::create(&path).expect("create the filler");
    let block = vec![0u8; 256 * 1024];
    while f.write_all(&block).is_ok() {}
    // What is left after the last whole block, in small pieces.
    for _ in 0..1024 {
        if f.write_all(&[0u8; 512]).is_err() {
            break;
        }
    }
    let _ = f.sync_all();
    path
}
