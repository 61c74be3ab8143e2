//! NETLINK_SELINUX payloads (strace's `netlink_selinux.c`).

use std::fmt::Write as _;

use super::{Ctx, Hdr};

const SELNL_MSG_SETENFORCE: u16 = 0x10;
const SELNL_MSG_POLICYLOAD: u16 = 0x11;

/// `{val=1}` of SELNL_MSG_SETENFORCE, `{seqno=2}` of SELNL_MSG_POLICYLOAD.
pub(super) fn payload(ctx: &mut Ctx<'_>, h: &Hdr, addr: u64, len: u64) -> bool {
    let field = match h.typ {
        SELNL_MSG_SETENFORCE => "val",
        SELNL_MSG_POLICYLOAD => "seqno",
        _ => return false,
    };
    if len < 4 {
        ctx.buf_ex(addr, len, true);
        return true;
    }
    match ctx.read::<u32>(addr) {
        Some(v) if h.typ == SELNL_MSG_SETENFORCE => {
            let _ = write!(ctx.out, "{{{field}={}}}", v as i32);
        }
        Some(v) => {
            let _ = write!(ctx.out, "{{{field}={v}}}");
        }
        None => ctx.addr(addr),
    }
    true
}
