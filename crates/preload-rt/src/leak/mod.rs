//! The leak check (`TRACEKIT_LEAK_CHECK=summary|full`, or `tracekit heap --leak-check`): the
//! live blocks kept in a table while the program runs, then at exit (after every exit
//! handler and destructor, and after the runtimes' buffers were freed) the other threads
//! stopped, the roots found and every block classified as valgrind memcheck does
//! (`tracekit-leak-scan`), the result written as `Leak` records that `tracekit` prints as
//! memcheck's LEAK SUMMARY and loss records.
//!
//! Cost: with the check off, one relaxed load per event; on, one store into the direct map
//! (a block of up to 128 bytes of glibc's main heap) or a hash-table insert or remove (the
//! others), in a table that the session's writer owns (under the session lock every event
//! takes: no lock of its own). Nothing allocates through the hooked allocator: the table and
//! the scan's memory are mapped with `preload-sys`.
//!
//! - [`live`]: the live-block table;
//! - [`in_place`]: the scan's view of it, where it lies;
//! - [`fatal`]: the check at the end of a process killed by a fatal signal;
//! - [`world`]: stopping the other threads and reading their registers;
//! - [`roots`]: the roots, from `/proc/self/maps`, and the scan.

pub mod fatal;
pub mod in_place;
pub mod live;
pub mod roots;
pub mod world;

use core::ffi::{c_int, c_void};
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU8, Ordering};

use tracekit_log::{Event, Leak, LeakLoss};

use crate::session::Writer;
use live::Live;

static ON: AtomicBool = AtomicBool::new(false);
/// memcheck's heuristics to apply (`TRACEKIT_LEAK_CHECK_HEURISTICS`; default all).
static HEURISTICS: AtomicU8 = AtomicU8::new(tracekit_leak_scan::Heuristics::ALL.0);
static DONE: AtomicBool = AtomicBool::new(false);
/// Checks made by this process image (the next one's number is one more).
static CHECKS: AtomicU32 = AtomicU32::new(0);
/// A check asked by the signal while its thread was inside the tracker, to run at the next
/// event (any thread's) outside the session lock.
static PENDING: AtomicBool = AtomicBool::new(false);

/// The environment variable that turns the check on (`summary`, `full` or `yes`; `no` or
/// unset: off). What is printed is the reader's choice; the process records the same.
pub const VAR: &str = "TRACEKIT_LEAK_CHECK";

/// The environment variable naming memcheck's heuristics to apply (default all).
pub const HEURISTICS_VAR: &str = "TRACEKIT_LEAK_CHECK_HEURISTICS";

/// Reads [`VAR`] and [`HEURISTICS_VAR`]: whether the check is on, and the heuristics' bits. A
/// value neither knows is said on stderr in one line (the check off, or all heuristics).
pub fn env_options() -> (bool, u8) {
    fn text(v: &[u8]) -> &str {
        core::str::from_utf8(v).unwrap_or("(not UTF-8)")
    }
    let on = match crate::env::var(VAR) {
        None | Some(b"" | b"no" | b"0") => false,
        Some(b"summary" | b"full" | b"yes" | b"1") => true,
        Some(v) => {
            crate::say!(
                "{VAR}={}: expected no, summary or full (no leak check)",
                text(v)
            );
            false
        }
    };
    let mut heuristics = tracekit_leak_scan::Heuristics::ALL.0;
    if let Some(h) = crate::env::var(HEURISTICS_VAR) {
        match parse_heuristics(h) {
            Some(bits) => heuristics = bits,
            None => crate::say!(
                "{HEURISTICS_VAR}={}: expected all, none or names from \
                 stdstring,length64,newarray,multipleinheritance (using all)",
                text(h)
            ),
        }
    }
    (on, heuristics)
}

/// Reads the environment once, at session start.
pub fn configure() {
    let (on, heuristics) = env_options();
    HEURISTICS.store(heuristics, Ordering::Relaxed);
    if on {
        crate::sys::own::track();
    }
    ON.store(on, Ordering::Relaxed);
    if on {
        fatal::install();
    }
    if let Some(sig) = crate::env::var(SIGNAL_VAR).and_then(parse_signal) {
        if on {
            // No SA_ONSTACK: the handler's frame must be on the thread's own stack, which
            // the check scans from there up (the interrupted registers, saved by the kernel
            // in the signal frame above it, included).
            let mut act = crate::sys::handler_action(on_signal, 0, crate::sys::full_sigset());
            act.sa_flags &= !libc::SA_ONSTACK;
            if crate::sys::sigaction(sig, &act).is_err() {
                crate::say!("leak check: {SIGNAL_VAR}: signal {sig} cannot be caught");
            }
        }
    }
}

/// The environment variable naming the signal that asks for a check (a number, or a name
/// such as `USR2`/`SIGUSR2`, `RTMIN+3`), as heaptrack's and valgrind's monitor `leak_check`.
pub const SIGNAL_VAR: &str = "TRACEKIT_LEAK_CHECK_SIGNAL";

/// A signal number or name (`SIGUSR1`, `USR2`, `RTMIN+N`, `12`).
pub fn parse_signal(text: &[u8]) -> Option<c_int> {
    let name = text.strip_prefix(b"SIG").unwrap_or(text);
    let number = |t: &[u8]| -> Option<c_int> {
        let s = core::str::from_utf8(t).ok()?;
        s.parse::<c_int>().ok()
    };
    let sig = match name {
        b"USR1" => libc::SIGUSR1,
        b"USR2" => libc::SIGUSR2,
        b"HUP" => libc::SIGHUP,
        b"PWR" => libc::SIGPWR,
        _ => match name.strip_prefix(b"RTMIN+") {
            Some(n) => libc::SIGRTMIN() + number(n)?,
            None => number(name)?,
        },
    };
    (1..=64).contains(&sig).then_some(sig)
}

/// The signal's handler: the check, now unless this thread was interrupted inside the
/// tracker (which may hold the session lock or the table's): then at the next event.
extern "C" fn on_signal(_sig: c_int, _info: *mut libc::siginfo_t, _ctx: *mut c_void) {
    let Some(_g) = crate::guard::Guard::enter() else {
        PENDING.store(true, Ordering::Release);
        return;
    };
    let frame = 0u64;
    check_now(
        core::hint::black_box(&frame) as *const u64 as u64,
        Leak::ON_SIGNAL,
        false,
    );
}

/// Runs a check that the signal asked for inside the tracker, if any. Call from a hook after
/// its event was written (the reentrancy guard held, not the session lock): one relaxed load
/// when none is pending.
#[inline(always)]
pub fn run_pending() {
    if PENDING.load(Ordering::Relaxed) && PENDING.swap(false, Ordering::AcqRel) {
        let frame = 0u64;
        check_now(
            core::hint::black_box(&frame) as *const u64 as u64,
            Leak::ON_SIGNAL,
            false,
        );
    }
}

/// A check the program asked for (`tracekit_do_leak_check()`, as valgrind's
/// `VALGRIND_DO_LEAK_CHECK` and LeakSanitizer's `__lsan_do_recoverable_leak_check`): the
/// blocks live now, classified and written as a `Leak` check of its own; the program goes on.
/// Call holding the reentrancy guard and not the session lock; `frame` as for [`at_exit`].
pub fn on_request(frame: u64) {
    check_now(frame, Leak::ON_REQUEST, false);
}

/// memcheck's `--leak-check-heuristics` list (`all`, `none`, or names joined by commas).
pub fn parse_heuristics(text: &[u8]) -> Option<u8> {
    use tracekit_leak_scan::Heuristics as H;
    let mut bits = 0;
    for name in text.split(|&b| b == b',') {
        bits |= match name {
            b"all" => H::ALL.0,
            b"none" => 0,
            b"stdstring" => H::STDSTRING,
            b"length64" => H::LENGTH64,
            b"newarray" => H::NEWARRAY,
            b"multipleinheritance" => H::MULTIPLE_INHERITANCE,
            _ => return None,
        };
    }
    Some(bits)
}

/// True when the live blocks are kept (one relaxed load: the hooks' whole cost when off).
#[inline(always)]
pub fn on() -> bool {
    ON.load(Ordering::Relaxed)
}

/// A block was allocated (`w`: the session, locked; the stack id just written).
#[inline]
pub fn note_alloc(w: &mut Writer, ptr: u64, size: u64, stack: u64) {
    if on() && ptr != 0 {
        w.live().insert(Live { ptr, size, stack });
    }
}

/// A block is about to be freed (`w`: the session, locked).
#[inline]
pub fn note_free(w: &mut Writer, ptr: u64) {
    if on() && ptr != 0 {
        w.live().remove(ptr);
    }
}

/// `realloc(old, size)` returned `new` (`w`: the session, locked).
#[inline]
pub fn note_realloc(w: &mut Writer, old: u64, new: u64, size: u64, stack: u64) {
    if !on() {
        return;
    }
    let t = w.live();
    if new != 0 {
        t.remove(old);
        t.insert(Live {
            ptr: new,
            size,
            stack,
        });
    } else if size == 0 {
        // glibc's `realloc(p, 0)` frees `p` and returns NULL.
        t.remove(old);
    }
}

/// Losses per `Leak` record.
const LOSSES_PER_RECORD: usize = 128;

/// Runs the check once per process image, when it is on, and writes its `Leak` records.
/// Call it at exit (after the runtimes' buffers were freed, before `Exit`), holding the
/// reentrancy guard and not the session lock; `frame` is an address in the frame of the
/// tracker's outermost function on this thread's stack (its exit handler): the stack is
/// scanned from there up, as memcheck scans it at `exit_group` without the tracker's frames.
/// `in_exit_handler`: called from the handler that glibc's `exit` runs, whose frames (and
/// `exit`'s) the check then leaves out too (see [`roots::check`]).
pub fn at_exit(frame: u64, in_exit_handler: bool) {
    check_now(frame, Leak::AT_EXIT, in_exit_handler);
}

/// One check, numbered, with its cause.
fn check_now(frame: u64, cause: u8, in_exit: bool) {
    if !on() {
        return;
    }
    let Some(mut w) = crate::session::lock() else {
        return;
    };
    // A `vfork` child shares its parent's memory, blocks and log: the parent checks. The
    // check at exit is made once (`exit` then `_exit`, or a second `exit` from a handler;
    // a fatal signal during or after the check at exit).
    let last = cause == Leak::AT_EXIT || cause == Leak::AT_FATAL_SIGNAL;
    if !w.owns_log() || (last && DONE.swap(true, Ordering::AcqRel)) {
        return;
    }
    let check = CHECKS.fetch_add(1, Ordering::Relaxed) + 1;
    let heuristics = HEURISTICS.load(Ordering::Relaxed);
    // The table is taken out of the writer while the check writes records (the session lock
    // held all along: no event comes meanwhile), and put back after.
    let mut table = core::mem::take(w.live());
    if table.is_broken() {
        *w.live() = table;
        crate::say!("leak check: the live-block table could not grow (out of memory): no check");
        return;
    }
    let pid = crate::sys::getpid();
    let mut buf = [LeakLoss::default(); LOSSES_PER_RECORD];
    let mut n = 0;
    let ok = roots::check(
        &mut table,
        frame,
        in_exit,
        tracekit_leak_scan::Heuristics(heuristics),
        last,
        |loss| {
            buf[n] = loss;
            n += 1;
            if n == buf.len() {
                write(&mut w, pid, heuristics, (check, cause), &buf[..n]);
                n = 0;
            }
        },
    );
    if ok {
        // The last (or only, maybe empty) record: a check with no live block says so too.
        write(&mut w, pid, heuristics, (check, cause), &buf[..n]);
    } else {
        crate::say!("leak check: no memory for the scan: no check");
    }
    *w.live() = table;
}

fn write(
    w: &mut crate::session::Writer,
    pid: u32,
    heuristics: u8,
    (check, cause): (u32, u8),
    losses: &[LeakLoss],
) {
    let time_ns = w.now();
    w.write(&Event::Leak(Leak {
        time_ns,
        pid,
        layout: Leak::LAYOUT,
        heuristics,
        losses: losses.into(),
        check,
        cause,
    }));
}
