//! The nested attributes of traffic control messages (strace's `rtnl_tc.c`,
//! `rtnl_tc_action.c`): `TCA_STATS2`/`TCA_ACT_STATS` statistics, the size table `TCA_STAB`,
//! action flags.

use std::fmt::Write as _;

use super::{nla_flags, nla_int, nla_struct, nlattrs, nx, u16_at, u32_at, Ctx};

/// `decode_nla_tc_stats`: `TCA_STATS_*` attributes.
pub(super) fn tc_stats(ctx: &mut Ctx<'_>, fam: u8, addr: u64, len: u64) -> bool {
    nlattrs(
        ctx,
        addr,
        len,
        (nx::RTNL_TCA_STATS_ATTRS, "TCA_STATS_???"),
        stats_attr,
        fam,
    );
    true
}

/// `u64` fields of a structure of `size` bytes (`gnet_stats_*`).
fn u64_fields(ctx: &mut Ctx<'_>, addr: u64, len: u64, size: u64, fields: &[(&str, usize)]) -> bool {
    nla_struct(ctx, addr, len, size as usize, |ctx, b| {
        ctx.push("{");
        for (i, (f, w)) in fields.iter().enumerate() {
            if i > 0 {
                ctx.comma();
            }
            let o: usize = fields[..i].iter().map(|(_, w)| w).sum();
            let v = if *w == 8 {
                u64::from_ne_bytes(b[o..o + 8].try_into().unwrap())
            } else {
                u64::from(u32_at(b, o))
            };
            let _ = write!(ctx.out, "{f}={v}");
        }
        ctx.push("}");
    })
}

fn stats_attr(ctx: &mut Ctx<'_>, _fam: u8, typ: u16, addr: u64, len: u64) -> bool {
    match typ {
        // TCA_STATS_BASIC, TCA_STATS_BASIC_HW: struct gnet_stats_basic {u64 bytes; u32 packets}.
        1 | 7 => u64_fields(ctx, addr, len, 12, &[("bytes", 8), ("packets", 4)]),
        2 => u64_fields(ctx, addr, len, 8, &[("bps", 4), ("pps", 4)]),
        3 => u64_fields(
            ctx,
            addr,
            len,
            20,
            &[
                ("qlen", 4),
                ("backlog", 4),
                ("drops", 4),
                ("requeues", 4),
                ("overlimits", 4),
            ],
        ),
        5 => u64_fields(ctx, addr, len, 16, &[("bps", 8), ("pps", 8)]),
        8 => nla_int::<u64>(ctx, addr, len),
        _ => false,
    }
}

/// `TCA_STAB`: the size specification and the table.
pub(super) fn stab(ctx: &mut Ctx<'_>, fam: u8, addr: u64, len: u64) -> bool {
    nlattrs(
        ctx,
        addr,
        len,
        (nx::RTNL_TCA_STAB_ATTRS, "TCA_STAB_???"),
        |ctx, _fam, typ, addr, len| match typ {
            1 => {
                // struct tc_sizespec
                nla_struct(ctx, addr, len, 24, |ctx, b| {
                    let _ = write!(
                        ctx.out,
                        "{{cell_log={}, size_log={}, cell_align={}, overhead={}, linklayer={}, \
                     mpu={}, mtu={}, tsize={}}}",
                        b[0],
                        b[1],
                        u16_at(b, 2) as i16,
                        u32_at(b, 4) as i32,
                        u32_at(b, 8),
                        u32_at(b, 12),
                        u32_at(b, 16),
                        u32_at(b, 20)
                    );
                })
            }
            2 => {
                let n = len / 2;
                n > 0 && {
                    ctx.array(addr, n, 2, &mut |c, b| {
                        let _ = write!(c.out, "{}", u16_at(b, 0));
                    });
                    true
                }
            }
            _ => false,
        },
        fam,
    );
    true
}

/// The `TCA_ACT_*` attributes after `TCA_ACT_KIND`/`TCA_ACT_INDEX`: statistics and flags.
pub(super) fn action_attr(ctx: &mut Ctx<'_>, fam: u8, typ: u16, addr: u64, len: u64) -> bool {
    match typ {
        4 => tc_stats(ctx, fam, addr, len),
        7 => nla_flags(
            ctx,
            addr,
            len,
            4,
            nx::RTNL_TCA_ACT_FLAGS,
            "TCA_ACT_FLAGS_???",
        ),
        8 | 9 => nla_flags(
            ctx,
            addr,
            len,
            4,
            nx::RTNL_TCA_ACT_HW_STATS,
            "TCA_ACT_HW_STATS_???",
        ),
        10 => nla_int::<u32>(ctx, addr, len),
        _ => false,
    }
}
