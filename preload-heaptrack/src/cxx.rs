//! The C++ operators: every `operator new` and `operator delete` of C++17 (plain, array,
//! sized, aligned, nothrow), each recorded with its own kind. The operators themselves (and
//! the assembly that lets the throwing ones throw) are preload-rt's `cxx_operators!`; here are
//! what they call.

#![allow(non_snake_case)] // the operators have their mangled C++ names

use std::ffi::c_void;

use tracekit_log::{AllocKind, FreeKind};
use tracekit_preload_rt::guard::Guard;
use tracekit_preload_rt::{cxx, real};

use crate::record::{self, ensure_started};

/// Allocates for an `operator new` of `kind` (`align` 0: the default alignment) and records
/// it. On failure, prepares the fallback the assembly jumps to.
extern "C" fn tk_new(size: usize, align: usize, kind: u32) -> *mut c_void {
    let alloc = || {
        if align == 0 {
            real::malloc(size.max(1))
        } else {
            real::memalign(align, size.max(1))
        }
    };
    let Some(g) = Guard::enter() else {
        return alloc();
    };
    ensure_started();
    let kind = AllocKind::from_code(kind as u8).unwrap_or(AllocKind::New);
    let p = alloc();
    record::alloc(&g, kind, p as u64, size as u64, align as u64);
    if p.is_null() {
        cxx::prepare_throw(kind);
    }
    p
}

/// Records the release of a block from operator new (i.e. from glibc), then frees it.
///
/// # Safety
/// `ptr` is null or a live block from a matching `operator new`.
unsafe fn tk_delete(kind: FreeKind, ptr: *mut c_void, size: usize) {
    // SAFETY: the caller's contract.
    unsafe { crate::hooks::released(Guard::enter(), kind, ptr, size as u64) }
}

tracekit_preload_rt::cxx_operators!(new: tk_new, delete: tk_delete);
