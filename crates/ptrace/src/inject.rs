//! Calling functions inside another, running process: what `tracekit heap -p` needs to load
//! its agent without gdb.
//!
//! [`Stopped::stop_all`] seizes and interrupts every thread of a process (threads started
//! meanwhile too); [`Stopped::settle`] lets the threads a caller deems unsafe (inside the
//! allocator or the dynamic loader) run on, a moment at a time, until none is;
//! [`Stopped::call`] runs a function of the target on one of its threads, with arguments
//! (integers, or bytes placed below its stack), and returns its result; every register (the
//! extended state too) and every stack byte is put back afterwards. Dropping a [`Stopped`]
//! detaches every thread, handing back the signals that arrived meanwhile: the target is never
//! left stopped.
//!
//! The call returns to address 0: the fault that follows is the end of the call, seen as a
//! `SIGSEGV` signal-delivery stop at `rip == 0` and never delivered. A thread that was inside
//! a system call restarts it when resumed (its `orig_rax` is cleared for the call and put
//! back after), as under gdb's `call`.

use std::io;

use crate::{
    get_regs, get_xstate, interrupt, mem, resume, seize, set_regs, set_xstate, tgkill, wait,
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
            for tid in asked {
                let mut t = Thread {
                    tid,
                    // SAFETY: plain integers; replaced once the thread has stopped.
                    regs: unsafe { std::mem::zeroed() },
                    pending: Vec::new(),
                };
                if !until_interrupted(&mut t)? {
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
                let ok = interrupt(t.tid).is_ok() && until_interrupted(t).unwrap_or(false);
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
        assert!(args.len() <= 6, "at most six register arguments");
        let t = &mut self.threads[index];
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
            run_to_return(t)
        })();
        // Everything back, even after a failure (unless the thread is gone).
        let restored = mem::write(tid, sp, &saved)
            .and_then(|()| set_regs(tid, &t.regs))
            .and_then(|()| set_xstate(tid, &xstate));
        let rax = result?;
        restored?;
        Ok(rax)
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

/// The next stop of `tid`, waiting through signals that interrupt the wait (Ctrl-C on the
/// tracer must not leave a call half done).
fn wait_tid(tid: Pid) -> io::Result<Stop> {
    loop {
        match wait(Some(tid)) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            r => return r.map(|(_, s)| s),
        }
    }
}

/// Waits until the call on `t` returns to address 0; returns `rax`. Signals that arrive
/// meanwhile are kept for the release.
fn run_to_return(t: &mut Thread) -> io::Result<u64> {
    loop {
        match wait_tid(t.tid)? {
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
fn until_interrupted(t: &mut Thread) -> io::Result<bool> {
    loop {
        let stop = match wait_tid(t.tid) {
            Ok(s) => s,
            Err(e) if e.raw_os_error() == Some(libc::ECHILD) => return Ok(false),
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
