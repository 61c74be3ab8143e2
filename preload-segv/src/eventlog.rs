//! The crash as events in the common log (`TRACEKIT_LOG`), encoded into a fixed buffer and
//! appended with raw writes: a `Process` record (when the log is new), the loaded modules,
//! the thread, the backtrace as a `Stack` and the `Crash` itself.

use alloc::borrow::Cow;
use core::mem::ManuallyDrop;

use tracekit_log_core::{Arch, Bytes, Crash, Event, Module, Process, Segment, Stack, Thread};

use crate::config::{CPath, Config};
use crate::maps;
use crate::out::Small;
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
}

/// Expands the log path as every tracekit preload does (`crates/preload-rt`'s `logpath`):
/// `%p` the pid, `%e` the executable's file name, `%%` a `%`; NUL-terminated.
fn log_path(p: &CPath, pid: i32, exe: &[u8]) -> Small<4200> {
    use core::fmt::Write;
    let mut out = Small::<4200>::new();
    let exe_name = exe.rsplit(|&b| b == b'/').next().unwrap_or(exe);
    let pat = p.bytes();
    let mut i = 0;
    while i < pat.len() {
        let c = pat[i];
        if c == b'%' && i + 1 < pat.len() {
            let done = match pat[i + 1] {
                b'p' => write!(out, "{pid}").is_ok(),
                b'e' => out.push_bytes(exe_name),
                b'%' => out.write_str("%").is_ok(),
                _ => false,
            };
            if done {
                i += 2;
                continue;
            }
        }
        out.push_bytes(&pat[i..i + 1]);
        i += 1;
    }
    let _ = out.write_str("\0");
    out
}

/// Encodes `ev` into `buf` and appends it to `fd`. Takes the event by value and never drops
/// it: every event here borrows its data, and the drop code of the owned form (never used)
/// would import libc's `free`, one more symbol for the dynamic linker to bind in every
/// program that loads us.
fn put(fd: i32, buf: &mut [u8], ev: Event<'_>) {
    let ev = ManuallyDrop::new(ev);
    if let Ok(n) = tracekit_log_core::encode(&ev, buf) {
        sys::write_all(fd, &buf[..n]);
    }
}

/// Appends the crash to the log named by `cfg.log`, if any.
pub fn append(cfg: &Config, rec: &mut CrashRecord<'_>, buf: &mut [u8]) {
    let Some(path) = cfg.log.get() else {
        return;
    };
    let pid = rec.crash.pid as i32;
    let path = log_path(path, pid, rec.exe);
    let Ok(fd) = sys::open(
        path.as_bytes(),
        // 0600, and never through a symlink planted at the name (see issue 13's rules).
        libc::O_WRONLY | libc::O_CREAT | libc::O_APPEND | libc::O_CLOEXEC | libc::O_NOFOLLOW,
        0o600,
    ) else {
        return;
    };
    let now = sys::clock_ns(libc::CLOCK_MONOTONIC).saturating_sub(cfg.start_mono_ns);
    if sys::file_size(fd) == Ok(0) {
        if let Ok(n) = tracekit_log_core::write_header(buf) {
            sys::write_all(fd, &buf[..n]);
        }
        put(
            fd,
            buf,
            Event::Process(Process {
                pid: pid as u32,
                ppid: sys::getppid() as u32,
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
                build_id: Cow::Borrowed(&[]),
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
    sys::close(fd);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_pid() {
        let p = CPath::new(b"/tmp/x.%e.%p.log").unwrap();
        assert_eq!(
            log_path(&p, 42, b"/usr/bin/prog").as_bytes(),
            b"/tmp/x.prog.42.log\0"
        );
        let p = CPath::new(b"/tmp/100%%-%q").unwrap();
        assert_eq!(log_path(&p, 42, b"").as_bytes(), b"/tmp/100%-%q\0");
    }
}
