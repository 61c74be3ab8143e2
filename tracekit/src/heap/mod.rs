//! `tracekit heap [options] -- CMD ARGS...`: run a command under `libpreload_heaptrack.so`,
//! keep its log (like heaptrack), and print the summary when it exits (like memusage).
//!
//! - The preload library is `--preload PATH` (the `.so` or its directory), else
//!   `$TRACEKIT_PRELOAD_DIR/libpreload_heaptrack.so`, else the one next to the `tracekit` binary.
//! - The log goes to `-o PATH` or `./tracekit-heaptrack.%e.%p.tklog`; `%p` becomes each
//!   process's pid and `%e` its executable's name. Every process of a command that forks writes
//!   its own log (without `%p`, the preload names a child's log `PATH.PID`). All the logs this run wrote are reported together: a table of the processes, then
//!   each process's full summary (see `report::text`).
//! - The report goes to stderr (the command's stdout stays its own), or to `--report FILE`.
//! - Exit status: the command's (128 + signal when a signal killed it); when the command
//!   succeeded, 1 if a `--max-*` gate is exceeded and 3 if a log is damaged; 127/126 when the
//!   command cannot be found/run; 2 for tracekit's own errors.

pub mod launch;

use std::ffi::OsString;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use anyhow::{bail, Context};

use crate::report::{self, Config, ReportOptions};

/// The preload library's file name.
pub const PRELOAD_NAME: &str = "libpreload_heaptrack.so";

/// Options of `tracekit heap`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "The report goes to stderr (or --report FILE); the logs are kept. \
A command that forks leaves one log per process: all are reported.\n\
Exit status: the command's (128 + signal if killed); if it succeeded, 1 when a --max-* gate \
is exceeded and 3 when a log is damaged; 127/126 when the command cannot be run; 2 on errors."
)]
pub struct Args {
    /// Log path; `%p` becomes the pid and `%e` the executable's name [default: ./tracekit-heaptrack.%e.%p.tklog]
    #[arg(short, long, value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// The preload library, or its directory [default: $TRACEKIT_PRELOAD_DIR, else next to tracekit]
    #[arg(long, value_name = "PATH")]
    pub preload: Option<PathBuf>,
    /// Keep tracing the programs the command `exec`s (TRACEKIT_FOLLOW_EXEC=1).
    #[arg(long)]
    pub follow_exec: bool,
    /// Write the report to FILE instead of stderr.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Leave the logs without their symbols (see `tracekit pack`).
    #[arg(long)]
    pub no_pack: bool,
    #[command(flatten)]
    pub options: ReportOptions,
    /// The command and its arguments (after `--`).
    #[arg(trailing_var_arg = true, value_name = "COMMAND")]
    pub command: Vec<OsString>,
}

/// Runs `tracekit heap`; returns the exit status.
pub fn run(args: Args) -> anyhow::Result<u8> {
    if args.command.is_empty() {
        bail!("heap: no command given (usage: tracekit heap [OPTIONS] -- COMMAND [ARGS...])");
    }
    // clap takes an unknown option in front of the command as the command itself.
    let first = args.command[0].to_string_lossy();
    if first.starts_with('-') {
        bail!("heap: unknown option {first} (see tracekit heap --help)");
    }
    let preload = find_preload(
        args.preload.as_deref(),
        std::env::var_os("TRACEKIT_PRELOAD_DIR").map(PathBuf::from),
    )?;
    let pattern = absolute(
        args.output
            .clone()
            .unwrap_or_else(|| PathBuf::from("tracekit-heaptrack.%e.%p.tklog")),
    )?;
    let before = matching_files(&pattern)?;
    let started = launch::spawn(&launch::Launch {
        command: &args.command,
        preload: &preload,
        log_pattern: &pattern,
        follow_exec: args.follow_exec,
    });
    let running = match started {
        Ok(r) => r,
        Err(e) => {
            let name = args.command[0].to_string_lossy();
            eprintln!("tracekit: cannot run {name}: {e}");
            return Ok(match e.kind() {
                std::io::ErrorKind::NotFound => 127,
                _ => 126,
            });
        }
    };
    eprintln!("tracekit heap: recording to {}", pattern.display());
    let ended = running.wait().context("waiting for the command")?;
    let status = ended.shell_status();
    let logs = find_logs(&pattern, &before)?;
    let config = Config::from(&args.options);
    if logs.is_empty() {
        eprintln!(
            "tracekit heap: no log was written to {} (a static program, or one that never ran, \
             cannot be traced)",
            pattern.display()
        );
        let gated = config.gates.max_peak.is_some() || config.gates.max_leaked.is_some();
        return Ok(if status == 0 && gated { 2 } else { status });
    }
    for l in &logs {
        eprintln!("tracekit heap: log written to {}", l.display());
    }
    if !args.no_pack {
        crate::pack::pack_after_run(&logs);
    }
    let code = match &args.report {
        Some(path) => {
            let f =
                File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
            let mut out = BufWriter::new(f);
            let c = report::report_logs(&logs, &config, &mut out)?;
            out.flush()?;
            c
        }
        None => {
            let stderr = std::io::stderr();
            let mut out = BufWriter::new(stderr.lock());
            let c = report::report_logs(&logs, &config, &mut out)?;
            out.flush()?;
            c
        }
    };
    Ok(if status != 0 { status } else { code })
}

/// Where the preload library is: `explicit` (file or directory), else `env_dir`, else next to
/// the running `tracekit`.
pub fn find_preload(explicit: Option<&Path>, env_dir: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    let (candidate, how) = match (explicit, env_dir) {
        (Some(p), _) if p.is_dir() => (p.join(PRELOAD_NAME), "--preload"),
        (Some(p), _) => (p.to_path_buf(), "--preload"),
        (None, Some(d)) => (d.join(PRELOAD_NAME), "TRACEKIT_PRELOAD_DIR"),
        (None, None) => {
            let exe = std::env::current_exe().context("cannot find the tracekit binary")?;
            let dir = exe.parent().map(Path::to_path_buf).unwrap_or_default();
            (dir.join(PRELOAD_NAME), "next to tracekit")
        }
    };
    if !candidate.is_file() {
        bail!(
            "preload library not found: {} ({how}); build it with `cargo build -p preload-heaptrack` \
             or point --preload or TRACEKIT_PRELOAD_DIR at it",
            candidate.display()
        );
    }
    absolute(candidate)
}

fn absolute(p: PathBuf) -> anyhow::Result<PathBuf> {
    if p.is_absolute() {
        return Ok(p);
    }
    Ok(std::env::current_dir()
        .context("cannot read the current directory")?
        .join(p))
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
    let mut new: Vec<(PathBuf, FileStamp)> = matching_files(pattern)?
        .into_iter()
        .filter(|f| !before.contains(f))
        .collect();
    new.sort_by_key(|(p, st)| (st.created.or(st.modified), p.clone()));
    Ok(new.into_iter().map(|(p, _)| p).collect())
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

    #[test]
    fn missing_preload_is_one_clear_line() {
        let dir = tempfile::tempdir().unwrap();
        let e = find_preload(None, Some(dir.path().to_path_buf())).unwrap_err();
        let msg = format!("{e:#}");
        assert!(msg.starts_with("preload library not found: "), "{msg}");
        assert!(msg.contains("TRACEKIT_PRELOAD_DIR"), "{msg}");
        assert!(!msg.contains('\n'));
        std::fs::write(dir.path().join(PRELOAD_NAME), b"").unwrap();
        let p = find_preload(Some(dir.path()), None).unwrap();
        assert_eq!(p, dir.path().join(PRELOAD_NAME));
    }
}
