//! Every system call a tracekit preload library makes, behind small safe wrappers: the one
//! owner of raw calls for the heap tracker, the crash handler and the libraries still to come.
//!
//! Rules, which every wrapper keeps:
//! - `no_std`, libc only, nothing allocates, nothing takes a lock, nothing touches stdio: each
//!   wrapper may run inside a malloc hook and inside a signal handler.
//! - System calls are made with the `syscall` instruction itself ([`raw`]), not libc's
//!   variadic `syscall()` nor its wrappers: a library then imports neither `syscall` nor
//!   `__errno_location` (each import costs every program that loads us a symbol lookup, see
//!   `bench/segv.sh`), and a failure comes back as the kernel reports it. The exceptions
//!   call libc on purpose, each saying why: the clocks read through the vDSO
//!   ([`fast_clock_ns`]), `sigaction` (glibc supplies the signal-return trampoline) and
//!   `pthread_sigmask` (glibc keeps its own signals out of the mask).
//! - One error type, [`Errno`], one result type, [`SysResult`]. Paths are NUL-terminated byte
//!   slices (`b"/proc/self/exe\0"`), so no `CString` is ever built; a path without its NUL is
//!   refused with `EINVAL`.
//! - Every argument travels in a full 64-bit register ([`raw::Arg`]): the kernel reads all 64
//!   bits of an `unsigned long` argument.

#![no_std]
// Each `unsafe` block holds one operation, with its own `// SAFETY:` reason (issue 17). A
// crate-level attribute: `[lints] workspace = true` cannot be combined with a per-crate table.
#![deny(clippy::multiple_unsafe_ops_per_block)]

mod file;
mod mem;
mod next;
mod proc;
pub mod raw;
mod signal;
mod time;
pub mod tls;

pub use file::*;
pub use mem::*;
pub use next::NextFn;
pub use proc::*;
pub use signal::*;
pub use time::*;

/// An errno value, as the kernel returned it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Errno(pub i32);

/// A result whose error is an errno.
pub type SysResult<T> = Result<T, Errno>;

/// A raw system call's return value as `Ok(value)` or `Err(errno)`.
#[inline]
pub(crate) fn ret(r: core::ffi::c_long) -> SysResult<usize> {
    if (-4095..0).contains(&r) {
        Err(Errno(-r as i32))
    } else {
        Ok(r as usize)
    }
}

/// `Err(EINVAL)` unless `path` ends in its NUL.
#[inline]
pub(crate) fn c_path(path: &[u8]) -> SysResult<*const u8> {
    if path.last() == Some(&0) {
        Ok(path.as_ptr())
    } else {
        Err(Errno(libc::EINVAL))
    }
}

#[cfg(test)]
extern crate std;

#[cfg(test)]
mod tests;
