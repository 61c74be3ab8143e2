//! What a new user reads first, said once and no more precisely than it is known: frames of a
//! stripped library, times of the coarse clock, two calls on one line, a directory given as
//! a log, error wording, and a command killed by a signal. Real programs, real runs.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tracekit_e2e::*;

/// What one `tracekit heap` run left.
struct Run {
    out: Output,
    /// The text report (`--report FILE`).
    report: String,
    log: PathBuf,
}

/// Runs `cmd` under `tracekit heap -o LOG --report FILE`.
fn heap(dir: &Path, cmd: &[&std::ffi::OsStr]) -> Run {
    let log = dir.join("run.tklog");
    let report = dir.join("report.txt");
    let out = run(Command::new(bin("tracekit"))
        .arg("heap")
        .arg("-o")
        .arg(&log)
        .arg("--report")
        .arg(&report)
        .arg("--")
        .args(cmd));
    let report = std::fs::read_to_string(&report)
        .unwrap_or_else(|e| panic!("no report ({e}); stderr:\n{}", stderr(&out)));
    Run { out, report, log }
}

/// `tracekit report ARGS LOG`.
fn report(args: &[&str], log: &Path) -> Output {
    run(Command::new(bin("tracekit"))
        .arg("report")
        .args(args)
        .arg(log))
}

fn cc(args: &[&std::ffi::OsStr]) {
    let out = run(Command::new("cc").args(args));
    assert!(out.status.success(), "cc {args:?}: {}", stderr(&out));
}

/// The allocation sites' blocks of a text report: their first frame lines, in order.
fn first_frames(report: &str, section: &str) -> Vec<String> {
    let mut lines = report
        .lines()
        .skip_while(|l| !l.starts_with(section))
        .skip(1)
        .take_while(|l| !l.is_empty());
    let mut firsts = Vec::new();
    while let Some(l) = lines.next() {
        if l.starts_with("  ") && !l.starts_with("   ") {
            if let Some(f) = lines.next() {
                firsts.push(f.trim().to_owned());
            }
        }
    }
    firsts
}

/// A library built here and stripped: its frames print as module+offset, and why it has no
/// symbols is said once, not on every frame.
#[test]
fn a_stripped_library_is_explained_once() {
    let dir = tempdir();
    let d = dir.path();
    std::fs::write(
        d.join("foo.c"),
        "#include <stdlib.h>\n\
         __attribute__((noinline)) static void *small_block(size_t n) { return malloc(n); }\n\
         __attribute__((noinline)) static void *big_block(size_t n) { return calloc(1, n * 100); }\n\
         void *foo_make(size_t n) { return n < 100 ? small_block(n) : big_block(n); }\n",
    )
    .unwrap();
    std::fs::write(
        d.join("main.c"),
        "#include <stdlib.h>\n\
         void *foo_make(size_t n);\n\
         int main(void) {\n\
             void *a = foo_make(10), *b = foo_make(200);\n\
             free(a);\n\
             free(b);\n\
             return 0;\n\
         }\n",
    )
    .unwrap();
    let lib = d.join("libfoo.so");
    cc(&[
        "-shared".as_ref(),
        "-fPIC".as_ref(),
        "-g".as_ref(),
        "-O1".as_ref(),
        "-o".as_ref(),
        lib.as_os_str(),
        d.join("foo.c").as_os_str(),
    ]);
    let strip = run(Command::new("strip").arg(&lib));
    assert!(strip.status.success(), "{}", stderr(&strip));
    let main = d.join("main");
    let rpath = format!("-Wl,-rpath,{}", d.display());
    cc(&[
        "-g".as_ref(),
        "-o".as_ref(),
        main.as_os_str(),
        d.join("main.c").as_os_str(),
        lib.as_os_str(),
        rpath.as_ref(),
    ]);
    let r = heap(d, &[main.as_os_str()]);
    assert_eq!(r.out.status.code(), Some(0), "{}", stderr(&r.out));
    let firsts = first_frames(&r.report, "Top 2 allocation sites by calls:");
    assert_eq!(firsts.len(), 2, "{}", r.report);
    for f in &firsts {
        assert!(f.contains(": ?? (libfoo.so+0x"), "{f}\n{}", r.report);
        assert!(f.ends_with(')'), "{f}");
    }
    assert_ne!(firsts[0], firsts[1]);
    // One note for the module, after the report.
    let note = format!("  {}: no symbols: stripped", lib.display());
    assert_eq!(r.report.matches(&note).count(), 1, "{}", r.report);
    assert_eq!(r.report.matches("no symbols").count(), 1, "{}", r.report);
    assert!(!r.report.contains("symbolization source"), "{}", r.report);
}

/// Times come from the coarse clock, whose resolution the log records: the report prints
/// whole milliseconds (the clock ticks every 1 to 10 ms), never `0.000 ms`.
#[test]
fn times_print_at_the_clocks_resolution() {
    let dir = tempdir();
    let r = heap(dir.path(), &[example("heap_known").as_os_str()]);
    assert_eq!(r.out.status.code(), Some(0), "{}", stderr(&r.out));
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: ts is a valid out-pointer.
    let rc = unsafe { libc::clock_getres(libc::CLOCK_MONOTONIC_COARSE, &mut ts) };
    assert_eq!(rc, 0);
    let res = ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64;
    assert!(res >= 1_000_000, "a coarse clock of {res} ns");
    let out = report(&["--json"], &r.log);
    let j: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(j["processes"][0]["clock_res_ns"].as_u64(), Some(res));
    let peak = r
        .report
        .lines()
        .find(|l| l.starts_with("Heap at its peak ("))
        .unwrap_or_else(|| panic!("{}", r.report));
    let when = peak
        .split(", ")
        .nth(1)
        .and_then(|w| w.strip_suffix(" ms after start)"))
        .unwrap_or_else(|| panic!("{peak}"));
    assert!(when.parse::<u64>().is_ok(), "{peak}");
    assert!(!r.report.contains(".000 ms"), "{}", r.report);
}

/// The line of heap_same_line.c that holds `needle`.
fn source_line(needle: &str) -> usize {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/c/heap_same_line.c");
    let text = std::fs::read_to_string(src).unwrap();
    text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

/// Two allocations on one line are two sites: their frames give the column; two made by one
/// macro (one line and column) give the address.
#[test]
fn two_allocations_on_one_line_are_told_apart() {
    let dir = tempdir();
    let r = heap(dir.path(), &[example("heap_same_line").as_os_str()]);
    assert_eq!(r.out.status.code(), Some(0), "{}", stderr(&r.out));
    let pair = source_line("malloc(16), *q = malloc(32)");
    let twice = source_line("TWO(r, s);");
    let firsts = first_frames(&r.report, "Top 5 allocation sites by calls:");
    let on = |line: usize| -> Vec<&String> {
        firsts
            .iter()
            .filter(|f| f.contains(&format!("(heap_same_line.c:{line}")))
            .collect()
    };
    let (a, b) = (on(pair), on(twice));
    assert_eq!((a.len(), b.len()), (2, 2), "{}", r.report);
    assert_ne!(a[0], a[1], "{}", r.report);
    assert_ne!(b[0], b[1], "{}", r.report);
    for f in a {
        assert!(
            f.contains(&format!("(heap_same_line.c:{pair}:")),
            "a column: {f}"
        );
    }
    for f in b {
        assert!(
            f.contains(&format!("(heap_same_line.c:{twice}; heap_same_line+0x")),
            "an address: {f}"
        );
    }
    // The JSON has the columns too.
    let out = report(&["--json", "--top", "0"], &r.log);
    let j: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let mut columns: Vec<u64> = j["sites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["frames"][0])
        .filter(|f| f["line"].as_u64() == Some(pair as u64))
        .map(|f| f["column"].as_u64().unwrap())
        .collect();
    columns.sort();
    columns.dedup();
    assert_eq!(columns.len(), 2, "{j:#}");
}

/// `tracekit report DIR` reads the logs in DIR (a `tracekit heap` run's); a directory with
/// none is one line that says so once.
#[test]
fn a_directory_without_logs_is_one_line() {
    let dir = tempdir();
    let out = report(&[], dir.path());
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(
        err,
        format!(
            "tracekit: {}: a directory without tracekit logs (*.tklog)\n",
            dir.path().display()
        )
    );
}

/// The preload library words a system error as the `tracekit` binary does (Rust's
/// `No such file or directory (os error 2)`).
#[test]
fn errors_have_one_wording_across_the_tools() {
    let dir = tempdir();
    let missing = dir.path().join("no-such-dir").join("x.tklog");
    let out = run(Command::new("/bin/true")
        .env("LD_PRELOAD", preload("preload-heaptrack"))
        .env("TRACEKIT_LOG", &missing));
    let why = std::io::Error::from_raw_os_error(libc::ENOENT);
    assert_eq!(
        stderr(&out),
        format!(
            "tracekit: cannot create the log {}: {why}\n",
            missing.display()
        )
    );
    let ours = report(&[], &missing);
    assert_eq!(
        stderr(&ours),
        format!("tracekit: cannot open {}: {why}\n", missing.display())
    );
}

/// A command killed by a signal writes no exit: `tracekit heap` knows the signal from
/// `wait` and says so; a report from the log alone says what it can.
#[test]
fn a_command_killed_by_sigterm_is_reported_killed() {
    let dir = tempdir();
    let r = heap(
        dir.path(),
        &["sh".as_ref(), "-c".as_ref(), "kill -TERM $$".as_ref()],
    );
    assert_eq!(
        r.out.status.code(),
        Some(128 + libc::SIGTERM),
        "{}",
        stderr(&r.out)
    );
    assert!(
        r.report.contains("\nLive when SIGTERM killed it: "),
        "{}",
        r.report
    );
    assert!(!r.report.contains("no exit recorded"), "{}", r.report);
    let later = report(&[], &r.log);
    assert_eq!(later.status.code(), Some(0), "{}", stderr(&later));
    assert!(
        stdout(&later).contains(
            "\nLive at the end of the log (no exit recorded: killed by a signal, or still running): "
        ),
        "{}",
        stdout(&later)
    );
}
