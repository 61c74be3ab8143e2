//! Issue 20, the heap tracker where a malloc hook cannot see: programs with an allocator of
//! their own (detected and warned about; counted through the `tracekit-alloc` wrapper and
//! `tracekit_heap.h`), and per-test figures.

use std::path::Path;
use std::process::Output;

use serde_json::Value;
use tracekit_e2e::{bin, example, run, stderr, stdout, tempdir, tracekit};

/// Runs `tracekit heap --json --top 0 EXTRA -- PROGRAM` in `dir`; the output and the report.
fn heap_json(dir: &Path, extra: &[&str], program: &Path) -> (Output, Value) {
    let out = run(tracekit()
        .current_dir(dir)
        .args(["heap", "--json", "--top", "0", "-o", "./"])
        .args(extra)
        .arg("--")
        .arg(program));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let r = serde_json::from_str(&stdout(&out))
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", stdout(&out), stderr(&out)));
    (out, r)
}

/// The program's own counts, from its line `sum=.. allocs=N bytes=B frees=F`.
fn own_count(text: &str, key: &str) -> u64 {
    let line = text
        .lines()
        .find(|l| l.starts_with("sum="))
        .unwrap_or_default();
    line.split_whitespace()
        .find_map(|w| w.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("no {key}= in {line:?}"))
        .parse()
        .unwrap()
}

fn custom_sites(r: &Value, what: &str) -> u64 {
    r["sites"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["function"] == "custom alloc")
        .map(|s| s[what].as_u64().unwrap())
        .sum()
}

#[test]
fn a_rust_program_on_mimalloc_is_detected_and_warned_about() {
    let dir = tempdir();
    let prog = bin("heap-mimalloc");
    let (out, r) = heap_json(dir.path(), &[], &prog);
    let p = &r["processes"][0];
    let unseen = p["unseen_allocators"]
        .as_array()
        .expect("unseen_allocators");
    assert_eq!(unseen.len(), 1, "{unseen:?}");
    assert_eq!(unseen[0]["allocator"], "mimalloc");
    assert_eq!(unseen[0]["module"], prog.to_str().unwrap());
    // None of its Rust allocations reached a hook: the program made over a thousand.
    assert!(own_count(&stderr(&out), "allocs") > 1000);
    assert!(p["valgrind"]["allocs"].as_u64().unwrap() < 50, "{p:#}");
    assert_eq!(p["calls"]["custom_alloc"], 0);

    // The text report says so in words, first.
    let text = run(tracekit()
        .current_dir(dir.path())
        .args(["report"])
        .args(logs(dir.path())));
    let first = stderr(&text) + &stdout(&text);
    assert!(
        first.starts_with("WARNING: process ")
            && first.contains("has its own allocator linked in (mimalloc")
            && first.contains("tracekit-alloc"),
        "{first}"
    );
}

fn logs(dir: &Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "tklog"))
        .collect()
}

#[test]
fn the_same_program_through_the_traced_wrapper_is_counted_exactly() {
    let dir = tempdir();
    let (out, r) = heap_json(dir.path(), &[], &bin("heap-mimalloc-traced"));
    let p = &r["processes"][0];
    let text = stderr(&out);
    // Every allocation and reallocation the program counted in its allocator, and their bytes.
    let allocs = own_count(&text, "allocs");
    assert_eq!(
        p["calls"]["custom_alloc"].as_u64().unwrap(),
        allocs,
        "{text}"
    );
    assert_eq!(custom_sites(&r, "calls"), allocs);
    assert_eq!(custom_sites(&r, "bytes"), own_count(&text, "bytes"));
    // Releases: the program's count when it printed, and a few more at exit.
    let frees = p["calls"]["custom_free"].as_u64().unwrap();
    assert!(frees >= own_count(&text, "frees"), "{frees}");
    // The 10 blocks of 5000 bytes it kept are leaks of the custom allocator.
    let leaked: u64 = r["sites"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["function"] == "custom alloc")
        .map(|s| s["leaked"]["bytes"].as_u64().unwrap())
        .sum();
    assert!(leaked >= 50_000, "{leaked}");
    // Still detected: the report says which allocations it sees.
    assert_eq!(p["unseen_allocators"][0]["allocator"], "mimalloc");
}

#[test]
fn a_c_pool_reports_its_blocks_through_the_header() {
    let dir = tempdir();
    let (_, r) = heap_json(dir.path(), &[], &example("heap_pool"));
    let p = &r["processes"][0];
    assert_eq!(p["calls"]["custom_alloc"], 13);
    assert_eq!(p["calls"]["custom_free"], 12);
    assert_eq!(custom_sites(&r, "bytes"), 10 * 100 + 3 * 200);
    // A C program on glibc's malloc: nothing to warn about.
    assert!(p.get("unseen_allocators").is_none(), "{p:#}");
    // Without the tracker, the weak references are null and the program runs as usual.
    let plain = run(&mut std::process::Command::new(example("heap_pool")));
    assert_eq!(plain.status.code(), Some(0));
    assert!(stdout(&plain).starts_with("pool: 13 blocks"));
}

// ---- per-test figures ----

/// The test binary `examples/tests/pertest_suite.rs` that `cargo test` built (the newest).
fn pertest_suite() -> std::path::PathBuf {
    let deps = tracekit_e2e::target_dir().join("deps");
    let mut found: Vec<_> = std::fs::read_dir(&deps)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            name.starts_with("pertest_suite-") && p.extension().is_none()
        })
        .collect();
    found.sort_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
    found.pop().unwrap_or_else(|| {
        panic!(
            "no pertest_suite-* in {}: build it with `cargo test -p tracekit-examples --no-run`",
            deps.display()
        )
    })
}

/// Runs `tracekit heap --per-test EXTRA -- PROGRAM ARGS`; its output.
fn per_test(dir: &Path, extra: &[&str], program: &Path, args: &[&str]) -> Output {
    run(tracekit()
        .current_dir(dir)
        .args(["heap", "-q", "--per-test", "-o", "./"])
        .args(extra)
        .arg("--")
        .arg(program)
        .args(args))
}

/// The per-test table's rows: name, allocs, allocated, peak, leaked.
fn rows(text: &str) -> Vec<(String, [u64; 4])> {
    let table = text
        .split("Per test (allocations by the test's thread):\n")
        .nth(1)
        .unwrap_or_else(|| panic!("no per-test table in:\n{text}"));
    table
        .lines()
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            let n = |i: usize| w[i].parse::<u64>().unwrap();
            (w[0].to_owned(), [n(1), n(2), n(3), n(4)])
        })
        .collect()
}

/// Each test's own count, printed by the suite: `own NAME allocs=N bytes=B`.
fn own(text: &str, name: &str) -> (u64, u64) {
    let at = text
        .find(&format!("own {name} allocs="))
        .unwrap_or_else(|| panic!("no own count of {name} in:\n{text}"));
    let line = text[at..].lines().next().unwrap();
    let field = |key: &str| -> u64 {
        line.split_whitespace()
            .find_map(|w| w.strip_prefix(key))
            .unwrap_or_else(|| panic!("no {key} in {line:?}"))
            .parse()
            .unwrap()
    };
    (field("allocs="), field("bytes="))
}

#[test]
fn per_test_figures_of_a_rust_test_suite_match_each_tests_own_counts() {
    let dir = tempdir();
    let out = per_test(
        dir.path(),
        &[],
        &pertest_suite(),
        &["--nocapture", "--test-threads=1"],
    );
    let text = stdout(&out) + &stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let rows = rows(&text);
    let names: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    // Every test, by its whole name (the kernel kept 15 bytes of the long one's thread name).
    for t in [
        "grows_a_vector_of_a_long_test_name",
        "hundred_blocks",
        "leaks_three_pages",
        "one_mebibyte",
    ] {
        assert!(names.contains(&t), "{t} not in {names:?}");
    }
    for (name, [allocs, allocated, peak, leaked]) in &rows {
        let (own_allocs, own_bytes) = own(&text, name);
        // The test's own allocations, plus what libtest does on the test's thread before and
        // after the test (its thread's start-up, the result sent back): a few small blocks.
        assert!(
            (own_allocs..=own_allocs + 8).contains(allocs),
            "{name}: {allocs} allocations, its own {own_allocs}"
        );
        assert!(
            (own_bytes..own_bytes + 16 * 1024).contains(allocated),
            "{name}: {allocated} bytes, its own {own_bytes}"
        );
        assert!(peak <= allocated, "{name}");
        // The harness frees its own blocks: what is left is what the test leaked.
        let expect_leak = if name == "leaks_three_pages" {
            3 * 4096
        } else {
            0
        };
        assert_eq!(*leaked, expect_leak, "{name}");
    }
    let peak_of = |n: &str| rows.iter().find(|r| r.0 == n).unwrap().1[2];
    assert!(peak_of("one_mebibyte") >= 1 << 20);
    assert!(peak_of("hundred_blocks") >= 100 * 1000);
}

#[test]
fn per_test_gates_fail_the_run_naming_the_test() {
    let dir = tempdir();
    let out = per_test(
        dir.path(),
        &[
            "--max-peak-per-test",
            "512KiB",
            "--max-leaked-per-test",
            "4KiB",
        ],
        &pertest_suite(),
        &[],
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("test one_mebibyte: peak ") && err.contains("exceeds --max-peak-per-test"),
        "{err}"
    );
    assert!(
        err.contains("test leaks_three_pages: 12288 bytes leaked exceeds --max-leaked-per-test"),
        "{err}"
    );
    assert!(!err.contains("test hundred_blocks:"), "{err}");
    // Limits every test keeps: success.
    let ok = per_test(
        dir.path(),
        &[
            "--max-peak-per-test",
            "2MiB",
            "--max-leaked-per-test",
            "16KiB",
        ],
        &pertest_suite(),
        &[],
    );
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
}

#[test]
fn per_test_marks_of_a_c_harness_are_its_tests() {
    let dir = tempdir();
    let out = per_test(dir.path(), &[], &example("heap_pool"), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let rows = rows(&stderr(&out));
    assert_eq!(
        rows,
        vec![
            ("Pool.GetPut".to_owned(), [10, 1000, 1000, 0]),
            ("Pool.Leak".to_owned(), [4, 5600, 5200, 5200]),
        ]
    );
}

#[test]
fn per_test_on_a_program_without_a_test_harness_says_so() {
    let dir = tempdir();
    let out = per_test(dir.path(), &[], &example("heap_known"), &[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--per-test: ") && err.contains("ran no test harness"),
        "{err}"
    );
    // The whole run's report is still there.
    assert!(err.contains("Memory usage summary"), "{err}");
}

// ---- the live view, driven in tmux ----

/// A tmux server of the test's own (its socket in `dir`), killed on drop.
struct Tmux {
    socket: std::path::PathBuf,
}

impl Tmux {
    fn new(dir: &Path) -> Tmux {
        Tmux {
            socket: dir.join("tmux.sock"),
        }
    }

    fn cmd(&self) -> std::process::Command {
        let mut c = std::process::Command::new("tmux");
        c.arg("-S").arg(&self.socket);
        c
    }

    /// Starts `shell_command` in a new detached 120x40 session `name`.
    fn start(&self, name: &str, shell_command: &str) {
        let out = run(self.cmd().args([
            "new-session",
            "-d",
            "-x",
            "120",
            "-y",
            "40",
            "-s",
            name,
            shell_command,
        ]));
        assert!(out.status.success(), "{}", stderr(&out));
        run(self
            .cmd()
            .args(["set-option", "-t", name, "remain-on-exit", "on"]));
    }

    fn screen(&self, name: &str) -> String {
        stdout(&run(self.cmd().args(["capture-pane", "-p", "-t", name])))
    }

    /// The screen once it shows every one of `wanted` (panics with the screen after a while:
    /// a bound on waiting for a hung view, not a timing the test measures).
    fn wait_for(&self, name: &str, wanted: &[&str]) -> String {
        for _ in 0..600 {
            let s = self.screen(name);
            if wanted.iter().all(|w| s.contains(w)) {
                return s;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("{wanted:?} never shown; the screen:\n{}", self.screen(name));
    }

    fn keys(&self, name: &str, keys: &str) {
        run(self.cmd().args(["send-keys", "-t", name, keys]));
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd().arg("kill-server").output();
    }
}

fn alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
        && !std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .unwrap_or_default()
            .contains(") Z ")
}

fn read_pid(file: &Path) -> u32 {
    for _ in 0..600 {
        if let Some(pid) = std::fs::read_to_string(file)
            .ok()
            .and_then(|t| t.trim().parse().ok())
        {
            return pid;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("{} never written", file.display());
}

#[test]
fn the_live_view_shows_the_heap_and_quitting_it_leaves_the_program_running() {
    tracekit_e2e::require_tool!("tmux");
    let dir = tempdir();
    let (flag, pidfile) = (dir.path().join("flag"), dir.path().join("pid"));
    let tmux = Tmux::new(dir.path());
    let command = format!(
        "cd {} && {} heap -q --live -o ./ -- {} {} {}; echo tracekit-exit=$?; sleep 60",
        dir.path().display(),
        bin("tracekit").display(),
        example("heap_live").display(),
        flag.display(),
        pidfile.display()
    );
    tmux.start("live", &command);
    let pid = read_pid(&pidfile);
    // 30 blocks of 100000 live, and the peak when 10 more were: heap_live.c's own figures.
    let screen = tmux.wait_for(
        "live",
        &[
            "heap now: 3000000 bytes in 30 blocks",
            "peak: 4000000 bytes",
            "kept_block (heap_live.c:",
        ],
    );
    assert!(screen.contains(&format!("pid {pid} (")), "{screen}");
    assert!(screen.contains("running"), "{screen}");
    // q leaves the view; the program is still running, still waiting for its flag.
    tmux.keys("live", "q");
    tmux.wait_for("live", &["left the live view; the command goes on"]);
    assert!(alive(pid), "the program ended when the view was left");
    std::fs::write(&flag, "").unwrap();
    // Then it ends as usual, and the report follows.
    tmux.wait_for("live", &["tracekit-exit=0"]);
    let report = run(tracekit()
        .arg("report")
        .arg("--json")
        .args(logs(dir.path())));
    let r: Value = serde_json::from_str(&stdout(&report)).unwrap();
    assert_eq!(r["peak"]["heap_bytes"], 4_000_000, "{}", stderr(&report));
}

#[test]
fn top_follows_a_traced_process_by_pid_and_leaves_it_running() {
    tracekit_e2e::require_tool!("tmux");
    let dir = tempdir();
    let (flag, pidfile) = (dir.path().join("flag"), dir.path().join("pid"));
    let mut traced = tracekit()
        .current_dir(dir.path())
        .args(["heap", "-q", "-o", "./", "--"])
        .arg(example("heap_live"))
        .arg(&flag)
        .arg(&pidfile)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let pid = read_pid(&pidfile);
    let tmux = Tmux::new(dir.path());
    let command = format!(
        "{} top --interval 200 {pid}; echo top-exit=$?; sleep 60",
        bin("tracekit").display()
    );
    tmux.start("top", &command);
    tmux.wait_for(
        "top",
        &[
            "heap now: 3000000 bytes in 30 blocks",
            "peak: 4000000 bytes",
        ],
    );
    tmux.keys("top", "q");
    tmux.wait_for("top", &["top-exit=0"]);
    assert!(alive(pid), "the program ended when top was left");
    std::fs::write(&flag, "").unwrap();
    assert!(traced.wait().unwrap().success());
    // A pid with no log: a clear error.
    let out = run(tracekit().args(["top", "--once", &std::process::id().to_string()]));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("has no tracekit log open"),
        "{}",
        stderr(&out)
    );
}
