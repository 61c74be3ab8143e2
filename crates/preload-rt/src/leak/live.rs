//! The live blocks of the process, kept while the leak check is on: an open-addressing hash
//! table (linear probing, deletion by backward shift) keyed by the block's address, in memory
//! mapped with `preload-sys` (never from the hooked allocator), doubled when half full.

use crate::sys;

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

/// The table. Its owner serializes every call (a lock around it).
#[derive(Debug)]
pub struct LiveTable {
    slots: *mut Live,
    cap: usize,
    len: usize,
    /// A map failed: blocks were lost from the table, so a check would be wrong.
    broken: bool,
    /// The lowest and highest address ever inserted, the first one, and the bits in which
    /// any differed from it (see [`LiveTable::bounds`]).
    lo: u64,
    hi: u64,
    first: u64,
    differ: u64,
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
            lo: u64::MAX,
            hi: 0,
            first: 0,
            differ: 0,
        }
    }

    /// `(lo, hi, differ)`: every block in the table lies at an address from `lo` to `hi`,
    /// and two addresses differ only in bits of `differ` (so each is a multiple of
    /// `1 << differ.trailing_zeros()` away from `lo`). Bounds of every block ever inserted:
    /// kept with three instructions an insert, wider than the live blocks' after frees.
    pub fn bounds(&self) -> (u64, u64, u64) {
        (self.lo, self.hi, self.differ)
    }

    /// Blocks in the table.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when no block is live.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// True when the table missed blocks (memory for it could not be mapped).
    pub fn is_broken(&self) -> bool {
        self.broken
    }

    /// The slots' memory, `(start, end)`: no root of the program.
    pub fn range(&self) -> (u64, u64) {
        let start = self.slots as u64;
        (start, start + (self.cap * size_of::<Live>()) as u64)
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

    /// Adds (or replaces) a block.
    pub fn insert(&mut self, b: Live) {
        if b.ptr == 0 {
            return;
        }
        if (self.len + 1) * 2 > self.cap && !self.grow() {
            self.broken = true;
            return;
        }
        if self.first == 0 {
            self.first = b.ptr;
        }
        self.differ |= b.ptr ^ self.first;
        self.lo = self.lo.min(b.ptr);
        self.hi = self.hi.max(b.ptr);
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
    pub fn remove(&mut self, ptr: u64) {
        if ptr == 0 || self.len == 0 {
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
                self.insert(e);
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

    #[test]
    fn follows_a_random_stream_of_inserts_and_removes() {
        let mut t = LiveTable::new();
        let mut model = HashMap::new();
        let mut x = 0x1234_5678_9abc_def1u64;
        for n in 0..200_000u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Few distinct addresses, so removes hit often and runs collide.
            let ptr = 0x10_0000 + (x % 20_000) * 16;
            if x & 1 == 0 {
                t.insert(Live {
                    ptr,
                    size: n,
                    stack: 1,
                });
                model.insert(ptr, n);
            } else {
                t.remove(ptr);
                model.remove(&ptr);
            }
        }
        assert_eq!(t.len(), model.len());
        let mut seen = HashMap::new();
        t.for_each(|e| {
            seen.insert(e.ptr, e.size);
        });
        assert_eq!(seen, model);
        assert!(!t.is_broken());
    }
}
