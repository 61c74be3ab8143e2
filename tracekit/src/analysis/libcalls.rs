//! The library call pass: ltrace-rs's `LibCall` events, counted into ltrace's `-c` table
//! (`tracekit-syscall-summary`'s `libcalls`, the same code ltrace-rs prints its own `-c` with).

use std::time::Duration;

use tracekit_log::Event;
use tracekit_syscall_summary::libcalls::Summary;

use super::Pass;

/// The library calls of the logs read.
#[derive(Debug, Clone, Default)]
pub struct LibCallPass {
    /// Events seen.
    pub events: u64,
    /// Calls and time (entry to return) per function.
    pub summary: Summary,
}

impl Pass for LibCallPass {
    fn on_event(&mut self, _process: Option<usize>, ev: &Event<'_>) {
        if let Event::LibCall(c) = ev {
            self.events += 1;
            let spent = Duration::from_nanos(c.exit_ns.saturating_sub(c.entry_ns));
            self.summary
                .add(&String::from_utf8_lossy(c.name.as_bytes()), spent);
        }
    }
}
