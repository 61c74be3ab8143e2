//! `tracekit export`'s arguments.

use std::path::PathBuf;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use tracekit::export::command::ExportConfig;
use tracekit::export::Format;

/// Options of `tracekit export`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Formats: pprof (gzipped profile.proto: go tool pprof, Pyroscope, Parca), \
dhat (valgrind's dh_view.html), chrome (trace events: Perfetto UI, chrome://tracing; also \
strace-rs logs), collapsed (flamegraph.pl, inferno, speedscope).\n\
Exit status: 0; 3 when a log is damaged (what precedes the damage is exported); 2 on errors."
)]
pub struct Args {
    /// The output format.
    #[arg(long, value_name = "FORMAT", value_parser = formats())]
    pub format: Format,
    /// Where to write (`-` or none: standard output; pprof, which is binary, refuses a
    /// terminal).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Do not symbolize backtraces (raw addresses and modules).
    #[arg(long)]
    pub no_symbols: bool,
    /// The event logs (a directory: every `*.tklog` in it; `-` reads standard input).
    #[arg(required = true, value_name = "LOG")]
    pub logs: Vec<PathBuf>,
}

/// The names of the export formats.
fn formats() -> impl TypedValueParser<Value = Format> {
    PossibleValuesParser::new(
        Format::ALL
            .iter()
            .filter(|f| f.is_export())
            .map(|f| f.name()),
    )
    .try_map(|name| Format::from_name(&name).ok_or("not a format"))
}

impl Args {
    /// The export's plain config.
    pub fn into_config(self) -> ExportConfig {
        ExportConfig {
            format: self.format,
            logs: self.logs,
            output: self.output.filter(|o| o.as_os_str() != "-"),
            symbolize: !self.no_symbols,
        }
    }
}
