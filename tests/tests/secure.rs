//! Secure execution (`AT_SECURE`: setuid, setgid, file capabilities): a preload library in
//! such a program, which can be there through `/etc/ld.so.preload`, takes no path and no
//! program from the environment, which is the unprivileged caller's. The heap tracker stays
//! passive; the crash handler reports on stderr only, with raw frames (no output file, no log,
//! no symbolizer run with the program's privileges).
//!
//! The tests make a copy of `secure_dlopen` that is setuid to `nobody` and run it as root (the
//! real and effective ids then differ: secure execution), with the library loaded by `dlopen`
//! (`LD_PRELOAD` with a path is ignored in secure execution) and the variables pointing into a
//! directory anyone may write. The same copy without the setuid bit is the control: there the
//! files are written, so the test can fail. Skipped, with a message, when not run as root.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tracekit_e2e::{example, preload, run, stderr, stdout, tempdir};

const NOBODY: u32 = 65534;

/// A world-writable directory and two copies of the victim in it, setuid-nobody and plain;
/// None (after saying why) when the test cannot make them.
fn setup() -> Option<(tempfile::TempDir, PathBuf, PathBuf)> {
    // SAFETY: no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipped: making a setuid program needs root");
        return None;
    }
    let dir = tempdir();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let setuid = dir.path().join("secure_dlopen_setuid");
    let plain = dir.path().join("secure_dlopen_plain");
    for p in [&setuid, &plain] {
        std::fs::copy(example("secure_dlopen"), p).unwrap();
    }
    std::os::unix::fs::chown(&setuid, Some(NOBODY), None).unwrap();
    std::fs::set_permissions(&setuid, std::fs::Permissions::from_mode(0o4755)).unwrap();
    let mode = std::fs::metadata(&setuid).unwrap().mode();
    assert_eq!(mode & 0o4000, 0o4000, "{mode:o}");
    Some((dir, setuid, plain))
}

fn run_with(prog: &Path, lib: &Path, what: &str, env: &[(&str, &Path)]) -> Output {
    let mut cmd = Command::new(prog);
    cmd.arg(lib).arg(what).env_remove("LD_PRELOAD");
    for (k, v) in env {
        cmd.env(k, v);
    }
    // No core files in the directory.
    cmd.env("TRACEKIT_SEGV_TIMEOUT_MS", "20000");
    run(&mut cmd)
}

#[test]
fn the_heap_tracker_stays_passive_in_a_setuid_program() {
    let Some((dir, setuid, plain)) = setup() else {
        return;
    };
    let lib = preload("preload-heaptrack");
    let log = dir.path().join("heap.tklog");

    let control = run_with(&plain, &lib, "alloc", &[("TRACEKIT_LOG", &log)]);
    assert_eq!(control.status.code(), Some(0), "{}", stderr(&control));
    assert!(
        log.exists(),
        "the control run writes its log: {}",
        stderr(&control)
    );
    std::fs::remove_file(&log).unwrap();

    let out = run_with(&setuid, &lib, "alloc", &[("TRACEKIT_LOG", &log)]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        stdout(&out).contains(&format!("euid {NOBODY}")),
        "{}",
        stdout(&out)
    );
    assert!(
        !log.exists(),
        "a setuid program wrote the log the environment named"
    );
    assert!(err.contains("not recording a secure-execution"), "{err}");
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(left.len(), 2, "nothing but the two programs: {left:?}");
}

#[test]
fn the_crash_handler_writes_no_file_and_runs_no_symbolizer_in_a_setuid_program() {
    let Some((dir, setuid, plain)) = setup() else {
        return;
    };
    let lib = preload("preload-segv");
    let out_file = dir.path().join("report.txt");
    let log = dir.path().join("crash.tklog");
    let env = [
        ("TRACEKIT_SEGV_OUTPUT", out_file.as_path()),
        ("TRACEKIT_LOG", log.as_path()),
    ];

    let control = run_with(&plain, &lib, "crash", &env);
    assert_eq!(control.status.signal(), Some(libc::SIGSEGV));
    assert!(out_file.exists() && log.exists(), "{}", stderr(&control));
    assert!(
        stderr(&control).contains("secure_dlopen.c:"),
        "{}",
        stderr(&control)
    );
    std::fs::remove_file(&out_file).unwrap();
    std::fs::remove_file(&log).unwrap();

    let out = run_with(&setuid, &lib, "crash", &env);
    let err = stderr(&out);
    assert_eq!(out.status.signal(), Some(libc::SIGSEGV), "{err}");
    assert!(err.contains("*** tracekit segv: SIGSEGV"), "{err}");
    assert!(err.contains("no symbolizer is run"), "{err}");
    assert!(!err.contains("secure_dlopen.c:"), "symbolized: {err}");
    assert!(
        !out_file.exists(),
        "the report went to a file the environment named"
    );
    assert!(
        !log.exists(),
        "the crash went to a log the environment named"
    );
}

#[test]
fn the_fence_allocator_writes_no_log_in_a_setuid_program() {
    let Some((dir, setuid, plain)) = setup() else {
        return;
    };
    let lib = preload("preload-efence");
    let log = dir.path().join("fence.tklog");
    let check = Path::new("summary");
    let env = [
        ("TRACEKIT_LOG", log.as_path()),
        ("TRACEKIT_LEAK_CHECK", check),
    ];

    let control = run_with(&plain, &lib, "alloc", &env);
    assert_eq!(control.status.code(), Some(0), "{}", stderr(&control));
    assert!(
        stderr(&control).contains("LEAK SUMMARY"),
        "{}",
        stderr(&control)
    );
    assert!(log.exists(), "the control run writes its log");
    std::fs::remove_file(&log).unwrap();

    let out = run_with(&setuid, &lib, "alloc", &env);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("LEAK SUMMARY"), "{err}");
    assert!(
        !log.exists(),
        "a setuid program wrote the log the environment named"
    );
}
