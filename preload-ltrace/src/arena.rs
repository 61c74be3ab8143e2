//! The agent's allocator: a bump allocator on its own anonymous mappings, so that what the
//! constructor allocates (the names, the function table) never touches the program's heap.
//! A traced program then sees the heap it would see alone (the same `malloc` results and
//! paths, hence the same values left in registers that ltrace prints for functions without
//! a prototype). Freed blocks are not reused: only the constructor allocates, a few KiB.

use std::alloc::{GlobalAlloc, Layout};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

/// How many blocks the arena has handed out (the no-allocation test reads it).
pub fn allocations() -> usize {
    ALLOCATIONS.load(Ordering::Relaxed)
}

/// Bytes per mapping (larger requests get their own).
const CHUNK: usize = 1 << 20;

/// The bump allocator (see the module).
#[derive(Debug, Default)]
pub struct Arena {
    busy: AtomicBool,
    next: AtomicUsize,
    end: AtomicUsize,
}

impl Arena {
    /// An empty arena (the first allocation maps its first chunk).
    pub const fn new() -> Arena {
        Arena {
            busy: AtomicBool::new(false),
            next: AtomicUsize::new(0),
            end: AtomicUsize::new(0),
        }
    }
}

fn map(len: usize) -> usize {
    // SAFETY: a fresh private anonymous mapping.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        0
    } else {
        p as usize
    }
}

// SAFETY: each block is a distinct, suitably aligned range of a live mapping never unmapped;
// the spin flag makes the bump atomic (allocation never happens in a hook or a signal
// handler, only in the constructor and Rust code outside the hooks).
unsafe impl GlobalAlloc for Arena {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        while self
            .busy
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            std::hint::spin_loop();
        }
        let mut at = self
            .next
            .load(Ordering::Relaxed)
            .next_multiple_of(layout.align());
        if at == 0 || at + layout.size() > self.end.load(Ordering::Relaxed) {
            let len = CHUNK.max((layout.size() + layout.align()).next_multiple_of(4096));
            let p = map(len);
            if p == 0 {
                self.busy.store(false, Ordering::Release);
                return std::ptr::null_mut();
            }
            self.end.store(p + len, Ordering::Relaxed);
            at = p.next_multiple_of(layout.align());
        }
        self.next.store(at + layout.size(), Ordering::Relaxed);
        self.busy.store(false, Ordering::Release);
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        at as *mut u8
    }

    unsafe fn dealloc(&self, _: *mut u8, _: Layout) {}
}
