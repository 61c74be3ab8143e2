//! Processes, credentials, time, limits and other process-wide calls.

use std::fmt::Write as _;

use super::structs;
use super::table::Arg::{self, *};
use super::Decoder::{Func, Row};
use super::{Abi, Ctx, Decoder, Rval, Step};
use crate::signals;
use crate::xlat;

pub fn decoder(name: &str) -> Option<Decoder> {
    const CLOCK: Arg = Const(xlat::CLOCKS, "CLOCK_???");
    const RESOURCE: Arg = Const(xlat::RLIMITS, "RLIMIT_???");
    const ITIMER: Arg = Const(xlat::ITIMERS, "ITIMER_???");
    const PRIO: Arg = Const(xlat::PRIO_WHICH, "PRIO_???");
    const WAIT: Arg = Flags(xlat::WAIT_OPTS, "W???");
    const TIMER: Arg = Flags(xlat::TIMER_FLAGS, "TIMER_???");
    Some(match name {
        "execve" => Row(&[Path, In(argv), In(envp)]),
        "capget" => Func(capget),
        "capset" => Func(capset),
        "execveat" => Row(&[
            Dirfd,
            Path,
            In(argv),
            In(envp),
            Flags(xlat::AT_FLAGS, "AT_???"),
        ]),
        "clone" => Func(clone),
        "clone3" => Func(clone3),
        "wait4" => Row(&[Pid, AtExit(wait_status), WAIT, AtExit(wait_rusage)]),
        "waitid" => Row(&[
            Const(xlat::IDTYPES, "P_???"),
            In(waitid_id),
            AtExit(waitid_info),
            WAIT,
            Out(structs::rusage),
        ]),
        "exit" | "exit_group" | "timer_delete" | "timer_getoverrun" => Row(&[Int]),
        "getpgid" | "getsid" => Row(&[Pid]),
        "set_tid_address" => Row(&[Hex]),
        "set_robust_list" => super::memory::ADDR_LEN,
        "get_robust_list" => Row(&[Pid, Out(ptr_box), Out(ulong_box)]),
        "rseq" => Row(&[Hex, Hex, Flags(xlat::RSEQ_FLAGS, "RSEQ_FLAG_???"), Hex]),
        "prlimit64" => Row(&[Pid, RESOURCE, In(structs::rlimit64), Out(structs::rlimit64)]),
        "getrlimit" => Row(&[RESOURCE, Out(structs::rlimit)]),
        "setrlimit" => Row(&[RESOURCE, In(structs::rlimit)]),
        "arch_prctl" => Func(arch_prctl),
        "prctl" => Func(prctl),
        "uname" => Row(&[Out(structs::utsname)]),
        "getrandom" => Row(&[
            AtExit(random_bytes),
            Ulong,
            Flags(xlat::GRND_FLAGS, "GRND_???"),
        ]),
        "futex" => Func(futex),
        "futex_waitv" => Row(&[
            In(futex_waiters),
            Uint,
            Hex32,
            In(structs::timespec),
            Const(xlat::CLOCKS, "CLOCK_???"),
        ]),
        "modify_ldt" => Func(modify_ldt),
        "adjtimex" => Row(&[AtExit(timex)]),
        "clock_adjtime" => Row(&[CLOCK, AtExit(timex)]),
        "set_thread_area" => Func(set_thread_area),
        "get_thread_area" => Func(get_thread_area),
        "nanosleep" => Row(&[In(structs::timespec), AtExit(time_left)]),
        "clock_nanosleep" => Row(&[
            CLOCK,
            TIMER,
            In(structs::timespec),
            AtExit(time_left_unless_absolute),
        ]),
        "clock_gettime" | "clock_getres" => Row(&[CLOCK, Out(structs::timespec)]),
        "clock_settime" => Row(&[CLOCK, In(structs::timespec)]),
        // strace reads both at exit whatever the result.
        "gettimeofday" => Row(&[AtExit(structs::timeval), AtExit(timezone)]),
        "settimeofday" => Row(&[In(structs::timeval), In(timezone)]),
        "time" => Row(&[AtExit(time_value), Returned(time_returned)]),
        "alarm" => Row(&[Uint]),
        "setuid" | "setgid" | "setfsuid" | "setfsgid" => Row(&[Id]),
        "setpgid" => Row(&[Pid, In(pgid_arg)]),
        "setreuid" | "setregid" => Row(&[Id, Id]),
        "setresuid" | "setresgid" => Row(&[Id, Id, Id]),
        "getresuid" | "getresgid" => Row(&[Out(u32_value), Out(u32_value), Out(u32_value)]),
        "getgroups" => Row(&[Int, AtExit(groups_returned)]),
        "setgroups" => Row(&[Int, In(groups)]),
        "getpriority" => Row(&[PRIO, In(prio_who)]),
        "setpriority" => Row(&[PRIO, In(prio_who), Int]),
        "getrusage" => Row(&[In(rusage_who), Out(structs::rusage)]),
        "times" => Row(&[Out(structs::tms)]),
        "sched_getaffinity" => Row(&[Pid, Uint, AtExit(cpus_returned)]),
        "sched_setaffinity" => Row(&[Pid, Uint, In(cpus_given)]),
        "getitimer" => Row(&[ITIMER, Out(structs::itimerval)]),
        "setitimer" => Row(&[ITIMER, In(structs::itimerval), Out(structs::itimerval)]),
        "membarrier" => Func(membarrier),
        "sched_yield" | "getpid" | "getppid" | "gettid" | "getuid" | "geteuid" | "getgid"
        | "getegid" | "getpgrp" | "setsid" | "fork" | "vfork" | "pause" | "sync" | "munlockall"
        | "inotify_init" | "vhangup" => Row(&[]),
        "restart_syscall" => Func(restart_syscall),
        "personality" => Row(&[In(persona), Returned(previous_persona)]),
        "sysinfo" => Row(&[Out(sysinfo)]),
        "getcpu" => Row(&[Out(u32_value), Out(u32_value), Ptr]),
        "timer_create" => Row(&[CLOCK, In(sigevent), Out(int_value)]),
        "sched_get_priority_min" | "sched_get_priority_max" => {
            Row(&[Const(xlat::SCHED_POLICIES, "SCHED_???")])
        }
        "sched_getscheduler" => Row(&[Pid, Returned(policy_returned)]),
        "sched_setscheduler" => Row(&[Pid, In(sched_policy), In(sched_param)]),
        "sched_getparam" => Row(&[Pid, Out(sched_param)]),
        "sched_rr_get_interval" => Row(&[Pid, Out(structs::timespec)]),
        "sched_getattr" => Func(sched_getattr),
        "sched_setattr" => Func(sched_setattr),
        "sched_setparam" => Row(&[Pid, In(sched_param)]),
        "ioprio_set" => Row(&[
            Const(IOPRIO_WHO, "IOPRIO_WHO_???"),
            In(ioprio_who),
            In(ioprio),
        ]),
        "ioprio_get" => Row(&[
            Const(IOPRIO_WHO, "IOPRIO_WHO_???"),
            In(ioprio_who),
            Returned(ioprio_returned),
        ]),
        "unshare" => Row(&[Flags64(xlat::UNSHARE_FLAGS, "CLONE_???")]),
        "timer_settime" => Row(&[
            Int,
            TIMER,
            In(structs::itimerspec),
            Out(structs::itimerspec),
        ]),
        "timer_gettime" => Row(&[Int, Out(structs::itimerspec)]),
        _ => return None,
    })
}

/// `waitid`'s id: a process id for `P_PID`, else a number.
fn waitid_id(ctx: &mut Ctx<'_>, id: u64) {
    if ctx.arg(0) as u32 == 1 {
        ctx.pid_arg(id as i32);
    } else {
        let _ = write!(ctx.out, "{}", id as i32);
    }
}

/// `[N]`: an `int` the call wrote.
fn int_value(ctx: &mut Ctx<'_>, addr: u64) {
    ctx.int_ptr(addr);
}

/// `[N]`: an `unsigned int` the call wrote.
fn u32_value(ctx: &mut Ctx<'_>, addr: u64) {
    ctx.num_ptr::<u32>(addr);
}

/// `{tz_minuteswest=0, tz_dsttime=0}`.
fn timezone(ctx: &mut Ctx<'_>, addr: u64) {
    match ctx.read::<[i32; 2]>(addr) {
        Some([west, dst]) => {
            let _ = write!(ctx.out, "{{tz_minuteswest={west}, tz_dsttime={dst}}}");
        }
        None => ctx.addr(addr),
    }
}

/// `[1796663282 /* 2026-12-07T17:08:02+0000 */]`: the `time_t` `time` stored (strace reads
/// it whatever the result).
fn time_value(ctx: &mut Ctx<'_>, addr: u64) {
    let t = match ctx.abi {
        Abi::X86_64 => ctx.read::<i64>(addr),
        Abi::I386 => ctx.read::<i32>(addr).map(i64::from),
    };
    match t {
        Some(t) => {
            let _ = write!(ctx.out, "[{t} /* {} */]", structs::date(t));
        }
        None => ctx.addr(addr),
    }
}

/// ` (2026-12-07T17:08:02+0000)`: `time`'s result as a date.
fn time_returned(ctx: &mut Ctx<'_>) {
    if !ctx.error {
        let t = match ctx.abi {
            Abi::X86_64 => ctx.rval,
            Abi::I386 => i64::from(ctx.rval as i32),
        };
        ctx.rextra = format!(" ({})", structs::date(t));
    }
}

/// The usage `wait4` stored, when it reaped a child (its address otherwise, as strace).
fn wait_rusage(ctx: &mut Ctx<'_>, addr: u64) {
    if ctx.error || ctx.rval == 0 {
        ctx.addr(addr);
    } else {
        structs::rusage(ctx, addr);
    }
}

/// The status `wait4` stored, when it reaped a child.
fn wait_status(ctx: &mut Ctx<'_>, addr: u64) {
    if addr == 0 {
        ctx.push("NULL");
    } else if ctx.error || ctx.rval == 0 {
        ctx.addr(addr);
    } else {
        structs::wait_status(ctx, addr);
    }
}

/// The `siginfo_t` `waitid` filled: `{}` when no child was waiting.
fn waitid_info(ctx: &mut Ctx<'_>, addr: u64) {
    if ctx.error {
        ctx.addr(addr);
    } else {
        super::signal::siginfo(ctx, addr);
    }
}

/// `getrandom`'s bytes, all in hex.
fn random_bytes(ctx: &mut Ctx<'_>, addr: u64) {
    if ctx.error {
        ctx.addr(addr);
    } else {
        ctx.buf_ex(addr, ctx.rval as u64, true);
    }
}

/// The time left of an interrupted sleep, else the address.
fn time_left(ctx: &mut Ctx<'_>, addr: u64) {
    // Only an interrupted sleep (ERESTARTSYS, ERESTARTNOINTR, ERESTARTNOHAND,
    // ERESTART_RESTARTBLOCK) wrote it; after any other result strace prints the address, as
    // the kernel left the memory alone.
    if ctx.error && matches!(-ctx.rval, 512..=514 | 516) {
        structs::timespec(ctx, addr);
    } else {
        ctx.addr(addr);
    }
}

/// [`time_left`], but a sleep until an absolute time (`TIMER_ABSTIME`) has none.
fn time_left_unless_absolute(ctx: &mut Ctx<'_>, addr: u64) {
    if ctx.arg(1) & 1 != 0 {
        ctx.addr(addr);
    } else {
        time_left(ctx, addr);
    }
}

/// `getrusage`'s whom: unknown ones in hex.
fn rusage_who(ctx: &mut Ctx<'_>, who: u64) {
    ctx.xval(xlat::RUSAGE_WHO, who as i32 as i64 as u64, "RUSAGE_???");
}

/// The group list `setgroups` sets (its length is argument 0).
fn groups(ctx: &mut Ctx<'_>, addr: u64) {
    gid_list(ctx, addr, ctx.arg(0) as u32);
}

/// `[0 1]`: the CPUs of the set `sched_setaffinity` gives (argument 1 bytes).
fn cpus_given(ctx: &mut Ctx<'_>, addr: u64) {
    cpu_set(ctx, addr, ctx.arg(1) as u32 as usize);
}

/// The CPUs of the set `sched_getaffinity` filled (the return value in bytes).
fn cpus_returned(ctx: &mut Ctx<'_>, addr: u64) {
    if ctx.error {
        ctx.addr(addr);
    } else {
        cpu_set(ctx, addr, ctx.rval as usize);
    }
}

/// `sched_setscheduler`'s policy (strace names no `SCHED_RESET_ON_FORK` there: a policy
/// with it prints as a number).
fn sched_policy(ctx: &mut Ctx<'_>, pol: u64) {
    ctx.xval(xlat::SCHED_POLICIES, pol & 0xffff_ffff, "SCHED_???");
}

/// An I/O priority: `IOPRIO_PRIO_VALUE(IOPRIO_CLASS_BE, 4)`.
pub(super) fn ioprio(ctx: &mut Ctx<'_>, v: u64) {
    let style = ctx.opts.xlat;
    match style {
        crate::text::XlatStyle::Abbrev => {
            let text = ioprio_value(style, v);
            ctx.push(&text);
        }
        crate::text::XlatStyle::Raw => ctx.int_value(v),
        crate::text::XlatStyle::Verbose => {
            ctx.int_value(v);
            let text = ioprio_value(style, v);
            let _ = write!(ctx.out, " /* {text} */");
        }
    }
}

fn restart_syscall(ctx: &mut Ctx<'_>) -> Step {
    // The call being restarted is the previous one of this thread (strace's tcp->scno,
    // which is 0, "read", right after attaching).
    let prev = crate::sysent::name(ctx.stash);
    let _ = write!(ctx.out, "<... resuming interrupted {prev} ...>");
    Step::Decoded
}

/// The groups `getgroups` returned (the return value says how many).
fn groups_returned(ctx: &mut Ctx<'_>, addr: u64) {
    if ctx.error || addr == 0 {
        ctx.addr(addr);
    } else {
        gid_list(ctx, addr, ctx.rval as u32);
    }
}

/// `[0, 4, -1]`: `n` group ids at `addr` (strace's `print_groups`): the address alone past
/// the kernel's `NGROUPS_MAX`, else an array whose `(gid_t)-1` prints as `-1`.
fn gid_list(ctx: &mut Ctx<'_>, addr: u64, n: u32) {
    const NGROUPS_MAX: u32 = 65536;
    if n > NGROUPS_MAX {
        ctx.addr(addr);
        return;
    }
    ctx.array(
        addr,
        u64::from(n),
        4,
        &mut |ctx, b| match u32::from_ne_bytes(b.try_into().unwrap()) {
            u32::MAX => ctx.out.push_str("-1"),
            id => {
                let _ = write!(ctx.out, "{id}");
            }
        },
    );
}

/// Pointer `i` of the array at `addr`, in the tracee's ABI.
fn read_ptr(ctx: &Ctx<'_>, addr: u64, i: u64) -> Option<u64> {
    match ctx.abi {
        Abi::X86_64 => ctx.read::<u64>(addr + i * 8),
        Abi::I386 => ctx.read::<u32>(addr + i * 4).map(u64::from),
    }
}

/// `argv`, a NULL-terminated array of string pointers (strace's `printargv`): `["a", "b"]`,
/// at most `-s` strings unless `-v`; an element that cannot be read (or an array running off
/// the end of the address space) ends it with `... /* 0x7f00 */`, its address.
fn argv(ctx: &mut Ctx<'_>, addr: u64) {
    if !ctx.opts.structs {
        // Outside -e verbose=: the address (strace's printargv).
        ctx.addr(addr);
        return;
    }
    if addr == 0 {
        ctx.push("NULL");
        return;
    }
    let word = match ctx.abi {
        Abi::X86_64 => 8,
        Abi::I386 => 4,
    };
    let mut at = addr;
    for n in 0u64.. {
        let p = if n > 0 && at < addr {
            None
        } else {
            read_ptr(ctx, at, 0)
        };
        let Some(p) = p else {
            if n == 0 {
                ctx.addr(at);
                return;
            }
            let _ = write!(ctx.out, ", ... /* {at:#x} */");
            break;
        };
        if n == 0 {
            ctx.push("[");
        }
        if p == 0 {
            break;
        }
        if n != 0 {
            ctx.comma();
        }
        if !ctx.opts.verbose && n >= ctx.opts.max_strlen as u64 {
            ctx.push("...");
            break;
        }
        ctx.cstr_at(p);
        at = at.wrapping_add(word);
    }
    ctx.push("]");
}

/// `envp` without `-v` (strace's `printargc`): the address and how many strings it holds,
/// `, unterminated` when an element cannot be read before the NULL.
fn envp(ctx: &mut Ctx<'_>, addr: u64) {
    if !ctx.opts.structs {
        ctx.addr(addr);
        return;
    }
    if ctx.opts.verbose || addr == 0 {
        argv(ctx, addr);
        return;
    }
    ctx.addr(addr);
    let word = match ctx.abi {
        Abi::X86_64 => 8,
        Abi::I386 => 4,
    };
    let mut n = 0u64;
    let mut at = addr;
    let mut unterminated = false;
    loop {
        match read_ptr(ctx, at, 0) {
            None if n == 0 => return,
            None => {
                unterminated = true;
                break;
            }
            Some(0) => break,
            Some(_) => {}
        }
        n += 1;
        match at.checked_add(word) {
            Some(next) => at = next,
            None => break,
        }
    }
    let _ = write!(
        ctx.out,
        " /* {n} var{}{} */",
        if n == 1 { "" } else { "s" },
        if unterminated { ", unterminated" } else { "" }
    );
}

const CSIGNAL: u64 = 0xff;
const CLONE_PARENT_SETTID: u64 = 0x0010_0000;
const CLONE_CHILD_SETTID: u64 = 0x0100_0000;
const CLONE_CHILD_CLEARTID: u64 = 0x0020_0000;
const CLONE_SETTLS: u64 = 0x0008_0000;
const CLONE_PIDFD: u64 = 0x0000_1000;

fn clone_flags(ctx: &mut Ctx<'_>, flags: u64) {
    let rest = flags & !CSIGNAL;
    let sig = flags & CSIGNAL;
    if rest != 0 || sig == 0 {
        ctx.flags(xlat::CLONE_FLAGS, rest, "CLONE_???");
        if sig != 0 {
            ctx.push("|");
        }
    }
    if sig != 0 {
        structs::signo(ctx, sig as i64);
    }
}

fn clone(ctx: &mut Ctx<'_>) -> Step {
    // x86_64: clone(flags, stack, parent_tid, child_tid, tls)
    let flags = ctx.arg(0);
    if !ctx.exiting {
        ctx.push("child_stack=");
        ctx.ptr(1);
        ctx.push(", flags=");
        clone_flags(ctx, flags);
        if flags
            & (CLONE_PARENT_SETTID
                | CLONE_PIDFD
                | CLONE_CHILD_SETTID
                | CLONE_CHILD_CLEARTID
                | CLONE_SETTLS)
            == 0
        {
            return Step::Decoded;
        }
        return Step::Exit;
    }
    // strace's order: parent_tid (with CLONE_PIDFD alone: the pidfd stored there), tls,
    // child_tidptr.
    if flags & CLONE_PARENT_SETTID != 0 {
        ctx.push(", parent_tid=");
        ctx.int_ptr(ctx.arg(2));
    } else if flags & CLONE_PIDFD != 0 {
        ctx.push(", parent_tid=");
        match ctx.read::<i32>(ctx.arg(2)) {
            Some(fd) => {
                ctx.push("[");
                ctx.fd_val(fd);
                ctx.push("]");
            }
            None => ctx.hex(2),
        }
    }
    if flags & CLONE_SETTLS != 0 {
        ctx.push(", tls=");
        ctx.hex(4);
    }
    if flags & (CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID) != 0 {
        ctx.push(", child_tidptr=");
        ctx.hex(3);
    }
    Step::Decoded
}

/// `struct clone_args`: as many of its 64-bit fields as the size covers (64 bytes in the
/// first version, 80 with `set_tid`, 88 with `cgroup`), what lies past them as bytes.
fn clone3(ctx: &mut Ctx<'_>) -> Step {
    let addr = ctx.arg(0);
    let size = ctx.arg(1);
    const KNOWN: u64 = 88;
    let fields = (size.min(KNOWN) / 8) as usize;
    let mut a = [0u64; 11];
    let read = size >= 64
        && ctx
            .read_bytes(addr, fields * 8)
            .map(|b| {
                for (k, v) in a.iter_mut().enumerate().take(fields) {
                    *v = u64::from_ne_bytes(b[8 * k..8 * k + 8].try_into().unwrap());
                }
            })
            .is_some();
    if !read {
        if ctx.exiting {
            return Step::Decoded;
        }
        ctx.addr(addr);
        ctx.comma();
        ctx.ulong(1);
        return Step::Decoded;
    }
    // flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
    // set_tid_size, cgroup
    let flags = a[0];
    if !ctx.exiting {
        ctx.push("{flags=");
        ctx.flags(xlat::CLONE3_FLAGS, flags, "CLONE_???");
        if flags & 0x1000 != 0 {
            ctx.push(", pidfd=");
            ctx.addr(a[1]);
        }
        if flags & (CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID) != 0 {
            ctx.push(", child_tid=");
            ctx.addr(a[2]);
        }
        if flags & CLONE_PARENT_SETTID != 0 {
            ctx.push(", parent_tid=");
            ctx.addr(a[3]);
        }
        ctx.push(", exit_signal=");
        if (1..=64).contains(&a[4]) {
            let name = signals::name(a[4] as i64);
            crate::text::named(&mut ctx.out, ctx.opts.xlat, &a[4].to_string(), &name);
        } else {
            let _ = write!(ctx.out, "{}", a[4]);
        }
        ctx.push(", stack=");
        ctx.addr(a[5]);
        let _ = write!(ctx.out, ", stack_size={}", crate::text::Hx(a[6]));
        if flags & CLONE_SETTLS != 0 {
            ctx.push(", tls=");
            ctx.addr(a[7]);
        }
        if fields >= 10 && (a[8] != 0 || a[9] != 0) {
            ctx.push(", set_tid=");
            tid_array(ctx, a[8], a[9]);
            let _ = write!(ctx.out, ", set_tid_size={}", a[9]);
        }
        if fields >= 11 && (a[10] != 0 || flags & 0x200000000 != 0) {
            let _ = write!(ctx.out, ", cgroup={}", a[10]);
        }
        if size > KNOWN {
            structs::nonzero_tail(ctx, addr, KNOWN, size.min(KNOWN + 4096));
        }
        ctx.push("}");
        return Step::Exit;
    }
    if !ctx.error {
        // What the kernel wrote: the pidfd, the parent's tid, and what lies past the known
        // fields again (strace prints the tail on both sides).
        let mut parts = Vec::new();
        if flags & 0x1000 != 0 {
            let mut sub = ctx.scratch();
            sub.push("pidfd=");
            sub.int_ptr(a[1]);
            parts.push(sub.out);
        }
        if flags & CLONE_PARENT_SETTID != 0 {
            let mut sub = ctx.scratch();
            sub.push("parent_tid=");
            sub.int_ptr(a[3]);
            parts.push(sub.out);
        }
        if size > KNOWN {
            let mut sub = ctx.scratch();
            structs::nonzero_tail(&mut sub, addr, KNOWN, size.min(KNOWN + 4096));
            if let Some(tail) = sub.out.strip_prefix(", ") {
                parts.push(tail.to_owned());
            }
        }
        if !parts.is_empty() {
            let _ = write!(ctx.out, " => {{{}}}", parts.join(", "));
        }
    }
    ctx.comma();
    ctx.ulong(1);
    Step::Decoded
}

/// `clone3`'s `set_tid`: `n` process ids, as many as `-s` allows.
fn tid_array(ctx: &mut Ctx<'_>, addr: u64, n: u64) {
    if addr == 0 || n == 0 {
        ctx.addr(addr);
        return;
    }
    let max = ctx.opts.max_strlen as u64;
    let shown = n.min(max);
    let Some(b) = ctx.read_bytes(addr, (shown * 4) as usize) else {
        ctx.addr(addr);
        return;
    };
    ctx.push("[");
    for k in 0..shown as usize {
        if k > 0 {
            ctx.comma();
        }
        let v = i32::from_ne_bytes(b[4 * k..4 * k + 4].try_into().unwrap());
        let _ = write!(ctx.out, "{v}");
    }
    if n > max {
        ctx.push(", ...");
    }
    ctx.push("]");
}

/// The x86 extended-state components (`XFEATURE_*`), by number.
const XFEATURES: crate::text::Xlat = &[
    (0, "XFEATURE_FP"),
    (1, "XFEATURE_SSE"),
    (2, "XFEATURE_YMM"),
    (3, "XFEATURE_BNDREGS"),
    (4, "XFEATURE_BNDCSR"),
    (5, "XFEATURE_OPMASK"),
    (6, "XFEATURE_ZMM_Hi256"),
    (7, "XFEATURE_Hi16_ZMM"),
    (8, "XFEATURE_PT_UNIMPLEMENTED_SO_FAR"),
    (9, "XFEATURE_PKRU"),
    (10, "XFEATURE_PASID"),
    (15, "XFEATURE_LBR"),
    (17, "XFEATURE_XTILE_CFG"),
    (18, "XFEATURE_XTILE_DATA"),
];
/// The same components as a mask; the groups first, so that they take their bits.
const XFEATURE_MASKS: crate::text::Xlat = &[
    (0x3, "XFEATURE_MASK_FPSSE"),
    (0x1, "XFEATURE_MASK_FP"),
    (0x2, "XFEATURE_MASK_SSE"),
    (0x4, "XFEATURE_MASK_YMM"),
    (0x8, "XFEATURE_MASK_BNDREGS"),
    (0x10, "XFEATURE_MASK_BNDCSR"),
    (0xe0, "XFEATURE_MASK_AVX512"),
    (0x20, "XFEATURE_MASK_OPMASK"),
    (0x40, "XFEATURE_MASK_ZMM_Hi256"),
    (0x80, "XFEATURE_MASK_Hi16_ZMM"),
    (0x100, "XFEATURE_MASK_PT"),
    (0x200, "XFEATURE_MASK_PKRU"),
    (0x400, "XFEATURE_MASK_PASID"),
    (0x8000, "XFEATURE_MASK_LBR"),
    (0x60000, "XFEATURE_MASK_XTILE"),
    (0x20000, "XFEATURE_MASK_XTILE_CFG"),
    (0x40000, "XFEATURE_MASK_XTILE_DATA"),
];

/// `N /* NAME */` whatever `-X` says but raw (strace prints these values so); no comment
/// for an empty name.
fn commented(ctx: &mut Ctx<'_>, v: u64, name: &str) {
    ctx.hex_value(v);
    if ctx.opts.xlat != crate::text::XlatStyle::Raw && !name.is_empty() {
        let _ = write!(ctx.out, " /* {name} */");
    }
}

fn arch_prctl(ctx: &mut Ctx<'_>) -> Step {
    let code = ctx.arg(0) as u32 as u64;
    if !ctx.exiting {
        ctx.xval(xlat::ARCH_PRCTL, code, "ARCH_???");
        match code {
            // ARCH_GET_CPUID takes no argument.
            0x1011 => Step::Decoded,
            // ARCH_GET_FS/GS, ARCH_GET_XCOMP_SUPP/PERM/GUEST_PERM: filled by the call.
            0x1003 | 0x1004 | 0x1021 | 0x1022 | 0x1024 => {
                ctx.comma();
                Step::Exit
            }
            // ARCH_REQ_XCOMP_PERM/GUEST_PERM: a component number.
            0x1023 | 0x1025 => {
                ctx.comma();
                let v = ctx.arg(1);
                let name = crate::text::lookup(XFEATURES, v).unwrap_or("XFEATURE_???");
                commented(ctx, v, name);
                // The result is the permitted components' mask.
                Step::Exit
            }
            _ => {
                ctx.comma();
                ctx.hex(1);
                Step::Decoded
            }
        }
    } else {
        if matches!(code, 0x1023 | 0x1025) {
            // ARCH_REQ_XCOMP_PERM/GUEST_PERM: a positive result in hex, its components
            // after it (strace's RVAL_HEX with an auxstr, none in raw style).
            if !ctx.error && ctx.rval > 0 {
                ctx.rfmt = Rval::Hex;
                let known = XFEATURE_MASKS.iter().fold(0, |m, (bit, _)| m | bit);
                // No auxstr when no component is known (sprintflags_ex gives none).
                if ctx.opts.xlat != crate::text::XlatStyle::Raw && ctx.rval as u64 & known != 0 {
                    let mut names = String::new();
                    crate::text::flags(
                        &mut names,
                        crate::text::XlatStyle::Abbrev,
                        XFEATURE_MASKS,
                        ctx.rval as u64,
                        "",
                    );
                    ctx.rextra = format!(" ({names})");
                }
            }
            return Step::Decoded;
        }
        if ctx.error {
            ctx.ptr(1);
        } else if matches!(code, 0x1021 | 0x1022 | 0x1024) {
            match ctx.read::<u64>(ctx.arg(1)) {
                Some(v) => {
                    ctx.push("[");
                    let mut names = String::new();
                    if v != 0 {
                        crate::text::flags(
                            &mut names,
                            crate::text::XlatStyle::Abbrev,
                            XFEATURE_MASKS,
                            v,
                            "",
                        );
                        let known = XFEATURE_MASKS.iter().fold(0, |m, (bit, _)| m | bit);
                        if v & known == 0 {
                            // No component known: strace's printflags_ex names the default.
                            names = "XFEATURE_MASK_???".to_owned();
                        }
                    }
                    commented(ctx, v, &names);
                    ctx.push("]");
                }
                None => ctx.ptr(1),
            }
        } else {
            // The base read (strace's printnum_ptr): `[NULL]` when none is set.
            match ctx.read::<u64>(ctx.arg(1)) {
                Some(v) => {
                    ctx.push("[");
                    ctx.addr(v);
                    ctx.push("]");
                }
                None => ctx.ptr(1),
            }
        }
        Step::Decoded
    }
}

const CAP_AMBIENT_OPS: crate::text::Xlat = &[
    (1, "PR_CAP_AMBIENT_IS_SET"),
    (2, "PR_CAP_AMBIENT_RAISE"),
    (3, "PR_CAP_AMBIENT_LOWER"),
    (4, "PR_CAP_AMBIENT_CLEAR_ALL"),
];
const MCE_KILL_OPS: crate::text::Xlat = &[(0, "PR_MCE_KILL_CLEAR"), (1, "PR_MCE_KILL_SET")];
const MCE_KILL_POLICIES: crate::text::Xlat = &[
    (0, "PR_MCE_KILL_LATE"),
    (1, "PR_MCE_KILL_EARLY"),
    (2, "PR_MCE_KILL_DEFAULT"),
];
const PAC_KEYS: crate::text::Xlat = &[
    (1, "PR_PAC_APIAKEY"),
    (2, "PR_PAC_APIBKEY"),
    (4, "PR_PAC_APDAKEY"),
    (8, "PR_PAC_APDBKEY"),
    (16, "PR_PAC_APGAKEY"),
];

/// The prctl options whose arguments are constants of their own: PR_MCE_KILL (33),
/// PR_CAP_AMBIENT (47), PR_PAC_RESET_KEYS (54), PR_PAC_SET_ENABLED_KEYS (60); the other
/// arguments up to the fifth in hex.
fn prctl_with_tables(ctx: &mut Ctx<'_>, op: u64) {
    let (a1, a2) = (ctx.arg(1), ctx.arg(2));
    ctx.comma();
    let mut next = 2;
    match op {
        33 => {
            ctx.xval(MCE_KILL_OPS, a1, "PR_MCE_KILL_???");
            ctx.comma();
            if a1 == 1 {
                ctx.xval(MCE_KILL_POLICIES, a2, "PR_MCE_KILL_???");
            } else {
                ctx.hex(2);
            }
            next = 3;
        }
        47 => {
            ctx.xval(CAP_AMBIENT_OPS, a1, "PR_CAP_AMBIENT_???");
            ctx.comma();
            if (1..=3).contains(&a1) {
                ctx.xval(xlat::CAPS, a2, "CAP_???");
            } else {
                ctx.hex(2);
            }
            next = 3;
        }
        54 => ctx.flags(PAC_KEYS, a1, "PR_PAC_???"),
        _ => {
            // PR_PAC_SET_ENABLED_KEYS: the keys to change, then their new state (the
            // generic key, APGAKEY, cannot be disabled: not in the table here).
            ctx.flags(&PAC_KEYS[..4], a1, "PR_PAC_???");
            ctx.comma();
            ctx.flags(&PAC_KEYS[..4], a2, "PR_PAC_???");
            next = 3;
        }
    }
    for i in next..5 {
        ctx.comma();
        ctx.hex(i);
    }
}

const FP_MODES: crate::text::Xlat = &[(1, "PR_FP_MODE_FR"), (2, "PR_FP_MODE_FRE")];
const SECUREBITS: crate::text::Xlat = &[
    (0x1, "SECBIT_NOROOT"),
    (0x2, "SECBIT_NOROOT_LOCKED"),
    (0x4, "SECBIT_NO_SETUID_FIXUP"),
    (0x8, "SECBIT_NO_SETUID_FIXUP_LOCKED"),
    (0x10, "SECBIT_KEEP_CAPS"),
    (0x20, "SECBIT_KEEP_CAPS_LOCKED"),
    (0x40, "SECBIT_NO_CAP_AMBIENT_RAISE"),
    (0x80, "SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED"),
];
const TSC_MODES: crate::text::Xlat = &[(1, "PR_TSC_ENABLE"), (2, "PR_TSC_SIGSEGV")];
const UNALIGN_MODES: crate::text::Xlat = &[(1, "PR_UNALIGN_NOPRINT"), (2, "PR_UNALIGN_SIGBUS")];
/// A PR_SVE_SET_VL/PR_SME_SET_VL argument or result: below 0x10000 a length in hex, else
/// the flags, unknown flag bits in hex, then the length (`PR_SVE_VL_INHERIT|0x100`).
fn vector_length(style: crate::text::XlatStyle, op: u64, v: u64) -> String {
    use crate::text::{Hx, XlatStyle};
    if v < 0x10000 || style == XlatStyle::Raw {
        return Hx(v).to_string();
    }
    let ext = if op < 60 { "SVE" } else { "SME" };
    let mut parts = Vec::new();
    if v & (1 << 18) != 0 {
        parts.push(format!("PR_{ext}_SET_VL_ONEXEC"));
    }
    if v & (1 << 17) != 0 {
        parts.push(format!("PR_{ext}_VL_INHERIT"));
    }
    let rest = v & !0xffff & !(3 << 17);
    if rest != 0 {
        parts.push(Hx(rest).to_string());
    }
    parts.push(Hx(v & 0xffff).to_string());
    let names = parts.join("|");
    if style == XlatStyle::Verbose {
        format!("{} /* {names} */", Hx(v))
    } else {
        names
    }
}

const SCHED_CORE_OPS: crate::text::Xlat = &[
    (0, "PR_SCHED_CORE_GET"),
    (1, "PR_SCHED_CORE_CREATE"),
    (2, "PR_SCHED_CORE_SHARE_TO"),
    (3, "PR_SCHED_CORE_SHARE_FROM"),
];
const PIDTYPES: crate::text::Xlat = &[
    (0, "PIDTYPE_PID"),
    (1, "PIDTYPE_TGID"),
    (2, "PIDTYPE_PGID"),
    (3, "PIDTYPE_SID"),
];

/// PR_SCHED_CORE: the operation, a process id, its type (always with its name in a
/// comment, as strace prints it), and the cookie: read back at exit for
/// PR_SCHED_CORE_GET.
fn prctl_sched_core(ctx: &mut Ctx<'_>) -> Step {
    let sub = ctx.arg(1) as u32 as u64;
    ctx.comma();
    ctx.xval(SCHED_CORE_OPS, sub, "PR_SCHED_CORE_???");
    ctx.comma();
    let pid_kind = match ctx.arg(3) as u32 {
        0 => crate::pidns::Kind::Tid,
        2 => crate::pidns::Kind::Pgid,
        _ => crate::pidns::Kind::Tgid,
    };
    ctx.pid_of_kind(ctx.arg_int(2), pid_kind);
    ctx.comma();
    let kind = ctx.arg(3) as u32 as u64;
    ctx.hex_value(kind);
    if ctx.opts.xlat != crate::text::XlatStyle::Raw {
        let name = crate::text::lookup(PIDTYPES, kind).unwrap_or("PIDTYPE_???");
        let _ = write!(ctx.out, " /* {name} */");
    }
    ctx.comma();
    if sub == 0 {
        return Step::Exit;
    }
    ctx.ptr(4);
    Step::Decoded
}

const SPEC_CMDS: crate::text::Xlat = &[
    (0, "PR_SPEC_STORE_BYPASS"),
    (1, "PR_SPEC_INDIRECT_BRANCH"),
    (2, "PR_SPEC_L1D_FLUSH"),
];
/// What PR_GET_SPECULATION_CTRL returns; from the third entry on, what
/// PR_SET_SPECULATION_CTRL takes.
const SPEC_FLAGS: crate::text::Xlat = &[
    (0, "PR_SPEC_NOT_AFFECTED"),
    (1 << 0, "PR_SPEC_PRCTL"),
    (1 << 1, "PR_SPEC_ENABLE"),
    (1 << 2, "PR_SPEC_DISABLE"),
    (1 << 3, "PR_SPEC_FORCE_DISABLE"),
    (1 << 4, "PR_SPEC_DISABLE_NOEXEC"),
];
const SUD_CMDS: crate::text::Xlat = &[(0, "PR_SYS_DISPATCH_OFF"), (1, "PR_SYS_DISPATCH_ON")];

/// The PR_SET/GET_TAGGED_ADDR_CTRL value: `!PR_TAGGED_ADDR_ENABLE|PR_MTE_TCF_SYNC|0x1<<PR_MTE_TAG_SHIFT`
/// (the number first outside `-X abbrev`; `rval`: the text after a return value, none with
/// `-X raw`).
fn tagged_addr(style: crate::text::XlatStyle, v: u64, rval: bool) -> Option<String> {
    use crate::text::XlatStyle;
    let mut out = String::new();
    if !rval && style != XlatStyle::Abbrev {
        out.push_str(&crate::text::Hx(v).to_string());
    }
    if style == XlatStyle::Raw {
        return (!rval).then_some(out);
    }
    let verbose = !rval && style == XlatStyle::Verbose;
    if verbose {
        out.push_str(" /* ");
    }
    out.push_str(if v & 1 != 0 {
        "PR_TAGGED_ADDR_ENABLE|"
    } else {
        "!PR_TAGGED_ADDR_ENABLE|"
    });
    out.push_str(match v & 6 {
        0 => "PR_MTE_TCF_NONE",
        2 => "PR_MTE_TCF_SYNC",
        4 => "PR_MTE_TCF_ASYNC",
        _ => "PR_MTE_TCF_MASK",
    });
    let tag = v & (0xffff << 3);
    if tag != 0 {
        let _ = write!(out, "|{:#x}<<PR_MTE_TAG_SHIFT", tag >> 3);
    }
    let rest = v & !(1 | 6 | (0xffff << 3));
    if rest != 0 {
        let _ = write!(out, "|{rest:#x}");
    }
    if verbose {
        out.push_str(" */");
    }
    Some(out)
}

/// A pointer-sized word the kernel stored (4 bytes for an i386 tracee).
fn read_word(ctx: &Ctx<'_>, addr: u64) -> Option<u64> {
    match ctx.abi {
        super::Abi::X86_64 => ctx.read::<u64>(addr),
        super::Abi::I386 => ctx.read::<u32>(addr).map(u64::from),
    }
}

/// `[0x7f...]`: a pointer the kernel stored (`[NULL]` for none).
fn ptr_box(ctx: &mut Ctx<'_>, addr: u64) {
    match read_word(ctx, addr) {
        Some(p) => {
            ctx.push("[");
            ctx.addr(p);
            ctx.push("]");
        }
        None => ctx.addr(addr),
    }
}

/// `[24]`: an `unsigned long` the kernel stored.
fn ulong_box(ctx: &mut Ctx<'_>, addr: u64) {
    match read_word(ctx, addr) {
        Some(v) => {
            let _ = write!(ctx.out, "[{v}]");
        }
        None => ctx.addr(addr),
    }
}

const SCHED_FLAGS: crate::text::Xlat = &[
    (0x01, "SCHED_FLAG_RESET_ON_FORK"),
    (0x02, "SCHED_FLAG_RECLAIM"),
    (0x04, "SCHED_FLAG_DL_OVERRUN"),
    (0x08, "SCHED_FLAG_KEEP_POLICY"),
    (0x10, "SCHED_FLAG_KEEP_PARAMS"),
    (0x20, "SCHED_FLAG_UTIL_CLAMP_MIN"),
    (0x40, "SCHED_FLAG_UTIL_CLAMP_MAX"),
];
/// `struct sched_attr`'s first size (`SCHED_ATTR_SIZE_VER0`) and its whole size (`VER1`).
const SCHED_ATTR_MIN: usize = 48;
const SCHED_ATTR_VER1: usize = 56;

/// `struct sched_attr` as strace prints it: `usize` is `sched_getattr`'s buffer size (the
/// kernel's answer, sized by its own `size` field), 0 for `sched_setattr` (the caller's,
/// sized by its `size`).
fn sched_attr(ctx: &mut Ctx<'_>, addr: u64, usize_: u32) {
    let is_set = usize_ == 0;
    let mut b = [0u8; SCHED_ATTR_VER1];
    let (size, asked) = if !is_set {
        let n = (usize_ as usize).min(SCHED_ATTR_VER1);
        match ctx.read_bytes(addr, n).filter(|_| addr != 0) {
            Some(r) => b[..n].copy_from_slice(&r),
            None => {
                ctx.addr(addr);
                return;
            }
        }
        let written = u32::from_ne_bytes(b[..4].try_into().expect("4 bytes"));
        (written as usize, written as usize)
    } else {
        let Some(sz) = ctx.read::<u32>(addr) else {
            ctx.addr(addr);
            return;
        };
        let asked = if sz == 0 { SCHED_ATTR_MIN } else { sz as usize };
        let n = asked.min(SCHED_ATTR_VER1);
        b[..4].copy_from_slice(&sz.to_ne_bytes());
        if n >= SCHED_ATTR_MIN {
            match ctx.read_bytes(addr, n) {
                Some(r) => b[..n].copy_from_slice(&r),
                None => {
                    ctx.addr(addr);
                    return;
                }
            }
        }
        (n, asked)
    };
    let u32_at = |o: usize| u32::from_ne_bytes(b[o..o + 4].try_into().expect("4 bytes"));
    let u64_at = |o: usize| u64::from_ne_bytes(b[o..o + 8].try_into().expect("8 bytes"));
    let _ = write!(ctx.out, "{{size={}", u32_at(0));
    if size >= SCHED_ATTR_MIN {
        let (policy, flags) = (u32_at(4), u64_at(8));
        if !is_set || (policy as i32) < 0 || flags & 0x18 == 0 {
            ctx.push(", sched_policy=");
            ctx.xval(xlat::SCHED_POLICIES, policy.into(), "SCHED_???");
        }
        ctx.push(", sched_flags=");
        ctx.flags(SCHED_FLAGS, flags, "SCHED_FLAG_???");
        if !is_set || flags & 0x10 == 0 {
            let _ = write!(
                ctx.out,
                ", sched_nice={}, sched_priority={}, sched_runtime={}, sched_deadline={}, sched_period={}",
                u32_at(16) as i32,
                u32_at(20),
                u64_at(24),
                u64_at(32),
                u64_at(40)
            );
        }
        if size >= SCHED_ATTR_VER1 {
            let _ = write!(
                ctx.out,
                ", sched_util_min={}, sched_util_max={}",
                u32_at(48),
                u32_at(52)
            );
        }
    }
    let total = if is_set { asked } else { u32_at(0) as usize };
    if total > size {
        ctx.push(", ...");
    }
    ctx.push("}");
}

fn sched_getattr(ctx: &mut Ctx<'_>) -> Step {
    if !ctx.exiting {
        ctx.pid_arg(ctx.arg_int(0));
        ctx.comma();
        return Step::Exit;
    }
    let size = ctx.arg(2) as u32;
    if size != 0 && !ctx.error {
        sched_attr(ctx, ctx.arg(1), size);
    } else {
        ctx.ptr(1);
    }
    let _ = write!(ctx.out, ", {size}, {}", ctx.arg(3) as u32);
    Step::Decoded
}

fn sched_setattr(ctx: &mut Ctx<'_>) -> Step {
    if !ctx.exiting {
        ctx.pid_arg(ctx.arg_int(0));
        ctx.comma();
        sched_attr(ctx, ctx.arg(1), 0);
        return Step::Exit;
    }
    // E2BIG: the kernel wrote the size it supports.
    if ctx.error && ctx.rval == -7 {
        if let Some(sz) = ctx.read::<u32>(ctx.arg(1)) {
            let _ = write!(ctx.out, " => {{size={sz}}}");
        }
    }
    let _ = write!(ctx.out, ", {}", ctx.arg(2) as u32);
    Step::Decoded
}

/// `setpgid`'s process group.
fn pgid_arg(ctx: &mut Ctx<'_>, v: u64) {
    ctx.pid_of_kind(v as i32, crate::pidns::Kind::Pgid);
}

/// The `who` of `getpriority`/`setpriority`, by `which`: a process, a process group or a
/// user.
fn prio_who(ctx: &mut Ctx<'_>, v: u64) {
    match ctx.arg(0) as u32 {
        0 => ctx.pid_of_kind(v as i32, crate::pidns::Kind::Tgid),
        1 => ctx.pid_of_kind(v as i32, crate::pidns::Kind::Pgid),
        _ => ctx.int_value(v),
    }
}

/// The `who` of `ioprio_get`/`ioprio_set`, by `which`: a thread, a process group or a
/// user.
fn ioprio_who(ctx: &mut Ctx<'_>, v: u64) {
    match ctx.arg(0) as u32 {
        1 => ctx.pid_of_kind(v as i32, crate::pidns::Kind::Tid),
        2 => ctx.pid_of_kind(v as i32, crate::pidns::Kind::Pgid),
        _ => ctx.int_value(v),
    }
}

const SUID_DUMP: crate::text::Xlat = &[
    (0, "SUID_DUMP_DISABLE"),
    (1, "SUID_DUMP_USER"),
    (2, "SUID_DUMP_ROOT"),
];

fn prctl(ctx: &mut Ctx<'_>) -> Step {
    let op = ctx.arg(0) as u32 as u64;
    if !ctx.exiting {
        ctx.xval(xlat::PRCTL, op, "PR_???");
        match op {
            15 => {
                // The kernel takes at most TASK_COMM_LEN - 1 bytes of the name.
                ctx.comma();
                ctx.cstr_sized(ctx.arg(1), 15);
                Step::Decoded
            }
            0x5961_6d61 => {
                // PR_SET_PTRACER: a process id, or PR_SET_PTRACER_ANY.
                ctx.comma();
                if ctx.arg_int(1) == -1 {
                    crate::text::named(&mut ctx.out, ctx.opts.xlat, "-1", "PR_SET_PTRACER_ANY");
                } else {
                    ctx.pid_arg(ctx.arg_int(1));
                }
                Step::Decoded
            }
            28 => {
                ctx.comma();
                ctx.flags(SECUREBITS, ctx.arg(1), "SECBIT_???");
                Step::Decoded
            }
            22 => {
                // PR_SET_SECCOMP: a mode; a filter program for SECCOMP_MODE_FILTER.
                ctx.comma();
                let mode = ctx.arg(1);
                ctx.xval(super::cbpf_xlat::SECCOMP_MODE, mode, "SECCOMP_MODE_???");
                match mode {
                    1 => {}
                    2 => {
                        ctx.comma();
                        super::cbpf::fprog(ctx, ctx.arg(2), super::cbpf::Flavour::Seccomp);
                    }
                    _ => {
                        for i in 2..5 {
                            ctx.comma();
                            ctx.hex(i);
                        }
                    }
                }
                Step::Decoded
            }
            26 => {
                ctx.comma();
                ctx.xval(TSC_MODES, ctx.arg(1) as u32 as u64, "PR_TSC_???");
                Step::Decoded
            }
            6 => {
                ctx.comma();
                ctx.flags(UNALIGN_MODES, ctx.arg(1), "PR_UNALIGN_???");
                Step::Decoded
            }
            5 | 25 => {
                ctx.comma();
                Step::Exit
            }
            27 => Step::Exit,
            50 | 63 => {
                // PR_SVE_SET_VL, PR_SME_SET_VL: a vector length and flags.
                ctx.comma();
                let text = vector_length(ctx.opts.xlat, op, ctx.arg(1));
                ctx.push(&text);
                Step::Exit
            }
            51 | 64 | 46 => Step::Exit,
            45 => {
                // PR_SET_FP_MODE.
                ctx.comma();
                ctx.flags(FP_MODES, ctx.arg(1), "PR_FP_MODE_???");
                Step::Decoded
            }
            16 | 2 => {
                ctx.comma();
                Step::Exit
            }
            1 => {
                // A signal by name, anything else as an unsigned number (strace).
                ctx.comma();
                match ctx.arg(1) {
                    s @ 0..=64 => structs::signo(ctx, s as i64),
                    v => {
                        let _ = write!(ctx.out, "{v}");
                    }
                }
                Step::Decoded
            }
            3 => Step::Exit,
            9 | 11 | 19 | 37 | 40 => {
                ctx.comma();
                Step::Exit
            }
            7 | 13 | 21 | 30 | 31 | 32 | 39 | 42 => Step::Decoded,
            34 | 61 => {
                // PR_MCE_KILL_GET, PR_PAC_GET_ENABLED_KEYS: what they return is named.
                for i in 1..5 {
                    ctx.comma();
                    ctx.hex(i);
                }
                Step::Exit
            }
            23 | 24 => {
                ctx.comma();
                ctx.xval(xlat::CAPS, ctx.arg(1), "CAP_???");
                Step::Decoded
            }
            4 => {
                ctx.comma();
                ctx.xval(SUID_DUMP, ctx.arg(1), "SUID_DUMP_???");
                Step::Decoded
            }
            33 | 47 | 54 | 60 => {
                prctl_with_tables(ctx, op);
                Step::Decoded
            }
            62 => prctl_sched_core(ctx),
            55 => {
                // PR_SET_TAGGED_ADDR_CTRL.
                ctx.comma();
                let text = tagged_addr(ctx.opts.xlat, ctx.arg(1), false).unwrap_or_default();
                ctx.push(&text);
                for i in 2..5 {
                    ctx.comma();
                    ctx.hex(i);
                }
                Step::Decoded
            }
            56 => {
                for i in 1..5 {
                    ctx.comma();
                    ctx.hex(i);
                }
                Step::Exit
            }
            52 | 53 => {
                // PR_GET/SET_SPECULATION_CTRL: the mitigation, then (set) its new state.
                ctx.comma();
                let which = ctx.arg(1);
                ctx.xval(SPEC_CMDS, which, "PR_SPEC_???");
                if op == 52 {
                    ctx.stash = which;
                    return Step::Exit;
                }
                ctx.comma();
                if which <= 2 {
                    ctx.xval(&SPEC_FLAGS[2..], ctx.arg(2), "PR_SPEC_???");
                } else {
                    ctx.hex(2);
                }
                Step::Decoded
            }
            59 => {
                // PR_SET_SYSCALL_USER_DISPATCH: on/off, offset, length, selector.
                ctx.comma();
                ctx.xval(SUD_CMDS, ctx.arg(1), "PR_SYS_DISPATCH_???");
                ctx.comma();
                ctx.hex(2);
                ctx.comma();
                ctx.hex(3);
                ctx.comma();
                ctx.ptr(4);
                Step::Decoded
            }
            0x5356_4d41 => {
                // PR_SET_VMA: PR_SET_VMA_ANON_NAME names a range of anonymous memory.
                ctx.comma();
                ctx.xval(&[(0, "PR_SET_VMA_ANON_NAME")], ctx.arg(1), "PR_SET_VMA_???");
                if ctx.arg(1) == 0 {
                    ctx.comma();
                    ctx.ptr(2);
                    ctx.comma();
                    ctx.ulong(3);
                    ctx.comma();
                    ctx.cstr(4);
                } else {
                    for i in 2..5 {
                        ctx.comma();
                        ctx.hex(i);
                    }
                }
                Step::Decoded
            }
            8 | 36 | 38 | 41 => {
                ctx.comma();
                ctx.ulong(1);
                if op == 38 {
                    for i in 2..5 {
                        ctx.comma();
                        ctx.ulong(i);
                    }
                }
                Step::Decoded
            }
            _ => {
                for i in 1..5 {
                    ctx.comma();
                    ctx.hex(i);
                }
                Step::Decoded
            }
        }
    } else {
        if op == 34 || op == 61 {
            // Named after the return value when it has a name (abbreviated style only).
            let named = match op {
                34 => ctx.opts.xlat == crate::text::XlatStyle::Abbrev,
                _ => ctx.opts.xlat != crate::text::XlatStyle::Raw,
            };
            if !ctx.error && named {
                let v = ctx.rval as u64;
                let names = if op == 34 {
                    crate::text::lookup(MCE_KILL_POLICIES, v).map(str::to_owned)
                } else {
                    ctx.rfmt = Rval::Hex;
                    let mut f = String::new();
                    crate::text::flags(
                        &mut f,
                        crate::text::XlatStyle::Abbrev,
                        &PAC_KEYS[..4],
                        v,
                        "",
                    );
                    (v != 0 && !f.starts_with("0x")).then_some(f)
                };
                if let Some(n) = names {
                    ctx.rextra = format!(" ({n})");
                }
            } else if !ctx.error && op == 61 {
                ctx.rfmt = Rval::Hex;
            }
        } else if op == 56 {
            if !ctx.error {
                ctx.rfmt = Rval::Hex;
                if let Some(text) = tagged_addr(ctx.opts.xlat, ctx.rval as u64, true) {
                    ctx.rextra = format!(" ({text})");
                }
            }
        } else if op == 52 {
            if !ctx.error && ctx.stash <= 2 {
                ctx.rfmt = Rval::Hex;
                if ctx.opts.xlat != crate::text::XlatStyle::Raw {
                    let mut f = String::new();
                    let v = ctx.rval as u64;
                    crate::text::flags(&mut f, crate::text::XlatStyle::Abbrev, SPEC_FLAGS, v, "");
                    if !f.starts_with("0x") {
                        ctx.rextra = format!(" ({f})");
                    }
                }
            }
        } else if op == 3 {
            if !ctx.error {
                ctx.rextra = match ctx.rval {
                    0 => " (SUID_DUMP_DISABLE)",
                    1 => " (SUID_DUMP_USER)",
                    2 => " (SUID_DUMP_ROOT)",
                    _ => "",
                }
                .to_owned();
            }
        } else if matches!(op, 50 | 51 | 63 | 64) {
            if !ctx.error {
                ctx.rfmt = Rval::Hex;
                let v = ctx.rval as u64;
                if v >= 0x10000 && ctx.opts.xlat != crate::text::XlatStyle::Raw {
                    let text = vector_length(crate::text::XlatStyle::Abbrev, op, v);
                    ctx.rextra = format!(" ({text})");
                }
            }
        } else if op == 46 {
            if !ctx.error {
                ctx.rfmt = Rval::Hex;
                let v = ctx.rval as u64;
                if v != 0 {
                    let mut f = String::new();
                    crate::text::flags(&mut f, crate::text::XlatStyle::Abbrev, FP_MODES, v, "");
                    if !f.starts_with("0x") {
                        ctx.rextra = format!(" ({f})");
                    }
                }
            }
        } else if op == 27 {
            if !ctx.error {
                ctx.rfmt = Rval::Hex;
                if ctx.rval & 0xff != 0 && ctx.opts.xlat != crate::text::XlatStyle::Raw {
                    let mut f = String::new();
                    crate::text::flags(
                        &mut f,
                        crate::text::XlatStyle::Abbrev,
                        SECUREBITS,
                        ctx.rval as u64,
                        "",
                    );
                    ctx.rextra = format!(" ({f})");
                }
            }
        } else if op == 5 || op == 25 {
            match ctx.read::<u32>(ctx.arg(1)) {
                Some(v) if !ctx.error => {
                    ctx.push("[");
                    if op == 5 {
                        ctx.flags(UNALIGN_MODES, u64::from(v), "PR_UNALIGN_???");
                    } else {
                        ctx.xval(TSC_MODES, u64::from(v), "PR_TSC_???");
                    }
                    ctx.push("]");
                }
                _ => ctx.ptr(1),
            }
        } else if op == 62 {
            match ctx.read::<u64>(ctx.arg(4)) {
                Some(v) if !ctx.error => {
                    let _ = write!(ctx.out, "[{}]", crate::text::Hx(v));
                }
                _ => ctx.ptr(4),
            }
        } else if ctx.error {
            ctx.ptr(1);
        } else if matches!(op, 9 | 11 | 19 | 37) {
            ctx.num_ptr::<u32>(ctx.arg(1));
        } else if op == 40 {
            match ctx.read::<u64>(ctx.arg(1)) {
                Some(a) => {
                    let _ = write!(ctx.out, "[{}]", crate::text::Hx(a));
                }
                None => ctx.ptr(1),
            }
        } else if op == 16 {
            ctx.cstr(1);
        } else if op == 2 {
            match ctx.read::<i32>(ctx.arg(1)) {
                Some(s) => {
                    ctx.push("[");
                    if s == 0 {
                        ctx.push("0");
                    } else {
                        structs::signo(ctx, s as i64);
                    }
                    ctx.push("]");
                }
                None => ctx.ptr(1),
            }
        }
        Step::Decoded
    }
}

fn futex(ctx: &mut Ctx<'_>) -> Step {
    let op = ctx.arg(1) as u32;
    let val = ctx.arg(2) as u32;
    let val2 = ctx.arg(3) as u32;
    let val3 = u64::from(ctx.arg(5) as u32);
    ctx.ptr(0);
    ctx.comma();
    ctx.xval(xlat::FUTEX_OPS, u64::from(op), "FUTEX_???");
    match op & 127 {
        // FUTEX_WAIT, FUTEX_WAIT_BITSET, FUTEX_WAIT_REQUEUE_PI
        0 | 9 | 11 => {
            let _ = write!(ctx.out, ", {val}, ");
            structs::timespec(ctx, ctx.arg(3));
            match op & 127 {
                9 => {
                    ctx.comma();
                    ctx.xval(xlat::FUTEX_BITSET, val3, "");
                }
                11 => {
                    ctx.comma();
                    ctx.ptr(4);
                }
                _ => {}
            }
        }
        // FUTEX_LOCK_PI, FUTEX_LOCK_PI2
        6 | 13 => {
            ctx.comma();
            structs::timespec(ctx, ctx.arg(3));
        }
        // FUTEX_WAKE_BITSET
        10 => {
            let _ = write!(ctx.out, ", {val}, ");
            ctx.xval(xlat::FUTEX_BITSET, val3, "");
        }
        // FUTEX_REQUEUE, FUTEX_CMP_REQUEUE, FUTEX_CMP_REQUEUE_PI
        3 | 4 | 12 => {
            let _ = write!(ctx.out, ", {val}, {val2}, ");
            ctx.ptr(4);
            if op & 127 != 3 {
                let _ = write!(ctx.out, ", {val3}");
            }
        }
        // FUTEX_WAKE_OP: the operation word as strace spells it out.
        5 => {
            let _ = write!(ctx.out, ", {val}, {val2}, ");
            ctx.ptr(4);
            ctx.comma();
            if (val3 >> 28) & 8 != 0 {
                ctx.xval(&[(8, "FUTEX_OP_OPARG_SHIFT")], 8, "");
                ctx.push("<<28|");
            }
            let wake_op = (val3 >> 28) & 7;
            ctx.xval(xlat::FUTEX_WAKE_OPS, wake_op, "");
            ctx.push("<<28");
            if crate::text::lookup(xlat::FUTEX_WAKE_OPS, wake_op).is_none() {
                ctx.push(" /* FUTEX_OP_??? */");
            }
            let _ = write!(ctx.out, "|{}<<12|", crate::text::Hx((val3 >> 12) & 0xfff));
            let cmp = (val3 >> 24) & 0xf;
            ctx.xval(xlat::FUTEX_WAKE_CMPS, cmp, "");
            ctx.push("<<24");
            if crate::text::lookup(xlat::FUTEX_WAKE_CMPS, cmp).is_none() {
                ctx.push(" /* FUTEX_OP_CMP_??? */");
            }
            let _ = write!(ctx.out, "|{}", crate::text::Hx(val3 & 0xfff));
        }
        // FUTEX_FD, FUTEX_WAKE
        1 | 2 => {
            let _ = write!(ctx.out, ", {val}");
        }
        // FUTEX_UNLOCK_PI, FUTEX_TRYLOCK_PI
        7 | 8 => {}
        _ => {
            let _ = write!(ctx.out, ", {val}, ");
            ctx.ptr(3);
            ctx.comma();
            ctx.ptr(4);
            let _ = write!(ctx.out, ", {}", crate::text::Hx(val3));
        }
    }
    Step::Decoded
}

/// `adjtimex`'s and `clock_adjtime`'s `struct timex` at exit (strace's `print_timex`), and
/// the clock state the call returned after the value (`5 (TIME_ERROR)`). An i386 tracee's
/// `clock_adjtime64` uses the 64-bit layout.
fn timex(ctx: &mut Ctx<'_>, addr: u64) {
    const MODES: crate::text::Xlat = &[
        (0xa001, "ADJ_OFFSET_SS_READ"),
        (0x8001, "ADJ_OFFSET_SINGLESHOT"),
        (0x0001, "ADJ_OFFSET"),
        (0x0002, "ADJ_FREQUENCY"),
        (0x0004, "ADJ_MAXERROR"),
        (0x0008, "ADJ_ESTERROR"),
        (0x0010, "ADJ_STATUS"),
        (0x0020, "ADJ_TIMECONST"),
        (0x0080, "ADJ_TAI"),
        (0x0100, "ADJ_SETOFFSET"),
        (0x1000, "ADJ_MICRO"),
        (0x2000, "ADJ_NANO"),
        (0x4000, "ADJ_TICK"),
    ];
    const STATUS: crate::text::Xlat = &[
        (0x0001, "STA_PLL"),
        (0x0002, "STA_PPSFREQ"),
        (0x0004, "STA_PPSTIME"),
        (0x0008, "STA_FLL"),
        (0x0010, "STA_INS"),
        (0x0020, "STA_DEL"),
        (0x0040, "STA_UNSYNC"),
        (0x0080, "STA_FREQHOLD"),
        (0x0100, "STA_PPSSIGNAL"),
        (0x0200, "STA_PPSJITTER"),
        (0x0400, "STA_PPSWANDER"),
        (0x0800, "STA_PPSERROR"),
        (0x1000, "STA_CLOCKERR"),
        (0x2000, "STA_NANO"),
        (0x4000, "STA_MODE"),
        (0x8000, "STA_CLK"),
    ];
    const STATES: [&str; 6] = [
        "TIME_OK",
        "TIME_INS",
        "TIME_DEL",
        "TIME_OOP",
        "TIME_WAIT",
        "TIME_ERROR",
    ];
    // The layout: 64-bit longs, or an i386 tracee's 32-bit ones (but for clock_adjtime64).
    let wide = ctx.abi == Abi::X86_64 || ctx.nr == 405;
    let (long, size) = if wide { (8, 208) } else { (4, 128) };
    let b = if ctx.error || addr == 0 {
        None
    } else {
        ctx.read_bytes(addr, size)
    };
    let Some(b) = b else {
        ctx.addr(addr);
        return;
    };
    let int_at = |o: usize| i32::from_ne_bytes(b[o..o + 4].try_into().unwrap());
    let long_at = |o: usize| {
        if wide {
            i64::from_ne_bytes(b[o..o + 8].try_into().unwrap())
        } else {
            i64::from(int_at(o))
        }
    };
    // Offsets: modes, then longs (offset, freq, maxerror, esterror), the int status in a
    // long's room, three longs, the timeval, then tick ... stbcnt with the int shift, tai.
    let at = |i: usize| long * i;
    ctx.push("{modes=");
    ctx.flags(MODES, u64::from(int_at(0) as u32), "ADJ_???");
    let _ = write!(
        ctx.out,
        ", offset={}, freq={}, maxerror={}, esterror={}, status=",
        long_at(at(1)),
        long_at(at(2)),
        long_at(at(3)),
        long_at(at(4))
    );
    ctx.flags(STATUS, u64::from(int_at(at(5)) as u32), "STA_???");
    let _ = write!(
        ctx.out,
        ", constant={}, precision={}, tolerance={}, time={{tv_sec={}, tv_usec={}}}, tick={}, \
         ppsfreq={}, jitter={}, shift={}, stabil={}, jitcnt={}, calcnt={}, errcnt={}, \
         stbcnt={}, tai={}}}",
        long_at(at(6)),
        long_at(at(7)),
        long_at(at(8)),
        long_at(at(9)),
        long_at(at(10)) as u64 & if wide { u64::MAX } else { 0xffff_ffff },
        long_at(at(11)),
        long_at(at(12)),
        long_at(at(13)),
        int_at(at(14)),
        long_at(at(15)),
        long_at(at(16)),
        long_at(at(17)),
        long_at(at(18)),
        long_at(at(19)),
        int_at(at(20)),
    );
    if let Some(state) = STATES.get(ctx.rval as usize) {
        ctx.rextra = format!(" ({state})");
    }
}

/// `futex_waitv`'s waiters (argument 1 of them): `{val, uaddr, flags}`, `__reserved` when
/// set; at most the kernel's 128, then `...`.
fn futex_waiters(ctx: &mut Ctx<'_>, addr: u64) {
    const FUTEX_WAITV_MAX: u64 = 128;
    const WAITER_FLAGS: crate::text::Xlat = &[(2, "FUTEX_32"), (128, "FUTEX_PRIVATE_FLAG")];
    let n = u64::from(ctx.arg(1) as u32);
    let mut count = 0;
    ctx.array(addr, n.min(FUTEX_WAITV_MAX + 1), 24, &mut |c, b| {
        count += 1;
        if count > FUTEX_WAITV_MAX {
            c.push("...");
            return;
        }
        let u64_at = |o: usize| u64::from_ne_bytes(b[o..o + 8].try_into().unwrap());
        let u32_at = |o: usize| u32::from_ne_bytes(b[o..o + 4].try_into().unwrap());
        let _ = write!(c.out, "{{val={}, uaddr=", crate::text::Hx(u64_at(0)));
        c.addr(u64_at(8));
        c.push(", flags=");
        c.flags(WAITER_FLAGS, u64::from(u32_at(16)), "FUTEX_???");
        if u32_at(20) != 0 {
            let _ = write!(c.out, ", __reserved={:#x}", u32_at(20));
        }
        c.push("}");
    });
}

/// A `struct user_desc` (16 bytes): its entry number, base, limit and descriptor bits.
const USER_DESC_SIZE: usize = 16;

/// `struct user_desc`'s four words (entry, base, limit, bits) from `b`.
fn user_desc_words(b: &[u8]) -> [u32; 4] {
    std::array::from_fn(|i| u32::from_ne_bytes(b[i * 4..i * 4 + 4].try_into().unwrap()))
}

/// `struct user_desc`'s fields after `entry_number` (strace's `print_user_desc`), then `}`:
/// `lm` only for a 64-bit tracee, as the kernel ignores it for 32-bit ones.
fn user_desc_tail(out: &mut String, [_, base, limit, bits]: [u32; 4], lm: bool) {
    // C's `%#08x`: zero has no `0x`.
    let x08 = |v: u32| {
        if v == 0 {
            "00000000".to_owned()
        } else {
            format!("{v:#08x}")
        }
    };
    let _ = write!(
        out,
        ", base_addr={}, limit={}, seg_32bit={}, contents={}, read_exec_only={}, \
         limit_in_pages={}, seg_not_present={}, useable={}",
        x08(base),
        x08(limit),
        bits & 1,
        (bits >> 1) & 3,
        (bits >> 3) & 1,
        (bits >> 4) & 1,
        (bits >> 5) & 1,
        (bits >> 6) & 1,
    );
    if lm {
        let _ = write!(out, ", lm={}", (bits >> 7) & 1);
    }
    out.push('}');
}

/// A whole `struct user_desc` as strace prints it (also an i386 `clone`'s TLS).
pub(crate) fn user_desc_text(words: [u32; 4], lm: bool) -> String {
    let mut out = String::from("{entry_number=");
    if words[0] == u32::MAX {
        out.push_str("-1");
    } else {
        let _ = write!(out, "{}", words[0]);
    }
    user_desc_tail(&mut out, words, lm);
    out
}

fn user_desc_rest(ctx: &mut Ctx<'_>, b: &[u8]) {
    let lm = ctx.abi == Abi::X86_64;
    user_desc_tail(&mut ctx.out, user_desc_words(b), lm);
}

/// An entry number: `-1` for "pick one".
fn entry_number(ctx: &mut Ctx<'_>, v: u32) {
    if v == u32::MAX {
        ctx.push("-1");
    } else {
        let _ = write!(ctx.out, "{v}");
    }
}

/// A whole `struct user_desc`, or its address when it cannot be read.
fn user_desc(ctx: &mut Ctx<'_>, addr: u64) {
    let Some(b) = ctx.read_bytes(addr, USER_DESC_SIZE).filter(|_| addr != 0) else {
        ctx.addr(addr);
        return;
    };
    let text = user_desc_text(user_desc_words(&b), ctx.abi == Abi::X86_64);
    ctx.push(&text);
}

/// `modify_ldt(func, ptr, bytecount)`: the descriptor when `bytecount` is its size. The
/// kernel returns an `int` in a 64-bit register: an error comes back as a large positive
/// value, printed as strace does (`4294967258 ENOSYS (Function not implemented)`).
fn modify_ldt(ctx: &mut Ctx<'_>) -> Step {
    if ctx.exiting {
        let v = ctx.rval as u64;
        if !ctx.error && ctx.abi == Abi::X86_64 && v >= 0xffff_f000 && v <= u64::from(u32::MAX) {
            let e = -(v as u32 as i32);
            ctx.rfmt = Rval::Udec;
            let name = crate::errno_names::errno_name(e as u64).unwrap_or("E???");
            ctx.rextra = format!(" {name} ({})", super::strerror(e));
        }
        return Step::Decoded;
    }
    ctx.int(0);
    ctx.comma();
    if ctx.arg(2) != USER_DESC_SIZE as u64 {
        ctx.ptr(1);
    } else {
        user_desc(ctx, ctx.arg(1));
    }
    ctx.comma();
    ctx.ulong(2);
    Step::Exit
}

/// `set_thread_area(u_info)`: the descriptor; the entry number the kernel chose after the
/// return value.
fn set_thread_area(ctx: &mut Ctx<'_>) -> Step {
    if ctx.exiting {
        if !ctx.error {
            if let Some(b) = ctx.read_bytes(ctx.arg(0), 4) {
                let n = u32::from_ne_bytes(b[..4].try_into().unwrap());
                ctx.rextra = format!(" (entry_number={n})");
            }
        }
        return Step::Decoded;
    }
    user_desc(ctx, ctx.arg(0));
    Step::Exit
}

/// `get_thread_area(u_info)`: the entry number asked for at entry, the rest at exit
/// (`, ...}` when the call failed; ` => N` when the kernel changed the number).
fn get_thread_area(ctx: &mut Ctx<'_>) -> Step {
    let addr = ctx.arg(0);
    // The entry number read at entry, plus one (0: not read).
    if !ctx.exiting {
        match ctx.read_bytes(addr, 4).filter(|_| addr != 0) {
            Some(b) => {
                let n = u32::from_ne_bytes(b[..4].try_into().unwrap());
                ctx.push("{entry_number=");
                entry_number(ctx, n);
                ctx.stash = u64::from(n) + 1;
            }
            None => {
                ctx.addr(addr);
                ctx.stash = 0;
            }
        }
        return Step::Exit;
    }
    if addr == 0 {
        return Step::Decoded;
    }
    let desc = if ctx.error {
        None
    } else {
        ctx.read_bytes(addr, USER_DESC_SIZE)
    };
    let Some(b) = desc else {
        if ctx.stash != 0 {
            ctx.push(", ...}");
        }
        return Step::Decoded;
    };
    let n = u32::from_ne_bytes(b[..4].try_into().unwrap());
    if ctx.stash == 0 {
        ctx.push(" => {entry_number=");
        entry_number(ctx, n);
    } else if u64::from(n) + 1 != ctx.stash {
        ctx.push(" => ");
        entry_number(ctx, n);
    }
    user_desc_rest(ctx, &b);
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

/// `membarrier(cmd, flags[, cpu])`: the CPU only with `MEMBARRIER_CMD_FLAG_CPU`; a query
/// returns the commands supported, named after the return value.
fn membarrier(ctx: &mut Ctx<'_>) -> Step {
    let cmd = ctx.arg(0) & 0xffff_ffff;
    if ctx.exiting {
        if !ctx.error {
            let mut sub = ctx.scratch();
            sub.flags(xlat::MEMBARRIER_CMDS, ctx.rval as u64, "");
            ctx.rfmt = Rval::Hex;
            ctx.rextra = format!(" ({})", sub.out);
        }
        return Step::Decoded;
    }
    ctx.xval(xlat::MEMBARRIER_CMDS, cmd, "MEMBARRIER_CMD_???");
    ctx.comma();
    ctx.uint(1);
    if ctx.arg(1) & 1 != 0 {
        ctx.comma();
        ctx.int(2);
    }
    if cmd == 0 {
        Step::Exit
    } else {
        Step::Decoded
    }
}

/// `personality`'s persona: `PER_LINUX`, or in hex.
const PER_TYPES: crate::text::Xlat = &[
    (0, "PER_LINUX"),
    (1, "PER_SVR4"),
    (2, "PER_SVR3"),
    (3, "PER_SCOSVR3"),
    (4, "PER_WYSEV386"),
    (5, "PER_ISCR4"),
    (6, "PER_BSD"),
    (7, "PER_XENIX"),
    (8, "PER_LINUX32"),
    (9, "PER_IRIX32"),
    (10, "PER_IRIXN32"),
    (11, "PER_IRIX64"),
    (12, "PER_RISCOS"),
    (13, "PER_SOLARIS"),
    (14, "PER_UW7"),
    (15, "PER_OSF4"),
    (16, "PER_HPUX"),
];
const PER_FLAGS: crate::text::Xlat = &[
    (0x20000, "UNAME26"),
    (0x40000, "ADDR_NO_RANDOMIZE"),
    (0x80000, "FDPIC_FUNCPTRS"),
    (0x100000, "MMAP_PAGE_ZERO"),
    (0x200000, "ADDR_COMPAT_LAYOUT"),
    (0x400000, "READ_IMPLIES_EXEC"),
    (0x800000, "ADDR_LIMIT_32BIT"),
    (0x1000000, "SHORT_INODE"),
    (0x2000000, "WHOLE_SECONDS"),
    (0x4000000, "STICKY_TIMEOUTS"),
    (0x8000000, "ADDR_LIMIT_3GB"),
];

/// A persona: its type (the low byte) then its flags (`PER_BSD|STICKY_TIMEOUTS`).
fn persona_text(style: crate::text::XlatStyle, v: u32) -> String {
    let mut out = String::new();
    let v = u64::from(v);
    crate::text::xval(&mut out, style, PER_TYPES, v & 0xff, "PER_???", true);
    if v & !0xff != 0 {
        out.push('|');
        crate::text::flags(&mut out, style, PER_FLAGS, v & !0xff, "");
    }
    out
}

fn persona(ctx: &mut Ctx<'_>, v: u64) {
    let v = v as u32;
    if v == u32::MAX {
        ctx.push("0xffffffff");
    } else {
        let text = persona_text(ctx.opts.xlat, v);
        ctx.push(&text);
    }
}

/// After `personality`'s return value: the previous persona, named.
fn previous_persona(ctx: &mut Ctx<'_>) {
    if !ctx.error {
        ctx.rextra = format!(" ({})", persona_text(ctx.opts.xlat, ctx.rval as u32));
    }
}

/// `struct sysinfo` (x86_64).
fn sysinfo(ctx: &mut Ctx<'_>, addr: u64) {
    match ctx.read::<[u64; 14]>(addr) {
        Some(s) => {
            let _ = write!(
                ctx.out,
                "{{uptime={}, loads=[{}, {}, {}], totalram={}, freeram={}, sharedram={}, bufferram={}, totalswap={}, freeswap={}, procs={}, totalhigh={}, freehigh={}, mem_unit={}}}",
                s[0] as i64, s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8], s[9], s[10] as u16, s[11], s[12], s[13] as u32
            );
        }
        None => ctx.addr(addr),
    }
}

const SIGEV: crate::text::Xlat = &[
    (0, "SIGEV_SIGNAL"),
    (1, "SIGEV_NONE"),
    (2, "SIGEV_THREAD"),
    (4, "SIGEV_THREAD_ID"),
];

/// A `struct sigevent` (strace's `print_sigevent`), in the tracee's ABI: the value when its
/// pointer is set, the signal (a number unless the notification sends one), the
/// notification, and the thread id or the thread function and attributes.
pub(super) fn sigevent(ctx: &mut Ctx<'_>, addr: u64) {
    if addr == 0 {
        ctx.push("NULL");
        return;
    }
    // sigev_value (a pointer-sized union), sigev_signo, sigev_notify, then the union of the
    // thread id and {function, attributes}.
    let w = match ctx.abi {
        Abi::X86_64 => 8,
        Abi::I386 => 4,
    };
    let Some(b) = ctx.read_bytes(addr, 8 + 3 * w) else {
        ctx.addr(addr);
        return;
    };
    let word = |at: usize| -> u64 {
        if w == 8 {
            u64::from_ne_bytes(b[at..at + 8].try_into().unwrap())
        } else {
            u64::from(u32::from_ne_bytes(b[at..at + 4].try_into().unwrap()))
        }
    };
    let int = |at: usize| i32::from_ne_bytes(b[at..at + 4].try_into().unwrap());
    let value = word(0);
    let signo = int(w);
    let notify = int(w + 4);
    let un = w + 8;
    ctx.push("{");
    if value != 0 {
        let _ = write!(
            ctx.out,
            "sigev_value={{sival_int={}, sival_ptr={}}}, ",
            value as i32,
            crate::text::Hx(value)
        );
    }
    ctx.push("sigev_signo=");
    if matches!(notify, 0 | 2 | 4) {
        structs::signo(ctx, i64::from(signo));
    } else {
        let _ = write!(ctx.out, "{}", signo as u32);
    }
    ctx.push(", sigev_notify=");
    ctx.xval(SIGEV, u64::from(notify as u32), "SIGEV_???");
    match notify {
        4 => {
            let _ = write!(ctx.out, ", sigev_notify_thread_id={}", int(un));
        }
        2 => {
            let (function, attributes) = (word(un), word(un + w));
            ctx.push(", sigev_notify_function=");
            ctx.addr(function);
            ctx.push(", sigev_notify_attributes=");
            ctx.addr(attributes);
        }
        _ => {}
    }
    ctx.push("}");
}

/// The policy `sched_getscheduler` returned, by name after the value (strace's auxstr).
fn policy_returned(ctx: &mut Ctx<'_>) {
    if !ctx.error {
        if let Some(name) = crate::text::lookup(xlat::SCHED_POLICIES, ctx.rval as u64) {
            ctx.rextra = format!(" ({name})");
        }
    }
}

fn sched_param(ctx: &mut Ctx<'_>, addr: u64) {
    match ctx.read::<i32>(addr) {
        Some(p) => {
            let _ = write!(ctx.out, "[{p}]");
        }
        None => ctx.addr(addr),
    }
}

const IOPRIO_WHO: crate::text::Xlat = &[
    (1, "IOPRIO_WHO_PROCESS"),
    (2, "IOPRIO_WHO_PGRP"),
    (3, "IOPRIO_WHO_USER"),
];

const IOPRIO_CLASSES: crate::text::Xlat = &[
    (0, "IOPRIO_CLASS_NONE"),
    (1, "IOPRIO_CLASS_RT"),
    (2, "IOPRIO_CLASS_BE"),
    (3, "IOPRIO_CLASS_IDLE"),
];

/// `IOPRIO_PRIO_VALUE(class, data)` of a 32-bit priority, the class in the `-X` style.
fn ioprio_value(style: crate::text::XlatStyle, v: u64) -> String {
    let v = v & 0xffff_ffff;
    let mut class = String::new();
    crate::text::xval(
        &mut class,
        style,
        IOPRIO_CLASSES,
        v >> 13,
        "IOPRIO_CLASS_???",
        true,
    );
    format!("IOPRIO_PRIO_VALUE({class}, {})", v & 0x1fff)
}

/// The I/O priority `ioprio_get` returned, after the value.
fn ioprio_returned(ctx: &mut Ctx<'_>) {
    if !ctx.error && ctx.opts.xlat != crate::text::XlatStyle::Raw {
        ctx.rextra = format!(" ({})", ioprio_value(ctx.opts.xlat, ctx.rval as u64));
    }
}

/// `_LINUX_CAPABILITY_VERSION_*`.
const CAP_VERSIONS: crate::text::Xlat = &[
    (0x1998_0330, "_LINUX_CAPABILITY_VERSION_1"),
    (0x2007_1026, "_LINUX_CAPABILITY_VERSION_2"),
    (0x2008_0522, "_LINUX_CAPABILITY_VERSION_3"),
];

/// strace's cap_mask0 and cap_mask1: `1<<CAP_X` for the capabilities of one 32-bit word.
fn cap_mask(word: usize) -> crate::text::Xlat {
    static T: std::sync::OnceLock<[Vec<(u64, &'static str)>; 2]> = std::sync::OnceLock::new();
    let t = T.get_or_init(|| {
        let mut t = [Vec::new(), Vec::new()];
        for &(n, name) in xlat::CAPS {
            let text: &'static str = Box::leak(format!("1<<{name}").into_boxed_str());
            t[(n / 32) as usize].push((1u64 << (n % 32), text));
        }
        t
    });
    &t[word]
}

/// The header `{version, pid}` at `addr`, when it is read (strace's `get_cap_header`: not
/// outside `-e verbose=`).
fn cap_header(ctx: &Ctx<'_>, addr: u64) -> Option<(u32, i32)> {
    if !ctx.opts.structs {
        return None;
    }
    ctx.read::<[u32; 2]>(addr).map(|[v, p]| (v, p as i32))
}

fn print_cap_header(ctx: &mut Ctx<'_>, addr: u64, h: Option<(u32, i32)>) {
    let Some((version, pid)) = h else {
        ctx.addr(addr);
        return;
    };
    ctx.push("{version=");
    ctx.xval(
        CAP_VERSIONS,
        version.into(),
        "_LINUX_CAPABILITY_VERSION_???",
    );
    ctx.push(", pid=");
    ctx.pid_arg(pid);
    ctx.push("}");
}

/// One set of capabilities: the low word's, then `|` and the high word's (strace's
/// `print_cap_bits`).
fn cap_bits(ctx: &mut Ctx<'_>, lo: u32, hi: u32) {
    if lo != 0 || hi == 0 {
        ctx.flags(cap_mask(0), lo.into(), "CAP_???");
    }
    if hi != 0 {
        if lo != 0 {
            ctx.push("|");
        }
        ctx.flags(cap_mask(1), hi.into(), "CAP_???");
    }
}

/// `{effective=..., permitted=..., inheritable=...}`: one or (versions 2 and 3) two words of
/// each set.
fn print_cap_data(ctx: &mut Ctx<'_>, addr: u64, h: Option<(u32, i32)>) {
    let Some((version, _)) = h.filter(|_| addr != 0) else {
        ctx.addr(addr);
        return;
    };
    let two = version == 0x2007_1026 || version == 0x2008_0522;
    let data: Option<[u32; 6]> = if two {
        ctx.read::<[u32; 6]>(addr)
    } else {
        ctx.read::<[u32; 3]>(addr)
            .map(|[e, p, i]| [e, p, i, 0, 0, 0])
    };
    let Some(d) = data else {
        ctx.addr(addr);
        return;
    };
    for (k, name) in ["effective", "permitted", "inheritable"].iter().enumerate() {
        ctx.push(if k == 0 { "{" } else { ", " });
        ctx.push(name);
        ctx.push("=");
        cap_bits(ctx, d[k], d[k + 3]);
    }
    ctx.push("}");
}

fn capget(ctx: &mut Ctx<'_>) -> Step {
    let hdr = ctx.arg(0);
    if !ctx.exiting {
        let h = cap_header(ctx, hdr);
        print_cap_header(ctx, hdr, h);
        ctx.comma();
        return Step::Exit;
    }
    let h = if ctx.error {
        None
    } else {
        cap_header(ctx, hdr)
    };
    print_cap_data(ctx, ctx.arg(1), h);
    Step::Decoded
}

fn capset(ctx: &mut Ctx<'_>) -> Step {
    let hdr = ctx.arg(0);
    let h = cap_header(ctx, hdr);
    print_cap_header(ctx, hdr, h);
    ctx.comma();
    print_cap_data(ctx, ctx.arg(1), h);
    Step::Decoded
}
