//! The `-c` summary table, in strace's format: it lives in `tracekit-syscall-summary`, below
//! both strace-rs and tracekit (which prints it from logs without linking the tracer).

pub use tracekit_syscall_summary::{is_error_ret, Column, SortBy, Summary};
