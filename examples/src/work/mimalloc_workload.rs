//! The workload of `heap-mimalloc` and `heap-mimalloc-traced`: Rust allocations through the
//! program's global allocator (mimalloc), counted by the program itself so a test can compare
//! the tracker's figures with the program's own.

use std::alloc::{GlobalAlloc, Layout};
use std::sync::atomic::{AtomicU64, Ordering};

/// Counts the calls and bytes of the allocator it wraps.
pub struct Counting<A>(pub A);

/// Allocations (alloc, alloc_zeroed) and reallocations made so far.
pub static ALLOCS: AtomicU64 = AtomicU64::new(0);
/// Bytes asked for by them.
pub static BYTES: AtomicU64 = AtomicU64::new(0);
/// Releases.
pub static FREES: AtomicU64 = AtomicU64::new(0);

fn count(size: usize) {
    ALLOCS.fetch_add(1, Ordering::Relaxed);
    BYTES.fetch_add(size as u64, Ordering::Relaxed);
}

// SAFETY: every call is forwarded to `A` unchanged; only counters are touched besides.
unsafe impl<A: GlobalAlloc> GlobalAlloc for Counting<A> {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        count(l.size());
        // SAFETY: the caller's contract, passed on.
        unsafe { self.0.alloc(l) }
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        count(l.size());
        // SAFETY: the caller's contract, passed on.
        unsafe { self.0.alloc_zeroed(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        FREES.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract, passed on.
        unsafe { self.0.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        count(n);
        // SAFETY: the caller's contract, passed on.
        unsafe { self.0.realloc(p, l, n) }
    }
}

/// Allocates: 1000 boxes of 1000 bytes (freed), a vector grown by pushes (reallocations), and
/// 10 blocks of 5000 bytes kept to the end (leaked). Then prints the program's own counts.
pub fn run() {
    // The first print allocates stdout's buffer: before the counts are read, not after.
    println!("mimalloc workload");
    let boxes: Vec<Box<[u8; 1000]>> = (0..1000).map(|i| Box::new([i as u8; 1000])).collect();
    let sum: u64 = boxes.iter().map(|b| u64::from(b[999])).sum();
    drop(boxes);
    let mut grown = Vec::new();
    for i in 0..100_000u32 {
        grown.push(i);
    }
    let kept: Vec<Vec<u8>> = (0..10).map(|_| vec![7u8; 5000]).collect();
    std::mem::forget(kept);
    println!(
        "sum={sum} len={} allocs={} bytes={} frees={}",
        grown.len(),
        ALLOCS.load(Ordering::Relaxed),
        BYTES.load(Ordering::Relaxed),
        FREES.load(Ordering::Relaxed),
    );
}
