//! Sockets and descriptor multiplexing.

use std::fmt::Write as _;

use super::structs;
use super::table::Arg::{self, *};
use super::Decoder::{Func, Row};
use super::{Ctx, Decoder, Step};
use crate::text;
use crate::xlat;

pub fn decoder(name: &str) -> Option<Decoder> {
    const FAMILY: Arg = Const(xlat::AF, "AF_???");
    const MSG: Arg = Flags(xlat::MSG_FLAGS, "MSG_???");
    Some(match name {
        "socket" => Row(&[FAMILY, In(sock_type), In(protocol)]),
        "socketpair" => Row(&[
            FAMILY,
            In(sock_type),
            In(protocol),
            Out(super::file::fd_pair),
        ]),
        "bind" | "connect" => Row(&[Fd, Sockaddr(2), Uint]),
        "listen" => Row(&[Fd, Int]),
        "accept" | "getsockname" | "getpeername" => Func(accept),
        "accept4" => Func(accept4),
        "sendto" => Func(sendto),
        "recvfrom" => Func(recvfrom),
        "sendmsg" => Row(&[Fd, In(msghdr_sent), MSG]),
        "recvmsg" => Func(recvmsg),
        "shutdown" => Row(&[Fd, Const(xlat::SHUTDOWN, "SHUT_???")]),
        "setsockopt" => Func(setsockopt),
        "getsockopt" => Func(getsockopt),
        "poll" => Row(&[In(pollfds), Uint, Int, Returned(ready_pollfds)]),
        "ppoll" => Row(&[
            In(pollfds),
            Uint,
            In(structs::timespec),
            Sigset(4),
            Ulong,
            Returned(ready_pollfds_and_time_left),
        ]),
        "select" => Row(&[
            Int,
            In(fdset),
            In(fdset),
            In(fdset),
            In(structs::timeval),
            Returned(ready_fdsets_timeval),
        ]),
        "pselect6" => Row(&[
            Int,
            In(fdset),
            In(fdset),
            In(fdset),
            In(structs::timespec),
            In(sigmask_and_size),
            Returned(ready_fdsets_timespec),
        ]),
        "epoll_create" => Row(&[Int]),
        "epoll_create1" => Row(&[Flags(xlat::EPOLL_CREATE_FLAGS, "EPOLL_???")]),
        "epoll_ctl" => Func(epoll_ctl),
        "epoll_wait" => Row(&[Fd, Out(epoll_events), Int, Int]),
        "epoll_pwait" => Row(&[Fd, Out(epoll_events), Int, Int, Sigset(5), Ulong]),
        // The timeout and the mask are printed at exit, as strace does (their addresses
        // when the call failed).
        "epoll_pwait2" => Row(&[
            Fd,
            Out(epoll_events),
            Int,
            Out(structs::timespec),
            OutSigset(5),
            Ulong,
        ]),
        _ => return None,
    })
}

/// `sendto`: the buffer is netlink messages on a netlink socket (strace's decode_sockbuf).
fn sendto(ctx: &mut Ctx<'_>) -> Step {
    ctx.fd(0);
    ctx.comma();
    super::netlink::sockbuf(ctx, ctx.arg_int(0), ctx.arg(1), ctx.arg(2));
    ctx.comma();
    ctx.ulong(2);
    ctx.comma();
    msg_flags(ctx, 3);
    ctx.comma();
    structs::sockaddr(ctx, ctx.arg(4), ctx.arg(5) & 0xffff_ffff);
    ctx.comma();
    ctx.uint(5);
    Step::Decoded
}

/// The `msghdr` `sendmsg` sends.
fn msghdr_sent(ctx: &mut Ctx<'_>, addr: u64) {
    structs::msghdr(ctx, addr, None, true);
}

/// `recvmsg`: the `msghdr` the kernel filled; when the call failed, the `msg_namelen` the
/// program passed (`{msg_namelen=16}`), as strace.
fn recvmsg(ctx: &mut Ctx<'_>) -> Step {
    let addr = ctx.arg(1);
    if !ctx.exiting {
        ctx.fd(0);
        ctx.comma();
        let namelen_at = match ctx.abi {
            super::Abi::X86_64 => 8,
            super::Abi::I386 => 4,
        };
        match ctx
            .read::<u32>(addr)
            .and_then(|_| ctx.read::<u32>(addr + namelen_at))
        {
            Some(n) => {
                ctx.stash = u64::from(n);
                return Step::Exit;
            }
            None => ctx.addr(addr),
        }
    } else if ctx.error {
        let _ = write!(ctx.out, "{{msg_namelen={}}}", ctx.stash as u32 as i32);
    } else {
        msghdr_received(ctx, addr);
    }
    ctx.comma();
    msg_flags(ctx, 2);
    Step::Decoded
}

/// The `msghdr` `recvmsg` filled, with the bytes received.
fn msghdr_received(ctx: &mut Ctx<'_>, addr: u64) {
    structs::msghdr_ex(
        ctx,
        addr,
        Some(ctx.rval as u64),
        true,
        Some(ctx.stash as u32 as i32),
    );
}

/// The events `epoll_wait` returned (the return value says how many).
fn epoll_events(ctx: &mut Ctx<'_>, addr: u64) {
    let n = ctx.rval as usize;
    match ctx.read_bytes(addr, n.saturating_mul(12)) {
        Some(b) => {
            ctx.push("[");
            for (i, event) in b.chunks_exact(12).enumerate() {
                if i > 0 {
                    ctx.comma();
                }
                structs::epoll_event(ctx, event);
            }
            ctx.push("]");
        }
        None => ctx.addr(addr),
    }
}

/// A socket type and its flags: `SOCK_DGRAM|SOCK_CLOEXEC`.
fn sock_type(ctx: &mut Ctx<'_>, v: u64) {
    let v = v & 0xffff_ffff;
    ctx.kind_and_flags(
        v,
        0xf,
        (xlat::SOCK_TYPES, "SOCK_???"),
        xlat::SOCK_FLAGS,
        false,
    );
}

/// A socket protocol, named by the family in argument 0.
fn protocol(ctx: &mut Ctx<'_>, proto: u64) {
    let proto = proto & 0xffff_ffff;
    match ctx.arg(0) & 0xffff_ffff {
        2 | 10 => ctx.xval(xlat::IPPROTO, proto, "IPPROTO_???"),
        16 => {
            let t: text::Xlat = &[
                (0, "NETLINK_ROUTE"),
                (4, "NETLINK_SOCK_DIAG"),
                (9, "NETLINK_AUDIT"),
                (15, "NETLINK_KOBJECT_UEVENT"),
            ];
            ctx.xval(t, proto, "NETLINK_???");
        }
        _ => {
            let _ = write!(ctx.out, "{}", proto as i32);
        }
    }
}

/// At entry: keeps the `socklen_t` argument `i` points to in `ctx.stash` (`u64::MAX`
/// when unreadable), to show at exit how the kernel changed it.
fn stash_len(ctx: &mut Ctx<'_>, i: usize) {
    ctx.stash = ctx.read::<u32>(ctx.arg(i)).map_or(u64::MAX, u64::from);
}

/// The address a call filled (argument `i`) and its length (argument `i + 1`, a pointer to
/// the `socklen_t` whose value at entry is in `ctx.stash`, `u64::MAX` when unreadable):
/// `[16]`, or `[112 => 16]` when the kernel changed it.
fn sockaddr_out(ctx: &mut Ctx<'_>, i: usize) {
    let (addr, lenp) = (ctx.arg(i), ctx.arg(i + 1));
    let after = ctx.read::<u32>(lenp).map(u64::from);
    if addr == 0 || ctx.error {
        ctx.addr(addr);
    } else {
        structs::sockaddr(ctx, addr, after.unwrap_or(0).min(ctx.stash));
    }
    ctx.comma();
    if lenp == 0 {
        ctx.push("NULL");
    } else {
        match (ctx.stash, after) {
            (b, Some(a)) if b != u64::MAX && b != a && !ctx.error => {
                let _ = write!(ctx.out, "[{b} => {a}]");
            }
            (_, Some(a)) => {
                let _ = write!(ctx.out, "[{a}]");
            }
            _ => ctx.addr(lenp),
        }
    }
}

/// `accept`, `getsockname`, `getpeername`: the address the call filled and its length.
fn accept(ctx: &mut Ctx<'_>) -> Step {
    if !ctx.exiting {
        ctx.fd(0);
        ctx.comma();
        stash_len(ctx, 2);
        return Step::Exit;
    }
    sockaddr_out(ctx, 1);
    Step::Decoded
}

/// `accept4`: [`accept`] and the new descriptor's flags.
fn accept4(ctx: &mut Ctx<'_>) -> Step {
    let step = accept(ctx);
    if ctx.exiting {
        ctx.comma();
        ctx.flags(xlat::SOCK_FLAGS, ctx.arg(3) & 0xffff_ffff, "SOCK_???");
    }
    step
}

fn msg_flags(ctx: &mut Ctx<'_>, i: usize) {
    ctx.flags(xlat::MSG_FLAGS, ctx.arg(i) as u32 as u64, "MSG_???");
}

fn recvfrom(ctx: &mut Ctx<'_>) -> Step {
    if !ctx.exiting {
        ctx.fd(0);
        ctx.comma();
        stash_len(ctx, 5);
        return Step::Exit;
    }
    // The bytes received, as netlink messages on a netlink socket (strace's
    // decode_sockbuf), or the address alone when the call failed.
    if ctx.error {
        ctx.ptr(1);
    } else {
        let n = (ctx.rval as u64).min(ctx.arg(2));
        super::netlink::sockbuf(ctx, ctx.arg_int(0), ctx.arg(1), n);
    }
    ctx.comma();
    ctx.ulong(2);
    ctx.comma();
    msg_flags(ctx, 3);
    ctx.comma();
    sockaddr_out(ctx, 4);
    Step::Decoded
}

fn sockopt_name(ctx: &mut Ctx<'_>) {
    let level = ctx.arg(1) as u32 as u64;
    let name = ctx.arg(2) as u32 as u64;
    ctx.xval(xlat::SOL, level, "SOL_???");
    ctx.comma();
    match level {
        // SO_ATTACH_FILTER reads back as SO_GET_FILTER.
        1 if name == 26 && ctx.nr_is_getsockopt() => {
            crate::text::named(&mut ctx.out, ctx.opts.xlat, "0x1a", "SO_GET_FILTER");
        }
        1 => ctx.xval(xlat::SO_OPTS, name, "SO_???"),
        6 => ctx.xval(xlat::TCP_OPTS, name, "TCP_???"),
        270 => ctx.xval(xlat::NETLINK_OPTS, name, "NETLINK_???"),
        0 => ctx.xval(xlat::IP_OPTS, name, "IP_???"),
        41 => ctx.xval(IPV6_OPTS, name, "IPV6_???"),
        255 => ctx.xval(&[(1, "ICMP_FILTER")], name, "ICMP_???"),
        263 => ctx.xval(xlat::PACKET_OPTS, name, "PACKET_???"),
        _ => {
            let _ = write!(ctx.out, "{name}");
        }
    }
}

/// How a socket option's value is laid out: C `int` fields, printed one by one as far as
/// the length covers them (a field cut short as hex bytes), strace's way.
#[derive(Clone, Copy)]
enum OptShape {
    /// One `int`: `[1]`.
    Int,
    /// One `int` holding an errno: `[ECONNREFUSED]`.
    Errno,
    /// `SO_TXREHASH`'s `int`: `[SOCK_TXREHASH_ENABLED]`.
    TxRehash,
    /// A structure of `int`s with these field names: `{l_onoff=1, l_linger=5}`.
    Ints(&'static [&'static str]),
    /// Anything else: the bytes.
    Bytes,
}

/// The layout strace decodes a `SOL_SOCKET` option with (`get`: for `getsockopt`); the
/// options it does not decode print as bytes (`[int]` when exactly an `int` long).
fn opt_shape(level: u64, name: u64, get: bool) -> OptShape {
    match (level, name) {
        (1, 4) if get => OptShape::Errno,
        (1, 13) => OptShape::Ints(&["l_onoff", "l_linger"]),
        (1, 17) if get => OptShape::Ints(&["pid", "uid", "gid"]),
        (263, 6) if get => OptShape::Ints(&["tp_packets", "tp_drops", "tp_freeze_q_cnt"]),
        (
            1,
            1
            | 2
            | 5..=12
            | 14..=16
            | 18
            | 19
            | 27
            | 29
            | 30
            | 32..=37
            | 40..=46
            | 49
            | 53
            | 56
            | 60
            | 63..=65
            | 68..=70
            | 73
            | 75,
        ) => OptShape::Int,
        (1, 74) => OptShape::TxRehash,
        _ => OptShape::Bytes,
    }
}

/// `\x01\x00\x00`: bytes of a value too short for its type.
fn hex_bytes(ctx: &mut Ctx<'_>, b: &[u8]) {
    crate::text::quote(&mut ctx.out, b, ctx.opts.hex, true);
}

/// The value of a socket option of `len` bytes at `addr`, as far as `len` covers it.
fn optval_shaped(ctx: &mut Ctx<'_>, shape: OptShape, addr: u64, len: u64) {
    let fields: &[&str] = match shape {
        OptShape::Int | OptShape::Errno | OptShape::TxRehash => &[""],
        OptShape::Ints(f) => f,
        OptShape::Bytes => unreachable!("not called for plain bytes"),
    };
    let size = 4 * fields.len() as u64;
    let n = len.min(size) as usize;
    if n == 0 {
        ctx.addr(addr);
        return;
    }
    let Some(b) = ctx.read_bytes(addr, n) else {
        ctx.addr(addr);
        return;
    };
    let single = fields.len() == 1 && fields[0].is_empty();
    if single && n < 4 {
        hex_bytes(ctx, &b);
        return;
    }
    ctx.push(if single { "[" } else { "{" });
    for (k, name) in fields.iter().enumerate() {
        let off = 4 * k;
        if off >= n {
            break;
        }
        if k > 0 {
            ctx.comma();
        }
        if !name.is_empty() {
            let _ = write!(ctx.out, "{name}=");
        }
        if off + 4 > n {
            hex_bytes(ctx, &b[off..n]);
            break;
        }
        let v = i32::from_ne_bytes(b[off..off + 4].try_into().unwrap());
        match (shape, *name) {
            (OptShape::Errno, _) if v > 0 => match crate::errno_names::errno_name(v as u64) {
                Some(e) => ctx.push(e),
                None => {
                    let _ = write!(ctx.out, "{v}");
                }
            },
            (_, "uid" | "gid" | "tp_packets" | "tp_drops" | "tp_freeze_q_cnt") => {
                let _ = write!(ctx.out, "{}", v as u32);
            }
            (_, "pid") => ctx.pid_arg(v),
            (OptShape::TxRehash, _) => {
                // printxval_d: decimal in every -X style.
                let name = match v {
                    0 => Some("SOCK_TXREHASH_DISABLED"),
                    1 => Some("SOCK_TXREHASH_ENABLED"),
                    255 => Some("SOCK_TXREHASH_DEFAULT"),
                    _ => None,
                };
                match name {
                    Some(n) => crate::text::named(&mut ctx.out, ctx.opts.xlat, &v.to_string(), n),
                    None if ctx.opts.xlat == crate::text::XlatStyle::Raw => {
                        let _ = write!(ctx.out, "{v}");
                    }
                    None => {
                        let _ = write!(ctx.out, "{v} /* SOCK_TXREHASH_??? */");
                    }
                }
            }
            _ => {
                let _ = write!(ctx.out, "{v}");
            }
        }
    }
    ctx.push(if single { "]" } else { "}" });
}

fn optval(ctx: &mut Ctx<'_>, addr: u64, len: u64) {
    if len == 4 {
        ctx.int_ptr(addr);
    } else if len == 0 || addr == 0 {
        ctx.addr(addr);
    } else {
        ctx.buf(addr, len);
    }
}

fn setsockopt(ctx: &mut Ctx<'_>) -> Step {
    ctx.fd(0);
    ctx.comma();
    sockopt_name(ctx);
    ctx.comma();
    let len = ctx.arg(4) as u32;
    let (level, name) = (ctx.arg(1) as u32 as u64, ctx.arg(2) as u32 as u64);
    // SO_ATTACH_FILTER, SO_ATTACH_REUSEPORT_CBPF: a classic BPF program.
    if level == 1 && matches!(name, 26 | 51) {
        if u64::from(len) == super::cbpf::fprog_size(ctx.abi) {
            super::cbpf::fprog(ctx, ctx.arg(3), super::cbpf::Flavour::Socket);
        } else {
            ctx.ptr(3);
        }
        ctx.comma();
        ctx.int(4);
        return Step::Decoded;
    }
    if ctx.arg(3) != 0 && set_struct_opt(ctx, level, name, ctx.arg(3), len as i32) {
        ctx.comma();
        ctx.int(4);
        return Step::Decoded;
    }
    let shape = opt_shape(level, name, false);
    match shape {
        OptShape::Bytes => optval(ctx, ctx.arg(3), u64::from(len)),
        OptShape::Int | OptShape::Errno | OptShape::TxRehash | OptShape::Ints(_) => {
            let size = match shape {
                OptShape::Ints(f) => 4 * f.len() as u32,
                _ => 4,
            };
            // The kernel takes the value only when it is long enough: else its address.
            if (len as i32) < size as i32 || ctx.arg(3) == 0 {
                ctx.ptr(3);
            } else {
                optval_shaped(ctx, shape, ctx.arg(3), u64::from(size));
            }
        }
    }
    ctx.comma();
    ctx.int(4);
    Step::Decoded
}

fn getsockopt(ctx: &mut Ctx<'_>) -> Step {
    if !ctx.exiting {
        ctx.fd(0);
        ctx.comma();
        sockopt_name(ctx);
        ctx.comma();
        stash_len(ctx, 4);
        return Step::Exit;
    }
    let after = ctx.read::<u32>(ctx.arg(4)).map(u64::from);
    let shape = opt_shape(ctx.arg(1) as u32 as u64, ctx.arg(2) as u32 as u64, true);
    if ctx.error || ctx.arg(3) == 0 {
        ctx.ptr(3);
    } else if ctx.arg(1) as u32 == 1 && ctx.arg(2) as u32 == 26 {
        // SO_GET_FILTER: the instructions of the attached program, as many as the length
        // says (an unsigned short; anything longer was forged).
        match after {
            Some(n) if n <= u64::from(u16::MAX) => {
                super::cbpf::program(ctx, ctx.arg(3), n, super::cbpf::Flavour::Socket);
            }
            _ => ctx.ptr(3),
        }
    } else {
        match shape {
            OptShape::Bytes => optval(ctx, ctx.arg(3), after.unwrap_or(0)),
            _ => optval_shaped(ctx, shape, ctx.arg(3), after.unwrap_or(0)),
        }
    }
    ctx.comma();
    match after {
        Some(a) if a != ctx.stash && !ctx.error => {
            let _ = write!(
                ctx.out,
                "[{} => {}]",
                ctx.stash as u32 as i32, a as u32 as i32
            );
        }
        Some(a) => {
            let _ = write!(ctx.out, "[{}]", a as u32 as i32);
        }
        None => ctx.ptr(4),
    }
    Step::Decoded
}

/// The `pollfd`s a call is given (their number is argument 1).
fn pollfds(ctx: &mut Ctx<'_>, addr: u64) {
    structs::pollfds(ctx, addr, ctx.arg(1));
}

/// After the return value of `poll`: the descriptors ready (` ([{fd=3,
/// revents=POLLIN}])`), or ` (Timeout)`.
fn ready_pollfds(ctx: &mut Ctx<'_>) {
    ready_and_time_left(ctx, false);
}

/// After the return value of `ppoll`: as for `poll`, and the time left.
fn ready_pollfds_and_time_left(ctx: &mut Ctx<'_>) {
    ready_and_time_left(ctx, true);
}

fn ready_and_time_left(ctx: &mut Ctx<'_>, time_left: bool) {
    if ctx.error {
        return;
    }
    if ctx.rval == 0 {
        ctx.rextra = " (Timeout)".to_owned();
        return;
    }
    let mut ready = String::new();
    structs::ready_pollfds(ctx, ctx.arg(0), ctx.arg(1), &mut ready);
    if time_left && ctx.arg(2) != 0 {
        let mut sub = ctx.scratch();
        structs::timespec(&mut sub, ctx.arg(2));
        ready.push_str(if ready.is_empty() { "left " } else { ", left " });
        ready.push_str(&sub.out);
    }
    if !ready.is_empty() {
        ctx.rextra = format!(" ({ready})");
    }
}

/// A descriptor set of `select`/`pselect6` (argument 0 descriptors).
fn fdset(ctx: &mut Ctx<'_>, addr: u64) {
    structs::fdset(ctx, addr, ctx.arg(0));
}

/// `pselect6`'s `{sigmask, sigsetsize}`.
pub(super) fn sigmask_and_size(ctx: &mut Ctx<'_>, addr: u64) {
    let pair = match ctx.abi {
        super::Abi::X86_64 => ctx.read::<[u64; 2]>(addr),
        super::Abi::I386 => ctx.read::<[u32; 2]>(addr).map(|p| p.map(u64::from)),
    };
    match pair {
        Some([m, sz]) => {
            ctx.push("{sigmask=");
            structs::sigmask(ctx, m, sz);
            let _ = write!(ctx.out, ", sigsetsize={sz}}}");
        }
        None => ctx.addr(addr),
    }
}

/// After the return value of `select`: the ready descriptors and the time left (` (in [3],
/// left {tv_sec=0, tv_usec=99})`), or ` (Timeout)`.
fn ready_fdsets_timeval(ctx: &mut Ctx<'_>) {
    ready_fdsets(ctx, structs::timeval);
}

/// [`ready_fdsets_timeval`] for `pselect6`, whose time left is a timespec.
fn ready_fdsets_timespec(ctx: &mut Ctx<'_>) {
    ready_fdsets(ctx, structs::timespec);
}

/// strace's exit half of `decode_select`: the ready descriptors of each set, counted down
/// from the return value (`in [3 4], out [4]`), then the time left. As in strace, a set
/// read after one that printed closes with `]` again even when it adds nothing.
fn ready_fdsets(ctx: &mut Ctx<'_>, time_left: fn(&mut Ctx<'_>, u64)) {
    if ctx.error {
        return;
    }
    if ctx.rval == 0 {
        ctx.rextra = " (Timeout)".to_owned();
        return;
    }
    let (n, size) = structs::fdset_bounds(ctx, ctx.arg(0));
    let mut ready = ctx.rval as i32;
    let mut out = String::new();
    let mut sep = "";
    for (i, name) in [(1, "in"), (2, "out"), (3, "except")] {
        if ready <= 0 {
            break;
        }
        let addr = ctx.arg(i);
        let bits = if addr == 0 || size == 0 {
            None
        } else {
            ctx.read_bytes(addr, size)
        };
        let Some(bits) = bits else {
            continue;
        };
        for (k, fd) in structs::fdset_members(&bits, n).enumerate() {
            if k == 0 {
                let _ = write!(out, "{sep}{name} [{fd}");
                sep = ", ";
            } else {
                let _ = write!(out, " {fd}");
            }
            ready -= 1;
            if ready == 0 {
                break;
            }
        }
        if !out.is_empty() {
            out.push(']');
        }
    }
    if ctx.arg(4) != 0 {
        let mut sub = ctx.scratch();
        time_left(&mut sub, ctx.arg(4));
        let _ = write!(out, "{sep}left {}", sub.out);
    }
    ctx.rextra = format!(" ({out})");
}

fn epoll_ctl(ctx: &mut Ctx<'_>) -> Step {
    ctx.fd(0);
    ctx.comma();
    let op = ctx.arg(1) as u32 as u64;
    ctx.xval(xlat::EPOLL_CTL, op, "EPOLL_CTL_???");
    ctx.comma();
    ctx.fd(2);
    ctx.comma();
    let ev = ctx.arg(3);
    if op == 2 {
        // EPOLL_CTL_DEL ignores the event: strace prints its address.
        ctx.addr(ev);
    } else {
        match ctx.read_bytes(ev, 12) {
            Some(b) => structs::epoll_event(ctx, &b),
            None => ctx.addr(ev),
        }
    }
    Step::Decoded
}

/// The `SOL_IPV6` option names (`netinet/in.h`).
const IPV6_OPTS: crate::text::Xlat = &[
    (0x1, "IPV6_ADDRFORM"),
    (0x2, "IPV6_2292PKTINFO"),
    (0x3, "IPV6_2292HOPOPTS"),
    (0x4, "IPV6_2292DSTOPTS"),
    (0x5, "IPV6_2292RTHDR"),
    (0x6, "IPV6_2292PKTOPTIONS"),
    (0x7, "IPV6_CHECKSUM"),
    (0x8, "IPV6_2292HOPLIMIT"),
    (0x9, "IPV6_NEXTHOP"),
    (0xa, "IPV6_AUTHHDR"),
    (0xb, "IPV6_FLOWINFO"),
    (0x10, "IPV6_UNICAST_HOPS"),
    (0x11, "IPV6_MULTICAST_IF"),
    (0x12, "IPV6_MULTICAST_HOPS"),
    (0x13, "IPV6_MULTICAST_LOOP"),
    (0x14, "IPV6_ADD_MEMBERSHIP"),
    (0x15, "IPV6_DROP_MEMBERSHIP"),
    (0x16, "IPV6_ROUTER_ALERT"),
    (0x17, "IPV6_MTU_DISCOVER"),
    (0x18, "IPV6_MTU"),
    (0x19, "IPV6_RECVERR"),
    (0x1a, "IPV6_V6ONLY"),
    (0x1b, "IPV6_JOIN_ANYCAST"),
    (0x1c, "IPV6_LEAVE_ANYCAST"),
    (0x1d, "IPV6_MULTICAST_ALL"),
    (0x1e, "IPV6_ROUTER_ALERT_ISOLATE"),
    (0x1f, "IPV6_RECVERR_RFC4884"),
    (0x20, "IPV6_FLOWLABEL_MGR"),
    (0x21, "IPV6_FLOWINFO_SEND"),
    (0x22, "IPV6_IPSEC_POLICY"),
    (0x23, "IPV6_XFRM_POLICY"),
    (0x24, "IPV6_HDRINCL"),
    (0x2a, "MCAST_JOIN_GROUP"),
    (0x2b, "MCAST_BLOCK_SOURCE"),
    (0x2c, "MCAST_UNBLOCK_SOURCE"),
    (0x2d, "MCAST_LEAVE_GROUP"),
    (0x2e, "MCAST_JOIN_SOURCE_GROUP"),
    (0x2f, "MCAST_LEAVE_SOURCE_GROUP"),
    (0x30, "MCAST_MSFILTER"),
    (0x31, "IPV6_RECVPKTINFO"),
    (0x32, "IPV6_PKTINFO"),
    (0x33, "IPV6_RECVHOPLIMIT"),
    (0x34, "IPV6_HOPLIMIT"),
    (0x35, "IPV6_RECVHOPOPTS"),
    (0x36, "IPV6_HOPOPTS"),
    (0x37, "IPV6_RTHDRDSTOPTS"),
    (0x38, "IPV6_RECVRTHDR"),
    (0x39, "IPV6_RTHDR"),
    (0x3a, "IPV6_RECVDSTOPTS"),
    (0x3b, "IPV6_DSTOPTS"),
    (0x3c, "IPV6_RECVPATHMTU"),
    (0x3d, "IPV6_PATHMTU"),
    (0x3e, "IPV6_DONTFRAG"),
    (0x3f, "IPV6_USE_MIN_MTU"),
    (0x42, "IPV6_RECVTCLASS"),
    (0x43, "IPV6_TCLASS"),
    (0x46, "IPV6_AUTOFLOWLABEL"),
    (0x48, "IPV6_ADDR_PREFERENCES"),
    (0x49, "IPV6_MINHOPCOUNT"),
    (0x4a, "IPV6_ORIGDSTADDR"),
    (0x4b, "IPV6_TRANSPARENT"),
    (0x4c, "IPV6_UNICAST_IF"),
    (0x4d, "IPV6_RECVFRAGSIZE"),
    (0x4e, "IPV6_FREEBIND"),
];

/// `struct icmp_filter`'s bits: the ICMP message types (`linux/icmp.h`).
const ICMP_TYPES: crate::text::Xlat = &[
    (0, "ICMP_ECHOREPLY"),
    (3, "ICMP_DEST_UNREACH"),
    (4, "ICMP_SOURCE_QUENCH"),
    (5, "ICMP_REDIRECT"),
    (8, "ICMP_ECHO"),
    (11, "ICMP_TIME_EXCEEDED"),
    (12, "ICMP_PARAMETERPROB"),
    (13, "ICMP_TIMESTAMP"),
    (14, "ICMP_TIMESTAMPREPLY"),
    (15, "ICMP_INFO_REQUEST"),
    (16, "ICMP_INFO_REPLY"),
    (17, "ICMP_ADDRESS"),
    (18, "ICMP_ADDRESSREPLY"),
];

const PACKET_MR_TYPES: crate::text::Xlat = &[
    (0, "PACKET_MR_MULTICAST"),
    (1, "PACKET_MR_PROMISC"),
    (2, "PACKET_MR_ALLMULTI"),
    (3, "PACKET_MR_UNICAST"),
];

/// An interface index: `if_nametoindex("lo")` when it names an interface here.
fn ifindex(ctx: &mut Ctx<'_>, index: u32) {
    let mut buf = [0u8; libc::IF_NAMESIZE];
    // SAFETY: buf has the IF_NAMESIZE bytes if_indextoname writes at most.
    let named = unsafe { libc::if_indextoname(index, buf.as_mut_ptr().cast()) };
    let name = (!named.is_null() && ctx.opts.xlat != crate::text::XlatStyle::Raw).then(|| {
        let n = buf.iter().position(|&c| c == 0).unwrap_or(buf.len());
        String::from_utf8_lossy(&buf[..n]).into_owned()
    });
    match (name, ctx.opts.xlat) {
        (Some(n), crate::text::XlatStyle::Abbrev) => {
            let _ = write!(ctx.out, "if_nametoindex(\"{n}\")");
        }
        (Some(n), _) => {
            let _ = write!(ctx.out, "{index} /* if_nametoindex(\"{n}\") */");
        }
        (None, _) => {
            let _ = write!(ctx.out, "{index}");
        }
    }
}

/// The structures of the `SOL_IP`, `SOL_IPV6`, `SOL_PACKET` and `SOL_RAW` options strace
/// decodes on `setsockopt`; `false` when the option is not one of them.
fn set_struct_opt(ctx: &mut Ctx<'_>, level: u64, name: u64, addr: u64, len: i32) -> bool {
    use std::net::{Ipv4Addr, Ipv6Addr};
    match (level, name) {
        // IP_ADD_MEMBERSHIP, IP_DROP_MEMBERSHIP: struct ip_mreq.
        (0, 35 | 36) => match ctx.read::<[u8; 8]>(addr).filter(|_| len >= 8) {
            Some(b) => {
                let _ = write!(
                    ctx.out,
                    "{{imr_multiaddr=inet_addr(\"{}\"), imr_interface=inet_addr(\"{}\")}}",
                    Ipv4Addr::new(b[0], b[1], b[2], b[3]),
                    Ipv4Addr::new(b[4], b[5], b[6], b[7])
                );
            }
            None => ctx.addr(addr),
        },
        // IPV6_ADD/DROP_MEMBERSHIP, IPV6_JOIN/LEAVE_ANYCAST: struct ipv6_mreq.
        (41, 20 | 21 | 27 | 28) => match ctx.read::<[u8; 20]>(addr).filter(|_| len >= 20) {
            Some(b) => {
                let ip: [u8; 16] = b[..16].try_into().expect("16 bytes");
                let _ = write!(
                    ctx.out,
                    "{{inet_pton(AF_INET6, \"{}\", &ipv6mr_multiaddr), ipv6mr_interface=",
                    Ipv6Addr::from(ip)
                );
                ifindex(
                    ctx,
                    u32::from_ne_bytes(b[16..20].try_into().expect("4 bytes")),
                );
                ctx.push("}");
            }
            None => ctx.addr(addr),
        },
        // MCAST_JOIN_GROUP, MCAST_LEAVE_GROUP: struct group_req (an interface, a
        // sockaddr_storage at 8).
        (0 | 41, 42 | 45) => match ctx.read::<u32>(addr).filter(|_| len >= 136) {
            Some(index) if ctx.read_bytes(addr, 136).is_some() => {
                ctx.push("{gr_interface=");
                ifindex(ctx, index);
                ctx.push(", gr_group=");
                structs::sockaddr(ctx, addr + 8, 128);
                ctx.push("}");
            }
            _ => ctx.addr(addr),
        },
        // PACKET_RX_RING, PACKET_TX_RING: struct tpacket_req.
        (263, 5 | 13) => match ctx.read::<[u32; 4]>(addr).filter(|_| len == 16) {
            Some([bs, bn, fs, fnr]) => {
                let _ = write!(
                    ctx.out,
                    "{{tp_block_size={bs}, tp_block_nr={bn}, tp_frame_size={fs}, tp_frame_nr={fnr}}}"
                );
            }
            None => ctx.addr(addr),
        },
        // PACKET_ADD_MEMBERSHIP, PACKET_DROP_MEMBERSHIP: struct packet_mreq.
        (263, 1 | 2) => match ctx.read::<[u8; 16]>(addr).filter(|_| len == 16) {
            Some(b) => {
                ctx.push("{mr_ifindex=");
                ifindex(ctx, u32::from_ne_bytes(b[..4].try_into().expect("4 bytes")));
                ctx.push(", mr_type=");
                ctx.xval(
                    PACKET_MR_TYPES,
                    u16::from_ne_bytes([b[4], b[5]]).into(),
                    "PACKET_MR_???",
                );
                let alen = u16::from_ne_bytes([b[6], b[7]]);
                let _ = write!(ctx.out, ", mr_alen={alen}, mr_address=");
                let mac = &b[8..8 + usize::from(alen).min(8)];
                let colons = mac
                    .iter()
                    .map(|c| format!("{c:02x}"))
                    .collect::<Vec<_>>()
                    .join(":");
                match ctx.opts.xlat {
                    crate::text::XlatStyle::Abbrev => ctx.push(&colons),
                    style => {
                        hex_bytes(ctx, mac);
                        if style == crate::text::XlatStyle::Verbose {
                            let _ = write!(ctx.out, " /* {colons} */");
                        }
                    }
                }
                ctx.push("}");
            }
            None => ctx.addr(addr),
        },
        // ICMP_FILTER.
        (255, 1) => icmp_filter(ctx, addr, len),
        _ => return false,
    }
    true
}

/// `struct icmp_filter`: the message types filtered out, as a bitset; `~[...]` for the
/// types let through when most are filtered.
fn icmp_filter(ctx: &mut Ctx<'_>, addr: u64, len: i32) {
    if len <= 0 {
        ctx.addr(addr);
        return;
    }
    let n = (len as usize).min(4);
    let Some(b) = ctx.read_bytes(addr, n).filter(|_| addr != 0) else {
        ctx.addr(addr);
        return;
    };
    let mut bytes = [0xffu8; 4];
    bytes[..n].copy_from_slice(&b);
    let mut data = u32::from_ne_bytes(bytes);
    if data.count_ones() > 16 {
        data = !data;
        ctx.push("~");
    }
    ctx.push("[");
    let mut first = true;
    for i in 0..32 {
        if data & (1 << i) != 0 {
            if !first {
                ctx.push(" ");
            }
            first = false;
            ctx.xval(ICMP_TYPES, i, "ICMP_???");
        }
    }
    ctx.push("]");
}
