//! `tracekit segv`'s arguments: a command to run under the crash handler, or (hidden) the
//! crash handler's call back to `tracekit segv --symbolize PID FRAMES...`, which is a protocol
//! of its own ([`tracekit::segv::symbolizer`]) and gets its own mode here.

use std::ffi::OsString;
use std::path::PathBuf;

use anyhow::bail;
use tracekit::segv::SegvConfig;

/// Options of `tracekit segv`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "The command replaces tracekit: its pid, output and exit status \
(or death by its signal) are its own. tracekit exits 127 when the command is not found, 126 \
when it cannot be executed, 2 on a usage error."
)]
pub struct Args {
    /// Signals to report: names with or without SIG (any case), numbers, or "all", separated
    /// by spaces or commas, e.g. "segv bus abrt" [default: SEGV BUS ILL FPE ABRT TRAP]
    #[arg(long, value_name = "LIST", value_parser = signal_list)]
    pub signals: Option<String>,
    /// Also append the report to FILE
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also record the crash in this event log (for `tracekit report`)
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
    /// Print raw frames only (no symbolizer process)
    #[arg(long)]
    pub no_symbols: bool,
    /// The crash handler library, or its directory [default: $TRACEKIT_PRELOAD_DIR, else next to tracekit]
    // `--library` was its name before it took `tracekit heap`'s; kept, hidden, for old scripts.
    #[arg(long, alias = "library", value_name = "PATH")]
    pub preload: Option<PathBuf>,
    /// Internal: symbolize the frames of crashing process PID.
    #[arg(long, hide = true, value_name = "PID")]
    pub symbolize: Option<u32>,
    /// The command to run, and its arguments (after `--`, or after the options)
    // No `allow_hyphen_values`: an unknown option before the command is a usage error, not
    // the command; once the command started, `trailing_var_arg` takes its options as its own.
    #[arg(trailing_var_arg = true, value_name = "CMD")]
    pub command: Vec<OsString>,
}

/// What `tracekit segv` was asked to do.
#[derive(Debug)]
pub enum Mode {
    /// Run a command under the crash handler.
    Run(SegvConfig),
    /// The crash handler's symbolizer: process id and frames (`INDEX:HEXADDR[!]`).
    Symbolize(u32, Vec<OsString>),
}

impl Args {
    /// Checks what the user typed and says what to do.
    pub fn into_mode(self) -> anyhow::Result<Mode> {
        if let Some(pid) = self.symbolize {
            return Ok(Mode::Symbolize(pid, self.command));
        }
        if self.command.is_empty() {
            bail!("segv: no command given (usage: tracekit segv [OPTIONS] -- CMD [ARGS...])");
        }
        Ok(Mode::Run(SegvConfig {
            command: self.command,
            preload: self.preload,
            signals: self.signals,
            output: self.output,
            log: self.log,
            symbolize: !self.no_symbols,
        }))
    }
}

/// `--signals`, checked with the crash handler's own parser (which would otherwise warn at
/// load and handle nothing); passed on as typed.
fn signal_list(list: &str) -> Result<String, String> {
    let mut selected = [false; 65];
    let accepted = || {
        let names: Vec<&str> = tracekit_signals::SELECTABLE
            .iter()
            .map(|&(_, n)| n)
            .collect();
        format!(
            "accepted: {}, with or without SIG, in any case; their numbers; all",
            names.join(" ")
        )
    };
    match tracekit_signals::parse_signals(list, &mut selected) {
        Err(bad) => Err(format!("unknown signal {bad:?} ({})", accepted())),
        Ok(()) if !selected.contains(&true) => Err(format!("no signal given ({})", accepted())),
        Ok(()) => Ok(list.to_owned()),
    }
}
