//! Signals.

use std::fmt::Write as _;

use super::structs;
use super::table::Arg::*;
use super::Decoder::{Func, Row};
use super::{Abi, Ctx, Decoder, Step};
use crate::xlat;

pub fn decoder(name: &str) -> Option<Decoder> {
    Some(match name {
        "rt_sigaction" => Row(&[
            Signal,
            In(structs::sigaction),
            Out(structs::sigaction),
            Ulong,
        ]),
        "rt_sigprocmask" => Row(&[
            Const(xlat::SIG_HOW, "SIG_???"),
            Sigset(3),
            OutSigset(3),
            Ulong,
        ]),
        "rt_sigreturn" => Func(rt_sigreturn),
        "kill" | "tkill" => Row(&[Pid, Signal]),
        "tgkill" => Row(&[Pid, Pid, Signal]),
        "rt_sigsuspend" => Row(&[Sigset(1), Ulong]),
        "rt_sigpending" => Row(&[Out(pending_mask), Ulong]),
        "sigaltstack" => Row(&[In(stack_t), Out(stack_t)]),
        "rt_sigtimedwait" => Row(&[
            Sigset(3),
            Out(siginfo),
            In(structs::timespec),
            Ulong,
            Returned(signal_returned),
        ]),
        "rt_sigqueueinfo" => Row(&[Pid, Signal, In(siginfo)]),
        "rt_tgsigqueueinfo" => Row(&[Pid, Pid, Signal, In(siginfo)]),
        "signalfd4" => Row(&[
            Fd,
            Sigset(2),
            Ulong,
            Flags(
                &[(0o2000000, "SFD_CLOEXEC"), (0o4000, "SFD_NONBLOCK")],
                "SFD_???",
            ),
        ]),
        _ => return None,
    })
}

/// The pending signals, in a set of any size up to NSIG/8 bytes (argument 1).
fn pending_mask(ctx: &mut Ctx<'_>, addr: u64) {
    structs::sigmask_limit(ctx, addr, ctx.arg(1), 1);
}

/// ` (SIGALRM)`: the signal a wait returned (strace's auxstr).
fn signal_returned(ctx: &mut Ctx<'_>) {
    if !ctx.error && ctx.rval > 0 {
        ctx.rextra = format!(" ({})", crate::signals::name(ctx.rval));
    }
}

/// A `siginfo_t`: `{}` when it holds no signal.
pub(super) fn siginfo(ctx: &mut Ctx<'_>, addr: u64) {
    match ctx.read::<[u8; 128]>(addr).map(tracekit_ptrace::SigInfo) {
        Some(si) if si.signo() == 0 => ctx.push("{}"),
        Some(si) => {
            let pidns = ctx.opts.pidns.then_some(ctx.pid.0);
            let s = crate::siginfo::format_ex(
                &si,
                crate::text::XlatStyle::Abbrev,
                pidns,
                None,
                ctx.opts.pid_comm,
            );
            ctx.push(&s);
        }
        None => ctx.addr(addr),
    }
}

/// `rt_sigreturn({mask=[...]})`: the mask of the signal frame the stack pointer is in.
fn rt_sigreturn(ctx: &mut Ctx<'_>) -> Step {
    // sp points 4 bytes into the rt_sigframe (the return address was popped): x86_64's
    // `uc_sigmask` is 296 bytes on; i386's ucontext starts at byte 144 and its mask is 108
    // bytes into it.
    let offset = match ctx.abi {
        Abi::X86_64 => 296,
        Abi::I386 => 248,
    };
    let mask = ctx.read::<u64>(ctx.sp.wrapping_add(offset));
    print_mask(ctx, mask);
    Step::Decoded
}

/// `{mask=[...]}` for the mask a signal handler returns to (`?` when unreadable).
pub(crate) fn print_mask(ctx: &mut Ctx<'_>, mask: Option<u64>) {
    match mask {
        Some(m) => {
            let _ = write!(
                ctx.out,
                "{{mask={}}}",
                crate::signals::sigset_styled(m, 64, ctx.opts.xlat)
            );
        }
        None => ctx.push("{mask=?}"),
    }
}

/// A `stack_t` (an alternate signal stack).
fn stack_t(ctx: &mut Ctx<'_>, addr: u64) {
    if addr == 0 {
        ctx.push("NULL");
        return;
    }
    match ctx.read::<[u64; 3]>(addr) {
        Some([sp, flags, size]) => {
            ctx.push("{ss_sp=");
            ctx.addr(sp);
            ctx.push(", ss_flags=");
            let f: crate::text::Xlat = &[
                (1, "SS_ONSTACK"),
                (2, "SS_DISABLE"),
                (0x80000000, "SS_AUTODISARM"),
            ];
            ctx.flags(f, flags as u32 as u64, "SS_???");
            let _ = write!(ctx.out, ", ss_size={size}}}");
        }
        None => ctx.addr(addr),
    }
}
