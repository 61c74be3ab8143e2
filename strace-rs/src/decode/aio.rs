//! Linux native AIO: `io_setup`, `io_destroy`, `io_submit`, `io_cancel`, `io_getevents` and
//! `io_pgetevents`, with `struct iocb` and `struct io_event` as strace's `aio.c` prints them.

use std::fmt::Write as _;

use super::structs;
use super::table::Arg::*;
use super::Decoder::{Func, Row};
use super::{Abi, Ctx, Decoder, Step};
use crate::text::Xlat;
use crate::xlat;

pub fn decoder(name: &str) -> Option<Decoder> {
    Some(match name {
        "io_setup" => Row(&[Uint, Out(ctx_id)]),
        "io_destroy" => Row(&[Ptr]),
        "io_submit" => Func(io_submit),
        "io_cancel" => Func(io_cancel),
        "io_getevents" => Func(io_getevents),
        "io_pgetevents" => Func(io_pgetevents),
        _ => return None,
    })
}

const AIO_CMDS: Xlat = &[
    (0, "IOCB_CMD_PREAD"),
    (1, "IOCB_CMD_PWRITE"),
    (2, "IOCB_CMD_FSYNC"),
    (3, "IOCB_CMD_FDSYNC"),
    (4, "IOCB_CMD_PREADX"),
    (5, "IOCB_CMD_POLL"),
    (6, "IOCB_CMD_NOOP"),
    (7, "IOCB_CMD_PREADV"),
    (8, "IOCB_CMD_PWRITEV"),
];
const IOCB_FLAGS: Xlat = &[(1, "IOCB_FLAG_RESFD"), (2, "IOCB_FLAG_IOPRIO")];
const IOCB_FLAG_RESFD: u32 = 1;
const IOCB_FLAG_IOPRIO: u32 = 2;
/// `struct iocb` and `struct io_event`: the same in both ABIs.
const IOCB_SIZE: usize = 64;
const IO_EVENT_SIZE: u64 = 32;

/// The context id `io_setup` stored: `[0x7f...]`.
fn ctx_id(ctx: &mut Ctx<'_>, addr: u64) {
    let v = match ctx.abi {
        Abi::X86_64 => ctx.read::<u64>(addr),
        Abi::I386 => ctx.read::<u32>(addr).map(u64::from),
    };
    match v {
        Some(p) => {
            ctx.push("[");
            ctx.addr(p);
            ctx.push("]");
        }
        None => ctx.addr(addr),
    }
}

/// A `long` argument as the tracee's ABI sees it.
fn klong(ctx: &Ctx<'_>, i: usize) -> i64 {
    match ctx.abi {
        Abi::X86_64 => ctx.arg(i) as i64,
        Abi::I386 => i64::from(ctx.arg(i) as u32 as i32),
    }
}

/// The fields of a `struct iocb` read into `b`.
struct Iocb {
    data: u64,
    key: u32,
    rw_flags: u32,
    opcode: u16,
    reqprio: i16,
    fildes: u32,
    buf: u64,
    nbytes: u64,
    offset: i64,
    flags: u32,
    resfd: u32,
}

impl Iocb {
    fn parse(b: &[u8]) -> Iocb {
        let u16_at = |o: usize| u16::from_ne_bytes(b[o..o + 2].try_into().unwrap());
        let u32_at = |o: usize| u32::from_ne_bytes(b[o..o + 4].try_into().unwrap());
        let u64_at = |o: usize| u64::from_ne_bytes(b[o..o + 8].try_into().unwrap());
        Iocb {
            data: u64_at(0),
            key: u32_at(8),
            rw_flags: u32_at(12),
            opcode: u16_at(16),
            reqprio: u16_at(18) as i16,
            fildes: u32_at(20),
            buf: u64_at(24),
            nbytes: u64_at(32),
            offset: u64_at(40) as i64,
            flags: u32_at(56),
            resfd: u32_at(60),
        }
    }

    /// Whether the buffer and its size fit the tracee's pointers and `ssize_t`.
    fn valid(&self, abi: Abi) -> bool {
        match abi {
            Abi::X86_64 => (self.nbytes as i64) >= 0,
            Abi::I386 => {
                self.buf <= u64::from(u32::MAX)
                    && self.nbytes <= u64::from(u32::MAX)
                    && (self.nbytes as u32 as i32) >= 0
            }
        }
    }
}

/// What follows an iocb's header, by command.
enum Sub {
    None,
    Common,
    Vector,
    Poll,
}

/// `aio_data`, `aio_key`, `aio_rw_flags`, the command, the priority and the descriptor.
fn iocb_header(ctx: &mut Ctx<'_>, cb: &Iocb) -> Sub {
    let _ = write!(ctx.out, "aio_data={}", crate::text::Hx(cb.data));
    if cb.key != 0 {
        let _ = write!(ctx.out, ", aio_key={}", cb.key);
    }
    if cb.rw_flags != 0 {
        ctx.push(", aio_rw_flags=");
        ctx.flags(super::file::RWF_FLAGS, u64::from(cb.rw_flags), "RWF_???");
    }
    ctx.push(", aio_lio_opcode=");
    // An unknown command in decimal (strace's XLAT_STYLE_FMT_U).
    ctx.xval_dec(AIO_CMDS, u64::from(cb.opcode), "IOCB_CMD_???");
    if cb.flags & IOCB_FLAG_IOPRIO != 0 {
        ctx.push(", aio_reqprio=");
        super::process::ioprio(ctx, u64::from(cb.reqprio as u16));
    } else if cb.reqprio != 0 {
        let _ = write!(ctx.out, ", aio_reqprio={}", cb.reqprio);
    }
    ctx.push(", aio_fildes=");
    ctx.fd_val(cb.fildes as i32);
    match cb.opcode {
        0 | 1 => Sub::Common,
        5 => Sub::Poll,
        7 | 8 => Sub::Vector,
        _ => Sub::None,
    }
}

/// `aio_flags` when set, and `aio_resfd` (a descriptor with `IOCB_FLAG_RESFD`).
fn iocb_flags(ctx: &mut Ctx<'_>, cb: &Iocb) {
    if cb.flags != 0 {
        ctx.push(", aio_flags=");
        ctx.flags(IOCB_FLAGS, u64::from(cb.flags), "IOCB_FLAG_???");
    }
    if cb.flags & IOCB_FLAG_RESFD != 0 {
        ctx.push(", aio_resfd=");
        ctx.fd_val(cb.resfd as i32);
    } else if cb.resfd != 0 {
        let _ = write!(ctx.out, ", aio_resfd={:#x}", cb.resfd);
    }
}

/// A whole `struct iocb` (strace's `print_iocb`).
fn iocb(ctx: &mut Ctx<'_>, cb: &Iocb) {
    ctx.push("{");
    let sub = iocb_header(ctx, cb);
    let valid = cb.valid(ctx.abi);
    match sub {
        Sub::Common => {
            ctx.push(", aio_buf=");
            if cb.opcode == 1 && valid {
                ctx.buf(cb.buf, cb.nbytes);
            } else {
                ctx.hex_value(cb.buf);
            }
            let _ = write!(
                ctx.out,
                ", aio_nbytes={}, aio_offset={}",
                cb.nbytes, cb.offset
            );
            iocb_flags(ctx, cb);
        }
        Sub::Vector => {
            if valid {
                ctx.push(", aio_buf=");
                // PWRITEV's buffers are data the call sends; PREADV's only addresses.
                structs::iovec(ctx, cb.buf, cb.nbytes, None, cb.opcode == 8);
            } else {
                let _ = write!(
                    ctx.out,
                    ", aio_buf={}, aio_nbytes={}",
                    crate::text::Hx(cb.buf),
                    cb.nbytes
                );
            }
            let _ = write!(ctx.out, ", aio_offset={}", cb.offset);
            iocb_flags(ctx, cb);
        }
        Sub::Poll => {
            ctx.push(", aio_buf=");
            ctx.flags(xlat::POLL_EVENTS, cb.buf, "POLL???");
            iocb_flags(ctx, cb);
        }
        Sub::None => {}
    }
    ctx.push("}");
}

/// `io_submit(ctx_id, nr, iocbpp)`: the array of iocb pointers, each iocb in full.
fn io_submit(ctx: &mut Ctx<'_>) -> Step {
    ctx.ptr(0);
    let nr = klong(ctx, 1);
    let _ = write!(ctx.out, ", {nr}, ");
    let addr = ctx.arg(2);
    if nr < 0 {
        ctx.addr(addr);
        return Step::Decoded;
    }
    let word: u64 = match ctx.abi {
        Abi::X86_64 => 8,
        Abi::I386 => 4,
    };
    ctx.array(addr, nr as u64, word, &mut |c, b| {
        let mut w = [0u8; 8];
        w[..b.len()].copy_from_slice(b);
        let p = u64::from_le_bytes(w);
        match c.read_bytes(p, IOCB_SIZE).filter(|_| p != 0) {
            Some(raw) => iocb(c, &Iocb::parse(&raw)),
            None => c.addr(p),
        }
    });
    Step::Decoded
}

/// A `struct io_event`.
fn io_event(ctx: &mut Ctx<'_>, b: &[u8]) {
    let u64_at = |o: usize| u64::from_ne_bytes(b[o..o + 8].try_into().unwrap());
    let _ = write!(
        ctx.out,
        "{{data={}, obj={}, res={}, res2={}}}",
        crate::text::Hx(u64_at(0)),
        crate::text::Hx(u64_at(8)),
        u64_at(16) as i64,
        u64_at(24) as i64
    );
}

/// `io_cancel(ctx_id, iocb, result)`: the iocb's header at entry, the event at exit.
fn io_cancel(ctx: &mut Ctx<'_>) -> Step {
    if !ctx.exiting {
        ctx.ptr(0);
        ctx.comma();
        let addr = ctx.arg(1);
        match ctx.read_bytes(addr, IOCB_SIZE).filter(|_| addr != 0) {
            Some(raw) => {
                ctx.push("{");
                iocb_header(ctx, &Iocb::parse(&raw));
                ctx.push("}");
            }
            None => ctx.addr(addr),
        }
        ctx.comma();
        return Step::Exit;
    }
    let addr = ctx.arg(2);
    let event = if ctx.error || addr == 0 {
        None
    } else {
        ctx.read_bytes(addr, IO_EVENT_SIZE as usize)
    };
    match event {
        Some(b) => io_event(ctx, &b),
        None => ctx.addr(addr),
    }
    Step::Decoded
}

/// `io_getevents(ctx_id, min_nr, nr, events, timeout)` and `io_pgetevents`, which adds the
/// signal mask: the events the call returned at exit; the timeout and mask as the kernel
/// read them at entry, whether or not the call failed.
fn io_getevents(ctx: &mut Ctx<'_>) -> Step {
    getevents(ctx, false)
}

fn io_pgetevents(ctx: &mut Ctx<'_>) -> Step {
    getevents(ctx, true)
}

fn getevents(ctx: &mut Ctx<'_>, with_mask: bool) -> Step {
    if !ctx.exiting {
        ctx.ptr(0);
        let (min_nr, nr) = (klong(ctx, 1), klong(ctx, 2));
        let _ = write!(ctx.out, ", {min_nr}, {nr}, ");
        return Step::Exit;
    }
    let addr = ctx.arg(3);
    if ctx.error {
        ctx.addr(addr);
    } else {
        ctx.array(addr, ctx.rval as u64, IO_EVENT_SIZE, &mut |c, b| {
            io_event(c, b)
        });
    }
    ctx.comma();
    // Read by the kernel at entry: printed as if the call had succeeded.
    let error = std::mem::replace(&mut ctx.error, false);
    structs::timespec(ctx, ctx.arg(4));
    if with_mask {
        ctx.comma();
        super::net::sigmask_and_size(ctx, ctx.arg(5));
    }
    ctx.error = error;
    Step::Decoded
}
