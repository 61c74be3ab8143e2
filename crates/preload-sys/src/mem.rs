//! Memory mappings, guard pages, and reading our own memory without faulting.

use core::ffi::c_int;

use crate::{ret, syscall, Errno, SysResult};

/// The page size of x86_64 Linux.
pub const PAGE: usize = 4096;

/// `mmap(NULL, len, prot, flags, fd, off)`: a fresh mapping where the kernel chooses.
fn map(len: usize, prot: c_int, flags: c_int, fd: c_int, off: u64) -> SysResult<*mut u8> {
    // SAFETY: no address is given, so the kernel picks unused space: no existing memory is
    // replaced.
    let p = ret(unsafe { syscall!(libc::SYS_mmap, 0usize, len, prot, flags, fd, off) })
        .map(|p| p as *mut u8)?;
    own::add(p as u64, len as u64);
    Ok(p)
}

/// The mappings this crate made, while [`own::track`] is on: the memory of the preload
/// library itself, which a leak check must not take for the program's (no kernel here names
/// anonymous mappings). Lock-free, fixed room; a mapping that finds no room is not listed.
pub mod own {
    use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

    const ROOM: usize = 512;
    static ON: AtomicBool = AtomicBool::new(false);
    static STARTS: [AtomicU64; ROOM] = [const { AtomicU64::new(0) }; ROOM];
    static LENS: [AtomicU64; ROOM] = [const { AtomicU64::new(0) }; ROOM];

    /// Lists the mappings made from now on.
    pub fn track() {
        ON.store(true, Ordering::Release);
    }

    pub(crate) fn add(start: u64, len: u64) {
        if !ON.load(Ordering::Relaxed) {
            return;
        }
        for (s, l) in STARTS.iter().zip(&LENS) {
            if s.compare_exchange(0, start, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
            {
                l.store(len, Ordering::Release);
                return;
            }
        }
    }

    pub(crate) fn remove(start: u64, len: u64) {
        if !ON.load(Ordering::Relaxed) {
            return;
        }
        for (s, l) in STARTS.iter().zip(&LENS) {
            let at = s.load(Ordering::Acquire);
            let end = at + l.load(Ordering::Acquire);
            if at == 0 || start + len <= at || start >= end {
                continue;
            }
            // Unmapped from its start: the rest stays (a guard page taken off, say).
            if start <= at && start + len < end {
                l.store(end - (start + len), Ordering::Release);
                s.store(start + len, Ordering::Release);
            } else if start <= at {
                l.store(0, Ordering::Release);
                s.store(0, Ordering::Release);
            }
        }
    }

    /// Calls `f` with each listed mapping, `(start, end)`.
    pub fn for_each(mut f: impl FnMut(u64, u64)) {
        for (s, l) in STARTS.iter().zip(&LENS) {
            let at = s.load(Ordering::Acquire);
            if at != 0 {
                f(at, at + l.load(Ordering::Acquire));
            }
        }
    }
}

/// Maps `len` bytes of `fd` at `off`, shared and writable. The pages are not faulted in:
/// see [`populate_write`].
pub fn map_shared(fd: c_int, off: u64, len: usize) -> SysResult<*mut u8> {
    map(
        len,
        libc::PROT_READ | libc::PROT_WRITE,
        libc::MAP_SHARED,
        fd,
        off,
    )
}

/// Maps `len` bytes of zeroed private memory (reserved lazily: pages cost nothing until used).
pub fn map_anon(len: usize) -> SysResult<*mut u8> {
    let flags = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE;
    map(len, libc::PROT_READ | libc::PROT_WRITE, flags, -1, 0)
}

/// Asks for transparent huge pages on `[p, p + len)` (`MADV_HUGEPAGE`): a large table that
/// fills up then takes one page fault per 2 MiB instead of one per 4 KiB. Only advice: where
/// the kernel has no huge page at hand (or THP is off) it maps small pages as before.
pub fn advise_huge(p: *mut u8, len: usize) {
    // SAFETY: advice on a range of the caller's own mapping; it changes no contents.
    let _ = unsafe { syscall!(libc::SYS_madvise, p, len, libc::MADV_HUGEPAGE) };
}

/// Keeps transparent huge pages out of `[p, p + len)` (`MADV_NOHUGEPAGE`): for ranges
/// managed page by page (moved, marked, dropped one at a time). Only advice.
pub fn advise_no_huge(p: *mut u8, len: usize) {
    // SAFETY: advice on a range of the caller's own mapping; it changes no contents.
    let _ = unsafe { syscall!(libc::SYS_madvise, p, len, libc::MADV_NOHUGEPAGE) };
}

/// The program break (`brk(0)`: it changes nothing and returns the current break), the end
/// of glibc's main heap.
pub fn program_break() -> u64 {
    // SAFETY: brk with 0 only reports the current break.
    unsafe { syscall!(libc::SYS_brk, 0usize) as u64 }
}

/// Reserves `len` bytes of address space, inaccessible and backed by nothing (no memory is
/// committed and nothing is charged): parts are made usable later with [`protect`]. Other
/// mappings cannot land inside it, so an inaccessible page in it stays a guard.
pub fn reserve(len: usize) -> SysResult<*mut u8> {
    let flags = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE;
    map(len, libc::PROT_NONE, flags, -1, 0)
}

/// One fresh page of private anonymous memory (zeroed).
pub fn map_page() -> SysResult<*mut u8> {
    let flags = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS;
    map(PAGE, libc::PROT_READ | libc::PROT_WRITE, flags, -1, 0)
}

/// Anonymous read-write memory of `size` bytes with an inaccessible guard page below it;
/// returns the usable start. Used for alternate signal stacks: an overflow faults on the guard
/// instead of writing over whatever lies below.
pub fn map_stack(size: usize) -> SysResult<*mut u8> {
    let flags = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_STACK;
    let p = map(
        size + PAGE,
        libc::PROT_READ | libc::PROT_WRITE,
        flags,
        -1,
        0,
    )?;
    // SAFETY: the first page belongs to the mapping just made, which nobody uses yet.
    if let Err(e) = unsafe { protect(p, PAGE, libc::PROT_NONE) } {
        // SAFETY: the whole mapping just made, unused.
        unsafe { unmap(p, size + PAGE) };
        return Err(e);
    }
    // SAFETY: PAGE is within the mapping.
    Ok(unsafe { p.add(PAGE) })
}

/// Releases a stack made by [`map_stack`].
///
/// # Safety
/// `start` and `size` come from one `map_stack` call, and nothing uses the stack any more.
pub unsafe fn unmap_stack(start: *mut u8, size: usize) {
    // SAFETY: per the contract, the mapping map_stack made, guard page included.
    unsafe { unmap(start.wrapping_sub(PAGE), size + PAGE) };
}

/// `mprotect(2)`.
///
/// # Safety
/// `[p, p + len)` is page-aligned memory of the caller's; taking access away from memory that
/// something still uses makes it fault (which is what guard pages are for).
pub unsafe fn protect(p: *mut u8, len: usize, prot: c_int) -> SysResult<()> {
    // SAFETY: per the contract.
    ret(unsafe { syscall!(libc::SYS_mprotect, p, len, prot) }).map(|_| ())
}

/// Unmaps memory mapped by this crate.
///
/// # Safety
/// `[p, p + len)` is a mapping of the caller's that nothing uses any more.
pub unsafe fn unmap(p: *mut u8, len: usize) {
    // SAFETY: per the contract.
    unsafe { syscall!(libc::SYS_munmap, p, len) };
    own::remove(p as u64, len as u64);
}

/// `MADV_GUARD_INSTALL` (Linux 6.13): guard markers in the page tables.
const MADV_GUARD_INSTALL: c_int = 102;
/// `MADV_GUARD_REMOVE`.
const MADV_GUARD_REMOVE: c_int = 103;
/// Ranges per [`guard_ranges`] call.
pub const GUARD_RANGES_MAX: usize = 64;
/// `PIDFD_SELF` (Linux 6.15): "this process" for the pidfd system calls.
const PIDFD_SELF: c_int = -10000;

/// Makes the pages of `[p, p + len)` guard pages *without a mapping of their own*: any access
/// faults (SIGSEGV), their contents are dropped, and the mapping around them stays one kernel
/// mapping (`mprotect` would split it, and `vm.max_map_count` bounds how many a process has).
/// Linux 6.13+; older kernels answer `EINVAL`. The markers survive `MADV_DONTNEED` and
/// `mprotect`, and are inherited at `fork`.
///
/// # Safety
/// `[p, p + len)` is page-aligned private anonymous memory of the caller's whose contents may
/// be dropped, and that nothing may touch until [`guard_remove`].
pub unsafe fn guard_install(p: *mut u8, len: usize) -> SysResult<()> {
    // SAFETY: per the contract.
    ret(unsafe { syscall!(libc::SYS_madvise, p, len, MADV_GUARD_INSTALL) }).map(|_| ())
}

/// Removes the guard markers of `[p, p + len)`: the pages read as zeros again.
///
/// # Safety
/// `[p, p + len)` is page-aligned memory of the caller's (a range without markers is fine).
pub unsafe fn guard_remove(p: *mut u8, len: usize) -> SysResult<()> {
    // SAFETY: per the contract; removing markers only makes memory accessible.
    ret(unsafe { syscall!(libc::SYS_madvise, p, len, MADV_GUARD_REMOVE) }).map(|_| ())
}

/// [`guard_install`] (`install`) or [`guard_remove`] on several ranges (`(start, len)`; the
/// first [`GUARD_RANGES_MAX`] only, the iovecs being on the stack), in one `process_madvise`
/// system call where the kernel takes it for this process (Linux 6.15+), else one `madvise` a
/// range.
///
/// # Safety
/// Each range is as [`guard_install`] or [`guard_remove`] requires.
pub unsafe fn guard_ranges(ranges: &[(usize, usize)], install: bool) -> SysResult<()> {
    const MAX: usize = GUARD_RANGES_MAX;
    let ranges = &ranges[..ranges.len().min(MAX)];
    let advice = if install {
        MADV_GUARD_INSTALL
    } else {
        MADV_GUARD_REMOVE
    };
    let mut iov = [libc::iovec {
        iov_base: core::ptr::null_mut(),
        iov_len: 0,
    }; MAX];
    let mut total = 0usize;
    for (v, &(start, len)) in iov.iter_mut().zip(ranges) {
        v.iov_base = start as *mut core::ffi::c_void;
        v.iov_len = len;
        total += len;
    }
    // SAFETY: the kernel reads `ranges.len()` iovecs from `iov`; the advice applies to the
    // ranges, which the caller's contract covers.
    let r = unsafe {
        syscall!(
            libc::SYS_process_madvise,
            PIDFD_SELF,
            iov.as_ptr(),
            ranges.len(),
            advice,
            0usize
        )
    };
    if ret(r) == Ok(total) {
        return Ok(());
    }
    // An older kernel (no PIDFD_SELF, or not this advice there), or a partial result: one
    // call a range (doing a range twice is harmless).
    for &(start, len) in ranges {
        // SAFETY: per the contract.
        ret(unsafe { syscall!(libc::SYS_madvise, start, len, advice) })?;
    }
    Ok(())
}

/// Gives the pages of an anonymous mapping back; they read as zeros afterwards.
///
/// # Safety
/// `[p, p + len)` is a private anonymous mapping of the caller's whose contents may be
/// discarded.
pub unsafe fn discard(p: *mut u8, len: usize) {
    // SAFETY: per the contract; MADV_DONTNEED on private anonymous memory zero-fills.
    unsafe { syscall!(libc::SYS_madvise, p, len, libc::MADV_DONTNEED) };
}

/// Takes the pages of `[p, p + len)`, part of a shared file mapping, out of the process's
/// memory: they stay in the file (the page cache keeps what was written, dirty pages are
/// written back as usual) and stop counting in its resident set. Touching them again maps
/// the file's contents back in.
///
/// # Safety
/// `[p, p + len)` is page-aligned and inside a shared file mapping of the caller's.
pub unsafe fn release_shared(p: *mut u8, len: usize) {
    // SAFETY: per the contract; MADV_DONTNEED on a shared file mapping only unmaps the pages
    // (their contents are the file's, kept by the page cache).
    unsafe { syscall!(libc::SYS_madvise, p, len, libc::MADV_DONTNEED) };
}

/// Faults the pages of `[p, p + len)` in writable, in one system call instead of a page fault
/// per 4 KiB written (Linux 5.14+; older kernels answer EINVAL, which is taken as success:
/// the pages then fault in one by one). For a shared file mapping this reserves the blocks
/// too: a full disk fails here (EFAULT, "would have raised SIGBUS") instead of killing the
/// process at the write. The contents are not changed.
///
/// # Safety
/// `[p, p + len)` is page-aligned and inside a writable mapping of the caller's.
pub unsafe fn populate_write(p: *mut u8, len: usize) -> SysResult<()> {
    const MADV_POPULATE_WRITE: c_int = 23;
    // SAFETY: the caller's contract; the advice changes no contents.
    match ret(unsafe { syscall!(libc::SYS_madvise, p, len, MADV_POPULATE_WRITE) }) {
        Ok(_) | Err(Errno(libc::EINVAL)) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Copies `buf.len()` bytes from our own address `addr` without faulting
/// (`process_vm_readv` on ourselves): false when any of it is unreadable.
pub fn read_memory(addr: u64, buf: &mut [u8]) -> bool {
    let local = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    let remote = libc::iovec {
        iov_base: addr as *mut core::ffi::c_void,
        iov_len: buf.len(),
    };
    let pid = crate::getpid();
    // SAFETY: the kernel checks the remote range and writes only into `buf`.
    let r = unsafe { syscall!(libc::SYS_process_vm_readv, pid, &local, 1, &remote, 1, 0) };
    r == buf.len() as core::ffi::c_long
}

/// Reads a u64 from our own memory without faulting.
pub fn read_u64(addr: u64) -> Option<u64> {
    let mut b = [0u8; 8];
    read_memory(addr, &mut b).then(|| u64::from_ne_bytes(b))
}

/// The program's own `mmap`, forwarded by a hook (the heap tracker's): the system call as
/// glibc's `mmap` makes it, returning the mapping's address.
///
/// # Safety
/// As `mmap(2)`: with `MAP_FIXED`, whatever was mapped at `addr` is replaced.
pub unsafe fn mmap_for(
    addr: usize,
    len: usize,
    prot: c_int,
    flags: c_int,
    fd: c_int,
    off: i64,
) -> SysResult<usize> {
    // SAFETY: per the contract, the caller's own call.
    ret(unsafe { syscall!(libc::SYS_mmap, addr, len, prot, flags, fd, off) })
}

/// The program's own `munmap`, forwarded by a hook.
///
/// # Safety
/// As `munmap(2)`: nothing uses `[addr, addr + len)` any more.
pub unsafe fn munmap_for(addr: usize, len: usize) -> SysResult<()> {
    // SAFETY: per the contract, the caller's own call.
    ret(unsafe { syscall!(libc::SYS_munmap, addr, len) }).map(|_| ())
}

/// The program's own `mremap`, forwarded by a hook (`new_addr` is read by the kernel only
/// with `MREMAP_FIXED` or `MREMAP_DONTUNMAP`).
///
/// # Safety
/// As `mremap(2)`: the old range may move, and with `MREMAP_FIXED` whatever was at
/// `new_addr` is replaced.
pub unsafe fn mremap_for(
    old: usize,
    old_len: usize,
    new_len: usize,
    flags: c_int,
    new_addr: usize,
) -> SysResult<usize> {
    // SAFETY: per the contract, the caller's own call.
    ret(unsafe { syscall!(libc::SYS_mremap, old, old_len, new_len, flags, new_addr) })
}
