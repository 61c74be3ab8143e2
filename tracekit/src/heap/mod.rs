//! `tracekit heap [options] -- CMD ARGS...`: run a command under `libpreload_heaptrack.so`,
//! keep its logs (like heaptrack), and print the summary when it exits (like memusage).
//!
//! - The preload library is `--preload PATH` (the `.so` or its directory), else
//!   `$TRACEKIT_PRELOAD_DIR/libpreload_heaptrack.so`, else the one next to the `tracekit` binary.
//! - Every process of the run is traced: forked children (each its own log) and the programs a
//!   process `exec`s (appended to the same log as a new process), so a command behind a
//!   wrapper (a shell-script shim, `env`, `sh -c`, `make`) is traced, not only the wrapper.
//!   `--no-follow-exec` traces only the first program of each process.
//! - The logs of one run go to one place: a new directory `./tracekit-heap.<exe>.<pid>/`
//!   (mode 0700, created before the command starts; `<pid>` is tracekit's), holding
//!   `tracekit-heap.<exe>.<pid>.tklog` per process; `tracekit report DIR` reads them all. `-o DIR/` (an
//!   existing directory, or a path ending in `/`) puts them in DIR; `-o PATH` with `%p`/`%e`
//!   names the files as before. A place that cannot be written is an error before the command
//!   starts.
//! - Where the report goes: stderr for text (the command's stdout stays its own, as with
//!   memusage); stdout for `--json` or `--report -`, so `tracekit heap --json -- CMD | jq`
//!   works, and then the command's own stdout is sent to stderr; `--report FILE` writes it to
//!   FILE. tracekit's status lines (`recording to`, `log written to`) always go to stderr, and
//!   `-q` leaves them out.
//! - Exit status: the command's (128 + signal when a signal killed it); when the command
//!   succeeded, 1 if a `--max-*` gate is exceeded and 3 if a log is damaged; 127/126 when the
//!   command cannot be found/run; 2 for tracekit's own errors, and when no log was written.

pub mod attach;
pub mod launch;

use std::ffi::OsString;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use anyhow::{bail, Context};
use tracekit_preload_core::logpath;

use crate::preload::{self, absolute};
use crate::report::{self, Config};

/// The name of a process's log inside a run directory: the name the heap tracker gives its log
/// when preloaded by hand (one owner: `tracekit_preload_core::logpath`).
pub fn log_in_dir() -> String {
    format!("{}{}{}", logpath::PREFIX, logpath::HEAP, logpath::SUFFIX)
}

/// The name of a run's new log directory: `tracekit-heap.<exe>.<pid>`, then
/// `tracekit-heap.<exe>.<pid>.<attempt>` when that one exists. With the name of each
/// process's log inside it (above), the one place that names a run's logs.
pub fn run_dir_name(exe: &str, pid: u32, attempt: u32) -> String {
    let name = format!("{}{}.{exe}.{pid}", logpath::PREFIX, logpath::HEAP);
    if attempt == 0 {
        name
    } else {
        format!("{name}.{attempt}")
    }
}

/// Where the report of a run goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportTo {
    /// Standard error (the text report's default).
    Stderr,
    /// Standard output (`--json`, `--report -`); the command's stdout then goes to stderr.
    Stdout,
    /// A file.
    File(PathBuf),
}

/// Where the logs of a run go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogPlace {
    /// A new directory of this run's own (`./tracekit-heap.<exe>.<pid>/`).
    NewDir,
    /// A directory the user named (created if missing).
    Dir(PathBuf),
    /// A file pattern the user named (`%p`, `%e`).
    Pattern(PathBuf),
}

/// What `tracekit heap` does (the command line's `cli::heap` makes it).
#[derive(Debug, Clone)]
pub struct HeapConfig {
    /// The command and its arguments.
    pub command: Vec<OsString>,
    /// `--preload`.
    pub preload: Option<PathBuf>,
    /// Follow `exec`.
    pub follow_exec: bool,
    /// Where the logs go.
    pub logs: LogPlace,
    /// Where the report goes.
    pub report_to: ReportTo,
    /// Print status lines.
    pub verbose: bool,
    /// Leave the logs without their symbols.
    pub no_pack: bool,
    /// Run the leak check in the program (`TRACEKIT_LEAK_CHECK`).
    pub leak_check: Option<crate::export::leak::LeakMode>,
    /// memcheck's heuristics for the check (`--leak-check-heuristics`, already checked).
    pub leak_heuristics: Option<String>,
    /// The report itself.
    pub report: Config,
    /// `-p PID`: attach to a running process instead of running `command`.
    pub attach: Option<attach::AttachTo>,
    /// `--live`: follow the log in a terminal view while the command runs.
    pub live: bool,
    /// `--per-test`, with its gates.
    pub per_test: Option<crate::pertest::PerTestGates>,
}

/// Runs `tracekit heap`; returns the exit status.
pub fn run(c: &HeapConfig) -> anyhow::Result<u8> {
    if let Some(to) = c.attach {
        return run_attached(c, to);
    }
    let cmd = preload::command(preload::HEAPTRACK, c.preload.as_deref(), &c.command)?;
    // Where the logs go, made ready (and checked writable) before the command starts.
    let (pattern, made_dir) = prepare_logs(&c.logs, &c.command[0])?;
    let before = matching_files(&pattern)?;
    let started = launch::spawn(
        cmd,
        &launch::Launch {
            log_pattern: &pattern,
            follow_exec: c.follow_exec,
            stdout_to_stderr: c.report_to == ReportTo::Stdout,
            leak_check: c.leak_check.is_some(),
            leak_heuristics: c.leak_heuristics.as_deref(),
        },
    );
    let mut running = match started {
        Ok(r) => r,
        Err(e) => {
            if let Some(dir) = &made_dir {
                let _ = std::fs::remove_dir(dir);
            }
            return Ok(preload::cannot_run(&c.command[0], &e));
        }
    };
    if c.verbose {
        let shown = made_dir.as_deref().unwrap_or(&pattern);
        eprintln!("tracekit heap: recording to {}", shown.display());
    }
    if c.live {
        live(&mut running, &pattern, &before)?;
    }
    let ended = running.wait().context("waiting for the command")?;
    let status = ended.shell_status();
    let logs = find_logs(&pattern, &before)?;
    if logs.is_empty() {
        if let Some(dir) = &made_dir {
            let _ = std::fs::remove_dir(dir);
        }
        eprintln!(
            "tracekit heap: no log was written to {}: the command did not load the preload \
             library (a statically linked program cannot be traced) or could not create its \
             log (see its message above)",
            made_dir.as_deref().unwrap_or(&pattern).display()
        );
        return Ok(if status == 0 { 2 } else { status });
    }
    if c.verbose {
        match &made_dir {
            Some(dir) => eprintln!(
                "tracekit heap: {} written to {} (`tracekit report {}` prints this report again)",
                plural(logs.len(), "log"),
                dir.display(),
                dir.display()
            ),
            None => {
                for l in &logs {
                    eprintln!("tracekit heap: log written to {}", l.display());
                }
            }
        }
    }
    if !c.no_pack {
        crate::pack::pack_after_run(&logs, c.verbose);
    }
    let config = c.report.clone().with_command_signal(ended.signal());
    let mut out = BufWriter::new(report_sink(&c.report_to)?);
    let mut code = report::report_logs(&logs, &config, &mut out)?;
    out.flush()?;
    if let Some(gates) = &c.per_test {
        code = code.max(per_test(&logs, gates, &c.command[0])?);
    }
    // valgrind's --error-exitcode wins over the program's status.
    Ok(match c.report.leak.error_exitcode {
        Some(n) if n != 0 && code == n => n,
        _ if status != 0 => status,
        _ => code,
    })
}

/// Where the report goes (`--report FILE`, stdout, stderr).
fn report_sink(to: &ReportTo) -> anyhow::Result<Box<dyn Write>> {
    Ok(match to {
        ReportTo::File(path) => Box::new(
            tracekit_log::create_output(path)
                .with_context(|| format!("cannot create {}", path.display()))?,
        ),
        ReportTo::Stdout => Box::new(std::io::stdout().lock()),
        ReportTo::Stderr => Box::new(std::io::stderr().lock()),
    })
}

/// `tracekit heap -p PID`: attach, record, detach, report (see [`attach`]).
fn run_attached(c: &HeapConfig, to: attach::AttachTo) -> anyhow::Result<u8> {
    let library = preload::find_preload(
        preload::HEAPTRACK,
        c.preload.as_deref(),
        std::env::var_os("TRACEKIT_PRELOAD_DIR").map(PathBuf::from),
    )?;
    let exe = std::fs::read_to_string(format!("/proc/{}/comm", to.pid))
        .map(|s| s.trim().to_owned())
        .map_err(|_| anyhow::anyhow!("no process {}", to.pid))?;
    if let Some(log) = attach::worker_log() {
        // The attach worker (see `attach::record_in_worker`): records to the log its parent
        // chose, and gives back the path where the log ended up, for the parent to report.
        let (log, _) = attach::record(to, &library, &log, c.verbose)?;
        let mut out = std::io::stdout().lock();
        let _ = out
            .write_all(log.as_os_str().as_encoded_bytes())
            .and_then(|()| out.write_all(b"\n"));
        return Ok(0);
    }
    let (pattern, made_dir) = prepare_logs(&c.logs, &OsString::from(&exe))?;
    let log = PathBuf::from(
        pattern
            .to_string_lossy()
            .replace("%p", &to.pid.to_string())
            .replace("%e", &exe),
    );
    let recorded = attach::record_in_worker(to, &library, &log, c.verbose);
    if !matches!(recorded, Ok(Ok(_))) {
        if let Some(dir) = &made_dir {
            let _ = std::fs::remove_dir(dir);
        }
    }
    let log = match recorded? {
        Ok(log) => log,
        // The worker said why.
        Err(status) => return Ok(status),
    };
    if c.verbose {
        eprintln!("tracekit heap: log written to {}", log.display());
    }
    let logs = [log];
    if !c.no_pack {
        crate::pack::pack_after_run(&logs, c.verbose);
    }
    let mut out = BufWriter::new(report_sink(&c.report_to)?);
    let code = report::report_logs(&logs, &c.report, &mut out)?;
    out.flush()?;
    Ok(code)
}

/// `--live`: the view of `tracekit top` on the run's newest log, until the command ends or
/// `q` is pressed (the command goes on; its report follows when it ends).
fn live(
    running: &mut launch::Running,
    pattern: &Path,
    before: &[(PathBuf, FileStamp)],
) -> anyhow::Result<()> {
    let mut view = crate::top::View::new(10);
    let _term = crate::top::Terminal::raw();
    while !running.has_ended() {
        let mut screen = Vec::new();
        match find_logs(pattern, before)?.last() {
            Some(log) => view.render(log, &mut screen)?,
            None => writeln!(screen, "tracekit heap --live: waiting for the log")?,
        }
        crate::top::show(&screen)?;
        if crate::top::quit_pressed(std::time::Duration::from_millis(500)) {
            eprintln!("tracekit heap: left the live view; the command goes on");
            break;
        }
    }
    Ok(())
}

/// `--per-test`: the table on stderr, and the gates' status (1 when one is exceeded, 2 when
/// the run had no test harness).
fn per_test(
    logs: &[PathBuf],
    gates: &crate::pertest::PerTestGates,
    program: &OsString,
) -> anyhow::Result<u8> {
    let tests = crate::pertest::PerTest::read(logs)?;
    if !tests.harness_found {
        eprintln!(
            "tracekit heap: --per-test: {} ran no test harness: per-test figures need Rust's \
             test harness (`cargo test`, whose tests run on threads named after them) or tests \
             marked with tracekit_heap.h's TRACEKIT_TEST_BEGIN/TRACEKIT_TEST_END; the report \
             above covers the whole run",
            Path::new(program).display()
        );
        return Ok(2);
    }
    let mut err = std::io::stderr().lock();
    writeln!(err)?;
    tests.write(&mut err)?;
    let failed = tests.check(gates);
    for f in &failed {
        writeln!(err, "tracekit heap: {f}")?;
    }
    Ok(u8::from(!failed.is_empty()))
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// Makes `place` ready for the preload library's logs: returns the absolute log pattern to
/// hand it and, for a directory this run made, that directory. Fails, before anything runs,
/// when the logs could not be written there.
fn prepare_logs(
    place: &LogPlace,
    program: &OsString,
) -> anyhow::Result<(PathBuf, Option<PathBuf>)> {
    match place {
        LogPlace::NewDir => {
            let exe = Path::new(program)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "cmd".into());
            let cwd = std::env::current_dir().context("cannot read the current directory")?;
            let dir = new_run_dir(&cwd, &exe)?;
            Ok((dir.join(log_in_dir()), Some(dir)))
        }
        LogPlace::Dir(d) => {
            let d = absolute(d.clone())?;
            if !d.is_dir() {
                make_private_dir(&d)
                    .with_context(|| format!("cannot create the log directory {}", d.display()))?;
            }
            check_writable(&d)?;
            Ok((d.join(log_in_dir()), None))
        }
        LogPlace::Pattern(p) => {
            let p = absolute(p.clone())?;
            let dir = p.parent().unwrap_or(Path::new("/"));
            let meta = std::fs::metadata(dir)
                .with_context(|| format!("cannot write logs to {}", dir.display()))?;
            if !meta.is_dir() {
                bail!("cannot write logs to {}: not a directory", dir.display());
            }
            check_writable(dir)?;
            if p.is_dir() {
                bail!("the log {} is a directory", p.display());
            }
            Ok((p, None))
        }
    }
}

/// Creates `DIR/tracekit-heap.<exe>.<pid>` (or `.<pid>.<n>` when that exists): a new
/// directory, mode 0700, never one that was there before (nor a symlink planted there).
fn new_run_dir(parent: &Path, exe: &str) -> anyhow::Result<PathBuf> {
    let pid = std::process::id();
    for n in 0..1000 {
        let dir = parent.join(run_dir_name(exe, pid, n));
        match make_private_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                return Err(e).with_context(|| {
                    format!(
                        "cannot create the log directory {} (give another place with -o DIR/)",
                        dir.display()
                    )
                })
            }
        }
    }
    bail!(
        "cannot find a free log directory name in {}",
        parent.display()
    )
}

fn make_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new().mode(0o700).create(dir)
}

/// Fails when this process could not create files in `dir` (permissions, read-only file
/// system).
fn check_writable(dir: &Path) -> anyhow::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(dir.as_os_str().as_bytes())
        .with_context(|| format!("bad directory name {}", dir.display()))?;
    // SAFETY: access(2) reads the NUL-terminated path and nothing else.
    let r = unsafe { libc::access(c.as_ptr(), libc::W_OK | libc::X_OK) };
    if r != 0 {
        let e = std::io::Error::last_os_error();
        bail!("cannot write logs to {}: {e}", dir.display());
    }
    Ok(())
}

/// Files matching `pattern` (`%p` digits, `%e` any name, `%%` a percent sign; a pattern
/// without `%p` also matches `PATTERN.PID`, the preload's name for a forked child's log), with
/// what identifies their current content.
pub fn matching_files(pattern: &Path) -> anyhow::Result<Vec<(PathBuf, FileStamp)>> {
    let name = pattern
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let dir = pattern.parent().unwrap_or(Path::new("."));
    let mut patterns = vec![name.clone()];
    if !has_pid(&name) {
        patterns.push(format!("{name}.%p"));
    }
    let mut found = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(found),
        Err(e) => return Err(e).with_context(|| format!("cannot list {}", dir.display())),
    };
    for e in entries.flatten() {
        let fname = e.file_name().to_string_lossy().into_owned();
        if !patterns.iter().any(|p| matches_pattern(p, &fname)) {
            continue;
        }
        let Ok(meta) = e.metadata() else { continue };
        if meta.is_file() {
            found.push((e.path(), FileStamp::of(&meta)));
        }
    }
    Ok(found)
}

/// What tells a file's versions apart: inode, size, modification time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileStamp {
    ino: u64,
    len: u64,
    modified: Option<SystemTime>,
    created: Option<SystemTime>,
}

impl FileStamp {
    fn of(meta: &std::fs::Metadata) -> Self {
        use std::os::unix::fs::MetadataExt;
        FileStamp {
            ino: meta.ino(),
            len: meta.len(),
            modified: meta.modified().ok(),
            created: meta.created().ok(),
        }
    }
}

/// The logs a run wrote: matching files that are new or changed since `before` was taken,
/// in order of creation (the first process, then its children).
pub fn find_logs(pattern: &Path, before: &[(PathBuf, FileStamp)]) -> anyhow::Result<Vec<PathBuf>> {
    let new: Vec<(PathBuf, FileStamp)> = matching_files(pattern)?
        .into_iter()
        .filter(|f| !before.contains(f))
        .collect();
    // In the order the processes started (a log is replaced by its compressed copy when its
    // process ends, so the files' own times say when each process ended).
    let mut keyed: Vec<_> = new
        .into_iter()
        .map(|(p, st)| ((process_start(&p), st.created.or(st.modified)), p))
        .collect();
    keyed.sort();
    Ok(keyed.into_iter().map(|(_, p)| p).collect())
}

/// When the first process of a log started (its `Process` record), if it says.
fn process_start(log: &Path) -> Option<u64> {
    let f = std::fs::File::open(log).ok()?;
    let mut r = tracekit_log::Reader::new(f).ok()?.skip_heap_events();
    while let Ok(Some(ev)) = r.next_event() {
        if let tracekit_log::Event::Process(p) = ev {
            return Some(p.start_unix_ns);
        }
    }
    None
}

fn has_pid(pattern: &str) -> bool {
    let b = pattern.as_bytes();
    let mut i = 0;
    while i + 1 < b.len() {
        if b[i] == b'%' {
            if b[i + 1] == b'p' {
                return true;
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    false
}

/// Does file name `name` match `pattern` (`%p` one or more digits, `%e` one or more
/// characters, `%%` a percent sign)?
pub fn matches_pattern(pattern: &str, name: &str) -> bool {
    fn go(p: &[u8], n: &[u8]) -> bool {
        match p {
            [] => n.is_empty(),
            [b'%', b'p', rest @ ..] => {
                let digits = n.iter().take_while(|b| b.is_ascii_digit()).count();
                (1..=digits).rev().any(|k| go(rest, &n[k..]))
            }
            [b'%', b'e', rest @ ..] => (1..=n.len()).any(|k| go(rest, &n[k..])),
            [b'%', b'%', rest @ ..] => n.first() == Some(&b'%') && go(rest, &n[1..]),
            [c, rest @ ..] => n.first() == Some(c) && go(rest, &n[1..]),
        }
    }
    go(pattern.as_bytes(), name.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        assert!(matches_pattern(
            "tracekit-heap.%e.%p.log",
            "tracekit-heap.ls.1234.log"
        ));
        assert!(matches_pattern(
            "tracekit-heap.%e.%p.log",
            "tracekit-heap.a.b.7.log"
        ));
        assert!(!matches_pattern(
            "tracekit-heap.%e.%p.log",
            "tracekit-heap.ls..log"
        ));
        assert!(!matches_pattern(
            "tracekit-heap.%e.%p.log",
            "tracekit-heap.ls.12x.log"
        ));
        assert!(matches_pattern("out.%p", "out.1"));
        assert!(matches_pattern("100%%.%p", "100%.5"));
        assert!(!matches_pattern("out.%p", "out."));
    }
}
