//! What `std` would otherwise provide to a `no_std` preload cdylib, written out in the
//! library's own crate by [`no_std_runtime!`](crate::no_std_runtime): a `#[panic_handler]` and a
//! `#[global_allocator]` can be defined only once in a program's crate graph, and the std-using
//! libraries (the heap tracker) link this crate too, so it cannot define them itself.
//!
//! - The panic handler. Nothing should panic (handler paths are written not to), but if
//!   something does, it says so on the given descriptor with one raw `write` (formatted with
//!   `core::fmt` into a stack buffer: no allocation) and aborts as `std`'s `panic = "abort"`
//!   does ([`sys::abort`](tracekit_preload_sys::abort), libc's `abort()` in system calls).
//! - The global allocator, which Rust requires of any `no_std` library that links the `alloc`
//!   crate (the log format's event types can own their data). Should something ever call it,
//!   it forwards to libc's `malloc`, as `std`'s allocator does; [`Malloc`] is that allocator.
//! - The `rust_eh_personality` the precompiled `core` refers to.

use core::alloc::{GlobalAlloc, Layout};
use core::ffi::c_void;

/// libc's allocator (glibc's `malloc` returns 16-byte-aligned blocks on x86_64).
#[derive(Debug)]
pub struct Malloc;

const MALLOC_ALIGN: usize = 16;

// SAFETY: every block comes from malloc/posix_memalign with at least the layout's size and
// alignment, and is released with free; realloc keeps the alignment (only used when malloc's
// own suffices).
unsafe impl GlobalAlloc for Malloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.align() <= MALLOC_ALIGN {
            // SAFETY: plain malloc.
            return unsafe { libc::malloc(layout.size()) }.cast();
        }
        let mut p: *mut c_void = core::ptr::null_mut();
        // SAFETY: p is writable; the alignment is a power of two and a multiple of the
        // pointer size (it exceeds 16).
        match unsafe { libc::posix_memalign(&mut p, layout.align(), layout.size()) } {
            0 => p.cast(),
            _ => core::ptr::null_mut(),
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        // SAFETY: ptr came from alloc (malloc or posix_memalign), per GlobalAlloc's contract.
        unsafe { libc::free(ptr.cast()) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if layout.align() <= MALLOC_ALIGN {
            // SAFETY: ptr came from malloc (the alignment says so), per the contract.
            return unsafe { libc::realloc(ptr.cast(), new_size) }.cast();
        }
        // SAFETY: the layout is valid (new_size does not overflow it, per the contract).
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        // SAFETY: a fresh block of the new layout.
        let new = unsafe { self.alloc(new_layout) };
        if !new.is_null() {
            // SAFETY: both blocks are live and at least this long; they are distinct blocks.
            unsafe { core::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size)) };
            // SAFETY: the old block, per the contract, no longer used.
            unsafe { self.dealloc(ptr, layout) };
        }
        new
    }
}

/// Writes `<prefix>: <panic message>` on `fd` and aborts: the body of the panic handler that
/// [`no_std_runtime!`](crate::no_std_runtime) defines.
pub fn panicked(fd: i32, prefix: &str, info: &core::panic::PanicInfo<'_>) -> ! {
    use core::fmt::Write as _;
    let mut msg = crate::fmt::FixedBuf::<512>::new();
    // A message too long for the buffer is cut: the buffer keeps what fitted.
    let _ = write!(msg, "\n{prefix}: {info}");
    msg.push_bytes(b"\n");
    let _ = tracekit_preload_sys::write_all(fd, msg.as_bytes());
    tracekit_preload_sys::abort()
}

/// Defines, in the calling `no_std` cdylib, the panic handler (which writes to the descriptor
/// `$fd` evaluates to, prefixed `$prefix`, then aborts), the global allocator ([`Malloc`]) and
/// a hidden `rust_eh_personality` (the precompiled `core`'s unwind tables name it; nothing of
/// ours unwinds, so "no handler here, keep unwinding", `_URC_CONTINUE_UNWIND` = 8, is the right
/// answer for a foreign unwind passing through; written in assembly so it is not exported and
/// cannot clash with a Rust program's own).
#[macro_export]
macro_rules! no_std_runtime {
    (fd: $fd:expr, prefix: $prefix:expr $(,)?) => {
        #[panic_handler]
        fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
            $crate::nostd::panicked($fd, $prefix, info)
        }

        #[global_allocator]
        static ALLOCATOR: $crate::nostd::Malloc = $crate::nostd::Malloc;

        core::arch::global_asm!(
            ".pushsection .text.rust_eh_personality,\"ax\",@progbits",
            ".globl rust_eh_personality",
            ".hidden rust_eh_personality",
            ".type rust_eh_personality,@function",
            "rust_eh_personality:",
            "mov eax, 8",
            "ret",
            ".size rust_eh_personality, . - rust_eh_personality",
            ".popsection",
        );
    };
}
