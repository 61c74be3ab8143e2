//! End-to-end tests of the fence allocator (`preload-efence`): the heap bugs of
//! `examples/c/efence_bugs.c` and `efence_mismatch.cpp` run under the preload, and the report
//! must say what kind of bug it is, the block's size, the offset, where the bad access (or
//! free) happened and where the block was allocated (and freed), each with the victim's
//! file:line; the process must die of the signal it would die of (SIGSEGV for a fault,
//! SIGABRT for a misuse found at `free`, as glibc's own checks die). Clean programs must run
//! unchanged, and nonsense requests must fail the way glibc fails them.
//!
//! The victims mark each line the report must name with a comment (`/* A:case */` allocation,
//! `/* F:case */` free, `/* X:case */` the bad access): the tests read the line numbers from
//! the source, so editing a victim cannot leave a test checking a stale number.
//!
//! What a guard page can and cannot see, by default (alignment 16, as glibc): a block whose
//! size is a multiple of 16 ends against its guard page, so the first byte read or written past
//! it faults. `malloc(13)` ends 3 bytes before the guard (the alignment's slack): a *write*
//! there changes the slack's canary and is reported when the block is freed (with the free's
//! stack as the "faulting" one); a *read* there changes nothing and goes unseen unless
//! `EF_ALIGNMENT=1` puts every block's end against its guard. The same holds for
//! `memalign(64, 100)`, whose 64-byte alignment leaves 28 bytes of slack that no option can
//! remove: its overflowing write is found at `free`, its overflowing read is not found (a
//! read past `memalign(64, 128)` faults at once). Underflows fault with `EF_PROTECT_BELOW=1`;
//! by default a write into the 16 bytes before a block changes their canary and is found at
//! `free`, and an underflowing read is not found.

use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use tracekit_e2e::{bin, example, preload, run_limited, stderr, stdout, tempdir};

/// Crashing victims must not leave core files behind.
fn no_core_files(cmd: &mut Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: setrlimit is async-signal-safe, as pre_exec requires.
    unsafe {
        cmd.pre_exec(|| {
            let lim = libc::rlimit {
                rlim_cur: 0,
                rlim_max: libc::RLIM_INFINITY,
            };
            let mut cur = lim;
            libc::getrlimit(libc::RLIMIT_CORE, &mut cur);
            cur.rlim_cur = 0;
            libc::setrlimit(libc::RLIMIT_CORE, &cur);
            Ok(())
        });
    }
}

/// `cmd` set up to run under the fence allocator (or without it), its reports symbolized by
/// the `tracekit` of this build.
fn command(
    prog: impl AsRef<std::ffi::OsStr>,
    args: &[&str],
    envs: &[(&str, &str)],
    fenced: bool,
) -> Command {
    let mut cmd = Command::new(prog);
    cmd.args(args);
    // Options of the environment the tests run in must not change what is checked.
    for (k, _) in std::env::vars() {
        if k.starts_with("EF_") || k.starts_with("TRACEKIT_") {
            cmd.env_remove(k);
        }
    }
    cmd.env("TRACEKIT_SEGV_SYMBOLIZER", bin("tracekit"));
    // A loaded machine may be slow to symbolize; the tests are about content, not speed.
    cmd.env("TRACEKIT_SEGV_TIMEOUT_MS", "20000");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    if fenced {
        cmd.env("LD_PRELOAD", preload("preload-efence"));
    } else {
        cmd.env_remove("LD_PRELOAD");
    }
    no_core_files(&mut cmd);
    cmd
}

fn run(
    prog: impl AsRef<std::ffi::OsStr>,
    args: &[&str],
    envs: &[(&str, &str)],
    fenced: bool,
) -> Output {
    run_limited(
        &mut command(prog, args, envs, fenced),
        Duration::from_secs(120),
    )
}

/// The line of `examples/c/<file>` that carries the marker comment `/* <marker> */`.
fn marked_line(file: &str, marker: &str) -> usize {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/c")
        .join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let needle = format!("/* {marker} */");
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains(&needle));
    let (i, _) = lines
        .next()
        .unwrap_or_else(|| panic!("{file} has no line marked {needle}"));
    assert!(lines.next().is_none(), "{file} marks {needle} twice");
    i + 1
}

/// A fence report cut into its parts.
#[derive(Debug)]
struct Report {
    text: String,
    /// The `diagnosis:` line.
    diagnosis: String,
    /// The backtrace from the faulting instruction (or from the `free` that found the misuse).
    fault: String,
    /// "the block was allocated by ..." and its frames ("" when absent).
    allocated: String,
    /// "the block was freed by ..." and its frames ("" when absent).
    freed: String,
}

impl Report {
    fn parse(text: &str) -> Report {
        assert_eq!(
            text.matches("*** tracekit segv: ").count(),
            1,
            "expected exactly one report:\n{text}"
        );
        let diagnosis = text
            .lines()
            .find(|l| l.starts_with("diagnosis: "))
            .unwrap_or_else(|| panic!("no diagnosis:\n{text}"))
            .to_owned();
        // The sections, in the order the handler writes them.
        let section = |start: &str, ends: &[&str]| -> String {
            let Some(from) = text.find(start) else {
                return String::new();
            };
            let rest = &text[from..];
            let to = ends
                .iter()
                .filter_map(|e| rest[start.len()..].find(e).map(|i| i + start.len()))
                .min()
                .unwrap_or(rest.len());
            rest[..to].to_owned()
        };
        let tail = ["fault address ", "loaded modules:", "*** end of"];
        let fault = section(
            "backtrace (from the faulting instruction):",
            &[&["the block was "][..], &tail[..]].concat(),
        );
        let allocated = section(
            "the block was allocated by ",
            &[&["the block was freed by "][..], &tail[..]].concat(),
        );
        let freed = section("the block was freed by ", &tail);
        Report {
            text: text.to_owned(),
            diagnosis,
            fault,
            allocated,
            freed,
        }
    }

    /// The diagnosis line starts with `prefix` and contains each of `parts`.
    fn says(&self, prefix: &str, parts: &[&str]) {
        assert!(
            self.diagnosis.starts_with(prefix),
            "diagnosis is not {prefix:?}:\n{}",
            self.text
        );
        for p in parts {
            assert!(
                self.diagnosis.contains(p),
                "diagnosis lacks {p:?}:\n{}",
                self.text
            );
        }
    }
}

/// `section` names `file:line` in a frame (one of the first three: the program's own frame,
/// not one deep in `main`'s callers).
fn names_line(section: &str, what: &str, file: &str, line: usize, report: &str) {
    let want = format!("{file}:{line} ");
    let frames: Vec<&str> = section
        .lines()
        .filter(|l| l.trim_start().starts_with('#'))
        .take(3)
        .collect();
    assert!(
        frames.iter().any(|f| f.contains(&want)),
        "the {what} stack does not name {file}:{line} in its first frames:\n-----\n{report}\n-----"
    );
}

/// What a bug case must report, beyond its diagnosis.
struct Case<'a> {
    file: &'a str,
    name: &'a str,
    /// The signal the process dies of.
    signal: i32,
    /// The free site is named (use after free, double free, a stale pointer after realloc).
    freed: bool,
    /// The overflow is found when the block is freed (a canary): the faulting stack is the
    /// free's (`F:` marker), not the bad write's.
    at_free: bool,
}

/// Runs the victim's case under the fence allocator and checks the parts every report has:
/// one report, the signal, the bad access's line in the faulting stack, the allocation's line
/// in the allocation stack, the free's line in the free stack.
fn check_case(case: &Case<'_>, prog: &str, envs: &[(&str, &str)]) -> Report {
    let out = run(example(prog), &[case.name], envs, true);
    let r = Report::parse(&stderr(&out));
    assert_eq!(
        out.status.signal(),
        Some(case.signal),
        "{prog} {} died of {:?}:\n{}",
        case.name,
        out.status,
        r.text
    );
    assert!(
        !stdout(&out).contains("survived"),
        "{prog} {} ran past the bug:\n{}",
        case.name,
        r.text
    );
    let site = if case.at_free { "F" } else { "X" };
    let x = marked_line(case.file, &format!("{site}:{}", case.name));
    names_line(&r.fault, "faulting", case.file, x, &r.text);
    let a = marked_line(case.file, &format!("A:{}", case.name));
    names_line(&r.allocated, "allocation", case.file, a, &r.text);
    if case.freed {
        let f = marked_line(case.file, &format!("F:{}", case.name));
        names_line(&r.freed, "free", case.file, f, &r.text);
        assert!(r.freed.contains("(free) at:"), "{}", r.text);
    } else {
        assert!(
            r.freed.is_empty(),
            "a free stack for a live block:\n{}",
            r.text
        );
    }
    assert!(
        !r.text.contains("preload_efence::") && !r.text.contains("tracekit_crash::"),
        "the allocator's or handler's frames leaked into the report:\n{}",
        r.text
    );
    r
}

fn bug(name: &str, signal: i32, freed: bool, envs: &[(&str, &str)]) -> Report {
    let case = Case {
        file: "efence_bugs.c",
        name,
        signal,
        freed,
        at_free: false,
    };
    check_case(&case, "efence_bugs", envs)
}

/// A bug that faults at once (SIGSEGV) with diagnosis "heap-buffer-`kind`: `access` at ADDR
/// is `offset` the `size`-byte block".
fn faults(
    name: &str,
    kind: &str,
    access: &str,
    offset: &str,
    size: u64,
    envs: &[(&str, &str)],
) -> Report {
    let r = bug(name, SEGV, false, envs);
    r.says(
        &format!("diagnosis: heap-buffer-{kind}: {access} at "),
        &[&format!("is {offset} the {size}-byte block")],
    );
    r
}

/// A bug the canary finds at `free` (SIGABRT, the free's stack first).
fn found_at_free(name: &str) -> Report {
    let case = Case {
        file: "efence_bugs.c",
        name,
        signal: ABRT,
        freed: false,
        at_free: true,
    };
    check_case(&case, "efence_bugs", &[])
}

const SEGV: i32 = libc::SIGSEGV;
const ABRT: i32 = libc::SIGABRT;

#[test]
fn the_victims_survive_without_the_allocator() {
    // What the allocator reports is not what glibc finds on its own: run without it, these
    // bugs go unnoticed (the double and invalid frees glibc does catch are left out).
    for case in [
        "overflow13_write",
        "overflow16_read",
        "uaf_read",
        "realloc_stale",
    ] {
        let out = run(example("efence_bugs"), &[case], &[], false);
        assert_eq!(out.status.code(), Some(0), "{case}: {}", stderr(&out));
        assert!(stdout(&out).contains("survived"), "{case}");
    }
}

// ---- overflows ----

#[test]
fn write_one_byte_past_malloc_13_is_found_at_free_by_the_canary() {
    let r = found_at_free("overflow13_write");
    r.says(
        "diagnosis: heap-buffer-overflow: 1 byte(s) past the end of the 13-byte block",
        &["(found at free)"],
    );
}

#[test]
fn write_one_byte_past_malloc_13_faults_at_once_with_alignment_1() {
    faults(
        "overflow13_write",
        "overflow",
        "write",
        "0 bytes after",
        13,
        &[("EF_ALIGNMENT", "1")],
    );
}

#[test]
fn read_one_byte_past_malloc_13_faults_with_alignment_1() {
    faults(
        "overflow13_read",
        "overflow",
        "read",
        "0 bytes after",
        13,
        &[("EF_ALIGNMENT", "1")],
    );
}

#[test]
fn read_one_byte_past_malloc_13_is_unseen_in_the_default_alignment() {
    // The documented limit (see the module's doc): the read lands in the slack, changes no
    // canary, and the program runs on. If this starts to fail, the doc is out of date.
    let out = run(example("efence_bugs"), &["overflow13_read"], &[], true);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("survived"));
}

/// True when this kernel has guard markers (`MADV_GUARD_INSTALL`, Linux 6.13+), which the
/// allocator then uses for guard and freed pages: a fault there is `SEGV_MAPERR` (no mapping
/// of their own), with `mprotect`ed pages `SEGV_ACCERR`.
fn guard_markers() -> bool {
    const MADV_GUARD_INSTALL: i32 = 102;
    // SAFETY: a fresh private page, unmapped below; no memory of anyone else's is touched.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            4096,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    assert_ne!(p, libc::MAP_FAILED);
    // SAFETY: the page just mapped.
    let ok = unsafe { libc::madvise(p, 4096, MADV_GUARD_INSTALL) } == 0;
    // SAFETY: as above.
    unsafe { libc::munmap(p, 4096) };
    ok
}

#[test]
fn write_past_malloc_16_faults() {
    let write = |envs| {
        faults(
            "overflow16_write",
            "overflow",
            "write",
            "0 bytes after",
            16,
            envs,
        )
    };
    let r = write(&[]);
    let code = if guard_markers() {
        "SEGV_MAPERR"
    } else {
        "SEGV_ACCERR"
    };
    assert!(r.text.contains(code), "{}", r.text);
    // Without markers (forced), the guard is an mprotected page of its own.
    let r = write(&[("TRACEKIT_EFENCE_GUARD_MARKERS", "0")]);
    assert!(r.text.contains("SEGV_ACCERR"), "{}", r.text);
}

#[test]
fn read_past_malloc_16_faults() {
    faults(
        "overflow16_read",
        "overflow",
        "read",
        "0 bytes after",
        16,
        &[],
    );
}

#[test]
fn write_past_memalign_64_100_is_found_at_free() {
    let r = found_at_free("memalign_write");
    r.says(
        "diagnosis: heap-buffer-overflow: 1 byte(s) past the end of the 100-byte block",
        &["(found at free)"],
    );
    assert!(r.allocated.contains("(memalign) at:"), "{}", r.text);
}

#[test]
fn read_past_memalign_64_128_faults() {
    let r = faults(
        "memalign128_read",
        "overflow",
        "read",
        "0 bytes after",
        128,
        &[],
    );
    // The block keeps the alignment asked for.
    let start = r
        .diagnosis
        .split('[')
        .nth(1)
        .and_then(|s| s.split(',').next())
        .and_then(|s| u64::from_str_radix(s.trim_start_matches("0x"), 16).ok())
        .unwrap_or_else(|| panic!("no block range: {}", r.diagnosis));
    assert_eq!(start % 64, 0, "{}", r.diagnosis);
}

#[test]
fn strcpy_overflow_inside_libc_faults_in_strcpy() {
    let r = faults(
        "strcpy_overflow",
        "overflow",
        "write",
        "0 bytes after",
        16,
        &[],
    );
    // The faulting frame is libc's strcpy, called from the victim's line.
    let first = r
        .fault
        .lines()
        .find(|l| l.trim_start().starts_with("#0 "))
        .expect("frame #0");
    assert!(first.contains("strcpy"), "{}", r.text);
}

#[test]
fn overflow_in_a_second_thread_names_that_thread() {
    let r = faults("thread", "overflow", "write", "0 bytes after", 64, &[]);
    // The block was allocated by the thread that overflowed it, not by the main thread.
    let field = |name: &str| {
        r.text
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|l| l.split_whitespace().next())
            .unwrap_or_else(|| panic!("no {name} line:\n{}", r.text))
            .to_owned()
    };
    let (thread, pid) = (field("thread:"), field("process:"));
    assert_ne!(thread, pid, "{}", r.text);
    assert!(
        r.allocated.starts_with(&format!(
            "the block was allocated by thread {thread} (malloc)"
        )),
        "{}",
        r.text
    );
}

// ---- underflows ----

#[test]
fn underflow_write_faults_with_protect_below() {
    faults(
        "underflow_write",
        "underflow",
        "write",
        "1 bytes before",
        32,
        &[("EF_PROTECT_BELOW", "1")],
    );
}

#[test]
fn underflow_write_is_found_at_free_by_default() {
    // By default the guard page is above the block; the 16 bytes in front of it hold a
    // canary, so a small underflowing write is found when the block is freed.
    let r = found_at_free("underflow_write");
    r.says(
        "diagnosis: heap-buffer-underflow: ",
        &["is 1 bytes before the 32-byte block"],
    );
}

#[test]
fn underflow_read_faults_with_protect_below() {
    faults(
        "underflow_read",
        "underflow",
        "read",
        "1 bytes before",
        32,
        &[("EF_PROTECT_BELOW", "1")],
    );
}

// ---- use after free ----

#[test]
fn read_after_free_faults_and_names_the_free() {
    let r = bug("uaf_read", SEGV, true, &[]);
    r.says(
        "diagnosis: heap-use-after-free: read at ",
        &["is 8 bytes inside the 40-byte block", "freed by free"],
    );
}

#[test]
fn write_after_free_faults_and_names_the_free() {
    let r = bug("uaf_write", SEGV, true, &[]);
    r.says(
        "diagnosis: heap-use-after-free: write at ",
        &["is 20 bytes inside the 40-byte block", "freed by free"],
    );
}

#[test]
fn use_after_free_faults_the_same_with_freed_pages_dropped_by_guard_markers() {
    // By default a freed one-page block's page is moved away with a userfaultfd (where the
    // kernel allows it); TRACEKIT_EFENCE_UFFD=0 drops it with a guard marker instead.
    let envs = [("TRACEKIT_EFENCE_UFFD", "0")];
    let r = bug("uaf_read", SEGV, true, &envs);
    r.says(
        "diagnosis: heap-use-after-free: read at ",
        &["is 8 bytes inside the 40-byte block", "freed by free"],
    );
    let r = bug("uaf_write", SEGV, true, &envs);
    r.says(
        "diagnosis: heap-use-after-free: write at ",
        &["is 20 bytes inside the 40-byte block", "freed by free"],
    );
}

#[test]
fn a_hot_sites_remembered_stacks_do_not_stand_in_for_another_callers() {
    // The allocator remembers the stack of a hot site and reuses it while the return
    // addresses on the stack are unchanged: the same helpers called from another line must
    // get that line, for the allocation and for the free.
    let r = bug("uaf_hot", SEGV, true, &[]);
    r.says(
        "diagnosis: heap-use-after-free: read at ",
        &["is 8 bytes inside the 40-byte block", "freed by free"],
    );
}

#[test]
fn stale_pointer_after_realloc_moved_the_block() {
    // realloc's free of the old block is the free named.
    let r = bug("realloc_stale", SEGV, true, &[]);
    r.says(
        "diagnosis: heap-use-after-free: read at ",
        &["is 0 bytes inside the 16-byte block"],
    );
}

// ---- bad frees ----

#[test]
fn double_free_aborts_and_names_both_frees() {
    let r = bug("double_free", ABRT, true, &[]);
    r.says(
        "diagnosis: double-free: the 24-byte block",
        &["was already freed (by free)"],
    );
}

#[test]
fn free_of_a_stack_pointer_aborts() {
    let case = Case {
        file: "efence_bugs.c",
        name: "free_stack",
        signal: ABRT,
        freed: false,
        at_free: false,
    };
    // No allocation to name: check the rest by hand.
    let out = run(example("efence_bugs"), &[case.name], &[], true);
    assert_eq!(out.status.signal(), Some(ABRT));
    let r = Report::parse(&stderr(&out));
    r.says(
        "diagnosis: invalid-free: free of 0x",
        &["which no allocation returned"],
    );
    let x = marked_line(case.file, "X:free_stack");
    names_line(&r.fault, "faulting", case.file, x, &r.text);
    assert!(r.allocated.is_empty(), "{}", r.text);
}

#[test]
fn free_of_a_pointer_into_a_block_aborts() {
    let r = bug("free_middle", ABRT, false, &[]);
    r.says(
        "diagnosis: invalid-free: free of 0x",
        &["8 bytes inside the 48-byte block"],
    );
}

#[test]
fn array_new_released_by_delete_is_a_mismatch() {
    let case = Case {
        file: "efence_mismatch.cpp",
        name: "array_delete",
        signal: ABRT,
        freed: false,
        at_free: false,
    };
    let r = check_case(&case, "efence_mismatch", &[]);
    r.says(
        "diagnosis: alloc-dealloc-mismatch: the 80-byte block",
        &["allocated by operator new[] and freed by operator delete"],
    );
    assert!(r.allocated.contains("(operator new[]) at:"), "{}", r.text);
}

#[test]
fn malloc_released_by_delete_is_a_mismatch() {
    let case = Case {
        file: "efence_mismatch.cpp",
        name: "malloc_delete",
        signal: ABRT,
        freed: false,
        at_free: false,
    };
    let r = check_case(&case, "efence_mismatch", &[]);
    r.says(
        "diagnosis: alloc-dealloc-mismatch: the 8-byte block",
        &["allocated by malloc and freed by operator delete"],
    );
}

// ---- clean programs run unchanged ----

/// Runs `prog args` with and without the allocator (in `dir` when given, with `envs`) and
/// checks that stdout and the exit status are the same; returns the fenced run.
fn unchanged(prog: &str, args: &[&str], dir: Option<&Path>, envs: &[(&str, &str)]) -> Output {
    let go = |fenced: bool| {
        let mut cmd = command(prog, args, envs, fenced);
        if let Some(d) = dir {
            cmd.current_dir(d);
        }
        run_limited(&mut cmd, Duration::from_secs(300))
    };
    let native = go(false);
    let fenced = go(true);
    assert_eq!(
        (fenced.status.code(), fenced.status.signal()),
        (native.status.code(), native.status.signal()),
        "{prog} {args:?} exits differently under the allocator:\n{}",
        stderr(&fenced)
    );
    assert_eq!(
        stdout(&fenced),
        stdout(&native),
        "{prog} {args:?} prints differently under the allocator:\n{}",
        stderr(&fenced)
    );
    assert!(
        !stderr(&fenced).contains("*** tracekit segv"),
        "{prog} {args:?} was reported:\n{}",
        stderr(&fenced)
    );
    fenced
}

fn example_str(name: &str) -> String {
    example(name).to_str().expect("UTF-8 path").to_owned()
}

/// Runs the example `name` both ways ([`unchanged`]): it must succeed and print each of
/// `lines`. Returns the fenced run.
fn clean_example(name: &str, args: &[&str], envs: &[(&str, &str)], lines: &[&str]) -> Output {
    let out = unchanged(&example_str(name), args, None, envs);
    assert!(out.status.success(), "{name}: {}", stderr(&out));
    let text = stdout(&out);
    for l in lines {
        assert!(
            text.lines().any(|t| t == *l),
            "{name} did not print {l:?}:\n{text}"
        );
    }
    out
}

#[test]
fn python3_runs_unchanged() {
    tracekit_e2e::require_tool!("python3");
    let script = "import json, re, collections\n\
        d = {str(i): [i] * (i % 7) for i in range(20000)}\n\
        s = json.dumps(d)\n\
        c = collections.Counter(re.findall(r'[0-9]+', s))\n\
        print(len(s), sum(c.values()), c.most_common(1))";
    unchanged("python3", &["-c", script], None, &[]);
}

#[test]
fn perl_runs_unchanged() {
    tracekit_e2e::require_tool!("perl");
    let script = "my %h; $h{$_} = [1 .. $_ % 9] for 1 .. 20000; \
        my @k = sort { $a <=> $b } keys %h; my $s = join ',', @k; \
        print length($s), ' ', scalar(@{$h{8}}), qq(\\n);";
    unchanged("perl", &["-e", script], None, &[]);
}

#[test]
fn sort_runs_unchanged() {
    tracekit_e2e::require_tool!("sort");
    let dir = tempdir();
    let lines: String = (0..20000u64)
        .map(|i| format!("{}\n", i.wrapping_mul(2_654_435_761) % 100_003))
        .collect();
    std::fs::write(dir.path().join("in.txt"), lines).expect("write input");
    unchanged("sort", &["-n", "in.txt"], Some(dir.path()), &[]);
}

#[test]
fn git_runs_unchanged() {
    tracekit_e2e::require_tool!("git");
    let dir = tempdir();
    let git = |args: &[&str]| {
        let out = run_limited(
            Command::new("git")
                .args(args)
                .current_dir(dir.path())
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .env("HOME", dir.path()),
            Duration::from_secs(60),
        );
        assert!(out.status.success(), "git {args:?}: {}", stderr(&out));
    };
    git(&["init", "-q"]);
    std::fs::write(dir.path().join("a.txt"), "one\ntwo\n").expect("write");
    git(&["add", "a.txt"]);
    git(&[
        "-c",
        "user.name=T",
        "-c",
        "user.email=t@example.com",
        "commit",
        "-qm",
        "first",
    ]);
    let envs = [
        ("HOME", dir.path().to_str().unwrap()),
        ("GIT_CONFIG_NOSYSTEM", "1"),
    ];
    unchanged("git", &["--version"], Some(dir.path()), &envs);
    unchanged(
        "git",
        &["log", "--format=%s %an", "--stat"],
        Some(dir.path()),
        &envs,
    );
}

#[test]
fn gcc_compiles_unchanged() {
    tracekit_e2e::require_tool!("gcc");
    let dir = tempdir();
    std::fs::write(
        dir.path().join("hello.c"),
        "#include <stdio.h>\n#include <stdlib.h>\n\
         int main(void) { char *p = malloc(6); snprintf(p, 6, \"hello\"); puts(p); free(p); return 0; }\n",
    )
    .expect("write source");
    // The compiled program's output is what is compared (the compiler prints nothing).
    let fenced = unchanged(
        "gcc",
        &["-O1", "-o", "hello", "hello.c"],
        Some(dir.path()),
        &[],
    );
    assert!(fenced.status.success(), "{}", stderr(&fenced));
    let out = run_limited(
        Command::new(dir.path().join("hello")).current_dir(dir.path()),
        Duration::from_secs(60),
    );
    assert_eq!(stdout(&out), "hello\n");
}

#[test]
fn cxx_aligned_new_runs_unchanged() {
    clean_example(
        "efence_aligned_new",
        &[],
        &[],
        &["aligned new: 1000 lines, checksum 129357"],
    );
}

#[test]
fn threaded_program_runs_unchanged() {
    clean_example("efence_threads", &[], &[], &[]);
}

#[test]
fn two_hundred_thousand_live_blocks_run_and_the_spill_is_said_once() {
    // With guard pages as mappings of their own (forced here; the only way on kernels before
    // 6.13), vm.max_map_count runs out: blocks past it get canaries, said once.
    let many = |envs| {
        let out = clean_example(
            "efence_many",
            &["200000"],
            envs,
            &["many: 200000 live blocks, checksum 50987712"],
        );
        stderr(&out)
            .matches("as many as vm.max_map_count allows")
            .count()
    };
    assert_eq!(
        many(&[("TRACEKIT_EFENCE_GUARD_MARKERS", "0")]),
        1,
        "the spill into dense slots is to be said once"
    );
    // Guard markers cost no mapping: every one of the 200k blocks is guarded.
    if guard_markers() {
        assert_eq!(many(&[]), 0, "with guard markers nothing spills");
    }
}

#[test]
fn churn_among_thirty_thousand_live_blocks_keeps_allocating() {
    // Regression: freed slots' mappings did not all merge back, so with 30k blocks live and
    // random frees the kernel refused an mprotect before the budget (counted in live blocks)
    // ran out, and malloc returned NULL. The budget now counts slots handed out.
    let out = run(
        example("efence_bench"),
        &["live", "30000", "20000"],
        &[],
        true,
    );
    assert!(out.status.success(), "{:?}\n{}", out.status, stderr(&out));
    assert!(stdout(&out).contains("ns_per_op "), "{}", stdout(&out));
}

#[test]
fn sampled_mode_runs_programs_unchanged() {
    let sample = [("TRACEKIT_EFENCE_SAMPLE", "100")];
    clean_example("efence_threads", &[], &sample, &[]);
    clean_example("efence_many", &["50000"], &sample, &[]);
    tracekit_e2e::require_tool!("python3");
    unchanged(
        "python3",
        &["-c", "print(sum(len(str(i) * 3) for i in range(100000)))"],
        None,
        &sample,
    );
}

// ---- bad input ----

#[test]
fn unknown_or_malformed_ef_values_are_said_and_the_program_runs() {
    let envs = [
        ("EF_ALIGNMENT", "abc"),
        ("EF_PROTECT_BELOW", "yes please"),
        ("EF_FILL", "300"),
        ("EF_TYPO", "1"),
        ("TRACEKIT_EFENCE_QUARANTINE", "lots"),
    ];
    let out = clean_example("efence_threads", &[], &envs, &[]);
    let err = stderr(&out);
    for said in [
        "tracekit efence: EF_ALIGNMENT=abc: not a number (using 16)",
        "tracekit efence: EF_PROTECT_BELOW=yes please: expected 0 or 1 (using 0)",
        "tracekit efence: EF_FILL=300: expected a byte value 0-255 or -1 (not filling)",
        "tracekit efence: unknown variable EF_TYPO (ignored)",
        "tracekit efence: TRACEKIT_EFENCE_QUARANTINE=lots: not a number",
    ] {
        assert_eq!(
            err.matches(said).count(),
            1,
            "{said:?} said not once:\n{err}"
        );
    }
}

#[test]
fn nonsense_sizes_fail_as_glibc_fails_them() {
    // malloc(SIZE_MAX) and friends: NULL with ENOMEM, not a crash; the same lines as glibc.
    clean_example(
        "efence_badinput",
        &[],
        &[],
        &[
            "malloc(SIZE_MAX): NULL errno=ENOMEM",
            "calloc(SIZE_MAX/2, 3): NULL errno=ENOMEM",
            "realloc(p, SIZE_MAX): NULL errno=ENOMEM",
            "posix_memalign(align 3): EINVAL",
            "aligned_alloc(48, 96): non-NULL errno=0",
        ],
    );
}

#[test]
fn fork_then_both_sides_allocate_and_free() {
    clean_example(
        "efence_fork",
        &[],
        &[],
        &[
            "child: allocated before fork, churn 97000",
            "parent: allocated before fork, churn 97000, child status 0",
        ],
    );
}

/// True when this kernel lets an unprivileged-style process move pages with a userfaultfd
/// (`UFFD_USER_MODE_ONLY`, `UFFD_FEATURE_SIGBUS` and `UFFD_FEATURE_MOVE`, Linux 6.8+), which
/// the allocator then uses for freed one-page blocks (with guard markers).
fn userfaultfd_moves() -> bool {
    // SAFETY: no memory is passed.
    let fd = unsafe { libc::syscall(libc::SYS_userfaultfd, libc::O_CLOEXEC | 1) } as i32;
    if fd < 0 {
        return false;
    }
    let mut api = [0xAAu64, (1 << 7) | (1 << 16), 0];
    // SAFETY: UFFDIO_API reads and writes the three words of `api`.
    let ok = unsafe { libc::ioctl(fd, 0xc018_aa3f, api.as_mut_ptr()) } == 0;
    // SAFETY: ours.
    unsafe { libc::close(fd) };
    ok
}

#[test]
fn use_after_free_in_a_forked_child_faults_and_the_parent_goes_on() {
    // The child re-registers its memory with a userfaultfd of its own (the parent's
    // descriptor, which it inherits, works on the parent's memory: with it the child's frees
    // moved the parent's pages and the parent's block read by the last line faulted).
    let out = run(example("efence_fork"), &["uaf"], &[], true);
    let (out_text, err) = (stdout(&out), stderr(&out));
    assert!(out.status.success(), "{:?}\n{err}", out.status);
    assert!(
        out_text.contains("parent: allocated before fork, churn 97000, child signal 11"),
        "{out_text}\n{err}"
    );
    assert!(!out_text.contains("child: read after free"), "{out_text}");
    let r = Report::parse(&err);
    r.says(
        "diagnosis: heap-use-after-free: read at ",
        &["is 8 bytes inside the 40-byte block", "freed by free"],
    );
    names_line(
        &r.fault,
        "faulting",
        "efence_fork.c",
        marked_line("efence_fork.c", "X:child_uaf"),
        &r.text,
    );
    if guard_markers() && userfaultfd_moves() {
        assert!(
            out_text.contains("child: 1 userfaultfd"),
            "the child has no userfaultfd of its own:\n{out_text}"
        );
    }
}

#[test]
fn a_program_closing_every_descriptor_keeps_its_use_after_free_caught() {
    // The userfaultfd goes with the descriptor (close_range from 3 up): the allocator notices
    // at its next use and goes on with guard markers; blocks stay guarded.
    let out = run(example("efence_fork"), &["closefds"], &[], true);
    let err = stderr(&out);
    assert_eq!(out.status.signal(), Some(SEGV), "{:?}\n{err}", out.status);
    assert!(
        stdout(&out).contains("churn 970, closed, churn 97000"),
        "{}",
        stdout(&out)
    );
    assert!(
        !stdout(&out).contains("read after free"),
        "{}",
        stdout(&out)
    );
    let r = Report::parse(&err);
    r.says(
        "diagnosis: heap-use-after-free: read at ",
        &["is 8 bytes inside the 40-byte block", "freed by free"],
    );
    names_line(
        &r.fault,
        "faulting",
        "efence_fork.c",
        marked_line("efence_fork.c", "X:closefds_uaf"),
        &r.text,
    );
}

#[test]
fn fork_then_exec_runs_the_new_program() {
    clean_example("efence_fork", &["exec"], &[], &["child exec'd echo"]);
}

#[test]
fn a_program_with_its_own_segv_handler_gets_the_fault() {
    // The program's handler, installed after ours, runs on the overflow and decides how the
    // program ends (it exits with 3); without the allocator the overflow goes unnoticed.
    let native = run(example("efence_own_handler"), &[], &[], false);
    assert_eq!(native.status.code(), Some(0));
    let fenced = run(example("efence_own_handler"), &[], &[], true);
    let err = stderr(&fenced);
    assert_eq!(fenced.status.code(), Some(3), "{err}");
    assert!(err.contains("efence_own_handler: own handler ran"), "{err}");
}

// ---- the event log ----

/// `tracekit efence --log LOG`: the fault goes into the event log as a `Fence` event, and
/// `tracekit report LOG` lists it with the access's, the allocation's and the free's lines.
/// Also the regression test of the access's first frame, which the report resolved as a
/// return address: a fault on the first instruction of a line was named by the line before
/// (the `malloc` line of `overflow16_write`).
/// The `EF_*` and `TRACEKIT_EFENCE_*` names the fence library's source (not its unit tests)
/// spells as string literals: the variables it reads.
fn variables_the_library_reads() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../preload-efence/src");
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("preload-efence/src") {
        let path = entry.expect("dir entry").path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("source");
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        for prefix in ["\"EF_", "\"TRACEKIT_EFENCE_"] {
            for (at, _) in code.match_indices(prefix) {
                let name: String = code[at + 1..]
                    .chars()
                    .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
                    .collect();
                // `b"EF_"` and the like are prefixes the parser matches, not variables.
                if !name.ends_with('_') && !names.contains(&name) {
                    names.push(name);
                }
            }
        }
    }
    names.sort();
    names
}

#[test]
fn help_and_readme_list_every_variable_the_library_reads() {
    let names = variables_the_library_reads();
    // The scan finds Electric Fence's five and ours (the test cannot pass on finding none).
    for known in [
        "EF_ALIGNMENT",
        "EF_FILL",
        "TRACEKIT_EFENCE_SAMPLE",
        "TRACEKIT_EFENCE_UFFD",
    ] {
        assert!(
            names.iter().any(|n| n == known),
            "{known} not found in {names:?}"
        );
    }
    let out = run_limited(
        Command::new(bin("tracekit")).args(["efence", "--help"]),
        Duration::from_secs(60),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let help = stdout(&out);
    let readme = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../preload-efence/README.md"),
    )
    .expect("README");
    for name in &names {
        assert!(
            help.contains(name.as_str()),
            "`tracekit efence --help` does not document {name}:\n{help}"
        );
        assert!(
            readme.contains(name.as_str()),
            "preload-efence/README.md does not document {name}"
        );
    }
}

#[test]
fn tracekit_report_lists_the_fence_findings_of_the_log() {
    for (case, kind, freed) in [
        ("overflow16_write", "heap-buffer-overflow", false),
        ("uaf_write", "heap-use-after-free", true),
    ] {
        let dir = tempdir();
        let log = dir.path().join("fence.tklog");
        let mut cmd = Command::new(bin("tracekit"));
        // As in `command`: slow symbolizing on a loaded machine must not cut the report.
        cmd.env("TRACEKIT_SEGV_SYMBOLIZER", bin("tracekit"))
            .env("TRACEKIT_SEGV_TIMEOUT_MS", "20000")
            .arg("efence")
            .arg("--preload")
            .arg(preload("preload-efence"))
            .arg("--log")
            .arg(&log)
            .arg("--")
            .arg(example("efence_bugs"))
            .arg(case);
        no_core_files(&mut cmd);
        let out = run_limited(&mut cmd, Duration::from_secs(120));
        assert_eq!(out.status.signal(), Some(SEGV), "{}", stderr(&out));
        let report = run_limited(
            Command::new(bin("tracekit")).arg("report").arg(&log),
            Duration::from_secs(120),
        );
        let text = stdout(&report);
        let part = text
            .split("Heap errors caught by the fence allocator: 1\n")
            .nth(1)
            .unwrap_or_else(|| {
                panic!(
                    "{case}: no fence finding in the report:\n{text}\n{}\nthe run:\n{}",
                    stderr(&report),
                    stderr(&out)
                )
            });
        assert!(
            part.lines().next().is_some_and(|l| l.contains(kind)),
            "{case}:\n{part}"
        );
        let line = |marker: &str| {
            format!(
                "(efence_bugs.c:{})",
                marked_line("efence_bugs.c", &format!("{marker}:{case}"))
            )
        };
        let access = part.lines().nth(1).unwrap_or("");
        assert!(access.contains(&line("X")), "{case}: access frame:\n{part}");
        let allocated = part
            .split("the block was allocated:\n")
            .nth(1)
            .unwrap_or_else(|| panic!("{case}: no allocation stack:\n{part}"));
        assert!(
            allocated
                .lines()
                .next()
                .is_some_and(|l| l.contains(&line("A"))),
            "{case}:\n{part}"
        );
        let freed_part = part.split("the block was freed:\n").nth(1);
        assert_eq!(freed_part.is_some(), freed, "{case}:\n{part}");
        if let Some(f) = freed_part {
            assert!(
                f.lines().next().is_some_and(|l| l.contains(&line("F"))),
                "{case}:\n{part}"
            );
        }
    }
}
