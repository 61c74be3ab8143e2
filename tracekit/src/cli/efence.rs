//! `tracekit efence`'s arguments.

use std::ffi::OsString;
use std::path::PathBuf;

use anyhow::bail;
use tracekit::efence::EfenceConfig;

/// Options of `tracekit efence`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Each option sets the variable the library reads (EF_ALIGNMENT, EF_PROTECT_BELOW, \
EF_PROTECT_FREE, EF_ALLOW_MALLOC_0, EF_FILL, TRACEKIT_EFENCE_SAMPLE, TRACEKIT_EFENCE_QUARANTINE, \
TRACEKIT_LEAK_CHECK); variables already set in the environment are honoured too. The command replaces tracekit: its \
pid, output and exit status (or death by its signal) are its own. tracekit exits 127 when the \
command is not found, 126 when it cannot be executed, 2 on a usage error."
)]
pub struct Args {
    /// Align blocks to N bytes (a power of two; 1 puts every block's end against its guard
    /// page, so a read one byte past any block faults) [default: 16, as glibc]
    #[arg(long, value_name = "N", value_parser = alignment)]
    pub alignment: Option<u32>,
    /// Put the guard page below each block: underflows fault
    #[arg(long)]
    pub protect_below: bool,
    /// Never reuse freed memory (by default a bounded quarantine keeps it inaccessible)
    #[arg(long)]
    pub protect_free: bool,
    /// Report malloc(0) as an error
    #[arg(long)]
    pub forbid_malloc_0: bool,
    /// Fill new blocks with this byte value
    #[arg(long, value_name = "BYTE")]
    pub fill: Option<u8>,
    /// Guard one allocation in N (the others go to glibc's allocator): cheap enough for a test suite
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub sample: Option<u32>,
    /// Bytes of freed blocks kept inaccessible, e.g. 64M [default: 64M]
    #[arg(long, value_name = "SIZE", value_parser = size)]
    pub quarantine: Option<u64>,
    /// Also append reports to FILE
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also record faults in this event log (for `tracekit report`)
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
    /// Classify the blocks live at exit as valgrind memcheck does, from the fence's own block
    /// table: the LEAK SUMMARY on stderr; with --log, the loss records for `tracekit report
    /// --leak-check=full LOG` (not with --sample)
    #[arg(long, value_name = "no|summary|full", value_parser = ["no", "summary", "full"])]
    pub leak_check: Option<String>,
    /// Print raw frames only (no symbolizer process)
    #[arg(long)]
    pub no_symbols: bool,
    /// The fence allocator library, or its directory [default: $TRACEKIT_PRELOAD_DIR, else next to tracekit]
    #[arg(long, value_name = "PATH")]
    pub preload: Option<PathBuf>,
    /// The command to run, and its arguments (after `--`, or after the options)
    #[arg(trailing_var_arg = true, value_name = "CMD")]
    pub command: Vec<OsString>,
}

impl Args {
    /// Checks what the user typed and makes the plain configuration.
    pub fn into_config(self) -> anyhow::Result<EfenceConfig> {
        if self.command.is_empty() {
            bail!("efence: no command given (usage: tracekit efence [OPTIONS] -- CMD [ARGS...])");
        }
        Ok(EfenceConfig {
            command: self.command,
            preload: self.preload,
            alignment: self.alignment,
            protect_below: self.protect_below,
            protect_free: self.protect_free,
            forbid_malloc_0: self.forbid_malloc_0,
            fill: self.fill,
            sample: self.sample,
            quarantine: self.quarantine,
            output: self.output,
            log: self.log,
            symbolize: !self.no_symbols,
            leak_check: self.leak_check,
        })
    }
}

fn alignment(s: &str) -> Result<u32, String> {
    match s.parse::<u32>() {
        Ok(n) if n.is_power_of_two() && n <= 4096 => Ok(n),
        _ => Err(format!("{s:?} is not a power of two from 1 to 4096")),
    }
}

fn size(s: &str) -> Result<u64, String> {
    parse_size::parse_size(s.trim()).map_err(|e| format!("{s:?}: {e}"))
}
