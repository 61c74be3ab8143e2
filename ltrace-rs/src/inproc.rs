//! The in-process backend (`--backend preload`): the program runs with `libpreload_ltrace.so`
//! preloaded, which counts its calls in a shared file (see the `preload-ltrace` crate); no
//! ptrace, no stop per call. It does `-c` on a program ltrace-rs starts; what it cannot do
//! falls back to the ptrace backend ([`unsupported`] says why).

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tracekit_syscall_summary::libcalls::Summary;

use crate::{elf, Config, Error, Outcome};

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
    } else if !cfg.count {
        Some("the call lines (only -c so far)")
    } else if cfg.syscalls {
        Some("-S")
    } else if cfg.follow {
        Some("-f")
    } else if !cfg.syms.is_empty() {
        Some("-x")
    } else if cfg.log.is_some() {
        Some("--log")
    } else if !cfg.filter.names_only() {
        Some("library filters (-l, -e ...@LIB)")
    } else {
        None
    }
}

/// Why the in-process backend cannot trace the program whose imports are `names`: calls
/// through pointers that `dlsym` returned pass no GOT slot (the ptrace backend breaks at the
/// functions themselves).
pub fn unsupported_program(names: &[String]) -> Option<&'static str> {
    names
        .iter()
        .any(|n| matches!(n.as_str(), "dlopen" | "dlmopen" | "dlsym" | "dlvsym"))
        .then_some("programs that dlopen")
}

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

/// Runs `program` (already checked: a dynamically linked ELF) under the agent and fills
/// `summary` with what it counted.
pub fn run(
    cfg: &Config,
    program: &Path,
    agent: &Path,
    summary: &mut Summary,
) -> Result<Outcome, Error> {
    use std::os::unix::process::{CommandExt, ExitStatusExt};

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
    let mut preload = agent.as_os_str().to_owned();
    if let Some(old) = std::env::var_os("LD_PRELOAD").filter(|o| !o.is_empty()) {
        preload.push(":");
        preload.push(old);
    }
    let mut cmd = std::process::Command::new(program);
    cmd.arg0(&cfg.command[0])
        .args(&cfg.command[1..])
        .env("LD_PRELOAD", preload)
        .env("TRACEKIT_LTRACE_FUNCS", names.join(","))
        .env("TRACEKIT_LTRACE_COUNTS", &counts.0);
    let status = cmd
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
    Ok(match (status.code(), status.signal()) {
        (Some(c), _) => Outcome::Exited(c),
        (None, Some(s)) => Outcome::Killed(s),
        _ => Outcome::Exited(0),
    })
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
