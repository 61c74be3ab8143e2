//! `perf_event_open` and its `struct perf_event_attr`, as strace's `perf.c` prints them: the
//! structure is read at entry (its size decides how much), printed at exit so that the size
//! the kernel writes back on `E2BIG` shows as `size=... => ...`.

use std::fmt::Write as _;

use super::Decoder::Func;
use super::{Ctx, Decoder, Step};
use crate::text::{Hx, Xlat};
use crate::xlat;

pub fn decoder(name: &str) -> Option<Decoder> {
    Some(match name {
        "perf_event_open" => Func(perf_event_open),
        _ => return None,
    })
}

const TYPES: Xlat = &[
    (0, "PERF_TYPE_HARDWARE"),
    (1, "PERF_TYPE_SOFTWARE"),
    (2, "PERF_TYPE_TRACEPOINT"),
    (3, "PERF_TYPE_HW_CACHE"),
    (4, "PERF_TYPE_RAW"),
    (5, "PERF_TYPE_BREAKPOINT"),
];
const ATTR_SIZES: Xlat = &[
    (64, "PERF_ATTR_SIZE_VER0"),
    (72, "PERF_ATTR_SIZE_VER1"),
    (80, "PERF_ATTR_SIZE_VER2"),
    (96, "PERF_ATTR_SIZE_VER3"),
    (104, "PERF_ATTR_SIZE_VER4"),
    (112, "PERF_ATTR_SIZE_VER5"),
    (120, "PERF_ATTR_SIZE_VER6"),
    (128, "PERF_ATTR_SIZE_VER7"),
];
const HW_IDS: Xlat = &[
    (0, "PERF_COUNT_HW_CPU_CYCLES"),
    (1, "PERF_COUNT_HW_INSTRUCTIONS"),
    (2, "PERF_COUNT_HW_CACHE_REFERENCES"),
    (3, "PERF_COUNT_HW_CACHE_MISSES"),
    (4, "PERF_COUNT_HW_BRANCH_INSTRUCTIONS"),
    (5, "PERF_COUNT_HW_BRANCH_MISSES"),
    (6, "PERF_COUNT_HW_BUS_CYCLES"),
    (7, "PERF_COUNT_HW_STALLED_CYCLES_FRONTEND"),
    (8, "PERF_COUNT_HW_STALLED_CYCLES_BACKEND"),
    (9, "PERF_COUNT_HW_REF_CPU_CYCLES"),
];
const SW_IDS: Xlat = &[
    (0, "PERF_COUNT_SW_CPU_CLOCK"),
    (1, "PERF_COUNT_SW_TASK_CLOCK"),
    (2, "PERF_COUNT_SW_PAGE_FAULTS"),
    (3, "PERF_COUNT_SW_CONTEXT_SWITCHES"),
    (4, "PERF_COUNT_SW_CPU_MIGRATIONS"),
    (5, "PERF_COUNT_SW_PAGE_FAULTS_MIN"),
    (6, "PERF_COUNT_SW_PAGE_FAULTS_MAJ"),
    (7, "PERF_COUNT_SW_ALIGNMENT_FAULTS"),
    (8, "PERF_COUNT_SW_EMULATION_FAULTS"),
    (9, "PERF_COUNT_SW_DUMMY"),
    (10, "PERF_COUNT_SW_BPF_OUTPUT"),
    (11, "PERF_COUNT_SW_CGROUP_SWITCHES"),
];
const CACHE_IDS: Xlat = &[
    (0, "PERF_COUNT_HW_CACHE_L1D"),
    (1, "PERF_COUNT_HW_CACHE_L1I"),
    (2, "PERF_COUNT_HW_CACHE_LL"),
    (3, "PERF_COUNT_HW_CACHE_DTLB"),
    (4, "PERF_COUNT_HW_CACHE_ITLB"),
    (5, "PERF_COUNT_HW_CACHE_BPU"),
    (6, "PERF_COUNT_HW_CACHE_NODE"),
];
const CACHE_OPS: Xlat = &[
    (0, "PERF_COUNT_HW_CACHE_OP_READ"),
    (1, "PERF_COUNT_HW_CACHE_OP_WRITE"),
    (2, "PERF_COUNT_HW_CACHE_OP_PREFETCH"),
];
const CACHE_RESULTS: Xlat = &[
    (0, "PERF_COUNT_HW_CACHE_RESULT_ACCESS"),
    (1, "PERF_COUNT_HW_CACHE_RESULT_MISS"),
];
const SAMPLE_FORMAT: Xlat = &[
    (1 << 0, "PERF_SAMPLE_IP"),
    (1 << 1, "PERF_SAMPLE_TID"),
    (1 << 2, "PERF_SAMPLE_TIME"),
    (1 << 3, "PERF_SAMPLE_ADDR"),
    (1 << 4, "PERF_SAMPLE_READ"),
    (1 << 5, "PERF_SAMPLE_CALLCHAIN"),
    (1 << 6, "PERF_SAMPLE_ID"),
    (1 << 7, "PERF_SAMPLE_CPU"),
    (1 << 8, "PERF_SAMPLE_PERIOD"),
    (1 << 9, "PERF_SAMPLE_STREAM_ID"),
    (1 << 10, "PERF_SAMPLE_RAW"),
    (1 << 11, "PERF_SAMPLE_BRANCH_STACK"),
    (1 << 12, "PERF_SAMPLE_REGS_USER"),
    (1 << 13, "PERF_SAMPLE_STACK_USER"),
    (1 << 14, "PERF_SAMPLE_WEIGHT"),
    (1 << 15, "PERF_SAMPLE_DATA_SRC"),
    (1 << 16, "PERF_SAMPLE_IDENTIFIER"),
    (1 << 17, "PERF_SAMPLE_TRANSACTION"),
    (1 << 18, "PERF_SAMPLE_REGS_INTR"),
    (1 << 19, "PERF_SAMPLE_PHYS_ADDR"),
    (1 << 20, "PERF_SAMPLE_AUX"),
    (1 << 21, "PERF_SAMPLE_CGROUP"),
    (1 << 22, "PERF_SAMPLE_DATA_PAGE_SIZE"),
    (1 << 23, "PERF_SAMPLE_CODE_PAGE_SIZE"),
    (1 << 24, "PERF_SAMPLE_WEIGHT_STRUCT"),
];
const READ_FORMAT: Xlat = &[
    (1 << 0, "PERF_FORMAT_TOTAL_TIME_ENABLED"),
    (1 << 1, "PERF_FORMAT_TOTAL_TIME_RUNNING"),
    (1 << 2, "PERF_FORMAT_ID"),
    (1 << 3, "PERF_FORMAT_GROUP"),
    (1 << 4, "PERF_FORMAT_LOST"),
];
const BRANCH_SAMPLE: Xlat = &[
    (1 << 0, "PERF_SAMPLE_BRANCH_USER"),
    (1 << 1, "PERF_SAMPLE_BRANCH_KERNEL"),
    (1 << 2, "PERF_SAMPLE_BRANCH_HV"),
    (1 << 3, "PERF_SAMPLE_BRANCH_ANY"),
    (1 << 4, "PERF_SAMPLE_BRANCH_ANY_CALL"),
    (1 << 5, "PERF_SAMPLE_BRANCH_ANY_RETURN"),
    (1 << 6, "PERF_SAMPLE_BRANCH_IND_CALL"),
    (1 << 7, "PERF_SAMPLE_BRANCH_ABORT_TX"),
    (1 << 8, "PERF_SAMPLE_BRANCH_IN_TX"),
    (1 << 9, "PERF_SAMPLE_BRANCH_NO_TX"),
    (1 << 10, "PERF_SAMPLE_BRANCH_COND"),
    (1 << 11, "PERF_SAMPLE_BRANCH_CALL_STACK"),
    (1 << 12, "PERF_SAMPLE_BRANCH_IND_JUMP"),
    (1 << 13, "PERF_SAMPLE_BRANCH_CALL"),
    (1 << 14, "PERF_SAMPLE_BRANCH_NO_FLAGS"),
    (1 << 15, "PERF_SAMPLE_BRANCH_NO_CYCLES"),
    (1 << 16, "PERF_SAMPLE_BRANCH_TYPE_SAVE"),
    (1 << 17, "PERF_SAMPLE_BRANCH_HW_INDEX"),
    (1 << 18, "PERF_SAMPLE_BRANCH_PRIV_SAVE"),
];
const BREAKPOINT_TYPES: Xlat = &[
    (0, "HW_BREAKPOINT_EMPTY"),
    (1, "HW_BREAKPOINT_R"),
    (2, "HW_BREAKPOINT_W"),
    (3, "HW_BREAKPOINT_RW"),
    (4, "HW_BREAKPOINT_X"),
];
const OPEN_FLAGS: Xlat = &[
    (1, "PERF_FLAG_FD_NO_GROUP"),
    (2, "PERF_FLAG_FD_OUTPUT"),
    (4, "PERF_FLAG_PID_CGROUP"),
    (8, "PERF_FLAG_FD_CLOEXEC"),
];
/// The bit flags after `read_format`, in order from bit 0 (`precise_ip`, two bits, apart).
const FLAG_BITS: [&str; 15] = [
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
/// The flags after `precise_ip` (bits 17..37).
const FLAG_BITS_HIGH: [&str; 21] = [
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
const SIZE_VER0: u32 = 64;
/// `sizeof(struct perf_event_attr)` as strace 6.1 knows it.
const SIZE_MAX: u32 = 128;
/// `offsetof(struct perf_event_attr, wakeup_events)`: all strace reads without `-v`.
const ABBREV_SIZE: u32 = 48;
/// `ctx.stash` bit: the structure was read at entry (and is printed at exit).
const FETCHED: u64 = 1 << 31;

/// strace's `fetch_perf_event_attr`: how many bytes of the structure at `addr` to read (its
/// size field decides) and that field, or `None` after printing its address (unreadable,
/// smaller than the first published size, or `-e verbose=none`).
fn fetch(ctx: &mut Ctx<'_>, addr: u64) -> Option<(u32, u32)> {
    let size_field = ctx
        .read::<u32>(addr.wrapping_add(4))
        .filter(|_| addr != 0 && ctx.opts.deref);
    let Some(size_field) = size_field else {
        ctx.addr(addr);
        return None;
    };
    let mut size = size_field.min(SIZE_MAX);
    if size == 0 {
        size = SIZE_VER0;
    }
    if size < SIZE_VER0 {
        ctx.addr(addr);
        return None;
    }
    if !ctx.opts.verbose {
        size = ABBREV_SIZE;
    }
    if ctx.read_bytes(addr, size as usize).is_none() {
        ctx.addr(addr);
        return None;
    }
    Some((size, size_field))
}

/// A `struct perf_event_attr` read and printed at once (`PERF_EVENT_IOC_MODIFY_ATTRIBUTES`).
// For the perf ioctl family, on its way from a helper's branch.
#[allow(dead_code)]
pub(super) fn attr_at(ctx: &mut Ctx<'_>, addr: u64) {
    if let Some((size, size_field)) = fetch(ctx, addr) {
        print_read(ctx, addr, size, size_field);
    }
}

/// Reads `size` bytes of the structure at `addr` and prints them.
fn print_read(ctx: &mut Ctx<'_>, addr: u64, size: u32, size_field: u32) {
    let mut b = vec![0u8; SIZE_MAX as usize];
    match ctx.read_bytes(addr, size as usize) {
        Some(read) => {
            b[..read.len()].copy_from_slice(&read);
            attr(ctx, &b, size, size_field);
        }
        None => ctx.addr(addr),
    }
}

/// `perf_event_open(attr, pid, cpu, group_fd, flags)`.
fn perf_event_open(ctx: &mut Ctx<'_>) -> Step {
    let addr = ctx.arg(0);
    if !ctx.exiting {
        let Some((size, size_field)) = fetch(ctx, addr) else {
            return rest(ctx);
        };
        ctx.stash = FETCHED | (u64::from(size_field) << 32) | u64::from(size);
        return Step::Exit;
    }
    if ctx.stash & FETCHED == 0 {
        return Step::Decoded;
    }
    let size = ctx.stash as u32 & !(FETCHED as u32);
    let size_field = (ctx.stash >> 32) as u32;
    print_read(ctx, addr, size, size_field);
    rest(ctx)
}

/// The arguments after the structure, and the descriptor returned.
fn rest(ctx: &mut Ctx<'_>) -> Step {
    let _ = write!(ctx.out, ", {}, {}, ", ctx.arg_int(1), ctx.arg_int(2));
    ctx.fd(3);
    ctx.comma();
    ctx.flags(OPEN_FLAGS, ctx.arg(4), "PERF_FLAG_???");
    ctx.rfmt = super::Rval::Fd;
    Step::Decoded
}

/// `struct perf_event_attr` from `b` (`size` bytes of it read; `size_field` its size field as
/// read at entry): strace's `print_perf_event_attr`.
fn attr(ctx: &mut Ctx<'_>, b: &[u8], size: u32, size_field: u32) {
    let u16_at = |o: usize| u64::from(u16::from_ne_bytes(b[o..o + 2].try_into().unwrap()));
    let u32_at = |o: usize| u64::from(u32::from_ne_bytes(b[o..o + 4].try_into().unwrap()));
    let u64_at = |o: usize| u64::from_ne_bytes(b[o..o + 8].try_into().unwrap());
    let ty = u32_at(0);
    let config = u64_at(8);
    let sample_type = u64_at(24);
    let bits = u64_at(40);
    let bit = |i: u32| (bits >> i) & 1;
    let full = ctx.opts.verbose;
    ctx.push("{type=");
    ctx.xval(TYPES, ty, "PERF_TYPE_???");
    ctx.push(", size=");
    ctx.xval(ATTR_SIZES, u64::from(size_field), "PERF_ATTR_SIZE_???");
    // E2BIG: the kernel wrote back the size it wants.
    if ctx.error && -ctx.rval == i64::from(libc::E2BIG) {
        ctx.push(" => ");
        match ctx.read::<u32>(ctx.arg(0).wrapping_add(4)) {
            Some(n) => ctx.xval(ATTR_SIZES, u64::from(n), "PERF_ATTR_SIZE_???"),
            None => ctx.push("???"),
        }
    }
    ctx.push(", config=");
    match ty {
        0 | 3 => {
            if config >> 32 != 0 {
                let _ = write!(ctx.out, "{}<<32|", Hx(config >> 32));
            }
            if ty == 0 {
                ctx.xval(HW_IDS, config & 0xffff_ffff, "PERF_COUNT_HW_???");
            } else {
                if (config & 0xffff_ffff) >> 24 != 0 {
                    let _ = write!(ctx.out, "{}<<24|", Hx((config & 0xffff_ffff) >> 24));
                }
                ctx.xval(
                    CACHE_RESULTS,
                    (config >> 16) & 0xff,
                    "PERF_COUNT_HW_CACHE_RESULT_???",
                );
                ctx.push("<<16|");
                ctx.xval(
                    CACHE_OPS,
                    (config >> 8) & 0xff,
                    "PERF_COUNT_HW_CACHE_OP_???",
                );
                ctx.push("<<8|");
                ctx.xval(CACHE_IDS, config & 0xff, "PERF_COUNT_HW_CACHE_???");
            }
        }
        1 => ctx.xval(SW_IDS, config, "PERF_COUNT_SW_???"),
        2 => {
            let _ = write!(ctx.out, "{config}");
        }
        _ => ctx.hex_value(config),
    }
    // `freq` is bit 10.
    let period = if bit(10) != 0 {
        "sample_freq"
    } else {
        "sample_period"
    };
    let _ = write!(ctx.out, ", {period}={}, sample_type=", u64_at(16));
    ctx.flags(SAMPLE_FORMAT, sample_type, "PERF_SAMPLE_???");
    ctx.push(", read_format=");
    ctx.flags(READ_FORMAT, u64_at(32), "PERF_FORMAT_???");
    for (i, name) in FLAG_BITS.iter().enumerate() {
        let v = bit(i as u32);
        if full || v != 0 {
            let _ = write!(ctx.out, ", {name}={v}");
        }
    }
    let precise = ((bits >> 15) & 3) as usize;
    let _ = write!(
        ctx.out,
        ", precise_ip={precise} /* {} */",
        PRECISE_IP[precise]
    );
    for (i, name) in FLAG_BITS_HIGH.iter().enumerate() {
        let v = bit(17 + i as u32);
        if full || v != 0 {
            let _ = write!(ctx.out, ", {name}={v}");
        }
    }
    let reserved_1 = bits >> 38;
    if reserved_1 != 0 {
        let _ = write!(
            ctx.out,
            ", __reserved_1={} /* Bits 63..38 */",
            Hx(reserved_1)
        );
    }
    if full {
        attr_rest(
            ctx,
            b,
            size,
            ty,
            sample_type,
            bit(14) != 0,
            bit(25) != 0,
            &u16_at,
        );
    }
    if (size_field != 0 && size_field > size) || (size_field == 0 && size < SIZE_VER0) {
        ctx.push(", ...");
    }
    ctx.push("}");
}

/// The fields after the flags, with `-v`; those past `size` are not printed (the kernel
/// takes structures of any published size).
#[allow(clippy::too_many_arguments)]
fn attr_rest(
    ctx: &mut Ctx<'_>,
    b: &[u8],
    size: u32,
    ty: u64,
    sample_type: u64,
    watermark: bool,
    use_clockid: bool,
    u16_at: &dyn Fn(usize) -> u64,
) {
    let u32_at = |o: usize| u64::from(u32::from_ne_bytes(b[o..o + 4].try_into().unwrap()));
    let u64_at = |o: usize| u64::from_ne_bytes(b[o..o + 8].try_into().unwrap());
    let has = |offset: u32| offset < size;
    let breakpoint = ty == 5;
    let wakeup = if watermark {
        "wakeup_watermark"
    } else {
        "wakeup_events"
    };
    let _ = write!(ctx.out, ", {wakeup}={}", u32_at(48));
    if breakpoint {
        let bp_type = u32_at(52);
        ctx.push(", bp_type=");
        // Any combination of read/write with execute is invalid.
        let dflt = if bp_type <= 4 | 3 {
            "HW_BREAKPOINT_INVALID"
        } else {
            "HW_BREAKPOINT_???"
        };
        ctx.xval(BREAKPOINT_TYPES, bp_type, dflt);
        let _ = write!(ctx.out, ", bp_addr={}", Hx(u64_at(56)));
    } else {
        let _ = write!(ctx.out, ", config1={}", Hx(u64_at(56)));
    }
    if !has(64) {
        return;
    }
    if breakpoint {
        let _ = write!(ctx.out, ", bp_len={}", u64_at(64));
    } else {
        let _ = write!(ctx.out, ", config2={}", Hx(u64_at(64)));
    }
    if !has(72) {
        return;
    }
    if sample_type & (1 << 11) != 0 {
        ctx.push(", branch_sample_type=");
        ctx.flags(BRANCH_SAMPLE, u64_at(72), "PERF_SAMPLE_BRANCH_???");
    }
    if !has(80) {
        return;
    }
    let _ = write!(ctx.out, ", sample_regs_user={}", Hx(u64_at(80)));
    if !has(88) {
        return;
    }
    if sample_type & (1 << 13) != 0 {
        let _ = write!(ctx.out, ", sample_stack_user={}", Hx(u32_at(88)));
    }
    if use_clockid {
        if !has(92) {
            return;
        }
        ctx.push(", clockid=");
        ctx.xval(xlat::CLOCKS, u32_at(92), "CLOCK_???");
    }
    if !has(96) {
        return;
    }
    let _ = write!(ctx.out, ", sample_regs_intr={}", Hx(u64_at(96)));
    if !has(104) {
        return;
    }
    let _ = write!(ctx.out, ", aux_watermark={}", u32_at(104));
    if !has(108) {
        return;
    }
    let _ = write!(ctx.out, ", sample_max_stack={}", u16_at(108));
    if !has(110) {
        return;
    }
    if u16_at(110) != 0 {
        let _ = write!(ctx.out, " /* bytes 110..111: {:#x} */", u16_at(110));
    }
    if !has(112) {
        return;
    }
    let _ = write!(ctx.out, ", aux_sample_size={}", u32_at(112));
    if !has(116) {
        return;
    }
    if u32_at(116) != 0 {
        let _ = write!(ctx.out, " /* bytes 116..119: {:#x} */", u32_at(116));
    }
    if !has(120) {
        return;
    }
    let _ = write!(ctx.out, ", sig_data={}", Hx(u64_at(120)));
}
