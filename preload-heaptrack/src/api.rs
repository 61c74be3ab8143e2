//! The way in for allocators the hooks cannot see: a program's own pool, or jemalloc or
//! mimalloc linked into it. It reports its blocks through these functions, which the header
//! `include/tracekit_heap.h` declares weak (so they cost one test of a null pointer in a run
//! without the tracker) and the `tracekit-alloc` crate's `GlobalAlloc` wrapper finds with
//! `dlsym`. Blocks reported here are ordinary events of kind `custom alloc`/`custom free`, with
//! their backtraces, so every report and export counts them.
//!
//! The region marker (`tracekit_heap_region_begin`/`_end`) names what a thread does, for
//! `tracekit heap --per-test` on a harness that runs tests on threads not named after them
//! (GoogleTest, ctest-style binaries).

use std::ffi::{c_char, c_void, CStr};

use tracekit_log::{AllocKind, Bytes, Event, FreeKind, Region};
use tracekit_preload_rt::guard::Guard;
use tracekit_preload_rt::session;

use crate::record::{self, ensure_started};

/// Longest region name kept (longer names are cut).
const MAX_REGION_NAME: usize = 256;

/// The program's allocator handed out `ptr`, `size` bytes.
#[cfg_attr(not(test), no_mangle)]
pub extern "C" fn tracekit_heap_alloc(ptr: *const c_void, size: usize) {
    let Some(g) = Guard::enter() else { return };
    ensure_started();
    record::alloc(&g, AllocKind::Custom, ptr as u64, size as u64, 0);
}

/// The program's allocator is about to take `ptr` back (report it before the block can be
/// handed out again, so that its next allocation comes after this release in the log).
#[cfg_attr(not(test), no_mangle)]
pub extern "C" fn tracekit_heap_free(ptr: *const c_void) {
    let Some(g) = Guard::enter() else { return };
    record::free(&g, FreeKind::Custom, ptr as u64, 0);
}

/// The program's allocator moved or resized `old` to `new`, now `size` bytes (`old` null: an
/// allocation; `new` null with `size` > 0: the resize failed and `old` stays).
#[cfg_attr(not(test), no_mangle)]
pub extern "C" fn tracekit_heap_realloc(old: *const c_void, new: *const c_void, size: usize) {
    let Some(g) = Guard::enter() else { return };
    ensure_started();
    record::realloc(&g, AllocKind::Custom, old as u64, size as u64, || {
        new as u64
    });
}

/// The calling thread starts the test or region `name` (a NUL-terminated string; null ends the
/// thread's region, as [`tracekit_heap_region_end`] does).
///
/// # Safety
/// `name` is null or a NUL-terminated string.
#[cfg_attr(not(test), no_mangle)]
pub unsafe extern "C" fn tracekit_heap_region_begin(name: *const c_char) {
    let name = if name.is_null() {
        &[][..]
    } else {
        // SAFETY: the caller's contract: a NUL-terminated string.
        let all = unsafe { CStr::from_ptr(name) }.to_bytes();
        &all[..all.len().min(MAX_REGION_NAME)]
    };
    region(name);
}

/// The calling thread's region ends.
#[cfg_attr(not(test), no_mangle)]
pub extern "C" fn tracekit_heap_region_end() {
    region(&[]);
}

fn region(name: &[u8]) {
    let Some(g) = Guard::enter() else { return };
    ensure_started();
    if !session::is_on() {
        return;
    }
    session::with(|w| {
        let tid = w.tid_of(&g);
        let time_ns = w.now();
        w.write(&Event::Region(Region {
            time_ns,
            tid,
            name: Bytes::borrowed(name),
        }));
    });
}
