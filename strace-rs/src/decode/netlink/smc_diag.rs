//! NETLINK_SOCK_DIAG requests and answers of AF_SMC sockets (strace's `netlink_smc_diag.c`).

use std::fmt::Write as _;

use super::{
    family_header, nla_flags, nla_struct, nlattrs, nx, sockid, u16_at, u32_at, Ctx, AF_INET,
};
use crate::text::{self, XlatStyle};

/// `struct smc_diag_req`.
pub(super) fn req(ctx: &mut Ctx<'_>, family: u8, addr: u64, len: u64) -> bool {
    let Some(b) = family_header(ctx, "diag_family", family, addr, len, 52) else {
        return true;
    };
    ctx.push("diag_ext=");
    ctx.flags(
        nx::SMC_DIAG_EXTENDED_FLAGS,
        u64::from(b[3]),
        "1<<SMC_DIAG_???-1",
    );
    // AF_SMC sockets keep an AF_INET address.
    ctx.push(", id=");
    sockid(ctx, AF_INET, &b, 4);
    ctx.push("}");
    true
}

/// `struct smc_diag_msg`, then `SMC_DIAG_*` attributes.
pub(super) fn msg(ctx: &mut Ctx<'_>, family: u8, addr: u64, len: u64) -> bool {
    const SIZE: u64 = 64;
    let Some(b) = family_header(ctx, "diag_family", family, addr, len, SIZE as usize) else {
        return true;
    };
    ctx.push("diag_state=");
    ctx.xval(nx::SMC_STATES, u64::from(b[1]), "SMC_???");
    ctx.push(", diag_fallback=");
    ctx.xval(nx::SMC_DIAG_MODE, u64::from(b[2]), "SMC_DIAG_MODE_???");
    let _ = write!(ctx.out, ", diag_shutdown={}, id=", b[3]);
    sockid(ctx, AF_INET, &b, 4);
    let inode = u64::from_ne_bytes(b[56..64].try_into().unwrap());
    let _ = write!(
        ctx.out,
        ", diag_uid={}, diag_inode={inode}}}",
        u32_at(&b, 52)
    );
    if len > SIZE {
        ctx.comma();
        nlattrs(
            ctx,
            addr + SIZE,
            len - SIZE,
            (nx::SMC_DIAG_ATTRS, "SMC_DIAG_???"),
            attr,
            family,
        );
    }
    true
}

/// `struct smc_diag_cursor` at `o`.
fn cursor(ctx: &mut Ctx<'_>, name: &str, b: &[u8], o: usize) {
    let _ = write!(
        ctx.out,
        "{name}={{reserved={}, wrap={}, count={}}}",
        u16_at(b, o),
        u16_at(b, o + 2),
        u32_at(b, o + 4)
    );
}

/// A NUL-terminated string in a fixed array (`PRINT_FIELD_CSTRING`).
fn cstring(ctx: &mut Ctx<'_>, name: &str, b: &[u8]) {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    let _ = write!(ctx.out, "{name}=");
    text::quote(&mut ctx.out, &b[..end], ctx.opts.hex, false);
    if end == b.len() {
        ctx.push("...");
    }
}

fn attr(ctx: &mut Ctx<'_>, _fam: u8, typ: u16, addr: u64, len: u64) -> bool {
    match typ {
        // SMC_DIAG_CONNINFO: struct smc_diag_conninfo.
        1 => nla_struct(ctx, addr, len, 76, |ctx, b| {
            let _ = write!(
                ctx.out,
                "{{token={}, sndbuf_size={}, rmbe_size={}, peer_rmbe_size={}, ",
                u32_at(b, 0),
                u32_at(b, 4),
                u32_at(b, 8),
                u32_at(b, 12)
            );
            for (i, n) in ["rx_prod", "rx_cons", "tx_prod", "tx_cons"]
                .iter()
                .enumerate()
            {
                cursor(ctx, n, b, 16 + 8 * i);
                ctx.comma();
            }
            for (i, n) in [
                "rx_prod_flags",
                "rx_conn_state_flags",
                "tx_prod_flags",
                "tx_conn_state_flags",
            ]
            .iter()
            .enumerate()
            {
                let _ = write!(ctx.out, "{n}={:#04x}, ", b[48 + i]);
            }
            for (i, n) in ["tx_prep", "tx_sent", "tx_fin"].iter().enumerate() {
                if i > 0 {
                    ctx.comma();
                }
                cursor(ctx, n, b, 52 + 8 * i);
            }
            ctx.push("}");
        }),
        // SMC_DIAG_LGRINFO: struct smc_diag_lgrinfo {lnk[1], role}.
        2 => nla_struct(ctx, addr, len, 147, |ctx, b| {
            let _ = write!(ctx.out, "{{lnk=[{{link_id={}, ", b[0]);
            cstring(ctx, "ibname", &b[1..65]);
            let _ = write!(ctx.out, ", ibport={}, ", b[65]);
            cstring(ctx, "gid", &b[66..106]);
            ctx.comma();
            cstring(ctx, "peer_gid", &b[106..146]);
            ctx.push("}], role=");
            ctx.xval(nx::SMC_LINK_GROUP_ROLES, u64::from(b[146]), "SMC_???");
            ctx.push("}");
        }),
        3 => nla_flags(ctx, addr, len, 1, nx::SOCK_SHUTDOWN_FLAGS, "???_SHUTDOWN"),
        // SMC_DIAG_DMBINFO: struct smcd_diag_dmbinfo.
        4 => nla_struct(ctx, addr, len, 40, |ctx, b| {
            let q = |o: usize| text::Hx(u64::from_ne_bytes(b[o..o + 8].try_into().unwrap()));
            let _ = write!(
                ctx.out,
                "{{linkid={}, peer_gid={}, my_gid={}, token={}, peer_token={}}}",
                u32_at(b, 0),
                q(8),
                q(16),
                q(24),
                q(32)
            );
        }),
        // SMC_DIAG_FALLBACK: the codes are not UAPI, so always with the number.
        5 => {
            nla_struct(ctx, addr, len, 8, |ctx, b| {
                // Raw stays raw (PRINT_FIELD_XVAL_VERBOSE).
                let style = match ctx.opts.xlat {
                    XlatStyle::Raw => XlatStyle::Raw,
                    _ => XlatStyle::Verbose,
                };
                for (i, n) in ["reason", "peer_diagnosis"].iter().enumerate() {
                    let _ = write!(ctx.out, "{}{n}=", if i == 0 { "{" } else { ", " });
                    text::xval(
                        &mut ctx.out,
                        style,
                        nx::SMC_DECL_CODES,
                        u64::from(u32_at(b, 4 * i)),
                        "SMC_CLC_DECL_???",
                        true,
                    );
                }
                ctx.push("}");
            })
        }
        _ => false,
    }
}
