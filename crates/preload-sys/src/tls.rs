//! Thread-local slots in the static TLS block, read with the initial-exec model.
//!
//! `std`'s `thread_local!` in a shared library uses the general-dynamic model: every access
//! calls `__tls_get_addr` (a call, a dozen instructions). A preload library is loaded with the
//! program, before any thread starts, so its TLS block is in the static TLS area, at an offset
//! from the thread pointer the dynamic linker fixes once: a slot declared with
//! [`static_tls!`](crate::static_tls) is reached with one load of that offset (from the GOT)
//! and one `%fs`-relative access, as C's `__thread` with `-ftls-model=initial-exec` is. The library gets the
//! `DF_STATIC_TLS` flag; `dlopen`ing it later still works while glibc's surplus of static TLS
//! lasts (`rtld.optional_static_tls`, 512 bytes by default).
//!
//! The slot is zeroed in every new thread, like any `.tbss` variable; it has no destructor.

/// Declares `fn NAME() -> *mut T`, this thread's slot of type `T` (at most 8 bytes, zero at
/// thread start) in the static TLS block. The pointer is valid for the thread's life and only
/// on that thread.
///
/// An item (it declares a function and the slot's symbol):
///
/// ```
/// tracekit_preload_sys::static_tls!(fn counter() -> *mut u32);
///
/// fn main() {
///     let p = counter();
///     // SAFETY: this thread's slot, valid while it runs.
///     unsafe { *p += 1 };
///     // SAFETY: as above.
///     assert_eq!(unsafe { *counter() }, 1);
///     // Zero in every new thread.
///     // SAFETY: as above, on that thread.
///     assert_eq!(std::thread::spawn(|| unsafe { *counter() }).join().unwrap(), 0);
/// }
/// ```
#[macro_export]
macro_rules! static_tls {
    ($(#[$meta:meta])* $vis:vis fn $name:ident() -> *mut $ty:ty) => {
        ::core::arch::global_asm!(
            ".pushsection .tbss,\"awT\",@nobits",
            ".p2align 3",
            // Global to link the library's objects together, hidden to stay out of its
            // exported symbols.
            concat!(".globl __tk_tls_", stringify!($name)),
            concat!(".hidden __tk_tls_", stringify!($name)),
            concat!(".type __tk_tls_", stringify!($name), ",@object"),
            concat!(".size __tk_tls_", stringify!($name), ",8"),
            concat!("__tk_tls_", stringify!($name), ":"),
            ".zero 8",
            ".popsection",
        );
        $(#[$meta])*
        #[inline(always)]
        $vis fn $name() -> *mut $ty {
            const _: () = assert!(::core::mem::size_of::<$ty>() <= 8);
            let offset: usize;
            let thread: usize;
            // SAFETY: reads the GOT entry the dynamic linker filled with the slot's offset
            // from the thread pointer (R_X86_64_TPOFF64); no memory is written.
            unsafe {
                ::core::arch::asm!(
                    concat!("mov {o}, qword ptr [rip + __tk_tls_", stringify!($name), "@GOTTPOFF]"),
                    o = out(reg) offset,
                    options(nostack, preserves_flags, readonly, pure),
                )
            };
            // SAFETY: `%fs:0` holds the thread pointer itself (the x86-64 TLS ABI's TCB
            // self-pointer), set before any code of the thread runs.
            unsafe {
                ::core::arch::asm!(
                    "mov {t}, qword ptr fs:0",
                    t = out(reg) thread,
                    options(nostack, preserves_flags, readonly, pure),
                )
            };
            thread.wrapping_add(offset) as *mut $ty
        }
    };
}
