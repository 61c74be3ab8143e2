//! Socket details for `-yy`, the way strace gets them: the protocol name from the
//! `system.sockprotoname` attribute of `/proc/PID/fd/N`, endpoints from the kernel's
//! sock_diag netlink interface (`UNIX-STREAM:[1234->1235]`, `TCP:[127.0.0.1:80->127.0.0.1:4242]`).
//! This module owns the netlink socket calls.

use std::ffi::CString;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use tracekit_ptrace::Pid;

const NETLINK_SOCK_DIAG: i32 = 4;
const SOCK_DIAG_BY_FAMILY: u16 = 20;
const NLM_F_REQUEST: u16 = 1;
const NLM_F_DUMP: u16 = 0x300;
const NLMSG_DONE: u16 = 3;
const NLMSG_ERROR: u16 = 2;
const UDIAG_SHOW_NAME: u32 = 1;
const UDIAG_SHOW_PEER: u32 = 4;
const UNIX_DIAG_NAME: u16 = 0;
const UNIX_DIAG_PEER: u16 = 2;

/// The `/proc` entry of `pid` (another one when `/proc` is from an outer pid namespace).
fn proc_dir(pid: Pid) -> String {
    crate::pidns::proc_entry(pid.0).unwrap_or_else(|| pid.0.to_string())
}

fn proto_name(pid: Pid, fd: i32) -> Option<String> {
    let path = CString::new(format!("/proc/{}/fd/{fd}", proc_dir(pid))).ok()?;
    let name = CString::new("system.sockprotoname").ok()?;
    let mut buf = [0u8; 64];
    // SAFETY: both strings are NUL-terminated; the kernel writes at most buf.len() bytes.
    let n = unsafe {
        libc::getxattr(
            path.as_ptr(),
            name.as_ptr(),
            buf.as_mut_ptr() as *mut libc::c_void,
            buf.len(),
        )
    };
    if n <= 0 {
        return None;
    }
    let s = &buf[..n as usize];
    let end = s.iter().position(|&c| c == 0).unwrap_or(s.len());
    Some(String::from_utf8_lossy(&s[..end]).into_owned())
}

fn netlink(protocol: i32) -> Option<OwnedFd> {
    // SAFETY: socket has no memory arguments.
    let fd = unsafe {
        libc::socket(
            libc::AF_NETLINK,
            libc::SOCK_RAW | libc::SOCK_CLOEXEC,
            protocol,
        )
    };
    if fd < 0 {
        return None;
    }
    // SAFETY: `fd` is a new descriptor we own.
    Some(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Sends one sock_diag request (`payload` after a netlink header) and returns every message
/// payload of the answer, with its type.
fn query(flags: u16, payload: &[u8]) -> Vec<(u16, Vec<u8>)> {
    query_on(NETLINK_SOCK_DIAG, SOCK_DIAG_BY_FAMILY, flags, payload)
}

/// [`query`] on a socket of netlink `protocol` with a message of type `typ`.
fn query_on(protocol: i32, typ: u16, flags: u16, payload: &[u8]) -> Vec<(u16, Vec<u8>)> {
    let Some(sock) = netlink(protocol) else {
        return Vec::new();
    };
    let len = 16 + payload.len();
    let mut msg = Vec::with_capacity(len);
    msg.extend_from_slice(&(len as u32).to_ne_bytes());
    msg.extend_from_slice(&typ.to_ne_bytes());
    msg.extend_from_slice(&(NLM_F_REQUEST | flags).to_ne_bytes());
    msg.extend_from_slice(&1u32.to_ne_bytes());
    msg.extend_from_slice(&0u32.to_ne_bytes());
    msg.extend_from_slice(payload);
    // SAFETY: `msg` is a valid buffer of `msg.len()` bytes; the kernel only reads it.
    let sent = unsafe {
        libc::send(
            sock.as_raw_fd(),
            msg.as_ptr() as *const libc::c_void,
            msg.len(),
            0,
        )
    };
    if sent < 0 {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut buf = vec![0u8; 32 << 10];
    loop {
        // SAFETY: the kernel writes at most buf.len() bytes into our buffer.
        let n = unsafe {
            libc::recv(
                sock.as_raw_fd(),
                buf.as_mut_ptr() as *mut libc::c_void,
                buf.len(),
                0,
            )
        };
        if n <= 0 {
            return out;
        }
        let data = &buf[..n as usize];
        let mut off = 0;
        while off + 16 <= data.len() {
            let mlen = u32::from_ne_bytes(data[off..off + 4].try_into().unwrap()) as usize;
            let mtype = u16::from_ne_bytes(data[off + 4..off + 6].try_into().unwrap());
            if mlen < 16 || off + mlen > data.len() {
                return out;
            }
            if mtype == NLMSG_DONE || mtype == NLMSG_ERROR {
                return out;
            }
            out.push((mtype, data[off + 16..off + mlen].to_vec()));
            off += (mlen + 3) & !3;
        }
        if flags & NLM_F_DUMP == 0 {
            return out;
        }
    }
}

fn rtattrs(mut b: &[u8]) -> Vec<(u16, &[u8])> {
    let mut v = Vec::new();
    while b.len() >= 4 {
        let len = u16::from_ne_bytes([b[0], b[1]]) as usize;
        let ty = u16::from_ne_bytes([b[2], b[3]]);
        if len < 4 || len > b.len() {
            break;
        }
        v.push((ty, &b[4..len]));
        b = &b[((len + 3) & !3).min(b.len())..];
    }
    v
}

/// The families of NETLINK_GENERIC the kernel knows, by id (strace's `genl_families_xlat`: a
/// `CTRL_CMD_GETFAMILY` dump to the `nlctrl` family).
pub fn genl_families() -> Vec<(u16, String)> {
    const GENL_ID_CTRL: u16 = 0x10;
    const CTRL_CMD_NEWFAMILY: u8 = 1;
    const CTRL_CMD_GETFAMILY: u8 = 3;
    const CTRL_ATTR_FAMILY_ID: u16 = 1;
    const CTRL_ATTR_FAMILY_NAME: u16 = 2;
    let mut out = Vec::new();
    let request = [CTRL_CMD_GETFAMILY, 1, 0, 0];
    for (typ, msg) in query_on(libc::NETLINK_GENERIC, GENL_ID_CTRL, NLM_F_DUMP, &request) {
        if typ != GENL_ID_CTRL || msg.len() < 4 || msg[0] != CTRL_CMD_NEWFAMILY || msg[1] != 2 {
            continue;
        }
        let (mut id, mut name) = (None, None);
        for (t, v) in rtattrs(&msg[4..]) {
            match t {
                CTRL_ATTR_FAMILY_NAME if name.is_none() => {
                    let end = v.iter().position(|&c| c == 0).unwrap_or(v.len());
                    name = Some(String::from_utf8_lossy(&v[..end]).into_owned());
                }
                CTRL_ATTR_FAMILY_ID if id.is_none() && v.len() == 2 => {
                    id = Some(u16::from_ne_bytes([v[0], v[1]]));
                }
                _ => {}
            }
            if let (Some(i), Some(_)) = (id, &name) {
                out.extend(name.take().map(|n| (i, n)));
                id = None;
            }
        }
    }
    out
}

/// A netlink socket's protocol and port id, `NETLINK:[ROUTE:1234]` (strace's `netlink_get`:
/// a dump of every netlink socket, `NDIAG_PROTO_ALL`).
fn netlink_details(ino: u32) -> Option<String> {
    let (protocol, portid) = netlink_diag(ino)?;
    let table = crate::decode::netlink_xlat::NETLINK_PROTOCOLS;
    Some(match crate::text::lookup(table, u64::from(protocol)) {
        Some(name) => format!("NETLINK:[{}:{portid}]", name.trim_start_matches("NETLINK_")),
        None => format!("NETLINK:[{protocol}]"),
    })
}

/// The protocol and port id of the netlink socket with inode `ino`, from sock_diag.
fn netlink_diag(ino: u32) -> Option<(u8, u32)> {
    const NDIAG_PROTO_ALL: u8 = 255;
    let mut req = [0u8; 20];
    req[0] = libc::AF_NETLINK as u8;
    req[1] = NDIAG_PROTO_ALL;
    query(NLM_F_DUMP, &req).into_iter().find_map(|(_, m)| {
        if m.len() < 28 || u32::from_ne_bytes(m[16..20].try_into().unwrap()) != ino {
            return None;
        }
        Some((m[2], u32::from_ne_bytes(m[4..8].try_into().unwrap())))
    })
}

fn unix(ino: u32, proto: &str) -> Option<String> {
    let mut req = vec![libc::AF_UNIX as u8, 0, 0, 0];
    req.extend_from_slice(&u32::MAX.to_ne_bytes()); // all states
    req.extend_from_slice(&ino.to_ne_bytes());
    req.extend_from_slice(&(UDIAG_SHOW_NAME | UDIAG_SHOW_PEER).to_ne_bytes());
    req.extend_from_slice(&u32::MAX.to_ne_bytes());
    req.extend_from_slice(&u32::MAX.to_ne_bytes());
    let resp = query(0, &req);
    let (_, msg) = resp.first()?;
    if msg.len() < 16 {
        return None;
    }
    let ty = match msg[1] as i32 {
        libc::SOCK_STREAM => "-STREAM",
        libc::SOCK_DGRAM => "-DGRAM",
        libc::SOCK_SEQPACKET => "-SEQPACKET",
        _ => "",
    };
    let mut s = format!("{proto}{ty}:[{ino}");
    let mut name = None;
    let mut has_peer = false;
    for (t, v) in rtattrs(&msg[16..]) {
        match t {
            UNIX_DIAG_PEER if v.len() >= 4 => {
                let peer = u32::from_ne_bytes(v[..4].try_into().unwrap());
                if peer != 0 {
                    s.push_str(&format!("->{peer}"));
                    has_peer = true;
                }
            }
            UNIX_DIAG_NAME if !v.is_empty() => {
                let mut q = String::new();
                if v[0] == 0 {
                    q.push('@');
                    crate::text::quote(&mut q, &v[1..], crate::text::HexMode::None, false);
                } else {
                    let end = v.iter().position(|&c| c == 0).unwrap_or(v.len());
                    crate::text::quote(&mut q, &v[..end], crate::text::HexMode::None, false);
                }
                name = Some(q);
            }
            _ => {}
        }
    }
    // Neither a peer nor a name (not bound or connected yet): nothing worth remembering for
    // the inode, so the caller prints the plain form and asks again next time (strace's
    // unix_parse_response).
    if !has_peer && name.is_none() {
        return None;
    }
    if let Some(n) = name {
        s.push(',');
        s.push_str(&n);
    }
    s.push(']');
    Some(s)
}

fn inet(ino: u32, family: u8, protocol: u8, proto: &str) -> Option<String> {
    // struct inet_diag_req_v2 with an empty socket id: dump everything, find the inode.
    let mut req = vec![family, protocol, 0, 0];
    req.extend_from_slice(&u32::MAX.to_ne_bytes());
    req.extend_from_slice(&[0u8; 48]);
    for (_, msg) in query(NLM_F_DUMP, &req) {
        if msg.len() < 72 {
            continue;
        }
        let inode = u32::from_ne_bytes(msg[68..72].try_into().unwrap());
        if inode != ino {
            continue;
        }
        let sport = u16::from_be_bytes([msg[4], msg[5]]);
        let dport = u16::from_be_bytes([msg[6], msg[7]]);
        let addr = |o: usize| -> String {
            if family == libc::AF_INET as u8 {
                Ipv4Addr::new(msg[o], msg[o + 1], msg[o + 2], msg[o + 3]).to_string()
            } else {
                let a: [u8; 16] = msg[o..o + 16].try_into().unwrap();
                format!("[{}]", Ipv6Addr::from(a))
            }
        };
        let (src, dst) = (addr(8), addr(24));
        let unspecified = |a: &str| a == "0.0.0.0" || a == "[::]";
        return Some(if dport == 0 && unspecified(&dst) {
            format!("{proto}:[{src}:{sport}]")
        } else {
            format!("{proto}:[{src}:{sport}->{dst}:{dport}]")
        });
    }
    None
}

/// The protocol of descriptor `fd` of `pid` when it is a netlink socket (`NETLINK_ROUTE` is
/// 0): from the socket's line in the process's `/proc/PID/net/netlink` (the `Eth` column of
/// the line whose inode is the descriptor's), else from a sock_diag dump of netlink sockets;
/// `u32::MAX` when neither has the inode. Found protocols are remembered by inode, as strace
/// remembers a socket's details: the kernel's listings can miss a socket while its hash
/// table is resized by other sockets coming and going.
pub fn netlink_protocol(pid: Pid, fd: i32) -> Option<u32> {
    static KNOWN: std::sync::Mutex<Option<std::collections::HashMap<u32, u32>>> =
        std::sync::Mutex::new(None);
    if fd < 0 || proto_name(pid, fd)? != "NETLINK" {
        return None;
    }
    let dir = proc_dir(pid);
    let ino: Option<u32> = std::fs::read_link(format!("/proc/{dir}/fd/{fd}"))
        .ok()
        .and_then(|l| {
            let l = l.to_str()?;
            l.strip_prefix("socket:[")?.strip_suffix(']')?.parse().ok()
        });
    let Some(ino) = ino else {
        return Some(u32::MAX);
    };
    if let Some(p) = KNOWN
        .lock()
        .ok()
        .and_then(|k| k.as_ref()?.get(&ino).copied())
    {
        return Some(p);
    }
    let scan = || -> Option<u32> {
        let table = std::fs::read_to_string(format!("/proc/{dir}/net/netlink")).ok()?;
        let want = ino.to_string();
        table.lines().skip(1).find_map(|line| {
            let cols: Vec<&str> = line.split_whitespace().collect();
            (cols.len() >= 10 && cols[9] == want).then(|| cols[1].parse().ok())?
        })
    };
    let found = (0..3)
        .find_map(|_| scan())
        .or_else(|| netlink_diag(ino).map(|(proto, _)| u32::from(proto)));
    match found {
        Some(p) => {
            if let Ok(mut k) = KNOWN.lock() {
                k.get_or_insert_with(Default::default).insert(ino, p);
            }
            Some(p)
        }
        None => Some(u32::MAX),
    }
}

/// `TCP:[127.0.0.1:80->127.0.0.1:4242]`, `UNIX-STREAM:[1234->1235]`, `TCP:[5678]`... for
/// descriptor `fd` of `pid`, a socket with inode `ino`.
pub fn describe(pid: Pid, fd: i32, ino: &str) -> Option<String> {
    static CACHE: std::sync::Mutex<Option<std::collections::HashMap<u32, String>>> =
        std::sync::Mutex::new(None);
    let inode: u32 = ino.parse().ok()?;
    // Like strace, details found once are reused for the inode (a UNIX socket keeps showing
    // its peer after the peer closed).
    if let Some(hit) = CACHE
        .lock()
        .ok()?
        .as_ref()
        .and_then(|c| c.get(&inode).cloned())
    {
        return Some(hit);
    }
    let proto = proto_name(pid, fd)?;
    // The inet protocols strace asks sock_diag about (its `protocols` table), by the name
    // the kernel gives; names ending in "v6" are the AF_INET6 ones.
    const INET: [(&str, i32); 8] = [
        ("TCP", libc::IPPROTO_TCP),
        ("UDP", libc::IPPROTO_UDP),
        ("UDPLITE", libc::IPPROTO_UDPLITE),
        ("DCCP", libc::IPPROTO_DCCP),
        ("SCTP", libc::IPPROTO_SCTP),
        ("L2TP/IP", 115),
        ("PING", libc::IPPROTO_ICMP),
        ("RAW", libc::IPPROTO_RAW),
    ];
    let inet_proto = |name: &str| {
        let (base, family) = match name.strip_suffix("v6") {
            Some(b) => (b, libc::AF_INET6),
            None => (name, libc::AF_INET),
        };
        INET.iter()
            .find(|(n, _)| *n == base)
            .map(|&(_, p)| (family as u8, p as u8))
    };
    let found = match proto.as_str() {
        p if p.starts_with("UNIX") => unix(inode, "UNIX"),
        "NETLINK" => netlink_details(inode),
        p => match inet_proto(p) {
            Some((family, protocol)) => inet(inode, family, protocol, p),
            // A name strace does not know (the kernel says "UDP-Lite"): like strace, every
            // protocol in its order, and the plain `socket:[N]` when none has the inode.
            None => {
                let v6: Vec<String> = INET.iter().map(|(n, _)| format!("{n}v6")).collect();
                return unix(inode, "UNIX")
                    .or_else(|| {
                        INET.iter()
                            .map(|(n, _)| *n)
                            .chain(v6.iter().map(String::as_str))
                            .find_map(|n| {
                                let (family, protocol) = inet_proto(n)?;
                                inet(inode, family, protocol, n)
                            })
                    })
                    .or_else(|| netlink_details(inode))
                    .inspect(|d| {
                        if let Ok(mut c) = CACHE.lock() {
                            c.get_or_insert_with(Default::default)
                                .insert(inode, d.clone());
                        }
                    });
            }
        },
    };
    match found {
        Some(d) => {
            if let Ok(mut c) = CACHE.lock() {
                c.get_or_insert_with(Default::default)
                    .insert(inode, d.clone());
            }
            Some(d)
        }
        None => Some(format!("{proto}:[{ino}]")),
    }
}
