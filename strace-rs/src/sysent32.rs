//! The i386 system calls (for `int $0x80` calls and 32-bit tracees): names and argument
//! counts from `sysent32_table.txt`, and their decoders. A call whose arguments have the same
//! layout on i386 and x86_64 (integers, descriptors, flags, strings, byte buffers, `statx`,
//! `termios`, 64-bit `timespec`, ...) goes to the x86_64 decoder as it is ([`same_layout`]);
//! one whose `long`s, pointers and structures are 32-bit (`execve`, `readv`/`writev`,
//! `stat64`, `wait4`, `rt_sigaction`, the 32-bit time calls, `set_thread_area`, ...) goes to
//! the x86_64 decoder too, which reads them in the i386 ABI ([`same_row`], [`abi`]); `mmap2`,
//! `clone`, `clone3`, `futex`, `_llseek`, `fcntl64` and `sigreturn` have small
//! i386 decoders here; `socketcall` is shown as its subcall (`socket`, `bind`, ...) like
//! strace does, and `ipc` as its System V IPC subcall (`semop`, `msgrcv`, `shmat`, ...);
//! `msghdr`, `mmsghdr`, `statfs64`, `sysinfo`, the IPC structures, ... are read in their
//! 32-bit layouts; the rest (`waitid`'s `siginfo`, `sigaltstack`, `fcntl64` locks, ...) print
//! raw.

use std::fmt::Write as _;

use crate::decode::{self, Abi, Ctx, Decoder, Rval, Step, TraceeMemory};
use crate::{text, xlat};

const TABLE: &str = include_str!("sysent32_table.txt");

/// Number of arguments printed raw for numbers outside the table.
pub const RAW_ARGS: usize = 6;

/// Where the `socketcall` subcalls are numbered (strace's `SYS_socket_subcall`): call
/// `SYS_SOCKET` (1) of `socketcall` is traced as number 501, `socket`.
pub const SOCKET_SUBCALL: u64 = 500;

/// The `socketcall` subcalls 1 to 20 and their argument counts.
const SOCKET_CALLS: [(&str, usize); 20] = [
    ("socket", 3),
    ("bind", 3),
    ("connect", 3),
    ("listen", 2),
    ("accept", 3),
    ("getsockname", 3),
    ("getpeername", 3),
    ("socketpair", 4),
    ("send", 4),
    ("recv", 4),
    ("sendto", 6),
    ("recvfrom", 6),
    ("shutdown", 2),
    ("setsockopt", 5),
    ("getsockopt", 5),
    ("sendmsg", 3),
    ("recvmsg", 3),
    ("accept4", 4),
    ("recvmmsg", 5),
    ("sendmmsg", 4),
];

/// Where the `ipc` subcalls are numbered (strace's `SYS_ipc_subcall`, after the
/// `socketcall` ones): call `SEMOP` (1) of `ipc` is traced as number 522, `semop`.
pub const IPC_SUBCALL: u64 = SOCKET_SUBCALL + SOCKET_CALLS.len() as u64 + 1;

/// The `ipc` subcalls (call number, name, arguments after the call number).
const IPC_CALLS: [(u64, &str, usize); 12] = [
    (1, "semop", 4),
    (2, "semget", 3),
    (3, "semctl", 4),
    (4, "semtimedop", 5),
    (11, "msgsnd", 4),
    (12, "msgrcv", 5),
    (13, "msgget", 2),
    (14, "msgctl", 4),
    (21, "shmat", 4),
    (22, "shmdt", 4),
    (23, "shmget", 3),
    (24, "shmctl", 4),
];

/// Size of the tracer's i386 table: the syscalls, then the `socketcall` and `ipc`
/// subcalls.
pub const TABLE_LEN: usize = IPC_SUBCALL as usize + 25;

fn entry(nr: u64) -> Option<(&'static str, usize)> {
    if let Some(call) = nr.checked_sub(IPC_SUBCALL) {
        return IPC_CALLS
            .iter()
            .find(|c| c.0 == call)
            .map(|&(_, name, n)| (name, n));
    }
    if let Some(sub) = nr.checked_sub(SOCKET_SUBCALL + 1) {
        return SOCKET_CALLS.get(usize::try_from(sub).ok()?).copied();
    }
    table().get(usize::try_from(nr).ok()?).copied().flatten()
}

/// `TABLE` parsed once: entry `nr` is `Some((name, nargs))`, `None` for a hole.
fn table() -> &'static [Option<(&'static str, usize)>] {
    static PARSED: std::sync::OnceLock<Vec<Option<(&'static str, usize)>>> =
        std::sync::OnceLock::new();
    PARSED.get_or_init(|| {
        TABLE
            .lines()
            .filter(|l| !l.starts_with('#'))
            .flat_map(str::split_whitespace)
            .map(|t| {
                t.split_once('/')
                    .map(|(n, a)| (n, a.parse().unwrap_or(RAW_ARGS)))
            })
            .collect()
    })
}

/// The i386 name of `nr` (`syscall_0xNNN` when it has none).
pub fn name(nr: u64) -> String {
    entry(nr).map_or_else(|| format!("syscall_{nr:#x}"), |(n, _)| n.to_owned())
}

/// The i386 name of system call `nr`, `None` for a hole or a number past the table (the
/// `socketcall` subcalls numbered after it are strace-rs's own).
pub fn lookup(nr: u64) -> Option<&'static str> {
    entry(nr).filter(|_| nr < SOCKET_SUBCALL).map(|(n, _)| n)
}

/// How many arguments strace prints for `nr` when it does not decode them.
pub fn nargs(nr: u64) -> usize {
    entry(nr).map_or(RAW_ARGS, |(_, n)| n)
}

/// `socketcall(call, args)` as strace shows it: the subcall `call` (numbered from
/// [`SOCKET_SUBCALL`]) with the arguments read from the tracee's `args` array; any other
/// call, or one whose array cannot be read, unchanged.
///
/// `ipc(call, first, second, third, ptr, fifth)` likewise (strace's `decode_ipc_subcall`):
/// the subcall numbered from [`IPC_SUBCALL`] with the arguments after `call` (the layout its
/// decoder knows from the number), and the call's version (its high 16 bits) last.
pub fn subcall(mem: &dyn TraceeMemory, nr: u64, args: [u64; 6]) -> (u64, [u64; 6]) {
    if nr == 117 {
        let call = args[0] as u32;
        let (version, call) = (u64::from(call >> 16), u64::from(call & 0xffff));
        if !IPC_CALLS.iter().any(|c| c.0 == call) {
            return (nr, args);
        }
        let [_, a, b, c, d, e] = args;
        return (IPC_SUBCALL + call, [a, b, c, d, e, version]);
    }
    let Some(&(_, n)) = (nr == 102)
        .then(|| SOCKET_CALLS.get(usize::try_from(args[0].wrapping_sub(1)).ok()?))
        .flatten()
    else {
        return (nr, args);
    };
    let mut buf = [0u8; 24];
    if mem.read_exact(args[1], &mut buf[..4 * n]).is_err() {
        return (nr, args);
    }
    let mut sub = [0u64; 6];
    for (v, b) in sub.iter_mut().zip(buf.chunks_exact(4)) {
        *v = u64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
    }
    (SOCKET_SUBCALL + args[0], sub)
}

/// The x86_64 name `-e trace=` selects the i386 call `name` by (`-e trace=` sets are
/// x86_64 numbers): the call itself when x86_64 has it, else its x86_64 counterpart
/// (`mmap2` is selected with `mmap`, `%memory` or `/mmap`, `fstat64` with `fstat`, `%fstat`
/// or `/stat`, ...).
pub fn filter_name(name: &str) -> &str {
    match name {
        "mmap2" => "mmap",
        "stat64" => "stat",
        "lstat64" => "lstat",
        "fstat64" => "fstat",
        "fstatat64" => "newfstatat",
        "statfs64" => "statfs",
        "fstatfs64" => "fstatfs",
        "truncate64" => "truncate",
        "ftruncate64" => "ftruncate",
        "_llseek" => "lseek",
        "ugetrlimit" => "getrlimit",
        "fcntl64" => "fcntl",
        "_newselect" => "select",
        "waitpid" => "wait4",
        "sigaction" => "rt_sigaction",
        "sigprocmask" => "rt_sigprocmask",
        "sigreturn" => "rt_sigreturn",
        "fadvise64_64" => "fadvise64",
        "pselect6_time64" => "pselect6",
        "recvmmsg_time64" => "recvmmsg",
        "io_pgetevents_time64" => "io_pgetevents",
        "mq_timedsend_time64" => "mq_timedsend",
        "mq_timedreceive_time64" => "mq_timedreceive",
        "semtimedop_time64" => "semtimedop",
        "rt_sigtimedwait_time64" => "rt_sigtimedwait",
        "clock_adjtime64" => "clock_adjtime",
        _ => same_layout(name).unwrap_or(name),
    }
}

/// The x86_64 call whose decoder prints the i386 call `name` correctly, if any.
fn same_layout(name: &str) -> Option<&str> {
    let n = match name {
        "clock_gettime64" => "clock_gettime",
        "clock_getres_time64" => "clock_getres",
        "clock_settime64" => "clock_settime",
        "clock_nanosleep_time64" => "clock_nanosleep",
        "futex_time64" => "futex",
        "ppoll_time64" => "ppoll",
        "utimensat_time64" => "utimensat",
        "timerfd_settime64" => "timerfd_settime",
        "timerfd_gettime64" => "timerfd_gettime",
        "timer_settime64" => "timer_settime",
        "timer_gettime64" => "timer_gettime",
        "sched_rr_get_interval_time64" => "sched_rr_get_interval",
        "sendfile64" => "sendfile",
        "lchown32" | "fchown32" | "chown32" | "getuid32" | "getgid32" | "geteuid32"
        | "getegid32" | "setuid32" | "setgid32" | "setreuid32" | "setregid32" | "setresuid32"
        | "setresgid32" | "getresuid32" | "getresgid32" | "setfsuid32" | "setfsgid32"
        | "getgroups32" | "setgroups32" => name.strip_suffix("32")?,
        "read" | "write" | "open" | "close" | "creat" | "link" | "unlink" | "chdir" | "chmod"
        | "getpid" | "access" | "kill" | "rename" | "mkdir" | "rmdir" | "dup" | "dup2" | "dup3"
        | "brk" | "exit" | "exit_group" | "umask" | "chroot" | "fsync" | "fdatasync" | "fchdir"
        | "fchmod" | "getppid" | "getpgrp" | "setsid" | "gettid" | "sched_yield" | "pause"
        | "alarm" | "sync" | "syncfs" | "symlink" | "readlink" | "pipe" | "pipe2" | "openat"
        | "fork" | "vfork" | "statx" | "getrandom" | "set_robust_list" | "set_tid_address"
        | "rseq" | "ioctl" | "mprotect" | "munmap" | "madvise" | "mlock" | "mlock2" | "munlock"
        | "mlockall" | "munlockall" | "msync" | "mincore" | "mkdirat" | "mknodat" | "unlinkat"
        | "renameat" | "renameat2" | "linkat" | "symlinkat" | "readlinkat" | "fchmodat"
        | "faccessat" | "faccessat2" | "fchownat" | "getdents64" | "socket" | "socketpair"
        | "bind" | "connect" | "listen" | "accept4" | "getsockname" | "getpeername" | "sendto"
        | "recvfrom" | "shutdown" | "setsockopt" | "getsockopt" | "uname" | "sched_getaffinity"
        | "sched_setaffinity" | "tkill" | "tgkill" | "getcwd" | "eventfd" | "eventfd2"
        | "epoll_create" | "epoll_create1" | "epoll_ctl" | "epoll_wait" | "epoll_pwait"
        | "poll" | "rt_sigprocmask" | "rt_sigpending" | "rt_sigsuspend" | "prlimit64"
        | "arch_prctl" | "memfd_create" | "close_range" | "flock" | "getpgid" | "getsid"
        | "setpgid" | "getpriority" | "setpriority" | "personality" | "sched_getscheduler"
        | "inotify_init" | "inotify_init1" | "inotify_add_watch" | "inotify_rm_watch"
        | "unshare" | "setns" | "membarrier" | "copy_file_range" | "pidfd_open" | "getxattr"
        | "lgetxattr" | "fgetxattr" | "listxattr" | "llistxattr" | "flistxattr" | "removexattr"
        | "lremovexattr" | "fremovexattr" | "setxattr" | "lsetxattr" | "fsetxattr" | "accept" => {
            name
        }
        _ => return None,
    };
    Some(n)
}

/// The x86_64 call whose decoder prints the i386 call `name` when it reads the
/// arguments in the i386 ABI: its `long`s and pointers, and the structures made of them
/// (`timespec`, `rusage`, `iovec`, `stat64`, `sigaction`, ...), are 32-bit, and a 64-bit
/// offset takes two registers.
fn same_row(name: &str) -> Option<&str> {
    Some(match name {
        "stat64" | "lstat64" => "stat",
        "fstat64" => "fstat",
        "fstatat64" => "newfstatat",
        "ugetrlimit" => "getrlimit",
        "execve" | "readv" | "writev" | "getrusage" | "times" | "getrlimit" | "pread64"
        | "pwrite64" | "lseek" | "wait4" | "rt_sigaction" | "rt_sigreturn" | "nanosleep"
        | "clock_nanosleep" | "clock_gettime" | "clock_getres" | "gettimeofday" | "sendmsg"
        | "recvmsg" | "pselect6" | "preadv" | "pwritev" | "preadv2" | "pwritev2" | "sendmmsg"
        | "recvmmsg" | "set_thread_area" | "get_thread_area" | "modify_ldt" => name,
        _ => return None,
    })
}

/// The System V IPC calls: made directly (i386 numbers 393 to 402, the x86_64 layout with
/// 32-bit structures) or through `ipc` (numbered from [`IPC_SUBCALL`]).
fn is_ipc(name: &str) -> bool {
    IPC_CALLS.iter().any(|c| c.1 == name)
}

/// The decoder of the i386 call `name`, or `None` to print its arguments raw.
pub fn decoder(name: &str) -> Option<Decoder> {
    let own = match name {
        "mmap2" => mmap2,
        "clone" => clone,
        "clone3" => clone3,
        "futex" => futex,
        "_llseek" => llseek,
        "fcntl" | "fcntl64" => fcntl64,
        "sigreturn" => sigreturn,
        "sysinfo" => sysinfo,
        "getdents" => getdents,
        "_newselect" => newselect,
        "statfs64" => statfs64,
        "fstatfs64" => fstatfs64,
        "select" => oldselect,
        "ipc" => ipc,
        _ if is_ipc(name) => ipc_call,
        _ => {
            return same_row(name)
                .or_else(|| same_layout(name))
                .and_then(decode::decoder)
        }
    };
    Some(Decoder::Func(own))
}

/// The ABI the decoder of the i386 call `name` reads its arguments in: i386 for the
/// decoders shared with x86_64 through [`same_row`]; the x86_64 one for the calls whose
/// arguments have the same layout in both, and for the i386 decoders here, which
/// rearrange the arguments for the x86_64 decoder themselves.
pub fn abi(name: &str) -> Abi {
    if same_row(name).is_some() || is_ipc(name) {
        Abi::I386
    } else {
        Abi::X86_64
    }
}

/// How the return value of the i386 call `name` is printed.
pub fn rval(name: &str) -> Rval {
    match name {
        "mmap2" => Rval::Hex,
        _ => decode::default_rval(same_layout(name).unwrap_or(name)),
    }
}

/// Runs the x86_64 decoder of `name` on the arguments `fix` rearranges.
fn as_x86_64(ctx: &mut Ctx<'_>, name: &str, fix: impl FnOnce(&mut [u64; 6])) -> Step {
    fix(&mut ctx.args);
    match decode::decoder(name) {
        Some(d) => d.run(ctx),
        None => decode::raw_args(ctx, 6),
    }
}

/// `mmap2`: the offset is in 4096-byte pages; strace prints it in bytes.
fn mmap2(ctx: &mut Ctx<'_>) -> Step {
    as_x86_64(ctx, "mmap", |a| a[5] <<= 12)
}

/// i386 `clone(flags, stack, parent_tid, tls, child_tid)`: x86_64 swaps the last two; the
/// TLS is a `user_desc`.
fn clone(ctx: &mut Ctx<'_>) -> Step {
    let step = as_x86_64(ctx, "clone", |a| a.swap(3, 4));
    if ctx.exiting {
        tls_as_user_desc(ctx, ctx.arg(4));
    }
    step
}

/// `clone3`: `struct clone_args` is the same; its TLS is a `user_desc`.
fn clone3(ctx: &mut Ctx<'_>) -> Step {
    let step = as_x86_64(ctx, "clone3", |_| ());
    if !ctx.exiting {
        if let Some(a) = ctx.read::<[u64; 8]>(ctx.arg(0)) {
            tls_as_user_desc(ctx, a[7]);
        }
    }
    step
}

/// Replaces the `tls=ADDRESS` the x86_64 decoder printed by the `user_desc` there.
fn tls_as_user_desc(ctx: &mut Ctx<'_>, tls: u64) {
    let raw = format!("tls={}", text::Hx(tls));
    let Some(at) = ctx.out.rfind(&raw) else {
        return;
    };
    if let Some(desc) = ctx.read::<[u32; 4]>(tls) {
        let text = format!("tls={}", user_desc(desc));
        ctx.out.replace_range(at..at + raw.len(), &text);
    }
}

/// `futex`: decoded unless a waiting operation has a (32-bit) timeout.
fn futex(ctx: &mut Ctx<'_>) -> Step {
    let waits = matches!(ctx.arg(1) & 0x7f, 0 | 6 | 9 | 11 | 13);
    if waits && ctx.arg(3) != 0 {
        with_wide_time(ctx, "futex", ctx.arg(3))
    } else {
        as_x86_64(ctx, "futex", |_| ())
    }
}

/// `_newselect`: `select` with fd sets of 32-bit words (the same bytes) and a 32-bit timeval.
fn newselect(ctx: &mut Ctx<'_>) -> Step {
    with_wide_time(ctx, "select", ctx.arg(4))
}

/// Runs the x86_64 decoder of `name` on memory where the 32-bit `{sec, nsec}` or `{sec,
/// usec}` pair at `addr` reads as the 64-bit one.
fn with_wide_time(ctx: &mut Ctx<'_>, name: &str, addr: u64) -> Step {
    let mem = Timespec32 {
        inner: ctx.mem,
        addr,
    };
    let mut sub = Ctx::new(ctx.pid, &mem, ctx.nr, ctx.args, ctx.opts);
    sub.abi = ctx.abi;
    sub.sp = ctx.sp;
    sub.exiting = ctx.exiting;
    sub.rval = ctx.rval;
    sub.error = ctx.error;
    sub.stash = ctx.stash;
    sub.rfmt = ctx.rfmt;
    sub.rextra = std::mem::take(&mut ctx.rextra);
    let step = match decode::decoder(name) {
        Some(d) => d.run(&mut sub),
        None => decode::raw_args(&mut sub, 6),
    };
    ctx.out.push_str(&sub.out);
    ctx.stash = sub.stash;
    ctx.rfmt = sub.rfmt;
    ctx.rextra = sub.rextra;
    step
}

/// The tracee's memory with the 32-bit `struct timespec` at `addr` read as the 64-bit one
/// (`{int32 tv_sec, int32 tv_nsec}` widened, signs kept).
#[derive(Debug)]
struct Timespec32<'a> {
    inner: &'a dyn TraceeMemory,
    addr: u64,
}

impl TraceeMemory for Timespec32<'_> {
    fn read(&self, addr: u64, buf: &mut [u8]) -> std::io::Result<usize> {
        if addr != self.addr || buf.len() != 16 {
            return self.inner.read(addr, buf);
        }
        let mut b = [0u8; 8];
        self.inner.read_exact(addr, &mut b)?;
        let sec = i64::from(i32::from_ne_bytes(b[0..4].try_into().unwrap()));
        let nsec = i64::from(i32::from_ne_bytes(b[4..8].try_into().unwrap()));
        buf[..8].copy_from_slice(&sec.to_ne_bytes());
        buf[8..].copy_from_slice(&nsec.to_ne_bytes());
        Ok(16)
    }

    fn read_cstr(&self, addr: u64, max: usize) -> std::io::Result<(Vec<u8>, bool)> {
        self.inner.read_cstr(addr, max)
    }
}

/// Old `select(args)` (i386 call 82): the five arguments of `_newselect` in an array.
fn oldselect(ctx: &mut Ctx<'_>) -> Step {
    match ctx.read::<[u32; 5]>(ctx.arg(0) & 0xffff_ffff) {
        Some(a) => {
            ctx.args = [a[0], a[1], a[2], a[3], a[4], 0].map(u64::from);
            newselect(ctx)
        }
        None => {
            if !ctx.exiting {
                ctx.addr(ctx.arg(0) & 0xffff_ffff);
            }
            Step::Decoded
        }
    }
}

/// A System V IPC call in the i386 ABI. Through `ipc` its arguments are `first, second,
/// third, ptr, fifth` (and the version): rearranged into the direct call's as strace's
/// decoders do for an indirect call; `semctl`'s argument is the value `ptr` points to (in
/// brackets), `msgrcv`'s version 0 passes the buffer and type in a structure at `ptr`, and
/// `shmat` returns 0 and stores the address at `third` (shown as the return value).
fn ipc_call(ctx: &mut Ctx<'_>) -> Step {
    let name = &crate::sysent32::name(ctx.nr);
    if ctx.nr <= IPC_SUBCALL {
        return as_x86_64(ctx, name, |_| ());
    }
    let [a0, a1, a2, a3, a4, version] = ctx.args;
    match name.as_str() {
        "semop" => as_x86_64(ctx, "semop", |a| *a = [a0, a3, a1, 0, 0, 0]),
        "semtimedop" => as_x86_64(ctx, "semtimedop", |a| *a = [a0, a3, a1, a4, 0, 0]),
        "semctl" => decode::ipc_semctl_indirect(ctx),
        "msgsnd" => as_x86_64(ctx, "msgsnd", |a| *a = [a0, a3, a1, a2, 0, 0]),
        "msgrcv" if version == 0 => {
            let (buf, typ) = match ctx.read::<[u32; 2]>(a3) {
                Some([b, t]) => (u64::from(b), i64::from(t as i32) as u64),
                None => (a3, 0),
            };
            as_x86_64(ctx, "msgrcv", |a| *a = [a0, buf, a1, typ, a2, 0])
        }
        "msgrcv" => as_x86_64(ctx, "msgrcv", |a| *a = [a0, a3, a1, a4, a2, 0]),
        "msgctl" | "shmctl" => as_x86_64(ctx, name, |a| *a = [a0, a1, a3, 0, 0, 0]),
        "shmat" if ctx.exiting => {
            if !ctx.error {
                if let Some(addr) = ctx.read::<u32>(a2) {
                    ctx.rval = i64::from(addr);
                }
            }
            Step::Decoded
        }
        "shmat" => {
            as_x86_64(ctx, "shmat", |a| *a = [a0, a3, a1, 0, 0, 0]);
            Step::Exit
        }
        "shmdt" => as_x86_64(ctx, "shmdt", |a| *a = [a3, 0, 0, 0, 0, 0]),
        _ => as_x86_64(ctx, name, |_| ()),
    }
}

/// `ipc` with a call it does not know: `99, 0x1, ...` (`1<<16|99` for a version).
fn ipc(ctx: &mut Ctx<'_>) -> Step {
    let call = ctx.arg(0) as u32;
    if call >> 16 != 0 {
        let _ = write!(ctx.out, "{}<<16|", call >> 16);
    }
    let _ = write!(ctx.out, "{}", call & 0xffff);
    for i in 1..6 {
        ctx.comma();
        ctx.hex(i);
    }
    Step::Decoded
}

/// `fcntl`/`fcntl64`: the record-lock commands take 32-bit structures and print raw.
fn fcntl64(ctx: &mut Ctx<'_>) -> Step {
    match ctx.arg_int(1) {
        5..=7 | 12..=14 | 36..=38 => decode::raw_args(ctx, 3),
        _ => as_x86_64(ctx, "fcntl", |_| ()),
    }
}

/// `struct user_desc` (entry, base, limit, flag bits) as strace prints it for a 32-bit
/// tracee.
fn user_desc(d: [u32; 4]) -> String {
    decode::user_desc_text(d, false)
}

/// `_llseek(fd, offset_high, offset_low, result, whence)`, printed
/// `_llseek(3, 0, [0], SEEK_CUR)` like strace.
/// `sysinfo`: the i386 `struct sysinfo` (32-bit `long`s).
fn sysinfo(ctx: &mut Ctx<'_>) -> Step {
    if !ctx.exiting {
        return Step::Exit;
    }
    let addr = ctx.arg(0) & 0xffff_ffff;
    let b = ctx.read_bytes(addr, 56).filter(|_| addr != 0 && !ctx.error);
    let Some(b) = b else {
        ctx.addr(addr);
        return Step::Decoded;
    };
    let w = |o: usize| u32::from_ne_bytes(b[o..o + 4].try_into().unwrap());
    let procs = u16::from_ne_bytes([b[40], b[41]]);
    let _ = write!(
        ctx.out,
        "{{uptime={}, loads=[{}, {}, {}], totalram={}, freeram={}, sharedram={}, bufferram={}, \
         totalswap={}, freeswap={}, procs={procs}, totalhigh={}, freehigh={}, mem_unit={}}}",
        w(0) as i32,
        w(4),
        w(8),
        w(12),
        w(16),
        w(20),
        w(24),
        w(28),
        w(32),
        w(36),
        w(44),
        w(48),
        w(52)
    );
    Step::Decoded
}

/// `getdents`: the i386 `struct linux_dirent` (32-bit inode and offset, `d_reclen` at offset
/// 8): the buffer's address and how many entries it holds.
fn getdents(ctx: &mut Ctx<'_>) -> Step {
    if !ctx.exiting {
        ctx.fd(0);
        ctx.comma();
        return Step::Exit;
    }
    let addr = ctx.arg(1) & 0xffff_ffff;
    ctx.addr(addr);
    if !ctx.error {
        let n = ctx.rval as usize;
        let mut count = 0;
        if let Some(buf) = ctx.read_bytes(addr, n) {
            let mut off = 0;
            while off + 10 <= n {
                let reclen = usize::from(u16::from_ne_bytes([buf[off + 8], buf[off + 9]]));
                if reclen == 0 {
                    break;
                }
                count += 1;
                off += reclen;
            }
        }
        let _ = write!(ctx.out, " /* {count} entries */");
    }
    let _ = write!(ctx.out, ", {}", ctx.arg(2) as u32);
    Step::Decoded
}

/// `statfs64(path, size, buf)` and `fstatfs64(fd, size, buf)`: the i386 `struct statfs64`.
fn statfs64(ctx: &mut Ctx<'_>) -> Step {
    statfs64_common(ctx, false)
}

fn fstatfs64(ctx: &mut Ctx<'_>) -> Step {
    statfs64_common(ctx, true)
}

fn statfs64_common(ctx: &mut Ctx<'_>, fd: bool) -> Step {
    if !ctx.exiting {
        if fd {
            ctx.fd(0);
        } else {
            ctx.path_at(ctx.arg(0) & 0xffff_ffff);
        }
        let _ = write!(ctx.out, ", {}, ", ctx.arg(1) as u32);
        return Step::Exit;
    }
    let addr = ctx.arg(2) & 0xffff_ffff;
    if ctx.error {
        ctx.addr(addr);
    } else {
        decode::statfs64_i386(ctx, addr);
    }
    Step::Decoded
}

fn llseek(ctx: &mut Ctx<'_>) -> Step {
    if !ctx.exiting {
        ctx.fd(0);
        let off = ((ctx.arg(1) & 0xffff_ffff) << 32 | (ctx.arg(2) & 0xffff_ffff)) as i64;
        let _ = write!(ctx.out, ", {off}, ");
        return Step::Exit;
    }
    ctx.out_arg(3, |c, a| match c.read::<i64>(a) {
        Some(v) => {
            let _ = write!(c.out, "[{v}]");
        }
        None => c.addr(a),
    });
    ctx.comma();
    ctx.xval(xlat::SEEK, u64::from(ctx.arg(4) as u32), "SEEK_???");
    Step::Decoded
}

/// i386 `sigreturn`: esp is 8 bytes into the `sigframe`, at its `sigcontext`, whose
/// `oldmask` (signals 1-32) is at byte 80; `extramask` (33-64) follows the sigcontext
/// (88 bytes) and the legacy FPU state (624 bytes).
fn sigreturn(ctx: &mut Ctx<'_>) -> Step {
    let lo = ctx.read::<u32>(ctx.sp.wrapping_add(80));
    let hi = ctx.read::<u32>(ctx.sp.wrapping_add(88 + 624));
    let mask = lo.zip(hi).map(|(l, h)| u64::from(h) << 32 | u64::from(l));
    decode::signal::print_mask(ctx, mask);
    Step::Decoded
}

#[cfg(test)]
mod tests {
    use super::{name, nargs};

    #[test]
    fn numbers() {
        assert_eq!(name(0), "restart_syscall");
        assert_eq!(name(4), "write");
        assert_eq!(name(20), "getpid");
        assert_eq!(name(45), "brk");
        assert_eq!(name(102), "socketcall");
        assert_eq!(name(140), "_llseek");
        assert_eq!(name(191), "ugetrlimit");
        assert_eq!(name(192), "mmap2");
        assert_eq!(name(221), "fcntl64");
        assert_eq!(name(222), "syscall_0xde");
        assert_eq!(name(224), "gettid");
        assert_eq!(name(243), "set_thread_area");
        assert_eq!(name(251), "syscall_0xfb");
        assert_eq!(name(252), "exit_group");
        assert_eq!(name(295), "openat");
        assert_eq!(name(355), "getrandom");
        assert_eq!(name(383), "statx");
        assert_eq!(name(386), "rseq");
        assert_eq!(name(390), "syscall_0x186");
        assert_eq!(name(393), "semget");
        assert_eq!(name(403), "clock_gettime64");
        assert_eq!(name(415), "syscall_0x19f");
        assert_eq!(name(423), "sched_rr_get_interval_time64");
        assert_eq!(name(435), "clone3");
        assert_eq!(name(462), "mseal");
        assert_eq!(name(464), "getxattrat");
        assert_eq!(name(465), "syscall_0x1d1");
        assert_eq!(nargs(192), 6);
        assert_eq!(nargs(383), 5);
        assert_eq!(nargs(243), 1);
        assert_eq!(nargs(222), 6);
        assert_eq!(name(super::SOCKET_SUBCALL + 1), "socket");
        assert_eq!(name(super::SOCKET_SUBCALL + 12), "recvfrom");
        assert_eq!(nargs(super::SOCKET_SUBCALL + 11), 6);
        assert_eq!(name(super::SOCKET_SUBCALL + 20), "sendmmsg");
        assert_eq!(name(super::IPC_SUBCALL + 1), "semop");
        assert_eq!(name(super::IPC_SUBCALL + 24), "shmctl");
        assert_eq!(
            name(super::IPC_SUBCALL + 5),
            format!("syscall_{:#x}", super::IPC_SUBCALL + 5)
        );
        assert_eq!(nargs(super::IPC_SUBCALL + 12), 5);
    }

    #[test]
    fn decoders_for_common_calls() {
        for n in [
            "mmap2",
            "statx",
            "clock_gettime64",
            "getuid32",
            "ugetrlimit",
            "set_thread_area",
            "_llseek",
            "openat",
            "ioctl",
            "rt_sigaction",
        ] {
            assert!(super::decoder(n).is_some(), "{n}");
        }
        for n in ["sigaltstack", "socketcall"] {
            assert!(super::decoder(n).is_none(), "{n}");
        }
        assert_eq!(super::rval("mmap2"), crate::decode::Rval::Hex);
        assert_eq!(super::rval("openat"), crate::decode::Rval::Fd);
        for (i386, x86_64) in [
            ("mmap2", "mmap"),
            ("fstat64", "fstat"),
            ("getuid32", "getuid"),
            ("clock_gettime64", "clock_gettime"),
            ("openat", "openat"),
            ("socket", "socket"),
        ] {
            assert_eq!(super::filter_name(i386), x86_64);
        }
    }
}
