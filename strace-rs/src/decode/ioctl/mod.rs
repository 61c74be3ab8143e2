//! Per-family `ioctl` argument decoders (the request names in `names`).
//!
//! `enter` prints the third argument at entry (or part of it) and says whether the
//! decoder wants the exit; `exit` completes it when the call succeeded. Layouts and
//! constants are the kernel's uapi headers (`linux/fiemap.h`, `linux/fs.h`).

use std::fmt::Write as _;

use super::{Ctx, Rval, Step};
use crate::text;

mod block;
mod btrfs;
mod dm;
mod evdev;
mod fields;
mod gpio;
mod hdio;
mod ioctlent;
mod kd;
mod kvm;
mod loop_dev;
mod mtd;
mod names;
mod nbd;
mod perf;
mod ptp;
mod rtc;
mod scsi;
mod seccomp;
mod sock;
mod tee;
mod term;
mod ubi;
mod uffd;
mod v4l2;
mod xlat;

pub use names::request_name;
pub(crate) use seccomp::{audit_arch_text, syscall_name, syscall_name_text};
pub(crate) use xlat::AUDIT_ARCH;

/// One family of requests decoded in its own module.
struct Family {
    /// Whether the family decodes the request's argument.
    handles: fn(u64) -> bool,
    /// The argument at entry, with its leading comma.
    enter: fn(&mut Ctx<'_>, u64) -> Step,
    /// The rest at exit, failed or not (`ctx.error`).
    exit: fn(&mut Ctx<'_>, u64),
}

const FAMILIES: &[Family] = &[
    hdio::FAMILY,
    evdev::FAMILY,
    gpio::FAMILY,
    ptp::FAMILY,
    kd::FAMILY,
    v4l2::FAMILY,
    seccomp::FAMILY,
    nbd::FAMILY,
    loop_dev::FAMILY,
    rtc::FAMILY,
    block::FAMILY,
    ubi::FAMILY,
    uffd::FAMILY,
    mtd::FAMILY,
    scsi::FAMILY,
    term::FAMILY,
    kvm::FAMILY,
    dm::FAMILY,
    sock::FAMILY,
    tee::FAMILY,
    btrfs::FAMILY,
    perf::FAMILY,
];

fn family(req: u64) -> Option<&'static Family> {
    FAMILIES.iter().find(|f| (f.handles)(req))
}

/// `FS_IOC_FIEMAP`: `_IOWR('f', 11, struct fiemap)`.
pub const FS_IOC_FIEMAP: u64 = 0xc020_660b;

/// `COUNTER_ADD_WATCH_IOCTL`: `_IOW(0x3E, 0x00, struct counter_watch)` (`linux/counter.h`).
const COUNTER_ADD_WATCH_IOCTL: u64 = 0x4006_3e00;
/// `COUNTER_ENABLE_EVENTS_IOCTL`: `_IO(0x3E, 0x01)`.
const COUNTER_ENABLE_EVENTS_IOCTL: u64 = 0x3e01;
/// `COUNTER_DISABLE_EVENTS_IOCTL`: `_IO(0x3E, 0x02)`.
const COUNTER_DISABLE_EVENTS_IOCTL: u64 = 0x3e02;

/// `FS_IOC_GETFLAGS`: `_IOR('f', 1, long)` (`linux/fs.h`); the kernel reads an `int`.
const FS_IOC_GETFLAGS: u64 = 0x8008_6601;
/// `FS_IOC_SETFLAGS`: `_IOW('f', 2, long)`.
const FS_IOC_SETFLAGS: u64 = 0x4008_6602;
/// `FS_IOC32_GETFLAGS`: `_IOR('f', 1, int)`.
const FS_IOC32_GETFLAGS: u64 = 0x8004_6601;
/// `FS_IOC32_SETFLAGS`: `_IOW('f', 2, int)`.
const FS_IOC32_SETFLAGS: u64 = 0x4004_6602;

/// `FIFREEZE`: `_IOWR('X', 119, int)` (no argument used).
const FIFREEZE: u64 = 0xc004_5877;
/// `FITHAW`: `_IOWR('X', 120, int)` (no argument used).
const FITHAW: u64 = 0xc004_5878;
/// `FITRIM`: `_IOWR('X', 121, struct fstrim_range)`.
const FITRIM: u64 = 0xc018_5879;
/// `FS_IOC_FSGETXATTR`: `_IOR('X', 31, struct fsxattr)`.
const FS_IOC_FSGETXATTR: u64 = 0x801c_581f;
/// `FS_IOC_FSSETXATTR`: `_IOW('X', 32, struct fsxattr)`.
const FS_IOC_FSSETXATTR: u64 = 0x401c_5820;

/// `fsx_xflags` (`FS_XFLAG_*`).
const FS_XFLAGS: text::Xlat = &[
    (0x1, "FS_XFLAG_REALTIME"),
    (0x2, "FS_XFLAG_PREALLOC"),
    (0x8, "FS_XFLAG_IMMUTABLE"),
    (0x10, "FS_XFLAG_APPEND"),
    (0x20, "FS_XFLAG_SYNC"),
    (0x40, "FS_XFLAG_NOATIME"),
    (0x80, "FS_XFLAG_NODUMP"),
    (0x100, "FS_XFLAG_RTINHERIT"),
    (0x200, "FS_XFLAG_PROJINHERIT"),
    (0x400, "FS_XFLAG_NOSYMLINKS"),
    (0x800, "FS_XFLAG_EXTSIZE"),
    (0x1000, "FS_XFLAG_EXTSZINHERIT"),
    (0x2000, "FS_XFLAG_NODEFRAG"),
    (0x4000, "FS_XFLAG_FILESTREAM"),
    (0x8000, "FS_XFLAG_DAX"),
    (0x10000, "FS_XFLAG_COWEXTSIZE"),
    (0x80000000, "FS_XFLAG_HASATTR"),
];

/// How a LIRC request's `__u32` is shown.
#[derive(Clone, Copy)]
enum LircKind {
    Dec,
    Hex,
    Mode,
    Features,
}

/// The kind of a LIRC request's value, `None` for other requests.
fn lirc_kind(req: u64) -> Option<LircKind> {
    use LircKind::*;
    let nr = req & 0xff;
    match req & !0xff {
        // _IOR('i', n, __u32)
        0x8004_6900 => match nr {
            0x00 => Some(Features),
            0x01 | 0x02 => Some(Mode),
            0x07 | 0x08 | 0x09 | 0x0f | 0x24 => Some(Dec),
            _ => None,
        },
        // _IOW('i', n, __u32)
        0x4004_6900 => match nr {
            0x11 | 0x12 => Some(Mode),
            0x17 => Some(Hex),
            0x13..=0x15 | 0x18 | 0x19 | 0x1d | 0x1f | 0x23 => Some(Dec),
            _ => None,
        },
        _ => None,
    }
}

const LIRC_MODES: text::Xlat = &[
    (0x1, "LIRC_MODE_RAW"),
    (0x2, "LIRC_MODE_PULSE"),
    (0x4, "LIRC_MODE_MODE2"),
    (0x8, "LIRC_MODE_SCANCODE"),
    (0x10, "LIRC_MODE_LIRCCODE"),
];

const LIRC_FEATURES: text::Xlat = &[
    (0x1, "LIRC_CAN_SEND_RAW"),
    (0x2, "LIRC_CAN_SEND_PULSE"),
    (0x4, "LIRC_CAN_SEND_MODE2"),
    (0x10, "LIRC_CAN_SEND_LIRCCODE"),
    (0x100, "LIRC_CAN_SET_SEND_CARRIER"),
    (0x200, "LIRC_CAN_SET_SEND_DUTY_CYCLE"),
    (0x400, "LIRC_CAN_SET_TRANSMITTER_MASK"),
    (0x10000, "LIRC_CAN_REC_RAW"),
    (0x20000, "LIRC_CAN_REC_PULSE"),
    (0x40000, "LIRC_CAN_REC_MODE2"),
    (0x80000, "LIRC_CAN_REC_SCANCODE"),
    (0x100000, "LIRC_CAN_REC_LIRCCODE"),
    (0x1000000, "LIRC_CAN_SET_REC_CARRIER"),
    (0x2000000, "LIRC_CAN_MEASURE_CARRIER"),
    (0x4000000, "LIRC_CAN_USE_WIDEBAND_RECEIVER"),
    (0x10000000, "LIRC_CAN_SET_REC_TIMEOUT"),
    (0x20000000, "LIRC_CAN_GET_REC_RESOLUTION"),
    (0x80000000, "LIRC_CAN_SET_REC_CARRIER_RANGE"),
];

/// The `NS_GET_*` requests (`linux/nsfs.h`): `_IO(0xb7, 1..=4)`.
const NS_GET_USERNS: u64 = 0xb701;
const NS_GET_PARENT: u64 = 0xb702;
const NS_GET_NSTYPE: u64 = 0xb703;
const NS_GET_OWNER_UID: u64 = 0xb704;

/// The namespace types `NS_GET_NSTYPE` returns (`CLONE_NEW*`, `linux/sched.h`).
const NS_TYPES: text::Xlat = &[
    (0x80, "CLONE_NEWTIME"),
    (0x20000, "CLONE_NEWNS"),
    (0x2000000, "CLONE_NEWCGROUP"),
    (0x4000000, "CLONE_NEWUTS"),
    (0x8000000, "CLONE_NEWIPC"),
    (0x10000000, "CLONE_NEWUSER"),
    (0x20000000, "CLONE_NEWPID"),
    (0x40000000, "CLONE_NEWNET"),
];

/// The `RND*` requests (`linux/random.h`).
const RNDGETENTCNT: u64 = 0x8004_5200;
const RNDADDTOENTCNT: u64 = 0x4004_5201;
const RNDADDENTROPY: u64 = 0x4008_5203;
const RNDZAPENTCNT: u64 = 0x5204;
const RNDCLEARPOOL: u64 = 0x5206;
const RNDRESEEDCRNG: u64 = 0x5207;

/// `INOTIFY_IOC_SETNEXTWD`: `_IOW('I', 0, __s32)` (`linux/inotify.h`), the value itself.
const INOTIFY_IOC_SETNEXTWD: u64 = 0x4004_4900;
/// The `WDIOC_*` requests (`linux/watchdog.h`) on an `int`: `_IOR('W', n, int)` for
/// n = 1..=10 except the setters 6 and 8 (`_IOWR`) and `WDIOC_KEEPALIVE` (5, no argument
/// used); 4 (`WDIOC_SETOPTIONS`) is left to the generic decoding.
const WDIOC_GETSTATUS: u64 = 0x8004_5701;
const WDIOC_SETOPTIONS: u64 = 0x8004_5704;
const WDIOC_KEEPALIVE: u64 = 0x8004_5705;
const WDIOC_GETTIMELEFT: u64 = 0x8004_570a;
const WDIOC_SETTIMEOUT: u64 = 0xc004_5706;
const WDIOC_SETPRETIMEOUT: u64 = 0xc004_5708;

/// The inode flags (`FS_*_FL`).
const INODE_FLAGS: text::Xlat = &[
    (0x1, "FS_SECRM_FL"),
    (0x2, "FS_UNRM_FL"),
    (0x4, "FS_COMPR_FL"),
    (0x8, "FS_SYNC_FL"),
    (0x10, "FS_IMMUTABLE_FL"),
    (0x20, "FS_APPEND_FL"),
    (0x40, "FS_NODUMP_FL"),
    (0x80, "FS_NOATIME_FL"),
    (0x100, "FS_DIRTY_FL"),
    (0x200, "FS_COMPRBLK_FL"),
    (0x400, "FS_NOCOMP_FL"),
    (0x800, "FS_ENCRYPT_FL"),
    (0x1000, "FS_INDEX_FL"),
    (0x2000, "FS_IMAGIC_FL"),
    (0x4000, "FS_JOURNAL_DATA_FL"),
    (0x8000, "FS_NOTAIL_FL"),
    (0x10000, "FS_DIRSYNC_FL"),
    (0x20000, "FS_TOPDIR_FL"),
    (0x40000, "FS_HUGE_FILE_FL"),
    (0x80000, "FS_EXTENT_FL"),
    (0x100000, "FS_VERITY_FL"),
    (0x200000, "FS_EA_INODE_FL"),
    (0x400000, "FS_EOFBLOCKS_FL"),
    (0x800000, "FS_NOCOW_FL"),
    (0x2000000, "FS_DAX_FL"),
    (0x10000000, "FS_INLINE_DATA_FL"),
    (0x20000000, "FS_PROJINHERIT_FL"),
    (0x40000000, "FS_CASEFOLD_FL"),
    (0x80000000, "FS_RESERVED_FL"),
];

const COUNTER_COMPONENT_TYPES: text::Xlat = &[
    (0, "COUNTER_COMPONENT_NONE"),
    (1, "COUNTER_COMPONENT_SIGNAL"),
    (2, "COUNTER_COMPONENT_COUNT"),
    (3, "COUNTER_COMPONENT_FUNCTION"),
    (4, "COUNTER_COMPONENT_SYNAPSE_ACTION"),
    (5, "COUNTER_COMPONENT_EXTENSION"),
];

const COUNTER_SCOPES: text::Xlat = &[
    (0, "COUNTER_SCOPE_DEVICE"),
    (1, "COUNTER_SCOPE_SIGNAL"),
    (2, "COUNTER_SCOPE_COUNT"),
];

const COUNTER_EVENTS: text::Xlat = &[
    (0, "COUNTER_EVENT_OVERFLOW"),
    (1, "COUNTER_EVENT_UNDERFLOW"),
    (2, "COUNTER_EVENT_OVERFLOW_UNDERFLOW"),
    (3, "COUNTER_EVENT_THRESHOLD"),
    (4, "COUNTER_EVENT_INDEX"),
    (5, "COUNTER_EVENT_CHANGE_OF_STATE"),
    (6, "COUNTER_EVENT_CAPTURE"),
];

const FIEMAP_FLAGS: text::Xlat = &[
    (0x1, "FIEMAP_FLAG_SYNC"),
    (0x2, "FIEMAP_FLAG_XATTR"),
    (0x4, "FIEMAP_FLAG_CACHE"),
];

const FIEMAP_EXTENT_FLAGS: text::Xlat = &[
    (0x1, "FIEMAP_EXTENT_LAST"),
    (0x2, "FIEMAP_EXTENT_UNKNOWN"),
    (0x4, "FIEMAP_EXTENT_DELALLOC"),
    (0x8, "FIEMAP_EXTENT_ENCODED"),
    (0x80, "FIEMAP_EXTENT_DATA_ENCRYPTED"),
    (0x100, "FIEMAP_EXTENT_NOT_ALIGNED"),
    (0x200, "FIEMAP_EXTENT_DATA_INLINE"),
    (0x400, "FIEMAP_EXTENT_DATA_TAIL"),
    (0x800, "FIEMAP_EXTENT_UNWRITTEN"),
    (0x1000, "FIEMAP_EXTENT_MERGED"),
    (0x2000, "FIEMAP_EXTENT_SHARED"),
];

/// Whether this module decodes `req`'s argument.
pub fn handles(req: u64) -> bool {
    family(req).is_some()
        || matches!(
            req,
            FS_IOC_FIEMAP
                | FS_IOC_GETFLAGS
                | FS_IOC_SETFLAGS
                | FS_IOC32_GETFLAGS
                | FS_IOC32_SETFLAGS
                | FIFREEZE
                | FITHAW
                | FITRIM
                | FS_IOC_FSGETXATTR
                | FS_IOC_FSSETXATTR
                | RNDGETENTCNT
                | RNDADDTOENTCNT
                | RNDADDENTROPY
                | RNDZAPENTCNT
                | RNDCLEARPOOL
                | RNDRESEEDCRNG
                | INOTIFY_IOC_SETNEXTWD
                | WDIOC_GETSTATUS
                ..=WDIOC_GETTIMELEFT
                    | WDIOC_SETTIMEOUT
                    | WDIOC_SETPRETIMEOUT
                    | COUNTER_ADD_WATCH_IOCTL
                    | COUNTER_ENABLE_EVENTS_IOCTL
                    | COUNTER_DISABLE_EVENTS_IOCTL
        )
        || lirc_kind(req).is_some()
        || (NS_GET_USERNS..=NS_GET_OWNER_UID).contains(&req)
}

/// `req`'s argument at entry (`handles(req)`), with its leading comma (none for requests
/// without an argument); `Step::Exit` when `exit` has more to print.
pub fn enter(ctx: &mut Ctx<'_>, req: u64) -> Step {
    if let Some(f) = family(req) {
        return (f.enter)(ctx, req);
    }
    match req {
        // The new descriptor, or the namespace type, in the return value.
        NS_GET_USERNS | NS_GET_PARENT => {
            ctx.rfmt = Rval::Fd;
            return Step::Decoded;
        }
        NS_GET_NSTYPE => return Step::Exit,
        _ => {}
    }
    if matches!(
        req,
        COUNTER_ENABLE_EVENTS_IOCTL
            | COUNTER_DISABLE_EVENTS_IOCTL
            | FIFREEZE
            | FITHAW
            | WDIOC_KEEPALIVE
            | RNDZAPENTCNT
            | RNDCLEARPOOL
            | RNDRESEEDCRNG
    ) {
        return Step::Decoded;
    }
    ctx.comma();
    match req {
        FS_IOC_FIEMAP => fiemap_enter(ctx),
        FS_IOC_GETFLAGS | FS_IOC32_GETFLAGS => Step::Exit,
        FS_IOC_SETFLAGS | FS_IOC32_SETFLAGS => {
            inode_flags(ctx);
            Step::Decoded
        }
        FITRIM => {
            fstrim_range(ctx);
            Step::Decoded
        }
        FS_IOC_FSSETXATTR => {
            fsxattr(ctx, false);
            Step::Decoded
        }
        FS_IOC_FSGETXATTR => Step::Exit,
        _ if lirc_kind(req).is_some() => {
            if req >> 30 == 2 {
                return Step::Exit;
            }
            lirc_value(ctx, req);
            Step::Decoded
        }
        RNDGETENTCNT | NS_GET_OWNER_UID => Step::Exit,
        RNDADDTOENTCNT => {
            ctx.int_ptr(ctx.arg(2));
            Step::Decoded
        }
        RNDADDENTROPY => {
            rand_pool_info(ctx);
            Step::Decoded
        }
        INOTIFY_IOC_SETNEXTWD => {
            ctx.int(2);
            Step::Decoded
        }
        WDIOC_SETTIMEOUT | WDIOC_SETPRETIMEOUT => {
            ctx.int_ptr(ctx.arg(2));
            Step::Decoded
        }
        _ if wdioc_getter(req) => Step::Exit,
        COUNTER_ADD_WATCH_IOCTL => {
            counter_watch(ctx);
            Step::Decoded
        }
        _ => {
            ctx.hex(2);
            Step::Decoded
        }
    }
}

/// The rest of `req`'s argument at exit.
pub fn exit(ctx: &mut Ctx<'_>, req: u64) {
    if let Some(f) = family(req) {
        (f.exit)(ctx, req);
        return;
    }
    if ctx.error {
        if addr_on_error(req) {
            ctx.addr(ctx.arg(2));
        }
        return;
    }
    match req {
        FS_IOC_FIEMAP => fiemap_exit(ctx),
        FS_IOC_GETFLAGS | FS_IOC32_GETFLAGS => inode_flags(ctx),
        FS_IOC_FSGETXATTR => fsxattr(ctx, true),
        NS_GET_OWNER_UID => match ctx.read::<u32>(ctx.arg(2)) {
            Some(uid) => {
                let _ = write!(ctx.out, "[{uid}]");
            }
            None => ctx.addr(ctx.arg(2)),
        },
        NS_GET_NSTYPE => {
            if let Some(n) = text::lookup(NS_TYPES, ctx.rval as u64) {
                ctx.rextra = format!(" ({n})");
            }
        }
        _ if lirc_kind(req).is_some() => lirc_value(ctx, req),
        RNDGETENTCNT => ctx.int_ptr(ctx.arg(2)),
        _ if wdioc_getter(req) => ctx.int_ptr(ctx.arg(2)),
        _ => {}
    }
}

/// Whether `exit` prints the argument's address itself after a failed call (the requests
/// that print nothing at entry).
fn addr_on_error(req: u64) -> bool {
    matches!(
        req,
        FS_IOC_GETFLAGS | FS_IOC32_GETFLAGS | FS_IOC_FSGETXATTR | RNDGETENTCNT | NS_GET_OWNER_UID
    ) || wdioc_getter(req)
        || (lirc_kind(req).is_some() && req >> 30 == 2)
}

/// The `WDIOC_*` getters of an `int`.
fn wdioc_getter(req: u64) -> bool {
    matches!(req, WDIOC_GETSTATUS..=WDIOC_GETTIMELEFT)
        && !matches!(
            req,
            WDIOC_SETOPTIONS | WDIOC_KEEPALIVE | WDIOC_SETTIMEOUT | WDIOC_SETPRETIMEOUT
        )
}

fn u64_at(b: &[u8], o: usize) -> u64 {
    u64::from_ne_bytes(b[o..o + 8].try_into().expect("8 bytes"))
}

fn u32_at(b: &[u8], o: usize) -> u64 {
    u64::from(u32::from_ne_bytes(b[o..o + 4].try_into().expect("4 bytes")))
}

/// `struct fiemap`'s fixed part: the 32 bytes before `fm_extents`.
const FIEMAP_SIZE: usize = 32;
/// `struct fiemap_extent`.
const EXTENT_SIZE: usize = 56;

fn fiemap_enter(ctx: &mut Ctx<'_>) -> Step {
    let addr = ctx.arg(2);
    let Some(b) = ctx.read_bytes(addr, FIEMAP_SIZE).filter(|_| addr != 0) else {
        ctx.addr(addr);
        return Step::Decoded;
    };
    let _ = write!(
        ctx.out,
        "{{fm_start={}, fm_length={}, fm_flags=",
        u64_at(&b, 0),
        u64_at(&b, 8)
    );
    ctx.flags(FIEMAP_FLAGS, u32_at(&b, 16), "FIEMAP_FLAG_???");
    let _ = write!(ctx.out, ", fm_extent_count={}}}", u32_at(&b, 24));
    Step::Exit
}

fn fiemap_exit(ctx: &mut Ctx<'_>) {
    let addr = ctx.arg(2);
    let Some(b) = ctx.read_bytes(addr, FIEMAP_SIZE) else {
        return;
    };
    ctx.push(" => {fm_flags=");
    ctx.flags(FIEMAP_FLAGS, u32_at(&b, 16), "FIEMAP_FLAG_???");
    let mapped = u32_at(&b, 20);
    let _ = write!(ctx.out, ", fm_mapped_extents={mapped}, ");
    if !ctx.opts.verbose {
        ctx.push("...}");
        return;
    }
    ctx.push("fm_extents=");
    let first = addr + FIEMAP_SIZE as u64;
    if mapped == 0 {
        ctx.push("[]}");
        return;
    }
    let max = ctx.opts.max_strlen as u64;
    let mut shown = 0;
    while shown < mapped {
        let at = first + shown * EXTENT_SIZE as u64;
        let Some(e) = ctx.read_bytes(at, EXTENT_SIZE) else {
            if shown == 0 {
                ctx.addr(first);
            } else {
                let _ = write!(ctx.out, ", ... /* {at:#x} */]");
            }
            ctx.push("}");
            return;
        };
        ctx.push(if shown == 0 { "[" } else { ", " });
        if shown == max {
            ctx.push("...");
            break;
        }
        let _ = write!(
            ctx.out,
            "{{fe_logical={}, fe_physical={}, fe_length={}, fe_flags=",
            u64_at(&e, 0),
            u64_at(&e, 8),
            u64_at(&e, 16)
        );
        ctx.flags(FIEMAP_EXTENT_FLAGS, u32_at(&e, 40), "FIEMAP_EXTENT_???");
        ctx.push("}");
        shown += 1;
    }
    ctx.push("]}");
}

/// `struct counter_watch`: a `struct counter_component` (four `__u8`), `event`, `channel`.
fn counter_watch(ctx: &mut Ctx<'_>) {
    let addr = ctx.arg(2);
    let Some(b) = ctx.read::<[u8; 6]>(addr) else {
        ctx.addr(addr);
        return;
    };
    ctx.push("{component={type=");
    ctx.xval(
        COUNTER_COMPONENT_TYPES,
        b[0].into(),
        "COUNTER_COMPONENT_???",
    );
    ctx.push(", scope=");
    ctx.xval(COUNTER_SCOPES, b[1].into(), "COUNTER_SCOPE_???");
    let _ = write!(ctx.out, ", parent={}, id={}}}, event=", b[2], b[3]);
    ctx.xval(COUNTER_EVENTS, b[4].into(), "COUNTER_EVENT_???");
    let _ = write!(ctx.out, ", channel={}}}", b[5]);
}

/// `[flags]`: the `int` of inode flags the argument points to.
fn inode_flags(ctx: &mut Ctx<'_>) {
    let addr = ctx.arg(2);
    let Some(v) = ctx.read::<u32>(addr) else {
        ctx.addr(addr);
        return;
    };
    ctx.push("[");
    ctx.flags(INODE_FLAGS, v.into(), "FS_???_FL");
    ctx.push("]");
}

/// `struct fstrim_range`: `start`, `len`, `minlen` (`__u64` each).
fn fstrim_range(ctx: &mut Ctx<'_>) {
    let addr = ctx.arg(2);
    let Some([start, len, minlen]) = ctx.read::<[u64; 3]>(addr) else {
        ctx.addr(addr);
        return;
    };
    let _ = write!(ctx.out, "{{start={start:#x}, len={len}, minlen={minlen}}}");
}

/// `struct fsxattr` (five `__u32` and padding); `fsx_nextents` only as the kernel's answer.
fn fsxattr(ctx: &mut Ctx<'_>, with_nextents: bool) {
    let addr = ctx.arg(2);
    // The whole struct, padding included: 28 bytes.
    let Some([xflags, extsize, nextents, projid, cowextsize, _, _]) = ctx.read::<[u32; 7]>(addr)
    else {
        ctx.addr(addr);
        return;
    };
    ctx.push("{fsx_xflags=");
    ctx.flags(FS_XFLAGS, xflags.into(), "FS_XFLAG_???");
    let _ = write!(ctx.out, ", fsx_extsize={extsize}");
    if with_nextents {
        let _ = write!(ctx.out, ", fsx_nextents={nextents}");
    }
    let _ = write!(
        ctx.out,
        ", fsx_projid={projid:#x}, fsx_cowextsize={cowextsize}}}"
    );
}

/// `struct rand_pool_info`: `entropy_count`, `buf_size` (`int`), then `buf_size` bytes.
fn rand_pool_info(ctx: &mut Ctx<'_>) {
    let addr = ctx.arg(2);
    let Some([count, size]) = ctx.read::<[i32; 2]>(addr) else {
        ctx.addr(addr);
        return;
    };
    let _ = write!(ctx.out, "{{entropy_count={count}, buf_size={size}, buf=");
    ctx.buf(addr + 8, u64::try_from(size).unwrap_or(0));
    ctx.push("}");
}

/// `[value]`: the `__u32` a LIRC request's argument points to.
fn lirc_value(ctx: &mut Ctx<'_>, req: u64) {
    let addr = ctx.arg(2);
    let (Some(kind), Some(v)) = (lirc_kind(req), ctx.read::<u32>(addr)) else {
        ctx.addr(addr);
        return;
    };
    let v = u64::from(v);
    ctx.push("[");
    match kind {
        LircKind::Dec => {
            let _ = write!(ctx.out, "{v}");
        }
        LircKind::Hex => ctx.hex_value(v),
        LircKind::Mode => ctx.xval(LIRC_MODES, v, "LIRC_MODE_???"),
        LircKind::Features => ctx.flags(LIRC_FEATURES, v, "LIRC_CAN_???"),
    }
    ctx.push("]");
}
