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
/// `pidns_of`, the tracee whose `si_pid` `--pidns-translation` translates; with `pid_comm`
/// (`-Y`), `si_pid` names its process (`42<sleep>`), as strace's `printpid` does.
pub fn format(si: &SigInfo, style: XlatStyle, pidns_of: Option<i32>, pid_comm: bool) -> String {
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
    // After the code (strace's print_si_info), zero-extended: `4294967295` for -1.
    if si.errno() != 0 {
        let e = u64::from(si.errno() as u32);
        let _ = write!(
            out,
            ", si_errno={}",
            crate::errno_names::errno_name(e).map_or_else(|| e.to_string(), str::to_owned)
        );
    }
    let source = |out: &mut String| {
        out.push_str(", si_pid=");
        if pid_comm {
            text::pid_with_comm(out, si.pid());
        } else {
            let _ = write!(out, "{}", si.pid());
        }
        if let Some(tracee) = pidns_of {
            crate::pidns::comment(out, tracee, si.pid(), crate::pidns::Kind::Tgid);
        }
        // An id: `-1` for (uid_t)-1 (strace's PRINT_FIELD_ID).
        match si.uid() {
            u32::MAX => out.push_str(", si_uid=-1"),
            uid => {
                let _ = write!(out, ", si_uid={uid}");
            }
        }
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
