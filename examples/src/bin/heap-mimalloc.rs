//! A Rust program whose global allocator is mimalloc, linked in statically: a `malloc` hook
//! sees none of its Rust allocations, and `tracekit heap` says so.

#[path = "../work/mimalloc_workload.rs"]
mod workload;

#[global_allocator]
static GLOBAL: workload::Counting<mimalloc::MiMalloc> = workload::Counting(mimalloc::MiMalloc);

fn main() {
    workload::run();
}
