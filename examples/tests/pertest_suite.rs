//! A small Rust test suite for `tracekit heap --per-test`: each test allocates on its own
//! thread (libtest names it after the test) and counts its own allocations with the counting
//! global allocator below, printing `own NAME allocs=N bytes=B` (run it with `--nocapture`),
//! so the per-test table can be compared with each test's own figures.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::hint::black_box;

thread_local! {
    // `const` and without a destructor: reading them never allocates.
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
    static BYTES: Cell<u64> = const { Cell::new(0) };
}

/// Counts the allocations (and reallocations) of each thread.
struct Counting;

fn count(size: usize) {
    let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
    let _ = BYTES.try_with(|c| c.set(c.get() + size as u64));
}

// SAFETY: every call goes to `System` unchanged; only thread-local counters are touched.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        count(l.size());
        // SAFETY: the caller's contract, passed on.
        unsafe { System.alloc(l) }
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        count(l.size());
        // SAFETY: the caller's contract, passed on.
        unsafe { System.alloc_zeroed(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        // SAFETY: the caller's contract, passed on.
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        count(n);
        // SAFETY: the caller's contract, passed on.
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Runs `body` and prints the allocations it made on this thread.
fn counted(name: &str, body: impl FnOnce()) {
    let (a, b) = (ALLOCS.get(), BYTES.get());
    body();
    let (a, b) = (ALLOCS.get() - a, BYTES.get() - b);
    eprintln!("own {name} allocs={a} bytes={b}");
}

/// 100 blocks of 1000 bytes and the vector holding them, all freed.
#[test]
fn hundred_blocks() {
    counted("hundred_blocks", || {
        let v: Vec<Box<[u8; 1000]>> = (0..100).map(|i| Box::new([i as u8; 1000])).collect();
        assert_eq!(black_box(&v).len(), 100);
    });
}

/// One block of 1 MiB, freed.
#[test]
fn one_mebibyte() {
    counted("one_mebibyte", || {
        let v = black_box(vec![1u8; 1 << 20]);
        assert_eq!(v.len(), 1 << 20);
    });
}

/// 3 blocks of 4096 bytes, leaked.
#[test]
fn leaks_three_pages() {
    counted("leaks_three_pages", || {
        for _ in 0..3 {
            std::mem::forget(black_box(vec![0u8; 4096]));
        }
    });
}

/// A vector grown by pushes: its reallocations.
#[test]
fn grows_a_vector_of_a_long_test_name() {
    counted("grows_a_vector_of_a_long_test_name", || {
        let mut v = Vec::new();
        for i in 0..10_000u32 {
            v.push(i);
        }
        assert_eq!(black_box(v).len(), 10_000);
    });
}
