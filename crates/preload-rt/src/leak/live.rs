//! The live blocks of the process, kept while the leak check is on, in memory mapped with
//! `preload-sys` (never from the hooked allocator):
//!
//! - small blocks (up to 128 bytes) of glibc's main heap (below the program break) in a
//!   direct map: one 8-byte word per 32 bytes of heap (glibc's smallest chunk: two live
//!   blocks never start in the same 32 bytes), at the block's address, holding its size,
//!   stack and which 16 bytes of the 32 it starts at. An insert or a remove is one store,
//!   with no probe and no rehash, and the blocks come out in address order. Only its parts
//!   where blocks start are touched (a 4 KiB page per 16 KiB of heap: 113 blocks of 128
//!   bytes, 341 of 32), faulted in 128 KiB at a time. The check scans in place ([`InPlace`]): a pointer's block is found
//!   from its address in at most five loads of neighbouring words, and the scan keeps each
//!   block's state in the spare bits of its word;
//! - the others (larger blocks, chunks glibc maps on their own, other arenas' heaps) in an
//!   open-addressing hash table (linear probing, deletion by backward shift)
//!   keyed by the block's address, doubled when half full.

use super::in_place::InPlace;
use crate::sys;
use tracekit_leak_scan::Sorted;

/// One live block.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[repr(C)]
pub struct Live {
    /// The block's address (0: an empty slot).
    pub ptr: u64,
    /// Bytes requested.
    pub size: u64,
    /// Its allocation stack id.
    pub stack: u64,
}

/// Slots of a new table (96 KiB, touched as they fill).
const FIRST_CAP: usize = 4096;

/// From this size on, the table asks for huge pages (see [`sys::advise_huge`]): a table of a
/// million blocks (48 MiB) otherwise takes 12,000 page faults as it fills, and its doublings
/// as many again.
const HUGE_FROM: usize = 4 << 20;

/// Heap bytes the direct map covers from its base (its reservation is a quarter as much,
/// touched only where blocks start).
pub(super) const DIRECT_SPAN: u64 = 16 << 30;
/// Bytes of heap per word of the direct map (glibc's smallest chunk).
pub(super) const GRANULE_SHIFT: u32 = 5;
/// glibc's alignment: a block starts at 0 or 16 bytes into its granule.
pub(super) const UNIT_SHIFT: u32 = 4;
/// A direct map word: `half << HALF_BIT | (size + 1) << STACK_BITS | stack` (0: no block),
/// `half` 1 when the block starts 16 bytes into its granule; during a check, the block's
/// state above it (see [`InPlace`]).
pub(super) const STACK_BITS: u32 = 24;
pub(super) const SIZE_MASK: u64 = 0xff;
pub(super) const HALF_BIT: u32 = 32;
/// The bits of a word that the scan leaves alone (below: the block; above: its state).
pub(super) const BLOCK_MASK: u64 = (1 << (HALF_BIT + 1)) - 1;
/// The scan's state of the block: 3 bits of [`State`] (its `u8`), then a field: the heuristic
/// of a reached block, or a leader's number.
pub(super) const STATE_SHIFT: u32 = HALF_BIT + 1;
pub(super) const FIELD_SHIFT: u32 = STATE_SHIFT + 3;
/// Leaders the field can number.
pub(super) const MAX_LEADERS: usize = 1 << (64 - FIELD_SHIFT);
const _: () = assert!(crate::stacks::MAX_SLOTS <= 1 << STACK_BITS);
const _: () = assert!(DIRECT_MAX_SIZE < SIZE_MASK);
/// The largest block the direct map holds: small blocks lie densely enough that a page of
/// the map (8 KiB of heap) serves dozens of them; larger ones cost less in the hash table
/// (48 bytes each against up to a page).
const DIRECT_MAX_SIZE: u64 = 128;
/// Inserts that may set the direct map up (the first block below the program break).
const DIRECT_TRIES: u32 = 64;
/// The direct map is faulted in this many bytes at a time (128 KiB: 512 KiB of heap), with
/// one `MADV_POPULATE_WRITE` at the first insert there, instead of a page fault per 4 KiB:
/// a million 32-byte blocks take 96 calls instead of ~1,900 faults (the table's upkeep in
/// leak_bench list 1M, paired medians: 8.3 -> 6.8 ms). At most this much of the map is
/// faulted in past the heap's end.
const READY_SHIFT: u32 = 17;
/// Words of the bitmap of the pieces faulted in.
const READY_WORDS: usize = (DIRECT_SPAN >> GRANULE_SHIFT << 3 >> READY_SHIFT) as usize / 64;

/// The direct map (see the module docs).
#[derive(Debug, Clone, Copy)]
struct Direct {
    words: *mut u64,
    base: u64,
    len: usize,
    /// The first and last word of the pieces faulted in (see [`READY_SHIFT`]), where every
    /// block of the map lies (`lo > hi`: none). Kept per piece, not per block: a word more to
    /// update on every insert cost more than the zero words a walk skips at both ends.
    lo: usize,
    hi: usize,
    tries: u32,
}

impl Direct {
    const fn new() -> Direct {
        Direct {
            words: core::ptr::null_mut(),
            base: 0,
            len: 0,
            lo: usize::MAX,
            hi: 0,
            tries: 0,
        }
    }

    fn bytes() -> usize {
        (DIRECT_SPAN >> GRANULE_SHIFT) as usize * 8
    }

    /// The block of word `w` (`w` its index): address, size, stack.
    #[inline]
    fn decode(&self, at: usize, w: u64) -> Live {
        Live {
            ptr: self.base + ((at as u64) << GRANULE_SHIFT) + ((w >> HALF_BIT & 1) << UNIT_SHIFT),
            size: ((w >> STACK_BITS) & SIZE_MASK) - 1,
            stack: w & ((1 << STACK_BITS) - 1),
        }
    }

    /// The word for a block at `ptr` of `size` bytes and stack `stack`.
    #[inline]
    fn encode(ptr: u64, size: u64, stack: u64) -> u64 {
        (ptr >> UNIT_SHIFT & 1) << HALF_BIT | (size + 1) << STACK_BITS | stack
    }

    /// True when the word `w` is the block starting at `ptr` (not one starting in the other
    /// half of its granule).
    #[inline]
    fn holds(w: u64, ptr: u64) -> bool {
        w != 0 && (w >> HALF_BIT & 1) == (ptr >> UNIT_SHIFT & 1)
    }

    /// The word for a block at `ptr`, when the map holds it (setting the map up on one of
    /// the first inserts below the program break).
    #[inline]
    fn slot(&mut self, ptr: u64, setup: bool) -> Option<usize> {
        if self.words.is_null() && !(setup && self.set_up(ptr)) {
            return None;
        }
        let off = ptr.wrapping_sub(self.base);
        (off < DIRECT_SPAN && ptr.trailing_zeros() >= UNIT_SHIFT)
            .then_some((off >> GRANULE_SHIFT) as usize)
    }

    #[cold]
    fn set_up(&mut self, ptr: u64) -> bool {
        if self.tries >= DIRECT_TRIES {
            return false;
        }
        self.tries += 1;
        if ptr >= program_break() {
            return false;
        }
        let Ok(p) = sys::map_anon(Self::bytes()) else {
            self.tries = DIRECT_TRIES;
            return false;
        };
        // Huge pages from the map's start: a 2 MiB page serves 8 MiB of heap. A million
        // 32-byte blocks (a 48 MiB heap) then take 7 faults of a huge page where the map's
        // first 4 MiB, in small pages, took 1,024 (check on, leak_bench list and dropped 1M:
        // 4.7-5.5 ms CPU less, paired medians of 31 rounds); a small heap pays for one page
        // of 2 MiB zeroed (leak_bench list 1000: +0.1 ms).
        sys::advise_huge(p, Self::bytes());
        self.words = p.cast();
        // A margin below the first block: blocks of the heap handed out before it.
        self.base = ptr.saturating_sub(1 << 20) & !((1 << 20) - 1);
        true
    }

    /// Word `w` (from [`Direct::slot`]).
    #[inline]
    fn get(&self, w: usize) -> u64 {
        debug_assert!(w < Self::bytes() / 8);
        let p = self.words.wrapping_add(w);
        // SAFETY: `slot` gives only indices inside the mapping, which set_up made.
        unsafe { p.read() }
    }

    /// Sets word `w` (from [`Direct::slot`]).
    #[inline]
    fn set(&mut self, w: usize, v: u64) {
        debug_assert!(w < Self::bytes() / 8);
        let p = self.words.wrapping_add(w);
        // SAFETY: as in `get`; `&mut self` is the one access.
        unsafe { p.write(v) }
    }

    fn range(&self) -> (u64, u64) {
        let start = self.words as u64;
        if self.words.is_null() {
            (0, 0)
        } else {
            (start, start + Self::bytes() as u64)
        }
    }
}

/// The program break: the end of glibc's main heap.
pub fn program_break() -> u64 {
    tracekit_preload_sys::program_break()
}

/// The table. Its owner serializes every call (a lock around it).
#[derive(Debug)]
pub struct LiveTable {
    slots: *mut Live,
    cap: usize,
    len: usize,
    /// A map failed: blocks were lost from the table, so a check would be wrong.
    broken: bool,
    direct: Direct,
    /// The pieces of the direct map faulted in (see [`READY_SHIFT`]).
    ready: [u64; READY_WORDS],
}

// SAFETY: the table owns its mapping; its owner serializes access with a lock.
unsafe impl Send for LiveTable {}

impl LiveTable {
    /// An empty table that maps its slots at the first insert.
    pub const fn new() -> LiveTable {
        LiveTable {
            slots: core::ptr::null_mut(),
            cap: 0,
            len: 0,
            broken: false,
            direct: Direct::new(),
            ready: [0; READY_WORDS],
        }
    }

    /// Blocks in the table.
    pub fn len(&self) -> usize {
        self.len + self.direct.len
    }

    /// True when no block is live.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True when the table missed blocks (memory for it could not be mapped).
    pub fn is_broken(&self) -> bool {
        self.broken
    }

    /// The table's memory, `(start, end)` twice (hash table, direct map): no root of the
    /// program.
    pub fn ranges(&self) -> [(u64, u64); 2] {
        let start = self.slots as u64;
        [
            (start, start + (self.cap * size_of::<Live>()) as u64),
            self.direct.range(),
        ]
    }

    fn slots(&mut self) -> &mut [Live] {
        if self.slots.is_null() {
            return &mut [];
        }
        // SAFETY: `slots` maps `cap` entries that this table alone owns; `&mut self` is the
        // one access.
        unsafe { core::slice::from_raw_parts_mut(self.slots, self.cap) }
    }

    fn home(ptr: u64, cap: usize) -> usize {
        // The 64 KiB region's number hashed (Fibonacci hashing), plus the block's place in
        // it in 16-byte units: blocks that an allocator hands out one after another land in
        // neighbouring slots, so inserting them (and growing the table) walks memory in
        // order instead of missing the cache on every block; blocks of different regions
        // (or aligned alike, such as page-aligned ones) are still spread by the hash.
        let region = ((ptr >> 16).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) as usize;
        region.wrapping_add(((ptr >> 4) & 0xfff) as usize) & (cap - 1)
    }

    /// The word of the direct map for a block at `ptr`, when the map holds it and the
    /// word's piece is faulted in (which also says the map is set up).
    #[inline(always)]
    fn ready_word(&self, ptr: u64) -> Option<usize> {
        let off = ptr.wrapping_sub(self.direct.base);
        if off >= DIRECT_SPAN || ptr & ((1 << UNIT_SHIFT) - 1) != 0 {
            return None;
        }
        let w = (off >> GRANULE_SHIFT) as usize;
        let piece = w >> (READY_SHIFT - 3);
        (self.ready[piece / 64] & 1 << (piece % 64) != 0).then_some(w)
    }

    /// Adds a block (at an address not in the table: the hooks see every free). The usual
    /// case, a small block where the map is faulted in already, is a load and a store (the
    /// hooks' whole upkeep of the table); the others go to `insert_other`.
    #[inline(always)]
    pub fn insert(&mut self, b: Live) {
        if b.size <= DIRECT_MAX_SIZE && b.stack < 1 << STACK_BITS {
            if let Some(w) = self.ready_word(b.ptr) {
                let d = &mut self.direct;
                d.len += usize::from(d.get(w) == 0);
                // A word of the other half of the granule is a block whose free was missed:
                // the two cannot both be live (glibc's chunks are 32 bytes at least).
                d.set(w, Direct::encode(b.ptr, b.size, b.stack));
                return;
            }
        }
        self.insert_other(b);
    }

    /// `insert`'s other cases: a larger block, or the map's piece not faulted in
    /// yet (or the map not set up).
    #[inline(never)]
    fn insert_other(&mut self, b: Live) {
        if b.ptr == 0 {
            return;
        }
        // A larger block is hashed without touching the map (a page of it per block, else).
        // Every free is seen, so an address is in one of the two at a time.
        if b.size <= DIRECT_MAX_SIZE && b.stack < 1 << STACK_BITS {
            if let Some(w) = self.direct.slot(b.ptr, true) {
                let piece = w >> (READY_SHIFT - 3);
                if self.ready[piece / 64] & 1 << (piece % 64) == 0 {
                    self.make_ready(piece);
                }
                let d = &mut self.direct;
                if d.get(w) == 0 {
                    d.len += 1;
                }
                // A word of the other half of the granule is a block whose free was missed:
                // the two cannot both be live (glibc's chunks are 32 bytes at least).
                d.set(w, Direct::encode(b.ptr, b.size, b.stack));
                return;
            }
        }
        self.hash_insert(b);
    }

    /// Faults in piece `piece` of the direct map (see [`READY_SHIFT`]); where that fails,
    /// its pages fault in one by one as they are written.
    #[cold]
    fn make_ready(&mut self, piece: usize) {
        self.ready[piece / 64] |= 1 << (piece % 64);
        let first = piece << (READY_SHIFT - 3);
        let d = &mut self.direct;
        d.lo = d.lo.min(first);
        d.hi = d.hi.max(first + (1 << (READY_SHIFT - 3)) - 1);
        let at = self.direct.words.wrapping_add(first);
        // SAFETY: the piece lies inside the direct map's writable mapping (its words are
        // `slot()`'s, whose range is the mapping's, a whole number of pieces); the advice
        // changes no contents.
        let _ = unsafe { sys::populate_write(at.cast(), 1 << READY_SHIFT) };
    }

    fn hash_insert(&mut self, b: Live) {
        if (self.len + 1) * 2 > self.cap && !self.grow() {
            self.broken = true;
            return;
        }
        let cap = self.cap;
        let mut i = Self::home(b.ptr, cap);
        let slots = self.slots();
        loop {
            let s = &mut slots[i];
            if s.ptr == 0 {
                *s = b;
                self.len += 1;
                return;
            }
            if s.ptr == b.ptr {
                *s = b;
                return;
            }
            i = (i + 1) & (cap - 1);
        }
    }

    /// Removes the block at `ptr`, if it is in the table.
    #[inline(always)]
    pub fn remove(&mut self, ptr: u64) {
        if ptr == 0 {
            return;
        }
        // A piece not faulted in holds no block.
        if let Some(w) = self.ready_word(ptr) {
            let d = &mut self.direct;
            // Not here (0, or a block in the granule's other half): a larger block, in the
            // hash table.
            if Direct::holds(d.get(w), ptr) {
                d.set(w, 0);
                d.len -= 1;
                return;
            }
        }
        self.hash_remove(ptr);
    }

    fn hash_remove(&mut self, ptr: u64) {
        if self.len == 0 {
            return;
        }
        let cap = self.cap;
        let mask = cap - 1;
        let mut i = Self::home(ptr, cap);
        let slots = self.slots();
        loop {
            if slots[i].ptr == 0 {
                return;
            }
            if slots[i].ptr == ptr {
                break;
            }
            i = (i + 1) & mask;
        }
        // Backward shift: move later entries of the run into the hole when their home
        // allows it, so lookups never need tombstones.
        let mut hole = i;
        let mut j = i;
        loop {
            j = (j + 1) & mask;
            let e = slots[j];
            if e.ptr == 0 {
                break;
            }
            let home = Self::home(e.ptr, cap);
            // `e` may move to `hole` unless its home lies cyclically in (hole, j].
            let stays = if hole <= j {
                hole < home && home <= j
            } else {
                hole < home || home <= j
            };
            if !stays {
                slots[hole] = e;
                hole = j;
            }
        }
        slots[hole] = Live::default();
        self.len -= 1;
    }

    /// Doubles the table; false when the memory cannot be mapped.
    fn grow(&mut self) -> bool {
        let new_cap = if self.cap == 0 {
            FIRST_CAP
        } else {
            self.cap * 2
        };
        let bytes = new_cap * size_of::<Live>();
        let Ok(p) = sys::map_anon(bytes) else {
            return false;
        };
        if bytes >= HUGE_FROM {
            sys::advise_huge(p, bytes);
        }
        let old = core::mem::replace(
            self,
            LiveTable {
                slots: p.cast(),
                cap: new_cap,
                len: 0,
                ..*self
            },
        );
        let mut old = old;
        for &e in old.slots().iter() {
            if e.ptr != 0 {
                self.hash_insert(e);
            }
        }
        if !old.slots.is_null() {
            // SAFETY: the old mapping is ours and nothing refers to it any more.
            unsafe { sys::unmap(old.slots.cast(), old.cap * size_of::<Live>()) };
        }
        true
    }

    /// Every live block, in no order.
    pub fn for_each(&mut self, mut f: impl FnMut(Live)) {
        self.for_each_in_order(&mut f);
        self.for_each_unordered(f);
    }

    /// The live blocks of the direct map, in address order.
    pub fn for_each_in_order(&mut self, mut f: impl FnMut(Live)) {
        let d = &mut self.direct;
        if d.lo > d.hi {
            return;
        }
        let (lo, hi) = (d.lo, d.hi);
        let d = *d;
        // SAFETY: lo..=hi are words of the mapping (slot() gave them out), which only this
        // table (borrowed mutably) accesses.
        let words = unsafe { core::slice::from_raw_parts(d.words.wrapping_add(lo), hi + 1 - lo) };
        for (i, &w) in words.iter().enumerate() {
            if w != 0 {
                f(d.decode(lo + i, w));
            }
        }
    }

    /// Blocks in the direct map.
    pub fn direct_len(&self) -> usize {
        self.direct.len
    }

    /// For a check: the direct map's blocks, scanned in place, with the other blocks
    /// (`hashed`: the hash table's, sorted by address, none at a direct block's address) and
    /// room for `leaders.len()` clique leaders' indirect bytes. The words keep the scan's
    /// states until [`InPlace::clear`]; until then nothing else may touch the map (the
    /// borrow sees to it).
    pub fn in_place<'a>(&'a mut self, hashed: Sorted<'a>, leaders: &'a mut [u64]) -> InPlace<'a> {
        let d = &self.direct;
        let (lo, hi, len) = if d.words.is_null() || d.lo > d.hi {
            (1, 0, 0)
        } else {
            (d.lo, d.hi, d.len)
        };
        InPlace::new(d.words, d.base, (lo, hi), len, hashed, leaders)
    }

    /// True when the direct map holds a block at `ptr`.
    pub fn direct_holds(&self, ptr: u64) -> bool {
        let d = &self.direct;
        if d.words.is_null() || d.lo > d.hi {
            return false;
        }
        let off = ptr.wrapping_sub(d.base);
        let w = (off >> GRANULE_SHIFT) as usize;
        off < DIRECT_SPAN
            && ptr.trailing_zeros() >= UNIT_SHIFT
            && (d.lo..=d.hi).contains(&w)
            && Direct::holds(d.get(w), ptr)
    }

    /// The other live blocks (the hash table's), in no order.
    pub fn for_each_unordered(&mut self, mut f: impl FnMut(Live)) {
        for &e in self.slots().iter() {
            if e.ptr != 0 {
                f(e);
            }
        }
    }
}

impl Default for LiveTable {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use tracekit_leak_scan::{Blocks, Extra, State};

    #[test]
    fn follows_a_random_stream_of_inserts_and_removes() {
        let mut t = LiveTable::new();
        let mut model = HashMap::new();
        let mut rng = tracekit_log::fixtures::XorShift::new(0x1234_5678_9abc_def1);
        for n in 0..200_000u64 {
            let x = rng.next();
            // Few distinct addresses, so removes hit often and runs collide: below the
            // program break (the direct map), unaligned or far above it (the hash table).
            let ptr = match (x >> 20) % 4 {
                0 | 1 => 0x10_0000 + (x % 20_000) * 16,
                2 => 0x10_0000 + (x % 20_000) * 16 + 8,
                _ => 0x7e00_0000_0000 + (x % 20_000) * 16,
            };
            if x & 1 == 0 {
                // Sizes and stacks too large for the direct map go to the hash table.
                let size = if (x >> 40).is_multiple_of(50) {
                    1 << 41
                } else {
                    n % 256
                };
                let stack = if (x >> 40) % 50 == 1 {
                    1 << 30
                } else {
                    n % 1000
                };
                // The hooks see every free: an address is reused only once freed, and no two
                // live blocks of glibc's start 16 bytes apart (its chunks: 32 bytes at least).
                if model.remove(&ptr).is_some() {
                    t.remove(ptr);
                }
                if ptr.is_multiple_of(16) && model.remove(&(ptr ^ 16)).is_some() {
                    t.remove(ptr ^ 16);
                }
                t.insert(Live { ptr, size, stack });
                model.insert(ptr, (size, stack));
            } else {
                t.remove(ptr);
                model.remove(&ptr);
            }
        }
        assert_eq!(t.len(), model.len());
        let mut seen = HashMap::new();
        t.for_each(|e| {
            seen.insert(e.ptr, (e.size, e.stack));
        });
        assert_eq!(seen, model);
        assert!(!t.is_broken());
        // The direct map was used and gives its blocks in address order.
        let mut ordered = Vec::new();
        t.for_each_in_order(|e| ordered.push(e.ptr));
        assert!(ordered.len() > 1000, "{}", ordered.len());
        assert!(ordered.windows(2).all(|w| w[0] < w[1]));
        // A scan over the table in place leaves its words as they were once cleared.
        let mut before = Vec::new();
        t.for_each(|e| before.push(e));
        let mut extra: [Extra; 0] = [];
        let mut indirect: [u64; 0] = [];
        let mut leaders = vec![0u64; t.direct_len()];
        let mut store = t.in_place(Sorted::new(&[], &mut extra, &mut indirect), &mut leaders);
        let mut at = Default::default();
        while let Some(id) = store.next_in_order(&mut at) {
            if id % 3 == 0 {
                assert!(store.lead(id));
            } else {
                store.set_extra(
                    id,
                    Extra {
                        state: State::Reachable,
                        heuristic: 4,
                    },
                );
            }
        }
        store.clear();
        let mut after = Vec::new();
        t.for_each(|e| after.push(e));
        assert_eq!(before, after);
    }
}
