//! GPIO character device requests (`linux/gpio.h`, type `0xb4`): chip and line
//! information, line handles and events (v1), line requests and values (v2).

use std::fmt::Write as _;

use super::fields::{array, cstring, dec, nonzero_u32s, u32_at, u32s, u64_at};
use super::Family;
use crate::decode::{Ctx, Step};
use crate::text;

pub(super) const FAMILY: Family = Family {
    handles: |req| text::lookup(NAMES, req).is_some(),
    enter,
    exit,
};

const NAMES: text::Xlat = &[
    (0x8044b401, "GPIO_GET_CHIPINFO_IOCTL"),
    (0xc004b40c, "GPIO_GET_LINEINFO_UNWATCH_IOCTL"),
    (0xc010b40e, "GPIO_V2_LINE_GET_VALUES_IOCTL"),
    (0xc010b40f, "GPIO_V2_LINE_SET_VALUES_IOCTL"),
    (0xc030b404, "GPIO_GET_LINEEVENT_IOCTL"),
    (0xc040b408, "GPIOHANDLE_GET_LINE_VALUES_IOCTL"),
    (0xc040b409, "GPIOHANDLE_SET_LINE_VALUES_IOCTL"),
    (0xc048b402, "GPIO_GET_LINEINFO_IOCTL"),
    (0xc048b40b, "GPIO_GET_LINEINFO_WATCH_IOCTL"),
    (0xc054b40a, "GPIOHANDLE_SET_CONFIG_IOCTL"),
    (0xc100b405, "GPIO_V2_GET_LINEINFO_IOCTL"),
    (0xc100b406, "GPIO_V2_GET_LINEINFO_WATCH_IOCTL"),
    (0xc110b40d, "GPIO_V2_LINE_SET_CONFIG_IOCTL"),
    (0xc16cb403, "GPIO_GET_LINEHANDLE_IOCTL"),
    (0xc250b407, "GPIO_V2_GET_LINE_IOCTL"),
];

const GPIO_GET_CHIPINFO_IOCTL: u64 = 0x8044b401;
const GPIO_GET_LINEINFO_UNWATCH_IOCTL: u64 = 0xc004b40c;
const GPIO_V2_LINE_GET_VALUES_IOCTL: u64 = 0xc010b40e;
const GPIO_V2_LINE_SET_VALUES_IOCTL: u64 = 0xc010b40f;
const GPIO_GET_LINEEVENT_IOCTL: u64 = 0xc030b404;
const GPIOHANDLE_GET_LINE_VALUES_IOCTL: u64 = 0xc040b408;
const GPIOHANDLE_SET_LINE_VALUES_IOCTL: u64 = 0xc040b409;
const GPIO_GET_LINEINFO_IOCTL: u64 = 0xc048b402;
const GPIO_GET_LINEINFO_WATCH_IOCTL: u64 = 0xc048b40b;
const GPIOHANDLE_SET_CONFIG_IOCTL: u64 = 0xc054b40a;
const GPIO_V2_GET_LINEINFO_IOCTL: u64 = 0xc100b405;
const GPIO_V2_GET_LINEINFO_WATCH_IOCTL: u64 = 0xc100b406;
const GPIO_V2_LINE_SET_CONFIG_IOCTL: u64 = 0xc110b40d;
const GPIO_GET_LINEHANDLE_IOCTL: u64 = 0xc16cb403;
const GPIO_V2_GET_LINE_IOCTL: u64 = 0xc250b407;

const LINE_FLAGS: text::Xlat = &[
    (0x1, "GPIOLINE_FLAG_KERNEL"),
    (0x2, "GPIOLINE_FLAG_IS_OUT"),
    (0x4, "GPIOLINE_FLAG_ACTIVE_LOW"),
    (0x8, "GPIOLINE_FLAG_OPEN_DRAIN"),
    (0x10, "GPIOLINE_FLAG_OPEN_SOURCE"),
    (0x20, "GPIOLINE_FLAG_BIAS_PULL_UP"),
    (0x40, "GPIOLINE_FLAG_BIAS_PULL_DOWN"),
    (0x80, "GPIOLINE_FLAG_BIAS_DISABLE"),
];

const HANDLE_FLAGS: text::Xlat = &[
    (0x1, "GPIOHANDLE_REQUEST_INPUT"),
    (0x2, "GPIOHANDLE_REQUEST_OUTPUT"),
    (0x4, "GPIOHANDLE_REQUEST_ACTIVE_LOW"),
    (0x8, "GPIOHANDLE_REQUEST_OPEN_DRAIN"),
    (0x10, "GPIOHANDLE_REQUEST_OPEN_SOURCE"),
    (0x20, "GPIOHANDLE_REQUEST_BIAS_PULL_UP"),
    (0x40, "GPIOHANDLE_REQUEST_BIAS_PULL_DOWN"),
    (0x80, "GPIOHANDLE_REQUEST_BIAS_DISABLE"),
];

const EVENT_FLAGS: text::Xlat = &[
    (0x3, "GPIOEVENT_REQUEST_BOTH_EDGES"),
    (0x1, "GPIOEVENT_REQUEST_RISING_EDGE"),
    (0x2, "GPIOEVENT_REQUEST_FALLING_EDGE"),
];

const V2_LINE_FLAGS: text::Xlat = &[
    (0x1, "GPIO_V2_LINE_FLAG_USED"),
    (0x2, "GPIO_V2_LINE_FLAG_ACTIVE_LOW"),
    (0x4, "GPIO_V2_LINE_FLAG_INPUT"),
    (0x8, "GPIO_V2_LINE_FLAG_OUTPUT"),
    (0x10, "GPIO_V2_LINE_FLAG_EDGE_RISING"),
    (0x20, "GPIO_V2_LINE_FLAG_EDGE_FALLING"),
    (0x40, "GPIO_V2_LINE_FLAG_OPEN_DRAIN"),
    (0x80, "GPIO_V2_LINE_FLAG_OPEN_SOURCE"),
    (0x100, "GPIO_V2_LINE_FLAG_BIAS_PULL_UP"),
    (0x200, "GPIO_V2_LINE_FLAG_BIAS_PULL_DOWN"),
    (0x400, "GPIO_V2_LINE_FLAG_BIAS_DISABLED"),
    (0x800, "GPIO_V2_LINE_FLAG_EVENT_CLOCK_REALTIME"),
    (0x1000, "GPIO_V2_LINE_FLAG_EVENT_CLOCK_HTE"),
];

fn enter(ctx: &mut Ctx<'_>, req: u64) -> Step {
    ctx.comma();
    let arg = ctx.arg(2);
    let size = ((req >> 16) & 0x3fff) as usize;
    // Requests the kernel only answers: everything at exit.
    if matches!(
        req,
        GPIO_GET_CHIPINFO_IOCTL | GPIOHANDLE_GET_LINE_VALUES_IOCTL
    ) {
        return Step::Exit;
    }
    let Some(b) = ctx.read_bytes(arg, size).filter(|_| arg != 0) else {
        ctx.addr(arg);
        return Step::Decoded;
    };
    match req {
        GPIO_GET_LINEINFO_IOCTL | GPIO_GET_LINEINFO_WATCH_IOCTL => {
            let _ = write!(ctx.out, "{{line_offset={}}}", u32_at(&b, 0));
            return Step::Exit;
        }
        GPIO_V2_GET_LINEINFO_IOCTL | GPIO_V2_GET_LINEINFO_WATCH_IOCTL => {
            let _ = write!(ctx.out, "{{offset={}}}", u32_at(&b, 64));
            return Step::Exit;
        }
        GPIO_GET_LINEINFO_UNWATCH_IOCTL => {
            let _ = write!(ctx.out, "{{offset={}}}", u32_at(&b, 0));
        }
        GPIO_GET_LINEHANDLE_IOCTL => {
            let lines = u32_at(&b, 356);
            let _ = write!(ctx.out, "{{lines={lines}, lineoffsets=");
            array(ctx, &u32s(&b, 0, 64), lines as usize, dec);
            ctx.push(", flags=");
            ctx.flags(
                HANDLE_FLAGS,
                u32_at(&b, 256).into(),
                "GPIOHANDLE_REQUEST_???",
            );
            ctx.push(", default_values=");
            let dv: Vec<u64> = b[260..324].iter().map(|&c| c.into()).collect();
            array(ctx, &dv, lines as usize, dec);
            ctx.push(", consumer_label=");
            cstring(ctx, &b[324..356]);
            ctx.push("}");
            return Step::Exit;
        }
        GPIO_GET_LINEEVENT_IOCTL => {
            let _ = write!(ctx.out, "{{lineoffset={}, handleflags=", u32_at(&b, 0));
            ctx.flags(HANDLE_FLAGS, u32_at(&b, 4).into(), "GPIOHANDLE_REQUEST_???");
            ctx.push(", eventflags=");
            ctx.flags(EVENT_FLAGS, u32_at(&b, 8).into(), "GPIOEVENT_REQUEST_???");
            ctx.push(", consumer_label=");
            cstring(ctx, &b[12..44]);
            ctx.push("}");
            return Step::Exit;
        }
        GPIOHANDLE_SET_LINE_VALUES_IOCTL => {
            ctx.push("{values=");
            let v: Vec<u64> = b[..64].iter().map(|&c| c.into()).collect();
            array(ctx, &v, 64, dec);
            ctx.push("}");
        }
        GPIOHANDLE_SET_CONFIG_IOCTL => {
            ctx.push("{flags=");
            ctx.flags(HANDLE_FLAGS, u32_at(&b, 0).into(), "GPIOHANDLE_REQUEST_???");
            ctx.push(", default_values=");
            let v: Vec<u64> = b[4..68].iter().map(|&c| c.into()).collect();
            array(ctx, &v, 64, dec);
            ctx.push("}");
        }
        GPIO_V2_GET_LINE_IOCTL => {
            let n = u32_at(&b, 560);
            let _ = write!(ctx.out, "{{num_lines={n}, offsets=");
            array(ctx, &u32s(&b, 0, 64), n as usize, dec);
            ctx.push(", consumer=");
            cstring(ctx, &b[256..288]);
            ctx.push(", config=");
            line_config(ctx, &b[288..560]);
            let ebs = u32_at(&b, 564);
            if ebs != 0 {
                let _ = write!(ctx.out, ", event_buffer_size={ebs}");
            }
            nonzero_u32s(ctx, "padding", &b, 568, 5);
            ctx.push("}");
            return Step::Exit;
        }
        GPIO_V2_LINE_SET_CONFIG_IOCTL => line_config(ctx, &b),
        GPIO_V2_LINE_GET_VALUES_IOCTL => {
            ctx.push("{mask=");
            ctx.hex_value(u64_at(&b, 8));
            ctx.push("}");
            return Step::Exit;
        }
        GPIO_V2_LINE_SET_VALUES_IOCTL => {
            ctx.push("{bits=");
            ctx.hex_value(u64_at(&b, 0));
            ctx.push(", mask=");
            ctx.hex_value(u64_at(&b, 8));
            ctx.push("}");
        }
        _ => {}
    }
    Step::Decoded
}

fn exit(ctx: &mut Ctx<'_>, req: u64) {
    let arg = ctx.arg(2);
    let size = ((req >> 16) & 0x3fff) as usize;
    let answered_only = matches!(
        req,
        GPIO_GET_CHIPINFO_IOCTL | GPIOHANDLE_GET_LINE_VALUES_IOCTL
    );
    if ctx.error {
        if answered_only {
            ctx.addr(arg);
        }
        return;
    }
    if !answered_only {
        ctx.push(" => ");
    }
    let Some(b) = ctx.read_bytes(arg, size).filter(|_| arg != 0) else {
        ctx.addr(arg);
        return;
    };
    match req {
        GPIO_GET_CHIPINFO_IOCTL => {
            ctx.push("{name=");
            cstring(ctx, &b[0..32]);
            ctx.push(", label=");
            cstring(ctx, &b[32..64]);
            let _ = write!(ctx.out, ", lines={}}}", u32_at(&b, 64));
        }
        GPIOHANDLE_GET_LINE_VALUES_IOCTL => {
            ctx.push("{values=");
            let v: Vec<u64> = b[..64].iter().map(|&c| c.into()).collect();
            array(ctx, &v, 64, dec);
            ctx.push("}");
        }
        GPIO_GET_LINEINFO_IOCTL | GPIO_GET_LINEINFO_WATCH_IOCTL => {
            ctx.push("{flags=");
            ctx.flags(LINE_FLAGS, u32_at(&b, 4).into(), "GPIOLINE_FLAG_???");
            ctx.push(", name=");
            cstring(ctx, &b[8..40]);
            ctx.push(", consumer=");
            cstring(ctx, &b[40..72]);
            ctx.push("}");
        }
        GPIO_V2_GET_LINEINFO_IOCTL | GPIO_V2_GET_LINEINFO_WATCH_IOCTL => {
            ctx.push("{name=");
            cstring(ctx, &b[0..32]);
            ctx.push(", consumer=");
            cstring(ctx, &b[32..64]);
            ctx.push(", flags=");
            ctx.flags(V2_LINE_FLAGS, u64_at(&b, 72), "GPIO_V2_LINE_FLAG_???");
            let n = u32_at(&b, 68);
            let _ = write!(ctx.out, ", num_attrs={n}");
            if n != 0 {
                ctx.push(", attrs=[");
                for i in 0..(n as usize).min(10) {
                    if i > 0 {
                        ctx.push(", ");
                    }
                    ctx.push("{");
                    line_attribute(ctx, &b[80 + 16 * i..96 + 16 * i], false);
                    ctx.push("}");
                }
                ctx.push("]");
            }
            nonzero_u32s(ctx, "padding", &b, 240, 4);
            ctx.push("}");
        }
        // The new descriptor.
        GPIO_GET_LINEHANDLE_IOCTL | GPIO_GET_LINEEVENT_IOCTL | GPIO_V2_GET_LINE_IOCTL => {
            let at = match req {
                GPIO_GET_LINEHANDLE_IOCTL => 360,
                GPIO_GET_LINEEVENT_IOCTL => 44,
                _ => 588,
            };
            ctx.push("{fd=");
            ctx.fd_val(u32_at(&b, at) as i32);
            ctx.push("}");
        }
        GPIO_V2_LINE_GET_VALUES_IOCTL => {
            ctx.push("{bits=");
            ctx.hex_value(u64_at(&b, 0));
            ctx.push("}");
        }
        _ => {}
    }
}

/// `struct gpio_v2_line_attribute`: its id says which member of the union is in use; an
/// unknown id or a non-zero padding prints the raw fields (as `attr={...}` in a config).
fn line_attribute(ctx: &mut Ctx<'_>, b: &[u8], as_field: bool) {
    let (id, pad, data) = (u32_at(b, 0), u32_at(b, 4), u64_at(b, 8));
    if pad == 0 {
        match id {
            1 => {
                ctx.push("flags=");
                ctx.flags(V2_LINE_FLAGS, data, "GPIO_V2_LINE_FLAG_???");
                return;
            }
            2 => {
                ctx.push("values=");
                ctx.hex_value(data);
                return;
            }
            3 => {
                let _ = write!(ctx.out, "debounce_period_us={}", data as u32);
                return;
            }
            _ => {}
        }
    }
    if as_field {
        ctx.push("attr={");
    }
    let _ = write!(ctx.out, "id={id}");
    if pad != 0 {
        let _ = write!(ctx.out, ", padding={pad:#x}");
    }
    ctx.push(", data=");
    ctx.hex_value(data);
    if as_field {
        ctx.push("}");
    }
}

/// `struct gpio_v2_line_config`: flags, the attributes in use, padding when not zero.
fn line_config(ctx: &mut Ctx<'_>, b: &[u8]) {
    ctx.push("{flags=");
    ctx.flags(V2_LINE_FLAGS, u64_at(b, 0), "GPIO_V2_LINE_FLAG_???");
    let n = u32_at(b, 8);
    let _ = write!(ctx.out, ", num_attrs={n}");
    nonzero_u32s(ctx, "padding", b, 12, 5);
    if n != 0 {
        ctx.push(", attrs=[");
        for i in 0..(n as usize).min(10) {
            if i > 0 {
                ctx.push(", ");
            }
            let a = &b[32 + 24 * i..56 + 24 * i];
            ctx.push("{");
            line_attribute(ctx, &a[..16], true);
            ctx.push(", mask=");
            ctx.hex_value(u64_at(a, 16));
            ctx.push("}");
        }
        ctx.push("]");
    }
    ctx.push("}");
}
