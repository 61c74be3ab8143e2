//! `tracekit heap`'s arguments, checked and turned into a [`HeapConfig`].

use std::ffi::OsString;
use std::path::PathBuf;

use anyhow::bail;
use tracekit::export::leak::LeakMode;
use tracekit::heap::{HeapConfig, LogPlace, ReportTo};
use tracekit::pertest::PerTestGates;
use tracekit::size::Size;

use super::report::ReportOptions;

/// Options of `tracekit heap`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Logs: one per process, in a new directory ./tracekit-heap.<exe>.<pid>/ (or -o DIR/); \
`tracekit report DIR` reads them all.\n\
Output: the text report goes to stderr; --json (or --report -) writes the report to stdout and \
sends the command's own stdout to stderr, so it can be piped; status lines go to stderr.\n\
Exit status: the command's (128 + signal if killed); if it succeeded, 1 when a --max-* gate \
is exceeded and 3 when a log is damaged; 127/126 when the command cannot be run; 2 on errors \
and when no log was written.")]
pub struct Args {
    /// Where the logs go: a directory (an existing one, or a path ending in `/`), or a file
    /// pattern where `%p` becomes the pid and `%e` the executable's name [default: a new
    /// directory ./tracekit-heap.<exe>.<pid>/]
    #[allow(rustdoc::invalid_html_tags, rustdoc::broken_intra_doc_links)] // clap's --help text
    #[arg(short, long, value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// The preload library, or its directory [default: $TRACEKIT_PRELOAD_DIR, else next to tracekit]
    #[arg(long, value_name = "PATH")]
    pub preload: Option<PathBuf>,
    /// Trace only the first program of each process, not the programs it `exec`s (by
    /// default a command behind a wrapper script, `env` or `sh -c` is traced too).
    #[arg(long)]
    pub no_follow_exec: bool,
    /// Follow `exec` (the default; kept for older scripts).
    #[arg(long, hide = true, conflicts_with = "no_follow_exec")]
    pub follow_exec: bool,
    /// Write the report to FILE instead of stderr (`-`: stdout, as --json does).
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// No status lines (where the logs go), only the report and errors.
    #[arg(short, long)]
    pub quiet: bool,
    /// Leave the logs without their symbols (see `tracekit pack`).
    #[arg(long)]
    pub no_pack: bool,
    /// memcheck's heuristics for the leak check: `all` (the default), `none`, or names joined
    /// by commas (stdstring, length64, newarray, multipleinheritance).
    #[arg(long, value_name = "LIST", value_parser = leak_heuristics)]
    pub leak_check_heuristics: Option<String>,
    /// Attach to the running process PID instead of running a command: record its heap
    /// from now until --duration, Ctrl-C, or its exit; then detach and report.
    #[arg(
        short = 'p',
        long = "pid",
        value_name = "PID",
        conflicts_with = "command"
    )]
    pub pid: Option<i32>,
    /// With -p: detach after S seconds.
    #[arg(long, value_name = "S", requires = "pid")]
    pub duration: Option<f64>,
    /// Follow the heap in a terminal view while the command runs (as `tracekit top`): `q`
    /// leaves the view, the command goes on, and the report follows when it ends.
    #[arg(long)]
    pub live: bool,
    /// Also print the figures of each test of a test suite (allocated, peak and leaked bytes
    /// per test): Rust's test harness runs each test on a thread named after it; other
    /// harnesses mark their tests with tracekit_heap.h's TRACEKIT_TEST_BEGIN/END.
    #[arg(long)]
    pub per_test: bool,
    /// With --per-test: fail (exit 1) when one test's heap peak exceeds SIZE.
    #[arg(long, value_name = "SIZE", requires = "per_test")]
    pub max_peak_per_test: Option<Size>,
    /// With --per-test: fail (exit 1) when one test leaves more than SIZE live at exit.
    #[arg(long, value_name = "SIZE", requires = "per_test")]
    pub max_leaked_per_test: Option<Size>,
    #[command(flatten)]
    pub options: ReportOptions,
    /// The command and its arguments (after `--`).
    #[arg(trailing_var_arg = true, value_name = "COMMAND")]
    pub command: Vec<OsString>,
}

impl Args {
    /// Checks what the user typed and turns it into a config.
    pub fn into_config(self) -> anyhow::Result<HeapConfig> {
        let attach = match (self.pid, self.duration) {
            (Some(pid), d) => Some(tracekit::heap::attach::AttachTo {
                pid,
                duration: match d {
                    Some(s) if !(s.is_finite() && s > 0.0) => {
                        bail!("heap: --duration wants a number of seconds above 0, not {s}")
                    }
                    d => d.map(std::time::Duration::from_secs_f64),
                },
            }),
            (None, _) => None,
        };
        if self.command.is_empty() && attach.is_none() {
            bail!("heap: no command given (usage: tracekit heap [OPTIONS] -- COMMAND [ARGS...], or tracekit heap -p PID)");
        }
        let logs = match self.output {
            None => LogPlace::NewDir,
            Some(p) if p.as_os_str().to_string_lossy().ends_with('/') || p.is_dir() => {
                LogPlace::Dir(p)
            }
            Some(p) => LogPlace::Pattern(p),
        };
        let report = self.options.to_config()?;
        let report_to = match self.report {
            Some(p) if p.as_os_str() == "-" => ReportTo::Stdout,
            Some(p) => ReportTo::File(p),
            None if report.format == tracekit::export::Format::Json => ReportTo::Stdout,
            None => ReportTo::Stderr,
        };
        Ok(HeapConfig {
            command: self.command,
            preload: self.preload,
            follow_exec: !self.no_follow_exec,
            logs,
            report_to,
            verbose: !self.quiet,
            no_pack: self.no_pack,
            leak_check: self.options.leak_mode().filter(|m| *m != LeakMode::No),
            leak_heuristics: self.leak_check_heuristics,
            report,
            attach,
            live: self.live,
            per_test: self.per_test.then_some(PerTestGates {
                max_peak: self.max_peak_per_test,
                max_leaked: self.max_leaked_per_test,
            }),
        })
    }
}

/// memcheck's `--leak-check-heuristics` list, checked here so a typo is a one-line error
/// before the program runs (the program reads the same names).
fn leak_heuristics(s: &str) -> Result<String, String> {
    const NAMES: [&str; 6] = [
        "all",
        "none",
        "stdstring",
        "length64",
        "newarray",
        "multipleinheritance",
    ];
    match s.split(',').find(|n| !NAMES.contains(n)) {
        Some(bad) => Err(format!(
            "unknown leak check heuristic {bad:?} (expected stdstring, length64, newarray, \
             multipleinheritance, all or none)"
        )),
        None => Ok(s.to_owned()),
    }
}
