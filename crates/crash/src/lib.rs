//! The crash report of tracekit's preload libraries, as a crate: `preload-segv` is a thin
//! shell over it (a constructor that calls [`install_from_env`]), and another preload library
//! (the fence allocator to come) installs the same handler for its own faults.
//!
//! What a crash gets: the signal and what its `si_code` means, the fault address and access,
//! a diagnosis ([`describe`]), the registers, the backtrace from the faulting instruction
//! ([`unwind`], symbolized by a `tracekit` child process, see [`spawn`]), the mapping of the
//! fault address and the loaded modules ([`report`]); the report is streamed to stderr and
//! `TRACEKIT_SEGV_OUTPUT` ([`out`]) and appended to the event log `TRACEKIT_LOG`
//! ([`eventlog`]); then the process dies exactly as it would have ([`handler`]). Every thread
//! gets an alternate signal stack ([`altstack`], [`threads`]), so a stack overflow is reported
//! too. What the handler needs is decided at load ([`config`]).
//!
//! Everything on the handler path is async-signal-safe: raw system calls (through
//! `tracekit-preload-sys`), fixed buffers, `core::fmt` (which never allocates), libgcc's
//! unwinder (lock-free since glibc 2.35). The crate is `no_std` (outside its unit tests): the
//! library it is linked into pays for `std` at every program's start (see preload-segv).

#![cfg_attr(not(test), no_std)]
#![deny(clippy::multiple_unsafe_ops_per_block)]

extern crate alloc;

use core::ffi::c_char;

pub mod altstack;
pub mod config;
pub mod describe;
pub mod dynsym;
pub mod eventlog;
pub mod fault;
pub mod handler;
pub mod out;
pub mod report;
pub mod spawn;
pub mod threads;
pub mod unwind;

pub use tracekit_preload_core::maps;
pub use tracekit_preload_sys as sys;

/// Installs the crash handler as the environment says (`TRACEKIT_SEGV_*`, `TRACEKIT_LOG`):
/// only what must be ready before a crash: the configuration (stderr's duplicate), the main
/// thread's alternate stack, the handlers. The key that frees threads' stacks and the real
/// `pthread_create` wait for the first thread; the unwinder, a private copy (see [`unwind`]),
/// needs no warm-up: nothing else can hold its one-time lock.
///
/// # Safety
/// `envp` is the environment glibc hands to `.init_array` functions (or NULL), and nothing
/// changes it meanwhile; call it once, from a library constructor.
pub unsafe fn install_from_env(envp: *const *const c_char) {
    // SAFETY: per the contract.
    let cfg = unsafe { config::load_from_env(envp) };
    altstack::install_main();
    handler::install(cfg);
}
