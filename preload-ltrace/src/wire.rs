//! The events file the agent writes and ltrace-rs reads for call lines (shared by both: the
//! agent compiles it as its module `wire`, ltrace-rs includes the same file). Plain layout, no
//! allocation, nothing that needs `std` beyond atomics.
//!
//! Layout: a [`EvHeader`] (64 bytes); `functions` plans of [`READS`] [`Read`]s (16 bytes
//! each), each function's reads done at its entry or its return; padding to [`rings_offset`];
//! then [`THREADS`] rings, each a [`RingHeader`] (64 bytes) and [`RING`] bytes of records.
//! A thread takes a ring at its first event (`EvHeader::threads`, never given back); a record
//! is written at `head` (wrapping), then `head` is advanced (release); ltrace-rs reads up to
//! `head` and advances `tail`. Records carry a global sequence number (`EvHeader::seq`, taken
//! once the ring has room): ltrace-rs prints them in that order.
//!
//! A record: [`REC_WORDS`] words (`kind | len << 32`, seq, `index | depth << 32`, time in
//! CLOCK_MONOTONIC nanoseconds, return address, then six argument registers at an entry or the
//! return value (rax), the entry's time and xmm0's low 8 bytes at an exit, and the call's
//! return-address slot), then captures: `addr`,
//! `len`, `len` bytes (padded to 8). A capture of a string holds its bytes and the NUL when one
//! was found within its limit.

#![allow(dead_code)]

use std::sync::atomic::AtomicU64;

/// The events file's first word.
pub const EV_MAGIC: u64 = u64::from_le_bytes(*b"TKLTEVT1");
/// Rings (threads that ever made a traced call), at most.
pub const THREADS: usize = 64;
/// Bytes of records per ring (a power of two).
pub const RING: usize = 1 << 18;
/// Reads per function.
pub const READS: usize = 8;
/// The longest record.
pub const MAX_RECORD: usize = 16 << 10;
/// The longest format string read (as the ptrace backend reads it).
pub const FORMAT_MAX: usize = 4096;
/// Words of a record before its captures.
pub const REC_WORDS: usize = 12;

/// A record's kind: a call's entry.
pub const KIND_ENTRY: u64 = 1;
/// A call's return.
pub const KIND_EXIT: u64 = 2;
/// The entry of a call whose return is not followed (it never returns, or returns twice).
pub const KIND_NORET: u64 = 3;

/// Which object defines function `index` (written once per function at load, before any
/// call): its path is the record's one capture.
pub const KIND_LIB: u64 = 4;

/// The file's header.
#[repr(C)]
#[derive(Debug)]
pub struct EvHeader {
    /// [`EV_MAGIC`].
    pub magic: AtomicU64,
    /// Functions (plans).
    pub functions: AtomicU64,
    /// The next record's sequence number.
    pub seq: AtomicU64,
    /// Rings taken.
    pub threads: AtomicU64,
    /// Events not recorded (no ring left, a record too long, a call inside the recording).
    pub dropped: AtomicU64,
    /// The process that traces (the first to load the agent).
    pub pid: AtomicU64,
    /// Reserved.
    pub spare: [AtomicU64; 2],
}

/// One ring's header.
#[repr(C)]
#[derive(Debug)]
pub struct RingHeader {
    /// Bytes written, ever.
    pub head: AtomicU64,
    /// Bytes read by ltrace-rs, ever.
    pub tail: AtomicU64,
    /// The thread writing it.
    pub tid: AtomicU64,
    /// Its process.
    pub pid: AtomicU64,
    /// Reserved.
    pub spare: [AtomicU64; 4],
}

/// What a [`Read`] copies.
pub mod op {
    /// Nothing.
    pub const NONE: u8 = 0;
    /// A NUL-terminated string, at most `max` bytes (and the byte after).
    pub const CSTR: u8 = 1;
    /// `max` bytes.
    pub const BYTES: u8 = 2;
    /// `elem` times the value of `len_src` bytes, at most `max`.
    pub const BYTES_LEN: u8 = 3;
    /// A printf format (up to [`super::FORMAT_MAX`]), the strings its `%s` take (at most
    /// `max` bytes each) and the stack words its arguments past the sixth use; `elem` is the
    /// where the first variadic argument goes (an [`super::Alloc`] as [`super::Alloc::encode`]
    /// gives it, after the fixed parameters).
    pub const FORMAT: u8 = 4;
    /// At the entry: the low 8 bytes of xmm0-7 (floating point arguments), captured at
    /// [`super::FPREGS_ADDR`].
    pub const FPREGS: u8 = 5;
    /// At the return: `st0` (a `long double` return value, 10 bytes), captured at
    /// [`super::ST0_ADDR`].
    pub const ST0: u8 = 6;
    /// At the entry: `max` bytes of the stack after the return address (the fixed
    /// parameters that are not in registers).
    pub const STACK: u8 = 7;
}

/// Where the [`op::FPREGS`] capture is put among a record's captures: an address no user
/// memory has (the kernel's half).
pub const FPREGS_ADDR: u64 = 0xffff_ffff_ffff_0000;
/// Where the [`op::ST0`] capture is put.
pub const ST0_ADDR: u64 = 0xffff_ffff_ffff_1000;

/// One copy of memory a function's formatting needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Read {
    /// [`op`].
    pub op: u8,
    /// Done at the return (output parameters, the return value) rather than the entry.
    pub at_exit: bool,
    /// The address: 0 the return value, 1..=6 that argument.
    pub src: u8,
    /// For [`op::BYTES_LEN`]: where the count is (0 the return value, 1..=6 an argument).
    pub len_src: u8,
    /// Element size ([`op::BYTES_LEN`]) or where the first variadic argument goes
    /// ([`op::FORMAT`]).
    pub elem: u32,
    /// The most bytes.
    pub max: u64,
}

impl Read {
    /// The two words it is stored as.
    pub fn encode(&self) -> [u64; 2] {
        [
            self.op as u64
                | (self.at_exit as u64) << 8
                | (self.src as u64) << 16
                | (self.len_src as u64) << 24
                | (self.elem as u64) << 32,
            self.max,
        ]
    }

    /// Read back from its two words.
    pub fn decode(w: [u64; 2]) -> Read {
        Read {
            op: w[0] as u8,
            at_exit: (w[0] >> 8) & 1 == 1,
            src: (w[0] >> 16) as u8,
            len_src: (w[0] >> 24) as u8,
            elem: (w[0] >> 32) as u32,
            max: w[1],
        }
    }
}

/// Bytes of one function's plan.
pub const PLAN: usize = READS * 16;

/// Where the rings start in a file of `functions` plans.
pub fn rings_offset(functions: usize) -> usize {
    (64 + functions * PLAN).next_multiple_of(4096)
}

/// The file's length.
pub fn file_len(functions: usize) -> usize {
    rings_offset(functions) + THREADS * (64 + RING)
}

/// Where ring `i`'s header is.
pub fn ring_offset(functions: usize, i: usize) -> usize {
    rings_offset(functions) + i * (64 + RING)
}

/// A printf conversion's argument, as ltrace prints it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conv {
    /// `%d`, `%i`, `*`: signed, 4 or 8 bytes.
    Int(u8),
    /// `%u`.
    Uint(u8),
    /// `%x`.
    Hex(u8),
    /// `%o`.
    Octal,
    /// `%c`.
    Char,
    /// `%s`.
    Str,
    /// `%p`, `%n`.
    Addr,
    /// `%f`, `%e`, `%g`, `%a` (any case): a double.
    Double,
    /// The same with `L`: a `long double`.
    LongDouble,
}

/// Where an argument is (x86-64 SysV).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loc {
    /// An integer register: 0..6 for rdi, rsi, rdx, rcx, r8, r9.
    Gp(usize),
    /// An SSE register, xmm0..7.
    Xmm(usize),
    /// The stack: a byte offset from the word after the return address.
    Stack(usize),
}

/// Hands out the locations of a call's arguments in order, as the x86-64 SysV ABI does:
/// integers and pointers in the six integer registers, `float`/`double` in xmm0-7, the rest
/// (and `long double`, 16-aligned) on the stack in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Alloc {
    /// Integer registers used.
    pub gp: usize,
    /// SSE registers used.
    pub xmm: usize,
    /// Bytes of stack used.
    pub stack: usize,
}

impl Alloc {
    fn on_stack(&mut self, size: usize, align: usize) -> Loc {
        self.stack = self.stack.next_multiple_of(align);
        self.stack += size;
        Loc::Stack(self.stack - size)
    }

    /// An integer or pointer.
    pub fn int(&mut self) -> Loc {
        if self.gp < 6 {
            self.gp += 1;
            Loc::Gp(self.gp - 1)
        } else {
            self.on_stack(8, 8)
        }
    }

    /// A `float` or `double`.
    pub fn sse(&mut self) -> Loc {
        if self.xmm < 8 {
            self.xmm += 1;
            Loc::Xmm(self.xmm - 1)
        } else {
            self.on_stack(8, 8)
        }
    }

    /// A `long double`.
    pub fn x87(&mut self) -> Loc {
        self.on_stack(16, 16)
    }

    /// A printf conversion's argument.
    pub fn conv(&mut self, c: Conv) -> Loc {
        match c {
            Conv::Double => self.sse(),
            Conv::LongDouble => self.x87(),
            _ => self.int(),
        }
    }

    /// As a [`Read`]'s `elem`.
    pub fn encode(&self) -> u32 {
        self.gp as u32 | (self.xmm as u32) << 4 | ((self.stack / 8).min(0xffff) as u32) << 8
    }

    /// Read back from [`Alloc::encode`].
    pub fn decode(v: u32) -> Alloc {
        Alloc {
            gp: (v & 0xf) as usize,
            xmm: (v >> 4 & 0xf) as usize,
            stack: (v >> 8) as usize * 8,
        }
    }
}

/// Calls `each` with the argument of every conversion of the printf format `fmt`, in order.
pub fn conversions(fmt: &[u8], mut each: impl FnMut(Conv)) {
    let mut i = 0;
    while i < fmt.len() {
        if fmt[i] != b'%' {
            i += 1;
            continue;
        }
        i += 1;
        if fmt.get(i) == Some(&b'%') {
            i += 1;
            continue;
        }
        let mut long = 0;
        let mut big_l = false;
        while i < fmt.len() {
            let c = fmt[i];
            i += 1;
            let size = if long > 0 { 8 } else { 4 };
            match c {
                b'-' | b'+' | b' ' | b'#' | b'0'..=b'9' | b'.' | b'\'' => {}
                b'*' => each(Conv::Int(4)),
                b'l' | b'j' | b'z' | b't' | b'q' => long += 1,
                b'L' => {
                    long += 1;
                    big_l = true;
                }
                b'f' | b'F' | b'e' | b'E' | b'g' | b'G' | b'a' | b'A' => {
                    each(if big_l {
                        Conv::LongDouble
                    } else {
                        Conv::Double
                    });
                    break;
                }
                b'h' => {}
                b'd' | b'i' => {
                    each(Conv::Int(size));
                    break;
                }
                b'u' => {
                    each(Conv::Uint(size));
                    break;
                }
                b'x' | b'X' => {
                    each(Conv::Hex(size));
                    break;
                }
                b'o' => {
                    each(Conv::Octal);
                    break;
                }
                b'c' => {
                    each(Conv::Char);
                    break;
                }
                b's' => {
                    each(Conv::Str);
                    break;
                }
                b'p' | b'n' => {
                    each(Conv::Addr);
                    break;
                }
                _ => break,
            }
        }
    }
}
