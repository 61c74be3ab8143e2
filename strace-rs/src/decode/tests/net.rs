//! Sockets and descriptor multiplexing: lines of `proc.strace` (`strace -o proc.strace
//! ./proc`, from `proc.c`).

use libc::*;

use super::{at, call, check, neg, Recorded};

fn c(v: i32) -> u64 {
    v as u64
}

/// `struct sockaddr_in` for 127.0.0.1:`port`.
fn loopback(port: u16) -> Vec<u8> {
    let mut b = vec![0u8; 16];
    b[0..2].copy_from_slice(&(AF_INET as u16).to_ne_bytes());
    b[2..4].copy_from_slice(&port.to_be_bytes());
    b[4..8].copy_from_slice(&[127, 0, 0, 1]);
    b
}

const LOOPBACK_PORT: &str =
    "{sa_family=AF_INET, sin_port=htons(37795), sin_addr=inet_addr(\"127.0.0.1\")}";

#[test]
fn socket() {
    check(
        call(
            "socket",
            &[c(AF_INET), c(SOCK_DGRAM | SOCK_CLOEXEC), c(IPPROTO_UDP)],
        )
        .returns(4),
        "socket(AF_INET, SOCK_DGRAM|SOCK_CLOEXEC, IPPROTO_UDP) = 4",
    );
    check(
        call("socket", &[c(AF_UNIX), c(SOCK_STREAM), 0]).returns(7),
        "socket(AF_UNIX, SOCK_STREAM, 0)         = 7",
    );
}

#[test]
fn socketpair() {
    check(
        call("socketpair", &[c(AF_UNIX), c(SOCK_STREAM), 0, at(0x4c00)])
            .returns(0)
            .memory(Recorded::default().u32s(at(0x4c00), &[5, 6])),
        "socketpair(AF_UNIX, SOCK_STREAM, 0, [5, 6]) = 0",
    );
}

#[test]
fn bind_and_connect() {
    check(
        call("bind", &[4, at(0x4000), 16])
            .returns(0)
            .memory(Recorded::default().bytes(at(0x4000), &loopback(0))),
        "bind(4, {sa_family=AF_INET, sin_port=htons(0), sin_addr=inet_addr(\"127.0.0.1\")}, 16) = 0",
    );
    let mut sun = vec![0u8; 110];
    sun[0..2].copy_from_slice(&(AF_UNIX as u16).to_ne_bytes());
    sun[2..14].copy_from_slice(b"/tmp/fx-sock");
    check(
        call("bind", &[7, at(0x4d00), 110])
            .returns(0)
            .memory(Recorded::default().bytes(at(0x4d00), &sun)),
        "bind(7, {sa_family=AF_UNIX, sun_path=\"/tmp/fx-sock\"}, 110) = 0",
    );
    check(
        call("connect", &[4, at(0x4200), 16])
            .returns(0)
            .memory(Recorded::default().bytes(at(0x4200), &loopback(37795))),
        &format!("connect(4, {LOOPBACK_PORT}, 16) = 0"),
    );
}

#[test]
fn listen() {
    check(
        call("listen", &[7, 5]).returns(0),
        "listen(7, 5)                            = 0",
    );
}

#[test]
fn getsockname_shows_how_the_length_changed() {
    let bound = Recorded::default().bytes(at(0x4200), &loopback(37795));
    check(
        call("getsockname", &[4, at(0x4200), at(0x4100)])
            .returns(0)
            .memory(bound.clone().u32s(at(0x4100), &[16])),
        &format!("getsockname(4, {LOOPBACK_PORT}, [16]) = 0"),
    );
    check(
        call("getsockname", &[4, at(0x4200), at(0x4100)])
            .returns(0)
            .memory(bound.clone().u32s(at(0x4100), &[128]))
            .exit_memory(bound.u32s(at(0x4100), &[16])),
        &format!("getsockname(4, {LOOPBACK_PORT}, [128 => 16]) = 0"),
    );
}

#[test]
fn accept_and_accept4() {
    check(
        call("accept4", &[7, 0, 0, c(SOCK_NONBLOCK)]).fails(EAGAIN),
        "accept4(7, NULL, NULL, SOCK_NONBLOCK)   = -1 EAGAIN (Resource temporarily unavailable)",
    );
    check(
        call("accept", &[neg(-1), 0, 0]).fails(EBADF),
        "accept(-1, NULL, NULL)                  = -1 EBADF (Bad file descriptor)",
    );
}

#[test]
fn setsockopt_and_getsockopt() {
    check(
        call(
            "setsockopt",
            &[4, c(SOL_SOCKET), c(SO_REUSEADDR), at(0x4300), 4],
        )
        .returns(0)
        .memory(Recorded::default().u32s(at(0x4300), &[1])),
        "setsockopt(4, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0",
    );
    check(
        call(
            "getsockopt",
            &[4, c(SOL_SOCKET), c(SO_TYPE), at(0x4300), at(0x4304)],
        )
        .returns(0)
        .memory(Recorded::default().u32s(at(0x4300), &[2, 4])),
        "getsockopt(4, SOL_SOCKET, SO_TYPE, [2], [4]) = 0",
    );
}

#[test]
fn sendto_and_recvfrom() {
    check(
        call("sendto", &[4, at(0x4400), 4, c(MSG_DONTWAIT), 0, 0])
            .returns(4)
            .memory(Recorded::default().cstr(at(0x4400), "ping")),
        "sendto(4, \"ping\", 4, MSG_DONTWAIT, NULL, 0) = 4",
    );
    let from = Recorded::default()
        .bytes(at(0x4500), b"ping")
        .bytes(at(0x4600), &loopback(37795));
    check(
        call(
            "recvfrom",
            &[4, at(0x4500), 64, c(MSG_DONTWAIT), at(0x4600), at(0x4100)],
        )
        .returns(4)
        .memory(from.clone().u32s(at(0x4100), &[128]))
        .exit_memory(from.u32s(at(0x4100), &[16])),
        &format!("recvfrom(4, \"ping\", 64, MSG_DONTWAIT, {LOOPBACK_PORT}, [128 => 16]) = 4"),
    );
    check(
        call("recvfrom", &[4, at(0x4500), 64, c(MSG_DONTWAIT), 0, 0]).fails(EAGAIN),
        "recvfrom(4, 0x10004500, 64, MSG_DONTWAIT, NULL, NULL) = -1 EAGAIN (Resource temporarily unavailable)",
    );
}

#[test]
fn sendmsg_and_recvmsg() {
    // msghdr: name, namelen, iov, iovlen, control, controllen, flags.
    let m = Recorded::default()
        .u64s(at(0x4900), &[0, 0, at(0x4700), 1, 0, 0, 0])
        .u64s(at(0x4b00), &[0, 0, at(0x4710), 1, 0, 0, 0])
        .u64s(at(0x4700), &[at(0x4800), 4, at(0x4a00), 16])
        .cstr(at(0x4800), "pong")
        .bytes(at(0x4a00), b"pong");
    check(
        call("sendmsg", &[4, at(0x4900), 0]).returns(4).memory(m.clone()),
        "sendmsg(4, {msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base=\"pong\", iov_len=4}], msg_iovlen=1, msg_controllen=0, msg_flags=0}, 0) = 4",
    );
    check(
        call("recvmsg", &[4, at(0x4b00), 0]).returns(4).memory(m),
        "recvmsg(4, {msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base=\"pong\", iov_len=16}], msg_iovlen=1, msg_controllen=0, msg_flags=0}, 0) = 4",
    );
}

#[test]
fn shutdown() {
    check(
        call("shutdown", &[4, c(SHUT_RDWR)]).returns(0),
        "shutdown(4, SHUT_RDWR)                  = 0",
    );
}

/// The two `pollfd`s of `proc.c` (0 for reading, 4 for writing), before and after.
fn pollfds(revents: bool) -> Recorded {
    let (r0, r4) = if revents {
        (POLLIN as u16, (POLLOUT | POLLHUP) as u16)
    } else {
        (0, 0)
    };
    let mut b = Vec::new();
    for (fd, ev, rev) in [(0i32, POLLIN as u16, r0), (4, POLLOUT as u16, r4)] {
        b.extend(fd.to_ne_bytes());
        b.extend(ev.to_ne_bytes());
        b.extend(rev.to_ne_bytes());
    }
    Recorded::default()
        .bytes(at(0x5000), &b)
        .u64s(at(0x5100), &[0, 0])
}

#[test]
fn poll() {
    check(
        call("poll", &[at(0x5000), 2, 0])
            .returns(2)
            .memory(pollfds(false))
            .exit_memory(pollfds(true)),
        "poll([{fd=0, events=POLLIN}, {fd=4, events=POLLOUT}], 2, 0) = 2 ([{fd=0, revents=POLLIN}, {fd=4, revents=POLLOUT|POLLHUP}])",
    );
}

#[test]
fn select_and_pselect6() {
    let m = Recorded::default()
        .u64s(at(0x5200), &[1 << 4])
        .u64s(at(0x5100), &[0, 0]);
    check(
        call("select", &[5, 0, at(0x5200), 0, at(0x5100)])
            .returns(1)
            .memory(m.clone()),
        "select(5, NULL, [4], NULL, {tv_sec=0, tv_usec=0}) = 1 (out [4], left {tv_sec=0, tv_usec=0})",
    );
    check(
        call("pselect6", &[5, 0, at(0x5200), 0, at(0x5100), 0])
            .returns(1)
            .memory(m),
        "pselect6(5, NULL, [4], NULL, {tv_sec=0, tv_nsec=0}, NULL) = 1 (out [4], left {tv_sec=0, tv_nsec=0})",
    );
}

#[test]
fn epoll_create_and_create1() {
    check(
        call("epoll_create1", &[c(EPOLL_CLOEXEC)]).returns(8),
        "epoll_create1(EPOLL_CLOEXEC)            = 8",
    );
    check(
        call("epoll_create", &[1]).returns(9),
        "epoll_create(1)                         = 9",
    );
}

/// One packed `struct epoll_event` (events, then the 64-bit data).
fn epoll_event(events: u32, data: u64) -> Vec<u8> {
    let mut b = events.to_ne_bytes().to_vec();
    b.extend(data.to_ne_bytes());
    b
}

#[test]
fn epoll_ctl() {
    check(
        call("epoll_ctl", &[8, c(EPOLL_CTL_ADD), 4, at(0x5300)])
            .returns(0)
            .memory(Recorded::default().bytes(at(0x5300), &epoll_event(EPOLLOUT as u32, 7))),
        "epoll_ctl(8, EPOLL_CTL_ADD, 4, {events=EPOLLOUT, data={u32=7, u64=7}}) = 0",
    );
    check(
        call("epoll_ctl", &[8, c(EPOLL_CTL_DEL), 4, 0]).returns(0),
        "epoll_ctl(8, EPOLL_CTL_DEL, 4, NULL)    = 0",
    );
    // EPOLL_CTL_DEL ignores the event, so strace prints its address even when readable.
    check(
        call("epoll_ctl", &[8, c(EPOLL_CTL_DEL), 4, at(0x5300)])
            .returns(0)
            .memory(Recorded::default().bytes(at(0x5300), &epoll_event(EPOLLOUT as u32, 7))),
        &format!("epoll_ctl(8, EPOLL_CTL_DEL, 4, {:#x}) = 0", at(0x5300)),
    );
}

#[test]
fn epoll_wait_and_epoll_pwait() {
    let ready =
        Recorded::default().bytes(at(0x5400), &epoll_event((EPOLLOUT | EPOLLHUP) as u32, 7));
    check(
        call("epoll_wait", &[8, at(0x5400), 4, 0])
            .returns(1)
            .memory(ready.clone()),
        "epoll_wait(8, [{events=EPOLLOUT|EPOLLHUP, data={u32=7, u64=7}}], 4, 0) = 1",
    );
    check(
        call("epoll_pwait", &[8, at(0x5400), 4, 0, 0, 8])
            .returns(1)
            .memory(ready),
        "epoll_pwait(8, [{events=EPOLLOUT|EPOLLHUP, data={u32=7, u64=7}}], 4, 0, NULL, 8) = 1",
    );
}

#[test]
fn ppoll_shows_the_time_left() {
    check(
        call("ppoll", &[at(0x5000), 2, at(0x5100), 0, 8])
            .returns(2)
            .memory(pollfds(false))
            .exit_memory(pollfds(true)),
        "ppoll([{fd=0, events=POLLIN}, {fd=4, events=POLLOUT}], 2, {tv_sec=0, tv_nsec=0}, NULL, 8) = 2 ([{fd=0, revents=POLLIN}, {fd=4, revents=POLLOUT|POLLHUP}], left {tv_sec=0, tv_nsec=0})",
    );
}
