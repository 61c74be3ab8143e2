//! Issue 20, the heap tracker where a malloc hook cannot see: programs with an allocator of
//! their own (detected and warned about; counted through the `tracekit-alloc` wrapper and
//! `tracekit_heap.h`), and per-test figures.

use std::path::Path;
use std::process::Output;

use serde_json::Value;
use tracekit_e2e::{bin, example, run, stderr, stdout, tempdir, tracekit};

/// Runs `tracekit heap --json --top 0 EXTRA -- PROGRAM` in `dir`; the output and the report.
fn heap_json(dir: &Path, extra: &[&str], program: &Path) -> (Output, Value) {
    let out = run(tracekit()
        .current_dir(dir)
        .args(["heap", "--json", "--top", "0", "-o", "./"])
        .args(extra)
        .arg("--")
        .arg(program));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let r = serde_json::from_str(&stdout(&out))
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", stdout(&out), stderr(&out)));
    (out, r)
}

/// The program's own counts, from its line `sum=.. allocs=N bytes=B frees=F`.
fn own_count(text: &str, key: &str) -> u64 {
    let line = text
        .lines()
        .find(|l| l.starts_with("sum="))
        .unwrap_or_default();
    line.split_whitespace()
        .find_map(|w| w.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("no {key}= in {line:?}"))
        .parse()
        .unwrap()
}

fn custom_sites(r: &Value, what: &str) -> u64 {
    r["sites"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["function"] == "custom alloc")
        .map(|s| s[what].as_u64().unwrap())
        .sum()
}

#[test]
fn a_rust_program_on_mimalloc_is_detected_and_warned_about() {
    let dir = tempdir();
    let prog = bin("heap-mimalloc");
    let (out, r) = heap_json(dir.path(), &[], &prog);
    let p = &r["processes"][0];
    let unseen = p["unseen_allocators"]
        .as_array()
        .expect("unseen_allocators");
    assert_eq!(unseen.len(), 1, "{unseen:?}");
    assert_eq!(unseen[0]["allocator"], "mimalloc");
    assert_eq!(unseen[0]["module"], prog.to_str().unwrap());
    // None of its Rust allocations reached a hook: the program made over a thousand.
    assert!(own_count(&stderr(&out), "allocs") > 1000);
    assert!(p["valgrind"]["allocs"].as_u64().unwrap() < 50, "{p:#}");
    assert_eq!(p["calls"]["custom_alloc"], 0);

    // The text report says so in words, first.
    let text = run(tracekit()
        .current_dir(dir.path())
        .args(["report"])
        .args(logs(dir.path())));
    let first = stderr(&text) + &stdout(&text);
    assert!(
        first.starts_with("WARNING: process ")
            && first.contains("has its own allocator linked in (mimalloc")
            && first.contains("tracekit-alloc"),
        "{first}"
    );
}

fn logs(dir: &Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "tklog"))
        .collect()
}

#[test]
fn the_same_program_through_the_traced_wrapper_is_counted_exactly() {
    let dir = tempdir();
    let (out, r) = heap_json(dir.path(), &[], &bin("heap-mimalloc-traced"));
    let p = &r["processes"][0];
    let text = stderr(&out);
    // Every allocation and reallocation the program counted in its allocator, and their bytes.
    let allocs = own_count(&text, "allocs");
    assert_eq!(
        p["calls"]["custom_alloc"].as_u64().unwrap(),
        allocs,
        "{text}"
    );
    assert_eq!(custom_sites(&r, "calls"), allocs);
    assert_eq!(custom_sites(&r, "bytes"), own_count(&text, "bytes"));
    // Releases: the program's count when it printed, and a few more at exit.
    let frees = p["calls"]["custom_free"].as_u64().unwrap();
    assert!(frees >= own_count(&text, "frees"), "{frees}");
    // The 10 blocks of 5000 bytes it kept are leaks of the custom allocator.
    let leaked: u64 = r["sites"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["function"] == "custom alloc")
        .map(|s| s["leaked"]["bytes"].as_u64().unwrap())
        .sum();
    assert!(leaked >= 50_000, "{leaked}");
    // Still detected: the report says which allocations it sees.
    assert_eq!(p["unseen_allocators"][0]["allocator"], "mimalloc");
}

#[test]
fn a_c_pool_reports_its_blocks_through_the_header() {
    let dir = tempdir();
    let (_, r) = heap_json(dir.path(), &[], &example("heap_pool"));
    let p = &r["processes"][0];
    assert_eq!(p["calls"]["custom_alloc"], 13);
    assert_eq!(p["calls"]["custom_free"], 12);
    assert_eq!(custom_sites(&r, "bytes"), 10 * 100 + 3 * 200);
    // A C program on glibc's malloc: nothing to warn about.
    assert!(p.get("unseen_allocators").is_none(), "{p:#}");
    // Without the tracker, the weak references are null and the program runs as usual.
    let plain = run(&mut std::process::Command::new(example("heap_pool")));
    assert_eq!(plain.status.code(), Some(0));
    assert!(stdout(&plain).starts_with("pool: 13 blocks"));
}
