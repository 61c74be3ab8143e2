//! Every raw system call the crash handler makes, behind small safe wrappers.
//!
//! All of these are plain system calls (the `syscall` instruction, or libc wrappers that
//! POSIX lists as async-signal-safe), so they may be called from a signal handler: none
//! allocates, takes a lock or touches stdio. Errors come back as errno values.
//!
//! System calls are made with the `syscall` instruction itself ([`raw`]), not libc's variadic
//! `syscall()`: the library then imports neither `syscall` nor `__errno_location` (every
//! import costs each program that loads us a symbol lookup, see `bench/segv.sh`), and a
//! failure comes back as the kernel reports it, a negative errno, rather than through the
//! thread's `errno`. Every argument travels in a full 64-bit register ([`raw::Arg`]): the
//! kernel reads all 64 bits of an `unsigned long` argument.

use core::ffi::{c_int, c_long, c_void};
use core::mem::MaybeUninit;

/// The `syscall` instruction (x86_64 Linux).
pub mod raw {
    use core::ffi::c_long;

    /// A system-call argument, widened to the register the kernel reads.
    pub trait Arg {
        /// The register's value.
        fn arg(self) -> usize;
    }
    impl Arg for c_long {
        fn arg(self) -> usize {
            self as usize
        }
    }
    impl<T> Arg for *const T {
        fn arg(self) -> usize {
            self as usize
        }
    }
    impl<T> Arg for *mut T {
        fn arg(self) -> usize {
            self as usize
        }
    }
    impl<T> Arg for &T {
        fn arg(self) -> usize {
            self as *const T as usize
        }
    }
    impl<T> Arg for &mut T {
        fn arg(self) -> usize {
            self as *mut T as usize
        }
    }

    /// System call `nr` with up to six arguments (unused ones are 0); returns what the kernel
    /// returned: the result, or a negative errno.
    ///
    /// # Safety
    /// As the system call requires of its arguments.
    #[inline]
    pub unsafe fn call(nr: c_long, a: [usize; 6]) -> c_long {
        let ret: c_long;
        // SAFETY: the kernel's x86_64 system-call convention: number in rax, arguments in
        // rdi, rsi, rdx, r10, r8, r9; it clobbers rcx and r11 and no user stack. Memory the
        // call reads or writes is the caller's contract.
        unsafe {
            core::arch::asm!(
                "syscall",
                inlateout("rax") nr => ret,
                in("rdi") a[0],
                in("rsi") a[1],
                in("rdx") a[2],
                in("r10") a[3],
                in("r8") a[4],
                in("r9") a[5],
                lateout("rcx") _,
                lateout("r11") _,
                options(nostack),
            );
        }
        ret
    }
}

/// `syscall!(libc::SYS_x, args...)`: [`raw::call`] with each argument widened by [`raw::Arg`].
macro_rules! syscall {
    ($nr:expr $(, $a:expr)* $(,)?) => {{
        let given: &[usize] = &[$($crate::sys::raw::Arg::arg($a)),*];
        let mut args = [0usize; 6];
        args[..given.len()].copy_from_slice(given);
        $crate::sys::raw::call($nr, args)
    }};
}

/// A raw result as `Ok(value)` or `Err(errno)`.
fn ret(r: c_long) -> Result<usize, i32> {
    if (-4095..0).contains(&r) {
        Err(-r as i32)
    } else {
        Ok(r as usize)
    }
}

/// `write(2)` until everything is written or an error other than EINTR occurs.
pub fn write_all(fd: c_int, mut buf: &[u8]) {
    while !buf.is_empty() {
        // SAFETY: buf is a live slice; the kernel reads at most buf.len() bytes from it.
        let r = unsafe {
            syscall!(
                libc::SYS_write,
                fd as c_long,
                buf.as_ptr(),
                buf.len() as c_long,
            )
        };
        match ret(r) {
            Ok(0) => return,
            Ok(n) => buf = &buf[n.min(buf.len())..],
            Err(libc::EINTR) => {}
            Err(_) => return,
        }
    }
}

/// `read(2)`.
pub fn read(fd: c_int, buf: &mut [u8]) -> Result<usize, i32> {
    // SAFETY: the kernel writes at most buf.len() bytes into the live slice.
    ret(unsafe {
        syscall!(
            libc::SYS_read,
            fd as c_long,
            buf.as_mut_ptr(),
            buf.len() as c_long,
        )
    })
}

/// Reads until EOF or `buf` is full; returns the bytes read.
pub fn read_to_fill(fd: c_int, buf: &mut [u8]) -> usize {
    let mut n = 0;
    while n < buf.len() {
        match read(fd, &mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(libc::EINTR) => {}
            Err(_) => break,
        }
    }
    n
}

/// `open(2)` of a NUL-terminated path.
pub fn open(path: &[u8], flags: c_int, mode: u32) -> Result<c_int, i32> {
    if path.last() != Some(&0) {
        return Err(libc::EINVAL);
    }
    // SAFETY: path is NUL-terminated (checked above) and outlives the call.
    ret(unsafe {
        syscall!(
            libc::SYS_openat,
            libc::AT_FDCWD as c_long,
            path.as_ptr(),
            flags as c_long,
            mode as c_long,
        )
    })
    .map(|fd| fd as c_int)
}

/// `close(2)`.
pub fn close(fd: c_int) {
    // SAFETY: closing a descriptor we own; a bad fd only yields EBADF.
    unsafe { syscall!(libc::SYS_close, fd as c_long) };
}

/// `dup3(2)` (`dup2` without the CLOEXEC flag carried over).
pub fn dup2(from: c_int, to: c_int) {
    if from != to {
        // SAFETY: plain descriptor duplication.
        unsafe { syscall!(libc::SYS_dup3, from as c_long, to as c_long, 0 as c_long) };
    }
}

/// `fcntl(fd, F_DUPFD_CLOEXEC, min)`.
pub fn dup_cloexec_above(fd: c_int, min: c_int) -> Result<c_int, i32> {
    // SAFETY: plain descriptor duplication.
    ret(unsafe {
        syscall!(
            libc::SYS_fcntl,
            fd as c_long,
            libc::F_DUPFD_CLOEXEC as c_long,
            min as c_long,
        )
    })
    .map(|fd| fd as c_int)
}

/// True when `fd` is an open descriptor.
pub fn is_open(fd: c_int) -> bool {
    // SAFETY: F_GETFD only queries the descriptor's flags.
    unsafe { syscall!(libc::SYS_fcntl, fd as c_long, libc::F_GETFD as c_long) >= 0 }
}

/// Size of an open file, from `fstat(2)`.
pub fn file_size(fd: c_int) -> Result<u64, i32> {
    let mut st = MaybeUninit::<libc::stat>::zeroed();
    // SAFETY: st is a writable stat buffer of the right size.
    ret(unsafe { syscall!(libc::SYS_fstat, fd as c_long, st.as_mut_ptr()) })?;
    // SAFETY: fstat succeeded, so it filled the buffer (and zeroed is valid anyway).
    Ok(unsafe { st.assume_init() }.st_size as u64)
}

/// `access(path, X_OK) == 0`.
pub fn is_executable(path: &[u8]) -> bool {
    if path.last() != Some(&0) {
        return false;
    }
    // SAFETY: NUL-terminated path.
    unsafe {
        syscall!(
            libc::SYS_faccessat,
            libc::AT_FDCWD as c_long,
            path.as_ptr(),
            libc::X_OK as c_long,
            0 as c_long,
        ) == 0
    }
}

/// `readlink(2)` of a NUL-terminated `path` into `buf`: the length read (0 on failure).
pub fn readlink(path: &[u8], buf: &mut [u8]) -> usize {
    if path.last() != Some(&0) {
        return 0;
    }
    // SAFETY: path is NUL-terminated; the kernel writes at most buf.len() bytes into buf.
    let r = unsafe {
        syscall!(
            libc::SYS_readlinkat,
            libc::AT_FDCWD as c_long,
            path.as_ptr(),
            buf.as_mut_ptr(),
            buf.len() as c_long,
        )
    };
    ret(r).unwrap_or(0)
}

/// This process's id.
pub fn getpid() -> i32 {
    // SAFETY: no arguments, cannot fail.
    unsafe { syscall!(libc::SYS_getpid) as i32 }
}

/// The parent's process id.
pub fn getppid() -> i32 {
    // SAFETY: no arguments, cannot fail.
    unsafe { syscall!(libc::SYS_getppid) as i32 }
}

/// This thread's id.
pub fn gettid() -> i32 {
    // SAFETY: no arguments, cannot fail.
    unsafe { syscall!(libc::SYS_gettid) as i32 }
}

/// `tgkill(2)`: sends `sig` to thread `tid` of this process.
pub fn tgkill(tid: i32, sig: c_int) {
    // SAFETY: sending a signal has no memory-safety preconditions.
    unsafe {
        syscall!(
            libc::SYS_tgkill,
            getpid() as c_long,
            tid as c_long,
            sig as c_long,
        )
    };
}

/// `kill(2)`.
pub fn kill(pid: i32, sig: c_int) {
    // SAFETY: sending a signal has no memory-safety preconditions.
    unsafe { syscall!(libc::SYS_kill, pid as c_long, sig as c_long) };
}

/// The calling thread's name (`PR_GET_NAME`), NUL-padded.
pub fn thread_name() -> [u8; 16] {
    let mut name = [0u8; 16];
    // SAFETY: PR_GET_NAME writes at most 16 bytes into `name`.
    unsafe {
        syscall!(
            libc::SYS_prctl,
            libc::PR_GET_NAME as c_long,
            name.as_mut_ptr(),
        )
    };
    name
}

/// `CLOCK_MONOTONIC` or `CLOCK_REALTIME` in nanoseconds.
pub fn clock_ns(clock: libc::clockid_t) -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: ts is a valid timespec to fill.
    unsafe { syscall!(libc::SYS_clock_gettime, clock as c_long, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// Sleeps for `ms` milliseconds.
pub fn sleep_ms(ms: u64) {
    let ts = libc::timespec {
        tv_sec: (ms / 1000) as _,
        tv_nsec: ((ms % 1000) * 1_000_000) as _,
    };
    // SAFETY: ts is a valid timespec; the remainder pointer may be NULL.
    unsafe {
        syscall!(
            libc::SYS_nanosleep,
            &ts,
            core::ptr::null_mut::<libc::timespec>(),
        )
    };
}

/// Arms (or with 0, disarms) `ITIMER_REAL` to fire once after `ms` milliseconds.
pub fn alarm_ms(ms: u64) {
    let t = libc::itimerval {
        it_interval: libc::timeval {
            tv_sec: 0,
            tv_usec: 0,
        },
        it_value: libc::timeval {
            tv_sec: (ms / 1000) as _,
            tv_usec: ((ms % 1000) * 1000) as _,
        },
    };
    // SAFETY: t is a valid itimerval; the old value pointer may be NULL.
    unsafe {
        syscall!(
            libc::SYS_setitimer,
            libc::ITIMER_REAL as c_long,
            &t,
            core::ptr::null_mut::<libc::itimerval>(),
        )
    };
}

/// Installs `act` for `sig`, returning the previous action.
pub fn sigaction(sig: c_int, act: &libc::sigaction) -> Result<libc::sigaction, i32> {
    let mut old = MaybeUninit::<libc::sigaction>::zeroed();
    // SAFETY: act is a valid sigaction; old is writable. libc's sigaction is async-signal-safe.
    let r = unsafe { libc::sigaction(sig, act, old.as_mut_ptr()) };
    if r != 0 {
        // The one way it fails with valid pointers: a signal that cannot be caught.
        return Err(libc::EINVAL);
    }
    // SAFETY: sigaction succeeded and filled `old`.
    Ok(unsafe { old.assume_init() })
}

/// Installs `act` for `sig`; the kernel writes the previous action into `old` in the same call.
///
/// # Safety
/// `old` must be valid for writing a `sigaction`, and not read by anyone meanwhile.
pub unsafe fn sigaction_into(
    sig: c_int,
    act: &libc::sigaction,
    old: *mut libc::sigaction,
) -> Result<(), i32> {
    // SAFETY: act is a valid sigaction; old is writable per the contract.
    if unsafe { libc::sigaction(sig, act, old) } != 0 {
        // As above.
        return Err(libc::EINVAL);
    }
    Ok(())
}

/// A `sigaction` that runs `handler` with siginfo on the alternate stack, blocking `blocked`
/// (see [`sigset`]).
pub fn handler_action(
    handler: extern "C" fn(c_int, *mut libc::siginfo_t, *mut c_void),
    extra_flags: c_int,
    blocked: libc::sigset_t,
) -> libc::sigaction {
    // SAFETY: an all-zero sigaction is a valid value (SIG_DFL, empty mask).
    let mut act: libc::sigaction = unsafe { core::mem::zeroed() };
    act.sa_sigaction = handler as usize;
    act.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK | libc::SA_RESTART | extra_flags;
    act.sa_mask = blocked;
    act
}

/// A signal set holding `sigs` (built in place: glibc's `sigset_t` is the kernel's bit mask,
/// signal N at bit N-1, followed by unused words), without calling into libc. Entries outside
/// 1..=64 (a zero-padded list) are ignored. A `const fn`, so fixed sets cost nothing at load.
pub const fn sigset(sigs: &[c_int]) -> libc::sigset_t {
    let mut words = [0u64; core::mem::size_of::<libc::sigset_t>() / 8];
    let mut i = 0;
    while i < sigs.len() {
        let s = sigs[i];
        if s >= 1 && s <= 64 {
            words[0] |= 1 << (s - 1);
        }
        i += 1;
    }
    // SAFETY: sigset_t is plain data of exactly this size (an array of unsigned longs).
    unsafe { core::mem::transmute(words) }
}

/// The default action (`SIG_DFL`) for any signal.
pub fn default_action() -> libc::sigaction {
    // SAFETY: all-zero is SIG_DFL with an empty mask and no flags.
    unsafe { core::mem::zeroed() }
}

/// Unblocks `sig` in the calling thread (raw `rt_sigprocmask`).
pub fn unblock(sig: c_int) {
    if !(1..=64).contains(&sig) {
        return;
    }
    let set: u64 = 1 << (sig - 1);
    // SAFETY: an 8-byte kernel sigset; the old-set pointer may be NULL.
    unsafe {
        syscall!(
            libc::SYS_rt_sigprocmask,
            libc::SIG_UNBLOCK as c_long,
            &set,
            core::ptr::null_mut::<u64>(),
            8 as c_long,
        )
    };
}

/// Unblocks every signal in the calling thread (raw `rt_sigprocmask`, for the forked child,
/// which would otherwise carry the handler's mask into the program it runs).
pub fn unblock_all() {
    let empty: u64 = 0;
    // SAFETY: an 8-byte empty kernel sigset; the old-set pointer may be NULL.
    unsafe {
        syscall!(
            libc::SYS_rt_sigprocmask,
            libc::SIG_SETMASK as c_long,
            &empty,
            core::ptr::null_mut::<u64>(),
            8 as c_long,
        )
    };
}

/// Anonymous read-write memory with an inaccessible guard page below it; returns the usable
/// start. Used for alternate signal stacks.
pub fn map_stack(size: usize) -> Option<*mut u8> {
    const PAGE: usize = 4096;
    // SAFETY: a fresh private anonymous mapping; no existing memory is affected.
    let p = unsafe {
        syscall!(
            libc::SYS_mmap,
            0 as c_long,
            (size + PAGE) as c_long,
            (libc::PROT_READ | libc::PROT_WRITE) as c_long,
            (libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_STACK) as c_long,
            -1 as c_long,
            0 as c_long,
        )
    };
    if p < 0 {
        return None;
    }
    // SAFETY: the first page belongs to the mapping just made.
    unsafe {
        syscall!(
            libc::SYS_mprotect,
            p,
            PAGE as c_long,
            libc::PROT_NONE as c_long,
        )
    };
    // SAFETY: PAGE is within the mapping.
    Some(unsafe { (p as usize as *mut u8).add(PAGE) })
}

/// One fresh page of private anonymous memory (zeroed), or None.
pub fn map_page() -> Option<*mut u8> {
    // SAFETY: a fresh private anonymous mapping; no existing memory is affected.
    let p = unsafe {
        syscall!(
            libc::SYS_mmap,
            0 as c_long,
            4096 as c_long,
            (libc::PROT_READ | libc::PROT_WRITE) as c_long,
            (libc::MAP_PRIVATE | libc::MAP_ANONYMOUS) as c_long,
            -1 as c_long,
            0 as c_long,
        )
    };
    ret(p).ok().map(|p| p as *mut u8)
}

/// Releases a page from [`map_page`].
///
/// # Safety
/// `page` comes from `map_page`, and nothing uses it any more.
pub unsafe fn unmap_page(page: *mut u8) {
    // SAFETY: per the contract, the whole mapping map_page made.
    unsafe { syscall!(libc::SYS_munmap, page, 4096 as c_long) };
}

/// Releases a stack made by [`map_stack`].
///
/// # Safety
/// `start` and `size` must come from one `map_stack` call, and nothing may use it any more.
pub unsafe fn unmap_stack(start: *mut u8, size: usize) {
    // SAFETY: per the contract, this is the mapping map_stack made, guard page included.
    unsafe { syscall!(libc::SYS_munmap, start.sub(4096), (size + 4096) as c_long) };
}

/// Raw `sigaltstack(2)`.
///
/// # Safety
/// `new`, if not NULL, must describe memory the caller keeps for the thread's signal handlers;
/// `old`, if not NULL, must be writable.
unsafe fn sigaltstack(new: *const libc::stack_t, old: *mut libc::stack_t) -> c_long {
    // SAFETY: per the contract.
    unsafe { syscall!(libc::SYS_sigaltstack, new, old) }
}

/// The calling thread's alternate signal stack, if enabled.
pub fn current_altstack() -> Option<libc::stack_t> {
    let mut old = MaybeUninit::<libc::stack_t>::zeroed();
    // SAFETY: a NULL new stack only queries.
    let r = unsafe { sigaltstack(core::ptr::null(), old.as_mut_ptr()) };
    // SAFETY: filled on success.
    let old = unsafe { old.assume_init() };
    (r == 0 && old.ss_flags & libc::SS_DISABLE == 0).then_some(old)
}

/// Makes `[start, start+size)` the calling thread's alternate signal stack, in one call that
/// also returns the previous one (None if there was none). Err(errno) when the call failed.
pub fn swap_altstack(start: *mut u8, size: usize) -> Result<Option<libc::stack_t>, i32> {
    let st = libc::stack_t {
        ss_sp: start as *mut c_void,
        ss_flags: 0,
        ss_size: size,
    };
    let mut old = MaybeUninit::<libc::stack_t>::zeroed();
    // SAFETY: the memory is owned by the caller's altstack; old is writable.
    ret(unsafe { sigaltstack(&st, old.as_mut_ptr()) })?;
    // SAFETY: filled on success.
    let old = unsafe { old.assume_init() };
    Ok((old.ss_flags & libc::SS_DISABLE == 0).then_some(old))
}

/// Puts back an alternate signal stack returned by [`swap_altstack`].
pub fn restore_altstack(old: &libc::stack_t) {
    // SAFETY: `old` describes a stack that was in use before, which its owner still keeps.
    unsafe { sigaltstack(old, core::ptr::null_mut()) };
}

/// Makes `[start, start+size)` the calling thread's alternate signal stack.
pub fn set_altstack(start: *mut u8, size: usize) -> bool {
    let st = libc::stack_t {
        ss_sp: start as *mut c_void,
        ss_flags: 0,
        ss_size: size,
    };
    // SAFETY: the memory is a live mapping owned by this thread's altstack slot.
    unsafe { sigaltstack(&st, core::ptr::null_mut()) == 0 }
}

/// Disables the calling thread's alternate signal stack.
pub fn disable_altstack() {
    let st = libc::stack_t {
        ss_sp: core::ptr::null_mut(),
        ss_flags: libc::SS_DISABLE,
        ss_size: 0,
    };
    // SAFETY: disabling needs no memory.
    unsafe { sigaltstack(&st, core::ptr::null_mut()) };
}

/// Copies `buf.len()` bytes from our own address `addr` without faulting
/// (`process_vm_readv` on ourselves): false when any of it is unreadable.
pub fn read_memory(addr: u64, buf: &mut [u8]) -> bool {
    let local = libc::iovec {
        iov_base: buf.as_mut_ptr() as *mut c_void,
        iov_len: buf.len(),
    };
    let remote = libc::iovec {
        iov_base: addr as *mut c_void,
        iov_len: buf.len(),
    };
    // SAFETY: the kernel checks the remote range and writes only into `buf`.
    let r = unsafe {
        syscall!(
            libc::SYS_process_vm_readv,
            getpid() as c_long,
            &local,
            1 as c_long,
            &remote,
            1 as c_long,
            0 as c_long,
        )
    };
    r == buf.len() as c_long
}

/// Reads a u64 from our own memory without faulting.
pub fn read_u64(addr: u64) -> Option<u64> {
    let mut b = [0u8; 8];
    read_memory(addr, &mut b).then(|| u64::from_ne_bytes(b))
}

/// A pipe whose both ends are close-on-exec: `(read, write)`.
pub fn pipe() -> Result<(c_int, c_int), i32> {
    let mut fds = [0 as c_int; 2];
    // SAFETY: fds has room for two descriptors.
    ret(unsafe { syscall!(libc::SYS_pipe2, fds.as_mut_ptr(), libc::O_CLOEXEC as c_long) })?;
    Ok((fds[0], fds[1]))
}

/// `fork` as a bare `clone(SIGCHLD)`: unlike libc's `fork`, it runs no `atfork` handlers (which
/// take malloc's locks), so it is safe in a signal handler. The child must only make raw system
/// calls and then `execve` or `_exit`.
pub fn raw_fork() -> Result<i32, i32> {
    // SAFETY: clone with only SIGCHLD behaves as fork; the child shares nothing with us.
    ret(unsafe {
        syscall!(
            libc::SYS_clone,
            libc::SIGCHLD as c_long,
            0 as c_long,
            0 as c_long,
            0 as c_long,
            0 as c_long,
        )
    })
    .map(|p| p as i32)
}

/// Dies of SIGABRT as libc's `abort()` does (a handler for it runs first; if it returns, the
/// default action is restored and the signal sent again), with system calls only.
pub fn abort() -> ! {
    unblock(libc::SIGABRT);
    tgkill(gettid(), libc::SIGABRT);
    let _ = sigaction(libc::SIGABRT, &default_action());
    unblock(libc::SIGABRT);
    tgkill(gettid(), libc::SIGABRT);
    exit_now(127)
}

/// `execve(2)`; returns only on failure.
///
/// # Safety
/// `path` must be NUL-terminated; `argv` and `envp` NULL-terminated arrays of NUL-terminated
/// strings that stay valid for the call.
pub unsafe fn execve(path: *const u8, argv: *const *const u8, envp: *const *const u8) {
    // SAFETY: per the contract.
    unsafe { syscall!(libc::SYS_execve, path, argv, envp) };
}

/// `_exit(2)` of this process only (the raw-forked child).
pub fn exit_now(code: c_int) -> ! {
    loop {
        // SAFETY: exit_group never returns.
        unsafe { syscall!(libc::SYS_exit_group, code as c_long) };
    }
}

/// Waits up to `timeout_ms` for `fd` to become readable (or hang up). True when it did.
pub fn poll_readable(fd: c_int, timeout_ms: i64) -> bool {
    let mut p = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: p is one valid pollfd.
    let r = unsafe {
        syscall!(
            libc::SYS_poll,
            &mut p,
            1 as c_long,
            (timeout_ms.max(0) as c_int) as c_long,
        )
    };
    r > 0
}

/// How a waited-for child ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Waited {
    /// Still running.
    Running,
    /// Exited with this status.
    Exited(i32),
    /// Killed by a signal, or unknown (already reaped elsewhere).
    Other,
}

/// `wait4(pid)`, blocking or not.
pub fn wait(pid: i32, block: bool) -> Waited {
    let mut status: c_int = 0;
    let flags = if block { 0 } else { libc::WNOHANG };
    loop {
        // SAFETY: status is writable; rusage may be NULL.
        let r = unsafe {
            syscall!(
                libc::SYS_wait4,
                pid as c_long,
                &mut status,
                (flags | libc::__WALL) as c_long,
                core::ptr::null_mut::<libc::rusage>(),
            )
        };
        match ret(r) {
            Ok(0) => return Waited::Running,
            Ok(_) if libc::WIFEXITED(status) => return Waited::Exited(libc::WEXITSTATUS(status)),
            Ok(_) => return Waited::Other,
            Err(libc::EINTR) => {}
            Err(_) => return Waited::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sigset_matches_libc() {
        let sigs = [1, libc::SIGSEGV, libc::SIGALRM, 34, 64];
        let ours = sigset(&sigs);
        // SAFETY: plain sigset_t manipulation on local values.
        unsafe {
            let mut theirs: libc::sigset_t = core::mem::zeroed();
            libc::sigemptyset(&mut theirs);
            for s in sigs {
                libc::sigaddset(&mut theirs, s);
            }
            for s in 1..=64 {
                assert_eq!(
                    libc::sigismember(&ours, s),
                    libc::sigismember(&theirs, s),
                    "signal {s}"
                );
            }
        }
    }
}
