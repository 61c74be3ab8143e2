//! `ltrace-rs`: parses the command line into a config and runs the tracer.

use ltrace_rs::cli::{self, Action};
use ltrace_rs::{Outcome, PROG};

fn main() {
    let args: Vec<_> = std::env::args_os().skip(1).collect();
    let cfg = match cli::parse(args) {
        Ok(Action::Run(cfg)) => cfg,
        Ok(Action::Help) => {
            print!("{}", cli::USAGE);
            return;
        }
        Ok(Action::Version) => {
            println!("ltrace-rs version {}", env!("CARGO_PKG_VERSION"));
            return;
        }
        Err(e) => {
            eprintln!("{PROG}: {e}");
            eprintln!("Try `{PROG} --help' for more information.");
            std::process::exit(1);
        }
    };
    match ltrace_rs::run(&cfg) {
        // Like ltrace 0.7.3: a finished trace is a success whatever the program's status
        // (which the `+++ exited (status N) +++` line gives).
        Ok(Outcome::Exited(_) | Outcome::Killed(_) | Outcome::Detached) => {}
        Err(e) => {
            if !e.msg.is_empty() {
                use std::io::Write;
                let _ = writeln!(std::io::stderr(), "{PROG}: {}", e.msg);
            }
            std::process::exit(e.code);
        }
    }
}
