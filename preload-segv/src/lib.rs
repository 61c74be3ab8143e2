//! `preload-segv`: a crash reporter to `LD_PRELOAD` into unmodified programs, the successor of
//! glibc's removed `libSegFault.so`/`catchsegv`.
//!
//! At load it installs a handler for SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT and SIGTRAP
//! (`TRACEKIT_SEGV_SIGNALS` chooses others, as `SEGFAULT_SIGNALS` did) with an alternate signal
//! stack for every thread. On a crash it prints the signal and what its `si_code` means, the
//! fault address and access, a diagnosis, the registers, the backtrace from the faulting
//! instruction (symbolized by a `tracekit` child process), the mapping of the
//! fault address and the loaded modules; then the process dies exactly as it would have.
//!
//! Environment:
//! - `TRACEKIT_SEGV_SIGNALS`: signals to handle (`"segv bus abrt"`, `"all"`).
//! - `TRACEKIT_SEGV_OUTPUT`: also append the report to this file.
//! - `TRACEKIT_LOG`: append a crash event to this event log (`%p` pid, `%e` executable name).
//! - `TRACEKIT_SEGV_SYMBOLIZER`: the `tracekit` binary to symbolize with (default: the one next
//!   to this library); `TRACEKIT_SEGV_SYMBOLIZE=0` prints raw frames only.
//! - `TRACEKIT_SEGV_TIMEOUT_MS`: how long symbolizing may take (default 1500).
//!
//! The handler, the report and everything they use are the crate `tracekit-crash` (shared
//! with the other preload libraries that report faults); this crate is the shell that makes it
//! a preload library: the load-time constructor, the `no_std` runtime, the link options
//! (`build.rs`). Everything on the handler path is async-signal-safe: raw system calls, fixed
//! buffers, `core::fmt` (which never allocates), libgcc's unwinder (lock-free since glibc 2.35).
//!
//! The release build (`panic = "abort"`) is `#![no_std]`: Rust's standard library would cost
//! every program that loads us more than everything else the library does at load (the
//! dynamic linker binding its ~45 libc imports, its relocations and pages). The code only
//! uses `core`; `tracekit_preload_core::no_std_runtime!` supplies the panic handler and the
//! allocator hook `std` would.
//! Dev and test builds (`panic = "unwind"`, which a `no_std` cdylib cannot use on stable) keep
//! `std`, so the unit tests run as usual. The event log format comes from the dependency-free
//! `tracekit-log-core`, so no crate in our graph can bring `std` back.

#![cfg_attr(all(panic = "abort", not(test)), no_std)]
#![deny(clippy::multiple_unsafe_ops_per_block)]

use core::ffi::{c_char, c_int};

pub use tracekit_crash as crash;

// What `std` would provide: the panic handler (the message goes to the saved stderr, then
// SIGABRT, which our own handler reports, or, when the panic happened inside that handler,
// takes as the handler failing: it then dies of the original signal), the allocator nothing
// here calls, and the unwinder's personality routine.
#[cfg(all(panic = "abort", not(test)))]
tracekit_preload_core::no_std_runtime!(
    fd: tracekit_crash::config::get().map_or(2, |c| c.stderr_fd),
    prefix: "tracekit segv",
);

/// What glibc passes to every `.init_array` function: `argc`, `argv` and the environment.
#[cfg(all(feature = "preload", not(test)))]
type InitFn = extern "C" fn(c_int, *const *const c_char, *const *const c_char);

#[cfg_attr(any(test, not(feature = "preload")), allow(dead_code))]
extern "C" fn load(_argc: c_int, _argv: *const *const c_char, envp: *const *const c_char) {
    // SAFETY: glibc calls `.init_array` functions with the process's environment (as it
    // does when the library is `dlopen`ed), and nothing changes it while we read it; this
    // runs once.
    unsafe { tracekit_crash::install_from_env(envp) };
}

// Runs `load` when the library is loaded (before `main` under LD_PRELOAD). Not in unit tests,
// which must keep the test harness's own signal behaviour.
#[cfg(all(feature = "preload", not(test)))]
#[used]
#[link_section = ".init_array"]
static LOAD: InitFn = load;
