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
//! The table is process-wide, set-associative (a few hot starts that hash alike don't evict
//! each other). It is written only under the session lock (where stacks are interned), and
//! read without it: each entry is a seqlock, and a reader copies the entry and checks that
//! it did not change meanwhile before it reads any stack cell the entry names.
//!
//! What it costs when it does not help: a start seen for the first time is only noted, and
//! its walk is not traced, so a program whose walks never repeat pays a lookup and a note;
//! a walk is remembered (and traced) from the second time a walk starts from the same
//! place; a set that has remembered 64 walks (more callers taking turns at one
//! start than it has ways) remembers only one miss in 16. Nothing allocates.
//!
//! What it costs in memory: the table is a static of 1,024 entries of about 1 KiB (a walk of
//! up to [`TRACE_CELLS`] cells, one word each), resident only where used: at most 1.1 MiB.
//!
//! [`unwind::Trace`]: crate::unwind::Trace

use std::sync::atomic::{fence, AtomicU32, AtomicU64, Ordering};

use crate::unwind::{Regs, Trace, TRACE_CELLS};

/// Sets of the table, and entries per set.
const SETS: usize = 128;
const WAYS: usize = 8;

struct Entry {
    /// Even when the entry is stable, odd while it is being written.
    seq: AtomicU32,
    /// Cells to check; 0: only the start was noted (a walk seen once). With [`USES_BP`]:
    /// the walk also depended on the starting `rbp`, which must be `bp`.
    len: AtomicU32,
    bp: AtomicU64,
    /// Where the walk started; `ip` 0 is an empty entry.
    ip: AtomicU64,
    sp: AtomicU64,
    /// The unwinder's rule generation then.
    generation: AtomicU64,
    /// The interned stack.
    id: AtomicU64,
    /// The cells, each packed in one word ([`pack`]): the value in the low 48 bits, and in
    /// the high 16 the cell's distance from the one before (from `sp` for the first), in
    /// words, signed.
    cells: [AtomicU64; TRACE_CELLS],
}

/// Cell values (return addresses, and saved `rbp`s used as frame bases: user-space code and
/// stack addresses) are below 2^48.
const VALUE_BITS: u32 = 48;
const VALUE_MASK: u64 = (1 << VALUE_BITS) - 1;

/// A cell as [`Entry::cells`] keeps it: at `delta` bytes from the cell before, holding `val`;
/// `None` when it does not fit.
fn pack(delta: u64, val: u64) -> Option<u64> {
    let delta = delta as i64;
    if delta % 8 != 0 || val > VALUE_MASK {
        return None;
    }
    let words = i16::try_from(delta / 8).ok()?;
    Some(val | u64::from(words as u16) << VALUE_BITS)
}

#[allow(clippy::declare_interior_mutable_const)] // a template for the arrays below
const EMPTY: Entry = Entry {
    seq: AtomicU32::new(0),
    len: AtomicU32::new(0),
    bp: AtomicU64::new(0),
    ip: AtomicU64::new(0),
    sp: AtomicU64::new(0),
    generation: AtomicU64::new(0),
    id: AtomicU64::new(0),
    cells: [const { AtomicU64::new(0) }; TRACE_CELLS],
};

struct Set {
    /// Per way, a hash of its entry's start (0: empty), to find the way without touching
    /// the entries. Only a hint: the entry's own start is checked under its `seq`.
    tags: [AtomicU64; WAYS],
    /// The way the next new start replaces when none is free.
    next: AtomicU32,
    /// Walks remembered in this set so far (saturating): past [`FULL_BUDGET`], only one in
    /// [`FULL_SAMPLE`] is, so that a start reached through ever-changing calls (more
    /// callers than ways, taking turns) costs little more than not remembering at all.
    fulls: AtomicU32,
    entries: [Entry; WAYS],
}

const FULL_BUDGET: u32 = 64;

/// In [`Entry::len`]: the walk depended on the starting `rbp` (see [`Trace::start_bp`]).
const USES_BP: u32 = 1 << 31;
const FULL_SAMPLE: u32 = 16;

#[allow(clippy::declare_interior_mutable_const)] // a template for the array below
const EMPTY_SET: Set = Set {
    tags: [const { AtomicU64::new(0) }; WAYS],
    next: AtomicU32::new(0),
    fulls: AtomicU32::new(0),
    entries: [EMPTY; WAYS],
};

/// What [`Memo::lookup`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// The stack id.
    Stack(u64),
    /// Nothing: walk, with a [`Trace`] when asked, and [`Memo::remember`] it.
    Walk {
        /// Trace the walk: it may be remembered.
        trace: bool,
    },
}

/// Recent walks and the stacks they gave.
pub struct Memo {
    sets: [Set; SETS],
}

impl std::fmt::Debug for Memo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Memo").finish_non_exhaustive()
    }
}

impl Default for Memo {
    fn default() -> Self {
        Self::new()
    }
}

/// The process's table.
pub static MEMO: Memo = Memo::new();

impl Memo {
    /// Empty.
    pub const fn new() -> Memo {
        Memo {
            sets: [EMPTY_SET; SETS],
        }
    }

    /// The set for a start, and the start's tag (never 0).
    #[inline(always)]
    fn set(&self, regs: Regs) -> (&Set, u64) {
        let h = (regs.ip ^ regs.sp.rotate_left(29)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        (&self.sets[(h >> (64 - 7)) as usize % SETS], h | 1)
    }

    /// The stack id a walk from `regs` would be interned as, if a remembered walk from there
    /// read cells that still hold what they held (and the unwinder's rules are still of
    /// `generation`); else whether the walk is worth tracing for [`Memo::remember`]. Call in
    /// the frame whose registers `regs` are (or one it called), so that the stack they
    /// describe is live. Needs no lock.
    #[inline]
    pub fn lookup(&self, regs: Regs, generation: u64) -> Found {
        let (set, tag) = self.set(regs);
        let mut started = false;
        // Several walks from one start (through different callers) may be remembered.
        for w in 0..WAYS {
            if set.tags[w].load(Ordering::Relaxed) == tag {
                if let Some(id) = Self::check(&set.entries[w], regs, generation) {
                    return Found::Stack(id);
                }
                started = true;
            }
        }
        // A start seen for the first time is only noted: its walk needs no trace. Neither
        // does one that `remember` will pass over (a set past its budget).
        let fulls = set.fulls.load(Ordering::Relaxed);
        Found::Walk {
            trace: started && (fulls < FULL_BUDGET || fulls % FULL_SAMPLE == 0),
        }
    }

    /// [`Memo::lookup`] in one entry.
    #[inline(always)]
    fn check(e: &Entry, regs: Regs, generation: u64) -> Option<u64> {
        let seq = e.seq.load(Ordering::Acquire);
        if seq & 1 != 0
            || e.ip.load(Ordering::Relaxed) != regs.ip
            || e.sp.load(Ordering::Relaxed) != regs.sp
        {
            return None;
        }
        let len = e.len.load(Ordering::Relaxed);
        let bp = e.bp.load(Ordering::Relaxed);
        let uses_bp = len & USES_BP != 0;
        let len = (len & !USES_BP) as usize;
        if len == 0 || len > TRACE_CELLS {
            return None;
        }
        let id = e.id.load(Ordering::Relaxed);
        if e.generation.load(Ordering::Relaxed) != generation || (uses_bp && bp != regs.bp) {
            return None;
        }
        // Each cell is checked against `seq` before the stack is read where it says: walks
        // remembered from one start through different callers share their first cells and
        // differ further on, so a check that fails should not have copied the whole entry
        // first (and on x86_64 the acquire fence is only the compiler's, so a check is a load
        // that hits the cache).
        let cells = e.cells.get(..len)?;
        // A pointer moved by whole words (`wrapping_offset`), so the move folds into the
        // load's scaled addressing instead of a shift and a mask of its own.
        let mut at = regs.sp as *const u64;
        for cell in cells {
            let cell = cell.load(Ordering::Relaxed);
            // This cell (and what was read above) is one writer's entry only if nobody wrote
            // meanwhile.
            fence(Ordering::Acquire);
            if e.seq.load(Ordering::Relaxed) != seq {
                return None;
            }
            at = at.wrapping_offset((cell as i64 >> VALUE_BITS) as isize);
            // SAFETY: the cells are checked in the order the walk noted them: cell i is one
            // the walk from `regs` reads when cells 0..i hold the values checked so far (and
            // `rbp` is the one checked above, if the walk used it: the rules that locate the
            // cell depend on nothing else, see `Trace`), so it is a slot of the live stack
            // above `regs.sp`, as readable as it is to the unwinder. A remembered walk from
            // another stack that happened to sit at the same `sp` fails at its first
            // differing cell, before reading further. (The cell was read while the entry was
            // stable: checked against `seq` just above.)
            let v = unsafe { at.read() };
            if v != cell & VALUE_MASK {
                return None;
            }
        }
        Some(id)
    }

    /// Notes that the walk from `regs`, which read `trace` (`None`: not traced), was
    /// interned as `id` (after [`Memo::lookup`] found nothing): remembered when a walk from
    /// the same start was seen before, else only its start is noted. Call under the session
    /// lock (one writer at a time).
    pub fn remember(&self, regs: Regs, trace: Option<&Trace>, id: u64, generation: u64) {
        if id == 0 || regs.ip == 0 {
            return;
        }
        let (set, tag) = self.set(regs);
        let same = |w: usize| {
            let e = &set.entries[w];
            set.tags[w].load(Ordering::Relaxed) == tag
                && e.ip.load(Ordering::Relaxed) == regs.ip
                && e.sp.load(Ordering::Relaxed) == regs.sp
        };
        // A start seen before (noted, or remembered with walks through other callers) gets
        // this walk remembered, in its noted entry if it has one; a new start is noted. Else
        // a free way is used, or the next in turn.
        let seen = (0..WAYS).any(same);
        let trace = match (seen, trace) {
            (true, Some(t)) if t.complete() => Some(t),
            (true, _) => return,
            (false, _) => None,
        };
        if seen {
            let fulls = set.fulls.load(Ordering::Relaxed);
            set.fulls.store(fulls.saturating_add(1), Ordering::Relaxed);
            if fulls >= FULL_BUDGET && fulls % FULL_SAMPLE != 0 {
                return;
            }
        }
        let noted = (0..WAYS).find(|&w| same(w) && set.entries[w].len.load(Ordering::Relaxed) == 0);
        let way = noted.unwrap_or_else(|| {
            let free = (0..WAYS).find(|&w| set.tags[w].load(Ordering::Relaxed) == 0);
            free.unwrap_or_else(|| {
                let n = set.next.load(Ordering::Relaxed);
                set.next.store(n.wrapping_add(1), Ordering::Relaxed);
                n as usize % WAYS
            })
        });
        let e = &set.entries[way];
        let seq = e.seq.load(Ordering::Relaxed);
        e.seq.store(seq.wrapping_add(1), Ordering::Relaxed);
        fence(Ordering::Release);
        e.ip.store(regs.ip, Ordering::Relaxed);
        e.sp.store(regs.sp, Ordering::Relaxed);
        e.generation.store(generation, Ordering::Relaxed);
        e.id.store(id, Ordering::Relaxed);
        let mut len = 0;
        let mut uses_bp = 0;
        if let Some(trace) = trace {
            if let Some(bp) = trace.start_bp() {
                e.bp.store(bp, Ordering::Relaxed);
                uses_bp = USES_BP;
            }
            let mut last = 0;
            for (off, val) in trace.cells() {
                let Some(cell) = pack(off.wrapping_sub(last), val) else {
                    // Too far apart, or a value too large to keep: only the start stays noted.
                    len = 0;
                    break;
                };
                last = off;
                e.cells[len].store(cell, Ordering::Relaxed);
                len += 1;
            }
        }
        let len = if len == 0 { 0 } else { len as u32 | uses_bp };
        e.len.store(len, Ordering::Relaxed);
        e.seq.store(seq.wrapping_add(2), Ordering::Release);
        set.tags[way].store(tag, Ordering::Relaxed);
    }

    /// Forgets every walk (the stack ids they hold are gone). Call under the session lock.
    pub fn clear(&self) {
        for set in &self.sets {
            set.fulls.store(0, Ordering::Relaxed);
            for (tag, e) in set.tags.iter().zip(&set.entries) {
                tag.store(0, Ordering::Relaxed);
                let seq = e.seq.load(Ordering::Relaxed);
                e.seq.store(seq.wrapping_add(1), Ordering::Relaxed);
                fence(Ordering::Release);
                e.ip.store(0, Ordering::Relaxed);
                e.len.store(0, Ordering::Relaxed);
                e.seq.store(seq.wrapping_add(2), Ordering::Release);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::unwind::{here, unwind_traced};
    use std::mem::MaybeUninit;

    #[inline(never)]
    fn walk_here(memo: &Memo, id: u64) -> (Option<u64>, Vec<u64>) {
        let regs = here();
        // Walks remembered under other rules don't count.
        assert!(matches!(
            memo.lookup(regs, crate::unwind::generation() + 1),
            Found::Walk { .. }
        ));
        let found = match memo.lookup(regs, crate::unwind::generation()) {
            Found::Stack(id) => Some(id),
            Found::Walk { .. } => None,
        };
        // The first frames only: further up, the test harness's own code may use frame
        // pointers (which makes a walk not rememberable).
        let mut buf = [MaybeUninit::<u64>::uninit(); 3];
        let mut trace = Trace::new();
        let frames = unwind_traced(regs, (0, 0), &mut buf, &mut trace).to_vec();
        assert!(trace.complete(), "{trace:?}");
        assert!(
            trace.cells().count() >= frames.len(),
            "a cell for every frame: {trace:?}"
        );
        if found.is_none() {
            memo.remember(regs, Some(&trace), id, crate::unwind::generation());
        }
        std::hint::black_box((found, frames))
    }

    #[inline(never)]
    fn caller_a(memo: &Memo, id: u64) -> (Option<u64>, Vec<u64>) {
        std::hint::black_box(walk_here(memo, id))
    }

    #[inline(never)]
    fn caller_b(memo: &Memo, id: u64) -> (Option<u64>, Vec<u64>) {
        std::hint::black_box(walk_here(memo, id))
    }

    #[test]
    fn cells_pack_into_one_word() {
        let unpack = |c: u64| ((c as i64 >> VALUE_BITS) << 3, c & VALUE_MASK);
        let ra = 0x7f12_3456_789a;
        assert_eq!(pack(16, ra).map(unpack), Some((16, ra)));
        // Distances are signed (a saved rbp may lie below the cell noted before it), in
        // words, within 256 KiB either way.
        assert_eq!(pack((-24i64) as u64, ra).map(unpack), Some((-24, ra)));
        assert_eq!(pack(32767 * 8, 1).map(unpack), Some((32767 * 8, 1)));
        assert_eq!(pack(32768 * 8, 1), None);
        assert_eq!(pack(12, ra), None);
        assert_eq!(pack(8, 1 << 48), None);
    }

    #[test]
    fn a_walk_is_remembered_only_from_the_same_calls() {
        // A table of its own (too big for a test thread's stack, so not a local).
        static TABLE: Memo = Memo::new();
        let memo = &TABLE;
        // The same place, reached through the same calls (from one call site here) at the
        // same depth: noted the first time, remembered the second, found the third, with
        // the same frames.
        let mut seen = Vec::new();
        for id in [7, 8, 9] {
            seen.push(caller_a(memo, id));
        }
        assert_eq!((seen[0].0, seen[1].0, seen[2].0), (None, None, Some(8)));
        assert_eq!(seen[0].1, seen[2].1);
        // The same `ip` (and likely `sp`), through another caller: its return address
        // differs, so the walk remembered from caller_a does not match; then its own is.
        let mut other = Vec::new();
        for id in [10, 11, 12] {
            other.push(caller_b(memo, id));
        }
        assert_ne!(other[0].1, seen[0].1);
        assert_eq!(other[0].0, None);
        assert!(matches!(other[2].0, Some(10 | 11)), "{other:?}");
        // Cleared (with the stack table whose ids it holds), nothing is found.
        let mut after = Vec::new();
        for id in [13, 14, 15, 16] {
            if id == 15 {
                memo.clear();
            }
            after.push(caller_b(memo, id));
        }
        assert!(after[1].0.is_some());
        assert_eq!(after[2].0, None);
    }
}
