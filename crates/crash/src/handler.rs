//! The signal handler: one report per process, then die exactly as without us.
//!
//! Flow: the first thread to crash claims the report (an atomic compare-and-swap on its tid);
//! it arms a watchdog, writes the report, then restores the previous action and dies of the
//! original signal. Other threads that crash meanwhile wait for the report to finish, then die
//! the same way. A fault inside the handler (the same thread entering again: the handler runs
//! with `SA_NODEFER`) kills the process with the original signal at once; a hang is cut short
//! by the watchdog (`ITIMER_REAL`), which does the same.

use core::ffi::{c_int, c_void};
use core::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, Ordering};

use crate::config::{self, Config};
use crate::{describe, report, sys};

/// Thread id that is writing the report (0: none).
static CRASH_TID: AtomicU32 = AtomicU32::new(0);
/// Its signal.
static CRASH_SIG: AtomicI32 = AtomicI32::new(0);
/// The report is finished.
static DONE: AtomicBool = AtomicBool::new(false);
/// The symbolizer child, killed by the watchdog if it fires.
pub static CHILD: AtomicU32 = AtomicU32::new(0);

/// Signals the report may not be interrupted by: everything except the crash signals themselves
/// (so a fault in the handler re-enters it) and the watchdog's SIGALRM; zero-padded.
pub const fn blocked_during_handler() -> [c_int; 64] {
    let mut out = [0; 64];
    let mut n = 0;
    let mut s = 1;
    while s <= 64 {
        let skip = matches!(
            s,
            libc::SIGSEGV
                | libc::SIGBUS
                | libc::SIGILL
                | libc::SIGFPE
                | libc::SIGABRT
                | libc::SIGTRAP
                | libc::SIGALRM
                | libc::SIGKILL
                | libc::SIGSTOP
        ) || (s >= 32 && s <= 34);
        if !skip {
            out[n] = s;
            n += 1;
        }
        s += 1;
    }
    out
}

/// [`blocked_during_handler`] as a signal set, computed at compile time.
const BLOCKED: libc::sigset_t = sys::sigset(&blocked_during_handler());

/// The action that was there before ours for `sig` (`SIG_DFL` if we never took it).
pub fn previous_action(sig: c_int) -> libc::sigaction {
    config::get().map_or_else(sys::default_action, |c| c.previous.get(sig))
}

/// Installs the handler for every configured signal, remembering the previous actions.
pub fn install(cfg: &Config) {
    let act = sys::handler_action(on_signal, libc::SA_NODEFER, BLOCKED);
    for sig in 1..65 {
        let Some(slot) = cfg.previous.slot(sig as c_int) else {
            continue;
        };
        if cfg.signals[sig] {
            // SAFETY: the slot is ours to write (see config::Previous); the kernel fills it.
            let _ = unsafe { sys::sigaction_into(sig as c_int, &act, slot) };
        }
    }
}

extern "C" fn on_signal(sig: c_int, info: *mut libc::siginfo_t, ctx: *mut c_void) {
    let tid = sys::gettid();
    match CRASH_TID.compare_exchange(0, tid, Ordering::SeqCst, Ordering::SeqCst) {
        Ok(_) => {}
        Err(owner) if owner == tid => {
            // We faulted while writing the report: give up and die of the original signal.
            let _ = sys::write_all(
                stderr_fd(),
                b"\ntracekit segv: the crash handler itself failed; dying of the original signal\n",
            );
            die_now(CRASH_SIG.load(Ordering::SeqCst));
            return;
        }
        Err(_) => {
            // Another thread is reporting: wait for it (it normally kills the process).
            while !DONE.load(Ordering::SeqCst) {
                sys::sleep_ms(10);
            }
            die_as_before(sig, info, ctx);
            return;
        }
    }
    CRASH_SIG.store(sig, Ordering::SeqCst);
    if let Some(cfg) = config::get() {
        arm_watchdog(cfg);
        // SAFETY: the kernel's siginfo for this delivery, valid while the handler runs.
        let info = unsafe { &*info };
        // SAFETY: the kernel's ucontext for this delivery (SA_SIGINFO), as above.
        let uc = unsafe { &*(ctx as *const libc::ucontext_t) };
        // SAFETY: this thread alone won the report (CRASH_TID), so the report state is ours.
        unsafe { report::write(cfg, sig, info, uc) };
        sys::alarm_ms(0);
    }
    DONE.store(true, Ordering::SeqCst);
    die_as_before(sig, info, ctx);
}

fn stderr_fd() -> c_int {
    config::get().map_or(2, |c| c.stderr_fd)
}

/// Restores the action that was there before us and lets the signal take it: a previous
/// handler is called; a fault that will repeat is left to repeat (so the kernel's own default
/// action, core dump included, happens exactly as without us); anything else is re-raised.
fn die_as_before(sig: c_int, info: *mut libc::siginfo_t, ctx: *mut c_void) {
    let old = previous_action(sig);
    let _ = sys::sigaction(sig, &old);
    let h = old.sa_sigaction;
    if h != libc::SIG_DFL && h != libc::SIG_IGN {
        if old.sa_flags & libc::SA_SIGINFO != 0 {
            // SAFETY: the program installed this as an SA_SIGINFO handler; we pass it the
            // same arguments the kernel gave us.
            let f: extern "C" fn(c_int, *mut libc::siginfo_t, *mut c_void) =
                unsafe { core::mem::transmute(h) };
            f(sig, info, ctx);
        } else {
            // SAFETY: a plain handler taking the signal number.
            let f: extern "C" fn(c_int) = unsafe { core::mem::transmute(h) };
            f(sig);
        }
        return;
    }
    // SAFETY: info is the kernel's siginfo.
    let code = unsafe { (*info).si_code };
    if describe::is_refaulting(sig, code) {
        return;
    }
    if h == libc::SIG_DFL {
        sys::unblock(sig);
        sys::tgkill(sys::gettid(), sig);
    }
}

/// Dies of `sig` now, whatever state the handler is in.
fn die_now(sig: c_int) {
    let sig = if sig == 0 { libc::SIGSEGV } else { sig };
    let _ = sys::sigaction(sig, &sys::default_action());
    let child = CHILD.load(Ordering::SeqCst);
    if child > 0 {
        sys::kill(child as i32, libc::SIGKILL);
    }
    sys::unblock(sig);
    let tid = CRASH_TID.load(Ordering::SeqCst);
    sys::tgkill(if tid > 0 { tid } else { sys::gettid() }, sig);
    // A blocked or ignored-by-force case: make sure we do not carry on.
    sys::kill(sys::getpid() as i32, sig);
}

extern "C" fn on_watchdog(_sig: c_int, _info: *mut libc::siginfo_t, _ctx: *mut c_void) {
    let _ = sys::write_all(
        stderr_fd(),
        b"\ntracekit segv: the crash report took too long; dying of the original signal\n",
    );
    die_now(CRASH_SIG.load(Ordering::SeqCst));
}

fn arm_watchdog(cfg: &Config) {
    let act = sys::handler_action(on_watchdog, 0, sys::sigset(&[]));
    let _ = sys::sigaction(libc::SIGALRM, &act);
    sys::unblock(libc::SIGALRM);
    sys::alarm_ms(cfg.timeout_ms + 500);
}
