//! Issue 20, heap against RSS: a program's own anonymous mappings (who mapped what) and the
//! kernel's resident size, sampled, beside its heap; and massif's `--pages-as-heap` view.

use std::path::Path;

use serde_json::Value;
use tracekit_e2e::{example, run, stderr, stdout, tempdir, tracekit};

const MIB: u64 = 1024 * 1024;

/// The program's own figure `key=N` from its output line.
fn own(text: &str, key: &str) -> u64 {
    let line = text
        .lines()
        .find(|l| l.starts_with("mapped="))
        .unwrap_or_else(|| panic!("no mapped= line in {text:?}"));
    line.split_whitespace()
        .find_map(|w| w.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("no {key}= in {line:?}"))
        .parse()
        .unwrap()
}

/// `tracekit heap --json -- heap_mmap` in `dir`: (the program's output, the report).
fn traced(dir: &Path) -> (String, Value) {
    let out = run(tracekit()
        .current_dir(dir)
        .args(["heap", "--json", "--top", "0", "-o", "./", "--"])
        .arg(example("heap_mmap")));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let r = serde_json::from_str(&stdout(&out))
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", stdout(&out), stderr(&out)));
    (stderr(&out), r)
}

fn function_names(frames: &Value) -> Vec<&str> {
    frames
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["function"].as_str())
        .collect()
}

#[test]
fn a_hundred_mib_mapped_shows_as_mapped_and_resident_while_the_heap_stays_small() {
    let dir = tempdir();
    let (program_out, r) = traced(dir.path());
    let p = &r["processes"][0];
    let m = &p["memory"];
    assert!(m.is_object(), "no memory section: {p:#}");
    // The mappings the program made, exactly, file mappings and glibc's own left out.
    assert_eq!(
        m["mapped_bytes"].as_u64(),
        Some(own(&program_out, "mapped"))
    );
    assert_eq!(
        m["peak_mapped_bytes"].as_u64(),
        Some(own(&program_out, "peak"))
    );
    // The kernel saw the touched pages; the heap stayed small.
    assert!(
        m["peak_resident_bytes"].as_u64().unwrap() >= 100 * MIB,
        "{m:#}"
    );
    assert!(p["peak"]["heap_bytes"].as_u64().unwrap() < MIB, "{p:#}");
    // At one sample at least, side by side: 100 MiB mapped and resident, a small heap.
    let samples = m["samples"].as_array().unwrap();
    assert!(
        samples
            .iter()
            .any(|s| s["mapped_bytes"].as_u64().unwrap() >= 100 * MIB
                && s["resident_bytes"].as_u64().unwrap() >= 100 * MIB
                && s["heap_bytes"].as_u64().unwrap() < MIB),
        "{samples:#?}"
    );
    let times: Vec<u64> = samples
        .iter()
        .map(|s| s["time_ns"].as_u64().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    // Who mapped what: the 100 MiB at big_mapping, called from main; the 2 MiB by mremap.
    let mappers = m["mappers"].as_array().unwrap();
    assert_eq!(
        mappers[0]["bytes"].as_u64(),
        Some(100 * MIB),
        "{mappers:#?}"
    );
    assert_eq!(mappers[0]["live_bytes"].as_u64(), Some(100 * MIB));
    let names = function_names(&mappers[0]["frames"]);
    assert_eq!(names.first(), Some(&"big_mapping"), "{names:?}");
    assert!(names.contains(&"main"), "{names:?}");
    let four = mappers
        .iter()
        .find(|s| s["bytes"].as_u64() == Some(4 * MIB))
        .unwrap_or_else(|| panic!("no 4 MiB mapping: {mappers:#?}"));
    assert_eq!(four["live_bytes"].as_u64(), Some(3 * MIB));
    assert!(
        mappers.iter().any(|s| s["bytes"].as_u64() == Some(2 * MIB)
            && function_names(&s["frames"]).contains(&"main")),
        "{mappers:#?}"
    );
}

#[test]
fn the_text_report_and_the_graph_show_heap_mapped_and_resident() {
    let dir = tempdir();
    let out = run(tracekit()
        .current_dir(dir.path())
        .args(["heap", "-o", "./", "--"])
        .arg(example("heap_mmap")));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stderr(&out);
    let line = text
        .lines()
        .find(|l| l.starts_with("Heap against RSS:"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        line.contains("peak mapped by the program 105.0 MiB"),
        "{line}"
    );
    assert!(text.contains("Mapped by the program"), "{text}");
    let graph = run(tracekit().args(["report", "--graph"]).arg(dir.path()));
    assert_eq!(graph.status.code(), Some(0), "{}", stderr(&graph));
    let g = stdout(&graph);
    assert!(g.contains("Number of snapshots"), "{g}");
    assert!(
        g.lines()
            .any(|l| l.starts_with("Heap against RSS:") && l.contains("105.0 MiB")),
        "{g}"
    );
}

#[test]
fn pages_as_heap_counts_the_mappings_as_the_heap() {
    let dir = tempdir();
    let (program_out, _) = traced(dir.path());
    let out = run(tracekit()
        .args(["report", "--json", "--top", "0", "--pages-as-heap"])
        .arg(dir.path()));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let r: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let p = &r["processes"][0];
    // The heap is the pages mapped: its peak is the mappings' peak, its leak what stays mapped.
    assert_eq!(
        p["peak"]["heap_bytes"].as_u64(),
        Some(own(&program_out, "peak")),
        "{p:#}"
    );
    assert_eq!(
        p["leaked"]["bytes"].as_u64(),
        Some(own(&program_out, "mapped"))
    );
    let sites = r["sites"].as_array().unwrap();
    assert!(sites.iter().all(|s| s["function"] == "mmap"), "{sites:#?}");
    let big = sites
        .iter()
        .find(|s| s["bytes"].as_u64() == Some(100 * MIB))
        .unwrap_or_else(|| panic!("{sites:#?}"));
    assert_eq!(function_names(&big["frames"]).first(), Some(&"big_mapping"));
    // The heap's malloc calls are not in this view.
    assert_eq!(p["calls"]["malloc"].as_u64(), Some(0), "{:#}", p["calls"]);
}
