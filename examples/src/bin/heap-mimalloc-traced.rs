//! `heap-mimalloc` with its allocator wrapped in `tracekit_alloc::Traced`: every Rust
//! allocation is reported to the heap tracker, and counted exactly.

#[path = "../work/mimalloc_workload.rs"]
mod workload;

#[global_allocator]
static GLOBAL: tracekit_alloc::Traced<workload::Counting<mimalloc::MiMalloc>> =
    tracekit_alloc::Traced(workload::Counting(mimalloc::MiMalloc));

fn main() {
    workload::run();
}
