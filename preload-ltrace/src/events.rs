//! Call lines: each traced call's entry and return recorded in this thread's ring of the
//! events file ([`crate::wire`]), with the memory its prototype makes ltrace-rs print (copied
//! by `process_vm_readv` on ourselves: a bad pointer gives no bytes, never a fault). Nothing
//! here allocates or locks: the record is built in a per-thread buffer, the ring is this
//! thread's alone, the only shared writes are atomics.

use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicI32, AtomicPtr, AtomicU64, Ordering};

use crate::wire::{self, op, EvHeader, Read, RingHeader};
use crate::Frame;

/// The events file's mapping (null: no call lines).
static EVENTS: AtomicPtr<u8> = AtomicPtr::new(std::ptr::null_mut());
/// Its number of plans.
static FUNCTIONS: AtomicU64 = AtomicU64::new(0);
/// ltrace-rs's pid: when our parent changes, nobody reads the rings any more.
static READER: AtomicU64 = AtomicU64::new(0);
/// Our process id (what `process_vm_readv` reads).
static SELF: AtomicI32 = AtomicI32::new(0);

/// No ring yet.
const NO_RING: i32 = -1;
/// No ring left for this thread: its events are dropped.
const FULL: i32 = -2;

struct Local {
    ring: i32,
    busy: bool,
    len: usize,
    buf: [u64; wire::MAX_RECORD / 8],
}

thread_local! {
    // Constant-initialized, no destructor: touching it never allocates or registers one.
    static LOCAL: UnsafeCell<Local> = const {
        UnsafeCell::new(Local { ring: NO_RING, busy: false, len: 0, buf: [0; wire::MAX_RECORD / 8] })
    };
}

/// Starts recording into the events file mapped at `map` (checked by the caller), read by
/// process `reader`.
pub(crate) fn start(map: *mut u8, functions: usize, reader: u64) {
    FUNCTIONS.store(functions as u64, Ordering::Relaxed);
    READER.store(reader, Ordering::Relaxed);
    // SAFETY: getpid has no preconditions.
    SELF.store(unsafe { libc::getpid() }, Ordering::Relaxed);
    EVENTS.store(map, Ordering::Release);
}

/// Stops recording (a fork child not followed).
pub(crate) fn stop() {
    EVENTS.store(std::ptr::null_mut(), Ordering::Release);
}

/// This thread is recording an event.
pub(crate) fn busy() -> bool {
    LOCAL.with(|l| {
        // SAFETY: this thread's own state, read only.
        unsafe { (*l.get()).busy }
    })
}

fn header(map: *mut u8) -> &'static EvHeader {
    // SAFETY: `map` is the events file's shared mapping, never unmapped, starting with the
    // header (checked at load).
    unsafe { &*map.cast::<EvHeader>() }
}

/// Function `index`'s reads.
fn plan(map: *mut u8, index: usize) -> [Read; wire::READS] {
    let mut out = [Read::default(); wire::READS];
    if index as u64 >= FUNCTIONS.load(Ordering::Relaxed) {
        return out;
    }
    let at = map.wrapping_add(64 + index * wire::PLAN).cast::<u64>();
    for (i, r) in out.iter_mut().enumerate() {
        // SAFETY: plan `index` lies inside the mapping (index < functions, length checked at
        // load); 8-aligned; ltrace-rs wrote it before starting the program.
        let lo = unsafe { *at.wrapping_add(2 * i) };
        // SAFETY: as above.
        let hi = unsafe { *at.wrapping_add(2 * i + 1) };
        *r = Read::decode([lo, hi]);
    }
    out
}

/// Copies what can be read of `len` bytes at `addr` in this process into `dst`; returns the
/// number of bytes copied (0 when unreadable).
fn read_mem(addr: u64, dst: *mut u8, len: usize) -> usize {
    if len == 0 || addr == 0 {
        return 0;
    }
    let local = libc::iovec {
        iov_base: dst.cast(),
        iov_len: len,
    };
    let remote = libc::iovec {
        iov_base: addr as *mut libc::c_void,
        iov_len: len,
    };
    let me = SELF.load(Ordering::Relaxed);
    // SAFETY: `dst` has `len` writable bytes (the caller's buffer); the kernel checks the
    // remote range and fails instead of faulting.
    let n = unsafe { libc::process_vm_readv(me, &local, 1, &remote, 1, 0) };
    n.max(0) as usize
}

/// The record being built in this thread's buffer.
struct Builder<'a> {
    l: &'a mut Local,
}

impl Builder<'_> {
    fn push(&mut self, w: u64) -> bool {
        if self.l.len >= self.l.buf.len() {
            return false;
        }
        self.l.buf[self.l.len] = w;
        self.l.len += 1;
        true
    }

    /// Room left, in bytes, for a capture's data.
    fn room(&self) -> usize {
        (self.l.buf.len() - self.l.len).saturating_sub(2) * 8
    }

    /// Appends a capture of `addr`: `fill` writes at most `room` bytes at the pointer it gets
    /// and returns how many.
    fn capture(&mut self, addr: u64, max: usize, fill: impl FnOnce(*mut u8, usize) -> usize) {
        let room = self.room().min(max);
        if room == 0 || addr == 0 {
            return;
        }
        let at = self.l.len;
        let data = self.l.buf[at + 2..].as_mut_ptr().cast::<u8>();
        let n = fill(data, room);
        if n == 0 {
            return;
        }
        self.l.buf[at] = addr;
        self.l.buf[at + 1] = n as u64;
        self.l.len = at + 2 + n.div_ceil(8);
    }

    /// A NUL-terminated string: up to `max` bytes and the one after (so that the reader can
    /// tell a string of exactly `max` bytes from a longer one).
    fn cstr(&mut self, addr: u64, max: usize) {
        self.capture(addr, max + 1, |dst, room| {
            let mut got = 0;
            while got < room {
                // Never across a page in one read: the next one may be unmapped.
                let a = addr.wrapping_add(got as u64);
                let page_left = (4096 - (a & 4095)) as usize;
                let want = page_left.min(room - got).min(256);
                let n = read_mem(a, dst.wrapping_add(got), want);
                // SAFETY: the `n` bytes just written inside the buffer.
                let chunk = unsafe { std::slice::from_raw_parts(dst.wrapping_add(got), n) };
                if let Some(z) = chunk.iter().position(|&b| b == 0) {
                    return got + z + 1;
                }
                got += n;
                if n < want {
                    break;
                }
            }
            got
        });
    }

    fn bytes(&mut self, addr: u64, len: usize) {
        self.capture(addr, len, |dst, room| read_mem(addr, dst, room.min(len)));
    }
}

/// The value a read names: 0 the return value, 1..=6 an argument.
fn source(src: u8, args: &[u64; 6], ret: u64) -> u64 {
    match src {
        0 => ret,
        k => args.get(k as usize - 1).copied().unwrap_or(0),
    }
}

/// The registers a call's reads may need besides the integer arguments: the low 8 bytes of
/// xmm0-7 at the entry, xmm0 at the return.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Fp<'a> {
    /// At an entry.
    Args(&'a [u64; 8]),
    /// At a return.
    Ret,
}

/// Does the reads of `plan` for this side of the call (`at_exit`).
fn reads(
    b: &mut Builder<'_>,
    plan: &[Read],
    at_exit: bool,
    args: &[u64; 6],
    ret: u64,
    slot: u64,
    fp: Fp<'_>,
) {
    for r in plan
        .iter()
        .filter(|r| r.op != op::NONE && r.at_exit == at_exit)
    {
        let addr = source(r.src, args, ret);
        let max = r.max as usize;
        match r.op {
            op::CSTR => b.cstr(addr, max),
            op::BYTES => b.bytes(addr, max),
            op::BYTES_LEN => {
                let n = source(r.len_src, args, ret) as usize;
                if n <= 1 << 20 {
                    b.bytes(addr, n.saturating_mul(r.elem as usize).min(max));
                }
            }
            op::FORMAT => format(b, addr, r.elem, max, args, slot),
            op::FPREGS => {
                if let Fp::Args(xmm) = fp {
                    b.capture(wire::FPREGS_ADDR, 64, |dst, room| {
                        let n = room.min(64);
                        // SAFETY: `dst` has `room` writable bytes, `xmm` 64 readable ones.
                        unsafe { std::ptr::copy_nonoverlapping(xmm.as_ptr().cast(), dst, n) };
                        n
                    });
                }
            }
            op::ST0 => {
                let mut st0 = [0u8; 16];
                // SAFETY: pushes a copy of st0 and stores it (10 bytes) into `st0`, leaving the
                // x87 stack as it was. Only planned for a function returning `long double`,
                // which leaves its value in st0; nothing between its return and here uses
                // the x87 unit (the exit stub, this agent, the vDSO clock).
                unsafe {
                    std::arch::asm!(
                        "fld st(0)",
                        "fstp tbyte ptr [{p}]",
                        p = in(reg) st0.as_mut_ptr(),
                        options(nostack),
                    )
                };
                b.capture(wire::ST0_ADDR, 10, |dst, room| {
                    let n = room.min(10);
                    // SAFETY: `dst` has `room` writable bytes, `st0` 16 readable ones.
                    unsafe { std::ptr::copy_nonoverlapping(st0.as_ptr(), dst, n) };
                    n
                });
            }
            op::STACK => b.bytes(slot + 8, max),
            _ => {}
        }
    }
}

/// A printf format: its text, the strings of its `%s`, the stack words of its arguments past
/// the registers. `first` is where its first variadic argument goes ([`wire::Alloc`]).
fn format(b: &mut Builder<'_>, addr: u64, first: u32, strsize: usize, args: &[u64; 6], slot: u64) {
    let start = b.l.len;
    b.cstr(addr, wire::FORMAT_MAX);
    if b.l.len == start {
        return;
    }
    let n = b.l.buf[start + 1] as usize;
    // The conversions are scanned in place (no copy of the format on the stack: a traced
    // call may run on a small one, a signal handler's alternate stack); the captures below
    // append after it.
    let mut at = wire::Alloc::decode(first);
    let mut strs = [wire::Loc::Gp(0); 16];
    let mut nstr = 0;
    {
        // SAFETY: the capture just written: `n` bytes after its two words, inside the buffer.
        let fmt =
            unsafe { std::slice::from_raw_parts(b.l.buf[start + 2..].as_ptr().cast::<u8>(), n) };
        let fmt = fmt.split(|&c| c == 0).next().unwrap_or(fmt);
        wire::conversions(fmt, |c| {
            let loc = at.conv(c);
            if c == wire::Conv::Str && nstr < strs.len() {
                strs[nstr] = loc;
                nstr += 1;
            }
        });
    }
    let stack_words = (at.stack / 8).min(32);
    if stack_words > 0 {
        b.bytes(slot + 8, stack_words * 8);
    }
    for &loc in &strs[..nstr] {
        let v = match loc {
            wire::Loc::Gp(i) => args[i],
            wire::Loc::Stack(off) => {
                let mut w = [0u8; 8];
                if read_mem(slot + 8 + off as u64, w.as_mut_ptr(), 8) != 8 {
                    continue;
                }
                u64::from_le_bytes(w)
            }
            wire::Loc::Xmm(_) => continue,
        };
        b.cstr(v, strsize);
    }
}

/// Records a call's entry (`kind` [`wire::KIND_ENTRY`] or [`wire::KIND_NORET`]); `regs` are
/// its integer argument registers and the low 8 bytes of xmm0-7.
pub(crate) fn entry(
    kind: u64,
    index: usize,
    depth: usize,
    ret: usize,
    slot: usize,
    regs: (&[u64; 6], &[u64; 8]),
    time: u64,
) {
    let (args, xmm) = regs;
    let map = EVENTS.load(Ordering::Acquire);
    if map.is_null() {
        return;
    }
    let plan = plan(map, index);
    record(map, |b| {
        for w in [
            kind,
            0,
            index as u64 | (depth as u64) << 32,
            time,
            ret as u64,
        ] {
            b.push(w);
        }
        for &a in args {
            b.push(a);
        }
        b.push(slot as u64);
        reads(b, &plan, false, args, 0, slot as u64, Fp::Args(xmm));
    });
}

/// Records the return of the call `f` (at `depth`) with `rax` and `xmm0` (its low 8 bytes).
pub(crate) fn exit(f: &Frame, depth: usize, rax: u64, xmm0: u64, time: u64) {
    let map = EVENTS.load(Ordering::Acquire);
    if map.is_null() {
        return;
    }
    let plan = plan(map, f.index);
    record(map, |b| {
        for w in [
            wire::KIND_EXIT,
            0,
            f.index as u64 | (depth as u64) << 32,
            time,
            f.ret as u64,
            rax,
            f.start,
            xmm0,
            0,
            0,
            0,
            f.slot as u64,
        ] {
            b.push(w);
        }
        reads(b, &plan, true, &f.args, rax, f.slot as u64, Fp::Ret);
    });
}

/// Records that function `index` is defined by the object at `path` (at load, not in a hook).
pub(crate) fn library(index: usize, path: &[u8]) {
    let map = EVENTS.load(Ordering::Acquire);
    if map.is_null() {
        return;
    }
    record(map, |b| {
        b.push(wire::KIND_LIB);
        b.push(0);
        b.push(index as u64);
        for _ in 3..wire::REC_WORDS {
            b.push(0);
        }
        b.capture(1, path.len(), |dst, room| {
            let n = room.min(path.len());
            // SAFETY: `dst` has `room` writable bytes, `path` at least `n`.
            unsafe { std::ptr::copy_nonoverlapping(path.as_ptr(), dst, n) };
            n
        });
    });
}

/// Builds a record with `build` in this thread's buffer and commits it to this thread's ring.
fn record(map: *mut u8, build: impl FnOnce(&mut Builder<'_>)) {
    LOCAL.with(|l| {
        let l = l.get();
        // SAFETY: this thread's own state; `busy` keeps a signal handler's calls out while it
        // is in use (lt_enter checks it).
        let l = unsafe { &mut *l };
        if l.busy {
            return;
        }
        l.busy = true;
        std::sync::atomic::compiler_fence(Ordering::SeqCst);
        l.len = 0;
        let mut b = Builder { l };
        build(&mut b);
        let l = b.l;
        commit(map, l);
        std::sync::atomic::compiler_fence(Ordering::SeqCst);
        l.busy = false;
    });
}

/// This thread's ring, taken at its first event; `None` when none is left.
fn ring(map: *mut u8, l: &mut Local) -> Option<&'static RingHeader> {
    let h = header(map);
    if l.ring == NO_RING {
        let i = h.threads.fetch_add(1, Ordering::AcqRel);
        if i as usize >= wire::THREADS {
            l.ring = FULL;
        } else {
            l.ring = i as i32;
            let rh = ring_header(map, i as usize);
            // SAFETY: gettid has no preconditions.
            let tid = unsafe { libc::gettid() };
            let pid = SELF.load(Ordering::Relaxed);
            rh.tid.store(tid as u64, Ordering::Relaxed);
            rh.pid.store(pid as u64, Ordering::Relaxed);
        }
    }
    if l.ring < 0 {
        return None;
    }
    Some(ring_header(map, l.ring as usize))
}

fn ring_header(map: *mut u8, i: usize) -> &'static RingHeader {
    let functions = FUNCTIONS.load(Ordering::Relaxed) as usize;
    let at = map.wrapping_add(wire::ring_offset(functions, i));
    // SAFETY: ring `i` < THREADS lies inside the mapping (length checked at load), 64-aligned.
    unsafe { &*at.cast::<RingHeader>() }
}

/// Writes the record in `l`'s buffer to this thread's ring: waits for room (ltrace-rs reads
/// as the program runs), takes the next sequence number, copies, publishes.
fn commit(map: *mut u8, l: &mut Local) {
    let h = header(map);
    let Some(rh) = ring(map, l) else {
        h.dropped.fetch_add(1, Ordering::Relaxed);
        return;
    };
    let len = l.len * 8;
    l.buf[0] |= (len as u64) << 32;
    let head = rh.head.load(Ordering::Relaxed);
    let mut waited = 0u32;
    while head + len as u64 - rh.tail.load(Ordering::Acquire) > wire::RING as u64 {
        // SAFETY: getppid has no preconditions.
        if unsafe { libc::getppid() } as u64 != READER.load(Ordering::Relaxed) {
            // ltrace-rs is gone: nothing will ever be read again.
            stop();
            return;
        }
        let ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: if waited < 100 { 20_000 } else { 1_000_000 },
        };
        waited = waited.saturating_add(1);
        // SAFETY: a valid timespec; no remainder wanted.
        unsafe { libc::nanosleep(&ts, std::ptr::null_mut()) };
    }
    l.buf[1] = h.seq.fetch_add(1, Ordering::AcqRel);
    let functions = FUNCTIONS.load(Ordering::Relaxed) as usize;
    let i = l.ring as usize;
    let data = map.wrapping_add(wire::ring_offset(functions, i) + 64);
    let off = (head % wire::RING as u64) as usize;
    let first = len.min(wire::RING - off);
    let src = l.buf.as_ptr().cast::<u8>();
    // SAFETY: `first` bytes at `off` and the rest at the ring's start lie inside this ring's
    // data, which only this thread writes and ltrace-rs reads only below `head`.
    unsafe { std::ptr::copy_nonoverlapping(src, data.wrapping_add(off), first) };
    // SAFETY: as above.
    unsafe { std::ptr::copy_nonoverlapping(src.wrapping_add(first), data, len - first) };
    rh.head.store(head + len as u64, Ordering::Release);
}
