//! The leak check's scan over the live-block table where it lies ([`InPlace`]).

use super::live::{
    LiveTable, BLOCK_MASK, DIRECT_SPAN, FIELD_SHIFT, GRANULE_SHIFT, HALF_BIT, MAX_LEADERS,
    SIZE_MASK, STACK_BITS, STATE_SHIFT, UNIT_SHIFT,
};
use tracekit_leak_scan::{Block, Blocks, Extra, Sorted, State};

/// The scan's view of a [`LiveTable`] for one check ([`LiveTable::in_place`]): the direct
/// map's blocks where they are, each named by its word's index, and the hash table's blocks
/// in a [`Sorted`] store, named by their index with [`HASHED`] set.
///
/// A pointer's direct block is found from the pointer's own word of the map and the four
/// below it (a block of up to 128 bytes starting 16 bytes into its granule ends within the
/// fifth), the block's state is kept in its word's spare bits (`STATE_SHIFT`), and blocks
/// come in address order by walking the words: no list of blocks, no index and no state
/// array is made, and the only memory the scan touches besides the heap is the map's, which
/// the program's run has faulted in already.
#[derive(Debug)]
pub struct InPlace<'a> {
    words: *mut u64,
    base: u64,
    /// The words that may hold blocks (`lo > hi`: none).
    lo: usize,
    hi: usize,
    /// The direct map's blocks (its words in `lo..=hi` that are not 0).
    direct: usize,
    /// The leaders' indirect bytes, by leader number; the numbers of leaders absorbed by
    /// later ones are used again (a list through their entries from `free`), so that a
    /// chain of lost blocks, where each leads in turn and is absorbed by the next, takes
    /// two entries instead of one per block.
    leaders: &'a mut [u64],
    nleaders: usize,
    free: usize,
    hashed: Sorted<'a>,
    _table: core::marker::PhantomData<&'a mut LiveTable>,
}

/// The bit of an id of [`InPlace`] that names a hashed block (a word's index is below
/// `DIRECT_SPAN >> GRANULE_SHIFT`, 2^29).
pub const HASHED: u32 = 1 << 31;
const _: () = assert!(DIRECT_SPAN >> GRANULE_SHIFT <= HASHED as u64);

/// A run of blocks of an [`InPlace`] scan in the same state from the same stack, as the
/// loss records need them.
#[derive(Debug, Clone, Copy)]
pub struct Scanned {
    /// Bytes.
    pub bytes: u64,
    /// Blocks.
    pub blocks: u64,
    /// The scan's state.
    pub extra: Extra,
    /// For a leader (a run of one): its clique's bytes.
    pub indirect: u64,
    /// Its stack (the direct map's; a hashed block's is the caller's).
    pub stack: u32,
}

impl<'a> InPlace<'a> {
    /// The store over the map's `words` (from `base`), `direct` blocks in words `lo..=hi`
    /// (`lo > hi`: none); see [`LiveTable::in_place`].
    pub(super) fn new(
        words: *mut u64,
        base: u64,
        (lo, hi): (usize, usize),
        direct: usize,
        hashed: Sorted<'a>,
        leaders: &'a mut [u64],
    ) -> Self {
        InPlace {
            words,
            base,
            lo,
            hi,
            direct,
            leaders,
            nleaders: 0,
            free: usize::MAX,
            hashed,
            _table: core::marker::PhantomData,
        }
    }

    #[inline]
    fn word(&self, g: usize) -> u64 {
        debug_assert!(self.lo <= g && g <= self.hi);
        // SAFETY: lo..=hi are words of the map's mapping (slot() gave them out), which the
        // borrow of the table makes this store's alone.
        unsafe { self.words.wrapping_add(g).read() }
    }

    #[inline]
    fn set_word(&mut self, g: usize, w: u64) {
        debug_assert!(self.lo <= g && g <= self.hi);
        // SAFETY: as in `word`.
        unsafe { self.words.wrapping_add(g).write(w) }
    }

    #[inline]
    fn start(&self, g: usize, w: u64) -> u64 {
        self.base + ((g as u64) << GRANULE_SHIFT) + ((w >> HALF_BIT & 1) << UNIT_SHIFT)
    }

    #[inline]
    fn size(w: u64) -> u64 {
        ((w >> STACK_BITS) & SIZE_MASK) - 1
    }

    /// The first word at or after `g` (up to `hi`) that holds a block.
    #[inline]
    fn next_word(&self, mut g: usize) -> Option<usize> {
        g = g.max(self.lo);
        while g <= self.hi {
            if self.word(g) != 0 {
                return Some(g);
            }
            g += 1;
        }
        None
    }

    /// Every block, what the scan found, in runs of neighbouring blocks of the same state
    /// and stack (a leader alone), in address order for the direct map's, then the hashed
    /// ones one by one (with their id, whose stacks the caller keeps: `stack` 0).
    pub fn for_each(&self, mut f: impl FnMut(Option<u32>, Scanned)) {
        if self.lo <= self.hi {
            // SAFETY: as in `word`; read-only while the slice lives.
            let words = unsafe {
                core::slice::from_raw_parts(self.words.wrapping_add(self.lo), self.hi + 1 - self.lo)
            };
            // What blocks of a run share: the stack, the state and its field.
            const KEY: u64 = !BLOCK_MASK | ((1 << STACK_BITS) - 1);
            let emit = |f: &mut dyn FnMut(Option<u32>, Scanned), w: u64, bytes, blocks| {
                let extra = decode_extra(w);
                let indirect = if extra.state == State::Leader {
                    self.leaders[(w >> FIELD_SHIFT) as usize]
                } else {
                    0
                };
                let s = Scanned {
                    bytes,
                    blocks,
                    extra,
                    indirect,
                    stack: (w & ((1 << STACK_BITS) - 1)) as u32,
                };
                f(None, s);
            };
            let (mut run, mut bytes, mut blocks) = (0u64, 0u64, 0u64);
            for &w in words {
                if w == 0 {
                    continue;
                }
                if blocks > 0 && w & KEY == run & KEY && decode_extra(w).state != State::Leader {
                    bytes += Self::size(w);
                    blocks += 1;
                    continue;
                }
                if blocks > 0 {
                    emit(&mut f, run, bytes, blocks);
                }
                (run, bytes, blocks) = (w, Self::size(w), 1);
            }
            if blocks > 0 {
                emit(&mut f, run, bytes, blocks);
            }
        }
        for (j, b) in self.hashed.blocks().iter().enumerate() {
            let id = j as u32;
            let extra = self.hashed.extra(id);
            let indirect = if extra.state == State::Leader {
                self.hashed.indirect(id)
            } else {
                0
            };
            f(
                Some(id),
                Scanned {
                    bytes: b.size,
                    blocks: 1,
                    extra,
                    indirect,
                    stack: 0,
                },
            );
        }
    }

    /// Takes the scan's states out of the map's words (for a check after which the program
    /// goes on).
    pub fn clear(&mut self) {
        for g in self.lo..=self.hi {
            let w = self.word(g);
            if w & !BLOCK_MASK != 0 {
                self.set_word(g, w & BLOCK_MASK);
            }
        }
    }
}

/// The state kept in a direct map word.
#[inline]
fn decode_extra(w: u64) -> Extra {
    // A table, not a match: the scan decodes a state or two per block it reaches.
    const STATES: [State; 8] = [
        State::Unreached,
        State::Reachable,
        State::Possible,
        State::Indirect,
        State::Leader,
        State::Leader,
        State::Leader,
        State::Leader,
    ];
    let state = STATES[((w >> STATE_SHIFT) & 7) as usize];
    let heuristic = if is_leader(w) {
        0
    } else {
        (w >> FIELD_SHIFT) as u8
    };
    Extra { state, heuristic }
}

/// True when the word's block leads a clique (its field is then a leader's number).
#[inline]
fn is_leader(w: u64) -> bool {
    (w >> STATE_SHIFT) & 7 >= State::Leader as u64
}

impl Blocks for InPlace<'_> {
    /// The next word to look at, and the next hashed block.
    type Cursor = (usize, usize);

    fn len(&self) -> usize {
        self.direct + self.hashed.len()
    }

    fn bounds(&self) -> (u64, u64) {
        let (mut lo, mut hi) = self.hashed.bounds();
        if let (Some(first), Some(last)) = (self.next_word(self.lo), self.last_word()) {
            let (a, b) = (self.word(first), self.word(last));
            lo = lo.min(self.start(first, a));
            hi = hi.max(self.start(last, b) + Self::size(b).max(1));
        }
        (lo, hi)
    }

    #[inline(always)]
    fn find(&self, ptr: u64) -> Option<u32> {
        self.lookup(ptr).map(|(id, _, _)| id)
    }

    #[inline(always)]
    fn lookup(&self, ptr: u64) -> Option<(u32, Block, Extra)> {
        let off = ptr.wrapping_sub(self.base);
        let g = (off >> GRANULE_SHIFT) as usize;
        if off < DIRECT_SPAN && g >= self.lo && g <= self.hi + 4 {
            let g = g.min(self.hi);
            // The nearest block starting at or below `ptr`: the one it may lie in (blocks
            // do not overlap), when it starts within the 144 bytes a direct block spans.
            for k in 0..5 {
                let Some(at) = g.checked_sub(k).filter(|&a| a >= self.lo) else {
                    break;
                };
                let w = self.word(at);
                if w == 0 {
                    continue;
                }
                let start = self.start(at, w);
                if start > ptr {
                    continue;
                }
                let size = Self::size(w);
                if ptr < start + size || (size == 0 && ptr == start) {
                    return Some((at as u32, Block { start, size }, decode_extra(w)));
                }
                break;
            }
        }
        let (lo, hi) = self.hashed.bounds();
        if ptr < lo || ptr >= hi {
            return None;
        }
        let j = self.hashed.find(ptr)?;
        Some((j | HASHED, self.hashed.block(j), self.hashed.extra(j)))
    }

    #[inline]
    fn block(&self, id: u32) -> Block {
        if id & HASHED != 0 {
            return self.hashed.block(id & !HASHED);
        }
        let g = id as usize;
        let w = self.word(g);
        Block {
            start: self.start(g, w),
            size: Self::size(w),
        }
    }

    #[inline]
    fn extra(&self, id: u32) -> Extra {
        if id & HASHED != 0 {
            return self.hashed.extra(id & !HASHED);
        }
        decode_extra(self.word(id as usize))
    }

    #[inline]
    fn set_extra(&mut self, id: u32, e: Extra) {
        if id & HASHED != 0 {
            return self.hashed.set_extra(id & !HASHED, e);
        }
        let state = e.state as u64;
        let g = id as usize;
        let old = self.word(g);
        if is_leader(old) {
            // Absorbed by a later leader (which took its bytes): its number is free.
            let n = (old >> FIELD_SHIFT) as usize;
            self.leaders[n] = self.free as u64;
            self.free = n;
        }
        self.set_word(
            g,
            old & BLOCK_MASK | state << STATE_SHIFT | u64::from(e.heuristic) << FIELD_SHIFT,
        );
    }

    #[inline(always)]
    fn lead(&mut self, id: u32) -> bool {
        if id & HASHED != 0 {
            return self.hashed.lead(id & !HASHED);
        }
        let n = if self.free != usize::MAX {
            let n = self.free;
            self.free = self.leaders[n] as usize;
            n
        } else {
            let n = self.nleaders;
            if n >= self.leaders.len() || n >= MAX_LEADERS {
                return false;
            }
            self.nleaders += 1;
            n
        };
        self.leaders[n] = 0;
        let g = id as usize;
        let w = self.word(g) & BLOCK_MASK;
        self.set_word(
            g,
            w | (State::Leader as u64) << STATE_SHIFT | (n as u64) << FIELD_SHIFT,
        );
        true
    }

    #[inline]
    fn indirect(&self, id: u32) -> u64 {
        if id & HASHED != 0 {
            return self.hashed.indirect(id & !HASHED);
        }
        let w = self.word(id as usize);
        self.leaders[(w >> FIELD_SHIFT) as usize]
    }

    #[inline]
    fn add_indirect(&mut self, id: u32, bytes: u64) {
        if id & HASHED != 0 {
            return self.hashed.add_indirect(id & !HASHED, bytes);
        }
        let w = self.word(id as usize);
        self.leaders[(w >> FIELD_SHIFT) as usize] += bytes;
    }

    #[inline(always)]
    fn join(&mut self, id: u32, ex: Extra, leader: u32, bytes: u64) {
        if (id | leader) & HASHED != 0 {
            let former = if ex.state == State::Leader {
                self.indirect(id)
            } else {
                0
            };
            let state = State::Indirect;
            self.set_extra(id, Extra { state, ..ex });
            return self.add_indirect(leader, bytes + former);
        }
        let g = id as usize;
        let old = self.word(g);
        let mut bytes = bytes;
        let mut heuristic = u64::from(ex.heuristic);
        if is_leader(old) {
            // Absorbed with its clique's bytes: its number is free.
            let n = (old >> FIELD_SHIFT) as usize;
            bytes += self.leaders[n];
            self.leaders[n] = self.free as u64;
            self.free = n;
            heuristic = 0;
        }
        let indirect = State::Indirect as u64;
        self.set_word(
            g,
            old & BLOCK_MASK | indirect << STATE_SHIFT | heuristic << FIELD_SHIFT,
        );
        let n = (self.word(leader as usize) >> FIELD_SHIFT) as usize;
        self.leaders[n] += bytes;
    }

    fn next_in_order(&self, at: &mut (usize, usize)) -> Option<u32> {
        let direct = self.next_word(at.0);
        let hashed = self.hashed.blocks().get(at.1);
        match (direct, hashed) {
            (Some(g), Some(b)) if b.start < self.start(g, self.word(g)) => {
                at.1 += 1;
                Some(HASHED | (at.1 - 1) as u32)
            }
            (Some(g), _) => {
                at.0 = g + 1;
                Some(g as u32)
            }
            (None, Some(_)) => {
                at.1 += 1;
                Some(HASHED | (at.1 - 1) as u32)
            }
            (None, None) => None,
        }
    }

    #[inline(always)]
    fn next_unreached(&self, at: &mut (usize, usize)) -> Option<u32> {
        // The next unreached direct block: the words skipped with one test each (a block's
        // word holds its state's bits; an empty word is 0).
        const STATE: u64 = 7 << STATE_SHIFT;
        let mut g = at.0.max(self.lo);
        while g <= self.hi {
            let w = self.word(g);
            if w != 0 && w & STATE == 0 {
                break;
            }
            g += 1;
        }
        let direct = (g <= self.hi).then_some(g);
        let mut j = at.1;
        let hashed = self.hashed.blocks();
        while j < hashed.len() && self.hashed.extra(j as u32).state != State::Unreached {
            j += 1;
        }
        match (direct, hashed.get(j)) {
            (Some(g), Some(b)) if b.start < self.start(g, self.word(g)) => {
                *at = (g, j + 1);
                Some(HASHED | j as u32)
            }
            (Some(g), _) => {
                *at = (g + 1, j);
                Some(g as u32)
            }
            (None, Some(_)) => {
                *at = (g, j + 1);
                Some(HASHED | j as u32)
            }
            (None, None) => {
                *at = (g, j);
                None
            }
        }
    }

    fn overlapping(&self, at: u64, end: u64) -> Option<Block> {
        let hashed = self.hashed.overlapping(at, end);
        let mut direct = None;
        if self.lo <= self.hi {
            let first = (at.saturating_sub(self.base) >> GRANULE_SHIFT) as usize;
            let mut g = first.saturating_sub(4).max(self.lo);
            while g <= self.hi {
                let w = self.word(g);
                if w != 0 {
                    let b = self.block(g as u32);
                    if b.start >= end {
                        break;
                    }
                    if b.start + b.size.max(1) > at {
                        direct = Some(b);
                        break;
                    }
                }
                if self.base + ((g as u64) << GRANULE_SHIFT) >= end {
                    break;
                }
                g += 1;
            }
        }
        match (direct, hashed) {
            (Some(d), Some(h)) => Some(if h.start < d.start { h } else { d }),
            (d, h) => d.or(h),
        }
    }
}

impl InPlace<'_> {
    fn last_word(&self) -> Option<usize> {
        (self.lo..=self.hi).rev().find(|&g| self.word(g) != 0)
    }
}

#[cfg(test)]
mod tests {
    use super::super::live::Live;
    use super::*;
    use tracekit_leak_scan::{Heuristics, Kind, Memory, Scan};

    /// Words at addresses `base..`.
    struct Image {
        base: u64,
        words: Vec<u64>,
    }

    impl Memory for Image {
        fn words(&self, start: u64, end: u64) -> &[u64] {
            let at = |a: u64| ((a - self.base) / 8) as usize;
            if start < self.base || end < start || at(end) > self.words.len() {
                return &[];
            }
            &self.words[at(start)..at(end)]
        }
    }

    /// The scan over the table in place (direct map and hashed blocks) classifies random
    /// heaps as the scan over the same blocks sorted in a list: the same kind, heuristic and
    /// leader's bytes for every block.
    #[test]
    fn the_scan_in_place_classifies_as_the_scan_of_a_sorted_list() {
        let mut x = tracekit_log::fixtures::XorShift::new(0x2545_f491_4f6c_dd1d);
        let mut rand = move |m: u64| x.next() % m;
        // Below the program break (the direct map's), 16-byte aligned, laid out as glibc's
        // chunks: a block of `size` takes size + 8 rounded up to 16, 32 at least.
        let base = 0x10_0000u64;
        for case in 0..60 {
            let mut blocks: Vec<Block> = Vec::new();
            let mut at = base + 16;
            let n = 1 + rand(400);
            for _ in 0..n {
                at += 16 * rand(3);
                let size = match rand(10) {
                    0 => 129 + rand(300),
                    1 => 0,
                    _ => rand(129),
                };
                blocks.push(Block { start: at, size });
                at += (size + 8).next_multiple_of(16).max(32);
            }
            let end = at + 64;
            let mut img = Image {
                base,
                words: vec![0; ((end - base) / 8) as usize],
            };
            // Words: pointers to starts, inside blocks, past them, and noise.
            let pick = |r: &mut dyn FnMut(u64) -> u64| {
                let b = blocks[r(blocks.len() as u64) as usize];
                match r(6) {
                    0..=2 => b.start,
                    3 => b.start + r(b.size.max(1)),
                    4 => b.start + 8,
                    _ => base + r(end - base),
                }
            };
            for w in img.words.iter_mut() {
                if rand(4) == 0 {
                    *w = pick(&mut rand);
                }
            }
            // The first words of the image are the roots.
            let roots = 8 * rand(4);
            let mut table = LiveTable::new();
            for (i, b) in blocks.iter().enumerate() {
                table.insert(Live {
                    ptr: b.start,
                    size: b.size,
                    stack: i as u64 % 7,
                });
            }
            // The reference: every block in a sorted list.
            let mut extra = vec![Extra::default(); blocks.len()];
            let mut indirect = vec![0u64; blocks.len()];
            let mut stack = vec![0u32; 2 * blocks.len() + 16];
            let mut want = Scan::new(
                &blocks,
                &mut extra,
                &mut indirect,
                &mut stack,
                &img,
                Heuristics::ALL,
            );
            want.skip_chunk_headers(true);
            want.root_range(base, base + roots);
            want.finish();
            // In place: the hashed blocks (larger ones) in a list of their own.
            let hashed: Vec<Block> = blocks.iter().filter(|b| b.size > 128).copied().collect();
            let mut hextra = vec![Extra::default(); hashed.len()];
            let mut hindirect = vec![0u64; hashed.len()];
            let mut leaders = vec![0u64; table.direct_len()];
            let mut stack2 = vec![0u32; 2 * blocks.len() + 16];
            let store = table.in_place(
                Sorted::new(&hashed, &mut hextra, &mut hindirect),
                &mut leaders,
            );
            let mut got = Scan::over(store, &mut stack2, &img, Heuristics::ALL);
            got.skip_chunk_headers(true);
            got.root_range(base, base + roots);
            got.finish();
            assert!(!want.overflowed() && !got.overflowed());
            let store = got.store();
            let mut cursor = Default::default();
            let mut i = 0;
            while let Some(id) = store.next_in_order(&mut cursor) {
                let b = blocks[i];
                assert_eq!(store.block(id), b, "case {case}, block {i}");
                let (e, w) = (store.extra(id), want.extra(i));
                let kind = tracekit_leak_scan::kind_of(e.state);
                assert_eq!(kind, want.kind(i), "case {case}, block {i}");
                if kind == Kind::Reachable {
                    assert_eq!(e.heuristic, w.heuristic, "case {case}, block {i}");
                }
                if e.state == State::Leader {
                    assert_eq!(store.indirect(id), want.indirect(i), "case {case}, {i}");
                }
                i += 1;
            }
            assert_eq!(i, blocks.len(), "case {case}");
        }
    }
}

/// The scan's speed over a million blocks laid out as glibc's main heap lays out 32-byte
/// blocks (48-byte chunks below the program break), held as leak_bench holds them: a list
/// from a root, an array, a list whose head was dropped; thread CPU time of the roots' scan,
/// the cliques and a walk over the result (the summary), best of 7 rounds:
/// `cargo test --release -p tracekit-preload-rt scan_speed -- --ignored --nocapture`
/// (`SCAN_SPEED_N`, `SCAN_SPEED_ROUNDS`, `SCAN_SPEED_MODE=list|array|dropped` to change them;
/// under callgrind, N below 200,000: valgrind gives the program break 8 MiB).
#[cfg(test)]
mod speed {
    use super::super::live::{Live, LiveTable};
    use tracekit_leak_scan::{Heuristics, Kind, Memory, Scan, Sorted, Summary};

    struct Raw;
    impl Memory for Raw {
        fn words(&self, start: u64, end: u64) -> &[u64] {
            if end <= start {
                return &[];
            }
            // SAFETY: the test reads only its own blocks and arrays.
            unsafe {
                core::slice::from_raw_parts(start as *const u64, ((end - start) / 8) as usize)
            }
        }
    }

    fn cpu_ns() -> u64 {
        crate::sys::clock_ns(libc::CLOCK_THREAD_CPUTIME_ID)
    }

    #[test]
    #[ignore]
    fn scan_speed() {
        let n_env = std::env::var("SCAN_SPEED_N")
            .ok()
            .and_then(|v| v.parse().ok());
        let n: usize = n_env.unwrap_or(1_000_000);
        // SAFETY: moves the program break up; the memory between is the test's alone.
        let heap = unsafe { libc::sbrk((n * 48 + 4096) as isize) } as u64;
        assert!(heap != u64::MAX);
        let first = (heap + 15) & !15;
        let at = |k: usize| first + 16 + 48 * k as u64;
        let only = std::env::var("SCAN_SPEED_MODE").unwrap_or_default();
        let rounds = std::env::var("SCAN_SPEED_ROUNDS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(7);
        for mode in ["list", "array", "dropped"] {
            if !only.is_empty() && only != mode {
                continue;
            }
            let mut best = [u64::MAX; 3];
            for _round in 0..rounds {
                let mut table = LiveTable::new();
                for k in 0..n {
                    // SAFETY: the node's 32 bytes lie inside the sbrk'd memory, the test's alone.
                    let node = unsafe { core::slice::from_raw_parts_mut(at(k) as *mut u64, 4) };
                    let next = if k == 0 { 0 } else { at(k - 1) };
                    node.copy_from_slice(&[next, k as u64, 0, 0]);
                    table.insert(Live {
                        ptr: at(k),
                        size: 32,
                        stack: 1,
                    });
                }
                let array: Vec<u64> = (0..n).map(at).collect();
                let mut leaders = vec![0u64; table.direct_len()];
                let mut mark = vec![0u32; 2 * n + 16];
                let mut e0: [tracekit_leak_scan::Extra; 0] = [];
                let mut i0: [u64; 0] = [];
                let t0 = cpu_ns();
                let store = table.in_place(Sorted::new(&[], &mut e0, &mut i0), &mut leaders);
                let mut scan = Scan::over(store, &mut mark, &Raw, Heuristics::ALL);
                scan.skip_chunk_headers(true);
                match mode {
                    "list" => scan.root_word(at(n - 1)),
                    "array" => scan.root_words(&array),
                    _ => {}
                }
                let t1 = cpu_ns();
                scan.finish();
                let t2 = cpu_ns();
                let s = Summary::of(&scan);
                let t3 = cpu_ns();
                let mut store = scan.into_store();
                store.clear();
                let (reachable, indirect) = match mode {
                    "dropped" => (0, n as u64 - 1),
                    _ => (n as u64, 0),
                };
                assert_eq!(s.get(Kind::Reachable).blocks, reachable, "{mode}");
                assert_eq!(s.get(Kind::Indirect).blocks, indirect, "{mode}");
                for (b, t) in best.iter_mut().zip([t1 - t0, t2 - t1, t3 - t2]) {
                    *b = (*b).min(t);
                }
            }
            eprintln!(
                "{mode}: roots {:.2} ms, finish {:.2} ms, walk {:.2} ms (best of {rounds})",
                best[0] as f64 / 1e6,
                best[1] as f64 / 1e6,
                best[2] as f64 / 1e6
            );
        }
    }
}
