//! TEE (trusted execution environment) requests (`linux/tee.h`, type `0xa4`, strace's
//! `tee.c`): the version, shared memory, and the sessions' buffers of arguments and
//! parameters.

use std::fmt::Write as _;

use super::fields::{array, fetch, u32_at, u64_at, uuid};
use super::xlat as x;
use super::Family;
use crate::decode::{Ctx, Step};
use crate::text::Hx;

pub(super) const FAMILY: Family = Family {
    handles: |req| {
        matches!(
            req,
            VERSION
                | SHM_ALLOC
                | OPEN_SESSION
                | INVOKE
                | CANCEL
                | CLOSE_SESSION
                | SUPPL_RECV
                | SUPPL_SEND
                | SHM_REGISTER_FD
                | SHM_REGISTER
        )
    },
    enter,
    exit,
};

const VERSION: u64 = 0x800c_a400;
const SHM_ALLOC: u64 = 0xc010_a401;
const OPEN_SESSION: u64 = 0x8010_a402;
const INVOKE: u64 = 0x8010_a403;
const CANCEL: u64 = 0x8008_a404;
const CLOSE_SESSION: u64 = 0x8004_a405;
const SUPPL_RECV: u64 = 0x8010_a406;
const SUPPL_SEND: u64 = 0x8010_a407;
/// `_IOWR(0xa4, 8, struct tee_ioctl_shm_register_fd_data)`: not upstream, strace decodes it.
const SHM_REGISTER_FD: u64 = 0xc020_a408;
const SHM_REGISTER: u64 = 0xc018_a409;

const TEE_MAX_ARG_SIZE: u64 = 1024;
const TEE_IMPL_ID_OPTEE: u32 = 1;
const PARAM_SIZE: u64 = 32;
const ATTR_META: u64 = 0x100;

/// The argument structure a buffer request's `buf_ptr` points to: its size and where its
/// `num_params` is.
fn arg_struct(req: u64) -> (u64, usize) {
    match req {
        OPEN_SESSION => (56, 52),
        INVOKE => (24, 20),
        _ => (8, 4),
    }
}

fn enter(ctx: &mut Ctx<'_>, req: u64) -> Step {
    ctx.comma();
    match req {
        VERSION => return Step::Exit,
        CANCEL => {
            if let Some(b) = fetch(ctx, 8) {
                let _ = write!(
                    ctx.out,
                    "{{cancel_id={}, session={}}}",
                    u32_at(&b, 0),
                    Hx(u32_at(&b, 4).into())
                );
            }
        }
        CLOSE_SESSION => {
            if let Some(b) = fetch(ctx, 4) {
                let _ = write!(ctx.out, "{{session={}}}", Hx(u32_at(&b, 0).into()));
            }
        }
        SHM_ALLOC => {
            let Some(b) = fetch(ctx, 16) else {
                return Step::Decoded;
            };
            let _ = write!(ctx.out, "{{size={}, flags=", Hx(u64_at(&b, 0)));
            shm_flags(ctx, u32_at(&b, 8));
            ctx.push("}");
            return Step::Exit;
        }
        SHM_REGISTER_FD => {
            let Some(b) = fetch(ctx, 32) else {
                return Step::Decoded;
            };
            ctx.push("{fd=");
            ctx.fd_val(u64_at(&b, 0) as i32);
            ctx.push(", flags=");
            shm_flags(ctx, u32_at(&b, 16));
            ctx.push("}");
            return Step::Exit;
        }
        SHM_REGISTER => {
            let Some(b) = fetch(ctx, 24) else {
                return Step::Decoded;
            };
            ctx.push("{addr=");
            ctx.addr(u64_at(&b, 0));
            let _ = write!(ctx.out, ", length={}, flags=", Hx(u64_at(&b, 8)));
            shm_flags(ctx, u32_at(&b, 16));
            ctx.push("}");
            return Step::Exit;
        }
        _ => return buf_enter(ctx, req),
    }
    Step::Decoded
}

fn exit(ctx: &mut Ctx<'_>, req: u64) {
    match req {
        VERSION => {
            let Some(b) = fetch(ctx, 12) else {
                return;
            };
            let (impl_id, impl_caps, gen_caps) = (u32_at(&b, 0), u32_at(&b, 4), u32_at(&b, 8));
            ctx.push("{impl_id=");
            ctx.xval(x::TEE_IOCTL_IMPL_IDS, impl_id.into(), "TEE_IMPL_ID_???");
            ctx.push(", gen_caps=");
            ctx.flags(x::TEE_IOCTL_GEN_CAPS, gen_caps.into(), "TEE_GEN_CAP_???");
            ctx.push(", impl_caps=");
            if impl_id == TEE_IMPL_ID_OPTEE {
                ctx.flags(
                    x::TEE_IOCTL_OPTEE_CAPS,
                    impl_caps.into(),
                    "TEE_OPTEE_CAP_???",
                );
            } else {
                ctx.hex_value(impl_caps.into());
            }
            ctx.push("}");
        }
        SHM_ALLOC | SHM_REGISTER_FD | SHM_REGISTER => {
            if ctx.error {
                return;
            }
            ctx.push(" => ");
            let size = ((req >> 16) & 0x3fff) as usize;
            let Some(b) = fetch(ctx, size) else {
                return;
            };
            match req {
                SHM_ALLOC => {
                    let _ = write!(ctx.out, "{{size={}, flags=", Hx(u64_at(&b, 0)));
                    shm_flags(ctx, u32_at(&b, 8));
                    let _ = write!(ctx.out, ", id={}}}", u32_at(&b, 12) as i32);
                }
                SHM_REGISTER_FD => {
                    let _ = write!(
                        ctx.out,
                        "{{size={}, id={}}}",
                        Hx(u64_at(&b, 8)),
                        u32_at(&b, 24) as i32
                    );
                }
                _ => {
                    let _ = write!(ctx.out, "{{length={}, flags=", Hx(u64_at(&b, 8)));
                    shm_flags(ctx, u32_at(&b, 16));
                    let _ = write!(ctx.out, ", id={}}}", u32_at(&b, 20) as i32);
                }
            }
        }
        _ => buf_exit(ctx, req),
    }
}

fn shm_flags(ctx: &mut Ctx<'_>, v: u32) {
    ctx.flags(x::TEE_IOCTL_SHM_FLAGS, v.into(), "TEE_IOCTL_SHM_???");
}

/// A buffer request's `struct tee_ioctl_buf_data` and the argument structure it points to
/// (strace's `tee_fetch_buf_data`): `Err` after printing the buffer alone (too long or short
/// for the structure, unreadable, or at entry a length that does not match the parameters).
fn fetch_buf(ctx: &mut Ctx<'_>, req: u64) -> Result<(u64, Vec<u8>), ()> {
    let Some(buf) = fetch(ctx, 16) else {
        return Err(());
    };
    let (ptr, len) = (u64_at(&buf, 0), u64_at(&buf, 8));
    let (size, num_params_at) = arg_struct(req);
    let arg = (len <= TEE_MAX_ARG_SIZE && len >= size)
        .then(|| ctx.read_bytes(ptr, size as usize))
        .flatten()
        .filter(|a| ctx.exiting || size + PARAM_SIZE * u64::from(u32_at(a, num_params_at)) == len);
    match arg {
        Some(a) => Ok((len, a)),
        None => {
            let _ = write!(ctx.out, "{{buf_len={len}, buf_ptr=");
            ctx.addr(ptr);
            ctx.push("}");
            Err(())
        }
    }
}

/// `, params=[...]`: the parameters after the argument structure.
fn params(ctx: &mut Ctx<'_>, req: u64, n: u32) {
    let (size, _) = arg_struct(req);
    let at = if n == 0 {
        0
    } else {
        let Some(buf) = ctx.read_bytes(ctx.arg(2), 16) else {
            return;
        };
        u64_at(&buf, 0) + size
    };
    ctx.push(", params=");
    ctx.array(at, n.into(), PARAM_SIZE, &mut |c, p| {
        let attr = u64_at(p, 0);
        c.push("{attr=");
        c.xval(
            x::TEE_IOCTL_PARAM_ATTR_TYPES,
            attr & !ATTR_META,
            "TEE_IOCTL_PARAM_ATTR_",
        );
        if attr & ATTR_META != 0 {
            c.push("|TEE_IOCTL_PARAM_ATTR_META");
        }
        let (a, b, cc) = (u64_at(p, 8), u64_at(p, 16), u64_at(p, 24));
        match attr {
            0 => {}
            5..=7 => {
                let _ = write!(c.out, ", shm_offs={}, size={}, shm_id={cc}", Hx(a), Hx(b));
            }
            _ => {
                let _ = write!(c.out, ", a={}, b={}, c={}", Hx(a), Hx(b), Hx(cc));
            }
        }
        c.push("}");
    });
}

fn buf_enter(ctx: &mut Ctx<'_>, req: u64) -> Step {
    let Ok((len, a)) = fetch_buf(ctx, req) else {
        return Step::Decoded;
    };
    let u = |o| u32_at(&a, o);
    let _ = write!(ctx.out, "{{buf_len={len}, buf_ptr={{");
    let n = match req {
        OPEN_SESSION => {
            ctx.push("uuid=");
            uuid(ctx, &a[..16]);
            ctx.push(", clnt_login=");
            let login = u(32);
            ctx.xval(
                x::TEE_IOCTL_LOGIN_TYPES,
                login.into(),
                "TEE_IOCTL_LOGIN_???",
            );
            match login {
                0 | 1 | 4 | 5 => {}
                2 | 6 => {
                    let gid = u(16);
                    if gid == u32::MAX {
                        ctx.push(", clnt_uuid=-1");
                    } else {
                        let _ = write!(ctx.out, ", clnt_uuid={gid}");
                    }
                }
                _ => {
                    ctx.push(", clnt_uuid=");
                    let bytes: Vec<u64> = a[16..32].iter().map(|&c| c.into()).collect();
                    array(ctx, &bytes, 16, |c, v| c.hex_value(v));
                }
            }
            let _ = write!(ctx.out, ", cancel_id={}, num_params={}", u(36), u(52));
            u(52)
        }
        INVOKE => {
            let _ = write!(
                ctx.out,
                "func={}, session={}, cancel_id={}, num_params={}",
                u(0),
                Hx(u(4).into()),
                u(8),
                u(20)
            );
            u(20)
        }
        SUPPL_RECV => {
            let _ = write!(ctx.out, "func={}, num_params={}", u(0), u(4));
            u(4)
        }
        _ => {
            let _ = write!(ctx.out, "num_params={}", u(4));
            u(4)
        }
    };
    params(ctx, req, n);
    ctx.push("}");
    Step::Exit
}

fn buf_exit(ctx: &mut Ctx<'_>, req: u64) {
    if ctx.error {
        ctx.push("}");
        return;
    }
    ctx.push(" => ");
    let Ok((_, a)) = fetch_buf(ctx, req) else {
        return;
    };
    let u = |o| u32_at(&a, o);
    ctx.push("{");
    let n = match req {
        OPEN_SESSION => {
            let _ = write!(
                ctx.out,
                "session={}, ret={}, ret_origin=",
                Hx(u(40).into()),
                u(44)
            );
            ctx.xval(x::TEE_IOCTL_ORIGINS, u(48).into(), "TEEC_ORIGIN_???");
            u(52)
        }
        INVOKE => {
            let _ = write!(ctx.out, "ret={}, ret_origin=", u(12));
            ctx.xval(x::TEE_IOCTL_ORIGINS, u(16).into(), "TEEC_ORIGIN_???");
            u(20)
        }
        SUPPL_RECV => {
            let _ = write!(ctx.out, "num_params={}", u(4));
            u(4)
        }
        _ => {
            let _ = write!(ctx.out, "ret={}", u(0));
            u(4)
        }
    };
    params(ctx, req, n);
    ctx.push("}}");
}
