//! `tracekit dump`'s arguments.

use std::path::PathBuf;

/// Options of `tracekit dump`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The event log to dump (with --strace-text: strace-rs's JSON output).
    pub log: PathBuf,
    /// Read strace-rs's `--output-format=json` output (schema tracekit.strace/3) and print the
    /// text strace prints for it.
    #[arg(long)]
    pub strace_text: bool,
}
