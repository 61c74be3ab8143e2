//! Software breakpoints (`int3`) in a tracee's text, and stepping a thread over one.

use std::io;

use crate::{get_regs, peek, poke, resume, set_regs, tgkill, wait_pid, Pid, Resume, Stop};

/// The x86 `int3` instruction.
pub const INT3: u8 = 0xcc;

/// A planted `int3`: its address and the byte it replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Breakpoint {
    /// Where the `int3` is.
    pub addr: u64,
    /// The original byte.
    pub orig: u8,
}

fn put_byte(pid: Pid, addr: u64, byte: u8) -> io::Result<u8> {
    let aligned = addr & !7;
    let mut word = peek(pid, aligned)?.to_ne_bytes();
    let i = (addr - aligned) as usize;
    let old = word[i];
    word[i] = byte;
    poke(pid, aligned, u64::from_ne_bytes(word))?;
    Ok(old)
}

impl Breakpoint {
    /// Plants an `int3` at `addr` in the (stopped) tracee `pid`'s address space.
    pub fn insert(pid: Pid, addr: u64) -> io::Result<Breakpoint> {
        let orig = put_byte(pid, addr, INT3)?;
        Ok(Breakpoint { addr, orig })
    }

    /// Puts the `int3` back after [`Breakpoint::remove`].
    pub fn reinsert(&self, pid: Pid) -> io::Result<()> {
        put_byte(pid, self.addr, INT3).map(drop)
    }

    /// Restores the original byte.
    pub fn remove(&self, pid: Pid) -> io::Result<()> {
        put_byte(pid, self.addr, self.orig).map(drop)
    }

    /// Runs the original instruction at the breakpoint in thread `tid`, stopped just after
    /// the `int3` (rip = addr + 1), and re-plants the breakpoint. Other threads of the
    /// process must be stopped by the caller if they may run through `addr` meanwhile.
    /// A signal that arrives during the step is re-sent to the thread afterwards.
    /// Returns `Ok(None)` when done, `Ok(Some(stop))` when the thread ended during the step.
    pub fn step_over(&self, tgid: Pid, tid: Pid) -> io::Result<Option<Stop>> {
        let mut regs = get_regs(tid)?;
        regs.rip = self.addr;
        set_regs(tid, &regs)?;
        self.remove(tid)?;
        let mut deferred = Vec::new();
        let outcome = loop {
            resume(tid, Resume::Step, 0)?;
            match wait_pid(Some(tid), false)?.map(|(_, s, _)| s) {
                Some(Stop::Signal(libc::SIGTRAP)) => break None,
                Some(Stop::Signal(sig)) => deferred.push(sig),
                Some(s @ (Stop::Exited(_) | Stop::Killed { .. })) => break Some(s),
                // Events (a step into a syscall that forks...) are rare at a function entry.
                _ => {}
            }
        };
        if outcome.is_none() {
            self.reinsert(tid)?;
            for sig in deferred {
                tgkill(tgid, tid, sig)?;
            }
        }
        Ok(outcome)
    }
}
