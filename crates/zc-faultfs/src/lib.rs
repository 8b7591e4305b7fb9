//! A fault-injecting disk for the soak (`cargo xtask soak`), loaded into the real, unmodified
//! `zc` with `LD_PRELOAD`. It wraps libc's `write`, `pwrite`, `pwrite64`, `fsync` and `fdatasync`
//! and makes chosen calls on ZeroClient's database files fail as a failing disk would: the I/O
//! error tests SQLite runs with a test VFS, done at the libc boundary instead, so nothing in the
//! product changes for the test. Linux only; a test tool, never shipped.
//!
//! `ZC_FAULTFS=<kind>@<after_ms>x<count>` arms it (unset: every call passes straight through):
//! - `write`: `count` matching writes fail with EIO;
//! - `fsync`: `count` matching fsync/fdatasync calls fail with EIO;
//! - `short`: one matching write writes only half its bytes and reports that, as a disk filling
//!   up mid-write does; the next `count` matching writes fail with ENOSPC;
//!
//! Faults start with the first matching call at least `after_ms` after the first matching call
//! of the process (its opening of the database). A call matches when its file's path contains
//! `ZC_FAULTFS_MATCH` (default `zeroclient.db`: the database, its WAL and journal).
//! `ZC_FAULTFS_FD` names an inherited descriptor that gets one line per injected fault
//! (`<kind> <call>`), so the soak knows a fault really fired and when.

#![cfg(target_os = "linux")]

use libc::{c_char, c_int, c_void, off_t, size_t, ssize_t};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Write,
    Fsync,
    Short,
}

struct Plan {
    kind: Kind,
    after_ns: u64,
    count: u64,
    needle: Vec<u8>,
    report_fd: Option<c_int>,
}

static PLAN: OnceLock<Option<Plan>> = OnceLock::new();
/// Monotonic time of the first matching call, in ns (0: none yet).
static FIRST: AtomicU64 = AtomicU64::new(0);
/// Set once the plan's moment has come.
static ARMED: AtomicBool = AtomicBool::new(false);
/// Faults still to inject once armed.
static LEFT: AtomicI64 = AtomicI64::new(0);
static CALLS: AtomicU64 = AtomicU64::new(0);

fn env(name: &[u8]) -> Option<String> {
    // SAFETY: the name is NUL-terminated; getenv's result is read before anything can change it.
    let p = unsafe { libc::getenv(name.as_ptr() as *const c_char) };
    if p.is_null() {
        return None;
    }
    // SAFETY: getenv returned a valid C string.
    Some(unsafe { std::ffi::CStr::from_ptr(p) }.to_string_lossy().into_owned())
}

fn plan() -> Option<&'static Plan> {
    PLAN.get_or_init(|| {
        let spec = env(b"ZC_FAULTFS\0")?;
        let (kind, rest) = spec.split_once('@')?;
        let (after, count) = rest.split_once('x')?;
        let kind = match kind {
            "write" => Kind::Write,
            "fsync" => Kind::Fsync,
            "short" => Kind::Short,
            _ => return None,
        };
        Some(Plan {
            kind,
            after_ns: after.trim_end_matches("ms").parse::<u64>().ok()? * 1_000_000,
            count: count.parse().ok()?,
            needle: env(b"ZC_FAULTFS_MATCH\0").unwrap_or_else(|| "zeroclient.db".into()).into_bytes(),
            report_fd: env(b"ZC_FAULTFS_FD\0").and_then(|f| f.parse().ok()),
        })
    })
    .as_ref()
}

fn now_ns() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: a valid timespec to fill.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// True when `fd` is one of the files the plan aims at.
fn matches(fd: c_int, needle: &[u8]) -> bool {
    let link = format!("/proc/self/fd/{fd}\0");
    let mut buf = [0u8; 4096];
    // SAFETY: NUL-terminated path, buffer and its length.
    let n = unsafe { libc::readlink(link.as_ptr() as *const c_char, buf.as_mut_ptr() as *mut c_char, buf.len()) };
    n > 0 && buf[..n as usize].windows(needle.len()).any(|w| w == needle)
}

type WriteFn = unsafe extern "C" fn(c_int, *const c_void, size_t) -> ssize_t;
type PwriteFn = unsafe extern "C" fn(c_int, *const c_void, size_t, off_t) -> ssize_t;
type SyncFn = unsafe extern "C" fn(c_int) -> c_int;

/// The next definition of `name` after this library: libc's own.
fn real(name: &'static [u8], cache: &'static OnceLock<usize>) -> usize {
    // SAFETY: dlsym with a NUL-terminated name; RTLD_NEXT skips this library.
    *cache.get_or_init(|| unsafe { libc::dlsym(libc::RTLD_NEXT, name.as_ptr() as *const c_char) } as usize)
}

fn report(plan: &Plan, what: &str) {
    if let Some(fd) = plan.report_fd {
        let line = format!("{what} {}\n", CALLS.load(Ordering::Relaxed));
        // SAFETY: libc's write, on a descriptor the soak handed us, with a valid buffer.
        unsafe {
            let w: WriteFn = std::mem::transmute(real(b"write\0", &REAL_WRITE));
            w(fd, line.as_ptr() as *const c_void, line.len());
        }
    }
}

/// What to do with a matching call of this class (`is_sync`): pass, fail, or write short.
enum Verdict {
    Pass,
    Fail(c_int),
    Short,
}

fn decide(fd: c_int, is_sync: bool) -> Verdict {
    let Some(plan) = plan() else { return Verdict::Pass };
    if !matches(fd, &plan.needle) {
        return Verdict::Pass;
    }
    let now = now_ns();
    let first = match FIRST.compare_exchange(0, now, Ordering::AcqRel, Ordering::Acquire) {
        Ok(_) => now,
        Err(t) => t,
    };
    let aims_here = match plan.kind {
        Kind::Fsync => is_sync,
        Kind::Write | Kind::Short => !is_sync,
    };
    if !aims_here {
        return Verdict::Pass;
    }
    CALLS.fetch_add(1, Ordering::Relaxed);
    if !ARMED.load(Ordering::Acquire) {
        if now - first < plan.after_ns {
            return Verdict::Pass;
        }
        // The moment has come: arm once (another thread may have armed it first).
        if ARMED.compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire).is_ok() {
            LEFT.store(plan.count as i64, Ordering::Release);
            if plan.kind == Kind::Short {
                report(plan, "short");
                return Verdict::Short;
            }
        }
    }
    if LEFT.fetch_sub(1, Ordering::AcqRel) > 0 {
        let (name, errno) = match plan.kind {
            Kind::Write => ("write", libc::EIO),
            Kind::Fsync => ("fsync", libc::EIO),
            Kind::Short => ("enospc", libc::ENOSPC),
        };
        report(plan, name);
        return Verdict::Fail(errno);
    }
    Verdict::Pass
}

fn fail(errno: c_int) {
    // SAFETY: this thread's errno.
    unsafe { *libc::__errno_location() = errno };
}

static REAL_WRITE: OnceLock<usize> = OnceLock::new();
static REAL_PWRITE: OnceLock<usize> = OnceLock::new();
static REAL_PWRITE64: OnceLock<usize> = OnceLock::new();
static REAL_FSYNC: OnceLock<usize> = OnceLock::new();
static REAL_FDATASYNC: OnceLock<usize> = OnceLock::new();

/// # Safety
/// As libc's `write`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn write(fd: c_int, buf: *const c_void, n: size_t) -> ssize_t {
    // SAFETY: libc's write has this signature.
    let w: WriteFn = unsafe { std::mem::transmute(real(b"write\0", &REAL_WRITE)) };
    match decide(fd, false) {
        Verdict::Pass => unsafe { w(fd, buf, n) },
        Verdict::Short => unsafe { w(fd, buf, n / 2) },
        Verdict::Fail(e) => {
            fail(e);
            -1
        }
    }
}

fn pwrite_with(
    name: &'static [u8],
    cache: &'static OnceLock<usize>,
    fd: c_int,
    buf: *const c_void,
    n: size_t,
    off: off_t,
) -> ssize_t {
    // SAFETY: libc's pwrite and pwrite64 have this signature on 64-bit Linux.
    let w: PwriteFn = unsafe { std::mem::transmute(real(name, cache)) };
    match decide(fd, false) {
        Verdict::Pass => unsafe { w(fd, buf, n, off) },
        Verdict::Short => unsafe { w(fd, buf, n / 2, off) },
        Verdict::Fail(e) => {
            fail(e);
            -1
        }
    }
}

/// # Safety
/// As libc's `pwrite`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pwrite(fd: c_int, buf: *const c_void, n: size_t, off: off_t) -> ssize_t {
    pwrite_with(b"pwrite\0", &REAL_PWRITE, fd, buf, n, off)
}

/// # Safety
/// As libc's `pwrite64`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pwrite64(fd: c_int, buf: *const c_void, n: size_t, off: off_t) -> ssize_t {
    pwrite_with(b"pwrite64\0", &REAL_PWRITE64, fd, buf, n, off)
}

fn sync_with(name: &'static [u8], cache: &'static OnceLock<usize>, fd: c_int) -> c_int {
    // SAFETY: libc's fsync and fdatasync have this signature.
    let s: SyncFn = unsafe { std::mem::transmute(real(name, cache)) };
    match decide(fd, true) {
        Verdict::Fail(e) => {
            fail(e);
            -1
        }
        _ => unsafe { s(fd) },
    }
}

/// # Safety
/// As libc's `fsync`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fsync(fd: c_int) -> c_int {
    sync_with(b"fsync\0", &REAL_FSYNC, fd)
}

/// # Safety
/// As libc's `fdatasync`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fdatasync(fd: c_int) -> c_int {
    sync_with(b"fdatasync\0", &REAL_FDATASYNC, fd)
}
