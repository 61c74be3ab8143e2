//! The ptrace backend: breakpoints at the entry of the functions a program imports, in the
//! library that implements them (found after the dynamic linker mapped everything, at the
//! program's entry point), so every linkage is seen: lazy or immediate binding, `.plt.sec`,
//! `-fno-plt` GOT calls, IFUNCs (their resolved implementation), non-PIE.
//!
//! A hit counts when the return address (at `[rsp]`) lies in the program; the return address
//! on the stack is then swapped for the program's entry point (an `int3` that stays there once
//! `_start` has run), so the return traps without a second breakpoint to step over, safely in
//! every thread, and the real return address is put back in `rip`.
//!
//! Libraries mapped later are seen through the dynamic linker's `_dl_debug_state` (what gdb and
//! ltrace break on): when `_r_debug.r_state` is back to `RT_CONSISTENT`, a `dlopen` or
//! `dlclose` is done mapping. A dlopen'd library's exported functions break for the program's
//! calls (through dlsym'd pointers); a library's imports break for its own calls when a filter
//! names it (`-e '*@libm*'`). Such a library is not relocated yet at that point, so its IFUNC
//! resolvers cannot run in our hands: a breakpoint on the resolver catches what it returns.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::io;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::Instant;

use tracekit_ptrace::{self as pt, Breakpoint, Event, Pid, Resume, Stop};

use crate::elf::{self, ElfInfo};
use crate::output::{Printer, Summary};
use crate::procfs;

/// `Cannot attach to pid N: why`: ltrace 0.7.3 says it and then exits with status 0 (having
/// traced nothing); ltrace-rs does the same, so scripts written for ltrace see what they saw.
#[derive(Debug)]
pub struct CannotAttach(pub String);

impl std::fmt::Display for CannotAttach {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CannotAttach {}
use crate::proto::{self, Memory, Proto, Protos};
use crate::Config;

/// Whose calls of a function are traced.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Callers {
    /// Everyone's (`-x` symbols).
    Any,
    /// Those whose return address lies in one of these objects (by start address).
    From(Vec<u64>),
}

/// A traced function's breakpoint.
#[derive(Debug, Clone)]
struct Func {
    name: Rc<str>,
    /// The file name of the object that defines it (for `--log`).
    lib: Rc<str>,
    callers: Callers,
    /// Where a copy of the displaced first instruction runs, followed by a jump back (no
    /// single-step needed), when it can run anywhere.
    ool: Option<u64>,
    /// The dynamic linker's `_dl_debug_state`: libraries may have come or gone.
    link_map: bool,
    /// An IFUNC resolver of a library not relocated yet (its resolver could not run in our
    /// hands): the implementation it returns gets this function's breakpoint.
    resolves: bool,
    /// `-c` with counting stubs: where the process may be about to replace its image (`execve`),
    /// the stubs' counters are read first.
    sync: bool,
}

impl Func {
    fn called_by(name: &str, lib: &Rc<str>, caller: u64) -> Func {
        Func {
            name: name.into(),
            lib: lib.clone(),
            callers: Callers::From(vec![caller]),
            ool: None,
            link_map: false,
            resolves: false,
            sync: false,
        }
    }

    fn add_callers(&mut self, more: &Callers) {
        match (&mut self.callers, more) {
            (Callers::Any, _) => {}
            (mine, Callers::Any) => *mine = Callers::Any,
            (Callers::From(a), Callers::From(b)) => {
                for c in b {
                    if !a.contains(c) {
                        a.push(*c);
                    }
                }
            }
        }
    }
}

#[derive(Debug, Clone)]
enum Site {
    /// The program's entry point: first where the libraries are resolved, then the return trap.
    Entry,
    Func(Func),
}

impl Site {
    fn func_mut(&mut self) -> Option<&mut Func> {
        match self {
            Site::Func(f) => Some(f),
            Site::Entry => None,
        }
    }
}

/// A library as mapped in a process.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Object {
    path: PathBuf,
    /// Its file name (ltrace names a library's calls `libfoo.so->name`).
    name: Rc<str>,
    lo: u64,
    hi: u64,
    /// Its load bias (link-time address + bias = address in the process).
    bias: u64,
}

/// A library found in the maps while resolving.
struct Loaded {
    obj: Object,
    bias: u64,
    info: Rc<ElfInfo>,
}

/// Functions that leave by unwinding or jumping, never by returning: their return address is
/// left alone, since the unwinder reads it to find the caller's frame (a swapped one ends a C++
/// program in `std::terminate` at its first `throw`).
pub fn leaves_by_unwinding(name: &str) -> bool {
    matches!(
        name,
        "__cxa_throw"
            | "__cxa_rethrow"
            | "_Unwind_Resume"
            | "_Unwind_RaiseException"
            | "_Unwind_Resume_or_Rethrow"
            | "_Unwind_ForcedUnwind"
            | "pthread_exit"
    ) || name.contains("__throw_")
}

/// One address space (a process, shared by its threads and vfork children).
#[derive(Debug, Clone)]
struct Space {
    /// The program's file name (ltrace's `prog->name` when a filter is given).
    exe_name: Rc<str>,
    /// The program's file, and its load bias once resolved (for its DWARF).
    exe_path: PathBuf,
    exe_bias: u64,
    exe_lo: u64,
    exe_hi: u64,
    entry: u64,
    /// The entry point has run: the `int3` there is the return trap.
    started: bool,
    bps: HashMap<u64, (Breakpoint, Site)>,
    /// The libraries resolved so far.
    libs: Vec<Object>,
    /// Where the dynamic linker's `_r_debug.r_state` is.
    r_state: Option<u64>,
    /// `-c`: the return trampolines (returns without a stop), once mapped.
    returns: Option<crate::lazyret::Returns>,
    /// `-c`: the counting stubs (calls without a stop), once mapped.
    stubs: Option<crate::stubs::Stubs>,
}

impl Space {
    /// The file of the object (the program or a library) `addr` lies in, and the link-time
    /// address `addr` is in it.
    fn module_at(&self, addr: u64) -> Option<(PathBuf, u64)> {
        if self.exe_lo <= addr && addr < self.exe_hi {
            return Some((self.exe_path.clone(), addr.wrapping_sub(self.exe_bias)));
        }
        self.libs
            .iter()
            .find(|o| o.lo <= addr && addr < o.hi)
            .map(|o| (o.path.clone(), addr.wrapping_sub(o.bias)))
    }

    /// The address range of the object (the program or a library) that starts at `lo`.
    fn range_of(&self, lo: u64) -> Option<(u64, u64)> {
        if lo == self.exe_lo {
            return Some((self.exe_lo, self.exe_hi));
        }
        self.libs.iter().find(|o| o.lo == lo).map(|o| (o.lo, o.hi))
    }

    /// The caller ranges of a counting stub for callers `from` (`None`: any caller), if it can
    /// hold them.
    fn stub_ranges(&self, from: &Option<Vec<u64>>) -> Option<Vec<(u64, u64)>> {
        match from {
            None => Some(Vec::new()),
            Some(v) if v.is_empty() || v.len() > crate::stubs::MAX_RANGES => None,
            Some(v) => v.iter().map(|&lo| self.range_of(lo)).collect(),
        }
    }

    /// The object a return address lies in: its start address and its name.
    fn caller_at(&self, addr: u64) -> Option<(u64, &Rc<str>)> {
        if self.exe_lo <= addr && addr < self.exe_hi {
            return Some((self.exe_lo, &self.exe_name));
        }
        self.libs
            .iter()
            .find(|o| o.lo <= addr && addr < o.hi)
            .map(|o| (o.lo, &o.name))
    }
}

#[derive(Debug, Clone)]
struct Frame {
    name: Rc<str>,
    lib: Rc<str>,
    ret: u64,
    slot: u64,
    regs: proto::Regs,
    proto: Rc<Proto>,
    start: Instant,
    /// The frame of an IFUNC resolver: what to plant where it returns.
    resolves: Option<Func>,
    /// Returning through a trampoline (`-c`): its slot, and the time stamp counter at the
    /// entry.
    lazy: Option<(u32, u64)>,
}

impl Frame {
    /// The frame of a call of `f` by thread `pid` stopped at its entry: its arguments in the
    /// registers (the SSE ones read when the prototype needs them), to return to `ret`.
    fn call(
        pid: Pid,
        f: &Func,
        ret: u64,
        regs: &libc::user_regs_struct,
        proto: Rc<Proto>,
    ) -> Frame {
        let mut r = proto::Regs::gp([regs.rdi, regs.rsi, regs.rdx, regs.rcx, regs.r8, regs.r9]);
        if proto::needs_fp_at(&proto, regs.rax) {
            if let Ok(fp) = pt::get_fpregs(pid) {
                r.xmm = xmm_lows(&fp);
            }
        }
        Frame {
            name: f.name.clone(),
            lib: f.lib.clone(),
            ret,
            slot: regs.rsp,
            regs: r,
            proto,
            start: Instant::now(),
            resolves: None,
            lazy: None,
        }
    }
}

/// The low 8 bytes of xmm0-7.
fn xmm_lows(fp: &libc::user_fpregs_struct) -> [u64; 8] {
    std::array::from_fn(|i| fp.xmm_space[4 * i] as u64 | (fp.xmm_space[4 * i + 1] as u64) << 32)
}

/// What a function returning `ty` returned, as the formatter takes it: `rax`, or the SSE or
/// x87 register read from thread `pid` (stopped at the return).
fn ret_word(pid: Pid, ty: &proto::Ty, rax: u64) -> u64 {
    if proto::ret_reg(ty) == proto::RetReg::Rax {
        return rax;
    }
    let Ok(fp) = pt::get_fpregs(pid) else {
        return 0;
    };
    let st0: Vec<u8> = fp.st_space[..3]
        .iter()
        .flat_map(|w| w.to_le_bytes())
        .collect();
    proto::ret_word(ty, rax, xmm_lows(&fp)[0], Some(&st0))
}

#[derive(Debug)]
struct Thread {
    tgid: i32,
    space: Rc<RefCell<Space>>,
    frames: Vec<Frame>,
    /// Its calls are printed (`-f`, or the first process's threads' leader).
    shown: bool,
    /// `-S`: the system call it is in (between its entry and exit stops).
    syscall: Option<Frame>,
}

impl Thread {
    /// A thread of process `tgid` in `space`, with the call frames it inherits (a forked
    /// child's), in no system call.
    fn new(tgid: i32, space: Rc<RefCell<Space>>, frames: Vec<Frame>, shown: bool) -> Thread {
        Thread {
            tgid,
            space,
            frames,
            shown,
            syscall: None,
        }
    }
}

struct Mem(Pid);

impl Memory for Mem {
    fn cstr(&self, addr: u64, max: usize) -> Option<(Vec<u8>, bool)> {
        pt::mem::read_cstr(self.0, addr, max).ok()
    }
    fn bytes(&self, addr: u64, len: usize) -> Option<Vec<u8>> {
        let mut b = vec![0u8; len];
        pt::mem::read_exact(self.0, addr, &mut b).ok()?;
        Some(b)
    }
}

/// The `--log` file.
pub type LogWriter = tracekit_log::FileWriter<std::io::BufWriter<std::fs::File>>;

/// How the run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The first process exited with this status.
    Exited(i32),
    /// It was killed by this signal.
    Killed(i32),
    /// We detached (`-p`, SIGINT).
    Detached,
}

/// The tracer's state.
pub struct Tracer<'a> {
    cfg: &'a Config,
    protos: Protos,
    proto_cache: HashMap<Rc<str>, Rc<Proto>>,
    /// Prototypes from the DWARF of the modules that define functions no file declares.
    dwarf: crate::dwarf::Cache,
    /// What the functions no file declares got, by name and address (cleared at each exec).
    dwarf_protos: HashMap<(Rc<str>, u64), Rc<Proto>>,
    /// ltrace's default prototype.
    unknown: Rc<Proto>,
    elf_cache: HashMap<PathBuf, Rc<ElfInfo>>,
    threads: HashMap<i32, Thread>,
    deferred: VecDeque<(Pid, Stop)>,
    /// Waits for the stops, polling briefly first (`--wait-spin`).
    waiter: pt::Waiter,
    /// New tasks whose first stop came before their parent's fork/clone event (the kernel
    /// reports the two in either order): they wait, stopped, for that event.
    unclaimed: Vec<i32>,
    pub(crate) printer: Printer,
    /// `-c` totals.
    pub summary: Summary,
    /// `--log`: every returned library call as a `LibCall` event.
    log: Option<LogWriter>,
    log_start: Instant,
    /// `log_start` in CLOCK_MONOTONIC nanoseconds (the in-process agent's clock).
    log_start_mono: u64,
    first: Option<i32>,
    outcome: Option<Outcome>,
    /// `-w`: the unwinder and symbolizer.
    backtraces: Option<crate::backtrace::Backtraces>,
    /// `-c`: returns through trampolines, timed with the time stamp counter.
    lazy: Option<crate::lazyret::TscClock>,
    /// `-c` may count calls in counting stubs (see [`crate::stubs`]).
    stubs_ok: bool,
    /// Code mappings (by file and address) as read for stubs, with where their direct
    /// branches could go.
    stub_text: StubText,
}

/// Code mappings' bytes and branch targets, by file and start address (`None`: unreadable).
type StubText = HashMap<(PathBuf, u64), Option<Rc<(Vec<u8>, HashMap<u64, Vec<u64>>)>>>;

impl std::fmt::Debug for Tracer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tracer").finish_non_exhaustive()
    }
}

/// Whether returns go through trampolines: `-c` needs only their value and time (not the
/// memory of output parameters or the stack at the return, as `-w` does). Call lines too, for
/// the calls whose return line needs nothing but the value ([`quiet_return`]): it is printed
/// at the process's next stop, before anything that stop prints, so not with `-f` (another
/// thread's lines could come first), `-S` (the system calls nest in the call), or times of day
/// (`-t`, `-r`: the line would bear the later time; `-T` is measured by the trampoline).
pub(crate) fn lazy_returns(cfg: &Config) -> bool {
    cfg.backtrace == 0
        && (cfg.count
            || !cfg.follow
                && !cfg.syscalls
                && cfg.layout.time == 0
                && !cfg.layout.relative
                && std::env::var_os("TRACEKIT_LTRACE_NO_LAZY_LINES").is_none())
}

/// Whether a call's return line needs no memory of the tracee: no output parameters, and a
/// return value printed from the register alone.
fn quiet_return(proto: &Proto, style: proto::Style) -> bool {
    proto.entry_params() == proto.params.len()
        && proto::ret_reg(&proto.ret) == proto::RetReg::Rax
        && !proto::reads(proto, style).iter().any(|r| r.at_exit)
}

/// A system call's name from the suite's table (ltrace's `SYS_NR` when it has none).
fn syscall_name(nr: u64) -> String {
    tracekit_syscall_summary::sysent::table()
        .get(nr as usize)
        .and_then(|e| e.as_ref())
        .map(|e| e.name.to_owned())
        .unwrap_or_else(|| nr.to_string())
}

pub(crate) fn signame(sig: i32) -> String {
    tracekit_syscall_summary::signals::name(sig as i64)
}

pub(crate) fn sigdesc(sig: i32) -> String {
    // SAFETY: strsignal returns a pointer to a NUL-terminated string that stays valid until
    // the next call; it is copied at once (we are single-threaded).
    let p = unsafe { libc::strsignal(sig) };
    if p.is_null() {
        return format!("Unknown signal {sig}");
    }
    // SAFETY: non-null, NUL-terminated, see above.
    unsafe { std::ffi::CStr::from_ptr(p) }
        .to_string_lossy()
        .into_owned()
}

/// Writes `bytes` at `addr` in `pid` through `/proc/PID/mem` (one system call, also on
/// read-only code pages, as the tracer), else word by word with `PTRACE_POKEDATA`.
fn write_code(pid: Pid, addr: u64, bytes: &[u8]) -> io::Result<()> {
    use std::os::unix::fs::FileExt;
    let direct = std::fs::OpenOptions::new()
        .write(true)
        .open(format!("/proc/{}/mem", pid.0))
        .and_then(|f| f.write_all_at(bytes, addr));
    match direct {
        Ok(()) => Ok(()),
        Err(_) => pt::mem::write(pid, addr, bytes),
    }
}

impl<'a> Tracer<'a> {
    /// A tracer writing the trace through `printer`.
    pub fn new(cfg: &'a Config, printer: Printer) -> Tracer<'a> {
        Tracer {
            cfg,
            protos: Protos::for_run(&cfg.config_files),
            proto_cache: HashMap::new(),
            dwarf: crate::dwarf::Cache::default(),
            dwarf_protos: HashMap::new(),
            unknown: Rc::new(Proto::unknown()),
            elf_cache: HashMap::new(),
            threads: HashMap::new(),
            deferred: VecDeque::new(),
            waiter: pt::Waiter::new(cfg.wait_spin).interruptible(crate::interrupted),
            unclaimed: Vec::new(),
            printer,
            summary: Summary::default(),
            log: None,
            log_start: Instant::now(),
            log_start_mono: 0,
            first: None,
            outcome: None,
            backtraces: (cfg.backtrace > 0).then(Default::default),
            lazy: lazy_returns(cfg).then(crate::lazyret::TscClock::calibrate),
            stubs_ok: cfg.count
                && lazy_returns(cfg)
                && !cfg.syscalls
                && std::env::var_os("TRACEKIT_LTRACE_NO_STUBS").is_none(),
            stub_text: HashMap::new(),
        }
    }

    fn elf(&mut self, path: &Path) -> io::Result<Rc<ElfInfo>> {
        if let Some(e) = self.elf_cache.get(path) {
            return Ok(e.clone());
        }
        let info = Rc::new(elf::parse(&std::fs::read(path)?)?);
        self.elf_cache.insert(path.to_owned(), info.clone());
        Ok(info)
    }

    /// Sets up a process that just exec'd (or was attached to): its new image gets an entry
    /// breakpoint; an attached, already running process is resolved at once.
    fn new_image(&mut self, pid: Pid, running: bool) -> io::Result<Rc<RefCell<Space>>> {
        // Another program may have other functions at the same addresses.
        self.dwarf_protos.clear();
        let entry = procfs::auxv(pid.0, libc::AT_ENTRY)?.unwrap_or(0);
        let exe = std::fs::read_link(format!("/proc/{}/exe", pid.0))?;
        let maps = procfs::maps(pid.0)?;
        let (lo, hi) = maps
            .iter()
            .filter(|m| m.path == exe)
            .fold((u64::MAX, 0), |(lo, hi), m| {
                (lo.min(m.start), hi.max(m.end))
            });
        let mut space = Space {
            exe_name: exe
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
                .into(),
            exe_path: exe.clone(),
            exe_bias: 0,
            exe_lo: lo,
            exe_hi: hi,
            entry,
            started: false,
            bps: HashMap::new(),
            libs: Vec::new(),
            r_state: None,
            returns: None,
            stubs: None,
        };
        let bp = Breakpoint::insert(pid, entry)?;
        space.bps.insert(entry, (bp, Site::Entry));
        let space = Rc::new(RefCell::new(space));
        if running {
            // The entry point has run long ago: resolve now; the int3 there is the trap.
            self.resolve(pid, &space)?;
            space.borrow_mut().started = true;
        }
        Ok(space)
    }

    /// Plants the function breakpoints of `space`: at the program's entry point (or at once
    /// when attached) for everything mapped then, and again each time the dynamic linker says
    /// a `dlopen` or `dlclose` is done, for the libraries that came (their breakpoints) and
    /// went (theirs forgotten: their memory is gone).
    fn resolve(&mut self, pid: Pid, space: &Rc<RefCell<Space>>) -> io::Result<()> {
        if let Some(b) = &mut self.backtraces {
            b.invalidate(self.threads.get(&pid.0).map_or(pid.0, |t| t.tgid));
        }
        let exe_path = std::fs::read_link(format!("/proc/{}/exe", pid.0))?;
        let maps = procfs::maps(pid.0)?;
        let exe = self.elf(&exe_path)?;
        let base_of = |path: &Path| {
            maps.iter()
                .filter(|m| m.path == path)
                .map(|m| m.start - m.offset)
                .min()
        };
        let exe_bias = if exe.dyn_type {
            base_of(&exe_path).unwrap_or(0) - exe.first_load
        } else {
            0
        };
        // Libraries in mapping order, the dynamic linker last (it defines few public functions
        // and libc's win).
        let mut libs: Vec<Loaded> = Vec::new();
        for m in &maps {
            if m.path == exe_path || libs.iter().any(|l| l.obj.path == m.path) {
                continue;
            }
            let Ok(info) = self.elf(&m.path) else {
                continue;
            };
            let (lo, hi) = maps
                .iter()
                .filter(|x| x.path == m.path)
                .fold((u64::MAX, 0), |(lo, hi), x| {
                    (lo.min(x.start), hi.max(x.end))
                });
            let bias = base_of(&m.path).unwrap_or(0).wrapping_sub(info.first_load);
            let name = m
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            libs.push(Loaded {
                obj: Object {
                    path: m.path.clone(),
                    name: name.into(),
                    lo,
                    hi,
                    bias,
                },
                bias,
                info,
            });
        }
        libs.sort_by_key(|l| l.obj.name.starts_with("ld-"));
        let (initial, entry) = {
            let mut s = space.borrow_mut();
            s.exe_bias = exe_bias;
            // Libraries unmapped since the last look (dlclose): forget their breakpoints, and
            // them as callers.
            let gone: Vec<Object> = s
                .libs
                .iter()
                .filter(|o| !libs.iter().any(|l| l.obj == **o))
                .cloned()
                .collect();
            if !gone.is_empty() {
                let inside = |a: u64| gone.iter().any(|o| o.lo <= a && a < o.hi);
                s.bps.retain(|&a, _| !inside(a));
                if let Some(st) = s.stubs.as_mut() {
                    st.patched.retain(|&a, _| !inside(a));
                }
                for (_, site) in s.bps.values_mut() {
                    if let Some(Func {
                        callers: Callers::From(from),
                        ..
                    }) = site.func_mut()
                    {
                        from.retain(|&lo| !inside(lo));
                    }
                }
                s.libs.retain(|o| !gone.contains(o));
            }
            (!s.started, s.entry)
        };
        let new: Vec<usize> = {
            let s = space.borrow();
            (0..libs.len())
                .filter(|&i| !s.libs.contains(&libs[i].obj))
                .collect()
        };
        let lib_of = |addr: u64| -> Option<&Loaded> {
            libs.iter().find(|l| {
                maps.iter()
                    .any(|m| m.path == l.obj.path && m.start <= addr && addr < m.end)
            })
        };
        let (exe_lo, exe_hi) = {
            let s = space.borrow();
            (s.exe_lo, s.exe_hi)
        };
        // The callers whose imports are traced: the program, the first time; each new library
        // when a filter can select a library's calls.
        // (The library, `None` for the program; its range; its load bias; its ELF.)
        type Caller<'l> = (Option<&'l Loaded>, (u64, u64), u64, Rc<ElfInfo>);
        let mut callers: Vec<Caller<'_>> = Vec::new();
        if initial {
            callers.push((None, (exe_lo, exe_hi), exe_bias, exe.clone()));
        }
        if self.cfg.filter.selects_library_calls() {
            for &i in &new {
                let l = &libs[i];
                callers.push((Some(l), (l.obj.lo, l.obj.hi), l.bias, l.info.clone()));
            }
        }
        let mut wanted: Vec<(u64, Func)> = Vec::new();
        for (caller, (lo, hi), bias, info) in &callers {
            for imp in &info.imports {
                let mut found: Option<(u64, &Loaded)> = None;
                for slot in &imp.got {
                    if let Ok(v) = pt::mem::read_val::<u64>(pid, slot + bias) {
                        if v != 0 && !(*lo <= v && v < *hi) {
                            if let Some(l) = lib_of(v) {
                                found = Some((v, l));
                                break;
                            }
                        }
                    }
                }
                let mut ifunc = false;
                if found.is_none() {
                    // The library the symbol's version names first (`ldexp@GLIBC_2.2.5` is
                    // libm's and libc's: the dynamic linker binds the one in libm.so.6).
                    let versioned = libs
                        .iter()
                        .filter(|l| imp.from.as_deref() == Some(&*l.obj.name));
                    for l in versioned.chain(&libs) {
                        if caller.is_some_and(|c| c.obj == l.obj) {
                            continue;
                        }
                        if let Some(e) = l.info.exports.get(&imp.name) {
                            ifunc = e.ifunc;
                            found = Some((l.bias.wrapping_add(e.addr), l));
                            break;
                        }
                    }
                }
                let Some((addr, callee)) = found else {
                    continue;
                };
                let by = caller.map(|c| &*c.obj.name);
                if self
                    .cfg
                    .filter
                    .matches_call(&imp.name, by, &callee.obj.name)
                {
                    let relocated = initial || !new.iter().any(|&i| libs[i].obj == callee.obj);
                    let f = Func::called_by(&imp.name, &callee.obj.name, *lo);
                    wanted.push(self.implementation(pid, addr, ifunc, relocated, space, f)?);
                }
            }
        }
        // A library dlopen'd after the start: the program calls its functions through
        // pointers (dlsym), so every exported function breaks, for the program's calls. A
        // name with a leading underscore is the alias, not the name shown.
        if !initial {
            for &i in &new {
                let l = &libs[i];
                let mut exports: Vec<(&String, &elf::Export)> = l.info.exports.iter().collect();
                exports.sort_by_key(|(n, _)| (n.starts_with('_'), n.as_str()));
                for (name, e) in exports {
                    if !self.cfg.filter.matches_call(name, None, &l.obj.name) {
                        continue;
                    }
                    let addr = l.bias.wrapping_add(e.addr);
                    let f = Func::called_by(name, &l.obj.name, exe_lo);
                    wanted.push(self.implementation(pid, addr, e.ifunc, false, space, f)?);
                }
            }
        }
        if initial {
            let exe_name = space.borrow().exe_name.clone();
            self.program_symbols(pid, &exe, exe_bias, &exe_name, entry, &mut wanted)?;
            // Counting stubs and return trampolines: read before an exec replaces them.
            if self.stubs_ok || self.lazy.is_some() {
                for l in &libs {
                    for name in ["execve", "execveat", "fexecve"] {
                        if let Some(e) = l.info.exports.get(name) {
                            let mut f = Func::called_by(name, &l.obj.name, 0);
                            f.callers = Callers::From(Vec::new());
                            f.sync = true;
                            wanted.push((l.bias.wrapping_add(e.addr), f));
                        }
                    }
                }
            }
            // The dynamic linker calls `_dl_debug_state` when a dlopen or dlclose begins and
            // when it is done (r_state back to RT_CONSISTENT): where we look again.
            if let Some(ld) = libs.iter().find(|l| l.info.r_debug.is_some()) {
                if let Some(e) = ld.info.functions.get("_dl_debug_state") {
                    let lib = ld.obj.name.clone();
                    let r_debug = ld.bias.wrapping_add(ld.info.r_debug.unwrap_or(0));
                    space.borrow_mut().r_state = Some(r_debug + 24);
                    let mut f = Func::called_by("_dl_debug_state", &lib, 0);
                    f.callers = Callers::From(Vec::new());
                    f.link_map = true;
                    wanted.push((ld.bias.wrapping_add(e.addr), f));
                }
            }
        }
        {
            let mut s = space.borrow_mut();
            for i in new {
                s.libs.push(libs[i].obj.clone());
            }
        }
        self.plant(pid, space, wanted);
        if initial && self.lazy.is_some() {
            self.map_returns(pid, space);
        }
        Ok(())
    }

    /// `-c`: maps the return trampolines' code and data pages in the tracee (on failure,
    /// returns trap as without `-c`).
    fn map_returns(&mut self, pid: Pid, space: &Rc<RefCell<Space>>) {
        use crate::lazyret;
        let entry = space.borrow().entry;
        let Ok(code) = self.map_scratch(
            pid,
            entry,
            lazyret::CODE_LEN,
            libc::PROT_READ | libc::PROT_EXEC,
        ) else {
            return;
        };
        let rw = libc::PROT_READ | libc::PROT_WRITE;
        let Ok(data) = self.map_scratch(pid, entry, lazyret::DATA_LEN, rw) else {
            return;
        };
        let Some(text) = lazyret::trampolines(code, data) else {
            return;
        };
        if pt::mem::write(pid, code, &text).is_ok() {
            space.borrow_mut().returns = Some(lazyret::Returns::new(code, data));
        }
    }

    /// `-c`: the calls of `tid`'s process that returned through their trampolines since the
    /// last look are finished (counted), innermost first.
    fn collect_returns(&mut self, tid: i32) -> io::Result<()> {
        let Some(clock) = self.lazy else {
            return Ok(());
        };
        let Some(space) = self.threads.get(&tid).map(|t| t.space.clone()) else {
            return Ok(());
        };
        let Some((addr, len)) = space
            .borrow()
            .returns
            .as_ref()
            .and_then(|r| r.pending_range())
        else {
            return Ok(());
        };
        let mut bytes = vec![0u8; len];
        match pt::mem::read_exact(Pid(tid), addr, &mut bytes) {
            Err(e) if e.raw_os_error() == Some(libc::ESRCH) => return Err(e),
            // The pages are gone (the program unmapped them): those calls are not counted,
            // and the next ones return through the trap.
            Err(_) => {
                space.borrow_mut().returns = None;
                return Ok(());
            }
            Ok(()) => {}
        }
        let done = match space.borrow_mut().returns.as_mut() {
            Some(r) => r.collect(&bytes),
            None => return Ok(()),
        };
        for (d, owner) in done.into_iter().rev() {
            let Some(th) = self.threads.get_mut(&owner) else {
                continue;
            };
            let Some(i) = th
                .frames
                .iter()
                .rposition(|f| f.lazy.is_some_and(|(k, _)| k == d.slot))
            else {
                continue;
            };
            // Frames above it were left by a longjmp.
            th.frames.truncate(i + 1);
            let frame = th.frames.pop().expect("found above");
            let shown = th.shown;
            let start_tsc = frame.lazy.map_or(0, |(_, t)| t);
            let spent = clock.duration(d.tsc.saturating_sub(start_tsc));
            if shown {
                self.finish(Pid(owner), i, &frame, d.rax, None, spent)?;
            }
        }
        Ok(())
    }

    /// Inserts the breakpoints `wanted`, one per address: the callers of aliases and of one
    /// function imported by several objects are merged, also into a breakpoint already there.
    fn plant(&mut self, pid: Pid, space: &Rc<RefCell<Space>>, wanted: Vec<(u64, Func)>) {
        let mut merged: Vec<(u64, Func)> = Vec::new();
        {
            let mut s = space.borrow_mut();
            for (a, f) in wanted {
                if let Some(old) = s.bps.get_mut(&a).and_then(|(_, site)| site.func_mut()) {
                    old.add_callers(&f.callers);
                    old.sync |= f.sync;
                } else if let Some((_, old)) = merged.iter_mut().find(|(b, _)| *b == a) {
                    old.add_callers(&f.callers);
                    old.sync |= f.sync;
                } else if let Some(&(orig, k)) = s.stubs.as_ref().and_then(|st| st.patched.get(&a))
                {
                    // Counted by a stub already: its callers widen, or it goes back to a
                    // breakpoint when the stub cannot hold them.
                    let st = s.stubs.as_ref().expect("patched");
                    let from = match (&st.from[k as usize], &f.callers) {
                        (None, _) | (_, Callers::Any) => None,
                        (Some(old), Callers::From(new)) => {
                            let mut v = old.clone();
                            v.extend(new.iter().filter(|lo| !old.contains(lo)));
                            Some(v)
                        }
                    };
                    let at = crate::stubs::func_record_at(st.data, k) + 24;
                    match s.stub_ranges(&from) {
                        Some(r) => {
                            let _ = pt::mem::write(pid, at, &crate::stubs::caller_ranges(&r));
                            s.stubs.as_mut().expect("patched").from[k as usize] = from;
                        }
                        None => {
                            let _ = pt::mem::write(pid, a, &orig);
                            s.stubs.as_mut().expect("patched").patched.remove(&a);
                            let mut f = f;
                            f.callers = from.map_or(Callers::Any, Callers::From);
                            merged.push((a, f));
                        }
                    }
                } else {
                    merged.push((a, f));
                }
            }
        }
        if self.stubs_ok {
            self.plant_stubs(pid, space, &mut merged);
        }
        self.place_out_of_line(pid, space, &mut merged);
        let mut s = space.borrow_mut();
        for (addr, f) in merged {
            match Breakpoint::insert(pid, addr) {
                Ok(bp) => {
                    s.bps.insert(addr, (bp, Site::Func(f)));
                }
                Err(e) => eprintln!(
                    "{}: cannot set a breakpoint at {addr:#x} ({}): {e}",
                    crate::PROG,
                    f.name
                ),
            }
        }
    }

    /// Where `f`'s breakpoint goes for a function at `addr`: there, or for an IFUNC the
    /// implementation its resolver picks (run now in a relocated library; in one the dynamic
    /// linker has mapped but not relocated yet, the resolver's return is caught instead).
    fn implementation(
        &mut self,
        pid: Pid,
        addr: u64,
        ifunc: bool,
        relocated: bool,
        space: &Rc<RefCell<Space>>,
        mut f: Func,
    ) -> io::Result<(u64, Func)> {
        if !ifunc {
            return Ok((addr, f));
        }
        if relocated {
            // Our breakpoint on the resolver itself (planted while its library was new) is
            // lifted while it runs for us.
            let ours = space.borrow().bps.get(&addr).map(|(bp, _)| *bp);
            if let Some(bp) = &ours {
                bp.remove(pid)?;
            }
            let r = self.call_resolver(pid, addr, space.borrow().entry);
            if let Some(bp) = &ours {
                bp.reinsert(pid)?;
            }
            return Ok((r?, f));
        }
        f.resolves = true;
        Ok((addr, f))
    }

    /// The `-x` symbols of the program.
    fn program_symbols(
        &mut self,
        pid: Pid,
        exe: &ElfInfo,
        exe_bias: u64,
        exe_name: &Rc<str>,
        entry: u64,
        wanted: &mut Vec<(u64, Func)>,
    ) -> io::Result<()> {
        for (name, e) in &exe.functions {
            if self.cfg.syms.iter().any(|p| crate::filter::glob(p, name)) {
                let mut func = Func::called_by(name, exe_name, 0);
                func.callers = Callers::Any;
                if !e.ifunc {
                    wanted.push((exe_bias + e.addr, func));
                } else if exe.interp {
                    let addr = self.call_resolver(pid, exe_bias + e.addr, entry)?;
                    wanted.push((addr, func));
                } else {
                    // A static program selects its IFUNCs after its entry point (the CPU
                    // features are not known yet): break at every implementation, which
                    // glibc names `__NAME_variant`.
                    let prefix = format!("__{name}_");
                    for (other, impl_) in &exe.functions {
                        if other.starts_with(&prefix) && !impl_.ifunc {
                            wanted.push((exe_bias + impl_.addr, func.clone()));
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// `-c`: moves the functions of `wanted` that qualify (see [`crate::stubs`]) to counting
    /// stubs, mapped in the tracee on first use; what remains gets breakpoints.
    fn plant_stubs(&mut self, pid: Pid, space: &Rc<RefCell<Space>>, wanted: &mut Vec<(u64, Func)>) {
        use crate::stubs;
        let execs = [
            "execve", "execv", "execvp", "execvpe", "execl", "execlp", "execle", "fexecve",
            "execveat",
        ];
        let from = |f: &Func| match &f.callers {
            Callers::Any => None,
            Callers::From(v) => Some(v.clone()),
        };
        let ranges = |f: &Func| -> Option<Vec<(u64, u64)>> {
            if f.link_map
                || f.resolves
                || f.sync
                || leaves_by_unwinding(&f.name)
                || execs.contains(&&*f.name)
            {
                return None;
            }
            space.borrow().stub_ranges(&from(f))
        };
        if !wanted.iter().any(|(_, f)| ranges(f).is_some()) {
            return;
        }
        // Where every thread of the process is: none may be inside the bytes replaced.
        let mut rips = Vec::new();
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{}/task", pid.0)) else {
            return;
        };
        for t in tasks.flatten() {
            let Some(tid) = t.file_name().to_str().and_then(|n| n.parse::<i32>().ok()) else {
                continue;
            };
            match pt::get_regs(Pid(tid)) {
                Ok(r) => rips.push((tid, r)),
                // A thread we do not hold stopped: no stubs now.
                Err(_) => return,
            }
        }
        if space.borrow().stubs.is_none() {
            // Without -f only the process's first thread is traced (and with -p the leader).
            let tgid = std::fs::read_to_string(format!("/proc/{}/status", pid.0))
                .ok()
                .and_then(|st| {
                    st.lines()
                        .find_map(|l| l.strip_prefix("Tgid:"))
                        .and_then(|v| v.trim().parse::<i32>().ok())
                });
            let main_fs = rips
                .iter()
                .find(|(t, _)| Some(*t) == tgid)
                .map_or(0, |(_, r)| r.fs_base);
            if main_fs == 0 && !self.cfg.follow {
                self.stubs_ok = false;
                return;
            }
            let entry = space.borrow().entry;
            let rx = libc::PROT_READ | libc::PROT_EXEC;
            let rw = libc::PROT_READ | libc::PROT_WRITE;
            let (Ok(code), Ok(data)) = (
                self.map_scratch(pid, entry, stubs::CODE_LEN, rx),
                self.map_scratch(pid, entry, stubs::DATA_LEN, rw),
            ) else {
                self.stubs_ok = false;
                return;
            };
            let mut head = [0u8; 16];
            // With -f every thread's calls count (0 = any thread).
            if !self.cfg.follow {
                head[..8].copy_from_slice(&main_fs.to_le_bytes());
            }
            head[8..].copy_from_slice(&entry.to_le_bytes());
            if write_code(pid, code, &stubs::code_head(code, data)).is_err()
                || pt::mem::write(pid, data + stubs::MAIN_FS, &head).is_err()
            {
                self.stubs_ok = false;
                return;
            }
            space.borrow_mut().stubs = Some(stubs::Stubs {
                code,
                data,
                funcs: Vec::new(),
                patched: HashMap::new(),
                from: Vec::new(),
            });
        }
        let (code, data, mut k) = {
            let s = space.borrow();
            let st = s.stubs.as_ref().expect("mapped above");
            (st.code, st.data, st.funcs.len() as u64)
        };
        let maps = procfs::maps(pid.0).unwrap_or_default();
        // Each mapping's bytes, read once (the functions' first bytes), and where its direct
        // branches could go (kept for later plants: a library's text does not change).
        let text = &mut self.stub_text;
        // Written together once all are known: the functions' code (consecutive in the code
        // mapping), their records (consecutive in the data mapping), the entry jumps.
        let first = k;
        let mut code_blob: Vec<u8> = Vec::new();
        let mut records: Vec<u8> = Vec::new();
        // (index in `wanted`, entry, its original bytes, the jump, the callers).
        type Planned = (usize, u64, [u8; 5], [u8; 5], Option<Vec<u64>>);
        let mut planned: Vec<Planned> = Vec::new();
        for (i, (addr, f)) in wanted.iter().enumerate() {
            if k >= stubs::MAX_FUNCS {
                break;
            }
            let Some(ranges) = ranges(f) else {
                continue;
            };
            // Code of a file only (anonymous code may change under us).
            let Some(m) = maps
                .iter()
                .find(|m| m.start <= *addr && *addr < m.end && m.path.is_absolute())
            else {
                continue;
            };
            let Some(mapped) = text
                .entry((m.path.clone(), m.start))
                .or_insert_with(|| {
                    let mut b = vec![0u8; (m.end - m.start) as usize];
                    pt::mem::read_exact(pid, m.start, &mut b).ok()?;
                    let branches = stubs::branch_targets(&b, m.start);
                    Some(Rc::new((b, branches)))
                })
                .clone()
            else {
                continue;
            };
            let (bytes, branches) = &*mapped;
            let at = (*addr - m.start) as usize;
            let head = &bytes[at..bytes.len().min(at + 32)];
            let Some((len, starts, moved)) = stubs::movable(head, *addr, stubs::ool_at(code, k))
            else {
                continue;
            };
            let Some(patch) = stubs::jmp(*addr, stubs::prefix_at(code, k)) else {
                continue;
            };
            let (lo, hi) = (*addr, *addr + len as u64);
            if rips.iter().any(|(_, r)| lo < r.rip && r.rip < hi) {
                continue;
            }
            // A branch from anywhere in the mapping (but the moved bytes) into the jump.
            let into = starts.iter().any(|&s| {
                branches
                    .get(&(addr + s as u64))
                    .is_some_and(|from| from.iter().any(|&f| f < lo || f >= hi))
            });
            if into {
                continue;
            }
            let Some(mut func) = stubs::func_code(code, k, &moved, hi) else {
                continue;
            };
            func.resize(stubs::PREFIX_LEN as usize, 0xcc);
            code_blob.extend_from_slice(&func);
            records.extend_from_slice(&stubs::func_record(&ranges, stubs::ool_at(code, k)));
            let mut orig = [0u8; 5];
            orig.copy_from_slice(&head[..5]);
            planned.push((i, *addr, orig, patch, from(f)));
            k += 1;
        }
        let mut done = Vec::new();
        let written = !planned.is_empty()
            && write_code(pid, stubs::prefix_at(code, first), &code_blob).is_ok()
            && pt::mem::write_many(pid, &[(stubs::func_record_at(data, first), &records[..])])
                .is_ok();
        if written {
            for (n, (i, addr, orig, patch, from)) in planned.into_iter().enumerate() {
                let mut s = space.borrow_mut();
                let st = s.stubs.as_mut().expect("mapped above");
                // Every planned function has its index (a failed jump leaves its counters 0).
                st.funcs.push((wanted[i].1.name.clone(), 0, 0));
                st.from.push(from);
                if write_code(pid, addr, &patch).is_ok() {
                    st.patched.insert(addr, (orig, first + n as u64));
                    done.push(i);
                }
            }
        }
        if std::env::var_os("TRACEKIT_LTRACE_DEBUG_STUBS").is_some() {
            eprintln!(
                "{}: {} of {} functions counted by stubs",
                crate::PROG,
                done.len(),
                wanted.len()
            );
        }
        for i in done.into_iter().rev() {
            wanted.remove(i);
        }
    }

    /// `-c`: the calls the stubs of `tid`'s process counted since the last look.
    fn collect_stubs(&mut self, tid: i32) -> io::Result<()> {
        let Some(clock) = self.lazy else {
            return Ok(());
        };
        let Some(space) = self.threads.get(&tid).map(|t| t.space.clone()) else {
            return Ok(());
        };
        let (at, n) = match &space.borrow().stubs {
            Some(st) if !st.funcs.is_empty() => {
                (crate::stubs::func_record_at(st.data, 0), st.funcs.len())
            }
            _ => return Ok(()),
        };
        let mut bytes = vec![0u8; n * crate::stubs::FUNC_LEN as usize];
        match pt::mem::read_exact(Pid(tid), at, &mut bytes) {
            Err(e) if e.raw_os_error() == Some(libc::ESRCH) => return Err(e),
            Err(_) => return Ok(()),
            Ok(()) => {}
        }
        let mut adds = Vec::new();
        if let Some(st) = space.borrow_mut().stubs.as_mut() {
            for ((name, calls, ticks), (c, t)) in
                st.funcs.iter_mut().zip(crate::stubs::counters(&bytes))
            {
                if c > *calls {
                    adds.push((name.clone(), c - *calls, t.saturating_sub(*ticks)));
                }
                (*calls, *ticks) = (c, t);
            }
        }
        for (name, calls, ticks) in adds {
            let name = self.display_name(&name);
            self.summary.add_many(&name, calls, clock.duration(ticks));
        }
        Ok(())
    }

    /// Copies the first instruction of each function in `wanted` that can run anywhere into a
    /// scratch page of the tracee, followed by an absolute jump back to the next one. A hit
    /// then continues there: no single-step, no other thread to stop.
    fn place_out_of_line(
        &mut self,
        pid: Pid,
        space: &Rc<RefCell<Space>>,
        wanted: &mut [(u64, Func)],
    ) {
        const SLOT: u64 = 32;
        let mut plan = Vec::new();
        for (k, (addr, _)) in wanted.iter().enumerate() {
            let mut code = [0u8; 16];
            if pt::mem::read_exact(pid, *addr, &mut code).is_err() {
                continue;
            }
            if let Some(len) = crate::insn::relocatable_len(&code) {
                plan.push((k, code, len));
            }
        }
        if plan.is_empty() {
            return;
        }
        let size = (plan.len() as u64 * SLOT).div_ceil(4096) * 4096;
        let entry = space.borrow().entry;
        let base = match self.map_scratch(pid, entry, size, libc::PROT_READ | libc::PROT_EXEC) {
            Ok(b) => b,
            // A sandbox refusing mmap: single-step instead.
            Err(_) => return,
        };
        for (n, (k, code, len)) in plan.into_iter().enumerate() {
            let slot = base + n as u64 * SLOT;
            let back = wanted[k].0 + len as u64;
            let mut bytes = code[..len].to_vec();
            bytes.extend_from_slice(&[0xff, 0x25, 0, 0, 0, 0]); // jmp *0(%rip)
            bytes.extend_from_slice(&back.to_ne_bytes());
            if pt::mem::write(pid, slot, &bytes).is_ok() {
                wanted[k].1.ool = Some(slot);
            }
        }
    }

    /// Maps `len` bytes of executable memory in the tracee by running `mmap` there, from a
    /// `syscall; int3` written over the entry point (which never runs again) for the purpose.
    fn map_scratch(&mut self, pid: Pid, at: u64, len: u64, prot: i32) -> io::Result<u64> {
        let saved = pt::get_regs(pid)?;
        let mut orig = [0u8; 3];
        pt::mem::read_exact(pid, at, &mut orig)?;
        pt::mem::write(pid, at, &[0x0f, 0x05, 0xcc])?;
        let mut r = saved;
        r.rip = at;
        r.rax = libc::SYS_mmap as u64;
        r.orig_rax = u64::MAX;
        r.rdi = 0;
        r.rsi = len;
        r.rdx = prot as u64;
        r.r10 = (libc::MAP_PRIVATE | libc::MAP_ANONYMOUS) as u64;
        r.r8 = u64::MAX;
        r.r9 = 0;
        let result = pt::set_regs(pid, &r)
            .and_then(|()| pt::resume(pid, Resume::Continue, 0))
            .and_then(|()| loop {
                match pt::wait_pid(Some(pid), false)?.map(|(_, s, _)| s) {
                    Some(Stop::Signal(libc::SIGTRAP)) => break pt::get_regs(pid),
                    Some(s @ (Stop::Exited(_) | Stop::Killed { .. })) => {
                        self.deferred.push_back((pid, s));
                        break Err(io::Error::other("the process ended in mmap"));
                    }
                    Some(Stop::Signal(sig)) => {
                        break Err(io::Error::other(format!("mmap got {}", signame(sig))))
                    }
                    _ => pt::resume(pid, Resume::Continue, 0)?,
                }
            });
        pt::mem::write(pid, at, &orig)?;
        pt::set_regs(pid, &saved)?;
        let now = result?;
        if now.rip != at + 3 || now.rax > (-4096i64) as u64 {
            return Err(io::Error::other("mmap in the tracee failed"));
        }
        Ok(now.rax)
    }

    /// Runs an IFUNC resolver in the tracee (stopped at its entry breakpoint, whose `int3`
    /// catches the return) and returns the implementation it picks.
    fn call_resolver(&mut self, pid: Pid, resolver: u64, trap: u64) -> io::Result<u64> {
        let saved = pt::get_regs(pid)?;
        let mut r = saved;
        r.rsp = ((saved.rsp - 1024) & !0xf) - 8;
        pt::mem::write(pid, r.rsp, &trap.to_ne_bytes())?;
        r.rip = resolver;
        r.orig_rax = u64::MAX;
        r.rdi = procfs::auxv(pid.0, libc::AT_HWCAP)?.unwrap_or(0);
        r.rax = 0;
        pt::set_regs(pid, &r)?;
        pt::resume(pid, Resume::Continue, 0)?;
        let result = loop {
            match pt::wait_pid(Some(pid), false)?.map(|(_, s, _)| s) {
                Some(Stop::Signal(libc::SIGTRAP)) => {
                    let now = pt::get_regs(pid)?;
                    if now.rip == trap + 1 {
                        break now.rax;
                    }
                    return Err(io::Error::other("IFUNC resolver trapped elsewhere"));
                }
                Some(Stop::Signal(sig)) => {
                    return Err(io::Error::other(format!(
                        "IFUNC resolver got {}",
                        signame(sig)
                    )))
                }
                Some(s @ (Stop::Exited(_) | Stop::Killed { .. })) => {
                    self.deferred.push_back((pid, s));
                    return Err(io::Error::other("the process ended in an IFUNC resolver"));
                }
                _ => pt::resume(pid, Resume::Continue, 0)?,
            }
        };
        pt::set_regs(pid, &saved)?;
        Ok(result)
    }

    /// The prototype of `name`: the one a file declares, else the one the DWARF of the module
    /// it is in gives (`at`: its address in `space`), else ltrace's default.
    fn proto(&mut self, name: &Rc<str>, at: Option<(&Rc<RefCell<Space>>, u64)>) -> Rc<Proto> {
        if let Some(p) = self.proto_cache.get(name) {
            return p.clone();
        }
        if let Some(p) = self.protos.declared(name) {
            let p = Rc::new(p.clone());
            self.proto_cache.insert(name.clone(), p.clone());
            return p;
        }
        // `-c` prints no arguments: no module is read for them.
        let Some((space, addr)) = at.filter(|_| !self.cfg.no_dwarf && !self.cfg.count) else {
            return self.unknown.clone();
        };
        let key = (name.clone(), addr);
        if let Some(p) = self.dwarf_protos.get(&key) {
            return p.clone();
        }
        let module = space.borrow().module_at(addr);
        let p = module
            .and_then(|(path, addr)| self.dwarf.proto(&path, name, Some(addr)))
            .unwrap_or_else(|| self.unknown.clone());
        self.dwarf_protos.insert(key, p.clone());
        p
    }

    fn style(&self) -> proto::Style {
        proto::Style {
            strsize: self.cfg.strsize,
            arraylen: self.cfg.arraylen,
        }
    }

    fn display_name(&self, name: &str) -> String {
        if self.cfg.demangle {
            crate::demangle(name)
        } else {
            name.to_owned()
        }
    }

    fn format_args(
        &self,
        pid: Pid,
        f: &Frame,
        range: std::ops::Range<usize>,
        ret: Option<u64>,
    ) -> String {
        proto::call_args(
            &f.proto,
            &f.regs,
            f.slot,
            range,
            ret,
            &Mem(pid),
            self.style(),
        )
    }

    /// Stops every other thread sharing `tid`'s address space; returns those stopped by us.
    fn stop_others(&mut self, tid: i32) -> io::Result<Vec<i32>> {
        let space = self.threads[&tid].space.clone();
        let others: Vec<i32> = self
            .threads
            .iter()
            .filter(|(&t, th)| t != tid && Rc::ptr_eq(&th.space, &space))
            .map(|(&t, _)| t)
            .filter(|t| !self.deferred.iter().any(|(p, _)| p.0 == *t))
            .collect();
        let mut stopped = Vec::new();
        for &t in &others {
            if pt::interrupt(Pid(t)).is_ok() {
                stopped.push(t);
            }
        }
        let mut waiting = stopped.clone();
        let mut resumable = Vec::new();
        while !waiting.is_empty() {
            let Some((p, s, _)) = pt::wait_pid(None, false)? else {
                continue;
            };
            if let Some(i) = waiting.iter().position(|&w| w == p.0) {
                waiting.swap_remove(i);
                if s == Stop::Interrupt {
                    resumable.push(p.0);
                    continue;
                }
            }
            self.deferred.push_back((p, s));
        }
        Ok(resumable)
    }

    fn step_over(&mut self, tid: i32, bp: Breakpoint) -> io::Result<()> {
        let tgid = self.threads[&tid].tgid;
        let others = if self.thread_count_sharing(tid) > 1 {
            self.stop_others(tid)?
        } else {
            Vec::new()
        };
        let r = bp.step_over(Pid(tgid), Pid(tid))?;
        for t in others {
            let _ = self.cont(Pid(t), 0);
        }
        match r {
            None => self.cont(Pid(tid), 0),
            Some(stop) => {
                self.deferred.push_back((Pid(tid), stop));
                Ok(())
            }
        }
    }

    fn thread_count_sharing(&self, tid: i32) -> usize {
        let space = &self.threads[&tid].space;
        self.threads
            .values()
            .filter(|t| Rc::ptr_eq(&t.space, space))
            .count()
    }

    fn on_trap(&mut self, tid: i32) -> io::Result<()> {
        let pid = Pid(tid);
        let mut regs = pt::get_regs(pid)?;
        let addr = regs.rip.wrapping_sub(1);
        let space = self.threads[&tid].space.clone();
        let site = space.borrow().bps.get(&addr).cloned();
        let Some((bp, site)) = site else {
            // Not ours: a SIGTRAP the program raised.
            return self.deliver(tid, libc::SIGTRAP);
        };
        if matches!(&site, Site::Func(f) if f.sync) {
            // `execve` may be about to replace the stubs' memory.
            self.collect_stubs(tid)?;
        }
        match site {
            Site::Entry => {
                let started = space.borrow().started;
                if !started {
                    if let Err(e) = self.resolve(pid, &space) {
                        eprintln!("{}: {e}", crate::PROG);
                    }
                    space.borrow_mut().started = true;
                    return self.step_over(tid, bp);
                }
                // The return trap: the top frame's function returned.
                let th = self.threads.get_mut(&tid).expect("known thread");
                // Frames left by a longjmp over them are dropped.
                while th.frames.last().is_some_and(|f| f.slot + 8 < regs.rsp) {
                    th.frames.pop();
                }
                let Some(frame) = th.frames.pop() else {
                    return self.deliver(tid, libc::SIGTRAP);
                };
                let depth = th.frames.len();
                let shown = th.shown;
                regs.rip = frame.ret;
                pt::set_regs(pid, &regs)?;
                if let Some(f) = frame.resolves {
                    self.with_others_stopped(tid, |me| {
                        me.plant(pid, &space, vec![(regs.rax, f)]);
                        Ok(())
                    })?;
                    return self.cont(pid, 0);
                }
                if shown {
                    let spent = frame.start.elapsed();
                    let rv = ret_word(pid, &frame.proto.ret, regs.rax);
                    self.finish(pid, depth, &frame, rv, Some(&regs), spent)?;
                }
                self.cont(pid, 0)
            }
            Site::Func(f) if f.link_map => {
                self.on_link_map(tid, &space)?;
                self.continue_past(tid, bp, &f, regs)
            }
            Site::Func(f) if f.resolves => {
                // Its return traps at the entry point, where the implementation is planted.
                let ret = pt::mem::read_val::<u64>(pid, regs.rsp)?;
                let frame = Frame {
                    name: f.name.clone(),
                    lib: f.lib.clone(),
                    ret,
                    slot: regs.rsp,
                    regs: proto::Regs::default(),
                    proto: self.proto(&f.name, Some((&space, addr))),
                    start: Instant::now(),
                    resolves: Some(Func {
                        resolves: false,
                        ool: None,
                        ..f.clone()
                    }),
                    lazy: None,
                };
                self.threads
                    .get_mut(&tid)
                    .expect("known thread")
                    .frames
                    .push(frame);
                let entry = space.borrow().entry;
                pt::mem::write(pid, regs.rsp, &entry.to_ne_bytes())?;
                self.continue_past(tid, bp, &f, regs)
            }
            Site::Func(f) => {
                let ret = pt::mem::read_val::<u64>(pid, regs.rsp)?;
                let (caller, started, entry) = {
                    let s = space.borrow();
                    let caller = s.caller_at(ret).map(|(lo, name)| (lo, name.clone()));
                    (caller, s.started, s.entry)
                };
                let shown = self.threads[&tid].shown;
                // A return address that is our return trap is a tail call from a traced
                // function (`operator new[]` jumping to `operator new`): not the caller's call.
                let counted = shown
                    && started
                    && ret != entry
                    && match &f.callers {
                        Callers::Any => true,
                        Callers::From(from) => {
                            caller.as_ref().is_some_and(|(lo, _)| from.contains(lo))
                        }
                    };
                if counted && leaves_by_unwinding(&f.name) {
                    // The unwinder reads this return address to find the caller's handler: it
                    // must stay the caller's. Shown without a return, never counted (as the
                    // calls that never return).
                    if !self.cfg.count {
                        let proto = self.proto(&f.name, Some((&space, addr)));
                        let frame = Frame::call(pid, &f, ret, &regs, proto);
                        let args =
                            self.format_args(pid, &frame, 0..frame.proto.entry_params(), None);
                        let depth = self.threads[&tid].frames.len();
                        let name = self.display_name(&f.name);
                        self.printer.entry(tid, depth, ret, &name, &args)?;
                        self.printer.no_return(tid)?;
                    }
                } else if counted {
                    let proto = self.proto(&f.name, Some((&space, addr)));
                    // `-c` (and quiet returns): a return trampoline when one is free.
                    let quiet = self.cfg.count || quiet_return(&proto, self.style());
                    let lazy = match (&self.lazy, space.borrow_mut().returns.as_mut()) {
                        (Some(_), Some(r)) if quiet => r.take(tid, ret),
                        _ => None,
                    };
                    let frame = Frame {
                        lazy: lazy.map(|(k, ..)| (k, crate::lazyret::tsc())),
                        ..Frame::call(pid, &f, ret, &regs, proto)
                    };
                    // The frame is recorded before anything can fail (the output), so that a
                    // detach always finds the return address it swapped.
                    let depth = self.threads[&tid].frames.len();
                    let args = if self.cfg.count {
                        String::new()
                    } else {
                        self.format_args(pid, &frame, 0..frame.proto.entry_params(), None)
                    };
                    let name = frame.name.clone();
                    self.threads
                        .get_mut(&tid)
                        .expect("known thread")
                        .frames
                        .push(frame);
                    match lazy {
                        // The slot's real return address and the swap, in one write.
                        Some((_, tramp, data, init)) => pt::mem::write_many(
                            pid,
                            &[(data, &init[..]), (regs.rsp, &tramp.to_ne_bytes()[..])],
                        )?,
                        None => pt::mem::write(pid, regs.rsp, &entry.to_ne_bytes())?,
                    }
                    if !self.cfg.count {
                        let mut name = self.display_name(&name);
                        // With a filter, ltrace names the object whose call it is.
                        if let (Callers::From(_), Some((_, by))) = (&f.callers, &caller) {
                            if !self.cfg.filter.is_default() {
                                name = format!("{by}->{name}");
                            }
                        }
                        self.printer.entry(tid, depth, ret, &name, &args)?;
                    }
                }
                self.continue_past(tid, bp, &f, regs)
            }
        }
    }

    /// Lets a thread stopped at `f`'s breakpoint run the function.
    fn continue_past(
        &mut self,
        tid: i32,
        bp: Breakpoint,
        f: &Func,
        mut regs: libc::user_regs_struct,
    ) -> io::Result<()> {
        match f.ool {
            Some(slot) => {
                regs.rip = slot;
                pt::set_regs(Pid(tid), &regs)?;
                self.cont(Pid(tid), 0)
            }
            None => self.step_over(tid, bp),
        }
    }

    /// The dynamic linker's `_dl_debug_state`: once a dlopen or dlclose is done
    /// (`r_state == RT_CONSISTENT`), the libraries are looked at again.
    fn on_link_map(&mut self, tid: i32, space: &Rc<RefCell<Space>>) -> io::Result<()> {
        let (started, r_state) = {
            let s = space.borrow();
            (s.started, s.r_state)
        };
        let Some(r_state) = r_state else {
            return Ok(());
        };
        if started && pt::mem::read_val::<i32>(Pid(tid), r_state)? == 0 {
            self.with_others_stopped(tid, |me| match me.resolve(Pid(tid), space) {
                Err(e) if e.raw_os_error() == Some(libc::ESRCH) => Err(e),
                Err(e) => {
                    eprintln!("{}: {e}", crate::PROG);
                    Ok(())
                }
                Ok(()) => Ok(()),
            })?;
        }
        Ok(())
    }

    /// Runs `work` with the other threads of `tid`'s process stopped: planting breakpoints
    /// borrows the entry point (the return trap) for a system call.
    fn with_others_stopped(
        &mut self,
        tid: i32,
        work: impl FnOnce(&mut Self) -> io::Result<()>,
    ) -> io::Result<()> {
        let others = if self.thread_count_sharing(tid) > 1 {
            self.stop_others(tid)?
        } else {
            Vec::new()
        };
        let r = work(self);
        for t in others {
            let _ = self.cont(Pid(t), 0);
        }
        r
    }

    /// A call (or system call) of a shown thread returned `rax`: counted, or its return printed.
    /// `regs` are the thread's registers once returned when known (a backtrace starts there;
    /// read when needed otherwise).
    fn finish(
        &mut self,
        pid: Pid,
        depth: usize,
        frame: &Frame,
        rax: u64,
        regs: Option<&libc::user_regs_struct>,
        spent: std::time::Duration,
    ) -> io::Result<()> {
        if let (Some(log), false) = (&mut self.log, frame.lib.is_empty()) {
            let tgid = self.threads.get(&pid.0).map_or(pid.0, |t| t.tgid);
            let ns = |t: Instant| t.saturating_duration_since(self.log_start).as_nanos() as u64;
            log.write(&tracekit_log::Event::LibCall(tracekit_log::LibCall {
                pid: tgid as u32,
                tid: pid.0 as u32,
                entry_ns: ns(frame.start),
                exit_ns: ns(frame.start + spent),
                library: tracekit_log::Bytes(frame.lib.as_bytes().to_vec().into()),
                name: tracekit_log::Bytes(frame.name.as_bytes().to_vec().into()),
                ret: Some(rax as i64),
                text: tracekit_log::Bytes(Vec::new().into()),
            }))?;
        }
        if self.cfg.count {
            self.summary.add(&self.display_name(&frame.name), spent);
            return Ok(());
        }
        let late = frame.proto.entry_params()..frame.proto.params.len();
        let late_args = if late.is_empty() {
            String::new()
        } else {
            let mut s = self.format_args(pid, frame, late, Some(rax));
            if frame.proto.entry_params() > 0 {
                s.insert_str(0, ", ");
            }
            s
        };
        let args = proto::param_words(&frame.proto, &frame.regs, frame.slot, &Mem(pid));
        let ret = proto::value(
            &frame.proto.ret,
            rax,
            &args,
            Some(rax),
            &Mem(pid),
            self.style(),
        );
        let name = self.display_name(&frame.name);
        self.printer
            .ret(pid.0, depth, frame.ret, &name, &late_args, &ret, spent)?;
        if let Some(b) = &mut self.backtraces {
            let tgid = self.threads.get(&pid.0).map_or(pid.0, |t| t.tgid);
            let regs = match regs {
                Some(r) => *r,
                None => pt::get_regs(pid)?,
            };
            let at = tracekit_symbolize::remote::Regs {
                ip: regs.rip,
                sp: regs.rsp,
                bp: regs.rbp,
            };
            let lines = b.lines(tgid, pid.0, at, self.cfg.backtrace);
            self.printer.backtrace(&lines)?;
        }
        Ok(())
    }

    /// Restarts a thread (delivering `sig`), to its next system call stop under `-S`.
    fn cont(&self, pid: Pid, sig: i32) -> io::Result<()> {
        let how = if self.cfg.syscalls {
            Resume::Syscall
        } else {
            Resume::Continue
        };
        pt::resume(pid, how, sig)
    }

    /// `-S`: a system call's entry opens a `SYS_name(args` line (nested in the library call
    /// that made it), its exit closes it.
    fn on_syscall(&mut self, tid: i32) -> io::Result<()> {
        let pid = Pid(tid);
        let Some(th) = self.threads.get(&tid) else {
            return self.cont(pid, 0);
        };
        // Nothing before the command's own exec is shown (the placeholder space).
        let shown = th.shown && th.space.borrow().entry != 0;
        let depth = th.frames.len();
        match pt::syscall_info(pid)? {
            pt::SyscallInfo::Entry {
                nr, args, sp, ip, ..
            } if shown => {
                let name: Rc<str> = format!("SYS_{}", syscall_name(nr)).into();
                let frame = Frame {
                    proto: self.proto(&name, None),
                    name,
                    lib: "".into(),
                    ret: ip,
                    slot: sp,
                    regs: proto::Regs::gp(args),
                    start: Instant::now(),
                    resolves: None,
                    lazy: None,
                };
                if !self.cfg.count {
                    let args = self.format_args(pid, &frame, 0..frame.proto.entry_params(), None);
                    self.printer.entry(tid, depth, ip, &frame.name, &args)?;
                }
                self.threads.get_mut(&tid).expect("known thread").syscall = Some(frame);
            }
            pt::SyscallInfo::Exit { rval, .. } => {
                let th = self.threads.get_mut(&tid).expect("known thread");
                if let Some(frame) = th.syscall.take() {
                    self.finish(pid, depth, &frame, rval as u64, None, frame.start.elapsed())?;
                }
            }
            _ => {}
        }
        self.cont(pid, 0)
    }

    fn deliver(&mut self, tid: i32, sig: i32) -> io::Result<()> {
        if self.threads.get(&tid).is_some_and(|t| t.shown)
            && !self.cfg.count
            && !self.cfg.no_signals
        {
            let text = format!("--- {} ({}) ---", signame(sig), sigdesc(sig));
            let ip = pt::get_regs(Pid(tid)).ok().map(|r| r.rip);
            self.printer.event(tid, ip, &text)?;
        }
        self.cont(Pid(tid), sig)
    }

    /// Undoes what we did to a process copy we will not trace: breakpoints and swapped return
    /// addresses (the frames are those of the thread that forked).
    fn clean_copy(&self, child: Pid, space: &Space, frames: &[Frame]) {
        for (bp, _) in space.bps.values() {
            let _ = bp.remove(child);
        }
        for f in frames {
            let _ = pt::mem::write(child, f.slot, &f.ret.to_ne_bytes());
        }
    }

    fn wait_first_stop(&mut self, child: Pid) -> io::Result<()> {
        if let Some(i) = self.unclaimed.iter().position(|&p| p == child.0) {
            self.unclaimed.swap_remove(i);
            return Ok(());
        }
        // Another wait (stopping threads for a step) may have collected it already.
        if let Some(i) = self.deferred.iter().position(|(p, s)| {
            *p == child && matches!(s, Stop::Interrupt | Stop::Signal(libc::SIGSTOP))
        }) {
            self.deferred.remove(i);
            return Ok(());
        }
        loop {
            match pt::wait_pid(Some(child), false)?.map(|(_, s, _)| s) {
                Some(Stop::Interrupt) | Some(Stop::Signal(libc::SIGSTOP)) => return Ok(()),
                Some(s @ (Stop::Exited(_) | Stop::Killed { .. })) => {
                    self.deferred.push_back((child, s));
                    return Err(io::Error::other("child ended"));
                }
                Some(s) => self.deferred.push_back((child, s)),
                None => {}
            }
        }
    }

    fn on_new_task(&mut self, parent: i32, child: Pid, ev: Event) -> io::Result<()> {
        let p = &self.threads[&parent];
        let (tgid, space, frames) = (p.tgid, p.space.clone(), p.frames.clone());
        if self.wait_first_stop(child).is_err() {
            return Ok(());
        }
        let follow = self.cfg.follow;
        match ev {
            Event::Clone(_) => {
                // A thread (CLONE_THREAD) or a clone() sharing memory: same address space.
                let is_thread = std::fs::read_to_string(format!("/proc/{}/status", child.0))
                    .map(|s| s.lines().any(|l| l == format!("Tgid:\t{tgid}")))
                    .unwrap_or(true);
                self.threads.insert(
                    child.0,
                    Thread::new(
                        if is_thread { tgid } else { child.0 },
                        space,
                        Vec::new(),
                        follow,
                    ),
                );
            }
            Event::Vfork(_) => {
                self.threads
                    .insert(child.0, Thread::new(child.0, space, frames, follow));
            }
            _ => {
                if follow {
                    let mut copy = space.borrow().clone();
                    // The child returns from its copy of the parent thread's calls in its own
                    // copy of the trampolines' data.
                    if let Some(r) = copy.returns.as_mut() {
                        r.hand_over(parent, child.0);
                    }
                    // Its copy of the stubs' counters holds the parent's calls so far: only
                    // what it counts from now on is its own.
                    if let Some(st) = copy.stubs.as_mut() {
                        let at = crate::stubs::func_record_at(st.data, 0);
                        let mut bytes = vec![0u8; st.funcs.len() * crate::stubs::FUNC_LEN as usize];
                        if pt::mem::read_exact(child, at, &mut bytes).is_ok() {
                            for (f, (c, t)) in
                                st.funcs.iter_mut().zip(crate::stubs::counters(&bytes))
                            {
                                (f.1, f.2) = (c, t);
                            }
                        }
                    }
                    let copy = Rc::new(RefCell::new(copy));
                    self.threads
                        .insert(child.0, Thread::new(child.0, copy, frames, true));
                } else {
                    self.clean_copy(child, &space.borrow(), &frames);
                    let _ = pt::detach(child, 0);
                    return Ok(());
                }
            }
        }
        self.cont(child, 0)
    }

    fn on_exec(&mut self, pid: Pid, old: Pid) -> io::Result<()> {
        // The old image's threads are gone; the exec'ing one continues as `pid`.
        let (shown, tgid) = match self.threads.get(&old.0).or(self.threads.get(&pid.0)) {
            Some(t) => (t.shown, t.tgid),
            None => (true, pid.0),
        };
        // The first exec is the one that starts the command (its space is a placeholder).
        let first_exec = self
            .threads
            .get(&old.0)
            .or(self.threads.get(&pid.0))
            .is_some_and(|t| t.space.borrow().entry == 0);
        if shown && !self.cfg.count && !first_exec {
            self.printer.no_return(old.0)?;
            if self.cfg.follow {
                let ip = pt::get_regs(pid).ok().map(|r| r.rip);
                self.printer.event(pid.0, ip, "--- Called exec() ---")?;
            }
        }
        self.threads.retain(|_, t| t.tgid != tgid);
        let space = self.new_image(pid, false)?;
        self.threads
            .insert(pid.0, Thread::new(pid.0, space, Vec::new(), shown));
        self.cont(pid, 0)
    }

    fn on_end(&mut self, pid: Pid, stop: Stop) -> io::Result<()> {
        let Some(th) = self.threads.remove(&pid.0) else {
            return Ok(());
        };
        let leader = th.tgid == pid.0;
        if leader && th.shown && !self.cfg.count {
            let text = match stop {
                Stop::Exited(c) => format!("+++ exited (status {c}) +++"),
                Stop::Killed { signal, .. } => format!("+++ killed by {} +++", signame(signal)),
                _ => unreachable!("only ends"),
            };
            self.printer.event(pid.0, Some(u64::MAX), &text)?;
        }
        if Some(pid.0) == self.first {
            self.outcome = Some(match stop {
                Stop::Exited(c) => Outcome::Exited(c),
                Stop::Killed { signal, .. } => Outcome::Killed(signal),
                _ => Outcome::Exited(0),
            });
        }
        Ok(())
    }

    fn next(&mut self) -> io::Result<Option<(Pid, Stop)>> {
        if let Some(x) = self.deferred.pop_front() {
            return Ok(Some(x));
        }
        // Before blocking, let a reader of the output (`tail -f` of `-o FILE`) see the lines
        // so far: a tracee that waits for something must not hold our output back.
        let waited = if self.printer.dirty() {
            match self.waiter.poll(false) {
                Ok(Some(x)) => Ok(x),
                Ok(None) => {
                    self.printer.flush()?;
                    self.waiter.block(false)
                }
                Err(e) => Err(e),
            }
        } else {
            self.waiter.wait(false)
        };
        match waited {
            Ok((p, s, _)) => Ok(Some((p, s))),
            Err(e) if e.raw_os_error() == Some(libc::ECHILD) => Ok(None),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(Some((Pid(0), Stop::Interrupt))),
            Err(e) => Err(e),
        }
    }

    /// Records the trace in `log` too (`--log`), from a `Process` event for `pid` on.
    pub fn log_to(
        &mut self,
        mut log: LogWriter,
        pid: i32,
        exe: &[u8],
        cmdline: &[u8],
    ) -> io::Result<()> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        log.write(&tracekit_log::Event::Process(tracekit_log::Process {
            pid: pid as u32,
            ppid: std::process::id(),
            start_unix_ns: now.as_nanos() as u64,
            start_mono_ns: 0,
            exe: tracekit_log::Bytes(exe.to_vec().into()),
            cmdline: tracekit_log::Bytes(cmdline.to_vec().into()),
            tool: tracekit_log::Bytes(b"ltrace-rs".to_vec().into()),
            arch: tracekit_log::Arch::X86_64,
            clock_res_ns: 0,
        }))?;
        self.log = Some(log);
        // `--log` records every call: no counting stubs.
        self.stubs_ok = false;
        self.log_start = Instant::now();
        self.log_start_mono = crate::inproc::mono_now();
        Ok(())
    }

    /// Logs a call the in-process agent recorded: thread `tid` of process `pid` called `name`
    /// of `lib` from `entry` to `exit` (CLOCK_MONOTONIC nanoseconds), which returned `ret`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn log_call(
        &mut self,
        pid: i32,
        tid: i32,
        entry: u64,
        exit: u64,
        lib: &str,
        name: &str,
        ret: u64,
    ) -> io::Result<()> {
        let start = self.log_start_mono;
        let Some(log) = &mut self.log else {
            return Ok(());
        };
        log.write(&tracekit_log::Event::LibCall(tracekit_log::LibCall {
            pid: pid as u32,
            tid: tid as u32,
            entry_ns: entry.saturating_sub(start),
            exit_ns: exit.saturating_sub(start),
            library: tracekit_log::Bytes(lib.as_bytes().to_vec().into()),
            name: tracekit_log::Bytes(name.as_bytes().to_vec().into()),
            ret: Some(ret as i64),
            text: tracekit_log::Bytes(Vec::new().into()),
        }))
    }

    /// Ends the `--log` file (its last chunk written).
    pub fn finish_log(&mut self) -> io::Result<()> {
        match self.log.take() {
            Some(log) => log.finish().and_then(|mut w| io::Write::flush(&mut w)),
            None => Ok(()),
        }
    }

    /// Traces `pid`, a process stopped just before its `execve` ([`pt::spawn`]).
    pub fn run_spawned(&mut self, pid: Pid) -> io::Result<Outcome> {
        self.first = Some(pid.0);
        // Placeholder until the exec event sets up the image.
        let space = Rc::new(RefCell::new(Space {
            exe_name: "".into(),
            exe_path: PathBuf::new(),
            exe_bias: 0,
            exe_lo: 0,
            exe_hi: 0,
            entry: 0,
            started: true,
            bps: HashMap::new(),
            libs: Vec::new(),
            r_state: None,
            returns: None,
            stubs: None,
        }));
        self.threads
            .insert(pid.0, Thread::new(pid.0, space, Vec::new(), true));
        self.cont(pid, 0)?;
        self.main_loop()
    }

    /// Traces the running processes `pids` (`-p`): seizes every thread and resolves at once.
    pub fn run_attached(&mut self, pids: &[Pid]) -> io::Result<Outcome> {
        self.first = pids.first().map(|p| p.0);
        // Every thread of every process is seized before any breakpoint is planted: a
        // process that cannot be traced (another user's, EPERM) lets the others go untouched.
        let mut seized: Vec<(Pid, Vec<i32>)> = Vec::new();
        for &pid in pids {
            let cannot = |e: io::Error| {
                let e = match e.kind() {
                    io::ErrorKind::NotFound => io::Error::from_raw_os_error(libc::ESRCH),
                    _ => e,
                };
                let msg = e.to_string();
                let msg = msg.split(" (os error").next().unwrap_or(&msg);
                io::Error::new(
                    e.kind(),
                    CannotAttach(format!("Cannot attach to pid {}: {msg}", pid.0)),
                )
            };
            let attach = |me: &mut Self, tids: &mut Vec<i32>| -> io::Result<()> {
                let found: Vec<i32> = std::fs::read_dir(format!("/proc/{}/task", pid.0))?
                    .flatten()
                    .filter_map(|e| e.file_name().to_str()?.parse().ok())
                    .collect();
                for t in found {
                    pt::seize(Pid(t), crate::options(me.cfg))?;
                    tids.push(t);
                    pt::interrupt(Pid(t))?;
                    me.wait_first_stop(Pid(t))?;
                }
                Ok(())
            };
            let mut tids = Vec::new();
            let r = attach(self, &mut tids);
            seized.push((pid, tids));
            if let Err(e) = r {
                for t in seized.iter().flat_map(|(_, t)| t) {
                    // A signal that stopped it meanwhile is delivered as it leaves.
                    let sig = self
                        .deferred
                        .iter()
                        .find_map(|(p, s)| match s {
                            Stop::Signal(sig) if p.0 == *t => Some(*sig),
                            _ => None,
                        })
                        .unwrap_or(0);
                    let _ = pt::detach(Pid(*t), sig);
                }
                return Err(cannot(e));
            }
        }
        for (pid, tids) in seized {
            let space = self.new_image(pid, true)?;
            for &t in &tids {
                self.threads.insert(
                    t,
                    Thread::new(
                        pid.0,
                        space.clone(),
                        Vec::new(),
                        t == pid.0 || self.cfg.follow,
                    ),
                );
                self.cont(Pid(t), 0)?;
            }
        }
        self.main_loop()
    }

    fn main_loop(&mut self) -> io::Result<Outcome> {
        while let Some((pid, stop)) = self.next()? {
            if crate::interrupted() {
                self.detach_all();
                return Ok(Outcome::Detached);
            }
            if pid.0 == 0 {
                continue;
            }
            if !self.threads.contains_key(&pid.0)
                && matches!(stop, Stop::Interrupt | Stop::Signal(libc::SIGSTOP))
            {
                // A new task ahead of its parent's event: resumed once that event sets it up
                // (resuming it now would run it with our breakpoints and no record of it).
                self.unclaimed.push(pid.0);
                continue;
            }
            // Calls that returned through a trampoline come before anything this stop says
            // (an exec's image, and the trampolines in it, are gone).
            if !matches!(stop, Stop::Event(Event::Exec(_))) {
                // The stubs' counters: at the stops that are not breakpoints (exit events,
                // signals), and at `execve` (its breakpoint, in `on_trap`).
                let counters = if matches!(stop, Stop::Signal(libc::SIGTRAP)) {
                    Ok(())
                } else {
                    self.collect_stubs(pid.0)
                };
                if let Err(e) = counters.and_then(|()| self.collect_returns(pid.0)) {
                    if e.raw_os_error() != Some(libc::ESRCH) {
                        self.detach_all();
                        return Err(e);
                    }
                }
            }
            let r = match stop {
                Stop::Syscall => self.on_syscall(pid.0),
                Stop::Signal(libc::SIGTRAP) if self.threads.contains_key(&pid.0) => {
                    self.on_trap(pid.0)
                }
                Stop::Signal(sig) => self.deliver(pid.0, sig),
                Stop::Event(Event::Exec(old)) => self.on_exec(pid, old),
                Stop::Event(ev @ (Event::Fork(c) | Event::Vfork(c) | Event::Clone(c))) => {
                    if self.threads.contains_key(&pid.0) {
                        let _ = self.on_new_task(pid.0, c, ev);
                    }
                    self.cont(pid, 0)
                }
                Stop::Exited(_) | Stop::Killed { .. } => self.on_end(pid, stop),
                Stop::GroupStop(_) => pt::listen(pid),
                _ => self.cont(pid, 0),
            };
            match r {
                Ok(()) => {}
                // The thread died under us (SIGKILL, exit_group of another thread).
                Err(e) if e.raw_os_error() == Some(libc::ESRCH) => {}
                // Never leave a breakpoint behind, even when the output fails (a closed pipe).
                Err(e) => {
                    self.detach_all();
                    return Err(e);
                }
            }
        }
        self.printer.flush()?;
        Ok(self.outcome.unwrap_or(Outcome::Exited(0)))
    }

    /// Removes every breakpoint and swapped return address, and detaches from everything.
    fn detach_all(&mut self) {
        let tids: Vec<i32> = self.threads.keys().copied().collect();
        for &t in &tids {
            let _ = pt::interrupt(Pid(t));
        }
        // Wait until every thread is stopped. One may be stopped already (the one whose stop
        // was being handled when the output failed, those with deferred stops): the interrupt
        // then reports nothing, so the thread's state in /proc says it instead.
        let mut pending: Vec<i32> = tids.clone();
        let mut deliver: HashMap<i32, i32> = HashMap::new();
        for (p, s) in self.deferred.drain(..) {
            if let Stop::Signal(sig) = s {
                if sig != libc::SIGTRAP {
                    deliver.insert(p.0, sig);
                }
            }
        }
        while !pending.is_empty() {
            match pt::wait_pid(None, true) {
                Ok(Some((p, s, _))) => {
                    pending.retain(|&x| x != p.0);
                    match s {
                        Stop::Signal(sig) if sig != libc::SIGTRAP => {
                            deliver.insert(p.0, sig);
                        }
                        Stop::Exited(_) | Stop::Killed { .. } => {
                            self.threads.remove(&p.0);
                        }
                        _ => {}
                    }
                }
                Ok(None) => {
                    pending.retain(|&t| !procfs::is_trace_stopped(t));
                    if !pending.is_empty() {
                        std::thread::sleep(std::time::Duration::from_millis(1));
                    }
                }
                Err(_) => break,
            }
        }
        // Calls that returned through a trampoline since the last stop are counted.
        let stopped: Vec<i32> = self.threads.keys().copied().collect();
        for t in stopped {
            let _ = self.collect_stubs(t);
            let _ = self.collect_returns(t);
        }
        let mut cleaned: Vec<*const RefCell<Space>> = Vec::new();
        for (&t, th) in &self.threads {
            let ptr = Rc::as_ptr(&th.space);
            if !cleaned.contains(&ptr) {
                cleaned.push(ptr);
                for (bp, _) in th.space.borrow().bps.values() {
                    let _ = bp.remove(Pid(t));
                }
                // The stubs stay mapped: calls inside them finish and return as they should.
                if let Some(st) = &th.space.borrow().stubs {
                    for (&a, (orig, _)) in &st.patched {
                        let _ = pt::mem::write(Pid(t), a, orig);
                    }
                }
            }
            // A trampoline's return still works once detached (and its frame may have
            // returned already): only return traps are undone.
            for f in th.frames.iter().filter(|f| f.lazy.is_none()) {
                let _ = pt::mem::write(Pid(t), f.slot, &f.ret.to_ne_bytes());
            }
            // A thread stopped right after an int3 of ours (a trap not handled yet) re-runs
            // the instruction; one at the return trap goes back to its caller.
            if let Ok(mut r) = pt::get_regs(Pid(t)) {
                let at = r.rip.wrapping_sub(1);
                let space = th.space.borrow();
                if space.started && at == space.entry && !th.frames.is_empty() {
                    r.rip = th.frames[th.frames.len() - 1].ret;
                    let _ = pt::set_regs(Pid(t), &r);
                } else if space.bps.contains_key(&at) {
                    r.rip = at;
                    let _ = pt::set_regs(Pid(t), &r);
                }
            }
        }
        for &t in self.threads.keys() {
            let _ = pt::detach(Pid(t), deliver.get(&t).copied().unwrap_or(0));
        }
        let _ = self.printer.flush();
    }
}
