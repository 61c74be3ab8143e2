//! Classic BPF programs (`struct sock_fprog`, strace's `bpf_filter.c`) as `seccomp(2)`,
//! `prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER)` and the `SO_ATTACH_FILTER` socket options
//! carry them, and the `seccomp` system call itself.

use std::fmt::Write as _;

use super::calls_xlat as calls;
use super::cbpf_xlat as x;
use super::{Abi, Ctx, Decoder, Step};
use crate::text;

pub fn decoder(name: &str) -> Option<Decoder> {
    match name {
        "seccomp" => Some(Decoder::Func(seccomp)),
        _ => None,
    }
}

/// How the `k` of an instruction is shown besides in hex.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    /// A seccomp filter: return values are `SECCOMP_RET_*` actions.
    Seccomp,
    /// A socket filter: absolute loads from the `SKF_*_OFF` areas.
    Socket,
}

/// `BPF_MAXINSNS`: instructions shown before `...`.
const MAXINSNS: u64 = 4096;
/// `SECCOMP_RET_ACTION_FULL`.
const RET_ACTION_FULL: u32 = 0xffff_0000;

const BPF_LD: u16 = 0;
const BPF_LDX: u16 = 1;
const BPF_ST: u16 = 2;
const BPF_STX: u16 = 3;
const BPF_ALU: u16 = 4;
const BPF_JMP: u16 = 5;
const BPF_RET: u16 = 6;
const BPF_MISC: u16 = 7;
const BPF_ABS: u16 = 0x20;

/// The size of `struct sock_fprog` in the tracee's ABI.
pub fn fprog_size(abi: Abi) -> u64 {
    match abi {
        Abi::X86_64 => 16,
        Abi::I386 => 8,
    }
}

/// `{len=N, filter=[...]}` at `addr` (strace's `decode_bpf_fprog`); its address when it
/// can't be read.
pub fn fprog(ctx: &mut Ctx<'_>, addr: u64, flavour: Flavour) {
    let Some(b) = ctx
        .read_bytes(addr, fprog_size(ctx.abi) as usize)
        .filter(|_| addr != 0)
    else {
        ctx.addr(addr);
        return;
    };
    let len = u16::from_ne_bytes([b[0], b[1]]);
    let filter = match ctx.abi {
        Abi::X86_64 => u64::from_ne_bytes(b[8..16].try_into().expect("8 bytes")),
        Abi::I386 => u64::from(u32::from_ne_bytes(b[4..8].try_into().expect("4 bytes"))),
    };
    let _ = write!(ctx.out, "{{len={len}, filter=");
    program(ctx, filter, len.into(), flavour);
    ctx.push("}");
}

/// The `len` instructions at `addr` (strace's `print_bpf_fprog`): only with `-v`, else the
/// address.
pub fn program(ctx: &mut Ctx<'_>, addr: u64, len: u64, flavour: Flavour) {
    if !ctx.opts.verbose || addr == 0 {
        ctx.addr(addr);
        return;
    }
    if len == 0 {
        ctx.push("[]");
        return;
    }
    if len
        .checked_mul(8)
        .and_then(|n| addr.checked_add(n))
        .is_none()
    {
        ctx.addr(addr);
        return;
    }
    for i in 0..len {
        let at = addr + 8 * i;
        if i > 0 {
            ctx.comma();
        }
        let Some(b) = ctx.read_bytes(at, 8) else {
            if i == 0 {
                ctx.addr(at);
            } else {
                let _ = write!(ctx.out, "... /* {at:#x} */]");
            }
            return;
        };
        if i == 0 {
            ctx.push("[");
        }
        if i >= MAXINSNS {
            ctx.push("...");
            break;
        }
        insn(ctx, &b, flavour);
    }
    ctx.push("]");
}

/// One `struct sock_filter`: `BPF_JUMP(code, k, jt, jf)` when it jumps somewhere,
/// `BPF_STMT(code, k)` otherwise.
fn insn(ctx: &mut Ctx<'_>, b: &[u8], flavour: Flavour) {
    let code = u16::from_ne_bytes([b[0], b[1]]);
    let (jt, jf) = (b[2], b[3]);
    let k = u32::from_ne_bytes(b[4..8].try_into().expect("4 bytes"));
    if jt != 0 || jf != 0 {
        ctx.push("BPF_JUMP(");
        code_text(ctx, code);
        let _ = write!(
            ctx.out,
            ", {}, {}, {})",
            text::Hx(k.into()),
            text::Hx(jt.into()),
            text::Hx(jf.into())
        );
        return;
    }
    ctx.push("BPF_STMT(");
    code_text(ctx, code);
    ctx.comma();
    if !k_text(ctx, code, k, flavour) {
        ctx.hex_value(k.into());
    }
    ctx.push(")");
}

/// `k` as a seccomp action or a socket filter offset; false when it is a plain number.
fn k_text(ctx: &mut Ctx<'_>, code: u16, k: u32, flavour: Flavour) -> bool {
    match flavour {
        Flavour::Seccomp if code & 7 == BPF_RET => {
            let action = k & RET_ACTION_FULL;
            ctx.xval(x::SECCOMP_RET_ACTION, action.into(), "SECCOMP_RET_???");
            if k & !action != 0 {
                ctx.push("|");
                ctx.hex_value((k & !action).into());
            }
            true
        }
        Flavour::Socket if code & 7 == BPF_LD && code & 0xe0 == BPF_ABS => {
            const AD_OFF: u32 = 0xffff_f000;
            const NET_OFF: u32 = 0xfff0_0000;
            const LL_OFF: u32 = 0xffe0_0000;
            let style = ctx.opts.xlat;
            if k >= AD_OFF {
                text::named(&mut ctx.out, style, "0xfffff000", "SKF_AD_OFF");
                ctx.push("+");
                ctx.xval(x::SKF_AD, (k - AD_OFF).into(), "SKF_AD_???");
            } else if k >= NET_OFF {
                text::named(&mut ctx.out, style, "0xfff00000", "SKF_NET_OFF");
                let _ = write!(ctx.out, "+{}", k - NET_OFF);
            } else if k >= LL_OFF {
                text::named(&mut ctx.out, style, "0xffe00000", "SKF_LL_OFF");
                let _ = write!(ctx.out, "+{}", k - LL_OFF);
            } else {
                return false;
            }
            true
        }
        _ => false,
    }
}

/// An instruction's code (strace's `print_bpf_filter_code` for classic BPF):
/// `BPF_LD|BPF_W|BPF_ABS`.
fn code_text(ctx: &mut Ctx<'_>, code: u16) {
    let class = code & 7;
    let mut rest = code & !7;
    ctx.xval(x::BPF_CLASS, class.into(), "BPF_???");
    let unknown = |ctx: &mut Ctx<'_>, v: u16| {
        let _ = write!(ctx.out, "|{} /* BPF_??? */", text::Hx(v.into()));
    };
    match class {
        BPF_ST | BPF_STX => {
            if rest != 0 {
                unknown(ctx, rest);
            }
        }
        BPF_LD | BPF_LDX => {
            ctx.push("|");
            ctx.xval(calls::BPF_SIZE, (code & 0x18).into(), "BPF_???");
            ctx.push("|");
            ctx.xval(x::BPF_MODE, (code & 0xe0).into(), "BPF_???");
        }
        BPF_MISC => {
            ctx.push("|");
            ctx.xval(x::BPF_MISCOP, (code & 0xf8).into(), "BPF_???");
            rest &= !(code & 0xf8);
            if rest != 0 {
                unknown(ctx, rest);
            }
        }
        BPF_ALU | BPF_JMP => {
            ctx.push("|");
            ctx.xval(calls::BPF_SRC, (code & 0x08).into(), "BPF_???");
            ctx.push("|");
            let ops = if class == BPF_ALU {
                calls::BPF_OP_ALU
            } else {
                calls::BPF_OP_JMP
            };
            ctx.xval(ops, (code & 0xf0).into(), "BPF_???");
        }
        _ => {
            // BPF_RET
            ctx.push("|");
            ctx.xval(x::BPF_RVAL, (code & 0x18).into(), "BPF_???");
            rest &= !(code & 0x18);
            if rest != 0 {
                unknown(ctx, rest);
            }
        }
    }
}

/// `seccomp(operation, flags, args)`.
fn seccomp(ctx: &mut Ctx<'_>) -> Step {
    let op = ctx.arg(0) as u32;
    let flags = u64::from(ctx.arg(1) as u32);
    let args = ctx.arg(2);
    if ctx.exiting {
        // SECCOMP_GET_NOTIF_SIZES: the three sizes the kernel wrote.
        match ctx.read::<[u16; 3]>(args).filter(|_| !ctx.error) {
            Some([n, r, d]) => {
                let _ = write!(
                    ctx.out,
                    "{{seccomp_notif={n}, seccomp_notif_resp={r}, seccomp_data={d}}}"
                );
            }
            None => ctx.addr(args),
        }
        return Step::Decoded;
    }
    ctx.xval(x::SECCOMP_OPS, op.into(), "SECCOMP_SET_MODE_???");
    ctx.comma();
    match op {
        // SECCOMP_SET_MODE_FILTER
        1 => {
            ctx.flags(x::SECCOMP_FILTER_FLAGS, flags, "SECCOMP_FILTER_FLAG_???");
            ctx.comma();
            fprog(ctx, args, Flavour::Seccomp);
        }
        // SECCOMP_GET_ACTION_AVAIL
        2 => {
            ctx.hex_value(flags);
            ctx.comma();
            match ctx.read::<u32>(args) {
                Some(act) => {
                    ctx.push("[");
                    ctx.xval(x::SECCOMP_RET_ACTION, act.into(), "SECCOMP_RET_???");
                    ctx.push("]");
                }
                None => ctx.addr(args),
            }
        }
        // SECCOMP_GET_NOTIF_SIZES
        3 => {
            ctx.hex_value(flags);
            ctx.comma();
            return Step::Exit;
        }
        _ => {
            ctx.hex_value(flags);
            ctx.comma();
            ctx.addr(args);
        }
    }
    Step::Decoded
}
