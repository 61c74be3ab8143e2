//! Proof that recording never allocates: this test's executable links the heap tracker's
//! hooks (exported, so every `malloc` of the process, libc's own included, goes through
//! them), records thousands of calls of every kind with many distinct stacks, and checks
//! that the recording path made no allocator call of its own: no hook was re-entered
//! (which is what a `malloc` from inside tracekit, or from a libc function it called,
//! would do) and the library's Rust allocator was not used.
//!
//! It re-runs itself with `TRACEKIT_LOG` set (the session reads it at start) and
//! compression off (the compressor thread allocates, on purpose, outside the hooks).

use std::ffi::c_void;
use std::hint::black_box;

use preload_heaptrack::{cxx, hooks, mapping};
use tracekit_preload_rt::{guard, real, session};

const CHILD: &str = "TRACEKIT_NO_ALLOC_CHILD";

fn main() {
    if std::env::var_os(CHILD).is_none() {
        // This launcher is traced too (its hooks are live): no log for it.
        session::discard();
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("no-alloc.tklog");
        let status = std::process::Command::new(std::env::current_exe().unwrap())
            .env(CHILD, "1")
            .env("TRACEKIT_LOG", &log)
            .env("TRACEKIT_COMPRESS", "0")
            .status()
            .unwrap();
        assert!(status.success(), "child failed: {status:?}");
        let f = std::fs::File::open(&log).unwrap();
        let events = tracekit_log::Reader::new(f)
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        let allocs = events
            .iter()
            .filter(|e| matches!(e, tracekit_log::Event::Alloc(a) if a.size >= 1000 && a.size < 1000 + ROUNDS as u64 * 8))
            .count();
        assert!(
            allocs >= 4 * ROUNDS,
            "the measured calls were recorded: {allocs}"
        );
        let mappings = events
            .iter()
            .filter(|e| matches!(e, tracekit_log::Event::Mapping(_)))
            .count();
        assert!(
            mappings >= 3 * ROUNDS,
            "the mappings were recorded: {mappings}"
        );
        println!("no_alloc: ok ({} events)", events.len());
        return;
    }
    // The session started with the first allocation of this process.
    assert!(session::is_on(), "session is recording");
    for i in 0..100 {
        calls(i);
    }
    let (r0, a0) = (guard::reentries(), real::rust_allocations());
    for i in 0..ROUNDS {
        calls(i);
    }
    let (r1, a1) = (guard::reentries(), real::rust_allocations());
    assert_eq!(r1 - r0, 0, "allocator calls from inside the hooks");
    assert_eq!(a1 - a0, 0, "Rust allocations by the recording path");
}

const ROUNDS: usize = 5000;

/// Every kind of call, from a stack `i % 9` frames deeper (so new stacks get interned).
#[inline(never)]
fn calls(i: usize) {
    if !i.is_multiple_of(9) {
        return deeper(i, i % 9);
    }
    every_kind(i)
}

#[inline(never)]
fn deeper(i: usize, depth: usize) {
    if depth == 0 {
        every_kind(i);
    } else {
        deeper(i, depth - 1);
    }
    black_box(depth);
}

#[inline(never)]
fn every_kind(i: usize) {
    let size = 1000 + i * 8;
    // Each block goes through `black_box`: the hooks are the exported `malloc` family, which
    // LLVM knows by name, and an optimized build drops a pair of calls whose block is unused.
    let a = black_box(hooks::malloc(size));
    let b = black_box(hooks::calloc(1, size));
    // SAFETY: a is a live block from malloc above, replaced by the result.
    let a = black_box(unsafe { hooks::realloc(a, size + 8) });
    let mut m: *mut c_void = std::ptr::null_mut();
    // SAFETY: m is writable; 64 is a valid alignment.
    assert_eq!(unsafe { hooks::posix_memalign(&mut m, 64, size) }, 0);
    let n = black_box(cxx::_ZnwmRKSt9nothrow_t(size, std::ptr::null()));
    // SAFETY: n is the live block of the nothrow new above, of this size, deleted once.
    unsafe { cxx::_ZdlPvm(n, size) };
    for p in [m, a, b] {
        // SAFETY: each is a live block from the hooks above, freed once.
        unsafe { hooks::free(p) };
    }
    let (rw, anon) = (
        libc::PROT_READ | libc::PROT_WRITE,
        libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
    );
    // SAFETY: a fresh anonymous page where the kernel chooses: nothing is replaced.
    let p = unsafe { mapping::mmap(std::ptr::null_mut(), 4096, rw, anon, -1, 0) };
    assert_ne!(p, libc::MAP_FAILED);
    // SAFETY: p is that page, used by nothing else; it may move.
    let q = unsafe { mapping::mremap(p, 4096, 8192, libc::MREMAP_MAYMOVE, std::ptr::null_mut()) };
    assert_ne!(q, libc::MAP_FAILED);
    // SAFETY: q is the grown mapping, used by nothing else.
    assert_eq!(unsafe { mapping::munmap(q, 8192) }, 0);
}
