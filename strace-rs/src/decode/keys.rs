//! `keyctl`, in strace's format (strace's `keyctl.c`): every command with its arguments, the
//! structures of Diffie-Hellman and public-key commands, the buffers read back at exit.

use std::fmt::Write as _;

use super::calls_xlat as kx;
use super::system::KEY_SPEC;
use super::Decoder::{self, Func};
use super::{Ctx, Step};
use crate::text;

pub fn decoder(name: &str) -> Option<Decoder> {
    match name {
        "keyctl" => Some(Func(keyctl)),
        _ => None,
    }
}

/// A key serial number: `KEY_SPEC_SESSION_KEYRING` or decimal (strace's `printxval_d`).
fn serial(ctx: &mut Ctx<'_>, id: u64) {
    named_dec(ctx, KEY_SPEC, id & 0xffff_ffff, "");
}

/// A C `int` named by `table` (which holds its 32-bit pattern), in decimal in every `-X`
/// style: `-1 /* KEY_SPEC_THREAD_KEYRING */` verbose, `-1` raw; `dflt` comments an unknown
/// one.
fn named_dec(ctx: &mut Ctx<'_>, table: text::Xlat, v: u64, dflt: &str) {
    let n = v as u32 as i32;
    match (text::lookup(table, v), ctx.opts.xlat) {
        (Some(name), text::XlatStyle::Abbrev) => ctx.push(name),
        (Some(name), text::XlatStyle::Verbose) => {
            let _ = write!(ctx.out, "{n} /* {name} */");
        }
        (None, text::XlatStyle::Abbrev | text::XlatStyle::Verbose) if !dflt.is_empty() => {
            let _ = write!(ctx.out, "{n} /* {dflt} */");
        }
        _ => {
            let _ = write!(ctx.out, "{n}");
        }
    }
}

/// A uid or gid: `-1` for (uid_t) -1.
fn uid(ctx: &mut Ctx<'_>, v: u64) {
    let v = v as u32;
    if v == u32::MAX {
        ctx.push("-1");
    } else {
        let _ = write!(ctx.out, "{v}");
    }
}

/// `__spare=[0x1, 0, ...]` after a structure's fields, when any is not zero.
fn spare(ctx: &mut Ctx<'_>, b: &[u8]) {
    if b.iter().all(|&x| x == 0) {
        return;
    }
    ctx.push(", __spare=[");
    for (i, w) in b.chunks_exact(4).enumerate() {
        if i > 0 {
            ctx.comma();
        }
        let v = u32::from_ne_bytes(w.try_into().unwrap());
        ctx.hex_value(u64::from(v));
    }
    ctx.push("]");
}

fn u32_at(b: &[u8], o: usize) -> u32 {
    u32::from_ne_bytes(b[o..o + 4].try_into().unwrap())
}

fn keyctl(ctx: &mut Ctx<'_>) -> Step {
    let cmd = ctx.arg(0) as u32;
    let (a2, a3, a4, a5) = (ctx.arg(1), ctx.arg(2), ctx.arg(3), ctx.arg(4));
    if !ctx.exiting {
        ctx.xval(kx::KEYCTL_COMMANDS, u64::from(cmd), "KEYCTL_???");
        // KEYCTL_SESSION_TO_PARENT has no arguments.
        if cmd != 18 {
            ctx.comma();
        }
    }
    match cmd {
        // KEYCTL_GET_KEYRING_ID
        0 => {
            serial(ctx, a2);
            let _ = write!(ctx.out, ", {}", a3 as i32);
        }
        // KEYCTL_JOIN_SESSION_KEYRING
        1 => ctx.cstr_at(a2),
        // KEYCTL_UPDATE
        2 => {
            serial(ctx, a2);
            ctx.comma();
            ctx.buf(a3, a4);
            ctx.comma();
            ctx.ulong(3);
        }
        // KEYCTL_REVOKE, KEYCTL_CLEAR, KEYCTL_INVALIDATE, KEYCTL_ASSUME_AUTHORITY
        3 | 7 | 21 | 16 => serial(ctx, a2),
        // KEYCTL_LINK, KEYCTL_UNLINK
        8 | 9 => {
            serial(ctx, a2);
            ctx.comma();
            serial(ctx, a3);
        }
        // KEYCTL_DESCRIBE, KEYCTL_READ, KEYCTL_GET_SECURITY
        6 | 11 | 17 => {
            if !ctx.exiting {
                serial(ctx, a2);
                ctx.comma();
                return Step::Exit;
            }
            if ctx.error {
                ctx.addr(a3);
            } else {
                let n = if ctx.rval >= 0 && ctx.rval as u64 > a4 {
                    a4
                } else {
                    ctx.rval as u64
                };
                ctx.str_ex(a3, n, cmd != 11);
            }
            ctx.comma();
            ctx.ulong(3);
        }
        // KEYCTL_SEARCH
        10 => {
            serial(ctx, a2);
            ctx.comma();
            ctx.cstr_at(a3);
            ctx.comma();
            ctx.cstr_at(a4);
            ctx.comma();
            serial(ctx, a5);
        }
        // KEYCTL_CHOWN
        4 => {
            serial(ctx, a2);
            ctx.comma();
            uid(ctx, a3);
            ctx.comma();
            uid(ctx, a4);
        }
        // KEYCTL_SETPERM
        5 => {
            serial(ctx, a2);
            ctx.comma();
            ctx.flags(kx::KEY_PERMS, a3 & 0xffff_ffff, "KEY_???");
        }
        // KEYCTL_INSTANTIATE
        12 => {
            serial(ctx, a2);
            ctx.comma();
            ctx.buf(a3, a4);
            ctx.comma();
            ctx.ulong(3);
            ctx.comma();
            serial(ctx, a5);
        }
        // KEYCTL_NEGATE
        13 => {
            serial(ctx, a2);
            let _ = write!(ctx.out, ", {}, ", a3 as u32);
            serial(ctx, a4);
        }
        // KEYCTL_SET_REQKEY_KEYRING
        14 => {
            // The table holds the values sign-extended.
            let v = a2 as u32 as i32 as i64 as u64;
            match (text::lookup(kx::KEY_REQKEYS, v), ctx.opts.xlat) {
                (Some(name), text::XlatStyle::Abbrev) => ctx.push(name),
                (Some(name), text::XlatStyle::Verbose) => {
                    let _ = write!(ctx.out, "{} /* {name} */", v as i32);
                }
                (None, text::XlatStyle::Raw) | (Some(_), text::XlatStyle::Raw) => {
                    let _ = write!(ctx.out, "{}", v as i32);
                }
                (None, _) => {
                    let _ = write!(ctx.out, "{} /* KEY_REQKEY_DEFL_??? */", v as i32);
                }
            }
        }
        // KEYCTL_SET_TIMEOUT
        15 => {
            serial(ctx, a2);
            let _ = write!(ctx.out, ", {}", a3 as u32);
        }
        // KEYCTL_SESSION_TO_PARENT
        18 => {}
        // KEYCTL_REJECT
        19 => {
            serial(ctx, a2);
            let _ = write!(ctx.out, ", {}, ", a3 as u32);
            let e = a4 as u32;
            match crate::errno_names::errno_name(u64::from(e)) {
                Some(n) if ctx.opts.xlat == text::XlatStyle::Abbrev => ctx.push(n),
                Some(n) if ctx.opts.xlat == text::XlatStyle::Verbose => {
                    let _ = write!(ctx.out, "{e} /* {n} */");
                }
                _ => {
                    let _ = write!(ctx.out, "{e}");
                }
            }
            ctx.comma();
            serial(ctx, a5);
        }
        // KEYCTL_INSTANTIATE_IOV
        20 => {
            serial(ctx, a2);
            ctx.comma();
            super::structs::iovec(ctx, a3, a4, None, true);
            ctx.comma();
            ctx.ulong(3);
            ctx.comma();
            serial(ctx, a5);
        }
        // KEYCTL_GET_PERSISTENT
        22 => {
            uid(ctx, a2);
            ctx.comma();
            serial(ctx, a3);
        }
        // KEYCTL_DH_COMPUTE
        23 => return dh_compute(ctx, a2, a3, a4, a5),
        // KEYCTL_PKEY_QUERY
        24 => {
            if !ctx.exiting {
                serial(ctx, a2);
                ctx.comma();
                ctx.hex_value(a3);
                ctx.comma();
                ctx.cstr_at(a4);
                ctx.comma();
                return Step::Exit;
            }
            pkey_query(ctx, a5);
        }
        // KEYCTL_PKEY_ENCRYPT, KEYCTL_PKEY_DECRYPT, KEYCTL_PKEY_SIGN, KEYCTL_PKEY_VERIFY
        25..=28 => return pkey_op(ctx, a2, a3, a4, a5, cmd != 28),
        // KEYCTL_RESTRICT_KEYRING
        29 => {
            serial(ctx, a2);
            ctx.comma();
            ctx.cstr_at(a3);
            ctx.comma();
            ctx.cstr_at(a4);
        }
        // KEYCTL_MOVE
        30 => {
            serial(ctx, a2);
            ctx.comma();
            serial(ctx, a3);
            ctx.comma();
            serial(ctx, a4);
            ctx.comma();
            ctx.flags(kx::KEYCTL_MOVE_FLAGS, a5 & 0xffff_ffff, "KEYCTL_MOVE_???");
        }
        // KEYCTL_CAPABILITIES
        31 => {
            if !ctx.exiting {
                return Step::Exit;
            }
            if ctx.error {
                ctx.addr(a2);
            } else {
                capabilities(ctx, a2, a3.min(ctx.rval as u64));
            }
            ctx.comma();
            ctx.ulong(2);
        }
        _ => {
            for (i, v) in [a2, a3, a4, a5].into_iter().enumerate() {
                if i > 0 {
                    ctx.comma();
                }
                ctx.hex_value(v);
            }
        }
    }
    Step::Decoded
}

/// The capability bytes `KEYCTL_CAPABILITIES` filled: flags of the first two bytes, the
/// others in hex.
fn capabilities(ctx: &mut Ctx<'_>, addr: u64, n: u64) {
    if addr == 0 {
        ctx.push("NULL");
        return;
    }
    if n == 0 {
        ctx.push("[]");
        return;
    }
    let shown = if ctx.opts.verbose {
        n
    } else {
        n.min(ctx.opts.max_strlen as u64)
    };
    let Some(b) = ctx.read_bytes(addr, shown as usize) else {
        ctx.addr(addr);
        return;
    };
    ctx.push("[");
    for (i, &v) in b.iter().enumerate() {
        if i > 0 {
            ctx.comma();
        }
        match i {
            0 => ctx.flags(kx::KEYCTL_CAPS0, u64::from(v), "KEYCTL_CAPS0_???"),
            1 => ctx.flags(kx::KEYCTL_CAPS1, u64::from(v), "KEYCTL_CAPS1_???"),
            _ => ctx.hex_value(u64::from(v)),
        }
    }
    if shown < n {
        ctx.push(", ...");
    }
    ctx.push("]");
}

fn dh_compute(ctx: &mut Ctx<'_>, params: u64, buf: u64, len: u64, kdf: u64) -> Step {
    if !ctx.exiting {
        match ctx.read::<[i32; 3]>(params) {
            Some([private, prime, base]) => {
                ctx.push("{private=");
                serial(ctx, private as u32 as u64);
                ctx.push(", prime=");
                serial(ctx, prime as u32 as u64);
                ctx.push(", base=");
                serial(ctx, base as u32 as u64);
                ctx.push("}");
            }
            None => ctx.addr(params),
        }
        ctx.comma();
        return Step::Exit;
    }
    if ctx.error {
        ctx.addr(buf);
    } else {
        let n = if ctx.rval >= 0 && ctx.rval as u64 > len {
            len
        } else {
            ctx.rval as u64
        };
        ctx.buf(buf, n);
    }
    ctx.comma();
    ctx.ulong(3);
    ctx.comma();
    // struct keyctl_kdf_params: hashname, otherinfo, otherinfolen, __spare[8].
    match ctx.read_bytes(kdf, 56).filter(|_| kdf != 0) {
        Some(b) => {
            let hash = u64::from_ne_bytes(b[0..8].try_into().unwrap());
            let other = u64::from_ne_bytes(b[8..16].try_into().unwrap());
            let other_len = u32_at(&b, 16);
            ctx.push("{hashname=");
            ctx.cstr_at(hash);
            ctx.push(", otherinfo=");
            if other_len != 0 {
                ctx.buf(other, u64::from(other_len));
            } else {
                ctx.addr(other);
            }
            let _ = write!(ctx.out, ", otherinfolen={other_len}");
            spare(ctx, &b[20..52]);
            ctx.push("}");
        }
        None => ctx.addr(kdf),
    }
    Step::Decoded
}

fn pkey_query(ctx: &mut Ctx<'_>, addr: u64) {
    // struct keyctl_pkey_query: 56 bytes.
    let Some(b) = ctx.read_bytes(addr, 56).filter(|_| addr != 0 && !ctx.error) else {
        ctx.addr(addr);
        return;
    };
    let h = |o: usize| u16::from_ne_bytes(b[o..o + 2].try_into().unwrap());
    ctx.push("{supported_ops=");
    ctx.flags(
        kx::KEYCTL_PKEY_OPS,
        u64::from(u32_at(&b, 0)),
        "KEYCTL_SUPPORTS_???",
    );
    let _ = write!(
        ctx.out,
        ", key_size={}, max_data_size={}, max_sig_size={}, max_enc_size={}, max_dec_size={}",
        u32_at(&b, 4),
        h(8),
        h(10),
        h(12),
        h(14)
    );
    spare(ctx, &b[16..56]);
    ctx.push("}");
}

/// The public-key operations: `params`, `info`, the input, and the output (read back at exit
/// for encrypt, decrypt and sign) or the second input (verify).
fn pkey_op(ctx: &mut Ctx<'_>, params: u64, info: u64, op1: u64, op2: u64, out: bool) -> Step {
    if ctx.exiting {
        if ctx.error {
            ctx.addr(op2);
        } else {
            ctx.buf(op2, ctx.stash);
        }
        return Step::Decoded;
    }
    // struct keyctl_pkey_params: key_id, in_len, out_len/in2_len, __spare[7].
    let p = ctx.read_bytes(params, 40).filter(|_| params != 0);
    match &p {
        Some(b) => {
            ctx.push("{key_id=");
            serial(ctx, u64::from(u32_at(b, 0)));
            let _ = write!(
                ctx.out,
                ", in_len={}, {}={}",
                u32_at(b, 4),
                if out { "out_len" } else { "in2_len" },
                u32_at(b, 8)
            );
            spare(ctx, &b[12..40]);
            ctx.push("}");
        }
        None => ctx.addr(params),
    }
    ctx.comma();
    ctx.cstr_at(info);
    ctx.comma();
    match &p {
        Some(b) => ctx.buf(op1, u64::from(u32_at(b, 4))),
        None => ctx.addr(op1),
    }
    ctx.comma();
    match (&p, out) {
        (Some(b), true) => {
            ctx.stash = u64::from(u32_at(b, 8));
            Step::Exit
        }
        (Some(b), false) => {
            ctx.buf(op2, u64::from(u32_at(b, 8)));
            Step::Decoded
        }
        (None, _) => {
            ctx.addr(op2);
            Step::Decoded
        }
    }
}
