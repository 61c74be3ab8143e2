//! The program's anonymous memory beside its heap: `mmap` (of anonymous memory), `munmap`,
//! `mremap`, `brk` and `sbrk`, each recorded as a `Mapping` event with the caller's backtrace
//! (`munmap`'s without one), so a report can say who mapped what.
//!
//! glibc's malloc maps its arenas and large blocks through internal calls (`__mmap`,
//! `__sbrk`), which do not go through the symbol table and so never reach these hooks: the
//! mappings recorded are the program's own (and those of allocators linked into it, such as
//! jemalloc's). The calls themselves are made as system calls through `preload-sys`
//! (`sbrk`/`brk` through glibc's, which keeps the break), never allocating, and a call made
//! while the reentrancy guard is held (by the tracker itself) is passed straight through.

use std::ffi::{c_int, c_void};

use tracekit_log::MapOp;
use tracekit_preload_rt::cabi::set_errno;
use tracekit_preload_rt::guard::Guard;
use tracekit_preload_rt::sys::{self, NextFn};

use crate::record::{self, ensure_started, MapChange};

/// An address or `MAP_FAILED`, from a system call's result.
fn mapped_or_failed(r: sys::SysResult<usize>) -> *mut c_void {
    match r {
        Ok(p) => p as *mut c_void,
        Err(e) => {
            set_errno(e.0);
            libc::MAP_FAILED
        }
    }
}

/// `mmap`.
///
/// # Safety
/// As C's `mmap`.
#[cfg_attr(not(test), no_mangle)]
pub unsafe extern "C" fn mmap(
    addr: *mut c_void,
    len: usize,
    prot: c_int,
    flags: c_int,
    fd: c_int,
    off: i64,
) -> *mut c_void {
    // SAFETY: the caller's own call, as it made it.
    let call = || unsafe { sys::mmap_for(addr as usize, len, prot, flags, fd, off) };
    let Some(g) = Guard::enter().filter(|_| flags & libc::MAP_ANONYMOUS != 0) else {
        return mapped_or_failed(call());
    };
    ensure_started();
    record::mapping(&g, MapOp::Mmap, true, || {
        let r = call();
        let change = r.ok().map(|p| MapChange {
            addr: p as u64,
            len: len as u64,
            ..MapChange::default()
        });
        (mapped_or_failed(r), change)
    })
}

/// `mmap64` (the same call on 64-bit Linux).
///
/// # Safety
/// As C's `mmap64`.
#[cfg_attr(not(test), no_mangle)]
pub unsafe extern "C" fn mmap64(
    addr: *mut c_void,
    len: usize,
    prot: c_int,
    flags: c_int,
    fd: c_int,
    off: i64,
) -> *mut c_void {
    // SAFETY: the caller's contract.
    unsafe { mmap(addr, len, prot, flags, fd, off) }
}

/// `munmap`.
///
/// # Safety
/// As C's `munmap`.
#[cfg_attr(not(test), no_mangle)]
pub unsafe extern "C" fn munmap(addr: *mut c_void, len: usize) -> c_int {
    let call = || {
        // SAFETY: the caller's own call, as it made it.
        match unsafe { sys::munmap_for(addr as usize, len) } {
            Ok(()) => 0,
            Err(e) => {
                set_errno(e.0);
                -1
            }
        }
    };
    let Some(g) = Guard::enter() else {
        return call();
    };
    record::mapping(&g, MapOp::Munmap, false, || {
        let r = call();
        let change = (r == 0).then_some(MapChange {
            addr: addr as u64,
            len: len as u64,
            ..MapChange::default()
        });
        (r, change)
    })
}

/// `mremap`. C declares it variadic (`new_address` only with `MREMAP_FIXED` or
/// `MREMAP_DONTUNMAP`); on x86_64 a variadic call passes its fifth argument in the register
/// a fifth fixed argument is read from, so this definition reads it, and the kernel ignores it
/// without those flags.
///
/// # Safety
/// As C's `mremap`.
#[cfg_attr(not(test), no_mangle)]
pub unsafe extern "C" fn mremap(
    old: *mut c_void,
    old_len: usize,
    new_len: usize,
    flags: c_int,
    new_addr: *mut c_void,
) -> *mut c_void {
    // SAFETY: the caller's own call, as it made it.
    let call =
        || unsafe { sys::mremap_for(old as usize, old_len, new_len, flags, new_addr as usize) };
    let Some(g) = Guard::enter() else {
        return mapped_or_failed(call());
    };
    ensure_started();
    record::mapping(&g, MapOp::Mremap, true, || {
        let r = call();
        let change = r.ok().map(|p| MapChange {
            addr: old as u64,
            len: old_len as u64,
            new_addr: p as u64,
            new_len: new_len as u64,
        });
        (mapped_or_failed(r), change)
    })
}

static SBRK: NextFn = NextFn::new(c"sbrk");
static BRK: NextFn = NextFn::new(c"brk");

type SbrkFn = unsafe extern "C" fn(isize) -> *mut c_void;
type BrkFn = unsafe extern "C" fn(*mut c_void) -> c_int;

/// glibc's `sbrk`.
fn real_sbrk(increment: isize) -> *mut c_void {
    // SAFETY: `sbrk`'s type.
    match unsafe { SBRK.get::<SbrkFn>() } {
        // SAFETY: glibc's sbrk, called as the program called ours.
        Some(f) => unsafe { f(increment) },
        None => {
            set_errno(libc::ENOMEM);
            usize::MAX as *mut c_void
        }
    }
}

/// `sbrk`.
#[cfg_attr(not(test), no_mangle)]
pub extern "C" fn sbrk(increment: isize) -> *mut c_void {
    let Some(g) = Guard::enter() else {
        return real_sbrk(increment);
    };
    ensure_started();
    record::mapping(&g, MapOp::Brk, true, || {
        let old = real_sbrk(increment);
        let change = (old as usize != usize::MAX && increment != 0).then(|| MapChange {
            addr: old as u64,
            new_addr: (old as u64).wrapping_add(increment as u64),
            ..MapChange::default()
        });
        (old, change)
    })
}

/// `brk`.
///
/// # Safety
/// As C's `brk`: memory above the new break is not used any more.
#[cfg_attr(not(test), no_mangle)]
pub unsafe extern "C" fn brk(addr: *mut c_void) -> c_int {
    let call = || {
        // SAFETY: `brk`'s type.
        match unsafe { BRK.get::<BrkFn>() } {
            // SAFETY: glibc's brk, called as the program called ours.
            Some(f) => unsafe { f(addr) },
            None => {
                set_errno(libc::ENOMEM);
                -1
            }
        }
    };
    let Some(g) = Guard::enter() else {
        return call();
    };
    ensure_started();
    record::mapping(&g, MapOp::Brk, true, || {
        let old = real_sbrk(0);
        let r = call();
        let change = (r == 0 && old != addr).then(|| MapChange {
            addr: old as u64,
            new_addr: addr as u64,
            ..MapChange::default()
        });
        (r, change)
    })
}
