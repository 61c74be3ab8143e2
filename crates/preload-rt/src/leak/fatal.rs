//! The check at the end of a process killed by a fatal signal, as memcheck checks at the end
//! of the process whatever ended it (LeakSanitizer does not).
//!
//! With the check on, a handler is installed at session start for each signal of [`FATAL`]
//! that the program left at its default action (an ignored signal, or one the program
//! handles itself later, is the program's). When such a signal arrives, the thread it hit
//! runs the check (its own stack from the handler's frame up, the interrupted registers in
//! the kernel's signal frame included; the other threads stopped as at exit), writes `Exit`
//! with the signal and finishes the log, then dies of the same signal with its default
//! action: a fault that repeats is left to repeat (the core dump is the kernel's, of the
//! faulting instruction), anything else is sent again. The exit status is the one without
//! the tracker.
//!
//! Where it cannot be done safely, the process dies without a check (said on stderr): a
//! signal that hit a thread inside the tracker (such as glibc's `abort` on heap corruption
//! inside a hooked `malloc`: the tracker's locks may be held), or a second fatal signal on
//! the thread that runs the check. A stack overflow kills before the handler runs (it runs
//! on the thread's own stack, which the check scans). Other threads hit by a fatal signal
//! meanwhile wait for the check, then die of their own signal.
//!
//! Left out on purpose: `SIGINT` (Python, for one, installs its `KeyboardInterrupt` handler
//! only when it finds `SIGINT` at its default action, and a handler of ours would change
//! that), and `SIGKILL`/`SIGSTOP`, which no handler sees.

use core::ffi::{c_int, c_void};
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use tracekit_log::Leak;

use crate::sys;

/// The signals whose default action ends the process, after which the check runs (all but
/// `SIGINT`, see the module's text).
pub const FATAL: [c_int; 20] = [
    libc::SIGSEGV,
    libc::SIGBUS,
    libc::SIGILL,
    libc::SIGFPE,
    libc::SIGABRT,
    libc::SIGTRAP,
    libc::SIGSYS,
    libc::SIGQUIT,
    libc::SIGXCPU,
    libc::SIGXFSZ,
    libc::SIGTERM,
    libc::SIGHUP,
    libc::SIGPIPE,
    libc::SIGALRM,
    libc::SIGUSR1,
    libc::SIGUSR2,
    libc::SIGVTALRM,
    libc::SIGPROF,
    libc::SIGIO,
    libc::SIGPWR,
];

/// The thread running the check (0: none yet).
static TID: AtomicU32 = AtomicU32::new(0);
/// The check is over (the log finished): threads that waited may die.
static DONE: AtomicBool = AtomicBool::new(false);

/// Installs the handler for each signal of [`FATAL`] still at its default action.
pub fn install() {
    let mut act = sys::handler_action(on_fatal, 0, sys::full_sigset());
    // On the thread's own stack: the check scans it from the handler's frame up.
    act.sa_flags &= !libc::SA_ONSTACK;
    for sig in FATAL {
        let Ok(old) = sys::sigaction(sig, &act) else {
            continue;
        };
        if old.sa_sigaction != libc::SIG_DFL {
            // Ignored or handled by the program (inherited, or set by a constructor): its own.
            let _ = sys::sigaction(sig, &old);
        }
    }
}

extern "C" fn on_fatal(sig: c_int, info: *mut libc::siginfo_t, _ctx: *mut c_void) {
    let me = sys::gettid();
    match TID.compare_exchange(0, me, Ordering::AcqRel, Ordering::Acquire) {
        Ok(_) => {}
        Err(owner) if owner == me => {
            // A second fatal signal on the thread that runs the check (it blocks the
            // others while it runs, so a fault): die of it now.
            die(sig, info);
            return;
        }
        Err(_) => {
            // Another thread is checking: let it stop this one (its stack is a root), wait
            // for the log to be finished, then die of this signal.
            while !DONE.load(Ordering::Acquire) {
                let stop = super::world::stop_signal();
                if stop != 0 {
                    sys::unblock(stop);
                }
                sys::sleep_us(1000);
            }
            die(sig, info);
            return;
        }
    }
    if crate::guard::Guard::held() {
        crate::say!("leak check: signal {sig} arrived inside the tracker: no check");
    } else if let Some(_g) = crate::guard::Guard::enter() {
        let frame = 0u64;
        super::check_now(
            core::hint::black_box(&frame) as *const u64 as u64,
            Leak::AT_FATAL_SIGNAL,
            false,
        );
        crate::session::finish_killed(sig as u32);
    }
    DONE.store(true, Ordering::Release);
    die(sig, info);
}

/// Dies of `sig` with its default action: returns to a faulting instruction that faults
/// again, or sends `sig` again (unblocked) to this thread.
fn die(sig: c_int, info: *mut libc::siginfo_t) {
    let _ = sys::sigaction(sig, &sys::default_action());
    let code = if info.is_null() {
        0
    } else {
        // SAFETY: the kernel's siginfo for this delivery (SA_SIGINFO), valid while the
        // handler runs.
        unsafe { (*info).si_code }
    };
    let refaults = matches!(
        sig,
        libc::SIGSEGV | libc::SIGBUS | libc::SIGILL | libc::SIGFPE
    ) && code > 0;
    if refaults {
        return;
    }
    sys::unblock(sig);
    sys::tgkill(sys::gettid(), sig);
}
