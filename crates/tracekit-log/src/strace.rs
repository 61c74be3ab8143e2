//! strace-rs's JSON output (`strace-rs --output-format=json`), schema `tracekit.strace/3`, and
//! the converter back to strace's text (`tracekit dump --strace-text`).
//!
//! The output is JSON lines: one [`TraceEvent`] per line, its kind in `"type"`. The first line
//! of each output stream (each file with `-ff`) is a [`Header`]. A system call is one
//! [`Syscall`] object, written when it returns (or when its thread dies or is replaced by an
//! `execve` before it returns); signals, exits and deaths are their own events.
//!
//! Times are nanoseconds since the trace started, strictly increasing over the stream: every
//! event (and every call's entry) gets a distinct time, in the order the tracer saw them, so
//! the converter puts a call's entry and return between the other events exactly where the
//! text output printed them (strace's `<unfinished ...>` and `<... read resumed>` lines).
//!
//! Each argument is kept twice: as strace prints it (`text`, the ground truth: the text output
//! is these joined with `", "`) and as a typed value parsed from that text ([`arg_value`]:
//! numbers, `null`, strings, arrays, objects for structures, `{"sym": [...]}` for constants
//! and flag sets, `{"fd": N, "path": P}` for `-y` descriptors, `{"text": T}` for what has no
//! other form).
//!
//! ```
//! use tracekit_log::strace::{arg_value, split_args};
//! let args = split_args(r#"AT_FDCWD, "/etc/passwd", O_RDONLY|O_CLOEXEC"#);
//! assert_eq!(args.len(), 3);
//! assert_eq!(args[1].value, serde_json::json!("/etc/passwd"));
//! assert_eq!(arg_value("O_RDONLY|O_CLOEXEC"), serde_json::json!({"sym": ["O_RDONLY", "O_CLOEXEC"]}));
//! ```
//!
//! The converter gives back the text strace-rs printed for the same run, byte for byte, when
//! that text went to a file (`-o FILE`, `-ff`) or to stderr (`-i` and `-Y` prefixes: the
//! header's flags and each event's [`LinePrefix`]).
//! (`-t`/`-tt`/`-ttt`/`-r` times: the header's [`Timestamps`] and `relative`; in a JSON run the
//! text's line times are the events' times, `start_unix_ns` plus the monotonic ns, so both
//! print the same.) (The `[pid N]` prefix of a line on stderr depends on how many threads were traced
//! at that moment: [`Tracees`] events record it; in a stream without them the converter counts
//! the threads it has seen. `strace-rs --json-output FILE` with the text on stderr also records
//! the tracer's messages written into it as [`Message`] events.) A call that was in progress
//! when the tracer detached is a [`Syscall`] with `detached` set, written at the detach: its
//! unfinished line ends with ` <detached ...>`.

use std::collections::HashSet;
use std::io::{self, Write};

use serde::{Deserialize, Serialize};
/// The typed values' type (serde_json's).
pub use serde_json::Value;
use serde_json::{json, Map};

/// The schema name and version in every [`Header`]. Version 2 added the [`Tracees`] and
/// [`Message`] events (a reader of version 1 rejects them). Version 3 added what `-i` and
/// `-Y` print before a line ([`Header::instruction_pointer`], [`Header::pid_comm`], the
/// events' `ip` and `comm`) and calls cut by a detach ([`Syscall::detached`]): a version 2
/// reader would ignore them and print other text. A version 1 or 2 stream reads as a
/// version 3 one without them.
pub const SCHEMA: &str = "tracekit.strace/3";

/// One line of the output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TraceEvent {
    /// First line of a stream: the options that shape the text.
    Header(Header),
    /// A system call.
    Syscall(Syscall),
    /// A signal delivered to a thread (`--- SIGCHLD {...} ---`).
    Signal(Signal),
    /// A thread entered a group stop (`--- stopped by SIGSTOP ---`).
    Stopped(Stopped),
    /// A thread exited (`+++ exited with 0 +++`).
    Exited(Exited),
    /// A thread was killed by a signal (`+++ killed by SIGSEGV +++`).
    Killed(Killed),
    /// A thread that called `execve` took over the pid of the group leader, which is gone
    /// (`+++ superseded by execve in pid N +++`).
    Superseded(Superseded),
    /// The thread switched between the x86_64 and i386 calling conventions.
    Personality(Personality),
    /// The `-c`/`-C` table, as strace prints it.
    Summary(Summary),
    /// The number of traced threads changed. Written on a shared stream without the pid
    /// column of `-f -o FILE`, where the text starts lines with `[pid N]` while more than one
    /// thread is traced.
    Tracees(Tracees),
    /// A message of the tracer (`strace-rs: Process N attached`) that went into the text,
    /// which was on stderr (`--json-output FILE` without `-o`).
    Message(Message),
}

/// The options of the run that change the text form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// [`SCHEMA`].
    pub schema: String,
    /// Wall-clock time when the trace started, ns since the Unix epoch.
    pub start_unix_ns: u64,
    /// `-a`: the column of `= ret`.
    pub columns: usize,
    /// Every line starts with the pid (`-f -o FILE`).
    pub pid_prefix_always: bool,
    /// Lines of several processes share this stream (not `-ff`).
    pub shared: bool,
    /// `-T`: the duration follows the return value.
    pub syscall_times: bool,
    /// `-n`: the call's number precedes its name.
    pub syscall_number: bool,
    /// `-e status=`/`-z`/`-Z`: a call's line is printed whole when it returns.
    pub whole_lines: bool,
    /// `-t`/`-tt`/`-ttt`: each line starts with its time, `start_unix_ns` plus the event's
    /// time (the text printed the same), in this format.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamps: Option<Timestamps>,
    /// `-r`: each line starts with the time since the previous line's start.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub relative: bool,
    /// `-i`: each line starts with the instruction pointer (`[00007f...] `) of the event's
    /// `ip` (`exit_ip` for a call's line started at its return), `[????????????????] ` when
    /// it has none (exits and deaths).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub instruction_pointer: bool,
    /// `-Y`: the pid before a line is followed by the event's `comm` (`exit_comm`) in angle
    /// brackets (`1234<sh>`), as strace escapes it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pid_comm: bool,
}

/// `-i`/`-Y`: what the text printed before an event's line besides the pid and time
/// (flattened into the event: its fields are the event's).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinePrefix {
    /// `-i`: the instruction pointer shown; absent: unknown (`?`s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<u64>,
    /// `-Y`: the thread's command name shown after its pid, escaped as printed; absent
    /// when it was not known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comm: Option<String>,
}

/// The format of the lines' times.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timestamps {
    /// Decimal digits after the second (0 to 9).
    pub digits: u8,
    /// Seconds since the epoch (`-ttt`), not the local time of day.
    pub unix: bool,
}

/// A line's time as strace prints it (with its trailing space): `HH:MM:SS[.frac] ` in local
/// time, or `SECS[.frac] ` since the epoch.
pub fn timestamp_text(unix_ns: u64, ts: Timestamps) -> String {
    let secs = (unix_ns / 1_000_000_000) as i64;
    let nanos = (unix_ns % 1_000_000_000) as u32;
    let digits = u32::from(ts.digits.min(9));
    let frac = match digits {
        0 => String::new(),
        d => format!(".{:0w$}", nanos / 10u32.pow(9 - d), w = d as usize),
    };
    if ts.unix {
        return format!("{secs}{frac} ");
    }
    // SAFETY: tm is plain data; localtime_r fills it from `t`.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    let t = secs as libc::time_t;
    // SAFETY: both pointers are to live locals.
    unsafe { libc::localtime_r(&t, &mut tm) };
    format!("{:02}:{:02}:{:02}{frac} ", tm.tm_hour, tm.tm_min, tm.tm_sec)
}

/// One argument: as printed, and typed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Arg {
    /// As strace prints it.
    pub text: String,
    /// Parsed from `text` ([`arg_value`]).
    pub value: Value,
}

/// A system call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Syscall {
    /// Process (thread group) id.
    pub pid: u32,
    /// Thread id: the pid strace prints.
    pub tid: u32,
    /// The thread id the call started under, when it differs from `tid`: an `execve` by a
    /// thread other than the group leader returns under the leader's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry_tid: Option<u32>,
    /// Number in the table of `arch`.
    pub nr: u64,
    /// `x86_64`, or `i386` for a call made with `int $0x80`.
    pub arch: String,
    /// Name.
    pub name: String,
    /// Arguments, decoded.
    pub args: Vec<Arg>,
    /// Bytes of the joined argument text printed when the call started; the rest was decoded
    /// when it returned.
    pub entry_len: usize,
    /// The thread died before the arguments decoded at return could be read.
    pub unfinished: bool,
    /// The value returned, -1 on error; null when the call never returned.
    pub ret: Option<i64>,
    /// The error's name (`ENOENT`), when the call failed.
    pub errno: Option<String>,
    /// The return as strace prints it after `= ` (without `-T`'s duration).
    pub ret_text: String,
    /// The call was skipped and its return value injected (`-e inject=`).
    pub injected: bool,
    /// Entry, ns since the trace started.
    pub entry_ns: u64,
    /// Return (or death), ns since the trace started.
    pub exit_ns: u64,
    /// Time in the call as the tracer measured it (`-T`).
    pub duration_ns: u64,
    /// `-k`: the stack at entry, one frame per line as printed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stack: Vec<String>,
    /// `-e read=`/`-e write=`: the hex dump lines.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub io: Vec<String>,
    /// `-i`/`-Y` at entry (the line's start).
    #[serde(flatten)]
    pub prefix: LinePrefix,
    /// `-i`: the instruction pointer of a line started at the return (`<... resumed>`),
    /// when it is not `ip` (a signal came in between).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_ip: Option<u64>,
    /// `-Y`: the command name of a line started at the return, when it is not `comm` (the
    /// call was an `execve`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_comm: Option<String>,
    /// The tracer detached while the call was in progress (`-p` and Ctrl-C, `-b execve`): it
    /// has no return (`ret` null); its unfinished line was ended with ` <detached ...>`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub detached: bool,
}

/// A signal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Signal {
    /// Thread id.
    pub tid: u32,
    /// ns since the trace started.
    pub ns: u64,
    /// Name (`SIGCHLD`).
    pub signal: String,
    /// The siginfo as strace prints it (`{si_signo=SIGCHLD, ...}`), null when unreadable.
    pub siginfo: Option<String>,
    /// The siginfo typed ([`arg_value`]).
    pub info: Value,
    /// `-k`: where it arrived.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stack: Vec<String>,
    /// `-i`/`-Y`.
    #[serde(flatten)]
    pub prefix: LinePrefix,
}

/// A group stop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stopped {
    /// Thread id.
    pub tid: u32,
    /// ns since the trace started.
    pub ns: u64,
    /// The stopping signal's name.
    pub signal: String,
    /// `-i`/`-Y`.
    #[serde(flatten)]
    pub prefix: LinePrefix,
}

/// A thread's exit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exited {
    /// Thread id.
    pub tid: u32,
    /// ns since the trace started.
    pub ns: u64,
    /// Exit status.
    pub code: i32,
    /// `-Y` (no `ip`: `-i` shows `?`s).
    #[serde(flatten)]
    pub prefix: LinePrefix,
}

/// A thread's death by a signal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Killed {
    /// Thread id.
    pub tid: u32,
    /// ns since the trace started.
    pub ns: u64,
    /// The signal's name.
    pub signal: String,
    /// A core was dumped.
    pub core_dumped: bool,
    /// `-Y` (no `ip`: `-i` shows `?`s).
    #[serde(flatten)]
    pub prefix: LinePrefix,
}

/// An `execve` by a non-leader thread.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Superseded {
    /// The pid the thread takes over (the group leader's).
    pub tid: u32,
    /// ns since the trace started.
    pub ns: u64,
    /// The thread id that called `execve`.
    pub by: u32,
    /// `-i`/`-Y`.
    #[serde(flatten)]
    pub prefix: LinePrefix,
}

/// A switch of calling convention.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Personality {
    /// Thread id.
    pub tid: u32,
    /// ns since the trace started.
    pub ns: u64,
    /// 32 or 64.
    pub bits: u32,
    /// `-i`/`-Y`.
    #[serde(flatten)]
    pub prefix: LinePrefix,
}

/// The summary table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// The table as strace prints it.
    pub text: String,
}

/// A change of the number of traced threads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tracees {
    /// ns since the trace started.
    pub ns: u64,
    /// Threads traced from now on.
    pub count: usize,
}

/// A message of the tracer on stderr.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// ns since the trace started.
    pub ns: u64,
    /// The message, without its newline.
    pub text: String,
}

impl TraceEvent {
    /// `(tid, ns, line)` of an event that strace prints as one line of its own (a stop, an
    /// exit, a death, an `execve` that superseded a thread, a personality switch).
    pub fn status_line(&self) -> Option<(u32, u64, String)> {
        Some(match self {
            TraceEvent::Stopped(s) => (s.tid, s.ns, format!("--- stopped by {} ---", s.signal)),
            TraceEvent::Exited(e) => (e.tid, e.ns, format!("+++ exited with {} +++", e.code)),
            TraceEvent::Killed(k) => {
                let core = if k.core_dumped { " (core dumped)" } else { "" };
                (k.tid, k.ns, format!("+++ killed by {}{core} +++", k.signal))
            }
            TraceEvent::Superseded(s) => (
                s.tid,
                s.ns,
                format!("+++ superseded by execve in pid {} +++", s.by),
            ),
            TraceEvent::Personality(p) => (
                p.tid,
                p.ns,
                format!("[ Process PID={} runs in {} bit mode. ]", p.tid, p.bits),
            ),
            _ => return None,
        })
    }

    /// What `-i`/`-Y` show before the event's line (a call's entry line).
    pub fn prefix(&self) -> Option<&LinePrefix> {
        Some(match self {
            TraceEvent::Syscall(e) => &e.prefix,
            TraceEvent::Signal(e) => &e.prefix,
            TraceEvent::Stopped(e) => &e.prefix,
            TraceEvent::Exited(e) => &e.prefix,
            TraceEvent::Killed(e) => &e.prefix,
            TraceEvent::Superseded(e) => &e.prefix,
            TraceEvent::Personality(e) => &e.prefix,
            _ => return None,
        })
    }
}

/// The JSON line (without its newline) for `ev`.
pub fn to_line(ev: &TraceEvent) -> String {
    serde_json::to_string(ev).expect("a TraceEvent always serializes")
}

/// Writes the JSON line of `ev` and its newline to `w`: the bytes of [`to_line`] and `\n`.
/// A [`Syscall`] (an event per system call the tracer sees) is written by hand, in one
/// `write_all`, through `buf` (cleared first, kept for the next call): serde's serializer
/// costs the tracer more than the text output costs it.
pub fn write_line(ev: &TraceEvent, buf: &mut Vec<u8>, mut w: impl Write) -> io::Result<()> {
    buf.clear();
    match ev {
        TraceEvent::Syscall(s) => write_syscall(s, Args::Parsed(&s.args), buf),
        other => serde_json::to_writer(&mut *buf, other)?,
    }
    buf.push(b'\n');
    w.write_all(buf)
}

/// [`write_line`] for the call `s` whose arguments are `args`, their joined text (`s.args`
/// is not used): the line of `s` with `args: split_args(args)`, written without building
/// the arguments' values. The line's start (type, pid, tid, nr, arch, name) is copied from
/// `heads` when a call of the same thread, number and name was written before.
pub fn write_call_line(
    s: &Syscall,
    args: &str,
    heads: &mut LineHeads,
    buf: &mut Vec<u8>,
    mut w: impl Write,
) -> io::Result<()> {
    buf.clear();
    heads.write_start(s, args, buf);
    write_rest(s, buf);
    buf.push(b'\n');
    w.write_all(buf)
}

/// The starts of call lines written before, for [`write_call_line`]: a tracer writes one
/// line per call, most of them calls a thread made before, whose start (type, pid, tid, nr,
/// arch, name) is the same bytes; the arguments too when their text is the same as the last
/// time (a loop's calls; `dd bs=1`'s, where they were ~1/3 of the writer's instructions).
#[derive(Debug, Default)]
pub struct LineHeads {
    /// Direct-mapped on the thread and the number.
    slots: Vec<LineHead>,
}

/// One start of [`LineHeads`] and what it was written from.
#[derive(Debug, Default)]
struct LineHead {
    pid: u32,
    tid: u32,
    nr: u64,
    arch: String,
    name: String,
    /// Empty: the slot is free.
    bytes: Vec<u8>,
    /// The text of the last arguments written after this start, and what they were
    /// written as.
    args_text: String,
    args_json: Vec<u8>,
    /// Misses still to come before arguments are kept again: after one that was kept, the
    /// next few are not (calls whose arguments change each time, `read`'s data, pay a
    /// comparison instead of two copies).
    skip: u8,
}

impl LineHeads {
    const SLOTS: usize = 128;

    /// Writes the start of `s`'s line and its arguments, `args`: copied from the slot of
    /// `s`'s kind when that has them, else written and kept there.
    fn write_start(&mut self, s: &Syscall, args: &str, out: &mut Vec<u8>) {
        let Some(h) = self.slot(s) else {
            write_head(s, out);
            write_args(Args::Text(args), out);
            return;
        };
        out.extend_from_slice(&h.bytes);
        if h.args_text == args {
            out.extend_from_slice(&h.args_json);
            h.skip = 0;
            return;
        }
        let start = out.len();
        write_args(Args::Text(args), out);
        if h.skip > 0 {
            h.skip -= 1;
            return;
        }
        h.skip = 8;
        h.args_text.clear();
        h.args_text.push_str(args);
        h.args_json.clear();
        h.args_json.extend_from_slice(&out[start..]);
    }

    /// The slot of `s`'s kind, its start written when it held another's; `None` for a
    /// call whose start is not kept.
    fn slot(&mut self, s: &Syscall) -> Option<&mut LineHead> {
        if s.entry_tid.is_some() {
            // Rare (an execve that changed the thread id): not kept.
            return None;
        }
        if self.slots.is_empty() {
            self.slots.resize_with(Self::SLOTS, LineHead::default);
        }
        let i = (s.nr ^ u64::from(s.tid).wrapping_mul(0x9e37_79b9)) as usize % Self::SLOTS;
        let h = &mut self.slots[i];
        let same = !h.bytes.is_empty()
            && h.tid == s.tid
            && h.nr == s.nr
            && h.pid == s.pid
            && h.name == s.name
            && h.arch == s.arch;
        if !same {
            (h.pid, h.tid, h.nr) = (s.pid, s.tid, s.nr);
            h.arch.clone_from(&s.arch);
            h.name.clone_from(&s.name);
            h.bytes.clear();
            write_head(s, &mut h.bytes);
            // Empty arguments are written as nothing: the cleared pair holds for them.
            h.args_text.clear();
            h.args_json.clear();
            h.skip = 0;
        }
        Some(h)
    }
}

/// A call's arguments: parsed, or their text.
enum Args<'a> {
    Parsed(&'a [Arg]),
    Text(&'a str),
}

/// Writes [`arg_value`]`(text)` as serde_json writes it, without building it.
pub fn write_arg_value(out: &mut Vec<u8>, text: &str) {
    // `text.trim()`: a text that starts and ends with ASCII other than white space (the
    // usual) has nothing to trim; Unicode's white space is not ASCII.
    let t = match (text.as_bytes().first(), text.as_bytes().last()) {
        (Some(a), Some(z))
            if a.is_ascii()
                && !a.is_ascii_whitespace()
                && z.is_ascii()
                && !z.is_ascii_whitespace() =>
        {
            text
        }
        _ => text.trim(),
    };
    let as_text = |out: &mut Vec<u8>| {
        out.extend_from_slice(b"{\"text\":");
        json_str(out, t);
        out.push(b'}');
    };
    if t == "NULL" {
        out.extend_from_slice(b"null");
        return;
    }
    match int_parts(t) {
        Some((false, v)) => return json_int(out, v),
        Some((true, v)) => {
            if let Ok(v) = i64::try_from(v) {
                return json_int(out, -v);
            }
        }
        None => {}
    }
    if t.starts_with('"') {
        let start = out.len();
        if let Some(rest) = write_string_literal(out, t) {
            match rest {
                "" => {}
                "..." => {
                    out.splice(start..start, b"{\"str\":".iter().copied());
                    out.extend_from_slice(b",\"truncated\":true}");
                }
                _ => {
                    out.truncate(start);
                    as_text(out);
                }
            }
            return;
        }
    }
    if let Some(inner) = t.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        out.push(b'[');
        for (i, e) in split_top(inner).enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_arg_value(out, e);
        }
        out.push(b']');
        return;
    }
    if let Some(inner) = t.strip_prefix('{').and_then(|r| r.strip_suffix('}')) {
        // A map sorted by key, the last of equal keys kept (serde_json's BTreeMap).
        let mut fields: Vec<(&str, Option<&str>)> = Vec::new();
        for field in split_top(inner) {
            match field.split_once('=') {
                Some((k, v)) if is_ident(k) => fields.push((k, Some(v))),
                _ if field == "..." => fields.push(("...", None)),
                _ => return as_text(out),
            }
        }
        fields.reverse();
        fields.sort_by_key(|f| f.0);
        fields.dedup_by_key(|f| f.0);
        out.push(b'{');
        for (i, (k, v)) in fields.into_iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            json_str(out, k);
            out.push(b':');
            match v {
                Some(v) => write_arg_value(out, v),
                None => out.extend_from_slice(b"true"),
            }
        }
        out.push(b'}');
        return;
    }
    if let Some((fd, rest)) = t.split_once('<') {
        if let (Ok(fd), Some(path)) = (fd.parse::<i64>(), rest.strip_suffix('>')) {
            out.extend_from_slice(b"{\"fd\":");
            json_int(out, fd);
            out.extend_from_slice(b",\"path\":");
            json_str(out, path);
            out.push(b'}');
            return;
        }
    }
    let sym =
        |p: &str| is_ident(p) || number(p).is_some() || p.starts_with("1<<") && is_ident(&p[3..]);
    if t.split('|').all(sym) && t.split('|').any(is_ident) {
        out.extend_from_slice(b"{\"sym\":[");
        for (i, p) in t.split('|').enumerate() {
            if i > 0 {
                out.push(b',');
            }
            json_str(out, p);
        }
        out.extend_from_slice(b"]}");
        return;
    }
    as_text(out)
}

/// A JSON string, escaped as serde_json escapes it.
fn json_str(out: &mut Vec<u8>, s: &str) {
    let b = s.as_bytes();
    out.reserve(b.len() + 2);
    out.push(b'"');
    if b.len() < 32 {
        // Short strings (names, numbers, most arguments): byte by byte, no copy calls.
        for &c in b {
            match c {
                b'"' | b'\\' => out.extend_from_slice(&[b'\\', c]),
                _ if c < 0x20 => json_ascii(out, c),
                _ => out.push(c),
            }
        }
        out.push(b'"');
        return;
    }
    // Long ones (paths, buffers): copied in runs between the bytes escaped; when there are
    // none, one pass that the compiler vectorizes and one copy.
    if !b.iter().any(|&c| needs_escape(c)) {
        out.extend_from_slice(b);
        out.push(b'"');
        return;
    }
    let mut start = 0;
    for (i, &c) in b.iter().enumerate() {
        if needs_escape(c) {
            out.extend_from_slice(&b[start..i]);
            json_ascii(out, c);
            start = i + 1;
        }
    }
    out.extend_from_slice(&b[start..]);
    out.push(b'"');
}

/// A byte serde_json escapes in a string.
fn needs_escape(c: u8) -> bool {
    c < 0x20 || c == b'"' || c == b'\\'
}

fn json_value(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::String(s) => json_str(out, s),
        Value::Number(n) if n.is_u64() => json_int(out, n.as_u64().unwrap_or_default()),
        Value::Number(n) if n.is_i64() => json_int(out, n.as_i64().unwrap_or_default()),
        other => {
            let _ = serde_json::to_writer(&mut *out, other);
        }
    }
}

/// An integer in decimal.
fn json_int<T: itoa::Integer + Copy + TryInto<u8>>(out: &mut Vec<u8>, v: T) {
    // One digit (descriptors, sizes, most return values): no formatting.
    if let Ok(d @ 0..=9) = v.try_into() {
        out.push(b'0' + d);
        return;
    }
    out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
}

fn write_syscall(s: &Syscall, args: Args<'_>, out: &mut Vec<u8>) {
    write_head(s, out);
    write_args(args, out);
    write_rest(s, out);
}

/// The start of a call's line: up to its arguments' `[`.
fn write_head(s: &Syscall, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"type\":\"syscall\",\"pid\":");
    json_int(out, s.pid);
    out.extend_from_slice(b",\"tid\":");
    json_int(out, s.tid);
    if let Some(t) = s.entry_tid {
        out.extend_from_slice(b",\"entry_tid\":");
        json_int(out, t);
    }
    out.extend_from_slice(b",\"nr\":");
    json_int(out, s.nr);
    match s.arch.as_str() {
        "x86_64" => out.extend_from_slice(b",\"arch\":\"x86_64\",\"name\":"),
        "i386" => out.extend_from_slice(b",\"arch\":\"i386\",\"name\":"),
        arch => {
            out.extend_from_slice(b",\"arch\":");
            json_str(out, arch);
            out.extend_from_slice(b",\"name\":");
        }
    }
    json_str(out, &s.name);
    out.extend_from_slice(b",\"args\":[");
}

/// A call's arguments, after [`write_head`] (without the `]`).
fn write_args(args: Args<'_>, out: &mut Vec<u8>) {
    let arg = |out: &mut Vec<u8>, i: usize, text: &str| {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"text\":");
        json_str(out, text);
        out.extend_from_slice(b",\"value\":");
    };
    match args {
        Args::Parsed(args) => {
            for (i, a) in args.iter().enumerate() {
                arg(out, i, &a.text);
                json_value(out, &a.value);
                out.push(b'}');
            }
        }
        Args::Text(text) => {
            for (i, t) in split_top(text).enumerate() {
                if plain_int(t) {
                    // Descriptors, sizes, counts: the text is the value's digits too, and
                    // neither needs escaping or parsing.
                    if i > 0 {
                        out.push(b',');
                    }
                    out.extend_from_slice(b"{\"text\":\"");
                    out.extend_from_slice(t.as_bytes());
                    out.extend_from_slice(b"\",\"value\":");
                    out.extend_from_slice(t.as_bytes());
                    out.push(b'}');
                    continue;
                }
                arg(out, i, t);
                write_arg_value(out, t);
                out.push(b'}');
            }
        }
    }
}

/// The rest of a call's line after [`write_args`].
fn write_rest(s: &Syscall, out: &mut Vec<u8>) {
    out.extend_from_slice(b"],\"entry_len\":");
    json_int(out, s.entry_len);
    // Keys and the constant values between them go in one piece each.
    out.extend_from_slice(if s.unfinished {
        b",\"unfinished\":true,\"ret\":"
    } else {
        b",\"unfinished\":false,\"ret\":"
    });
    match s.ret {
        Some(r) => json_int(out, r),
        None => out.extend_from_slice(b"null"),
    }
    match &s.errno {
        Some(e) => {
            out.extend_from_slice(b",\"errno\":");
            json_str(out, e);
            out.extend_from_slice(b",\"ret_text\":");
        }
        None => out.extend_from_slice(b",\"errno\":null,\"ret_text\":"),
    }
    json_str(out, &s.ret_text);
    out.extend_from_slice(if s.injected {
        b",\"injected\":true,\"entry_ns\":"
    } else {
        b",\"injected\":false,\"entry_ns\":"
    });
    json_int(out, s.entry_ns);
    out.extend_from_slice(b",\"exit_ns\":");
    json_int(out, s.exit_ns);
    out.extend_from_slice(b",\"duration_ns\":");
    json_int(out, s.duration_ns);
    for (key, lines) in [(&b",\"stack\":["[..], &s.stack), (b",\"io\":[", &s.io)] {
        if !lines.is_empty() {
            out.extend_from_slice(key);
            for (i, l) in lines.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                json_str(out, l);
            }
            out.push(b']');
        }
    }
    if let Some(ip) = s.prefix.ip {
        out.extend_from_slice(b",\"ip\":");
        json_int(out, ip);
    }
    if let Some(c) = &s.prefix.comm {
        out.extend_from_slice(b",\"comm\":");
        json_str(out, c);
    }
    if let Some(ip) = s.exit_ip {
        out.extend_from_slice(b",\"exit_ip\":");
        json_int(out, ip);
    }
    if let Some(c) = &s.exit_comm {
        out.extend_from_slice(b",\"exit_comm\":");
        json_str(out, c);
    }
    if s.detached {
        out.extend_from_slice(b",\"detached\":true");
    }
    out.push(b'}');
}

/// True when `t` is a decimal integer that [`arg_value`] makes the number written the same
/// way: digits without a leading zero (else octal), `-` before a nonzero one (not `-0`), at
/// most 18 digits (within `i64` and `u64`).
fn plain_int(t: &str) -> bool {
    let d = t.strip_prefix('-').unwrap_or(t).as_bytes();
    match d {
        [b'0'] => d.len() == t.len(),
        [b'1'..=b'9', rest @ ..] => rest.len() < 18 && rest.iter().all(u8::is_ascii_digit),
        _ => false,
    }
}

/// Splits a call's argument text at its top-level `", "`s (outside strings, brackets, braces
/// and parentheses); joining the texts with `", "` gives `text` back.
pub fn split_args(text: &str) -> Vec<Arg> {
    split_top(text)
        .map(|t| Arg {
            value: arg_value(t),
            text: t.to_owned(),
        })
        .collect()
}

/// The top-level `", "`-separated parts of `text` (none for an empty text), one at a time.
fn split_top(text: &str) -> SplitTop<'_> {
    SplitTop {
        text,
        start: 0,
        done: text.is_empty(),
    }
}

/// The iterator of [`split_top`].
struct SplitTop<'a> {
    text: &'a str,
    /// Where the next part starts.
    start: usize,
    done: bool,
}

impl<'a> Iterator for SplitTop<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        if self.done {
            return None;
        }
        let b = self.text.as_bytes();
        let (mut depth, mut in_str) = (0i32, false);
        let mut i = self.start;
        while i < b.len() {
            let c = b[i];
            if in_str {
                match c {
                    b'\\' => i += 1,
                    b'"' => in_str = false,
                    _ => {}
                }
            } else {
                match c {
                    b'"' => in_str = true,
                    b'[' | b'{' | b'(' => depth += 1,
                    b']' | b'}' | b')' => depth -= 1,
                    b',' if depth == 0 && b.get(i + 1) == Some(&b' ') => {
                        let part = &self.text[self.start..i];
                        self.start = i + 2;
                        return Some(part);
                    }
                    _ => {}
                }
            }
            i += 1;
        }
        self.done = true;
        Some(&self.text[self.start..])
    }
}

/// The typed value of one argument (or structure field, or array element) as strace prints
/// it; `{"text": T}` when it has no other form.
pub fn arg_value(text: &str) -> Value {
    let t = text.trim();
    if t == "NULL" {
        return Value::Null;
    }
    if let Some(n) = number(t) {
        return n;
    }
    if t.starts_with('"') {
        if let Some((s, rest)) = string_literal(t) {
            return match rest {
                "" => Value::String(s),
                "..." => json!({"str": s, "truncated": true}),
                _ => json!({"text": t}),
            };
        }
    }
    if let Some(inner) = t.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        return Value::Array(split_top(inner).map(arg_value).collect());
    }
    if let Some(inner) = t.strip_prefix('{').and_then(|r| r.strip_suffix('}')) {
        let mut m = Map::new();
        for field in split_top(inner) {
            match field.split_once('=') {
                Some((k, v)) if is_ident(k) => {
                    m.insert(k.to_owned(), arg_value(v));
                }
                _ if field == "..." => {
                    m.insert("...".to_owned(), Value::Bool(true));
                }
                _ => return json!({"text": t}),
            }
        }
        return Value::Object(m);
    }
    if let Some((fd, rest)) = t.split_once('<') {
        if let (Ok(fd), Some(path)) = (fd.parse::<i64>(), rest.strip_suffix('>')) {
            return json!({"fd": fd, "path": path});
        }
    }
    let parts: Vec<&str> = t.split('|').collect();
    if parts
        .iter()
        .all(|p| is_ident(p) || number(p).is_some() || p.starts_with("1<<") && is_ident(&p[3..]))
        && parts.iter().any(|p| is_ident(p))
    {
        return json!({"sym": parts});
    }
    json!({"text": t})
}

fn is_ident(s: &str) -> bool {
    let mut c = s.chars();
    c.next()
        .is_some_and(|f| f.is_ascii_alphabetic() || f == '_')
        && c.all(|x| x.is_ascii_alphanumeric() || x == '_')
}

fn number(t: &str) -> Option<Value> {
    Some(match int_parts(t)? {
        (true, v) => json!(-i64::try_from(v).ok()?),
        (false, v) => json!(v),
    })
}

/// An integer as strace prints it (decimal, `0x` hex, `0` octal, `-` before): whether it is
/// negative, and its magnitude.
fn int_parts(t: &str) -> Option<(bool, u64)> {
    match t.as_bytes() {
        [d @ b'0'..=b'9'] => return Some((false, u64::from(d - b'0'))),
        [c, ..] if !c.is_ascii_digit() && *c != b'-' => return None,
        _ => {}
    }
    let (neg, digits) = match t.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, t),
    };
    let v: u64 = if let Some(h) = digits.strip_prefix("0x") {
        u64::from_str_radix(h, 16).ok()?
    } else if digits.len() > 1 && digits.starts_with('0') {
        u64::from_str_radix(&digits[1..], 8).ok()?
    } else if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        digits.parse().ok()?
    } else {
        return None;
    };
    Some((neg, v))
}

/// The byte the C escape at `t[*i]` (the character after a backslash) stands for, as strace
/// writes them (`\n`, `\x1f`, up to three octal digits, or the character itself); `*i` is left
/// on the escape's last character. `None` for a `\x` without two hex digits.
fn c_escape(t: &str, i: &mut usize) -> Option<u8> {
    let b = t.as_bytes();
    Some(match b[*i] {
        b'n' => b'\n',
        b't' => b'\t',
        b'r' => b'\r',
        b'v' => 0x0b,
        b'f' => 0x0c,
        b'x' => {
            let v = u8::from_str_radix(t.get(*i + 1..*i + 3)?, 16).ok()?;
            *i += 2;
            v
        }
        b'0'..=b'7' => {
            let mut v = 0u32;
            let mut n = 0;
            while n < 3 && *i < b.len() && (b'0'..=b'7').contains(&b[*i]) {
                v = v * 8 + u32::from(b[*i] - b'0');
                *i += 1;
                n += 1;
            }
            *i -= 1;
            v as u8
        }
        other => other,
    })
}

/// A C string literal at the start of `t`, decoded (bytes that are not UTF-8 replaced), and
/// what follows it.
fn string_literal(t: &str) -> Option<(String, &str)> {
    let b = t.as_bytes();
    let mut out = Vec::new();
    let mut i = 1;
    while i < b.len() {
        match b[i] {
            b'"' => return Some((String::from_utf8_lossy(&out).into_owned(), &t[i + 1..])),
            b'\\' => {
                i += 1;
                b.get(i)?;
                out.push(c_escape(t, &mut i)?);
            }
            c => out.push(c),
        }
        i += 1;
    }
    None
}

/// Writes the C string literal at the start of `t` as a JSON string (what [`json_str`] writes
/// of [`string_literal`]'s string) and returns what follows it; `None` (nothing written)
/// when `t` does not start with a whole literal.
fn write_string_literal<'t>(out: &mut Vec<u8>, t: &'t str) -> Option<&'t str> {
    let start = out.len();
    out.push(b'"');
    let b = t.as_bytes();
    let mut i = 1;
    // Bytes of `t` itself are whole UTF-8 characters; a byte above 0x7f made by an escape
    // may not be: those strings take the general way (decoded, then made valid UTF-8).
    let general = |out: &mut Vec<u8>| {
        out.truncate(start);
        let (s, rest) = string_literal(t)?;
        json_str(out, &s);
        Some(rest)
    };
    loop {
        let Some(&c) = b.get(i) else {
            out.truncate(start);
            return None;
        };
        let c = match c {
            b'"' => {
                out.push(b'"');
                return Some(&t[i + 1..]);
            }
            b'\\' => {
                i += 1;
                match b.get(i).and_then(|_| c_escape(t, &mut i)) {
                    Some(v) => v,
                    None => {
                        out.truncate(start);
                        return None;
                    }
                }
            }
            c => {
                if c >= 0x80 {
                    // Part of a character of `t`: copied as it is.
                    out.push(c);
                    i += 1;
                    continue;
                }
                c
            }
        };
        if c >= 0x80 {
            return general(out);
        }
        json_ascii(out, c);
        i += 1;
    }
}

/// One ASCII byte in a JSON string, escaped as serde_json escapes it.
#[inline]
fn json_ascii(out: &mut Vec<u8>, c: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let e = match c {
        b'"' => b'"',
        b'\\' => b'\\',
        b'\n' => b'n',
        b'\r' => b'r',
        b'\t' => b't',
        0x08 => b'b',
        0x0c => b'f',
        0..=0x1f => {
            let u = [
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(c >> 4)],
                HEX[usize::from(c & 0xf)],
            ];
            out.extend_from_slice(&u);
            return;
        }
        _ => {
            out.push(c);
            return;
        }
    };
    out.extend_from_slice(&[b'\\', e]);
}

/// Reads JSON lines (blank lines skipped) into events; the error names the line.
pub fn read_events(r: impl io::BufRead) -> io::Result<Vec<TraceEvent>> {
    let mut v = Vec::new();
    for (n, line) in r.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let ev = serde_json::from_str(&line).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("line {}: not a {SCHEMA} event: {e}", n + 1),
            )
        })?;
        v.push(ev);
    }
    Ok(v)
}

/// Something printed at one instant.
enum Point<'e> {
    Entry(&'e Syscall),
    Exit(&'e Syscall),
    Line(u32, String, &'e [String], &'e LinePrefix),
    Raw(&'e str),
    Tracees(usize),
    Message(&'e str),
}

/// The line state of strace's output: the unfinished line and whose it is.
struct Text<'w> {
    w: &'w mut dyn Write,
    col: usize,
    owner: Option<u32>,
    columns: usize,
    pid_prefix_always: bool,
    shared: bool,
    live: HashSet<u32>,
    /// The traced threads' number when the stream records it ([`Tracees`]).
    tracees: Option<usize>,
    timestamps: Option<Timestamps>,
    start_unix_ns: u64,
    /// The time of the point being written.
    now: u64,
    relative: bool,
    /// The time of the last line's start (`-r`).
    last_line: Option<u64>,
    /// `-i`.
    instruction_pointer: bool,
    /// `-Y`.
    pid_comm: bool,
}

impl Text<'_> {
    fn put(&mut self, s: &str) -> io::Result<()> {
        self.col += s.chars().count();
        self.w.write_all(s.as_bytes())
    }

    fn leader(&mut self, tid: u32, ip: Option<u64>, comm: Option<&str>) -> io::Result<()> {
        if self.col != 0 {
            self.w.write_all(b" <unfinished ...>\n")?;
            self.col = 0;
        }
        self.owner = Some(tid);
        self.live.insert(tid);
        let label = match comm {
            Some(c) if self.pid_comm => format!("{tid}<{c}>"),
            _ => tid.to_string(),
        };
        if self.pid_prefix_always {
            self.put(&format!("{label:<5} "))
        } else if self.shared && self.tracees.unwrap_or(self.live.len()) > 1 {
            self.put(&format!("[pid {label:>5}] "))
        } else {
            Ok(())
        }?;
        if let Some(ts) = self.timestamps {
            self.put(&timestamp_text(self.start_unix_ns + self.now, ts))?;
        }
        if self.relative {
            let d = self.now - self.last_line.unwrap_or(self.now).min(self.now);
            self.last_line = Some(self.now);
            let d = std::time::Duration::from_nanos(d);
            self.put(&format!("{:6}.{:06} ", d.as_secs(), d.subsec_micros()))?;
        }
        if self.instruction_pointer {
            match ip {
                Some(ip) => self.put(&format!("[{ip:016x}] "))?,
                None => self.put("[????????????????] ")?,
            }
        }
        Ok(())
    }

    fn owner(&self) -> Option<u32> {
        (self.col != 0).then_some(self.owner).flatten()
    }

    fn end(&mut self) -> io::Result<()> {
        self.col = 0;
        self.owner = None;
        self.w.write_all(b"\n")
    }
}

/// Writes the text strace-rs printed for `events` (one stream: one file of `-ff`, or the
/// shared output).
pub fn write_text(events: &[TraceEvent], w: &mut dyn Write) -> io::Result<()> {
    let mut header = None;
    let mut points: Vec<(u64, Point<'_>)> = Vec::new();
    let mut summaries = Vec::new();
    for ev in events {
        match ev {
            TraceEvent::Header(h) => header = Some(h),
            TraceEvent::Syscall(s) => {
                points.push((s.entry_ns, Point::Entry(s)));
                points.push((s.exit_ns, Point::Exit(s)));
            }
            TraceEvent::Signal(s) => {
                let text = match &s.siginfo {
                    Some(i) => format!("--- {} {i} ---", s.signal),
                    None => format!("--- {} ---", s.signal),
                };
                points.push((s.ns, Point::Line(s.tid, text, &s.stack, &s.prefix)));
            }
            TraceEvent::Summary(s) => summaries.push(Point::Raw(&s.text)),
            TraceEvent::Tracees(n) => points.push((n.ns, Point::Tracees(n.count))),
            TraceEvent::Message(m) => points.push((m.ns, Point::Message(&m.text))),
            other => {
                if let (Some((tid, ns, text)), Some(prefix)) = (other.status_line(), other.prefix())
                {
                    points.push((ns, Point::Line(tid, text, &[], prefix)));
                }
            }
        }
    }
    let Some(h) = header else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("no {SCHEMA} header line"),
        ));
    };
    // A stable sort: an event's own points are in order even if two times were equal.
    points.sort_by_key(|(ns, _)| *ns);
    let mut t = Text {
        w,
        col: 0,
        owner: None,
        columns: h.columns,
        pid_prefix_always: h.pid_prefix_always,
        shared: h.shared,
        live: HashSet::new(),
        tracees: None,
        timestamps: h.timestamps,
        start_unix_ns: h.start_unix_ns,
        now: 0,
        relative: h.relative,
        last_line: None,
        instruction_pointer: h.instruction_pointer,
        pid_comm: h.pid_comm,
    };
    let exit_kinds = ["+++ exited", "+++ killed"];
    for (ns, p) in points
        .into_iter()
        .chain(summaries.into_iter().map(|p| (0, p)))
    {
        t.now = ns;
        match p {
            Point::Entry(s) => {
                if h.whole_lines {
                    continue;
                }
                t.leader(
                    s.entry_tid.unwrap_or(s.tid),
                    s.prefix.ip,
                    s.prefix.comm.as_deref(),
                )?;
                if h.syscall_number {
                    t.put(&format!("[{:>4}] ", s.nr))?;
                }
                let text = joined(s);
                t.put(&format!(
                    "{}({}",
                    s.name,
                    &text[..s.entry_len.min(text.len())]
                ))?;
            }
            Point::Exit(s) if s.detached => {
                // Only the end of a line the call's entry left unfinished.
                if !h.whole_lines && t.owner() == Some(s.entry_tid.unwrap_or(s.tid)) {
                    t.w.write_all(b" <detached ...>\n")?;
                    t.col = 0;
                    t.owner = None;
                }
            }
            Point::Exit(s) => {
                let text = joined(s);
                let ip = s.exit_ip.or(s.prefix.ip);
                let comm = s.exit_comm.as_deref().or(s.prefix.comm.as_deref());
                let rest = if h.whole_lines {
                    t.leader(s.tid, ip, comm)?;
                    t.put(&format!("{}(", s.name))?;
                    &text[..]
                } else {
                    if t.owner() != Some(s.tid) {
                        t.leader(s.tid, ip, comm)?;
                        t.put(&format!("<... {} resumed>", s.name))?;
                    }
                    &text[s.entry_len.min(text.len())..]
                };
                t.put(rest)?;
                if s.unfinished {
                    t.put(" <unfinished ...>")?;
                }
                t.put(") ")?;
                if t.col < t.columns {
                    t.put(&" ".repeat(t.columns - t.col))?;
                }
                t.put("= ")?;
                t.put(&s.ret_text)?;
                if h.syscall_times && s.ret.is_some() {
                    let d = std::time::Duration::from_nanos(s.duration_ns);
                    t.put(&format!(" <{}.{:06}>", d.as_secs(), d.subsec_micros()))?;
                }
                t.end()?;
                for line in s.io.iter().chain(&s.stack) {
                    t.w.write_all(line.as_bytes())?;
                    t.w.write_all(b"\n")?;
                }
            }
            Point::Line(tid, text, raw, prefix) => {
                t.leader(tid, prefix.ip, prefix.comm.as_deref())?;
                t.put(&text)?;
                t.end()?;
                for line in raw {
                    t.w.write_all(line.as_bytes())?;
                    t.w.write_all(b"\n")?;
                }
                if exit_kinds.iter().any(|k| text.starts_with(k)) {
                    t.live.remove(&tid);
                }
            }
            Point::Raw(text) => t.w.write_all(text.as_bytes())?,
            Point::Tracees(n) => t.tracees = Some(n),
            // Written straight to stderr, into an unfinished line: the column stays.
            Point::Message(text) => {
                t.w.write_all(text.as_bytes())?;
                t.w.write_all(b"\n")?;
            }
        }
    }
    Ok(())
}

fn joined(s: &Syscall) -> String {
    let texts: Vec<&str> = s.args.iter().map(|a| a.text.as_str()).collect();
    texts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_split_at_top_level_and_join_back() {
        let text = r#"3, "a, b\", [c]", [{x=1, y=2}, 0x10], f(1, 2), 0644"#;
        let args = split_args(text);
        let texts: Vec<&str> = args.iter().map(|a| a.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "3",
                r#""a, b\", [c]""#,
                "[{x=1, y=2}, 0x10]",
                "f(1, 2)",
                "0644"
            ]
        );
        assert_eq!(texts.join(", "), text);
        assert_eq!(args[1].value, json!("a, b\", [c]"));
        assert_eq!(args[2].value, json!([{"x": 1, "y": 2}, 16]));
        assert_eq!(args[3].value, json!({"text": "f(1, 2)"}));
        assert_eq!(args[4].value, json!(0o644));
    }

    #[test]
    fn typed_values_of_strace_notation() {
        assert_eq!(arg_value("NULL"), Value::Null);
        assert_eq!(arg_value("-1"), json!(-1));
        assert_eq!(arg_value("AT_FDCWD"), json!({"sym": ["AT_FDCWD"]}));
        assert_eq!(
            arg_value("PROT_READ|PROT_WRITE|0x100"),
            json!({"sym": ["PROT_READ", "PROT_WRITE", "0x100"]})
        );
        assert_eq!(
            arg_value("3</etc/passwd>"),
            json!({"fd": 3, "path": "/etc/passwd"})
        );
        assert_eq!(
            arg_value(r#""\177ELF\2\1"..."#),
            json!({"str": "\u{7f}ELF\u{2}\u{1}", "truncated": true})
        );
        assert_eq!(
            arg_value(r#""\n\t\r\v\f\x41\q\\\"\0012""#),
            json!("\n\t\r\u{b}\u{c}Aq\\\"\u{1}2")
        );
        assert_eq!(
            arg_value("{st_mode=S_IFREG|0644, st_size=5, ...}"),
            json!({"st_mode": {"sym": ["S_IFREG", "0644"]}, "st_size": 5, "...": true})
        );
        assert_eq!(
            arg_value("0x7ffd /* 20 vars */"),
            json!({"text": "0x7ffd /* 20 vars */"})
        );
        assert_eq!(arg_value(""), json!({"text": ""}));
    }

    fn call(
        tid: u32,
        name: &str,
        args: &str,
        entry_len: usize,
        ret: &str,
        ns: (u64, u64),
    ) -> TraceEvent {
        TraceEvent::Syscall(Syscall {
            pid: tid,
            tid,
            entry_tid: None,
            nr: 0,
            arch: "x86_64".into(),
            name: name.into(),
            args: split_args(args),
            entry_len,
            unfinished: false,
            ret: Some(0),
            errno: None,
            ret_text: ret.into(),
            injected: false,
            entry_ns: ns.0,
            exit_ns: ns.1,
            duration_ns: ns.1 - ns.0,
            stack: Vec::new(),
            io: Vec::new(),
            prefix: LinePrefix::default(),
            exit_ip: None,
            exit_comm: None,
            detached: false,
        })
    }

    #[test]
    fn interleaved_calls_print_unfinished_and_resumed_lines() {
        let header = TraceEvent::Header(Header {
            schema: SCHEMA.into(),
            start_unix_ns: 0,
            columns: 40,
            pid_prefix_always: true,
            shared: true,
            syscall_times: false,
            syscall_number: false,
            whole_lines: false,
            timestamps: None,
            relative: false,
            instruction_pointer: false,
            pid_comm: false,
        });
        // Written in return order, as the tracer does.
        let events = [
            header,
            call(2001, "getpid", "", 0, "2001", (2, 3)),
            call(100, "read", r#"3, "x", 1"#, 3, "1", (1, 4)),
            TraceEvent::Exited(Exited {
                tid: 100,
                ns: 5,
                code: 0,
                prefix: LinePrefix::default(),
            }),
        ];
        let mut out = Vec::new();
        write_text(&events, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "100   read(3,  <unfinished ...>\n\
             2001  getpid()                          = 2001\n\
             100   <... read resumed>\"x\", 1)         = 1\n\
             100   +++ exited with 0 +++\n"
        );
        // And through JSON lines.
        let text: Vec<String> = events.iter().map(to_line).collect();
        let text = text.join("\n");
        assert_eq!(read_events(text.as_bytes()).unwrap(), events);
    }

    #[test]
    fn stderr_prefixes_follow_the_recorded_thread_count_and_messages_go_into_lines() {
        let header = TraceEvent::Header(Header {
            schema: SCHEMA.into(),
            start_unix_ns: 0,
            columns: 40,
            pid_prefix_always: false,
            shared: true,
            syscall_times: false,
            syscall_number: false,
            whole_lines: false,
            timestamps: None,
            relative: false,
            instruction_pointer: false,
            pid_comm: false,
        });
        let tracees = |ns, count| TraceEvent::Tracees(Tracees { ns, count });
        // The message went to stderr straight, inside the unfinished line: the column of
        // `= 101` counts only what the tracer printed.
        let events = [
            header,
            tracees(1, 1),
            // The new thread is traced (and shown in the prefixes) before its first line.
            call(101, "gettid", "", 0, "101", (5, 6)),
            call(100, "clone3", "{flags=CLONE_VM}, 88", 16, "101", (2, 7)),
            tracees(3, 2),
            TraceEvent::Message(Message {
                ns: 4,
                text: "strace-rs: Process 101 attached".into(),
            }),
            // Gone without an exit line (-qq): one thread again.
            tracees(8, 1),
            call(100, "getpid", "", 0, "100", (9, 10)),
        ];
        let mut out = Vec::new();
        write_text(&events, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "clone3({flags=CLONE_VM}strace-rs: Process 101 attached\n \
             <unfinished ...>\n\
             [pid   101] gettid()                    = 101\n\
             [pid   100] <... clone3 resumed>, 88)   = 101\n\
             getpid()                                = 100\n"
        );
    }

    #[test]
    fn instruction_pointers_comms_and_detached_calls_print_as_the_text_did() {
        let header = TraceEvent::Header(Header {
            schema: SCHEMA.into(),
            start_unix_ns: 0,
            columns: 0,
            pid_prefix_always: true,
            shared: true,
            syscall_times: false,
            syscall_number: false,
            whole_lines: false,
            timestamps: None,
            relative: false,
            instruction_pointer: true,
            pid_comm: true,
        });
        let with = |ev: TraceEvent, ip: u64, comm: &str, exit: Option<(u64, &str)>| match ev {
            TraceEvent::Syscall(mut s) => {
                s.prefix = LinePrefix {
                    ip: Some(ip),
                    comm: Some(comm.into()),
                };
                if let Some((ip, comm)) = exit {
                    s.exit_ip = Some(ip);
                    s.exit_comm = Some(comm.into());
                }
                TraceEvent::Syscall(s)
            }
            other => other,
        };
        let mut cut = call(7, "read", "0, ", 3, "?", (6, 8));
        if let TraceEvent::Syscall(s) = &mut cut {
            s.detached = true;
            s.ret = None;
        }
        let events = [
            header,
            with(call(8, "getpid", "", 0, "8", (2, 3)), 0x10, "ls", None),
            // An execve whose line was cut: the resumed line shows the new name.
            with(
                call(7, "execve", "\"/bin/ls\"", 9, "0", (1, 4)),
                0x20,
                "sh",
                Some((0x30, "ls")),
            ),
            TraceEvent::Exited(Exited {
                tid: 8,
                ns: 5,
                code: 0,
                prefix: LinePrefix {
                    ip: None,
                    comm: Some("ls".into()),
                },
            }),
            with(cut, 0x40, "ls", None),
        ];
        let mut out = Vec::new();
        write_text(&events, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "7<sh> [0000000000000020] execve(\"/bin/ls\" <unfinished ...>\n\
             8<ls> [0000000000000010] getpid() = 8\n\
             7<ls> [0000000000000030] <... execve resumed>) = 0\n\
             8<ls> [????????????????] +++ exited with 0 +++\n\
             7<ls> [0000000000000040] read(0,  <detached ...>\n"
        );
        let text: Vec<String> = events.iter().map(to_line).collect();
        assert!(
            text[2].contains(r#""ip":32,"comm":"sh","exit_ip":48"#),
            "{}",
            text[2]
        );
        assert_eq!(read_events(text.join("\n").as_bytes()).unwrap(), events);
    }

    #[test]
    fn syscall_lines_written_by_hand_are_serdes_bytes() {
        let texts = [
            "",
            r#"3, "a\"b\\c\n\t\x01\x7f\xff", 4"#,
            "AT_FDCWD, \"/etc/\u{e9}t\u{e9}\", O_RDONLY|O_CLOEXEC",
            "{st_mode=S_IFREG|0644, st_size=10, ...}, [1, 2], NULL, -1, 0x7fff0000",
            "3</tmp/a b>, \"x\"..., 18446744073709551615, {text=\"\u{1}\"}, 1.5",
            "0, -0, 00, 07, 10, -1, -10, 123456789012345678, 1234567890123456789, \
             -123456789012345678, -1234567890123456789, 9223372036854775807, \
             -9223372036854775808, 12a, -, 1 ",
        ];
        let mut buf = Vec::new();
        for (i, text) in texts.iter().enumerate() {
            let mut ev = call(
                7,
                "read",
                text,
                text.len() / 2,
                "-1 ENOENT (No such \"file\")",
                (1, 2),
            );
            if let TraceEvent::Syscall(s) = &mut ev {
                if i % 2 == 1 {
                    s.entry_tid = Some(9);
                    s.ret = None;
                    s.errno = Some("ENOENT".into());
                    s.stack = vec![" > /lib/libc.so(read+0x10) [0x1]".into()];
                    s.io = vec![" | 00000  61 \u{7}".into()];
                    s.prefix = LinePrefix {
                        ip: Some(u64::MAX - 1),
                        comm: Some("a\\x\"".into()),
                    };
                    s.exit_ip = Some(3);
                    s.exit_comm = Some("ls".into());
                    s.detached = true;
                    s.unfinished = true;
                    s.injected = true;
                }
            }
            let mut out = Vec::new();
            write_line(&ev, &mut buf, &mut out).unwrap();
            assert_eq!(
                String::from_utf8(out).unwrap(),
                to_line(&ev) + "\n",
                "{text}"
            );
            let mut out = Vec::new();
            let mut heads = LineHeads::default();
            write_call_line(&ev_without_args(&ev), text, &mut heads, &mut buf, &mut out).unwrap();
            assert_eq!(
                String::from_utf8(out).unwrap(),
                to_line(&ev) + "\n",
                "{text}"
            );
        }
    }

    #[test]
    fn call_lines_from_kept_starts_are_serdes_bytes() {
        // Calls that share a start and calls that differ from a kept one in each of its
        // parts (and ones that land in the same slot), written through one LineHeads.
        let mut heads = LineHeads::default();
        let (mut buf, mut out, mut want) = (Vec::new(), Vec::new(), String::new());
        for round in 0..3 {
            for (pid, tid, nr, arch, name) in [
                (1, 1, 0, "x86_64", "read"),
                (1, 1, 1, "x86_64", "write"),
                (1, 1, 0, "x86_64", "read"),
                (1, 1, 0, "i386", "read"),
                (2, 1, 0, "x86_64", "read"),
                (1, 2, 0, "x86_64", "read"),
                (1, 1, 0, "x86_64", "syscall_0"),
                (1, 1, 128, "x86_64", "read"),
                (1, 1, 0x1_0000_0000, "x86_64", "read"),
                (7, 300, 59, "x86_64", "execve"),
            ] {
                let TraceEvent::Syscall(mut s) = call(tid, name, "3, \"x\"", 3, "1", (1, 2)) else {
                    unreachable!()
                };
                (s.pid, s.nr) = (pid, nr);
                s.arch = arch.into();
                if round == 2 && nr == 59 {
                    s.entry_tid = Some(301);
                }
                // The same arguments as the last call of the kind, other ones, none.
                let args = ["3, \"x\"", "3, \"x\"", "4, [1, 2]", "", "3, \"x\""]
                    [(round + nr as usize) % 5];
                s.args = split_args(args);
                want += &(to_line(&TraceEvent::Syscall(s.clone())) + "\n");
                write_call_line(
                    &ev_without_args(&TraceEvent::Syscall(s)),
                    args,
                    &mut heads,
                    &mut buf,
                    &mut out,
                )
                .unwrap();
            }
        }
        assert_eq!(String::from_utf8(out).unwrap(), want);
    }

    fn ev_without_args(ev: &TraceEvent) -> Syscall {
        match ev {
            TraceEvent::Syscall(s) => Syscall {
                args: Vec::new(),
                ..s.clone()
            },
            _ => unreachable!(),
        }
    }

    #[test]
    fn argument_values_written_without_building_them_are_serdes_bytes() {
        for t in [
            "NULL",
            " 0x1f ",
            "-5",
            "-0",
            "0777",
            "18446744073709551615",
            "-9223372036854775809",
            r#""a\"b\\c\n\t\x01\x7f\xff\u{e9}""#,
            r#""abc"..."#,
            r#""abc"x"#,
            "[]",
            "[1, [2, \"x\"], {a=1}]",
            "{}",
            "{b=1, a=2, ...}",
            "{a=1, a=2}",
            "{a=1, ..., ...}",
            "{a=1, b}",
            "{sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr(\"127.0.0.1\")}",
            "3</tmp/a b>",
            "3<x",
            "O_RDONLY|O_CLOEXEC",
            "1<<SHM_HUGE_SHIFT|0600",
            "0x1|0x2",
            "7 /* x */",
            "",
            "{st_mode=S_IFREG|0644, st_size=10, ...}",
            // Integers: the edges of each form.
            "00",
            "08",
            "-",
            "0x",
            "-0x10",
            "0x+1",
            "-9223372036854775808",
            "-9223372036854775807",
            "18446744073709551616",
            // String literals: escapes, truncation, and what is not one.
            r#""\0""#,
            r#""\0\1\37\177\10\14\v""#,
            r#""\0"..."#,
            r#""\777\0012""#,
            r#""\xc3\xa9""#,
            "\"\\xc3\u{e9}\"",
            "\"\u{e9}\\x80\"...",
            r#""\xg1""#,
            r#""\x4""#,
            r#""abc"#,
            r#""a\"#,
            "\"",
            r#""x"...y"#,
            r#""\q\"\\""#,
            "\"\\\u{e9}\"",
            "[\"a\"..., \"\\n\"]",
            // Long texts and strings (past the short strings' way), with and without escapes.
            r#""0123456789abcdef0123456789abcdef\n\"\\\1""#,
            r#""0123456789abcdef0123456789abcdef0123456789""..."#,
            "/0123456789abcdef0123456789abcdef\u{1}\"\\",
        ] {
            // Written after other bytes, as in a line: a way that gives up keeps them.
            let mut out = b"[1,".to_vec();
            write_arg_value(&mut out, t);
            assert_eq!(
                String::from_utf8(out).unwrap(),
                format!("[1,{}", serde_json::to_string(&arg_value(t)).unwrap()),
                "{t}"
            );
        }
    }

    #[test]
    fn a_stream_without_header_is_refused() {
        let err = write_text(&[], &mut Vec::new()).unwrap_err();
        assert!(err.to_string().contains("header"), "{err}");
        let err = read_events(&b"{\"type\":\"nope\"}\n"[..]).unwrap_err();
        assert!(err.to_string().starts_with("line 1: "), "{err}");
    }
}
