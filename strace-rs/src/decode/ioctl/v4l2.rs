//! Video4Linux2 requests (`linux/videodev2.h`, type `'V'`): capabilities, formats, buffers,
//! stream parameters, standards, inputs, controls, tuners, crop, frame sizes and intervals.
//! Layouts are the x86_64 ones; in an i386 tracee the requests are only named.

use std::fmt::Write as _;

use super::fields::{array, u32_at, u64_at};
use super::Family;
use crate::decode::{Abi, Ctx, Step};
use crate::text::{self, XlatStyle};

pub(super) const FAMILY: Family = Family {
    handles,
    enter,
    exit,
};

const VIDIOC_QUERYCAP: u64 = 0x8068_5600;
const VIDIOC_ENUM_FMT: u64 = 0xc040_5602;
const VIDIOC_G_FMT: u64 = 0xc0d0_5604;
const VIDIOC_S_FMT: u64 = 0xc0d0_5605;
const VIDIOC_REQBUFS: u64 = 0xc014_5608;
const VIDIOC_QUERYBUF: u64 = 0xc058_5609;
const VIDIOC_G_FBUF: u64 = 0x8030_560a;
const VIDIOC_S_FBUF: u64 = 0x4030_560b;
const VIDIOC_QBUF: u64 = 0xc058_560f;
const VIDIOC_DQBUF: u64 = 0xc058_5611;
const VIDIOC_STREAMON: u64 = 0x4004_5612;
const VIDIOC_STREAMOFF: u64 = 0x4004_5613;
const VIDIOC_G_PARM: u64 = 0xc0cc_5615;
const VIDIOC_S_PARM: u64 = 0xc0cc_5616;
const VIDIOC_G_STD: u64 = 0x8008_5617;
const VIDIOC_S_STD: u64 = 0x4008_5618;
const VIDIOC_ENUMSTD: u64 = 0xc048_5619;
const VIDIOC_ENUMINPUT: u64 = 0xc050_561a;
const VIDIOC_G_CTRL: u64 = 0xc008_561b;
const VIDIOC_S_CTRL: u64 = 0xc008_561c;
const VIDIOC_G_TUNER: u64 = 0xc054_561d;
const VIDIOC_S_TUNER: u64 = 0x4054_561e;
const VIDIOC_QUERYCTRL: u64 = 0xc044_5624;
const VIDIOC_G_INPUT: u64 = 0x8004_5626;
const VIDIOC_S_INPUT: u64 = 0xc004_5627;
const VIDIOC_CROPCAP: u64 = 0xc02c_563a;
const VIDIOC_G_CROP: u64 = 0xc014_563b;
const VIDIOC_S_CROP: u64 = 0x4014_563c;
const VIDIOC_TRY_FMT: u64 = 0xc0d0_5640;
const VIDIOC_G_EXT_CTRLS: u64 = 0xc020_5647;
const VIDIOC_S_EXT_CTRLS: u64 = 0xc020_5648;
const VIDIOC_TRY_EXT_CTRLS: u64 = 0xc020_5649;
const VIDIOC_ENUM_FRAMESIZES: u64 = 0xc02c_564a;
const VIDIOC_ENUM_FRAMEINTERVALS: u64 = 0xc034_564b;
const VIDIOC_CREATE_BUFS: u64 = 0xc100_565c;
const VIDIOC_QUERY_EXT_CTRL: u64 = 0xc0e8_5667;

const DECODED: &[u64] = &[
    VIDIOC_QUERYCAP,
    VIDIOC_ENUM_FMT,
    VIDIOC_G_FMT,
    VIDIOC_S_FMT,
    VIDIOC_TRY_FMT,
    VIDIOC_REQBUFS,
    VIDIOC_QUERYBUF,
    VIDIOC_QBUF,
    VIDIOC_DQBUF,
    VIDIOC_G_FBUF,
    VIDIOC_S_FBUF,
    VIDIOC_STREAMON,
    VIDIOC_STREAMOFF,
    VIDIOC_G_PARM,
    VIDIOC_S_PARM,
    VIDIOC_G_STD,
    VIDIOC_S_STD,
    VIDIOC_ENUMSTD,
    VIDIOC_ENUMINPUT,
    VIDIOC_G_CTRL,
    VIDIOC_S_CTRL,
    VIDIOC_G_TUNER,
    VIDIOC_S_TUNER,
    VIDIOC_QUERYCTRL,
    VIDIOC_QUERY_EXT_CTRL,
    VIDIOC_G_INPUT,
    VIDIOC_S_INPUT,
    VIDIOC_CROPCAP,
    VIDIOC_G_CROP,
    VIDIOC_S_CROP,
    VIDIOC_S_EXT_CTRLS,
    VIDIOC_TRY_EXT_CTRLS,
    VIDIOC_G_EXT_CTRLS,
    VIDIOC_ENUM_FRAMESIZES,
    VIDIOC_ENUM_FRAMEINTERVALS,
    VIDIOC_CREATE_BUFS,
];

fn handles(req: u64) -> bool {
    DECODED.contains(&req)
}

const V4L2_BUF_FLAG_TIMESTAMP_MASK: u32 = 0xe000;
const V4L2_BUF_FLAG_TSTAMP_SRC_MASK: u32 = 0x7_0000;
const V4L2_MEMORY_MMAP: u32 = 1;
const V4L2_MEMORY_USERPTR: u32 = 2;

fn u16_at(b: &[u8], o: usize) -> u16 {
    u16::from_ne_bytes([b[o], b[o + 1]])
}

fn i32_at(b: &[u8], o: usize) -> i32 {
    u32_at(b, o) as i32
}

/// The structure `req` carries (its size is in the request).
fn read(ctx: &Ctx<'_>, req: u64) -> Option<Vec<u8>> {
    let arg = ctx.arg(2);
    let size = ((req >> 16) & 0x3fff) as usize;
    ctx.read_bytes(arg, size).filter(|_| arg != 0)
}

/// A `char[]` field up to its NUL (strace's `PRINT_FIELD_CSTRING`).
fn cstr(ctx: &mut Ctx<'_>, name: &str, b: &[u8]) {
    let _ = write!(ctx.out, "{name}=");
    super::fields::cstring(ctx, b);
}

fn fourcc(ctx: &mut Ctx<'_>, v: u32, table: Option<text::Xlat>) {
    if ctx.opts.xlat == XlatStyle::Raw {
        ctx.hex_value(v.into());
        return;
    }
    ctx.push("v4l2_fourcc(");
    for (i, c) in v.to_le_bytes().into_iter().enumerate() {
        if i > 0 {
            ctx.push(", ");
        }
        ctx.push("'");
        match c {
            b'\'' | b'\\' => {
                ctx.push("\\");
                ctx.out.push(c as char);
            }
            0x20..=0x7e => ctx.out.push(c as char),
            _ => {
                let _ = write!(ctx.out, "\\x{c:02x}");
            }
        }
        ctx.push("'");
    }
    ctx.push(")");
    if let Some(n) = table.and_then(|t| text::lookup(t, v.into())) {
        let _ = write!(ctx.out, " /* {n} */");
    }
}

fn rect(ctx: &mut Ctx<'_>, b: &[u8], o: usize) {
    let _ = write!(
        ctx.out,
        "{{left={}, top={}, width={}, height={}}}",
        i32_at(b, o),
        i32_at(b, o + 4),
        u32_at(b, o + 8),
        u32_at(b, o + 12)
    );
}

fn fract(ctx: &mut Ctx<'_>, name: &str, b: &[u8], o: usize) {
    let _ = write!(ctx.out, "{name}={}/{}", u32_at(b, o), u32_at(b, o + 4));
}

fn xval_field(ctx: &mut Ctx<'_>, name: &str, table: text::Xlat, v: u32, dflt: &str) {
    let _ = write!(ctx.out, "{name}=");
    ctx.xval(table, v.into(), dflt);
}

fn flags_field(ctx: &mut Ctx<'_>, name: &str, table: text::Xlat, v: u32, dflt: &str) {
    let _ = write!(ctx.out, "{name}=");
    ctx.flags(table, v.into(), dflt);
}

fn buf_type(ctx: &mut Ctx<'_>, v: u32) {
    xval_field(ctx, "type", V4L2_BUF_TYPES, v, "V4L2_BUF_TYPE_???");
}

/// A value as `print_xlat_ex`: the name, `0x.. /* name */` or the number.
fn xlat_ex(ctx: &mut Ctx<'_>, v: u32, name: &str) {
    match ctx.opts.xlat {
        XlatStyle::Raw => ctx.hex_value(v.into()),
        XlatStyle::Abbrev => ctx.push(name),
        XlatStyle::Verbose => {
            ctx.hex_value(v.into());
            let _ = write!(ctx.out, " /* {name} */");
        }
    }
}

/// A control id (strace's `print_v4l2_cid`): `next_flags` splits off the
/// `V4L2_CTRL_FLAG_NEXT_*` bits.
fn cid(ctx: &mut Ctx<'_>, mut id: u32, next_flags: bool) {
    if ctx.opts.xlat == XlatStyle::Raw {
        ctx.hex_value(id.into());
        return;
    }
    if next_flags {
        let flags = id & 0xc000_0000;
        if flags != 0 {
            ctx.flags(
                V4L2_CONTROL_QUERY_FLAGS,
                flags.into(),
                "V4L2_CTRL_FLAG_NEXT_???",
            );
            ctx.push("|");
            id &= !flags;
        }
    }
    if let Some(n) = text::lookup(V4L2_CONTROL_IDS, id.into()) {
        xlat_ex(ctx, id, n);
        return;
    }
    let class = V4L2_CONTROL_CLASSES
        .iter()
        .filter(|(v, _)| *v <= u64::from(id))
        .max_by_key(|(v, _)| *v);
    match class {
        Some((base, name)) if u64::from(id) - base < 0x10000 => {
            let s = format!("{name}+{}", text::Hx(u64::from(id) - base));
            xlat_ex(ctx, id, &s);
        }
        _ => {
            ctx.hex_value(id.into());
            if ctx.opts.xlat != XlatStyle::Raw {
                ctx.push(" /* V4L2_CID_??? */");
            }
        }
    }
}

/// `fmt.<member>={...}` of a `struct v4l2_format` whose `fmt` union starts at `o`;
/// `false` for a type without a member.
fn format_fmt(ctx: &mut Ctx<'_>, ty: u32, b: &[u8], o: usize, prefix: &str) -> bool {
    let p = &b[o..];
    match ty {
        1 | 2 => {
            ctx.push(prefix);
            let _ = write!(
                ctx.out,
                "fmt.pix={{width={}, height={}, pixelformat=",
                u32_at(p, 0),
                u32_at(p, 4)
            );
            fourcc(ctx, u32_at(p, 8), Some(V4L2_PIX_FMTS));
            ctx.push(", ");
            xval_field(ctx, "field", V4L2_FIELDS, u32_at(p, 12), "V4L2_FIELD_???");
            let _ = write!(
                ctx.out,
                ", bytesperline={}, sizeimage={}, ",
                u32_at(p, 16),
                u32_at(p, 20)
            );
            xval_field(
                ctx,
                "colorspace",
                V4L2_COLORSPACES,
                u32_at(p, 24),
                "V4L2_COLORSPACE_???",
            );
            ctx.push("}");
        }
        9 | 10 => {
            ctx.push(prefix);
            let _ = write!(
                ctx.out,
                "fmt.pix_mp={{width={}, height={}, pixelformat=",
                u32_at(p, 0),
                u32_at(p, 4)
            );
            fourcc(ctx, u32_at(p, 8), Some(V4L2_PIX_FMTS));
            ctx.push(", ");
            xval_field(ctx, "field", V4L2_FIELDS, u32_at(p, 12), "V4L2_FIELD_???");
            ctx.push(", ");
            xval_field(
                ctx,
                "colorspace",
                V4L2_COLORSPACES,
                u32_at(p, 16),
                "V4L2_COLORSPACE_???",
            );
            let planes = p[180];
            ctx.push(", plane_fmt=");
            let offs: Vec<u64> = (0..8).map(|i| 20 + 20 * i).collect();
            let pp = p.to_vec();
            array(ctx, &offs, planes.into(), |c, o| {
                let o = o as usize;
                let _ = write!(
                    c.out,
                    "{{sizeimage={}, bytesperline={}}}",
                    u32_at(&pp, o),
                    u32_at(&pp, o + 4)
                );
            });
            let _ = write!(ctx.out, ", num_planes={planes}}}");
        }
        3 | 8 => {
            ctx.push(prefix);
            ctx.push("fmt.win={w=");
            rect(ctx, p, 0);
            ctx.push(", ");
            xval_field(ctx, "field", V4L2_FIELDS, u32_at(p, 16), "V4L2_FIELD_???");
            let _ = write!(
                ctx.out,
                ", chromakey={}, clips=",
                text::Hx(u32_at(p, 20).into())
            );
            let clips = u64_at(p, 24);
            let count = u32_at(p, 32);
            let walked = ctx.array(clips, count.into(), 24, &mut |c, e| {
                c.push("{c=");
                rect(c, e, 0);
                c.push("}");
            });
            let _ = write!(ctx.out, ", clipcount={count}, bitmap=");
            ctx.addr(u64_at(p, 40));
            if p[48] != 0 {
                let _ = write!(ctx.out, ", global_alpha={:#x}", p[48]);
            }
            ctx.push("}");
            return walked;
        }
        4 | 5 => {
            ctx.push(prefix);
            let _ = write!(
                ctx.out,
                "fmt.vbi={{sampling_rate={}, offset={}, samples_per_line={}, sample_format=",
                u32_at(p, 0),
                u32_at(p, 4),
                u32_at(p, 8)
            );
            fourcc(ctx, u32_at(p, 12), Some(V4L2_PIX_FMTS));
            let _ = write!(
                ctx.out,
                ", start=[{}, {}], count=[{}, {}], ",
                i32_at(p, 16),
                i32_at(p, 20),
                u32_at(p, 24),
                u32_at(p, 28)
            );
            flags_field(ctx, "flags", V4L2_VBI_FLAGS, u32_at(p, 32), "V4L2_VBI_???");
            ctx.push("}");
        }
        6 | 7 => {
            ctx.push(prefix);
            ctx.push("fmt.sliced={");
            flags_field(
                ctx,
                "service_set",
                V4L2_SLICED_FLAGS,
                u16_at(p, 0).into(),
                "V4L2_SLICED_???",
            );
            ctx.push(", service_lines=[");
            for r in 0..2 {
                ctx.push(if r == 0 { "[" } else { ", [" });
                for i in 0..24 {
                    if i > 0 {
                        ctx.push(", ");
                    }
                    ctx.hex_value(u16_at(p, 2 + 2 * (24 * r + i)).into());
                }
                ctx.push("]");
            }
            let _ = write!(ctx.out, "], io_size={}}}", u32_at(p, 100));
        }
        11 | 12 => {
            ctx.push(prefix);
            ctx.push("fmt.sdr={pixelformat=");
            fourcc(ctx, u32_at(p, 0), Some(V4L2_SDR_FMTS));
            if u32_at(p, 4) != 0 {
                let _ = write!(ctx.out, ", buffersize={}", u32_at(p, 4));
            }
            ctx.push("}");
        }
        13 | 14 => {
            ctx.push(prefix);
            ctx.push("fmt.meta={dataformat=");
            fourcc(ctx, u32_at(p, 0), Some(V4L2_META_FMTS));
            let _ = write!(ctx.out, ", buffersize={}}}", u32_at(p, 4));
        }
        _ => return false,
    }
    true
}

fn buffer_flags(ctx: &mut Ctx<'_>, v: u32) {
    if ctx.opts.xlat == XlatStyle::Raw {
        ctx.hex_value(v.into());
        return;
    }
    let ts_type = v & V4L2_BUF_FLAG_TIMESTAMP_MASK;
    let ts_src = v & V4L2_BUF_FLAG_TSTAMP_SRC_MASK;
    let flags = v & !ts_type & !ts_src;
    if flags != 0 {
        ctx.flags(V4L2_BUF_FLAGS, flags.into(), "V4L2_BUF_FLAG_???");
        ctx.push("|");
    }
    ctx.xval(
        V4L2_BUF_FLAGS_TS_TYPE,
        ts_type.into(),
        "V4L2_BUF_FLAG_TIMESTAMP_???",
    );
    ctx.push("|");
    ctx.xval(
        V4L2_BUF_FLAGS_TS_SRC,
        ts_src.into(),
        "V4L2_BUF_FLAG_TSTAMP_SRC_???",
    );
}

fn streamparm(ctx: &mut Ctx<'_>, b: &[u8]) {
    let ty = u32_at(b, 0);
    let p = &b[4..];
    let capture = ty == 1;
    ctx.push(if capture {
        "parm.capture={"
    } else {
        "parm.output={"
    });
    flags_field(
        ctx,
        "capability",
        V4L2_STREAMING_CAPABILITIES,
        u32_at(p, 0),
        "V4L2_CAP_???",
    );
    ctx.push(", ");
    flags_field(
        ctx,
        if capture { "capturemode" } else { "outputmode" },
        V4L2_CAPTURE_MODES,
        u32_at(p, 4),
        "V4L2_MODE_???",
    );
    ctx.push(", ");
    fract(ctx, "timeperframe", p, 8);
    let _ = write!(
        ctx.out,
        ", extendedmode={}, {}={}}}",
        text::Hx(u32_at(p, 16).into()),
        if capture {
            "readbuffers"
        } else {
            "writebuffers"
        },
        u32_at(p, 20)
    );
}

fn tuner(ctx: &mut Ctx<'_>, b: &[u8]) {
    cstr(ctx, "name", &b[4..36]);
    ctx.push(", ");
    xval_field(
        ctx,
        "type",
        V4L2_TUNER_TYPES,
        u32_at(b, 36),
        "V4L2_TUNER_???",
    );
    ctx.push(", ");
    flags_field(
        ctx,
        "capability",
        V4L2_TUNER_CAPABILITIES,
        u32_at(b, 40),
        "V4L2_TUNER_CAP_???",
    );
    let _ = write!(
        ctx.out,
        ", rangelow={}, rangehigh={}, ",
        u32_at(b, 44),
        u32_at(b, 48)
    );
    flags_field(
        ctx,
        "rxsubchans",
        V4L2_TUNER_RXSUBCHANSES,
        u32_at(b, 52),
        "V4L2_TUNER_SUB_???",
    );
    ctx.push(", ");
    xval_field(
        ctx,
        "audmode",
        V4L2_TUNER_AUDMODES,
        u32_at(b, 56),
        "V4L2_TUNER_MODE_???",
    );
    let _ = write!(ctx.out, ", signal={}, afc={}", i32_at(b, 60), i32_at(b, 64));
}

/// `reserved=[...]` when not all zero.
fn reserved(ctx: &mut Ctx<'_>, b: &[u8], o: usize, n: usize) {
    let v: Vec<u32> = (0..n).map(|i| u32_at(b, o + 4 * i)).collect();
    if v.iter().any(|&x| x != 0) {
        ctx.push(", reserved=[");
        for (i, x) in v.iter().enumerate() {
            if i > 0 {
                ctx.push(", ");
            }
            ctx.hex_value((*x).into());
        }
        ctx.push("]");
    }
}

fn ext_control(ctx: &mut Ctx<'_>, e: &[u8]) {
    ctx.push("{");
    xval_field(ctx, "id", V4L2_CONTROL_IDS, u32_at(e, 0), "V4L2_CID_???");
    let size = u32_at(e, 4);
    let _ = write!(ctx.out, ", size={size}");
    if size > 0 {
        ctx.push(", string=");
        ctx.buf(u64_at(e, 12), size.into());
    } else {
        let _ = write!(
            ctx.out,
            ", value={}, value64={}",
            i32_at(e, 12),
            u64_at(e, 12) as i64
        );
    }
    ctx.push("}");
}

/// `controls=[...]` of a `struct v4l2_ext_controls`; `false` when unreadable.
fn ext_controls(ctx: &mut Ctx<'_>, b: &[u8]) -> bool {
    ctx.push("controls=");
    let count = u32_at(b, 4);
    let addr = u64_at(b, 24);
    ctx.array(addr, count.into(), 20, &mut ext_control)
}

fn enter(ctx: &mut Ctx<'_>, req: u64) -> Step {
    ctx.comma();
    let arg = ctx.arg(2);
    if ctx.abi != Abi::X86_64 {
        ctx.hex_value(arg);
        return Step::Decoded;
    }
    match req {
        VIDIOC_QUERYCAP | VIDIOC_G_FBUF | VIDIOC_G_STD | VIDIOC_G_INPUT => return Step::Exit,
        VIDIOC_S_FBUF => {
            framebuffer(ctx, req);
            return Step::Decoded;
        }
        VIDIOC_STREAMON | VIDIOC_STREAMOFF => {
            match ctx.read::<i32>(arg) {
                Some(t) => {
                    ctx.push("[");
                    ctx.xval(V4L2_BUF_TYPES, u64::from(t as u32), "V4L2_BUF_TYPE_???");
                    ctx.push("]");
                }
                None => ctx.addr(arg),
            }
            return Step::Decoded;
        }
        VIDIOC_S_STD => {
            match ctx.read::<u64>(arg) {
                Some(v) => {
                    let _ = write!(ctx.out, "[{}]", text::Hx(v));
                }
                None => ctx.addr(arg),
            }
            return Step::Decoded;
        }
        VIDIOC_S_INPUT => {
            match ctx.read::<u32>(arg) {
                Some(v) => {
                    let _ = write!(ctx.out, "[{v}]");
                }
                None => ctx.addr(arg),
            }
            return Step::Decoded;
        }
        _ => {}
    }
    let Some(b) = read(ctx, req) else {
        ctx.addr(arg);
        return Step::Decoded;
    };
    match req {
        VIDIOC_ENUM_FMT => {
            let _ = write!(ctx.out, "{{index={}, ", u32_at(&b, 0));
            buf_type(ctx, u32_at(&b, 4));
        }
        VIDIOC_G_FMT | VIDIOC_S_FMT | VIDIOC_TRY_FMT => {
            ctx.push("{");
            let ty = u32_at(&b, 0);
            buf_type(ctx, ty);
            if req != VIDIOC_G_FMT && !format_fmt(ctx, ty, &b, 8, ", ") {
                ctx.push("}");
                return Step::Decoded;
            }
        }
        VIDIOC_REQBUFS => {
            ctx.push("{");
            buf_type(ctx, u32_at(&b, 4));
            ctx.push(", ");
            xval_field(
                ctx,
                "memory",
                V4L2_MEMORIES,
                u32_at(&b, 8),
                "V4L2_MEMORY_???",
            );
            let _ = write!(ctx.out, ", count={}", u32_at(&b, 0));
        }
        VIDIOC_QUERYBUF | VIDIOC_QBUF | VIDIOC_DQBUF => {
            ctx.push("{");
            buf_type(ctx, u32_at(&b, 4));
            if req != VIDIOC_DQBUF {
                let _ = write!(ctx.out, ", index={}", u32_at(&b, 0));
            }
        }
        VIDIOC_G_PARM | VIDIOC_S_PARM => {
            ctx.push("{");
            let ty = u32_at(&b, 0);
            buf_type(ctx, ty);
            if ty != 1 && ty != 2 {
                ctx.push("}");
                return Step::Decoded;
            }
            if req == VIDIOC_S_PARM {
                ctx.push(", ");
                streamparm(ctx, &b);
            }
        }
        VIDIOC_ENUMSTD | VIDIOC_ENUMINPUT => {
            let _ = write!(ctx.out, "{{index={}", u32_at(&b, 0));
        }
        VIDIOC_G_CTRL | VIDIOC_S_CTRL => {
            ctx.push("{id=");
            cid(ctx, u32_at(&b, 0), false);
            if req == VIDIOC_S_CTRL {
                let _ = write!(ctx.out, ", value={}", i32_at(&b, 4));
            }
        }
        VIDIOC_G_TUNER | VIDIOC_S_TUNER => {
            let _ = write!(ctx.out, "{{index={}", u32_at(&b, 0));
            if req == VIDIOC_S_TUNER {
                ctx.push(", ");
                tuner(ctx, &b);
            }
        }
        VIDIOC_QUERYCTRL | VIDIOC_QUERY_EXT_CTRL => {
            ctx.stash = u32_at(&b, 0).into();
            ctx.push("{id=");
            cid(ctx, u32_at(&b, 0), true);
        }
        VIDIOC_CROPCAP => {
            ctx.push("{");
            buf_type(ctx, u32_at(&b, 0));
        }
        VIDIOC_G_CROP | VIDIOC_S_CROP => {
            ctx.push("{");
            buf_type(ctx, u32_at(&b, 0));
            if req == VIDIOC_S_CROP {
                ctx.push(", c=");
                rect(ctx, &b, 4);
                ctx.push("}");
                return Step::Decoded;
            }
        }
        VIDIOC_G_EXT_CTRLS | VIDIOC_S_EXT_CTRLS | VIDIOC_TRY_EXT_CTRLS => {
            ctx.push("{");
            xval_field(
                ctx,
                "ctrl_class",
                V4L2_CONTROL_CLASSES,
                u32_at(&b, 0),
                "V4L2_CTRL_CLASS_???",
            );
            let count = u32_at(&b, 4);
            let _ = write!(ctx.out, ", count={count}");
            if count == 0 {
                ctx.push("}");
                return Step::Decoded;
            }
            if req != VIDIOC_G_EXT_CTRLS {
                ctx.push(", ");
                if !ext_controls(ctx, &b) {
                    ctx.push("}");
                    return Step::Decoded;
                }
            }
        }
        VIDIOC_ENUM_FRAMESIZES => {
            let _ = write!(ctx.out, "{{index={}, pixel_format=", u32_at(&b, 0));
            fourcc(ctx, u32_at(&b, 4), Some(V4L2_PIX_FMTS));
        }
        VIDIOC_ENUM_FRAMEINTERVALS => {
            let _ = write!(ctx.out, "{{index={}, pixel_format=", u32_at(&b, 0));
            fourcc(ctx, u32_at(&b, 4), Some(V4L2_PIX_FMTS));
            let _ = write!(
                ctx.out,
                ", width={}, height={}",
                u32_at(&b, 8),
                u32_at(&b, 12)
            );
        }
        VIDIOC_CREATE_BUFS => {
            let _ = write!(ctx.out, "{{count={}, ", u32_at(&b, 4));
            xval_field(
                ctx,
                "memory",
                V4L2_MEMORIES,
                u32_at(&b, 8),
                "V4L2_MEMORY_???",
            );
            ctx.push(", format={");
            let ty = u32_at(&b, 16);
            buf_type(ctx, ty);
            format_fmt(ctx, ty, &b, 24, ", ");
            ctx.push("}}");
        }
        _ => {}
    }
    Step::Exit
}

fn framebuffer(ctx: &mut Ctx<'_>, req: u64) {
    let arg = ctx.arg(2);
    match read(ctx, req) {
        Some(b) => {
            let _ = write!(
                ctx.out,
                "{{capability={}, flags={}, base=",
                text::Hx(u32_at(&b, 0).into()),
                text::Hx(u32_at(&b, 4).into())
            );
            ctx.addr(u64_at(&b, 8));
            ctx.push("}");
        }
        None => ctx.addr(arg),
    }
}

fn exit(ctx: &mut Ctx<'_>, req: u64) {
    let arg = ctx.arg(2);
    match req {
        VIDIOC_QUERYCAP => {
            let b = if ctx.error { None } else { read(ctx, req) };
            let Some(b) = b else {
                ctx.addr(arg);
                return;
            };
            ctx.push("{");
            cstr(ctx, "driver", &b[0..16]);
            ctx.push(", ");
            cstr(ctx, "card", &b[16..48]);
            ctx.push(", ");
            cstr(ctx, "bus_info", &b[48..80]);
            ctx.push(", version=");
            kernel_version(ctx, u32_at(&b, 80));
            ctx.push(", ");
            flags_field(
                ctx,
                "capabilities",
                V4L2_DEVICE_CAPABILITIES_FLAGS,
                u32_at(&b, 84),
                "V4L2_CAP_???",
            );
            if u32_at(&b, 88) != 0 {
                ctx.push(", ");
                flags_field(
                    ctx,
                    "device_caps",
                    V4L2_DEVICE_CAPABILITIES_FLAGS,
                    u32_at(&b, 88),
                    "V4L2_CAP_???",
                );
            }
            ctx.push("}");
            return;
        }
        VIDIOC_G_FBUF => {
            if ctx.error {
                ctx.addr(arg);
            } else {
                framebuffer(ctx, req);
            }
            return;
        }
        VIDIOC_G_STD => {
            if ctx.error {
                ctx.addr(arg);
            } else {
                match ctx.read::<u64>(arg) {
                    Some(v) => {
                        let _ = write!(ctx.out, "[{}]", text::Hx(v));
                    }
                    None => ctx.addr(arg),
                }
            }
            return;
        }
        VIDIOC_CREATE_BUFS => {
            if let Some(b) = read(ctx, req).filter(|_| !ctx.error) {
                ctx.rextra = format!(" ({{index={}, count={}}})", u32_at(&b, 0), u32_at(&b, 4));
            }
            return;
        }
        VIDIOC_G_INPUT => {
            if ctx.error {
                ctx.addr(arg);
            } else {
                match ctx.read::<u32>(arg) {
                    Some(v) => {
                        let _ = write!(ctx.out, "[{v}]");
                    }
                    None => ctx.addr(arg),
                }
            }
            return;
        }
        _ => {}
    }
    let b = if matches!(
        req,
        VIDIOC_G_EXT_CTRLS | VIDIOC_S_EXT_CTRLS | VIDIOC_TRY_EXT_CTRLS
    ) || !ctx.error
    {
        read(ctx, req)
    } else {
        None
    };
    let Some(b) = b else {
        ctx.push("}");
        return;
    };
    match req {
        VIDIOC_ENUM_FMT => {
            ctx.push(", ");
            flags_field(
                ctx,
                "flags",
                V4L2_FORMAT_DESCRIPTION_FLAGS,
                u32_at(&b, 8),
                "V4L2_FMT_FLAG_???",
            );
            ctx.push(", ");
            cstr(ctx, "description", &b[12..44]);
            ctx.push(", pixelformat=");
            fourcc(ctx, u32_at(&b, 44), Some(V4L2_PIX_FMTS));
        }
        VIDIOC_G_FMT | VIDIOC_S_FMT | VIDIOC_TRY_FMT => {
            let prefix = if req == VIDIOC_G_FMT { ", " } else { "} => {" };
            format_fmt(ctx, u32_at(&b, 0), &b, 8, prefix);
        }
        VIDIOC_REQBUFS => {
            let _ = write!(ctx.out, " => {}", u32_at(&b, 0));
        }
        VIDIOC_QUERYBUF | VIDIOC_QBUF | VIDIOC_DQBUF => {
            if req == VIDIOC_DQBUF {
                let _ = write!(ctx.out, ", index={}", u32_at(&b, 0));
            }
            ctx.push(", ");
            let memory = u32_at(&b, 60);
            xval_field(ctx, "memory", V4L2_MEMORIES, memory, "V4L2_MEMORY_???");
            if memory == V4L2_MEMORY_MMAP {
                let _ = write!(ctx.out, ", m.offset={}", text::Hx(u32_at(&b, 64).into()));
            } else if memory == V4L2_MEMORY_USERPTR {
                ctx.push(", m.userptr=");
                ctx.addr(u64_at(&b, 64));
            }
            let _ = write!(
                ctx.out,
                ", length={}, bytesused={}, flags=",
                u32_at(&b, 72),
                u32_at(&b, 8)
            );
            buffer_flags(ctx, u32_at(&b, 12));
            if req == VIDIOC_DQBUF {
                let _ = write!(
                    ctx.out,
                    ", timestamp={{tv_sec={}, tv_usec={}}}",
                    u64_at(&b, 24) as i64,
                    u64_at(&b, 32) as i64
                );
            }
            ctx.push(", ...");
        }
        VIDIOC_G_PARM | VIDIOC_S_PARM => {
            ctx.push(if req == VIDIOC_G_PARM { ", " } else { "} => {" });
            streamparm(ctx, &b);
        }
        VIDIOC_ENUMSTD => {
            ctx.push(", ");
            cstr(ctx, "name", &b[16..40]);
            ctx.push(", ");
            fract(ctx, "frameperiod", &b, 40);
            let _ = write!(ctx.out, ", framelines={}", u32_at(&b, 48));
        }
        VIDIOC_ENUMINPUT => {
            ctx.push(", ");
            cstr(ctx, "name", &b[4..36]);
            ctx.push(", ");
            xval_field(
                ctx,
                "type",
                V4L2_INPUT_TYPES,
                u32_at(&b, 36),
                "V4L2_INPUT_TYPE_???",
            );
        }
        VIDIOC_G_CTRL => {
            let _ = write!(ctx.out, ", value={}", i32_at(&b, 4));
        }
        VIDIOC_S_CTRL => {
            let _ = write!(ctx.out, " => {}", i32_at(&b, 4));
        }
        VIDIOC_G_TUNER | VIDIOC_S_TUNER => {
            ctx.push(if req == VIDIOC_G_TUNER {
                ", "
            } else {
                "} => {"
            });
            tuner(ctx, &b);
        }
        VIDIOC_QUERYCTRL | VIDIOC_QUERY_EXT_CTRL => {
            let id = u32_at(&b, 0);
            if u64::from(id) != ctx.stash {
                ctx.push(" => ");
                cid(ctx, id, false);
            }
            ctx.push(", ");
            xval_field(
                ctx,
                "type",
                V4L2_CONTROL_TYPES,
                u32_at(&b, 4),
                "V4L2_CTRL_TYPE_???",
            );
            ctx.push(", ");
            cstr(ctx, "name", &b[8..40]);
            if !ctx.opts.verbose {
                ctx.push(", ...");
            } else if req == VIDIOC_QUERYCTRL {
                let _ = write!(
                    ctx.out,
                    ", minimum={}, maximum={}, step={}, default_value={}, ",
                    i32_at(&b, 40),
                    i32_at(&b, 44),
                    i32_at(&b, 48),
                    i32_at(&b, 52)
                );
                flags_field(
                    ctx,
                    "flags",
                    V4L2_CONTROL_FLAGS,
                    u32_at(&b, 56),
                    "V4L2_CTRL_FLAG_???",
                );
                reserved(ctx, &b, 60, 2);
            } else {
                let _ = write!(
                    ctx.out,
                    ", minimum={}, maximum={}, step={}, default_value={}, ",
                    u64_at(&b, 40) as i64,
                    u64_at(&b, 48) as i64,
                    u64_at(&b, 56),
                    u64_at(&b, 64) as i64
                );
                flags_field(
                    ctx,
                    "flags",
                    V4L2_CONTROL_FLAGS,
                    u32_at(&b, 72),
                    "V4L2_CTRL_FLAG_???",
                );
                let dims = u32_at(&b, 84);
                let _ = write!(
                    ctx.out,
                    ", elem_size={}, elems={}, nr_of_dims={dims}, dims=",
                    u32_at(&b, 76),
                    u32_at(&b, 80)
                );
                let vals: Vec<u64> = (0..4).map(|i| u32_at(&b, 88 + 4 * i).into()).collect();
                array(ctx, &vals, dims as usize, |c, v| {
                    let _ = write!(c.out, "{v}");
                });
                reserved(ctx, &b, 104, 32);
            }
        }
        VIDIOC_CROPCAP => {
            ctx.push(", bounds=");
            rect(ctx, &b, 4);
            ctx.push(", defrect=");
            rect(ctx, &b, 20);
            ctx.push(", ");
            fract(ctx, "pixelaspect", &b, 36);
        }
        VIDIOC_G_CROP => {
            ctx.push(", c=");
            rect(ctx, &b, 4);
        }
        VIDIOC_G_EXT_CTRLS | VIDIOC_S_EXT_CTRLS | VIDIOC_TRY_EXT_CTRLS => {
            ctx.push(if req == VIDIOC_G_EXT_CTRLS {
                ", "
            } else {
                "} => {"
            });
            ext_controls(ctx, &b);
            if ctx.error {
                let _ = write!(ctx.out, ", error_idx={}", u32_at(&b, 8));
            }
        }
        VIDIOC_ENUM_FRAMESIZES => {
            ctx.push(", ");
            let ty = u32_at(&b, 8);
            xval_field(
                ctx,
                "type",
                V4L2_FRAMESIZE_TYPES,
                ty,
                "V4L2_FRMSIZE_TYPE_???",
            );
            match ty {
                1 => {
                    let _ = write!(
                        ctx.out,
                        ", discrete={{width={}, height={}}}",
                        u32_at(&b, 12),
                        u32_at(&b, 16)
                    );
                }
                3 => {
                    let _ = write!(
                        ctx.out,
                        ", stepwise={{min_width={}, max_width={}, step_width={}, min_height={}, max_height={}, step_height={}}}",
                        u32_at(&b, 12),
                        u32_at(&b, 16),
                        u32_at(&b, 20),
                        u32_at(&b, 24),
                        u32_at(&b, 28),
                        u32_at(&b, 32)
                    );
                }
                _ => {}
            }
        }
        VIDIOC_ENUM_FRAMEINTERVALS => {
            ctx.push(", ");
            let ty = u32_at(&b, 16);
            xval_field(
                ctx,
                "type",
                V4L2_FRAMEINTERVAL_TYPES,
                ty,
                "V4L2_FRMIVAL_TYPE_???",
            );
            match ty {
                1 => {
                    ctx.push(", ");
                    fract(ctx, "discrete", &b, 20);
                }
                2 | 3 => {
                    ctx.push(", stepwise={");
                    fract(ctx, "min", &b, 20);
                    ctx.push(", ");
                    fract(ctx, "max", &b, 28);
                    ctx.push(", ");
                    fract(ctx, "step", &b, 36);
                    ctx.push("}");
                }
                _ => {}
            }
        }
        _ => {}
    }
    ctx.push("}");
}

fn kernel_version(ctx: &mut Ctx<'_>, v: u32) {
    let style = ctx.opts.xlat;
    if style != XlatStyle::Abbrev {
        ctx.hex_value(v.into());
    }
    if style == XlatStyle::Raw {
        return;
    }
    if style == XlatStyle::Verbose {
        ctx.push(" /* ");
    }
    let _ = write!(
        ctx.out,
        "KERNEL_VERSION({}, {}, {})",
        v >> 16,
        (v >> 8) & 0xff,
        v & 0xff
    );
    if style == XlatStyle::Verbose {
        ctx.push(" */");
    }
}
const V4L2_BUF_FLAGS: text::Xlat = &[
    (0x1, "V4L2_BUF_FLAG_MAPPED"),
    (0x2, "V4L2_BUF_FLAG_QUEUED"),
    (0x4, "V4L2_BUF_FLAG_DONE"),
    (0x8, "V4L2_BUF_FLAG_KEYFRAME"),
    (0x10, "V4L2_BUF_FLAG_PFRAME"),
    (0x20, "V4L2_BUF_FLAG_BFRAME"),
    (0x40, "V4L2_BUF_FLAG_ERROR"),
    (0x80, "V4L2_BUF_FLAG_IN_REQUEST"),
    (0x100, "V4L2_BUF_FLAG_TIMECODE"),
    (0x200, "V4L2_BUF_FLAG_INPUT"),
    (0x400, "V4L2_BUF_FLAG_PREPARED"),
    (0x800, "V4L2_BUF_FLAG_NO_CACHE_INVALIDATE"),
    (0x1000, "V4L2_BUF_FLAG_NO_CACHE_CLEAN"),
    (0x100000, "V4L2_BUF_FLAG_LAST"),
    (0x800000, "V4L2_BUF_FLAG_REQUEST_FD"),
];
const V4L2_BUF_FLAGS_TS_SRC: text::Xlat = &[
    (0x0, "V4L2_BUF_FLAG_TSTAMP_SRC_EOF"),
    (0x10000, "V4L2_BUF_FLAG_TSTAMP_SRC_SOE"),
];
const V4L2_BUF_FLAGS_TS_TYPE: text::Xlat = &[
    (0x0, "V4L2_BUF_FLAG_TIMESTAMP_UNKNOWN"),
    (0x2000, "V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC"),
    (0x4000, "V4L2_BUF_FLAG_TIMESTAMP_COPY"),
];
const V4L2_BUF_TYPES: text::Xlat = &[
    (0x1, "V4L2_BUF_TYPE_VIDEO_CAPTURE"),
    (0x2, "V4L2_BUF_TYPE_VIDEO_OUTPUT"),
    (0x3, "V4L2_BUF_TYPE_VIDEO_OVERLAY"),
    (0x4, "V4L2_BUF_TYPE_VBI_CAPTURE"),
    (0x5, "V4L2_BUF_TYPE_VBI_OUTPUT"),
    (0x6, "V4L2_BUF_TYPE_SLICED_VBI_CAPTURE"),
    (0x7, "V4L2_BUF_TYPE_SLICED_VBI_OUTPUT"),
    (0x8, "V4L2_BUF_TYPE_VIDEO_OUTPUT_OVERLAY"),
    (0x9, "V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE"),
    (0xa, "V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE"),
    (0xb, "V4L2_BUF_TYPE_SDR_CAPTURE"),
    (0xc, "V4L2_BUF_TYPE_SDR_OUTPUT"),
    (0xd, "V4L2_BUF_TYPE_META_CAPTURE"),
    (0xe, "V4L2_BUF_TYPE_META_OUTPUT"),
];
const V4L2_CAPTURE_MODES: text::Xlat = &[(0x1, "V4L2_MODE_HIGHQUALITY")];
const V4L2_COLORSPACES: text::Xlat = &[
    (0x0, "V4L2_COLORSPACE_DEFAULT"),
    (0x1, "V4L2_COLORSPACE_SMPTE170M"),
    (0x2, "V4L2_COLORSPACE_SMPTE240M"),
    (0x3, "V4L2_COLORSPACE_REC709"),
    (0x4, "V4L2_COLORSPACE_BT878"),
    (0x5, "V4L2_COLORSPACE_470_SYSTEM_M"),
    (0x6, "V4L2_COLORSPACE_470_SYSTEM_BG"),
    (0x7, "V4L2_COLORSPACE_JPEG"),
    (0x8, "V4L2_COLORSPACE_SRGB"),
    (0x9, "V4L2_COLORSPACE_OPRGB"),
    (0xa, "V4L2_COLORSPACE_BT2020"),
    (0xb, "V4L2_COLORSPACE_RAW"),
    (0xc, "V4L2_COLORSPACE_DCI_P3"),
];
const V4L2_CONTROL_CLASSES: text::Xlat = &[
    (0x980000, "V4L2_CTRL_CLASS_USER"),
    (0x990000, "V4L2_CTRL_CLASS_CODEC"),
    (0x9a0000, "V4L2_CTRL_CLASS_CAMERA"),
    (0x9b0000, "V4L2_CTRL_CLASS_FM_TX"),
    (0x9c0000, "V4L2_CTRL_CLASS_FLASH"),
    (0x9d0000, "V4L2_CTRL_CLASS_JPEG"),
    (0x9e0000, "V4L2_CTRL_CLASS_IMAGE_SOURCE"),
    (0x9f0000, "V4L2_CTRL_CLASS_IMAGE_PROC"),
    (0xa00000, "V4L2_CTRL_CLASS_DV"),
    (0xa10000, "V4L2_CTRL_CLASS_FM_RX"),
    (0xa20000, "V4L2_CTRL_CLASS_RF_TUNER"),
    (0xa30000, "V4L2_CTRL_CLASS_DETECT"),
    (0xa40000, "V4L2_CTRL_CLASS_CODEC_STATELESS"),
    (0xa50000, "V4L2_CTRL_CLASS_COLORIMETRY"),
];
const V4L2_CONTROL_FLAGS: text::Xlat = &[
    (0x1, "V4L2_CTRL_FLAG_DISABLED"),
    (0x2, "V4L2_CTRL_FLAG_GRABBED"),
    (0x4, "V4L2_CTRL_FLAG_READ_ONLY"),
    (0x8, "V4L2_CTRL_FLAG_UPDATE"),
    (0x10, "V4L2_CTRL_FLAG_INACTIVE"),
    (0x20, "V4L2_CTRL_FLAG_SLIDER"),
    (0x40, "V4L2_CTRL_FLAG_WRITE_ONLY"),
    (0x80, "V4L2_CTRL_FLAG_VOLATILE"),
    (0x100, "V4L2_CTRL_FLAG_HAS_PAYLOAD"),
    (0x200, "V4L2_CTRL_FLAG_EXECUTE_ON_WRITE"),
    (0x400, "V4L2_CTRL_FLAG_MODIFY_LAYOUT"),
];
const V4L2_CONTROL_IDS: text::Xlat = &[
    (0x980900, "V4L2_CID_BRIGHTNESS"),
    (0x980901, "V4L2_CID_CONTRAST"),
    (0x980902, "V4L2_CID_SATURATION"),
    (0x980903, "V4L2_CID_HUE"),
    (0x980905, "V4L2_CID_AUDIO_VOLUME"),
    (0x980906, "V4L2_CID_AUDIO_BALANCE"),
    (0x980907, "V4L2_CID_AUDIO_BASS"),
    (0x980908, "V4L2_CID_AUDIO_TREBLE"),
    (0x980909, "V4L2_CID_AUDIO_MUTE"),
    (0x98090a, "V4L2_CID_AUDIO_LOUDNESS"),
    (0x98090b, "V4L2_CID_BLACK_LEVEL"),
    (0x98090c, "V4L2_CID_AUTO_WHITE_BALANCE"),
    (0x98090d, "V4L2_CID_DO_WHITE_BALANCE"),
    (0x98090e, "V4L2_CID_RED_BALANCE"),
    (0x98090f, "V4L2_CID_BLUE_BALANCE"),
    (0x980910, "V4L2_CID_GAMMA"),
    (0x980911, "V4L2_CID_EXPOSURE"),
    (0x980912, "V4L2_CID_AUTOGAIN"),
    (0x980913, "V4L2_CID_GAIN"),
    (0x980914, "V4L2_CID_HFLIP"),
    (0x980915, "V4L2_CID_VFLIP"),
    (0x980916, "V4L2_CID_HCENTER"),
    (0x980917, "V4L2_CID_VCENTER"),
    (0x980918, "V4L2_CID_POWER_LINE_FREQUENCY"),
    (0x980919, "V4L2_CID_HUE_AUTO"),
    (0x98091a, "V4L2_CID_WHITE_BALANCE_TEMPERATURE"),
    (0x98091b, "V4L2_CID_SHARPNESS"),
    (0x98091c, "V4L2_CID_BACKLIGHT_COMPENSATION"),
    (0x98091d, "V4L2_CID_CHROMA_AGC"),
    (0x98091e, "V4L2_CID_COLOR_KILLER"),
    (0x98091f, "V4L2_CID_COLORFX"),
    (0x980920, "V4L2_CID_AUTOBRIGHTNESS"),
    (0x980921, "V4L2_CID_BAND_STOP_FILTER"),
    (0x980922, "V4L2_CID_ROTATE"),
    (0x980923, "V4L2_CID_BG_COLOR"),
    (0x980924, "V4L2_CID_CHROMA_GAIN"),
    (0x980925, "V4L2_CID_ILLUMINATORS_1"),
    (0x980926, "V4L2_CID_ILLUMINATORS_2"),
    (0x980927, "V4L2_CID_MIN_BUFFERS_FOR_CAPTURE"),
    (0x980928, "V4L2_CID_MIN_BUFFERS_FOR_OUTPUT"),
    (0x980929, "V4L2_CID_ALPHA_COMPONENT"),
    (0x98092a, "V4L2_CID_COLORFX_CBCR"),
    (0x990900, "V4L2_CID_MPEG_STREAM_TYPE"),
    (0x990901, "V4L2_CID_MPEG_STREAM_PID_PMT"),
    (0x990902, "V4L2_CID_MPEG_STREAM_PID_AUDIO"),
    (0x990903, "V4L2_CID_MPEG_STREAM_PID_VIDEO"),
    (0x990904, "V4L2_CID_MPEG_STREAM_PID_PCR"),
    (0x990905, "V4L2_CID_MPEG_STREAM_PES_ID_AUDIO"),
    (0x990906, "V4L2_CID_MPEG_STREAM_PES_ID_VIDEO"),
    (0x990907, "V4L2_CID_MPEG_STREAM_VBI_FMT"),
    (0x990964, "V4L2_CID_MPEG_AUDIO_SAMPLING_FREQ"),
    (0x990965, "V4L2_CID_MPEG_AUDIO_ENCODING"),
    (0x990966, "V4L2_CID_MPEG_AUDIO_L1_BITRATE"),
    (0x990967, "V4L2_CID_MPEG_AUDIO_L2_BITRATE"),
    (0x990968, "V4L2_CID_MPEG_AUDIO_L3_BITRATE"),
    (0x990969, "V4L2_CID_MPEG_AUDIO_MODE"),
    (0x99096a, "V4L2_CID_MPEG_AUDIO_MODE_EXTENSION"),
    (0x99096b, "V4L2_CID_MPEG_AUDIO_EMPHASIS"),
    (0x99096c, "V4L2_CID_MPEG_AUDIO_CRC"),
    (0x99096d, "V4L2_CID_MPEG_AUDIO_MUTE"),
    (0x99096e, "V4L2_CID_MPEG_AUDIO_AAC_BITRATE"),
    (0x99096f, "V4L2_CID_MPEG_AUDIO_AC3_BITRATE"),
    (0x990970, "V4L2_CID_MPEG_AUDIO_DEC_PLAYBACK"),
    (0x990971, "V4L2_CID_MPEG_AUDIO_DEC_MULTILINGUAL_PLAYBACK"),
    (0x9909c8, "V4L2_CID_MPEG_VIDEO_ENCODING"),
    (0x9909c9, "V4L2_CID_MPEG_VIDEO_ASPECT"),
    (0x9909ca, "V4L2_CID_MPEG_VIDEO_B_FRAMES"),
    (0x9909cb, "V4L2_CID_MPEG_VIDEO_GOP_SIZE"),
    (0x9909cc, "V4L2_CID_MPEG_VIDEO_GOP_CLOSURE"),
    (0x9909cd, "V4L2_CID_MPEG_VIDEO_PULLDOWN"),
    (0x9909ce, "V4L2_CID_MPEG_VIDEO_BITRATE_MODE"),
    (0x9909cf, "V4L2_CID_MPEG_VIDEO_BITRATE"),
    (0x9909d0, "V4L2_CID_MPEG_VIDEO_BITRATE_PEAK"),
    (0x9909d1, "V4L2_CID_MPEG_VIDEO_TEMPORAL_DECIMATION"),
    (0x9909d2, "V4L2_CID_MPEG_VIDEO_MUTE"),
    (0x9909d3, "V4L2_CID_MPEG_VIDEO_MUTE_YUV"),
    (0x9909d4, "V4L2_CID_MPEG_VIDEO_DECODER_SLICE_INTERFACE"),
    (0x9909d5, "V4L2_CID_MPEG_VIDEO_DECODER_MPEG4_DEBLOCK_FILTER"),
    (0x9909d6, "V4L2_CID_MPEG_VIDEO_CYCLIC_INTRA_REFRESH_MB"),
    (0x9909d7, "V4L2_CID_MPEG_VIDEO_FRAME_RC_ENABLE"),
    (0x9909d8, "V4L2_CID_MPEG_VIDEO_HEADER_MODE"),
    (0x9909d9, "V4L2_CID_MPEG_VIDEO_MAX_REF_PIC"),
    (0x9909da, "V4L2_CID_MPEG_VIDEO_MB_RC_ENABLE"),
    (0x9909db, "V4L2_CID_MPEG_VIDEO_MULTI_SLICE_MAX_BYTES"),
    (0x9909dc, "V4L2_CID_MPEG_VIDEO_MULTI_SLICE_MAX_MB"),
    (0x9909dd, "V4L2_CID_MPEG_VIDEO_MULTI_SLICE_MODE"),
    (0x9909de, "V4L2_CID_MPEG_VIDEO_VBV_SIZE"),
    (0x9909df, "V4L2_CID_MPEG_VIDEO_DEC_PTS"),
    (0x9909e0, "V4L2_CID_MPEG_VIDEO_DEC_FRAME"),
    (0x9909e1, "V4L2_CID_MPEG_VIDEO_VBV_DELAY"),
    (0x9909e2, "V4L2_CID_MPEG_VIDEO_REPEAT_SEQ_HEADER"),
    (0x9909e3, "V4L2_CID_MPEG_VIDEO_MV_H_SEARCH_RANGE"),
    (0x9909e4, "V4L2_CID_MPEG_VIDEO_MV_V_SEARCH_RANGE"),
    (0x9909e5, "V4L2_CID_MPEG_VIDEO_FORCE_KEY_FRAME"),
    (0x9909e6, "V4L2_CID_MPEG_VIDEO_BASELAYER_PRIORITY_ID"),
    (0x9909e7, "V4L2_CID_MPEG_VIDEO_AU_DELIMITER"),
    (0x9909e8, "V4L2_CID_MPEG_VIDEO_LTR_COUNT"),
    (0x9909e9, "V4L2_CID_MPEG_VIDEO_FRAME_LTR_INDEX"),
    (0x9909ea, "V4L2_CID_MPEG_VIDEO_USE_LTR_FRAMES"),
    (0x9909eb, "V4L2_CID_MPEG_VIDEO_DEC_CONCEAL_COLOR"),
    (0x9909ec, "V4L2_CID_MPEG_VIDEO_INTRA_REFRESH_PERIOD"),
    (0x9909ed, "V4L2_CID_MPEG_VIDEO_INTRA_REFRESH_PERIOD_TYPE"),
    (0x9909fa, "V4L2_CID_MPEG_VIDEO_MPEG2_SLICE_PARAMS"),
    (0x9909fb, "V4L2_CID_MPEG_VIDEO_MPEG2_QUANTIZATION"),
    (0x990a22, "V4L2_CID_FWHT_I_FRAME_QP"),
    (0x990a23, "V4L2_CID_FWHT_P_FRAME_QP"),
    (0x990a2c, "V4L2_CID_MPEG_VIDEO_H263_I_FRAME_QP"),
    (0x990a2d, "V4L2_CID_MPEG_VIDEO_H263_P_FRAME_QP"),
    (0x990a2e, "V4L2_CID_MPEG_VIDEO_H263_B_FRAME_QP"),
    (0x990a2f, "V4L2_CID_MPEG_VIDEO_H263_MIN_QP"),
    (0x990a30, "V4L2_CID_MPEG_VIDEO_H263_MAX_QP"),
    (0x990a5e, "V4L2_CID_MPEG_VIDEO_H264_I_FRAME_QP"),
    (0x990a5f, "V4L2_CID_MPEG_VIDEO_H264_P_FRAME_QP"),
    (0x990a60, "V4L2_CID_MPEG_VIDEO_H264_B_FRAME_QP"),
    (0x990a61, "V4L2_CID_MPEG_VIDEO_H264_MIN_QP"),
    (0x990a62, "V4L2_CID_MPEG_VIDEO_H264_MAX_QP"),
    (0x990a63, "V4L2_CID_MPEG_VIDEO_H264_8X8_TRANSFORM"),
    (0x990a64, "V4L2_CID_MPEG_VIDEO_H264_CPB_SIZE"),
    (0x990a65, "V4L2_CID_MPEG_VIDEO_H264_ENTROPY_MODE"),
    (0x990a66, "V4L2_CID_MPEG_VIDEO_H264_I_PERIOD"),
    (0x990a67, "V4L2_CID_MPEG_VIDEO_H264_LEVEL"),
    (0x990a68, "V4L2_CID_MPEG_VIDEO_H264_LOOP_FILTER_ALPHA"),
    (0x990a69, "V4L2_CID_MPEG_VIDEO_H264_LOOP_FILTER_BETA"),
    (0x990a6a, "V4L2_CID_MPEG_VIDEO_H264_LOOP_FILTER_MODE"),
    (0x990a6b, "V4L2_CID_MPEG_VIDEO_H264_PROFILE"),
    (0x990a6c, "V4L2_CID_MPEG_VIDEO_H264_VUI_EXT_SAR_HEIGHT"),
    (0x990a6d, "V4L2_CID_MPEG_VIDEO_H264_VUI_EXT_SAR_WIDTH"),
    (0x990a6e, "V4L2_CID_MPEG_VIDEO_H264_VUI_SAR_ENABLE"),
    (0x990a6f, "V4L2_CID_MPEG_VIDEO_H264_VUI_SAR_IDC"),
    (0x990a70, "V4L2_CID_MPEG_VIDEO_H264_SEI_FRAME_PACKING"),
    (0x990a71, "V4L2_CID_MPEG_VIDEO_H264_SEI_FP_CURRENT_FRAME_0"),
    (0x990a72, "V4L2_CID_MPEG_VIDEO_H264_SEI_FP_ARRANGEMENT_TYPE"),
    (0x990a73, "V4L2_CID_MPEG_VIDEO_H264_FMO"),
    (0x990a74, "V4L2_CID_MPEG_VIDEO_H264_FMO_MAP_TYPE"),
    (0x990a75, "V4L2_CID_MPEG_VIDEO_H264_FMO_SLICE_GROUP"),
    (0x990a76, "V4L2_CID_MPEG_VIDEO_H264_FMO_CHANGE_DIRECTION"),
    (0x990a77, "V4L2_CID_MPEG_VIDEO_H264_FMO_CHANGE_RATE"),
    (0x990a78, "V4L2_CID_MPEG_VIDEO_H264_FMO_RUN_LENGTH"),
    (0x990a79, "V4L2_CID_MPEG_VIDEO_H264_ASO"),
    (0x990a7a, "V4L2_CID_MPEG_VIDEO_H264_ASO_SLICE_ORDER"),
    (0x990a7b, "V4L2_CID_MPEG_VIDEO_H264_HIERARCHICAL_CODING"),
    (
        0x990a7c,
        "V4L2_CID_MPEG_VIDEO_H264_HIERARCHICAL_CODING_TYPE",
    ),
    (
        0x990a7d,
        "V4L2_CID_MPEG_VIDEO_H264_HIERARCHICAL_CODING_LAYER",
    ),
    (
        0x990a7e,
        "V4L2_CID_MPEG_VIDEO_H264_HIERARCHICAL_CODING_LAYER_QP",
    ),
    (
        0x990a7f,
        "V4L2_CID_MPEG_VIDEO_H264_CONSTRAINED_INTRA_PREDICTION",
    ),
    (0x990a80, "V4L2_CID_MPEG_VIDEO_H264_CHROMA_QP_INDEX_OFFSET"),
    (0x990a81, "V4L2_CID_MPEG_VIDEO_H264_I_FRAME_MIN_QP"),
    (0x990a82, "V4L2_CID_MPEG_VIDEO_H264_I_FRAME_MAX_QP"),
    (0x990a83, "V4L2_CID_MPEG_VIDEO_H264_P_FRAME_MIN_QP"),
    (0x990a84, "V4L2_CID_MPEG_VIDEO_H264_P_FRAME_MAX_QP"),
    (0x990a85, "V4L2_CID_MPEG_VIDEO_H264_B_FRAME_MIN_QP"),
    (0x990a86, "V4L2_CID_MPEG_VIDEO_H264_B_FRAME_MAX_QP"),
    (0x990a87, "V4L2_CID_MPEG_VIDEO_H264_HIER_CODING_L0_BR"),
    (0x990a88, "V4L2_CID_MPEG_VIDEO_H264_HIER_CODING_L1_BR"),
    (0x990a89, "V4L2_CID_MPEG_VIDEO_H264_HIER_CODING_L2_BR"),
    (0x990a8a, "V4L2_CID_MPEG_VIDEO_H264_HIER_CODING_L3_BR"),
    (0x990a8b, "V4L2_CID_MPEG_VIDEO_H264_HIER_CODING_L4_BR"),
    (0x990a8c, "V4L2_CID_MPEG_VIDEO_H264_HIER_CODING_L5_BR"),
    (0x990a8d, "V4L2_CID_MPEG_VIDEO_H264_HIER_CODING_L6_BR"),
    (0x990a90, "V4L2_CID_MPEG_VIDEO_MPEG4_I_FRAME_QP"),
    (0x990a91, "V4L2_CID_MPEG_VIDEO_MPEG4_P_FRAME_QP"),
    (0x990a92, "V4L2_CID_MPEG_VIDEO_MPEG4_B_FRAME_QP"),
    (0x990a93, "V4L2_CID_MPEG_VIDEO_MPEG4_MIN_QP"),
    (0x990a94, "V4L2_CID_MPEG_VIDEO_MPEG4_MAX_QP"),
    (0x990a95, "V4L2_CID_MPEG_VIDEO_MPEG4_LEVEL"),
    (0x990a96, "V4L2_CID_MPEG_VIDEO_MPEG4_PROFILE"),
    (0x990a97, "V4L2_CID_MPEG_VIDEO_MPEG4_QPEL"),
    (0x990af4, "V4L2_CID_MPEG_VIDEO_VPX_NUM_PARTITIONS"),
    (0x990af5, "V4L2_CID_MPEG_VIDEO_VPX_IMD_DISABLE_4X4"),
    (0x990af6, "V4L2_CID_MPEG_VIDEO_VPX_NUM_REF_FRAMES"),
    (0x990af7, "V4L2_CID_MPEG_VIDEO_VPX_FILTER_LEVEL"),
    (0x990af8, "V4L2_CID_MPEG_VIDEO_VPX_FILTER_SHARPNESS"),
    (0x990af9, "V4L2_CID_MPEG_VIDEO_VPX_GOLDEN_FRAME_REF_PERIOD"),
    (0x990afa, "V4L2_CID_MPEG_VIDEO_VPX_GOLDEN_FRAME_SEL"),
    (0x990afb, "V4L2_CID_MPEG_VIDEO_VPX_MIN_QP"),
    (0x990afc, "V4L2_CID_MPEG_VIDEO_VPX_MAX_QP"),
    (0x990afd, "V4L2_CID_MPEG_VIDEO_VPX_I_FRAME_QP"),
    (0x990afe, "V4L2_CID_MPEG_VIDEO_VPX_P_FRAME_QP"),
    (0x990aff, "V4L2_CID_MPEG_VIDEO_VP8_PROFILE"),
    (0x990b00, "V4L2_CID_MPEG_VIDEO_VP9_PROFILE"),
    (0x990b58, "V4L2_CID_MPEG_VIDEO_HEVC_MIN_QP"),
    (0x990b59, "V4L2_CID_MPEG_VIDEO_HEVC_MAX_QP"),
    (0x990b5a, "V4L2_CID_MPEG_VIDEO_HEVC_I_FRAME_QP"),
    (0x990b5b, "V4L2_CID_MPEG_VIDEO_HEVC_P_FRAME_QP"),
    (0x990b5c, "V4L2_CID_MPEG_VIDEO_HEVC_B_FRAME_QP"),
    (0x990b5d, "V4L2_CID_MPEG_VIDEO_HEVC_HIER_QP"),
    (0x990b5e, "V4L2_CID_MPEG_VIDEO_HEVC_HIER_CODING_TYPE"),
    (0x990b5f, "V4L2_CID_MPEG_VIDEO_HEVC_HIER_CODING_LAYER"),
    (0x990b60, "V4L2_CID_MPEG_VIDEO_HEVC_HIER_CODING_L0_QP"),
    (0x990b61, "V4L2_CID_MPEG_VIDEO_HEVC_HIER_CODING_L1_QP"),
    (0x990b62, "V4L2_CID_MPEG_VIDEO_HEVC_HIER_CODING_L2_QP"),
    (0x990b63, "V4L2_CID_MPEG_VIDEO_HEVC_HIER_CODING_L3_QP"),
    (0x990b64, "V4L2_CID_MPEG_VIDEO_HEVC_HIER_CODING_L4_QP"),
    (0x990b65, "V4L2_CID_MPEG_VIDEO_HEVC_HIER_CODING_L5_QP"),
    (0x990b66, "V4L2_CID_MPEG_VIDEO_HEVC_HIER_CODING_L6_QP"),
    (0x990b67, "V4L2_CID_MPEG_VIDEO_HEVC_PROFILE"),
    (0x990b68, "V4L2_CID_MPEG_VIDEO_HEVC_LEVEL"),
    (0x990b69, "V4L2_CID_MPEG_VIDEO_HEVC_FRAME_RATE_RESOLUTION"),
    (0x990b6a, "V4L2_CID_MPEG_VIDEO_HEVC_TIER"),
    (0x990b6b, "V4L2_CID_MPEG_VIDEO_HEVC_MAX_PARTITION_DEPTH"),
    (0x990b6c, "V4L2_CID_MPEG_VIDEO_HEVC_LOOP_FILTER_MODE"),
    (0x990b6d, "V4L2_CID_MPEG_VIDEO_HEVC_LF_BETA_OFFSET_DIV2"),
    (0x990b6e, "V4L2_CID_MPEG_VIDEO_HEVC_LF_TC_OFFSET_DIV2"),
    (0x990b6f, "V4L2_CID_MPEG_VIDEO_HEVC_REFRESH_TYPE"),
    (0x990b70, "V4L2_CID_MPEG_VIDEO_HEVC_REFRESH_PERIOD"),
    (0x990b71, "V4L2_CID_MPEG_VIDEO_HEVC_LOSSLESS_CU"),
    (0x990b72, "V4L2_CID_MPEG_VIDEO_HEVC_CONST_INTRA_PRED"),
    (0x990b73, "V4L2_CID_MPEG_VIDEO_HEVC_WAVEFRONT"),
    (0x990b74, "V4L2_CID_MPEG_VIDEO_HEVC_GENERAL_PB"),
    (0x990b75, "V4L2_CID_MPEG_VIDEO_HEVC_TEMPORAL_ID"),
    (0x990b76, "V4L2_CID_MPEG_VIDEO_HEVC_STRONG_SMOOTHING"),
    (0x990b77, "V4L2_CID_MPEG_VIDEO_HEVC_MAX_NUM_MERGE_MV_MINUS1"),
    (0x990b78, "V4L2_CID_MPEG_VIDEO_HEVC_INTRA_PU_SPLIT"),
    (0x990b79, "V4L2_CID_MPEG_VIDEO_HEVC_TMV_PREDICTION"),
    (0x990b7a, "V4L2_CID_MPEG_VIDEO_HEVC_WITHOUT_STARTCODE"),
    (0x990b7b, "V4L2_CID_MPEG_VIDEO_HEVC_SIZE_OF_LENGTH_FIELD"),
    (0x990b7c, "V4L2_CID_MPEG_VIDEO_HEVC_HIER_CODING_L0_BR"),
    (0x990b7d, "V4L2_CID_MPEG_VIDEO_HEVC_HIER_CODING_L1_BR"),
    (0x990b7e, "V4L2_CID_MPEG_VIDEO_HEVC_HIER_CODING_L2_BR"),
    (0x990b7f, "V4L2_CID_MPEG_VIDEO_HEVC_HIER_CODING_L3_BR"),
    (0x990b80, "V4L2_CID_MPEG_VIDEO_HEVC_HIER_CODING_L4_BR"),
    (0x990b81, "V4L2_CID_MPEG_VIDEO_HEVC_HIER_CODING_L5_BR"),
    (0x990b82, "V4L2_CID_MPEG_VIDEO_HEVC_HIER_CODING_L6_BR"),
    (0x990b83, "V4L2_CID_MPEG_VIDEO_REF_NUMBER_FOR_PFRAMES"),
    (0x990b84, "V4L2_CID_MPEG_VIDEO_PREPEND_SPSPPS_TO_IDR"),
    (0x990b85, "V4L2_CID_MPEG_VIDEO_CONSTANT_QUALITY"),
    (0x990b86, "V4L2_CID_MPEG_VIDEO_FRAME_SKIP_MODE"),
    (0x990b87, "V4L2_CID_MPEG_VIDEO_HEVC_I_FRAME_MIN_QP"),
    (0x990b88, "V4L2_CID_MPEG_VIDEO_HEVC_I_FRAME_MAX_QP"),
    (0x990b89, "V4L2_CID_MPEG_VIDEO_HEVC_P_FRAME_MIN_QP"),
    (0x990b8a, "V4L2_CID_MPEG_VIDEO_HEVC_P_FRAME_MAX_QP"),
    (0x990b8b, "V4L2_CID_MPEG_VIDEO_HEVC_B_FRAME_MIN_QP"),
    (0x990b8c, "V4L2_CID_MPEG_VIDEO_HEVC_B_FRAME_MAX_QP"),
    (0x990b8d, "V4L2_CID_MPEG_VIDEO_DEC_DISPLAY_DELAY"),
    (0x990b8e, "V4L2_CID_MPEG_VIDEO_DEC_DISPLAY_DELAY_ENABLE"),
    (0x991000, "V4L2_CID_MPEG_CX2341X_VIDEO_SPATIAL_FILTER_MODE"),
    (0x991001, "V4L2_CID_MPEG_CX2341X_VIDEO_SPATIAL_FILTER"),
    (
        0x991002,
        "V4L2_CID_MPEG_CX2341X_VIDEO_LUMA_SPATIAL_FILTER_TYPE",
    ),
    (
        0x991003,
        "V4L2_CID_MPEG_CX2341X_VIDEO_CHROMA_SPATIAL_FILTER_TYPE",
    ),
    (0x991004, "V4L2_CID_MPEG_CX2341X_VIDEO_TEMPORAL_FILTER_MODE"),
    (0x991005, "V4L2_CID_MPEG_CX2341X_VIDEO_TEMPORAL_FILTER"),
    (0x991006, "V4L2_CID_MPEG_CX2341X_VIDEO_MEDIAN_FILTER_TYPE"),
    (
        0x991007,
        "V4L2_CID_MPEG_CX2341X_VIDEO_LUMA_MEDIAN_FILTER_BOTTOM",
    ),
    (
        0x991008,
        "V4L2_CID_MPEG_CX2341X_VIDEO_LUMA_MEDIAN_FILTER_TOP",
    ),
    (
        0x991009,
        "V4L2_CID_MPEG_CX2341X_VIDEO_CHROMA_MEDIAN_FILTER_BOTTOM",
    ),
    (
        0x99100a,
        "V4L2_CID_MPEG_CX2341X_VIDEO_CHROMA_MEDIAN_FILTER_TOP",
    ),
    (0x99100b, "V4L2_CID_MPEG_CX2341X_STREAM_INSERT_NAV_PACKETS"),
    (
        0x991100,
        "V4L2_CID_MPEG_MFC51_VIDEO_DECODER_H264_DISPLAY_DELAY",
    ),
    (
        0x991101,
        "V4L2_CID_MPEG_MFC51_VIDEO_DECODER_H264_DISPLAY_DELAY_ENABLE",
    ),
    (0x991102, "V4L2_CID_MPEG_MFC51_VIDEO_FRAME_SKIP_MODE"),
    (0x991103, "V4L2_CID_MPEG_MFC51_VIDEO_FORCE_FRAME_TYPE"),
    (0x991104, "V4L2_CID_MPEG_MFC51_VIDEO_PADDING"),
    (0x991105, "V4L2_CID_MPEG_MFC51_VIDEO_PADDING_YUV"),
    (0x991106, "V4L2_CID_MPEG_MFC51_VIDEO_RC_FIXED_TARGET_BIT"),
    (0x991107, "V4L2_CID_MPEG_MFC51_VIDEO_RC_REACTION_COEFF"),
    (
        0x991132,
        "V4L2_CID_MPEG_MFC51_VIDEO_H264_ADAPTIVE_RC_ACTIVITY",
    ),
    (0x991133, "V4L2_CID_MPEG_MFC51_VIDEO_H264_ADAPTIVE_RC_DARK"),
    (
        0x991134,
        "V4L2_CID_MPEG_MFC51_VIDEO_H264_ADAPTIVE_RC_SMOOTH",
    ),
    (
        0x991135,
        "V4L2_CID_MPEG_MFC51_VIDEO_H264_ADAPTIVE_RC_STATIC",
    ),
    (0x991136, "V4L2_CID_MPEG_MFC51_VIDEO_H264_NUM_REF_PIC_FOR_P"),
    (0x9a0901, "V4L2_CID_EXPOSURE_AUTO"),
    (0x9a0902, "V4L2_CID_EXPOSURE_ABSOLUTE"),
    (0x9a0903, "V4L2_CID_EXPOSURE_AUTO_PRIORITY"),
    (0x9a0904, "V4L2_CID_PAN_RELATIVE"),
    (0x9a0905, "V4L2_CID_TILT_RELATIVE"),
    (0x9a0906, "V4L2_CID_PAN_RESET"),
    (0x9a0907, "V4L2_CID_TILT_RESET"),
    (0x9a0908, "V4L2_CID_PAN_ABSOLUTE"),
    (0x9a0909, "V4L2_CID_TILT_ABSOLUTE"),
    (0x9a090a, "V4L2_CID_FOCUS_ABSOLUTE"),
    (0x9a090b, "V4L2_CID_FOCUS_RELATIVE"),
    (0x9a090c, "V4L2_CID_FOCUS_AUTO"),
    (0x9a090d, "V4L2_CID_ZOOM_ABSOLUTE"),
    (0x9a090e, "V4L2_CID_ZOOM_RELATIVE"),
    (0x9a090f, "V4L2_CID_ZOOM_CONTINUOUS"),
    (0x9a0910, "V4L2_CID_PRIVACY"),
    (0x9a0911, "V4L2_CID_IRIS_ABSOLUTE"),
    (0x9a0912, "V4L2_CID_IRIS_RELATIVE"),
    (0x9a0913, "V4L2_CID_AUTO_EXPOSURE_BIAS"),
    (0x9a0914, "V4L2_CID_AUTO_N_PRESET_WHITE_BALANCE"),
    (0x9a0915, "V4L2_CID_WIDE_DYNAMIC_RANGE"),
    (0x9a0916, "V4L2_CID_IMAGE_STABILIZATION"),
    (0x9a0917, "V4L2_CID_ISO_SENSITIVITY"),
    (0x9a0918, "V4L2_CID_ISO_SENSITIVITY_AUTO"),
    (0x9a0919, "V4L2_CID_EXPOSURE_METERING"),
    (0x9a091a, "V4L2_CID_SCENE_MODE"),
    (0x9a091b, "V4L2_CID_3A_LOCK"),
    (0x9a091c, "V4L2_CID_AUTO_FOCUS_START"),
    (0x9a091d, "V4L2_CID_AUTO_FOCUS_STOP"),
    (0x9a091e, "V4L2_CID_AUTO_FOCUS_STATUS"),
    (0x9a091f, "V4L2_CID_AUTO_FOCUS_RANGE"),
    (0x9a0920, "V4L2_CID_PAN_SPEED"),
    (0x9a0921, "V4L2_CID_TILT_SPEED"),
    (0x9b0901, "V4L2_CID_RDS_TX_DEVIATION"),
    (0x9b0902, "V4L2_CID_RDS_TX_PI"),
    (0x9b0903, "V4L2_CID_RDS_TX_PTY"),
    (0x9b0905, "V4L2_CID_RDS_TX_PS_NAME"),
    (0x9b0906, "V4L2_CID_RDS_TX_RADIO_TEXT"),
    (0x9b0907, "V4L2_CID_RDS_TX_MONO_STEREO"),
    (0x9b0908, "V4L2_CID_RDS_TX_ARTIFICIAL_HEAD"),
    (0x9b0909, "V4L2_CID_RDS_TX_COMPRESSED"),
    (0x9b090a, "V4L2_CID_RDS_TX_DYNAMIC_PTY"),
    (0x9b090b, "V4L2_CID_RDS_TX_TRAFFIC_ANNOUNCEMENT"),
    (0x9b090c, "V4L2_CID_RDS_TX_TRAFFIC_PROGRAM"),
    (0x9b090d, "V4L2_CID_RDS_TX_MUSIC_SPEECH"),
    (0x9b090e, "V4L2_CID_RDS_TX_ALT_FREQS_ENABLE"),
    (0x9b090f, "V4L2_CID_RDS_TX_ALT_FREQS"),
    (0x9b0940, "V4L2_CID_AUDIO_LIMITER_ENABLED"),
    (0x9b0941, "V4L2_CID_AUDIO_LIMITER_RELEASE_TIME"),
    (0x9b0942, "V4L2_CID_AUDIO_LIMITER_DEVIATION"),
    (0x9b0950, "V4L2_CID_AUDIO_COMPRESSION_ENABLED"),
    (0x9b0951, "V4L2_CID_AUDIO_COMPRESSION_GAIN"),
    (0x9b0952, "V4L2_CID_AUDIO_COMPRESSION_THRESHOLD"),
    (0x9b0953, "V4L2_CID_AUDIO_COMPRESSION_ATTACK_TIME"),
    (0x9b0954, "V4L2_CID_AUDIO_COMPRESSION_RELEASE_TIME"),
    (0x9b0960, "V4L2_CID_PILOT_TONE_ENABLED"),
    (0x9b0961, "V4L2_CID_PILOT_TONE_DEVIATION"),
    (0x9b0962, "V4L2_CID_PILOT_TONE_FREQUENCY"),
    (0x9b0970, "V4L2_CID_TUNE_PREEMPHASIS"),
    (0x9b0971, "V4L2_CID_TUNE_POWER_LEVEL"),
    (0x9b0972, "V4L2_CID_TUNE_ANTENNA_CAPACITOR"),
    (0x9c0901, "V4L2_CID_FLASH_LED_MODE"),
    (0x9c0902, "V4L2_CID_FLASH_STROBE_SOURCE"),
    (0x9c0903, "V4L2_CID_FLASH_STROBE"),
    (0x9c0904, "V4L2_CID_FLASH_STROBE_STOP"),
    (0x9c0905, "V4L2_CID_FLASH_STROBE_STATUS"),
    (0x9c0906, "V4L2_CID_FLASH_TIMEOUT"),
    (0x9c0907, "V4L2_CID_FLASH_INTENSITY"),
    (0x9c0908, "V4L2_CID_FLASH_TORCH_INTENSITY"),
    (0x9c0909, "V4L2_CID_FLASH_INDICATOR_INTENSITY"),
    (0x9c090a, "V4L2_CID_FLASH_FAULT"),
    (0x9c090b, "V4L2_CID_FLASH_CHARGE"),
    (0x9c090c, "V4L2_CID_FLASH_READY"),
    (0x9e0901, "V4L2_CID_VBLANK"),
    (0x9e0902, "V4L2_CID_HBLANK"),
    (0x9e0903, "V4L2_CID_ANALOGUE_GAIN"),
    (0x9e0904, "V4L2_CID_TEST_PATTERN_RED"),
    (0x9e0905, "V4L2_CID_TEST_PATTERN_GREENR"),
    (0x9e0906, "V4L2_CID_TEST_PATTERN_BLUE"),
    (0x9e0907, "V4L2_CID_TEST_PATTERN_GREENB"),
    (0x9e0908, "V4L2_CID_UNIT_CELL_SIZE"),
    (0x9e0909, "V4L2_CID_NOTIFY_GAINS"),
    (0x9f0901, "V4L2_CID_LINK_FREQ"),
    (0x9f0902, "V4L2_CID_PIXEL_RATE"),
    (0x9f0903, "V4L2_CID_TEST_PATTERN"),
    (0x9f0904, "V4L2_CID_DEINTERLACING_MODE"),
    (0x9f0905, "V4L2_CID_DIGITAL_GAIN"),
    (0xa00905, "V4L2_CID_DV_TX_RGB_RANGE"),
    (0xa00906, "V4L2_CID_DV_TX_IT_CONTENT_TYPE"),
    (0xa00965, "V4L2_CID_DV_RX_RGB_RANGE"),
    (0xa00966, "V4L2_CID_DV_RX_IT_CONTENT_TYPE"),
    (0xa10901, "V4L2_CID_TUNE_DEEMPHASIS"),
    (0xa10902, "V4L2_CID_RDS_RECEPTION"),
    (0xa10903, "V4L2_CID_RDS_RX_PTY"),
    (0xa10904, "V4L2_CID_RDS_RX_PS_NAME"),
    (0xa10905, "V4L2_CID_RDS_RX_RADIO_TEXT"),
    (0xa10906, "V4L2_CID_RDS_RX_TRAFFIC_ANNOUNCEMENT"),
    (0xa10907, "V4L2_CID_RDS_RX_TRAFFIC_PROGRAM"),
    (0xa10908, "V4L2_CID_RDS_RX_MUSIC_SPEECH"),
    (0xa2090b, "V4L2_CID_RF_TUNER_BANDWIDTH_AUTO"),
    (0xa2090c, "V4L2_CID_RF_TUNER_BANDWIDTH"),
    (0xa20920, "V4L2_CID_RF_TUNER_RF_GAIN"),
    (0xa20929, "V4L2_CID_RF_TUNER_LNA_GAIN_AUTO"),
    (0xa2092a, "V4L2_CID_RF_TUNER_LNA_GAIN"),
    (0xa20933, "V4L2_CID_RF_TUNER_MIXER_GAIN_AUTO"),
    (0xa20934, "V4L2_CID_RF_TUNER_MIXER_GAIN"),
    (0xa2093d, "V4L2_CID_RF_TUNER_IF_GAIN_AUTO"),
    (0xa2093e, "V4L2_CID_RF_TUNER_IF_GAIN"),
    (0xa2095b, "V4L2_CID_RF_TUNER_PLL_LOCK"),
    (0xa30901, "V4L2_CID_DETECT_MD_MODE"),
    (0xa30902, "V4L2_CID_DETECT_MD_GLOBAL_THRESHOLD"),
    (0xa30903, "V4L2_CID_DETECT_MD_THRESHOLD_GRID"),
    (0xa30904, "V4L2_CID_DETECT_MD_REGION_GRID"),
];
const V4L2_CONTROL_QUERY_FLAGS: text::Xlat = &[
    (0x80000000, "V4L2_CTRL_FLAG_NEXT_CTRL"),
    (0x40000000, "V4L2_CTRL_FLAG_NEXT_COMPOUND"),
];
const V4L2_CONTROL_TYPES: text::Xlat = &[
    (0x1, "V4L2_CTRL_TYPE_INTEGER"),
    (0x2, "V4L2_CTRL_TYPE_BOOLEAN"),
    (0x3, "V4L2_CTRL_TYPE_MENU"),
    (0x4, "V4L2_CTRL_TYPE_BUTTON"),
    (0x5, "V4L2_CTRL_TYPE_INTEGER64"),
    (0x6, "V4L2_CTRL_TYPE_CTRL_CLASS"),
    (0x7, "V4L2_CTRL_TYPE_STRING"),
    (0x8, "V4L2_CTRL_TYPE_BITMASK"),
    (0x9, "V4L2_CTRL_TYPE_INTEGER_MENU"),
    (0x100, "V4L2_CTRL_TYPE_U8"),
    (0x101, "V4L2_CTRL_TYPE_U16"),
    (0x102, "V4L2_CTRL_TYPE_U32"),
    (0x106, "V4L2_CTRL_TYPE_AREA"),
    (0x110, "V4L2_CTRL_TYPE_HDR10_CLL_INFO"),
    (0x111, "V4L2_CTRL_TYPE_HDR10_MASTERING_DISPLAY"),
    (0x200, "V4L2_CTRL_TYPE_H264_SPS"),
    (0x201, "V4L2_CTRL_TYPE_H264_PPS"),
    (0x202, "V4L2_CTRL_TYPE_H264_SCALING_MATRIX"),
    (0x203, "V4L2_CTRL_TYPE_H264_SLICE_PARAMS"),
    (0x204, "V4L2_CTRL_TYPE_H264_DECODE_PARAMS"),
    (0x205, "V4L2_CTRL_TYPE_H264_PRED_WEIGHTS"),
    (0x220, "V4L2_CTRL_TYPE_FWHT_PARAMS"),
    (0x240, "V4L2_CTRL_TYPE_VP8_FRAME"),
];
const V4L2_DEVICE_CAPABILITIES_FLAGS: text::Xlat = &[
    (0x1, "V4L2_CAP_VIDEO_CAPTURE"),
    (0x2, "V4L2_CAP_VIDEO_OUTPUT"),
    (0x4, "V4L2_CAP_VIDEO_OVERLAY"),
    (0x10, "V4L2_CAP_VBI_CAPTURE"),
    (0x20, "V4L2_CAP_VBI_OUTPUT"),
    (0x40, "V4L2_CAP_SLICED_VBI_CAPTURE"),
    (0x80, "V4L2_CAP_SLICED_VBI_OUTPUT"),
    (0x100, "V4L2_CAP_RDS_CAPTURE"),
    (0x200, "V4L2_CAP_VIDEO_OUTPUT_OVERLAY"),
    (0x400, "V4L2_CAP_HW_FREQ_SEEK"),
    (0x800, "V4L2_CAP_RDS_OUTPUT"),
    (0x1000, "V4L2_CAP_VIDEO_CAPTURE_MPLANE"),
    (0x2000, "V4L2_CAP_VIDEO_OUTPUT_MPLANE"),
    (0x4000, "V4L2_CAP_VIDEO_M2M_MPLANE"),
    (0x8000, "V4L2_CAP_VIDEO_M2M"),
    (0x10000, "V4L2_CAP_TUNER"),
    (0x20000, "V4L2_CAP_AUDIO"),
    (0x40000, "V4L2_CAP_RADIO"),
    (0x80000, "V4L2_CAP_MODULATOR"),
    (0x100000, "V4L2_CAP_SDR_CAPTURE"),
    (0x200000, "V4L2_CAP_EXT_PIX_FORMAT"),
    (0x400000, "V4L2_CAP_SDR_OUTPUT"),
    (0x800000, "V4L2_CAP_META_CAPTURE"),
    (0x1000000, "V4L2_CAP_READWRITE"),
    (0x2000000, "V4L2_CAP_ASYNCIO"),
    (0x4000000, "V4L2_CAP_STREAMING"),
    (0x8000000, "V4L2_CAP_META_OUTPUT"),
    (0x10000000, "V4L2_CAP_TOUCH"),
    (0x80000000, "V4L2_CAP_DEVICE_CAPS"),
];
const V4L2_FIELDS: text::Xlat = &[
    (0x0, "V4L2_FIELD_ANY"),
    (0x1, "V4L2_FIELD_NONE"),
    (0x2, "V4L2_FIELD_TOP"),
    (0x3, "V4L2_FIELD_BOTTOM"),
    (0x4, "V4L2_FIELD_INTERLACED"),
    (0x5, "V4L2_FIELD_SEQ_TB"),
    (0x6, "V4L2_FIELD_SEQ_BT"),
    (0x7, "V4L2_FIELD_ALTERNATE"),
    (0x8, "V4L2_FIELD_INTERLACED_TB"),
    (0x9, "V4L2_FIELD_INTERLACED_BT"),
];
const V4L2_FORMAT_DESCRIPTION_FLAGS: text::Xlat = &[
    (0x1, "V4L2_FMT_FLAG_COMPRESSED"),
    (0x2, "V4L2_FMT_FLAG_EMULATED"),
    (0x4, "V4L2_FMT_FLAG_CONTINUOUS_BYTESTREAM"),
    (0x8, "V4L2_FMT_FLAG_DYN_RESOLUTION"),
    (0x10, "V4L2_FMT_FLAG_ENC_CAP_FRAME_INTERVAL"),
    (0x20, "V4L2_FMT_FLAG_CSC_COLORSPACE"),
    (0x40, "V4L2_FMT_FLAG_CSC_XFER_FUNC"),
    (0x80, "V4L2_FMT_FLAG_CSC_YCBCR_ENC"),
    (0x100, "V4L2_FMT_FLAG_CSC_QUANTIZATION"),
];
const V4L2_FRAMEINTERVAL_TYPES: text::Xlat = &[
    (0x1, "V4L2_FRMIVAL_TYPE_DISCRETE"),
    (0x2, "V4L2_FRMIVAL_TYPE_CONTINUOUS"),
    (0x3, "V4L2_FRMIVAL_TYPE_STEPWISE"),
];
const V4L2_FRAMESIZE_TYPES: text::Xlat = &[
    (0x1, "V4L2_FRMSIZE_TYPE_DISCRETE"),
    (0x2, "V4L2_FRMSIZE_TYPE_CONTINUOUS"),
    (0x3, "V4L2_FRMSIZE_TYPE_STEPWISE"),
];
const V4L2_INPUT_TYPES: text::Xlat = &[
    (0x1, "V4L2_INPUT_TYPE_TUNER"),
    (0x2, "V4L2_INPUT_TYPE_CAMERA"),
    (0x3, "V4L2_INPUT_TYPE_TOUCH"),
];
const V4L2_MEMORIES: text::Xlat = &[
    (0x1, "V4L2_MEMORY_MMAP"),
    (0x2, "V4L2_MEMORY_USERPTR"),
    (0x3, "V4L2_MEMORY_OVERLAY"),
    (0x4, "V4L2_MEMORY_DMABUF"),
];
const V4L2_META_FMTS: text::Xlat = &[
    (0x44564956, "V4L2_META_FMT_VIVID"),
    (0x48435655, "V4L2_META_FMT_UVC"),
    (0x48505356, "V4L2_META_FMT_VSP1_HGO"),
    (0x50314b52, "V4L2_META_FMT_RK_ISP1_PARAMS"),
    (0x53314b52, "V4L2_META_FMT_RK_ISP1_STAT_3A"),
    (0x54505356, "V4L2_META_FMT_VSP1_HGT"),
    (0x58583444, "V4L2_META_FMT_D4XX"),
];
const V4L2_PIX_FMTS: text::Xlat = &[
    (0x20303159, "V4L2_PIX_FMT_Y10"),
    (0x20323159, "V4L2_PIX_FMT_Y12"),
    (0x20343059, "V4L2_PIX_FMT_Y4"),
    (0x20343159, "V4L2_PIX_FMT_Y14"),
    (0x20363059, "V4L2_PIX_FMT_Y6"),
    (0x20363159, "V4L2_PIX_FMT_Y16"),
    (0x2036315a, "V4L2_PIX_FMT_Z16"),
    (0x20385655, "V4L2_PIX_FMT_UV8"),
    (0x20493859, "V4L2_PIX_FMT_Y8I"),
    (0x3031334d, "V4L2_PIX_FMT_MR97310A"),
    (0x30313953, "V4L2_PIX_FMT_SN9C10X"),
    (0x30314142, "V4L2_PIX_FMT_SGRBG10"),
    (0x30314247, "V4L2_PIX_FMT_SGBRG10"),
    (0x30314442, "V4L2_PIX_FMT_SGRBG10DPCM8"),
    (0x30314742, "V4L2_PIX_FMT_SBGGR10"),
    (0x30314752, "V4L2_PIX_FMT_SRGGB10"),
    (0x3032344d, "V4L2_PIX_FMT_M420"),
    (0x30323953, "V4L2_PIX_FMT_SN9C20X_I420"),
    (0x30324c4a, "V4L2_PIX_FMT_JL2005BCD"),
    (0x30364d54, "V4L2_PIX_FMT_TM6000"),
    (0x30383653, "V4L2_PIX_FMT_STV0680"),
    (0x30385056, "V4L2_PIX_FMT_VP8"),
    (0x30395056, "V4L2_PIX_FMT_VP9"),
    (0x31303453, "V4L2_PIX_FMT_SE401"),
    (0x31303553, "V4L2_PIX_FMT_SPCA501"),
    (0x3131354f, "V4L2_PIX_FMT_OV511"),
    (0x31324d4d, "V4L2_PIX_FMT_MM21"),
    (0x31324d4e, "V4L2_PIX_FMT_NV21M"),
    (0x31324d59, "V4L2_PIX_FMT_YVU420M"),
    (0x3132544d, "V4L2_PIX_FMT_MT21C"),
    (0x3132564e, "V4L2_PIX_FMT_NV21"),
    (0x31363553, "V4L2_PIX_FMT_SPCA561"),
    (0x31364d4e, "V4L2_PIX_FMT_NV61M"),
    (0x31364d59, "V4L2_PIX_FMT_YVU422M"),
    (0x3136564e, "V4L2_PIX_FMT_NV61"),
    (0x31384142, "V4L2_PIX_FMT_SBGGR8"),
    (0x31424752, "V4L2_PIX_FMT_RGB332"),
    (0x31435641, "V4L2_PIX_FMT_H264_NO_SC"),
    (0x31435750, "V4L2_PIX_FMT_PWC1"),
    (0x3147504d, "V4L2_PIX_FMT_MPEG1"),
    (0x32314142, "V4L2_PIX_FMT_SGRBG12"),
    (0x32314147, "V4L2_PIX_FMT_BGRA444"),
    (0x3231414e, "V4L2_PIX_FMT_NV12M_8L128"),
    (0x32314152, "V4L2_PIX_FMT_RGBA444"),
    (0x32314241, "V4L2_PIX_FMT_ABGR444"),
    (0x32314247, "V4L2_PIX_FMT_SGBRG12"),
    (0x32314258, "V4L2_PIX_FMT_XBGR444"),
    (0x32314742, "V4L2_PIX_FMT_SBGGR12"),
    (0x32314752, "V4L2_PIX_FMT_SRGGB12"),
    (0x32314d48, "V4L2_PIX_FMT_NV12_16L16"),
    (0x32314d4e, "V4L2_PIX_FMT_NV12M"),
    (0x32314d54, "V4L2_PIX_FMT_NV12MT"),
    (0x32314d56, "V4L2_PIX_FMT_NV12MT_16X16"),
    (0x32314d59, "V4L2_PIX_FMT_YUV420M"),
    (0x32315241, "V4L2_PIX_FMT_ARGB444"),
    (0x32315258, "V4L2_PIX_FMT_XRGB444"),
    (0x32315453, "V4L2_PIX_FMT_NV12_32L32"),
    (0x32315456, "V4L2_PIX_FMT_NV12_4L4"),
    (0x32315559, "V4L2_PIX_FMT_YUV420"),
    (0x3231564e, "V4L2_PIX_FMT_NV12"),
    (0x32315659, "V4L2_PIX_FMT_YVU420"),
    (0x32315842, "V4L2_PIX_FMT_BGRX444"),
    (0x32315852, "V4L2_PIX_FMT_RGBX444"),
    (0x32344d59, "V4L2_PIX_FMT_YVU444M"),
    (0x3234564e, "V4L2_PIX_FMT_NV42"),
    (0x32435750, "V4L2_PIX_FMT_PWC2"),
    (0x3247504d, "V4L2_PIX_FMT_MPEG2"),
    (0x32525942, "V4L2_PIX_FMT_SBGGR16"),
    (0x33363248, "V4L2_PIX_FMT_H263"),
    (0x33424752, "V4L2_PIX_FMT_RGB24"),
    (0x33524742, "V4L2_PIX_FMT_BGR24"),
    (0x33565348, "V4L2_PIX_FMT_HSV24"),
    (0x33565559, "V4L2_PIX_FMT_YUV24"),
    (0x34314247, "V4L2_PIX_FMT_SGBRG14"),
    (0x34314742, "V4L2_PIX_FMT_SBGGR14"),
    (0x34314752, "V4L2_PIX_FMT_SRGGB14"),
    (0x34315247, "V4L2_PIX_FMT_SGRBG14"),
    (0x34324142, "V4L2_PIX_FMT_ARGB32"),
    (0x34324152, "V4L2_PIX_FMT_BGRA32"),
    (0x34324241, "V4L2_PIX_FMT_RGBA32"),
    (0x34324258, "V4L2_PIX_FMT_RGBX32"),
    (0x34324948, "V4L2_PIX_FMT_HI240"),
    (0x34324d59, "V4L2_PIX_FMT_YUV444M"),
    (0x34325241, "V4L2_PIX_FMT_ABGR32"),
    (0x34325258, "V4L2_PIX_FMT_XBGR32"),
    (0x3432564e, "V4L2_PIX_FMT_NV24"),
    (0x34325842, "V4L2_PIX_FMT_XRGB32"),
    (0x34325852, "V4L2_PIX_FMT_BGRX32"),
    (0x34343452, "V4L2_PIX_FMT_RGB444"),
    (0x34343459, "V4L2_PIX_FMT_YUV444"),
    (0x34363248, "V4L2_PIX_FMT_H264"),
    (0x3436324d, "V4L2_PIX_FMT_H264_MVC"),
    (0x34363253, "V4L2_PIX_FMT_H264_SLICE"),
    (0x34424752, "V4L2_PIX_FMT_RGB32"),
    (0x34464e43, "V4L2_PIX_FMT_CNF4"),
    (0x3447504d, "V4L2_PIX_FMT_MPEG4"),
    (0x34524742, "V4L2_PIX_FMT_BGR32"),
    (0x34565348, "V4L2_PIX_FMT_HSV32"),
    (0x34565559, "V4L2_PIX_FMT_YUV32"),
    (0x35303553, "V4L2_PIX_FMT_SPCA505"),
    (0x35314142, "V4L2_PIX_FMT_BGRA555"),
    (0x35314152, "V4L2_PIX_FMT_RGBA555"),
    (0x35314241, "V4L2_PIX_FMT_ABGR555"),
    (0x35314258, "V4L2_PIX_FMT_XBGR555"),
    (0x35315241, "V4L2_PIX_FMT_ARGB555"),
    (0x35315258, "V4L2_PIX_FMT_XRGB555"),
    (0x35315842, "V4L2_PIX_FMT_BGRX555"),
    (0x35315852, "V4L2_PIX_FMT_RGBX555"),
    (0x35323645, "V4L2_PIX_FMT_ET61X251"),
    (0x36314247, "V4L2_PIX_FMT_SGBRG16"),
    (0x36314752, "V4L2_PIX_FMT_SRGGB16"),
    (0x36314d4e, "V4L2_PIX_FMT_NV16M"),
    (0x36314d59, "V4L2_PIX_FMT_YUV422M"),
    (0x36315247, "V4L2_PIX_FMT_SGRBG16"),
    (0x3631564e, "V4L2_PIX_FMT_NV16"),
    (0x37303250, "V4L2_PIX_FMT_PAC207"),
    (0x38303553, "V4L2_PIX_FMT_SPCA508"),
    (0x3831354f, "V4L2_PIX_FMT_OV518"),
    (0x38414261, "V4L2_PIX_FMT_SBGGR10ALAW8"),
    (0x38414262, "V4L2_PIX_FMT_SBGGR10DPCM8"),
    (0x38414761, "V4L2_PIX_FMT_SGBRG10ALAW8"),
    (0x38414762, "V4L2_PIX_FMT_SGBRG10DPCM8"),
    (0x38415261, "V4L2_PIX_FMT_SRGGB10ALAW8"),
    (0x38415262, "V4L2_PIX_FMT_SRGGB10DPCM8"),
    (0x38416761, "V4L2_PIX_FMT_SGRBG10ALAW8"),
    (0x384c4150, "V4L2_PIX_FMT_PAL8"),
    (0x39555659, "V4L2_PIX_FMT_YVU410"),
    (0x39565559, "V4L2_PIX_FMT_YUV410"),
    (0x41414270, "V4L2_PIX_FMT_SBGGR10P"),
    (0x41414770, "V4L2_PIX_FMT_SGBRG10P"),
    (0x41415270, "V4L2_PIX_FMT_SRGGB10P"),
    (0x41416770, "V4L2_PIX_FMT_SGRBG10P"),
    (0x41495043, "V4L2_PIX_FMT_CPIA1"),
    (0x41564e57, "V4L2_PIX_FMT_WNVA"),
    (0x41595556, "V4L2_PIX_FMT_VUYA32"),
    (0x42303159, "V4L2_PIX_FMT_Y10BPACK"),
    (0x42474752, "V4L2_PIX_FMT_SRGGB8"),
    (0x43303151, "V4L2_PIX_FMT_QC10C"),
    (0x43353039, "V4L2_PIX_FMT_SQ905C"),
    (0x43383051, "V4L2_PIX_FMT_QC08C"),
    (0x43434270, "V4L2_PIX_FMT_SBGGR12P"),
    (0x43434770, "V4L2_PIX_FMT_SGBRG12P"),
    (0x43435270, "V4L2_PIX_FMT_SRGGB12P"),
    (0x43436770, "V4L2_PIX_FMT_SGRBG12P"),
    (0x43564548, "V4L2_PIX_FMT_HEVC"),
    (0x44495658, "V4L2_PIX_FMT_XVID"),
    (0x45454270, "V4L2_PIX_FMT_SBGGR14P"),
    (0x45454770, "V4L2_PIX_FMT_SGBRG14P"),
    (0x45455270, "V4L2_PIX_FMT_SRGGB14P"),
    (0x45456770, "V4L2_PIX_FMT_SGRBG14P"),
    (0x46385056, "V4L2_PIX_FMT_VP8_FRAME"),
    (0x46395056, "V4L2_PIX_FMT_VP9_FRAME"),
    (0x47314356, "V4L2_PIX_FMT_VC1_ANNEX_G"),
    (0x47337069, "V4L2_PIX_FMT_IPU3_SGRBG10"),
    (0x47425247, "V4L2_PIX_FMT_SGRBG8"),
    (0x4745504a, "V4L2_PIX_FMT_JPEG"),
    (0x4745504d, "V4L2_PIX_FMT_MPEG"),
    (0x47504a4d, "V4L2_PIX_FMT_MJPEG"),
    (0x47504a50, "V4L2_PIX_FMT_PJPG"),
    (0x47524247, "V4L2_PIX_FMT_SGBRG8"),
    (0x48524742, "V4L2_PIX_FMT_BGR666"),
    (0x48574653, "V4L2_PIX_FMT_FWHT_STATELESS"),
    (0x49323159, "V4L2_PIX_FMT_Y12I"),
    (0x49433553, "V4L2_PIX_FMT_S5C_UYVY_JPG"),
    (0x494e4f4b, "V4L2_PIX_FMT_KONICA420"),
    (0x495a4e49, "V4L2_PIX_FMT_INZI"),
    (0x4c314356, "V4L2_PIX_FMT_VC1_ANNEX_L"),
    (0x4c47504a, "V4L2_PIX_FMT_JPGL"),
    (0x4f424752, "V4L2_PIX_FMT_RGB555"),
    (0x4f565559, "V4L2_PIX_FMT_YUV555"),
    (0x50303159, "V4L2_PIX_FMT_Y10P"),
    (0x50313134, "V4L2_PIX_FMT_YUV411P"),
    (0x50313459, "V4L2_PIX_FMT_Y41P"),
    (0x50323234, "V4L2_PIX_FMT_YUV422P"),
    (0x50424752, "V4L2_PIX_FMT_RGB565"),
    (0x50565559, "V4L2_PIX_FMT_YUV565"),
    (0x51424752, "V4L2_PIX_FMT_RGB555X"),
    (0x52424752, "V4L2_PIX_FMT_RGB565X"),
    (0x5332474d, "V4L2_PIX_FMT_MPEG2_SLICE"),
    (0x54485746, "V4L2_PIX_FMT_FWHT"),
    (0x55595659, "V4L2_PIX_FMT_YVYU"),
    (0x56544943, "V4L2_PIX_FMT_CIT_YYVYUY"),
    (0x56555941, "V4L2_PIX_FMT_AYUV32"),
    (0x56555958, "V4L2_PIX_FMT_XYUV32"),
    (0x56555959, "V4L2_PIX_FMT_YYUV"),
    (0x56595559, "V4L2_PIX_FMT_YUYV"),
    (0x584e4f53, "V4L2_PIX_FMT_SN9C2028"),
    (0x58595556, "V4L2_PIX_FMT_VUYX32"),
    (0x59455247, "V4L2_PIX_FMT_GREY"),
    (0x59555956, "V4L2_PIX_FMT_VYUY"),
    (0x59565955, "V4L2_PIX_FMT_UYVY"),
    (0x62337069, "V4L2_PIX_FMT_IPU3_SBGGR10"),
    (0x64737664, "V4L2_PIX_FMT_DV"),
    (0x67337069, "V4L2_PIX_FMT_IPU3_SGBRG10"),
    (0x72337069, "V4L2_PIX_FMT_IPU3_SRGGB10"),
    (0x79337069, "V4L2_PIX_FMT_IPU3_Y10"),
    (0xa0363159, "V4L2_PIX_FMT_Y16_BE"),
    (0xb231544e, "V4L2_PIX_FMT_NV12M_10BE_8L128"),
    (0xb5315241, "V4L2_PIX_FMT_ARGB555X"),
    (0xb5315258, "V4L2_PIX_FMT_XRGB555X"),
];
const V4L2_SDR_FMTS: text::Xlat = &[
    (0x30324350, "V4L2_SDR_FMT_PCU20BE"),
    (0x32315552, "V4L2_SDR_FMT_RU12LE"),
    (0x34315343, "V4L2_SDR_FMT_CS14LE"),
    (0x36314350, "V4L2_SDR_FMT_PCU16BE"),
    (0x36315543, "V4L2_SDR_FMT_CU16LE"),
    (0x38305343, "V4L2_SDR_FMT_CS8"),
    (0x38305543, "V4L2_SDR_FMT_CU8"),
    (0x38314350, "V4L2_SDR_FMT_PCU18BE"),
];
const V4L2_SLICED_FLAGS: text::Xlat = &[
    (0x4401, "V4L2_SLICED_VBI_625"),
    (0x1, "V4L2_SLICED_TELETEXT_B"),
    (0x400, "V4L2_SLICED_VPS"),
    (0x1000, "V4L2_SLICED_CAPTION_525"),
    (0x4000, "V4L2_SLICED_WSS_625"),
];
const V4L2_STREAMING_CAPABILITIES: text::Xlat = &[(0x1000, "V4L2_CAP_TIMEPERFRAME")];
const V4L2_TUNER_AUDMODES: text::Xlat = &[
    (0x0, "V4L2_TUNER_MODE_MONO"),
    (0x1, "V4L2_TUNER_MODE_STEREO"),
    (0x2, "V4L2_TUNER_MODE_LANG2"),
    (0x3, "V4L2_TUNER_MODE_LANG1"),
    (0x4, "V4L2_TUNER_MODE_LANG1_LANG2"),
];
const V4L2_TUNER_CAPABILITIES: text::Xlat = &[
    (0x1, "V4L2_TUNER_CAP_LOW"),
    (0x2, "V4L2_TUNER_CAP_NORM"),
    (0x4, "V4L2_TUNER_CAP_HWSEEK_BOUNDED"),
    (0x8, "V4L2_TUNER_CAP_HWSEEK_WRAP"),
    (0x10, "V4L2_TUNER_CAP_STEREO"),
    (0x20, "V4L2_TUNER_CAP_LANG2"),
    (0x40, "V4L2_TUNER_CAP_LANG1"),
    (0x80, "V4L2_TUNER_CAP_RDS"),
    (0x100, "V4L2_TUNER_CAP_RDS_BLOCK_IO"),
    (0x200, "V4L2_TUNER_CAP_RDS_CONTROLS"),
    (0x400, "V4L2_TUNER_CAP_FREQ_BANDS"),
    (0x800, "V4L2_TUNER_CAP_HWSEEK_PROG_LIM"),
    (0x1000, "V4L2_TUNER_CAP_1HZ"),
];
const V4L2_TUNER_RXSUBCHANSES: text::Xlat = &[
    (0x1, "V4L2_TUNER_SUB_MONO"),
    (0x2, "V4L2_TUNER_SUB_STEREO"),
    (0x4, "V4L2_TUNER_SUB_LANG2"),
    (0x8, "V4L2_TUNER_SUB_LANG1"),
    (0x10, "V4L2_TUNER_SUB_RDS"),
];
const V4L2_TUNER_TYPES: text::Xlat = &[
    (0x1, "V4L2_TUNER_RADIO"),
    (0x2, "V4L2_TUNER_ANALOG_TV"),
    (0x3, "V4L2_TUNER_DIGITAL_TV"),
    (0x4, "V4L2_TUNER_SDR"),
    (0x5, "V4L2_TUNER_RF"),
];
const V4L2_VBI_FLAGS: text::Xlat = &[(0x1, "V4L2_VBI_UNSYNC"), (0x2, "V4L2_VBI_INTERLACED")];
