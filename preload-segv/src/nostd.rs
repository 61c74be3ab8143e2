//! What `std` would otherwise provide, for the `no_std` release build (compiled only with
//! `panic = "abort"`, outside tests; see the crate docs for why there is no `std`).
//!
//! - The panic handler. Nothing here should panic (the handler path is written not to), but
//!   if something does, it says so on the saved stderr with one raw `write` (formatting with
//!   `core::fmt` into a stack buffer: no allocation) and aborts as `std`'s `panic = "abort"`
//!   does (`sys::abort`, libc's `abort()` in system calls): SIGABRT, which our own handler
//!   reports, or, when the panic
//!   happened inside that handler, takes as the handler failing (it then dies of the
//!   original signal).
//! - The global allocator, which Rust requires of any `no_std` library that links the `alloc`
//!   crate (the log format's event types can own their data). Nothing in this library
//!   allocates: the handler works in static buffers and borrows every event's data. Should
//!   something ever call it, it forwards to libc's `malloc`, as `std`'s allocator does.

use core::alloc::{GlobalAlloc, Layout};
use core::ffi::c_void;
use core::fmt::Write as _;

use crate::{config, out, sys};

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    let fd = config::get().map_or(2, |c| c.stderr_fd);
    let mut msg = out::Small::<512>::new();
    // A message too long for the buffer is cut: Small keeps what fitted.
    let _ = write!(msg, "\ntracekit segv: {info}");
    let _ = msg.write_str("\n");
    sys::write_all(fd, msg.as_bytes());
    sys::abort()
}

/// libc's allocator (glibc's `malloc` returns 16-byte-aligned blocks on x86_64).
struct Malloc;

const MALLOC_ALIGN: usize = 16;

// SAFETY: every block comes from malloc/posix_memalign with at least the layout's size and
// alignment, and is released with free; realloc keeps the alignment (only used when malloc's
// own suffices).
unsafe impl GlobalAlloc for Malloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.align() <= MALLOC_ALIGN {
            // SAFETY: plain malloc.
            return unsafe { libc::malloc(layout.size()) } as *mut u8;
        }
        let mut p: *mut c_void = core::ptr::null_mut();
        // SAFETY: p is writable; the alignment is a power of two and a multiple of the
        // pointer size (it exceeds 16).
        match unsafe { libc::posix_memalign(&mut p, layout.align(), layout.size()) } {
            0 => p as *mut u8,
            _ => core::ptr::null_mut(),
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        // SAFETY: ptr came from alloc (malloc or posix_memalign), per GlobalAlloc's contract.
        unsafe { libc::free(ptr as *mut c_void) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if layout.align() <= MALLOC_ALIGN {
            // SAFETY: ptr came from malloc (the alignment says so), per the contract.
            return unsafe { libc::realloc(ptr as *mut c_void, new_size) } as *mut u8;
        }
        // SAFETY: the layout is valid (new_size does not overflow it, per the contract).
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        // SAFETY: a fresh block, then a copy of the smaller size, then the old one released.
        unsafe {
            let new = self.alloc(new_layout);
            if !new.is_null() {
                core::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                self.dealloc(ptr, layout);
            }
            new
        }
    }
}

#[global_allocator]
static ALLOCATOR: Malloc = Malloc;

// The `eh_personality` the precompiled `core` refers to (its unwind tables name
// `rust_eh_personality`, as it is built for unwinding), which `std` would define. Nothing of
// ours unwinds (panics abort); should a foreign unwind (a thread's `pthread_exit`, say) pass
// through such a frame, "no handler here, keep unwinding" (`_URC_CONTINUE_UNWIND`, 8) is the
// right answer. Defined in assembly so that it can be hidden: a `#[no_mangle]` Rust function
// would be exported from the library, where it could clash with a Rust program's own.
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
