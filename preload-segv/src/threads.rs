//! Our `pthread_create`: the real one, with a start routine that first gives the new thread
//! an alternate signal stack.

use std::ffi::{c_int, c_void};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::altstack;

type StartFn = extern "C" fn(*mut c_void) -> *mut c_void;
type CreateFn = unsafe extern "C" fn(
    *mut libc::pthread_t,
    *const libc::pthread_attr_t,
    StartFn,
    *mut c_void,
) -> c_int;

static REAL: AtomicUsize = AtomicUsize::new(0);

fn real() -> Option<CreateFn> {
    let mut p = REAL.load(Ordering::Acquire);
    if p == 0 {
        // SAFETY: dlsym with a NUL-terminated name; RTLD_NEXT finds libc's definition.
        p = unsafe { libc::dlsym(libc::RTLD_NEXT, c"pthread_create".as_ptr()) } as usize;
        REAL.store(p, Ordering::Release);
    }
    // SAFETY: a non-null result of dlsym("pthread_create") is that function.
    (p != 0).then(|| unsafe { std::mem::transmute::<usize, CreateFn>(p) })
}

/// Resolves the real `pthread_create` now, while loading, rather than on first use.
pub fn init() {
    let _ = real();
}

struct Start {
    start: StartFn,
    arg: *mut c_void,
}

extern "C" fn trampoline(p: *mut c_void) -> *mut c_void {
    // SAFETY: p is the Box<Start> our pthread_create leaked for this thread.
    let Start { start, arg } = *unsafe { Box::from_raw(p as *mut Start) };
    altstack::install(true);
    start(arg)
}

/// The interposed `pthread_create`.
///
/// # Safety
/// As `pthread_create(3)`.
#[cfg_attr(not(test), no_mangle)]
pub unsafe extern "C" fn pthread_create(
    thread: *mut libc::pthread_t,
    attr: *const libc::pthread_attr_t,
    start: StartFn,
    arg: *mut c_void,
) -> c_int {
    let Some(real) = real() else {
        return libc::EAGAIN;
    };
    let boxed = Box::into_raw(Box::new(Start { start, arg }));
    // SAFETY: forwarding the caller's arguments; the trampoline takes ownership of `boxed`.
    let rc = unsafe { real(thread, attr, trampoline, boxed as *mut c_void) };
    if rc != 0 {
        // SAFETY: the thread was not created, so the box is still ours.
        drop(unsafe { Box::from_raw(boxed) });
    }
    rc
}
