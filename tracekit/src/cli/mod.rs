//! The command line, and the only place that knows clap: each command's arguments are parsed
//! here and turned into the plain config its library module takes (`heap::HeapConfig`,
//! `report::Config`, ...). A new command is a module here and one arm of [`Cmd`].

mod diff;
mod dump;
mod efence;
mod export;
mod heap;
mod pack;
mod report;
mod segv;
mod top;

use clap::{Parser, Subcommand};

/// Userspace runtime instrumentation for Linux: heap tracking, crash reports, reports from logs.
#[derive(Parser, Debug)]
#[command(name = "tracekit", version, about)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Run a command under the heap tracker and print a memusage-style summary when it exits.
    Heap(heap::Args),
    /// Print a report from an event log.
    Report(report::Args),
    /// Dump an event log as JSON lines.
    Dump(dump::Args),
    /// Write logs in a format other tools read: pprof, dhat, chrome, collapsed.
    Export(export::Args),
    /// Compare two runs' logs (heap or strace-rs): what got worse, with CI gates.
    Diff(diff::Args),
    /// Write the symbols of a log's stacks into it, so it reports the same without the binaries.
    Pack(pack::Args),
    /// Run a command under the crash handler (the catchsegv of tracekit).
    Segv(segv::Args),
    /// Run a command under the fence allocator: overflows and uses after free fault, with a report.
    Efence(efence::Args),
    /// Follow a heap log (or a traced process) live: the heap now, its peak, the top sites.
    Top(top::Args),
}

/// Parses the command line; runs the command it names; returns its exit status. A usage error
/// (or help, or version) is clap's, for the caller to print.
pub fn run() -> Result<anyhow::Result<u8>, clap::Error> {
    let cli = Cli::try_parse()?;
    Ok(match cli.cmd {
        Cmd::Heap(a) => a.into_config().and_then(|c| tracekit::heap::run(&c)),
        Cmd::Report(a) => a
            .into_config()
            .and_then(|(logs, config)| tracekit::report::run(&logs, &config)),
        Cmd::Dump(a) if a.strace_text => tracekit::dump::strace_text(&a.log),
        Cmd::Dump(a) => tracekit::dump::run(&a.log),
        Cmd::Export(a) => tracekit::export::command::run(&a.into_config()),
        Cmd::Diff(a) => tracekit::diff::run(&a.into_config()),
        Cmd::Pack(a) => tracekit::pack::run(&a.logs),
        Cmd::Segv(a) => match a.into_mode() {
            Ok(segv::Mode::Run(c)) => tracekit::segv::run(&c),
            Ok(segv::Mode::Symbolize(pid, frames)) => tracekit::segv::symbolizer::run(pid, &frames),
            Err(e) => Err(e),
        },
        Cmd::Efence(a) => a.into_config().and_then(|c| tracekit::efence::run(&c)),
        Cmd::Top(a) => tracekit::top::run(&a.into_config()),
    })
}
