//! The C++ allocation operators, written once for every preload library that replaces them:
//! [`cxx_operators!`](crate::cxx_operators) defines every `operator new` and `operator delete`
//! of C++17 (plain, array, sized, aligned, nothrow) over two functions of the library's.
//!
//! The throwing `operator new`s must throw `std::bad_alloc` on failure, and an exception may
//! not unwind through a Rust frame (the workspace builds with `panic = "abort"`). So they are
//! small assembly functions: call the library's `new` function, return its block, or on
//! failure *jump* (leaving no frame of ours) to libstdc++'s own operator, which runs the
//! new-handler and throws (its own allocation comes back to the library's `malloc`). Their
//! unwind info is written by hand, so backtraces walk through them.

use tracekit_preload_sys::NextFn;

pub use tracekit_log::{AllocKind, FreeKind};

/// libstdc++'s throwing operators, resolved when an allocation first fails (the assembly
/// jumps through them; `abort` when libstdc++ is not loaded, which cannot happen for a
/// program that calls `operator new`).
pub static REAL_NEW: NextFn = NextFn::new(c"_Znwm");
/// See [`REAL_NEW`].
pub static REAL_NEW_ARRAY: NextFn = NextFn::new(c"_Znam");
/// See [`REAL_NEW`].
pub static REAL_NEW_ALIGNED: NextFn = NextFn::new(c"_ZnwmSt11align_val_t");
/// See [`REAL_NEW`].
pub static REAL_NEW_ARRAY_ALIGNED: NextFn = NextFn::new(c"_ZnamSt11align_val_t");

/// Makes the fallback of a throwing `operator new` of `kind` ready: call it when the
/// library's `new` function is about to return NULL.
pub fn prepare_throw(kind: AllocKind) {
    let next = match kind {
        AllocKind::New => &REAL_NEW,
        AllocKind::NewArray => &REAL_NEW_ARRAY,
        AllocKind::NewAligned => &REAL_NEW_ALIGNED,
        AllocKind::NewArrayAligned => &REAL_NEW_ARRAY_ALIGNED,
        _ => return,
    };
    next.addr_or(libc::abort as unsafe extern "C" fn() -> ! as usize);
}

#[doc(hidden)]
#[macro_export]
macro_rules! __throwing_new {
    ($(#[$m:meta])* $name:ident, $kind:expr, $imp:path, $real:path) => {
        $(#[$m])*
        #[unsafe(naked)]
        #[cfg_attr(not(test), no_mangle)]
        pub extern "C" fn $name(_size: usize) -> *mut core::ffi::c_void {
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
                imp = sym $imp,
                real = sym $real,
            )
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __throwing_new_aligned {
    ($(#[$m:meta])* $name:ident, $kind:expr, $imp:path, $real:path) => {
        $(#[$m])*
        #[unsafe(naked)]
        #[cfg_attr(not(test), no_mangle)]
        pub extern "C" fn $name(_size: usize, _align: usize) -> *mut core::ffi::c_void {
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
                imp = sym $imp,
                real = sym $real,
            )
        }
    };
}

/// Defines every C++17 `operator new` and `operator delete` in the calling crate, exported
/// under their mangled names (not in unit tests):
/// - `new: extern "C" fn(size: usize, align: usize, kind: u32) -> *mut c_void` allocates
///   (`align` 0: the default alignment; `kind` an [`AllocKind`] code) and, when it returns
///   NULL for a throwing kind, has called [`prepare_throw`];
/// - `delete: unsafe fn(kind: FreeKind, ptr: *mut c_void, size: usize)` releases (`size` 0
///   when the operator is not sized).
#[macro_export]
macro_rules! cxx_operators {
    (new: $new:path, delete: $delete:path $(,)?) => {
        $crate::__throwing_new!(
            /// `operator new(size_t)`.
            _Znwm, $crate::cxx::AllocKind::New, $new, $crate::cxx::REAL_NEW
        );
        $crate::__throwing_new!(
            /// `operator new[](size_t)`.
            _Znam, $crate::cxx::AllocKind::NewArray, $new, $crate::cxx::REAL_NEW_ARRAY
        );
        $crate::__throwing_new_aligned!(
            /// `operator new(size_t, align_val_t)`.
            _ZnwmSt11align_val_t, $crate::cxx::AllocKind::NewAligned, $new,
            $crate::cxx::REAL_NEW_ALIGNED
        );
        $crate::__throwing_new_aligned!(
            /// `operator new[](size_t, align_val_t)`.
            _ZnamSt11align_val_t, $crate::cxx::AllocKind::NewArrayAligned, $new,
            $crate::cxx::REAL_NEW_ARRAY_ALIGNED
        );
        $crate::__nothrow_new! {
            $new;
            /// `operator new(size_t, nothrow_t const&)`.
            _ZnwmRKSt9nothrow_t() => NewNothrow;
            /// `operator new[](size_t, nothrow_t const&)`.
            _ZnamRKSt9nothrow_t() => NewArrayNothrow;
            /// `operator new(size_t, align_val_t, nothrow_t const&)`.
            _ZnwmSt11align_val_tRKSt9nothrow_t(align) => NewAlignedNothrow;
            /// `operator new[](size_t, align_val_t, nothrow_t const&)`.
            _ZnamSt11align_val_tRKSt9nothrow_t(align) => NewArrayAlignedNothrow;
        }
        $crate::__deletes! {
            $delete;
            /// `operator delete(void*)`.
            _ZdlPv() => Delete, 0;
            /// `operator delete[](void*)`.
            _ZdaPv() => DeleteArray, 0;
            /// `operator delete(void*, size_t)`.
            _ZdlPvm(size: usize) => DeleteSized, size;
            /// `operator delete[](void*, size_t)`.
            _ZdaPvm(size: usize) => DeleteArraySized, size;
            /// `operator delete(void*, align_val_t)`.
            _ZdlPvSt11align_val_t(align: usize) => DeleteAligned, 0;
            /// `operator delete[](void*, align_val_t)`.
            _ZdaPvSt11align_val_t(align: usize) => DeleteArrayAligned, 0;
            /// `operator delete(void*, size_t, align_val_t)`.
            _ZdlPvmSt11align_val_t(size: usize, align: usize) => DeleteSizedAligned, size;
            /// `operator delete[](void*, size_t, align_val_t)`.
            _ZdaPvmSt11align_val_t(size: usize, align: usize) => DeleteArraySizedAligned, size;
            /// `operator delete(void*, nothrow_t const&)`.
            _ZdlPvRKSt9nothrow_t(nt: *const core::ffi::c_void) => DeleteNothrow, 0;
            /// `operator delete[](void*, nothrow_t const&)`.
            _ZdaPvRKSt9nothrow_t(nt: *const core::ffi::c_void) => DeleteArrayNothrow, 0;
            /// `operator delete(void*, align_val_t, nothrow_t const&)`.
            _ZdlPvSt11align_val_tRKSt9nothrow_t(align: usize, nt: *const core::ffi::c_void) => DeleteAligned, 0;
            /// `operator delete[](void*, align_val_t, nothrow_t const&)`.
            _ZdaPvSt11align_val_tRKSt9nothrow_t(align: usize, nt: *const core::ffi::c_void) => DeleteArrayAligned, 0;
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __nothrow_new {
    ($new:path; $($(#[$m:meta])* $name:ident($($align:ident)?) => $kind:ident;)*) => {$(
        $(#[$m])*
        #[cfg_attr(not(test), no_mangle)]
        pub extern "C" fn $name(
            size: usize,
            $($align: usize,)?
            _nt: *const core::ffi::c_void,
        ) -> *mut core::ffi::c_void {
            #[allow(unused_mut, unused_assignments)]
            let mut align = 0usize;
            $(align = $align;)?
            $new(size, align, $crate::cxx::AllocKind::$kind as u32)
        }
    )*};
}

#[doc(hidden)]
#[macro_export]
macro_rules! __deletes {
    ($delete:path; $($(#[$m:meta])* $name:ident($($arg:ident: $t:ty),*) => $kind:ident, $size:expr;)*) => {$(
        $(#[$m])*
        ///
        /// # Safety
        /// As the C++ operator: `ptr` is null or a live block from the matching `new`.
        #[cfg_attr(not(test), no_mangle)]
        pub unsafe extern "C" fn $name(ptr: *mut core::ffi::c_void, $($arg: $t),*) {
            $(let _ = $arg;)*
            // SAFETY: the caller's contract.
            unsafe { $delete($crate::cxx::FreeKind::$kind, ptr, $size) }
        }
    )*};
}
