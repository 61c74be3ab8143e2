//! The attributes of multicast database messages (strace's `rtnl_mdb.c`): database entries
//! (`struct br_mdb_entry` and their extra attributes) and router ports.

use std::fmt::Write as _;

use super::{
    align4, ifindex, inet_addr, nested_lists, nla_clock, nla_struct, nlattrs, nx, u16_at, u32_at,
    Ctx, AF_INET, AF_INET6,
};

/// `MDBA_MDB`, `MDBA_ROUTER` of a `br_port_msg`.
pub(super) fn attr(ctx: &mut Ctx<'_>, fam: u8, typ: u16, addr: u64, len: u64) -> bool {
    match typ {
        1 => nested_lists(
            ctx,
            addr,
            len,
            (nx::RTNL_MDBA_MDB_ATTRS, "MDBA_MDB_???"),
            (nx::RTNL_MDBA_MDB_ENTRY_ATTRS, "MDBA_MDB_ENTRY_???"),
            |ctx, _fam, typ, addr, len| typ == 1 && entry_info(ctx, addr, len),
            fam,
        ),
        2 => nlattrs(
            ctx,
            addr,
            len,
            (nx::RTNL_MDBA_ROUTER_ATTRS, "MDBA_ROUTER_???"),
            |ctx, _fam, typ, addr, len| typ == 1 && router_port(ctx, addr, len),
            fam,
        ),
        _ => return false,
    }
    true
}

/// `struct br_mdb_entry`, then `MDBA_MDB_EATTR_*` attributes.
fn entry_info(ctx: &mut Ctx<'_>, addr: u64, len: u64) -> bool {
    const SIZE: u64 = 28;
    nla_struct(ctx, addr, len, SIZE as usize, |ctx, b| {
        ctx.push("{ifindex=");
        ifindex(ctx, u32_at(b, 0));
        ctx.push(", state=");
        ctx.xval(nx::MDB_STATES, u64::from(b[4]), "MDB_???");
        ctx.push(", flags=");
        ctx.flags(nx::MDB_FLAGS, u64::from(b[5]), "MDB_FLAGS_???");
        let _ = write!(ctx.out, ", vid={}, addr={{", u16_at(b, 6));
        let proto = u16::from_be(u16_at(b, 24));
        let family = match proto {
            2 => AF_INET,
            10 => AF_INET6,
            _ => 0,
        };
        inet_addr(ctx, family, &b[8..24], Some("u"));
        ctx.push(", proto=htons(");
        ctx.xval(nx::ADDRFAMS, u64::from(proto), "AF_???");
        ctx.push(")}}");
        let off = align4(SIZE);
        if len > off {
            ctx.comma();
            nlattrs(
                ctx,
                addr + off,
                len - off,
                (nx::RTNL_MDBA_MDB_EATTR_ATTRS, "MDBA_MDB_EATTR_???"),
                |ctx, _fam, typ, addr, len| typ == 1 && nla_clock(ctx, addr, len),
                0,
            );
        }
    })
}

/// `MDBA_ROUTER_PORT`: an interface index, then `MDBA_ROUTER_PATTR_*` attributes.
fn router_port(ctx: &mut Ctx<'_>, addr: u64, len: u64) -> bool {
    if len < 4 {
        return false;
    }
    match ctx.read::<u32>(addr) {
        Some(i) => ifindex(ctx, i),
        None => ctx.addr(addr),
    }
    if len > 4 {
        ctx.comma();
        nlattrs(
            ctx,
            addr + 4,
            len - 4,
            (nx::RTNL_MDBA_ROUTER_PATTR_ATTRS, "MDBA_ROUTER_PATTR_???"),
            |ctx, _fam, typ, addr, len| match typ {
                1 | 3 | 4 => nla_clock(ctx, addr, len),
                2 => {
                    match ctx.read::<u8>(addr) {
                        Some(t) => {
                            ctx.xval(nx::MULTICAST_ROUTER_TYPES, u64::from(t), "MDB_RTR_TYPE_???")
                        }
                        None => ctx.addr(addr),
                    }
                    true
                }
                _ => false,
            },
            0,
        );
    }
    true
}
