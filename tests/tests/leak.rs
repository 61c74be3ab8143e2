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

/// A list dropped right before exit, whose pointer the allocator's code last held in a
/// callee-saved register: the copy its frames saved lies below the stack pointer, where
/// glibc's `exit` frames come, in slots they never write. memcheck reads none of those (they
/// are undefined to it), and the check takes only the registers those frames saved: one
/// definitely lost, the rest indirectly (ours once said 999 still reachable).
#[test]
fn a_dropped_list_last_seen_by_malloc_is_lost() {
    same_as_valgrind("leak_dropped", &["malloc"]);
}

/// The same, the list's head held in a register across a `malloc` and `free` right before.
#[test]
fn a_dropped_list_last_seen_by_free_is_lost() {
    same_as_valgrind("leak_dropped", &["free"]);
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

/// The status of valgrind's run and ours must be the same death, and the summaries and
/// loss-record lines equal: a process killed by a fatal signal is checked at its end, as
/// memcheck checks it ("Process terminating with default action of signal N").
fn killed_as_under_valgrind(mode: &str, signal: i32) {
    use std::os::unix::process::ExitStatusExt;
    require_tool!("valgrind");
    let p = example("leak_fatal");
    let vg = run(Command::new("valgrind")
        .arg("--leak-check=full")
        .arg(&p)
        .arg(mode));
    let theirs = stderr(&vg);
    assert_eq!(vg.status.signal(), Some(signal), "{theirs}");
    assert!(
        theirs.contains(&format!("default action of signal {signal} ")),
        "{theirs}"
    );
    let dir = tempdir();
    let out = ours_run(dir.path(), &p, &[mode], &[]);
    let mine = stderr(&out);
    assert_eq!(out.status.code(), Some(128 + signal), "{mine}");
    assert_eq!(summaries(&mine).len(), 1, "{mine}");
    assert_eq!(
        summary(&mine),
        summary(&theirs),
        "{mode}: ours (left), valgrind's (right)\n{mine}"
    );
    assert_eq!(records_by_process(&mine), records_by_process(&theirs));
    // The log holds the check and the death.
    let again = run(Command::new(bin("tracekit"))
        .args(["report", "--leak-check=full"])
        .arg(dir.path().join("logs")));
    let text = String::from_utf8_lossy(&again.stdout);
    assert_eq!(summary(&text), summary(&mine), "{text}");
}

#[test]
fn a_segfault_is_checked_at_the_end_of_the_process() {
    killed_as_under_valgrind("segv", libc::SIGSEGV);
}

#[test]
fn an_abort_is_checked_at_the_end_of_the_process() {
    killed_as_under_valgrind("abort", libc::SIGABRT);
}

#[test]
fn a_sigterm_is_checked_at_the_end_of_the_process() {
    killed_as_under_valgrind("term", libc::SIGTERM);
}

/// A second thread faults while main waits in `pthread_join`: main, stopped, keeps its local
/// block reachable. The one difference with valgrind is the faulting thread's DTV (as in
/// `blocks_held_by_a_running_threads_stack_and_register_are_reachable`): 16 bytes more,
/// the tracker's own TLS module.
#[test]
fn a_fault_in_a_second_thread_is_checked_with_the_first_stopped() {
    use std::os::unix::process::ExitStatusExt;
    require_tool!("valgrind");
    let p = example("leak_fatal");
    let vg = run(Command::new("valgrind")
        .arg("--leak-check=full")
        .arg(&p)
        .arg("thread"));
    assert_eq!(vg.status.signal(), Some(libc::SIGSEGV));
    let theirs = summary(&stderr(&vg)).expect("valgrind's summary");
    let dir = tempdir();
    let out = ours_run(dir.path(), &p, &["thread"], &[]);
    let text = stderr(&out);
    assert_eq!(out.status.code(), Some(128 + libc::SIGSEGV), "{text}");
    let mut mine = summary(&text).unwrap_or_else(|| panic!("no summary:\n{text}"));
    assert_eq!(mine.possible.1, theirs.possible.1, "{mine:?} {theirs:?}");
    assert_eq!(
        mine.possible.0,
        theirs.possible.0 + 16,
        "{mine:?} {theirs:?}"
    );
    mine.possible = theirs.possible;
    assert_eq!(mine, theirs, "ours (left), valgrind's (right)");
}

/// The program's own SIGSEGV handler, which leaves with `_exit(3)`, replaces ours: no fatal
/// signal, one check, at `_exit`, as valgrind's.
#[test]
fn a_program_handling_the_signal_itself_is_checked_once_at_its_exit() {
    require_tool!("valgrind");
    let p = example("leak_fatal");
    let theirs = valgrind_text(&p, &["handled"], &[]);
    let dir = tempdir();
    let out = ours_run(dir.path(), &p, &["handled"], &[]);
    let mine = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{mine}");
    assert_eq!(summaries(&mine).len(), 1, "{mine}");
    assert_eq!(summary(&mine), summary(&theirs), "{mine}");
}

/// With `LD_PRELOAD` by hand: the process dies of the signal as without the tracker, its log
/// has the check (cause `fatal-signal` in the JSON report, the last check) and its death.
#[test]
fn a_killed_process_keeps_its_status_and_its_log_says_why() {
    use std::os::unix::process::ExitStatusExt;
    let p = example("leak_fatal");
    let native = run(Command::new(&p).arg("abort"));
    assert_eq!(native.status.signal(), Some(libc::SIGABRT));
    let dir = tempdir();
    let log = dir.path().join("run.tklog");
    let out = run(Command::new(&p)
        .arg("abort")
        .env("LD_PRELOAD", preload("preload_heaptrack"))
        .env("TRACEKIT_LOG", &log)
        .env("TRACEKIT_LEAK_CHECK", "full"));
    assert_eq!(out.status.signal(), Some(libc::SIGABRT), "{}", stderr(&out));
    let json = run(Command::new(bin("tracekit"))
        .args(["report", "--format=json"])
        .arg(&log));
    let v: serde_json::Value =
        serde_json::from_slice(&json.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(&json)));
    let leaks = v["leaks"].as_array().expect("leaks");
    assert_eq!(leaks.len(), 1, "{leaks:?}");
    assert_eq!(leaks[0]["cause"], "fatal-signal");
    assert_eq!(leaks[0]["last"], true);
    assert_eq!(leaks[0]["summary"]["definite"]["bytes"], 32);
    assert_eq!(leaks[0]["summary"]["indirect"]["blocks"], 3);
    let proc0 = &v["processes"][0];
    assert_eq!(proc0["exit"]["signal"], libc::SIGABRT, "{proc0}");
}

// ---- the leak part of the JSON report, read back strictly (a new or renamed field fails) ----

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonLeak {
    pid: u32,
    check: u32,
    cause: String,
    last: bool,
    summary: JsonSummary,
    records: Vec<JsonRecord>,
}

#[derive(Debug, serde::Deserialize, PartialEq, Eq, Clone, Copy)]
#[serde(deny_unknown_fields)]
struct JsonCount {
    bytes: u64,
    blocks: u64,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonSummary {
    definite: JsonCount,
    indirect: JsonCount,
    possible: JsonCount,
    reachable: JsonCount,
    via_heuristic: Vec<(String, JsonCount)>,
    suppressed: JsonCount,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonRecord {
    number: usize,
    kind: String,
    bytes: u64,
    indirect_bytes: u64,
    blocks: u64,
    stack_id: u64,
    frames: Vec<serde_json::Value>,
    suppressed: bool,
}

impl JsonSummary {
    fn figures(&self) -> Figures {
        let p = |c: JsonCount| (c.bytes, c.blocks);
        Figures {
            definite: p(self.definite),
            indirect: p(self.indirect),
            possible: p(self.possible),
            reachable: p(self.reachable),
            suppressed: p(self.suppressed),
        }
    }
}

/// memcheck's `%'lu`: digits grouped by commas.
fn grouped(n: u64) -> String {
    let d = n.to_string();
    let mut out = String::new();
    for (i, c) in d.chars().enumerate() {
        if i > 0 && (d.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl JsonRecord {
    /// memcheck's line for this record ("N (d direct, i indirect) bytes in M blocks are
    /// definitely lost in loss record K of T", digits grouped).
    fn line(&self, total: usize) -> String {
        let g = grouped;
        let bytes = if self.indirect_bytes > 0 {
            format!(
                "{} ({} direct, {} indirect)",
                g(self.bytes + self.indirect_bytes),
                g(self.bytes),
                g(self.indirect_bytes)
            )
        } else {
            g(self.bytes)
        };
        let phrase = match self.kind.as_str() {
            "definite" => "definitely lost",
            "indirect" => "indirectly lost",
            "possible" => "possibly lost",
            "reachable" => "still reachable",
            k => panic!("unknown kind {k}"),
        };
        format!(
            "{bytes} bytes in {} blocks are {phrase} in loss record {} of {total}",
            g(self.blocks),
            self.number
        )
    }
}

/// The leak check of one victim in the JSON report (`tracekit report --json`): its summary
/// equals the text report's LEAK SUMMARY from the same log and valgrind's on the same binary;
/// its records (those memcheck prints by default: definitely and possibly lost) give back,
/// line for line, the text's and valgrind's loss-record lines; the records add up to the
/// summary; the Markdown report shows the same five figures.
#[test]
fn the_json_report_carries_the_same_check_as_the_text_and_valgrind() {
    require_tool!("valgrind");
    let p = example("leak_shapes");
    let theirs = valgrind_text(&p, &["mixed"], &[]);
    let dir = tempdir();
    let first = ours_run(dir.path(), &p, &["mixed"], &[]);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let logs = dir.path().join("logs");
    let text = run(Command::new(bin("tracekit"))
        .args(["report", "--leak-check=full"])
        .arg(&logs));
    let text = String::from_utf8_lossy(&text.stdout).into_owned();
    let json = run(Command::new(bin("tracekit"))
        .args(["report", "--json"])
        .arg(&logs));
    let v: serde_json::Value =
        serde_json::from_slice(&json.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(&json)));
    let leaks: Vec<JsonLeak> = serde_json::from_value(v["leaks"].clone())
        .unwrap_or_else(|e| panic!("the leaks do not match the schema: {e}\n{}", v["leaks"]));
    assert_eq!(leaks.len(), 1, "{leaks:?}");
    let l = &leaks[0];
    assert_eq!((l.check, l.cause.as_str(), l.last), (1, "exit", true));
    assert_eq!(l.pid, v["processes"][0]["pid"].as_u64().unwrap() as u32);
    let figures = l.summary.figures();
    assert_eq!(Some(figures), summary(&text), "JSON (left), text (right)");
    assert_eq!(
        Some(figures),
        summary(&theirs),
        "JSON (left), valgrind (right)"
    );
    assert!(l.summary.via_heuristic.is_empty(), "{:?}", l.summary);
    // The records add up to the summary, kind by kind, and are numbered 1..=T.
    let mut sum = Figures::default();
    for (i, r) in l.records.iter().enumerate() {
        assert_eq!(r.number, i + 1);
        assert!(
            !r.suppressed && r.stack_id != 0 && !r.frames.is_empty(),
            "{r:?}"
        );
        let slot = match r.kind.as_str() {
            "definite" => &mut sum.definite,
            "indirect" => &mut sum.indirect,
            "possible" => &mut sum.possible,
            _ => &mut sum.reachable,
        };
        slot.0 += r.bytes;
        slot.1 += r.blocks;
    }
    assert_eq!(sum, figures, "records (left), summary (right)");
    let total = l.records.len();
    let shown: Vec<String> = l
        .records
        .iter()
        .filter(|r| r.kind == "definite" || r.kind == "possible")
        .map(|r| r.line(total))
        .collect();
    assert!(shown.len() >= 3, "{shown:?}");
    let lines = |t: &str| -> Vec<String> {
        t.lines()
            .filter(|l| l.contains(" in loss record "))
            .map(|l| l.split_once("== ").map_or(l, |x| x.1).trim().to_owned())
            .collect()
    };
    assert_eq!(shown, lines(&text), "JSON (left), text (right)");
    assert_eq!(shown, lines(&theirs), "JSON (left), valgrind (right)");
    // The Markdown report: the same five figures in its leak-check table.
    let md = run(Command::new(bin("tracekit"))
        .args(["report", "--format", "markdown"])
        .arg(&logs));
    let md = String::from_utf8_lossy(&md.stdout);
    let row = md
        .lines()
        .skip_while(|l| !l.starts_with("### Leak check"))
        .find(|row| l_pid(row) == l.pid.to_string())
        .unwrap_or_else(|| panic!("no leak-check row:\n{md}"));
    let cells: Vec<&str> = row.trim_matches('|').split('|').map(str::trim).collect();
    let cell = |(bytes, blocks): (u64, u64)| {
        format!("{} bytes in {} blocks", grouped(bytes), grouped(blocks))
    };
    assert_eq!(
        cells[2..],
        [
            cell(figures.definite),
            cell(figures.indirect),
            cell(figures.possible),
            cell(figures.reachable),
            cell(figures.suppressed),
        ],
        "{row}"
    );
    assert!(md.contains("#### Largest loss records"), "{md}");
}

/// The pid of a Markdown leak-check row (its first cell).
fn l_pid(line: &str) -> String {
    line.trim_start_matches('|')
        .split('|')
        .next()
        .unwrap_or("")
        .trim()
        .to_owned()
}

/// `tracekit diff` of two runs with the check: memcheck's five lines, base and new, equal to
/// each run's own LEAK SUMMARY (text, JSON and Markdown diffs).
#[test]
fn tracekit_diff_shows_each_leak_kind() {
    let p = example("leak_shapes");
    let dir = tempdir();
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    let base = summary(&stderr(&ours_run(&a, &p, &["list"], &[]))).expect("base summary");
    let new = summary(&stderr(&ours_run(&b, &p, &["mixed"], &[]))).expect("new summary");
    assert_ne!(base, new);
    let diff = |args: &[&str]| {
        let o = run(Command::new(bin("tracekit"))
            .arg("diff")
            .args(args)
            .arg(a.join("logs"))
            .arg(b.join("logs")));
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let v: serde_json::Value = serde_json::from_str(&diff(&["--json"])).unwrap();
    let lc = &v["heap"]["leak_check"];
    let text = diff(&[]);
    let md = diff(&["--format", "markdown"]);
    for (key, label, b0, n0) in [
        (
            "definite",
            "definitely lost",
            base.definite.0,
            new.definite.0,
        ),
        (
            "indirect",
            "indirectly lost",
            base.indirect.0,
            new.indirect.0,
        ),
        ("possible", "possibly lost", base.possible.0, new.possible.0),
        (
            "reachable",
            "still reachable",
            base.reachable.0,
            new.reachable.0,
        ),
        (
            "suppressed",
            "suppressed",
            base.suppressed.0,
            new.suppressed.0,
        ),
    ] {
        assert_eq!(lc[key]["base"], b0, "{key}: {lc}");
        assert_eq!(lc[key]["new"], n0, "{key}: {lc}");
        let line = text
            .lines()
            .find(|l| l.starts_with(label))
            .unwrap_or_else(|| panic!("no {label} line:\n{text}"));
        let nums: Vec<&str> = line[label.len()..].split_whitespace().collect();
        assert_eq!(nums[..2], [b0.to_string(), n0.to_string()], "{line}");
        assert!(
            md.contains(&format!("| {label} | {b0} | {n0} |")),
            "{label}:\n{md}"
        );
    }
}
