//! The live blocks of a process by address: the heap pass's one map, touched by every
//! allocation and release of the log (twice by a `realloc`), so its cost is most of the pass's.
//!
//! Open addressing with linear probing in a table at most a sixteenth full (a quarter once
//! it is large), the slot chosen by Fibonacci hashing of the address (multiply, keep the top
//! bits: the bits in which heap addresses differ, the low middle ones, reach the top), and
//! deletion by backward shift, so no tombstones build up however many blocks come and go. A
//! lookup is one multiply and usually one slot; a general map (hashbrown: SIMD groups of
//! control bytes, tombstones) costs several times that per operation here, where keys are
//! addresses and the table small.

/// Live blocks by address, each with a value `V`.
#[derive(Debug, Clone)]
pub(crate) struct Blocks<V> {
    /// Each slot's address (0: an empty slot), apart from the values so that a probe reads
    /// eight slots per cache line. The length is a power of two, at least [`SPARSE`] times
    /// `len` (or 4 times, past [`DENSE_FROM`] slots).
    keys: Box<[u64]>,
    /// Each slot's value.
    vals: Box<[V]>,
    /// 64 minus log2 of the number of slots: a hash shifted right by this is a slot index.
    shift: u32,
    /// Blocks held in the slots.
    len: usize,
    /// The block at address 0, which no allocator hands out, but a log may say anything.
    zero: Option<V>,
}

const FIB: u64 = 0x9E37_79B9_7F4A_7C15;
const MIN_SLOTS_LOG2: u32 = 6;
/// The table is at most a sixteenth full: most probes then end at the first slot, and a
/// removal's backward shift at the next one, so the branches of both are predictable (at half
/// full, the mispredicted probe loops were most of the cost of a release). CPU time of
/// `tracekit report` on heap_bench's 10M-event log (perf stat, paired medians): from a quarter
/// full to an eighth, 456 -> 403 ms; from an eighth to a sixteenth, 389 -> 359 ms.
const SPARSE: usize = 16;
/// From this many slots (10 MiB: a slot is 40 bytes) on, the table grows at a quarter full
/// instead: the sparse table costs at most 10 MiB (reached at 8193 live blocks), and past
/// 65536 live blocks the table is the size it was when it grew at a quarter full (160 to 320
/// bytes per live block).
const DENSE_FROM: usize = 1 << 18;

/// A slot found by [`Blocks::locate`], for [`Blocks::remove_at`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Slot(usize);

/// The [`Slot`] of the block at address 0.
const ZERO_SLOT: usize = usize::MAX;

impl<V: Copy + Default> Default for Blocks<V> {
    fn default() -> Self {
        Blocks {
            keys: vec![0; 1 << MIN_SLOTS_LOG2].into_boxed_slice(),
            vals: vec![V::default(); 1 << MIN_SLOTS_LOG2].into_boxed_slice(),
            shift: 64 - MIN_SLOTS_LOG2,
            len: 0,
            zero: None,
        }
    }
}

impl<V: Copy + Default> Blocks<V> {
    /// The slot where a probe for `addr` starts.
    #[inline(always)]
    fn home(&self, addr: u64) -> usize {
        (addr.wrapping_mul(FIB) >> self.shift) as usize
    }

    #[inline(always)]
    fn mask(&self) -> usize {
        self.keys.len() - 1
    }

    /// The slot holding `addr` (not 0), if any.
    #[inline(always)]
    fn find(&self, addr: u64) -> Option<usize> {
        let mask = self.mask();
        let mut i = self.home(addr);
        loop {
            match self.keys[i] {
                k if k == addr => return Some(i),
                0 => return None,
                _ => i = (i + 1) & mask,
            }
        }
    }

    /// The value of the block at `addr`.
    #[cfg(test)]
    pub(crate) fn get(&self, addr: u64) -> Option<&V> {
        self.locate(addr).map(|s| self.value(s))
    }

    /// Where the block at `addr` is, if live: valid until the table next changes.
    #[inline]
    pub(crate) fn locate(&self, addr: u64) -> Option<Slot> {
        if addr == 0 {
            return self.zero.as_ref().map(|_| Slot(ZERO_SLOT));
        }
        self.find(addr).map(Slot)
    }

    /// The value in slot `s` (from [`locate`](Self::locate), the table unchanged since).
    #[inline]
    pub(crate) fn value(&self, s: Slot) -> &V {
        match s.0 {
            ZERO_SLOT => self.zero.as_ref().expect("the zero block is live"),
            i => &self.vals[i],
        }
    }

    /// Puts the block at `addr`; returns the one it replaces.
    #[inline]
    pub(crate) fn insert(&mut self, addr: u64, value: V) -> Option<V> {
        if addr == 0 {
            return self.zero.replace(value);
        }
        let mask = self.mask();
        let mut i = self.home(addr);
        loop {
            match self.keys[i] {
                k if k == addr => return Some(std::mem::replace(&mut self.vals[i], value)),
                0 => break,
                _ => i = (i + 1) & mask,
            }
        }
        self.keys[i] = addr;
        self.vals[i] = value;
        self.len += 1;
        let sparse = if self.keys.len() < DENSE_FROM {
            SPARSE
        } else {
            4
        };
        if sparse * self.len > self.keys.len() {
            self.grow();
        }
        None
    }

    /// Takes the block at `addr` out.
    #[cfg(test)]
    pub(crate) fn remove(&mut self, addr: u64) -> Option<V> {
        let s = self.locate(addr)?;
        Some(self.remove_at(s))
    }

    /// Takes the block in slot `s` out (from [`locate`](Self::locate), the table unchanged
    /// since).
    #[inline(always)]
    pub(crate) fn remove_at(&mut self, s: Slot) -> V {
        let mut hole = match s.0 {
            ZERO_SLOT => return self.zero.take().expect("the zero block is live"),
            i => i,
        };
        let value = self.vals[hole];
        self.len -= 1;
        // Backward shift: each block after the hole, up to the next empty slot, moves into the
        // hole when the hole is on its probe path (between its home slot and where it is).
        let mask = self.mask();
        let mut j = hole;
        loop {
            j = (j + 1) & mask;
            let k = self.keys[j];
            if k == 0 {
                break;
            }
            let home = self.home(k);
            if j.wrapping_sub(home) & mask >= j.wrapping_sub(hole) & mask {
                self.keys[hole] = k;
                self.vals[hole] = self.vals[j];
                hole = j;
            }
        }
        self.keys[hole] = 0;
        value
    }

    /// Doubles the slots.
    #[cold]
    fn grow(&mut self) {
        let n = self.keys.len() * 2;
        let old_keys = std::mem::replace(&mut self.keys, vec![0; n].into_boxed_slice());
        let old_vals = std::mem::replace(&mut self.vals, vec![V::default(); n].into_boxed_slice());
        self.shift -= 1;
        let mask = self.mask();
        for (&k, &v) in old_keys
            .iter()
            .zip(old_vals.iter())
            .filter(|(k, _)| **k != 0)
        {
            let mut i = self.home(k);
            while self.keys[i] != 0 {
                i = (i + 1) & mask;
            }
            self.keys[i] = k;
            self.vals[i] = v;
        }
    }

    /// Every block's value, in no particular order.
    pub(crate) fn values(&self) -> impl Iterator<Item = &V> + '_ {
        self.keys
            .iter()
            .zip(self.vals.iter())
            .filter(|(k, _)| **k != 0)
            .map(|(_, v)| v)
            .chain(self.zero.as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn it_agrees_with_a_hash_map_through_many_insertions_and_removals() {
        // Addresses as an allocator hands them out: 16-aligned, clustered, reused, with
        // collisions in the low bits; and 0.
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut b: Blocks<u64> = Blocks::default();
        let mut m: HashMap<u64, u64> = HashMap::new();
        for round in 0..200_000u64 {
            let r = next();
            // The live set grows to a few thousand, then shrinks, then grows again.
            let spread = if (round / 50_000) % 2 == 0 { 4096 } else { 512 };
            let addr = match r % 97 {
                0 => 0,
                1 => 0x7f00_0000_0000 + (r >> 8) % 64 * (1 << 20),
                _ => 0x5555_0000_0000 + (r >> 8) % spread * 16,
            };
            if r >> 60 < 9 {
                assert_eq!(
                    b.insert(addr, round),
                    m.insert(addr, round),
                    "insert {addr:#x}"
                );
            } else if r & 1 == 0 {
                assert_eq!(b.remove(addr), m.remove(&addr), "remove {addr:#x}");
            } else {
                // As a realloc does: look the block up, read it, then take it out.
                let s = b.locate(addr);
                assert_eq!(s.map(|s| *b.value(s)), m.get(&addr).copied());
                assert_eq!(
                    s.map(|s| b.remove_at(s)),
                    m.remove(&addr),
                    "remove {addr:#x}"
                );
            }
            assert_eq!(b.get(addr), m.get(&addr));
        }
        let mut got: Vec<u64> = b.values().copied().collect();
        let mut want: Vec<u64> = m.values().copied().collect();
        got.sort_unstable();
        want.sort_unstable();
        assert_eq!(got, want);
        assert!(b.keys.len() >= SPARSE * b.len);
        // Emptied, every slot is free again (no tombstones).
        for k in m.keys() {
            b.remove(*k);
        }
        assert_eq!(b.values().count(), 0);
        assert!(b.keys.iter().all(|&k| k == 0));
    }

    #[test]
    fn a_large_table_grows_at_a_quarter_full() {
        let mut b: Blocks<u64> = Blocks::default();
        let n = DENSE_FROM as u64 / 4;
        for i in 1..=n {
            assert_eq!(b.insert(i * 16, i), None);
        }
        assert_eq!(b.keys.len(), DENSE_FROM);
        b.insert((n + 1) * 16, 0);
        assert_eq!(b.keys.len(), 2 * DENSE_FROM);
        assert!((1..=n).all(|i| b.get(i * 16) == Some(&i)));
    }
}
