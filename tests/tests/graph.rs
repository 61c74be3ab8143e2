//! The heap over time end to end: `tracekit report --graph` and `--massif` on logs of real runs
//! (heap_known, heap_bench), checked against the report's own peak and read back by valgrind's
//! real `ms_print`, and `TRACEKIT_CLOCK=fine` recorded in the log.

use std::path::{Path, PathBuf};
use std::process::Command;

use tracekit_e2e::{example, require_tool, run, stderr, stdout, tempdir, tracekit};

/// Runs `program args` under `tracekit heap` (extra environment `env`), returning its log.
fn record(dir: &Path, program: &str, args: &[&str], env: &[(&str, &str)]) -> PathBuf {
    let log = dir.join(format!("{program}.tklog"));
    let out = run(tracekit()
        .arg("heap")
        .arg("-q")
        .arg("--report")
        .arg(dir.join("report.txt"))
        .arg("-o")
        .arg(&log)
        .envs(env.iter().copied())
        .arg("--")
        .arg(example(program))
        .args(args));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    log
}

/// The report's peak (JSON), in bytes.
fn report_peak(log: &Path) -> u64 {
    let out = run(tracekit().arg("report").arg("--json").arg(log));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    v["peak"]["heap_bytes"].as_u64().unwrap()
}

/// In ms_print's text (ours or valgrind's): the peak snapshot's number (from the "Detailed
/// snapshots" list) and its total(B) (from the snapshot table).
fn printed_peak(text: &str) -> (usize, u64) {
    let list = text
        .lines()
        .find_map(|l| l.strip_prefix(" Detailed snapshots: ["))
        .unwrap_or_else(|| panic!("no detailed snapshot list in:\n{text}"));
    let n: usize = list
        .split(", ")
        .find_map(|x| x.strip_suffix(" (peak)").or(x.strip_suffix(" (peak)]")))
        .unwrap_or_else(|| panic!("no peak snapshot in {list:?}"))
        .parse()
        .unwrap();
    let row = text
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .find(|w| w.len() == 6 && w[0] == n.to_string())
        .unwrap_or_else(|| panic!("no row for snapshot {n} in:\n{text}"));
    (n, row[2].replace(',', "").parse().unwrap())
}

/// The chart's lines: from the y axis's unit line to the x axis's labels.
fn chart(text: &str) -> Vec<&str> {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.ends_with('^') || l.contains('^'))
        .unwrap()
        - 1;
    lines[start..start + 23].to_vec()
}

fn graph_and_ms_print(log: &Path, time: &str) {
    let dir = log.parent().unwrap();
    let massif = dir.join(format!("massif.{time}.out"));
    let out = run(tracekit()
        .arg("report")
        .arg("--graph")
        .arg("--time")
        .arg(time)
        .arg("--massif")
        .arg(&massif)
        .arg(log));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let ours = stdout(&out);
    let peak = report_peak(log);
    let (n, bytes) = printed_peak(&ours);
    assert_eq!(
        bytes, peak,
        "the graph's peak snapshot is the report's peak:\n{ours}"
    );
    // The peak column is drawn with '#' up to the top row.
    let rows = chart(&ours);
    assert!(rows[1].contains('#'), "{}", rows.join("\n"));

    require_tool!("ms_print");
    let ms = run(Command::new("ms_print").arg(&massif));
    let text = stdout(&ms);
    assert_eq!(
        ms.status.code(),
        Some(0),
        "ms_print refused our file: {}",
        stderr(&ms)
    );
    assert_eq!(printed_peak(&text), (n, peak), "{text}");
    if time == "B" {
        // The same snapshots, drawn by the same rules: ms_print's chart is ours.
        assert_eq!(
            chart(&text),
            chart(&ours),
            "ms_print:\n{text}\nours:\n{ours}"
        );
    }
}

#[test]
fn heap_known_graph_peak_is_the_reports_and_ms_print_agrees() {
    let dir = tempdir();
    let log = record(dir.path(), "heap_known", &[], &[]);
    graph_and_ms_print(&log, "B");
    graph_and_ms_print(&log, "ms");
}

#[test]
fn heap_bench_graph_peak_is_the_reports_and_ms_print_agrees() {
    let dir = tempdir();
    let log = record(dir.path(), "heap_bench", &["20000"], &[]);
    graph_and_ms_print(&log, "B");
}

/// heap_known's peak snapshot is massif's own: same bytes, same sites (massif counts the same
/// requested sizes; its peak snapshot holds the allocation site's whole 100,000 bytes).
#[test]
fn heap_known_peak_tree_matches_real_massif() {
    require_tool!("valgrind");
    let dir = tempdir();
    let log = record(dir.path(), "heap_known", &[], &[]);
    let ours = dir.path().join("ours.out");
    let out = run(tracekit()
        .arg("report")
        .arg("--massif")
        .arg(&ours)
        .arg(&log));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let real = dir.path().join("real.out");
    let out = run(Command::new("valgrind")
        .arg("--tool=massif")
        .arg("--time-unit=B")
        .arg(format!("--massif-out-file={}", real.display()))
        .arg(example("heap_known")));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // The peak block: mem_heap_B and the tree's first two levels' functions.
    let peak = |path: &Path| -> (u64, Vec<String>) {
        let text = std::fs::read_to_string(path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let at = lines.iter().position(|l| *l == "heap_tree=peak").unwrap();
        let heap = lines[at - 3]
            .strip_prefix("mem_heap_B=")
            .unwrap()
            .parse()
            .unwrap();
        let funcs = lines[at + 2..at + 4]
            .iter()
            .map(|l| l.split(": ").nth(2).unwrap_or("").to_owned())
            .collect();
        (heap, funcs)
    };
    assert_eq!(peak(&ours), peak(&real));
}

#[test]
fn fine_clock_is_recorded_and_chosen_for_the_time_axis() {
    let dir = tempdir();
    let log = record(dir.path(), "heap_known", &[], &[("TRACEKIT_CLOCK", "fine")]);
    let out = run(tracekit().arg("report").arg("--json").arg(&log));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let res = v["processes"][0]["clock_res_ns"].as_u64().unwrap();
    assert!(
        (1..=1000).contains(&res),
        "CLOCK_MONOTONIC's resolution, got {res}"
    );
    // Without --time, a fine clock's log is drawn in ms.
    let out = run(tracekit().arg("report").arg("--graph").arg(&log));
    let text = stdout(&out);
    assert!(text.contains("time(ms)"), "{text}");
    assert!(!text.contains("coarse"), "{text}");
    // The default (coarse) clock's log is drawn in bytes.
    let coarse = record(dir.path(), "heap_bench", &["1000"], &[]);
    let out = run(tracekit().arg("report").arg("--graph").arg(&coarse));
    assert!(stdout(&out).contains("time(B)"), "{}", stdout(&out));
}
