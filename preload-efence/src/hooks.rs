//! The allocation family, C and C++, over the fence allocator ([`crate::fence`]). A request
//! the sampler passes over (`TRACEKIT_EFENCE_SAMPLE`) goes to glibc's allocator, and so does
//! the release of a block that is not ours in that mode; without sampling every block is ours,
//! and a pointer that is not is reported as an invalid free.

#![allow(non_snake_case)] // the C++ operators have their mangled names

use core::ffi::{c_int, c_void};

use tracekit_crash::fault::{report_and_abort, BlockNote};
use tracekit_log_core::{AllocKind, FenceKind, FreeKind};
use tracekit_preload_rt::cabi::{self, set_errno};
use tracekit_preload_rt::sys::NextFn;
use tracekit_preload_rt::{cxx, real};

use crate::fence::{self, Placed, Request};

/// A block for the request `r` makes, from us or (not sampled) from glibc; NULL with errno
/// on failure. The request is made past the fast path only: a request passed over builds
/// nothing.
#[inline(always)]
fn allocate(r: impl FnOnce() -> Request, real: impl FnOnce() -> *mut c_void) -> *mut c_void {
    if fence::passed_over_fast() {
        return real();
    }
    allocate_slow(r, real)
}

/// [`allocate`] past its fast path, out of line: the hook's path to glibc then makes no call
/// but glibc's (a tail call, with no stack frame of its own).
#[inline(never)]
fn allocate_slow(r: impl FnOnce() -> Request, real: impl FnOnce() -> *mut c_void) -> *mut c_void {
    if fence::passed_over() {
        return real();
    }
    match fence::allocate(r()) {
        Placed::Ours(p) => p.cast(),
        Placed::Failed(e) => {
            set_errno(e);
            core::ptr::null_mut()
        }
    }
}

fn request(size: usize, align: usize, kind: AllocKind) -> Request {
    Request {
        size,
        align,
        kind,
        zero: false,
    }
}

/// Releases `p` by `kind`: ours to the fence allocator, glibc's (sampling) to glibc; anything
/// else is reported. Inlined into `free`: in sampled mode a pointer of glibc's is told apart
/// by a range check, and the hook tail-calls glibc's `free` with no stack frame of its own.
///
/// # Safety
/// As C's `free`.
#[inline(always)]
unsafe fn release(p: *mut c_void, kind: FreeKind) {
    if fence::owns(p.cast()) {
        release_ours(p, kind);
    } else if p.is_null() {
    } else if fence::sampling() {
        // SAFETY: not ours, and sampling sends what it passes over to glibc: the caller's
        // contract makes it a block of glibc's.
        unsafe { real::free(p) }
    } else {
        not_ours(p, kind);
    }
}

/// [`release`] of a pointer in our reservation, out of line.
#[inline(never)]
fn release_ours(p: *mut c_void, kind: FreeKind) {
    fence::release(p.cast(), kind);
}

/// [`release`] of a pointer that no allocation of ours returned, with every block ours: an
/// invalid free, reported.
#[cold]
#[inline(never)]
fn not_ours(p: *mut c_void, kind: FreeKind) -> ! {
    let mut note = BlockNote::new(FenceKind::InvalidFree, p as u64);
    note.free_fn = kind.name();
    report_and_abort(&note)
}

/// `malloc`.
#[cfg_attr(not(test), no_mangle)]
pub extern "C" fn malloc(size: usize) -> *mut c_void {
    allocate(
        move || request(size, 0, AllocKind::Malloc),
        move || real::malloc(size),
    )
}

/// `calloc`.
#[cfg_attr(not(test), no_mangle)]
pub extern "C" fn calloc(nmemb: usize, size: usize) -> *mut c_void {
    let Some(bytes) = nmemb.checked_mul(size) else {
        set_errno(libc::ENOMEM);
        return core::ptr::null_mut();
    };
    let r = Request {
        zero: true,
        ..request(bytes, 0, AllocKind::Calloc)
    };
    allocate(move || r, move || real::calloc(nmemb, size))
}

/// `free`.
///
/// # Safety
/// As C's `free`.
#[cfg_attr(not(test), no_mangle)]
pub unsafe extern "C" fn free(ptr: *mut c_void) {
    // SAFETY: the caller's contract.
    unsafe { release(ptr, FreeKind::Free) }
}

/// `realloc`: a new block (guarded as any), the old bytes copied, the old block freed (so a
/// stale pointer to it faults).
///
/// # Safety
/// As C's `realloc`.
#[cfg_attr(not(test), no_mangle)]
pub unsafe extern "C" fn realloc(ptr: *mut c_void, size: usize) -> *mut c_void {
    // SAFETY: the caller's contract.
    unsafe { reallocate(ptr, size, AllocKind::Realloc) }
}

/// `reallocarray`.
///
/// # Safety
/// As C's `reallocarray`.
#[cfg_attr(not(test), no_mangle)]
pub unsafe extern "C" fn reallocarray(ptr: *mut c_void, nmemb: usize, size: usize) -> *mut c_void {
    match nmemb.checked_mul(size) {
        // SAFETY: the caller's contract.
        Some(bytes) => unsafe { reallocate(ptr, bytes, AllocKind::Reallocarray) },
        None => {
            set_errno(libc::ENOMEM);
            core::ptr::null_mut()
        }
    }
}

/// # Safety
/// As C's `realloc`.
unsafe fn reallocate(ptr: *mut c_void, size: usize, kind: AllocKind) -> *mut c_void {
    if ptr.is_null() {
        return allocate(move || request(size, 0, kind), move || real::malloc(size));
    }
    if !fence::owns(ptr.cast()) && fence::sampling() {
        // SAFETY: glibc's block (sampling), per the caller's contract; told apart by a range
        // check, as `free` tells it.
        return unsafe { real::realloc(ptr, size) };
    }
    let old = match fence::size_of(ptr.cast()) {
        Some(n) => n,
        // Not a live block of ours: `release` says what it is.
        None => {
            // SAFETY: the caller's contract; this reports and aborts.
            unsafe { release(ptr, FreeKind::Free) };
            return core::ptr::null_mut();
        }
    };
    if size == 0 {
        // glibc frees and returns NULL.
        // SAFETY: a live block of ours.
        unsafe { release(ptr, FreeKind::Free) };
        return core::ptr::null_mut();
    }
    let new = allocate(move || request(size, 0, kind), move || real::malloc(size));
    if new.is_null() {
        return new;
    }
    // SAFETY: both blocks are live and at least this long; they are distinct.
    unsafe { core::ptr::copy_nonoverlapping(ptr.cast::<u8>(), new.cast::<u8>(), old.min(size)) };
    // SAFETY: the old block, live, ours.
    unsafe { release(ptr, FreeKind::Free) };
    new
}

tracekit_preload_rt::export_posix_memalign!(memalign_posix);

/// `posix_memalign`'s work.
///
/// # Safety
/// `memptr` is writable, as C's `posix_memalign` requires.
unsafe fn memalign_posix(memptr: *mut *mut c_void, align: usize, size: usize) -> c_int {
    let r = request(size, align, AllocKind::PosixMemalign);
    // SAFETY: the caller's contract.
    unsafe {
        cabi::posix_memalign_with(memptr, align, || {
            allocate(move || r, move || real::memalign(align, size))
        })
    }
    .1
}

/// `memalign` and `aligned_alloc` as glibc (before 2.38) has them: an alignment that is not a
/// power of two is rounded up to one (a program that works on glibc must work here); one too
/// large to round is EINVAL.
fn aligned(size: usize, align: usize, kind: AllocKind) -> *mut c_void {
    let Some(align) = align
        .checked_next_power_of_two()
        .filter(|&a| a <= isize::MAX as usize + 1)
    else {
        set_errno(libc::EINVAL);
        return core::ptr::null_mut();
    };
    allocate(
        move || request(size, align, kind),
        move || real::memalign(align, size),
    )
}

/// `aligned_alloc`.
#[cfg_attr(not(test), no_mangle)]
pub extern "C" fn aligned_alloc(align: usize, size: usize) -> *mut c_void {
    aligned(size, align, AllocKind::AlignedAlloc)
}

/// `memalign`.
#[cfg_attr(not(test), no_mangle)]
pub extern "C" fn memalign(align: usize, size: usize) -> *mut c_void {
    aligned(size, align, AllocKind::Memalign)
}

/// `valloc`.
#[cfg_attr(not(test), no_mangle)]
pub extern "C" fn valloc(size: usize) -> *mut c_void {
    aligned(size, sys_page(), AllocKind::Valloc)
}

/// `pvalloc`: `valloc` of the size rounded up to whole pages.
#[cfg_attr(not(test), no_mangle)]
pub extern "C" fn pvalloc(size: usize) -> *mut c_void {
    let Some(rounded) = size.max(1).checked_next_multiple_of(sys_page()) else {
        set_errno(libc::ENOMEM);
        return core::ptr::null_mut();
    };
    aligned(rounded, sys_page(), AllocKind::Pvalloc)
}

fn sys_page() -> usize {
    tracekit_preload_rt::sys::PAGE
}

/// `malloc_usable_size`: exactly the size asked for (a program that uses more than it asked
/// for overflows, and is told so).
///
/// # Safety
/// As C's `malloc_usable_size`.
#[cfg_attr(not(test), no_mangle)]
pub unsafe extern "C" fn malloc_usable_size(ptr: *mut c_void) -> usize {
    if ptr.is_null() {
        return 0;
    }
    if fence::owns(ptr.cast()) {
        return fence::size_of(ptr.cast()).unwrap_or(0);
    }
    if !fence::sampling() {
        // Every block is ours: this is none.
        return 0;
    }
    static GLIBC: NextFn = NextFn::new(c"malloc_usable_size");
    type UsableSize = unsafe extern "C" fn(*mut c_void) -> usize;
    // SAFETY: glibc's malloc_usable_size has this signature.
    match unsafe { GLIBC.get::<UsableSize>() } {
        // SAFETY: glibc's block (sampling), per the caller's contract.
        Some(f) => unsafe { f(ptr) },
        None => 0,
    }
}

/// The C++ operators' allocation: ours, or (not sampled) glibc's.
extern "C" fn tk_new(size: usize, align: usize, kind: u32) -> *mut c_void {
    let kind = AllocKind::from_code(kind as u8).unwrap_or(AllocKind::New);
    let p = allocate(
        move || request(size, align, kind),
        move || {
            if align == 0 {
                real::malloc(size.max(1))
            } else {
                real::memalign(align, size.max(1))
            }
        },
    );
    if p.is_null() {
        cxx::prepare_throw(kind);
    }
    p
}

/// # Safety
/// As the C++ operators: `ptr` is null or a live block from the matching `new`.
unsafe fn tk_delete(kind: FreeKind, ptr: *mut c_void, _size: usize) {
    // SAFETY: the caller's contract.
    unsafe { release(ptr, kind) }
}

tracekit_preload_rt::cxx_operators!(new: tk_new, delete: tk_delete);
