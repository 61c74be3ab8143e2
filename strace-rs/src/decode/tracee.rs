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
    /// and whether the NUL was found within `max` (or right after it). Fails when nothing
    /// is readable.
    fn read_cstr(&self, addr: u64, max: usize) -> io::Result<(Vec<u8>, bool)>;
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
        mem::read_cstr(self.0, addr, max)
    }
}
