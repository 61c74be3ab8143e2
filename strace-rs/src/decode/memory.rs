//! Memory mapping.

use std::fmt::Write as _;

use super::table::Arg::*;
use super::Decoder::{Func, Row};
use super::{Ctx, Decoder, Rval, Step};
use crate::text;
use crate::xlat;

pub fn decoder(name: &str) -> Option<Decoder> {
    Some(match name {
        "brk" => Row(&[Ptr]),
        "mmap" => Row(&[Ptr, Ulong, In(prot), In(map_flags), Fd, Hex]),
        "mprotect" => Row(&[Ptr, Ulong, In(prot)]),
        "pkey_mprotect" => Row(&[Ptr, Ulong, In(prot), Int]),
        "munmap" | "mlock" | "munlock" => ADDR_LEN,
        "mremap" => Func(mremap),
        "madvise" => Row(&[Ptr, Ulong, Const(xlat::MADV, "MADV_???")]),
        "msync" => Row(&[Ptr, Ulong, Flags(xlat::MSYNC_FLAGS, "MS_???")]),
        "mlockall" => Row(&[Flags(xlat::MLOCKALL_FLAGS, "MCL_???")]),
        _ => return None,
    })
}

/// `addr, len`: munmap, mlock, munlock, set_robust_list.
pub(super) const ADDR_LEN: Decoder = Row(&[Ptr, Ulong]);

/// Memory protection: `PROT_READ|PROT_WRITE`, `PROT_NONE`.
fn prot(ctx: &mut Ctx<'_>, v: u64) {
    let v = v & 0xffff_ffff;
    if v == 0 {
        text::named(&mut ctx.out, ctx.opts.xlat, "0", "PROT_NONE");
    } else {
        ctx.flags(xlat::PROT, v, "PROT_???");
    }
}

/// `mmap`'s flags: the mapping type, then the flags.
fn map_flags(ctx: &mut Ctx<'_>, flags: u64) {
    let flags = flags & 0xffff_ffff;
    if ctx.opts.xlat == text::XlatStyle::Raw {
        let _ = write!(ctx.out, "{}", text::Hx(flags));
    } else if ctx.opts.xlat == text::XlatStyle::Verbose {
        let mut names = String::new();
        text::xval(
            &mut names,
            text::XlatStyle::Abbrev,
            xlat::MAP_TYPE,
            flags & 0xf,
            "MAP_???",
            true,
        );
        if flags & !0xf != 0 {
            names.push('|');
            text::flags(
                &mut names,
                text::XlatStyle::Abbrev,
                xlat::MAP_FLAGS,
                flags & !0xf,
                "",
            );
        }
        let _ = write!(ctx.out, "{} /* {names} */", text::Hx(flags));
    } else {
        ctx.kind_and_flags(
            flags,
            0xf,
            (xlat::MAP_TYPE, "MAP_???"),
            xlat::MAP_FLAGS,
            true,
        );
    }
}

fn mremap(ctx: &mut Ctx<'_>) -> Step {
    ctx.ptr(0);
    ctx.comma();
    ctx.ulong(1);
    ctx.comma();
    ctx.ulong(2);
    ctx.comma();
    let f = ctx.arg(3) as u32 as u64;
    ctx.flags(xlat::MREMAP_FLAGS, f, "MREMAP_???");
    if f & 2 != 0 {
        ctx.comma();
        ctx.hex(4);
    }
    ctx.rfmt = Rval::Hex;
    Step::Decoded
}
