//! `tracekit export` end to end: real logs of real programs (heap_known, heap_bench under the
//! heap tracker; a strace-rs log) exported in each format and read back by the consumer people
//! use: `go tool pprof` for pprof, valgrind's own `dh_view.js` (in headless Chromium) for DHAT,
//! python3's json module and a schema check of the documented format for Chrome's traces.
//! Each total is compared with `tracekit report`'s for the same log.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use tracekit_e2e::{bin, example, require_tool, run, run_limited, stderr, stdout, tempdir};

// ---- helpers ----

/// Runs the example `program ARGS` under `tracekit heap`, its log in `dir`; returns the log
/// and `tracekit report --json` of it.
fn heap_log(dir: &Path, program: &str, args: &[&str]) -> (PathBuf, Value) {
    heap_log_with(dir, program, args, &[])
}

/// [`heap_log`] with environment variables for the heap tracker.
fn heap_log_with(
    dir: &Path,
    program: &str,
    args: &[&str],
    env: &[(&str, &str)],
) -> (PathBuf, Value) {
    let report = dir.join("report.json");
    let out = run(Command::new(bin("tracekit"))
        .envs(env.iter().copied())
        .args(["heap", "-q", "--json", "--report"])
        .arg(&report)
        .arg("-o")
        .arg(dir.join(format!("{program}.%p.tklog")))
        .arg("--")
        .arg(example(program))
        .args(args));
    assert_eq!(out.status.code(), Some(0), "stderr:\n{}", stderr(&out));
    let r: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let logs = r["logs"].as_array().unwrap();
    // A directory stands for the logs of every process of the run.
    let log = match &logs[..] {
        [one] => PathBuf::from(one.as_str().unwrap()),
        _ => dir.to_path_buf(),
    };
    (log, r)
}

/// `tracekit export --format FORMAT LOG -o OUT`; checks it succeeded.
fn export(format: &str, log: &Path, out: &Path) -> Output {
    let o = run(Command::new(bin("tracekit"))
        .args(["export", "--format", format])
        .arg(log)
        .arg("-o")
        .arg(out));
    assert_eq!(o.status.code(), Some(0), "stderr:\n{}", stderr(&o));
    o
}

fn u(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a u64: {v}"))
}

/// An artefact of a test, kept under target/ for a person to look at.
fn artefact(name: &str) -> PathBuf {
    let dir = tracekit_e2e::target_dir().join("test-artefacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

// ---- pprof, read by go tool pprof ----

/// `go tool pprof ARGS PROFILE` with its caches in `dir` (no network is needed for a local
/// file); its stdout.
fn go_pprof(dir: &Path, args: &[&str], profile: &Path) -> String {
    let o = run_limited(
        Command::new("go")
            .args(["tool", "pprof"])
            .args(args)
            .arg(profile)
            .env("HOME", dir)
            .env("GOCACHE", dir.join("gocache"))
            .env("GOPATH", dir.join("gopath"))
            .env("PPROF_TMPDIR", dir),
        std::time::Duration::from_secs(180),
    );
    assert!(o.status.success(), "go tool pprof failed:\n{}", stderr(&o));
    stdout(&o)
}

/// The total of `go tool pprof -top`'s header line: "... of N total" (with `-unit=byte` the
/// number is plain bytes, as `NB`).
fn pprof_total(top: &str) -> u64 {
    let line = top
        .lines()
        .find(|l| l.starts_with("Showing nodes accounting for"))
        .unwrap_or_else(|| panic!("no totals line in:\n{top}"));
    let total = line
        .split(" of ")
        .nth(1)
        .and_then(|t| t.strip_suffix(" total"))
        .unwrap_or_else(|| panic!("{line}"));
    total
        .trim_end_matches('B')
        .parse()
        .unwrap_or_else(|e| panic!("{total}: {e}"))
}

/// Checks `go tool pprof -top`'s totals of `profile` against `report`'s (alloc_space: the
/// bytes allocated, inuse_space: the bytes leaked) and that `functions` allocate; returns the
/// inuse_space listing.
fn check_pprof_totals(dir: &Path, profile: &Path, report: &Value, functions: &[&str]) -> String {
    let alloc = go_pprof(
        dir,
        &["-top", "-sample_index=alloc_space", "-unit=byte"],
        profile,
    );
    assert_eq!(
        pprof_total(&alloc),
        u(&report["bytes_allocated"]),
        "{alloc}"
    );
    for f in functions {
        assert!(alloc.contains(f), "{f} missing:\n{alloc}");
    }
    let inuse = go_pprof(
        dir,
        &["-top", "-sample_index=inuse_space", "-unit=byte"],
        profile,
    );
    assert_eq!(
        pprof_total(&inuse),
        u(&report["leaked"]["bytes"]),
        "{inuse}"
    );
    inuse
}

#[test]
fn pprof_of_heap_known_reads_in_go_tool_pprof_with_the_reports_totals() {
    require_tool!("go");
    let dir = tempdir();
    let (log, report) = heap_log(dir.path(), "heap_known", &[]);
    let profile = dir.path().join("heap.pb.gz");
    export("pprof", &log, &profile);
    assert_eq!(&std::fs::read(&profile).unwrap()[..2], [0x1f, 0x8b], "gzip");

    let leaked = u(&report["leaked"]["bytes"]);
    assert_eq!(
        leaked,
        3 * 500 + 4096,
        "heap_known leaks 3 callocs and one malloc"
    );
    let inuse = check_pprof_totals(
        dir.path(),
        &profile,
        &report,
        &[
            "many_small",
            "some_callocs",
            "growth_chain",
            "one_leak",
            "main",
        ],
    );
    // The leaking functions are named, the ones that freed everything are not in use.
    assert!(
        inuse.contains("one_leak") && inuse.contains("some_callocs"),
        "{inuse}"
    );
    assert!(!inuse.contains("many_small"), "{inuse}");
    let objects = go_pprof(
        dir.path(),
        &["-top", "-sample_index=alloc_objects"],
        &profile,
    );
    assert_eq!(
        pprof_total(&objects),
        u(&report["valgrind"]["allocs"]),
        "{objects}"
    );
    // The default sample type is inuse_space, as for Go's heap profiles.
    let default = go_pprof(dir.path(), &["-top", "-unit=byte"], &profile);
    assert_eq!(pprof_total(&default), leaked, "{default}");
    // Lines: `-lines` shows file:line of heap_known.c.
    let lines = go_pprof(
        dir.path(),
        &["-top", "-lines", "-sample_index=alloc_space"],
        &profile,
    );
    assert!(lines.contains("heap_known.c:"), "{lines}");
}

#[test]
fn pprof_of_heap_bench_has_the_reports_totals() {
    require_tool!("go");
    let dir = tempdir();
    let (log, report) = heap_log(dir.path(), "heap_bench", &["20000"]);
    let profile = dir.path().join("bench.pb.gz");
    export("pprof", &log, &profile);
    check_pprof_totals(
        dir.path(),
        &profile,
        &report,
        &["site_malloc", "site_calloc", "site_realloc"],
    );
}

// ---- collapsed stacks ----

/// The sum of the weights of folded stacks (`a;b;c 123` lines).
fn folded_total(text: &str) -> u64 {
    text.lines()
        .map(|l| l.rsplit_once(' ').unwrap().1.parse::<u64>().unwrap())
        .sum()
}

#[test]
fn collapsed_export_adds_up_to_the_bytes_allocated() {
    let dir = tempdir();
    for (program, args) in [("heap_known", &[][..]), ("heap_bench", &["20000"][..])] {
        let (log, report) = heap_log(dir.path(), program, args);
        let folded = dir.path().join(format!("{program}.folded"));
        export("collapsed", &log, &folded);
        let text = std::fs::read_to_string(&folded).unwrap();
        assert_eq!(
            folded_total(&text),
            u(&report["bytes_allocated"]),
            "{program}:\n{text}"
        );
        assert!(text.lines().all(|l| l.starts_with("main;")), "{text}");
    }
}

// ---- DHAT, read by valgrind's viewer ----

/// Loads `json` (a DHAT file) in valgrind's `dh_view.js` in headless Chromium, through the
/// viewer's own file input (a `File` given to its `<input type=file>`, then its `onchange`,
/// which reads it with a `FileReader`, parses it and builds the tree, as a click on "Load"
/// would); returns the rendered page's text. A screenshot goes to `png`.
fn dh_view(dir: &Path, json: &str, png: &Path) -> String {
    let viewer = Path::new("/usr/libexec/valgrind/dh_view.js");
    assert!(viewer.exists(), "valgrind's dh_view.js is not installed");
    // The JSON as a JS string literal (JSON strings are JS strings); `</` split so it cannot
    // end the script element.
    let literal = serde_json::to_string(json).unwrap().replace("</", "<\\/");
    let page = format!(
        r#"<!DOCTYPE html>
<html><head><meta charset="UTF-8">
<link rel="stylesheet" href="file:///usr/libexec/valgrind/dh_view.css">
<script src="file:///usr/libexec/valgrind/dh_view.js"></script>
</head>
<body onload="onLoad(); load();">
<script>
function load() {{
  const file = new File([{literal}], "dhat.json", {{type: "application/json"}});
  const dt = new DataTransfer();
  dt.items.add(file);
  gInput.files = dt.files;
  gInput.onchange();
}}
</script>
</body></html>
"#
    );
    let html = dir.join("dh_view_wrapper.html");
    std::fs::write(&html, page).unwrap();
    let chromium = |extra: &[&str]| {
        let o = run_limited(
            Command::new("chromium")
                .args([
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--allow-file-access-from-files",
                    "--virtual-time-budget=10000",
                    "--window-size=1200,1600",
                ])
                .arg(format!(
                    "--user-data-dir={}",
                    dir.join("chromium").display()
                ))
                .args(extra)
                .arg(format!("file://{}", html.display()))
                .env("HOME", dir),
            std::time::Duration::from_secs(180),
        );
        assert!(o.status.success(), "chromium failed:\n{}", stderr(&o));
        o
    };
    chromium(&[&format!("--screenshot={}", png.display())]);
    text_of(&stdout(&chromium(&["--dump-dom"])))
}

/// The text of an HTML document: its tags removed (the viewer splits a line into spans).
fn text_of(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
}

/// The numbers of the first "Total: N bytes (...) in M blocks" the viewer rendered (the
/// root's: the whole program), with the locale's separators removed.
fn dh_view_total(dom: &str) -> (u64, u64) {
    let at = dom
        .find("Total:")
        .unwrap_or_else(|| panic!("the viewer rendered no totals:\n{dom}"));
    let rest = &dom[at + "Total:".len()..];
    let digits = |s: &str| -> u64 {
        let n: String = s
            .trim_start_matches(|c: char| !c.is_ascii_digit())
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == ',')
            .filter(char::is_ascii_digit)
            .collect();
        n.parse().unwrap_or_else(|e| panic!("{s:.80}: {e}"))
    };
    let bytes = digits(rest);
    let blocks_at = rest.find(" in ").expect("' in N blocks'");
    (bytes, digits(&rest[blocks_at + 4..]))
}

#[test]
fn dhat_of_heap_known_loads_in_valgrinds_viewer_with_the_reports_totals() {
    require_tool!("chromium");
    let dir = tempdir();
    let (log, report) = heap_log(dir.path(), "heap_known", &[]);
    let out = dir.path().join("dhat.json");
    export("dhat", &log, &out);
    let json = std::fs::read_to_string(&out).unwrap();
    let d: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(d["dhatFileVersion"], 2);
    assert_eq!(d["ftbl"][0], "[root]");
    let png = artefact("dhat_heap_known.png");
    let dom = dh_view(dir.path(), &json, &png);
    assert!(!dom.contains("Error"), "the viewer failed:\n{dom}");
    let (bytes, blocks) = dh_view_total(&dom);
    assert_eq!(bytes, u(&report["bytes_allocated"]), "{dom}");
    assert_eq!(blocks, u(&report["valgrind"]["allocs"]), "{dom}");
    // The peak and the end as the viewer shows them for the whole program.
    let peak = u(&report["peak"]["heap_bytes"]);
    let leaked = u(&report["leaked"]["bytes"]);
    assert!(
        dom.contains(&format!("At t-gmax: {} bytes (100%)", group(peak))),
        "{peak}:\n{dom}"
    );
    assert!(
        dom.contains(&format!("At t-end:  {} bytes (100%)", group(leaked))),
        "{leaked}:\n{dom}"
    );
    for f in ["many_small", "some_callocs", "growth_chain", "one_leak"] {
        assert!(dom.contains(f), "{f} missing:\n{dom}");
    }
    assert!(std::fs::metadata(&png).unwrap().len() > 0);
}

/// With several processes (a parent and the child it forked), each site ends in a frame
/// naming its process, and the viewer's totals are those of every process together.
#[test]
fn dhat_of_a_forking_program_loads_with_every_process() {
    require_tool!("chromium");
    let dir = tempdir();
    let (logs, report) = heap_log(dir.path(), "heap_fork", &[]);
    let pids: Vec<u64> = report["processes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| u(&p["pid"]))
        .collect();
    assert_eq!(pids.len(), 2, "{report}");
    let out = dir.path().join("fork.dhat.json");
    export("dhat", &logs, &out);
    let json = std::fs::read_to_string(&out).unwrap();
    let dom = dh_view(dir.path(), &json, &artefact("dhat_heap_fork.png"));
    assert!(!dom.contains("Error"), "the viewer failed:\n{dom}");
    assert_eq!(
        dh_view_total(&dom),
        (
            u(&report["bytes_allocated"]),
            u(&report["valgrind"]["allocs"])
        ),
        "{dom}"
    );
    let d: Value = serde_json::from_str(&json).unwrap();
    for pid in pids {
        assert!(
            d["ftbl"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f.as_str().unwrap().starts_with(&format!("pid {pid}: "))),
            "{pid}: {json}"
        );
    }
}

/// `n` with the thousands separators of an English locale (Chromium's default here).
fn group(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

// ---- Chrome's trace events ----

/// Checks `trace` against the trace event format's rules (the JSON object form): every event
/// has `ph`, `ts`, `pid`, `tid`; a complete event has `dur >= 0`; the slices of one thread do
/// not overlap unless nested; counters have numeric args; metadata names a process or a
/// thread. Returns the events.
fn check_trace(trace: &Value) -> Vec<Value> {
    assert_eq!(trace["displayTimeUnit"], "ms");
    let events = trace["traceEvents"]
        .as_array()
        .expect("traceEvents")
        .clone();
    let mut slices: std::collections::BTreeMap<(u64, u64), Vec<(f64, f64)>> = Default::default();
    for e in &events {
        let ph = e["ph"].as_str().unwrap_or_else(|| panic!("no ph: {e}"));
        assert!(e["ts"].as_f64().is_some_and(|t| t >= 0.0), "ts: {e}");
        assert!(e["pid"].is_u64() && e["tid"].is_u64(), "pid/tid: {e}");
        assert!(e["name"].is_string(), "name: {e}");
        match ph {
            "X" => {
                let dur = e["dur"].as_f64().unwrap_or_else(|| panic!("dur: {e}"));
                assert!(dur >= 0.0, "{e}");
                let ts = e["ts"].as_f64().unwrap();
                slices
                    .entry((u(&e["pid"]), u(&e["tid"])))
                    .or_default()
                    .push((ts, ts + dur));
            }
            "C" => {
                let args = e["args"].as_object().unwrap_or_else(|| panic!("args: {e}"));
                assert!(args.values().all(Value::is_number), "{e}");
            }
            "i" => assert!(matches!(e["s"].as_str(), Some("t" | "p" | "g")), "{e}"),
            "M" => assert!(
                matches!(e["name"].as_str(), Some("process_name" | "thread_name"))
                    && e["args"]["name"].is_string(),
                "{e}"
            ),
            other => panic!("unexpected phase {other}: {e}"),
        }
    }
    for (thread, mut s) in slices {
        s.sort_by(|a, b| a.partial_cmp(b).unwrap());
        for w in s.windows(2) {
            let ((_, end0), (start1, end1)) = (w[0], w[1]);
            assert!(
                start1 >= end0 || end1 <= end0,
                "slices of {thread:?} overlap: {w:?}"
            );
        }
    }
    events
}

/// Counts the trace's events by phase with python3's json module: (phase, count) sorted.
fn python_counts(trace: &Path) -> Vec<(String, u64)> {
    let o = run(Command::new("python3")
        .args([
            "-c",
            "import json, sys, collections\n\
             t = json.load(open(sys.argv[1]))\n\
             c = collections.Counter(e['ph'] for e in t['traceEvents'])\n\
             for k in sorted(c): print(k, c[k])",
        ])
        .arg(trace));
    assert!(o.status.success(), "python3: {}", stderr(&o));
    stdout(&o)
        .lines()
        .map(|l| {
            let (k, n) = l.split_once(' ').unwrap();
            (k.to_owned(), n.parse().unwrap())
        })
        .collect()
}

fn count(events: &[Value], ph: &str) -> u64 {
    events.iter().filter(|e| e["ph"] == ph).count() as u64
}

/// The phase counts of `events`, as python_counts gives them.
fn counts(events: &[Value]) -> Vec<(String, u64)> {
    let mut phases: Vec<String> = events
        .iter()
        .map(|e| e["ph"].as_str().unwrap().to_owned())
        .collect();
    phases.sort();
    phases.dedup();
    phases
        .into_iter()
        .map(|p| {
            let n = count(events, &p);
            (p, n)
        })
        .collect()
}

#[test]
fn chrome_trace_of_heap_bench_has_the_reports_peak() {
    require_tool!("python3");
    let dir = tempdir();
    let (log, report) = heap_log(dir.path(), "heap_bench", &["50000"]);
    let out = dir.path().join("trace.json");
    export("chrome", &log, &out);
    let trace: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let events = check_trace(&trace);
    assert_eq!(python_counts(&out), counts(&events));
    let heap: Vec<u64> = events
        .iter()
        .filter(|e| e["ph"] == "C" && e["name"] == "heap")
        .map(|e| u(&e["args"]["bytes"]))
        .collect();
    assert!(!heap.is_empty());
    assert_eq!(heap.iter().max(), Some(&u(&report["peak"]["heap_bytes"])));
    // The counter ends where the heap ended: the bytes leaked.
    let last = events
        .iter()
        .filter(|e| e["ph"] == "C")
        .max_by(|a, b| a["ts"].as_f64().partial_cmp(&b["ts"].as_f64()).unwrap())
        .unwrap();
    assert_eq!(u(&last["args"]["bytes"]), u(&report["leaked"]["bytes"]));
    let pid = u(&report["processes"][0]["pid"]);
    assert!(events
        .iter()
        .any(|e| e["ph"] == "M" && e["name"] == "process_name" && u(&e["pid"]) == pid));
}

#[test]
fn chrome_trace_of_a_strace_rs_log_has_one_slice_per_system_call() {
    require_tool!("python3");
    let dir = tempdir();
    let log = dir.path().join("s.tklog");
    let traced = run(Command::new(bin("strace-rs"))
        .arg("-f")
        .arg("--log")
        .arg(&log)
        .args([
            "-o",
            "/dev/null",
            "--",
            "sh",
            "-c",
            "ls / > /dev/null; true",
        ]));
    assert_eq!(traced.status.code(), Some(0), "{}", stderr(&traced));
    let calls: Vec<_> = tracekit_e2e::read_log(&log)
        .into_iter()
        .filter_map(|e| match e {
            tracekit_log::Event::Syscall(s) => Some(s),
            _ => None,
        })
        .collect();
    assert!(calls.len() > 20, "{} calls", calls.len());
    let out = dir.path().join("trace.json");
    export("chrome", &log, &out);
    let trace: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let events = check_trace(&trace);
    assert_eq!(python_counts(&out), counts(&events));
    assert_eq!(count(&events, "X"), calls.len() as u64);
    // Two processes (sh and the ls it forked) on their own tracks, each call by name.
    let tids: std::collections::BTreeSet<u64> = events
        .iter()
        .filter(|e| e["ph"] == "X")
        .map(|e| u(&e["tid"]))
        .collect();
    assert!(tids.len() >= 2, "{tids:?}");
    for name in ["execve", "openat", "write"] {
        let ours = count(
            &events
                .iter()
                .filter(|e| e["name"] == name)
                .cloned()
                .collect::<Vec<_>>(),
            "X",
        );
        let theirs = calls
            .iter()
            .filter(|c| c.name.to_string_lossy() == name)
            .count() as u64;
        assert_eq!(ours, theirs, "{name}");
    }
    assert!(events.iter().any(|e| e["ph"] == "X"
        && e["args"]["call"]
            .as_str()
            .is_some_and(|c| c.starts_with("execve("))));
}

// ---- bad input ----

fn one_line_error(o: &Output, needle: &str) {
    assert_eq!(o.status.code(), Some(2), "{}", stderr(o));
    let err = stderr(o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains(needle), "{needle:?} not in {err}");
}

#[test]
fn bad_input_gives_one_clear_line() {
    let dir = tempdir();
    let (log, _) = heap_log(dir.path(), "heap_known", &[]);
    let tk = || Command::new(bin("tracekit"));

    // An unknown format: clap's error with the list of formats.
    let o = run(tk().args(["export", "--format", "massive"]).arg(&log));
    one_line_error(&o, "invalid value 'massive' for '--format <FORMAT>'");
    assert!(
        stderr(&o).contains("pprof") && stderr(&o).contains("chrome"),
        "{}",
        stderr(&o)
    );

    // An output that cannot be written, said before the logs are read.
    let o = run(tk()
        .args([
            "export",
            "--format",
            "dhat",
            "-o",
            "/nonexistent/dir/out.json",
        ])
        .arg(&log));
    one_line_error(&o, "cannot write /nonexistent/dir/out.json");

    // A strace-rs log where a heap export is asked: what the log holds.
    let slog = dir.path().join("s.tklog");
    let traced = run(Command::new(bin("strace-rs"))
        .arg("--log")
        .arg(&slog)
        .args(["-o", "/dev/null", "--", "/bin/true"]));
    assert_eq!(traced.status.code(), Some(0), "{}", stderr(&traced));
    let o = run(tk()
        .args(["export", "--format", "pprof", "-o"])
        .arg(dir.path().join("x.pb.gz"))
        .arg(&slog));
    one_line_error(&o, "a strace-rs log: ");
    assert!(stderr(&o).contains(" system calls, no heap events for a pprof export"));

    // Not a log at all.
    let o = run(tk()
        .args(["export", "--format", "chrome", "-o"])
        .arg(dir.path().join("x.json"))
        .arg(example("heap_known")));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(stderr(&o).lines().count(), 1, "{}", stderr(&o));
}

#[test]
fn truncated_log_exports_what_is_there_and_says_where_it_stops() {
    let dir = tempdir();
    // Uncompressed, so that the records before the cut are readable.
    let (log, full) = heap_log_with(dir.path(), "heap_known", &[], &[("TRACEKIT_COMPRESS", "0")]);
    let bytes = std::fs::read(&log).unwrap();
    let cut = dir.path().join("cut.tklog");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let out = dir.path().join("cut.folded");
    let o = run(Command::new(bin("tracekit"))
        .args(["export", "--format", "collapsed", "-o"])
        .arg(&out)
        .arg(&cut));
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    // The warning is the report's: the same message, with the same byte offset.
    let r = run(Command::new(bin("tracekit"))
        .args(["report", "--json"])
        .arg(&cut));
    assert_eq!(r.status.code(), Some(3), "{}", stderr(&r));
    let report: Value = serde_json::from_str(&stdout(&r)).unwrap();
    let offset = u(&report["damage"][0]["offset"]);
    assert!(offset > 0 && offset <= bytes.len() as u64 / 2);
    let err = stderr(&o);
    assert_eq!(err, stderr(&r), "the same warning as the report's");
    assert!(
        err.starts_with(&format!("tracekit: {}: ", cut.display()))
            && err.contains(&format!(" at byte {offset}")),
        "{err}"
    );
    // What precedes the cut is exported: as much as the report of the cut log counts, less
    // than the whole run.
    let total = folded_total(&std::fs::read_to_string(&out).unwrap());
    assert!(total > 0, "nothing exported");
    assert_eq!(total, u(&report["bytes_allocated"]));
    assert!(total < u(&full["bytes_allocated"]));
}
