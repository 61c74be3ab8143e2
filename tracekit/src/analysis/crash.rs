//! The crash pass: the crash handler's reports (`Crash` events) as the logs hold them.

use tracekit_log::Event;

use super::{Kept, Pass};

/// A crash report found in a log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrashInfo {
    /// Process id.
    pub pid: u32,
    /// Thread id.
    pub tid: u32,
    /// Signal number.
    pub signo: u32,
    /// The report as the crash handler printed it.
    pub report: String,
}

/// Every crash of the logs read, in log order.
#[derive(Debug, Clone, Default)]
pub struct CrashPass {
    /// The crashes.
    pub crashes: Vec<CrashInfo>,
}

impl Pass for CrashPass {
    fn on_event(&mut self, _process: Option<usize>, ev: &Event<'_>) {
        if let Event::Crash(c) = ev {
            self.crashes.push(CrashInfo {
                pid: c.pid,
                tid: c.tid,
                signo: c.signo,
                report: c.report.to_string_lossy().into_owned(),
            });
        }
    }

    fn keep_processes(&mut self, kept: &Kept<'_>) {
        self.crashes.retain(|c| kept.pids.contains(&c.pid));
    }
}
