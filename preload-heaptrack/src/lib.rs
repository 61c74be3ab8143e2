//! The tracekit heap tracker: `LD_PRELOAD=libpreload_heaptrack.so PROGRAM` records every
//! allocation and release, with a raw backtrace for each allocation, into a tracekit log
//! (`TRACEKIT_LOG`, `%p` and `%e` expanded; by default `./tracekit-heap.<exe>.<pid>.tklog`).
//! `tracekit heap -- PROGRAM` does this for you and prints the report.
//!
//! - [`hooks`]: `malloc`, `free`, `calloc`, `realloc`, `reallocarray`, `posix_memalign`,
//!   `aligned_alloc`, `memalign`, `valloc`, `pvalloc` (`malloc_usable_size` is not touched).
//! - [`cxx`]: every `operator new` and `operator delete` (sized, aligned, nothrow, arrays).
//! - [`mapping`]: `mmap` (anonymous), `munmap`, `mremap`, `brk`, `sbrk`: who mapped what,
//!   beside the heap.
//! - [`process`]: `exec*`, `_exit`, `dlopen`/`dlclose`.
//! - [`record`]: the safe logic behind them: backtrace, intern, write one event.
//! - [`attach`]: loaded into a running process by `tracekit heap -p PID` instead:
//!   `tracekit_attach` redirects the allocation functions in every module's relocations and
//!   records, `tracekit_detach` puts them back.
//!
//! Every hook takes the per-thread reentrancy guard first; a call made while it is held
//! (from inside the tracker, or from libc functions the tracker calls) goes straight to
//! glibc's allocator. The library's own allocations use glibc's allocator directly through
//! its `#[global_allocator]`. Hooks never allocate (see `tests/no_alloc.rs`).

#![deny(clippy::multiple_unsafe_ops_per_block)]

pub mod api;
pub mod attach;
pub mod cxx;
pub mod hooks;
pub mod mapping;
pub mod process;
pub mod record;

use tracekit_preload_rt::session::Config;

/// This tool, as the session knows it.
pub static CONFIG: Config = Config {
    tool: "heaptrack",
    short: tracekit_preload_rt::logpath::HEAP,
    lib_file_name: b"libpreload_heaptrack.so",
    freeres: true,
};

#[cfg(not(test))]
#[global_allocator]
static ALLOCATOR: tracekit_preload_rt::real::RealAllocator =
    tracekit_preload_rt::real::RealAllocator;

/// Starts recording when the library is loaded by `LD_PRELOAD` (allocations made before
/// this, by the loader or other constructors, start it from the first hook instead). Loaded
/// by `dlopen` into a running program (`tracekit heap -p`), it waits for [`attach`]'s
/// `tracekit_attach`, which names the log; a program that links the library (no
/// `LD_PRELOAD`) starts at its first allocation, through the hooks.
extern "C" fn init() {
    if !preloaded() {
        return;
    }
    if let Some(_g) = tracekit_preload_rt::guard::Guard::enter() {
        tracekit_preload_rt::session::start(&CONFIG);
    }
}

/// True when `LD_PRELOAD` names this library.
fn preloaded() -> bool {
    let list = tracekit_preload_rt::env::var("LD_PRELOAD").unwrap_or_default();
    list.split(|&b| b == b':' || b == b' ')
        .any(|e| e.ends_with(CONFIG.lib_file_name))
}

#[used]
#[cfg_attr(not(test), link_section = ".init_array")]
static INIT: extern "C" fn() = init;
