//! `ptrace(request, pid, addr, data)` (strace's `ptrace.c` and `ptrace_syscall_info.c`):
//! the request, the arguments each request uses, and what the kernel writes back
//! (`PTRACE_GET_SYSCALL_INFO`, siginfo, signal masks, peeked words, seccomp filters).
//! Registers are x86_64's `user_regs_struct` and `user_fpregs_struct`, as far as a
//! register set's length covers them.

use std::fmt::Write as _;

use super::cbpf::{self, Flavour};
use super::ptrace_xlat as x;
use super::{Ctx, Decoder, Step};
use crate::text;

pub fn decoder(name: &str) -> Option<Decoder> {
    match name {
        "ptrace" => Some(Decoder::Func(ptrace)),
        _ => None,
    }
}

const TRACEME: u64 = 0;
const PEEKTEXT: u64 = 1;
const PEEKDATA: u64 = 2;
const PEEKUSER: u64 = 3;
const CONT: u64 = 7;
const KILL: u64 = 8;
const SINGLESTEP: u64 = 9;
const GETREGS: u64 = 12;
const SETREGS: u64 = 13;
const GETFPREGS: u64 = 14;
const SETFPREGS: u64 = 15;
const ATTACH: u64 = 16;
const DETACH: u64 = 17;
const SYSCALL: u64 = 24;
const SYSEMU: u64 = 31;
const SYSEMU_SINGLESTEP: u64 = 32;
const SINGLEBLOCK: u64 = 33;
const SETOPTIONS: u64 = 0x4200;
const GETEVENTMSG: u64 = 0x4201;
const GETSIGINFO: u64 = 0x4202;
const SETSIGINFO: u64 = 0x4203;
const GETREGSET: u64 = 0x4204;
const SETREGSET: u64 = 0x4205;
const SEIZE: u64 = 0x4206;
const INTERRUPT: u64 = 0x4207;
const LISTEN: u64 = 0x4208;
const PEEKSIGINFO: u64 = 0x4209;
const GETSIGMASK: u64 = 0x420a;
const SETSIGMASK: u64 = 0x420b;
const SECCOMP_GET_FILTER: u64 = 0x420c;
const SECCOMP_GET_METADATA: u64 = 0x420d;
const GET_SYSCALL_INFO: u64 = 0x420e;

/// `struct ptrace_syscall_info` ends: `arch`, `instruction_pointer`, `stack_pointer`,
/// `entry.nr`; the exit and seccomp variants' full sizes.
const END_ARCH: u64 = 8;
const END_IP: u64 = 16;
const END_SP: u64 = 24;
const END_NR: u64 = 32;
const EXIT_SIZE: u64 = 33;
const SECCOMP_SIZE: u64 = 84;

fn ptrace(ctx: &mut Ctx<'_>) -> Step {
    let request = ctx.arg(0);
    let (addr, data) = (ctx.arg(2), ctx.arg(3));
    if ctx.exiting {
        exit(ctx, request, addr, data);
        return Step::Decoded;
    }
    ctx.xval(x::PTRACE_CMDS, request, "PTRACE_???");
    if request == TRACEME {
        return Step::Decoded;
    }
    ctx.comma();
    ctx.pid_arg(ctx.arg_int(1));
    if matches!(request, ATTACH | INTERRUPT | KILL | LISTEN) {
        return Step::Decoded;
    }
    ctx.comma();
    match request {
        GETREGSET | SETREGSET => ctx.xval(x::NT_DESCRIPTOR_TYPES, addr, "NT_???"),
        GETSIGMASK | SETSIGMASK | SECCOMP_GET_FILTER | SECCOMP_GET_METADATA | GET_SYSCALL_INFO => {
            let _ = write!(ctx.out, "{addr}");
        }
        PEEKSIGINFO => peeksiginfo_args(ctx, addr),
        // The registers are at `data` (the address goes unprinted).
        GETREGS | GETFPREGS => return Step::Exit,
        SETREGS => {
            regs(ctx, data, PRSTATUS_SIZE);
            return Step::Decoded;
        }
        SETFPREGS => {
            fpregs(ctx, data, FPREGSET_SIZE);
            return Step::Decoded;
        }
        _ => ctx.addr(addr),
    }
    ctx.comma();
    match request {
        CONT | DETACH | SYSCALL | SINGLESTEP | SINGLEBLOCK | SYSEMU | SYSEMU_SINGLESTEP => {
            signal(ctx, data as i32);
        }
        SEIZE | SETOPTIONS => ctx.flags(x::PTRACE_SETOPTIONS_FLAGS, data, "PTRACE_O_???"),
        SETSIGINFO => siginfo(ctx, data),
        SETSIGMASK => sigmask(ctx, data, addr),
        GETREGSET => {
            // The iovec's length, to compare with what the kernel leaves there.
            ctx.stash = iovec(ctx, data).map_or(u64::MAX, |(_, len)| len);
            if ctx.stash == u64::MAX {
                ctx.addr(data);
                return Step::Decoded;
            }
            return Step::Exit;
        }
        SETREGSET => {
            let Some((base, len)) = iovec(ctx, data) else {
                ctx.addr(data);
                return Step::Decoded;
            };
            ctx.push("{iov_base=");
            regset(ctx, addr, base, len);
            let _ = write!(ctx.out, ", iov_len={len}");
            ctx.stash = len;
            return Step::Exit;
        }
        SECCOMP_GET_METADATA => {
            if addr < 8 {
                ctx.addr(data);
                return Step::Decoded;
            }
            match ctx.read::<u64>(data) {
                Some(off) => {
                    let _ = write!(ctx.out, "{{filter_off={off}");
                    return Step::Exit;
                }
                None => ctx.addr(data),
            }
        }
        PEEKDATA | PEEKTEXT | PEEKUSER | GETEVENTMSG | GETSIGINFO | GETSIGMASK | PEEKSIGINFO
        | SECCOMP_GET_FILTER | GET_SYSCALL_INFO => return Step::Exit,
        _ => ctx.addr(data),
    }
    Step::Decoded
}

fn exit(ctx: &mut Ctx<'_>, request: u64, addr: u64, data: u64) {
    let failed = ctx.error;
    match request {
        PEEKDATA | PEEKTEXT | PEEKUSER => out_num(ctx, data),
        GETEVENTMSG => out_num(ctx, data),
        GETSIGINFO if failed => ctx.addr(data),
        GETSIGINFO => siginfo(ctx, data),
        GETSIGMASK if failed => ctx.addr(data),
        GETSIGMASK => sigmask(ctx, data, addr),
        PEEKSIGINFO if failed => ctx.addr(data),
        PEEKSIGINFO => siginfo_array(ctx, data, ctx.rval as u64),
        SECCOMP_GET_FILTER if failed => ctx.addr(data),
        SECCOMP_GET_FILTER => cbpf::program(ctx, data, ctx.rval as u64, Flavour::Seccomp),
        SECCOMP_GET_METADATA => {
            let size = ctx.rval as u64;
            if !failed && size > 8 {
                ctx.comma();
                match ctx.read::<u64>(data + 8).filter(|_| size >= 16) {
                    Some(flags) => {
                        ctx.push("flags=");
                        ctx.flags(
                            super::cbpf_xlat::SECCOMP_FILTER_FLAGS,
                            flags,
                            "SECCOMP_FILTER_FLAG_???",
                        );
                        if size > 16 {
                            ctx.push(", ...");
                        }
                    }
                    None => ctx.push("???"),
                }
            }
            ctx.push("}");
        }
        GET_SYSCALL_INFO if failed => ctx.addr(data),
        GET_SYSCALL_INFO => syscall_info(ctx, data, addr),
        GETREGSET => {
            let old = ctx.stash;
            match iovec(ctx, data) {
                Some((base, len)) => {
                    ctx.push("{iov_base=");
                    regset(ctx, addr, base, len);
                    if len == old || failed {
                        let _ = write!(ctx.out, ", iov_len={old}}}");
                    } else {
                        let _ = write!(ctx.out, ", iov_len={old} => {len}}}");
                    }
                }
                None => ctx.addr(data),
            }
        }
        SETREGSET => {
            if let Some((_, len)) = iovec(ctx, data) {
                if len != ctx.stash {
                    let _ = write!(ctx.out, " => {len}");
                }
            }
            ctx.push("}");
        }
        GETREGS => regs(ctx, data, PRSTATUS_SIZE),
        GETFPREGS => fpregs(ctx, data, FPREGSET_SIZE),
        _ => {}
    }
}

/// `[word]` the kernel stored at `data`, the address after a failure.
fn out_num(ctx: &mut Ctx<'_>, data: u64) {
    if ctx.error {
        ctx.addr(data);
    } else {
        ctx.u64_ptr(data);
    }
}

/// A signal number argument (strace's `printsignal`): its name, `0`, or the number.
fn signal(ctx: &mut Ctx<'_>, sig: i32) {
    if (1..=64).contains(&sig) {
        let name = crate::signals::name(sig.into());
        text::named(&mut ctx.out, ctx.opts.xlat, &sig.to_string(), &name);
    } else {
        let _ = write!(ctx.out, "{sig}");
    }
}

/// A signal mask of `len` bytes at `addr` (strace's `print_sigset_addr_len`).
fn sigmask(ctx: &mut Ctx<'_>, addr: u64, len: u64) {
    if len != 8 || addr == 0 {
        ctx.addr(addr);
        return;
    }
    match ctx.read::<u64>(addr) {
        Some(mask) => {
            let s = crate::signals::sigset_styled(mask, 64, ctx.opts.xlat);
            ctx.push(&s);
        }
        None => ctx.addr(addr),
    }
}

/// `struct iovec` at `addr`: base and length.
fn iovec(ctx: &Ctx<'_>, addr: u64) -> Option<(u64, u64)> {
    ctx.read::<[u64; 2]>(addr).map(|[b, l]| (b, l))
}

/// `struct ptrace_peeksiginfo_args`: `{off=, flags=, nr=}`.
fn peeksiginfo_args(ctx: &mut Ctx<'_>, addr: u64) {
    match ctx.read::<[u32; 4]>(addr) {
        Some([lo, hi, flags, nr]) => {
            let off = u64::from(lo) | (u64::from(hi) << 32);
            let _ = write!(ctx.out, "{{off={off}, flags=");
            ctx.flags(
                x::PTRACE_PEEKSIGINFO_FLAGS,
                flags.into(),
                "PTRACE_PEEKSIGINFO_???",
            );
            let _ = write!(ctx.out, ", nr={nr}}}");
        }
        None => ctx.addr(addr),
    }
}

/// The `n` siginfos `PTRACE_PEEKSIGINFO` copied.
fn siginfo_array(ctx: &mut Ctx<'_>, addr: u64, n: u64) {
    let pidns = ctx.opts.pidns.then_some(ctx.pid.0);
    let style = ctx.opts.xlat;
    ctx.array(addr, n, 128, &mut |c, b| {
        let mut raw = [0u8; 128];
        raw.copy_from_slice(b);
        let si = tracekit_ptrace::SigInfo(raw);
        let s = crate::siginfo::format(&si, style, pidns);
        c.push(&s);
    });
}

/// `struct ptrace_syscall_info` as far as both the caller's buffer (`user_len`) and the
/// kernel's answer (the return value) reach.
fn syscall_info(ctx: &mut Ctx<'_>, addr: u64, user_len: u64) {
    let size = user_len.min(ctx.rval as u64).min(SECCOMP_SIZE);
    let Some(b) = ctx.read_bytes(addr, size as usize).filter(|_| size > 0) else {
        ctx.addr(addr);
        return;
    };
    let u64_at = |o: usize| u64::from_ne_bytes(b[o..o + 8].try_into().expect("8 bytes"));
    let op = b[0];
    ctx.push("{op=");
    ctx.xval(
        x::PTRACE_SYSCALL_INFO_OP,
        op.into(),
        "PTRACE_SYSCALL_INFO_???",
    );
    if size < END_ARCH {
        ctx.push("}");
        return;
    }
    let arch = u32::from_ne_bytes(b[4..8].try_into().expect("4 bytes"));
    ctx.push(", arch=");
    ctx.xval(super::ioctl::AUDIT_ARCH, arch.into(), "AUDIT_ARCH_???");
    if size >= END_IP {
        ctx.push(", instruction_pointer=");
        ctx.addr(u64_at(8));
    }
    if size >= END_SP {
        ctx.push(", stack_pointer=");
        ctx.addr(u64_at(16));
    }
    if size < END_NR {
        ctx.push("}");
        return;
    }
    match op {
        // PTRACE_SYSCALL_INFO_ENTRY, PTRACE_SYSCALL_INFO_SECCOMP
        1 | 3 => {
            ctx.push(", ");
            ctx.push(if op == 1 { "entry" } else { "seccomp" });
            ctx.push("={nr=");
            super::ioctl::syscall_name(ctx, u64_at(24), arch);
            let nargs = ((size - END_NR) / 8).min(6) as usize;
            if nargs > 0 {
                ctx.push(", args=[");
                for i in 0..nargs {
                    if i > 0 {
                        ctx.comma();
                    }
                    ctx.hex_value(u64_at(32 + 8 * i));
                }
                ctx.push("]");
            }
            if op == 3 && size >= SECCOMP_SIZE {
                let ret = u32::from_ne_bytes(b[80..84].try_into().expect("4 bytes"));
                let _ = write!(ctx.out, ", ret_data={ret}");
            }
            ctx.push("}");
        }
        // PTRACE_SYSCALL_INFO_EXIT
        2 => {
            let rval = u64_at(24) as i64;
            let is_error = size >= EXIT_SIZE && b[32] != 0;
            ctx.push(", exit={rval=");
            let name = crate::errno_names::errno_name(rval.unsigned_abs())
                .filter(|_| is_error && rval < 0);
            match name {
                Some(n) => text::named(
                    &mut ctx.out,
                    ctx.opts.xlat,
                    &rval.to_string(),
                    &format!("-{n}"),
                ),
                None => {
                    let _ = write!(ctx.out, "{rval}");
                }
            }
            if size >= EXIT_SIZE {
                let _ = write!(ctx.out, ", is_error={}", b[32]);
            }
            ctx.push("}");
        }
        _ => {}
    }
    ctx.push("}");
}

/// `struct user_regs_struct` and `struct user_fpregs_struct` (x86_64).
const PRSTATUS_SIZE: u64 = 216;
const FPREGSET_SIZE: u64 = 512;
const NT_PRSTATUS: u64 = 1;
const NT_FPREGSET: u64 = 2;

const REGS: [&str; 27] = [
    "r15", "r14", "r13", "r12", "rbp", "rbx", "r11", "r10", "r9", "r8", "rax", "rcx", "rdx", "rsi",
    "rdi", "orig_rax", "rip", "cs", "eflags", "rsp", "ss", "fs_base", "gs_base", "ds", "es", "fs",
    "gs",
];

/// The register set `nt` of `len` bytes at `base` (strace's `decode_regset`).
fn regset(ctx: &mut Ctx<'_>, nt: u64, base: u64, len: u64) {
    match nt {
        NT_PRSTATUS => regs(ctx, base, len),
        NT_FPREGSET => fpregs(ctx, base, len),
        _ => ctx.addr(base),
    }
}

/// The bytes of a register set of `size` (a multiple of 8) at `addr`, at most `full`;
/// the address when they can't be read (or at exit after a failure).
fn regs_bytes(ctx: &mut Ctx<'_>, addr: u64, size: u64, full: u64) -> Option<Vec<u8>> {
    let b = if size == 0 || size & 7 != 0 || (ctx.exiting && ctx.error) || addr == 0 {
        None
    } else {
        ctx.read_bytes(addr, size.min(full) as usize)
    };
    if b.is_none() {
        ctx.addr(addr);
    }
    b
}

/// `user_regs_struct`: the registers the length covers.
fn regs(ctx: &mut Ctx<'_>, addr: u64, size: u64) {
    let Some(b) = regs_bytes(ctx, addr, size, PRSTATUS_SIZE) else {
        return;
    };
    ctx.push("{");
    for (i, name) in REGS.iter().enumerate().take(b.len() / 8) {
        if i > 0 {
            ctx.comma();
        }
        let v = u64::from_ne_bytes(b[8 * i..8 * i + 8].try_into().expect("8 bytes"));
        let _ = write!(ctx.out, "{name}={}", text::Hx(v));
    }
    if size > PRSTATUS_SIZE {
        ctx.push(", ...");
    }
    ctx.push("}");
}

/// `user_fpregs_struct`: the fields the length covers, the arrays cut to it.
fn fpregs(ctx: &mut Ctx<'_>, addr: u64, size: u64) {
    let Some(b) = regs_bytes(ctx, addr, size, FPREGSET_SIZE) else {
        return;
    };
    let n = b.len();
    let u16_at = |o: usize| u64::from(u16::from_ne_bytes([b[o], b[o + 1]]));
    let u32_at = |o: usize| u64::from(u32::from_ne_bytes(b[o..o + 4].try_into().expect("4")));
    let u64_at = |o: usize| u64::from_ne_bytes(b[o..o + 8].try_into().expect("8 bytes"));
    let _ = write!(ctx.out, "{{cwd={}", text::Hx(u16_at(0)));
    let fields: [(&str, usize, u64); 7] = [
        ("swd", 2, u16_at(2)),
        ("ftw", 4, u16_at(4)),
        ("fop", 6, u16_at(6)),
        ("rip", 8, if n > 8 { u64_at(8) } else { 0 }),
        ("rdp", 16, if n > 16 { u64_at(16) } else { 0 }),
        ("mxcsr", 24, if n > 24 { u32_at(24) } else { 0 }),
        ("mxcr_mask", 28, if n > 28 { u32_at(28) } else { 0 }),
    ];
    for (name, off, v) in fields {
        if n > off {
            let _ = write!(ctx.out, ", {name}={}", text::Hx(v));
        }
    }
    for (name, off, len) in [
        ("st_space", 32, 32),
        ("xmm_space", 160, 64),
        ("padding", 416, 24),
    ] {
        if n <= off {
            break;
        }
        let count = ((n - off) / 4).min(len);
        let shown = if ctx.opts.verbose {
            count
        } else {
            count.min(ctx.opts.max_strlen)
        };
        let _ = write!(ctx.out, ", {name}=[");
        for i in 0..shown {
            if i > 0 {
                ctx.comma();
            }
            ctx.hex_value(u32_at(off + 4 * i));
        }
        if shown < count {
            ctx.push(", ...");
        }
        ctx.push("]");
    }
    if size > FPREGSET_SIZE {
        ctx.push(", ...");
    }
    ctx.push("}");
}

/// A `siginfo_t` at `addr` in the `-X` style (strace's `printsiginfo_at`).
fn siginfo(ctx: &mut Ctx<'_>, addr: u64) {
    match ctx.read::<[u8; 128]>(addr).map(tracekit_ptrace::SigInfo) {
        Some(si) if si.signo() == 0 => ctx.push("{}"),
        Some(si) => {
            let pidns = ctx.opts.pidns.then_some(ctx.pid.0);
            let fds =
                (ctx.opts.decode_fds > 0 && si.fd() >= 0).then_some((ctx.pid, ctx.opts.decode_fds));
            let s = crate::siginfo::format_ex(&si, ctx.opts.xlat, pidns, fds, ctx.opts.pid_comm);
            ctx.push(&s);
        }
        None => ctx.addr(addr),
    }
}
