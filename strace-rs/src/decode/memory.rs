//! Memory mapping.

use std::fmt::Write as _;

use super::{Ctx, Decoder, Rval, Step};
use crate::text;
use crate::xlat;

pub fn decoder(name: &str) -> Option<Decoder> {
    Some(match name {
        "brk" => brk,
        "mmap" => mmap,
        "mprotect" | "pkey_mprotect" => mprotect,
        "munmap" | "mlock" | "munlock" => addr_len,
        "mremap" => mremap,
        "madvise" => madvise,
        "msync" => msync,
        "mlockall" => mlockall,
        _ => return None,
    })
}

fn brk(ctx: &mut Ctx<'_>) -> Step {
    ctx.ptr(0);
    ctx.rfmt = Rval::Hex;
    Step::Decoded
}

fn prot(ctx: &mut Ctx<'_>, v: u64) {
    if v == 0 {
        text::named(&mut ctx.out, ctx.opts.xlat, "0", "PROT_NONE");
    } else {
        ctx.flags(xlat::PROT, v, "PROT_???");
    }
}

fn mmap(ctx: &mut Ctx<'_>) -> Step {
    ctx.ptr(0);
    ctx.sep();
    ctx.ulong(1);
    ctx.sep();
    prot(ctx, ctx.a(2) as u32 as u64);
    ctx.sep();
    let flags = ctx.a(3) as u32 as u64;
    if ctx.opts.xlat == text::XlatStyle::Raw {
        ctx.hex(3);
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
        let ty = flags & 0xf;
        ctx.xval_hex(xlat::MAP_TYPE, ty, "MAP_???");
        let rest = flags & !0xf;
        if rest != 0 {
            ctx.s("|");
            ctx.flags(xlat::MAP_FLAGS, rest, "");
        }
    }
    ctx.sep();
    ctx.fd(4);
    ctx.sep();
    ctx.hex(5);
    ctx.rfmt = Rval::Hex;
    Step::Decoded
}

fn mprotect(ctx: &mut Ctx<'_>) -> Step {
    ctx.hex(0);
    ctx.sep();
    ctx.ulong(1);
    ctx.sep();
    prot(ctx, ctx.a(2) as u32 as u64);
    if ctx.nr == 329 {
        ctx.sep();
        ctx.int(3);
    }
    Step::Decoded
}

/// `addr, len`: munmap, mlock, munlock, set_robust_list.
pub(super) fn addr_len(ctx: &mut Ctx<'_>) -> Step {
    ctx.ptr(0);
    ctx.sep();
    ctx.ulong(1);
    Step::Decoded
}

fn mremap(ctx: &mut Ctx<'_>) -> Step {
    ctx.hex(0);
    ctx.sep();
    ctx.ulong(1);
    ctx.sep();
    ctx.ulong(2);
    ctx.sep();
    let f = ctx.a(3) as u32 as u64;
    ctx.flags(xlat::MREMAP_FLAGS, f, "MREMAP_???");
    if f & 2 != 0 {
        ctx.sep();
        ctx.hex(4);
    }
    ctx.rfmt = Rval::Hex;
    Step::Decoded
}

fn madvise(ctx: &mut Ctx<'_>) -> Step {
    ctx.hex(0);
    ctx.sep();
    ctx.ulong(1);
    ctx.sep();
    ctx.xval(xlat::MADV, ctx.a(2) as u32 as u64, "MADV_???");
    Step::Decoded
}

fn msync(ctx: &mut Ctx<'_>) -> Step {
    ctx.hex(0);
    ctx.sep();
    ctx.ulong(1);
    ctx.sep();
    ctx.flags(xlat::MSYNC_FLAGS, ctx.a(2) as u32 as u64, "MS_???");
    Step::Decoded
}

fn mlockall(ctx: &mut Ctx<'_>) -> Step {
    ctx.flags(xlat::MLOCKALL_FLAGS, ctx.a(0) as u32 as u64, "MCL_???");
    Step::Decoded
}
