//! Terminal requests (`asm-generic/ioctls.h`, type `'T'`, strace's `term.c`): the three
//! termios structures, window sizes, modem lines, flushing and flow control, and the `int`
//! settings.

use std::fmt::Write as _;

use super::fields::{fetch, u32_at};
use super::xlat as x;
use super::Family;
use crate::decode::{Ctx, Step};
use crate::text::{self, XlatStyle};

pub(super) const FAMILY: Family = Family {
    handles: |req| kind(req).is_some(),
    enter,
    exit,
};

/// How a request's argument is printed.
#[derive(Clone, Copy, PartialEq)]
enum Arg {
    /// `struct termios2`.
    Termios2,
    /// `struct termios` (the kernel's: no speeds on x86_64).
    Termios,
    /// `struct termio`.
    Termio,
    /// `struct winsize`.
    Winsize,
    /// `[TIOCM_*]`.
    Modem,
    /// `[int]`.
    Int,
    /// `TCXONC`'s action, `TCFLSH`'s queue.
    Xonc,
    Flsh,
    /// The argument is an `int` itself.
    Value,
    /// One byte to push into the input queue.
    Char,
    /// No argument.
    Nothing,
}

/// The argument of `req` and whether the kernel writes it (printed at exit).
fn kind(req: u64) -> Option<(Arg, bool)> {
    use Arg::*;
    Some(match req {
        0x802c_542a => (Termios2, true),
        0x402c_542b..=0x402c_542d => (Termios2, false),
        0x5401 | 0x5456 => (Termios, true),
        0x5402..=0x5404 | 0x5457 => (Termios, false),
        0x5405 => (Termio, true),
        0x5406..=0x5408 => (Termio, false),
        0x5413 => (Winsize, true),
        0x5414 => (Winsize, false),
        0x540a => (Xonc, false),
        0x540b => (Flsh, false),
        0x5409 | 0x5425 | 0x540e => (Value, false),
        0x5415 => (Modem, true),
        0x5416..=0x5418 => (Modem, false),
        // TIOCGPGRP, TIOCGSID, TIOCGETD, TIOCGSOFTCAR, TIOCGPTN, FIONREAD, TIOCOUTQ,
        // TIOCGEXCL, TIOCGDEV.
        0x540f | 0x5429 | 0x5424 | 0x5419 | 0x8004_5430 | 0x541b | 0x5411 | 0x8004_5440
        | 0x8004_5432 => (Int, true),
        // TIOCSPGRP, TIOCSETD, FIONBIO, FIOASYNC, TIOCPKT, TIOCSSOFTCAR, TIOCSPTLCK.
        0x5410 | 0x5423 | 0x5421 | 0x5452 | 0x5420 | 0x541a | 0x4004_5431 => (Int, false),
        0x5412 => (Char, false),
        // TIOCSBRK, TIOCCBRK, TIOCCONS, TIOCNOTTY, TIOCEXCL, TIOCNXCL, FIOCLEX, FIONCLEX,
        // TIOCVHANGUP, TIOCSSERIAL.
        0x5427 | 0x5428 | 0x541d | 0x5422 | 0x540c | 0x540d | 0x5451 | 0x5450 | 0x5437 | 0x541f => {
            (Nothing, false)
        }
        _ => return None,
    })
}

fn enter(ctx: &mut Ctx<'_>, req: u64) -> Step {
    let Some((arg, written)) = kind(req) else {
        return Step::Decoded;
    };
    if arg == Arg::Nothing {
        return Step::Decoded;
    }
    ctx.comma();
    if written {
        return Step::Exit;
    }
    print(ctx, arg);
    Step::Decoded
}

fn exit(ctx: &mut Ctx<'_>, req: u64) {
    if let Some((arg, _)) = kind(req) {
        print(ctx, arg);
    }
}

fn print(ctx: &mut Ctx<'_>, arg: Arg) {
    let v = ctx.arg(2);
    match arg {
        Arg::Termios2 => termios(ctx, 44, true),
        Arg::Termios => termios(ctx, 36, false),
        Arg::Termio => termio(ctx),
        Arg::Winsize => {
            if let Some(b) = fetch(ctx, 8) {
                let s = |i: usize| u16::from_ne_bytes([b[2 * i], b[2 * i + 1]]);
                let _ = write!(
                    ctx.out,
                    "{{ws_row={}, ws_col={}, ws_xpixel={}, ws_ypixel={}}}",
                    s(0),
                    s(1),
                    s(2),
                    s(3)
                );
            }
        }
        Arg::Modem => {
            if let Some(b) = fetch(ctx, 4) {
                ctx.push("[");
                ctx.flags(x::MODEM_FLAGS, u32_at(&b, 0).into(), "TIOCM_???");
                ctx.push("]");
            }
        }
        Arg::Int => {
            if let Some(b) = fetch(ctx, 4) {
                let _ = write!(ctx.out, "[{}]", u32_at(&b, 0) as i32);
            }
        }
        Arg::Xonc => ctx.xval(x::TCXONC_OPTIONS, v, "TC???"),
        Arg::Flsh => ctx.xval(x::TCFLSH_OPTIONS, v, "TC???"),
        Arg::Value => {
            let _ = write!(ctx.out, "{}", v as i32);
        }
        Arg::Char => ctx.buf(v, 1),
        Arg::Nothing => {}
    }
}

/// A flag word as strace's `printflags64` with no default: nothing at all when clear.
fn flags(ctx: &mut Ctx<'_>, table: text::Xlat, v: u64) {
    if v != 0 || ctx.opts.xlat == XlatStyle::Raw {
        ctx.flags(table, v, "");
    }
}

/// `c_iflag=..., c_oflag=..., c_cflag=..., c_lflag=...` of the four flag words.
fn flag_words(ctx: &mut Ctx<'_>, [iflag, oflag, cflag, lflag]: [u64; 4]) {
    ctx.push("c_iflag=");
    flags(ctx, x::TERM_IFLAGS, iflag);
    ctx.push(", c_oflag=");
    let mut rest = oflag;
    let delays: [(text::Xlat, u64, &str); 6] = [
        (x::TERM_OFLAGS_NLDLY, 0o400, "NL?"),
        (x::TERM_OFLAGS_CRDLY, 0o3000, "CR?"),
        (x::TERM_OFLAGS_TABDLY, 0o14000, "TAB?"),
        (x::TERM_OFLAGS_BSDLY, 0o20000, "BS?"),
        (x::TERM_OFLAGS_VTDLY, 0o40000, "VT?"),
        (x::TERM_OFLAGS_FFDLY, 0o100000, "FF?"),
    ];
    for (table, mask, dflt) in delays {
        ctx.xval(table, rest & mask, dflt);
        ctx.push("|");
        rest &= !mask;
    }
    flags(ctx, x::TERM_OFLAGS, rest);
    ctx.push(", c_cflag=");
    const CBAUD: u64 = 0o10017;
    const IBSHIFT: u64 = 16;
    const CIBAUD: u64 = CBAUD << IBSHIFT;
    const CSIZE: u64 = 0o60;
    ctx.xval(x::BAUD_OPTIONS, cflag & CBAUD, "B???");
    ctx.push("|");
    if cflag & CIBAUD != 0 {
        ctx.xval(x::BAUD_OPTIONS, (cflag & CIBAUD) >> IBSHIFT, "B???");
        ctx.push("<<");
        match ctx.opts.xlat {
            XlatStyle::Abbrev => ctx.push("IBSHIFT"),
            XlatStyle::Raw => ctx.hex_value(IBSHIFT),
            XlatStyle::Verbose => ctx.push("0x10 /* IBSHIFT */"),
        }
        ctx.push("|");
    }
    ctx.xval(x::TERM_CFLAGS_CSIZE, cflag & CSIZE, "CS?");
    ctx.push("|");
    flags(ctx, x::TERM_CFLAGS, cflag & !(CBAUD | CIBAUD | CSIZE));
    ctx.push(", c_lflag=");
    flags(ctx, x::TERM_LFLAGS, lflag);
}

/// `c_line=N_TTY, c_cc=[[VINTR]=0x3, ...]`.
fn line_and_cc(ctx: &mut Ctx<'_>, line: u8, cc: &[u8]) {
    ctx.push(", c_line=");
    ctx.xval(x::TERM_LINE_DISCS, line.into(), "N_???");
    ctx.push(", c_cc=[");
    for (i, &c) in cc.iter().enumerate() {
        if i > 0 {
            ctx.push(", ");
        }
        match text::lookup(x::TERMIOS_CC, i as u64) {
            Some(n) => {
                let _ = write!(ctx.out, "[{n}]=");
            }
            None => {
                let _ = write!(ctx.out, "[{i}]=");
            }
        }
        ctx.hex_value(c.into());
    }
    ctx.push("]");
}

/// `struct termios` (36 bytes: four `tcflag_t`, `c_line`, 19 `c_cc`) or `struct termios2`
/// (the same and `c_ispeed`, `c_ospeed`).
fn termios(ctx: &mut Ctx<'_>, size: usize, speeds: bool) {
    let Some(b) = fetch(ctx, size) else {
        return;
    };
    ctx.push("{");
    let words = [0, 4, 8, 12].map(|o| u64::from(u32_at(&b, o)));
    flag_words(ctx, words);
    if ctx.opts.verbose {
        line_and_cc(ctx, b[16], &b[17..36]);
        if speeds {
            let _ = write!(
                ctx.out,
                ", c_ispeed={}, c_ospeed={}",
                u32_at(&b, 36),
                u32_at(&b, 40)
            );
        }
    } else {
        ctx.push(", ...");
    }
    ctx.push("}");
}

/// `struct termio`: four `unsigned short` flag words, `c_line`, 8 `c_cc`.
fn termio(ctx: &mut Ctx<'_>) {
    let Some(b) = fetch(ctx, 18) else {
        return;
    };
    ctx.push("{");
    let words = [0, 2, 4, 6].map(|o| u64::from(u16::from_ne_bytes([b[o], b[o + 1]])));
    flag_words(ctx, words);
    if ctx.opts.verbose {
        line_and_cc(ctx, b[8], &b[9..17]);
    } else {
        ctx.push(", ...");
    }
    ctx.push("}");
}
