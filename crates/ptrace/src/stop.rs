//! Waiting for tracees and classifying why they stopped.

use std::io;

use crate::{event_msg, Pid};

/// A `PTRACE_EVENT_*` stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// `fork`: the new process.
    Fork(Pid),
    /// `vfork`: the new process.
    Vfork(Pid),
    /// `clone`: the new thread or process.
    Clone(Pid),
    /// `execve` succeeded; the tid the exec came from (differs from the stopped pid when a
    /// non-leader thread called execve).
    Exec(Pid),
    /// The vfork child released the parent's memory.
    VforkDone,
    /// The tracee is about to exit, with this wait status.
    Exit(i32),
    /// A `SECCOMP_RET_TRACE` filter result.
    Seccomp,
}

/// Why a tracee stopped, or how it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// A syscall-entry or -exit stop (ask [`crate::syscall_info`] which).
    Syscall,
    /// A signal is about to be delivered; resume with it to deliver it, 0 to suppress it.
    Signal(i32),
    /// Group-stop by this stop signal; restart with [`crate::listen`] to keep it stopped.
    GroupStop(i32),
    /// A `PTRACE_INTERRUPT` (or seize) stop.
    Interrupt,
    /// A ptrace event stop.
    Event(Event),
    /// The tracee exited with `code`.
    Exited(i32),
    /// The tracee was killed by `signal`.
    Killed {
        /// The signal.
        signal: i32,
        /// A core file was written.
        core: bool,
    },
}

/// CPU times of a tracee, as wait4 reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Rusage {
    /// System time in microseconds.
    pub stime_us: u64,
    /// User time in microseconds.
    pub utime_us: u64,
}

fn classify(pid: Pid, status: i32) -> Stop {
    if libc::WIFEXITED(status) {
        return Stop::Exited(libc::WEXITSTATUS(status));
    }
    if libc::WIFSIGNALED(status) {
        return Stop::Killed {
            signal: libc::WTERMSIG(status),
            core: libc::WCOREDUMP(status),
        };
    }
    let sig = libc::WSTOPSIG(status);
    let event = (status >> 16) & 0xff;
    if sig == libc::SIGTRAP | 0x80 {
        return Stop::Syscall;
    }
    let msg = || event_msg(pid).unwrap_or(0);
    match event {
        0 => Stop::Signal(sig),
        libc::PTRACE_EVENT_STOP => match sig {
            libc::SIGSTOP | libc::SIGTSTP | libc::SIGTTIN | libc::SIGTTOU => Stop::GroupStop(sig),
            _ => Stop::Interrupt,
        },
        libc::PTRACE_EVENT_FORK => Stop::Event(Event::Fork(Pid(msg() as i32))),
        libc::PTRACE_EVENT_VFORK => Stop::Event(Event::Vfork(Pid(msg() as i32))),
        libc::PTRACE_EVENT_CLONE => Stop::Event(Event::Clone(Pid(msg() as i32))),
        libc::PTRACE_EVENT_EXEC => Stop::Event(Event::Exec(Pid(msg() as i32))),
        libc::PTRACE_EVENT_VFORK_DONE => Stop::Event(Event::VforkDone),
        libc::PTRACE_EVENT_EXIT => Stop::Event(Event::Exit(msg() as i32)),
        libc::PTRACE_EVENT_SECCOMP => Stop::Event(Event::Seccomp),
        _ => Stop::Interrupt,
    }
}

fn wait_raw(pid: i32, flags: i32, want_rusage: bool) -> io::Result<Option<(Pid, Stop, Rusage)>> {
    let mut status = 0;
    // SAFETY: rusage is plain integers; all-zero is valid.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // The kernel sums the CPU times of the whole thread group for rusage: skip it when the
    // caller does not need it.
    let ru_ptr: *mut libc::rusage = if want_rusage {
        &mut ru
    } else {
        std::ptr::null_mut()
    };
    // SAFETY: wait4 writes one int to `status` and, when non-null, one rusage to `ru_ptr`,
    // both ours.
    let r = unsafe { libc::wait4(pid, &mut status, flags | libc::__WALL, ru_ptr) };
    if r == -1 {
        return Err(io::Error::last_os_error());
    }
    if r == 0 {
        return Ok(None);
    }
    let tv = |t: libc::timeval| t.tv_sec as u64 * 1_000_000 + t.tv_usec as u64;
    let rusage = Rusage {
        stime_us: tv(ru.ru_stime),
        utime_us: tv(ru.ru_utime),
    };
    Ok(Some((Pid(r), classify(Pid(r), status), rusage)))
}

/// Waits for the next stop of any tracee (or of `pid`). Fails with `ECHILD` when there are no
/// tracees left and `Interrupted` when a signal handler ran.
pub fn wait(pid: Option<Pid>) -> io::Result<(Pid, Stop)> {
    wait_pid(pid, false).map(|r| {
        let (p, s, _) = r.expect("blocking wait returns a stop");
        (p, s)
    })
}

/// Like [`wait`] with the tracee's CPU times; with `nohang`, `Ok(None)` when nothing is ready.
pub fn wait_pid(pid: Option<Pid>, nohang: bool) -> io::Result<Option<(Pid, Stop, Rusage)>> {
    let flags = if nohang { libc::WNOHANG } else { 0 };
    wait_raw(pid.map_or(-1, |p| p.0), flags, true)
}

/// Like [`wait_pid`] (blocking, any tracee) without collecting CPU times (cheaper; the
/// returned [`Rusage`] is zero).
pub fn wait_any_fast() -> io::Result<(Pid, Stop)> {
    wait_raw(-1, 0, false).map(|r| {
        let (p, s, _) = r.expect("blocking wait returns a stop");
        (p, s)
    })
}
