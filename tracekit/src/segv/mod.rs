//! `tracekit segv -- CMD ARGS...`: runs a command with the crash handler (`preload-segv`)
//! preloaded, like glibc's old `catchsegv`. The command replaces tracekit (`exec`), so its pid,
//! exit status and death by signal are exactly its own.
//!
//! - The library is `--preload PATH` (the `.so` or its directory; `--library` is a hidden
//!   alias), else `$TRACEKIT_PRELOAD_DIR/libpreload_segv.so`, else the one next to `tracekit`.
//! - `--signals` is checked by the command line with the handler's own parser, so a bad list is a usage error
//!   (exit 2) rather than a warning from every process and no handler at all.
//! - Exit status when the command cannot be started: 127 not found, 126 not executable.
//!
//! The crash handler calls back into tracekit to name its frames: that protocol is
//! [`symbolizer`]'s.

pub mod symbolizer;

use std::ffi::{OsStr, OsString};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;

use crate::preload::{self, absolute};

/// What `tracekit segv` does (the command line's `cli::segv` makes it).
#[derive(Debug, Clone)]
pub struct SegvConfig {
    /// The command and its arguments (not empty).
    pub command: Vec<OsString>,
    /// `--preload`: the library or its directory.
    pub preload: Option<PathBuf>,
    /// `TRACEKIT_SEGV_SIGNALS`, as typed (checked by the command line).
    pub signals: Option<String>,
    /// Also append the report to this file.
    pub output: Option<PathBuf>,
    /// Also record the crash in this event log.
    pub log: Option<PathBuf>,
    /// Symbolize the frames (with a symbolizer process); false prints raw frames.
    pub symbolize: bool,
}

/// Runs `tracekit segv`: replaces this process with the command; returns the exit status
/// only when the command cannot be started.
pub fn run(c: &SegvConfig) -> anyhow::Result<u8> {
    let mut cmd = preload::command(preload::SEGV, c.preload.as_deref(), &c.command)?;
    if let Some(s) = &c.signals {
        cmd.env("TRACEKIT_SEGV_SIGNALS", s);
    }
    if let Some(o) = &c.output {
        cmd.env("TRACEKIT_SEGV_OUTPUT", absolute(o.clone())?);
    }
    if let Some(l) = &c.log {
        cmd.env("TRACEKIT_LOG", absolute(l.clone())?);
    }
    if !c.symbolize {
        cmd.env("TRACEKIT_SEGV_SYMBOLIZE", "0");
    }
    exec_with_symbolizer(cmd, &c.command[0])
}

/// Replaces this process with `cmd` (a command under a library whose faults the crash
/// handler reports): returns the exit status only when it cannot be started. The handler looks
/// for its symbolizer next to itself: a library found elsewhere (`--preload`,
/// TRACEKIT_PRELOAD_DIR) would print raw frames. This tracekit is the symbolizer, unless the
/// user chose another.
pub fn exec_with_symbolizer(mut cmd: std::process::Command, program: &OsStr) -> anyhow::Result<u8> {
    if std::env::var_os("TRACEKIT_SEGV_SYMBOLIZER").is_none() {
        if let Ok(me) = std::env::current_exe() {
            cmd.env("TRACEKIT_SEGV_SYMBOLIZER", me);
        }
    }
    let err = cmd.exec();
    Ok(preload::cannot_run(program, &err))
}
