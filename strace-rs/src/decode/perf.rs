//! `perf_event_open(attr, pid, cpu, group_fd, flags)` as strace's `perf.c` prints it: the
//! `struct perf_event_attr` is read at entry (the kernel may write its `size` back, which
//! shows as `size=0x88 => 0x80` after `E2BIG`) and printed at exit; abbreviated (without
//! `-v`) it stops after the bit flags, showing only the flags that are set.

use std::fmt::Write as _;

use super::perf_xlat as px;
use super::Decoder::Func;
use super::{Ctx, Decoder, Step};
use crate::text;

pub fn decoder(name: &str) -> Option<Decoder> {
    Some(match name {
        "perf_event_open" => Func(perf_event_open),
        _ => return None,
    })
}

/// `sizeof(struct perf_event_attr)` as strace 6.1 knows it.
const ATTR_SIZE: u32 = 128;
const PERF_ATTR_SIZE_VER0: u32 = 64;
/// `offsetof(struct perf_event_attr, wakeup_events)`: what is read when abbreviated.
const ABBREV_SIZE: u32 = 48;
const E2BIG: i64 = 7;

fn perf_event_open(ctx: &mut Ctx<'_>) -> Step {
    if !ctx.exiting {
        match fetch_attr(ctx, ctx.arg(0)) {
            Some(b) => {
                ctx.stash_bytes = b;
                return Step::Exit;
            }
            None => ctx.addr(ctx.arg(0)),
        }
    } else {
        let attr = std::mem::take(&mut ctx.stash_bytes);
        if attr.len() == ATTR_SIZE as usize + 4 {
            print_attr(ctx, ctx.arg(0), &attr);
        } else {
            // Not read at entry (no entry seen): the address, as when it is unreadable.
            ctx.addr(ctx.arg(0));
        }
    }
    let _ = write!(ctx.out, ", {}, {}, ", ctx.arg(1) as i32, ctx.arg(2) as i32);
    ctx.fd(3);
    ctx.comma();
    ctx.flags(px::PERF_EVENT_OPEN_FLAGS, ctx.arg(4), "PERF_FLAG_???");
    Step::Decoded
}

/// The attributes at `addr` as far as strace reads them (strace's `fetch_perf_event_attr`),
/// zero-padded to the whole structure; `None` when they cannot be read or their size is
/// below the first published one.
fn fetch_attr(ctx: &Ctx<'_>, addr: u64) -> Option<Vec<u8>> {
    // `-e verbose=none`: structures are their addresses.
    if !ctx.opts.structs {
        return None;
    }
    let size = ctx.read::<u32>(addr.checked_add(4)?)?;
    let mut size = size.min(ATTR_SIZE);
    if size == 0 {
        size = PERF_ATTR_SIZE_VER0;
    }
    if size < PERF_ATTR_SIZE_VER0 {
        return None;
    }
    if !ctx.opts.verbose {
        size = ABBREV_SIZE;
    }
    let mut b = ctx.read_bytes(addr, size as usize).filter(|_| addr != 0)?;
    // The size read, kept after the structure.
    b.resize(ATTR_SIZE as usize, 0);
    b.extend_from_slice(&size.to_ne_bytes());
    Some(b)
}

/// A `struct perf_event_attr` read and printed at once (`PERF_EVENT_IOC_MODIFY_ATTRIBUTES`).
pub(super) fn attr_at(ctx: &mut Ctx<'_>, addr: u64) {
    match fetch_attr(ctx, addr) {
        Some(b) => print_attr(ctx, addr, &b),
        None => ctx.addr(addr),
    }
}

fn u32_at(b: &[u8], o: usize) -> u32 {
    u32::from_ne_bytes(b[o..o + 4].try_into().unwrap())
}

fn u64_at(b: &[u8], o: usize) -> u64 {
    u64::from_ne_bytes(b[o..o + 8].try_into().unwrap())
}

/// The bit flags of the word at offset 40, after `precise_ip` (bits 15-16).
const FLAGS_LOW: [&str; 15] = [
    "disabled",
    "inherit",
    "pinned",
    "exclusive",
    "exclude_user",
    "exclude_kernel",
    "exclude_hv",
    "exclude_idle",
    "mmap",
    "comm",
    "freq",
    "inherit_stat",
    "enable_on_exec",
    "task",
    "watermark",
];
const FLAGS_HIGH: [&str; 21] = [
    "mmap_data",
    "sample_id_all",
    "exclude_host",
    "exclude_guest",
    "exclude_callchain_kernel",
    "exclude_callchain_user",
    "mmap2",
    "comm_exec",
    "use_clockid",
    "context_switch",
    "write_backward",
    "namespaces",
    "ksymbol",
    "bpf_event",
    "aux_output",
    "cgroup",
    "text_poke",
    "build_id",
    "inherit_thread",
    "remove_on_exec",
    "sigtrap",
];
const PRECISE_IP: [&str; 4] = [
    "arbitrary skid",
    "constant skid",
    "requested to have 0 skid",
    "must have 0 skid",
];

const PERF_SAMPLE_BRANCH_STACK: u64 = 1 << 11;
const PERF_SAMPLE_STACK_USER: u64 = 1 << 13;

/// strace's `print_perf_event_attr` of what [`fetch_attr`] read.
fn print_attr(ctx: &mut Ctx<'_>, addr: u64, b: &[u8]) {
    let size = u32_at(b, ATTR_SIZE as usize);
    let verbose = ctx.opts.verbose;
    let typ = u32_at(b, 0);
    let attr_size = u32_at(b, 4);
    ctx.push("{type=");
    ctx.xval(px::PERF_TYPE_ID, u64::from(typ), "PERF_TYPE_???");
    ctx.push(", size=");
    ctx.xval(
        px::PERF_ATTR_SIZE,
        u64::from(attr_size),
        "PERF_ATTR_SIZE_???",
    );
    if ctx.error && -ctx.rval == E2BIG {
        ctx.push(" => ");
        match ctx.read::<u32>(addr + 4) {
            Some(n) => ctx.xval(px::PERF_ATTR_SIZE, u64::from(n), "PERF_ATTR_SIZE_???"),
            None => ctx.push("???"),
        }
    }
    let config = u64_at(b, 8);
    ctx.push(", config=");
    let high = |ctx: &mut Ctx<'_>, v: u64, shift: u32| {
        let _ = write!(ctx.out, "{}<<{shift}|", text::Hx(v));
    };
    match typ {
        // PERF_TYPE_HARDWARE
        0 => {
            if config >> 32 != 0 {
                high(ctx, config >> 32, 32);
            }
            ctx.xval(px::PERF_HW_ID, config & 0xffff_ffff, "PERF_COUNT_HW_???");
        }
        // PERF_TYPE_SOFTWARE
        1 => ctx.xval(px::PERF_SW_IDS, config, "PERF_COUNT_SW_???"),
        // PERF_TYPE_TRACEPOINT
        2 => {
            let _ = write!(ctx.out, "{config}");
        }
        // PERF_TYPE_HW_CACHE
        3 => {
            if config >> 32 != 0 {
                high(ctx, config >> 32, 32);
            }
            if (config & 0xffff_ffff) >> 24 != 0 {
                high(ctx, (config & 0xffff_ffff) >> 24, 24);
            }
            ctx.xval(
                px::PERF_HW_CACHE_OP_RESULT_ID,
                (config >> 16) & 0xff,
                "PERF_COUNT_HW_CACHE_RESULT_???",
            );
            ctx.push("<<16|");
            ctx.xval(
                px::PERF_HW_CACHE_OP_ID,
                (config >> 8) & 0xff,
                "PERF_COUNT_HW_CACHE_OP_???",
            );
            ctx.push("<<8|");
            ctx.xval(
                px::PERF_HW_CACHE_ID,
                config & 0xff,
                "PERF_COUNT_HW_CACHE_???",
            );
        }
        _ => ctx.hex_value(config),
    }
    let flags = u64_at(b, 40);
    let bit = |n: u32| (flags >> n) & 1;
    let freq = bit(10) != 0;
    let _ = write!(
        ctx.out,
        ", {}={}",
        if freq { "sample_freq" } else { "sample_period" },
        u64_at(b, 16)
    );
    let sample_type = u64_at(b, 24);
    ctx.push(", sample_type=");
    ctx.flags(px::PERF_EVENT_SAMPLE_FORMAT, sample_type, "PERF_SAMPLE_???");
    ctx.push(", read_format=");
    ctx.flags(px::PERF_EVENT_READ_FORMAT, u64_at(b, 32), "PERF_FORMAT_???");
    let flag = |ctx: &mut Ctx<'_>, name: &str, v: u64| {
        if verbose || v != 0 {
            let _ = write!(ctx.out, ", {name}={v}");
        }
    };
    for (i, name) in FLAGS_LOW.iter().enumerate() {
        flag(ctx, name, bit(i as u32));
    }
    let precise = (flags >> 15) & 3;
    let _ = write!(
        ctx.out,
        ", precise_ip={precise} /* {} */",
        PRECISE_IP[precise as usize]
    );
    for (i, name) in FLAGS_HIGH.iter().enumerate() {
        flag(ctx, name, bit(17 + i as u32));
    }
    let reserved_1 = flags >> 38;
    if reserved_1 != 0 {
        let _ = write!(
            ctx.out,
            ", __reserved_1={} /* Bits 63..38 */",
            text::Hx(reserved_1)
        );
    }
    if verbose {
        print_rest(ctx, b, size, typ, sample_type, flags);
    }
    if (attr_size != 0 && attr_size > size) || (attr_size == 0 && size < PERF_ATTR_SIZE_VER0) {
        ctx.push(", ...");
    }
    ctx.push("}");
}

/// The fields after the bit flags (`-v`), each only when `size` covers where it starts.
fn print_rest(ctx: &mut Ctx<'_>, b: &[u8], size: u32, typ: u32, sample_type: u64, flags: u64) {
    let breakpoint = typ == 5;
    let has = |off: u32| off < size;
    let _ = write!(
        ctx.out,
        ", {}={}",
        if flags >> 14 & 1 != 0 {
            "wakeup_watermark"
        } else {
            "wakeup_events"
        },
        u32_at(b, 48)
    );
    if breakpoint {
        let bp_type = u32_at(b, 52);
        ctx.push(", bp_type=");
        let dflt = if bp_type <= 7 {
            "HW_BREAKPOINT_INVALID"
        } else {
            "HW_BREAKPOINT_???"
        };
        ctx.xval(px::HW_BREAKPOINT_TYPE, u64::from(bp_type), dflt);
    }
    let _ = write!(
        ctx.out,
        ", {}={}",
        if breakpoint { "bp_addr" } else { "config1" },
        text::Hx(u64_at(b, 56))
    );
    if !has(64) {
        return;
    }
    if breakpoint {
        let _ = write!(ctx.out, ", bp_len={}", u64_at(b, 64));
    } else {
        let _ = write!(ctx.out, ", config2={}", text::Hx(u64_at(b, 64)));
    }
    if !has(72) {
        return;
    }
    if sample_type & PERF_SAMPLE_BRANCH_STACK != 0 {
        ctx.push(", branch_sample_type=");
        ctx.flags(
            px::PERF_BRANCH_SAMPLE_TYPE,
            u64_at(b, 72),
            "PERF_SAMPLE_BRANCH_???",
        );
    }
    if !has(80) {
        return;
    }
    let _ = write!(ctx.out, ", sample_regs_user={}", text::Hx(u64_at(b, 80)));
    if !has(88) {
        return;
    }
    if sample_type & PERF_SAMPLE_STACK_USER != 0 {
        let _ = write!(
            ctx.out,
            ", sample_stack_user={}",
            text::Hx(u64::from(u32_at(b, 88)))
        );
    }
    // use_clockid
    if flags >> 25 & 1 != 0 {
        if !has(92) {
            return;
        }
        ctx.push(", clockid=");
        ctx.xval(px::CLOCKNAMES, u64::from(u32_at(b, 92)), "CLOCK_???");
    }
    if !has(96) {
        return;
    }
    let _ = write!(ctx.out, ", sample_regs_intr={}", text::Hx(u64_at(b, 96)));
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
        let _ = write!(
            ctx.out,
            " /* bytes 110..111: {} */",
            text::Hx(u64::from(reserved_2))
        );
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
        let _ = write!(
            ctx.out,
            " /* bytes 116..119: {} */",
            text::Hx(u64::from(reserved_3))
        );
    }
    if !has(120) {
        return;
    }
    let _ = write!(ctx.out, ", sig_data={}", text::Hx(u64_at(b, 120)));
}
