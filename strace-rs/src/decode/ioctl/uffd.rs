//! userfaultfd requests (`linux/userfaultfd.h`, type `0xaa`, strace's `userfaultfd.c`): the
//! API handshake, registering ranges, copying and zeroing pages, waking.

use std::fmt::Write as _;

use super::fields::{fetch, u64_at};
use super::xlat as x;
use super::Family;
use crate::decode::{Ctx, Step};
use crate::text::Hx;

pub(super) const FAMILY: Family = Family {
    handles: |req| matches!(req, REGISTER | UNREGISTER | WAKE | COPY | ZEROPAGE | API),
    enter,
    exit,
};

const REGISTER: u64 = 0xc020_aa00;
const UNREGISTER: u64 = 0x8010_aa01;
const WAKE: u64 = 0x8010_aa02;
const COPY: u64 = 0xc028_aa03;
const ZEROPAGE: u64 = 0xc020_aa04;
const API: u64 = 0xc018_aa3f;

/// The size of the request's structure.
fn size(req: u64) -> usize {
    ((req >> 16) & 0x3fff) as usize
}

/// `{start=0x..., len=0x...}`: a `struct uffdio_range` at `o`.
fn range(ctx: &mut Ctx<'_>, b: &[u8], o: usize) {
    let _ = write!(
        ctx.out,
        "{{start={}, len={}}}",
        Hx(u64_at(b, o)),
        Hx(u64_at(b, o + 8))
    );
}

fn enter(ctx: &mut Ctx<'_>, req: u64) -> Step {
    ctx.comma();
    let Some(b) = fetch(ctx, size(req)) else {
        return Step::Decoded;
    };
    match req {
        API => {
            let _ = write!(ctx.out, "{{api={}, features=", Hx(u64_at(&b, 0)));
            ctx.stash = u64_at(&b, 8);
            ctx.flags(x::UFFD_API_FEATURES, ctx.stash, "UFFD_FEATURE_???");
        }
        COPY => {
            let _ = write!(
                ctx.out,
                "{{dst={}, src={}, len={}, mode=",
                Hx(u64_at(&b, 0)),
                Hx(u64_at(&b, 8)),
                Hx(u64_at(&b, 16))
            );
            ctx.flags(x::UFFD_COPY_FLAGS, u64_at(&b, 24), "UFFDIO_COPY_???");
        }
        REGISTER | ZEROPAGE => {
            ctx.push("{range=");
            range(ctx, &b, 0);
            ctx.push(", mode=");
            let (modes, dflt) = if req == REGISTER {
                (x::UFFD_REGISTER_MODE_FLAGS, "UFFDIO_REGISTER_MODE_???")
            } else {
                (x::UFFD_ZEROPAGE_FLAGS, "UFFDIO_ZEROPAGE_???")
            };
            ctx.flags(modes, u64_at(&b, 16), dflt);
        }
        _ => {
            range(ctx, &b, 0);
            return Step::Decoded;
        }
    }
    Step::Exit
}

/// The kernel's answer: the features and requests it supports, the registered range's
/// requests, how much was copied or zeroed.
fn exit(ctx: &mut Ctx<'_>, req: u64) {
    let b = if ctx.error {
        None
    } else {
        ctx.read_bytes(ctx.arg(2), size(req))
    };
    if let Some(b) = b {
        match req {
            API => {
                let features = u64_at(&b, 8);
                if features != ctx.stash {
                    ctx.push(" => features=");
                    ctx.flags(x::UFFD_API_FEATURES, features, "UFFD_FEATURE_???");
                }
                ctx.push(", ioctls=");
                ctx.flags(x::UFFD_API_FLAGS, u64_at(&b, 16), "_UFFDIO_???");
            }
            COPY => {
                let _ = write!(ctx.out, ", copy={}", Hx(u64_at(&b, 32)));
            }
            REGISTER => {
                ctx.push(", ioctls=");
                ctx.flags(x::UFFD_REGISTER_IOCTL_FLAGS, u64_at(&b, 24), "UFFDIO_???");
            }
            _ => {
                let _ = write!(ctx.out, ", zeropage={}", Hx(u64_at(&b, 24)));
            }
        }
    }
    ctx.push("}");
}
