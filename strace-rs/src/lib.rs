//! strace-rs: a system call tracer with strace's command line and output.
//!
//! [`cli::parse`] turns the command line into a [`config::Config`]; [`tracer::Tracer`] runs
//! the trace (process control comes from `tracekit-ptrace`), [`decode`] prints each
//! syscall's arguments the way strace does, and [`summary`] prints the `-c` table (from
//! `tracekit-syscall-summary`, which `tracekit report` also uses on the common event log).

pub mod cli;
pub mod config;
pub mod decode;
mod errno_names;
mod hexdump;
pub mod json;
pub mod output;
mod pidns;
mod siginfo;
pub mod signals;
mod sockets;
mod stack;
pub mod summary;
mod sys;
/// The x86_64 system call table (it lives below strace-rs, shared with ltrace-rs's `-S`).
pub use tracekit_syscall_summary::sysent;
mod sysent32;
mod targets;
pub mod text;
pub mod tracer;
pub mod xlat;

pub use tracer::Outcome;

/// The name diagnostics start with: the name the tracer was invoked as (`argv[0]`, a path
/// too), as strace does (its `program_invocation_name`; strace's own test suite compares
/// `$STRACE: ...`), `strace-rs` when `argv[0]` is missing.
pub fn progname() -> &'static str {
    static NAME: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    NAME.get_or_init(|| {
        std::env::args_os()
            .next()
            .map(|n| n.to_string_lossy().into_owned())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "strace-rs".to_owned())
    })
}

/// Runs a trace for `cfg`; the error is a one-line message.
pub fn run(cfg: &config::Config) -> Result<Outcome, String> {
    let t = tracer::Tracer::new(cfg).map_err(|e| e.to_string())?;
    t.run()
}

/// Ends the process the way strace does for `outcome`: the tracee's exit status, or death
/// by the tracee's signal (the shell sees 128+signal).
pub fn exit_like(outcome: Outcome) -> ! {
    match outcome {
        Outcome::Exited(c) => std::process::exit(c),
        Outcome::Signaled(s) => sys::die_by_signal(s),
    }
}
