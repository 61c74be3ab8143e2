//! The C allocation functions. Each is a thin shim written with preload-rt's `hook!`: take
//! the guard (or pass straight through), call glibc's allocator, record.

use std::ffi::{c_int, c_void};

use tracekit_log::{AllocKind, FreeKind};
use tracekit_preload_rt::cabi::{self, set_errno};
use tracekit_preload_rt::guard::Guard;
use tracekit_preload_rt::{hook, real};

use crate::record::{self, ensure_started};

/// Starts the session if needed, allocates with `real`, records the block: the body of every
/// allocating hook.
#[inline(always)]
fn allocated(
    g: &Guard,
    kind: AllocKind,
    size: u64,
    align: u64,
    real: impl FnOnce() -> *mut c_void,
) -> *mut c_void {
    ensure_started();
    let p = real();
    record::alloc(g, kind, p as u64, size, align);
    p
}

/// Records a release, then gives the block back: the body of `free` and of C++'s `delete`s
/// (recorded first, so that no other thread can be handed the same address and record it
/// before us).
///
/// # Safety
/// `ptr` is null or a live block of glibc's allocator, not used afterwards.
#[inline(always)]
pub unsafe fn released(g: Option<Guard>, kind: FreeKind, ptr: *mut c_void, size: u64) {
    if let Some(g) = g {
        record::free(&g, kind, ptr as u64, size);
    }
    // SAFETY: the caller's contract (a block of this allocator, or null).
    unsafe { real::free(ptr) }
}

hook! {
    /// `malloc`.
    fn malloc(size: usize) -> *mut c_void {
        nested => real::malloc(size),
        g => allocated(&g, AllocKind::Malloc, size as u64, 0, || real::malloc(size)),
    }
}

hook! {
    /// `calloc`.
    fn calloc(nmemb: usize, size: usize) -> *mut c_void {
        nested => real::calloc(nmemb, size),
        g => {
            let bytes = (nmemb as u64).saturating_mul(size as u64);
            allocated(&g, AllocKind::Calloc, bytes, 0, || real::calloc(nmemb, size))
        }
    }
}

/// `free`.
///
/// # Safety
/// As C's `free`.
#[cfg_attr(not(test), no_mangle)]
pub unsafe extern "C" fn free(ptr: *mut c_void) {
    // SAFETY: the caller's contract.
    unsafe { released(Guard::enter(), FreeKind::Free, ptr, 0) }
}

/// `realloc`.
///
/// # Safety
/// As C's `realloc`.
#[cfg_attr(not(test), no_mangle)]
pub unsafe extern "C" fn realloc(ptr: *mut c_void, size: usize) -> *mut c_void {
    let Some(g) = Guard::enter() else {
        // SAFETY: the caller's contract.
        return unsafe { real::realloc(ptr, size) };
    };
    ensure_started();
    // SAFETY: the caller's contract.
    let real = || unsafe { real::realloc(ptr, size) } as u64;
    record::realloc(&g, AllocKind::Realloc, ptr as u64, size as u64, real) as *mut c_void
}

/// `reallocarray`.
///
/// # Safety
/// As C's `reallocarray`.
#[cfg_attr(not(test), no_mangle)]
pub unsafe extern "C" fn reallocarray(ptr: *mut c_void, nmemb: usize, size: usize) -> *mut c_void {
    let bytes = nmemb.checked_mul(size);
    let Some(g) = Guard::enter() else {
        return match bytes {
            // SAFETY: the caller's contract.
            Some(b) => unsafe { real::realloc(ptr, b) },
            None => enomem(),
        };
    };
    ensure_started();
    let wanted = (nmemb as u64).saturating_mul(size as u64);
    let real = || match bytes {
        // SAFETY: the caller's contract.
        Some(b) => (unsafe { real::realloc(ptr, b) }) as u64,
        None => enomem() as u64,
    };
    record::realloc(&g, AllocKind::Reallocarray, ptr as u64, wanted, real) as *mut c_void
}

fn enomem() -> *mut c_void {
    set_errno(libc::ENOMEM);
    std::ptr::null_mut()
}

tracekit_preload_rt::export_posix_memalign!(memalign_posix);

/// `posix_memalign`'s work.
///
/// # Safety
/// `memptr` is writable, as C's `posix_memalign` requires.
unsafe fn memalign_posix(memptr: *mut *mut c_void, align: usize, size: usize) -> c_int {
    let g = Guard::enter();
    if g.is_some() {
        ensure_started();
    }
    // SAFETY: the caller's contract.
    let (p, rc) =
        unsafe { cabi::posix_memalign_with(memptr, align, || real::memalign(align, size)) };
    if let Some(g) = &g {
        record::alloc(
            g,
            AllocKind::PosixMemalign,
            p as u64,
            size as u64,
            align as u64,
        );
    }
    rc
}

hook! {
    /// `aligned_alloc`.
    fn aligned_alloc(align: usize, size: usize) -> *mut c_void {
        nested => real::memalign(align, size),
        g => allocated(&g, AllocKind::AlignedAlloc, size as u64, align as u64, || {
            real::memalign(align, size)
        }),
    }
}

hook! {
    /// `memalign`.
    fn memalign(align: usize, size: usize) -> *mut c_void {
        nested => real::memalign(align, size),
        g => allocated(&g, AllocKind::Memalign, size as u64, align as u64, || {
            real::memalign(align, size)
        }),
    }
}

hook! {
    /// `valloc`.
    fn valloc(size: usize) -> *mut c_void {
        nested => real::valloc(size),
        g => allocated(&g, AllocKind::Valloc, size as u64, page_size(), || real::valloc(size)),
    }
}

hook! {
    /// `pvalloc`.
    fn pvalloc(size: usize) -> *mut c_void {
        nested => real::pvalloc(size),
        g => allocated(&g, AllocKind::Pvalloc, size as u64, page_size(), || real::pvalloc(size)),
    }
}

fn page_size() -> u64 {
    4096
}
