//! The in-process backend (`--backend preload`): the program runs with `libpreload_ltrace.so`
//! preloaded, which counts its calls in a shared file (see the `preload-ltrace` crate) or, for
//! call lines, records them in per-thread rings of another ([`crate::wire`]) that
//! [`run_lines`] reads as the program runs and prints as the ptrace backend does; no ptrace, no
//! stop per call. What it cannot do falls back to the ptrace backend ([`unsupported`] says
//! why).

use std::collections::{BTreeMap, HashMap};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::Duration;

use tracekit_syscall_summary::libcalls::Summary;

use crate::proto::{self, Memory, Proto, Protos};
use crate::tracer::Tracer;
use crate::{elf, wire, Config, Error, Outcome};

/// The agent's file name.
pub const AGENT: &str = "libpreload_ltrace.so";

/// The counts file's magic (the agent's `MAGIC`).
const MAGIC: &[u8; 8] = b"TKLTCNT1";
/// Header words: magic, functions, pid, untimed.
const HEADER: usize = 32;
/// Per function: calls, nanoseconds.
const COUNTER: usize = 16;

/// Which backend traces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Backend {
    /// In-process when it can, else ptrace (the default).
    #[default]
    Auto,
    /// `--backend ptrace`.
    Ptrace,
    /// `--backend preload` (or `inproc`).
    Preload,
}

/// Why the in-process backend cannot run `cfg`, or `None` when it can.
pub fn unsupported(cfg: &Config) -> Option<&'static str> {
    if !cfg.pids.is_empty() {
        Some("-p (attaching needs ptrace)")
    } else if cfg.syscalls {
        Some("-S")
    } else if !cfg.syms.is_empty() {
        Some("-x")
    } else if cfg.backtrace > 0 {
        Some("-w")
    } else if !cfg.filter.names_only() {
        Some("library filters (-l, -e ...@LIB)")
    } else {
        None
    }
}

/// Why the in-process backend cannot trace the program whose imports are `names`: calls
/// through pointers that `dlsym` returned pass no GOT slot (the ptrace backend breaks at the
/// functions themselves).
pub fn unsupported_program(cfg: &Config, names: &[String]) -> Option<&'static str> {
    let any = |set: &[&str]| names.iter().any(|n| set.contains(&n.as_str()));
    if any(&["dlopen", "dlmopen", "dlsym", "dlvsym"]) {
        Some("programs that dlopen")
    } else if cfg.follow && any(CHILDREN) {
        Some("-f of programs that fork or exec (threads only)")
    } else {
        None
    }
}

/// Call lines also show the signals the program receives, which the agent does not see:
/// programs that handle signals, send them or have children (`SIGCHLD`) run seized by ptrace,
/// stopping only at signal deliveries (no breakpoint; the calls still come from the agent),
/// unless `-b` hides signals (a fatal signal is then shown from the exit status).
pub fn needs_signal_stops(cfg: &Config, names: &[String]) -> bool {
    !cfg.count && !cfg.no_signals && names.iter().any(|n| SIGNALS.contains(&n.as_str()))
}

/// Imports that make another process or image, which `-f` would follow.
const CHILDREN: &[&str] = &[
    "fork",
    "vfork",
    "_Fork",
    "clone",
    "clone3",
    "system",
    "popen",
    "posix_spawn",
    "posix_spawnp",
    "execl",
    "execle",
    "execlp",
    "execv",
    "execve",
    "execvp",
    "execvpe",
    "fexecve",
];

/// Imports that make a program receive signals it survives.
const SIGNALS: &[&str] = &[
    "signal",
    "sigaction",
    "__sysv_signal",
    "bsd_signal",
    "sigset",
    "kill",
    "raise",
    "tgkill",
    "pthread_kill",
    "alarm",
    "setitimer",
    "timer_create",
    "fork",
    "vfork",
    "_Fork",
    "clone",
    "system",
    "popen",
    "posix_spawn",
    "posix_spawnp",
    "sigqueue",
];

/// Where the agent is: `$TRACEKIT_PRELOAD_DIR`, else next to the running ltrace-rs.
pub fn find_agent() -> Option<PathBuf> {
    let dir = match std::env::var_os("TRACEKIT_PRELOAD_DIR") {
        Some(d) => PathBuf::from(d),
        None => std::env::current_exe().ok()?.parent()?.to_path_buf(),
    };
    let p = dir.join(AGENT);
    p.is_file().then_some(p)
}

/// The program's imported functions; `None` when it is no ELF file we can read (a script).
pub fn imports(program: &Path) -> Option<Vec<String>> {
    let data = std::fs::read(program).ok()?;
    let info = elf::parse(&data).ok()?;
    let mut names: Vec<String> = info.imports.into_iter().map(|i| i.name).collect();
    names.dedup();
    Some(names)
}

/// The prototypes of the program's imports `names`: the declared one, else the one the DWARF
/// of the library that defines it gives (the first of the libraries the program loads that
/// exports it), else ltrace's default. The libraries are only looked for when some import has
/// no declared prototype, and only those with debug info are read.
fn import_protos(program: &Path, names: &[String], protos: &Protos) -> Vec<Proto> {
    if names.iter().all(|n| protos.declared(n).is_some()) {
        return names.iter().map(|n| protos.get(n)).collect();
    }
    let mut libs: Vec<(PathBuf, Option<elf::ElfInfo>)> = crate::dwarf::libraries(program)
        .into_iter()
        .map(|p| (p, None))
        .collect();
    let mut dwarf = crate::dwarf::Cache::default();
    names
        .iter()
        .map(|n| {
            if let Some(p) = protos.declared(n) {
                return p.clone();
            }
            for (path, info) in libs.iter_mut() {
                let info = info.get_or_insert_with(|| {
                    std::fs::read(&*path)
                        .ok()
                        .and_then(|d| elf::parse(&d).ok())
                        .unwrap_or_default()
                });
                if let Some(e) = info.exports.get(n) {
                    let addr = (!e.ifunc).then_some(e.addr);
                    return dwarf
                        .proto(path, n, addr)
                        .map_or_else(Proto::unknown, |p| (*p).clone());
                }
            }
            Proto::unknown()
        })
        .collect()
}

/// Runs `program` (already checked: a dynamically linked ELF) under the agent and fills
/// `summary` with what it counted.
pub fn run(
    cfg: &Config,
    program: &Path,
    agent: &Path,
    summary: &mut Summary,
) -> Result<Outcome, Error> {
    let names: Vec<String> = imports(program)
        .unwrap_or_default()
        .into_iter()
        .filter(|n| cfg.filter.matches(n, ""))
        .collect();
    let dir = std::env::temp_dir();
    let counts = tempfile_in(&dir, names.len()).map_err(|e| {
        Error::new(format!(
            "can't create the counts file in {}: {e}",
            dir.display()
        ))
    })?;
    let status = command(cfg, program, agent, &names)
        .env("TRACEKIT_LTRACE_COUNTS", &counts.0)
        .status()
        .map_err(|e| Error::new(format!("Can't execute `{}': {e}", cfg.command[0])))?;
    let data = std::fs::read(&counts.0).map_err(|e| Error::new(format!("counts: {e}")))?;
    for (name, calls, nanos) in read_counts(&data, &names) {
        let name = if cfg.demangle {
            crate::demangle(name)
        } else {
            name.to_owned()
        };
        summary.add_many(&name, calls, Duration::from_nanos(nanos));
    }
    Ok(outcome(status))
}

/// The program's command, with the agent preloaded and told which functions to trace.
fn command(cfg: &Config, program: &Path, agent: &Path, names: &[String]) -> std::process::Command {
    use std::os::unix::process::CommandExt;
    let mut cmd = std::process::Command::new(program);
    cmd.arg0(&cfg.command[0])
        .args(&cfg.command[1..])
        .envs(agent_env(cfg, agent, names));
    cmd
}

/// The variables that load and configure the agent.
fn agent_env(cfg: &Config, agent: &Path, names: &[String]) -> Vec<(String, std::ffi::OsString)> {
    let mut preload = agent.as_os_str().to_owned();
    if let Some(old) = std::env::var_os("LD_PRELOAD").filter(|o| !o.is_empty()) {
        preload.push(":");
        preload.push(old);
    }
    let follow = if cfg.follow { "1" } else { "0" };
    vec![
        ("LD_PRELOAD".into(), preload),
        ("TRACEKIT_LTRACE_FUNCS".into(), names.join(",").into()),
        ("TRACEKIT_LTRACE_FOLLOW".into(), follow.into()),
    ]
}

/// Starts `program` under the agent (with `more` variables) seized by ptrace, stopped before
/// its `execve`; threads and children are reported (children to be let go).
fn spawn_seized(
    cfg: &Config,
    program: &Path,
    agent: &Path,
    names: &[String],
    more: &[(&str, &Path)],
) -> io::Result<i32> {
    use std::ffi::CString;
    let mut set: Vec<(std::ffi::OsString, std::ffi::OsString)> = agent_env(cfg, agent, names)
        .into_iter()
        .map(|(k, v)| (k.into(), v))
        .collect();
    set.extend(
        more.iter()
            .map(|(k, v)| ((*k).into(), v.as_os_str().to_owned())),
    );
    let mut env: Vec<CString> = Vec::new();
    let cstr = |b: &[u8]| CString::new(b).map_err(|_| io::Error::other("NUL in a string"));
    for (k, v) in std::env::vars_os().filter(|(k, _)| !set.iter().any(|(s, _)| s == k)) {
        env.push(cstr(&[k.as_bytes(), b"=", v.as_bytes()].concat())?);
    }
    for (k, v) in &set {
        env.push(cstr(&[k.as_bytes(), b"=", v.as_bytes()].concat())?);
    }
    let spawn = tracekit_ptrace::SpawnOptions {
        path: cstr(program.as_os_str().as_bytes())?,
        argv: cfg
            .command
            .iter()
            .map(|a| cstr(a.as_bytes()))
            .collect::<io::Result<_>>()?,
        env: Some(env),
        user: None,
        seccomp: None,
        exec_error_prefix: None,
        inherit_signal_mask: false,
    };
    let opts = tracekit_ptrace::Options {
        follow_forks: true,
        ..tracekit_ptrace::Options::default()
    };
    let pid = tracekit_ptrace::spawn(&spawn, opts)?;
    tracekit_ptrace::resume(pid, tracekit_ptrace::Resume::Continue, 0)?;
    Ok(pid.0)
}

fn outcome(status: std::process::ExitStatus) -> Outcome {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(c), _) => Outcome::Exited(c),
        (None, Some(s)) => Outcome::Killed(s),
        _ => Outcome::Exited(0),
    }
}

/// The events file (call lines), mapped; removed on drop.
struct Events {
    path: PathBuf,
    map: *mut u8,
    len: usize,
    functions: usize,
}

impl Drop for Events {
    fn drop(&mut self) {
        // SAFETY: our own mapping of `len` bytes, no reference to it outlives `self`.
        unsafe { libc::munmap(self.map.cast(), self.len) };
        let _ = std::fs::remove_file(&self.path);
    }
}

impl Events {
    /// Creates the events file for `plans` (one per traced function) in `dir`: private, as
    /// the counts file; sparse (rings are touched as they fill).
    fn create(dir: &Path, plans: &[Vec<wire::Read>]) -> io::Result<Events> {
        use std::io::Write;
        use std::os::fd::AsRawFd;
        use std::os::unix::fs::OpenOptionsExt;
        let n = plans.len();
        let mut head = vec![0u8; wire::rings_offset(n)];
        head[..8].copy_from_slice(&wire::EV_MAGIC.to_le_bytes());
        head[8..16].copy_from_slice(&(n as u64).to_le_bytes());
        for (i, plan) in plans.iter().enumerate() {
            for (k, r) in plan.iter().take(wire::READS).enumerate() {
                let at = 64 + i * wire::PLAN + k * 16;
                let [a, b] = r.encode();
                head[at..at + 8].copy_from_slice(&a.to_le_bytes());
                head[at + 8..at + 16].copy_from_slice(&b.to_le_bytes());
            }
        }
        let len = wire::file_len(n);
        for attempt in 0..100u32 {
            let path = dir.join(format!("ltrace-rs-{}-{attempt}.events", std::process::id()));
            let file = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create_new(true)
                .mode(0o600)
                .custom_flags(libc::O_NOFOLLOW)
                .open(&path);
            let mut f = match file {
                Ok(f) => f,
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            };
            let made = f.write_all(&head).and_then(|()| f.set_len(len as u64));
            if let Err(e) = made {
                let _ = std::fs::remove_file(&path);
                return Err(e);
            }
            // SAFETY: a shared mapping of the file just sized to `len` bytes.
            let map = unsafe {
                libc::mmap(
                    std::ptr::null_mut(),
                    len,
                    libc::PROT_READ | libc::PROT_WRITE,
                    libc::MAP_SHARED,
                    f.as_raw_fd(),
                    0,
                )
            };
            if map == libc::MAP_FAILED {
                let e = io::Error::last_os_error();
                let _ = std::fs::remove_file(&path);
                return Err(e);
            }
            return Ok(Events {
                path,
                map: map.cast(),
                len,
                functions: n,
            });
        }
        Err(io::Error::other("no free name"))
    }

    fn header(&self) -> &wire::EvHeader {
        // SAFETY: the mapping starts with the header, page-aligned, alive as long as `self`.
        unsafe { &*self.map.cast::<wire::EvHeader>() }
    }

    fn ring(&self, i: usize) -> &wire::RingHeader {
        let at = self.map.wrapping_add(wire::ring_offset(self.functions, i));
        // SAFETY: ring `i` < THREADS lies inside the mapping, 64-aligned.
        unsafe { &*at.cast::<wire::RingHeader>() }
    }

    /// Moves the records written since the last call out of the rings into `out`, each with
    /// its thread and process; true when there were any.
    fn drain(&self, out: &mut BTreeMap<u64, Record>) -> bool {
        let taken = (self.header().threads.load(Ordering::Acquire) as usize).min(wire::THREADS);
        let mut any = false;
        for i in 0..taken {
            let rh = self.ring(i);
            let head = rh.head.load(Ordering::Acquire);
            let tail = rh.tail.load(Ordering::Relaxed);
            if head == tail {
                continue;
            }
            let tid = rh.tid.load(Ordering::Relaxed) as i32;
            let pid = rh.pid.load(Ordering::Relaxed) as i32;
            let data = self
                .map
                .wrapping_add(wire::ring_offset(self.functions, i) + 64);
            let len = (head - tail) as usize;
            let mut bytes = vec![0u8; len];
            let off = (tail % wire::RING as u64) as usize;
            let first = len.min(wire::RING - off);
            // SAFETY: the bytes between `tail` and `head` of this ring's data, published by
            // the writer's release store of `head` (acquired above), not rewritten until
            // `tail` moves past them.
            unsafe {
                std::ptr::copy_nonoverlapping(data.wrapping_add(off), bytes.as_mut_ptr(), first)
            };
            // SAFETY: as above, the part that wrapped to the ring's start.
            unsafe {
                std::ptr::copy_nonoverlapping(data, bytes.as_mut_ptr().add(first), len - first)
            };
            rh.tail.store(head, Ordering::Release);
            any = true;
            let mut at = 0;
            while at + wire::REC_WORDS * 8 <= bytes.len() {
                let w0 = word(&bytes, at);
                let rlen = (w0 >> 32) as usize;
                if rlen < wire::REC_WORDS * 8 || at + rlen > bytes.len() {
                    break;
                }
                let rec = Record::parse(&bytes[at..at + rlen], tid, pid);
                out.insert(rec.seq, rec);
                at += rlen;
            }
        }
        any
    }
}

fn word(b: &[u8], at: usize) -> u64 {
    b.get(at..at + 8)
        .map_or(0, |w| u64::from_le_bytes(w.try_into().expect("8 bytes")))
}

/// One event the agent recorded.
#[derive(Debug, Clone)]
struct Record {
    kind: u64,
    seq: u64,
    index: usize,
    depth: usize,
    time: u64,
    ret_addr: u64,
    /// The argument registers (an entry), or [rax, entry time, xmm0, ...] (a return).
    words: [u64; 6],
    slot: u64,
    tid: i32,
    pid: i32,
    mem: Snapshot,
}

impl Record {
    fn parse(b: &[u8], tid: i32, pid: i32) -> Record {
        let w = |i: usize| word(b, i * 8);
        let mut words = [0u64; 6];
        for (k, x) in words.iter_mut().enumerate() {
            *x = w(5 + k);
        }
        let mut mem = Snapshot::default();
        let mut at = wire::REC_WORDS * 8;
        while at + 16 <= b.len() {
            let (addr, n) = (word(b, at), word(b, at + 8) as usize);
            let Some(data) = b.get(at + 16..at + 16 + n) else {
                break;
            };
            mem.0.push((addr, data.to_vec()));
            at += 16 + n.div_ceil(8) * 8;
        }
        Record {
            kind: w(0) & 0xffff_ffff,
            seq: w(1),
            index: (w(2) & 0xffff_ffff) as usize,
            depth: (w(2) >> 32) as usize,
            time: w(3),
            ret_addr: w(4),
            words,
            slot: w(11),
            tid,
            pid,
            mem,
        }
    }
}

/// The memory the agent copied for one event: (address, bytes) pieces.
#[derive(Debug, Clone, Default)]
struct Snapshot(Vec<(u64, Vec<u8>)>);

impl Snapshot {
    /// The copied bytes from `addr` on, from the piece that holds `addr`.
    fn from(&self, addr: u64) -> Option<&[u8]> {
        self.0.iter().find_map(|(a, b)| {
            let off = addr.checked_sub(*a)? as usize;
            (off < b.len()).then(|| &b[off..])
        })
    }
}

impl Memory for Snapshot {
    fn cstr(&self, addr: u64, max: usize) -> Option<(Vec<u8>, bool)> {
        let b = self.from(addr)?;
        // The agent copied the string's bytes up to its NUL, or `max` and the byte after.
        match b.iter().take(max + 1).position(|&c| c == 0) {
            Some(z) => Some((b[..z.min(max)].to_vec(), true)),
            None => Some((b[..b.len().min(max)].to_vec(), false)),
        }
    }

    fn bytes(&self, addr: u64, len: usize) -> Option<Vec<u8>> {
        if len == 0 {
            return Some(Vec::new());
        }
        self.from(addr)
            .filter(|b| b.len() >= len)
            .map(|b| b[..len].to_vec())
    }
}

/// A call of a thread waiting for its return line.
#[derive(Debug)]
struct Open {
    index: usize,
    regs: proto::Regs,
    slot: u64,
}

impl Record {
    /// The registers of an entry: the integer ones, and xmm0-7 when the agent copied them.
    fn regs(&self) -> proto::Regs {
        let mut xmm = [0u64; 8];
        if let Some(b) = self.mem.bytes(wire::FPREGS_ADDR, 64) {
            for (x, w) in xmm.iter_mut().zip(b.chunks_exact(8)) {
                *x = u64::from_le_bytes(w.try_into().expect("8 bytes"));
            }
        }
        proto::Regs {
            gp: self.words,
            xmm,
        }
    }

    /// A return's value as the formatter takes it for a function returning `ty`.
    fn ret_word(&self, ty: &proto::Ty) -> u64 {
        let st0 = self.mem.bytes(wire::ST0_ADDR, 10);
        proto::ret_word(ty, self.words[0], self.words[2], st0.as_deref())
    }
}

/// Runs `program` under the agent and prints its calls as the ptrace backend does (the
/// events come in through the rings of a shared file, read while the program runs); with
/// `log`, each returned call is also a `LibCall` event there (and with `-c` the calls are
/// counted instead of printed).
pub fn run_lines(
    cfg: &Config,
    program: &Path,
    agent: &Path,
    tracer: &mut Tracer<'_>,
    log: Option<crate::tracer::LogWriter>,
) -> Result<Outcome, Error> {
    let names: Vec<String> = imports(program)
        .unwrap_or_default()
        .into_iter()
        .filter(|n| cfg.filter.matches(n, ""))
        .collect();
    let protos = Protos::for_run(&cfg.config_files);
    let style = proto::Style {
        strsize: cfg.strsize,
        arraylen: cfg.arraylen,
    };
    let protos = if cfg.no_dwarf {
        names.iter().map(|n| protos.get(n)).collect()
    } else {
        import_protos(program, &names, &protos)
    };
    let plans: Vec<Vec<wire::Read>> = protos.iter().map(|p| proto::reads(p, style)).collect();
    // With a filter, ltrace names the object whose call it is: always the program here.
    let by = if cfg.filter.is_default() {
        String::new()
    } else {
        let exe = std::fs::canonicalize(program).unwrap_or_else(|_| program.to_path_buf());
        let exe = exe.file_name().unwrap_or_default().to_string_lossy();
        format!("{exe}->")
    };
    let plain: Vec<String> = names
        .iter()
        .map(|n| {
            if cfg.demangle {
                crate::demangle(n)
            } else {
                n.clone()
            }
        })
        .collect();
    let shown: Vec<String> = plain.iter().map(|n| format!("{by}{n}")).collect();
    let dir = std::env::temp_dir();
    let temp_err = |e: io::Error| {
        Error::new(format!(
            "can't create the events file in {}: {e}",
            dir.display()
        ))
    };
    let counts = tempfile_in(&dir, names.len()).map_err(temp_err)?;
    let events = Events::create(&dir, &plans).map_err(temp_err)?;
    let cant = |e: io::Error| Error::new(format!("Can't execute `{}': {e}", cfg.command[0]));
    let seized = needs_signal_stops(cfg, &imports(program).unwrap_or_default());
    let (mut child, main) = if seized {
        let more = [
            ("TRACEKIT_LTRACE_COUNTS", counts.0.as_path()),
            ("TRACEKIT_LTRACE_EVENTS", events.path.as_path()),
        ];
        let pid = spawn_seized(cfg, program, agent, &names, &more).map_err(cant)?;
        (None, pid)
    } else {
        let child = command(cfg, program, agent, &names)
            .env("TRACEKIT_LTRACE_COUNTS", &counts.0)
            .env("TRACEKIT_LTRACE_EVENTS", &events.path)
            .spawn()
            .map_err(cant)?;
        let pid = child.id() as i32;
        (Some(child), pid)
    };
    if let Some(log) = log {
        let cmdline = cfg.command.join("\0");
        tracer
            .log_to(
                log,
                main,
                program.as_os_str().as_encoded_bytes(),
                cmdline.as_bytes(),
            )
            .map_err(|e| Error::new(format!("--log: {e}")))?;
    }
    // The object defining each function (`--log`), as the agent found it.
    let mut libs: Vec<String> = vec![String::new(); names.len()];
    // Event times are CLOCK_MONOTONIC: shown as the wall-clock time they happened.
    let (mono0, wall0) = (mono_now(), std::time::SystemTime::now());
    let wall = |t: u64| wall0 + Duration::from_nanos(t.saturating_sub(mono0));
    let mut pending: BTreeMap<u64, Record> = BTreeMap::new();
    let mut next = 0u64;
    let mut open: HashMap<i32, Vec<Open>> = HashMap::new();
    let mut print = |rec: Record, tracer: &mut Tracer<'_>| -> io::Result<()> {
        if rec.kind == wire::KIND_LIB {
            if let (Some(lib), Some((_, path))) = (libs.get_mut(rec.index), rec.mem.0.first()) {
                let path = Path::new(std::ffi::OsStr::from_bytes(path));
                *lib = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
            }
            return Ok(());
        }
        let Some(proto) = protos.get(rec.index) else {
            return Ok(());
        };
        let name = &shown[rec.index];
        let stack = open.entry(rec.tid).or_default();
        let printer = &mut tracer.printer;
        printer.set_clock(Some(wall(rec.time)));
        match rec.kind {
            wire::KIND_ENTRY | wire::KIND_NORET if cfg.count => {
                if rec.kind == wire::KIND_ENTRY {
                    stack.truncate(rec.depth);
                    stack.push(Open {
                        index: rec.index,
                        regs: rec.regs(),
                        slot: rec.slot,
                    });
                }
            }
            wire::KIND_ENTRY | wire::KIND_NORET => {
                let regs = rec.regs();
                let args = proto::call_args(
                    proto,
                    &regs,
                    rec.slot,
                    0..proto.entry_params(),
                    None,
                    &rec.mem,
                    style,
                );
                printer.entry(rec.tid, rec.depth, rec.ret_addr, name, &args)?;
                if rec.kind == wire::KIND_NORET {
                    printer.no_return(rec.tid)?;
                } else {
                    stack.truncate(rec.depth);
                    stack.push(Open {
                        index: rec.index,
                        regs: rec.regs(),
                        slot: rec.slot,
                    });
                }
            }
            _ => {
                stack.truncate(rec.depth + 1);
                let call = stack.pop().filter(|o| o.index == rec.index);
                let (regs, slot) =
                    call.map_or((proto::Regs::default(), rec.slot), |o| (o.regs, o.slot));
                let rax = rec.words[0];
                let spent = Duration::from_nanos(rec.time.saturating_sub(rec.words[1]));
                let lib = &libs[rec.index];
                if !lib.is_empty() {
                    tracer.log_call(
                        rec.pid,
                        rec.tid,
                        rec.words[1],
                        rec.time,
                        lib,
                        &names[rec.index],
                        rax,
                    )?;
                }
                if cfg.count {
                    tracer.summary.add(&plain[rec.index], spent);
                    return Ok(());
                }
                let printer = &mut tracer.printer;
                let rv = rec.ret_word(&proto.ret);
                let late = proto.entry_params()..proto.params.len();
                let mut late_args = String::new();
                if !late.is_empty() {
                    late_args =
                        proto::call_args(proto, &regs, slot, late, Some(rv), &rec.mem, style);
                    if proto.entry_params() > 0 {
                        late_args.insert_str(0, ", ");
                    }
                }
                let args = proto::param_words(proto, &regs, slot, &rec.mem);
                let ret = proto::value(&proto.ret, rv, &args, Some(rv), &rec.mem, style);
                printer.ret(
                    rec.tid,
                    rec.depth,
                    rec.ret_addr,
                    name,
                    &late_args,
                    &ret,
                    spent,
                )?;
            }
        }
        Ok(())
    };
    // A reader that went away (`ltrace-rs ... 2>&1 | head`) ends the trace quietly; the
    // program runs on, its agent stops recording once its ring is full and we are gone.
    let io_err = |e: io::Error| {
        if e.kind() == io::ErrorKind::BrokenPipe {
            Error {
                msg: String::new(),
                code: 0,
            }
        } else {
            Error::new(e.to_string())
        }
    };
    // Seized: children stopped before their parent's fork event.
    let mut early: Vec<i32> = Vec::new();
    let status = loop {
        let exited = match child.as_mut() {
            Some(c) => c.try_wait().map_err(io_err)?.map(outcome),
            None => {
                // Seized: the stops so far. A signal's line comes after the calls before it.
                let mut ended = None;
                while let Some((p, stop, _)) = tracekit_ptrace::wait_pid(None, true)
                    .or_else(|e| match e.raw_os_error() {
                        Some(libc::ECHILD) => Ok(None),
                        _ => Err(e),
                    })
                    .map_err(io_err)?
                {
                    use tracekit_ptrace::{resume, Event, Resume, Stop};
                    let r = match stop {
                        Stop::Signal(sig) if is_thread_of(p.0, main) => {
                            events.drain(&mut pending);
                            while let Some(rec) = pending.remove(&next) {
                                next += 1;
                                print(rec, tracer).map_err(io_err)?;
                            }
                            let line = format!(
                                "--- {} ({}) ---",
                                crate::tracer::signame(sig),
                                crate::tracer::sigdesc(sig)
                            );
                            // Without -f only the first thread's signals are shown (as
                            // ltrace, and the ptrace backend).
                            if cfg.follow || p.0 == main {
                                let ip = tracekit_ptrace::get_regs(p).ok().map(|r| r.rip);
                                tracer.printer.set_clock(None);
                                tracer.printer.event(p.0, ip, &line).map_err(io_err)?;
                            }
                            resume(p, Resume::Continue, sig)
                        }
                        // A child (not followed: the agent in it records nothing of ours), ahead
                        // of its parent's event: let go with that event, not before (its
                        // SIGCHLD must not reach the parent before the fork returns).
                        Stop::Signal(_) | Stop::Interrupt if !is_thread_of(p.0, main) => {
                            early.push(p.0);
                            Ok(())
                        }
                        Stop::GroupStop(_) => tracekit_ptrace::listen(p),
                        Stop::Exited(c) if p.0 == main => {
                            ended = Some(Outcome::Exited(c));
                            Ok(())
                        }
                        Stop::Killed { signal, .. } if p.0 == main => {
                            ended = Some(Outcome::Killed(signal));
                            Ok(())
                        }
                        Stop::Exited(_) | Stop::Killed { .. } => Ok(()),
                        // A child: let go at its first stop, before its parent goes on (as the
                        // ptrace backend does).
                        Stop::Event(Event::Fork(c) | Event::Vfork(c) | Event::Clone(c))
                            if !is_thread_of(c.0, main) =>
                        {
                            if let Some(i) = early.iter().position(|&e| e == c.0) {
                                early.swap_remove(i);
                                let _ = tracekit_ptrace::detach(c, 0);
                            } else {
                                let _ = let_go(c);
                            }
                            resume(p, Resume::Continue, 0)
                        }
                        Stop::Event(_) | Stop::Interrupt | Stop::Syscall => {
                            resume(p, Resume::Continue, 0)
                        }
                        _ => resume(p, Resume::Continue, 0),
                    };
                    // A thread killed under us: nothing to resume.
                    if let Err(e) = r {
                        if e.raw_os_error() != Some(libc::ESRCH) {
                            return Err(io_err(e));
                        }
                    }
                    if ended.is_some() {
                        break;
                    }
                }
                ended
            }
        };
        let any = events.drain(&mut pending);
        if let Some(status) = exited {
            // The last events, then those whose sequence number has a gap before them (a
            // thread killed between taking its number and writing its record).
            events.drain(&mut pending);
            while let Some((_, rec)) = pending.pop_first() {
                print(rec, tracer).map_err(io_err)?;
            }
            break status;
        }
        while let Some(rec) = pending.remove(&next) {
            next += 1;
            print(rec, tracer).map_err(io_err)?;
        }
        if crate::interrupted() {
            // SIGINT/SIGTERM to ltrace-rs alone: as the ptrace backend detaches, we stop
            // reading and leave; the program runs on (its agent stops recording once its ring
            // is full and we are gone).
            tracer.printer.flush().map_err(io_err)?;
            return Ok(Outcome::Detached);
        }
        if !any {
            tracer.printer.flush().map_err(io_err)?;
            std::thread::sleep(Duration::from_millis(2));
        }
    };
    let printer = &mut tracer.printer;
    printer.set_clock(None);
    let dropped = events.header().dropped.load(Ordering::Relaxed);
    if dropped > 0 {
        eprintln!(
            "{}: note: {dropped} calls were not recorded (more than {} threads, or a call \
             made while one was being recorded)",
            crate::PROG,
            wire::THREADS
        );
    }
    let out = status;
    if cfg.count {
        return Ok(out);
    }
    let text = match out {
        Outcome::Killed(sig) => {
            // SIGKILL is never seen delivered (no signal-delivery stop under ptrace either);
            // seized, the fatal signal's delivery was shown.
            if !cfg.no_signals && sig != libc::SIGKILL && !seized {
                let line = format!(
                    "--- {} ({}) ---",
                    crate::tracer::signame(sig),
                    crate::tracer::sigdesc(sig)
                );
                printer.event(main, None, &line).map_err(io_err)?;
            }
            format!("+++ killed by {} +++", crate::tracer::signame(sig))
        }
        Outcome::Exited(c) => format!("+++ exited (status {c}) +++"),
        Outcome::Detached => String::new(),
    };
    printer.event(main, Some(u64::MAX), &text).map_err(io_err)?;
    printer.flush().map_err(io_err)?;
    Ok(out)
}

/// Waits for child `c`'s first stop and detaches it.
fn let_go(c: tracekit_ptrace::Pid) -> io::Result<()> {
    use tracekit_ptrace::Stop;
    loop {
        match tracekit_ptrace::wait_pid(Some(c), false)? {
            Some((_, Stop::Interrupt | Stop::Signal(_), _)) => {
                return tracekit_ptrace::detach(c, 0)
            }
            Some((_, Stop::Exited(_) | Stop::Killed { .. }, _)) | None => return Ok(()),
            Some(_) => tracekit_ptrace::resume(c, tracekit_ptrace::Resume::Continue, 0)?,
        }
    }
}

/// Whether task `tid` is a thread of process `tgid` (else a child of it).
fn is_thread_of(tid: i32, tgid: i32) -> bool {
    tid == tgid
        || std::fs::read_to_string(format!("/proc/{tid}/status")).is_ok_and(|s| {
            s.lines()
                .any(|l| l.strip_prefix("Tgid:").map(str::trim) == Some(&tgid.to_string()))
        })
}

/// CLOCK_MONOTONIC in nanoseconds (the agent's clock).
pub(crate) fn mono_now() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid out-pointer; CLOCK_MONOTONIC always exists.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// The counts file, removed on drop.
struct Counts(PathBuf);

impl Drop for Counts {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Creates the counts file for `n` functions: the header, zeroed counters; private (0600,
/// created new, never through a symlink).
fn tempfile_in(dir: &Path, n: usize) -> io::Result<Counts> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut header = Vec::with_capacity(HEADER + n * COUNTER);
    header.extend_from_slice(MAGIC);
    header.extend_from_slice(&(n as u64).to_le_bytes());
    header.resize(HEADER + n * COUNTER, 0);
    for attempt in 0..100u32 {
        let path = dir.join(format!("ltrace-rs-{}-{attempt}.counts", std::process::id()));
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&path);
        match file {
            Ok(mut f) => {
                let counts = Counts(path);
                f.write_all(&header)?;
                return Ok(counts);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other("no free name"))
}

/// The functions called at least once, with their calls and nanoseconds.
fn read_counts<'a>(data: &[u8], names: &'a [String]) -> Vec<(&'a str, u64, u64)> {
    let word = |i: usize| {
        data.get(i..i + 8)
            .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
            .unwrap_or(0)
    };
    names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let at = HEADER + i * COUNTER;
            (n.as_str(), word(at), word(at + 8))
        })
        .filter(|&(_, calls, _)| calls > 0)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The agent copies a string's bytes and its NUL, or `max` bytes and the one after: the
    /// snapshot answers as reading the tracee's memory does (`read_cstr`).
    #[test]
    fn a_snapshot_answers_string_reads_as_the_tracee_would() {
        let mem = Snapshot(vec![
            (0x1000, b"abc\0".to_vec()),
            (0x2000, b"abcdefghi".to_vec()),
            (0x3000, b"abcd\0".to_vec()),
            (0x4000, vec![1, 2, 3, 4, 5, 6, 7, 8]),
        ]);
        assert_eq!(mem.cstr(0x1000, 8), Some((b"abc".to_vec(), true)));
        assert_eq!(mem.cstr(0x1001, 8), Some((b"bc".to_vec(), true)));
        // Longer than max: cut, not terminated.
        assert_eq!(mem.cstr(0x2000, 8), Some((b"abcdefgh".to_vec(), false)));
        // Exactly max bytes, then the NUL: terminated.
        assert_eq!(mem.cstr(0x3000, 4), Some((b"abcd".to_vec(), true)));
        assert_eq!(mem.cstr(0x5000, 8), None);
        assert_eq!(mem.bytes(0x4002, 4), Some(vec![3, 4, 5, 6]));
        assert_eq!(mem.bytes(0x4002, 7), None);
        assert_eq!(mem.bytes(0x9000, 0), Some(Vec::new()));
    }

    /// The plan ltrace-rs sends the agent copies what the formatter reads: strings up to -s
    /// at the entry, output parameters and returned strings at the return, printf formats.
    #[test]
    fn plans_read_what_the_prototype_prints() {
        use wire::op;
        let mut protos = Protos::default();
        protos.parse_text(
            "int puts(string);\nstring getenv(string);\nint printf(format);\n\
             long read(int, +string[retval], ulong);\nint stat(string, +struct(int,int)*);",
        );
        let style = proto::Style {
            strsize: 32,
            arraylen: 4,
        };
        let ops = |name: &str| -> Vec<(u8, bool, u8, u64)> {
            proto::reads(&protos.get(name), style)
                .iter()
                .map(|r| (r.op, r.at_exit, r.src, r.max))
                .collect()
        };
        assert_eq!(ops("puts"), vec![(op::CSTR, false, 1, 32)]);
        assert_eq!(
            ops("getenv"),
            vec![(op::CSTR, false, 1, 32), (op::CSTR, true, 0, 32)]
        );
        assert_eq!(
            ops("printf"),
            vec![(op::FPREGS, false, 0, 0), (op::FORMAT, false, 1, 32)]
        );
        assert_eq!(ops("read"), vec![(op::CSTR, true, 2, 32)]);
        assert_eq!(
            ops("stat"),
            vec![(op::CSTR, false, 1, 32), (op::BYTES, true, 2, 8)]
        );
        assert_eq!(ops("unknown_function"), vec![]);
    }

    #[test]
    fn counts_are_read_per_name_and_uncalled_functions_left_out() {
        let names = vec!["strlen".to_owned(), "free".to_owned(), "puts".to_owned()];
        let mut data = vec![0u8; HEADER + 3 * COUNTER];
        data[..8].copy_from_slice(MAGIC);
        data[HEADER..HEADER + 8].copy_from_slice(&5u64.to_le_bytes());
        data[HEADER + 8..HEADER + 16].copy_from_slice(&700u64.to_le_bytes());
        let at = HEADER + 2 * COUNTER;
        data[at..at + 8].copy_from_slice(&1u64.to_le_bytes());
        assert_eq!(
            read_counts(&data, &names),
            vec![("strlen", 5, 700), ("puts", 1, 0)]
        );
    }
}
