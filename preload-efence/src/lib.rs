//! `preload-efence`: a guard-page allocator to `LD_PRELOAD` into unmodified programs, the
//! successor of Electric Fence and DUMA. Every block sits against an inaccessible page, so an
//! overflow faults at the faulting instruction; freed blocks stay inaccessible in a quarantine,
//! so a use after free faults too; the bytes between a block's end and its guard (alignment)
//! hold a canary checked at `free`, `realloc` and exit. Double frees, frees of pointers no
//! allocation returned and mismatched pairs (`new[]`/`free`) are reported, not crashed on.
//!
//! The report is the crash handler's (`crates/crash`, installed at load as `preload-segv`
//! does), told by this allocator which block the fault address belongs to: "1 bytes after the
//! 13-byte block", the faulting backtrace, the block's allocation and free backtraces, all
//! symbolized with file:line; then the process dies of the same signal as without us. With
//! `TRACEKIT_LOG` the crash and a `Fence` event go to the event log.
//!
//! Options: Electric Fence's `EF_*` variables, and `TRACEKIT_EFENCE_*` (see [`options`]).
//! The layout and why it needs no mapping per block past a budget: see [`fence`].

#![deny(clippy::multiple_unsafe_ops_per_block)]

pub mod depot;
pub mod fence;
pub mod hooks;
pub mod leak;
pub mod options;
pub mod uffd;

use core::ffi::{c_char, c_int};

#[cfg(not(test))]
#[global_allocator]
static ALLOCATOR: tracekit_preload_rt::real::RealAllocator =
    tracekit_preload_rt::real::RealAllocator;

extern "C" fn before_fork() {
    fence::lock_all();
}

extern "C" fn after_fork() {
    fence::unlock_all();
}

extern "C" fn after_fork_child() {
    fence::unlock_all();
    fence::after_fork_child();
}

/// At load: the crash handler with our describer, the fork handlers.
#[cfg_attr(any(test, not(feature = "preload")), allow(dead_code))]
extern "C" fn load(_argc: c_int, _argv: *const *const c_char, envp: *const *const c_char) {
    tracekit_preload_rt::stderr::init();
    // Before anything is mapped: the check leaves our mappings out of its roots.
    leak::configure();
    // SAFETY: glibc calls `.init_array` functions with the process's environment, unchanged
    // while we read it; this runs once.
    unsafe { tracekit_crash::install_from_env(envp) };
    tracekit_crash::fault::set_describer(fence::describe);
    // After the crash handler: other SIGBUS signals are passed to it.
    uffd::install_sigbus();
    // SAFETY: the handlers take and release our locks; the child's opens a userfaultfd.
    unsafe { libc::pthread_atfork(Some(before_fork), Some(after_fork), Some(after_fork_child)) };
}

/// At exit: every live block's canary, then the leak check (`TRACEKIT_LEAK_CHECK`).
#[cfg_attr(any(test, not(feature = "preload")), allow(dead_code))]
extern "C" fn unload() {
    fence::check_all();
    let frame = 0u64;
    leak::at_exit(core::hint::black_box(&frame) as *const u64 as u64);
}

#[cfg(all(feature = "preload", not(test)))]
type InitFn = extern "C" fn(c_int, *const *const c_char, *const *const c_char);

#[cfg(all(feature = "preload", not(test)))]
#[used]
#[link_section = ".init_array"]
static LOAD: InitFn = load;

#[cfg(all(feature = "preload", not(test)))]
#[used]
#[link_section = ".fini_array"]
static UNLOAD: extern "C" fn() = unload;
