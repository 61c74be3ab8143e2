//! The text stream in ltrace's layout: `[pid N] time [ip] name(args) = ret <dt>`, lines cut by
//! another thread ending in `<unfinished ...>` and finished by `<... name resumed>`; and the
//! `-c` summary table.

use std::io::{self, Write};
use std::time::{Duration, SystemTime};

/// Which columns to print.
#[derive(Debug, Clone, Copy, Default)]
pub struct Layout {
    /// `[pid N] ` before each line (`-f`, several `-p`).
    pub pid: bool,
    /// `-t` (1), `-tt` (2), `-ttt` (3).
    pub time: u8,
    /// `-r`: the time since the previous line.
    pub relative: bool,
    /// `-i`: the return address of the call.
    pub ip: bool,
    /// `-T`: the time spent in the call.
    pub time_spent: bool,
    /// `-n N`: indent nested calls by N per level.
    pub indent: usize,
}

/// The column where ` = ` ends up (ltrace's default alignment).
const ALIGN: usize = 48;

/// Writes the trace.
pub struct Printer {
    out: Box<dyn Write>,
    layout: Layout,
    /// The thread whose line is left open (its call has not returned yet), and its column.
    open: Option<i32>,
    col: usize,
    last: Option<SystemTime>,
    dirty: bool,
    /// The time of the next lines when they happened earlier than they are printed (the
    /// in-process backend's events); now when `None`.
    clock: Option<SystemTime>,
}

impl std::fmt::Debug for Printer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Printer").field("open", &self.open).finish()
    }
}

fn local_hms(t: SystemTime) -> (u64, u64, u64, u32) {
    let d = t.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs() as libc::time_t;
    // SAFETY: `tm` is plain integers and a pointer that localtime_r fills in; all-zero is a
    // valid starting value.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: localtime_r reads `secs` and writes only `tm`, both ours.
    unsafe { libc::localtime_r(&secs, &mut tm) };
    (
        tm.tm_hour as u64,
        tm.tm_min as u64,
        tm.tm_sec as u64,
        d.subsec_micros(),
    )
}

impl Printer {
    /// A printer to `out`.
    pub fn new(out: Box<dyn Write>, layout: Layout) -> Printer {
        Printer {
            out,
            layout,
            open: None,
            col: 0,
            last: None,
            dirty: false,
            clock: None,
        }
    }

    /// The time the next lines show (`-t`, `-r`): `t`, or the current time when `None`.
    pub fn set_clock(&mut self, t: Option<SystemTime>) {
        self.clock = t;
    }

    /// Lines were written since the last flush.
    pub fn dirty(&self) -> bool {
        self.dirty
    }

    fn put(&mut self, s: &str) -> io::Result<()> {
        self.dirty = true;
        self.col += s.chars().count();
        self.out.write_all(s.as_bytes())
    }

    fn newline(&mut self) -> io::Result<()> {
        self.col = 0;
        self.out.write_all(b"\n")
    }

    /// Ends the open line: ` <unfinished ...>` when a call (of any thread) comes next,
    /// ` <no return ...>` when an event of its own thread does (a signal, an exec).
    fn interrupt(&mut self, tid: i32, by_call: bool) -> io::Result<()> {
        if let Some(t) = self.open.take() {
            if by_call || t != tid {
                self.put(" <unfinished ...>")?;
            } else {
                self.put(" <no return ...>")?;
            }
            self.newline()?;
        }
        Ok(())
    }

    fn begin(&mut self, tid: i32, depth: usize, ip: Option<u64>, by_call: bool) -> io::Result<()> {
        self.interrupt(tid, by_call)?;
        if self.layout.pid {
            self.put(&format!("[pid {tid}] "))?;
        }
        let now = self.clock.unwrap_or_else(SystemTime::now);
        if self.layout.relative {
            let dt = self
                .last
                .and_then(|l| now.duration_since(l).ok())
                .unwrap_or_default();
            self.put(&format!("{:3}.{:06} ", dt.as_secs(), dt.subsec_micros()))?;
        }
        self.last = Some(now);
        match self.layout.time {
            0 => {}
            1 => {
                let (h, m, s, _) = local_hms(now);
                self.put(&format!("{h:02}:{m:02}:{s:02} "))?;
            }
            2 => {
                let (h, m, s, us) = local_hms(now);
                self.put(&format!("{h:02}:{m:02}:{s:02}.{us:06} "))?;
            }
            _ => {
                let d = now
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .unwrap_or_default();
                self.put(&format!("{}.{:06} ", d.as_secs(), d.subsec_micros()))?;
            }
        }
        if self.layout.ip {
            if let Some(ip) = ip {
                self.put(&format!("[{ip:#x}] "))?;
            }
        }
        let pad = " ".repeat(self.layout.indent * depth);
        self.put(&pad)
    }

    /// A call's entry: `name(args` (the line stays open until its return or another line).
    pub fn entry(
        &mut self,
        tid: i32,
        depth: usize,
        ret_addr: u64,
        name: &str,
        args: &str,
    ) -> io::Result<()> {
        self.begin(tid, depth, Some(ret_addr), true)?;
        self.put(&format!("{name}({args}"))?;
        self.open = Some(tid);
        Ok(())
    }

    /// A call's return: `) = ret` on the open line, or a `<... name resumed>` line.
    #[allow(clippy::too_many_arguments)]
    pub fn ret(
        &mut self,
        tid: i32,
        depth: usize,
        ret_addr: u64,
        name: &str,
        late_args: &str,
        ret: &str,
        spent: Duration,
    ) -> io::Result<()> {
        if self.open != Some(tid) {
            self.begin(tid, depth, Some(ret_addr), true)?;
            self.put(&format!("<... {name} resumed> "))?;
        }
        self.open = None;
        self.put(late_args)?;
        self.put(")")?;
        if self.col < ALIGN {
            let pad = " ".repeat(ALIGN - self.col);
            self.put(&pad)?;
        }
        self.put(&format!(" = {ret}"))?;
        if self.layout.time_spent {
            self.put(&format!(
                " <{}.{:06}>",
                spent.as_secs(),
                spent.subsec_micros()
            ))?;
        }
        self.newline()
    }

    /// A call that never returns (`exec`): the open line ends with ` <no return ...>`.
    pub fn no_return(&mut self, tid: i32) -> io::Result<()> {
        if self.open == Some(tid) {
            self.interrupt(tid, false)?;
        }
        Ok(())
    }

    /// A whole line that is not a call: `--- SIGCHLD (Child exited) ---`, `+++ exited ... +++`.
    /// `ip` is where the thread is (`-i`; ltrace prints all ones for a process that ended).
    pub fn event(&mut self, tid: i32, ip: Option<u64>, text: &str) -> io::Result<()> {
        self.begin(tid, 0, ip, false)?;
        self.put(text)?;
        self.newline()
    }

    /// `-w`: the frames under a call's return line, then an empty line.
    pub fn backtrace(&mut self, frames: &[String]) -> io::Result<()> {
        for f in frames {
            self.put(f)?;
            self.newline()?;
        }
        self.newline()
    }

    /// Flushes the output.
    pub fn flush(&mut self) -> io::Result<()> {
        self.dirty = false;
        self.out.flush()
    }
}

/// Per-function totals for `-c` (the table `tracekit report` prints from a `--log` too).
pub use tracekit_syscall_summary::libcalls::Summary;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_aligned_and_interleaved_like_ltrace() {
        let path = std::env::temp_dir().join(format!("ltrace-rs-printer-{}", std::process::id()));
        let layout = Layout {
            pid: true,
            ..Layout::default()
        };
        let mut p = Printer::new(Box::new(std::fs::File::create(&path).unwrap()), layout);
        let z = Duration::ZERO;
        p.entry(7, 0, 0, "strlen", "\"two\"").unwrap();
        p.entry(8, 0, 0, "strlen", "\"three\"").unwrap();
        p.ret(7, 0, 0, "strlen", "", "3", z).unwrap();
        p.ret(8, 0, 0, "strlen", "", "5", z).unwrap();
        p.event(8, None, "+++ exited (status 0) +++").unwrap();
        drop(p);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(
            text,
            "[pid 7] strlen(\"two\" <unfinished ...>\n\
             [pid 8] strlen(\"three\" <unfinished ...>\n\
             [pid 7] <... strlen resumed> )                   = 3\n\
             [pid 8] <... strlen resumed> )                   = 5\n\
             [pid 8] +++ exited (status 0) +++\n"
        );
    }
}
