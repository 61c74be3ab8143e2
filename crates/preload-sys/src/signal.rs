//! Signals: actions, masks, sending, alternate stacks.

use core::ffi::{c_int, c_void};
use core::mem::MaybeUninit;

use crate::{ret, syscall, Errno, SysResult};

/// Installs `act` for `sig`, returning the previous action. libc's `sigaction`, on purpose:
/// glibc supplies the signal-return trampoline (`sa_restorer`) the kernel needs; it is
/// async-signal-safe.
pub fn sigaction(sig: c_int, act: &libc::sigaction) -> SysResult<libc::sigaction> {
    let mut old = MaybeUninit::<libc::sigaction>::zeroed();
    // SAFETY: act is a valid sigaction; old is writable.
    unsafe { sigaction_into(sig, act, old.as_mut_ptr()) }?;
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
) -> SysResult<()> {
    // SAFETY: act is a valid sigaction; old is writable per the contract.
    if unsafe { libc::sigaction(sig, act, old) } != 0 {
        // The one way it fails with valid pointers: a signal that cannot be caught.
        return Err(Errno(libc::EINVAL));
    }
    Ok(())
}

/// A `sigaction` that runs `handler` with siginfo on the alternate stack, restarting
/// interrupted calls, blocking `blocked` (see [`sigset`]) while it runs.
pub fn handler_action(
    handler: extern "C" fn(c_int, *mut libc::siginfo_t, *mut c_void),
    extra_flags: c_int,
    blocked: libc::sigset_t,
) -> libc::sigaction {
    let mut act = default_action();
    act.sa_sigaction = handler as usize;
    act.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK | libc::SA_RESTART | extra_flags;
    act.sa_mask = blocked;
    act
}

/// The default action (`SIG_DFL`, empty mask, no flags) for any signal.
pub fn default_action() -> libc::sigaction {
    // SAFETY: all-zero is SIG_DFL with an empty mask and no flags.
    unsafe { core::mem::zeroed() }
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

/// Every signal.
pub const fn full_sigset() -> libc::sigset_t {
    let words = [u64::MAX; core::mem::size_of::<libc::sigset_t>() / 8];
    // SAFETY: as in `sigset`.
    unsafe { core::mem::transmute(words) }
}

/// Sets the calling thread's signal mask to `set`, returning the old one. libc's
/// `pthread_sigmask`, on purpose: glibc keeps the signals it uses itself (thread
/// cancellation, `setxid`) out of any mask it is asked to set.
pub fn set_thread_sigmask(set: &libc::sigset_t) -> libc::sigset_t {
    let mut old = MaybeUninit::<libc::sigset_t>::zeroed();
    // SAFETY: set is a valid mask; old is writable. Cannot fail with SIG_SETMASK.
    unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, set, old.as_mut_ptr()) };
    // SAFETY: filled by the call (and all-zero is a valid empty set anyway).
    unsafe { old.assume_init() }
}

fn sigprocmask(how: c_int, set: u64) {
    let none = core::ptr::null_mut::<u64>();
    // SAFETY: an 8-byte kernel sigset; the old-set pointer may be NULL.
    unsafe { syscall!(libc::SYS_rt_sigprocmask, how, &set, none, 8) };
}

/// Unblocks `sig` in the calling thread (raw `rt_sigprocmask`).
pub fn unblock(sig: c_int) {
    if (1..=64).contains(&sig) {
        sigprocmask(libc::SIG_UNBLOCK, 1 << (sig - 1));
    }
}

/// Unblocks every signal in the calling thread (raw `rt_sigprocmask`, for a forked child,
/// which would otherwise carry a handler's mask into the program it runs).
pub fn unblock_all() {
    sigprocmask(libc::SIG_SETMASK, 0);
}

/// `tgkill(2)`: sends `sig` to thread `tid` of this process.
pub fn tgkill(tid: u32, sig: c_int) {
    // SAFETY: sending a signal has no memory-safety preconditions.
    unsafe { syscall!(libc::SYS_tgkill, crate::getpid(), tid, sig) };
}

/// `kill(2)`.
pub fn kill(pid: i32, sig: c_int) {
    // SAFETY: sending a signal has no memory-safety preconditions.
    unsafe { syscall!(libc::SYS_kill, pid, sig) };
}

/// Dies of SIGABRT as libc's `abort()` does (a handler for it runs first; if it returns, the
/// default action is restored and the signal sent again), with system calls only.
pub fn abort() -> ! {
    unblock(libc::SIGABRT);
    tgkill(crate::gettid(), libc::SIGABRT);
    let _ = sigaction(libc::SIGABRT, &default_action());
    unblock(libc::SIGABRT);
    tgkill(crate::gettid(), libc::SIGABRT);
    crate::exit_group(127)
}

/// Raw `sigaltstack(2)`.
///
/// # Safety
/// `new`, if not NULL, must describe memory the caller keeps for the thread's signal handlers;
/// `old`, if not NULL, must be writable.
unsafe fn sigaltstack(new: *const libc::stack_t, old: *mut libc::stack_t) -> SysResult<()> {
    // SAFETY: per the contract.
    ret(unsafe { syscall!(libc::SYS_sigaltstack, new, old) }).map(|_| ())
}

fn enabled(st: libc::stack_t) -> Option<libc::stack_t> {
    (st.ss_flags & libc::SS_DISABLE == 0).then_some(st)
}

/// The calling thread's alternate signal stack, if enabled.
pub fn current_altstack() -> Option<libc::stack_t> {
    let mut old = MaybeUninit::<libc::stack_t>::zeroed();
    // SAFETY: a NULL new stack only queries.
    unsafe { sigaltstack(core::ptr::null(), old.as_mut_ptr()) }.ok()?;
    // SAFETY: filled on success.
    enabled(unsafe { old.assume_init() })
}

/// Makes `[start, start+size)` the calling thread's alternate signal stack, in one call that
/// also returns the previous one (None if there was none).
pub fn swap_altstack(start: *mut u8, size: usize) -> SysResult<Option<libc::stack_t>> {
    let st = libc::stack_t {
        ss_sp: start.cast(),
        ss_flags: 0,
        ss_size: size,
    };
    let mut old = MaybeUninit::<libc::stack_t>::zeroed();
    // SAFETY: the memory is the caller's, kept for this thread's handlers; old is writable.
    unsafe { sigaltstack(&st, old.as_mut_ptr()) }?;
    // SAFETY: filled on success.
    Ok(enabled(unsafe { old.assume_init() }))
}

/// Puts back an alternate signal stack returned by [`swap_altstack`].
pub fn restore_altstack(old: &libc::stack_t) {
    // SAFETY: `old` describes a stack that was in use before, which its owner still keeps.
    let _ = unsafe { sigaltstack(old, core::ptr::null_mut()) };
}

/// Makes `[start, start+size)` the calling thread's alternate signal stack.
pub fn set_altstack(start: *mut u8, size: usize) -> bool {
    swap_altstack(start, size).is_ok()
}

/// Disables the calling thread's alternate signal stack.
pub fn disable_altstack() {
    let st = libc::stack_t {
        ss_sp: core::ptr::null_mut(),
        ss_flags: libc::SS_DISABLE,
        ss_size: 0,
    };
    // SAFETY: disabling needs no memory.
    let _ = unsafe { sigaltstack(&st, core::ptr::null_mut()) };
}
