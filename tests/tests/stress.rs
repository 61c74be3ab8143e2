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
