//! Starting the command under the preload library and waiting for it: the only place in
//! `tracekit heap` that touches signal dispositions.

use std::io;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::Command;

/// How the command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// It exited with this code.
    Code(i32),
    /// A signal killed it.
    Signal(i32),
}

impl Ended {
    /// The signal that killed it, if one did.
    pub fn signal(self) -> Option<u32> {
        match self {
            Ended::Signal(s) => u32::try_from(s).ok(),
            Ended::Code(_) => None,
        }
    }

    /// The status a shell reports: the code, or 128 + the signal.
    pub fn shell_status(self) -> u8 {
        match self {
            Ended::Code(c) => (c & 0xff) as u8,
            Ended::Signal(s) => (128 + s).clamp(0, 255) as u8,
        }
    }
}

/// How to run the command under the heap tracker.
#[derive(Debug, Clone)]
pub struct Launch<'a> {
    /// `TRACEKIT_LOG` (a pattern with `%p`, `%e`).
    pub log_pattern: &'a Path,
    /// Set `TRACEKIT_FOLLOW_EXEC=1`.
    pub follow_exec: bool,
    /// Send the command's stdout to tracekit's stderr (the report takes stdout).
    pub stdout_to_stderr: bool,
    /// Set `TRACEKIT_LEAK_CHECK=full` (the program records the same whatever is printed).
    pub leak_check: bool,
    /// `TRACEKIT_LEAK_CHECK_HEURISTICS` (`--leak-check-heuristics`), when given.
    pub leak_heuristics: Option<&'a str>,
}

/// A started command.
#[derive(Debug)]
pub struct Running {
    child: std::process::Child,
}

/// Starts `cmd` (already set up by [`crate::preload::command`]).
pub fn spawn(mut cmd: Command, l: &Launch<'_>) -> io::Result<Running> {
    cmd.env("TRACEKIT_LOG", l.log_pattern);
    if l.follow_exec {
        cmd.env("TRACEKIT_FOLLOW_EXEC", "1");
    } else {
        cmd.env_remove("TRACEKIT_FOLLOW_EXEC");
    }
    if l.leak_check {
        cmd.env("TRACEKIT_LEAK_CHECK", "full");
    }
    if let Some(h) = l.leak_heuristics {
        cmd.env("TRACEKIT_LEAK_CHECK_HEURISTICS", h);
    }
    if l.stdout_to_stderr {
        cmd.stdout(std::io::stderr());
    }
    Ok(Running {
        child: cmd.spawn()?,
    })
}

impl Running {
    /// True once the command has ended (its status is kept for [`Running::wait`]).
    pub fn has_ended(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }

    /// Waits for the command to end. Meanwhile `tracekit` ignores SIGINT and SIGQUIT (as
    /// `time` does), so Ctrl-C stops the command and the report is still printed.
    pub fn wait(mut self) -> io::Result<Ended> {
        // Ignored only after the spawn: a child inherits ignored dispositions across exec.
        let saved = ignore_interrupts();
        let status = self.child.wait();
        restore(saved);
        let status = status?;
        Ok(match (status.code(), status.signal()) {
            (Some(c), _) => Ended::Code(c),
            (None, Some(s)) => Ended::Signal(s),
            (None, None) => Ended::Code(255),
        })
    }
}

type Saved = [libc::sighandler_t; 2];

fn ignore_interrupts() -> Saved {
    // SAFETY: `signal` with SIG_IGN installs no handler code; it only changes this process's
    // disposition, and we restore the previous ones in `restore`.
    unsafe {
        [
            libc::signal(libc::SIGINT, libc::SIG_IGN),
            libc::signal(libc::SIGQUIT, libc::SIG_IGN),
        ]
    }
}

fn restore(saved: Saved) {
    for (sig, old) in [libc::SIGINT, libc::SIGQUIT].into_iter().zip(saved) {
        if old != libc::SIG_ERR {
            // SAFETY: `old` is the disposition `signal` returned for this very signal.
            unsafe {
                libc::signal(sig, old);
            }
        }
    }
}
