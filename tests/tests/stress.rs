//! The tools under load, at a size that fits in CI (bench/stress.sh runs the same at full
//! size): nothing lost, nothing deadlocked, counts exact against the programs' own.

use std::collections::BTreeMap;
use std::process::Command;

use serde_json::Value;
use tracekit_e2e::{bin, example, run_limited, stderr, stdout, tempdir};

/// `heap_stress`'s own lines: pid -> (ppid, posix_memalign calls, bytes).
fn own_counts(out: &str) -> BTreeMap<u64, (u64, u64, u64)> {
    out.lines()
        .map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            assert_eq!(w.len(), 8, "{l}");
            let n = |i: usize| w[i].parse::<u64>().unwrap();
            (n(1), (n(3), n(5), n(7)))
        })
        .collect()
}

/// Threads allocating while the main thread forks hundreds of children (some with
/// grandchildren, ending with exit or _exit) and another thread dlopens and dlcloses a
/// library that allocates: every process has its log, and each one's posix_memalign calls
/// and bytes are exactly what it counted itself.
#[test]
fn heap_tracker_under_threads_fork_storm_and_dlopen_churn_loses_nothing() {
    let dir = tempdir();
    let report = dir.path().join("r.json");
    let mut cmd = Command::new(bin("tracekit"));
    cmd.args(["heap", "-q", "--json", "--top", "1", "--report"])
        .arg(&report)
        .arg("-o")
        .arg(format!("{}/", dir.path().join("logs").display()))
        .arg("--")
        .arg(example("heap_stress"))
        .args(["6", "20000", "150", "40"])
        .arg(example("heap_dlib"));
    let out = run_limited(&mut cmd, std::time::Duration::from_secs(120));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // The report went to a file: stdout is the program's own.
    let own = own_counts(&stdout(&out));
    // The parent, 150 children, and a grandchild of every 8th child.
    assert_eq!(own.len(), 1 + 150 + 150_usize.div_ceil(8));
    let r: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let procs = r["processes"].as_array().unwrap();
    assert_eq!(procs.len(), own.len(), "{}", stderr(&out));
    for p in procs {
        let pid = p["pid"].as_u64().unwrap();
        let (ppid, calls, bytes) = own[&pid];
        assert_eq!(p["ppid"].as_u64(), Some(ppid), "pid {pid}");
        assert_eq!(
            p["calls"]["posix_memalign"].as_u64(),
            Some(calls),
            "pid {pid}"
        );
        let row = p["functions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["function"] == "posix_memalign")
            .unwrap_or_else(|| panic!("pid {pid}: no posix_memalign row"));
        assert_eq!(row["bytes"].as_u64(), Some(bytes), "pid {pid}");
        assert_eq!(
            p["exit"]["code"].as_i64(),
            Some(0),
            "pid {pid}: {}",
            p["exit"]
        );
    }
    assert!(
        r["damage"].as_array().unwrap().is_empty(),
        "{}",
        r["damage"]
    );
}

/// Processes killed by SIGKILL in the middle of a fork storm (the whole process group, at
/// three moments): the report reads every log left behind, and names every process whose
/// log holds its `Process` record (a child killed while it set its log up may leave a header
/// and nothing else). No log is damaged: one compressed at its process's exit replaces the
/// raw one atomically (a rename), so a kill in the middle leaves the raw log whole.
#[test]
fn a_fork_storm_killed_by_sigkill_leaves_readable_logs() {
    use std::os::unix::process::CommandExt;
    for after_ms in [150u64, 400, 900] {
        let dir = tempdir();
        let logs = dir.path().join("logs");
        std::fs::create_dir(&logs).unwrap();
        let mut cmd = Command::new(example("heap_stress"));
        cmd.args(["4", "200000", "400", "20"])
            .arg(example("heap_dlib"))
            .env("LD_PRELOAD", tracekit_e2e::preload("preload-heaptrack"))
            .env("TRACEKIT_LOG", logs.join("t.%p.tklog"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .process_group(0);
        let mut child = cmd.spawn().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(after_ms));
        // SAFETY: the child leads its own process group: this kills it and its children.
        unsafe { libc::kill(-(child.id() as i32), libc::SIGKILL) };
        let _ = child.wait();
        // Children reparented to init may still be dying: give the group a moment to go.
        std::thread::sleep(std::time::Duration::from_millis(100));
        let mut with_process = 0;
        let mut n = 0;
        for e in std::fs::read_dir(&logs).unwrap() {
            n += 1;
            let f = std::fs::File::open(e.unwrap().path()).unwrap();
            let Ok(mut r) = tracekit_log::Reader::new(f) else {
                continue;
            };
            while let Ok(Some(ev)) = r.next_event() {
                if matches!(ev, tracekit_log::Event::Process(_)) {
                    with_process += 1;
                    break;
                }
            }
        }
        assert!(with_process >= 1, "no process logged after {after_ms} ms");
        let out = run_limited(
            Command::new(bin("tracekit"))
                .args(["report", "--json"])
                .arg(&logs),
            std::time::Duration::from_secs(60),
        );
        let r: Value =
            serde_json::from_str(&stdout(&out)).unwrap_or_else(|e| panic!("{e}: {}", stderr(&out)));
        let procs = r["processes"].as_array().unwrap();
        assert_eq!(
            procs.len(),
            with_process,
            "after {after_ms} ms, of {n} logs"
        );
        assert!(
            r["damage"].as_array().unwrap().is_empty(),
            "after {after_ms} ms: {}",
            r["damage"]
        );
    }
}

/// `strace -c`'s rows: (syscall, calls, errors).
fn syscall_counts(table: &str) -> BTreeMap<String, (u64, u64)> {
    table
        .lines()
        .filter(|l| !l.starts_with('%') && !l.starts_with('-'))
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let name = (*f.last()?).to_owned();
            if name == "total" || f.len() < 5 {
                return None;
            }
            let errors = if f.len() == 6 { f[4].parse().ok()? } else { 0 };
            Some((name, (f[3].parse().ok()?, errors)))
        })
        .collect()
}

/// Runs `tracer -f ARGS -o OUT CMD...` in `dir`; returns what it wrote to OUT.
fn traced_by(
    tracer: &std::path::Path,
    args: &[&str],
    dir: &std::path::Path,
    cmd: &[&str],
) -> String {
    let out = dir.join("trace.out");
    let o = run_limited(
        Command::new(tracer)
            .arg("-f")
            .args(args)
            .arg("-o")
            .arg(&out)
            .args(cmd)
            .current_dir(dir),
        std::time::Duration::from_secs(300),
    );
    assert!(o.status.success(), "{}: {}", tracer.display(), stderr(&o));
    std::fs::read_to_string(&out).unwrap()
}

/// strace-rs `-f` against strace `-f` on hundreds of short processes (300 runs of `true` from
/// a shell loop: the whole `-c` table the same) and on a parallel build (`make -j4` of twelve
/// C files, some 130 processes: the same `execve` calls and failures, the same process
/// creations, and every process's exit reported, in both). make's own waiting (pselect6,
/// wait4, signals) depends on timing and differs between two runs of strace itself, so it is
/// not compared.
#[test]
fn strace_rs_follows_hundreds_of_processes_and_a_parallel_build_like_strace() {
    tracekit_e2e::require_tool!("strace");
    tracekit_e2e::require_tool!("make");
    tracekit_e2e::require_tool!("gcc");
    let strace = std::path::Path::new("strace");
    let ours = bin("strace-rs");
    let dir = tempdir();
    let shell = ["sh", "-c", "for i in $(seq 300); do /bin/true; done"];
    let a = syscall_counts(&traced_by(strace, &["-c"], dir.path(), &shell));
    let b = syscall_counts(&traced_by(&ours, &["-c"], dir.path(), &shell));
    assert_eq!(a, b, "300 processes");
    // The shell, seq and the 300 runs of true.
    assert_eq!(a["execve"], (302, 0));

    let proj = dir.path().join("proj");
    std::fs::create_dir(&proj).unwrap();
    let mut objs = String::new();
    for i in 1..=12 {
        std::fs::write(
            proj.join(format!("f{i}.c")),
            format!("int f{i}(int x) {{ return x * {i}; }}\n"),
        )
        .unwrap();
        objs += &format!(" f{i}.o");
    }
    std::fs::write(
        proj.join("Makefile"),
        format!("all: libp.a\nlibp.a:{objs}\n\tar rcs $@ $^\n%.o: %.c\n\tgcc -O1 -c $< -o $@\nclean:\n\trm -f *.o libp.a\n"),
    )
    .unwrap();
    let build = |tracer: &std::path::Path, args: &[&str]| {
        let clean = run_limited(
            Command::new("make").arg("clean").current_dir(&proj),
            std::time::Duration::from_secs(60),
        );
        assert!(clean.status.success());
        traced_by(tracer, args, &proj, &["make", "-j4"])
    };
    let a = syscall_counts(&build(strace, &["-c"]));
    let b = syscall_counts(&build(&ours, &["-c"]));
    let spawned = |t: &BTreeMap<String, (u64, u64)>| {
        ["fork", "vfork", "clone", "clone3"]
            .iter()
            .filter_map(|s| t.get(*s))
            .map(|c| c.0)
            .sum::<u64>()
    };
    assert_eq!(
        a.get("execve"),
        b.get("execve"),
        "strace: {a:?}\nstrace-rs: {b:?}"
    );
    assert_eq!(spawned(&a), spawned(&b), "strace: {a:?}\nstrace-rs: {b:?}");
    assert!(spawned(&a) >= 24, "{a:?}");
    let exits = |text: &str| {
        text.lines()
            .filter(|l| l.contains("+++ exited with "))
            .count()
    };
    let ea = exits(&build(strace, &[]));
    let eb = exits(&build(&ours, &[]));
    assert_eq!(ea, eb);
    assert_eq!(
        ea as u64,
        spawned(&a) + 1,
        "every process's exit is reported"
    );
}
