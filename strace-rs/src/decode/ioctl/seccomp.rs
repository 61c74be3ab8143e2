//! seccomp user notification requests (`linux/seccomp.h`, type `'!'`): the notification
//! received, the response sent, `ID_VALID` and `ADDFD` (strace's `seccomp_ioctl.c`).

use std::fmt::Write as _;

use super::fields::{u32_at, u64_at};
use super::xlat as x;
use super::Family;
use crate::decode::{Abi, Ctx, Step};
use crate::text::{self, XlatStyle};

pub(super) const FAMILY: Family = Family {
    handles: |req| text::lookup(NAMES, req).is_some(),
    enter,
    exit,
};

const NAMES: text::Xlat = &[
    (0x40082102, "SECCOMP_IOCTL_NOTIF_ID_VALID"),
    (0x40182103, "SECCOMP_IOCTL_NOTIF_ADDFD"),
    (0x80082102, "SECCOMP_IOCTL_NOTIF_ID_VALID_WRONG_DIR"),
    (0xc0182101, "SECCOMP_IOCTL_NOTIF_SEND"),
    (0xc0502100, "SECCOMP_IOCTL_NOTIF_RECV"),
];

const NOTIF_RECV: u64 = 0xc0502100;
const NOTIF_SEND: u64 = 0xc0182101;
const NOTIF_ID_VALID: u64 = 0x40082102;
const NOTIF_ID_VALID_WRONG_DIR: u64 = 0x80082102;
const NOTIF_ADDFD: u64 = 0x40182103;

/// `struct seccomp_notif`.
const NOTIF_SIZE: usize = 80;
/// `struct seccomp_notif_resp` and `struct seccomp_notif_addfd`.
const RESP_SIZE: usize = 24;

const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;
const AUDIT_ARCH_I386: u32 = 0x4000_0003;
const X32_SYSCALL_BIT: u64 = 0x4000_0000;

/// The structure at the argument, or its address (`NULL`) when it can't be read, or at
/// exit after a failure (strace's `umove_or_printaddr`).
fn read(ctx: &mut Ctx<'_>, len: usize) -> Option<Vec<u8>> {
    let arg = ctx.arg(2);
    let b = if arg == 0 || (ctx.exiting && ctx.error) {
        None
    } else {
        ctx.read_bytes(arg, len)
    };
    if b.is_none() {
        ctx.addr(arg);
    }
    b
}

fn enter(ctx: &mut Ctx<'_>, req: u64) -> Step {
    ctx.comma();
    match req {
        NOTIF_RECV => {
            let Some(b) = read(ctx, NOTIF_SIZE) else {
                return Step::Decoded;
            };
            if b.iter().all(|&c| c == 0) {
                return Step::Exit;
            }
            notif(ctx, &b);
            ctx.push(" => ");
            Step::Exit
        }
        NOTIF_SEND => {
            if let Some(b) = read(ctx, RESP_SIZE) {
                resp(ctx, &b);
            }
            Step::Decoded
        }
        NOTIF_ID_VALID | NOTIF_ID_VALID_WRONG_DIR => {
            match ctx.read::<u64>(ctx.arg(2)) {
                Some(v) => {
                    let _ = write!(ctx.out, "[{}]", text::Hx(v));
                }
                None => ctx.addr(ctx.arg(2)),
            }
            Step::Decoded
        }
        NOTIF_ADDFD => {
            if let Some(b) = read(ctx, RESP_SIZE) {
                addfd(ctx, &b);
            }
            Step::Decoded
        }
        _ => {
            ctx.hex(2);
            Step::Decoded
        }
    }
}

fn exit(ctx: &mut Ctx<'_>, _req: u64) {
    if let Some(b) = read(ctx, NOTIF_SIZE) {
        notif(ctx, &b);
    }
}

/// `struct seccomp_notif`: `{id=, pid=, flags=, data={nr=, arch=, instruction_pointer=,
/// args=[...]}}`.
fn notif(ctx: &mut Ctx<'_>, b: &[u8]) {
    let _ = write!(ctx.out, "{{id={}, pid=", text::Hx(u64_at(b, 0)));
    ctx.pid_of_kind(u32_at(b, 8) as i32, crate::pidns::Kind::Tgid);
    let _ = write!(
        ctx.out,
        ", flags={}, data={{nr=",
        text::Hx(u32_at(b, 12).into())
    );
    let (nr, arch) = (u64::from(u32_at(b, 16)), u32_at(b, 20));
    syscall_name(ctx, nr, arch);
    ctx.push(", arch=");
    ctx.xval(x::AUDIT_ARCH, arch.into(), "AUDIT_ARCH_???");
    ctx.push(", instruction_pointer=");
    ctx.addr(u64_at(b, 24));
    ctx.push(", args=[");
    for i in 0..6 {
        if i > 0 {
            ctx.comma();
        }
        ctx.hex_value(u64_at(b, 32 + 8 * i));
    }
    ctx.push("]}}");
}

/// A system call number of architecture `arch` (strace's `PRINT_FIELD_SYSCALL_NAME`): of the
/// tracee's own personality `__NR_name` (`-X raw`: the number, `-X verbose`: both), of
/// another the number and `/* name */`.
pub(crate) fn syscall_name(ctx: &mut Ctx<'_>, nr: u64, arch: u32) {
    let own64 = ctx.abi == Abi::X86_64;
    syscall_name_text(&mut ctx.out, ctx.opts.xlat, own64, nr, arch);
}

/// [`syscall_name`] into `out`; `own64`: the tracee runs in the x86_64 personality.
pub(crate) fn syscall_name_text(
    out: &mut String,
    style: XlatStyle,
    own64: bool,
    nr: u64,
    arch: u32,
) {
    let (name, current) = match arch {
        AUDIT_ARCH_X86_64 if nr & X32_SYSCALL_BIT == 0 => {
            (crate::sysent::get(nr).map(|s| s.name.to_string()), own64)
        }
        AUDIT_ARCH_X86_64 => (
            crate::sysent::get(nr & !X32_SYSCALL_BIT)
                .filter(|_| nr & !X32_SYSCALL_BIT < 512)
                .map(|s| s.name.to_string()),
            false,
        ),
        AUDIT_ARCH_I386 => (crate::sysent32::lookup(nr).map(str::to_owned), !own64),
        _ => (None, false),
    };
    if style != XlatStyle::Abbrev || !current || name.is_none() {
        let _ = write!(out, "{nr}");
    }
    let Some(name) = name.filter(|_| style != XlatStyle::Raw) else {
        return;
    };
    if current && style == XlatStyle::Abbrev {
        let _ = write!(out, "__NR_{name}");
    } else if current {
        let _ = write!(out, " /* __NR_{name} */");
    } else {
        let _ = write!(out, " /* {name} */");
    }
}

/// An `AUDIT_ARCH_*` value in a `-X` style.
pub(crate) fn audit_arch_text(out: &mut String, style: XlatStyle, arch: u32) {
    text::xval(
        out,
        style,
        x::AUDIT_ARCH,
        arch.into(),
        "AUDIT_ARCH_???",
        true,
    );
}

/// `struct seccomp_notif_resp`.
fn resp(ctx: &mut Ctx<'_>, b: &[u8]) {
    let _ = write!(
        ctx.out,
        "{{id={}, val={}, error=",
        text::Hx(u64_at(b, 0)),
        u64_at(b, 8) as i64
    );
    let err = u32_at(b, 16) as i32;
    match crate::errno_names::errno_name(u64::from(err.unsigned_abs())).filter(|_| err < 0) {
        Some(n) => text::named(
            &mut ctx.out,
            ctx.opts.xlat,
            &err.to_string(),
            &format!("-{n}"),
        ),
        None => {
            let _ = write!(ctx.out, "{err}");
        }
    }
    ctx.push(", flags=");
    ctx.flags(
        x::SECCOMP_IOCTL_RESP_FLAGS,
        u32_at(b, 20).into(),
        "SECCOMP_USER_NOTIF_FLAG_???",
    );
    ctx.push("}");
}

/// `struct seccomp_notif_addfd`.
fn addfd(ctx: &mut Ctx<'_>, b: &[u8]) {
    let _ = write!(ctx.out, "{{id={}, flags=", text::Hx(u64_at(b, 0)));
    ctx.flags(
        x::SECCOMP_IOCTL_ADDFD_FLAGS,
        u32_at(b, 8).into(),
        "SECCOMP_ADDFD_FLAG_???",
    );
    ctx.push(", srcfd=");
    ctx.fd_val(u32_at(b, 12) as i32);
    let _ = write!(ctx.out, ", newfd={}, newfd_flags=", u32_at(b, 16) as i32);
    ctx.flags(x::OPEN_MODE_FLAGS, u32_at(b, 20).into(), "O_???");
    ctx.push("}");
}
