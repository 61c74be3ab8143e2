//! Socket addresses as strace's `sockaddr.c` prints them: `{sa_family=AF_INET,
//! sin_port=htons(80), sin_addr=inet_addr("127.0.0.1")}`, for every family strace decodes
//! (UNIX, INET, INET6, IPX, AX.25, X.25, NETLINK, PACKET, BLUETOOTH, RXRPC, IEEE 802.15.4,
//! ALG, NFC, VSOCK, QIPCRTR, XDP, MCTP); other families, and addresses too short for their
//! family, print their bytes as `sa_data`. Every field follows `-X raw|abbrev|verbose`.

use std::fmt::Write as _;

use super::net_xlat as sx;
use super::netlink::{hwaddr, ifindex, inet_addr, net_port, nla_mac};
use super::netlink_xlat as nx;
use super::{Abi, Ctx};
use crate::text::{self, XlatStyle};

/// `sizeof(struct sockaddr_storage)`: no more of an address is read.
const STORAGE: usize = 128;

/// The address of `len` bytes at `addr` (strace's `decode_sockaddr`): the address itself
/// when `len` is under 2 or it cannot be read. Returns the family, when printed.
pub fn decode(ctx: &mut Ctx<'_>, addr: u64, len: i32) -> Option<u16> {
    if len < 2 {
        ctx.addr(addr);
        return None;
    }
    let len = (len as usize).min(STORAGE);
    let Some(b) = ctx.read_bytes(addr, len).filter(|_| addr != 0) else {
        ctx.addr(addr);
        return None;
    };
    print(ctx, &b);
    Some(u16::from_ne_bytes([b[0], b[1]]))
}

/// An address already read (strace's `print_sockaddr`); its length is `b.len()`.
pub fn print(ctx: &mut Ctx<'_>, b: &[u8]) {
    let len = b.len();
    // Zero-padded as strace's buffer, so fixed-size views never run out.
    let mut buf = b.to_vec();
    buf.resize(STORAGE + 1 + 72, 0);
    let b = &buf[..];
    let family = u16_at(b, 0);
    ctx.push("{sa_family=");
    ctx.xval(nx::ADDRFAMS, u64::from(family), "AF_???");
    if len > 2 {
        ctx.comma();
        let wide = ctx.abi == Abi::X86_64;
        let printer: Option<(Printer, usize)> = match family {
            1 => Some((un, 3)),
            2 => Some((inet, 16)),
            3 => Some((ax25, 16)),
            4 => Some((ipx, 16)),
            9 => Some((x25, 18)),
            10 => Some((inet6, SIN6_MIN_LEN)),
            16 => Some((nl, 12)),
            17 => Some((ll, 20)),
            31 => Some((bt, 3)),
            33 => Some((rxrpc, 36)),
            36 => Some((ieee802154, 20)),
            38 => Some((alg, 25)),
            39 => Some((nfc, 16)),
            40 => Some((vsock, 16)),
            42 => Some((qrtr, 12)),
            44 => Some((xdp, 16)),
            45 => Some((mctp, 12)),
            _ => None,
        };
        match printer {
            Some((p, min)) if len >= min => p(ctx, b, len, wide),
            _ => raw(ctx, b, len),
        }
    }
    ctx.push("}");
}

type Printer = fn(&mut Ctx<'_>, &[u8], usize, bool);

/// `offsetof(struct sockaddr_in6, sin6_scope_id)`.
const SIN6_MIN_LEN: usize = 24;

fn u16_at(b: &[u8], o: usize) -> u16 {
    u16::from_ne_bytes([b[o], b[o + 1]])
}

fn u32_at(b: &[u8], o: usize) -> u32 {
    u32::from_ne_bytes(b[o..o + 4].try_into().unwrap())
}

/// strace's `print_quoted_string` of `size` bytes of `b`; with `nul_ends`
/// (`QUOTE_0_TERMINATED`) the text ends at a NUL within `size - 1` bytes. Returns whether
/// the string was not terminated.
fn quoted(ctx: &mut Ctx<'_>, b: &[u8], size: usize, nul_ends: bool) -> bool {
    let hex = ctx.opts.hex;
    if !nul_ends {
        text::quote(&mut ctx.out, &b[..size], hex, false);
        return true;
    }
    let size = size.saturating_sub(1);
    match b[..size].iter().position(|&c| c == 0) {
        Some(n) => {
            text::quote(&mut ctx.out, &b[..n], hex, false);
            false
        }
        None => {
            text::quote(&mut ctx.out, &b[..size], hex, false);
            b.get(size) != Some(&0)
        }
    }
}

/// strace's `PRINT_VAL_0X`: hex zero-padded to twice the value's `size` characters
/// (`0x2a`, `0000` for a zero `u16`).
fn val_0x(ctx: &mut Ctx<'_>, v: u64, size: usize) {
    let w = 2 * size;
    if v == 0 {
        let _ = write!(ctx.out, "{:0w$}", 0);
    } else {
        let _ = write!(ctx.out, "{v:#0w$x}");
    }
}

/// A named value in the verbose style unless `-X raw` (strace's `PRINT_FIELD_XVAL_VERBOSE`).
fn xval_verbose(ctx: &mut Ctx<'_>, table: text::Xlat, v: u64, dflt: &str) {
    let style = if ctx.opts.xlat == XlatStyle::Raw {
        XlatStyle::Raw
    } else {
        XlatStyle::Verbose
    };
    text::xval(&mut ctx.out, style, table, v, dflt, true);
}

fn flags_verbose(ctx: &mut Ctx<'_>, table: text::Xlat, v: u64, dflt: &str) {
    let style = if ctx.opts.xlat == XlatStyle::Raw {
        XlatStyle::Raw
    } else {
        XlatStyle::Verbose
    };
    text::flags(&mut ctx.out, style, table, v, dflt);
}

fn raw(ctx: &mut Ctx<'_>, b: &[u8], len: usize) {
    ctx.push("sa_data=");
    text::quote(&mut ctx.out, &b[2..len], ctx.opts.hex, false);
}

fn un(ctx: &mut Ctx<'_>, b: &[u8], len: usize, _wide: bool) {
    let path_len = len.min(110) - 2;
    ctx.push("sun_path=");
    let path = &b[2..];
    if path[0] != 0 {
        quoted(ctx, path, path_len + 1, true);
    } else {
        ctx.push("@");
        quoted(ctx, &path[1..], path_len - 1, false);
    }
}

fn inet(ctx: &mut Ctx<'_>, b: &[u8], _len: usize, _wide: bool) {
    net_port(ctx, "sin_port", &b[2..4]);
    ctx.comma();
    inet_addr(ctx, 2, &b[4..8], Some("sin_addr"));
}

fn inet6(ctx: &mut Ctx<'_>, b: &[u8], len: usize, _wide: bool) {
    net_port(ctx, "sin6_port", &b[2..4]);
    ctx.push(", sin6_flowinfo=");
    let style = ctx.opts.xlat;
    if style != XlatStyle::Abbrev {
        text::quote(&mut ctx.out, &b[4..8], ctx.opts.hex, true);
    }
    let flow = u32::from_be_bytes(b[4..8].try_into().unwrap());
    match style {
        XlatStyle::Raw => {}
        XlatStyle::Verbose => {
            let _ = write!(ctx.out, " /* htonl({flow}) */");
        }
        XlatStyle::Abbrev => {
            let _ = write!(ctx.out, "htonl({flow})");
        }
    }
    ctx.comma();
    inet_addr(ctx, 10, &b[8..24], Some("sin6_addr"));
    if len <= SIN6_MIN_LEN {
        return;
    }
    let a = &b[8..24];
    let link_local = (a[0] == 0xfe && a[1] & 0xc0 == 0x80) || (a[0] == 0xff && a[1] & 0xf == 2);
    ctx.push(", sin6_scope_id=");
    if link_local {
        ifindex(ctx, u32_at(b, 24));
    } else {
        let _ = write!(ctx.out, "{}", u32_at(b, 24));
    }
}

/// How an AX.25 callsign can be printed (strace's `check_ax25_address`): `None` for the
/// style in force, else the style it forces.
fn ax25_check(call: &[u8]) -> Option<XlatStyle> {
    let mut ret = None;
    let (mut space_seen, mut char_seen) = (false, false);
    for &raw in &call[..6] {
        if raw & 1 != 0 {
            ret = Some(XlatStyle::Verbose);
        }
        let c = raw >> 1;
        if c == b' ' {
            space_seen = true;
        } else {
            char_seen = true;
        }
        if !c.is_ascii_digit() && !c.is_ascii_uppercase() && c != b' ' {
            ret = Some(XlatStyle::Verbose);
        }
        if c != b' ' && space_seen {
            ret = Some(XlatStyle::Verbose);
        }
        if !(b' '..=0x7e).contains(&c) || c == b'*' || c == b'/' {
            return Some(XlatStyle::Raw);
        }
    }
    if call[6] & !0x1e != 0 {
        ret = Some(XlatStyle::Verbose);
    }
    if !char_seen && call[6] != 0 {
        ret = Some(XlatStyle::Verbose);
    }
    ret
}

/// `CALL-7`, `*` for the empty callsign (strace's `ax25_addr2str`).
fn ax25_text(call: &[u8]) -> String {
    let mut end = 6;
    while end > 0 && call[end - 1] >> 1 == b' ' {
        end -= 1;
    }
    let mut s: String = call[..end].iter().map(|&c| char::from(c >> 1)).collect();
    s.push('-');
    let ssid = (call[6] >> 1) & 0xf;
    let _ = write!(s, "{ssid}");
    if s.starts_with("-0") {
        return "*".to_owned();
    }
    s
}

fn ax25_addr(ctx: &mut Ctx<'_>, call: &[u8]) {
    let xs = ax25_check(call).unwrap_or(ctx.opts.xlat);
    if xs != XlatStyle::Abbrev {
        ctx.push("{ax25_call=");
        text::quote(&mut ctx.out, &call[..7], ctx.opts.hex, true);
        ctx.push("}");
    }
    if xs == XlatStyle::Raw {
        return;
    }
    let s = ax25_text(call);
    if xs == XlatStyle::Verbose {
        let _ = write!(ctx.out, " /* {s} */");
    } else {
        ctx.push(&s);
    }
}

fn ax25(ctx: &mut Ctx<'_>, b: &[u8], len: usize, _wide: bool) {
    const DIGI: usize = 7;
    let ndigis = u32_at(b, 12) as i32;
    let full = ndigis != 0 || len > 16;
    if full {
        ctx.push("fsa_ax25={");
    }
    ctx.push("sax25_call=");
    ax25_addr(ctx, &b[2..9]);
    let _ = write!(ctx.out, ", sax25_ndigis={ndigis}");
    if !full {
        return;
    }
    ctx.push("}");
    let has = (len.saturating_sub(16) / DIGI).min(8);
    let want = (ndigis.max(0) as usize).min(8);
    let digis = has.min(want);
    if want > 0 {
        ctx.push(", fsa_digipeater=[");
        for i in 0..digis {
            if i > 0 {
                ctx.comma();
            }
            ax25_addr(ctx, &b[16 + DIGI * i..16 + DIGI * (i + 1)]);
        }
        if want > has {
            if digis > 0 {
                ctx.comma();
            }
            ctx.push("...");
        }
        ctx.push("]");
    }
    if len > has * DIGI + 16 {
        ctx.push(", ...");
    }
}

fn ipx(ctx: &mut Ctx<'_>, b: &[u8], _len: usize, _wide: bool) {
    net_port(ctx, "sipx_port", &b[2..4]);
    let net = u32::from_be_bytes(b[4..8].try_into().unwrap());
    let _ = write!(
        ctx.out,
        ", sipx_network=htonl({}), sipx_node=[",
        text::Hx(u64::from(net))
    );
    for i in 0..6 {
        if i > 0 {
            ctx.comma();
        }
        val_0x(ctx, u64::from(b[8 + i]), 1);
    }
    ctx.push("], sipx_type=");
    val_0x(ctx, u64::from(b[14]), 1);
    if b[15] != 0 {
        let _ = write!(ctx.out, ", sipx_zero={:#x}", b[15]);
    }
}

fn x25(ctx: &mut Ctx<'_>, b: &[u8], _len: usize, _wide: bool) {
    ctx.push("sx25_addr={x25_addr=");
    if quoted(ctx, &b[2..], 16, true) {
        ctx.push("...");
    }
    ctx.push("}");
}

fn nl(ctx: &mut Ctx<'_>, b: &[u8], _len: usize, _wide: bool) {
    let pad = u16_at(b, 2);
    if pad != 0 {
        let _ = write!(ctx.out, "nl_pad={:#x}, ", pad);
    }
    ctx.push("nl_pid=");
    ctx.pid_arg(u32_at(b, 4) as i32);
    ctx.push(", nl_groups=");
    val_0x(ctx, u64::from(u32_at(b, 8)), 4);
}

fn ll(ctx: &mut Ctx<'_>, b: &[u8], len: usize, _wide: bool) {
    ctx.push("sll_protocol=");
    let style = ctx.opts.xlat;
    if style != XlatStyle::Abbrev {
        text::quote(&mut ctx.out, &b[2..4], ctx.opts.hex, true);
    }
    if style != XlatStyle::Raw {
        if style == XlatStyle::Verbose {
            ctx.push(" /* ");
        }
        ctx.push("htons(");
        let proto = u16::from_be_bytes([b[2], b[3]]);
        text::xval(
            &mut ctx.out,
            XlatStyle::Abbrev,
            nx::ETHERNET_PROTOCOLS,
            u64::from(proto),
            "ETH_P_???",
            true,
        );
        ctx.push(")");
        if style == XlatStyle::Verbose {
            ctx.push(" */");
        }
    }
    ctx.push(", sll_ifindex=");
    ifindex(ctx, u32_at(b, 4));
    ctx.push(", sll_hatype=");
    ctx.xval(
        nx::ARP_HARDWARE_TYPES,
        u64::from(u16_at(b, 8)),
        "ARPHRD_???",
    );
    ctx.push(", sll_pkttype=");
    ctx.xval(sx::AF_PACKET_TYPES, u64::from(b[10]), "PACKET_???");
    let halen = b[11];
    let _ = write!(ctx.out, ", sll_halen={halen}");
    if halen != 0 {
        let oob = len as i64 - 12;
        ctx.push(", sll_addr=[");
        for i in 0..usize::from(halen) {
            if i > 0 {
                ctx.comma();
            }
            if i as i64 >= oob {
                ctx.push("...");
                break;
            }
            val_0x(ctx, u64::from(b[12 + i]), 1);
        }
        ctx.push("]");
    }
}

const L2CAP_PSM_DYN_START: u16 = 0x1001;
const L2CAP_PSM_LE_DYN_START: u16 = 0x80;
const L2CAP_PSM_LE_DYN_END: u16 = 0xff;
const L2CAP_CID_DYN_START: u16 = 0x40;

/// What an L2CAP PSM or CID is called: a name, a dynamic range's start plus an offset, or
/// nothing known (the default name).
enum L2Name<'a> {
    Name(&'a str),
    Dyn(&'a str, u16),
    Unknown(&'a str),
}

/// `htobs(...)` of an L2CAP PSM or CID (strace's `print_bluetooth_l2_psm`/`_cid`): the name
/// alone when abbreviated and known, else the number with the name in a comment (none with
/// `-X raw`).
fn l2_value(ctx: &mut Ctx<'_>, v: u16, name: L2Name<'_>) {
    let named = !matches!(name, L2Name::Unknown(_));
    let style = ctx.opts.xlat;
    ctx.push("htobs(");
    if style != XlatStyle::Abbrev || !named {
        ctx.hex_value(u64::from(v));
    }
    if style != XlatStyle::Raw {
        let comment = style == XlatStyle::Verbose || !named;
        if comment {
            ctx.push(" /* ");
        }
        match name {
            L2Name::Name(n) | L2Name::Unknown(n) => ctx.push(n),
            L2Name::Dyn(start, off) => {
                let _ = write!(ctx.out, "{start}+{off}");
            }
        }
        if comment {
            ctx.push(" */");
        }
    }
    ctx.push(")");
}

fn l2_psm(ctx: &mut Ctx<'_>, psm: u16) {
    let name = match text::lookup(sx::BLUETOOTH_L2_PSM, u64::from(psm)) {
        Some(n) => L2Name::Name(n),
        None if (L2CAP_PSM_LE_DYN_START..=L2CAP_PSM_LE_DYN_END).contains(&psm) => {
            L2Name::Dyn("L2CAP_PSM_LE_DYN_START", psm - L2CAP_PSM_LE_DYN_START)
        }
        None if psm >= L2CAP_PSM_DYN_START => {
            L2Name::Dyn("L2CAP_PSM_DYN_START", psm - L2CAP_PSM_DYN_START)
        }
        None => L2Name::Unknown("L2CAP_PSM_???"),
    };
    l2_value(ctx, psm, name);
}

fn l2_cid(ctx: &mut Ctx<'_>, cid: u16) {
    let name = match text::lookup(sx::BLUETOOTH_L2_CID, u64::from(cid)) {
        Some(n) => L2Name::Name(n),
        None if cid >= L2CAP_CID_DYN_START => {
            L2Name::Dyn("L2CAP_CID_DYN_START", cid - L2CAP_CID_DYN_START)
        }
        None => L2Name::Unknown("L2CAP_CID_???"),
    };
    l2_value(ctx, cid, name);
}

fn bt(ctx: &mut Ctx<'_>, b: &[u8], len: usize, _wide: bool) {
    match len {
        4 | 6 => {
            let _ = write!(ctx.out, "hci_dev=htobs({})", u16_at(b, 2));
            if len == 6 {
                ctx.push(", hci_channel=");
                ctx.xval(sx::HCI_CHANNELS, u64::from(u16_at(b, 4)), "HCI_CHANNEL_???");
            }
        }
        8 => {
            ctx.push("sco_bdaddr=");
            nla_mac(ctx, &b[2..8]);
        }
        10 => {
            ctx.push("rc_bdaddr=");
            nla_mac(ctx, &b[2..8]);
            let _ = write!(ctx.out, ", rc_channel={}", b[8]);
        }
        12 | 14 => {
            ctx.push("l2_psm=");
            l2_psm(ctx, u16_at(b, 2));
            ctx.push(", l2_bdaddr=");
            nla_mac(ctx, &b[4..10]);
            ctx.push(", l2_cid=");
            l2_cid(ctx, u16_at(b, 10));
            if len == 14 {
                ctx.push(", l2_bdaddr_type=");
                ctx.xval(sx::BDADDR_TYPES, u64::from(b[12]), "BDADDR_???");
            }
        }
        _ => raw(ctx, b, len),
    }
}

fn rxrpc(ctx: &mut Ctx<'_>, b: &[u8], len: usize, wide: bool) {
    ctx.push("srx_service=");
    xval_verbose(
        ctx,
        sx::RXRPC_SERVICES,
        u64::from(u16_at(b, 2)),
        "???_SERVICE",
    );
    ctx.push(", transport_type=");
    ctx.xval(nx::SOCKTYPES, u64::from(u16_at(b, 4)), "SOCK_???");
    let tlen = u16_at(b, 6);
    let _ = write!(ctx.out, ", transport_len={tlen}, transport={{");
    let t = &b[8..];
    let transport_len = i64::from(tlen).min(len as i64 - 8);
    let rest = (transport_len - 2).max(0) as usize;
    let family = u16_at(t, 0);
    let rest_bytes = |ctx: &mut Ctx<'_>| {
        if rest > 0 {
            ctx.comma();
            quoted(ctx, &t[2..], rest, false);
        }
    };
    match family {
        2 | 10 => {
            let v6 = family == 10;
            ctx.push(if v6 {
                "sin6={sin6_family="
            } else {
                "sin={sin_family="
            });
            ctx.xval(nx::ADDRFAMS, u64::from(family), "AF_???");
            let min = if v6 { SIN6_MIN_LEN } else { 16 };
            if usize::from(tlen) >= min {
                ctx.comma();
                if v6 {
                    inet6(ctx, t, transport_len.max(0) as usize, wide);
                } else {
                    inet(ctx, t, transport_len.max(0) as usize, wide);
                }
            } else {
                rest_bytes(ctx);
            }
            ctx.push("}");
        }
        _ => {
            ctx.push("family=");
            ctx.xval(nx::ADDRFAMS, u64::from(family), "AF_???");
            rest_bytes(ctx);
        }
    }
    ctx.push("}");
}

fn ieee802154(ctx: &mut Ctx<'_>, b: &[u8], _len: usize, _wide: bool) {
    // struct ieee802154_addr_sa at offset 4 (int addr_type), pan_id at 8, address at 10.
    let typ = u32_at(b, 4);
    ctx.push("addr={addr_type=");
    xval_verbose(
        ctx,
        sx::IEEE802154_ADDR_TYPES,
        u64::from(typ),
        "IEEE802154_ADDR_???",
    );
    ctx.push(", pan_id=");
    xval_verbose(ctx, sx::IEEE802154_PAN_IDS, u64::from(u16_at(b, 8)), "");
    match typ {
        0 => {}
        2 => {
            ctx.push(", short_addr=");
            xval_verbose(ctx, sx::IEEE802154_ADDRS, u64::from(u16_at(b, 10)), "");
        }
        _ => {
            ctx.push(", hwaddr=");
            hwaddr(ctx, &b[10..18], Some(804));
        }
    }
    ctx.push("}");
}

fn alg(ctx: &mut Ctx<'_>, b: &[u8], len: usize, _wide: bool) {
    // struct sockaddr_alg_new: type[14] at 2, feat at 16, mask at 20, name[] at 24.
    ctx.push("salg_type=");
    if quoted(ctx, &b[2..], 14, true) {
        ctx.push("...");
    }
    ctx.push(", salg_feat=");
    flags_verbose(
        ctx,
        sx::ALG_SOCKADDR_FLAGS,
        u64::from(u32_at(b, 16)),
        "CRYPTO_ALG_???",
    );
    ctx.push(", salg_mask=");
    flags_verbose(
        ctx,
        sx::ALG_SOCKADDR_FLAGS,
        u64::from(u32_at(b, 20)),
        "CRYPTO_ALG_???",
    );
    ctx.push(", salg_name=");
    if quoted(ctx, &b[24..], len - 24, true) {
        ctx.push("...");
    }
}

fn nfc(ctx: &mut Ctx<'_>, b: &[u8], len: usize, wide: bool) {
    ctx.push("dev_idx=");
    ifindex(ctx, u32_at(b, 4));
    let _ = write!(
        ctx.out,
        ", target_idx={}, nfc_protocol=",
        text::Hx(u64::from(u32_at(b, 8)))
    );
    ctx.xval(
        sx::NFC_SOCKADDR_PROTOCOLS,
        u64::from(u32_at(b, 12)),
        "NFC_PROTO_???",
    );
    // struct sockaddr_nfc_llcp: dsap, ssap at 16, service_name[63] at 18, then the
    // service_name_len (a size_t: at 84 on 32-bit, 88 on 64-bit).
    let llcp_len = if wide { 96 } else { 88 };
    if len < llcp_len {
        if len > 16 {
            ctx.push(", ...");
        }
        return;
    }
    let snsz = if wide {
        u64::from_ne_bytes(b[88..96].try_into().unwrap())
    } else {
        u64::from(u32_at(b, 84))
    };
    ctx.push(", dsap=");
    xval_verbose(ctx, sx::NFC_SAPS, u64::from(b[16]), "");
    ctx.push(", ssap=");
    xval_verbose(ctx, sx::NFC_SAPS, u64::from(b[17]), "");
    ctx.push(", service_name=");
    quoted(ctx, &b[18..], snsz.min(63) as usize, false);
    let _ = write!(ctx.out, ", service_name_len={snsz}");
}

fn vsock(ctx: &mut Ctx<'_>, b: &[u8], _len: usize, _wide: bool) {
    // struct sockaddr_vm: reserved1 u16 at 2, port at 4, cid at 8, flags u8 at 12, zero[3].
    let reserved = u16_at(b, 2);
    if reserved != 0 {
        let _ = write!(ctx.out, "svm_reserved1={reserved:#x}, ");
    }
    ctx.push("svm_cid=");
    ctx.xval(sx::VSOCK_CIDS, u64::from(u32_at(b, 8)), "");
    ctx.push(", svm_port=");
    ctx.xval(sx::VSOCK_PORTS, u64::from(u32_at(b, 4)), "");
    ctx.push(", svm_flags=");
    ctx.flags(sx::VSOCK_FLAGS, u64::from(b[12]), "VMADDR_FLAG_???");
    if b[13..16].iter().any(|&c| c != 0) {
        ctx.push(", svm_zero=");
        text::quote(&mut ctx.out, &b[13..16], ctx.opts.hex, true);
    }
}

fn qrtr(ctx: &mut Ctx<'_>, b: &[u8], _len: usize, _wide: bool) {
    ctx.push("sq_node=");
    ctx.xval(sx::QIPCRTR_NODES, u64::from(u32_at(b, 4)), "");
    ctx.push(", sq_port=");
    ctx.xval(sx::QIPCRTR_PORTS, u64::from(u32_at(b, 8)), "");
}

fn xdp(ctx: &mut Ctx<'_>, b: &[u8], _len: usize, _wide: bool) {
    let flags = u16_at(b, 2);
    ctx.push("sxdp_flags=");
    ctx.flags(sx::XDP_SOCKADDR_FLAGS, u64::from(flags), "XDP_???");
    ctx.push(", sxdp_ifindex=");
    ifindex(ctx, u32_at(b, 4));
    let _ = write!(ctx.out, ", sxdp_queue_id={}", u32_at(b, 8));
    let fd = u32_at(b, 12);
    // XDP_SHARED_UMEM
    if flags & 1 != 0 {
        ctx.push(", sxdp_shared_umem_fd=");
        ctx.fd_val(fd as i32);
    } else if fd != 0 {
        let _ = write!(ctx.out, ", sxdp_shared_umem_fd={fd:#x}");
    }
}

fn mctp(ctx: &mut Ctx<'_>, b: &[u8], _len: usize, _wide: bool) {
    // struct sockaddr_mctp: pad0 u16 at 2, network u32 at 4, addr u8 at 8, type at 9,
    // tag at 10, pad1 at 11.
    let pad0 = u16_at(b, 2);
    if pad0 != 0 {
        let _ = write!(ctx.out, "__smctp_pad0={pad0:#x}, ");
    }
    ctx.push("smctp_network=");
    ctx.xval(sx::MCTP_NETS, u64::from(u32_at(b, 4)), "");
    ctx.push(", smctp_addr={s_addr=");
    ctx.xval(sx::MCTP_ADDRS, u64::from(b[8]), "");
    let _ = write!(
        ctx.out,
        "}}, smctp_type={}, smctp_tag={}",
        text::Hx(u64::from(b[9])),
        text::Hx(u64::from(b[10]))
    );
    if b[11] != 0 {
        let _ = write!(ctx.out, ", __smctp_pad1={:#x}", b[11]);
    }
}
