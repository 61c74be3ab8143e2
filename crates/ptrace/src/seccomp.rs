//! A seccomp-bpf filter that reports only chosen syscalls to the tracer
//! (`SECCOMP_RET_TRACE`) and lets every other one run untraced (`SECCOMP_RET_ALLOW`).
//!
//! Syscalls of another calling convention (i386, x32) are always reported: the filter only
//! knows x86_64 numbers.

use std::io;

use crate::AUDIT_ARCH_X86_64;

const BPF_LD_W_ABS: u16 = (libc::BPF_LD | libc::BPF_W | libc::BPF_ABS) as u16;
const BPF_JEQ_K: u16 = (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16;
const BPF_JGE_K: u16 = (libc::BPF_JMP | libc::BPF_JGE | libc::BPF_K) as u16;
const BPF_JA: u16 = (libc::BPF_JMP | libc::BPF_JA) as u16;
const BPF_RET_K: u16 = (libc::BPF_RET | libc::BPF_K) as u16;
/// Offsets in `struct seccomp_data`.
const OFF_NR: u32 = 0;
const OFF_ARCH: u32 = 4;
/// How many comparisons share one `ret TRACE` (jump offsets are 8 bits).
const GROUP: usize = 200;

fn stmt(code: u16, k: u32) -> libc::sock_filter {
    libc::sock_filter {
        code,
        jt: 0,
        jf: 0,
        k,
    }
}

fn jump(code: u16, k: u32, jt: u8, jf: u8) -> libc::sock_filter {
    libc::sock_filter { code, jt, jf, k }
}

/// A compiled filter program.
#[derive(Clone)]
pub struct Filter {
    prog: Vec<libc::sock_filter>,
}

impl std::fmt::Debug for Filter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Filter({} instructions)", self.prog.len())
    }
}

impl Filter {
    /// A filter that traces exactly the x86_64 syscalls `nrs`.
    pub fn trace_only(nrs: &[u32]) -> Filter {
        let mut nrs = nrs.to_vec();
        nrs.sort_unstable();
        nrs.dedup();
        let mut p = vec![
            stmt(BPF_LD_W_ABS, OFF_ARCH),
            // x86_64: skip the next instruction; other arches fall into `ret TRACE`.
            jump(BPF_JEQ_K, AUDIT_ARCH_X86_64, 1, 0),
            stmt(BPF_RET_K, libc::SECCOMP_RET_TRACE),
            stmt(BPF_LD_W_ABS, OFF_NR),
            // x32 numbers have bit 30 set.
            jump(BPF_JGE_K, 0x4000_0000, 0, 1),
            stmt(BPF_RET_K, libc::SECCOMP_RET_TRACE),
        ];
        for group in nrs.chunks(GROUP) {
            let n = group.len();
            for (i, &nr) in group.iter().enumerate() {
                // On a match jump over the rest of the group and the `ja` to `ret TRACE`.
                let to_trace = (n - i - 1 + 1) as u8;
                p.push(jump(BPF_JEQ_K, nr, to_trace, 0));
            }
            p.push(stmt(BPF_JA, 1));
            p.push(stmt(BPF_RET_K, libc::SECCOMP_RET_TRACE));
        }
        p.push(stmt(BPF_RET_K, libc::SECCOMP_RET_ALLOW));
        Filter { prog: p }
    }

    /// Number of BPF instructions.
    pub fn len(&self) -> usize {
        self.prog.len()
    }

    /// Never true: a filter has at least its `ret` instructions.
    pub fn is_empty(&self) -> bool {
        self.prog.is_empty()
    }

    /// Installs the filter on the calling thread (with `PR_SET_NO_NEW_PRIVS`). Only
    /// async-signal-safe calls, so it may run between `fork` and `execve`.
    pub(crate) fn install(&self) -> io::Result<()> {
        let fprog = libc::sock_fprog {
            len: self.prog.len() as u16,
            filter: self.prog.as_ptr() as *mut libc::sock_filter,
        };
        // SAFETY: prctl with integer arguments only.
        if unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) } != 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fprog` points at our instruction vector, which outlives the call; the
        // kernel copies the program.
        let r = unsafe {
            libc::syscall(
                libc::SYS_seccomp,
                libc::SECCOMP_SET_MODE_FILTER,
                0,
                &fprog as *const libc::sock_fprog,
            )
        };
        if r != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }
}
