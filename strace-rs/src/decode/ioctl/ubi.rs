//! UBI requests (`mtd/ubi-user.h`, types `'o'` and `'O'`, strace's `ubi.c`): volume
//! creation, resizing, renaming, attaching, eraseblock changes and properties.

use std::fmt::Write as _;

use super::fields::{cstring, u32_at, u64_at};
use super::ioctlent;
use super::Family;
use crate::decode::{Abi, Ctx, Step};
use crate::text;

pub(super) const FAMILY: Family = Family {
    handles: |req| request(req).is_some(),
    enter,
    exit,
};

const VOLUME_TYPES: text::Xlat = &[(3, "UBI_DYNAMIC_VOLUME"), (4, "UBI_STATIC_VOLUME")];
const VOLUME_FLAGS: text::Xlat = &[(1, "UBI_VOL_SKIP_CRC_CHECK_FLG")];
const VOLUME_PROPS: text::Xlat = &[(1, "UBI_VOL_PROP_DIRECT_WRITE")];
const DATA_TYPES: text::Xlat = &[
    (1, "UBI_LONGTERM"),
    (2, "UBI_SHORTTERM"),
    (3, "UBI_UNKNOWN"),
];

/// The request's name when it is one of UBI's.
fn request(req: u64) -> Option<&'static str> {
    text::lookup(ioctlent::UBI, req).filter(|n| n.starts_with("UBI_"))
}

/// The bytes of the argument's structure, or its address.
fn read(ctx: &mut Ctx<'_>, len: usize) -> Option<Vec<u8>> {
    let arg = ctx.arg(2);
    let b = if arg == 0 || ctx.abi != Abi::X86_64 {
        None
    } else {
        ctx.read_bytes(arg, len)
    };
    if b.is_none() {
        ctx.addr(arg);
    }
    b
}

fn i32_at(b: &[u8], o: usize) -> i32 {
    u32_at(b, o) as i32
}

fn i16_at(b: &[u8], o: usize) -> i16 {
    i16::from_ne_bytes([b[o], b[o + 1]])
}

/// A volume name of a `name_len` the caller gave (strace's `PRINT_FIELD_CSTRING_SZ`).
fn vol_name(ctx: &mut Ctx<'_>, b: &[u8], name_len: i16) {
    let size = 1 + usize::try_from(name_len).unwrap_or(0).min(b.len() - 1);
    cstring(ctx, &b[..size]);
}

fn enter(ctx: &mut Ctx<'_>, req: u64) -> Step {
    let Some(name) = request(req) else {
        return Step::Decoded;
    };
    if matches!(name, "UBI_IOCVOLCRBLK" | "UBI_IOCVOLRMBLK") {
        return Step::Decoded;
    }
    ctx.comma();
    match name {
        "UBI_IOCMKVOL" => {
            let Some(b) = read(ctx, 152) else {
                return Step::Decoded;
            };
            let _ = write!(
                ctx.out,
                "{{vol_id={}, alignment={}, bytes={}, vol_type=",
                i32_at(&b, 0),
                i32_at(&b, 4),
                u64_at(&b, 8) as i64
            );
            ctx.xval(VOLUME_TYPES, u64::from(b[16] as i8 as u8), "UBI_???_VOLUME");
            ctx.push(", flags=");
            ctx.flags(VOLUME_FLAGS, b[17].into(), "UBI_VOL_???");
            let len = i16_at(&b, 18);
            let _ = write!(ctx.out, ", name_len={len}, name=");
            vol_name(ctx, &b[24..152], len);
            ctx.push("}");
            return Step::Exit;
        }
        "UBI_IOCATT" => {
            let Some(b) = read(ctx, 24) else {
                return Step::Decoded;
            };
            let _ = write!(
                ctx.out,
                "{{ubi_num={}, mtd_num={}, vid_hdr_offset={}, max_beb_per1024={}}}",
                i32_at(&b, 0),
                i32_at(&b, 4),
                i32_at(&b, 8),
                i16_at(&b, 12)
            );
            return Step::Exit;
        }
        "UBI_IOCRSVOL" => {
            if let Some(b) = read(ctx, 12) {
                let _ = write!(
                    ctx.out,
                    "{{bytes={}, vol_id={}}}",
                    u64_at(&b, 0) as i64,
                    i32_at(&b, 8)
                );
            }
        }
        "UBI_IOCRNVOL" => {
            if let Some(b) = read(ctx, 4368) {
                let count = i32_at(&b, 0);
                let _ = write!(ctx.out, "{{count={count}, ents=[");
                let n = usize::try_from(count).unwrap_or(0).min(32);
                let shown = if ctx.opts.verbose {
                    n
                } else {
                    n.min(ctx.opts.max_strlen)
                };
                for i in 0..shown {
                    let e = &b[16 + 136 * i..16 + 136 * (i + 1)];
                    if i > 0 {
                        ctx.comma();
                    }
                    let len = i16_at(e, 4);
                    let _ = write!(ctx.out, "{{vol_id={}, name_len={len}, name=", i32_at(e, 0));
                    vol_name(ctx, &e[8..136], len);
                    ctx.push("}");
                }
                if shown < n {
                    ctx.push(", ...");
                }
                ctx.push("]}");
            }
        }
        "UBI_IOCEBCH" => {
            if let Some(b) = read(ctx, 16) {
                let _ = write!(
                    ctx.out,
                    "{{lnum={}, bytes={}, dtype=",
                    i32_at(&b, 0),
                    i32_at(&b, 4)
                );
                ctx.xval(DATA_TYPES, b[8].into(), "UBI_???");
                ctx.push("}");
            }
        }
        "UBI_IOCEBMAP" => {
            if let Some(b) = read(ctx, 8) {
                let _ = write!(ctx.out, "{{lnum={}, dtype=", i32_at(&b, 0));
                ctx.xval(DATA_TYPES, b[4].into(), "UBI_???");
                ctx.push("}");
            }
        }
        "UBI_IOCSETVOLPROP" => {
            if let Some(b) = read(ctx, 16) {
                ctx.push("{property=");
                ctx.xval(VOLUME_PROPS, b[0].into(), "UBI_VOL_PROP_???");
                let _ = write!(ctx.out, ", value={}}}", text::Hx(u64_at(&b, 8)));
            }
        }
        "UBI_IOCVOLUP" => ctx.num_ptr::<i64>(ctx.arg(2)),
        _ => ctx.int_ptr(ctx.arg(2)),
    }
    Step::Decoded
}

fn exit(ctx: &mut Ctx<'_>, _req: u64) {
    if !ctx.error {
        ctx.push(" => ");
        ctx.int_ptr(ctx.arg(2));
    }
}
