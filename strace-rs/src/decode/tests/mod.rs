//! Decoder unit tests: each decoder is fed the arguments, return value and memory of one
//! real call and must print the line strace printed for it. No process is traced: the
//! tracee's memory is [`Recorded`], bytes at the addresses the call used.
//!
//! The calls come from the C programs in this directory, run under strace 6.1 (their
//! buffers are in a mapping at the fixed address `0x10000000`, `buffers.h`, so the addresses
//! strace printed are the ones the tests use):
//!
//! ```text
//! gcc -O1 -o calls calls.c && strace -o calls.strace ./calls   # files and descriptors
//! gcc -O1 -o proc proc.c && strace -o proc.strace ./proc       # processes, memory, signals, sockets
//! gcc -O1 -o more more.c && strace -o more.strace ./more       # the calls the others leave out
//! gcc -m32 -O1 -o m32 m32.c && strace -o m32.strace ./m32      # i386
//! gcc -O1 -pthread -o fork fork.c && strace -f -o fork.strace ./fork   # clone, wait4, execve
//! strace -X verbose -e trace=open,fcntl,mmap -o xverbose.strace ./calls
//! strace -o restart.strace sleep 1   # stopped (kill -STOP PID) and continued meanwhile
//! ```
//!
//! and the 32-bit program of the end-to-end tests (`M32_SOURCE` in `tests/tests/strace.rs`,
//! built with `gcc -m32 -pthread`, `strace -f -o m32e2e.strace ./m32e2e DIR`) for the
//! i386 calls whose addresses vary (threads, signal frames). Each test quotes the line of
//! the `.strace` file next to it that it reproduces; a line strace split at
//! `<unfinished ...>` is quoted joined.

use std::io;

use tracekit_ptrace::Pid;

use super::tracee::TraceeMemory;
use super::{Abi, Ctx, DecodeOpts, Decoder, Rval, Step};

mod cbpf;
mod files;
mod fuzz;
mod i386;
mod ioctl;
mod kd;
mod more;
mod net;
mod netlink_fuzz;
mod process;
mod ptrace;
mod seccomp;
mod signals;
mod system;
mod v4l2;

/// Where the test programs keep their buffers.
const BASE: u64 = 0x1000_0000;

/// Tracee memory recorded for a test: byte ranges at addresses; anything else is unmapped.
#[derive(Debug, Default, Clone)]
pub(crate) struct Recorded {
    ranges: Vec<(u64, Vec<u8>)>,
}

impl Recorded {
    /// `bytes` at `addr`.
    pub fn bytes(mut self, addr: u64, bytes: &[u8]) -> Self {
        self.ranges.push((addr, bytes.to_vec()));
        self
    }

    /// The NUL-terminated string `s` at `addr`.
    pub fn cstr(self, addr: u64, s: &str) -> Self {
        let mut b = s.as_bytes().to_vec();
        b.push(0);
        self.bytes(addr, &b)
    }

    /// 64-bit words at `addr`.
    pub fn u64s(self, addr: u64, words: &[u64]) -> Self {
        let b: Vec<u8> = words.iter().flat_map(|w| w.to_ne_bytes()).collect();
        self.bytes(addr, &b)
    }

    /// 32-bit words at `addr`.
    pub fn u32s(self, addr: u64, words: &[u32]) -> Self {
        let b: Vec<u8> = words.iter().flat_map(|w| w.to_ne_bytes()).collect();
        self.bytes(addr, &b)
    }
}

impl TraceeMemory for Recorded {
    fn read(&self, addr: u64, buf: &mut [u8]) -> io::Result<usize> {
        let mut done = 0;
        // Ranges may adjoin: keep reading while the next byte is recorded somewhere.
        while done < buf.len() {
            let at = addr + done as u64;
            let Some((start, bytes)) = self
                .ranges
                .iter()
                .rev()
                .find(|(s, b)| *s <= at && at < s + b.len() as u64)
            else {
                break;
            };
            let from = &bytes[(at - start) as usize..];
            let n = from.len().min(buf.len() - done);
            buf[done..done + n].copy_from_slice(&from[..n]);
            done += n;
        }
        if done == 0 && !buf.is_empty() {
            return Err(io::Error::from_raw_os_error(libc::EFAULT));
        }
        Ok(done)
    }

    fn read_cstr(&self, addr: u64, max: usize) -> io::Result<(Vec<u8>, bool)> {
        let mut out = Vec::new();
        let mut byte = [0u8; 1];
        loop {
            match self.read(addr + out.len() as u64, &mut byte) {
                Ok(_) if byte[0] == 0 => return Ok((out, true)),
                Ok(_) if out.len() < max => out.push(byte[0]),
                Err(e) if out.is_empty() => return Err(e),
                // `max` bytes and no NUL after them, or the end of what was recorded.
                _ => return Ok((out, false)),
            }
        }
    }
}

/// One recorded system call.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    name: &'static str,
    abi: Abi,
    args: [u64; 6],
    result: Option<Result<i64, i64>>,
    memory: Recorded,
    exit_memory: Option<Recorded>,
    opts: DecodeOpts,
    sp: u64,
    previous: u64,
}

/// The x86_64 call `name` with `args`.
pub(crate) fn call(name: &'static str, args: &[u64]) -> Call {
    let mut a = [0u64; 6];
    a[..args.len()].copy_from_slice(args);
    Call {
        name,
        abi: Abi::X86_64,
        args: a,
        result: None,
        memory: Recorded::default(),
        exit_memory: None,
        opts: DecodeOpts::default(),
        sp: 0,
        previous: 0,
    }
}

/// The i386 call `name` with `args` (as the tracer sees them: zero-extended registers).
pub(crate) fn call32(name: &'static str, args: &[u64]) -> Call {
    Call {
        abi: Abi::I386,
        ..call(name, args)
    }
}

impl Call {
    /// It returned `v`.
    pub fn returns(mut self, v: i64) -> Self {
        self.result = Some(Ok(v));
        self
    }

    /// It failed with `errno`.
    pub fn fails(mut self, errno: i32) -> Self {
        self.result = Some(Err(-i64::from(errno)));
        self
    }

    /// The tracee's memory.
    pub fn memory(mut self, m: Recorded) -> Self {
        self.memory = m;
        self
    }

    /// The tracee's memory at exit, when the call changed it.
    pub fn exit_memory(mut self, m: Recorded) -> Self {
        self.exit_memory = Some(m);
        self
    }

    /// Printing options.
    pub fn opts(mut self, opts: DecodeOpts) -> Self {
        self.opts = opts;
        self
    }

    /// The thread's previous call (what `restart_syscall` resumes).
    pub fn after(mut self, nr: u64) -> Self {
        self.previous = nr;
        self
    }

    /// The stack pointer at entry.
    pub fn sp(mut self, sp: u64) -> Self {
        self.sp = sp;
        self
    }

    /// The call's number, decoder, return value format and the ABI its decoder reads the
    /// arguments in, from the table the tracer uses.
    fn table(&self) -> (u64, Option<Decoder>, Rval, Abi) {
        match self.abi {
            Abi::X86_64 => (
                u64::from(crate::sysent::by_name(self.name).expect("an x86_64 call")),
                super::decoder(self.name),
                super::default_rval(self.name),
                Abi::X86_64,
            ),
            Abi::I386 => (
                (0..crate::sysent32::TABLE_LEN as u64)
                    .find(|&nr| crate::sysent32::name(nr) == self.name)
                    .expect("an i386 call"),
                crate::sysent32::decoder(self.name),
                crate::sysent32::rval(self.name),
                crate::sysent32::abi(self.name),
            ),
        }
    }

    /// The line the decoder prints, as the tracer makes it: entry, then exit when the
    /// decoder asks for it, then the return value (`?` when the call did not return).
    pub fn line(&self) -> String {
        let (nr, decoder, rfmt, abi) = self.table();
        let decoder = decoder.unwrap_or_else(|| panic!("{} has a decoder", self.name));
        let memory: &dyn TraceeMemory = &self.memory;
        let mut entry = Ctx::new(Pid(0), memory, nr, self.args, &self.opts);
        entry.abi = abi;
        entry.sp = self.sp;
        entry.rfmt = rfmt;
        entry.stash = self.previous;
        let step = decoder.run(&mut entry);
        let mut line = format!("{}({}", self.name, entry.out);
        let Some(result) = self.result else {
            assert_eq!(step, Step::Decoded, "no exit to decode");
            line.push_str(") = ?");
            return line;
        };
        let exit_memory: &dyn TraceeMemory = self.exit_memory.as_ref().unwrap_or(&self.memory);
        let mut exit = Ctx::new(Pid(0), exit_memory, nr, self.args, &self.opts);
        exit.abi = abi;
        exit.exiting = true;
        (exit.rval, exit.error) = match result {
            Ok(v) => (v, false),
            Err(e) => (e, true),
        };
        exit.stash = entry.stash;
        exit.stash_bytes = std::mem::take(&mut entry.stash_bytes);
        exit.rfmt = entry.rfmt;
        exit.sp = self.sp;
        if step == Step::Exit {
            decoder.run(&mut exit);
        }
        line.push_str(&exit.out);
        line.push_str(") = ");
        super::format_rval(&exit, &mut line);
        line
    }
}

/// `strace -o`'s line with the padding before ` = ` taken out.
fn unpadded(strace_line: &str) -> String {
    let mut line = strace_line.to_owned();
    if let Some(close) = line.rfind(") ") {
        let rest = &line[close + 1..];
        let pad = rest.len() - rest.trim_start().len();
        if rest.trim_start().starts_with("= ") && pad > 1 {
            line.replace_range(close + 1..close + 1 + pad, " ");
        }
    }
    line
}

/// Asserts that `call` decodes to `strace_line`.
#[track_caller]
pub(crate) fn check(call: Call, strace_line: &str) {
    assert_eq!(call.line(), unpadded(strace_line));
}

/// `BASE + offset`: a buffer of the test programs.
pub(crate) const fn at(offset: u64) -> u64 {
    BASE + offset
}

/// A negative C `int` argument as the register holds it (sign-extended).
pub(crate) const fn neg(v: i64) -> u64 {
    v as u64
}
