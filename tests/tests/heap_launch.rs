//! `tracekit heap` as a new user runs it: behind a wrapper script, piped into a JSON parser,
//! with a log place that cannot be written, and looking for the logs afterwards.

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use tracekit_e2e::{bin, example, require_tool, run, stderr, stdout, tempdir};

fn tracekit() -> Command {
    Command::new(bin("tracekit"))
}

/// An executable shell script at `path`.
fn script(path: &Path, body: &str) {
    std::fs::write(path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// Runs `tracekit heap --json --report FILE -o DIR/ EXTRA -- COMMAND`; returns the run's
/// output and the parsed report.
fn heap_json(dir: &Path, extra: &[&str], command: &[&std::ffi::OsStr]) -> (Output, Value) {
    let report = dir.join("report.json");
    let out = run(tracekit()
        .args(["heap", "--json", "--report"])
        .arg(&report)
        .arg("-o")
        .arg(format!("{}/", dir.join("logs").display()))
        .args(extra)
        .arg("--")
        .args(command));
    let text = std::fs::read_to_string(&report)
        .unwrap_or_else(|e| panic!("no report ({e}); stderr:\n{}", stderr(&out)));
    (out, serde_json::from_str(&text).unwrap())
}

fn exes(r: &Value) -> Vec<String> {
    r["processes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["exe"].as_str().unwrap().to_owned())
        .collect()
}

fn process<'a>(r: &'a Value, exe_suffix: &str) -> &'a Value {
    r["processes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["exe"].as_str().unwrap().ends_with(exe_suffix))
        .unwrap_or_else(|| panic!("no process {exe_suffix} in {:?}", exes(r)))
}

// ---- 1: exec is followed, so a wrapper does not hide the program ----

#[test]
fn a_command_behind_a_wrapper_script_is_traced_not_only_the_wrapper() {
    let dir = tempdir();
    let shim = dir.path().join("python3");
    script(
        &shim,
        &format!("exec \"{}\" \"$@\"", example("heap_known").display()),
    );
    let (out, r) = heap_json(dir.path(), &[], &[shim.as_os_str()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // The shell, then heap_known in the same process after its exec.
    let known = process(&r, "/heap_known");
    assert_eq!(known["peak"]["heap_bytes"], 100_000, "{r:#}");
    assert_eq!(known["leaked"]["bytes"], 4096 + 1500);
    let sh = &r["processes"][0];
    assert_eq!(sh["pid"], known["pid"]);
    assert!(sh["exec"].is_string(), "{sh:#}");
    // What the shell had live at its exec went back to the kernel: not a leak.
    assert_eq!(sh["leaked"]["bytes"], 0, "{sh:#}");
    assert_eq!(r["leaked"]["bytes"], 4096 + 1500);

    // --no-follow-exec traces the wrapper alone.
    let only = tempdir();
    let (out, r) = heap_json(only.path(), &["--no-follow-exec"], &[shim.as_os_str()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(exes(&r).len(), 1, "{:?}", exes(&r));
    assert!(!exes(&r)[0].ends_with("/heap_known"));
}

#[test]
fn env_and_sh_c_wrappers_are_followed_too() {
    require_tool!("env");
    let known = example("heap_known");
    for wrapper in [
        vec![
            "env".to_owned(),
            "X=1".to_owned(),
            known.display().to_string(),
        ],
        vec![
            "sh".to_owned(),
            "-c".to_owned(),
            format!("\"{}\"; exit 0", known.display()),
        ],
    ] {
        let dir = tempdir();
        let args: Vec<&std::ffi::OsStr> = wrapper.iter().map(std::ffi::OsStr::new).collect();
        let (out, r) = heap_json(dir.path(), &[], &args);
        assert_eq!(out.status.code(), Some(0), "{wrapper:?}: {}", stderr(&out));
        assert_eq!(
            process(&r, "/heap_known")["peak"]["heap_bytes"],
            100_000,
            "{wrapper:?}"
        );
    }
}

// ---- 3: the JSON report can be piped ----

#[test]
fn json_report_goes_through_a_pipe_into_a_json_parser() {
    require_tool!("python3");
    let dir = tempdir();
    // The program writes to its stdout and stderr; tracekit writes status lines.
    let prog = dir.path().join("prog");
    script(
        &prog,
        &format!(
            "echo program-stdout; echo program-stderr >&2; exec \"{}\"",
            example("heap_known").display()
        ),
    );
    let pipeline = format!(
        "\"{}\" heap --json -- \"{}\" | python3 -c 'import json,sys; r=json.load(sys.stdin); \
         print(r[\"schema\"], r[\"leaked\"][\"bytes\"])'",
        bin("tracekit").display(),
        prog.display()
    );
    let out = run(Command::new("sh")
        .arg("-c")
        .arg(&pipeline)
        .current_dir(dir.path()));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "tracekit.heap-report/2 5596\n");
    // The program's stdout is not lost: it went to stderr, with the status lines.
    let err = stderr(&out);
    assert!(err.contains("program-stdout\n"), "{err}");
    assert!(err.contains("program-stderr\n"), "{err}");
    assert!(err.contains("tracekit heap: recording to "), "{err}");

    // `--report -` does the same for the text report; -q drops the status lines.
    let out = run(tracekit()
        .args(["heap", "-q", "--report", "-", "--"])
        .arg(&prog)
        .current_dir(dir.path()));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("2 processes: heap total: "),
        "{}",
        stdout(&out)
    );
    assert_eq!(stderr(&out), "program-stdout\nprogram-stderr\n");
}

// ---- 4: a log that cannot be written is an error, before the program runs ----

#[test]
fn a_log_path_that_cannot_be_written_fails_before_the_program_starts() {
    let dir = tempdir();
    let marker = dir.path().join("ran");
    let o = run(tracekit()
        .args(["heap", "-o", "/nonexistent-dir/x.%p.tklog", "--", "touch"])
        .arg(&marker));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(
        stderr(&o),
        "tracekit: cannot write logs to /nonexistent-dir: No such file or directory (os error 2)\n"
    );
    assert!(!marker.exists(), "the command ran");

    let file = dir.path().join("plain-file");
    std::fs::write(&file, "x").unwrap();
    let o = run(tracekit()
        .args(["heap", "-o"])
        .arg(file.join("x.tklog"))
        .args(["--", "touch"])
        .arg(&marker));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("not a directory"), "{}", stderr(&o));
    assert!(!marker.exists(), "the command ran");
}

#[test]
fn an_unwritable_current_directory_fails_before_the_program_starts() {
    let dir = tempdir();
    // A world-writable place for the marker, and a directory the test user cannot write.
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let ro = dir.path().join("ro");
    std::fs::create_dir(&ro).unwrap();
    let marker = dir.path().join("ran");
    let mut cmd = tracekit();
    cmd.args(["heap", "--", "touch"])
        .arg(&marker)
        .current_dir(&ro);
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        // Root writes anywhere: run tracekit as nobody, in a directory root owns (0755).
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o755)).unwrap();
        cmd.uid(65534).gid(65534);
    } else {
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
    }
    let o = run(&mut cmd);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.starts_with("tracekit: cannot create the log directory ")
            && err.ends_with("Permission denied (os error 13)\n"),
        "{err}"
    );
    assert!(!marker.exists(), "the command ran");
    assert_eq!(std::fs::read_dir(&ro).unwrap().count(), 0);
}

#[test]
fn a_program_that_writes_no_log_is_an_error_not_a_success() {
    require_tool!("cc");
    let dir = tempdir();
    let src = dir.path().join("s.c");
    std::fs::write(
        &src,
        "#include <stdlib.h>\nint main(void){free(malloc(9));return 0;}\n",
    )
    .unwrap();
    let exe = dir.path().join("static-prog");
    let cc = run(Command::new("cc")
        .arg("-static")
        .arg("-o")
        .arg(&exe)
        .arg(&src));
    assert!(cc.status.success(), "cc -static: {}", stderr(&cc));
    let o = run(tracekit()
        .arg("heap")
        .arg("--")
        .arg(&exe)
        .current_dir(dir.path()));
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("no log was written"), "{err}");
    assert!(err.contains("statically linked"), "{err}");
    // No empty run directory is left behind.
    let left: Vec<PathBuf> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

// ---- 9: the logs of a run in one place, read by one `tracekit report` ----

#[test]
fn a_run_keeps_its_logs_in_one_private_directory_that_report_reads() {
    let dir = tempdir();
    let out = run(tracekit()
        .args([
            "heap",
            "--json",
            "--report",
            "r.json",
            "--",
            "sh",
            "-c",
            "ls / >/dev/null; ls /tmp >/dev/null; true",
        ])
        .current_dir(dir.path()));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| !p.ends_with("r.json"))
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    let run_dir = entries.pop().unwrap();
    let name = run_dir.file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.starts_with("tracekit-heap.sh."), "{name}");
    let mode = std::fs::metadata(&run_dir).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o700, "{mode:o}");
    let logs = std::fs::read_dir(&run_dir).unwrap().count();
    assert!(logs >= 3, "{logs} logs");
    let err = stderr(&out);
    assert!(
        err.contains(&format!("{logs} logs written to {}", run_dir.display())),
        "{err}"
    );

    let heap: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("r.json")).unwrap()).unwrap();
    let again = run(tracekit().args(["report", "--json"]).arg(&run_dir));
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    let again: Value = serde_json::from_str(&stdout(&again)).unwrap();
    assert_eq!(again["processes"], heap["processes"]);
    assert_eq!(again["leaked"], heap["leaked"]);

    // A second run gets a directory of its own.
    let out = run(tracekit()
        .args(["heap", "--", "true"])
        .current_dir(dir.path()));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let dirs = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().is_dir())
        .count();
    assert_eq!(dirs, 2);

    // A directory without logs is one clear error.
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let o = run(tracekit().arg("report").arg(&empty));
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        format!(
            "tracekit: {}: a directory without tracekit logs (*.tklog)\n",
            empty.display()
        )
    );
}

/// What ships is small: the release build carries no debug info (it was 36 MB for `tracekit`
/// and 18 MB for the heap tracker with line tables). Checked where the tests run against the
/// release build (`.ci/run` does, with TRACEKIT_TEST_TARGET_DIR).
#[test]
fn release_binaries_are_small() {
    let dir = tracekit_e2e::target_dir();
    if dir.file_name().is_none_or(|n| n != "release") {
        eprintln!("skipped: {} is not a release build", dir.display());
        return;
    }
    for (file, limit_mib) in [
        ("tracekit", 8),
        ("libpreload_heaptrack.so", 4),
        ("libpreload_segv.so", 1),
    ] {
        let path = dir.join(file);
        let len = std::fs::metadata(&path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .len();
        assert!(len < limit_mib << 20, "{file}: {len} bytes");
        // No DWARF left in it (the symbol table stays, for names in our own backtraces).
        let out = run(Command::new("readelf").args(["-S", "-W"]).arg(&path));
        let sections = stdout(&out);
        assert!(sections.contains(".symtab"), "{file}: {sections}");
        assert!(!sections.contains(".debug_info"), "{file}: {sections}");
    }
}

/// The file names in `dir`, each process id replaced by `PID`.
fn names_without_pids(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .map(|n| {
            n.split('.')
                .map(|part| match part.parse::<u32>() {
                    Ok(_) => "PID",
                    Err(_) => part,
                })
                .collect::<Vec<_>>()
                .join(".")
        })
        .collect();
    names.sort();
    names
}

/// The heap tracker names its log the same whichever way it was started: preloaded by hand
/// (in the current directory) or by `tracekit heap` (in the run's directory).
#[test]
fn the_log_has_one_name_however_the_tracker_was_started() {
    let by_hand = tempdir();
    let out = run(Command::new(example("heap_known"))
        .env("LD_PRELOAD", tracekit_e2e::preload("preload-heaptrack"))
        .current_dir(by_hand.path()));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let hand = names_without_pids(by_hand.path());
    assert_eq!(hand, ["tracekit-heap.heap_known.PID.tklog"]);

    let launched = tempdir();
    let out = run(tracekit()
        .args(["heap", "-q", "--no-pack", "--"])
        .arg(example("heap_known"))
        .current_dir(launched.path()));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let run_dirs: Vec<PathBuf> = std::fs::read_dir(launched.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(run_dirs.len(), 1, "{run_dirs:?}");
    assert_eq!(names_without_pids(&run_dirs[0]), hand);
}
