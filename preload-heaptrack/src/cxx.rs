//! The C++ operators: every `operator new` and `operator delete` of C++17 (plain, array,
//! sized, aligned, nothrow), each recorded with its own kind.
//!
//! The throwing `operator new`s must throw `std::bad_alloc` on failure, and an exception may
//! not unwind through a Rust frame (the workspace builds with `panic = "abort"`). So they are
//! small assembly functions: call `tk_new` (which allocates and records), return its block,
//! or on failure *jump* (leaving no frame of ours) to libstdc++'s own operator, which runs
//! the new-handler and throws. Their unwind info is written by hand, so backtraces walk
//! through them.

#![allow(non_snake_case)] // the operators have their mangled C++ names

use std::ffi::c_void;
use tracekit_preload_rt::sys::NextFn;

use tracekit_log::{AllocKind, FreeKind};
use tracekit_preload_rt::guard::Guard;
use tracekit_preload_rt::real;

use crate::record::{self, ensure_started};

/// libstdc++'s throwing operators, resolved when an allocation first fails (the assembly below
/// jumps through them; `abort` when libstdc++ is not loaded, which cannot happen for a program
/// that calls `operator new`).
static REAL_NEW: NextFn = NextFn::new(c"_Znwm");
static REAL_NEW_ARRAY: NextFn = NextFn::new(c"_Znam");
static REAL_NEW_ALIGNED: NextFn = NextFn::new(c"_ZnwmSt11align_val_t");
static REAL_NEW_ARRAY_ALIGNED: NextFn = NextFn::new(c"_ZnamSt11align_val_t");

fn resolve(next: &NextFn) {
    next.addr_or(libc::abort as unsafe extern "C" fn() -> ! as usize);
}

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
        match kind {
            AllocKind::New => resolve(&REAL_NEW),
            AllocKind::NewArray => resolve(&REAL_NEW_ARRAY),
            AllocKind::NewAligned => resolve(&REAL_NEW_ALIGNED),
            AllocKind::NewArrayAligned => resolve(&REAL_NEW_ARRAY_ALIGNED),
            _ => {}
        }
    }
    p
}

macro_rules! throwing_new {
    ($(#[$m:meta])* $name:ident, $kind:expr, $real:ident) => {
        $(#[$m])*
        #[unsafe(naked)]
        #[cfg_attr(not(test), no_mangle)]
        pub extern "C" fn $name(_size: usize) -> *mut c_void {
            core::arch::naked_asm!(
                ".cfi_startproc",
                "push rdi",
                ".cfi_adjust_cfa_offset 8",
                "xor esi, esi",
                "mov edx, {kind}",
                "call {imp}",
                "pop rdi",
                ".cfi_adjust_cfa_offset -8",
                "test rax, rax",
                "jz 2f",
                "ret",
                "2:",
                "jmp qword ptr [rip + {real}]",
                ".cfi_endproc",
                kind = const $kind as u8 as u32,
                imp = sym tk_new,
                real = sym $real,
            )
        }
    };
}

macro_rules! throwing_new_aligned {
    ($(#[$m:meta])* $name:ident, $kind:expr, $real:ident) => {
        $(#[$m])*
        #[unsafe(naked)]
        #[cfg_attr(not(test), no_mangle)]
        pub extern "C" fn $name(_size: usize, _align: usize) -> *mut c_void {
            core::arch::naked_asm!(
                ".cfi_startproc",
                "push rdi",
                ".cfi_adjust_cfa_offset 8",
                "push rsi",
                ".cfi_adjust_cfa_offset 8",
                "sub rsp, 8",
                ".cfi_adjust_cfa_offset 8",
                "mov edx, {kind}",
                "call {imp}",
                "add rsp, 8",
                ".cfi_adjust_cfa_offset -8",
                "pop rsi",
                ".cfi_adjust_cfa_offset -8",
                "pop rdi",
                ".cfi_adjust_cfa_offset -8",
                "test rax, rax",
                "jz 2f",
                "ret",
                "2:",
                "jmp qword ptr [rip + {real}]",
                ".cfi_endproc",
                kind = const $kind as u8 as u32,
                imp = sym tk_new,
                real = sym $real,
            )
        }
    };
}

throwing_new!(
    /// `operator new(size_t)`.
    _Znwm, AllocKind::New, REAL_NEW
);
throwing_new!(
    /// `operator new[](size_t)`.
    _Znam, AllocKind::NewArray, REAL_NEW_ARRAY
);
throwing_new_aligned!(
    /// `operator new(size_t, align_val_t)`.
    _ZnwmSt11align_val_t, AllocKind::NewAligned, REAL_NEW_ALIGNED
);
throwing_new_aligned!(
    /// `operator new[](size_t, align_val_t)`.
    _ZnamSt11align_val_t, AllocKind::NewArrayAligned, REAL_NEW_ARRAY_ALIGNED
);

/// `operator new(size_t, nothrow_t const&)`.
#[cfg_attr(not(test), no_mangle)]
pub extern "C" fn _ZnwmRKSt9nothrow_t(size: usize, _nt: *const c_void) -> *mut c_void {
    tk_new(size, 0, AllocKind::NewNothrow as u32)
}

/// `operator new[](size_t, nothrow_t const&)`.
#[cfg_attr(not(test), no_mangle)]
pub extern "C" fn _ZnamRKSt9nothrow_t(size: usize, _nt: *const c_void) -> *mut c_void {
    tk_new(size, 0, AllocKind::NewArrayNothrow as u32)
}

/// `operator new(size_t, align_val_t, nothrow_t const&)`.
#[cfg_attr(not(test), no_mangle)]
pub extern "C" fn _ZnwmSt11align_val_tRKSt9nothrow_t(
    size: usize,
    align: usize,
    _nt: *const c_void,
) -> *mut c_void {
    tk_new(size, align, AllocKind::NewAlignedNothrow as u32)
}

/// `operator new[](size_t, align_val_t, nothrow_t const&)`.
#[cfg_attr(not(test), no_mangle)]
pub extern "C" fn _ZnamSt11align_val_tRKSt9nothrow_t(
    size: usize,
    align: usize,
    _nt: *const c_void,
) -> *mut c_void {
    tk_new(size, align, AllocKind::NewArrayAlignedNothrow as u32)
}

macro_rules! deletes {
    ($($(#[$m:meta])* $name:ident($($arg:ident: $t:ty),*) => $kind:expr, $size:expr;)*) => {$(
        $(#[$m])*
        ///
        /// # Safety
        /// As the C++ operator: `ptr` is null or a live block from the matching `new`.
        #[cfg_attr(not(test), no_mangle)]
        pub unsafe extern "C" fn $name(ptr: *mut c_void, $($arg: $t),*) {
            $(let _ = $arg;)*
            // SAFETY: the caller's contract: a block from operator new (i.e. from glibc).
            unsafe { crate::hooks::released(Guard::enter(), $kind, ptr, $size as u64) }
        }
    )*};
}

deletes! {
    /// `operator delete(void*)`.
    _ZdlPv() => FreeKind::Delete, 0;
    /// `operator delete[](void*)`.
    _ZdaPv() => FreeKind::DeleteArray, 0;
    /// `operator delete(void*, size_t)`.
    _ZdlPvm(size: usize) => FreeKind::DeleteSized, size;
    /// `operator delete[](void*, size_t)`.
    _ZdaPvm(size: usize) => FreeKind::DeleteArraySized, size;
    /// `operator delete(void*, align_val_t)`.
    _ZdlPvSt11align_val_t(align: usize) => FreeKind::DeleteAligned, 0;
    /// `operator delete[](void*, align_val_t)`.
    _ZdaPvSt11align_val_t(align: usize) => FreeKind::DeleteArrayAligned, 0;
    /// `operator delete(void*, size_t, align_val_t)`.
    _ZdlPvmSt11align_val_t(size: usize, align: usize) => FreeKind::DeleteSizedAligned, size;
    /// `operator delete[](void*, size_t, align_val_t)`.
    _ZdaPvmSt11align_val_t(size: usize, align: usize) => FreeKind::DeleteArraySizedAligned, size;
    /// `operator delete(void*, nothrow_t const&)`.
    _ZdlPvRKSt9nothrow_t(nt: *const c_void) => FreeKind::DeleteNothrow, 0;
    /// `operator delete[](void*, nothrow_t const&)`.
    _ZdaPvRKSt9nothrow_t(nt: *const c_void) => FreeKind::DeleteArrayNothrow, 0;
    /// `operator delete(void*, align_val_t, nothrow_t const&)`.
    _ZdlPvSt11align_val_tRKSt9nothrow_t(align: usize, nt: *const c_void) => FreeKind::DeleteAligned, 0;
    /// `operator delete[](void*, align_val_t, nothrow_t const&)`.
    _ZdaPvSt11align_val_tRKSt9nothrow_t(align: usize, nt: *const c_void) => FreeKind::DeleteArrayAligned, 0;
}
