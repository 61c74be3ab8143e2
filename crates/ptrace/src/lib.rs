//! Safe process control over `ptrace(2)` for tracekit's tracers: strace-rs (system calls) and
//! ltrace-rs (library calls).
//!
//! Every raw `ptrace` call of the workspace lives in this crate, with the `fork`,
//! `waitpid`/`wait4` and `process_vm_readv` that tracing another process needs, behind a small
//! safe API. (The crash handler's `process_vm_readv` on its own process and its `clone` and
//! `wait4` for its symbolizer child are the preload layer's own `no_std` system calls: the
//! crash handler cannot link this `std` crate.)
//!
//! - [`spawn`] forks a command, seizes it ([`Options`]) and returns it stopped just before its
//!   `execve`, optionally under a seccomp filter that only reports the syscalls a tracer wants
//!   ([`seccomp::Filter`]).
//! - [`spawn_detached`] runs a command in the calling process instead, traced by a detached
//!   grandchild (strace's `-D`).
//! - [`seize`], [`detach`], [`interrupt`], [`listen`], [`resume`] and friends drive tracees.
//! - [`wait`] returns the next [`Stop`], already classified: syscall stop, signal-delivery stop,
//!   group-stop, fork/vfork/clone/exec/exit events, seccomp stop, exit or death by signal.
//! - [`syscall_info`] wraps `PTRACE_GET_SYSCALL_INFO`; [`get_regs`]/[`set_regs`] the registers,
//!   [`get_fpregs`] the x87/SSE ones.
//! - [`mem`] reads tracee memory with `process_vm_readv`, falling back to `/proc/PID/mem` and
//!   `PTRACE_PEEKDATA`, and writes it with `PTRACE_POKEDATA`, which also writes read-only text
//!   (ltrace-rs's breakpoints; `tests/live.rs` checks the round trip).
//! - [`Breakpoint`] plants an `int3` and steps a thread over it (ltrace-rs).
//! - [`inject`] stops every thread of a running process and calls functions in it
//!   (`tracekit heap -p` loading its agent).
//!
//! ```no_run
//! use tracekit_ptrace::{spawn, wait, resume, Resume, Options, SpawnOptions, Stop};
//! let cmd = SpawnOptions::new("/bin/true", ["true"]);
//! let pid = spawn(&cmd, Options::default()).unwrap();
//! resume(pid, Resume::Syscall, 0).unwrap();
//! loop {
//!     let (pid, stop) = wait(None).unwrap();
//!     match stop {
//!         Stop::Exited { .. } | Stop::Killed { .. } => break,
//!         _ => resume(pid, Resume::Syscall, 0).unwrap(),
//!     }
//! }
//! ```

// One unsafe operation per `unsafe` block, each with its own `// SAFETY:` reason (the workspace's
// [lints] cannot be extended per crate in Cargo.toml, hence the attribute).
#![deny(clippy::multiple_unsafe_ops_per_block)]

mod breakpoint;
pub mod inject;
pub mod mem;
mod raw;
pub mod seccomp;
mod spawn;
mod stop;

pub use breakpoint::{Breakpoint, INT3};
pub use raw::*;
pub use spawn::{spawn, spawn_detached, Daemonize, DetachError, SpawnOptions};
pub use stop::{wait, wait_pid, Event, Rusage, Spin, Stop, Waiter};

use std::fmt;

/// A thread id of a tracee (a thread-group leader's tid is its process id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Pid(pub i32);

impl fmt::Display for Pid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The `PTRACE_O_*` options set when seizing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Report syscall stops as `SIGTRAP|0x80` (always wanted; on by default).
    pub sysgood: bool,
    /// Follow `fork`, `vfork` and `clone` (strace's `-f`).
    pub follow_forks: bool,
    /// Report `execve` with an event stop (on by default).
    pub exec: bool,
    /// Report thread exits with an event stop.
    pub exit: bool,
    /// Report the end of a `vfork` in the parent.
    pub vfork_done: bool,
    /// Report `SECCOMP_RET_TRACE` stops.
    pub seccomp: bool,
    /// Kill the tracee when the tracer exits.
    pub exit_kill: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            sysgood: true,
            follow_forks: false,
            exec: true,
            exit: false,
            vfork_done: false,
            seccomp: false,
            exit_kill: false,
        }
    }
}

impl Options {
    /// The `PTRACE_O_*` bit mask.
    pub fn bits(&self) -> i32 {
        let mut b = 0;
        if self.sysgood {
            b |= libc::PTRACE_O_TRACESYSGOOD;
        }
        if self.follow_forks {
            b |= libc::PTRACE_O_TRACEFORK | libc::PTRACE_O_TRACEVFORK | libc::PTRACE_O_TRACECLONE;
        }
        if self.exec {
            b |= libc::PTRACE_O_TRACEEXEC;
        }
        if self.exit {
            b |= libc::PTRACE_O_TRACEEXIT;
        }
        if self.vfork_done {
            b |= libc::PTRACE_O_TRACEVFORKDONE;
        }
        if self.seccomp {
            b |= libc::PTRACE_O_TRACESECCOMP;
        }
        if self.exit_kill {
            b |= libc::PTRACE_O_EXITKILL;
        }
        b
    }
}

/// How to restart a stopped tracee.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resume {
    /// Until the next syscall entry or exit (`PTRACE_SYSCALL`).
    Syscall,
    /// Until the next signal or event (`PTRACE_CONT`).
    Continue,
    /// One instruction (`PTRACE_SINGLESTEP`).
    Step,
}

/// What `PTRACE_GET_SYSCALL_INFO` says about a syscall stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyscallInfo {
    /// Syscall-entry stop.
    Entry {
        /// `AUDIT_ARCH_*` of the calling convention.
        arch: u32,
        /// Instruction pointer.
        ip: u64,
        /// Stack pointer.
        sp: u64,
        /// Syscall number.
        nr: u64,
        /// Arguments.
        args: [u64; 6],
    },
    /// Syscall-exit stop.
    Exit {
        /// `AUDIT_ARCH_*`.
        arch: u32,
        /// Instruction pointer.
        ip: u64,
        /// Stack pointer.
        sp: u64,
        /// Return value (a negative errno when `is_error`).
        rval: i64,
        /// True when the syscall failed.
        is_error: bool,
    },
    /// A `PTRACE_EVENT_SECCOMP` stop: a syscall entry seen by the seccomp filter.
    Seccomp {
        /// `AUDIT_ARCH_*`.
        arch: u32,
        /// Instruction pointer.
        ip: u64,
        /// Stack pointer.
        sp: u64,
        /// Syscall number.
        nr: u64,
        /// Arguments.
        args: [u64; 6],
        /// The filter's `SECCOMP_RET_DATA`.
        ret_data: u32,
    },
    /// Not a syscall stop.
    None,
}

/// `AUDIT_ARCH_X86_64`.
pub const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;
/// `AUDIT_ARCH_I386`.
pub const AUDIT_ARCH_I386: u32 = 0x4000_0003;
