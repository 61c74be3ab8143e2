//! One process's log session: what every preload tool does around its own events.
//!
//! - [`start`] (from the library constructor, or lazily from the first hook, whichever runs
//!   first) opens the log named by `TRACEKIT_LOG` (or the default, announced on stderr),
//!   writes the `Process` record and the module map, and registers the `fork` and exit
//!   handlers.
//! - [`with`] runs a closure on the [`Writer`] under the process-wide lock: that is how hooks
//!   write events, intern stacks and name threads.
//! - `fork`: the child gets its own log (new `Process` record with its parent's pid, module
//!   records, a fresh stack table; with the leak check on, the parent's stacks written into
//!   it again instead, since the inherited live blocks name them); the parent's log is
//!   untouched by the child.
//! - [`before_exec`] writes `Exec`, compresses the log and leaves it complete on disk; with
//!   `TRACEKIT_FOLLOW_EXEC=1` it also tells the new image (via the environment) to append
//!   to the same log. Without it, the library removed itself from `LD_PRELOAD` at start, so
//!   programs the process runs are not traced.
//! - The exit handler (glibc's `on_exit`, which sees the status) and [`exit_now`] (for
//!   `_exit`) write `Exit` and finish the log. The exit handler first frees the runtimes'
//!   one-off buffers when the tool asks for it ([`crate::freeres`]); `_exit` never does
//!   (a forked child leaving with `_exit` must not touch its parent's libc state).
//!
//! Options: `TRACEKIT_LOG` (path, `%p` and `%e` expand), `TRACEKIT_FOLLOW_EXEC=1`,
//! `TRACEKIT_COMPRESS=0` (leave records uncompressed), `TRACEKIT_FREERES=0` (keep the
//! runtimes' buffers at exit), `TRACEKIT_CLOCK=fine` (ns event times, see [`Writer::now`]).

use crate::leak::live::LiveTable;
use std::ffi::{c_char, c_int, c_void};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};

use tracekit_log::delta;
use tracekit_log::{
    Arch, Bytes, Event, Exec, Exit, MemorySample, Module, ModuleUnload, Process, Stack, Thread,
};

use crate::exec::ExecEnv;
use crate::fmt::FixedBuf;
use crate::lock::{SpinGuard, SpinLock};
use crate::logfile::LogFile;
use crate::logpath::{self, PathBuf};
use crate::memo::{Found, MEMO};
use crate::stacks::{Interned, StackTable};
use crate::unwind::{Regs, Trace};
use crate::{env, modules, sys};

/// What a tool tells the session about itself.
#[derive(Debug)]
pub struct Config {
    /// The `tool` field of the `Process` record (`heaptrack`).
    pub tool: &'static str,
    /// The word in the default log name: `tracekit-<short>.<exe>.<pid>.tklog`.
    pub short: &'static str,
    /// The library's file name, removed from `LD_PRELOAD` unless exec is followed.
    pub lib_file_name: &'static [u8],
    /// Free libstdc++'s and glibc's one-off buffers at exit (unless `TRACEKIT_FREERES=0`).
    pub freeres: bool,
}

const OFF: u8 = 0;
const STARTING: u8 = 1;
const ON: u8 = 2;
const DONE: u8 = 3;
/// An attached session that was detached (its log finished): [`attach`] may start another.
const DETACHED: u8 = 4;

static STATE: AtomicU8 = AtomicU8::new(OFF);
static HANDLERS: AtomicBool = AtomicBool::new(false);

/// Follow `exec`: `1` as the user sets it, `2` in processes started by a traced one.
pub const FOLLOW_VAR: &str = "TRACEKIT_FOLLOW_EXEC";

/// The environment variable that hands the log to the image after `exec`: `PID:PATH`.
pub const APPEND_VAR: &str = "TRACEKIT_APPEND_LOG";

const MAX_MODULES: usize = 1024;
const CMDLINE_MAX: usize = 32 << 10;

/// The state behind the session lock.
#[derive(Debug)]
pub struct Writer {
    /// The log.
    pub log: LogFile,
    /// The compact heap records' state (big: it lives here, in the static, never on a stack).
    enc: delta::Encoder,
    stacks: StackTable,
    config: Option<&'static Config>,
    start_mono: u64,
    pid: u32,
    pattern: FixedBuf<4096>,
    default_path: bool,
    exe: FixedBuf<4096>,
    path: PathBuf,
    cmdline: FixedBuf<CMDLINE_MAX>,
    known: [u64; MAX_MODULES],
    nknown: usize,
    follow_exec: bool,
    compress: bool,
    freeres: bool,
    skip: (u64, u64),
    /// `TRACEKIT_CLOCK=fine`: events read `CLOCK_MONOTONIC` themselves (see [`Writer::now`]).
    fine_clock: bool,
    /// The leak check's live blocks (kept while it is on): under the session lock that
    /// every event takes anyway, so that keeping them takes no lock of its own.
    live: LiveTable,
}

static W: SpinLock<Writer> = SpinLock::new(Writer {
    log: LogFile::closed(),
    enc: delta::Encoder::new(),
    stacks: StackTable::new(),
    config: None,
    start_mono: 0,
    pid: 0,
    pattern: FixedBuf::new(),
    default_path: false,
    exe: FixedBuf::new(),
    path: FixedBuf::new(),
    cmdline: FixedBuf::new(),
    known: [0; MAX_MODULES],
    nknown: 0,
    follow_exec: false,
    compress: true,
    freeres: false,
    skip: (0, 0),
    fine_clock: false,
    live: LiveTable::new(),
});

/// True while events are being recorded.
#[inline]
pub fn is_on() -> bool {
    STATE.load(Ordering::Acquire) == ON
}

/// Starts the session (once per process image; later calls return at once). Call it with
/// the reentrancy guard held.
#[inline]
pub fn start(config: &'static Config) {
    if STATE.load(Ordering::Relaxed) != OFF {
        return;
    }
    start_slow(config, None)
}

/// Starts the session of a library loaded into a running process (`tracekit heap -p`): the
/// log is `log` (an absolute path, created), and an [`tracekit_log::Attach`] record marks the
/// start of recording. False when the session had started already (the library was
/// preloaded too) or the log could not be made. Call it with the reentrancy guard held.
pub fn attach(config: &'static Config, log: &[u8]) -> bool {
    if !matches!(STATE.load(Ordering::Relaxed), OFF | DETACHED) {
        return false;
    }
    start_slow(config, Some(log));
    with(|w| w.write_attach(false)).unwrap_or(false)
}

/// Stops an attached session: writes the `Attach` record that says so and finishes the log
/// as at exit (no `Exit` record: the process goes on). Later events are not recorded; once
/// the log is finished, [`attach`] may start a new session (a log of its own).
pub fn detach() {
    if STATE
        .compare_exchange(ON, DONE, Ordering::AcqRel, Ordering::Acquire)
        .is_err()
    {
        return;
    }
    // A hook past its `is_on` check waits for the lock and then finds the log closed.
    let mut w = W.lock();
    if w.log.is_open() {
        w.write_memory_sample();
        w.write_attach(true);
    }
    let compress = w.compress;
    w.log.finish(compress);
    drop(w);
    STATE.store(DETACHED, Ordering::Release);
}

#[cold]
#[inline(never)]
fn start_slow(config: &'static Config, attach_log: Option<&[u8]>) {
    // An attach may follow a detach (`DETACHED`); nothing else starts a second session.
    let again = attach_log.is_some()
        && STATE
            .compare_exchange(DETACHED, STARTING, Ordering::AcqRel, Ordering::Acquire)
            .is_ok();
    if !again
        && STATE
            .compare_exchange(OFF, STARTING, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
    {
        return;
    }
    // The state an attach that fails leaves: another attach may try again.
    let failed = if attach_log.is_some() { DETACHED } else { DONE };
    crate::stderr::init();
    // A setuid/setgid program: its environment is the caller's, so neither the log's path
    // nor the current directory may decide where a file of the privileged process goes.
    if env::secure_execution() {
        crate::say!("not recording a secure-execution (setuid, setgid or capabilities) program");
        STATE.store(DONE, Ordering::Release);
        return;
    }
    // `TRACEKIT_FOLLOW_EXEC=1` in the first traced process becomes `=2` (rewritten in place:
    // same length, no allocation) so that the programs it starts know they are not the
    // first: they must not take over a log name without a pid (see `open_log`).
    let follow_var = env::var(FOLLOW_VAR).filter(|_| attach_log.is_none());
    let follow = env::flag(FOLLOW_VAR) || follow_var == Some(b"2");
    let descendant = follow_var == Some(b"2");
    if follow_var == Some(b"1") {
        let p = follow_var.unwrap_or_default().as_ptr().cast_mut();
        // SAFETY: the value's one byte lives in this process's environment block, which is
        // writable; no other thread reads it yet (library start).
        unsafe { *p = b'2' };
    }
    MEMORY_INTERVAL_NS.store(
        env::number("TRACEKIT_MEMORY_MS", DEFAULT_MEMORY_MS).saturating_mul(1_000_000),
        Ordering::Relaxed,
    );
    let ok = {
        let mut w = W.lock();
        w.config = Some(config);
        w.follow_exec = follow;
        w.compress = env::var("TRACEKIT_COMPRESS") != Some(b"0");
        w.freeres = config.freeres && env::var("TRACEKIT_FREERES") != Some(b"0");
        crate::leak::configure();
        w.fine_clock = match env::var("TRACEKIT_CLOCK") {
            None | Some(b"" | b"coarse") => false,
            Some(b"fine") => true,
            Some(_) => {
                crate::say!("TRACEKIT_CLOCK: `fine` or `coarse`; using the coarse clock");
                false
            }
        };
        let own = start_slow as fn(&'static Config, Option<&[u8]>) as usize as u64;
        w.skip = crate::unwind::object_range(own).unwrap_or((0, 0));
        SKIP_LO.store(w.skip.0, Ordering::Relaxed);
        SKIP_HI.store(w.skip.1, Ordering::Relaxed);
        // Backtraces end at `main`, as valgrind's do, unless the user wants glibc's start-up
        // frames too.
        if !env::flag("TRACEKIT_BELOW_MAIN") {
            crate::unwind::stop_below_main();
        }
        w.pid = sys::getpid();
        let mut exe = [0u8; 4096];
        let n = sys::readlink(b"/proc/self/exe\0", &mut exe).unwrap_or(0);
        w.exe.clear();
        w.exe.push_bytes(&exe[..n]);
        let mut cmd = [0u8; 4096];
        w.cmdline.clear();
        let mut off = 0u64;
        // /proc/PID/cmdline can be longer than one read.
        let fd = sys::open(b"/proc/self/cmdline\0", libc::O_RDONLY | libc::O_CLOEXEC, 0);
        if let Ok(fd) = fd {
            while let Ok(k) = sys::pread_full(fd, &mut cmd, off) {
                if k == 0 {
                    break;
                }
                w.cmdline.push_bytes(&cmd[..k]);
                off += k as u64;
            }
            sys::close(fd);
        }
        w.pattern.clear();
        match attach_log
            .or(env::var("TRACEKIT_LOG"))
            .filter(|v| !v.is_empty())
        {
            Some(p) => {
                w.pattern.push_bytes(p);
                w.default_path = false;
            }
            None => {
                let mut d = FixedBuf::<256>::new();
                logpath::default_pattern(config.short.as_bytes(), &mut d);
                w.pattern.push_bytes(d.as_bytes());
                w.default_path = true;
            }
        }
        if again {
            // A new log: the stacks (by id) and the threads' records must be in it again.
            forget_session(&mut w);
        }
        let append = inherited_log(w.pid).filter(|_| attach_log.is_none());
        let ok = w.open_log(append, 0, descendant);
        if ok && again {
            rewrite_session(&mut w);
        }
        ok
    };
    if !ok {
        STATE.store(failed, Ordering::Release);
        return;
    }
    // Only now: these may allocate (through the hooks, which pass the guard straight on).
    if !HANDLERS.swap(true, Ordering::AcqRel) {
        extern "C" {
            fn on_exit(f: extern "C" fn(c_int, *mut c_void), arg: *mut c_void) -> c_int;
        }
        // SAFETY: the handlers are plain functions of this library, which is never unloaded,
        // so they stay callable at every later fork.
        unsafe { libc::pthread_atfork(Some(fork_prepare), Some(fork_parent), Some(fork_child)) };
        // SAFETY: `exit_handler` is a plain function of this library (never unloaded) and
        // ignores its argument, so a null one is fine.
        unsafe { on_exit(exit_handler, std::ptr::null_mut()) };
    }
    if !follow && attach_log.is_none() {
        env::strip_own_preload(config.lib_file_name);
    }
    env::remove(APPEND_VAR);
    STATE.store(ON, Ordering::Release);
    scan_modules();
}

/// Before the log of a new attached session (after a detach): the stack table starts afresh
/// (the new log names stacks from id 1 again), unless the leak check keeps its live blocks,
/// which name their stacks by id (then [`rewrite_session`] writes every stack again, as a
/// forked child's log does).
fn forget_session(w: &mut Writer) {
    if !crate::leak::on() {
        w.stacks.clear();
        MEMO.clear();
    }
}

/// After the new log of an attached session is open: the stacks the table kept, and a
/// `Thread` record for every thread of the program (each thread writes its own at its first
/// event only, and those that wrote one into the last log remember they did; one that did
/// not writes a second one, which readers take as a rename to the same name).
fn rewrite_session(w: &mut Writer) {
    let Writer { stacks, log, .. } = w;
    stacks.for_each(|id, frames| {
        log.write(&Event::Stack(Stack {
            id,
            frames: std::borrow::Cow::Borrowed(frames),
        }));
    });
    let mut ids = [0u32; 1024];
    let n = sys::thread_ids(&mut ids).unwrap_or(0).min(ids.len());
    let time_ns = w.now();
    for &tid in &ids[..n] {
        let mut path = FixedBuf::<64>::new();
        path.push_bytes(b"/proc/self/task/");
        path.push_u64(tid.into());
        path.push_bytes(b"/comm\0");
        let mut name = [0u8; 16];
        let len = sys::read_file(path.as_bytes(), &mut name).unwrap_or(0);
        let name = name[..len].strip_suffix(b"\n").unwrap_or(&name[..len]);
        // The tracker's own threads (its compressor, the last detach's) record nothing.
        if name.starts_with(b"tracekit-") {
            continue;
        }
        w.log.write(&Event::Thread(Thread {
            time_ns,
            tid,
            name: Bytes::borrowed(name),
        }));
    }
}

/// `TRACEKIT_APPEND_LOG=PID:PATH` for this pid: the path of the log to append to.
fn inherited_log(pid: u32) -> Option<&'static [u8]> {
    let v = env::var(APPEND_VAR)?;
    let colon = v.iter().position(|&b| b == b':')?;
    (env::parse_u64(&v[..colon])? == u64::from(pid)).then_some(&v[colon + 1..])
}

impl Writer {
    /// The leak check's live-block table.
    #[inline]
    pub fn live(&mut self) -> &mut LiveTable {
        &mut self.live
    }

    /// Opens this process's log (appending to `append` when given) and writes the
    /// `Process` record. Returns false when there is no log.
    fn open_log(&mut self, append: Option<&[u8]>, ppid: u32, descendant: bool) -> bool {
        let Some(config) = self.config else {
            return false;
        };
        self.start_mono = self.clock_ns();
        self.path.clear();
        match append {
            Some(p) => self.path.push_bytes(p),
            None => {
                let mut path = PathBuf::new();
                logpath::expand(
                    self.pattern.as_bytes(),
                    self.pid,
                    self.exe.as_bytes(),
                    &mut path,
                );
                // Absolute, so the image after an `exec` finds it whatever the cwd then.
                if !path.as_bytes().starts_with(b"/") {
                    let mut cwd = [0u8; 4096];
                    if let Ok(n) = sys::getcwd(&mut cwd) {
                        self.path.push_bytes(&cwd[..n]);
                        self.path.push_bytes(b"/");
                    }
                }
                self.path.push_bytes(path.as_bytes());
                // A forked child, or a program started by a traced one, when the log name
                // has no pid: add it, so the first process keeps its log.
                if (ppid != 0 || descendant) && !logpath::has_pid(self.pattern.as_bytes()) {
                    self.path.push_bytes(b".");
                    self.path.push_u64(self.pid.into());
                }
            }
        }
        let Some(cpath) = self.path.as_c_str() else {
            crate::say!("log path too long");
            return false;
        };
        let opened = match append {
            Some(_) => LogFile::append(cpath).or_else(|_| LogFile::create(cpath, false)),
            // A name we made up is never one that exists (a pid seen before: pid namespaces
            // start at 1; or a file planted there): the next free `NAME.N.tklog` instead.
            None if self.default_path => self.create_new(),
            None => LogFile::create(cpath, false),
        };
        // The name used (`create_new` may have moved on from the first one).
        let shown = std::str::from_utf8(self.path.as_bytes()).unwrap_or("(non-UTF-8 path)");
        match opened {
            Ok(log) => self.log = log,
            Err(e) => {
                let mut msg = [0u8; 128];
                // SAFETY: the XSI strerror_r writes a NUL-terminated message into our buffer.
                unsafe { libc::strerror_r(e.0, msg.as_mut_ptr().cast(), msg.len()) };
                let n = msg.iter().position(|&b| b == 0).unwrap_or(0);
                let why = std::str::from_utf8(&msg[..n]).unwrap_or("error");
                // Worded as Rust's `io::Error` says it, as every other tracekit message does.
                crate::say!("cannot create the log {shown}: {why} (os error {})", e.0);
                return false;
            }
        }
        if self.default_path && append.is_none() {
            crate::say!("writing the {} log to {shown}", config.short);
        }
        let ppid = if ppid != 0 { ppid } else { sys::getppid() };
        let ev = Event::Process(Process {
            pid: self.pid,
            ppid,
            start_unix_ns: sys::realtime_ns(),
            start_mono_ns: self.start_mono,
            exe: Bytes::borrowed(self.exe.as_bytes()),
            cmdline: Bytes::borrowed(self.cmdline.as_bytes()),
            tool: Bytes::borrowed(config.tool.as_bytes()),
            arch: Arch::X86_64,
            // Every time_ns comes from this clock (see `now`): readers tell from its resolution
            // whether the times are coarse.
            clock_res_ns: if self.fine_clock {
                sys::clock_res_ns(libc::CLOCK_MONOTONIC)
            } else {
                sys::mono_coarse_res_ns()
            },
        });
        self.log.write(&ev);
        if self.compress {
            self.log.compress_in_background();
        }
        self.nknown = 0;
        true
    }

    /// Writes an [`tracekit_log::Attach`] record (recording starts, or with `detached` stops).
    fn write_attach(&mut self, detached: bool) -> bool {
        let time_ns = self.now();
        let pid = self.pid;
        self.write(&Event::Attach(tracekit_log::Attach {
            time_ns,
            pid,
            detached,
        }))
    }

    /// The session's clock, read directly (at the session's start).
    fn clock_ns(&self) -> u64 {
        if self.fine_clock {
            sys::mono_ns()
        } else {
            sys::mono_coarse_ns()
        }
    }

    /// ns since the session started, from `CLOCK_MONOTONIC_COARSE` (the kernel tick's
    /// resolution, a few ms). While the compressor thread runs it publishes that clock every
    /// couple of ms (as heaptrack's timer thread does every 10 ms), and events take it from
    /// there: a load instead of a vDSO call. Never goes back (the clock read here before the
    /// thread started can be newer than its first value).
    ///
    /// With `TRACEKIT_CLOCK=fine`, each event reads `CLOCK_MONOTONIC` through the vDSO (ns
    /// resolution, about 20 ns a read; monotonic by itself, and read under the session lock,
    /// so the log's times never go back either).
    #[inline]
    pub fn now(&self) -> u64 {
        if self.fine_clock {
            return self.now_fine();
        }
        let published = crate::compress::published_clock_ns();
        let t = if published != 0 {
            published
        } else {
            sys::mono_coarse_ns()
        };
        // Only written under the session lock, which the caller holds.
        let last = LAST_CLOCK.load(Ordering::Relaxed);
        let t = if t > last {
            LAST_CLOCK.store(t, Ordering::Relaxed);
            t
        } else {
            last
        };
        t.saturating_sub(self.start_mono)
    }

    #[inline(never)]
    fn now_fine(&self) -> u64 {
        sys::mono_ns().saturating_sub(self.start_mono)
    }

    /// This thread's id; its first call in a thread writes the `Thread` record.
    #[inline]
    pub fn tid(&mut self) -> u32 {
        let t = crate::guard::cached_tid();
        if t != 0 {
            return t;
        }
        self.new_thread()
    }

    /// [`Writer::tid`] for a hook that holds the guard (no second thread-local lookup).
    #[inline]
    pub fn tid_of(&mut self, g: &crate::guard::Guard) -> u32 {
        let t = g.tid();
        if t != 0 {
            return t;
        }
        self.new_thread()
    }

    #[cold]
    fn new_thread(&mut self) -> u32 {
        let t = sys::gettid();
        crate::guard::set_cached_tid(t);
        let mut name = [0u8; 16];
        let n = sys::thread_name(&mut name);
        let ev = Event::Thread(Thread {
            time_ns: self.now(),
            tid: t,
            name: Bytes::borrowed(&name[..n]),
        });
        self.log.write(&ev);
        t
    }

    /// The id of a stack of return addresses, writing its `Stack` record the first time.
    #[inline]
    pub fn stack(&mut self, frames: &[u64]) -> u64 {
        match self.stacks.intern(frames) {
            Interned::Known(id) => id,
            Interned::New(id) => {
                self.log.write(&Event::Stack(Stack {
                    id,
                    frames: std::borrow::Cow::Borrowed(frames),
                }));
                id
            }
            Interned::None => 0,
        }
    }

    /// [`Writer::stack`] for the frames of a walk from `regs` that read `trace` (if traced)
    /// under the unwinder's rules of `generation` (taken before the walk), remembering it.
    #[inline]
    pub fn stack_of_walk(
        &mut self,
        frames: &[u64],
        regs: Regs,
        trace: Option<&Trace>,
        generation: u64,
    ) -> u64 {
        let id = self.stack(frames);
        MEMO.remember(regs, trace, id, generation);
        id
    }

    /// True in the process that owns the log (false in a `vfork` child, which shares its
    /// parent's memory).
    pub fn owns_log(&self) -> bool {
        self.pid == sys::getpid()
    }

    /// Appends an event.
    #[inline]
    pub fn write(&mut self, ev: &Event<'_>) -> bool {
        self.log.write(ev)
    }

    /// Appends an `Alloc` (as a compact record, coded against the heap records before it).
    #[inline]
    pub fn write_alloc(&mut self, a: &tracekit_log::Alloc) -> bool {
        self.log
            .write_heap(&mut self.enc, |b, d| delta::batch_alloc(a, d, b))
    }

    /// Appends a `Free` (compact).
    #[inline]
    pub fn write_free(&mut self, f: &tracekit_log::Free) -> bool {
        self.log
            .write_heap(&mut self.enc, |b, d| delta::batch_free(f, d, b))
    }

    /// Appends a `MemorySample` of the process now (`/proc/self/statm`); false when it could
    /// not be read.
    pub fn write_memory_sample(&mut self) -> bool {
        let Some((size, resident, data)) = statm() else {
            return false;
        };
        let time_ns = self.now();
        self.write(&Event::MemorySample(MemorySample {
            time_ns,
            resident,
            size,
            data,
        }))
    }

    /// Appends a `Realloc` (compact).
    #[inline]
    pub fn write_realloc(&mut self, r: &tracekit_log::Realloc) -> bool {
        self.log
            .write_heap(&mut self.enc, |b, d| delta::batch_realloc(r, d, b))
    }

    /// The address range of the preload library, whose frames backtraces leave out.
    pub fn skip(&self) -> (u64, u64) {
        self.skip
    }

    /// Creates the log at `self.path` (a generated name) or, while that exists, at the same
    /// name with `.1`, `.2`, ... before its `.tklog`; `self.path` ends as the name used.
    fn create_new(&mut self) -> crate::sys::SysResult<LogFile> {
        let mut base = PathBuf::new();
        base.push_bytes(self.path.as_bytes());
        let name = base.as_bytes();
        let (stem, ext): (&[u8], &[u8]) = match name.strip_suffix(b".tklog") {
            Some(stem) => (stem, b".tklog"),
            None => (name, b""),
        };
        let mut last = Err(crate::sys::Errno(libc::EEXIST));
        for n in 0..1000u64 {
            self.path.clear();
            self.path.push_bytes(stem);
            if n > 0 {
                self.path.push_bytes(b".");
                self.path.push_u64(n);
            }
            self.path.push_bytes(ext);
            let Some(c) = self.path.as_c_str() else {
                return Err(crate::sys::Errno(libc::ENAMETOOLONG));
            };
            last = LogFile::create(c, true);
            match last {
                Err(crate::sys::Errno(libc::EEXIST)) => continue,
                _ => break,
            }
        }
        last
    }

    fn is_known(&self, base: u64) -> bool {
        self.known[..self.nknown].contains(&base)
    }

    fn note_module(&mut self, m: &Module<'_>) {
        if self.is_known(m.base) {
            return;
        }
        if self.nknown < MAX_MODULES {
            self.known[self.nknown] = m.base;
            self.nknown += 1;
        }
        crate::freeres::note_module_path(m.path.as_bytes());
        self.log.write(&Event::Module(m.clone()));
    }
}

/// Default interval of the memory samples, ms (heaptrack's timer thread ticks every 10 ms).
const DEFAULT_MEMORY_MS: u64 = 10;

/// Interval of the memory samples, ns (0: none).
static MEMORY_INTERVAL_NS: AtomicU64 = AtomicU64::new(0);

/// The interval at which the compressor thread calls [`sample_memory`], ns (0: never).
pub fn memory_interval_ns() -> u64 {
    MEMORY_INTERVAL_NS.load(Ordering::Relaxed)
}

/// Writes a [`MemorySample`] of the process, unless the session lock is busy (then the next
/// round does): the compressor thread's call, every [`memory_interval_ns`]. It must never wait
/// for the lock, whose holder may be waiting for that thread to stop (`fork`, `exec`, exit).
pub fn sample_memory() {
    if !is_on() {
        return;
    }
    let Some(mut w) = W.try_lock() else { return };
    if w.log.is_open() && w.pid == sys::getpid() {
        w.write_memory_sample();
    }
}

/// Reads `/proc/self/statm` (sizes in pages): (size, resident, data) in bytes.
fn statm() -> Option<(u64, u64, u64)> {
    let mut buf = [0u8; 128];
    let n = sys::read_file(b"/proc/self/statm\0", &mut buf).ok()?;
    let mut fields = buf[..n]
        .split(|&b| b == b' ' || b == b'\n')
        .filter(|f| !f.is_empty())
        .map(env::parse_u64);
    let page = sys::PAGE as u64;
    let size = fields.next()??;
    let resident = fields.next()??;
    let data = fields.nth(3)??;
    Some((size * page, resident * page, data * page))
}

/// Runs `f` on the writer under the session lock, when the session records.
#[inline]
pub fn with<R>(f: impl FnOnce(&mut Writer) -> R) -> Option<R> {
    if !is_on() {
        return None;
    }
    let r = {
        let mut w = W.lock();
        if !w.log.is_open() {
            return None;
        }
        f(&mut w)
    };
    after_unlock();
    Some(r)
}

/// The stack id a walk from `regs` would give, without walking, when a walk remembered from
/// there still matches the stack; else whether to trace the walk (see [`crate::memo`]).
/// Takes no lock. Call from the frame `regs` were taken in (or one it called).
#[inline]
pub fn remembered_stack(regs: Regs) -> Found {
    MEMO.lookup(regs, crate::unwind::generation())
}

/// Work a writer asked for that must run without the session lock (starting the
/// compressor thread). [`with`] calls it; callers of [`lock`] call it after dropping the
/// guard.
#[inline]
pub fn after_unlock() {
    if crate::logfile::take_spawn_request() {
        crate::compress::spawn();
    }
}

/// Takes the session lock for a caller that must hold it across a real allocator call (so
/// that no other thread's event about the same address can come in between).
pub fn lock() -> Option<SpinGuard<'static, Writer>> {
    if !is_on() {
        return None;
    }
    let w = W.lock();
    w.log.is_open().then_some(w)
}

/// The latest clock value [`Writer::now`] handed out.
static LAST_CLOCK: AtomicU64 = AtomicU64::new(0);

static SKIP_LO: AtomicU64 = AtomicU64::new(0);
static SKIP_HI: AtomicU64 = AtomicU64::new(0);

/// The address range of the preload library (whose frames backtraces leave out), without
/// taking the lock.
#[inline]
pub fn skip_range() -> (u64, u64) {
    (
        SKIP_LO.load(Ordering::Relaxed),
        SKIP_HI.load(Ordering::Relaxed),
    )
}

/// Writes `Module` records for objects loaded since the last scan, and `ModuleUnload` for
/// those gone (call after `dlopen` and `dlclose`, without the session lock).
pub fn scan_modules() {
    if !is_on() || !loader_trusted() {
        return;
    }
    let mut exe = FixedBuf::<4096>::new();
    let now = {
        let w = W.lock();
        exe.push_bytes(w.exe.as_bytes());
        w.now()
    };
    let mut present = [0u64; MAX_MODULES];
    let mut npresent = 0;
    // The callback runs under the loader's lock; it takes the session lock inside (the
    // order every path uses: loader, then session).
    modules::for_each(exe.as_bytes(), now, &mut |m| {
        if npresent < MAX_MODULES {
            present[npresent] = m.base;
            npresent += 1;
        }
        if let Some(mut w) = lock() {
            w.note_module(m);
        }
    });
    if let Some(mut w) = lock() {
        let mut i = 0;
        while i < w.nknown {
            let base = w.known[i];
            if present[..npresent].contains(&base) {
                i += 1;
                continue;
            }
            let time_ns = w.now();
            w.write(&Event::ModuleUnload(ModuleUnload { time_ns, base }));
            let last = w.nknown - 1;
            w.known[i] = w.known[last];
            w.nknown = last;
        }
    }
}

/// True when the calling thread (and the compressor thread) are all that is left of the
/// process (more than 64 threads count as others).
pub(crate) fn only_thread_left() -> bool {
    let mut ids = [0u32; 64];
    let Some(n) = sys::thread_ids(&mut ids) else {
        return false;
    };
    let known = [sys::gettid(), crate::compress::helper_tid()];
    n <= ids.len() && ids[..n].iter().all(|t| known.contains(t))
}

/// The module map for a forked child, taken before the fork (see [`modules::Snapshot`]).
static FORK_MODULES: SpinLock<modules::Snapshot> = SpinLock::new(modules::Snapshot::new());

/// False in a forked child whose parent had other threads of the program at the fork: one of
/// them may have held the loader's write lock then (inside `dlopen` or `dlclose`), and glibc
/// resets only its other loader lock in the child, so `dl_iterate_phdr` could wait forever.
/// Such a process does not ask the loader for its modules until a `dlopen` in it has
/// provably taken and released that lock (see [`dlopened`]); an `exec` starts afresh.
static LOADER_TRUSTED: AtomicBool = AtomicBool::new(true);

/// Whether threads of the program other than the forking one ran at the last fork.
static FORK_WITH_THREADS: AtomicBool = AtomicBool::new(false);

/// True when this process may call `dl_iterate_phdr` (see `LOADER_TRUSTED`).
pub fn loader_trusted() -> bool {
    LOADER_TRUSTED.load(Ordering::Acquire)
}

/// A `dlopen` returned `handle`: when it loaded a new object the loader's write lock was taken
/// and released, so it is free: the process may scan again. Then records the new modules.
///
/// # Safety
/// `handle` is null or what `dlopen` just returned (not yet closed).
pub unsafe fn dlopened(handle: *mut c_void) {
    if !loader_trusted() {
        if handle.is_null() {
            return;
        }
        let mut map: *mut libc::c_void = std::ptr::null_mut();
        // SAFETY: the caller's contract: a handle dlopen returned; RTLD_DI_LINKMAP stores
        // its `struct link_map *`.
        let r = unsafe {
            libc::dlinfo(
                handle,
                libc::RTLD_DI_LINKMAP,
                (&mut map as *mut *mut libc::c_void).cast(),
            )
        };
        if r != 0 || map.is_null() {
            return;
        }
        // SAFETY: the loader's link_map for a loaded object, whose first field is l_addr.
        let base = unsafe { *map.cast::<u64>() };
        // An object loaded before (only its count went up) took no lock worth knowing of.
        let known = W.lock().is_known(base);
        if known {
            return;
        }
        LOADER_TRUSTED.store(true, Ordering::Release);
    }
    scan_modules();
}

extern "C" fn fork_prepare() {
    // Lock order: the snapshot, then the loader (inside `take`), then, after it, the session.
    let mut snap = FORK_MODULES.lock();
    FORK_WITH_THREADS.store(!only_thread_left(), Ordering::Relaxed);
    // A process that may not scan keeps the map it was given at its own fork.
    if is_on() && loader_trusted() {
        let mut exe = FixedBuf::<4096>::new();
        exe.push_bytes(W.lock().exe.as_bytes());
        snap.take(exe.as_bytes());
    }
    // Kept until the parent and child handlers: no other fork replaces it meanwhile.
    std::mem::forget(snap);
    W.lock_for_fork();
    crate::compress::fork_prepare();
}

extern "C" fn fork_parent() {
    crate::compress::fork_release();
    // SAFETY: taken by this thread with lock_for_fork in fork_prepare; no guard exists.
    unsafe { W.force_unlock() };
    // SAFETY: taken by this thread in fork_prepare, whose guard was forgotten there, so no
    // guard exists to unlock it a second time.
    unsafe { FORK_MODULES.force_unlock() };
}

extern "C" fn fork_child() {
    crate::compress::fork_release();
    crate::compress::forget_in_child();
    // SAFETY: taken with lock_for_fork in fork_prepare by the thread that forked, which is
    // this one; no guard exists.
    unsafe { W.force_unlock() };
    // SAFETY: taken in fork_prepare by the thread that forked (this one), whose guard was
    // forgotten there, so no guard exists to unlock it a second time.
    unsafe { FORK_MODULES.force_unlock() };
    crate::guard::set_cached_tid(0);
    if FORK_WITH_THREADS.load(Ordering::Relaxed) {
        LOADER_TRUSTED.store(false, Ordering::Release);
    }
    if !is_on() {
        return;
    }
    let ok = {
        let mut w = W.lock();
        let ppid = w.pid;
        w.log.abandon();
        // With the leak check on, the child's live blocks (its parent's among them) name
        // their allocation stacks by the parent's ids: the table is kept, and every stack is
        // written again into the child's log below, so its check names them right.
        let keep_stacks = crate::leak::on();
        if !keep_stacks {
            w.stacks.clear();
            MEMO.clear();
        }
        w.pid = sys::getpid();
        let ok = w.open_log(None, ppid, true);
        if ok && keep_stacks {
            let Writer { stacks, log, .. } = &mut *w;
            stacks.for_each(|id, frames| {
                log.write(&Event::Stack(Stack {
                    id,
                    frames: std::borrow::Cow::Borrowed(frames),
                }));
            });
        }
        if ok {
            // Not `scan_modules`: the loader's lock may be held by a thread that the child
            // does not have (a `dlopen` in progress at the fork). The parent's map from just
            // before the fork is the child's; a module that another thread finished loading
            // in between is written at the child's next dlopen/dlclose.
            let now = w.now();
            FORK_MODULES.lock().for_each(now, &mut |m| w.note_module(m));
        }
        ok
    };
    if !ok {
        STATE.store(DONE, Ordering::Release);
    }
}

/// Ends the session: writes `Exit` (with `freeres`, the runtime buffers freed just before)
/// and finishes the log. Later events are not recorded.
pub fn finish(code: Option<i32>, freeres: u32) {
    finish_as(code, None, freeres);
}

/// Ends the session of a process that a fatal signal is about to kill (the leak check's
/// handler, `leak::fatal`): `Exit` with the signal, the log finished.
pub fn finish_killed(signal: u32) {
    finish_as(None, Some(signal), 0);
}

fn finish_as(code: Option<i32>, signal: Option<u32>, freeres: u32) {
    if STATE
        .compare_exchange(ON, DONE, Ordering::AcqRel, Ordering::Acquire)
        .is_err()
    {
        return;
    }
    let mut w = W.lock();
    if w.pid != sys::getpid() {
        // A vfork child: the log is its parent's.
        STATE.store(ON, Ordering::Release);
        return;
    }
    if w.log.is_open() {
        w.write_memory_sample();
        let time_ns = w.now();
        let pid = w.pid;
        w.write(&Event::Exit(Exit {
            time_ns,
            pid,
            code,
            signal,
            freeres,
        }));
    }
    let compress = w.compress;
    w.log.finish(compress);
}

/// Stops recording and deletes this process's log (a process that turned out not to be
/// worth tracing, such as a test's own launcher).
pub fn discard() {
    if STATE.swap(DONE, Ordering::AcqRel) != ON {
        return;
    }
    let mut w = W.lock();
    w.log.abandon();
    if let Some(p) = w.path.as_c_str() {
        let _ = sys::unlink(p);
    }
}

/// The exit handler, registered with `on_exit` when the session starts.
///
/// When it runs. Exit handlers run in the reverse order of their registration, and ours was
/// registered while the dynamic loader initialized the program's libraries (in our
/// constructor, or at the first allocation, which comes earlier): before `__libc_start_main`
/// registered `_dl_fini` and before the program's own constructors registered their
/// destructors. So everything of the program has run by now: `atexit` handlers, static
/// destructors, thread-local destructors, and (in `_dl_fini`) every shared library's
/// destructors, libstdc++'s included, which also runs the `atexit` handlers a library
/// registered. What can still follow is a handler registered before ours without a library
/// handle (none that the C and C++ runtimes register), glibc's stdio flush (which
/// `__libc_freeres` does itself first) and the `exit_group` system call: the point where
/// valgrind frees the runtimes' buffers, as near as a preload library can get to it. (This
/// holds for the library loaded by `LD_PRELOAD`, the only way it is meant to be loaded.)
extern "C" fn exit_handler(status: c_int, _arg: *mut c_void) {
    let freed = if may_free_runtime_buffers() {
        crate::freeres::run()
    } else {
        0
    };
    let _g = crate::guard::Guard::enter();
    let frame = 0u64;
    crate::leak::at_exit(core::hint::black_box(&frame) as *const u64 as u64, true);
    finish(Some(status), freed);
}

/// True when the exit handler should free the runtimes' buffers: the tool asks for it, the
/// session records, this is the process that owns the log (a `vfork` child calling `exit`
/// shares its parent's memory), and this thread is not inside tracekit (the frees must be
/// recorded).
fn may_free_runtime_buffers() -> bool {
    if !is_on() || crate::guard::Guard::held() {
        return false;
    }
    let w = W.lock();
    w.freeres && w.log.is_open() && w.pid == sys::getpid()
}

/// For an `_exit` hook: records the exit, finishes the log, and ends the process. The
/// runtimes' buffers are left alone: `_exit` skips the exit handlers, and a forked child
/// that calls it shares nothing it should free.
pub fn exit_now(code: c_int) -> ! {
    let _g = crate::guard::Guard::enter();
    let frame = 0u64;
    crate::leak::at_exit(core::hint::black_box(&frame) as *const u64 as u64, false);
    finish(Some(code), 0);
    sys::exit_group(code)
}

/// Prepares for `exec(path, .., envp)`: writes `Exec` and leaves the log complete on disk.
/// Returns the environment to pass (with the log handed on when exec is followed; `env`
/// must live on the caller's stack until the `exec` call).
///
/// # Safety
/// `path` is null or a C string; `envp` is null or a NULL-terminated array of C strings.
pub unsafe fn before_exec(
    path: *const c_char,
    envp: *const *const c_char,
    env: &mut ExecEnv,
) -> *const *const c_char {
    if !is_on() {
        return envp;
    }
    let mut w = W.lock();
    if w.pid != sys::getpid() || !w.log.is_open() {
        // A vfork child (its parent's log is not its own), or nothing to write.
        return envp;
    }
    let p: &[u8] = if path.is_null() {
        b""
    } else {
        // SAFETY: the caller's contract.
        unsafe { std::ffi::CStr::from_ptr(path) }.to_bytes()
    };
    let time_ns = w.now();
    let pid = w.pid;
    w.write(&Event::Exec(Exec {
        time_ns,
        pid,
        path: Bytes::borrowed(p),
    }));
    let compress = w.compress;
    w.log.compact(compress);
    if !w.follow_exec {
        return envp;
    }
    let mut value = FixedBuf::<4200>::new();
    value.push_u64(pid.into());
    value.push_bytes(b":");
    value.push_bytes(w.path.as_bytes());
    // SAFETY: the caller's contract on envp.
    unsafe { env.with_var(envp, APPEND_VAR.as_bytes(), value.as_bytes()) }
}

/// The calling thread changed its name: writes a `Thread` record with the new one.
pub fn thread_renamed() {
    with(|w| {
        let known = crate::guard::cached_tid() != 0;
        let tid = w.tid();
        if known {
            let mut name = [0u8; 16];
            let n = sys::thread_name(&mut name);
            let time_ns = w.now();
            w.write(&Event::Thread(Thread {
                time_ns,
                tid,
                name: Bytes::borrowed(&name[..n]),
            }));
        }
    });
}

/// This thread's cached id, without writing anything (0 before its first event).
pub fn cached_tid() -> u32 {
    crate::guard::cached_tid()
}
