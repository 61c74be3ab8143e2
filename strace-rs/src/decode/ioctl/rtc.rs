//! Real-time clock requests (`linux/rtc.h`, type `'p'`, strace's `rtc.c`): times, wake
//! alarms, PLL information (x86_64 layout), voltage-low flags and parameters.

use std::fmt::Write as _;

use super::fields::{u32_at, u64_at};
use super::xlat as x;
use super::Family;
use crate::decode::{Abi, Ctx, Step};
use crate::text;

pub(super) const FAMILY: Family = Family {
    handles: |req| {
        text::lookup(x::RTC_IOCTL_CMDS, req).is_some() || text::lookup(LONG_CMDS, req).is_some()
    },
    enter,
    exit,
};

/// The requests of an `unsigned long` (x86_64 size; not in the generated `RTC_IOCTL_CMDS`,
/// which leaves them out as personality-dependent).
const LONG_CMDS: text::Xlat = &[
    (IRQP_READ, "RTC_IRQP_READ"),
    (IRQP_SET, "RTC_IRQP_SET"),
    (EPOCH_READ, "RTC_EPOCH_READ"),
    (EPOCH_SET, "RTC_EPOCH_SET"),
];

const ALM_SET: u64 = 0x40247007;
const ALM_READ: u64 = 0x80247008;
const RD_TIME: u64 = 0x80247009;
const SET_TIME: u64 = 0x4024700a;
const WKALM_SET: u64 = 0x4028700f;
const WKALM_RD: u64 = 0x80287010;
const PLL_GET: u64 = 0x80207011;
const PLL_SET: u64 = 0x40207012;
const VL_READ: u64 = 0x80047013;
const PARAM_GET: u64 = 0x40187013;
const PARAM_SET: u64 = 0x40187014;
const IRQP_READ: u64 = 0x8008700b;
const IRQP_SET: u64 = 0x4008700c;
const EPOCH_READ: u64 = 0x8008700d;
const EPOCH_SET: u64 = 0x4008700e;

/// The structure's size for the requests that carry one.
fn size(req: u64) -> usize {
    match req {
        ALM_SET | ALM_READ | RD_TIME | SET_TIME => 36,
        WKALM_SET | WKALM_RD => 40,
        PLL_GET | PLL_SET => 32,
        VL_READ => 4,
        _ => 24,
    }
}

/// The structure at the argument, or its address (`NULL`; after a failure at exit).
fn read(ctx: &mut Ctx<'_>, req: u64) -> Option<Vec<u8>> {
    let arg = ctx.arg(2);
    let b = if arg == 0 || (ctx.exiting && ctx.error) || ctx.abi != Abi::X86_64 {
        None
    } else {
        ctx.read_bytes(arg, size(req))
    };
    if b.is_none() {
        ctx.addr(arg);
    }
    b
}

fn enter(ctx: &mut Ctx<'_>, req: u64) -> Step {
    match req {
        ALM_READ | RD_TIME | WKALM_RD | PLL_GET | VL_READ | IRQP_READ | EPOCH_READ => {
            return Step::Exit
        }
        IRQP_SET | EPOCH_SET => {
            ctx.comma();
            ctx.ulong(2);
        }
        ALM_SET | SET_TIME | WKALM_SET | PLL_SET => {
            ctx.comma();
            print(ctx, req);
        }
        PARAM_GET | PARAM_SET => {
            ctx.comma();
            if let Some(b) = read(ctx, req) {
                param(ctx, &b, req == PARAM_GET);
                if req == PARAM_GET {
                    return Step::Exit;
                }
            }
        }
        _ => {}
    }
    Step::Decoded
}

fn exit(ctx: &mut Ctx<'_>, req: u64) {
    match req {
        PARAM_GET => {
            ctx.push(" => ");
            if let Some(b) = read(ctx, req) {
                param(ctx, &b, true);
            }
        }
        IRQP_READ | EPOCH_READ => {
            ctx.comma();
            if ctx.error {
                ctx.addr(ctx.arg(2));
            } else {
                ctx.u64_ptr(ctx.arg(2));
            }
        }
        _ => {
            ctx.comma();
            print(ctx, req);
        }
    }
}

fn print(ctx: &mut Ctx<'_>, req: u64) {
    let Some(b) = read(ctx, req) else {
        return;
    };
    match req {
        WKALM_SET | WKALM_RD => {
            let _ = write!(ctx.out, "{{enabled={}, pending={}, time=", b[0], b[1]);
            time(ctx, &b[4..]);
            ctx.push("}");
        }
        PLL_GET | PLL_SET => {
            let i = |k: usize| u32_at(&b, 4 * k) as i32;
            let _ = write!(
                ctx.out,
                "{{pll_ctrl={}, pll_value={}, pll_max={}, pll_min={}, pll_posmult={}, pll_negmult={}, pll_clock={}}}",
                i(0),
                i(1),
                i(2),
                i(3),
                i(4),
                i(5),
                u64_at(&b, 24) as i64
            );
        }
        VL_READ => {
            ctx.push("[");
            ctx.flags(x::RTC_VL_FLAGS, u32_at(&b, 0).into(), "RTC_VL_???");
            ctx.push("]");
        }
        _ => time(ctx, &b),
    }
}

/// `struct rtc_time`: without `-v` the last three fields are `...`.
fn time(ctx: &mut Ctx<'_>, b: &[u8]) {
    let i = |k: usize| u32_at(b, 4 * k) as i32;
    let _ = write!(
        ctx.out,
        "{{tm_sec={}, tm_min={}, tm_hour={}, tm_mday={}, tm_mon={}, tm_year={}",
        i(0),
        i(1),
        i(2),
        i(3),
        i(4),
        i(5)
    );
    if ctx.opts.verbose {
        let _ = write!(
            ctx.out,
            ", tm_wday={}, tm_yday={}, tm_isdst={}}}",
            i(6),
            i(7),
            i(8)
        );
    } else {
        ctx.push(", ...}");
    }
}

/// `struct rtc_param`: at entry the parameter, the value (set) and the index; at exit the
/// value (get).
fn param(ctx: &mut Ctx<'_>, b: &[u8], get: bool) {
    let p = u64_at(b, 0);
    let v = u64_at(b, 8);
    ctx.push("{");
    let entering = !ctx.exiting;
    if entering {
        ctx.push("param=");
        ctx.xval(x::RTC_PARAMS, p, "RTC_PARAM_???");
    }
    if entering ^ get {
        if entering {
            ctx.comma();
        }
        match p {
            0 => {
                ctx.push("uvalue=");
                ctx.flags(x::RTC_FEATURES, v, "1<<RTC_FEATURE_???");
            }
            1 => {
                let _ = write!(ctx.out, "svalue={}", v as i64);
            }
            2 => {
                ctx.push("uvalue=");
                ctx.xval(x::RTC_BACKUP_SWITCH_MODES, v, "RTC_BSM_???");
            }
            _ => {
                let _ = write!(ctx.out, "uvalue={}", text::Hx(v));
            }
        }
    }
    if entering {
        let _ = write!(ctx.out, ", index={}", u32_at(b, 16));
    }
    let pad = u32_at(b, 20);
    if pad != 0 {
        let _ = write!(ctx.out, ", __pad={}", text::Hx(pad.into()));
    }
    ctx.push("}");
}
