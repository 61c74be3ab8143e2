//! `tracekit pack`'s arguments.

use std::path::PathBuf;

/// Options of `tracekit pack`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Exit status: 0; 2 when a log cannot be packed (it is left as it was).")]
pub struct Args {
    /// The logs to pack, each rewritten in place.
    #[arg(required = true, value_name = "LOG")]
    pub logs: Vec<PathBuf>,
}
