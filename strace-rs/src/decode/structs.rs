//! Printers for the structures syscalls pass by pointer.

use std::fmt::Write as _;

use tracekit_ptrace::Pid;

use super::{Abi, Ctx};
use crate::signals;
use crate::text;
use crate::xlat;

/// What `-y` prints after a descriptor, per the `decode-fds` set (strace's `printfd_pid`),
/// brackets included: with [`FD_SOCKET`](super::FD_SOCKET) a socket as
/// `<TCP:[127.0.0.1:80->127.0.0.1:4242]>`, with [`FD_DEV`](super::FD_DEV) a device as
/// `</dev/null<char 1:3>>` (see `device`), with [`FD_PIDFD`](super::FD_PIDFD) a pidfd as
/// `<pid:1234>`, else with [`FD_PATH`](super::FD_PATH) the path, quoted as strace quotes
/// it (`</etc/passwd>`, `<pipe:[123]>`, `</tmp/x>(deleted)` for an unlinked file).
pub fn fd_decoration(pid: Pid, fd: i32, set: u8, hex: text::HexMode) -> Option<String> {
    use super::{FD_DEV, FD_PATH, FD_PIDFD, FD_SOCKET};
    if set == 0 || fd < 0 {
        return None;
    }
    let dir = crate::pidns::proc_dir(pid.0);
    let linkpath = format!("/proc/{dir}/fd/{fd}");
    let link = std::fs::read_link(&linkpath).ok()?;
    let s = link.to_string_lossy().into_owned();
    if set & FD_SOCKET != 0 {
        if let Some(ino) = s.strip_prefix("socket:[").and_then(|r| r.strip_suffix(']')) {
            if let Some(desc) = crate::sockets::describe(pid, fd, ino) {
                return Some(format!("<{desc}>"));
            }
        }
    }
    if set & FD_DEV != 0 {
        if let Some(dev) = device(&s) {
            return Some(format!("<{s}<{dev}>>"));
        }
    }
    if set & FD_PIDFD != 0 && s == "anon_inode:[pidfd]" {
        if let Some(p) = pidfd_pid(pid, fd) {
            return Some(format!("<pid:{p}>"));
        }
    }
    if set & FD_PATH == 0 {
        return None;
    }
    let (path, deleted) = strip_deleted(&linkpath, link.as_os_str().as_encoded_bytes());
    let mut out = String::from("<");
    text::angle_quoted(&mut out, path, hex);
    out.push('>');
    if deleted {
        out.push_str("(deleted)");
    }
    Some(out)
}

/// The path `/proc/PID/fd/N` names without the ` (deleted)` the kernel appends to an
/// unlinked file's, and whether it was (strace's `get_proc_pid_fd_path`: only when the path
/// no longer leads to the same file, since a name may itself end so).
fn strip_deleted<'a>(linkpath: &str, path: &'a [u8]) -> (&'a [u8], bool) {
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::MetadataExt;
    const SUFFIX: &[u8] = b" (deleted)";
    if path.len() <= SUFFIX.len() + 1 || !path.ends_with(SUFFIX) {
        return (path, false);
    }
    let Ok(open) = std::fs::metadata(linkpath) else {
        return (path, false);
    };
    let same = std::fs::symlink_metadata(std::ffi::OsStr::from_bytes(path))
        .map(|m| m.ino() == open.ino() && m.dev() == open.dev())
        .unwrap_or(false);
    if same {
        (path, false)
    } else {
        (&path[..path.len() - SUFFIX.len()], true)
    }
}

/// `char 1:3` or `block 7:0` when `path` is a character or block device, as strace's
/// `printdev` says it with `-yy`: like strace, it `stat`s the path read from
/// `/proc/PID/fd/N` (an absolute path, following symbolic links), not the descriptor.
fn device(path: &str) -> Option<String> {
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    if !path.starts_with('/') {
        return None;
    }
    let meta = std::fs::metadata(path).ok()?;
    let kind = meta.file_type();
    let block = if kind.is_block_device() {
        true
    } else if kind.is_char_device() {
        false
    } else {
        return None;
    };
    Some(device_label(block, meta.rdev()))
}

/// `block MAJOR:MINOR` or `char MAJOR:MINOR`, in decimal.
fn device_label(block: bool, rdev: u64) -> String {
    let (major, minor) = dev_numbers(rdev);
    let kind = if block { "block" } else { "char" };
    format!("{kind} {major}:{minor}")
}

/// A `dev_t`'s major and minor numbers (glibc's encoding: 12 + 20 bits of major, 8 + 24 of
/// minor).
fn dev_numbers(dev: u64) -> (u64, u64) {
    let major = ((dev >> 32) & 0xffff_f000) | ((dev >> 8) & 0xfff);
    let minor = ((dev >> 12) & 0xffff_ff00) | (dev & 0xff);
    (major, minor)
}

/// The process a pidfd of `pid` refers to (the `Pid:` line of its fdinfo).
pub(super) fn pidfd_pid(pid: Pid, fd: i32) -> Option<i32> {
    let info = std::fs::read_to_string(format!("/proc/{}/fdinfo/{fd}", pid.0)).ok()?;
    info.lines()
        .find_map(|l| l.strip_prefix("Pid:"))
        .and_then(|v| v.trim().parse().ok())
}

/// `N` `long`s at `addr` in the tracee's ABI (32 bits on i386), sign-extended.
fn read_longs<const N: usize>(ctx: &Ctx<'_>, addr: u64) -> Option<[i64; N]> {
    match ctx.abi {
        Abi::X86_64 => ctx.read::<[i64; N]>(addr),
        Abi::I386 => ctx.read::<[i32; N]>(addr).map(|a| a.map(i64::from)),
    }
}

/// `N` `unsigned long`s (or pointers) at `addr` in the tracee's ABI.
pub(super) fn read_ulongs<const N: usize>(ctx: &Ctx<'_>, addr: u64) -> Option<[u64; N]> {
    match ctx.abi {
        Abi::X86_64 => ctx.read::<[u64; N]>(addr),
        Abi::I386 => ctx.read::<[u32; N]>(addr).map(|a| a.map(u64::from)),
    }
}

/// `{tv_sec=1, tv_nsec=500}`: a time as the kernel lays out `timespec` and `timeval`
/// (two longs); `frac` names the second field (`tv_nsec` or `tv_usec`).
fn time_pair(out: &mut String, [sec, sub]: [i64; 2], frac: &str) {
    // The fraction as strace prints it: zero-extended (`%llu`).
    let _ = write!(out, "{{tv_sec={sec}, {frac}={}}}", sub as u64);
}

/// A `timespec` (`frac` = `tv_nsec`) or `timeval` (`tv_usec`) at `addr`.
fn time_at(ctx: &mut Ctx<'_>, addr: u64, frac: &str) {
    // `-e verbose=none`: the address (strace's umove_or_printaddr).
    if !ctx.opts.structs {
        ctx.addr(addr);
        return;
    }
    match read_longs::<2>(ctx, addr) {
        Some(t) => time_pair(&mut ctx.out, t, frac),
        None => ctx.addr(addr),
    }
}

/// `{it_interval={...}, it_value={...}}` at `addr`: two times named by `frac` as in
/// [`time_at`].
fn itimer_at(ctx: &mut Ctx<'_>, addr: u64, frac: &str) {
    match read_longs::<4>(ctx, addr) {
        Some([a, b, c, d]) => {
            ctx.out.push_str("{it_interval=");
            time_pair(&mut ctx.out, [a, b], frac);
            ctx.out.push_str(", it_value=");
            time_pair(&mut ctx.out, [c, d], frac);
            ctx.out.push('}');
        }
        None => ctx.addr(addr),
    }
}

/// `{tv_sec=1, tv_nsec=500}` at `addr`.
pub fn timespec(ctx: &mut Ctx<'_>, addr: u64) {
    time_at(ctx, addr, "tv_nsec");
}

/// `{tv_sec=1, tv_usec=500}` at `addr`.
pub fn timeval(ctx: &mut Ctx<'_>, addr: u64) {
    time_at(ctx, addr, "tv_usec");
}

/// `{it_interval={...}, it_value={...}}` (timespec pairs).
pub fn itimerspec(ctx: &mut Ctx<'_>, addr: u64) {
    itimer_at(ctx, addr, "tv_nsec");
}

/// `{it_interval={...}, it_value={...}}` (timeval pairs).
pub fn itimerval(ctx: &mut Ctx<'_>, addr: u64) {
    itimer_at(ctx, addr, "tv_usec");
}

/// A file mode with its type, in the `-X` style.
fn mode_styled(out: &mut String, style: text::XlatStyle, m: u64) {
    // strace's print_symbolic_mode_t: the number alone for an unknown file type or with
    // -X raw; the number and the symbols in a comment with -X verbose.
    let m = m & 0xffff_ffff;
    let kind = m & 0o170000;
    let ifmt = if kind == 0 {
        Some("")
    } else {
        text::lookup(xlat::STAT_TYPES, kind)
    };
    if ifmt.is_none() || style != text::XlatStyle::Abbrev {
        text::octal03(out, m);
    }
    let Some(ifmt) = ifmt else { return };
    if style == text::XlatStyle::Raw {
        return;
    }
    let mut sym = String::new();
    if !ifmt.is_empty() {
        sym.push_str(ifmt);
        sym.push('|');
    }
    for (bit, n) in xlat::MODE_BITS {
        if m & bit != 0 {
            sym.push_str(n);
            sym.push('|');
        }
    }
    text::octal03(&mut sym, m & !0o177000);
    if style == text::XlatStyle::Verbose {
        let _ = write!(out, " /* {sym} */");
    } else {
        out.push_str(&sym);
    }
}

/// A mode argument of open/mkdir/chmod: strace's print_numeric_umode_t, a `mode_t` (16 bits)
/// as `%#03o` (`000`, `004`, `0644`).
pub fn mode_arg(ctx: &mut Ctx<'_>, m: u64) {
    text::octal03(&mut ctx.out, m & 0xffff);
}

/// A `mknod` mode: the file type and special bits by name (`S_IFCHR|0600`).
pub fn symbolic_mode_arg(ctx: &mut Ctx<'_>, m: u64) {
    mode_styled(&mut ctx.out, ctx.opts.xlat, m);
}

/// A device number in the `-X` style (strace's `print_dev_t`): `makedev(0x1, 0x3)`,
/// `0x103`, or `0x103 /* makedev(0x1, 0x3) */`.
pub(super) fn dev_t(style: text::XlatStyle, dev: u64) -> String {
    match style {
        text::XlatStyle::Abbrev => makedev(dev),
        text::XlatStyle::Raw => format!("{}", text::Hx(dev)),
        text::XlatStyle::Verbose => format!("{} /* {} */", text::Hx(dev), makedev(dev)),
    }
}

/// `makedev(0x1, 0x3)`.
pub(crate) fn makedev(dev: u64) -> String {
    let (major, minor) = dev_numbers(dev);
    format!("makedev({}, {})", text::Hx(major), text::Hx(minor))
}

fn time_field(out: &mut String, name: &str, sec: i64, nsec: i64) {
    let _ = write!(out, "{name}={sec} /* {} */", fmt_time(sec, nsec));
    let _ = write!(out, ", {name}_nsec={nsec}");
}

/// A `time_t` as strace's `sprinttime` prints it: `2026-12-07T17:08:02+0000`.
pub fn date(sec: i64) -> String {
    fmt_time(sec, 0)
}

/// A time in seconds and nanoseconds as strace's `sprinttime_nsec` prints it
/// (`2016-05-14T02:36:26.000012345+0000`); `None` for nanoseconds out of range.
pub fn date_nsec(sec: i64, nsec: u64) -> Option<String> {
    (nsec <= 999_999_999).then(|| fmt_time(sec, nsec as i64))
}

fn fmt_time(sec: i64, nsec: i64) -> String {
    // SAFETY: tm is plain integers and a pointer; all-zero is valid before localtime_r fills it.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    let t = sec as libc::time_t;
    // SAFETY: localtime_r writes one struct tm into `tm` and reads `t`.
    if unsafe { libc::localtime_r(&t, &mut tm) }.is_null() {
        return sec.to_string();
    }
    let _ = nsec;
    let frac = if nsec != 0 {
        format!(".{nsec:09}")
    } else {
        String::new()
    };
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{frac}{}",
        tm.tm_year + 1900,
        tm.tm_mon + 1,
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec,
        tz_offset(tm.tm_gmtoff)
    )
}

fn tz_offset(off: i64) -> String {
    let sign = if off < 0 { '-' } else { '+' };
    let a = off.abs();
    format!("{sign}{:02}{:02}", a / 3600, (a % 3600) / 60)
}

/// `struct stat` at `addr` (on i386, `struct stat64`), abbreviated unless `-v`.
pub fn stat(ctx: &mut Ctx<'_>, addr: u64) {
    let st = match ctx.abi {
        Abi::X86_64 => ctx.read::<[u64; 18]>(addr),
        Abi::I386 => ctx.read::<[u8; 96]>(addr).map(|b| stat64_as_x86_64(&b)),
    };
    match st {
        Some(st) => stat_fields(ctx, st),
        None => ctx.addr(addr),
    }
}

/// The i386 `struct stat64` (96 bytes, 4-byte aligned 64-bit fields) as the words of the
/// x86_64 `struct stat`.
fn stat64_as_x86_64(b: &[u8; 96]) -> [u64; 18] {
    let u32_at = |o: usize| u64::from(u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]]));
    let i32_at = |o: usize| u32_at(o) as u32 as i32 as i64 as u64;
    let u64_at = |o: usize| u32_at(o) | u32_at(o + 4) << 32;
    let mut st = [0u64; 18];
    st[0] = u64_at(0);
    st[1] = u64_at(88);
    st[2] = u32_at(20);
    st[3] = u32_at(16) | u32_at(24) << 32;
    st[4] = u32_at(28);
    st[5] = u64_at(32);
    st[6] = u64_at(44);
    st[7] = u32_at(52);
    st[8] = u64_at(56);
    for (k, o) in [64, 68, 72, 76, 80, 84].into_iter().enumerate() {
        st[9 + k] = if k % 2 == 0 { i32_at(o) } else { u32_at(o) };
    }
    st
}

/// A `struct stat` given as the 18 words of its x86_64 layout.
fn stat_fields(ctx: &mut Ctx<'_>, st: [u64; 18]) {
    // st_dev, st_ino, st_nlink, st_mode|st_uid (u32,u32), st_gid|pad, st_rdev, st_size,
    // st_blksize, st_blocks, atime, atime_ns, mtime, mtime_ns, ctime, ctime_ns
    let (dev, ino, nlink) = (st[0], st[1], st[2]);
    let m = st[3] & 0xffff_ffff;
    let uid = st[3] >> 32;
    let gid = st[4] & 0xffff_ffff;
    let (rdev, size, blksize, blocks) = (st[5], st[6] as i64, st[7], st[8]);
    let out = &mut ctx.out;
    let is_dev = matches!(m & 0o170000, 0o20000 | 0o60000);
    if ctx.opts.verbose {
        let _ = write!(
            out,
            "{{st_dev={}, st_ino={ino}, st_mode=",
            dev_t(ctx.opts.xlat, dev)
        );
        mode_styled(out, ctx.opts.xlat, m);
        let _ = write!(
            out,
            ", st_nlink={nlink}, st_uid={uid}, st_gid={gid}, st_blksize={blksize}, st_blocks={blocks}, "
        );
        if is_dev {
            let _ = write!(out, "st_rdev={}", dev_t(ctx.opts.xlat, rdev));
        } else {
            let _ = write!(out, "st_size={size}");
        }
        out.push_str(", ");
        time_field(out, "st_atime", st[9] as i64, st[10] as i64);
        out.push_str(", ");
        time_field(out, "st_mtime", st[11] as i64, st[12] as i64);
        out.push_str(", ");
        time_field(out, "st_ctime", st[13] as i64, st[14] as i64);
        out.push('}');
    } else {
        out.push_str("{st_mode=");
        mode_styled(out, ctx.opts.xlat, m);
        if is_dev {
            let _ = write!(out, ", st_rdev={}", dev_t(ctx.opts.xlat, rdev));
        } else {
            let _ = write!(out, ", st_size={size}");
        }
        out.push_str(", ...}");
    }
}

/// `struct statx` at `addr`.
pub fn statx(ctx: &mut Ctx<'_>, addr: u64) {
    let Some(b) = ctx.read_bytes(addr, 256) else {
        ctx.addr(addr);
        return;
    };
    let u32_at = |o: usize| u32::from_ne_bytes(b[o..o + 4].try_into().unwrap()) as u64;
    let u16_at = |o: usize| u16::from_ne_bytes(b[o..o + 2].try_into().unwrap()) as u64;
    let u64_at = |o: usize| u64::from_ne_bytes(b[o..o + 8].try_into().unwrap());
    let full = ctx.opts.verbose;
    let style = ctx.opts.xlat;
    let mask = u32_at(0);
    // Which fields the kernel filled (STATX_TYPE, STATX_MODE, ... STATX_DIOALIGN).
    let has = |bit: u64| mask & bit != 0;
    let out = &mut ctx.out;
    out.push_str("{stx_mask=");
    statx_mask(out, style, mask, "STATX_???");
    if full {
        let _ = write!(out, ", stx_blksize={}", u32_at(4));
    }
    out.push_str(", stx_attributes=");
    text::flags(out, style, xlat::STATX_ATTRS, u64_at(8), "STATX_ATTR_???");
    if full {
        if has(0x4) {
            let _ = write!(out, ", stx_nlink={}", u32_at(16));
        }
        for (bit, name, off) in [(0x8, "uid", 20), (0x10, "gid", 24)] {
            if has(bit) {
                let _ = write!(out, ", stx_{name}=");
                let id = u32_at(off);
                if id == u64::from(u32::MAX) {
                    out.push_str("-1");
                } else {
                    let _ = write!(out, "{id}");
                }
            }
        }
    }
    if has(0x1 | 0x2) {
        out.push_str(", stx_mode=");
        mode_styled(out, style, u16_at(28));
    }
    if full && has(0x100) {
        let _ = write!(out, ", stx_ino={}", u64_at(32));
    }
    if has(0x200) {
        let _ = write!(out, ", stx_size={}", u64_at(40));
    }
    if !full {
        out.push_str(", ...}");
        return;
    }
    if has(0x400) {
        let _ = write!(out, ", stx_blocks={}", u64_at(48));
    }
    out.push_str(", stx_attributes_mask=");
    text::flags(out, style, xlat::STATX_ATTRS, u64_at(56), "STATX_ATTR_???");
    for (bit, name, off) in [
        (0x20, "atime", 64),
        (0x800, "btime", 80),
        (0x80, "ctime", 96),
        (0x40, "mtime", 112),
    ] {
        if has(bit) {
            let sec = u64_at(off) as i64;
            let nsec = u32_at(off + 8);
            let _ = write!(out, ", stx_{name}={{tv_sec={sec}, tv_nsec={nsec}}}");
            super::admin::time_comment(out, sec, nsec, 999_999_999, 9);
        }
    }
    let _ = write!(
        out,
        ", stx_rdev_major={}, stx_rdev_minor={}, stx_dev_major={}, stx_dev_minor={}",
        u32_at(128),
        u32_at(132),
        u32_at(136),
        u32_at(140)
    );
    if has(0x1000) {
        let _ = write!(out, ", stx_mnt_id={}", text::Hx(u64_at(144)));
    }
    if has(0x2000) {
        let _ = write!(
            out,
            ", stx_dio_mem_align={}, stx_dio_offset_align={}",
            u32_at(152),
            u32_at(156)
        );
    }
    out.push('}');
}

/// A `statx` field mask: `STATX_ALL` or `STATX_BASIC_STATS` and the bits beyond them, else
/// the bits (unknown ones with `/* dflt */`).
pub fn statx_mask(out: &mut String, style: text::XlatStyle, mask: u64, dflt: &str) {
    for (all, name) in [(0xfff, "STATX_ALL"), (0x7ff, "STATX_BASIC_STATS")] {
        if mask & all == all {
            out.push_str(name);
            if mask & !all != 0 {
                out.push('|');
                text::flags(out, style, xlat::STATX_MASK, mask & !all, "");
            }
            return;
        }
    }
    text::flags(out, style, xlat::STATX_MASK, mask, dflt);
}

/// A signal mask of `size` bytes at `addr`.
pub fn sigmask(ctx: &mut Ctx<'_>, addr: u64, size: u64) {
    let word = match ctx.abi {
        Abi::X86_64 => 8,
        Abi::I386 => 4,
    };
    sigmask_limit(ctx, addr, size, word);
}

/// [`sigmask`] of a size of at least `min` bytes (strace's `print_sigset_addr_len_limit`:
/// `rt_sigpending` takes any size up to NSIG/8).
pub fn sigmask_limit(ctx: &mut Ctx<'_>, addr: u64, size: u64, min: u64) {
    if addr == 0 {
        ctx.out.push_str("NULL");
        return;
    }
    // Shorter than `min` or longer than NSIG/8 bytes is no mask.
    if size < min || size > 8 {
        ctx.addr(addr);
        return;
    }
    match ctx.read_bytes(addr, size as usize) {
        Some(b) => {
            let mut m = [0u8; 8];
            m[..b.len()].copy_from_slice(&b);
            let v = u64::from_ne_bytes(m);
            let s = signals::sigset_styled(v, (size * 8) as u32, ctx.opts.xlat);
            ctx.out.push_str(&s);
        }
        None => ctx.addr(addr),
    }
}

/// A signal number argument.
pub fn signo(ctx: &mut Ctx<'_>, sig: i64) {
    if (1..=64).contains(&sig) {
        let n = signals::name(sig);
        text::named(&mut ctx.out, ctx.opts.xlat, &sig.to_string(), &n);
    } else {
        let _ = write!(ctx.out, "{sig}");
    }
}

/// `struct sigaction` (kernel layout: handler, flags, restorer, mask; on i386 32-bit
/// words and the mask in two) at `addr`.
pub fn sigaction(ctx: &mut Ctx<'_>, addr: u64) {
    let read = match ctx.abi {
        Abi::X86_64 => ctx.read::<[u64; 4]>(addr),
        Abi::I386 => ctx.read::<[u32; 5]>(addr).map(|[h, f, r, lo, hi]| {
            [
                u64::from(h),
                u64::from(f),
                u64::from(r),
                u64::from(hi) << 32 | u64::from(lo),
            ]
        }),
    };
    let Some([handler, flags, restorer, mask]) = read else {
        ctx.addr(addr);
        return;
    };
    ctx.out.push_str("{sa_handler=");
    match handler {
        0 => text::named(&mut ctx.out, ctx.opts.xlat, "0", "SIG_DFL"),
        1 => text::named(&mut ctx.out, ctx.opts.xlat, "0x1", "SIG_IGN"),
        _ => {
            let _ = write!(ctx.out, "{handler:#x}");
        }
    }
    let _ = write!(
        ctx.out,
        ", sa_mask={}",
        signals::sigset_styled(mask, 64, ctx.opts.xlat)
    );
    ctx.out.push_str(", sa_flags=");
    text::flags(&mut ctx.out, ctx.opts.xlat, xlat::SA_FLAGS, flags, "SA_???");
    if flags & 0x0400_0000 != 0 {
        let _ = write!(ctx.out, ", sa_restorer={restorer:#x}");
    }
    ctx.out.push('}');
}

/// `struct rusage` at `addr` (two timevals, then 14 longs), abbreviated unless `-v`.
pub fn rusage(ctx: &mut Ctx<'_>, addr: u64) {
    match read_longs::<18>(ctx, addr) {
        Some(r) => rusage_fields(ctx, r),
        None => ctx.addr(addr),
    }
}

fn rusage_fields(ctx: &mut Ctx<'_>, r: [i64; 18]) {
    // Every field but the seconds prints unsigned, as strace's `printrusage` does.
    let abi = ctx.abi;
    let u = |v: i64| -> u64 {
        match abi {
            Abi::X86_64 => v as u64,
            Abi::I386 => u64::from(v as u32),
        }
    };
    let _ = write!(
        ctx.out,
        "{{ru_utime={{tv_sec={}, tv_usec={}}}, ru_stime={{tv_sec={}, tv_usec={}}}",
        r[0],
        u(r[1]),
        r[2],
        u(r[3])
    );
    if ctx.opts.verbose {
        for (name, v) in [
            "ru_maxrss",
            "ru_ixrss",
            "ru_idrss",
            "ru_isrss",
            "ru_minflt",
            "ru_majflt",
            "ru_nswap",
            "ru_inblock",
            "ru_oublock",
            "ru_msgsnd",
            "ru_msgrcv",
            "ru_nsignals",
            "ru_nvcsw",
            "ru_nivcsw",
        ]
        .iter()
        .zip(&r[4..])
        {
            let _ = write!(ctx.out, ", {name}={}", u(*v));
        }
        ctx.out.push('}');
    } else {
        ctx.out.push_str(", ...}");
    }
}

/// `struct rlimit` at `addr`, in the tracee's ABI (`unsigned long`s).
pub fn rlimit(ctx: &mut Ctx<'_>, addr: u64) {
    match (ctx.abi, read_ulongs::<2>(ctx, addr)) {
        (Abi::X86_64, Some(lim)) => rlimit_fields(ctx, lim, u64::MAX, "RLIM64_INFINITY"),
        (Abi::I386, Some(lim)) => rlimit_fields(ctx, lim, u64::from(u32::MAX), "RLIM_INFINITY"),
        (_, None) => ctx.addr(addr),
    }
}

/// `struct rlimit64` at `addr` (`prlimit64`): 64-bit limits in every ABI.
pub fn rlimit64(ctx: &mut Ctx<'_>, addr: u64) {
    match ctx.read::<[u64; 2]>(addr) {
        Some(lim) => rlimit_fields(ctx, lim, u64::MAX, "RLIM64_INFINITY"),
        None => ctx.addr(addr),
    }
}

/// `{rlim_cur=..., rlim_max=...}` for limits of any width: `infinity` (that width's
/// `RLIM_INFINITY`) prints as `infinity_name`, multiples of 1024 as `N*1024`, by `-X` style.
fn rlimit_fields(ctx: &mut Ctx<'_>, [cur, max]: [u64; 2], infinity: u64, infinity_name: &str) {
    let style = ctx.opts.xlat;
    let f = |v: u64| {
        let named = if v == infinity {
            Some(infinity_name.to_owned())
        } else if v > 1024 && v.is_multiple_of(1024) {
            Some(format!("{}*1024", v / 1024))
        } else {
            None
        };
        match (style, named) {
            (text::XlatStyle::Abbrev, Some(n)) => n,
            (text::XlatStyle::Verbose, Some(n)) => format!("{v} /* {n} */"),
            _ => v.to_string(),
        }
    };
    let _ = write!(ctx.out, "{{rlim_cur={}, rlim_max={}}}", f(cur), f(max));
}

/// `struct tms` at `addr` (four clock-tick counts, `long`s).
pub fn tms(ctx: &mut Ctx<'_>, addr: u64) {
    match read_ulongs::<4>(ctx, addr) {
        Some(t) => {
            let raw = ctx.opts.xlat == text::XlatStyle::Raw;
            for (i, (name, v)) in ["tms_utime", "tms_stime", "tms_cutime", "tms_cstime"]
                .iter()
                .zip(t)
                .enumerate()
            {
                let sep = if i == 0 { "{" } else { ", " };
                let _ = write!(ctx.out, "{sep}{name}={v}");
                if !raw {
                    if let Some(secs) = clock_t_secs(v) {
                        let _ = write!(ctx.out, " /* {secs} */");
                    }
                }
            }
            ctx.out.push('}');
        }
        None => ctx.addr(addr),
    }
}

/// Clock ticks in seconds, as strace's `print_clock_t` comments them (`0.25 s` at 100 ticks
/// a second: as many decimals as the tick rate has zeros); none for 0.
pub(crate) fn clock_t_secs(v: u64) -> Option<String> {
    // SAFETY: sysconf reads a constant of the C library; no memory is passed.
    let tck = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if tck <= 0 || v == 0 {
        return None;
    }
    let tck = tck as u64;
    let width = (tck.ilog10() as usize).min(9);
    let frac = format!("{:.*}", width, (v % tck) as f64 / tck as f64);
    // The fraction's digits after "0." (C formats the fraction and writes the whole part over
    // its "0").
    let digits = frac.split_once('.').map_or("", |(_, d)| d);
    Some(if width == 0 {
        format!("{}.s", v / tck)
    } else {
        format!("{}.{digits} s", v / tck)
    })
}

/// `struct utsname` at `addr`.
pub fn utsname(ctx: &mut Ctx<'_>, addr: u64) {
    let Some(b) = ctx.read_bytes(addr, 65 * 6) else {
        ctx.addr(addr);
        return;
    };
    let field = |i: usize| {
        let f = &b[i * 65..(i + 1) * 65];
        let end = f.iter().position(|&c| c == 0).unwrap_or(65);
        let mut s = String::new();
        text::quote(&mut s, &f[..end], ctx.opts.hex, false);
        s
    };
    let names = [
        "sysname",
        "nodename",
        "release",
        "version",
        "machine",
        "domainname",
    ];
    let n = if ctx.opts.verbose { 6 } else { 2 };
    let mut parts: Vec<String> = (0..n)
        .map(|i| format!("{}={}", names[i], field(i)))
        .collect();
    if !ctx.opts.verbose {
        parts.push("...".to_owned());
    }
    let _ = write!(ctx.out, "{{{}}}", parts.join(", "));
}

/// Decodes a `sockaddr` of `len` bytes at `addr` (the length as the C `int` it is).
pub fn sockaddr(ctx: &mut Ctx<'_>, addr: u64, len: u64) {
    super::sockaddr::decode(ctx, addr, len as u32 as i32);
}

/// A `sockaddr` already read (at least its family).
pub fn sockaddr_bytes(ctx: &mut Ctx<'_>, b: &[u8]) {
    super::sockaddr::print(ctx, b);
}

/// An iovec array (in the tracee's ABI); `data_len` limits how many bytes are shown in
/// total (the return value of readv), `None` for all.
pub fn iovec(ctx: &mut Ctx<'_>, addr: u64, count: u64, data_len: Option<u64>, show_data: bool) {
    iovec_ex(ctx, addr, count, data_len, show_data, None);
}

/// [`iovec`]; with `netlink_fd`, the data is netlink messages of that socket (a `msghdr`
/// whose address is a `sockaddr_nl`, as strace decides).
fn iovec_ex(
    ctx: &mut Ctx<'_>,
    addr: u64,
    count: u64,
    data_len: Option<u64>,
    show_data: bool,
    netlink_fd: Option<i32>,
) {
    if addr == 0 {
        ctx.out.push_str("NULL");
        return;
    }
    let n = count.min(1024) as usize;
    let width = match ctx.abi {
        Abi::X86_64 => 8,
        Abi::I386 => 4,
    };
    let word = |b: &[u8], o: usize| {
        let mut w = [0u8; 8];
        w[..width].copy_from_slice(&b[o..o + width]);
        u64::from_le_bytes(w)
    };
    let (entries, cut) = match ctx.read_bytes(addr, n.saturating_mul(2 * width)) {
        Some(b) => {
            let all = (0..n).map(|i| (word(&b, 2 * i * width), word(&b, (2 * i + 1) * width)));
            (all.collect::<Vec<_>>(), None)
        }
        // As strace's print_array: element by element up to the first unreadable one (the
        // address when it is the first, else `... /* address */` after the others).
        None => {
            let mut entries = Vec::new();
            let mut cut = None;
            for i in 0..=n.min(ctx.opts.max_strlen) {
                if i == n {
                    break;
                }
                let at = addr.wrapping_add((2 * i * width) as u64);
                match ctx.read_bytes(at, 2 * width) {
                    Some(b) => entries.push((word(&b, 0), word(&b, width))),
                    None if i == 0 => {
                        ctx.addr(addr);
                        return;
                    }
                    None => {
                        cut = Some(at);
                        break;
                    }
                }
            }
            (entries, cut)
        }
    };
    iovec_entries(ctx, &entries, data_len, show_data, netlink_fd);
    if let Some(at) = cut {
        ctx.out.pop();
        let _ = write!(ctx.out, ", ... /* {at:#x} */]");
    }
}

/// `[{iov_base=..., iov_len=N}, ...]` for `(base, len)` pairs already read; `data_len` and
/// `show_data` as for [`iovec`].
fn iovec_entries(
    ctx: &mut Ctx<'_>,
    entries: &[(u64, u64)],
    data_len: Option<u64>,
    show_data: bool,
    netlink_fd: Option<i32>,
) {
    let mut left = data_len.unwrap_or(u64::MAX);
    ctx.out.push('[');
    for (i, &(base, len)) in entries.iter().enumerate() {
        if i > 0 {
            ctx.out.push_str(", ");
        }
        if i >= ctx.opts.max_strlen {
            ctx.out.push_str("...");
            break;
        }
        ctx.out.push_str("{iov_base=");
        if show_data {
            let shown = len.min(left);
            match netlink_fd {
                Some(fd) => super::netlink::sockbuf(ctx, fd, base, shown),
                None => ctx.buf(base, shown),
            }
            // Without a data length (a call's input), every element shows its own
            // length, as strace (its `data_size` of -1 is never decremented).
            if data_len.is_some() {
                left -= shown;
            }
        } else {
            ctx.addr(base);
        }
        let _ = write!(ctx.out, ", iov_len={len}}}");
    }
    ctx.out.push(']');
}

/// A `struct msghdr` at `addr`; `data_len` as for [`iovec`].
pub fn msghdr(ctx: &mut Ctx<'_>, addr: u64, data_len: Option<u64>, show_data: bool) {
    msghdr_ex(ctx, addr, data_len, show_data, None);
}

/// [`msghdr`] of a received message: `user_namelen` is the `msg_namelen` the program
/// passed (strace prints `msg_namelen=16 => 8` when the kernel changed it, and decodes no
/// more of the address than the program's buffer held).
pub fn msghdr_ex(
    ctx: &mut Ctx<'_>,
    addr: u64,
    data_len: Option<u64>,
    show_data: bool,
    user_namelen: Option<i32>,
) {
    // i386: seven 32-bit words (pointers, lengths and flags), read as the x86_64 fields.
    let h = match ctx.abi {
        Abi::X86_64 => ctx.read::<[u64; 7]>(addr),
        Abi::I386 => ctx.read::<[u32; 7]>(addr).map(|w| w.map(u64::from)),
    };
    let Some(h) = h else {
        ctx.addr(addr);
        return;
    };
    let (name, namelen, iov, iovlen, control, controllen, flags) = (
        h[0],
        h[1] as u32 as u64,
        h[2],
        h[3],
        h[4],
        h[5],
        h[6] as u32 as u64,
    );
    let namelen = namelen as u32 as i32;
    let shown_len = match user_namelen {
        Some(u) if namelen > u => u,
        _ => namelen,
    };
    ctx.out.push_str("{msg_name=");
    let family = super::sockaddr::decode(ctx, name, shown_len);
    ctx.out.push_str(", msg_namelen=");
    if let Some(u) = user_namelen.filter(|&u| u != namelen) {
        let _ = write!(ctx.out, "{u} => ");
    }
    let _ = write!(ctx.out, "{namelen}, msg_iov=");
    // strace decodes the data as netlink messages when the address is a netlink one.
    let fd = (family == Some(16)).then(|| ctx.arg_int(0));
    iovec_ex(ctx, iov, iovlen, data_len, show_data, fd);
    let _ = write!(ctx.out, ", msg_iovlen={iovlen}");
    super::cmsg::msg_control(ctx, control, controllen);
    let _ = write!(ctx.out, ", msg_controllen={controllen}, msg_flags=");
    text::flags(
        &mut ctx.out,
        ctx.opts.xlat,
        xlat::MSG_FLAGS,
        flags,
        "MSG_???",
    );
    ctx.out.push('}');
}

/// The `wait4` status word: `[{WIFEXITED(s) && WEXITSTATUS(s) == 0}]`.
pub fn wait_status(ctx: &mut Ctx<'_>, addr: u64) {
    let Some(s) = ctx.read::<i32>(addr) else {
        ctx.addr(addr);
        return;
    };
    let out = &mut ctx.out;
    out.push_str("[{");
    if libc::WIFEXITED(s) {
        let _ = write!(
            out,
            "WIFEXITED(s) && WEXITSTATUS(s) == {}",
            libc::WEXITSTATUS(s)
        );
    } else if libc::WIFSIGNALED(s) {
        let _ = write!(
            out,
            "WIFSIGNALED(s) && WTERMSIG(s) == {}",
            signals::name(libc::WTERMSIG(s) as i64)
        );
        if libc::WCOREDUMP(s) {
            out.push_str(" && WCOREDUMP(s)");
        }
    } else if libc::WIFSTOPPED(s) {
        let _ = write!(
            out,
            "WIFSTOPPED(s) && WSTOPSIG(s) == {}",
            signals::name(libc::WSTOPSIG(s) as i64)
        );
    } else if libc::WIFCONTINUED(s) {
        out.push_str("WIFCONTINUED(s)");
    } else {
        let _ = write!(out, "{s:#x}");
    }
    out.push_str("}]");
}

/// The `struct pollfd` array a call is given (strace's `print_array` of `print_pollfd`):
/// `events` only for a descriptor that is not negative.
pub fn pollfds(ctx: &mut Ctx<'_>, addr: u64, n: u64) {
    ctx.array(addr, n & 0xffff_ffff, 8, &mut |ctx, b| {
        let fd = i32::from_ne_bytes(b[0..4].try_into().unwrap());
        let ev = u64::from(u16::from_ne_bytes(b[4..6].try_into().unwrap()));
        ctx.out.push_str("{fd=");
        ctx.fd_val(fd);
        if fd >= 0 {
            ctx.out.push_str(", events=");
            text::flags(
                &mut ctx.out,
                ctx.opts.xlat,
                xlat::POLL_EVENTS,
                ev,
                "POLL???",
            );
        }
        ctx.out.push('}');
    });
}

/// The ready entries of a `struct pollfd` array after `poll`/`ppoll` (strace's
/// `decode_poll_exiting`): `[{fd=4, revents=POLLOUT}]`, plain descriptor numbers, at most
/// `-s` entries unless `-v`, then the address of the first unreadable entry; nothing when
/// the array is absent or empty.
pub fn ready_pollfds(ctx: &mut Ctx<'_>, addr: u64, n: u64, out: &mut String) {
    let n = n & 0xffff_ffff;
    if addr == 0 || n == 0 || addr.checked_add(n * 8).is_none() {
        return;
    }
    let max = if ctx.opts.verbose {
        u64::MAX
    } else {
        ctx.opts.max_strlen as u64
    };
    let mut printed = 0;
    let mut started = false;
    for i in 0..n {
        let at = addr + 8 * i;
        let sep = |out: &mut String, started: &mut bool| {
            out.push_str(if *started { ", " } else { "[" });
            *started = true;
        };
        let Some(b) = ctx.read_bytes(at, 8) else {
            sep(out, &mut started);
            let _ = write!(out, "{}", text::Hx(at));
            break;
        };
        let rev = u64::from(u16::from_ne_bytes(b[6..8].try_into().unwrap()));
        if rev == 0 {
            continue;
        }
        sep(out, &mut started);
        if printed >= max {
            out.push_str("...");
            break;
        }
        let fd = i32::from_ne_bytes(b[0..4].try_into().unwrap());
        let _ = write!(out, "{{fd={fd}, revents=");
        text::flags(out, text::XlatStyle::Abbrev, xlat::POLL_EVENTS, rev, "");
        out.push('}');
        printed += 1;
    }
    if started {
        out.push(']');
    }
}

/// One `struct epoll_event` (packed, 12 bytes) from `b`.
pub fn epoll_event(ctx: &mut Ctx<'_>, b: &[u8]) {
    let ev = u32::from_ne_bytes(b[0..4].try_into().unwrap()) as u64;
    let data = u64::from_ne_bytes(b[4..12].try_into().unwrap());
    ctx.out.push_str("{events=");
    text::flags(
        &mut ctx.out,
        ctx.opts.xlat,
        xlat::EPOLL_EVENTS,
        ev,
        "EPOLL???",
    );
    let _ = write!(ctx.out, ", data={{u32={}, u64={data}}}}}", data as u32);
}

/// The descriptor count and set size (bytes) strace's `decode_select` uses for `nfds`: the
/// count as the kernel's `int`, none when negative, at most 2^20; the size in whole words.
pub fn fdset_bounds(ctx: &Ctx<'_>, nfds: u64) -> (u32, usize) {
    let n = (nfds as u32 as i32).clamp(0, 1024 * 1024) as u32;
    let word = match ctx.abi {
        Abi::X86_64 => 8,
        Abi::I386 => 4,
    };
    (n, (n as usize).div_ceil(8).next_multiple_of(word))
}

/// The descriptors set in `bits` among the first `nfds`.
pub fn fdset_members(bits: &[u8], nfds: u32) -> impl Iterator<Item = u32> + '_ {
    (0..nfds.min(bits.len() as u32 * 8))
        .filter(move |fd| bits[(fd / 8) as usize] & (1 << (fd % 8)) != 0)
}

/// An fd_set at `addr` of a call whose first argument is `nfds`: `[3 4]`; its address when
/// the set is empty by size or cannot be read.
pub fn fdset(ctx: &mut Ctx<'_>, addr: u64, nfds: u64) {
    let (n, size) = fdset_bounds(ctx, nfds);
    if size == 0 || addr == 0 {
        ctx.addr(addr);
        return;
    }
    let Some(b) = ctx.read_bytes(addr, size) else {
        ctx.addr(addr);
        return;
    };
    ctx.out.push('[');
    for (i, fd) in fdset_members(&b, n).enumerate() {
        if i > 0 {
            ctx.out.push(' ');
        }
        ctx.fd_val(fd as i32);
    }
    ctx.out.push(']');
}

/// What an extensible structure holds past the fields strace-rs knows, bytes `start..end`
/// (strace's `print_nonzero_bytes`): nothing when they are all zero, `, ???` when they cannot
/// be read, else `, /* bytes 24..31 */ "\x80..."`.
pub fn nonzero_tail(ctx: &mut Ctx<'_>, addr: u64, start: u64, end: u64) {
    match ctx.read_bytes(addr + start, (end - start) as usize) {
        None => ctx.push(", ???"),
        Some(b) if b.iter().all(|&x| x == 0) => {}
        Some(b) => {
            let _ = write!(ctx.out, ", /* bytes {start}..{} */ ", end - 1);
            text::quote(&mut ctx.out, &b, ctx.opts.hex, true);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_ticks_are_commented_in_seconds_as_strace_does() {
        // Linux's USER_HZ is 100: two decimals.
        assert_eq!(clock_t_secs(25).as_deref(), Some("0.25 s"));
        assert_eq!(clock_t_secs(12_345).as_deref(), Some("123.45 s"));
        assert_eq!(clock_t_secs(0), None);
    }

    #[test]
    fn device_numbers_follow_the_xlat_style() {
        let dev = libc::makedev(0xfe, 0);
        assert_eq!(dev_t(text::XlatStyle::Abbrev, dev), "makedev(0xfe, 0)");
        assert_eq!(dev_t(text::XlatStyle::Raw, dev), "0xfe00");
        assert_eq!(
            dev_t(text::XlatStyle::Verbose, dev),
            "0xfe00 /* makedev(0xfe, 0) */"
        );
    }

    #[test]
    fn device_labels_are_decimal_major_minor() {
        assert_eq!(device_label(false, libc::makedev(1, 3)), "char 1:3");
        assert_eq!(device_label(true, libc::makedev(7, 0)), "block 7:0");
        // Numbers beyond the old 8-bit fields (an NVMe partition, a high minor).
        assert_eq!(
            device_label(true, libc::makedev(259, 1_048_575)),
            "block 259:1048575"
        );
        assert_eq!(
            makedev(libc::makedev(4095, 70_000)),
            "makedev(0xfff, 0x11170)"
        );
    }

    #[test]
    fn only_yy_shows_what_device_a_descriptor_is() {
        use super::super::{FD_ALL, FD_DEV, FD_PATH};
        use std::os::fd::AsRawFd;
        let me = Pid(std::process::id() as i32);
        let hex = text::HexMode::None;
        let deco = |fd, set| fd_decoration(me, fd, set, hex);
        let null = std::fs::File::open("/dev/null").unwrap();
        let fd = null.as_raw_fd();
        assert_eq!(deco(fd, FD_PATH).as_deref(), Some("</dev/null>"));
        assert_eq!(deco(fd, FD_ALL).as_deref(), Some("</dev/null<char 1:3>>"));
        assert_eq!(deco(fd, FD_DEV).as_deref(), Some("</dev/null<char 1:3>>"));
        assert_eq!(deco(fd, 0), None);
        // A regular file and a directory are shown by path alone, and not without `path`.
        let exe = std::fs::File::open("/proc/self/exe").unwrap();
        let exe_path = std::fs::read_link("/proc/self/exe").unwrap();
        assert_eq!(
            deco(exe.as_raw_fd(), FD_ALL),
            Some(format!("<{}>", exe_path.display()))
        );
        assert_eq!(deco(exe.as_raw_fd(), FD_DEV), None);
        let root = std::fs::File::open("/").unwrap();
        assert_eq!(deco(root.as_raw_fd(), FD_ALL).as_deref(), Some("</>"));
    }

    #[test]
    fn an_unlinked_file_is_marked_deleted_outside_the_brackets() {
        use std::os::fd::AsRawFd;
        let dir = std::env::temp_dir().join(format!("tk-deleted-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // A name that itself ends in " (deleted)" and is still there keeps it.
        let kept = dir.join("x (deleted)");
        let f = std::fs::File::create(&kept).unwrap();
        let me = Pid(std::process::id() as i32);
        let deco = |fd| fd_decoration(me, fd, super::super::FD_PATH, text::HexMode::None);
        assert_eq!(deco(f.as_raw_fd()), Some(format!("<{}>", kept.display())));
        let gone = dir.join("y");
        let g = std::fs::File::create(&gone).unwrap();
        std::fs::remove_file(&gone).unwrap();
        assert_eq!(
            deco(g.as_raw_fd()),
            Some(format!("<{}>(deleted)", gone.display()))
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
