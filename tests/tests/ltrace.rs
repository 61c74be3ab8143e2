//! ltrace-rs on real programs: exact call counts (`-c`) on every linkage the compiler offers
//! (lazy PIE, `-z now`, `.plt.sec` lazy and now, `-fno-plt`, non-PIE), threads, fork+exec and
//! dlopen; the text output compared line by line with the real ltrace where ltrace works;
//! signals, bad input, and detaching from a running process without leaving a breakpoint.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use tracekit_e2e::{bin, example, require_tool, run, stderr, stdout, tempdir};

/// Runs `tool ARGS... -o FILE PROGRAM...` and returns (its output, the trace file's text).
fn trace(tool: &Path, opts: &[&str], prog: &[&str], dir: &Path) -> (Output, String) {
    trace_home(tool, opts, prog, dir, None)
}

/// As [`trace`], with `HOME` set to `home` when given (no `~/.ltrace.conf` in an empty one).
fn trace_home(
    tool: &Path,
    opts: &[&str],
    prog: &[&str],
    dir: &Path,
    home: Option<&Path>,
) -> (Output, String) {
    let file = dir.join(format!(
        "{}-{}.out",
        tool.file_name().unwrap().to_string_lossy(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    let mut cmd = Command::new(tool);
    if let Some(home) = home {
        cmd.env("HOME", home);
    }
    let out = run(cmd.args(opts).arg("-o").arg(&file).args(prog));
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| {
        panic!(
            "{tool:?} wrote no {}: {e}; stderr: {}",
            file.display(),
            stderr(&out)
        )
    });
    (out, text)
}

fn ltrace_rs() -> std::path::PathBuf {
    bin("ltrace-rs")
}

/// The `calls` column of a `-c` table, by function.
fn counts(table: &str) -> BTreeMap<String, u64> {
    let mut m = BTreeMap::new();
    for line in table.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() == 5 && f[0].parse::<f64>().is_ok() && f[4] != "total" {
            m.insert(f[4].to_owned(), f[3].parse().expect("calls column"));
        }
    }
    m
}

fn expect(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

/// What lt_calls.c calls, once per run.
const LT_CALLS: &[(&str, u64)] = &[
    ("strlen", 6),
    ("memcpy", 2),
    ("malloc", 4),
    ("free", 4),
    ("puts", 3),
    ("atoi", 1),
    ("getenv", 1),
];

const LINKAGES: &[&str] = &[
    "lt_calls",
    "lt_calls_now",
    "lt_calls_cet",
    "lt_calls_cetnow",
    "lt_calls_noplt",
    "lt_calls_nopie",
];

/// `-c` has two backends: ptrace, and the in-process agent (the default when launching).
const BACKENDS: [&str; 2] = ["ptrace", "preload"];

#[test]
fn exact_counts_on_every_linkage() {
    let dir = tempdir();
    for backend in BACKENDS {
        for name in LINKAGES {
            let prog = example(name);
            let (out, table) = trace(
                &ltrace_rs(),
                &["-c", "--backend", backend],
                &[prog.to_str().unwrap()],
                dir.path(),
            );
            assert!(out.status.success(), "{name}: {}", stderr(&out));
            // The in-process backend did the work (it says so when it falls back).
            assert_eq!(stderr(&out), "", "{name} --backend {backend}");
            assert_eq!(
                stdout(&out),
                "a string longer than thirty-two characters\ncopy\nunset\n",
                "{name} --backend {backend}: the program's own output changed"
            );
            assert_eq!(
                counts(&table),
                expect(LT_CALLS),
                "{name} --backend {backend}:\n{table}"
            );
        }
    }
    // Filters (ltrace's `-e '!strlen'` also traces libc's own PLT calls, so it is not compared
    // with ltrace: the program's calls minus strlen are what it asks for).
    let prog = example("lt_calls");
    let p = prog.to_str().unwrap();
    let without = |drop: &[&str]| -> BTreeMap<String, u64> {
        let mut m = expect(LT_CALLS);
        m.retain(|k, _| !drop.contains(&k.as_str()));
        m
    };
    for (filter, dropped) in [
        ("!strlen", &["strlen"][..]),
        ("*-strlen-memcpy", &["strlen", "memcpy"][..]),
        (
            "malloc+free+puts",
            &["strlen", "memcpy", "atoi", "getenv"][..],
        ),
        (
            "*@libm.so*",
            &[
                "strlen", "memcpy", "malloc", "free", "puts", "atoi", "getenv",
            ][..],
        ),
    ] {
        for backend in BACKENDS {
            let (_, table) = trace(
                &ltrace_rs(),
                &["-c", "--backend", backend, "-e", filter],
                &[p],
                dir.path(),
            );
            assert_eq!(
                counts(&table),
                without(dropped),
                "-e {filter} --backend {backend}:\n{table}"
            );
        }
    }
    // `@libc.so*` names the callee of the program's calls, and the caller of libc's own
    // calls (into the dynamic linker), which ltrace's `-e` means.
    let (_, text) = trace(&ltrace_rs(), &["-e", "*@libc.so*"], &[p], dir.path());
    let mut from_program = BTreeMap::new();
    for line in text.lines().filter(|l| l.contains("->")) {
        if let Some(call) = line.strip_prefix("lt_calls->") {
            let name = call.split('(').next().unwrap_or_default();
            *from_program.entry(name.to_owned()).or_insert(0) += 1;
        } else {
            assert!(line.starts_with("libc.so.6->"), "{line}\n{text}");
        }
    }
    assert_eq!(from_program, expect(LT_CALLS), "-e *@libc.so*:\n{text}");
    let (_, table) = trace(&ltrace_rs(), &["-c", "-l", "libc.so.6"], &[p], dir.path());
    assert_eq!(counts(&table), expect(LT_CALLS), "-l libc.so.6:\n{table}");
}

/// Addresses differ from run to run (ASLR, heap layout): compared as a placeholder.
fn normalize(text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    for line in text.lines() {
        let mut out = String::new();
        let b = line.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b[i..].starts_with(b"0x") {
                let mut j = i + 2;
                while j < b.len() && b[j].is_ascii_hexdigit() {
                    j += 1;
                }
                if j - i > 6 {
                    out.push_str("0xADDR");
                    i = j;
                    continue;
                }
            }
            out.push(b[i] as char);
            i += 1;
        }
        // Addresses of different lengths move the ` = ` column: compare it only on lines
        // without one.
        if out.contains("0xADDR") {
            while out.contains("  ") {
                out = out.replace("  ", " ");
            }
        }
        lines.push(out);
    }
    lines
}

/// ltrace's prototypes only (`-F`), without the set ltrace-rs adds (`atoi`, ...).
const LTRACE_CONF: [&str; 2] = ["-F", "/etc/ltrace.conf"];

/// ltrace 0.7.3 reads no DWARF: a function its files do not declare prints with its defaults,
/// whatever debug info the library has (libc's, with libc6-dbg installed, types `atoi`).
const NO_DWARF: &str = "--no-dwarf";

fn compare_with_ltrace(opts: &[&str], prog: &[&str]) {
    compare_with_ltrace_conf(&LTRACE_CONF, opts, prog);
}

/// As [`compare_with_ltrace`], with the prototype files `conf` (`-F FILE`...).
fn compare_with_ltrace_conf(conf: &[&str], opts: &[&str], prog: &[&str]) {
    let dir = tempdir();
    let opts = [conf, opts].concat();
    let opts = &opts[..];
    let (theirs_out, theirs) = trace(Path::new("ltrace"), opts, prog, dir.path());
    let ours_opts = [&[NO_DWARF], opts].concat();
    let (ours_out, ours) = trace(&ltrace_rs(), &ours_opts, prog, dir.path());
    assert_eq!(
        ours_out.status.code(),
        theirs_out.status.code(),
        "{prog:?}: exit codes"
    );
    assert_eq!(
        stdout(&ours_out),
        stdout(&theirs_out),
        "{prog:?}: program output"
    );
    let (a, b) = (normalize(&theirs), normalize(&ours));
    for (i, (x, y)) in a.iter().zip(&b).enumerate() {
        assert_eq!(
            y,
            x,
            "{opts:?} {prog:?}: line {} differs\nltrace:\n{theirs}\nltrace-rs:\n{ours}",
            i + 1
        );
    }
    assert_eq!(
        b.len(),
        a.len(),
        "{opts:?} {prog:?}: line counts\nltrace:\n{theirs}\nltrace-rs:\n{ours}"
    );
}

/// ltrace 0.7.3 sees nothing of `-fno-plt` programs: compared everywhere else.
#[test]
fn text_output_matches_ltrace_line_for_line() {
    require_tool!("ltrace");
    for name in LINKAGES.iter().filter(|n| !n.ends_with("noplt")) {
        let prog = example(name);
        compare_with_ltrace(&[], &[prog.to_str().unwrap()]);
    }
    let calls = example("lt_calls");
    let calls = calls.to_str().unwrap();
    compare_with_ltrace(&["-s", "8"], &[calls, "short"]);
    compare_with_ltrace(&["-e", "malloc+free"], &[calls]);
    compare_with_ltrace(&["-i", "-e", "puts"], &[calls]);
    let sig = example("lt_signal");
    compare_with_ltrace(&[], &[sig.to_str().unwrap()]);
    // printf formats (variadic strings, stack arguments) and ltrace's legacy `string2` (a
    // NUL-terminated string of at most argument 2 bytes: snprintf's buffer).
    let fmt = example("lt_format");
    compare_with_ltrace(&[], &[fmt.to_str().unwrap()]);
    compare_with_ltrace(&["-s", "3"], &[fmt.to_str().unwrap()]);
    // ltrace does not see the program's calls through dlsym'd pointers (cos), which we do:
    // compared on the program's imports, and on a dlopen'd library's own call.
    let dl = example("lt_dlopen");
    let plug = example("lt_plug");
    let dl_plug = [dl.to_str().unwrap(), plug.to_str().unwrap()];
    compare_with_ltrace(&["-e", "dlopen+dlsym+puts+dlclose"], &dl_plug);
    compare_with_ltrace(&["-e", "strlen"], &dl_plug);
    // -S: the start-up differs (ltrace's older system call names: SYS_pread, SYS_334), the
    // system calls inside puts do not.
    let dir = tempdir();
    let (_, theirs) = trace(Path::new("ltrace"), &["-S"], &[calls], dir.path());
    let (_, ours) = trace(&ltrace_rs(), &["-S"], &[calls], dir.path());
    assert_eq!(
        puts_block(&ours),
        puts_block(&theirs),
        "ltrace:\n{theirs}\nltrace-rs:\n{ours}"
    );
}

#[test]
fn ltrace_misses_fno_plt_calls_and_ltrace_rs_does_not() {
    let dir = tempdir();
    let prog = example("lt_calls_noplt");
    let (_, ours) = trace(&ltrace_rs(), &[], &[prog.to_str().unwrap()], dir.path());
    assert_eq!(
        ours.lines().filter(|l| l.starts_with("strlen(")).count(),
        6,
        "{ours}"
    );
    assert!(
        ours.contains("memcpy(0x") && ours.contains("getenv(\"LT_CALLS_UNSET_VARIABLE\")"),
        "{ours}"
    );
}

#[test]
fn threads_are_counted_with_f_and_only_main_without() {
    let dir = tempdir();
    let prog = example("lt_threads");
    let p = prog.to_str().unwrap();
    let (out, table) = trace(&ltrace_rs(), &["-c", "-f"], &[p], dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        counts(&table),
        expect(&[
            ("strlen", 60),
            ("puts", 3),
            ("pthread_create", 3),
            ("pthread_join", 3)
        ]),
        "{table}"
    );
    let (_, table) = trace(&ltrace_rs(), &["-c"], &[p], dir.path());
    assert_eq!(
        counts(&table),
        expect(&[("pthread_create", 3), ("pthread_join", 3)]),
        "{table}"
    );
    // Interleaved lines are cut and resumed per thread, each with its pid.
    let (_, text) = trace(&ltrace_rs(), &["-f"], &[p], dir.path());
    let entries = text.lines().filter(|l| l.contains("] strlen(\"")).count();
    let done = text
        .lines()
        .filter(|l| l.contains("] strlen(\"") && !l.ends_with("<unfinished ...>"))
        .count();
    let resumed = text
        .lines()
        .filter(|l| l.contains("<... strlen resumed> )"))
        .count();
    assert_eq!(entries, 60, "{text}");
    assert_eq!(done + resumed, 60, "{text}");
    // In-process (-f: every thread records in its own ring): the same calls per thread, cut
    // and resumed the same way, whatever the interleaving.
    let (out, ip) = trace(
        &ltrace_rs(),
        &["-f", "--backend", "preload"],
        &[p],
        dir.path(),
    );
    assert_eq!(stderr(&out), "", "fell back:\n{ip}");
    assert_eq!(
        per_thread_calls(&ip),
        per_thread_calls(&text),
        "ptrace:\n{text}\nin-process:\n{ip}"
    );
    let cut = ip
        .lines()
        .filter(|l| l.ends_with("<unfinished ...>"))
        .count();
    let resumed = ip.lines().filter(|l| l.contains(" resumed> ")).count();
    assert_eq!(cut, resumed, "{ip}");
}

/// The calls of each thread of a `-f` trace (`[pid N] name(args) = ret`, lines cut by other
/// threads joined back), as the sorted list of each thread's calls: threads' ids and their
/// interleaving differ from run to run, what each thread called does not.
fn per_thread_calls(text: &str) -> Vec<Vec<String>> {
    let mut by_tid: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in text.lines() {
        let Some((tid, rest)) = line.strip_prefix("[pid ").and_then(|l| l.split_once("] ")) else {
            continue;
        };
        if rest.starts_with("<... ") || rest.starts_with("+++") || rest.starts_with("---") {
            continue;
        }
        let name = rest.split('(').next().unwrap_or(rest).to_owned();
        by_tid.entry(tid.to_owned()).or_default().push(name);
    }
    let mut v: Vec<Vec<String>> = by_tid.into_values().collect();
    v.sort();
    v
}

#[test]
fn fork_and_exec_are_followed_with_the_new_images_symbols() {
    let dir = tempdir();
    let prog = example("lt_fork");
    let (out, table) = trace(
        &ltrace_rs(),
        &["-c", "-f"],
        &[prog.to_str().unwrap()],
        dir.path(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    // fork returns in both processes; execl never returns; after the exec the same program
    // runs again with "child": strcmp and puts of the new image.
    assert_eq!(
        counts(&table),
        expect(&[
            ("fork", 2),
            ("strlen", 1),
            ("waitpid", 1),
            ("strcmp", 1),
            ("puts", 2)
        ]),
        "{table}"
    );
    let (_, text) = trace(&ltrace_rs(), &["-f"], &[prog.to_str().unwrap()], dir.path());
    assert_eq!(text.matches("--- Called exec() ---").count(), 1, "{text}");
    // execl's line ends with `<no return ...>` when its own process's exec comes next, with
    // `<unfinished ...>` when the other process's line came first (the parent's waitpid
    // races with the child's exec), as ltrace prints them.
    let lines: Vec<&str> = text.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.contains("execl("))
        .unwrap_or_else(|| panic!("no execl line:\n{text}"));
    let pid_of = |l: &str| l.split(']').next().unwrap_or("").to_owned();
    let next = lines.get(at + 1).copied().unwrap_or("");
    if pid_of(next) == pid_of(lines[at]) {
        assert!(lines[at].ends_with(" <no return ...>"), "{text}");
        assert!(next.contains("--- Called exec() ---"), "{text}");
    } else {
        assert!(lines[at].ends_with(" <unfinished ...>"), "{text}");
    }
    assert!(text.contains("puts(\"exec'd\")"), "{text}");
    assert_eq!(
        text.matches("+++ exited (status 0) +++").count(),
        2,
        "{text}"
    );
    // Without -f the child runs untraced and unharmed (no breakpoint left in its copy).
    let (out, table) = trace(&ltrace_rs(), &["-c"], &[prog.to_str().unwrap()], dir.path());
    assert_eq!(stdout(&out), "exec'd\nparent done\n");
    assert_eq!(
        counts(&table),
        expect(&[("fork", 1), ("waitpid", 1), ("puts", 1)]),
        "{table}"
    );
}

/// The program's calls into a dlopen'd library (through dlsym'd pointers) are counted: its
/// functions get breakpoints when the dynamic linker says the dlopen is done (its IFUNCs, such
/// as libm's cos, when their resolver returns), and lose them at dlclose.
#[test]
fn dlopen_programs_are_traced() {
    let dir = tempdir();
    let prog = example("lt_dlopen");
    let (out, table) = trace(&ltrace_rs(), &["-c"], &[prog.to_str().unwrap()], dir.path());
    assert_eq!(stdout(&out), "cos ok\n", "{}", stderr(&out));
    assert_eq!(
        counts(&table),
        expect(&[
            ("dlopen", 1),
            ("dlsym", 1),
            ("cos", 3),
            ("puts", 1),
            ("dlclose", 1)
        ]),
        "{table}"
    );
    let plug = example("lt_plug");
    let dl_plug = [prog.to_str().unwrap(), plug.to_str().unwrap()];
    let (out, table) = trace(&ltrace_rs(), &["-c"], &dl_plug, dir.path());
    assert_eq!(stdout(&out), "cos ok\n", "{}", stderr(&out));
    assert_eq!(stderr(&out), "", "no complaint while planting");
    // The library's own calls (cos, strlen) are not the program's.
    assert_eq!(
        counts(&table),
        expect(&[
            ("dlopen", 2),
            ("dlsym", 3),
            ("cos", 3),
            ("plug_cos", 2),
            ("plug_len", 1),
            ("puts", 1),
            ("dlclose", 2)
        ]),
        "{table}"
    );
}

/// A library's calls into other libraries, selected by `-e NAME@LIB` (LIB the caller, as in
/// ltrace, or the callee): lt_plug, dlopen'd, calls libm's cos twice and libc's strlen once.
#[test]
fn library_to_library_calls_are_traced_with_a_library_filter() {
    let dir = tempdir();
    let prog = example("lt_dlopen");
    let plug = example("lt_plug");
    let dl_plug = [prog.to_str().unwrap(), plug.to_str().unwrap()];
    let (out, table) = trace(&ltrace_rs(), &["-c", "-e", "*@libm*"], &dl_plug, dir.path());
    assert_eq!(stdout(&out), "cos ok\n", "{}", stderr(&out));
    assert_eq!(counts(&table), expect(&[("cos", 5)]), "{table}");
    let (_, text) = trace(&ltrace_rs(), &["-e", "*@libm*"], &dl_plug, dir.path());
    assert_eq!(text.matches("lt_dlopen->cos(").count(), 3, "{text}");
    assert_eq!(text.matches("lt_plug->cos(").count(), 2, "{text}");
    let (_, table) = trace(
        &ltrace_rs(),
        &["-c", "-e", "*@lt_plug"],
        &dl_plug,
        dir.path(),
    );
    assert_eq!(
        counts(&table),
        expect(&[("plug_cos", 2), ("plug_len", 1), ("cos", 2), ("strlen", 1)]),
        "{table}"
    );
    // Nested: the library's call inside the program's.
    let (_, text) = trace(&ltrace_rs(), &["-e", "*@lt_plug"], &dl_plug, dir.path());
    assert_eq!(text.matches("lt_dlopen->plug_cos(").count(), 2, "{text}");
    assert_eq!(text.matches("<... plug_cos resumed>").count(), 2, "{text}");
    assert_eq!(text.matches("lt_plug->strlen(\"").count(), 1, "{text}");
}

#[test]
fn signals_are_shown_and_delivered_unchanged() {
    let dir = tempdir();
    let prog = example("lt_signal");
    let (out, text) = trace(&ltrace_rs(), &[], &[prog.to_str().unwrap()], dir.path());
    assert_eq!(stdout(&out), "usr1 handled\n");
    assert!(
        text.contains("--- SIGUSR1 (User defined signal 1) ---\nputs(\"usr1 handled\")"),
        "{text}"
    );
    assert!(
        text.ends_with("--- SIGSEGV (Segmentation fault) ---\n+++ killed by SIGSEGV +++\n"),
        "{text}"
    );
}

/// The bundled prototypes type what ltrace's file lacks: `atoi("42") = 42`, not four raw
/// registers; `-F FILE` reads that file alone.
#[test]
fn bundled_prototypes_type_atoi() {
    let dir = tempdir();
    let prog = example("lt_calls");
    let p = prog.to_str().unwrap();
    let (_, text) = trace(&ltrace_rs(), &["-e", "atoi"], &[p], dir.path());
    let line = text
        .lines()
        .find(|l| l.contains("atoi("))
        .unwrap_or_default();
    assert!(
        line.starts_with("lt_calls->atoi(\"42\")") && line.ends_with(" = 42"),
        "{text}"
    );
    let conf = dir.path().join("mine.conf");
    std::fs::write(&conf, "long atoi(hex(int));\n").unwrap();
    let (_, text) = trace(
        &ltrace_rs(),
        &["-e", "atoi", "-F", conf.to_str().unwrap()],
        &[p],
        dir.path(),
    );
    assert!(text.contains("lt_calls->atoi(0x"), "{text}");
}

/// The in-process backend counts what the ptrace backend counts on the benchmark's loops and
/// on a threaded program without -f (the main thread only); what it cannot do (-S, a program
/// that dlopens, -w, the signals of a program that handles them) goes to ptrace, with a note
/// when the user asked for it.
#[test]
fn in_process_counts_match_ptrace_and_falls_back_with_a_note() {
    let dir = tempdir();
    let bench = example("lt_bench");
    let b = bench.to_str().unwrap();
    for args in [&[b, "strlen", "5000"][..], &[b, "malloc", "3000"]] {
        let (_, pt) = trace(
            &ltrace_rs(),
            &["-c", "--backend", "ptrace"],
            args,
            dir.path(),
        );
        let (out, ip) = trace(&ltrace_rs(), &["-c"], args, dir.path());
        assert_eq!(stderr(&out), "", "{args:?}");
        assert_eq!(
            counts(&ip),
            counts(&pt),
            "{args:?}\nptrace:\n{pt}\nin-process:\n{ip}"
        );
    }
    let threads = example("lt_threads");
    let (_, table) = trace(
        &ltrace_rs(),
        &["-c", "--backend", "preload"],
        &[threads.to_str().unwrap()],
        dir.path(),
    );
    assert_eq!(
        counts(&table),
        expect(&[("pthread_create", 3), ("pthread_join", 3)]),
        "{table}"
    );
    let calls = example("lt_calls");
    let c = calls.to_str().unwrap();
    let dl = example("lt_dlopen");
    let fork = example("lt_fork");
    for (opts, prog, why) in [
        (&["-c", "-S"][..], c, "-S"),
        (&["-c"][..], dl.to_str().unwrap(), "programs that dlopen"),
        (&["-w", "2"][..], c, "-w"),
        (
            &["-f"][..],
            fork.to_str().unwrap(),
            "-f of programs that fork or exec",
        ),
    ] {
        let opts = [opts, &["--backend", "preload"]].concat();
        let (out, text) = trace(&ltrace_rs(), &opts, &[prog], dir.path());
        assert!(out.status.success(), "{opts:?}: {}", stderr(&out));
        assert!(
            stderr(&out).starts_with("ltrace-rs: note: the in-process backend does not do ")
                && stderr(&out).contains(why)
                && stderr(&out).ends_with("; tracing with ptrace\n"),
            "{opts:?}: {}",
            stderr(&out)
        );
        assert!(
            text.contains("puts") || text.contains("--- SIGUSR1"),
            "{opts:?}: traced anyway:\n{text}"
        );
    }
    let out = run(Command::new(ltrace_rs()).args(["--backend", "gdb", "true"]));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).starts_with("ltrace-rs: --backend: 'gdb' is neither ptrace nor preload\n"),
        "{}",
        stderr(&out)
    );
}

/// The in-process backend prints the lines the ptrace backend prints (the formatter is the
/// same; the agent copies the memory the prototypes make it read): every linkage, C++ with and
/// without -C, filters, -s/-A, -i, -n, a handler's call and a fatal signal (-b), printf formats;
/// and with -ttt/-T/-r, the same lines
/// once the time columns are taken off, times never going back.
#[test]
fn in_process_lines_equal_the_ptrace_backends() {
    let dir = tempdir();
    let calls = example("lt_calls");
    let c = calls.to_str().unwrap();
    let cxx = example("lt_cxx");
    let x = cxx.to_str().unwrap();
    let bench = example("lt_bench");
    let b = bench.to_str().unwrap();
    let signal = example("lt_signal");
    let sig = signal.to_str().unwrap();
    let format = example("lt_format");
    let fmt = format.to_str().unwrap();
    let fork_prog = example("lt_fork");
    let mut cases: Vec<(Vec<&str>, Vec<&str>)> = Vec::new();
    let linkages: Vec<std::path::PathBuf> = LINKAGES.iter().map(|n| example(n)).collect();
    for p in &linkages {
        cases.push((vec![], vec![p.to_str().unwrap()]));
    }
    cases.extend([
        (vec!["-s", "8", "-A", "2"], vec![c, "short"]),
        (vec!["-e", "malloc+free"], vec![c]),
        (vec!["-e", "!strlen", "-i"], vec![c]),
        (vec!["-n", "2", "-e", "puts"], vec![c]),
        (vec!["-C"], vec![x]),
        (vec![], vec![x]),
        (vec![], vec![b, "strlen", "50"]),
        // A call inside a signal handler nests in the call it interrupted; the fatal signal.
        (vec!["-b"], vec![sig]),
        // The signals themselves (the program runs seized for signal stops only), with the
        // address of their delivery.
        (vec![], vec![sig]),
        (vec!["-i"], vec![sig]),
        // printf formats: their `%s` strings and the arguments past the sixth (the stack).
        (vec![], vec![fmt]),
        (vec!["-s", "3"], vec![fmt]),
    ]);
    for (opts, prog) in &cases {
        let pt_opts = [&opts[..], &["--backend", "ptrace"]].concat();
        let ip_opts = [&opts[..], &["--backend", "preload"]].concat();
        let (_, pt) = trace(&ltrace_rs(), &pt_opts, prog, dir.path());
        let (out, ip) = trace(&ltrace_rs(), &ip_opts, prog, dir.path());
        assert_eq!(
            stderr(&out),
            "",
            "{opts:?} {prog:?}: in-process backend fell back"
        );
        assert_eq!(
            normalize(&ip),
            normalize(&pt),
            "{opts:?} {prog:?}\nptrace:\n{pt}\nin-process:\n{ip}"
        );
        assert!(ip.lines().count() > 3, "{opts:?} {prog:?}: {ip}");
    }
    // A child's SIGCHLD (the child not followed): whether it lands in fork or in waitpid is a
    // race for both backends (and ltrace), so the calls are compared by name, and the signal
    // line counted.
    let names = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| !l.starts_with("<...") && !l.starts_with("---") && !l.starts_with("+++"))
            .filter_map(|l| l.split('(').next().map(str::to_owned))
            .collect()
    };
    let fork = fork_prog.to_str().unwrap();
    let (_, pt) = trace(&ltrace_rs(), &["--backend", "ptrace"], &[fork], dir.path());
    let (out, ip) = trace(&ltrace_rs(), &["--backend", "preload"], &[fork], dir.path());
    assert_eq!(stderr(&out), "", "lt_fork: in-process backend fell back");
    assert_eq!(names(&ip), names(&pt), "ptrace:\n{pt}\nin-process:\n{ip}");
    assert_eq!(names(&ip), ["fork", "waitpid", "puts"], "{ip}");
    assert_eq!(
        ip.matches("--- SIGCHLD (Child exited) ---\n").count(),
        1,
        "{ip}"
    );
    assert!(ip.ends_with("+++ exited (status 0) +++\n"), "{ip}");
    // A signal of a thread that is not shown (no -f) is not shown either; with -f it is, with
    // the thread's calls (their interleaving with the main thread's is a race: the calls are
    // compared by thread and name).
    let tsig = example("lt_tsignal");
    let ts = tsig.to_str().unwrap();
    // pthread_t values (addresses in decimal) and the columns they move.
    let no_ids = |text: &str| -> Vec<String> {
        normalize(text)
            .into_iter()
            .map(|l| {
                let mut out = String::new();
                let mut digits = String::new();
                for c in l.chars().chain(std::iter::once('\n')) {
                    if c.is_ascii_digit() {
                        digits.push(c);
                        continue;
                    }
                    out.push_str(if digits.len() >= 10 { "ID" } else { &digits });
                    digits.clear();
                    out.push(c);
                }
                out.pop();
                out.split_whitespace().collect::<Vec<_>>().join(" ")
            })
            .collect()
    };
    let (_, pt) = trace(&ltrace_rs(), &["--backend", "ptrace"], &[ts], dir.path());
    let (out, ip) = trace(&ltrace_rs(), &["--backend", "preload"], &[ts], dir.path());
    assert_eq!(stderr(&out), "", "lt_tsignal: in-process backend fell back");
    assert_eq!(no_ids(&ip), no_ids(&pt), "ptrace:\n{pt}\nin-process:\n{ip}");
    assert!(!ip.contains("--- SIGUSR1"), "{ip}");
    let (_, pt) = trace(
        &ltrace_rs(),
        &["-f", "--backend", "ptrace"],
        &[ts],
        dir.path(),
    );
    let (out, ip) = trace(
        &ltrace_rs(),
        &["-f", "--backend", "preload"],
        &[ts],
        dir.path(),
    );
    assert_eq!(
        stderr(&out),
        "",
        "lt_tsignal -f: in-process backend fell back"
    );
    assert_eq!(
        per_thread_calls(&ip),
        per_thread_calls(&pt),
        "ptrace:\n{pt}\nin-process:\n{ip}"
    );
    // The signal line is the thread's, right after its raise.
    assert!(
        ip.lines()
            .any(|l| l.ends_with("] --- SIGUSR1 (User defined signal 1) ---")),
        "{ip}"
    );
    assert_eq!(
        ip.matches("--- SIGUSR1 (User defined signal 1) ---")
            .count(),
        1,
        "{ip}"
    );
    // Time columns: -ttt (seconds.micros first), -T (<spent> last), -r (since the last line).
    let untimed = |text: &str, cols: usize| -> (Vec<f64>, Vec<String>) {
        let mut times = Vec::new();
        let mut lines = Vec::new();
        for line in text.lines() {
            let mut rest = line;
            for _ in 0..cols {
                let (t, r) = rest.trim_start().split_once(' ').expect("a time column");
                times.push(t.parse::<f64>().expect("a time"));
                rest = r;
            }
            let rest = match rest.rfind(" <") {
                Some(i) if rest.ends_with('>') && rest[i + 2..].starts_with("0.") => &rest[..i],
                _ => rest,
            };
            lines.push(rest.to_owned());
        }
        (times, lines)
    };
    for (opts, cols) in [(&["-ttt", "-T"][..], 1), (&["-r"][..], 1)] {
        let pt_opts = [opts, &["--backend", "ptrace"]].concat();
        let ip_opts = [opts, &["--backend", "preload"]].concat();
        let (_, pt) = trace(&ltrace_rs(), &pt_opts, &[c], dir.path());
        let (out, ip) = trace(&ltrace_rs(), &ip_opts, &[c], dir.path());
        assert_eq!(stderr(&out), "", "{opts:?}");
        let (ip_times, ip_lines) = untimed(&ip, cols);
        let (_, pt_lines) = untimed(&pt, cols);
        assert_eq!(
            normalize(&ip_lines.join("\n")),
            normalize(&pt_lines.join("\n")),
            "{opts:?}\nptrace:\n{pt}\nin-process:\n{ip}"
        );
        if opts[0] == "-ttt" {
            assert!(
                ip_times.windows(2).all(|w| w[0] <= w[1]),
                "times go back:\n{ip}"
            );
            assert!(
                ip.lines()
                    .filter(|l| l.contains(" = "))
                    .all(|l| l.ends_with('>')),
                "-T on every return:\n{ip}"
            );
        }
    }
}

/// SIGINT to ltrace-rs alone while the in-process backend prints lines: it stops reading and
/// exits; the program runs on to its end (its agent stops recording once nobody reads).
#[test]
fn in_process_sigint_leaves_the_program_running() {
    use std::io::Read;
    let dir = tempdir();
    let file = dir.path().join("sigint.out");
    let bench = example("lt_bench");
    let mut tracer = Command::new(ltrace_rs())
        .args(["--backend", "preload", "-o"])
        .arg(&file)
        .arg(&bench)
        .args(["strlen", "3000000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start ltrace-rs");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while std::fs::read_to_string(&file)
        .map(|t| t.matches("strlen(").count() < 20)
        .unwrap_or(true)
    {
        if std::time::Instant::now() > deadline {
            let _ = tracer.kill();
            let _ = tracer.wait();
            panic!("ltrace-rs traced nothing");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    // SAFETY: kill has no memory arguments.
    unsafe { libc::kill(tracer.id() as i32, libc::SIGINT) };
    let st = tracer.wait().unwrap();
    assert!(st.success(), "ltrace-rs after SIGINT: {st:?}");
    let mut err = String::new();
    tracer
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert_eq!(err, "", "fell back or failed");
    // The program holds the stdout pipe until it ends: end of file = it finished, not hung.
    let mut out = Vec::new();
    tracer.stdout.take().unwrap().read_to_end(&mut out).unwrap();
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        !text.contains("+++ exited"),
        "ltrace-rs waited for the end:\n{text}"
    );
}

/// C++ exceptions thrown by the program unwind through the traced calls on both backends, in
/// -c and in the call lines (`__cxa_throw`'s return address is left alone: the unwinder reads
/// it): the program runs as it does alone, and every catch is counted.
#[test]
fn cxx_exceptions_keep_working_under_trace() {
    let dir = tempdir();
    let prog = example("heap_cxx_exceptions");
    let p = prog.to_str().unwrap();
    let alone = run(&mut Command::new(&prog));
    assert_eq!(stdout(&alone), "kept 5, caught 5\ncaught 6 by exit\n");
    for backend in BACKENDS {
        let (out, table) = trace(
            &ltrace_rs(),
            &["-c", "--backend", backend],
            &[p],
            dir.path(),
        );
        assert_eq!(stderr(&out), "", "{backend}: {table}");
        assert_eq!(stdout(&out), stdout(&alone), "{backend}: {table}");
        let c = counts(&table);
        assert_eq!(c.get("__cxa_begin_catch"), Some(&6), "{backend}: {table}");
        assert_eq!(
            c.get("__cxa_throw"),
            None,
            "a throw does not return:\n{table}"
        );
    }
    let (out, text) = trace(&ltrace_rs(), &[], &[p], dir.path());
    assert_eq!(stdout(&out), stdout(&alone), "{text}");
    assert_eq!(text.matches("__cxa_throw(").count(), 6, "{text}");
}

/// ltrace-rs prints the same whether or not ltrace is installed: with HOME empty (no
/// `~/.ltrace.conf`) and its bundled prototypes alone (`-F` on the bundled file, so ltrace's
/// own files are not read even when present), its lines for lt_calls are ltrace's, which reads
/// its installed files. Without ltrace only the bundled set is there to read: `puts("...")`.
#[test]
fn the_bundled_prototypes_alone_print_what_ltrace_prints() {
    let dir = tempdir();
    let home = dir.path().join("home");
    std::fs::create_dir(&home).unwrap();
    let bundled = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ltrace-rs/src/libc.conf");
    let bundled = bundled.to_str().unwrap();
    let prog = example("lt_calls");
    let p = prog.to_str().unwrap();
    let (_, plain) = trace_home(&ltrace_rs(), &[], &[p], dir.path(), Some(&home));
    assert!(
        plain.contains("puts(\"unset\")") && plain.contains("getenv(\"LT_CALLS"),
        "{plain}"
    );
    // Every call but atoi, which the bundled set alone types (ltrace prints four registers).
    let opts = ["-e", "strlen+memcpy+malloc+free+puts+getenv"];
    let (_, ours) = trace_home(
        &ltrace_rs(),
        &[&["-F", bundled][..], &opts].concat(),
        &[p],
        dir.path(),
        Some(&home),
    );
    assert!(ours.contains("puts(\"unset\")"), "{ours}");
    require_tool!("ltrace");
    let (_, theirs) = trace_home(Path::new("ltrace"), &opts, &[p], dir.path(), Some(&home));
    assert_eq!(
        normalize(&ours),
        normalize(&theirs),
        "ltrace:\n{theirs}\nltrace-rs -F {bundled}:\n{ours}"
    );
}

/// `--log FILE`: the common event log holds a `LibCall` for every call the `-c` table counts,
/// with the library that defines it, after a `Process` event naming the tool.
#[test]
fn log_records_every_call_as_a_libcall_event() {
    // Both backends, with -c and with the call lines.
    for (backend, opts) in [
        ("ptrace", &["-c"][..]),
        ("preload", &["-c"][..]),
        ("preload", &[][..]),
    ] {
        log_records_every_call(backend, opts);
    }
}

fn log_records_every_call(backend: &str, opts: &[&str]) {
    let dir = tempdir();
    let prog = example("lt_calls");
    let log = dir.path().join("lt.tklog");
    let opts = [
        opts,
        &["--backend", backend, "--log", log.to_str().unwrap()],
    ]
    .concat();
    let (out, table) = trace(&ltrace_rs(), &opts, &[prog.to_str().unwrap()], dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stderr(&out), "", "{opts:?}: fell back");
    if opts.contains(&"-c") {
        assert_eq!(counts(&table), expect(LT_CALLS), "{table}");
    } else {
        assert!(table.contains("puts(\"unset\")"), "{table}");
    }
    let events = tracekit_e2e::read_log(&log);
    let process = events.iter().find_map(|e| match e {
        tracekit_log::Event::Process(p) => Some(p),
        _ => None,
    });
    assert_eq!(
        process.map(|p| p.tool.as_bytes().to_vec()),
        Some(b"ltrace-rs".to_vec())
    );
    let mut logged = BTreeMap::new();
    for e in &events {
        if let tracekit_log::Event::LibCall(c) = e {
            assert_eq!(c.library.as_bytes(), b"libc.so.6", "{c:?}");
            assert!(c.exit_ns >= c.entry_ns, "{c:?}");
            let name = String::from_utf8_lossy(c.name.as_bytes()).into_owned();
            *logged.entry(name).or_insert(0u64) += 1;
        }
    }
    assert_eq!(logged, expect(LT_CALLS));
    // `tracekit report` prints the `-c` table from the log.
    let report = run(tracekit_e2e::tracekit().arg("report").arg(&log));
    assert!(report.status.success(), "{}", stderr(&report));
    let text = stdout(&report);
    assert!(
        text.starts_with(&format!(
            "Library calls: {} events (ltrace -c):\n% time",
            LT_CALLS.iter().map(|c| c.1).sum::<u64>()
        )),
        "{text}"
    );
    assert_eq!(counts(&text), expect(LT_CALLS), "{text}");
}

#[test]
fn b_hides_signals_and_still_delivers_them() {
    let dir = tempdir();
    let prog = example("lt_signal");
    let (out, text) = trace(&ltrace_rs(), &["-b"], &[prog.to_str().unwrap()], dir.path());
    assert_eq!(stdout(&out), "usr1 handled\n");
    assert!(!text.contains("--- SIG"), "{text}");
    assert!(
        text.contains("puts(\"usr1 handled\")") && text.ends_with("+++ killed by SIGSEGV +++\n"),
        "{text}"
    );
}

/// The lines from `puts("a string...` (whose stdout check makes system calls) to its
/// `<... puts resumed>`.
fn puts_block(text: &str) -> Vec<String> {
    normalize(text)
        .into_iter()
        .skip_while(|l| !l.starts_with("puts(\"a string"))
        .scan(false, |done, l| {
            let keep = !*done;
            *done = l.starts_with("<... puts resumed>");
            keep.then_some(l)
        })
        .collect()
}

/// `-S`: the system calls a library call makes are nested between its entry and its return
/// line, in ltrace's form (`SYS_name(args) = ret`), and the exit's `SYS_exit_group` never
/// returns.
#[test]
fn s_shows_the_system_calls_inside_the_library_call_that_makes_them() {
    let dir = tempdir();
    let prog = example("lt_calls");
    let p = prog.to_str().unwrap();
    let (out, text) = trace(&ltrace_rs(), &["-S"], &[p], dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        !text.contains("SYS_execve"),
        "the start is not shown:\n{text}"
    );
    // puts looks at its stdout (a pipe here) before its first write.
    let block = puts_block(&text);
    assert!(block.len() > 2, "{text}");
    assert!(block[0].ends_with(" <unfinished ...>"), "{text}");
    let inner = &block[1..block.len() - 1];
    assert!(
        inner.iter().all(|l| l.starts_with("SYS_"))
            && inner.iter().any(|l| l.starts_with("SYS_newfstatat(1, ")),
        "{text}"
    );
    // Output to a pipe is written once, at exit: 54 bytes.
    assert!(
        text.contains("SYS_write(1, \"a string longer than thirty-two \"..., 54) = 54"),
        "{text}"
    );
    assert!(
        text.ends_with("SYS_exit_group(0 <no return ...>\n+++ exited (status 0) +++\n"),
        "{text}"
    );
    let (_, table) = trace(&ltrace_rs(), &["-S", "-c"], &[p], dir.path());
    let c = counts(&table);
    assert_eq!(c.get("SYS_write"), Some(&1), "{table}");
    assert_eq!(c.get("strlen"), Some(&6), "{table}");
}

/// lt_calls.c linked statically into `dir`, when the C library's static archive is installed.
fn static_lt_calls(dir: &Path) -> Option<std::path::PathBuf> {
    let st = dir.join("lt_calls_static");
    let ok = Command::new("cc")
        .args(["-static", "-O0", "-o"])
        .arg(&st)
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/c/lt_calls.c"))
        .status()
        .is_ok_and(|s| s.success());
    ok.then_some(st)
}

#[test]
fn x_traces_the_programs_own_functions_even_static() {
    let dir = tempdir();
    let prog = example("crash_null");
    let (_, text) = trace(
        &ltrace_rs(),
        &["-L", "-x", "walk"],
        &[prog.to_str().unwrap()],
        dir.path(),
    );
    assert!(text.starts_with("walk("), "{text}");
    assert!(text.contains("+++ killed by SIGSEGV +++"), "{text}");
    let Some(st) = static_lt_calls(dir.path()) else {
        eprintln!("SKIP: no static libc to link with");
        return;
    };
    let st = st.to_str().unwrap();
    let (_, text) = trace(&ltrace_rs(), &["-x", "main"], &[st], dir.path());
    assert!(text.starts_with("main(1, 0x"), "{text}");
    assert!(text.ends_with("+++ exited (status 0) +++\n"), "{text}");
    // strlen is an IFUNC: every implementation is watched. The program's 6 calls and the C
    // library's own (start-up, stdio) all count under -x.
    let (_, table) = trace(&ltrace_rs(), &["-c", "-x", "strlen"], &[st], dir.path());
    let n = counts(&table).get("strlen").copied().unwrap_or(0);
    assert!(n >= 6, "{table}");
    let (_, text) = trace(&ltrace_rs(), &["-x", "strlen"], &[st], dir.path());
    assert_eq!(
        text.matches("strlen(\"a string longer than thirty-two \"...)")
            .count(),
        3,
        "main's strlen(s) twice and puts' own strlen of the same string:\n{text}"
    );
}

/// One line on stderr naming the problem, and ltrace 0.7.3's exit status for it: 1, but 0
/// after "Cannot attach to pid N" (ltrace then exits as if it had traced the process).
fn one_line_error(args: &[&str], needle: &str) {
    let out = run(Command::new(ltrace_rs()).args(args));
    let code = if args.first() == Some(&"-p") { 0 } else { 1 };
    assert_eq!(out.status.code(), Some(code), "{args:?}: {}", stderr(&out));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    assert!(
        err.starts_with("ltrace-rs: ") && err.contains(needle),
        "{args:?}: {err}"
    );
}

#[test]
fn bad_input_gets_one_line_and_ltraces_exit_code() {
    let dir = tempdir();
    one_line_error(&["/nonexistent/program"], "No such file or directory");
    let text = dir.path().join("text");
    std::fs::write(&text, "not a program\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&text, std::fs::Permissions::from_mode(0o755)).unwrap();
    one_line_error(&[text.to_str().unwrap()], "not an ELF file");
    if let Some(st) = static_lt_calls(dir.path()) {
        one_line_error(&[st.to_str().unwrap()], "statically linked");
    }
    one_line_error(&["-p", "999999999"], "No such process");
}

/// Starts `prog` (lt_attach) as user `uid` (when given) and waits for its "ready".
fn start_attach_victim(prog: &Path, uid: Option<u32>) -> std::process::Child {
    use std::io::BufRead;
    use std::os::unix::process::CommandExt;
    let mut cmd = Command::new(prog);
    cmd.stdout(Stdio::piped());
    if let Some(uid) = uid {
        cmd.uid(uid).gid(uid);
    }
    let mut victim = cmd.spawn().expect("start lt_attach");
    let mut ready = String::new();
    std::io::BufReader::new(victim.stdout.take().unwrap())
        .read_line(&mut ready)
        .unwrap();
    assert_eq!(ready, "ready\n");
    victim
}

/// `-p` of a process that exists but may not be traced (another user's: EPERM) is a one-line
/// error naming it, as ltrace says it (`Cannot attach to pid N: Operation not permitted`),
/// and ltrace 0.7.3's exit status after it, 0. With several `-p`, one such process lets the others
/// go: detached before any breakpoint went in, they run on to their normal end.
#[test]
fn a_process_that_cannot_be_traced_gets_one_line_and_is_left_alone() {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("SKIP: needs root, to run ltrace-rs as nobody against another user's process");
        return;
    }
    const NOBODY: u32 = 65534;
    // Copies nobody can run (the target directory may not be reachable for other users).
    let dir = tempdir();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let copy = |from: &Path| {
        let to = dir.path().join(from.file_name().unwrap());
        std::fs::copy(from, &to).unwrap();
        std::fs::set_permissions(&to, std::fs::Permissions::from_mode(0o755)).unwrap();
        to
    };
    let tool = copy(&ltrace_rs());
    let prog = copy(&example("lt_attach"));
    let mut roots = start_attach_victim(&prog, None);
    let mut nobodys = start_attach_victim(&prog, Some(NOBODY));
    let as_nobody = |args: &[String]| {
        run(Command::new(&tool)
            .args(args)
            .uid(NOBODY)
            .gid(NOBODY)
            .current_dir(dir.path()))
    };
    let check = |out: &Output, pid: u32, why: &str| {
        let err = stderr(out);
        assert_eq!(out.status.code(), Some(0), "ltrace's status: {err}");
        assert_eq!(
            err,
            format!("ltrace-rs: Cannot attach to pid {pid}: {why}\n"),
            "one line naming the process"
        );
    };
    let root_pid = roots.id();
    let out = as_nobody(&["-p".into(), root_pid.to_string()]);
    check(&out, root_pid, "Operation not permitted");
    // The process nobody may trace comes first: seized, then let go when the second fails.
    let out = as_nobody(&[
        "-p".into(),
        nobodys.id().to_string(),
        "-p".into(),
        root_pid.to_string(),
    ]);
    check(&out, root_pid, "Operation not permitted");
    if let Some(diff) = code_differs_from_files(nobodys.id() as i32) {
        panic!("a breakpoint left in the process that could be traced: {diff}");
    }
    // A process that does not exist, as an unprivileged user too.
    let out = as_nobody(&["-p".into(), "999999999".into()]);
    check(&out, 999999999, "No such process");
    for (who, v) in [("root's", &mut roots), ("nobody's", &mut nobodys)] {
        let st = v.wait().unwrap();
        assert_eq!(st.code(), Some(0), "{who} lt_attach: {st:?}");
    }
}

#[test]
fn sigint_detaches_and_leaves_no_breakpoint() {
    use std::io::BufRead;
    let prog = example("lt_attach");
    let mut victim = Command::new(&prog)
        .stdout(Stdio::piped())
        .spawn()
        .expect("start lt_attach");
    let mut ready = String::new();
    std::io::BufReader::new(victim.stdout.take().unwrap())
        .read_line(&mut ready)
        .unwrap();
    assert_eq!(ready, "ready\n");
    let dir = tempdir();
    let file = dir.path().join("attach.out");
    let mut tracer = Command::new(ltrace_rs())
        .args(["-p", &victim.id().to_string(), "-o"])
        .arg(&file)
        .stderr(Stdio::piped())
        .spawn()
        .expect("start ltrace-rs");
    // Wait until calls are being traced, then interrupt the tracer.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while std::fs::read_to_string(&file)
        .map(|t| t.matches("strlen(").count() < 20)
        .unwrap_or(true)
    {
        if std::time::Instant::now() > deadline {
            let _ = tracer.kill();
            let _ = victim.kill();
            let _ = (tracer.wait(), victim.wait());
            panic!("ltrace-rs traced nothing");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    // SAFETY: kill has no memory arguments.
    unsafe { libc::kill(tracer.id() as i32, libc::SIGINT) };
    let st = tracer.wait().unwrap();
    assert!(st.success(), "ltrace-rs after SIGINT: {st:?}");
    if let Some(diff) = code_differs_from_files(victim.id() as i32) {
        panic!("the victim's code after the detach: {diff}");
    }
    // With a breakpoint left behind, the next strlen would kill it with SIGTRAP.
    let st = victim.wait().unwrap();
    assert_eq!(st.code(), Some(0), "the victim after the detach: {st:?}");
}

/// `ltrace-rs ... 2>&1 | head -1`: the reader goes away after one line. ltrace-rs used to wait
/// forever for a stop of the thread it was already holding, then panic on the closed stderr.
#[test]
fn a_closed_output_detaches_quietly_and_the_program_finishes() {
    use std::io::{BufRead, Read};
    let prog = example("lt_calls");
    let mut tracer = Command::new(ltrace_rs())
        .arg(&prog)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start ltrace-rs");
    let mut first = String::new();
    let mut err = std::io::BufReader::new(tracer.stderr.take().unwrap());
    err.read_line(&mut first).unwrap();
    assert!(first.starts_with("strlen("), "{first}");
    drop(err);
    let mut out = String::new();
    tracer
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    let st = tracer.wait().unwrap();
    assert_eq!(st.code(), Some(0), "{st:?}");
    // The program ran to its end, untraced after the detach.
    assert!(out.ends_with("unset\n"), "{out}");
}

/// `-o FILE` follows the suite's rules for the files it creates (issue 13): mode 0600, and a
/// symlink planted at the name is not followed (its target is left as it was).
#[test]
fn the_output_file_is_private_and_never_written_through_a_symlink() {
    let dir = tempdir();
    let out = dir.path().join("trace.txt");
    let o = run(Command::new(ltrace_rs())
        .arg("-o")
        .arg(&out)
        .arg(example("lt_calls")));
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(tracekit_e2e::mode_of(&out), 0o600);
    assert!(std::fs::read_to_string(&out).unwrap().contains("strlen("));

    let (victim, link) = tracekit_e2e::planted_symlink(dir.path(), "planted.txt");
    let o = run(Command::new(ltrace_rs())
        .arg("-o")
        .arg(&link)
        .arg(example("lt_calls")));
    assert!(!o.status.success(), "wrote through the symlink");
    assert!(stderr(&o).contains("can't open"), "{}", stderr(&o));
    tracekit_e2e::assert_untouched(&victim);
}

/// Prototypes with arrays and structs (ltrace.conf's `array(T, LEN)*`, `struct(...)`), for
/// `-A`: in place in a struct, behind pointers, by value in a register, of fixed length and of
/// an argument's.
const ARRAYS_CONF: &str = "\
addr memcpy(array(hex(char), 3)*, array(char, arg3)*, ulong);
void free(struct(int, array(int, 2), short)*);
addr malloc(struct(char, short));
ulong strlen(array(char, 6)*);
";

#[test]
fn a_limits_array_elements_as_ltrace_does() {
    require_tool!("ltrace");
    let dir = tempdir();
    let conf = dir.path().join("arrays.conf");
    std::fs::write(&conf, ARRAYS_CONF).unwrap();
    let conf = ["-F", conf.to_str().unwrap()];
    let calls = example("lt_calls");
    let calls = calls.to_str().unwrap();
    // ltrace's default is 4 elements; then fewer, more, and none.
    for a in [None, Some("2"), Some("10"), Some("0")] {
        let mut opts = vec!["-e", "memcpy+free+malloc+strlen"];
        if let Some(a) = a {
            opts.extend(["-A", a]);
        }
        compare_with_ltrace_conf(&conf, &opts, &[calls]);
    }
    // The elements are really read: memcpy's source, cut at 4 then at 2.
    let (_, text) = trace(
        &ltrace_rs(),
        &[&conf[..], &["-e", "memcpy"]].concat(),
        &[calls],
        dir.path(),
    );
    assert!(text.contains("[ 'c', 'o', 'p', 'y'... ], 5)"), "{text}");
    let (_, text) = trace(
        &ltrace_rs(),
        &[&conf[..], &["-A", "2", "-e", "memcpy"]].concat(),
        &[calls],
        dir.path(),
    );
    assert!(text.contains("[ 'c', 'o'... ], 5)"), "{text}");
}

/// `-w N`: after each return line, the caller's stack (at most N frames) as ltrace prints it
/// with libunwind (` > MODULE(FUNCTION+0xOFFSET) [0xADDRESS]`), then an empty line. The first
/// frame is the call's return address in main, which `-i` prints too.
#[test]
fn w_prints_the_callers_stack_after_each_return() {
    let dir = tempdir();
    let prog = example("lt_calls");
    let p = prog.to_str().unwrap();
    let (out, text) = trace(
        &ltrace_rs(),
        &["-i", "-w", "3", "-e", "strlen+getenv"],
        &[p],
        dir.path(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let lines: Vec<&str> = text.lines().collect();
    let calls: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].contains("] lt_calls->"))
        .collect();
    assert_eq!(calls.len(), 7, "6 strlen and 1 getenv:\n{text}");
    for &i in &calls {
        let ret_addr = &lines[i][1..lines[i].find(']').unwrap()];
        let frames: Vec<&str> = lines[i + 1..]
            .iter()
            .take_while(|l| l.starts_with(" > "))
            .copied()
            .collect();
        assert_eq!(frames.len(), 3, "{}:\n{text}", lines[i]);
        assert_eq!(
            lines[i + 1 + frames.len()],
            "",
            "an empty line ends a backtrace:\n{text}"
        );
        assert!(
            frames[0].starts_with(&format!(" > {p}(main+0x"))
                && frames[0].ends_with(&format!("[{ret_addr}]")),
            "the first frame is main at the return address {ret_addr}: {}\n{text}",
            frames[0]
        );
        assert!(
            frames[1].contains("libc.so.6("),
            "main's caller is in libc: {}",
            frames[1]
        );
    }
    let (_, text) = trace(&ltrace_rs(), &["-w", "1", "-e", "getenv"], &[p], dir.path());
    let frames = text.lines().filter(|l| l.starts_with(" > ")).count();
    assert_eq!(frames, 1, "{text}");
}

/// `-C` on a C++ program: libstdc++'s mangled names (operator new, std::ostream members)
/// print as ltrace -C prints them, line for line, and are counted under those names.
#[test]
fn c_demangles_cxx_names_as_ltrace_does() {
    require_tool!("ltrace");
    let prog = example("lt_cxx");
    let p = prog.to_str().unwrap();
    compare_with_ltrace(&["-C"], &[p]);
    compare_with_ltrace(&[], &[p]);
    let dir = tempdir();
    let (_, table) = trace(&ltrace_rs(), &["-c", "-C"], &[p], dir.path());
    let mut by_name = BTreeMap::new();
    for line in table.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() >= 5 && f[0].parse::<f64>().is_ok() && f[4] != "total" {
            by_name.insert(f[4..].join(" "), f[3].parse::<u64>().unwrap());
        }
    }
    for (name, n) in [
        ("operator new(unsigned long)", 2),
        ("operator new[](unsigned long)", 1),
        ("operator delete(void*, unsigned long)", 2),
        ("operator delete[](void*)", 1),
        ("std::ostream::operator<<(int)", 2),
        ("std::ostream::put(char)", 1),
    ] {
        assert_eq!(by_name.get(name), Some(&n), "{name}:\n{table}");
    }
}

/// `-C` demangles Rust's symbols too: a function of ltrace-rs itself, traced with `-x`.
#[test]
fn c_demangles_rust_symbols() {
    let dir = tempdir();
    let me = ltrace_rs();
    let (out, text) = trace(
        &ltrace_rs(),
        &["-C", "-L", "-x", "*ltrace_rs*cli*parse*"],
        &[me.to_str().unwrap(), "-V"],
        dir.path(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(text.matches("ltrace_rs::cli::parse(").count(), 1, "{text}");
    let (_, text) = trace(
        &ltrace_rs(),
        &["-L", "-x", "*ltrace_rs*cli*parse*"],
        &[me.to_str().unwrap(), "-V"],
        dir.path(),
    );
    let line = text
        .lines()
        .find(|l| l.contains("cli5parse"))
        .unwrap_or_default();
    assert!(
        line.starts_with("_ZN9ltrace_rs3cli5parse") || line.starts_with("_RNv"),
        "without -C the name stays mangled:\n{text}"
    );
}

/// `-c` returns through trampolines in the tracee: a detach (SIGINT) leaves calls in flight
/// returning through them, and every return value intact (lt_attach exits 0 only when every
/// strlen returned 9).
#[test]
fn c_detaches_with_calls_in_flight_and_the_program_finishes_intact() {
    use std::io::BufRead;
    let prog = example("lt_attach");
    let mut victim = Command::new(&prog)
        .stdout(Stdio::piped())
        .spawn()
        .expect("start lt_attach");
    let mut ready = String::new();
    std::io::BufReader::new(victim.stdout.take().unwrap())
        .read_line(&mut ready)
        .unwrap();
    let dir = tempdir();
    let file = dir.path().join("attach-c.out");
    let tracer = Command::new(ltrace_rs())
        .args(["-c", "-p", &victim.id().to_string(), "-o"])
        .arg(&file)
        .stderr(Stdio::piped())
        .spawn()
        .expect("start ltrace-rs");
    let traced = || {
        std::fs::read_to_string(format!("/proc/{}/status", victim.id()))
            .map(|s| {
                s.lines()
                    .any(|l| l.starts_with("TracerPid:") && l != "TracerPid:\t0")
            })
            .unwrap_or(false)
    };
    // The trampolines are in place once their page is mapped in the victim (anonymous,
    // executable): on a loaded machine that can be long after the attach itself.
    let trampolines = || {
        std::fs::read_to_string(format!("/proc/{}/maps", victim.id()))
            .map(|s| {
                s.lines().any(|l| {
                    let f: Vec<&str> = l.split_whitespace().collect();
                    f.len() == 5 && f[1].starts_with("r-x")
                })
            })
            .unwrap_or(false)
    };
    let start = std::time::Instant::now();
    while !(traced() && trampolines()) {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "no trampoline page in the victim after 120 s"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    // Let some of the calls (one every 2 ms) go through the trampolines.
    std::thread::sleep(Duration::from_millis(500));
    // SAFETY: kill has no memory arguments.
    unsafe { libc::kill(tracer.id() as i32, libc::SIGINT) };
    let out = tracer.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "ltrace-rs after SIGINT: {}",
        stderr(&out)
    );
    let table = std::fs::read_to_string(&file).unwrap();
    assert!(
        counts(&table).get("strlen").is_some_and(|&n| n > 0),
        "{table}"
    );
    // The counting stubs' jumps are gone too (a left one would still work: only the bytes
    // tell). The victim runs about 6 s; it is read unless it is over already.
    if let Some(diff) = code_differs_from_files(victim.id() as i32) {
        panic!("the victim's code after the detach: {diff}");
    }
    let st = victim.wait().unwrap();
    assert_eq!(st.code(), Some(0), "the victim after the detach: {st:?}");
}

/// Where the executable file mappings of process `pid` differ from their files (a breakpoint
/// or a patched entry left behind), if anywhere; `None` when they are equal or the process is
/// gone.
fn code_differs_from_files(pid: i32) -> Option<String> {
    use std::io::{Read, Seek, SeekFrom};
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).ok()?;
    let mut mem = std::fs::File::open(format!("/proc/{pid}/mem")).ok()?;
    let mut checked = 0;
    for line in maps.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 6 || !f[1].starts_with("r-x") || !f[5].starts_with('/') {
            continue;
        }
        let (lo, hi) = f[0].split_once('-')?;
        let lo = u64::from_str_radix(lo, 16).ok()?;
        let hi = u64::from_str_radix(hi, 16).ok()?;
        let off = u64::from_str_radix(f[2], 16).ok()?;
        let mut file = std::fs::File::open(f[5]).ok()?;
        let mut want = Vec::new();
        file.seek(SeekFrom::Start(off)).ok()?;
        file.take(hi - lo).read_to_end(&mut want).ok()?;
        let mut got = vec![0u8; want.len()];
        mem.seek(SeekFrom::Start(lo)).ok()?;
        mem.read_exact(&mut got).ok()?;
        if let Some(i) = (0..want.len()).find(|&i| want[i] != got[i]) {
            return Some(format!("{} at {:#x}", f[5], lo + i as u64));
        }
        checked += 1;
    }
    assert!(
        checked > 0,
        "no code mapping read in process {pid}:\n{maps}"
    );
    None
}

/// `-c` on the ptrace backend counts in stubs in the tracee (no stop per call) where a function
/// allows it: the counts equal those of the breakpoints alone (`TRACEKIT_LTRACE_NO_STUBS=1`) on
/// every linkage, with threads (only the first thread's calls without -f), fork, a signal
/// handler's calls, C++, and across an exec of the traced process itself (lt_exec: 3 strlen
/// before, 2 after; the counters are read at the `execve` breakpoint before the image goes);
/// with -f every thread's and every child's calls (a forked child's copy of the counters starts
/// from the parent's at the fork).
#[test]
fn c_counts_in_the_tracee_equal_the_breakpoints() {
    let dir = tempdir();
    let table = |opts: &[&str], prog: &Path, args: &[&str], stubs: bool| -> (String, String) {
        let file = dir.path().join(format!(
            "stubs-{}-{stubs}{}.out",
            prog.file_name().unwrap().to_string_lossy(),
            opts.concat()
        ));
        let mut cmd = Command::new(ltrace_rs());
        if stubs {
            cmd.env("TRACEKIT_LTRACE_DEBUG_STUBS", "1");
        } else {
            cmd.env("TRACEKIT_LTRACE_NO_STUBS", "1");
        }
        let out = run(cmd
            .args(["-c", "--backend", "ptrace", "-o"])
            .arg(&file)
            .args(opts)
            .arg(prog)
            .args(args));
        assert!(out.status.success(), "{prog:?}: {}", stderr(&out));
        (std::fs::read_to_string(&file).unwrap(), stderr(&out))
    };
    let mut progs: Vec<&str> = LINKAGES.to_vec();
    progs.extend(["lt_threads", "lt_fork", "lt_signal", "lt_cxx", "lt_exec"]);
    let mut runs: Vec<(&[&str], &str)> = progs.into_iter().map(|p| (&[][..], p)).collect();
    runs.extend([
        (&["-f"][..], "lt_threads"),
        (&["-f"][..], "lt_fork"),
        (&["-f"][..], "lt_exec"),
    ]);
    for (opts, name) in runs {
        let prog = example(name);
        let (with, said) = table(opts, &prog, &[], true);
        let (without, quiet) = table(opts, &prog, &[], false);
        assert_eq!(quiet, "", "{name} {opts:?} without stubs");
        // The stubs did the work: "N of M functions counted by stubs", N > 0.
        let n: u64 = said
            .split_whitespace()
            .nth(1)
            .and_then(|w| w.parse().ok())
            .unwrap_or(0);
        assert!(
            n > 0,
            "{name} {opts:?}: no function counted by stubs: {said}"
        );
        assert_eq!(
            counts(&with),
            counts(&without),
            "{name} {opts:?}: stubs\n{with}\nbreakpoints\n{without}"
        );
    }
    // Library filters: the stubs hold the callers' ranges; lt_plug, dlopen'd later, widens
    // cos's (its 2 calls join the program's 3).
    let plug = example("lt_plug");
    let dl = example("lt_dlopen");
    for (filter, prog, args) in [
        ("malloc+free", example("lt_calls"), vec![]),
        ("*@libm*", dl.clone(), vec![plug.to_str().unwrap()]),
        ("*@lt_plug", dl.clone(), vec![plug.to_str().unwrap()]),
    ] {
        let (with, _) = table(&["-e", filter], &prog, &args, true);
        let (without, _) = table(&["-e", filter], &prog, &args, false);
        assert_eq!(
            counts(&with),
            counts(&without),
            "-e {filter}\n{with}\n{without}"
        );
    }
    let (with, _) = table(&["-e", "*@libm*"], &dl, &[plug.to_str().unwrap()], true);
    assert_eq!(counts(&with), expect(&[("cos", 5)]), "{with}");
    // A call before the fork (strcmp) is the parent's only, then the child execs lt_calls.
    let calls = example("lt_calls");
    let fork = example("lt_fork");
    let args = [calls.to_str().unwrap()];
    let (with, _) = table(&["-f"], &fork, &args, true);
    let (without, _) = table(&["-f"], &fork, &args, false);
    assert_eq!(counts(&with), counts(&without), "{with}\n{without}");
    assert_eq!(counts(&with).get("strcmp"), Some(&1), "{with}");
    let (with, _) = table(&[], &example("lt_exec"), &[], true);
    assert_eq!(counts(&with).get("strlen"), Some(&5), "{with}");
    assert_eq!(counts(&with).get("puts"), Some(&1), "{with}");
    // Many calls, exactly.
    let (with, _) = table(&[], &example("lt_bench"), &["malloc", "20000"], true);
    assert_eq!(counts(&with).get("malloc"), Some(&20000), "{with}");
    assert_eq!(counts(&with).get("free"), Some(&20000), "{with}");
}

/// Call lines on the ptrace backend: a call whose return line needs only the return value goes
/// back through a trampoline (no second stop) and its line is printed at the next stop. The
/// text equals the one with a return breakpoint for every call (`TRACEKIT_LTRACE_NO_LAZY_LINES=1`),
/// including the garbage arguments of unknown prototypes (the trampoline keeps every register
/// but r11), the last call before the exit, and across an exec.
#[test]
fn quiet_returns_through_trampolines_print_the_same_lines() {
    let dir = tempdir();
    for (opts, name) in [
        (&[][..], "lt_calls"),
        (&["-i", "-T"][..], "lt_calls"),
        (&[][..], "lt_cxx"),
        (&[][..], "lt_format"),
        (&[][..], "lt_signal"),
        (&[][..], "lt_exec"),
    ] {
        let prog = example(name);
        let file = |lazy: bool| {
            dir.path()
                .join(format!("quiet-{name}-{}-{lazy}", opts.len()))
        };
        for lazy in [true, false] {
            let mut cmd = Command::new(ltrace_rs());
            if !lazy {
                cmd.env("TRACEKIT_LTRACE_NO_LAZY_LINES", "1");
            }
            let out = run(cmd
                .args(["--backend", "ptrace"])
                .args(opts)
                .arg("-o")
                .arg(file(lazy))
                .arg(&prog));
            assert!(out.status.success(), "{name}: {}", stderr(&out));
        }
        let text = |lazy: bool| std::fs::read_to_string(file(lazy)).unwrap();
        // -T's times differ run to run: the column goes.
        let strip = |t: String| -> Vec<String> {
            normalize(&t)
                .into_iter()
                .map(|l| match l.rfind(" <") {
                    Some(i) if l.ends_with('>') && l[i + 2..].starts_with("0.") => {
                        l[..i].to_owned()
                    }
                    _ => l,
                })
                .collect()
        };
        let (with, without) = (text(true), text(false));
        assert!(with.lines().count() > 3, "{name}: {with}");
        assert_eq!(
            strip(with.clone()),
            strip(without.clone()),
            "{name} {opts:?}\ntrampolines:\n{with}\nbreakpoints:\n{without}"
        );
    }
}

/// The lines of a trace with the padding before ` = ` collapsed.
fn squeezed(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

/// Functions no prototype file declares are typed from the DWARF of the library that defines
/// them (lt_dwlib, built with -g), on both backends: float, double and long double arguments
/// and returns too (SSE registers, the stack, st0); a struct by value keeps the default
/// formatting, a variadic function shows its fixed parameters. Without the debug info
/// (a copy stripped with `objcopy --strip-debug`) the same calls print with ltrace's defaults,
/// line for line as ltrace prints them. ltrace 0.7.3 reads no DWARF: it prints those defaults
/// for the -g build too.
#[test]
fn dwarf_of_the_defining_library_types_undeclared_functions() {
    require_tool!("objcopy");
    let dir = tempdir();
    let home = dir.path().join("home");
    std::fs::create_dir(&home).unwrap();
    let prog = example("lt_dwarf");
    let p = prog.to_str().unwrap();
    let typed = [
        "add(2, 3) = 5",
        "greet(\"bob\") = \"hello bob\"",
        "pick(0x1000, 16) = 0x1010",
        "is_neg(-7) = true",
        "shrink(2, '\\003') = -5",
        "touch(\"word\") = <void>",
        "scale(1.500000) = 3.000000",
        "mix(7, 0.250000, -1.500000, 8) = 13.750000",
        "halve(5.000000) = 2.500000",
        "sum9(1.000000, 2.000000, 3.000000, 4.000000, 5.000000, 6.000000, 7.000000, 8.000000, 9.000000) = 45.000000",
        "count_args(2) = 2",
        "puts(\"ok\") = 3",
        "+++ exited (status 0) +++",
    ];
    let mut with_dwarf = Vec::new();
    for backend in ["ptrace", "inproc"] {
        let (out, text) = trace_home(
            &ltrace_rs(),
            &["--backend", backend],
            &[p],
            dir.path(),
            Some(&home),
        );
        assert_eq!(stdout(&out), "ok\n", "{backend}: {}", stderr(&out));
        let lines = squeezed(&text);
        let without_defaults: Vec<&str> = lines
            .iter()
            .map(String::as_str)
            .filter(|l| !l.starts_with("sum_pair("))
            .collect();
        assert_eq!(without_defaults, typed, "{backend}:\n{text}");
        // sum_pair(struct pair): four registers, as without a prototype.
        assert!(
            lines.iter().any(|l| l.starts_with("sum_pair(4, 5, ")),
            "{backend}:\n{text}"
        );
        with_dwarf.push(text);
    }
    assert_eq!(
        normalize(&with_dwarf[0]),
        normalize(&with_dwarf[1]),
        "ptrace and inproc"
    );

    // The program's own function (`-x`), typed from the program's DWARF: `int main(void)`.
    let (_, text) = trace_home(
        &ltrace_rs(),
        &["-x", "main", "-e", "add"],
        &[p],
        dir.path(),
        Some(&home),
    );
    let lines = squeezed(&text);
    assert_eq!(lines[0], "main( <unfinished ...>", "{text}");
    assert!(
        lines.iter().any(|l| l == "lt_dwarf->add(2, 3) = 5"),
        "{text}"
    );

    // The same program with a stripped copy of the library next to it ($ORIGIN).
    let bare = dir.path().join("bare");
    std::fs::create_dir(&bare).unwrap();
    let lib = prog.with_file_name("lt_dwlib");
    let bare_prog = bare.join("lt_dwarf");
    std::fs::copy(&prog, &bare_prog).unwrap();
    let st = Command::new("objcopy")
        .arg("--strip-debug")
        .arg(&lib)
        .arg(bare.join("lt_dwlib"))
        .status()
        .unwrap();
    assert!(st.success(), "objcopy --strip-debug");
    let bp = bare_prog.to_str().unwrap();
    let mut without = Vec::new();
    for backend in ["ptrace", "inproc"] {
        let (out, text) = trace_home(
            &ltrace_rs(),
            &["--backend", backend],
            &[bp],
            dir.path(),
            Some(&home),
        );
        assert_eq!(stdout(&out), "ok\n", "{backend}: {}", stderr(&out));
        let lines = squeezed(&text);
        assert!(lines.iter().any(|l| l.starts_with("add(2, 3, ")), "{text}");
        assert!(!lines.iter().any(|l| l.starts_with("greet(\"")), "{text}");
        assert!(lines.iter().any(|l| l == "puts(\"ok\") = 3"), "{text}");
        without.push(text);
    }
    assert_eq!(
        normalize(&without[0]),
        normalize(&without[1]),
        "ptrace and inproc"
    );
    // --no-dwarf: the -g build prints as the stripped one.
    for backend in ["ptrace", "inproc"] {
        let (_, text) = trace_home(
            &ltrace_rs(),
            &["--backend", backend, NO_DWARF],
            &[p],
            dir.path(),
            Some(&home),
        );
        assert_eq!(
            normalize(&text),
            normalize(&without[0]),
            "{backend} {NO_DWARF}"
        );
    }

    require_tool!("ltrace");
    for (what, prog) in [("stripped", bp), ("-g", p)] {
        let (_, theirs) = trace_home(Path::new("ltrace"), &[], &[prog], dir.path(), Some(&home));
        assert_eq!(
            normalize(&without[0]),
            normalize(&theirs),
            "{what}: ltrace:\n{theirs}\nltrace-rs, stripped:\n{}",
            without[0]
        );
    }
}

/// What lt_float calls, once per run.
const LT_FLOAT: &[(&str, u64)] = &[
    ("sqrt", 1),
    ("pow", 2),
    ("sqrtf", 1),
    ("floor", 1),
    ("ldexp", 1),
    ("atof", 1),
    ("strtod", 1),
    ("frexp", 1),
    ("modf", 1),
    ("copysign", 1),
    ("nan", 1),
    ("fmax", 1),
    ("printf", 3),
];

/// `float` and `double` arguments and returns (SSE registers, in order among the floating point
/// arguments; the result in xmm0), mixed with integers, output parameters (`+double*`), and
/// printf's `%f`/`%g`/`%e` past the eight SSE registers (on the stack, among the integers past
/// the sixth): ltrace-rs's bundled libm prototypes print them on both backends exactly as ltrace
/// 0.7.3 prints them given the same declarations (`-F`), with C's `%f` (`nan`, `-inf`,
/// `-0.000000`).
#[test]
fn float_and_double_arguments_and_returns_print_as_ltrace_prints_them() {
    let dir = tempdir();
    let home = dir.path().join("home");
    std::fs::create_dir(&home).unwrap();
    let prog = example("lt_float");
    let p = prog.to_str().unwrap();
    let expected = [
        "sqrt(2.000000) = 1.414214",
        "pow(2.000000, 10.000000) = 1024.000000",
        "sqrtf(2.000000) = 1.414214",
        "floor(-2.500000) = -3.000000",
        "ldexp(0.500000, 3) = 4.000000",
        "atof(\"3.25\") = 3.250000",
        "strtod(\"-1e-7 rest\", 0xADDR) = -0.000000",
        "frexp(100000000000000000000.000000, 67) = 0.677626",
        "modf(-2.500000, -2.000000) = -0.500000",
        "copysign(0.000000, -2.500000) = -0.000000",
        "nan(\"\") = nan",
        "pow(10.000000, 20.000000) = 100000000000000000000.000000",
        "fmax(-inf, -2.500000) = -2.500000",
        "printf(\"%f %g %d %.3f %s %e\\n\", 1.414214, 1024.000000, 7, 1.414214, \"x\", -3.000000) = 38",
        "printf(\"%d %d %d %d %d %d %f %f %f %f %f\"..., 1, 2, 3, 4, 5, 6, 1.414214, 1024.000000, \
         1.414214, -3.000000, 4.000000, 3.250000, -0.000000, 0.677626, -0.500000, -2.000000, \
         \"end\") = 113",
        "printf(\"%f %f %f %f %d\\n\", 100000000000000000000.000000, -inf, nan, -0.000000, 67) = 51",
        "+++ exited (status 0) +++",
    ];
    let lines = |text: &str| -> Vec<String> {
        normalize(text)
            .iter()
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect()
    };
    // The bundled set's declarations of these functions, as a file for -F.
    let bundled = include_str!("../../ltrace-rs/src/libc.conf");
    let conf: String = bundled
        .lines()
        .filter(|l| LT_FLOAT.iter().any(|(n, _)| l.contains(&format!(" {n}("))))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(conf.lines().count(), LT_FLOAT.len(), "{conf}");
    let conf_path = dir.path().join("float.conf");
    std::fs::write(&conf_path, &conf).unwrap();
    let conf_path = conf_path.to_str().unwrap();
    let mut program_output = None;
    for backend in ["ptrace", "inproc"] {
        for files in [&[][..], &["-F", conf_path][..]] {
            let opts = [&["--backend", backend, NO_DWARF][..], files].concat();
            let (out, text) = trace_home(&ltrace_rs(), &opts, &[p], dir.path(), Some(&home));
            assert!(out.status.success(), "{opts:?}: {}", stderr(&out));
            assert_eq!(stderr(&out), "", "{opts:?}: fell back to another backend?");
            assert_eq!(lines(&text), expected, "{opts:?}:\n{text}");
            let o = stdout(&out);
            assert_eq!(program_output.get_or_insert_with(|| o.clone()), &o);
        }
        let (out, table) = trace_home(
            &ltrace_rs(),
            &["-c", "--backend", backend],
            &[p],
            dir.path(),
            Some(&home),
        );
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(counts(&table), expect(LT_FLOAT), "-c {backend}:\n{table}");
    }
    require_tool!("ltrace");
    let (out, theirs) = trace_home(
        Path::new("ltrace"),
        &["-F", conf_path],
        &[p],
        dir.path(),
        Some(&home),
    );
    assert_eq!(Some(&stdout(&out)), program_output.as_ref());
    assert_eq!(lines(&theirs), expected, "ltrace:\n{theirs}");
}
