//! `tracekit`: parses the command line into plain configs and hands them to the library.

use std::process::ExitCode;

mod cli;

fn main() -> ExitCode {
    let result = match cli::run() {
        Ok(result) => result,
        Err(e) => return usage_error(e),
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
