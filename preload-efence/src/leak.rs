//! The leak check under the fence allocator (`TRACEKIT_LEAK_CHECK=summary|full`, the heap
//! tracker's variable and meaning): at exit, after the program's destructors (this runs in
//! the library's `.fini_array`) and after the runtimes' buffers were freed, every live block
//! of the fence's own table ([`crate::fence::for_each_live`]: address, size, allocation stack
//! from the depot) is classified as valgrind memcheck does, by the heap tracker's scan
//! (`tracekit_preload_rt::leak::roots`, over `tracekit-leak-scan`): the same roots, the same
//! rules, so the two tools give the same figures for the same program.
//!
//! What is written: memcheck's LEAK SUMMARY on stderr, and with `TRACEKIT_LOG` the check as
//! the heap tracker writes it (`Process`, `Module`, `Stack` and `Leak` records), so
//! `tracekit report --leak-check=full LOG` prints the loss records with their stacks.
//!
//! Our memory is no root: with the check on, every mapping this library makes from the start
//! (the slots' reservation, the table, the depot) is listed (`preload-sys`'s `own`), and the
//! scan leaves it out, as it leaves out the heap tracker's.

use core::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::borrow::Cow;

use tracekit_crash::fault::NOTE_FRAMES;
use tracekit_log_core::{Arch, Bytes, Event, Leak, LeakLoss, Module, Process, Stack};
use tracekit_preload_core::{logpath, modules, record};
use tracekit_preload_rt::leak::live::{Live, LiveTable};
use tracekit_preload_rt::leak::{self as rt_leak, roots};
use tracekit_preload_rt::{env, sys};

static ON: AtomicBool = AtomicBool::new(false);
static CONFIGURED: AtomicBool = AtomicBool::new(false);
static DONE: AtomicBool = AtomicBool::new(false);
static HEURISTICS: AtomicU8 = AtomicU8::new(tracekit_leak_scan::Heuristics::ALL.0);

/// Reads `TRACEKIT_LEAK_CHECK` (and `TRACEKIT_LEAK_CHECK_HEURISTICS`) once: at load, or at
/// the first allocation when that comes first. Call it before the allocator maps anything, so
/// that every mapping of ours is listed as no root.
pub fn configure() {
    if CONFIGURED.swap(true, Ordering::AcqRel) {
        return;
    }
    let (on, heuristics) = rt_leak::env_options();
    HEURISTICS.store(heuristics, Ordering::Relaxed);
    if on {
        sys::own::track();
    }
    ON.store(on, Ordering::Relaxed);
}

/// The figures of one kind: bytes and blocks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Count {
    /// Bytes.
    pub bytes: u64,
    /// Blocks.
    pub blocks: u64,
}

/// memcheck's LEAK SUMMARY, indexed by `tracekit_leak_scan::Kind` (reachable, possible,
/// indirect, definite).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary(pub [Count; 4]);

impl Summary {
    /// Adds a loss record.
    pub fn add(&mut self, l: &LeakLoss) {
        if let Some(c) = self.0.get_mut(usize::from(l.kind)) {
            c.bytes += l.bytes;
            c.blocks += l.blocks;
        }
    }

    /// Writes it as memcheck does, each line prefixed by `==PID==`.
    pub fn write(&self, pid: u32, out: &mut impl core::fmt::Write) -> core::fmt::Result {
        let [reachable, possible, indirect, definite] = self.0;
        let line = |out: &mut dyn core::fmt::Write, label: &str, c: Count| {
            writeln!(
                out,
                "=={pid}=={label:>19}: {} bytes in {} blocks",
                c.bytes, c.blocks
            )
        };
        writeln!(out, "=={pid}== LEAK SUMMARY:")?;
        line(out, "definitely lost", definite)?;
        line(out, "indirectly lost", indirect)?;
        line(out, "possibly lost", possible)?;
        line(out, "still reachable", reachable)
    }
}

/// Losses per `Leak` record (as the heap tracker writes them).
const LOSSES_PER_RECORD: usize = 128;
/// Room for one record.
const RECORD_CAP: usize = 64 * 1024;

/// Runs the check once, when it is on (call at exit; `frame` is an address in the frame of
/// our outermost function on this thread's stack: the stack is scanned from there up).
pub fn at_exit(frame: u64) {
    if !ON.load(Ordering::Relaxed) || DONE.swap(true, Ordering::AcqRel) {
        return;
    }
    if crate::fence::sampling() {
        // Most blocks are glibc's, which no table of ours lists: the figures would be wrong.
        crate::options::say(format_args!(
            "leak check: not made with TRACEKIT_EFENCE_SAMPLE (most blocks are glibc's); use the heap tracker"
        ));
        return;
    }
    // The log first: `__libc_freeres` below frees the environment's array.
    let pid = sys::getpid();
    let mut log = Log::open(pid);
    // libstdc++'s pool and glibc's buffers, freed as valgrind frees them (and as the heap
    // tracker does): they are the runtimes', not the program's.
    modules::for_each(b"", 0, &mut |m: &Module<'_>| {
        tracekit_preload_rt::freeres::note_module_path(m.path.as_bytes());
    });
    tracekit_preload_rt::freeres::run();

    let mut table = LiveTable::new();
    crate::fence::for_each_live(|ptr, size, stack| {
        table.insert(Live {
            ptr,
            size,
            stack: u64::from(stack),
        })
    });
    if table.is_broken() {
        crate::options::say(format_args!(
            "leak check: no memory for the block table: no check"
        ));
        return;
    }
    let mut summary = Summary::default();
    let mut batch = [LeakLoss::default(); LOSSES_PER_RECORD];
    let mut n = 0;
    let heuristics = HEURISTICS.load(Ordering::Relaxed);
    // Called from `_dl_fini` (a destructor), not from the heap tracker's exit handler: the
    // stack is read from `frame` up.
    let ok = roots::check(
        &mut table,
        frame,
        false,
        tracekit_leak_scan::Heuristics(heuristics),
        true,
        |loss| {
            summary.add(&loss);
            if let Some(log) = &mut log {
                log.stack(loss.stack as u32);
            }
            batch[n] = loss;
            n += 1;
            if n == batch.len() {
                if let Some(log) = &mut log {
                    log.leak(pid, heuristics, &batch[..n]);
                }
                n = 0;
            }
        },
    );
    if !ok {
        crate::options::say(format_args!("leak check: no memory for the scan: no check"));
        return;
    }
    if let Some(log) = &mut log {
        // The last (or only, maybe empty) record: a check with no live block says so too.
        log.leak(pid, heuristics, &batch[..n]);
    }
    let mut text = tracekit_preload_rt::fmt::FixedBuf::<512>::new();
    let _ = summary.write(pid, &mut text);
    let _ = sys::write_all(tracekit_preload_rt::stderr::fd(), text.as_bytes());
}

/// The event log (`TRACEKIT_LOG`), appended to with plain writes, as the crash handler does.
struct Log {
    fd: i32,
    buf: *mut u8,
}

impl Log {
    /// Opens the log named by `TRACEKIT_LOG` (`%p`, `%e` expanded) and writes this process's
    /// `Process` and `Module` records; None without a log, and in secure execution.
    fn open(pid: u32) -> Option<Log> {
        // In a secure-execution program the environment is the unprivileged caller's: no
        // path is taken from it (the summary still goes to stderr).
        if env::secure_execution() {
            return None;
        }
        let path = env::var("TRACEKIT_LOG").filter(|p| !p.is_empty())?;
        let mut exe = [0u8; 4096];
        let exe_len = sys::readlink(b"/proc/self/exe\0", &mut exe).unwrap_or(0);
        let exe = &exe[..exe_len];
        let mut expanded = logpath::PathBuf::new();
        logpath::expand(path, pid, exe, &mut expanded);
        let fd = sys::open(
            expanded.as_c_str()?,
            // 0600, and never through a symlink planted at the name (issue 13's rules).
            libc::O_WRONLY | libc::O_CREAT | libc::O_APPEND | libc::O_CLOEXEC | libc::O_NOFOLLOW,
            0o600,
        )
        .ok()?;
        let buf = sys::map_anon(RECORD_CAP).ok()?;
        let mut log = Log { fd, buf };
        let mut cmdline = [0u8; 4096];
        let cmd_len = sys::read_file(b"/proc/self/cmdline\0", &mut cmdline).unwrap_or(0);
        let now = sys::mono_ns();
        // A new log gets its header; an existing one (a crash's, another process's) gets this
        // process's records after its own.
        record::start_if_empty(fd, log.buf());
        log.put(Event::Process(Process {
            pid,
            ppid: sys::getppid(),
            start_unix_ns: sys::realtime_ns(),
            start_mono_ns: now,
            exe: Bytes::borrowed(exe),
            cmdline: Bytes::borrowed(&cmdline[..cmd_len]),
            tool: Bytes::borrowed(b"efence"),
            arch: Arch::X86_64,
            clock_res_ns: 1,
        }));
        modules::for_each(exe, 0, &mut |m: &Module<'_>| {
            log.put(Event::Module(m.clone()))
        });
        Some(log)
    }

    fn buf(&mut self) -> &mut [u8] {
        // SAFETY: `buf` maps RECORD_CAP bytes that this log alone uses, until it is dropped.
        unsafe { core::slice::from_raw_parts_mut(self.buf, RECORD_CAP) }
    }

    fn put(&mut self, ev: Event<'_>) {
        let fd = self.fd;
        // A record that cannot be written is lost alone; the summary on stderr has the figures.
        let _ = record::append(fd, self.buf(), ev);
    }

    /// The depot's stack `id` as a `Stack` record (a stack shared by several loss records is
    /// written with each: the reader keeps one).
    fn stack(&mut self, id: u32) {
        let mut frames = [0u64; NOTE_FRAMES];
        let n = crate::fence::stack_frames(id, &mut frames);
        if n > 0 {
            self.put(Event::Stack(Stack {
                id: u64::from(id),
                frames: Cow::Borrowed(&frames[..n]),
            }));
        }
    }

    fn leak(&mut self, pid: u32, heuristics: u8, losses: &[LeakLoss]) {
        self.put(Event::Leak(Leak {
            time_ns: 0,
            pid,
            layout: Leak::LAYOUT,
            heuristics,
            losses: Cow::Borrowed(losses),
            check: 0,
            cause: Leak::AT_EXIT,
        }));
    }
}

impl Drop for Log {
    fn drop(&mut self) {
        sys::close(self.fd);
        // SAFETY: mapped in `open`, no longer used.
        unsafe { sys::unmap(self.buf, RECORD_CAP) };
    }
}
