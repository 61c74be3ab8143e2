//! SCSI generic requests (`scsi/sg.h`, type `0x22`, strace's `scsi.c`, `sg_io_v3.c`,
//! `sg_io_v4.c`, `print_sg_req_info.c`): `SG_IO` in both header versions (`'S'`: `struct
//! sg_io_hdr`, `'Q'`: `struct sg_io_v4`), the device's id, the request table and the
//! integer settings (x86_64 layouts).

use std::fmt::Write as _;

use super::fields::{fetch, u32_at, u64_at};
use super::xlat as x;
use super::Family;
use crate::decode::{structs, Ctx, Step};
use crate::text::{self, Hx};

pub(super) const FAMILY: Family = Family {
    handles: |req| text::lookup(x::SCSI_SG_COMMANDS, req).is_some(),
    enter,
    exit,
};

const SG_SET_TIMEOUT: u64 = 0x2201;
const SG_GET_TIMEOUT: u64 = 0x2202;
const SG_SET_TRANSFORM: u64 = 0x2204;
const SG_GET_SCSI_ID: u64 = 0x2276;
const SG_SCSI_RESET: u64 = 0x2284;
const SG_IO: u64 = 0x2285;
const SG_GET_REQUEST_TABLE: u64 = 0x2286;

const SG_SCSI_RESET_NO_ESCALATE: u64 = 0x100;

/// `SG_DXFER_*` (negative `int`s).
const SG_DXFER_TO_DEV: u32 = -2i32 as u32;
const SG_DXFER_FROM_DEV: u32 = -3i32 as u32;
const SG_DXFER_TO_FROM_DEV: u32 = -4i32 as u32;

/// `struct sg_io_hdr`, `struct sg_io_v4`.
const V3_SIZE: usize = 88;
const V4_SIZE: usize = 160;

/// The requests that take an `int` the kernel reads.
fn sets_int(req: u64) -> bool {
    matches!(
        req,
        0x2283 | 0x2271 | 0x227e | 0x2279 | 0x227b | 0x2287 | 0x2275 | SG_SET_TIMEOUT
    )
}

/// The requests that return an `int`.
fn gets_int(req: u64) -> bool {
    matches!(
        req,
        0x2203
            | 0x2289
            | 0x2270
            | 0x2288
            | 0x227a
            | 0x227d
            | 0x227c
            | 0x2272
            | 0x227f
            | 0x2205
            | 0x2282
    )
}

fn enter(ctx: &mut Ctx<'_>, req: u64) -> Step {
    let arg = ctx.arg(2);
    match req {
        SG_GET_TIMEOUT => Step::Decoded,
        SG_SET_TRANSFORM => {
            ctx.comma();
            ctx.hex_value(arg & 0xffff_ffff);
            Step::Decoded
        }
        _ if sets_int(req) => {
            ctx.comma();
            ctx.int_ptr(arg);
            Step::Decoded
        }
        SG_SCSI_RESET => {
            ctx.comma();
            if let Some(b) = fetch(ctx, 4) {
                let v = u64::from(u32_at(&b, 0));
                ctx.push("[");
                if v & SG_SCSI_RESET_NO_ESCALATE != 0 {
                    ctx.xval(x::SG_SCSI_RESET, SG_SCSI_RESET_NO_ESCALATE, "");
                    ctx.push("|");
                }
                let rest = v & !SG_SCSI_RESET_NO_ESCALATE;
                ctx.xval(x::SG_SCSI_RESET, rest, "SG_SCSI_RESET_???");
                ctx.push("]");
            }
            Step::Decoded
        }
        SG_IO => {
            ctx.comma();
            let Some(b) = fetch(ctx, 4) else {
                return Step::Decoded;
            };
            let iid = u32_at(&b, 0);
            ctx.stash = iid.into();
            match iid {
                0x53 => v3_request(ctx),
                0x51 => v4_request(ctx),
                _ => {
                    let _ = write!(ctx.out, "[{iid}]");
                    Step::Decoded
                }
            }
        }
        _ => {
            ctx.comma();
            Step::Exit
        }
    }
}

fn exit(ctx: &mut Ctx<'_>, req: u64) {
    match req {
        SG_IO => {
            if ctx.stash == 0x53 {
                v3_response(ctx);
            } else {
                v4_response(ctx);
            }
            ctx.push("}");
        }
        SG_GET_SCSI_ID => {
            // struct sg_scsi_id: host_no, channel, scsi_id, lun, scsi_type (int each),
            // h_cmd_per_lun, d_queue_depth (short each).
            let Some(b) = fetch(ctx, 32) else {
                return;
            };
            let i = |o| u32_at(&b, o) as i32;
            let s = |o: usize| i16::from_ne_bytes([b[o], b[o + 1]]);
            let _ = write!(
                ctx.out,
                "{{host_no={}, channel={}, scsi_id={}, lun={}, scsi_type={}, h_cmd_per_lun={}, d_queue_depth={}}}",
                i(0),
                i(4),
                Hx(u32_at(&b, 8).into()),
                i(12),
                Hx(u32_at(&b, 16).into()),
                s(20),
                s(22)
            );
        }
        SG_GET_REQUEST_TABLE => {
            // struct sg_req_info: req_state, orphan, sg_io_owned, problem (char each),
            // pack_id (int), usr_ptr, duration.
            let Some(b) = fetch(ctx, 24) else {
                return;
            };
            let c = |o: usize| b[o] as i8;
            let _ = write!(
                ctx.out,
                "{{req_state={}, orphan={}, sg_io_owned={}, problem={}, pack_id={}, usr_ptr=",
                c(0),
                c(1),
                c(2),
                c(3),
                u32_at(&b, 4) as i32
            );
            ctx.addr(u64_at(&b, 8));
            let _ = write!(ctx.out, ", duration={}}}", u32_at(&b, 16));
        }
        _ if gets_int(req) => ctx.out_arg(2, |c, a| c.int_ptr(a)),
        _ => ctx.addr(ctx.arg(2)),
    }
}

/// An `SG_IO` data buffer: an iovec array of `count` elements or the bytes in hex, `len`
/// bytes of it (strace's `print_sg_io_buffer`).
fn buffer(ctx: &mut Ctx<'_>, name: &str, addr: u64, len: u64, count: u64) {
    let _ = write!(ctx.out, "{name}=");
    if count != 0 {
        structs::iovec(ctx, addr, count, Some(len), true);
    } else {
        ctx.buf_ex(addr, len, true);
    }
}

/// The rest of a `struct sg_io_hdr` after its interface id: `{interface_id='S', ` and the
/// fields the kernel reads, or the address of the part after the id.
fn v3_request(ctx: &mut Ctx<'_>) -> Step {
    ctx.push("{interface_id='S', ");
    let arg = ctx.arg(2);
    let Some(b) = ctx.read_bytes(arg + 4, V3_SIZE - 4) else {
        ctx.addr(arg + 4);
        ctx.push("}");
        return Step::Decoded;
    };
    // Offsets in `b` are the header's less 4.
    let dir = u32_at(&b, 0);
    ctx.push("dxfer_direction=");
    ctx.xval(x::SG_IO_DXFER_DIRECTION, dir.into(), "SG_DXFER_???");
    let cmd_len = b[4];
    let _ = write!(ctx.out, ", cmd_len={cmd_len}, ");
    buffer(ctx, "cmdp", u64_at(&b, 20), cmd_len.into(), 0);
    let iovec_count = u16::from_ne_bytes([b[6], b[7]]);
    let dxfer_len = u32_at(&b, 8);
    let _ = write!(
        ctx.out,
        ", mx_sb_len={}, iovec_count={iovec_count}, dxfer_len={dxfer_len}, timeout={}, flags=",
        b[5],
        u32_at(&b, 36)
    );
    ctx.flags(x::SG_IO_FLAGS, u32_at(&b, 40).into(), "SG_FLAG_???");
    if dir == SG_DXFER_TO_DEV || dir == SG_DXFER_TO_FROM_DEV {
        ctx.push(", ");
        buffer(
            ctx,
            "dxferp",
            u64_at(&b, 12),
            dxfer_len.into(),
            iovec_count.into(),
        );
    }
    Step::Exit
}

/// What the kernel wrote into a `struct sg_io_hdr` (failed or not, as strace).
fn v3_response(ctx: &mut Ctx<'_>) {
    let Some(b) = ctx.read_bytes(ctx.arg(2), V3_SIZE) else {
        return;
    };
    if u32_at(&b, 0) != 0x53 {
        let _ = write!(ctx.out, " => interface_id={}", u32_at(&b, 0));
        return;
    }
    let dir = u32_at(&b, 4);
    if dir == SG_DXFER_FROM_DEV || dir == SG_DXFER_TO_FROM_DEV {
        let mut din_len = u32_at(&b, 12);
        let resid = u32_at(&b, 72) as i32;
        if resid > 0 && resid as u32 <= din_len {
            din_len -= resid as u32;
        }
        let count = u16::from_ne_bytes([b[10], b[11]]);
        if dir == SG_DXFER_FROM_DEV || din_len != 0 {
            ctx.push(if dir == SG_DXFER_FROM_DEV {
                ", "
            } else {
                " => "
            });
            buffer(ctx, "dxferp", u64_at(&b, 16), din_len.into(), count.into());
        }
    }
    let _ = write!(
        ctx.out,
        ", status={}, masked_status={}, msg_status={}, sb_len_wr={}, ",
        Hx(b[64].into()),
        Hx(b[65].into()),
        Hx(b[66].into()),
        b[67]
    );
    buffer(ctx, "sbp", u64_at(&b, 32), b[67].into(), 0);
    let _ = write!(
        ctx.out,
        ", host_status={}, driver_status={}, resid={}, duration={}, info=",
        Hx(u16::from_ne_bytes([b[68], b[69]]).into()),
        Hx(u16::from_ne_bytes([b[70], b[71]]).into()),
        u32_at(&b, 72) as i32,
        u32_at(&b, 76)
    );
    ctx.flags(x::SG_IO_INFO, u32_at(&b, 80).into(), "SG_INFO_???");
}

/// `{guard='Q', ` and the fields of a `struct sg_io_v4` the kernel reads, or the address of
/// the part after the guard.
fn v4_request(ctx: &mut Ctx<'_>) -> Step {
    ctx.push("{guard='Q', ");
    let arg = ctx.arg(2);
    let Some(b) = ctx.read_bytes(arg, V4_SIZE) else {
        ctx.addr(arg + 4);
        ctx.push("}");
        return Step::Decoded;
    };
    let u = |o| u32_at(&b, o);
    ctx.push("protocol=");
    ctx.xval(x::BSG_PROTOCOL, u(4).into(), "BSG_PROTOCOL_???");
    ctx.push(", subprotocol=");
    ctx.xval(x::BSG_SUBPROTOCOL, u(8).into(), "BSG_SUB_PROTOCOL_???");
    let _ = write!(ctx.out, ", request_len={}, ", u(12));
    buffer(ctx, "request", u64_at(&b, 16), u(12).into(), 0);
    let _ = write!(
        ctx.out,
        ", request_tag={}, request_attr={}, request_priority={}, request_extra={}, max_response_len={}, dout_iovec_count={}, dout_xfer_len={}, din_iovec_count={}, din_xfer_len={}, ",
        Hx(u64_at(&b, 24)),
        u(32),
        u(36),
        u(40),
        u(44),
        u(56),
        u(60),
        u(64),
        u(68)
    );
    buffer(
        ctx,
        "dout_xferp",
        u64_at(&b, 72),
        u(60).into(),
        u(56).into(),
    );
    let _ = write!(ctx.out, ", timeout={}, flags=", u(88));
    ctx.flags(x::BSG_FLAGS, u(92).into(), "BSG_FLAG_???");
    let _ = write!(ctx.out, ", usr_ptr={}", Hx(u64_at(&b, 96)));
    Step::Exit
}

/// What the kernel wrote into a `struct sg_io_v4` (failed or not, as strace).
fn v4_response(ctx: &mut Ctx<'_>) {
    let Some(b) = ctx.read_bytes(ctx.arg(2), V4_SIZE) else {
        return;
    };
    let u = |o| u32_at(&b, o);
    if u(0) != 0x51 {
        let _ = write!(ctx.out, " => guard={}", u(0));
        return;
    }
    let _ = write!(ctx.out, ", response_len={}, ", u(132));
    buffer(ctx, "response", u64_at(&b, 48), u(132).into(), 0);
    let mut din_len = u(68);
    let resid = u(136) as i32;
    if resid > 0 && resid as u32 <= din_len {
        din_len -= resid as u32;
    }
    ctx.push(", ");
    buffer(
        ctx,
        "din_xferp",
        u64_at(&b, 80),
        din_len.into(),
        u(64).into(),
    );
    let _ = write!(
        ctx.out,
        ", driver_status={}, transport_status={}, device_status={}, retry_delay={}, info=",
        Hx(u(108).into()),
        Hx(u(112).into()),
        Hx(u(116).into()),
        u(120)
    );
    ctx.flags(x::SG_IO_INFO, u(124).into(), "SG_INFO_???");
    let _ = write!(
        ctx.out,
        ", duration={}, response_len={}, din_resid={}, dout_resid={}, generated_tag={}",
        u(128),
        u(132),
        u(136) as i32,
        u(140) as i32,
        Hx(u64_at(&b, 144))
    );
}
