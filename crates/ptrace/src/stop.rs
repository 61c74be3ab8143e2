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

/// How a [`Waiter`] waits for the next stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spin {
    /// Poll for up to [`Spin::AUTO_BUDGET_US`] before blocking, while polling keeps finding the
    /// stops and the tracer is not preempted; off when the tracer may run on one CPU only
    /// (polling would only delay the tracee).
    Auto,
    /// Always block in `wait4`, as strace does.
    Off,
    /// Poll for up to this many microseconds before blocking, whatever the outcome.
    Fixed(u32),
}

impl Spin {
    /// How long [`Spin::Auto`] polls before it blocks.
    pub const AUTO_BUDGET_US: u32 = 100;

    /// A `--wait-spin` value: `auto`, `off` (or 0) or microseconds (at most a second).
    pub fn parse(v: &str) -> Option<Spin> {
        match v {
            "auto" => Some(Spin::Auto),
            "off" | "0" => Some(Spin::Off),
            _ => v
                .parse()
                .ok()
                .filter(|&us| us <= 1_000_000)
                .map(Spin::Fixed),
        }
    }
}

/// Waits for the next stop of any tracee, polling briefly before it blocks.
///
/// A traced system call is two stops, and at each the tracee wakes the tracer and the tracer
/// wakes the tracee. When the one that sleeps was alone on its CPU, the wake-up crosses CPUs
/// and brings an idle CPU back: an inter-processor interrupt, and in a virtual machine an
/// exit to the host (a stop costs ~140 us of wall time where the guest does not poll when
/// idle, as on the Firecracker VM this project is developed on, ~25 us with both tasks on one
/// CPU). A tracer that polls `wait4(WNOHANG)` for a while keeps its CPU awake, so half of
/// those wake-ups go (the tracee's CPU still idles while it is stopped). `strace-rs -f -c dd`
/// of 200k calls there: 0.31x the wall time of blocking waits (and of strace), and less CPU
/// too (0.52x strace's), since the idle exits cost the kernel more than the polls.
///
/// Polling pays only when stops come quickly, and only when CPUs would otherwise idle.
/// [`Spin::Auto`] keeps a score: a poll that found the stop raises it, one that gave up lowers
/// it twice as much, and below zero the waiter blocks at once, trying a poll again every
/// [`Waiter::PROBE_EVERY`] waits; so polling goes on only while at least two in three polls
/// succeed, and a tracee that computes between its calls costs the tracer at most a poll
/// budget every few dozen stops. And every [`Waiter::CHECK_EVERY`] waits it counts how often
/// the scheduler took the CPU from the tracer: on a busy machine a polling tracer takes CPU
/// time the tracee and the other programs need (there, `-f -c dd` took 1.3-1.6x the wall time
/// of blocking waits), so when it was preempted at more than one wait in eight it blocks for
/// the next [`Waiter::BACKOFF`] waits before it looks again.
#[derive(Debug)]
pub struct Waiter {
    budget_ns: u64,
    /// Whether a signal handler asked the tracer to stop: a signal that lands while it
    /// polls must not be followed by a wait that blocks for good.
    interrupted: fn() -> bool,
    adaptive: bool,
    score: i32,
    since_probe: u32,
    /// Waits since the last look at the involuntary context switches.
    since_check: u32,
    /// The thread's involuntary context switches at that look.
    switches: u64,
    /// Waits left that block at once because the machine was busy.
    backoff: u32,
}

impl Waiter {
    /// With polling off, how many waits before one polls again to see whether it would pay.
    pub const PROBE_EVERY: u32 = 64;
    /// How many waits between two looks at whether the tracer is being preempted.
    pub const CHECK_EVERY: u32 = 256;
    /// How many waits block at once after the tracer was found preempted while it polled.
    pub const BACKOFF: u32 = 16 * Waiter::CHECK_EVERY;
    const SCORE_MAX: i32 = 8;

    /// A waiter that polls as `spin` says.
    pub fn new(spin: Spin) -> Waiter {
        let (budget_us, adaptive) = match spin {
            Spin::Off => (0, false),
            Spin::Fixed(us) => (us, false),
            Spin::Auto if usable_cpus() <= 1 => (0, false),
            Spin::Auto => (Spin::AUTO_BUDGET_US, true),
        };
        Waiter {
            budget_ns: u64::from(budget_us) * 1000,
            interrupted: || false,
            adaptive,
            score: Waiter::SCORE_MAX / 2,
            since_probe: 0,
            since_check: 0,
            switches: involuntary_switches(),
            backoff: 0,
        }
    }

    /// Has [`Waiter::block`] (and [`Waiter::wait`]) fail with `Interrupted` instead of
    /// blocking when `interrupted` says so: the tracer's signal flag, which a signal that
    /// arrived while the waiter polled set without interrupting a blocking `wait4`.
    pub fn interruptible(mut self, interrupted: fn() -> bool) -> Waiter {
        self.interrupted = interrupted;
        self
    }

    /// Whether the next wait will poll first.
    fn polls(&mut self) -> bool {
        self.polls_with(involuntary_switches)
    }

    /// [`Waiter::polls`], with the thread's involuntary context switches read by `switches`.
    fn polls_with(&mut self, switches: impl Fn() -> u64) -> bool {
        if self.budget_ns == 0 {
            return false;
        }
        if !self.adaptive {
            return true;
        }
        if self.backoff > 0 {
            self.backoff -= 1;
            if self.backoff == 0 {
                // Measure the next window from here: blocking waits are preempted too.
                self.switches = switches();
                self.since_check = 0;
            }
            return false;
        }
        self.since_check += 1;
        if self.since_check >= Waiter::CHECK_EVERY {
            self.since_check = 0;
            let now = switches();
            let preempted = now.saturating_sub(self.switches);
            self.switches = now;
            if preempted > u64::from(Waiter::CHECK_EVERY / 8) {
                self.backoff = Waiter::BACKOFF;
                return false;
            }
        }
        if self.score >= 0 {
            return true;
        }
        self.since_probe += 1;
        if self.since_probe >= Waiter::PROBE_EVERY {
            self.since_probe = 0;
            return true;
        }
        false
    }

    fn scored(&mut self, found: bool) {
        if !self.adaptive {
            return;
        }
        self.score = if found {
            // A probe that succeeds turns polling back on at once.
            (self.score.max(0) + 1).min(Waiter::SCORE_MAX)
        } else {
            self.score - 2
        };
    }

    /// Looks for a stop without blocking: polls for up to the budget when polling pays (see
    /// [`Waiter`]), one `wait4(WNOHANG)` otherwise; for a tracer that has work to do
    /// (flushing output) before it blocks.
    pub fn poll(&mut self, want_rusage: bool) -> io::Result<Option<(Pid, Stop, Rusage)>> {
        if self.polls() {
            return self.spin(want_rusage);
        }
        wait_raw(-1, libc::WNOHANG, want_rusage)
    }

    /// Polls `wait4(WNOHANG)` until a stop comes, the budget is spent or a signal asked the
    /// tracer to stop.
    fn spin(&mut self, want_rusage: bool) -> io::Result<Option<(Pid, Stop, Rusage)>> {
        let start = std::time::Instant::now();
        loop {
            if let Some(r) = wait_raw(-1, libc::WNOHANG, want_rusage)? {
                self.scored(true);
                return Ok(Some(r));
            }
            if (self.interrupted)() {
                return Ok(None);
            }
            if start.elapsed().as_nanos() as u64 >= self.budget_ns {
                self.scored(false);
                return Ok(None);
            }
            std::hint::spin_loop();
        }
    }

    /// Blocks until the next stop of any tracee (after a [`Waiter::poll`] found none).
    pub fn block(&mut self, want_rusage: bool) -> io::Result<(Pid, Stop, Rusage)> {
        if (self.interrupted)() {
            return Err(io::ErrorKind::Interrupted.into());
        }
        Ok(wait_raw(-1, 0, want_rusage)?.expect("blocking wait returns a stop"))
    }

    /// Waits for the next stop of any tracee: polls first (see [`Waiter`]), then blocks.
    /// Fails with `ECHILD` when there are no tracees left and `Interrupted` when a signal
    /// handler ran; without `want_rusage` the returned [`Rusage`] is zero (cheaper).
    pub fn wait(&mut self, want_rusage: bool) -> io::Result<(Pid, Stop, Rusage)> {
        // Not polling: straight to the blocking wait (one system call, as strace).
        if self.polls() {
            if let Some(r) = self.spin(want_rusage)? {
                return Ok(r);
            }
        }
        self.block(want_rusage)
    }
}

/// How many times the scheduler has taken the CPU from this thread (`getrusage`'s
/// `ru_nivcsw`); 0 when that fails.
fn involuntary_switches() -> u64 {
    // SAFETY: rusage is plain integers; all-zero is valid.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage writes one rusage into `ru`, ours.
    if unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut ru) } != 0 {
        return 0;
    }
    ru.ru_nivcsw as u64
}

/// How many CPUs this thread may run on (`sched_getaffinity`); 1 when that fails.
fn usable_cpus() -> u32 {
    // SAFETY: cpu_set_t is a plain bit array; all-zero is valid.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: sched_getaffinity writes at most size_of::<cpu_set_t>() bytes into `set`.
    let r = unsafe { libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) };
    if r != 0 {
        return 1;
    }
    // SAFETY: CPU_COUNT reads the set it is given.
    unsafe { libc::CPU_COUNT(&set) as u32 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auto() -> Waiter {
        Waiter {
            budget_ns: 100_000,
            interrupted: || false,
            adaptive: true,
            score: Waiter::SCORE_MAX / 2,
            since_probe: 0,
            since_check: 0,
            switches: u64::MAX,
            backoff: 0,
        }
    }

    #[test]
    fn polling_stops_when_polls_fail_and_comes_back_when_a_probe_succeeds() {
        let mut w = auto();
        // Two failures cost more than one success earns: 4 -> 2 -> 0 -> -2.
        for _ in 0..3 {
            assert!(w.polls());
            w.scored(false);
        }
        // Off: one probe every PROBE_EVERY waits.
        let probes = (0..Waiter::PROBE_EVERY * 3).filter(|_| w.polls()).count();
        assert_eq!(probes, 3);
        w.scored(true);
        assert!(
            w.polls(),
            "a probe that found its stop turns polling back on"
        );
        // Two successes for each failure keep it on.
        for _ in 0..100 {
            w.scored(true);
            w.scored(true);
            w.scored(false);
            assert!(w.polls());
        }
    }

    #[test]
    fn polling_backs_off_while_the_tracer_is_preempted() {
        let mut w = auto();
        w.switches = 0;
        let mut preempted = 0;
        // One preemption every fourth wait: more than one in eight.
        for i in 0..Waiter::CHECK_EVERY - 1 {
            preempted += u64::from(i % 4 == 0);
            assert!(w.polls_with(|| preempted));
            w.scored(true);
        }
        assert!(!w.polls_with(|| preempted), "busy: blocks at once");
        let blocked = (0..2 * Waiter::BACKOFF)
            .take_while(|_| !w.polls_with(|| preempted))
            .count();
        assert_eq!(blocked as u32, Waiter::BACKOFF);
        // A quiet window (one preemption in 32 waits) keeps polling on.
        for i in 0..3 * Waiter::CHECK_EVERY {
            preempted += u64::from(i % 32 == 0);
            assert!(w.polls_with(|| preempted), "wait {i}");
            w.scored(true);
        }
    }

    #[test]
    fn fixed_and_off_do_not_adapt() {
        let mut off = Waiter::new(Spin::Off);
        assert!(!off.polls());
        let mut fixed = Waiter::new(Spin::Fixed(5));
        for _ in 0..10 {
            fixed.scored(false);
        }
        assert!(fixed.polls());
        assert_eq!(Spin::parse("auto"), Some(Spin::Auto));
        assert_eq!(Spin::parse("0"), Some(Spin::Off));
        assert_eq!(Spin::parse("250"), Some(Spin::Fixed(250)));
        assert_eq!(Spin::parse("-1"), None);
        assert_eq!(Spin::parse("2000000"), None);
    }
}
