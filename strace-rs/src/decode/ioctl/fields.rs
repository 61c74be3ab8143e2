//! Printing the fields of the structures ioctl requests carry, read whole into a buffer
//! (strace's `PRINT_FIELD_*` on a local copy).

use std::fmt::Write as _;

use crate::decode::structs::makedev;
use crate::decode::{Abi, Ctx};
use crate::text;

pub(super) fn u32_at(b: &[u8], o: usize) -> u32 {
    u32::from_ne_bytes(b[o..o + 4].try_into().expect("4 bytes"))
}

pub(super) fn u64_at(b: &[u8], o: usize) -> u64 {
    u64::from_ne_bytes(b[o..o + 8].try_into().expect("8 bytes"))
}

/// A string field of `b.len()` bytes (strace's `PRINT_FIELD_CSTRING`): up to its NUL, or,
/// without one, all but the last byte and `...`.
pub(super) fn cstring(ctx: &mut Ctx<'_>, b: &[u8]) {
    match b.iter().position(|&c| c == 0) {
        Some(n) => text::quote(&mut ctx.out, &b[..n], ctx.opts.hex, false),
        None => {
            text::quote(
                &mut ctx.out,
                &b[..b.len().saturating_sub(1)],
                ctx.opts.hex,
                false,
            );
            ctx.push("...");
        }
    }
}

/// The first `n` of a structure's array of `values` (strace's `PRINT_FIELD_ARRAY_UPTO`):
/// without `-v`, at most `-s` of them and `...`.
pub(super) fn array(
    ctx: &mut Ctx<'_>,
    values: &[u64],
    n: usize,
    mut print: impl FnMut(&mut Ctx<'_>, u64),
) {
    let n = n.min(values.len());
    let shown = if !ctx.opts.verbose && ctx.opts.max_strlen < n {
        ctx.opts.max_strlen
    } else {
        n
    };
    ctx.push("[");
    for (i, &v) in values[..shown].iter().enumerate() {
        if i > 0 {
            ctx.push(", ");
        }
        print(ctx, v);
    }
    if shown < n {
        ctx.push(", ...");
    }
    ctx.push("]");
}

pub(super) fn dec(ctx: &mut Ctx<'_>, v: u64) {
    let _ = write!(ctx.out, "{v}");
}

pub(super) fn u32s(b: &[u8], o: usize, n: usize) -> Vec<u64> {
    (0..n).map(|i| u64::from(u32_at(b, o + 4 * i))).collect()
}

/// `, name=[...]`: an array of `n` `__u32` at `o` in hex (a padding, reserved words),
/// printed only when not all zero.
pub(super) fn nonzero_u32s(ctx: &mut Ctx<'_>, name: &str, b: &[u8], o: usize, n: usize) {
    let v = u32s(b, o, n);
    if v.iter().any(|&x| x != 0) {
        let _ = write!(ctx.out, ", {name}=");
        array(ctx, &v, n, |c, x| c.hex_value(x));
    }
}

/// The `len` bytes of the structure the argument points to (strace's `umove_or_printaddr`),
/// or `None` after printing its address: `NULL`, unreadable, a failed call's output at exit,
/// `-e verbose=none`, or a 32-bit tracee (the layouts here are x86_64's).
pub(super) fn fetch(ctx: &mut Ctx<'_>, len: usize) -> Option<Vec<u8>> {
    let arg = ctx.arg(2);
    let skip = arg == 0 || (ctx.exiting && ctx.error) || !ctx.opts.structs;
    let b = if skip || ctx.abi != Abi::X86_64 {
        None
    } else {
        ctx.read_bytes(arg, len)
    };
    if b.is_none() {
        ctx.addr(arg);
    }
    b
}

/// A NUL-terminated string of at most `len` bytes at `addr`, limited by `-s` (strace's
/// `printstr_ex` with `QUOTE_0_TERMINATED`): `...` after it when no NUL ended it within the
/// bytes shown. Its length with the NUL when one ended it within the bytes read.
pub(super) fn str0(ctx: &mut Ctx<'_>, addr: u64, len: u64) -> Option<u64> {
    if addr == 0 {
        ctx.push("NULL");
        return None;
    }
    let max = ctx.opts.max_strlen as u64;
    let size = len.min(max + 1) as usize;
    // Cut by unreadable memory before its NUL and the limit: the address (umovestr fails).
    let Some((s, terminated)) = ctx
        .mem
        .read_cstr(addr, size)
        .ok()
        .filter(|(s, terminated)| *terminated || s.len() >= size)
    else {
        ctx.addr(addr);
        return None;
    };
    let shown = size.min(max as usize);
    if terminated && s.len() < shown {
        text::quote(&mut ctx.out, &s, ctx.opts.hex, false);
        return Some(s.len() as u64 + 1);
    }
    text::quote(&mut ctx.out, &s[..shown.min(s.len())], ctx.opts.hex, false);
    if len != 0 {
        ctx.push("...");
    }
    terminated.then_some(s.len() as u64 + 1)
}

/// A UUID of 16 bytes, `01234567-89ab-cdef-fedc-ba9876543210` (strace's `print_uuid`).
pub(super) fn uuid(ctx: &mut Ctx<'_>, b: &[u8]) {
    for (i, c) in b[..16].iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            ctx.push("-");
        }
        let _ = write!(ctx.out, "{c:02x}");
    }
}

/// A device number (strace's `print_dev_t`): `makedev(0x8, 0x1)`; `-X raw` the number,
/// verbose both.
pub(super) fn dev_t(ctx: &mut Ctx<'_>, dev: u64) {
    let style = ctx.opts.xlat;
    if style != text::XlatStyle::Abbrev {
        ctx.hex_value(dev);
    }
    match style {
        text::XlatStyle::Raw => {}
        text::XlatStyle::Abbrev => ctx.push(&makedev(dev)),
        text::XlatStyle::Verbose => {
            let _ = write!(ctx.out, " /* {} */", makedev(dev));
        }
    }
}

/// A constant printed as an unsigned decimal number (strace's `printxval_u` and
/// `print_xlat_u`): its name, `-X raw` the number, verbose both; unknown, the number.
pub(super) fn xval_u(ctx: &mut Ctx<'_>, table: text::Xlat, v: u64) {
    match (text::lookup(table, v), ctx.opts.xlat) {
        (Some(n), text::XlatStyle::Abbrev) => ctx.push(n),
        (Some(n), text::XlatStyle::Verbose) => {
            let _ = write!(ctx.out, "{v} /* {n} */");
        }
        _ => {
            let _ = write!(ctx.out, "{v}");
        }
    }
}
