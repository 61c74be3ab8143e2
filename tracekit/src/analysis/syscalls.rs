//! The system call pass: strace-rs's `Syscall` events, counted into strace's `-c` table
//! (`tracekit-syscall-summary`, the same code strace-rs prints its own `-c` with).

use tracekit_log::Event;
use tracekit_syscall_summary::Summary;

use super::Pass;

/// The system calls of the logs read.
#[derive(Debug, Clone, Default)]
pub struct SyscallPass {
    /// Events seen (every call, returned or not).
    pub events: u64,
    /// The calls that returned, by system call (wall-clock latency, entry to exit).
    pub summary: Summary,
}

impl Pass for SyscallPass {
    fn on_event(&mut self, _process: Option<usize>, ev: &Event<'_>) {
        if let Event::Syscall(s) = ev {
            self.events += 1;
            self.summary.add_event(s);
        }
    }
}
