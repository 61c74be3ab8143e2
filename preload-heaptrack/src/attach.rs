//! Loaded into a running process by `tracekit heap -p PID` (with `dlopen`, by the target's own
//! thread, which tracekit drives with ptrace): [`tracekit_attach`] starts recording into a
//! log and redirects the allocation functions of every loaded module to this library's hooks
//! (preload-rt's `reloc`: their GOT slots, so `-fno-plt` code is covered too); modules loaded
//! later are redirected by the `dlopen` hook. [`tracekit_detach`] puts every slot back and
//! finishes the log on a thread of its own (the program goes on meanwhile); the library stays
//! loaded (a thread may still be inside a hook).
//!
//! The constructor starts no session in such a process (see `crate::init`): the log is the
//! one tracekit names. Blocks allocated before the attach and released during it are
//! counted as releases of untracked blocks by the reader; nothing allocated before is seen as
//! live, so none of it is reported leaked.

use std::ffi::{c_char, c_int, c_void, CStr};
use std::sync::atomic::{AtomicU32, Ordering};

use tracekit_preload_rt::guard::Guard;
use tracekit_preload_rt::reloc::{self, Hook};
use tracekit_preload_rt::session;
use tracekit_preload_rt::sys;

/// The functions redirected: the C allocator, C++'s operators (what `hooks` and `cxx`
/// define), the anonymous mappings (`mapping`'s, but for `brk`/`sbrk`, which programs that
/// run long enough to be attached to do not call), and `dlopen`, which redirects the modules
/// it loads.
pub const REDIRECTED: &[&CStr] = &[
    c"malloc",
    c"calloc",
    c"realloc",
    c"reallocarray",
    c"free",
    c"posix_memalign",
    c"aligned_alloc",
    c"memalign",
    c"valloc",
    c"pvalloc",
    c"_Znwm",
    c"_Znam",
    c"_ZnwmSt11align_val_t",
    c"_ZnamSt11align_val_t",
    c"_ZnwmRKSt9nothrow_t",
    c"_ZnamRKSt9nothrow_t",
    c"_ZnwmSt11align_val_tRKSt9nothrow_t",
    c"_ZnamSt11align_val_tRKSt9nothrow_t",
    c"_ZdlPv",
    c"_ZdaPv",
    c"_ZdlPvm",
    c"_ZdaPvm",
    c"_ZdlPvSt11align_val_t",
    c"_ZdaPvSt11align_val_t",
    c"_ZdlPvmSt11align_val_t",
    c"_ZdaPvmSt11align_val_t",
    c"_ZdlPvRKSt9nothrow_t",
    c"_ZdaPvRKSt9nothrow_t",
    c"_ZdlPvSt11align_val_tRKSt9nothrow_t",
    c"_ZdaPvSt11align_val_tRKSt9nothrow_t",
    c"mmap",
    c"mmap64",
    c"munmap",
    c"mremap",
    c"dlopen",
];

/// What [`tracekit_attach`] returns when the log could not be made (or a session runs).
pub const ATTACH_NO_LOG: c_int = -1;
/// What [`tracekit_attach`] returns when this library's own hooks could not be found.
pub const ATTACH_NO_HOOKS: c_int = -2;

/// Starts recording into the log at `log` (an absolute path, created) and redirects the
/// allocation functions. Returns the number of slots redirected (0 is possible: a program
/// that allocates nothing through its GOT), or a negative `ATTACH_*` code.
///
/// # Safety
/// `log` is a NUL-terminated path.
#[cfg_attr(not(test), no_mangle)]
pub unsafe extern "C" fn tracekit_attach(log: *const c_char) -> c_int {
    let Some(_g) = Guard::enter() else {
        return ATTACH_NO_LOG;
    };
    // SAFETY: the caller's contract.
    let log = unsafe { CStr::from_ptr(log) };
    let Some(hooks) = own_hooks() else {
        return ATTACH_NO_HOOKS;
    };
    if !session::attach(&crate::CONFIG, log.to_bytes()) {
        return ATTACH_NO_LOG;
    }
    let own = tracekit_attach as unsafe extern "C" fn(*const c_char) -> c_int as usize;
    let done = reloc::patch(&hooks, own);
    done.slots.min(c_int::MAX as usize) as c_int
}

/// Becomes 1 once the log a detach finishes is complete ([`tracekit_detach`]).
static FINISHED: AtomicU32 = AtomicU32::new(0);

/// Puts every redirected slot back, stops recording and finishes the log on a thread of its
/// own, so that tracekit can let the program's threads go on at once: finishing compresses
/// what the compressor thread has not yet (much, after a busy interval) and rewrites the file.
/// Returns the address of a 32-bit word that becomes 1 once the log is complete (tracekit
/// reads it with `process_vm_readv`). When no thread can be started the log is finished
/// before returning, and the word is 1 already.
///
/// A program that exits while the log is being finished leaves it uncompressed (complete up
/// to the detach: the records are in the file).
#[cfg_attr(not(test), no_mangle)]
pub extern "C" fn tracekit_detach() -> *const AtomicU32 {
    let _g = Guard::enter();
    reloc::restore();
    FINISHED.store(0, Ordering::Release);
    let finish = || {
        session::detach();
        FINISHED.store(1, Ordering::Release);
    };
    // The thread starts with every signal blocked (they are the program's), and inside
    // tracekit for good: its own allocations are not recorded.
    let old = sys::set_thread_sigmask(&sys::full_sigset());
    let spawned = std::thread::Builder::new()
        .name("tracekit-detach".into())
        .spawn(move || {
            Guard::hold_forever();
            finish();
        });
    sys::set_thread_sigmask(&old);
    if spawned.is_err() {
        finish();
    }
    &FINISHED
}

/// After a `dlopen` (our hook's, `crate::process`): redirect the modules it loaded.
pub fn after_dlopen() {
    if session::is_on() {
        reloc::patch_new_modules();
    }
}

/// This library's definition of every [`REDIRECTED`] name, looked up in the library itself
/// (it is loaded with `RTLD_LOCAL`: its names are not in the global scope).
fn own_hooks() -> Option<Vec<Hook<'static>>> {
    let mut info: libc::Dl_info = libc::Dl_info {
        dli_fname: std::ptr::null(),
        dli_fbase: std::ptr::null_mut(),
        dli_sname: std::ptr::null(),
        dli_saddr: std::ptr::null_mut(),
    };
    let here = own_hooks as fn() -> Option<Vec<Hook<'static>>> as *const c_void;
    // SAFETY: `info` is writable; `here` is an address of this library.
    if unsafe { libc::dladdr(here, &mut info) } == 0 || info.dli_fname.is_null() {
        return None;
    }
    // SAFETY: our own file name as the loader has it; RTLD_NOLOAD only takes a reference to
    // the loaded library (never dropped: the library stays loaded).
    let me = unsafe { libc::dlopen(info.dli_fname, libc::RTLD_NOW | libc::RTLD_NOLOAD) };
    if me.is_null() {
        return None;
    }
    let mut hooks = Vec::with_capacity(REDIRECTED.len());
    for &name in REDIRECTED {
        // SAFETY: a library handle and a C string.
        let f = unsafe { libc::dlsym(me, name.as_ptr()) };
        if f.is_null() {
            return None;
        }
        hooks.push(Hook {
            symbol: name,
            replacement: f as usize,
        });
    }
    Some(hooks)
}
