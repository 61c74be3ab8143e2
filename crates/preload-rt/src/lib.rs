//! The runtime of the preload libraries that use `std` (the heap tracker and the fence allocator): what a hook
//! needs beyond [`tracekit_preload_core`] and [`tracekit_preload_sys`] (which it re-exports
//! under their old names: [`sys`], [`fmt`], [`env`](mod@env), [`logpath`], [`lock`],
//! [`modules`], [`stderr`]).
//!
//! Everything here is usable inside a malloc hook: nothing allocates through the hooked
//! allocator, nothing uses stdio, and the only lock ([`lock::SpinLock`]) is one the owner
//! takes around `fork`.
//!
//! - [`guard`]: the per-thread reentrancy guard every hook takes first; [`hook!`]: the shim
//!   shape every hook shares, written once.
//! - [`real`]: glibc's real allocator, and [`real::RealAllocator`] for `#[global_allocator]`.
//! - [`unwind`]: cached `.eh_frame` unwinding to raw return addresses.
//! - [`stacks`]: interning stacks into ids, each written once as a `Stack` record.
//! - [`memo`]: remembered walks: a hot site's stack id without walking or interning again.
//! - [`logfile`]: the log file, written through a shared memory map so a crash loses nothing.
//! - [`compress`]: zstd compression of a finished log's records, in place.
//! - [`session`]: one process's log session: start, fork, exec, exit.
//! - [`exec`]: building an `exec` environment without allocating.
//! - [`reloc`]: hooking by relocation (GOT slots of every loaded module), for a library
//!   loaded into a running process.
//! - [`leak`]: the leak check at exit (`TRACEKIT_LEAK_CHECK`): live blocks, roots, memcheck's classes.

// Each `unsafe` block holds one operation, with its own `// SAFETY:` reason (issue 17). A
// crate-level attribute: `[lints] workspace = true` cannot be combined with a per-crate table.
#![deny(clippy::multiple_unsafe_ops_per_block)]

pub mod cabi;
pub mod compress;
pub mod cxx;
pub mod exec;
pub mod freeres;
pub mod guard;
pub mod hook;
pub mod leak;
pub mod logfile;
pub mod memo;
pub mod real;
pub mod reloc;
pub mod session;
pub mod stacks;
pub mod unwind;

// The layers below, under the names the hooks have always used.
pub use tracekit_preload_core::{env, fmt, lock, logpath, modules, say, stderr};
pub use tracekit_preload_sys as sys;
