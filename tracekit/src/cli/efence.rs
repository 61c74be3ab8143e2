//! `tracekit efence`'s arguments.

use std::ffi::OsString;
use std::path::PathBuf;

use anyhow::bail;
use tracekit::efence::EfenceConfig;

/// The variables the fence library reads, for `--help` (a test checks that every `EF_*` and
/// `TRACEKIT_EFENCE_*` name in the library's source is here).
const ENVIRONMENT: &str = "\
Environment (the options above set the first ones; variables already set are honoured too):
  EF_ALIGNMENT=N                  alignment of malloc's blocks; 1 (or 0) puts every block's end
                                  against its guard page [default: 16, as glibc]
  EF_PROTECT_BELOW=1              guard page below each block: underflows fault [default: 0]
  EF_PROTECT_FREE=1               freed memory is never reused [default: 0, a bounded quarantine]
  EF_ALLOW_MALLOC_0=0             malloc(0) is reported as an error [default: 1]
  EF_FILL=BYTE                    fill new blocks from malloc with this byte [default: none]
  TRACEKIT_EFENCE_SAMPLE=N        guard one allocation in N, the rest go to glibc [default: 1]
  TRACEKIT_EFENCE_QUARANTINE=SIZE bytes of freed blocks kept inaccessible (64M, 1G; 0: none)
                                  [default: 64M]
  TRACEKIT_EFENCE_MAX_GUARDED=N   guarded slots at most (live and quarantined); past it the
                                  quarantine gives up its oldest, then blocks get canaries
                                  checked at free [default: no limit with guard markers, else
                                  what vm.max_map_count allows]
  TRACEKIT_EFENCE_GUARD_MARKERS=0 make guard and freed pages inaccessible with mprotect even
                                  where the kernel has guard markers (MADV_GUARD_INSTALL,
                                  Linux 6.13+) [default: 1]
  TRACEKIT_EFENCE_UFFD=0          free one-page blocks with a guard marker (the page dropped)
                                  instead of moving the page away with a userfaultfd
                                  (UFFDIO_MOVE, Linux 6.8+, with guard markers) [default: 1]
  TRACEKIT_LEAK_CHECK=summary|full, TRACEKIT_LEAK_CHECK_HEURISTICS: the leak check at exit
  TRACEKIT_LOG=FILE (--log), TRACEKIT_SEGV_OUTPUT=FILE (--output), TRACEKIT_SEGV_SYMBOLIZE=0
  (--no-symbols): the event log and the crash report
A value that is not understood is said once on stderr and the default is used.

The command replaces tracekit: its pid, output and exit status (or death by its signal) are its
own. tracekit exits 127 when the command is not found, 126 when it cannot be executed, 2 on a
usage error.";

/// Options of `tracekit efence`.
#[derive(Debug, clap::Args)]
#[command(after_help = ENVIRONMENT)]
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
