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
