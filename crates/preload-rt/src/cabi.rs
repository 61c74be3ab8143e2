//! What C asks of an allocation function beyond the allocation: `errno`, and
//! `posix_memalign`'s checks and out-pointer. Shared by every preload library that replaces
//! the allocator, so each hook is only its own policy.

use std::ffi::{c_int, c_void};

/// Sets the calling thread's `errno`, as a failing libc function does.
pub fn set_errno(e: c_int) {
    // SAFETY: no preconditions.
    let slot = unsafe { libc::__errno_location() };
    // SAFETY: glibc's errno slot of this thread: valid and aligned for an int.
    unsafe { *slot = e };
}

/// `posix_memalign` around `alloc`: `EINVAL` (and no allocation) unless `align` is a power of
/// two multiple of `sizeof(void *)`, `ENOMEM` when `alloc` returns NULL, else the block in
/// `*memptr` and 0. Returns the block (NULL on failure) and the status.
///
/// # Safety
/// `memptr` is valid for writing a pointer (the caller's own contract).
pub unsafe fn posix_memalign_with(
    memptr: *mut *mut c_void,
    align: usize,
    alloc: impl FnOnce() -> *mut c_void,
) -> (*mut c_void, c_int) {
    if !align.is_power_of_two() || !align.is_multiple_of(std::mem::size_of::<usize>()) {
        return (std::ptr::null_mut(), libc::EINVAL);
    }
    let p = alloc();
    if p.is_null() {
        return (p, libc::ENOMEM);
    }
    // SAFETY: the caller's contract.
    unsafe { *memptr = p };
    (p, 0)
}

/// Exports `posix_memalign` (not in unit tests) over `$imp`, an
/// `unsafe fn(memptr: *mut *mut c_void, align: usize, size: usize) -> c_int` of the library's
/// whose contract is C's.
#[macro_export]
macro_rules! export_posix_memalign {
    ($imp:path) => {
        /// `posix_memalign`.
        ///
        /// # Safety
        /// As C's `posix_memalign`: `memptr` is writable.
        #[cfg_attr(not(test), no_mangle)]
        pub unsafe extern "C" fn posix_memalign(
            memptr: *mut *mut core::ffi::c_void,
            align: usize,
            size: usize,
        ) -> core::ffi::c_int {
            // SAFETY: the caller's contract, which is `$imp`'s.
            unsafe { $imp(memptr, align, size) }
        }
    };
}
