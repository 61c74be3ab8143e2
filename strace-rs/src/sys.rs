//! The tracer's own signal handling: Ctrl-C/SIGTERM set a flag (the handler only stores an
//! atomic: async-signal-safe), and dying "like the tracee" when it was killed by a signal;
//! the monotonic clock.

use std::sync::atomic::{AtomicI32, Ordering};

use crate::config::Interruptible;

static INTERRUPTED: AtomicI32 = AtomicI32::new(0);

/// The signals that stop the tracer: handled by [`install_handlers`], or ignored (see
/// [`set_interruptible`]).
const FATAL_SIGNALS: [libc::c_int; 5] = [
    libc::SIGINT,
    libc::SIGTERM,
    libc::SIGHUP,
    libc::SIGQUIT,
    libc::SIGPIPE,
];

extern "C" fn on_signal(sig: libc::c_int) {
    INTERRUPTED.store(sig, Ordering::SeqCst);
}

/// Installs the handlers (without `SA_RESTART`, so a blocked `wait4` returns `EINTR`).
fn install_handlers() {
    for sig in FATAL_SIGNALS {
        // SAFETY: sigaction is plain data; all-zero is a valid starting value.
        let mut sa: libc::sigaction = unsafe { std::mem::zeroed() };
        sa.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as usize;
        // SAFETY: `sa.sa_mask` is ours; the handler only stores an atomic.
        unsafe {
            libc::sigemptyset(&mut sa.sa_mask);
            libc::sigaction(sig, &sa, std::ptr::null_mut());
        }
    }
}

/// The signal that interrupted the tracer, if any.
pub fn interrupted() -> Option<i32> {
    match INTERRUPTED.load(Ordering::SeqCst) {
        0 => None,
        s => Some(s),
    }
}

/// Dies by `sig` like the tracee did (no core file), so the shell sees 128+sig;
/// exits with 128+sig if the signal does not kill us.
pub fn die_by_signal(sig: i32) -> ! {
    let zero = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: plain syscalls on our own process with valid arguments.
    unsafe {
        libc::setrlimit(libc::RLIMIT_CORE, &zero);
        libc::signal(sig, libc::SIG_DFL);
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, sig);
        libc::sigprocmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
        libc::raise(sig);
    }
    std::process::exit(128 + sig)
}

/// Sets what the fatal signals do to the tracer (`-I`, strace's `opt_intr`): nothing
/// (`anywhere`: their default action), a flag the trace loop checks (`waiting`), or nothing
/// at all (`never`: ignored, and SIGTSTP too with `never_tstp`). SIGTTOU and SIGTTIN are
/// always ignored, as strace does, so a tracer in the background can write to the terminal.
pub fn set_interruptible(mode: Interruptible) {
    let ignore = |sig: libc::c_int| {
        // SAFETY: signal with SIG_IGN installs no handler and touches no memory of ours.
        unsafe { libc::signal(sig, libc::SIG_IGN) };
    };
    ignore(libc::SIGTTOU);
    ignore(libc::SIGTTIN);
    match mode {
        Interruptible::Anywhere => {}
        Interruptible::Waiting => install_handlers(),
        Interruptible::Never | Interruptible::NeverTstp => {
            FATAL_SIGNALS.into_iter().for_each(ignore);
            if mode == Interruptible::NeverTstp {
                ignore(libc::SIGTSTP);
            }
        }
    }
}

/// Points descriptors 0 and 1 at `/dev/null` (strace's `redirect_standard_fds`, after the
/// command is started): strace-rs writes to stderr or its `-o` file only.
pub fn redirect_standard_fds() {
    let Ok(null) = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")
    else {
        return;
    };
    use std::os::fd::AsRawFd;
    for fd in [0, 1] {
        // SAFETY: dup2 only replaces descriptor `fd` with a copy of ours; nothing in this
        // process holds a Rust handle that owns 0 or 1.
        unsafe { libc::dup2(null.as_raw_fd(), fd) };
    }
}

/// The monotonic clock (`Instant`'s, CLOCK_MONOTONIC) in ns: the calls' entry and exit
/// times. Plain integers, so that a call's duration and its times on the JSON clock are
/// subtractions (`Instant`'s `duration_since` was ~50 instructions each, three per call).
pub fn monotonic_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec, ours; CLOCK_MONOTONIC always exists.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}
