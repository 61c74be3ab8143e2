//! Decoders as tables: a system call whose arguments print one after the other, each by
//! its kind, is a row of [`Arg`]s, and [`print_row`] prints it. The row owns what every such
//! decoder would otherwise write by hand: the `, ` between arguments, where the line stops
//! at entry (before the first argument the kernel fills, printed at exit), the address alone
//! for an output argument of a call that failed, and the widths of an i386 tracee's
//! registers (`long` is 32 bits there, a 64-bit offset takes two registers).

use super::structs;
use super::{Abi, Ctx, Step};
use crate::text::Xlat;

/// Prints the structure at an address.
pub type Printer = fn(&mut Ctx<'_>, u64);

/// How one argument prints. Each kind takes one register unless it says otherwise.
#[derive(Debug, Clone, Copy)]
pub enum Arg {
    /// A C `int`.
    Int,
    /// An `unsigned int`.
    Uint,
    /// A `long` (32 bits on i386).
    Long,
    /// An `unsigned long` (32 bits on i386).
    Ulong,
    /// A `loff_t`: one register on x86_64, two (low, high) on i386.
    Loff,
    /// A number in hex (`%#lx`).
    Hex,
    /// An `unsigned int` in hex (`%#x`: flags no table names).
    Hex32,
    /// An address: `NULL` or hex.
    Ptr,
    /// A user or group id: `-1` for "unchanged".
    Id,
    /// A process id (an `int`; with `-Y`, followed by the process's command name).
    Pid,
    /// A file descriptor (with `-y`, its path).
    Fd,
    /// A descriptor a path is relative to: `AT_FDCWD` or a descriptor.
    Dirfd,
    /// A path (not limited by `-s`).
    Path,
    /// A NUL-terminated string limited by `-s`.
    Str,
    /// A file mode (`0644`, `S_IFREG|0644`).
    Mode,
    /// Two registers: a `mknod` mode and, for a device node, its number.
    ModeDev,
    /// Two registers: `open` flags and, when they create a file, its mode.
    OpenFlags,
    /// A signal number.
    Signal,
    /// A constant from a table (an `int`), unknown ones in hex with `/* dflt */` (`printxval`).
    Const(Xlat, &'static str),
    /// A constant from a table (an `int`), unknown ones in decimal (`printxval_d`).
    ConstDec(Xlat, &'static str),
    /// A set of flags from a table (an `int`).
    Flags(Xlat, &'static str),
    /// A set of flags from a table, all 64 bits.
    Flags64(Xlat, &'static str),
    /// Two registers: a buffer the call reads and its length (`"abc", 3`).
    Sent,
    /// Two registers: a buffer the call fills and its size, printed at exit: the bytes
    /// received (the return value), limited by `-s`.
    Received,
    /// A signal set whose size in bytes is the argument at that index.
    Sigset(usize),
    /// A socket address whose length is the argument at that index.
    Sockaddr(usize),
    /// A structure the call reads.
    In(Printer),
    /// A structure the call fills, printed at exit (its address when the call failed).
    Out(Printer),
    /// Printed at exit, by a printer that knows what a failed call left.
    AtExit(Printer),
    /// [`Arg::Sigset`] filled by the call, printed at exit.
    OutSigset(usize),
    /// No register: what the call reported, printed after the return value (`= 1 (out
    /// [4])`) by a printer that sets `ctx.rextra` at exit.
    Returned(fn(&mut Ctx<'_>)),
}

impl Arg {
    /// Printed at exit: the kernel fills it.
    fn at_exit(self) -> bool {
        matches!(
            self,
            Arg::Received | Arg::Out(_) | Arg::AtExit(_) | Arg::OutSigset(_) | Arg::Returned(_)
        )
    }

    /// Printed among the arguments (not after the return value).
    fn in_line(self) -> bool {
        !matches!(self, Arg::Returned(_))
    }

    /// How many registers it takes.
    fn registers(self, abi: Abi) -> usize {
        match self {
            Arg::Sent | Arg::Received | Arg::ModeDev | Arg::OpenFlags => 2,
            Arg::Loff if abi == Abi::I386 => 2,
            Arg::Returned(_) => 0,
            _ => 1,
        }
    }
}

/// Prints the arguments of `row`: at entry those before the first one printed at exit
/// (then [`Step::Exit`] when there is one), at exit the rest.
pub fn print_row(ctx: &mut Ctx<'_>, row: &[Arg]) -> Step {
    let split = row.iter().position(|a| a.at_exit()).unwrap_or(row.len());
    let (mut reg, range) = if ctx.exiting {
        let reg = row[..split].iter().map(|a| a.registers(ctx.abi)).sum();
        (reg, split..row.len())
    } else {
        (0, 0..split)
    };
    let first = range.start;
    for k in range {
        if k > first && row[k].in_line() {
            ctx.comma();
        }
        print_arg(ctx, row[k], reg);
        reg += row[k].registers(ctx.abi);
    }
    if ctx.exiting || split == row.len() {
        Step::Decoded
    } else {
        if split > 0 && row[split].in_line() {
            ctx.comma();
        }
        Step::Exit
    }
}

/// Prints argument `arg`, from register `i`.
fn print_arg(ctx: &mut Ctx<'_>, arg: Arg, i: usize) {
    // `Returned` takes no register and may come after the last one.
    let v = ctx.args.get(i).copied().unwrap_or(0);
    match arg {
        Arg::Int => ctx.int(i),
        Arg::Uint => ctx.uint(i),
        Arg::Long => ctx.long(i),
        Arg::Ulong => ctx.ulong(i),
        Arg::Loff => {
            let off = match ctx.abi {
                Abi::X86_64 => v as i64,
                Abi::I386 => (v & 0xffff_ffff | ctx.arg(i + 1) << 32) as i64,
            };
            ctx.push(&off.to_string());
        }
        Arg::Hex => ctx.hex(i),
        Arg::Hex32 => ctx.hex_value(v & 0xffff_ffff),
        Arg::Ptr => ctx.ptr(i),
        Arg::Id => match v as u32 {
            u32::MAX => ctx.push("-1"),
            id => ctx.push(&id.to_string()),
        },
        Arg::Pid => ctx.pid_arg(v as i32),
        Arg::Fd => ctx.fd(i),
        Arg::Dirfd => ctx.dirfd(i),
        Arg::Path => ctx.path(i),
        Arg::Str => ctx.cstr(i),
        Arg::Mode => structs::mode_arg(ctx, v),
        Arg::ModeDev => super::file::mode_and_device(ctx, v, ctx.arg(i + 1)),
        Arg::OpenFlags => super::file::open_flags_and_mode(ctx, v, ctx.arg(i + 1)),
        Arg::Signal => structs::signo(ctx, i64::from(v as i32)),
        Arg::Const(table, dflt) => ctx.xval(table, u64::from(v as u32), dflt),
        Arg::ConstDec(table, dflt) => ctx.xval_dec(table, u64::from(v as u32), dflt),
        Arg::Flags(table, dflt) => ctx.flags(table, u64::from(v as u32), dflt),
        Arg::Flags64(table, dflt) => ctx.flags(table, v, dflt),
        Arg::Sent => {
            ctx.buf(v, ctx.arg(i + 1));
            ctx.comma();
            ctx.ulong(i + 1);
        }
        Arg::Received => ctx.received(i),
        Arg::Sigset(size) => structs::sigmask(ctx, v, ctx.arg(size)),
        Arg::Sockaddr(len) => structs::sockaddr(ctx, v, ctx.arg(len) & 0xffff_ffff),
        Arg::In(print) => print(ctx, v),
        Arg::Out(print) => ctx.out_arg(i, print),
        Arg::AtExit(print) => print(ctx, v),
        Arg::OutSigset(size) => ctx.out_arg(i, |c, addr| structs::sigmask(c, addr, c.arg(size))),
        Arg::Returned(print) => print(ctx),
    }
}

/// Whether a call of `row` touches one of `paths` (strace's `-P`): a path argument naming
/// it as given, or a descriptor argument open on it.
pub fn row_touches(ctx: &Ctx<'_>, row: &[Arg], paths: &[Vec<u8>]) -> bool {
    let mut reg = 0;
    for &arg in row {
        let v = ctx.args.get(reg).copied().unwrap_or(0);
        let hit = match arg {
            Arg::Path => path_is(ctx, v, paths),
            Arg::Fd | Arg::Dirfd => fd_is(ctx, v as i32, paths),
            _ => false,
        };
        if hit {
            return true;
        }
        reg += arg.registers(ctx.abi);
    }
    false
}

/// Whether the string at `addr` is one of `paths`.
pub fn path_is(ctx: &Ctx<'_>, addr: u64, paths: &[Vec<u8>]) -> bool {
    addr != 0
        && ctx
            .mem
            .read_cstr(addr, 4096)
            .is_ok_and(|(s, done)| done && paths.contains(&s))
}

/// Whether descriptor `fd` of the tracee is open on one of `paths`.
pub fn fd_is(ctx: &Ctx<'_>, fd: i32, paths: &[Vec<u8>]) -> bool {
    use std::os::unix::ffi::OsStrExt;
    fd >= 0
        && std::fs::read_link(format!("/proc/{}/fd/{fd}", ctx.pid.0))
            .is_ok_and(|p| paths.iter().any(|q| q == p.as_os_str().as_bytes()))
}
