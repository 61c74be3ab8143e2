//! Loop device requests (`linux/loop.h`, type `'L'`, strace's `loop.c`): the status
//! structures (x86_64 layouts), `LOOP_CONFIGURE`, descriptors and numbers.

use std::fmt::Write as _;

use super::fields::{cstring, fetch, u32_at, u64_at};
use super::xlat as x;
use super::Family;
use crate::decode::structs::makedev;
use crate::decode::{Ctx, Step};
use crate::text;

pub(super) const FAMILY: Family = Family {
    handles: |req| text::lookup(NAMES, req).is_some(),
    enter,
    exit,
};

const NAMES: text::Xlat = &[
    (0x4c00, "LOOP_SET_FD"),
    (0x4c01, "LOOP_CLR_FD"),
    (0x4c02, "LOOP_SET_STATUS"),
    (0x4c03, "LOOP_GET_STATUS"),
    (0x4c04, "LOOP_SET_STATUS64"),
    (0x4c05, "LOOP_GET_STATUS64"),
    (0x4c06, "LOOP_CHANGE_FD"),
    (0x4c07, "LOOP_SET_CAPACITY"),
    (0x4c08, "LOOP_SET_DIRECT_IO"),
    (0x4c09, "LOOP_SET_BLOCK_SIZE"),
    (0x4c0a, "LOOP_CONFIGURE"),
    (0x4c80, "LOOP_CTL_ADD"),
    (0x4c81, "LOOP_CTL_REMOVE"),
    (0x4c82, "LOOP_CTL_GET_FREE"),
];

/// `struct loop_info`, `struct loop_info64`, `struct loop_config` (x86_64).
const INFO_SIZE: usize = 168;
const INFO64_SIZE: usize = 232;
const CONFIG_SIZE: usize = 304;
const LO_KEY_SIZE: u32 = 32;

fn enter(ctx: &mut Ctx<'_>, req: u64) -> Step {
    match req {
        0x4c01 | 0x4c07 | 0x4c82 => Step::Decoded,
        0x4c03 | 0x4c05 => {
            ctx.comma();
            Step::Exit
        }
        0x4c00 | 0x4c06 => {
            ctx.comma();
            ctx.fd(2);
            Step::Decoded
        }
        0x4c80 | 0x4c81 => {
            ctx.comma();
            ctx.int(2);
            Step::Decoded
        }
        0x4c08 | 0x4c09 => {
            ctx.comma();
            ctx.ulong(2);
            Step::Decoded
        }
        _ => {
            ctx.comma();
            structure(ctx, req);
            Step::Decoded
        }
    }
}

fn exit(ctx: &mut Ctx<'_>, req: u64) {
    structure(ctx, req);
}

/// The structure of `req` at the argument, or its address (`NULL`).
fn structure(ctx: &mut Ctx<'_>, req: u64) {
    let size = match req {
        0x4c02 | 0x4c03 => INFO_SIZE,
        0x4c04 | 0x4c05 => INFO64_SIZE,
        _ => CONFIG_SIZE,
    };
    let Some(b) = fetch(ctx, size) else {
        return;
    };
    match req {
        0x4c02 | 0x4c03 => info(ctx, &b),
        0x4c04 | 0x4c05 => info64(ctx, &b),
        _ => {
            let _ = write!(ctx.out, "{{fd=");
            ctx.fd_val(u32_at(&b, 0) as i32);
            let _ = write!(ctx.out, ", block_size={}, info=", u32_at(&b, 4));
            info64(ctx, &b[8..8 + INFO64_SIZE]);
            let reserved = &b[240..304];
            if reserved.iter().any(|&c| c != 0) {
                ctx.push(", __reserved=[");
                for i in 0..8 {
                    if i > 0 {
                        ctx.comma();
                    }
                    ctx.hex_value(u64_at(reserved, 8 * i));
                }
                ctx.push("]");
            }
            ctx.push("}");
        }
    }
}

fn crypt(ctx: &mut Ctx<'_>, kind: u32, key_size: u32) {
    ctx.push(", lo_encrypt_type=");
    ctx.xval(x::LOOP_CRYPT_TYPE_OPTIONS, kind.into(), "LO_CRYPT_???");
    let _ = write!(ctx.out, ", lo_encrypt_key_size={key_size}");
}

fn key(ctx: &mut Ctx<'_>, b: &[u8], key_size: u32) {
    ctx.push(", lo_encrypt_key=");
    let n = key_size.min(LO_KEY_SIZE) as usize;
    text::quote(&mut ctx.out, &b[..n], ctx.opts.hex, false);
}

/// `struct loop_info`.
fn info(ctx: &mut Ctx<'_>, b: &[u8]) {
    let verbose = ctx.opts.verbose;
    let _ = write!(ctx.out, "{{lo_number={}", u32_at(b, 0) as i32);
    if verbose {
        let _ = write!(
            ctx.out,
            ", lo_device={}, lo_inode={}, lo_rdevice={}",
            makedev(u64_at(b, 8)),
            u64_at(b, 16),
            makedev(u64_at(b, 24))
        );
    }
    let _ = write!(ctx.out, ", lo_offset={}", text::Hx(u32_at(b, 32).into()));
    let (kind, key_size) = (u32_at(b, 36), u32_at(b, 40));
    if verbose || kind != 0 {
        crypt(ctx, kind, key_size);
    }
    ctx.push(", lo_flags=");
    ctx.flags(x::LOOP_FLAGS_OPTIONS, u32_at(b, 44).into(), "LO_FLAGS_???");
    ctx.push(", lo_name=");
    cstring(ctx, &b[48..112]);
    if verbose || kind != 0 {
        key(ctx, &b[112..144], key_size);
    }
    if verbose {
        let _ = write!(
            ctx.out,
            ", lo_init=[{}, {}], reserved=[",
            text::Hx(u64_at(b, 144)),
            text::Hx(u64_at(b, 152))
        );
        for (i, &c) in b[160..164].iter().enumerate() {
            if i > 0 {
                ctx.comma();
            }
            ctx.hex_value(c.into());
        }
        ctx.push("]}");
    } else {
        ctx.push(", ...}");
    }
}

/// `struct loop_info64`.
fn info64(ctx: &mut Ctx<'_>, b: &[u8]) {
    let verbose = ctx.opts.verbose;
    if verbose {
        let _ = write!(
            ctx.out,
            "{{lo_device={}, lo_inode={}, lo_rdevice={}, lo_offset={}, lo_sizelimit={}, lo_number={}",
            makedev(u64_at(b, 0)),
            u64_at(b, 8),
            makedev(u64_at(b, 16)),
            text::Hx(u64_at(b, 24)),
            u64_at(b, 32),
            u32_at(b, 40)
        );
    } else {
        let _ = write!(
            ctx.out,
            "{{lo_offset={}, lo_number={}",
            text::Hx(u64_at(b, 24)),
            u32_at(b, 40)
        );
    }
    let (kind, key_size) = (u32_at(b, 44), u32_at(b, 48));
    if verbose || kind != 0 {
        crypt(ctx, kind, key_size);
    }
    ctx.push(", lo_flags=");
    ctx.flags(x::LOOP_FLAGS_OPTIONS, u32_at(b, 52).into(), "LO_FLAGS_???");
    ctx.push(", lo_file_name=");
    cstring(ctx, &b[56..120]);
    if verbose || kind != 0 {
        ctx.push(", lo_crypt_name=");
        cstring(ctx, &b[120..184]);
        key(ctx, &b[184..216], key_size);
    }
    if verbose {
        let _ = write!(
            ctx.out,
            ", lo_init=[{}, {}]}}",
            text::Hx(u64_at(b, 216)),
            text::Hx(u64_at(b, 224))
        );
    } else {
        ctx.push(", ...}");
    }
}
