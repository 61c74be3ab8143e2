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

thread_local! {
    static HELD: Cell<bool> = const { Cell::new(false) };
}

/// Proof that this thread holds the guard; releases it on drop.
#[derive(Debug)]
pub struct Guard(());

impl Guard {
    /// Takes the guard, or `None` when this thread already holds it.
    #[inline]
    pub fn enter() -> Option<Guard> {
        if HELD.get() {
            REENTRIES.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        HELD.set(true);
        Some(Guard(()))
    }

    /// True when this thread holds the guard.
    #[inline]
    pub fn held() -> bool {
        HELD.get()
    }

    /// Marks this thread as permanently inside tracekit (a helper thread of the runtime):
    /// every hook it reaches passes straight through.
    pub fn hold_forever() {
        HELD.set(true);
    }
}

impl Drop for Guard {
    #[inline]
    fn drop(&mut self) {
        HELD.set(false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guard_is_not_reentrant_and_released_on_drop() {
        let g = Guard::enter().expect("first entry");
        assert!(Guard::held());
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
