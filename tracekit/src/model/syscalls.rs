//! The system call pass's model: how many calls were seen and strace's `-c` numbers per system
//! call, as data (the text writer prints the table; JSON has the count).

use serde::{Serialize, Serializer};
use tracekit_syscall_summary::Summary;

use crate::analysis::SyscallPass;

/// The system calls of the logs.
#[derive(Debug, Clone, Default)]
pub struct SyscallReport {
    /// System-call events (strace-rs logs), returned or not.
    pub events: u64,
    /// Calls, errors and times per system call, of the calls that returned.
    pub summary: Summary,
}

/// In JSON (schema `tracekit.heap-report/2`), the number of events.
impl Serialize for SyscallReport {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.events.serialize(s)
    }
}

/// The model of `pass`.
pub fn build(pass: &SyscallPass) -> SyscallReport {
    SyscallReport {
        events: pass.events,
        summary: pass.summary.clone(),
    }
}
