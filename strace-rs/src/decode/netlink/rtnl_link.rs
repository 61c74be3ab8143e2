//! The nested attributes of link messages (strace's `rtnl_link.c`): `IFLA_PROTINFO` (bridge
//! port attributes for AF_BRIDGE, IPv6 device attributes for AF_INET6), `IFLA_VFINFO_LIST`
//! (each virtual function's structures), `IFLA_VF_PORTS`/`IFLA_PORT_SELF`, `IFLA_XDP`,
//! `IFLA_PROTO_DOWN_REASON`, `IFLA_AF_SPEC` and `IFLA_LINKINFO` (bridge, tun and can data by
//! the link's kind).

use std::cell::RefCell;
use std::fmt::Write as _;

use super::{
    array, nested_lists, nla_clock, nla_flags, nla_hwaddr, nla_ifindex, nla_inet_addr, nla_int,
    nla_mac, nla_str, nla_struct, nla_value, nla_x16, nla_xval, nlattrs, nx, u16_at, u32_at,
    u32_struct, Ctx, AF_BRIDGE, AF_INET, AF_INET6,
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
    nla_struct(ctx, addr, len, 8, |ctx, b| {
        let _ = write!(ctx.out, "{{prio=[{}, {}], addr=", b[0], b[1]);
        nla_mac(ctx, &b[2..8]);
        ctx.push("}");
    })
}

/// `IFLA_INET6_*` (also inside `IFLA_AF_SPEC`).
pub(super) fn inet6_attr(ctx: &mut Ctx<'_>, _fam: u8, typ: u16, addr: u64, len: u64) -> bool {
    match typ {
        1 => nla_flags(ctx, addr, len, 4, nx::INET6_IF_FLAGS, "IF_???"),
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
    nested_lists(
        ctx,
        addr,
        len,
        (nx::RTNL_IFLA_VFINFO_LIST_ATTRS, "IFLA_VF_INFO_???"),
        (nx::RTNL_IFLA_VF_INFO_ATTRS, "IFLA_VF_???"),
        vf_attr,
        fam,
    );
    true
}

fn vf_attr(ctx: &mut Ctx<'_>, fam: u8, typ: u16, addr: u64, len: u64) -> bool {
    match typ {
        // IFLA_VF_MAC: {vf, mac[32]}.
        1 => nla_struct(ctx, addr, len, 36, |ctx, b| {
            let _ = write!(ctx.out, "{{vf={}, mac=", u32_at(b, 0));
            nla_mac(ctx, &b[4..]);
            ctx.push("}");
        }),
        2 => u32_struct(ctx, addr, len, &["vf", "vlan", "qos"]),
        3 => u32_struct(ctx, addr, len, &["vf", "rate"]),
        4 | 7 | 9 => u32_struct(ctx, addr, len, &["vf", "setting"]),
        5 => nla_struct(ctx, addr, len, 8, |ctx, b| {
            let _ = write!(ctx.out, "{{vf={}, link_state=", u32_at(b, 0));
            ctx.xval(
                nx::RTNL_IFLA_VF_LINK_STATES,
                u64::from(u32_at(b, 4)),
                "IFLA_VF_LINK_STATE_???",
            );
            ctx.push("}");
        }),
        6 => u32_struct(ctx, addr, len, &["vf", "min_tx_rate", "max_tx_rate"]),
        8 => {
            nlattrs(
                ctx,
                addr,
                len,
                (nx::RTNL_IFLA_VF_STATS_ATTRS, "IFLA_VF_STATS_???"),
                |ctx, _fam, typ, addr, len| typ <= 8 && typ != 6 && nla_int::<u64>(ctx, addr, len),
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
        13 => nla_struct(ctx, addr, len, 32, |ctx, b| {
            ctx.push("{broadcast=");
            nla_mac(ctx, b);
            ctx.push("}");
        }),
        _ => false,
    }
}

/// `struct ifla_vf_vlan_info`: `{vf, vlan, qos, vlan_proto=htons(ETH_P_8021Q)}`.
fn vf_vlan_info(ctx: &mut Ctx<'_>, addr: u64, len: u64) -> bool {
    nla_struct(ctx, addr, len, 16, |ctx, b| {
        let _ = write!(
            ctx.out,
            "{{vf={}, vlan={}, qos={}, vlan_proto=htons(",
            u32_at(b, 0),
            u32_at(b, 4),
            u32_at(b, 8)
        );
        let proto = u16::from_be_bytes([b[12], b[13]]);
        ctx.xval(nx::ETHERNET_PROTOCOLS, u64::from(proto), "ETH_P_???");
        ctx.push(")}");
    })
}

/// `IFLA_VF_PORTS`: `IFLA_VF_PORT` lists of port attributes.
pub(super) fn vf_ports(ctx: &mut Ctx<'_>, fam: u8, addr: u64, len: u64) -> bool {
    nlattrs(
        ctx,
        addr,
        len,
        (nx::RTNL_IFLA_VF_PORT_ATTRS, "IFLA_VF_PORT_???"),
        |ctx, fam, typ, addr, len| typ == 1 && port(ctx, fam, addr, len),
        fam,
    );
    true
}

/// `IFLA_PORT_SELF` (and each `IFLA_VF_PORT`): `IFLA_PORT_*` attributes.
pub(super) fn port(ctx: &mut Ctx<'_>, fam: u8, addr: u64, len: u64) -> bool {
    nlattrs(
        ctx,
        addr,
        len,
        (nx::RTNL_IFLA_PORT_ATTRS, "IFLA_VF_PORT_???"),
        port_attr,
        fam,
    );
    true
}

fn port_attr(ctx: &mut Ctx<'_>, _fam: u8, typ: u16, addr: u64, len: u64) -> bool {
    match typ {
        1 => nla_int::<u32>(ctx, addr, len),
        2 => nla_str(ctx, addr, len),
        3 => {
            // struct ifla_port_vsi {vsi_mgr_id, vsi_type_id[3], vsi_type_version, pad[3]}
            nla_struct(ctx, addr, len, 8, |ctx, b| {
                let _ = write!(ctx.out, "{{vsi_mgr_id={}, vsi_type_id=", b[0]);
                text::quote(&mut ctx.out, &b[1..4], ctx.opts.hex, true);
                let _ = write!(ctx.out, ", vsi_type_version={}", b[4]);
                if b[5..8].iter().any(|&c| c != 0) {
                    ctx.push(", pad=");
                    text::quote(&mut ctx.out, &b[5..8], ctx.opts.hex, true);
                }
                ctx.push("}");
            })
        }
        6 => nla_int::<u8>(ctx, addr, len),
        7 => nla_int::<u16>(ctx, addr, len),
        _ => false,
    }
}

/// `IFLA_XDP`: `IFLA_XDP_*` attributes.
pub(super) fn xdp(ctx: &mut Ctx<'_>, fam: u8, addr: u64, len: u64) -> bool {
    nlattrs(
        ctx,
        addr,
        len,
        (nx::RTNL_IFLA_XDP_ATTRS, "IFLA_XDP_???"),
        |ctx, _fam, typ, addr, len| match typ {
            1 | 8 => nla_fd(ctx, addr, len),
            2 => nla_xval::<u8>(
                ctx,
                addr,
                len,
                nx::RTNL_IFLA_XDP_ATTACHED_MODE,
                "XDP_ATTACHED_???",
            ),
            3 => nla_value(ctx, addr, len, |ctx, v: u32| {
                ctx.flags(nx::XDP_FLAGS, u64::from(v), "XDP_FLAGS_???")
            }),
            4..=7 => nla_int::<u32>(ctx, addr, len),
            _ => false,
        },
        fam,
    );
    true
}

/// `decode_nla_fd`: a descriptor (with `-y` decoration).
fn nla_fd(ctx: &mut Ctx<'_>, addr: u64, len: u64) -> bool {
    nla_value(ctx, addr, len, |ctx, fd: i32| ctx.fd_val(fd))
}

/// `IFLA_PROTO_DOWN_REASON`: mask and value in hex.
pub(super) fn proto_down_reason(ctx: &mut Ctx<'_>, fam: u8, addr: u64, len: u64) -> bool {
    nlattrs(
        ctx,
        addr,
        len,
        (
            nx::RTNL_IFLA_PROTO_DOWN_REASON_ATTRS,
            "IFLA_PROTO_DOWN_REASON_???",
        ),
        |ctx, _fam, typ, addr, len| (typ == 1 || typ == 2) && nla_x32(ctx, addr, len),
        fam,
    );
    true
}

/// `decode_nla_x32`: a `u32` in hex.
fn nla_x32(ctx: &mut Ctx<'_>, addr: u64, len: u64) -> bool {
    nla_value(ctx, addr, len, |ctx, v: u32| {
        let _ = write!(ctx.out, "{}", text::Hx(u64::from(v)));
    })
}

/// `IFLA_AF_SPEC`: bridge attributes for AF_BRIDGE, else one nest per address family.
pub(super) fn af_spec(ctx: &mut Ctx<'_>, fam: u8, addr: u64, len: u64) -> bool {
    if fam == AF_BRIDGE {
        nlattrs(
            ctx,
            addr,
            len,
            (nx::RTNL_IFLA_AF_SPEC_BRIDGE_ATTRS, "IFLA_BRIDGE_???"),
            af_spec_bridge_attr,
            fam,
        );
        return true;
    }
    nlattrs(
        ctx,
        addr,
        len,
        (nx::ADDRFAMS, "AF_???"),
        |ctx, fam, typ, addr, len| {
            match typ {
                // AF_INET: IFLA_INET_CONF, an indexed int array.
                2 => nlattrs(
                    ctx,
                    addr,
                    len,
                    (nx::RTNL_IFLA_AF_SPEC_INET_ATTRS, "IFLA_INET_???"),
                    |ctx, _fam, typ, addr, len| {
                        let n = len / 4;
                        typ == 1 && n > 0 && {
                            array(
                                ctx,
                                addr,
                                n,
                                4,
                                Some((nx::INET_DEVCONF_INDICES, "IPV4_DEVCONF_???")),
                                |c, b| {
                                    let _ = write!(c.out, "{}", u32_at(b, 0) as i32);
                                },
                            );
                            true
                        }
                    },
                    fam,
                ),
                10 => nlattrs(
                    ctx,
                    addr,
                    len,
                    (nx::RTNL_IFLA_AF_SPEC_INET6_ATTRS, "IFLA_INET6_???"),
                    inet6_attr,
                    fam,
                ),
                // AF_MCTP: IFLA_MCTP_NET.
                45 => nlattrs(
                    ctx,
                    addr,
                    len,
                    (nx::RTNL_IFLA_AF_SPEC_MCTP_ATTRS, "IFLA_MCTP_???"),
                    |ctx, _fam, typ, addr, len| typ == 1 && nla_int::<u32>(ctx, addr, len),
                    fam,
                ),
                _ => ctx.buf_ex(addr, len, true),
            }
            true
        },
        fam,
    );
    true
}

fn af_spec_bridge_attr(ctx: &mut Ctx<'_>, fam: u8, typ: u16, addr: u64, len: u64) -> bool {
    match typ {
        0 => nla_flags(
            ctx,
            addr,
            len,
            2,
            nx::RTNL_IFLA_BRIDGE_FLAGS,
            "BRIDGE_FLAGS_???",
        ),
        1 => nla_xval::<u16>(
            ctx,
            addr,
            len,
            nx::RTNL_IFLA_BRIDGE_MODES,
            "BRIDGE_MODE_???",
        ),
        2 => {
            // struct bridge_vlan_info {flags, vid}, then any bytes past it.
            nla_struct(ctx, addr, len, 4, |ctx, b| {
                ctx.push("{flags=");
                ctx.flags(
                    nx::NL_BRIDGE_VLAN_FLAGS,
                    u64::from(u16_at(b, 0)),
                    "BRIDGE_VLAN_INFO_???",
                );
                let _ = write!(ctx.out, ", vid={}}}", u16_at(b, 2));
                if len > 4 {
                    ctx.comma();
                    ctx.buf_ex(addr + 4, len - 4, true);
                }
            })
        }
        3 => {
            nlattrs(
                ctx,
                addr,
                len,
                (
                    nx::RTNL_IFLA_AF_SPEC_BRIDGE_VLAN_TUNNEL_INFO_ATTRS,
                    "IFLA_BRIDGE_VLAN_TUNNEL_???",
                ),
                |ctx, _fam, typ, addr, len| match typ {
                    1 => nla_int::<u32>(ctx, addr, len),
                    2 => nla_int::<u16>(ctx, addr, len),
                    3 => nla_flags(
                        ctx,
                        addr,
                        len,
                        2,
                        nx::NL_BRIDGE_VLAN_FLAGS,
                        "BRIDGE_VLAN_INFO_???",
                    ),
                    _ => false,
                },
                fam,
            );
            true
        }
        _ => false,
    }
}

thread_local! {
    /// The kind and slave kind of the `IFLA_LINKINFO` being printed, as its `IFLA_INFO_KIND`
    /// and `IFLA_INFO_SLAVE_KIND` attributes set them (strace's `ifla_linkinfo_ctx`): the
    /// data attributes after them are decoded by kind.
    static LINK_KINDS: RefCell<(String, String)> = const { RefCell::new((String::new(), String::new())) };
}

/// `IFLA_LINKINFO`: kinds, and the data and statistics of the kinds strace knows (bridge,
/// tun, can; a bridge port).
pub(super) fn linkinfo(ctx: &mut Ctx<'_>, fam: u8, addr: u64, len: u64) -> bool {
    LINK_KINDS.with(|k| *k.borrow_mut() = (String::new(), String::new()));
    nlattrs(
        ctx,
        addr,
        len,
        (nx::RTNL_IFLA_INFO_ATTRS, "IFLA_INFO_???"),
        linkinfo_attr,
        fam,
    );
    true
}

/// strace's `update_ctx_str`: the kind when the payload is a string shorter than IFNAMSIZ.
fn kind_of(ctx: &Ctx<'_>, addr: u64, len: u64) -> String {
    const IFNAMSIZ: u64 = 16;
    if len >= IFNAMSIZ {
        return String::new();
    }
    ctx.read_bytes(addr, len as usize)
        .and_then(|b| {
            let end = b.iter().position(|&c| c == 0)?;
            Some(String::from_utf8_lossy(&b[..end]).into_owned())
        })
        .unwrap_or_default()
}

fn linkinfo_attr(ctx: &mut Ctx<'_>, fam: u8, typ: u16, addr: u64, len: u64) -> bool {
    let (kind, slave) = LINK_KINDS.with(|k| k.borrow().clone());
    match typ {
        1 | 4 => {
            let s = kind_of(ctx, addr, len);
            LINK_KINDS.with(|k| {
                let mut k = k.borrow_mut();
                if typ == 1 {
                    k.0 = s;
                } else {
                    k.1 = s;
                }
            });
            nla_str(ctx, addr, len)
        }
        2 if kind == "bridge" => {
            nlattrs(
                ctx,
                addr,
                len,
                (nx::RTNL_IFLA_INFO_DATA_BRIDGE_ATTRS, "IFLA_BR_???"),
                br_attr,
                fam,
            );
            true
        }
        2 if kind == "tun" => {
            nlattrs(
                ctx,
                addr,
                len,
                (nx::RTNL_IFLA_INFO_DATA_TUN_ATTRS, "IFLA_TUN_???"),
                tun_attr,
                fam,
            );
            true
        }
        3 if kind == "can" => u32_struct(
            ctx,
            addr,
            len,
            &[
                "bus_error",
                "error_warning",
                "error_passive",
                "bus_off",
                "arbitration_lost",
                "restarts",
            ],
        ),
        5 if slave == "bridge" => {
            brport_attrs(ctx, fam, addr, len);
            true
        }
        _ => false,
    }
}

/// `IFLA_BR_*`, by name (strace's `ifla_info_data_bridge_nla_decoders`).
fn br_attr(ctx: &mut Ctx<'_>, fam: u8, typ: u16, addr: u64, len: u64) -> bool {
    let Some(name) = text::lookup(nx::RTNL_IFLA_INFO_DATA_BRIDGE_ATTRS, u64::from(typ)) else {
        return false;
    };
    let name = &name["IFLA_BR_".len()..];
    match name {
        "FORWARD_DELAY"
        | "HELLO_TIME"
        | "MAX_AGE"
        | "AGEING_TIME"
        | "HELLO_TIMER"
        | "TCN_TIMER"
        | "TOPOLOGY_CHANGE_TIMER"
        | "GC_TIMER"
        | "MCAST_LAST_MEMBER_INTVL"
        | "MCAST_MEMBERSHIP_INTVL"
        | "MCAST_QUERIER_INTVL"
        | "MCAST_QUERY_INTVL"
        | "MCAST_QUERY_RESPONSE_INTVL"
        | "MCAST_STARTUP_QUERY_INTVL" => nla_clock(ctx, addr, len),
        "STP_STATE"
        | "ROOT_PATH_COST"
        | "MCAST_HASH_ELASTICITY"
        | "MCAST_HASH_MAX"
        | "MCAST_LAST_MEMBER_CNT"
        | "MCAST_STARTUP_QUERY_CNT" => nla_int::<u32>(ctx, addr, len),
        "PRIORITY" | "ROOT_PORT" | "VLAN_DEFAULT_PVID" => nla_int::<u16>(ctx, addr, len),
        "VLAN_FILTERING"
        | "TOPOLOGY_CHANGE"
        | "TOPOLOGY_CHANGE_DETECTED"
        | "MCAST_ROUTER"
        | "MCAST_SNOOPING"
        | "MCAST_QUERY_USE_IFADDR"
        | "MCAST_QUERIER"
        | "NF_CALL_IPTABLES"
        | "NF_CALL_IP6TABLES"
        | "NF_CALL_ARPTABLES"
        | "VLAN_STATS_ENABLED"
        | "MCAST_STATS_ENABLED"
        | "MCAST_IGMP_VERSION"
        | "MCAST_MLD_VERSION"
        | "VLAN_STATS_PER_PORT" => nla_int::<u8>(ctx, addr, len),
        "VLAN_PROTOCOL" => nla_value(ctx, addr, len, |ctx, v: u16| {
            ctx.push("htons(");
            ctx.xval(
                nx::ETHERNET_PROTOCOLS,
                u64::from(u16::from_be(v)),
                "ETHER_P_???",
            );
            ctx.push(")");
        }),
        "GROUP_FWD_MASK" => nla_x16(ctx, addr, len),
        "ROOT_ID" | "BRIDGE_ID" => bridge_id(ctx, addr, len),
        "GROUP_ADDR" => nla_hwaddr(ctx, addr, len, None),
        "MULTI_BOOLOPT" => nla_struct(ctx, addr, len, 8, |ctx, b| {
            ctx.push("{optval=");
            let t = nx::RTNL_IFLA_BR_BOOLOPT_FLAGS;
            ctx.flags(t, u64::from(u32_at(b, 0)), "1<<BR_BOOLOPT_???");
            ctx.push(", optmask=");
            ctx.flags(t, u64::from(u32_at(b, 4)), "1<<BR_BOOLOPT_???");
            ctx.push("}");
        }),
        "MCAST_QUERIER_STATE" => {
            nlattrs(
                ctx,
                addr,
                len,
                (nx::RTNL_IFLA_BR_MCAST_QUERIER_ATTRS, "BRIDGE_QUERIER_???"),
                |ctx, _fam, typ, addr, len| match typ {
                    1 => nla_inet_addr(ctx, AF_INET, addr, len),
                    2 | 6 => nla_ifindex(ctx, addr, len),
                    3 | 7 => nla_clock(ctx, addr, len),
                    5 => nla_inet_addr(ctx, AF_INET6, addr, len),
                    _ => false,
                },
                fam,
            );
            true
        }
        _ => false,
    }
}

/// `IFLA_TUN_*`.
fn tun_attr(ctx: &mut Ctx<'_>, _fam: u8, typ: u16, addr: u64, len: u64) -> bool {
    match typ {
        1 | 2 => nla_value(ctx, addr, len, |ctx, v: u32| match v {
            u32::MAX => ctx.push("-1"),
            v => {
                let _ = write!(ctx.out, "{v}");
            }
        }),
        3 => nla_xval::<u8>(ctx, addr, len, nx::TUN_DEVICE_TYPES, "IFF_???"),
        4..=7 => nla_int::<u8>(ctx, addr, len),
        8 | 9 => nla_int::<u32>(ctx, addr, len),
        _ => false,
    }
}
