//! `strace-rs`: parses the command line into a config and runs the tracer.

use strace_rs::cli::{self, Action};

fn main() {
    let args: Vec<_> = std::env::args_os().skip(1).collect();
    let cfg = match cli::parse(args) {
        Ok(Action::Run(cfg)) => cfg,
        Ok(Action::Help) => {
            print!("{}", cli::USAGE);
            return;
        }
        Ok(Action::Version) => {
            println!("strace-rs -- version {}", env!("CARGO_PKG_VERSION"));
            return;
        }
        Err(e) => {
            eprintln!("{}: {e}", strace_rs::progname());
            if e.hint {
                eprintln!("Try '{} -h' for more information.", strace_rs::progname());
            }
            std::process::exit(1);
        }
    };
    match strace_rs::run(&cfg) {
        Ok(outcome) => strace_rs::exit_like(outcome),
        Err(e) => {
            if !e.is_empty() {
                eprintln!("{}: {e}", strace_rs::progname());
            }
            std::process::exit(1);
        }
    }
}
