//! Self-contained logs (`tracekit pack`, run by `tracekit heap` after the command): a log
//! reports the same functions and lines once the program it recorded is deleted, rebuilt, or
//! left behind on another machine; a log that was never packed still says why its frames are
//! unknown; packing never damages a log.
//!
//! Each test compiles its own copy of `examples/c/heap_known.c` with `cc -g` into a temporary
//! directory, so it can delete or rebuild the binary afterwards.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

use tracekit_e2e::{bin, preload, require_tool, run, stderr, stdout, tempdir};

fn tracekit() -> Command {
    Command::new(bin("tracekit"))
}

/// The C source every test compiles.
fn source() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/c/heap_known.c")
}

/// Compiles `heap_known.c` with `cc -g -O0` into `dir/prog`, with `prefix` put in front of
/// the source (a change that moves every line and gives another build-id).
fn compile(dir: &Path, prefix: &str) -> PathBuf {
    let src = dir.join("heap_known.c");
    let text = std::fs::read_to_string(source()).unwrap();
    std::fs::write(&src, format!("{prefix}{text}")).unwrap();
    let prog = dir.join("prog");
    let out = run(Command::new("cc")
        .args(["-g", "-O0", "-o"])
        .arg(&prog)
        .arg(&src));
    assert!(out.status.success(), "cc failed:\n{}", stderr(&out));
    prog
}

/// Runs `prog` under `tracekit heap -o dir/x.%p.tklog --report dir/NAME.txt` (plus `extra`
/// options); returns the report and the log.
fn heap(dir: &Path, prog: &Path, name: &str, extra: &[&str]) -> (String, PathBuf) {
    let report = dir.join(format!("{name}.txt"));
    let pattern = dir.join(format!("{name}.%p.tklog"));
    let out = run(tracekit()
        .arg("heap")
        .arg("-o")
        .arg(&pattern)
        .arg("--report")
        .arg(&report)
        .args(extra)
        .arg("--")
        .arg(prog));
    assert_eq!(out.status.code(), Some(0), "stderr:\n{}", stderr(&out));
    let text = std::fs::read_to_string(&report).unwrap();
    (text, only_log(dir, name))
}

/// The one log in `dir` whose name starts with `name.`.
fn only_log(dir: &Path, name: &str) -> PathBuf {
    let logs: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let f = p.file_name().unwrap().to_string_lossy();
            f.starts_with(&format!("{name}.")) && f.ends_with(".tklog")
        })
        .collect();
    assert_eq!(logs.len(), 1, "{logs:?}");
    logs.into_iter().next().unwrap()
}

/// `tracekit report LOG` (text), which must succeed.
fn report(log: &Path) -> String {
    let out = run(tracekit().arg("report").arg(log));
    assert_eq!(out.status.code(), Some(0), "stderr:\n{}", stderr(&out));
    stdout(&out)
}

/// The report's backtrace lines (`at f (file:line)`, `by ...`).
fn frames(report: &str) -> Vec<&str> {
    report
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("at ") || l.starts_with("by "))
        .collect()
}

/// A report of heap_known with its functions named from debug info.
fn assert_symbolized(report: &str) {
    for f in ["many_small", "some_callocs", "growth_chain", "one_leak"] {
        assert!(
            report.contains(&format!("at {f} (heap_known.c:")),
            "{f} is not named:\n{report}"
        );
    }
    assert!(!report.contains("??"), "{report}");
}

/// Runs `prog` with the preload library set by hand (no `tracekit heap`, so never packed),
/// the log at `dir/NAME.%p.tklog`; returns the log.
fn preloaded(dir: &Path, prog: &Path, name: &str) -> PathBuf {
    let out = run(Command::new(prog)
        .env("LD_PRELOAD", preload("preload-heaptrack"))
        .env("TRACEKIT_LOG", dir.join(format!("{name}.%p.tklog"))));
    assert_eq!(out.status.code(), Some(0), "stderr:\n{}", stderr(&out));
    only_log(dir, name)
}

fn one_line_error(o: &Output, needle: &str) {
    assert_eq!(o.status.code(), Some(2), "stderr:\n{}", stderr(o));
    let err = stderr(o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains(needle), "{needle:?} in {err}");
}

#[test]
fn deleted_binary_reports_from_the_log() {
    require_tool!("cc");
    let dir = tempdir();
    let prog = compile(dir.path(), "");
    let (r1, log) = heap(dir.path(), &prog, "x", &[]);
    assert_symbolized(&r1);
    std::fs::remove_file(&prog).unwrap();
    assert_eq!(report(&log), r1);
}

#[test]
fn rebuilt_binary_does_not_replace_the_logs_symbols() {
    require_tool!("cc");
    let dir = tempdir();
    let prog = compile(dir.path(), "");
    let (r1, packed) = heap(dir.path(), &prog, "x", &[]);
    let (_, unpacked) = heap(dir.path(), &prog, "u", &["--no-pack"]);
    assert_symbolized(&r1);
    // Two lines more at the top: every line moves, the build-id changes.
    compile(dir.path(), "/* rebuilt */\n/* with a change */\n");
    // The log's own symbols, not the new binary's lines.
    assert_eq!(report(&packed), r1);
    // The unpacked log has only the binary, and the build-id check refuses it.
    let without = report(&unpacked);
    assert!(without.contains("build-id differs"), "{without}");
    assert!(!without.contains("(heap_known.c:"), "{without}");
}

#[test]
fn copied_log_reports_the_same_elsewhere() {
    require_tool!("cc");
    let dir = tempdir();
    let prog = compile(dir.path(), "");
    let (r1, log) = heap(dir.path(), &prog, "x", &[]);
    let elsewhere = tempdir();
    let copy = elsewhere.path().join("copied.tklog");
    std::fs::copy(&log, &copy).unwrap();
    drop(dir); // the binary, its source and the original log are gone
    assert_eq!(report(&copy), r1);
}

#[test]
fn hand_preloaded_log_is_unknown_until_packed() {
    require_tool!("cc");
    let dir = tempdir();
    let prog = compile(dir.path(), "");
    let log = preloaded(dir.path(), &prog, "h");
    let kept = tempdir();
    let unpacked = kept.path().join("unpacked.tklog");
    std::fs::copy(&log, &unpacked).unwrap();

    let out = run(tracekit().arg("pack").arg(&log));
    assert_eq!(out.status.code(), Some(0), "stderr:\n{}", stderr(&out));
    let said = stdout(&out);
    let n: usize = said
        .split(": ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count in {said:?}"));
    // main and one return address in each of the four functions, at least.
    assert!(n >= 5 && said.contains(" addresses symbolized"), "{said}");
    let live = report(&log);
    assert_symbolized(&live);

    std::fs::remove_file(&prog).unwrap();
    let without = report(&unpacked);
    assert!(
        without.contains(": ?? (prog+0x") && without.contains("cannot read module"),
        "{without}"
    );
    assert_eq!(report(&log), live);
    // The frames the unpacked log cannot name are the ones the packed log names.
    assert_eq!(frames(&without).len(), frames(&live).len());
}

#[test]
fn pack_leaves_damaged_logs_as_they_were() {
    require_tool!("cc");
    let dir = tempdir();
    let prog = compile(dir.path(), "");
    let log = std::fs::read(preloaded(dir.path(), &prog, "h")).unwrap();
    let damaged = tempdir();
    let mut cut = log.clone();
    cut.truncate(log.len() - 3);
    let mut bad_chunk = log.clone();
    bad_chunk[12] = 0xff; // a chunk of codec 0x7f, which does not exist
    let mut not_a_log = log.clone();
    not_a_log[..6].copy_from_slice(b"ELF\0\0\0");
    for (name, bytes, message) in [
        ("cut", &cut, "truncated"),
        ("chunk", &bad_chunk, "corrupt log at byte 12"),
        ("magic", &not_a_log, "not a tracekit log"),
    ] {
        let path = damaged.path().join(format!("{name}.tklog"));
        std::fs::write(&path, bytes).unwrap();
        let out = run(tracekit().arg("pack").arg(&path));
        one_line_error(&out, &format!("tracekit: cannot pack {}: ", path.display()));
        one_line_error(&out, message);
        assert_eq!(&std::fs::read(&path).unwrap(), bytes, "{name}");
    }
    // Nothing was left behind: no temporary file next to the logs.
    let mut left: Vec<_> = std::fs::read_dir(damaged.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    left.sort();
    assert_eq!(left, ["chunk.tklog", "cut.tklog", "magic.tklog"]);
}

#[test]
fn packing_twice_changes_nothing_and_keeps_the_mode() {
    use std::os::unix::fs::PermissionsExt;
    require_tool!("cc");
    let dir = tempdir();
    let prog = compile(dir.path(), "");
    let log = preloaded(dir.path(), &prog, "h");
    std::fs::set_permissions(&log, std::fs::Permissions::from_mode(0o640)).unwrap();
    let before = std::fs::read(&log).unwrap();
    let first = run(tracekit().arg("pack").arg(&log));
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let packed = std::fs::read(&log).unwrap();
    assert!(packed.len() > before.len());
    // The original bytes follow the header and the symbols, unchanged.
    assert!(
        packed.ends_with(&before[12..]),
        "the log's records were changed"
    );
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode(&log), 0o640);

    let second = run(tracekit().arg("pack").arg(&log));
    assert_eq!(second.status.code(), Some(0), "{}", stderr(&second));
    assert!(
        stdout(&second).contains("nothing new to pack"),
        "{}",
        stdout(&second)
    );
    assert_eq!(std::fs::read(&log).unwrap(), packed);
}

/// Kills the child on drop.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn pack_leaves_a_log_that_is_still_being_written() {
    require_tool!("sleep");
    let dir = tempdir();
    let child = Command::new("sleep")
        .arg("60")
        .env("LD_PRELOAD", preload("preload-heaptrack"))
        .env("TRACEKIT_LOG", dir.path().join("s.%p.tklog"))
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut guard = Guard(child);
    let log = dir.path().join(format!("s.{pid}.tklog"));
    // The preload writes the log's process record as the program starts; until it is there
    // (the header alone is written first) the log names no process that could be writing it.
    let names_a_process = |p: &Path| {
        std::fs::read(p).is_ok_and(|bytes| {
            tracekit_log::Reader::new(&bytes[..]).is_ok_and(|r| {
                r.map_while(Result::ok)
                    .any(|e| matches!(e, tracekit_log::Event::Process(_)))
            })
        })
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while !names_a_process(&log) {
        assert!(Instant::now() < deadline, "no log from sleep");
        std::thread::sleep(Duration::from_millis(10));
    }
    let inode = |p: &Path| std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(p).unwrap());
    let before = inode(&log);
    let out = run(tracekit().arg("pack").arg(&log));
    one_line_error(&out, &format!("process {pid} is still writing it"));
    // Not replaced: the process goes on writing the file the log's name still names.
    assert_eq!(inode(&log), before);

    guard.0.kill().unwrap();
    guard.0.wait().unwrap();
    let out = run(tracekit().arg("pack").arg(&log));
    assert_eq!(out.status.code(), Some(0), "stderr:\n{}", stderr(&out));
}
