//! The attributes of `inet_diag_msg` strace decodes beyond plain integers (strace's
//! `netlink_inet_diag.c`): memory and congestion-control information, shutdown flags, the
//! protocol, local and peer addresses, MD5 signatures, ULP (TLS, MPTCP) information, BPF
//! socket storages and socket options.

use std::fmt::Write as _;

use super::{
    inet_addr, nested_lists, nla_int, nla_str, nla_struct, nla_value, nlattrs, nx, u16_at, u32_at,
    u32_struct, Ctx,
};
use crate::text::{self, XlatStyle};

/// `INET_DIAG_*` attributes other than the plain ones in `netlink.rs`.
pub(super) fn attr(ctx: &mut Ctx<'_>, fam: u8, typ: u16, addr: u64, len: u64) -> bool {
    match typ {
        1 => u32_struct(
            ctx,
            addr,
            len,
            &["idiag_rmem", "idiag_wmem", "idiag_fmem", "idiag_tmem"],
        ),
        3 => u32_struct(
            ctx,
            addr,
            len,
            &["tcpv_enabled", "tcpv_rttcnt", "tcpv_rtt", "tcpv_minrtt"],
        ),
        8 => {
            // The RCV_SHUTDOWN/SEND_SHUTDOWN names are not UAPI: always with the number.
            nla_value(ctx, addr, len, |ctx, v: u8| {
                let style = if ctx.opts.xlat == XlatStyle::Raw {
                    XlatStyle::Raw
                } else {
                    XlatStyle::Verbose
                };
                text::flags(
                    &mut ctx.out,
                    style,
                    nx::INET_DIAG_SHUTDOWN_FLAGS,
                    u64::from(v),
                    "???_SHUTDOWN",
                );
            })
        }
        9 => {
            // struct tcp_dctcp_info
            nla_struct(ctx, addr, len, 16, |ctx, b| {
                let _ = write!(
                    ctx.out,
                    "{{dctcp_enabled={}, dctcp_ce_state={}, dctcp_alpha={}, dctcp_ab_ecn={}, \
                 dctcp_ab_tot={}}}",
                    u16_at(b, 0),
                    u16_at(b, 2),
                    u32_at(b, 4),
                    u32_at(b, 8),
                    u32_at(b, 12)
                );
            })
        }
        10 => super::nla_flags_or_xval(ctx, addr, len, 0, nx::INET_PROTOCOLS, "IPPROTO_???", false),
        12 | 13 => {
            // struct sockaddr_storage array.
            let n = len / 128;
            if n == 0 {
                return false;
            }
            let mut i = 0;
            ctx.array(addr, n, 128, &mut |c, _b| {
                super::super::structs::sockaddr(c, addr + 128 * i, 128);
                i += 1;
            });
            true
        }
        16 => {
            // struct tcp_bbr_info
            nla_struct(ctx, addr, len, 20, |ctx, b| {
                let _ = write!(
                    ctx.out,
                    "{{bbr_bw_lo={}, bbr_bw_hi={}, bbr_min_rtt={}, bbr_pacing_gain={}, \
                 bbr_cwnd_gain={}}}",
                    text::Hx(u64::from(u32_at(b, 0))),
                    text::Hx(u64::from(u32_at(b, 4))),
                    u32_at(b, 8),
                    u32_at(b, 12),
                    u32_at(b, 16)
                );
            })
        }
        18 => {
            // struct tcp_diag_md5sig array.
            let n = len / 100;
            if n == 0 {
                return false;
            }
            ctx.array(addr, n, 100, &mut |c, b| {
                c.push("{tcpm_family=");
                c.xval(nx::ADDRFAMS, u64::from(b[0]), "AF_???");
                let keylen = u16_at(b, 2);
                let _ = write!(c.out, ", tcpm_prefixlen={}, tcpm_keylen={keylen}, ", b[1]);
                inet_addr(c, b[0], &b[4..20], Some("tcpm_addr"));
                c.push(", tcpm_key=");
                let k = usize::from(keylen).min(80);
                text::quote(&mut c.out, &b[20..20 + k], c.opts.hex, true);
                c.push("}");
            });
            true
        }
        19 => {
            nlattrs(
                ctx,
                addr,
                len,
                (nx::INET_DIAG_ULP_INFO_ATTRS, "INET_ULP_INFO_???"),
                ulp_attr,
                fam,
            );
            true
        }
        20 => {
            nested_lists(
                ctx,
                addr,
                len,
                (nx::INET_DIAG_BPF_STORAGES_ATTRS, "SK_DIAG_BPF_STORAGE_???"),
                (nx::INET_DIAG_BPF_STORAGE_ATTRS, "SK_DIAG_BPF_STORAGE_???"),
                |ctx, _fam, typ, addr, len| match typ {
                    2 => nla_int::<u32>(ctx, addr, len),
                    3 => nla_xint(ctx, addr, len),
                    _ => false,
                },
                fam,
            );
            true
        }
        22 => sockopt(ctx, addr, len),
        _ => false,
    }
}

/// `decode_nla_xint`: a payload of 1, 2, 4 or 8 bytes as a number in hex.
fn nla_xint(ctx: &mut Ctx<'_>, addr: u64, len: u64) -> bool {
    if !matches!(len, 1 | 2 | 4 | 8) {
        return false;
    }
    let Some(b) = ctx.read_bytes(addr, len as usize) else {
        ctx.addr(addr);
        return true;
    };
    let mut v = [0u8; 8];
    v[..b.len()].copy_from_slice(&b);
    let _ = write!(ctx.out, "{}", text::Hx(u64::from_le_bytes(v)));
    true
}

/// A `u16` constant of `table` (strace's `decode_nla_xval` with size 2).
fn nla_u16_xval(ctx: &mut Ctx<'_>, addr: u64, len: u64, table: text::Xlat, dflt: &str) -> bool {
    super::nla_flags_or_xval(ctx, addr, len, 2, table, dflt, false)
}

fn ulp_attr(ctx: &mut Ctx<'_>, fam: u8, typ: u16, addr: u64, len: u64) -> bool {
    match typ {
        1 => nla_str(ctx, addr, len),
        2 => {
            nlattrs(
                ctx,
                addr,
                len,
                (nx::INET_DIAG_ULP_INFO_TLS_ATTRS, "TLS_INFO_???"),
                |ctx, _fam, typ, addr, len| match typ {
                    1 => nla_u16_xval(ctx, addr, len, nx::TLS_INFO_VERSIONS, "TLS_???_VERSION"),
                    2 => nla_u16_xval(ctx, addr, len, nx::TLS_INFO_CIPHERS, "TLS_CIPHER_???"),
                    3 | 4 => nla_u16_xval(ctx, addr, len, nx::TLS_INFO_CONFIGS, "TLS_CONF_???"),
                    _ => false,
                },
                fam,
            );
            true
        }
        3 => {
            nlattrs(
                ctx,
                addr,
                len,
                (nx::INET_DIAG_ULP_INFO_MPTCP_ATTRS, "MPTCP_SUBFLOW_ATTR_???"),
                |ctx, _fam, typ, addr, len| match typ {
                    1 | 2 => {
                        len >= 4 && {
                            match ctx.read::<u32>(addr) {
                                Some(v) => {
                                    let _ = write!(ctx.out, "{}", text::Hx(u64::from(v)));
                                }
                                None => ctx.addr(addr),
                            }
                            true
                        }
                    }
                    3 | 5 | 6 => nla_int::<u32>(ctx, addr, len),
                    4 => nla_int::<u64>(ctx, addr, len),
                    7 => nla_int::<u16>(ctx, addr, len),
                    8 => super::nla_flags(
                        ctx,
                        addr,
                        len,
                        4,
                        nx::MPTCP_SUBFLOW_FLAGS,
                        "MPTCP_SUBFLOW_FLAG_???",
                    ),
                    9 | 10 => nla_int::<u8>(ctx, addr, len),
                    _ => false,
                },
                fam,
            );
            true
        }
        _ => false,
    }
}

/// `struct inet_diag_sockopt`: its bits (abbreviated, only those set), then any non-zero
/// bytes after it.
fn sockopt(ctx: &mut Ctx<'_>, addr: u64, len: u64) -> bool {
    const BITS: [&str; 11] = [
        "recverr",
        "is_icsk",
        "freebind",
        "hdrincl",
        "mc_loop",
        "transparent",
        "mc_all",
        "nodefrag",
        "bind_address_no_port",
        "recverr_rfc4884",
        "defer_connect",
    ];
    nla_struct(ctx, addr, len, 2, |ctx, b| {
        let v = u16::from(b[0]) | u16::from(b[1]) << 8;
        let abbrev = !ctx.opts.verbose;
        let mut first = true;
        ctx.push("{");
        for (i, name) in BITS.iter().enumerate() {
            let bit = (v >> i) & 1;
            if abbrev && bit == 0 {
                continue;
            }
            if !first {
                ctx.comma();
            }
            first = false;
            let _ = write!(ctx.out, "{name}={bit}");
        }
        let unused = v >> 11;
        if !abbrev || unused != 0 {
            if !first {
                ctx.comma();
            }
            let _ = write!(
                ctx.out,
                "unused={} /* bits 3..8 */",
                text::Hx(u64::from(unused))
            );
        }
        ctx.push("}");
        // print_nonzero_bytes up to a page.
        let total = len.min(4096);
        if total > 2 {
            match ctx.read_bytes(addr + 2, (total - 2) as usize) {
                None => {
                    ctx.comma();
                    ctx.push("???");
                }
                Some(rest) if rest.iter().any(|&c| c != 0) => {
                    let _ = write!(ctx.out, ", /* bytes 2..{} */ ", total - 1);
                    let size = rest.len().min(ctx.opts.max_strlen);
                    text::quote(&mut ctx.out, &rest[..size], ctx.opts.hex, true);
                    if size < rest.len() {
                        ctx.push("...");
                    }
                }
                Some(_) => {}
            }
        }
    })
}
