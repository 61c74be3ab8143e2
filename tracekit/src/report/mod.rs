//! `tracekit report` (and the report at the end of `tracekit heap`): reads event logs through
//! the [`analysis`](crate::analysis), builds the report [`model`] and writes it in the
//! configured [`Format`] (memusage-style text, or JSON `tracekit.heap-report/2` documented in
//! `tracekit/SCHEMA.md`), plus any other formats to files (`--collapsed`); then the gates.
//!
//! Exit status: 0; 1 when a `--max-*` gate is exceeded; 3 when a log is damaged (the report
//! covers the events before the damage); 2 for errors (options, unreadable files).

use std::io::{BufWriter, Write};
use std::path::PathBuf;

use anyhow::Context;

use crate::analysis::leak::{LeakKind, LeakKinds};
use crate::analysis::Analysis;
use crate::export::leak::{LeakMode, LeakPrint};
use crate::export::{ExportOptions, Format, Writer};
use crate::model::graph::TimeAxis;
use crate::model::suppress::Suppressions;
use crate::model::{self, Report};
use crate::size::Size;
use crate::symbols::{NoSymbols, Resolve, Symbols};

/// Exit status when a gate is exceeded.
pub const EXIT_GATE: u8 = 1;
/// Exit status when a log is damaged.
pub const EXIT_DAMAGED: u8 = 3;

/// Limits that fail a run, for CI.
#[derive(Debug, Clone, Default)]
pub struct Gates {
    /// Largest allowed heap peak.
    pub max_peak: Option<Size>,
    /// Largest allowed leak.
    pub max_leaked: Option<Size>,
    /// The leak kinds `max_leaked` counts when the processes made a leak check (without one,
    /// every block live at exit counts); `None`: definitely and indirectly lost.
    pub max_leaked_kinds: Option<LeakKinds>,
    /// Most allocations allowed (valgrind's `allocs`: blocks handed out, a realloc is one).
    pub max_allocs: Option<u64>,
    /// Most temporary allocations allowed (heaptrack's definition).
    pub max_temporary: Option<u64>,
}

/// One gate checked: what it allows, what the run did, whether it passed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct GateResult {
    /// The option, as typed on the command line (`--max-peak`).
    pub gate: String,
    /// Its limit, as typed, with bytes when it is a size.
    pub limit: String,
    /// What the run did.
    pub actual: String,
    /// True when within the limit.
    pub passed: bool,
    /// What a failure says (on stderr).
    #[serde(skip)]
    pub message: String,
}
/// The leak check's options, with valgrind's names.
#[derive(Debug, Clone)]
pub struct LeakOptions {
    /// `--leak-check` and `--show-leak-kinds`, for the text report.
    pub print: LeakPrint,
    /// `--errors-for-leak-kinds`.
    pub errors_for: LeakKinds,
    /// `--error-exitcode`: the exit status when a loss record of those kinds was found.
    pub error_exitcode: Option<u8>,
    /// `--suppressions`, read.
    pub suppressions: Suppressions,
}

impl Default for LeakOptions {
    fn default() -> Self {
        LeakOptions {
            print: LeakPrint {
                mode: LeakMode::Summary,
                show: LeakKinds::DEFAULT,
                depth: 12,
                gen_suppressions: false,
            },
            errors_for: LeakKinds::DEFAULT,
            error_exitcode: None,
            suppressions: Suppressions::default(),
        }
    }
}

impl LeakOptions {
    /// The loss records that count as errors (`--errors-for-leak-kinds`), all processes.
    pub fn errors(&self, r: &Report) -> u64 {
        r.leaks
            .iter()
            .filter(|l| l.last)
            .flat_map(|l| &l.records)
            .filter(|rec| self.errors_for.has(rec.kind) && !rec.suppressed)
            .count() as u64
    }
}

impl Gates {
    /// Every configured gate, checked against `r`.
    pub fn results(&self, r: &Report) -> Vec<GateResult> {
        let t = &r.heap.total;
        let mut v = Vec::new();
        let mut gate = |name: &str, limit: String, max: u64, value: u64, actual: String| {
            v.push(GateResult {
                gate: name.to_owned(),
                message: format!("{actual} exceeds {name} {limit}"),
                limit,
                actual,
                passed: value <= max,
            });
        };
        if let Some(max) = &self.max_peak {
            let actual = format!("heap peak {} bytes (pid {})", t.peak.heap_bytes, t.peak.pid);
            gate(
                "--max-peak",
                max.to_string(),
                max.bytes,
                t.peak.heap_bytes,
                actual,
            );
        }
        if let Some(max) = &self.max_leaked {
            let (bytes, blocks, what) = self.leaked(r);
            let actual = format!("{bytes} bytes {what} in {blocks} blocks");
            gate("--max-leaked", max.to_string(), max.bytes, bytes, actual);
        }
        if let Some(max) = self.max_allocs {
            let actual = format!("{} allocations", t.valgrind.allocs);
            gate(
                "--max-allocs",
                max.to_string(),
                max,
                t.valgrind.allocs,
                actual,
            );
        }
        if let Some(max) = self.max_temporary {
            let actual = format!("{} temporary allocations", t.temporary);
            gate("--max-temporary", max.to_string(), max, t.temporary, actual);
        }
        v
    }

    /// One message per exceeded gate.
    pub fn check(&self, r: &Report) -> Vec<String> {
        self.results(r)
            .into_iter()
            .filter(|g| !g.passed)
            .map(|g| g.message)
            .collect()
    }
    /// What `--max-leaked` counts: bytes, blocks, and how it says it.
    fn leaked(&self, report: &Report) -> (u64, u64, String) {
        if report.leaks.is_empty() {
            let t = &report.heap.total.leaked;
            return (t.bytes, t.blocks, "leaked".to_owned());
        }
        let kinds = self.max_leaked_kinds.unwrap_or(LeakKinds::LOST);
        let (mut bytes, mut blocks, mut names) = (0, 0, Vec::new());
        for k in [
            LeakKind::Definite,
            LeakKind::Indirect,
            LeakKind::Possible,
            LeakKind::Reachable,
        ] {
            if !kinds.has(k) {
                continue;
            }
            names.push(k.phrase());
            for l in report.leaks.iter().filter(|l| l.last) {
                bytes += l.summary.get(k).bytes;
                blocks += l.summary.get(k).blocks;
            }
        }
        (bytes, blocks, names.join(" or "))
    }
}

/// What the report core needs (the command line's `cli::report` makes it).
#[derive(Debug, Clone)]
pub struct Config {
    /// The report's format.
    pub format: Format,
    /// Sites per ranking.
    pub top: usize,
    /// Symbolize backtraces.
    pub symbolize: bool,
    /// Each process in full after the totals.
    pub per_process: bool,
    /// Frames per backtrace in text.
    pub depth: usize,
    /// More outputs, each a format written to a file (`--collapsed FILE`).
    pub also: Vec<(Format, PathBuf)>,
    /// Only the processes whose executable has this file name.
    pub progname: Option<String>,
    /// CI limits.
    pub gates: Gates,
    /// The leak check's printing and exit status.
    pub leak: LeakOptions,
    /// The lifetime histograms in the text report.
    pub lifetimes: bool,
    /// The signal that killed the command `tracekit heap` ran, which its log cannot record.
    pub command_killed: Option<CommandKilled>,
    /// The time axis of the heap over time (`--time`).
    pub time: TimeAxis,
    /// The heap is the program's anonymous mappings, not its heap blocks (massif's
    /// `--pages-as-heap`; see `analysis::mapped`).
    pub pages_as_heap: bool,
}

/// A command killed by a signal, as the launcher that waited for it knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommandKilled {
    /// The launcher's pid: the command is the process it is the parent of.
    pub launcher_pid: u32,
    /// The signal.
    pub signal: u32,
}

impl Config {
    /// What the writers are asked besides the model.
    pub fn export_options(&self) -> ExportOptions {
        ExportOptions {
            top: self.top,
            per_process: self.per_process,
            depth: self.depth,
            lifetimes: self.lifetimes,
        }
    }

    /// Tells the report that the command this process ran was killed by `signal` (when
    /// `Some`): its process, which could not write an `Exit` record, is reported as killed.
    pub fn with_command_signal(mut self, signal: Option<u32>) -> Self {
        self.command_killed = signal.map(|signal| CommandKilled {
            launcher_pid: std::process::id(),
            signal,
        });
        self
    }
}

/// Runs `tracekit report`; returns the exit status.
/// `logs` as named on the command line (a directory stands for its logs, `-` for stdin).
pub fn run(logs: &[PathBuf], config: &Config) -> anyhow::Result<u8> {
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let logs = expand_dirs(logs)?;
    let code = report_logs(&logs, config, &mut out)?;
    out.flush()?;
    Ok(code)
}

/// The logs named by `paths`: a directory stands for the `*.tklog` files in it (the logs of
/// one `tracekit heap` run), oldest first.
pub fn expand_dirs(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut logs = Vec::new();
    for p in paths {
        if p.as_os_str() == "-" || !p.is_dir() {
            logs.push(p.clone());
            continue;
        }
        let entries =
            std::fs::read_dir(p).with_context(|| format!("cannot list {}", p.display()))?;
        let mut found = Vec::new();
        for e in entries {
            let e = e.with_context(|| format!("cannot list {}", p.display()))?;
            let path = e.path();
            if path.extension().is_some_and(|x| x == "tklog") && path.is_file() {
                let meta = e.metadata().ok();
                let time = meta.and_then(|m| m.created().or_else(|_| m.modified()).ok());
                found.push((time, path));
            }
        }
        if found.is_empty() {
            anyhow::bail!(
                "{}: a directory without tracekit logs (*.tklog)",
                p.display()
            );
        }
        found.sort();
        logs.extend(found.into_iter().map(|(_, path)| path));
    }
    Ok(logs)
}

/// Reads `logs`, writes the report to `out`, prints damage and gate messages on stderr, and
/// returns the exit status.
pub fn report_logs(logs: &[PathBuf], config: &Config, out: &mut dyn Write) -> anyhow::Result<u8> {
    let mut analysis = Analysis::new();
    let graph = std::iter::once(config.format)
        .chain(config.also.iter().map(|(f, _)| *f))
        .any(|f| f.writer().needs_graph());
    if !graph {
        analysis.heap.skip_over_time();
    }
    let mut writers = std::iter::once(config.format)
        .chain(config.also.iter().map(|(f, _)| *f))
        .map(|f| f.writer());
    if !(config.lifetimes || writers.clone().any(|w| w.needs_lifetimes())) {
        analysis.heap.skip_lifetimes();
    }
    if !writers.any(|w| w.needs_timeline()) {
        analysis.heap.skip_timeline();
    }
    analysis.heap.pages_as_heap = config.pages_as_heap;
    let names = read_logs(&mut analysis, logs)?;
    if let Some(name) = &config.progname {
        analysis.retain_processes(|p| {
            let exe = p.info.exe.rsplit('/').next().unwrap_or(&p.info.exe);
            exe == name
        });
    }
    let mut resolver = resolver(config, &analysis);
    for (format, path) in &config.also {
        let f = tracekit_log::create_output(path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        let mut w = BufWriter::new(f);
        export(
            &analysis,
            &names,
            config,
            *format,
            resolver.as_mut(),
            &mut w,
        )
        .and_then(|_| w.flush())
        .with_context(|| format!("cannot write {}", path.display()))?;
    }
    let report = export(
        &analysis,
        &names,
        config,
        config.format,
        resolver.as_mut(),
        out,
    )?;
    if config.format == Format::Text {
        crate::export::leak::write(&report.leaks, &config.leak.print, out)?;
    }
    if config.format == Format::Markdown {
        crate::export::markdown::write_gates(&config.gates.results(&report), out)?;
    }
    // The report first, then the messages (which go to stderr, maybe the same stream).
    out.flush()?;
    Ok(finish(&report, config))
}

/// Streams `logs` (`-`: standard input) into `analysis`; returns their names as the report
/// gives them. A damaged log is not an error (see [`Analysis::read_log`]).
pub fn read_logs(analysis: &mut Analysis, logs: &[PathBuf]) -> anyhow::Result<Vec<String>> {
    let names: Vec<String> = logs.iter().map(|p| p.display().to_string()).collect();
    for (path, name) in logs.iter().zip(&names) {
        if path.as_os_str() == "-" {
            analysis
                .read_log("stdin", std::io::stdin())
                .context("stdin")?;
            continue;
        }
        let file = std::fs::File::open(path).with_context(|| format!("cannot open {name}"))?;
        match analysis.read_log(name, file) {
            // A process killed as it started (a fork storm's SIGKILL) leaves its log created
            // and empty: nothing lost, nothing to report; said, not an error.
            Err(e) if matches!(e.kind, tracekit_log::ErrorKind::Empty) => {
                eprintln!("tracekit: {name}: {e}: skipped");
            }
            r => r.with_context(|| name.clone())?,
        }
    }
    Ok(names)
}

/// Builds the report `format` needs and writes it to `out`; returns it.
fn export(
    analysis: &Analysis,
    names: &[String],
    config: &Config,
    format: Format,
    resolver: &mut dyn Resolve,
    out: &mut dyn Write,
) -> std::io::Result<Report> {
    let writer = format.writer();
    let opts = config.export_options();
    let report = build(analysis, names, config, writer, resolver);
    writer.write(&report, &opts, out)?;
    Ok(report)
}

/// Builds the report of `analysis` with the configured symbolizer, holding the sites the
/// configured format needs.
pub fn build_report(analysis: &Analysis, names: &[String], config: &Config) -> Report {
    build(
        analysis,
        names,
        config,
        config.format.writer(),
        resolver(config, analysis).as_mut(),
    )
}

fn build(
    analysis: &Analysis,
    names: &[String],
    config: &Config,
    writer: &dyn Writer,
    resolver: &mut dyn Resolve,
) -> Report {
    let selection = writer.selection(&config.export_options());
    let mut report = model::build(analysis, names, selection, resolver);
    for l in &mut report.leaks {
        config.leak.suppressions.apply(l);
    }
    if writer.needs_graph() {
        report = report.with_graph(analysis, config.time, resolver);
    }
    if let Some(k) = config.command_killed {
        report.heap.command_killed(k.launcher_pid, k.signal);
    }
    report
}

fn resolver(config: &Config, analysis: &Analysis) -> Box<dyn Resolve> {
    if config.symbolize {
        Box::new(Symbols::with_packed(analysis.packed.clone()))
    } else {
        Box::new(NoSymbols)
    }
}

/// Prints damage and gate messages on stderr and returns the exit status they call for.
pub fn finish(report: &Report, config: &Config) -> u8 {
    let mut code = 0;
    for d in &report.damage {
        eprintln!("tracekit: {}: {}", d.log, d.message);
        code = EXIT_DAMAGED;
    }
    for msg in config.gates.check(report) {
        eprintln!("tracekit: {msg}");
        if code == 0 {
            code = EXIT_GATE;
        }
    }
    if let Some(n) = config.leak.error_exitcode.filter(|&n| n != 0) {
        let errors = config.leak.errors(report);
        if errors > 0 {
            eprintln!(
                "tracekit: {errors} loss records of the kinds of --errors-for-leak-kinds: \
                 exit status {n} (--error-exitcode)"
            );
            code = n;
        }
    }
    code
}
