//! `tracekit heap -p PID [--duration S]`: record the heap of a process that is already
//! running, from now until `--duration` has passed, Ctrl-C, or the process exits.
//!
//! Without gdb: every thread of the target is stopped with ptrace (`tracekit_ptrace::inject`),
//! each thread found inside glibc, the dynamic loader or the tracker (where it may hold a lock
//! the calls need, such as the malloc arena lock the calling thread shares with it) is run
//! alone to its first return address out of that code (unwound with framehop, a one-shot
//! breakpoint there), then one thread calls the target's own `dlopen` (glibc 2.34+ has it in libc)
//! on the heap tracker's library, `dlsym` for its entry points, and `tracekit_attach(LOG)`,
//! which redirects the allocation functions in every module's relocations and starts the log
//! (`preload-heaptrack/src/attach.rs`). Every register and stack byte is put back and the
//! threads go on. Detaching calls `tracekit_detach` the same way: the relocations are restored
//! and recording stopped, and the agent finishes the log (compressing what its compressor
//! thread has not yet) on a thread of its own, the program running: tracekit waits for that
//! before reading the log. The library stays loaded, unused. Both steps print where their
//! time went (threads stopped, agent loaded, called, released; the target's and tracekit's
//! CPU time). While the program is held, tracekit's own thread runs `SCHED_FIFO` when
//! permitted (see `Boost`), and so do the target's threads while they must run for us (to
//! their stop, to a safe point, through a call: see `Hurry`);
//! `TRACEKIT_ATTACH_NO_HURRY=1` leaves the target's threads as they are (for comparisons:
//! `bench/attach.sh`).
//!
//! The attach, the recording and the detach run in a worker process of their own, a second
//! `tracekit` (see [`record_in_worker`]): a `SIGKILL` of tracekit in the middle of an attach
//! or a detach does not leave the program with a breakpoint, a half-done call or a pending
//! `SIGTRAP`; the worker finishes the step and detaches.
//!
//! A process that exits in the middle of an attach (between two `ptrace` calls, or inside
//! the call) gets "process N exited during the attach". `TRACEKIT_ATTACH_FAULT` makes that
//! happen at a known point, for tests: `kill-when-stopped` (tracekit kills it once its
//! threads are stopped) or `exit-in-call` (its own `_exit(71)` is called in place of
//! `dlopen`).
//!
//! A target in another mount namespace (a container) gets the library copied into its `/tmp`
//! (through `/proc/PID/root`), and writes its log there when it cannot write ours (another
//! namespace or another user); the log is then copied into the run's directory.

use std::fs::File;
use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context};
use object::{Object, ObjectSegment, ObjectSymbol};
use tracekit_ptrace::inject::{Arg, Stopped, Thread};
use tracekit_ptrace::Pid;
use tracekit_symbolize::remote::{self, Stacks};
use tracekit_symbolize::AddrKind;

/// What to attach to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttachTo {
    /// The process.
    pub pid: i32,
    /// Detach after this long (else at Ctrl-C or when the process exits).
    pub duration: Option<Duration>,
}

/// How long the attach and the detach held the program (from the first thread's stop to the
/// last one's release; reading the target's files before is not counted).
#[derive(Debug, Clone, Copy, Default)]
pub struct Timings {
    /// Stopping the threads, loading and starting the agent, releasing them.
    pub attach: Duration,
    /// Where the attach's time went.
    pub attach_phases: Phases,
    /// The same for `tracekit_detach` (None: the process exited first).
    pub detach: Option<Duration>,
    /// Where the detach's time went.
    pub detach_phases: Phases,
}

/// The parts of an attach or a detach: wall time of each step, and the CPU time the target
/// and tracekit spent (on a loaded machine the wall time is mostly waiting for a CPU).
#[derive(Debug, Clone, Copy, Default)]
pub struct Phases {
    /// Threads stopped.
    pub threads: usize,
    /// Of those, found inside glibc, the loader or the tracker, or blocked in `futex` under
    /// glibc's allocator (where one may hold a lock the calls need).
    pub inside: usize,
    /// Of those, brought out to a safe point (their return address) before the calls.
    pub brought_out: usize,
    /// Still inside when the calls began (doubtful: let run when a call waits).
    pub still_inside: usize,
    /// Of `stop`, stopping every thread (seized, interrupted, each one's stop seen).
    pub stop_all: Duration,
    /// Of `stop`, bringing them out.
    pub to_safe_points: Duration,
    /// During `stop`, the longest time one thread of the target waited for a CPU (its run
    /// queue delay, `/proc/PID/task/TID/schedstat`): a thread takes its stop, or runs to its
    /// safe point, only once it gets one.
    pub stop_cpu_wait: Duration,
    /// During `load` and `call`, the time the calling thread waited for a CPU.
    pub call_cpu_wait: Duration,
    /// The target's threads were raised to `SCHED_FIFO` while they had to run (`Hurry`).
    pub hurried: bool,
    /// How often threads held inside the allocator, the loader or the tracker were let run
    /// a while because a call waited for a lock (one count per thread and round).
    pub released: usize,
    /// Every thread stopped (seized and interrupted), and one found at a safe point.
    pub stop: Duration,
    /// `dlopen` of the agent and `dlsym` of its entry points (attach only).
    pub load: Duration,
    /// `tracekit_attach` / `tracekit_detach`.
    pub call: Duration,
    /// The threads released.
    pub release: Duration,
    /// After the detach's release, the program running: until the log was finished
    /// (compressed and cut) by the agent's own thread.
    pub finish: Duration,
    /// CPU time of the target (every thread) meanwhile.
    pub target_cpu: Duration,
    /// CPU time of tracekit meanwhile.
    pub own_cpu: Duration,
}

impl Phases {
    /// How long the program was held: from the first thread's stop to the last one's
    /// release (the phases follow each other with nothing between).
    pub fn held(&self) -> Duration {
        self.stop + self.load + self.call + self.release
    }
}

impl std::fmt::Display for Phases {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        write!(
            f,
            "stop {:.1} ms ({} threads stopped in {:.1} ms, {} inside libc/ld.so/tracker, {} \
             brought out to a safe point in {:.1} ms, {} left inside; {} let run while a call \
             waited; one waited up to {:.1} ms for a CPU{})",
            ms(self.stop),
            self.threads,
            ms(self.stop_all),
            self.inside,
            self.brought_out,
            ms(self.to_safe_points),
            self.still_inside,
            self.released,
            ms(self.stop_cpu_wait),
            if self.hurried {
                ", raised to SCHED_FIFO"
            } else {
                ""
            }
        )?;
        if !self.load.is_zero() {
            write!(f, ", load {:.1} ms", ms(self.load))?;
        }
        write!(
            f,
            ", call {:.1} ms (the caller waited {:.1} ms for a CPU), release {:.1} ms; CPU: \
             target {:.1} ms, tracekit {:.1} ms",
            ms(self.call),
            ms(self.call_cpu_wait),
            ms(self.release),
            ms(self.target_cpu),
            ms(self.own_cpu)
        )?;
        if !self.finish.is_zero() {
            write!(
                f,
                "; then the log finished in {:.1} ms, the program running",
                ms(self.finish)
            )?;
        }
        Ok(())
    }
}

/// CPU time of process `pid` (every thread) so far, or of tracekit with `None`; zero when it
/// cannot be read.
fn cpu_time(pid: Option<i32>) -> Duration {
    let mut clock: libc::clockid_t = libc::CLOCK_PROCESS_CPUTIME_ID;
    if let Some(pid) = pid {
        // SAFETY: writes one clockid_t of ours.
        if unsafe { libc::clock_getcpuclockid(pid, &mut clock) } != 0 {
            return Duration::ZERO;
        }
    }
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: writes one timespec of ours.
    if unsafe { libc::clock_gettime(clock, &mut ts) } != 0 {
        return Duration::ZERO;
    }
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Measures the CPU time of the target and of tracekit across a step.
struct CpuClock {
    pid: i32,
    target: Duration,
    own: Duration,
}

impl CpuClock {
    fn start(pid: i32) -> CpuClock {
        CpuClock {
            pid,
            target: cpu_time(Some(pid)),
            own: cpu_time(None),
        }
    }

    fn stop(&self, p: &mut Phases) {
        p.target_cpu = cpu_time(Some(self.pid)).saturating_sub(self.target);
        p.own_cpu = cpu_time(None).saturating_sub(self.own);
    }
}

/// A mapping of `/proc/PID/maps`.
#[derive(Debug, Clone)]
struct Mapping {
    start: u64,
    end: u64,
    exec: bool,
    offset: u64,
    path: String,
}

fn maps(pid: i32) -> anyhow::Result<Vec<Mapping>> {
    // Reading another process's map takes the same permission as tracing it.
    let text = std::fs::read_to_string(format!("/proc/{pid}/maps")).map_err(|e| {
        let denied = e.kind() == std::io::ErrorKind::PermissionDenied;
        let e = if denied {
            std::io::Error::from_raw_os_error(libc::EPERM)
        } else {
            e
        };
        ptrace_refused(pid, &e)
    })?;
    let mut out = Vec::new();
    for line in text.lines() {
        let mut f = line.split_ascii_whitespace();
        let (Some(range), Some(perms), Some(off)) = (f.next(), f.next(), f.next()) else {
            continue;
        };
        let path = f.nth(2).unwrap_or("").to_owned();
        let Some((a, b)) = range.split_once('-') else {
            continue;
        };
        out.push(Mapping {
            start: u64::from_str_radix(a, 16)?,
            end: u64::from_str_radix(b, 16)?,
            exec: perms.as_bytes().get(2) == Some(&b'x'),
            offset: u64::from_str_radix(off, 16)?,
            path,
        });
    }
    Ok(out)
}

fn exec_ranges(maps: &[Mapping]) -> Vec<(u64, u64)> {
    maps.iter()
        .filter(|m| m.exec)
        .map(|m| (m.start, m.end))
        .collect()
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// A loaded object of the target: its path, load bias and executable ranges.
#[derive(Debug)]
struct Loaded {
    path: String,
    bias: u64,
    exec: Vec<(u64, u64)>,
}

impl Loaded {
    fn find(maps: &[Mapping], is: impl Fn(&str) -> bool) -> Option<Loaded> {
        let first = maps
            .iter()
            .find(|m| m.offset == 0 && is(file_name(&m.path)))?;
        let path = first.path.clone();
        let exec = maps
            .iter()
            .filter(|m| m.path == path && m.exec)
            .map(|m| (m.start, m.end))
            .collect();
        Some(Loaded {
            bias: first.start,
            path,
            exec,
        })
    }

    fn contains(&self, ip: u64) -> bool {
        self.exec.iter().any(|&(s, e)| (s..e).contains(&ip))
    }

    /// The address ranges of the dynamic symbols `names` that it defines, in the target.
    fn ranges(&self, pid: i32, names: &[&str]) -> anyhow::Result<Vec<(u64, u64)>> {
        let file = format!("/proc/{pid}/root{}", self.path);
        let data = std::fs::read(&file).with_context(|| format!("cannot read {file}"))?;
        let elf = object::File::parse(&*data).with_context(|| format!("cannot parse {file}"))?;
        let low = elf.segments().map(|s| s.address()).min().unwrap_or(0) & !0xfff;
        Ok(elf
            .dynamic_symbols()
            .filter(|s| s.is_definition() && s.name().is_ok_and(|n| names.contains(&n)))
            .map(|s| {
                let at = self.bias - low + s.address();
                (at, at + s.size())
            })
            .collect())
    }

    /// The address of the dynamic symbol `name` in the target, from the file as the target
    /// sees it (`/proc/PID/root`).
    fn symbol(&self, pid: i32, name: &str) -> anyhow::Result<Option<u64>> {
        let file = format!("/proc/{pid}/root{}", self.path);
        let data = std::fs::read(&file).with_context(|| format!("cannot read {file}"))?;
        let elf = object::File::parse(&*data).with_context(|| format!("cannot parse {file}"))?;
        // The first mapping is the segment at file offset 0: its start is the bias plus
        // that segment's (page-aligned) address.
        let low = elf.segments().map(|s| s.address()).min().unwrap_or(0) & !0xfff;
        let found = elf
            .dynamic_symbols()
            .find(|s| s.is_definition() && s.name() == Ok(name));
        Ok(found.map(|s| self.bias - low + s.address()))
    }
}

/// The target's loader functions.
#[derive(Debug)]
struct Loader {
    libc: Loaded,
    ld_so: Option<Loaded>,
    /// The heap tracker, once loaded: a thread inside one of its hooks may hold its lock.
    agent: Option<Loaded>,
    dlopen: u64,
    dlsym: u64,
    dlerror: u64,
    /// Every executable mapping (where a safe point may be).
    exec: Vec<(u64, u64)>,
    /// glibc's allocator entry points (their code: a thread blocked in `futex` under one of
    /// them may hold an arena lock while it waits for another lock).
    allocator: Vec<(u64, u64)>,
}

/// glibc's allocator functions: a thread waiting in `futex` with one of them on its stack is
/// brought out too (see [`safe_points`]).
const ALLOCATOR: &[&str] = &[
    "malloc",
    "free",
    "calloc",
    "realloc",
    "reallocarray",
    "memalign",
    "aligned_alloc",
    "posix_memalign",
    "valloc",
    "pvalloc",
    "malloc_trim",
];

impl Loader {
    fn of(pid: i32, maps: &[Mapping]) -> anyhow::Result<Loader> {
        let libc = Loaded::find(maps, |n| {
            n.starts_with("libc.so") || n.starts_with("libc-2.")
        });
        let Some(libc) = libc else {
            if maps
                .iter()
                .any(|m| file_name(&m.path).starts_with("ld-musl"))
            {
                bail!(
                    "process {pid} does not use glibc (musl): cannot load the heap tracker into it"
                );
            }
            bail!(
                "process {pid} has no glibc loaded (a statically linked program): cannot load \
                 the heap tracker into it"
            );
        };
        // musl's one file is its libc and its loader; /proc/PID/maps names it by its real
        // path (`/usr/lib/x86_64-linux-musl/libc.so`, `/lib/ld-musl-x86_64.so.1`), so the
        // name alone does not tell: glibc, and only glibc, defines `gnu_get_libc_version`.
        if libc.symbol(pid, "gnu_get_libc_version")?.is_none() {
            let musl = libc.path.contains("musl")
                || maps
                    .iter()
                    .any(|m| file_name(&m.path).starts_with("ld-musl"));
            bail!(
                "process {pid} does not use glibc ({}{}): cannot load the heap tracker into it",
                if musl { "musl: " } else { "" },
                libc.path
            );
        }
        let ld_so = Loaded::find(maps, |n| n.starts_with("ld-linux"));
        // glibc 2.34 and later have dlopen in libc; before, in libdl when the program uses it.
        let libdl = Loaded::find(maps, |n| {
            n.starts_with("libdl.so") || n.starts_with("libdl-")
        });
        let in_dl = |name: &str| -> anyhow::Result<Option<u64>> {
            match libc.symbol(pid, name)? {
                Some(a) => Ok(Some(a)),
                None => match &libdl {
                    Some(l) => l.symbol(pid, name),
                    None => Ok(None),
                },
            }
        };
        let need = |name: &str| -> anyhow::Result<u64> {
            in_dl(name)?.ok_or_else(|| {
                anyhow!(
                    "process {pid}: no `{name}` in its glibc ({}; glibc before 2.34 keeps it in \
                     libdl, which the program did not load)",
                    libc.path
                )
            })
        };
        let allocator = libc.ranges(pid, ALLOCATOR)?;
        Ok(Loader {
            dlopen: need("dlopen")?,
            dlsym: need("dlsym")?,
            dlerror: need("dlerror")?,
            ld_so,
            libc,
            agent: None,
            exec: exec_ranges(maps),
            allocator,
        })
    }

    /// True when `ip` is in code that may hold a lock our calls need: glibc (its allocator,
    /// or any of its locks), the dynamic loader, the heap tracker.
    fn holds_locks(&self, ip: u64) -> bool {
        self.libc.contains(ip)
            || self.ld_so.as_ref().is_some_and(|l| l.contains(ip))
            || self.agent.as_ref().is_some_and(|l| l.contains(ip))
    }

    /// True for a thread blocked in `futex` inside glibc with an allocator function on its
    /// stack (`frames`, innermost first): waiting for one lock (glibc's arena list, say) it
    /// may hold another (the arena it took, in `reused_arena`), and our calls may need that
    /// one. A thread waiting in `pthread_cond_wait` or on a program's mutex has no such
    /// frame, and is left alone.
    fn waits_in_allocator(&self, t: &Thread, frames: &[(u64, AddrKind)]) -> bool {
        t.in_syscall()
            && t.regs.orig_rax == libc::SYS_futex as u64
            && self.libc.contains(t.regs.rip)
            && frames.iter().skip(1).any(|&(a, _)| {
                self.allocator
                    .iter()
                    .any(|&(lo, hi)| (lo..hi).contains(&a.wrapping_sub(1)))
            })
    }

    /// A thread must not be stopped for our call inside the loader, nor inside libc unless
    /// it waits in a system call that is not the allocator's own (`mmap`, `brk`, ...): it
    /// could hold a lock the call needs.
    fn unsafe_at(&self, t: &Thread) -> bool {
        let ip = t.regs.rip;
        if self.ld_so.as_ref().is_some_and(|l| l.contains(ip)) && !t.in_syscall() {
            return true;
        }
        if self.agent.as_ref().is_some_and(|l| l.contains(ip)) {
            return true;
        }
        if !self.libc.contains(ip) && !self.ld_so.as_ref().is_some_and(|l| l.contains(ip)) {
            return false;
        }
        const MEMORY: [u64; 6] = [
            libc::SYS_mmap as u64,
            libc::SYS_mprotect as u64,
            libc::SYS_munmap as u64,
            libc::SYS_brk as u64,
            libc::SYS_mremap as u64,
            libc::SYS_madvise as u64,
        ];
        !t.in_syscall() || MEMORY.contains(&t.regs.orig_rax)
    }
}

/// Test hooks, chosen with `TRACEKIT_ATTACH_FAULT` (for tests of a process that exits in the
/// middle of an attach, which no test could time otherwise): the process is made to end at a
/// known point of the attach, once every thread is stopped and before the agent is loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    /// `kill-when-stopped`: tracekit kills it (`SIGKILL`) while its threads are held.
    KillWhenStopped,
    /// `exit-in-call`: its own `_exit(FAULT_EXIT_STATUS)` is called in place of `dlopen`:
    /// the process ends itself in the middle of the call.
    ExitInCall,
}

/// The status of the `_exit` that `TRACEKIT_ATTACH_FAULT=exit-in-call` calls.
const FAULT_EXIT_STATUS: u64 = 71;

fn fault() -> Option<Fault> {
    match std::env::var("TRACEKIT_ATTACH_FAULT").ok()?.as_str() {
        "kill-when-stopped" => Some(Fault::KillWhenStopped),
        "exit-in-call" => Some(Fault::ExitInCall),
        _ => None,
    }
}

/// The agent's entry points in the target.
#[derive(Debug, Clone, Copy)]
struct Agent {
    attach: u64,
    detach: u64,
}

/// What the user gets told when ptrace refuses.
fn ptrace_refused(pid: i32, e: &std::io::Error) -> anyhow::Error {
    if e.raw_os_error() == Some(libc::ESRCH) {
        return anyhow!("process {pid} exited during the attach");
    }
    if e.raw_os_error() != Some(libc::EPERM) {
        return anyhow!("cannot attach to process {pid}: {e}");
    }
    let scope = std::fs::read_to_string("/proc/sys/kernel/yama/ptrace_scope")
        .ok()
        .and_then(|s| s.trim().parse::<u32>().ok());
    not_permitted(pid, scope)
}

/// What an `EPERM` from ptrace means, with Yama's `ptrace_scope` (None: no Yama, or 0).
fn not_permitted(pid: i32, scope: Option<u32>) -> anyhow::Error {
    match scope {
        Some(3) => anyhow!(
            "cannot attach to process {pid}: ptrace is disabled on this system \
             (kernel.yama.ptrace_scope = 3, until reboot)"
        ),
        Some(2) => anyhow!(
            "cannot attach to process {pid}: only root may attach \
             (kernel.yama.ptrace_scope = 2)"
        ),
        Some(1) => anyhow!(
            "cannot attach to process {pid}: kernel.yama.ptrace_scope = 1 lets a process \
             trace only its own children; run as root or set it to 0 \
             (`sysctl kernel.yama.ptrace_scope=0`)"
        ),
        _ => anyhow!(
            "cannot attach to process {pid}: permission denied (it belongs to another user, \
             or is not dumpable); run as its user or as root"
        ),
    }
}

/// How long the threads found inside glibc, the loader or the tracker get to reach their safe
/// points ([`safe_points`]) before the calls. Each needs microseconds of CPU (the rest of one
/// allocator call); on a loaded machine, the wait for a CPU. Those that have not arrived stay
/// doubtful ([`call_holding`]).
const SAFE_POINT_TIME: Duration = Duration::from_millis(100);

/// Where each thread that is inside glibc, the loader or the tracker (or blocked in `futex`
/// under glibc's allocator: [`Loader::waits_in_allocator`]) leaves that code: the
/// first return address of its stack outside it (the modules' unwind tables, through
/// framehop). Such a thread may hold a lock our calls need, and which one cannot be read
/// (glibc's arena locks have no owner field: with more threads than arenas, the calling
/// thread shares its arena with a worker, and held inside `malloc` that worker makes
/// `dlopen` wait); at its return address it holds none of them. A thread whose stack does
/// not lead out, or leads to an address after no call instruction, is left out (it stays
/// doubtful). Also returns how many of them were blocked in `futex` under the allocator.
fn safe_points(
    pid: i32,
    loader: &Loader,
    s: &Stopped,
    stacks: &mut Stacks,
) -> (Vec<(Pid, u64)>, usize) {
    let mut out = Vec::new();
    let mut waiting = 0;
    for t in &s.threads {
        let inside = loader.unsafe_at(t);
        let maybe_waiting = t.in_syscall() && t.regs.orig_rax == libc::SYS_futex as u64;
        if !inside && !maybe_waiting {
            continue;
        }
        let regs = remote::Regs {
            ip: t.regs.rip,
            sp: t.regs.rsp,
            bp: t.regs.rbp,
        };
        let mut read = |a: u64| tracekit_ptrace::mem::read_val::<u64>(t.tid, a).ok();
        let Some(frames) = stacks.walk(pid as u32, regs, false, &mut read, 64) else {
            continue;
        };
        if !inside {
            if !loader.waits_in_allocator(t, &frames) {
                continue;
            }
            waiting += 1;
        }
        let out_of = frames.iter().skip(1).find(|(a, _)| !loader.holds_locks(*a));
        let Some(&(ra, AddrKind::Return)) = out_of else {
            continue;
        };
        if loader.exec.iter().any(|&(lo, hi)| (lo..hi).contains(&ra)) && after_call(t.tid, ra) {
            out.push((t.tid, ra));
        }
    }
    (out, waiting)
}

/// True when the bytes before `ra` end with a call instruction (`call rel32`, or an indirect
/// `call` through a register or memory, 2 to 7 bytes): a return address the unwinder found
/// is checked before an `int3` goes there.
fn after_call(tid: Pid, ra: u64) -> bool {
    let mut b = [0u8; 7];
    if ra < 7 || tracekit_ptrace::mem::read_exact(tid, ra - 7, &mut b).is_err() {
        return false;
    }
    let at = |back: usize| b[7 - back];
    at(5) == 0xe8 || (2..=7).any(|k| at(k) == 0xff && (at(k - 1) >> 3) & 7 == 2)
}

/// How long thread `tid` of `pid` has waited on a run queue so far (the second field of
/// `/proc/PID/task/TID/schedstat`, in ns); None when it cannot be read.
fn run_delay(pid: i32, tid: Pid) -> Option<Duration> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/schedstat")).ok()?;
    let ns = text.split_ascii_whitespace().nth(1)?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

/// [`run_delay`] of every thread of `pid`.
fn run_delays(pid: i32) -> Vec<(Pid, Duration)> {
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .filter_map(|tid| Some((Pid(tid), run_delay(pid, Pid(tid))?)))
        .collect()
}

/// The target's threads made to run first while they must run for us, where that is
/// permitted (as for [`Boost`]): `SCHED_FIFO` at priority 1, below tracekit's own, with
/// `SCHED_RESET_ON_FORK`, but for the calling thread (see [`Hurry::raise_caller`]). A thread held by ptrace runs nothing, but it takes its stop, runs to
/// its safe point, or runs a call only once it gets a CPU: on a busy machine (load 30 on two
/// cores) that wait was most of the held time, up to hundreds of ms for one of 17 threads to
/// stop. Each thread gets its own policy and priority back as soon as it need not run for
/// us (stopped, at its safe point, the calls done), and every one of them when this is
/// dropped. Threads with a real-time policy of their own are left alone.
struct Hurry {
    on: bool,
    /// The process.
    pid: i32,
    /// Every thread held for the calls: a thread not among them was started by the calling
    /// thread during a call (the tracker's compressor, its detach thread), inheriting its
    /// priority (see [`Hurry::raise_caller`]), and is put back with it.
    known: Vec<Pid>,
    /// The calling thread raised without `SCHED_RESET_ON_FORK`: its policy and parameters.
    caller: Option<(libc::c_int, libc::sched_param)>,
    /// Threads raised, with the policy (`SCHED_RESET_ON_FORK` included) and parameters to
    /// put back.
    raised: Vec<(Pid, libc::c_int, libc::sched_param)>,
}

/// `SCHED_RESET_ON_FORK` (linux/sched.h; not in the libc crate for this target).
const SCHED_RESET_ON_FORK: libc::c_int = 0x4000_0000;

impl Hurry {
    /// Raises nothing unless `on` (tracekit itself could run `SCHED_FIFO`).
    fn new(pid: i32, on: bool) -> Hurry {
        Hurry {
            pid,
            known: Vec::new(),
            caller: None,
            on: on && std::env::var_os("TRACEKIT_ATTACH_NO_HURRY").is_none(),
            raised: Vec::new(),
        }
    }

    /// Raises threads `tids` (those of ours, not yet raised).
    fn raise(&mut self, tids: &[Pid]) {
        if !self.on {
            return;
        }
        for &tid in tids {
            if self.raised.iter().any(|r| r.0 == tid) {
                continue;
            }
            let mut param = libc::sched_param { sched_priority: 0 };
            // SAFETY: plain integer argument; writes one sched_param of ours.
            let policy = unsafe { libc::sched_getscheduler(tid.0) };
            // SAFETY: as above.
            if policy < 0 || unsafe { libc::sched_getparam(tid.0, &mut param) } != 0 {
                continue;
            }
            let normal = [libc::SCHED_OTHER, libc::SCHED_BATCH, libc::SCHED_IDLE];
            if !normal.contains(&(policy & !SCHED_RESET_ON_FORK)) {
                continue;
            }
            let fifo = libc::sched_param { sched_priority: 1 };
            let to = libc::SCHED_FIFO | SCHED_RESET_ON_FORK;
            // SAFETY: reads one sched_param of ours.
            if unsafe { libc::sched_setscheduler(tid.0, to, &fifo) } == 0 {
                self.raised.push((tid, policy, param));
            }
        }
    }

    /// Raises the calling thread `tid` (and puts back every other one) without
    /// `SCHED_RESET_ON_FORK`: a thread it starts during a call runs at its priority too (the
    /// tracker's compressor thread, started by `tracekit_attach`, takes the log's locks the
    /// call then waits for: at the normal policy on a busy machine it kept the call waiting
    /// 630 ms once); such threads are put back by [`Hurry::lower_new`]. `known`: every thread
    /// held.
    fn raise_caller(&mut self, tid: Pid, known: Vec<Pid>) {
        self.lower_all_but(None);
        self.known = known;
        self.raise(&[tid]);
        let Some(&(_, policy, param)) = self.raised.first() else {
            return;
        };
        let fifo = libc::sched_param { sched_priority: 1 };
        // SAFETY: reads one sched_param of ours.
        if unsafe { libc::sched_setscheduler(tid.0, libc::SCHED_FIFO, &fifo) } == 0 {
            self.caller = Some((policy, param));
        }
    }

    /// Gives the threads started during the calls (not in `known`) the calling thread's own
    /// policy and parameters back.
    fn lower_new(&mut self) {
        let Some((policy, param)) = self.caller.take() else {
            return;
        };
        let Ok(dir) = std::fs::read_dir(format!("/proc/{}/task", self.pid)) else {
            return;
        };
        for tid in dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok()) {
            if !self.known.contains(&Pid(tid)) {
                // SAFETY: reads one sched_param of ours; a thread that ended fails.
                unsafe { libc::sched_setscheduler(tid, policy, &param) };
            }
        }
    }

    /// Puts back every raised thread but `keep`.
    fn lower_all_but(&mut self, keep: Option<Pid>) {
        self.raised.retain(|&(tid, policy, param)| {
            if Some(tid) == keep {
                return true;
            }
            // SAFETY: reads one sched_param of ours. A thread that ended fails: nothing to do.
            unsafe { libc::sched_setscheduler(tid.0, policy, &param) };
            false
        });
    }
}

impl Drop for Hurry {
    fn drop(&mut self) {
        self.lower_new();
        self.lower_all_but(None);
    }
}

/// Stops every thread, brings those inside glibc, the loader or the tracker to safe points
/// ([`safe_points`], [`Stopped::run_to`]: each runs alone with the others held until it has
/// returned out of that code, where a one-shot breakpoint stops it), and picks one at a safe
/// point to call on (the main thread when it is; when none is, the threads still inside run
/// on a moment at a time until one is out). The others stay stopped while the calls run
/// ([`call_holding`]): let go, they compete with the call for the CPU and for the
/// allocator's and the kernel's locks (with 16 threads allocating in a loop let go, loading
/// the agent took 250-1000 ms of wall time instead of about one). Returns the stopped
/// process and the caller's index. `stacks` is `None` when the target's files cannot be
/// read at their paths (another mount namespace): then no thread is brought out first.
fn stop_for_call(
    pid: i32,
    loader: &Loader,
    phases: &mut Phases,
    stacks: Option<&mut Stacks>,
    hurry: &mut Hurry,
    delays: &[(Pid, Duration)],
) -> anyhow::Result<(Stopped, usize)> {
    let t0 = Instant::now();
    let mut stopped = Stopped::stop_all_then(Pid(pid), |asked| hurry.raise(asked))
        .map_err(|e| ptrace_refused(pid, &e))?;
    phases.stop_all = t0.elapsed();
    phases.hurried = !hurry.raised.is_empty();
    phases.threads = stopped.threads.len();
    phases.inside = stopped
        .threads
        .iter()
        .filter(|t| loader.unsafe_at(t))
        .count();
    if let Some(stacks) = stacks {
        let (targets, waiting) = safe_points(pid, loader, &stopped, stacks);
        phases.inside += waiting;
        // The threads inside that have no safe point (the tracker's compressor thread, whose
        // stack never leaves the tracker) run along: one of them may hold a lock a target
        // waits for (seen once: a detach right after an attach, 11 threads, none arrived in
        // 100 ms).
        let along: Vec<Pid> = stopped
            .threads
            .iter()
            .filter(|t| loader.unsafe_at(t) && !targets.iter().any(|g| g.0 == t.tid))
            .map(|t| t.tid)
            .collect();
        let t0 = Instant::now();
        let run = stopped
            .run_to(&targets, &along, SAFE_POINT_TIME)
            .map_err(|e| ptrace_refused(pid, &e))?;
        phases.brought_out = run.reached.len();
        phases.to_safe_points = t0.elapsed();
    }
    // The usual caller stays raised; the others need not run any more (those let run while
    // a call waits, below and in `call_holding`, run as they were).
    hurry.lower_all_but(Some(Pid(pid)));
    phases.stop_cpu_wait = stopped
        .threads
        .iter()
        .filter_map(|t| {
            let before = delays.iter().find(|d| d.0 == t.tid)?.1;
            Some(run_delay(pid, t.tid)?.saturating_sub(before))
        })
        .max()
        .unwrap_or_default();
    phases.still_inside = stopped
        .threads
        .iter()
        .filter(|t| loader.unsafe_at(t))
        .count();
    let mut caller = None;
    for _ in 0..400 {
        let safe = |t: &&Thread| !loader.unsafe_at(t);
        let main = stopped
            .threads
            .iter()
            .find(|t| t.tid == Pid(pid))
            .filter(safe);
        caller = main
            .or_else(|| stopped.threads.iter().find(safe))
            .map(|t| t.tid);
        if caller.is_some() || stopped.threads.is_empty() {
            break;
        }
        stopped.settle(|t| loader.unsafe_at(t), 1, Duration::from_micros(100));
    }
    let Some(caller) = caller else {
        bail!(
            "process {pid}: every thread stayed inside the allocator or the dynamic loader; \
             not attaching"
        );
    };
    let known = stopped.threads.iter().map(|t| t.tid).collect();
    hurry.raise_caller(caller, known);
    let index = stopped.index_of(caller).expect("the caller is held");
    Ok((stopped, index))
}

/// Tracekit's own thread made to run first while the program is held, where that is
/// permitted (root or `CAP_SYS_NICE`): the real-time policy `SCHED_FIFO` at priority 2, one
/// above the target's threads while [`Hurry`] raises them (every wait of ours sleeps, so it
/// never keeps a CPU), else nice -20; put back
/// when dropped. On a busy machine the held time is mostly tracekit's waits for a CPU: each
/// released thread preempts it before it can release the next, and with autogroup
/// scheduling its whole session competes with the other sessions' for the CPU.
struct Boost {
    policy: libc::c_int,
    param: libc::sched_param,
    nice: Option<libc::c_int>,
}

impl Boost {
    fn raise() -> Option<Boost> {
        let mut param = libc::sched_param { sched_priority: 0 };
        // SAFETY: writes one sched_param of ours; 0 is this thread.
        let policy = unsafe { libc::sched_getscheduler(0) };
        // SAFETY: as above.
        if policy < 0 || unsafe { libc::sched_getparam(0, &mut param) } != 0 {
            return None;
        }
        if policy != libc::SCHED_OTHER {
            return None;
        }
        // Above the target's threads while they are raised (`Hurry`).
        let fifo = libc::sched_param { sched_priority: 2 };
        // SAFETY: reads one sched_param of ours; 0 is this thread.
        if unsafe { libc::sched_setscheduler(0, libc::SCHED_FIFO, &fifo) } == 0 {
            return Some(Boost {
                policy,
                param,
                nice: None,
            });
        }
        // SAFETY: errno is this thread's; getpriority returns -1 both as a nice value and
        // on failure, so errno tells them apart.
        unsafe { *libc::__errno_location() = 0 };
        // SAFETY: plain integer arguments (PRIO_PROCESS with 0: this thread).
        let old = unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) };
        if old == -1 && std::io::Error::last_os_error().raw_os_error() != Some(0) {
            return None;
        }
        // SAFETY: plain integer arguments.
        let r = unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, -20) };
        (r == 0).then_some(Boost {
            policy,
            param,
            nice: Some(old),
        })
    }
}

impl Drop for Boost {
    fn drop(&mut self) {
        match self.nice {
            // SAFETY: plain integer arguments.
            Some(old) => unsafe {
                libc::setpriority(libc::PRIO_PROCESS, 0, old);
            },
            // SAFETY: reads one sched_param of ours; 0 is this thread.
            None => unsafe {
                libc::sched_setscheduler(0, self.policy, &self.param);
            },
        }
    }
}

/// How long a call into the target runs before the threads held inside libc, the loader or
/// the tracker run until it returns (before that they run only a slice at a time, while the
/// call waits in `futex`: one may hold the lock it waits for). The calls need about a
/// millisecond of CPU (dlopen 0.3 ms, `tracekit_attach` 0.7 ms, measured in a plain
/// program); on a loaded machine their wall time is longer, and letting the threads run is
/// never wrong, only slower.
const PATIENCE: Duration = Duration::from_millis(100);

/// Calls `f` on thread `t` of `s`, the others held for [`PATIENCE`] at most (see there).
/// Returns `rax` and how many threads were let go.
fn call_holding(
    s: &mut Stopped,
    t: usize,
    f: u64,
    args: &[Arg<'_>],
    loader: &Loader,
) -> std::io::Result<(u64, usize)> {
    let doubtful = |t: &Thread| loader.unsafe_at(t);
    s.call_or_release(t, f, args, Some((PATIENCE, &doubtful)))
}

fn cstr(s: &[u8]) -> Vec<u8> {
    let mut v = s.to_vec();
    v.push(0);
    v
}

/// Loads the agent at `agent` (a path in the target's mount namespace) and starts it with the
/// log at `log` (also the target's path). Returns its entry points and the slots redirected.
fn inject(
    pid: i32,
    loader: &Loader,
    agent: &Path,
    log: &Path,
    phases: &mut Phases,
    stacks: Option<&mut Stacks>,
) -> anyhow::Result<(Agent, i64)> {
    let cpu = CpuClock::start(pid);
    let me = Boost::raise();
    let mut hurry = Hurry::new(pid, me.as_ref().is_some_and(|b| b.nice.is_none()));
    let delays = run_delays(pid);
    let t0 = Instant::now();
    let (mut s, t) = stop_for_call(pid, loader, phases, stacks, &mut hurry, &delays)?;
    phases.stop = t0.elapsed();
    let caller = s.threads[t].tid;
    let caller_delay = run_delay(pid, caller);
    let mut released = 0;
    let mut call = |s: &mut Stopped, f: u64, args: &[Arg<'_>]| {
        let (rax, n) = call_holding(s, t, f, args, loader).map_err(|e| match e.raw_os_error() {
            Some(libc::ESRCH) => anyhow!("process {pid} exited during the attach"),
            _ => anyhow!("process {pid}: calling into it failed: {e}"),
        })?;
        released += n;
        Ok::<u64, anyhow::Error>(rax)
    };
    match fault() {
        Some(Fault::KillWhenStopped) => {
            // SAFETY: kill takes a pid and a signal number.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
        Some(Fault::ExitInCall) => {
            let exit = loader
                .libc
                .symbol(pid, "_exit")?
                .ok_or_else(|| anyhow!("no _exit in {}", loader.libc.path))?;
            call(&mut s, exit, &[Arg::Int(FAULT_EXIT_STATUS)])?;
        }
        None => {}
    }
    let path = cstr(agent.as_os_str().as_bytes());
    let handle = call(
        &mut s,
        loader.dlopen,
        &[Arg::Bytes(&path), Arg::Int(libc::RTLD_NOW as u64)],
    )?;
    if handle == 0 {
        let msg = call(&mut s, loader.dlerror, &[])?;
        let text = if msg == 0 {
            String::from("(no message)")
        } else {
            let (b, _) = tracekit_ptrace::mem::read_cstr(Pid(pid), msg, 512).unwrap_or_default();
            String::from_utf8_lossy(&b).into_owned()
        };
        bail!("process {pid} could not load the heap tracker: {text}");
    }
    let mut sym = |s: &mut Stopped, name: &[u8]| -> anyhow::Result<u64> {
        let name = cstr(name);
        match call(s, loader.dlsym, &[Arg::Int(handle), Arg::Bytes(&name)])? {
            0 => bail!(
                "process {pid}: the loaded library has no tracekit_attach (not the heap tracker?)"
            ),
            a => Ok(a),
        }
    };
    let agent = Agent {
        attach: sym(&mut s, b"tracekit_attach")?,
        detach: sym(&mut s, b"tracekit_detach")?,
    };
    phases.load = t0.elapsed() - phases.stop;
    let log = cstr(log.as_os_str().as_bytes());
    let rc = call(&mut s, agent.attach, &[Arg::Bytes(&log)])? as i32 as i64;
    phases.call = t0.elapsed() - phases.stop - phases.load;
    phases.released = released;
    phases.call_cpu_wait = waited_since(pid, caller, caller_delay);
    cpu.stop(phases);
    let t1 = Instant::now();
    drop(hurry);
    drop(s);
    phases.release = t1.elapsed();
    drop(me);
    if rc < 0 {
        bail!(
            "process {pid}: the heap tracker could not start (another tracekit is attached to \
             it, or it runs the tracker preloaded, or it could not create its log; see the \
             process's stderr)"
        );
    }
    Ok((agent, rc))
}

fn uid_of(pid: i32) -> Option<u32> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("Uid:"))?;
    line.split_ascii_whitespace().nth(2)?.parse().ok()
}

fn same_mount_ns(pid: i32) -> bool {
    let a = std::fs::read_link("/proc/self/ns/mnt");
    let b = std::fs::read_link(format!("/proc/{pid}/ns/mnt"));
    matches!((a, b), (Ok(a), Ok(b)) if a == b)
}

/// Where the target writes its log, and how we get it back.
#[derive(Debug)]
enum LogHandoff {
    /// The target writes our path directly.
    Direct(PathBuf),
    /// The target writes `name` in its `/tmp`, which we keep open (it outlives the process).
    Staged {
        tmp: File,
        name: String,
        to: PathBuf,
    },
}

impl LogHandoff {
    fn target_path(&self) -> PathBuf {
        match self {
            LogHandoff::Direct(p) => p.clone(),
            LogHandoff::Staged { name, .. } => Path::new("/tmp").join(name),
        }
    }

    /// The log where tracekit reads it. A process that exited while it finished its log
    /// (compressed records go to `LOG.tmp`, then renamed over the log) leaves the raw log,
    /// complete, and maybe that half-written file, removed here.
    fn collect(self) -> anyhow::Result<PathBuf> {
        let half = |log: &str| {
            let _ = std::fs::remove_file(format!("{log}.tmp"));
        };
        match self {
            LogHandoff::Direct(p) => {
                half(&p.to_string_lossy());
                Ok(p)
            }
            LogHandoff::Staged { tmp, name, to } => {
                let staged = format!("/proc/self/fd/{}/{name}", tmp.as_raw_fd());
                half(&staged);
                let mut data = Vec::new();
                File::open(&staged)
                    .and_then(|mut f| f.read_to_end(&mut data))
                    .with_context(|| {
                        format!("cannot read the log the process left in /tmp/{name}")
                    })?;
                let mut o = std::fs::OpenOptions::new();
                o.write(true).create(true).truncate(true);
                tracekit_log::output_file_rules(&mut o, to.as_os_str());
                o.open(&to)
                    .and_then(|mut f| std::io::Write::write_all(&mut f, &data))
                    .with_context(|| format!("cannot write {}", to.display()))?;
                let _ = std::fs::remove_file(&staged);
                Ok(to)
            }
        }
    }
}

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_sigint(_: libc::c_int) {
    INTERRUPTED.store(true, Ordering::SeqCst);
}

/// From before the attach on, Ctrl-C and SIGTERM only set [`INTERRUPTED`]: one that comes
/// in the middle of the attach (the threads held, a breakpoint planted, a call running) lets
/// it finish, and [`wait_for_end`] then returns at once, so the program is detached cleanly
/// instead of being left with tracekit gone mid-way.
fn catch_interrupts() {
    // SAFETY: the handler only stores to an atomic (async-signal-safe); SA_RESTART is left
    // out so that poll returns at once (the attach's waits retry on EINTR).
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = on_sigint as extern "C" fn(libc::c_int) as usize;
        libc::sigaction(libc::SIGINT, &sa, std::ptr::null_mut());
        libc::sigaction(libc::SIGTERM, &sa, std::ptr::null_mut());
    }
}

/// Waits until `duration` passed, Ctrl-C, or the process exited; true when it exited.
fn wait_for_end(pid: i32, duration: Option<Duration>) -> anyhow::Result<bool> {
    // SAFETY: pidfd_open takes a pid and flags and returns a new descriptor or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if fd < 0 {
        return Ok(true);
    }
    // SAFETY: a descriptor pidfd_open just returned, owned by nobody else.
    let fd = unsafe { OwnedFd::from_raw_fd(fd as i32) };
    let end = duration.map(|d| Instant::now() + d);
    loop {
        if INTERRUPTED.load(Ordering::SeqCst) {
            return Ok(false);
        }
        let timeout = match end {
            Some(e) => {
                let left = e.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Ok(false);
                }
                left.as_millis().clamp(1, 1000) as i32
            }
            None => 1000,
        };
        let mut p = libc::pollfd {
            fd: fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one pollfd of ours.
        let r = unsafe { libc::poll(&mut p, 1, timeout) };
        if r > 0 {
            return Ok(true);
        }
    }
}

/// Attaches, records until the end, detaches; returns the log and the timings.
pub fn record(
    to: AttachTo,
    library: &Path,
    log: &Path,
    verbose: bool,
) -> anyhow::Result<(PathBuf, Timings)> {
    let pid = to.pid;
    if pid <= 0 || !Path::new(&format!("/proc/{pid}")).exists() {
        bail!("no process {pid}");
    }
    let map = maps(pid)?;
    let loader = Loader::of(pid, &map)?;
    let same_ns = same_mount_ns(pid);
    // SAFETY: geteuid has no arguments and cannot fail.
    let euid = unsafe { libc::geteuid() };
    let direct = same_ns && uid_of(pid) == Some(euid);
    let stamp = std::process::id();
    let handoff = if direct {
        LogHandoff::Direct(log.to_path_buf())
    } else {
        let tmp = File::open(format!("/proc/{pid}/root/tmp"))
            .with_context(|| format!("process {pid}: cannot open its /tmp"))?;
        LogHandoff::Staged {
            tmp,
            name: format!("tracekit-heap.{pid}.{stamp}.tklog"),
            to: log.to_path_buf(),
        }
    };
    // The library as the target sees it: our path in our namespace, else a copy in its /tmp.
    let (agent, copied) = if same_ns {
        (library.to_path_buf(), None)
    } else {
        let name = format!("tracekit-heap-agent.{stamp}.so");
        let host = PathBuf::from(format!("/proc/{pid}/root/tmp/{name}"));
        std::fs::copy(library, &host)
            .with_context(|| format!("cannot copy the heap tracker into process {pid}'s /tmp"))?;
        (Path::new("/tmp").join(name), Some(host))
    };
    // The unwind tables of every module, read before the threads stop (a few ms); by their
    // paths, so only in our own mount namespace.
    let mut stacks = same_ns.then(|| unwinder_of(pid));
    catch_interrupts();
    if INTERRUPTED.load(Ordering::SeqCst) {
        bail!("interrupted before attaching to process {pid}");
    }
    let mut phases = Phases::default();
    let injected = inject(
        pid,
        &loader,
        &agent,
        &handoff.target_path(),
        &mut phases,
        stacks.as_mut(),
    );
    if let Some(c) = &copied {
        // Loaded (or not): the name is not needed any more.
        let _ = std::fs::remove_file(c);
    }
    let (entry, slots) = injected?;
    let mut timings = Timings {
        attach: phases.held(),
        attach_phases: phases,
        ..Timings::default()
    };
    if verbose {
        say(format_args!(
            "tracekit heap: attached to process {pid} in {:.1} ms ({phases}; {slots} relocations \
             redirected){}",
            timings.attach.as_secs_f64() * 1e3,
            match to.duration {
                Some(d) => format!("; detaching after {:.1} s or at Ctrl-C", d.as_secs_f64()),
                None => "; Ctrl-C detaches".to_owned(),
            }
        ));
    }
    let exited = wait_for_end(pid, to.duration)?;
    if !exited {
        let agent_name = file_name(&agent.to_string_lossy()).to_owned();
        let now = maps(pid).unwrap_or_default();
        let loader = Loader {
            agent: Loaded::find(&now, |n| n == agent_name),
            exec: exec_ranges(&now),
            ..loader
        };
        // The tables again: the agent is loaded now (and maybe other modules since).
        let mut stacks = same_ns.then(|| unwinder_of(pid));
        match detach(
            pid,
            &loader,
            entry,
            &mut timings.detach_phases,
            stacks.as_mut(),
        ) {
            Ok(()) => timings.detach = Some(timings.detach_phases.held()),
            // It exited meanwhile: its exit handler finished the log.
            Err(e) if !Path::new(&format!("/proc/{pid}")).exists() => {
                let _ = e;
            }
            Err(e) => return Err(e),
        }
        if verbose {
            if let Some(d) = timings.detach {
                say(format_args!(
                    "tracekit heap: detached from process {pid} in {:.1} ms ({})",
                    d.as_secs_f64() * 1e3,
                    timings.detach_phases
                ));
            }
        }
    } else if verbose {
        say(format_args!("tracekit heap: process {pid} exited"));
    }
    Ok((handoff.collect()?, timings))
}

/// A status line on stderr; one that cannot be written is dropped (the attach worker goes on
/// to its detach when whoever read its stderr is gone).
fn say(line: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// In the environment of the attach worker ([`record_in_worker`]): the log's path.
const WORKER_ENV: &str = "TRACEKIT_ATTACH_WORKER";

/// In the attach worker, the log its parent chose: this `tracekit heap -p` does the attach,
/// the recording and the detach, prints the log's final path on stdout, and leaves the
/// report to the process that started it.
pub fn worker_log() -> Option<PathBuf> {
    std::env::var_os(WORKER_ENV).map(PathBuf::from)
}

/// The attach worker's pid, for [`forward_interrupt`] (0: not started yet).
static WORKER: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);

extern "C" fn forward_interrupt(_: libc::c_int) {
    INTERRUPTED.store(true, Ordering::SeqCst);
    let w = WORKER.load(Ordering::SeqCst);
    if w > 0 {
        // SAFETY: kill is async-signal-safe; w is our child.
        unsafe { libc::kill(w, libc::SIGINT) };
    }
}

/// [`record`] in a process of its own, so that a `SIGKILL` of tracekit cannot interrupt an
/// attach or a detach halfway: that would leave the program with a breakpoint planted, a
/// thread in the middle of our call (returning to address 0) or in a breakpoint's stop (its
/// `SIGTRAP` delivered once the tracer is gone), or raised to `SCHED_FIFO` — each one, but
/// the last, fatal to it. The worker is this same `tracekit` (same arguments, the log's path
/// in `TRACEKIT_ATTACH_WORKER`), in a process group of its own (a signal to tracekit's group,
/// Ctrl-C's or `kill -9 -PGID`'s, does not reach it), and it gets `SIGTERM` when tracekit
/// dies (`PR_SET_PDEATHSIG`): like Ctrl-C, that lets a running attach finish and then
/// detaches at once. Ctrl-C, `SIGTERM` and `SIGHUP` to tracekit are passed on to it as
/// Ctrl-C. A `SIGKILL` of the worker itself in the milliseconds of an attach or detach still
/// harms the program: nothing can stand in for a tracer killed in the middle. Returns the
/// log's path, or the worker's exit status when it failed (it has said why on stderr). When
/// the worker cannot be started, records in this process.
pub fn record_in_worker(
    to: AttachTo,
    library: &Path,
    log: &Path,
    verbose: bool,
) -> anyhow::Result<Result<PathBuf, u8>> {
    use std::os::unix::process::CommandExt;
    use std::process::{Command, Stdio};
    let parent = std::process::id() as libc::pid_t;
    // SAFETY: the handler only stores to atomics and calls kill (async-signal-safe).
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = forward_interrupt as extern "C" fn(libc::c_int) as usize;
        sa.sa_flags = libc::SA_RESTART;
        for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
            libc::sigaction(sig, &sa, std::ptr::null_mut());
        }
    }
    let spawned = std::env::current_exe().and_then(|exe| {
        let mut cmd = Command::new(exe);
        cmd.args(std::env::args_os().skip(1))
            .env(WORKER_ENV, log)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .process_group(0);
        // SAFETY: prctl, getppid and signal are async-signal-safe, as a pre_exec hook must
        // be.
        unsafe {
            cmd.pre_exec(move || {
                // Its status lines reach the terminal from outside the foreground group
                // even under `stty tostop` (a stopped worker would hold the program).
                libc::signal(libc::SIGTTOU, libc::SIG_IGN);
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                // tracekit already gone: attach nothing.
                if libc::getppid() != parent {
                    return Err(std::io::Error::from_raw_os_error(libc::ESRCH));
                }
                Ok(())
            })
        };
        cmd.spawn()
    });
    let mut child = match spawned {
        Ok(c) => c,
        Err(_) => return record(to, library, log, verbose).map(|(log, _)| Ok(log)),
    };
    WORKER.store(child.id() as i32, Ordering::SeqCst);
    if INTERRUPTED.load(Ordering::SeqCst) {
        // SAFETY: kill with our child's pid and a signal number.
        unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    }
    let mut said = Vec::new();
    let read = child.stdout.take().map(|mut o| o.read_to_end(&mut said));
    let status = child.wait().context("cannot wait for the attach worker")?;
    WORKER.store(0, Ordering::SeqCst);
    if let Some(Err(e)) = read {
        bail!("cannot read the attach worker's output: {e}");
    }
    if !status.success() {
        use std::os::unix::process::ExitStatusExt;
        return Ok(Err(match (status.code(), status.signal()) {
            (Some(c), _) => c.clamp(1, 255) as u8,
            (None, Some(sig)) => {
                say(format_args!(
                    "tracekit: the attach worker was killed by signal {sig}"
                ));
                2
            }
            _ => 2,
        }));
    }
    let path = said.strip_suffix(b"\n").unwrap_or(&said);
    if path.is_empty() {
        bail!("the attach worker ended without naming its log");
    }
    Ok(Ok(PathBuf::from(std::ffi::OsStr::from_bytes(path))))
}

/// The unwinder of process `pid`, its modules' tables read.
fn unwinder_of(pid: i32) -> Stacks {
    let mut stacks = Stacks::new();
    let nowhere = remote::Regs {
        ip: 0,
        sp: 0,
        bp: 0,
    };
    let _ = stacks.walk(pid as u32, nowhere, true, &mut |_| None, 1);
    stacks
}

fn detach(
    pid: i32,
    loader: &Loader,
    agent: Agent,
    phases: &mut Phases,
    stacks: Option<&mut Stacks>,
) -> anyhow::Result<()> {
    let cpu = CpuClock::start(pid);
    let me = Boost::raise();
    let mut hurry = Hurry::new(pid, me.as_ref().is_some_and(|b| b.nice.is_none()));
    let delays = run_delays(pid);
    let t0 = Instant::now();
    let (mut s, t) = stop_for_call(pid, loader, phases, stacks, &mut hurry, &delays)?;
    phases.stop = t0.elapsed();
    let caller = s.threads[t].tid;
    let caller_delay = run_delay(pid, caller);
    let (finished, released) = call_holding(&mut s, t, agent.detach, &[], loader)
        .map_err(|e| anyhow!("process {pid}: detaching failed: {e}"))?;
    phases.call = t0.elapsed() - phases.stop;
    phases.released = released;
    phases.call_cpu_wait = waited_since(pid, caller, caller_delay);
    cpu.stop(phases);
    let t1 = Instant::now();
    drop(hurry);
    drop(s);
    phases.release = t1.elapsed();
    drop(me);
    let t2 = Instant::now();
    wait_until_finished(pid, finished)?;
    phases.finish = t2.elapsed();
    Ok(())
}

/// How long thread `tid` waited for a CPU since its [`run_delay`] was `before`.
fn waited_since(pid: i32, tid: Pid, before: Option<Duration>) -> Duration {
    match (before, run_delay(pid, tid)) {
        (Some(a), Some(b)) => b.saturating_sub(a),
        _ => Duration::ZERO,
    }
}

/// Waits until the word at `flag` in the target (what `tracekit_detach` returned) is 1: the
/// agent's thread finished the log. Returns early when the process exits (its log then stays
/// uncompressed, complete up to the detach).
fn wait_until_finished(pid: i32, flag: u64) -> anyhow::Result<()> {
    const LIMIT: Duration = Duration::from_secs(120);
    let start = Instant::now();
    let mut pause = Duration::from_micros(200);
    loop {
        match tracekit_ptrace::mem::read_val::<u32>(Pid(pid), flag) {
            Ok(1) => return Ok(()),
            Ok(_) => {}
            Err(_) if !Path::new(&format!("/proc/{pid}")).exists() => return Ok(()),
            Err(e) => bail!("process {pid}: cannot read whether its log is finished: {e}"),
        }
        if start.elapsed() > LIMIT {
            bail!(
                "process {pid} did not finish its log within {} s of the detach",
                LIMIT.as_secs()
            );
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(10));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each `ptrace_scope` gets its own one-line reason (a kernel without Yama, like the one
    /// the tests run on, cannot refuse for it: see the e2e test of another user's process).
    #[test]
    fn ptrace_scope_refusals_name_the_setting() {
        let said = |scope| not_permitted(7, scope).to_string();
        assert!(said(Some(1)).contains("kernel.yama.ptrace_scope = 1"));
        assert!(said(Some(1)).contains("only its own children"));
        assert!(said(Some(2)).contains("only root may attach"));
        assert!(said(Some(3)).contains("ptrace is disabled"));
        for scope in [None, Some(0)] {
            assert!(said(scope).contains("permission denied"), "{}", said(scope));
        }
        for scope in [None, Some(0), Some(1), Some(2), Some(3)] {
            let s = said(scope);
            assert!(s.starts_with("cannot attach to process 7: "), "{s}");
            assert!(!s.contains('\n'), "{s}");
        }
    }
}
