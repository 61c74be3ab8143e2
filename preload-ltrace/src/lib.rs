//! ltrace-rs's in-process backend: an `LD_PRELOAD` agent that counts the program's library
//! calls and the time spent in each (`ltrace-rs -c`), or records each entry and return for
//! ltrace-rs to print as call lines ([`wire`], `TRACEKIT_LTRACE_EVENTS`), without a context
//! switch per call.
//!
//! ltrace-rs starts the program with this library preloaded and three variables:
//! `TRACEKIT_LTRACE_FUNCS` (the function names to trace, comma-separated),
//! `TRACEKIT_LTRACE_COUNTS` (a file ltrace-rs created: a [`Header`] and one [`Counter`] per
//! name, in that order, which the agent maps shared so that the counts survive however the
//! program ends) and `TRACEKIT_LTRACE_FOLLOW` (`1`: children count too).
//!
//! At load, the constructor redirects the program's own GOT slots of those functions
//! (preload-rt's [`reloc::patch_program`]: `.plt`/`.plt.sec` slots, lazy or bound, and the
//! `-fno-plt` GLOB_DAT ones) to one small stub per function, `mov r11d, INDEX; jmp [entry]`.
//! The common entry saves the argument registers, counts the call, and swaps the return
//! address for the common exit's, keeping the real one on a per-thread shadow stack (a
//! fixed TLS array: nothing allocates, nothing locks); the exit adds the time spent and
//! returns to the caller. Functions that return twice (`vfork`, `setjmp`) are counted
//! without their return. A frame skipped by `longjmp` is dropped at the next return below it.

// Each `unsafe` block holds one operation, with its own `// SAFETY:` reason.
#![deny(clippy::multiple_unsafe_ops_per_block)]

use std::cell::UnsafeCell;
use std::ffi::CString;
use std::sync::atomic::{compiler_fence, AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering};

use tracekit_preload_rt::reloc;

pub mod arena;
mod events;
pub mod wire;

#[cfg(not(test))]
#[global_allocator]
static ALLOCATOR: arena::Arena = arena::Arena::new();

/// The counts file's first word.
pub const MAGIC: u64 = u64::from_le_bytes(*b"TKLTCNT1");

/// The counts file's header.
#[repr(C)]
#[derive(Debug)]
pub struct Header {
    /// [`MAGIC`].
    pub magic: AtomicU64,
    /// The number of [`Counter`]s that follow.
    pub functions: AtomicU64,
    /// The process counting (the first to load the agent; with `TRACEKIT_LTRACE_FOLLOW`
    /// unset, other processes that load it, children that exec, count nothing).
    pub pid: AtomicU64,
    /// Calls whose return could not be followed (the shadow stack was full).
    pub untimed: AtomicU64,
}

/// One function's totals in the counts file.
#[repr(C)]
#[derive(Debug)]
pub struct Counter {
    /// Calls.
    pub calls: AtomicU64,
    /// Nanoseconds between the calls' entries and returns.
    pub nanos: AtomicU64,
}

/// Functions that may return twice (or return into a frame the caller no longer has): their
/// return address is left alone, and they are counted at their entry.
const RETURNS_TWICE: &[&str] = &[
    "vfork",
    "setjmp",
    "_setjmp",
    "sigsetjmp",
    "__sigsetjmp",
    "getcontext",
    "swapcontext",
    "savectx",
];

/// Functions that leave by unwinding or jumping, never by returning: their return address is
/// left alone (the unwinder must find the caller's frame through it) and, as with every call
/// that does not return, they are not counted (ltrace and the ptrace backend count returns).
const NEVER_RETURN: &[&str] = &[
    "__cxa_throw",
    "__cxa_rethrow",
    "_Unwind_Resume",
    "_Unwind_RaiseException",
    "_Unwind_Resume_or_Rethrow",
    "_Unwind_ForcedUnwind",
    "longjmp",
    "_longjmp",
    "siglongjmp",
    "__longjmp_chk",
    "pthread_exit",
];

/// What happens at a call of a function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Counted and timed at its return.
    Normal,
    /// Counted at its entry ([`RETURNS_TWICE`]).
    Twice,
    /// Not counted, return untouched ([`NEVER_RETURN`], libstdc++'s `std::__throw_*`).
    Never,
}

fn kind(name: &str) -> Kind {
    if RETURNS_TWICE.contains(&name) {
        Kind::Twice
    } else if NEVER_RETURN.contains(&name) || name.contains("__throw_") {
        Kind::Never
    } else {
        Kind::Normal
    }
}

/// One traced function.
#[derive(Debug, Clone, Copy)]
struct Func {
    real: usize,
    kind: Kind,
    /// A [`Kind::Twice`] function whose first return is always 0 (all but `vfork`).
    first_returns_zero: bool,
}

static FUNCS: AtomicPtr<Func> = AtomicPtr::new(std::ptr::null_mut());
static HEADER: AtomicPtr<Header> = AtomicPtr::new(std::ptr::null_mut());
static ON: AtomicBool = AtomicBool::new(false);
/// Other threads than the main one count too (`-f`).
static FOLLOW: AtomicBool = AtomicBool::new(false);
/// The program's address range (its first to its last `PT_LOAD`): calls from there count.
static PROG_LO: AtomicUsize = AtomicUsize::new(0);
static PROG_HI: AtomicUsize = AtomicUsize::new(0);
/// The process id at load (the main thread's id).
static PID: AtomicU64 = AtomicU64::new(0);

/// Calls in flight per thread, at most.
const DEPTH: usize = 256;

#[derive(Debug, Clone, Copy)]
pub(crate) struct Frame {
    /// Where the return address was on the stack (the caller's `rsp` after its `call`).
    slot: usize,
    ret: usize,
    index: usize,
    start: u64,
    /// The argument registers at the entry (for what call lines read at the return).
    args: [u64; 6],
}

#[derive(Debug)]
struct Shadow {
    /// Whether this thread counts: 0 not known yet, 1 yes, 2 no (a thread other than the
    /// main one, without `-f`, as ltrace).
    counts: u8,
    depth: usize,
    frames: [Frame; DEPTH],
}

const NO_FRAME: Frame = Frame {
    slot: 0,
    ret: 0,
    index: 0,
    start: 0,
    args: [0; 6],
};

thread_local! {
    // Constant-initialized, no destructor: touching it never allocates or registers one.
    static SHADOW: UnsafeCell<Shadow> = const {
        UnsafeCell::new(Shadow { counts: 0, depth: 0, frames: [NO_FRAME; DEPTH] })
    };
}

fn now() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid out-pointer; CLOCK_MONOTONIC always exists (a vDSO call).
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

fn counter(index: usize) -> Option<&'static Counter> {
    let h = HEADER.load(Ordering::Acquire);
    if h.is_null() {
        return None;
    }
    // HEADER points at the shared mapping set up by `init` (never unmapped), whose header
    // says how many counters follow; `index` comes from a stub made for one of them.
    let c = h.wrapping_add(1).cast::<Counter>().wrapping_add(index);
    // SAFETY: as above: in bounds, aligned, live for the process.
    Some(unsafe { &*c })
}

fn header() -> Option<&'static Header> {
    let h = HEADER.load(Ordering::Acquire);
    // SAFETY: null or the shared mapping `init` made, never unmapped.
    unsafe { h.as_ref() }
}

fn func(index: usize) -> Func {
    let f = FUNCS.load(Ordering::Acquire);
    // SAFETY: FUNCS is set before any stub exists and never freed; `index` comes from a stub
    // made for entry `index`.
    unsafe { *f.wrapping_add(index) }
}

/// The registers the common entry saved, lowest address first.
#[repr(C)]
struct Saved {
    xmm: [u64; 16],
    r9: u64,
    r8: u64,
    rcx: u64,
    rdx: u64,
    rsi: u64,
    rdi: u64,
    rax: u64,
}

/// The common entry's Rust half: counts the call of function `index` (and records its entry
/// for call lines) and, unless the shadow stack is full, swaps the return address at `slot`
/// for the exit's. `saved` holds the argument registers. Returns the function.
extern "C" fn lt_enter(index: usize, slot: *mut usize, saved: *const Saved) -> usize {
    let f = func(index);
    if !ON.load(Ordering::Relaxed) {
        return f.real;
    }
    // SAFETY: `slot` is the return-address slot of this call (the entry stub computed it from
    // its stack pointer), which the caller's `call` wrote.
    let ret = unsafe { *slot };
    // A pointer the program took from its GOT (`-fno-plt` slots, `&puts`) may be called by a
    // library (atexit handlers, iostream manipulators): those are not the program's calls.
    if !(PROG_LO.load(Ordering::Relaxed)..PROG_HI.load(Ordering::Relaxed)).contains(&ret) {
        return f.real;
    }
    // A call made while this thread records an event (a signal handler's) is not traced.
    if events::busy() {
        return f.real;
    }
    SHADOW.with(|s| {
        let s = s.get();
        // SAFETY: this thread's shadow stack.
        let mut counts = unsafe { (*s).counts };
        if counts == 0 {
            // SAFETY: gettid has no preconditions.
            let tid = unsafe { libc::gettid() } as u64;
            counts = if FOLLOW.load(Ordering::Relaxed) || tid == PID.load(Ordering::Relaxed) {
                1
            } else {
                2
            };
            // SAFETY: as above.
            unsafe { (*s).counts = counts };
        }
        if counts != 1 {
            return;
        }
        // SAFETY: the registers the entry saved, on this thread's stack for this call.
        let r = unsafe { &*saved };
        let args = [r.rdi, r.rsi, r.rdx, r.rcx, r.r8, r.r9];
        let xmm: [u64; 8] = std::array::from_fn(|i| r.xmm[2 * i]);
        // SAFETY: as above; a signal handler that runs between the steps below sees the
        // depth already raised and uses the frames above ours.
        let depth = unsafe { (*s).depth };
        if f.kind != Kind::Normal || depth == DEPTH {
            if f.kind == Kind::Twice || f.kind == Kind::Normal {
                if let Some(c) = counter(index) {
                    c.calls.fetch_add(1, Ordering::Relaxed);
                }
            }
            if let Some(h) = header().filter(|_| depth == DEPTH) {
                h.untimed.fetch_add(1, Ordering::Relaxed);
            }
            let t = now();
            if f.kind == Kind::Twice && f.first_returns_zero {
                // `setjmp` and `getcontext` return 0 the first time: the line is complete, as
                // the ptrace backend prints it (their second return is not followed).
                events::entry(
                    wire::KIND_ENTRY,
                    index,
                    depth,
                    ret,
                    slot as usize,
                    (&args, &xmm),
                    t,
                );
                let frame = Frame {
                    slot: slot as usize,
                    ret,
                    index,
                    start: t,
                    args,
                };
                events::exit(&frame, depth, 0, 0, t);
            } else {
                events::entry(
                    wire::KIND_NORET,
                    index,
                    depth,
                    ret,
                    slot as usize,
                    (&args, &xmm),
                    t,
                );
            }
            return;
        }
        let start = now();
        // SAFETY: as above.
        unsafe { (*s).depth = depth + 1 };
        compiler_fence(Ordering::SeqCst);
        let frame = Frame {
            slot: slot as usize,
            ret,
            index,
            start,
            args,
        };
        // SAFETY: as above; index checked against DEPTH.
        unsafe { (*s).frames[depth] = frame };
        compiler_fence(Ordering::SeqCst);
        events::entry(
            wire::KIND_ENTRY,
            index,
            depth,
            ret,
            slot as usize,
            (&args, &xmm),
            start,
        );
        // SAFETY: the return-address slot of this call (see above).
        unsafe { *slot = tracekit_lt_exit as *const () as usize };
    });
    f.real
}

/// The common exit's Rust half: `sp` is the stack pointer after the function returned (its
/// return-address slot + 8), `rax` and `xmm0` (its low 8 bytes) what it returned. Adds the
/// time spent (records the return for call lines) and returns the real return address.
extern "C" fn lt_leave(sp: usize, rax: u64, xmm0: u64) -> usize {
    let end = now();
    let slot = sp - 8;
    SHADOW.with(|s| {
        let s = s.get();
        // SAFETY: this thread's shadow stack (see `lt_enter`).
        let mut depth = unsafe { (*s).depth };
        while depth > 0 {
            // SAFETY: as above, `depth - 1` is in bounds.
            let f = unsafe { (*s).frames[depth - 1] };
            if f.slot < slot {
                // A frame deeper than ours that never returned (`longjmp`, an exception).
                depth -= 1;
                continue;
            }
            compiler_fence(Ordering::SeqCst);
            // SAFETY: as above.
            unsafe { (*s).depth = depth - 1 };
            if f.slot == slot {
                // A fork child that does not count still returns through here.
                if !ON.load(Ordering::Relaxed) {
                    return f.ret;
                }
                if let Some(c) = counter(f.index) {
                    c.calls.fetch_add(1, Ordering::Relaxed);
                    c.nanos
                        .fetch_add(end.saturating_sub(f.start), Ordering::Relaxed);
                }
                events::exit(&f, depth - 1, rax, xmm0, end);
                return f.ret;
            }
            break;
        }
        lost()
    })
}

/// A return through the exit with no frame for it: nothing to return to.
fn lost() -> ! {
    let msg = b"ltrace-rs agent: a traced call returned with no record of its caller\n";
    // SAFETY: writing a static buffer to stderr.
    let _ = unsafe { libc::write(2, msg.as_ptr().cast(), msg.len()) };
    // SAFETY: abort has no preconditions.
    unsafe { libc::abort() }
}

extern "C" {
    fn tracekit_lt_entry();
    fn tracekit_lt_exit();
}

// The stubs jump to the entry with the function's index in r11 (free at a call: not an
// argument register). The entry saves what carries arguments (rdi..r9, rax for variadic
// calls, xmm0-7), calls `lt_enter` with the index and the return-address slot, restores and
// jumps to the function. The exit saves the return registers (rax, rdx, xmm0-1) and the
// other integer registers a callee may leave anything in (so that the caller finds what the
// function left, as without the agent), calls `lt_leave` and jumps back to the caller. Stack alignment: 16 at both calls.
std::arch::global_asm!(
    ".text",
    ".p2align 4",
    ".globl tracekit_lt_entry",
    ".hidden tracekit_lt_entry",
    "tracekit_lt_entry:",
    "push rax",
    "push rdi",
    "push rsi",
    "push rdx",
    "push rcx",
    "push r8",
    "push r9",
    "sub rsp, 128",
    "movdqu [rsp], xmm0",
    "movdqu [rsp + 16], xmm1",
    "movdqu [rsp + 32], xmm2",
    "movdqu [rsp + 48], xmm3",
    "movdqu [rsp + 64], xmm4",
    "movdqu [rsp + 80], xmm5",
    "movdqu [rsp + 96], xmm6",
    "movdqu [rsp + 112], xmm7",
    "mov rdi, r11",
    "lea rsi, [rsp + 184]",
    "mov rdx, rsp",
    "call {enter}",
    "mov r11, rax",
    "movdqu xmm0, [rsp]",
    "movdqu xmm1, [rsp + 16]",
    "movdqu xmm2, [rsp + 32]",
    "movdqu xmm3, [rsp + 48]",
    "movdqu xmm4, [rsp + 64]",
    "movdqu xmm5, [rsp + 80]",
    "movdqu xmm6, [rsp + 96]",
    "movdqu xmm7, [rsp + 112]",
    "add rsp, 128",
    "pop r9",
    "pop r8",
    "pop rcx",
    "pop rdx",
    "pop rsi",
    "pop rdi",
    "pop rax",
    "jmp r11",
    ".p2align 4",
    ".globl tracekit_lt_exit",
    ".hidden tracekit_lt_exit",
    "tracekit_lt_exit:",
    "push rax",
    "push rdx",
    "push rdi",
    "push rsi",
    "push rcx",
    "push r8",
    "push r9",
    "push r10",
    "sub rsp, 32",
    "movdqu [rsp], xmm0",
    "movdqu [rsp + 16], xmm1",
    "lea rdi, [rsp + 96]",
    "mov rsi, [rsp + 88]",
    "mov rdx, [rsp]",
    "call {leave}",
    "mov r11, rax",
    "movdqu xmm0, [rsp]",
    "movdqu xmm1, [rsp + 16]",
    "add rsp, 32",
    "pop r10",
    "pop r9",
    "pop r8",
    "pop rcx",
    "pop rsi",
    "pop rdi",
    "pop rdx",
    "pop rax",
    "jmp r11",
    enter = sym lt_enter,
    leave = sym lt_leave,
);

/// Bytes per stub.
const STUB: usize = 32;

/// One stub: `mov r11d, index; jmp [rip + 0]; .quad entry`.
pub fn stub(index: u32, entry: usize) -> [u8; STUB] {
    let mut s = [0xcc; STUB];
    s[..2].copy_from_slice(&[0x41, 0xbb]);
    s[2..6].copy_from_slice(&index.to_le_bytes());
    s[6..12].copy_from_slice(&[0xff, 0x25, 0, 0, 0, 0]);
    s[12..20].copy_from_slice(&(entry as u64).to_le_bytes());
    s
}

/// Makes the stubs (executable, read-only once written); None when mmap fails.
fn make_stubs(n: usize) -> Option<usize> {
    let len = (n * STUB).div_ceil(4096) * 4096;
    // SAFETY: a fresh private anonymous mapping.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        return None;
    }
    let entry = tracekit_lt_entry as *const () as usize;
    for i in 0..n {
        let s = stub(i as u32, entry);
        // SAFETY: stub `i` lies inside the `len` bytes just mapped writable.
        unsafe {
            std::ptr::copy_nonoverlapping(s.as_ptr(), p.cast::<u8>().wrapping_add(i * STUB), STUB)
        };
    }
    // SAFETY: our own mapping, now complete.
    if unsafe { libc::mprotect(p, len, libc::PROT_READ | libc::PROT_EXEC) } != 0 {
        return None;
    }
    Some(p as usize)
}

/// Maps the counts file shared; None when it is missing or not ours.
fn map_counts(path: &std::ffi::OsStr, n: usize) -> Option<*mut Header> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .ok()?;
    let len = std::mem::size_of::<Header>() + n * std::mem::size_of::<Counter>();
    if file.metadata().ok()?.len() < len as u64 {
        return None;
    }
    use std::os::fd::AsRawFd;
    // SAFETY: a shared mapping of a file at least `len` bytes long; the fd may close after.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED,
            file.as_raw_fd(),
            0,
        )
    };
    if p == libc::MAP_FAILED {
        return None;
    }
    let h = p.cast::<Header>();
    // SAFETY: the mapping holds a Header (checked length), aligned to a page.
    let hdr = unsafe { &*h };
    if hdr.magic.load(Ordering::Relaxed) != MAGIC
        || hdr.functions.load(Ordering::Relaxed) != n as u64
    {
        return None;
    }
    Some(h)
}

/// The program's address range: the first module the loader lists, lowest to highest
/// `PT_LOAD`.
fn program_range() -> (usize, usize) {
    unsafe extern "C" fn first(
        info: *mut libc::dl_phdr_info,
        _: usize,
        data: *mut libc::c_void,
    ) -> libc::c_int {
        // SAFETY: dl_iterate_phdr passes a valid info for the duration of the call.
        let info = unsafe { &*info };
        // SAFETY: `data` is the range `program_range` lent for the call.
        let range = unsafe { &mut *data.cast::<(usize, usize)>() };
        let bias = info.dlpi_addr as usize;
        let (mut lo, mut hi) = (usize::MAX, 0);
        for i in 0..info.dlpi_phnum as usize {
            // SAFETY: the loader's program headers, `dlpi_phnum` of them.
            let ph = unsafe { &*info.dlpi_phdr.wrapping_add(i) };
            if ph.p_type == libc::PT_LOAD {
                lo = lo.min(bias + ph.p_vaddr as usize);
                hi = hi.max(bias + (ph.p_vaddr + ph.p_memsz) as usize);
            }
        }
        *range = (lo, hi);
        1
    }
    let mut range = (0usize, 0usize);
    // SAFETY: `first` only reads what the loader passes and writes `range`, which outlives
    // the call; returning 1 stops after the first module (the program).
    unsafe { libc::dl_iterate_phdr(Some(first), (&mut range as *mut (usize, usize)).cast()) };
    range
}

extern "C" fn stop_in_child() {
    ON.store(false, Ordering::Relaxed);
    events::stop();
}

/// Maps the events file (call lines) shared; None when it is missing or not ours.
fn map_events(path: &std::ffi::OsStr, n: usize) -> Option<*mut u8> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .ok()?;
    let len = wire::file_len(n);
    if file.metadata().ok()?.len() < len as u64 {
        return None;
    }
    use std::os::fd::AsRawFd;
    // SAFETY: a shared mapping of a file at least `len` bytes long; the fd may close after.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED,
            file.as_raw_fd(),
            0,
        )
    };
    if p == libc::MAP_FAILED {
        return None;
    }
    // SAFETY: the mapping holds a header (checked length), aligned to a page.
    let hdr = unsafe { &*p.cast::<wire::EvHeader>() };
    if hdr.magic.load(Ordering::Relaxed) != wire::EV_MAGIC
        || hdr.functions.load(Ordering::Relaxed) != n as u64
    {
        return None;
    }
    Some(p.cast())
}

static STARTED: AtomicBool = AtomicBool::new(false);

/// Runs the constructor's work now, unless it ran already (a program that links this crate
/// rather than preloading it: the no-allocation test).
#[doc(hidden)]
pub fn init_now() {
    init();
}

/// The constructor: reads the settings, maps the counts, patches the program.
extern "C" fn init() {
    if STARTED.swap(true, Ordering::AcqRel) {
        return;
    }
    let (Some(names), Some(path)) = (
        std::env::var_os("TRACEKIT_LTRACE_FUNCS"),
        std::env::var_os("TRACEKIT_LTRACE_COUNTS"),
    ) else {
        return;
    };
    let follow = std::env::var_os("TRACEKIT_LTRACE_FOLLOW").is_some_and(|v| v == "1");
    let names: Vec<CString> = names
        .to_string_lossy()
        .split(',')
        .filter(|n| !n.is_empty())
        .filter_map(|n| CString::new(n).ok())
        .collect();
    let Some(h) = map_counts(&path, names.len()) else {
        return;
    };
    // SAFETY: the mapping `map_counts` checked.
    let hdr = unsafe { &*h };
    // SAFETY: getpid has no preconditions.
    let pid = unsafe { libc::getpid() } as u64;
    let first = hdr
        .pid
        .compare_exchange(0, pid, Ordering::AcqRel, Ordering::Acquire);
    if !follow && first.is_err_and(|p| p != pid) {
        // Another process (a child that exec'd) under a trace that does not follow it.
        return;
    }
    PID.store(pid, Ordering::Relaxed);
    let (lo, hi) = program_range();
    PROG_LO.store(lo, Ordering::Relaxed);
    PROG_HI.store(hi, Ordering::Relaxed);
    FOLLOW.store(follow, Ordering::Relaxed);
    let Some(stubs) = make_stubs(names.len()) else {
        return;
    };
    HEADER.store(h, Ordering::Release);
    if let Some(path) = std::env::var_os("TRACEKIT_LTRACE_EVENTS") {
        let Some(map) = map_events(&path, names.len()) else {
            return;
        };
        // SAFETY: getppid has no preconditions.
        let reader = unsafe { libc::getppid() } as u64;
        events::start(map, names.len(), reader);
    }
    // The real functions must be known before a stub can run: looked up first, then patched.
    // A name no loaded object defines (a weak import) is left unpatched.
    let funcs: Vec<Func> = names
        .iter()
        .map(|n| Func {
            // SAFETY: a C string; RTLD_DEFAULT searches the global scope.
            real: unsafe { libc::dlsym(libc::RTLD_DEFAULT, n.as_ptr()) } as usize,
            kind: kind(n.to_str().unwrap_or("")),
            first_returns_zero: n.to_bytes() != b"vfork",
        })
        .collect();
    let table: Vec<Func> = funcs.clone();
    let hooks: Vec<reloc::Hook<'_>> = names
        .iter()
        .enumerate()
        .filter(|&(i, _)| funcs[i].real != 0)
        .map(|(i, n)| reloc::Hook {
            symbol: n,
            replacement: stubs + i * STUB,
        })
        .collect();
    FUNCS.store(
        Box::leak(funcs.into_boxed_slice()).as_mut_ptr(),
        Ordering::Release,
    );
    if !follow {
        // SAFETY: registering a plain function for the child side of fork.
        unsafe { libc::pthread_atfork(None, None, Some(stop_in_child)) };
    }
    // Where each function is defined, for the `--log` events (before any call is recorded).
    for (i, f) in table.iter().enumerate().filter(|(_, f)| f.real != 0) {
        // SAFETY: `info` is a valid out-structure; dladdr only reads the address.
        let mut info: libc::Dl_info = unsafe { std::mem::zeroed() };
        // SAFETY: as above.
        if unsafe { libc::dladdr(f.real as *const libc::c_void, &mut info) } != 0
            && !info.dli_fname.is_null()
        {
            // SAFETY: dladdr's file name: NUL-terminated, the loader's, alive while loaded.
            let path = unsafe { std::ffi::CStr::from_ptr(info.dli_fname) };
            events::library(i, path.to_bytes());
        }
    }
    ON.store(true, Ordering::Release);
    reloc::patch_program(&hooks);
}

#[used]
#[cfg_attr(not(test), link_section = ".init_array")]
static INIT: extern "C" fn() = init;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stub_loads_its_index_and_jumps_through_its_own_word() {
        let s = stub(0x01020304, 0x1122334455667788);
        // mov r11d, imm32
        assert_eq!(&s[..6], &[0x41, 0xbb, 4, 3, 2, 1]);
        // jmp qword [rip + 0], then the target
        assert_eq!(&s[6..12], &[0xff, 0x25, 0, 0, 0, 0]);
        assert_eq!(
            u64::from_le_bytes(s[12..20].try_into().unwrap()),
            0x1122334455667788
        );
    }
}
