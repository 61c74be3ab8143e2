//! The trace output: line prefixes, column alignment and strace's `<unfinished ...>` rule.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use tracekit_ptrace::Pid;

use crate::config::{Config, Timestamps};

struct Out {
    w: BufWriter<Box<dyn Write>>,
    /// Characters on the current (unfinished) line.
    curcol: usize,
    /// Whose line is unfinished.
    owner: Option<Pid>,
    /// Flush at every line end (stderr, like strace's line buffering).
    line_flush: bool,
    /// The file's name (`-o`), for the message when writing to it fails.
    path: Option<String>,
}

/// Where lines go: one shared stream, or one file per process with `-ff`.
pub struct Printer {
    outs: Vec<Out>,
    acolumn: usize,
    timestamps: Timestamps,
    relative: bool,
    /// `--relative-timestamps=`'s digits after the second.
    relative_digits: u8,
    last_relative: Option<Instant>,
    /// `-r` in a JSON run: the last line's time (ns since the epoch).
    last_line_time: Option<u64>,
    instruction_pointer: bool,
    pid_prefix_always: bool,
    /// `-Y`: the prefix's pid followed by the command name.
    pid_comm: bool,
    separate: Option<String>,
    append: bool,
    /// The time (ns since the epoch) of the next line's timestamp, when the JSON events give
    /// it (then the converted JSON prints the same); otherwise the time now.
    line_time: Option<u64>,
    /// The JSON line being written ([`Printer::json_line`]), kept for the next.
    json_buf: Vec<u8>,
    /// The starts of the JSON call lines written ([`Printer::json_call_line`]).
    json_heads: tracekit_log::strace::LineHeads,
}

impl std::fmt::Debug for Printer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Printer")
            .field("outs", &self.outs.len())
            .finish()
    }
}

/// An instruction pointer that is not known (the process is gone): `-i` prints `?`s.
pub const UNKNOWN_IP: u64 = u64::MAX;

/// Index of an output stream.
pub type OutId = usize;

impl Printer {
    /// Opens the output `cfg` asks for (stderr, `-o FILE`; `-ff` files open per process).
    pub fn new(cfg: &Config) -> io::Result<Printer> {
        let mut p = Printer {
            outs: Vec::new(),
            acolumn: cfg.acolumn,
            timestamps: cfg.timestamps,
            relative: cfg.relative,
            relative_digits: cfg.relative_digits,
            last_relative: None,
            last_line_time: None,
            instruction_pointer: cfg.instruction_pointer,
            // strace's print_pid_pfx: several tracees at the start (`-p` ones and the
            // command) count as `-f` does.
            pid_prefix_always: cfg.output.is_some()
                && !cfg.output_separately
                && (cfg.follow_forks || initial_tracees(cfg) > 1),
            separate: None,
            pid_comm: cfg.decode.pid_comm,
            append: cfg.append,
            line_time: None,
            json_buf: Vec::new(),
            json_heads: Default::default(),
        };
        if cfg.output_separately {
            p.separate = cfg
                .output
                .as_ref()
                .map(|o| o.to_string_lossy().into_owned());
        }
        let (w, line_flush): (Box<dyn Write>, bool) = match &cfg.output {
            Some(path) if !cfg.output_separately => {
                let bytes = path.as_os_str().as_encoded_bytes();
                if let Some(cmd) = bytes
                    .strip_prefix(b"|")
                    .or_else(|| bytes.strip_prefix(b"!"))
                {
                    (Box::new(PipeOutput::start(cmd)?), false)
                } else {
                    (Box::new(open(path.as_os_str(), cfg.append)?), false)
                }
            }
            _ => (Box::new(io::stderr()), true),
        };
        let path = cfg
            .output
            .as_ref()
            .filter(|_| !cfg.output_separately)
            .map(|o| o.to_string_lossy().into_owned());
        p.outs.push(Out {
            w: BufWriter::with_capacity(64 << 10, w),
            curcol: 0,
            owner: None,
            line_flush,
            path,
        });
        Ok(p)
    }

    /// A printer writing the shared stream to `w` (tests, embedding).
    pub fn with_writer(cfg: &Config, w: Box<dyn Write>) -> Printer {
        let mut p = Printer::new(&Config {
            output: None,
            ..cfg.clone()
        })
        .expect("stderr printer");
        p.pid_prefix_always =
            cfg.output.is_some() && (cfg.follow_forks || initial_tracees(cfg) > 1);
        p.outs[0] = Out {
            w: BufWriter::new(w),
            curcol: 0,
            owner: None,
            line_flush: true,
            path: None,
        };
        p
    }

    /// The stream for a new process: the shared one, or `FILE.PID` with `-ff`.
    pub fn stream_for(&mut self, pid: Pid) -> io::Result<OutId> {
        let Some(base) = &self.separate else {
            return Ok(0);
        };
        let name = format!("{base}.{}", pid.0);
        let f = open(name.as_ref(), self.append)?;
        self.outs.push(Out {
            w: BufWriter::with_capacity(16 << 10, Box::new(f)),
            curcol: 0,
            owner: None,
            line_flush: false,
            path: Some(name),
        });
        Ok(self.outs.len() - 1)
    }

    /// True when every line starts with the pid (`-f -o FILE`).
    pub fn pid_prefix_always(&self) -> bool {
        self.pid_prefix_always
    }

    /// The time of the next line's timestamp (ns since the epoch).
    pub fn set_line_time(&mut self, unix_ns: u64) {
        self.line_time = Some(unix_ns);
    }

    /// True with `-ff`.
    pub fn separate(&self) -> bool {
        self.separate.is_some()
    }

    /// The process whose line on `out` is unfinished.
    pub fn owner(&self, out: OutId) -> Option<Pid> {
        let o = &self.outs[out];
        if o.curcol == 0 {
            None
        } else {
            o.owner
        }
    }

    /// Starts a line for `pid`: ends another process's unfinished line with
    /// `<unfinished ...>`, then prints the prefix.
    pub fn leader(&mut self, out: OutId, pid: Pid, nprocs: usize, ip: u64) {
        let ts = self.timestamps;
        let at = self.line_time.take();
        let relative = self.relative;
        let rel = if relative && at.is_some() {
            // From the events' times, as the converted JSON computes it.
            let at = at.unwrap_or_default();
            let prev = self.last_line_time.unwrap_or(at).min(at);
            self.last_line_time = Some(at);
            Some(std::time::Duration::from_nanos(at - prev))
        } else if relative {
            let now = Instant::now();
            let d = self
                .last_relative
                .map_or(std::time::Duration::ZERO, |l| now - l);
            self.last_relative = Some(now);
            Some(d)
        } else {
            None
        };
        let pid_prefix_always = self.pid_prefix_always;
        let pid_comm = self.pid_comm;
        let separate = self.separate.is_some();
        let want_ip = self.instruction_pointer;
        let o = &mut self.outs[out];
        if o.curcol != 0 {
            let _ = o.w.write_all(b" <unfinished ...>\n");
            o.curcol = 0;
        }
        o.owner = Some(pid);
        let mut s = String::new();
        if pid_prefix_always {
            s.push_str(&format!("{:<5} ", pid_text(pid, pid_comm)));
        } else if nprocs > 1 && !separate && !pid_prefix_always {
            s.push_str(&format!("[pid {:>5}] ", pid_text(pid, pid_comm)));
        }
        if ts != Timestamps::None {
            s.push_str(&timestamp(ts, at));
        }
        if let Some(d) = rel {
            s.push_str(&format!("{:6}", d.as_secs()));
            push_fraction(&mut s, d, self.relative_digits);
            s.push(' ');
        }
        if want_ip {
            if ip == UNKNOWN_IP {
                s.push_str("[????????????????] ");
            } else {
                s.push_str(&format!("[{ip:016x}] "));
            }
        }
        Self::put(o, &s);
    }

    fn put(o: &mut Out, s: &str) {
        let _ = o.w.write_all(s.as_bytes());
        o.curcol += s.chars().count();
    }

    /// Appends text to the current line.
    pub fn write(&mut self, out: OutId, s: &str) {
        Self::put(&mut self.outs[out], s);
    }

    /// Pads to the return-value column (strace's `tabto`).
    pub fn tabto(&mut self, out: OutId) {
        let o = &mut self.outs[out];
        if o.curcol < self.acolumn {
            let pad = " ".repeat(self.acolumn - o.curcol);
            Self::put(o, &pad);
        }
    }

    /// Ends the line.
    pub fn line_end(&mut self, out: OutId) {
        let o = &mut self.outs[out];
        let _ = o.w.write_all(b"\n");
        o.curcol = 0;
        o.owner = None;
        if o.line_flush {
            let _ = o.w.flush();
        }
    }

    /// Writes a whole raw line (hex dumps, stack frames) after the current one ended.
    pub fn raw_line(&mut self, out: OutId, s: &str) {
        let o = &mut self.outs[out];
        let _ = o.w.write_all(s.as_bytes());
        let _ = o.w.write_all(b"\n");
    }

    /// Writes a JSON event's line on `out` (after the current line ended).
    pub fn json_line(&mut self, out: OutId, ev: &tracekit_log::strace::TraceEvent) {
        let o = &mut self.outs[out];
        let _ = tracekit_log::strace::write_line(ev, &mut self.json_buf, &mut o.w);
    }

    /// Writes the JSON line of the call `ev` whose arguments are `args` (their joined text).
    pub fn json_call_line(&mut self, out: OutId, ev: &tracekit_log::strace::Syscall, args: &str) {
        let o = &mut self.outs[out];
        let _ = tracekit_log::strace::write_call_line(
            ev,
            args,
            &mut self.json_heads,
            &mut self.json_buf,
            &mut o.w,
        );
    }

    /// Ends an unfinished line of `pid` on `out` with `<detached ...>` (when detaching).
    pub fn detached(&mut self, out: OutId, pid: Pid) {
        let o = &mut self.outs[out];
        if o.curcol != 0 && o.owner == Some(pid) {
            let _ = o.w.write_all(b" <detached ...>\n");
            o.curcol = 0;
            o.owner = None;
        }
    }

    /// Writes the `-c` table (to the shared stream).
    pub fn summary(&mut self, f: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> io::Result<()> {
        let o = &mut self.outs[0];
        f(&mut o.w)?;
        o.w.flush()
    }

    /// Flushes every stream; a file that cannot be written is reported as strace does
    /// (`strace: /dev/full: No space left on device`).
    pub fn flush(&mut self) {
        for o in &mut self.outs {
            if let Err(e) = o.w.flush() {
                if let (Some(path), Some(errno)) = (&o.path, e.raw_os_error()) {
                    eprintln!(
                        "{}: {path}: {}",
                        crate::progname(),
                        crate::decode::strerror(errno)
                    );
                }
            }
        }
    }
}

/// `-o |COMMAND` (or `!COMMAND`): the trace written to `sh -c COMMAND`'s standard input;
/// on drop the pipe is closed and the command waited for, as strace does at exit.
struct PipeOutput {
    child: std::process::Child,
    stdin: Option<std::process::ChildStdin>,
}

impl PipeOutput {
    fn start(cmd: &[u8]) -> io::Result<PipeOutput> {
        use std::os::unix::ffi::OsStrExt;
        let mut child = std::process::Command::new("/bin/sh")
            .arg("-c")
            .arg(std::ffi::OsStr::from_bytes(cmd))
            .stdin(std::process::Stdio::piped())
            .spawn()
            .map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!("Can't popen '{}': {e}", String::from_utf8_lossy(cmd)),
                )
            })?;
        let stdin = child.stdin.take();
        Ok(PipeOutput { child, stdin })
    }
}

impl Write for PipeOutput {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.stdin {
            Some(w) => w.write(buf),
            None => Err(io::Error::from(io::ErrorKind::BrokenPipe)),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.stdin {
            Some(w) => w.flush(),
            None => Ok(()),
        }
    }
}

impl Drop for PipeOutput {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.wait();
    }
}

pub(crate) fn open(path: &std::ffi::OsStr, append: bool) -> io::Result<File> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true);
    tracekit_log::output_file_rules(&mut o, path);
    if append {
        o.append(true);
    } else {
        o.truncate(true);
    }
    o.open(path).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("Can't fopen '{}': {e}", path.to_string_lossy()),
        )
    })
}

/// A pid in a line's prefix (`1234`, with `-Y` `1234<comm>`).
fn pid_text(pid: Pid, comm: bool) -> String {
    let mut s = String::new();
    if comm {
        crate::text::tracee_pid_with_comm(&mut s, pid.0);
    } else {
        s = pid.0.to_string();
    }
    s
}

/// The line's time (`at`, or now) as `-t`/`-tt`/`-ttt` print it.
fn timestamp(ts: Timestamps, at: Option<u64>) -> String {
    let (digits, unix) = match ts {
        Timestamps::None => return String::new(),
        Timestamps::Time(d) => (d, false),
        Timestamps::Unix(d) => (d, true),
    };
    let ns = at.unwrap_or_else(|| {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64)
    });
    tracekit_log::strace::timestamp_text(ns, tracekit_log::strace::Timestamps { digits, unix })
}

/// The processes traced from the start: each `-p` and the command, if any.
fn initial_tracees(cfg: &Config) -> usize {
    cfg.attach.len() + usize::from(!cfg.command.is_empty())
}

/// `.` and the first `digits` digits of `d`'s fraction of a second (nothing for 0), as
/// strace's `-r`/`-T` precisions print it (truncated).
pub fn push_fraction(s: &mut String, d: std::time::Duration, digits: u8) {
    if digits > 0 {
        let scale = 10u32.pow(9 - u32::from(digits.min(9)));
        s.push_str(&format!(
            ".{:0w$}",
            d.subsec_nanos() / scale,
            w = usize::from(digits)
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl Write for Sink {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn unfinished_and_resumed_lines_like_strace() {
        let sink = Sink::default();
        let cfg = Config {
            output: Some("x".into()),
            follow_forks: true,
            ..Config::default()
        };
        let mut p = Printer::with_writer(&cfg, Box::new(sink.clone()));
        let (a, b) = (Pid(100), Pid(2001));
        p.leader(0, a, 2, 0);
        p.write(0, "read(3, ");
        // Another process prints: the first line is cut.
        p.leader(0, b, 2, 0);
        p.write(0, "getpid() ");
        p.tabto(0);
        p.write(0, "= 2001");
        p.line_end(0);
        // The first call returns: a new line that resumes it.
        assert_eq!(p.owner(0), None);
        p.leader(0, a, 2, 0);
        p.write(0, "<... read resumed>\"x\", 1) ");
        p.tabto(0);
        p.write(0, "= 1");
        p.line_end(0);
        p.flush();
        let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        assert_eq!(
            text,
            "100   read(3,  <unfinished ...>\n\
             2001  getpid()                          = 2001\n\
             100   <... read resumed>\"x\", 1)         = 1\n"
        );
    }

    #[test]
    fn pid_prefix_on_stderr_only_with_several_processes() {
        let sink = Sink::default();
        let mut p = Printer::with_writer(&Config::default(), Box::new(sink.clone()));
        p.leader(0, Pid(7), 1, 0);
        p.write(0, "exit_group(0) ");
        p.tabto(0);
        p.write(0, "= ?");
        p.line_end(0);
        p.leader(0, Pid(7), 2, 0);
        p.write(0, "+++ exited with 0 +++");
        p.line_end(0);
        let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        assert_eq!(
            text,
            "exit_group(0)                           = ?\n[pid     7] +++ exited with 0 +++\n"
        );
    }
}
