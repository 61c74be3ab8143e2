//! `strace-rs`: parses the command line into a config and runs the tracer.

use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

use strace_rs::cli::{self, Action};

/// SIGPIPE was ignored when the program was started (before the Rust runtime ignored it).
static SIGPIPE_WAS_IGNORED: AtomicBool = AtomicBool::new(false);

/// Which of descriptors 0, 1, 2 (bits 0-2) were closed when the program was started
/// (the Rust runtime then opens `/dev/null` on them).
static CLOSED_STD_FDS: AtomicU8 = AtomicU8::new(0);

/// Runs before `main` and the Rust runtime's setup: notes SIGPIPE's inherited disposition
/// and the closed standard descriptors.
extern "C" fn note_at_start() {
    let mut closed = 0;
    for fd in 0..3 {
        // SAFETY: F_GETFD reads a descriptor's flags; no memory is involved.
        if unsafe { libc::fcntl(fd, libc::F_GETFD) } == -1 {
            closed |= 1 << fd;
        }
    }
    CLOSED_STD_FDS.store(closed, Ordering::Relaxed);
    // SAFETY: an all-zero sigaction is a valid value for the kernel to overwrite.
    let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: a null new action only reads the current one into `old`.
    if unsafe { libc::sigaction(libc::SIGPIPE, std::ptr::null(), &mut old) } == 0 {
        SIGPIPE_WAS_IGNORED.store(old.sa_sigaction == libc::SIG_IGN, Ordering::Relaxed);
    }
}

#[used]
#[link_section = ".init_array"]
static NOTE_AT_START: extern "C" fn() = note_at_start;

fn main() {
    // As a C program (strace): SIGPIPE as inherited, for the traced command and for us (the
    // tracer sets it per -I later).
    if !SIGPIPE_WAS_IGNORED.load(Ordering::Relaxed) {
        // SAFETY: SIG_DFL installs no handler.
        unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    }
    // A standard descriptor we were started without stays closed for the command (strace's
    // placeholders): the runtime's `/dev/null` on it is closed at the command's execve.
    let closed = CLOSED_STD_FDS.load(Ordering::Relaxed);
    for fd in 0..3 {
        if closed & (1 << fd) != 0 {
            // SAFETY: F_SETFD sets a descriptor's flags; no memory is involved.
            unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
        }
    }
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
