//! `tracekit dump`'s arguments.

use std::path::PathBuf;

/// Options of `tracekit dump`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The event log to dump.
    pub log: PathBuf,
}
