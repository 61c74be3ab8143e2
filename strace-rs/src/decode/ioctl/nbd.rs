//! Network block device requests (`linux/nbd.h`, type `0xab`, strace's `nbd_ioctl.c`).

use super::xlat as x;
use super::Family;
use crate::decode::{Ctx, Step};
use crate::text;

pub(super) const FAMILY: Family = Family {
    handles: |req| text::lookup(x::NBD_IOCTL_CMDS, req).is_some(),
    enter,
    exit: |_, _| {},
};

fn enter(ctx: &mut Ctx<'_>, req: u64) -> Step {
    match req & 0xff {
        // NBD_DO_IT, NBD_CLEAR_SOCK, NBD_CLEAR_QUE, NBD_PRINT_DEBUG, NBD_DISCONNECT
        3..=6 | 8 => {}
        // NBD_SET_SOCK
        0 => {
            ctx.comma();
            ctx.fd(2);
        }
        // NBD_SET_FLAGS
        0xa => {
            ctx.comma();
            ctx.flags(x::NBD_IOCTL_FLAGS, ctx.arg(2), "NBD_IOC_FLAG_???");
        }
        // NBD_SET_BLKSIZE, NBD_SET_SIZE, NBD_SET_SIZE_BLOCKS, NBD_SET_TIMEOUT
        _ => {
            ctx.comma();
            ctx.ulong(2);
        }
    }
    Step::Decoded
}
