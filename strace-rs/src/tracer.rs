//! The trace loop: starts or attaches to tracees, waits for their stops and prints them.

use std::ffi::CString;
use std::fmt::Write as _;
use std::io::{self, BufWriter, Write as _};
use std::os::unix::ffi::OsStrExt;

use rustc_hash::FxHashMap;
use tracekit_log::strace as js;
use tracekit_ptrace::{self as pt, Event, Options, Pid, Resume, Stop, SyscallInfo};

use crate::config::{Config, InjectReturn, InjectRule, Poke, SummaryBy, SummaryMode};
use crate::decode::{self, Abi, Ctx, Decoder, Rval, Step};
use crate::output::{OutId, Printer};
use crate::signals;
use crate::summary::Summary;
use crate::sysent;

/// How the traced command ended (what strace-rs exits with).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Exit status (0 when only attached processes were traced).
    Exited(i32),
    /// Killed by this signal.
    Signaled(i32),
}

#[derive(Debug, Default)]
struct Tcb {
    out: OutId,
    /// Before the started command's execve: print nothing (strace's TCB_HIDE_LOG).
    hide: bool,
    /// The current call is the started command's first execve.
    check_exec: bool,
    /// Nothing needs the current call's exit (filtered, not counted, not tampered with):
    /// its exit stop is let through without reading the call's state (strace skips
    /// get_regs for filtered calls).
    skip_exit: bool,
    in_syscall: bool,
    nr: u64,
    args: [u64; 6],
    ip: u64,
    sp: u64,
    /// The entry's time ([`crate::sys::monotonic_ns`]), when something reads it.
    entry: Option<u64>,
    entry_stime_us: u64,
    /// The entry was shown (trace set, not hidden, not -c).
    printed: bool,
    /// Counted for -c.
    counted: bool,
    /// Text kept for --log or -e status=.
    keep_text: bool,
    step: Option<Step>,
    stash: u64,
    /// More state from entry to exit (recvmmsg's msg_namelens, perf_event_open's attributes).
    stash_bytes: Vec<u8>,
    rfmt: Rval,
    entry_text: String,
    /// What an injection did to the current call.
    tamper: Tamper,
    /// Per system call: the `when=` counters (first, last) of the rule that applies.
    inject_counts: FxHashMap<u64, (u16, u16)>,
    /// A signal to deliver when the tracee is resumed from this stop (`signal=`).
    pending_signal: i32,
    stack: Vec<String>,
    /// Set after a seccomp stop: the next syscall stop is this call's exit.
    seccomp_entry: bool,
    /// The current call uses the i386 convention (`int $0x80`, 32-bit tracee).
    compat: bool,
    /// Thread-group id, looked up once for the event log (0: not yet).
    tgid: u32,
    /// Personality last announced with "[ Process PID=N runs in ... mode. ]".
    announced_compat: bool,
    /// `--output-format=json`: the entry's time on the events' clock.
    entry_ns: u64,
    /// The started command before its first execve: `-b execve` does not detach there.
    skip_detach_on_exec: bool,
    /// The thread id the current call started under (another than the key after an
    /// `execve` by a non-leader thread).
    entry_tid: u32,
    /// `--summary-by=fd|path`: the table the current call counts in, found at entry (a
    /// descriptor's path is gone once `close` returns).
    group: Option<Group>,
    /// The current call's instruction pointer at entry (`ip` moves to a signal's with `-i`).
    entry_ip: u64,
    /// JSON with `-Y`: the command name the current call's entry line shows.
    entry_comm: Option<String>,
}

/// What an injection did or still does to the current call (strace's TCB_TAMPERED* flags).
#[derive(Debug, Default)]
struct Tamper {
    /// `error=`/`retval=` to set at exit.
    ret: Option<InjectReturn>,
    /// The call's number was replaced (by -1 or `syscall=`'s).
    scno_set: bool,
    /// `syscall=` ran instead: the call must succeed (else it must fail with ENOSYS).
    nofail: bool,
    /// Memory was poked (`poke_enter=`, `poke_exit=`).
    poked: bool,
    /// `poke_exit=` to do at exit.
    poke_exit: bool,
    /// `delay_exit=` to do at exit.
    delay_exit: Option<std::time::Duration>,
    /// Delayed at entry or exit.
    delayed: bool,
}

impl Tamper {
    /// Nothing was or is to be done to the call.
    fn is_none(&self) -> bool {
        self.ret.is_none()
            && !self.poke_exit
            && self.delay_exit.is_none()
            && !self.poked
            && !self.delayed
    }
}

/// One `--summary-by` table: a thread or process id, a descriptor, a path, or the calls
/// without any.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Group {
    Id(u32),
    Fd(i32),
    Path(Vec<u8>),
    Nothing,
}

struct SyscallMeta {
    name: String,
    decoder: Option<Decoder>,
    /// The ABI its decoder reads the arguments in.
    abi: Abi,
    nargs: usize,
    rfmt: Rval,
    maps_change: bool,
}

/// The `--log` file.
type LogWriter = tracekit_log::FileWriter<BufWriter<std::fs::File>>;

/// Writes the `--log` event of the call thread `tid` made (`t`, after its exit or its
/// death): `ret` is None when it never returned, `text` the line as printed.
fn log_syscall(
    log: &mut LogWriter,
    log_start: u64,
    tid: Pid,
    t: &Tcb,
    name: &str,
    ret: Option<i64>,
    text: &str,
) {
    let entry_ns = t.entry.map_or(0, |e| e.saturating_sub(log_start));
    let _ = log.write(&tracekit_log::Event::Syscall(tracekit_log::Syscall {
        pid: t.tgid,
        tid: tid.0 as u32,
        entry_ns,
        exit_ns: crate::sys::monotonic_ns().saturating_sub(log_start),
        nr: t.nr,
        name: tracekit_log::Bytes(name.as_bytes().into()),
        args: t.args,
        ret,
        text: tracekit_log::Bytes(text.as_bytes().into()),
    }));
}

/// The syscall tables: x86_64, and i386 for the calls made with `int $0x80`.
struct MetaTables {
    native: Vec<SyscallMeta>,
    compat: Vec<SyscallMeta>,
}

impl MetaTables {
    /// The entry for `nr` in the i386 table (`compat`) or the x86_64 one; numbers past
    /// the end get the table's last entry.
    fn get(&self, nr: u64, compat: bool) -> &SyscallMeta {
        let t = if compat { &self.compat } else { &self.native };
        &t[(nr as usize).min(t.len() - 1)]
    }

    /// The x86_64 name of `nr` (`syscall_0x1ff` past the table).
    fn name(&self, nr: u64) -> String {
        self.native
            .get(nr as usize)
            .map_or_else(|| sysent::name(nr), |m| m.name.clone())
    }
}

/// The tracer.
pub struct Tracer<'c> {
    cfg: &'c Config,
    printer: Printer,
    /// The traced threads. Looked up several times at every stop: FxHash, not SipHash (a
    /// tracee cannot choose its pid to collide, and SipHash was ~1/3 of the tracer's
    /// instructions per call under `-c`).
    tcbs: FxHashMap<Pid, Tcb>,
    summary: Summary,
    meta: MetaTables,
    log: Option<LogWriter>,
    /// When the trace started ([`crate::sys::monotonic_ns`]): the `--log` events' times.
    log_start: u64,
    started: Option<Pid>,
    outcome: Option<Outcome>,
    seccomp: bool,
    opts: Options,
    stacks: Option<crate::stack::Stacks>,
    /// -c with system time needs the tracees' rusage from wait4.
    need_rusage: bool,
    /// Waits for the stops, polling briefly first (`--wait-spin`).
    waiter: pt::Waiter,
    /// `--output-format=json`: events instead of lines.
    json: Option<crate::json::Clock>,
    /// `--json-output FILE`: where the JSON events go while the text is printed too.
    json_file: Option<BufWriter<std::fs::File>>,
    /// The JSON line being written to `json_file`, kept for the next.
    json_buf: Vec<u8>,
    /// The starts of the call lines written to `json_file`.
    json_heads: js::LineHeads,
    /// The event of the last call written to the JSON, kept so that the next reuses its
    /// strings' buffers.
    call_ev: Option<Box<js::Syscall>>,
    /// The joined argument text of that call, kept for the same reason.
    call_args: String,
    /// A buffer for the text a call's decoder writes, kept from call to call.
    decode_buf: String,
    /// A buffer for a call's return text, kept from call to call.
    ret_buf: String,
    /// Lines of text are printed (not with `--output-format=json`).
    text: bool,
    /// The JSON records the number of traced threads (`[pid N]` prefixes on a shared
    /// stream without the pid column), and the last number it recorded.
    count_tracees: bool,
    tracees_noted: usize,
    /// The JSON records the tracer's messages (`--json-output` with the text on stderr).
    json_messages: bool,
    /// `--summary-by`: a summary per thread, process, descriptor or path.
    summaries: std::collections::BTreeMap<Group, Summary>,
}

impl std::fmt::Debug for Tracer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tracer")
            .field("tcbs", &self.tcbs.len())
            .finish()
    }
}

fn meta_table() -> Vec<SyscallMeta> {
    let n = sysent::max_nr().max(512);
    (0..n as u64)
        .map(|nr| {
            let name = sysent::name(nr);
            let ent = sysent::get(nr);
            SyscallMeta {
                decoder: decode::decoder(&name),
                abi: Abi::X86_64,
                nargs: ent.map_or(6, |e| e.nargs as usize),
                rfmt: decode::default_rval(&name),
                maps_change: matches!(nr, 9 | 10 | 11 | 12 | 25 | 59 | 322 | 329),
                name,
            }
        })
        .collect()
}

/// The thread-group id of `tid` (for the event log's pid field).
fn tgid_of(tid: Pid) -> u32 {
    std::fs::read_to_string(format!("/proc/{}/status", tid.0))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Tgid:"))
                .and_then(|v| v.trim().parse().ok())
        })
        .unwrap_or(tid.0 as u32)
}

fn meta_table32() -> Vec<SyscallMeta> {
    (0..crate::sysent32::TABLE_LEN as u64)
        .map(|nr| {
            let name = crate::sysent32::name(nr);
            SyscallMeta {
                decoder: crate::sysent32::decoder(&name),
                abi: crate::sysent32::abi(&name),
                nargs: crate::sysent32::nargs(nr),
                rfmt: crate::sysent32::rval(&name),
                maps_change: false,
                name,
            }
        })
        .collect()
}

fn resolve_path(cmd: &std::ffi::OsStr) -> Result<std::path::PathBuf, String> {
    let p = std::path::Path::new(cmd);
    // strace's startup_child: a name longer than PATH_MAX - 1 fails before any lookup.
    if cmd.len() > libc::PATH_MAX as usize - 1 {
        return Err(format!(
            "exec: {}",
            crate::decode::strerror(libc::ENAMETOOLONG)
        ));
    }
    if cmd.as_bytes().contains(&b'/') {
        return match std::fs::metadata(p) {
            Ok(_) => Ok(p.to_path_buf()),
            Err(e) => Err(format!(
                "Can't stat '{}': {}",
                p.display(),
                crate::decode::strerror(e.raw_os_error().unwrap_or(0))
            )),
        };
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        let dir = if dir.as_os_str().is_empty() {
            std::env::current_dir().unwrap_or_default()
        } else {
            dir
        };
        let cand = dir.join(p);
        if let Ok(m) = std::fs::metadata(&cand) {
            use std::os::unix::fs::PermissionsExt;
            if m.is_file() && m.permissions().mode() & 0o111 != 0 {
                return Ok(cand);
            }
        }
    }
    Err(format!(
        "Can't stat '{}': No such file or directory",
        p.display()
    ))
}

impl<'c> Tracer<'c> {
    /// Prepares outputs for `cfg`.
    pub fn new(cfg: &'c Config) -> io::Result<Tracer<'c>> {
        let log = match &cfg.log {
            Some(p) => {
                let mut o = std::fs::OpenOptions::new();
                o.write(true).create(true).truncate(true);
                tracekit_log::output_file_rules(&mut o, p.as_os_str());
                let f = o.open(p).map_err(|e| {
                    io::Error::new(e.kind(), format!("Can't open log '{}': {e}", p.display()))
                })?;
                Some(tracekit_log::FileWriter::new(
                    BufWriter::new(f),
                    tracekit_log::Codec::Zstd,
                )?)
            }
            None => None,
        };
        let seccomp = cfg.seccomp
            && cfg.follow_forks
            && !cfg.command.is_empty()
            && cfg.attach.is_empty()
            && cfg.trace_filtered;
        let opts = Options {
            sysgood: true,
            follow_forks: cfg.follow_forks,
            exec: true,
            exit: true,
            vfork_done: false,
            seccomp,
            exit_kill: cfg.kill_on_exit,
        };
        let mut printer = Printer::new(cfg)?;
        let json = (cfg.json || cfg.json_output.is_some()).then(crate::json::Clock::new);
        let mut json_file = match &cfg.json_output {
            Some(path) => Some(BufWriter::with_capacity(
                64 << 10,
                crate::output::open(path.as_os_str(), false)?,
            )),
            None => None,
        };
        if let Some(clock) = &json {
            let header = clock.header(cfg, printer.pid_prefix_always());
            if let Some(f) = &mut json_file {
                writeln!(f, "{header}")?;
            } else if !printer.separate() {
                printer.raw_line(0, &header);
            }
        }
        let count_tracees = json.is_some() && !printer.separate() && !printer.pid_prefix_always();
        Ok(Tracer {
            cfg,
            printer,
            tcbs: FxHashMap::default(),
            summary: if cfg
                .summary_columns
                .iter()
                .any(|c| matches!(c, crate::summary::Column::Percentile(_)))
            {
                Summary::with_percentiles()
            } else {
                Summary::new()
            },
            meta: MetaTables {
                native: meta_table(),
                compat: meta_table32(),
            },
            log,
            log_start: crate::sys::monotonic_ns(),
            started: None,
            outcome: None,
            seccomp,
            opts,
            stacks: cfg.stack_trace.then(crate::stack::Stacks::new),
            need_rusage: cfg.summary != SummaryMode::None && !cfg.wallclock,
            waiter: pt::Waiter::new(cfg.wait_spin)
                .interruptible(|| crate::sys::interrupted().is_some()),
            count_tracees,
            tracees_noted: 0,
            json_messages: json_file.is_some() && cfg.output.is_none(),
            json,
            json_file,
            json_buf: Vec::new(),
            json_heads: Default::default(),
            call_ev: None,
            call_args: String::new(),
            decode_buf: String::new(),
            ret_buf: String::new(),
            text: !cfg.json,
            summaries: Default::default(),
        })
    }

    /// Writes the JSON event of the call `ev` on `out`, its arguments from their joined
    /// `text` (what [`Tracer::emit`] writes for `ev` with `args: split_args(text)`, without
    /// building their values: there is one per call).
    fn emit_call(&mut self, out: OutId, ev: &js::Syscall, text: &str) {
        if let (true, Some(clock)) = (self.text, &self.json) {
            self.printer.set_line_time(clock.unix(ev.exit_ns));
        }
        match &mut self.json_file {
            Some(f) => {
                let _ = js::write_call_line(ev, text, &mut self.json_heads, &mut self.json_buf, f);
            }
            None => self.printer.json_call_line(out, ev, text),
        }
    }

    /// Writes a JSON event on `out`.
    fn emit(&mut self, out: OutId, ev: &js::TraceEvent) {
        // The text line of this event (a call's return, a signal, an exit) printed next
        // gets the event's time, so that the converted JSON prints the same timestamp.
        let line_ns = match ev {
            js::TraceEvent::Syscall(s) => Some(s.exit_ns),
            js::TraceEvent::Tracees(_) | js::TraceEvent::Message(_) => None,
            other => other.status_line().map(|(_, ns, _)| ns).or(match other {
                js::TraceEvent::Signal(s) => Some(s.ns),
                _ => None,
            }),
        };
        if let (true, Some(ns), Some(clock)) = (self.text, line_ns, &self.json) {
            self.printer.set_line_time(clock.unix(ns));
        }
        match &mut self.json_file {
            Some(f) => {
                let _ = js::write_line(ev, &mut self.json_buf, f);
            }
            None => self.printer.json_line(out, ev),
        }
    }

    /// A message of the tracer on stderr (into an unfinished line, as strace's).
    fn message(&mut self, text: &str) {
        self.printer.flush();
        eprintln!("{}: {text}", crate::progname());
        if self.json_messages {
            if let Some(clock) = &mut self.json {
                let ev = js::TraceEvent::Message(js::Message {
                    ns: clock.now(),
                    text: format!("{}: {text}", crate::progname()),
                });
                self.emit(0, &ev);
            }
        }
    }

    /// Records in the JSON a change of the number of traced threads (see `count_tracees`).
    fn note_tracees(&mut self) {
        let n = self.tcbs.len();
        // None left: no line follows (the `-c` table has no prefix).
        if !self.count_tracees || n == self.tracees_noted || n == 0 {
            return;
        }
        self.tracees_noted = n;
        if let Some(clock) = &mut self.json {
            let ev = js::TraceEvent::Tracees(js::Tracees {
                ns: clock.now(),
                count: n,
            });
            self.emit(0, &ev);
        }
    }

    fn new_tcb(&mut self, pid: Pid, hide: bool) -> io::Result<()> {
        if self.cfg.decode.pid_comm {
            // Its name now: `+++ exited` after it is gone still shows it.
            crate::text::remember_comm(pid.0);
        }
        let out = self.printer.stream_for(pid)?;
        if let Some(clock) = &self.json {
            if self.printer.separate() {
                let header = clock.header(self.cfg, false);
                self.printer.raw_line(out, &header);
            }
        }
        self.tcbs.insert(
            pid,
            Tcb {
                out,
                hide,
                ..Tcb::default()
            },
        );
        self.note_tracees();
        Ok(())
    }

    fn spawn(&mut self) -> Result<(), String> {
        let cfg = self.cfg;
        let path = resolve_path(&cfg.command[0])?;
        let cstr =
            |b: &[u8]| CString::new(b).map_err(|_| "argument contains a NUL byte".to_owned());
        let mut argv = cfg
            .command
            .iter()
            .map(|a| cstr(a.as_bytes()))
            .collect::<Result<Vec<_>, _>>()?;
        if let Some(name) = &cfg.argv0 {
            argv[0] = cstr(name.as_bytes())?;
        }
        let env = if cfg.env.is_empty() {
            None
        } else {
            let mut vars: Vec<(Vec<u8>, Vec<u8>)> = std::env::vars_os()
                .map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec()))
                .collect();
            for (k, v) in &cfg.env {
                vars.retain(|(name, _)| name != k.as_bytes());
                if let Some(v) = v {
                    vars.push((k.as_bytes().to_vec(), v.as_bytes().to_vec()));
                }
            }
            Some(
                vars.into_iter()
                    .map(|(k, v)| cstr(&[k, b"=".to_vec(), v].concat()))
                    .collect::<Result<Vec<_>, _>>()?,
            )
        };
        let seccomp = self.seccomp.then(|| {
            let mut nrs = cfg.trace.numbers();
            nrs.extend(
                sysent::table()
                    .iter()
                    .flatten()
                    .filter(|s| s.classes & sysent::class::SECCOMP_DEFAULT != 0)
                    .map(|s| s.nr),
            );
            pt::seccomp::Filter::trace_only(&nrs)
        });
        let spawn = pt::SpawnOptions {
            path: cstr(path.as_os_str().as_bytes())?,
            argv,
            env,
            user: cfg.user,
            seccomp,
            exec_error_prefix: Some(cstr(format!("{}: exec: ", crate::progname()).as_bytes())?),
            // The command starts with strace-rs's own blocked signals and (see main.rs)
            // SIGPIPE's disposition as strace-rs was started with, as strace does.
            inherit_signal_mask: true,
        };
        if cfg.daemonize > 0 {
            return self.spawn_detached(&spawn, &path);
        }
        let pid = pt::spawn(&spawn, self.opts).map_err(|e| format!("exec: {e}"))?;
        self.started = Some(pid);
        self.new_tcb(pid, true).map_err(|e| e.to_string())?;
        if let Some(t) = self.tcbs.get_mut(&pid) {
            t.skip_detach_on_exec = true;
        }
        self.log_process(pid, &path, std::process::id());
        let how = if self.seccomp {
            Resume::Continue
        } else {
            Resume::Syscall
        };
        pt::resume(pid, how, 0).map_err(|e| format!("resume: {e}"))?;
        Ok(())
    }

    /// `-D`: this process becomes the command, traced from here on by a grandchild (the
    /// only one that returns), as strace: the command keeps our pid, parent and exit
    /// status, and is seized while it waits to `execve` (its first stop is the interrupt).
    fn spawn_detached(
        &mut self,
        spawn: &pt::SpawnOptions,
        path: &std::path::Path,
    ) -> Result<(), String> {
        let how = match self.cfg.daemonize {
            1 => pt::Daemonize::Grandchild,
            2 => pt::Daemonize::ProcessGroup,
            _ => pt::Daemonize::Session,
        };
        // SAFETY: getppid has no arguments and cannot fail.
        let caller = unsafe { libc::getppid() } as u32;
        let pid = pt::spawn_detached(spawn, self.opts, how).map_err(|e| {
            let msg = decode::strerror(e.error.raw_os_error().unwrap_or(0));
            match e.what {
                "PTRACE_SEIZE" | "PTRACE_INTERRUPT" => {
                    format!("attach: ptrace({}, {}): {msg}", e.what, e.pid)
                }
                what => format!("{what}: {msg}"),
            }
        })?;
        // Not our child: like strace, the command is neither killed when we are
        // interrupted nor where our exit status comes from.
        self.new_tcb(pid, true).map_err(|e| e.to_string())?;
        if let Some(t) = self.tcbs.get_mut(&pid) {
            t.skip_detach_on_exec = true;
        }
        self.log_process(pid, path, caller);
        if !self.cfg.quiet.attach {
            self.message(&format!("Process {pid} attached"));
        }
        Ok(())
    }

    /// The thread-group id of traced thread `pid` (looked up once).
    fn tgid(&mut self, pid: Pid) -> u32 {
        match self.tcbs.get_mut(&pid) {
            Some(t) => {
                if t.tgid == 0 {
                    t.tgid = tgid_of(pid);
                }
                t.tgid
            }
            None => tgid_of(pid),
        }
    }

    /// The `--log` record of process `child`, forked by process `ppid` (still running its
    /// parent's program: its `execve` calls follow as events).
    fn log_child(&mut self, child: Pid, ppid: u32) {
        let exe = std::fs::read_link(format!("/proc/{ppid}/exe")).unwrap_or_default();
        if let Some(log) = &mut self.log {
            let _ = log.write(&tracekit_log::Event::Process(tracekit_log::Process {
                pid: child.0 as u32,
                ppid,
                start_unix_ns: 0,
                start_mono_ns: 0,
                exe: tracekit_log::Bytes(exe.as_os_str().as_bytes().to_vec().into()),
                cmdline: tracekit_log::Bytes(Vec::new().into()),
                tool: tracekit_log::Bytes(b"strace-rs".to_vec().into()),
                arch: tracekit_log::Arch::X86_64,
                clock_res_ns: 0,
            }));
        }
    }

    /// The `--log` record of the started command `pid` (`ppid`: its parent).
    fn log_process(&mut self, pid: Pid, path: &std::path::Path, ppid: u32) {
        let cfg = self.cfg;
        if let Some(log) = &mut self.log {
            let cmdline = cfg
                .command
                .iter()
                .map(|a| a.as_bytes())
                .collect::<Vec<_>>()
                .join(&b"\0"[..]);
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default();
            let _ = log.write(&tracekit_log::Event::Process(tracekit_log::Process {
                pid: pid.0 as u32,
                ppid,
                start_unix_ns: now.as_nanos() as u64,
                start_mono_ns: 0,
                exe: tracekit_log::Bytes(path.as_os_str().as_bytes().to_vec().into()),
                cmdline: tracekit_log::Bytes(cmdline.into()),
                tool: tracekit_log::Bytes(b"strace-rs".to_vec().into()),
                arch: tracekit_log::Arch::X86_64,
                clock_res_ns: 0,
            }));
        }
    }

    fn attach(&mut self, pid: Pid) -> io::Result<()> {
        let mut tids = vec![pid];
        if self.cfg.follow_forks {
            if let Ok(dir) = std::fs::read_dir(format!("/proc/{}/task", pid.0)) {
                for e in dir.flatten() {
                    if let Some(t) = e.file_name().to_str().and_then(|s| s.parse().ok()) {
                        if t != pid.0 {
                            tids.push(Pid(t));
                        }
                    }
                }
            }
        }
        let failed = |req: &str, e: io::Error| {
            io::Error::new(
                e.kind(),
                format!(
                    "attach: ptrace({req}, {pid}): {}",
                    decode::strerror(e.raw_os_error().unwrap_or(0))
                ),
            )
        };
        // A process that is exiting (or a zombie) fails here or at the interrupt, with
        // strace's message; one that exits once seized reports its exit to us as usual.
        pt::seize(pid, self.opts).map_err(|e| failed("PTRACE_SEIZE", e))?;
        pt::interrupt(pid).map_err(|e| failed("PTRACE_INTERRUPT", e))?;
        self.new_tcb(pid, false)?;
        let mut threads = 1;
        for &t in &tids[1..] {
            // A thread that ends meanwhile is skipped, and not counted (as strace).
            if pt::seize(t, self.opts).is_ok() && pt::interrupt(t).is_ok() {
                self.new_tcb(t, false)?;
                threads += 1;
            }
        }
        if !self.cfg.quiet.attach {
            if threads > 1 {
                self.message(&format!("Process {pid} attached with {threads} threads"));
            } else {
                self.message(&format!("Process {pid} attached"));
            }
        }
        Ok(())
    }

    fn resume_how(&self, pid: Pid) -> Resume {
        match self.tcbs.get(&pid) {
            Some(t) => resume_after(self.seccomp, t),
            None => Resume::Syscall,
        }
    }

    fn resume(&self, pid: Pid, sig: i32) {
        let _ = pt::resume(pid, self.resume_how(pid), sig);
    }

    fn show(&self) -> bool {
        self.cfg.summary != SummaryMode::Only
    }

    /// Runs until every tracee is gone (or the tracer is interrupted).
    pub fn run(mut self) -> Result<Outcome, String> {
        if !self.cfg.command.is_empty() {
            self.spawn()?;
            // As strace: the tracer lets go of its standard input and output (the command
            // has them), so a pipe around it ends when the command closes its end.
            crate::sys::redirect_standard_fds();
        }
        // After the spawn, as strace: the command starts with our dispositions untouched.
        // Before the attaches, as strace: a signal right after "Process N attached" detaches
        // it (a handler installed later let it kill us with the process still traced).
        crate::sys::set_interruptible(self.cfg.interruptible);
        for &p in &self.cfg.attach {
            if let Err(e) = self.attach(Pid(p)) {
                eprintln!("{}: {e}", crate::progname());
            }
        }
        if self.tcbs.is_empty() {
            // Every attach failed and was reported: exit 1 quietly, like strace.
            return Err(String::new());
        }
        loop {
            if let Some(sig) = crate::sys::interrupted() {
                self.cleanup(sig);
                break;
            }
            let waited = self.waiter.wait(self.need_rusage).map(Some);
            match waited {
                Ok(Some((pid, stop, ru))) => {
                    self.handle(pid, stop, ru);
                    self.note_tracees();
                }
                Ok(None) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.raw_os_error() == Some(libc::ECHILD) => break,
                Err(e) => return Err(format!("wait4: {e}")),
            }
            if self.tcbs.is_empty() {
                break;
            }
        }
        self.finish()
    }

    fn finish(mut self) -> Result<Outcome, String> {
        if self.cfg.summary != SummaryMode::None {
            let sort = self.cfg.sort_by;
            let summary = std::mem::take(&mut self.summary);
            let mut text = Vec::new();
            match self.cfg.summary_by {
                None => {
                    let _ = summary.write_columns(sort, &self.cfg.summary_columns, &mut text);
                }
                Some(by) => {
                    for (i, (group, s)) in self.summaries.iter().enumerate() {
                        let sep = if i == 0 { "" } else { "\n" };
                        let what = match (by, group) {
                            (SummaryBy::Tid, Group::Id(n)) => format!("thread {n}"),
                            (_, Group::Id(n)) => format!("process {n}"),
                            (_, Group::Fd(fd)) => format!("descriptor {fd}"),
                            (_, Group::Path(p)) => {
                                let mut q = String::new();
                                crate::text::quote(&mut q, p, crate::text::HexMode::None, false);
                                format!("path {q}")
                            }
                            (SummaryBy::Fd, Group::Nothing) => {
                                "calls without a descriptor".to_owned()
                            }
                            (_, Group::Nothing) => "calls without a path".to_owned(),
                        };
                        let _ = writeln!(text, "{sep}System call usage summary for {what}:");
                        let _ = s.write_columns(sort, &self.cfg.summary_columns, &mut text);
                    }
                }
            }
            if self.json.is_some() {
                let ev = js::TraceEvent::Summary(js::Summary {
                    text: String::from_utf8_lossy(&text).into_owned(),
                });
                self.emit(0, &ev);
            }
            if self.text {
                let _ = self.printer.summary(|w| w.write_all(&text));
            }
        }
        self.printer.flush();
        if let Some(f) = &mut self.json_file {
            f.flush().map_err(|e| format!("--json-output: {e}"))?;
        }
        if let Some(log) = self.log.take() {
            log.finish().map_err(|e| format!("--log: {e}"))?;
        }
        Ok(self.outcome.unwrap_or(Outcome::Exited(0)))
    }

    fn cleanup(&mut self, sig: i32) {
        if let Some(child) = self.started {
            if self.tcbs.contains_key(&child) {
                let _ = pt::kill(child, libc::SIGCONT);
                let _ = pt::kill(child, sig);
            }
        }
        let pids: Vec<Pid> = self.tcbs.keys().copied().collect();
        for pid in pids {
            self.detach(pid, true);
        }
        // Like strace, a tracer stopped by a signal dies by it (the shell sees 128+sig),
        // with or without a started command.
        if self.outcome.is_none() {
            self.outcome = Some(Outcome::Signaled(sig));
        }
    }

    /// Detaches from `pid`; `announce`: says so on stderr (not for `-b execve`).
    fn detach(&mut self, pid: Pid, announce: bool) {
        let Some(tcb) = self.tcbs.remove(&pid) else {
            return;
        };
        // PTRACE_DETACH needs a stopped tracee: interrupt it, wait for the stop (passing on
        // a signal it was about to receive), then detach.
        if pt::detach(pid, 0).is_err() && pt::interrupt(pid).is_ok() {
            let mut sig = Some(0);
            loop {
                match pt::wait_pid(Some(pid), false) {
                    Ok(Some((_, Stop::Signal(s), _))) => {
                        sig = Some(s);
                        break;
                    }
                    Ok(Some((_, Stop::Exited(_) | Stop::Killed { .. }, _))) => {
                        sig = None;
                        break;
                    }
                    Ok(Some(_)) => break,
                    Ok(None) => continue,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(_) => {
                        sig = None;
                        break;
                    }
                }
            }
            if let Some(sig) = sig {
                let _ = pt::detach(pid, sig);
            }
        }
        if announce && !self.cfg.quiet.attach {
            // Like strace: the message goes straight to stderr, then an unfinished line of
            // this tracee is closed with <detached ...>.
            self.message(&format!("Process {pid} detached"));
        }
        // The call in progress, whose line ends here with <detached ...>.
        if tcb.in_syscall && tcb.printed && self.show() && !tcb.hide {
            if let Some(clock) = &mut self.json {
                let text = &tcb.entry_text;
                let mut ev = syscall_event(
                    self.cfg,
                    clock,
                    pid,
                    &tcb,
                    self.meta.name(tcb.nr),
                    text,
                    text.len(),
                );
                ev.detached = true;
                self.emit(tcb.out, &js::TraceEvent::Syscall(ev));
            }
        }
        // With `-e status=` the entry was kept back: printed now when `detached` is wanted.
        if self.text
            && tcb.in_syscall
            && tcb.printed
            && self.show()
            && !tcb.hide
            && !self.cfg.status.is_all()
            && self.cfg.status.detached
        {
            let n = self.nprocs() + 1;
            let name = self.meta.name(tcb.nr);
            self.printer.leader(tcb.out, pid, n, tcb.ip);
            self.printer
                .write(tcb.out, &format!("{name}({}", tcb.entry_text));
        }
        self.printer.detached(tcb.out, pid);
    }

    fn handle(&mut self, pid: Pid, stop: Stop, ru: pt::Rusage) {
        if !self.tcbs.contains_key(&pid) {
            match stop {
                Stop::Exited(_) | Stop::Killed { .. } => {
                    // A child strace-rs did not trace (one its tracee made with
                    // CLONE_PARENT, or inherited): reaped and reported like strace.
                    if !self.cfg.quiet.exit {
                        self.message(&format!("Exit of unknown pid {pid} ignored"));
                    }
                    return;
                }
                _ if !self.cfg.follow_forks => {
                    // Without -f: a child its parent made with CLONE_PTRACE, traced by the
                    // kernel's doing. strace lets it go.
                    let _ = pt::detach(pid, 0);
                    if !self.cfg.quiet.attach {
                        self.message(&format!("Detached unknown pid {pid}"));
                    }
                    return;
                }
                _ => {
                    // A new child reporting before its parent's fork event.
                    if self.new_tcb(pid, false).is_err() {
                        return;
                    }
                    self.announce_child(pid);
                }
            }
        }
        match stop {
            Stop::Syscall => self.on_syscall(pid, ru),
            Stop::Event(Event::Seccomp) => {
                if let Some(t) = self.tcbs.get_mut(&pid) {
                    t.seccomp_entry = true;
                }
                self.on_syscall(pid, ru);
            }
            Stop::Signal(sig) => self.on_signal(pid, sig),
            Stop::GroupStop(sig) => {
                let shown = self.show() && !self.tcbs[&pid].hide && self.signal_shown(sig);
                let prefix = line_prefix(self.cfg, pid, self.tcbs[&pid].ip);
                if let (true, Some(clock)) = (shown, &mut self.json) {
                    let ev = js::TraceEvent::Stopped(js::Stopped {
                        tid: pid.0 as u32,
                        ns: clock.now(),
                        signal: signals::name(sig as i64),
                        prefix,
                    });
                    let out = self.tcbs[&pid].out;
                    self.emit(out, &ev);
                }
                if shown && self.text {
                    self.line(
                        pid,
                        &format!("--- stopped by {} ---", signals::name(sig as i64)),
                    );
                }
                let _ = pt::listen(pid);
            }
            Stop::Interrupt => self.resume(pid, 0),
            Stop::Event(ev @ (Event::Fork(c) | Event::Vfork(c) | Event::Clone(c))) => {
                if c.0 > 0 && !self.tcbs.contains_key(&c) && self.new_tcb(c, false).is_ok() {
                    self.announce_child(c);
                }
                if c.0 > 0 && self.log.is_some() {
                    // A new process (not a thread): its record, with its parent, makes the
                    // process tree of `tracekit export --format chrome`.
                    let process = !matches!(ev, Event::Clone(_)) || tgid_of(c) == c.0 as u32;
                    if process {
                        let parent = self.tgid(pid);
                        self.log_child(c, parent);
                    }
                }
                self.resume(pid, 0);
            }
            Stop::Event(Event::Exec(old)) => {
                self.on_exec(pid, old);
                if self.cfg.detach_on_execve {
                    // `-b execve`: let go of a process when it runs a new program, except
                    // the started command's own first execve (strace's
                    // TCB_SKIP_DETACH_ON_FIRST_EXEC).
                    let skip = self
                        .tcbs
                        .get_mut(&pid)
                        .is_some_and(|t| std::mem::take(&mut t.skip_detach_on_exec));
                    if !skip {
                        // strace says "Process N detached" here too.
                        self.detach(pid, true);
                        return;
                    }
                }
                self.resume(pid, 0);
            }
            Stop::Event(Event::Exit(_)) => {
                if self.cfg.decode.pid_comm {
                    // Its last name, while /proc still has it: the parent may reap it
                    // before its `+++ exited` line is printed.
                    crate::text::remember_comm(pid.0);
                }
                self.on_exit_event(pid);
                let _ = pt::resume(pid, Resume::Continue, 0);
            }
            Stop::Event(Event::VforkDone) => self.resume(pid, 0),
            Stop::Exited(code) => self.on_death(pid, Outcome::Exited(code), false),
            Stop::Killed { signal, core } => self.on_death(pid, Outcome::Signaled(signal), core),
        }
    }

    /// strace's "Process N attached" for a followed child, shown when tracing to stderr.
    fn announce_child(&mut self, pid: Pid) {
        if !self.cfg.quiet.attach {
            // Straight to stderr, into an unfinished line if there is one, as strace does.
            self.message(&format!("Process {pid} attached"));
        }
    }

    fn signal_shown(&self, sig: i32) -> bool {
        (1..=64).contains(&sig) && self.cfg.signals & (1u64 << (sig - 1)) != 0
    }

    fn nprocs(&self) -> usize {
        self.tcbs.len()
    }

    /// A complete line for `pid`.
    fn line(&mut self, pid: Pid, text: &str) {
        let (out, ip) = {
            let t = &self.tcbs[&pid];
            (t.out, t.ip)
        };
        let n = self.nprocs();
        self.printer.leader(out, pid, n, ip);
        self.printer.write(out, text);
        self.printer.line_end(out);
    }

    fn on_signal(&mut self, pid: Pid, sig: i32) {
        let hide = self.tcbs[&pid].hide;
        if self.log.is_some() && !hide && self.signal_shown(sig) {
            // The timeline's instant events.
            let si = pt::siginfo(pid).ok();
            let tgid = self.tgid(pid);
            let time_ns = crate::sys::monotonic_ns().saturating_sub(self.log_start);
            if let Some(log) = &mut self.log {
                let _ = log.write(&tracekit_log::Event::Signal(tracekit_log::Signal {
                    time_ns,
                    pid: tgid,
                    tid: pid.0 as u32,
                    signo: sig as u32,
                    code: si.as_ref().map_or(0, |s| s.code()),
                    addr: si.as_ref().map_or(0, |s| s.addr()),
                }));
            }
        }
        if self.show() && !hide && self.signal_shown(sig) {
            let info = pt::siginfo(pid).ok().map(|si| {
                let pidns = self.cfg.decode.pidns.then_some(pid.0);
                crate::siginfo::format(&si, self.cfg.decode.xlat, pidns)
            });
            let text = match &info {
                Some(i) => format!("--- {} {i} ---", signals::name(sig as i64)),
                None => format!("--- {} ---", signals::name(sig as i64)),
            };
            if self.cfg.instruction_pointer {
                if let Ok(r) = pt::get_regs(pid) {
                    if let Some(t) = self.tcbs.get_mut(&pid) {
                        t.ip = r.rip;
                    }
                }
            }
            let prefix = line_prefix(self.cfg, pid, self.tcbs[&pid].ip);
            if let Some(clock) = &mut self.json {
                let ev = js::TraceEvent::Signal(js::Signal {
                    prefix,
                    tid: pid.0 as u32,
                    ns: clock.now(),
                    signal: signals::name(sig as i64),
                    info: info.as_deref().map_or(js::Value::Null, js::arg_value),
                    siginfo: info,
                    stack: match &mut self.stacks {
                        Some(st) => st.capture(pid, false),
                        None => Vec::new(),
                    },
                });
                let out = self.tcbs[&pid].out;
                self.emit(out, &ev);
                if !self.text {
                    self.resume(pid, sig);
                    return;
                }
            }
            self.line(pid, &text);
            // strace -k also shows where a signal arrived.
            if let Some(st) = &mut self.stacks {
                let out = self.tcbs[&pid].out;
                for frame in st.capture(pid, false) {
                    self.printer.raw_line(out, &frame);
                }
            }
        }
        self.resume(pid, sig);
    }

    fn on_exec(&mut self, pid: Pid, old: Pid) {
        if self.cfg.decode.pid_comm {
            // The new program's name, kept for lines printed once the process is gone (its
            // `+++ exited` line can come after its parent reaped it), as strace reloads its
            // tcb's comm after an execve.
            crate::text::remember_comm(pid.0);
        }
        if old != pid && old.0 > 0 {
            // A non-leader thread called execve: it takes over the leader's pid. Its execve
            // line, still open, ends with strace's " <pid changed to PID ...>"; the return
            // then prints as `<... execve resumed>`.
            if let Some(out) = self.tcbs.get(&old).map(|t| t.out) {
                if self.text && self.printer.owner(out) == Some(old) {
                    self.printer
                        .write(out, &format!(" <pid changed to {pid} ...>"));
                    self.printer.line_end(out);
                }
            }
            if let Some(leader) = self.tcbs.remove(&pid) {
                let mut times = (None, None);
                if self.show() && !self.cfg.quiet.thread_execve && self.json.is_some() {
                    let out = leader.out;
                    if leader.in_syscall && leader.printed {
                        let name = self.meta.name(leader.nr);
                        let text = &leader.entry_text;
                        let clock = self.json.as_mut().expect("json");
                        let ev =
                            syscall_event(self.cfg, clock, pid, &leader, name, text, text.len());
                        times.0 = Some(clock.unix(ev.exit_ns));
                        self.emit(out, &js::TraceEvent::Syscall(ev));
                    }
                    let ns = self.json.as_mut().map_or(0, |c| c.now());
                    times.1 = self.json.as_ref().map(|c| c.unix(ns));
                    let ev = js::TraceEvent::Superseded(js::Superseded {
                        tid: pid.0 as u32,
                        ns,
                        by: old.0 as u32,
                        prefix: line_prefix(self.cfg, pid, leader.ip),
                    });
                    self.emit(out, &ev);
                }
                if self.text && self.show() && !self.cfg.quiet.thread_execve {
                    let out = leader.out;
                    let n = self.nprocs() + 1;
                    if leader.in_syscall && leader.printed {
                        if self.printer.owner(out) != Some(pid) {
                            if let Some(u) = times.0 {
                                self.printer.set_line_time(u);
                            }
                            self.printer.leader(out, pid, n, leader.ip);
                            let name = self.meta.name(leader.nr);
                            self.printer.write(out, &format!("<... {name} resumed>"));
                        }
                        self.printer.write(out, ") ");
                        self.printer.tabto(out);
                        self.printer.write(out, "= ?");
                        self.printer.line_end(out);
                    }
                    if let Some(u) = times.1 {
                        self.printer.set_line_time(u);
                    }
                    self.printer.leader(out, pid, n, leader.ip);
                    self.printer
                        .write(out, &format!("+++ superseded by execve in pid {old} +++"));
                    self.printer.line_end(out);
                }
                if let Some(mut t) = self.tcbs.remove(&old) {
                    t.out = leader.out;
                    // Lines already printed for `old` belong to a line owned by `old`.
                    self.tcbs.insert(pid, t);
                } else {
                    self.tcbs.insert(pid, leader);
                }
            }
        }
        if let Some(st) = &mut self.stacks {
            st.invalidate(pid);
        }
    }

    /// Starts the exit half of a call's line. With `-e status=` narrowing, nothing was
    /// printed at entry: the whole line starts now (`name(args`) if the call is `wanted`.
    /// Otherwise the entry half is on the line, unless another line came in between:
    /// then `<... name resumed>`. False when the call is not shown.
    fn resume_line(
        &mut self,
        out: OutId,
        pid: Pid,
        ip: u64,
        name: &str,
        entry_text: &str,
        wanted: bool,
    ) -> bool {
        let n = self.nprocs();
        if !self.cfg.status.is_all() {
            if !wanted {
                return false;
            }
            self.printer.leader(out, pid, n, ip);
            self.printer.write(out, &format!("{name}({entry_text}"));
        } else if self.printer.owner(out) != Some(pid) {
            self.printer.leader(out, pid, n, ip);
            self.printer.write(out, &format!("<... {name} resumed>"));
        }
        true
    }

    fn on_exit_event(&mut self, pid: Pid) {
        let show = self.show();
        let Some(t) = self.tcbs.get_mut(&pid) else {
            return;
        };
        if !t.in_syscall {
            return;
        }
        t.in_syscall = false;
        let printed = t.printed && show;
        t.printed = false;
        let (out, ip, nr, step) = (t.out, t.ip, t.nr, t.step);
        let staged = std::mem::take(&mut t.entry_text);
        if let Some(log) = &mut self.log {
            if t.keep_text {
                let name = self.meta.name(nr);
                let text = format!("{name}({staged}) = ?");
                log_syscall(log, self.log_start, pid, t, &name, None, &text);
            }
        }
        if !printed {
            return;
        }
        let name = self.meta.name(nr);
        if self.json.is_some() {
            if self.cfg.status.unfinished {
                let t = &self.tcbs[&pid];
                let clock = self.json.as_mut().expect("json");
                let mut ev =
                    syscall_event(self.cfg, clock, pid, t, name.clone(), &staged, staged.len());
                ev.unfinished = step == Some(Step::Exit);
                self.emit(out, &js::TraceEvent::Syscall(ev));
            }
            if !self.text {
                return;
            }
        }
        if !self.resume_line(out, pid, ip, &name, &staged, self.cfg.status.unfinished) {
            return;
        }
        if step == Some(Step::Exit) {
            self.printer.write(out, " <unfinished ...>");
        }
        self.printer.write(out, ") ");
        self.printer.tabto(out);
        self.printer.write(out, "= ?");
        self.printer.line_end(out);
    }

    fn on_death(&mut self, pid: Pid, how: Outcome, core: bool) {
        if Some(pid) == self.started {
            self.outcome = Some(how);
        }
        let Some(t) = self.tcbs.get(&pid) else { return };
        let out = t.out;
        // Shown even for a process hidden still (the started command whose execve failed),
        // as strace's print_exited.
        if self.show() && !self.cfg.quiet.exit && self.json.is_some() {
            let (tid, ns) = (pid.0 as u32, self.json.as_mut().map_or(0, |c| c.now()));
            let prefix = line_prefix(self.cfg, pid, crate::output::UNKNOWN_IP);
            let ev = match how {
                Outcome::Exited(code) => js::TraceEvent::Exited(js::Exited {
                    tid,
                    ns,
                    code,
                    prefix,
                }),
                Outcome::Signaled(s) => js::TraceEvent::Killed(js::Killed {
                    tid,
                    ns,
                    signal: signals::name(s as i64),
                    core_dumped: core,
                    prefix,
                }),
            };
            self.emit(out, &ev);
        }
        if self.text && self.show() && !self.cfg.quiet.exit {
            let text = match how {
                Outcome::Exited(c) => format!("+++ exited with {c} +++"),
                Outcome::Signaled(s) => format!(
                    "+++ killed by {}{} +++",
                    signals::name(s as i64),
                    if core { " (core dumped)" } else { "" }
                ),
            };
            let n = self.nprocs();
            self.printer.leader(out, pid, n, crate::output::UNKNOWN_IP);
            self.printer.write(out, &text);
            self.printer.line_end(out);
        } else if self.printer.owner(out) == Some(pid) {
            self.printer.detached(out, pid);
        }
        self.tcbs.remove(&pid);
        if let Some(st) = &mut self.stacks {
            st.invalidate(pid);
        }
    }

    fn on_syscall(&mut self, pid: Pid, ru: pt::Rusage) {
        if let Some(t) = self.tcbs.get_mut(&pid) {
            if t.in_syscall && t.skip_exit {
                // The exit of a call nothing wants: no PTRACE_GET_SYSCALL_INFO.
                t.in_syscall = false;
                t.skip_exit = false;
                t.seccomp_entry = false;
                let _ = pt::resume(pid, resume_after(self.seccomp, t), 0);
                return;
            }
        }
        let info = match pt::syscall_info(pid) {
            Ok(i) => i,
            Err(_) => return,
        };
        match info {
            SyscallInfo::Entry {
                nr,
                args,
                ip,
                sp,
                arch,
            }
            | SyscallInfo::Seccomp {
                nr,
                args,
                ip,
                sp,
                arch,
                ..
            } => {
                let compat = arch == pt::AUDIT_ARCH_I386;
                if arch != pt::AUDIT_ARCH_X86_64 && !compat {
                    self.arch_warning(pid, arch);
                }
                self.on_entry(pid, compat, nr, args, ip, sp, ru);
            }
            SyscallInfo::Exit { rval, is_error, .. } => self.on_exit(pid, rval, is_error, ru),
            SyscallInfo::None => {}
        }
        // `signal=`: delivered from the entry stop, as strace (the kernel sends it as
        // SI_KERNEL, after the call).
        let (how, sig) = match self.tcbs.get_mut(&pid) {
            Some(t) => (
                resume_after(self.seccomp, t),
                std::mem::take(&mut t.pending_signal),
            ),
            None => (Resume::Syscall, 0),
        };
        let _ = pt::resume(pid, how, sig);
    }

    /// Notes a switch between the x86_64 and i386 conventions, like strace.
    fn personality(&mut self, pid: Pid, compat: bool) {
        // Quiet by default with `-o FILE PROG` (strace's implied -q).
        let show = self.show() && !self.cfg.quiet.personality;
        let Some(t) = self.tcbs.get_mut(&pid) else {
            return;
        };
        t.compat = compat;
        if t.announced_compat == compat {
            return;
        }
        t.announced_compat = compat;
        if show && !t.hide {
            let bits = if compat { 32 } else { 64 };
            let prefix = line_prefix(self.cfg, pid, t.ip);
            if let Some(clock) = &mut self.json {
                let ev = js::TraceEvent::Personality(js::Personality {
                    tid: pid.0 as u32,
                    ns: clock.now(),
                    bits,
                    prefix,
                });
                let out = t.out;
                self.emit(out, &ev);
                if !self.text {
                    return;
                }
            }
            self.line(
                pid,
                &format!("[ Process PID={pid} runs in {bits} bit mode. ]"),
            );
        }
    }

    fn arch_warning(&mut self, pid: Pid, arch: u32) {
        static WARNED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
        if !WARNED.swap(true, std::sync::atomic::Ordering::Relaxed) {
            let _ = pid;
            eprintln!(
                "{}: syscalls of a non-x86_64 calling convention (audit arch {arch:#x}, e.g. a 32-bit tracee) are printed with x86_64 names; 32-bit decoding is not supported",
                crate::progname()
            );
        }
    }

    /// `-P`: whether the call at entry names one of the traced paths.
    fn touches_paths(&self, pid: Pid, nr: u64, args: [u64; 6], compat: bool) -> bool {
        let meta = self.meta.get(nr, compat);
        let mem = decode::Ptrace(pid);
        let mut ctx = Ctx::new(pid, &mem, nr, args, &self.cfg.decode);
        ctx.abi = meta.abi;
        decode::touches_paths(&ctx, meta.decoder, &meta.name, &self.cfg.trace_paths)
    }

    /// `-e trace-fds=`: whether the call at entry works on one of the descriptors.
    fn touches_fds(&self, pid: Pid, nr: u64, args: &[u64; 6], compat: bool) -> bool {
        let Some(set) = &self.cfg.trace_fds else {
            return false;
        };
        let name = &self.meta.get(nr, compat).name;
        crate::targets::targets(pid, name, args)
            .iter()
            .any(|t| matches!(t, crate::targets::Target::Fd(fd) if set.contains((*fd).into())))
    }

    /// `--summary-by=fd|path`: the table of the call at entry, by its first descriptor or
    /// path (a descriptor's file, a path argument as given).
    fn group_of(&self, pid: Pid, nr: u64, args: &[u64; 6], compat: bool) -> Group {
        use crate::targets::{self, Target};
        let name = &self.meta.get(nr, compat).name;
        let found = targets::targets(pid, name, args);
        match self.cfg.summary_by {
            Some(SummaryBy::Fd) => found
                .iter()
                .find_map(|t| match *t {
                    // AT_FDCWD and other negative values name no descriptor.
                    Target::Fd(fd) if fd >= 0 => Some(Group::Fd(fd)),
                    _ => None,
                })
                .unwrap_or(Group::Nothing),
            // A path argument first (`openat`'s file, not its directory), else the file of
            // a descriptor.
            _ => found
                .iter()
                .find_map(|t| match *t {
                    // `newfstatat(3, "", ..., AT_EMPTY_PATH)` works on the descriptor.
                    Target::Path(addr) => targets::path_arg(pid, addr)
                        .filter(|p| !p.is_empty())
                        .map(Group::Path),
                    Target::Fd(_) => None,
                })
                .or_else(|| {
                    found.iter().find_map(|t| match *t {
                        Target::Fd(fd) => targets::fd_path(pid, fd).map(Group::Path),
                        Target::Path(_) => None,
                    })
                })
                .unwrap_or(Group::Nothing),
        }
    }

    /// The rule to apply to this call of `nr` by `pid`, if its `when=` selects this call
    /// (strace's `tamper_with_syscall_entering`: the last rule naming a call is the one that
    /// applies; per thread and call, `first` counts down to the first injection and then
    /// restarts from `step`, `last` counts down from the first call).
    fn injection(&mut self, pid: Pid, nr: u64) -> Option<&'c InjectRule> {
        let cfg = self.cfg;
        let t = self.tcbs.get_mut(&pid)?;
        let rule = cfg.inject.iter().rev().find(|r| r.syscalls.contains(nr))?;
        let (first, last) = t.inject_counts.entry(nr).or_insert((rule.first, rule.last));
        if *first == 0 || *last == 0 {
            return None;
        }
        if *last != crate::config::INJECT_LAST_INF {
            *last -= 1;
        }
        *first -= 1;
        if *first != 0 {
            return None;
        }
        *first = rule.step;
        Some(rule)
    }

    /// The rule that applies to `nr` (the last one naming it).
    fn injection_rule(&self, nr: u64) -> Option<&'c InjectRule> {
        let cfg = self.cfg;
        cfg.inject.iter().rev().find(|r| r.syscalls.contains(nr))
    }

    /// Writes `pokes` into the call's memory (strace's `poke_tcb`); true when something was
    /// written.
    fn poke(&mut self, pid: Pid, nr: u64, args: &[u64; 6], pokes: &[Poke]) -> bool {
        let meta = self.meta.get(nr, false);
        let (name, nargs) = (meta.name.clone(), meta.nargs);
        let mut poked = false;
        for p in pokes {
            if nargs < p.arg as usize {
                self.message(&format!(
                    "poke_tcb: Failed to tamper with process {pid}: requested to tamper with \
                     argument #{}, but system call '{name}' has only {nargs} arguments",
                    p.arg
                ));
                continue;
            }
            let addr = args[p.arg as usize - 1];
            let (n, msg) = pt::mem::write_reporting(pid, addr, &p.data);
            if let Some(m) = msg {
                self.message(&m);
            }
            if n == 0 {
                self.message(&format!(
                    "poke_tcb: Failed to tamper with process {pid}: couldn't poke"
                ));
            } else {
                poked = true;
            }
        }
        poked
    }

    /// The entry of call `nr` (of the i386 table when `compat`).
    #[allow(clippy::too_many_arguments)]
    fn on_entry(
        &mut self,
        pid: Pid,
        compat: bool,
        nr: u64,
        args: [u64; 6],
        ip: u64,
        sp: u64,
        ru: pt::Rusage,
    ) {
        let cfg = self.cfg;
        let summary = cfg.summary;
        let keep_text = self.log.is_some() || !cfg.status.is_all() || self.json.is_some();
        let n = self.nprocs();
        let Some(t) = self.tcbs.get(&pid) else {
            return;
        };
        let prev_nr = t.nr;
        if t.compat != compat || t.announced_compat != compat {
            self.personality(pid, compat);
        }
        let entry_comm = self.json.as_ref().and_then(|_| comm_of(cfg, pid));
        let (nr, args) = if compat {
            crate::sysent32::subcall(&decode::Ptrace(pid), nr, args)
        } else {
            (nr, args)
        };
        let traced = if compat {
            !cfg.trace_filtered
                || sysent::by_name(crate::sysent32::filter_name(&self.meta.get(nr, true).name))
                    .is_some_and(|n| cfg.trace.contains(n as u64))
        } else {
            // A number the table does not know is always traced (raw), as in strace.
            let unknown = sysent::get(nr).is_none();
            if unknown && cfg.debug {
                self.message(&format!("pid {pid} invalid syscall {nr:#x}"));
            }
            unknown || cfg.trace.contains(nr)
        };
        let traced = traced
            && ((cfg.trace_paths.is_empty() && cfg.trace_fds.is_none())
                || self.touches_fds(pid, nr, &args, compat)
                || (!cfg.trace_paths.is_empty() && self.touches_paths(pid, nr, args, compat)));
        let refresh_maps = self.stacks.is_some()
            && self
                .meta
                .native
                .get(prev_nr as usize)
                .is_some_and(|m| m.maps_change);
        {
            let t = self.tcbs.get_mut(&pid).expect("tcb");
            t.in_syscall = true;
            t.nr = nr;
            t.args = args;
            t.ip = ip;
            t.entry_ip = ip;
            t.entry_comm = entry_comm;
            t.sp = sp;
            t.entry_stime_us = ru.stime_us;
            t.tamper = Tamper::default();
            t.step = None;
            t.entry_text.clear();
            t.printed = false;
            t.counted = false;
            t.skip_exit = false;
            if t.hide {
                if nr == 59 || nr == 322 {
                    t.hide = false;
                    // Hidden again if it fails (strace's TCB_CHECK_EXEC_SYSCALL).
                    t.check_exec = true;
                } else {
                    t.skip_exit = true;
                    return;
                }
            }
            if keep_text && t.tgid == 0 {
                t.tgid = tgid_of(pid);
            }
            t.counted = traced && summary != SummaryMode::None;
            t.group = None;
            t.printed = traced && summary != SummaryMode::Only;
            t.keep_text = traced && keep_text;
            // The clock only for what reads the entry's time (`-c` counts system time
            // unless `-w`): two fewer clock reads per call under a plain `-c`.
            t.entry = (t.printed || t.keep_text || (t.counted && cfg.wallclock))
                .then(crate::sys::monotonic_ns);
        }
        if traced
            && summary != SummaryMode::None
            && matches!(cfg.summary_by, Some(SummaryBy::Fd | SummaryBy::Path))
        {
            let group = self.group_of(pid, nr, &args, compat);
            if let Some(t) = self.tcbs.get_mut(&pid) {
                t.group = Some(group);
            }
        }
        // Not while the started command runs strace-rs's own code (hidden), as in strace.
        if traced && !cfg.inject.is_empty() {
            if let Some(rule) = self.injection(pid, nr) {
                let mut tamper = Tamper {
                    ret: rule.ret,
                    nofail: rule.syscall.is_some(),
                    poke_exit: !rule.poke_exit.is_empty(),
                    delay_exit: rule.delay_exit,
                    ..Tamper::default()
                };
                if let Some(s) = rule.signal {
                    self.tcbs.get_mut(&pid).expect("tcb").pending_signal = s as i32;
                }
                if rule.ret.is_some() {
                    // Run another (pure) call instead, or none: syscall number -1.
                    let scno = rule.syscall.map_or(u64::MAX, u64::from);
                    tamper.scno_set = pt::get_regs(pid)
                        .and_then(|mut r| {
                            r.orig_rax = scno;
                            pt::set_regs(pid, &r)
                        })
                        .is_ok();
                }
                if !rule.poke_enter.is_empty() {
                    tamper.poked = self.poke(pid, nr, &args, &rule.poke_enter);
                }
                if let Some(d) = rule.delay_enter {
                    std::thread::sleep(d);
                    tamper.delayed = true;
                }
                self.tcbs.get_mut(&pid).expect("tcb").tamper = tamper;
            }
        }
        let t = self.tcbs.get_mut(&pid).expect("tcb");
        if !t.printed && !t.keep_text {
            t.skip_exit = !t.counted && !t.check_exec && t.tamper.is_none();
            return;
        }
        let meta = self.meta.get(nr, compat);
        let mem = decode::Ptrace(pid);
        let opts = call_opts(cfg, nr, compat);
        let mut ctx = Ctx::new(pid, &mem, nr, args, &opts);
        // The text goes into a kept buffer: a new one grew two or three times per call.
        ctx.out = std::mem::take(&mut self.decode_buf);
        ctx.abi = meta.abi;
        ctx.sp = sp;
        ctx.rfmt = meta.rfmt;
        ctx.stash = prev_nr;
        let raw = !compat && cfg.raw.contains(nr);
        let step = match meta.decoder {
            Some(d) if !raw => d.run(&mut ctx),
            _ => decode::raw_args(&mut ctx, meta.nargs),
        };
        if raw {
            // `-e raw=`: the return value in hex too, as strace.
            ctx.rfmt = Rval::Hex;
        }
        let stack = match &mut self.stacks {
            Some(st) if t.printed => st.capture(pid, refresh_maps),
            _ => Vec::new(),
        };
        let name = &meta.name;
        let staged = !cfg.status.is_all();
        let t = self.tcbs.get_mut(&pid).expect("tcb");
        t.step = Some(step);
        t.stash = ctx.stash;
        t.stash_bytes = std::mem::take(&mut ctx.stash_bytes);
        t.rfmt = ctx.rfmt;
        t.stack = stack;
        let out = t.out;
        let printed = t.printed;
        let print_now = self.text && printed && !staged;
        if keep_text {
            if print_now {
                t.entry_text.clone_from(&ctx.out);
            } else {
                // The entry's text stays in the thread's; its old buffer (empty) is kept.
                std::mem::swap(&mut t.entry_text, &mut ctx.out);
            }
        }
        let mut line_time = None;
        if let Some(clock) = &mut self.json {
            t.entry_ns = clock.stamp(t.entry.unwrap_or_else(crate::sys::monotonic_ns));
            t.entry_tid = pid.0 as u32;
            line_time = Some(clock.unix(t.entry_ns));
        }
        if print_now {
            if let Some(u) = line_time {
                self.printer.set_line_time(u);
            }
            self.printer.leader(out, pid, n, ip);
            if cfg.syscall_number {
                self.printer.write(out, &format!("[{nr:>4}] "));
            }
            self.printer.write(out, name);
            self.printer.write(out, "(");
            self.printer.write(out, &ctx.out);
            if cfg.interruptible == crate::config::Interruptible::Anywhere {
                // A signal may kill the tracer before the call returns: the entry is on
                // disk, as strace's fflush after each entry leaves it.
                self.printer.flush();
            }
        }
        ctx.out.clear();
        self.decode_buf = ctx.out;
    }

    /// The exit side of an injection into call `nr` of `pid` (`args` its arguments): pokes
    /// and delays still to do, the return value set (`rval`, `is_error` become what the
    /// program sees). Returns the notes the line ends with (`(INJECTED...)`, `(DELAYED)`).
    fn tamper_exit(
        &mut self,
        pid: Pid,
        nr: u64,
        args: &[u64; 6],
        mut tamper: Tamper,
        rval: &mut i64,
        is_error: &mut bool,
    ) -> (&'static str, &'static str) {
        if tamper.poke_exit {
            let rule = self.injection_rule(nr);
            if let Some(rule) = rule {
                tamper.poked |= self.poke(pid, nr, args, &rule.poke_exit);
            }
        }
        if let Some(d) = tamper.delay_exit {
            std::thread::sleep(d);
            tamper.delayed = true;
        }
        let mut tampered = false;
        if let (Some(ret), true) = (tamper.ret, tamper.scno_set) {
            if *is_error == tamper.nofail {
                self.message(&format!(
                    "Failed to tamper with process {pid}: unexpectedly got {}error \
                     (return value {:#x}, error {})",
                    if tamper.nofail { "" } else { "no " },
                    if *is_error { 0 } else { *rval as u64 },
                    if *is_error { -*rval } else { 0 },
                ));
            } else {
                (*rval, *is_error) = match ret {
                    InjectReturn::Error(e) => (-i64::from(e), true),
                    InjectReturn::Retval(v) => (v as i64, false),
                };
                if let Ok(mut r) = pt::get_regs(pid) {
                    r.rax = *rval as u64;
                    let _ = pt::set_regs(pid, &r);
                }
                tampered = true;
            }
        }
        let injected_note = match (tampered, tamper.poked, tamper.delayed) {
            (true, true, _) => " (INJECTED: args, retval)",
            (false, true, _) => " (INJECTED: args)",
            (true, false, _) => " (INJECTED)",
            _ => "",
        };
        let delayed_note = if tamper.delayed { " (DELAYED)" } else { "" };
        (injected_note, delayed_note)
    }

    fn on_exit(&mut self, pid: Pid, mut rval: i64, mut is_error: bool, ru: pt::Rusage) {
        let cfg = self.cfg;
        let Some(t) = self.tcbs.get_mut(&pid) else {
            return;
        };
        if !t.in_syscall {
            return;
        }
        t.in_syscall = false;
        t.seccomp_entry = false;
        if std::mem::take(&mut t.check_exec) && is_error {
            // The started command's first execve failed: what follows is strace-rs's own
            // code in the child (the message, the exit), not shown.
            t.hide = true;
        }
        let tamper = std::mem::take(&mut t.tamper);
        let (t, injected_note, delayed_note) = if tamper.is_none() {
            (t, "", "")
        } else {
            let (nr, args) = (t.nr, t.args);
            let notes = self.tamper_exit(pid, nr, &args, tamper, &mut rval, &mut is_error);
            let Some(t) = self.tcbs.get_mut(&pid) else {
                return;
            };
            (t, notes.0, notes.1)
        };
        let nr = t.nr;
        let compat = t.compat;
        // No clock read for a call nothing times or prints (see on_entry); `now` is then
        // read by nothing.
        let now = if t.entry.is_some() || t.printed || t.keep_text {
            crate::sys::monotonic_ns()
        } else {
            self.log_start
        };
        let elapsed = std::time::Duration::from_nanos(t.entry.map_or(0, |e| now.saturating_sub(e)));
        if t.counted {
            let ns = if cfg.wallclock {
                elapsed.as_nanos() as u64
            } else {
                ru.stime_us.saturating_sub(t.entry_stime_us) * 1000
            }
            .saturating_sub(cfg.overhead_ns);
            let name = &self.meta.get(nr, compat).name;
            let key = if compat { nr | 1 << 32 } else { nr };
            let summary = match cfg.summary_by {
                None => &mut self.summary,
                Some(by) => {
                    let group = match by {
                        SummaryBy::Tid => Group::Id(pid.0 as u32),
                        SummaryBy::Pid => {
                            if t.tgid == 0 {
                                t.tgid = tgid_of(pid);
                            }
                            Group::Id(t.tgid)
                        }
                        SummaryBy::Fd | SummaryBy::Path => t.group.take().unwrap_or(Group::Nothing),
                    };
                    // `self.summary` stays empty: a copy is a new summary of the same kind.
                    let empty = &self.summary;
                    self.summaries.entry(group).or_insert_with(|| empty.clone())
                }
            };
            summary.add(key, name, ns, is_error);
        }
        let t = self.tcbs.get_mut(&pid).expect("tcb");
        if !t.printed && !t.keep_text {
            return;
        }
        let meta = self.meta.get(nr, compat);
        let mem = decode::Ptrace(pid);
        let opts = call_opts(cfg, nr, compat);
        let mut ctx = Ctx::new(pid, &mem, nr, t.args, &opts);
        ctx.out = std::mem::take(&mut self.decode_buf);
        ctx.abi = meta.abi;
        ctx.exiting = true;
        ctx.rval = rval;
        ctx.error = is_error;
        ctx.stash = t.stash;
        ctx.stash_bytes = std::mem::take(&mut t.stash_bytes);
        ctx.rfmt = t.rfmt;
        ctx.sp = t.sp;
        if t.step == Some(Step::Exit) {
            if let Some(d) = meta.decoder {
                d.run(&mut ctx);
            }
        }
        let mut ret = std::mem::take(&mut self.ret_buf);
        decode::format_rval(&ctx, &mut ret);
        ret.push_str(injected_note);
        ret.push_str(delayed_note);
        let ret_len = ret.len();
        if cfg.syscall_times {
            let _ = write!(ret, " <{}", elapsed.as_secs());
            crate::output::push_fraction(&mut ret, elapsed, cfg.syscall_times_digits);
            ret.push('>');
        }
        // Borrowed until the text, which needs its own copy.
        let name = &meta.name;
        if let Some(log) = &mut self.log {
            if t.keep_text {
                let text = format!("{name}({}{}) = {ret}", t.entry_text, ctx.out);
                log_syscall(log, self.log_start, pid, t, name, Some(rval), &text);
            }
        }
        let wanted = if is_error {
            cfg.status.failed
        } else {
            cfg.status.successful
        };
        if self.json.is_some() && t.printed && (self.cfg.status.is_all() || wanted) {
            let entry_len = t.entry_text.len();
            let mut text = std::mem::take(&mut self.call_args);
            text.clear();
            text.push_str(&t.entry_text);
            text.push_str(&ctx.out);
            if !self.text {
                t.entry_text.clear();
            }
            let Some(clock) = &mut self.json else {
                unreachable!()
            };
            // The arguments are written from their text, not parsed into the event; the
            // event is the last call's, its strings overwritten in place.
            // Boxed: the event is ~400 bytes, copied out and back at each call otherwise.
            let mut ev = self
                .call_ev
                .take()
                .unwrap_or_else(|| Box::new(blank_syscall()));
            fill_syscall_event(
                &mut ev, self.cfg, clock, pid, t, name, entry_len, now, elapsed,
            );
            ev.ret = Some(if is_error { -1 } else { rval });
            ev.errno = is_error.then(|| {
                let e = (-rval) as u64;
                crate::errno_names::errno_name(e).map_or_else(|| e.to_string(), str::to_owned)
            });
            set_text(&mut ev.ret_text, &ret[..ret_len]);
            ev.injected = !injected_note.is_empty();
            ev.stack = if self.text {
                t.stack.clone()
            } else {
                std::mem::take(&mut t.stack)
            };
            ev.io = io_dump(cfg, pid, nr, &t.args, rval, is_error, t.compat);
            let out = t.out;
            self.emit_call(out, &ev, &text);
            self.call_ev = Some(ev);
            self.call_args = text;
        }
        if self.text {
            self.print_exit(pid, &ctx.out, &ret, wanted, rval, is_error);
        }
        ctx.out.clear();
        self.decode_buf = ctx.out;
        ret.clear();
        self.ret_buf = ret;
    }

    /// The text of the return of `pid`'s call: the rest of its line (`exit_text` the
    /// arguments decoded at exit, `ret` the return value's text), its `-x`/`-X` dumps and
    /// stack.
    #[allow(clippy::too_many_arguments)]
    fn print_exit(
        &mut self,
        pid: Pid,
        exit_text: &str,
        ret: &str,
        wanted: bool,
        rval: i64,
        is_error: bool,
    ) {
        let t = self.tcbs.get_mut(&pid).expect("tcb");
        let (out, ip, printed, nr) = (t.out, t.ip, t.printed, t.nr);
        let entry_text = std::mem::take(&mut t.entry_text);
        let stack = std::mem::take(&mut t.stack);
        let args = t.args;
        let compat = t.compat;
        if !printed {
            return;
        }
        let name = self.meta.get(nr, compat).name.clone();
        if !self.resume_line(out, pid, ip, &name, &entry_text, wanted) {
            return;
        }
        self.printer.write(out, exit_text);
        self.printer.write(out, ") ");
        self.printer.tabto(out);
        self.printer.write(out, "= ");
        self.printer.write(out, ret);
        self.printer.line_end(out);
        self.dump_io(pid, out, nr, &args, rval, is_error, compat);
        for frame in stack {
            self.printer.raw_line(out, &frame);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn dump_io(
        &mut self,
        pid: Pid,
        out: OutId,
        nr: u64,
        args: &[u64; 6],
        rval: i64,
        is_error: bool,
        compat: bool,
    ) {
        for line in io_dump(self.cfg, pid, nr, args, rval, is_error, compat) {
            self.printer.raw_line(out, &line);
        }
    }
}

/// The `-e read=`/`-e write=` hex dump lines of a call that returned `rval` (strace's
/// `dumpio`): what a call writes to a descriptor of `-e write=` (even when it failed), what it
/// read from one of `-e read=`; for the vector calls each buffer (` * N bytes in buffer I`), for
/// `sendmmsg`/`recvmmsg` each message's (` = N buffers in vector I`). x86_64 calls only.
#[allow(clippy::too_many_arguments)]
fn io_dump(
    cfg: &Config,
    pid: Pid,
    nr: u64,
    args: &[u64; 6],
    rval: i64,
    is_error: bool,
    compat: bool,
) -> Vec<String> {
    let fd = args[0] as i32;
    if compat || fd < 0 {
        return Vec::new();
    }
    fn read(pid: Pid, addr: u64, len: u64) -> Option<Vec<u8>> {
        let mut buf = vec![0u8; (len as usize).min(64 << 20)];
        tracekit_ptrace::mem::read_exact(pid, addr, &mut buf)
            .ok()
            .map(|_| buf)
    }
    // strace's dumpstr: `len` bytes at `addr` read 64 KiB at a time; after a part that
    // could not be read, a line says so (nothing when it was the first).
    fn dump_mem(pid: Pid, lines: &mut Vec<String>, addr: u64, len: u64) {
        const PART: u64 = 1 << 16;
        let total = len.min(1 << 30);
        let mut i = 0;
        while i < total {
            let n = (total - i).min(PART);
            let Some(b) = read(pid, addr.wrapping_add(i), n) else {
                if i > 0 {
                    let s = if n == 1 { "" } else { "s" };
                    let at = addr.wrapping_add(i);
                    lines.push(format!(
                        " | <Cannot fetch {n} byte{s} from pid {} @{at:#x}>",
                        pid.0
                    ));
                }
                return;
            };
            lines.extend(crate::hexdump::dump_part(&b, i as usize, total as usize));
            i += n;
        }
    }
    // strace's dumpiov_upto: `count` iovecs at `addr`, `data` bytes in all.
    fn dump_iov(pid: Pid, lines: &mut Vec<String>, addr: u64, count: u64, mut data: u64) {
        let Some(iov) = read(pid, addr, count.saturating_mul(16)) else {
            return;
        };
        for (i, e) in iov.chunks_exact(16).enumerate() {
            let base = u64::from_ne_bytes(e[..8].try_into().unwrap());
            let len = u64::from_ne_bytes(e[8..].try_into().unwrap()).min(data);
            if len == 0 {
                break;
            }
            data -= len;
            lines.push(format!(" * {len} bytes in buffer {i}"));
            dump_mem(pid, lines, base, len);
        }
    }
    // dumpiov_in_msghdr: the iovecs of the msghdr at `addr`.
    fn dump_msghdr(pid: Pid, lines: &mut Vec<String>, addr: u64, data: u64) {
        if let Some(h) = read(pid, addr, 32) {
            let word = |o: usize| u64::from_ne_bytes(h[o..o + 8].try_into().unwrap());
            dump_iov(pid, lines, word(16), word(24), data);
        }
    }
    // dumpiov_in_mmsghdr: the first `n` messages at `addr`, each cut at its msg_len.
    fn dump_mmsg(pid: Pid, lines: &mut Vec<String>, addr: u64, n: u64) {
        for i in 0..n {
            let Some(m) = read(pid, addr.wrapping_add(64 * i), 64) else {
                break;
            };
            let word = |o: usize| u64::from_ne_bytes(m[o..o + 8].try_into().unwrap());
            let msg_len = u64::from(u32::from_ne_bytes(m[56..60].try_into().unwrap()));
            lines.push(format!(" = {} buffers in vector {i}", word(24)));
            dump_iov(pid, lines, word(16), word(24), msg_len);
        }
    }
    let dump = |lines: &mut Vec<String>, addr: u64, len: u64| dump_mem(pid, lines, addr, len);
    // strace takes the return value as the count, -1 (all) on error.
    let messages = if is_error {
        1024
    } else {
        (rval as u64).min(1024)
    };
    let mut lines = Vec::new();
    if cfg.write_all || cfg.write_fds.contains(&fd) {
        match nr {
            1 | 18 | 44 | 242 => dump(&mut lines, args[1], args[2]),
            20 | 296 | 328 | 278 => dump_iov(pid, &mut lines, args[1], args[2], u64::MAX),
            46 => dump_msghdr(pid, &mut lines, args[1], u64::MAX),
            307 => dump_mmsg(pid, &mut lines, args[1], messages),
            _ => {}
        }
    }
    if is_error || !(cfg.read_all || cfg.read_fds.contains(&fd)) {
        return lines;
    }
    let got = rval as u64;
    match nr {
        0 | 17 | 45 | 243 => dump(&mut lines, args[1], got),
        19 | 295 | 327 => dump_iov(pid, &mut lines, args[1], args[2], got),
        47 => dump_msghdr(pid, &mut lines, args[1], got),
        299 => dump_mmsg(pid, &mut lines, args[1], messages),
        _ => {}
    }
    lines
}

/// How to resume the thread of `t` ([`Tracer::resume_how`] when the caller has `t`): to its
/// next seccomp stop between calls when the filter stops the wanted ones.
fn resume_after(seccomp: bool, t: &Tcb) -> Resume {
    if seccomp && !t.in_syscall {
        Resume::Continue
    } else {
        Resume::Syscall
    }
}

/// `-Y` in the JSON: the command name the text shows after `pid` (escaped as printed), or
/// `None` (no `-Y`, or not known).
/// The decoding options of one call: `-e abbrev=` and `-e verbose=` are per call (x86_64
/// numbers; an i386 call keeps the global ones).
fn call_opts(cfg: &Config, nr: u64, compat: bool) -> decode::DecodeOpts {
    let mut opts = cfg.decode.clone();
    if !compat {
        opts.verbose = !cfg.abbrev.contains(nr);
        opts.structs = cfg.verbose_set.contains(nr);
    }
    opts
}

fn comm_of(cfg: &Config, pid: Pid) -> Option<String> {
    if !cfg.decode.pid_comm {
        return None;
    }
    let mut s = String::new();
    crate::text::tracee_pid_with_comm(&mut s, pid.0);
    let rest = s.strip_prefix(&pid.0.to_string())?;
    rest.strip_prefix('<')?.strip_suffix('>').map(str::to_owned)
}

/// `-i`/`-Y` in the JSON for a line of `pid` started at instruction pointer `ip`.
fn line_prefix(cfg: &Config, pid: Pid, ip: u64) -> js::LinePrefix {
    js::LinePrefix {
        ip: (cfg.instruction_pointer && ip != crate::output::UNKNOWN_IP).then_some(ip),
        comm: comm_of(cfg, pid),
    }
}

/// The JSON event of the call `t` (thread `pid`) is making, with its arguments' `text`
/// (`entry_len` bytes of it decoded at entry), as a call that has not returned: the caller
/// fills in the return.
#[allow(clippy::too_many_arguments)]
fn syscall_event(
    cfg: &Config,
    clock: &mut crate::json::Clock,
    pid: Pid,
    t: &Tcb,
    name: String,
    text: &str,
    entry_len: usize,
) -> js::Syscall {
    let mut ev = js::Syscall {
        name,
        ..blank_syscall()
    };
    let name = std::mem::take(&mut ev.name);
    let now = crate::sys::monotonic_ns();
    let duration = std::time::Duration::from_nanos(now.saturating_sub(t.entry.unwrap_or(now)));
    fill_syscall_event(&mut ev, cfg, clock, pid, t, &name, entry_len, now, duration);
    ev.args = js::split_args(text);
    ev
}

/// An event of a call with nothing in it (for [`fill_syscall_event`]).
fn blank_syscall() -> js::Syscall {
    js::Syscall {
        prefix: js::LinePrefix::default(),
        exit_ip: None,
        exit_comm: None,
        detached: false,
        pid: 0,
        tid: 0,
        entry_tid: None,
        nr: 0,
        arch: String::new(),
        name: String::new(),
        args: Vec::new(),
        entry_len: 0,
        unfinished: false,
        ret: None,
        errno: None,
        ret_text: String::new(),
        injected: false,
        entry_ns: 0,
        exit_ns: 0,
        duration_ns: 0,
        stack: Vec::new(),
        io: Vec::new(),
    }
}

/// Makes `ev` (any call's event: its strings' buffers are reused) the event
/// [`syscall_event`] gives for the call `t` is making, `now` its return (`duration` after
/// its entry), without arguments.
#[allow(clippy::too_many_arguments)]
fn fill_syscall_event(
    ev: &mut js::Syscall,
    cfg: &Config,
    clock: &mut crate::json::Clock,
    pid: Pid,
    t: &Tcb,
    name: &str,
    entry_len: usize,
    now: u64,
    duration: std::time::Duration,
) {
    ev.prefix.ip = cfg.instruction_pointer.then_some(t.entry_ip);
    ev.prefix.comm.clone_from(&t.entry_comm);
    ev.exit_comm = if cfg.decode.pid_comm {
        comm_of(cfg, pid).filter(|c| Some(c) != t.entry_comm.as_ref())
    } else {
        None
    };
    ev.exit_ip = (cfg.instruction_pointer && t.ip != t.entry_ip).then_some(t.ip);
    ev.detached = false;
    ev.pid = t.tgid;
    ev.tid = pid.0 as u32;
    ev.entry_tid = (t.entry_tid != pid.0 as u32).then_some(t.entry_tid);
    ev.nr = t.nr;
    set_text(&mut ev.arch, if t.compat { "i386" } else { "x86_64" });
    set_text(&mut ev.name, name);
    ev.args.clear();
    ev.entry_len = entry_len;
    ev.unfinished = false;
    ev.ret = None;
    ev.errno = None;
    set_text(&mut ev.ret_text, "?");
    ev.injected = false;
    ev.entry_ns = t.entry_ns;
    ev.exit_ns = clock.stamp(now);
    ev.duration_ns = duration.as_nanos() as u64;
    ev.stack.clear();
    ev.io.clear();
}

/// Makes `s` `v`, in its own buffer.
fn set_text(s: &mut String, v: &str) {
    s.clear();
    s.push_str(v);
}
