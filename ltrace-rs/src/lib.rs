//! ltrace-rs: a library call tracer with ltrace's command line and output.
//!
//! The ptrace backend ([`tracer`]) breaks at the entry of each imported function inside the
//! library that implements it, so calls are seen whatever the linkage (lazy or immediate
//! binding, `.plt.sec`, `-fno-plt`, IFUNCs, non-PIE); a hit counts when its return address is
//! in the program. Prototypes come from ltrace's own files and a bundled set ([`proto`]), then
//! from the DWARF of the module that defines the function ([`dwarf`]). Arguments are read where
//! the x86-64 SysV ABI puts them: integers in the six registers, `float`/`double` in xmm0-7
//! (`PTRACE_GETFPREGS`; the agent's entry saves them), the rest on the stack; a `float` or
//! `double` result in xmm0, a `long double` one in st0. A library function imported with a
//! symbol version breaks in the library that version names (`ldexp` is libm's and libc's).
//! `-c` of a program ltrace-rs starts runs in-process instead ([`inproc`]: the
//! `preload-ltrace` agent counts the calls through redirected GOT slots).

pub mod backtrace;
pub mod cli;
pub mod dwarf;
pub mod elf;
pub mod filter;
pub mod inproc;
pub mod insn;
pub mod lazyret;
pub mod output;
pub mod procfs;
pub mod proto;
pub mod stubs;
pub mod tracer;
// The events file's layout, shared with the agent (its `wire` module, the same file).
#[path = "../../preload-ltrace/src/wire.rs"]
pub mod wire;

use std::ffi::CString;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use tracekit_ptrace::{self as pt, Pid};

pub use filter::Filter;
pub use tracer::Outcome;

/// The program's name in messages.
pub const PROG: &str = "ltrace-rs";

/// What to trace and how to print it (built from the command line by [`cli::parse`]).
#[derive(Debug, Clone)]
pub struct Config {
    /// The command to run (empty with `-p`).
    pub command: Vec<String>,
    /// `-p`.
    pub pids: Vec<i32>,
    /// `-c`.
    pub count: bool,
    /// `-o FILE`.
    pub output: Option<PathBuf>,
    /// `-f`.
    pub follow: bool,
    /// `-e`, `-l`, `-L`.
    pub filter: Filter,
    /// `-L`: no library calls at all (only `-x` symbols).
    pub no_libs: bool,
    /// `-x` globs: symbols of the program traced at their entry.
    pub syms: Vec<String>,
    /// `-s`.
    pub strsize: usize,
    /// `-w N`: the caller's stack (N frames) after each return line.
    pub backtrace: usize,
    /// `-A`: the most array elements printed.
    pub arraylen: usize,
    /// `-C`.
    pub demangle: bool,
    /// `-S`: system calls too, as `SYS_name(args) = ret` lines.
    pub syscalls: bool,
    /// `-b`: signals are not shown (still delivered).
    pub no_signals: bool,
    /// `-F FILE`: prototype files read instead of ltrace's and the bundled ones.
    pub config_files: Vec<PathBuf>,
    /// `--no-dwarf`: functions no file declares keep ltrace's default formatting, their
    /// module's DWARF unread (as ltrace 0.7.3 prints them).
    pub no_dwarf: bool,
    /// `--log FILE`: the common event log (a `LibCall` event per returned call).
    pub log: Option<PathBuf>,
    /// The output columns.
    pub layout: output::Layout,
    /// `--backend`.
    pub backend: inproc::Backend,
    /// `--wait-spin`: how the ptrace tracer waits for the next stop.
    pub wait_spin: tracekit_ptrace::Spin,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            command: Vec::new(),
            pids: Vec::new(),
            count: false,
            output: None,
            follow: false,
            filter: Filter::all(),
            no_libs: false,
            syms: Vec::new(),
            strsize: 32,
            arraylen: 4,
            backtrace: 0,
            demangle: false,
            syscalls: false,
            no_signals: false,
            config_files: Vec::new(),
            no_dwarf: false,
            log: None,
            layout: output::Layout::default(),
            backend: inproc::Backend::Auto,
            wait_spin: tracekit_ptrace::Spin::Auto,
        }
    }
}

/// An error for the user: one line, and the exit code ltrace uses for it.
#[derive(Debug)]
pub struct Error {
    /// The message (without the program name).
    pub msg: String,
    /// The exit code.
    pub code: i32,
}

impl Error {
    fn new(msg: impl Into<String>) -> Error {
        Error {
            msg: msg.into(),
            code: 1,
        }
    }
}

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// True once SIGINT/SIGTERM arrived (we then detach).
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::Relaxed)
}

extern "C" fn on_signal(_: libc::c_int) {
    INTERRUPTED.store(true, Ordering::Relaxed);
}

fn catch_interrupts() {
    for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
        // SAFETY: `sa` is fully initialized below; the handler only stores to an atomic, which
        // is async-signal-safe. No SA_RESTART: the wait in progress returns EINTR.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_signal as *const () as usize;
            libc::sigemptyset(&mut sa.sa_mask);
            libc::sigaction(sig, &sa, std::ptr::null_mut());
        }
    }
}

/// The ptrace options: every fork, vfork, clone and exec is followed (a child we do not
/// trace still has our breakpoints in its copy of the memory, which we remove); system call
/// stops are told apart from SIGTRAPs for `-S`.
pub fn options(cfg: &Config) -> pt::Options {
    pt::Options {
        follow_forks: true,
        exit_kill: false,
        sysgood: cfg.syscalls,
        // Calls that returned through a trampoline are collected at the exit event.
        exit: tracer::lazy_returns(cfg),
        ..pt::Options::default()
    }
}

/// `_Z` (C++) and `_R` (Rust v0) names demangled; anything else unchanged.
pub fn demangle(name: &str) -> String {
    if name.starts_with("_R") || name.starts_with("_ZN") && name.ends_with('E') {
        if let Ok(d) = rustc_demangle::try_demangle(name) {
            if name.starts_with("_R") || d.to_string().contains("::h") {
                return format!("{d:#}");
            }
        }
    }
    if name.starts_with("_Z") {
        if let Ok(sym) = cpp_demangle::Symbol::new(name) {
            if let Ok(s) = sym.demangle() {
                return s;
            }
        }
    }
    name.to_owned()
}

fn find_in_path(cmd: &str) -> Option<PathBuf> {
    if cmd.contains('/') {
        return Some(PathBuf::from(cmd));
    }
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths)
        .map(|d| d.join(cmd))
        .find(|p| p.is_file())
}

/// Checks the program before running it: ltrace's messages for a missing, non-ELF or static
/// program.
fn check_program(path: &Path, cfg: &Config) -> Result<(), Error> {
    let data = std::fs::read(path)
        .map_err(|e| Error::new(format!("Can't open {}: {e}", path.display())))?;
    if !elf::is_elf(&data) {
        // A script: the kernel runs its interpreter, which is what gets traced.
        if data.starts_with(b"#!") {
            return Ok(());
        }
        return Err(Error::new(format!("{}: not an ELF file", path.display())));
    }
    let info = elf::parse(&data).map_err(|e| Error::new(format!("{}: {e}", path.display())))?;
    if !info.interp && cfg.syms.is_empty() {
        return Err(Error::new(format!(
            "{}: statically linked: it calls no shared library, so there is nothing to trace \
             (use -x PATTERN to trace its own functions)",
            path.display()
        )));
    }
    Ok(())
}

/// Creates the `--log` file (0600, never through a symlink, as every log of the suite).
pub(crate) fn open_log(cfg: &Config) -> Result<Option<tracer::LogWriter>, Error> {
    let Some(p) = &cfg.log else {
        return Ok(None);
    };
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    tracekit_log::output_file_rules(&mut o, p.as_os_str());
    let f = o
        .open(p)
        .map_err(|e| Error::new(format!("Can't open log '{}': {e}", p.display())))?;
    tracekit_log::FileWriter::new(io::BufWriter::new(f), tracekit_log::Codec::Zstd)
        .map(Some)
        .map_err(|e| Error::new(format!("--log: {e}")))
}

/// Runs the trace `cfg` describes.
pub fn run(cfg: &Config) -> Result<Outcome, Error> {
    let out: Box<dyn Write> = match &cfg.output {
        Some(p) => {
            let mut o = std::fs::OpenOptions::new();
            o.write(true).create(true).truncate(true);
            tracekit_log::output_file_rules(&mut o, p.as_os_str());
            Box::new(io::BufWriter::new(o.open(p).map_err(|e| {
                Error::new(format!("can't open {} for writing: {e}", p.display()))
            })?))
        }
        None => Box::new(io::stderr()),
    };
    let mut cfg = cfg.clone();
    if cfg.no_libs {
        cfg.filter = Filter::default();
    }
    if cfg.pids.len() > 1 {
        cfg.layout.pid = true;
    }
    let printer = output::Printer::new(out, cfg.layout);
    let mut tracer = tracer::Tracer::new(&cfg, printer);
    catch_interrupts();
    let outcome = if cfg.pids.is_empty() {
        let cmd = &cfg.command[0];
        let path = find_in_path(cmd).ok_or_else(|| {
            Error::new(format!("Can't execute `{cmd}': No such file or directory"))
        })?;
        if !path.exists() {
            return Err(Error::new(format!(
                "Can't execute `{cmd}': No such file or directory"
            )));
        }
        check_program(&path, &cfg)?;
        if let Some(agent) = preload_agent(&cfg, &path) {
            if !cfg.count || cfg.log.is_some() {
                let log = open_log(&cfg)?;
                let outcome = inproc::run_lines(&cfg, &path, &agent, &mut tracer, log)?;
                return finish(&cfg, &mut tracer, Ok(outcome));
            }
            let mut summary = std::mem::take(&mut tracer.summary);
            let outcome = inproc::run(&cfg, &path, &agent, &mut summary)?;
            tracer.summary = summary;
            return finish(&cfg, &mut tracer, Ok(outcome));
        }
        let spawn = pt::SpawnOptions {
            path: CString::new(path.as_os_str().as_encoded_bytes())
                .map_err(|_| Error::new("NUL in the program's path"))?,
            argv: cfg
                .command
                .iter()
                .map(|a| CString::new(a.as_bytes()).map_err(|_| Error::new("NUL in an argument")))
                .collect::<Result<_, _>>()?,
            env: None,
            user: None,
            seccomp: None,
            exec_error_prefix: None,
            inherit_signal_mask: false,
        };
        let log = open_log(&cfg)?;
        let pid = pt::spawn(&spawn, options(&cfg))
            .map_err(|e| Error::new(format!("can't start {cmd}: {e}")))?;
        if let Some(log) = log {
            let cmdline = cfg.command.join("\0");
            tracer
                .log_to(
                    log,
                    pid.0,
                    path.as_os_str().as_encoded_bytes(),
                    cmdline.as_bytes(),
                )
                .map_err(|e| Error::new(format!("--log: {e}")))?;
        }
        tracer.run_spawned(pid)
    } else {
        let pids: Vec<Pid> = cfg.pids.iter().map(|&p| Pid(p)).collect();
        for p in &pids {
            if !Path::new(&format!("/proc/{}", p.0)).exists() {
                // Status 0, as ltrace (see `tracer::CannotAttach`).
                return Err(Error {
                    msg: format!("Cannot attach to pid {}: No such process", p.0),
                    code: 0,
                });
            }
        }
        if let Some(log) = open_log(&cfg)? {
            let exe = std::fs::read_link(format!("/proc/{}/exe", pids[0].0)).unwrap_or_default();
            tracer
                .log_to(log, pids[0].0, exe.as_os_str().as_encoded_bytes(), b"")
                .map_err(|e| Error::new(format!("--log: {e}")))?;
        }
        tracer.run_attached(&pids)
    };
    finish(&cfg, &mut tracer, outcome)
}

/// The agent to run the program with (`--backend`, and what the in-process backend can do),
/// or `None` for ptrace. Saying why when the user asked for it and it cannot be.
fn preload_agent(cfg: &Config, program: &Path) -> Option<PathBuf> {
    use inproc::Backend;
    if cfg.backend == Backend::Ptrace {
        return None;
    }
    let why = inproc::unsupported(cfg).or_else(|| match inproc::imports(program) {
        None => Some("scripts"),
        Some(names) => inproc::unsupported_program(cfg, &names),
    });
    let agent = inproc::find_agent();
    if cfg.backend == Backend::Preload {
        if let Some(why) = why {
            eprintln!(
                "{PROG}: note: the in-process backend does not do {why} yet; tracing with ptrace"
            );
            return None;
        }
        if agent.is_none() {
            eprintln!(
                "{PROG}: note: {} is neither next to {PROG} nor in $TRACEKIT_PRELOAD_DIR; \
                 tracing with ptrace",
                inproc::AGENT
            );
        }
    }
    if why.is_some() {
        return None;
    }
    agent
}

/// Ends a run: the log closed, the `-c` table written.
fn finish(
    cfg: &Config,
    tracer: &mut tracer::Tracer<'_>,
    outcome: io::Result<Outcome>,
) -> Result<Outcome, Error> {
    let outcome = outcome.map_err(|e| {
        // A reader that went away (`ltrace-rs ... 2>&1 | head`) ends the trace quietly; the
        // tracer has detached and the program runs on.
        if e.kind() == io::ErrorKind::BrokenPipe {
            Error {
                msg: String::new(),
                code: 0,
            }
        } else if e
            .get_ref()
            .is_some_and(|inner| inner.is::<tracer::CannotAttach>())
        {
            // ltrace 0.7.3's status after "Cannot attach to pid N".
            Error {
                msg: e.to_string(),
                code: 0,
            }
        } else {
            Error::new(e.to_string())
        }
    })?;
    tracer
        .finish_log()
        .map_err(|e| Error::new(format!("--log: {e}")))?;
    if cfg.count {
        let mut table = Vec::new();
        tracer
            .summary
            .write(&mut table)
            .and_then(|()| match &cfg.output {
                Some(p) => {
                    let mut o = std::fs::OpenOptions::new();
                    o.append(true);
                    tracekit_log::output_file_rules(&mut o, p.as_os_str());
                    o.open(p)?.write_all(&table)
                }
                None => io::stderr().write_all(&table),
            })
            .map_err(|e| Error::new(e.to_string()))?;
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    #[test]
    fn demangles_cxx_and_rust_only() {
        assert_eq!(super::demangle("_ZN3foo3barEv"), "foo::bar()");
        assert_eq!(super::demangle("strlen"), "strlen");
        assert_eq!(
            super::demangle("_ZN4core3fmt5write17h0123456789abcdefE"),
            "core::fmt::write"
        );
    }
}
