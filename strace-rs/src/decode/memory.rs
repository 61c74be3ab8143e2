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
        "pkey_mprotect" => Row(&[Ptr, Ulong, In(prot64), Int]),
        "munmap" | "mlock" | "munlock" => ADDR_LEN,
        "mremap" => Func(mremap),
        "madvise" => Row(&[Ptr, Ulong, Const(xlat::MADV, "MADV_???")]),
        "msync" => Row(&[Ptr, Ulong, Flags(xlat::MSYNC_FLAGS, "MS_???")]),
        "mlockall" => Row(&[Flags(xlat::MLOCKALL_FLAGS, "MCL_???")]),
        "process_vm_readv" => Func(process_vm_readv),
        "process_vm_writev" => Row(&[Pid, In(vm_local_sent), Ulong, In(vm_remote), Ulong, Ulong]),
        "process_madvise" => Row(&[Fd, In(madvise_iov), Ulong, In(advice32), Hex32]),
        "remap_file_pages" => Row(&[Ptr, Ulong, In(prot64), Ulong, In(map_flags)]),
        _ => return None,
    })
}

/// `addr, len`: munmap, mlock, munlock, set_robust_list.
pub(super) const ADDR_LEN: Decoder = Row(&[Ptr, Ulong]);

/// Memory protection: `PROT_READ|PROT_WRITE`, `PROT_NONE`.
fn prot(ctx: &mut Ctx<'_>, v: u64) {
    prot64(ctx, v & 0xffff_ffff);
}

/// `process_vm_readv`: the local buffers print at exit, with the bytes read (strace prints
/// the pid at entry and the rest at exit).
fn process_vm_readv(ctx: &mut Ctx<'_>) -> Step {
    if !ctx.exiting {
        ctx.pid_arg(ctx.arg(0) as i32);
        ctx.comma();
        return Step::Exit;
    }
    let (local, n) = (ctx.arg(1), ctx.arg(2));
    if ctx.error {
        super::uring::iovec_addrs(ctx, local, n);
    } else {
        super::structs::iovec(ctx, local, n, Some(ctx.rval as u64), true);
    }
    ctx.comma();
    ctx.ulong(2);
    ctx.comma();
    vm_remote(ctx, ctx.arg(3));
    ctx.comma();
    ctx.ulong(4);
    ctx.comma();
    ctx.ulong(5);
    Step::Decoded
}

/// `process_vm_writev`'s local buffers, with their bytes.
fn vm_local_sent(ctx: &mut Ctx<'_>, addr: u64) {
    super::structs::iovec(ctx, addr, ctx.arg(2), None, true);
}

/// The remote buffers of `process_vm_readv`/`process_vm_writev`: addresses only.
fn vm_remote(ctx: &mut Ctx<'_>, addr: u64) {
    super::uring::iovec_addrs(ctx, addr, ctx.arg(4));
}

/// `process_madvise`'s ranges: their addresses and lengths (argument 2 of them).
fn madvise_iov(ctx: &mut Ctx<'_>, addr: u64) {
    super::uring::iovec_addrs(ctx, addr, ctx.arg(2));
}

/// An advice passed as an `unsigned int`.
fn advice32(ctx: &mut Ctx<'_>, v: u64) {
    ctx.xval(xlat::MADV, v & 0xffff_ffff, "MADV_???");
}

/// [`prot`] of a whole `unsigned long` (`remap_file_pages`: strace's `printflags64`).
fn prot64(ctx: &mut Ctx<'_>, v: u64) {
    if v == 0 {
        text::named(&mut ctx.out, ctx.opts.xlat, "0", "PROT_NONE");
    } else {
        ctx.flags(xlat::PROT, v, "PROT_???");
    }
}

/// `mmap`'s flags (strace's `print_mmap_flags`): the mapping type, the flags, then the huge
/// page size as `21<<MAP_HUGE_SHIFT`; the names in abbrev style even inside a -X verbose
/// comment.
fn map_flags(ctx: &mut Ctx<'_>, flags: u64) {
    const HUGE_SHIFT: u32 = 26;
    const HUGE_MASK: u64 = 0x3f << HUGE_SHIFT;
    let flags = flags & 0xffff_ffff;
    let style = ctx.opts.xlat;
    if style != text::XlatStyle::Abbrev {
        let _ = write!(ctx.out, "{}", text::Hx(flags));
    }
    if style == text::XlatStyle::Raw {
        return;
    }
    let mut names = String::new();
    let abbrev = text::XlatStyle::Abbrev;
    text::xval(
        &mut names,
        abbrev,
        xlat::MAP_TYPE,
        flags & 0xf,
        "MAP_???",
        true,
    );
    let huge = flags & HUGE_MASK;
    let rest = flags & !0xf & !HUGE_MASK;
    if rest != 0 {
        names.push('|');
        text::flags(&mut names, abbrev, xlat::MAP_FLAGS, rest, "");
    }
    if huge != 0 {
        let _ = write!(names, "|{}<<MAP_HUGE_SHIFT", huge >> HUGE_SHIFT);
    }
    if style == text::XlatStyle::Verbose {
        let _ = write!(ctx.out, " /* {names} */");
    } else {
        ctx.out.push_str(&names);
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
