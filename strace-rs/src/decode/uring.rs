//! `io_uring_setup`, `io_uring_enter`, `io_uring_register`, in strace's format (strace's
//! `io_uring.c`): the setup parameters and the ring offsets the kernel fills, the enter flags and
//! signal mask, and the arguments of each register opcode.

use std::fmt::Write as _;

use super::calls_xlat as kx;
use super::Decoder::{self, Func};
use super::{Ctx, Step};
use crate::text;

pub fn decoder(name: &str) -> Option<Decoder> {
    Some(match name {
        "io_uring_setup" => Func(setup),
        "io_uring_enter" => Func(enter),
        "io_uring_register" => Func(register),
        _ => return None,
    })
}

fn u16_at(b: &[u8], o: usize) -> u16 {
    u16::from_ne_bytes(b[o..o + 2].try_into().unwrap())
}

fn u32_at(b: &[u8], o: usize) -> u32 {
    u32::from_ne_bytes(b[o..o + 4].try_into().unwrap())
}

fn u64_at(b: &[u8], o: usize) -> u64 {
    u64::from_ne_bytes(b[o..o + 8].try_into().unwrap())
}

/// `, name=0x1` when `v` is not zero (reserved fields).
fn nonzero_hex(ctx: &mut Ctx<'_>, name: &str, v: u64) {
    if v != 0 {
        let _ = write!(ctx.out, ", {name}={}", text::Hx(v));
    }
}

/// `, name=[0x1, 0, 0]` when any of the `u32`s in `b` is not zero.
fn nonzero_u32s(ctx: &mut Ctx<'_>, name: &str, b: &[u8]) {
    if b.iter().all(|&x| x == 0) {
        return;
    }
    let _ = write!(ctx.out, ", {name}=[");
    for (i, w) in b.chunks_exact(4).enumerate() {
        if i > 0 {
            ctx.comma();
        }
        ctx.hex_value(u64::from(u32::from_ne_bytes(w.try_into().unwrap())));
    }
    ctx.push("]");
}

/// A constant of `table` printed in decimal when unknown (strace's `printxval_u`).
fn xval_u(ctx: &mut Ctx<'_>, table: text::Xlat, v: u64, dflt: &str) {
    match (text::lookup(table, v), ctx.opts.xlat) {
        (Some(n), text::XlatStyle::Abbrev) => ctx.push(n),
        (Some(n), text::XlatStyle::Verbose) => {
            let _ = write!(ctx.out, "{v} /* {n} */");
        }
        (None, text::XlatStyle::Raw) | (Some(_), text::XlatStyle::Raw) => {
            let _ = write!(ctx.out, "{v}");
        }
        (None, _) => {
            let _ = write!(ctx.out, "{v} /* {dflt} */");
        }
    }
}

/// `struct io_uring_params` is 120 bytes.
const PARAMS: usize = 120;

fn setup(ctx: &mut Ctx<'_>) -> Step {
    let addr = ctx.arg(1);
    if !ctx.exiting {
        ctx.uint(0);
        ctx.comma();
        let Some(b) = ctx.read_bytes(addr, PARAMS).filter(|_| addr != 0) else {
            ctx.addr(addr);
            return Step::Decoded;
        };
        let flags = u32_at(&b, 8);
        ctx.push("{flags=");
        ctx.flags(kx::URING_SETUP_FLAGS, u64::from(flags), "IORING_SETUP_???");
        let _ = write!(
            ctx.out,
            ", sq_thread_cpu={}, sq_thread_idle={}",
            text::Hx(u64::from(u32_at(&b, 12))),
            u32_at(&b, 16)
        );
        // IORING_SETUP_ATTACH_WQ
        if flags & 0x20 != 0 {
            ctx.push(", wq_fd=");
            ctx.fd_val(u32_at(&b, 24) as i32);
        }
        nonzero_u32s(ctx, "resv", &b[28..40]);
        return Step::Exit;
    }
    // strace's tfetch_mem: nothing is read back from a failed call.
    if let Some(b) = ctx.read_bytes(addr, PARAMS).filter(|_| !ctx.error) {
        let _ = write!(
            ctx.out,
            ", sq_entries={}, cq_entries={}, features=",
            u32_at(&b, 0),
            u32_at(&b, 4)
        );
        ctx.flags(
            kx::URING_SETUP_FEATURES,
            u64::from(u32_at(&b, 20)),
            "IORING_FEAT_???",
        );
        let sq = &b[40..80];
        let _ = write!(
            ctx.out,
            ", sq_off={{head={}, tail={}, ring_mask={}, ring_entries={}, flags={}, dropped={}, \
             array={}",
            u32_at(sq, 0),
            u32_at(sq, 4),
            u32_at(sq, 8),
            u32_at(sq, 12),
            u32_at(sq, 16),
            u32_at(sq, 20),
            u32_at(sq, 24)
        );
        nonzero_hex(ctx, "resv1", u64::from(u32_at(sq, 28)));
        nonzero_hex(ctx, "resv2", u64_at(sq, 32));
        let cq = &b[80..120];
        let _ = write!(
            ctx.out,
            "}}, cq_off={{head={}, tail={}, ring_mask={}, ring_entries={}, overflow={}, cqes={}, \
             flags={}",
            u32_at(cq, 0),
            u32_at(cq, 4),
            u32_at(cq, 8),
            u32_at(cq, 12),
            u32_at(cq, 16),
            u32_at(cq, 20),
            u32_at(cq, 24)
        );
        nonzero_hex(ctx, "resv1", u64::from(u32_at(cq, 28)));
        nonzero_hex(ctx, "resv2", u64_at(cq, 32));
        ctx.push("}");
    }
    ctx.push("}");
    Step::Decoded
}

fn enter(ctx: &mut Ctx<'_>) -> Step {
    ctx.fd(0);
    let _ = write!(ctx.out, ", {}, {}, ", ctx.arg(1) as u32, ctx.arg(2) as u32);
    ctx.flags(
        kx::URING_ENTER_FLAGS,
        ctx.arg(3) & 0xffff_ffff,
        "IORING_ENTER_???",
    );
    ctx.comma();
    super::structs::sigmask(ctx, ctx.arg(4), ctx.arg(5));
    let _ = write!(ctx.out, ", {}", ctx.arg(5));
    Step::Decoded
}

/// Buffers: `[{iov_base=0x1000, iov_len=16}, ...]`, each element read on its own (strace's
/// `tprint_iov` with `iov_decode_addr`).
pub(super) fn iovec_addrs(ctx: &mut Ctx<'_>, addr: u64, n: u64) {
    ctx.array(addr, n, 16, &mut |c: &mut Ctx<'_>, e: &[u8]| {
        c.push("{iov_base=");
        c.addr(u64_at(e, 0));
        let _ = write!(c.out, ", iov_len={}}}", u64_at(e, 8));
    });
}

fn fd_elem(ctx: &mut Ctx<'_>, b: &[u8]) {
    ctx.fd_val(u32_at(b, 0) as i32);
}

/// A descriptor of a files update: `IORING_REGISTER_FILES_SKIP` below -1.
fn update_fd_elem(ctx: &mut Ctx<'_>, b: &[u8]) {
    let fd = u32_at(b, 0) as i32;
    if fd < -1 {
        let v = i64::from(fd) as u64;
        match (text::lookup(kx::URING_FILES_UPDATE_FDS, v), ctx.opts.xlat) {
            (Some(n), text::XlatStyle::Abbrev) => ctx.push(n),
            (Some(n), text::XlatStyle::Verbose) => {
                let _ = write!(ctx.out, "{fd} /* {n} */");
            }
            _ => {
                let _ = write!(ctx.out, "{fd}");
            }
        }
    } else {
        ctx.fd_val(fd);
    }
}

fn register(ctx: &mut Ctx<'_>) -> Step {
    let op = ctx.arg(1) as u32;
    let arg = ctx.arg(2);
    let nargs = ctx.arg(3) as u32;
    if !ctx.exiting {
        ctx.fd(0);
        ctx.comma();
        ctx.xval(
            kx::URING_REGISTER_OPCODES,
            u64::from(op),
            "IORING_REGISTER_???",
        );
        ctx.comma();
    }
    let mut step = Step::Decoded;
    match op {
        // IORING_REGISTER_BUFFERS
        0 => iovec_addrs(ctx, arg, u64::from(nargs)),
        // IORING_REGISTER_FILES, IORING_REGISTER_EVENTFD, IORING_REGISTER_EVENTFD_ASYNC
        2 | 4 | 7 => {
            ctx.array(arg, u64::from(nargs), 4, &mut fd_elem);
        }
        // IORING_REGISTER_FILES_UPDATE: struct io_uring_files_update
        6 => match ctx.read_bytes(arg, 16).filter(|_| arg != 0) {
            Some(b) => {
                let _ = write!(ctx.out, "{{offset={}", u32_at(&b, 0));
                nonzero_hex(ctx, "resv", u64::from(u32_at(&b, 4)));
                ctx.push(", fds=");
                ctx.array(u64_at(&b, 8), u64::from(nargs), 4, &mut update_fd_elem);
                ctx.push("}");
            }
            None => ctx.addr(arg),
        },
        // IORING_REGISTER_PROBE
        8 => step = probe(ctx, arg, nargs),
        // IORING_REGISTER_RESTRICTIONS
        11 => {
            ctx.array(arg, u64::from(nargs), 16, &mut restriction);
        }
        // IORING_REGISTER_FILES2, IORING_REGISTER_BUFFERS2
        13 | 15 => rsrc(ctx, arg, nargs, op, false),
        // IORING_REGISTER_FILES_UPDATE2, IORING_REGISTER_BUFFERS_UPDATE
        14 | 16 => rsrc(ctx, arg, nargs, op, true),
        // IORING_REGISTER_IOWQ_AFF
        17 => affinity(ctx, arg, nargs),
        // IORING_REGISTER_IOWQ_MAX_WORKERS: [IO_WQ_BOUND]=N, [IO_WQ_UNBOUND]=M, read back
        // (the address when the call failed).
        19 if ctx.exiting && ctx.error => ctx.addr(arg),
        19 => {
            let all = iowq_acct(ctx, arg, nargs);
            if !ctx.exiting && all {
                ctx.push(" => ");
                step = Step::Exit;
            }
        }
        // IORING_REGISTER_RING_FDS, IORING_UNREGISTER_RING_FDS
        20 | 21 => {
            ctx.array(
                arg,
                u64::from(nargs),
                16,
                &mut |c: &mut Ctx<'_>, b: &[u8]| {
                    let off = u32_at(b, 0);
                    if op == 20 && off == u32::MAX {
                        c.push("{offset=-1");
                    } else {
                        let _ = write!(c.out, "{{offset={off}");
                    }
                    nonzero_hex(c, "resv", u64::from(u32_at(b, 4)));
                    let data = u64_at(b, 8);
                    if op == 20 {
                        c.push(", data=");
                        c.fd_val(data as i32);
                    } else {
                        nonzero_hex(c, "data", data);
                    }
                    c.push("}");
                },
            );
        }
        // IORING_REGISTER_PBUF_RING, IORING_UNREGISTER_PBUF_RING: struct io_uring_buf_reg
        22 | 23 => match ctx.read_bytes(arg, 40).filter(|_| arg != 0) {
            Some(b) => {
                ctx.push("{ring_addr=");
                ctx.addr(u64_at(&b, 0));
                let _ = write!(
                    ctx.out,
                    ", ring_entries={}, bgid={}",
                    u32_at(&b, 8),
                    u16_at(&b, 12)
                );
                nonzero_hex(ctx, "pad", u64::from(u16_at(&b, 14)));
                if b[16..40].iter().any(|&x| x != 0) {
                    let _ = write!(
                        ctx.out,
                        ", resv=[{}, {}, {}]",
                        text::Hx(u64_at(&b, 16)),
                        text::Hx(u64_at(&b, 24)),
                        text::Hx(u64_at(&b, 32))
                    );
                }
                ctx.push("}");
            }
            None => ctx.addr(arg),
        },
        _ => ctx.addr(arg),
    }
    if step == Step::Decoded {
        let _ = write!(ctx.out, ", {nargs}");
    }
    step
}

/// `[[IO_WQ_BOUND]=1, [IO_WQ_UNBOUND]=2]`; true when every element was shown.
fn iowq_acct(ctx: &mut Ctx<'_>, addr: u64, n: u32) -> bool {
    let mut i = 0u64;
    let mut shown = 0u64;
    ctx.array(addr, u64::from(n), 4, &mut |c: &mut Ctx<'_>, b: &[u8]| {
        c.push("[");
        xval_u(c, kx::URING_IOWQ_ACCT, i, "IO_WQ_???");
        let _ = write!(c.out, "]={}", u32_at(b, 0));
        i += 1;
        shown += 1;
    });
    addr != 0 && n > 0 && shown == u64::from(n)
}

/// A CPU set of `len` bytes: `[0 1 5]` (strace's `print_affinitylist`, at most the kernel's
/// CPU set size, `...` after when `len` is longer).
fn affinity(ctx: &mut Ctx<'_>, addr: u64, len: u32) {
    if addr == 0 || (ctx.exiting && ctx.error) {
        ctx.addr(addr);
        return;
    }
    if len == 0 {
        ctx.push("[]");
        return;
    }
    let max = cpuset_size();
    let n = len.min(max);
    let size = n.div_ceil(8) * 8;
    let Some(b) = ctx.read_bytes(addr, n as usize) else {
        ctx.addr(addr);
        return;
    };
    let mut cpus = Vec::new();
    for (i, byte) in b.iter().enumerate() {
        for bit in 0..8 {
            if byte & (1 << bit) != 0 {
                cpus.push((i * 8 + bit).to_string());
            }
        }
    }
    if size < len {
        cpus.push("...".to_owned());
    }
    let _ = write!(ctx.out, "[{}]", cpus.join(" "));
}

/// The smallest CPU set size the kernel accepts (strace's `get_cpuset_size`: probed with
/// `sched_getaffinity`, which fails with EINVAL on a set too small before looking at it).
fn cpuset_size() -> u32 {
    static SIZE: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    *SIZE.get_or_init(|| {
        let mut size: u32 = 128;
        while size != 0 {
            // SAFETY: a NULL mask: the kernel checks the size first and fails with EINVAL
            // when it is too small, EFAULT otherwise; nothing is written.
            let r = unsafe { libc::sched_getaffinity(0, size as usize, std::ptr::null_mut()) };
            if r == -1 && std::io::Error::last_os_error().raw_os_error() == Some(libc::EINVAL) {
                size <<= 1;
            } else {
                break;
            }
        }
        if size == 0 {
            128
        } else {
            size
        }
    })
}

fn restriction(ctx: &mut Ctx<'_>, b: &[u8]) {
    let opcode = u16_at(b, 0);
    ctx.push("{opcode=");
    ctx.xval(
        kx::URING_RESTRICTION_OPCODES,
        u64::from(opcode),
        "IORING_RESTRICTION_???",
    );
    let v = u64::from(b[2]);
    match opcode {
        0 => {
            ctx.push(", register_op=");
            ctx.xval(kx::URING_REGISTER_OPCODES, v, "IORING_REGISTER_???");
        }
        1 => {
            ctx.push(", sqe_op=");
            ctx.xval(kx::URING_OPS, v, "IORING_OP_???");
        }
        2 | 3 => {
            ctx.push(", sqe_flags=");
            ctx.flags(kx::URING_SQE_FLAGS, v, "IOSQE_???");
        }
        _ => {
            let _ = write!(ctx.out, " /* op: {} */", text::Hx(v));
        }
    }
    nonzero_hex(ctx, "resv", u64::from(b[3]));
    nonzero_u32s(ctx, "resv2", &b[4..16]);
    ctx.push("}");
}

/// `IORING_REGISTER_PROBE`: the probe the program passes (when not all zero) and the one the
/// kernel fills (`{last_op=..., ops_len=N, ops=[{op=IORING_OP_NOP, flags=...}, ...]}`).
fn probe(ctx: &mut Ctx<'_>, addr: u64, nargs: u32) -> Step {
    // `ctx.stash` says, at exit, whether the probe was printed at entry (at entry it holds
    // the previous call's number).
    if !ctx.exiting {
        ctx.stash = 0;
    }
    let printed = ctx.exiting && ctx.stash != 0;
    if ctx.exiting && ctx.error {
        if !printed {
            ctx.addr(addr);
        }
        return Step::Decoded;
    }
    if nargs > 256 {
        ctx.addr(addr);
        return Step::Decoded;
    }
    if printed {
        ctx.push(" => ");
    }
    let size = 16 + 8 * nargs as usize;
    let Some(b) = ctx.read_bytes(addr, size).filter(|_| addr != 0) else {
        ctx.addr(addr);
        return Step::Decoded;
    };
    if !ctx.exiting && b.iter().all(|&x| x == 0) {
        return Step::Exit;
    }
    ctx.stash = 1;
    ctx.push("{last_op=");
    xval_u(ctx, kx::URING_OPS, u64::from(b[0]), "IORING_OP_???");
    let ops_len = u32::from(b[1]);
    let _ = write!(ctx.out, ", ops_len={ops_len}");
    nonzero_hex(ctx, "resv", u64::from(u16_at(&b, 2)));
    nonzero_u32s(ctx, "resv2", &b[4..16]);
    ctx.push(", ops=[");
    let n = if ctx.exiting {
        ops_len.min(nargs)
    } else {
        nargs
    };
    let mut cut = false;
    for i in 0..n as usize {
        if i > 0 {
            ctx.comma();
        }
        if !ctx.opts.verbose && i >= ctx.opts.max_strlen {
            ctx.push("...");
            cut = true;
            break;
        }
        let o = &b[16 + 8 * i..24 + 8 * i];
        ctx.push("{op=");
        xval_u(ctx, kx::URING_OPS, u64::from(o[0]), "IORING_OP_???");
        nonzero_hex(ctx, "resv", u64::from(o[1]));
        ctx.push(", flags=");
        ctx.flags(
            kx::URING_OP_FLAGS,
            u64::from(u16_at(o, 2)),
            "IO_URING_OP_???",
        );
        nonzero_hex(ctx, "resv2", u64::from(u32_at(o, 4)));
        ctx.push("}");
    }
    if ctx.exiting && nargs < ops_len && !cut {
        if n > 0 {
            ctx.comma();
        }
        ctx.push("...");
    }
    ctx.push("]}");
    if ctx.exiting {
        Step::Decoded
    } else {
        Step::Exit
    }
}

/// `struct io_uring_rsrc_register` (`update` false) or `io_uring_rsrc_update2` (`update`):
/// the descriptors or buffers and their tags. `size` is the register call's `nr_args`.
fn rsrc(ctx: &mut Ctx<'_>, addr: u64, size: u32, op: u32, update: bool) {
    if size < 32 {
        ctx.addr(addr);
        return;
    }
    let Some(b) = ctx.read_bytes(addr, 32).filter(|_| addr != 0) else {
        ctx.addr(addr);
        return;
    };
    let (nr, data, tags) = if update {
        (u32_at(&b, 24), u64_at(&b, 8), u64_at(&b, 16))
    } else {
        (u32_at(&b, 0), u64_at(&b, 16), u64_at(&b, 24))
    };
    if update {
        let _ = write!(ctx.out, "{{offset={}", u32_at(&b, 0));
        nonzero_hex(ctx, "resv", u64::from(u32_at(&b, 4)));
    } else {
        let _ = write!(ctx.out, "{{nr={nr}, flags=");
        ctx.flags(
            kx::URING_REGISTER_RSRC_FLAGS,
            u64::from(u32_at(&b, 4)),
            "IORING_RSRC_REGISTER_???",
        );
        nonzero_hex(ctx, "resv2", u64_at(&b, 8));
    }
    ctx.push(", data=");
    match op {
        13 => {
            ctx.array(data, u64::from(nr), 4, &mut fd_elem);
        }
        14 => {
            ctx.array(data, u64::from(nr), 4, &mut update_fd_elem);
        }
        _ => iovec_addrs(ctx, data, u64::from(nr)),
    }
    ctx.push(", tags=");
    ctx.array(tags, u64::from(nr), 8, &mut |c: &mut Ctx<'_>, e: &[u8]| {
        c.hex_value(u64_at(e, 0));
    });
    if update {
        let _ = write!(ctx.out, ", nr={nr}");
        nonzero_hex(ctx, "resv2", u64::from(u32_at(&b, 28)));
    }
    if size > 32 {
        nonzero_bytes(ctx, addr, 32, size.min(4096));
    }
    ctx.push("}");
}

/// Strace's `print_nonzero_bytes`: the bytes `start..end` of the structure at `addr` when any
/// is not zero (`, /* bytes 32..39 */ "\xa0..."`), `, ???` when unreadable.
fn nonzero_bytes(ctx: &mut Ctx<'_>, addr: u64, start: u32, end: u32) {
    let len = (end - start) as usize;
    match ctx.read_bytes(addr + u64::from(start), len) {
        None => ctx.push(", ???"),
        Some(b) if b.iter().all(|&x| x == 0) => {}
        Some(b) => {
            let _ = write!(ctx.out, ", /* bytes {start}..{} */ ", end - 1);
            let n = len.min(ctx.opts.max_strlen);
            text::quote(&mut ctx.out, &b[..n], ctx.opts.hex, true);
            if n < len {
                ctx.push("...");
            }
        }
    }
}
