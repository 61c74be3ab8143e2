//! The events a log holds, shared by every writer and reader.
//!
//! Each event borrows its variable-length data (`Cow`), so a writer can encode straight from
//! its own buffers without allocating, and a reader hands out owned events.
//!
//! The JSON form (`tracekit dump`) is `tracekit-log`'s `json` module: this crate has no
//! dependencies, so that a `no_std` preload library can use it.

use alloc::borrow::{Cow, ToOwned};
use alloc::string::String;
use alloc::vec::Vec;

/// A byte string (a path, a command line, a name) that is usually but not always UTF-8.
/// Its JSON form is a string, with invalid UTF-8 replaced.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Bytes<'a>(pub Cow<'a, [u8]>);

impl<'a> Bytes<'a> {
    /// Borrows `b`.
    pub fn borrowed(b: &'a [u8]) -> Self {
        Bytes(Cow::Borrowed(b))
    }
    /// Owns `b`.
    pub fn owned(b: Vec<u8>) -> Bytes<'static> {
        Bytes(Cow::Owned(b))
    }
    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
    /// The bytes as text, invalid UTF-8 replaced.
    pub fn to_string_lossy(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.0)
    }
    /// An owned copy.
    pub fn into_owned(self) -> Bytes<'static> {
        Bytes(Cow::Owned(self.0.into_owned()))
    }
}

impl<'a> From<&'a str> for Bytes<'a> {
    fn from(s: &'a str) -> Self {
        Bytes::borrowed(s.as_bytes())
    }
}

macro_rules! code_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $var:ident = $val:expr => $text:expr,)* }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u8)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vm])* $var = $val,)*
        }
        impl $name {
            /// The wire value.
            pub fn code(self) -> u8 { self as u8 }
            /// The value for a wire code, if known.
            pub fn from_code(c: u8) -> Option<Self> {
                match c { $($val => Some($name::$var),)* _ => None }
            }
            /// The name people know it by (the C function or operator).
            pub fn name(self) -> &'static str {
                match self { $($name::$var => $text,)* }
            }
            /// Every value, in wire order.
            pub const ALL: &'static [$name] = &[$($name::$var,)*];
        }
    };
}

code_enum! {
    /// Which function or operator made a block.
    AllocKind {
        /// `malloc`
        Malloc = 1 => "malloc",
        /// `calloc`
        Calloc = 2 => "calloc",
        /// `realloc` (see [`Event::Realloc`]; this kind appears there)
        Realloc = 3 => "realloc",
        /// `reallocarray`
        Reallocarray = 4 => "reallocarray",
        /// `posix_memalign`
        PosixMemalign = 5 => "posix_memalign",
        /// `aligned_alloc`
        AlignedAlloc = 6 => "aligned_alloc",
        /// `memalign`
        Memalign = 7 => "memalign",
        /// `valloc`
        Valloc = 8 => "valloc",
        /// `pvalloc`
        Pvalloc = 9 => "pvalloc",
        /// `operator new(size_t)`
        New = 10 => "operator new",
        /// `operator new[](size_t)`
        NewArray = 11 => "operator new[]",
        /// `operator new(size_t, nothrow_t)`
        NewNothrow = 12 => "operator new(nothrow)",
        /// `operator new[](size_t, nothrow_t)`
        NewArrayNothrow = 13 => "operator new[](nothrow)",
        /// `operator new(size_t, align_val_t)`
        NewAligned = 14 => "operator new(align)",
        /// `operator new[](size_t, align_val_t)`
        NewArrayAligned = 15 => "operator new[](align)",
        /// `operator new(size_t, align_val_t, nothrow_t)`
        NewAlignedNothrow = 16 => "operator new(align, nothrow)",
        /// `operator new[](size_t, align_val_t, nothrow_t)`
        NewArrayAlignedNothrow = 17 => "operator new[](align, nothrow)",
        /// `mmap` (when a tool chooses to record anonymous mappings)
        Mmap = 18 => "mmap",
        /// A block of the program's own allocator or pool, reported through tracekit's API
        /// (`tracekit_heap.h`'s `TRACEKIT_HEAP_ALLOC`, the `tracekit-alloc` crate's wrapper)
        Custom = 19 => "custom alloc",
    }
}

code_enum! {
    /// Which function or operator released a block.
    FreeKind {
        /// `free`
        Free = 1 => "free",
        /// `operator delete(void*)`
        Delete = 2 => "operator delete",
        /// `operator delete[](void*)`
        DeleteArray = 3 => "operator delete[]",
        /// `operator delete(void*, size_t)`
        DeleteSized = 4 => "operator delete(sized)",
        /// `operator delete[](void*, size_t)`
        DeleteArraySized = 5 => "operator delete[](sized)",
        /// `operator delete(void*, align_val_t)`
        DeleteAligned = 6 => "operator delete(align)",
        /// `operator delete[](void*, align_val_t)`
        DeleteArrayAligned = 7 => "operator delete[](align)",
        /// `operator delete(void*, size_t, align_val_t)`
        DeleteSizedAligned = 8 => "operator delete(sized, align)",
        /// `operator delete[](void*, size_t, align_val_t)`
        DeleteArraySizedAligned = 9 => "operator delete[](sized, align)",
        /// `operator delete(void*, nothrow_t)`
        DeleteNothrow = 10 => "operator delete(nothrow)",
        /// `operator delete[](void*, nothrow_t)`
        DeleteArrayNothrow = 11 => "operator delete[](nothrow)",
        /// `munmap`
        Munmap = 12 => "munmap",
        /// A block of the program's own allocator or pool, released through tracekit's API
        Custom = 13 => "custom free",
    }
}

code_enum! {
    /// What a faulting instruction was doing with the fault address.
    Access {
        /// Not known (no fault address, or the kernel did not say).
        Unknown = 0 => "unknown",
        /// A load.
        Read = 1 => "read",
        /// A store.
        Write = 2 => "write",
        /// An instruction fetch.
        Exec = 3 => "exec",
    }
}

code_enum! {
    /// What the fence allocator caught.
    FenceKind {
        /// Access past the end of a block.
        Overflow = 1 => "heap-buffer-overflow",
        /// Access before the start of a block.
        Underflow = 2 => "heap-buffer-underflow",
        /// Access to a freed block.
        UseAfterFree = 3 => "heap-use-after-free",
        /// A block freed twice.
        DoubleFree = 4 => "double-free",
        /// `free` of a pointer no allocator returned.
        InvalidFree = 5 => "invalid-free",
        /// A block freed by the wrong function (`delete` of `malloc`, ...).
        MismatchedFree = 6 => "alloc-dealloc-mismatch",
    }
}

code_enum! {
    /// The architecture a process runs on; says how to read [`Crash::regs`].
    Arch {
        /// Unknown.
        Unknown = 0 => "unknown",
        /// x86_64: registers in [`X86_64_REGS`] order.
        X86_64 = 1 => "x86_64",
        /// 32-bit x86.
        I386 = 2 => "i386",
        /// AArch64.
        Aarch64 = 3 => "aarch64",
    }
}

/// The order of `Crash::regs` on x86_64 (the order of `mcontext_t.gregs`' named registers).
pub const X86_64_REGS: &[&str] = &[
    "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11", "r12", "r13",
    "r14", "r15", "rip", "eflags", "cs", "fs", "gs", "err", "trapno", "cr2",
];

/// A process: the first record of every log (and of every process after `fork` or `exec`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Process<'a> {
    /// Process id.
    pub pid: u32,
    /// Parent's process id.
    pub ppid: u32,
    /// Wall-clock start, nanoseconds since the Unix epoch.
    pub start_unix_ns: u64,
    /// `CLOCK_MONOTONIC` at start; every `time_ns` in this process's events counts from here.
    pub start_mono_ns: u64,
    /// The executable's path.
    pub exe: Bytes<'a>,
    /// The command line, arguments separated by NUL as in `/proc/PID/cmdline`.
    pub cmdline: Bytes<'a>,
    /// The tool that wrote the log (`heaptrack`, `segv`, `strace`, ...).
    pub tool: Bytes<'a>,
    /// The architecture.
    pub arch: Arch,
    /// The resolution of the clock behind this process's `time_ns` values, ns (what
    /// `clock_getres` says: a few ms for `CLOCK_MONOTONIC_COARSE`); 0 when not recorded
    /// (logs written before the field existed). Times are no more precise than this.
    pub clock_res_ns: u64,
}

impl Process<'_> {
    /// The command line as separate arguments.
    pub fn argv(&self) -> Vec<String> {
        let raw = self.cmdline.as_bytes();
        let raw = raw.strip_suffix(b"\0").unwrap_or(raw);
        if raw.is_empty() {
            return Vec::new();
        }
        raw.split(|&b| b == 0)
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect()
    }
}

/// One `PT_LOAD` segment of a module, in the module's own (file) addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Segment {
    /// `p_vaddr`.
    pub vaddr: u64,
    /// `p_memsz`.
    pub memsz: u64,
    /// `p_offset`.
    pub file_offset: u64,
    /// `p_flags` (PF_X = 1, PF_W = 2, PF_R = 4).
    pub flags: u32,
}

/// A loaded module (the executable, a shared library, the vDSO).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Module<'a> {
    /// When it was seen (ns since process start).
    pub time_ns: u64,
    /// The load bias: runtime address = `base` + file address.
    pub base: u64,
    /// Its path (empty for the main program when unknown; `[vdso]` for the vDSO).
    pub path: Bytes<'a>,
    /// The GNU build-id, empty when absent (in JSON: lowercase hex).
    pub build_id: Cow<'a, [u8]>,
    /// Its loadable segments.
    pub segments: Cow<'a, [Segment]>,
}

impl Module<'_> {
    /// True when runtime address `addr` falls in one of its segments.
    pub fn contains(&self, addr: u64) -> bool {
        let rel = addr.wrapping_sub(self.base);
        self.segments
            .iter()
            .any(|s| rel >= s.vaddr && rel - s.vaddr < s.memsz)
    }
}

/// A distinct call stack, stored once and referred to by its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stack<'a> {
    /// Its id (never 0: 0 means "no stack").
    pub id: u64,
    /// Return addresses (instruction pointers), innermost first.
    pub frames: Cow<'a, [u64]>,
}

/// A heap allocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Alloc {
    /// ns since process start.
    pub time_ns: u64,
    /// Thread id.
    pub tid: u32,
    /// The function that allocated.
    pub kind: AllocKind,
    /// The block (0 when the allocation failed).
    pub ptr: u64,
    /// Bytes requested (for calloc, nmemb * size).
    pub size: u64,
    /// Alignment requested, 0 when none.
    pub align: u64,
    /// Stack id, 0 when none.
    pub stack: u64,
}

/// A heap block released.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Free {
    /// ns since process start.
    pub time_ns: u64,
    /// Thread id.
    pub tid: u32,
    /// The function that freed.
    pub kind: FreeKind,
    /// The block (0 for `free(NULL)`).
    pub ptr: u64,
    /// Size passed to a sized delete, else 0.
    pub size: u64,
    /// Stack id, 0 when none.
    pub stack: u64,
}

/// `realloc`/`reallocarray`, as one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Realloc {
    /// ns since process start.
    pub time_ns: u64,
    /// Thread id.
    pub tid: u32,
    /// `Realloc` or `Reallocarray`.
    pub kind: AllocKind,
    /// The block passed in (0: acts as malloc).
    pub old_ptr: u64,
    /// The block returned (0: failed, or freed when `size` is 0).
    pub new_ptr: u64,
    /// New size requested.
    pub size: u64,
    /// Stack id, 0 when none.
    pub stack: u64,
}

/// A thread started or was named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thread<'a> {
    /// ns since process start.
    pub time_ns: u64,
    /// Thread id.
    pub tid: u32,
    /// Its name (`comm`), possibly empty.
    pub name: Bytes<'a>,
}

/// A system call, written by strace-rs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Syscall<'a> {
    /// Process id.
    pub pid: u32,
    /// Thread id.
    pub tid: u32,
    /// Entry time, ns since the tracer started.
    pub entry_ns: u64,
    /// Exit time; 0 when the call never returned.
    pub exit_ns: u64,
    /// System call number.
    pub nr: u64,
    /// Its name.
    pub name: Bytes<'a>,
    /// Raw arguments.
    pub args: [u64; 6],
    /// Return value, when it returned.
    pub ret: Option<i64>,
    /// The decoded line as strace prints it (without pid prefix or timestamps).
    pub text: Bytes<'a>,
}

/// A library call, written by ltrace-rs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LibCall<'a> {
    /// Process id.
    pub pid: u32,
    /// Thread id.
    pub tid: u32,
    /// Entry time, ns since the tracer started.
    pub entry_ns: u64,
    /// Exit time; 0 when the call never returned.
    pub exit_ns: u64,
    /// Library the function lives in.
    pub library: Bytes<'a>,
    /// Function name.
    pub name: Bytes<'a>,
    /// Return value, when it returned.
    pub ret: Option<i64>,
    /// The decoded line.
    pub text: Bytes<'a>,
}

/// A signal delivered to a traced process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signal {
    /// ns since start.
    pub time_ns: u64,
    /// Process id.
    pub pid: u32,
    /// Thread id.
    pub tid: u32,
    /// Signal number.
    pub signo: u32,
    /// `si_code`.
    pub code: i32,
    /// `si_addr` (or 0).
    pub addr: u64,
}

/// A process died of a fatal signal; written by the crash handler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Crash<'a> {
    /// ns since process start.
    pub time_ns: u64,
    /// Process id.
    pub pid: u32,
    /// Thread id.
    pub tid: u32,
    /// Thread name.
    pub thread_name: Bytes<'a>,
    /// Signal number.
    pub signo: u32,
    /// `si_code`.
    pub code: i32,
    /// Fault address (`si_addr`).
    pub addr: u64,
    /// What the faulting instruction did.
    pub access: Access,
    /// How to read `regs`.
    pub arch: Arch,
    /// Registers at the fault, in the order the arch gives (see [`X86_64_REGS`]).
    pub regs: Cow<'a, [u64]>,
    /// Stack id of the backtrace from the faulting instruction, 0 when none.
    pub stack: u64,
    /// The report as printed.
    pub report: Bytes<'a>,
}

/// A heap error caught by the fence allocator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fence {
    /// ns since process start.
    pub time_ns: u64,
    /// Thread id.
    pub tid: u32,
    /// What went wrong.
    pub kind: FenceKind,
    /// The address touched (or passed to free).
    pub addr: u64,
    /// The block it belongs to (0 when none).
    pub block: u64,
    /// That block's size.
    pub block_size: u64,
    /// Stack where the block was allocated (0: unknown).
    pub alloc_stack: u64,
    /// Stack where it was freed (0: not freed / unknown).
    pub free_stack: u64,
    /// Stack of the bad access.
    pub access_stack: u64,
}

/// A process is about to `exec`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exec<'a> {
    /// ns since process start.
    pub time_ns: u64,
    /// Process id.
    pub pid: u32,
    /// The program to be run.
    pub path: Bytes<'a>,
}

/// How a process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exit {
    /// ns since process start.
    pub time_ns: u64,
    /// Process id.
    pub pid: u32,
    /// Exit code, when it exited.
    pub code: Option<i32>,
    /// Fatal signal, when it was killed.
    pub signal: Option<u32>,
    /// The runtimes' one-off buffers the tracker freed right before this exit, as valgrind
    /// does at exit ([`Exit::FREERES_LIBC`], [`Exit::FREERES_CXX`]); 0 when it freed none
    /// (or the log predates the field). Their frees are in the log, before this record.
    pub freeres: u32,
}

impl Exit {
    /// glibc's `__libc_freeres()` ran.
    pub const FREERES_LIBC: u32 = 1;
    /// libstdc++'s `__gnu_cxx::__freeres()` ran (it frees the emergency exception pool).
    pub const FREERES_CXX: u32 = 2;
}

/// Part of a process's leak check at exit (`TRACEKIT_LEAK_CHECK`): its live blocks grouped
/// into loss records, as valgrind memcheck classifies them. A check with many records is
/// written as several `Leak` records; a reader adds up those of one pid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leak<'a> {
    /// ns since process start.
    pub time_ns: u64,
    /// Process id.
    pub pid: u32,
    /// [`Leak::LAYOUT`] when written: a writer that changes the losses' fields writes a new
    /// layout, which older readers skip (as they skip an unknown tag).
    pub layout: u32,
    /// memcheck's heuristics that were on (bits of `tracekit_leak_scan::Heuristics`).
    pub heuristics: u8,
    /// The loss records.
    pub losses: Cow<'a, [LeakLoss]>,
    /// The check's number in its process, from 1 (consecutive records with one number are one
    /// check); 0 from a writer that made one check, at exit. Appended to the payload, and only
    /// when not 0, so such a record is byte for byte what layout 1 always wrote.
    pub check: u32,
    /// What started the check: [`Leak::AT_EXIT`], [`Leak::ON_SIGNAL`], [`Leak::ON_REQUEST`]
    /// or [`Leak::AT_FATAL_SIGNAL`].
    pub cause: u8,
}

impl Leak<'_> {
    /// The layout this version writes.
    pub const LAYOUT: u32 = 1;
    /// The check at exit (or `_exit`).
    pub const AT_EXIT: u8 = 0;
    /// A check asked for by a signal (`TRACEKIT_LEAK_CHECK_SIGNAL`).
    pub const ON_SIGNAL: u8 = 1;
    /// A check the program asked for (`tracekit_do_leak_check()`).
    pub const ON_REQUEST: u8 = 2;
    /// The check at the end of a process killed by a fatal signal (its last, as at exit).
    pub const AT_FATAL_SIGNAL: u8 = 3;
}

code_enum! {
    /// What a [`ModuleNote`] says about a module.
    NoteKind {
        /// The module has an allocator of its own linked in (jemalloc, mimalloc, tcmalloc, a
        /// Rust `#[global_allocator]`): blocks it hands out are not seen by a `malloc` hook.
        Allocator = 1 => "allocator",
        /// The module is a test harness (Rust's libtest): its threads are named after tests.
        TestHarness = 2 => "test harness",
    }
}

/// What `tracekit pack` found in a module's symbol table (tag 24): written once per module
/// path, after the header with the `Symbols` records, so a report says it without the files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleNote<'a> {
    /// The module's path, as its `Module` records give it.
    pub path: Bytes<'a>,
    /// What was found.
    pub kind: NoteKind,
    /// Its name as people know it (`mimalloc`, `jemalloc`, `libtest`, ...).
    pub name: Bytes<'a>,
    /// The symbol that told (`mi_malloc`, `_rjem_malloc`, ...).
    pub symbol: Bytes<'a>,
}

/// A test or region of the program's own choosing begins or ends on a thread (tag 25:
/// `tracekit_heap.h`'s `TRACEKIT_TEST_BEGIN`/`TRACEKIT_TEST_END`): the thread's events until
/// the end belong to it, as a Rust test thread's belong to the test it is named after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region<'a> {
    /// ns since process start.
    pub time_ns: u64,
    /// Thread id.
    pub tid: u32,
    /// The region's name; empty when the thread's region ends.
    pub name: Bytes<'a>,
}

/// A change of the process's anonymous memory made through libc (tag 26): `mmap` of
/// anonymous memory, `munmap`, `mremap`, `brk`/`sbrk`. Who mapped what, beside the heap: glibc's
/// malloc maps its own arenas and large blocks with internal calls, which are not recorded
/// (those pages show in [`MemorySample`]'s resident and data sizes instead).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mapping {
    /// ns since process start.
    pub time_ns: u64,
    /// Thread id.
    pub tid: u32,
    /// The call.
    pub op: MapOp,
    /// `mmap`: the mapping; `munmap`, `mremap`: the old range; `brk`: the old break.
    pub addr: u64,
    /// Bytes at `addr` (`brk`: 0).
    pub len: u64,
    /// `mremap`: the new range's start; `brk`: the new break; else 0.
    pub new_addr: u64,
    /// `mremap`: the new length; else 0.
    pub new_len: u64,
    /// Stack id of the call (0: none recorded, as for `munmap`).
    pub stack: u64,
}

code_enum! {
    /// The call a [`Mapping`] records.
    MapOp {
        /// `mmap` of anonymous memory.
        Mmap = 1 => "mmap",
        /// `munmap`.
        Munmap = 2 => "munmap",
        /// `mremap`.
        Mremap = 3 => "mremap",
        /// `brk` or `sbrk`: the program break moved.
        Brk = 4 => "brk",
    }
}

/// The process's memory as the kernel counts it (tag 27), sampled by the recorder at a fixed
/// interval (`/proc/self/statm`), to set beside the heap: "RSS says 8 GB, the heap 1 GB".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemorySample {
    /// ns since process start.
    pub time_ns: u64,
    /// Resident bytes (statm's `resident`).
    pub resident: u64,
    /// Bytes of address space (statm's `size`, `VmSize`).
    pub size: u64,
    /// Bytes of private writable mappings, the break and stacks included (statm's `data`,
    /// `VmData`).
    pub data: u64,
}

/// Blocks of one kind allocated at one stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LeakLoss {
    /// 0 still reachable, 1 possibly lost, 2 indirectly lost, 3 definitely lost (memcheck's
    /// order).
    pub kind: u8,
    /// The heuristic by which these reachable blocks were reached (0: a start pointer).
    pub heuristic: u8,
    /// The allocation stack.
    pub stack: u64,
    /// Bytes of the blocks.
    pub bytes: u64,
    /// How many blocks.
    pub blocks: u64,
    /// For definitely lost blocks: the bytes of the blocks they lead (indirectly lost).
    pub indirect_bytes: u64,
}

/// The tracker was loaded into a running process and started recording (`tracekit heap -p`),
/// or stopped and left it running (`detached`). Heap events of an attached log cover only the
/// interval between the two: releases of blocks allocated before the attach are in it, their
/// allocations are not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attach {
    /// ns since the session started (the attach itself is at 0).
    pub time_ns: u64,
    /// Process id.
    pub pid: u32,
    /// False when recording started, true when it stopped.
    pub detached: bool,
}

/// A module unloaded (`dlclose`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModuleUnload {
    /// ns since process start.
    pub time_ns: u64,
    /// The module's `base`.
    pub base: u64,
}

/// Symbols for addresses of one module, resolved after the run from the module's file
/// (`tracekit pack`), so that a log reports the same where that file is missing or was rebuilt.
///
/// A reader matches the record to the [`Module`] records by build-id, or by path when the
/// module has none; an address of a process is looked up as its offset from the module's
/// `base`. Function names and file paths are stored once per record, in `strings`; frames
/// refer to them by index. A module's addresses may be split over several records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Symbols<'a> {
    /// The module's path, as its `Module` record has it.
    pub path: Bytes<'a>,
    /// Its GNU build-id, as its `Module` record has it (empty when none).
    pub build_id: Cow<'a, [u8]>,
    /// Function names and file paths, each once. (A `Vec`: a `Cow` of borrowing items would
    /// make [`Event`] invariant in its lifetime.)
    pub strings: Vec<Bytes<'a>>,
    /// The addresses, each owning the next [`SymbolAddr::frames`] entries of `frames`.
    pub addrs: Cow<'a, [SymbolAddr]>,
    /// The frames of every address, in the order of `addrs`.
    pub frames: Cow<'a, [SymbolFrame]>,
}

/// One address of a [`Symbols`] record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SymbolAddr {
    /// The address that was looked up, relative to the module's `base` (for a return address
    /// of a stack, one less than it: the call instruction).
    pub offset: u64,
    /// How many frames follow in [`Symbols::frames`] (the inline chain, innermost first); 0
    /// when no symbol covers the address.
    pub frames: u32,
    /// Why no symbol covers it, when known: an index into [`Symbols::strings`].
    pub note: Option<u32>,
}

/// One frame of a [`Symbols`] record; strings are indices into [`Symbols::strings`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SymbolFrame {
    /// The function (demangled).
    pub function: u32,
    /// Its source file, when debug info has it.
    pub file: Option<u32>,
    /// Source line.
    pub line: Option<u32>,
    /// Source column.
    pub column: Option<u32>,
    /// True for a function inlined into the next frame.
    pub inlined: bool,
}

impl Symbols<'_> {
    /// The string at `index` (empty when out of range: the decoder checks every index).
    pub fn string(&self, index: u32) -> &[u8] {
        self.strings
            .get(index as usize)
            .map_or(&[][..], Bytes::as_bytes)
    }
}

/// Everything a log can hold.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event<'a> {
    /// See [`Process`].
    Process(Process<'a>),
    /// See [`Module`].
    Module(Module<'a>),
    /// See [`ModuleUnload`].
    ModuleUnload(ModuleUnload),
    /// See [`Stack`].
    Stack(Stack<'a>),
    /// See [`Thread`].
    Thread(Thread<'a>),
    /// See [`Alloc`].
    Alloc(Alloc),
    /// See [`Free`].
    Free(Free),
    /// See [`Realloc`].
    Realloc(Realloc),
    /// See [`Syscall`].
    Syscall(Syscall<'a>),
    /// See [`LibCall`].
    LibCall(LibCall<'a>),
    /// See [`Signal`].
    Signal(Signal),
    /// See [`Crash`].
    Crash(Crash<'a>),
    /// See [`Fence`].
    Fence(Fence),
    /// See [`Exec`].
    Exec(Exec<'a>),
    /// See [`Exit`].
    Exit(Exit),
    /// See [`Symbols`].
    Symbols(Symbols<'a>),
    /// See [`Leak`].
    Leak(Leak<'a>),
    /// See [`Attach`].
    Attach(Attach),
    /// See [`ModuleNote`].
    ModuleNote(ModuleNote<'a>),
    /// See [`Region`].
    Region(Region<'a>),
    /// See [`Mapping`].
    Mapping(Mapping),
    /// See [`MemorySample`].
    MemorySample(MemorySample),
}

impl Event<'_> {
    /// An owned copy that outlives the buffer it was decoded from.
    pub fn into_owned(self) -> Event<'static> {
        fn c<T: ToOwned + ?Sized>(v: Cow<'_, T>) -> Cow<'static, T> {
            Cow::Owned(v.into_owned())
        }
        match self {
            Event::Process(p) => Event::Process(Process {
                exe: p.exe.into_owned(),
                cmdline: p.cmdline.into_owned(),
                tool: p.tool.into_owned(),
                ..p
            }),
            Event::Module(m) => Event::Module(Module {
                time_ns: m.time_ns,
                base: m.base,
                path: m.path.into_owned(),
                build_id: c(m.build_id),
                segments: c(m.segments),
            }),
            Event::ModuleUnload(u) => Event::ModuleUnload(u),
            Event::Stack(s) => Event::Stack(Stack {
                id: s.id,
                frames: c(s.frames),
            }),
            Event::Thread(t) => Event::Thread(Thread {
                name: t.name.into_owned(),
                ..t
            }),
            Event::Alloc(a) => Event::Alloc(a),
            Event::Free(f) => Event::Free(f),
            Event::Realloc(r) => Event::Realloc(r),
            Event::Syscall(s) => Event::Syscall(Syscall {
                name: s.name.into_owned(),
                text: s.text.into_owned(),
                ..s
            }),
            Event::LibCall(l) => Event::LibCall(LibCall {
                library: l.library.into_owned(),
                name: l.name.into_owned(),
                text: l.text.into_owned(),
                ..l
            }),
            Event::Signal(s) => Event::Signal(s),
            Event::Crash(cr) => Event::Crash(Crash {
                thread_name: cr.thread_name.into_owned(),
                regs: c(cr.regs),
                report: cr.report.into_owned(),
                ..cr
            }),
            Event::Fence(f) => Event::Fence(f),
            Event::Exec(e) => Event::Exec(Exec {
                path: e.path.into_owned(),
                ..e
            }),
            Event::Exit(e) => Event::Exit(e),
            Event::Symbols(s) => Event::Symbols(Symbols {
                path: s.path.into_owned(),
                build_id: c(s.build_id),
                strings: s.strings.into_iter().map(Bytes::into_owned).collect(),
                addrs: c(s.addrs),
                frames: c(s.frames),
            }),
            Event::Leak(l) => Event::Leak(Leak {
                losses: c(l.losses),
                ..l
            }),
            Event::Attach(a) => Event::Attach(a),
            Event::ModuleNote(n) => Event::ModuleNote(ModuleNote {
                path: n.path.into_owned(),
                kind: n.kind,
                name: n.name.into_owned(),
                symbol: n.symbol.into_owned(),
            }),
            Event::Region(r) => Event::Region(Region {
                name: r.name.into_owned(),
                ..r
            }),
            Event::Mapping(m) => Event::Mapping(m),
            Event::MemorySample(m) => Event::MemorySample(m),
        }
    }
}
