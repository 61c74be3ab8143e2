//! Sockets and descriptor multiplexing.

use std::fmt::Write as _;

use super::structs;
use super::{Ctx, Decoder, Step};
use crate::text;
use crate::xlat;

pub fn decoder(name: &str) -> Option<Decoder> {
    Some(match name {
        "socket" => socket,
        "socketpair" => socketpair,
        "bind" | "connect" => bind,
        "listen" => listen,
        "accept" | "accept4" | "getsockname" | "getpeername" => accept,
        "sendto" => sendto,
        "recvfrom" => recvfrom,
        "sendmsg" => sendmsg,
        "recvmsg" => recvmsg,
        "shutdown" => shutdown,
        "setsockopt" => setsockopt,
        "getsockopt" => getsockopt,
        "poll" => poll,
        "ppoll" => ppoll,
        "select" => select,
        "pselect6" => pselect6,
        "epoll_create" => super::process::one_int,
        "epoll_create1" => epoll_create1,
        "epoll_ctl" => epoll_ctl,
        "epoll_wait" | "epoll_pwait" => epoll_wait,
        _ => return None,
    })
}

fn sock_type(ctx: &mut Ctx<'_>, v: u64) {
    let ty = v & 0xf;
    ctx.xval(xlat::SOCK_TYPES, ty, "SOCK_???");
    let rest = v & !0xf;
    if rest != 0 {
        ctx.s("|");
        ctx.flags(xlat::SOCK_FLAGS, rest, "");
    }
}

fn protocol(ctx: &mut Ctx<'_>, family: u64, proto: u64) {
    match family {
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

fn socket(ctx: &mut Ctx<'_>) -> Step {
    let fam = ctx.a(0) as u32 as u64;
    ctx.xval(xlat::AF, fam, "AF_???");
    ctx.sep();
    sock_type(ctx, ctx.a(1) as u32 as u64);
    ctx.sep();
    protocol(ctx, fam, ctx.a(2) as u32 as u64);
    Step::Decoded
}

fn socketpair(ctx: &mut Ctx<'_>) -> Step {
    if !ctx.exiting {
        let fam = ctx.a(0) as u32 as u64;
        ctx.xval(xlat::AF, fam, "AF_???");
        ctx.sep();
        sock_type(ctx, ctx.a(1) as u32 as u64);
        ctx.sep();
        protocol(ctx, fam, ctx.a(2) as u32 as u64);
        ctx.sep();
        return Step::Exit;
    }
    super::file::fd_pair_pub(ctx, ctx.a(3));
    Step::Decoded
}

fn bind(ctx: &mut Ctx<'_>) -> Step {
    ctx.fd(0);
    ctx.sep();
    structs::sockaddr(ctx, ctx.a(1), ctx.a(2) as u32 as u64);
    ctx.sep();
    ctx.uint(2);
    Step::Decoded
}

fn listen(ctx: &mut Ctx<'_>) -> Step {
    ctx.fd(0);
    ctx.sep();
    ctx.int(1);
    Step::Decoded
}

/// At entry: keeps the `socklen_t` argument `i` points to in `ctx.stash` (`u64::MAX`
/// when unreadable), to show at exit how the kernel changed it.
fn stash_len(ctx: &mut Ctx<'_>, i: usize) {
    ctx.stash = ctx.read::<u32>(ctx.a(i)).map_or(u64::MAX, u64::from);
}

/// The address a call filled (argument `i`) and its length (argument `i + 1`, a pointer to
/// the `socklen_t` whose value at entry is in `ctx.stash`, `u64::MAX` when unreadable):
/// `[16]`, or `[112 => 16]` when the kernel changed it.
fn sockaddr_out(ctx: &mut Ctx<'_>, i: usize) {
    let (addr, lenp) = (ctx.a(i), ctx.a(i + 1));
    let after = ctx.read::<u32>(lenp).map(u64::from);
    if addr == 0 || ctx.error {
        ctx.addr(addr);
    } else {
        structs::sockaddr(ctx, addr, after.unwrap_or(0).min(ctx.stash));
    }
    ctx.sep();
    if lenp == 0 {
        ctx.s("NULL");
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

fn accept(ctx: &mut Ctx<'_>) -> Step {
    if !ctx.exiting {
        ctx.fd(0);
        ctx.sep();
        stash_len(ctx, 2);
        if ctx.nr == 43 || ctx.nr == 288 {
            ctx.rfmt = super::Rval::Fd;
        }
        return Step::Exit;
    }
    if ctx.nr == 43 || ctx.nr == 288 {
        ctx.rfmt = super::Rval::Fd;
    }
    sockaddr_out(ctx, 1);
    if ctx.nr == 288 {
        ctx.sep();
        ctx.flags(xlat::SOCK_FLAGS, ctx.a(3) as u32 as u64, "SOCK_???");
    }
    Step::Decoded
}

fn msg_flags(ctx: &mut Ctx<'_>, i: usize) {
    ctx.flags(xlat::MSG_FLAGS, ctx.a(i) as u32 as u64, "MSG_???");
}

fn sendto(ctx: &mut Ctx<'_>) -> Step {
    ctx.fd(0);
    ctx.sep();
    ctx.buf(ctx.a(1), ctx.a(2));
    ctx.sep();
    ctx.ulong(2);
    ctx.sep();
    msg_flags(ctx, 3);
    ctx.sep();
    structs::sockaddr(ctx, ctx.a(4), ctx.a(5) as u32 as u64);
    ctx.sep();
    ctx.uint(5);
    Step::Decoded
}

fn recvfrom(ctx: &mut Ctx<'_>) -> Step {
    if !ctx.exiting {
        ctx.fd(0);
        ctx.sep();
        stash_len(ctx, 5);
        return Step::Exit;
    }
    ctx.received(1);
    ctx.sep();
    msg_flags(ctx, 3);
    ctx.sep();
    sockaddr_out(ctx, 4);
    Step::Decoded
}

fn sendmsg(ctx: &mut Ctx<'_>) -> Step {
    ctx.fd(0);
    ctx.sep();
    structs::msghdr(ctx, ctx.a(1), None, true);
    ctx.sep();
    msg_flags(ctx, 2);
    Step::Decoded
}

fn recvmsg(ctx: &mut Ctx<'_>) -> Step {
    if !ctx.exiting {
        ctx.fd(0);
        ctx.sep();
        return Step::Exit;
    }
    if ctx.error {
        ctx.hex(1);
    } else {
        structs::msghdr(ctx, ctx.a(1), Some(ctx.rval as u64), true);
    }
    ctx.sep();
    msg_flags(ctx, 2);
    Step::Decoded
}

fn shutdown(ctx: &mut Ctx<'_>) -> Step {
    ctx.fd(0);
    ctx.sep();
    ctx.xval(xlat::SHUTDOWN, ctx.a(1) as u32 as u64, "SHUT_???");
    Step::Decoded
}

fn sockopt_name(ctx: &mut Ctx<'_>) {
    let level = ctx.a(1) as u32 as u64;
    let name = ctx.a(2) as u32 as u64;
    ctx.xval(xlat::SOL, level, "SOL_???");
    ctx.sep();
    match level {
        1 => ctx.xval(xlat::SO_OPTS, name, "SO_???"),
        6 => ctx.xval(xlat::TCP_OPTS, name, "TCP_???"),
        270 => ctx.xval(xlat::NETLINK_OPTS, name, "NETLINK_???"),
        0 => ctx.xval(xlat::IP_OPTS, name, "IP_???"),
        _ => {
            let _ = write!(ctx.out, "{name}");
        }
    }
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
    ctx.sep();
    sockopt_name(ctx);
    ctx.sep();
    optval(ctx, ctx.a(3), ctx.a(4) as u32 as u64);
    ctx.sep();
    ctx.uint(4);
    Step::Decoded
}

fn getsockopt(ctx: &mut Ctx<'_>) -> Step {
    if !ctx.exiting {
        ctx.fd(0);
        ctx.sep();
        sockopt_name(ctx);
        ctx.sep();
        stash_len(ctx, 4);
        return Step::Exit;
    }
    let after = ctx.read::<u32>(ctx.a(4)).map(u64::from);
    if ctx.error {
        ctx.hex(3);
    } else {
        optval(ctx, ctx.a(3), after.unwrap_or(0));
    }
    ctx.sep();
    match after {
        Some(a) if a != ctx.stash && !ctx.error => {
            let _ = write!(ctx.out, "[{} => {a}]", ctx.stash);
        }
        Some(a) => {
            let _ = write!(ctx.out, "[{a}]");
        }
        None => ctx.hex(4),
    }
    Step::Decoded
}

fn poll_result(ctx: &mut Ctx<'_>) {
    if ctx.error {
        return;
    }
    if ctx.rval == 0 {
        ctx.rextra = " (Timeout)".to_owned();
        return;
    }
    let mut sub = ctx.scratch();
    structs::pollfds(&mut sub, ctx.a(0), ctx.a(1), true);
    ctx.rextra = format!(" ({})", sub.out);
}

fn poll(ctx: &mut Ctx<'_>) -> Step {
    if !ctx.exiting {
        structs::pollfds(ctx, ctx.a(0), ctx.a(1), false);
        ctx.sep();
        ctx.uint(1);
        ctx.sep();
        ctx.int(2);
        return Step::Exit;
    }
    poll_result(ctx);
    Step::Decoded
}

fn ppoll(ctx: &mut Ctx<'_>) -> Step {
    if !ctx.exiting {
        structs::pollfds(ctx, ctx.a(0), ctx.a(1), false);
        ctx.sep();
        ctx.uint(1);
        ctx.sep();
        structs::timespec(ctx, ctx.a(2));
        ctx.sep();
        structs::sigmask(ctx, ctx.a(3), ctx.a(4));
        ctx.sep();
        ctx.ulong(4);
        return Step::Exit;
    }
    poll_result(ctx);
    Step::Decoded
}

/// select/pselect6 at entry: `nfds` and the three descriptor sets.
fn select_sets(ctx: &mut Ctx<'_>, nfds: u64) {
    ctx.int(0);
    for i in 1..4 {
        ctx.sep();
        structs::fdset(ctx, ctx.a(i), nfds);
    }
}

/// select/pselect6 at exit: the ready descriptors and the time left after the return
/// value (` (in [3], left {tv_sec=0, tv_usec=99})`); `timeout` prints the time structure
/// (a timeval for select, a timespec for pselect6).
fn select_result(ctx: &mut Ctx<'_>, nfds: u64, timeout: fn(&mut Ctx<'_>, u64)) -> Step {
    if ctx.error {
        return Step::Decoded;
    }
    if ctx.rval == 0 {
        ctx.rextra = " (Timeout)".to_owned();
        return Step::Decoded;
    }
    let mut parts = Vec::new();
    for (i, name) in [(1, "in"), (2, "out"), (3, "except")] {
        if ctx.a(i) == 0 {
            continue;
        }
        let mut sub = ctx.scratch();
        structs::fdset(&mut sub, ctx.a(i), nfds);
        if sub.out != "[]" {
            parts.push(format!("{name} {}", sub.out));
        }
    }
    if ctx.a(4) != 0 {
        let mut sub = ctx.scratch();
        timeout(&mut sub, ctx.a(4));
        parts.push(format!("left {}", sub.out));
    }
    ctx.rextra = format!(" ({})", parts.join(", "));
    Step::Decoded
}

fn select(ctx: &mut Ctx<'_>) -> Step {
    let nfds = ctx.a(0) as u32 as u64;
    if !ctx.exiting {
        select_sets(ctx, nfds);
        ctx.sep();
        structs::timeval(ctx, ctx.a(4));
        return Step::Exit;
    }
    select_result(ctx, nfds, structs::timeval)
}

fn pselect6(ctx: &mut Ctx<'_>) -> Step {
    let nfds = ctx.a(0) as u32 as u64;
    if !ctx.exiting {
        select_sets(ctx, nfds);
        ctx.sep();
        structs::timespec(ctx, ctx.a(4));
        ctx.sep();
        // `{sigmask, sigsetsize}`; `read` gives None for NULL, which `addr` prints.
        let d = ctx.a(5);
        match ctx.read::<[u64; 2]>(d) {
            Some([m, sz]) => {
                ctx.s("{");
                structs::sigmask(ctx, m, sz);
                let _ = write!(ctx.out, ", {sz}}}");
            }
            None => ctx.addr(d),
        }
        return Step::Exit;
    }
    select_result(ctx, nfds, structs::timespec)
}

fn epoll_create1(ctx: &mut Ctx<'_>) -> Step {
    ctx.flags(
        xlat::EPOLL_CREATE_FLAGS,
        ctx.a(0) as u32 as u64,
        "EPOLL_???",
    );
    Step::Decoded
}

fn epoll_ctl(ctx: &mut Ctx<'_>) -> Step {
    ctx.fd(0);
    ctx.sep();
    let op = ctx.a(1) as u32 as u64;
    ctx.xval(xlat::EPOLL_CTL, op, "EPOLL_CTL_???");
    ctx.sep();
    ctx.fd(2);
    ctx.sep();
    let ev = ctx.a(3);
    if op == 2 && ev == 0 {
        ctx.s("NULL");
    } else {
        match ctx.read_bytes(ev, 12) {
            Some(b) => structs::epoll_event(ctx, &b),
            None => ctx.addr(ev),
        }
    }
    Step::Decoded
}

fn epoll_wait(ctx: &mut Ctx<'_>) -> Step {
    if !ctx.exiting {
        ctx.fd(0);
        ctx.sep();
        return Step::Exit;
    }
    if ctx.error {
        ctx.hex(1);
    } else {
        let n = ctx.rval as usize;
        match ctx.read_bytes(ctx.a(1), n * 12) {
            Some(b) => {
                ctx.s("[");
                for i in 0..n {
                    if i > 0 {
                        ctx.sep();
                    }
                    structs::epoll_event(ctx, &b[i * 12..i * 12 + 12]);
                }
                ctx.s("]");
            }
            None => ctx.hex(1),
        }
    }
    ctx.sep();
    ctx.int(2);
    ctx.sep();
    ctx.int(3);
    if ctx.nr == 281 {
        ctx.sep();
        structs::sigmask(ctx, ctx.a(4), ctx.a(5));
        ctx.sep();
        ctx.ulong(5);
    }
    Step::Decoded
}
