//! What another preload library knows about a fault: the fence allocator says which block an
//! address belongs to, so that the report reads "1 bytes after the 13-byte block at ADDR",
//! with the block's allocation (and free) backtraces, symbolized like the fault's own.
//!
//! Two ways in: a [`Describer`] the handler asks about a fault address (an overflow into a
//! guard page, a use after free), and [`report_and_abort`] for a misuse found without a fault
//! (a double free, a free of a pointer no allocation returned, a corrupted canary): the note
//! is kept, the process aborts, and the report of that SIGABRT says what the note says.

use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use tracekit_log_core::FenceKind;

/// Frames kept per backtrace of a block.
pub const NOTE_FRAMES: usize = 16;

/// One block's story, as the allocator tells it.
#[derive(Debug, Clone, Copy)]
pub struct BlockNote {
    /// What went wrong.
    pub kind: FenceKind,
    /// The address touched (or passed to `free`).
    pub addr: u64,
    /// The block's start (0 when the address is in no block).
    pub block: u64,
    /// The block's size in bytes.
    pub size: u64,
    /// The function that allocated it (`malloc`, `operator new[]`, ...).
    pub alloc_fn: &'static str,
    /// The function that freed it, or tries to (empty when not freed).
    pub free_fn: &'static str,
    /// Bytes past the end found changed (a corrupted canary), for [`FenceKind`] overflows
    /// detected at `free`.
    pub corrupted: u64,
    /// Return addresses where the block was allocated, innermost first.
    pub alloc_frames: [u64; NOTE_FRAMES],
    /// How many of `alloc_frames` are set.
    pub alloc_len: usize,
    /// Thread that allocated it.
    pub alloc_tid: u32,
    /// Return addresses where it was freed.
    pub free_frames: [u64; NOTE_FRAMES],
    /// How many of `free_frames` are set (0: not freed).
    pub free_len: usize,
    /// Thread that freed it.
    pub free_tid: u32,
}

impl BlockNote {
    /// A note of `kind` about `addr`, knowing nothing else yet.
    pub const fn new(kind: FenceKind, addr: u64) -> BlockNote {
        BlockNote {
            kind,
            addr,
            block: 0,
            size: 0,
            alloc_fn: "",
            free_fn: "",
            corrupted: 0,
            alloc_frames: [0; NOTE_FRAMES],
            alloc_len: 0,
            alloc_tid: 0,
            free_frames: [0; NOTE_FRAMES],
            free_len: 0,
            free_tid: 0,
        }
    }

    /// The allocation's return addresses.
    pub fn alloc_stack(&self) -> &[u64] {
        &self.alloc_frames[..self.alloc_len.min(NOTE_FRAMES)]
    }

    /// The release's return addresses.
    pub fn free_stack(&self) -> &[u64] {
        &self.free_frames[..self.free_len.min(NOTE_FRAMES)]
    }
}

/// Says what a fault address is: fills the note and returns true when the address is the
/// describer's (called from the signal handler: it must be async-signal-safe).
pub type Describer = fn(addr: u64, note: &mut BlockNote) -> bool;

static DESCRIBER: AtomicUsize = AtomicUsize::new(0);

/// Installs the describer the handler asks about fault addresses.
pub fn set_describer(f: Describer) {
    DESCRIBER.store(f as usize, Ordering::Release);
}

/// What the describer says about `addr`, if anything.
pub fn describe(addr: u64) -> Option<BlockNote> {
    let f = DESCRIBER.load(Ordering::Acquire);
    if f == 0 {
        return None;
    }
    // SAFETY: only `set_describer` stores here, always a `Describer`.
    let f = unsafe { core::mem::transmute::<usize, Describer>(f) };
    let mut note = BlockNote::new(FenceKind::Overflow, addr);
    f(addr, &mut note).then_some(note)
}

struct Pending {
    set: AtomicBool,
    note: UnsafeCell<BlockNote>,
}

// SAFETY: the note is written once, by the thread that wins `set`, before it aborts; the
// handler of that abort (on the same thread) reads it.
unsafe impl Sync for Pending {}

static PENDING: Pending = Pending {
    set: AtomicBool::new(false),
    note: UnsafeCell::new(BlockNote::new(FenceKind::DoubleFree, 0)),
};

/// Keeps `note` for the crash report and aborts: the report of the SIGABRT describes the
/// misuse (the process dies of SIGABRT, as glibc's own checks make it die on a double free).
/// Another thread that gets here meanwhile just aborts.
pub fn report_and_abort(note: &BlockNote) -> ! {
    if PENDING
        .set
        .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
        .is_ok()
    {
        // SAFETY: this thread alone won `set`; nobody reads the note before the abort below.
        unsafe { *PENDING.note.get() = *note };
    }
    crate::sys::abort()
}

/// The note kept by [`report_and_abort`], for the report of its SIGABRT.
pub fn pending() -> Option<BlockNote> {
    // SAFETY: written before `set` was published (see `report_and_abort`).
    PENDING
        .set
        .load(Ordering::Acquire)
        .then(|| unsafe { *PENDING.note.get() })
}
