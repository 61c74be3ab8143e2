//! PTP hardware clock requests (`linux/ptp_clock.h`, type `'='`): capabilities, external
//! timestamps, periodic outputs, pins and the system/device time offsets.

use std::fmt::Write as _;

use super::fields::{array, cstring, nonzero_u32s, u32_at, u64_at};
use super::Family;
use crate::decode::{Ctx, Step};
use crate::text::{self, XlatStyle};

pub(super) const FAMILY: Family = Family {
    handles: |req| text::lookup(NAMES, req).is_some(),
    enter,
    exit,
};

const NAMES: text::Xlat = &[
    (0x40043d04, "PTP_ENABLE_PPS"),
    (0x40043d0d, "PTP_ENABLE_PPS2"),
    (0x40103d02, "PTP_EXTTS_REQUEST"),
    (0x40103d0b, "PTP_EXTTS_REQUEST2"),
    (0x40383d03, "PTP_PEROUT_REQUEST"),
    (0x40383d0c, "PTP_PEROUT_REQUEST2"),
    (0x40603d07, "PTP_PIN_SETFUNC"),
    (0x40603d10, "PTP_PIN_SETFUNC2"),
    (0x43403d05, "PTP_SYS_OFFSET"),
    (0x43403d0e, "PTP_SYS_OFFSET2"),
    (0x80503d01, "PTP_CLOCK_GETCAPS"),
    (0x80503d0a, "PTP_CLOCK_GETCAPS2"),
    (0xc0403d08, "PTP_SYS_OFFSET_PRECISE"),
    (0xc0403d11, "PTP_SYS_OFFSET_PRECISE2"),
    (0xc0603d06, "PTP_PIN_GETFUNC"),
    (0xc0603d0f, "PTP_PIN_GETFUNC2"),
    (0xc4c03d09, "PTP_SYS_OFFSET_EXTENDED"),
    (0xc4c03d12, "PTP_SYS_OFFSET_EXTENDED2"),
];

const PTP_ENABLE_PPS: u64 = 0x40043d04;
const PTP_ENABLE_PPS2: u64 = 0x40043d0d;
const PTP_EXTTS_REQUEST: u64 = 0x40103d02;
const PTP_EXTTS_REQUEST2: u64 = 0x40103d0b;
const PTP_PEROUT_REQUEST: u64 = 0x40383d03;
const PTP_PEROUT_REQUEST2: u64 = 0x40383d0c;
const PTP_PIN_SETFUNC: u64 = 0x40603d07;
const PTP_PIN_SETFUNC2: u64 = 0x40603d10;
const PTP_SYS_OFFSET: u64 = 0x43403d05;
const PTP_SYS_OFFSET2: u64 = 0x43403d0e;
const PTP_CLOCK_GETCAPS: u64 = 0x80503d01;
const PTP_CLOCK_GETCAPS2: u64 = 0x80503d0a;
const PTP_SYS_OFFSET_PRECISE: u64 = 0xc0403d08;
const PTP_SYS_OFFSET_PRECISE2: u64 = 0xc0403d11;
const PTP_PIN_GETFUNC: u64 = 0xc0603d06;
const PTP_PIN_GETFUNC2: u64 = 0xc0603d0f;
const PTP_SYS_OFFSET_EXTENDED: u64 = 0xc4c03d09;
const PTP_SYS_OFFSET_EXTENDED2: u64 = 0xc4c03d12;

const EXTTS_FLAGS: text::Xlat = &[
    (0x1, "PTP_ENABLE_FEATURE"),
    (0x2, "PTP_RISING_EDGE"),
    (0x4, "PTP_FALLING_EDGE"),
    (0x8, "PTP_STRICT_FLAGS"),
];

const PEROUT_FLAGS: text::Xlat = &[
    (0x1, "PTP_PEROUT_ONE_SHOT"),
    (0x2, "PTP_PEROUT_DUTY_CYCLE"),
    (0x4, "PTP_PEROUT_PHASE"),
];

const PIN_FUNCS: text::Xlat = &[
    (0x0, "PTP_PF_NONE"),
    (0x1, "PTP_PF_EXTTS"),
    (0x2, "PTP_PF_PEROUT"),
    (0x3, "PTP_PF_PHYSYNC"),
];

const PTP_PEROUT_DUTY_CYCLE: u32 = 0x2;
const PTP_PEROUT_PHASE: u32 = 0x4;
/// `PTP_MAX_SAMPLES`: the most samples an offset request holds.
const PTP_MAX_SAMPLES: usize = 25;

/// `struct ptp_clock_time` at `o`: `{sec=, nsec=}` (and `reserved` when not zero); `rtc`:
/// a wall-clock time, followed by its date.
fn clock_time(ctx: &mut Ctx<'_>, b: &[u8], o: usize, rtc: bool) {
    let sec = u64_at(b, o) as i64;
    let nsec = u32_at(b, o + 8);
    let reserved = u32_at(b, o + 12);
    let _ = write!(ctx.out, "{{sec={sec}, nsec={nsec}");
    if reserved != 0 {
        let _ = write!(ctx.out, ", reserved={reserved:#x}");
    }
    ctx.push("}");
    if rtc && ctx.opts.xlat != XlatStyle::Raw {
        crate::decode::admin::time_comment(&mut ctx.out, sec, nsec.into(), 999_999_999, 9);
    }
}

fn size(req: u64) -> usize {
    ((req >> 16) & 0x3fff) as usize
}

fn read(ctx: &Ctx<'_>, req: u64) -> Option<Vec<u8>> {
    let arg = ctx.arg(2);
    ctx.read_bytes(arg, size(req)).filter(|_| arg != 0)
}

fn enter(ctx: &mut Ctx<'_>, req: u64) -> Step {
    ctx.comma();
    let arg = ctx.arg(2);
    if matches!(
        req,
        PTP_CLOCK_GETCAPS | PTP_CLOCK_GETCAPS2 | PTP_SYS_OFFSET_PRECISE | PTP_SYS_OFFSET_PRECISE2
    ) {
        return Step::Exit;
    }
    if matches!(req, PTP_ENABLE_PPS | PTP_ENABLE_PPS2) {
        ctx.hex_value(arg);
        return Step::Decoded;
    }
    let Some(b) = read(ctx, req) else {
        ctx.addr(arg);
        return Step::Decoded;
    };
    match req {
        PTP_EXTTS_REQUEST | PTP_EXTTS_REQUEST2 => {
            let _ = write!(ctx.out, "{{index={}, flags=", u32_at(&b, 0));
            ctx.flags(EXTTS_FLAGS, u32_at(&b, 4).into(), "PTP_???");
            if req == PTP_EXTTS_REQUEST2 {
                nonzero_u32s(ctx, "rsv", &b, 8, 2);
            }
            ctx.push("}");
        }
        PTP_PEROUT_REQUEST | PTP_PEROUT_REQUEST2 => {
            let flags = u32_at(&b, 36);
            if flags & PTP_PEROUT_PHASE != 0 {
                ctx.push("{phase=");
                clock_time(ctx, &b, 0, false);
            } else {
                ctx.push("{start=");
                clock_time(ctx, &b, 0, true);
            }
            ctx.push(", period=");
            clock_time(ctx, &b, 16, false);
            let _ = write!(ctx.out, ", index={}, flags=", u32_at(&b, 32));
            ctx.flags(PEROUT_FLAGS, flags.into(), "PTP_PEROUT_???");
            if flags & PTP_PEROUT_DUTY_CYCLE != 0 {
                ctx.push(", on=");
                clock_time(ctx, &b, 40, false);
            } else if req == PTP_PEROUT_REQUEST2 {
                nonzero_u32s(ctx, "rsv", &b, 40, 4);
            }
            ctx.push("}");
        }
        PTP_SYS_OFFSET | PTP_SYS_OFFSET2 | PTP_SYS_OFFSET_EXTENDED | PTP_SYS_OFFSET_EXTENDED2 => {
            let _ = write!(ctx.out, "{{n_samples={}", u32_at(&b, 0));
            nonzero_u32s(ctx, "rsv", &b, 4, 3);
            return Step::Exit;
        }
        PTP_PIN_GETFUNC | PTP_PIN_GETFUNC2 => {
            let _ = write!(ctx.out, "{{index={}", u32_at(&b, 64));
            if req == PTP_PIN_GETFUNC2 {
                nonzero_u32s(ctx, "rsv", &b, 76, 5);
            }
            return Step::Exit;
        }
        PTP_PIN_SETFUNC | PTP_PIN_SETFUNC2 => {
            let _ = write!(ctx.out, "{{index={}", u32_at(&b, 64));
            pin_func(ctx, &b, false);
            if req == PTP_PIN_SETFUNC2 {
                nonzero_u32s(ctx, "rsv", &b, 76, 5);
            }
            ctx.push("}");
        }
        _ => {}
    }
    Step::Decoded
}

/// `, [name=..., ]func=..., chan=...` of a `struct ptp_pin_desc`.
fn pin_func(ctx: &mut Ctx<'_>, b: &[u8], with_name: bool) {
    if with_name {
        ctx.push(", name=");
        cstring(ctx, &b[..64]);
    }
    ctx.push(", func=");
    ctx.xval(PIN_FUNCS, u32_at(b, 68).into(), "PTP_PF_???");
    let _ = write!(ctx.out, ", chan={}", u32_at(b, 72));
}

fn exit(ctx: &mut Ctx<'_>, req: u64) {
    let arg = ctx.arg(2);
    match req {
        PTP_CLOCK_GETCAPS
        | PTP_CLOCK_GETCAPS2
        | PTP_SYS_OFFSET_PRECISE
        | PTP_SYS_OFFSET_PRECISE2 => {
            let b = if ctx.error { None } else { read(ctx, req) };
            let Some(b) = b else {
                ctx.addr(arg);
                return;
            };
            if matches!(req, PTP_CLOCK_GETCAPS | PTP_CLOCK_GETCAPS2) {
                const FIELDS: [&str; 8] = [
                    "max_adj",
                    "n_alarm",
                    "n_ext_ts",
                    "n_per_out",
                    "pps",
                    "n_pins",
                    "cross_timestamping",
                    "adjust_phase",
                ];
                for (i, f) in FIELDS.iter().enumerate() {
                    let sep = if i == 0 { "{" } else { ", " };
                    let _ = write!(ctx.out, "{sep}{f}={}", u32_at(&b, 4 * i) as i32);
                }
                nonzero_u32s(ctx, "rsv", &b, 32, 12);
            } else {
                ctx.push("{device=");
                clock_time(ctx, &b, 0, true);
                ctx.push(", sys_realtime=");
                clock_time(ctx, &b, 16, true);
                ctx.push(", sys_monoraw=");
                clock_time(ctx, &b, 32, false);
                nonzero_u32s(ctx, "rsv", &b, 48, 4);
            }
            ctx.push("}");
        }
        PTP_SYS_OFFSET | PTP_SYS_OFFSET2 | PTP_SYS_OFFSET_EXTENDED | PTP_SYS_OFFSET_EXTENDED2 => {
            if !ctx.error {
                match read(ctx, req) {
                    Some(b) => {
                        let n = (u32_at(&b, 0) as usize).min(PTP_MAX_SAMPLES);
                        ctx.push(", ts=");
                        let extended =
                            matches!(req, PTP_SYS_OFFSET_EXTENDED | PTP_SYS_OFFSET_EXTENDED2);
                        let (count, stride) = if extended { (n, 48) } else { (2 * n + 1, 16) };
                        let offs: Vec<u64> = (0..count).map(|i| (16 + i * stride) as u64).collect();
                        let buf = b;
                        array(ctx, &offs, count, |c, o| {
                            let o = o as usize;
                            if extended {
                                c.push("[");
                                clock_time(c, &buf, o, true);
                                c.push(", ");
                                clock_time(c, &buf, o + 16, true);
                                c.push(", ");
                                clock_time(c, &buf, o + 32, true);
                                c.push("]");
                            } else {
                                clock_time(c, &buf, o, true);
                            }
                        });
                    }
                    None => ctx.push(", ???"),
                }
            }
            ctx.push("}");
        }
        PTP_PIN_GETFUNC | PTP_PIN_GETFUNC2 => {
            if !ctx.error {
                match read(ctx, req) {
                    Some(b) => pin_func(ctx, &b, true),
                    None => ctx.push(", ???"),
                }
            }
            ctx.push("}");
        }
        _ => {}
    }
}
