//! A lock for the runtime's shared state: no allocation, nothing shared with libc, and
//! explicitly taken and released around `fork` by the owner's atfork handlers (so the child
//! never inherits it held by a thread that does not exist there).
//!
//! It spins briefly, then sleeps on a futex (the classic three-state mutex: 0 free,
//! 1 held, 2 held with sleepers), so a busy multi-threaded program does not burn its CPUs
//! waiting for the log.

use core::cell::UnsafeCell;
use core::ops::{Deref, DerefMut};
use core::sync::atomic::{AtomicU32, Ordering};

use tracekit_preload_sys as sys;

/// A lock around a `T`. Contended waiters spin briefly, then sleep on a futex.
#[derive(Debug)]
pub struct SpinLock<T> {
    state: AtomicU32,
    value: UnsafeCell<T>,
}

const FREE: u32 = 0;
const HELD: u32 = 1;
const SLEEPERS: u32 = 2;

// SAFETY: access to `value` is serialized by `state` (acquire on lock, release on unlock).
unsafe impl<T: Send> Sync for SpinLock<T> {}
// SAFETY: the lock owns its value.
unsafe impl<T: Send> Send for SpinLock<T> {}

/// Holds the lock; releases it on drop.
#[derive(Debug)]
pub struct SpinGuard<'a, T> {
    lock: &'a SpinLock<T>,
}

impl<T> SpinLock<T> {
    /// A new, unlocked lock.
    pub const fn new(value: T) -> Self {
        SpinLock {
            state: AtomicU32::new(FREE),
            value: UnsafeCell::new(value),
        }
    }

    /// Takes the lock, waiting for it.
    #[inline]
    pub fn lock(&self) -> SpinGuard<'_, T> {
        if self
            .state
            .compare_exchange_weak(FREE, HELD, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            self.lock_slow();
        }
        SpinGuard { lock: self }
    }

    /// Takes the lock if it is free, without waiting (a helper thread that must never wait for
    /// a holder that may be waiting for it).
    #[inline]
    pub fn try_lock(&self) -> Option<SpinGuard<'_, T>> {
        self.state
            .compare_exchange(FREE, HELD, Ordering::Acquire, Ordering::Relaxed)
            .ok()
            .map(|_| SpinGuard { lock: self })
    }

    #[cold]
    fn lock_slow(&self) {
        for _ in 0..100 {
            if self.state.load(Ordering::Relaxed) == FREE
                && self
                    .state
                    .compare_exchange_weak(FREE, HELD, Ordering::Acquire, Ordering::Relaxed)
                    .is_ok()
            {
                return;
            }
            core::hint::spin_loop();
        }
        while self.state.swap(SLEEPERS, Ordering::Acquire) != FREE {
            sys::futex_wait(&self.state, SLEEPERS);
        }
    }

    #[inline]
    fn unlock(&self) {
        if self.state.swap(FREE, Ordering::Release) == SLEEPERS {
            sys::futex_wake(&self.state, 1);
        }
    }

    /// Takes the lock and keeps it until [`SpinLock::force_unlock`] (an atfork prepare
    /// handler, paired with the parent and child handlers).
    pub fn lock_for_fork(&self) {
        core::mem::forget(self.lock());
    }

    /// Releases a lock taken with [`SpinLock::lock_for_fork`].
    ///
    /// # Safety
    /// The caller took the lock with `lock_for_fork` and holds no guard for it.
    pub unsafe fn force_unlock(&self) {
        self.unlock();
    }
}

impl<T> Deref for SpinGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard proves exclusive access.
        unsafe { &*self.lock.value.get() }
    }
}

impl<T> DerefMut for SpinGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard proves exclusive access.
        unsafe { &mut *self.lock.value.get() }
    }
}

impl<T> Drop for SpinGuard<'_, T> {
    #[inline]
    fn drop(&mut self) {
        self.lock.unlock();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::prelude::rust_2021::*;

    #[test]
    fn lock_serializes_threads() {
        static L: SpinLock<u64> = SpinLock::new(0);
        let ts: Vec<_> = (0..4)
            .map(|_| {
                std::thread::spawn(|| {
                    for _ in 0..10_000 {
                        *L.lock() += 1;
                    }
                })
            })
            .collect();
        for t in ts {
            t.join().unwrap();
        }
        assert_eq!(*L.lock(), 40_000);
        L.lock_for_fork();
        // SAFETY: taken just above with lock_for_fork.
        unsafe { L.force_unlock() };
        assert_eq!(*L.lock(), 40_000);
    }
}
