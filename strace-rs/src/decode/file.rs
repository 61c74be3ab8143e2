//! Files, directories and descriptors.

use std::fmt::Write as _;

use super::structs::{self, mode_arg};
use super::table::Arg::{self, *};
use super::Decoder::{Func, Row};
use super::{Ctx, Decoder, Rval, Step};
use crate::text;
use crate::xlat;

pub fn decoder(name: &str) -> Option<Decoder> {
    const AT: Arg = Flags(xlat::AT_FLAGS, "AT_???");
    const STAT: Arg = Out(structs::stat);
    const XATTR: Arg = Flags(&[(1, "XATTR_CREATE"), (2, "XATTR_REPLACE")], "XATTR_???");
    Some(match name {
        "open" => Row(&[Path, OpenFlags]),
        "openat" => Row(&[Dirfd, Path, OpenFlags]),
        "openat2" => Row(&[Dirfd, Path, In(open_how), Ulong]),
        "creat" | "mkdir" | "chmod" => Row(&[Path, Mode]),
        "fchmod" => Row(&[Fd, Mode]),
        "close" | "fsync" | "fdatasync" | "fchdir" | "syncfs" | "dup" => Row(&[Fd]),
        "dup2" => Row(&[Fd, Fd]),
        "dup3" => Row(&[Fd, Fd, Flags(xlat::OPEN_FLAGS, "O_???")]),
        "read" => Row(&[Fd, Received]),
        "write" => Row(&[Fd, Sent]),
        "pread64" => Row(&[Fd, Received, Loff]),
        "pwrite64" => Row(&[Fd, Sent, Loff]),
        "readv" => Row(&[Fd, AtExit(iovec_received), Ulong]),
        "writev" => Row(&[Fd, In(iovec_sent), Ulong]),
        "preadv" => Row(&[Fd, AtExit(iovec_received), Ulong, Loff]),
        "pwritev" => Row(&[Fd, In(iovec_sent), Ulong, Loff]),
        "preadv2" => Func(preadv2),
        "pwritev2" => Func(pwritev2),
        "lseek" => Row(&[Fd, Long, Const(xlat::SEEK, "SEEK_???")]),
        "stat" | "lstat" => Row(&[Path, STAT]),
        "fstat" => Row(&[Fd, STAT]),
        "newfstatat" => Row(&[Dirfd, Path, STAT, AT]),
        "statx" => Row(&[
            Dirfd,
            Path,
            In(statx_flags),
            In(statx_mask),
            Out(structs::statx),
        ]),
        "access" => Row(&[Path, In(access_mode)]),
        "faccessat" => Row(&[Dirfd, Path, In(access_mode)]),
        "faccessat2" => Row(&[Dirfd, Path, In(access_mode), Flags(FACCESSAT2, "AT_???")]),
        "unlink" | "rmdir" | "chdir" | "chroot" | "acct" | "swapoff" => Row(&[Path]),
        "unlinkat" => Row(&[Dirfd, Path, AT]),
        "mkdirat" | "fchmodat" => Row(&[Dirfd, Path, Mode]),
        "rename" | "link" | "symlink" | "pivot_root" => Row(&[Path, Path]),
        "renameat" => Row(&[Dirfd, Path, Dirfd, Path]),
        "renameat2" => Row(&[
            Dirfd,
            Path,
            Dirfd,
            Path,
            Flags(xlat::RENAME_FLAGS, "RENAME_???"),
        ]),
        "linkat" => Row(&[Dirfd, Path, Dirfd, Path, AT]),
        "symlinkat" => Row(&[Path, Dirfd, Path]),
        // strace prints the link target like a buffer: limited by -s.
        "readlink" => Row(&[Path, Received]),
        "readlinkat" => Row(&[Dirfd, Path, Received]),
        "getcwd" => Row(&[Out(path), Ulong]),
        "truncate" => Row(&[Path, Long]),
        "ftruncate" => Row(&[Fd, Long]),
        "getdents" => Row(&[Fd, AtExit(dirents), Uint]),
        "getdents64" => Row(&[Fd, AtExit(dirents64), Uint]),
        "fcntl" => Func(fcntl),
        "flock" => Row(&[Fd, In(lock_operation)]),
        "umask" => Row(&[In(umask_value)]),
        "ioctl" => Func(ioctl),
        "chown" | "lchown" => Row(&[Path, Id, Id]),
        "fchown" => Row(&[Fd, Id, Id]),
        "fchownat" => Row(&[Dirfd, Path, Id, Id, AT]),
        "pipe" => Row(&[Out(fd_pair)]),
        "pipe2" => Row(&[Out(fd_pair), Flags(xlat::PIPE_FLAGS, "O_???")]),
        "fadvise64" => Row(&[Fd, Long, Ulong, Const(FADVICE, "POSIX_FADV_???")]),
        "utimensat" => Row(&[Dirfd, Path, In(utimens), Flags(UTIMENSAT_FLAGS, "AT_???")]),
        "close_range" => Row(&[
            Uint,
            Uint,
            Flags(xlat::CLOSE_RANGE_FLAGS, "CLOSE_RANGE_???"),
        ]),
        "eventfd2" => Row(&[Uint, Flags(xlat::EFD_FLAGS, "EFD_???")]),
        "memfd_create" => Row(&[In(memfd_name), In(memfd_flags)]),
        "sendfile" => Func(sendfile),
        "copy_file_range" => Row(&[Fd, In(loff_ptr), Fd, In(loff_ptr), Ulong, Uint]),
        "fallocate" => Row(&[Fd, Flags(xlat::FALLOC_FLAGS, "FALLOC_FL_???"), Long, Long]),
        "statfs" => Row(&[Path, Out(statfs)]),
        "fstatfs" => Row(&[Fd, Out(statfs)]),
        "mknod" => Row(&[Path, ModeDev]),
        "mknodat" => Row(&[Dirfd, Path, ModeDev]),
        "getxattr" | "lgetxattr" => Row(&[Path, Str, AtExit(xattr_received), Ulong]),
        "fgetxattr" => Row(&[Fd, Str, AtExit(xattr_received), Ulong]),
        "setxattr" | "lsetxattr" => Row(&[Path, Str, In(xattr_sent), Ulong, XATTR]),
        "fsetxattr" => Row(&[Fd, Str, In(xattr_sent), Ulong, XATTR]),
        "listxattr" | "llistxattr" => Row(&[Path, AtExit(xattr_list), Ulong]),
        "flistxattr" => Row(&[Fd, AtExit(xattr_list), Ulong]),
        "removexattr" | "lremovexattr" => Row(&[Path, Str]),
        "fremovexattr" => Row(&[Fd, Str]),
        "timerfd_create" => Row(&[
            Const(xlat::CLOCKS, "CLOCK_???"),
            Flags(xlat::TIMERFD_FLAGS, "TFD_???"),
        ]),
        _ => return None,
    })
}

/// The `AT_*` flags without the `statx` ones (strace's table for these calls).
const UTIMENSAT_FLAGS: text::Xlat = &[
    (0x100, "AT_SYMLINK_NOFOLLOW"),
    (0x200, "AT_REMOVEDIR"),
    (0x400, "AT_SYMLINK_FOLLOW"),
    (0x800, "AT_NO_AUTOMOUNT"),
    (0x1000, "AT_EMPTY_PATH"),
    (0x8000, "AT_RECURSIVE"),
];
const FACCESSAT2: text::Xlat = &[
    (0x100, "AT_SYMLINK_NOFOLLOW"),
    (0x200, "AT_EACCESS"),
    (0x1000, "AT_EMPTY_PATH"),
];
const FADVICE: text::Xlat = &[
    (0, "POSIX_FADV_NORMAL"),
    (1, "POSIX_FADV_RANDOM"),
    (2, "POSIX_FADV_SEQUENTIAL"),
    (3, "POSIX_FADV_WILLNEED"),
    (4, "POSIX_FADV_DONTNEED"),
    (5, "POSIX_FADV_NOREUSE"),
];

/// A path the call wrote.
fn path(ctx: &mut Ctx<'_>, addr: u64) {
    ctx.path_at(addr);
}

/// The `iovec` array a readv-like call filled (count in argument 2): the bytes received,
/// or the buffers' addresses when it failed.
fn iovec_received(ctx: &mut Ctx<'_>, addr: u64) {
    let (len, data) = (Some(ctx.rval as u64), !ctx.error);
    structs::iovec(ctx, addr, ctx.arg(2), len, data);
}

/// The `iovec` array a writev-like call sends (count in argument 2).
pub(super) fn iovec_sent(ctx: &mut Ctx<'_>, addr: u64) {
    structs::iovec(ctx, addr, ctx.arg(2), None, true);
}

/// The `RWF_*` flags of `preadv2`/`pwritev2`.
pub(super) const RWF_FLAGS: text::Xlat = &[
    (1, "RWF_HIPRI"),
    (2, "RWF_DSYNC"),
    (4, "RWF_SYNC"),
    (8, "RWF_NOWAIT"),
    (0x10, "RWF_APPEND"),
];

/// `preadv2(fd, iov, iovcnt, offset, flags)`: the offset is in two registers (`pos_l`,
/// `pos_h`) in both ABIs; x86_64's `pos_l` holds all of it and its flags are argument 5.
fn preadv2(ctx: &mut Ctx<'_>) -> Step {
    v2(ctx, AtExit(iovec_received))
}

fn pwritev2(ctx: &mut Ctx<'_>) -> Step {
    v2(ctx, In(iovec_sent))
}

fn v2(ctx: &mut Ctx<'_>, iov: Arg) -> Step {
    if ctx.abi == super::Abi::X86_64 {
        ctx.args[4] = ctx.args[5];
    }
    let row = [Fd, iov, Ulong, Loff, Flags(RWF_FLAGS, "RWF_???")];
    super::table::print_row(ctx, &row)
}

pub(super) fn open_flags(ctx: &mut Ctx<'_>, v: u64) {
    open_flags64(ctx, v & 0xffff_ffff);
}

/// `memfd_create`'s name: at most 250 bytes (`memfd:` and the name fit in 255), as strace
/// reads it.
fn memfd_name(ctx: &mut Ctx<'_>, addr: u64) {
    const MFD_NAME_MAX_LEN: usize = 255 - "memfd:".len();
    ctx.cstr_at_most(addr, ctx.opts.max_strlen.min(MFD_NAME_MAX_LEN + 1));
}

/// `open` flags of all 64 bits (`struct open_how`'s).
fn open_flags64(ctx: &mut Ctx<'_>, v: u64) {
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

/// `open`'s flags and, when they create a file (`O_CREAT`, `O_TMPFILE`), its mode.
pub(super) fn open_flags_and_mode(ctx: &mut Ctx<'_>, flags: u64, mode: u64) {
    open_flags(ctx, flags);
    if flags & 0o100 != 0 || flags & 0o20000000 == 0o20000000 {
        ctx.comma();
        mode_arg(ctx, mode);
    }
}

/// `statx`'s flags: the sync mode, then `AT_*` flags.
fn statx_flags(ctx: &mut Ctx<'_>, f: u64) {
    let f = f & 0xffff_ffff;
    ctx.push(match f & 0x6000 {
        0x2000 => "AT_STATX_FORCE_SYNC",
        0x4000 => "AT_STATX_DONT_SYNC",
        0x6000 => "AT_STATX_FORCE_SYNC|AT_STATX_DONT_SYNC",
        _ => "AT_STATX_SYNC_AS_STAT",
    });
    if f & !0x6000 != 0 {
        ctx.push("|");
        ctx.flags(xlat::AT_FLAGS, f & !0x6000, "AT_???");
    }
}

/// `statx`'s mask of wanted fields.
fn statx_mask(ctx: &mut Ctx<'_>, m: u64) {
    structs::statx_mask(&mut ctx.out, ctx.opts.xlat, m & 0xffff_ffff, "STATX_???");
}

/// `access`'s mode: `F_OK` or `R_OK|W_OK|X_OK` bits.
fn access_mode(ctx: &mut Ctx<'_>, v: u64) {
    let v = v & 0xffff_ffff;
    if v == 0 && ctx.opts.xlat == text::XlatStyle::Verbose {
        ctx.push("0 /* F_OK */");
    } else if v == 0 && ctx.opts.xlat != text::XlatStyle::Raw {
        ctx.push("F_OK");
    } else {
        ctx.flags(xlat::ACCESS_MODES, v, "?_OK");
    }
}

/// What `getdents` read: the buffer's address and how many entries it holds.
fn dirent_count(ctx: &mut Ctx<'_>, addr: u64) {
    ctx.addr(addr);
    if ctx.error {
        return;
    }
    // Count the entries (d_reclen at offset 16 in linux_dirent64, 16 in linux_dirent).
    let n = ctx.rval as usize;
    let mut count = 0;
    if let Some(buf) = ctx.read_bytes(addr, n) {
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

/// What `getdents` read: with `-v` every entry (x86_64's `struct linux_dirent`), else as
/// [`dirent_count`].
fn dirents(ctx: &mut Ctx<'_>, addr: u64) {
    if ctx.opts.verbose && !ctx.error && ctx.abi == super::Abi::X86_64 {
        dirent_entries(ctx, addr, true);
    } else {
        dirent_count(ctx, addr);
    }
}

/// The directory entry types, as strace names them.
const DIRENT_TYPES: text::Xlat = &[
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

/// What `getdents64` read: with `-v` every entry, else as [`dirent_count`].
fn dirents64(ctx: &mut Ctx<'_>, addr: u64) {
    if ctx.opts.verbose && !ctx.error {
        dirent_entries(ctx, addr, false);
    } else {
        dirent_count(ctx, addr);
    }
}

fn fcntl(ctx: &mut Ctx<'_>) -> Step {
    let cmd = ctx.arg(1) as u32 as u64;
    if !ctx.exiting {
        ctx.fd(0);
        ctx.comma();
        ctx.xval(xlat::FCNTL_CMDS, cmd, "F_???");
        match cmd {
            0 | 1030 => {
                ctx.comma();
                ctx.int(2);
                ctx.rfmt = Rval::Fd;
            }
            2 => {
                ctx.comma();
                let v = ctx.arg(2);
                ctx.flags(xlat::FD_FLAGS, v, "");
            }
            4 => {
                ctx.comma();
                let v = ctx.arg(2);
                open_flags(ctx, v);
            }
            // F_SETOWN: a process, or a process group when negative.
            8 => {
                ctx.comma();
                let v = ctx.arg_int(2);
                if v < 0 {
                    ctx.push("-");
                    ctx.pid_of_kind(-v, crate::pidns::Kind::Pgid);
                } else {
                    ctx.pid_arg(v);
                }
            }
            10 => {
                ctx.comma();
                structs::signo(ctx, i64::from(ctx.arg_int(2)));
            }
            1024 => {
                ctx.comma();
                ctx.xval(LOCK_TYPES, ctx.arg(2) as u32 as u64, "F_???");
            }
            1026 => {
                ctx.comma();
                ctx.flags(NOTIFY_FLAGS, ctx.arg(2) as u32 as u64, "DN_???");
            }
            1031 | 1033 => {
                ctx.comma();
                ctx.int(2);
            }
            // F_SETLK, F_SETLKW, F_OFD_SETLK, F_OFD_SETLKW: the lock asked for.
            6 | 7 | 37 | 38 if ctx.abi == super::Abi::X86_64 => {
                ctx.comma();
                flock(ctx, ctx.arg(2), false);
                return Step::Decoded;
            }
            15 => {
                ctx.comma();
                owner_ex(ctx, ctx.arg(2));
                return Step::Decoded;
            }
            5 | 36 | 16 if ctx.abi == super::Abi::X86_64 => {
                ctx.comma();
                return Step::Exit;
            }
            5 | 6 | 7 | 36 | 37 | 38 => {
                ctx.comma();
                ctx.hex(2);
            }
            _ => {}
        }
        return Step::Exit;
    }
    match cmd {
        // F_GETLK, F_OFD_GETLK: the lock that would block, with its owner.
        5 | 36 if ctx.abi == super::Abi::X86_64 => {
            if ctx.error {
                ctx.addr(ctx.arg(2));
            } else {
                flock(ctx, ctx.arg(2), true);
            }
        }
        16 => {
            if ctx.error {
                ctx.addr(ctx.arg(2));
            } else {
                owner_ex(ctx, ctx.arg(2));
            }
        }
        9 => ctx.rfmt = Rval::Pid,
        1025 if !ctx.error => {
            ctx.rfmt = Rval::Hex;
            if let Some(n) = text::lookup(LOCK_TYPES, ctx.rval as u64) {
                ctx.rextra = format!(" ({n})");
            }
        }
        11 if !ctx.error && (1..=64).contains(&ctx.rval) => {
            ctx.rextra = format!(" ({})", crate::signals::name(ctx.rval));
        }
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

/// `flock`'s operation: `LOCK_EX|LOCK_NB`.
fn lock_operation(ctx: &mut Ctx<'_>, op: u64) {
    let op = op & 0xffff_ffff;
    ctx.xval(xlat::LOCK_OPS, op & !(4 | 32), "LOCK_???");
    if op & 4 != 0 {
        ctx.push("|LOCK_NB");
    }
}

/// `[offset]`: a `loff_t *` (strace's `printnum_int64`), `NULL` when absent.
fn loff_ptr(ctx: &mut Ctx<'_>, addr: u64) {
    ctx.num_ptr::<i64>(addr);
}

/// `memfd_create`'s flags, the huge page size as `30<<MFD_HUGE_SHIFT` (strace's decoder: the
/// names in abbrev style even inside a -X verbose comment).
fn memfd_flags(ctx: &mut Ctx<'_>, v: u64) {
    const SHIFT: u32 = 26;
    const MASK: u32 = 0x3f << SHIFT;
    let flags = v as u32;
    let style = ctx.opts.xlat;
    if flags == 0 || style != text::XlatStyle::Abbrev {
        let _ = write!(ctx.out, "{}", text::Hx(u64::from(flags)));
    }
    if flags == 0 || style == text::XlatStyle::Raw {
        return;
    }
    let mut s = String::new();
    let huge = flags & MASK;
    let rest = flags & !MASK;
    if rest != 0 || huge == 0 {
        text::flags(
            &mut s,
            text::XlatStyle::Abbrev,
            xlat::MFD_FLAGS,
            u64::from(rest),
            "MFD_???",
        );
    }
    if huge != 0 {
        if rest != 0 {
            s.push('|');
        }
        let _ = write!(s, "{}<<MFD_HUGE_SHIFT", huge >> SHIFT);
    }
    if style == text::XlatStyle::Verbose {
        let _ = write!(ctx.out, " /* {s} */");
    } else {
        ctx.out.push_str(&s);
    }
}

/// `umask`'s mask: at least three octal digits (`022`).
fn umask_value(ctx: &mut Ctx<'_>, v: u64) {
    // An `unsigned short` (strace's `print_numeric_umode_t`): bits above 07777 show.
    crate::text::octal03(&mut ctx.out, v & 0xffff);
}

fn ioctl(ctx: &mut Ctx<'_>) -> Step {
    let req = ctx.arg(1) as u32 as u64;
    if !ctx.exiting {
        ctx.fd(0);
        ctx.comma();
        let name = match super::ioctl::request_name(req, ctx.opts.xlat) {
            Some(n) => n.into_owned(),
            None => {
                let dir = match req >> 30 {
                    0 => "_IOC_NONE",
                    1 => "_IOC_WRITE",
                    2 => "_IOC_READ",
                    _ => "_IOC_READ|_IOC_WRITE",
                };
                format!(
                    "_IOC({dir}, {}, {}, {})",
                    text::Hx((req >> 8) & 0xff),
                    text::Hx(req & 0xff),
                    text::Hx((req >> 16) & 0x3fff)
                )
            }
        };
        // -X raw: the number; -X verbose: the number and the name in a comment.
        match ctx.opts.xlat {
            text::XlatStyle::Abbrev => ctx.push(&name),
            text::XlatStyle::Raw => ctx.hex_value(req),
            text::XlatStyle::Verbose => {
                ctx.hex_value(req);
                let _ = write!(ctx.out, " /* {name} */");
            }
        }
        if super::ioctl::handles(req) {
            return super::ioctl::enter(ctx, req);
        }
        // strace's generic printing of an argument it does not decode.
        ctx.comma();
        ctx.hex(2);
        return Step::Decoded;
    }
    // Only the requests whose decoder asked for the exit get here.
    super::ioctl::exit(ctx, req);
    Step::Decoded
}

const LOCK_TYPES: text::Xlat = &[
    (0, "F_RDLCK"),
    (1, "F_WRLCK"),
    (2, "F_UNLCK"),
    (4, "F_EXLCK"),
    (8, "F_SHLCK"),
];
const WHENCE: text::Xlat = &[
    (0, "SEEK_SET"),
    (1, "SEEK_CUR"),
    (2, "SEEK_END"),
    (3, "SEEK_DATA"),
    (4, "SEEK_HOLE"),
];
const NOTIFY_FLAGS: text::Xlat = &[
    (0x1, "DN_ACCESS"),
    (0x2, "DN_MODIFY"),
    (0x4, "DN_CREATE"),
    (0x8, "DN_DELETE"),
    (0x10, "DN_RENAME"),
    (0x20, "DN_ATTRIB"),
    (0x8000_0000, "DN_MULTISHOT"),
];
const OWNER_TYPES: text::Xlat = &[(0, "F_OWNER_TID"), (1, "F_OWNER_PID"), (2, "F_OWNER_PGRP")];

/// `struct flock` (x86_64: type, whence, start, len, pid); the pid only as the kernel's
/// answer (`F_GETLK`).
fn flock(ctx: &mut Ctx<'_>, addr: u64, with_pid: bool) {
    let Some(b) = ctx.read::<[u8; 32]>(addr) else {
        ctx.addr(addr);
        return;
    };
    ctx.push("{l_type=");
    ctx.xval(
        LOCK_TYPES,
        u64::from(u16::from_ne_bytes([b[0], b[1]])),
        "F_???",
    );
    ctx.push(", l_whence=");
    ctx.xval(
        WHENCE,
        u64::from(u16::from_ne_bytes([b[2], b[3]])),
        "SEEK_???",
    );
    let start = i64::from_ne_bytes(b[8..16].try_into().expect("8 bytes"));
    let len = i64::from_ne_bytes(b[16..24].try_into().expect("8 bytes"));
    let _ = write!(ctx.out, ", l_start={start}, l_len={len}");
    if with_pid {
        ctx.push(", l_pid=");
        ctx.pid_arg(i32::from_ne_bytes(b[24..28].try_into().expect("4 bytes")));
    }
    ctx.push("}");
}

/// `struct f_owner_ex`: who gets the signals, a thread, a process or a group.
fn owner_ex(ctx: &mut Ctx<'_>, addr: u64) {
    let Some([ty, pid]) = ctx.read::<[i32; 2]>(addr) else {
        ctx.addr(addr);
        return;
    };
    ctx.push("{type=");
    ctx.xval(OWNER_TYPES, u64::from(ty as u32), "F_OWNER_???");
    ctx.push(", pid=");
    let kind = match ty {
        0 => crate::pidns::Kind::Tid,
        2 => crate::pidns::Kind::Pgid,
        _ => crate::pidns::Kind::Tgid,
    };
    ctx.pid_of_kind(pid, kind);
    ctx.push("}");
}

/// Two descriptors the call made (`pipe`, `socketpair`): `[3, 4]`.
pub(super) fn fd_pair(ctx: &mut Ctx<'_>, addr: u64) {
    match ctx.read::<[i32; 2]>(addr) {
        Some([a, b]) if !ctx.error => {
            ctx.push("[");
            ctx.fd_val(a);
            ctx.push(", ");
            ctx.fd_val(b);
            ctx.push("]");
        }
        _ => ctx.addr(addr),
    }
}

/// `utimensat`'s two times (access, modification), either of them `UTIME_NOW` or
/// `UTIME_OMIT`.
/// `utimensat`'s two times: each a `timespec` with its date in a comment, or `UTIME_NOW`/
/// `UTIME_OMIT` in the `-X` style (the structure with the name in a comment when verbose).
fn utimens(ctx: &mut Ctx<'_>, addr: u64) {
    let Some(t) = ctx.read::<[i64; 4]>(addr) else {
        ctx.addr(addr);
        return;
    };
    ctx.push("[");
    for k in 0..2 {
        if k > 0 {
            ctx.comma();
        }
        let (sec, nsec) = (t[2 * k], t[2 * k + 1]);
        let special = match nsec {
            0x3fff_ffff => Some("UTIME_NOW"),
            0x3fff_fffe => Some("UTIME_OMIT"),
            _ => None,
        };
        match (special, ctx.opts.xlat) {
            (Some(name), text::XlatStyle::Abbrev) => ctx.push(name),
            (Some(name), style) => {
                let _ = write!(ctx.out, "{{tv_sec={sec}, tv_nsec={nsec}}}");
                if style == text::XlatStyle::Verbose {
                    let _ = write!(ctx.out, " /* {name} */");
                }
            }
            (None, _) => {
                let _ = write!(ctx.out, "{{tv_sec={sec}, tv_nsec={}}}", nsec as u64);
                super::admin::time_comment(&mut ctx.out, sec, nsec as u64, 999_999_999, 9);
            }
        }
    }
    ctx.push("]");
}

fn sendfile(ctx: &mut Ctx<'_>) -> Step {
    if !ctx.exiting {
        ctx.fd(0);
        ctx.comma();
        ctx.fd(1);
        ctx.comma();
        // As strace: an offset that cannot be read, or a count of 0, ends the line at entry.
        let readable = ctx.arg(2) != 0 && ctx.read::<u64>(ctx.arg(2)).is_some();
        ctx.u64_ptr(ctx.arg(2));
        if !readable || ctx.arg(3) == 0 {
            ctx.comma();
            ctx.ulong(3);
            return Step::Decoded;
        }
        return Step::Exit;
    }
    // The offset the call moved, when it sent something.
    if !ctx.error && ctx.rval != 0 {
        ctx.push(" => ");
        ctx.u64_ptr(ctx.arg(2));
    }
    ctx.comma();
    ctx.ulong(3);
    Step::Decoded
}

/// `struct statfs`.
fn statfs(ctx: &mut Ctx<'_>, addr: u64) {
    match ctx.read::<[u64; 11]>(addr) {
        Some(f) => statfs_fields(ctx, &f),
        None => ctx.addr(addr),
    }
}

/// The i386 `struct statfs64` (84 bytes: 32-bit type, block size, name length, fragment
/// size and flags around 64-bit counts), printed as [`statfs`] prints the x86_64 one.
pub(crate) fn statfs64_i386(ctx: &mut Ctx<'_>, addr: u64) {
    let Some(b) = ctx.read_bytes(addr, 84).filter(|_| addr != 0) else {
        ctx.addr(addr);
        return;
    };
    let w = |o: usize| u64::from(u32::from_ne_bytes(b[o..o + 4].try_into().unwrap()));
    let q = |o: usize| u64::from_ne_bytes(b[o..o + 8].try_into().unwrap());
    let f = [
        w(0),
        w(4),
        q(8),
        q(16),
        q(24),
        q(32),
        q(40),
        w(48) | w(52) << 32,
        w(56),
        w(60),
        w(64),
    ];
    statfs_fields(ctx, &f);
}

/// The fields of a `struct statfs` in the x86_64 layout (`f_fsid` as one word).
fn statfs_fields(ctx: &mut Ctx<'_>, f: &[u64; 11]) {
    {
        {
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
            ctx.push("{f_type=");
            ctx.xval(magic, f[0], "");
            let _ = write!(
                ctx.out,
                ", f_bsize={}, f_blocks={}, f_bfree={}, f_bavail={}, f_files={}, f_ffree={}, f_fsid={{val=[{}, {}]}}, f_namelen={}, f_frsize={}, f_flags=",
                f[1], f[2], f[3], f[4], f[5], f[6], text::Hx(f[7] & 0xffff_ffff), text::Hx(f[7] >> 32), f[8], f[9]
            );
            ctx.flags(st, f[10], "ST_???");
            ctx.push("}");
        }
    }
}

/// `-v` getdents/getdents64: every entry (strace's `print_old_dirent` and `print_dirent64`).
/// `struct linux_dirent` (`old`) has the name at 18 and the type in the record's last byte,
/// printed after the name; `struct linux_dirent64` the type at 18, printed before the name at
/// 19, and a signed offset.
fn dirent_entries(ctx: &mut Ctx<'_>, addr: u64, old: bool) {
    let n = ctx.rval as usize;
    let Some(buf) = ctx.read_bytes(addr, n) else {
        ctx.hex_value(addr);
        return;
    };
    ctx.push("[");
    let mut off = 0;
    while off + 19 <= n {
        let ino = u64::from_ne_bytes(buf[off..off + 8].try_into().unwrap());
        let d_off = u64::from_ne_bytes(buf[off + 8..off + 16].try_into().unwrap());
        let reclen = u16::from_ne_bytes([buf[off + 16], buf[off + 17]]) as usize;
        if reclen < 19 || off + reclen > n {
            break;
        }
        let rec = &buf[off..off + reclen];
        let (name, ty) = if old {
            (&rec[18..reclen - 1], rec[reclen - 1])
        } else {
            (&rec[19..], rec[18])
        };
        let name = &name[..name.iter().position(|&c| c == 0).unwrap_or(name.len())];
        if off > 0 {
            ctx.comma();
        }
        let _ = write!(ctx.out, "{{d_ino={ino}, d_off=");
        if old {
            let _ = write!(ctx.out, "{d_off}");
        } else {
            let _ = write!(ctx.out, "{}", d_off as i64);
        }
        let _ = write!(ctx.out, ", d_reclen={reclen}, ");
        if !old {
            ctx.push("d_type=");
            ctx.xval(DIRENT_TYPES, u64::from(ty), "DT_???");
            ctx.push(", ");
        }
        ctx.push("d_name=");
        text::quote(&mut ctx.out, name, ctx.opts.hex, false);
        if old {
            ctx.push(", d_type=");
            ctx.xval(DIRENT_TYPES, u64::from(ty), "DT_???");
        }
        ctx.push("}");
        off += reclen;
    }
    ctx.push("]");
}

/// A `mknod` mode and, for a device node, its number (the next register):
/// `S_IFCHR|0600, makedev(0x1, 0x3)`.
pub(super) fn mode_and_device(ctx: &mut Ctx<'_>, mode: u64, dev: u64) {
    // An `unsigned short` in strace's decode_mknod.
    let mode = mode & 0xffff;
    structs::symbolic_mode_arg(ctx, mode);
    if matches!(mode & 0o170000, 0o20000 | 0o60000) {
        ctx.push(", ");
        // The kernel takes an `unsigned int`.
        ctx.push(&structs::dev_t(ctx.opts.xlat, dev & 0xffff_ffff));
    }
}

const RESOLVE_FLAGS: text::Xlat = &[
    (0x01, "RESOLVE_NO_XDEV"),
    (0x02, "RESOLVE_NO_MAGICLINKS"),
    (0x04, "RESOLVE_NO_SYMLINKS"),
    (0x08, "RESOLVE_BENEATH"),
    (0x10, "RESOLVE_IN_ROOT"),
    (0x20, "RESOLVE_CACHED"),
];

/// `openat2`'s `struct open_how` (its size is argument 3): `{flags=..., mode=0644,
/// resolve=...}`, then what a caller's larger structure holds past the known fields.
fn open_how(ctx: &mut Ctx<'_>, addr: u64) {
    const KNOWN: u64 = 24;
    let size = ctx.arg(3);
    let Some([flags, mode, resolve]) = (if size < KNOWN {
        None
    } else {
        ctx.read::<[u64; 3]>(addr)
    }) else {
        ctx.addr(addr);
        return;
    };
    ctx.push("{flags=");
    open_flags64(ctx, flags);
    if flags & (0o100 | 0o20000000) != 0 || mode != 0 {
        ctx.push(", mode=");
        text::octal03(&mut ctx.out, mode);
    }
    ctx.push(", resolve=");
    ctx.flags(RESOLVE_FLAGS, resolve, "RESOLVE_???");
    if size > KNOWN {
        structs::nonzero_tail(ctx, addr, KNOWN, size.min(4096));
    }
    ctx.push("}");
}

/// An extended attribute's value of `size` bytes (strace's `print_xattr_val`): its address
/// when larger than the kernel's `XATTR_SIZE_MAX`, else the bytes without a trailing NUL.
fn xattr_value(ctx: &mut Ctx<'_>, addr: u64, size: u64) {
    const XATTR_SIZE_MAX: u64 = 65536;
    if size > XATTR_SIZE_MAX {
        ctx.addr(addr);
    } else {
        ctx.str_ex(addr, size, true);
    }
}

/// `setxattr`'s value: the size argument's bytes.
fn xattr_sent(ctx: &mut Ctx<'_>, addr: u64) {
    xattr_value(ctx, addr, ctx.arg(3));
}

/// `getxattr`'s value at exit: the returned number of bytes (the address when it failed).
fn xattr_received(ctx: &mut Ctx<'_>, addr: u64) {
    xattr_value(ctx, addr, ctx.rval as u64);
}

/// `listxattr`'s list at exit: the returned bytes; the address when the size was 0 (a
/// query) or the call failed.
fn xattr_list(ctx: &mut Ctx<'_>, addr: u64) {
    if ctx.arg(2) == 0 || ctx.error {
        ctx.addr(addr);
    } else {
        ctx.buf(addr, ctx.rval as u64);
    }
}
