//! The per-thread reentrancy guard every hook takes first.
//!
//! A hook that finds the guard already held was called from inside tracekit's own code (or
//! from a libc function that tracekit called), so it must go straight to the real function.
//! The flag is ELF TLS, zero-initialized, with no destructor: reading it never allocates and
//! never registers a destructor, which matters in an LD_PRELOAD'd library that may run before
//! `main` and during thread exit. On x86-64 it is read with the initial-exec model (the
//! thread pointer plus an offset the loader resolved once: two instructions), not through
//! `__tls_get_addr` as Rust's `thread_local!` in a shared library does (a call of about a
//! dozen instructions in every hook, a few percent of the heap tracker's cost per event).

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

static REENTRIES: AtomicU64 = AtomicU64::new(0);

/// How many times a hook found the guard already held: calls into the allocator made by
/// tracekit's own code, or by libc functions it called. The no-allocation test reads it.
pub fn reentries() -> u64 {
    REENTRIES.load(Ordering::Relaxed)
}

/// What tracekit keeps per thread: the guard flag and the thread's id (cached by the session
/// once it wrote the thread's `Thread` record; 0 before). One TLS block, so a hook looks it
/// up once. All zeroes is its initial value.
#[derive(Debug)]
#[repr(C)]
struct ThreadState {
    held: Cell<bool>,
    tid: Cell<u32>,
    /// A helper thread of the runtime ([`Guard::hold_forever`]): its allocations are its own,
    /// made on purpose, not calls from inside a hook, so they are not counted as reentries.
    helper: Cell<bool>,
}

/// This thread's [`ThreadState`], valid for the thread's whole life.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn state() -> &'static ThreadState {
    let p: *const ThreadState;
    // SAFETY: the initial-exec access sequence of the x86-64 TLS ABI: the thread control
    // block's first word (%fs:0) is the thread pointer, and the GOT slot that the
    // R_X86_64_GOTTPOFF relocation makes holds the variable's offset from it, which the
    // loader fills in before any code of this module runs. It reads only these two words
    // (constant for the thread), writes nothing, and leaves the stack alone.
    unsafe {
        std::arch::asm!(
            "mov {p}, qword ptr fs:[0]",
            "add {p}, qword ptr [rip + tracekit_guard_state@GOTTPOFF]",
            p = out(reg) p,
            options(pure, readonly, nostack),
        )
    };
    // SAFETY: `p` is this thread's copy of `tracekit_guard_state` (below): 16 zeroed bytes,
    // 8-aligned, in the static TLS block, which lives as long as the thread; zeroes are a
    // valid `ThreadState` (false, 0, false), and its `Cell`s are only touched by this thread.
    unsafe { &*p }
}

// The TLS variable behind `state()`: 16 bytes of .tbss (zeroes in every new thread), a hidden
// global so that the accesses inlined into other crates' code link to it but it is not
// exported. The loader keeps static TLS room for it also when the library is `dlopen`ed
// (glibc's surplus static TLS); the linker flags the module STATIC_TLS.
#[cfg(target_arch = "x86_64")]
std::arch::global_asm!(
    ".pushsection .tbss,\"awT\",@nobits",
    ".p2align 3",
    ".globl tracekit_guard_state",
    ".hidden tracekit_guard_state",
    ".type tracekit_guard_state,@object",
    ".size tracekit_guard_state,16",
    "tracekit_guard_state:",
    ".zero 16",
    ".popsection",
);
#[cfg(target_arch = "x86_64")]
const _: () =
    assert!(std::mem::size_of::<ThreadState>() <= 16 && std::mem::align_of::<ThreadState>() <= 8);

/// This thread's [`ThreadState`] (elsewhere: Rust's `thread_local!`).
#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn state() -> &'static ThreadState {
    thread_local! {
        static STATE: ThreadState = const {
            ThreadState { held: Cell::new(false), tid: Cell::new(0), helper: Cell::new(false) }
        };
    }
    // SAFETY: the thread's copy of STATE outlives every use (the guard and the accessors
    // below never leave the thread, and it has no destructor to end it early).
    STATE.with(|s| unsafe { &*(s as *const ThreadState) })
}

/// Proof that this thread holds the guard; releases it on drop. It points at the thread's
/// state (so it is neither `Send` nor `Sync`).
#[derive(Debug)]
pub struct Guard(std::ptr::NonNull<ThreadState>);

impl Guard {
    /// Takes the guard, or `None` when this thread already holds it.
    #[inline]
    pub fn enter() -> Option<Guard> {
        let s = state();
        if s.held.get() {
            if !s.helper.get() {
                REENTRIES.fetch_add(1, Ordering::Relaxed);
            }
            return None;
        }
        s.held.set(true);
        Some(Guard(std::ptr::NonNull::from(s)))
    }

    #[inline(always)]
    fn state(&self) -> &ThreadState {
        // SAFETY: the pointer is this thread's TLS block (the guard never leaves the thread),
        // which lives as long as the thread.
        unsafe { self.0.as_ref() }
    }

    /// This thread's cached id (0 until [`Guard::set_tid`]).
    #[inline]
    pub fn tid(&self) -> u32 {
        self.state().tid.get()
    }

    /// Caches this thread's id.
    #[inline]
    pub fn set_tid(&self, tid: u32) {
        self.state().tid.set(tid)
    }

    /// True when this thread holds the guard.
    #[inline]
    pub fn held() -> bool {
        state().held.get()
    }

    /// True on a helper thread of the runtime ([`Guard::hold_forever`]).
    #[inline]
    pub fn is_helper() -> bool {
        state().helper.get()
    }

    /// Marks this thread as permanently inside tracekit (a helper thread of the runtime):
    /// every hook it reaches passes straight through.
    pub fn hold_forever() {
        let s = state();
        s.held.set(true);
        s.helper.set(true);
    }
}

/// This thread's cached id, without the guard (0 until set).
#[inline]
pub fn cached_tid() -> u32 {
    state().tid.get()
}

/// Caches (or, with 0, forgets) this thread's id, without the guard.
pub fn set_cached_tid(tid: u32) {
    state().tid.set(tid)
}

impl Drop for Guard {
    #[inline]
    fn drop(&mut self) {
        self.state().held.set(false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guard_is_not_reentrant_and_released_on_drop() {
        let g = Guard::enter().expect("first entry");
        assert!(Guard::held());
        assert_eq!(g.tid(), 0);
        g.set_tid(7);
        assert_eq!(cached_tid(), 7);
        set_cached_tid(0);
        assert!(Guard::enter().is_none());
        drop(g);
        assert!(!Guard::held());
        assert!(Guard::enter().is_some());
    }

    #[test]
    fn guard_is_per_thread() {
        let _g = Guard::enter().unwrap();
        std::thread::spawn(|| assert!(Guard::enter().is_some()))
            .join()
            .unwrap();
    }
}
