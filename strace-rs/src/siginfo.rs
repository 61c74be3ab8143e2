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
        libc::SIGPROF => &[(1, "PROF_SIG")],
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
/// `pidns_of`, the tracee whose `si_pid` `--pidns-translation` translates. Field by field
/// as strace's `printsiginfo`: the code (an unknown one in hex), the errno when set, then
/// the fields the code (sent by a process: `si_code <= 0`) or the signal says are valid.
pub fn format(si: &SigInfo, style: XlatStyle, pidns_of: Option<i32>) -> String {
    format_ex(si, style, pidns_of, None, false)
}

/// [`format`], with `si_fd` decorated as `-y`/`-yy` (`fds`: the process and the
/// `decode-fds` set) and, with `pid_comm` (`-Y`), `si_pid` naming its process
/// (`42<sleep>`), as strace's `printpid` does.
pub fn format_ex(
    si: &SigInfo,
    style: XlatStyle,
    pidns_of: Option<i32>,
    fds: Option<(tracekit_ptrace::Pid, u8)>,
    pid_comm: bool,
) -> String {
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
    let num = text::Hx(code as u32 as u64).to_string();
    match code_name(signo, code) {
        Some(n) => text::named(&mut out, style, &num, n),
        None => out.push_str(&num),
    }
    if si.errno() != 0 {
        let e = si.errno() as u32;
        out.push_str(", si_errno=");
        match crate::errno_names::errno_name(e.into()) {
            Some(n) => text::named(&mut out, style, &e.to_string(), n),
            None => {
                let _ = write!(out, "{e}");
            }
        }
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
    let fd = |out: &mut String| {
        let _ = write!(out, ", si_fd={}", si.fd());
        if let Some(d) = fds.and_then(|(pid, set)| {
            crate::decode::structs::fd_decoration(pid, si.fd(), set, text::HexMode::None)
        }) {
            out.push_str(&d);
        }
    };
    let raw = |o: usize| u64::from_ne_bytes(si.0[o..o + 8].try_into().expect("8 bytes"));
    if code <= 0 {
        match code {
            // SI_USER, SI_TKILL
            0 | -6 => source(&mut out),
            // SI_TIMER
            -2 => {
                let _ = write!(
                    out,
                    ", si_timerid={}, si_overrun={}",
                    text::Hx(si.timerid() as u32 as u64),
                    si.overrun()
                );
                sigval(&mut out);
            }
            // SI_SIGIO
            -5 => {
                let _ = write!(out, ", si_band={}", si.band());
                fd(&mut out);
            }
            _ => {
                source(&mut out);
                if si.value() != 0 {
                    sigval(&mut out);
                }
            }
        }
    } else {
        match signo {
            libc::SIGCHLD => {
                source(&mut out);
                if code == 1 {
                    let _ = write!(out, ", si_status={}", si.status());
                } else {
                    out.push_str(", si_status=");
                    let st = si.status();
                    if (1..=64).contains(&st) {
                        text::named(&mut out, style, &st.to_string(), &signals::name(st as i64));
                    } else {
                        let _ = write!(out, "{st}");
                    }
                }
                // Clock ticks with their seconds, as `times` prints them (the tick rate from
                // sysconf); a negative count keeps its signed comment.
                let ticks = |t: i64| match crate::decode::structs::clock_t_secs(t as u64) {
                    Some(secs) if t > 0 => format!("{t} /* {secs} */"),
                    _ if t < 0 => format!("{t} /* {:.2} s */", t as f64 / 100.0),
                    _ => "0".to_owned(),
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
                match (signo, code) {
                    // BUS_MCEERR_AR, BUS_MCEERR_AO
                    (libc::SIGBUS, 4 | 5) => {
                        let lsb = u16::from_ne_bytes([si.0[24], si.0[25]]);
                        let _ = write!(out, ", si_addr_lsb={}", text::Hx(lsb.into()));
                    }
                    // SEGV_BNDERR
                    (libc::SIGSEGV, 3) => {
                        out.push_str(", si_lower=");
                        addr(&mut out, raw(32));
                        out.push_str(", si_upper=");
                        addr(&mut out, raw(40));
                    }
                    // SEGV_PKUERR
                    (libc::SIGSEGV, 4) => {
                        let _ = write!(out, ", si_pkey={}", raw(32) as u32);
                    }
                    _ => {}
                }
            }
            libc::SIGPOLL => {
                if (1..=6).contains(&code) {
                    let _ = write!(out, ", si_band={}", si.band());
                    fd(&mut out);
                }
            }
            libc::SIGSYS => {
                out.push_str(", si_call_addr=");
                addr(&mut out, si.addr());
                out.push_str(", si_syscall=");
                let arch = si.arch();
                crate::decode::syscall_name_text(
                    &mut out,
                    style,
                    true,
                    si.syscall() as u32 as u64,
                    arch,
                );
                out.push_str(", si_arch=");
                crate::decode::audit_arch_text(&mut out, style, arch);
            }
            _ => {
                if si.pid() != 0 || si.uid() != 0 {
                    source(&mut out);
                }
                if si.value() != 0 {
                    sigval(&mut out);
                }
            }
        }
    }
    out.push('}');
    out
}
