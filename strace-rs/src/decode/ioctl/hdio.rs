//! `HDIO_*` requests (`linux/hdreg.h`): ATA disk settings, most of them an `unsigned long`
//! passed by value (`HDIO_SET_*`) or written by the kernel (`HDIO_GET_*`).

use std::fmt::Write as _;

use super::Family;
use crate::decode::{Ctx, Step};
use crate::text;

pub(super) const FAMILY: Family = Family {
    handles,
    enter,
    exit,
};

const HDIO_GETGEO: u64 = 0x301;
const HDIO_GET_UNMASKINTR: u64 = 0x302;
const HDIO_GET_MULTCOUNT: u64 = 0x304;
const HDIO_OBSOLETE_IDENTITY: u64 = 0x307;
const HDIO_GET_KEEPSETTINGS: u64 = 0x308;
const HDIO_GET_32BIT: u64 = 0x309;
const HDIO_GET_NOWERR: u64 = 0x30a;
const HDIO_GET_DMA: u64 = 0x30b;
const HDIO_GET_NICE: u64 = 0x30c;
const HDIO_GET_IDENTITY: u64 = 0x30d;
const HDIO_GET_WCACHE: u64 = 0x30e;
const HDIO_GET_ACOUSTIC: u64 = 0x30f;
const HDIO_GET_ADDRESS: u64 = 0x310;
const HDIO_GET_BUSSTATE: u64 = 0x31a;
const HDIO_DRIVE_RESET: u64 = 0x31c;
const HDIO_DRIVE_CMD: u64 = 0x31f;
const HDIO_SET_MULTCOUNT: u64 = 0x321;
const HDIO_SET_UNMASKINTR: u64 = 0x322;
const HDIO_SET_KEEPSETTINGS: u64 = 0x323;
const HDIO_SET_32BIT: u64 = 0x324;
const HDIO_SET_NOWERR: u64 = 0x325;
const HDIO_SET_DMA: u64 = 0x326;
const HDIO_SET_PIO_MODE: u64 = 0x327;
const HDIO_SCAN_HWIF: u64 = 0x328;
const HDIO_SET_NICE: u64 = 0x329;
const HDIO_UNREGISTER_HWIF: u64 = 0x32a;
const HDIO_SET_WCACHE: u64 = 0x32b;
const HDIO_SET_ACOUSTIC: u64 = 0x32c;
const HDIO_SET_BUSSTATE: u64 = 0x32d;
const HDIO_SET_ADDRESS: u64 = 0x32f;

/// The `IDE_NICE_*` bit numbers, as `1 << NAME`.
const IDE_NICE: text::Xlat = &[
    (1 << 0, "1 << IDE_NICE_DSC_OVERLAP"),
    (1 << 1, "1 << IDE_NICE_ATAPI_OVERLAP"),
    (1 << 3, "1 << IDE_NICE_1"),
    (1 << 2, "1 << IDE_NICE_0"),
    (1 << 4, "1 << IDE_NICE_2"),
];

const BUSSTATES: text::Xlat = &[
    (0, "BUSSTATE_OFF"),
    (1, "BUSSTATE_ON"),
    (2, "BUSSTATE_TRISTATE"),
];

/// The ATA commands (`ATA_CMD_*`, the kernel's `include/linux/ata.h`).
const ATA_CMDS: text::Xlat = &[
    (0x00, "ATA_CMD_NOP"),
    (0x03, "ATA_CMD_CFA_REQ_EXT_ERR"),
    (0x06, "ATA_CMD_DSM"),
    (0x08, "ATA_CMD_DEV_RESET"),
    (0x0b, "ATA_CMD_REQ_SENSE_DATA"),
    (0x10, "ATA_CMD_RESTORE"),
    (0x20, "ATA_CMD_PIO_READ"),
    (0x22, "ATA_CMD_READ_LONG"),
    (0x23, "ATA_CMD_READ_LONG_ONCE"),
    (0x24, "ATA_CMD_PIO_READ_EXT"),
    (0x25, "ATA_CMD_READ_EXT"),
    (0x26, "ATA_CMD_READ_QUEUED"),
    (0x27, "ATA_CMD_READ_NATIVE_MAX_EXT"),
    (0x29, "ATA_CMD_READ_MULTI_EXT"),
    (0x2a, "ATA_CMD_READ_STREAM_DMA_EXT"),
    (0x2b, "ATA_CMD_READ_STREAM_EXT"),
    (0x2f, "ATA_CMD_READ_LOG_EXT"),
    (0x30, "ATA_CMD_PIO_WRITE"),
    (0x32, "ATA_CMD_WRITE_LONG"),
    (0x33, "ATA_CMD_WRITE_LONG_ONCE"),
    (0x34, "ATA_CMD_PIO_WRITE_EXT"),
    (0x35, "ATA_CMD_WRITE_EXT"),
    (0x36, "ATA_CMD_WRITE_QUEUED"),
    (0x37, "ATA_CMD_SET_MAX_EXT"),
    (0x38, "ATA_CMD_CFA_WRITE_NE"),
    (0x39, "ATA_CMD_WRITE_MULTI_EXT"),
    (0x3a, "ATA_CMD_WRITE_STREAM_DMA_EXT"),
    (0x3b, "ATA_CMD_WRITE_STREAM_EXT"),
    (0x3d, "ATA_CMD_WRITE_FUA_EXT"),
    (0x3e, "ATA_CMD_WRITE_QUEUED_FUA_EXT"),
    (0x3f, "ATA_CMD_WRITE_LOG_EXT"),
    (0x40, "ATA_CMD_VERIFY"),
    (0x42, "ATA_CMD_VERIFY_EXT"),
    (0x45, "ATA_CMD_WRITE_UNCORR_EXT"),
    (0x47, "ATA_CMD_READ_LOG_DMA_EXT"),
    (0x4a, "ATA_CMD_ZAC_MGMT_IN"),
    (0x51, "ATA_CMD_CONFIG_STREAM"),
    (0x57, "ATA_CMD_WRITE_LOG_DMA_EXT"),
    (0x5b, "ATA_CMD_TRUSTED_NONDATA"),
    (0x5c, "ATA_CMD_TRUSTED_RCV"),
    (0x5d, "ATA_CMD_TRUSTED_RCV_DMA"),
    (0x5e, "ATA_CMD_TRUSTED_SND"),
    (0x5f, "ATA_CMD_TRUSTED_SND_DMA"),
    (0x60, "ATA_CMD_FPDMA_READ"),
    (0x61, "ATA_CMD_FPDMA_WRITE"),
    (0x63, "ATA_CMD_NCQ_NON_DATA"),
    (0x64, "ATA_CMD_FPDMA_SEND"),
    (0x65, "ATA_CMD_FPDMA_RECV"),
    (0x87, "ATA_CMD_CFA_TRANS_SECT"),
    (0x90, "ATA_CMD_EDD"),
    (0x91, "ATA_CMD_INIT_DEV_PARAMS"),
    (0x92, "ATA_CMD_DOWNLOAD_MICRO"),
    (0x93, "ATA_CMD_DOWNLOAD_MICRO_DMA"),
    (0x9f, "ATA_CMD_ZAC_MGMT_OUT"),
    (0xa0, "ATA_CMD_PACKET"),
    (0xa1, "ATA_CMD_ID_ATAPI"),
    (0xa2, "ATA_CMD_SERVICE"),
    (0xb0, "ATA_CMD_SMART"),
    (0xb1, "ATA_CMD_CONF_OVERLAY"),
    (0xb4, "ATA_CMD_SANITIZE_DEVICE"),
    (0xc0, "ATA_CMD_CFA_ERASE"),
    (0xc4, "ATA_CMD_READ_MULTI"),
    (0xc5, "ATA_CMD_WRITE_MULTI"),
    (0xc6, "ATA_CMD_SET_MULTI"),
    (0xc8, "ATA_CMD_READ"),
    (0xca, "ATA_CMD_WRITE"),
    (0xcd, "ATA_CMD_CFA_WRITE_MULT_NE"),
    (0xce, "ATA_CMD_WRITE_MULTI_FUA_EXT"),
    (0xd1, "ATA_CMD_CHK_MED_CRD_TYP"),
    (0xde, "ATA_CMD_MEDIA_LOCK"),
    (0xdf, "ATA_CMD_MEDIA_UNLOCK"),
    (0xe0, "ATA_CMD_STANDBYNOW1"),
    (0xe1, "ATA_CMD_IDLEIMMEDIATE"),
    (0xe2, "ATA_CMD_STANDBY"),
    (0xe3, "ATA_CMD_IDLE"),
    (0xe4, "ATA_CMD_PMP_READ"),
    (0xe5, "ATA_CMD_CHK_POWER"),
    (0xe6, "ATA_CMD_SLEEP"),
    (0xe7, "ATA_CMD_FLUSH"),
    (0xe8, "ATA_CMD_PMP_WRITE"),
    (0xe9, "ATA_CMD_PMP_READ_DMA"),
    (0xea, "ATA_CMD_FLUSH_EXT"),
    (0xeb, "ATA_CMD_PMP_WRITE_DMA"),
    (0xec, "ATA_CMD_ID_ATA"),
    (0xef, "ATA_CMD_SET_FEATURES"),
    (0xf1, "ATA_CMD_SEC_SET_PASS"),
    (0xf2, "ATA_CMD_SEC_UNLOCK"),
    (0xf3, "ATA_CMD_SEC_ERASE_PREP"),
    (0xf4, "ATA_CMD_SEC_ERASE_UNIT"),
    (0xf5, "ATA_CMD_SEC_FREEZE_LOCK"),
    (0xf6, "ATA_CMD_SEC_DISABLE_PASS"),
    (0xf8, "ATA_CMD_READ_NATIVE_MAX"),
    (0xf9, "ATA_CMD_SET_MAX"),
];

/// The getters of an `unsigned long` printed in decimal.
fn ulong_getter(req: u64) -> bool {
    matches!(
        req,
        HDIO_GET_UNMASKINTR
            | HDIO_GET_MULTCOUNT
            | HDIO_GET_KEEPSETTINGS
            | HDIO_GET_32BIT
            | HDIO_GET_NOWERR
            | HDIO_GET_DMA
            | HDIO_GET_WCACHE
            | HDIO_GET_ACOUSTIC
            | HDIO_GET_ADDRESS
    )
}

/// The setters of an `unsigned long` passed by value.
fn ulong_setter(req: u64) -> bool {
    matches!(
        req,
        HDIO_SET_MULTCOUNT
            | HDIO_SET_UNMASKINTR
            | HDIO_SET_KEEPSETTINGS
            | HDIO_SET_32BIT
            | HDIO_SET_NOWERR
            | HDIO_SET_DMA
            | HDIO_SET_PIO_MODE
            | HDIO_UNREGISTER_HWIF
            | HDIO_SET_WCACHE
            | HDIO_SET_ACOUSTIC
            | HDIO_SET_ADDRESS
    )
}

fn handles(req: u64) -> bool {
    ulong_getter(req)
        || ulong_setter(req)
        || matches!(
            req,
            HDIO_GETGEO
                | HDIO_OBSOLETE_IDENTITY
                | HDIO_GET_NICE
                | HDIO_GET_IDENTITY
                | HDIO_GET_BUSSTATE
                | HDIO_DRIVE_RESET
                | HDIO_DRIVE_CMD
                | HDIO_SCAN_HWIF
                | HDIO_SET_NICE
                | HDIO_SET_BUSSTATE
        )
}

fn enter(ctx: &mut Ctx<'_>, req: u64) -> Step {
    ctx.comma();
    let arg = ctx.arg(2);
    match req {
        _ if ulong_setter(req) => {
            let _ = write!(ctx.out, "{arg}");
            Step::Decoded
        }
        HDIO_SET_NICE => {
            ctx.flags(IDE_NICE, arg, "IDE_NICE_???");
            Step::Decoded
        }
        HDIO_SET_BUSSTATE => {
            ctx.xval(BUSSTATES, arg, "BUSSTATE_???");
            Step::Decoded
        }
        HDIO_DRIVE_RESET | HDIO_SCAN_HWIF => {
            crate::decode::numa::array(ctx, arg, 3, 4, |c, v| c.hex_value(v));
            Step::Decoded
        }
        HDIO_DRIVE_CMD => {
            let Some(b) = ctx.read::<[u8; 4]>(arg) else {
                ctx.addr(arg);
                return Step::Decoded;
            };
            ctx.push("{command=");
            ctx.xval(ATA_CMDS, b[0].into(), "ATA_CMD_???");
            let _ = write!(
                ctx.out,
                ", sector_number={}, feature={}, sector_count={}}}",
                b[1], b[2], b[3]
            );
            Step::Exit
        }
        _ => Step::Exit,
    }
}

fn exit(ctx: &mut Ctx<'_>, req: u64) {
    let arg = ctx.arg(2);
    if req == HDIO_DRIVE_CMD {
        // The kernel's answer, also after EIO (the drive's error registers).
        if ctx.error && ctx.rval != -5 {
            return;
        }
        let Some(b) = ctx.read::<[u8; 4]>(arg) else {
            return;
        };
        let _ = write!(
            ctx.out,
            " => {{status={:#x}, error={}, nsector={}",
            b[0], b[1], b[2]
        );
        if b[3] != 0 {
            ctx.push(", buf=");
            ctx.buf_ex(arg + 4, u64::from(b[3]) * 512, true);
        }
        ctx.push("}");
        return;
    }
    if ctx.error {
        ctx.addr(arg);
        return;
    }
    match req {
        HDIO_GETGEO => {
            // struct hd_geometry: heads, sectors (u8), cylinders (u16), start (ulong).
            let Some(b) = ctx.read::<[u8; 16]>(arg) else {
                ctx.addr(arg);
                return;
            };
            let cyl = u16::from_ne_bytes([b[2], b[3]]);
            let start = u64::from_ne_bytes(b[8..16].try_into().expect("8 bytes"));
            let _ = write!(
                ctx.out,
                "{{heads={}, sectors={}, cylinders={cyl}, start={start}}}",
                b[0], b[1]
            );
        }
        HDIO_GET_IDENTITY => ctx.buf(arg, 512),
        HDIO_OBSOLETE_IDENTITY => ctx.buf(arg, 142),
        HDIO_GET_NICE | HDIO_GET_BUSSTATE => match ctx.read::<u64>(arg) {
            Some(v) => {
                ctx.push("[");
                if req == HDIO_GET_NICE {
                    ctx.flags(IDE_NICE, v, "IDE_NICE_???");
                } else {
                    ctx.xval(BUSSTATES, v, "BUSSTATE_???");
                }
                ctx.push("]");
            }
            None => ctx.addr(arg),
        },
        _ => ctx.u64_ptr(arg),
    }
}
