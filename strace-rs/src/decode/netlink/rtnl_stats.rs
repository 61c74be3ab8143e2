//! The nested attributes of RTM_GETSTATS/RTM_NEWSTATS (strace's `rtnl_stats.c`): extended
//! link statistics of bridges and bonds, offload statistics, per-family statistics (MPLS).

use std::fmt::Write as _;

use super::{
    array_index, link_stats, nested_lists, nla_int, nla_struct, nlattrs, nx, u16_at, u32_at, Ctx,
};
use crate::text;

const AF_MPLS: u16 = 28;

/// `IFLA_STATS_LINK_XSTATS(_SLAVE)`, `IFLA_STATS_LINK_OFFLOAD_XSTATS`, `IFLA_STATS_AF_SPEC`.
pub(super) fn attr(ctx: &mut Ctx<'_>, fam: u8, typ: u16, addr: u64, len: u64) -> bool {
    match typ {
        2 | 3 => nlattrs(
            ctx,
            addr,
            len,
            (nx::IFSTATS_XSTATS_TYPE_ATTRS, "LINK_XSTATS_TYPE_???"),
            xstats_attr,
            fam,
        ),
        4 => nlattrs(
            ctx,
            addr,
            len,
            (nx::IFSTATS_OFFLOAD_ATTRS, "IFLA_OFFLOAD_XSTATS_???"),
            |ctx, _fam, typ, addr, len| typ == 1 && link_stats(ctx, addr, len, true),
            fam,
        ),
        // Attributes whose types are address families.
        5 => nlattrs(
            ctx,
            addr,
            len,
            (nx::ADDRFAMS, "AF_???"),
            |ctx, fam, typ, addr, len| {
                typ == AF_MPLS && {
                    nlattrs(
                        ctx,
                        addr,
                        len,
                        (nx::IFSTATS_AF_SPEC_MPLS_ATTRS, "MPLS_STATS_???"),
                        |ctx, _fam, typ, addr, len| {
                            typ == 1
                                && u64_struct(
                                    ctx,
                                    addr,
                                    len,
                                    &[
                                        "rx_packets",
                                        "tx_packets",
                                        "rx_bytes",
                                        "tx_bytes",
                                        "rx_errors",
                                        "tx_errors",
                                        "rx_dropped",
                                        "tx_dropped",
                                        "rx_noroute",
                                    ],
                                )
                        },
                        fam,
                    );
                    true
                }
            },
            fam,
        ),
        _ => return false,
    }
    true
}

fn xstats_attr(ctx: &mut Ctx<'_>, fam: u8, typ: u16, addr: u64, len: u64) -> bool {
    match typ {
        1 => nlattrs(
            ctx,
            addr,
            len,
            (nx::IFSTATS_XSTATS_BRIDGE_ATTRS, "BRIDGE_XSTATS_???"),
            bridge_attr,
            fam,
        ),
        2 => nested_lists(
            ctx,
            addr,
            len,
            (nx::IFSTATS_XSTATS_BOND_ATTRS, "BOND_XSTATS_???"),
            (nx::IFSTATS_XSTATS_BOND_3AD_ATTRS, "BOND_XSTATS_???"),
            |ctx, _fam, typ, addr, len| typ < 9 && nla_int::<u64>(ctx, addr, len),
            fam,
        ),
        _ => return false,
    }
    true
}

/// A structure of `u64` counters, then any bytes past it.
fn u64_struct(ctx: &mut Ctx<'_>, addr: u64, len: u64, fields: &[&str]) -> bool {
    let size = 8 * fields.len() as u64;
    nla_struct(ctx, addr, len, size as usize, |ctx, b| {
        ctx.push("{");
        for (i, f) in fields.iter().enumerate() {
            if i > 0 {
                ctx.comma();
            }
            let _ = write!(ctx.out, "{f}={}", q(b, 8 * i));
        }
        ctx.push("}");
        rest(ctx, addr, len, size);
    })
}

fn q(b: &[u8], o: usize) -> u64 {
    u64::from_ne_bytes(b[o..o + 8].try_into().unwrap())
}

/// The bytes after a structure of `size` bytes, as strace prints them.
fn rest(ctx: &mut Ctx<'_>, addr: u64, len: u64, size: u64) {
    if len > size {
        ctx.comma();
        ctx.buf_ex(addr + size, len - size, true);
    }
}

/// `BRIDGE_XSTATS_*`: per-VLAN counters, multicast counters, STP counters.
fn bridge_attr(ctx: &mut Ctx<'_>, _fam: u8, typ: u16, addr: u64, len: u64) -> bool {
    match typ {
        1 => {
            // struct bridge_vlan_xstats
            const SIZE: u64 = 40;
            nla_struct(ctx, addr, len, SIZE as usize, |ctx, b| {
                let _ = write!(
                    ctx.out,
                    "{{rx_bytes={}, rx_packets={}, tx_bytes={}, tx_packets={}, vid={}, flags=",
                    q(b, 0),
                    q(b, 8),
                    q(b, 16),
                    q(b, 24),
                    u16_at(b, 32)
                );
                ctx.flags(
                    nx::NL_BRIDGE_VLAN_FLAGS,
                    u64::from(u16_at(b, 34)),
                    "BRIDGE_VLAN_INFO_???",
                );
                if u32_at(b, 36) != 0 {
                    let _ = write!(ctx.out, ", pad2={}", text::Hx(u64::from(u32_at(b, 36))));
                }
                ctx.push("}");
                rest(ctx, addr, len, SIZE);
            })
        }
        2 => {
            // struct br_mcast_stats: [rx, tx] counter pairs and two u64 error counts.
            const FIELDS: [(&str, bool); 16] = [
                ("igmp_v1queries", true),
                ("igmp_v2queries", true),
                ("igmp_v3queries", true),
                ("igmp_leaves", true),
                ("igmp_v1reports", true),
                ("igmp_v2reports", true),
                ("igmp_v3reports", true),
                ("igmp_parse_errors", false),
                ("mld_v1queries", true),
                ("mld_v2queries", true),
                ("mld_leaves", true),
                ("mld_v1reports", true),
                ("mld_v2reports", true),
                ("mld_parse_errors", false),
                ("mcast_bytes", true),
                ("mcast_packets", true),
            ];
            const SIZE: u64 = 14 * 16 + 2 * 8;
            nla_struct(ctx, addr, len, SIZE as usize, |ctx, b| {
                ctx.push("{");
                let mut o = 0;
                for (i, (name, pair)) in FIELDS.iter().enumerate() {
                    if i > 0 {
                        ctx.comma();
                    }
                    let _ = write!(ctx.out, "{name}=");
                    if *pair {
                        ctx.push("[");
                        for d in 0..2u64 {
                            if d > 0 {
                                ctx.comma();
                            }
                            array_index(ctx, nx::IFSTATS_XSTATS_BRIDGE_MCAST_INDICES, "", d);
                            let _ = write!(ctx.out, "{}", q(b, o));
                            o += 8;
                        }
                        ctx.push("]");
                    } else {
                        let _ = write!(ctx.out, "{}", q(b, o));
                        o += 8;
                    }
                }
                ctx.push("}");
                rest(ctx, addr, len, SIZE);
            })
        }
        4 => u64_struct(
            ctx,
            addr,
            len,
            &[
                "transition_blk",
                "transition_fwd",
                "rx_bpdu",
                "tx_bpdu",
                "rx_tcn",
                "tx_tcn",
            ],
        ),
        _ => false,
    }
}
