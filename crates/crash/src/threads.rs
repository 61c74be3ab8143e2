//! Our `pthread_create`: the real one, with a start routine that first gives the new thread
//! an alternate signal stack.

use core::ffi::{c_int, c_void};
use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use crate::{altstack, sys};

type StartFn = extern "C" fn(*mut c_void) -> *mut c_void;
type CreateFn = unsafe extern "C" fn(
    *mut libc::pthread_t,
    *const libc::pthread_attr_t,
    StartFn,
    *mut c_void,
) -> c_int;

static REAL: sys::NextFn = sys::NextFn::new(c"pthread_create");

fn real() -> Option<CreateFn> {
    // SAFETY: libc's pthread_create has this signature.
    unsafe { REAL.get::<CreateFn>() }
}

/// What the new thread must run. Handed over through a static slot rather than a heap box:
/// freeing a box in the new thread would make it set up its own malloc cache (and perhaps an
/// arena), which cost more than everything else we add to thread creation.
struct Start {
    start: AtomicUsize,
    arg: AtomicUsize,
    busy: AtomicBool,
}

const SLOTS: usize = 128;
static SLOT: [Start; SLOTS] = [const {
    Start {
        start: AtomicUsize::new(0),
        arg: AtomicUsize::new(0),
        busy: AtomicBool::new(false),
    }
}; SLOTS];

/// Handed over when every slot is busy (many threads starting at once), in a page of its
/// own (two system calls, in that rare case; no `malloc`, whose import would cost every
/// program at load, and which would make the new thread set up its own malloc cache).
struct Boxed {
    start: StartFn,
    arg: *mut c_void,
}

/// Tags a `Boxed` pointer (slots are `&SLOT[i]`, boxes are tagged in bit 0).
const BOXED: usize = 1;

/// A token for the new thread to redeem; `None` only when every slot is busy and no page can
/// be mapped (the thread then starts without our trampoline, so without an alternate stack).
fn claim(start: StartFn, arg: *mut c_void) -> Option<usize> {
    for s in &SLOT {
        if !s.busy.load(Ordering::Relaxed)
            && s.busy
                .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
        {
            s.start.store(start as usize, Ordering::Relaxed);
            s.arg.store(arg as usize, Ordering::Relaxed);
            return Some(s as *const Start as usize);
        }
    }
    let b = sys::map_page().ok()? as *mut Boxed;
    // SAFETY: b is a fresh page, large and aligned enough for a Boxed.
    unsafe { b.write(Boxed { start, arg }) };
    Some(b as usize | BOXED)
}

/// Takes back what `claim` handed over.
///
/// # Safety
/// `token` comes from one `claim` and is redeemed once.
unsafe fn redeem(token: usize) -> (StartFn, *mut c_void) {
    if token & BOXED != 0 {
        let b = (token & !BOXED) as *mut Boxed;
        // SAFETY: per the contract, this is the page claim filled, read once and unmapped.
        let Boxed { start, arg } = unsafe { b.read() };
        // SAFETY: b came from map_page and is unmapped once, after the read.
        unsafe { sys::unmap(b as *mut u8, sys::PAGE) };
        return (start, arg);
    }
    // SAFETY: a slot address from claim; slots are statics.
    let s = unsafe { &*(token as *const Start) };
    let start = s.start.load(Ordering::Relaxed);
    let arg = s.arg.load(Ordering::Relaxed) as *mut c_void;
    s.busy.store(false, Ordering::Release);
    // SAFETY: claim stored a StartFn here.
    (
        unsafe { core::mem::transmute::<usize, StartFn>(start) },
        arg,
    )
}

/// Starts a thread made by our `pthread_create` (the crash report leaves its frame out).
pub(crate) extern "C" fn trampoline(p: *mut c_void) -> *mut c_void {
    // SAFETY: p is the token our pthread_create claimed for this thread.
    let (start, arg) = unsafe { redeem(p as usize) };
    altstack::install_thread();
    start(arg)
}

/// The interposed `pthread_create`.
///
/// # Safety
/// As `pthread_create(3)`.
#[cfg_attr(all(feature = "preload", not(test)), no_mangle)]
pub unsafe extern "C" fn pthread_create(
    thread: *mut libc::pthread_t,
    attr: *const libc::pthread_attr_t,
    start: StartFn,
    arg: *mut c_void,
) -> c_int {
    let Some(real) = real() else {
        return libc::EAGAIN;
    };
    altstack::init();
    let Some(token) = claim(start, arg) else {
        // SAFETY: the caller's own arguments, unchanged.
        return unsafe { real(thread, attr, start, arg) };
    };
    // SAFETY: forwarding the caller's arguments; the trampoline redeems `token`.
    let rc = unsafe { real(thread, attr, trampoline, token as *mut c_void) };
    if rc != 0 {
        // SAFETY: the thread was not created, so the token is still ours to redeem.
        let _ = unsafe { redeem(token) };
    }
    rc
}

#[cfg(test)]
mod tests {
    use super::*;

    extern "C" fn nothing(p: *mut c_void) -> *mut c_void {
        p
    }

    #[test]
    fn slots_are_reused_and_boxes_take_the_overflow() {
        let tokens: Vec<usize> = (0..SLOTS + 3)
            .map(|i| claim(nothing, i as *mut c_void).unwrap())
            .collect();
        // At least 3: a test running alongside may hold a slot for a moment.
        assert!(tokens.iter().filter(|&&t| t & BOXED != 0).count() >= 3);
        for (i, &t) in tokens.iter().enumerate() {
            // SAFETY: each token is redeemed once.
            let (f, arg) = unsafe { redeem(t) };
            // Called, not compared: function addresses are not unique in optimized builds
            // (a copy per codegen unit), and `nothing` returns its argument.
            assert_eq!(f(0x5a5a as *mut c_void) as usize, 0x5a5a);
            assert_eq!(arg as usize, i);
        }
        let again = claim(nothing, std::ptr::null_mut()).unwrap();
        assert_eq!(again & BOXED, 0, "slots are free again");
        // SAFETY: redeemed once.
        let _ = unsafe { redeem(again) };
    }

    #[test]
    fn threads_get_an_alternate_stack() {
        extern "C" fn probe(_: *mut c_void) -> *mut c_void {
            crate::sys::current_altstack().map_or(0, |s| s.ss_size) as *mut c_void
        }
        altstack::init();
        let mut t: libc::pthread_t = 0;
        // SAFETY: plain thread creation through our interposer; t is writable.
        let rc = unsafe { pthread_create(&mut t, std::ptr::null(), probe, std::ptr::null_mut()) };
        assert_eq!(rc, 0);
        let mut ret: *mut c_void = std::ptr::null_mut();
        // SAFETY: t is the thread just created, joined once.
        unsafe { libc::pthread_join(t, &mut ret) };
        let size = ret as usize;
        assert_eq!(size, altstack::SIZE);
        // The thread-specific-data destructor gave its stack back to the pool at exit
        // (`pthread_key_create`/`pthread_setspecific` are found with dlsym, not imported).
        assert!(
            altstack::pooled() > 0,
            "the thread's stack was not given back"
        );
    }
}
