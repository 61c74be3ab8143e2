//! RTM_NEWCACHEREPORT (strace's `rtnl_cachereport.c`): `rtgenmsg` then the attributes of the
//! IPv4 or IPv6 multicast routing cache report, by family.

use super::{nla_inet_addr, nla_int, nla_xval, nlattrs, nx, Ctx, AF_INET, AF_INET6};
use crate::text;

const RTNL_FAMILY_IPMR: u8 = 128;
const RTNL_FAMILY_IP6MR: u8 = 129;

pub(super) fn cachereport(ctx: &mut Ctx<'_>, family: u8, addr: u64, len: u64) {
    ctx.push("{rtgen_family=");
    let v = u64::from(family);
    if text::lookup(nx::RTNL_FAMILY, v).is_some() {
        ctx.xval(nx::RTNL_FAMILY, v, "RTNL_FAMILY_???");
    } else {
        ctx.xval(nx::ADDRFAMS, v, "RTNL_FAMILY_???");
    }
    ctx.push("}");
    if len <= 4 {
        return;
    }
    ctx.comma();
    let (addr, len) = (addr + 4, len - 4);
    match family {
        RTNL_FAMILY_IPMR => nlattrs(
            ctx,
            addr,
            len,
            (nx::RTNL_IPMRA_CREPORT_ATTR, "IPMRA_CREPORT_???"),
            ipmra_attr,
            AF_INET,
        ),
        RTNL_FAMILY_IP6MR => nlattrs(
            ctx,
            addr,
            len,
            (nx::RTNL_IP6MRA_CREPORT_ATTR, "IP6MRA_CREPORT_???"),
            ip6mra_attr,
            AF_INET6,
        ),
        _ => ctx.buf_ex(addr, len, true),
    }
}

/// IPMRA_CREPORT_*: message type, vif id, source and destination, table.
fn ipmra_attr(ctx: &mut Ctx<'_>, fam: u8, typ: u16, addr: u64, len: u64) -> bool {
    match typ {
        1 => nla_xval::<u8>(ctx, addr, len, nx::RTNL_IPMRA_MSG_TYPES, "IGMPMSG_???"),
        2 | 6 => nla_int::<u32>(ctx, addr, len),
        3 | 4 => nla_inet_addr(ctx, fam, addr, len),
        _ => false,
    }
}

/// IP6MRA_CREPORT_*: message type, mif id, source and destination.
fn ip6mra_attr(ctx: &mut Ctx<'_>, fam: u8, typ: u16, addr: u64, len: u64) -> bool {
    match typ {
        1 => nla_xval::<u8>(ctx, addr, len, nx::RTNL_IP6MRA_MSG_TYPES, "MRT6MSG_???"),
        2 => nla_int::<u32>(ctx, addr, len),
        3 | 4 => nla_inet_addr(ctx, fam, addr, len),
        _ => false,
    }
}
