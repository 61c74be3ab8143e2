//! `siginfo_t` printing (strace's `printsiginfo`).

use std::fmt::Write as _;

use tracekit_ptrace::SigInfo;

use crate::signals;
use crate::text::{self, XlatStyle};
use crate::xlat;

fn code_name(signo: i32, code: i32) -> Option<&'static str> {
    let c = code as i64 as u64;
    if code <= 0 || code == 0x80 {
        return text::lookup(xlat::SIGINFO_CODES, c);
    }
    let table = match signo {
        libc::SIGCHLD => xlat::CLD_CODES,
        libc::SIGSEGV => xlat::SEGV_CODES,
        libc::SIGBUS => xlat::BUS_CODES,
        libc::SIGILL => xlat::ILL_CODES,
        libc::SIGFPE => xlat::FPE_CODES,
        libc::SIGTRAP => xlat::TRAP_CODES,
        libc::SIGPOLL => xlat::POLL_CODES,
        libc::SIGSYS => &[(1, "SYS_SECCOMP"), (2, "SYS_USER_DISPATCH")],
        _ => return None,
    };
    text::lookup(table, c)
}

fn addr(out: &mut String, a: u64) {
    if a == 0 {
        out.push_str("NULL");
    } else {
        let _ = write!(out, "{a:#x}");
    }
}

/// `{si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=42, ...}` in a `-X` style; with
/// `pidns_of`, the tracee whose `si_pid` `--pidns-translation` translates.
pub fn format(si: &SigInfo, style: XlatStyle, pidns_of: Option<i32>) -> String {
    let mut out = String::new();
    let signo = si.signo();
    let code = si.code();
    out.push_str("{si_signo=");
    text::named(
        &mut out,
        style,
        &signo.to_string(),
        &signals::name(signo as i64),
    );
    if si.errno() != 0 {
        let e = si.errno() as u64;
        let _ = write!(
            out,
            ", si_errno={}",
            crate::errno_names::errno_name(e).map_or_else(|| e.to_string(), str::to_owned)
        );
    }
    out.push_str(", si_code=");
    match code_name(signo, code) {
        Some(n) => {
            let num = text::Hx(code as u32 as u64).to_string();
            text::named(&mut out, style, &num, n);
        }
        None => {
            let _ = write!(out, "{code}");
        }
    }
    let source = |out: &mut String| {
        let _ = write!(out, ", si_pid={}", si.pid());
        if let Some(tracee) = pidns_of {
            crate::pidns::comment(out, tracee, si.pid(), crate::pidns::Kind::Tgid);
        }
        let _ = write!(out, ", si_uid={}", si.uid());
    };
    let sigval = |out: &mut String| {
        let v = si.value();
        let _ = write!(out, ", si_int={}, si_ptr=", v as i32);
        addr(out, v);
    };
    if code <= 0 {
        match code {
            0 | -6 => source(&mut out),
            -2 => {
                let _ = write!(
                    out,
                    ", si_timerid={}, si_overrun={}",
                    si.timerid(),
                    si.overrun()
                );
                sigval(&mut out);
            }
            _ => {
                source(&mut out);
                sigval(&mut out);
            }
        }
    } else if code != 0x80 {
        match signo {
            libc::SIGCHLD => {
                source(&mut out);
                if code == 1 {
                    let _ = write!(out, ", si_status={}", si.status());
                } else {
                    out.push_str(", si_status=");
                    let st = si.status();
                    text::named(&mut out, style, &st.to_string(), &signals::name(st as i64));
                }
                let ticks = |t: i64| {
                    if t == 0 {
                        "0".to_owned()
                    } else {
                        format!("{t} /* {:.2} s */", t as f64 / 100.0)
                    }
                };
                let _ = write!(
                    out,
                    ", si_utime={}, si_stime={}",
                    ticks(si.utime()),
                    ticks(si.stime())
                );
            }
            libc::SIGILL | libc::SIGFPE | libc::SIGSEGV | libc::SIGBUS | libc::SIGTRAP => {
                out.push_str(", si_addr=");
                addr(&mut out, si.addr());
            }
            libc::SIGPOLL => {
                let _ = write!(out, ", si_band={}, si_fd={}", si.band(), si.fd());
            }
            libc::SIGSYS => {
                out.push_str(", si_call_addr=");
                addr(&mut out, si.addr());
                let _ = write!(
                    out,
                    ", si_syscall=__NR_{}",
                    crate::sysent::name(si.syscall() as u64)
                );
                let _ = write!(out, ", si_arch=AUDIT_ARCH_X86_64");
                let _ = si.arch();
            }
            _ => {}
        }
    } else if matches!(
        signo,
        libc::SIGSEGV | libc::SIGBUS | libc::SIGILL | libc::SIGFPE
    ) {
        out.push_str(", si_addr=");
        addr(&mut out, si.addr());
    }
    out.push('}');
    out
}
