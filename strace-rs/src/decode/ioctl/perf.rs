//! perf event requests (`linux/perf_event.h`, type `'$'`, strace's `perf_ioctl.c`);
//! `PERF_EVENT_IOC_MODIFY_ATTRIBUTES`'s structure is printed by `perf_event_open`'s printer
//! (`decode/perf.rs`).

use std::fmt::Write as _;

use super::fields::{fetch, str0, u32_at};
use super::xlat as x;
use super::Family;
use crate::decode::{Ctx, Step};

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
        // MODIFY_ATTRIBUTES: perf_event_open's structure.
        _ => crate::decode::perf::attr_at(ctx, arg),
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
