//! The fence pass's model: each heap error the fence allocator caught, with the backtrace of
//! the bad access.

use crate::analysis::{FencePass, HeapPass};
use crate::symbols::{resolve_fault_stack, resolve_stack, Resolve, ResolvedFrame};

/// A fence-allocator finding.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FenceReport {
    /// Process id.
    pub pid: u32,
    /// Thread id.
    pub tid: u32,
    /// What was caught (`heap-buffer-overflow`, ...).
    pub kind: String,
    /// The address touched.
    pub addr: u64,
    /// The block it belongs to.
    pub block: u64,
    /// That block's size.
    pub block_size: u64,
    /// Where the bad access happened.
    pub frames: Vec<ResolvedFrame>,
    /// Where the block was allocated (empty when unknown).
    pub alloc_frames: Vec<ResolvedFrame>,
    /// Where it was freed (empty when it was not, or unknown).
    pub free_frames: Vec<ResolvedFrame>,
}

/// The findings of `pass`, their backtraces symbolized with the stacks and modules of their
/// processes (in `heap`).
pub fn build(pass: &FencePass, heap: &HeapPass, resolver: &mut dyn Resolve) -> Vec<FenceReport> {
    pass.fences
        .iter()
        .map(|f| {
            let p = &heap.processes[f.process];
            // The access's stack is the crash handler's: its first address is the
            // faulting instruction's.
            let frames = p
                .stack(f.fence.access_stack)
                .map(|st| resolve_fault_stack(resolver, f.process, &p.modules, st))
                .unwrap_or_default();
            let mut stack = |id: u64| {
                p.stack(id)
                    .map(|st| resolve_stack(resolver, f.process, &p.modules, st))
                    .unwrap_or_default()
            };
            let alloc_frames = stack(f.fence.alloc_stack);
            let free_frames = stack(f.fence.free_stack);
            FenceReport {
                pid: p.info.pid,
                tid: f.fence.tid,
                kind: f.fence.kind.name().to_owned(),
                addr: f.fence.addr,
                block: f.fence.block,
                block_size: f.fence.block_size,
                frames,
                alloc_frames,
                free_frames,
            }
        })
        .collect()
}
