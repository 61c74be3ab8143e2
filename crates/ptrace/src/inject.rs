//! Calling functions inside another, running process: what `tracekit heap -p` needs to load
//! its agent without gdb.
//!
//! [`Stopped::stop_all`] seizes and interrupts every thread of a process (threads started
//! meanwhile too); [`Stopped::run_to`] runs chosen threads, the others held, each to an
//! address of the caller's (a safe point: a one-shot breakpoint there; others may run along,
//! to no address, until they have all arrived); [`Stopped::settle`] lets the threads a caller deems unsafe (inside the
//! allocator or the dynamic loader) run on, a moment at a time, until none is;
//! [`Stopped::call`] runs a function of the target on one of its threads, with arguments
//! (integers, or bytes placed below its stack), and returns its result; every register (the
//! extended state too) and every stack byte is put back afterwards.
//! [`Stopped::call_or_release`] does it with the other threads held, letting the doubtful
//! ones run a slice at a time while the call waits in `futex` (one may hold the lock it
//! waits for). Waits are polled, so that a process that exits in the middle (its leader's
//! exit is reported only once the held threads are reaped) ends them with `ESRCH` instead of
//! hanging. Dropping a [`Stopped`]
//! detaches every thread, handing back the signals that arrived meanwhile: the target is never
//! left stopped.
//!
//! The call returns to address 0: the fault that follows is the end of the call, seen as a
//! `SIGSEGV` signal-delivery stop at `rip == 0` and never delivered. A thread that was inside
//! a system call restarts it when resumed (its `orig_rax` is cleared for the call and put
//! back after), as under gdb's `call`.

use std::io;

use crate::{
    get_regs, get_xstate, interrupt, mem, resume, seize, set_regs, set_xstate, tgkill, Breakpoint,
    Options, Pid, Regs, Resume, Stop,
};

/// One argument of a remote call.
#[derive(Debug, Clone, Copy)]
pub enum Arg<'a> {
    /// An integer or an address of the target.
    Int(u64),
    /// Bytes copied below the thread's stack for the call (a C string must end in NUL); the
    /// function gets their address.
    Bytes(&'a [u8]),
}

/// For [`Stopped::call_or_release`]: how long to hold the other threads at most, and which
/// of them may hold a lock the call needs.
pub type Patience<'a> = (std::time::Duration, &'a dyn Fn(&Thread) -> bool);

/// A stopped thread of the target.
#[derive(Debug)]
pub struct Thread {
    /// Its id.
    pub tid: Pid,
    /// Its registers when it stopped.
    pub regs: Regs,
    /// Signals that arrived while we held it, delivered when it is released.
    pending: Vec<i32>,
}

impl Thread {
    /// True when it stopped inside a system call (which it restarts when resumed).
    pub fn in_syscall(&self) -> bool {
        (self.regs.orig_rax as i64) >= 0
    }
}

/// Every thread of a process, stopped under ptrace; released when dropped.
#[derive(Debug)]
pub struct Stopped {
    /// The process.
    pub pid: Pid,
    /// Its threads.
    pub threads: Vec<Thread>,
}

/// Why a remote call failed.
fn gone() -> io::Error {
    io::Error::from_raw_os_error(libc::ESRCH)
}

fn task_ids(pid: Pid) -> io::Result<Vec<Pid>> {
    let mut ids = Vec::new();
    for e in std::fs::read_dir(format!("/proc/{pid}/task"))? {
        if let Some(t) = e?.file_name().to_str().and_then(|s| s.parse().ok()) {
            ids.push(Pid(t));
        }
    }
    ids.sort();
    Ok(ids)
}

/// Options for a seize that asks for nothing but stops.
fn quiet() -> Options {
    Options {
        sysgood: false,
        follow_forks: false,
        exec: false,
        exit: false,
        vfork_done: false,
        seccomp: false,
        exit_kill: false,
    }
}

impl Stopped {
    /// Seizes and stops every thread of `pid`. Fails with the `ptrace` error of the first
    /// seize (`EPERM`: not allowed; `ESRCH`: no such process); threads already stopped are
    /// released again.
    pub fn stop_all(pid: Pid) -> io::Result<Stopped> {
        Stopped::stop_all_then(pid, |_| {})
    }

    /// [`Stopped::stop_all`], calling `asked` with each batch of threads seized and
    /// interrupted, before their stops are waited for (`tracekit heap -p` raises their
    /// scheduling priority there: on a busy machine a thread takes its stop only once it gets
    /// a CPU).
    pub fn stop_all_then(pid: Pid, mut asked_to_stop: impl FnMut(&[Pid])) -> io::Result<Stopped> {
        let mut s = Stopped {
            pid,
            threads: Vec::new(),
        };
        loop {
            let ids = task_ids(pid).map_err(|e| match e.kind() {
                io::ErrorKind::NotFound => gone(),
                _ => e,
            })?;
            let new: Vec<Pid> = ids
                .into_iter()
                .filter(|t| s.threads.iter().all(|k| k.tid != *t))
                .collect();
            if new.is_empty() {
                break;
            }
            // Seize and interrupt them all first, then collect the stops: the threads stop
            // in parallel.
            let mut asked = Vec::new();
            for tid in new {
                match seize(tid, quiet()).and_then(|()| interrupt(tid)) {
                    Ok(()) => asked.push(tid),
                    // A thread that ended meanwhile.
                    Err(e) if e.raw_os_error() == Some(libc::ESRCH) && tid != pid => continue,
                    Err(e) => return Err(e),
                }
            }
            asked_to_stop(&asked);
            for tid in asked {
                let mut t = Thread {
                    tid,
                    // SAFETY: plain integers; replaced once the thread has stopped.
                    regs: unsafe { std::mem::zeroed() },
                    pending: Vec::new(),
                };
                if !until_interrupted(pid, &mut t)? {
                    continue;
                }
                t.regs = get_regs(tid)?;
                s.threads.push(t);
            }
        }
        if s.threads.is_empty() {
            return Err(gone());
        }
        Ok(s)
    }

    /// Lets the threads that `unsafe_at` rejects run on together for a moment (`step`, longer
    /// each round) and stops them again, until none is rejected or `rounds` rounds have
    /// passed; returns the threads still rejected. Only those threads run meanwhile: one
    /// waiting for a lock that a stopped thread holds blocks in `futex`, which a caller should
    /// accept.
    pub fn settle(
        &mut self,
        unsafe_at: impl Fn(&Thread) -> bool,
        rounds: usize,
        step: std::time::Duration,
    ) -> Vec<Pid> {
        for round in 0..rounds {
            let moving: Vec<usize> = (0..self.threads.len())
                .filter(|&i| unsafe_at(&self.threads[i]))
                .filter(|&i| resume(self.threads[i].tid, Resume::Continue, 0).is_ok())
                .collect();
            if moving.is_empty() {
                break;
            }
            std::thread::sleep(step * (round as u32 % 8 + 1));
            let mut ended = Vec::new();
            for &i in &moving {
                let t = &mut self.threads[i];
                let ok =
                    interrupt(t.tid).is_ok() && until_interrupted(self.pid, t).unwrap_or(false);
                match ok.then(|| get_regs(t.tid)) {
                    Some(Ok(r)) => t.regs = r,
                    _ => ended.push(i),
                }
            }
            for i in ended.into_iter().rev() {
                self.threads.remove(i);
            }
        }
        self.threads
            .iter()
            .filter(|t| unsafe_at(t))
            .map(|t| t.tid)
            .collect()
    }

    /// Calls `func(args...)` (System V x86_64 convention, at most six arguments) on thread
    /// `index` and returns `rax`. The thread's registers, extended state and the stack bytes
    /// used are put back, whatever happens.
    pub fn call(&mut self, index: usize, func: u64, args: &[Arg<'_>]) -> io::Result<u64> {
        self.call_or_release(index, func, args, None)
            .map(|(rax, _)| rax)
    }

    /// [`Stopped::call`], the other threads held meanwhile; but while the calling thread
    /// waits in `futex` (for a lock, mostly), the threads `patience.1` picks run, and are
    /// stopped again once it goes on: one of them, held inside a function, may hold the lock
    /// it waits for. After `patience.0` (or 64 such rounds) they run until the call returns,
    /// which covers locks waited for otherwise. Holding the others makes the call quick
    /// (nothing competes with it for the CPU or for the allocator's and the kernel's locks);
    /// letting the doubtful ones run when needed keeps it from waiting forever. Every thread
    /// is held again when this returns. Returns `rax` and how many times threads were let
    /// run (one count per thread and round).
    pub fn call_or_release(
        &mut self,
        index: usize,
        func: u64,
        args: &[Arg<'_>],
        patience: Option<Patience<'_>>,
    ) -> io::Result<(u64, usize)> {
        // The calling thread out of the list while it runs, so that the others can be
        // let run meanwhile; back in its place afterwards.
        let mut t = self.threads.remove(index);
        let pid = self.pid;
        let mut doubtful = patience.map(|(after, pick)| Doubtful {
            pid,
            threads: &mut self.threads,
            pick,
            running: Vec::new(),
            let_run: 0,
            rounds: 0,
            since: std::time::Instant::now(),
            deadline: std::time::Instant::now() + after,
        });
        let r = call_on(pid, &mut t, func, args, doubtful.as_mut());
        let n = doubtful.map_or(0, |mut d| {
            d.hold();
            d.let_run
        });
        self.threads.insert(index.min(self.threads.len()), t);
        r.map(|rax| (rax, n))
    }

    /// Lets each thread of `targets` run until it reaches its address (a safe point: a return
    /// address outside the code that may hold a lock, for `tracekit heap -p`), the others
    /// held: a one-shot `int3` is planted at every address, the threads run, each one stops
    /// at the first of them it executes (whichever thread's it is) with `rip` set back to the
    /// address, and the original bytes are put back before this returns. Threads that have
    /// not arrived after `timeout` are interrupted wherever they are. Every thread is held
    /// again when this returns (one that ended meanwhile is dropped); the `SIGTRAP`s of the
    /// breakpoints are never delivered. The threads of `along` run meanwhile too, to no
    /// address (one that may hold a lock a target waits for, and has no safe point of its
    /// own), and are stopped again once every target has arrived or the time is up.
    pub fn run_to(
        &mut self,
        targets: &[(Pid, u64)],
        along: &[Pid],
        timeout: std::time::Duration,
    ) -> io::Result<RunTo> {
        let mut out = RunTo::default();
        if targets.is_empty() {
            return Ok(out);
        }
        let mut bps: Vec<Breakpoint> = Vec::new();
        let mut planted = Ok(());
        for &(_, addr) in targets {
            if bps.iter().any(|b| b.addr == addr) {
                continue;
            }
            match self.through_any(|tid| Breakpoint::insert(tid, addr)) {
                Ok(b) => bps.push(b),
                Err(e) => {
                    planted = Err(e);
                    break;
                }
            }
        }
        let ran = match planted {
            Ok(()) => self.run_planted(targets, along, &bps, timeout, &mut out),
            Err(e) => Err(e),
        };
        // Every thread is stopped again here (run_planted sees to it): the bytes go back.
        let mut removed = Ok(());
        for b in &bps {
            if let Err(e) = self.through_any(|tid| b.remove(tid)) {
                removed = Err(e);
            }
        }
        ran?;
        removed?;
        Ok(out)
    }

    /// Runs `f` with the id of a held thread (memory is written through one), trying the
    /// next when one has ended.
    fn through_any<T>(&self, mut f: impl FnMut(Pid) -> io::Result<T>) -> io::Result<T> {
        let mut last = gone();
        for t in &self.threads {
            match f(t.tid) {
                Ok(v) => return Ok(v),
                Err(e) if e.raw_os_error() == Some(libc::ESRCH) => last = e,
                Err(e) => return Err(e),
            }
        }
        Err(last)
    }

    /// [`Stopped::run_to`] with the breakpoints `bps` planted.
    fn run_planted(
        &mut self,
        targets: &[(Pid, u64)],
        along: &[Pid],
        bps: &[Breakpoint],
        timeout: std::time::Duration,
        out: &mut RunTo,
    ) -> io::Result<()> {
        let deadline = std::time::Instant::now() + timeout;
        // The targets, then the threads that run along (from `first_along` on).
        let mut running: Vec<Pid> = Vec::new();
        let mut first_along = 0;
        let want = targets.iter().map(|t| t.0);
        for (k, tid) in want.chain(along.iter().copied()).enumerate() {
            if k == targets.len() {
                first_along = running.len();
            }
            if self.index_of(tid).is_some() && !running.contains(&tid) {
                match resume(tid, Resume::Continue, 0) {
                    Ok(()) => running.push(tid),
                    Err(e) if e.raw_os_error() == Some(libc::ESRCH) => {}
                    Err(e) => {
                        self.hold_all(&running, bps, out);
                        return Err(e);
                    }
                }
            }
        }
        if along.is_empty() {
            first_along = running.len();
        }
        // Per thread: true once it was interrupted (the time is up, or, for one running
        // along, every target has arrived).
        let mut interrupted = vec![false; running.len()];
        const FIRST: std::time::Duration = std::time::Duration::from_micros(20);
        let mut pause = FIRST;
        while !running.is_empty() {
            let mut i = 0;
            while i < running.len() {
                let tid = running[i];
                match self.next_on_the_way(tid, bps, interrupted[i], out) {
                    Ok(true) => {
                        running.remove(i);
                        interrupted.remove(i);
                        if i < first_along {
                            first_along -= 1;
                        }
                        pause = FIRST;
                    }
                    Ok(false) => i += 1,
                    Err(e) => {
                        self.hold_all(&running, bps, out);
                        return Err(e);
                    }
                }
            }
            if running.is_empty() {
                break;
            }
            let late = std::time::Instant::now() >= deadline;
            for (i, &tid) in running.iter().enumerate() {
                if !interrupted[i] && (late || first_along == 0) {
                    let _ = interrupt(tid);
                    interrupted[i] = true;
                    pause = FIRST;
                }
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(std::time::Duration::from_millis(1));
        }
        out.missed.retain(|t| !along.contains(t));
        Ok(())
    }

    /// Handles the next stop of `tid` (running towards a breakpoint of `bps`) if one is
    /// ready; true once it is held (at a breakpoint, or after the interrupt when
    /// `interrupted`) or gone.
    fn next_on_the_way(
        &mut self,
        tid: Pid,
        bps: &[Breakpoint],
        interrupted: bool,
        out: &mut RunTo,
    ) -> io::Result<bool> {
        let pid = self.pid;
        let Some(i) = self.index_of(tid) else {
            return Ok(true);
        };
        let stop = match poll_tid(pid, tid) {
            Ok(Some(s)) => s,
            Ok(None) => return Ok(false),
            Err(e) if matches!(e.raw_os_error(), Some(libc::ECHILD | libc::ESRCH)) => {
                self.threads.remove(i);
                return Ok(true);
            }
            Err(e) => return Err(e),
        };
        let t = &mut self.threads[i];
        match stop {
            Stop::Signal(libc::SIGTRAP) => {
                let mut r = get_regs(tid)?;
                if !bps.iter().any(|b| b.addr == r.rip.wrapping_sub(1)) {
                    // Not ours: the program's, delivered at the release.
                    t.pending.push(libc::SIGTRAP);
                    resume(tid, Resume::Continue, 0)?;
                    return Ok(false);
                }
                r.rip -= 1;
                set_regs(tid, &r)?;
                t.regs = r;
                if !out.reached.contains(&tid) {
                    out.reached.push(tid);
                }
                if !interrupted {
                    // Held in this stop (resumed later with no signal: the trap is dropped).
                    return Ok(true);
                }
                // The interrupt is pending: resumed, it stops for it before running any
                // instruction.
                resume(tid, Resume::Continue, 0)?;
                Ok(false)
            }
            Stop::Signal(sig) => {
                t.pending.push(sig);
                resume(tid, Resume::Continue, 0)?;
                Ok(false)
            }
            Stop::Interrupt | Stop::GroupStop(_) if interrupted => {
                t.regs = get_regs(tid)?;
                if !out.reached.contains(&tid) {
                    out.missed.push(tid);
                }
                Ok(true)
            }
            Stop::Exited(_) | Stop::Killed { .. } => {
                self.threads.remove(i);
                Ok(true)
            }
            _ => {
                resume(tid, Resume::Continue, 0)?;
                Ok(false)
            }
        }
    }

    /// After a failure: stops the threads of `running` again (best effort; a thread that
    /// cannot be stopped is dropped).
    fn hold_all(&mut self, running: &[Pid], bps: &[Breakpoint], out: &mut RunTo) {
        for &tid in running {
            let _ = interrupt(tid);
        }
        for &tid in running {
            let mut pause = std::time::Duration::from_micros(20);
            loop {
                match self.next_on_the_way(tid, bps, true, out) {
                    Ok(false) => {}
                    Ok(true) => break,
                    Err(_) => {
                        self.threads.retain(|t| t.tid != tid);
                        break;
                    }
                }
                std::thread::sleep(pause);
                pause = (pause * 2).min(std::time::Duration::from_millis(1));
            }
        }
    }

    /// Lets thread `tid` go on (detached, its pending signals delivered) before the others.
    pub fn release(&mut self, tid: Pid) {
        if let Some(i) = self.index_of(tid) {
            let t = self.threads.remove(i);
            release(self.pid, &t);
        }
    }

    /// The index of thread `tid`.
    pub fn index_of(&self, tid: Pid) -> Option<usize> {
        self.threads.iter().position(|t| t.tid == tid)
    }
}

/// What [`Stopped::run_to`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunTo {
    /// Threads held at one of the addresses.
    pub reached: Vec<Pid>,
    /// Threads held elsewhere: they had not arrived in time.
    pub missed: Vec<Pid>,
}

/// The threads held while a call runs that may hold a lock it waits for
/// ([`Stopped::call_or_release`]).
struct Doubtful<'a> {
    pid: Pid,
    /// Every held thread but the caller.
    threads: &'a mut Vec<Thread>,
    pick: &'a dyn Fn(&Thread) -> bool,
    /// Those running now.
    running: Vec<Pid>,
    /// Threads let run so far (one per thread and round).
    let_run: usize,
    rounds: usize,
    /// When they were last let run.
    since: std::time::Instant,
    /// After this, they run until the call returns.
    deadline: std::time::Instant,
}

impl Doubtful<'_> {
    const ROUNDS: usize = 64;

    /// Lets the picked threads run (all held ones once past the deadline or the rounds).
    fn let_run(&mut self) {
        let all = self.give_up();
        for o in self.threads.iter() {
            if self.running.contains(&o.tid) || !(all || (self.pick)(o)) {
                continue;
            }
            if resume(o.tid, Resume::Continue, 0).is_ok() {
                self.running.push(o.tid);
                self.let_run += 1;
            }
        }
        self.rounds += 1;
        self.since = std::time::Instant::now();
    }

    /// True once they should run until the call returns.
    fn give_up(&self) -> bool {
        self.rounds >= Self::ROUNDS || std::time::Instant::now() >= self.deadline
    }

    /// Stops the running ones again (those that ended are dropped).
    fn hold(&mut self) {
        let mut ended = Vec::new();
        for tid in self.running.drain(..) {
            let Some(o) = self.threads.iter_mut().find(|o| o.tid == tid) else {
                continue;
            };
            let ok = interrupt(tid).is_ok() && until_interrupted(self.pid, o).unwrap_or(false);
            match ok.then(|| get_regs(tid)) {
                Some(Ok(regs)) => o.regs = regs,
                _ => ended.push(tid),
            }
        }
        self.threads.retain(|o| !ended.contains(&o.tid));
    }
}

/// The call of [`Stopped::call_or_release`] on `t`, with the doubtful threads to let run
/// when it waits.
fn call_on(
    pid: Pid,
    t: &mut Thread,
    func: u64,
    args: &[Arg<'_>],
    doubtful: Option<&mut Doubtful<'_>>,
) -> io::Result<u64> {
    {
        assert!(args.len() <= 6, "at most six register arguments");
        let tid = t.tid;
        let xstate = get_xstate(tid)?;
        // Below the red zone, with some margin.
        let top = (t.regs.rsp - 512) & !15;
        let mut sp = top;
        let mut values = Vec::with_capacity(args.len());
        let mut blobs = Vec::new();
        for a in args {
            match *a {
                Arg::Int(v) => values.push(v),
                Arg::Bytes(b) => {
                    sp = (sp - b.len() as u64) & !15;
                    blobs.push((sp, b));
                    values.push(sp);
                }
            }
        }
        // The return address, 0, where `func` finds it: `rsp + 8` 16-byte aligned at entry.
        sp = (sp & !15) - 8;
        let mut saved = vec![0u8; (top - sp) as usize];
        mem::read_exact(tid, sp, &mut saved)?;
        let result = (|| {
            mem::write(tid, sp, &0u64.to_ne_bytes())?;
            for &(at, b) in &blobs {
                mem::write(tid, at, b)?;
            }
            let mut r = t.regs;
            r.rip = func;
            r.rsp = sp;
            r.rax = 0;
            // Not in a system call any more: no restart when it resumes.
            r.orig_rax = u64::MAX;
            let regs_args = [
                &mut r.rdi, &mut r.rsi, &mut r.rdx, &mut r.rcx, &mut r.r8, &mut r.r9,
            ];
            for (reg, v) in regs_args.into_iter().zip(&values) {
                *reg = *v;
            }
            set_regs(tid, &r)?;
            resume(tid, Resume::Continue, 0)?;
            run_to_return(pid, t, doubtful)
        })();
        // Everything back, even after a failure (unless the thread is gone).
        let restored = mem::write(tid, sp, &saved)
            .and_then(|()| set_regs(tid, &t.regs))
            .and_then(|()| set_xstate(tid, &xstate));
        let rax = result?;
        restored?;
        Ok(rax)
    }
}

/// True when thread `tid` of `pid` is gone or a zombie. A thread group leader that exits
/// (the process calling `exit`, or killed) is reported to its tracer only once every other
/// thread of it was reaped, and the others are ours, held: waiting for the leader alone would
/// never end.
fn dead(pid: Pid, tid: Pid) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/stat")) {
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| rest.starts_with(['Z', 'X'])),
        Err(_) => true,
    }
}

/// The next stop of `tid`, waiting through signals that interrupt the wait (Ctrl-C on the
/// tracer must not leave a call half done). Polled (from 20 us up to 1 ms between polls):
/// `ESRCH` once the thread is dead without a stop to report (see [`dead`]).
fn wait_tid(pid: Pid, tid: Pid) -> io::Result<Stop> {
    let mut pause = std::time::Duration::from_micros(20);
    loop {
        if let Some(stop) = poll_tid(pid, tid)? {
            return Ok(stop);
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(std::time::Duration::from_millis(1));
    }
}

/// A stop of `tid` if one is ready; `ESRCH` when it is dead without one.
fn poll_tid(pid: Pid, tid: Pid) -> io::Result<Option<Stop>> {
    loop {
        match crate::wait_pid(Some(tid), true) {
            Ok(Some((_, stop, _))) => return Ok(Some(stop)),
            Ok(None) if dead(pid, tid) => return Err(gone()),
            Ok(None) => return Ok(None),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
}

/// True when thread `tid` of `pid` waits in a `futex` system call (for a lock, mostly).
fn waits_on_futex(pid: Pid, tid: Pid) -> bool {
    let mut buf = [0u8; 16];
    let path = format!("/proc/{pid}/task/{tid}/syscall");
    let n = std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read(&mut f, &mut buf))
        .unwrap_or(0);
    let futex = format!("{} ", libc::SYS_futex);
    buf[..n].starts_with(futex.as_bytes())
}

/// The next stop of `tid`. Polled when there are doubtful threads: they run while it waits
/// in `futex` and are held again when it goes on (see [`Stopped::call_or_release`]).
fn wait_tid_or_let_run(
    pid: Pid,
    tid: Pid,
    doubtful: &mut Option<&mut Doubtful<'_>>,
) -> io::Result<Stop> {
    let Some(d) = doubtful else {
        return wait_tid(pid, tid);
    };
    // From 20 us up to 1 ms between polls (back to 20 us after a change).
    const FIRST: std::time::Duration = std::time::Duration::from_micros(20);
    const SLICE: std::time::Duration = std::time::Duration::from_micros(200);
    let mut pause = FIRST;
    loop {
        if let Some(stop) = poll_tid(pid, tid)? {
            return Ok(stop);
        }
        let waits = waits_on_futex(pid, tid);
        if d.running.is_empty() {
            if waits || d.give_up() {
                d.let_run();
                pause = FIRST;
            }
        } else if !d.give_up() && (!waits || d.since.elapsed() >= SLICE) {
            // Out of its wait, or not yet: a thread let run in a loop that takes the lock
            // again and again may keep it from ever getting it (the lock is not fair, and
            // the woken caller waits for a CPU). They run a slice at a time.
            d.hold();
            pause = FIRST;
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(std::time::Duration::from_millis(1));
    }
}

/// Waits until the call on `t` returns to address 0; returns `rax`. Signals that arrive
/// meanwhile are kept for the release.
fn run_to_return(
    pid: Pid,
    t: &mut Thread,
    mut doubtful: Option<&mut Doubtful<'_>>,
) -> io::Result<u64> {
    loop {
        match wait_tid_or_let_run(pid, t.tid, &mut doubtful)? {
            Stop::Signal(libc::SIGSEGV) => {
                let r = get_regs(t.tid)?;
                if r.rip == 0 {
                    return Ok(r.rax);
                }
                return Err(io::Error::other(format!(
                    "the call faulted at {:#x} (the target's state is put back)",
                    r.rip
                )));
            }
            Stop::Signal(sig) => {
                t.pending.push(sig);
                resume(t.tid, Resume::Continue, 0)?;
            }
            Stop::Exited(_) | Stop::Killed { .. } => return Err(gone()),
            _ => resume(t.tid, Resume::Continue, 0)?,
        }
    }
}

/// After a `PTRACE_INTERRUPT`: waits for the interrupt stop of `t`, keeping the signals that
/// arrive first. False when the thread ended.
fn until_interrupted(pid: Pid, t: &mut Thread) -> io::Result<bool> {
    loop {
        let stop = match wait_tid(pid, t.tid) {
            Ok(s) => s,
            Err(e) if matches!(e.raw_os_error(), Some(libc::ECHILD | libc::ESRCH)) => {
                return Ok(false)
            }
            Err(e) => return Err(e),
        };
        match stop {
            Stop::Interrupt | Stop::GroupStop(_) => return Ok(true),
            Stop::Signal(sig) => {
                t.pending.push(sig);
                resume(t.tid, Resume::Continue, 0)?;
            }
            Stop::Exited(_) | Stop::Killed { .. } => return Ok(false),
            _ => resume(t.tid, Resume::Continue, 0)?,
        }
    }
}

fn release(pid: Pid, t: &Thread) {
    let first = t.pending.first().copied().unwrap_or(0);
    let _ = crate::detach(t.tid, first);
    for &sig in t.pending.iter().skip(1) {
        let _ = tgkill(pid, t.tid, sig);
    }
}

impl Drop for Stopped {
    fn drop(&mut self) {
        for t in &self.threads {
            release(self.pid, t);
        }
    }
}
