//! The leak check under the fence allocator (`TRACEKIT_LEAK_CHECK=full`): the fence's own
//! table of live blocks fed to the heap tracker's scan must give the heap tracker's figures
//! for the same victims (`examples/c/leak_*`, which `tests/tests/leak.rs` compares with
//! valgrind memcheck): the LEAK SUMMARY printed by the process, the one `tracekit report`
//! prints from the fence's log, and the loss records with their allocation sites.

use std::path::Path;
use std::process::Command;

use tracekit_e2e::{bin, example, preload, run, stderr, stdout, tempdir};

/// The four figure lines of the last LEAK SUMMARY in `text`, without their `==PID==`.
fn summary(text: &str) -> Vec<String> {
    let start = text
        .rfind("LEAK SUMMARY:")
        .unwrap_or_else(|| panic!("no LEAK SUMMARY in:\n{text}"));
    text[start..]
        .lines()
        .skip(1)
        .take(4)
        .map(|l| {
            l.split_once("==")
                .map_or(l, |(_, r)| r.split_once("==").map_or(r, |(_, r)| r))
        })
        .map(|l| l.trim().to_owned())
        .collect()
}

/// The loss records' first lines ("N bytes in M blocks are ... in loss record K of T"),
/// without their `==PID==`, sorted.
fn loss_records(text: &str) -> Vec<String> {
    let mut v: Vec<String> = text
        .lines()
        .filter(|l| l.contains("in loss record"))
        .map(|l| l.rsplit_once("== ").map_or(l, |(_, r)| r).trim().to_owned())
        .collect();
    v.sort();
    v
}

/// `tracekit heap --leak-check=full -- PROGRAM ARGS`: its text report (stderr).
fn heap_tracker(dir: &Path, program: &Path, args: &[&str]) -> String {
    let out = run(Command::new(bin("tracekit"))
        .current_dir(dir)
        .args(["heap", "-q", "-o"])
        .arg(format!("{}/", dir.join("heap").display()))
        .arg("--leak-check=full")
        .arg("--")
        .arg(program)
        .args(args));
    assert!(out.status.success(), "{}", stderr(&out));
    stderr(&out)
}

/// PROGRAM ARGS under the fence allocator with the check on and a log: (its stderr, what
/// `tracekit report --leak-check=full` prints from the log).
fn fenced(dir: &Path, program: &Path, args: &[&str], envs: &[(&str, &str)]) -> (String, String) {
    let log = dir.join("fence.tklog");
    let mut cmd = Command::new(program);
    cmd.args(args);
    for (k, _) in std::env::vars() {
        if k.starts_with("EF_") || k.starts_with("TRACEKIT_") {
            cmd.env_remove(k);
        }
    }
    let out = run(cmd
        .env("LD_PRELOAD", preload("preload-efence"))
        .env("TRACEKIT_LEAK_CHECK", "full")
        .env("TRACEKIT_LOG", &log)
        .envs(envs.iter().copied()));
    assert!(out.status.success(), "{}", stderr(&out));
    if !log.exists() {
        return (stderr(&out), String::new());
    }
    let report = run(Command::new(bin("tracekit"))
        .args(["report", "--leak-check=full"])
        .arg(&log));
    assert!(report.status.success(), "{}", stderr(&report));
    (stderr(&out), stdout(&report) + &stderr(&report))
}

fn same_as_the_heap_tracker(program: &str, args: &[&str]) -> String {
    let dir = tempdir();
    let p = example(program);
    let theirs = heap_tracker(dir.path(), &p, args);
    let (ours, report) = fenced(dir.path(), &p, args, &[]);
    assert_eq!(
        summary(&ours),
        summary(&theirs),
        "process's summary:\n{ours}"
    );
    assert_eq!(summary(&report), summary(&theirs), "report:\n{report}");
    assert_eq!(
        loss_records(&report),
        loss_records(&theirs),
        "report:\n{report}"
    );
    report
}

#[test]
fn every_shape_of_loss_is_classified_as_the_heap_tracker_does() {
    let report = same_as_the_heap_tracker("leak_shapes", &["mixed"]);
    // The lost tree's record names where its root was allocated.
    let at = report
        .find("280 (40 direct, 240 indirect) bytes in 1 blocks are definitely lost")
        .unwrap_or_else(|| panic!("{report}"));
    let frames: Vec<&str> = report[at..].lines().skip(1).take(3).collect();
    assert!(
        frames.iter().any(|f| f.contains("tree (leak_shapes.c:")),
        "{frames:#?}"
    );
}

#[test]
fn a_block_held_by_a_tls_variable_is_still_reachable_as_under_the_heap_tracker() {
    let report = same_as_the_heap_tracker("leak_roots", &["tls"]);
    assert!(
        summary(&report).contains(&"still reachable: 72 bytes in 1 blocks".to_owned()),
        "{report}"
    );
}

#[test]
fn a_new_array_cookie_is_reachable_as_under_the_heap_tracker() {
    same_as_the_heap_tracker("leak_newarray", &[]);
}

#[test]
fn sampled_mode_makes_no_check_and_says_why() {
    let dir = tempdir();
    let (ours, report) = fenced(
        dir.path(),
        &example("leak_shapes"),
        &["mixed"],
        &[("TRACEKIT_EFENCE_SAMPLE", "100")],
    );
    assert!(
        ours.contains("leak check: not made with TRACEKIT_EFENCE_SAMPLE"),
        "{ours}"
    );
    assert!(!ours.contains("LEAK SUMMARY"), "{ours}");
    assert!(!report.contains("LEAK SUMMARY"), "{report}");
}

#[test]
fn tracekit_efence_leak_check_runs_the_check_and_logs_it() {
    let dir = tempdir();
    let p = example("leak_roots");
    let theirs = heap_tracker(dir.path(), &p, &["lost"]);
    let log = dir.path().join("launched.tklog");
    let out = run(Command::new(bin("tracekit"))
        .args(["efence", "--leak-check=full", "--log"])
        .arg(&log)
        .arg("--preload")
        .arg(preload("preload-efence"))
        .arg("--")
        .arg(&p)
        .arg("lost"));
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(summary(&stderr(&out)), summary(&theirs), "{}", stderr(&out));
    let report = run(Command::new(bin("tracekit"))
        .args(["report", "--leak-check=full"])
        .arg(&log));
    let text = stdout(&report) + &stderr(&report);
    assert_eq!(loss_records(&text), loss_records(&theirs), "{text}");
}
