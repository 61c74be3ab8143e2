//! An alternate signal stack for every thread, so a stack overflow can still be reported.
//!
//! The main thread gets one at load; threads created later get one from our `pthread_create`
//! (see `lib.rs`), freed by a thread-specific-data destructor when the thread ends. A thread
//! that already has an alternate stack (the program's own) keeps it.

use std::ffi::c_void;
use std::sync::atomic::{AtomicU32, Ordering};

use crate::sys;

/// Size of each alternate stack. The handler formats into static buffers, so it needs little
/// stack; the unwinder and the kernel's signal frame (with AVX-512 state) need some.
pub const SIZE: usize = 128 * 1024;

/// 0: not created; otherwise key + 1.
static KEY: AtomicU32 = AtomicU32::new(0);

extern "C" fn release(p: *mut c_void) {
    if p.is_null() {
        return;
    }
    // Only ours is released; if the thread replaced it, leave theirs alone.
    if let Some(cur) = sys::current_altstack() {
        if cur.ss_sp == p {
            sys::disable_altstack();
        }
    }
    // SAFETY: p is the stack this thread's `install` mapped, no longer the active altstack.
    unsafe { sys::unmap_stack(p as *mut u8, SIZE) };
}

/// Creates the key whose destructor frees a thread's stack. Call once at load.
pub fn init() {
    let mut key: libc::pthread_key_t = 0;
    // SAFETY: key is writable; release is a valid destructor.
    if unsafe { libc::pthread_key_create(&mut key, Some(release)) } == 0 {
        KEY.store(key + 1, Ordering::Release);
    }
}

/// Gives the calling thread an alternate signal stack unless it has one. `owned`: free it
/// when the thread exits (not for the main thread, whose stack lives as long as the process).
pub fn install(owned: bool) {
    if sys::current_altstack().is_some() {
        return;
    }
    let Some(stack) = sys::map_stack(SIZE) else {
        return;
    };
    if !sys::set_altstack(stack, SIZE) {
        // SAFETY: just mapped, never used.
        unsafe { sys::unmap_stack(stack, SIZE) };
        return;
    }
    let key = KEY.load(Ordering::Acquire);
    if owned && key != 0 {
        // SAFETY: key was created by init; the value is released by `release`.
        unsafe { libc::pthread_setspecific(key - 1, stack as *const c_void) };
    }
}
