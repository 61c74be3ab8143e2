//! The control messages of a `msghdr` (`msg_control`), as strace's `msghdr.c` prints them:
//! `[{cmsg_len=28, cmsg_level=SOL_IP, cmsg_type=IP_PKTINFO, cmsg_data={...}}, ...]`.
//! `SOL_SOCKET` (descriptors, credentials, security context, timestamps) and `SOL_IP`
//! (packet info, TTL, TOS, options, extended errors, original destination) have their data
//! decoded; other levels print the type in hex and no data.

use std::fmt::Write as _;
use std::sync::OnceLock;

use super::net_xlat as nx;
use super::{netlink, structs, Abi, Ctx};

const SOL_SOCKET: u32 = 1;
const SOL_IP: u32 = 0;

/// `/proc/sys/net/core/optmem_max` rounded up to 8 (strace's `get_optmem_max`): no more
/// control data than this is read.
fn optmem_max() -> u64 {
    static MAX: OnceLock<u64> = OnceLock::new();
    *MAX.get_or_init(|| {
        match std::fs::read_to_string("/proc/sys/net/core/optmem_max")
            .ok()
            .and_then(|s| s.trim().parse::<i64>().ok())
        {
            Some(v) if v > 0 => (v as u64 + 7) & !7,
            // sizeof(long long) * (2 * IOV_MAX + 512)
            _ => 8 * (2 * 1024 + 512),
        }
    })
}

/// `, msg_control=[...]` for `len` bytes of control messages at `addr` (nothing when `len`
/// is 0).
pub fn msg_control(ctx: &mut Ctx<'_>, addr: u64, in_len: u64) {
    if in_len == 0 {
        return;
    }
    ctx.push(", msg_control=");
    let (hdr, word) = match ctx.abi {
        Abi::X86_64 => (16u64, 8u64),
        Abi::I386 => (12, 4),
    };
    let control_len = in_len.min(optmem_max());
    let buf = if control_len < hdr {
        None
    } else {
        ctx.read_bytes(addr, control_len as usize)
    };
    let Some(buf) = buf else {
        ctx.addr(addr);
        return;
    };
    let mut left = control_len;
    let mut off = 0usize;
    ctx.push("[");
    while left >= hdr {
        let b = &buf[off..];
        let cmsg_len = match ctx.abi {
            Abi::X86_64 => u64::from_ne_bytes(b[0..8].try_into().unwrap()),
            Abi::I386 => u64::from(u32::from_ne_bytes(b[0..4].try_into().unwrap())),
        };
        let h = hdr as usize;
        let level = u32::from_ne_bytes(b[h - 8..h - 4].try_into().unwrap());
        let typ = u32::from_ne_bytes(b[h - 4..h].try_into().unwrap());
        if off > 0 {
            ctx.comma();
        }
        let _ = write!(ctx.out, "{{cmsg_len={cmsg_len}, cmsg_level=");
        ctx.xval(nx::SOCKETLAYERS, u64::from(level), "SOL_???");
        ctx.push(", cmsg_type=");
        let len = cmsg_len.min(left);
        let data = if len > hdr {
            &b[h..len as usize]
        } else {
            &[][..]
        };
        type_and_data(ctx, level, typ, data);
        ctx.push("}");
        if len < hdr {
            left -= hdr;
            break;
        }
        let step = cmsg_len.wrapping_add(word - 1) & !(word - 1);
        if step >= left {
            left = 0;
            break;
        }
        off += step as usize;
        left -= step;
    }
    if left > 0 {
        let _ = write!(ctx.out, ", ... /* {:#x} */", addr + (control_len - left));
    } else if control_len < in_len {
        ctx.push(", ...");
    }
    ctx.push("]");
}

/// The type (named for the levels strace knows) and, when there is enough of it for the
/// type's printer, `, cmsg_data=...`.
fn type_and_data(ctx: &mut Ctx<'_>, level: u32, typ: u32, data: &[u8]) {
    type Printer = fn(&mut Ctx<'_>, &[u8]);
    let printer: Option<(Printer, usize)> = match level {
        SOL_SOCKET => {
            ctx.xval(nx::SCMVALS, u64::from(typ), "SCM_???");
            let (tv, ts) = match ctx.abi {
                Abi::X86_64 => (16, 16),
                Abi::I386 => (8, 8),
            };
            match typ {
                1 => Some((scm_rights, 4)),
                2 => Some((scm_creds, 12)),
                3 => Some((quoted, 1)),
                // SO_TIMESTAMP_OLD, SO_TIMESTAMPNS_OLD, SO_TIMESTAMPING_OLD (the tracee's
                // long-sized fields)
                0x1d => Some((if tv == 16 { timeval64 } else { timeval32 }, 1)),
                0x23 => Some((if ts == 16 { timespec64 } else { timespec32 }, 1)),
                0x25 => Some((if ts == 16 { timespec64x3 } else { timespec32x3 }, 1)),
                // SO_TIMESTAMP_NEW, SO_TIMESTAMPNS_NEW, SO_TIMESTAMPING_NEW
                0x3f => Some((timeval64, 1)),
                0x40 => Some((timespec64, 1)),
                0x41 => Some((timespec64x3, 1)),
                _ => None,
            }
        }
        SOL_IP => {
            ctx.xval(nx::IP_CMSG_TYPES, u64::from(typ), "IP_???");
            match typ {
                8 => Some((ip_pktinfo, 12)),
                2 | 0x17 => Some((uints, 4)),
                1 | 6 | 7 => Some((xbytes, 1)),
                0xb => Some((ip_recverr, 32)),
                0x14 => Some((ip_origdstaddr, 16)),
                3 => Some((quoted, 1)),
                _ => None,
            }
        }
        _ => {
            ctx.hex_value(u64::from(typ));
            None
        }
    };
    if let Some((print, min)) = printer {
        if data.len() >= min {
            ctx.push(", cmsg_data=");
            print(ctx, data);
        }
    }
}

/// `[a, b, ...]` of the `size`-byte elements of `data` (strace's `print_local_array_ex`:
/// at most `-s` of them unless `-v`).
fn local_array(ctx: &mut Ctx<'_>, data: &[u8], size: usize, elem: fn(&mut Ctx<'_>, &[u8])) {
    ctx.push("[");
    for (i, e) in data.chunks_exact(size).enumerate() {
        if i > 0 {
            ctx.comma();
        }
        if !ctx.opts.verbose && i >= ctx.opts.max_strlen {
            ctx.push("...");
            break;
        }
        elem(ctx, e);
    }
    ctx.push("]");
}

fn u32_at(b: &[u8], o: usize) -> u32 {
    u32::from_ne_bytes(b[o..o + 4].try_into().unwrap())
}

fn i64_at(b: &[u8], o: usize) -> i64 {
    i64::from_ne_bytes(b[o..o + 8].try_into().unwrap())
}

fn scm_rights(ctx: &mut Ctx<'_>, data: &[u8]) {
    local_array(ctx, data, 4, |c, e| c.fd_val(u32_at(e, 0) as i32));
}

fn scm_creds(ctx: &mut Ctx<'_>, data: &[u8]) {
    ctx.push("{pid=");
    ctx.pid_arg(u32_at(data, 0) as i32);
    ctx.push(", uid=");
    id(ctx, u32_at(data, 4));
    ctx.push(", gid=");
    id(ctx, u32_at(data, 8));
    ctx.push("}");
}

/// A user or group id: `-1` for `(uid_t) -1` (strace's `PRINT_VAL_ID`).
fn id(ctx: &mut Ctx<'_>, v: u32) {
    if v == u32::MAX {
        ctx.push("-1");
    } else {
        let _ = write!(ctx.out, "{v}");
    }
}

fn quoted(ctx: &mut Ctx<'_>, data: &[u8]) {
    crate::text::quote(&mut ctx.out, data, ctx.opts.hex, false);
}

/// A time structure of two fields of `half` bytes each (`{tv_sec=1, tv_usec=2}`), or `???`
/// when `data` is shorter.
fn time_pair(ctx: &mut Ctx<'_>, data: &[u8], half: usize, sub: &str) {
    if data.len() < 2 * half {
        ctx.push("???");
        return;
    }
    let (sec, frac) = if half == 8 {
        (i64_at(data, 0), i64_at(data, 8) as u64)
    } else {
        (
            i64::from(u32_at(data, 0) as i32),
            u64::from(u32_at(data, 4)),
        )
    };
    let _ = write!(ctx.out, "{{tv_sec={sec}, {sub}={frac}}}");
}

fn timeval64(ctx: &mut Ctx<'_>, data: &[u8]) {
    time_pair(ctx, data, 8, "tv_usec");
}

fn timeval32(ctx: &mut Ctx<'_>, data: &[u8]) {
    time_pair(ctx, data, 4, "tv_usec");
}

fn timespec64(ctx: &mut Ctx<'_>, data: &[u8]) {
    time_pair(ctx, data, 8, "tv_nsec");
}

fn timespec32(ctx: &mut Ctx<'_>, data: &[u8]) {
    time_pair(ctx, data, 4, "tv_nsec");
}

/// `[{...}, {...}, {...}]`: the three timestamps of `SO_TIMESTAMPING`, `???` when `data`
/// holds fewer.
fn timespecs3(ctx: &mut Ctx<'_>, data: &[u8], half: usize) {
    if data.len() < 6 * half {
        ctx.push("???");
        return;
    }
    ctx.push("[");
    for i in 0..3 {
        if i > 0 {
            ctx.comma();
        }
        time_pair(ctx, &data[2 * half * i..], half, "tv_nsec");
    }
    ctx.push("]");
}

fn timespec64x3(ctx: &mut Ctx<'_>, data: &[u8]) {
    timespecs3(ctx, data, 8);
}

fn timespec32x3(ctx: &mut Ctx<'_>, data: &[u8]) {
    timespecs3(ctx, data, 4);
}

fn ip_pktinfo(ctx: &mut Ctx<'_>, data: &[u8]) {
    ctx.push("{ipi_ifindex=");
    netlink::ifindex(ctx, u32_at(data, 0));
    ctx.comma();
    netlink::inet_addr(ctx, 2, &data[4..8], Some("ipi_spec_dst"));
    ctx.comma();
    netlink::inet_addr(ctx, 2, &data[8..12], Some("ipi_addr"));
    ctx.push("}");
}

fn uints(ctx: &mut Ctx<'_>, data: &[u8]) {
    local_array(ctx, data, 4, |c, e| {
        let _ = write!(c.out, "{}", u32_at(e, 0));
    });
}

fn xbytes(ctx: &mut Ctx<'_>, data: &[u8]) {
    local_array(ctx, data, 1, |c, e| c.hex_value(u64::from(e[0])));
}

fn ip_recverr(ctx: &mut Ctx<'_>, data: &[u8]) {
    let _ = write!(
        ctx.out,
        "{{ee_errno={}, ee_origin={}, ee_type={}, ee_code={}, ee_info={}, ee_data={}, offender=",
        u32_at(data, 0),
        data[4],
        data[5],
        data[6],
        u32_at(data, 8),
        u32_at(data, 12)
    );
    structs::sockaddr_bytes(ctx, &data[16..32]);
    ctx.push("}");
}

fn ip_origdstaddr(ctx: &mut Ctx<'_>, data: &[u8]) {
    structs::sockaddr_bytes(ctx, &data[..data.len().min(128)]);
}
