//! Socket endpoints for `-yy`, from `/proc/PID/net/*`.

use std::net::{Ipv4Addr, Ipv6Addr};

use tracekit_ptrace::Pid;

fn hex_v4(s: &str) -> Option<(String, u16)> {
    let (a, p) = s.split_once(':')?;
    let ip = u32::from_str_radix(a, 16).ok()?;
    let port = u16::from_str_radix(p, 16).ok()?;
    Some((Ipv4Addr::from(u32::from_be(ip)).to_string(), port))
}

fn hex_v6(s: &str) -> Option<(String, u16)> {
    let (a, p) = s.split_once(':')?;
    if a.len() != 32 {
        return None;
    }
    let mut bytes = [0u8; 16];
    for w in 0..4 {
        let word = u32::from_str_radix(&a[w * 8..w * 8 + 8], 16).ok()?;
        bytes[w * 4..w * 4 + 4].copy_from_slice(&word.to_le_bytes());
    }
    let port = u16::from_str_radix(p, 16).ok()?;
    Some((Ipv6Addr::from(bytes).to_string(), port))
}

fn inet(pid: Pid, file: &str, proto: &str, v6: bool, ino: &str) -> Option<String> {
    let text = std::fs::read_to_string(format!("/proc/{}/net/{file}", pid.0)).ok()?;
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 10 || f[9] != ino {
            continue;
        }
        let parse = if v6 { hex_v6 } else { hex_v4 };
        let (la, lp) = parse(f[1])?;
        let (ra, rp) = parse(f[2])?;
        let fmt = |a: &str, p: u16| {
            if v6 {
                format!("[{a}]:{p}")
            } else {
                format!("{a}:{p}")
            }
        };
        let connected = rp != 0 || (ra != "0.0.0.0" && ra != "::");
        return Some(if connected {
            format!("{proto}:[{}->{}]", fmt(&la, lp), fmt(&ra, rp))
        } else {
            format!("{proto}:[{}]", fmt(&la, lp))
        });
    }
    None
}

fn unix(pid: Pid, ino: &str) -> Option<String> {
    let text = std::fs::read_to_string(format!("/proc/{}/net/unix", pid.0)).ok()?;
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() >= 7 && f[6] == ino {
            return Some(match f.get(7) {
                Some(path) => format!("UNIX:[{ino},\"{path}\"]"),
                None => format!("UNIX:[{ino}]"),
            });
        }
    }
    None
}

/// `TCP:[127.0.0.1:80->127.0.0.1:4242]`, `UNIX:[1234]`, ... for socket inode `ino`.
pub fn describe(pid: Pid, ino: &str) -> Option<String> {
    inet(pid, "tcp", "TCP", false, ino)
        .or_else(|| inet(pid, "tcp6", "TCPv6", true, ino))
        .or_else(|| inet(pid, "udp", "UDP", false, ino))
        .or_else(|| inet(pid, "udp6", "UDPv6", true, ino))
        .or_else(|| unix(pid, ino))
}
