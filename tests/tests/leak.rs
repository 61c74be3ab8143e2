//! The leak check (`tracekit heap --leak-check`) against valgrind memcheck on the same
//! binaries: for each victim of `examples/c/leak_*`, the LEAK SUMMARY's four figures (bytes
//! and blocks) equal `valgrind --leak-check=full`'s, or the difference is named here. Then
//! the options: `tracekit report` prints the check again from the log, `--error-exitcode`
//! fires only for the kinds of `--errors-for-leak-kinds`, `--max-leaked` counts the kinds it
//! is told, and a bad kind is refused.

use std::path::Path;
use std::process::{Command, Output};

use tracekit_e2e::{bin, example, preload, require_tool, run, stderr, tempdir};

/// The LEAK SUMMARY's figures: (bytes, blocks) definitely, indirectly, possibly lost, still
/// reachable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Figures {
    definite: (u64, u64),
    indirect: (u64, u64),
    possible: (u64, u64),
    reachable: (u64, u64),
    suppressed: (u64, u64),
}

/// Reads the LEAK SUMMARY of valgrind's or our output (`==PID==` prefixes and digit commas
/// alike): the last one in `text`.
fn summary(text: &str) -> Option<Figures> {
    let start = text.rfind("LEAK SUMMARY:")?;
    let mut f = Figures::default();
    for line in text[start..].lines().take(8) {
        let Some((label, rest)) = line.split_once(": ") else {
            continue;
        };
        let nums: Vec<u64> = rest
            .split(" in ")
            .map(|part| {
                part.split_whitespace()
                    .next()
                    .unwrap_or("")
                    .replace(',', "")
                    .parse()
                    .unwrap_or(0)
            })
            .collect();
        let pair = (nums[0], nums.get(1).copied().unwrap_or(0));
        match label.trim_start_matches(|c| c != ' ').trim() {
            "definitely lost" => f.definite = pair,
            "indirectly lost" => f.indirect = pair,
            "possibly lost" => f.possible = pair,
            "still reachable" => f.reachable = pair,
            "suppressed" => f.suppressed = pair,
            _ => {}
        }
    }
    Some(f)
}

fn valgrind(program: &Path, args: &[&str], extra: &[&str]) -> Figures {
    let text = valgrind_text(program, args, extra);
    summary(&text).unwrap_or_else(|| panic!("no LEAK SUMMARY from valgrind:\n{text}"))
}

fn valgrind_text(program: &Path, args: &[&str], extra: &[&str]) -> String {
    let out = run(Command::new("valgrind")
        .arg("--leak-check=full")
        .args(extra)
        .arg(program)
        .args(args));
    stderr(&out)
}

/// `tracekit heap --leak-check=full EXTRA -- PROGRAM ARGS` in `dir`; its output.
fn ours_run(dir: &Path, program: &Path, args: &[&str], extra: &[&str]) -> Output {
    run(Command::new(bin("tracekit"))
        .current_dir(dir)
        .args(["heap", "-q", "-o"])
        .arg(format!("{}/", dir.join("logs").display()))
        .arg("--leak-check=full")
        .args(extra)
        .arg("--")
        .arg(program)
        .args(args))
}

fn ours(program: &Path, args: &[&str]) -> Figures {
    ours_with(program, args, &[])
}

fn ours_with(program: &Path, args: &[&str], extra: &[&str]) -> Figures {
    let dir = tempdir();
    let out = ours_run(dir.path(), program, args, extra);
    let text = stderr(&out);
    summary(&text).unwrap_or_else(|| panic!("no LEAK SUMMARY from tracekit heap:\n{text}"))
}

/// Both checkers on one victim, figures equal.
fn same_as_valgrind(program: &str, args: &[&str]) {
    same_as_valgrind_with(program, args, &[]);
}

/// Both checkers on one victim with the same options, figures equal.
fn same_as_valgrind_with(program: &str, args: &[&str], options: &[&str]) {
    require_tool!("valgrind");
    let p = example(program);
    let theirs = valgrind(&p, args, options);
    assert_eq!(
        ours_with(&p, args, options),
        theirs,
        "{program} {args:?} {options:?}: ours (left), valgrind's (right)"
    );
}

/// The suppression entries printed in `text` (memcheck's `--gen-suppressions=all` form:
/// unprefixed lines from `{` to `}`).
fn entries(text: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for line in text.lines() {
        inside |= line == "{";
        if inside {
            out.push_str(line);
            out.push('\n');
        }
        inside &= line != "}";
    }
    out
}

#[test]
fn a_lost_list_is_one_definite_head_and_indirect_nodes() {
    same_as_valgrind("leak_shapes", &["list"]);
}

#[test]
fn a_lost_tree_is_one_definite_root_and_indirect_subtrees() {
    same_as_valgrind("leak_shapes", &["tree"]);
}

#[test]
fn a_lost_cycle_has_one_definite_leader() {
    same_as_valgrind("leak_shapes", &["cycle"]);
}

#[test]
fn an_interior_pointer_makes_its_block_and_children_possibly_lost() {
    same_as_valgrind("leak_shapes", &["interior"]);
}

#[test]
fn a_block_held_by_a_global_is_still_reachable() {
    same_as_valgrind("leak_shapes", &["global"]);
}

#[test]
fn an_unaligned_pointer_is_no_pointer() {
    same_as_valgrind("leak_shapes", &["unaligned"]);
}

#[test]
fn every_shape_at_once() {
    same_as_valgrind("leak_shapes", &["mixed"]);
}

#[test]
fn a_block_held_by_a_tls_variable_is_still_reachable() {
    same_as_valgrind("leak_roots", &["tls"]);
}

#[test]
fn lost_blocks_of_a_plain_program() {
    same_as_valgrind("leak_roots", &["lost"]);
}

#[test]
fn new_array_cookie_is_reachable_through_the_newarray_heuristic() {
    same_as_valgrind("leak_newarray", &[]);
}

/// A second thread, still blocked in `read` at exit, holds one block in a local (its stack)
/// and one in `rbx` (its registers): both still reachable, as valgrind says. The one
/// difference: the thread's DTV, which `pthread_create` allocates and the thread's
/// `struct pthread` points into (possibly lost for both), has one 16-byte entry per module
/// with TLS, and under tracekit one such module more is loaded: the tracker itself (its
/// reentrancy guard is a TLS variable).
#[test]
fn blocks_held_by_a_running_threads_stack_and_register_are_reachable() {
    require_tool!("valgrind");
    let p = example("leak_roots");
    let theirs = valgrind(&p, &["thread"], &[]);
    let mut mine = ours(&p, &["thread"]);
    assert_eq!(mine.possible.1, theirs.possible.1, "{mine:?} {theirs:?}");
    assert_eq!(
        mine.possible.0,
        theirs.possible.0 + 16,
        "{mine:?} {theirs:?}"
    );
    mine.possible = theirs.possible;
    assert_eq!(mine, theirs);
}

#[test]
fn tracekit_report_prints_the_check_again_from_the_log() {
    let dir = tempdir();
    let p = example("leak_shapes");
    let first = ours_run(dir.path(), &p, &["mixed"], &[]);
    let again = run(Command::new(bin("tracekit"))
        .args(["report", "--leak-check=full"])
        .arg(dir.path().join("logs")));
    let loss_lines = |t: &str| -> Vec<String> {
        t.lines()
            .filter(|l| {
                l.contains("in loss record") || l.contains("lost:") || l.contains("reachable:")
            })
            .map(str::to_owned)
            .collect()
    };
    let a = loss_lines(&stderr(&first));
    let b = loss_lines(&String::from_utf8_lossy(&again.stdout));
    assert!(a.len() > 4, "{a:?}");
    assert_eq!(a, b);
    // The lost tree: its root leads the six other nodes.
    assert!(
        a.iter().any(|l| l.ends_with("280 (40 direct, 240 indirect) bytes in 1 blocks are definitely lost in loss record 17 of 17")),
        "{a:#?}"
    );
}

#[test]
fn error_exitcode_fires_only_for_the_kinds_asked() {
    let dir = tempdir();
    let p = example("leak_shapes");
    // The list: definitely and indirectly lost only.
    let out = ours_run(dir.path(), &p, &["list"], &["--error-exitcode=7"]);
    assert_eq!(out.status.code(), Some(7), "{}", stderr(&out));
    let dir = tempdir();
    let out = ours_run(
        dir.path(),
        &p,
        &["list"],
        &[
            "--error-exitcode=7",
            "--errors-for-leak-kinds=possible,reachable",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // global: still reachable only, an error only when that kind is asked for.
    for (kinds, code) in [("definite,possible", 0), ("reachable", 7), ("all", 7)] {
        let dir = tempdir();
        let out = ours_run(
            dir.path(),
            &p,
            &["global"],
            &[
                "--error-exitcode=7",
                &format!("--errors-for-leak-kinds={kinds}"),
            ],
        );
        assert_eq!(out.status.code(), Some(code), "{kinds}: {}", stderr(&out));
    }
}

#[test]
fn max_leaked_counts_definitely_and_indirectly_lost_unless_told() {
    let p = example("leak_shapes");
    // global: 80 bytes still reachable, nothing lost.
    let dir = tempdir();
    let out = ours_run(dir.path(), &p, &["global"], &["--max-leaked=10"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let dir = tempdir();
    let out = ours_run(
        dir.path(),
        &p,
        &["global"],
        &["--max-leaked=10", "--max-leaked-kinds=reachable"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("80 bytes still reachable in 2 blocks exceeds --max-leaked"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn an_unknown_leak_kind_is_refused() {
    refused(
        "--show-leak-kinds=definite,lots",
        "unknown leak kind \"lots\"",
    );
}

/// `tracekit heap OPTION -- true` exits 2 with `message` on stderr.
fn refused(option: &str, message: &str) {
    let out = run(Command::new(bin("tracekit")).args(["heap", option, "--", "true"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains(message), "{}", stderr(&out));
}

#[test]
fn an_unknown_option_value_is_refused() {
    refused(
        "--leak-check=maybe",
        "invalid value 'maybe' for '--leak-check <no|summary|full>'",
    );
    refused(
        "--error-exitcode=x",
        "invalid value 'x' for '--error-exitcode <N>'",
    );
    refused(
        "--gen-suppressions=some",
        "invalid value 'some' for '--gen-suppressions <no|yes|all>'",
    );
}

/// With `LD_PRELOAD` by hand, an unknown `TRACEKIT_LEAK_CHECK` or heuristic is said once on
/// stderr and the program runs as without the check.
#[test]
fn an_unknown_leak_check_variable_value_is_said_once() {
    let dir = tempdir();
    let out = run(Command::new(example("leak_shapes"))
        .arg("list")
        .current_dir(dir.path())
        .env("LD_PRELOAD", preload("preload-heaptrack"))
        .env("TRACEKIT_LOG", dir.path().join("run.tklog"))
        .env("TRACEKIT_LEAK_CHECK", "fully")
        .env("TRACEKIT_LEAK_CHECK_HEURISTICS", "stdstring,cookies"));
    let text = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    for said in [
        "TRACEKIT_LEAK_CHECK=fully: expected no, summary or full (no leak check)",
        "TRACEKIT_LEAK_CHECK_HEURISTICS=stdstring,cookies: expected all, none or names from",
    ] {
        assert_eq!(text.matches(said).count(), 1, "{said:?}:\n{text}");
    }
    let report = run(Command::new(bin("tracekit"))
        .args(["report", "--leak-check=full"])
        .arg(dir.path().join("run.tklog")));
    assert!(
        !String::from_utf8_lossy(&report.stdout).contains("LEAK SUMMARY"),
        "a check was made"
    );
}

#[test]
fn a_block_held_by_a_pthread_key_is_still_reachable() {
    same_as_valgrind("leak_more", &["key"]);
}

#[test]
fn a_pointer_left_below_the_stack_pointer_is_no_root() {
    same_as_valgrind("leak_more", &["stale"]);
}

#[test]
fn realloc_moves_the_block_and_keeps_its_last_size() {
    same_as_valgrind("leak_more", &["realloc"]);
}

/// Also the regression test of 8-byte blocks held by a global, which the scan took for
/// glibc's chunk headers and reported lost.
#[test]
fn a_hundred_joined_threads_each_losing_a_block() {
    same_as_valgrind("leak_more", &["threads"]);
}

/// A joined thread's stack (glibc caches it, stale frames and TLS included) holds no roots:
/// neither checker counts the pointers left there.
#[test]
fn a_joined_threads_stack_and_tls_hold_no_roots() {
    same_as_valgrind("leak_more", &["exited"]);
}

#[test]
fn new_of_zero_elements() {
    same_as_valgrind("leak_cxx", &["empty"]);
}

#[test]
fn multiple_inheritance_is_reachable_through_its_heuristic() {
    same_as_valgrind("leak_cxx", &["multiple"]);
}

#[test]
fn without_heuristics_the_second_base_pointer_is_only_an_interior_pointer() {
    same_as_valgrind_with("leak_cxx", &["multiple"], &["--leak-check-heuristics=none"]);
    same_as_valgrind_with(
        "leak_newarray",
        &[],
        &["--leak-check-heuristics=stdstring,length64"],
    );
}

/// A thread maps and unmaps memory in a loop while the check reads the maps and scans; it
/// blocks every signal, so the check cannot stop it and runs beside it: mappings the maps
/// listed are gone when the scan reads them (the roots are copied with `process_vm_readv`,
/// which fails there instead of faulting). No fault, and the check still reports. The
/// figures are not valgrind's: its thread's DTV differs as in the running-thread test, and
/// the thread's own stack words are whatever the loop left, so only the blocks lost on
/// purpose are asserted.
#[test]
fn a_thread_unmapping_memory_during_the_scan() {
    let p = example("leak_more");
    for _ in 0..3 {
        let dir = tempdir();
        let out = ours_run(dir.path(), &p, &["unmap"], &[]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let f = summary(&stderr(&out)).expect("a LEAK SUMMARY");
        // lose(8) and lose(24): definitely lost.
        assert_eq!(f.definite, (32, 2), "{}", stderr(&out));
    }
}

/// `--gen-suppressions=all` output fed back: valgrind itself suppresses the same records
/// with our entries as with its own, and we suppress the same with either.
#[test]
fn generated_suppressions_are_read_back_by_valgrind_and_by_us() {
    require_tool!("valgrind");
    let p = example("leak_shapes");
    let dir = tempdir();
    let out = ours_run(dir.path(), &p, &["mixed"], &["--gen-suppressions=all"]);
    let mine = entries(&stderr(&out));
    assert!(mine.matches("Memcheck:Leak").count() >= 4, "{mine}");
    let theirs = entries(&valgrind_text(&p, &["mixed"], &["--gen-suppressions=all"]));
    let ours_file = dir.path().join("ours.supp");
    let theirs_file = dir.path().join("theirs.supp");
    std::fs::write(&ours_file, &mine).unwrap();
    std::fs::write(&theirs_file, &theirs).unwrap();
    for file in [&ours_file, &theirs_file] {
        let opt = format!("--suppressions={}", file.display());
        let v = valgrind(&p, &["mixed"], &[&opt]);
        let o = ours_with(&p, &["mixed"], &[&opt]);
        assert_eq!(o, v, "{}: ours (left), valgrind's (right)", file.display());
        // Every definite and possible record is suppressed (the kinds shown).
        assert_eq!(v.definite, (0, 0), "{v:?}");
        assert_eq!(v.possible, (0, 0), "{v:?}");
        assert!(v.suppressed.1 > 0, "{v:?}");
    }
}

/// A LeakSanitizer line and the memcheck entry that says the same suppress the same.
#[test]
fn an_lsan_suppression_suppresses_what_the_same_memcheck_entry_does() {
    require_tool!("valgrind");
    let p = example("leak_shapes");
    let dir = tempdir();
    let lsan = dir.path().join("lsan.supp");
    std::fs::write(&lsan, "# LeakSanitizer\nleak:make_list\n").unwrap();
    let memcheck = dir.path().join("memcheck.supp");
    std::fs::write(
        &memcheck,
        "{\n   list\n   Memcheck:Leak\n   ...\n   fun:make_list\n}\n",
    )
    .unwrap();
    let v = valgrind(
        &p,
        &["mixed"],
        &[&format!("--suppressions={}", memcheck.display())],
    );
    let o = ours_with(
        &p,
        &["mixed"],
        &[&format!("--suppressions={}", lsan.display())],
    );
    assert_eq!(o, v, "ours (left), valgrind's (right)");
    assert!(v.suppressed.1 > 0, "{v:?}");
    // Several files: both apply.
    let o2 = ours_with(
        &p,
        &["mixed"],
        &[
            &format!("--suppressions={}", lsan.display()),
            &format!("--suppressions={}", memcheck.display()),
        ],
    );
    assert_eq!(o2, v);
}

#[test]
fn a_malformed_suppression_file_is_refused_with_its_line() {
    let dir = tempdir();
    let bad = dir.path().join("bad.supp");
    std::fs::write(&bad, "{\n   x\n   Memcheck:Leak\n   main\n}\n").unwrap();
    let out = run(Command::new(bin("tracekit"))
        .arg("heap")
        .arg(format!("--suppressions={}", bad.display()))
        .args(["--", "true"]));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!(
            "{}:4: expected `fun:`, `obj:`, `src:`, `...` or `}}`, found \"main\"",
            bad.display()
        )),
        "{}",
        stderr(&out)
    );
}

#[test]
fn an_unknown_heuristic_is_refused() {
    refused(
        "--leak-check-heuristics=stdstring,cookies",
        "unknown leak check heuristic \"cookies\"",
    );
}

/// The figures of every LEAK SUMMARY in `text`, in order.
fn summaries(text: &str) -> Vec<Figures> {
    text.split("LEAK SUMMARY:")
        .skip(1)
        .filter_map(|part| summary(&format!("LEAK SUMMARY:{part}")))
        .collect()
}

/// A check the program asks for (`TRACEKIT_DO_LEAK_CHECK()`) is a check of its own in the
/// log, printed before the one at exit, by `tracekit heap` and by `tracekit report`; the exit
/// status counts the last.
#[test]
fn a_check_asked_by_the_program_is_reported_on_its_own() {
    let p = example("leak_ondemand");
    let dir = tempdir();
    let out = ours_run(dir.path(), &p, &["request"], &["--error-exitcode=9"]);
    let text = stderr(&out);
    assert!(
        text.contains("leak check 1 (asked by the program):"),
        "{text}"
    );
    let s = summaries(&text);
    assert_eq!(s.len(), 2, "{text}");
    assert_eq!(s[0].definite, (24, 2), "{text}");
    assert_eq!(s[1].definite, (56, 3), "{text}");
    assert_eq!(out.status.code(), Some(9));
    let again = run(Command::new(bin("tracekit"))
        .args(["report", "--leak-check=summary"])
        .arg(dir.path().join("logs")));
    assert_eq!(summaries(&String::from_utf8_lossy(&again.stdout)), s);
    // Without the tracker the call is skipped.
    let native = run(&mut Command::new(&p));
    assert_eq!(native.status.code(), Some(0), "{}", stderr(&native));
}

#[test]
fn a_check_asked_by_a_signal_is_reported_on_its_own() {
    let p = example("leak_ondemand");
    let dir = tempdir();
    let out = run(Command::new(bin("tracekit"))
        .current_dir(dir.path())
        .env("TRACEKIT_LEAK_CHECK_SIGNAL", "SIGUSR2")
        .args(["heap", "-q", "-o"])
        .arg(format!("{}/", dir.path().join("logs").display()))
        .args(["--leak-check=summary", "--"])
        .arg(&p)
        .arg("signal"));
    let text = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("leak check 1 (asked by a signal):"), "{text}");
    let s = summaries(&text);
    assert_eq!(s.len(), 2, "{text}");
    assert_eq!(s[0].definite, (24, 2), "{text}");
    assert_eq!(s[1].definite, (56, 3), "{text}");
}

/// Killed by SIGKILL while its check at exit waits for a thread that never stops: the log is
/// still read whole (every event before the kill, no damage), without a leak check.
#[test]
fn a_program_killed_during_the_check_leaves_a_readable_log() {
    let p = example("leak_ondemand");
    let dir = tempdir();
    let out = ours_run(dir.path(), &p, &["killed"], &[]);
    assert_eq!(out.status.code(), Some(128 + 9), "{}", stderr(&out));
    let again = run(Command::new(bin("tracekit"))
        .args(["report", "--leak-check=full"])
        .arg(dir.path().join("logs")));
    let text = String::from_utf8_lossy(&again.stdout);
    assert_eq!(again.status.code(), Some(0), "{text}{}", stderr(&again));
    assert!(!text.contains("LEAK SUMMARY"), "{text}");
    assert!(
        text.contains("200,002") || text.contains("200002"),
        "{text}"
    );
}

/// The loss-record lines ("N bytes in M blocks are ... in loss record K of T") of each
/// process's check in `text`, without valgrind's `==PID==` prefix, one list per process,
/// sorted (valgrind's child ends, and prints, first; ours are printed by pid).
fn records_by_process(text: &str) -> Vec<Vec<String>> {
    let mut by_pid: Vec<(String, Vec<String>)> = Vec::new();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("==") else {
            continue;
        };
        let Some((pid, body)) = rest.split_once("== ") else {
            continue;
        };
        if !body.contains(" in loss record ") {
            continue;
        }
        match by_pid.iter_mut().find(|(p, _)| p == pid) {
            Some((_, v)) => v.push(body.trim().to_owned()),
            None => by_pid.push((pid.to_owned(), vec![body.trim().to_owned()])),
        }
    }
    let mut out: Vec<Vec<String>> = by_pid.into_iter().map(|(_, v)| v).collect();
    out.sort();
    out
}

/// A forked child checks its own blocks (its parent's, inherited, among them) at its `_exit`,
/// the parent its own at exit: both summaries and both processes' loss records equal
/// valgrind's. Also the regression test of the child's records: the inherited blocks name
/// their allocation stacks by the parent's stack ids, which the child's log restarted at 1,
/// so an inherited block showed "(no backtrace recorded)" and another was merged into the
/// record of a child's block with a different stack.
#[test]
fn a_forked_child_and_its_parent_each_check_their_own_blocks() {
    require_tool!("valgrind");
    let p = example("leak_more");
    let theirs = valgrind_text(&p, &["fork"], &[]);
    let dir = tempdir();
    let out = ours_run(dir.path(), &p, &["fork"], &[]);
    let mine = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{mine}");
    let mut a = summaries(&mine);
    let mut b = summaries(&theirs);
    a.sort_by_key(|f| f.definite);
    b.sort_by_key(|f| f.definite);
    assert_eq!(a.len(), 2, "{mine}");
    assert_eq!(a, b, "ours (left), valgrind's (right)");
    let (ra, rb) = (records_by_process(&mine), records_by_process(&theirs));
    assert_eq!(ra.len(), 2, "{mine}");
    assert_eq!(ra, rb, "ours (left), valgrind's (right)");
    assert!(!mine.contains("no backtrace recorded"), "{mine}");
}
