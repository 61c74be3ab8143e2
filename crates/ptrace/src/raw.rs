//! The raw `ptrace` requests, each behind a safe function.

use std::io;

use crate::{Options, Pid, Resume, SyscallInfo};

fn check(r: libc::c_long) -> io::Result<libc::c_long> {
    if r == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

/// `ptrace(req, pid, addr, data)` for requests whose `addr` and `data` are plain integers.
fn request(req: libc::c_uint, pid: Pid, addr: usize, data: usize) -> io::Result<libc::c_long> {
    // SAFETY: the requests routed here take integers (options, signal numbers, offsets) in
    // `addr`/`data`, never pointers into our memory, so no memory of ours can be written.
    check(unsafe { libc::ptrace(req, pid.0, addr, data) })
}

/// `PTRACE_SEIZE` with `opts`: attaches without stopping the process.
pub fn seize(pid: Pid, opts: Options) -> io::Result<()> {
    request(libc::PTRACE_SEIZE, pid, 0, opts.bits() as usize).map(drop)
}

/// `PTRACE_SETOPTIONS`.
pub fn set_options(pid: Pid, opts: Options) -> io::Result<()> {
    request(libc::PTRACE_SETOPTIONS, pid, 0, opts.bits() as usize).map(drop)
}

/// `PTRACE_INTERRUPT`: asks a seized tracee to stop (reported as a `PTRACE_EVENT_STOP`).
pub fn interrupt(pid: Pid) -> io::Result<()> {
    request(libc::PTRACE_INTERRUPT, pid, 0, 0).map(drop)
}

/// `PTRACE_LISTEN`: leaves a tracee in group-stop but lets it report the next event.
pub fn listen(pid: Pid) -> io::Result<()> {
    request(libc::PTRACE_LISTEN, pid, 0, 0).map(drop)
}

/// Restarts a stopped tracee, delivering `sig` (0 for none).
pub fn resume(pid: Pid, how: Resume, sig: i32) -> io::Result<()> {
    let req = match how {
        Resume::Syscall => libc::PTRACE_SYSCALL,
        Resume::Continue => libc::PTRACE_CONT,
        Resume::Step => libc::PTRACE_SINGLESTEP,
    };
    request(req, pid, 0, sig as usize).map(drop)
}

/// `PTRACE_DETACH`, delivering `sig` (0 for none). The tracee must be stopped.
pub fn detach(pid: Pid, sig: i32) -> io::Result<()> {
    request(libc::PTRACE_DETACH, pid, 0, sig as usize).map(drop)
}

/// `PTRACE_GETEVENTMSG`: the new tid after fork/clone, the old tid after exec, the exit status.
pub fn event_msg(pid: Pid) -> io::Result<u64> {
    let mut msg: libc::c_ulong = 0;
    // SAFETY: PTRACE_GETEVENTMSG writes one unsigned long to `data`, which points at `msg`.
    check(unsafe {
        libc::ptrace(
            libc::PTRACE_GETEVENTMSG,
            pid.0,
            0usize,
            &mut msg as *mut libc::c_ulong,
        )
    })?;
    Ok(msg as u64)
}

/// The kernel's `struct ptrace_syscall_info` (linux/ptrace.h).
#[repr(C)]
#[derive(Clone, Copy)]
struct RawSyscallInfo {
    op: u8,
    pad: [u8; 3],
    arch: u32,
    instruction_pointer: u64,
    stack_pointer: u64,
    /// entry: nr, args[6]; exit: rval (s64), is_error (u8); seccomp: nr, args[6], ret_data.
    data: [u64; 8],
}

const OP_ENTRY: u8 = 1;
const OP_EXIT: u8 = 2;
const OP_SECCOMP: u8 = 3;

/// `PTRACE_GET_SYSCALL_INFO` (Linux 5.3+): the syscall a tracee is stopped in.
pub fn syscall_info(pid: Pid) -> io::Result<SyscallInfo> {
    let mut raw = RawSyscallInfo {
        op: 0,
        pad: [0; 3],
        arch: 0,
        instruction_pointer: 0,
        stack_pointer: 0,
        data: [0; 8],
    };
    let size = std::mem::size_of::<RawSyscallInfo>();
    // SAFETY: the kernel writes at most `size` bytes (the `addr` argument) into `raw`.
    check(unsafe {
        libc::ptrace(
            libc::PTRACE_GET_SYSCALL_INFO,
            pid.0,
            size,
            &mut raw as *mut RawSyscallInfo,
        )
    })?;
    let d = raw.data;
    let (arch, ip, sp) = (raw.arch, raw.instruction_pointer, raw.stack_pointer);
    Ok(match raw.op {
        OP_ENTRY => SyscallInfo::Entry {
            arch,
            ip,
            sp,
            nr: d[0],
            args: [d[1], d[2], d[3], d[4], d[5], d[6]],
        },
        OP_EXIT => SyscallInfo::Exit {
            arch,
            ip,
            sp,
            rval: d[0] as i64,
            is_error: d[1] & 0xff != 0,
        },
        OP_SECCOMP => SyscallInfo::Seccomp {
            arch,
            ip,
            sp,
            nr: d[0],
            args: [d[1], d[2], d[3], d[4], d[5], d[6]],
            ret_data: d[7] as u32,
        },
        _ => SyscallInfo::None,
    })
}

/// The general-purpose registers (x86_64 `struct user_regs_struct`).
pub type Regs = libc::user_regs_struct;

/// `PTRACE_GETREGS`.
pub fn get_regs(pid: Pid) -> io::Result<Regs> {
    // SAFETY: user_regs_struct is plain integers; all-zero is a valid value.
    let mut regs: Regs = unsafe { std::mem::zeroed() };
    // SAFETY: PTRACE_GETREGS writes one user_regs_struct to `data`.
    check(unsafe { libc::ptrace(libc::PTRACE_GETREGS, pid.0, 0usize, &mut regs as *mut Regs) })?;
    Ok(regs)
}

/// `PTRACE_GETFPREGS`: the x87 and SSE registers (`xmm_space`, `st_space`).
pub fn get_fpregs(pid: Pid) -> io::Result<libc::user_fpregs_struct> {
    // SAFETY: user_fpregs_struct is plain integers; all-zero is a valid value.
    let mut regs: libc::user_fpregs_struct = unsafe { std::mem::zeroed() };
    // SAFETY: PTRACE_GETFPREGS writes one user_fpregs_struct to `data`.
    check(unsafe {
        libc::ptrace(
            libc::PTRACE_GETFPREGS,
            pid.0,
            0usize,
            &mut regs as *mut libc::user_fpregs_struct,
        )
    })?;
    Ok(regs)
}

/// `PTRACE_SETREGS`.
pub fn set_regs(pid: Pid, regs: &Regs) -> io::Result<()> {
    // SAFETY: PTRACE_SETREGS only reads one user_regs_struct from `data`.
    check(unsafe { libc::ptrace(libc::PTRACE_SETREGS, pid.0, 0usize, regs as *const Regs) })
        .map(drop)
}

/// A `siginfo_t` as the kernel laid it out (128 bytes), with accessors for the common fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SigInfo(pub [u8; 128]);

impl SigInfo {
    fn i32_at(&self, off: usize) -> i32 {
        i32::from_ne_bytes(self.0[off..off + 4].try_into().unwrap())
    }
    fn u64_at(&self, off: usize) -> u64 {
        u64::from_ne_bytes(self.0[off..off + 8].try_into().unwrap())
    }
    /// `si_signo`.
    pub fn signo(&self) -> i32 {
        self.i32_at(0)
    }
    /// `si_errno`.
    pub fn errno(&self) -> i32 {
        self.i32_at(4)
    }
    /// `si_code`.
    pub fn code(&self) -> i32 {
        self.i32_at(8)
    }
    /// `si_pid` (kill, rt, sigchld layouts).
    pub fn pid(&self) -> i32 {
        self.i32_at(16)
    }
    /// `si_uid` (kill, rt, sigchld layouts).
    pub fn uid(&self) -> u32 {
        self.i32_at(20) as u32
    }
    /// `si_status` (sigchld layout).
    pub fn status(&self) -> i32 {
        self.i32_at(24)
    }
    /// `si_utime` (sigchld layout), in clock ticks.
    pub fn utime(&self) -> i64 {
        self.u64_at(32) as i64
    }
    /// `si_stime` (sigchld layout), in clock ticks.
    pub fn stime(&self) -> i64 {
        self.u64_at(40) as i64
    }
    /// `si_addr` (sigfault layout) or `si_call_addr` (sigsys).
    pub fn addr(&self) -> u64 {
        self.u64_at(16)
    }
    /// `si_value` as an integer (rt and timer layouts).
    pub fn value(&self) -> u64 {
        self.u64_at(24)
    }
    /// `si_timerid` (timer layout).
    pub fn timerid(&self) -> i32 {
        self.i32_at(16)
    }
    /// `si_overrun` (timer layout).
    pub fn overrun(&self) -> i32 {
        self.i32_at(20)
    }
    /// `si_band` (sigpoll layout).
    pub fn band(&self) -> i64 {
        self.u64_at(16) as i64
    }
    /// `si_fd` (sigpoll layout).
    pub fn fd(&self) -> i32 {
        self.i32_at(24)
    }
    /// `si_syscall` (sigsys layout).
    pub fn syscall(&self) -> i32 {
        self.i32_at(24)
    }
    /// `si_arch` (sigsys layout).
    pub fn arch(&self) -> u32 {
        self.i32_at(28) as u32
    }
}

/// `PTRACE_GETSIGINFO` at a signal-delivery stop.
pub fn siginfo(pid: Pid) -> io::Result<SigInfo> {
    let mut buf = [0u8; 128];
    // SAFETY: PTRACE_GETSIGINFO writes one siginfo_t (128 bytes) to `data`.
    check(unsafe {
        libc::ptrace(
            libc::PTRACE_GETSIGINFO,
            pid.0,
            0usize,
            buf.as_mut_ptr() as *mut libc::c_void,
        )
    })?;
    Ok(SigInfo(buf))
}

/// `PTRACE_PEEKDATA`: one word of tracee memory.
pub fn peek(pid: Pid, addr: u64) -> io::Result<u64> {
    // PEEKDATA returns the word, so -1 is ambiguous: clear errno first.
    // SAFETY: __errno_location has no arguments; it returns this thread's errno slot.
    let errno = unsafe { libc::__errno_location() };
    // SAFETY: that slot is valid, aligned and written only by this thread.
    unsafe { *errno = 0 };
    // SAFETY: PEEKDATA reads tracee memory and returns it; it writes nothing of ours.
    let r = unsafe { libc::ptrace(libc::PTRACE_PEEKDATA, pid.0, addr as usize, 0usize) };
    if r == -1 {
        let e = io::Error::last_os_error();
        if e.raw_os_error() != Some(0) {
            return Err(e);
        }
    }
    Ok(r as u64)
}

/// `PTRACE_POKEDATA`: writes one word of tracee memory.
pub fn poke(pid: Pid, addr: u64, word: u64) -> io::Result<()> {
    request(libc::PTRACE_POKEDATA, pid, addr as usize, word as usize).map(drop)
}

/// Sends `sig` to a whole process (`kill(2)`).
pub fn kill(pid: Pid, sig: i32) -> io::Result<()> {
    // SAFETY: kill has no memory arguments.
    if unsafe { libc::kill(pid.0, sig) } == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Sends `sig` to one thread (`tgkill(2)`).
pub fn tgkill(tgid: Pid, tid: Pid, sig: i32) -> io::Result<()> {
    // SAFETY: tgkill has no memory arguments.
    if unsafe { libc::syscall(libc::SYS_tgkill, tgid.0, tid.0, sig) } == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// `NT_X86_XSTATE`: the extended register state (x87, SSE, AVX, ...), as `XSAVE` lays it out.
const NT_X86_XSTATE: usize = 0x202;

/// The extended register state of a stopped tracee (`PTRACE_GETREGSET`, `NT_X86_XSTATE`):
/// every vector and floating-point register, to put back with [`set_xstate`].
pub fn get_xstate(pid: Pid) -> io::Result<Vec<u8>> {
    let mut buf = vec![0u8; 16 << 10];
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    // SAFETY: GETREGSET writes at most `iov_len` bytes to `iov_base` (our buffer) and the
    // length it wrote back into `iov`.
    check(unsafe {
        libc::ptrace(
            libc::PTRACE_GETREGSET,
            pid.0,
            NT_X86_XSTATE,
            &mut iov as *mut libc::iovec,
        )
    })?;
    buf.truncate(iov.iov_len);
    Ok(buf)
}

/// Puts back the extended register state [`get_xstate`] read.
pub fn set_xstate(pid: Pid, state: &[u8]) -> io::Result<()> {
    let mut iov = libc::iovec {
        iov_base: state.as_ptr().cast_mut().cast(),
        iov_len: state.len(),
    };
    // SAFETY: SETREGSET only reads `iov_len` bytes from `iov_base` (the caller's slice).
    check(unsafe {
        libc::ptrace(
            libc::PTRACE_SETREGSET,
            pid.0,
            NT_X86_XSTATE,
            &mut iov as *mut libc::iovec,
        )
    })
    .map(drop)
}
