//! Raw system calls behind a safe, allocation-free API: the only module of the runtime that
//! talks to the kernel for files, memory maps, ids and clocks.
//!
//! Paths are passed as NUL-terminated byte slices (`b"/proc/self/exe\0"`), so no `CString`
//! is ever built. Errors are the raw `errno`.

use std::ffi::{c_int, c_void};

/// An errno value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Errno(pub i32);

/// A result whose error is an errno.
pub type SysResult<T> = Result<T, Errno>;

fn errno() -> Errno {
    // SAFETY: __errno_location always returns this thread's errno slot.
    Errno(unsafe { *libc::__errno_location() })
}

fn check(r: isize) -> SysResult<usize> {
    if r < 0 {
        Err(errno())
    } else {
        Ok(r as usize)
    }
}

fn assert_c_str(path: &[u8]) {
    assert!(
        path.last() == Some(&0),
        "path passed to a raw syscall must end in NUL"
    );
}

/// Writes all of `buf` to `fd`, retrying on EINTR and short writes.
pub fn write_all(fd: c_int, mut buf: &[u8]) -> SysResult<()> {
    while !buf.is_empty() {
        // SAFETY: buf is a valid readable slice for its length.
        let r = unsafe { libc::write(fd, buf.as_ptr().cast(), buf.len()) };
        match check(r) {
            Ok(0) => return Err(Errno(libc::EIO)),
            Ok(n) => buf = &buf[n..],
            Err(Errno(libc::EINTR)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Writes `buf` at file offset `off`.
pub fn pwrite_all(fd: c_int, mut buf: &[u8], mut off: u64) -> SysResult<()> {
    while !buf.is_empty() {
        // SAFETY: buf is a valid readable slice for its length.
        let r = unsafe { libc::pwrite(fd, buf.as_ptr().cast(), buf.len(), off as libc::off_t) };
        match check(r) {
            Ok(0) => return Err(Errno(libc::EIO)),
            Ok(n) => {
                buf = &buf[n..];
                off += n as u64;
            }
            Err(Errno(libc::EINTR)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Reads into `buf` at file offset `off` until it is full or the file ends; returns the count.
pub fn pread_full(fd: c_int, buf: &mut [u8], off: u64) -> SysResult<usize> {
    let mut got = 0;
    while got < buf.len() {
        // SAFETY: the destination is the unfilled, writable tail of buf.
        let r = unsafe {
            libc::pread(
                fd,
                buf[got..].as_mut_ptr().cast(),
                buf.len() - got,
                (off + got as u64) as libc::off_t,
            )
        };
        match check(r) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(Errno(libc::EINTR)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// Opens `path` (NUL-terminated) with `flags` and `mode`.
pub fn open(path: &[u8], flags: c_int, mode: libc::mode_t) -> SysResult<c_int> {
    assert_c_str(path);
    // SAFETY: path is NUL-terminated (checked above).
    let fd = unsafe { libc::open(path.as_ptr().cast(), flags, mode as libc::c_uint) };
    check(fd as isize).map(|fd| fd as c_int)
}

/// Closes `fd`, ignoring errors (there is nothing useful to do about them).
pub fn close(fd: c_int) {
    // SAFETY: closing a descriptor we own; a bad fd only yields EBADF.
    unsafe { libc::close(fd) };
}

/// Duplicates `fd` to a descriptor >= `min`, close-on-exec.
pub fn dup_cloexec(fd: c_int, min: c_int) -> SysResult<c_int> {
    // SAFETY: fcntl with F_DUPFD_CLOEXEC takes an int argument.
    let r = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, min) };
    check(r as isize).map(|fd| fd as c_int)
}

/// Sets or clears close-on-exec on `fd`.
pub fn set_cloexec(fd: c_int, on: bool) -> SysResult<()> {
    let flag = if on { libc::FD_CLOEXEC } else { 0 };
    // SAFETY: F_SETFD takes an int argument.
    let r = unsafe { libc::fcntl(fd, libc::F_SETFD, flag) };
    check(r as isize).map(|_| ())
}

/// The (device, inode) of the file behind `fd`: a descriptor's identity, to notice that a
/// program closed ours and got the number back for another file.
pub fn file_id(fd: c_int) -> Option<(u64, u64)> {
    fstat(fd).map(|st| (st.st_dev, st.st_ino))
}

/// The owner of the file behind `fd`, and whether it is a regular file.
pub fn owner_and_kind(fd: c_int) -> Option<(u32, bool)> {
    fstat(fd).map(|st| (st.st_uid, st.st_mode & libc::S_IFMT == libc::S_IFREG))
}

fn fstat(fd: c_int) -> Option<libc::stat> {
    let mut st = std::mem::MaybeUninit::<libc::stat>::zeroed();
    // SAFETY: st is a valid out-pointer for fstat.
    if unsafe { libc::fstat(fd, st.as_mut_ptr()) } != 0 {
        return None;
    }
    // SAFETY: fstat filled it.
    Some(unsafe { st.assume_init() })
}

/// Sets the length of the file behind `fd`.
pub fn ftruncate(fd: c_int, len: u64) -> SysResult<()> {
    loop {
        // SAFETY: plain syscall on an fd.
        let r = unsafe { libc::ftruncate(fd, len as libc::off_t) };
        match check(r as isize) {
            Err(Errno(libc::EINTR)) => continue,
            other => return other.map(|_| ()),
        }
    }
}

/// The size of the file behind `fd`.
pub fn file_size(fd: c_int) -> SysResult<u64> {
    // SAFETY: lseek with SEEK_END only moves this fd's offset, which we don't use for I/O.
    let r = unsafe { libc::lseek(fd, 0, libc::SEEK_END) };
    check(r as isize).map(|n| n as u64)
}

/// Maps `len` bytes of `fd` at `off`, shared and writable. The pages are not faulted in:
/// see [`populate_write`].
pub fn map_shared(fd: c_int, off: u64, len: usize) -> SysResult<*mut u8> {
    // SAFETY: a fresh mapping chosen by the kernel; nothing existing is replaced.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED,
            fd,
            off as libc::off_t,
        )
    };
    if p == libc::MAP_FAILED {
        return Err(errno());
    }
    Ok(p.cast())
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
    if unsafe { libc::madvise(p.cast(), len, MADV_POPULATE_WRITE) } != 0 {
        let e = errno();
        if e.0 != libc::EINVAL {
            return Err(e);
        }
    }
    Ok(())
}

/// Maps `len` bytes of zeroed private memory (reserved lazily: pages cost nothing until used).
pub fn map_anon(len: usize) -> SysResult<*mut u8> {
    // SAFETY: a fresh anonymous mapping chosen by the kernel.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        Err(errno())
    } else {
        Ok(p.cast())
    }
}

/// Unmaps a mapping made by [`map_shared`] or [`map_anon`].
///
/// # Safety
/// Nothing may use the memory afterwards.
pub unsafe fn unmap(p: *mut u8, len: usize) {
    // SAFETY: the caller guarantees the range is a mapping of ours no longer in use.
    unsafe { libc::munmap(p.cast::<c_void>(), len) };
}

/// Gives the pages of an anonymous mapping back; they read as zeros afterwards.
///
/// # Safety
/// `p..p+len` is a private anonymous mapping of ours whose contents may be discarded.
pub unsafe fn discard(p: *mut u8, len: usize) {
    // SAFETY: the caller's contract; MADV_DONTNEED on private anonymous memory zero-fills.
    unsafe { libc::madvise(p.cast::<c_void>(), len, libc::MADV_DONTNEED) };
}

/// The process id (a real syscall: right in a `vfork` child, unlike a cached value).
pub fn getpid() -> u32 {
    // SAFETY: no arguments, cannot fail.
    unsafe { libc::syscall(libc::SYS_getpid) as u32 }
}

/// The parent's process id.
pub fn getppid() -> u32 {
    // SAFETY: no arguments, cannot fail.
    unsafe { libc::getppid() as u32 }
}

/// The largest size this process may give a file (`RLIMIT_FSIZE`, `ulimit -f`): growing one
/// past it fails with EFBIG and raises SIGXFSZ, which kills by default. `u64::MAX` when
/// unlimited.
pub fn file_size_limit() -> u64 {
    let mut r = libc::rlimit {
        rlim_cur: libc::RLIM_INFINITY,
        rlim_max: libc::RLIM_INFINITY,
    };
    // SAFETY: r is a valid out-pointer.
    if unsafe { libc::getrlimit(libc::RLIMIT_FSIZE, &mut r) } != 0
        || r.rlim_cur == libc::RLIM_INFINITY
    {
        return u64::MAX;
    }
    r.rlim_cur
}

/// The calling thread's id.
pub fn gettid() -> u32 {
    // SAFETY: no arguments, cannot fail.
    unsafe { libc::syscall(libc::SYS_gettid) as u32 }
}

#[inline]
fn clock(id: libc::clockid_t) -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: ts is a valid out-pointer; the clocks used here always exist on Linux.
    unsafe { libc::clock_gettime(id, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// `CLOCK_MONOTONIC_COARSE` in ns: a vDSO read of a few ns, with the kernel tick's resolution.
#[inline]
pub fn mono_coarse_ns() -> u64 {
    clock(libc::CLOCK_MONOTONIC_COARSE)
}

/// `CLOCK_MONOTONIC` in ns.
pub fn mono_ns() -> u64 {
    clock(libc::CLOCK_MONOTONIC)
}

/// `CLOCK_REALTIME` in ns since the epoch.
pub fn realtime_ns() -> u64 {
    clock(libc::CLOCK_REALTIME)
}

/// The resolution of `CLOCK_MONOTONIC_COARSE` in ns (`clock_getres`: the kernel tick, 4 ms
/// at 250 Hz), or 0 when the kernel does not say.
pub fn mono_coarse_res_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: ts is a valid out-pointer.
    if unsafe { libc::clock_getres(libc::CLOCK_MONOTONIC_COARSE, &mut ts) } != 0 {
        return 0;
    }
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// This process's thread ids (`/proc/self/task`), as many as fit into `out`; returns how
/// many threads there are (more than `out.len()` when it was too small), or `None` when the
/// directory can't be read.
pub fn thread_ids(out: &mut [u32]) -> Option<usize> {
    let fd = open(
        b"/proc/self/task\0",
        libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
        0,
    )
    .ok()?;
    let mut buf = [0u8; 4096];
    let mut count = 0;
    let result = loop {
        // SAFETY: getdents64 writes at most buf.len() bytes of directory entries into buf.
        let r = unsafe {
            libc::syscall(
                libc::SYS_getdents64,
                fd,
                buf.as_mut_ptr().cast::<c_void>(),
                buf.len(),
            )
        };
        let Ok(n) = check(r as isize) else {
            break None;
        };
        if n == 0 {
            break Some(count);
        }
        // struct linux_dirent64 { u64 d_ino; i64 d_off; u16 d_reclen; u8 d_type; char d_name[]; }
        let mut at = 0;
        while at + 19 < n {
            let reclen = usize::from(u16::from_ne_bytes([buf[at + 16], buf[at + 17]]));
            if reclen == 0 || at + reclen > n {
                break;
            }
            let name = &buf[at + 19..at + reclen];
            let name = &name[..name.iter().position(|&b| b == 0).unwrap_or(name.len())];
            // "." and ".." are no numbers.
            if let Some(tid) = crate::env::parse_u64(name).and_then(|t| u32::try_from(t).ok()) {
                if let Some(slot) = out.get_mut(count) {
                    *slot = tid;
                }
                count += 1;
            }
            at += reclen;
        }
    };
    close(fd);
    result
}

/// Reads the target of the symlink `path` (NUL-terminated) into `buf`; returns its length.
pub fn readlink(path: &[u8], buf: &mut [u8]) -> SysResult<usize> {
    assert_c_str(path);
    // SAFETY: path is NUL-terminated; buf is writable for its length.
    let r = unsafe { libc::readlink(path.as_ptr().cast(), buf.as_mut_ptr().cast(), buf.len()) };
    check(r)
}

/// Reads as much of the file `path` (NUL-terminated) as fits in `buf`; returns the count.
pub fn read_file(path: &[u8], buf: &mut [u8]) -> SysResult<usize> {
    let fd = open(path, libc::O_RDONLY | libc::O_CLOEXEC, 0)?;
    let r = pread_full(fd, buf, 0);
    close(fd);
    r
}

/// The calling thread's name (`comm`), into `buf`; returns its length.
pub fn thread_name(buf: &mut [u8; 16]) -> usize {
    // SAFETY: PR_GET_NAME writes at most 16 bytes, NUL included, into the buffer.
    let r = unsafe { libc::prctl(libc::PR_GET_NAME, buf.as_mut_ptr()) };
    if r != 0 {
        return 0;
    }
    buf.iter().position(|&b| b == 0).unwrap_or(16)
}

/// Terminates the whole process at once (the `exit_group` system call, as `_exit` does).
pub fn exit_group(code: c_int) -> ! {
    // SAFETY: exit_group never returns.
    unsafe { libc::syscall(libc::SYS_exit_group, code) };
    unreachable!("exit_group returned")
}

/// Yields the CPU (a contended lock's back-off).
pub fn yield_now() {
    // SAFETY: no arguments.
    unsafe { libc::sched_yield() };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_round_trip_through_raw_calls() {
        let dir = std::env::temp_dir().join(format!("tk-sys-{}", std::process::id()));
        let mut path = dir.into_os_string().into_encoded_bytes();
        path.push(0);
        let fd = open(&path, libc::O_RDWR | libc::O_CREAT | libc::O_TRUNC, 0o600).unwrap();
        write_all(fd, b"hello").unwrap();
        pwrite_all(fd, b"J", 0).unwrap();
        let mut buf = [0u8; 16];
        assert_eq!(pread_full(fd, &mut buf, 0).unwrap(), 5);
        assert_eq!(&buf[..5], b"Jello");
        assert_eq!(file_size(fd).unwrap(), 5);
        ftruncate(fd, 2).unwrap();
        assert_eq!(file_size(fd).unwrap(), 2);
        close(fd);
        assert_eq!(read_file(&path, &mut buf).unwrap(), 2);
        std::fs::remove_file(std::str::from_utf8(&path[..path.len() - 1]).unwrap()).unwrap();
    }

    #[test]
    fn ids_and_clocks_are_sane() {
        assert_eq!(getpid(), std::process::id());
        assert!(gettid() > 0);
        let a = mono_ns();
        assert!(mono_ns() >= a);
        assert!(realtime_ns() > 1_600_000_000_000_000_000);
        let mut exe = [0u8; 4096];
        assert!(readlink(b"/proc/self/exe\0", &mut exe).unwrap() > 0);
        let mut name = [0u8; 16];
        assert!(thread_name(&mut name) > 0);
    }

    #[test]
    fn thread_ids_list_every_living_thread() {
        let (tx, rx) = std::sync::mpsc::channel();
        let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
        let t = std::thread::spawn(move || {
            tx.send(gettid()).unwrap();
            let _ = done_rx.recv();
        });
        let other = rx.recv().unwrap();
        let mut ids = [0u32; 256];
        let n = thread_ids(&mut ids).unwrap();
        assert!(n >= 2 && n <= ids.len(), "{n}");
        assert!(ids[..n].contains(&gettid()), "{:?}", &ids[..n]);
        assert!(ids[..n].contains(&other), "{:?}", &ids[..n]);
        // Too small a buffer: the count is still the whole.
        let mut one = [0u32; 1];
        assert!(thread_ids(&mut one).unwrap() >= 2);
        done_tx.send(()).unwrap();
        t.join().unwrap();
    }

    #[test]
    fn the_coarse_clock_has_a_resolution_of_whole_ticks() {
        let res = mono_coarse_res_ns();
        // The kernel tick: 1 ms (1000 Hz) to 10 ms (100 Hz).
        assert!((1_000_000..=10_000_000).contains(&res), "{res}");
    }
}
