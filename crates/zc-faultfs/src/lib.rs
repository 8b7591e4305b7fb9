//! A fault-injecting disk for the soak (`cargo xtask soak`), loaded into the real, unmodified
//! `zc` with `LD_PRELOAD`. It wraps libc's `write`, `pwrite`, `pwrite64`, `fsync` and `fdatasync`
//! and makes chosen calls on ZeroClient's database files fail as a failing disk would: the I/O
//! error tests SQLite runs with a test VFS, done at the libc boundary instead, so nothing in the
//! product changes for the test. Linux only; a test tool, never shipped.
//!
//! `ZC_FAULTFS=<kind>x<count>` and `ZC_FAULTFS_ARM=<path>` arm it (unset: every call passes
//! straight through). Faults start with the first matching call after the file `<path>` exists,
//! so the soak chooses the moment by creating it:
//! - `write`: `count` matching writes fail with EIO;
//! - `fsync`: `count` matching fsync/fdatasync calls fail with EIO;
//! - `short`: one matching write writes only half its bytes and reports that, as a disk filling
//!   up mid-write does; the next `count` matching writes fail with ENOSPC.
//!
//! A call matches when its file's path contains `ZC_FAULTFS_MATCH` (default `zeroclient.db`: the
//! database, its WAL and journal). `ZC_FAULTFS_FD` names an inherited descriptor that gets one
//! line per injected fault (`<kind> <call>`), so the soak knows a fault really fired.
//!
//! The wrappers run inside signal handlers too (tokio's handler writes to a pipe), so the path
//! they take for every call allocates nothing and takes no lock: the plan is read once, when
//! the library is loaded.

#![cfg(target_os = "linux")]

use libc::{c_char, c_int, c_void, off_t, size_t, ssize_t};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Write,
    Fsync,
    Short,
}

struct Plan {
    kind: Kind,
    count: i64,
    /// NUL-terminated.
    arm: Vec<u8>,
    needle: Vec<u8>,
    report_fd: Option<c_int>,
}

static PLAN: OnceLock<Option<Plan>> = OnceLock::new();
static ARMED: AtomicBool = AtomicBool::new(false);
/// Faults still to inject once armed.
static LEFT: AtomicI64 = AtomicI64::new(0);
static CALLS: AtomicU64 = AtomicU64::new(0);

fn env(name: &[u8]) -> Option<String> {
    // SAFETY: the name is NUL-terminated; getenv's result is read at once.
    let p = unsafe { libc::getenv(name.as_ptr() as *const c_char) };
    if p.is_null() {
        return None;
    }
    // SAFETY: getenv returned a valid C string.
    Some(unsafe { std::ffi::CStr::from_ptr(p) }.to_string_lossy().into_owned())
}

fn read_plan() -> Option<Plan> {
    let spec = env(b"ZC_FAULTFS\0")?;
    let (kind, count) = spec.split_once('x')?;
    let kind = match kind {
        "write" => Kind::Write,
        "fsync" => Kind::Fsync,
        "short" => Kind::Short,
        _ => return None,
    };
    let mut arm = env(b"ZC_FAULTFS_ARM\0")?.into_bytes();
    arm.push(0);
    Some(Plan {
        kind,
        count: count.parse().ok()?,
        arm,
        needle: env(b"ZC_FAULTFS_MATCH\0").unwrap_or_else(|| "zeroclient.db".into()).into_bytes(),
        report_fd: env(b"ZC_FAULTFS_FD\0").and_then(|f| f.parse().ok()),
    })
}

/// Reads the plan and finds libc's functions when the library is loaded, before any thread or
/// signal handler can call in.
extern "C" fn init() {
    PLAN.get_or_init(read_plan);
    for (slot, name) in REAL {
        real(slot, name);
    }
}

/// The next definition of `name` after this library (libc's), found once.
fn real(slot: &AtomicUsize, name: &[u8]) -> usize {
    match slot.load(Ordering::Acquire) {
        0 => {
            // SAFETY: dlsym with a NUL-terminated name; RTLD_NEXT skips this library. Only ever
            // reached before `init` ran (a call made while the program was still loading).
            let p = unsafe { libc::dlsym(libc::RTLD_NEXT, name.as_ptr() as *const c_char) } as usize;
            slot.store(p, Ordering::Release);
            p
        }
        p => p,
    }
}

#[used]
#[unsafe(link_section = ".init_array")]
static INIT: extern "C" fn() = init;

static REAL_WRITE: AtomicUsize = AtomicUsize::new(0);
static REAL_PWRITE: AtomicUsize = AtomicUsize::new(0);
static REAL_PWRITE64: AtomicUsize = AtomicUsize::new(0);
static REAL_FSYNC: AtomicUsize = AtomicUsize::new(0);
static REAL_FDATASYNC: AtomicUsize = AtomicUsize::new(0);
static REAL: [(&AtomicUsize, &[u8]); 5] = [
    (&REAL_WRITE, b"write\0"),
    (&REAL_PWRITE, b"pwrite\0"),
    (&REAL_PWRITE64, b"pwrite64\0"),
    (&REAL_FSYNC, b"fsync\0"),
    (&REAL_FDATASYNC, b"fdatasync\0"),
];

type WriteFn = unsafe extern "C" fn(c_int, *const c_void, size_t) -> ssize_t;
type PwriteFn = unsafe extern "C" fn(c_int, *const c_void, size_t, off_t) -> ssize_t;
type SyncFn = unsafe extern "C" fn(c_int) -> c_int;

/// Writes `n` in decimal at `buf[at..]`; returns the end. No allocation.
fn put_number(buf: &mut [u8], mut at: usize, mut n: u64) -> usize {
    let mut digits = [0u8; 20];
    let mut len = 0;
    loop {
        digits[len] = b'0' + (n % 10) as u8;
        len += 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for i in (0..len).rev() {
        buf[at] = digits[i];
        at += 1;
    }
    at
}

/// True when `fd` is one of the files the plan aims at. No allocation (signal-safe).
fn matches(fd: c_int, needle: &[u8]) -> bool {
    let mut link = [0u8; 40];
    let prefix = b"/proc/self/fd/";
    link[..prefix.len()].copy_from_slice(prefix);
    let end = put_number(&mut link, prefix.len(), fd.max(0) as u64);
    link[end] = 0;
    let mut target = [0u8; 512];
    // SAFETY: NUL-terminated path, buffer and its length.
    let n = unsafe { libc::readlink(link.as_ptr() as *const c_char, target.as_mut_ptr() as *mut c_char, target.len()) };
    n > 0 && target[..n as usize].windows(needle.len()).any(|w| w == needle)
}

fn report(plan: &Plan, what: &[u8]) {
    let Some(fd) = plan.report_fd else { return };
    let mut line = [0u8; 48];
    line[..what.len()].copy_from_slice(what);
    line[what.len()] = b' ';
    let end = put_number(&mut line, what.len() + 1, CALLS.load(Ordering::Relaxed));
    line[end] = b'\n';
    // SAFETY: libc's write, on a descriptor the soak handed us, with a valid buffer.
    unsafe {
        let w: WriteFn = std::mem::transmute(real(REAL[0].0, REAL[0].1));
        w(fd, line.as_ptr() as *const c_void, end + 1);
    }
}

/// What to do with a call: pass it on, fail it, or write only half.
enum Verdict {
    Pass,
    Fail(c_int),
    Short,
}

fn decide(fd: c_int, is_sync: bool) -> Verdict {
    let Some(Some(plan)) = PLAN.get() else { return Verdict::Pass };
    let aims_here = match plan.kind {
        Kind::Fsync => is_sync,
        Kind::Write | Kind::Short => !is_sync,
    };
    if !aims_here || !matches(fd, &plan.needle) {
        return Verdict::Pass;
    }
    CALLS.fetch_add(1, Ordering::Relaxed);
    if !ARMED.load(Ordering::Acquire) {
        // SAFETY: a NUL-terminated path.
        if unsafe { libc::access(plan.arm.as_ptr() as *const c_char, libc::F_OK) } != 0 {
            return Verdict::Pass;
        }
        // Armed once, by whichever thread gets here first.
        if ARMED.compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire).is_ok() {
            LEFT.store(plan.count, Ordering::Release);
            if plan.kind == Kind::Short {
                report(plan, b"short");
                return Verdict::Short;
            }
        }
    }
    if LEFT.fetch_sub(1, Ordering::AcqRel) > 0 {
        let (name, errno): (&[u8], c_int) = match plan.kind {
            Kind::Write => (b"write", libc::EIO),
            Kind::Fsync => (b"fsync", libc::EIO),
            Kind::Short => (b"enospc", libc::ENOSPC),
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

/// # Safety
/// As libc's `write`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn write(fd: c_int, buf: *const c_void, n: size_t) -> ssize_t {
    // SAFETY: libc's write has this signature.
    let w: WriteFn = unsafe { std::mem::transmute(real(&REAL_WRITE, b"write\0")) };
    match decide(fd, false) {
        Verdict::Pass => unsafe { w(fd, buf, n) },
        Verdict::Short => unsafe { w(fd, buf, n / 2) },
        Verdict::Fail(e) => {
            fail(e);
            -1
        }
    }
}

fn pwrite_with(slot: &AtomicUsize, name: &[u8], fd: c_int, buf: *const c_void, n: size_t, off: off_t) -> ssize_t {
    // SAFETY: libc's pwrite and pwrite64 have this signature on 64-bit Linux.
    let w: PwriteFn = unsafe { std::mem::transmute(real(slot, name)) };
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
    pwrite_with(&REAL_PWRITE, b"pwrite\0", fd, buf, n, off)
}

/// # Safety
/// As libc's `pwrite64`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pwrite64(fd: c_int, buf: *const c_void, n: size_t, off: off_t) -> ssize_t {
    pwrite_with(&REAL_PWRITE64, b"pwrite64\0", fd, buf, n, off)
}

fn sync_with(slot: &AtomicUsize, name: &[u8], fd: c_int) -> c_int {
    // SAFETY: libc's fsync and fdatasync have this signature.
    let s: SyncFn = unsafe { std::mem::transmute(real(slot, name)) };
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
    sync_with(&REAL_FSYNC, b"fsync\0", fd)
}

/// # Safety
/// As libc's `fdatasync`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fdatasync(fd: c_int) -> c_int {
    sync_with(&REAL_FDATASYNC, b"fdatasync\0", fd)
}
