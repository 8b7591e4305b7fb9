//! Platform facts: default data directory, device metadata, free disk space. Each has its
//! Windows counterpart behind `cfg`, so the same core serves Windows operators.

use std::path::{Path, PathBuf};
use zc_domain::{ErrorCode, ZcError, ZcResult};
use zc_store::DeviceInfo;

/// XDG on Linux (`$XDG_DATA_HOME/zeroclient`), `%LOCALAPPDATA%\ZeroClient` on Windows,
/// `~/Library/Application Support/ZeroClient` on macOS.
pub fn default_data_dir() -> ZcResult<PathBuf> {
    let env = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    let dir = if cfg!(windows) {
        env("LOCALAPPDATA").map(|p| p.join("ZeroClient"))
    } else if cfg!(target_os = "macos") {
        env("HOME").map(|h| h.join("Library/Application Support/ZeroClient"))
    } else {
        env("XDG_DATA_HOME").or_else(|| env("HOME").map(|h| h.join(".local/share"))).map(|p| p.join("zeroclient"))
    };
    dir.ok_or_else(|| {
        ZcError::new(
            ErrorCode::DataDir,
            "cannot find a home or application-data directory; pass --data-dir or set ZC_DATA_DIR",
        )
    })
}

fn first_line_with(path: &str, prefix: &str) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()?
        .lines()
        .find(|l| l.starts_with(prefix))
        .map(|l| l.split_once(['=', ':']).map(|(_, v)| v.trim().trim_matches('"').to_owned()).unwrap_or_default())
}

#[cfg(unix)]
fn hostname() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its length; gethostname NUL-terminates within it.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return "unknown".into();
    }
    let end = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end]).into_owned()
}
#[cfg(windows)]
fn hostname() -> String {
    std::env::var("COMPUTERNAME").unwrap_or_else(|_| "unknown".into())
}

#[cfg(unix)]
fn os_version() -> String {
    let pretty = first_line_with("/etc/os-release", "PRETTY_NAME=");
    // SAFETY: utsname is plain data; uname fills it.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    let kernel = if unsafe { libc::uname(&mut u) } == 0 {
        // SAFETY: uname NUL-terminates release.
        unsafe { std::ffi::CStr::from_ptr(u.release.as_ptr()) }.to_string_lossy().into_owned()
    } else {
        String::new()
    };
    match pretty {
        Some(p) => format!("{p} (kernel {kernel})"),
        None => kernel,
    }
}
#[cfg(windows)]
fn os_version() -> String {
    std::process::Command::new("cmd")
        .args(["/C", "ver"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|_| "Windows".into())
}

#[cfg(target_os = "linux")]
fn cpu_and_memory() -> (String, i64) {
    let cpu = first_line_with("/proc/cpuinfo", "model name").unwrap_or_else(|| std::env::consts::ARCH.into());
    let mem_kb: i64 = first_line_with("/proc/meminfo", "MemTotal")
        .and_then(|v| v.split_whitespace().next().and_then(|n| n.parse().ok()))
        .unwrap_or(0);
    (cpu, mem_kb * 1024)
}
#[cfg(windows)]
fn cpu_and_memory() -> (String, i64) {
    use windows_sys::Win32::System::SystemInformation::{GlobalMemoryStatusEx, MEMORYSTATUSEX};
    let cpu = std::env::var("PROCESSOR_IDENTIFIER").unwrap_or_else(|_| std::env::consts::ARCH.into());
    // SAFETY: MEMORYSTATUSEX is plain data; dwLength must be set before the call.
    let mut m: MEMORYSTATUSEX = unsafe { std::mem::zeroed() };
    m.dwLength = std::mem::size_of::<MEMORYSTATUSEX>() as u32;
    let total = if unsafe { GlobalMemoryStatusEx(&mut m) } != 0 { m.ullTotalPhys as i64 } else { 0 };
    (cpu, total)
}
#[cfg(not(any(target_os = "linux", windows)))]
fn cpu_and_memory() -> (String, i64) {
    (std::env::consts::ARCH.into(), 0)
}

pub(crate) fn locale() -> String {
    ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
        .unwrap_or_else(|| "und".into())
}

pub(crate) fn timezone() -> String {
    if let Ok(tz) = std::env::var("TZ")
        && !tz.is_empty()
    {
        return tz;
    }
    #[cfg(unix)]
    {
        if let Ok(tz) = std::fs::read_to_string("/etc/timezone") {
            return tz.trim().to_owned();
        }
        if let Ok(target) = std::fs::read_link("/etc/localtime") {
            let s = target.to_string_lossy();
            if let Some((_, zone)) = s.split_once("zoneinfo/") {
                return zone.to_owned();
            }
        }
    }
    "local".into()
}

/// Collected at start and linked to every activity entry.
pub fn device_info() -> DeviceInfo {
    use sha2::{Digest, Sha256};
    let hostname = hostname();
    let (cpu, memory_bytes) = cpu_and_memory();
    let machine_id = std::fs::read_to_string("/etc/machine-id").unwrap_or_default();
    let fingerprint = hex::encode(Sha256::digest(format!(
        "{hostname}|{}|{}|{}",
        std::env::consts::OS,
        std::env::consts::ARCH,
        machine_id.trim()
    )));
    DeviceInfo {
        fingerprint,
        os: std::env::consts::OS.into(),
        os_version: os_version(),
        hostname,
        arch: std::env::consts::ARCH.into(),
        cpu,
        cpu_count: std::thread::available_parallelism().map(|n| n.get() as i64).unwrap_or(1),
        memory_bytes,
        app_version: env!("CARGO_PKG_VERSION").into(),
        locale: locale(),
        timezone: timezone(),
    }
}

/// The operating-system user, the actor of local actions until central sign-in exists.
pub fn os_user() -> String {
    if let Some(u) =
        ["USER", "USERNAME", "LOGNAME"].iter().find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
    {
        return u;
    }
    #[cfg(unix)]
    {
        // SAFETY: getuid cannot fail.
        format!("uid{}", unsafe { libc::getuid() })
    }
    #[cfg(not(unix))]
    {
        "unknown".into()
    }
}

/// Bytes free for this user on the disk holding `path`.
#[cfg(unix)]
pub fn free_disk_bytes(path: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    // SAFETY: statvfs is plain data, filled by the call on a valid C path.
    let mut s: libc::statvfs = unsafe { std::mem::zeroed() };
    (unsafe { libc::statvfs(c.as_ptr(), &mut s) } == 0).then(|| s.f_bavail as u64 * s.f_frsize as u64)
}
#[cfg(windows)]
pub fn free_disk_bytes(path: &Path) -> Option<u64> {
    use std::os::windows::ffi::OsStrExt;
    use windows_sys::Win32::Storage::FileSystem::GetDiskFreeSpaceExW;
    let wide: Vec<u16> = path.as_os_str().encode_wide().chain(std::iter::once(0)).collect();
    let mut free = 0u64;
    // SAFETY: wide is NUL-terminated; the out pointers are valid or null.
    let ok = unsafe { GetDiskFreeSpaceExW(wide.as_ptr(), &mut free, std::ptr::null_mut(), std::ptr::null_mut()) };
    (ok != 0).then_some(free)
}
