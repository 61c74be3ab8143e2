//! The crash as events in the common log (`TRACEKIT_LOG`), encoded into a fixed buffer and
//! appended with raw writes: a `Process` record (when the log is new), the loaded modules,
//! the thread, the backtrace as a `Stack` and the `Crash` itself.

use alloc::borrow::Cow;
use core::mem::ManuallyDrop;

use tracekit_log_core::{
    Arch, Bytes, Crash, Event, Fence, Module, Process, Segment, Stack, Thread,
};

use tracekit_preload_core::{logpath, modules, record};

use crate::config::Config;
use crate::fault::BlockNote;
use crate::maps;
use crate::sys;

/// Room for one record.
pub const RECORD_CAP: usize = 96 * 1024;

/// The facts about the crash that go into the log.
#[derive(Debug)]
pub struct CrashRecord<'a> {
    /// The crash event (its `stack` is set here). Never dropped: it only borrows, and its
    /// drop code would bring an import of libc's `free` (see `put`).
    pub crash: ManuallyDrop<Crash<'a>>,
    /// Backtrace addresses, innermost first.
    pub frames: &'a [u64],
    /// `/proc/self/maps` text.
    pub maps: &'a [u8],
    /// `/proc/self/cmdline`.
    pub cmdline: &'a [u8],
    /// `/proc/self/exe`.
    pub exe: &'a [u8],
    /// What the fence allocator said about the fault (a `Fence` event follows the crash).
    pub note: Option<&'a BlockNote>,
}

/// Appends `ev` to the log: [`record::append`], which never drops the event (its owned
/// form's drop code would import libc's `free`). A record that cannot be written is lost
/// alone; the crash report on stderr has it all.
fn put(fd: i32, buf: &mut [u8], ev: Event<'_>) {
    let _ = record::append(fd, buf, ev);
}

/// Appends the crash to the log named by `cfg.log`, if any.
pub fn append(cfg: &Config, rec: &mut CrashRecord<'_>, buf: &mut [u8]) {
    let Some(path) = cfg.log.get() else {
        return;
    };
    let pid = rec.crash.pid;
    // Expanded as every tracekit preload library does (`%p`, `%e`, `%%`).
    let mut expanded = logpath::PathBuf::new();
    logpath::expand(path.bytes(), pid, rec.exe, &mut expanded);
    let Some(path) = expanded.as_c_str() else {
        return;
    };
    let Ok(fd) = sys::open(
        path,
        // 0600, and never through a symlink planted at the name (see issue 13's rules).
        libc::O_WRONLY | libc::O_CREAT | libc::O_APPEND | libc::O_CLOEXEC | libc::O_NOFOLLOW,
        0o600,
    ) else {
        return;
    };
    let now = sys::clock_ns(libc::CLOCK_MONOTONIC).saturating_sub(cfg.start_mono_ns);
    if record::start_if_empty(fd, buf) {
        put(
            fd,
            buf,
            Event::Process(Process {
                pid,
                ppid: sys::getppid(),
                start_unix_ns: cfg.start_unix_ns,
                start_mono_ns: cfg.start_mono_ns,
                exe: Bytes::borrowed(rec.exe),
                cmdline: Bytes::borrowed(rec.cmdline),
                tool: Bytes::borrowed(b"segv"),
                arch: Arch::X86_64,
                // Its times are CLOCK_MONOTONIC's, whose resolution (`clock_getres`) is 1 ns
                // on Linux.
                clock_res_ns: 1,
            }),
        );
    }
    let mut segs = [Segment::default(); 16];
    for m in maps::modules(rec.maps) {
        // The build-id, read from the module's header in memory (no `dl_iterate_phdr` in a
        // signal handler: it takes the loader's lock): what tells `tracekit report` that a
        // binary was rebuilt since the crash, as for a heap log.
        let mut build_id = [0u8; modules::MAX_BUILD_ID];
        let build_id_len = modules::build_id_in_memory(m.base, &mut build_id);
        let mut n = 0;
        for x in maps::parse(rec.maps)
            .filter(|x| x.path == m.path && x.start >= m.start && x.end <= m.end)
        {
            if n == segs.len() {
                break;
            }
            let flags = (x.perms[0] == b'r') as u32 * 4
                + (x.perms[1] == b'w') as u32 * 2
                + (x.perms[2] == b'x') as u32;
            segs[n] = Segment {
                vaddr: x.start.wrapping_sub(m.base),
                memsz: x.end.wrapping_sub(x.start),
                file_offset: x.offset,
                flags,
            };
            n += 1;
        }
        put(
            fd,
            buf,
            Event::Module(Module {
                time_ns: now,
                base: m.base,
                path: Bytes::borrowed(m.path),
                build_id: Cow::Borrowed(&build_id[..build_id_len]),
                segments: Cow::Borrowed(&segs[..n]),
            }),
        );
    }
    put(
        fd,
        buf,
        Event::Thread(Thread {
            time_ns: now,
            tid: rec.crash.tid,
            name: Bytes::borrowed(rec.crash.thread_name.as_bytes()),
        }),
    );
    // An id no other tool writing to the same log will use.
    let stack_id = (1u64 << 62) | rec.crash.tid as u64;
    if !rec.frames.is_empty() {
        put(
            fd,
            buf,
            Event::Stack(Stack {
                id: stack_id,
                frames: Cow::Borrowed(rec.frames),
            }),
        );
        rec.crash.stack = stack_id;
    }
    rec.crash.time_ns = now;
    // Borrowed, not cloned: cloning a `Cow` is code that can allocate.
    let c: &Crash<'_> = &rec.crash;
    let crash = Crash {
        thread_name: Bytes::borrowed(c.thread_name.as_bytes()),
        regs: Cow::Borrowed(&c.regs),
        report: Bytes::borrowed(c.report.as_bytes()),
        ..*c
    };
    put(fd, buf, Event::Crash(crash));
    if let Some(n) = rec.note {
        // The block's stacks, with ids no other writer of the log uses.
        let stack = |fd: i32, buf: &mut [u8], which: u64, frames: &[u64]| {
            if frames.is_empty() {
                return 0;
            }
            let id = (1u64 << 62) | (which << 40) | u64::from(rec.crash.tid);
            let frames = Cow::Borrowed(frames);
            put(fd, buf, Event::Stack(Stack { id, frames }));
            id
        };
        let alloc_stack = stack(fd, buf, 1, n.alloc_stack());
        let free_stack = stack(fd, buf, 2, n.free_stack());
        let fence = Fence {
            time_ns: now,
            tid: rec.crash.tid,
            kind: n.kind,
            addr: n.addr,
            block: n.block,
            block_size: n.size,
            alloc_stack,
            free_stack,
            access_stack: rec.crash.stack,
        };
        put(fd, buf, Event::Fence(fence));
    }
    sys::close(fd);
}
