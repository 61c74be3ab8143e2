//! The C allocation functions. Each is a thin shim: take the guard (or pass straight
//! through), call glibc's allocator, record.

use std::ffi::{c_int, c_void};

use tracekit_log::{AllocKind, FreeKind};
use tracekit_preload_rt::guard::Guard;
use tracekit_preload_rt::real;

use crate::record::{self, ensure_started};

/// `malloc`.
#[cfg_attr(not(test), no_mangle)]
pub extern "C" fn malloc(size: usize) -> *mut c_void {
    let Some(g) = Guard::enter() else {
        return real::malloc(size);
    };
    ensure_started();
    let p = real::malloc(size);
    record::alloc(&g, AllocKind::Malloc, p as u64, size as u64, 0);
    p
}

/// `calloc`.
#[cfg_attr(not(test), no_mangle)]
pub extern "C" fn calloc(nmemb: usize, size: usize) -> *mut c_void {
    let Some(g) = Guard::enter() else {
        return real::calloc(nmemb, size);
    };
    ensure_started();
    let p = real::calloc(nmemb, size);
    let bytes = (nmemb as u64).saturating_mul(size as u64);
    record::alloc(&g, AllocKind::Calloc, p as u64, bytes, 0);
    p
}

/// `free`.
///
/// # Safety
/// As C's `free`.
#[cfg_attr(not(test), no_mangle)]
pub unsafe extern "C" fn free(ptr: *mut c_void) {
    if let Some(g) = Guard::enter() {
        record::free(&g, FreeKind::Free, ptr as u64, 0);
    }
    // SAFETY: the caller's contract (a block of this allocator, or null).
    unsafe { real::free(ptr) }
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
    // SAFETY: errno is this thread's.
    unsafe { *libc::__errno_location() = libc::ENOMEM };
    std::ptr::null_mut()
}

/// `posix_memalign`.
///
/// # Safety
/// As C's `posix_memalign`: `memptr` is writable.
#[cfg_attr(not(test), no_mangle)]
pub unsafe extern "C" fn posix_memalign(
    memptr: *mut *mut c_void,
    align: usize,
    size: usize,
) -> c_int {
    let valid = align.is_power_of_two() && align.is_multiple_of(std::mem::size_of::<usize>());
    let g = Guard::enter();
    if g.is_some() {
        ensure_started();
    }
    let (p, rc) = if !valid {
        (std::ptr::null_mut(), libc::EINVAL)
    } else {
        let p = real::memalign(align, size);
        (p, if p.is_null() { libc::ENOMEM } else { 0 })
    };
    if rc == 0 {
        // SAFETY: the caller's contract.
        unsafe { *memptr = p };
    }
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

macro_rules! aligned_hook {
    ($(#[$m:meta])* $name:ident, $kind:expr, |$a:ident, $s:ident| $real:expr, $align:expr) => {
        $(#[$m])*
        #[cfg_attr(not(test), no_mangle)]
        pub extern "C" fn $name($a: usize, $s: usize) -> *mut c_void {
            let Some(g) = Guard::enter() else {
                return $real;
            };
            ensure_started();
            let p = $real;
            record::alloc(&g, $kind, p as u64, $s as u64, $align as u64);
            p
        }
    };
}

aligned_hook!(
    /// `aligned_alloc`.
    aligned_alloc, AllocKind::AlignedAlloc, |align, size| real::memalign(align, size), align
);
aligned_hook!(
    /// `memalign`.
    memalign, AllocKind::Memalign, |align, size| real::memalign(align, size), align
);

/// `valloc`.
#[cfg_attr(not(test), no_mangle)]
pub extern "C" fn valloc(size: usize) -> *mut c_void {
    let Some(g) = Guard::enter() else {
        return real::valloc(size);
    };
    ensure_started();
    let p = real::valloc(size);
    record::alloc(&g, AllocKind::Valloc, p as u64, size as u64, page_size());
    p
}

/// `pvalloc`.
#[cfg_attr(not(test), no_mangle)]
pub extern "C" fn pvalloc(size: usize) -> *mut c_void {
    let Some(g) = Guard::enter() else {
        return real::pvalloc(size);
    };
    ensure_started();
    let p = real::pvalloc(size);
    record::alloc(&g, AllocKind::Pvalloc, p as u64, size as u64, page_size());
    p
}

fn page_size() -> u64 {
    4096
}
