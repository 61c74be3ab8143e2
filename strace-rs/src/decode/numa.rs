//! NUMA memory policy: `set_mempolicy`, `get_mempolicy`, `mbind`, `migrate_pages`,
//! `move_pages`, `set_mempolicy_home_node`.

use std::fmt::Write as _;

use super::table::Arg::*;
use super::Decoder::{Func, Row};
use super::{Ctx, Decoder, Step};
use crate::text::{self, Xlat, XlatStyle};

const MPOL_MODES: Xlat = &[
    (0, "MPOL_DEFAULT"),
    (1, "MPOL_PREFERRED"),
    (2, "MPOL_BIND"),
    (3, "MPOL_INTERLEAVE"),
    (4, "MPOL_LOCAL"),
    (5, "MPOL_PREFERRED_MANY"),
];
const MPOL_MODE_FLAGS: Xlat = &[
    (0x8000, "MPOL_F_STATIC_NODES"),
    (0x4000, "MPOL_F_RELATIVE_NODES"),
    (0x2000, "MPOL_F_NUMA_BALANCING"),
];
const MPOL_FLAGS_MASK: u64 = 0xe000;
const GET_MEMPOLICY_FLAGS: Xlat = &[
    (1, "MPOL_F_NODE"),
    (2, "MPOL_F_ADDR"),
    (4, "MPOL_F_MEMS_ALLOWED"),
];
const MBIND_FLAGS: Xlat = &[
    (1, "MPOL_MF_STRICT"),
    (2, "MPOL_MF_MOVE"),
    (4, "MPOL_MF_MOVE_ALL"),
];
const MOVE_PAGES_FLAGS: Xlat = &[(2, "MPOL_MF_MOVE"), (4, "MPOL_MF_MOVE_ALL")];

pub fn decoder(name: &str) -> Option<Decoder> {
    Some(match name {
        "set_mempolicy" => Row(&[In(mode_int), In(nodemask_in), Ulong]),
        "mbind" => Row(&[
            Hex,
            Ulong,
            In(mode_long),
            In(nodemask_in4),
            Ulong,
            Flags(MBIND_FLAGS, "MPOL_???"),
        ]),
        "get_mempolicy" => Func(get_mempolicy),
        "set_mempolicy_home_node" => Row(&[Ptr, Ulong, Ulong, Hex]),
        "migrate_pages" => Row(&[Pid, Ulong, In(nodemask_in2), In(nodemask_in2)]),
        "move_pages" => Func(move_pages),
        _ => return None,
    })
}

/// A policy mode: the mode in the low bits, `MPOL_F_*` flags above (strace prints an
/// unknown mode with the flags in hex after them, or alone with `/* MPOL_??? */`).
fn mode(ctx: &mut Ctx<'_>, v: u64) {
    let flags = v & MPOL_FLAGS_MASK;
    let kind = v & !MPOL_FLAGS_MASK;
    let kind_name = text::lookup(MPOL_MODES, kind);
    let mut names = String::new();
    if let Some(n) = kind_name {
        names.push_str(n);
    }
    for &(bit, n) in MPOL_MODE_FLAGS {
        if flags & bit != 0 {
            if !names.is_empty() {
                names.push('|');
            }
            names.push_str(n);
        }
    }
    if kind_name.is_none() && flags != 0 {
        let _ = write!(names, "|{kind:#x}");
    }
    match ctx.opts.xlat {
        XlatStyle::Raw => ctx.hex_value(v),
        XlatStyle::Verbose => {
            ctx.hex_value(v);
            if names.is_empty() {
                ctx.push(" /* MPOL_??? */");
            } else {
                let _ = write!(ctx.out, " /* {names} */");
            }
        }
        XlatStyle::Abbrev => {
            if names.is_empty() {
                let _ = write!(ctx.out, "{v:#x} /* MPOL_??? */");
            } else {
                ctx.push(&names);
            }
        }
    }
}

fn mode_int(ctx: &mut Ctx<'_>, v: u64) {
    mode(ctx, v & 0xffff_ffff);
}

fn mode_long(ctx: &mut Ctx<'_>, v: u64) {
    mode(ctx, v);
}

/// A node mask of `maxnode - 1` bits at `addr`: `[0x0000000000000001, ...]` in longs,
/// as many as `-s` allows; an unreadable long ends it with its address.
fn nodemask(ctx: &mut Ctx<'_>, addr: u64, maxnode: u64) {
    let nlongs = maxnode.saturating_add(62) / 64;
    if nlongs == 0 {
        if maxnode == 0 || addr == 0 {
            if addr == 0 {
                ctx.push("NULL");
            } else {
                ctx.push("[]");
            }
        } else {
            ctx.addr(addr);
        }
        return;
    }
    if addr == 0 {
        ctx.push("NULL");
        return;
    }
    let max = ctx.opts.max_strlen as u64;
    for i in 0..nlongs {
        let at = addr.wrapping_add(8 * i);
        if i >= max {
            // strace still reads the element past the limit: unreadable, it says where.
            if ctx.read::<u64>(at).is_some() {
                ctx.push(", ...");
            } else {
                let _ = write!(ctx.out, ", ... /* {at:#x} */");
            }
            break;
        }
        let Some(v) = ctx.read::<u64>(at) else {
            if i == 0 {
                ctx.addr(addr);
                return;
            }
            let _ = write!(ctx.out, ", ... /* {at:#x} */");
            break;
        };
        ctx.push(if i == 0 { "[" } else { ", " });
        // strace's `%#0*lx` with the width of a long in hex digits: zero has no `0x`.
        if v == 0 {
            ctx.push("0000000000000000");
        } else {
            let _ = write!(ctx.out, "{v:#016x}");
        }
    }
    ctx.push("]");
}

/// `set_mempolicy`'s node mask, its size in argument 2.
fn nodemask_in(ctx: &mut Ctx<'_>, addr: u64) {
    nodemask(ctx, addr, ctx.arg(2));
}

/// `mbind`'s node mask, its size in argument 4.
fn nodemask_in4(ctx: &mut Ctx<'_>, addr: u64) {
    nodemask(ctx, addr, ctx.arg(4));
}

/// `migrate_pages`'s masks: their size is argument 1.
fn nodemask_in2(ctx: &mut Ctx<'_>, addr: u64) {
    nodemask(ctx, addr, ctx.arg(1));
}

fn get_mempolicy(ctx: &mut Ctx<'_>) -> Step {
    if !ctx.exiting {
        return Step::Exit;
    }
    let mode_addr = ctx.arg(0);
    if ctx.error {
        ctx.ptr(0);
    } else if mode_addr == 0 {
        ctx.push("NULL");
    } else {
        match ctx.read::<u32>(mode_addr) {
            Some(m) => {
                ctx.push("[");
                ctx.xval(MPOL_MODES, u64::from(m), "MPOL_???");
                ctx.push("]");
            }
            None => ctx.addr(mode_addr),
        }
    }
    ctx.comma();
    if ctx.error {
        ctx.ptr(1);
    } else {
        nodemask(ctx, ctx.arg(1), ctx.arg(2));
    }
    ctx.comma();
    ctx.ulong(2);
    ctx.comma();
    ctx.ptr(3);
    ctx.comma();
    ctx.flags(GET_MEMPOLICY_FLAGS, ctx.arg(4) & 0xffff_ffff, "MPOL_???");
    Step::Decoded
}

/// `move_pages(pid, count, pages, nodes, status, flags)`: the status array at exit.
fn move_pages(ctx: &mut Ctx<'_>) -> Step {
    let n = ctx.arg(1);
    if !ctx.exiting {
        ctx.pid_arg(ctx.arg_int(0));
        ctx.comma();
        ctx.ulong(1);
        ctx.comma();
        ptr_array(ctx, ctx.arg(2), n);
        ctx.comma();
        int_array(ctx, ctx.arg(3), n);
        ctx.comma();
        return Step::Exit;
    }
    // A failed call's statuses are not read (strace's tfetch_mem at exit), but an empty
    // array is still `[]`.
    if ctx.error && n != 0 {
        ctx.ptr(4);
    } else {
        array(ctx, ctx.arg(4), n, 4, page_status);
    }
    ctx.comma();
    ctx.flags(MOVE_PAGES_FLAGS, ctx.arg(5) & 0xffff_ffff, "MPOL_???");
    Step::Decoded
}

/// An array of `n` elements of `size` bytes at `addr`, each printed by `one`; as many as
/// `-s` allows, an unreadable one ending it with its address.
pub(super) fn array(ctx: &mut Ctx<'_>, addr: u64, n: u64, size: u64, one: fn(&mut Ctx<'_>, u64)) {
    if addr == 0 || n == 0 {
        if addr == 0 {
            ctx.push("NULL");
        } else {
            ctx.push("[]");
        }
        return;
    }
    let max = ctx.opts.max_strlen as u64;
    for i in 0..n {
        let at = addr.wrapping_add(size * i);
        let v = if size == 8 {
            ctx.read::<u64>(at)
        } else {
            ctx.read::<u32>(at).map(u64::from)
        };
        if i >= max {
            // strace still reads the element past the limit: unreadable, it says where.
            if v.is_some() {
                ctx.push(", ...");
            } else {
                let _ = write!(ctx.out, ", ... /* {at:#x} */");
            }
            break;
        }
        let Some(v) = v else {
            if i == 0 {
                ctx.addr(addr);
                return;
            }
            let _ = write!(ctx.out, ", ... /* {at:#x} */");
            break;
        };
        ctx.push(if i == 0 { "[" } else { ", " });
        one(ctx, v);
    }
    ctx.push("]");
}

/// A page's node, or the negated errno saying why it is not on one (`-EFAULT`).
fn page_status(ctx: &mut Ctx<'_>, v: u64) {
    let v = v as u32 as i32;
    let name = if v < 0 {
        crate::errno_names::errno_name(u64::from(v.unsigned_abs()))
    } else {
        None
    };
    match (name, ctx.opts.xlat) {
        (Some(n), XlatStyle::Abbrev) => {
            let _ = write!(ctx.out, "-{n}");
        }
        (Some(n), XlatStyle::Verbose) => {
            let _ = write!(ctx.out, "{v} /* -{n} */");
        }
        _ => {
            let _ = write!(ctx.out, "{v}");
        }
    }
}

fn ptr_array(ctx: &mut Ctx<'_>, addr: u64, n: u64) {
    array(ctx, addr, n, 8, |c, v| c.addr(v));
}

fn int_array(ctx: &mut Ctx<'_>, addr: u64, n: u64) {
    array(ctx, addr, n, 4, |c, v| {
        let _ = write!(c.out, "{}", v as u32 as i32);
    });
}
