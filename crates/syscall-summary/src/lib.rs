//! What strace-rs and tracekit print about system calls without tracing anything: strace's
//! `-c` table ([`Summary`]) and signal names ([`signals::name`]); and ltrace's `-c` table
//! ([`libcalls::Summary`]), for ltrace-rs and `tracekit report`; the x86_64 system call table
//! ([`sysent`]), for strace-rs and ltrace-rs's `-S`.
//!
//! It sits below both: `strace-rs` counts the calls it traces into a [`Summary`], and
//! `tracekit report` counts the `Syscall` events of a strace-rs log into one, without
//! linking the tracer (ptrace, unwinding).
//!
//! ```
//! use tracekit_syscall_summary::{SortBy, Summary};
//! let mut s = Summary::new();
//! s.add(0, "read", 2000, false);
//! s.add(257, "openat", 6000, true);
//! let mut out = Vec::new();
//! s.write(SortBy::Time, &mut out).unwrap();
//! let text = String::from_utf8(out).unwrap();
//! assert!(text.lines().nth(2).unwrap().ends_with("1 openat"));
//! ```

pub mod libcalls;
pub mod signals;
mod summary;
pub mod sysent;

pub use summary::{is_error_ret, Column, SortBy, Summary};
