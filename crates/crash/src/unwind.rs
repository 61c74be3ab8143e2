//! The backtrace from the faulting instruction, through the signal frame, with libgcc's
//! unwinder (`_Unwind_Backtrace`).
//!
//! Why libgcc: it understands the kernel's signal frame (glibc's `__restore_rt` carries CFI),
//! it finds unwind tables through glibc's lock-free `_dl_find_object` (gcc 12 and glibc 2.35
//! or later), so it takes no loader lock and does not allocate, and it sees modules that were
//! `dlopen`ed after we loaded. The preload links a private copy (the static `libgcc_eh.a`)
//! rather than `libgcc_s.so.1`: one object less to load, and no warm-up needed, since its only
//! lazy step (a `pthread_once` that fills a register-size table) belongs to this copy, which
//! only the one thread that writes the report ever runs. Its imports are bound at load
//! (`-z now`, see `build.rs`).
//!
//! Deep stacks (unbounded recursion) are walked to the end, up to [`MAX_WALK`] frames, keeping
//! the first [`HEAD`] frames and the last [`TAIL`].

use core::ffi::{c_int, c_void};

/// Frames kept from the top of the stack.
pub const HEAD: usize = 48;
/// Frames kept from the bottom of the stack.
pub const TAIL: usize = 16;
/// Frames walked at most.
pub const MAX_WALK: usize = 1_000_000;

#[allow(non_camel_case_types)]
type _Unwind_Trace_Fn = extern "C" fn(ctx: *mut c_void, arg: *mut c_void) -> c_int;

// The cdylib carries its own copy of libgcc's unwinder (the static `libgcc_eh.a`, which the
// compiler driver always has): linking it before std's `-lgcc_s` satisfies every `_Unwind_*`
// reference, so `--as-needed` drops `libgcc_s.so.1` and loading the preload maps one object
// instead of two (the largest part of its start-up cost). Same code, same lock-free lookups.
#[cfg_attr(
    all(feature = "preload", not(test)),
    link(name = "gcc_eh", kind = "static", modifiers = "-bundle")
)]
extern "C" {
    fn _Unwind_Backtrace(trace: _Unwind_Trace_Fn, arg: *mut c_void) -> c_int;
    fn _Unwind_GetIPInfo(ctx: *mut c_void, ip_before_insn: *mut c_int) -> usize;
    fn _Unwind_GetRegionStart(ctx: *mut c_void) -> usize;
}

const URC_NO_REASON: c_int = 0;
const URC_END_OF_STACK: c_int = 5;

/// One frame: its instruction address and whether it is exact (the faulting instruction,
/// or the frame of a signal) rather than a return address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Frame {
    /// Index from the faulting frame (0).
    pub index: usize,
    /// The address.
    pub pc: u64,
    /// An exact instruction address, not a return address.
    pub exact: bool,
}

/// A backtrace with a possible gap in the middle.
#[derive(Debug)]
pub struct Backtrace {
    head: [Frame; HEAD],
    head_len: usize,
    tail: [Frame; TAIL],
    /// Frames seen in total (after the fault frame was found).
    pub total: usize,
    /// False when the walk never reached the faulting frame (its pc was not in code with
    /// unwind tables): the frames then come from [`Backtrace::fallback`].
    pub found_fault: bool,
}

impl Backtrace {
    /// Empty.
    pub const fn new() -> Self {
        Backtrace {
            head: [Frame {
                index: 0,
                pc: 0,
                exact: false,
            }; HEAD],
            head_len: 0,
            tail: [Frame {
                index: 0,
                pc: 0,
                exact: false,
            }; TAIL],
            total: 0,
            found_fault: false,
        }
    }

    fn push(&mut self, pc: u64, exact: bool) {
        let f = Frame {
            index: self.total,
            pc,
            exact,
        };
        if self.head_len < HEAD {
            self.head[self.head_len] = f;
            self.head_len += 1;
        } else {
            self.tail[(self.total - HEAD) % TAIL] = f;
        }
        self.total += 1;
    }

    /// The kept frames in order; a jump in `index` marks omitted frames.
    pub fn frames(&self) -> impl Iterator<Item = Frame> + '_ {
        let tail_len = self.total.saturating_sub(HEAD).min(TAIL);
        let tail_first = self.total.saturating_sub(tail_len);
        self.head[..self.head_len]
            .iter()
            .copied()
            .chain((tail_first..self.total).map(move |i| self.tail[(i - HEAD) % TAIL]))
    }

    /// Walks the stack of the interrupted code, from the frame whose pc is `fault_pc`.
    /// Must be called from the signal handler (the walk starts in the handler's own frames).
    /// Frames after the first that belong to the function starting at `hide` (our own thread
    /// trampoline, which calls the program's thread function) are left out.
    pub fn capture(&mut self, fault_pc: u64, hide: u64) {
        *self = Backtrace::new();
        let mut walk = Walk {
            bt: self,
            fault_pc,
            seen: 0,
            hide,
        };
        // SAFETY: the callback only reads the context it is given and writes into `walk`,
        // which outlives the call.
        unsafe { _Unwind_Backtrace(on_frame, &mut walk as *mut Walk<'_> as *mut c_void) };
    }

    /// Drops the leading frames whose pc is in `[lo, hi)` (the allocator's own frames above a
    /// misuse it reported: the program's frame that called it comes first).
    pub fn drop_leading_in(&mut self, lo: u64, hi: u64) {
        let keep: usize = self
            .frames()
            .take_while(|f| (lo..hi).contains(&f.pc))
            .count();
        if keep == 0 || keep >= self.head_len {
            return;
        }
        let mut rest = Backtrace::new();
        for f in self.frames().skip(keep) {
            rest.push(f.pc, false);
        }
        rest.found_fault = self.found_fault;
        *self = rest;
    }

    /// Makes this the backtrace of `pcs`, return addresses innermost first (a block's
    /// allocation stack, recorded by the allocator).
    pub fn set_return_addresses(&mut self, pcs: &[u64]) {
        *self = Backtrace::new();
        for &pc in pcs {
            self.push(pc, false);
        }
        self.found_fault = true;
    }

    /// When the walk could not reach the faulting frame (a jump to a bad address, code
    /// without unwind tables): the pc itself, then the return address a `call` just pushed.
    pub fn fallback(&mut self, pc: u64, sp: u64) {
        *self = Backtrace::new();
        self.push(pc, true);
        if let Some(ret) = crate::sys::read_u64(sp) {
            if ret != 0 {
                self.push(ret, false);
            }
        }
    }
}

impl Default for Backtrace {
    fn default() -> Self {
        Self::new()
    }
}

struct Walk<'a> {
    bt: &'a mut Backtrace,
    fault_pc: u64,
    seen: usize,
    hide: u64,
}

extern "C" fn on_frame(ctx: *mut c_void, arg: *mut c_void) -> c_int {
    // SAFETY: arg is the `Walk` passed to _Unwind_Backtrace, alive and not aliased meanwhile.
    let walk = unsafe { &mut *(arg as *mut Walk<'_>) };
    let mut before: c_int = 0;
    // SAFETY: ctx is the unwinder's live context for this frame.
    let ip = unsafe { _Unwind_GetIPInfo(ctx, &mut before) } as u64;
    walk.seen += 1;
    if walk.seen > MAX_WALK {
        return URC_END_OF_STACK;
    }
    if !walk.bt.found_fault {
        // The handler's frames and the signal trampoline come first; the interrupted
        // frame is the one whose (exact) ip is the faulting pc.
        if ip == walk.fault_pc {
            walk.bt.found_fault = true;
            walk.bt.push(ip, true);
        }
        return URC_NO_REASON;
    }
    if ip == 0 {
        return URC_END_OF_STACK;
    }
    // SAFETY: ctx is the unwinder's live context for this frame.
    let func = unsafe { _Unwind_GetRegionStart(ctx) } as u64;
    if walk.hide == 0 || func != walk.hide {
        walk.bt.push(ip, before != 0);
    }
    URC_NO_REASON
}

extern "C" fn count_frame(_ctx: *mut c_void, arg: *mut c_void) -> c_int {
    // SAFETY: arg is the counter passed by warm_up.
    unsafe { *(arg as *mut usize) += 1 };
    URC_NO_REASON
}

/// Runs the unwinder once from here; returns the number of frames it walked.
pub fn warm_up() -> usize {
    let mut n = 0usize;
    // SAFETY: the callback only increments the counter that outlives the call.
    unsafe { _Unwind_Backtrace(count_frame, &mut n as *mut usize as *mut c_void) };
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_head_and_tail_of_deep_stacks() {
        let mut bt = Backtrace::new();
        for i in 0..200u64 {
            bt.push(i, i == 0);
        }
        let frames: Vec<_> = bt.frames().collect();
        assert_eq!(frames.len(), HEAD + TAIL);
        assert_eq!(frames[0].pc, 0);
        assert_eq!(frames[HEAD - 1].index, HEAD - 1);
        assert_eq!(frames[HEAD].index, 200 - TAIL);
        assert_eq!(frames.last().unwrap().pc, 199);
    }

    #[test]
    fn short_stacks_are_whole() {
        let mut bt = Backtrace::new();
        for i in 0..5u64 {
            bt.push(i, false);
        }
        assert_eq!(
            bt.frames().map(|f| f.pc).collect::<Vec<_>>(),
            [0, 1, 2, 3, 4]
        );
    }

    #[test]
    fn warm_up_walks_this_stack() {
        assert!(warm_up() > 2);
    }
}
