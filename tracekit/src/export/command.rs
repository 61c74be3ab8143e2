//! `tracekit export`: logs to one file in a [`Format`] another tool reads (pprof, DHAT,
//! Chrome's traces, collapsed stacks). The analysis runs with its detail pass when the format
//! needs it; the report model holds every site; the format's writer does the rest.
//!
//! Exit status as `tracekit report`'s: 0; 3 when a log is damaged (what precedes the damage is
//! exported, the reader's message with the byte offset goes to stderr); 2 on errors (an output
//! that cannot be written, a log with nothing the format can hold).

use std::io::{BufWriter, IsTerminal, Write};
use std::path::PathBuf;

use anyhow::Context;

use super::Format;
use crate::analysis::Analysis;
use crate::report;

/// What `tracekit export` needs (the command line's `cli::export` makes it).
#[derive(Debug, Clone)]
pub struct ExportConfig {
    /// The format.
    pub format: Format,
    /// The logs as named (a directory stands for its logs, `-` for standard input).
    pub logs: Vec<PathBuf>,
    /// Where to write (`None`: standard output).
    pub output: Option<PathBuf>,
    /// Symbolize backtraces.
    pub symbolize: bool,
}

/// Runs `tracekit export`; returns the exit status.
pub fn run(config: &ExportConfig) -> anyhow::Result<u8> {
    let format = config.format;
    // The output first: a place that cannot be written is said before any work.
    let mut out: Box<dyn Write> = match &config.output {
        Some(path) => Box::new(BufWriter::new(
            tracekit_log::create_output(path)
                .with_context(|| format!("cannot write {}", path.display()))?,
        )),
        None => {
            let stdout = std::io::stdout();
            if format.is_binary() && stdout.is_terminal() {
                anyhow::bail!(
                    "the {} format is binary: give -o FILE or redirect standard output",
                    format.name()
                );
            }
            Box::new(BufWriter::new(stdout.lock()))
        }
    };
    let logs = report::expand_dirs(&config.logs)?;
    let mut analysis = if format.writer().needs_detail() {
        Analysis::with_detail()
    } else {
        Analysis::new()
    };
    if !format.writer().needs_graph() {
        analysis.heap.skip_over_time();
    }
    if !format.writer().needs_heap_counter() {
        analysis.heap.skip_heap_counter();
    }
    if !format.writer().needs_lifetimes() {
        analysis.heap.skip_lifetimes();
    }
    if !format.writer().needs_timeline() {
        analysis.heap.skip_timeline();
    }
    let names = report::read_logs(&mut analysis, &logs)?;
    // A damaged log may hold no event at all before the damage: that is said as for the
    // report (exit 3), with what there is exported.
    if format.is_heap_only() && (analysis.damage.is_empty() || holds_other_events(&analysis)) {
        check_heap(&analysis, &names, format)?;
    }
    let rconfig = report::Config {
        format,
        top: 0,
        symbolize: config.symbolize,
        per_process: false,
        depth: 0,
        also: Vec::new(),
        progname: None,
        gates: report::Gates::default(),
        command_killed: None,
        leak: report::LeakOptions::default(),
        lifetimes: false,
        time: crate::model::graph::TimeAxis::Auto,
        pages_as_heap: false,
    };
    // The detail moves into the model (the model would otherwise copy it: every system call
    // of a strace-rs log twice).
    let detail = analysis.detail.take();
    let mut report = report::build_report(&analysis, &names, &rconfig);
    report.detail = detail;
    let written = format
        .writer()
        .write(&report, &rconfig.export_options(), &mut out)
        .and_then(|()| out.flush());
    match (&config.output, written) {
        (_, Ok(())) => {}
        (Some(path), Err(e)) => {
            return Err(e).with_context(|| format!("cannot write {}", path.display()))
        }
        (None, Err(e)) => return Err(e.into()),
    }
    Ok(report::finish(&report, &rconfig))
}

/// True when the logs hold events of the other tools (system calls, crashes, findings).
fn holds_other_events(analysis: &Analysis) -> bool {
    analysis.syscalls.events != 0
        || !analysis.crashes.crashes.is_empty()
        || !analysis.fences.fences.is_empty()
}

/// Fails when the logs hold no heap event, saying what they hold instead.
fn check_heap(analysis: &Analysis, names: &[String], format: Format) -> anyhow::Result<()> {
    let heap = &analysis.heap.processes;
    if heap.iter().any(|p| p.events != 0) {
        return Ok(());
    }
    let mut tools: Vec<&str> = heap
        .iter()
        .map(|p| p.info.tool.as_str())
        .filter(|t| !t.is_empty())
        .collect();
    tools.dedup();
    let mut holds = Vec::new();
    if analysis.syscalls.events != 0 {
        holds.push(format!("{} system calls", analysis.syscalls.events));
    }
    if !analysis.crashes.crashes.is_empty() {
        holds.push(format!("{} crash reports", analysis.crashes.crashes.len()));
    }
    if !analysis.fences.fences.is_empty() {
        holds.push(format!(
            "{} fence-allocator findings",
            analysis.fences.fences.len()
        ));
    }
    let what = match (tools.is_empty(), holds.is_empty()) {
        (true, true) => "no events".to_owned(),
        (false, true) => format!("a {} log without heap events", tools.join("/")),
        (true, false) => holds.join(", "),
        (false, false) => format!("a {} log: {}", tools.join("/"), holds.join(", ")),
    };
    let chrome = if format != Format::Chrome && analysis.syscalls.events != 0 {
        " (--format chrome shows system calls)"
    } else {
        ""
    };
    anyhow::bail!(
        "{}: {what}, no heap events for a {} export{chrome}",
        names.join(", "),
        format.name()
    )
}
