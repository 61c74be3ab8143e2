//! Freed pages *moved*, not dropped: the userfaultfd scheme of the one-page guarded class
//! (see [`crate::fence`]).
//!
//! The class's address space is registered with a userfaultfd in "missing" mode with
//! `UFFD_FEATURE_SIGBUS`: any access to a page that is not there faults at once (SIGBUS, no
//! handler thread), reads as well as writes. `free` moves the freed slot's page to a slot out
//! of the quarantine (`UFFDIO_MOVE`, Linux 6.8+, one `ioctl`): the freed slot is left without
//! a page, so a use after free faults, and the other slot is ready for a block with no system
//! call. No page is dropped, zeroed or faulted in and no mapping changes: on the machine of
//! `bench/efence.sh` this costs about a quarter of a guard marker and the fault of a fresh page
//! (`examples/c/efence_floor.c`, modes `markers` and `uffd-move`).
//!
//! The SIGBUS is turned into the SIGSEGV a guard page gives ([`install_sigbus`]): the handler
//! puts a guard marker on the faulting page and returns, the access runs again and faults as on
//! any guard page (the crash report, a program's own SIGSEGV handler and the exit signal are
//! what they are without this scheme).
//!
//! A `fork`ed child loses the registration (the kernel does not copy it without a monitor
//! thread) and its copy of the descriptor still works on the *parent's* memory: the child's
//! fork handler closes it and registers the range again with a new one ([`after_fork_child`]).
//! A page shared with a child since `fork` cannot be moved (`EBUSY`): it is dropped instead
//! (`MADV_DONTNEED`; the slot is then without a page, as after a move).

use core::ffi::{c_int, c_void};
use core::sync::atomic::{AtomicI32, AtomicUsize, Ordering};

use tracekit_preload_rt::sys;

const PAGE: usize = sys::PAGE;

/// `UFFD_USER_MODE_ONLY`: what an unprivileged process may open (`vm.unprivileged_userfaultfd`
/// is 0 by default); faults from the kernel (a system call reading a freed block) then fail
/// with `EFAULT`, as on an inaccessible page.
const USER_MODE_ONLY: c_int = 1;
const API: u64 = 0xAA;
const FEATURE_SIGBUS: u64 = 1 << 7;
const FEATURE_MOVE: u64 = 1 << 16;
const MODE_MISSING: u64 = 1;
const DONTWAKE: u64 = 1;
/// `_IOWR(0xAA, nr, size)` of `<linux/userfaultfd.h>` (`UFFDIO_MOVE` is missing from older
/// headers and from the libc crate).
const IOC_API: u64 = 0xc018_aa3f;
const IOC_REGISTER: u64 = 0xc020_aa00;
const IOC_COPY: u64 = 0xc028_aa03;
const IOC_MOVE: u64 = 0xc028_aa05;
/// Where the descriptor is moved to, out of the way of programs that reuse low numbers.
const FD_FLOOR: c_int = 900;

#[repr(C)]
struct ApiArg {
    api: u64,
    features: u64,
    ioctls: u64,
}

#[repr(C)]
struct RegisterArg {
    start: u64,
    len: u64,
    mode: u64,
    ioctls: u64,
}

/// `uffdio_copy` and `uffdio_move`, which have the same layout.
#[repr(C)]
struct CopyArg {
    dst: u64,
    src: u64,
    len: u64,
    mode: u64,
    result: i64,
}

/// The descriptor (-1: the scheme is off).
static FD: AtomicI32 = AtomicI32::new(-1);
/// The registered range.
static LO: AtomicUsize = AtomicUsize::new(0);
static LEN: AtomicUsize = AtomicUsize::new(0);
/// The SIGBUS action before ours.
static PREVIOUS: AtomicUsize = AtomicUsize::new(0);
static PREVIOUS_FLAGS: AtomicI32 = AtomicI32::new(0);

/// The zeros a fresh slot's page is filled from.
#[repr(C, align(4096))]
struct ZeroPage([u8; PAGE]);
static ZERO: ZeroPage = ZeroPage([0; PAGE]);

/// True when the scheme is on.
#[inline(always)]
pub fn on() -> bool {
    FD.load(Ordering::Relaxed) >= 0
}

/// `ioctl(fd, req, arg)`, raw (errno untouched); `Err(errno)`.
fn ioctl(fd: c_int, req: u64, arg: *mut c_void) -> Result<(), i32> {
    // SAFETY: `arg` points to the structure `req` takes (the callers pair them); the kernel
    // reads and writes only that.
    let r = unsafe { sys::syscall!(libc::SYS_ioctl, fd, req as usize, arg) };
    if r == 0 {
        Ok(())
    } else {
        Err(-r as i32)
    }
}

/// A new descriptor with SIGBUS and move, registered on `[lo, lo + len)`; -1 when the kernel
/// or the process's rights refuse any part of it.
fn open(lo: usize, len: usize) -> c_int {
    // SAFETY: no memory is passed.
    let fd = unsafe {
        sys::syscall!(
            libc::SYS_userfaultfd,
            libc::O_CLOEXEC | libc::O_NONBLOCK | USER_MODE_ONLY
        )
    } as c_int;
    if fd < 0 {
        return -1;
    }
    let high = sys::dup_cloexec(fd, FD_FLOOR);
    sys::close(fd);
    let Ok(high) = high else {
        return -1;
    };
    let mut api = ApiArg {
        api: API,
        features: FEATURE_SIGBUS | FEATURE_MOVE,
        ioctls: 0,
    };
    let mut reg = RegisterArg {
        start: lo as u64,
        len: len as u64,
        mode: MODE_MISSING,
        ioctls: 0,
    };
    let ok = ioctl(high, IOC_API, (&raw mut api).cast()).is_ok()
        && api.features & FEATURE_MOVE != 0
        && ioctl(high, IOC_REGISTER, (&raw mut reg).cast()).is_ok();
    if !ok {
        sys::close(high);
        return -1;
    }
    high
}

/// Turns the scheme on for `[lo, lo + len)` (the one-page class's reservation, before any
/// slot of it is used): false when the kernel or the process's rights refuse it.
pub fn setup(lo: usize, len: usize) -> bool {
    // Our reservation, unused yet: the advice only keeps huge pages out of it (a move takes
    // single pages).
    sys::advise_no_huge(lo as *mut u8, len);
    let fd = open(lo, len);
    if fd < 0 {
        return false;
    }
    LO.store(lo, Ordering::Relaxed);
    LEN.store(len, Ordering::Relaxed);
    FD.store(fd, Ordering::Release);
    true
}

/// In a `fork`ed child, under the allocator's fork locks: the inherited descriptor (which
/// works on the parent's memory) closed, the range registered again with a new one. False
/// when that failed: the scheme is off in this process.
pub fn after_fork_child() -> bool {
    let old = FD.swap(-1, Ordering::Relaxed);
    if old < 0 {
        return true;
    }
    // Our descriptor; nothing else in this process uses it (the fork locks are held).
    sys::close(old);
    let fd = open(LO.load(Ordering::Relaxed), LEN.load(Ordering::Relaxed));
    FD.store(fd, Ordering::Relaxed);
    fd >= 0
}

/// True when a failed `ioctl` says the descriptor is no longer our userfaultfd (the program
/// closed it, say with `close_range`, and perhaps opened something else under its number):
/// the registration went with it.
pub fn lost(errno: i32) -> bool {
    matches!(errno, libc::EBADF | libc::ENOTTY | libc::EINVAL)
}

/// Turns the scheme off after [`lost`] (the number is not closed: it may be the program's now).
pub fn turn_off() {
    FD.store(-1, Ordering::Relaxed);
}

/// Retries `op` once after taking a guard marker off `dst` (put there by [`on_sigbus`] when a
/// program kept running after a fault in a freed slot).
fn unmarked_retry(dst: usize, len: usize, op: impl Fn() -> Result<(), i32>) -> Result<(), i32> {
    match op() {
        Err(libc::EEXIST) => {
            // SAFETY: `dst` is a slot without a block, in our reservation.
            let _ = unsafe { sys::guard_remove(dst as *mut u8, len) };
            op()
        }
        r => r,
    }
}

/// Moves the pages of `[src, src + len)` to `[dst, dst + len)` (which has none).
pub fn move_pages(dst: usize, src: usize, len: usize) -> Result<(), i32> {
    let fd = FD.load(Ordering::Relaxed);
    unmarked_retry(dst, len, || {
        let mut m = CopyArg {
            dst: dst as u64,
            src: src as u64,
            len: len as u64,
            mode: DONTWAKE,
            result: 0,
        };
        ioctl(fd, IOC_MOVE, (&raw mut m).cast())
    })
}

/// Gives `[dst, dst + len)` (pages of a slot that has none) zeroed pages.
pub fn fill(dst: usize, len: usize) -> Result<(), i32> {
    let fd = FD.load(Ordering::Relaxed);
    let mut at = dst;
    while at < dst + len {
        unmarked_retry(at, PAGE, || {
            let mut c = CopyArg {
                dst: at as u64,
                src: ZERO.0.as_ptr() as u64,
                len: PAGE as u64,
                mode: DONTWAKE,
                result: 0,
            };
            ioctl(fd, IOC_COPY, (&raw mut c).cast())
        })?;
        at += PAGE;
    }
    Ok(())
}

/// Drops the pages of `[p, p + len)` (a freed slot whose pages could not be moved).
pub fn drop_pages(p: usize, len: usize) {
    // SAFETY: a freed slot's pages (private anonymous memory): nobody may use them.
    unsafe { sys::discard(p as *mut u8, len) };
}

/// Installs the SIGBUS handler that turns a fault in the registered range into a guard-page
/// SIGSEGV. At load, after the crash handler (which it passes every other SIGBUS to).
pub fn install_sigbus() {
    let act = sys::handler_action(on_sigbus, libc::SA_NODEFER, sys::sigset(&[]));
    if let Ok(old) = sys::sigaction(libc::SIGBUS, &act) {
        PREVIOUS_FLAGS.store(old.sa_flags, Ordering::Relaxed);
        PREVIOUS.store(old.sa_sigaction, Ordering::Release);
    }
}

extern "C" fn on_sigbus(sig: c_int, info: *mut libc::siginfo_t, ctx: *mut c_void) {
    // SAFETY: the kernel passes a valid siginfo.
    let info_ref = unsafe { &*info };
    // SAFETY: a SIGBUS siginfo, whose union holds the fault address.
    let (code, addr) = (info_ref.si_code, unsafe { info_ref.si_addr() } as usize);
    let (lo, len) = (LO.load(Ordering::Relaxed), LEN.load(Ordering::Relaxed));
    if code == libc::BUS_ADRERR && addr.wrapping_sub(lo) < len {
        // SAFETY: a page of our reservation that has no page (a guard, or a slot without a
        // block): marked, it faults as a guard page when the access runs again.
        if unsafe { sys::guard_install((addr & !(PAGE - 1)) as *mut u8, PAGE) }.is_ok() {
            return;
        }
    }
    let prev = PREVIOUS.load(Ordering::Acquire);
    if prev == libc::SIG_DFL || prev == libc::SIG_IGN {
        let mut act = sys::default_action();
        act.sa_sigaction = prev;
        let _ = sys::sigaction(libc::SIGBUS, &act);
        if code <= 0 {
            // Sent, not a fault: send it again to the restored action.
            sys::tgkill(sys::gettid(), sig);
        }
        // A fault: the access runs again and meets the restored action.
        return;
    }
    if PREVIOUS_FLAGS.load(Ordering::Relaxed) & libc::SA_SIGINFO != 0 {
        // SAFETY: the handler that was installed with SA_SIGINFO, called as the kernel would.
        let f: extern "C" fn(c_int, *mut libc::siginfo_t, *mut c_void) =
            unsafe { core::mem::transmute(prev) };
        f(sig, info, ctx);
    } else {
        // SAFETY: a one-argument handler, called as the kernel would.
        let f: extern "C" fn(c_int) = unsafe { core::mem::transmute(prev) };
        f(sig);
    }
}
