//! Signals.

use std::fmt::Write as _;

use super::structs;
use super::{Ctx, Decoder, Step};
use crate::xlat;

pub fn decoder(name: &str) -> Option<Decoder> {
    Some(match name {
        "rt_sigaction" => rt_sigaction,
        "rt_sigprocmask" => rt_sigprocmask,
        "rt_sigreturn" => rt_sigreturn,
        "kill" => kill,
        "tkill" => tkill,
        "tgkill" => tgkill,
        "rt_sigsuspend" => rt_sigsuspend,
        "rt_sigpending" => rt_sigpending,
        "sigaltstack" => sigaltstack,
        "rt_sigtimedwait" => rt_sigtimedwait,
        "rt_sigqueueinfo" => rt_sigqueueinfo,
        "signalfd4" => signalfd4,
        _ => return None,
    })
}

fn rt_sigaction(ctx: &mut Ctx<'_>) -> Step {
    if !ctx.exiting {
        structs::signo(ctx, ctx.a(0) as i32 as i64);
        ctx.sep();
        structs::sigaction(ctx, ctx.a(1));
        ctx.sep();
        return Step::Exit;
    }
    ctx.out_arg(2, structs::sigaction);
    ctx.sep();
    ctx.ulong(3);
    Step::Decoded
}

fn rt_sigprocmask(ctx: &mut Ctx<'_>) -> Step {
    if !ctx.exiting {
        ctx.xval(xlat::SIG_HOW, ctx.a(0) as u32 as u64, "SIG_???");
        ctx.sep();
        structs::sigmask(ctx, ctx.a(1), ctx.a(3));
        ctx.sep();
        return Step::Exit;
    }
    ctx.out_arg(2, |c, addr| structs::sigmask(c, addr, c.a(3)));
    ctx.sep();
    ctx.ulong(3);
    Step::Decoded
}

fn rt_sigreturn(ctx: &mut Ctx<'_>) -> Step {
    // sp points at the rt_sigframe's ucontext (the return address was popped);
    // uc_sigmask is 296 bytes into it on x86_64.
    let mask_addr = ctx.sp + 296;
    match ctx.read::<u64>(mask_addr) {
        Some(m) => {
            let _ = write!(
                ctx.out,
                "{{mask={}}}",
                crate::signals::sigset_styled(m, 64, ctx.opts.xlat)
            );
        }
        None => ctx.s("{mask=?}"),
    }
    Step::Decoded
}

fn kill(ctx: &mut Ctx<'_>) -> Step {
    ctx.int(0);
    ctx.sep();
    structs::signo(ctx, ctx.a(1) as i32 as i64);
    Step::Decoded
}

fn tkill(ctx: &mut Ctx<'_>) -> Step {
    kill(ctx)
}

fn tgkill(ctx: &mut Ctx<'_>) -> Step {
    ctx.int(0);
    ctx.sep();
    ctx.int(1);
    ctx.sep();
    structs::signo(ctx, ctx.a(2) as i32 as i64);
    Step::Decoded
}

fn rt_sigsuspend(ctx: &mut Ctx<'_>) -> Step {
    structs::sigmask(ctx, ctx.a(0), ctx.a(1));
    ctx.sep();
    ctx.ulong(1);
    Step::Decoded
}

fn rt_sigpending(ctx: &mut Ctx<'_>) -> Step {
    if !ctx.exiting {
        return Step::Exit;
    }
    ctx.out_arg(0, |c, addr| structs::sigmask(c, addr, c.a(1)));
    ctx.sep();
    ctx.ulong(1);
    Step::Decoded
}

fn stack_t(ctx: &mut Ctx<'_>, addr: u64) {
    if addr == 0 {
        ctx.s("NULL");
        return;
    }
    match ctx.read::<[u64; 3]>(addr) {
        Some([sp, flags, size]) => {
            ctx.s("{ss_sp=");
            ctx.addr(sp);
            ctx.s(", ss_flags=");
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

fn sigaltstack(ctx: &mut Ctx<'_>) -> Step {
    if !ctx.exiting {
        stack_t(ctx, ctx.a(0));
        ctx.sep();
        return Step::Exit;
    }
    ctx.out_arg(1, stack_t);
    Step::Decoded
}

fn rt_sigtimedwait(ctx: &mut Ctx<'_>) -> Step {
    if !ctx.exiting {
        structs::sigmask(ctx, ctx.a(0), ctx.a(3));
        ctx.sep();
        return Step::Exit;
    }
    let info = ctx.a(1);
    if info == 0 || ctx.error {
        ctx.ptr(1);
    } else {
        match ctx.read_bytes(info, 128) {
            Some(b) => {
                let s = crate::siginfo::format(&tracekit_ptrace::SigInfo(b.try_into().unwrap()));
                ctx.s(&s);
            }
            None => ctx.ptr(1),
        }
    }
    ctx.sep();
    structs::timespec(ctx, ctx.a(2));
    ctx.sep();
    ctx.ulong(3);
    if !ctx.error {
        ctx.rextra = String::new();
        ctx.rfmt = super::Rval::Dec;
    }
    Step::Decoded
}

fn rt_sigqueueinfo(ctx: &mut Ctx<'_>) -> Step {
    ctx.int(0);
    ctx.sep();
    structs::signo(ctx, ctx.a(1) as i32 as i64);
    ctx.sep();
    ctx.hex(2);
    Step::Decoded
}

fn signalfd4(ctx: &mut Ctx<'_>) -> Step {
    ctx.fd(0);
    ctx.sep();
    structs::sigmask(ctx, ctx.a(1), ctx.a(2));
    ctx.sep();
    ctx.ulong(2);
    ctx.sep();
    let f: crate::text::Xlat = &[(0o2000000, "SFD_CLOEXEC"), (0o4000, "SFD_NONBLOCK")];
    ctx.flags(f, ctx.a(3) as u32 as u64, "SFD_???");
    ctx.rfmt = super::Rval::Fd;
    Step::Decoded
}
