//! Processes and threads: ids, names, fork/exec/wait/exit, futexes.

use core::ffi::c_int;
use core::sync::atomic::AtomicU32;

use crate::{ret, syscall, Errno, SysResult};

/// The process id (a real system call: right in a `vfork` child, unlike a cached value).
pub fn getpid() -> u32 {
    // SAFETY: no arguments, cannot fail.
    unsafe { syscall!(libc::SYS_getpid) as u32 }
}

/// The parent's process id.
pub fn getppid() -> u32 {
    // SAFETY: no arguments, cannot fail.
    unsafe { syscall!(libc::SYS_getppid) as u32 }
}

/// The calling thread's id.
pub fn gettid() -> u32 {
    // SAFETY: no arguments, cannot fail.
    unsafe { syscall!(libc::SYS_gettid) as u32 }
}

/// The real user id.
pub fn getuid() -> u32 {
    // SAFETY: no arguments, cannot fail.
    unsafe { syscall!(libc::SYS_getuid) as u32 }
}

/// The real group id.
pub fn getgid() -> u32 {
    // SAFETY: no arguments, cannot fail.
    unsafe { syscall!(libc::SYS_getgid) as u32 }
}

/// The effective group id.
pub fn getegid() -> u32 {
    // SAFETY: no arguments, cannot fail.
    unsafe { syscall!(libc::SYS_getegid) as u32 }
}

/// The effective user id.
pub fn geteuid() -> u32 {
    // SAFETY: no arguments, cannot fail.
    unsafe { syscall!(libc::SYS_geteuid) as u32 }
}

/// The calling thread's name (`comm`, `PR_GET_NAME`), into `buf`; returns its length.
pub fn thread_name(buf: &mut [u8; 16]) -> usize {
    // SAFETY: PR_GET_NAME writes at most 16 bytes, NUL included, into the buffer.
    let r = unsafe { syscall!(libc::SYS_prctl, libc::PR_GET_NAME, buf.as_mut_ptr()) };
    if r != 0 {
        return 0;
    }
    buf.iter().position(|&b| b == 0).unwrap_or(16)
}

/// Names the calling thread (`PR_SET_NAME`; the kernel keeps 15 bytes). `name` is
/// NUL-terminated.
pub fn set_thread_name(name: &[u8]) -> SysResult<()> {
    let p = crate::c_path(name)?;
    // SAFETY: p is NUL-terminated; the kernel copies at most 16 bytes of it.
    ret(unsafe { syscall!(libc::SYS_prctl, libc::PR_SET_NAME, p) }).map(|_| ())
}

/// Yields the CPU (a contended lock's back-off).
pub fn yield_now() {
    // SAFETY: no arguments.
    unsafe { syscall!(libc::SYS_sched_yield) };
}

/// `fork` as a bare `clone(SIGCHLD)`: unlike libc's `fork`, it runs no `atfork` handlers
/// (which take malloc's locks), so it is safe in a signal handler. The child must only make
/// raw system calls and then `execve` or `_exit`. Returns the child's pid, 0 in the child.
pub fn raw_fork() -> SysResult<u32> {
    // SAFETY: clone with only SIGCHLD behaves as fork; the child shares nothing with us.
    ret(unsafe { syscall!(libc::SYS_clone, libc::SIGCHLD, 0, 0, 0, 0) }).map(|p| p as u32)
}

/// `execve(2)`; returns only on failure, with its errno.
///
/// # Safety
/// `path` is NUL-terminated; `argv` and `envp` NULL-terminated arrays of NUL-terminated
/// strings that stay valid for the call.
pub unsafe fn execve(path: *const u8, argv: *const *const u8, envp: *const *const u8) -> Errno {
    // SAFETY: per the contract.
    match ret(unsafe { syscall!(libc::SYS_execve, path, argv, envp) }) {
        Err(e) => e,
        // Success does not return.
        Ok(_) => Errno(0),
    }
}

/// Terminates the whole process at once (the `exit_group` system call, as `_exit` does).
pub fn exit_group(code: c_int) -> ! {
    loop {
        // SAFETY: exit_group never returns.
        unsafe { syscall!(libc::SYS_exit_group, code) };
    }
}

/// How a waited-for child ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Waited {
    /// Still running.
    Running,
    /// Exited with this status.
    Exited(i32),
    /// Killed by a signal, or unknown (already reaped elsewhere).
    Other,
}

/// `wait4(pid)`, blocking or not, retrying on EINTR.
pub fn wait(pid: u32, block: bool) -> Waited {
    let mut status: c_int = 0;
    let flags = if block { 0 } else { libc::WNOHANG } | libc::__WALL;
    let no_usage = core::ptr::null_mut::<libc::rusage>();
    loop {
        // SAFETY: status is writable; rusage may be NULL.
        match ret(unsafe { syscall!(libc::SYS_wait4, pid, &mut status, flags, no_usage) }) {
            Ok(0) => return Waited::Running,
            Ok(_) if libc::WIFEXITED(status) => return Waited::Exited(libc::WEXITSTATUS(status)),
            Ok(_) => return Waited::Other,
            Err(Errno(libc::EINTR)) => {}
            Err(_) => return Waited::Other,
        }
    }
}

/// Sleeps while `word` holds `expected` (`FUTEX_WAIT`, process-private); returns at once when
/// it does not, or on a wake-up or signal (the caller rechecks).
pub fn futex_wait(word: &AtomicU32, expected: u32) {
    let op = libc::FUTEX_WAIT | libc::FUTEX_PRIVATE_FLAG;
    let forever = core::ptr::null::<libc::timespec>();
    // SAFETY: a futex call on a valid, aligned u32 that outlives the call.
    unsafe { syscall!(libc::SYS_futex, word.as_ptr(), op, expected, forever) };
}

/// Wakes up to `n` threads sleeping on `word` (`FUTEX_WAKE`, process-private).
pub fn futex_wake(word: &AtomicU32, n: u32) {
    let op = libc::FUTEX_WAKE | libc::FUTEX_PRIVATE_FLAG;
    // SAFETY: a futex call on a valid, aligned u32 that outlives the call.
    unsafe { syscall!(libc::SYS_futex, word.as_ptr(), op, n) };
}
