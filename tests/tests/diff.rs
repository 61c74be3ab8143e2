//! `tracekit diff` end to end on real logs of the examples' programs (a deliberate regression,
//! identical runs, strace-rs logs, bad input), and temporary allocations against
//! `heaptrack_print` on a realloc-heavy program.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use tracekit_e2e::{
    bin, example, heaptrack_record, require_tool, run, stderr, stdout, tempdir, tracekit,
};

/// Runs `program ARGS` under `tracekit heap`, its log at `dir/NAME.tklog`; returns the log.
fn heap_log(dir: &Path, name: &str, program: &str, args: &[&str]) -> PathBuf {
    let log = dir.join(format!("{name}.tklog"));
    let o = run(tracekit()
        .args(["heap", "-q", "--report"])
        .arg(dir.join(format!("{name}.report")))
        .arg("-o")
        .arg(&log)
        .arg("--")
        .arg(example(program))
        .args(args));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(log.is_file(), "no log at {}", log.display());
    log
}

fn diff(args: &[&str], base: &Path, new: &Path) -> Output {
    run(tracekit().arg("diff").args(args).arg(base).arg(new))
}

fn json_diff(base: &Path, new: &Path) -> Value {
    let o = diff(&["--json"], base, new);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).expect("JSON");
    assert_eq!(v["schema"], "tracekit.diff/1");
    v
}

/// The line of heap_regress.c that holds `needle`.
fn regress_line(needle: &str) -> usize {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/c/heap_regress.c");
    let text = std::fs::read_to_string(src).unwrap();
    1 + text.lines().position(|l| l.contains(needle)).unwrap()
}

/// The one line a failed command printed on stderr, checked to contain `needle`.
fn assert_one_line(o: &Output, code: i32, needle: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(code), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains(needle), "{err}");
}

#[test]
fn diff_names_the_regressed_site_first_and_its_gate_fails() {
    let dir = tempdir();
    let base = heap_log(dir.path(), "base", "heap_regress", &["0"]);
    let new = heap_log(dir.path(), "new", "heap_regress", &["4"]);
    let v = json_diff(&base, &new);
    assert_eq!(v["kind"], "heap");
    let h = &v["heap"];
    // The peak is the cache and one scratch block: 8 (then 12) x 4096 + 512.
    assert_eq!(
        (h["peak"]["base"].as_u64(), h["peak"]["new"].as_u64()),
        (Some(33280), Some(49664))
    );
    assert_eq!(h["allocs"]["delta"], 4);
    assert_eq!(h["leaked"]["delta"], 0);
    let first = &h["sites"][0];
    let top = first["frames"][0].as_str().unwrap();
    assert_eq!(
        top,
        format!(
            "cache_fill (heap_regress.c:{})",
            regress_line("cache[i] = malloc(4096);")
        )
    );
    assert_eq!(first["status"], "changed");
    assert_eq!(first["function"], "malloc");
    assert_eq!(first["exe"], "heap_regress");
    for (field, delta) in [
        ("peak_bytes", 16384),
        ("bytes", 16384),
        ("calls", 4),
        ("leaked_bytes", 0),
    ] {
        assert_eq!(first[field]["delta"], delta, "{field}: {first:#}");
    }
    // Nothing else changed: records and scratch match across the runs despite ASLR.
    assert_eq!(h["sites"].as_array().unwrap().len(), 1, "{h:#}");
    assert_eq!(h["unchanged_sites"], 2);

    // The gate: +49% is more than 5%, but less than 20KiB.
    let o = diff(&["--max-peak-increase", "5%"], &base, &new);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(
        stderr(&o).trim(),
        "tracekit: heap peak 33280 -> 49664 (+16384 (+49.2%)) exceeds --max-peak-increase 5%"
    );
    let text = stdout(&o);
    assert!(
        text.contains("Sites by regression (1 changed, 2 unchanged; 1 shown):"),
        "{text}"
    );
    assert!(
        text.contains("Gate --max-peak-increase 5%: FAILED"),
        "{text}"
    );
    let o = diff(
        &["--max-peak-increase", "20KiB", "--max-allocs-increase", "4"],
        &base,
        &new,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // Markdown for a step summary: the site first, the failed gate.
    let o = diff(
        &["--format", "markdown", "--max-allocs-increase", "3"],
        &base,
        &new,
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let md = stdout(&o);
    assert!(md.starts_with("## tracekit diff: heap\n"), "{md}");
    assert!(
        md.contains("| heap peak | 33280 | 49664 | +16384 (+49.2%) |"),
        "{md}"
    );
    assert!(
        md.contains(&format!("| `{top}` | malloc | +16384 (+50.0%) |")),
        "{md}"
    );
    assert!(
        md.contains("| `--max-allocs-increase` | 3 | allocations "),
        "{md}"
    );
    assert!(md.contains("❌ failed"), "{md}");
}

#[test]
fn diff_of_two_identical_runs_changes_nothing() {
    let dir = tempdir();
    let base = heap_log(dir.path(), "a", "heap_regress", &[]);
    let new = heap_log(dir.path(), "b", "heap_regress", &[]);
    let v = json_diff(&base, &new);
    let h = &v["heap"];
    for total in ["peak", "leaked", "bytes_allocated", "allocs", "temporary"] {
        assert_eq!(h[total]["delta"], 0, "{total}: {h:#}");
    }
    assert_eq!(h["sites"].as_array().unwrap().len(), 0, "{h:#}");
    assert_eq!(h["unchanged_sites"], 3);
    let o = diff(
        &["--max-peak-increase", "0%", "--max-leaked-increase", "0"],
        &base,
        &new,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("No site changed (3 sites in both runs)."));
}

fn strace_log(dir: &Path, name: &str, n: &str) -> PathBuf {
    let log = dir.join(format!("{name}.tklog"));
    let o = run(Command::new(bin("strace-rs"))
        .args(["-c", "--log"])
        .arg(&log)
        .arg("--")
        .arg(example("st_many"))
        .arg(n));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    log
}

#[test]
fn strace_diff_finds_the_changed_call_count() {
    let dir = tempdir();
    let base = strace_log(dir.path(), "a", "100");
    let new = strace_log(dir.path(), "b", "2500");
    let v = json_diff(&base, &new);
    assert_eq!(v["kind"], "syscalls");
    let rows = v["syscalls"]["syscalls"].as_array().unwrap();
    // getppid: 100 -> 2500; openat and close on /dev/null: 1 -> 3 each (every 1000th).
    let first = &rows[0];
    assert_eq!(first["name"], "getppid");
    assert_eq!(
        (
            first["calls"]["base"].as_u64(),
            first["calls"]["new"].as_u64()
        ),
        (Some(100), Some(2500))
    );
    let by_name: BTreeMap<&str, i64> = rows
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap(),
                r["calls"]["delta"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(by_name.get("close"), Some(&2), "{by_name:?}");
    let o = diff(&[], &base, &new);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains("System calls whose count or errors changed: "),
        "{text}"
    );
    assert!(text.contains("100 -> 2500"), "{text}");
}

#[test]
fn bad_input_gives_one_clear_line() {
    let dir = tempdir();
    let heap = heap_log(dir.path(), "h", "heap_regress", &[]);
    let sys = strace_log(dir.path(), "s", "10");
    let o = diff(&["--max-peak-increase", "5 percent"], &heap, &heap);
    assert_one_line(&o, 2, "invalid limit \"5 percent\"");
    let o = diff(&[], &heap, &sys);
    assert_one_line(&o, 2, "cannot diff a heap log");
    let o = diff(&["--max-peak-increase", "1%"], &sys, &sys);
    assert_one_line(&o, 2, "apply to heap logs");
    let o = diff(&[], &heap, &dir.path().join("missing.tklog"));
    assert_one_line(&o, 2, "cannot open");
    // A damaged log (garbage after its end): the diff of what precedes the damage, which is
    // everything here, so no change; the offset; exit 3.
    let mut bytes = std::fs::read(&heap).unwrap();
    let end = bytes.len();
    bytes.extend_from_slice(&[0xff, 0x01, 0x02, 0x03]);
    let damaged = dir.path().join("damaged.tklog");
    std::fs::write(&damaged, &bytes).unwrap();
    let o = diff(&[], &heap, &damaged);
    assert_one_line(&o, 3, &format!("corrupt log at byte {end}"));
    let text = stdout(&o);
    assert!(text.starts_with("WARNING: "), "{text}");
    assert!(
        text.contains("No site changed (3 sites in both runs)."),
        "{text}"
    );
}

/// `(innermost function, temporary allocations)` of each entry of heaptrack_print's
/// "MOST TEMPORARY ALLOCATIONS" whose location is in `file`, and the total of the others.
fn heaptrack_temporaries(text: &str, file: &str) -> (BTreeMap<String, u64>, u64) {
    let section = text
        .split("MOST TEMPORARY ALLOCATIONS")
        .nth(1)
        .unwrap_or_else(|| panic!("no temporary section in:\n{text}"));
    let lines: Vec<&str> = section.lines().collect();
    let (mut ours, mut others) = (BTreeMap::new(), 0);
    for (i, l) in lines.iter().enumerate() {
        // "39000 temporary allocations of 40000 allocations in total (97.50%) from" (the
        // entry; the callers' lines end in "from:").
        let Some(n) = l.strip_suffix(" from").and_then(|l| l.split(' ').next()) else {
            continue;
        };
        let n: u64 = n.parse().unwrap();
        let location = lines.get(i + 2).copied().unwrap_or("");
        if location.contains(file) {
            *ours.entry(lines[i + 1].trim().to_owned()).or_default() += n;
        } else {
            others += n;
        }
    }
    (ours, others)
}

/// Our temporary allocations equal heaptrack's on the program's own sites, realloc included
/// (heaptrack's rule: a realloc releases its block, moved or not); heaptrack counts more only
/// where its (size, stack) interning takes another block for the one just made.
#[test]
fn temporaries_match_heaptrack_print_on_a_realloc_heavy_program() {
    require_tool!("heaptrack");
    require_tool!("heaptrack_print");
    let dir = tempdir();
    let rounds = 200u64;
    let r = rounds.to_string();
    let log = heap_log(dir.path(), "ours", "heap_realloc", &[&r, "collide"]);
    let o = run(tracekit()
        .args(["report", "--json", "--top", "0"])
        .arg(&log));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let mut ours: BTreeMap<String, u64> = BTreeMap::new();
    for s in v["sites"].as_array().unwrap() {
        let t = s["temporary"].as_u64().unwrap();
        let f = s["frames"][0]["function"].as_str().unwrap().to_owned();
        *ours.entry(f).or_default() += t;
    }
    ours.retain(|_, t| *t != 0);
    let expected = BTreeMap::from([
        ("grow_string".to_owned(), 39 * rounds),
        ("scratch".to_owned(), rounds),
        ("grow_array".to_owned(), rounds),
    ]);
    assert_eq!(ours, expected);
    assert_eq!(v["temporary"].as_u64(), Some(41 * rounds));

    let file = heaptrack_record(dir.path(), &example("heap_realloc"), &[&r, "collide"]);
    let printed = run(Command::new("heaptrack_print").arg(&file));
    let text = stdout(&printed);
    let (mut theirs, others) = heaptrack_temporaries(&text, "heap_realloc.c");
    // heaptrack's false ones: the first free of `collide` follows the allocation of the other
    // 48-byte block from the same line.
    assert_eq!(theirs.remove("collide"), Some(rounds), "{text}");
    assert_eq!(theirs, expected, "{text}");
    let total: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix("temporary memory allocations: "))
        .and_then(|l| l.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no total in:\n{text}"));
    assert_eq!(total, 41 * rounds + rounds + others, "{text}");
}
