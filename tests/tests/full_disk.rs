//! A full disk: one clear line, a non-zero exit, and nothing half-written. The data directory
//! lives on a real 4 MiB tmpfs that the test fills to the last block (mounting needs root, which
//! CI has; elsewhere the test says it did not run).
#![cfg(target_os = "linux")]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use zc_e2e::{Env, snapshot};

struct Mount(PathBuf);

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

fn fill(dir: &Path) -> PathBuf {
    let path = dir.join("filler");
    let mut f = std::fs::File::create(&path).unwrap();
    let block = vec![0u8; 64 * 1024];
    loop {
        if let Err(e) = f.write_all(&block).and_then(|_| f.sync_all()) {
            assert_eq!(e.kind(), std::io::ErrorKind::StorageFull, "filling stopped for another reason: {e}");
            break;
        }
    }
    // Last partial block, byte by byte would be slow; a few small writes take what is left.
    for _ in 0..64 {
        if f.write_all(&[0u8; 512]).and_then(|_| f.sync_all()).is_err() {
            break;
        }
    }
    path
}

#[test]
fn a_full_disk_is_one_clear_line_and_loses_nothing() {
    // SAFETY: geteuid cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("full_disk: not run: mounting a small tmpfs needs root (CI runs as root)");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let mnt = tmp.path().join("small");
    std::fs::create_dir_all(&mnt).unwrap();
    let st = Command::new("mount").args(["-t", "tmpfs", "-o", "size=4m", "tmpfs"]).arg(&mnt).status().unwrap();
    assert!(st.success(), "mount a tmpfs");
    let _mount = Mount(mnt.clone());

    let env = Env::with_data_dir(mnt.join("data"));
    env.ok(&["connection", "add", "north", "--url", "http://127.0.0.1:9"]);
    let before = snapshot(&env.db());
    let filler = fill(&mnt);

    for args in [
        vec!["connection", "add", "south", "--url", "http://127.0.0.1:10"],
        vec!["connection", "edit", "north", "--interval", "30s"],
    ] {
        let r = env.run(&args);
        assert_eq!(r.code, 1, "zc {args:?} on a full disk: {}", r.stdout);
        let line = r.stderr.trim_end();
        assert_eq!(line.lines().count(), 1, "{line}");
        assert!(line.starts_with("error[disk_full]: ") && line.contains("Free"), "zc {args:?}: {line}");
    }

    std::fs::remove_file(filler).unwrap();
    assert_eq!(snapshot(&env.db()), before, "nothing was half-written");
    assert_eq!(env.json(&["log", "verify"])["first_bad_seq"], serde_json::Value::Null);
    // With space again, the same command works.
    env.ok(&["connection", "add", "south", "--url", "http://127.0.0.1:10"]);
}
