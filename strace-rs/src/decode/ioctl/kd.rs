//! Linux console (VT) requests (`linux/kd.h`, type `'K'`): sound, LEDs, keyboard type and
//! modes, I/O port grants, screen maps. Every request is named; the ones not decoded yet
//! (key tables, fonts, diacritics, colour maps) print their argument in hex.

use std::fmt::Write as _;

use super::fields::u32_at;
use super::Family;
use crate::decode::{Ctx, Step};
use crate::text::{self, XlatStyle};

pub(super) const FAMILY: Family = Family {
    handles,
    enter,
    exit,
};

const KIOCSOUND: u64 = 0x4b2f;
const KDMKTONE: u64 = 0x4b30;
const KDGETLED: u64 = 0x4b31;
const KDSETLED: u64 = 0x4b32;
const KDGKBTYPE: u64 = 0x4b33;
const KDADDIO: u64 = 0x4b34;
const KDDELIO: u64 = 0x4b35;
const KDENABIO: u64 = 0x4b36;
const KDDISABIO: u64 = 0x4b37;
const KDSETMODE: u64 = 0x4b3a;
const KDGETMODE: u64 = 0x4b3b;
const KDMAPDISP: u64 = 0x4b3c;
const KDUNMAPDISP: u64 = 0x4b3d;
const GIO_SCRNMAP: u64 = 0x4b40;
const PIO_SCRNMAP: u64 = 0x4b41;
const KDGKBMODE: u64 = 0x4b44;
const KDSKBMODE: u64 = 0x4b45;
const KDGKBLED: u64 = 0x4b64;
const KDSKBLED: u64 = 0x4b65;
const PIO_FONTRESET: u64 = 0x4b6d;
const KDGKBENT: u64 = 0x4b46;
const KDSKBENT: u64 = 0x4b47;
const KDGKBSENT: u64 = 0x4b48;
const KDSKBSENT: u64 = 0x4b49;
const KDGKBDIACR: u64 = 0x4b4a;
const KDSKBDIACR: u64 = 0x4b4b;
const KDGETKEYCODE: u64 = 0x4b4c;
const KDSETKEYCODE: u64 = 0x4b4d;
const KDSIGACCEPT: u64 = 0x4b4e;
const KDKBDREP: u64 = 0x4b52;
const GIO_FONT: u64 = 0x4b60;
const PIO_FONT: u64 = 0x4b61;
const KDGKBMETA: u64 = 0x4b62;
const KDSKBMETA: u64 = 0x4b63;
const PIO_UNIMAPCLR: u64 = 0x4b68;
const GIO_UNISCRNMAP: u64 = 0x4b69;
const PIO_UNISCRNMAP: u64 = 0x4b6a;
const GIO_UNIMAP: u64 = 0x4b66;
const PIO_UNIMAP: u64 = 0x4b67;
const GIO_FONTX: u64 = 0x4b6b;
const PIO_FONTX: u64 = 0x4b6c;
const KDFONTOP: u64 = 0x4b72;
const GIO_CMAP: u64 = 0x4b70;
const PIO_CMAP: u64 = 0x4b71;
const KDGKBDIACRUC: u64 = 0x4bfa;
const KDSKBDIACRUC: u64 = 0x4bfb;

/// `MAX_DIACR`: the most diacritics a table holds.
const MAX_DIACR: u64 = 256;
/// `UNI_DIRECT_BASE`, `UNI_DIRECT_MASK`: the font positions mapped directly.
const UNI_DIRECT_BASE: u64 = 0xf000;
const UNI_DIRECT_MASK: u64 = 0x01ff;

/// `kb_table` values naming a whole table.
const KEY_TABLES: text::Xlat = &[
    (0, "K_NORMTAB"),
    (1, "K_SHIFTTAB"),
    (2, "K_ALTTAB"),
    (3, "K_ALTSHIFTTAB"),
];

/// `kb_table` otherwise: a set of modifiers.
const KEYMAP_FLAGS: text::Xlat = &[
    (1 << 0, "1<<KG_SHIFT"),
    (1 << 1, "1<<KG_ALTGR"),
    (1 << 2, "1<<KG_CTRL"),
    (1 << 3, "1<<KG_ALT"),
    (1 << 4, "1<<KG_SHIFTL"),
    (1 << 5, "1<<KG_SHIFTR"),
    (1 << 6, "1<<KG_CTRLL"),
    (1 << 7, "1<<KG_CTRLR"),
];

/// `KTYP()` of a key value.
const KEY_TYPES: text::Xlat = &[
    (0, "KT_LATIN"),
    (1, "KT_FN"),
    (2, "KT_SPEC"),
    (3, "KT_PAD"),
    (4, "KT_DEAD"),
    (5, "KT_CONS"),
    (6, "KT_CUR"),
    (7, "KT_SHIFT"),
    (8, "KT_META"),
    (9, "KT_ASCII"),
    (10, "KT_LOCK"),
    (11, "KT_LETTER"),
    (12, "KT_SLOCK"),
    (13, "KT_DEAD2"),
    (14, "KT_BRL"),
];

/// The named keys of type `ktyp` (`None`: the type's keys are characters or have no names).
fn key_names(ktyp: u64) -> Option<text::Xlat> {
    Some(match ktyp {
        1 => KEY_FN_KEYS,
        2 => KEY_SPEC_KEYS,
        3 => KEY_PAD_KEYS,
        4 => KEY_DEAD_KEYS,
        6 => KEY_CUR_KEYS,
        7 => KEY_SHIFT_KEYS,
        9 => KEY_ASCII_KEYS,
        10 => KEY_LOCK_KEYS,
        12 => KEY_SLOCK_KEYS,
        14 => KEY_BRL_KEYS,
        _ => return None,
    })
}

const FONT_FLAGS: text::Xlat = &[
    (0x1, "KD_FONT_FLAG_DONT_RECALC"),
    (0x80000000, "KD_FONT_FLAG_OLD"),
];

const FONT_OPS: text::Xlat = &[
    (0, "KD_FONT_OP_SET"),
    (1, "KD_FONT_OP_GET"),
    (2, "KD_FONT_OP_SET_DEFAULT"),
    (3, "KD_FONT_OP_COPY"),
];
const KD_FONT_OP_SET: u32 = 0;
const KD_FONT_OP_GET: u32 = 1;
const KD_FONT_OP_SET_DEFAULT: u32 = 2;
const KD_FONT_OP_COPY: u32 = 3;

/// `ENOMEM`: `GIO_UNIMAP` failing with it still filled the entries it had room for.
const ENOMEM: i64 = 12;

const META_VALS: text::Xlat = &[(0x3, "K_METABIT"), (0x4, "K_ESCPREFIX")];

/// `PIT_TICK_RATE`: the frequency `KIOCSOUND` and `KDMKTONE` divide.
const PIT_TICK_RATE: u64 = 1_193_182;
/// `E_TABSZ`: the size of a screen map.
const E_TABSZ: u64 = 256;
/// `GPFIRST`, `GPLAST`: the I/O ports `KDADDIO` may grant.
const GPFIRST: u64 = 0x3b4;
const GPLAST: u64 = 0x3df;

const LED_FLAGS: text::Xlat = &[(0x1, "LED_SCR"), (0x2, "LED_NUM"), (0x4, "LED_CAP")];

/// `KDGKBLED`/`KDSKBLED`: the LEDs and, shifted by 4, their defaults.
const DEFAULT_LED_FLAGS: text::Xlat = &[
    (0x1, "LED_SCR"),
    (0x2, "LED_NUM"),
    (0x4, "LED_CAP"),
    (0x10, "LED_SCR<<4"),
    (0x20, "LED_NUM<<4"),
    (0x40, "LED_CAP<<4"),
];

const KBD_TYPES: text::Xlat = &[(0x1, "KB_84"), (0x2, "KB_101"), (0x3, "KB_OTHER")];

const MODES: text::Xlat = &[
    (0x0, "KD_TEXT"),
    (0x1, "KD_GRAPHICS"),
    (0x2, "KD_TEXT0"),
    (0x3, "KD_TEXT1"),
];

const KBD_MODES: text::Xlat = &[
    (0, "K_RAW"),
    (1, "K_XLATE"),
    (2, "K_MEDIUMRAW"),
    (3, "K_UNICODE"),
    (4, "K_OFF"),
];

fn handles(req: u64) -> bool {
    matches!(
        req,
        KIOCSOUND
            | KDMKTONE
            | KDGETLED
            | KDSETLED
            | KDGKBLED
            | KDSKBLED
            | KDGKBTYPE
            | KDADDIO
            | KDDELIO
            | KDSETMODE
            | KDGETMODE
            | GIO_SCRNMAP
            | PIO_SCRNMAP
            | KDGKBMODE
            | KDSKBMODE
            | KDENABIO
            | KDDISABIO
            | KDMAPDISP
            | KDUNMAPDISP
            | PIO_FONTRESET
            | KDGKBENT
            | KDSKBENT
            | KDGKBSENT
            | KDSKBSENT
            | KDGKBDIACR
            | KDSKBDIACR
            | KDGKBDIACRUC
            | KDSKBDIACRUC
            | KDGETKEYCODE
            | KDSETKEYCODE
            | KDSIGACCEPT
            | KDKBDREP
            | GIO_FONT
            | PIO_FONT
            | KDGKBMETA
            | KDSKBMETA
            | PIO_UNIMAPCLR
            | GIO_UNISCRNMAP
            | PIO_UNISCRNMAP
            | GIO_CMAP
            | PIO_CMAP
            | GIO_UNIMAP
            | PIO_UNIMAP
            | GIO_FONTX
            | PIO_FONTX
            | KDFONTOP
    )
}

/// ` /* text */` unless `-X raw`.
fn comment(ctx: &mut Ctx<'_>, s: &str) {
    if ctx.opts.xlat != XlatStyle::Raw {
        ctx.push(" /* ");
        ctx.push(s);
        ctx.push(" */");
    }
}

fn enter(ctx: &mut Ctx<'_>, req: u64) -> Step {
    let arg = ctx.arg(2);
    match req {
        KDENABIO | KDDISABIO | KDMAPDISP | KDUNMAPDISP | PIO_FONTRESET => return Step::Decoded,
        _ => {}
    }
    ctx.comma();
    match req {
        KIOCSOUND => {
            // strace keeps the quotient in an `unsigned int`.
            let freq = PIT_TICK_RATE.checked_div(arg).unwrap_or(0) as u32;
            ctx.push(&arg.to_string());
            let c = if freq != 0 {
                format!("{freq} Hz")
            } else {
                "off".into()
            };
            comment(ctx, &c);
        }
        KDMKTONE => {
            let v = arg as u32;
            let (ticks, count) = (v >> 16, v & 0xffff);
            if ticks != 0 {
                ctx.push(&format!("{ticks}<<16|"));
            }
            ctx.push(&count.to_string());
            let c = if ticks != 0 && count != 0 {
                format!("{} Hz, {ticks} ms", PIT_TICK_RATE as u32 / count)
            } else {
                "off".into()
            };
            comment(ctx, &c);
        }
        KDSETLED => ctx.flags(LED_FLAGS, arg & 0xff, "LED_???"),
        KDSKBLED => ctx.flags(DEFAULT_LED_FLAGS, arg & 0xff, "LED_???"),
        KDADDIO | KDDELIO => {
            ctx.hex_value(arg);
            if (GPFIRST..=GPLAST).contains(&arg) {
                comment(ctx, &format!("GPFIRST + {}", arg - GPFIRST));
            }
        }
        KDSETMODE => ctx.xval(MODES, arg & 0xffff_ffff, "KD_???"),
        KDSKBMODE => kbd_mode(ctx, arg as u32),
        PIO_SCRNMAP => screen_map(ctx, arg, E_TABSZ),
        PIO_FONT => screen_map(ctx, arg, 8192),
        PIO_CMAP => screen_map(ctx, arg, 48),
        PIO_UNISCRNMAP => uni_screen_map(ctx, arg),
        KDGKBENT | KDSKBENT => match ctx.read_bytes(arg, 2).filter(|_| arg != 0) {
            Some(b) => {
                ctx.push("{kb_table=");
                let table = u64::from(b[0]);
                if text::lookup(KEY_TABLES, table).is_some() {
                    ctx.xval(KEY_TABLES, table, "");
                } else {
                    ctx.flags(KEYMAP_FLAGS, table, "K_???");
                }
                ctx.push(&format!(", kb_index={}", b[1]));
                if req == KDGKBENT {
                    return Step::Exit;
                }
                kb_value(ctx, arg);
            }
            None => ctx.addr(arg),
        },
        KDGKBSENT | KDSKBSENT => match ctx.read::<u8>(arg) {
            Some(f) => {
                ctx.push("{kb_func=");
                ctx.xval(KEY_FN_KEY_VALS, f.into(), "KVAL(K_???)");
                if req == KDGKBSENT {
                    return Step::Exit;
                }
                kb_string(ctx, arg);
            }
            None => ctx.addr(arg),
        },
        GIO_UNIMAP | PIO_UNIMAP => {
            let Some((ct, entries)) = unimapdesc(ctx, arg) else {
                ctx.addr(arg);
                return Step::Decoded;
            };
            ctx.stash = ct;
            ctx.push(&format!("{{entry_ct={ct}"));
            if req == GIO_UNIMAP {
                return Step::Exit;
            }
            ctx.push(", entries=");
            unipairs(ctx, entries, ct);
            ctx.push("}");
        }
        GIO_FONTX | PIO_FONTX => {
            let Some(d) = fontdesc(ctx, arg) else {
                ctx.addr(arg);
                return Step::Decoded;
            };
            print_fontdesc(ctx, d, req == GIO_FONTX);
            if req == GIO_FONTX {
                return Step::Exit;
            }
        }
        KDFONTOP => {
            let Some(op) = font_op(ctx, arg) else {
                ctx.addr(arg);
                return Step::Decoded;
            };
            print_font_op(ctx, &op, false);
            if !matches!(op.op, KD_FONT_OP_SET | KD_FONT_OP_COPY) {
                return Step::Exit;
            }
        }
        KDSKBDIACR => diacr(ctx, arg, false),
        KDSKBDIACRUC => diacr(ctx, arg, true),
        KDSKBMETA => ctx.xval(META_VALS, arg & 0xffff_ffff, "K_???"),
        KDSIGACCEPT => {
            if arg < i32::MAX as u64 {
                crate::decode::structs::signo(ctx, arg as i64);
            } else {
                ctx.push(&arg.to_string());
            }
        }
        PIO_UNIMAPCLR => match ctx.read_bytes(arg, 6).filter(|_| arg != 0) {
            Some(b) => {
                let h = |i: usize| u16::from_ne_bytes([b[i], b[i + 1]]);
                ctx.push(&format!(
                    "{{advised_hashsize={}, advised_hashstep={}, advised_hashlevel={}}}",
                    h(0),
                    h(2),
                    h(4)
                ));
            }
            None => ctx.addr(arg),
        },
        KDGETKEYCODE | KDSETKEYCODE => match ctx.read_bytes(arg, 8).filter(|_| arg != 0) {
            Some(b) => {
                ctx.push(&format!(
                    "{{scancode={}, keycode={}",
                    text::Hx(u32_at(&b, 0).into()),
                    text::Hx(u32_at(&b, 4).into())
                ));
                if req == KDGETKEYCODE {
                    return Step::Exit;
                }
                ctx.push("}");
            }
            None => ctx.addr(arg),
        },
        KDKBDREP => match ctx.read_bytes(arg, 8).filter(|_| arg != 0) {
            Some(b) => {
                kbd_repeat(ctx, &b);
                return Step::Exit;
            }
            None => ctx.addr(arg),
        },
        _ => return Step::Exit,
    }
    Step::Decoded
}

fn exit(ctx: &mut Ctx<'_>, req: u64) {
    let arg = ctx.arg(2);
    match req {
        KDGETKEYCODE => {
            if !ctx.error {
                if let Some(k) = ctx.read::<u32>(arg.wrapping_add(4)) {
                    ctx.push(&format!(" => {}", text::Hx(k.into())));
                }
            }
            ctx.push("}");
            return;
        }
        GIO_UNIMAP => {
            let Some((ct, entries)) = unimapdesc(ctx, arg) else {
                ctx.push("}");
                return;
            };
            ctx.push(&format!(" => {ct}, entries="));
            if ctx.error && ctx.rval != -ENOMEM {
                ctx.addr(entries);
            } else {
                unipairs(ctx, entries, ctx.stash);
            }
            ctx.push("}");
            return;
        }
        GIO_FONTX => {
            if !ctx.error {
                if let Some(d) = fontdesc(ctx, arg) {
                    ctx.push(" => ");
                    print_fontdesc(ctx, d, false);
                }
            }
            return;
        }
        KDFONTOP => {
            if !ctx.error {
                if let Some(op) = font_op(ctx, arg) {
                    ctx.push(" => ");
                    print_font_op(ctx, &op, true);
                }
            }
            return;
        }
        KDGKBENT | KDGKBSENT => {
            if ctx.error {
                ctx.push("}");
            } else if req == KDGKBENT {
                kb_value(ctx, arg);
            } else {
                kb_string(ctx, arg);
            }
            return;
        }
        KDKBDREP => {
            if !ctx.error {
                if let Some(b) = ctx.read_bytes(arg, 8) {
                    ctx.push(" => ");
                    kbd_repeat(ctx, &b);
                }
            }
            return;
        }
        _ => {}
    }
    if ctx.error {
        ctx.addr(arg);
        return;
    }
    match req {
        GIO_FONT => screen_map(ctx, arg, 8192),
        GIO_CMAP => screen_map(ctx, arg, 48),
        GIO_UNISCRNMAP => uni_screen_map(ctx, arg),
        KDGKBDIACR => diacr(ctx, arg, false),
        KDGKBDIACRUC => diacr(ctx, arg, true),
        KDGKBMETA => match ctx.read::<u32>(arg) {
            Some(v) => {
                ctx.push("[");
                ctx.xval(META_VALS, v.into(), "K_???");
                ctx.push("]");
            }
            None => ctx.addr(arg),
        },
        KDGETLED | KDGKBLED | KDGKBTYPE => match ctx.read::<u8>(arg) {
            Some(v) => {
                ctx.push("[");
                match req {
                    KDGETLED => ctx.flags(LED_FLAGS, v.into(), "LED_???"),
                    KDGKBLED => ctx.flags(DEFAULT_LED_FLAGS, v.into(), "LED_???"),
                    _ => ctx.xval(KBD_TYPES, v.into(), "KB_???"),
                }
                ctx.push("]");
            }
            None => ctx.addr(arg),
        },
        KDGETMODE | KDGKBMODE => match ctx.read::<u32>(arg) {
            Some(v) => {
                ctx.push("[");
                if req == KDGETMODE {
                    ctx.xval(MODES, v.into(), "KD_???");
                } else {
                    kbd_mode(ctx, v);
                }
                ctx.push("]");
            }
            None => ctx.addr(arg),
        },
        GIO_SCRNMAP => screen_map(ctx, arg, E_TABSZ),
        _ => {}
    }
}

/// `len` bytes in hex escapes (a screen map, a font, a colour map): strace reads one
/// byte more than `-s` shows and prints the address when that byte can't be read.
fn screen_map(ctx: &mut Ctx<'_>, arg: u64, len: u64) {
    let probe = len.min(ctx.opts.max_strlen as u64 + 1) as usize;
    if arg != 0 && ctx.read_bytes(arg, probe).is_none() {
        ctx.addr(arg);
    } else {
        ctx.buf_ex(arg, len, true);
    }
}

/// `, kb_value=...}` of the `struct kbentry` at `arg`, with the key's name or
/// `K(type, value)` in a comment.
fn kb_value(ctx: &mut Ctx<'_>, arg: u64) {
    ctx.push(", kb_value=");
    let Some(v) = ctx.read::<u16>(arg.wrapping_add(2)) else {
        ctx.push("???}");
        return;
    };
    let v = u64::from(v);
    ctx.hex_value(v);
    if ctx.opts.xlat != XlatStyle::Raw {
        let (ktyp, kval) = (v >> 8, v & 0xff);
        match key_names(ktyp).and_then(|t| text::lookup(t, v)) {
            Some(n) => comment(ctx, n),
            None => {
                ctx.push(" /* K(");
                text::xval(&mut ctx.out, XlatStyle::Abbrev, KEY_TYPES, ktyp, "", true);
                ctx.push(", ");
                if matches!(ktyp, 0 | 8 | 11 | 13) {
                    quoted_char(&mut ctx.out, kval as u8);
                } else {
                    ctx.hex_value(kval);
                }
                ctx.push(") */");
            }
        }
    }
    ctx.push("}");
}

/// `, kb_string="..."}` of the `struct kbsentry` at `arg` (at most 512 bytes, NUL-ended).
fn kb_string(ctx: &mut Ctx<'_>, arg: u64) {
    const SIZE: usize = 512;
    ctx.push(", kb_string=");
    let start = arg.wrapping_add(1);
    let Some(s) = read_cstr(ctx, start, SIZE) else {
        ctx.push("???}");
        return;
    };
    let nul = s.last() == Some(&0);
    let ret = if nul { s.len() } else { 0 };
    let size = ctx
        .opts
        .max_strlen
        .min(if ret == 0 { SIZE } else { ret })
        .min(s.len());
    let shown = &s[..size];
    // QUOTE_OMIT_TRAILING_0: a NUL last is dropped, and then nothing follows.
    let (shown, more) = match shown.split_last() {
        Some((0, rest)) => (rest, false),
        _ => (shown, true),
    };
    text::quote(&mut ctx.out, shown, ctx.opts.hex, false);
    if more {
        ctx.push("...");
    }
    ctx.push("}");
}

/// The size of a pointer in the tracee.
fn ptr_size(ctx: &Ctx<'_>) -> usize {
    match ctx.abi {
        crate::decode::Abi::X86_64 => 8,
        crate::decode::Abi::I386 => 4,
    }
}

/// A pointer at `o` of `b`.
fn ptr_at(ctx: &Ctx<'_>, b: &[u8], o: usize) -> u64 {
    if ptr_size(ctx) == 8 {
        super::fields::u64_at(b, o)
    } else {
        u32_at(b, o).into()
    }
}

/// `struct unimapdesc` at `arg`: the count and the entries' address.
fn unimapdesc(ctx: &Ctx<'_>, arg: u64) -> Option<(u64, u64)> {
    let p = ptr_size(ctx);
    let b = ctx.read_bytes(arg, 2 * p).filter(|_| arg != 0)?;
    Some((u16::from_ne_bytes([b[0], b[1]]).into(), ptr_at(ctx, &b, p)))
}

/// `n` `struct unipair`s at `addr`.
fn unipairs(ctx: &mut Ctx<'_>, addr: u64, n: u64) {
    ctx.array(addr, n, 4, &mut |c, b| {
        let h = |i: usize| u64::from(u16::from_ne_bytes([b[i], b[i + 1]]));
        c.push(&format!(
            "{{unicode={}, fontpos={}}}",
            text::Hx(h(0)),
            text::Hx(h(2))
        ));
    });
}

/// `struct consolefontdesc`: charcount, charheight, chardata.
fn fontdesc(ctx: &Ctx<'_>, arg: u64) -> Option<(u64, u64, u64)> {
    let p = ptr_size(ctx);
    let b = ctx.read_bytes(arg, 2 * p).filter(|_| arg != 0)?;
    let h = |i: usize| u64::from(u16::from_ne_bytes([b[i], b[i + 1]]));
    Some((h(0), h(2), ptr_at(ctx, &b, p)))
}

fn print_fontdesc(ctx: &mut Ctx<'_>, (count, height, data): (u64, u64, u64), ptr_only: bool) {
    ctx.push(&format!(
        "{{charcount={count}, charheight={height}, chardata="
    ));
    if ptr_only {
        ctx.addr(data);
    } else {
        screen_map(ctx, data, count.min(512) * 32);
    }
    ctx.push("}");
}

/// `struct console_font_op`.
struct FontOp {
    op: u32,
    flags: u32,
    width: u32,
    height: u32,
    charcount: u32,
    data: u64,
}

fn font_op(ctx: &Ctx<'_>, arg: u64) -> Option<FontOp> {
    let p = ptr_size(ctx);
    let b = ctx.read_bytes(arg, 20 + p + (p - 4)).filter(|_| arg != 0)?;
    Some(FontOp {
        op: u32_at(&b, 0),
        flags: u32_at(&b, 4),
        width: u32_at(&b, 8),
        height: u32_at(&b, 12),
        charcount: u32_at(&b, 16),
        data: ptr_at(ctx, &b, if p == 8 { 24 } else { 20 }),
    })
}

/// strace's `print_console_font_op`: `exiting` leaves out the operation and its flags.
fn print_font_op(ctx: &mut Ctx<'_>, f: &FontOp, exiting: bool) {
    ctx.push("{");
    if !exiting {
        ctx.push("op=");
        ctx.xval(FONT_OPS, f.op.into(), "KD_FONT_OP_???");
        if !matches!(f.op, KD_FONT_OP_SET_DEFAULT | KD_FONT_OP_COPY) {
            ctx.push(", flags=");
            ctx.flags(FONT_FLAGS, f.flags.into(), "KD_FONT_FLAG_???");
        }
        ctx.push(", ");
    }
    if f.op == KD_FONT_OP_COPY {
        ctx.push(&format!("height={}", f.height));
    } else {
        ctx.push(&format!("width={}, height={}", f.width, f.height));
    }
    if !matches!(f.op, KD_FONT_OP_SET_DEFAULT | KD_FONT_OP_COPY) {
        ctx.push(&format!(", charcount={}", f.charcount));
    }
    match f.op {
        KD_FONT_OP_GET if !exiting => {
            ctx.push(", data=");
            ctx.addr(f.data);
        }
        KD_FONT_OP_GET | KD_FONT_OP_SET => {
            ctx.push(", data=");
            let len = u64::from(f.width.min(32).div_ceil(8)) * 32 * u64::from(f.charcount.min(512));
            screen_map(ctx, f.data, len);
        }
        KD_FONT_OP_SET_DEFAULT => {
            if !exiting {
                ctx.push(", data=");
                font_name(ctx, f.data);
            }
        }
        KD_FONT_OP_COPY => {}
        _ => {
            ctx.push(", data=");
            ctx.addr(f.data);
        }
    }
    ctx.push("}");
}

/// Up to `max` bytes at `addr`, ending at the first NUL (included); `None` when a byte
/// before it can't be read (strace's `umovestr`).
fn read_cstr(ctx: &Ctx<'_>, addr: u64, max: usize) -> Option<Vec<u8>> {
    if let Some(b) = ctx.read_bytes(addr, max) {
        return Some(match b.iter().position(|&c| c == 0) {
            Some(i) => b[..=i].to_vec(),
            None => b,
        });
    }
    let mut s = Vec::with_capacity(max);
    for i in 0..max as u64 {
        let c = ctx.read::<u8>(addr.wrapping_add(i))?;
        s.push(c);
        if c == 0 {
            break;
        }
    }
    Some(s)
}

/// A font name (`KD_FONT_OP_SET_DEFAULT`): strace's `printstr_ex` of 32 bytes with
/// `QUOTE_0_TERMINATED | QUOTE_EXPECT_TRAILING_0`.
fn font_name(ctx: &mut Ctx<'_>, addr: u64) {
    const LEN: usize = 32;
    if addr == 0 {
        ctx.push("NULL");
        return;
    }
    let max = ctx.opts.max_strlen;
    let mut size = (max + 1).min(LEN);
    let Some(s) = read_cstr(ctx, addr, size) else {
        ctx.addr(addr);
        return;
    };
    let mut after = None;
    if size > max {
        size = max;
    } else {
        // strace's sentinel past the fetched bytes: not a NUL.
        after = Some(0xff);
    }
    if size == LEN && size > 0 {
        size -= 1;
        after = None;
    }
    let byte = |i: usize| s.get(i).copied();
    let end = s.iter().take(size).position(|&c| c == 0);
    let shown = &s[..end.unwrap_or(size.min(s.len()))];
    let terminated = end.is_some() || after.or(byte(size)) == Some(0);
    text::quote(&mut ctx.out, shown, ctx.opts.hex, false);
    if !terminated {
        ctx.push("...");
    }
}

/// A keyboard mode, an unknown one as a decimal `int` in every `-X` style (strace's
/// `printxval_d`).
fn kbd_mode(ctx: &mut Ctx<'_>, v: u32) {
    let num = (v as i32).to_string();
    match (ctx.opts.xlat, text::lookup(KBD_MODES, v.into())) {
        (XlatStyle::Raw, _) => ctx.push(&num),
        (XlatStyle::Abbrev, Some(n)) => ctx.push(n),
        (_, n) => {
            ctx.push(&num);
            ctx.push(&format!(" /* {} */", n.unwrap_or("K_???")));
        }
    }
}

/// `{delay=, period=}` of a `struct kbd_repeat`.
fn kbd_repeat(ctx: &mut Ctx<'_>, b: &[u8]) {
    ctx.push(&format!(
        "{{delay={}, period={}}}",
        u32_at(b, 0) as i32,
        u32_at(b, 4) as i32
    ));
}

/// A character as strace's `print_char` with quotes and whitespace escapes: `'a'`,
/// `'\n'`, `'\x80'`.
fn quoted_char(out: &mut String, c: u8) {
    out.push('\'');
    match c {
        b'\'' | b'\\' => {
            out.push('\\');
            out.push(c as char);
        }
        0x20..=0x7e => out.push(c as char),
        b'\t'..=b'\r' => {
            out.push('\\');
            out.push(b"tnvfr"[(c - b'\t') as usize] as char);
        }
        _ => {
            let _ = write!(out, "\\x{c:02x}");
        }
    }
    out.push('\'');
}

/// A unicode screen map: `E_TABSZ` `unsigned short`s.
fn uni_screen_map(ctx: &mut Ctx<'_>, arg: u64) {
    ctx.array(arg, E_TABSZ, 2, &mut |c, b| {
        let v = u64::from(u16::from_ne_bytes([b[0], b[1]]));
        let direct = v & !UNI_DIRECT_MASK == UNI_DIRECT_BASE;
        if c.opts.xlat != XlatStyle::Abbrev || !direct {
            c.hex_value(v);
        }
        if c.opts.xlat == XlatStyle::Raw || !direct {
            return;
        }
        let s = format!("UNI_DIRECT_BASE+{:#x}", v & UNI_DIRECT_MASK);
        if c.opts.xlat == XlatStyle::Verbose {
            comment(c, &s);
        } else {
            c.push(&s);
        }
    });
}

/// `struct kbdiacrs` (`uc`: `struct kbdiacrsuc`): a count and that many diacritics.
fn diacr(ctx: &mut Ctx<'_>, arg: u64, uc: bool) {
    let Some(cnt) = ctx.read::<u32>(arg) else {
        ctx.addr(arg);
        return;
    };
    let cnt = u64::from(cnt);
    ctx.push(&format!(
        "{{kb_cnt={cnt}, {}=",
        if uc { "kbdiacruc" } else { "kbdiacr" }
    ));
    let n = cnt.min(MAX_DIACR);
    let start = len_of(ctx);
    if uc {
        ctx.array(arg + 4, n, 12, &mut |c, b| {
            c.push(&format!(
                "{{diacr={}, base={}, result={}}}",
                text::Hx(u32_at(b, 0).into()),
                text::Hx(u32_at(b, 4).into()),
                text::Hx(u32_at(b, 8).into())
            ));
        });
    } else {
        ctx.array(arg + 4, n, 3, &mut |c, b| {
            c.push("{diacr=");
            quoted_char(&mut c.out, b[0]);
            c.push(", base=");
            quoted_char(&mut c.out, b[1]);
            c.push(", result=");
            quoted_char(&mut c.out, b[2]);
            c.push("}");
        });
    }
    // PAF_ARRAY_TRUNCATED: more than the kernel keeps.
    if cnt > MAX_DIACR && ctx.out.ends_with(']') && !ctx.out[start..].ends_with("...]") {
        ctx.out.pop();
        ctx.push(", ...]");
    }
    ctx.push("}");
}

fn len_of(ctx: &Ctx<'_>) -> usize {
    ctx.out.len()
}
const KEY_FN_KEYS: text::Xlat = &[
    (0x100, "K_F1"),
    (0x101, "K_F2"),
    (0x102, "K_F3"),
    (0x103, "K_F4"),
    (0x104, "K_F5"),
    (0x105, "K_F6"),
    (0x106, "K_F7"),
    (0x107, "K_F8"),
    (0x108, "K_F9"),
    (0x109, "K_F10"),
    (0x10a, "K_F11"),
    (0x10b, "K_F12"),
    (0x10c, "K_F13"),
    (0x10d, "K_F14"),
    (0x10e, "K_F15"),
    (0x10f, "K_F16"),
    (0x110, "K_F17"),
    (0x111, "K_F18"),
    (0x112, "K_F19"),
    (0x113, "K_F20"),
    (0x114, "K_FIND"),
    (0x115, "K_INSERT"),
    (0x116, "K_REMOVE"),
    (0x117, "K_SELECT"),
    (0x118, "K_PGUP"),
    (0x119, "K_PGDN"),
    (0x11a, "K_MACRO"),
    (0x11b, "K_HELP"),
    (0x11c, "K_DO"),
    (0x11d, "K_PAUSE"),
    (0x11e, "K_F21"),
    (0x11f, "K_F22"),
    (0x120, "K_F23"),
    (0x121, "K_F24"),
    (0x122, "K_F25"),
    (0x123, "K_F26"),
    (0x124, "K_F27"),
    (0x125, "K_F28"),
    (0x126, "K_F29"),
    (0x127, "K_F30"),
    (0x128, "K_F31"),
    (0x129, "K_F32"),
    (0x12a, "K_F33"),
    (0x12b, "K_F34"),
    (0x12c, "K_F35"),
    (0x12d, "K_F36"),
    (0x12e, "K_F37"),
    (0x12f, "K_F38"),
    (0x130, "K_F39"),
    (0x131, "K_F40"),
    (0x132, "K_F41"),
    (0x133, "K_F42"),
    (0x134, "K_F43"),
    (0x135, "K_F44"),
    (0x136, "K_F45"),
    (0x137, "K_F46"),
    (0x138, "K_F47"),
    (0x139, "K_F48"),
    (0x13a, "K_F49"),
    (0x13b, "K_F50"),
    (0x13c, "K_F51"),
    (0x13d, "K_F52"),
    (0x13e, "K_F53"),
    (0x13f, "K_F54"),
    (0x140, "K_F55"),
    (0x141, "K_F56"),
    (0x142, "K_F57"),
    (0x143, "K_F58"),
    (0x144, "K_F59"),
    (0x145, "K_F60"),
    (0x146, "K_F61"),
    (0x147, "K_F62"),
    (0x148, "K_F63"),
    (0x149, "K_F64"),
    (0x14a, "K_F65"),
    (0x14b, "K_F66"),
    (0x14c, "K_F67"),
    (0x14d, "K_F68"),
    (0x14e, "K_F69"),
    (0x14f, "K_F70"),
    (0x150, "K_F71"),
    (0x151, "K_F72"),
    (0x152, "K_F73"),
    (0x153, "K_F74"),
    (0x154, "K_F75"),
    (0x155, "K_F76"),
    (0x156, "K_F77"),
    (0x157, "K_F78"),
    (0x158, "K_F79"),
    (0x159, "K_F80"),
    (0x15a, "K_F81"),
    (0x15b, "K_F82"),
    (0x15c, "K_F83"),
    (0x15d, "K_F84"),
    (0x15e, "K_F85"),
    (0x15f, "K_F86"),
    (0x160, "K_F87"),
    (0x161, "K_F88"),
    (0x162, "K_F89"),
    (0x163, "K_F90"),
    (0x164, "K_F91"),
    (0x165, "K_F92"),
    (0x166, "K_F93"),
    (0x167, "K_F94"),
    (0x168, "K_F95"),
    (0x169, "K_F96"),
    (0x16a, "K_F97"),
    (0x16b, "K_F98"),
    (0x16c, "K_F99"),
    (0x16d, "K_F100"),
    (0x16e, "K_F101"),
    (0x16f, "K_F102"),
    (0x170, "K_F103"),
    (0x171, "K_F104"),
    (0x172, "K_F105"),
    (0x173, "K_F106"),
    (0x174, "K_F107"),
    (0x175, "K_F108"),
    (0x176, "K_F109"),
    (0x177, "K_F110"),
    (0x178, "K_F111"),
    (0x179, "K_F112"),
    (0x17a, "K_F113"),
    (0x17b, "K_F114"),
    (0x17c, "K_F115"),
    (0x17d, "K_F116"),
    (0x17e, "K_F117"),
    (0x17f, "K_F118"),
    (0x180, "K_F119"),
    (0x181, "K_F120"),
    (0x182, "K_F121"),
    (0x183, "K_F122"),
    (0x184, "K_F123"),
    (0x185, "K_F124"),
    (0x186, "K_F125"),
    (0x187, "K_F126"),
    (0x188, "K_F127"),
    (0x189, "K_F128"),
    (0x18a, "K_F129"),
    (0x18b, "K_F130"),
    (0x18c, "K_F131"),
    (0x18d, "K_F132"),
    (0x18e, "K_F133"),
    (0x18f, "K_F134"),
    (0x190, "K_F135"),
    (0x191, "K_F136"),
    (0x192, "K_F137"),
    (0x193, "K_F138"),
    (0x194, "K_F139"),
    (0x195, "K_F140"),
    (0x196, "K_F141"),
    (0x197, "K_F142"),
    (0x198, "K_F143"),
    (0x199, "K_F144"),
    (0x19a, "K_F145"),
    (0x19b, "K_F146"),
    (0x19c, "K_F147"),
    (0x19d, "K_F148"),
    (0x19e, "K_F149"),
    (0x19f, "K_F150"),
    (0x1a0, "K_F151"),
    (0x1a1, "K_F152"),
    (0x1a2, "K_F153"),
    (0x1a3, "K_F154"),
    (0x1a4, "K_F155"),
    (0x1a5, "K_F156"),
    (0x1a6, "K_F157"),
    (0x1a7, "K_F158"),
    (0x1a8, "K_F159"),
    (0x1a9, "K_F160"),
    (0x1aa, "K_F161"),
    (0x1ab, "K_F162"),
    (0x1ac, "K_F163"),
    (0x1ad, "K_F164"),
    (0x1ae, "K_F165"),
    (0x1af, "K_F166"),
    (0x1b0, "K_F167"),
    (0x1b1, "K_F168"),
    (0x1b2, "K_F169"),
    (0x1b3, "K_F170"),
    (0x1b4, "K_F171"),
    (0x1b5, "K_F172"),
    (0x1b6, "K_F173"),
    (0x1b7, "K_F174"),
    (0x1b8, "K_F175"),
    (0x1b9, "K_F176"),
    (0x1ba, "K_F177"),
    (0x1bb, "K_F178"),
    (0x1bc, "K_F179"),
    (0x1bd, "K_F180"),
    (0x1be, "K_F181"),
    (0x1bf, "K_F182"),
    (0x1c0, "K_F183"),
    (0x1c1, "K_F184"),
    (0x1c2, "K_F185"),
    (0x1c3, "K_F186"),
    (0x1c4, "K_F187"),
    (0x1c5, "K_F188"),
    (0x1c6, "K_F189"),
    (0x1c7, "K_F190"),
    (0x1c8, "K_F191"),
    (0x1c9, "K_F192"),
    (0x1ca, "K_F193"),
    (0x1cb, "K_F194"),
    (0x1cc, "K_F195"),
    (0x1cd, "K_F196"),
    (0x1ce, "K_F197"),
    (0x1cf, "K_F198"),
    (0x1d0, "K_F199"),
    (0x1d1, "K_F200"),
    (0x1d2, "K_F201"),
    (0x1d3, "K_F202"),
    (0x1d4, "K_F203"),
    (0x1d5, "K_F204"),
    (0x1d6, "K_F205"),
    (0x1d7, "K_F206"),
    (0x1d8, "K_F207"),
    (0x1d9, "K_F208"),
    (0x1da, "K_F209"),
    (0x1db, "K_F210"),
    (0x1dc, "K_F211"),
    (0x1dd, "K_F212"),
    (0x1de, "K_F213"),
    (0x1df, "K_F214"),
    (0x1e0, "K_F215"),
    (0x1e1, "K_F216"),
    (0x1e2, "K_F217"),
    (0x1e3, "K_F218"),
    (0x1e4, "K_F219"),
    (0x1e5, "K_F220"),
    (0x1e6, "K_F221"),
    (0x1e7, "K_F222"),
    (0x1e8, "K_F223"),
    (0x1e9, "K_F224"),
    (0x1ea, "K_F225"),
    (0x1eb, "K_F226"),
    (0x1ec, "K_F227"),
    (0x1ed, "K_F228"),
    (0x1ee, "K_F229"),
    (0x1ef, "K_F230"),
    (0x1f0, "K_F231"),
    (0x1f1, "K_F232"),
    (0x1f2, "K_F233"),
    (0x1f3, "K_F234"),
    (0x1f4, "K_F235"),
    (0x1f5, "K_F236"),
    (0x1f6, "K_F237"),
    (0x1f7, "K_F238"),
    (0x1f8, "K_F239"),
    (0x1f9, "K_F240"),
    (0x1fa, "K_F241"),
    (0x1fb, "K_F242"),
    (0x1fc, "K_F243"),
    (0x1fd, "K_F244"),
    (0x1fe, "K_F245"),
    (0x1ff, "K_UNDO"),
];
const KEY_SPEC_KEYS: text::Xlat = &[
    (0x200, "K_HOLE"),
    (0x201, "K_ENTER"),
    (0x202, "K_SH_REGS"),
    (0x203, "K_SH_MEM"),
    (0x204, "K_SH_STAT"),
    (0x205, "K_BREAK"),
    (0x206, "K_CONS"),
    (0x207, "K_CAPS"),
    (0x208, "K_NUM"),
    (0x209, "K_HOLD"),
    (0x20a, "K_SCROLLFORW"),
    (0x20b, "K_SCROLLBACK"),
    (0x20c, "K_BOOT"),
    (0x20d, "K_CAPSON"),
    (0x20e, "K_COMPOSE"),
    (0x20f, "K_SAK"),
    (0x210, "K_DECRCONSOLE"),
    (0x211, "K_INCRCONSOLE"),
    (0x212, "K_SPAWNCONSOLE"),
    (0x213, "K_BARENUMLOCK"),
    (0x27e, "K_ALLOCATED"),
    (0x27f, "K_NOSUCHMAP"),
];
const KEY_PAD_KEYS: text::Xlat = &[
    (0x300, "K_P0"),
    (0x301, "K_P1"),
    (0x302, "K_P2"),
    (0x303, "K_P3"),
    (0x304, "K_P4"),
    (0x305, "K_P5"),
    (0x306, "K_P6"),
    (0x307, "K_P7"),
    (0x308, "K_P8"),
    (0x309, "K_P9"),
    (0x30a, "K_PPLUS"),
    (0x30b, "K_PMINUS"),
    (0x30c, "K_PSTAR"),
    (0x30d, "K_PSLASH"),
    (0x30e, "K_PENTER"),
    (0x30f, "K_PCOMMA"),
    (0x310, "K_PDOT"),
    (0x311, "K_PPLUSMINUS"),
    (0x312, "K_PPARENL"),
    (0x313, "K_PPARENR"),
];
const KEY_DEAD_KEYS: text::Xlat = &[
    (0x400, "K_DGRAVE"),
    (0x401, "K_DACUTE"),
    (0x402, "K_DCIRCM"),
    (0x403, "K_DTILDE"),
    (0x404, "K_DDIERE"),
    (0x405, "K_DCEDIL"),
    (0x406, "K_DMACRON"),
    (0x407, "K_DBREVE"),
    (0x408, "K_DABDOT"),
    (0x409, "K_DABRING"),
    (0x40a, "K_DDBACUTE"),
    (0x40b, "K_DCARON"),
    (0x40c, "K_DOGONEK"),
    (0x40d, "K_DIOTA"),
    (0x40e, "K_DVOICED"),
    (0x40f, "K_DSEMVOICED"),
    (0x410, "K_DBEDOT"),
    (0x411, "K_DHOOK"),
    (0x412, "K_DHORN"),
    (0x413, "K_DSTROKE"),
    (0x414, "K_DABCOMMA"),
    (0x415, "K_DABREVCOMMA"),
    (0x416, "K_DDBGRAVE"),
    (0x417, "K_DINVBREVE"),
    (0x418, "K_DBECOMMA"),
    (0x419, "K_DCURRENCY"),
    (0x41a, "K_DGREEK"),
];
const KEY_CUR_KEYS: text::Xlat = &[
    (0x600, "K_DOWN"),
    (0x601, "K_LEFT"),
    (0x602, "K_RIGHT"),
    (0x603, "K_UP"),
];
const KEY_SHIFT_KEYS: text::Xlat = &[
    (0x700, "K_SHIFT"),
    (0x701, "K_ALTGR"),
    (0x702, "K_CTRL"),
    (0x703, "K_ALT"),
    (0x704, "K_SHIFTL"),
    (0x705, "K_SHIFTR"),
    (0x706, "K_CTRLL"),
    (0x707, "K_CTRLR"),
    (0x708, "K_CAPSSHIFT"),
];
const KEY_ASCII_KEYS: text::Xlat = &[
    (0x900, "K_ASC0"),
    (0x901, "K_ASC1"),
    (0x902, "K_ASC2"),
    (0x903, "K_ASC3"),
    (0x904, "K_ASC4"),
    (0x905, "K_ASC5"),
    (0x906, "K_ASC6"),
    (0x907, "K_ASC7"),
    (0x908, "K_ASC8"),
    (0x909, "K_ASC9"),
    (0x90a, "K_HEX0"),
    (0x90b, "K_HEX1"),
    (0x90c, "K_HEX2"),
    (0x90d, "K_HEX3"),
    (0x90e, "K_HEX4"),
    (0x90f, "K_HEX5"),
    (0x910, "K_HEX6"),
    (0x911, "K_HEX7"),
    (0x912, "K_HEX8"),
    (0x913, "K_HEX9"),
    (0x914, "K_HEXa"),
    (0x915, "K_HEXb"),
    (0x916, "K_HEXc"),
    (0x917, "K_HEXd"),
    (0x918, "K_HEXe"),
    (0x919, "K_HEXf"),
];
const KEY_LOCK_KEYS: text::Xlat = &[
    (0xa00, "K_SHIFTLOCK"),
    (0xa01, "K_ALTGRLOCK"),
    (0xa02, "K_CTRLLOCK"),
    (0xa03, "K_ALTLOCK"),
    (0xa04, "K_SHIFTLLOCK"),
    (0xa05, "K_SHIFTRLOCK"),
    (0xa06, "K_CTRLLLOCK"),
    (0xa07, "K_CTRLRLOCK"),
    (0xa08, "K_CAPSSHIFTLOCK"),
];
const KEY_SLOCK_KEYS: text::Xlat = &[
    (0xc00, "K_SHIFT_SLOCK"),
    (0xc01, "K_ALTGR_SLOCK"),
    (0xc02, "K_CTRL_SLOCK"),
    (0xc03, "K_ALT_SLOCK"),
    (0xc04, "K_SHIFTL_SLOCK"),
    (0xc05, "K_SHIFTR_SLOCK"),
    (0xc06, "K_CTRLL_SLOCK"),
    (0xc07, "K_CTRLR_SLOCK"),
    (0xc08, "K_CAPSSHIFT_SLOCK"),
];
const KEY_BRL_KEYS: text::Xlat = &[
    (0xe00, "K_BRL_BLANK"),
    (0xe01, "K_BRL_DOT1"),
    (0xe02, "K_BRL_DOT2"),
    (0xe03, "K_BRL_DOT3"),
    (0xe04, "K_BRL_DOT4"),
    (0xe05, "K_BRL_DOT5"),
    (0xe06, "K_BRL_DOT6"),
    (0xe07, "K_BRL_DOT7"),
    (0xe08, "K_BRL_DOT8"),
    (0xe09, "K_BRL_DOT9"),
    (0xe0a, "K_BRL_DOT10"),
];
const KEY_FN_KEY_VALS: text::Xlat = &[
    (0x0, "KVAL(K_F1)"),
    (0x1, "KVAL(K_F2)"),
    (0x2, "KVAL(K_F3)"),
    (0x3, "KVAL(K_F4)"),
    (0x4, "KVAL(K_F5)"),
    (0x5, "KVAL(K_F6)"),
    (0x6, "KVAL(K_F7)"),
    (0x7, "KVAL(K_F8)"),
    (0x8, "KVAL(K_F9)"),
    (0x9, "KVAL(K_F10)"),
    (0xa, "KVAL(K_F11)"),
    (0xb, "KVAL(K_F12)"),
    (0xc, "KVAL(K_F13)"),
    (0xd, "KVAL(K_F14)"),
    (0xe, "KVAL(K_F15)"),
    (0xf, "KVAL(K_F16)"),
    (0x10, "KVAL(K_F17)"),
    (0x11, "KVAL(K_F18)"),
    (0x12, "KVAL(K_F19)"),
    (0x13, "KVAL(K_F20)"),
    (0x14, "KVAL(K_FIND)"),
    (0x15, "KVAL(K_INSERT)"),
    (0x16, "KVAL(K_REMOVE)"),
    (0x17, "KVAL(K_SELECT)"),
    (0x18, "KVAL(K_PGUP)"),
    (0x19, "KVAL(K_PGDN)"),
    (0x1a, "KVAL(K_MACRO)"),
    (0x1b, "KVAL(K_HELP)"),
    (0x1c, "KVAL(K_DO)"),
    (0x1d, "KVAL(K_PAUSE)"),
    (0x1e, "KVAL(K_F21)"),
    (0x1f, "KVAL(K_F22)"),
    (0x20, "KVAL(K_F23)"),
    (0x21, "KVAL(K_F24)"),
    (0x22, "KVAL(K_F25)"),
    (0x23, "KVAL(K_F26)"),
    (0x24, "KVAL(K_F27)"),
    (0x25, "KVAL(K_F28)"),
    (0x26, "KVAL(K_F29)"),
    (0x27, "KVAL(K_F30)"),
    (0x28, "KVAL(K_F31)"),
    (0x29, "KVAL(K_F32)"),
    (0x2a, "KVAL(K_F33)"),
    (0x2b, "KVAL(K_F34)"),
    (0x2c, "KVAL(K_F35)"),
    (0x2d, "KVAL(K_F36)"),
    (0x2e, "KVAL(K_F37)"),
    (0x2f, "KVAL(K_F38)"),
    (0x30, "KVAL(K_F39)"),
    (0x31, "KVAL(K_F40)"),
    (0x32, "KVAL(K_F41)"),
    (0x33, "KVAL(K_F42)"),
    (0x34, "KVAL(K_F43)"),
    (0x35, "KVAL(K_F44)"),
    (0x36, "KVAL(K_F45)"),
    (0x37, "KVAL(K_F46)"),
    (0x38, "KVAL(K_F47)"),
    (0x39, "KVAL(K_F48)"),
    (0x3a, "KVAL(K_F49)"),
    (0x3b, "KVAL(K_F50)"),
    (0x3c, "KVAL(K_F51)"),
    (0x3d, "KVAL(K_F52)"),
    (0x3e, "KVAL(K_F53)"),
    (0x3f, "KVAL(K_F54)"),
    (0x40, "KVAL(K_F55)"),
    (0x41, "KVAL(K_F56)"),
    (0x42, "KVAL(K_F57)"),
    (0x43, "KVAL(K_F58)"),
    (0x44, "KVAL(K_F59)"),
    (0x45, "KVAL(K_F60)"),
    (0x46, "KVAL(K_F61)"),
    (0x47, "KVAL(K_F62)"),
    (0x48, "KVAL(K_F63)"),
    (0x49, "KVAL(K_F64)"),
    (0x4a, "KVAL(K_F65)"),
    (0x4b, "KVAL(K_F66)"),
    (0x4c, "KVAL(K_F67)"),
    (0x4d, "KVAL(K_F68)"),
    (0x4e, "KVAL(K_F69)"),
    (0x4f, "KVAL(K_F70)"),
    (0x50, "KVAL(K_F71)"),
    (0x51, "KVAL(K_F72)"),
    (0x52, "KVAL(K_F73)"),
    (0x53, "KVAL(K_F74)"),
    (0x54, "KVAL(K_F75)"),
    (0x55, "KVAL(K_F76)"),
    (0x56, "KVAL(K_F77)"),
    (0x57, "KVAL(K_F78)"),
    (0x58, "KVAL(K_F79)"),
    (0x59, "KVAL(K_F80)"),
    (0x5a, "KVAL(K_F81)"),
    (0x5b, "KVAL(K_F82)"),
    (0x5c, "KVAL(K_F83)"),
    (0x5d, "KVAL(K_F84)"),
    (0x5e, "KVAL(K_F85)"),
    (0x5f, "KVAL(K_F86)"),
    (0x60, "KVAL(K_F87)"),
    (0x61, "KVAL(K_F88)"),
    (0x62, "KVAL(K_F89)"),
    (0x63, "KVAL(K_F90)"),
    (0x64, "KVAL(K_F91)"),
    (0x65, "KVAL(K_F92)"),
    (0x66, "KVAL(K_F93)"),
    (0x67, "KVAL(K_F94)"),
    (0x68, "KVAL(K_F95)"),
    (0x69, "KVAL(K_F96)"),
    (0x6a, "KVAL(K_F97)"),
    (0x6b, "KVAL(K_F98)"),
    (0x6c, "KVAL(K_F99)"),
    (0x6d, "KVAL(K_F100)"),
    (0x6e, "KVAL(K_F101)"),
    (0x6f, "KVAL(K_F102)"),
    (0x70, "KVAL(K_F103)"),
    (0x71, "KVAL(K_F104)"),
    (0x72, "KVAL(K_F105)"),
    (0x73, "KVAL(K_F106)"),
    (0x74, "KVAL(K_F107)"),
    (0x75, "KVAL(K_F108)"),
    (0x76, "KVAL(K_F109)"),
    (0x77, "KVAL(K_F110)"),
    (0x78, "KVAL(K_F111)"),
    (0x79, "KVAL(K_F112)"),
    (0x7a, "KVAL(K_F113)"),
    (0x7b, "KVAL(K_F114)"),
    (0x7c, "KVAL(K_F115)"),
    (0x7d, "KVAL(K_F116)"),
    (0x7e, "KVAL(K_F117)"),
    (0x7f, "KVAL(K_F118)"),
    (0x80, "KVAL(K_F119)"),
    (0x81, "KVAL(K_F120)"),
    (0x82, "KVAL(K_F121)"),
    (0x83, "KVAL(K_F122)"),
    (0x84, "KVAL(K_F123)"),
    (0x85, "KVAL(K_F124)"),
    (0x86, "KVAL(K_F125)"),
    (0x87, "KVAL(K_F126)"),
    (0x88, "KVAL(K_F127)"),
    (0x89, "KVAL(K_F128)"),
    (0x8a, "KVAL(K_F129)"),
    (0x8b, "KVAL(K_F130)"),
    (0x8c, "KVAL(K_F131)"),
    (0x8d, "KVAL(K_F132)"),
    (0x8e, "KVAL(K_F133)"),
    (0x8f, "KVAL(K_F134)"),
    (0x90, "KVAL(K_F135)"),
    (0x91, "KVAL(K_F136)"),
    (0x92, "KVAL(K_F137)"),
    (0x93, "KVAL(K_F138)"),
    (0x94, "KVAL(K_F139)"),
    (0x95, "KVAL(K_F140)"),
    (0x96, "KVAL(K_F141)"),
    (0x97, "KVAL(K_F142)"),
    (0x98, "KVAL(K_F143)"),
    (0x99, "KVAL(K_F144)"),
    (0x9a, "KVAL(K_F145)"),
    (0x9b, "KVAL(K_F146)"),
    (0x9c, "KVAL(K_F147)"),
    (0x9d, "KVAL(K_F148)"),
    (0x9e, "KVAL(K_F149)"),
    (0x9f, "KVAL(K_F150)"),
    (0xa0, "KVAL(K_F151)"),
    (0xa1, "KVAL(K_F152)"),
    (0xa2, "KVAL(K_F153)"),
    (0xa3, "KVAL(K_F154)"),
    (0xa4, "KVAL(K_F155)"),
    (0xa5, "KVAL(K_F156)"),
    (0xa6, "KVAL(K_F157)"),
    (0xa7, "KVAL(K_F158)"),
    (0xa8, "KVAL(K_F159)"),
    (0xa9, "KVAL(K_F160)"),
    (0xaa, "KVAL(K_F161)"),
    (0xab, "KVAL(K_F162)"),
    (0xac, "KVAL(K_F163)"),
    (0xad, "KVAL(K_F164)"),
    (0xae, "KVAL(K_F165)"),
    (0xaf, "KVAL(K_F166)"),
    (0xb0, "KVAL(K_F167)"),
    (0xb1, "KVAL(K_F168)"),
    (0xb2, "KVAL(K_F169)"),
    (0xb3, "KVAL(K_F170)"),
    (0xb4, "KVAL(K_F171)"),
    (0xb5, "KVAL(K_F172)"),
    (0xb6, "KVAL(K_F173)"),
    (0xb7, "KVAL(K_F174)"),
    (0xb8, "KVAL(K_F175)"),
    (0xb9, "KVAL(K_F176)"),
    (0xba, "KVAL(K_F177)"),
    (0xbb, "KVAL(K_F178)"),
    (0xbc, "KVAL(K_F179)"),
    (0xbd, "KVAL(K_F180)"),
    (0xbe, "KVAL(K_F181)"),
    (0xbf, "KVAL(K_F182)"),
    (0xc0, "KVAL(K_F183)"),
    (0xc1, "KVAL(K_F184)"),
    (0xc2, "KVAL(K_F185)"),
    (0xc3, "KVAL(K_F186)"),
    (0xc4, "KVAL(K_F187)"),
    (0xc5, "KVAL(K_F188)"),
    (0xc6, "KVAL(K_F189)"),
    (0xc7, "KVAL(K_F190)"),
    (0xc8, "KVAL(K_F191)"),
    (0xc9, "KVAL(K_F192)"),
    (0xca, "KVAL(K_F193)"),
    (0xcb, "KVAL(K_F194)"),
    (0xcc, "KVAL(K_F195)"),
    (0xcd, "KVAL(K_F196)"),
    (0xce, "KVAL(K_F197)"),
    (0xcf, "KVAL(K_F198)"),
    (0xd0, "KVAL(K_F199)"),
    (0xd1, "KVAL(K_F200)"),
    (0xd2, "KVAL(K_F201)"),
    (0xd3, "KVAL(K_F202)"),
    (0xd4, "KVAL(K_F203)"),
    (0xd5, "KVAL(K_F204)"),
    (0xd6, "KVAL(K_F205)"),
    (0xd7, "KVAL(K_F206)"),
    (0xd8, "KVAL(K_F207)"),
    (0xd9, "KVAL(K_F208)"),
    (0xda, "KVAL(K_F209)"),
    (0xdb, "KVAL(K_F210)"),
    (0xdc, "KVAL(K_F211)"),
    (0xdd, "KVAL(K_F212)"),
    (0xde, "KVAL(K_F213)"),
    (0xdf, "KVAL(K_F214)"),
    (0xe0, "KVAL(K_F215)"),
    (0xe1, "KVAL(K_F216)"),
    (0xe2, "KVAL(K_F217)"),
    (0xe3, "KVAL(K_F218)"),
    (0xe4, "KVAL(K_F219)"),
    (0xe5, "KVAL(K_F220)"),
    (0xe6, "KVAL(K_F221)"),
    (0xe7, "KVAL(K_F222)"),
    (0xe8, "KVAL(K_F223)"),
    (0xe9, "KVAL(K_F224)"),
    (0xea, "KVAL(K_F225)"),
    (0xeb, "KVAL(K_F226)"),
    (0xec, "KVAL(K_F227)"),
    (0xed, "KVAL(K_F228)"),
    (0xee, "KVAL(K_F229)"),
    (0xef, "KVAL(K_F230)"),
    (0xf0, "KVAL(K_F231)"),
    (0xf1, "KVAL(K_F232)"),
    (0xf2, "KVAL(K_F233)"),
    (0xf3, "KVAL(K_F234)"),
    (0xf4, "KVAL(K_F235)"),
    (0xf5, "KVAL(K_F236)"),
    (0xf6, "KVAL(K_F237)"),
    (0xf7, "KVAL(K_F238)"),
    (0xf8, "KVAL(K_F239)"),
    (0xf9, "KVAL(K_F240)"),
    (0xfa, "KVAL(K_F241)"),
    (0xfb, "KVAL(K_F242)"),
    (0xfc, "KVAL(K_F243)"),
    (0xfd, "KVAL(K_F244)"),
    (0xfe, "KVAL(K_F245)"),
    (0xff, "KVAL(K_UNDO)"),
];
