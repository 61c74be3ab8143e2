//! The per-thread reentrancy guard every hook takes first.
//!
//! A hook that finds the guard already held was called from inside tracekit's own code (or
//! from a libc function that tracekit called), so it must go straight to the real function.
//! The flag is an ELF TLS `Cell<bool>` with a constant initializer and no destructor: reading
//! it never allocates and never registers a destructor, which matters in an LD_PRELOAD'd
//! library that may run before `main` and during thread exit.

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
/// up once (in a shared library every thread-local access is a `__tls_get_addr` call).
#[derive(Debug)]
struct ThreadState {
    held: Cell<bool>,
    tid: Cell<u32>,
    /// A helper thread of the runtime ([`Guard::hold_forever`]): its allocations are its own,
    /// made on purpose, not calls from inside a hook, so they are not counted as reentries.
    helper: Cell<bool>,
}

thread_local! {
    static STATE: ThreadState = const {
        ThreadState { held: Cell::new(false), tid: Cell::new(0), helper: Cell::new(false) }
    };
}

/// Proof that this thread holds the guard; releases it on drop. It points at the thread's
/// state (so it is neither `Send` nor `Sync`).
#[derive(Debug)]
pub struct Guard(std::ptr::NonNull<ThreadState>);

impl Guard {
    /// Takes the guard, or `None` when this thread already holds it.
    #[inline]
    pub fn enter() -> Option<Guard> {
        STATE.with(|s| {
            if s.held.get() {
                if !s.helper.get() {
                    REENTRIES.fetch_add(1, Ordering::Relaxed);
                }
                return None;
            }
            s.held.set(true);
            Some(Guard(std::ptr::NonNull::from(s)))
        })
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
        STATE.with(|s| s.held.get())
    }

    /// Marks this thread as permanently inside tracekit (a helper thread of the runtime):
    /// every hook it reaches passes straight through.
    pub fn hold_forever() {
        STATE.with(|s| {
            s.held.set(true);
            s.helper.set(true);
        });
    }
}

/// This thread's cached id, without the guard (0 until set).
#[inline]
pub fn cached_tid() -> u32 {
    STATE.with(|s| s.tid.get())
}

/// Caches (or, with 0, forgets) this thread's id, without the guard.
pub fn set_cached_tid(tid: u32) {
    STATE.with(|s| s.tid.set(tid))
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
