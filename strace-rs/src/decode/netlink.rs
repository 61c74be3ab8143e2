//! Netlink messages sent or received on a netlink socket (`sendto`, `recvfrom`, the iovecs of
//! `sendmsg`/`recvmsg`), in strace's format (strace's `netlink.c`, `nlattr.c`, `rtnl_*.c`,
//! `netlink_sock_diag.c`, `netlink_inet_diag.c`, `netlink_unix_diag.c`):
//! `[{nlmsg_len=20, nlmsg_type=RTM_GETLINK, nlmsg_flags=NLM_F_REQUEST|NLM_F_DUMP, nlmsg_seq=1,
//! nlmsg_pid=0}, {ifi_family=AF_UNSPEC, ...}]`.
//!
//! Decoded: the header of every protocol (types of route, sock_diag, audit, xfrm, selinux and
//! crypto; flags by message kind), `NLMSG_ERROR` (with its attributes), `NLMSG_DONE`; the
//! NETLINK_ROUTE headers (links, addresses, routes, neighbours, rules, tc, neighbour tables,
//! address labels, DCB, netconf, MDB, nsid, stats, nexthops) and NETLINK_SOCK_DIAG's UNIX,
//! INET, NETLINK and PACKET requests and answers, with their plain attributes; libudev's header
//! of kobject uevents; NETLINK_NETFILTER (`netlink/nf.rs`), NETLINK_SELINUX
//! (`netlink/selinux.rs`) and the names of NETLINK_GENERIC's families, which strace (and
//! strace-rs, through `sockets::genl_families`) asks the kernel for. Anything else prints as
//! hex bytes, as strace prints what it does not decode.

use std::fmt::Write as _;
use std::sync::OnceLock;

use super::netlink_xlat as nx;
use super::Ctx;
use crate::text::{self, Xlat, XlatStyle};

mod inet_diag;
mod nf;
mod rtnl_cachereport;
mod rtnl_link;
mod rtnl_mdb;
mod rtnl_stats;
mod rtnl_tc;
mod selinux;
mod smc_diag;

const NLMSG_HDRLEN: u64 = 16;
const NLA_HDRLEN: u64 = 4;
const NLMSG_MIN_TYPE: u16 = 16;
const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const NLM_F_REQUEST: u16 = 1;
const NLM_F_CAPPED: u16 = 0x100;

const NETLINK_ROUTE: u32 = 0;
const NETLINK_SOCK_DIAG: u32 = 4;
const NETLINK_XFRM: u32 = 6;
const NETLINK_SELINUX: u32 = 7;
const NETLINK_AUDIT: u32 = 9;
const NETLINK_NETFILTER: u32 = 12;
const NETLINK_KOBJECT_UEVENT: u32 = 15;
const NETLINK_GENERIC: u32 = 16;
const NETLINK_CRYPTO: u32 = 21;

const AF_UNIX: u8 = 1;
const AF_INET: u8 = 2;
const AF_INET6: u8 = 10;
const AF_BRIDGE: u8 = 7;
const AF_NETLINK: u8 = 16;
const AF_PACKET: u8 = 17;
const AF_SMC: u8 = 43;

fn align4(v: u64) -> u64 {
    (v + 3) & !3
}

/// The buffer of a `sendto`/`recvfrom` (or an iovec of `sendmsg`/`recvmsg`) on descriptor
/// `fd`: netlink messages when `fd` is a netlink socket, else the bytes (strace's
/// `decode_sockbuf`).
pub fn sockbuf(ctx: &mut Ctx<'_>, fd: i32, addr: u64, len: u64) {
    match crate::sockets::netlink_protocol(ctx.pid, fd) {
        Some(proto) => decode(ctx, proto, addr, len),
        None => ctx.buf(addr, len),
    }
}

/// Netlink messages of a socket of protocol `family` (`u32::MAX`: unknown).
pub fn decode(ctx: &mut Ctx<'_>, family: u32, mut addr: u64, mut len: u64) {
    if addr == 0 {
        ctx.push("NULL");
        return;
    }
    if family == NETLINK_KOBJECT_UEVENT {
        kobject_uevent(ctx, addr, len);
        return;
    }
    let mut is_array = false;
    let mut elt = 0usize;
    while let Some(hdr) = fetch_hdr(ctx, addr, len, is_array) {
        if !ctx.opts.verbose && elt == ctx.opts.max_strlen {
            ctx.push("...");
            break;
        }
        let msg_len = align4(u64::from(hdr.len));
        let mut next = None;
        if u64::from(hdr.len) >= NLMSG_HDRLEN {
            let next_len = len.saturating_sub(msg_len);
            if next_len > 0 && addr.checked_add(msg_len).is_some() {
                next = Some((addr + msg_len, next_len));
            }
        }
        if !is_array && next.is_some() {
            ctx.push("[");
            is_array = true;
        }
        with_payload(ctx, family, &hdr, addr, len);
        let Some((a, l)) = next else {
            break;
        };
        ctx.comma();
        addr = a;
        len = l;
        elt += 1;
    }
    if is_array {
        ctx.push("]");
    }
}

/// A uevent: libudev's `udev_monitor_netlink_header` then the properties, or the bytes
/// (strace's `decode_netlink_kobject_uevent`).
fn kobject_uevent(ctx: &mut Ctx<'_>, addr: u64, len: u64) {
    const SIZE: u64 = 40;
    let h = (len >= SIZE)
        .then(|| ctx.read_bytes(addr, SIZE as usize))
        .flatten()
        .filter(|h| &h[..8] == b"libudev\0");
    let Some(h) = h else {
        ctx.buf(addr, len);
        return;
    };
    let w = |i: usize| u32::from_ne_bytes(h[8 + 4 * i..12 + 4 * i].try_into().unwrap());
    let be = |i: usize| text::Hx(u64::from(u32::from_be(w(i))));
    if len > SIZE {
        ctx.push("[");
    }
    let _ = write!(
        ctx.out,
        "{{prefix=\"libudev\", magic=htonl({}), header_size={}, properties_off={}, \
         properties_len={}, filter_subsystem_hash=htonl({}), filter_devtype_hash=htonl({}), \
         filter_tag_bloom_hi=htonl({}), filter_tag_bloom_lo=htonl({})}}",
        be(0),
        w(1),
        w(2),
        w(3),
        be(4),
        be(5),
        be(6),
        be(7)
    );
    if len > SIZE {
        ctx.comma();
        ctx.buf(addr + SIZE, len - SIZE);
        ctx.push("]");
    }
}

#[derive(Clone, Copy)]
struct Hdr {
    len: u32,
    typ: u16,
    flags: u16,
    seq: u32,
    pid: u32,
}

fn parse_hdr(b: &[u8]) -> Hdr {
    Hdr {
        len: u32::from_ne_bytes(b[0..4].try_into().unwrap()),
        typ: u16::from_ne_bytes(b[4..6].try_into().unwrap()),
        flags: u16::from_ne_bytes(b[6..8].try_into().unwrap()),
        seq: u32::from_ne_bytes(b[8..12].try_into().unwrap()),
        pid: u32::from_ne_bytes(b[12..16].try_into().unwrap()),
    }
}

/// Strace's `fetch_nlmsghdr`/`fetch_nlattr`: too short a buffer prints as hex bytes; an
/// unreadable one as its address (`... /* 0x1000 */` inside an array).
fn fetch(ctx: &mut Ctx<'_>, addr: u64, len: u64, size: usize, in_array: bool) -> Option<Vec<u8>> {
    if len < size as u64 {
        ctx.buf_ex(addr, len, true);
        return None;
    }
    match ctx.read_bytes(addr, size) {
        Some(b) => Some(b),
        None => {
            if in_array {
                let _ = write!(ctx.out, "... /* {addr:#x} */");
            } else {
                ctx.addr(addr);
            }
            None
        }
    }
}

fn fetch_hdr(ctx: &mut Ctx<'_>, addr: u64, len: u64, in_array: bool) -> Option<Hdr> {
    fetch(ctx, addr, len, 16, in_array).map(|b| parse_hdr(&b))
}

/// The types of messages of `family` (at or above `NLMSG_MIN_TYPE`) and their default.
fn family_types(family: u32) -> Option<(Xlat, &'static str)> {
    Some(match family {
        NETLINK_AUDIT => (nx::NL_AUDIT_TYPES, "AUDIT_???"),
        NETLINK_CRYPTO => (nx::NL_CRYPTO_TYPES, "CRYPTO_MSG_???"),
        NETLINK_ROUTE => (nx::NL_ROUTE_TYPES, "RTM_???"),
        NETLINK_SELINUX => (nx::NL_SELINUX_TYPES, "SELNL_MSG_???"),
        NETLINK_SOCK_DIAG => (nx::NL_SOCK_DIAG_TYPES, "SOCK_DIAG_???"),
        NETLINK_XFRM => (nx::NL_XFRM_TYPES, "XFRM_MSG_???"),
        _ => return None,
    })
}

#[derive(Clone, Copy)]
enum Extra {
    None,
    Get,
    New,
    Delete,
    Ack,
}

/// `netlink_flags` followed by the flags of one kind of message, as one table (strace's
/// `printflags_ex` with two tables).
fn flag_table(extra: Extra) -> Xlat {
    static TABLES: [OnceLock<Vec<(u64, &'static str)>>; 5] = [
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
    ];
    let (i, more): (usize, Xlat) = match extra {
        Extra::None => (0, &[]),
        Extra::Get => (1, nx::NETLINK_GET_FLAGS),
        Extra::New => (2, nx::NETLINK_NEW_FLAGS),
        Extra::Delete => (3, nx::NETLINK_DELETE_FLAGS),
        Extra::Ack => (4, nx::NETLINK_ACK_FLAGS),
    };
    TABLES[i]
        .get_or_init(|| nx::NETLINK_FLAGS.iter().chain(more).copied().collect())
        .as_slice()
}

fn flags_kind(typ: u16, flags_family: u32) -> Extra {
    if typ < NLMSG_MIN_TYPE {
        return if typ == NLMSG_ERROR {
            Extra::Ack
        } else {
            Extra::None
        };
    }
    match flags_family {
        NETLINK_ROUTE => {
            // RTM_DELACTION takes NLM_F_ROOT.
            if typ == 49 {
                return Extra::Get;
            }
            match typ & 3 {
                0 => Extra::New,
                1 => Extra::Delete,
                2 => Extra::Get,
                _ => Extra::None,
            }
        }
        NETLINK_SOCK_DIAG => Extra::Get,
        NETLINK_NETFILTER => nf::flags_kind(typ),
        NETLINK_XFRM => match typ {
            16 | 19 | 30 | 34 | 36 => Extra::New,
            17 | 20 => Extra::Delete,
            18 | 21 | 31 | 35 | 37 => Extra::Get,
            _ => Extra::None,
        },
        NETLINK_CRYPTO => match typ {
            16 => Extra::New,
            17 | 20 => Extra::Delete,
            19 => Extra::Get,
            _ => Extra::None,
        },
        _ => Extra::None,
    }
}

fn print_hdr(ctx: &mut Ctx<'_>, family: u32, h: &Hdr) {
    let _ = write!(ctx.out, "{{nlmsg_len={}, nlmsg_type=", h.len);
    match family {
        NETLINK_NETFILTER if h.typ >= NLMSG_MIN_TYPE => nf::print_type(ctx, h.typ),
        NETLINK_GENERIC if h.typ >= NLMSG_MIN_TYPE => {
            ctx.xval(genl_families(), u64::from(h.typ), "GENERIC_FAMILY_???")
        }
        _ => {
            let (table, dflt) = match family_types(family) {
                Some(t) if h.typ >= NLMSG_MIN_TYPE => t,
                _ => (nx::NETLINK_TYPES, "NLMSG_???"),
            };
            ctx.xval(table, u64::from(h.typ), dflt);
        }
    }
    ctx.push(", nlmsg_flags=");
    let table = flag_table(flags_kind(h.typ, family));
    ctx.flags(table, u64::from(h.flags), "NLM_F_???");
    let _ = write!(ctx.out, ", nlmsg_seq={}, nlmsg_pid=", h.seq);
    ctx.pid_arg(h.pid as i32);
    ctx.push("}");
}

/// The families of NETLINK_GENERIC by id, asked of the kernel once (strace's
/// `genl_families_xlat`).
fn genl_families() -> Xlat {
    static TABLE: OnceLock<Vec<(u64, &'static str)>> = OnceLock::new();
    TABLE.get_or_init(|| {
        crate::sockets::genl_families()
            .into_iter()
            .map(|(id, name)| (u64::from(id), &*name.leak()))
            .collect()
    })
}

/// A header and, when its length says there is one, its payload: `[{...}, payload]`.
fn with_payload(ctx: &mut Ctx<'_>, family: u32, h: &Hdr, addr: u64, len: u64) {
    let msg_len = u64::from(h.len).min(len);
    if msg_len > NLMSG_HDRLEN {
        ctx.push("[");
    }
    print_hdr(ctx, family, h);
    if msg_len > NLMSG_HDRLEN {
        ctx.comma();
        payload(ctx, family, h, addr + NLMSG_HDRLEN, msg_len - NLMSG_HDRLEN);
        ctx.push("]");
    }
}

fn payload(ctx: &mut Ctx<'_>, family: u32, h: &Hdr, addr: u64, len: u64) {
    if h.typ == NLMSG_ERROR {
        nlmsgerr(ctx, family, addr, len, h.flags & NLM_F_CAPPED != 0);
        return;
    }
    if h.typ >= NLMSG_MIN_TYPE || h.typ == NLMSG_DONE {
        let done = match family {
            NETLINK_ROUTE => route(ctx, h, addr, len),
            NETLINK_SOCK_DIAG => sock_diag(ctx, h, addr, len),
            NETLINK_NETFILTER => nf::payload(ctx, h, addr, len),
            NETLINK_SELINUX => selinux::payload(ctx, h, addr, len),
            _ => false,
        };
        if done {
            return;
        }
    }
    if h.typ == NLMSG_DONE && len == 4 {
        match ctx.read::<i32>(addr) {
            Some(v) => {
                let _ = write!(ctx.out, "{v}");
            }
            None => ctx.addr(addr),
        }
        return;
    }
    ctx.buf_ex(addr, len, true);
}

/// An errno value as strace's `print_err` prints a negated one: `-ENOENT`, `-4095`.
fn print_err(ctx: &mut Ctx<'_>, err: i32) {
    let name = crate::errno_names::errno_name(u64::from(err.unsigned_abs())).filter(|_| err < 0);
    match (name, ctx.opts.xlat) {
        (None, _) | (Some(_), XlatStyle::Raw) => {
            let _ = write!(ctx.out, "{err}");
        }
        (Some(n), XlatStyle::Abbrev) => {
            let _ = write!(ctx.out, "-{n}");
        }
        (Some(n), XlatStyle::Verbose) => {
            let _ = write!(ctx.out, "{err} /* -{n} */");
        }
    }
}

fn nlmsgerr(ctx: &mut Ctx<'_>, family: u32, addr: u64, len: u64, capped: bool) {
    if len < 20 {
        ctx.buf_ex(addr, len, true);
        return;
    }
    let Some(b) = ctx.read_bytes(addr, 20) else {
        ctx.addr(addr);
        return;
    };
    let error = i32::from_ne_bytes(b[0..4].try_into().unwrap());
    let msg = parse_hdr(&b[4..20]);
    let (addr, len) = (addr + 4, len - 4);
    let msg_len = u64::from(msg.len).max(NLMSG_HDRLEN);
    let payload_len = len.min(if capped { NLMSG_HDRLEN } else { msg_len });
    if len > payload_len {
        ctx.push("[");
    }
    ctx.push("{error=");
    print_err(ctx, error);
    ctx.push(", msg=");
    with_payload(ctx, family, &msg, addr, payload_len);
    ctx.push("}");
    if len > payload_len {
        ctx.comma();
        nlattrs(
            ctx,
            addr + payload_len,
            len - payload_len,
            (nx::NLMSGERR_ATTRS, "NLMSGERR_ATTR_???"),
            nlmsgerr_attr,
            0,
        );
        ctx.push("]");
    }
}

fn nlmsgerr_attr(ctx: &mut Ctx<'_>, _fam: u8, typ: u16, addr: u64, len: u64) -> bool {
    match typ {
        1 => nla_str(ctx, addr, len),
        2 => nla_int::<u32>(ctx, addr, len),
        3 => {
            // NLMSGERR_ATTR_COOKIE: the bytes as numbers.
            match ctx.read_bytes(addr, len as usize) {
                Some(b) => {
                    ctx.push("[");
                    for (i, v) in b.iter().enumerate() {
                        if i > 0 {
                            ctx.comma();
                        }
                        if i == ctx.opts.max_strlen && !ctx.opts.verbose {
                            ctx.push("...");
                            break;
                        }
                        let _ = write!(ctx.out, "{v}");
                    }
                    ctx.push("]");
                }
                None => ctx.addr(addr),
            }
            true
        }
        _ => false,
    }
}

/// A decoder of the payload of one attribute type: false when it does not apply (the payload
/// then prints as hex bytes). `fam` is the address family of the message (for addresses).
type NlaFn = fn(&mut Ctx<'_>, u8, u16, u64, u64) -> bool;

/// A list of attributes (strace's `decode_nlattr`).
fn nlattrs(ctx: &mut Ctx<'_>, addr: u64, len: u64, table: (Xlat, &str), dec: NlaFn, fam: u8) {
    nlattrs_with(ctx, addr, len, table, &dec, fam);
}

/// A list of attributes whose type-1 entries are each a list of `inner` attributes decoded by
/// `dec` (`IFLA_VFINFO_LIST`, `MDBA_MDB`, `INET_DIAG_SK_BPF_STORAGES`, `BOND_XSTATS_3AD`'s
/// parent); entries of other types print as hex bytes.
fn nested_lists(
    ctx: &mut Ctx<'_>,
    addr: u64,
    len: u64,
    outer: (Xlat, &str),
    inner: (Xlat, &str),
    dec: NlaFn,
    fam: u8,
) {
    let list = |ctx: &mut Ctx<'_>, fam: u8, typ: u16, addr: u64, len: u64| {
        typ == 1 && {
            nlattrs(ctx, addr, len, inner, dec, fam);
            true
        }
    };
    nlattrs_with(ctx, addr, len, outer, &list, fam);
}

/// [`nlattrs`] with a decoder that may hold state (a closure over the tables of a nested list).
fn nlattrs_with(
    ctx: &mut Ctx<'_>,
    mut addr: u64,
    mut len: u64,
    table: (Xlat, &str),
    dec: &dyn Fn(&mut Ctx<'_>, u8, u16, u64, u64) -> bool,
    fam: u8,
) {
    let mut is_array = false;
    let mut elt = 0usize;
    while let Some(b) = fetch(ctx, addr, len, 4, is_array) {
        if !ctx.opts.verbose && elt == ctx.opts.max_strlen {
            ctx.push("...");
            break;
        }
        let nla_len = u64::from(u16::from_ne_bytes([b[0], b[1]]));
        let nla_type = u16::from_ne_bytes([b[2], b[3]]);
        let aligned = align4(nla_len);
        let mut next = None;
        if nla_len >= NLA_HDRLEN {
            let next_len = len.saturating_sub(aligned);
            if next_len > 0 {
                next = Some((addr + aligned, next_len));
            }
        }
        if !is_array && next.is_some() {
            ctx.push("[");
            is_array = true;
        }
        let shown = nla_len.min(len);
        if shown > NLA_HDRLEN {
            ctx.push("[");
        }
        let _ = write!(ctx.out, "{{nla_len={nla_len}, nla_type=");
        if nla_type & 0x8000 != 0 {
            text::named(&mut ctx.out, ctx.opts.xlat, "0x8000", "NLA_F_NESTED");
            ctx.push("|");
        }
        if nla_type & 0x4000 != 0 {
            text::named(&mut ctx.out, ctx.opts.xlat, "0x4000", "NLA_F_NET_BYTEORDER");
            ctx.push("|");
        }
        ctx.xval(table.0, u64::from(nla_type & 0x3fff), table.1);
        ctx.push("}");
        if shown > NLA_HDRLEN {
            ctx.comma();
            let (a, l) = (addr + NLA_HDRLEN, shown - NLA_HDRLEN);
            if !dec(ctx, fam, nla_type & 0x3fff, a, l) {
                ctx.buf_ex(a, l, true);
            }
            ctx.push("]");
        }
        let Some((a, l)) = next else {
            break;
        };
        ctx.comma();
        addr = a;
        len = l;
        elt += 1;
    }
    if is_array {
        ctx.push("]");
    }
}

/// `decode_nla_str`: a string expected to end with a NUL (`"lo"`; `"abc"...` without one).
fn nla_str(ctx: &mut Ctx<'_>, addr: u64, len: u64) -> bool {
    let max = ctx.opts.max_strlen as u64;
    let n = len.min(max) as usize;
    let Some(b) = ctx.read_bytes(addr, len.min(max + 1) as usize) else {
        ctx.addr(addr);
        return true;
    };
    let b = &b[..n];
    if n > 0 && b[n - 1] == 0 {
        text::quote(&mut ctx.out, &b[..n - 1], ctx.opts.hex, false);
    } else {
        text::quote(&mut ctx.out, b, ctx.opts.hex, false);
        if len > 0 {
            ctx.push("...");
        }
    }
    true
}

/// `decode_nla_u32` and friends: the integer when the payload holds one.
fn nla_int<T: super::tracee::Pod + std::fmt::Display>(
    ctx: &mut Ctx<'_>,
    addr: u64,
    len: u64,
) -> bool {
    nla_value(ctx, addr, len, |ctx, v: T| {
        let _ = write!(ctx.out, "{v}");
    })
}

/// `decode_nla_clock_t`: up to 8 bytes of clock ticks, `100 /* 1.00 s */` (strace's
/// `print_clock_t`).
fn nla_clock(ctx: &mut Ctx<'_>, addr: u64, len: u64) -> bool {
    if len > 8 {
        return false;
    }
    let Some(b) = ctx.read_bytes(addr, len as usize) else {
        ctx.addr(addr);
        return true;
    };
    let mut v = [0u8; 8];
    v[..b.len()].copy_from_slice(&b);
    let val = u64::from_le_bytes(v);
    let _ = write!(ctx.out, "{val}");
    // SAFETY: sysconf has no memory arguments.
    let tck = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ctx.opts.xlat != XlatStyle::Raw && tck > 0 && val > 0 {
        let tck = tck as u64;
        let width = (tck as f64).log10().floor().min(9.0) as usize;
        let frac = (val % tck) * 10u64.pow(width as u32) / tck;
        let _ = write!(ctx.out, " /* {}.{frac:0width$} s */", val / tck);
    }
    true
}

/// `decode_nla_x16`: a `u16` in hex.
fn nla_x16(ctx: &mut Ctx<'_>, addr: u64, len: u64) -> bool {
    nla_value(ctx, addr, len, |ctx, v: u16| {
        let _ = write!(ctx.out, "{}", text::Hx(u64::from(v)));
    })
}

/// A MAC address field (strace's `print_mac_addr`): `00:11:22:33:44:55`, the bytes in hex
/// under `-X raw`, both under `-X verbose`.
pub(super) fn nla_mac(ctx: &mut Ctx<'_>, b: &[u8]) {
    let style = ctx.opts.xlat;
    if style != XlatStyle::Abbrev || b.len() > 32 {
        text::quote(&mut ctx.out, b, ctx.opts.hex, true);
    }
    if style == XlatStyle::Raw || b.len() > 32 {
        return;
    }
    let mac: Vec<String> = b.iter().map(|x| format!("{x:02x}")).collect();
    if style == XlatStyle::Verbose {
        let _ = write!(ctx.out, " /* {} */", mac.join(":"));
    } else {
        ctx.push(&mac.join(":"));
    }
}

/// `decode_nla_ifindex`.
fn nla_ifindex(ctx: &mut Ctx<'_>, addr: u64, len: u64) -> bool {
    nla_value(ctx, addr, len, |ctx, v: u32| ifindex(ctx, v))
}

/// An interface index: `if_nametoindex("lo")` when the tracer knows the interface (strace's
/// `print_ifindex`), else the number.
pub(super) fn ifindex(ctx: &mut Ctx<'_>, idx: u32) {
    let mut buf = [0 as libc::c_char; libc::IF_NAMESIZE];
    // SAFETY: `buf` has IF_NAMESIZE bytes, what if_indextoname writes at most.
    let p = unsafe { libc::if_indextoname(idx, buf.as_mut_ptr()) };
    let name = if p.is_null() || idx == 0 {
        None
    } else {
        // SAFETY: if_indextoname succeeded: `buf` holds a NUL-terminated name.
        let s = unsafe { std::ffi::CStr::from_ptr(buf.as_ptr()) };
        Some(s.to_string_lossy().into_owned())
    };
    match (name, ctx.opts.xlat) {
        (Some(n), XlatStyle::Abbrev) => {
            let _ = write!(ctx.out, "if_nametoindex(\"{n}\")");
        }
        (Some(n), XlatStyle::Verbose) => {
            let _ = write!(ctx.out, "{idx} /* if_nametoindex(\"{n}\") */");
        }
        _ => {
            let _ = write!(ctx.out, "{idx}");
        }
    }
}

/// An IPv4 or IPv6 address of `family` (strace's `print_inet_addr`); `field` names a field of
/// a structure (IPv6 addresses then end with `, &field`). False when the family has none.
pub(super) fn inet_addr(ctx: &mut Ctx<'_>, family: u8, b: &[u8], field: Option<&str>) -> bool {
    let style = ctx.opts.xlat;
    let name = |ctx: &mut Ctx<'_>| {
        if let Some(f) = field {
            let _ = write!(ctx.out, "{f}=");
        }
    };
    let text = match family {
        AF_INET if b.len() >= 4 => std::net::Ipv4Addr::new(b[0], b[1], b[2], b[3]).to_string(),
        AF_INET6 if b.len() >= 16 => {
            let a: [u8; 16] = b[..16].try_into().unwrap();
            std::net::Ipv6Addr::from(a).to_string()
        }
        _ => {
            name(ctx);
            text::quote(&mut ctx.out, b, ctx.opts.hex, true);
            return false;
        }
    };
    // An IPv6 address names its field only before the raw bytes (abbreviated, the name ends
    // the `inet_pton` call: `inet_pton(AF_INET6, "::1", &idiag_src)`).
    if family == AF_INET || style != XlatStyle::Abbrev {
        name(ctx);
    }
    if style != XlatStyle::Abbrev {
        text::quote(&mut ctx.out, b, ctx.opts.hex, true);
    }
    if style == XlatStyle::Raw {
        return true;
    }
    if style == XlatStyle::Verbose {
        ctx.push(" /* ");
    }
    if family == AF_INET {
        let _ = write!(ctx.out, "inet_addr(\"{text}\")");
    } else {
        let _ = write!(ctx.out, "inet_pton(AF_INET6, \"{text}\"");
        if let (Some(f), XlatStyle::Abbrev) = (field, style) {
            let _ = write!(ctx.out, ", &{f}");
        }
        ctx.push(")");
    }
    if style == XlatStyle::Verbose {
        ctx.push(" */");
    }
    true
}

/// `decode_inet_addr`: an address attribute of the message's family.
fn nla_inet_addr(ctx: &mut Ctx<'_>, family: u8, addr: u64, len: u64) -> bool {
    let size = match family {
        AF_INET => 4,
        AF_INET6 => 16,
        _ => 0,
    };
    if size == 0 || len < size {
        ctx.buf_ex(addr, len, true);
        return true;
    }
    match ctx.read_bytes(addr, size as usize) {
        Some(b) => {
            inet_addr(ctx, family, &b, None);
        }
        None => ctx.addr(addr),
    }
    true
}

/// The length of a hardware address of device type `devtype` (strace's `hwaddr_sizes`).
fn hwaddr_size(devtype: u32) -> usize {
    match devtype {
        0 | 3 => 7,
        1 | 6 | 772 | 774 | 780 | 801..=803 => 6,
        7 | 290 | 773 | 820 | 821 => 1,
        15 => 2,
        24 | 769 | 823 => 16,
        27 | 804 | 805 | 825 => 8,
        32 => 20,
        256 | 271 | 280 | 512 | 518 | 519 | 777 | 779 | 822 | 824 | 826 => 0,
        270 => 5,
        768 | 776 | 778 | 783 => 4,
        _ => 255,
    }
}

/// `decode_nla_hwaddr`: `"\x00\x11"` then (abbreviated) `00:11`.
fn nla_hwaddr(ctx: &mut Ctx<'_>, addr: u64, len: u64, devtype: Option<u32>) -> bool {
    if len > 32 {
        return false;
    }
    let Some(b) = ctx.read_bytes(addr, len as usize) else {
        ctx.addr(addr);
        return true;
    };
    hwaddr(ctx, &b, devtype);
    true
}

/// A hardware address of device type `devtype` (strace's `print_hwaddr`): `00:11` as long
/// as the type's addresses are (`-X raw`: the bytes in hex; verbose: both).
pub(super) fn hwaddr(ctx: &mut Ctx<'_>, b: &[u8], devtype: Option<u32>) {
    let style = ctx.opts.xlat;
    if style != XlatStyle::Abbrev {
        text::quote(&mut ctx.out, b, ctx.opts.hex, true);
    }
    if style == XlatStyle::Raw {
        return;
    }
    let n = b.len().min(devtype.map_or(255, hwaddr_size));
    let mac: Vec<String> = b[..n].iter().map(|x| format!("{x:02x}")).collect();
    if style == XlatStyle::Verbose {
        let _ = write!(ctx.out, " /* {} */", mac.join(":"));
    } else {
        ctx.push(&mac.join(":"));
    }
}

/// `{family=AF_INET, data="\x..."}`: a message strace has no decoder for.
fn family_and_data(ctx: &mut Ctx<'_>, family: u8, addr: u64, len: u64) {
    ctx.push("{family=");
    ctx.xval(nx::ADDRFAMS, u64::from(family), "AF_???");
    if len > 1 {
        ctx.push(", data=");
        ctx.buf_ex(addr + 1, len - 1, true);
    }
    ctx.push("}");
}

/// The opening of a message header of `size` bytes that starts with an address family
/// (`{ifi_family=AF_INET, `, `{sdiag_family=AF_UNIX, `): the rest of the header when `len`
/// covers it (byte 0, the family, is zero in it); `None` after printing `...}` or the address.
fn family_header(
    ctx: &mut Ctx<'_>,
    field: &str,
    family: u8,
    addr: u64,
    len: u64,
    size: usize,
) -> Option<Vec<u8>> {
    let _ = write!(ctx.out, "{{{field}=");
    ctx.xval(nx::ADDRFAMS, u64::from(family), "AF_???");
    ctx.comma();
    if len < size as u64 {
        ctx.push("...}");
        return None;
    }
    match ctx.read_bytes(addr + 1, size - 1) {
        Some(mut b) => {
            b.insert(0, 0);
            Some(b)
        }
        None => {
            ctx.addr(addr + 1);
            ctx.push("}");
            None
        }
    }
}

/// A fixed-size attribute payload of `size` bytes: `false` when the attribute is shorter
/// (the caller prints its bytes), the address when it cannot be read, else `print` of it.
fn nla_struct(
    ctx: &mut Ctx<'_>,
    addr: u64,
    len: u64,
    size: usize,
    print: impl FnOnce(&mut Ctx<'_>, &[u8]),
) -> bool {
    if len < size as u64 {
        return false;
    }
    match ctx.read_bytes(addr, size) {
        Some(b) => print(ctx, &b),
        None => ctx.addr(addr),
    }
    true
}

/// [`nla_struct`] for a payload read as one plain value (an integer or an array of them).
fn nla_value<T: super::tracee::Pod>(
    ctx: &mut Ctx<'_>,
    addr: u64,
    len: u64,
    print: impl FnOnce(&mut Ctx<'_>, T),
) -> bool {
    if len < std::mem::size_of::<T>() as u64 {
        return false;
    }
    match ctx.read::<T>(addr) {
        Some(v) => print(ctx, v),
        None => ctx.addr(addr),
    }
    true
}

fn u16_at(b: &[u8], o: usize) -> u16 {
    u16::from_ne_bytes(b[o..o + 2].try_into().unwrap())
}

fn u32_at(b: &[u8], o: usize) -> u32 {
    u32::from_ne_bytes(b[o..o + 4].try_into().unwrap())
}

/// Attributes after a header of `size` bytes, when the message has more.
fn attrs_after(
    ctx: &mut Ctx<'_>,
    addr: u64,
    len: u64,
    size: u64,
    table: (Xlat, &str),
    dec: NlaFn,
    fam: u8,
) {
    let off = align4(size);
    if len > off {
        ctx.comma();
        nlattrs(ctx, addr + off, len - off, table, dec, fam);
    }
}

/// NETLINK_ROUTE payloads (strace's `decode_netlink_route`).
fn route(ctx: &mut Ctx<'_>, h: &Hdr, addr: u64, len: u64) -> bool {
    if h.typ == NLMSG_DONE {
        return false;
    }
    let Some(family) = ctx.read::<u8>(addr) else {
        ctx.addr(addr);
        return true;
    };
    match h.typ {
        16..=19 => ifinfomsg(ctx, family, addr, len),
        20..=22 | 58 | 62 => ifaddrmsg(ctx, family, addr, len),
        24..=26 => rtmsg(ctx, family, addr, len),
        28 | 29 => ndmsg(ctx, family, addr, len),
        30 if family == AF_BRIDGE => ifinfomsg(ctx, family, addr, len),
        30 => ndmsg(ctx, family, addr, len),
        32..=34 => fib_rule_hdr(ctx, family, addr, len),
        36..=38 | 40..=42 | 44..=46 | 100..=102 => tcmsg(ctx, family, addr, len),
        48..=50 => family_only(
            ctx,
            "tca_family",
            family,
            addr,
            len,
            4,
            (nx::RTNL_TC_ACTION_ATTRS, "TCA_ACT_???"),
            tca_attr,
        ),
        64 | 66 | 67 => family_only(
            ctx,
            "ndtm_family",
            family,
            addr,
            len,
            4,
            (nx::RTNL_NEIGHTBL_ATTRS, "NDTA_???"),
            ndta_attr,
        ),
        72..=74 => ifaddrlblmsg(ctx, family, addr, len),
        78 | 79 => dcbmsg(ctx, family, addr, len),
        80..=82 => family_only(
            ctx,
            "ncm_family",
            family,
            addr,
            len,
            1,
            (nx::RTNL_NETCONF_ATTRS, "NETCONFA_???"),
            netconfa_attr,
        ),
        84..=86 => br_port_msg(ctx, family, addr, len),
        88..=90 => family_only(
            ctx,
            "rtgen_family",
            family,
            addr,
            len,
            1,
            (nx::RTNL_NSID_ATTRS, "NETNSA_???"),
            netnsa_attr,
        ),
        92 | 94 => ifstatsmsg(ctx, family, addr, len),
        96 => rtnl_cachereport::cachereport(ctx, family, addr, len),
        104..=106 => nhmsg(ctx, family, addr, len),
        _ => family_and_data(ctx, family, addr, len),
    }
    true
}

/// A header that is a family and padding (`tcamsg`, `ndtmsg`, `netconfmsg`, `rtgenmsg`), then
/// attributes.
#[allow(clippy::too_many_arguments)]
fn family_only(
    ctx: &mut Ctx<'_>,
    field: &str,
    family: u8,
    addr: u64,
    len: u64,
    size: u64,
    table: (Xlat, &str),
    dec: NlaFn,
) {
    let _ = write!(ctx.out, "{{{field}=");
    ctx.xval(nx::ADDRFAMS, u64::from(family), "AF_???");
    ctx.push("}");
    attrs_after(ctx, addr, len, size, table, dec, family);
}

fn fib_rule_hdr(ctx: &mut Ctx<'_>, family: u8, addr: u64, len: u64) {
    let Some(b) = family_header(ctx, "family", family, addr, len, 12) else {
        return;
    };
    let _ = write!(ctx.out, "dst_len={}, src_len={}, tos=", b[1], b[2]);
    ctx.flags(nx::IP_TYPE_OF_SERVICES, u64::from(b[3]), "IPTOS_TOS_???");
    ctx.push(", table=");
    ctx.xval(nx::ROUTING_TABLE_IDS, u64::from(b[4]), "RT_TABLE_???");
    ctx.push(", action=");
    ctx.xval(nx::FIB_RULE_ACTIONS, u64::from(b[7]), "FR_ACT_???");
    ctx.push(", flags=");
    ctx.flags(nx::FIB_RULE_FLAGS, u64::from(u32_at(&b, 8)), "FIB_RULE_???");
    ctx.push("}");
    attrs_after(
        ctx,
        addr,
        len,
        12,
        (nx::RTNL_RULE_ATTRS, "FRA_???"),
        fra_attr,
        family,
    );
}

fn fra_attr(ctx: &mut Ctx<'_>, fam: u8, typ: u16, addr: u64, len: u64) -> bool {
    match typ {
        1 | 2 => nla_inet_addr(ctx, fam, addr, len),
        3 | 17 => nla_str(ctx, addr, len),
        4 | 6 | 10 | 11 | 13 | 14 | 16 => nla_int::<u32>(ctx, addr, len),
        15 => nla_xval::<u32>(ctx, addr, len, nx::ROUTING_TABLE_IDS, ""),
        19 => nla_int::<u8>(ctx, addr, len),
        12 => nla_value(ctx, addr, len, |ctx, v: u64| {
            let _ = write!(ctx.out, "htobe64({})", u64::from_be(v));
        }),
        20 => u32_struct(ctx, addr, len, &["start", "end"]),
        21 => nla_xval::<u8>(ctx, addr, len, nx::ROUTING_PROTOCOLS, "RTPROT_???"),
        22 => nla_flags_or_xval(ctx, addr, len, 0, nx::INET_PROTOCOLS, "IPPROTO_???", false),
        23 | 24 => nla_value(ctx, addr, len, |ctx, [a, b]: [u16; 2]| {
            let _ = write!(ctx.out, "{{start={a}, end={b}}}");
        }),
        _ => false,
    }
}

fn tcmsg(ctx: &mut Ctx<'_>, family: u8, addr: u64, len: u64) {
    let Some(b) = family_header(ctx, "tcm_family", family, addr, len, 20) else {
        return;
    };
    ctx.push("tcm_ifindex=");
    ifindex(ctx, u32_at(&b, 4));
    let _ = write!(
        ctx.out,
        ", tcm_handle={}, tcm_parent={}, tcm_info={}}}",
        u32_at(&b, 8),
        u32_at(&b, 12),
        u32_at(&b, 16)
    );
    attrs_after(
        ctx,
        addr,
        len,
        20,
        (nx::RTNL_TC_ATTRS, "TCA_???"),
        tca_tc_attr,
        family,
    );
}

fn tca_tc_attr(ctx: &mut Ctx<'_>, fam: u8, typ: u16, addr: u64, len: u64) -> bool {
    match typ {
        1 => nla_str(ctx, addr, len),
        3 => {
            // struct tc_stats
            nla_struct(ctx, addr, len, 36, |ctx, b| {
                let bytes = u64::from_ne_bytes(b[0..8].try_into().unwrap());
                let _ = write!(ctx.out, "{{bytes={bytes}");
                for (i, f) in [
                    "packets",
                    "drops",
                    "overlimits",
                    "bps",
                    "pps",
                    "qlen",
                    "backlog",
                ]
                .iter()
                .enumerate()
                {
                    let _ = write!(ctx.out, ", {f}={}", u32_at(b, 8 + 4 * i));
                }
                ctx.push("}");
            })
        }
        5 => {
            // struct tc_estimator
            nla_value(ctx, addr, len, |ctx, [i, e]: [u8; 2]| {
                let _ = write!(ctx.out, "{{interval={}, ewma_log={e}}}", i as i8);
            })
        }
        6 | 11 | 13..=15 => nla_int::<u32>(ctx, addr, len),
        7 => rtnl_tc::tc_stats(ctx, fam, addr, len),
        8 => rtnl_tc::stab(ctx, fam, addr, len),
        12 => nla_int::<u8>(ctx, addr, len),
        _ => false,
    }
}

fn tca_attr(ctx: &mut Ctx<'_>, fam: u8, typ: u16, addr: u64, len: u64) -> bool {
    match typ {
        1 => nla_str(ctx, addr, len),
        3 => nla_int::<u32>(ctx, addr, len),
        _ => rtnl_tc::action_attr(ctx, fam, typ, addr, len),
    }
}

fn ndta_attr(ctx: &mut Ctx<'_>, fam: u8, typ: u16, addr: u64, len: u64) -> bool {
    match typ {
        1 => nla_str(ctx, addr, len),
        5 => {
            // struct ndt_config
            nla_struct(ctx, addr, len, 32, |ctx, b| {
                let _ = write!(
                    ctx.out,
                    "{{ndtc_key_len={}, ndtc_entry_size={}, ndtc_entries={}, ndtc_last_flush={}, \
                 ndtc_last_rand={}, ndtc_hash_rnd={}, ndtc_hash_mask={}, \
                 ndtc_hash_chain_gc={}, ndtc_proxy_qlen={}}}",
                    u16_at(b, 0),
                    u16_at(b, 2),
                    u32_at(b, 4),
                    u32_at(b, 8),
                    u32_at(b, 12),
                    u32_at(b, 16),
                    text::Hx(u64::from(u32_at(b, 20))),
                    u32_at(b, 24),
                    u32_at(b, 28)
                );
            })
        }
        6 => {
            nlattrs(
                ctx,
                addr,
                len,
                (nx::RTNL_NEIGHTBL_PARMS_ATTRS, "NDTPA_???"),
                no_attr,
                fam,
            );
            true
        }
        7 => {
            // struct ndt_stats
            const F: [&str; 11] = [
                "ndts_allocs",
                "ndts_destroys",
                "ndts_hash_grows",
                "ndts_res_failed",
                "ndts_lookups",
                "ndts_hits",
                "ndts_rcv_probes_mcast",
                "ndts_rcv_probes_ucast",
                "ndts_periodic_gc_runs",
                "ndts_forced_gc_runs",
                "ndts_table_fulls",
            ];
            nla_struct(ctx, addr, len, 88, |ctx, b| {
                ctx.push("{");
                for (i, f) in F.iter().enumerate() {
                    if i > 0 {
                        ctx.comma();
                    }
                    let v = u64::from_ne_bytes(b[8 * i..8 * i + 8].try_into().unwrap());
                    let _ = write!(ctx.out, "{f}={v}");
                }
                ctx.push("}");
            })
        }
        2..=4 => nla_int::<u32>(ctx, addr, len),
        8 => nla_int::<u64>(ctx, addr, len),
        _ => false,
    }
}

fn ifaddrlblmsg(ctx: &mut Ctx<'_>, family: u8, addr: u64, len: u64) {
    let Some(b) = family_header(ctx, "ifal_family", family, addr, len, 12) else {
        return;
    };
    let _ = write!(
        ctx.out,
        "ifal_prefixlen={}, ifal_flags={}, ifal_index=",
        b[2], b[3]
    );
    ifindex(ctx, u32_at(&b, 4));
    let _ = write!(ctx.out, ", ifal_seq={}}}", u32_at(&b, 8));
    attrs_after(
        ctx,
        addr,
        len,
        12,
        (nx::RTNL_ADDRLABEL_ATTRS, "IFAL_???"),
        ifal_attr,
        family,
    );
}

fn ifal_attr(ctx: &mut Ctx<'_>, fam: u8, typ: u16, addr: u64, len: u64) -> bool {
    match typ {
        1 => nla_inet_addr(ctx, fam, addr, len),
        2 => nla_int::<u32>(ctx, addr, len),
        _ => false,
    }
}

fn dcbmsg(ctx: &mut Ctx<'_>, family: u8, addr: u64, len: u64) {
    let Some(b) = family_header(ctx, "dcb_family", family, addr, len, 4) else {
        return;
    };
    ctx.push("cmd=");
    ctx.xval(nx::DCB_COMMANDS, u64::from(b[1]), "DCB_CMD_???");
    ctx.push("}");
    attrs_after(
        ctx,
        addr,
        len,
        4,
        (nx::RTNL_DCB_ATTRS, "DCB_ATTR_???"),
        no_attr,
        family,
    );
}

fn netconfa_attr(ctx: &mut Ctx<'_>, _fam: u8, typ: u16, addr: u64, len: u64) -> bool {
    match typ {
        1 => nla_ifindex(ctx, addr, len),
        2..=8 => nla_int::<i32>(ctx, addr, len),
        _ => false,
    }
}

fn br_port_msg(ctx: &mut Ctx<'_>, family: u8, addr: u64, len: u64) {
    let Some(b) = family_header(ctx, "family", family, addr, len, 8) else {
        return;
    };
    ctx.push("ifindex=");
    ifindex(ctx, u32_at(&b, 4));
    ctx.push("}");
    attrs_after(
        ctx,
        addr,
        len,
        8,
        (nx::RTNL_MDB_ATTRS, "MDBA_???"),
        rtnl_mdb::attr,
        family,
    );
}

fn netnsa_attr(ctx: &mut Ctx<'_>, _fam: u8, typ: u16, addr: u64, len: u64) -> bool {
    match typ {
        1 | 4 | 5 => nla_int::<i32>(ctx, addr, len),
        2 => nla_int::<u32>(ctx, addr, len),
        3 => nla_value(ctx, addr, len, |ctx, fd: i32| ctx.fd_val(fd)),
        _ => false,
    }
}

fn ifstatsmsg(ctx: &mut Ctx<'_>, family: u8, addr: u64, len: u64) {
    let Some(b) = family_header(ctx, "family", family, addr, len, 12) else {
        return;
    };
    if b[1] != 0 {
        let _ = write!(ctx.out, "pad1={}, ", text::Hx(u64::from(b[1])));
    }
    if u16_at(&b, 2) != 0 {
        let _ = write!(ctx.out, "pad2={}, ", text::Hx(u64::from(u16_at(&b, 2))));
    }
    ctx.push("ifindex=");
    ifindex(ctx, u32_at(&b, 4));
    ctx.push(", filter_mask=");
    ctx.flags(
        nx::IFSTATS_ATTR_FLAGS,
        u64::from(u32_at(&b, 8)),
        "1<<IFLA_STATS_???",
    );
    ctx.push("}");
    attrs_after(
        ctx,
        addr,
        len,
        12,
        (nx::IFSTATS_ATTRS, "IFLA_STATS_???"),
        ifstats_attr,
        family,
    );
}

fn ifstats_attr(ctx: &mut Ctx<'_>, fam: u8, typ: u16, addr: u64, len: u64) -> bool {
    match typ {
        1 => link_stats(ctx, addr, len, true),
        _ => rtnl_stats::attr(ctx, fam, typ, addr, len),
    }
}

/// `RTM_NEWCACHEREPORT`: the family (a multicast routing one or an address family); the
/// attributes print as bytes.
fn nhmsg(ctx: &mut Ctx<'_>, family: u8, addr: u64, len: u64) {
    let Some(b) = family_header(ctx, "nh_family", family, addr, len, 8) else {
        return;
    };
    ctx.push("nh_scope=");
    ctx.xval(nx::ROUTING_SCOPES, u64::from(b[1]), "");
    ctx.push(", nh_protocol=");
    ctx.xval(nx::ROUTING_PROTOCOLS, u64::from(b[2]), "RTPROT_???");
    if b[3] != 0 {
        let _ = write!(ctx.out, ", resvd={}", text::Hx(u64::from(b[3])));
    }
    ctx.push(", nh_flags=");
    ctx.flags(
        nx::ROUTE_NEXTHOP_FLAGS,
        u64::from(u32_at(&b, 4)),
        "RTNH_F_???",
    );
    ctx.push("}");
    attrs_after(
        ctx,
        addr,
        len,
        8,
        (nx::RTNL_NEXTHOP_ATTRS, "NHA_???"),
        nha_attr,
        family,
    );
}

fn nha_attr(ctx: &mut Ctx<'_>, fam: u8, typ: u16, addr: u64, len: u64) -> bool {
    match typ {
        // NHA_GROUP: struct nexthop_grp {id, weight, resvd1, resvd2} (reserved ones when set).
        2 => {
            let n = len / 8;
            if n == 0 {
                return false;
            }
            array(ctx, addr, n, 8, None, |c, b| {
                let _ = write!(c.out, "{{id={}, weight={}", u32_at(b, 0), b[4]);
                if b[5] != 0 {
                    let _ = write!(c.out, ", resvd1={}", text::Hx(u64::from(b[5])));
                }
                if u16_at(b, 6) != 0 {
                    let _ = write!(c.out, ", resvd2={}", text::Hx(u64::from(u16_at(b, 6))));
                }
                c.push("}");
            });
            true
        }
        3 => nla_flags_or_xval(
            ctx,
            addr,
            len,
            2,
            nx::RTNL_NEXTHOP_GRP_TYPES,
            "NEXTHOP_GRP_TYPE_???",
            false,
        ),
        12 => {
            nlattrs(
                ctx,
                addr,
                len,
                (nx::RTNL_NHA_RES_GROUP_ATTRS, "NHA_RES_GROUP_???"),
                |ctx, _fam, typ, addr, len| match typ {
                    1 => nla_int::<u16>(ctx, addr, len),
                    2..=4 => nla_clock(ctx, addr, len),
                    _ => false,
                },
                fam,
            );
            true
        }
        13 => {
            nlattrs(
                ctx,
                addr,
                len,
                (nx::RTNL_NHA_RES_BUCKET_ATTRS, "NHA_RES_BUCKET_???"),
                |ctx, _fam, typ, addr, len| match typ {
                    1 => nla_int::<u16>(ctx, addr, len),
                    2 => nla_clock(ctx, addr, len),
                    3 => nla_int::<u32>(ctx, addr, len),
                    _ => false,
                },
                fam,
            );
            true
        }
        1 | 4 | 9 | 11 => nla_int::<u32>(ctx, addr, len),
        5 | 10 => nla_ifindex(ctx, addr, len),
        6 => nla_inet_addr(ctx, fam, addr, len),
        7 => nla_xval::<u16>(
            ctx,
            addr,
            len,
            nx::LWTUNNEL_ENCAP_TYPES,
            "LWTUNNEL_ENCAP_???",
        ),
        _ => false,
    }
}

fn ifinfomsg(ctx: &mut Ctx<'_>, family: u8, addr: u64, len: u64) {
    let Some(b) = family_header(ctx, "ifi_family", family, addr, len, 16) else {
        return;
    };
    ctx.push("ifi_type=");
    ctx.xval(
        nx::ARP_HARDWARE_TYPES,
        u64::from(u16_at(&b, 2)),
        "ARPHRD_???",
    );
    ctx.push(", ifi_index=");
    ifindex(ctx, u32_at(&b, 4));
    ctx.push(", ifi_flags=");
    ctx.flags(nx::IFFFLAGS, u64::from(u32_at(&b, 8)), "IFF_???");
    ctx.push(", ifi_change=");
    ctx.hex_value(u64::from(u32_at(&b, 12)));
    ctx.push("}");
    attrs_after(
        ctx,
        addr,
        len,
        16,
        (nx::RTNL_LINK_ATTRS, "IFLA_???"),
        ifla_attr,
        family,
    );
}

fn ifla_attr(ctx: &mut Ctx<'_>, fam: u8, typ: u16, addr: u64, len: u64) -> bool {
    match typ {
        // IFLA_ADDRESS, IFLA_BROADCAST, IFLA_PERM_ADDRESS: strace passes the message's
        // family as the device type.
        1 | 2 | 54 => nla_hwaddr(ctx, addr, len, Some(u32::from(fam))),
        3 | 6 | 20 | 38 | 53 | 56 | 57 => nla_str(ctx, addr, len),
        4
        | 5
        | 10
        | 13
        | 15
        | 19
        | 21
        | 27
        | 30..=32
        | 35
        | 40
        | 41
        | 47
        | 48
        | 50
        | 51
        | 58..=61 => nla_int::<u32>(ctx, addr, len),
        16 | 17 | 33 | 39 => nla_int::<u8>(ctx, addr, len),
        37 | 45 | 46 => nla_int::<i32>(ctx, addr, len),
        49 => nla_ifindex(ctx, addr, len),
        12 => rtnl_link::protinfo(ctx, fam, addr, len),
        22 => rtnl_link::vfinfo_list(ctx, fam, addr, len),
        7 => link_stats(ctx, addr, len, false),
        23 => link_stats(ctx, addr, len, true),
        14 => {
            // struct rtnl_link_ifmap, up to its last field.
            nla_struct(ctx, addr, len, 28, |ctx, b| {
                let q = |o: usize| u64::from_ne_bytes(b[o..o + 8].try_into().unwrap());
                let _ = write!(
                    ctx.out,
                    "{{mem_start={}, mem_end={}, base_addr={}, irq={}, dma={}, port={}}}",
                    text::Hx(q(0)),
                    text::Hx(q(8)),
                    text::Hx(q(16)),
                    u16_at(b, 24),
                    b[26],
                    b[27]
                );
            })
        }
        29 => nla_flags(
            ctx,
            addr,
            len,
            4,
            nx::RTNL_IFLA_EXT_FILTER_FLAGS,
            "RTEXT_FILTER_???",
        ),
        44 => nla_xval::<u32>(ctx, addr, len, nx::RTNL_IFLA_EVENTS, "IFLA_EVENT_???"),
        52 => {
            nlattrs(
                ctx,
                addr,
                len,
                (nx::RTNL_LINK_ATTRS, "IFLA_???"),
                ifla_attr,
                fam,
            );
            true
        }
        18 => rtnl_link::linkinfo(ctx, fam, addr, len),
        24 => rtnl_link::vf_ports(ctx, fam, addr, len),
        25 => rtnl_link::port(ctx, fam, addr, len),
        26 => rtnl_link::af_spec(ctx, fam, addr, len),
        43 => rtnl_link::xdp(ctx, fam, addr, len),
        55 => rtnl_link::proto_down_reason(ctx, fam, addr, len),
        28 => {
            // IFLA_NET_NS_FD
            nla_value(ctx, addr, len, |ctx, fd: i32| ctx.fd_val(fd))
        }
        _ => false,
    }
}

/// `IFLA_STATS` (`u32` counters) and `IFLA_STATS64` (`u64`): the counters the length covers,
/// as strace (the common ones, then `rx_nohandler` and `rx_otherhost_dropped` when present).
fn link_stats(ctx: &mut Ctx<'_>, addr: u64, len: u64, wide: bool) -> bool {
    const NAMES: [&str; 25] = [
        "rx_packets",
        "tx_packets",
        "rx_bytes",
        "tx_bytes",
        "rx_errors",
        "tx_errors",
        "rx_dropped",
        "tx_dropped",
        "multicast",
        "collisions",
        "rx_length_errors",
        "rx_over_errors",
        "rx_crc_errors",
        "rx_frame_errors",
        "rx_fifo_errors",
        "rx_missed_errors",
        "tx_aborted_errors",
        "tx_carrier_errors",
        "tx_fifo_errors",
        "tx_heartbeat_errors",
        "tx_window_errors",
        "rx_compressed",
        "tx_compressed",
        "rx_nohandler",
        "rx_otherhost_dropped",
    ];
    let w: u64 = if wide { 8 } else { 4 };
    // Counters shown: 23 at least, and only lengths strace knows.
    let max = if wide { 25 } else { 24 };
    let n = if len >= max * w {
        max
    } else if wide && len == 24 * w {
        24
    } else if len == 23 * w {
        23
    } else {
        return false;
    };
    let Some(b) = ctx.read_bytes(addr, (n * w) as usize) else {
        ctx.addr(addr);
        return true;
    };
    ctx.push("{");
    for (i, name) in NAMES.iter().take(n as usize).enumerate() {
        if i > 0 {
            ctx.comma();
        }
        let v = if wide {
            u64::from_ne_bytes(b[8 * i..8 * i + 8].try_into().unwrap())
        } else {
            u64::from(u32_at(&b, 4 * i))
        };
        let _ = write!(ctx.out, "{name}={v}");
    }
    ctx.push("}");
    true
}

fn ifaddrmsg(ctx: &mut Ctx<'_>, family: u8, addr: u64, len: u64) {
    let Some(b) = family_header(ctx, "ifa_family", family, addr, len, 8) else {
        return;
    };
    let _ = write!(ctx.out, "ifa_prefixlen={}, ifa_flags=", b[1]);
    ctx.flags(nx::IFADDRFLAGS, u64::from(b[2]), "IFA_F_???");
    ctx.push(", ifa_scope=");
    ctx.xval(nx::ROUTING_SCOPES, u64::from(b[3]), "");
    ctx.push(", ifa_index=");
    ifindex(ctx, u32_at(&b, 4));
    ctx.push("}");
    attrs_after(
        ctx,
        addr,
        len,
        8,
        (nx::RTNL_ADDR_ATTRS, "IFA_???"),
        ifa_attr,
        family,
    );
}

fn ifa_attr(ctx: &mut Ctx<'_>, fam: u8, typ: u16, addr: u64, len: u64) -> bool {
    match typ {
        1 | 2 | 4 | 5 | 7 => nla_inet_addr(ctx, fam, addr, len),
        3 => nla_str(ctx, addr, len),
        6 => u32_struct(
            ctx,
            addr,
            len,
            &["ifa_prefered", "ifa_valid", "cstamp", "tstamp"],
        ),
        8 => nla_value(ctx, addr, len, |ctx, v: u32| {
            ctx.flags(nx::IFADDRFLAGS, u64::from(v), "IFA_F_???")
        }),
        9 => nla_int::<u32>(ctx, addr, len),
        10 => nla_int::<i32>(ctx, addr, len),
        _ => false,
    }
}

/// A structure of `u32` fields: `{a=1, b=2}` (false when `len` is shorter).
fn u32_struct(ctx: &mut Ctx<'_>, addr: u64, len: u64, fields: &[&str]) -> bool {
    let size = 4 * fields.len();
    nla_struct(ctx, addr, len, size, |ctx, b| {
        ctx.push("{");
        for (i, f) in fields.iter().enumerate() {
            if i > 0 {
                ctx.comma();
            }
            let _ = write!(ctx.out, "{f}={}", u32_at(b, 4 * i));
        }
        ctx.push("}");
    })
}

fn rtmsg(ctx: &mut Ctx<'_>, family: u8, addr: u64, len: u64) {
    let Some(b) = family_header(ctx, "rtm_family", family, addr, len, 12) else {
        return;
    };
    let _ = write!(
        ctx.out,
        "rtm_dst_len={}, rtm_src_len={}, rtm_tos=",
        b[1], b[2]
    );
    ctx.flags(nx::IP_TYPE_OF_SERVICES, u64::from(b[3]), "IPTOS_TOS_???");
    ctx.push(", rtm_table=");
    ctx.xval(nx::ROUTING_TABLE_IDS, u64::from(b[4]), "");
    ctx.push(", rtm_protocol=");
    ctx.xval(nx::ROUTING_PROTOCOLS, u64::from(b[5]), "RTPROT_???");
    ctx.push(", rtm_scope=");
    ctx.xval(nx::ROUTING_SCOPES, u64::from(b[6]), "");
    ctx.push(", rtm_type=");
    ctx.xval(nx::ROUTING_TYPES, u64::from(b[7]), "RTN_???");
    ctx.push(", rtm_flags=");
    ctx.flags(nx::ROUTING_FLAGS, u64::from(u32_at(&b, 8)), "RTM_F_???");
    ctx.push("}");
    attrs_after(
        ctx,
        addr,
        len,
        12,
        (nx::RTNL_ROUTE_ATTRS, "RTA_???"),
        rta_attr,
        family,
    );
}

fn rta_attr(ctx: &mut Ctx<'_>, fam: u8, typ: u16, addr: u64, len: u64) -> bool {
    match typ {
        1 | 2 | 5 | 7 | 19 => nla_inet_addr(ctx, fam, addr, len),
        3 | 4 => nla_ifindex(ctx, addr, len),
        6 | 10 | 11 | 14 | 16 | 25 => nla_int::<u32>(ctx, addr, len),
        20 | 26 | 27 => nla_int::<u8>(ctx, addr, len),
        23 => nla_int::<u64>(ctx, addr, len),
        28 | 29 => nla_int::<u16>(ctx, addr, len),
        8 => {
            nlattrs(
                ctx,
                addr,
                len,
                (nx::RTNL_RTA_METRICS_ATTRS, "RTAX_???"),
                rtax_attr,
                fam,
            );
            true
        }
        9 => rta_multipath(ctx, fam, addr, len),
        12 => nla_struct(ctx, addr, len, 32, |ctx, b| {
            let f = |i: usize| u32_at(b, 4 * i);
            let _ = write!(
                ctx.out,
                "{{rta_clntref={}, rta_lastuse={}, rta_expires={}, rta_error={}, rta_used={}, \
                 rta_id={}, rta_ts={}, rta_tsage={}}}",
                f(0),
                f(1),
                f(2),
                f(3),
                f(4),
                text::Hx(u64::from(f(5))),
                f(6),
                f(7)
            );
        }),
        15 => nla_xval::<u32>(ctx, addr, len, nx::ROUTING_TABLE_IDS, ""),
        17 => nla_value(ctx, addr, len, |ctx, [p, b, w]: [u64; 3]| {
            let _ = write!(
                ctx.out,
                "{{mfcs_packets={p}, mfcs_bytes={b}, mfcs_wrong_if={w}}}"
            );
        }),
        18 => {
            // struct rtvia: a family and an address of it.
            nla_value(ctx, addr, len, |ctx, f: u16| {
                ctx.push("{rtvia_family=");
                ctx.xval(nx::ADDRFAMS, u64::from(f), "AF_???");
                if len > 2 {
                    ctx.comma();
                    inet_addr_at(ctx, f as u8, addr + 2, len - 2, Some("rtvia_addr"));
                }
                ctx.push("}");
            })
        }
        21 => nla_xval::<u16>(
            ctx,
            addr,
            len,
            nx::LWTUNNEL_ENCAP_TYPES,
            "LWTUNNEL_ENCAP_???",
        ),
        _ => false,
    }
}

/// The metrics of a route (`RTA_METRICS`).
fn rtax_attr(ctx: &mut Ctx<'_>, _fam: u8, typ: u16, addr: u64, len: u64) -> bool {
    match typ {
        1..=15 => nla_int::<u32>(ctx, addr, len),
        16 => nla_str(ctx, addr, len),
        _ => false,
    }
}

/// `RTA_MULTIPATH`: `struct rtnexthop`s, each followed by its attributes.
fn rta_multipath(ctx: &mut Ctx<'_>, fam: u8, addr: u64, len: u64) -> bool {
    if len < 8 {
        return false;
    }
    let (mut cur, mut left) = (addr, len);
    let mut is_array = false;
    loop {
        let Some(b) = ctx.read_bytes(cur, 8) else {
            ctx.addr(cur);
            break;
        };
        let nh_len = u64::from(u16_at(&b, 0));
        let shown = left.min(nh_len);
        if cur == addr && nh_len < len {
            ctx.push("[");
            is_array = true;
        }
        if cur > addr {
            ctx.comma();
        }
        if shown > 8 {
            ctx.push("[");
        }
        let _ = write!(ctx.out, "{{rtnh_len={nh_len}, rtnh_flags=");
        ctx.flags(nx::ROUTE_NEXTHOP_FLAGS, u64::from(b[2]), "RTNH_F_???");
        let _ = write!(ctx.out, ", rtnh_hops={}, rtnh_ifindex=", b[3]);
        ifindex(ctx, u32_at(&b, 4));
        ctx.push("}");
        if shown > 8 {
            ctx.comma();
            nlattrs(
                ctx,
                cur + 8,
                shown - 8,
                (nx::RTNL_ROUTE_ATTRS, "RTA_???"),
                rta_attr,
                fam,
            );
            ctx.push("]");
        }
        let step = align4(shown);
        if step >= left || step == 0 {
            break;
        }
        cur += step;
        left -= step;
    }
    if is_array {
        ctx.push("]");
    }
    true
}

/// `decode_nla_xval`: an integer of type `T` named by `table`.
fn nla_xval<T: super::tracee::Pod + Into<u64>>(
    ctx: &mut Ctx<'_>,
    addr: u64,
    len: u64,
    table: Xlat,
    dflt: &str,
) -> bool {
    nla_value(ctx, addr, len, |ctx, v: T| ctx.xval(table, v.into(), dflt))
}

/// The extended attributes of a forwarding database entry (`NDA_FDB_EXT_ATTRS`).
fn nfea_attr(ctx: &mut Ctx<'_>, _fam: u8, typ: u16, addr: u64, len: u64) -> bool {
    match typ {
        1 => nla_flags(ctx, addr, len, 1, nx::FDB_NOTIFY_FLAGS, "FDB_NOTIFY_???"),
        _ => false,
    }
}

/// `decode_nla_flags`: an integer of `size` bytes (the payload may be longer, up to 8) as
/// flags of `table`.
fn nla_flags(ctx: &mut Ctx<'_>, addr: u64, len: u64, size: u64, table: Xlat, dflt: &str) -> bool {
    nla_flags_or_xval(ctx, addr, len, size, table, dflt, true)
}

/// [`nla_flags`], or with `flags` false strace's `decode_nla_xval` (one constant; `size` 0:
/// as many bytes as the payload has, up to 8).
fn nla_flags_or_xval(
    ctx: &mut Ctx<'_>,
    addr: u64,
    len: u64,
    size: u64,
    table: Xlat,
    dflt: &str,
    flags: bool,
) -> bool {
    if len > 8 || len < size {
        return false;
    }
    let n = if size > 0 { len.min(size) } else { len };
    match ctx.read_bytes(addr, n as usize) {
        Some(b) => {
            let mut v = [0u8; 8];
            v[..b.len()].copy_from_slice(&b);
            if flags {
                ctx.flags(table, u64::from_le_bytes(v), dflt);
            } else {
                ctx.xval(table, u64::from_le_bytes(v), dflt);
            }
        }
        None => ctx.addr(addr),
    }
    true
}

/// [`inet_addr`] of `len` bytes at `addr` (strace's `decode_inet_addr` with a field name).
fn inet_addr_at(ctx: &mut Ctx<'_>, family: u8, addr: u64, len: u64, field: Option<&str>) {
    let size = match family {
        AF_INET => 4,
        AF_INET6 => 16,
        _ => 0,
    };
    if size == 0 || len < size {
        if let Some(f) = field {
            let _ = write!(ctx.out, "{f}=");
        }
        ctx.buf_ex(addr, len, true);
        return;
    }
    match ctx.read_bytes(addr, size as usize) {
        Some(b) => {
            inet_addr(ctx, family, &b, field);
        }
        None => {
            if let Some(f) = field {
                let _ = write!(ctx.out, "{f}=");
            }
            ctx.addr(addr);
        }
    }
}

/// An array of `nmemb` elements of `size` bytes ([`Ctx::array`], strace's `print_array_ex`);
/// with `indices`, each element after its name: `[[SK_MEMINFO_RMEM_ALLOC]=0, ...]`.
fn array(
    ctx: &mut Ctx<'_>,
    addr: u64,
    nmemb: u64,
    size: u64,
    indices: Option<(Xlat, &str)>,
    elem: fn(&mut Ctx<'_>, &[u8]),
) {
    let mut i = 0;
    ctx.array(addr, nmemb, size, &mut |c, b| {
        if let Some((t, d)) = indices {
            array_index(c, t, d, i);
        }
        i += 1;
        elem(c, b);
    });
}

/// `[NAME]=` before an element of an indexed array: the index in decimal in every style
/// (strace's `XLAT_STYLE_FMT_D`/`XLAT_STYLE_FMT_U`).
fn array_index(c: &mut Ctx<'_>, t: Xlat, d: &str, i: u64) {
    c.push("[");
    match (c.opts.xlat, text::lookup(t, i)) {
        (XlatStyle::Abbrev, Some(n)) => c.push(n),
        (XlatStyle::Verbose, Some(n)) => {
            let _ = write!(c.out, "{i} /* {n} */");
        }
        (XlatStyle::Raw, _) | (_, None) => {
            let _ = write!(c.out, "{i}");
            if c.opts.xlat != XlatStyle::Raw && !d.is_empty() {
                let _ = write!(c.out, " /* {d} */");
            }
        }
    }
    c.push("]=");
}

fn elem_u32(ctx: &mut Ctx<'_>, b: &[u8]) {
    let _ = write!(ctx.out, "{}", u32_at(b, 0));
}

/// `decode_nla_meminfo`: the `u32`s named by `SK_MEMINFO_*`.
fn nla_meminfo(ctx: &mut Ctx<'_>, addr: u64, len: u64) -> bool {
    let n = len / 4;
    if n == 0 {
        return false;
    }
    array(
        ctx,
        addr,
        n,
        4,
        Some((nx::NETLINK_SK_MEMINFO_INDICES, "SK_MEMINFO_???")),
        elem_u32,
    );
    true
}

fn ndmsg(ctx: &mut Ctx<'_>, family: u8, addr: u64, len: u64) {
    let Some(b) = family_header(ctx, "ndm_family", family, addr, len, 12) else {
        return;
    };
    ctx.push("ndm_ifindex=");
    ifindex(ctx, u32_at(&b, 4));
    ctx.push(", ndm_state=");
    ctx.flags(
        nx::NEIGHBOR_CACHE_ENTRY_STATES,
        u64::from(u16_at(&b, 8)),
        "NUD_???",
    );
    ctx.push(", ndm_flags=");
    ctx.flags(nx::NEIGHBOR_CACHE_ENTRY_FLAGS, u64::from(b[10]), "NTF_???");
    ctx.push(", ndm_type=");
    ctx.xval(nx::ROUTING_TYPES, u64::from(b[11]), "RTN_???");
    ctx.push("}");
    attrs_after(
        ctx,
        addr,
        len,
        12,
        (nx::RTNL_NEIGH_ATTRS, "NDA_???"),
        nda_attr,
        family,
    );
}

fn nda_attr(ctx: &mut Ctx<'_>, fam: u8, typ: u16, addr: u64, len: u64) -> bool {
    match typ {
        1 => nla_inet_addr(ctx, fam, addr, len),
        2 => nla_hwaddr(ctx, addr, len, None),
        3 => u32_struct(
            ctx,
            addr,
            len,
            &["ndm_confirmed", "ndm_used", "ndm_updated", "ndm_refcnt"],
        ),
        4 | 7 | 10 | 11 | 13 => nla_int::<u32>(ctx, addr, len),
        5 => nla_int::<u16>(ctx, addr, len),
        6 => nla_value(ctx, addr, len, |ctx, v: u16| {
            let _ = write!(ctx.out, "htons({})", u16::from_be(v));
        }),
        8 | 9 => nla_ifindex(ctx, addr, len),
        12 => nla_flags_or_xval(ctx, addr, len, 0, nx::INET_PROTOCOLS, "IPPROTO_???", false),
        14 => {
            nlattrs(
                ctx,
                addr,
                len,
                (nx::RTNL_NEIGH_FDB_EXT_ATTRS, "NFEA_???"),
                nfea_attr,
                fam,
            );
            true
        }
        15 => nla_flags(
            ctx,
            addr,
            len,
            4,
            nx::NEIGHBOR_CACHE_ENTRY_EXT_FLAGS,
            "NTF_EXT_???",
        ),
        16 => nla_flags(
            ctx,
            addr,
            len,
            2,
            nx::NEIGHBOR_CACHE_ENTRY_STATES,
            "NUD_???",
        ),
        17 => nla_flags(ctx, addr, len, 1, nx::NEIGHBOR_CACHE_ENTRY_FLAGS, "NTF_???"),
        _ => false,
    }
}

/// NETLINK_SOCK_DIAG payloads (strace's `decode_netlink_sock_diag`): requests and answers
/// of the UNIX and INET families.
fn sock_diag(ctx: &mut Ctx<'_>, h: &Hdr, addr: u64, len: u64) -> bool {
    if h.typ == NLMSG_DONE {
        return false;
    }
    let Some(family) = ctx.read::<u8>(addr) else {
        ctx.addr(addr);
        return true;
    };
    let request = h.flags & NLM_F_REQUEST != 0;
    if len > 1 {
        match (family, request) {
            (AF_UNIX, true) => return unix_diag_req(ctx, family, addr, len),
            (AF_UNIX, false) => return unix_diag_msg(ctx, family, addr, len),
            (AF_INET | AF_INET6, true) if h.typ == 18 || h.typ == 19 => {
                return inet_diag_req_compat(ctx, family, addr, len)
            }
            (AF_INET | AF_INET6, true) => return inet_diag_req_v2(ctx, family, addr, len),
            (AF_INET | AF_INET6, false) => return inet_diag_msg(ctx, family, addr, len),
            (AF_NETLINK, true) => return netlink_diag_req(ctx, family, addr, len),
            (AF_PACKET, true) => return packet_diag_req(ctx, family, addr, len),
            (AF_PACKET, false) => return packet_diag_msg(ctx, family, addr, len),
            (AF_NETLINK, false) => return netlink_diag_msg(ctx, family, addr, len),
            (AF_SMC, true) => return smc_diag::req(ctx, family, addr, len),
            (AF_SMC, false) => return smc_diag::msg(ctx, family, addr, len),
            _ => {}
        }
    }
    family_and_data(ctx, family, addr, len);
    true
}

fn packet_diag_req(ctx: &mut Ctx<'_>, family: u8, addr: u64, len: u64) -> bool {
    let Some(b) = family_header(ctx, "sdiag_family", family, addr, len, 20) else {
        return true;
    };
    let _ = write!(
        ctx.out,
        "sdiag_protocol={}, pdiag_ino={}, pdiag_show=",
        text::Hx(u64::from(b[1])),
        u32_at(&b, 4)
    );
    ctx.flags(
        nx::PACKET_DIAG_SHOW,
        u64::from(u32_at(&b, 8)),
        "PACKET_SHOW_???",
    );
    ctx.comma();
    cookie(ctx, "pdiag_cookie", &b, 12);
    ctx.push("}");
    true
}

fn packet_diag_msg(ctx: &mut Ctx<'_>, family: u8, addr: u64, len: u64) -> bool {
    let Some(b) = family_header(ctx, "pdiag_family", family, addr, len, 16) else {
        return true;
    };
    ctx.push("pdiag_type=");
    ctx.xval(nx::SOCKTYPES, u64::from(b[1]), "SOCK_???");
    ctx.push(", pdiag_num=");
    ctx.xval(
        nx::ETHERNET_PROTOCOLS,
        u64::from(u16_at(&b, 2)),
        "ETH_P_???",
    );
    let _ = write!(ctx.out, ", pdiag_ino={}, ", u32_at(&b, 4));
    cookie(ctx, "pdiag_cookie", &b, 8);
    ctx.push("}");
    attrs_after(
        ctx,
        addr,
        len,
        16,
        (nx::PACKET_DIAG_ATTRS, "PACKET_DIAG_???"),
        packet_diag_attr,
        family,
    );
    true
}

fn packet_diag_attr(ctx: &mut Ctx<'_>, _fam: u8, typ: u16, addr: u64, len: u64) -> bool {
    match typ {
        // PACKET_DIAG_INFO
        0 => nla_struct(ctx, addr, len, 24, |ctx, b| {
            ctx.push("{pdi_index=");
            ifindex(ctx, u32_at(b, 0));
            ctx.push(", pdi_version=");
            ctx.xval(
                nx::AF_PACKET_VERSIONS,
                u64::from(u32_at(b, 4)),
                "TPACKET_???",
            );
            let _ = write!(
                ctx.out,
                ", pdi_reserve={}, pdi_copy_thresh={}, pdi_tstamp={}, pdi_flags=",
                u32_at(b, 8),
                u32_at(b, 12),
                u32_at(b, 16)
            );
            ctx.flags(
                nx::PACKET_DIAG_INFO_FLAGS,
                u64::from(u32_at(b, 20)),
                "PDI_???",
            );
            ctx.push("}");
        }),
        // PACKET_DIAG_MCLIST: struct packet_diag_mclist (44 bytes) each.
        1 => {
            let n = len / 44;
            if n == 0 {
                return false;
            }
            array(ctx, addr, n, 44, None, |c, e| {
                c.push("{pdmc_index=");
                ifindex(c, u32_at(e, 0));
                let alen = u16_at(e, 10);
                let _ = write!(
                    c.out,
                    ", pdmc_count={}, pdmc_type={}, pdmc_alen={alen}, pdmc_addr=",
                    u32_at(e, 4),
                    u16_at(e, 8)
                );
                let n = usize::from(alen).min(32);
                text::quote(&mut c.out, &e[12..12 + n], c.opts.hex, true);
                c.push("}");
            });
            true
        }
        // PACKET_DIAG_RX_RING, PACKET_DIAG_TX_RING
        2 | 3 => u32_struct(
            ctx,
            addr,
            len,
            &[
                "pdr_block_size",
                "pdr_block_nr",
                "pdr_frame_size",
                "pdr_frame_nr",
                "pdr_retire_tmo",
                "pdr_sizeof_priv",
                "pdr_features",
            ],
        ),
        4 => nla_int::<u32>(ctx, addr, len),
        5 => nla_value(ctx, addr, len, |ctx, v: u32| match v {
            u32::MAX => ctx.push("-1"),
            v => {
                let _ = write!(ctx.out, "{v}");
            }
        }),
        6 => nla_meminfo(ctx, addr, len),
        // PACKET_DIAG_FILTER: the socket's classic BPF program (strace's print_sock_fprog).
        7 => {
            let n = len / 8;
            if n == 0 || n > u64::from(u16::MAX) {
                return false;
            }
            super::cbpf::program(ctx, addr, n, super::cbpf::Flavour::Socket);
            true
        }
        _ => false,
    }
}

fn netlink_diag_req(ctx: &mut Ctx<'_>, family: u8, addr: u64, len: u64) -> bool {
    let Some(b) = family_header(ctx, "sdiag_family", family, addr, len, 20) else {
        return true;
    };
    ctx.push("sdiag_protocol=");
    if b[1] == 0xff {
        text::named(&mut ctx.out, ctx.opts.xlat, "0xff", "NDIAG_PROTO_ALL");
    } else {
        ctx.xval(nx::NETLINK_PROTOCOLS, u64::from(b[1]), "NETLINK_???");
    }
    let _ = write!(ctx.out, ", ndiag_ino={}, ndiag_show=", u32_at(&b, 4));
    ctx.flags(
        nx::NETLINK_DIAG_SHOW,
        u64::from(u32_at(&b, 8)),
        "NDIAG_SHOW_???",
    );
    ctx.comma();
    cookie(ctx, "ndiag_cookie", &b, 12);
    ctx.push("}");
    true
}

fn netlink_diag_msg(ctx: &mut Ctx<'_>, family: u8, addr: u64, len: u64) -> bool {
    let Some(b) = family_header(ctx, "ndiag_family", family, addr, len, 28) else {
        return true;
    };
    ctx.push("ndiag_type=");
    ctx.xval(nx::SOCKTYPES, u64::from(b[1]), "SOCK_???");
    ctx.push(", ndiag_protocol=");
    ctx.xval(nx::NETLINK_PROTOCOLS, u64::from(b[2]), "NETLINK_???");
    ctx.push(", ndiag_state=");
    ctx.xval(nx::NETLINK_STATES, u64::from(b[3]), "NETLINK_???");
    let _ = write!(
        ctx.out,
        ", ndiag_portid={}, ndiag_dst_portid={}, ndiag_dst_group={}, ndiag_ino={}, ",
        u32_at(&b, 4),
        u32_at(&b, 8),
        u32_at(&b, 12),
        u32_at(&b, 16)
    );
    cookie(ctx, "ndiag_cookie", &b, 20);
    ctx.push("}");
    attrs_after(
        ctx,
        addr,
        len,
        28,
        (nx::NETLINK_DIAG_ATTRS, "NETLINK_DIAG_???"),
        netlink_diag_attr,
        family,
    );
    true
}

fn netlink_diag_attr(ctx: &mut Ctx<'_>, _fam: u8, typ: u16, addr: u64, len: u64) -> bool {
    match typ {
        0 => nla_meminfo(ctx, addr, len),
        // NETLINK_DIAG_GROUPS: words of group bits, zero-padded hex (strace's PRINT_VAL_0X).
        1 => {
            let n = len / 8;
            if n == 0 {
                return false;
            }
            array(ctx, addr, n, 8, None, |c, e| {
                let v = u64::from_ne_bytes(e[..8].try_into().unwrap());
                if v == 0 {
                    c.push("0000000000000000");
                } else {
                    let _ = write!(c.out, "{v:#016x}");
                }
            });
            true
        }
        2 | 3 => u32_struct(
            ctx,
            addr,
            len,
            &[
                "ndr_block_size",
                "ndr_block_nr",
                "ndr_frame_size",
                "ndr_frame_nr",
            ],
        ),
        4 => nla_value(ctx, addr, len, |ctx, v: u32| {
            ctx.flags(nx::NETLINK_SOCKET_FLAGS, u64::from(v), "NDIAG_FLAG_???")
        }),
        _ => false,
    }
}

/// `udiag_cookie=[1, 2]`.
fn cookie(ctx: &mut Ctx<'_>, name: &str, b: &[u8], o: usize) {
    let _ = write!(ctx.out, "{name}=[{}, {}]", u32_at(b, o), u32_at(b, o + 4));
}

fn unix_diag_req(ctx: &mut Ctx<'_>, family: u8, addr: u64, len: u64) -> bool {
    let Some(b) = family_header(ctx, "sdiag_family", family, addr, len, 24) else {
        return true;
    };
    let _ = write!(ctx.out, "sdiag_protocol={}, udiag_states=", b[1]);
    ctx.flags(nx::TCP_STATE_FLAGS, u64::from(u32_at(&b, 4)), "1<<TCP_???");
    let _ = write!(ctx.out, ", udiag_ino={}, udiag_show=", u32_at(&b, 8));
    ctx.flags(
        nx::UNIX_DIAG_SHOW,
        u64::from(u32_at(&b, 12)),
        "UDIAG_SHOW_???",
    );
    ctx.comma();
    cookie(ctx, "udiag_cookie", &b, 16);
    ctx.push("}");
    true
}

fn unix_diag_msg(ctx: &mut Ctx<'_>, family: u8, addr: u64, len: u64) -> bool {
    let Some(b) = family_header(ctx, "udiag_family", family, addr, len, 16) else {
        return true;
    };
    ctx.push("udiag_type=");
    ctx.xval(nx::SOCKTYPES, u64::from(b[1]), "SOCK_???");
    ctx.push(", udiag_state=");
    ctx.xval(nx::TCP_STATES, u64::from(b[2]), "TCP_???");
    let _ = write!(ctx.out, ", udiag_ino={}, ", u32_at(&b, 4));
    cookie(ctx, "udiag_cookie", &b, 8);
    ctx.push("}");
    attrs_after(
        ctx,
        addr,
        len,
        16,
        (nx::UNIX_DIAG_ATTRS, "UNIX_DIAG_???"),
        unix_diag_attr,
        family,
    );
    true
}

fn unix_diag_attr(ctx: &mut Ctx<'_>, _fam: u8, typ: u16, addr: u64, len: u64) -> bool {
    match typ {
        0 => nla_str(ctx, addr, len),
        1 => {
            // struct unix_diag_vfs
            nla_value(ctx, addr, len, |ctx, [ino, dev]: [u32; 2]| {
                let _ = write!(
                    ctx.out,
                    "{{udiag_vfs_dev={}, udiag_vfs_ino={ino}}}",
                    super::structs::makedev(u64::from(dev))
                );
            })
        }
        2 => nla_int::<u32>(ctx, addr, len),
        3 => {
            let n = len / 4;
            if n == 0 {
                return false;
            }
            array(ctx, addr, n, 4, None, elem_u32);
            true
        }
        4 => u32_struct(ctx, addr, len, &["udiag_rqueue", "udiag_wqueue"]),
        5 => nla_meminfo(ctx, addr, len),
        6 => nla_int::<u8>(ctx, addr, len),
        7 => {
            // UNIX_DIAG_UID: a uid, -1 for (uid_t) -1.
            nla_value(ctx, addr, len, |ctx, v: u32| match v {
                u32::MAX => ctx.push("-1"),
                v => {
                    let _ = write!(ctx.out, "{v}");
                }
            })
        }
        _ => false,
    }
}

/// A port in network order (strace's `PRINT_FIELD_NET_PORT`): `idiag_sport=htons(22)`.
pub(super) fn net_port(ctx: &mut Ctx<'_>, name: &str, b: &[u8]) {
    let _ = write!(ctx.out, "{name}=");
    let style = ctx.opts.xlat;
    if style != XlatStyle::Abbrev {
        text::quote(&mut ctx.out, b, ctx.opts.hex, true);
    }
    if style == XlatStyle::Raw {
        return;
    }
    let port = u16::from_be_bytes([b[0], b[1]]);
    if style == XlatStyle::Verbose {
        let _ = write!(ctx.out, " /* htons({port}) */");
    } else {
        let _ = write!(ctx.out, "htons({port})");
    }
}

/// `struct inet_diag_sockid` at offset `o` of `b`.
fn sockid(ctx: &mut Ctx<'_>, family: u8, b: &[u8], o: usize) {
    ctx.push("{");
    net_port(ctx, "idiag_sport", &b[o..o + 2]);
    ctx.comma();
    net_port(ctx, "idiag_dport", &b[o + 2..o + 4]);
    ctx.comma();
    inet_addr(ctx, family, &b[o + 4..o + 20], Some("idiag_src"));
    ctx.comma();
    inet_addr(ctx, family, &b[o + 20..o + 36], Some("idiag_dst"));
    ctx.push(", idiag_if=");
    ifindex(ctx, u32_at(b, o + 36));
    ctx.comma();
    cookie(ctx, "idiag_cookie", b, o + 40);
    ctx.push("}");
}

fn inet_diag_req_compat(ctx: &mut Ctx<'_>, family: u8, addr: u64, len: u64) -> bool {
    let Some(b) = family_header(ctx, "idiag_family", family, addr, len, 60) else {
        return true;
    };
    let _ = write!(
        ctx.out,
        "idiag_src_len={}, idiag_dst_len={}, idiag_ext=",
        b[1], b[2]
    );
    ctx.flags(
        nx::INET_DIAG_EXTENDED_FLAGS,
        u64::from(b[3]),
        "1<<INET_DIAG_???-1",
    );
    ctx.push(", id=");
    sockid(ctx, family, &b, 4);
    ctx.push(", idiag_states=");
    ctx.flags(nx::TCP_STATE_FLAGS, u64::from(u32_at(&b, 52)), "1<<TCP_???");
    let _ = write!(ctx.out, ", idiag_dbs={}}}", u32_at(&b, 56));
    attrs_after(
        ctx,
        addr,
        len,
        60,
        (nx::INET_DIAG_REQ_ATTRS, "INET_DIAG_REQ_???"),
        inet_diag_req_attr,
        family,
    );
    true
}

fn inet_diag_req_v2(ctx: &mut Ctx<'_>, family: u8, addr: u64, len: u64) -> bool {
    let Some(b) = family_header(ctx, "sdiag_family", family, addr, len, 56) else {
        return true;
    };
    ctx.push("sdiag_protocol=");
    ctx.xval(nx::INET_PROTOCOLS, u64::from(b[1]), "IPPROTO_???");
    ctx.push(", idiag_ext=");
    ctx.flags(
        nx::INET_DIAG_EXTENDED_FLAGS,
        u64::from(b[2]),
        "1<<INET_DIAG_???-1",
    );
    ctx.push(", idiag_states=");
    ctx.flags(nx::TCP_STATE_FLAGS, u64::from(u32_at(&b, 4)), "1<<TCP_???");
    ctx.push(", id=");
    sockid(ctx, family, &b, 8);
    ctx.push("}");
    attrs_after(
        ctx,
        addr,
        len,
        56,
        (nx::INET_DIAG_REQ_ATTRS, "INET_DIAG_REQ_???"),
        inet_diag_req_attr,
        family,
    );
    true
}

/// The attributes of an `inet_diag` request: the filter's bytecode, the protocol.
fn inet_diag_req_attr(ctx: &mut Ctx<'_>, _fam: u8, typ: u16, addr: u64, len: u64) -> bool {
    match typ {
        1 => bc_op(ctx, addr, len),
        3 => nla_flags_or_xval(ctx, addr, len, 0, nx::INET_PROTOCOLS, "IPPROTO_???", false),
        _ => false,
    }
}

/// `{code=INET_DIAG_BC_S_COND, yes=4, no=8}` and the data of the operation.
fn bc_op(ctx: &mut Ctx<'_>, addr: u64, len: u64) -> bool {
    nla_struct(ctx, addr, len, 4, |ctx, op| {
        print_bc_op(ctx, op);
        if len > 4 {
            ctx.comma();
            let (addr, len) = (addr + 4, len - 4);
            match op[0] {
                // INET_DIAG_BC_S_COND, INET_DIAG_BC_D_COND: struct inet_diag_hostcond.
                7 | 8 => {
                    if len < 8 {
                        ctx.buf_ex(addr, len, true);
                    } else if let Some(c) = ctx.read_bytes(addr, 8) {
                        ctx.push("{family=");
                        ctx.xval(nx::ADDRFAMS, u64::from(c[0]), "AF_???");
                        let _ = write!(ctx.out, ", prefix_len={}, port={}", c[1], u32_at(&c, 4));
                        if len > 8 {
                            ctx.comma();
                            inet_addr_at(ctx, c[0], addr + 8, len - 8, Some("addr"));
                        }
                        ctx.push("}");
                    } else {
                        ctx.addr(addr);
                    }
                }
                // INET_DIAG_BC_DEV_COND
                9 => {
                    if len < 4 {
                        ctx.buf_ex(addr, len, true);
                    } else {
                        match ctx.read::<u32>(addr) {
                            Some(i) => ifindex(ctx, i),
                            None => ctx.addr(addr),
                        }
                    }
                }
                // INET_DIAG_BC_S_GE, S_LE, D_GE, D_LE
                2..=5 => {
                    if len < 4 {
                        ctx.buf_ex(addr, len, true);
                    } else {
                        match ctx.read_bytes(addr, 4) {
                            Some(b) => print_bc_op(ctx, &b),
                            None => ctx.addr(addr),
                        }
                    }
                }
                // INET_DIAG_BC_MARK_COND
                10 => {
                    if len < 8 {
                        ctx.buf_ex(addr, len, true);
                    } else {
                        match ctx.read::<[u32; 2]>(addr) {
                            Some([m, k]) => {
                                let _ = write!(ctx.out, "{{mark={m}, mask={k}}}");
                            }
                            None => ctx.addr(addr),
                        }
                    }
                }
                _ => ctx.buf_ex(addr, len, true),
            }
        }
    })
}

fn print_bc_op(ctx: &mut Ctx<'_>, op: &[u8]) {
    ctx.push("{code=");
    ctx.xval(
        nx::INET_DIAG_BYTECODES,
        u64::from(op[0]),
        "INET_DIAG_BC_???",
    );
    let _ = write!(ctx.out, ", yes={}, no={}}}", op[1], u16_at(op, 2));
}

fn no_attr(_ctx: &mut Ctx<'_>, _fam: u8, _typ: u16, _addr: u64, _len: u64) -> bool {
    false
}

fn inet_diag_msg(ctx: &mut Ctx<'_>, family: u8, addr: u64, len: u64) -> bool {
    let Some(b) = family_header(ctx, "idiag_family", family, addr, len, 72) else {
        return true;
    };
    ctx.push("idiag_state=");
    ctx.xval(nx::TCP_STATES, u64::from(b[1]), "TCP_???");
    let _ = write!(
        ctx.out,
        ", idiag_timer={}, idiag_retrans={}, id=",
        b[2], b[3]
    );
    sockid(ctx, family, &b, 4);
    let _ = write!(
        ctx.out,
        ", idiag_expires={}, idiag_rqueue={}, idiag_wqueue={}, idiag_uid={}, idiag_inode={}}}",
        u32_at(&b, 52),
        u32_at(&b, 56),
        u32_at(&b, 60),
        u32_at(&b, 64),
        u32_at(&b, 68)
    );
    attrs_after(
        ctx,
        addr,
        len,
        72,
        (nx::INET_DIAG_ATTRS, "INET_DIAG_???"),
        inet_diag_attr,
        family,
    );
    true
}

fn inet_diag_attr(ctx: &mut Ctx<'_>, fam: u8, typ: u16, addr: u64, len: u64) -> bool {
    match typ {
        4 => nla_str(ctx, addr, len),
        5 | 6 | 11 => nla_int::<u8>(ctx, addr, len),
        7 => nla_meminfo(ctx, addr, len),
        15 | 17 => nla_int::<u32>(ctx, addr, len),
        21 => nla_int::<u64>(ctx, addr, len),
        _ => inet_diag::attr(ctx, fam, typ, addr, len),
    }
}
