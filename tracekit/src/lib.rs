//! The tracekit library behind the `tracekit` binary: launching commands under the preload
//! libraries, and turning event logs into reports.

pub mod dump;
pub mod heap;
pub mod report;
pub mod segv;
