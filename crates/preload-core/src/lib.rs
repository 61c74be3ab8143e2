//! What every tracekit preload library needs above raw system calls
//! ([`tracekit_preload_sys`]), without `std`: the crash handler's `no_std` release build links
//! it, and so does the runtime of the std-using libraries ([`tracekit-preload-rt`]).
//!
//! Everything here is usable inside a malloc hook and (except where a function says so) inside
//! a signal handler: nothing allocates, nothing uses stdio, and the only lock
//! ([`lock::SpinLock`]) is one its owner takes around `fork`.
//!
//! - [`fmt`]: formatting into fixed buffers ([`fmt::FixedBuf`]), bytes shown as text.
//! - [`env`](mod@env): the environment read and edited in place, and the `envp` scan of a
//!   library constructor.
//! - [`logpath`]: `TRACEKIT_LOG` expansion (`%p`, `%e`, `%%`) and each tool's default log
//!   name: the one owner of log naming, which `tracekit` uses too.
//! - [`lock`]: the futex lock.
//! - [`modules`]: the module map with build-ids (`dl_iterate_phdr`, or from memory for a
//!   crash handler).
//! - [`maps`]: `/proc/self/maps` read into a fixed buffer and parsed in place.
//! - [`record`]: appending event-log records to a file.
//! - [`stderr`]: messages on a private copy of fd 2.
//! - [`nostd`]: the panic handler and forwarding allocator of a `no_std` cdylib.
//!
//! [`tracekit-preload-rt`]: ../tracekit_preload_rt/index.html

#![no_std]
// Each `unsafe` block holds one operation, with its own `// SAFETY:` reason (issue 17). A
// crate-level attribute: `[lints] workspace = true` cannot be combined with a per-crate table.
#![deny(clippy::multiple_unsafe_ops_per_block)]

extern crate alloc;
#[cfg(test)]
extern crate std;

pub mod env;
pub mod fmt;
pub mod lock;
pub mod logpath;
pub mod maps;
pub mod modules;
pub mod nostd;
pub mod record;
pub mod stderr;

pub use tracekit_preload_sys as sys;
