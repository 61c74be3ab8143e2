//! `tracekit report`'s arguments, and the report options `tracekit heap` shares.

use std::path::PathBuf;

use tracekit::export::Format;
use tracekit::report::{Config, Gates};
use tracekit::size::Size;

/// Options of `tracekit report`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Exit status: 0; 1 when a --max-* gate is exceeded; 3 when a log is \
damaged (the report covers what precedes the damage); 2 on errors.\n\
JSON schema: tracekit.heap-report/1 (tracekit/SCHEMA.md)."
)]
pub struct Args {
    #[command(flatten)]
    pub options: ReportOptions,
    /// The event logs (several: the processes of one run, such as a parent and its children;
    /// a directory: every `*.tklog` in it, such as a `tracekit heap` run's; `-` reads standard
    /// input).
    #[arg(required = true, value_name = "LOG")]
    pub logs: Vec<PathBuf>,
}

impl Args {
    /// The logs as named, and the report's config.
    pub fn into_config(self) -> (Vec<PathBuf>, Config) {
        let config = self.options.to_config();
        (self.logs, config)
    }
}

/// A format `tracekit report` and `tracekit diff` print in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// Text for a terminal.
    Text,
    /// JSON (the command's versioned schema).
    Json,
    /// Markdown tables, for a CI step summary.
    Markdown,
}

/// The format `--json` and `--format` ask for (text by default).
pub fn chosen_format(json: bool, format: Option<ReportFormat>) -> Format {
    match (json, format) {
        (true, _) | (_, Some(ReportFormat::Json)) => Format::Json,
        (_, Some(ReportFormat::Markdown)) => Format::Markdown,
        _ => Format::Text,
    }
}

/// The report options `tracekit report` and `tracekit heap` share.
#[derive(Debug, Clone, clap::Args)]
pub struct ReportOptions {
    /// Print JSON (schema `tracekit.heap-report/1`, see SCHEMA.md) instead of text.
    #[arg(long)]
    pub json: bool,
    /// The report's format: `text`, `json` (as --json), or `markdown` (tables for a CI step
    /// summary, with the gates).
    #[arg(long, value_enum, value_name = "FORMAT", conflicts_with = "json")]
    pub format: Option<ReportFormat>,
    /// Allocation sites to show per ranking (calls, bytes, peak, leaks); 0 shows every site.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub top: usize,
    /// Fail (exit 1) when the heap peak (of the largest process) exceeds SIZE: `64KiB`, `10MB`,
    /// `1.5GiB`, or plain bytes.
    #[arg(long, value_name = "SIZE")]
    pub max_peak: Option<Size>,
    /// Fail (exit 1) when the bytes leaked at exit (all processes together) exceed SIZE.
    #[arg(long, value_name = "SIZE")]
    pub max_leaked: Option<Size>,
    /// Fail (exit 1) when more than N blocks were allocated (all processes; a realloc is one).
    #[arg(long, value_name = "N")]
    pub max_allocs: Option<u64>,
    /// Fail (exit 1) when more than N allocations were temporary (freed by the next heap
    /// call, as heaptrack counts them).
    #[arg(long, value_name = "N")]
    pub max_temporary: Option<u64>,
    /// Also print how long blocks lived (histograms in allocations, and in time with a fine
    /// clock) and the sites by short-lived bytes (JSON always has them).
    #[arg(long)]
    pub lifetimes: bool,
    /// Do not symbolize backtraces (print raw addresses and modules).
    #[arg(long)]
    pub no_symbols: bool,
    /// With several processes, print each one's full summary after the totals.
    #[arg(long)]
    pub per_process: bool,
    /// Report only the processes whose executable is named NAME (memusage's --progname).
    #[arg(long, value_name = "NAME")]
    pub progname: Option<String>,
    /// Frames shown per backtrace in the text report (as valgrind's --num-callers); 0: all.
    #[arg(long, value_name = "N", default_value_t = 12)]
    pub depth: usize,
    /// Also write every allocation site as collapsed stacks weighted by bytes, for
    /// flamegraph.pl or inferno-flamegraph.
    #[arg(long, value_name = "FILE")]
    pub collapsed: Option<PathBuf>,
}

impl ReportOptions {
    /// The report's plain config.
    pub fn to_config(&self) -> Config {
        Config {
            format: chosen_format(self.json, self.format),
            top: self.top,
            symbolize: !self.no_symbols,
            per_process: self.per_process,
            depth: self.depth,
            also: self
                .collapsed
                .iter()
                .map(|path| (Format::Collapsed, path.clone()))
                .collect(),
            progname: self.progname.clone(),
            gates: Gates {
                max_peak: self.max_peak.clone(),
                max_leaked: self.max_leaked.clone(),
                max_allocs: self.max_allocs,
                max_temporary: self.max_temporary,
            },
            lifetimes: self.lifetimes,
            command_killed: None,
        }
    }
}
