//! btrfs requests and the generic file requests of type `0x94` (`linux/btrfs.h`,
//! `linux/fs.h`, strace's `btrfs.c` and `fs_0x94_ioctl.c`): subvolumes and snapshots,
//! devices, balance, scrub, tree search, quotas and qgroups, send/receive, features, file
//! cloning and deduplication, labels (x86_64 layouts).

use std::fmt::Write as _;

use super::fields::{array, cstring, dev_t, fetch, u32_at, u64_at, uuid, xval_u};
use super::xlat as x;
use super::Family;
use crate::decode::{structs, Ctx, DecodeOpts, Step};
use crate::text;

pub(super) const FAMILY: Family = Family {
    handles: |req| (req >> 8) & 0xff == 0x94 && kind(req).is_some(),
    enter,
    exit,
};

const TRANS_START: u64 = 0x9406;
const TRANS_END: u64 = 0x9407;
const SYNC: u64 = 0x9408;
const SCRUB_CANCEL: u64 = 0x941c;
const QUOTA_RESCAN_WAIT: u64 = 0x942e;
const DEFRAG: u64 = 0x5000_9402;
const BALANCE: u64 = 0x5000_940c;
const FICLONE: u64 = 0x4004_9409;
const BALANCE_CTL: u64 = 0x4004_9421;
const DEFAULT_SUBVOL: u64 = 0x4008_9413;
const WAIT_SYNC: u64 = 0x4008_9416;
const SUBVOL_SETFLAGS: u64 = 0x4008_941a;
const QGROUP_CREATE: u64 = 0x4010_942a;
const QGROUP_ASSIGN: u64 = 0x4018_9429;
const FICLONERANGE: u64 = 0x4020_940d;
const DEFRAG_RANGE: u64 = 0x4030_9410;
const SET_FEATURES: u64 = 0x4030_9439;
const QUOTA_RESCAN: u64 = 0x4040_942c;
const SEND: u64 = 0x4048_9426;
const SETFSLABEL: u64 = 0x4100_9432;
const SNAP_CREATE: u64 = 0x5000_9401;
const RESIZE: u64 = 0x5000_9403;
const SCAN_DEV: u64 = 0x5000_9404;
const FORGET_DEV: u64 = 0x5000_9405;
const ADD_DEV: u64 = 0x5000_940a;
const RM_DEV: u64 = 0x5000_940b;
const SUBVOL_CREATE: u64 = 0x5000_940e;
const SNAP_DESTROY: u64 = 0x5000_940f;
const SNAP_CREATE_V2: u64 = 0x5000_9417;
const SUBVOL_CREATE_V2: u64 = 0x5000_9418;
const DEVICES_READY: u64 = 0x9000_9427;
const START_SYNC: u64 = 0x8008_9418;
const SUBVOL_GETFLAGS: u64 = 0x8008_9419;
const GET_FEATURES: u64 = 0x8018_9439;
const QGROUP_LIMIT: u64 = 0x8030_942b;
const QUOTA_RESCAN_STATUS: u64 = 0x8040_942d;
const GET_SUPPORTED_FEATURES: u64 = 0x8048_9439;
const GETFSLABEL: u64 = 0x8100_9431;
const FS_INFO: u64 = 0x8400_941f;
const BALANCE_PROGRESS: u64 = 0x8400_9422;
const SPACE_INFO: u64 = 0xc010_9414;
const QUOTA_CTL: u64 = 0xc010_9428;
const FIDEDUPERANGE: u64 = 0xc018_9436;
const INO_PATHS: u64 = 0xc038_9423;
const LOGICAL_INO: u64 = 0xc038_9424;
const TREE_SEARCH_V2: u64 = 0xc070_9411;
const SET_RECEIVED_SUBVOL: u64 = 0xc0c8_9425;
const SCRUB: u64 = 0xc400_941b;
const SCRUB_PROGRESS: u64 = 0xc400_941d;
const BALANCE_V2: u64 = 0xc400_9420;
const GET_DEV_STATS: u64 = 0xc408_9434;
const DEV_REPLACE: u64 = 0xca28_9435;
const TREE_SEARCH: u64 = 0xd000_9411;
const INO_LOOKUP: u64 = 0xd000_9412;
const DEV_INFO: u64 = 0xd000_941e;

const BTRFS_FIRST_FREE_OBJECTID: u64 = 256;
const BTRFS_LAST_FREE_OBJECTID: u64 = -256i64 as u64;
const BTRFS_BALANCE_DATA: u64 = 1;
const BTRFS_BALANCE_SYSTEM: u64 = 2;
const BTRFS_BALANCE_METADATA: u64 = 4;
const BTRFS_SUBVOL_QGROUP_INHERIT: u64 = 1 << 2;
const BTRFS_FS_INFO_FLAG_CSUM_INFO: u64 = 1;
const BTRFS_FS_INFO_FLAG_GENERATION: u64 = 2;
const BTRFS_FS_INFO_FLAG_METADATA_UUID: u64 = 4;
const DEV_REPLACE_CMD_START: u64 = 0;
const DEV_REPLACE_CMD_STATUS: u64 = 1;
const EOVERFLOW: i64 = 75;
const UINT64_MAX: text::Xlat = &[(u64::MAX, "UINT64_MAX")];

/// How a request is printed.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    /// No argument.
    Nothing,
    /// Entry only.
    In,
    /// At exit only (the kernel writes it).
    Out,
    /// At entry, and after ` => ` at exit when the call succeeded.
    InOut,
}

fn kind(req: u64) -> Option<Kind> {
    use Kind::*;
    Some(match req {
        TRANS_START | TRANS_END | SYNC | SCRUB_CANCEL | QUOTA_RESCAN_WAIT | DEFRAG | BALANCE => {
            Nothing
        }
        FICLONE | FICLONERANGE | BALANCE_CTL | DEFAULT_SUBVOL | WAIT_SYNC | SUBVOL_SETFLAGS
        | DEFRAG_RANGE | SET_FEATURES | QGROUP_ASSIGN | QGROUP_CREATE | QUOTA_CTL
        | QUOTA_RESCAN | SEND | SETFSLABEL | SNAP_CREATE | RESIZE | SCAN_DEV | FORGET_DEV
        | ADD_DEV | RM_DEV | SUBVOL_CREATE | SNAP_DESTROY | DEVICES_READY => In,
        START_SYNC
        | SUBVOL_GETFLAGS
        | BALANCE_PROGRESS
        | GET_FEATURES
        | GET_SUPPORTED_FEATURES
        | FS_INFO
        | QGROUP_LIMIT
        | QUOTA_RESCAN_STATUS
        | GETFSLABEL => Out,
        BALANCE_V2 | DEV_INFO | DEV_REPLACE | GET_DEV_STATS | INO_LOOKUP | INO_PATHS
        | LOGICAL_INO | SET_RECEIVED_SUBVOL | SCRUB | SCRUB_PROGRESS | TREE_SEARCH
        | TREE_SEARCH_V2 | SPACE_INFO | SNAP_CREATE_V2 | SUBVOL_CREATE_V2 | FIDEDUPERANGE => InOut,
        _ => return None,
    })
}

/// The size of the request's structure as the kernel headers have it (its code's).
fn size(req: u64) -> usize {
    match req {
        // struct btrfs_ioctl_search_args_v2 without its buffer.
        TREE_SEARCH_V2 => 112,
        // struct btrfs_ioctl_search_args: only the key is read.
        TREE_SEARCH => 104,
        // struct file_dedupe_range without its array.
        FIDEDUPERANGE => 24,
        // struct btrfs_ioctl_space_args without its array.
        SPACE_INFO => 16,
        _ => ((req >> 16) & 0x3fff) as usize,
    }
}

fn enter(ctx: &mut Ctx<'_>, req: u64) -> Step {
    match kind(req) {
        Some(Kind::Nothing) | None => return Step::Decoded,
        Some(Kind::Out) => {
            ctx.comma();
            return Step::Exit;
        }
        _ => {}
    }
    ctx.comma();
    let arg = ctx.arg(2);
    match req {
        FICLONE => {
            let _ = write!(ctx.out, "{}", arg as i32);
            return Step::Decoded;
        }
        BALANCE_CTL => {
            ctx.xval(
                x::BTRFS_BALANCE_CTL_CMDS,
                arg & 0xffff_ffff,
                "BTRFS_BALANCE_CTL_???",
            );
            return Step::Decoded;
        }
        DEFAULT_SUBVOL | WAIT_SYNC => {
            ctx.num_ptr::<u64>(arg);
            return Step::Decoded;
        }
        SETFSLABEL => {
            fslabel(ctx);
            return Step::Decoded;
        }
        _ => {}
    }
    let Some(b) = fetch(ctx, size(req)) else {
        return Step::Decoded;
    };
    let more = entry_struct(ctx, req, &b);
    if more && kind(req) == Some(Kind::InOut) {
        Step::Exit
    } else {
        Step::Decoded
    }
}

/// The structure the kernel reads; false when nothing is left for the exit.
fn entry_struct(ctx: &mut Ctx<'_>, req: u64, b: &[u8]) -> bool {
    let u = |o| u64_at(b, o);
    match req {
        SUBVOL_SETFLAGS => snap_flags(ctx, u(0)),
        FICLONERANGE => {
            ctx.push("{src_fd=");
            ctx.fd_val(u(0) as i32);
            let _ = write!(
                ctx.out,
                ", src_offset={}, src_length={}, dest_offset={}}}",
                u(8),
                u(16),
                u(24)
            );
        }
        DEFRAG_RANGE => {
            let _ = write!(ctx.out, "{{start={}, ", u(0));
            u64_field(ctx, "len", u(8));
            ctx.push(", flags=");
            ctx.flags(x::BTRFS_DEFRAG_FLAGS, u(16), "BTRFS_DEFRAG_RANGE_???");
            let _ = write!(ctx.out, ", extent_thresh={}, compress_type=", u32_at(b, 24));
            ctx.xval(
                x::BTRFS_COMPRESS_TYPES,
                u32_at(b, 28).into(),
                "BTRFS_COMPRESS_???",
            );
            ctx.push("}");
        }
        SET_FEATURES => {
            ctx.push("[");
            features(ctx, &b[..24]);
            ctx.push(", ");
            features(ctx, &b[24..48]);
            ctx.push("]");
        }
        QGROUP_ASSIGN => {
            let _ = write!(ctx.out, "{{assign={}, src={}, dst={}}}", u(0), u(8), u(16));
        }
        QGROUP_CREATE => {
            let _ = write!(ctx.out, "{{create={}, qgroupid={}}}", u(0), u(8));
        }
        QUOTA_CTL => {
            ctx.push("{cmd=");
            ctx.xval(x::BTRFS_QGROUP_CTL_CMDS, u(0), "BTRFS_QUOTA_CTL_???");
            ctx.push("}");
        }
        QUOTA_RESCAN => {
            let _ = write!(ctx.out, "{{flags={}}}", u(0));
        }
        SEND => send(ctx, b),
        SNAP_CREATE | RESIZE | SCAN_DEV | FORGET_DEV | ADD_DEV | RM_DEV | SUBVOL_CREATE
        | SNAP_DESTROY | DEVICES_READY => {
            ctx.push("{fd=");
            ctx.fd_val(u(0) as i32);
            ctx.push(", name=");
            cstring(ctx, &b[8..4096]);
            ctx.push("}");
        }
        BALANCE_V2 => balance(ctx, b, false),
        DEV_INFO => {
            ctx.push("{devid=");
            dev_t(ctx, u(0));
            if b[8..24].iter().any(|&c| c != 0) {
                ctx.push(", uuid=");
                uuid(ctx, &b[8..24]);
            }
            ctx.push("}");
        }
        DEV_REPLACE => {
            ctx.push("{cmd=");
            ctx.xval(
                x::BTRFS_DEV_REPLACE_CMDS,
                u(0),
                "BTRFS_IOCTL_DEV_REPLACE_CMD_???",
            );
            if u(0) == DEV_REPLACE_CMD_START {
                ctx.push(", start={srcdevid=");
                dev_t(ctx, u(16));
                ctx.push(", cont_reading_from_srcdev_mode=");
                ctx.xval(
                    x::BTRFS_CONT_READING_FROM_SRCDEV_MODE,
                    u(24),
                    "BTRFS_IOCTL_DEV_REPLACE_CONT_READING_FROM_SRCDEV_MODE_???",
                );
                ctx.push(", srcdev_name=");
                cstring(ctx, &b[32..1057]);
                ctx.push(", tgtdev_name=");
                cstring(ctx, &b[1057..2082]);
                ctx.push("}");
            }
            ctx.push("}");
        }
        GET_DEV_STATS => {
            ctx.push("{devid=");
            dev_t(ctx, u(0));
            let _ = write!(ctx.out, ", nr_items={}, flags=", u(8));
            ctx.flags(x::BTRFS_DEV_STATS_FLAGS, u(16), "BTRFS_DEV_STATS_???");
            ctx.push("}");
        }
        INO_LOOKUP => {
            // The subvolume of the containing root is looked up: its id is the answer.
            ctx.stash = u64::from(u(0) == 0);
            ctx.push("{treeid=");
            xval_u(ctx, x::BTRFS_TREE_OBJECTIDS, u(0));
            ctx.push(", objectid=");
            xval_u(ctx, x::BTRFS_TREE_OBJECTIDS, u(8));
            ctx.push("}");
        }
        INO_PATHS => {
            let _ = write!(ctx.out, "{{inum={}, size={}, fspath=", u(0), u(8));
            ctx.addr(u(48));
            ctx.push("}");
        }
        LOGICAL_INO => {
            let _ = write!(ctx.out, "{{logical={}, size={}", u(0), u(8));
            let reserved = [u(16), u(24), u(32)];
            if reserved.iter().any(|&r| r != 0) {
                ctx.push(", reserved=");
                array(ctx, &reserved, 3, |c, v| c.hex_value(v));
            }
            ctx.push(", flags=");
            ctx.flags(
                x::BTRFS_LOGICAL_INO_ARGS_FLAGS,
                u(40),
                "BTRFS_LOGICAL_INO_ARGS_???",
            );
            ctx.push(", inodes=");
            ctx.addr(u(48));
            ctx.push("}");
        }
        SET_RECEIVED_SUBVOL => {
            ctx.push("{uuid=");
            uuid(ctx, &b[..16]);
            let _ = write!(ctx.out, ", stransid={}, stime=", u(16));
            timespec(ctx, b, 32);
            let _ = write!(ctx.out, ", flags={}}}", u(64));
        }
        SCRUB | SCRUB_PROGRESS => {
            ctx.push("{devid=");
            dev_t(ctx, u(0));
            if req == SCRUB {
                let _ = write!(ctx.out, ", start={}, ", u(8));
                u64_field(ctx, "end", u(16));
                ctx.push(", flags=");
                ctx.flags(x::BTRFS_SCRUB_FLAGS, u(24), "BTRFS_SCRUB_???");
            }
            ctx.push("}");
        }
        TREE_SEARCH | TREE_SEARCH_V2 => search(ctx, req, b),
        SPACE_INFO => {
            let _ = write!(ctx.out, "{{space_slots={}}}", u(0));
        }
        SNAP_CREATE_V2 | SUBVOL_CREATE_V2 => {
            ctx.push("{fd=");
            ctx.fd_val(u(0) as i32);
            ctx.push(", flags=");
            snap_flags(ctx, u(16));
            if u(16) & BTRFS_SUBVOL_QGROUP_INHERIT != 0 {
                let _ = write!(ctx.out, ", size={}, qgroup_inherit=", u(24));
                qgroup_inherit(ctx, u(32));
            }
            ctx.push(", name=");
            cstring(ctx, &b[56..4096]);
            ctx.push("}");
        }
        FIDEDUPERANGE => return dedupe(ctx, b),
        _ => {}
    }
    true
}

fn exit(ctx: &mut Ctx<'_>, req: u64) {
    if kind(req) == Some(Kind::InOut) {
        if ctx.error {
            if req == TREE_SEARCH_V2 && -ctx.rval == EOVERFLOW {
                // The buffer the kernel would need.
                if let Some(b) = ctx.read_bytes(ctx.arg(2), 112) {
                    let _ = write!(ctx.out, " => {{buf_size={}}}", u64_at(&b, 104));
                } else {
                    ctx.push(" => ");
                    ctx.addr(ctx.arg(2));
                }
            }
            return;
        }
        ctx.push(" => ");
    }
    if req == GETFSLABEL {
        fslabel(ctx);
        return;
    }
    if req == START_SYNC {
        if ctx.error {
            ctx.addr(ctx.arg(2));
        } else {
            ctx.num_ptr::<u64>(ctx.arg(2));
        }
        return;
    }
    let Some(b) = fetch(ctx, size(req)) else {
        return;
    };
    let u = |o| u64_at(&b, o);
    match req {
        SUBVOL_GETFLAGS => snap_flags(ctx, u(0)),
        BALANCE_PROGRESS => balance(ctx, &b, true),
        BALANCE_V2 => balance(ctx, &b, true),
        GET_FEATURES => features(ctx, &b),
        GET_SUPPORTED_FEATURES => {
            ctx.push("[");
            for (i, what) in ["supported", "safe to set", "safe to clear"]
                .iter()
                .enumerate()
            {
                if i > 0 {
                    ctx.push(", ");
                }
                features(ctx, &b[24 * i..24 * i + 24]);
                let _ = write!(ctx.out, " /* {what} */");
            }
            ctx.push("]");
        }
        FS_INFO => fs_info(ctx, &b),
        QGROUP_LIMIT => {
            let _ = write!(ctx.out, "{{qgroupid={}, lim=", u(0));
            qgroup_limit(ctx, &b[8..48]);
            ctx.push("}");
        }
        QUOTA_RESCAN_STATUS => {
            let _ = write!(ctx.out, "{{flags={}, progress=", u(0));
            xval_u(ctx, x::BTRFS_TREE_OBJECTIDS, u(8));
            ctx.push("}");
        }
        DEV_INFO => {
            ctx.push("{");
            if b[8..24].iter().any(|&c| c != 0) {
                ctx.push("uuid=");
                uuid(ctx, &b[8..24]);
                ctx.push(", ");
            }
            let _ = write!(
                ctx.out,
                "bytes_used={}, total_bytes={}, path=",
                u(24),
                u(32)
            );
            cstring(ctx, &b[3072..4096]);
            ctx.push("}");
        }
        DEV_REPLACE => {
            ctx.push("{result=");
            ctx.xval(
                x::BTRFS_DEV_REPLACE_RESULTS,
                u(8),
                "BTRFS_IOCTL_DEV_REPLACE_RESULT_???",
            );
            if u(0) == DEV_REPLACE_CMD_STATUS {
                ctx.push(", status={replace_state=");
                ctx.xval(
                    x::BTRFS_DEV_REPLACE_STATE,
                    u(16),
                    "BTRFS_IOCTL_DEV_REPLACE_STATE_???",
                );
                let progress = u(24);
                let _ = write!(ctx.out, ", progress_1000={progress}");
                if progress <= 1000 {
                    let _ = write!(ctx.out, " /* {}.{}% */", progress / 10, progress % 10);
                }
                for (o, name) in [(32, "time_started"), (40, "time_stopped")] {
                    let _ = write!(
                        ctx.out,
                        ", {name}={} /* {} */",
                        u(o),
                        structs::date(u(o) as i64)
                    );
                }
                let _ = write!(
                    ctx.out,
                    ", num_write_errors={}, num_uncorrectable_read_errors={}}}",
                    u(48),
                    u(56)
                );
            }
            ctx.push("}");
        }
        GET_DEV_STATS => {
            let _ = write!(ctx.out, "{{nr_items={}, flags=", u(8));
            ctx.flags(x::BTRFS_DEV_STATS_FLAGS, u(16), "BTRFS_DEV_STATS_???");
            ctx.push(", [");
            for i in 0..u(8) {
                if i > 0 {
                    ctx.push(", ");
                }
                if i >= 5 {
                    ctx.push("...");
                    break;
                }
                ctx.push("[");
                xval_u(ctx, x::BTRFS_DEV_STATS_VALUES, i);
                let _ = write!(ctx.out, "]={}", u(24 + 8 * i as usize));
            }
            ctx.push("]}");
        }
        INO_LOOKUP => {
            ctx.push("{");
            if ctx.stash != 0 {
                ctx.push("treeid=");
                xval_u(ctx, x::BTRFS_TREE_OBJECTIDS, u(0));
                ctx.push(", ");
            }
            ctx.push("name=");
            cstring(ctx, &b[16..4096]);
            ctx.push("}");
        }
        INO_PATHS | LOGICAL_INO => {
            let (name, container) = if req == INO_PATHS {
                ("fspath", u(48))
            } else {
                ("inodes", u(48))
            };
            let _ = write!(ctx.out, "{{{name}=");
            data_container(ctx, req, container);
            ctx.push("}");
        }
        SET_RECEIVED_SUBVOL => {
            let _ = write!(ctx.out, "{{rtransid={}, rtime=", u(24));
            timespec(ctx, &b, 48);
            ctx.push("}");
        }
        SCRUB | SCRUB_PROGRESS => {
            ctx.push("{progress={");
            let names = [
                "data_extents_scrubbed",
                "tree_extents_scrubbed",
                "data_bytes_scrubbed",
                "tree_bytes_scrubbed",
                "read_errors",
                "csum_errors",
                "verify_errors",
                "no_csum",
                "csum_discards",
                "super_errors",
                "malloc_errors",
                "uncorrectable_errors",
                "corrected_errors",
                "last_physical",
                "unverified_errors",
            ];
            for (i, name) in names.iter().enumerate() {
                if i > 0 {
                    ctx.push(", ");
                }
                let _ = write!(ctx.out, "{name}={}", u(32 + 8 * i));
            }
            ctx.push("}}");
        }
        TREE_SEARCH | TREE_SEARCH_V2 => search(ctx, req, &b),
        SPACE_INFO => space_info(ctx, &b),
        SNAP_CREATE_V2 | SUBVOL_CREATE_V2 => {
            let _ = write!(ctx.out, "{{transid={}}}", u(8));
        }
        FIDEDUPERANGE => {
            dedupe(ctx, &b);
        }
        _ => {}
    }
}

/// `name=N`, `UINT64_MAX` for all ones (strace's `PRINT_FIELD_U64`).
fn u64_field(ctx: &mut Ctx<'_>, name: &str, v: u64) {
    let _ = write!(ctx.out, "{name}=");
    xval_u(ctx, UINT64_MAX, v);
}

fn snap_flags(ctx: &mut Ctx<'_>, v: u64) {
    ctx.flags(x::BTRFS_SNAP_FLAGS_V2, v, "BTRFS_SUBVOL_???");
}

/// `FS_IOC_GETFSLABEL`/`SETFSLABEL`'s label (`FSLABEL_MAX` bytes).
fn fslabel(ctx: &mut Ctx<'_>) {
    if let Some(b) = fetch(ctx, 256) {
        let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
        text::quote(&mut ctx.out, &b[..end], ctx.opts.hex, false);
    }
}

/// `struct btrfs_ioctl_feature_flags`.
fn features(ctx: &mut Ctx<'_>, b: &[u8]) {
    ctx.push("{compat_flags=");
    ctx.flags(
        x::BTRFS_FEATURES_COMPAT,
        u64_at(b, 0),
        "BTRFS_FEATURE_COMPAT_???",
    );
    ctx.push(", compat_ro_flags=");
    ctx.flags(
        x::BTRFS_FEATURES_COMPAT_RO,
        u64_at(b, 8),
        "BTRFS_FEATURE_COMPAT_RO_???",
    );
    ctx.push(", incompat_flags=");
    ctx.flags(
        x::BTRFS_FEATURES_INCOMPAT,
        u64_at(b, 16),
        "BTRFS_FEATURE_INCOMPAT_???",
    );
    ctx.push("}");
}

/// `struct btrfs_qgroup_limit`.
fn qgroup_limit(ctx: &mut Ctx<'_>, b: &[u8]) {
    ctx.push("{flags=");
    ctx.flags(
        x::BTRFS_QGROUP_LIMIT_FLAGS,
        u64_at(b, 0),
        "BTRFS_QGROUP_LIMIT_???",
    );
    let _ = write!(
        ctx.out,
        ", max_rfer={}, max_excl={}, rsv_rfer={}, rsv_excl={}}}",
        u64_at(b, 8),
        u64_at(b, 16),
        u64_at(b, 24),
        u64_at(b, 32)
    );
}

/// `struct btrfs_qgroup_inherit` at `addr` and, with `-v`, its qgroups.
fn qgroup_inherit(ctx: &mut Ctx<'_>, addr: u64) {
    let b = if addr == 0 || !ctx.opts.structs {
        None
    } else {
        ctx.read_bytes(addr, 72)
    };
    let Some(b) = b else {
        ctx.addr(addr);
        return;
    };
    let n = u64_at(&b, 8);
    ctx.push("{flags=");
    ctx.flags(
        x::BTRFS_QGROUP_INHERIT_FLAGS,
        u64_at(&b, 0),
        "BTRFS_QGROUP_INHERIT_???",
    );
    let _ = write!(
        ctx.out,
        ", num_qgroups={n}, num_ref_copies={}, num_excl_copies={}, lim=",
        u64_at(&b, 16),
        u64_at(&b, 24)
    );
    qgroup_limit(ctx, &b[32..72]);
    if ctx.opts.verbose {
        ctx.push(", qgroups=");
        ctx.array(addr + 72, n, 8, &mut |c, e| {
            let _ = write!(c.out, "{}", u64_at(e, 0));
        });
    } else {
        ctx.push(", ...");
    }
    ctx.push("}");
}

/// `struct btrfs_balance_args`.
fn balance_args(ctx: &mut Ctx<'_>, b: &[u8]) {
    ctx.push("{profiles=");
    ctx.flags(
        x::BTRFS_SPACE_INFO_FLAGS,
        u64_at(b, 0),
        "BTRFS_BLOCK_GROUP_???",
    );
    ctx.push(", ");
    u64_field(ctx, "usage", u64_at(b, 8));
    ctx.push(", devid=");
    dev_t(ctx, u64_at(b, 16));
    for (o, name) in [
        (24, "pstart"),
        (32, "pend"),
        (40, "vstart"),
        (48, "vend"),
        (56, "target"),
    ] {
        ctx.push(", ");
        u64_field(ctx, name, u64_at(b, o));
    }
    ctx.push(", flags=");
    ctx.flags(
        x::BTRFS_BALANCE_ARGS,
        u64_at(b, 64),
        "BTRFS_BALANCE_ARGS_???",
    );
    ctx.push("}");
}

/// `struct btrfs_ioctl_balance_args`; `out`: with the state the kernel reports.
fn balance(ctx: &mut Ctx<'_>, b: &[u8], out: bool) {
    let flags = u64_at(b, 0);
    ctx.push("{flags=");
    ctx.flags(x::BTRFS_BALANCE_FLAGS, flags, "BTRFS_BALANCE_???");
    if out {
        ctx.push(", state=");
        ctx.flags(
            x::BTRFS_BALANCE_STATE,
            u64_at(b, 8),
            "BTRFS_BALANCE_STATE_???",
        );
    }
    for (bit, o, name) in [
        (BTRFS_BALANCE_DATA, 16, "data"),
        (BTRFS_BALANCE_METADATA, 152, "meta"),
        (BTRFS_BALANCE_SYSTEM, 288, "sys"),
    ] {
        if flags & bit != 0 {
            let _ = write!(ctx.out, ", {name}=");
            balance_args(ctx, &b[o..o + 136]);
        }
    }
    ctx.push("}");
}

/// `struct btrfs_ioctl_fs_info_args`.
fn fs_info(ctx: &mut Ctx<'_>, b: &[u8]) {
    let flags = u64_at(b, 48);
    let _ = write!(
        ctx.out,
        "{{max_id={}, num_devices={}, fsid=",
        u64_at(b, 0),
        u64_at(b, 8)
    );
    uuid(ctx, &b[16..32]);
    let _ = write!(
        ctx.out,
        ", nodesize={}, sectorsize={}, clone_alignment={}",
        u32_at(b, 32),
        u32_at(b, 36),
        u32_at(b, 40)
    );
    if flags & BTRFS_FS_INFO_FLAG_CSUM_INFO != 0 {
        ctx.push(", csum_type=");
        let csum_type = u16::from_ne_bytes([b[44], b[45]]);
        ctx.xval(x::BTRFS_CSUM_TYPES, csum_type.into(), "BTRFS_CSUM_TYPE_???");
        let _ = write!(
            ctx.out,
            ", csum_size={}",
            u16::from_ne_bytes([b[46], b[47]])
        );
    }
    ctx.push(", flags=");
    ctx.flags(x::BTRFS_FS_INFO_FLAGS, flags, "BTRFS_FS_INFO_FLAG_???");
    if flags & BTRFS_FS_INFO_FLAG_GENERATION != 0 {
        let _ = write!(ctx.out, ", generation={}", u64_at(b, 56));
    }
    if flags & BTRFS_FS_INFO_FLAG_METADATA_UUID != 0 {
        ctx.push(", metadata_uuid=");
        uuid(ctx, &b[64..80]);
    }
    ctx.push("}");
}

/// `{sec=..., nsec=...} /* date */`: a `struct btrfs_ioctl_timespec` at `o`.
fn timespec(ctx: &mut Ctx<'_>, b: &[u8], o: usize) {
    let (sec, nsec) = (u64_at(b, o), u32_at(b, o + 8));
    let _ = write!(ctx.out, "{{sec={sec}, nsec={nsec}}}");
    if let Some(d) = structs::date_nsec(sec as i64, nsec.into()) {
        let _ = write!(ctx.out, " /* {d} */");
    }
}

/// `struct btrfs_ioctl_send_args`.
fn send(ctx: &mut Ctx<'_>, b: &[u8]) {
    let (count, sources) = (u64_at(b, 8), u64_at(b, 16));
    ctx.push("{send_fd=");
    ctx.fd_val(u64_at(b, 0) as i32);
    let _ = write!(ctx.out, ", clone_sources_count={count}, clone_sources=");
    if ctx.opts.verbose {
        ctx.array(sources, count, 8, &mut |c, e| {
            xval_u(c, x::BTRFS_TREE_OBJECTIDS, u64_at(e, 0));
        });
    } else {
        ctx.addr(sources);
    }
    ctx.push(", parent_root=");
    xval_u(ctx, x::BTRFS_TREE_OBJECTIDS, u64_at(b, 24));
    ctx.push(", flags=");
    ctx.flags(x::BTRFS_SEND_FLAGS, u64_at(b, 32), "BTRFS_SEND_FLAGS_???");
    ctx.push("}");
}

/// `struct btrfs_ioctl_search_key` (all of it at entry, the item count at exit) and, at
/// exit, the headers of the items found (`TREE_SEARCH`'s and `_V2`'s).
fn search(ctx: &mut Ctx<'_>, req: u64, b: &[u8]) {
    let u = |o| u64_at(b, o);
    let nr_items = u32_at(b, 64);
    ctx.push("{key={");
    if ctx.exiting {
        let _ = write!(ctx.out, "nr_items={nr_items}");
    } else {
        let verbose = ctx.opts.verbose;
        ctx.push("tree_id=");
        xval_u(ctx, x::BTRFS_TREE_OBJECTIDS, u(0));
        if u(8) != BTRFS_FIRST_FREE_OBJECTID || verbose {
            ctx.push(", min_objectid=");
            xval_u(ctx, x::BTRFS_TREE_OBJECTIDS, u(8));
        }
        if u(16) != BTRFS_LAST_FREE_OBJECTID || verbose {
            ctx.push(", max_objectid=");
            xval_u(ctx, x::BTRFS_TREE_OBJECTIDS, u(16));
        }
        for (o, name) in [
            (24, "min_offset"),
            (32, "max_offset"),
            (40, "min_transid"),
            (48, "max_transid"),
        ] {
            ctx.push(", ");
            u64_field(ctx, name, u(o));
        }
        ctx.push(", min_type=");
        xval_u(ctx, x::BTRFS_KEY_TYPES, u32_at(b, 56).into());
        ctx.push(", max_type=");
        xval_u(ctx, x::BTRFS_KEY_TYPES, u32_at(b, 60).into());
        let _ = write!(ctx.out, ", nr_items={nr_items}");
    }
    ctx.push("}");
    let (buf, buf_size) = if req == TREE_SEARCH_V2 {
        let _ = write!(ctx.out, ", buf_size={}", u(104));
        (ctx.arg(2) + 112, u(104))
    } else {
        (ctx.arg(2) + 104, 4096 - 104)
    };
    if ctx.exiting {
        search_buf(ctx, buf, buf_size, nr_items);
    }
    ctx.push("}");
}

/// The items' headers in a tree search's buffer.
fn search_buf(ctx: &mut Ctx<'_>, buf: u64, size: u64, nr_items: u32) {
    if !ctx.opts.verbose {
        ctx.push(", ...");
        return;
    }
    ctx.push(", buf=[");
    let mut off = 0u64;
    for i in 0..nr_items {
        if i > 0 {
            ctx.push(", ");
        }
        let addr = buf.wrapping_add(off);
        if addr < buf || off + 32 > size || i as usize > ctx.opts.max_strlen {
            ctx.push("...");
            break;
        }
        let Some(h) = ctx.read_bytes(addr, 32) else {
            let _ = write!(ctx.out, "... /* {addr:#x} */");
            break;
        };
        let _ = write!(ctx.out, "{{transid={}, objectid=", u64_at(&h, 0));
        xval_u(ctx, x::BTRFS_TREE_OBJECTIDS, u64_at(&h, 8));
        let _ = write!(ctx.out, ", offset={}, type=", u64_at(&h, 16));
        xval_u(ctx, x::BTRFS_KEY_TYPES, u32_at(&h, 24).into());
        let len = u32_at(&h, 28);
        let _ = write!(ctx.out, ", len={len}}}");
        off += 32 + u64::from(len);
    }
    ctx.push("]");
}

/// `struct btrfs_ioctl_space_args` as the kernel filled it.
fn space_info(ctx: &mut Ctx<'_>, b: &[u8]) {
    let (slots, total) = (u64_at(b, 0), u64_at(b, 8));
    let _ = write!(ctx.out, "{{total_spaces={total}");
    if slots == 0 && total != 0 {
        ctx.push("}");
        return;
    }
    if ctx.opts.verbose {
        ctx.push(", spaces=");
        let at = ctx.arg(2) + 16;
        ctx.array(at, total, 24, &mut |c, e| {
            c.push("{flags=");
            c.flags(
                x::BTRFS_SPACE_INFO_FLAGS,
                u64_at(e, 0),
                "BTRFS_SPACE_INFO_???",
            );
            let _ = write!(
                c.out,
                ", total_bytes={}, used_bytes={}}}",
                u64_at(e, 8),
                u64_at(e, 16)
            );
        });
    } else {
        ctx.push(", ...");
    }
    ctx.push("}");
}

/// A `struct btrfs_data_container` at `addr`: inode records (`LOGICAL_INO`) or paths
/// (`INO_PATHS`).
fn data_container(ctx: &mut Ctx<'_>, req: u64, addr: u64) {
    let b = if addr == 0 || !ctx.opts.structs {
        None
    } else {
        ctx.read_bytes(addr, 16)
    };
    let Some(b) = b else {
        ctx.addr(addr);
        return;
    };
    let elem_cnt = u32_at(&b, 8);
    let _ = write!(
        ctx.out,
        "{{bytes_left={}, bytes_missing={}, elem_cnt={elem_cnt}, elem_missed={}",
        u32_at(&b, 0),
        u32_at(&b, 4),
        u32_at(&b, 12)
    );
    if !ctx.opts.verbose {
        ctx.push(", ...}");
        return;
    }
    ctx.push(", val=");
    let val = addr + 16;
    if req == LOGICAL_INO {
        ctx.array(val, u64::from(elem_cnt / 3), 24, &mut |c, e| {
            let _ = write!(
                c.out,
                "{{inum={}, offset={}, root={}}}",
                u64_at(e, 0),
                u64_at(e, 8),
                u64_at(e, 16)
            );
        });
    } else {
        ctx.array(val, elem_cnt.into(), 8, &mut |c, e| {
            c.path_at(val + u64_at(e, 0));
        });
    }
    ctx.push("}");
}

/// `struct file_dedupe_range` and its destinations (at most two without `-v`); false when
/// the array was not walked.
fn dedupe(ctx: &mut Ctx<'_>, b: &[u8]) -> bool {
    let count = u16::from_ne_bytes([b[16], b[17]]);
    ctx.push("{");
    if !ctx.exiting {
        let _ = write!(
            ctx.out,
            "src_offset={}, src_length={}, dest_count={count}, ",
            u64_at(b, 0),
            u64_at(b, 8)
        );
    }
    ctx.push("info=");
    // Without -v, two destinations and `...` (strace limits the array itself).
    let opts = DecodeOpts {
        max_strlen: if ctx.opts.verbose {
            ctx.opts.max_strlen
        } else {
            2
        },
        ..ctx.opts.clone()
    };
    let mut sub = ctx.scratch();
    sub.opts = &opts;
    sub.exiting = ctx.exiting;
    let at = ctx.arg(2) + 24;
    let walked = sub.array(at, count.into(), 32, &mut |c, e| {
        if c.exiting {
            let _ = write!(
                c.out,
                "{{bytes_deduped={}, status={}}}",
                u64_at(e, 16),
                u32_at(e, 24) as i32
            );
        } else {
            c.push("{dest_fd=");
            c.fd_val(u64_at(e, 0) as i32);
            let _ = write!(c.out, ", dest_offset={}}}", u64_at(e, 8));
        }
    });
    ctx.out.push_str(&sub.out);
    ctx.push("}");
    walked
}
