//! Starting a command under trace.

use std::ffi::CString;
use std::io;

use crate::seccomp::Filter;
use crate::{interrupt, kill, listen, resume, seize, wait_pid, Options, Pid, Resume, Stop};

/// What to run and how.
#[derive(Debug, Clone)]
pub struct SpawnOptions {
    /// The executable's path (already resolved against `PATH`).
    pub path: CString,
    /// `argv`, including `argv[0]`.
    pub argv: Vec<CString>,
    /// The environment (`NAME=value`); `None` inherits ours.
    pub env: Option<Vec<CString>>,
    /// Run as this `(uid, gid)` (the caller must be root).
    pub user: Option<(u32, u32)>,
    /// Install this seccomp filter just before `execve`.
    pub seccomp: Option<Filter>,
    /// When `execve` fails: write this, the error's text and a newline to stderr and exit
    /// with status 1 (strace's "strace: exec: Permission denied"); `None`: exit
    /// 127 silently.
    pub exec_error_prefix: Option<CString>,
    /// Keep the caller's blocked signals for the command (strace does); otherwise it starts
    /// with none blocked.
    pub inherit_signal_mask: bool,
}

impl SpawnOptions {
    /// Runs `path` with `argv`, our environment, as ourselves.
    pub fn new<I, S>(path: &str, argv: I) -> SpawnOptions
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        SpawnOptions {
            path: CString::new(path).expect("path without NUL"),
            argv: argv
                .into_iter()
                .map(|a| CString::new(a.as_ref()).expect("argument without NUL"))
                .collect(),
            env: None,
            user: None,
            seccomp: None,
            exec_error_prefix: None,
            inherit_signal_mask: false,
        }
    }
}

/// Exit code of a child whose `execve` failed (the shell's "not executable").
pub const EXEC_FAILED: i32 = 127;

/// Forks, seizes the child with `opts` and returns it stopped (at the delivery of the
/// `SIGCONT` that woke it) just before it calls `execve`. Resume it with
/// [`Resume::Syscall`] (or [`Resume::Continue`] under a seccomp filter) and signal 0.
pub fn spawn(cmd: &SpawnOptions, opts: Options) -> io::Result<Pid> {
    // Everything the child needs is built before fork: after it, only async-signal-safe calls.
    let mut argv: Vec<*const libc::c_char> = cmd.argv.iter().map(|a| a.as_ptr()).collect();
    argv.push(std::ptr::null());
    let envp_store: Option<Vec<*const libc::c_char>> = cmd.env.as_ref().map(|env| {
        let mut v: Vec<_> = env.iter().map(|e| e.as_ptr()).collect();
        v.push(std::ptr::null());
        v
    });
    // SAFETY: fork has no memory arguments; the child below only makes async-signal-safe calls
    // on memory prepared before the fork, then execs or _exits.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(io::Error::last_os_error());
    }
    if pid == 0 {
        child(cmd, &argv, envp_store.as_deref());
    }
    let pid = Pid(pid);
    match attach_started(pid, opts) {
        Ok(()) => Ok(pid),
        Err(e) => {
            let _ = kill(pid, libc::SIGKILL);
            let _ = wait_pid(Some(pid), false);
            Err(e)
        }
    }
}

fn child(
    cmd: &SpawnOptions,
    argv: &[*const libc::c_char],
    envp: Option<&[*const libc::c_char]>,
) -> ! {
    // Between fork and execve: only async-signal-safe calls, on memory prepared before the
    // fork; every path ends in execve or _exit.
    // SAFETY: an all-zero sigset_t is a valid value (sigprocmask overwrites it).
    let mut inherited: libc::sigset_t = unsafe { std::mem::zeroed() };
    if cmd.inherit_signal_mask {
        // SIGCONT must get through for the handshake below (the tracer waits for its
        // delivery); the command's own mask is back before execve.
        // SAFETY: an all-zero sigset_t is a valid value (sigemptyset then makes it empty).
        let mut cont: libc::sigset_t = unsafe { std::mem::zeroed() };
        // SAFETY: sigemptyset writes one sigset_t, `cont`.
        unsafe { libc::sigemptyset(&mut cont) };
        // SAFETY: sigaddset writes one sigset_t, `cont`.
        unsafe { libc::sigaddset(&mut cont, libc::SIGCONT) };
        // SAFETY: sigprocmask reads `cont` and writes the previous mask into `inherited`.
        unsafe { libc::sigprocmask(libc::SIG_UNBLOCK, &cont, &mut inherited) };
    } else {
        // SAFETY: an all-zero sigset_t is a valid value (sigemptyset then makes it empty).
        let mut set: libc::sigset_t = unsafe { std::mem::zeroed() };
        // SAFETY: sigemptyset writes one sigset_t, `set`.
        unsafe { libc::sigemptyset(&mut set) };
        // SAFETY: sigprocmask reads one sigset_t, `set`; the old mask is not asked for.
        unsafe { libc::sigprocmask(libc::SIG_SETMASK, &set, std::ptr::null_mut()) };
    }
    if let Some((uid, gid)) = cmd.user {
        let groups = [gid];
        // SAFETY: setgroups reads one gid_t, from `groups`.
        if unsafe { libc::setgroups(1, groups.as_ptr()) } != 0 {
            exit_exec_failed();
        }
        // SAFETY: setgid has no memory arguments.
        if unsafe { libc::setgid(gid) } != 0 {
            exit_exec_failed();
        }
        // SAFETY: setuid has no memory arguments.
        if unsafe { libc::setuid(uid) } != 0 {
            exit_exec_failed();
        }
    }
    // Wait here for the tracer to seize us (getpid and kill: no memory, no allocation).
    let _ = kill(Pid(std::process::id() as i32), libc::SIGSTOP);
    if cmd.inherit_signal_mask {
        // SAFETY: sigprocmask reads one sigset_t, `inherited`, set above.
        unsafe { libc::sigprocmask(libc::SIG_SETMASK, &inherited, std::ptr::null_mut()) };
    }
    if let Some(f) = &cmd.seccomp {
        if f.install().is_err() {
            exit_exec_failed();
        }
    }
    exec(cmd, argv, envp)
}

/// Where [`spawn_detached`] puts the tracer (strace's `-D`, `-DD`, `-DDD`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Daemonize {
    /// A grandchild of the command, in its process group and session (`-D`).
    Grandchild,
    /// The same, in a new process group (`-DD`): a `kill(0, ...)` by the command misses it.
    ProcessGroup,
    /// The same, in a new session (`-DDD`): the terminal's hangup misses it.
    Session,
}

/// How long the command waits for its tracer before running untraced would be wrong: it
/// dies by `SIGALRM` instead (strace's `alarm(3)`).
const DETACHED_ATTACH_TIMEOUT_S: libc::c_uint = 3;

/// Runs `cmd` in this process, traced by a grandchild, as strace's `-D`: the calling process
/// becomes the command (so its parent, pid and process group are the caller's, and its
/// exit status goes to the caller), and the function returns only in the grandchild, which
/// has seized it with `opts` (and interrupted it: its first stop is that interrupt, while it
/// waits to `execve`). The child between them waits for the grandchild to kill it; the
/// command runs once that child is gone. Call it while the process has one thread.
///
/// The error is returned in the grandchild: the command then runs untraced (its child was
/// killed anyway, so it does not hang).
pub fn spawn_detached(
    cmd: &SpawnOptions,
    opts: Options,
    how: Daemonize,
) -> Result<Pid, DetachError> {
    let mut argv: Vec<*const libc::c_char> = cmd.argv.iter().map(|a| a.as_ptr()).collect();
    argv.push(std::ptr::null());
    let envp_store: Option<Vec<*const libc::c_char>> = cmd.env.as_ref().map(|env| {
        let mut v: Vec<_> = env.iter().map(|e| e.as_ptr()).collect();
        v.push(std::ptr::null());
        v
    });
    // Yama's ptrace_scope=1 lets only ancestors trace a process: allow the grandchild.
    // SAFETY: prctl with integer arguments only (EINVAL without Yama is harmless).
    unsafe { libc::prctl(libc::PR_SET_PTRACER, libc::PR_SET_PTRACER_ANY, 0, 0, 0) };
    let tracee = Pid(std::process::id() as i32);
    // SAFETY: fork has no memory arguments. Both sides continue in ordinary code: the
    // process has one thread (the caller's promise), so no lock is left held in the child.
    let middle = unsafe { libc::fork() };
    if middle < 0 {
        return Err(DetachError {
            what: "fork",
            pid: tracee,
            error: io::Error::last_os_error(),
        });
    }
    if middle > 0 {
        become_detached_tracee(cmd, &argv, envp_store.as_deref());
    }
    // SAFETY: as above.
    let tracer = unsafe { libc::fork() };
    if tracer != 0 {
        // The middle child (also when the second fork failed: the command must not wait):
        // its end is what lets the command run.
        if tracer < 0 {
            exit_exec_failed();
        }
        loop {
            // SAFETY: pause has no arguments; the grandchild's SIGKILL ends it.
            unsafe { libc::pause() };
        }
    }
    // The grandchild: the tracer.
    let parted = match how {
        Daemonize::Grandchild => Ok(()),
        // SAFETY: setpgid with integer arguments (0, 0: ourselves, a new group).
        Daemonize::ProcessGroup => match unsafe { libc::setpgid(0, 0) } {
            0 => Ok(()),
            _ => Err((
                "Cannot create a new process group",
                io::Error::last_os_error(),
            )),
        },
        // SAFETY: setsid has no arguments.
        Daemonize::Session => match unsafe { libc::setsid() } {
            -1 => Err(("Cannot create a new session", io::Error::last_os_error())),
            _ => Ok(()),
        },
    };
    let attached = match parted {
        Ok(()) => seize(tracee, opts)
            .map_err(|e| ("PTRACE_SEIZE", e))
            .and_then(|()| interrupt(tracee).map_err(|e| ("PTRACE_INTERRUPT", e))),
        Err(e) => Err(e),
    };
    // SAFETY: getppid has no arguments; our parent is the middle child still (it waits).
    let middle = unsafe { libc::getppid() };
    let _ = kill(Pid(middle), libc::SIGKILL);
    attached
        .map(|()| tracee)
        .map_err(|(what, error)| DetachError {
            what,
            pid: tracee,
            error,
        })
}

/// Why [`spawn_detached`]'s grandchild does not trace the command.
#[derive(Debug)]
pub struct DetachError {
    /// What failed: `PTRACE_SEIZE` or `PTRACE_INTERRUPT` (on the command), or "Cannot
    /// create a new process group" / "Cannot create a new session" (strace's wording).
    pub what: &'static str,
    /// The command's pid (this process's, before the forks).
    pub pid: Pid,
    /// The system's error.
    pub error: io::Error,
}

impl std::fmt::Display for DetachError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.what, self.error)
    }
}

impl std::error::Error for DetachError {}

/// The original process under [`spawn_detached`]: waits for its only child to be killed by
/// the tracer (at most [`DETACHED_ATTACH_TIMEOUT_S`]), then runs the command.
fn become_detached_tracee(
    cmd: &SpawnOptions,
    argv: &[*const libc::c_char],
    envp: Option<&[*const libc::c_char]>,
) -> ! {
    // SAFETY: alarm has no memory arguments.
    unsafe { libc::alarm(DETACHED_ATTACH_TIMEOUT_S) };
    loop {
        // SAFETY: wait accepts a null status pointer.
        let r = unsafe { libc::wait(std::ptr::null_mut()) };
        if r >= 0 || io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
            break;
        }
    }
    // SAFETY: alarm has no memory arguments; 0 cancels it.
    unsafe { libc::alarm(0) };
    if let Some(f) = &cmd.seccomp {
        if f.install().is_err() {
            exit_exec_failed();
        }
    }
    exec(cmd, argv, envp)
}

fn exec(
    cmd: &SpawnOptions,
    argv: &[*const libc::c_char],
    envp: Option<&[*const libc::c_char]>,
) -> ! {
    let path = cmd.path.as_ptr();
    match envp {
        // SAFETY: `path` is a NUL-terminated string, `argv` and `envp` are null-terminated
        // arrays of pointers to NUL-terminated strings, all owned by our caller; execve only
        // returns on failure.
        Some(envp) => unsafe { libc::execve(path, argv.as_ptr(), envp.as_ptr()) },
        // SAFETY: as for execve; execv takes the environment from `environ`.
        None => unsafe { libc::execv(path, argv.as_ptr()) },
    };
    if let Some(prefix) = &cmd.exec_error_prefix {
        // Reads errno; an OS error is stored inline (no allocation).
        let errno = io::Error::last_os_error().raw_os_error().unwrap_or(0);
        let mut buf = [0u8; 256];
        // SAFETY: strerror_r (the XSI one) writes at most `buf.len()` bytes, NUL-terminated,
        // into `buf`; it does not allocate.
        let ok = unsafe { libc::strerror_r(errno, buf.as_mut_ptr().cast(), buf.len()) } == 0;
        let text = if ok {
            &buf[..buf.iter().position(|&b| b == 0).unwrap_or(0)]
        } else {
            &b"Unknown error"[..]
        };
        for part in [prefix.as_bytes(), text, b"\n"] {
            // SAFETY: write reads `part.len()` bytes from `part`; a short or failed write
            // of a diagnostic is ignored.
            unsafe { libc::write(2, part.as_ptr().cast(), part.len()) };
        }
        // SAFETY: as in exit_exec_failed.
        unsafe { libc::_exit(1) }
    }
    exit_exec_failed()
}

/// Ends the forked child when it cannot run the command.
fn exit_exec_failed() -> ! {
    // SAFETY: _exit has no memory arguments; unlike exit it runs no atexit handler and flushes
    // no stdio buffer, neither of which is safe in a forked child.
    unsafe { libc::_exit(EXEC_FAILED) }
}

fn attach_started(pid: Pid, opts: Options) -> io::Result<()> {
    // Wait until the child has stopped itself (it is not traced yet: a plain WUNTRACED wait).
    loop {
        let mut status = 0;
        // SAFETY: waitpid writes one int to `status`.
        let r = unsafe { libc::waitpid(pid.0, &mut status, libc::WUNTRACED) };
        if r == -1 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        if libc::WIFSTOPPED(status) {
            break;
        }
        return Err(io::Error::other(
            "the child exited before it could be traced",
        ));
    }
    seize(pid, opts)?;
    kill(pid, libc::SIGCONT)?;
    loop {
        match wait_pid(Some(pid), false)?.map(|(_, s, _)| s) {
            Some(Stop::Signal(libc::SIGCONT)) => return Ok(()),
            Some(Stop::GroupStop(_)) => listen(pid)?,
            Some(Stop::Signal(sig)) => resume(pid, Resume::Continue, sig)?,
            Some(Stop::Exited(_)) | Some(Stop::Killed { .. }) => {
                return Err(io::Error::other("the child died before execve"))
            }
            _ => resume(pid, Resume::Continue, 0)?,
        }
    }
}
