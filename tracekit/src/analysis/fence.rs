//! The fence pass: heap errors the fence allocator caught (`Fence` events), each with the
//! process it belongs to (its stacks and modules name the bad access).

use tracekit_log::Event;

use super::{Kept, Pass};

/// A fence-allocator finding, with the process it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FenceInfo {
    /// Index into the heap pass's processes ([`super::HeapPass::processes`]).
    pub process: usize,
    /// The event.
    pub fence: tracekit_log::Fence,
}

/// Every finding of the logs read, in log order.
#[derive(Debug, Clone, Default)]
pub struct FencePass {
    /// The findings.
    pub fences: Vec<FenceInfo>,
}

impl Pass for FencePass {
    fn on_event(&mut self, process: Option<usize>, ev: &Event<'_>) {
        if let Event::Fence(f) = ev {
            self.fences.push(FenceInfo {
                process: process.unwrap_or(0),
                fence: *f,
            });
        }
    }

    fn keep_processes(&mut self, kept: &Kept<'_>) {
        self.fences
            .retain_mut(|f| match kept.new_index.get(f.process).copied().flatten() {
                Some(n) => {
                    f.process = n;
                    true
                }
                None => false,
            });
    }
}
