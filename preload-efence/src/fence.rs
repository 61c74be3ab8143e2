//! The fence allocator: every block in a slot of its own, against an inaccessible guard page.
//!
//! # Layout
//!
//! At the first allocation one stretch of address space is reserved, inaccessible and backed
//! by nothing ([`sys::reserve`]): nothing else can be mapped inside it, so an inaccessible page
//! there stays a guard. It is cut into classes of equal span:
//!
//! - **Guarded classes** `0..GUARDED`: slots of `2^k` data pages followed by one guard page.
//!   A block is placed at the end of its slot's data (by default; [`Options::protect_below`]
//!   puts the guard first and the block right after it), its start aligned, so that the first
//!   byte past it is the guard page, or, with alignment 16, a byte of *slack* before it. Only
//!   the pages the block touches are made accessible (one `mprotect`); the slack is filled with
//!   a canary checked at `free`, `realloc` and exit, so a 1-byte overflow of `malloc(13)` is
//!   found too. `free` makes the pages inaccessible again (one `mprotect`) and puts the slot in
//!   a FIFO quarantine: a use after free faults until the slot is reused.
//! - **Guard markers.** Where the kernel has them (`MADV_GUARD_INSTALL`, Linux 6.13+;
//!   `TRACEKIT_EFENCE_GUARD_MARKERS=0` forces the `mprotect` scheme below), guard and freed
//!   pages are markers in the page tables instead of inaccessible mappings: a class's slots
//!   are opened `BATCH` (64) at a time (one `mprotect` extends one accessible mapping, one
//!   `process_madvise` marks their guard pages), so a fresh slot costs no system call; `free`
//!   marks the slot's data pages (one `madvise`, which also gives the pages back: the
//!   quarantine holds no memory); slots leaving the quarantine are unmarked `BATCH` (64) at a
//!   time, ready for reuse without a system call. A pair costs one system call and the page
//!   fault of a fresh page, against two `mprotect`s that split and merge kernel mappings; and
//!   as a marker is no mapping, `vm.max_map_count` no longer bounds the guarded blocks.
//! - **Moved pages.** Where the kernel also allows a userfaultfd with page moves (Linux 6.8+;
//!   `TRACEKIT_EFENCE_UFFD=0` turns it off), the one-page class (class 0: every block up to a
//!   page) does better ([`crate::uffd`]): its reservation is registered so that a page that
//!   is not there faults at once; `free` *moves* the freed slot's page to a slot without one
//!   (out of the quarantine, else a fresh one), which joins the ready list (one `ioctl`, no
//!   page dropped, zeroed or faulted in, no mapping changed); the freed slot is left without
//!   a page, so a use after free faults; a slot leaving the quarantine needs no system call.
//!   A slot taken with no ready one is given a zeroed page (one `ioctl`). The ready list
//!   holds at most `READY_MAX` (256) pages: past it, and when a page cannot be moved (shared
//!   with a `fork`ed child), it is dropped (`MADV_DONTNEED`).
//! - **Dense classes**: slots of `16 << k` bytes plus a 16-byte canary zone, in memory that is
//!   always accessible. The kernel allows `vm.max_map_count` (65530) mappings per process. A
//!   live guarded block costs two (its accessible pages, and the guard that separates them
//!   from the next slot's); a freed slot's inaccessible pages merge with its neighbours' only
//!   when the kernel finds them of the same anonymous-memory lineage, which after some churn
//!   they often are not, so a slot handed out is counted as two mappings (three for blocks of
//!   several pages) whatever its state. Past the budget (`TRACEKIT_EFENCE_MAX_GUARDED`, by
//!   default what the limit leaves) the quarantine gives up its oldest slots for new blocks,
//!   and when it has none, blocks go to dense slots: their overflows are found at `free` by
//!   the canary instead of at the faulting instruction, and the program keeps running
//!   (Electric Fence and DUMA die at about 32k live blocks). A dense block costs no mapping.
//!
//! Each slot has a 32-byte `Meta` entry in a parallel table (reserved the same way, made
//! accessible as slots are first used): state, the block's offset in its slot, size, the
//! function that allocated it, and the ids of the backtraces where it was allocated and freed
//! (stored once each in the [`crate::depot`]). A live 32-byte block so costs its page and 32
//! bytes (Electric Fence: its page and about 60). A fault address maps to its class and slot
//! by arithmetic, which is what the crash handler's describer does ([`describe`]),
//! async-signal-safely.
//!
//! # Cost
//!
//! Without guard markers a guarded `malloc`/`free` pair makes two `mprotect` calls (the
//! block's pages accessible, then inaccessible again), each splitting or merging a kernel
//! mapping: that is most of its cost (about 10 µs a pair on the machine of `bench/efence.sh`,
//! 2.1-2.5x less CPU than Electric Fence's seven `mprotect` and two `madvise`). With markers
//! a pair makes one `madvise` (plus 1/`BATCH` (64) of a `process_madvise`) and faults one fresh
//! page in: about 1.3x less again; what is left is the kernel's own work per page (dropping
//! it, the TLB flush, allocating and zeroing a new one). Moved pages skip the dropping,
//! allocating and zeroing: one `ioctl` a pair, about 3.5x less CPU again (200k pairs 0.23 s
//! against 0.81 s; libefence 2.6 s: 11x; the ioctl alone is about 1 µs a pair, ours 1.15 µs).
//! Sampled mode pays it only for the allocations it guards; the allocations it passes over cost a load, a decrement of a
//! static-TLS counter and glibc's own call.
//!
//! The user-space part of a pair is mostly the two backtraces: a hot site's stack is taken
//! from the remembered walks (`MEMO`, `preload-rt`'s memo: the return addresses the last
//! walk from the same frame read, checked in place) without a walk or a depot lookup; the
//! canaries are written and checked a word at a time.
//!
//! Nothing here allocates: the free lists and the quarantine are linked through the table.

use core::cell::UnsafeCell;
use core::mem::MaybeUninit;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicU8, AtomicUsize, Ordering};

use tracekit_crash::fault::{BlockNote, NOTE_FRAMES};
use tracekit_log_core::{AllocKind, FenceKind, FreeKind};
use tracekit_preload_rt::lock::SpinLock;
use tracekit_preload_rt::memo::{Found, Memo};
use tracekit_preload_rt::sys;
use tracekit_preload_rt::unwind::{self, Regs, Trace};

use crate::depot::{self, Depot};
use crate::options::{self, Options};

const PAGE: usize = sys::PAGE;
/// Guarded classes: 1 to 2^16 data pages (256 MiB).
const GUARDED: usize = 17;
/// Dense classes: 16 B to 8 MiB.
const DENSE: usize = 20;
const CLASSES: usize = GUARDED + DENSE;
/// Canary bytes after a dense block's slot.
const DENSE_ZONE: usize = 16;
/// The table entries (and dense memory) are made accessible this much at a time.
const COMMIT_STEP: usize = 1 << 20;
/// With guard markers: guarded slots opened at a time, and evicted slots made accessible
/// again at a time (one system call each).
const BATCH: usize = sys::GUARD_RANGES_MAX;

const UNUSED: u8 = 0;
const LIVE: u8 = 1;
const QUARANTINED: u8 = 2;
const FREE: u8 = 3;
const NONE: u32 = u32::MAX;

/// One slot's story, in 32 bytes: a live guarded block costs its page and this (the
/// backtraces are ids in the [`Depot`]; offsets and sizes fit 32 bits, as no class is larger).
#[repr(C)]
struct Meta {
    state: AtomicU8,
    alloc_kind: u8,
    free_kind: u8,
    alloc_tid: u32,
    free_tid: u32,
    /// The next slot in the free list or the quarantine.
    next: u32,
    /// The block's start, from the slot's start.
    offset: u32,
    size: u32,
    /// Where it was allocated and freed: ids in the depot (0: none).
    alloc_stack: u32,
    free_stack: u32,
}

const _: () = assert!(core::mem::size_of::<Meta>() == 32);

/// A class's lists, under its lock.
struct Lists {
    /// Slots handed out so far (the next fresh one).
    bump: u32,
    /// Table entries accessible so far.
    meta_ready: usize,
    /// Dense classes: bytes of slots accessible so far.
    data_ready: usize,
    /// Freed slots ready for reuse (a stack).
    free_head: u32,
    /// The quarantine, oldest first.
    q_head: u32,
    q_tail: u32,
    q_len: u64,
    /// With guard markers: slots opened so far (their range accessible, guard pages marked).
    opened: u32,
    /// With guard markers: slots out of the quarantine whose pages are accessible again,
    /// ready for reuse without a system call (a stack).
    ready_head: u32,
    /// With guard markers: slots out of the quarantine, still marked, waiting to be made
    /// accessible together.
    pending: [u32; BATCH],
    pending_len: usize,
    /// With moved pages ([`moved`]): slots in the ready list (each holds a page).
    ready_len: u32,
}

struct Class {
    lists: SpinLock<Lists>,
    /// Live guarded blocks of the class. Changed only under `lists`'s lock (a load and a store,
    /// no locked instruction), read without it.
    live: AtomicU64,
}

impl Class {
    /// Adds `d` to [`Class::live`]; the caller holds the class's lock.
    #[inline(always)]
    fn count_live(&self, d: i64) {
        let n = self.live.load(Ordering::Relaxed);
        self.live.store(n.wrapping_add_signed(d), Ordering::Relaxed);
    }
}

/// Live guarded blocks, every class.
fn guarded_live() -> u64 {
    G.classes[..GUARDED]
        .iter()
        .map(|c| c.live.load(Ordering::Relaxed))
        .sum()
}

/// Where everything is, fixed at the first allocation.
struct Layout {
    base: usize,
    /// Address space of a class (a power of two).
    span: usize,
    meta_base: usize,
    meta_span: usize,
    depot: Depot,
    /// Slots of each class at most (by its address space and its table), computed once: the
    /// hot paths ask, and a division costs more than the rest of the question.
    caps: [u32; CLASSES],
}

struct Global {
    ready: AtomicU8,
    layout: UnsafeCell<Layout>,
    options: UnsafeCell<Options>,
    budget: AtomicU64,
    /// Mappings the guarded slots handed out so far may cost, against `budget`.
    maps_used: AtomicU64,
    /// `Options::sample`, where the hot path reads it without copying the options.
    sample: AtomicU32,
    /// Guard and freed pages are the kernel's guard markers (`MADV_GUARD_INSTALL`), not
    /// `mprotect`ed mappings of their own.
    markers: AtomicBool,
    /// Dense blocks handed out since the budget ran out (said once).
    spilled: AtomicU64,
    classes: [Class; CLASSES],
    /// The object this library is (frames inside it are not the program's).
    own: AtomicUsize,
    own_end: AtomicUsize,
}

// SAFETY: `layout` and `options` are written once, by the thread that moves `ready` from 0 to
// 1, before it publishes 2 (Release); every reader waits for 2 (Acquire). The rest is atomic
// or under a lock.
unsafe impl Sync for Global {}

const fn class() -> Class {
    Class {
        lists: SpinLock::new(Lists {
            bump: 0,
            meta_ready: 0,
            data_ready: 0,
            free_head: NONE,
            q_head: NONE,
            q_tail: NONE,
            q_len: 0,
            opened: 0,
            ready_head: NONE,
            pending: [NONE; BATCH],
            pending_len: 0,
            ready_len: 0,
        }),
        live: AtomicU64::new(0),
    }
}

static G: Global = Global {
    ready: AtomicU8::new(0),
    layout: UnsafeCell::new(Layout {
        base: 0,
        span: 0,
        meta_base: 0,
        meta_span: 0,
        depot: Depot::EMPTY,
        caps: [0; CLASSES],
    }),
    options: UnsafeCell::new(Options::DEFAULT),
    budget: AtomicU64::new(0),
    maps_used: AtomicU64::new(0),
    sample: AtomicU32::new(1),
    markers: AtomicBool::new(false),
    spilled: AtomicU64::new(0),
    classes: [const { class() }; CLASSES],
    own: AtomicUsize::new(0),
    own_end: AtomicUsize::new(0),
};

/// The options in force (the defaults until the first allocation read them).
pub fn options() -> Options {
    if G.ready.load(Ordering::Acquire) == 2 {
        // SAFETY: published (see `Global`).
        unsafe { *G.options.get() }
    } else {
        Options::DEFAULT
    }
}

#[inline(always)]
fn layout() -> Option<&'static Layout> {
    // SAFETY: published (see `Global`).
    (G.ready.load(Ordering::Acquire) == 2).then(|| unsafe { &*G.layout.get() })
}

/// Reads the options and reserves the address space, once; false when that failed (the
/// allocator then refuses: every allocation fails with ENOMEM). Inlined into every call: once
/// set up, one load.
#[inline(always)]
fn init() -> bool {
    match G.ready.load(Ordering::Acquire) {
        2 => true,
        3 => false,
        _ => init_slow(),
    }
}

/// [`init`]'s first call (and the calls that race it).
#[cold]
#[inline(never)]
fn init_slow() -> bool {
    if G.ready
        .compare_exchange(0, 1, Ordering::AcqRel, Ordering::Acquire)
        .is_err()
    {
        // Another thread is setting up: wait for it.
        loop {
            match G.ready.load(Ordering::Acquire) {
                2 => return true,
                3 => return false,
                _ => sys::yield_now(),
            }
        }
    }
    // Before anything is mapped: the leak check leaves our mappings out of its roots.
    crate::leak::configure();
    let opts = read_options();
    let mut done = None;
    // Address space first: 16 GiB a class, less when the process may not have that much.
    // Powers of two (`locate` shifts and masks by the span).
    for span in [16usize << 30, 4 << 30, 1 << 30, 256 << 20] {
        let Ok(base) = sys::reserve(span * CLASSES) else {
            continue;
        };
        let meta_span = (span / (2 * PAGE)) * core::mem::size_of::<Meta>();
        match (sys::reserve(meta_span * CLASSES), Depot::create()) {
            (Ok(meta), Some(depot)) => {
                done = Some(Layout {
                    base: base as usize,
                    span,
                    meta_base: meta as usize,
                    meta_span,
                    depot,
                    caps: core::array::from_fn(|c| capacity_of(span, meta_span, c)),
                });
                break;
            }
            (meta, _) => {
                if let Ok(meta) = meta {
                    // SAFETY: the reservation just made, unused.
                    unsafe { sys::unmap(meta, meta_span * CLASSES) };
                }
                // SAFETY: as above.
                unsafe { sys::unmap(base, span * CLASSES) };
            }
        }
    }
    let Some(l) = done else {
        options::say(format_args!(
            "cannot reserve address space for guarded blocks: every allocation will fail"
        ));
        G.ready.store(3, Ordering::Release);
        return false;
    };
    let (lo, len, span) = (l.base, l.span * CLASSES, l.span);
    // SAFETY: this thread alone moved `ready` to 1; nobody reads these before 2.
    unsafe {
        *G.layout.get() = l;
    }
    // SAFETY: as above.
    unsafe {
        *G.options.get() = opts;
    }
    let markers = opts.markers && markers_work();
    G.markers.store(markers, Ordering::Relaxed);
    if markers && opts.uffd {
        // The one-page class's reservation, before any slot of it is used.
        crate::uffd::setup(lo, span);
    }
    let budget = if markers && opts.max_guarded == 0 {
        // Markers cost no kernel mapping: no budget to keep.
        u64::MAX
    } else {
        guard_budget(&opts)
    };
    G.budget.store(budget, Ordering::Relaxed);
    G.sample.store(opts.sample, Ordering::Relaxed);
    FREE_PATH.lo.store(lo, Ordering::Relaxed);
    FREE_PATH.len.store(len, Ordering::Relaxed);
    FREE_PATH.sampling.store(opts.sample > 1, Ordering::Relaxed);
    if let Some((lo, hi)) = unwind::object_range(init as *const () as u64) {
        G.own.store(lo as usize, Ordering::Relaxed);
        G.own_end.store(hi as usize, Ordering::Relaxed);
    }
    G.ready.store(2, Ordering::Release);
    true
}

/// True when the kernel has guard markers (Linux 6.13+): tried on a page of its own.
fn markers_work() -> bool {
    let Ok(p) = sys::map_page() else {
        return false;
    };
    // SAFETY: the page just mapped, private, unused.
    let ok = unsafe { sys::guard_install(p, PAGE) }.is_ok();
    // SAFETY: as above.
    unsafe { sys::unmap(p, PAGE) };
    ok
}

fn read_options() -> Options {
    extern "C" {
        static environ: *const *const core::ffi::c_char;
    }
    // SAFETY: the process environment: NULL-terminated, and nobody edits it during the
    // first allocation (libc's own setenv allocates through us only after it is done).
    let envp = unsafe { environ };
    // SAFETY: as above.
    let efence = unsafe { tracekit_preload_rt::env::entries_with_prefix(envp, b"EF_", 4096) };
    // SAFETY: as above.
    let ours =
        unsafe { tracekit_preload_rt::env::entries_with_prefix(envp, b"TRACEKIT_EFENCE_", 4096) };
    options::parse(efence.chain(ours))
}

/// How many kernel mappings guarded slots may use: what `vm.max_map_count` leaves after the
/// mappings the process has now and a margin for those it will make itself (or two for each
/// of `TRACEKIT_EFENCE_MAX_GUARDED` slots).
fn guard_budget(o: &Options) -> u64 {
    if o.max_guarded > 0 {
        return o.max_guarded.saturating_mul(2);
    }
    let mut buf = [0u8; 32];
    let limit = sys::read_file(b"/proc/sys/vm/max_map_count\0", &mut buf)
        .ok()
        .and_then(|n| tracekit_preload_rt::env::parse_u64(buf[..n].trim_ascii()))
        .unwrap_or(65530);
    let mut maps = 0u64;
    let _ = count_lines(b"/proc/self/maps\0", &mut maps);
    limit.saturating_sub(maps + 2048)
}

fn count_lines(path: &[u8], n: &mut u64) -> sys::SysResult<()> {
    let fd = sys::open(path, libc::O_RDONLY | libc::O_CLOEXEC, 0)?;
    let mut buf = [0u8; 4096];
    loop {
        match sys::read(fd, &mut buf) {
            Ok(0) | Err(_) => break,
            Ok(k) => *n += buf[..k].iter().filter(|&&b| b == b'\n').count() as u64,
        }
    }
    sys::close(fd);
    Ok(())
}

// ---- classes ----

fn is_guarded(c: usize) -> bool {
    c < GUARDED
}

/// Data bytes of a slot of class `c`.
fn data_size(c: usize) -> usize {
    if is_guarded(c) {
        PAGE << c
    } else {
        16 << (c - GUARDED)
    }
}

/// Address space of a slot of class `c`.
fn slot_size(c: usize) -> usize {
    if is_guarded(c) {
        data_size(c) + PAGE
    } else {
        data_size(c) + DENSE_ZONE
    }
}

/// Slots of class `c` at most, with `span` bytes of address space and `meta_span` of table a
/// class.
fn capacity_of(span: usize, meta_span: usize, c: usize) -> u32 {
    let by_space = span / slot_size(c);
    let by_table = meta_span / core::mem::size_of::<Meta>();
    by_space.min(by_table).min(NONE as usize - 1) as u32
}

#[inline(always)]
fn capacity(l: &Layout, c: usize) -> u32 {
    l.caps[c]
}

fn slot_base(l: &Layout, c: usize, i: u32) -> usize {
    l.base + c * l.span + i as usize * slot_size(c)
}

fn meta_ptr(l: &Layout, c: usize, i: u32) -> *mut Meta {
    (l.meta_base + c * l.meta_span + i as usize * core::mem::size_of::<Meta>()) as *mut Meta
}

/// The class and slot of an address inside the reservation.
fn locate(l: &Layout, addr: usize) -> Option<(usize, u32)> {
    let off = addr.checked_sub(l.base)?;
    // Shifts and masks, not divisions: the span is a power of two, and so is the one-page
    // class's slot (every block up to a page), the common case.
    let c = off >> l.span.trailing_zeros();
    if c >= CLASSES {
        return None;
    }
    let within = off & (l.span - 1);
    let size = slot_size(c);
    let i = if size.is_power_of_two() {
        within >> size.trailing_zeros()
    } else {
        within / size
    };
    (i < capacity(l, c) as usize).then_some((c, i as u32))
}

fn round_up(v: usize, to: usize) -> usize {
    v.div_ceil(to) * to
}

/// The guarded class whose data holds `size` bytes aligned to `align` (None: too big).
fn guarded_class(size: usize, align: usize) -> Option<usize> {
    let need = size
        .checked_add(if align > 16 { align - 1 } else { 0 })?
        .max(1);
    let pages = need.div_ceil(PAGE);
    let c = pages.next_power_of_two().trailing_zeros() as usize;
    (c < GUARDED).then_some(c)
}

/// The dense class for `size` bytes (None: too big, or an alignment it cannot give).
fn dense_class(size: usize, align: usize) -> Option<usize> {
    if align > 16 {
        return None;
    }
    let k = size
        .max(16)
        .div_ceil(16)
        .next_power_of_two()
        .trailing_zeros() as usize;
    (k < DENSE).then_some(GUARDED + k)
}

// ---- canaries ----

const fn canary(at: usize) -> u8 {
    0xc3 ^ (at as u8).wrapping_mul(0x3b)
}

/// The 8 canaries from an address, by the address's low byte ([`canary`] depends on nothing
/// else), as the word those bytes make.
static CANARY_WORDS: [u64; 256] = {
    let mut t = [0u64; 256];
    let mut i = 0;
    while i < 256 {
        let mut bytes = [0u8; 8];
        let mut k = 0;
        while k < 8 {
            bytes[k] = canary(i + k);
            k += 1;
        }
        t[i] = u64::from_ne_bytes(bytes);
        i += 1;
    }
    t
};

/// The 8 canaries of `[at, at + 8)`, as the word those bytes make.
#[inline(always)]
fn canary_word(at: usize) -> u64 {
    CANARY_WORDS[at & 0xff]
}

/// The bytes between a block's end and the end of what it may touch, filled with canaries.
fn slack(l: &Layout, c: usize, i: u32, user: usize, size: usize, below: bool) -> (usize, usize) {
    let end = user + size;
    let limit = if is_guarded(c) && !below {
        slot_base(l, c, i) + data_size(c)
    } else if is_guarded(c) {
        round_up(end.max(user + 1), PAGE)
    } else {
        slot_base(l, c, i) + slot_size(c)
    };
    (end, limit.max(end))
}

/// Bytes of canary in front of a block when its guard page is above it: an underflow that
/// writes there is found at `free` (one that goes further, or reads, is not: it takes
/// `EF_PROTECT_BELOW=1`).
const HEAD: usize = 16;

/// The canaried bytes in front of a block: up to [`HEAD`] bytes before it, within its first
/// accessible page (none for dense blocks, which start at their slot's start, or with the
/// guard page below).
fn head(c: usize, user: usize, below: bool) -> (usize, usize) {
    if !is_guarded(c) || below {
        return (user, user);
    }
    let lo = user.saturating_sub(HEAD).max(user & !(PAGE - 1));
    (lo, user)
}

/// What an overwritten canary says about a live block: an overflow (the slack after it), or
/// an underflow (the head before it); the address is the first byte found changed there.
fn canary_damage(
    l: &Layout,
    c: usize,
    i: u32,
    user: usize,
    size: usize,
    below: bool,
) -> Option<(FenceKind, u64, u64)> {
    let (from, to) = slack(l, c, i, user, size, below);
    if let Some((bad, _)) = damaged(from, to) {
        return Some((FenceKind::Overflow, from as u64, bad));
    }
    let (from, to) = head(c, user, below);
    let (bad, first) = damaged(from, to)?;
    Some((FenceKind::Underflow, first as u64, bad))
}

/// Writes the canaries of `[from, to)`, a word at a time.
fn fill_canary(from: usize, to: usize) {
    let mut at = from;
    while at + 8 <= to {
        // SAFETY: slack bytes of a live block's accessible pages (see `slack`).
        unsafe { (at as *mut u64).write_unaligned(canary_word(at)) };
        at += 8;
    }
    while at < to {
        // SAFETY: as above.
        unsafe { (at as *mut u8).write(canary(at)) };
        at += 1;
    }
}

/// How many bytes of `[from, to)` no longer hold their canary, and the first of them; None
/// when all do. Compared a word at a time; the bytes are counted only when one differs.
fn damaged(from: usize, to: usize) -> Option<(u64, usize)> {
    let mut at = from;
    let mut same = true;
    while same && at + 8 <= to {
        // SAFETY: as in `fill_canary`; the pages are still accessible.
        same = unsafe { (at as *const u64).read_unaligned() } == canary_word(at);
        at += 8;
    }
    while same && at < to {
        // SAFETY: as above.
        same = unsafe { (at as *const u8).read_volatile() } == canary(at);
        at += 1;
    }
    if same {
        return None;
    }
    let mut n = 0;
    let mut first = None;
    for at in from..to {
        // SAFETY: as above.
        if unsafe { (at as *const u8).read_volatile() } != canary(at) {
            n += 1;
            first.get_or_insert(at);
        }
    }
    first.map(|f| (n, f))
}

// ---- the table ----

/// Makes the table entries and (dense) memory of slot `i` accessible.
fn make_ready(l: &Layout, c: usize, lists: &mut Lists, i: u32) -> bool {
    let need = (i as usize + 1) * core::mem::size_of::<Meta>();
    if need > lists.meta_ready {
        let to = round_up(need, COMMIT_STEP).min(l.meta_span);
        let at = l.meta_base + c * l.meta_span + lists.meta_ready;
        // SAFETY: inside the table's reservation, past what is in use.
        if unsafe { sys::protect(at as *mut u8, to - lists.meta_ready, RW) }.is_err() {
            return false;
        }
        lists.meta_ready = to;
    }
    if !is_guarded(c) {
        let need = (i as usize + 1) * slot_size(c);
        if need > lists.data_ready {
            let to = round_up(need, COMMIT_STEP).min(l.span);
            let at = l.base + c * l.span + lists.data_ready;
            // SAFETY: inside the class's reservation, past what is in use.
            if unsafe { sys::protect(at as *mut u8, to - lists.data_ready, RW) }.is_err() {
                return false;
            }
            lists.data_ready = to;
        }
    }
    true
}

const RW: i32 = libc::PROT_READ | libc::PROT_WRITE;

/// A slot of class `c`: a freed one, or a fresh one.
fn take_slot(l: &Layout, c: usize, lists: &mut Lists) -> Option<u32> {
    if lists.free_head != NONE {
        let i = lists.free_head;
        // SAFETY: a slot in the free list has its entry ready.
        lists.free_head = unsafe { (*meta_ptr(l, c, i)).next };
        return Some(i);
    }
    let i = lists.bump;
    if i >= capacity(l, c) || !make_ready(l, c, lists, i) {
        return None;
    }
    lists.bump += 1;
    Some(i)
}

/// Mappings a guarded slot of class `c` may cost once handed out, whatever its state: its
/// accessible pages, the inaccessible ones below them (blocks of several pages), its guard.
/// Freed slots' mappings do not always merge back with their neighbours' (the kernel merges
/// only mappings of the same anonymous memory lineage), so the budget counts slots handed
/// out, not live blocks.
fn slot_mappings(c: usize) -> u64 {
    if c == 0 {
        2
    } else {
        3
    }
}

/// A guarded slot of class `c`: a freed one; else a fresh one while the mappings budget lasts;
/// else the oldest in the quarantine (a full budget shortens the quarantine rather than stop
/// guarding; not with `EF_PROTECT_FREE`, which never reuses). None: a dense slot it is.
///
/// With guard markers the slot's data pages are accessible when it is returned (all of them:
/// the caller marks those the block does not use).
fn take_guarded(l: &Layout, c: usize, lists: &mut Lists, o: &Options) -> Option<u32> {
    if moved(c) {
        return take_moved(l, c, lists, o);
    }
    if G.markers.load(Ordering::Relaxed) {
        return take_marked(l, c, lists, o);
    }
    if lists.free_head != NONE {
        return take_slot(l, c, lists);
    }
    let cost = slot_mappings(c);
    if G.maps_used.load(Ordering::Relaxed) + cost <= G.budget.load(Ordering::Relaxed) {
        let i = take_slot(l, c, lists)?;
        G.maps_used.fetch_add(cost, Ordering::Relaxed);
        return Some(i);
    }
    if o.protect_free {
        return None;
    }
    pop_quarantine(l, c, lists)
}

/// The data pages of guarded slot `i`, `[start, end)`: after the guard page with
/// `EF_PROTECT_BELOW`, before it otherwise.
fn data_range(l: &Layout, c: usize, i: u32, below: bool) -> (usize, usize) {
    let base = slot_base(l, c, i);
    let start = if below { base + PAGE } else { base };
    (start, start + data_size(c))
}

/// Guarded slot `i`'s guard page.
fn guard_page(l: &Layout, c: usize, i: u32, below: bool) -> usize {
    if below {
        slot_base(l, c, i)
    } else {
        slot_base(l, c, i) + data_size(c)
    }
}

/// [`take_guarded`] with guard markers: a slot made accessible again in a batch; else a fresh
/// one (opened in batches: the range made accessible by one `mprotect`, which extends one
/// kernel mapping, and every guard page marked by one `process_madvise`); else one out of
/// the quarantine, unmarked now (a system call).
fn take_marked(l: &Layout, c: usize, lists: &mut Lists, o: &Options) -> Option<u32> {
    if lists.ready_head != NONE {
        let i = lists.ready_head;
        // SAFETY: a slot in the ready list has its entry ready.
        lists.ready_head = unsafe { (*meta_ptr(l, c, i)).next };
        return Some(i);
    }
    let cost = slot_mappings(c);
    let fresh = lists.bump < capacity(l, c)
        && G.maps_used.load(Ordering::Relaxed) + cost <= G.budget.load(Ordering::Relaxed);
    if fresh && (lists.bump < lists.opened || open_batch(l, c, lists, o.protect_below)) {
        let i = lists.bump;
        if make_ready(l, c, lists, i) {
            lists.bump += 1;
            G.maps_used.fetch_add(cost, Ordering::Relaxed);
            return Some(i);
        }
    }
    let i = if lists.pending_len > 0 {
        lists.pending_len -= 1;
        lists.pending[lists.pending_len]
    } else if o.protect_free {
        return None;
    } else {
        pop_quarantine(l, c, lists)?
    };
    let (start, end) = data_range(l, c, i, o.protect_below);
    // SAFETY: the slot's data pages, freed: nobody may use them.
    if unsafe { sys::guard_remove(start as *mut u8, end - start) }.is_err() {
        // Still marked: waiting again (or, with no room, given up: address space only).
        if lists.pending_len < BATCH {
            lists.pending[lists.pending_len] = i;
            lists.pending_len += 1;
        }
        return None;
    }
    Some(i)
}

/// True when class `c`'s freed pages are moved to slots out of the quarantine
/// ([`crate::uffd`]): the one-page class, where the kernel allows it (with guard markers).
#[inline(always)]
fn moved(c: usize) -> bool {
    c == 0 && crate::uffd::on()
}

/// Pages the ready list of a class with moved pages may hold; past it a freed slot's page is
/// dropped (a program that frees many blocks at once gets its memory back).
const READY_MAX: u32 = 256;

/// A slot of class `c` without a page (moved pages): one out of the quarantine already, else a
/// fresh one (opened in batches as with guard markers), else (`quarantine_too`) the oldest
/// in the quarantine.
fn empty_slot(
    l: &Layout,
    c: usize,
    lists: &mut Lists,
    o: &Options,
    quarantine_too: bool,
) -> Option<u32> {
    if lists.free_head != NONE {
        let i = lists.free_head;
        // SAFETY: a slot in the free list has its entry ready.
        lists.free_head = unsafe { (*meta_ptr(l, c, i)).next };
        return Some(i);
    }
    let cost = slot_mappings(c);
    let fresh = lists.bump < capacity(l, c)
        && G.maps_used.load(Ordering::Relaxed) + cost <= G.budget.load(Ordering::Relaxed);
    if fresh && (lists.bump < lists.opened || open_batch(l, c, lists, o.protect_below)) {
        let i = lists.bump;
        if make_ready(l, c, lists, i) {
            lists.bump += 1;
            G.maps_used.fetch_add(cost, Ordering::Relaxed);
            return Some(i);
        }
    }
    if !quarantine_too || o.protect_free {
        return None;
    }
    pop_quarantine(l, c, lists)
}

/// Puts slot `i` (without a page) back on class `c`'s free list.
fn give_back(l: &Layout, c: usize, lists: &mut Lists, i: u32) {
    // SAFETY: a slot handed out has its entry ready.
    unsafe { (*meta_ptr(l, c, i)).next = lists.free_head };
    lists.free_head = i;
}

/// [`take_guarded`] with moved pages: a slot a freed block's page was moved to (no system
/// call), else one without a page, given a zeroed one (one `ioctl`).
fn take_moved(l: &Layout, c: usize, lists: &mut Lists, o: &Options) -> Option<u32> {
    if lists.ready_head != NONE {
        let i = lists.ready_head;
        // SAFETY: a slot in the ready list has its entry ready.
        lists.ready_head = unsafe { (*meta_ptr(l, c, i)).next };
        lists.ready_len -= 1;
        return Some(i);
    }
    let i = empty_slot(l, c, lists, o, true)?;
    let (start, end) = data_range(l, c, i, o.protect_below);
    match crate::uffd::fill(start, end - start) {
        Ok(()) => Some(i),
        Err(e) => {
            give_back(l, c, lists, i);
            if !crate::uffd::lost(e) {
                return None;
            }
            stop_moving(l, lists);
            take_marked(l, c, lists, o)
        }
    }
}

/// The userfaultfd is gone ([`crate::uffd::lost`], or not re-opened in a `fork`ed child): the
/// one-page class goes on with guard markers. Its slots without a page read as zeros now (no
/// registration), so those out of the quarantine join the ready list. `lists` is class 0's.
fn stop_moving(l: &Layout, lists: &mut Lists) {
    crate::uffd::turn_off();
    while lists.free_head != NONE {
        let i = lists.free_head;
        // SAFETY: a slot in the free list has its entry ready.
        let m = unsafe { &mut *meta_ptr(l, 0, i) };
        lists.free_head = m.next;
        m.next = lists.ready_head;
        lists.ready_head = i;
    }
}

/// Freed slot `i` of class `c` (moved pages): its page moved to a slot without one, which is
/// then ready for a block; else (no such slot, the ready list full, or a page shared with a
/// `fork`ed child) dropped. Either way the slot is left without a page: any access faults.
fn retire_page(l: &Layout, c: usize, lists: &mut Lists, i: u32, o: &Options) {
    let (start, end) = data_range(l, c, i, o.protect_below);
    if lists.ready_len < READY_MAX {
        if let Some(d) = empty_slot(l, c, lists, o, false) {
            let (dst, _) = data_range(l, c, d, o.protect_below);
            match crate::uffd::move_pages(dst, start, end - start) {
                Ok(()) => {
                    // SAFETY: a slot handed out has its entry ready.
                    unsafe { (*meta_ptr(l, c, d)).next = lists.ready_head };
                    lists.ready_head = d;
                    lists.ready_len += 1;
                    return;
                }
                Err(e) => {
                    give_back(l, c, lists, d);
                    if crate::uffd::lost(e) {
                        stop_moving(l, lists);
                        // SAFETY: the freed slot's data pages: nobody may touch them.
                        let _ = unsafe { sys::guard_install(start as *mut u8, end - start) };
                        return;
                    }
                }
            }
        }
    }
    crate::uffd::drop_pages(start, end - start);
}

/// Opens the next batch of class `c`'s slots (guard markers): false when the kernel refused.
fn open_batch(l: &Layout, c: usize, lists: &mut Lists, below: bool) -> bool {
    let from = lists.opened;
    let n = (capacity(l, c) - from).min(BATCH as u32);
    if n == 0 {
        return false;
    }
    let (lo, hi) = (slot_base(l, c, from), slot_base(l, c, from + n));
    // SAFETY: slots of the class's reservation past every slot in use.
    if unsafe { sys::protect(lo as *mut u8, hi - lo, RW) }.is_err() {
        return false;
    }
    let mut guards = [(0usize, 0usize); BATCH];
    for (k, g) in guards.iter_mut().take(n as usize).enumerate() {
        *g = (guard_page(l, c, from + k as u32, below), PAGE);
    }
    // SAFETY: the guard pages of the slots just opened, which nothing uses.
    if unsafe { sys::guard_ranges(&guards[..n as usize], true) }.is_err() {
        // SAFETY: as above: the range is inaccessible again, as it was.
        let _ = unsafe { sys::protect(lo as *mut u8, hi - lo, libc::PROT_NONE) };
        return false;
    }
    lists.opened = from + n;
    true
}

/// Slot `old` leaves class `c`'s quarantine (guard markers): it waits, marked, with others,
/// until a batch of them is made accessible again by one system call.
fn retire_marked(l: &Layout, c: usize, lists: &mut Lists, old: u32, below: bool) {
    if lists.pending_len == BATCH && !unmark_pending(l, c, lists, below) {
        // The kernel refuses to unmark them: `old` is given up (its address space only).
        return;
    }
    lists.pending[lists.pending_len] = old;
    lists.pending_len += 1;
    if lists.pending_len == BATCH {
        unmark_pending(l, c, lists, below);
    }
}

/// Makes the pending slots accessible again, by one system call, into the ready list.
fn unmark_pending(l: &Layout, c: usize, lists: &mut Lists, below: bool) -> bool {
    let mut ranges = [(0usize, 0usize); BATCH];
    for (r, &i) in ranges.iter_mut().zip(&lists.pending[..lists.pending_len]) {
        *r = data_range(l, c, i, below);
        r.1 -= r.0;
    }
    // SAFETY: the data pages of freed slots out of the quarantine: nobody may use them.
    if unsafe { sys::guard_ranges(&ranges[..lists.pending_len], false) }.is_err() {
        // Kept pending: each is unmarked when it is taken.
        return false;
    }
    for k in 0..lists.pending_len {
        let i = lists.pending[k];
        // SAFETY: a slot handed out has its entry ready.
        unsafe { (*meta_ptr(l, c, i)).next = lists.ready_head };
        lists.ready_head = i;
    }
    lists.pending_len = 0;
    true
}

/// Takes the oldest slot out of class `c`'s quarantine (its pages stay inaccessible): it is
/// free from now on, for the caller to reuse or to put on the free list.
fn pop_quarantine(l: &Layout, c: usize, lists: &mut Lists) -> Option<u32> {
    if lists.q_head == NONE {
        return None;
    }
    let old = lists.q_head;
    // SAFETY: a quarantined slot's entry is ready.
    let om = unsafe { &mut *meta_ptr(l, c, old) };
    lists.q_head = om.next;
    if lists.q_head == NONE {
        lists.q_tail = NONE;
    }
    lists.q_len -= data_size(c) as u64;
    om.state.store(FREE, Ordering::Release);
    Some(old)
}

/// Walks remembered: a hot site's stack id without a walk or a depot lookup, when the
/// return addresses the walk read last time are still on the stack
/// ([`tracekit_preload_rt::memo`], the heap tracker's; this table is the fence's own, of
/// depot ids).
static MEMO: Memo = Memo::new();
/// [`MEMO`] takes one writer at a time: a thread that finds it busy does not remember its
/// walk (the next call from that site will).
static MEMO_WRITER: SpinLock<()> = SpinLock::new(());

/// The depot id of the stack of the caller whose registers are `regs` (taken by
/// [`unwind::here`] in the hook's frame or one it called, which must still be live): frames
/// inside this library skipped, the program's frames only ([`program_frames`]).
#[inline(always)]
fn stack_id(l: &Layout, regs: Regs) -> u32 {
    let generation = unwind::generation();
    let traced = match MEMO.lookup(regs, generation) {
        // Ids come from `remember` below: depot ids, which fit.
        Found::Stack(id) => return id as u32,
        Found::Walk { trace } => trace,
    };
    walk_and_intern(l, regs, traced, generation)
}

/// [`stack_id`] when no remembered walk matched: the walk, the depot, and the walk noted.
#[inline(never)]
fn walk_and_intern(l: &Layout, regs: Regs, traced: bool, generation: u64) -> u32 {
    let own = (
        G.own.load(Ordering::Relaxed) as u64,
        G.own_end.load(Ordering::Relaxed) as u64,
    );
    let mut buf = [MaybeUninit::<u64>::uninit(); NOTE_FRAMES];
    let mut trace = Trace::new();
    let frames = if traced {
        unwind::unwind_traced(regs, own, &mut buf, &mut trace)
    } else {
        unwind::unwind_into(regs, own, &mut buf)
    };
    let n = program_frames(frames, own);
    let id = l.depot.intern(&frames[..n]);
    if let Some(_writer) = MEMO_WRITER.try_lock() {
        MEMO.remember(regs, traced.then_some(&trace), u64::from(id), generation);
    }
    id
}

/// How many of `frames` (the allocator's own leading frames already skipped) are the
/// program's: a frame of this library further down is the crash handler's thread trampoline
/// (every thread starts in it), where the program's stack ends.
fn program_frames(frames: &[u64], (lo, hi): (u64, u64)) -> usize {
    frames
        .iter()
        .position(|&pc| lo <= pc && pc < hi)
        .unwrap_or(frames.len())
}

std::thread_local! {
    static SAMPLE: core::cell::Cell<u64> = const { core::cell::Cell::new(0) };
}

sys::static_tls!(
    /// Allocations left before this thread guards one (0: not started). In the static TLS
    /// block: every sampled-mode allocation reads it, without a `__tls_get_addr` call.
    fn countdown() -> *mut u32
);

sys::static_tls!(
    /// This thread's id, once asked (0: not yet). In the static TLS block, as
    /// [`countdown`]: every guarded allocation and free reads it.
    fn cached_tid() -> *mut u32
);

/// This thread's id (cached).
#[inline(always)]
fn tid() -> u32 {
    let t = cached_tid();
    // SAFETY: this thread's slot, valid while it runs; nothing else holds a reference to it.
    match unsafe { *t } {
        0 => {
            let id = sys::gettid();
            // SAFETY: as above.
            unsafe { *t = id };
            id
        }
        id => id,
    }
}

/// True when this allocation is to be guarded (always, unless sampling).
///
/// Sampling one in N counts down, as GWP-ASan does: each thread guards the allocation its
/// countdown reaches, then draws the next gap at random in `1..2N` (mean N, so no allocation
/// pattern hides from it for long). An allocation that is not guarded costs a decrement of a
/// thread-local, not a random draw and a division: sampled mode is meant to stay on.
#[inline]
fn sampled(n: u32) -> bool {
    if n <= 1 {
        return true;
    }
    if count_down() {
        return false;
    }
    let c = countdown();
    // SAFETY: this thread's slot, valid while it runs; nothing else holds a reference to it.
    let first = unsafe { *c } == 0;
    let gap = next_gap(n);
    // SAFETY: as above.
    unsafe { *c = gap };
    // A thread's first allocation starts its countdown instead of being guarded.
    !first
}

/// This thread's countdown, one step: true when it was past 1 (decremented: not this
/// allocation), false when it is at its end or not started (left as it is).
#[inline(always)]
fn count_down() -> bool {
    let c = countdown();
    // SAFETY: this thread's slot, valid while it runs; nothing else holds a reference to it.
    let left = unsafe { *c };
    if left <= 1 {
        return false;
    }
    // SAFETY: as above.
    unsafe { *c = left - 1 };
    true
}

/// The next gap between guarded allocations: uniform in `1..2n`.
#[cold]
fn next_gap(n: u32) -> u32 {
    SAMPLE.with(|s| {
        // xorshift64*, seeded per thread from its id and the clock.
        let mut x = s.get();
        if x == 0 {
            x = (u64::from(sys::gettid()) << 32) ^ sys::mono_ns() | 1;
        }
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        s.set(x);
        let span = 2 * u64::from(n) - 1;
        1 + (x.wrapping_mul(0x2545_f491_4f6c_dd1d) % span) as u32
    })
}

// ---- the operations ----

/// How an allocation is to be made.
#[derive(Debug, Clone, Copy)]
pub struct Request {
    /// Bytes asked for.
    pub size: usize,
    /// Alignment (a power of two; 0: the configured default).
    pub align: usize,
    /// The function asked.
    pub kind: AllocKind,
    /// Zero the block (`calloc`).
    pub zero: bool,
}

/// Where a request went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placed {
    /// A block of ours.
    Ours(*mut u8),
    /// Cannot be had (ENOMEM, or EINVAL for a bad alignment).
    Failed(i32),
}

/// True when sampling passes this allocation over: the hook then calls glibc. Asked past
/// [`passed_over_fast`] (which every hook asks first, inlined: in sampled mode a request
/// passed over costs a decrement of a static-TLS counter and glibc's own call, before the hook
/// has built anything); the work of a guarded block is [`allocate`], out of line.
#[inline(always)]
pub fn passed_over() -> bool {
    init() && !sampled(G.sample.load(Ordering::Relaxed))
}

/// [`passed_over`] without a call, for the common case: this thread's countdown not at its
/// end (it is decremented). False otherwise, when [`passed_over`] decides. The countdown alone
/// says it all: it is started only by `sampled`, after setup and only when sampling, so it
/// is 0 (not started) before setup and in full-guard mode.
#[inline(always)]
pub fn passed_over_fast() -> bool {
    count_down()
}

/// Allocates a guarded (or, past the budget, dense) block, for a request that
/// [`passed_over`] did not pass over.
#[inline(never)]
pub fn allocate(r: Request) -> Placed {
    if !init() {
        return Placed::Failed(libc::ENOMEM);
    }
    let o = options();
    if r.size == 0 && !o.allow_malloc_0 {
        options::say(format_args!(
            "{}(0), which EF_ALLOW_MALLOC_0=0 forbids: aborting",
            r.kind.name()
        ));
        tracekit_crash::sys::abort();
    }
    let align = match r.align {
        0 if o.alignment == 1 => 1,
        0 => o.alignment.min(16),
        a => a,
    };
    if r.size > isize::MAX as usize / 2 {
        return Placed::Failed(libc::ENOMEM);
    }
    let Some(l) = layout() else {
        return Placed::Failed(libc::ENOMEM);
    };
    let alloc_stack = stack_id(l, unwind::here());
    let dense = dense_class(r.size, align);
    // Set when a guarded slot cannot be had: the block goes to a dense slot.
    let mut dense_only = false;
    let (c, i, base, user, lists) = loop {
        let (c, guarded) = match (dense_only, guarded_class(r.size, align), dense) {
            (false, Some(c), _) => (c, true),
            (_, _, Some(c)) => (c, false),
            _ => return Placed::Failed(libc::ENOMEM),
        };
        let mut lists = G.classes[c].lists.lock();
        let slot = if guarded {
            take_guarded(l, c, &mut lists, &o)
        } else {
            take_slot(l, c, &mut lists)
        };
        let Some(i) = slot else {
            if guarded && dense.is_some() {
                dense_only = true;
                continue;
            }
            return Placed::Failed(libc::ENOMEM);
        };
        let base = slot_base(l, c, i);
        let user = if !guarded {
            base
        } else if o.protect_below {
            round_up(base + PAGE, align.max(1))
        } else {
            (base + data_size(c) - r.size) & !(align.max(1) - 1)
        };
        if !guarded {
            if G.spilled.fetch_add(1, Ordering::Relaxed) == 0 {
                options::say(format_args!(
                    "{} guarded blocks are live, as many as vm.max_map_count allows: further blocks get canaries checked at free instead of guard pages",
                    guarded_live()
                ));
            }
            break (c, i, base, user, lists);
        }
        let (lo, hi) = if o.protect_below {
            (base + PAGE, round_up(user + r.size.max(1), PAGE))
        } else {
            (user & !(PAGE - 1), base + data_size(c))
        };
        if open_block(l, c, i, lo, hi, o.protect_below) {
            G.classes[c].count_live(1);
            break (c, i, base, user, lists);
        }
        // SAFETY: the slot's entry is ready (take_slot).
        let m = unsafe { &mut *meta_ptr(l, c, i) };
        m.next = lists.free_head;
        lists.free_head = i;
        drop(lists);
        if dense.is_none() {
            return Placed::Failed(libc::ENOMEM);
        }
        // The kernel ran out of mappings before the budget did (the program maps memory of its
        // own): no more fresh guarded slots, and this block in a dense slot.
        G.budget
            .store(G.maps_used.load(Ordering::Relaxed), Ordering::Relaxed);
        dense_only = true;
    };
    // SAFETY: the slot's entry is ready (take_slot) and ours under the class lock.
    let m = unsafe { &mut *meta_ptr(l, c, i) };
    m.alloc_kind = r.kind as u8;
    m.free_kind = 0;
    m.alloc_stack = alloc_stack;
    m.free_stack = 0;
    m.alloc_tid = tid();
    m.free_tid = 0;
    // Both fit: the class holds the block, and no class is 4 GiB.
    m.offset = (user - base) as u32;
    m.size = r.size as u32;
    m.state.store(LIVE, Ordering::Release);
    drop(lists);
    let p = user as *mut u8;
    if r.zero {
        // SAFETY: the block's bytes, accessible now.
        unsafe { core::ptr::write_bytes(p, 0, r.size) };
    } else if let Some(b) = o.fill {
        // SAFETY: as above.
        unsafe { core::ptr::write_bytes(p, b, r.size) };
    }
    let (from, to) = slack(l, c, i, user, r.size, o.protect_below);
    fill_canary(from, to);
    let (from, to) = head(c, user, o.protect_below);
    fill_canary(from, to);
    Placed::Ours(p)
}

/// Makes pages `[lo, hi)` of guarded slot `i` accessible for a block, and only those. With
/// guard markers the slot's data pages are all accessible already ([`take_guarded`]): the
/// others are marked (for blocks smaller than their slot; none for one-page slots).
fn open_block(l: &Layout, c: usize, i: u32, lo: usize, hi: usize, below: bool) -> bool {
    if !G.markers.load(Ordering::Relaxed) {
        // SAFETY: pages of this slot, which nobody else uses.
        return unsafe { sys::protect(lo as *mut u8, hi - lo, RW) }.is_ok();
    }
    let (start, end) = data_range(l, c, i, below);
    let mut unused = [(0usize, 0usize); 2];
    let mut n = 0;
    for (from, to) in [(start, lo), (hi, end)] {
        if from < to {
            unused[n] = (from, to - from);
            n += 1;
        }
    }
    if n > 0 {
        // SAFETY: pages of this slot that the block does not cover: nobody may touch them. A
        // failure leaves them accessible (an overrun into them goes unseen), not the block.
        let _ = unsafe { sys::guard_ranges(&unused[..n], true) };
    }
    true
}

/// True when only some allocations are ours (`TRACEKIT_EFENCE_SAMPLE` above 1): a pointer
/// that is not ours is then glibc's.
#[inline(always)]
pub fn sampling() -> bool {
    FREE_PATH.sampling.load(Ordering::Relaxed)
}

/// True when `p` is in our reservation (a block of ours, or garbage pointing into it).
/// Inlined into `free`: in sampled mode most pointers are glibc's, told apart by two loads,
/// a subtraction and a compare (false before setup: the reservation's length is 0 then).
///
/// Relaxed loads are enough: a pointer of ours reached this thread after the `malloc` that
/// returned it, which set up (and so stored these) before.
#[inline(always)]
pub fn owns(p: *const u8) -> bool {
    (p as usize).wrapping_sub(FREE_PATH.lo.load(Ordering::Relaxed))
        < FREE_PATH.len.load(Ordering::Relaxed)
}

/// What `free` reads on its way to glibc, side by side (one address to find): the
/// reservation's start and length (0 until setup), for [`owns`], and [`sampling`].
struct FreePath {
    lo: AtomicUsize,
    len: AtomicUsize,
    sampling: AtomicBool,
}

static FREE_PATH: FreePath = FreePath {
    lo: AtomicUsize::new(0),
    len: AtomicUsize::new(0),
    sampling: AtomicBool::new(false),
};

/// The size of our block at `p` (what `malloc_usable_size` answers: exactly what was asked).
pub fn size_of(p: *const u8) -> Option<usize> {
    let l = layout()?;
    let (c, i) = locate(l, p as usize)?;
    let lists = G.classes[c].lists.lock();
    let m = meta_locked(l, c, i, &lists)?;
    (m.state == LIVE && m.user == p as u64).then_some(m.size as usize)
}

/// A copy of a slot's entry, if its table page is accessible.
struct MetaCopy {
    state: u8,
    alloc_kind: u8,
    free_kind: u8,
    user: u64,
    size: u64,
    alloc_tid: u32,
    free_tid: u32,
    alloc: [u64; NOTE_FRAMES],
    alloc_len: usize,
    free: [u64; NOTE_FRAMES],
    free_len: usize,
}

/// A copy of slot `i`'s entry, read under its class's lock (None: never handed out).
fn meta_locked(l: &Layout, c: usize, i: u32, lists: &Lists) -> Option<MetaCopy> {
    // SAFETY: handed-out slots have their entries ready, and the lock is held.
    (i < lists.bump).then(|| copy_meta(l, c, i, unsafe { &*meta_ptr(l, c, i) }))
}

/// A copy of slot `i`'s entry without the lock (in a signal handler), if its table page is
/// accessible: checked through `process_vm_readv`, which cannot fault.
fn read_meta(l: &Layout, c: usize, i: u32) -> Option<MetaCopy> {
    let p = meta_ptr(l, c, i);
    let mut state = [0u8; 1];
    if !sys::read_memory(p as u64, &mut state) || state[0] == UNUSED {
        return None;
    }
    // SAFETY: the entry's page is accessible (just read) and stays so (the table only grows);
    // a concurrent writer may change fields meanwhile, which only blurs a report.
    Some(copy_meta(l, c, i, unsafe { &*p }))
}

/// Slot `i`'s entry with the block's address and its backtraces spelled out.
fn copy_meta(l: &Layout, c: usize, i: u32, m: &Meta) -> MetaCopy {
    let mut copy = MetaCopy {
        state: m.state.load(Ordering::Acquire),
        alloc_kind: m.alloc_kind,
        free_kind: m.free_kind,
        user: (slot_base(l, c, i) + m.offset as usize) as u64,
        size: u64::from(m.size),
        alloc_tid: m.alloc_tid,
        free_tid: m.free_tid,
        alloc: [0; NOTE_FRAMES],
        alloc_len: 0,
        free: [0; NOTE_FRAMES],
        free_len: 0,
    };
    copy.alloc_len = l.depot.get(m.alloc_stack, &mut copy.alloc);
    copy.free_len = l.depot.get(m.free_stack, &mut copy.free);
    copy
}

fn note_of(kind: FenceKind, addr: u64, m: &MetaCopy) -> BlockNote {
    let mut n = BlockNote::new(kind, addr);
    n.block = m.user;
    n.size = m.size;
    n.alloc_fn = AllocKind::from_code(m.alloc_kind).map_or("?", AllocKind::name);
    n.free_fn = FreeKind::from_code(m.free_kind).map_or("", FreeKind::name);
    n.alloc_frames = m.alloc;
    n.alloc_len = m.alloc_len;
    n.alloc_tid = m.alloc_tid;
    n.free_frames = m.free;
    n.free_len = m.free_len;
    n.free_tid = m.free_tid;
    n
}

/// Which functions may free a block of `kind`: 0 the C family, 1 `new`, 2 `new[]`.
fn alloc_family(kind: u8) -> u8 {
    match AllocKind::from_code(kind) {
        Some(AllocKind::New | AllocKind::NewNothrow | AllocKind::NewAligned) => 1,
        Some(AllocKind::NewAlignedNothrow) => 1,
        Some(
            AllocKind::NewArray
            | AllocKind::NewArrayNothrow
            | AllocKind::NewArrayAligned
            | AllocKind::NewArrayAlignedNothrow,
        ) => 2,
        _ => 0,
    }
}

fn free_family(kind: FreeKind) -> u8 {
    match kind {
        FreeKind::Free | FreeKind::Munmap => 0,
        FreeKind::Delete
        | FreeKind::DeleteSized
        | FreeKind::DeleteAligned
        | FreeKind::DeleteSizedAligned
        | FreeKind::DeleteNothrow => 1,
        _ => 2,
    }
}

/// Releases our block at `p` (for `free`, `delete`, and `realloc`'s old block), or reports
/// why it cannot be released and aborts: a double free, a pointer no allocation returned, the
/// wrong function, or a canary that an overflow changed.
pub fn release(p: *mut u8, kind: FreeKind) {
    let located = layout().and_then(|l| Some((l, locate(l, p as usize)?)));
    let Some((l, (c, i))) = located else {
        // In the reservation, past every slot a class can have: no block of ours.
        let mut note = BlockNote::new(FenceKind::InvalidFree, p as u64);
        note.free_fn = kind.name();
        tracekit_crash::fault::report_and_abort(&note);
    };
    let o = options();
    let free_stack = stack_id(l, unwind::here());
    let mut lists = G.classes[c].lists.lock();
    if let Some(mut note) = check(l, c, i, &lists, p as u64, &o, kind) {
        drop(lists);
        // A double free's function is the first free's (its stack is the one shown); the
        // others are about this call.
        if note.kind != FenceKind::DoubleFree {
            note.free_fn = kind.name();
        }
        tracekit_crash::fault::report_and_abort(&note);
    }
    // SAFETY: checked live above, under the class lock.
    let m = unsafe { &mut *meta_ptr(l, c, i) };
    m.free_kind = kind as u8;
    m.free_stack = free_stack;
    m.free_tid = tid();
    m.state.store(QUARANTINED, Ordering::Release);
    let base = slot_base(l, c, i);
    let markers = G.markers.load(Ordering::Relaxed);
    if is_guarded(c) {
        let (start, end) = data_range(l, c, i, o.protect_below);
        if moved(c) {
            retire_page(l, c, &mut lists, i, &o);
        } else if markers {
            // SAFETY: the slot's data pages; the block is freed, so nobody may touch them. A
            // failure leaves them accessible (a use after free goes unseen; the slot stays
            // usable, which an `mprotect` here would not).
            let _ = unsafe { sys::guard_install(start as *mut u8, end - start) };
        } else {
            // SAFETY: as above.
            let _ = unsafe { sys::protect(base as *mut u8, data_size(c) + PAGE, libc::PROT_NONE) };
        }
        G.classes[c].count_live(-1);
    }
    // Into the quarantine; the oldest out of it, when it holds too much.
    m.next = NONE;
    if lists.q_tail == NONE {
        lists.q_head = i;
    } else {
        // SAFETY: the tail's entry is ready (it was handed out).
        unsafe { (*meta_ptr(l, c, lists.q_tail)).next = i };
    }
    lists.q_tail = i;
    lists.q_len += data_size(c) as u64;
    if o.protect_free {
        return;
    }
    while lists.q_len > o.quarantine {
        let Some(old) = pop_quarantine(l, c, &mut lists) else {
            break;
        };
        if moved(c) {
            // Without a page since its free: free for reuse, no system call.
            give_back(l, c, &mut lists, old);
            continue;
        }
        if markers && is_guarded(c) {
            retire_marked(l, c, &mut lists, old, o.protect_below);
            continue;
        }
        // SAFETY: a quarantined slot's entry is ready.
        let om = unsafe { &mut *meta_ptr(l, c, old) };
        om.next = lists.free_head;
        lists.free_head = old;
    }
}

/// What is wrong with freeing `p` (slot `i` of class `c`) by `kind`, if anything.
fn check(
    l: &Layout,
    c: usize,
    i: u32,
    lists: &Lists,
    p: u64,
    o: &Options,
    kind: FreeKind,
) -> Option<BlockNote> {
    if i >= lists.bump {
        return Some(BlockNote::new(FenceKind::InvalidFree, p));
    }
    // The common case first, from the entry itself: a live block freed by its own family,
    // canaries whole. Only a finding copies the entry with its stacks (two depot lookups).
    // SAFETY: handed-out slots have their entries ready, and the lock is held.
    let e = unsafe { &*meta_ptr(l, c, i) };
    let user = (slot_base(l, c, i) + e.offset as usize) as u64;
    if e.state.load(Ordering::Acquire) == LIVE
        && user == p
        && alloc_family(e.alloc_kind) == free_family(kind)
    {
        let (kind, at, bad) = canary_damage(l, c, i, p as usize, e.size as usize, o.protect_below)?;
        let m = meta_locked(l, c, i, lists)?;
        let mut n = note_of(kind, at, &m);
        n.corrupted = bad;
        return Some(n);
    }
    let m = meta_locked(l, c, i, lists)?;
    if m.state != LIVE {
        let kind = if m.user == p && m.state != UNUSED {
            FenceKind::DoubleFree
        } else {
            FenceKind::InvalidFree
        };
        let mut n = note_of(kind, p, &m);
        if kind == FenceKind::InvalidFree {
            n.block = 0;
        }
        return Some(n);
    }
    if m.user != p {
        return Some(note_of(FenceKind::InvalidFree, p, &m));
    }
    Some(note_of(FenceKind::MismatchedFree, p, &m))
}

/// Calls `f(address, size, allocation stack id)` with every live block (at exit, for the
/// leak check), class by class under its lock.
pub fn for_each_live(mut f: impl FnMut(u64, u64, u32)) {
    let Some(l) = layout() else {
        return;
    };
    for c in 0..CLASSES {
        let lists = G.classes[c].lists.lock();
        for i in 0..lists.bump {
            // SAFETY: handed-out slots have their entries ready, and the lock is held.
            let m = unsafe { &*meta_ptr(l, c, i) };
            if m.state.load(Ordering::Acquire) == LIVE {
                let user = slot_base(l, c, i) + m.offset as usize;
                f(user as u64, u64::from(m.size), m.alloc_stack);
            }
        }
    }
}

/// The frames of the depot's stack `id` (0 when it has none).
pub fn stack_frames(id: u32, out: &mut [u64; NOTE_FRAMES]) -> usize {
    layout().map_or(0, |l| l.depot.get(id, out))
}

/// Checks the canaries of every live block (at exit): the first overwritten one is reported.
pub fn check_all() {
    let Some(l) = layout() else {
        return;
    };
    let o = options();
    for c in 0..CLASSES {
        let lists = G.classes[c].lists.lock();
        for i in 0..lists.bump {
            // SAFETY: handed-out slots have their entries ready.
            let m = unsafe { &*meta_ptr(l, c, i) };
            if m.state.load(Ordering::Acquire) != LIVE {
                continue;
            }
            let user = slot_base(l, c, i) + m.offset as usize;
            let below = o.protect_below;
            if let Some((kind, at, bad)) = canary_damage(l, c, i, user, m.size as usize, below) {
                let Some(copy) = meta_locked(l, c, i, &lists) else {
                    continue;
                };
                drop(lists);
                let mut n = note_of(kind, at, &copy);
                n.corrupted = bad;
                n.free_fn = "exit";
                tracekit_crash::fault::report_and_abort(&n);
            }
        }
    }
}

/// The crash handler's describer: which block a fault address hit (async-signal-safe: reads
/// the table without locks, through `process_vm_readv` where it might not be mapped).
pub fn describe(addr: u64, note: &mut BlockNote) -> bool {
    let Some(l) = layout() else {
        return false;
    };
    let Some((c, i)) = locate(l, addr as usize) else {
        return false;
    };
    // With the guard below each block, the guard page of slot `i` also ends slot `i - 1`:
    // an address there is an overflow of that block when it is nearer than this one.
    let mut m = read_meta(l, c, i);
    if options().protect_below && is_guarded(c) && i > 0 {
        let guard_end = (slot_base(l, c, i) + PAGE) as u64;
        if addr < guard_end {
            if let Some(prev) = read_meta(l, c, i - 1) {
                let after_prev = addr.wrapping_sub(prev.user + prev.size);
                let before_mine = m.as_ref().map_or(u64::MAX, |m| m.user.wrapping_sub(addr));
                if prev.state == LIVE && after_prev < before_mine {
                    m = Some(prev);
                }
            }
        }
    }
    let Some(m) = m else {
        return false;
    };
    let start = m.user;
    let end = m.user + m.size;
    let kind = if m.state != LIVE {
        FenceKind::UseAfterFree
    } else if addr >= end {
        FenceKind::Overflow
    } else if addr < start {
        FenceKind::Underflow
    } else {
        // Inside a live block: not ours to explain (a protection we did not set?).
        return false;
    };
    *note = note_of(kind, addr, &m);
    true
}

/// Takes every class's lock (before `fork`), so the child never inherits one held by a
/// thread that does not exist there.
pub fn lock_all() {
    for c in &G.classes {
        c.lists.lock_for_fork();
    }
    depot::lock_for_fork();
    MEMO_WRITER.lock_for_fork();
}

/// In a `fork`ed child, after [`unlock_all`] (this process has one thread): the userfaultfd
/// registered again for this process ([`crate::uffd::after_fork_child`]); where that fails,
/// the one-page class goes on with guard markers (`stop_moving`).
pub fn after_fork_child() {
    // The thread that forked is this process's only one, with a new id.
    // SAFETY: this thread's slot; nothing else holds a reference to it.
    unsafe { *cached_tid() = 0 };
    let Some(l) = layout() else {
        return;
    };
    let mut lists = G.classes[0].lists.lock();
    if !crate::uffd::after_fork_child() {
        stop_moving(l, &mut lists);
    }
}

/// Releases what [`lock_all`] took (after `fork`, in parent and child).
pub fn unlock_all() {
    // SAFETY: taken by lock_all in this process (or the parent it was forked from).
    unsafe { MEMO_WRITER.force_unlock() };
    depot::unlock_after_fork();
    for c in &G.classes {
        // SAFETY: taken by lock_all in this process (or the parent it was forked from).
        unsafe { c.lists.force_unlock() };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_fit_their_blocks() {
        assert_eq!(guarded_class(13, 16), Some(0));
        assert_eq!(guarded_class(4096, 16), Some(0));
        assert_eq!(guarded_class(4097, 16), Some(1));
        assert_eq!(guarded_class(100, 64), Some(0));
        assert_eq!(guarded_class(4096, 4096), Some(1));
        assert_eq!(guarded_class(usize::MAX, 16), None);
        assert_eq!(dense_class(1, 16), Some(GUARDED));
        assert_eq!(dense_class(32, 16), Some(GUARDED + 1));
        assert_eq!(dense_class(33, 16), Some(GUARDED + 2));
        assert_eq!(dense_class(33, 64), None);
        for c in 0..CLASSES {
            assert!(slot_size(c) > data_size(c));
        }
    }

    #[test]
    fn locate_agrees_with_division() {
        let (span, meta_span) = (1usize << 30, (1usize << 30) / (2 * PAGE) * 32);
        let l = Layout {
            base: 0x7000_0000_0000,
            span,
            meta_base: 0,
            meta_span,
            depot: Depot::EMPTY,
            caps: core::array::from_fn(|c| capacity_of(span, meta_span, c)),
        };
        let mut x = 0x1234_5678_9abc_def1u64;
        for _ in 0..100_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let addr = l.base - 4096 + (x as usize % (span * (CLASSES + 1)));
            let want = addr.checked_sub(l.base).and_then(|off| {
                let c = off / span;
                let i = (c < CLASSES).then(|| (off % span) / slot_size(c))?;
                (i < capacity_of(span, meta_span, c) as usize).then_some((c, i as u32))
            });
            assert_eq!(locate(&l, addr), want, "{addr:#x}");
        }
    }

    #[test]
    fn a_stack_ends_at_the_first_frame_of_this_library() {
        let own = (0x1000, 0x2000);
        assert_eq!(program_frames(&[0x500, 0x600, 0x1800, 0x700], own), 2);
        assert_eq!(program_frames(&[0x500, 0x600], own), 2);
        assert_eq!(program_frames(&[], own), 0);
    }

    #[test]
    fn sampling_guards_about_one_in_n() {
        let guarded = (0..100_000).filter(|_| sampled(100)).count();
        assert!(
            (700..1300).contains(&guarded),
            "{guarded} of 100000 guarded"
        );
        assert!((0..10).all(|_| sampled(1)));
        for _ in 0..1000 {
            let g = next_gap(100);
            assert!((1..200).contains(&g), "{g}");
        }
    }

    #[test]
    fn a_canary_word_is_the_canaries_of_its_bytes() {
        for at in (0..600).chain(usize::MAX - 300..usize::MAX - 8) {
            let bytes: [u8; 8] = core::array::from_fn(|k| canary(at + k));
            assert_eq!(canary_word(at), u64::from_ne_bytes(bytes), "at {at:#x}");
        }
        let mut buf = [0u8; 80];
        for from in 0..16 {
            for to in from..80 {
                let base = buf.as_mut_ptr() as usize;
                let (a, b) = (base + from, base + to);
                fill_canary(a, b);
                assert!((from..to).all(|k| buf[k] == canary(base + k)));
                assert_eq!(damaged(a, b), None);
                if to > from {
                    buf[to - 1] ^= 0x10;
                    assert_eq!(damaged(a, b), Some((1, b - 1)));
                }
            }
        }
    }

    #[test]
    fn canaries_notice_a_changed_byte() {
        let mut buf = [0u8; 64];
        let (a, b) = (
            buf.as_mut_ptr() as usize + 10,
            buf.as_mut_ptr() as usize + 30,
        );
        fill_canary(a, b);
        assert_eq!(damaged(a, b), None);
        buf[12] ^= 1;
        let (a, b) = (buf.as_ptr() as usize + 10, buf.as_ptr() as usize + 30);
        assert_eq!(damaged(a, b), Some((1, a + 2)));
    }
}
