//! End-to-end tests of the crash handler (`preload-segv`) and `tracekit segv`: each crash
//! program of `examples/` runs with and without the preload; the report must name the signal,
//! the functions and their file:line, and the program must die exactly as it does without it.

use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use tracekit_e2e::{
    assert_untouched, bin, example, mode_of, planted_symlink, preload, run_limited, stderr, stdout,
    tempdir,
};

/// Runs `prog` (with `args` and `envs`), with or without the crash handler preloaded.
/// CI raises the core size limit for the core-dump test; the other crashes must not write
/// core files into the working directory.
fn no_core_files(cmd: &mut Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: setrlimit is async-signal-safe, as pre_exec requires.
    unsafe {
        cmd.pre_exec(|| {
            let mut lim = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            libc::getrlimit(libc::RLIMIT_CORE, &mut lim);
            lim.rlim_cur = 0;
            libc::setrlimit(libc::RLIMIT_CORE, &lim);
            Ok(())
        });
    }
}

fn run_prog(prog: &Path, args: &[&str], envs: &[(&str, &str)], with_handler: bool) -> Output {
    let mut cmd = Command::new(prog);
    cmd.args(args);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    // A loaded machine may be slow to symbolize; the tests are about content, not speed.
    cmd.env("TRACEKIT_SEGV_TIMEOUT_MS", "20000");
    no_core_files(&mut cmd);
    if with_handler {
        cmd.env("LD_PRELOAD", preload("preload-segv"));
    } else {
        cmd.env_remove("LD_PRELOAD");
    }
    run_limited(&mut cmd, Duration::from_secs(60))
}

/// Runs a crash example both ways; checks the death is the same and returns the report.
fn crash(prog: &Path, args: &[&str], envs: &[(&str, &str)]) -> (Output, String) {
    let without = run_prog(prog, args, envs, false);
    let with = run_prog(prog, args, envs, true);
    let report = stderr(&with);
    assert_eq!(
        (with.status.signal(), with.status.code()),
        (without.status.signal(), without.status.code()),
        "{} died differently under the crash handler: {:?} vs {:?}\n{report}",
        prog.display(),
        with.status,
        without.status
    );
    (with, report)
}

fn assert_has(report: &str, needles: &[&str]) {
    for n in needles {
        assert!(
            report.contains(n),
            "the report lacks {n:?}:\n-----\n{report}\n-----"
        );
    }
}

fn report_count(text: &str) -> usize {
    text.matches("*** tracekit segv: ").count()
}

/// The backtrace line of the frame that names `function`.
fn frame_line<'a>(report: &'a str, function: &str) -> &'a str {
    report
        .lines()
        .find(|l| l.trim_start().starts_with('#') && l.contains(&format!(" in {function}")))
        .unwrap_or_else(|| panic!("no frame for {function}:\n{report}"))
}

#[test]
fn null_dereference_a_few_frames_deep() {
    let (out, r) = crash(&example("crash_null"), &[], &[]);
    assert_eq!(out.status.signal(), Some(libc::SIGSEGV));
    assert_has(
        &r,
        &[
            "SIGSEGV (11), SEGV_MAPERR: address not mapped to object",
            "address:   0x0000000000000000 (write)",
            "diagnosis: NULL pointer dereference",
            "thread:",
            "\"crash_null\"",
            "rip 0x",
            "fault address 0x0 is not in any mapping",
            "loaded modules:",
        ],
    );
    // The backtrace starts at the faulting instruction, not in the handler.
    let first = r
        .lines()
        .find(|l| l.trim_start().starts_with("#0 "))
        .expect("frame #0");
    assert!(first.contains("set_value"), "{first}");
    assert!(frame_line(&r, "set_value").contains("crash_null.c:12"));
    // The faulting line is quoted from the source.
    assert!(
        r.lines()
            .any(|l| l.trim_start().starts_with("12 | ") && l.contains("n->value = v;")),
        "{r}"
    );
    assert!(frame_line(&r, "visit").contains("crash_null.c:16"));
    assert!(frame_line(&r, "walk").contains("crash_null.c:20"));
    assert!(frame_line(&r, "main").contains("crash_null.c:25"));
    assert!(
        !r.contains("preload_segv::") && !r.contains("tracekit_crash::"),
        "handler frames leaked:\n{r}"
    );
    assert_eq!(report_count(&r), 1);
}

#[test]
fn unbounded_recursion_is_a_stack_overflow() {
    let (out, r) = crash(&example("crash_recursion"), &[], &[]);
    assert_eq!(out.status.signal(), Some(libc::SIGSEGV));
    assert_has(
        &r,
        &[
            "diagnosis: stack overflow",
            "main thread's stack",
            "frames omitted",
        ],
    );
    assert!(
        r.lines()
            .any(|l| l.contains(" in recurse+") && l.contains("crash_recursion.c:8")),
        "{r}"
    );
    // The walk reaches the bottom of the stack.
    assert!(frame_line(&r, "main").contains("crash_recursion.c:12"));
}

#[test]
fn crash_in_a_named_second_thread() {
    let (out, r) = crash(&example("crash_thread"), &[], &[]);
    assert_eq!(out.status.signal(), Some(libc::SIGSEGV));
    assert_has(&r, &["\"worker\"", "address:   0x0000000000000018 (write)"]);
    assert!(frame_line(&r, "store").contains("crash_thread.c:7"));
    assert!(frame_line(&r, "worker_main").contains("crash_thread.c:13"));
    // The thread function is called by libc's start_thread, as without us: our
    // pthread_create's trampoline is left out of the backtrace.
    let after = r.split_once("worker_main+").expect("worker_main frame").1;
    let next = after.lines().nth(1).unwrap_or("");
    let next = if next.trim_start().starts_with(|c: char| c.is_ascii_digit()) {
        after.lines().nth(2).unwrap_or("")
    } else {
        next
    };
    assert!(next.contains("start_thread"), "{r}");
    assert!(!r.contains("trampoline"), "{r}");
}

#[test]
fn stack_overflow_in_a_thread_created_later() {
    let (out, r) = crash(&example("crash_thread_overflow"), &[], &[]);
    assert_eq!(out.status.signal(), Some(libc::SIGSEGV));
    assert_has(
        &r,
        &[
            "\"deep\"",
            "diagnosis: stack overflow",
            "this thread's stack",
        ],
    );
    assert!(
        r.lines()
            .any(|l| l.contains(" in descend+") && l.contains("crash_thread_overflow.c:10")),
        "{r}"
    );
    assert!(frame_line(&r, "deep").contains("crash_thread_overflow.c:16"));
}

#[test]
fn integer_division_by_zero() {
    let (out, r) = crash(&example("crash_divzero"), &[], &[]);
    assert_eq!(out.status.signal(), Some(libc::SIGFPE));
    assert_has(
        &r,
        &[
            "SIGFPE (8), FPE_INTDIV: integer divide by zero",
            "diagnosis: integer division by zero",
        ],
    );
    assert!(frame_line(&r, "average").contains("crash_divzero.c:6"));
    assert!(frame_line(&r, "main").contains("crash_divzero.c:11"));
}

#[test]
fn failed_assert_shows_its_message() {
    let (out, r) = crash(&example("crash_assert"), &[], &[]);
    assert_eq!(out.status.signal(), Some(libc::SIGABRT));
    assert_has(
        &r,
        &[
            "SIGABRT (6), SI_TKILL",
            "diagnosis: assertion failed: ",
            "x must be positive",
            "(this process)",
        ],
    );
    assert!(frame_line(&r, "check_positive").contains("crash_assert.c:7"));
    assert!(frame_line(&r, "main").contains("crash_assert.c:12"));
}

#[test]
fn strlen_of_null_inside_libc() {
    let (out, r) = crash(&example("crash_strlen"), &[], &[]);
    assert_eq!(out.status.signal(), Some(libc::SIGSEGV));
    assert_has(&r, &["(read)", "diagnosis: NULL pointer dereference"]);
    let first = r
        .lines()
        .find(|l| l.trim_start().starts_with("#0 "))
        .expect("frame #0");
    assert!(
        first.contains("strlen") && first.contains("libc.so.6"),
        "{first}"
    );
    assert!(frame_line(&r, "name_length").contains("crash_strlen.c:7"));
}

#[test]
fn sigbus_from_a_truncated_mapped_file() {
    let (out, r) = crash(&example("crash_sigbus"), &[], &[]);
    assert_eq!(out.status.signal(), Some(libc::SIGBUS));
    assert_has(
        &r,
        &[
            "SIGBUS (7), BUS_ADRERR",
            "diagnosis: access beyond the end of mapped file /tmp/crash_sigbus_",
        ],
    );
    assert!(frame_line(&r, "read_byte").contains("crash_sigbus.c:10"));
}

#[test]
fn uncaught_cpp_exception() {
    let (out, r) = crash(&example("crash_exception"), &[], &[]);
    assert_eq!(out.status.signal(), Some(libc::SIGABRT));
    assert_has(
        &r,
        &[
            "terminate called after throwing",
            "__cxa_throw",
            "std::terminate",
            "diagnosis: uncaught C++ exception",
        ],
    );
    assert!(frame_line(&r, "parser::parse_config(int)").contains("crash_exception.cpp:9"));
    assert!(frame_line(&r, "main").contains("crash_exception.cpp:16"));
}

#[test]
fn crash_after_heap_corruption_reports_without_touching_the_heap() {
    let (out, r) = crash(&example("crash_heap"), &[], &[]);
    // Exit status 99 would mean the handler called malloc/free after the corruption.
    assert_eq!(out.status.signal(), Some(libc::SIGABRT), "{r}");
    assert!(!r.contains("heap function called"), "{r}");
    assert_has(
        &r,
        &["diagnosis: abort: ", "*** end of tracekit segv report ***"],
    );
    assert!(frame_line(&r, "main").contains("crash_heap.c:51"));

    // Every other path of the handler too: raw frames with dynamic symbols, the output file
    // and the event log.
    let dir = tempdir();
    let log = dir.path().join("heap.trk");
    let file = dir.path().join("heap.txt");
    let (out, r) = crash(
        &example("crash_heap"),
        &[],
        &[
            ("TRACEKIT_SEGV_SYMBOLIZE", "0"),
            ("TRACEKIT_LOG", log.to_str().unwrap()),
            ("TRACEKIT_SEGV_OUTPUT", file.to_str().unwrap()),
        ],
    );
    assert_eq!(out.status.signal(), Some(libc::SIGABRT), "{r}");
    assert!(!r.contains("heap function called"), "{r}");
    assert!(frame_line(&r, "abort+0x").contains("libc.so.6"), "{r}");
    assert!(std::fs::read_to_string(&file).unwrap().contains("SIGABRT"));
    let events = tracekit_e2e::read_log(&log);
    assert!(events
        .iter()
        .any(|e| matches!(e, tracekit_log::Event::Crash(c) if c.signo == libc::SIGABRT as u32)));
}

#[test]
fn rust_stack_overflow() {
    let prog = bin("crash-rust-overflow");
    let without = run_prog(&prog, &[], &[], false);
    assert!(
        stderr(&without).contains("has overflowed its stack"),
        "Rust's own handler reports without us"
    );
    // Rust's runtime installs its own SIGSEGV handler (which prints the message above and
    // aborts) only when none is installed; under ours it skips it, so the program dies of
    // SIGSEGV as a C program would, with our report.
    assert_eq!(without.status.signal(), Some(libc::SIGABRT));
    let with = run_prog(&prog, &[], &[], true);
    let r = stderr(&with);
    assert_eq!(with.status.signal(), Some(libc::SIGSEGV), "{r}");
    assert_has(&r, &["diagnosis: stack overflow"]);
    // Names are qualified with the crate when the program has full debug info (dev profile),
    // plain with line tables only (release, TRACEKIT_TEST_TARGET_DIR=target/release).
    for f in ["recurse", "main"] {
        let line = r
            .lines()
            .find(|l| {
                l.trim_start().starts_with('#')
                    && (l.contains(&format!(" in crash_rust_overflow::{f}+"))
                        || l.contains(&format!(" in {f}+")))
            })
            .unwrap_or_else(|| panic!("no frame for {f}:\n{r}"));
        assert!(line.contains("crash-rust-overflow.rs:"), "{line}");
    }
}

#[test]
fn a_handler_the_program_installs_replaces_ours() {
    let (out, r) = crash(&example("crash_own_handler"), &[], &[]);
    assert_eq!(out.status.signal(), Some(libc::SIGSEGV));
    assert_has(&r, &["own handler ran"]);
    assert_eq!(report_count(&r), 0, "{r}");
}

#[test]
fn a_handler_installed_before_ours_is_chained_to() {
    let lib = preload("preload-segv");
    let lib = lib.to_str().unwrap();
    let without = run_prog(&example("crash_chain"), &[], &[], false);
    assert_eq!(without.status.code(), Some(42));
    // The program installs its handler, then dlopens the crash handler.
    let with = run_prog(
        &example("crash_chain"),
        &[],
        &[
            ("CRASH_CHAIN_LIB", lib),
            ("TRACEKIT_SEGV_TIMEOUT_MS", "20000"),
        ],
        false,
    );
    let r = stderr(&with);
    assert_eq!(with.status.code(), Some(42), "{r}");
    assert_eq!(report_count(&r), 1, "{r}");
    let report_at = r.find("*** tracekit segv").unwrap();
    let chained_at = r.find("earlier handler ran").expect("chained handler ran");
    assert!(report_at < chained_at, "{r}");
    assert!(frame_line(&r, "poke").contains("crash_chain.c:"));
}

#[test]
fn several_threads_crashing_at_once_give_one_report() {
    for _ in 0..3 {
        let (out, r) = crash(&example("crash_threads"), &[], &[]);
        assert_eq!(out.status.signal(), Some(libc::SIGSEGV));
        assert_eq!(report_count(&r), 1, "{r}");
        assert!(frame_line(&r, "crash_now").contains("crash_threads.c:10"));
    }
}

/// A thread crashes while the main thread forks in a loop: one report (the crashing
/// thread's), no hang in the handler or the forks, death by SIGSEGV.
#[test]
fn a_crash_while_another_thread_forks_gives_one_report() {
    for _ in 0..3 {
        let (out, r) = crash(&example("crash_fork"), &[], &[]);
        assert_eq!(out.status.signal(), Some(libc::SIGSEGV));
        assert_eq!(report_count(&r), 1, "{r}");
        assert!(frame_line(&r, "crasher").contains("crash_fork.c:"), "{r}");
    }
}

#[test]
fn closed_stderr_still_gets_the_report() {
    let (out, r) = crash(&example("crash_closed_stderr"), &[], &[]);
    assert_eq!(out.status.signal(), Some(libc::SIGSEGV));
    assert_has(&r, &["SIGSEGV", "poke"]);
}

#[test]
fn no_crash_no_output() {
    let without = run_prog(&example("crash_benign"), &["20"], &[], false);
    let with = run_prog(&example("crash_benign"), &["20"], &[], true);
    assert_eq!(with.status.code(), Some(0));
    assert_eq!(stdout(&with), stdout(&without));
    assert_eq!(stderr(&with), "");
}

#[test]
fn unselected_signals_are_left_alone() {
    let (_, r) = crash(
        &example("crash_null"),
        &[],
        &[("TRACEKIT_SEGV_SIGNALS", "bus fpe")],
    );
    assert_eq!(report_count(&r), 0, "{r}");
    let (_, r) = crash(
        &example("crash_divzero"),
        &[],
        &[("TRACEKIT_SEGV_SIGNALS", "bus fpe")],
    );
    assert_eq!(report_count(&r), 1, "{r}");
}

#[test]
fn raw_frames_without_the_symbolizer() {
    let (_, r) = crash(
        &example("crash_null"),
        &[],
        &[("TRACEKIT_SEGV_SYMBOLIZE", "0")],
    );
    let first = r
        .lines()
        .find(|l| l.trim_start().starts_with("#0 "))
        .expect("frame #0");
    assert!(first.contains("/crash_null+0x"), "{first}");
    // Without the symbolizer, exported (dynamic) symbols still name frames: crash_heap is
    // linked with -rdynamic, and abort is exported by libc.
    let (_, r) = crash(
        &example("crash_heap"),
        &[],
        &[("TRACEKIT_SEGV_SYMBOLIZE", "0")],
    );
    assert!(frame_line(&r, "abort+0x").contains("libc.so.6+0x"), "{r}");
    assert!(frame_line(&r, "main+0x").contains("/crash_heap+0x"), "{r}");
}

#[test]
fn a_fault_inside_the_handler_still_dies_of_the_original_signal() {
    let (out, r) = crash(
        &example("crash_divzero"),
        &[],
        &[("TRACEKIT_SEGV_TEST_FAIL", "fault")],
    );
    assert_eq!(out.status.signal(), Some(libc::SIGFPE));
    assert_has(&r, &["the crash handler itself failed"]);
}

#[test]
fn a_panic_inside_the_handler_still_dies_of_the_original_signal() {
    // The release build is no_std: its own panic handler prints the panic and aborts (dev
    // builds: std's message, then the abort of a panic in an `extern "C"` function). Either
    // way the abort re-enters the handler, which gives up and dies of the original signal.
    let (out, r) = crash(
        &example("crash_divzero"),
        &[],
        &[("TRACEKIT_SEGV_TEST_FAIL", "panic")],
    );
    assert_eq!(out.status.signal(), Some(libc::SIGFPE));
    assert_has(
        &r,
        &[
            "panicked at",
            "test hook: a panic inside the handler",
            "the crash handler itself failed",
        ],
    );
}

#[test]
fn a_hang_inside_the_handler_is_cut_short() {
    let prog = example("crash_null");
    let mut cmd = Command::new(&prog);
    cmd.env("LD_PRELOAD", preload("preload-segv"))
        .env("TRACEKIT_SEGV_TEST_FAIL", "hang")
        .env("TRACEKIT_SEGV_TIMEOUT_MS", "500");
    no_core_files(&mut cmd);
    // Cut short by the handler's own time limit, not by run_limited's SIGKILL.
    let out = run_limited(&mut cmd, Duration::from_secs(120));
    assert_eq!(out.status.signal(), Some(libc::SIGSEGV));
    assert_has(&stderr(&out), &["took too long"]);
}

#[test]
fn core_dump_is_still_produced() {
    let pattern = std::fs::read_to_string("/proc/sys/kernel/core_pattern").unwrap_or_default();
    if pattern.starts_with('|') || pattern.contains('/') {
        eprintln!(
            "SKIP: core_pattern {pattern:?} does not write a core file in the working directory"
        );
        return;
    }
    let dir = tempdir();
    let script = "ulimit -c unlimited 2>/dev/null || exit 77; exec \"$0\"";
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(script)
        .arg(example("crash_null"))
        .current_dir(dir.path())
        .env("LD_PRELOAD", preload("preload-segv"))
        .env("TRACEKIT_SEGV_TIMEOUT_MS", "20000");
    let out = run_limited(&mut cmd, Duration::from_secs(60));
    if out.status.code() == Some(77) {
        eprintln!("SKIP: cannot raise the core file size limit");
        return;
    }
    assert_eq!(out.status.signal(), Some(libc::SIGSEGV));
    assert!(out.status.core_dumped(), "no core dumped: {:?}", out.status);
    let cores: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("core"))
        .collect();
    assert_eq!(
        cores.len(),
        1,
        "expected one core file in {}",
        dir.path().display()
    );
    assert!(cores[0].metadata().unwrap().len() > 0);
    let report = stderr(&out);
    assert_has(&report, &["set_value"]);

    // The anchor: gdb's backtrace of that core names the same functions, in the same order,
    // as the report's (the core is the kernel's, taken at the faulting instruction).
    tracekit_e2e::require_tool!("gdb");
    let gdb = run_limited(
        Command::new("gdb")
            .args(["-batch", "-nx", "-ex", "bt"])
            .arg(example("crash_null"))
            .arg(cores[0].path()),
        Duration::from_secs(60),
    );
    // gdb shows frame #0 when it loads the core, then the backtrace: take the last "#0" on.
    let gdb_out = stdout(&gdb);
    let bt_start = gdb_out.rfind("\n#0 ").map_or(0, |i| i + 1);
    let gdb_frames: Vec<String> = gdb_out[bt_start..]
        .lines()
        .filter(|l| l.starts_with('#'))
        .filter_map(|l| {
            let rest = l.split_once(' ')?.1.trim_start();
            let rest = match rest.split_once(" in ") {
                Some((addr, f)) if addr.starts_with("0x") => f,
                _ => rest,
            };
            Some(rest.split([' ', '(']).next()?.to_owned())
        })
        .take(4)
        .collect();
    let ours: Vec<String> = report
        .lines()
        .filter(|l| l.trim_start().starts_with('#'))
        .filter_map(|l| {
            let f = l.split_once(" in ")?.1;
            Some(f.split(['+', ' ']).next()?.to_owned())
        })
        .take(4)
        .collect();
    assert_eq!(
        gdb_frames,
        ["set_value", "visit", "walk", "main"],
        "{}",
        stdout(&gdb)
    );
    assert_eq!(ours, gdb_frames, "{report}");
}

#[test]
fn report_goes_to_the_output_file_and_the_event_log() {
    let dir = tempdir();
    let out_file = dir.path().join("report.txt");
    let log = dir.path().join("crash.%p.trk");
    let (out, r) = crash(
        &example("crash_null"),
        &[],
        &[
            ("TRACEKIT_SEGV_OUTPUT", out_file.to_str().unwrap()),
            ("TRACEKIT_LOG", log.to_str().unwrap()),
        ],
    );
    let pid: u32 = r
        .lines()
        .find_map(|l| l.strip_prefix("process:   "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|p| p.parse().ok())
        .expect("pid in report");
    let file = std::fs::read_to_string(&out_file).unwrap();
    assert!(
        r.ends_with(&file) || r.contains(file.trim()),
        "file:\n{file}\nstderr:\n{r}"
    );
    assert_eq!(out.status.signal(), Some(libc::SIGSEGV));

    let events = tracekit_e2e::read_log(&dir.path().join(format!("crash.{pid}.trk")));
    use tracekit_log::Event;
    let process = events
        .iter()
        .find_map(|e| match e {
            Event::Process(p) => Some(p),
            _ => None,
        })
        .expect("a process record");
    assert_eq!(process.pid, pid);
    assert_eq!(process.tool.as_bytes(), b"segv");
    let crash = events
        .iter()
        .find_map(|e| match e {
            Event::Crash(c) => Some(c),
            _ => None,
        })
        .expect("a crash record");
    assert_eq!(crash.signo, libc::SIGSEGV as u32);
    assert_eq!(crash.code, 1);
    assert_eq!(crash.addr, 0);
    assert_eq!(crash.access, tracekit_log::Access::Write);
    assert_eq!(crash.regs.len(), tracekit_log::X86_64_REGS.len());
    assert!(crash.report.to_string_lossy().contains("set_value"));
    let stack = events
        .iter()
        .find_map(|e| match e {
            Event::Stack(s) if s.id == crash.stack => Some(s),
            _ => None,
        })
        .expect("the crash's stack");
    assert_eq!(
        stack.frames[0], crash.regs[16],
        "frame 0 is the faulting pc"
    );
    let exe_module = events.iter().any(|e| {
        matches!(e, Event::Module(m) if m.path.to_string_lossy().ends_with("/crash_null") && m.contains(crash.regs[16]))
    });
    assert!(exe_module, "the executable's module record covers the pc");
}

#[test]
fn tracekit_segv_launcher() {
    let dir = tempdir();
    let out_file = dir.path().join("r.txt");
    let without = run_prog(&example("crash_divzero"), &[], &[], false);
    let mut cmd = Command::new(bin("tracekit"));
    cmd.arg("segv")
        .arg("-o")
        .arg(&out_file)
        .arg("--")
        .arg(example("crash_divzero"))
        .env("TRACEKIT_SEGV_TIMEOUT_MS", "20000");
    no_core_files(&mut cmd);
    let out = run_limited(&mut cmd, Duration::from_secs(60));
    assert_eq!(out.status.signal(), without.status.signal());
    assert_eq!(out.status.signal(), Some(libc::SIGFPE));
    let r = stderr(&out);
    assert!(frame_line(&r, "average").contains("crash_divzero.c:6"));
    let file = std::fs::read_to_string(&out_file).unwrap();
    assert!(file.contains("FPE_INTDIV"), "{file}");
}

/// Runs `tracekit segv ARGS...` as a user would (with `envs`, without core files).
fn tracekit_segv<I, S>(args: I, envs: &[(&str, &std::ffi::OsStr)]) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let mut cmd = Command::new(bin("tracekit"));
    cmd.arg("segv")
        .args(args)
        .env_remove("TRACEKIT_PRELOAD_DIR")
        .env("TRACEKIT_SEGV_TIMEOUT_MS", "20000");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    no_core_files(&mut cmd);
    run_limited(&mut cmd, Duration::from_secs(60))
}

/// tracekit's own refusal: exit status `code`, nothing on stdout, one line on stderr
/// containing every one of `needles`.
fn assert_refused(out: &Output, code: i32, needles: &[&str]) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(code), "{:?}: {err}", out.status);
    assert_eq!(stdout(out), "", "the command ran: {err}");
    assert_eq!(err.lines().count(), 1, "not one line: {err}");
    assert!(err.starts_with("tracekit: "), "{err}");
    for n in needles {
        assert!(err.contains(n), "{n:?} missing from: {err}");
    }
}

#[test]
fn unknown_option_before_the_command_is_a_usage_error() {
    // With `--` and without: `--bogus` is an option tracekit does not know, not the command,
    // and `echo` must not run.
    let out = tracekit_segv(["--bogus", "--", "echo", "ran"], &[]);
    assert_refused(&out, 2, &["'--bogus'"]);
    let out = tracekit_segv(["--bogus", "echo", "ran"], &[]);
    assert_refused(&out, 2, &["'--bogus'"]);
    // The command's own options are its own, with or without `--`.
    let out = tracekit_segv(["echo", "-n", "ran"], &[]);
    assert_eq!((out.status.code(), stdout(&out)), (Some(0), "ran".into()));
    // After `--` a word is the command, whatever it starts with: then it is not found.
    let out = tracekit_segv(["--", "--bogus"], &[]);
    assert_refused(
        &out,
        127,
        &["cannot run --bogus: No such file or directory"],
    );
}

#[test]
fn a_missing_program_exits_127_as_in_a_shell() {
    let out = tracekit_segv(["--", "/nonexistent/program"], &[]);
    assert_refused(
        &out,
        127,
        &["cannot run /nonexistent/program: No such file or directory"],
    );
    // Not found on PATH either.
    let out = tracekit_segv(["tracekit-no-such-program", "arg"], &[]);
    assert_refused(
        &out,
        127,
        &["cannot run tracekit-no-such-program: No such file or directory"],
    );
}

#[test]
fn a_program_that_cannot_be_executed_exits_126() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempdir();
    let script = dir.path().join("not-executable.sh");
    std::fs::write(&script, "#!/bin/sh\necho ran\n").unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = tracekit_segv([script.as_os_str()], &[]);
    let name = format!("cannot run {}: Permission denied", script.display());
    assert_refused(&out, 126, &[&name]);
    // A directory is found but cannot be executed either.
    let out = tracekit_segv([dir.path()], &[]);
    let name = format!("cannot run {}: Permission denied", dir.path().display());
    assert_refused(&out, 126, &[&name]);
}

#[test]
fn a_bad_signal_list_is_refused_before_anything_runs() {
    // crash_null would die of SIGSEGV if it ran.
    let prog = example("crash_null");
    let out = tracekit_segv(
        [
            "--signals".as_ref(),
            "segv bogus".as_ref(),
            prog.as_os_str(),
        ],
        &[],
    );
    assert_refused(
        &out,
        2,
        &[
            "--signals",
            "\"bogus\"",
            "accepted: SEGV BUS ILL FPE ABRT TRAP",
            "all",
        ],
    );
    assert!(!stderr(&out).contains("TRACEKIT_SEGV_SIGNALS"));
    let out = tracekit_segv(["--signals".as_ref(), ", ".as_ref(), prog.as_os_str()], &[]);
    assert_refused(&out, 2, &["--signals", "no signal given"]);
}

#[test]
fn the_signal_list_reaches_the_handler() {
    // The words the handler accepts: a name with SIG, a number (8 is SIGFPE), any case.
    let args = |name: &str| -> Vec<std::ffi::OsString> {
        vec!["--signals".into(), "SIGbus, 8".into(), example(name).into()]
    };
    let out = tracekit_segv(args("crash_null"), &[]);
    assert_eq!(out.status.signal(), Some(libc::SIGSEGV));
    assert_eq!(report_count(&stderr(&out)), 0, "{}", stderr(&out));
    let out = tracekit_segv(args("crash_divzero"), &[]);
    assert_eq!(out.status.signal(), Some(libc::SIGFPE));
    assert_eq!(report_count(&stderr(&out)), 1, "{}", stderr(&out));
}

/// A copy of the crash handler in a directory of its own, so a report can tell which copy
/// was loaded: its "loaded modules" list the path.
fn copied_handler() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempdir();
    let lib = dir.path().join("libpreload_segv.so");
    std::fs::copy(preload("preload-segv"), &lib).unwrap();
    (dir, lib)
}

/// The report of crash_null run under the handler at `lib`: symbolized, though no `tracekit`
/// sits next to that copy (`tracekit segv` names itself as the symbolizer).
fn assert_crash_reported_by(out: &Output, lib: &Path) {
    let r = stderr(out);
    assert_eq!(out.status.signal(), Some(libc::SIGSEGV), "{r}");
    assert_eq!(report_count(&r), 1, "{r}");
    let modules = r.split_once("loaded modules:").expect("modules").1;
    assert!(
        modules.contains(&format!("  {}\n", lib.display())),
        "{} not loaded:\n{r}",
        lib.display()
    );
    assert!(
        frame_line(&r, "set_value").contains("crash_null.c:12"),
        "{r}"
    );
}

#[test]
fn preload_option_takes_the_library_or_its_directory() {
    let (dir, lib) = copied_handler();
    let prog = example("crash_null");
    let out = tracekit_segv(
        [
            "--preload".as_ref(),
            dir.path().as_os_str(),
            prog.as_os_str(),
        ],
        &[],
    );
    assert_crash_reported_by(&out, &lib);
    let out = tracekit_segv(
        [
            "--preload".as_ref(),
            lib.as_os_str(),
            "--".as_ref(),
            prog.as_os_str(),
        ],
        &[],
    );
    assert_crash_reported_by(&out, &lib);
    // `--library`, its old name, still works.
    let out = tracekit_segv(
        [
            "--library".as_ref(),
            dir.path().as_os_str(),
            prog.as_os_str(),
        ],
        &[],
    );
    assert_crash_reported_by(&out, &lib);
    // A directory without the library: one line saying where it looked.
    let empty = tempdir();
    let out = tracekit_segv(
        [
            "--preload".as_ref(),
            empty.path().as_os_str(),
            prog.as_os_str(),
        ],
        &[],
    );
    let want = format!(
        "preload library not found: {}/libpreload_segv.so (--preload)",
        empty.path().display()
    );
    assert_refused(&out, 2, &[&want]);
}

#[test]
fn tracekit_preload_dir_is_honoured() {
    let (dir, lib) = copied_handler();
    let prog = example("crash_null");
    let out = tracekit_segv([&prog], &[("TRACEKIT_PRELOAD_DIR", dir.path().as_os_str())]);
    assert_crash_reported_by(&out, &lib);
    let empty = tempdir();
    let out = tracekit_segv(
        [&prog],
        &[("TRACEKIT_PRELOAD_DIR", empty.path().as_os_str())],
    );
    let want = format!(
        "preload library not found: {}/libpreload_segv.so (TRACEKIT_PRELOAD_DIR)",
        empty.path().display()
    );
    assert_refused(&out, 2, &[&want]);
    // --preload wins over the environment.
    let out = tracekit_segv(
        [
            "--preload".as_ref(),
            dir.path().as_os_str(),
            prog.as_os_str(),
        ],
        &[("TRACEKIT_PRELOAD_DIR", empty.path().as_os_str())],
    );
    assert_crash_reported_by(&out, &lib);
}

#[test]
fn a_stuck_symbolizer_is_killed_and_raw_frames_printed() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempdir();
    let script = dir.path().join("stuck-symbolizer");
    std::fs::write(&script, "#!/bin/sh\necho starting\nexec sleep 30\n").unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut cmd = Command::new(example("crash_null"));
    cmd.env("LD_PRELOAD", preload("preload-segv"))
        .env("TRACEKIT_SEGV_SYMBOLIZER", &script)
        .env("TRACEKIT_SEGV_TIMEOUT_MS", "300");
    no_core_files(&mut cmd);
    // The symbolizer sleeps 30 s: a report before run_limited's SIGKILL means it was cut short.
    let out = run_limited(&mut cmd, Duration::from_secs(25));
    let r = stderr(&out);
    assert_eq!(out.status.signal(), Some(libc::SIGSEGV));
    assert_has(
        &r,
        &[
            "starting",
            "the symbolizer took longer than 300 ms",
            "(symbolizer failed; raw frames:)",
            "/crash_null+0x",
            "*** end of tracekit segv report ***",
        ],
    );
}

/// The report file and the crash log are created 0600 and never through a symlink planted at
/// their names: the symlink's target is untouched, and the process still dies as it would.
#[test]
fn report_files_are_not_written_through_symlinks() {
    let dir = tempdir();
    let (victim, out_link) = planted_symlink(dir.path(), "out.txt");
    let log_link = dir.path().join("crash.tklog");
    std::os::unix::fs::symlink(&victim, &log_link).unwrap();
    let (out, r) = crash(
        &example("crash_null"),
        &[],
        &[
            ("TRACEKIT_SEGV_OUTPUT", out_link.to_str().unwrap()),
            ("TRACEKIT_LOG", log_link.to_str().unwrap()),
        ],
    );
    assert_eq!(out.status.signal(), Some(libc::SIGSEGV));
    assert!(r.contains("SIGSEGV"), "{r}");
    assert_untouched(&victim);
    // Real files get the report, mode 0600.
    let file = dir.path().join("real.txt");
    let (_, _) = crash(
        &example("crash_null"),
        &[],
        &[("TRACEKIT_SEGV_OUTPUT", file.to_str().unwrap())],
    );
    assert!(std::fs::read_to_string(&file).unwrap().contains("SIGSEGV"));
    assert_eq!(mode_of(&file), 0o600);
}

/// The build-id in a file's notes, as `readelf -n` prints it.
fn readelf_build_id(file: &Path) -> String {
    let out = tracekit_e2e::run(Command::new("readelf").arg("-n").arg(file));
    stdout(&out)
        .lines()
        .find_map(|l| l.trim().strip_prefix("Build ID: ").map(str::to_owned))
        .unwrap_or_else(|| panic!("no build-id in {}", file.display()))
}

/// A crash log names each module's build-id (read from memory by the handler), as a heap log
/// does: a binary rebuilt since the crash is then recognised and not used to name the crash's
/// frames, and `tracekit pack` says why they stay unresolved.
#[test]
fn crash_logs_carry_build_ids_so_a_rebuilt_binary_is_flagged() {
    let dir = tempdir();
    let exe = dir.path().join("prog");
    std::fs::copy(example("crash_null"), &exe).unwrap();
    let log = dir.path().join("crash.tklog");
    let (out, r) = crash(
        &exe,
        &[],
        &[
            ("TRACEKIT_LOG", log.to_str().unwrap()),
            ("TRACEKIT_SEGV_SYMBOLIZE", "0"),
        ],
    );
    assert_eq!(out.status.signal(), Some(libc::SIGSEGV), "{r}");
    use tracekit_log::Event;
    let events = tracekit_e2e::read_log(&log);
    let build_id = |suffix: &str| {
        events
            .iter()
            .find_map(|e| match e {
                Event::Module(m) if m.path.to_string_lossy().ends_with(suffix) => Some(
                    m.build_id
                        .iter()
                        .map(|b| format!("{b:02x}"))
                        .collect::<String>(),
                ),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no module {suffix} in the crash log"))
    };
    assert_eq!(build_id("/prog"), readelf_build_id(&exe));
    let libc_path = events
        .iter()
        .find_map(|e| match e {
            Event::Module(m) if m.path.to_string_lossy().contains("/libc.so") => {
                Some(m.path.to_string_lossy().into_owned())
            }
            _ => None,
        })
        .expect("libc in the crash log");
    assert_eq!(
        build_id("/libc.so.6"),
        readelf_build_id(Path::new(&libc_path))
    );

    // The same program: every frame of it is named. Rebuilt: none is, and pack says why.
    let same = dir.path().join("same.tklog");
    std::fs::copy(&log, &same).unwrap();
    let packed = tracekit_e2e::run(tracekit_e2e::tracekit().arg("pack").arg(&same));
    let said = format!("{}{}", stdout(&packed), stderr(&packed));
    assert!(packed.status.success(), "{said}");
    assert!(!said.contains("rebuilt"), "{said}");
    std::fs::remove_file(&exe).unwrap();
    std::fs::copy(example("crash_divzero"), &exe).unwrap();
    let packed = tracekit_e2e::run(tracekit_e2e::tracekit().arg("pack").arg(&log));
    let said = format!("{}{}", stdout(&packed), stderr(&packed));
    assert!(packed.status.success(), "{said}");
    assert!(
        said.contains("/prog (") && said.contains("binary rebuilt since the run: build-id differs"),
        "{said}"
    );
}
