//! `tracekit top`'s arguments.

use std::path::PathBuf;
use std::time::Duration;

use tracekit::top::{Target, TopConfig};

/// Options of `tracekit top`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A heap log being written, or the pid of a process under the heap tracker.
    #[arg(value_name = "LOG|PID")]
    pub target: String,
    /// Time between refreshes, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    pub interval: u64,
    /// Sites shown, by live bytes.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub top: usize,
    /// Print the view once and exit.
    #[arg(long)]
    pub once: bool,
}

impl Args {
    /// The plain config.
    pub fn into_config(self) -> TopConfig {
        let target = match self.target.parse::<u32>() {
            Ok(pid) if !std::path::Path::new(&self.target).exists() => Target::Pid(pid),
            _ => Target::Log(PathBuf::from(self.target)),
        };
        TopConfig {
            target,
            interval: Duration::from_millis(self.interval.max(50)),
            top: self.top,
            once: self.once,
        }
    }
}
