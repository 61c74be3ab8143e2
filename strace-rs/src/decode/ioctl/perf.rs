//! perf event requests (`linux/perf_event.h`, type `'$'`, strace's `perf_ioctl.c`) and the
//! `struct perf_event_attr` printer they share with `perf_event_open` (strace's `perf.c`).

use std::fmt::Write as _;

use super::fields::{fetch, str0, u32_at, u64_at};
use super::xlat as x;
use super::Family;
use crate::decode::{Ctx, Step};
use crate::text::Hx;

pub(super) const FAMILY: Family = Family {
    handles: |req| {
        (ENABLE..=RESET).contains(&req)
            || matches!(
                req,
                PERIOD
                    | SET_OUTPUT
                    | SET_FILTER
                    | ID
                    | SET_BPF
                    | PAUSE_OUTPUT
                    | QUERY_BPF
                    | MODIFY_ATTRIBUTES
            )
    },
    enter,
    exit,
};

const ENABLE: u64 = 0x2400;
const DISABLE: u64 = 0x2401;
const REFRESH: u64 = 0x2402;
const RESET: u64 = 0x2403;
const PERIOD: u64 = 0x4008_2404;
const SET_OUTPUT: u64 = 0x2405;
const SET_FILTER: u64 = 0x4008_2406;
const ID: u64 = 0x8008_2407;
const SET_BPF: u64 = 0x4004_2408;
const PAUSE_OUTPUT: u64 = 0x4004_2409;
const QUERY_BPF: u64 = 0xc008_240a;
const MODIFY_ATTRIBUTES: u64 = 0x4008_240b;

/// The page size strace limits a filter string to.
const PAGE_SIZE: u64 = 4096;

fn enter(ctx: &mut Ctx<'_>, req: u64) -> Step {
    ctx.comma();
    let arg = ctx.arg(2);
    match req {
        // printflags takes an unsigned int.
        ENABLE | DISABLE | RESET => {
            ctx.flags(x::PERF_IOCTL_FLAGS, arg & 0xffff_ffff, "PERF_IOC_FLAG_???")
        }
        REFRESH => {
            let _ = write!(ctx.out, "{}", arg as i32);
        }
        PERIOD => ctx.num_ptr::<u64>(arg),
        SET_OUTPUT | SET_BPF => ctx.fd_val(arg as i32),
        PAUSE_OUTPUT => {
            let _ = write!(ctx.out, "{arg}");
        }
        SET_FILTER => {
            str0(ctx, arg, PAGE_SIZE);
        }
        ID => return Step::Exit,
        QUERY_BPF => {
            if let Some(b) = fetch(ctx, 4) {
                let _ = write!(ctx.out, "{{ids_len={}, ", u32_at(&b, 0));
                return Step::Exit;
            }
        }
        _ => attr(ctx, arg),
    }
    Step::Decoded
}

fn exit(ctx: &mut Ctx<'_>, req: u64) {
    let arg = ctx.arg(2);
    if req == ID {
        if ctx.error {
            ctx.addr(arg);
        } else {
            ctx.num_ptr::<u64>(arg);
        }
        return;
    }
    // QUERY_BPF: the programs the kernel reported.
    let count = (!ctx.error).then(|| ctx.read::<u32>(arg + 4)).flatten();
    let Some(count) = count else {
        ctx.push("...}");
        return;
    };
    let _ = write!(ctx.out, "prog_cnt={count}, ids=");
    ctx.array(arg + 8, count.into(), 4, &mut |c, e| {
        let _ = write!(c.out, "{}", u32_at(e, 0));
    });
    ctx.push("}");
}

/// `PERF_ATTR_SIZE_VER0`: the first published size of `struct perf_event_attr`.
const SIZE_VER0: u32 = 64;
/// `sizeof(struct perf_event_attr)` as strace knows it.
const ATTR_SIZE: u32 = 128;
/// `offsetof(struct perf_event_attr, wakeup_events)`: what is read without `-v`.
const ABBREV_SIZE: u32 = 48;

const PERF_TYPE_HARDWARE: u32 = 0;
const PERF_TYPE_SOFTWARE: u32 = 1;
const PERF_TYPE_TRACEPOINT: u32 = 2;
const PERF_TYPE_HW_CACHE: u32 = 3;
const PERF_TYPE_BREAKPOINT: u32 = 5;
const PERF_SAMPLE_BRANCH_STACK: u64 = 1 << 11;
const PERF_SAMPLE_STACK_USER: u64 = 1 << 13;

/// The one-bit flags of the bit field at offset 40, by bit (`precise_ip` is bits 15-16).
const FLAG_BITS: &[(u32, &str)] = &[
    (0, "disabled"),
    (1, "inherit"),
    (2, "pinned"),
    (3, "exclusive"),
    (4, "exclude_user"),
    (5, "exclude_kernel"),
    (6, "exclude_hv"),
    (7, "exclude_idle"),
    (8, "mmap"),
    (9, "comm"),
    (10, "freq"),
    (11, "inherit_stat"),
    (12, "enable_on_exec"),
    (13, "task"),
    (14, "watermark"),
];
const FLAG_BITS_AFTER_PRECISE_IP: &[(u32, &str)] = &[
    (17, "mmap_data"),
    (18, "sample_id_all"),
    (19, "exclude_host"),
    (20, "exclude_guest"),
    (21, "exclude_callchain_kernel"),
    (22, "exclude_callchain_user"),
    (23, "mmap2"),
    (24, "comm_exec"),
    (25, "use_clockid"),
    (26, "context_switch"),
    (27, "write_backward"),
    (28, "namespaces"),
    (29, "ksymbol"),
    (30, "bpf_event"),
    (31, "aux_output"),
    (32, "cgroup"),
    (33, "text_poke"),
    (34, "build_id"),
    (35, "inherit_thread"),
    (36, "remove_on_exec"),
    (37, "sigtrap"),
];

const PRECISE_IP: [&str; 4] = [
    "arbitrary skid",
    "constant skid",
    "requested to have 0 skid",
    "must have 0 skid",
];

/// A `struct perf_event_attr` at `addr` (strace's `fetch_perf_event_attr` and
/// `print_perf_event_attr`): as much as its `size` says, without `-v` up to the flags.
pub(crate) fn attr(ctx: &mut Ctx<'_>, addr: u64) {
    let Some(declared) = ctx.read::<u32>(addr + 4) else {
        ctx.addr(addr);
        return;
    };
    let mut size = declared.min(ATTR_SIZE);
    if size == 0 {
        size = SIZE_VER0;
    }
    if size < SIZE_VER0 {
        ctx.addr(addr);
        return;
    }
    if !ctx.opts.verbose {
        size = ABBREV_SIZE;
    }
    let b = if ctx.opts.deref {
        ctx.read_bytes(addr, size as usize)
    } else {
        None
    };
    let Some(mut b) = b else {
        ctx.addr(addr);
        return;
    };
    b.resize(ATTR_SIZE as usize, 0);
    print_attr(ctx, &b, size);
    if (declared != 0 && declared > size) || (declared == 0 && size < SIZE_VER0) {
        ctx.push(", ...");
    }
    ctx.push("}");
}

/// The fields of `b` (zero past `size`), without the closing brace.
fn print_attr(ctx: &mut Ctx<'_>, b: &[u8], size: u32) {
    let u = |o| u64_at(b, o);
    let ty = u32_at(b, 0);
    let config = u(8);
    let flags = u(40);
    let bit = |n: u32| (flags >> n) & 1;
    ctx.push("{type=");
    ctx.xval(x::PERF_TYPE_ID, ty.into(), "PERF_TYPE_???");
    ctx.push(", size=");
    ctx.xval(x::PERF_ATTR_SIZE, u32_at(b, 4).into(), "PERF_ATTR_SIZE_???");
    ctx.push(", config=");
    let pmu = |ctx: &mut Ctx<'_>| {
        if config >> 32 != 0 {
            ctx.hex_value(config >> 32);
            ctx.push("<<32|");
        }
    };
    match ty {
        PERF_TYPE_HARDWARE => {
            pmu(ctx);
            ctx.xval(x::PERF_HW_ID, config & 0xffff_ffff, "PERF_COUNT_HW_???");
        }
        PERF_TYPE_SOFTWARE => ctx.xval(x::PERF_SW_IDS, config, "PERF_COUNT_SW_???"),
        PERF_TYPE_TRACEPOINT => {
            let _ = write!(ctx.out, "{config}");
        }
        PERF_TYPE_HW_CACHE => {
            pmu(ctx);
            if (config & 0xffff_ffff) >> 24 != 0 {
                ctx.hex_value((config & 0xffff_ffff) >> 24);
                ctx.push("<<24|");
            }
            ctx.xval(
                x::PERF_HW_CACHE_OP_RESULT_ID,
                (config >> 16) & 0xff,
                "PERF_COUNT_HW_CACHE_RESULT_???",
            );
            ctx.push("<<16|");
            ctx.xval(
                x::PERF_HW_CACHE_OP_ID,
                (config >> 8) & 0xff,
                "PERF_COUNT_HW_CACHE_OP_???",
            );
            ctx.push("<<8|");
            ctx.xval(
                x::PERF_HW_CACHE_ID,
                config & 0xff,
                "PERF_COUNT_HW_CACHE_???",
            );
        }
        _ => ctx.hex_value(config),
    }
    let period = if bit(10) != 0 {
        "sample_freq"
    } else {
        "sample_period"
    };
    let _ = write!(ctx.out, ", {period}={}, sample_type=", u(16));
    ctx.flags(x::PERF_EVENT_SAMPLE_FORMAT, u(24), "PERF_SAMPLE_???");
    ctx.push(", read_format=");
    ctx.flags(x::PERF_EVENT_READ_FORMAT, u(32), "PERF_FORMAT_???");
    let verbose = ctx.opts.verbose;
    let flag = |ctx: &mut Ctx<'_>, n: u32, name: &str| {
        if verbose || bit(n) != 0 {
            let _ = write!(ctx.out, ", {name}={}", bit(n));
        }
    };
    for &(n, name) in FLAG_BITS {
        flag(ctx, n, name);
    }
    let precise = (flags >> 15) & 3;
    let _ = write!(
        ctx.out,
        ", precise_ip={precise} /* {} */",
        PRECISE_IP[precise as usize]
    );
    for &(n, name) in FLAG_BITS_AFTER_PRECISE_IP {
        flag(ctx, n, name);
    }
    let reserved_1 = flags >> 38;
    if reserved_1 != 0 {
        let _ = write!(ctx.out, ", __reserved_1={reserved_1:#x} /* Bits 63..38 */");
    }
    if !verbose {
        return;
    }
    let watermark = if bit(14) != 0 {
        "wakeup_watermark"
    } else {
        "wakeup_events"
    };
    let _ = write!(ctx.out, ", {watermark}={}", u32_at(b, 48));
    let breakpoint = ty == PERF_TYPE_BREAKPOINT;
    if breakpoint {
        let bp_type = u32_at(b, 52);
        ctx.push(", bp_type=");
        let dflt = if bp_type <= 7 {
            "HW_BREAKPOINT_INVALID"
        } else {
            "HW_BREAKPOINT_???"
        };
        ctx.xval(x::HW_BREAKPOINT_TYPE, bp_type.into(), dflt);
        let _ = write!(ctx.out, ", bp_addr={}", Hx(u(56)));
    } else {
        let _ = write!(ctx.out, ", config1={}", Hx(u(56)));
    }
    // The optional fields, each printed only when `size` covers its offset.
    let has = |o: u32| o < size;
    if !has(64) {
        return;
    }
    if breakpoint {
        let _ = write!(ctx.out, ", bp_len={}", u(64));
    } else {
        let _ = write!(ctx.out, ", config2={}", Hx(u(64)));
    }
    if !has(72) {
        return;
    }
    if u(24) & PERF_SAMPLE_BRANCH_STACK != 0 {
        ctx.push(", branch_sample_type=");
        ctx.flags(x::PERF_BRANCH_SAMPLE_TYPE, u(72), "PERF_SAMPLE_BRANCH_???");
    }
    if !has(80) {
        return;
    }
    let _ = write!(ctx.out, ", sample_regs_user={}", Hx(u(80)));
    if !has(88) {
        return;
    }
    if u(24) & PERF_SAMPLE_STACK_USER != 0 {
        let _ = write!(ctx.out, ", sample_stack_user={}", Hx(u32_at(b, 88).into()));
    }
    if bit(25) != 0 {
        if !has(92) {
            return;
        }
        ctx.push(", clockid=");
        ctx.xval(crate::xlat::CLOCKS, u32_at(b, 92).into(), "CLOCK_???");
    }
    if !has(96) {
        return;
    }
    let _ = write!(ctx.out, ", sample_regs_intr={}", Hx(u(96)));
    if !has(104) {
        return;
    }
    let _ = write!(ctx.out, ", aux_watermark={}", u32_at(b, 104));
    if !has(108) {
        return;
    }
    let _ = write!(
        ctx.out,
        ", sample_max_stack={}",
        u16::from_ne_bytes([b[108], b[109]])
    );
    if !has(110) {
        return;
    }
    let reserved_2 = u16::from_ne_bytes([b[110], b[111]]);
    if reserved_2 != 0 {
        let _ = write!(ctx.out, " /* bytes 110..111: {reserved_2:#x} */");
    }
    if !has(112) {
        return;
    }
    let _ = write!(ctx.out, ", aux_sample_size={}", u32_at(b, 112));
    if !has(116) {
        return;
    }
    let reserved_3 = u32_at(b, 116);
    if reserved_3 != 0 {
        let _ = write!(ctx.out, " /* bytes 116..119: {reserved_3:#x} */");
    }
    if !has(120) {
        return;
    }
    let _ = write!(ctx.out, ", sig_data={}", Hx(u(120)));
}
