//! Files, directories and descriptors.

use std::fmt::Write as _;

use super::structs::{self, mode_arg};
use super::{Ctx, Decoder, Rval, Step};
use crate::text;
use crate::xlat;

pub fn decoder(name: &str) -> Option<Decoder> {
    Some(match name {
        "open" => open,
        "openat" => openat,
        "creat" => file_mode::<BY_PATH>,
        "close" | "fsync" | "fdatasync" | "fchdir" | "syncfs" => fd_only,
        "dup" => fd_only,
        "dup2" => dup2,
        "dup3" => dup3,
        "read" => read,
        "write" => write,
        "pread64" => pread,
        "pwrite64" => pwrite,
        "readv" => readv,
        "writev" => writev,
        "preadv" => readv,
        "pwritev" => writev,
        "lseek" => lseek,
        "stat" | "lstat" => stat::<BY_PATH>,
        "fstat" => stat::<BY_FD>,
        "newfstatat" => newfstatat,
        "statx" => statx,
        "access" => access,
        "faccessat" => faccessat,
        "faccessat2" => faccessat2,
        "unlink" | "rmdir" | "chdir" | "chroot" | "acct" | "swapoff" => path_only,
        "unlinkat" => unlinkat,
        "mkdir" => file_mode::<BY_PATH>,
        "chmod" => file_mode::<BY_PATH>,
        "mkdirat" => dirfd_path_mode,
        "fchmodat" => dirfd_path_mode,
        "fchmod" => file_mode::<BY_FD>,
        "rename" | "link" | "symlink" | "pivot_root" => two_paths,
        "renameat" => renameat,
        "renameat2" => renameat2,
        "linkat" => linkat,
        "symlinkat" => symlinkat,
        "readlink" => readlink,
        "readlinkat" => readlinkat,
        "getcwd" => getcwd,
        "truncate" => truncate::<BY_PATH>,
        "ftruncate" => truncate::<BY_FD>,
        "getdents" | "getdents64" => getdents,
        "fcntl" => fcntl,
        "flock" => flock,
        "umask" => umask,
        "ioctl" => ioctl,
        "chown" | "lchown" => chown::<BY_PATH>,
        "fchown" => chown::<BY_FD>,
        "fchownat" => fchownat,
        "pipe" => pipe,
        "pipe2" => pipe2,
        "fadvise64" => fadvise64,
        "utimensat" => utimensat,
        "close_range" => close_range,
        "eventfd2" => eventfd2,
        "memfd_create" => memfd_create,
        "sendfile" => sendfile,
        "copy_file_range" => copy_file_range,
        "fallocate" => fallocate,
        "statfs" => statfs::<BY_PATH>,
        "mknod" => mknod,
        "mknodat" => mknodat,
        "getxattr" | "lgetxattr" => getxattr::<BY_PATH>,
        "fgetxattr" => getxattr::<BY_FD>,
        "setxattr" | "lsetxattr" => setxattr::<BY_PATH>,
        "fsetxattr" => setxattr::<BY_FD>,
        "listxattr" | "llistxattr" => listxattr::<BY_PATH>,
        "flistxattr" => listxattr::<BY_FD>,
        "removexattr" | "lremovexattr" => removexattr,
        "fstatfs" => statfs::<BY_FD>,
        "timerfd_create" => timerfd_create,
        _ => return None,
    })
}

/// Argument 0 of the calls that come in a path form and an `f` form taking a descriptor
/// instead (`stat`/`fstat`, `getxattr`/`fgetxattr`, ...); their decoders are generic over
/// the form: `FD` is true for the `f` one.
fn file_arg<const FD: bool>(ctx: &mut Ctx<'_>) {
    if FD {
        ctx.fd(0);
    } else {
        ctx.path(0);
    }
}

/// The path form, for [`file_arg`].
const BY_PATH: bool = false;
/// The descriptor (`f`) form, for [`file_arg`].
const BY_FD: bool = true;

fn open_flags(ctx: &mut Ctx<'_>, v: u64) {
    let v = v & 0xffff_ffff;
    if ctx.opts.xlat == text::XlatStyle::Raw {
        let _ = write!(ctx.out, "{}", text::Hx(v));
        return;
    }
    let acc = v & 3;
    let rest = v & !3;
    let name = text::lookup(xlat::OPEN_ACCESS, acc).unwrap_or("O_ACCMODE");
    if ctx.opts.xlat == text::XlatStyle::Verbose {
        let _ = write!(ctx.out, "{} /* {name}", text::Hx(v));
        if rest != 0 {
            ctx.out.push('|');
            text::flags(
                &mut ctx.out,
                text::XlatStyle::Abbrev,
                xlat::OPEN_FLAGS,
                rest,
                "",
            );
        }
        ctx.out.push_str(" */");
        return;
    }
    ctx.out.push_str(name);
    if rest != 0 {
        ctx.out.push('|');
        text::flags(&mut ctx.out, ctx.opts.xlat, xlat::OPEN_FLAGS, rest, "");
    }
}

fn open_tail(ctx: &mut Ctx<'_>, fi: usize) {
    let flags = ctx.a(fi);
    open_flags(ctx, flags);
    if flags & 0o100 != 0 || flags & 0o20000000 == 0o20000000 {
        ctx.sep();
        mode_arg(ctx, ctx.a(fi + 1));
    }
}

fn open(ctx: &mut Ctx<'_>) -> Step {
    ctx.path(0);
    ctx.sep();
    open_tail(ctx, 1);
    Step::Decoded
}

fn openat(ctx: &mut Ctx<'_>) -> Step {
    ctx.dirfd(0);
    ctx.sep();
    ctx.path(1);
    ctx.sep();
    open_tail(ctx, 2);
    Step::Decoded
}

fn fd_only(ctx: &mut Ctx<'_>) -> Step {
    ctx.fd(0);
    Step::Decoded
}

fn dup2(ctx: &mut Ctx<'_>) -> Step {
    ctx.fd(0);
    ctx.sep();
    ctx.fd(1);
    Step::Decoded
}

fn dup3(ctx: &mut Ctx<'_>) -> Step {
    dup2(ctx);
    ctx.sep();
    let f = ctx.a(2);
    ctx.flags(&[(0o2000000, "O_CLOEXEC")], f, "O_???");
    Step::Decoded
}

fn read(ctx: &mut Ctx<'_>) -> Step {
    if !ctx.exiting {
        ctx.fd(0);
        ctx.sep();
        return Step::Exit;
    }
    ctx.received(1);
    Step::Decoded
}

fn write(ctx: &mut Ctx<'_>) -> Step {
    ctx.fd(0);
    ctx.sep();
    ctx.buf(ctx.a(1), ctx.a(2));
    ctx.sep();
    ctx.ulong(2);
    Step::Decoded
}

fn pread(ctx: &mut Ctx<'_>) -> Step {
    if !ctx.exiting {
        ctx.fd(0);
        ctx.sep();
        return Step::Exit;
    }
    ctx.received(1);
    ctx.sep();
    ctx.long(3);
    Step::Decoded
}

fn pwrite(ctx: &mut Ctx<'_>) -> Step {
    write(ctx);
    ctx.sep();
    ctx.long(3);
    Step::Decoded
}

fn readv(ctx: &mut Ctx<'_>) -> Step {
    if !ctx.exiting {
        ctx.fd(0);
        ctx.sep();
        return Step::Exit;
    }
    if ctx.error {
        ctx.hex(1);
    } else {
        structs::iovec(ctx, ctx.a(1), ctx.a(2), Some(ctx.rval as u64), true);
    }
    ctx.sep();
    ctx.ulong(2);
    if ctx.nr == 295 {
        ctx.sep();
        ctx.long(3);
    }
    Step::Decoded
}

fn writev(ctx: &mut Ctx<'_>) -> Step {
    ctx.fd(0);
    ctx.sep();
    structs::iovec(ctx, ctx.a(1), ctx.a(2), None, true);
    ctx.sep();
    ctx.ulong(2);
    if ctx.nr == 296 {
        ctx.sep();
        ctx.long(3);
    }
    Step::Decoded
}

fn lseek(ctx: &mut Ctx<'_>) -> Step {
    ctx.fd(0);
    ctx.sep();
    ctx.long(1);
    ctx.sep();
    ctx.xval(xlat::SEEK, ctx.a(2) as u32 as u64, "SEEK_???");
    Step::Decoded
}

fn stat<const FD: bool>(ctx: &mut Ctx<'_>) -> Step {
    if !ctx.exiting {
        file_arg::<FD>(ctx);
        ctx.sep();
        return Step::Exit;
    }
    ctx.out_arg(1, structs::stat);
    Step::Decoded
}

fn newfstatat(ctx: &mut Ctx<'_>) -> Step {
    if !ctx.exiting {
        ctx.dirfd(0);
        ctx.sep();
        ctx.path(1);
        ctx.sep();
        return Step::Exit;
    }
    ctx.out_arg(2, structs::stat);
    ctx.sep();
    ctx.flags(xlat::AT_FLAGS, ctx.a(3) as u32 as u64, "AT_???");
    Step::Decoded
}

fn statx(ctx: &mut Ctx<'_>) -> Step {
    if !ctx.exiting {
        ctx.dirfd(0);
        ctx.sep();
        ctx.path(1);
        ctx.sep();
        let f = ctx.a(2) as u32 as u64;
        let sync = f & 0x6000;
        ctx.s(match sync {
            0x2000 => "AT_STATX_FORCE_SYNC",
            0x4000 => "AT_STATX_DONT_SYNC",
            0x6000 => "AT_STATX_FORCE_SYNC|AT_STATX_DONT_SYNC",
            _ => "AT_STATX_SYNC_AS_STAT",
        });
        if f & !0x6000 != 0 {
            ctx.s("|");
            ctx.flags(xlat::AT_FLAGS, f & !0x6000, "AT_???");
        }
        ctx.sep();
        let m = ctx.a(3) as u32 as u64;
        if m & 0xfff == 0xfff {
            ctx.s("STATX_ALL");
            if m & !0xfff != 0 {
                ctx.s("|");
                ctx.flags(xlat::STATX_MASK, m & !0xfff, "");
            }
        } else if m & 0x7ff == 0x7ff {
            ctx.s("STATX_BASIC_STATS");
            if m & !0x7ff != 0 {
                ctx.s("|");
                ctx.flags(xlat::STATX_MASK, m & !0x7ff, "");
            }
        } else {
            ctx.flags(xlat::STATX_MASK, m, "STATX_???");
        }
        ctx.sep();
        return Step::Exit;
    }
    ctx.out_arg(4, structs::statx);
    Step::Decoded
}

fn access_mode(ctx: &mut Ctx<'_>, v: u64) {
    if v == 0 && ctx.opts.xlat == text::XlatStyle::Verbose {
        ctx.s("0 /* F_OK */");
    } else if v == 0 && ctx.opts.xlat != text::XlatStyle::Raw {
        ctx.s("F_OK");
    } else {
        ctx.flags(xlat::ACCESS_MODES, v, "?_OK");
    }
}

fn access(ctx: &mut Ctx<'_>) -> Step {
    ctx.path(0);
    ctx.sep();
    access_mode(ctx, ctx.a(1) as u32 as u64);
    Step::Decoded
}

fn faccessat(ctx: &mut Ctx<'_>) -> Step {
    ctx.dirfd(0);
    ctx.sep();
    ctx.path(1);
    ctx.sep();
    access_mode(ctx, ctx.a(2) as u32 as u64);
    Step::Decoded
}

fn faccessat2(ctx: &mut Ctx<'_>) -> Step {
    faccessat(ctx);
    ctx.sep();
    let t: text::Xlat = &[
        (0x200, "AT_EACCESS"),
        (0x100, "AT_SYMLINK_NOFOLLOW"),
        (0x1000, "AT_EMPTY_PATH"),
    ];
    ctx.flags(t, ctx.a(3) as u32 as u64, "AT_???");
    Step::Decoded
}

fn path_only(ctx: &mut Ctx<'_>) -> Step {
    ctx.path(0);
    Step::Decoded
}

fn unlinkat(ctx: &mut Ctx<'_>) -> Step {
    ctx.dirfd(0);
    ctx.sep();
    ctx.path(1);
    ctx.sep();
    ctx.flags(xlat::AT_FLAGS, ctx.a(2) as u32 as u64, "AT_???");
    Step::Decoded
}

fn file_mode<const FD: bool>(ctx: &mut Ctx<'_>) -> Step {
    file_arg::<FD>(ctx);
    ctx.sep();
    mode_arg(ctx, ctx.a(1));
    Step::Decoded
}

fn dirfd_path_mode(ctx: &mut Ctx<'_>) -> Step {
    ctx.dirfd(0);
    ctx.sep();
    ctx.path(1);
    ctx.sep();
    mode_arg(ctx, ctx.a(2));
    Step::Decoded
}

fn two_paths(ctx: &mut Ctx<'_>) -> Step {
    ctx.path(0);
    ctx.sep();
    ctx.path(1);
    Step::Decoded
}

fn renameat(ctx: &mut Ctx<'_>) -> Step {
    ctx.dirfd(0);
    ctx.sep();
    ctx.path(1);
    ctx.sep();
    ctx.dirfd(2);
    ctx.sep();
    ctx.path(3);
    Step::Decoded
}

fn renameat2(ctx: &mut Ctx<'_>) -> Step {
    renameat(ctx);
    ctx.sep();
    ctx.flags(xlat::RENAME_FLAGS, ctx.a(4) as u32 as u64, "RENAME_???");
    Step::Decoded
}

fn linkat(ctx: &mut Ctx<'_>) -> Step {
    renameat(ctx);
    ctx.sep();
    ctx.flags(xlat::AT_FLAGS, ctx.a(4) as u32 as u64, "AT_???");
    Step::Decoded
}

fn symlinkat(ctx: &mut Ctx<'_>) -> Step {
    ctx.path(0);
    ctx.sep();
    ctx.dirfd(1);
    ctx.sep();
    ctx.path(2);
    Step::Decoded
}

fn readlink(ctx: &mut Ctx<'_>) -> Step {
    if !ctx.exiting {
        ctx.path(0);
        ctx.sep();
        return Step::Exit;
    }
    // strace prints the link target like a buffer: limited by -s.
    ctx.received(1);
    Step::Decoded
}

fn readlinkat(ctx: &mut Ctx<'_>) -> Step {
    if !ctx.exiting {
        ctx.dirfd(0);
        ctx.sep();
        ctx.path(1);
        ctx.sep();
        return Step::Exit;
    }
    // strace prints the link target like a buffer: limited by -s.
    ctx.received(2);
    Step::Decoded
}

fn getcwd(ctx: &mut Ctx<'_>) -> Step {
    if !ctx.exiting {
        return Step::Exit;
    }
    if ctx.error {
        ctx.hex(0);
    } else {
        ctx.path(0);
    }
    ctx.sep();
    ctx.ulong(1);
    Step::Decoded
}

fn truncate<const FD: bool>(ctx: &mut Ctx<'_>) -> Step {
    file_arg::<FD>(ctx);
    ctx.sep();
    ctx.long(1);
    Step::Decoded
}

fn getdents(ctx: &mut Ctx<'_>) -> Step {
    if !ctx.exiting {
        ctx.fd(0);
        ctx.sep();
        return Step::Exit;
    }
    if ctx.opts.verbose && !ctx.error && ctx.nr == 217 {
        dirents64(ctx);
        ctx.sep();
        ctx.uint(2);
        return Step::Decoded;
    }
    ctx.hex(1);
    if !ctx.error {
        // Count the entries (d_reclen at offset 16 in linux_dirent64, 16 in linux_dirent).
        let n = ctx.rval as usize;
        let mut count = 0;
        if let Some(buf) = ctx.read_bytes(ctx.a(1), n) {
            let mut off = 0;
            while off + 18 <= n {
                let reclen = u16::from_ne_bytes([buf[off + 16], buf[off + 17]]) as usize;
                if reclen == 0 {
                    break;
                }
                count += 1;
                off += reclen;
            }
        }
        let _ = write!(ctx.out, " /* {count} entries */");
    }
    ctx.sep();
    ctx.uint(2);
    Step::Decoded
}

fn fcntl(ctx: &mut Ctx<'_>) -> Step {
    let cmd = ctx.a(1) as u32 as u64;
    if !ctx.exiting {
        ctx.fd(0);
        ctx.sep();
        ctx.xval(xlat::FCNTL_CMDS, cmd, "F_???");
        match cmd {
            0 | 1030 => {
                ctx.sep();
                ctx.int(2);
                ctx.rfmt = Rval::Fd;
            }
            2 => {
                ctx.sep();
                let v = ctx.a(2);
                ctx.flags(xlat::FD_FLAGS, v, "");
            }
            4 => {
                ctx.sep();
                let v = ctx.a(2);
                open_flags(ctx, v);
            }
            8 | 10 | 1024 | 1026 | 1031 | 1033 => {
                ctx.sep();
                ctx.int(2);
            }
            5 | 6 | 7 | 36 | 37 | 38 => {
                ctx.sep();
                ctx.hex(2);
            }
            _ => {}
        }
        return Step::Exit;
    }
    match cmd {
        0 | 1030 => ctx.rfmt = Rval::Fd,
        1 if !ctx.error && ctx.rval != 0 => {
            ctx.rfmt = Rval::Hex;
            let mut s = String::from(" (flags ");
            text::flags(&mut s, ctx.opts.xlat, xlat::FD_FLAGS, ctx.rval as u64, "");
            s.push(')');
            ctx.rextra = s;
        }
        3 if !ctx.error => {
            ctx.rfmt = Rval::Hex;
            let mut s = String::from(" (flags ");
            // strace prints this note abbreviated whatever -X says.
            let opts = super::DecodeOpts {
                xlat: text::XlatStyle::Abbrev,
                ..ctx.opts.clone()
            };
            let mut sub = Ctx::new(ctx.pid, ctx.mem, ctx.nr, ctx.args, &opts);
            open_flags(&mut sub, ctx.rval as u64);
            s.push_str(&sub.out);
            s.push(')');
            ctx.rextra = s;
        }
        _ => {}
    }
    Step::Decoded
}

fn flock(ctx: &mut Ctx<'_>) -> Step {
    ctx.fd(0);
    ctx.sep();
    let op = ctx.a(1) as u32 as u64;
    let base = op & !(4 | 32);
    ctx.xval(xlat::LOCK_OPS, base, "LOCK_???");
    if op & 4 != 0 {
        ctx.s("|LOCK_NB");
    }
    Step::Decoded
}

fn umask(ctx: &mut Ctx<'_>) -> Step {
    let v = ctx.a(0) & 0o7777;
    let s = if v == 0 {
        "0".to_owned()
    } else {
        format!("0{v:o}")
    };
    let _ = write!(ctx.out, "{s:0>3}");
    ctx.rfmt = Rval::Oct;
    Step::Decoded
}

fn ioctl(ctx: &mut Ctx<'_>) -> Step {
    let req = ctx.a(1) as u32 as u64;
    if !ctx.exiting {
        ctx.fd(0);
        ctx.sep();
        match text::lookup(xlat::IOCTLS, req) {
            Some(n) => ctx.s(n),
            None => {
                let dir = match req >> 30 {
                    0 => "_IOC_NONE",
                    1 => "_IOC_WRITE",
                    2 => "_IOC_READ",
                    _ => "_IOC_READ|_IOC_WRITE",
                };
                let _ = write!(
                    ctx.out,
                    "_IOC({dir}, {}, {}, {})",
                    text::Hx((req >> 8) & 0xff),
                    text::Hx(req & 0xff),
                    text::Hx((req >> 16) & 0x3fff)
                );
            }
        }
        match req {
            0x5401 | 0x5413 | 0x541b | 0x540f | 0x5429 => {
                ctx.sep();
                return Step::Exit;
            }
            0x5450 | 0x5451 => {}
            0x5402..=0x5404 => {
                ctx.sep();
                termios(ctx, ctx.a(2));
            }
            0x40049409 => {
                ctx.sep();
                ctx.fd(2);
            }
            0x5421 | 0x5452 => {
                ctx.sep();
                ctx.int_ptr(ctx.a(2));
            }
            _ => {
                ctx.sep();
                ctx.hex(2);
            }
        }
        return Step::Decoded;
    }
    let arg = ctx.a(2);
    if ctx.error {
        ctx.addr(arg);
        return Step::Decoded;
    }
    match req {
        0x541b | 0x540f | 0x5429 => ctx.int_ptr(arg),
        0x5413 => match ctx.read::<[u16; 4]>(arg) {
            Some([r, c, x, y]) => {
                let _ = write!(
                    ctx.out,
                    "{{ws_row={r}, ws_col={c}, ws_xpixel={x}, ws_ypixel={y}}}"
                );
            }
            None => ctx.addr(arg),
        },
        0x5401 => termios(ctx, arg),
        _ => ctx.addr(arg),
    }
    Step::Decoded
}

fn termios(ctx: &mut Ctx<'_>, addr: u64) {
    let Some(b) = ctx.read_bytes(addr, 36) else {
        ctx.addr(addr);
        return;
    };
    let u = |o: usize| u32::from_ne_bytes(b[o..o + 4].try_into().unwrap()) as u64;
    let (iflag, oflag, cflag, lflag) = (u(0), u(4), u(8), u(12));
    const IFLAGS: text::Xlat = &[
        (0o1, "IGNBRK"),
        (0o2, "BRKINT"),
        (0o4, "IGNPAR"),
        (0o10, "PARMRK"),
        (0o20, "INPCK"),
        (0o40, "ISTRIP"),
        (0o100, "INLCR"),
        (0o200, "IGNCR"),
        (0o400, "ICRNL"),
        (0o1000, "IUCLC"),
        (0o2000, "IXON"),
        (0o4000, "IXANY"),
        (0o10000, "IXOFF"),
        (0o20000, "IMAXBEL"),
        (0o40000, "IUTF8"),
    ];
    const OFLAGS: text::Xlat = &[
        (0o1, "OPOST"),
        (0o2, "OLCUC"),
        (0o4, "ONLCR"),
        (0o10, "OCRNL"),
        (0o20, "ONOCR"),
        (0o40, "ONLRET"),
        (0o100, "OFILL"),
        (0o200, "OFDEL"),
    ];
    const CFLAGS: text::Xlat = &[
        (0o100, "CSTOPB"),
        (0o200, "CREAD"),
        (0o400, "PARENB"),
        (0o1000, "PARODD"),
        (0o2000, "HUPCL"),
        (0o4000, "CLOCAL"),
        (0o10000000000, "CMSPAR"),
        (0o20000000000, "CRTSCTS"),
    ];
    const LFLAGS: text::Xlat = &[
        (0o1, "ISIG"),
        (0o2, "ICANON"),
        (0o4, "XCASE"),
        (0o10, "ECHO"),
        (0o20, "ECHOE"),
        (0o40, "ECHOK"),
        (0o100, "ECHONL"),
        (0o200, "NOFLSH"),
        (0o100000, "IEXTEN"),
        (0o1000, "ECHOCTL"),
        (0o2000, "ECHOPRT"),
        (0o4000, "ECHOKE"),
        (0o10000, "FLUSHO"),
        (0o40000, "PENDIN"),
        (0o400, "TOSTOP"),
        (0o200000, "EXTPROC"),
    ];
    let speeds = [
        "B0", "B50", "B75", "B110", "B134", "B150", "B200", "B300", "B600", "B1200", "B1800",
        "B2400", "B4800", "B9600", "B19200", "B38400",
    ];
    let style = ctx.opts.xlat;
    let out = &mut ctx.out;
    // strace prints an all-clear flag word as nothing at all (`c_iflag=`).
    let flags = |out: &mut String, table: text::Xlat, v: u64| {
        if v != 0 {
            text::flags(out, style, table, v, "");
        }
    };
    out.push_str("{c_iflag=");
    flags(out, IFLAGS, iflag);
    out.push_str(", c_oflag=");
    // Delay fields first, then flags.
    let _ = write!(
        out,
        "NL{}|CR{}|TAB{}|BS{}|VT{}|FF{}",
        (oflag >> 8) & 1,
        (oflag >> 9) & 3,
        (oflag >> 11) & 3,
        (oflag >> 13) & 1,
        (oflag >> 14) & 1,
        (oflag >> 15) & 1
    );
    let of = oflag & 0o377;
    if of != 0 {
        out.push('|');
        text::flags(out, style, OFLAGS, of, "");
    }
    out.push_str(", c_cflag=");
    let baud = cflag & 0o10017;
    match speeds.get(baud as usize) {
        Some(s) => out.push_str(s),
        None => {
            let _ = write!(out, "{baud:#o}");
        }
    }
    let _ = write!(out, "|CS{}", 5 + ((cflag >> 4) & 3));
    let cf = cflag & !(0o10017 | 0o60);
    if cf != 0 {
        out.push('|');
        text::flags(out, style, CFLAGS, cf, "");
    }
    out.push_str(", c_lflag=");
    flags(out, LFLAGS, lflag);
    out.push_str(", ...}");
}

fn chown<const FD: bool>(ctx: &mut Ctx<'_>) -> Step {
    file_arg::<FD>(ctx);
    ctx.sep();
    ctx.int(1);
    ctx.sep();
    ctx.int(2);
    Step::Decoded
}

fn fchownat(ctx: &mut Ctx<'_>) -> Step {
    ctx.dirfd(0);
    ctx.sep();
    ctx.path(1);
    ctx.sep();
    ctx.int(2);
    ctx.sep();
    ctx.int(3);
    ctx.sep();
    ctx.flags(xlat::AT_FLAGS, ctx.a(4) as u32 as u64, "AT_???");
    Step::Decoded
}

fn fd_pair(ctx: &mut Ctx<'_>, addr: u64) {
    match ctx.read::<[i32; 2]>(addr) {
        Some([a, b]) if !ctx.error => {
            ctx.s("[");
            ctx.fd_val(a);
            ctx.s(", ");
            ctx.fd_val(b);
            ctx.s("]");
        }
        _ => ctx.addr(addr),
    }
}

fn pipe(ctx: &mut Ctx<'_>) -> Step {
    if !ctx.exiting {
        return Step::Exit;
    }
    fd_pair(ctx, ctx.a(0));
    Step::Decoded
}

fn pipe2(ctx: &mut Ctx<'_>) -> Step {
    if !ctx.exiting {
        return Step::Exit;
    }
    fd_pair(ctx, ctx.a(0));
    ctx.sep();
    ctx.flags(xlat::PIPE_FLAGS, ctx.a(1) as u32 as u64, "O_???");
    Step::Decoded
}

pub(crate) fn fd_pair_pub(ctx: &mut Ctx<'_>, addr: u64) {
    fd_pair(ctx, addr);
}

fn fadvise64(ctx: &mut Ctx<'_>) -> Step {
    ctx.fd(0);
    ctx.sep();
    ctx.long(1);
    ctx.sep();
    ctx.long(2);
    ctx.sep();
    let adv: text::Xlat = &[
        (0, "POSIX_FADV_NORMAL"),
        (1, "POSIX_FADV_RANDOM"),
        (2, "POSIX_FADV_SEQUENTIAL"),
        (3, "POSIX_FADV_WILLNEED"),
        (4, "POSIX_FADV_DONTNEED"),
        (5, "POSIX_FADV_NOREUSE"),
    ];
    ctx.xval(adv, ctx.a(3) as u32 as u64, "POSIX_FADV_???");
    Step::Decoded
}

fn utimensat(ctx: &mut Ctx<'_>) -> Step {
    ctx.dirfd(0);
    ctx.sep();
    ctx.path(1);
    ctx.sep();
    let addr = ctx.a(2);
    if addr == 0 {
        ctx.s("NULL");
    } else {
        match ctx.read::<[i64; 4]>(addr) {
            Some(t) => {
                let f = |s: i64, ns: i64| match ns {
                    0x3fffffff => "UTIME_NOW".to_owned(),
                    0x3ffffffe => "UTIME_OMIT".to_owned(),
                    _ => format!("{{tv_sec={s}, tv_nsec={ns}}}"),
                };
                let _ = write!(ctx.out, "[{}, {}]", f(t[0], t[1]), f(t[2], t[3]));
            }
            None => ctx.addr(addr),
        }
    }
    ctx.sep();
    ctx.flags(xlat::AT_FLAGS, ctx.a(3) as u32 as u64, "AT_???");
    Step::Decoded
}

fn close_range(ctx: &mut Ctx<'_>) -> Step {
    ctx.uint(0);
    ctx.sep();
    ctx.uint(1);
    ctx.sep();
    ctx.flags(
        xlat::CLOSE_RANGE_FLAGS,
        ctx.a(2) as u32 as u64,
        "CLOSE_RANGE_???",
    );
    Step::Decoded
}

fn eventfd2(ctx: &mut Ctx<'_>) -> Step {
    ctx.uint(0);
    ctx.sep();
    ctx.flags(xlat::EFD_FLAGS, ctx.a(1) as u32 as u64, "EFD_???");
    Step::Decoded
}

fn memfd_create(ctx: &mut Ctx<'_>) -> Step {
    ctx.cstr(0);
    ctx.sep();
    ctx.flags(xlat::MFD_FLAGS, ctx.a(1) as u32 as u64, "MFD_???");
    Step::Decoded
}

fn sendfile(ctx: &mut Ctx<'_>) -> Step {
    if !ctx.exiting {
        ctx.fd(0);
        ctx.sep();
        ctx.fd(1);
        ctx.sep();
        if ctx.a(2) == 0 {
            ctx.s("NULL");
            ctx.sep();
            ctx.ulong(3);
            return Step::Decoded;
        }
        ctx.u64_ptr(ctx.a(2));
        return Step::Exit;
    }
    if !ctx.error {
        if let Some(v) = ctx.read::<u64>(ctx.a(2)) {
            let _ = write!(ctx.out, " => [{v}]");
        }
    }
    ctx.sep();
    ctx.ulong(3);
    Step::Decoded
}

fn copy_file_range(ctx: &mut Ctx<'_>) -> Step {
    ctx.fd(0);
    ctx.sep();
    ctx.ptr(1);
    ctx.sep();
    ctx.fd(2);
    ctx.sep();
    ctx.ptr(3);
    ctx.sep();
    ctx.ulong(4);
    ctx.sep();
    ctx.uint(5);
    Step::Decoded
}

fn fallocate(ctx: &mut Ctx<'_>) -> Step {
    ctx.fd(0);
    ctx.sep();
    ctx.flags(xlat::FALLOC_FLAGS, ctx.a(1) as u32 as u64, "FALLOC_FL_???");
    ctx.sep();
    ctx.long(2);
    ctx.sep();
    ctx.long(3);
    Step::Decoded
}

fn statfs_body(ctx: &mut Ctx<'_>, i: usize) {
    if ctx.error {
        ctx.hex(i);
        return;
    }
    match ctx.read::<[u64; 11]>(ctx.a(i)) {
        Some(f) => {
            let magic: text::Xlat = &[
                (0xef53, "EXT2_SUPER_MAGIC"),
                (0x01021994, "TMPFS_MAGIC"),
                (0x794c7630, "OVERLAYFS_SUPER_MAGIC"),
                (0x9fa0, "PROC_SUPER_MAGIC"),
                (0x62656572, "SYSFS_MAGIC"),
                (0x9123683e, "BTRFS_SUPER_MAGIC"),
                (0x58465342, "XFS_SUPER_MAGIC"),
                (0x6969, "NFS_SUPER_MAGIC"),
                (0x1cd1, "DEVPTS_SUPER_MAGIC"),
                (0x63677270, "CGROUP2_SUPER_MAGIC"),
                (0x27e0eb, "CGROUP_SUPER_MAGIC"),
                (0x19800202, "MQUEUE_MAGIC"),
                (0xcafe4a11, "BPF_FS_MAGIC"),
                (0x73636673, "SECURITYFS_MAGIC"),
                (0x64626720, "DEBUGFS_MAGIC"),
                (0x74726163, "TRACEFS_MAGIC"),
                (0x65735546, "FUSE_SUPER_MAGIC"),
                (0x958458f6, "HUGETLBFS_MAGIC"),
                (0x187, "AUTOFS_SUPER_MAGIC"),
                (0x6165676c, "PSTOREFS_MAGIC"),
                (0x62656570, "CONFIGFS_MAGIC"),
                (0x73717368, "SQUASHFS_MAGIC"),
                (0x6e736673, "NSFS_MAGIC"),
                (0x858458f6, "RAMFS_MAGIC"),
            ];
            let st: text::Xlat = &[
                (32, "ST_VALID"),
                (1, "ST_RDONLY"),
                (2, "ST_NOSUID"),
                (4, "ST_NODEV"),
                (8, "ST_NOEXEC"),
                (16, "ST_SYNCHRONOUS"),
                (64, "ST_MANDLOCK"),
                (128, "ST_WRITE"),
                (256, "ST_APPEND"),
                (512, "ST_IMMUTABLE"),
                (1024, "ST_NOATIME"),
                (2048, "ST_NODIRATIME"),
                (4096, "ST_RELATIME"),
                (0x2000000, "ST_NOSYMFOLLOW"),
            ];
            ctx.s("{f_type=");
            ctx.xval_hex(magic, f[0], "");
            let _ = write!(
                ctx.out,
                ", f_bsize={}, f_blocks={}, f_bfree={}, f_bavail={}, f_files={}, f_ffree={}, f_fsid={{val=[{}, {}]}}, f_namelen={}, f_frsize={}, f_flags=",
                f[1], f[2], f[3], f[4], f[5], f[6], text::Hx(f[7] & 0xffff_ffff), text::Hx(f[7] >> 32), f[8], f[9]
            );
            ctx.flags(st, f[10], "ST_???");
            ctx.s("}");
        }
        None => ctx.hex(i),
    }
}

fn statfs<const FD: bool>(ctx: &mut Ctx<'_>) -> Step {
    if !ctx.exiting {
        file_arg::<FD>(ctx);
        ctx.sep();
        return Step::Exit;
    }
    statfs_body(ctx, 1);
    Step::Decoded
}

fn timerfd_create(ctx: &mut Ctx<'_>) -> Step {
    ctx.xval(xlat::CLOCKS, ctx.a(0) as u32 as u64, "CLOCK_???");
    ctx.sep();
    ctx.flags(xlat::TIMERFD_FLAGS, ctx.a(1) as u32 as u64, "TFD_???");
    Step::Decoded
}

/// The buffer a get/list xattr call filled (argument `i`, `rval` bytes) and its size.
fn xattr_out(ctx: &mut Ctx<'_>, i: usize) -> Step {
    ctx.out_arg(i, |c, addr| c.buf(addr, c.rval as u64));
    ctx.sep();
    ctx.ulong(i + 1);
    Step::Decoded
}

fn getxattr<const FD: bool>(ctx: &mut Ctx<'_>) -> Step {
    if !ctx.exiting {
        file_arg::<FD>(ctx);
        ctx.sep();
        ctx.cstr(1);
        ctx.sep();
        return Step::Exit;
    }
    xattr_out(ctx, 2)
}

fn setxattr<const FD: bool>(ctx: &mut Ctx<'_>) -> Step {
    file_arg::<FD>(ctx);
    ctx.sep();
    ctx.cstr(1);
    ctx.sep();
    ctx.buf(ctx.a(2), ctx.a(3));
    ctx.sep();
    ctx.ulong(3);
    ctx.sep();
    let t: text::Xlat = &[(1, "XATTR_CREATE"), (2, "XATTR_REPLACE")];
    ctx.flags(t, ctx.a(4) as u32 as u64, "XATTR_???");
    Step::Decoded
}

fn listxattr<const FD: bool>(ctx: &mut Ctx<'_>) -> Step {
    if !ctx.exiting {
        file_arg::<FD>(ctx);
        ctx.sep();
        return Step::Exit;
    }
    xattr_out(ctx, 1)
}

fn removexattr(ctx: &mut Ctx<'_>) -> Step {
    ctx.path(0);
    ctx.sep();
    ctx.cstr(1);
    Step::Decoded
}

/// `-v` getdents64: every entry.
fn dirents64(ctx: &mut Ctx<'_>) {
    let n = ctx.rval as usize;
    let Some(buf) = ctx.read_bytes(ctx.a(1), n) else {
        ctx.hex(1);
        return;
    };
    let types: text::Xlat = &[
        (0, "DT_UNKNOWN"),
        (1, "DT_FIFO"),
        (2, "DT_CHR"),
        (4, "DT_DIR"),
        (6, "DT_BLK"),
        (8, "DT_REG"),
        (10, "DT_LNK"),
        (12, "DT_SOCK"),
        (14, "DT_WHT"),
    ];
    ctx.s("[");
    let mut off = 0;
    let mut first = true;
    while off + 19 <= n {
        let ino = u64::from_ne_bytes(buf[off..off + 8].try_into().unwrap());
        let d_off = i64::from_ne_bytes(buf[off + 8..off + 16].try_into().unwrap());
        let reclen = u16::from_ne_bytes([buf[off + 16], buf[off + 17]]) as usize;
        if reclen == 0 || off + reclen > n {
            break;
        }
        let ty = buf[off + 18] as u64;
        let name = &buf[off + 19..off + reclen];
        let end = name.iter().position(|&c| c == 0).unwrap_or(name.len());
        if !first {
            ctx.sep();
        }
        first = false;
        let _ = write!(
            ctx.out,
            "{{d_ino={ino}, d_off={d_off}, d_reclen={reclen}, d_type="
        );
        ctx.xval(types, ty, "DT_???");
        ctx.s(", d_name=");
        text::quote(&mut ctx.out, &name[..end], ctx.opts.hex, false);
        ctx.s("}");
        off += reclen;
    }
    ctx.s("]");
}

fn mknod_tail(ctx: &mut Ctx<'_>, i: usize) {
    let mode = ctx.a(i) & 0xffff_ffff;
    super::structs::mode_arg(ctx, mode);
    if matches!(mode & 0o170000, 0o20000 | 0o60000) {
        let dev = ctx.a(i + 1);
        let major = ((dev >> 32) & 0xffff_f000) | ((dev >> 8) & 0xfff);
        let minor = ((dev >> 12) & 0xffff_ff00) | (dev & 0xff);
        let _ = write!(
            ctx.out,
            ", makedev({}, {})",
            text::Hx(major),
            text::Hx(minor)
        );
    }
}

fn mknod(ctx: &mut Ctx<'_>) -> Step {
    ctx.path(0);
    ctx.sep();
    mknod_tail(ctx, 1);
    Step::Decoded
}

fn mknodat(ctx: &mut Ctx<'_>) -> Step {
    ctx.dirfd(0);
    ctx.sep();
    ctx.path(1);
    ctx.sep();
    mknod_tail(ctx, 2);
    Step::Decoded
}
