//! Argument and return value decoding, in strace's format.
//!
//! A decoder runs at syscall entry and prints the arguments known then; it returns
//! [`Step::Exit`] when it must run again at exit to print output arguments (strace's
//! `entering()`/`exiting()` split, which decides where `<unfinished ...>` cuts a line).
//! Most decoders are rows of argument kinds ([`table`]); calls with more logic (`ioctl`,
//! `fcntl`, `clone`, `futex`, ...) are functions. Both read the tracee's memory through
//! [`TraceeMemory`] and its ABI from [`Ctx::abi`], so the unit tests (`tests/`) feed them
//! recorded memory instead of a process.

use std::fmt::Write as _;

use tracekit_ptrace::Pid;

use crate::text::{self, HexMode, Xlat, XlatStyle};

mod admin;
mod aio;
mod bpf;
mod calls_xlat;
mod cbpf;
mod cbpf_xlat;
mod cmsg;
mod file;
mod ioctl;
mod ipc;
mod keys;
mod memory;
mod mmsg;
mod net;
mod net_xlat;
mod netlink;
pub(crate) mod netlink_xlat;
mod numa;
mod perf;
mod perf_xlat;
pub(crate) mod process;
pub(crate) use process::user_desc_text;
mod ptrace;
mod ptrace_xlat;
pub(crate) mod signal;
mod sockaddr;
pub mod structs;
mod system;
pub mod table;
#[cfg(test)]
mod tests;
pub mod tracee;
mod uring;

pub use ipc::semctl_indirect as ipc_semctl_indirect;
pub use tracee::{Ptrace, TraceeMemory};

pub(crate) use file::statfs64_i386;
pub(crate) use ioctl::{audit_arch_text, syscall_name_text};

/// `decode-fds=path`: a descriptor's path (`3</etc/passwd>`).
pub const FD_PATH: u8 = 1;
/// `decode-fds=socket`: a socket's protocol and addresses.
pub const FD_SOCKET: u8 = 2;
/// `decode-fds=dev`: a device's type and numbers (`</dev/null<char 1:3>>`).
pub const FD_DEV: u8 = 4;
/// `decode-fds=pidfd`: the process a pidfd names (`<pid:1234>`).
pub const FD_PIDFD: u8 = 8;
/// `-yy`, `decode-fds=all`.
pub const FD_ALL: u8 = FD_PATH | FD_SOCKET | FD_DEV | FD_PIDFD;

/// Options that change how arguments are printed.
#[derive(Debug, Clone)]
pub struct DecodeOpts {
    /// `-s`: longest string printed.
    pub max_strlen: usize,
    /// `-x`/`-xx`.
    pub hex: HexMode,
    /// `-X`.
    pub xlat: XlatStyle,
    /// `-v`: structures in full.
    pub verbose: bool,
    /// `-e kvm=vcpu`: `KVM_RUN`'s exit reason after its return value.
    pub kvm_vcpu: bool,
    /// What `-y`/`-yy`/`-e decode-fds=` decorate descriptors with: a set of [`FD_PATH`],
    /// [`FD_SOCKET`], [`FD_DEV`], [`FD_PIDFD`] (`-y` is the path, `-yy` all).
    pub decode_fds: u8,
    /// `-Y`: process ids followed by the process's command name (`1234<sleep>`).
    pub pid_comm: bool,
    /// `--pidns-translation`: a tracee's process ids followed by strace-rs's for them.
    pub pidns: bool,
    /// The call is in `-e verbose=`'s set (the default): structures are decoded; outside it
    /// the decoders that honour it (strace's `verbose(tcp)`) print their addresses.
    pub structs: bool,
}

impl Default for DecodeOpts {
    fn default() -> Self {
        DecodeOpts {
            max_strlen: 32,
            hex: HexMode::None,
            xlat: XlatStyle::Abbrev,
            verbose: false,
            kvm_vcpu: false,
            decode_fds: 0,
            pid_comm: false,
            pidns: false,
            structs: true,
        }
    }
}

/// Whether a decoder is done after entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Everything printed (strace's `RVAL_DECODED`).
    Decoded,
    /// Call again at exit.
    Exit,
}

/// How the return value is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Rval {
    /// Signed decimal.
    #[default]
    Dec,
    /// `%#lx`.
    Hex,
    /// `%#lo`.
    Oct,
    /// Unsigned decimal.
    Udec,
    /// A file descriptor (decorated with `-y`).
    Fd,
    /// A process id (decorated with `-Y`).
    Pid,
}

/// The tracee's system call ABI: how wide its registers, pointers and `long`s are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Abi {
    /// 64-bit.
    #[default]
    X86_64,
    /// 32-bit (`int $0x80`, or a 32-bit program).
    I386,
}

/// One syscall being decoded.
#[derive(Debug)]
pub struct Ctx<'a> {
    /// The thread.
    pub pid: Pid,
    /// Its memory.
    pub mem: &'a dyn TraceeMemory,
    /// The syscall number.
    pub nr: u64,
    /// Its arguments.
    pub args: [u64; 6],
    /// The ABI it was made in.
    pub abi: Abi,
    /// Stack pointer at entry (for rt_sigreturn).
    pub sp: u64,
    /// False at entry, true at exit.
    pub exiting: bool,
    /// Return value (at exit).
    pub rval: i64,
    /// The call failed (at exit).
    pub error: bool,
    /// Printing options.
    pub opts: &'a DecodeOpts,
    /// The text printed so far.
    pub out: String,
    /// How to print the return value.
    pub rfmt: Rval,
    /// Text after the return value (` (flags O_RDWR)`).
    pub rextra: String,
    /// State carried from entry to exit.
    pub stash: u64,
    /// More state carried from entry to exit (recvmmsg's `msg_namelen`s, perf_event_open's attributes).
    pub stash_bytes: Vec<u8>,
}

impl<'a> Ctx<'a> {
    /// A context for `nr` with `args`.
    pub fn new(
        pid: Pid,
        mem: &'a dyn TraceeMemory,
        nr: u64,
        args: [u64; 6],
        opts: &'a DecodeOpts,
    ) -> Ctx<'a> {
        Ctx {
            pid,
            mem,
            nr,
            args,
            abi: Abi::X86_64,
            sp: 0,
            exiting: false,
            rval: 0,
            error: false,
            opts,
            out: String::new(),
            rfmt: Rval::Dec,
            rextra: String::new(),
            stash: 0,
            stash_bytes: Vec::new(),
        }
    }

    /// A context for printing a part of this call's text elsewhere (after the return
    /// value, say): same call, same memory, empty text.
    pub fn scratch(&self) -> Ctx<'a> {
        Ctx {
            abi: self.abi,
            ..Ctx::new(self.pid, self.mem, self.nr, self.args, self.opts)
        }
    }

    /// Argument `i` (its register, zero-extended on i386).
    pub fn arg(&self, i: usize) -> u64 {
        self.args[i]
    }

    /// Argument `i` as a C `int`.
    pub fn arg_int(&self, i: usize) -> i32 {
        self.args[i] as i32
    }

    /// Appends literal text.
    pub fn push(&mut self, s: &str) {
        self.out.push_str(s);
    }

    /// `, `: between two arguments, or two fields.
    pub fn comma(&mut self) {
        self.out.push_str(", ");
    }

    /// A signed int argument.
    pub fn int(&mut self, i: usize) {
        let v = self.arg_int(i);
        let _ = write!(self.out, "{v}");
    }

    /// A signed long argument (32 bits on i386).
    pub fn long(&mut self, i: usize) {
        let v = match self.abi {
            Abi::X86_64 => self.arg(i) as i64,
            Abi::I386 => i64::from(self.arg(i) as i32),
        };
        let _ = write!(self.out, "{v}");
    }

    /// Whether this call is `getsockopt` (on either ABI).
    pub fn nr_is_getsockopt(&self) -> bool {
        match self.abi {
            Abi::X86_64 => self.nr == 55,
            Abi::I386 => self.nr == 365,
        }
    }

    /// A value as a C `int`.
    pub fn int_value(&mut self, v: u64) {
        let _ = write!(self.out, "{}", v as u32 as i32);
    }

    /// An unsigned long argument (32 bits on i386).
    pub fn ulong(&mut self, i: usize) {
        let v = match self.abi {
            Abi::X86_64 => self.arg(i),
            Abi::I386 => u64::from(self.arg(i) as u32),
        };
        let _ = write!(self.out, "{v}");
    }

    /// An unsigned int argument.
    pub fn uint(&mut self, i: usize) {
        let v = self.arg(i) as u32;
        let _ = write!(self.out, "{v}");
    }

    /// A hex argument (`%#lx`).
    pub fn hex(&mut self, i: usize) {
        self.hex_value(self.arg(i));
    }

    /// A value in hex (`%#lx`: `0` for zero).
    pub fn hex_value(&mut self, v: u64) {
        let _ = write!(self.out, "{}", text::Hx(v));
    }

    /// A pointer: `NULL` or hex.
    pub fn ptr(&mut self, i: usize) {
        let v = self.arg(i);
        self.addr(v);
    }

    /// An address value.
    pub fn addr(&mut self, v: u64) {
        if v == 0 {
            self.out.push_str("NULL");
        } else {
            let _ = write!(self.out, "{v:#x}");
        }
    }

    /// A process id (with `-Y`, `1234<comm>`).
    pub fn pid_arg(&mut self, pid: i32) {
        self.pid_of_kind(pid, crate::pidns::Kind::Tgid);
    }

    /// A process, thread, group or session id (`kind`), translated with
    /// `--pidns-translation`.
    pub fn pid_of_kind(&mut self, pid: i32, kind: crate::pidns::Kind) {
        if self.opts.pid_comm {
            text::pid_with_comm(&mut self.out, pid);
        } else {
            let _ = write!(self.out, "{pid}");
        }
        if self.opts.pidns {
            crate::pidns::comment(&mut self.out, self.pid.0, pid, kind);
        }
    }

    /// A file descriptor argument (with `-y` decoration).
    pub fn fd(&mut self, i: usize) {
        let fd = self.arg_int(i);
        self.fd_val(fd);
    }

    /// Prints a file descriptor value.
    pub fn fd_val(&mut self, fd: i32) {
        let _ = write!(self.out, "{fd}");
        if let Some(d) = structs::fd_decoration(self.pid, fd, self.opts.decode_fds, self.opts.hex) {
            self.out.push_str(&d);
        }
    }

    /// A `dirfd` argument: `AT_FDCWD` or a descriptor.
    pub fn dirfd(&mut self, i: usize) {
        if self.arg_int(i) == -100 {
            // strace's print_dirfd: the constant in the -X style, then (with -y's path) the
            // working directory.
            match self.opts.xlat {
                XlatStyle::Raw => self.out.push_str("-100"),
                XlatStyle::Verbose => self.out.push_str("-100 /* AT_FDCWD */"),
                XlatStyle::Abbrev => self.out.push_str("AT_FDCWD"),
            }
            if self.opts.decode_fds & FD_PATH != 0 {
                let dir = crate::pidns::proc_dir(self.pid.0);
                if let Ok(cwd) = std::fs::read_link(format!("/proc/{dir}/cwd")) {
                    self.out.push('<');
                    text::angle_quoted(
                        &mut self.out,
                        cwd.as_os_str().as_encoded_bytes(),
                        self.opts.hex,
                    );
                    self.out.push('>');
                }
            }
        } else {
            self.fd(i);
        }
    }

    /// A constant from `table`, an unknown value in hex (strace's `printxval`:
    /// `0x10 /* RLIMIT_??? */`).
    pub fn xval(&mut self, table: Xlat, v: u64, dflt: &str) {
        text::xval(&mut self.out, self.opts.xlat, table, v, dflt, true);
    }

    /// A constant from `table`, an unknown value in decimal (strace's `printxval_d`).
    pub fn xval_dec(&mut self, table: Xlat, v: u64, dflt: &str) {
        text::xval(&mut self.out, self.opts.xlat, table, v, dflt, false);
    }

    /// A flag set from `table`.
    pub fn flags(&mut self, table: Xlat, v: u64, dflt: &str) {
        text::flags(&mut self.out, self.opts.xlat, table, v, dflt);
    }

    /// A value made of a kind, in the bits of `mask`, and flags in the others:
    /// `SOCK_DGRAM|SOCK_CLOEXEC`, `MAP_PRIVATE|MAP_ANONYMOUS`; `hex` prints an unknown
    /// kind in hex.
    pub fn kind_and_flags(
        &mut self,
        v: u64,
        mask: u64,
        kinds: (Xlat, &str),
        flags: Xlat,
        hex: bool,
    ) {
        text::xval(
            &mut self.out,
            self.opts.xlat,
            kinds.0,
            v & mask,
            kinds.1,
            hex,
        );
        if v & !mask != 0 {
            self.out.push('|');
            self.flags(flags, v & !mask, "");
        }
    }

    /// Reads `len` bytes of tracee memory; `None` when they are not all readable, or when
    /// `len` (which comes from the tracee: a count, a return value) is more than any buffer
    /// strace-rs shows or walks (16 MiB): a program passing `write(fd, buf, 1 << 60)` must
    /// not make the tracer allocate that.
    pub fn read_bytes(&self, addr: u64, len: usize) -> Option<Vec<u8>> {
        const MAX_READ: usize = 16 << 20;
        if len > MAX_READ {
            return None;
        }
        let mut buf = vec![0u8; len];
        self.mem.read_exact(addr, &mut buf).ok()?;
        Some(buf)
    }

    /// Reads a plain value.
    pub fn read<T: tracee::Pod>(&self, addr: u64) -> Option<T> {
        if addr == 0 {
            return None;
        }
        self.mem.read_val(addr).ok()
    }

    /// A path (up to PATH_MAX, not limited by `-s`).
    pub fn path(&mut self, i: usize) {
        let addr = self.arg(i);
        self.path_at(addr);
    }

    /// A path at `addr`.
    pub fn path_at(&mut self, addr: u64) {
        if addr == 0 {
            self.out.push_str("NULL");
            return;
        }
        // A string cut by unreadable memory before its NUL prints as its address, as in
        // strace (umovestr fails); only one longer than the limit is cut with `...`.
        match self.mem.read_cstr(addr, 4096) {
            Ok((s, true)) => text::quote(&mut self.out, &s, self.opts.hex, false),
            Ok((s, false)) if s.len() >= 4096 => {
                // strace's printpathn: PATH_MAX - 1 bytes, then `...`.
                text::quote(&mut self.out, &s[..4095], self.opts.hex, false);
                self.out.push_str("...");
            }
            Ok((s, false)) => {
                // Readable bytes, then unreadable memory: strace's umovestr says so.
                eprintln!(
                    "{}: umovestr: short read ({} < 4096) @{addr:#x}: Bad address",
                    crate::progname(),
                    s.len()
                );
                let _ = write!(self.out, "{addr:#x}");
            }
            _ => {
                let _ = write!(self.out, "{addr:#x}");
            }
        }
    }

    /// A NUL-terminated string limited by `-s` (strace's `printstr`).
    pub fn cstr(&mut self, i: usize) {
        let addr = self.arg(i);
        self.cstr_at(addr);
    }

    /// A NUL-terminated string at `addr`, limited by `-s`.
    pub fn cstr_at(&mut self, addr: u64) {
        self.cstr_at_most(addr, self.opts.max_strlen);
    }

    /// A NUL-terminated string at `addr` of at most `max` bytes (`-s` or a smaller limit
    /// of the call's own, strace's `printstr_ex` with a length): `max` bytes without a NUL
    /// print with `...`, fewer cut by unreadable memory print as the address.
    pub fn cstr_at_most(&mut self, addr: u64, max: usize) {
        if addr == 0 {
            self.out.push_str("NULL");
            return;
        }
        match self.mem.read_cstr(addr, max) {
            Ok((s, terminated)) if terminated || s.len() >= max => {
                text::quote(&mut self.out, &s, self.opts.hex, false);
                if !terminated {
                    self.out.push_str("...");
                }
            }
            _ => {
                let _ = write!(self.out, "{addr:#x}");
            }
        }
    }

    /// A string the kernel reads into a buffer of `size` bytes (strace's `printstr_ex` with
    /// that size): without a NUL in its first `size` bytes, those bytes and `...` (a NUL
    /// just after them does not count); cut by unreadable memory first, its address.
    pub fn cstr_sized(&mut self, addr: u64, size: usize) {
        if addr == 0 {
            self.out.push_str("NULL");
            return;
        }
        match self.mem.read_cstr(addr, size) {
            Ok((s, _)) if s.len() >= size => {
                text::quote(&mut self.out, &s[..size], self.opts.hex, false);
                self.out.push_str("...");
            }
            Ok((s, true)) => text::quote(&mut self.out, &s, self.opts.hex, false),
            _ => {
                let _ = write!(self.out, "{addr:#x}");
            }
        }
    }

    /// Strace's `printstr_ex` of `len` bytes, with `omit_nul` (`QUOTE_OMIT_TRAILING_0`) a NUL
    /// ending the shown bytes is left out.
    pub fn str_ex(&mut self, addr: u64, len: u64, omit_nul: bool) {
        if addr == 0 {
            self.push("NULL");
            return;
        }
        let max = self.opts.max_strlen as u64;
        let Some(b) = self.read_bytes(addr, len.min(max + 1) as usize) else {
            self.addr(addr);
            return;
        };
        let n = (len.min(max)) as usize;
        let b = &b[..n];
        if omit_nul && n > 0 && b[n - 1] == 0 {
            text::quote(&mut self.out, &b[..n - 1], self.opts.hex, false);
            return;
        }
        text::quote(&mut self.out, b, self.opts.hex, false);
        if len > max {
            self.push("...");
        }
    }

    /// A buffer of `len` bytes limited by `-s` (strace's `printstrn`).
    pub fn buf(&mut self, addr: u64, len: u64) {
        self.buf_ex(addr, len, false);
    }

    /// Like [`Ctx::buf`]; `force_hex` prints every byte as `\x`.
    pub fn buf_ex(&mut self, addr: u64, len: u64, force_hex: bool) {
        if addr == 0 {
            self.out.push_str("NULL");
            return;
        }
        let max = self.opts.max_strlen as u64;
        // Like strace's printstr_ex: one byte past the limit is read too, and a buffer
        // that can't be read that far prints as its address.
        let n = len.min(max + 1) as usize;
        let mut data = vec![0u8; n];
        match self.mem.read(addr, &mut data) {
            Ok(k) if k == n => {
                data.truncate(len.min(max) as usize);
                text::quote(&mut self.out, &data, self.opts.hex, force_hex);
                if len > max {
                    self.out.push_str("...");
                }
            }
            _ => {
                let _ = write!(self.out, "{addr:#x}");
            }
        }
    }

    /// `n` elements of `size` bytes at `addr`, each read on its own and printed by `elem`
    /// (strace's `print_array_ex`): `NULL`; `[]`; the address alone when the array would wrap
    /// around the address space or its first element cannot be read; `... /* 0x1000 */` at
    /// the first unreadable element after that; without `-v`, at most `-s` elements, then
    /// `...`. False when not all were walked (NULL, none, unreadable).
    pub fn array(
        &mut self,
        addr: u64,
        n: u64,
        size: u64,
        elem: &mut dyn FnMut(&mut Self, &[u8]),
    ) -> bool {
        if addr == 0 {
            self.out.push_str("NULL");
            return false;
        }
        if n == 0 {
            self.out.push_str("[]");
            return false;
        }
        if n.checked_mul(size)
            .and_then(|total| addr.checked_add(total))
            .is_none()
        {
            self.addr(addr);
            return false;
        }
        let max = self.opts.max_strlen as u64;
        let limit = if !self.opts.verbose && max < n {
            max
        } else {
            n
        };
        for i in 0..n {
            let at = addr + size * i;
            if i > 0 {
                self.comma();
            }
            let Some(b) = self.read_bytes(at, size as usize) else {
                if i == 0 {
                    self.addr(at);
                    return false;
                }
                let _ = write!(self.out, "... /* {at:#x} */]");
                return false;
            };
            if i == 0 {
                self.out.push('[');
            }
            if i >= limit {
                self.out.push_str("...]");
                return true;
            }
            elem(self, &b);
        }
        self.out.push(']');
        true
    }

    /// `[number]` of type `T` at `addr` (strace's `printnum_*`); the address when it
    /// can't be read.
    pub fn num_ptr<T: tracee::Pod + std::fmt::Display>(&mut self, addr: u64) {
        match self.read::<T>(addr) {
            Some(v) => {
                let _ = write!(self.out, "[{v}]");
            }
            None => self.addr(addr),
        }
    }

    /// `[int]` at `addr` (strace's `printnum_int`).
    pub fn int_ptr(&mut self, addr: u64) {
        self.num_ptr::<i32>(addr);
    }

    /// `[unsigned long]` at `addr`.
    pub fn u64_ptr(&mut self, addr: u64) {
        self.num_ptr::<u64>(addr);
    }

    /// An output argument, at exit: its address alone when the call failed (the kernel
    /// wrote nothing there), else what `print` makes of the memory it points to.
    pub fn out_arg(&mut self, i: usize, print: impl FnOnce(&mut Self, u64)) {
        if self.error {
            self.ptr(i);
        } else {
            print(self, self.arg(i));
        }
    }

    /// The buffer a read-like call filled (argument `i`) and its size (argument `i + 1`):
    /// the `rval` bytes received, limited by `-s`, or the buffer's address alone (`NULL` or
    /// hex, strace's `printaddr`) when the call failed.
    pub fn received(&mut self, i: usize) {
        if self.error {
            self.ptr(i);
        } else {
            self.buf(self.arg(i), self.rval as u64);
        }
        self.comma();
        self.ulong(i + 1);
    }
}

/// A decoder: a row of argument kinds, or a function for a call with more logic.
#[derive(Debug, Clone, Copy)]
pub enum Decoder {
    /// Arguments printed one after the other ([`table::print_row`]).
    Row(&'static [table::Arg]),
    /// A function.
    Func(fn(&mut Ctx<'_>) -> Step),
}

impl Decoder {
    /// Decodes at entry or exit (`ctx.exiting`).
    pub fn run(self, ctx: &mut Ctx<'_>) -> Step {
        match self {
            Decoder::Row(row) => table::print_row(ctx, row),
            Decoder::Func(f) => f(ctx),
        }
    }
}

/// Whether a call touches one of `paths` (`-P`): through a path or descriptor argument of
/// its row, or for the calls decoded by functions, their descriptor arguments.
pub fn touches_paths(
    ctx: &Ctx<'_>,
    decoder: Option<Decoder>,
    name: &str,
    paths: &[Vec<u8>],
) -> bool {
    match name {
        // The descriptors in the three sets (strace's match_xselect_args).
        "select" | "pselect6" => {
            let (n, size) = structs::fdset_bounds(ctx, ctx.arg(0));
            return size > 0
                && (1..=3).any(|i| {
                    let addr = ctx.arg(i);
                    addr != 0
                        && ctx.read_bytes(addr, size).is_some_and(|bits| {
                            structs::fdset_members(&bits, n)
                                .any(|fd| table::fd_is(ctx, fd as i32, paths))
                        })
                });
        }
        // Each pollfd's descriptor, up to the first unreadable one.
        "poll" | "ppoll" => {
            let n = (ctx.arg(1) as u32).min(1024 * 1024) as u64;
            let start = ctx.arg(0);
            return start.checked_add(8 * n).is_some()
                && (0..n)
                    .map_while(|i| ctx.read::<i32>(start + 8 * i))
                    .any(|fd| table::fd_is(ctx, fd, paths));
        }
        // FSCONFIG_SET_PATH and _PATH_EMPTY name a path and a descriptor; _SET_FD a descriptor.
        "fsconfig" => {
            return match ctx.arg(1) as u32 {
                3 | 4 => {
                    table::fd_is(ctx, ctx.arg_int(4), paths)
                        || table::path_is(ctx, ctx.arg(3), paths)
                }
                5 => table::fd_is(ctx, ctx.arg_int(4), paths),
                _ => false,
            };
        }
        _ => {}
    }
    if let Some(Decoder::Row(row)) = decoder {
        return table::row_touches(ctx, row, paths);
    }
    let fds: &[usize] = match name {
        "fcntl" | "fcntl64" | "ioctl" | "accept" | "accept4" | "getsockname" | "getpeername"
        | "recvfrom" | "sendto" | "recvmsg" | "setsockopt" | "getsockopt" | "quotactl_fd" => &[0],
        "quotactl" => return table::path_is(ctx, ctx.arg(1), paths),
        "sendfile" | "sendfile64" => &[0, 1],
        "epoll_ctl" => &[0, 2],
        _ => &[],
    };
    fds.iter()
        .any(|&i| table::fd_is(ctx, ctx.arg_int(i), paths))
}

/// Prints the arguments of a syscall strace does not decode: `nargs` hex values.
pub fn raw_args(ctx: &mut Ctx<'_>, nargs: usize) -> Step {
    for i in 0..nargs {
        if i > 0 {
            ctx.comma();
        }
        ctx.hex(i);
    }
    Step::Decoded
}

/// The decoder for a syscall name, if it has one.
pub fn decoder(name: &str) -> Option<Decoder> {
    file::decoder(name)
        .or_else(|| memory::decoder(name))
        .or_else(|| process::decoder(name))
        .or_else(|| signal::decoder(name))
        .or_else(|| net::decoder(name))
        .or_else(|| system::decoder(name))
        .or_else(|| system::decoder_more(name))
        .or_else(|| admin::decoder(name))
        .or_else(|| ipc::decoder(name))
        .or_else(|| numa::decoder(name))
        .or_else(|| keys::decoder(name))
        .or_else(|| uring::decoder(name))
        .or_else(|| bpf::decoder(name))
        .or_else(|| cbpf::decoder(name))
        .or_else(|| ptrace::decoder(name))
        .or_else(|| mmsg::decoder(name))
        .or_else(|| aio::decoder(name))
        .or_else(|| perf::decoder(name))
}

/// Syscalls whose return value is printed specially.
pub fn default_rval(name: &str) -> Rval {
    match name {
        "brk" | "mmap" | "mremap" | "shmat" | "personality" => Rval::Hex,
        "times" => Rval::Udec,
        "getpid" | "getppid" | "gettid" | "getpgrp" | "getpgid" | "getsid" | "setsid" | "fork"
        | "vfork" | "clone" | "clone3" | "wait4" => Rval::Pid,
        "umask" => Rval::Oct,
        "open"
        | "openat"
        | "openat2"
        | "creat"
        | "dup"
        | "dup2"
        | "dup3"
        | "socket"
        | "accept"
        | "accept4"
        | "epoll_create"
        | "epoll_create1"
        | "eventfd"
        | "eventfd2"
        | "signalfd"
        | "signalfd4"
        | "timerfd_create"
        | "memfd_create"
        | "inotify_init"
        | "inotify_init1"
        | "pidfd_open"
        | "open_tree"
        | "fsopen"
        | "fsmount"
        | "fspick"
        | "mount_setattr"
        | "userfaultfd"
        | "perf_event_open"
        | "fanotify_init"
        | "bpf_fd"
        | "io_uring_setup"
        | "pidfd_getfd"
        | "open_by_handle_at"
        | "memfd_secret"
        | "landlock_create_ruleset" => Rval::Fd,
        _ => Rval::Dec,
    }
}

/// Appends the return value text (`= 3</etc/passwd>`, `= -1 ENOENT (...)`), without `= `.
pub fn format_rval(ctx: &Ctx<'_>, out: &mut String) {
    if ctx.error {
        let e = (-ctx.rval) as u64;
        match crate::errno_names::errno_name(e) {
            Some(name) => {
                let restart = matches!(e, 512..=516);
                if restart {
                    let _ = write!(out, "? {name} ({})", restart_msg(e));
                } else {
                    let _ = write!(out, "-1 {name} ({})", strerror(e as i32));
                }
            }
            None => {
                let _ = write!(out, "-1 E??? ({})", strerror(e as i32));
            }
        }
        return;
    }
    let v = ctx.rval;
    match ctx.rfmt {
        // strace's default, RVAL_UDECIMAL: unsigned (an injected `retval=` can be above
        // i64::MAX), of 32 bits for i386.
        Rval::Dec if ctx.abi == Abi::I386 => {
            let _ = write!(out, "{}", v as u32);
        }
        Rval::Dec => {
            let _ = write!(out, "{}", v as u64);
        }
        Rval::Hex => {
            let _ = write!(out, "{}", text::Hx(v as u64));
        }
        Rval::Oct => text::octal03(out, v as u64),
        Rval::Udec => {
            let _ = write!(out, "{}", v as u64);
        }
        Rval::Pid => {
            if ctx.opts.pid_comm {
                text::pid_with_comm(out, v as i32);
            } else {
                let _ = write!(out, "{v}");
            }
            if ctx.opts.pidns && !ctx.error {
                // getpgrp, getpgid, getsid (x86_64, i386) return a group or session.
                let kind = match (ctx.abi, ctx.nr) {
                    (Abi::X86_64, 111 | 121) | (Abi::I386, 65 | 132) => crate::pidns::Kind::Pgid,
                    (Abi::X86_64, 124) | (Abi::I386, 147) => crate::pidns::Kind::Sid,
                    (Abi::X86_64, 186) | (Abi::I386, 224) => crate::pidns::Kind::Tid,
                    _ => crate::pidns::Kind::Tgid,
                };
                crate::pidns::comment(out, ctx.pid.0, v as i32, kind);
            }
        }
        Rval::Fd => {
            let _ = write!(out, "{v}");
            if v >= 0 {
                if let Some(d) =
                    structs::fd_decoration(ctx.pid, v as i32, ctx.opts.decode_fds, ctx.opts.hex)
                {
                    out.push_str(&d);
                }
            }
        }
    }
    out.push_str(&ctx.rextra);
}

fn restart_msg(e: u64) -> &'static str {
    match e {
        512 => "To be restarted if SA_RESTART is set",
        513 => "To be restarted",
        514 => "To be restarted if no handler",
        516 => "Interrupted by signal",
        _ => "Unknown error",
    }
}

/// The C library's message for an errno value.
pub fn strerror(e: i32) -> String {
    let s = std::io::Error::from_raw_os_error(e).to_string();
    match s.rfind(" (os error") {
        Some(i) => s[..i].to_owned(),
        None => s,
    }
}
