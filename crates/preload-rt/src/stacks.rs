//! Interning call stacks: each distinct stack gets an id the first time it is seen, so the
//! log stores it once (as a `Stack` record) and events refer to it by id.
//!
//! The table and the frames live in lazily-committed anonymous maps, not on the heap. The
//! table starts small and doubles when three quarters full (a program with few stacks keeps
//! a few pages of it, not the worst case's 24 MiB), up to [`MAX_SLOTS`]; a full table answers
//! 0 ("no stack"). What a distinct stack costs: its frames (8 bytes each) and its share of
//! the table (24 bytes a slot, at most two slots a stack after a doubling).

use crate::sys;

#[derive(Debug, Clone, Copy)]
#[repr(C)]
struct Entry {
    hash: u64,
    id: u64,
    off: u32,
    len: u32,
}

/// The table's first size.
const FIRST_SLOTS: usize = 1 << 10;
/// The table's largest size.
pub const MAX_SLOTS: usize = 1 << 21;
const FRAME_WORDS: usize = 1 << 26;

/// The interning table. `const`-constructible; maps its memory on first use.
#[derive(Debug)]
pub struct StackTable {
    slots: *mut Entry,
    /// Slots of the table (a power of two), 0 before it is mapped.
    nslots: usize,
    frames: *mut u64,
    used_frames: usize,
    count: usize,
    next_id: u64,
}

// SAFETY: the table owns its maps; users serialize access (it lives behind a lock).
unsafe impl Send for StackTable {}

/// What [`StackTable::intern`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interned {
    /// Seen before, with this id.
    Known(u64),
    /// New: write its `Stack` record before using the id.
    New(u64),
    /// No stack (empty, or the table is full).
    None,
}

impl Interned {
    /// The id to put in an event (0 for none).
    pub fn id(self) -> u64 {
        match self {
            Interned::Known(id) | Interned::New(id) => id,
            Interned::None => 0,
        }
    }
}

impl Default for StackTable {
    fn default() -> Self {
        Self::new()
    }
}

impl StackTable {
    /// An empty table with nothing mapped yet.
    pub const fn new() -> Self {
        StackTable {
            slots: std::ptr::null_mut(),
            nslots: 0,
            frames: std::ptr::null_mut(),
            used_frames: 0,
            count: 0,
            next_id: 1,
        }
    }

    fn ensure_mapped(&mut self) -> bool {
        if self.slots.is_null() {
            let Ok(s) = sys::map_anon(FIRST_SLOTS * std::mem::size_of::<Entry>()) else {
                return false;
            };
            let Ok(f) = sys::map_anon(FRAME_WORDS * 8) else {
                // SAFETY: s was just mapped and is unused.
                unsafe { sys::unmap(s, FIRST_SLOTS * std::mem::size_of::<Entry>()) };
                return false;
            };
            self.slots = s.cast();
            self.nslots = FIRST_SLOTS;
            self.frames = f.cast();
        }
        true
    }

    /// Doubles the table (entries moved to their slots in the new one); false when it cannot.
    #[cold]
    fn grow(&mut self) -> bool {
        let n = self.nslots * 2;
        if n > MAX_SLOTS {
            return false;
        }
        let Ok(fresh) = sys::map_anon(n * std::mem::size_of::<Entry>()) else {
            return false;
        };
        let fresh = fresh.cast::<Entry>();
        for i in 0..self.nslots {
            // SAFETY: i < nslots: inside the old table.
            let old = unsafe { self.slots.add(i) };
            // SAFETY: an aligned `Entry` of the old table (zeroed pages are empty entries).
            let e = unsafe { *old };
            if e.id == 0 {
                continue;
            }
            let mut j = (e.hash as usize) & (n - 1);
            loop {
                // SAFETY: j < n (masked): inside the fresh map.
                let at = unsafe { fresh.add(j) };
                // SAFETY: an aligned `Entry` of the fresh map, ours alone, not yet published.
                let slot = unsafe { &mut *at };
                if slot.id == 0 {
                    *slot = e;
                    break;
                }
                j = (j + 1) & (n - 1);
            }
        }
        // SAFETY: the old table, mapped with `nslots` entries; nothing refers to it now.
        unsafe {
            sys::unmap(
                self.slots.cast(),
                self.nslots * std::mem::size_of::<Entry>(),
            )
        };
        self.slots = fresh;
        self.nslots = n;
        true
    }

    /// Number of distinct stacks.
    pub fn len(&self) -> usize {
        self.count
    }

    /// True when no stack was interned.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The id of `frames`, adding it when new.
    pub fn intern(&mut self, frames: &[u64]) -> Interned {
        if frames.is_empty() || !self.ensure_mapped() {
            return Interned::None;
        }
        let hash = hash(frames);
        if self.count >= self.nslots / 4 * 3 && !self.grow() {
            // Full: known stacks are still found, new ones get no id.
            return self
                .find(frames, hash)
                .map_or(Interned::None, Interned::Known);
        }
        let mask = self.nslots - 1;
        let mut i = (hash as usize) & mask;
        loop {
            // SAFETY: i < nslots (masked), so `slots + i` is inside the mapped slot array.
            let slot = unsafe { self.slots.add(i) };
            // SAFETY: an aligned `Entry` of our private mapping (zeroed pages are valid empty
            // entries); `&mut self` makes this the only reference to it.
            let e = unsafe { &mut *slot };
            if e.id == 0 {
                break;
            }
            if e.hash == hash && e.len as usize == frames.len() {
                // SAFETY: a used entry's `off` is where its frames were copied, with
                // off + len <= FRAME_WORDS, so `frames + off` is inside the frame map.
                let start = unsafe { self.frames.add(e.off as usize) };
                // SAFETY: the entry's `len` frames from `start`, written when it was added and
                // not changed since (only `clear` discards them, and it empties the slots too).
                let stored = unsafe { std::slice::from_raw_parts(start, e.len as usize) };
                if same(stored, frames) {
                    return Interned::Known(e.id);
                }
            }
            i = (i + 1) & mask;
        }
        if self.used_frames + frames.len() > FRAME_WORDS {
            return Interned::None;
        }
        let off = self.used_frames;
        // SAFETY: off + len <= FRAME_WORDS (checked above), so `frames + off` is inside the
        // frame map.
        let dst = unsafe { self.frames.add(off) };
        // SAFETY: `len` unused words of our private frame map from `dst`, which cannot overlap
        // the caller's `frames` slice.
        unsafe { std::ptr::copy_nonoverlapping(frames.as_ptr(), dst, frames.len()) };
        self.used_frames += frames.len();
        let id = self.next_id;
        self.next_id += 1;
        self.count += 1;
        // SAFETY: i < nslots, the free slot found above, inside the mapped slot array.
        let slot = unsafe { self.slots.add(i) };
        // SAFETY: an aligned `Entry` of our private mapping, not borrowed any more (the probe's
        // `e` ended with the loop).
        unsafe {
            *slot = Entry {
                hash,
                id,
                off: off as u32,
                len: frames.len() as u32,
            }
        };
        Interned::New(id)
    }

    /// The id of `frames` (whose hash is `hash`) when the full table has it.
    fn find(&self, frames: &[u64], hash: u64) -> Option<u64> {
        let mask = self.nslots - 1;
        let mut i = (hash as usize) & mask;
        for _ in 0..self.nslots {
            // SAFETY: i < nslots (masked): inside the mapped slot array.
            let slot = unsafe { self.slots.add(i) };
            // SAFETY: an aligned `Entry` of our private mapping (zeroed pages are empty).
            let e = unsafe { *slot };
            if e.id == 0 {
                return None;
            }
            if e.hash == hash && e.len as usize == frames.len() {
                // SAFETY: as in `intern`: off + len <= FRAME_WORDS, inside the frame map.
                let start = unsafe { self.frames.add(e.off as usize) };
                // SAFETY: the entry's `len` frames from `start`, written when it was added.
                let stored = unsafe { std::slice::from_raw_parts(start, e.len as usize) };
                if same(stored, frames) {
                    return Some(e.id);
                }
            }
            i = (i + 1) & mask;
        }
        None
    }

    /// Calls `f` with the id and frames of every stack, in no particular order.
    pub fn for_each(&self, mut f: impl FnMut(u64, &[u64])) {
        for i in 0..self.nslots {
            // SAFETY: i < nslots: inside the mapped slot array (none when nslots is 0).
            let slot = unsafe { self.slots.add(i) };
            // SAFETY: an aligned `Entry` of our private mapping (zeroed pages are empty).
            let e = unsafe { *slot };
            if e.id == 0 {
                continue;
            }
            // SAFETY: as in `find`: off + len <= FRAME_WORDS, inside the frame map.
            let start = unsafe { self.frames.add(e.off as usize) };
            // SAFETY: the entry's `len` frames from `start`, written when it was added.
            let frames = unsafe { std::slice::from_raw_parts(start, e.len as usize) };
            f(e.id, frames);
        }
    }

    /// Forgets every stack (a forked child starts its own log); ids restart at 1.
    pub fn clear(&mut self) {
        if !self.slots.is_null() {
            // SAFETY: the slot array is a private anonymous map of ours of this size (both
            // are mapped together in `ensure_mapped`, or by `grow`); zeroed pages are empty
            // slots.
            unsafe {
                sys::discard(
                    self.slots.cast(),
                    self.nslots * std::mem::size_of::<Entry>(),
                )
            };
            // SAFETY: the frame map is a private anonymous map of ours of this size; with every
            // slot empty, no entry refers to its contents any more.
            unsafe { sys::discard(self.frames.cast(), FRAME_WORDS * 8) };
        }
        self.used_frames = 0;
        self.count = 0;
        self.next_id = 1;
    }
}

#[inline(always)]
fn hash(frames: &[u64]) -> u64 {
    let mut h = frames.len() as u64;
    for &f in frames {
        h = (h.rotate_left(23) ^ f).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
    h ^ (h >> 29)
}

/// `a == b` for slices of the same length, as a plain loop: stacks are short, and slice
/// equality calls `bcmp`.
#[inline(always)]
fn same(a: &[u64], b: &[u64]) -> bool {
    debug_assert_eq!(a.len(), b.len());
    let mut i = 0;
    while i < a.len() && i < b.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interns_each_stack_once() {
        let mut t = StackTable::new();
        assert_eq!(t.intern(&[]), Interned::None);
        assert_eq!(t.intern(&[1, 2, 3]), Interned::New(1));
        assert_eq!(t.intern(&[1, 2]), Interned::New(2));
        assert_eq!(t.intern(&[1, 2, 3]), Interned::Known(1));
        assert_eq!(t.intern(&[1, 2]), Interned::Known(2));
        // The table doubles several times on the way.
        for i in 0..10_000u64 {
            assert_eq!(t.intern(&[i, i + 1, 7]), Interned::New(i + 3));
        }
        assert!(t.nslots > FIRST_SLOTS);
        assert_eq!(t.intern(&[1, 2, 3]), Interned::Known(1));
        for i in (0..10_000u64).step_by(7) {
            assert_eq!(t.intern(&[i, i + 1, 7]), Interned::Known(i + 3));
        }
        t.clear();
        assert!(t.is_empty());
        assert_eq!(t.intern(&[9]), Interned::New(1));
    }
}
