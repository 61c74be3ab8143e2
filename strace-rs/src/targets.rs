//! What a call works on: its descriptor and path arguments, read the way strace's
//! `pathtrace.c` reads them (a table of special cases by name, else the first argument of a
//! file, descriptor or network call). `-e trace-fds=` selects calls by these descriptors,
//! and `--summary-by=fd|path` groups the `-c` table by them.

use tracekit_ptrace::{mem, Pid};

use crate::sysent::{self, class};

/// One thing a call names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A descriptor argument.
    Fd(i32),
    /// A path argument: the string's address in the tracee.
    Path(u64),
}

/// The most descriptors `select`/`poll` sets are read for (strace's limit).
const MAX_SET: usize = 1024 * 1024;

/// The descriptors and paths call `name` (x86_64 or i386 name) names with `args`, in
/// argument order; `select`/`poll` sets are read from tracee `pid`'s memory.
pub fn targets(pid: Pid, name: &str, args: &[u64; 6]) -> Vec<Target> {
    use Target::{Fd, Path};
    let fd = |i: usize| Fd(args[i] as i32);
    let path = |i: usize| Path(args[i]);
    let classes = sysent::by_name(crate::sysent32::filter_name(name))
        .and_then(|nr| sysent::get(nr.into()))
        .map_or(0, |s| s.classes);
    if classes & (class::FILE | class::DESC | class::NETWORK) == 0 {
        return Vec::new();
    }
    match name {
        "dup2" | "dup3" | "kexec_file_load" | "sendfile" | "sendfile64" | "tee" => {
            vec![fd(0), fd(1)]
        }
        "execveat" | "faccessat" | "faccessat2" | "fchmodat" | "fchmodat2" | "fchownat"
        | "fspick" | "fstatat64" | "futimesat" | "getxattrat" | "inotify_add_watch" | "mkdirat"
        | "mknodat" | "mount_setattr" | "name_to_handle_at" | "newfstatat" | "open_tree"
        | "openat" | "openat2" | "readlinkat" | "setxattrat" | "statx" | "unlinkat"
        | "utimensat" | "utimensat_time64" => vec![fd(0), path(1)],
        "link" | "mount" | "pivot_root" => vec![path(0), path(1)],
        "quotactl" | "symlink" => vec![path(1)],
        "linkat" | "move_mount" | "renameat" | "renameat2" => {
            vec![fd(0), fd(2), path(1), path(3)]
        }
        "mmap" | "mmap2" => vec![fd(4)],
        "symlinkat" => vec![fd(1), path(2)],
        "copy_file_range" | "splice" => vec![fd(0), fd(2)],
        "epoll_ctl" => vec![fd(2)],
        "fanotify_mark" => vec![fd(3), path(4)],
        "select" | "_newselect" | "pselect6" | "pselect6_time64" => select_fds(pid, args),
        "poll" | "ppoll" | "ppoll_time64" => poll_fds(pid, args),
        "fsconfig" => match args[1] {
            // FSCONFIG_SET_PATH, FSCONFIG_SET_PATH_EMPTY
            3 | 4 => vec![fd(4), path(3)],
            // FSCONFIG_SET_FD
            5 => vec![fd(4)],
            _ => Vec::new(),
        },
        // Calls that make a descriptor, with none or no path among their arguments.
        "bpf"
        | "epoll_create"
        | "epoll_create1"
        | "eventfd2"
        | "eventfd"
        | "fanotify_init"
        | "fsopen"
        | "inotify_init"
        | "inotify_init1"
        | "io_uring_setup"
        | "landlock_create_ruleset"
        | "memfd_create"
        | "memfd_secret"
        | "mq_open"
        | "perf_event_open"
        | "pidfd_open"
        | "pipe"
        | "pipe2"
        | "socket"
        | "socketpair"
        | "timerfd_create"
        | "userfaultfd" => Vec::new(),
        _ if classes & class::FILE != 0 => vec![path(0)],
        _ => vec![fd(0)],
    }
}

/// The descriptors in the sets of `select(nfds, readfds, writefds, exceptfds, ...)`.
fn select_fds(pid: Pid, args: &[u64; 6]) -> Vec<Target> {
    let nfds = args[0] as i32;
    if nfds <= 0 {
        return Vec::new();
    }
    let nfds = (nfds as usize).min(MAX_SET);
    // Whole 8-byte words: the kernel reads the sets in longs (a 32-bit tracee's 4-byte
    // words have the same bit order in little-endian memory).
    let mut set = vec![0u8; nfds.div_ceil(64) * 8];
    let mut out = Vec::new();
    for &addr in &args[1..4] {
        if addr == 0 || mem::read_exact(pid, addr, &mut set).is_err() {
            continue;
        }
        for fd in 0..nfds {
            if set[fd / 8] & (1 << (fd % 8)) != 0 {
                out.push(Target::Fd(fd as i32));
            }
        }
    }
    out
}

/// The descriptors of `poll(fds, nfds, ...)`'s `struct pollfd` array.
fn poll_fds(pid: Pid, args: &[u64; 6]) -> Vec<Target> {
    let n = (args[1] as u32 as usize).min(MAX_SET);
    let mut buf = vec![0u8; n * 8];
    if n == 0 || mem::read_exact(pid, args[0], &mut buf).is_err() {
        return Vec::new();
    }
    buf.chunks_exact(8)
        .map(|p| Target::Fd(i32::from_ne_bytes([p[0], p[1], p[2], p[3]])))
        .collect()
}

/// The path of descriptor `fd` of `pid`, as `/proc/PID/fd` shows it.
pub fn fd_path(pid: Pid, fd: i32) -> Option<Vec<u8>> {
    use std::os::unix::ffi::OsStringExt;
    (fd >= 0)
        .then(|| std::fs::read_link(format!("/proc/{}/fd/{fd}", pid.0)).ok())
        .flatten()
        .map(|p| p.into_os_string().into_vec())
}

/// The string at `addr` in `pid` (a path argument), when it can be read whole.
pub fn path_arg(pid: Pid, addr: u64) -> Option<Vec<u8>> {
    if addr == 0 {
        return None;
    }
    mem::read_cstr(pid, addr, 4096)
        .ok()
        .and_then(|(s, whole)| whole.then_some(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_as_strace_reads_them() {
        let me = Pid(std::process::id() as i32);
        let args = [3, 0x1000, 5, 0x2000, 7, 0];
        assert_eq!(targets(me, "read", &args), vec![Target::Fd(3)]);
        assert_eq!(
            targets(me, "openat", &args),
            vec![Target::Fd(3), Target::Path(0x1000)]
        );
        assert_eq!(targets(me, "open", &args), vec![Target::Path(3)]);
        assert_eq!(targets(me, "mmap", &args), vec![Target::Fd(7)]);
        assert_eq!(
            targets(me, "renameat2", &args),
            vec![
                Target::Fd(3),
                Target::Fd(5),
                Target::Path(0x1000),
                Target::Path(0x2000)
            ]
        );
        assert_eq!(targets(me, "socket", &args), vec![]);
        assert_eq!(targets(me, "getpid", &args), vec![]);
        assert_eq!(targets(me, "sendto", &args), vec![Target::Fd(3)]);
    }

    #[test]
    fn poll_and_select_sets_are_read_from_memory() {
        let me = Pid(std::process::id() as i32);
        let fds: [[i32; 2]; 2] = [[4, 0], [9, 0]];
        let args = [fds.as_ptr() as u64, 2, 0, 0, 0, 0];
        assert_eq!(
            targets(me, "poll", &args),
            vec![Target::Fd(4), Target::Fd(9)]
        );
        let set: [u64; 2] = [1 << 2 | 1 << 63, 1];
        let args = [65, set.as_ptr() as u64, 0, 0, 0, 0];
        assert_eq!(
            targets(me, "select", &args),
            vec![Target::Fd(2), Target::Fd(63), Target::Fd(64)]
        );
    }
}
