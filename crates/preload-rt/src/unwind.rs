//! In-process stack unwinding from `.eh_frame`, fast enough to run on every allocation.
//!
//! Each return address's unwind rule (where the caller's frame and return address are) is
//! computed once with `gimli` from the object's `.eh_frame_hdr`, found with glibc's lock-free
//! `_dl_find_object`, and cached in a process-wide lock-free table. A cached step is a hash
//! probe and two loads. Rules this unwinder does not model (DWARF expressions, registers
//! other than `rsp`/`rbp` as the frame base, signal frames) end the walk.
//!
//! Nothing here allocates or takes a lock, so it is usable from a malloc hook and, with the
//! registers of the interrupted context, from a signal handler.

use std::ffi::c_void;
use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};

use gimli::{
    BaseAddresses, CfaRule, EhFrame, EhFrameHdr, EndianSlice, NativeEndian, ParsedEhFrameHdr,
    Pointer, Register, RegisterRule, UnwindContext, UnwindContextStorage, UnwindSection,
    UnwindTableRow, X86_64,
};

/// The registers a walk starts from.
#[derive(Debug, Clone, Copy, Default)]
pub struct Regs {
    /// Instruction pointer.
    pub ip: u64,
    /// Stack pointer.
    pub sp: u64,
    /// Frame pointer.
    pub bp: u64,
}

#[repr(C)]
struct DlFindObject {
    flags: u64,
    map_start: *mut c_void,
    map_end: *mut c_void,
    link_map: *mut c_void,
    eh_frame: *mut c_void,
    reserved: [u64; 7],
}

extern "C" {
    // glibc 2.35+: lock-free and async-signal-safe lookup of the object containing `pc`.
    fn _dl_find_object(pc: *mut c_void, result: *mut DlFindObject) -> i32;
}

/// The object (start, end) containing `addr`, if any.
pub fn object_range(addr: u64) -> Option<(u64, u64)> {
    let mut r = std::mem::MaybeUninit::<DlFindObject>::zeroed();
    // SAFETY: r is a valid out-pointer of the documented layout.
    if unsafe { _dl_find_object(addr as *mut c_void, r.as_mut_ptr()) } != 0 {
        return None;
    }
    // SAFETY: _dl_find_object filled it on success.
    let r = unsafe { r.assume_init() };
    Some((r.map_start as u64, r.map_end as u64))
}

// A rule, packed in a u64:
//   bits 0..2   kind: 0 empty, 1 CFA = rsp + off, 2 CFA = rbp + off, 3 stop
//   bits 2..4   rbp: 0 unchanged, 1 saved at CFA + rbp_off, 2 unknown
//   bits 8..16  check byte (from the address) against torn cache entries
//   bits 16..32 rbp_off (i16)
//   bits 32..64 cfa_off (i32)
const KIND_RSP: u64 = 1;
const KIND_RBP: u64 = 2;
const KIND_STOP: u64 = 3;
const BP_SAME: u64 = 0;
const BP_SAVED: u64 = 1;
const BP_UNKNOWN: u64 = 2;
/// With `KIND_STOP`: the frame of this return address is the C start-up code's call of
/// `main` (see [`stop_below_main`]); the walk ends and leaves it out.
const BP_BELOW_MAIN: u64 = 3;

#[inline(always)]
fn hash(addr: u64) -> u64 {
    addr.wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// 8 bits of the address's hash that the slot index does not use.
#[inline(always)]
fn check_byte(addr: u64) -> u64 {
    ((hash(addr) >> 40) & 0xff) | 1
}

fn pack(kind: u64, bp: u64, bp_off: i16, cfa_off: i32, addr: u64) -> u64 {
    kind | bp << 2
        | check_byte(addr) << 8
        | u64::from(bp_off as u16) << 16
        | u64::from(cfa_off as u32) << 32
}

/// A process-wide cache of rules by address. Each slot is `(addr ^ rule, rule)`: a reader
/// accepts a slot only when the two words agree, so a torn write from racing threads reads
/// as a miss (and the rule's check byte guards the rest).
struct Cache {
    slots: AtomicPtr<AtomicU64>,
}

const CACHE_SLOTS: usize = 1 << 16;

static CACHE: Cache = Cache {
    slots: AtomicPtr::new(std::ptr::null_mut()),
};

impl Cache {
    fn slots(&self) -> Option<&'static [AtomicU64]> {
        let mut p = self.slots.load(Ordering::Acquire);
        if p.is_null() {
            let fresh = crate::sys::map_anon(CACHE_SLOTS * 2 * 8)
                .ok()?
                .cast::<AtomicU64>();
            match self.slots.compare_exchange(
                std::ptr::null_mut(),
                fresh,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => p = fresh,
                Err(other) => {
                    // SAFETY: our fresh mapping was never published.
                    unsafe { crate::sys::unmap(fresh.cast(), CACHE_SLOTS * 2 * 8) };
                    p = other;
                }
            }
        }
        // SAFETY: the mapping holds CACHE_SLOTS * 2 zero-initialized u64s and is never freed.
        Some(unsafe { std::slice::from_raw_parts(p, CACHE_SLOTS * 2) })
    }

    #[inline(always)]
    fn index(addr: u64) -> usize {
        // Not the multiplicative hash: this is on the walk's critical path (each frame's
        // lookup waits for the previous frame's return address), and two cheap operations
        // spread code addresses well enough for a cache that checks its keys.
        ((addr ^ (addr >> 16)) & (CACHE_SLOTS as u64 - 1)) as usize
    }

    #[inline(always)]
    fn get(slots: &[AtomicU64], addr: u64) -> Option<u64> {
        let i = Self::index(addr) * 2;
        debug_assert!(i + 1 < slots.len());
        // SAFETY: i < 2 * 2^16 - 1 and the table has 2 * 2^16 slots (CACHE_SLOTS * 2).
        let key = unsafe { slots.get_unchecked(i) }.load(Ordering::Relaxed);
        // SAFETY: i is even (index * 2) and below 2 * 2^16 - 1, so i + 1 < 2 * 2^16 too.
        let rule = unsafe { slots.get_unchecked(i + 1) }.load(Ordering::Relaxed);
        (key ^ rule == addr && (rule >> 8) & 0xff == check_byte(addr)).then_some(rule)
    }

    fn put(slots: &[AtomicU64], addr: u64, rule: u64) {
        let i = Self::index(addr) * 2;
        slots[i + 1].store(rule, Ordering::Relaxed);
        slots[i].store(addr ^ rule, Ordering::Relaxed);
    }
}

/// Forgets every cached rule: call after `dlclose`, whose addresses a later `dlopen` may reuse
/// for other code.
pub fn flush_cache() {
    GENERATION.fetch_add(1, Ordering::AcqRel);
    let p = CACHE.slots.load(Ordering::Acquire);
    if p.is_null() {
        return;
    }
    // SAFETY: the table holds CACHE_SLOTS * 2 u64s and is never freed.
    let slots = unsafe { std::slice::from_raw_parts(p, CACHE_SLOTS * 2) };
    for s in slots {
        // A reader racing with this sees either the old entry or a miss (the key/rule
        // check fails on half-cleared slots).
        s.store(0, Ordering::Relaxed);
    }
}

/// The rule for an address the cache does not have: computed, then cached.
fn compute_and_cache(slots: &[AtomicU64], addr: u64) -> u64 {
    let r = compute_rule(addr);
    Cache::put(slots, addr, r);
    r
}

/// gimli's unwind context, kept on the stack (a few KiB): nothing allocates.
struct OnStack;

impl<T: gimli::ReaderOffset> UnwindContextStorage<T> for OnStack {
    type Rules = [(Register, RegisterRule<T>); 24];
    type Stack = [UnwindTableRow<T, Self>; 4];
}

#[inline(never)]
fn compute_rule(addr: u64) -> u64 {
    compute(addr).unwrap_or_else(|| pack(KIND_STOP, 0, 0, 0, addr))
}

/// An object's unwind tables, as mapped by the loader.
struct Tables {
    hdr: ParsedEhFrameHdr<EndianSlice<'static, NativeEndian>>,
    eh_frame: EhFrame<EndianSlice<'static, NativeEndian>>,
    bases: BaseAddresses,
}

impl Tables {
    /// The tables of the object containing `addr`.
    fn of(addr: u64) -> Option<Tables> {
        let mut r = std::mem::MaybeUninit::<DlFindObject>::zeroed();
        // SAFETY: r is a valid out-pointer of the documented layout.
        if unsafe { _dl_find_object(addr as *mut c_void, r.as_mut_ptr()) } != 0 {
            return None;
        }
        // SAFETY: filled on success.
        let r = unsafe { r.assume_init() };
        let hdr = r.eh_frame as u64;
        let end = r.map_end as u64;
        if hdr == 0 || hdr >= end {
            return None;
        }
        // SAFETY: the loader maps the object's whole span [map_start, map_end), and
        // .eh_frame_hdr (PT_GNU_EH_FRAME) and .eh_frame lie inside it, for as long as the
        // object is loaded. gimli reads only what the tables point to.
        let hdr_bytes: &'static [u8] =
            unsafe { std::slice::from_raw_parts(hdr as *const u8, (end - hdr) as usize) };
        let bases = BaseAddresses::default().set_eh_frame_hdr(hdr);
        let parsed = EhFrameHdr::new(hdr_bytes, NativeEndian)
            .parse(&bases, 8)
            .ok()?;
        let eh_frame_addr = match parsed.eh_frame_ptr() {
            Pointer::Direct(a) => a,
            Pointer::Indirect(_) => return None,
        };
        if eh_frame_addr >= end {
            return None;
        }
        // SAFETY: as above: .eh_frame is inside the mapped object.
        let eh_bytes: &'static [u8] = unsafe {
            std::slice::from_raw_parts(eh_frame_addr as *const u8, (end - eh_frame_addr) as usize)
        };
        Some(Tables {
            hdr: parsed,
            eh_frame: EhFrame::new(eh_bytes, NativeEndian),
            bases: bases.set_eh_frame(eh_frame_addr),
        })
    }
}

fn compute(addr: u64) -> Option<u64> {
    let t = Tables::of(addr)?;
    let (eh_frame, bases) = (&t.eh_frame, &t.bases);
    let table = t.hdr.table()?;
    let mut ctx = UnwindContext::<usize, OnStack>::new_in();
    let row = table
        .unwind_info_for_address(eh_frame, bases, &mut ctx, addr, EhFrame::cie_from_offset)
        .ok()?;
    let (kind, cfa_off) = match *row.cfa() {
        CfaRule::RegisterAndOffset { register, offset } if register == X86_64::RSP => {
            (KIND_RSP, offset)
        }
        CfaRule::RegisterAndOffset { register, offset } if register == X86_64::RBP => {
            (KIND_RBP, offset)
        }
        _ => return None,
    };
    let cfa_off = i32::try_from(cfa_off).ok()?;
    // The walk's fast path trusts an rsp-based rule to move up by a positive, 8-byte aligned
    // amount below MAX_FRAME_SIZE (so sp stays aligned and the walk always ends): other
    // offsets end the walk.
    if kind == KIND_RSP && (cfa_off <= 0 || cfa_off % 8 != 0 || cfa_off as u64 >= MAX_FRAME_SIZE) {
        return None;
    }
    match row.register(X86_64::RA) {
        Some(RegisterRule::Offset(-8)) => {}
        _ => return None,
    }
    let (bp, bp_off) = match row.register(X86_64::RBP) {
        None | Some(RegisterRule::Undefined | RegisterRule::SameValue) => (BP_SAME, 0),
        Some(RegisterRule::Offset(o)) => (BP_SAVED, i16::try_from(o).ok()?),
        _ => (BP_UNKNOWN, 0),
    };
    Some(pack(kind, bp, bp_off, cfa_off, addr))
}

/// Where `__libc_start_main` (the function) and the object holding it (libc) lie, when
/// walks stop at `main`; all zero when they don't.
static START_FN: [AtomicU64; 2] = [AtomicU64::new(0), AtomicU64::new(0)];
static START_LIB: [AtomicU64; 2] = [AtomicU64::new(0), AtomicU64::new(0)];

extern "C" {
    // glibc's start-up: `_start` calls it, and it calls `main` through a helper of libc's
    // own (`__libc_start_call_main` since glibc 2.34), which also calls `exit`.
    fn __libc_start_main();
}

/// Makes walks stop at `main`, like valgrind's default (`--show-below-main=no`): the
/// frames of glibc's start-up code below it (`__libc_start_call_main`,
/// `__libc_start_main`, `_start`) are the same in every backtrace of the main thread and
/// say nothing, so they are left out, and the walk saves their steps. Frames called by
/// `__libc_start_main` that are not in libc (the program's constructors) are kept. Call
/// before walking; without it (or where glibc's start-up is not found) walks go on to
/// `_start`.
pub fn stop_below_main() {
    let f = __libc_start_main as unsafe extern "C" fn() as usize as u64;
    let (Some((lo, hi)), Some((lib_lo, lib_hi))) = (function_range(f), object_range(f)) else {
        return;
    };
    START_LIB[0].store(lib_lo, Ordering::Relaxed);
    START_LIB[1].store(lib_hi, Ordering::Relaxed);
    START_FN[0].store(lo, Ordering::Relaxed);
    START_FN[1].store(hi, Ordering::Relaxed);
}

#[inline]
fn within(range: &[AtomicU64; 2], addr: u64) -> bool {
    addr >= range[0].load(Ordering::Relaxed) && addr < range[1].load(Ordering::Relaxed)
}

/// Is the frame at `ip` (a return address, whose caller's return address is `next`)
/// libc's call of `main` (or of `exit` after it)? Then `next` is in `__libc_start_main`
/// and `ip` in libc; a constructor called from there is not in libc.
fn is_below_main(ip: u64, next: u64) -> bool {
    within(&START_FN, next) && within(&START_LIB, ip)
}

/// A frame's registers for [`step_full`], by DWARF register number (x86-64: `rbx` 3, `rbp` 6,
/// `rsp` 7, `r12`-`r15` 12-15, the return address 16); the others are not kept.
#[derive(Debug, Clone, Copy, Default)]
pub struct FullRegs {
    /// Instruction pointer: a return address except in the first frame.
    pub ip: u64,
    /// The registers, indexed by DWARF number.
    pub r: [u64; 17],
}

impl FullRegs {
    /// The callee-saved registers (`rbx`, `rbp`, `r12`-`r15`).
    pub fn callee_saved(&self) -> [u64; 6] {
        let r = &self.r;
        [r[3], r[6], r[12], r[13], r[14], r[15]]
    }

    /// The stack pointer.
    pub fn sp(&self) -> u64 {
        self.r[7]
    }
}

/// One step up the stack restoring the callee-saved registers too (from `.eh_frame`, as a
/// debugger unwinds: slow, for a few frames at a time): `regs` becomes the caller's, its
/// `ip` the return address. `first`: `regs.ip` is the current instruction of the innermost
/// frame, not a return address. `None` when a rule is one this does not model (the
/// registers then are unchanged) or a saved value cannot be read.
pub fn step_full(regs: &mut FullRegs, first: bool) -> Option<()> {
    const KEPT: [u16; 6] = [3, 6, 12, 13, 14, 15];
    let addr = if first {
        regs.ip
    } else {
        regs.ip.checked_sub(1)?
    };
    let t = Tables::of(addr)?;
    let table = t.hdr.table()?;
    let mut ctx = UnwindContext::<usize, OnStack>::new_in();
    let row = table
        .unwind_info_for_address(
            &t.eh_frame,
            &t.bases,
            &mut ctx,
            addr,
            EhFrame::cie_from_offset,
        )
        .ok()?;
    let value = |r: Register| regs.r.get(usize::from(r.0)).copied();
    let cfa = match *row.cfa() {
        CfaRule::RegisterAndOffset { register, offset } => {
            value(register)?.checked_add_signed(offset)?
        }
        CfaRule::Expression(_) => return None,
    };
    let read = |at: u64| crate::sys::read_u64(at);
    let mut next = *regs;
    for reg in KEPT.into_iter().chain([16]) {
        let rule = row.register(Register(reg));
        next.r[usize::from(reg)] = match rule {
            None | Some(RegisterRule::Undefined) if reg == 16 => return None,
            None | Some(RegisterRule::Undefined | RegisterRule::SameValue) => {
                regs.r[usize::from(reg)]
            }
            Some(RegisterRule::Offset(o)) => read(cfa.checked_add_signed(o)?)?,
            Some(RegisterRule::ValOffset(o)) => cfa.checked_add_signed(o)?,
            Some(RegisterRule::Register(from)) => value(from)?,
            Some(_) => return None,
        };
    }
    next.r[7] = cfa;
    next.ip = next.r[16];
    if cfa <= regs.r[7] || cfa - regs.r[7] >= MAX_FRAME_SIZE {
        return None;
    }
    *regs = next;
    Some(())
}

/// The start and end of the function containing `addr`, from its FDE.
pub fn function_range(addr: u64) -> Option<(u64, u64)> {
    let t = Tables::of(addr)?;
    let table = t.hdr.table()?;
    let fde = table
        .fde_for_address(&t.eh_frame, &t.bases, addr, EhFrame::cie_from_offset)
        .ok()?;
    Some((fde.initial_address(), fde.end_address()))
}

/// The most a frame may be above the previous one: a larger jump means a bad rule.
const MAX_FRAME_SIZE: u64 = 64 << 20;

/// Walks the stack from `regs`, writing return addresses into `out` (innermost first) and
/// skipping leading frames inside `[skip.0, skip.1)` (the preload library itself).
/// Returns the number written.
pub fn unwind_from(regs: Regs, skip: (u64, u64), out: &mut [u64]) -> usize {
    // SAFETY: MaybeUninit<u64> has u64's layout, and every u64 is a valid MaybeUninit.
    let out = unsafe { &mut *(out as *mut [u64] as *mut [MaybeUninit<u64>]) };
    unwind_into(regs, skip, out).len()
}

/// [`unwind_from`] into uninitialized space (no need to zero a big frame buffer for every
/// allocation); returns the frames written.
pub fn unwind_into(regs: Regs, skip: (u64, u64), out: &mut [MaybeUninit<u64>]) -> &[u64] {
    walk::<false>(regs, skip, out, &mut Trace::new())
}

/// [`unwind_into`], also noting in `trace` the stack cells the walk read (see [`Trace`]).
pub fn unwind_traced<'a>(
    regs: Regs,
    skip: (u64, u64),
    out: &'a mut [MaybeUninit<u64>],
    trace: &mut Trace,
) -> &'a [u64] {
    walk::<true>(regs, skip, out, trace)
}

/// Stack cells a traced walk read: at most this many are kept.
pub const TRACE_CELLS: usize = 128;

/// What a walk's result depends on: the stack cells it read, as (offset from the starting
/// `sp`, value), in an order where each cell's place follows from the values before it (a
/// return address, or a saved `rbp` that a frame-pointer rule later used as a frame base;
/// saved `rbp`s no rule used are not noted, since the walk does not depend on them), and,
/// when a frame-pointer rule used the starting `rbp` itself, that `rbp`. When `complete`, a
/// walk from the same `ip` and `sp` (and `rbp`, when it was used) that finds the same values
/// in these cells, checked in this order, takes the same steps and gives the same frames
/// (every rule it used is a function of the address it was looked up for, and locates the
/// next cell from `sp`, or from `rbp` whose value is checked), as long as the rules are the
/// same ([`generation`]). Checking them in order reads only cells the walk itself would read,
/// so it is as safe as walking.
#[derive(Debug)]
pub struct Trace {
    /// `sp` where the walk started.
    sp0: u64,
    len: usize,
    /// The addresses and values of the cells read. The first `len` are set (the rest left
    /// uninitialized: a trace is made for every walk that is not remembered, and zeroing it
    /// would cost more than the notes).
    addrs: [MaybeUninit<u64>; TRACE_CELLS],
    vals: [MaybeUninit<u64>; TRACE_CELLS],
    /// The starting `rbp`, when a frame-pointer rule used it.
    bp0: Option<u64>,
    complete: bool,
}

impl Trace {
    /// Nothing noted yet.
    #[inline(always)]
    pub fn new() -> Trace {
        // Only the scalars are written: built as a struct literal, the arrays' undefined
        // bytes let the compiler fold them with `complete` into one memset.
        let mut t = MaybeUninit::<Trace>::uninit();
        let p = t.as_mut_ptr();
        // Each field's address is taken without reading or referencing the uninitialized
        // whole: `p` is the address of the local `t`, so every projection stays inside it.
        // SAFETY: `p` points at `t`, live and aligned; only the place is formed, not read.
        let sp0 = unsafe { std::ptr::addr_of_mut!((*p).sp0) };
        // SAFETY: `sp0` is an aligned field of `t`, writable; a write needs no prior value.
        unsafe { sp0.write(0) };
        // SAFETY: as for `sp0`: a field place of the live local `t`.
        let len = unsafe { std::ptr::addr_of_mut!((*p).len) };
        // SAFETY: an aligned, writable field of `t`.
        unsafe { len.write(0) };
        // SAFETY: as for `sp0`: a field place of the live local `t`.
        let bp0 = unsafe { std::ptr::addr_of_mut!((*p).bp0) };
        // SAFETY: an aligned, writable field of `t`.
        unsafe { bp0.write(None) };
        // SAFETY: as for `sp0`: a field place of the live local `t`.
        let complete = unsafe { std::ptr::addr_of_mut!((*p).complete) };
        // SAFETY: an aligned, writable field of `t`.
        unsafe { complete.write(true) };
        // SAFETY: the scalars were written just above; the arrays are MaybeUninit, valid
        // uninitialized, so the whole is initialized.
        unsafe { t.assume_init() }
    }

    /// True when every cell the walk depended on was kept.
    pub fn complete(&self) -> bool {
        self.complete
    }

    /// The starting `rbp`, when the walk depended on it (a frame-pointer rule used it before
    /// any saved `rbp` was read).
    pub fn start_bp(&self) -> Option<u64> {
        self.bp0
    }

    /// The cells the walk depended on, as (offset from the starting `sp`, value), in the
    /// order to check them: at most [`TRACE_CELLS`].
    pub fn cells(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        (0..self.len).map(move |i| {
            // SAFETY: i < len, and `note` wrote the first `len` of `addrs`.
            let addr = unsafe { self.addrs[i].assume_init() };
            // SAFETY: `note` writes `vals` alongside `addrs`, so its first `len` are written too.
            let val = unsafe { self.vals[i].assume_init() };
            (addr.wrapping_sub(self.sp0), val)
        })
    }

    /// Notes a cell the walk depends on.
    #[inline(always)]
    fn note(&mut self, addr: u64, val: u64) {
        if self.len < TRACE_CELLS {
            self.addrs[self.len].write(addr);
            self.vals[self.len].write(val);
            self.len += 1;
        } else {
            self.complete = false;
        }
    }

    /// Notes what a step read: the frame base `rbp` it used (where that came from) and the
    /// return address, when it read one (`sp` moved from `last_sp`).
    #[inline(always)]
    fn note_step(&mut self, w: &mut Walk, last_sp: u64) {
        if let Some((cell, val)) = w.bp_used.take() {
            if cell == 0 {
                self.bp0 = Some(val);
            } else {
                self.note(cell, val);
            }
        }
        if w.sp != last_sp {
            // A step that moved `sp` up read the return address just below its new value.
            self.note(w.sp.wrapping_sub(8), w.ip);
        }
    }
}

impl Default for Trace {
    fn default() -> Self {
        Self::new()
    }
}

static GENERATION: AtomicU64 = AtomicU64::new(0);

/// Changes whenever cached rules are dropped ([`flush_cache`]): a [`Trace`] taken in an
/// older generation may describe code that is gone.
#[inline]
pub fn generation() -> u64 {
    GENERATION.load(Ordering::Acquire)
}

#[inline(always)]
fn walk<'a, const TRACE: bool>(
    regs: Regs,
    skip: (u64, u64),
    out: &'a mut [MaybeUninit<u64>],
    trace: &mut Trace,
) -> &'a [u64] {
    let Some(slots) = CACHE.slots() else {
        return &[];
    };
    if TRACE {
        trace.sp0 = regs.sp;
    }
    let mut w = Walk {
        ip: regs.ip,
        sp: regs.sp,
        bp: regs.bp,
        bp_known: true,
        // The first frame's address is where the registers were taken; every later one is
        // a return address, which points after its call: look up the call instruction.
        lookup: regs.ip,
        below_main: false,
        bp_cell: 0,
        bp_used: None,
    };
    let mut n = 0;
    if skip.0 < skip.1 {
        // Leading frames inside `skip` (the preload library's own, at most 64 of them) are
        // left out.
        let mut spare = 64;
        loop {
            let last_sp = w.sp;
            if spare == 0 || !w.step(slots) {
                return &[];
            }
            if TRACE {
                trace.note_step(&mut w, last_sp);
            }
            spare -= 1;
            if w.ip < skip.0 || w.ip >= skip.1 {
                break;
            }
        }
        let Some(first) = out.first_mut() else {
            return &[];
        };
        first.write(w.ip);
        n = 1;
    }
    // Every further step emits a frame or ends the walk.
    while n < out.len() {
        let last_sp = w.sp;
        let more = w.step(slots);
        if TRACE {
            trace.note_step(&mut w, last_sp);
        }
        if !more {
            break;
        }
        out[n].write(w.ip);
        n += 1;
    }
    if w.below_main {
        n = n.saturating_sub(1);
    }
    // SAFETY: the first n elements were written above.
    unsafe { std::slice::from_raw_parts(out.as_ptr().cast::<u64>(), n) }
}

/// The state of a walk between steps.
#[derive(Clone, Copy)]
struct Walk {
    ip: u64,
    sp: u64,
    bp: u64,
    bp_known: bool,
    lookup: u64,
    /// The walk ended on a frame below `main`, which must be left out.
    below_main: bool,
    /// Where `bp` was read from (a saved `rbp` slot), 0 when it is the starting `rbp`.
    bp_cell: u64,
    /// Set by a step that found the frame from `rbp`: (`bp_cell`, `bp`) then, for the trace
    /// (the walk depends on that cell too, or on the starting `rbp`).
    bp_used: Option<(u64, u64)>,
}

impl Walk {
    /// Moves to the caller's frame; false when the walk ends here (no rule, a bad frame, or
    /// a return address below 4096). Afterwards `ip` is the caller's return address.
    #[inline(always)]
    fn step(&mut self, slots: &[AtomicU64]) -> bool {
        let cached = Cache::get(slots, self.lookup);
        // A rule's low byte is its kind and rbp rule (the check byte is above it).
        let cfa = match cached {
            // The common case: CFA = rsp + an offset checked when the rule was computed,
            // rbp unchanged.
            Some(rule) if rule & 0xff == KIND_RSP | BP_SAME << 2 => self.sp + (rule >> 32),
            // The same, with the caller's rbp saved in the frame.
            Some(rule) if rule & 0xff == KIND_RSP | BP_SAVED << 2 => {
                let cfa = self.sp + (rule >> 32);
                let at = cfa.wrapping_add((rule >> 16) as u16 as i16 as i64 as u64);
                // SAFETY: the rule says the caller's rbp was saved at this stack slot.
                self.bp = unsafe { (at as *const u64).read() };
                self.bp_cell = at;
                cfa
            }
            // glibc's start-up code below main (every walk of the main thread ends here).
            Some(rule) if rule & 0xff == KIND_STOP | BP_BELOW_MAIN << 2 => {
                self.below_main = true;
                return false;
            }
            _ => {
                return match self.step_slow(slots, cached) {
                    Step::Next(next) => {
                        *self = next;
                        self.ip >= 4096
                    }
                    Step::End => false,
                    Step::EndAtBp(used) => {
                        self.bp_used = Some(used);
                        false
                    }
                    Step::BelowMain => {
                        self.below_main = true;
                        false
                    }
                };
            }
        };
        // SAFETY: the CFA rule of the current frame says the caller's return address is
        // stored at CFA-8 in this thread's stack, which is above sp and mapped.
        self.ip = unsafe { ((cfa - 8) as *const u64).read() };
        self.sp = cfa;
        self.lookup = self.ip.wrapping_sub(1);
        self.ip >= 4096
    }

    /// [`Walk::step`] for rules off the fast path, `cached` when the cache had it (else it
    /// is computed): the state after the step, or why the walk ends. (By value, so that the
    /// fast path's state can stay in registers.)
    #[cold]
    #[inline(never)]
    fn step_slow(self, slots: &[AtomicU64], cached: Option<u64>) -> Step {
        let mut w = self;
        let rule = match cached {
            Some(rule) if rule & 0xff == KIND_STOP | BP_BELOW_MAIN << 2 => return Step::BelowMain,
            Some(rule) => rule,
            None => compute_and_cache(slots, w.lookup),
        };
        let base = match rule & 3 {
            KIND_RSP => w.sp,
            KIND_RBP if w.bp_known => {
                w.bp_used = Some((w.bp_cell, w.bp));
                w.bp
            }
            _ => return Step::End,
        };
        let cfa = base.wrapping_add((rule >> 32) as u32 as i32 as i64 as u64);
        // The caller's frame is above this one, not absurdly far, and aligned.
        if cfa.wrapping_sub(w.sp).wrapping_sub(1) >= MAX_FRAME_SIZE || cfa & 7 != 0 {
            // (Where the frame base was `rbp`, the walk ends because of its value.)
            return match w.bp_used {
                Some(used) => Step::EndAtBp(used),
                None => Step::End,
            };
        }
        // SAFETY: the CFA rule of the current frame says the caller's return address is
        // stored at CFA-8 in this thread's stack, which is above sp and mapped.
        w.ip = unsafe { ((cfa - 8) as *const u64).read() };
        if cached.is_none() && is_below_main(self.ip, w.ip) {
            // Decided once per return address: later walks find the mark in the cache.
            let mark = pack(KIND_STOP, BP_BELOW_MAIN, 0, 0, self.lookup);
            Cache::put(slots, self.lookup, mark);
            return Step::BelowMain;
        }
        let bp_rule = (rule >> 2) & 3;
        if bp_rule == BP_SAVED {
            let at = cfa.wrapping_add((rule >> 16) as u16 as i16 as i64 as u64);
            // SAFETY: the rule says the caller's rbp was saved at this stack slot.
            w.bp = unsafe { (at as *const u64).read() };
            w.bp_cell = at;
        } else if bp_rule != BP_SAME {
            w.bp_known = false;
        }
        w.sp = cfa;
        w.lookup = w.ip.wrapping_sub(1);
        // (The caller ends the walk when the address is below 4096.)
        Step::Next(w)
    }
}

/// What a slow step found.
enum Step {
    /// The caller's frame (the walk ends there when its return address is below 4096).
    Next(Walk),
    /// The walk ends here.
    End,
    /// The walk ends here, because of the frame base `rbp` read from this cell (0: the
    /// starting `rbp`) with this value.
    EndAtBp((u64, u64)),
    /// The walk ends, and the current frame is glibc's start-up code below `main`.
    BelowMain,
}

/// Walks the calling thread's stack: the return addresses of its callers, innermost first,
/// skipping leading frames inside `skip` (pass the preload library's own range). Returns the
/// number written to `out`.
#[inline(never)]
pub fn backtrace(skip: (u64, u64), out: &mut [u64]) -> usize {
    let regs = here();
    unwind_from(regs, skip, out)
}

/// [`backtrace`] into uninitialized space; returns the frames written.
#[inline(never)]
pub fn backtrace_into(skip: (u64, u64), out: &mut [MaybeUninit<u64>]) -> &[u64] {
    let regs = here();
    unwind_into(regs, skip, out)
}

/// The registers at this point of the caller: `unwind_into(here(), ..)` in a hook starts the
/// walk in the hook's own frame, so the first frame recorded is its caller's.
#[inline(always)]
pub fn here() -> Regs {
    let (ip, sp, bp): (u64, u64, u64);
    // SAFETY: reads rip, rsp and rbp into registers; no memory access, no stack change.
    unsafe {
        std::arch::asm!(
            "lea {ip}, [rip]",
            "mov {sp}, rsp",
            "mov {bp}, rbp",
            ip = out(reg) ip,
            sp = out(reg) sp,
            bp = out(reg) bp,
            options(nomem, nostack, preserves_flags),
        );
    }
    Regs { ip, sp, bp }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[inline(never)]
    fn level3(out: &mut [u64]) -> usize {
        let n = backtrace((0, 0), out);
        std::hint::black_box(n)
    }

    #[inline(never)]
    fn level2(out: &mut [u64]) -> usize {
        std::hint::black_box(level3(out))
    }

    #[inline(never)]
    fn level1(out: &mut [u64]) -> usize {
        std::hint::black_box(level2(out))
    }

    fn within(f: usize, ip: u64) -> bool {
        ip >= f as u64 && ip < f as u64 + 512
    }

    #[test]
    fn walks_through_known_callers() {
        let mut out = [0u64; 64];
        let n = level1(&mut out);
        assert!(n >= 4, "got only {n} frames");
        // out[0] is in level3 (return from backtrace), then level2, then level1.
        assert!(
            within(level3 as fn(&mut [u64]) -> usize as usize, out[0]),
            "{:x?}",
            &out[..n]
        );
        assert!(
            within(level2 as fn(&mut [u64]) -> usize as usize, out[1]),
            "{:x?}",
            &out[..n]
        );
        assert!(
            within(level1 as fn(&mut [u64]) -> usize as usize, out[2]),
            "{:x?}",
            &out[..n]
        );
        // A second walk (now from the cache) agrees, up to the call sites in this test.
        let mut again = [0u64; 64];
        let m = level1(&mut again);
        assert_eq!(n, m);
        assert_eq!(&out[..3], &again[..3]);
    }

    #[test]
    fn skipping_a_range_drops_leading_frames() {
        let (lo, hi) = object_range(level1 as fn(&mut [u64]) -> usize as usize as u64).unwrap();
        let mut out = [0u64; 64];
        let n = {
            #[inline(never)]
            fn go(lo: u64, hi: u64, out: &mut [u64]) -> usize {
                std::hint::black_box(backtrace((lo, hi), out))
            }
            go(lo, hi, &mut out)
        };
        // Every frame of the test binary is skipped: what remains is libc's thread start.
        assert!(out[..n].iter().all(|&ip| ip < lo || ip >= hi));
    }

    #[test]
    fn rules_pack_round_trip() {
        let r = pack(KIND_RBP, BP_SAVED, -16, 16, 0x1234);
        assert_eq!(r & 3, KIND_RBP);
        assert_eq!((r >> 2) & 3, BP_SAVED);
        assert_eq!((r >> 16) as u16 as i16, -16);
        assert_eq!((r >> 32) as u32 as i32, 16);
    }
}
