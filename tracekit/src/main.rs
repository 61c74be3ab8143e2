//! `tracekit`: parses the command line into plain configs and hands them to the library.

use std::process::ExitCode;

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
    Heap(tracekit::heap::Args),
    /// Print a report from an event log.
    Report(tracekit::report::Args),
    /// Dump an event log as JSON lines.
    Dump(tracekit::dump::Args),
    /// Run a command under the crash handler (the catchsegv of tracekit).
    Segv(tracekit::segv::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.cmd {
        Cmd::Heap(a) => tracekit::heap::run(a),
        Cmd::Report(a) => tracekit::report::run(a),
        Cmd::Dump(a) => tracekit::dump::run(a),
        Cmd::Segv(a) => tracekit::segv::run(a),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            {
                return ExitCode::SUCCESS;
            }
            eprintln!("tracekit: {e:#}");
            ExitCode::from(2)
        }
    }
}
