//! Remembered walks: the stack id of a recent walk from the same place, without walking.
//!
//! A hot allocation site is reached again and again through the same chain of calls, with
//! the stack pointer at the same depth. A walk's result depends only on where it starts
//! (`ip`, `sp`) and on the return addresses it reads on the way ([`unwind::Trace`]), so when
//! those cells still hold the same values the walk would give the same frames, and the stack
//! is the one interned last time. Checking the cells is a few independent loads, where the
//! walk is a chain of dependent ones (cell, rule, next cell) and interning hashes and
//! compares the frames again.
//!
//! The table lives behind the session lock, with the stack table whose ids it holds, and is
//! cleared with it. Nothing allocates.

use crate::unwind::{Regs, Trace, TRACE_CELLS};

/// Remembered walks (direct-mapped by start).
const SLOTS: usize = 256;

#[derive(Debug, Clone, Copy)]
struct Entry {
    /// Where the walk started; `ip` 0 is an empty slot.
    ip: u64,
    sp: u64,
    /// The unwinder's rule generation then.
    generation: u64,
    /// The interned stack.
    id: u64,
    len: u32,
    offs: [u32; TRACE_CELLS],
    vals: [u64; TRACE_CELLS],
}

const EMPTY: Entry = Entry {
    ip: 0,
    sp: 0,
    generation: 0,
    id: 0,
    len: 0,
    offs: [0; TRACE_CELLS],
    vals: [0; TRACE_CELLS],
};

/// Recent walks and the stacks they gave.
#[derive(Debug)]
pub struct Memo {
    entries: [Entry; SLOTS],
}

impl Default for Memo {
    fn default() -> Self {
        Self::new()
    }
}

impl Memo {
    /// Empty.
    pub const fn new() -> Memo {
        Memo {
            entries: [EMPTY; SLOTS],
        }
    }

    #[inline(always)]
    fn slot(regs: Regs) -> usize {
        ((regs.ip ^ regs.sp.rotate_left(29)).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - 8))
            as usize
    }

    /// The stack id a walk from `regs` would be interned as, if a remembered walk from there
    /// read cells that still hold what they held (and the unwinder's rules are still of
    /// `generation`). Call in the frame whose registers `regs` are (or one it called), so
    /// that the stack they describe is live.
    #[inline]
    pub fn lookup(&self, regs: Regs, generation: u64) -> Option<u64> {
        let e = &self.entries[Self::slot(regs)];
        if e.ip != regs.ip || e.sp != regs.sp || e.generation != generation {
            return None;
        }
        let len = (e.len as usize).min(TRACE_CELLS);
        for i in 0..len {
            let at = regs.sp.wrapping_add(u64::from(e.offs[i]));
            // SAFETY: the cells are checked in the order the walk read them: cell i is the
            // one the walk from `regs` reads next when cells 0..i hold the values checked
            // so far (the rules that locate it depend on nothing else: see `Trace`), so it
            // is a return-address slot of the live stack above `regs.sp`, as readable as it
            // is to the unwinder. A remembered walk from another stack that happened to sit
            // at the same `sp` fails at its first differing cell, before reading further.
            let v = unsafe { (at as *const u64).read() };
            if v != e.vals[i] {
                return None;
            }
        }
        Some(e.id)
    }

    /// Remembers that the walk from `regs`, which read `trace`, was interned as `id`.
    pub fn remember(&mut self, regs: Regs, trace: &Trace, id: u64, generation: u64) {
        if !trace.complete || id == 0 || regs.ip == 0 {
            return;
        }
        let len = trace.len.min(TRACE_CELLS);
        let e = &mut self.entries[Self::slot(regs)];
        e.ip = regs.ip;
        e.sp = regs.sp;
        e.generation = generation;
        e.id = id;
        e.len = len as u32;
        e.offs[..len].copy_from_slice(&trace.offs[..len]);
        e.vals[..len].copy_from_slice(&trace.vals[..len]);
    }

    /// Forgets every walk (the stack ids they hold are gone).
    pub fn clear(&mut self) {
        for e in &mut self.entries {
            e.ip = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::unwind::{here, unwind_traced};
    use std::mem::MaybeUninit;

    #[inline(never)]
    fn walk_here(memo: &mut Memo, id: u64) -> (Option<u64>, Vec<u64>) {
        let regs = here();
        // Walks remembered under other rules don't count.
        assert_eq!(memo.lookup(regs, crate::unwind::generation() + 1), None);
        let found = memo.lookup(regs, crate::unwind::generation());
        // The first frames only: further up, the test harness's own code may use frame
        // pointers (which makes a walk not rememberable).
        let mut buf = [MaybeUninit::<u64>::uninit(); 3];
        let mut trace = Trace::new();
        let frames = unwind_traced(regs, (0, 0), &mut buf, &mut trace).to_vec();
        assert!(trace.complete, "{trace:?}");
        assert!(
            trace.len >= frames.len(),
            "a cell for every frame: {trace:?}"
        );
        memo.remember(regs, &trace, id, crate::unwind::generation());
        std::hint::black_box((found, frames))
    }

    #[inline(never)]
    fn caller_a(memo: &mut Memo, id: u64) -> (Option<u64>, Vec<u64>) {
        std::hint::black_box(walk_here(memo, id))
    }

    #[inline(never)]
    fn caller_b(memo: &mut Memo, id: u64) -> (Option<u64>, Vec<u64>) {
        std::hint::black_box(walk_here(memo, id))
    }

    #[test]
    fn a_walk_is_remembered_only_from_the_same_calls() {
        let mut memo = Box::new(Memo::new());
        // The same place, reached through the same calls (from one call site here) at the
        // same depth: found the second time, with the same frames.
        let mut seen = Vec::new();
        for id in [7, 8] {
            seen.push(caller_a(&mut memo, id));
        }
        assert_eq!(seen[0].0, None);
        assert_eq!(seen[1].0, Some(7));
        assert_eq!(seen[0].1, seen[1].1);
        // Same `ip` and (likely) the same `sp`, through another caller: its return address
        // differs, so the remembered walk does not match.
        let mut other = Vec::new();
        for id in [9, 10] {
            other.push(caller_b(&mut memo, id));
        }
        assert_ne!(other[0].1, seen[0].1);
        assert_eq!(other[0].0, None);
        assert_eq!(other[1].0, Some(9));
        // Cleared (with the stack table whose ids it holds), nothing is found.
        let mut after = Vec::new();
        for id in [11, 12] {
            if id == 12 {
                memo.clear();
            }
            after.push(caller_b(&mut memo, id));
        }
        assert_eq!(after[1].0, None);
    }
}
