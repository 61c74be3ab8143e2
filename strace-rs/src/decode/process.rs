//! Processes, credentials, time, limits and other process-wide calls.

use std::fmt::Write as _;

use super::structs;
use super::{Ctx, Decoder, Rval, Step};
use crate::signals;
use crate::xlat;

pub fn decoder(name: &str) -> Option<Decoder> {
    Some(match name {
        "execve" => execve,
        "execveat" => execveat,
        "clone" => clone,
        "clone3" => clone3,
        "wait4" => wait4,
        "waitid" => waitid,
        "exit" | "exit_group" => one_int,
        "set_tid_address" => one_hex,
        "set_robust_list" => super::memory::addr_len,
        "rseq" => rseq,
        "prlimit64" => prlimit64,
        "getrlimit" => getrlimit,
        "setrlimit" => setrlimit,
        "arch_prctl" => arch_prctl,
        "prctl" => prctl,
        "uname" => uname,
        "getrandom" => getrandom,
        "futex" => futex,
        "nanosleep" => nanosleep,
        "clock_nanosleep" => clock_nanosleep,
        "clock_gettime" | "clock_getres" => clock_gettime,
        "clock_settime" => clock_settime,
        "gettimeofday" => gettimeofday,
        "time" => time,
        "alarm" | "setuid" | "setgid" | "setfsuid" | "setfsgid" => one_uint,
        "getpgid" | "getsid" | "personality_int" => one_int,
        "setpgid" => two_ints,
        "setreuid" | "setregid" => two_uints,
        "setresuid" | "setresgid" => three_uints,
        "getresuid" | "getresgid" => getresuid,
        "getgroups" => getgroups,
        "setgroups" => setgroups,
        "getpriority" => getpriority,
        "setpriority" => setpriority,
        "getrusage" => getrusage,
        "times" => structs::times::<u64>,
        "sched_getaffinity" => sched_getaffinity,
        "getitimer" => getitimer,
        "setitimer" => setitimer,
        "membarrier" => membarrier,
        "sched_yield" | "getpid" | "getppid" | "gettid" | "getuid" | "geteuid" | "getgid"
        | "getegid" | "getpgrp" | "setsid" | "fork" | "vfork" | "pause" | "sync" | "munlockall"
        | "inotify_init" | "vhangup" => none,
        "restart_syscall" => restart_syscall,
        "personality" => personality,
        "sysinfo" => sysinfo,
        "getcpu" => getcpu,
        "timer_create" => timer_create,
        "sched_setaffinity" => sched_setaffinity,
        "sched_get_priority_min" | "sched_get_priority_max" => sched_policy_only,
        "sched_getscheduler" => sched_getscheduler,
        "sched_setscheduler" => sched_setscheduler,
        "sched_getparam" => sched_getparam,
        "sched_setparam" => sched_setparam,
        "ioprio_set" => ioprio_set,
        "ioprio_get" => ioprio_get,
        "unshare" => unshare,
        "timer_settime" => timer_settime,
        "timer_gettime" => timer_gettime,
        "timer_delete" | "timer_getoverrun" => one_int,
        _ => return None,
    })
}

fn restart_syscall(ctx: &mut Ctx<'_>) -> Step {
    // The call being restarted is the previous one of this thread (strace's tcp->scno,
    // which is 0, "read", right after attaching).
    let prev = crate::sysent::name(ctx.stash);
    let _ = write!(ctx.out, "<... resuming interrupted {prev} ...>");
    Step::Decoded
}

fn none(_ctx: &mut Ctx<'_>) -> Step {
    Step::Decoded
}

fn one_hex(ctx: &mut Ctx<'_>) -> Step {
    ctx.hex(0);
    Step::Decoded
}

pub(super) fn one_int(ctx: &mut Ctx<'_>) -> Step {
    ctx.int(0);
    Step::Decoded
}

fn one_uint(ctx: &mut Ctx<'_>) -> Step {
    ctx.uint(0);
    Step::Decoded
}

fn two_ints(ctx: &mut Ctx<'_>) -> Step {
    ctx.int(0);
    ctx.sep();
    ctx.int(1);
    Step::Decoded
}

fn uid(ctx: &mut Ctx<'_>, i: usize) {
    let v = ctx.a(i) as u32;
    if v == u32::MAX {
        ctx.s("-1");
    } else {
        let _ = write!(ctx.out, "{v}");
    }
}

fn two_uints(ctx: &mut Ctx<'_>) -> Step {
    uid(ctx, 0);
    ctx.sep();
    uid(ctx, 1);
    Step::Decoded
}

fn three_uints(ctx: &mut Ctx<'_>) -> Step {
    two_uints(ctx);
    ctx.sep();
    uid(ctx, 2);
    Step::Decoded
}

fn getresuid(ctx: &mut Ctx<'_>) -> Step {
    if !ctx.exiting {
        return Step::Exit;
    }
    for i in 0..3 {
        if i > 0 {
            ctx.sep();
        }
        if ctx.error {
            ctx.hex(i);
        } else {
            match ctx.read::<u32>(ctx.a(i)) {
                Some(v) => {
                    let _ = write!(ctx.out, "[{v}]");
                }
                None => ctx.hex(i),
            }
        }
    }
    Step::Decoded
}

fn getgroups(ctx: &mut Ctx<'_>) -> Step {
    if !ctx.exiting {
        ctx.int(0);
        ctx.sep();
        return Step::Exit;
    }
    if ctx.error || ctx.a(1) == 0 {
        ctx.ptr(1);
        return Step::Decoded;
    }
    let n = ctx.rval.max(0) as usize;
    match ctx.read_bytes(ctx.a(1), n * 4) {
        Some(b) => {
            let v: Vec<String> = b
                .chunks(4)
                .map(|c| u32::from_ne_bytes(c.try_into().unwrap()).to_string())
                .collect();
            let _ = write!(ctx.out, "[{}]", v.join(", "));
        }
        None => ctx.ptr(1),
    }
    Step::Decoded
}

fn setgroups(ctx: &mut Ctx<'_>) -> Step {
    ctx.int(0);
    ctx.sep();
    let n = ctx.ai(0).max(0) as usize;
    match ctx.read_bytes(ctx.a(1), n * 4) {
        Some(b) => {
            let v: Vec<String> = b
                .chunks(4)
                .map(|c| u32::from_ne_bytes(c.try_into().unwrap()).to_string())
                .collect();
            let _ = write!(ctx.out, "[{}]", v.join(", "));
        }
        None => ctx.ptr(1),
    }
    Step::Decoded
}

/// The width of the pointers in a tracee's arrays (`argv`, `envp`).
#[derive(Debug, Clone, Copy)]
pub(crate) enum PtrWidth {
    /// x86_64.
    W64,
    /// i386.
    W32,
}

/// Pointer `i` of the array at `addr`.
fn read_ptr(ctx: &Ctx<'_>, addr: u64, i: u64, w: PtrWidth) -> Option<u64> {
    match w {
        PtrWidth::W64 => ctx.read::<u64>(addr + i * 8),
        PtrWidth::W32 => ctx.read::<u32>(addr + i * 4).map(u64::from),
    }
}

/// A NULL-terminated array of string pointers: `["a", "b"]`, at most `-s` strings unless
/// `-v`.
pub(crate) fn string_array(ctx: &mut Ctx<'_>, addr: u64, w: PtrWidth) {
    if addr == 0 {
        ctx.s("NULL");
        return;
    }
    let mut items = Vec::new();
    let mut truncated = false;
    let mut i = 0u64;
    loop {
        let Some(p) = read_ptr(ctx, addr, i, w) else {
            if i == 0 {
                ctx.addr(addr);
                return;
            }
            break;
        };
        if p == 0 {
            break;
        }
        // Abbreviated (no -v): at most -s elements, like strace.
        if !ctx.opts.verbose && items.len() >= ctx.opts.max_strlen {
            truncated = true;
            break;
        }
        items.push(p);
        i += 1;
    }
    ctx.s("[");
    for (k, p) in items.iter().enumerate() {
        if k > 0 {
            ctx.sep();
        }
        ctx.cstr_at(*p);
    }
    if truncated {
        ctx.s(", ...");
    }
    ctx.s("]");
}

fn count_array(ctx: &Ctx<'_>, addr: u64, w: PtrWidth) -> Option<u64> {
    let mut n = 0;
    loop {
        let p = read_ptr(ctx, addr, n, w)?;
        if p == 0 {
            return Some(n);
        }
        n += 1;
        if n > 1 << 20 {
            return Some(n);
        }
    }
}

/// `envp`: the strings with `-v`, else the address and the count, like strace.
pub(crate) fn envp(ctx: &mut Ctx<'_>, addr: u64, w: PtrWidth) {
    if ctx.opts.verbose || addr == 0 {
        string_array(ctx, addr, w);
        return;
    }
    let _ = write!(ctx.out, "{addr:#x}");
    if let Some(n) = count_array(ctx, addr, w) {
        let _ = write!(ctx.out, " /* {n} var{} */", if n == 1 { "" } else { "s" });
    }
}

fn execve(ctx: &mut Ctx<'_>) -> Step {
    ctx.path(0);
    ctx.sep();
    string_array(ctx, ctx.a(1), PtrWidth::W64);
    ctx.sep();
    envp(ctx, ctx.a(2), PtrWidth::W64);
    Step::Decoded
}

fn execveat(ctx: &mut Ctx<'_>) -> Step {
    ctx.dirfd(0);
    ctx.sep();
    ctx.path(1);
    ctx.sep();
    string_array(ctx, ctx.a(2), PtrWidth::W64);
    ctx.sep();
    envp(ctx, ctx.a(3), PtrWidth::W64);
    ctx.sep();
    ctx.flags(xlat::AT_FLAGS, ctx.a(4) as u32 as u64, "AT_???");
    Step::Decoded
}

const CSIGNAL: u64 = 0xff;
const CLONE_PARENT_SETTID: u64 = 0x0010_0000;
const CLONE_CHILD_SETTID: u64 = 0x0100_0000;
const CLONE_CHILD_CLEARTID: u64 = 0x0020_0000;
const CLONE_SETTLS: u64 = 0x0008_0000;

fn clone_flags(ctx: &mut Ctx<'_>, flags: u64) {
    let rest = flags & !CSIGNAL;
    let sig = flags & CSIGNAL;
    if rest != 0 || sig == 0 {
        ctx.flags(xlat::CLONE_FLAGS, rest, "CLONE_???");
        if sig != 0 {
            ctx.s("|");
        }
    }
    if sig != 0 {
        structs::signo(ctx, sig as i64);
    }
}

fn clone(ctx: &mut Ctx<'_>) -> Step {
    // x86_64: clone(flags, stack, parent_tid, child_tid, tls)
    let flags = ctx.a(0);
    if !ctx.exiting {
        ctx.s("child_stack=");
        ctx.ptr(1);
        ctx.s(", flags=");
        clone_flags(ctx, flags);
        if flags & (CLONE_PARENT_SETTID | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | CLONE_SETTLS)
            == 0
        {
            return Step::Decoded;
        }
        return Step::Exit;
    }
    if flags & CLONE_PARENT_SETTID != 0 {
        ctx.s(", parent_tid=");
        ctx.int_ptr(ctx.a(2));
    }
    if flags & (CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID) != 0 {
        ctx.s(", child_tidptr=");
        ctx.hex(3);
    }
    if flags & CLONE_SETTLS != 0 {
        ctx.s(", tls=");
        ctx.hex(4);
    }
    Step::Decoded
}

fn clone3(ctx: &mut Ctx<'_>) -> Step {
    let addr = ctx.a(0);
    let size = ctx.a(1);
    let Some(a) = ctx.read::<[u64; 11]>(addr) else {
        if ctx.exiting {
            return Step::Decoded;
        }
        ctx.addr(addr);
        ctx.sep();
        ctx.ulong(1);
        return Step::Decoded;
    };
    // flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
    // set_tid_size, cgroup
    let flags = a[0];
    if !ctx.exiting {
        ctx.s("{flags=");
        ctx.flags(xlat::CLONE_FLAGS, flags, "CLONE_???");
        if flags & 0x1000 != 0 {
            let _ = write!(ctx.out, ", pidfd={:#x}", a[1]);
        }
        if flags & (CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID) != 0 {
            let _ = write!(ctx.out, ", child_tid={:#x}", a[2]);
        }
        if flags & CLONE_PARENT_SETTID != 0 {
            let _ = write!(ctx.out, ", parent_tid={:#x}", a[3]);
        }
        ctx.s(", exit_signal=");
        if a[4] == 0 {
            ctx.s("0");
        } else {
            ctx.s(&signals::name(a[4] as i64));
        }
        let _ = write!(
            ctx.out,
            ", stack={}, stack_size={}",
            crate::text::Hx(a[5]),
            crate::text::Hx(a[6])
        );
        if flags & CLONE_SETTLS != 0 {
            let _ = write!(ctx.out, ", tls={}", crate::text::Hx(a[7]));
        }
        if a[9] != 0 {
            let _ = write!(ctx.out, ", set_tid={:#x}, set_tid_size={}", a[8], a[9]);
        }
        if a[10] != 0 && size >= 88 {
            let _ = write!(ctx.out, ", cgroup={}", a[10]);
        }
        ctx.s("}");
        return Step::Exit;
    }
    if !ctx.error && flags & (CLONE_PARENT_SETTID | 0x1000) != 0 {
        ctx.s(" => {");
        if flags & 0x1000 != 0 {
            ctx.s("pidfd=");
            ctx.int_ptr(a[1]);
            if flags & CLONE_PARENT_SETTID != 0 {
                ctx.sep();
            }
        }
        if flags & CLONE_PARENT_SETTID != 0 {
            ctx.s("parent_tid=");
            ctx.int_ptr(a[3]);
        }
        ctx.s("}");
    }
    ctx.sep();
    ctx.ulong(1);
    Step::Decoded
}

fn rusage_ptr(ctx: &mut Ctx<'_>, addr: u64) {
    match ctx.read::<[i64; 18]>(addr) {
        Some(r) if !ctx.error => structs::rusage_fields(ctx, r),
        _ => ctx.addr(addr),
    }
}

fn wait4(ctx: &mut Ctx<'_>) -> Step {
    if !ctx.exiting {
        ctx.int(0);
        ctx.sep();
        return Step::Exit;
    }
    let st = ctx.a(1);
    if st == 0 {
        ctx.s("NULL");
    } else if ctx.error || ctx.rval == 0 {
        ctx.addr(st);
    } else {
        structs::wait_status(ctx, st);
    }
    ctx.sep();
    let o = ctx.a(2) as u32 as u64;
    ctx.flags(xlat::WAIT_OPTS, o, "W???");
    ctx.sep();
    let ru = ctx.a(3);
    rusage_ptr(ctx, ru);
    Step::Decoded
}

fn waitid(ctx: &mut Ctx<'_>) -> Step {
    if !ctx.exiting {
        ctx.xval(xlat::IDTYPES, ctx.a(0) as u32 as u64, "P_???");
        ctx.sep();
        ctx.int(1);
        ctx.sep();
        return Step::Exit;
    }
    let info = ctx.a(2);
    if info == 0 || ctx.error {
        ctx.addr(info);
    } else {
        match ctx.read_bytes(info, 128) {
            Some(b) => {
                let si = tracekit_ptrace::SigInfo(b.try_into().unwrap());
                if si.signo() == 0 {
                    ctx.s("{}");
                } else {
                    let s = crate::siginfo::format(&si);
                    ctx.s(&s);
                }
            }
            None => ctx.addr(info),
        }
    }
    ctx.sep();
    ctx.flags(xlat::WAIT_OPTS, ctx.a(3) as u32 as u64, "W???");
    ctx.sep();
    rusage_ptr(ctx, ctx.a(4));
    Step::Decoded
}

fn rseq(ctx: &mut Ctx<'_>) -> Step {
    ctx.hex(0);
    ctx.sep();
    ctx.hex(1);
    ctx.sep();
    ctx.flags(xlat::RSEQ_FLAGS, ctx.a(2) as u32 as u64, "RSEQ_FLAG_???");
    ctx.sep();
    ctx.hex(3);
    Step::Decoded
}

fn resource(ctx: &mut Ctx<'_>, i: usize) {
    ctx.xval(xlat::RLIMITS, ctx.a(i) as u32 as u64, "RLIMIT_???");
}

fn prlimit64(ctx: &mut Ctx<'_>) -> Step {
    if !ctx.exiting {
        ctx.int(0);
        ctx.sep();
        resource(ctx, 1);
        ctx.sep();
        structs::rlimit(ctx, ctx.a(2));
        ctx.sep();
        return Step::Exit;
    }
    ctx.out_arg(3, structs::rlimit);
    Step::Decoded
}

fn getrlimit(ctx: &mut Ctx<'_>) -> Step {
    if !ctx.exiting {
        resource(ctx, 0);
        ctx.sep();
        return Step::Exit;
    }
    ctx.out_arg(1, structs::rlimit);
    Step::Decoded
}

fn setrlimit(ctx: &mut Ctx<'_>) -> Step {
    resource(ctx, 0);
    ctx.sep();
    structs::rlimit(ctx, ctx.a(1));
    Step::Decoded
}

fn arch_prctl(ctx: &mut Ctx<'_>) -> Step {
    let code = ctx.a(0) as u32 as u64;
    if !ctx.exiting {
        ctx.xval_hex(xlat::ARCH_PRCTL, code, "ARCH_???");
        ctx.sep();
        if matches!(code, 0x1003 | 0x1004 | 0x1011) {
            return Step::Exit;
        }
        ctx.hex(1);
        return Step::Decoded;
    }
    if ctx.error || code == 0x1011 {
        ctx.hex(1);
    } else {
        match ctx.read::<u64>(ctx.a(1)) {
            Some(v) => {
                let _ = write!(ctx.out, "[{v:#x}]");
            }
            None => ctx.hex(1),
        }
    }
    Step::Decoded
}

fn prctl(ctx: &mut Ctx<'_>) -> Step {
    let op = ctx.a(0) as u32 as u64;
    if !ctx.exiting {
        ctx.xval(xlat::PRCTL, op, "PR_???");
        match op {
            15 => {
                ctx.sep();
                ctx.cstr(1);
                Step::Decoded
            }
            16 | 2 => {
                ctx.sep();
                Step::Exit
            }
            1 => {
                ctx.sep();
                structs::signo(ctx, ctx.a(1) as i64);
                Step::Decoded
            }
            3 => Step::Exit,
            7 | 21 | 39 | 42 | 37 => Step::Decoded,
            23 | 24 => {
                ctx.sep();
                ctx.xval_hex(xlat::CAPS, ctx.a(1), "CAP_???");
                Step::Decoded
            }
            4 | 8 | 36 | 38 | 41 => {
                ctx.sep();
                ctx.ulong(1);
                if op == 38 {
                    for i in 2..5 {
                        ctx.sep();
                        ctx.ulong(i);
                    }
                }
                Step::Decoded
            }
            _ => {
                for i in 1..5 {
                    ctx.sep();
                    ctx.hex(i);
                }
                Step::Decoded
            }
        }
    } else {
        if op == 3 {
            if !ctx.error {
                ctx.rextra = match ctx.rval {
                    0 => " (SUID_DUMP_DISABLE)",
                    1 => " (SUID_DUMP_USER)",
                    2 => " (SUID_DUMP_ROOT)",
                    _ => "",
                }
                .to_owned();
            }
        } else if ctx.error {
            ctx.hex(1);
        } else if op == 16 {
            ctx.cstr(1);
        } else if op == 2 {
            match ctx.read::<i32>(ctx.a(1)) {
                Some(s) => {
                    ctx.s("[");
                    if s == 0 {
                        ctx.s("0");
                    } else {
                        structs::signo(ctx, s as i64);
                    }
                    ctx.s("]");
                }
                None => ctx.hex(1),
            }
        }
        Step::Decoded
    }
}

fn uname(ctx: &mut Ctx<'_>) -> Step {
    if !ctx.exiting {
        return Step::Exit;
    }
    ctx.out_arg(0, structs::utsname);
    Step::Decoded
}

fn getrandom(ctx: &mut Ctx<'_>) -> Step {
    if !ctx.exiting {
        return Step::Exit;
    }
    if ctx.error {
        ctx.hex(0);
    } else {
        ctx.buf_ex(ctx.a(0), ctx.rval as u64, true);
    }
    ctx.sep();
    ctx.ulong(1);
    ctx.sep();
    ctx.flags(xlat::GRND_FLAGS, ctx.a(2) as u32 as u64, "GRND_???");
    Step::Decoded
}

fn futex(ctx: &mut Ctx<'_>) -> Step {
    let op = ctx.a(1) as u32 as u64;
    let cmd = op & 0x7f;
    ctx.hex(0);
    ctx.sep();
    match crate::text::lookup(xlat::FUTEX_OPS, cmd) {
        Some(_) if ctx.opts.xlat != crate::text::XlatStyle::Abbrev => {
            let mut names = String::from(crate::text::lookup(xlat::FUTEX_OPS, cmd).unwrap_or(""));
            if op & 128 != 0 {
                names.push_str("_PRIVATE");
            }
            if op & 256 != 0 {
                names.push_str("|FUTEX_CLOCK_REALTIME");
            }
            let num = format!("{:#x}", op);
            crate::text::named(&mut ctx.out, ctx.opts.xlat, &num, &names);
        }
        Some(n) => {
            ctx.s(n);
            if op & 128 != 0 {
                ctx.s("_PRIVATE");
            }
            if op & 256 != 0 {
                ctx.s("|FUTEX_CLOCK_REALTIME");
            }
            let rest = op & !(0x7f | 128 | 256);
            if rest != 0 {
                let _ = write!(ctx.out, "|{rest:#x}");
            }
        }
        None => {
            let _ = write!(ctx.out, "{op:#x} /* FUTEX_??? */");
        }
    }
    let val = ctx.a(2) as u32;
    let timeout = |ctx: &mut Ctx<'_>| {
        structs::timespec(ctx, ctx.a(3));
    };
    let bitset = |ctx: &mut Ctx<'_>| {
        let v = ctx.a(5) as u32;
        if v == u32::MAX {
            crate::text::named(
                &mut ctx.out,
                ctx.opts.xlat,
                "0xffffffff",
                "FUTEX_BITSET_MATCH_ANY",
            );
        } else {
            let _ = write!(ctx.out, "{v:#x}");
        }
    };
    match cmd {
        0 => {
            let _ = write!(ctx.out, ", {val}, ");
            timeout(ctx);
        }
        9 => {
            let _ = write!(ctx.out, ", {val}, ");
            timeout(ctx);
            ctx.sep();
            bitset(ctx);
        }
        10 => {
            let _ = write!(ctx.out, ", {val}, NULL, ");
            bitset(ctx);
        }
        1 | 8 => {
            let _ = write!(ctx.out, ", {val}");
        }
        3 => {
            let _ = write!(ctx.out, ", {val}, {}, {:#x}", ctx.a(3) as u32, ctx.a(4));
        }
        4 | 12 => {
            let _ = write!(
                ctx.out,
                ", {val}, {}, {:#x}, {}",
                ctx.a(3) as u32,
                ctx.a(4),
                ctx.a(5) as u32
            );
        }
        6 | 13 => {
            ctx.sep();
            timeout(ctx);
        }
        7 => {}
        _ => {
            let _ = write!(
                ctx.out,
                ", {val}, {:#x}, {:#x}, {:#x}",
                ctx.a(3),
                ctx.a(4),
                ctx.a(5)
            );
        }
    }
    Step::Decoded
}

fn rem_ptr(ctx: &mut Ctx<'_>, i: usize) {
    let a = ctx.a(i);
    if ctx.error {
        structs::timespec(ctx, a);
    } else {
        ctx.addr(a);
    }
}

fn nanosleep(ctx: &mut Ctx<'_>) -> Step {
    if !ctx.exiting {
        structs::timespec(ctx, ctx.a(0));
        ctx.sep();
        return Step::Exit;
    }
    rem_ptr(ctx, 1);
    Step::Decoded
}

fn clock_nanosleep(ctx: &mut Ctx<'_>) -> Step {
    if !ctx.exiting {
        ctx.xval(xlat::CLOCKS, ctx.a(0) as u32 as u64, "CLOCK_???");
        ctx.sep();
        ctx.flags(xlat::TIMER_FLAGS, ctx.a(1) as u32 as u64, "TIMER_???");
        ctx.sep();
        structs::timespec(ctx, ctx.a(2));
        ctx.sep();
        return Step::Exit;
    }
    if ctx.a(1) & 1 != 0 {
        ctx.ptr(3);
    } else {
        rem_ptr(ctx, 3);
    }
    Step::Decoded
}

fn clock_gettime(ctx: &mut Ctx<'_>) -> Step {
    if !ctx.exiting {
        ctx.xval(xlat::CLOCKS, ctx.a(0) as u32 as u64, "CLOCK_???");
        ctx.sep();
        return Step::Exit;
    }
    ctx.out_arg(1, structs::timespec);
    Step::Decoded
}

fn clock_settime(ctx: &mut Ctx<'_>) -> Step {
    ctx.xval(xlat::CLOCKS, ctx.a(0) as u32 as u64, "CLOCK_???");
    ctx.sep();
    structs::timespec(ctx, ctx.a(1));
    Step::Decoded
}

fn gettimeofday(ctx: &mut Ctx<'_>) -> Step {
    if !ctx.exiting {
        return Step::Exit;
    }
    ctx.out_arg(0, structs::timeval);
    ctx.sep();
    ctx.ptr(1);
    Step::Decoded
}

fn time(ctx: &mut Ctx<'_>) -> Step {
    if !ctx.exiting {
        return Step::Exit;
    }
    if ctx.a(0) == 0 {
        ctx.s("NULL");
    } else {
        ctx.u64_ptr(ctx.a(0));
    }
    Step::Decoded
}

fn getpriority(ctx: &mut Ctx<'_>) -> Step {
    ctx.xval(xlat::PRIO_WHICH, ctx.a(0) as u32 as u64, "PRIO_???");
    ctx.sep();
    ctx.int(1);
    Step::Decoded
}

fn setpriority(ctx: &mut Ctx<'_>) -> Step {
    getpriority(ctx);
    ctx.sep();
    ctx.int(2);
    Step::Decoded
}

fn getrusage(ctx: &mut Ctx<'_>) -> Step {
    if !ctx.exiting {
        ctx.xval_hex(xlat::RUSAGE_WHO, ctx.ai(0) as i64 as u64, "RUSAGE_???");
        ctx.sep();
        return Step::Exit;
    }
    rusage_ptr(ctx, ctx.a(1));
    Step::Decoded
}

fn sched_getaffinity(ctx: &mut Ctx<'_>) -> Step {
    if !ctx.exiting {
        ctx.int(0);
        ctx.sep();
        ctx.uint(1);
        ctx.sep();
        return Step::Exit;
    }
    if ctx.error {
        ctx.hex(2);
        return Step::Decoded;
    }
    cpu_set(ctx, ctx.a(2), ctx.rval as usize);
    Step::Decoded
}

fn cpu_set(ctx: &mut Ctx<'_>, addr: u64, len: usize) {
    match ctx.read_bytes(addr, len) {
        Some(b) => {
            let mut cpus = Vec::new();
            for (i, byte) in b.iter().enumerate() {
                for bit in 0..8 {
                    if byte & (1 << bit) != 0 {
                        cpus.push((i * 8 + bit).to_string());
                    }
                }
            }
            let _ = write!(ctx.out, "[{}]", cpus.join(" "));
        }
        None => ctx.addr(addr),
    }
}

fn getitimer(ctx: &mut Ctx<'_>) -> Step {
    if !ctx.exiting {
        ctx.xval(xlat::ITIMERS, ctx.a(0) as u32 as u64, "ITIMER_???");
        ctx.sep();
        return Step::Exit;
    }
    ctx.out_arg(1, structs::itimerval);
    Step::Decoded
}

fn setitimer(ctx: &mut Ctx<'_>) -> Step {
    if !ctx.exiting {
        ctx.xval(xlat::ITIMERS, ctx.a(0) as u32 as u64, "ITIMER_???");
        ctx.sep();
        structs::itimerval(ctx, ctx.a(1));
        ctx.sep();
        return Step::Exit;
    }
    ctx.out_arg(2, structs::itimerval);
    Step::Decoded
}

fn membarrier(ctx: &mut Ctx<'_>) -> Step {
    ctx.xval(
        xlat::MEMBARRIER_CMDS,
        ctx.a(0) as u32 as u64,
        "MEMBARRIER_CMD_???",
    );
    ctx.sep();
    ctx.uint(1);
    if ctx.a(0) != 0 {
        ctx.sep();
        ctx.int(2);
    }
    Step::Decoded
}

fn personality(ctx: &mut Ctx<'_>) -> Step {
    let v = ctx.a(0) as u32;
    if v == u32::MAX {
        ctx.s("0xffffffff");
    } else if v == 0 {
        ctx.s("PER_LINUX");
    } else {
        let _ = write!(ctx.out, "{v:#x}");
    }
    ctx.rfmt = Rval::Hex;
    Step::Decoded
}

fn sysinfo(ctx: &mut Ctx<'_>) -> Step {
    if !ctx.exiting {
        return Step::Exit;
    }
    match ctx.read::<[u64; 14]>(ctx.a(0)) {
        Some(s) if !ctx.error => {
            let _ = write!(
                ctx.out,
                "{{uptime={}, loads=[{}, {}, {}], totalram={}, freeram={}, sharedram={}, bufferram={}, totalswap={}, freeswap={}, procs={}, totalhigh={}, freehigh={}, mem_unit={}}}",
                s[0] as i64, s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8], s[9], s[10] as u16, s[11], s[12], s[13] as u32
            );
        }
        _ => ctx.ptr(0),
    }
    Step::Decoded
}

fn getcpu(ctx: &mut Ctx<'_>) -> Step {
    if !ctx.exiting {
        return Step::Exit;
    }
    for i in 0..2 {
        ctx.out_arg(i, Ctx::num_ptr::<u32>);
        ctx.sep();
    }
    ctx.ptr(2);
    Step::Decoded
}

fn sigevent(ctx: &mut Ctx<'_>, addr: u64) {
    if addr == 0 {
        ctx.s("NULL");
        return;
    }
    // struct sigevent: sigev_value (8), sigev_signo (4), sigev_notify (4), then the union.
    let Some(b) = ctx.read_bytes(addr, 24) else {
        ctx.addr(addr);
        return;
    };
    let value = u64::from_ne_bytes(b[0..8].try_into().unwrap());
    let signo = i32::from_ne_bytes(b[8..12].try_into().unwrap());
    let notify = i32::from_ne_bytes(b[12..16].try_into().unwrap());
    let tid = i32::from_ne_bytes(b[16..20].try_into().unwrap());
    ctx.s("{");
    if value != 0 {
        let _ = write!(
            ctx.out,
            "sigev_value={{sival_int={}, sival_ptr={}}}, ",
            value as i32,
            crate::text::Hx(value)
        );
    }
    match notify {
        0 | 2 => {
            ctx.s("sigev_signo=");
            structs::signo(ctx, signo as i64);
            ctx.s(if notify == 0 {
                ", sigev_notify=SIGEV_SIGNAL"
            } else {
                ", sigev_notify=SIGEV_THREAD"
            });
        }
        1 => ctx.s("sigev_notify=SIGEV_NONE"),
        4 => {
            ctx.s("sigev_signo=");
            structs::signo(ctx, signo as i64);
            let _ = write!(
                ctx.out,
                ", sigev_notify=SIGEV_THREAD_ID, sigev_notify_thread_id={tid}"
            );
        }
        n => {
            let _ = write!(ctx.out, "sigev_signo={signo}, sigev_notify={n}");
        }
    }
    ctx.s("}");
}

fn timer_create(ctx: &mut Ctx<'_>) -> Step {
    if !ctx.exiting {
        ctx.xval(xlat::CLOCKS, ctx.a(0) as u32 as u64, "CLOCK_???");
        ctx.sep();
        sigevent(ctx, ctx.a(1));
        ctx.sep();
        return Step::Exit;
    }
    ctx.out_arg(2, Ctx::int_ptr);
    Step::Decoded
}

fn timer_settime(ctx: &mut Ctx<'_>) -> Step {
    if !ctx.exiting {
        ctx.int(0);
        ctx.sep();
        ctx.flags(xlat::TIMER_FLAGS, ctx.a(1) as u32 as u64, "TIMER_???");
        ctx.sep();
        structs::itimerspec(ctx, ctx.a(2));
        ctx.sep();
        return Step::Exit;
    }
    ctx.out_arg(3, structs::itimerspec);
    Step::Decoded
}

fn timer_gettime(ctx: &mut Ctx<'_>) -> Step {
    if !ctx.exiting {
        ctx.int(0);
        ctx.sep();
        return Step::Exit;
    }
    ctx.out_arg(1, structs::itimerspec);
    Step::Decoded
}

fn sched_setaffinity(ctx: &mut Ctx<'_>) -> Step {
    ctx.int(0);
    ctx.sep();
    ctx.uint(1);
    ctx.sep();
    cpu_set(ctx, ctx.a(2), ctx.a(1) as u32 as usize);
    Step::Decoded
}

fn sched_policy_only(ctx: &mut Ctx<'_>) -> Step {
    ctx.xval(xlat::SCHED_POLICIES, ctx.a(0) as u32 as u64, "SCHED_???");
    Step::Decoded
}

fn sched_getscheduler(ctx: &mut Ctx<'_>) -> Step {
    if !ctx.exiting {
        ctx.int(0);
        return Step::Exit;
    }
    // The policy returned, by name after the value (strace's auxstr).
    if !ctx.error {
        if let Some(name) = crate::text::lookup(xlat::SCHED_POLICIES, ctx.rval as u64) {
            ctx.rextra = format!(" ({name})");
        }
    }
    Step::Decoded
}

fn sched_param(ctx: &mut Ctx<'_>, addr: u64) {
    match ctx.read::<i32>(addr) {
        Some(p) => {
            let _ = write!(ctx.out, "[{p}]");
        }
        None => ctx.addr(addr),
    }
}

fn sched_setscheduler(ctx: &mut Ctx<'_>) -> Step {
    ctx.int(0);
    ctx.sep();
    let pol = ctx.a(1) as u32 as u64;
    let base = pol & !0x40000000;
    ctx.xval(xlat::SCHED_POLICIES, base, "SCHED_???");
    if pol & 0x40000000 != 0 {
        ctx.s("|SCHED_RESET_ON_FORK");
    }
    ctx.sep();
    sched_param(ctx, ctx.a(2));
    Step::Decoded
}

fn sched_getparam(ctx: &mut Ctx<'_>) -> Step {
    if !ctx.exiting {
        ctx.int(0);
        ctx.sep();
        return Step::Exit;
    }
    ctx.out_arg(1, sched_param);
    Step::Decoded
}

fn sched_setparam(ctx: &mut Ctx<'_>) -> Step {
    ctx.int(0);
    ctx.sep();
    sched_param(ctx, ctx.a(1));
    Step::Decoded
}

const IOPRIO_WHO: crate::text::Xlat = &[
    (1, "IOPRIO_WHO_PROCESS"),
    (2, "IOPRIO_WHO_PGRP"),
    (3, "IOPRIO_WHO_USER"),
];

fn ioprio_value(v: u64) -> String {
    let class = v >> 13;
    let data = v & 0x1fff;
    let name = match class {
        0 => "IOPRIO_CLASS_NONE",
        1 => "IOPRIO_CLASS_RT",
        2 => "IOPRIO_CLASS_BE",
        3 => "IOPRIO_CLASS_IDLE",
        _ => return format!("{v:#x}"),
    };
    format!("IOPRIO_PRIO_VALUE({name}, {data})")
}

fn ioprio_set(ctx: &mut Ctx<'_>) -> Step {
    ctx.xval(IOPRIO_WHO, ctx.a(0) as u32 as u64, "IOPRIO_WHO_???");
    ctx.sep();
    ctx.int(1);
    ctx.sep();
    let v = ioprio_value(ctx.a(2) as u32 as u64);
    ctx.s(&v);
    Step::Decoded
}

fn ioprio_get(ctx: &mut Ctx<'_>) -> Step {
    if !ctx.exiting {
        ctx.xval(IOPRIO_WHO, ctx.a(0) as u32 as u64, "IOPRIO_WHO_???");
        ctx.sep();
        ctx.int(1);
        return Step::Exit;
    }
    if !ctx.error {
        ctx.rextra = format!(" ({})", ioprio_value(ctx.rval as u64));
    }
    Step::Decoded
}

fn unshare(ctx: &mut Ctx<'_>) -> Step {
    ctx.flags(xlat::CLONE_FLAGS, ctx.a(0), "CLONE_???");
    Step::Decoded
}
