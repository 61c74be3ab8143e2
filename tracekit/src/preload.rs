//! The one launcher of the preload tools (`tracekit heap`, `tracekit segv`, and those to
//! come): the library is found by one rule (`--preload PATH`, the file or its directory, else
//! `$TRACEKIT_PRELOAD_DIR`, else next to the `tracekit` binary) and put first in the command's
//! `LD_PRELOAD` ([`command`]); and the status and message when the command cannot be started
//! (127 not found, 126 not executable, as shells and `env` say).

use std::ffi::{OsStr, OsString};
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context};

/// A preload library of the suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Library {
    /// Its file name.
    pub file: &'static str,
    /// The cargo package that builds it (named in the "not found" message).
    pub package: &'static str,
}

/// The heap tracker.
pub const HEAPTRACK: Library = Library {
    file: "libpreload_heaptrack.so",
    package: "preload-heaptrack",
};

/// The crash handler.
pub const SEGV: Library = Library {
    file: "libpreload_segv.so",
    package: "preload-segv",
};

/// The fence allocator.
pub const EFENCE: Library = Library {
    file: "libpreload_efence.so",
    package: "preload-efence",
};

/// Where `lib` is: `explicit` (the file, or its directory), else in `env_dir`
/// (`$TRACEKIT_PRELOAD_DIR`), else next to the running `tracekit`. Absolute, and an existing
/// file, or a one-line error saying where it was looked for.
pub fn find_preload(
    lib: Library,
    explicit: Option<&Path>,
    env_dir: Option<PathBuf>,
) -> anyhow::Result<PathBuf> {
    let (candidate, how) = match (explicit, env_dir) {
        (Some(p), _) if p.is_dir() => (p.join(lib.file), "--preload"),
        (Some(p), _) => (p.to_path_buf(), "--preload"),
        (None, Some(d)) => (d.join(lib.file), "TRACEKIT_PRELOAD_DIR"),
        (None, None) => {
            let exe = std::env::current_exe().context("cannot find the tracekit binary")?;
            let dir = exe.parent().map(Path::to_path_buf).unwrap_or_default();
            (dir.join(lib.file), "next to tracekit")
        }
    };
    if !candidate.is_file() {
        bail!(
            "preload library not found: {} ({how}); build it with `cargo build -p {}` \
             or point --preload or TRACEKIT_PRELOAD_DIR at it",
            candidate.display(),
            lib.package
        );
    }
    absolute(candidate)
}

/// The command `argv` (program and arguments, not empty) set up to run under `lib`: the
/// library found by [`find_preload`] from `explicit` (`--preload`) and
/// `$TRACEKIT_PRELOAD_DIR`, put first in `LD_PRELOAD`, before any the environment has. The
/// caller adds the tool's own settings (`TRACEKIT_LOG`, ...) and spawns or execs it.
pub fn command(
    lib: Library,
    explicit: Option<&Path>,
    argv: &[OsString],
) -> anyhow::Result<Command> {
    let library = find_preload(
        lib,
        explicit,
        std::env::var_os("TRACEKIT_PRELOAD_DIR").map(PathBuf::from),
    )?;
    let Some((program, args)) = argv.split_first() else {
        bail!("no command given");
    };
    let mut ld_preload = library.into_os_string();
    if let Some(existing) = std::env::var_os("LD_PRELOAD").filter(|v| !v.is_empty()) {
        ld_preload.push(":");
        ld_preload.push(existing);
    }
    let mut cmd = Command::new(program);
    cmd.args(args).env("LD_PRELOAD", ld_preload);
    Ok(cmd)
}

/// `p`, made absolute against the current directory.
pub fn absolute(p: PathBuf) -> anyhow::Result<PathBuf> {
    if p.is_absolute() {
        return Ok(p);
    }
    Ok(std::env::current_dir()
        .context("cannot read the current directory")?
        .join(p))
}

/// Says on stderr that `program` could not be started and why (one line, without Rust's
/// "(os error N)"), and returns the exit status for it: 127 when it was not found, 126 when it
/// was but cannot be executed.
pub fn cannot_run(program: &OsStr, err: &io::Error) -> u8 {
    eprintln!(
        "tracekit: cannot run {}: {}",
        program.to_string_lossy(),
        reason(err)
    );
    not_started_status(err)
}

/// 127 for "not found", 126 for every other failure to execute.
pub fn not_started_status(err: &io::Error) -> u8 {
    if err.kind() == io::ErrorKind::NotFound {
        127
    } else {
        126
    }
}

/// The OS's words for `err` ("Permission denied"), without Rust's " (os error 13)".
fn reason(err: &io::Error) -> String {
    let text = err.to_string();
    match text.rfind(" (os error ") {
        Some(i) if err.raw_os_error().is_some() => text[..i].to_owned(),
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_preload_is_one_clear_line_naming_its_package() {
        let dir = tempfile::tempdir().unwrap();
        let e = find_preload(SEGV, None, Some(dir.path().to_path_buf())).unwrap_err();
        let msg = format!("{e:#}");
        assert!(msg.starts_with("preload library not found: "), "{msg}");
        assert!(
            msg.contains("libpreload_segv.so (TRACEKIT_PRELOAD_DIR)"),
            "{msg}"
        );
        assert!(msg.contains("cargo build -p preload-segv"), "{msg}");
        assert!(!msg.contains('\n'));
    }

    #[test]
    fn explicit_directory_wins_over_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        let other = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(HEAPTRACK.file), b"").unwrap();
        let p = find_preload(HEAPTRACK, Some(dir.path()), Some(other.path().into())).unwrap();
        assert_eq!(p, dir.path().join(HEAPTRACK.file));
        // The same directory holds no crash handler.
        assert!(find_preload(SEGV, Some(dir.path()), None).is_err());
        let file = dir.path().join(HEAPTRACK.file);
        assert_eq!(find_preload(SEGV, Some(&file), None).unwrap(), file);
    }

    #[test]
    fn start_failures_map_to_shell_statuses() {
        let not_found = io::Error::from_raw_os_error(libc::ENOENT);
        let denied = io::Error::from_raw_os_error(libc::EACCES);
        let bad_format = io::Error::from_raw_os_error(libc::ENOEXEC);
        assert_eq!(not_started_status(&not_found), 127);
        assert_eq!(not_started_status(&denied), 126);
        assert_eq!(not_started_status(&bad_format), 126);
        assert_eq!(reason(&denied), "Permission denied");
    }
}
