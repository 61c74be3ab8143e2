//! The roots of the scan, as memcheck takes them, read from `/proc/self/maps` once the other
//! threads are stopped:
//!
//! - every thread's registers, and its stack from its stack pointer up (the part below is
//!   dead: memcheck makes it inaccessible); the thread's static TLS and `struct pthread` lie
//!   at the top of a glibc thread stack, so they come with it. The checking thread's stack
//!   is read from above the tracker's frames; at exit, from above glibc's `exit` frames too,
//!   with the registers they saved (`caller_of_exit`);
//! - every other readable and writable mapping (valgrind's rule: anonymous and private file
//!   mappings; the modules' `.data`, `.bss` and relro, the main thread's TLS block, `mmap`ed
//!   memory of the program), except heap memory: glibc's `[heap]` and its other arenas'
//!   heaps (free chunks hold stale pointers that memcheck, whose allocator is its own, never
//!   sees) and the live blocks themselves (scanned when they are reached);
//! - left out as well: the tracker's own memory (its library's segments, its helper thread's
//!   stack, the table and the scan's memory), `MAP_SHARED` file mappings (reading one past
//!   its file's end would raise `SIGBUS`; valgrind scans them), and `[vvar]`/`[vsyscall]`.
//!
//! Only mapped, readable memory is read: the maps are read after the threads stopped, guard
//! pages are not readable, and roots are copied with `process_vm_readv`, which fails instead
//! of faulting (the live blocks and glibc's heap headers are read in place).

use core::arch::asm;

use tracekit_leak_scan::{kind_of, AddressIndex, Block, Extra, Heuristics, Memory, Scan, Sorted};
use tracekit_log::LeakLoss;

use super::in_place::InPlace;
use super::live::{Live, LiveTable};
use super::world::{self, MAX_THREADS, NREGS};
use crate::{sys, unwind};
use tracekit_preload_core::maps::{self, MAPS_CAP};

/// `REG_RSP` in glibc's `gregset_t`.
const REG_RSP: usize = 15;
/// glibc's `HEAP_MAX_SIZE` on 64-bit: its arena heaps are aligned to it.
const ARENA_HEAP: u64 = 64 << 20;
/// Ranges left out of the roots, at most.
const MAX_EXCLUDED: usize = 2 * MAX_THREADS + 64;
/// Bytes copied at a time from a file mapping.
const COPY: usize = 64 * 1024;

/// Memory mapped for one check, handed out in pieces, unmapped on drop.
struct Arena {
    base: *mut u8,
    len: usize,
    used: core::cell::Cell<usize>,
}

/// Types for which all-zero bytes are a valid value (fresh anonymous memory).
///
/// # Safety
/// All-zero must be a valid value of the type.
unsafe trait Zeroable: Copy {}
// SAFETY: plain integers.
unsafe impl Zeroable for u8 {}
// SAFETY: plain integers.
unsafe impl Zeroable for u32 {}
// SAFETY: plain integers.
unsafe impl Zeroable for u64 {}
// SAFETY: integers only.
unsafe impl Zeroable for Live {}
// SAFETY: integers only.
unsafe impl Zeroable for Block {}
// SAFETY: an `Extra` of zeros is the default one (unreached, no heuristic, no indirect bytes).
unsafe impl Zeroable for Extra {}
// SAFETY: integers only.
unsafe impl Zeroable for (u64, u64) {}
// SAFETY: integers only.
unsafe impl Zeroable for ThreadRoot {}
// SAFETY: integers only (a loss record of no block: an empty slot).
unsafe impl Zeroable for LeakLoss {}

/// A stopped thread's registers.
#[derive(Debug, Clone, Copy)]
struct ThreadRoot {
    regs: [u64; NREGS],
}

impl Arena {
    fn new(len: usize) -> Option<Arena> {
        let len = len.next_multiple_of(sys::PAGE);
        let base = sys::map_anon(len).ok()?;
        Some(Arena {
            base,
            len,
            used: core::cell::Cell::new(0),
        })
    }

    /// `n` zeroed values, each piece handed out once (hence `&mut` from `&self`).
    #[allow(clippy::mut_from_ref)]
    fn take<T: Zeroable>(&self, n: usize) -> &mut [T] {
        let at = self.used.get().next_multiple_of(align_of::<T>());
        let bytes = n * size_of::<T>();
        assert!(at + bytes <= self.len, "leak check arena sized wrong");
        self.used.set(at + bytes);
        // SAFETY: [base + at, base + at + bytes) lies inside the mapping, aligned for T,
        // zero-filled (a valid T per `Zeroable`), and no other piece overlaps it; it lives
        // as long as the arena's borrow.
        unsafe { core::slice::from_raw_parts_mut(self.base.wrapping_add(at).cast::<T>(), n) }
    }

    /// As [`Arena::take`], for a piece that may grow deep into its pages (the mark stack):
    /// when it spans a huge page, it starts on one and asks for huge pages (one fault per
    /// 2 MiB touched instead of 512). The arena needs [`HUGE`] bytes more for the alignment.
    #[allow(clippy::mut_from_ref)]
    fn take_huge<T: Zeroable>(&self, n: usize) -> &mut [T] {
        let bytes = n * size_of::<T>();
        if bytes < HUGE {
            return self.take(n);
        }
        let base = self.base as usize;
        self.used
            .set((base + self.used.get()).next_multiple_of(HUGE) - base);
        let piece: &mut [T] = self.take(n);
        sys::advise_huge(piece.as_mut_ptr().cast(), bytes / HUGE * HUGE);
        piece
    }

    fn range(&self) -> (u64, u64) {
        (self.base as u64, self.base as u64 + self.len as u64)
    }
}

/// A transparent huge page's bytes.
const HUGE: usize = 2 << 20;

impl Drop for Arena {
    fn drop(&mut self) {
        // SAFETY: the mapping is ours; the pieces handed out are dead by now (see `take`).
        unsafe { sys::unmap(self.base, self.len) };
    }
}

/// The process's own memory, read in place (the scan reads only what the maps say is
/// readable, with every other thread stopped), and the read-only data of modules (where
/// vtables are).
struct Own<'a> {
    rodata: &'a [(u64, u64)],
}

impl Memory for Own<'_> {
    fn words(&self, start: u64, end: u64) -> &[u64] {
        if end <= start {
            return &[];
        }
        // SAFETY: the caller reads only live blocks and anonymous readable mappings, with
        // the other threads stopped (see the module docs); `start` is 8-aligned.
        unsafe { core::slice::from_raw_parts(start as *const u64, ((end - start) / 8) as usize) }
    }

    fn is_vtable(&self, addr: u64) -> bool {
        let i = self.rodata.partition_point(|r| r.0 <= addr);
        i > 0 && addr < self.rodata[i - 1].1
    }
}

/// The callee-saved registers of the calling thread, its stack pointer and an address in the
/// caller (the caller's frame is the lowest the scan reads).
#[inline(always)]
fn own_registers() -> ([u64; 6], u64, u64) {
    let (rbx, rbp, r12, r13, r14, r15, rsp, rip): (u64, u64, u64, u64, u64, u64, u64, u64);
    // SAFETY: only copies registers (and the address of this instruction) into outputs; no
    // memory or flags touched.
    unsafe {
        asm!(
            "mov {0}, rbx", "mov {1}, rbp", "mov {2}, r12", "mov {3}, r13",
            "mov {4}, r14", "mov {5}, r15", "mov {6}, rsp", "lea {7}, [rip]",
            out(reg) rbx, out(reg) rbp, out(reg) r12, out(reg) r13,
            out(reg) r14, out(reg) r15, out(reg) rsp, out(reg) rip,
            options(nomem, nostack, preserves_flags),
        )
    };
    ([rbx, rbp, r12, r13, r14, r15], rsp, rip)
}

/// Where the check's thread stood when it called glibc's `exit`, for a check made in the
/// tracker's exit handler (which `exit` runs through `__run_exit_handlers`): the caller's
/// callee-saved registers and its stack pointer after the call, found by unwinding from here
/// (`regs`, `sp`, `ip`: [`own_registers`]) through the tracker's frames and then libc's only,
/// up to and out of `exit`'s frame. `None` when the frames are not those (or cannot be
/// unwound).
///
/// The frames of `exit` and `__run_exit_handlers` lie where the program's deeper frames were
/// (the hooks' among them), and slots they never wrote still hold what those left:
/// memcheck reads no such word (it is undefined to it since the frame was made), so neither
/// does the check: of those frames it takes only the program's registers they saved, which the
/// unwinding restores.
fn caller_of_exit(regs: [u64; 6], sp: u64, ip: u64) -> Option<unwind::FullRegs> {
    let exit = libc::exit as unsafe extern "C" fn(core::ffi::c_int) -> ! as usize as u64;
    let (lo, hi) = unwind::function_range(exit)?;
    let libc_range = unwind::object_range(exit)?;
    let own = crate::session::skip_range();
    let mut r = unwind::FullRegs {
        ip,
        ..Default::default()
    };
    r.r[7] = sp;
    for (&at, v) in [3usize, 6, 12, 13, 14, 15].iter().zip(regs) {
        r.r[at] = v;
    }
    unwind::step_full(&mut r, true)?;
    let within = |a: u64, range: (u64, u64)| a >= range.0 && a < range.1;
    for _ in 0..64 {
        let at = r.ip.checked_sub(1)?;
        if !within(at, own) && !within(at, libc_range) {
            return None;
        }
        unwind::step_full(&mut r, false)?;
        if within(at, (lo, hi)) {
            return Some(r);
        }
    }
    None
}

/// Runs the scan over the live blocks of `table` (the calling thread's stack read from
/// `frame` up: the frames below it are the tracker's own, whose unset slots still hold
/// what its hooks left there) and hands each loss record (blocks of one
/// kind from one stack) to `out`, in no particular order. False when memory for it could not
/// be mapped. `last`: the process ends after this check (its memory is left to the exit,
/// which frees it faster than an unmap). `in_exit`: the check runs in the tracker's exit
/// handler, called by glibc's `exit`: the stack is then read from `exit`'s caller's frame up
/// (`caller_of_exit`), `frame` being the fallback.
pub fn check(
    table: &mut LiveTable,
    frame: u64,
    in_exit: bool,
    heuristics: Heuristics,
    last: bool,
    mut out: impl FnMut(LeakLoss),
) -> bool {
    let (own_regs, own_sp, own_ip) = own_registers();
    let (own_regs, stack_from) = match in_exit
        .then(|| caller_of_exit(own_regs, own_sp, own_ip))
        .flatten()
    {
        Some(r) => (r.callee_saved(), r.sp()),
        None => (own_regs, frame.max(own_sp)),
    };
    let n = table.len();
    let direct = table.direct_len().min(n);
    // The hash table's blocks (larger ones, mapped chunks, other arenas' heaps).
    let h = n - direct;
    // Memory is mapped for the largest need and touched only as used: the second sort
    // buffer only with more than two passes, the mark stack as deep as it gets, the leaders'
    // bytes as they come, the loss records' table where their keys hash. The direct map's
    // blocks are scanned where they are (`InPlace`): nothing per block of theirs here.
    let groups_cap = (2 * n).next_power_of_two().max(16);
    let words = h + 4096;
    let size = h * (2 * 24 + 16 + 2 + 8 + 4)
        + words * 12
        + direct * 8
        + (2 * n + 16) * 4
        + groups_cap * size_of::<LeakLoss>()
        + n * 4
        + RADIX_DIGITS * RADIX * 4
        + MAPS_CAP
        + COPY
        + 2 * MAX_EXCLUDED * 16
        + MAX_THREADS * size_of::<ThreadRoot>()
        + HUGE
        + 64 * 8;
    let Some(arena) = Arena::new(size) else {
        return false;
    };
    let entries: &mut [Live] = arena.take(h);
    let spare: &mut [Live] = arena.take(h);
    let counts: &mut [u32] = arena.take(RADIX_DIGITS * RADIX);
    let blocks: &mut [Block] = arena.take(h);
    let stacks: &mut [u32] = arena.take(h);
    let extra: &mut [Extra] = arena.take(h);
    let indirect: &mut [u64] = arena.take(h);
    let leaders: &mut [u64] = arena.take(direct);
    let bits: &mut [u64] = arena.take(words);
    let before: &mut [u32] = arena.take(words);
    // A heap held in arrays (a million pointers in one block) stacks a million blocks: 4 MiB
    // of mark stack, 1,000 page faults in small pages.
    let mark: &mut [u32] = arena.take_huge(2 * n + 16);
    let groups: &mut [LeakLoss] = arena.take(groups_cap);
    let used: &mut [u32] = arena.take(n);
    let maps_buf: &mut [u8] = arena.take(MAPS_CAP);
    let copy: &mut [u64] = arena.take(COPY / 8);
    let excluded: &mut [(u64, u64)] = arena.take(MAX_EXCLUDED);
    let rodata: &mut [(u64, u64)] = arena.take(MAX_EXCLUDED);
    let threads: &mut [ThreadRoot] = arena.take(MAX_THREADS);

    // The hashed blocks in address order (the direct map's are scanned where they lie),
    // leaving out any at a direct block's address (a free the hooks missed could leave one
    // in each part: the direct one is kept).
    let mut others = 0;
    table.for_each_unordered(|e| {
        if others < h {
            entries[others] = e;
            others += 1;
        }
    });
    let mut kept = 0;
    for i in 0..others {
        if !table.direct_holds(entries[i].ptr) {
            entries[kept] = entries[i];
            kept += 1;
        }
    }
    sort_by_address(&mut entries[..kept], &mut spare[..kept], counts, |i, e| {
        put(blocks, stacks, i, e)
    });
    let (blocks, stacks) = (&blocks[..kept], &stacks[..kept]);
    // An address index over those below the program break (larger blocks of the main heap),
    // when they lie densely enough: found in two loads instead of a search.
    let brk = super::live::program_break();
    let mut m = blocks.partition_point(|b| b.start < brk);
    let (lo, hi) = match m {
        0 => (0, 0),
        _ => (blocks[0].start, blocks[m - 1].start),
    };
    if AddressIndex::words(lo, hi, INDEX_SHIFT) > words {
        m = 0;
    }
    let mut index = match m {
        0 => AddressIndex::new(0, 0, INDEX_SHIFT, bits, before),
        _ => AddressIndex::new(lo, hi, INDEX_SHIFT, bits, before),
    };
    if m > 0 {
        let mut differ = 0;
        for b in &blocks[..m] {
            differ |= b.start ^ lo;
            index.insert(b.start);
        }
        // Not 16 bytes apart: no index (its bits are wrong, and unused).
        if differ.trailing_zeros() < INDEX_SHIFT {
            m = 0;
        }
    }
    index.seal();
    let table_ranges = table.ranges();

    // Stop the world, then read the maps it has.
    let helper = crate::compress::helper_tid();
    let skip = [helper];
    let mut nthreads = 0;
    world::stop_others(&skip, |t| {
        if let (Some(slot), Some(regs)) = (threads.get_mut(nthreads), t.regs) {
            *slot = ThreadRoot { regs };
            nthreads += 1;
        }
    });
    let threads = &threads[..nthreads];
    let len = maps::read_self(maps_buf);
    let text = &maps_buf[..len];

    // What is no root.
    let mut nx = 0;
    let mut exclude = |r: (u64, u64)| {
        if r.0 < r.1 && nx < excluded.len() {
            excluded[nx] = r;
            nx += 1;
        }
    };
    for r in table_ranges {
        exclude(r);
    }
    exclude(arena.range());
    exclude(crate::session::skip_range());
    sys::own::for_each(|s, e| exclude((s, e)));
    let stack_below = |sp: u64| maps::find(text, sp).map(|m| (m.start, sp));
    if let Some(r) = stack_below(stack_from) {
        exclude(r);
    }
    for t in threads {
        if let Some(r) = stack_below(t.regs[REG_RSP]) {
            exclude(r);
        }
    }
    if helper != 0 {
        if let Some(m) = helper_stack(helper).and_then(|sp| maps::find(text, sp)) {
            exclude((m.start, m.end));
        }
    }
    // The table's and the check's own mappings hold no arena heap nor mapped chunk: not
    // probed (the direct map reserves 4 GiB: 130 reads of a word, each a system call).
    let ours = [table_ranges[0], table_ranges[1], arena.range()];
    let is_ours = |s: u64, e: u64| ours.iter().any(|&(a, b)| a <= s && e <= b);
    let mut nro = 0;
    for m in maps::parse(text) {
        if m.path == b"[heap]" {
            exclude((m.start, m.end));
        } else if m.is_rw() && !m.is_file() && !is_ours(m.start, m.end) {
            for r in arena_heaps(m.start, m.end) {
                exclude(r);
            }
            for r in mmapped_chunks(m.start, m.end) {
                exclude(r);
            }
        } else if m.is_file()
            && m.perms[0] == b'r'
            && !m.is_rw()
            && !m.is_exec()
            && nro < rodata.len()
        {
            rodata[nro] = (m.start, m.end);
            nro += 1;
        }
    }
    let excluded = &mut excluded[..nx];
    excluded.sort_unstable_by_key(|r| r.0);
    let rodata = &rodata[..nro];

    let mem = Own { rodata };
    let mut hashed = Sorted::new(blocks, extra, indirect);
    if m > 0 {
        hashed.use_index(&index);
    }
    let store = table.in_place(hashed, leaders);
    let mut scan = Scan::over(store, mark, &mem, heuristics);
    scan.skip_chunk_headers(true);
    for m in maps::parse(text) {
        if !m.is_rw() || (m.is_file() && m.perms[3] == b's') || m.path.starts_with(b"[v") {
            continue;
        }
        let mut at = m.start;
        for &(s, e) in excluded.iter() {
            if e <= at || s >= m.end {
                continue;
            }
            if s > at {
                scan_piece(&mut scan, at, s, copy);
            }
            at = at.max(e);
        }
        if at < m.end {
            scan_piece(&mut scan, at, m.end, copy);
        }
    }
    for &r in &own_regs {
        scan.root_word(r);
    }
    for t in threads {
        for &r in &t.regs {
            scan.root_word(r);
        }
    }
    // Block memory is read until the scan ends: the threads go on only then.
    scan.finish();
    world::resume();
    let mut store = scan.into_store();

    // Loss records: the blocks grouped by kind, heuristic and stack, in an open-addressing
    // table (`blocks == 0`: an empty slot), whose slots in use are listed in `used` (most of
    // its memory is never touched).
    let mask = groups.len() - 1;
    let mut nused = 0;
    // The group of the block before: blocks allocated in a row (by one loop) usually share it.
    let mut previous: Option<(u64, usize)> = None;
    store.for_each(|id, b| {
        let kind = kind_of(b.extra.state) as u8;
        let heuristic = if kind == 0 { b.extra.heuristic } else { 0 };
        let indirect = b.indirect;
        let stack = u64::from(id.map_or(b.stack, |j| stacks[j as usize]));
        let key = stack ^ u64::from(kind) << 56 ^ u64::from(heuristic) << 48;
        if let Some((k, at)) = previous {
            let g = &mut groups[at];
            if k == key && (g.kind, g.heuristic, g.stack) == (kind, heuristic, stack) {
                g.bytes += b.bytes;
                g.blocks += b.blocks;
                g.indirect_bytes += indirect;
                return;
            }
        }
        let mut at = (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) as usize & mask;
        loop {
            let g = &mut groups[at];
            if g.blocks == 0 {
                *g = LeakLoss {
                    kind,
                    heuristic,
                    stack,
                    bytes: b.bytes,
                    blocks: b.blocks,
                    indirect_bytes: indirect,
                };
                used[nused] = at as u32;
                nused += 1;
                break;
            }
            if (g.kind, g.heuristic, g.stack) == (kind, heuristic, stack) {
                g.bytes += b.bytes;
                g.blocks += b.blocks;
                g.indirect_bytes += indirect;
                break;
            }
            at = (at + 1) & mask;
        }
        previous = Some((key, at));
    });
    if !last {
        store.clear();
    }
    for &at in &used[..nused] {
        out(groups[at as usize]);
    }
    if last {
        core::mem::forget(arena);
    }
    true
}

/// Bytes per bit of the address index (glibc's alignment).
const INDEX_SHIFT: u32 = 4;

/// Buckets of one radix sort pass (11 bits of the address at a time).
const RADIX_BITS: u32 = 11;
const RADIX: usize = 1 << RADIX_BITS;
/// Passes at most: 64 bits of address.
const RADIX_DIGITS: usize = 64usize.div_ceil(RADIX_BITS as usize);

/// Hands `put` the blocks of `entries` in address order (`put(i, e)`: `e` is the `i`-th
/// lowest), with a least-significant-digit radix sort over only the bits in which the
/// addresses differ (a heap of 48 MiB: 22 bits, two passes), each pass a sequential read and
/// a write to 2,048 streams. `spare` is as long as `entries`; `counts` holds
/// [`RADIX_DIGITS`] x [`RADIX`] counters. The addresses are distinct (a table's keys).
fn sort_by_address(
    entries: &mut [Live],
    spare: &mut [Live],
    counts: &mut [u32],
    mut put: impl FnMut(usize, Live),
) {
    let Some(first) = entries.first().map(|e| e.ptr) else {
        return;
    };
    let differ = entries.iter().fold(0, |acc, e| acc | (e.ptr ^ first));
    let shift = differ.trailing_zeros().min(63);
    let bits = if differ == 0 {
        0
    } else {
        64 - differ.leading_zeros() - shift
    };
    let passes = bits.div_ceil(RADIX_BITS) as usize;
    let digit =
        |ptr: u64, d: usize| ((ptr >> shift >> (d as u32 * RADIX_BITS)) as usize) & (RADIX - 1);
    let counts = &mut counts[..passes * RADIX];
    counts.fill(0);
    for e in entries.iter() {
        for d in 0..passes {
            counts[d * RADIX + digit(e.ptr, d)] += 1;
        }
    }
    // Counts to the first index of each bucket.
    for d in 0..passes {
        let mut sum = 0;
        for c in &mut counts[d * RADIX..(d + 1) * RADIX] {
            let here = *c;
            *c = sum;
            sum += here;
        }
    }
    let (mut from, mut to) = (entries, spare);
    for d in 0..passes {
        let starts = &mut counts[d * RADIX..(d + 1) * RADIX];
        let last = d + 1 == passes;
        for &e in from.iter() {
            let b = digit(e.ptr, d);
            let at = starts[b] as usize;
            starts[b] += 1;
            if last {
                put(at, e);
            } else {
                to[at] = e;
            }
        }
        core::mem::swap(&mut from, &mut to);
    }
    if passes == 0 {
        for (i, &e) in from.iter().enumerate() {
            put(i, e);
        }
    }
}

/// Scans `[start, end)` as roots, leaving out the blocks inside it: copied with
/// `process_vm_readv`, which fails where a page cannot be read (a file mapping past its
/// file's end, memory unmapped meanwhile, or, under valgrind, the tool's own) instead of
/// faulting.
fn scan_piece(scan: &mut Scan<'_, Own<'_>, InPlace<'_>>, start: u64, end: u64, copy: &mut [u64]) {
    scan.for_gaps(start, end, |scan, s, e| {
        let mut at = s;
        while at < e {
            let n = ((e - at) as usize).min(copy.len() * 8);
            let words = &mut copy[..n / 8];
            // SAFETY: u64s viewed as bytes, for the copy only.
            let bytes =
                unsafe { core::slice::from_raw_parts_mut(words.as_mut_ptr().cast::<u8>(), n) };
            if sys::read_memory(at, bytes) {
                scan.root_words(words);
            }
            at += n as u64;
        }
    });
}

/// Block `i` in address order is `e`.
fn put(blocks: &mut [Block], stacks: &mut [u32], i: usize, e: Live) {
    blocks[i] = Block {
        start: e.ptr,
        size: e.size,
    };
    // Stack ids stay below `stacks::MAX_SLOTS`.
    stacks[i] = e.stack as u32;
}

/// The word at `addr`, 0 when it cannot be read.
fn word(addr: u64) -> u64 {
    sys::read_u64(addr).unwrap_or(0)
}

/// glibc's non-main arena heaps inside the anonymous mapping `[start, end)`: each starts at a multiple of
/// 64 MiB with a `heap_info` (arena pointer, previous heap, size) whose arena lies at the
/// same offset of some heap (right after the first heap's `heap_info`).
fn arena_heaps(start: u64, end: u64) -> impl Iterator<Item = (u64, u64)> {
    let first = start.next_multiple_of(ARENA_HEAP);
    (0..)
        .map(move |i| first + i * ARENA_HEAP)
        .take_while(move |&a| a + 32 <= end)
        .filter_map(move |a| {
            let (ar_ptr, size) = (word(a), word(a + 16));
            let looks = ar_ptr % ARENA_HEAP == 32
                && size > 0
                && size <= ARENA_HEAP
                && size.is_multiple_of(4096);
            looks.then_some((a, (a + size).min(end)))
        })
}

/// Chunks that glibc's allocator mapped on their own (a header of 0 and the size with
/// `IS_MMAPPED`) at the start of the anonymous mapping `[start, end)` and right after each
/// other (the kernel merges neighbouring mappings): heap memory, either a live block
/// (scanned when reached) or one the program never got (the tracker's own, or glibc's made
/// while a hook passed straight through).
fn mmapped_chunks(start: u64, end: u64) -> impl Iterator<Item = (u64, u64)> {
    let mut at = start;
    core::iter::from_fn(move || {
        if at + 16 > end {
            return None;
        }
        let page = at;
        let (prev, size) = (word(page), word(page + 8));
        let len = size & !7;
        let chunk =
            prev == 0 && size & 2 != 0 && len > 0 && len.is_multiple_of(4096) && page + len <= end;
        chunk.then(|| {
            at = page + len;
            (page, page + len)
        })
    })
}

/// The stack pointer of thread `tid` while it waits in a system call
/// (`/proc/self/task/TID/syscall`: number, six arguments, stack pointer, program counter).
fn helper_stack(tid: u32) -> Option<u64> {
    let mut path = crate::fmt::FixedBuf::<64>::new();
    let _ = core::fmt::Write::write_fmt(&mut path, format_args!("/proc/self/task/{tid}/syscall\0"));
    let mut buf = [0u8; 256];
    let n = sys::read_file(path.as_bytes(), &mut buf).ok()?;
    let mut fields = buf[..n]
        .split(|&b| b == b' ' || b == b'\n')
        .filter(|f| !f.is_empty());
    let sp = fields.nth(7)?;
    let hex = sp.strip_prefix(b"0x")?;
    hex.iter().try_fold(0u64, |acc, &c| {
        let d = (c as char).to_digit(16)?;
        Some(acc << 4 | u64::from(d))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The radix sort puts shuffled blocks in address order, with their stacks.
    #[test]
    fn sorting_gives_address_order() {
        let mut x = tracekit_log::fixtures::XorShift::new(0x2545_f491_4f6c_dd1d);
        let mut rand = move || x.next();
        for case in 0..100 {
            let n = 1 + (rand() % 500) as usize;
            let mut all: Vec<Live> = Vec::new();
            while all.len() < n {
                let ptr = match rand() % 3 {
                    0 => 0x5555_0000_0000 + (rand() % 100_000) * 16,
                    1 => 0x7f00_0000_0000 + (rand() % 100_000) * 4096 + 16,
                    _ => 0x5555_0000_0000 + (rand() % 100_000) * 16 + 8,
                };
                if all.iter().all(|e| e.ptr != ptr) {
                    all.push(Live {
                        ptr,
                        size: rand() % 300,
                        stack: (ptr ^ 0x55) & 0x1f_ffff,
                    });
                }
            }
            let mut shuffled = all.clone();
            let mut blocks = vec![Block::default(); n];
            let mut stacks = vec![0u32; n];
            let mut spare = vec![Live::default(); n];
            let mut counts = vec![0u32; RADIX_DIGITS * RADIX];
            sort_by_address(&mut shuffled, &mut spare, &mut counts, |i, e| {
                put(&mut blocks, &mut stacks, i, e)
            });
            let mut want = all.clone();
            want.sort_by_key(|e| e.ptr);
            for (i, e) in want.iter().enumerate() {
                assert_eq!(
                    (blocks[i].start, blocks[i].size, u64::from(stacks[i])),
                    (e.ptr, e.size, e.stack),
                    "case {case}, {i}"
                );
            }
        }
    }
}
