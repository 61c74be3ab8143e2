//! Socket requests (`linux/sockios.h`, type `0x89`, strace's `sock.c`): interface
//! requests (`struct ifreq`: addresses, flags, hardware addresses, names, maps, numbers),
//! the interface list (`SIOCGIFCONF`), bridges, owners and the requests strace shows as an
//! address.

use std::fmt::Write as _;

use super::fields::{cstring, fetch, str0, u32_at, u64_at};
use super::Family;
use crate::decode::netlink::{hwaddr, ifindex};
use crate::decode::netlink_xlat as nx;
use crate::decode::{structs, Ctx, Step};
use crate::text::Hx;

pub(super) const FAMILY: Family = Family {
    handles: |req| kind(req).is_some(),
    enter,
    exit,
};

const SIOCGIFNAME: u64 = 0x8910;
const SIOCGIFCONF: u64 = 0x8912;
const SIOCBRADDBR: u64 = 0x89a0;
const SIOCBRDELBR: u64 = 0x89a1;
const SIOCBRADDIF: u64 = 0x89a2;
const SIOCBRDELIF: u64 = 0x89a3;

/// `struct ifreq`, `struct ifconf`.
const IFREQ_SIZE: usize = 40;
const IFCONF_SIZE: usize = 16;
/// `IFNAMSIZ`.
const IFNAMSIZ: u64 = 16;

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    /// `[int]` the kernel reads.
    IntIn,
    /// `[int]` the kernel writes.
    IntOut,
    /// A `struct ifreq` the kernel reads.
    IfreqIn,
    /// A `struct ifreq` with the interface name (or index) in and a field out.
    IfreqOut,
    /// The address alone.
    Addr,
    /// `SIOCGIFCONF`, the bridge requests.
    Own,
}

fn kind(req: u64) -> Option<Kind> {
    use Kind::*;
    Some(match req {
        0x8901 | 0x8902 | 0x8926 => IntIn,
        0x8903 | 0x8904 | 0x8905 | 0x8925 | 0x894b => IntOut,
        // SIOCADDMULTI, SIOCDELMULTI and the SIOCSIF* of an ifreq.
        0x8931 | 0x8932 | 0x8916 | 0x891a | 0x8918 | 0x8914 | 0x8924 | 0x8937 | 0x8971 | 0x891e
        | 0x8922 | 0x8923 | 0x891c | 0x8930 | 0x8943 => IfreqIn,
        0x8915 | 0x8919 | 0x8917 | 0x8913 | 0x8927 | 0x8933 | 0x8970 | 0x891d | 0x8921
        | SIOCGIFNAME | 0x891b | 0x8929 | 0x8942 => IfreqOut,
        0x8980 | 0x890b | 0x8995 | 0x8990 | 0x8994 | 0x8991 | 0x8992 | 0x8993 | 0x8953 | 0x8981
        | 0x890c | 0x8936 | 0x8960 | 0x8946 | 0x8954 | 0x89b1 | 0x8940 | 0x8938 | 0x891f
        | 0x8935 | 0x8982 | 0x8947 | 0x8948 | 0x8961 | 0x894c | 0x8906 | 0x8010_8906 | 0x8907
        | 0x8010_8907 | 0x890d | 0x8955 | 0x89b0 | 0x8941 | 0x8911 | 0x8920 | 0x8934 | 0x8983
        | 0x8949 | 0x8962 | 0x894a => Addr,
        SIOCGIFCONF | SIOCBRADDBR | SIOCBRDELBR | SIOCBRADDIF | SIOCBRDELIF => Own,
        _ => return None,
    })
}

fn enter(ctx: &mut Ctx<'_>, req: u64) -> Step {
    ctx.comma();
    let arg = ctx.arg(2);
    match (kind(req), req) {
        (Some(Kind::IntOut), _) => return Step::Exit,
        (Some(Kind::IntIn), _) => ctx.int_ptr(arg),
        (Some(Kind::Addr), _) => ctx.addr(arg),
        (_, SIOCGIFCONF) => return ifconf_enter(ctx),
        (_, SIOCBRADDBR | SIOCBRDELBR) => {
            str0(ctx, arg, IFNAMSIZ);
        }
        (_, SIOCBRADDIF | SIOCBRDELIF) => {
            if let Some(b) = fetch(ctx, IFREQ_SIZE) {
                ctx.push("{ifr_ifindex=");
                ifindex(ctx, u32_at(&b, 16));
                ctx.push("}");
            }
        }
        (Some(Kind::IfreqIn), _) => {
            if let Some(b) = fetch(ctx, IFREQ_SIZE) {
                ctx.push("{ifr_name=");
                cstring(ctx, &b[..16]);
                ctx.push(", ");
                ifreq(ctx, req, &b);
                ctx.push("}");
            }
        }
        _ => {
            let Some(b) = fetch(ctx, IFREQ_SIZE) else {
                return Step::Decoded;
            };
            if req == SIOCGIFNAME {
                let _ = write!(ctx.out, "{{ifr_ifindex={}", u32_at(&b, 16) as i32);
            } else {
                ctx.push("{ifr_name=");
                cstring(ctx, &b[..16]);
            }
            return Step::Exit;
        }
    }
    Step::Decoded
}

fn exit(ctx: &mut Ctx<'_>, req: u64) {
    match kind(req) {
        Some(Kind::IntOut) => ctx.out_arg(2, |c, a| c.int_ptr(a)),
        _ if req == SIOCGIFCONF => ifconf_exit(ctx),
        _ => {
            if !ctx.error {
                if let Some(b) = ctx.read_bytes(ctx.arg(2), IFREQ_SIZE) {
                    ctx.push(", ");
                    ifreq(ctx, req, &b);
                }
            }
            ctx.push("}");
        }
    }
}

/// The field of `struct ifreq` `req` is about (strace's `print_ifreq`).
fn ifreq(ctx: &mut Ctx<'_>, req: u64, b: &[u8]) {
    let arg = ctx.arg(2);
    let int = |b: &[u8]| u32_at(b, 16) as i32;
    let sockaddr = |ctx: &mut Ctx<'_>, name: &str| {
        let _ = write!(ctx.out, "{name}=");
        structs::sockaddr(ctx, arg + 16, 16);
    };
    match req {
        0x8916 | 0x8915 => sockaddr(ctx, "ifr_addr"),
        0x8918 | 0x8917 => sockaddr(ctx, "ifr_dstaddr"),
        0x891a | 0x8919 => sockaddr(ctx, "ifr_broadaddr"),
        0x891c | 0x891b => sockaddr(ctx, "ifr_netmask"),
        0x8931 | 0x8932 | 0x8927 | 0x8924 | 0x8937 => {
            let family = u16::from_ne_bytes([b[16], b[17]]);
            ctx.push("ifr_hwaddr={sa_family=");
            ctx.xval(nx::ARP_HARDWARE_TYPES, family.into(), "ARPHRD_???");
            ctx.push(", sa_data=");
            hwaddr(ctx, &b[18..32], Some(family.into()));
            ctx.push("}");
        }
        0x8914 | 0x8913 => {
            ctx.push("ifr_flags=");
            let flags = u16::from_ne_bytes([b[16], b[17]]);
            ctx.flags(nx::IFFFLAGS, flags.into(), "IFF_???");
        }
        0x8933 => {
            let _ = write!(ctx.out, "ifr_ifindex={}", int(b));
        }
        0x891e | 0x891d => {
            let _ = write!(ctx.out, "ifr_metric={}", int(b));
        }
        0x8922 | 0x8921 => {
            let _ = write!(ctx.out, "ifr_mtu={}", int(b));
        }
        0x8930 | 0x8929 => {
            ctx.push("ifr_slave=");
            cstring(ctx, &b[16..32]);
        }
        0x8923 => {
            ctx.push("ifr_newname=");
            cstring(ctx, &b[16..32]);
        }
        SIOCGIFNAME => {
            ctx.push("ifr_name=");
            cstring(ctx, &b[..16]);
        }
        0x8943 | 0x8942 => {
            let _ = write!(ctx.out, "ifr_qlen={}", int(b));
        }
        _ => {
            let _ = write!(
                ctx.out,
                "ifr_map={{mem_start={}, mem_end={}, base_addr={}, irq={}, dma={}, port={}}}",
                Hx(u64_at(b, 16)),
                Hx(u64_at(b, 24)),
                Hx(u16::from_ne_bytes([b[32], b[33]]).into()),
                Hx(b[34].into()),
                Hx(b[35].into()),
                Hx(b[36].into())
            );
        }
    }
}

/// `ifc_len`, with `/* N * sizeof(struct ifreq) */` when it is a whole number of them.
fn ifc_len(ctx: &mut Ctx<'_>, len: i32) -> u64 {
    let _ = write!(ctx.out, "{len}");
    let n = u64::from(len as u32) / IFREQ_SIZE as u64;
    if len > 0 && n * IFREQ_SIZE as u64 == u64::from(len as u32) {
        let _ = write!(ctx.out, " /* {n} * sizeof(struct ifreq) */");
    }
    n
}

/// What `SIOCGIFCONF`'s exit needs of the entry: `ifc_len`, and whether `ifc_buf` was set.
const STASH_READ: u64 = 1 << 32;
const STASH_BUF: u64 = 1 << 33;

fn ifconf_enter(ctx: &mut Ctx<'_>) -> Step {
    let arg = ctx.arg(2);
    let Some(b) = (arg != 0)
        .then(|| ctx.read_bytes(arg, IFCONF_SIZE))
        .flatten()
    else {
        ctx.addr(arg);
        return Step::Decoded;
    };
    let (len, buf) = (u32_at(&b, 0), u64_at(&b, 8));
    ctx.push("{ifc_len=");
    if buf != 0 {
        ifc_len(ctx, len as i32);
    }
    ctx.stash = u64::from(len) | STASH_READ | if buf != 0 { STASH_BUF } else { 0 };
    Step::Exit
}

fn ifconf_exit(ctx: &mut Ctx<'_>) {
    let entry_len = ctx.stash as u32 as i32;
    let entry_buf = ctx.stash & STASH_BUF != 0;
    let Some(b) = ctx.read_bytes(ctx.arg(2), IFCONF_SIZE) else {
        if !entry_buf {
            ifc_len(ctx, entry_len);
            ctx.push(", ifc_buf=NULL");
        }
        ctx.push("}");
        return;
    };
    let (len, buf) = (u32_at(&b, 0) as i32, u64_at(&b, 8));
    let changed = len != entry_len;
    if entry_buf && changed {
        ctx.push(" => ");
    }
    let mut n = u64::from(len as u32) / IFREQ_SIZE as u64;
    if !entry_buf || changed {
        n = ifc_len(ctx, len);
    }
    ctx.push(", ifc_buf=");
    if !entry_buf || ctx.error {
        ctx.addr(buf);
    } else {
        let mut at = buf;
        ctx.array(buf, n, IFREQ_SIZE as u64, &mut |c, e| {
            c.push("{ifr_name=");
            cstring(c, &e[..16]);
            c.push(", ifr_addr=");
            structs::sockaddr(c, at + 16, 16);
            c.push("}");
            at += IFREQ_SIZE as u64;
        });
    }
    ctx.push("}");
}
