//! Block device requests (`linux/fs.h`, `linux/blkpg.h`, `linux/blktrace_api.h`, type
//! `0x12`, strace's `block.c`): values, numbers returned through the argument, ranges,
//! partition requests and trace setup (x86_64 layouts).

use std::fmt::Write as _;

use super::fields::{cstring, u32_at, u64_at};
use super::Family;
use crate::decode::{Abi, Ctx, Step};
use crate::text;

pub(super) const FAMILY: Family = Family {
    handles: |req| kind(req).is_some(),
    enter,
    exit,
};

const BLKPG_OPS: text::Xlat = &[
    (1, "BLKPG_ADD_PARTITION"),
    (2, "BLKPG_DEL_PARTITION"),
    (3, "BLKPG_RESIZE_PARTITION"),
];

const BLKTRACESETUP: u64 = 0xc0481273;
const BLKPG: u64 = 0x1269;

/// How a request's argument is shown.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// The argument itself, unsigned.
    Value,
    /// No argument.
    None,
    /// An `int` the kernel reads.
    IntIn,
    /// A number the kernel writes: its size and signedness.
    Out(u8, bool),
    /// A pair of `u64`.
    Pair,
    Blkpg,
    TraceSetup,
}

fn kind(req: u64) -> Option<Kind> {
    use Kind::*;
    Some(match req {
        0x1262 | 0x1264 => Value,         // BLKRASET, BLKFRASET
        0x1267 | 0x127e => Out(2, false), // BLKSECTGET, BLKROTATIONAL
        0x125e | 0x80081270 | 0x1268 | 0x127a => Out(4, true), // BLKROGET, BLKBSZGET, BLKSSZGET, BLKALIGNOFF
        0x125d | 0x40081271 => IntIn,                          // BLKROSET, BLKBSZSET
        0x127b | 0x1278 | 0x1279 | 0x127c | 0x80041284 | 0x80041285 => Out(4, false),
        0x1263 | 0x1265 => Out(8, true), // BLKRAGET, BLKFRAGET
        0x1260 | 0x80081272 | 0x80081280 => Out(8, false), // BLKGETSIZE, BLKGETSIZE64, BLKGETDISKSEQ
        0x1277 | 0x127d | 0x127f => Pair,                  // BLKDISCARD, BLKSECDISCARD, BLKZEROOUT
        BLKPG => Blkpg,
        BLKTRACESETUP => TraceSetup,
        0x125f | 0x1261 | 0x1274 | 0x1275 | 0x1276 => None,
        _ => return Option::None,
    })
}

fn enter(ctx: &mut Ctx<'_>, req: u64) -> Step {
    let arg = ctx.arg(2);
    match kind(req) {
        Some(Kind::None) | Option::None => Step::Decoded,
        Some(Kind::Value) => {
            ctx.comma();
            ctx.ulong(2);
            Step::Decoded
        }
        Some(Kind::Out(..)) => Step::Exit,
        Some(Kind::IntIn) => {
            ctx.comma();
            ctx.int_ptr(arg);
            Step::Decoded
        }
        Some(Kind::Pair) => {
            ctx.comma();
            match ctx.read::<[u64; 2]>(arg) {
                Some([a, b]) => {
                    let _ = write!(ctx.out, "[{a}, {b}]");
                }
                None => ctx.addr(arg),
            }
            Step::Decoded
        }
        Some(Kind::Blkpg) => {
            ctx.comma();
            blkpg(ctx, arg);
            Step::Decoded
        }
        Some(Kind::TraceSetup) => {
            ctx.comma();
            let Some(b) = read(ctx, arg, 72) else {
                return Step::Decoded;
            };
            let _ = write!(
                ctx.out,
                "{{act_mask={}, buf_size={}, buf_nr={}, start_lba={}, end_lba={}, pid=",
                u32_at(&b, 32) & 0xffff,
                u32_at(&b, 36),
                u32_at(&b, 40),
                u64_at(&b, 48),
                u64_at(&b, 56)
            );
            ctx.pid_arg(u32_at(&b, 64) as i32);
            Step::Exit
        }
    }
}

fn exit(ctx: &mut Ctx<'_>, req: u64) {
    let arg = ctx.arg(2);
    match kind(req) {
        Some(Kind::Out(size, signed)) => {
            ctx.comma();
            if ctx.error {
                ctx.addr(arg);
                return;
            }
            let v = match size {
                2 => ctx.read::<u16>(arg).map(|v| v.to_string()),
                4 if signed => ctx.read::<i32>(arg).map(|v| v.to_string()),
                4 => ctx.read::<u32>(arg).map(|v| v.to_string()),
                _ if signed => ctx.read::<i64>(arg).map(|v| v.to_string()),
                _ => ctx.read::<u64>(arg).map(|v| v.to_string()),
            };
            match v {
                Some(v) => {
                    let _ = write!(ctx.out, "[{v}]");
                }
                None => ctx.addr(arg),
            }
        }
        Some(Kind::TraceSetup) => {
            if !ctx.error {
                if let Some(b) = ctx.read_bytes(arg, 72) {
                    ctx.push(", name=");
                    cstring(ctx, &b[..32]);
                }
            }
            ctx.push("}");
        }
        _ => {}
    }
}

/// `len` bytes at `addr`, or its address (x86_64 layouts only).
fn read(ctx: &mut Ctx<'_>, addr: u64, len: usize) -> Option<Vec<u8>> {
    let b = if addr == 0 || ctx.abi != Abi::X86_64 {
        None
    } else {
        ctx.read_bytes(addr, len)
    };
    if b.is_none() {
        ctx.addr(addr);
    }
    b
}

/// `struct blkpg_ioctl_arg` and the partition it points to.
fn blkpg(ctx: &mut Ctx<'_>, addr: u64) {
    let Some(b) = read(ctx, addr, 24) else {
        return;
    };
    ctx.push("{op=");
    ctx.xval(BLKPG_OPS, u32_at(&b, 0).into(), "BLKPG_???");
    let _ = write!(
        ctx.out,
        ", flags={}, datalen={}, data=",
        u32_at(&b, 4) as i32,
        u32_at(&b, 8) as i32
    );
    if let Some(p) = read(ctx, u64_at(&b, 16), 152) {
        let _ = write!(
            ctx.out,
            "{{start={}, length={}, pno={}, devname=",
            u64_at(&p, 0) as i64,
            u64_at(&p, 8) as i64,
            u32_at(&p, 16) as i32
        );
        cstring(ctx, &p[20..84]);
        ctx.push(", volname=");
        cstring(ctx, &p[84..148]);
        ctx.push("}");
    }
    ctx.push("}");
}
