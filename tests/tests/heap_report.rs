//! `tracekit heap` and `tracekit report` end to end: the real preload library in a real C
//! program with known heap activity (examples/c/heap_known.c), checked against what the program
//! does, against valgrind's memcheck and against glibc's memusage.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde::Deserialize;
use tracekit_e2e::{bin, example, require_tool, run, stderr, stdout, tempdir};

// ---- the JSON schema, read back strictly (a new or renamed field fails these tests) ----

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Report {
    schema: String,
    logs: Vec<String>,
    complete: bool,
    damage: Vec<Damage>,
    calls: Calls,
    functions: Vec<Function>,
    realloc: ReallocCounts,
    frees: Frees,
    heap_total: u64,
    bytes_allocated: u64,
    valgrind: Valgrind,
    peak: Peak,
    leaked: Leaked,
    histogram: Histogram,
    temporary: u64,
    lifetimes: Lifetimes,
    processes: Vec<ProcessJson>,
    sites: Vec<Site>,
    crashes: Vec<serde_json::Value>,
    fences: Vec<serde_json::Value>,
    syscalls: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // read for strictness
struct Damage {
    log: String,
    offset: u64,
    message: String,
}

#[derive(Debug, Deserialize, PartialEq, Eq, Default)]
#[serde(deny_unknown_fields)]
struct Calls {
    malloc: u64,
    calloc: u64,
    realloc: u64,
    reallocarray: u64,
    posix_memalign: u64,
    aligned_alloc: u64,
    memalign: u64,
    valloc: u64,
    pvalloc: u64,
    operator_new: u64,
    operator_new_array: u64,
    operator_new_nothrow: u64,
    operator_new_array_nothrow: u64,
    operator_new_aligned: u64,
    operator_new_array_aligned: u64,
    operator_new_aligned_nothrow: u64,
    operator_new_array_aligned_nothrow: u64,
    mmap: u64,
    custom_alloc: u64,
    free: u64,
    operator_delete: u64,
    operator_delete_array: u64,
    operator_delete_sized: u64,
    operator_delete_array_sized: u64,
    operator_delete_aligned: u64,
    operator_delete_array_aligned: u64,
    operator_delete_sized_aligned: u64,
    operator_delete_array_sized_aligned: u64,
    operator_delete_nothrow: u64,
    operator_delete_array_nothrow: u64,
    munmap: u64,
    custom_free: u64,
}

#[derive(Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
struct Function {
    function: String,
    calls: u64,
    bytes: u64,
    failed: Option<u64>,
    realloc: Option<ReallocCounts>,
}

#[derive(Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
struct ReallocCounts {
    nomove: u64,
    dec: u64,
    free: u64,
}

#[derive(Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
struct Frees {
    calls: u64,
    bytes: u64,
    untracked: u64,
}

#[derive(Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
struct Valgrind {
    allocs: u64,
    frees: u64,
    bytes: u64,
}

#[derive(Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
struct Peak {
    heap_bytes: u64,
    time_ns: u64,
    pid: u32,
}

#[derive(Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
struct Leaked {
    bytes: u64,
    blocks: u64,
}

#[derive(Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
struct Histogram {
    buckets: Vec<Bucket>,
    large: u64,
    calls: u64,
}

#[derive(Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
struct Bucket {
    from: u64,
    to: u64,
    calls: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // read for strictness
struct ProcessJson {
    pid: u32,
    ppid: u32,
    exe: String,
    argv: Vec<String>,
    exit: Option<Exit>,
    exec: Option<String>,
    timeline: Timeline,
    clock_res_ns: u64,
    calls: Calls,
    functions: Vec<Function>,
    realloc: ReallocCounts,
    frees: Frees,
    heap_total: u64,
    bytes_allocated: u64,
    valgrind: Valgrind,
    peak: Peak,
    leaked: Leaked,
    histogram: Histogram,
    temporary: u64,
    lifetimes: Lifetimes,
    #[serde(default)]
    unseen_allocators: Vec<UnseenAllocator>,
    memory: Option<Memory>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // read for strictness
struct Memory {
    peak_heap_bytes: u64,
    peak_mapped_bytes: u64,
    peak_resident_bytes: u64,
    mapped_bytes: u64,
    samples_taken: u64,
    samples: Vec<MemoryRow>,
    mappers: Vec<Mapper>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // read for strictness
struct MemoryRow {
    time_ns: u64,
    heap_bytes: u64,
    mapped_bytes: u64,
    resident_bytes: u64,
    data_bytes: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // read for strictness
struct Mapper {
    stack_id: u64,
    calls: u64,
    bytes: u64,
    live_bytes: u64,
    frames: Vec<Frame>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // read for strictness
struct UnseenAllocator {
    module: String,
    allocator: String,
    symbol: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Lifetimes {
    short_lived_allocs: u64,
    short_lived: Blocks,
    allocations: Vec<LifetimeRow>,
    time_ns: Vec<LifetimeRow>,
}

#[derive(Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
struct Blocks {
    blocks: u64,
    bytes: u64,
}

#[derive(Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
struct LifetimeRow {
    from: u64,
    to: u64,
    blocks: u64,
    bytes: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Timeline {
    slice_ns: u64,
    heap_bytes: Vec<u64>,
}

#[derive(Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
struct Exit {
    code: Option<i32>,
    signal: Option<u32>,
    freeres: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Site {
    pid: u32,
    stack_id: u64,
    function: String,
    calls: u64,
    bytes: u64,
    failed: u64,
    peak_bytes: u64,
    leaked: Leaked,
    temporary: u64,
    short_lived: Blocks,
    frames: Vec<Frame>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // read for strictness
struct Frame {
    addr: u64,
    module: Option<String>,
    function: String,
    file: Option<String>,
    line: Option<u32>,
    column: Option<u32>,
    offset: Option<u64>,
    inlined: bool,
    note: Option<String>,
}

// ---- helpers ----

fn tracekit() -> Command {
    Command::new(bin("tracekit"))
}

/// Runs `tracekit ARGS` with stdout to a file (`run` reads the pipes only once the command
/// exits, so more than a pipe's 64 KiB would block): its output and that stdout.
fn tracekit_big(args: &[&std::ffi::OsStr]) -> (Output, String) {
    let file = tempfile::NamedTempFile::new().unwrap();
    let out = run(Command::new("sh")
        .args(["-c", "f=$1; shift; exec \"$0\" \"$@\" > \"$f\""])
        .arg(bin("tracekit"))
        .arg(file.path())
        .args(args));
    (out, std::fs::read_to_string(file.path()).unwrap())
}

/// Runs heap_known under `tracekit heap --json`, the report in a file; returns the run's
/// output, the parsed report and the log paths.
fn heap_json(dir: &Path, extra: &[&str]) -> (Output, Report, Vec<PathBuf>) {
    let report = dir.join("report.json");
    let out = run(tracekit()
        .arg("heap")
        .arg("--json")
        .arg("--report")
        .arg(&report)
        .arg("-o")
        .arg(dir.join("heap.%p.tklog"))
        .args(extra)
        .arg("--")
        .arg(example("heap_known")));
    let text = std::fs::read_to_string(&report)
        .unwrap_or_else(|e| panic!("no report ({e}); stderr:\n{}", stderr(&out)));
    let parsed: Report = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("report does not match the schema: {e}\n{text}"));
    let logs = parsed.logs.iter().map(PathBuf::from).collect();
    (out, parsed, logs)
}

/// Runs the example `program` with `args` under `tracekit heap --json --top 0` (every site,
/// the report in a file), with the environment variables `env` set (`None`: removed);
/// checks that it succeeded and returns the parsed report.
fn every_site(program: &str, args: &[&str], env: &[(&str, Option<&str>)]) -> Report {
    let dir = tempdir();
    let report = dir.path().join("report.json");
    let mut cmd = tracekit();
    cmd.args(["heap", "--json", "--top", "0", "--report"])
        .arg(&report)
        .arg("-o")
        .arg(dir.path().join("h.%p.tklog"))
        .arg("--")
        .arg(example(program))
        .args(args);
    for &(name, value) in env {
        match value {
            Some(v) => cmd.env(name, v),
            None => cmd.env_remove(name),
        };
    }
    let out = run(&mut cmd);
    assert_eq!(out.status.code(), Some(0), "stderr:\n{}", stderr(&out));
    serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap()
}

/// The line of heap_known.c that holds `needle`.
fn source_line(needle: &str) -> u32 {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/c/heap_known.c");
    let text = std::fs::read_to_string(&src).expect("read heap_known.c");
    let idx = text
        .lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle:?} not in heap_known.c"));
    idx as u32 + 1
}

/// The one site whose innermost frame is `function`.
fn site<'a>(r: &'a Report, function: &str) -> &'a Site {
    let found: Vec<&Site> = r
        .sites
        .iter()
        .filter(|s| s.frames.first().is_some_and(|f| f.function == function))
        .collect();
    assert_eq!(
        found.len(),
        1,
        "sites named {function}: {:#?}",
        r.sites
            .iter()
            .map(|s| s.frames.iter().map(|f| &f.function).collect::<Vec<_>>())
            .collect::<Vec<_>>()
    );
    found[0]
}

fn check_site(s: &Site, function: &str, line_of: &str, calls: u64, bytes: u64, leaked: (u64, u64)) {
    assert_eq!(s.function, function);
    let top = &s.frames[0];
    assert!(
        top.file
            .as_deref()
            .is_some_and(|f| f.ends_with("heap_known.c")),
        "{top:?}"
    );
    assert_eq!(top.line, Some(source_line(line_of)), "{top:?}");
    assert!(
        s.frames.iter().any(|f| f.function == "main"),
        "{:?}",
        s.frames
    );
    assert_eq!((s.calls, s.bytes, s.failed), (calls, bytes, 0), "{s:?}");
    assert_eq!((s.leaked.bytes, s.leaked.blocks), leaked, "{s:?}");
}

// ---- what heap_known does, exactly ----

#[test]
fn heap_known_json_is_exact() {
    let dir = tempdir();
    let (out, r, logs) = heap_json(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "stderr:\n{}", stderr(&out));
    assert_eq!(r.schema, "tracekit.heap-report/2");
    assert!(r.complete && r.damage.is_empty());
    assert_eq!(logs.len(), 1, "{logs:?}");
    assert_eq!(r.processes.len(), 1);
    assert_eq!(
        r.processes[0].exit,
        Some(Exit {
            code: Some(0),
            signal: None,
            // A C program: glibc's buffers were freed at exit, there is no libstdc++.
            freeres: vec!["glibc".to_owned()],
        })
    );
    // Calls per function: 1000 + 1 malloc, 10 calloc, 17 realloc (1, 2, ..., 65536),
    // 1000 + 7 + 1 free.
    let expected = Calls {
        malloc: 1001,
        calloc: 10,
        realloc: 17,
        free: 1008,
        ..Calls::default()
    };
    assert_eq!(r.calls, expected);
    // The peak: the 1000 blocks of 100 bytes, all live at once.
    assert_eq!(r.peak.heap_bytes, 100_000);
    // Leaks: three calloc(10, 50) and one malloc(4096).
    assert_eq!((r.leaked.bytes, r.leaked.blocks), (3 * 500 + 4096, 4));
    // Every block's size: 1000*100 + 10*500 + (1+2+...+65536) + 4096.
    assert_eq!(r.bytes_allocated, 100_000 + 5000 + 131_071 + 4096);
    // memusage's heap total counts a realloc's growth only: 65536 for the chain.
    assert_eq!(r.heap_total, 100_000 + 5000 + 65_536 + 4096);
    assert_eq!(
        r.valgrind,
        Valgrind {
            allocs: 1028,
            frees: 1024,
            bytes: 240_167
        }
    );
    assert_eq!(
        (r.frees.calls, r.frees.bytes, r.frees.untracked),
        (1008, 169_036, 0)
    );
    let row = |function: &str, calls, bytes, failed, realloc| Function {
        function: function.to_owned(),
        calls,
        bytes,
        failed,
        realloc,
    };
    // nomove depends on where glibc puts the blocks; the rest of the breakdown does not.
    let nomove = r.realloc.nomove;
    assert!(nomove <= 16, "{nomove}");
    assert_eq!(
        r.functions,
        [
            row("malloc", 1001, 104_096, Some(0), None),
            row(
                "realloc",
                17,
                65_536,
                Some(0),
                Some(ReallocCounts {
                    nomove,
                    dec: 0,
                    free: 0
                })
            ),
            row("calloc", 10, 5000, Some(0), None),
            row("free", 1008, 169_036, None, None),
        ]
    );
    assert_eq!((r.realloc.dec, r.realloc.free), (0, 0));
    assert_eq!(r.histogram.calls, 1028);
    // The timeline peaks at the peak, and ends at what leaked.
    let t = &r.processes[0].timeline;
    assert!(
        t.slice_ns.is_power_of_two() && t.heap_bytes.len() <= 64,
        "{t:?}"
    );
    assert_eq!(t.heap_bytes.iter().max(), Some(&100_000), "{t:?}");
    assert!(t.heap_bytes.last().is_some_and(|&b| b >= 5596), "{t:?}");
    // Temporary blocks, as heaptrack counts them: each block of the growth chain is released
    // by the very next event (16 reallocs, then the free of the last), and nothing else (the
    // first free of many_small follows the allocation of another block of the same site and
    // size, which heaptrack's interning takes for the same one; we do not).
    assert_eq!(r.temporary, 17);
    assert_eq!(site(&r, "growth_chain").temporary, 17);
    assert_eq!(site(&r, "many_small").temporary, 0);
    // Lifetimes: every released block is in the histogram (1024 frees), in the bucket of the
    // allocations made while it lived; the growth chain's blocks, each released by the next
    // call, and many_small's last block lived through none.
    let l = &r.lifetimes;
    assert_eq!(l.allocations.iter().map(|b| b.blocks).sum::<u64>(), 1024);
    assert_eq!(l.time_ns.iter().map(|b| b.blocks).sum::<u64>(), 1024);
    assert_eq!(
        l.allocations.first(),
        Some(&LifetimeRow {
            from: 0,
            to: 0,
            blocks: 17 + 1,
            bytes: 131_071 + 100
        })
    );
    assert_eq!(site(&r, "growth_chain").short_lived.blocks, 17);
    // many_small's block i lives through the 999 - i mallocs after it: the last 256 are
    // short-lived.
    assert_eq!(
        site(&r, "many_small").short_lived,
        Blocks {
            blocks: 256,
            bytes: 25_600
        }
    );
    assert_eq!(l.short_lived_allocs, 256);
    assert_eq!(
        l.short_lived,
        Blocks {
            blocks: 256 + 17 + 7,
            bytes: 25_600 + 131_071 + 3500
        }
    );
    assert_eq!(r.histogram.large, 1);
    assert!(r.crashes.is_empty() && r.fences.is_empty() && r.syscalls == 0);

    let many = site(&r, "many_small");
    check_site(
        many,
        "malloc",
        "keep[i] = malloc(100);",
        1000,
        100_000,
        (0, 0),
    );
    assert_eq!(many.peak_bytes, 100_000);
    let callocs = site(&r, "some_callocs");
    check_site(
        callocs,
        "calloc",
        "c[i] = calloc(10, 50);",
        10,
        5000,
        (1500, 3),
    );
    let chain = site(&r, "growth_chain");
    check_site(chain, "realloc", "p = realloc(p, n);", 17, 131_071, (0, 0));
    let leak = site(&r, "one_leak");
    check_site(
        leak,
        "malloc",
        "leaked[3] = malloc(4096);",
        1,
        4096,
        (4096, 1),
    );
    assert_eq!(r.sites.len(), 4, "nothing else allocates in heap_known");
    for s in &r.sites {
        assert_eq!(s.pid, r.processes[0].pid);
        assert_ne!(s.stack_id, 0);
    }
}

#[test]
fn heap_text_report_names_the_sites() {
    let dir = tempdir();
    let out = run(tracekit()
        .arg("heap")
        .arg("-o")
        .arg(dir.path().join("h.%p.tklog"))
        .arg("--")
        .arg(example("heap_known")));
    assert_eq!(out.status.code(), Some(0), "stderr:\n{}", stderr(&out));
    let err = stderr(&out);
    // The report goes to stderr, like memusage's, leaving the program's stdout alone.
    assert!(stdout(&out).is_empty());
    assert!(err.contains("log written to "), "{err}");
    assert!(
        err.contains("Memory usage summary: heap total: 174632, heap peak: 100000\n"),
        "{err}"
    );
    assert!(
        err.contains("Leaked at exit: 5596 bytes in 4 blocks\n"),
        "{err}"
    );
    for f in ["many_small", "some_callocs", "growth_chain", "one_leak"] {
        assert!(
            err.contains(&format!("      at {f} (heap_known.c:")),
            "{f}:\n{err}"
        );
    }
}

/// Backtraces end at `main`, as valgrind's do: glibc's start-up code below it is left out
/// while recording, unless `TRACEKIT_BELOW_MAIN=1` asks for it.
#[test]
fn backtraces_end_at_main_unless_below_main_is_asked() {
    for below in [false, true] {
        let r = every_site(
            "heap_known",
            &[],
            &[("TRACEKIT_BELOW_MAIN", below.then_some("1"))],
        );
        assert_eq!(r.sites.len(), 4);
        for s in &r.sites {
            let names: Vec<&str> = s.frames.iter().map(|f| f.function.as_str()).collect();
            let main = names
                .iter()
                .rposition(|&f| f == "main")
                .unwrap_or_else(|| panic!("no main in {names:?}"));
            let under = names.len() - main - 1;
            if below {
                assert!(under >= 2, "start-up frames missing: {names:?}");
            } else {
                assert_eq!(under, 0, "frames below main: {names:?}");
            }
        }
    }
}

/// Every allocation of a hot loop gets its own exact stack, though the tracker remembers
/// recent walks instead of walking again (`preload-rt/src/memo.rs`): heap_bench reaches its
/// three sites through 1 to 4 recursive calls picked by a xorshift generator, and the count
/// of each (site, depth) pair, worked out here from the same generator, must match the
/// report's sites one for one.
#[test]
fn hot_loop_stacks_are_exact_at_every_depth() {
    const N: u64 = 30_000;
    // heap_bench.c: each iteration draws r (depth r % 4, site i % 3), then the site draws
    // its size.
    let mut rng: u32 = 2_463_534_242;
    let mut next = || {
        rng ^= rng << 13;
        rng ^= rng >> 17;
        rng ^= rng << 5;
        rng
    };
    let mut want = std::collections::BTreeMap::new();
    for i in 0..N {
        let r = next();
        let site = ["site_malloc", "site_calloc", "site_realloc"][(i % 3) as usize];
        *want.entry((site.to_string(), r % 4)).or_insert(0u64) += 1;
        next();
    }
    let r = every_site("heap_bench", &[&N.to_string()], &[]);
    let mut by_frames = Vec::new();
    for s in &r.sites {
        let names: Vec<&str> = s.frames.iter().map(|f| f.function.as_str()).collect();
        if !names[0].starts_with("site_") {
            continue;
        }
        let descends = names.iter().filter(|&&f| f == "descend").count() as u32;
        assert_eq!(
            names[1..],
            [vec!["descend"; descends as usize], vec!["main"]].concat()[..],
            "{names:?}"
        );
        by_frames.push((names[0].to_string(), descends, s.calls));
    }
    // descend(0) may call its site as a tail call (gcc -O2 does), leaving no frame: depth
    // d shows d or d + 1 descend frames, the same for every site.
    let shallowest = by_frames.iter().map(|s| s.1).min().unwrap();
    let mut got = std::collections::BTreeMap::new();
    for (site, descends, calls) in by_frames {
        *got.entry((site, descends - shallowest)).or_insert(0u64) += calls;
    }
    assert_eq!(got, want);
}

/// Two callers reach one allocating function at the same stack depth, with the same return
/// addresses in the two innermost frames: a remembered walk must not lend one caller's stack
/// to the other, in one thread or in several at once (heap_callers: via_b when i % 3 == 0,
/// else via_a).
#[test]
fn callers_alike_up_to_the_third_frame_are_told_apart() {
    for threads in [1u64, 4] {
        let r = every_site("heap_callers", &["3000", &threads.to_string()], &[]);
        let calls = |via: &str| -> u64 {
            r.sites
                .iter()
                .filter(|s| {
                    let names: Vec<&str> = s.frames.iter().map(|f| f.function.as_str()).collect();
                    names.starts_with(&["leaf", "mid", via])
                })
                .map(|s| s.calls)
                .sum()
        };
        assert_eq!(
            (calls("via_a"), calls("via_b")),
            (2000 * threads, 1000 * threads),
            "{threads} threads: {:#?}",
            r.sites
        );
    }
}

/// Deep stacks are exact: heap_deep descends 50 to 81 frames through rec_a and rec_b along
/// paths that share their outer or their inner frames, allocating at several depths of each
/// descent, and counts its allocations per call path; the report's sites, read back as the
/// same letters, must have the same counts (walks that reuse what earlier walks found must
/// not lend one path's frames to another).
#[test]
fn deep_stacks_are_exact_on_every_path() {
    let dir = tempdir();
    let report = dir.path().join("report.json");
    let out = run(tracekit()
        .args(["heap", "--json", "--top", "0", "--report"])
        .arg(&report)
        .arg("-o")
        .arg(dir.path().join("h.%p.tklog"))
        .arg("--")
        .arg(example("heap_deep"))
        .arg("6000"));
    assert_eq!(out.status.code(), Some(0), "stderr:\n{}", stderr(&out));
    let r: Report = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    // The program's own counts, on its stdout.
    let mut want = std::collections::BTreeMap::new();
    for line in stdout(&out).lines() {
        if let Some((path, count)) = line.split_once(' ') {
            if !path.is_empty() && path.bytes().all(|b| b == b'a' || b == b'b') {
                *want.entry(path.to_string()).or_insert(0u64) += count.parse::<u64>().unwrap();
            }
        }
    }
    assert!(want.len() > 100, "{want:?}\n{}", stdout(&out));
    let mut got = std::collections::BTreeMap::new();
    for s in &r.sites {
        let names: Vec<&str> = s.frames.iter().map(|f| f.function.as_str()).collect();
        if names.first() != Some(&"leaf_alloc") {
            continue;
        }
        assert_eq!(names.last(), Some(&"main"), "{names:?}");
        // `step` is inlined into each rec_* frame (the report shows inlined frames too).
        let path: String = names[1..names.len() - 1]
            .iter()
            .rev()
            .filter_map(|f| match *f {
                "rec_a" => Some('a'),
                "rec_b" => Some('b'),
                "step" => None,
                other => panic!("{other} in {names:?}"),
            })
            .collect();
        *got.entry(path).or_insert(0u64) += s.calls;
    }
    assert_eq!(got, want);
}

// ---- the anchors ----

/// valgrind's memcheck counts blocks like `valgrind.*` and `leaked`: a realloc is a new block
/// (and a free of the old one), whole new size counted; `free(NULL)` is not counted. Its
/// "in use at exit" is our `leaked`.
#[test]
fn heap_known_matches_valgrind() {
    require_tool!("valgrind");
    let dir = tempdir();
    let (_, r, _) = heap_json(dir.path(), &[]);
    let out = run(Command::new("valgrind")
        .arg("--leak-check=full")
        .arg(example("heap_known")));
    let err = stderr(&out);
    let num = |s: &str| -> u64 { s.replace(',', "").parse().unwrap() };
    let in_use = err
        .lines()
        .find_map(|l| l.split_once("in use at exit: ").map(|x| x.1.to_owned()))
        .unwrap_or_else(|| panic!("no 'in use at exit' in:\n{err}"));
    let w: Vec<&str> = in_use.split_whitespace().collect(); // N bytes in M blocks
    assert_eq!(
        (num(w[0]), num(w[3])),
        (r.leaked.bytes, r.leaked.blocks),
        "{err}"
    );
    let usage = err
        .lines()
        .find_map(|l| l.split_once("total heap usage: ").map(|x| x.1.to_owned()))
        .unwrap_or_else(|| panic!("no 'total heap usage' in:\n{err}"));
    let w: Vec<&str> = usage.split_whitespace().collect(); // A allocs, F frees, B bytes allocated
    assert_eq!(
        (num(w[0]), num(w[2]), num(w[4])),
        (r.valgrind.allocs, r.valgrind.frees, r.bytes_allocated),
        "{err}"
    );
}

/// glibc memusage prints the same summary we print first; compare line by line. Two parts
/// differ by construction: memusage measures the stack (a preload cannot), and its realloc
/// "nomove" count depends on the block layout, which memusage changes by putting a 16-byte
/// header in front of every block. Everything else must be identical.
#[test]
fn heap_known_matches_memusage() {
    require_tool!("memusage");
    let dir = tempdir();
    let (_, _, logs) = heap_json(dir.path(), &[]);
    let ours = run(tracekit().arg("report").arg(&logs[0]));
    assert_eq!(ours.status.code(), Some(0), "{}", stderr(&ours));
    let ours = stdout(&ours);
    let theirs = run(Command::new("memusage").arg(example("heap_known")));
    let theirs = strip_ansi_escapes::strip_str(stderr(&theirs));
    let normalize = |text: &str| -> Vec<String> {
        text.lines()
            .skip_while(|l| !l.starts_with("Memory usage summary"))
            .take_while(|l| !l.is_empty())
            .map(|l| {
                let l = match l.find(", stack peak:") {
                    Some(i) => &l[..i],
                    None => l,
                };
                match l.find("(nomove:") {
                    Some(i) => format!(
                        "{}(nomove:_{}",
                        &l[..i],
                        &l[l[i..].find(',').unwrap() + i..]
                    ),
                    None => l.to_owned(),
                }
            })
            .collect()
    };
    let (o, t) = (normalize(&ours), normalize(&theirs));
    assert!(o.len() > 8, "{ours}");
    assert_eq!(o, t, "ours:\n{ours}\nmemusage:\n{theirs}");
}

// ---- gates ----

#[test]
fn heap_gates_fail_with_a_clear_message() {
    let dir = tempdir();
    let (out, _, logs) = heap_json(dir.path(), &["--max-peak", "64KiB", "--max-leaked", "1MB"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(
            "tracekit: heap peak 100000 bytes (pid " //
        ) && err.contains(") exceeds --max-peak 64KiB (65536 bytes)\n"),
        "{err}"
    );
    assert!(!err.contains("--max-leaked"), "{err}");

    let ok = run(tracekit()
        .args(["report", "--max-peak", "100000", "--max-leaked", "5596"])
        .arg(&logs[0]));
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    // The log on standard input (`-`); `run` gives the command /dev/null, so a shell redirects.
    let leak = run(Command::new("sh")
        .args(["-c", "exec \"$0\" report --max-leaked 4KiB - < \"$1\""])
        .arg(bin("tracekit"))
        .arg(&logs[0]));
    assert_eq!(leak.status.code(), Some(1));
    assert!(
        stderr(&leak).contains(
            "tracekit: 5596 bytes leaked in 4 blocks exceeds --max-leaked 4KiB (4096 bytes)"
        ),
        "{}",
        stderr(&leak)
    );
}

// ---- exit status, processes ----

#[test]
fn heap_passes_on_exit_status_and_signals() {
    let dir = tempdir();
    let o = |script: &str| {
        run(tracekit()
            .arg("heap")
            .arg("-o")
            .arg(dir.path().join("s.%p.tklog"))
            .args(["--", "sh", "-c", script]))
    };
    assert_eq!(o("exit 7").status.code(), Some(7));
    assert_eq!(o("kill -TERM $$").status.code(), Some(128 + libc::SIGTERM));
}

#[test]
fn heap_reports_every_process_of_a_forking_command() {
    let dir = tempdir();
    let report = dir.path().join("r.json");
    // sh forks for `ls` (and runs the last command in a second child it waits for).
    let out = run(tracekit()
        .arg("heap")
        .arg("--json")
        .arg("--report")
        .arg(&report)
        .arg("-o")
        .arg(dir.path().join("f.%p.tklog"))
        // Follow the exec of `ls` in each child: the preload then traces it.
        .arg("--follow-exec")
        .args([
            "--",
            "sh",
            "-c",
            "ls / >/dev/null; ls /tmp >/dev/null; exit 3",
        ]));
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let r: Report = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert!(r.processes.len() >= 3, "{:?}\n{}", r.logs, stderr(&out));
    let sh = r.processes[0].pid;
    let children: Vec<&ProcessJson> = r.processes.iter().filter(|p| p.ppid == sh).collect();
    assert!(
        children.len() >= 2,
        "{:?}",
        r.processes
            .iter()
            .map(|p| (p.pid, p.ppid))
            .collect::<Vec<_>>()
    );
    // The totals add up the processes.
    let sum: u64 = r.processes.iter().map(|p| p.calls.malloc).sum();
    assert_eq!(r.calls.malloc, sum);
    // (Small output: `run` reads the pipes only after the exit, so more than 64 KiB would block.)
    let text = run(tracekit()
        .args(["report", "--per-process", "--top", "2", "--depth", "4"])
        .args(&r.logs));
    let text = stdout(&text);
    assert!(
        text.starts_with(&format!("{} processes: heap total: ", r.processes.len())),
        "{text}"
    );
    assert!(text.contains(&format!("== process {sh} (")), "{text}");
    // Only the `ls` processes, as memusage --progname does.
    let mut args: Vec<&std::ffi::OsStr> = ["report", "--json", "--progname", "ls"]
        .iter()
        .map(std::ffi::OsStr::new)
        .collect();
    args.extend(r.logs.iter().map(std::ffi::OsStr::new));
    let (o, json) = tracekit_big(&args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let ls: Report = serde_json::from_str(&json).unwrap();
    assert_eq!(ls.processes.len(), r.processes.len() - 1);
    assert!(ls.processes.iter().all(|p| p.exe.ends_with("/ls")));
    assert!(ls.sites.iter().all(|s| s.pid != sh));
}

// ---- bad input ----

fn one_line_error(o: &Output, code: i32, needle: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(code), "{err}");
    assert!(err.contains(needle), "{needle:?} not in {err:?}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn bad_input_gives_one_clear_line() {
    let dir = tempdir();
    let e = run(tracekit().arg("heap"));
    one_line_error(&e, 2, "tracekit: heap: no command given");
    assert_eq!(stderr(&e).lines().count(), 1);

    let e = run(tracekit().args(["heap", "--bogus", "--", "true"]));
    one_line_error(&e, 2, "tracekit: unexpected argument '--bogus' found");
    assert_eq!(stderr(&e).lines().count(), 1);

    let e = run(tracekit().args(["report", "--bogus", "x.tklog"]));
    one_line_error(&e, 2, "tracekit: unexpected argument '--bogus' found");
    assert_eq!(stderr(&e).lines().count(), 1);

    let e = run(tracekit().args(["heap", "--", "/no/such/program"]));
    one_line_error(
        &e,
        127,
        "tracekit: cannot run /no/such/program: No such file or directory",
    );

    let e = run(tracekit().args(["heap", "--preload", "/no/such.so", "--", "true"]));
    one_line_error(&e, 2, "tracekit: preload library not found: /no/such.so");
    assert_eq!(stderr(&e).lines().count(), 1);

    let e = run(tracekit()
        .env("TRACEKIT_PRELOAD_DIR", dir.path())
        .args(["heap", "--", "true"]));
    one_line_error(&e, 2, "(TRACEKIT_PRELOAD_DIR)");

    let e = run(tracekit().args(["report", "/no/such.tklog"]));
    one_line_error(
        &e,
        2,
        "tracekit: cannot open /no/such.tklog: No such file or directory",
    );

    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "hello").unwrap();
    let e = run(tracekit().arg("report").arg(&text));
    one_line_error(&e, 2, "not a tracekit log (bad magic at byte 0)");

    let e = run(tracekit().args(["report", "--max-peak", "12XB", "x.tklog"]));
    one_line_error(&e, 2, "invalid size \"12XB\"");

    let e = run(tracekit().arg("report"));
    one_line_error(
        &e,
        2,
        "tracekit: the following required arguments were not provided: <LOG>...",
    );
    assert_eq!(stderr(&e).lines().count(), 1);
}

#[test]
fn damaged_real_log_reports_the_rest_and_the_offset() {
    let dir = tempdir();
    let (_, full, logs) = heap_json(dir.path(), &[]);
    let bytes = std::fs::read(&logs[0]).unwrap();

    // Garbage after a complete log (a chunk tag with an unknown codec): every event is
    // reported, and the damage is where the garbage starts.
    let tail = dir.path().join("tail.tklog");
    let mut damaged = bytes.clone();
    damaged.extend_from_slice(&[0xff, 0x01, 0x02, 0x03]);
    std::fs::write(&tail, &damaged).unwrap();
    let j = run(tracekit().args(["report", "--json"]).arg(&tail));
    assert_eq!(j.status.code(), Some(3), "{}", stderr(&j));
    let r: Report = serde_json::from_str(&stdout(&j)).unwrap();
    assert!(!r.complete);
    assert_eq!(r.damage.len(), 1);
    assert_eq!(r.damage[0].offset, bytes.len() as u64);
    assert_eq!(r.calls, full.calls);
    assert_eq!(
        (r.leaked, r.peak.heap_bytes),
        (full.leaked, full.peak.heap_bytes)
    );
    // dump prints far more than a pipe holds, and `run` reads pipes only at the exit: a file.
    let dumped = dir.path().join("tail.jsonl");
    let d = run(Command::new("sh")
        .args(["-c", "exec \"$0\" dump \"$1\" > \"$2\""])
        .arg(bin("tracekit"))
        .arg(&tail)
        .arg(&dumped));
    assert_eq!(d.status.code(), Some(3), "{}", stderr(&d));
    let jsonl = std::fs::read_to_string(&dumped).unwrap();
    assert!(jsonl
        .lines()
        .last()
        .is_some_and(|l| l.contains("\"type\":\"exit\"")));
    let err = stderr(&j);
    assert!(
        err.starts_with(&format!(
            "tracekit: {}: corrupt log at byte {}",
            tail.display(),
            bytes.len()
        )),
        "{err}"
    );

    // Cut short: the reader's message with the offset on stderr, exit 3, the text report of
    // whatever precedes the cut on stdout.
    let cut = dir.path().join("cut.tklog");
    std::fs::write(&cut, &bytes[..bytes.len() - 3]).unwrap();
    let o = run(tracekit().arg("report").arg(&cut));
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains(" is truncated at byte "), "{err}");
    assert!(stdout(&o).starts_with("WARNING: "), "{}", stdout(&o));
}

#[test]
fn heap_reports_a_forked_child_without_exec() {
    require_tool!("perl");
    let dir = tempdir();
    let report = dir.path().join("r.json");
    // The child allocates a known amount: 1000 strings of 1..=1000 bytes, then exits.
    let script = r#"my $p = fork; if ($p == 0) { my @a = map { "x" x $_ } (1..1000); exit 0 } waitpid($p, 0); exit 5"#;
    let out = run(tracekit()
        .args(["heap", "--json", "--report"])
        .arg(&report)
        .arg("-o")
        .arg(dir.path().join("p.%p.tklog"))
        .args(["--", "perl", "-e", script]));
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    let r: Report = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(r.processes.len(), 2, "{:?}", r.logs);
    let (parent, child) = (&r.processes[0], &r.processes[1]);
    assert_eq!(child.ppid, parent.pid);
    assert_eq!(parent.exit.as_ref().and_then(|e| e.code), Some(5));
    assert_eq!(child.exit.as_ref().and_then(|e| e.code), Some(0));
    // The child's own allocations: at least the 500500 bytes of strings.
    assert!(
        child.bytes_allocated >= 500_500,
        "{}",
        child.bytes_allocated
    );
    assert!(
        child.peak.heap_bytes >= 500_500,
        "{}",
        child.peak.heap_bytes
    );
    assert_eq!(r.peak.pid, child.pid);
    assert_eq!(
        r.bytes_allocated,
        parent.bytes_allocated + child.bytes_allocated
    );
}

/// (syscall, calls, errors) rows of a strace `-c` table.
fn strace_rows(table: &str) -> Vec<(String, u64, u64)> {
    let mut rows: Vec<(String, u64, u64)> = table
        .lines()
        .skip_while(|l| !l.starts_with("------"))
        .skip(1)
        .take_while(|l| !l.starts_with("------"))
        .map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            let errors = if w.len() == 6 {
                w[4].parse().unwrap()
            } else {
                0
            };
            (w[w.len() - 1].to_owned(), w[3].parse().unwrap(), errors)
        })
        .collect();
    rows.sort();
    rows
}

#[test]
fn report_prints_the_strace_table_of_a_strace_rs_log() {
    let dir = tempdir();
    let log = dir.path().join("s.tklog");
    let traced = run(Command::new(bin("strace-rs"))
        .arg("-c")
        .arg("--log")
        .arg(&log)
        .args(["--", "/bin/true"]));
    assert_eq!(traced.status.code(), Some(0), "{}", stderr(&traced));
    let o = run(tracekit().arg("report").arg(&log));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.starts_with("System calls: "), "{text}");
    // Same calls and errors per syscall as strace-rs's own -c of that run (the times differ:
    // the log gives wall-clock latencies).
    let ours = strace_rows(&text);
    assert!(ours.iter().any(|r| r.0 == "execve"), "{text}");
    assert_eq!(ours, strace_rows(&stderr(&traced)), "{text}");
}

#[test]
fn report_prints_the_crash_of_a_segv_log() {
    let dir = tempdir();
    let log = dir.path().join("c.tklog");
    let crashed = run(tracekit()
        .args(["segv", "--log"])
        .arg(&log)
        .arg("--")
        .arg(example("crash_null")));
    assert_ne!(crashed.status.code(), Some(0), "{}", stderr(&crashed));
    let o = run(tracekit().arg("report").arg(&log));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.starts_with("Crash of process "), "{text}");
    assert!(text.contains("SIGSEGV"), "{text}");
    assert!(text.contains("set_value"), "{text}");
    let j = run(tracekit().args(["report", "--json"]).arg(&log));
    let r: Report = serde_json::from_str(&stdout(&j)).unwrap();
    assert_eq!(r.crashes.len(), 1);
    assert_eq!(r.crashes[0]["signal"], 11);
}

/// Ctrl-C reaches the whole foreground process group: the command dies of it, and `tracekit
/// heap` (which ignores it while waiting, as `time` does) still prints the report and exits
/// 128 + SIGINT.
#[test]
fn heap_survives_ctrl_c_and_reports() {
    use std::os::unix::process::CommandExt;
    let dir = tempdir();
    let mut cmd = tracekit();
    cmd.arg("heap")
        .arg("-o")
        .arg(dir.path().join("i.%p.tklog"))
        .args(["--", "sleep", "5"])
        .process_group(0)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = cmd.spawn().unwrap();
    let pgid = child.id() as i32;
    // Wait until the command runs (its log exists) and tracekit waits for it with SIGINT
    // ignored (a Ctrl-C typed before that kills tracekit too, as it would `time`; on a busy
    // machine tracekit can get there well after the log appears), then interrupt the group.
    while std::fs::read_dir(dir.path()).unwrap().next().is_none() {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let ignores_sigint = || {
        let status = std::fs::read_to_string(format!("/proc/{pgid}/status")).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("SigIgn:"))
            .and_then(|m| u64::from_str_radix(m.trim(), 16).ok())
            .is_some_and(|m| m & (1 << (libc::SIGINT - 1)) != 0)
    };
    for _ in 0..1500 {
        if ignores_sigint() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(
        ignores_sigint(),
        "tracekit never ignored SIGINT while the command ran"
    );
    std::thread::sleep(std::time::Duration::from_millis(100));
    // SAFETY: kill(2) with a process group we created; no memory is involved.
    assert_eq!(unsafe { libc::kill(-pgid, libc::SIGINT) }, 0);
    let out = child.wait_with_output().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(128 + libc::SIGINT), "{err}");
    assert!(err.contains("Memory usage summary: "), "{err}");
}

/// A program rebuilt after the run is not symbolized with the new file: its frames stay
/// unknown, and say why (in a log left unpacked: a packed one has its own symbols, see
/// `selfcontained.rs`).
#[test]
fn rebuilt_binary_is_not_symbolized_wrongly() {
    let dir = tempdir();
    let exe = dir.path().join("heap_known");
    std::fs::copy(example("heap_known"), &exe).unwrap();
    let out = run(tracekit()
        .arg("heap")
        .arg("--no-pack")
        .arg("-o")
        .arg(dir.path().join("r.%p.tklog"))
        .arg("--")
        .arg(&exe));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // "Rebuild" it: another program at the same path.
    std::fs::remove_file(&exe).unwrap();
    std::fs::copy(example("heap_funcs"), &exe).unwrap();
    let logs: Vec<PathBuf> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "tklog"))
        .collect();
    let j = run(tracekit().args(["report", "--json"]).args(&logs));
    let r: Report = serde_json::from_str(&stdout(&j)).unwrap();
    let ours: Vec<&Frame> = r
        .sites
        .iter()
        .flat_map(|s| &s.frames)
        .filter(|f| f.module.as_deref() == Some(exe.to_str().unwrap()))
        .collect();
    assert!(!ours.is_empty());
    for f in ours {
        assert_eq!(f.function, "??", "{f:?}");
        assert!(
            f.note.as_deref().is_some_and(|n| n.contains("build-id")),
            "{f:?}"
        );
    }
    let text = stdout(&run(tracekit().arg("report").args(&logs)));
    assert!(text.contains("build-id differs"), "{text}");
}

/// A static program cannot load the preload library: no log, a clear message, the program's
/// status when it failed, else 2 (no report was made; see heap_launch.rs for the run
/// directory it leaves behind: none).
#[test]
fn static_program_gives_a_clear_message() {
    require_tool!("gcc");
    let dir = tempdir();
    let src = dir.path().join("s.c");
    std::fs::write(
        &src,
        "#include <stdlib.h>\nint main(int argc, char **argv) { return malloc(10) ? argc > 1 ? 4 : 0 : 1; }\n",
    )
    .unwrap();
    let exe = dir.path().join("s");
    let cc = run(Command::new("gcc")
        .arg("-static")
        .arg("-o")
        .arg(&exe)
        .arg(&src));
    assert!(cc.status.success(), "gcc -static: {}", stderr(&cc));
    let log = dir.path().join("s.%p.tklog");
    let o = run(tracekit()
        .arg("heap")
        .arg("-o")
        .arg(&log)
        .arg("--")
        .arg(&exe)
        .arg("fail"));
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("tracekit heap: no log was written to "),
        "{}",
        stderr(&o)
    );
    let o = run(tracekit()
        .args(["heap", "--max-leaked", "0", "-o"])
        .arg(&log)
        .arg("--")
        .arg(&exe));
    assert_eq!(
        o.status.code(),
        Some(2),
        "gate not checkable: {}",
        stderr(&o)
    );
}

/// `tracekit report ... | head` is not an error: a closed pipe ends the output quietly. (Every
/// site of a perl run, and a dump, are far more than a pipe buffer.)
#[test]
fn closed_pipe_is_not_an_error() {
    require_tool!("perl");
    let dir = tempdir();
    let out = run(tracekit()
        .args(["heap", "--report", "/dev/null", "-o"])
        .arg(dir.path().join("p.%p.tklog"))
        .args(["--", "perl", "-e", "my @a = map { 'x' x $_ } 1..100"]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let log = std::fs::read_dir(dir.path())
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    for args in [
        &["report", "--top", "0", "--depth", "0"][..],
        &["report", "--json", "--top", "0"],
        &["dump"],
    ] {
        let o = run(Command::new("bash")
            .args([
                "-c",
                "\"$0\" \"$@\" | head -c 1 >/dev/null; exit ${PIPESTATUS[0]}",
            ])
            .arg(bin("tracekit"))
            .args(args)
            .arg(&log));
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).is_empty(), "{args:?}: {}", stderr(&o));
    }
}

#[test]
fn collapsed_stacks_of_a_real_run() {
    let dir = tempdir();
    let (_, _, logs) = heap_json(dir.path(), &[]);
    let folded = dir.path().join("heap.folded");
    let o = run(tracekit()
        .args(["report", "--collapsed"])
        .arg(&folded)
        .arg(&logs[0]));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = std::fs::read_to_string(&folded).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines,
        [
            "main;growth_chain 131071",
            "main;many_small 100000",
            "main;one_leak 4096",
            "main;some_callocs 5000"
        ],
        "{text}"
    );
}

/// Regression: C functions named like Itanium type codes (`f`, `i`, `d`) were printed as
/// `float`, `int`, `double`: names that are not mangled went through the C++ demangler.
#[test]
fn c_function_named_f_is_not_demangled_to_float() {
    let r = every_site("heap_short_names", &[], &[]);
    let f = site(&r, "f");
    assert_eq!((f.calls, f.bytes, f.leaked.bytes), (1, 100, 100), "{f:?}");
    let i = site(&r, "i");
    assert_eq!((i.calls, i.bytes, i.leaked.bytes), (2, 400, 400), "{i:?}");
    let d = site(&r, "d");
    assert_eq!((d.calls, d.bytes, d.leaked.bytes), (1, 300, 0), "{d:?}");
    for s in [f, i, d] {
        assert!(
            s.frames[0]
                .file
                .as_deref()
                .is_some_and(|p| p.ends_with("heap_short_names.c")),
            "{s:?}"
        );
        assert_eq!(s.frames[1].function, "main", "{s:?}");
    }
    let every_name: Vec<&str> = r
        .sites
        .iter()
        .flat_map(|s| s.frames.iter().map(|f| f.function.as_str()))
        .collect();
    for wrong in ["float", "int", "double"] {
        assert!(!every_name.contains(&wrong), "{wrong}: {every_name:?}");
    }

    // The text report names them the same way.
    let dir = tempdir();
    let out = run(tracekit()
        .args(["heap", "--top", "0", "-o"])
        .arg(dir.path().join("h.%p.tklog"))
        .arg("--")
        .arg(example("heap_short_names")));
    assert_eq!(out.status.code(), Some(0), "stderr:\n{}", stderr(&out));
    let err = stderr(&out);
    for name in ["f", "i", "d"] {
        assert!(
            err.contains(&format!("      at {name} (heap_short_names.c:")),
            "{name}:\n{err}"
        );
    }
    assert!(!err.contains("float"), "{err}");
}
