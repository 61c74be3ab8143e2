//! Signals: lines of `proc.strace` (`strace -o proc.strace ./proc`, from `proc.c`).

use libc::*;

use super::{at, call, check, neg, Recorded};

fn c(v: i32) -> u64 {
    v as u64
}

/// `[HUP INT]` at 0x10003200.
fn hup_int() -> Recorded {
    Recorded::default().u64s(at(0x3200), &[1 << (SIGHUP - 1) | 1 << (SIGINT - 1)])
}

#[test]
fn rt_sigaction() {
    // handler, flags, restorer, mask: SIG_IGN set, SIG_DFL was there.
    let set = Recorded::default().u64s(at(0x3000), &[1, 0, 0, 0]);
    let old = set.clone().u64s(at(0x3100), &[0, 0, 0, 0]);
    check(
        call("rt_sigaction", &[c(SIGUSR1), at(0x3000), at(0x3100), 8])
            .returns(0)
            .memory(set)
            .exit_memory(old.clone()),
        "rt_sigaction(SIGUSR1, {sa_handler=SIG_IGN, sa_mask=[], sa_flags=0}, {sa_handler=SIG_DFL, sa_mask=[], sa_flags=0}, 8) = 0",
    );
    check(
        call("rt_sigaction", &[c(SIGUSR2), 0, at(0x3100), 8])
            .returns(0)
            .memory(old),
        "rt_sigaction(SIGUSR2, NULL, {sa_handler=SIG_DFL, sa_mask=[], sa_flags=0}, 8) = 0",
    );
}

#[test]
fn rt_sigprocmask() {
    let m = hup_int().u64s(at(0x3210), &[0]);
    check(
        call("rt_sigprocmask", &[c(SIG_BLOCK), at(0x3200), at(0x3210), 8])
            .returns(0)
            .memory(m.clone()),
        "rt_sigprocmask(SIG_BLOCK, [HUP INT], [], 8) = 0",
    );
    check(
        call("rt_sigprocmask", &[c(SIG_SETMASK), at(0x3210), 0, 8])
            .returns(0)
            .memory(m),
        "rt_sigprocmask(SIG_SETMASK, [], NULL, 8) = 0",
    );
}

#[test]
fn rt_sigpending() {
    check(
        call("rt_sigpending", &[at(0x3220), 8])
            .returns(0)
            .memory(Recorded::default().u64s(at(0x3220), &[0])),
        "rt_sigpending([], 8)                    = 0",
    );
}

#[test]
fn kill_tkill_tgkill() {
    check(
        call("kill", &[0, 0]).returns(0),
        "kill(0, 0)                              = 0",
    );
    check(
        call("tkill", &[11189, c(SIGUSR1)]).returns(0),
        "tkill(11189, SIGUSR1)                   = 0",
    );
    check(
        call("tgkill", &[11189, 11189, c(SIGUSR1)]).returns(0),
        "tgkill(11189, 11189, SIGUSR1)           = 0",
    );
}

#[test]
fn sigaltstack() {
    check(
        call("sigaltstack", &[0, at(0x3300)])
            .returns(0)
            .memory(Recorded::default().u64s(at(0x3300), &[0, c(SS_DISABLE), 0])),
        "sigaltstack(NULL, {ss_sp=NULL, ss_flags=SS_DISABLE, ss_size=0}) = 0",
    );
}

#[test]
fn rt_sigtimedwait() {
    check(
        call("rt_sigtimedwait", &[at(0x3200), 0, at(0x1800), 8])
            .fails(EAGAIN)
            .memory(hup_int().u64s(at(0x1800), &[0, 1000])),
        "rt_sigtimedwait([HUP INT], NULL, {tv_sec=0, tv_nsec=1000}, 8) = -1 EAGAIN (Resource temporarily unavailable)",
    );
}

#[test]
fn signalfd4() {
    check(
        call("signalfd4", &[neg(-1), at(0x3200), 8, c(SFD_CLOEXEC)])
            .returns(3)
            .memory(hup_int()),
        "signalfd4(-1, [HUP INT], 8, SFD_CLOEXEC) = 3",
    );
}
