//! libstdc++'s emergency exception pool and glibc's one-off buffers: the heap tracker frees
//! them at exit, as valgrind and heaptrack do, so a C++ program that frees everything it
//! allocates reports no leak, and `--max-leaked 0` passes. `TRACEKIT_FREERES=0` keeps them.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tracekit_e2e::*;
use tracekit_log::{Event, Exit};

/// What one `tracekit heap` run left.
struct Run {
    out: Output,
    /// The text report (`--report FILE`).
    report: String,
    log: PathBuf,
}

/// Runs `program` under `tracekit heap -o LOG --report FILE EXTRA`, with `env` set.
fn heap(dir: &Path, program: &Path, env: &[(&str, &str)], extra: &[&str]) -> Run {
    let log = dir.join("run.tklog");
    let report = dir.join("report.txt");
    let mut cmd = Command::new(bin("tracekit"));
    cmd.arg("heap")
        .arg("-o")
        .arg(&log)
        .arg("--report")
        .arg(&report)
        .args(extra)
        .arg("--")
        .arg(program)
        .env_remove("TRACEKIT_FREERES");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = run(&mut cmd);
    let report = std::fs::read_to_string(&report)
        .unwrap_or_else(|e| panic!("no report ({e}); stderr:\n{}", stderr(&out)));
    Run { out, report, log }
}

/// `tracekit report --json LOG`, parsed.
fn json(log: &Path) -> serde_json::Value {
    let out = run(Command::new(bin("tracekit"))
        .args(["report", "--json", "--top", "0"])
        .arg(log));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    serde_json::from_str(&stdout(&out)).unwrap()
}

fn leaked(report: &serde_json::Value) -> (u64, u64) {
    let l = &report["leaked"];
    (l["bytes"].as_u64().unwrap(), l["blocks"].as_u64().unwrap())
}

fn exit_record(log: &Path) -> Exit {
    read_log(log)
        .into_iter()
        .find_map(|e| match e {
            Event::Exit(x) => Some(x),
            _ => None,
        })
        .expect("an Exit record")
}

const FREED_NOTE: &str =
    "  (libstdc++'s and glibc's one-off buffers were freed at exit, as valgrind does)\n";

/// The example throws and catches exceptions in `main` and in a static destructor that
/// runs at exit (before the pool is freed): they all work, and nothing leaks.
#[test]
fn a_cxx_program_that_frees_everything_leaks_nothing() {
    let dir = tempdir();
    let r = heap(
        dir.path(),
        &example("heap_cxx_exceptions"),
        &[],
        &["--max-leaked", "0"],
    );
    assert_eq!(r.out.status.code(), Some(0), "{}", stderr(&r.out));
    assert_eq!(
        stdout(&r.out),
        "kept 5, caught 5\ncaught 6 by exit\n",
        "{}",
        stderr(&r.out)
    );
    assert!(
        r.report.contains("Leaked at exit: 0 bytes in 0 blocks\n"),
        "{}",
        r.report
    );
    assert!(r.report.contains(FREED_NOTE), "{}", r.report);
    assert!(!r.report.contains("Leaks by site"), "{}", r.report);
    let x = exit_record(&r.log);
    assert_eq!(x.code, Some(0));
    assert_eq!(x.freeres, Exit::FREERES_CXX | Exit::FREERES_LIBC);
    let j = json(&r.log);
    assert_eq!(leaked(&j), (0, 0));
    assert_eq!(
        j["processes"][0]["exit"]["freeres"],
        serde_json::json!(["libstdc++", "glibc"])
    );
    // The pool was allocated and freed like any block: every allocation has its free.
    assert_eq!(j["valgrind"]["allocs"], j["valgrind"]["frees"]);
}

/// valgrind runs the same two functions at the very end (`--run-cxx-freeres`,
/// `--run-libc-freeres`): the same blocks are left, and none lost.
#[test]
fn a_cxx_program_leaks_what_valgrind_says_it_leaks() {
    require_tool!("valgrind");
    let dir = tempdir();
    let program = example("heap_cxx_exceptions");
    let r = heap(dir.path(), &program, &[], &[]);
    assert_eq!(r.out.status.code(), Some(0), "{}", stderr(&r.out));
    let ours = json(&r.log);
    let vg = valgrind(&program, &[]);
    assert_eq!(vg.in_use, leaked(&ours), "valgrind:\n{}", vg.text);
    assert_eq!(vg.lost, 0, "valgrind:\n{}", vg.text);
    assert_eq!(
        vg.allocs_frees,
        (
            ours["valgrind"]["allocs"].as_u64().unwrap(),
            ours["valgrind"]["frees"].as_u64().unwrap()
        ),
        "valgrind:\n{}",
        vg.text
    );
}

/// heaptrack frees the same buffers in its `atexit` handler: its leak total has no room
/// for the pool either.
#[test]
fn heaptrack_does_not_count_the_pool_either() {
    require_tool!("heaptrack");
    require_tool!("heaptrack_print");
    let dir = tempdir();
    let program = example("heap_cxx_exceptions");
    let kept = heap(dir.path(), &program, &[("TRACEKIT_FREERES", "0")], &[]);
    let pool = pool_bytes(&json(&kept.log));
    let file = heaptrack_record(dir.path(), &program, &[]);
    let printed = run(Command::new("heaptrack_print").arg("-f").arg(&file));
    let text = stdout(&printed);
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("total memory leaked: "))
        .unwrap_or_else(|| panic!("no leak total in:\n{text}"));
    let theirs = heaptrack_bytes(line);
    assert!(
        theirs < pool as f64,
        "heaptrack leaks {line}, the pool is {pool} bytes"
    );
    let ours = heap(dir.path(), &program, &[], &[]);
    assert_eq!(leaked(&json(&ours.log)), (0, 0));
}

/// `TRACEKIT_FREERES=0` keeps the buffers: the pool is a leak again (libstdc++ allocated it
/// while the dynamic loader ran its constructors), as valgrind sees it with
/// `--run-cxx-freeres=no --run-libc-freeres=no`, and `--max-leaked 0` fails.
#[test]
fn freeres_off_shows_the_pool_again() {
    let dir = tempdir();
    let r = heap(
        dir.path(),
        &example("heap_cxx_exceptions"),
        &[("TRACEKIT_FREERES", "0")],
        &["--max-leaked", "0"],
    );
    assert_eq!(r.out.status.code(), Some(1), "{}", stderr(&r.out));
    assert!(
        stderr(&r.out).contains("exceeds --max-leaked 0"),
        "{}",
        stderr(&r.out)
    );
    assert!(!r.report.contains("one-off buffers"), "{}", r.report);
    assert_eq!(exit_record(&r.log).freeres, 0);
    let j = json(&r.log);
    let pool = pool_bytes(&j);
    assert!(pool > 0);
    assert!(leaked(&j).0 >= pool);
    if has_tool("valgrind") {
        let vg = valgrind(
            &example("heap_cxx_exceptions"),
            &["--run-cxx-freeres=no", "--run-libc-freeres=no"],
        );
        assert_eq!(vg.in_use, leaked(&j), "valgrind:\n{}", vg.text);
    } else {
        eprintln!("SKIP: valgrind is not installed (comparison left out)");
    }
}

/// A C program has no libstdc++: only glibc's buffers are freed, and the report says so.
#[test]
fn a_c_program_gets_glibcs_buffers_freed() {
    let dir = tempdir();
    let r = heap(dir.path(), &example("heap_same_line"), &[], &[]);
    assert_eq!(r.out.status.code(), Some(0), "{}", stderr(&r.out));
    assert_eq!(exit_record(&r.log).freeres, Exit::FREERES_LIBC);
    assert!(
        r.report
            .contains("  (glibc's one-off buffers were freed at exit, as valgrind does)\n"),
        "{}",
        r.report
    );
    // printf's buffer was one of them.
    assert!(
        r.report.contains("Leaked at exit: 0 bytes in 0 blocks\n"),
        "{}",
        r.report
    );
}

/// The bytes of the leaked site allocated inside libstdc++ (the pool).
fn pool_bytes(report: &serde_json::Value) -> u64 {
    let sites = report["sites"].as_array().unwrap();
    let pool: Vec<&serde_json::Value> = sites
        .iter()
        .filter(|s| s["leaked"]["bytes"].as_u64().unwrap() > 0)
        .filter(|s| {
            s["frames"][0]["module"]
                .as_str()
                .is_some_and(|m| m.contains("libstdc++"))
        })
        .collect();
    assert_eq!(pool.len(), 1, "{sites:#?}");
    pool[0]["leaked"]["bytes"].as_u64().unwrap()
}

/// `4.10K`, `72.70K`, `0B` as heaptrack_print prints sizes (powers of 1000).
fn heaptrack_bytes(text: &str) -> f64 {
    let text = text.trim();
    let (num, unit) = text.split_at(text.find(|c: char| c.is_ascii_alphabetic()).unwrap());
    let scale = match unit {
        "B" => 1.0,
        "K" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        other => panic!("unit {other:?} in {text:?}"),
    };
    num.parse::<f64>().unwrap() * scale
}

/// What memcheck's summary says.
struct Valgrind {
    /// "in use at exit": bytes, blocks.
    in_use: (u64, u64),
    /// "definitely lost" plus "indirectly lost", bytes.
    lost: u64,
    /// "total heap usage": allocs, frees.
    allocs_frees: (u64, u64),
    text: String,
}

fn valgrind(program: &Path, options: &[&str]) -> Valgrind {
    let out = run(Command::new("valgrind")
        .arg("--leak-check=full")
        .args(options)
        .arg(program));
    let text = stderr(&out);
    let num = |s: &str| s.replace(',', "").parse::<u64>().unwrap();
    // "==N==     in use at exit: 76,800 bytes in 2 blocks"
    let after = |key: &str| -> Option<Vec<u64>> {
        let line = text
            .lines()
            .find_map(|l| l.split_once(key).map(|(_, r)| r))?;
        Some(
            line.split_whitespace()
                .filter(|w| w.chars().next().is_some_and(|c| c.is_ascii_digit()))
                .map(num)
                .collect(),
        )
    };
    let in_use = after("in use at exit:").unwrap_or_else(|| panic!("{text}"));
    let usage = after("total heap usage:").unwrap_or_else(|| panic!("{text}"));
    // With nothing in use, memcheck prints no lost lines.
    let lost = ["definitely lost:", "indirectly lost:"]
        .iter()
        .map(|k| after(k).map_or(0, |v| v[0]))
        .sum();
    Valgrind {
        in_use: (in_use[0], in_use[1]),
        lost,
        allocs_frees: (usage[0], usage[1]),
        text,
    }
}
