//! A [`GlobalAlloc`] wrapper that reports every block of the allocator it wraps to tracekit's
//! heap tracker (`tracekit heap -- PROGRAM`), for programs whose allocator the tracker's
//! `malloc` hooks cannot see (jemalloc, mimalloc, a pool of their own).
//!
//! ```
//! use std::alloc::System;
//!
//! #[global_allocator]
//! static GLOBAL: tracekit_alloc::Traced<System> = tracekit_alloc::Traced(System);
//!
//! let v = vec![1u8; 100]; // reported when the tracker is loaded, a plain allocation otherwise
//! assert_eq!(v.len(), 100);
//! ```
//!
//! The tracker's entry points (`tracekit_heap_alloc`, `_free`, `_realloc`, the functions that
//! C programs reach through `tracekit_heap.h`) are looked up once with `dlsym`; without the
//! tracker loaded each call costs one atomic load more than the wrapped allocator's.
//!
//! A reallocation is reported after the wrapped allocator has moved the block, so in a
//! program whose threads allocate at the same time another thread may be handed the old
//! address and report it first; a release is reported before the block goes back.

use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::OnceLock;

/// Reports every block of `A` to the heap tracker (see the crate docs).
#[derive(Debug, Default, Clone, Copy)]
pub struct Traced<A>(pub A);

type AllocFn = unsafe extern "C" fn(*const c_void, usize);
type FreeFn = unsafe extern "C" fn(*const c_void);
type ReallocFn = unsafe extern "C" fn(*const c_void, *const c_void, usize);

/// The tracker's entry points, when it is loaded.
#[derive(Clone, Copy)]
struct Tracker {
    alloc: AllocFn,
    free: FreeFn,
    realloc: ReallocFn,
}

/// 0: not looked up yet; 1: looked up (see `TRACKER`).
static LOOKED_UP: AtomicU8 = AtomicU8::new(0);
static TRACKER: OnceLock<Option<Tracker>> = OnceLock::new();

/// Looks `name` (NUL-terminated) up in every loaded object.
fn lookup(name: &[u8]) -> *mut c_void {
    debug_assert_eq!(name.last(), Some(&0));
    // SAFETY: `name` is NUL-terminated; `RTLD_DEFAULT` searches the global scope. glibc's
    // `dlsym` allocates (if at all) with glibc's malloc, never with this global allocator, so
    // calling it from inside the allocator does not recurse.
    unsafe { libc::dlsym(libc::RTLD_DEFAULT, name.as_ptr().cast()) }
}

fn find() -> Option<Tracker> {
    let (a, f, r) = (
        lookup(b"tracekit_heap_alloc\0"),
        lookup(b"tracekit_heap_free\0"),
        lookup(b"tracekit_heap_realloc\0"),
    );
    if a.is_null() || f.is_null() || r.is_null() {
        return None;
    }
    // SAFETY: the tracker defines these symbols with exactly these C signatures
    // (preload-heaptrack's `api` module).
    Some(unsafe {
        Tracker {
            alloc: std::mem::transmute::<*mut c_void, AllocFn>(a),
            free: std::mem::transmute::<*mut c_void, FreeFn>(f),
            realloc: std::mem::transmute::<*mut c_void, ReallocFn>(r),
        }
    })
}

#[inline]
fn tracker() -> Option<Tracker> {
    if LOOKED_UP.load(Ordering::Acquire) == 1 {
        return TRACKER.get().copied().flatten();
    }
    // `OnceLock` does not allocate; two threads racing here both find the same answer.
    let t = *TRACKER.get_or_init(find);
    LOOKED_UP.store(1, Ordering::Release);
    t
}

// SAFETY: every call is forwarded to `A` unchanged and its result returned unchanged; the
// reports only read the pointers and sizes.
unsafe impl<A: GlobalAlloc> GlobalAlloc for Traced<A> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract, passed on.
        let p = unsafe { self.0.alloc(layout) };
        if let (Some(t), false) = (tracker(), p.is_null()) {
            // SAFETY: the tracker's function, called with a block and its size.
            unsafe { (t.alloc)(p.cast(), layout.size()) };
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract, passed on.
        let p = unsafe { self.0.alloc_zeroed(layout) };
        if let (Some(t), false) = (tracker(), p.is_null()) {
            // SAFETY: as in `alloc`.
            unsafe { (t.alloc)(p.cast(), layout.size()) };
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if let Some(t) = tracker() {
            // SAFETY: the tracker's function, called with a live block before it goes back.
            unsafe { (t.free)(ptr.cast()) };
        }
        // SAFETY: the caller's contract, passed on.
        unsafe { self.0.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller's contract, passed on.
        let p = unsafe { self.0.realloc(ptr, layout, new_size) };
        if let (Some(t), false) = (tracker(), p.is_null()) {
            // SAFETY: the tracker's function: the block `ptr` is now `new_size` bytes at `p`.
            unsafe { (t.realloc)(ptr.cast(), p.cast(), new_size) };
        }
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Without the tracker loaded nothing is found, and the wrapper is the allocator it wraps.
    #[test]
    fn without_the_tracker_blocks_pass_through() {
        assert!(tracker().is_none());
        let a = Traced(std::alloc::System);
        let layout = Layout::from_size_align(64, 16).unwrap();
        // SAFETY: a non-zero layout; the block is written within its size and released once.
        unsafe {
            let p = a.alloc_zeroed(layout);
            assert!(!p.is_null() && (p as usize).is_multiple_of(16));
            assert_eq!(*p.add(63), 0);
            let q = a.realloc(p, layout, 128);
            *q.add(127) = 1;
            a.dealloc(q, Layout::from_size_align(128, 16).unwrap());
        }
    }
}
