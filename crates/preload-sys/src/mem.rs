//! Memory mappings, guard pages, and reading our own memory without faulting.

use core::ffi::c_int;

use crate::{ret, syscall, Errno, SysResult};

/// The page size of x86_64 Linux.
pub const PAGE: usize = 4096;

/// `mmap(NULL, len, prot, flags, fd, off)`: a fresh mapping where the kernel chooses.
fn map(len: usize, prot: c_int, flags: c_int, fd: c_int, off: u64) -> SysResult<*mut u8> {
    // SAFETY: no address is given, so the kernel picks unused space: no existing memory is
    // replaced.
    ret(unsafe { syscall!(libc::SYS_mmap, 0usize, len, prot, flags, fd, off) })
        .map(|p| p as *mut u8)
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
