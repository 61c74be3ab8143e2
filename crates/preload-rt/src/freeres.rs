//! Freeing the runtimes' one-off buffers at exit, as valgrind and heaptrack do, so that
//! they are not reported as leaks: libstdc++'s emergency exception pool (some 72 KiB
//! allocated at its start-up, in every C++ program) and glibc's internal buffers (stdio,
//! locale, `dlerror`, NSS, ...), which their authors never free because the kernel reclaims
//! them anyway.
//!
//! - valgrind's core calls `__gnu_cxx::__freeres()` then `__libc_freeres()` in the last
//!   thread once the program has called `exit_group`, after every exit handler
//!   (`--run-cxx-freeres=no` and `--run-libc-freeres=no` turn them off);
//! - heaptrack calls the same two, in that order, from the `atexit` handler it registers at
//!   start-up, before it writes its last records.
//!
//! We do what heaptrack does, from the session's exit handler, just before the `Exit`
//! record (see [`crate::session`] for why that point comes after everything of the
//! program), so the frees they make are recorded like the program's own.
//! `TRACEKIT_FREERES=0` turns it off.

use std::ffi::c_char;
use std::sync::atomic::{AtomicBool, Ordering};

use tracekit_log::Exit;

static RAN: AtomicBool = AtomicBool::new(false);
static RUNNING: AtomicBool = AtomicBool::new(false);

/// True while the runtimes' free functions run. `__libc_freeres` calls `free` on dozens of
/// pointers that were never set (`free(NULL)`): calls of ours, not the program's, which a
/// hook leaves out of the counts (memusage, which frees nothing at exit, counts the
/// program's alone).
#[inline]
pub fn is_running() -> bool {
    RUNNING.load(Ordering::Relaxed)
}

/// Runs the runtimes' free functions (once per process image) and returns which ran
/// ([`Exit::FREERES_CXX`], [`Exit::FREERES_LIBC`]). Call it without the reentrancy guard:
/// the frees go through the hooks and are recorded.
///
/// `__libc_freeres()` runs only when no thread but the caller (and the compressor thread)
/// is left: it frees state that glibc's other threads may still use (stdio buffers, locale,
/// NSS), and unlike valgrind we cannot stop them first. `__gnu_cxx::__freeres()` only frees
/// the exception pool and clears its pointer: a later `throw` still allocates with
/// `malloc`; only one made while `malloc` fails would have needed the pool.
pub fn run() -> u32 {
    if RAN.swap(true, Ordering::AcqRel) {
        return 0;
    }
    let mut ran = 0;
    RUNNING.store(true, Ordering::Relaxed);
    // Looked up now, not at start-up: the first allocation, which starts the session, can
    // come from inside the dynamic loader; at exit `dlsym` is an ordinary call. Only for a
    // loaded libstdc++: a failed lookup would leave a `dlerror` buffer behind.
    let cxx = has_libstdcxx()
        .then(|| lookup(b"_ZN9__gnu_cxx9__freeresEv\0"))
        .flatten();
    if let Some(cxx) = cxx {
        // SAFETY: libstdc++'s `void __gnu_cxx::__freeres() noexcept`, which takes no
        // arguments and frees the emergency pool when it was allocated.
        unsafe { cxx() };
        ran |= Exit::FREERES_CXX;
    }
    let alone = crate::session::only_thread_left();
    if alone {
        if let Some(libc_freeres) = lookup(b"__libc_freeres\0") {
            // SAFETY: glibc's public `void __libc_freeres(void)`, meant to be called just
            // before the process ends by memory checkers; it guards against a second call.
            unsafe { libc_freeres() };
            ran |= Exit::FREERES_LIBC;
        }
    }
    RUNNING.store(false, Ordering::Relaxed);
    ran
}

/// Set when a module record names libstdc++ (see [`note_module_path`]).
static LIBSTDCXX: AtomicBool = AtomicBool::new(false);

/// Notes a module the session records: is it libstdc++? (Not asked of the loader at exit:
/// `dl_iterate_phdr` waits for a lock that a forked child of a multi-threaded program may
/// have inherited held, forever.)
pub fn note_module_path(path: &[u8]) {
    let name = path.rsplit(|&b| b == b'/').next().unwrap_or(path);
    if name.starts_with(b"libstdc++.so") {
        LIBSTDCXX.store(true, Ordering::Relaxed);
    }
}

fn has_libstdcxx() -> bool {
    LIBSTDCXX.load(Ordering::Relaxed)
}

fn lookup(name: &[u8]) -> Option<unsafe extern "C" fn()> {
    // SAFETY: name is NUL-terminated; RTLD_DEFAULT searches the program's global scope.
    let f = unsafe { libc::dlsym(libc::RTLD_DEFAULT, name.as_ptr().cast::<c_char>()) };
    if f.is_null() {
        return None;
    }
    // SAFETY: both symbols looked up here are functions of type `void (void)`.
    Some(unsafe { std::mem::transmute::<*mut libc::c_void, unsafe extern "C" fn()>(f) })
}
