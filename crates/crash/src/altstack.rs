//! An alternate signal stack for every thread, so a stack overflow can still be reported.
//!
//! The main thread gets one at load, a static buffer (in `.bss`: no system call but the
//! `sigaltstack` itself, and no page is touched until a signal uses it); threads created later get one from our `pthread_create`
//! (see `lib.rs`), given back by a thread-specific-data destructor when the thread ends. A
//! thread that already has an alternate stack (the program's own) keeps it.
//!
//! Stacks given back go to a small lock-free pool and are reused by the next threads, so a
//! program that creates and joins threads in a loop pays two `sigaltstack` calls per thread,
//! not an `mmap`/`mprotect`/`munmap` (whose TLB shootdowns are what made thread creation
//! measurably slower).

use core::cell::UnsafeCell;
use core::ffi::{c_int, c_void};
use core::sync::atomic::{AtomicPtr, AtomicU32, AtomicUsize, Ordering};

use crate::sys;

/// Size of each alternate stack. The handler formats into static buffers, so it needs little
/// stack; the unwinder and the kernel's signal frame (with AVX-512 state) need some.
pub const SIZE: usize = 128 * 1024;

/// 0: not created; [`CREATING`]: being created; otherwise key + 1.
static KEY: AtomicU32 = AtomicU32::new(0);
const CREATING: u32 = u32::MAX;

/// libc's `pthread_setspecific`, found with `dlsym` when the key is created (before `KEY` is
/// published), as `pthread_key_create` is: imported, each would be one more symbol for the
/// dynamic linker to bind in every program that loads us, threads or not.
static SET_SPECIFIC: AtomicUsize = AtomicUsize::new(0);

type KeyCreateFn = unsafe extern "C" fn(
    *mut libc::pthread_key_t,
    Option<unsafe extern "C" fn(*mut c_void)>,
) -> c_int;
type SetSpecificFn = unsafe extern "C" fn(libc::pthread_key_t, *const c_void) -> c_int;

/// Creates the key with libc's `pthread_key_create` (looked up here, see `SET_SPECIFIC`) and
/// remembers `pthread_setspecific`; the key, or None.
fn create_key() -> Option<libc::pthread_key_t> {
    // SAFETY: dlsym with a NUL-terminated name; RTLD_DEFAULT finds what an import would bind.
    let create = unsafe { libc::dlsym(libc::RTLD_DEFAULT, c"pthread_key_create".as_ptr()) };
    // SAFETY: as above.
    let set = unsafe { libc::dlsym(libc::RTLD_DEFAULT, c"pthread_setspecific".as_ptr()) };
    let (create, set) = (create as usize, set as usize);
    if create == 0 || set == 0 {
        return None;
    }
    // SAFETY: a non-null result of dlsym("pthread_key_create") is that function.
    let create = unsafe { core::mem::transmute::<usize, KeyCreateFn>(create) };
    let mut key: libc::pthread_key_t = 0;
    // SAFETY: key is writable; release is a valid destructor.
    if unsafe { create(&mut key, Some(release)) } != 0 {
        return None;
    }
    SET_SPECIFIC.store(set, Ordering::Relaxed);
    Some(key)
}

/// Stacks of finished threads, ready for reuse (null: empty slot).
static POOL: [AtomicPtr<u8>; 32] = [const { AtomicPtr::new(core::ptr::null_mut()) }; 32];

fn take_pooled() -> Option<*mut u8> {
    POOL.iter().find_map(|slot| {
        if slot.load(Ordering::Relaxed).is_null() {
            return None;
        }
        let p = slot.swap(core::ptr::null_mut(), Ordering::Acquire);
        (!p.is_null()).then_some(p)
    })
}

/// Stacks in the pool now.
#[cfg(test)]
pub(crate) fn pooled() -> usize {
    POOL.iter()
        .filter(|s| !s.load(Ordering::Relaxed).is_null())
        .count()
}

fn give_back(p: *mut u8) {
    for slot in &POOL {
        if slot
            .compare_exchange(
                core::ptr::null_mut(),
                p,
                Ordering::Release,
                Ordering::Relaxed,
            )
            .is_ok()
        {
            return;
        }
    }
    // SAFETY: p is a stack from map_stack that no thread uses any more, and it is in no slot.
    unsafe { sys::unmap_stack(p, SIZE) };
}

extern "C" fn release(p: *mut c_void) {
    if p.is_null() {
        return;
    }
    // The thread is ending; stop using the stack before anyone else may get it. (Should the
    // program have replaced ours, this disables theirs, which is as harmless at thread exit.)
    sys::disable_altstack();
    give_back(p as *mut u8);
}

/// Creates the key whose destructor frees a thread's stack, once: called by our
/// `pthread_create` before it starts a thread (so a program that never creates one never
/// pays for it). Threads that race here wait for the one that creates it.
pub fn init() {
    loop {
        match KEY.load(Ordering::Acquire) {
            0 => {
                if KEY
                    .compare_exchange(0, CREATING, Ordering::Acquire, Ordering::Acquire)
                    .is_err()
                {
                    continue;
                }
                // On failure, 0 again: the next thread to start tries again. (Release:
                // whoever sees the key sees SET_SPECIFIC.)
                let state = match create_key() {
                    Some(key) if key + 1 != CREATING => key + 1,
                    _ => 0,
                };
                KEY.store(state, Ordering::Release);
                return;
            }
            CREATING => core::hint::spin_loop(),
            _ => return,
        }
    }
}

/// The main thread's alternate stack.
#[repr(C, align(64))]
struct MainStack(UnsafeCell<[u8; SIZE]>);

// SAFETY: only the kernel writes it (signal frames of the main thread), and only after
// `install_main` made it that thread's alternate stack.
unsafe impl Sync for MainStack {}

static MAIN: MainStack = MainStack(UnsafeCell::new([0; SIZE]));

/// Gives the calling (main) thread the static alternate stack, unless it already had one (then
/// that one is kept, as whoever loaded before us set it up). One `sigaltstack` call.
pub fn install_main() {
    if let Ok(Some(old)) = sys::swap_altstack(MAIN.0.get() as *mut u8, SIZE) {
        sys::restore_altstack(&old);
    }
}

/// Gives the calling thread (one our `pthread_create` started) an alternate signal stack, freed
/// when the thread exits. (The kernel starts threads without one.)
pub fn install_thread() {
    let Some(stack) = take_pooled().or_else(|| sys::map_stack(SIZE).ok()) else {
        return;
    };
    if !sys::set_altstack(stack, SIZE) {
        give_back(stack);
        return;
    }
    let key = KEY.load(Ordering::Acquire);
    let set = SET_SPECIFIC.load(Ordering::Relaxed);
    if key != 0 && key != CREATING && set != 0 {
        // SAFETY: set by create_key (published with KEY) from dlsym("pthread_setspecific").
        let set = unsafe { core::mem::transmute::<usize, SetSpecificFn>(set) };
        // SAFETY: key was created by init; the value is released by `release`.
        unsafe { set(key - 1, stack as *const c_void) };
    }
}
