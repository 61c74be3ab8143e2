//! MTD (memory technology device) requests (`mtd/mtd-abi.h`, type `'M'`, strace's `mtd.c`):
//! erase ranges, out-of-band buffers, one-time-programmable areas, the device's geometry,
//! NAND ECC layouts and statistics (x86_64 layouts).

use std::fmt::Write as _;

use super::fields::{array, fetch, u32_at, u32s, u64_at};
use super::xlat as x;
use super::Family;
use crate::decode::{Ctx, Step};
use crate::text::Hx;

pub(super) const FAMILY: Family = Family {
    handles: |req| decoded(req).is_some(),
    enter,
    exit,
};

const MEMGETINFO: u64 = 0x8020_4d01;
const MEMERASE: u64 = 0x4008_4d02;
const MEMWRITEOOB: u64 = 0xc010_4d03;
const MEMREADOOB: u64 = 0xc010_4d04;
const MEMLOCK: u64 = 0x4008_4d05;
const MEMUNLOCK: u64 = 0x4008_4d06;
const MEMGETREGIONCOUNT: u64 = 0x8004_4d07;
const MEMGETREGIONINFO: u64 = 0xc010_4d08;
const MEMGETOOBSEL: u64 = 0x80c8_4d0a;
const MEMGETBADBLOCK: u64 = 0x4008_4d0b;
const MEMSETBADBLOCK: u64 = 0x4008_4d0c;
const OTPSELECT: u64 = 0x8004_4d0d;
const OTPGETREGIONCOUNT: u64 = 0x4004_4d0e;
const OTPGETREGIONINFO: u64 = 0x400c_4d0f;
const OTPLOCK: u64 = 0x800c_4d10;
const ECCGETLAYOUT: u64 = 0x8148_4d11;
const ECCGETSTATS: u64 = 0x8010_4d12;
const MTDFILEMODE: u64 = 0x4d13;
const MEMERASE64: u64 = 0x4010_4d14;
const MEMWRITEOOB64: u64 = 0xc018_4d15;
const MEMREADOOB64: u64 = 0xc018_4d16;
const MEMISLOCKED: u64 = 0x8008_4d17;
const MEMWRITE: u64 = 0xc030_4d18;

/// When a decoded request's argument is printed.
#[derive(Clone, Copy, PartialEq)]
enum When {
    /// At entry: what the kernel reads.
    Entry,
    /// At exit: what the kernel wrote.
    Exit,
}

fn decoded(req: u64) -> Option<When> {
    match req {
        MEMERASE | MEMLOCK | MEMUNLOCK | MEMISLOCKED | MEMERASE64 | MEMWRITEOOB | MEMREADOOB
        | MEMWRITEOOB64 | MEMREADOOB64 | MEMWRITE | OTPLOCK | OTPSELECT | MTDFILEMODE
        | MEMGETBADBLOCK | MEMSETBADBLOCK | MEMGETREGIONINFO => Some(When::Entry),
        OTPGETREGIONINFO | MEMGETINFO | MEMGETOOBSEL | ECCGETLAYOUT | ECCGETSTATS
        | OTPGETREGIONCOUNT | MEMGETREGIONCOUNT => Some(When::Exit),
        _ => None,
    }
}

/// `name=0x...` for each `__u32` named in `fields`, from offset 0 on.
fn hex_u32s(ctx: &mut Ctx<'_>, b: &[u8], fields: &[&str]) {
    for (i, name) in fields.iter().enumerate() {
        if i > 0 {
            ctx.push(", ");
        }
        let _ = write!(ctx.out, "{name}={}", Hx(u32_at(b, 4 * i).into()));
    }
}

fn enter(ctx: &mut Ctx<'_>, req: u64) -> Step {
    ctx.comma();
    if decoded(req) == Some(When::Exit) {
        return Step::Exit;
    }
    let arg = ctx.arg(2);
    match req {
        MTDFILEMODE => ctx.xval(x::MTD_FILE_MODE_OPTIONS, arg, "MTD_FILE_MODE_???"),
        MEMGETBADBLOCK | MEMSETBADBLOCK => ctx.num_ptr::<u64>(arg),
        OTPSELECT => {
            if let Some(b) = fetch(ctx, 4) {
                ctx.push("[");
                ctx.xval(x::MTD_OTP_OPTIONS, u32_at(&b, 0).into(), "MTD_OTP_???");
                ctx.push("]");
            }
        }
        MEMGETREGIONINFO => {
            let Some(b) = fetch(ctx, 16) else {
                return Step::Decoded;
            };
            let _ = write!(ctx.out, "{{regionindex={}", Hx(u32_at(&b, 12).into()));
            return Step::Exit;
        }
        _ => structure(ctx, req),
    }
    Step::Decoded
}

fn exit(ctx: &mut Ctx<'_>, req: u64) {
    match req {
        MEMGETREGIONINFO => {
            if let Some(b) = (!ctx.error)
                .then(|| ctx.read_bytes(ctx.arg(2), 16))
                .flatten()
            {
                ctx.push(", ");
                hex_u32s(ctx, &b, &["offset", "erasesize", "numblocks"]);
            }
            ctx.push("}");
        }
        OTPGETREGIONCOUNT | MEMGETREGIONCOUNT => {
            if ctx.error {
                ctx.addr(ctx.arg(2));
            } else if req == OTPGETREGIONCOUNT {
                ctx.num_ptr::<u32>(ctx.arg(2));
            } else {
                ctx.int_ptr(ctx.arg(2));
            }
        }
        _ => structure(ctx, req),
    }
}

/// The structure of `req` (its size is the request's).
fn structure(ctx: &mut Ctx<'_>, req: u64) {
    let size = ((req >> 16) & 0x3fff) as usize;
    let Some(b) = fetch(ctx, size) else {
        return;
    };
    ctx.push("{");
    match req {
        MEMERASE | MEMLOCK | MEMUNLOCK | MEMISLOCKED => hex_u32s(ctx, &b, &["start", "length"]),
        MEMERASE64 => {
            let _ = write!(
                ctx.out,
                "start={}, length={}",
                Hx(u64_at(&b, 0)),
                Hx(u64_at(&b, 8))
            );
        }
        MEMWRITEOOB | MEMREADOOB => {
            hex_u32s(ctx, &b, &["start", "length"]);
            ctx.push(", ptr=");
            ctx.addr(u64_at(&b, 8));
        }
        MEMWRITEOOB64 | MEMREADOOB64 => {
            let _ = write!(
                ctx.out,
                "start={}, length={}, usr_ptr=",
                Hx(u64_at(&b, 0)),
                Hx(u32_at(&b, 12).into())
            );
            ctx.addr(u64_at(&b, 16));
        }
        MEMWRITE => {
            let _ = write!(
                ctx.out,
                "start={}, len={}, ooblen={}, usr_data=",
                Hx(u64_at(&b, 0)),
                Hx(u64_at(&b, 8)),
                Hx(u64_at(&b, 16))
            );
            ctx.addr(u64_at(&b, 24));
            ctx.push(", usr_oob=");
            ctx.addr(u64_at(&b, 32));
            ctx.push(", mode=");
            ctx.xval(x::MTD_MODE_OPTIONS, b[40].into(), "MTD_OPS_???");
        }
        OTPLOCK | OTPGETREGIONINFO => {
            hex_u32s(ctx, &b, &["start", "length"]);
            let _ = write!(ctx.out, ", locked={}", u32_at(&b, 8));
        }
        MEMGETINFO => {
            ctx.push("type=");
            ctx.xval(x::MTD_TYPE_OPTIONS, b[0].into(), "MTD_???");
            ctx.push(", flags=");
            ctx.flags(x::MTD_FLAGS_OPTIONS, u32_at(&b, 4).into(), "MTD_???");
            ctx.push(", ");
            hex_u32s(ctx, &b[8..], &["size", "erasesize", "writesize", "oobsize"]);
            let _ = write!(ctx.out, ", padding={}", Hx(u64_at(&b, 24)));
        }
        MEMGETOOBSEL => {
            // struct nand_oobinfo: useecc, eccbytes, oobfree[8][2], eccpos[32].
            ctx.push("useecc=");
            ctx.xval(
                x::MTD_NANDECC_OPTIONS,
                u32_at(&b, 0).into(),
                "MTD_NANDECC_???",
            );
            let _ = write!(ctx.out, ", eccbytes={}, oobfree=", Hx(u32_at(&b, 4).into()));
            let pairs: Vec<u64> = (0..8).collect();
            array(ctx, &pairs, 8, |c, i| {
                let o = 8 + 8 * i as usize;
                let v = u32s(&b, o, 2);
                array(c, &v, 2, |c, x| c.hex_value(x));
            });
            ctx.push(", eccpos=");
            array(ctx, &u32s(&b, 72, 32), 32, |c, x| c.hex_value(x));
        }
        ECCGETLAYOUT => {
            // struct nand_ecclayout_user: eccbytes, eccpos[64], oobavail, oobfree[8].
            let _ = write!(ctx.out, "eccbytes={}, eccpos=", Hx(u32_at(&b, 0).into()));
            array(ctx, &u32s(&b, 4, 64), 64, |c, x| c.hex_value(x));
            let _ = write!(
                ctx.out,
                ", oobavail={}, oobfree=",
                Hx(u32_at(&b, 260).into())
            );
            let free: Vec<u64> = (0..8).collect();
            array(ctx, &free, 8, |c, i| {
                c.push("{");
                hex_u32s(c, &b[264 + 8 * i as usize..], &["offset", "length"]);
                c.push("}");
            });
        }
        _ => hex_u32s(ctx, &b, &["corrected", "failed", "badblocks", "bbtblocks"]),
    }
    ctx.push("}");
}
