//! `quotactl` and `quotactl_fd`: the command (`QCMD(Q_GETQUOTA, USRQUOTA)`) says what the
//! id and the address are (`linux/quota.h`, `linux/dqblk_xfs.h`).

use std::fmt::Write as _;

use crate::decode::{Ctx, Step};
use crate::text::{self, XlatStyle};

const CMDS: text::Xlat = &[
    (0x100, "Q_V1_QUOTAON"),
    (0x200, "Q_V1_QUOTAOFF"),
    (0x300, "Q_V1_GETQUOTA"),
    (0x400, "Q_V1_SETQUOTA"),
    (0x500, "Q_V1_SETUSE"),
    (0x600, "Q_V1_SYNC"),
    (0x700, "Q_SETQLIM"),
    (0x800, "Q_V1_GETSTATS"),
    (0x1000, "Q_V1_RSQUASH"),
    (0xd00, "Q_V2_GETQUOTA"),
    (0xe00, "Q_V2_SETQUOTA"),
    (0xf00, "Q_V2_SETUSE"),
    (0x900, "Q_V2_GETINFO"),
    (0xa00, "Q_V2_SETINFO"),
    (0xb00, "Q_V2_SETGRACE"),
    (0xc00, "Q_V2_SETFLAGS"),
    (0x1100, "Q_V2_GETSTATS"),
    (0x800001, "Q_SYNC"),
    (0x800002, "Q_QUOTAON"),
    (0x800003, "Q_QUOTAOFF"),
    (0x800004, "Q_GETFMT"),
    (0x800005, "Q_GETINFO"),
    (0x800006, "Q_SETINFO"),
    (0x800007, "Q_GETQUOTA"),
    (0x800008, "Q_SETQUOTA"),
    (0x800009, "Q_GETNEXTQUOTA"),
    (0x5801, "Q_XQUOTAON"),
    (0x5802, "Q_XQUOTAOFF"),
    (0x5803, "Q_XGETQUOTA"),
    (0x5804, "Q_XSETQLIM"),
    (0x5805, "Q_XGETQSTAT"),
    (0x5806, "Q_XQUOTARM"),
    (0x5807, "Q_XQUOTASYNC"),
    (0x5808, "Q_XGETQSTATV"),
    (0x5809, "Q_XGETNEXTQUOTA"),
];

const TYPES: text::Xlat = &[(0x0, "USRQUOTA"), (0x1, "GRPQUOTA"), (0x2, "PRJQUOTA")];

const FORMATS: text::Xlat = &[
    (0x1, "QFMT_VFS_OLD"),
    (0x2, "QFMT_VFS_V0"),
    (0x3, "QFMT_OCFS2"),
    (0x4, "QFMT_VFS_V1"),
];

const XFS_QUOTA_FLAGS: text::Xlat = &[
    (0x1, "FS_QUOTA_UDQ_ACCT"),
    (0x2, "FS_QUOTA_UDQ_ENFD"),
    (0x4, "FS_QUOTA_GDQ_ACCT"),
    (0x8, "FS_QUOTA_GDQ_ENFD"),
    (0x10, "FS_QUOTA_PDQ_ACCT"),
    (0x20, "FS_QUOTA_PDQ_ENFD"),
];

const XFS_DQBLK_FLAGS: text::Xlat = &[
    (0x1, "FS_USER_QUOTA"),
    (0x2, "FS_PROJ_QUOTA"),
    (0x4, "FS_GROUP_QUOTA"),
];

const DQBLK_VALID: text::Xlat = &[
    (0x1, "QIF_BLIMITS"),
    (0x2, "QIF_SPACE"),
    (0x4, "QIF_ILIMITS"),
    (0x8, "QIF_INODES"),
    (0x10, "QIF_BTIME"),
    (0x20, "QIF_ITIME"),
];

const DQINFO_FLAGS: text::Xlat = &[(0x1, "DQF_ROOT_SQUASH"), (0x10000, "DQF_SYS_FILE")];

const DQINFO_VALID: text::Xlat = &[(0x1, "IIF_BGRACE"), (0x2, "IIF_IGRACE"), (0x4, "IIF_FLAGS")];

const Q_SYNC: u32 = 0x800001;
const Q_QUOTAON: u32 = 0x800002;
const Q_QUOTAOFF: u32 = 0x800003;
const Q_GETFMT: u32 = 0x800004;
const Q_GETINFO: u32 = 0x800005;
const Q_SETINFO: u32 = 0x800006;
const Q_GETQUOTA: u32 = 0x800007;
const Q_SETQUOTA: u32 = 0x800008;
const Q_GETNEXTQUOTA: u32 = 0x800009;
const Q_XQUOTAON: u32 = 0x5801;
const Q_XQUOTAOFF: u32 = 0x5802;
const Q_XGETQUOTA: u32 = 0x5803;
const Q_XSETQLIM: u32 = 0x5804;
const Q_XGETQSTAT: u32 = 0x5805;
const Q_XQUOTARM: u32 = 0x5806;
const Q_XQUOTASYNC: u32 = 0x5807;
const Q_XGETQSTATV: u32 = 0x5808;
const Q_XGETNEXTQUOTA: u32 = 0x5809;

fn u64_at(b: &[u8], o: usize) -> u64 {
    u64::from_ne_bytes(b[o..o + 8].try_into().expect("8 bytes"))
}

fn u32_at(b: &[u8], o: usize) -> u32 {
    u32::from_ne_bytes(b[o..o + 4].try_into().expect("4 bytes"))
}

fn u16_at(b: &[u8], o: usize) -> u16 {
    u16::from_ne_bytes([b[o], b[o + 1]])
}

/// The command: `QCMD(Q_SYNC, USRQUOTA)`, the number first outside `-X abbrev`.
fn qcmd(ctx: &mut Ctx<'_>, q: u32) {
    let style = ctx.opts.xlat;
    if style != XlatStyle::Abbrev {
        let _ = write!(ctx.out, "{q}");
    }
    if style == XlatStyle::Raw {
        return;
    }
    if style == XlatStyle::Verbose {
        ctx.push(" /* ");
    }
    ctx.push("QCMD(");
    text::xval(
        &mut ctx.out,
        XlatStyle::Abbrev,
        CMDS,
        u64::from(q >> 8),
        "Q_???",
        true,
    );
    ctx.push(", ");
    text::xval(
        &mut ctx.out,
        XlatStyle::Abbrev,
        TYPES,
        u64::from(q & 0xff),
        "???QUOTA",
        true,
    );
    ctx.push(")");
    if style == XlatStyle::Verbose {
        ctx.push(" */");
    }
}

/// A user, group or project id: `-1` for all ones.
fn id(ctx: &mut Ctx<'_>, id: u32) {
    if id == u32::MAX {
        ctx.push("-1");
    } else {
        let _ = write!(ctx.out, "{id}");
    }
}

pub(super) fn quotactl(ctx: &mut Ctx<'_>) -> Step {
    let q = ctx.arg(0) as u32;
    if !ctx.exiting {
        qcmd(ctx, q);
        ctx.comma();
        ctx.path(1);
    }
    cmd_data(ctx, ctx.arg(2) as u32, q >> 8, ctx.arg(3))
}

pub(super) fn quotactl_fd(ctx: &mut Ctx<'_>) -> Step {
    let q = ctx.arg(1) as u32;
    if !ctx.exiting {
        ctx.fd(0);
        ctx.comma();
        qcmd(ctx, q);
    }
    cmd_data(ctx, ctx.arg(2) as u32, q >> 8, ctx.arg(3))
}

/// What the command does with the id and the address, at entry and (for the commands the
/// kernel answers) at exit.
fn cmd_data(ctx: &mut Ctx<'_>, who: u32, cmd: u32, data: u64) -> Step {
    let answered = matches!(
        cmd,
        Q_GETQUOTA
            | Q_GETNEXTQUOTA
            | Q_XGETQUOTA
            | Q_XGETNEXTQUOTA
            | Q_GETFMT
            | Q_GETINFO
            | Q_XGETQSTAT
            | Q_XGETQSTATV
    );
    if !ctx.exiting {
        match cmd {
            Q_QUOTAOFF | Q_SYNC | Q_XQUOTASYNC => return Step::Decoded,
            Q_QUOTAON => {
                ctx.comma();
                ctx.xval(FORMATS, who.into(), "QFMT_VFS_???");
                ctx.comma();
                ctx.path_at(data);
                return Step::Decoded;
            }
            _ => {}
        }
        if matches!(
            cmd,
            Q_GETQUOTA | Q_SETQUOTA | Q_GETNEXTQUOTA | Q_XGETQUOTA | Q_XGETNEXTQUOTA | Q_XSETQLIM
        ) || !(answered || matches!(cmd, Q_SETINFO | Q_XQUOTAON | Q_XQUOTAOFF | Q_XQUOTARM))
        {
            ctx.comma();
            id(ctx, who);
        }
        ctx.comma();
        if answered {
            return Step::Exit;
        }
    } else if ctx.error {
        ctx.addr(data);
        return Step::Decoded;
    }
    match cmd {
        Q_GETQUOTA | Q_SETQUOTA => dqblk(ctx, data, false),
        Q_GETNEXTQUOTA => dqblk(ctx, data, true),
        Q_XGETQUOTA | Q_XGETNEXTQUOTA | Q_XSETQLIM => disk_quota(ctx, data),
        Q_GETFMT => match ctx.read::<u32>(data) {
            Some(f) => {
                ctx.push("[");
                ctx.xval(FORMATS, f.into(), "QFMT_VFS_???");
                ctx.push("]");
            }
            None => ctx.addr(data),
        },
        Q_GETINFO | Q_SETINFO => match ctx.read::<[u8; 24]>(data) {
            Some(b) => {
                let _ = write!(
                    ctx.out,
                    "{{dqi_bgrace={}, dqi_igrace={}, dqi_flags=",
                    u64_at(&b, 0),
                    u64_at(&b, 8)
                );
                ctx.flags(DQINFO_FLAGS, u32_at(&b, 16).into(), "DQF_???");
                ctx.push(", dqi_valid=");
                ctx.flags(DQINFO_VALID, u32_at(&b, 20).into(), "IIF_???");
                ctx.push("}");
            }
            None => ctx.addr(data),
        },
        Q_XGETQSTAT => quota_stat(ctx, data),
        Q_XGETQSTATV => quota_statv(ctx, data),
        Q_XQUOTAON | Q_XQUOTAOFF | Q_XQUOTARM => match ctx.read::<u32>(data) {
            Some(f) => {
                ctx.push("[");
                if cmd == Q_XQUOTARM {
                    ctx.flags(XFS_DQBLK_FLAGS, f.into(), "FS_???_QUOTA");
                } else {
                    ctx.flags(XFS_QUOTA_FLAGS, f.into(), "FS_QUOTA_???");
                }
                ctx.push("]");
            }
            None => ctx.addr(data),
        },
        _ => ctx.addr(data),
    }
    Step::Decoded
}

/// `struct if_dqblk` (packed, 68 bytes), or `struct if_nextdqblk` with the id after it.
fn dqblk(ctx: &mut Ctx<'_>, data: u64, next: bool) {
    let size = if next { 72 } else { 68 };
    let Some(b) = ctx.read_bytes(data, size).filter(|_| data != 0) else {
        ctx.addr(data);
        return;
    };
    const NAMES: [&str; 6] = [
        "dqb_bhardlimit",
        "dqb_bsoftlimit",
        "dqb_curspace",
        "dqb_ihardlimit",
        "dqb_isoftlimit",
        "dqb_curinodes",
    ];
    for (i, n) in NAMES.iter().enumerate() {
        let sep = if i == 0 { "{" } else { ", " };
        let _ = write!(ctx.out, "{sep}{n}={}", u64_at(&b, 8 * i));
    }
    if ctx.opts.verbose {
        let _ = write!(
            ctx.out,
            ", dqb_btime={}, dqb_itime={}, dqb_valid=",
            u64_at(&b, 48),
            u64_at(&b, 56)
        );
        ctx.flags(DQBLK_VALID, u32_at(&b, 64).into(), "QIF_???");
        if next {
            let _ = write!(ctx.out, ", dqb_id={}", u32_at(&b, 68));
        }
    } else {
        if next {
            let _ = write!(ctx.out, ", dqb_id={}", u32_at(&b, 68));
        }
        ctx.push(", ...");
    }
    ctx.push("}");
}

/// `struct fs_disk_quota` (XFS, 112 bytes).
fn disk_quota(ctx: &mut Ctx<'_>, data: u64) {
    let Some(b) = ctx.read_bytes(data, 112).filter(|_| data != 0) else {
        ctx.addr(data);
        return;
    };
    let _ = write!(ctx.out, "{{d_version={}, d_flags=", b[0] as i8);
    ctx.flags(XFS_DQBLK_FLAGS, b[1].into(), "FS_???_QUOTA");
    let _ = write!(
        ctx.out,
        ", d_fieldmask={:#x}, d_id={}, d_blk_hardlimit={}, d_blk_softlimit={}, d_ino_hardlimit={}, d_ino_softlimit={}, d_bcount={}, d_icount={}",
        u16_at(&b, 2),
        u32_at(&b, 4),
        u64_at(&b, 8),
        u64_at(&b, 16),
        u64_at(&b, 24),
        u64_at(&b, 32),
        u64_at(&b, 40),
        u64_at(&b, 48)
    );
    if ctx.opts.verbose {
        let _ = write!(
            ctx.out,
            ", d_itimer={}, d_btimer={}, d_iwarns={}, d_bwarns={}, d_rtb_hardlimit={}, d_rtb_softlimit={}, d_rtbcount={}, d_rtbtimer={}, d_rtbwarns={}",
            u32_at(&b, 56) as i32,
            u32_at(&b, 60) as i32,
            u16_at(&b, 64),
            u16_at(&b, 66),
            u64_at(&b, 72),
            u64_at(&b, 80),
            u64_at(&b, 88),
            u32_at(&b, 96) as i32,
            u16_at(&b, 100)
        );
    } else {
        ctx.push(", ...");
    }
    ctx.push("}");
}

/// `{qfs_ino=, qfs_nblks=, qfs_nextents=}` at `o`.
fn qfilestat(out: &mut String, b: &[u8], o: usize) {
    let _ = write!(
        out,
        "{{qfs_ino={}, qfs_nblks={}, qfs_nextents={}}}",
        u64_at(b, o),
        u64_at(b, o + 8),
        u32_at(b, o + 16)
    );
}

/// `struct fs_quota_stat` (80 bytes).
fn quota_stat(ctx: &mut Ctx<'_>, data: u64) {
    let Some(b) = ctx.read_bytes(data, 80).filter(|_| data != 0) else {
        ctx.addr(data);
        return;
    };
    let _ = write!(ctx.out, "{{qs_version={}", b[0] as i8);
    if ctx.opts.verbose {
        ctx.push(", qs_flags=");
        ctx.flags(XFS_QUOTA_FLAGS, u16_at(&b, 2).into(), "FS_QUOTA_???");
        ctx.push(", qs_uquota=");
        qfilestat(&mut ctx.out, &b, 8);
        ctx.push(", qs_gquota=");
        qfilestat(&mut ctx.out, &b, 32);
        let _ = write!(
            ctx.out,
            ", qs_incoredqs={}, qs_btimelimit={}, qs_itimelimit={}, qs_rtbtimelimit={}, qs_bwarnlimit={}, qs_iwarnlimit={}",
            u32_at(&b, 56),
            u32_at(&b, 60) as i32,
            u32_at(&b, 64) as i32,
            u32_at(&b, 68) as i32,
            u16_at(&b, 72),
            u16_at(&b, 74)
        );
    } else {
        ctx.push(", ...");
    }
    ctx.push("}");
}

/// `struct fs_quota_statv` (160 bytes).
fn quota_statv(ctx: &mut Ctx<'_>, data: u64) {
    let Some(b) = ctx.read_bytes(data, 160).filter(|_| data != 0) else {
        ctx.addr(data);
        return;
    };
    let _ = write!(ctx.out, "{{qs_version={}", b[0] as i8);
    if ctx.opts.verbose {
        ctx.push(", qs_flags=");
        ctx.flags(XFS_QUOTA_FLAGS, u16_at(&b, 2).into(), "FS_QUOTA_???");
        let _ = write!(ctx.out, ", qs_incoredqs={}, qs_uquota=", u32_at(&b, 4));
        qfilestat(&mut ctx.out, &b, 8);
        ctx.push(", qs_gquota=");
        qfilestat(&mut ctx.out, &b, 32);
        ctx.push(", qs_pquota=");
        qfilestat(&mut ctx.out, &b, 56);
        let _ = write!(
            ctx.out,
            ", qs_btimelimit={}, qs_itimelimit={}, qs_rtbtimelimit={}, qs_bwarnlimit={}, qs_iwarnlimit={}",
            u32_at(&b, 80) as i32,
            u32_at(&b, 84) as i32,
            u32_at(&b, 88) as i32,
            u16_at(&b, 92),
            u16_at(&b, 94)
        );
    } else {
        ctx.push(", ...");
    }
    ctx.push("}");
}
