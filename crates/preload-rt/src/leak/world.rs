//! Stopping the program's other threads for the scan, from inside the process: each is sent a
//! real-time signal whose handler copies the interrupted registers into a slot, says so, and
//! waits on a futex until the scan is over. (`ptrace`, which LeakSanitizer uses from a helper
//! task, would make the process untraceable by a debugger or strace meanwhile, and a thread
//! cannot trace its own process.) A thread that blocks the signal, or is gone, does not
//! answer within the wait; its stack is then scanned whole, as other memory is.

use core::ffi::{c_int, c_void};
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};

use crate::sys;

/// Threads that can be stopped at once (more are scanned as other memory).
pub const MAX_THREADS: usize = 1024;

/// The registers a stopped thread spilled (glibc's `gregset_t` order), its stack pointer.
pub const NREGS: usize = 23;

/// One stopped (or asked) thread.
#[derive(Debug)]
struct Slot {
    tid: AtomicU32,
    /// 0 asked, 1 stopped with its registers copied.
    stopped: AtomicU32,
    regs: [AtomicU64; NREGS],
}

#[allow(clippy::declare_interior_mutable_const)] // the template of the static array below
const SLOT: Slot = Slot {
    tid: AtomicU32::new(0),
    stopped: AtomicU32::new(0),
    regs: [const { AtomicU64::new(0) }; NREGS],
};

static SLOTS: [Slot; MAX_THREADS] = [SLOT; MAX_THREADS];
static NSLOTS: AtomicU32 = AtomicU32::new(0);
/// Threads that have stopped (a futex word the scanner waits on).
static STOPPED: AtomicU32 = AtomicU32::new(0);
/// Bumped when the scan is over: the stopped threads wait for it to change.
static RELEASE: AtomicU32 = AtomicU32::new(0);
/// True while a stop is in progress (a late signal finds it false and returns at once).
static STOPPING: AtomicBool = AtomicBool::new(false);
/// The signal installed, 0 before.
static SIGNAL: AtomicU32 = AtomicU32::new(0);

/// Signals tried, from the top of the real-time range down, for one the program leaves at its
/// default.
const CANDIDATES: [c_int; 4] = [62, 61, 60, 59];

/// How long to wait for the threads to answer, in ns.
const ANSWER_NS: u64 = 300_000_000;

extern "C" fn on_stop(_sig: c_int, _info: *mut libc::siginfo_t, ctx: *mut c_void) {
    if !STOPPING.load(Ordering::Acquire) || ctx.is_null() {
        return;
    }
    let tid = sys::gettid();
    let n = (NSLOTS.load(Ordering::Acquire) as usize).min(MAX_THREADS);
    let Some(slot) = SLOTS[..n]
        .iter()
        .find(|s| s.tid.load(Ordering::Relaxed) == tid)
    else {
        return;
    };
    let release = RELEASE.load(Ordering::Acquire);
    // SAFETY: the kernel passes a valid `ucontext_t` as the third argument of an
    // `SA_SIGINFO` handler, alive while the handler runs.
    let uc = unsafe { &*(ctx as *const libc::ucontext_t) };
    for (r, &v) in slot.regs.iter().zip(uc.uc_mcontext.gregs.iter()) {
        r.store(v as u64, Ordering::Relaxed);
    }
    slot.stopped.store(1, Ordering::Release);
    STOPPED.fetch_add(1, Ordering::AcqRel);
    sys::futex_wake(&STOPPED, 1);
    while RELEASE.load(Ordering::Acquire) == release {
        sys::futex_wait(&RELEASE, release);
    }
}

/// Installs the stop handler once; false when no candidate signal is free.
fn install() -> bool {
    if SIGNAL.load(Ordering::Relaxed) != 0 {
        return true;
    }
    let act = sys::handler_action(on_stop, 0, sys::full_sigset());
    for sig in CANDIDATES {
        let Ok(old) = sys::sigaction(sig, &act) else {
            continue;
        };
        if old.sa_sigaction == libc::SIG_DFL {
            SIGNAL.store(sig as u32, Ordering::Relaxed);
            return true;
        }
        // The program's own: give it back.
        let _ = sys::sigaction(sig, &old);
    }
    false
}

/// The signal that stops the threads, once installed (at the first check); 0 before.
pub fn stop_signal() -> c_int {
    SIGNAL.load(Ordering::Relaxed) as c_int
}

/// A thread as the scan sees it.
#[derive(Debug, Clone, Copy)]
pub struct Stopped {
    /// Its id.
    pub tid: u32,
    /// Its registers (`gregset_t` order: `REG_RSP` is 15), when it stopped.
    pub regs: Option<[u64; NREGS]>,
}

/// The other threads of the process, stopped until [`resume`] (the caller and the ones in
/// `skip` left alone). Calls `f` with each.
pub fn stop_others(skip: &[u32], mut f: impl FnMut(Stopped)) {
    if !install() {
        return;
    }
    let sig = SIGNAL.load(Ordering::Relaxed) as c_int;
    let me = sys::gettid();
    STOPPED.store(0, Ordering::Release);
    NSLOTS.store(0, Ordering::Release);
    STOPPING.store(true, Ordering::Release);
    let mut asked = 0usize;
    // New threads can start until every old one is stopped: list again until none is new.
    loop {
        let mut ids = [0u32; 256];
        let n = sys::thread_ids(&mut ids).unwrap_or(0).min(ids.len());
        let before = asked;
        for &tid in &ids[..n] {
            if tid == me || skip.contains(&tid) || asked >= MAX_THREADS {
                continue;
            }
            if SLOTS[..asked]
                .iter()
                .any(|s| s.tid.load(Ordering::Relaxed) == tid)
            {
                continue;
            }
            let s = &SLOTS[asked];
            s.stopped.store(0, Ordering::Relaxed);
            s.tid.store(tid, Ordering::Relaxed);
            asked += 1;
            NSLOTS.store(asked as u32, Ordering::Release);
            sys::tgkill(tid, sig);
        }
        let deadline = sys::mono_ns() + ANSWER_NS;
        while (STOPPED.load(Ordering::Acquire) as usize) < asked && sys::mono_ns() < deadline {
            sys::sleep_us(50);
        }
        if asked == before {
            break;
        }
    }
    for s in &SLOTS[..asked] {
        let regs = (s.stopped.load(Ordering::Acquire) == 1).then(|| {
            let mut r = [0u64; NREGS];
            for (d, v) in r.iter_mut().zip(s.regs.iter()) {
                *d = v.load(Ordering::Relaxed);
            }
            r
        });
        f(Stopped {
            tid: s.tid.load(Ordering::Relaxed),
            regs,
        });
    }
}

/// Lets the stopped threads go on.
pub fn resume() {
    STOPPING.store(false, Ordering::Release);
    RELEASE.fetch_add(1, Ordering::AcqRel);
    sys::futex_wake(&RELEASE, u32::MAX);
}
