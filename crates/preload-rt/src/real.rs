//! The real allocator: glibc's exported `__libc_*` entry points.
//!
//! A preload library that defines `malloc` can't call `malloc` to allocate; these names reach
//! glibc's allocator directly, without `dlsym` (which itself may allocate) and without a
//! bootstrap buffer. [`RealAllocator`] is the `#[global_allocator]` a preload cdylib installs
//! so its own Rust allocations never go through its hooks.

use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

extern "C" {
    fn __libc_malloc(size: usize) -> *mut c_void;
    fn __libc_free(ptr: *mut c_void);
    fn __libc_calloc(nmemb: usize, size: usize) -> *mut c_void;
    fn __libc_realloc(ptr: *mut c_void, size: usize) -> *mut c_void;
    fn __libc_memalign(align: usize, size: usize) -> *mut c_void;
    fn __libc_valloc(size: usize) -> *mut c_void;
    fn __libc_pvalloc(size: usize) -> *mut c_void;
}

/// glibc's `malloc`.
#[inline]
pub fn malloc(size: usize) -> *mut c_void {
    // SAFETY: glibc's allocator accepts any size and returns null on failure.
    unsafe { __libc_malloc(size) }
}

/// glibc's `calloc`.
#[inline]
pub fn calloc(nmemb: usize, size: usize) -> *mut c_void {
    // SAFETY: as `malloc`; calloc checks the multiplication for overflow.
    unsafe { __libc_calloc(nmemb, size) }
}

/// glibc's `memalign` (also what `aligned_alloc` and `posix_memalign` use).
#[inline]
pub fn memalign(align: usize, size: usize) -> *mut c_void {
    // SAFETY: glibc validates `align` (EINVAL, null) and size.
    unsafe { __libc_memalign(align, size) }
}

/// glibc's `valloc`.
#[inline]
pub fn valloc(size: usize) -> *mut c_void {
    // SAFETY: as `malloc`.
    unsafe { __libc_valloc(size) }
}

/// glibc's `pvalloc`.
#[inline]
pub fn pvalloc(size: usize) -> *mut c_void {
    // SAFETY: as `malloc`.
    unsafe { __libc_pvalloc(size) }
}

/// glibc's `free`.
///
/// # Safety
/// `ptr` is null or a live block from this allocator, not used afterwards.
#[inline]
pub unsafe fn free(ptr: *mut c_void) {
    // SAFETY: the caller's contract.
    unsafe { __libc_free(ptr) }
}

/// glibc's `realloc`.
///
/// # Safety
/// `ptr` is null or a live block from this allocator; on success it is no longer valid.
#[inline]
pub unsafe fn realloc(ptr: *mut c_void, size: usize) -> *mut c_void {
    // SAFETY: the caller's contract.
    unsafe { __libc_realloc(ptr, size) }
}

static RUST_ALLOCATIONS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// How many allocations [`RealAllocator`] has made outside the runtime's helper threads (the
/// no-allocation test reads it: a helper thread, such as the compressor that a first mapping
/// starts at any moment, allocates its buffers on purpose, outside the hooks).
pub fn rust_allocations() -> u64 {
    RUST_ALLOCATIONS.load(std::sync::atomic::Ordering::Relaxed)
}

fn count() {
    if !crate::guard::Guard::is_helper() {
        RUST_ALLOCATIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// A `GlobalAlloc` on glibc's allocator that bypasses any `malloc` hook.
#[derive(Debug, Clone, Copy, Default)]
pub struct RealAllocator;

/// glibc's `malloc` already aligns to 16 bytes on x86_64 (2 * sizeof(size_t) elsewhere).
const MALLOC_ALIGN: usize = 2 * std::mem::size_of::<usize>();

// SAFETY: every block comes from glibc's allocator with at least the layout's alignment
// (memalign when malloc's natural alignment is not enough) and goes back to it.
unsafe impl GlobalAlloc for RealAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        if layout.align() <= MALLOC_ALIGN {
            malloc(layout.size()).cast()
        } else {
            memalign(layout.align(), layout.size()).cast()
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        if layout.align() <= MALLOC_ALIGN {
            calloc(1, layout.size()).cast()
        } else {
            let p = memalign(layout.align(), layout.size()).cast::<u8>();
            if !p.is_null() {
                // SAFETY: p is a fresh block of layout.size() bytes.
                unsafe { p.write_bytes(0, layout.size()) };
            }
            p
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        // SAFETY: ptr came from alloc above (GlobalAlloc contract).
        unsafe { free(ptr.cast()) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        if layout.align() <= MALLOC_ALIGN {
            // SAFETY: ptr came from alloc above (GlobalAlloc contract).
            unsafe { realloc(ptr.cast(), new_size).cast() }
        } else {
            let new = memalign(layout.align(), new_size).cast::<u8>();
            if !new.is_null() {
                // SAFETY: `ptr` is a live block of `layout.size()` bytes (GlobalAlloc
                // contract), `new` a fresh one of `new_size`: both hold min(old, new) bytes,
                // and two distinct live blocks do not overlap.
                unsafe { new.copy_from_nonoverlapping(ptr, layout.size().min(new_size)) };
                // SAFETY: `ptr` came from `alloc` above (GlobalAlloc contract) and its bytes
                // have been copied out; the caller no longer uses it once realloc succeeds.
                unsafe { free(ptr.cast()) };
            }
            new
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_allocator_honours_alignment() {
        let a = RealAllocator;
        for align in [1, 8, 16, 64, 4096] {
            let l = Layout::from_size_align(100, align).unwrap();
            // SAFETY: `l` has a non-zero size.
            let p = unsafe { a.alloc_zeroed(l) };
            assert!(!p.is_null());
            assert_eq!(p as usize % align, 0);
            // SAFETY: the block is 100 bytes long, so byte 99 is its last.
            let last = unsafe { p.add(99) };
            // SAFETY: `last` is inside the live block, which alloc_zeroed initialised.
            assert_eq!(unsafe { *last }, 0);
            // SAFETY: `p` is live and was allocated with `l`; 5000 is a non-zero size.
            let p = unsafe { a.realloc(p, l, 5000) };
            assert_eq!(p as usize % align, 0);
            let l = Layout::from_size_align(5000, align).unwrap();
            // SAFETY: `p` is live and its layout is now `l` (the size given to realloc).
            unsafe { a.dealloc(p, l) };
        }
    }
}
