//! File descriptors and paths.

use core::ffi::c_int;
use core::mem::MaybeUninit;

use crate::{c_path, ret, syscall, Errno, SysResult};

/// `openat(AT_FDCWD, path, flags, mode)` of a NUL-terminated path.
pub fn open(path: &[u8], flags: c_int, mode: libc::mode_t) -> SysResult<c_int> {
    let p = c_path(path)?;
    // SAFETY: p is NUL-terminated (checked) and outlives the call.
    ret(unsafe { syscall!(libc::SYS_openat, libc::AT_FDCWD, p, flags, mode) }).map(|fd| fd as c_int)
}

/// `close(2)`, ignoring errors (there is nothing useful to do about them).
pub fn close(fd: c_int) {
    // SAFETY: closing a descriptor the caller owns; a bad fd only yields EBADF.
    unsafe { syscall!(libc::SYS_close, fd) };
}

/// `read(2)`.
pub fn read(fd: c_int, buf: &mut [u8]) -> SysResult<usize> {
    // SAFETY: the kernel writes at most buf.len() bytes into the live slice.
    ret(unsafe { syscall!(libc::SYS_read, fd, buf.as_mut_ptr(), buf.len()) })
}

/// Reads until end of file or `buf` is full, retrying on EINTR; returns the bytes read (what
/// came before an error, too).
pub fn read_to_fill(fd: c_int, buf: &mut [u8]) -> usize {
    let mut n = 0;
    while n < buf.len() {
        match read(fd, &mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(Errno(libc::EINTR)) => {}
            Err(_) => break,
        }
    }
    n
}

/// Writes all of `buf` to `fd`, retrying on EINTR and short writes. A write of nothing
/// (a full pipe that says 0) is EIO.
pub fn write_all(fd: c_int, mut buf: &[u8]) -> SysResult<()> {
    while !buf.is_empty() {
        // SAFETY: the kernel reads at most buf.len() bytes from the live slice.
        match ret(unsafe { syscall!(libc::SYS_write, fd, buf.as_ptr(), buf.len()) }) {
            Ok(0) => return Err(Errno(libc::EIO)),
            Ok(n) => buf = &buf[n.min(buf.len())..],
            Err(Errno(libc::EINTR)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Writes all of `buf` at file offset `off`.
pub fn pwrite_all(fd: c_int, mut buf: &[u8], mut off: u64) -> SysResult<()> {
    while !buf.is_empty() {
        // SAFETY: the kernel reads at most buf.len() bytes from the live slice.
        match ret(unsafe { syscall!(libc::SYS_pwrite64, fd, buf.as_ptr(), buf.len(), off) }) {
            Ok(0) => return Err(Errno(libc::EIO)),
            Ok(n) => {
                buf = &buf[n.min(buf.len())..];
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
        let rest = &mut buf[got..];
        let at = off + got as u64;
        // SAFETY: the kernel writes at most rest.len() bytes into the unfilled, live tail.
        match ret(unsafe { syscall!(libc::SYS_pread64, fd, rest.as_mut_ptr(), rest.len(), at) }) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(Errno(libc::EINTR)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// Reads as much of the file `path` (NUL-terminated) as fits in `buf`; returns the count.
pub fn read_file(path: &[u8], buf: &mut [u8]) -> SysResult<usize> {
    let fd = open(path, libc::O_RDONLY | libc::O_CLOEXEC, 0)?;
    let r = pread_full(fd, buf, 0);
    close(fd);
    r
}

/// Reads the target of the symlink `path` (NUL-terminated) into `buf`; returns its length.
pub fn readlink(path: &[u8], buf: &mut [u8]) -> SysResult<usize> {
    let p = c_path(path)?;
    // SAFETY: p is NUL-terminated; the kernel writes at most buf.len() bytes into buf.
    ret(unsafe {
        syscall!(
            libc::SYS_readlinkat,
            libc::AT_FDCWD,
            p,
            buf.as_mut_ptr(),
            buf.len()
        )
    })
}

/// `unlinkat(AT_FDCWD, path, 0)`.
pub fn unlink(path: &[u8]) -> SysResult<()> {
    let p = c_path(path)?;
    // SAFETY: p is NUL-terminated and outlives the call.
    ret(unsafe { syscall!(libc::SYS_unlinkat, libc::AT_FDCWD, p, 0) }).map(|_| ())
}

/// `renameat(AT_FDCWD, from, AT_FDCWD, to)`: `to` becomes `from`'s file, atomically (a
/// symbolic link at `to` is replaced, not followed).
pub fn rename(from: &[u8], to: &[u8]) -> SysResult<()> {
    let (f, t) = (c_path(from)?, c_path(to)?);
    let cwd = libc::AT_FDCWD;
    // SAFETY: both paths are NUL-terminated and outlive the call.
    ret(unsafe { syscall!(libc::SYS_renameat, cwd, f, cwd, t) }).map(|_| ())
}

/// The (device, inode) of the directory entry `path` itself (a symbolic link is not
/// followed).
pub fn path_id(path: &[u8]) -> Option<(u64, u64)> {
    let p = c_path(path).ok()?;
    let mut st = MaybeUninit::<libc::stat>::zeroed();
    let flags = libc::AT_SYMLINK_NOFOLLOW;
    // SAFETY: p is NUL-terminated; st is a writable stat buffer of the kernel's size.
    ret(unsafe {
        syscall!(
            libc::SYS_newfstatat,
            libc::AT_FDCWD,
            p,
            st.as_mut_ptr(),
            flags
        )
    })
    .ok()?;
    // SAFETY: filled on success.
    let st = unsafe { st.assume_init() };
    Some((st.st_dev, st.st_ino))
}

/// `faccessat(path, X_OK) == 0`.
pub fn is_executable(path: &[u8]) -> bool {
    let Ok(p) = c_path(path) else {
        return false;
    };
    // SAFETY: p is NUL-terminated and outlives the call.
    ret(unsafe { syscall!(libc::SYS_faccessat, libc::AT_FDCWD, p, libc::X_OK, 0) }).is_ok()
}

/// The working directory into `buf`, NUL-terminated; returns its length without the NUL.
pub fn getcwd(buf: &mut [u8]) -> SysResult<usize> {
    // SAFETY: the kernel writes at most buf.len() bytes into buf.
    let n = ret(unsafe { syscall!(libc::SYS_getcwd, buf.as_mut_ptr(), buf.len()) })?;
    // The kernel's count includes the NUL.
    Ok(n.saturating_sub(1))
}

/// `fcntl(fd, F_DUPFD_CLOEXEC, min)`: a close-on-exec duplicate numbered `min` or above.
pub fn dup_cloexec(fd: c_int, min: c_int) -> SysResult<c_int> {
    // SAFETY: plain descriptor duplication.
    ret(unsafe { syscall!(libc::SYS_fcntl, fd, libc::F_DUPFD_CLOEXEC, min) }).map(|fd| fd as c_int)
}

/// `dup3(from, to, 0)`: `to` becomes `from` (close-on-exec not carried over); nothing when
/// they are the same.
pub fn dup2(from: c_int, to: c_int) -> SysResult<()> {
    if from == to {
        return Ok(());
    }
    // SAFETY: plain descriptor duplication.
    ret(unsafe { syscall!(libc::SYS_dup3, from, to, 0) }).map(|_| ())
}

/// Sets or clears close-on-exec on `fd`.
pub fn set_cloexec(fd: c_int, on: bool) -> SysResult<()> {
    let flag = if on { libc::FD_CLOEXEC } else { 0 };
    // SAFETY: F_SETFD takes an int argument.
    ret(unsafe { syscall!(libc::SYS_fcntl, fd, libc::F_SETFD, flag) }).map(|_| ())
}

/// True when `fd` is an open descriptor.
pub fn is_open(fd: c_int) -> bool {
    // SAFETY: F_GETFD only queries the descriptor's flags.
    ret(unsafe { syscall!(libc::SYS_fcntl, fd, libc::F_GETFD) }).is_ok()
}

/// `fstat(2)`.
pub fn fstat(fd: c_int) -> SysResult<libc::stat> {
    let mut st = MaybeUninit::<libc::stat>::zeroed();
    // SAFETY: st is a writable stat buffer of the kernel's size.
    ret(unsafe { syscall!(libc::SYS_fstat, fd, st.as_mut_ptr()) })?;
    // SAFETY: fstat succeeded, so it filled the buffer (and all-zero is valid anyway).
    Ok(unsafe { st.assume_init() })
}

/// The (device, inode) of the file behind `fd`: a descriptor's identity, to notice that a
/// program closed ours and got the number back for another file.
pub fn file_id(fd: c_int) -> Option<(u64, u64)> {
    fstat(fd).ok().map(|st| (st.st_dev, st.st_ino))
}

/// The owner of the file behind `fd`, and whether it is a regular file.
pub fn owner_and_kind(fd: c_int) -> Option<(u32, bool)> {
    fstat(fd)
        .ok()
        .map(|st| (st.st_uid, st.st_mode & libc::S_IFMT == libc::S_IFREG))
}

/// The size of the file behind `fd`.
pub fn file_size(fd: c_int) -> SysResult<u64> {
    fstat(fd).map(|st| st.st_size as u64)
}

/// Sets the length of the file behind `fd`, retrying on EINTR.
pub fn ftruncate(fd: c_int, len: u64) -> SysResult<()> {
    loop {
        // SAFETY: a plain call on a descriptor.
        match ret(unsafe { syscall!(libc::SYS_ftruncate, fd, len) }) {
            Err(Errno(libc::EINTR)) => continue,
            other => return other.map(|_| ()),
        }
    }
}

/// A pipe whose both ends are close-on-exec: `(read, write)`.
pub fn pipe() -> SysResult<(c_int, c_int)> {
    let mut fds = [0 as c_int; 2];
    // SAFETY: fds has room for the two descriptors the kernel writes.
    ret(unsafe { syscall!(libc::SYS_pipe2, fds.as_mut_ptr(), libc::O_CLOEXEC) })?;
    Ok((fds[0], fds[1]))
}

/// Waits up to `timeout_ms` for `fd` to become readable (or hang up). True when it did.
pub fn poll_readable(fd: c_int, timeout_ms: i64) -> bool {
    let mut p = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    let timeout = timeout_ms.clamp(0, c_int::MAX as i64) as c_int;
    // SAFETY: p is one valid pollfd.
    matches!(ret(unsafe { syscall!(libc::SYS_poll, &mut p, 1, timeout) }), Ok(n) if n > 0)
}

/// The names in a directory, one `getdents64` buffer at a time: calls `f` with each entry's
/// name (`.` and `..` included). Returns false when the directory can't be read.
pub fn for_each_dir_entry(path: &[u8], f: &mut dyn FnMut(&[u8])) -> bool {
    let Ok(fd) = open(
        path,
        libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
        0,
    ) else {
        return false;
    };
    let mut buf = [0u8; 4096];
    let ok = loop {
        // SAFETY: the kernel writes at most buf.len() bytes of directory entries into buf.
        let n =
            match ret(unsafe { syscall!(libc::SYS_getdents64, fd, buf.as_mut_ptr(), buf.len()) }) {
                Ok(0) => break true,
                Ok(n) => n,
                Err(_) => break false,
            };
        // struct linux_dirent64 { u64 d_ino; i64 d_off; u16 d_reclen; u8 d_type; char d_name[]; }
        let mut at = 0;
        while at + 19 < n {
            let reclen = usize::from(u16::from_ne_bytes([buf[at + 16], buf[at + 17]]));
            if reclen == 0 || at + reclen > n {
                break;
            }
            let name = &buf[at + 19..at + reclen];
            f(&name[..name.iter().position(|&b| b == 0).unwrap_or(name.len())]);
            at += reclen;
        }
    };
    close(fd);
    ok
}

/// This process's thread ids (`/proc/self/task`), as many as fit into `out`; returns how many
/// threads there are (more than `out.len()` when it was too small), or `None` when the
/// directory can't be read.
pub fn thread_ids(out: &mut [u32]) -> Option<usize> {
    let mut count = 0;
    let ok = for_each_dir_entry(b"/proc/self/task\0", &mut |name| {
        // "." and ".." are no numbers.
        let tid = (!name.is_empty() && name.len() <= 10)
            .then(|| {
                name.iter().try_fold(0u64, |acc, &c| {
                    c.is_ascii_digit().then(|| acc * 10 + u64::from(c - b'0'))
                })
            })
            .flatten()
            .and_then(|t| u32::try_from(t).ok());
        if let Some(tid) = tid {
            if let Some(slot) = out.get_mut(count) {
                *slot = tid;
            }
            count += 1;
        }
    });
    ok.then_some(count)
}

/// The largest size this process may give a file (`RLIMIT_FSIZE`, `ulimit -f`): growing one
/// past it fails with EFBIG and raises SIGXFSZ, which kills by default. `u64::MAX` when
/// unlimited or unknown.
pub fn file_size_limit() -> u64 {
    let mut r = libc::rlimit {
        rlim_cur: libc::RLIM_INFINITY,
        rlim_max: libc::RLIM_INFINITY,
    };
    let none = core::ptr::null::<libc::rlimit>();
    // SAFETY: a query (no new limit); the kernel writes the old one into r.
    let got = ret(unsafe { syscall!(libc::SYS_prlimit64, 0, libc::RLIMIT_FSIZE, none, &mut r) });
    if got.is_err() || r.rlim_cur == libc::RLIM_INFINITY {
        return u64::MAX;
    }
    r.rlim_cur
}
