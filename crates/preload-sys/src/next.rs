//! The definition of a symbol that comes after ours (`dlsym(RTLD_NEXT, name)`), looked up once.

use core::ffi::CStr;
use core::sync::atomic::{AtomicUsize, Ordering};

/// A function found with `dlsym(RTLD_NEXT, name)` the first time it is asked for: what a hook
/// forwards to when the real definition is not reachable by another name (libstdc++'s
/// operators, `pthread_create`). A `static` of this type costs nothing until used.
///
/// `repr(C)` with the address first, so that assembly can jump through the static once it is
/// resolved (`jmp qword ptr [rip + STATIC]`).
#[derive(Debug)]
#[repr(C)]
pub struct NextFn {
    addr: AtomicUsize,
    name: &'static CStr,
}

impl NextFn {
    /// The definition of `name` after the calling library's.
    pub const fn new(name: &'static CStr) -> NextFn {
        NextFn {
            addr: AtomicUsize::new(0),
            name,
        }
    }

    /// Its address, or 0 when no later object defines it. `dlsym` may allocate: not for a
    /// signal handler nor a malloc hook's first call before the allocator works.
    pub fn addr(&self) -> usize {
        let f = self.addr.load(Ordering::Acquire);
        if f != 0 {
            return f;
        }
        // SAFETY: name is NUL-terminated; RTLD_NEXT searches the objects loaded after the
        // one this code is in.
        let f = unsafe { libc::dlsym(libc::RTLD_NEXT, self.name.as_ptr()) } as usize;
        self.addr.store(f, Ordering::Release);
        f
    }

    /// Its address, or `fallback` (kept from then on) when no later object defines it.
    pub fn addr_or(&self, fallback: usize) -> usize {
        match self.addr() {
            0 => {
                self.addr.store(fallback, Ordering::Release);
                fallback
            }
            f => f,
        }
    }

    /// The function as type `F`, if found.
    ///
    /// # Safety
    /// `F` is a function pointer type matching the symbol's real signature.
    pub unsafe fn get<F: Copy>(&self) -> Option<F> {
        const { assert!(core::mem::size_of::<F>() == core::mem::size_of::<usize>()) };
        let f = self.addr();
        // SAFETY: a non-zero address of the named function, whose type the caller vouches for.
        (f != 0).then(|| unsafe { core::mem::transmute_copy::<usize, F>(&f) })
    }
}
