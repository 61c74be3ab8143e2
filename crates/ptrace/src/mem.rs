//! Reading and writing tracee memory.
//!
//! Reads use `process_vm_readv` (one syscall, no stop needed); when it is unavailable or
//! refused (`ENOSYS`, `EPERM`), they fall back to `/proc/PID/mem`, then to `PTRACE_PEEKDATA`.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::{peek, poke, Pid};

static VM_READV_BROKEN: AtomicBool = AtomicBool::new(false);

fn vm_readv(pid: Pid, addr: u64, buf: &mut [u8]) -> io::Result<usize> {
    let local = libc::iovec {
        iov_base: buf.as_mut_ptr() as *mut libc::c_void,
        iov_len: buf.len(),
    };
    let remote = libc::iovec {
        iov_base: addr as *mut libc::c_void,
        iov_len: buf.len(),
    };
    // SAFETY: `local` describes `buf`, which we own and may write; `remote` is only read in
    // the other process, which the kernel checks.
    let r = unsafe { libc::process_vm_readv(pid.0, &local, 1, &remote, 1, 0) };
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r as usize)
    }
}

fn proc_mem(pid: Pid, addr: u64, buf: &mut [u8]) -> io::Result<usize> {
    let f = File::open(format!("/proc/{}/mem", pid.0))?;
    f.read_at(buf, addr)
}

fn peek_read(pid: Pid, addr: u64, buf: &mut [u8]) -> io::Result<usize> {
    let mut done = 0;
    while done < buf.len() {
        let a = addr.wrapping_add(done as u64);
        let aligned = a & !7;
        let word = match peek(pid, aligned) {
            Ok(w) => w.to_ne_bytes(),
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        };
        let skip = (a - aligned) as usize;
        let n = (8 - skip).min(buf.len() - done);
        buf[done..done + n].copy_from_slice(&word[skip..skip + n]);
        done += n;
    }
    Ok(done)
}

fn read_once(pid: Pid, addr: u64, buf: &mut [u8]) -> io::Result<usize> {
    if !VM_READV_BROKEN.load(Ordering::Relaxed) {
        match vm_readv(pid, addr, buf) {
            Err(e) if matches!(e.raw_os_error(), Some(libc::ENOSYS) | Some(libc::EPERM)) => {
                VM_READV_BROKEN.store(true, Ordering::Relaxed);
            }
            r => return r,
        }
    }
    match proc_mem(pid, addr, buf) {
        Ok(n) => Ok(n),
        Err(_) => peek_read(pid, addr, buf),
    }
}

/// Reads up to `buf.len()` bytes at `addr`; returns how many were readable (a short count
/// when the range runs into unmapped memory). Fails when nothing is readable.
pub fn read(pid: Pid, addr: u64, buf: &mut [u8]) -> io::Result<usize> {
    if buf.is_empty() {
        return Ok(0);
    }
    match read_once(pid, addr, buf) {
        Ok(n) if n == buf.len() => Ok(n),
        first => {
            // A range crossing into an unmapped page fails as a whole or stops short: read
            // page by page to return what is there.
            let mut done = 0;
            while done < buf.len() {
                // Wrapping: a tracee may pass an address in the last page.
                let a = addr.wrapping_add(done as u64);
                let n = ((4096 - (a & 4095)) as usize).min(buf.len() - done);
                match read_once(pid, a, &mut buf[done..done + n]) {
                    Ok(0) | Err(_) => break,
                    Ok(k) => done += k,
                }
            }
            if done == 0 {
                first.and(Err(io::Error::from_raw_os_error(libc::EFAULT)))
            } else {
                Ok(done)
            }
        }
    }
}

/// Reads exactly `buf.len()` bytes or fails.
pub fn read_exact(pid: Pid, addr: u64, buf: &mut [u8]) -> io::Result<()> {
    if read(pid, addr, buf)? == buf.len() {
        Ok(())
    } else {
        Err(io::Error::from_raw_os_error(libc::EFAULT))
    }
}

/// Reads a plain-old-data value (integers, `#[repr(C)]` structs of integers).
pub fn read_val<T: Pod>(pid: Pid, addr: u64) -> io::Result<T> {
    let mut v = T::zeroed();
    // SAFETY: `Pod` types are valid for every bit pattern and have no padding invariants, so
    // viewing one as bytes and overwriting them is sound.
    let bytes = unsafe {
        std::slice::from_raw_parts_mut(&mut v as *mut T as *mut u8, std::mem::size_of::<T>())
    };
    read_exact(pid, addr, bytes)?;
    Ok(v)
}

/// Types that every bit pattern is a valid value of.
///
/// # Safety
/// Implement only for integers and `#[repr(C)]` aggregates of them.
pub unsafe trait Pod: Copy {
    /// All zeros.
    fn zeroed() -> Self {
        // SAFETY: implementors are valid for every bit pattern, including zeros.
        unsafe { std::mem::zeroed() }
    }
}
// SAFETY: integers and arrays of them are valid for every bit pattern.
unsafe impl Pod for u8 {}
// SAFETY: as above.
unsafe impl Pod for u16 {}
// SAFETY: as above.
unsafe impl Pod for u32 {}
// SAFETY: as above.
unsafe impl Pod for u64 {}
// SAFETY: as above.
unsafe impl Pod for i32 {}
// SAFETY: as above.
unsafe impl Pod for i64 {}
// SAFETY: arrays of Pod are Pod.
unsafe impl<T: Pod, const N: usize> Pod for [T; N] {}

/// Reads a NUL-terminated string of at most `max` bytes (without the NUL). Returns the bytes
/// and whether the NUL was found within `max`.
pub fn read_cstr(pid: Pid, addr: u64, max: usize) -> io::Result<(Vec<u8>, bool)> {
    let mut out = Vec::new();
    let mut a = addr;
    while out.len() < max {
        // Never cross a page in one read: the next page may be unmapped.
        // (Computed without overflow: a tracee can pass an address in the last page.)
        let page_left = (4096 - (a & 4095)) as usize;
        let n = page_left.min(max - out.len()).min(256);
        let mut chunk = [0u8; 256];
        let got = match read(pid, a, &mut chunk[..n]) {
            Ok(k) => k,
            Err(e) if out.is_empty() => return Err(e),
            Err(_) => return Ok((out, false)),
        };
        if let Some(z) = chunk[..got].iter().position(|&b| b == 0) {
            out.extend_from_slice(&chunk[..z]);
            return Ok((out, true));
        }
        out.extend_from_slice(&chunk[..got]);
        if got < n {
            return Ok((out, false));
        }
        a = a.wrapping_add(got as u64);
    }
    // Exactly `max` bytes read: terminated if the next byte is NUL.
    let mut next = [0u8; 1];
    let nul = matches!(read(pid, a, &mut next), Ok(1) if next[0] == 0);
    Ok((out, nul))
}

/// Writes `data` at `addr` with `PTRACE_POKEDATA` (works on read-only text pages, for
/// breakpoints). Partial words are merged with the current contents.
pub fn write(pid: Pid, addr: u64, data: &[u8]) -> io::Result<()> {
    let mut done = 0;
    while done < data.len() {
        let a = addr.wrapping_add(done as u64);
        let aligned = a & !7;
        let skip = (a - aligned) as usize;
        let n = (8 - skip).min(data.len() - done);
        let mut word = if skip == 0 && n == 8 {
            [0u8; 8]
        } else {
            peek(pid, aligned)?.to_ne_bytes()
        };
        word[skip..skip + n].copy_from_slice(&data[done..done + n]);
        poke(pid, aligned, u64::from_ne_bytes(word))?;
        done += n;
    }
    Ok(())
}

/// Writes several pieces of writable tracee memory (its stack, its data) with one
/// `process_vm_writev`; pieces it refuses (read-only text, `ENOSYS`, `EPERM`) are written with
/// [`write()`] instead.
pub fn write_many(pid: Pid, pieces: &[(u64, &[u8])]) -> io::Result<()> {
    let total: usize = pieces.iter().map(|(_, d)| d.len()).sum();
    if !VM_READV_BROKEN.load(Ordering::Relaxed) && pieces.len() <= 16 {
        let local: Vec<libc::iovec> = pieces
            .iter()
            .map(|(_, d)| libc::iovec {
                iov_base: d.as_ptr() as *mut libc::c_void,
                iov_len: d.len(),
            })
            .collect();
        let remote: Vec<libc::iovec> = pieces
            .iter()
            .map(|(a, d)| libc::iovec {
                iov_base: *a as *mut libc::c_void,
                iov_len: d.len(),
            })
            .collect();
        // SAFETY: `local` describes the caller's slices, which the kernel only reads; `remote`
        // is only written in the other process, which the kernel checks.
        let r = unsafe {
            libc::process_vm_writev(
                pid.0,
                local.as_ptr(),
                local.len() as libc::c_ulong,
                remote.as_ptr(),
                remote.len() as libc::c_ulong,
                0,
            )
        };
        if r >= 0 && r as usize == total {
            return Ok(());
        }
    }
    for (a, d) in pieces {
        write(pid, *a, d)?;
    }
    Ok(())
}

/// Writes `data` at `addr` as strace's `upoken` (tampering's `poke_enter=`/`poke_exit=`):
/// one `process_vm_writev`, or `PTRACE_POKEDATA` word by word where that is refused (`ENOSYS`,
/// `EPERM`, `EFAULT`, `EIO`). The bytes written and, for a short write or an unexpected error,
/// strace's message about it (without the program name).
pub fn write_reporting(pid: Pid, addr: u64, data: &[u8]) -> (usize, Option<String>) {
    let len = data.len();
    if len == 0 {
        return (0, None);
    }
    let local = libc::iovec {
        iov_base: data.as_ptr() as *mut libc::c_void,
        iov_len: len,
    };
    let remote = libc::iovec {
        iov_base: addr as *mut libc::c_void,
        iov_len: len,
    };
    // SAFETY: `local` describes `data`, which the kernel only reads; `remote` is only written
    // in the other process, which the kernel checks.
    let r = unsafe { libc::process_vm_writev(pid.0, &local, 1, &remote, 1, 0) };
    if r >= 0 {
        let r = r as usize;
        let msg =
            (r != len).then(|| format!("upoken: pid:{pid} short write ({r} < {len}) @{addr:#x}"));
        return (r, msg);
    }
    let e = io::Error::last_os_error();
    match e.raw_os_error() {
        Some(libc::ENOSYS | libc::EPERM | libc::EFAULT | libc::EIO) => {}
        Some(libc::ESRCH) => return (0, None),
        _ => return (0, Some(format!("upoken: pid:{pid} @{addr:#x}: {e}"))),
    }
    // PTRACE_POKEDATA: an unaligned head and a short tail are merged with what is there.
    let mut done = 0;
    let mut a = addr;
    let result = (|| -> io::Result<()> {
        while done < len {
            let aligned = a & !7;
            let skip = (a - aligned) as usize;
            let n = (8 - skip).min(len - done);
            let mut word = if skip == 0 && n == 8 {
                [0u8; 8]
            } else {
                peek(pid, aligned)?.to_ne_bytes()
            };
            word[skip..skip + n].copy_from_slice(&data[done..done + n]);
            poke(pid, aligned, u64::from_ne_bytes(word))?;
            done += n;
            a = a.wrapping_add(n as u64);
        }
        Ok(())
    })();
    let msg = match result {
        Ok(()) => None,
        Err(e) => match e.raw_os_error() {
            Some(libc::ESRCH | libc::EINVAL) => None,
            Some(libc::EFAULT | libc::EIO | libc::EPERM) => (done > 0).then(|| {
                format!("upoken_pokedata: pid:{pid} short write ({done} < {len}) @{addr:#x}: {e}")
            }),
            _ => Some(format!("upoken_pokedata: pid:{pid} @{a:#x}: {e}")),
        },
    };
    (done, msg)
}
