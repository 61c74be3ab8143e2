//! The nested attributes of link messages (strace's `rtnl_link.c`): `IFLA_PROTINFO` (bridge
//! port attributes for AF_BRIDGE, IPv6 device attributes for AF_INET6) and `IFLA_VFINFO_LIST`
//! (each virtual function's structures).

use std::fmt::Write as _;

use super::{
    array, nla_clock, nla_ifindex, nla_inet_addr, nla_int, nla_mac, nla_x16, nla_xval, nlattrs, nx,
    u32_at, u32_struct, Ctx, AF_BRIDGE, AF_INET6,
};
use crate::text;

/// `IFLA_PROTINFO`: attributes of the message's family (strace's `decode_ifla_protinfo`).
pub(super) fn protinfo(ctx: &mut Ctx<'_>, fam: u8, addr: u64, len: u64) -> bool {
    match fam {
        AF_BRIDGE => brport_attrs(ctx, fam, addr, len),
        AF_INET6 => nlattrs(
            ctx,
            addr,
            len,
            (nx::RTNL_IFLA_AF_SPEC_INET6_ATTRS, "IFLA_INET6_???"),
            inet6_attr,
            fam,
        ),
        _ => ctx.buf_ex(addr, len, true),
    }
    true
}

/// The `IFLA_BRPORT_*` attributes of a bridge port.
pub(super) fn brport_attrs(ctx: &mut Ctx<'_>, fam: u8, addr: u64, len: u64) {
    nlattrs(
        ctx,
        addr,
        len,
        (nx::RTNL_IFLA_BRPORT_ATTRS, "IFLA_BRPORT_???"),
        brport_attr,
        fam,
    );
}

fn brport_attr(ctx: &mut Ctx<'_>, _fam: u8, typ: u16, addr: u64, len: u64) -> bool {
    match typ {
        1 | 4..=12 | 19 | 20 | 25 | 27..=30 | 32 | 33 | 35 | 36 | 39 => {
            nla_int::<u8>(ctx, addr, len)
        }
        2 | 15..=18 => nla_int::<u16>(ctx, addr, len),
        3 | 37 | 38 => nla_int::<u32>(ctx, addr, len),
        13 | 14 => bridge_id(ctx, addr, len),
        21..=23 => nla_clock(ctx, addr, len),
        31 => nla_x16(ctx, addr, len),
        34 => nla_ifindex(ctx, addr, len),
        _ => false,
    }
}

/// `struct ifla_bridge_id`: `{prio=[0, 1], addr=...}`.
pub(super) fn bridge_id(ctx: &mut Ctx<'_>, addr: u64, len: u64) -> bool {
    if len < 8 {
        return false;
    }
    let Some(b) = ctx.read_bytes(addr, 8) else {
        ctx.addr(addr);
        return true;
    };
    let _ = write!(ctx.out, "{{prio=[{}, {}], addr=", b[0], b[1]);
    nla_mac(ctx, &b[2..8]);
    ctx.push("}");
    true
}

/// `IFLA_INET6_*` (also inside `IFLA_AF_SPEC`).
pub(super) fn inet6_attr(ctx: &mut Ctx<'_>, _fam: u8, typ: u16, addr: u64, len: u64) -> bool {
    match typ {
        1 => super::nla_flags(ctx, addr, len, 4, nx::INET6_IF_FLAGS, "IF_???"),
        2 => {
            let n = len / 4;
            if n == 0 {
                return false;
            }
            array(
                ctx,
                addr,
                n,
                4,
                Some((nx::INET6_DEVCONF_INDICES, "DEVCONF_???")),
                |c, b| {
                    let _ = write!(c.out, "{}", u32_at(b, 0) as i32);
                },
            );
            true
        }
        3 | 6 => {
            let n = len / 8;
            if n == 0 {
                return false;
            }
            let idx = if typ == 3 {
                (nx::SNMP_IP_STATS, "IPSTATS_MIB_???")
            } else {
                (nx::SNMP_ICMP6_STATS, "ICMP6_MIB_???")
            };
            array(ctx, addr, n, 8, Some(idx), |c, b| {
                let _ = write!(c.out, "{}", u64::from_ne_bytes(b[..8].try_into().unwrap()));
            });
            true
        }
        5 => u32_struct(
            ctx,
            addr,
            len,
            &["max_reasm_len", "tstamp", "reachable_time", "retrans_time"],
        ),
        7 => nla_inet_addr(ctx, AF_INET6, addr, len),
        8 => nla_xval::<u8>(
            ctx,
            addr,
            len,
            nx::IN6_ADDR_GEN_MODE,
            "IN6_ADDR_GEN_MODE_???",
        ),
        9 => nla_int::<u32>(ctx, addr, len),
        _ => false,
    }
}

/// `IFLA_VFINFO_LIST`: `IFLA_VF_INFO` lists.
pub(super) fn vfinfo_list(ctx: &mut Ctx<'_>, fam: u8, addr: u64, len: u64) -> bool {
    nlattrs(
        ctx,
        addr,
        len,
        (nx::RTNL_IFLA_VFINFO_LIST_ATTRS, "IFLA_VF_INFO_???"),
        |ctx, fam, typ, addr, len| {
            typ == 1 && {
                nlattrs(
                    ctx,
                    addr,
                    len,
                    (nx::RTNL_IFLA_VF_INFO_ATTRS, "IFLA_VF_???"),
                    vf_attr,
                    fam,
                );
                true
            }
        },
        fam,
    );
    true
}

fn vf_attr(ctx: &mut Ctx<'_>, fam: u8, typ: u16, addr: u64, len: u64) -> bool {
    match typ {
        // IFLA_VF_MAC: {vf, mac[32]}.
        1 => {
            if len < 36 {
                return false;
            }
            let Some(b) = ctx.read_bytes(addr, 36) else {
                ctx.addr(addr);
                return true;
            };
            let _ = write!(ctx.out, "{{vf={}, mac=", u32_at(&b, 0));
            nla_mac(ctx, &b[4..]);
            ctx.push("}");
            true
        }
        2 => u32_struct(ctx, addr, len, &["vf", "vlan", "qos"]),
        3 => u32_struct(ctx, addr, len, &["vf", "rate"]),
        4 | 7 | 9 => u32_struct(ctx, addr, len, &["vf", "setting"]),
        5 => {
            if len < 8 {
                return false;
            }
            let Some(b) = ctx.read_bytes(addr, 8) else {
                ctx.addr(addr);
                return true;
            };
            let _ = write!(ctx.out, "{{vf={}, link_state=", u32_at(&b, 0));
            ctx.xval(
                nx::RTNL_IFLA_VF_LINK_STATES,
                u64::from(u32_at(&b, 4)),
                "IFLA_VF_LINK_STATE_???",
            );
            ctx.push("}");
            true
        }
        6 => u32_struct(ctx, addr, len, &["vf", "min_tx_rate", "max_tx_rate"]),
        8 => {
            nlattrs(
                ctx,
                addr,
                len,
                (nx::RTNL_IFLA_VF_STATS_ATTRS, "IFLA_VF_STATS_???"),
                |ctx, _fam, typ, addr, len| typ != 6 && nla_int::<u64>(ctx, addr, len),
                fam,
            );
            true
        }
        // IFLA_VF_IB_NODE_GUID, IFLA_VF_IB_PORT_GUID: {vf, guid} packed (12) or aligned (16).
        10 | 11 => {
            if len != 12 && len != 16 {
                return false;
            }
            let Some(b) = ctx.read_bytes(addr, len as usize) else {
                ctx.addr(addr);
                return true;
            };
            let o = if len == 12 { 4 } else { 8 };
            let guid = u64::from_ne_bytes(b[o..o + 8].try_into().unwrap());
            let _ = write!(ctx.out, "{{vf={}, guid={}}}", u32_at(&b, 0), text::Hx(guid));
            true
        }
        12 => {
            nlattrs(
                ctx,
                addr,
                len,
                (nx::RTNL_IFLA_VF_VLAN_LIST_ATTRS, "IFLA_VF_VLAN_INFO_???"),
                |ctx, _fam, typ, addr, len| typ == 1 && vf_vlan_info(ctx, addr, len),
                fam,
            );
            true
        }
        13 => {
            if len < 32 {
                return false;
            }
            let Some(b) = ctx.read_bytes(addr, 32) else {
                ctx.addr(addr);
                return true;
            };
            ctx.push("{broadcast=");
            nla_mac(ctx, &b);
            ctx.push("}");
            true
        }
        _ => false,
    }
}

/// `struct ifla_vf_vlan_info`: `{vf, vlan, qos, vlan_proto=htons(ETH_P_8021Q)}`.
fn vf_vlan_info(ctx: &mut Ctx<'_>, addr: u64, len: u64) -> bool {
    if len < 16 {
        return false;
    }
    let Some(b) = ctx.read_bytes(addr, 16) else {
        ctx.addr(addr);
        return true;
    };
    let _ = write!(
        ctx.out,
        "{{vf={}, vlan={}, qos={}, vlan_proto=htons(",
        u32_at(&b, 0),
        u32_at(&b, 4),
        u32_at(&b, 8)
    );
    let proto = u16::from_be_bytes([b[12], b[13]]);
    ctx.xval(nx::ETHERNET_PROTOCOLS, u64::from(proto), "ETH_P_???");
    ctx.push(")}");
    true
}
