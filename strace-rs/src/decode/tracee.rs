//! Where the decoders read the traced process's memory: through one trait, so that a
//! decoder runs the same on the live process ([`Ptrace`]) and, in a unit test, on bytes
//! recorded from one (`tests::Recorded`).

use std::io;

use tracekit_ptrace::{mem, Pid};

pub use tracekit_ptrace::mem::Pod;

/// The memory of a traced process.
pub trait TraceeMemory: std::fmt::Debug {
    /// Reads up to `buf.len()` bytes at `addr`; returns how many were readable (fewer when
    /// the range runs into unmapped memory). Fails when nothing is readable.
    fn read(&self, addr: u64, buf: &mut [u8]) -> io::Result<usize>;

    /// Reads a NUL-terminated string of at most `max` bytes (without the NUL): the bytes,
    /// and whether the NUL was found within `max`. Fails when nothing is readable.
    fn read_cstr(&self, addr: u64, max: usize) -> io::Result<(Vec<u8>, bool)> {
        let mut out = Vec::new();
        let mut at = addr;
        while out.len() < max {
            let mut chunk = [0u8; 256];
            let want = (max - out.len()).min(chunk.len());
            let got = match self.read(at, &mut chunk[..want]) {
                Ok(k) => k,
                Err(e) if out.is_empty() => return Err(e),
                Err(_) => return Ok((out, false)),
            };
            if let Some(z) = chunk[..got].iter().position(|&b| b == 0) {
                out.extend_from_slice(&chunk[..z]);
                return Ok((out, true));
            }
            out.extend_from_slice(&chunk[..got]);
            if got < want {
                return Ok((out, false));
            }
            at += got as u64;
        }
        // Exactly `max` bytes read: terminated if the next byte is NUL.
        let mut next = [0u8; 1];
        let nul = matches!(self.read(at, &mut next), Ok(1) if next[0] == 0);
        Ok((out, nul))
    }
}

impl dyn TraceeMemory + '_ {
    /// Reads exactly `buf.len()` bytes or fails.
    pub fn read_exact(&self, addr: u64, buf: &mut [u8]) -> io::Result<()> {
        if self.read(addr, buf)? == buf.len() {
            Ok(())
        } else {
            Err(io::Error::from_raw_os_error(libc::EFAULT))
        }
    }

    /// Reads a plain value (an integer or an array of them).
    pub fn read_val<T: Pod>(&self, addr: u64) -> io::Result<T> {
        let mut v = T::zeroed();
        // SAFETY: `Pod` types are valid for every bit pattern, so viewing one as bytes and
        // overwriting them is sound; the slice covers exactly `v`.
        let bytes = unsafe {
            std::slice::from_raw_parts_mut(&mut v as *mut T as *mut u8, std::mem::size_of::<T>())
        };
        self.read_exact(addr, bytes)?;
        Ok(v)
    }
}

/// A live tracee, read with `process_vm_readv` (or `/proc/PID/mem`, or `PTRACE_PEEKDATA`).
#[derive(Debug, Clone, Copy)]
pub struct Ptrace(pub Pid);

impl TraceeMemory for Ptrace {
    fn read(&self, addr: u64, buf: &mut [u8]) -> io::Result<usize> {
        mem::read(self.0, addr, buf)
    }

    fn read_cstr(&self, addr: u64, max: usize) -> io::Result<(Vec<u8>, bool)> {
        // ptrace's own reader never crosses a page in one read (the next may be unmapped).
        mem::read_cstr(self.0, addr, max)
    }
}
