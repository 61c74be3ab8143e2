//! The crash pass's model: each crash report as the crash handler printed it.

use crate::analysis::CrashPass;

/// A crash report.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CrashReport {
    /// Process id.
    pub pid: u32,
    /// Thread id.
    pub tid: u32,
    /// Signal.
    pub signal: u32,
    /// The text the crash handler printed.
    pub report: String,
}

/// The crashes of `pass`, in log order.
pub fn build(pass: &CrashPass) -> Vec<CrashReport> {
    pass.crashes
        .iter()
        .map(|c| CrashReport {
            pid: c.pid,
            tid: c.tid,
            signal: c.signo,
            report: c.report.clone(),
        })
        .collect()
}
