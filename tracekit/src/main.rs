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
    /// Write the symbols of a log's stacks into it, so it reports the same without the binaries.
    Pack(tracekit::pack::Args),
    /// Run a command under the crash handler (the catchsegv of tracekit).
    Segv(tracekit::segv::Args),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    let result = match cli.cmd {
        Cmd::Heap(a) => tracekit::heap::run(a),
        Cmd::Report(a) => tracekit::report::run(a),
        Cmd::Dump(a) => tracekit::dump::run(a),
        Cmd::Pack(a) => tracekit::pack::run(a),
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

/// Help and version go out as clap prints them; a usage error becomes one line (clap's first)
/// and exit status 2.
fn usage_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        let _ = e.print();
        return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
    }
    // clap's message is its first paragraph ("error: ..." and, for missing arguments, the
    // list of them); usage and tips follow a blank line.
    let text = e.render().to_string();
    let message: Vec<&str> = text
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .map(str::trim)
        .collect();
    let message = message.join(" ");
    let message = message.strip_prefix("error: ").unwrap_or(&message);
    eprintln!("tracekit: {message} (see tracekit --help)");
    ExitCode::from(2)
}
