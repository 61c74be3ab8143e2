//! Names and meanings: signals, `si_code` values, the page-fault error code.

use core::ffi::c_int;

use tracekit_log_core::Access;

// The signal lists (also what `tracekit segv --signals` checks a list against).
pub use tracekit_signals::{parse_signals, DEFAULT_SIGNALS, SELECTABLE};

/// `SIGSEGV`, ... (`SIG?` for others).
pub fn signal_name(sig: c_int) -> &'static str {
    match sig {
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGBUS => "SIGBUS",
        libc::SIGILL => "SIGILL",
        libc::SIGFPE => "SIGFPE",
        libc::SIGABRT => "SIGABRT",
        libc::SIGTRAP => "SIGTRAP",
        libc::SIGSYS => "SIGSYS",
        libc::SIGSTKFLT => "SIGSTKFLT",
        libc::SIGXCPU => "SIGXCPU",
        libc::SIGXFSZ => "SIGXFSZ",
        _ => "SIG?",
    }
}

/// What `strsignal` says, without calling it (it is not async-signal-safe).
pub fn signal_text(sig: c_int) -> &'static str {
    match sig {
        libc::SIGSEGV => "Segmentation fault",
        libc::SIGBUS => "Bus error",
        libc::SIGILL => "Illegal instruction",
        libc::SIGFPE => "Floating point exception",
        libc::SIGABRT => "Aborted",
        libc::SIGTRAP => "Trace/breakpoint trap",
        libc::SIGSYS => "Bad system call",
        libc::SIGSTKFLT => "Stack fault",
        libc::SIGXCPU => "CPU time limit exceeded",
        libc::SIGXFSZ => "File size limit exceeded",
        _ => "Unknown signal",
    }
}

/// The name and meaning of `code` for `sig`, as in `siginfo.h` and sigaction(2).
pub fn code_text(sig: c_int, code: c_int) -> (&'static str, &'static str) {
    let specific = match (sig, code) {
        (libc::SIGSEGV, 1) => Some(("SEGV_MAPERR", "address not mapped to object")),
        (libc::SIGSEGV, 2) => Some(("SEGV_ACCERR", "invalid permissions for mapped object")),
        (libc::SIGSEGV, 3) => Some(("SEGV_BNDERR", "failed address bound checks")),
        (libc::SIGSEGV, 4) => Some(("SEGV_PKUERR", "access was denied by memory protection keys")),
        (libc::SIGBUS, 1) => Some(("BUS_ADRALN", "invalid address alignment")),
        (libc::SIGBUS, 2) => Some(("BUS_ADRERR", "nonexistent physical address")),
        (libc::SIGBUS, 3) => Some(("BUS_OBJERR", "object-specific hardware error")),
        (libc::SIGBUS, 4) => Some((
            "BUS_MCEERR_AR",
            "hardware memory error consumed on a machine check",
        )),
        (libc::SIGBUS, 5) => Some(("BUS_MCEERR_AO", "hardware memory error detected in process")),
        (libc::SIGILL, 1) => Some(("ILL_ILLOPC", "illegal opcode")),
        (libc::SIGILL, 2) => Some(("ILL_ILLOPN", "illegal operand")),
        (libc::SIGILL, 3) => Some(("ILL_ILLADR", "illegal addressing mode")),
        (libc::SIGILL, 4) => Some(("ILL_ILLTRP", "illegal trap")),
        (libc::SIGILL, 5) => Some(("ILL_PRVOPC", "privileged opcode")),
        (libc::SIGILL, 6) => Some(("ILL_PRVREG", "privileged register")),
        (libc::SIGILL, 7) => Some(("ILL_COPROC", "coprocessor error")),
        (libc::SIGILL, 8) => Some(("ILL_BADSTK", "internal stack error")),
        (libc::SIGFPE, 1) => Some(("FPE_INTDIV", "integer divide by zero")),
        (libc::SIGFPE, 2) => Some(("FPE_INTOVF", "integer overflow")),
        (libc::SIGFPE, 3) => Some(("FPE_FLTDIV", "floating-point divide by zero")),
        (libc::SIGFPE, 4) => Some(("FPE_FLTOVF", "floating-point overflow")),
        (libc::SIGFPE, 5) => Some(("FPE_FLTUND", "floating-point underflow")),
        (libc::SIGFPE, 6) => Some(("FPE_FLTRES", "floating-point inexact result")),
        (libc::SIGFPE, 7) => Some(("FPE_FLTINV", "floating-point invalid operation")),
        (libc::SIGFPE, 8) => Some(("FPE_FLTSUB", "subscript out of range")),
        (libc::SIGTRAP, 1) => Some(("TRAP_BRKPT", "process breakpoint")),
        (libc::SIGTRAP, 2) => Some(("TRAP_TRACE", "process trace trap")),
        (libc::SIGTRAP, 3) => Some(("TRAP_BRANCH", "process taken branch trap")),
        (libc::SIGTRAP, 4) => Some(("TRAP_HWBKPT", "hardware breakpoint/watchpoint")),
        _ => None,
    };
    if let Some(t) = specific {
        return t;
    }
    match code {
        libc::SI_USER => ("SI_USER", "sent by kill or raise"),
        0x80 => ("SI_KERNEL", "sent by the kernel"),
        libc::SI_QUEUE => ("SI_QUEUE", "sent by sigqueue"),
        libc::SI_TIMER => ("SI_TIMER", "POSIX timer expired"),
        libc::SI_MESGQ => ("SI_MESGQ", "POSIX message queue state changed"),
        libc::SI_ASYNCIO => ("SI_ASYNCIO", "AIO completed"),
        libc::SI_SIGIO => ("SI_SIGIO", "queued SIGIO"),
        libc::SI_TKILL => ("SI_TKILL", "sent by tkill or tgkill (raise, abort)"),
        _ => ("?", "unknown code"),
    }
}

/// True when `sig` with `code` comes from a faulting instruction, which faults again if the
/// handler returns (so returning, with the default action restored, dies of it naturally and
/// leaves the core dump the kernel would have made).
pub fn is_refaulting(sig: c_int, code: c_int) -> bool {
    matches!(
        sig,
        libc::SIGSEGV | libc::SIGBUS | libc::SIGILL | libc::SIGFPE
    ) && code > 0
}

/// True when the kernel filled `si_addr` with a fault address.
pub fn has_fault_addr(sig: c_int, code: c_int) -> bool {
    matches!(
        sig,
        libc::SIGSEGV | libc::SIGBUS | libc::SIGILL | libc::SIGFPE | libc::SIGTRAP
    ) && code > 0
}

/// Read, write or instruction fetch, from the x86 page-fault error code (`REG_ERR`) for a
/// page fault (`REG_TRAPNO` 14): bit 1 is a write, bit 4 an instruction fetch.
pub fn access(sig: c_int, code: c_int, trapno: u64, err: u64, pc: u64, addr: u64) -> Access {
    if sig != libc::SIGSEGV || code <= 0 {
        return Access::Unknown;
    }
    if pc == addr || (trapno == 14 && err & 0x10 != 0) {
        return Access::Exec;
    }
    if trapno != 14 {
        return Access::Unknown;
    }
    if err & 0x2 != 0 {
        Access::Write
    } else {
        Access::Read
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_have_meanings() {
        assert_eq!(
            code_text(libc::SIGSEGV, 1),
            ("SEGV_MAPERR", "address not mapped to object")
        );
        assert_eq!(code_text(libc::SIGABRT, libc::SI_TKILL).0, "SI_TKILL");
        assert_eq!(code_text(libc::SIGFPE, 1).0, "FPE_INTDIV");
    }

    #[test]
    fn page_fault_error_bits() {
        assert_eq!(access(libc::SIGSEGV, 1, 14, 0x6, 0x1000, 0), Access::Write);
        assert_eq!(access(libc::SIGSEGV, 1, 14, 0x4, 0x1000, 0), Access::Read);
        assert_eq!(access(libc::SIGSEGV, 1, 14, 0x14, 0, 0), Access::Exec);
        assert_eq!(
            access(libc::SIGSEGV, 0x80, 13, 0, 0x1000, 0),
            Access::Unknown
        );
        assert_eq!(access(libc::SIGBUS, 2, 14, 0x6, 0x1000, 0), Access::Unknown);
    }
}
