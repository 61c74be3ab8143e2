//! `tracekit report`'s arguments, and the report options `tracekit heap` shares.

use std::path::PathBuf;

use tracekit::analysis::leak::LeakKinds;
use tracekit::export::leak::{LeakMode, LeakPrint};
use tracekit::export::Format;
use tracekit::model::graph::TimeAxis;
use tracekit::model::suppress::Suppressions;
use tracekit::report::{Config, Gates, LeakOptions};
use tracekit::size::Size;

/// Options of `tracekit report`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Exit status: 0; 1 when a --max-* gate is exceeded; 3 when a log is \
damaged (the report covers what precedes the damage); 2 on errors.\n\
JSON schema: tracekit.heap-report/2 (tracekit/SCHEMA.md)."
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
    pub fn into_config(self) -> anyhow::Result<(Vec<PathBuf>, Config)> {
        let config = self.options.to_config()?;
        Ok((self.logs, config))
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
    /// Print JSON (schema `tracekit.heap-report/2`, see SCHEMA.md) instead of text.
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
    /// Fail (exit 1) when the bytes leaked at exit (all processes together) exceed SIZE;
    /// with a leak check, the bytes of the kinds of --max-leaked-kinds.
    #[arg(long, value_name = "SIZE")]
    pub max_leaked: Option<Size>,
    /// The leak kinds --max-leaked counts when the processes made a leak check.
    #[arg(long, value_name = "KINDS", value_parser = leak_kinds, default_value = "definite,indirect")]
    pub max_leaked_kinds: LeakKinds,
    /// Classify the blocks live at exit as valgrind memcheck does (definitely, indirectly,
    /// possibly lost, still reachable): `tracekit heap` runs the check in the program
    /// (TRACEKIT_LEAK_CHECK); the report prints its LEAK SUMMARY (summary) and loss records
    /// (full) [default for reports: summary, when the logs hold a check]
    #[arg(long, value_name = "no|summary|full", value_parser = ["no", "summary", "full"])]
    pub leak_check: Option<String>,
    /// Leak kinds shown with --leak-check=full (definite,indirect,possible,reachable, all, none).
    #[arg(long, value_name = "KINDS", value_parser = leak_kinds, default_value = "definite,possible")]
    pub show_leak_kinds: LeakKinds,
    /// Leak kinds that count as errors for --error-exitcode.
    #[arg(long, value_name = "KINDS", value_parser = leak_kinds, default_value = "definite,possible")]
    pub errors_for_leak_kinds: LeakKinds,
    /// Exit with N when the leak check found loss records of the kinds of
    /// --errors-for-leak-kinds (0: never, valgrind's default).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub error_exitcode: u8,
    /// A suppression file: valgrind memcheck's entries (`Memcheck:Leak`, `match-leak-kinds:`,
    /// `fun:`/`obj:`/`src:` with `*` and `?`, `...`) or LeakSanitizer's `leak:PATTERN` lines;
    /// the records they match count on the "suppressed:" line. Repeatable.
    #[arg(long, value_name = "FILE")]
    pub suppressions: Vec<PathBuf>,
    /// Print memcheck's suppression entry after each loss record shown (`yes` prints them
    /// all too: the report asks nothing).
    #[arg(long, value_name = "no|yes|all", value_parser = ["no", "yes", "all"], default_value = "no")]
    pub gen_suppressions: String,
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
    /// Print the heap over time as valgrind's ms_print prints massif's file (a 72x20 chart,
    /// the snapshots, the detailed ones with their sites) instead of the summary.
    #[arg(long, conflicts_with = "json")]
    pub graph: bool,
    /// The time axis of --graph, --massif, --svg, --html: `B` (bytes allocated and freed,
    /// exact whatever the clock) or `ms` (the log's clock); default: ms when the log was
    /// recorded with TRACEKIT_CLOCK=fine, else B.
    #[arg(long, value_name = "UNIT", value_parser = parse_time_axis)]
    pub time: Option<TimeAxis>,
    /// Also write the heap over time as a valgrind massif file (massif.out), for ms_print
    /// and massif-visualizer.
    #[arg(long, value_name = "FILE")]
    pub massif: Option<PathBuf>,
    /// Also write pictures (the heap over time with its largest sites stacked; flame graphs
    /// of bytes allocated, at the peak and leaked) as one self-contained SVG file.
    #[arg(long, value_name = "FILE")]
    pub svg: Option<PathBuf>,
    /// Also write the same pictures as one self-contained HTML page.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Count pages instead of heap blocks, as massif's option of that name: the heap is the
    /// anonymous memory the program mapped itself (mmap, mremap, brk), each mapping a block at
    /// the stack that made it; heap blocks are left out.
    #[arg(long)]
    pub pages_as_heap: bool,
}

fn parse_time_axis(s: &str) -> Result<TimeAxis, String> {
    match s {
        "B" | "b" | "bytes" => Ok(TimeAxis::Bytes),
        "ms" => Ok(TimeAxis::Ms),
        _ => Err(format!("`{s}`: the time axis is `B` or `ms`")),
    }
}

fn leak_kinds(s: &str) -> Result<LeakKinds, String> {
    LeakKinds::parse(s)
}

impl ReportOptions {
    /// `--leak-check` as given.
    pub fn leak_mode(&self) -> Option<LeakMode> {
        self.leak_check.as_deref().map(|m| match m {
            "no" => LeakMode::No,
            "full" => LeakMode::Full,
            _ => LeakMode::Summary,
        })
    }

    /// The report's plain config (the suppression files read).
    pub fn to_config(&self) -> anyhow::Result<Config> {
        Ok(Config {
            format: if self.graph && self.format.is_none() {
                Format::Graph
            } else {
                chosen_format(self.json, self.format)
            },
            top: self.top,
            symbolize: !self.no_symbols,
            per_process: self.per_process,
            depth: self.depth,
            also: self
                .collapsed
                .iter()
                .map(|path| (Format::Collapsed, path.clone()))
                .chain(self.massif.iter().map(|p| (Format::Massif, p.clone())))
                .chain(self.svg.iter().map(|p| (Format::Svg, p.clone())))
                .chain(self.html.iter().map(|p| (Format::Html, p.clone())))
                .collect(),
            progname: self.progname.clone(),
            gates: Gates {
                max_peak: self.max_peak.clone(),
                max_leaked: self.max_leaked.clone(),
                max_leaked_kinds: Some(self.max_leaked_kinds),
                max_allocs: self.max_allocs,
                max_temporary: self.max_temporary,
            },
            leak: LeakOptions {
                print: LeakPrint {
                    mode: self.leak_mode().unwrap_or(LeakMode::Summary),
                    show: self.show_leak_kinds,
                    depth: self.depth,
                    gen_suppressions: self.gen_suppressions != "no",
                },
                errors_for: self.errors_for_leak_kinds,
                error_exitcode: Some(self.error_exitcode),
                suppressions: Suppressions::read(&self.suppressions)?,
            },
            lifetimes: self.lifetimes,
            command_killed: None,
            time: self.time.unwrap_or_default(),
            pages_as_heap: self.pages_as_heap,
        })
    }
}
