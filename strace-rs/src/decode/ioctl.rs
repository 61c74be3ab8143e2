//! Per-family `ioctl` argument decoders (the request names live in `xlat::IOCTLS`).
//!
//! `enter` prints the third argument at entry (or part of it) and says whether the
//! decoder wants the exit; `exit` completes it when the call succeeded. Layouts and
//! constants are the kernel's uapi headers (`linux/fiemap.h`, `linux/fs.h`).

use std::fmt::Write as _;

use super::{Ctx, Step};
use crate::text;

/// `FS_IOC_FIEMAP`: `_IOWR('f', 11, struct fiemap)`.
pub const FS_IOC_FIEMAP: u64 = 0xc020_660b;

/// `COUNTER_ADD_WATCH_IOCTL`: `_IOW(0x3E, 0x00, struct counter_watch)` (`linux/counter.h`).
const COUNTER_ADD_WATCH_IOCTL: u64 = 0x4006_3e00;
/// `COUNTER_ENABLE_EVENTS_IOCTL`: `_IO(0x3E, 0x01)`.
const COUNTER_ENABLE_EVENTS_IOCTL: u64 = 0x3e01;
/// `COUNTER_DISABLE_EVENTS_IOCTL`: `_IO(0x3E, 0x02)`.
const COUNTER_DISABLE_EVENTS_IOCTL: u64 = 0x3e02;

const COUNTER_COMPONENT_TYPES: text::Xlat = &[
    (0, "COUNTER_COMPONENT_NONE"),
    (1, "COUNTER_COMPONENT_SIGNAL"),
    (2, "COUNTER_COMPONENT_COUNT"),
    (3, "COUNTER_COMPONENT_FUNCTION"),
    (4, "COUNTER_COMPONENT_SYNAPSE_ACTION"),
    (5, "COUNTER_COMPONENT_EXTENSION"),
];

const COUNTER_SCOPES: text::Xlat = &[
    (0, "COUNTER_SCOPE_DEVICE"),
    (1, "COUNTER_SCOPE_SIGNAL"),
    (2, "COUNTER_SCOPE_COUNT"),
];

const COUNTER_EVENTS: text::Xlat = &[
    (0, "COUNTER_EVENT_OVERFLOW"),
    (1, "COUNTER_EVENT_UNDERFLOW"),
    (2, "COUNTER_EVENT_OVERFLOW_UNDERFLOW"),
    (3, "COUNTER_EVENT_THRESHOLD"),
    (4, "COUNTER_EVENT_INDEX"),
    (5, "COUNTER_EVENT_CHANGE_OF_STATE"),
    (6, "COUNTER_EVENT_CAPTURE"),
];

const FIEMAP_FLAGS: text::Xlat = &[
    (0x1, "FIEMAP_FLAG_SYNC"),
    (0x2, "FIEMAP_FLAG_XATTR"),
    (0x4, "FIEMAP_FLAG_CACHE"),
];

const FIEMAP_EXTENT_FLAGS: text::Xlat = &[
    (0x1, "FIEMAP_EXTENT_LAST"),
    (0x2, "FIEMAP_EXTENT_UNKNOWN"),
    (0x4, "FIEMAP_EXTENT_DELALLOC"),
    (0x8, "FIEMAP_EXTENT_ENCODED"),
    (0x80, "FIEMAP_EXTENT_DATA_ENCRYPTED"),
    (0x100, "FIEMAP_EXTENT_NOT_ALIGNED"),
    (0x200, "FIEMAP_EXTENT_DATA_INLINE"),
    (0x400, "FIEMAP_EXTENT_DATA_TAIL"),
    (0x800, "FIEMAP_EXTENT_UNWRITTEN"),
    (0x1000, "FIEMAP_EXTENT_MERGED"),
    (0x2000, "FIEMAP_EXTENT_SHARED"),
];

/// Whether this module decodes `req`'s argument.
pub fn handles(req: u64) -> bool {
    matches!(
        req,
        FS_IOC_FIEMAP
            | COUNTER_ADD_WATCH_IOCTL
            | COUNTER_ENABLE_EVENTS_IOCTL
            | COUNTER_DISABLE_EVENTS_IOCTL
    )
}

/// `req`'s argument at entry (`handles(req)`), with its leading comma (none for requests
/// without an argument); `Step::Exit` when `exit` has more to print.
pub fn enter(ctx: &mut Ctx<'_>, req: u64) -> Step {
    if matches!(
        req,
        COUNTER_ENABLE_EVENTS_IOCTL | COUNTER_DISABLE_EVENTS_IOCTL
    ) {
        return Step::Decoded;
    }
    ctx.comma();
    match req {
        FS_IOC_FIEMAP => fiemap_enter(ctx),
        COUNTER_ADD_WATCH_IOCTL => {
            counter_watch(ctx);
            Step::Decoded
        }
        _ => {
            ctx.hex(2);
            Step::Decoded
        }
    }
}

/// The rest of `req`'s argument after a successful call.
pub fn exit(ctx: &mut Ctx<'_>, req: u64) {
    if req == FS_IOC_FIEMAP {
        fiemap_exit(ctx);
    }
}

fn u64_at(b: &[u8], o: usize) -> u64 {
    u64::from_ne_bytes(b[o..o + 8].try_into().expect("8 bytes"))
}

fn u32_at(b: &[u8], o: usize) -> u64 {
    u64::from(u32::from_ne_bytes(b[o..o + 4].try_into().expect("4 bytes")))
}

/// `struct fiemap`'s fixed part: the 32 bytes before `fm_extents`.
const FIEMAP_SIZE: usize = 32;
/// `struct fiemap_extent`.
const EXTENT_SIZE: usize = 56;

fn fiemap_enter(ctx: &mut Ctx<'_>) -> Step {
    let addr = ctx.arg(2);
    let Some(b) = ctx.read_bytes(addr, FIEMAP_SIZE).filter(|_| addr != 0) else {
        ctx.addr(addr);
        return Step::Decoded;
    };
    let _ = write!(
        ctx.out,
        "{{fm_start={}, fm_length={}, fm_flags=",
        u64_at(&b, 0),
        u64_at(&b, 8)
    );
    ctx.flags(FIEMAP_FLAGS, u32_at(&b, 16), "FIEMAP_FLAG_???");
    let _ = write!(ctx.out, ", fm_extent_count={}}}", u32_at(&b, 24));
    Step::Exit
}

fn fiemap_exit(ctx: &mut Ctx<'_>) {
    let addr = ctx.arg(2);
    let Some(b) = ctx.read_bytes(addr, FIEMAP_SIZE) else {
        return;
    };
    ctx.push(" => {fm_flags=");
    ctx.flags(FIEMAP_FLAGS, u32_at(&b, 16), "FIEMAP_FLAG_???");
    let mapped = u32_at(&b, 20);
    let _ = write!(ctx.out, ", fm_mapped_extents={mapped}, ");
    if !ctx.opts.verbose {
        ctx.push("...}");
        return;
    }
    ctx.push("fm_extents=");
    let first = addr + FIEMAP_SIZE as u64;
    if mapped == 0 {
        ctx.push("[]}");
        return;
    }
    let max = ctx.opts.max_strlen as u64;
    let mut shown = 0;
    while shown < mapped {
        let at = first + shown * EXTENT_SIZE as u64;
        let Some(e) = ctx.read_bytes(at, EXTENT_SIZE) else {
            if shown == 0 {
                ctx.addr(first);
            } else {
                let _ = write!(ctx.out, ", ... /* {at:#x} */]");
            }
            ctx.push("}");
            return;
        };
        ctx.push(if shown == 0 { "[" } else { ", " });
        if shown == max {
            ctx.push("...");
            break;
        }
        let _ = write!(
            ctx.out,
            "{{fe_logical={}, fe_physical={}, fe_length={}, fe_flags=",
            u64_at(&e, 0),
            u64_at(&e, 8),
            u64_at(&e, 16)
        );
        ctx.flags(FIEMAP_EXTENT_FLAGS, u32_at(&e, 40), "FIEMAP_EXTENT_???");
        ctx.push("}");
        shown += 1;
    }
    ctx.push("]}");
}

/// `struct counter_watch`: a `struct counter_component` (four `__u8`), `event`, `channel`.
fn counter_watch(ctx: &mut Ctx<'_>) {
    let addr = ctx.arg(2);
    let Some(b) = ctx.read::<[u8; 6]>(addr) else {
        ctx.addr(addr);
        return;
    };
    ctx.push("{component={type=");
    ctx.xval(
        COUNTER_COMPONENT_TYPES,
        b[0].into(),
        "COUNTER_COMPONENT_???",
    );
    ctx.push(", scope=");
    ctx.xval(COUNTER_SCOPES, b[1].into(), "COUNTER_SCOPE_???");
    let _ = write!(ctx.out, ", parent={}, id={}}}, event=", b[2], b[3]);
    ctx.xval(COUNTER_EVENTS, b[4].into(), "COUNTER_EVENT_???");
    let _ = write!(ctx.out, ", channel={}}}", b[5]);
}
