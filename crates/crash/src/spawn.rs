//! Symbolization out of process: the handler forks (a bare `clone`, no atfork handlers) a child
//! that `execve`s `tracekit segv --symbolize PID FRAMES...`. The child reads our
//! `/proc/PID/maps` and the modules' debug info while we wait, still alive, and prints one line
//! per frame into a pipe that we copy into the report. Nothing of that runs on our possibly
//! corrupted heap, and a child that takes too long is killed.

use core::fmt::Write as _;
use core::sync::atomic::Ordering;

use crate::config::CPath;
use crate::handler::CHILD;
use crate::out::Report;
use crate::unwind::Backtrace;
use crate::{sys, unwind};

const MAX_ARGS: usize = unwind::HEAD + unwind::TAIL + 8;
const ARG_BYTES: usize = 32;

#[derive(Debug)]
/// Room for the child's argument strings and the argv/envp arrays.
pub struct Argv {
    strings: [[u8; ARG_BYTES]; MAX_ARGS],
    ptrs: [*const u8; MAX_ARGS + 1],
    env: [*const u8; 1],
}

impl Argv {
    /// Empty.
    pub const fn new() -> Self {
        Argv {
            strings: [[0; ARG_BYTES]; MAX_ARGS],
            ptrs: [core::ptr::null(); MAX_ARGS + 1],
            env: [core::ptr::null()],
        }
    }
}

impl Default for Argv {
    fn default() -> Self {
        Self::new()
    }
}

fn set(slot: &mut [u8; ARG_BYTES], args: core::fmt::Arguments<'_>) {
    let mut s = tracekit_preload_core::fmt::FixedBuf::<{ ARG_BYTES - 1 }>::new();
    let _ = s.write_fmt(args);
    let b = s.as_bytes();
    slot[..b.len()].copy_from_slice(b);
    slot[b.len()] = 0;
}

/// Runs the symbolizer on `bt`, copying its output into `rep`. Returns true when it succeeded
/// (exit status 0); on false, whatever it printed is in the report and the caller adds the
/// raw frames.
pub fn symbolize(
    prog: Option<&CPath>,
    timeout_ms: u64,
    pid: u32,
    bt: &Backtrace,
    argv: &mut Argv,
    rep: &mut Report,
) -> bool {
    let Some(prog) = prog else {
        return false;
    };
    // argv: PROG segv --symbolize PID -- INDEX:ADDR[!]...
    let mut n = 0;
    set(&mut argv.strings[n], format_args!("tracekit"));
    n += 1;
    set(&mut argv.strings[n], format_args!("segv"));
    n += 1;
    set(&mut argv.strings[n], format_args!("--symbolize"));
    n += 1;
    set(&mut argv.strings[n], format_args!("{pid}"));
    n += 1;
    set(&mut argv.strings[n], format_args!("--"));
    n += 1;
    for f in bt.frames() {
        if n >= MAX_ARGS {
            break;
        }
        let exact = if f.exact { "!" } else { "" };
        set(
            &mut argv.strings[n],
            format_args!("{}:{:x}{exact}", f.index, f.pc),
        );
        n += 1;
    }
    for i in 0..n {
        argv.ptrs[i] = argv.strings[i].as_ptr();
    }
    argv.ptrs[n] = core::ptr::null();

    let Ok((rd, wr)) = sys::pipe() else {
        return false;
    };
    let child = match sys::raw_fork() {
        Ok(0) => {
            // The child: only raw system calls until execve.
            let _ = sys::dup2(wr, 1);
            let _ = sys::dup2(wr, 2);
            sys::unblock_all();
            // SAFETY: prog is NUL-terminated; argv and env are NULL-terminated arrays of
            // NUL-terminated strings in memory this (copied) process owns.
            unsafe {
                sys::execve(
                    prog.with_nul().as_ptr(),
                    argv.ptrs.as_ptr(),
                    argv.env.as_ptr(),
                )
            };
            sys::exit_group(127);
        }
        Ok(pid) => pid,
        Err(_) => {
            sys::close(rd);
            sys::close(wr);
            return false;
        }
    };
    CHILD.store(child, Ordering::SeqCst);
    sys::close(wr);
    let before = rep.text().len();
    let deadline = sys::clock_ns(libc::CLOCK_MONOTONIC) + timeout_ms * 1_000_000;
    let mut timed_out = false;
    loop {
        let now = sys::clock_ns(libc::CLOCK_MONOTONIC);
        if now >= deadline {
            timed_out = true;
            break;
        }
        if !sys::poll_readable(rd, ((deadline - now) / 1_000_000 + 1) as i64) {
            continue;
        }
        let spare = rep.spare();
        if spare.is_empty() {
            rep.flush();
            break;
        }
        match sys::read(rd, spare) {
            Ok(0) => break,
            Ok(k) => {
                rep.commit(k);
                rep.flush();
            }
            Err(sys::Errno(libc::EINTR)) => {}
            Err(_) => break,
        }
    }
    sys::close(rd);
    let status = if timed_out {
        sys::kill(child as i32, libc::SIGKILL);
        let _ = sys::wait(child, true);
        let _ = writeln!(
            rep,
            "  (the symbolizer took longer than {} ms and was stopped)",
            timeout_ms
        );
        sys::Waited::Other
    } else {
        sys::wait(child, true)
    };
    CHILD.store(0, Ordering::SeqCst);
    // Success is a clean exit that printed frames.
    let printed_frames = rep.text()[before.min(rep.text().len())..]
        .windows(3)
        .any(|w| w == b" #0");
    status == sys::Waited::Exited(0) && printed_frames
}
