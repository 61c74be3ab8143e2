//! Host administration and old file-time calls: host and domain names, the kernel log,
//! reboot, page residency, `utime`/`utimes`/`futimesat`, `ustat`, `lookup_dcookie`.

mod quota;

use std::fmt::Write as _;

use super::table::Arg::{self, *};
use super::Decoder::{Func, Row};
use super::{structs, Ctx, Decoder, Step};
use crate::text::{self, Xlat};

/// Longest host or domain name the kernel takes (`__NEW_UTS_LEN`).
const NEW_UTS_LEN: u64 = 64;

const SYSLOG_ACTIONS: Xlat = &[
    (0, "SYSLOG_ACTION_CLOSE"),
    (1, "SYSLOG_ACTION_OPEN"),
    (2, "SYSLOG_ACTION_READ"),
    (3, "SYSLOG_ACTION_READ_ALL"),
    (4, "SYSLOG_ACTION_READ_CLEAR"),
    (5, "SYSLOG_ACTION_CLEAR"),
    (6, "SYSLOG_ACTION_CONSOLE_OFF"),
    (7, "SYSLOG_ACTION_CONSOLE_ON"),
    (8, "SYSLOG_ACTION_CONSOLE_LEVEL"),
    (9, "SYSLOG_ACTION_SIZE_UNREAD"),
    (10, "SYSLOG_ACTION_SIZE_BUFFER"),
];
const LOGLEVELS: Xlat = &[
    (0, "LOGLEVEL_EMERG"),
    (1, "LOGLEVEL_ALERT"),
    (2, "LOGLEVEL_CRIT"),
    (3, "LOGLEVEL_ERR"),
    (4, "LOGLEVEL_WARNING"),
    (5, "LOGLEVEL_NOTICE"),
    (6, "LOGLEVEL_INFO"),
    (7, "LOGLEVEL_DEBUG"),
    (8, "LOGLEVEL_DEBUG+1"),
];
const REBOOT_MAGIC1: Xlat = &[(
    libc::LINUX_REBOOT_MAGIC1 as u32 as u64,
    "LINUX_REBOOT_MAGIC1",
)];
const REBOOT_MAGIC2: Xlat = &[
    (
        libc::LINUX_REBOOT_MAGIC2 as u32 as u64,
        "LINUX_REBOOT_MAGIC2",
    ),
    (
        libc::LINUX_REBOOT_MAGIC2A as u32 as u64,
        "LINUX_REBOOT_MAGIC2A",
    ),
    (
        libc::LINUX_REBOOT_MAGIC2B as u32 as u64,
        "LINUX_REBOOT_MAGIC2B",
    ),
    (
        libc::LINUX_REBOOT_MAGIC2C as u32 as u64,
        "LINUX_REBOOT_MAGIC2C",
    ),
];
const REBOOT_CMDS: Xlat = &[
    (
        libc::LINUX_REBOOT_CMD_RESTART as u32 as u64,
        "LINUX_REBOOT_CMD_RESTART",
    ),
    (
        libc::LINUX_REBOOT_CMD_HALT as u32 as u64,
        "LINUX_REBOOT_CMD_HALT",
    ),
    (
        libc::LINUX_REBOOT_CMD_CAD_ON as u32 as u64,
        "LINUX_REBOOT_CMD_CAD_ON",
    ),
    (
        libc::LINUX_REBOOT_CMD_CAD_OFF as u32 as u64,
        "LINUX_REBOOT_CMD_CAD_OFF",
    ),
    (
        libc::LINUX_REBOOT_CMD_POWER_OFF as u32 as u64,
        "LINUX_REBOOT_CMD_POWER_OFF",
    ),
    (
        libc::LINUX_REBOOT_CMD_RESTART2 as u32 as u64,
        "LINUX_REBOOT_CMD_RESTART2",
    ),
    (
        libc::LINUX_REBOOT_CMD_SW_SUSPEND as u32 as u64,
        "LINUX_REBOOT_CMD_SW_SUSPEND",
    ),
    (
        libc::LINUX_REBOOT_CMD_KEXEC as u32 as u64,
        "LINUX_REBOOT_CMD_KEXEC",
    ),
];

pub fn decoder(name: &str) -> Option<Decoder> {
    const MAGIC1: Arg = Const(REBOOT_MAGIC1, "LINUX_REBOOT_MAGIC_???");
    const MAGIC2: Arg = Const(REBOOT_MAGIC2, "LINUX_REBOOT_MAGIC_???");
    Some(match name {
        "sethostname" | "setdomainname" => Func(uts_name),
        "quotactl" => Func(quota::quotactl),
        "quotactl_fd" => Func(quota::quotactl_fd),
        "syslog" => Func(syslog),
        "reboot" => Row(&[MAGIC1, MAGIC2, In(reboot_cmd)]),
        "mincore" => Row(&[Ptr, Ulong, Out(mincore_vec)]),
        "utime" => Row(&[Path, In(utimbuf)]),
        "utimes" => Row(&[Path, In(timeval_pair)]),
        "futimesat" => Row(&[Dirfd, Path, In(timeval_pair)]),
        "ustat" => Row(&[In(ustat_dev), Out(ustat)]),
        "iopl" => Row(&[Int]),
        "kcmp" => Func(kcmp),
        "fanotify_mark" => Func(fanotify_mark),
        "fanotify_init" => Row(&[In(fanotify_init_flags), In(super::file::open_flags)]),
        "mount" => Func(mount),
        "mq_open" => Func(mq_open),
        "mq_unlink" => Row(&[Path]),
        "mq_getsetattr" => Row(&[Fd, In(mq_attr), Out(mq_attr)]),
        "mq_timedsend" => Row(&[Fd, Sent, Uint, In(structs::timespec)]),
        "mq_timedreceive" => Row(&[Fd, Received, Out(mq_prio), In(structs::timespec)]),
        "mq_notify" => Row(&[Fd, In(super::process::sigevent)]),
        "lookup_dcookie" => Func(lookup_dcookie),
        _ => return None,
    })
}

/// `sethostname`/`setdomainname`: a name longer than the kernel takes prints as its
/// address.
fn uts_name(ctx: &mut Ctx<'_>) -> Step {
    let len = ctx.arg(1) as u32 as u64;
    if len > NEW_UTS_LEN {
        ctx.ptr(0);
    } else {
        ctx.buf(ctx.arg(0), len);
    }
    ctx.comma();
    ctx.uint(1);
    Step::Decoded
}

/// An action or level number: always `N /* NAME */` (strace prints these so whatever
/// `-X` says), the number in decimal.
fn verbose_dec(ctx: &mut Ctx<'_>, table: Xlat, v: u32, dflt: &str) {
    let _ = write!(ctx.out, "{}", v as i32);
    let name = text::lookup(table, u64::from(v)).unwrap_or(dflt);
    let _ = write!(ctx.out, " /* {name} */");
}

fn syslog(ctx: &mut Ctx<'_>) -> Step {
    let action = ctx.arg(0) as u32;
    if !ctx.exiting {
        verbose_dec(ctx, SYSLOG_ACTIONS, action, "SYSLOG_ACTION_???");
        match action {
            0 | 1 | 5 | 6 | 7 | 9 | 10 => return Step::Decoded,
            2..=4 => {
                ctx.comma();
                return Step::Exit;
            }
            8 => {
                ctx.comma();
                ctx.hex(1);
                ctx.comma();
                verbose_dec(ctx, LOGLEVELS, ctx.arg(2) as u32, "LOGLEVEL_???");
                return Step::Decoded;
            }
            _ => {
                ctx.comma();
                ctx.ptr(1);
                ctx.comma();
                ctx.int(2);
                return Step::Decoded;
            }
        }
    }
    if ctx.error {
        ctx.ptr(1);
    } else {
        ctx.buf(ctx.arg(1), ctx.rval as u64);
    }
    ctx.comma();
    ctx.int(2);
    Step::Decoded
}

/// `reboot`'s command, and for `LINUX_REBOOT_CMD_RESTART2` the command string that follows.
fn reboot_cmd(ctx: &mut Ctx<'_>, cmd: u64) {
    let cmd = cmd & 0xffff_ffff;
    ctx.xval(REBOOT_CMDS, cmd, "LINUX_REBOOT_CMD_???");
    if cmd == libc::LINUX_REBOOT_CMD_RESTART2 as u32 as u64 {
        ctx.comma();
        // The kernel copies at most 256 bytes with the NUL.
        ctx.cstr_sized(ctx.arg(3), 255);
    }
}

/// `mincore`'s vector: one residency bit per page of the range, as many as `-s` allows.
fn mincore_vec(ctx: &mut Ctx<'_>, addr: u64) {
    let page = 4096u64;
    let len = ctx.arg(1);
    let pages = len.div_ceil(page);
    let max = ctx.opts.max_strlen as u64;
    let Some(vec) = ctx.read_bytes(addr, pages.min(max) as usize) else {
        ctx.addr(addr);
        return;
    };
    ctx.push("[");
    for (i, b) in vec.iter().enumerate() {
        if i > 0 {
            ctx.comma();
        }
        let _ = write!(ctx.out, "{}", b & 1);
    }
    if pages > max {
        ctx.push(", ...");
    }
    ctx.push("]");
}

/// ` /* 2017-04-16T13:51:18.567891+0000 */` after a time, when it is a valid one (strace
/// leaves the comment out for the epoch and for an out-of-range fraction).
pub(super) fn time_comment(out: &mut String, sec: i64, part: u64, max_part: u64, width: usize) {
    if (sec == 0 && part == 0) || part > max_part {
        return;
    }
    // SAFETY: tm is plain integers and a pointer; all-zero is valid before localtime_r fills it.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    let t = sec as libc::time_t;
    // SAFETY: localtime_r writes one struct tm into `tm` and reads `t`.
    if unsafe { libc::localtime_r(&t, &mut tm) }.is_null() {
        return;
    }
    let _ = write!(
        out,
        " /* {:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        i64::from(tm.tm_year) + 1900,
        tm.tm_mon + 1,
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec
    );
    if part != 0 {
        let _ = write!(out, ".{part:0width$}");
    }
    let off = tm.tm_gmtoff;
    let sign = if off < 0 { '-' } else { '+' };
    let a = off.abs();
    let _ = write!(out, "{sign}{:02}{:02} */", a / 3600, (a % 3600) / 60);
}

/// `{actime=..., modtime=...}`.
fn utimbuf(ctx: &mut Ctx<'_>, addr: u64) {
    let Some([a, m]) = structs::read_ulongs::<2>(ctx, addr) else {
        ctx.addr(addr);
        return;
    };
    let (a, m) = (long(ctx, a), long(ctx, m));
    let _ = write!(ctx.out, "{{actime={a}");
    time_comment(&mut ctx.out, a, 0, 999_999_999, 9);
    let _ = write!(ctx.out, ", modtime={m}");
    time_comment(&mut ctx.out, m, 0, 999_999_999, 9);
    ctx.push("}");
}

/// A `long` read as an `unsigned long` of the tracee's ABI, sign-extended.
fn long(ctx: &Ctx<'_>, v: u64) -> i64 {
    match ctx.abi {
        super::Abi::X86_64 => v as i64,
        super::Abi::I386 => i64::from(v as u32 as i32),
    }
}

/// `[{tv_sec=..., tv_usec=...}, {...}]`: the access and modification times.
fn timeval_pair(ctx: &mut Ctx<'_>, addr: u64) {
    let Some(t) = structs::read_ulongs::<4>(ctx, addr) else {
        ctx.addr(addr);
        return;
    };
    ctx.push("[");
    for k in 0..2 {
        if k > 0 {
            ctx.comma();
        }
        let sec = long(ctx, t[2 * k]);
        let usec = t[2 * k + 1];
        let _ = write!(ctx.out, "{{tv_sec={sec}, tv_usec={usec}}}");
        time_comment(&mut ctx.out, sec, usec, 999_999, 6);
    }
    ctx.push("]");
}

/// `ustat`'s device number (an `unsigned int` on every ABI).
fn ustat_dev(ctx: &mut Ctx<'_>, dev: u64) {
    let dev = dev & 0xffff_ffff;
    let s = structs::dev_t(ctx.opts.xlat, dev);
    ctx.push(&s);
}

/// `{f_tfree=N, f_tinode=N}` of a `struct ustat`.
fn ustat(ctx: &mut Ctx<'_>, addr: u64) {
    // struct ustat { __daddr_t f_tfree (int); __ino_t f_tinode (unsigned long); char f_fname[6]; char f_fpack[6]; }
    let (free, inode) = match ctx.abi {
        super::Abi::X86_64 => match ctx.read::<[u64; 2]>(addr) {
            Some([a, b]) => (a as u32 as i32 as i64 as u64, b),
            None => return ctx.addr(addr),
        },
        super::Abi::I386 => match ctx.read::<[u32; 2]>(addr) {
            Some([a, b]) => (a as i32 as i64 as u64, u64::from(b)),
            None => return ctx.addr(addr),
        },
    };
    let _ = write!(ctx.out, "{{f_tfree={free}, f_tinode={inode}}}");
}

/// `lookup_dcookie(cookie, buf, len)`: the path the call wrote, as many bytes as it
/// returned.
fn lookup_dcookie(ctx: &mut Ctx<'_>) -> Step {
    // The cookie is 64 bits: one register on x86_64, two on i386.
    let (cookie, buf_i) = match ctx.abi {
        super::Abi::X86_64 => (ctx.arg(0), 1),
        super::Abi::I386 => (ctx.arg(0) & 0xffff_ffff | ctx.arg(1) << 32, 2),
    };
    if !ctx.exiting {
        let _ = write!(ctx.out, "{cookie}, ");
        return Step::Exit;
    }
    if ctx.error {
        ctx.ptr(buf_i);
    } else {
        let addr = ctx.arg(buf_i);
        let n = ctx.rval as u64;
        match ctx.read_bytes(addr, n as usize) {
            Some(b) => text::quote(&mut ctx.out, &b, ctx.opts.hex, false),
            None => ctx.addr(addr),
        }
    }
    ctx.comma();
    ctx.ulong(buf_i + 1);
    Step::Decoded
}

const KCMP_TYPES: Xlat = &[
    (0, "KCMP_FILE"),
    (1, "KCMP_VM"),
    (2, "KCMP_FILES"),
    (3, "KCMP_FS"),
    (4, "KCMP_SIGHAND"),
    (5, "KCMP_IO"),
    (6, "KCMP_SYSVSEM"),
    (7, "KCMP_EPOLL_TFD"),
];

/// A descriptor of process `pid` (an id in the tracee's pid namespace): decorated (`-y`)
/// only when it is the tracee's own.
fn pid_fd(ctx: &mut Ctx<'_>, pid: i32, fd: i32) {
    let own = pid == ctx.pid.0
        || (ctx.opts.decode_fds > 0
            && crate::pidns::translate(ctx.pid.0, pid, crate::pidns::Kind::Tgid)
                == Some(ctx.pid.0));
    if own {
        ctx.fd_val(fd);
    } else {
        let _ = write!(ctx.out, "{fd}");
    }
}

/// `kcmp(pid1, pid2, type, idx1, idx2)`: the indexes are printed only for the types that
/// use them (descriptors, an epoll slot), and for an unknown type in hex.
fn kcmp(ctx: &mut Ctx<'_>) -> Step {
    let (pid1, pid2) = (ctx.arg_int(0), ctx.arg_int(1));
    ctx.pid_arg(pid1);
    ctx.comma();
    ctx.pid_arg(pid2);
    ctx.comma();
    let kind = ctx.arg(2) as u32;
    ctx.xval(KCMP_TYPES, u64::from(kind), "KCMP_???");
    match kind {
        0 => {
            ctx.comma();
            pid_fd(ctx, pid1, ctx.arg_int(3));
            ctx.comma();
            pid_fd(ctx, pid2, ctx.arg_int(4));
        }
        1..=6 => {}
        7 => {
            ctx.comma();
            pid_fd(ctx, pid1, ctx.arg_int(3));
            ctx.comma();
            let addr = ctx.arg(4);
            // struct kcmp_epoll_slot: three __u32.
            match ctx.read::<[u32; 3]>(addr) {
                Some([efd, tfd, toff]) => {
                    ctx.push("{efd=");
                    pid_fd(ctx, pid2, efd as i32);
                    ctx.push(", tfd=");
                    pid_fd(ctx, pid2, tfd as i32);
                    let _ = write!(ctx.out, ", toff={toff}}}");
                }
                None => ctx.addr(addr),
            }
        }
        _ => {
            ctx.comma();
            ctx.hex(3);
            ctx.comma();
            ctx.hex(4);
        }
    }
    Step::Decoded
}

/// `mq_open(name, flags[, mode, attr])`: the mode and attributes only with `O_CREAT`.
fn mq_open(ctx: &mut Ctx<'_>) -> Step {
    ctx.path(0);
    ctx.comma();
    let flags = ctx.arg(1) & 0xffff_ffff;
    super::file::open_flags_and_mode(ctx, flags, ctx.arg(2));
    if flags & 0o100 != 0 {
        ctx.comma();
        mq_attr(ctx, ctx.arg(3));
    }
    Step::Decoded
}

/// `{mq_flags=0, mq_maxmsg=10, mq_msgsize=8192, mq_curmsgs=0}`.
fn mq_attr(ctx: &mut Ctx<'_>, addr: u64) {
    // Four longs and four reserved ones: strace reads the whole struct.
    let Some([flags, max, size, cur, ..]) = structs::read_ulongs::<8>(ctx, addr) else {
        ctx.addr(addr);
        return;
    };
    let (max, size, cur) = (long(ctx, max), long(ctx, size), long(ctx, cur));
    let _ = write!(
        ctx.out,
        "{{mq_flags={}, mq_maxmsg={max}, mq_msgsize={size}, mq_curmsgs={cur}}}",
        text::Hx(flags)
    );
}

/// `[priority]` a message queue call wrote.
fn mq_prio(ctx: &mut Ctx<'_>, addr: u64) {
    ctx.num_ptr::<u32>(addr);
}

const MS_FLAGS: Xlat = &[
    (1, "MS_RDONLY"),
    (2, "MS_NOSUID"),
    (4, "MS_NODEV"),
    (8, "MS_NOEXEC"),
    (16, "MS_SYNCHRONOUS"),
    (32, "MS_REMOUNT"),
    (64, "MS_MANDLOCK"),
    (128, "MS_DIRSYNC"),
    (256, "MS_NOSYMFOLLOW"),
    (1024, "MS_NOATIME"),
    (2048, "MS_NODIRATIME"),
    (4096, "MS_BIND"),
    (8192, "MS_MOVE"),
    (16384, "MS_REC"),
    (32768, "MS_SILENT"),
    (1 << 16, "MS_POSIXACL"),
    (1 << 17, "MS_UNBINDABLE"),
    (1 << 18, "MS_PRIVATE"),
    (1 << 19, "MS_SLAVE"),
    (1 << 20, "MS_SHARED"),
    (1 << 21, "MS_RELATIME"),
    (1 << 22, "MS_KERNMOUNT"),
    (1 << 23, "MS_I_VERSION"),
    (1 << 24, "MS_STRICTATIME"),
    (1 << 25, "MS_LAZYTIME"),
    (1 << 26, "MS_SUBMOUNT"),
    (1 << 27, "MS_NOREMOTELOCK"),
    (1 << 28, "MS_NOSEC"),
    (1 << 29, "MS_BORN"),
    (1 << 30, "MS_ACTIVE"),
    (1 << 31, "MS_NOUSER"),
];
const MS_MGC_VAL: u64 = 0xc0ed_0000;
const MS_MGC_MSK: u64 = 0xffff_0000;

/// `mount(source, target, type, flags, data)`: the type is printed as an address when the
/// flags make the kernel ignore it (remount, bind, move, propagation changes), and so is the
/// data for bind, move and propagation changes.
fn mount(ctx: &mut Ctx<'_>) -> Step {
    let mut flags = ctx.arg(3) & 0xffff_ffff;
    let plain = if flags & MS_MGC_MSK == MS_MGC_VAL {
        flags & !MS_MGC_MSK
    } else {
        flags
    };
    let propagation = libc::MS_SHARED | libc::MS_PRIVATE | libc::MS_SLAVE | libc::MS_UNBINDABLE;
    let ignore_type = plain & (libc::MS_REMOUNT | libc::MS_BIND | libc::MS_MOVE | propagation) != 0;
    let ignore_data = plain & (libc::MS_BIND | libc::MS_MOVE | propagation) != 0;
    ctx.path(0);
    ctx.comma();
    ctx.path(1);
    ctx.comma();
    if ignore_type && ctx.arg(2) != 0 {
        ctx.ptr(2);
    } else {
        ctx.cstr(2);
    }
    ctx.comma();
    if flags & MS_MGC_MSK == MS_MGC_VAL {
        text::named(&mut ctx.out, ctx.opts.xlat, "0xc0ed0000", "MS_MGC_VAL");
        flags &= !MS_MGC_MSK;
        if flags != 0 {
            ctx.push("|");
        }
    }
    if flags != 0 || ctx.arg(3) & 0xffff_ffff == 0 {
        ctx.flags(MS_FLAGS, flags, "MS_???");
    }
    ctx.comma();
    if ignore_data && ctx.arg(4) != 0 {
        ctx.ptr(4);
    } else {
        ctx.cstr(4);
    }
    Step::Decoded
}

const FAN_MARK_FLAGS: Xlat = &[
    (0x1, "FAN_MARK_ADD"),
    (0x2, "FAN_MARK_REMOVE"),
    (0x4, "FAN_MARK_DONT_FOLLOW"),
    (0x8, "FAN_MARK_ONLYDIR"),
    (0x10, "FAN_MARK_MOUNT"),
    (0x20, "FAN_MARK_IGNORED_MASK"),
    (0x40, "FAN_MARK_IGNORED_SURV_MODIFY"),
    (0x80, "FAN_MARK_FLUSH"),
    (0x100, "FAN_MARK_FILESYSTEM"),
    (0x200, "FAN_MARK_EVICTABLE"),
    (0x400, "FAN_MARK_IGNORE"),
];
const FAN_EVENTS: Xlat = &[
    (0x1, "FAN_ACCESS"),
    (0x2, "FAN_MODIFY"),
    (0x4, "FAN_ATTRIB"),
    (0x8, "FAN_CLOSE_WRITE"),
    (0x10, "FAN_CLOSE_NOWRITE"),
    (0x20, "FAN_OPEN"),
    (0x40, "FAN_MOVED_FROM"),
    (0x80, "FAN_MOVED_TO"),
    (0x100, "FAN_CREATE"),
    (0x200, "FAN_DELETE"),
    (0x400, "FAN_DELETE_SELF"),
    (0x800, "FAN_MOVE_SELF"),
    (0x1000, "FAN_OPEN_EXEC"),
    (0x4000, "FAN_Q_OVERFLOW"),
    (0x8000, "FAN_FS_ERROR"),
    (0x10000, "FAN_OPEN_PERM"),
    (0x20000, "FAN_ACCESS_PERM"),
    (0x40000, "FAN_OPEN_EXEC_PERM"),
    (0x80000, "FAN_DIR_MODIFY"),
    (0x4000_0000, "FAN_ONDIR"),
    (0x800_0000, "FAN_EVENT_ON_CHILD"),
    (0x1000_0000, "FAN_RENAME"),
];

const FAN_CLASSES: Xlat = &[
    (0, "FAN_CLASS_NOTIF"),
    (4, "FAN_CLASS_CONTENT"),
    (8, "FAN_CLASS_PRE_CONTENT"),
];
const FAN_INIT_FLAGS: Xlat = &[
    (0x1, "FAN_CLOEXEC"),
    (0x2, "FAN_NONBLOCK"),
    (0x10, "FAN_UNLIMITED_QUEUE"),
    (0x20, "FAN_UNLIMITED_MARKS"),
    (0x40, "FAN_ENABLE_AUDIT"),
    (0x80, "FAN_REPORT_PIDFD"),
    (0x100, "FAN_REPORT_TID"),
    (0x200, "FAN_REPORT_FID"),
    (0x400, "FAN_REPORT_DIR_FID"),
    (0x800, "FAN_REPORT_NAME"),
    (0x1000, "FAN_REPORT_TARGET_FID"),
];

/// `fanotify_init`'s flags: the notification class, then the flags.
fn fanotify_init_flags(ctx: &mut Ctx<'_>, v: u64) {
    const CLASS_BITS: u64 = 0xc;
    let v = v & 0xffff_ffff;
    ctx.xval(FAN_CLASSES, v & CLASS_BITS, "FAN_CLASS_???");
    if v & !CLASS_BITS != 0 {
        ctx.push("|");
        ctx.flags(FAN_INIT_FLAGS, v & !CLASS_BITS, "FAN_???");
    }
}

/// `fanotify_mark(fd, flags, mask, dirfd, path)`: the mask is 64 bits (two registers on
/// i386); `dirfd` may be `FAN_NOFD`.
fn fanotify_mark(ctx: &mut Ctx<'_>) -> Step {
    let (mask, next) = match ctx.abi {
        super::Abi::X86_64 => (ctx.arg(2), 3),
        super::Abi::I386 => (ctx.arg(2) & 0xffff_ffff | ctx.arg(3) << 32, 4),
    };
    ctx.fd(0);
    ctx.comma();
    ctx.flags(FAN_MARK_FLAGS, ctx.arg(1) & 0xffff_ffff, "FAN_MARK_???");
    ctx.comma();
    ctx.flags(FAN_EVENTS, mask, "FAN_???");
    ctx.comma();
    if ctx.arg_int(next) == -1 {
        text::named(&mut ctx.out, ctx.opts.xlat, "-1", "FAN_NOFD");
    } else {
        ctx.dirfd(next);
    }
    ctx.comma();
    ctx.path(next + 1);
    Step::Decoded
}
