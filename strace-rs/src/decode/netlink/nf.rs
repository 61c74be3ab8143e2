//! NETLINK_NETFILTER (strace's `netlink_netfilter.c` and the netfilter parts of `netlink.c`):
//! message types split into a subsystem and its message (`NFNL_SUBSYS_CTNETLINK<<8|
//! IPCTNL_MSG_CT_NEW`), flags by message kind, the `nfgenmsg` header and its attributes.

use std::fmt::Write as _;

use super::{nlattrs, no_attr, nx, Ctx, Extra, Hdr, NLMSG_DONE, NLMSG_MIN_TYPE};
use crate::text::{self, Xlat};

const NFNL_SUBSYS_NFTABLES: u16 = 10;

/// The message types of subsystem `id` and their default (strace's `nf_nlmsg_types`).
fn subsys_types(id: u8) -> Option<(Xlat, &'static str)> {
    Some(match id {
        1 => (nx::NF_CTNETLINK_MSG_TYPES, "IPCTNL_MSG_CT_???"),
        2 => (nx::NF_CTNETLINK_EXP_MSG_TYPES, "IPCTNL_MSG_EXP_???"),
        3 => (nx::NF_QUEUE_MSG_TYPES, "NFQNL_MSG_???"),
        4 => (nx::NF_ULOG_MSG_TYPES, "NFULNL_MSG_???"),
        5 => (nx::NF_OSF_MSG_TYPES, "OSF_MSG_???"),
        6 => (nx::NF_IPSET_MSG_TYPES, "IPSET_CMD_???"),
        7 => (nx::NF_ACCT_MSG_TYPES, "NFNL_MSG_ACCT_???"),
        8 => (nx::NF_CTTIMEOUT_MSG_TYPES, "IPCTNL_MSG_TIMEOUT_???"),
        9 => (nx::NF_CTHELPER_MSG_TYPES, "NFNL_MSG_CTHELPER_???"),
        10 => (nx::NF_NFTABLES_MSG_TYPES, "NFT_MSG_???"),
        11 => (nx::NF_NFT_COMPAT_MSG_TYPES, "NFNL_MSG_COMPAT_???"),
        12 => (nx::NF_HOOK_MSG_TYPES, "NFT_MSG_HOOK_???"),
        _ => return None,
    })
}

/// `nlmsg_type` of a netfilter message at or above `NLMSG_MIN_TYPE`
/// (`decode_nlmsg_type_netfilter`).
pub(super) fn print_type(ctx: &mut Ctx<'_>, typ: u16) {
    if let Some(name) = text::lookup(nx::NL_NETFILTER_MSG_TYPES, u64::from(typ)) {
        text::named(&mut ctx.out, ctx.opts.xlat, &format!("{typ:#x}"), name);
        return;
    }
    let (id, msg) = ((typ >> 8) as u8, typ as u8);
    ctx.xval(
        nx::NL_NETFILTER_SUBSYS_IDS,
        u64::from(id),
        "NFNL_SUBSYS_???",
    );
    ctx.push("<<8|");
    match subsys_types(id) {
        Some((table, dflt)) => ctx.xval(table, u64::from(msg), dflt),
        // Subsystem 0 has no table in strace (a NULL xlat): the number alone.
        None => {
            let _ = write!(ctx.out, "{}", text::Hx(u64::from(msg)));
        }
    }
}

/// The kind of `nlmsg_flags` of a netfilter message (`decode_nlmsg_flags_netfilter`; the
/// numbers are the kernel's enums of each subsystem).
pub(super) fn flags_kind(typ: u16) -> Extra {
    let (id, msg) = ((typ >> 8) as u8, typ as u8);
    match (id, msg) {
        // ctnetlink: NEW, GET, DELETE, GET_CTRZERO, GET_STATS_CPU, GET_STATS, GET_DYING,
        // GET_UNCONFIRMED.
        (1, 0) => Extra::New,
        (1, 1 | 3..=7) => Extra::Get,
        (1, 2) => Extra::Delete,
        // ctnetlink_exp: NEW, GET, DELETE, GET_STATS_CPU.
        (2, 0) => Extra::New,
        (2, 1 | 3) => Extra::Get,
        (2, 2) => Extra::Delete,
        // acct: NEW, GET, GET_CTRZERO, DEL.
        (7, 0) => Extra::New,
        (7, 1 | 2) => Extra::Get,
        (7, 3) => Extra::Delete,
        // cttimeout and cthelper: NEW, GET, DELETE.
        (8 | 9, 0) => Extra::New,
        (8 | 9, 1) => Extra::Get,
        (8 | 9, 2) => Extra::Delete,
        // nftables: NEW/GET/DEL of tables, chains, rules, sets, set elements (0-14), then
        // NEWGEN, GETGEN, TRACE, NEWOBJ, GETOBJ, DELOBJ, GETOBJ_RESET, NEWFLOWTABLE,
        // GETFLOWTABLE, DELFLOWTABLE.
        (10, 0..=14) => [Extra::New, Extra::Get, Extra::Delete][usize::from(msg % 3)],
        (10, 15 | 18 | 22) => Extra::New,
        (10, 16 | 19 | 21 | 23) => Extra::Get,
        (10, 20 | 24) => Extra::Delete,
        // nft_compat GET, hook GET.
        (11 | 12, 0) => Extra::Get,
        _ => Extra::None,
    }
}

/// The payload: `nfgenmsg` then attributes (`decode_netlink_netfilter`).
pub(super) fn payload(ctx: &mut Ctx<'_>, h: &Hdr, addr: u64, len: u64) -> bool {
    if h.typ == NLMSG_DONE {
        return false;
    }
    if len < 4 {
        ctx.buf_ex(addr, len, true);
        return true;
    }
    let Some(b) = ctx.read_bytes(addr, 4) else {
        ctx.addr(addr);
        return true;
    };
    let raw_res = u16::from_ne_bytes([b[2], b[3]]);
    let res_id = u16::from_be(raw_res);
    let nftables = (h.typ >> 8) == NFNL_SUBSYS_NFTABLES;
    ctx.push("{nfgen_family=");
    ctx.xval(nx::ADDRFAMS, u64::from(b[0]), "AF_???");
    ctx.push(", version=");
    ctx.xval(nx::NETFILTER_VERSIONS, u64::from(b[1]), "NFNETLINK_???");
    ctx.push(", res_id=");
    // strace works around the wrong byte order some programs use (linux v4.3-rc1~28^2~47^2~1).
    let num = format!("{}", text::Hx(u64::from(raw_res)));
    if nftables && res_id == NFNL_SUBSYS_NFTABLES {
        text::named(
            &mut ctx.out,
            ctx.opts.xlat,
            &num,
            "htons(NFNL_SUBSYS_NFTABLES)",
        );
    } else if nftables && raw_res == NFNL_SUBSYS_NFTABLES {
        text::named(&mut ctx.out, ctx.opts.xlat, &num, "NFNL_SUBSYS_NFTABLES");
    } else {
        let _ = write!(ctx.out, "htons({res_id})");
    }
    ctx.push("}");
    if len > 4 {
        ctx.comma();
        if (0x10..=0x11).contains(&h.typ) || h.typ < NLMSG_MIN_TYPE {
            ctx.buf_ex(addr + 4, len - 4, true);
        } else {
            nlattrs(ctx, addr + 4, len - 4, (&[], ""), no_attr, 0);
        }
    }
    true
}
