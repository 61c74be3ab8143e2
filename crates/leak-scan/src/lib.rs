//! The leak check's scanner: every live block classified as valgrind memcheck does
//! (`memcheck/mc_leakcheck.c`, valgrind 3.19), from the roots a caller feeds it.
//!
//! The caller (a preload library at exit) owns all memory: the blocks and each one's state,
//! behind [`Blocks`] (the scan names a block by a `u32` id the store gives out: [`Sorted`],
//! blocks sorted by address in a slice with one [`Extra`] per block, or a store of the
//! caller's own that keeps the state in its block table's words); a mark stack of at least
//! twice as many entries as blocks (a block is pushed at most twice while roots are scanned:
//! when it becomes possibly reachable, and again when it becomes reachable); and a [`Memory`]
//! that reads the words of a block or root. Nothing here allocates, takes a lock or makes a
//! system call.
//!
//! The steps, as memcheck's `lc_scan_memory` and `lc_process_markstack`:
//! 1. [`Scan::root_word`], [`Scan::root_range`]: every aligned word of the roots is looked up
//!    among the blocks; a start pointer marks the block reachable, an interior one possibly
//!    reachable (or reachable, when a [`Heuristics`] rule accepts it), and the block's own
//!    words are scanned in turn (as a definite or a possible parent).
//! 2. [`Scan::finish`]: the blocks still unreached, in address order, each lead a clique:
//!    what they reach that is still unreached becomes indirectly lost, its bytes (and those of
//!    a former leader it absorbs) added to the leader's indirect bytes ([`Scan::indirect`]).
//!    The leaders left are definitely lost.

#![no_std]

/// A live block: `size` bytes at `start` (`size` may be 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Block {
    /// First byte.
    pub start: u64,
    /// Bytes requested.
    pub size: u64,
}

/// What the scan found a block to be, in memcheck's order (`Reachedness`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
#[repr(u8)]
pub enum Kind {
    /// Reached from a root through start pointers (or a heuristic's), every step definite.
    Reachable = 0,
    /// Reached, but only through an interior pointer somewhere on the way.
    Possible = 1,
    /// Lost, reached only from another lost block.
    Indirect = 2,
    /// Lost, and reached from no root nor lost block but its own clique: definitely lost.
    #[default]
    Definite = 3,
}

impl Kind {
    /// The kind with code `c` ([`Kind`] as `u8`).
    pub fn from_code(c: u8) -> Option<Kind> {
        Some(match c {
            0 => Kind::Reachable,
            1 => Kind::Possible,
            2 => Kind::Indirect,
            3 => Kind::Definite,
            _ => return None,
        })
    }
}

/// memcheck's heuristics (`--leak-check-heuristics`): interior pointers that are start
/// pointers in disguise. valgrind's default is all four.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Heuristics(pub u8);

impl Heuristics {
    /// None.
    pub const NONE: Heuristics = Heuristics(0);
    /// A pointer at the characters of a libstdc++ pre-C++11 `std::string` (length,
    /// capacity, refcount, chars).
    pub const STDSTRING: u8 = 1;
    /// A pointer 8 bytes in, after a 64-bit length of the rest (sqlite).
    pub const LENGTH64: u8 = 2;
    /// A pointer 8 bytes in, after an element count that divides the rest (`new T[n]` with a
    /// destructor: the array cookie).
    pub const NEWARRAY: u8 = 4;
    /// A pointer at a second vtable pointer inside a block starting with one (a base class of
    /// a multiply inherited object).
    pub const MULTIPLE_INHERITANCE: u8 = 8;
    /// All four: valgrind's default.
    pub const ALL: Heuristics = Heuristics(15);

    /// True when rule `h` is on.
    pub fn has(self, h: u8) -> bool {
        self.0 & h != 0
    }
}

/// The scan's state of one block (two bytes: the scan touches one per block it reaches).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Extra {
    /// Where the scan stands with the block.
    pub state: State,
    /// The heuristic (one of [`Heuristics`]' rules) through which a reachable block was
    /// reached, 0 when through a start pointer.
    pub heuristic: u8,
}

/// Where the scan stands with a block ([`Extra::state`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[repr(u8)]
pub enum State {
    /// Not reached (yet): definitely lost unless something reaches it.
    #[default]
    Unreached,
    /// Reached through start pointers from a root.
    Reachable,
    /// Reached through an interior pointer somewhere on the way.
    Possible,
    /// Lost, reached from a clique's leader.
    Indirect,
    /// Lost, and led a clique of its own ([`Blocks::lead`]); definitely lost unless a later
    /// leader absorbs it.
    Leader,
}

/// Where the scan's blocks and their states are kept. Blocks are named by ids the store gives
/// out (`u32`, so that the mark stack takes 4 bytes an entry); they must not overlap.
pub trait Blocks {
    /// Where the scan walks the blocks in address order ([`Blocks::next_in_order`]).
    type Cursor: Default;
    /// The lowest start and the highest end of all blocks (`(u64::MAX, 0)`: none).
    fn bounds(&self) -> (u64, u64);
    /// The number of blocks.
    fn len(&self) -> usize;
    /// True when there is no block.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The block `ptr` points into (a zero-sized block: at), `ptr` within [`Blocks::bounds`].
    fn find(&self, ptr: u64) -> Option<u32>;
    /// Block `id`.
    fn block(&self, id: u32) -> Block;
    /// The block `ptr` points into (as [`Blocks::find`]), with the block and its state: a
    /// store that keeps them together may read them once.
    #[inline(always)]
    fn lookup(&self, ptr: u64) -> Option<(u32, Block, Extra)> {
        let i = self.find(ptr)?;
        Some((i, self.block(i), self.extra(i)))
    }
    /// Block `id`'s state (all [`Extra::default`] when the scan starts).
    fn extra(&self, id: u32) -> Extra;
    /// Sets block `id`'s state (never [`State::Leader`]: see [`Blocks::lead`]).
    fn set_extra(&mut self, id: u32, e: Extra);
    /// Block `id` leads a clique: state [`State::Leader`], its indirect bytes 0. False when
    /// the store has no room to count them (the scan then counts too much as lost).
    fn lead(&mut self, id: u32) -> bool;
    /// A leader's indirect bytes.
    fn indirect(&self, id: u32) -> u64;
    /// Adds `bytes` to a leader's indirect bytes.
    fn add_indirect(&mut self, id: u32, bytes: u64);
    /// Block `id`, in state `ex` (unreached, or a former leader), joins the clique of
    /// `leader`: it becomes [`State::Indirect`], and the leader's indirect bytes grow by
    /// `bytes` (the block's) and, for a former leader, by its own indirect bytes. (One call
    /// for what a store that keeps both in a word does with one read of each.)
    #[inline(always)]
    fn join(&mut self, id: u32, ex: Extra, leader: u32, bytes: u64) {
        let former = if ex.state == State::Leader {
            self.indirect(id)
        } else {
            0
        };
        let state = State::Indirect;
        self.set_extra(id, Extra { state, ..ex });
        self.add_indirect(leader, bytes + former);
    }
    /// The next block in address order from `at` (a fresh cursor: the first).
    fn next_in_order(&self, at: &mut Self::Cursor) -> Option<u32>;
    /// The next block in address order from `at` whose state is [`State::Unreached`] (what
    /// [`Scan::finish`] looks for: a store may skip the others faster than one by one).
    fn next_unreached(&self, at: &mut Self::Cursor) -> Option<u32> {
        while let Some(i) = self.next_in_order(at) {
            if self.extra(i).state == State::Unreached {
                return Some(i);
            }
        }
        None
    }
    /// The lowest block that ends above `at` (a zero-sized one counted as a byte) and starts
    /// below `end`.
    fn overlapping(&self, at: u64, end: u64) -> Option<Block>;
}

/// How the scan reads memory: the aligned words of `[start, end)` (both multiples of 8),
/// which the caller made sure are mapped and readable; an empty slice when they are not.
pub trait Memory {
    /// The words of `[start, end)`.
    fn words(&self, start: u64, end: u64) -> &[u64];
    /// True when `addr` may be a vtable address (read-only data of a module), for the
    /// `multipleinheritance` heuristic. Without an answer the heuristic never fires.
    fn is_vtable(&self, addr: u64) -> bool {
        let _ = addr;
        false
    }
}

/// Blocks up to this size are looked at for pointers when reached, and left off the mark
/// stack when they hold none ([`Scan::push`]): a block's words are read at most twice.
const PRESCAN_MAX: u64 = 128;

/// One leak scan over a set of blocks.
#[derive(Debug)]
pub struct Scan<'a, M: Memory, B: Blocks = Sorted<'a>> {
    store: B,
    stack: &'a mut [u32],
    top: usize,
    /// The mark stack's top entry, with its block, kept out of `stack`: the block pushed last
    /// is the next one scanned, and a chain of blocks (a list) then goes from one block's
    /// words to the next block's without a store to the stack, a load back and the block
    /// looked up again on the way.
    pending: Option<(u32, Block, State)>,
    overflowed: bool,
    skip_chunk_headers: bool,
    mem: &'a M,
    heuristics: Heuristics,
    /// Lowest start and highest end of all blocks: most words are no pointer at all.
    lo: u64,
    hi: u64,
    /// Blocks still unreached that no clique took in yet: once none is left, [`Scan::finish`]
    /// stops looking (a heap whose blocks are all reachable is not walked for cliques).
    unreached: usize,
}

/// Blocks sorted by address in a slice, with their states in slices of the caller's:
/// found by an address index (when the caller made one) or an interpolation search.
#[derive(Debug)]
pub struct Sorted<'a> {
    blocks: &'a [Block],
    extra: &'a mut [Extra],
    /// Per block, read only for clique leaders: the bytes their clique reaches (set to 0
    /// when the block becomes a leader; other entries are never read, so the caller's memory
    /// needs no reset and is touched only for leaders).
    indirect: &'a mut [u64],
    /// The blocks the index does not hold cut at the widest gaps between them (see
    /// [`Segments`]), made at the first search that needs them.
    segments: core::cell::OnceCell<Segments>,
    /// An address index over the blocks, when the caller made one (see [`AddressIndex`]).
    index: Option<IndexView<'a>>,
}

/// Segments cut at most.
const SEGMENTS: usize = 32;

/// The sorted blocks cut into at most [`SEGMENTS`] runs at the widest address gaps between
/// neighbours: a heap is a few dense clusters far apart (the main arena, each thread's arena,
/// chunks mapped on their own near the libraries), and the interpolation search guesses well
/// only inside one cluster.
#[derive(Debug, Clone, Copy)]
struct Segments {
    /// Segment `k` holds the blocks `first[k]..first[k + 1]`; `first[len]` is the block count.
    first: [u32; SEGMENTS + 1],
    /// The start of segment `k`'s first block.
    start: [u64; SEGMENTS],
    /// The end of segment `k`'s last block.
    end: [u64; SEGMENTS],
    len: usize,
}

impl Segments {
    /// The segments of `blocks[from..]` (their indices counted in `blocks`).
    fn of(blocks: &[Block], from: usize) -> Segments {
        let mut seg = Self::of_slice(&blocks[from.min(blocks.len())..]);
        for f in &mut seg.first[..=seg.len] {
            *f += from as u32;
        }
        seg
    }

    fn of_slice(blocks: &[Block]) -> Segments {
        let n = blocks.len();
        // The widest gaps (their size and the index of the block after them), found in one
        // pass; `cuts` is unordered and replaces its narrowest entry.
        let mut cuts = [(0u64, 0u32); SEGMENTS - 1];
        let mut ncuts = 0;
        let mut narrowest = 0; // index into `cuts` of the narrowest, once it is full
        for i in 1..n {
            let prev = blocks[i - 1];
            let gap = blocks[i]
                .start
                .saturating_sub(prev.start + prev.size.max(1));
            if gap == 0 {
                continue;
            }
            if ncuts < cuts.len() {
                cuts[ncuts] = (gap, i as u32);
                ncuts += 1;
            } else if gap > cuts[narrowest].0 {
                cuts[narrowest] = (gap, i as u32);
            } else {
                continue;
            }
            if ncuts == cuts.len() {
                narrowest = (0..ncuts).min_by_key(|&k| cuts[k].0).unwrap_or(0);
            }
        }
        let cuts = &mut cuts[..ncuts];
        cuts.sort_unstable_by_key(|c| c.1);
        let mut seg = Segments {
            first: [0; SEGMENTS + 1],
            start: [0; SEGMENTS],
            end: [0; SEGMENTS],
            len: 0,
        };
        if n == 0 {
            return seg;
        }
        seg.start[0] = blocks[0].start;
        seg.len = 1;
        for &(_, i) in cuts.iter() {
            seg.first[seg.len] = i;
            seg.start[seg.len] = blocks[i as usize].start;
            seg.len += 1;
        }
        seg.first[seg.len] = n as u32;
        for k in 0..seg.len {
            let last = blocks[seg.first[k + 1] as usize - 1];
            seg.end[k] = last.start + last.size.max(1);
        }
        seg
    }
}

/// An index from addresses to blocks for blocks that lie densely (a heap): one bit per
/// `1 << shift` bytes from the lowest start, set where a block starts, and for each 64-bit
/// word of bits the number of blocks starting before it. The block an address falls in is
/// then found with two loads and a popcount, and a start's rank (its place in address
/// order) the same way, which sorts blocks in one pass. `shift` must divide every
/// difference between starts (the allocator's alignment: glibc's 16 bytes give 4), so that
/// each start has a bit of its own and every address in a bit's bytes lies at or after that
/// start. The caller owns the memory: [`AddressIndex::words`] words and counters.
#[derive(Debug)]
pub struct AddressIndex<'a> {
    base: u64,
    shift: u32,
    /// Bits in use: one past the highest start's.
    nbits: u64,
    bits: &'a mut [u64],
    before: &'a mut [u32],
    len: usize,
}

/// A sealed [`AddressIndex`], read by the scan.
#[derive(Debug, Clone, Copy)]
struct IndexView<'a> {
    base: u64,
    shift: u32,
    nbits: u64,
    bits: &'a [u64],
    before: &'a [u32],
    /// The start of the first block above the index's (u64::MAX: none).
    below: u64,
    /// The blocks it holds (the first ones in address order).
    len: usize,
}

impl<'a> AddressIndex<'a> {
    /// Words of bits (and counters) needed for starts from `lo` to `hi` (both included).
    pub fn words(lo: u64, hi: u64, shift: u32) -> usize {
        ((hi.saturating_sub(lo) >> shift) / 64 + 1) as usize
    }

    /// An empty index for starts from `lo` to `hi`; `bits` and `before` are at least
    /// [`AddressIndex::words`] long (`bits` is cleared here).
    pub fn new(lo: u64, hi: u64, shift: u32, bits: &'a mut [u64], before: &'a mut [u32]) -> Self {
        let words = Self::words(lo, hi, shift).min(bits.len()).min(before.len());
        let bits = &mut bits[..words];
        bits.fill(0);
        AddressIndex {
            base: lo,
            shift,
            nbits: (hi.saturating_sub(lo) >> shift) + 1,
            bits,
            before: &mut before[..words],
            len: 0,
        }
    }

    fn bit(&self, addr: u64) -> Option<(usize, u32)> {
        let b = addr.checked_sub(self.base)? >> self.shift;
        (b < self.nbits && (b / 64) < self.bits.len() as u64)
            .then_some(((b / 64) as usize, (b % 64) as u32))
    }

    /// Adds a block start (in `lo..=hi`, a multiple of the granule from `lo`); false when
    /// it lies outside.
    pub fn insert(&mut self, start: u64) -> bool {
        match self.bit(start) {
            Some((w, b)) => {
                self.bits[w] |= 1 << b;
                true
            }
            None => false,
        }
    }

    /// Counts the starts: call once, after every [`AddressIndex::insert`].
    pub fn seal(&mut self) {
        let mut sum = 0u32;
        for (w, c) in self.bits.iter().zip(self.before.iter_mut()) {
            *c = sum;
            sum += w.count_ones();
        }
        self.len = sum as usize;
    }

    /// The starts inserted (after [`AddressIndex::seal`]).
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when no start was inserted.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The number of inserted starts below `start`, an inserted start (after
    /// [`AddressIndex::seal`]): its index in address order.
    pub fn rank(&self, start: u64) -> Option<usize> {
        let (w, b) = self.bit(start)?;
        let below = self.bits[w] & ((1u64 << b) - 1);
        Some(self.before[w] as usize + below.count_ones() as usize)
    }

    fn view(&self) -> IndexView<'_> {
        IndexView {
            base: self.base,
            shift: self.shift,
            nbits: self.nbits,
            bits: self.bits,
            before: self.before,
            below: u64::MAX,
            len: self.len,
        }
    }
}

impl IndexView<'_> {
    /// The index of the last start at or below `ptr`.
    #[inline]
    fn last_at_or_below(&self, ptr: u64) -> Option<usize> {
        let b = (ptr.checked_sub(self.base)? >> self.shift).min(self.nbits - 1);
        let (w, b) = ((b / 64) as usize, (b % 64) as u32);
        let upto = self.bits[w] & (u64::MAX >> (63 - b));
        let at = self.before[w] as usize + upto.count_ones() as usize;
        at.checked_sub(1)
    }
}

/// Where glibc's allocator puts the header of the chunk after block `b` (its chunk is the
/// request plus 8 rounded up to 16, 32 at least, and starts 16 bytes before the block) when
/// that lies inside the block, after its start; 0 otherwise (never a block's address).
fn next_chunk_header(b: Block) -> u64 {
    let chunk = (b.size.saturating_add(8 + 15) & !15).max(32);
    let header = b.start.wrapping_add(chunk).wrapping_sub(16);
    if header > b.start && header < b.start.saturating_add(b.size) {
        header
    } else {
        0
    }
}

impl<'a> Sorted<'a> {
    /// A store of `blocks` (sorted by start, not overlapping); `extra` and `indirect` have
    /// one entry per block (`extra` is reset here, `indirect` needs no reset).
    pub fn new(blocks: &'a [Block], extra: &'a mut [Extra], indirect: &'a mut [u64]) -> Self {
        let n = blocks.len().min(extra.len()).min(indirect.len());
        extra[..n].fill(Extra::default());
        Sorted {
            blocks: &blocks[..n],
            extra,
            indirect,
            segments: core::cell::OnceCell::new(),
            index: None,
        }
    }

    /// Looks blocks up in `index` instead of searching them (two loads instead of a
    /// search) below the first block that `index` does not hold: it must hold the starts of
    /// the first [`AddressIndex::len`] blocks exactly (the others lie above them, in a
    /// mapped chunk or another arena, and are searched). Ignored when it does not.
    pub fn use_index(&mut self, index: &'a AddressIndex<'a>) {
        let m = index.len();
        let fits = m > 0
            && m <= self.blocks.len()
            && index.rank(self.blocks[0].start) == Some(0)
            && index.rank(self.blocks[m - 1].start) == Some(m - 1);
        if fits {
            let mut view = index.view();
            view.below = self.blocks.get(m).map_or(u64::MAX, |b| b.start);
            self.index = Some(view);
        }
    }

    /// The blocks.
    pub fn blocks(&self) -> &[Block] {
        self.blocks
    }

    /// The index of the last block starting at or below `ptr` (`lo <= ptr < hi`).
    ///
    /// First the segment (see [`Segments`]) whose blocks start at or below `ptr`, among a
    /// few in cache; then inside it an interpolation search: the first guess is where `ptr`
    /// would be if the segment's blocks were spread evenly over its addresses, then the
    /// steps double away from it until the block is bracketed, then a binary search between.
    /// Blocks that an allocator handed out in sequence lie almost evenly, so most lookups
    /// touch two or three blocks near the guess instead of the ~20 scattered ones of a plain
    /// binary search among a million (each a cache miss); an uneven segment costs at most
    /// about twice the binary search.
    #[inline]
    fn last_at_or_below(&self, ptr: u64) -> Option<usize> {
        if let Some(index) = &self.index {
            if ptr < index.below {
                return index.last_at_or_below(ptr);
            }
        }
        self.search(ptr)
    }

    /// [`Sorted::last_at_or_below`] among the blocks the index does not hold.
    #[inline(never)]
    fn search(&self, ptr: u64) -> Option<usize> {
        let indexed = self.index.as_ref().map_or(0, |v| v.len);
        let seg = self
            .segments
            .get_or_init(|| Segments::of(self.blocks, indexed));
        let k = seg.start[..seg.len]
            .partition_point(|&s| s <= ptr)
            .checked_sub(1)?;
        let (first, end) = (seg.first[k] as usize, seg.first[k + 1] as usize);
        let blocks = &self.blocks[first..end];
        let n = blocks.len();
        if n == 0 {
            return None;
        }
        let (from, to) = (seg.start[k], seg.end[k]);
        let span = u128::from(to.max(from + 1) - from);
        let guess = (u128::from(ptr - from) * n as u128 / span) as usize;
        let guess = guess.min(n - 1);
        // Bracket: blocks[lo].start <= ptr, and blocks[hi].start > ptr or hi == n.
        let (mut lo, mut hi);
        if blocks[guess].start <= ptr {
            lo = guess;
            let mut step = 1;
            loop {
                let next = lo + step;
                if next >= n {
                    hi = n;
                    break;
                }
                if blocks[next].start > ptr {
                    hi = next;
                    break;
                }
                lo = next;
                step *= 2;
            }
        } else {
            hi = guess;
            let mut step = 1;
            loop {
                if hi < step {
                    if blocks[0].start > ptr {
                        return None;
                    }
                    lo = 0;
                    break;
                }
                let next = hi - step;
                if blocks[next].start <= ptr {
                    lo = next;
                    break;
                }
                hi = next;
                step *= 2;
            }
        }
        // The last start <= ptr lies in [lo, hi).
        Some(first + lo + blocks[lo + 1..hi].partition_point(|b| b.start <= ptr))
    }
}

impl Blocks for Sorted<'_> {
    type Cursor = usize;

    fn len(&self) -> usize {
        self.blocks.len()
    }

    fn bounds(&self) -> (u64, u64) {
        let lo = self.blocks.first().map_or(u64::MAX, |b| b.start);
        let hi = self.blocks.last().map_or(0, |b| b.start + b.size.max(1));
        (lo, hi)
    }

    #[inline]
    fn find(&self, ptr: u64) -> Option<u32> {
        let i = self.last_at_or_below(ptr)?;
        let b = self.blocks[i];
        (ptr < b.start + b.size || (b.size == 0 && ptr == b.start)).then_some(i as u32)
    }

    #[inline]
    fn block(&self, id: u32) -> Block {
        self.blocks[id as usize]
    }

    #[inline]
    fn extra(&self, id: u32) -> Extra {
        self.extra[id as usize]
    }

    #[inline]
    fn set_extra(&mut self, id: u32, e: Extra) {
        self.extra[id as usize] = e;
    }

    fn lead(&mut self, id: u32) -> bool {
        self.extra[id as usize].state = State::Leader;
        self.indirect[id as usize] = 0;
        true
    }

    fn indirect(&self, id: u32) -> u64 {
        self.indirect[id as usize]
    }

    fn add_indirect(&mut self, id: u32, bytes: u64) {
        self.indirect[id as usize] += bytes;
    }

    fn next_in_order(&self, at: &mut usize) -> Option<u32> {
        let i = *at;
        (i < self.blocks.len()).then(|| {
            *at += 1;
            i as u32
        })
    }

    fn overlapping(&self, at: u64, end: u64) -> Option<Block> {
        let i = self
            .blocks
            .partition_point(|b| b.start + b.size.max(1) <= at);
        self.blocks.get(i).filter(|b| b.start < end).copied()
    }
}

impl<'a, M: Memory> Scan<'a, M> {
    /// A scan of `blocks` (sorted by start, not overlapping); `extra` and `indirect` have
    /// one entry per block (`extra` is reset here, `indirect` needs no reset), `stack` has
    /// room for twice as many entries as blocks.
    pub fn new(
        blocks: &'a [Block],
        extra: &'a mut [Extra],
        indirect: &'a mut [u64],
        stack: &'a mut [u32],
        mem: &'a M,
        heuristics: Heuristics,
    ) -> Self {
        Scan::over(Sorted::new(blocks, extra, indirect), stack, mem, heuristics)
    }

    /// See [`Sorted::use_index`].
    pub fn use_index(&mut self, index: &'a AddressIndex<'a>) {
        self.store.use_index(index);
    }

    /// The blocks scanned.
    pub fn blocks(&self) -> &[Block] {
        self.store.blocks()
    }

    /// The index of the block that `ptr` points into (a zero-sized block: at).
    #[inline]
    pub fn block_of(&self, ptr: u64) -> Option<usize> {
        self.find(ptr).map(|i| i as usize)
    }
}

impl<'a, M: Memory, B: Blocks> Scan<'a, M, B> {
    /// A scan of the blocks of `store` (each one's state as at the start of a scan), with a
    /// mark stack of room for twice as many entries as blocks.
    pub fn over(store: B, stack: &'a mut [u32], mem: &'a M, heuristics: Heuristics) -> Self {
        let (lo, hi) = store.bounds();
        let unreached = store.len();
        Scan {
            store,
            stack,
            top: 0,
            pending: None,
            overflowed: false,
            skip_chunk_headers: false,
            mem,
            heuristics,
            lo,
            hi,
            unreached,
        }
    }

    /// The store of the blocks.
    pub fn store(&self) -> &B {
        &self.store
    }

    /// The store of the blocks, with the states the scan left in it.
    pub fn into_store(self) -> B {
        self.store
    }

    /// The block that `ptr` points into.
    #[inline(always)]
    fn find(&self, ptr: u64) -> Option<u32> {
        if ptr < self.lo || ptr >= self.hi {
            return None;
        }
        self.store.find(ptr)
    }

    /// Leaves out pointers to where glibc's allocator puts the header of the chunk after a
    /// block, when that falls inside the block: a chunk is the request plus 8 rounded up to
    /// 16 (32 at least) and starts 16 bytes before its block, so the next header lies inside
    /// a block of 16k + 1 to 16k + 8 bytes (k >= 1), at its size rounded down to 16. glibc's
    /// arenas' bins and top pointer (`main_arena` is in libc's data, a root) and stale
    /// copies of them point there. (memcheck's own allocator keeps no such pointers in the
    /// program's memory; a program pointer to exactly there is rare.)
    pub fn skip_chunk_headers(&mut self, on: bool) {
        self.skip_chunk_headers = on;
    }

    /// The block `ptr` points into and its state, unless it is a chunk header left out;
    /// `ptr` lies within the blocks' bounds (`lo..hi`: the callers look first, most words
    /// being no pointer at all).
    #[inline(always)]
    fn target(&self, ptr: u64) -> Option<(u32, Block, Extra)> {
        debug_assert!(ptr >= self.lo && ptr < self.hi);
        let (i, b, ex) = self.store.lookup(ptr)?;
        let header = self.skip_chunk_headers && ptr != b.start && ptr == next_chunk_header(b);
        (!header).then_some((i, b, ex))
    }

    /// Root words copied out of memory (a region that holds no block).
    pub fn root_words(&mut self, words: &[u64]) {
        for &w in words {
            if w >= self.lo && w < self.hi {
                self.reach(w, true);
            }
        }
        self.drain();
    }

    /// A root word (a register).
    pub fn root_word(&mut self, word: u64) {
        if word >= self.lo && word < self.hi {
            self.reach(word, true);
        }
        self.drain();
    }

    /// The aligned words of `[start, end)` as roots, leaving out the bytes of the blocks
    /// themselves (heap memory is no root: the blocks are scanned when they are reached).
    pub fn root_range(&mut self, start: u64, end: u64) {
        let mem = self.mem;
        self.for_gaps(start, end, |scan, s, e| scan.root_words(mem.words(s, e)));
    }

    /// Calls `f` with each 8-aligned piece of `[start, end)` that holds no block.
    pub fn for_gaps(&mut self, start: u64, end: u64, mut f: impl FnMut(&mut Self, u64, u64)) {
        let mut at = (start + 7) & !7;
        let end = end & !7;
        while at < end {
            let next = self.store.overlapping(at, end);
            let gap_end = next.map_or(end, |b| b.start.max(at)) & !7;
            if gap_end > at {
                f(self, at, gap_end);
            }
            match next {
                Some(b) => at = at.max((b.start + b.size.max(1) + 7) & !7),
                None => break,
            }
        }
    }

    /// The words of block `b` (those of its bytes that are whole aligned words).
    #[inline(always)]
    fn words_of(&self, b: Block) -> &'a [u64] {
        let end = (b.start + b.size) & !7;
        let start = (b.start + 7) & !7;
        if end > start {
            self.mem.words(start, end)
        } else {
            &[]
        }
    }

    /// memcheck's `lc_push_without_clique_if_a_chunk_ptr`.
    #[inline(always)]
    fn reach(&mut self, ptr: u64, definite: bool) {
        let Some((i, b, mut ex)) = self.target(ptr) else {
            return;
        };
        if ex.state == State::Reachable {
            if ex.heuristic != 0 && ptr == b.start {
                ex.heuristic = 0;
                self.store.set_extra(i, ex);
            }
            return;
        }
        let mut via_start = ptr == b.start;
        if !via_start && self.heuristics.0 != 0 {
            let h = self.heuristic(ptr, b);
            ex.heuristic = h;
            via_start = h != 0;
        }
        if ex.state == State::Unreached {
            self.unreached -= 1;
        }
        if via_start && definite {
            ex.state = State::Reachable;
            self.store.set_extra(i, ex);
            self.push(i, b, State::Reachable);
        } else if ex.state == State::Unreached {
            ex.state = State::Possible;
            self.store.set_extra(i, ex);
            self.push(i, b, State::Possible);
        } else {
            self.store.set_extra(i, ex);
        }
    }

    /// memcheck's `heuristic_reachedness`: the rule by which the interior pointer `ptr` into
    /// `b` counts as a start pointer, 0 when none.
    fn heuristic(&self, ptr: u64, b: Block) -> u8 {
        let h = self.heuristics;
        let word = |at: u64| -> Option<u64> {
            (at + 8 <= b.start + b.size)
                .then(|| self.mem.words(at, at + 8).first().copied())
                .flatten()
        };
        if h.has(Heuristics::STDSTRING) && ptr == b.start + 24 {
            if let (Some(len), Some(cap)) = (word(b.start), word(b.start + 8)) {
                if cap.checked_add(25) == Some(b.size) && len <= cap {
                    return Heuristics::STDSTRING;
                }
            }
        }
        if h.has(Heuristics::LENGTH64) && ptr == b.start + 8 {
            if let Some(n) = word(b.start) {
                if n > 0 && b.size - 8 == n {
                    return Heuristics::LENGTH64;
                }
            }
        }
        if h.has(Heuristics::NEWARRAY) && ptr == b.start + 8 {
            if let Some(n) = word(b.start) {
                if n > 0 && (b.size - 8).is_multiple_of(n) {
                    return Heuristics::NEWARRAY;
                }
            }
        }
        if h.has(Heuristics::MULTIPLE_INHERITANCE) && ptr.is_multiple_of(8) {
            if let (Some(inner), Some(first)) = (word(ptr), word(b.start)) {
                if self.is_vtable(inner) && self.is_vtable(first) {
                    return Heuristics::MULTIPLE_INHERITANCE;
                }
            }
        }
        0
    }

    fn is_vtable(&self, addr: u64) -> bool {
        addr.is_multiple_of(8) && addr >= 4096 && self.mem.is_vtable(addr)
    }

    /// memcheck's `lc_push_with_clique_if_a_chunk_ptr`.
    #[inline(always)]
    fn join_clique(&mut self, ptr: u64, leader: u32) {
        let Some((i, b, ex)) = self.target(ptr) else {
            return;
        };
        if i == leader {
            return;
        }
        // Leaders come in address order: a former leader's clique comes along with its
        // bytes; an unreached block has led none yet. A former leader's blocks are scanned no
        // more (memcheck scans them again): everything it reaches left the unreached when it
        // led, and states only leave it, so that finds nothing.
        match ex.state {
            State::Leader => {}
            State::Unreached => {
                self.unreached -= 1;
                self.push(i, b, State::Indirect);
            }
            _ => return,
        }
        self.store.join(i, ex, leader, b.size);
    }

    /// Pushes block `i` (`b`), whose state is now `state`, on the mark stack; a small block
    /// none of whose words can be a pointer is not pushed: scanning it would change nothing
    /// (memory does not change during the scan), and a heap of pointer-free blocks (a
    /// million reached from one array) then costs a look at each block's words instead of a
    /// push, a pop and the block looked up again.
    #[inline]
    fn push(&mut self, i: u32, b: Block, state: State) {
        if b.size <= PRESCAN_MAX
            && !self
                .words_of(b)
                .iter()
                .any(|&w| w >= self.lo && w < self.hi)
        {
            return;
        }
        let Some((below, _, _)) = self.pending.replace((i, b, state)) else {
            return;
        };
        match self.stack.get_mut(self.top) {
            Some(slot) => {
                *slot = below;
                self.top += 1;
            }
            None => self.overflowed = true,
        }
    }

    /// Pops the mark stack's top block, with its state. (The top entry's state is the one
    /// it was pushed with: a block's state changes only where it is pushed again.)
    #[inline]
    fn pop(&mut self) -> Option<(u32, Block, State)> {
        if let Some(p) = self.pending.take() {
            return Some(p);
        }
        if self.top == 0 {
            return None;
        }
        self.top -= 1;
        let i = self.stack[self.top];
        Some((i, self.store.block(i), self.store.extra(i).state))
    }

    /// memcheck's `lc_process_markstack` without a clique: the blocks reached from roots.
    fn drain(&mut self) {
        while let Some((_, b, state)) = self.pop() {
            let definite = state == State::Reachable;
            for &w in self.words_of(b) {
                if w >= self.lo && w < self.hi {
                    self.reach(w, definite);
                }
            }
        }
    }

    /// memcheck's `lc_process_markstack` in the clique of `leader`: what the blocks on the
    /// mark stack reach joins it. (A loop of its own, inlined into [`Scan::finish`]: a heap of
    /// lost blocks runs it once per block.)
    #[inline(always)]
    fn drain_clique(&mut self, leader: u32) {
        while let Some((_, b, _)) = self.pop() {
            for &w in self.words_of(b) {
                if w >= self.lo && w < self.hi {
                    self.join_clique(w, leader);
                }
            }
        }
    }

    /// Ends the scan: cliques of the lost blocks. Call it once, after every root.
    pub fn finish(&mut self) {
        let mut at = B::Cursor::default();
        while self.unreached > 0 {
            let Some(i) = self.store.next_unreached(&mut at) else {
                break;
            };
            self.unreached -= 1;
            if !self.store.lead(i) {
                self.overflowed = true;
                continue;
            }
            // The leader's words first (as popped from the mark stack, without the push).
            for &w in self.words_of(self.store.block(i)) {
                if w >= self.lo && w < self.hi {
                    self.join_clique(w, i);
                }
            }
            self.drain_clique(i);
        }
    }

    /// What block `i` is (after [`Scan::finish`]).
    pub fn kind(&self, i: usize) -> Kind {
        kind_of(self.store.extra(i as u32).state)
    }

    /// The scan's state of block `i`.
    pub fn extra(&self, i: usize) -> Extra {
        self.store.extra(i as u32)
    }

    /// For a definitely lost block (a clique leader), after [`Scan::finish`]: the bytes of
    /// the blocks its clique reaches (indirectly lost); 0 for the others.
    pub fn indirect(&self, i: usize) -> u64 {
        if self.store.extra(i as u32).state == State::Leader {
            self.store.indirect(i as u32)
        } else {
            0
        }
    }

    /// True when the mark stack was too small, or the store had no room for a leader's
    /// bytes (some blocks were not scanned through: the result then counts too much as lost).
    pub fn overflowed(&self) -> bool {
        self.overflowed
    }
}

/// The kind of a block in `state` after [`Scan::finish`].
pub fn kind_of(state: State) -> Kind {
    match state {
        State::Reachable => Kind::Reachable,
        State::Possible => Kind::Possible,
        State::Indirect => Kind::Indirect,
        State::Unreached | State::Leader => Kind::Definite,
    }
}

/// Bytes and blocks of one kind (a line of the LEAK SUMMARY).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Count {
    /// Bytes.
    pub bytes: u64,
    /// Blocks.
    pub blocks: u64,
}

impl Count {
    /// Adds one block of `bytes`.
    pub fn add(&mut self, bytes: u64) {
        self.bytes += bytes;
        self.blocks += 1;
    }
}

/// The LEAK SUMMARY's figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Summary {
    /// Indexed by [`Kind`] as `u8`.
    pub kinds: [Count; 4],
}

impl Summary {
    /// The figures of a finished scan.
    pub fn of<M: Memory, B: Blocks>(scan: &Scan<'_, M, B>) -> Summary {
        let mut s = Summary::default();
        let mut at = B::Cursor::default();
        while let Some(i) = scan.store.next_in_order(&mut at) {
            let kind = kind_of(scan.store.extra(i).state);
            s.kinds[kind as usize].add(scan.store.block(i).size);
        }
        s
    }

    /// The figures of one kind.
    pub fn get(&self, k: Kind) -> Count {
        self.kinds[k as usize]
    }
}

#[cfg(test)]
mod tests;
