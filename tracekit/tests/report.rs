//! The report printers on logs built here with `FileWriter`: exact text (insta snapshots) and
//! JSON, without needing the preload library.

use std::collections::HashMap;

use tracekit::analysis::Analysis;
use tracekit::export::text;
use tracekit::export::{ExportOptions, Format};
use tracekit::model::{build, Selection};
use tracekit::report::{self as rep, Config, Gates};
use tracekit::symbols::{Resolve, ResolvedFrame};
use tracekit_log::{
    Alloc, AllocKind, Arch, Bytes, Codec, Event, Exit, FileWriter, Free, FreeKind, Module, Process,
    Realloc, Segment, Stack,
};

const BASE: u64 = 0x5555_0000_0000;
/// Return addresses inside the fake executable, one per function.
const MAIN: u64 = BASE + 0x1300;
const MANY_SMALL: u64 = BASE + 0x1180;
const SOME_CALLOCS: u64 = BASE + 0x1200;
const GROWTH: u64 = BASE + 0x1250;
const ONE_LEAK: u64 = BASE + 0x12a0;
/// The faulting instruction in many_small (a fence's access stack starts with it, not with a
/// return address: the report resolves it as is, which the fake resolver sees as `FAULT + 1`).
const FAULT: u64 = BASE + 0x1170;
const HOOK: u64 = 0x7f00_0000_1080;

/// Names the fake addresses, like DWARF would.
struct FakeSymbols(HashMap<u64, (&'static str, u32)>);

impl FakeSymbols {
    fn new() -> Self {
        FakeSymbols(HashMap::from([
            (MAIN, ("main", 45)),
            (MANY_SMALL, ("many_small", 17)),
            (SOME_CALLOCS, ("some_callocs", 24)),
            (GROWTH, ("growth_chain", 32)),
            (ONE_LEAK, ("one_leak", 39)),
            (FAULT + 1, ("many_small", 17)),
        ]))
    }
}

impl Resolve for FakeSymbols {
    fn resolve(&mut self, _: usize, modules: &[Module<'static>], addr: u64) -> Vec<ResolvedFrame> {
        let module = modules
            .iter()
            .find(|m| m.contains(addr - 1))
            .map(|m| m.path.to_string_lossy().into_owned());
        let (function, file, line) = match self.0.get(&addr) {
            Some(&(f, l)) => (
                f.to_owned(),
                Some("/src/examples/c/heap_known.c".to_owned()),
                Some(l),
            ),
            None => ("??".to_owned(), None, None),
        };
        vec![ResolvedFrame {
            addr,
            module,
            function,
            file,
            line,
            inlined: false,
            ..ResolvedFrame::default()
        }]
    }
}

fn module(path: &'static str, base: u64) -> Event<'static> {
    Event::Module(Module {
        time_ns: 0,
        base,
        path: Bytes::from(path),
        build_id: vec![0xab, 0xcd].into(),
        segments: vec![Segment {
            vaddr: 0x1000,
            memsz: 0x1000,
            file_offset: 0x1000,
            flags: 5,
        }]
        .into(),
    })
}

fn process(pid: u32, ppid: u32) -> Event<'static> {
    Event::Process(Process {
        pid,
        ppid,
        start_unix_ns: 1_700_000_000_000_000_000,
        start_mono_ns: 1000,
        exe: Bytes::from("/build/heap_known"),
        cmdline: Bytes::from("/build/heap_known\0"),
        tool: Bytes::from("heaptrack"),
        arch: Arch::X86_64,
        clock_res_ns: 0,
    })
}

fn stack(id: u64, frames: &[u64]) -> Event<'static> {
    Event::Stack(Stack {
        id,
        frames: frames.to_vec().into(),
    })
}

fn alloc(t: u64, kind: AllocKind, ptr: u64, size: u64, stack: u64) -> Event<'static> {
    Event::Alloc(Alloc {
        time_ns: t,
        tid: 7,
        kind,
        ptr,
        size,
        align: 0,
        stack,
    })
}

fn free(t: u64, ptr: u64) -> Event<'static> {
    Event::Free(Free {
        time_ns: t,
        tid: 7,
        kind: FreeKind::Free,
        ptr,
        size: 0,
        stack: 0,
    })
}

fn realloc(t: u64, old: u64, new: u64, size: u64, stack: u64) -> Event<'static> {
    Event::Realloc(Realloc {
        time_ns: t,
        tid: 7,
        kind: AllocKind::Realloc,
        old_ptr: old,
        new_ptr: new,
        size,
        stack,
    })
}

/// What examples/c/heap_known.c does, as the preload would record it (with its own hook frame
/// on top of every stack, which the report drops).
fn heap_known(pid: u32, ppid: u32) -> Vec<Event<'static>> {
    let mut ev = vec![
        process(pid, ppid),
        module("/build/heap_known", BASE),
        module("/build/libpreload_heaptrack.so", 0x7f00_0000_0000),
        stack(1, &[HOOK, MANY_SMALL, MAIN]),
        stack(2, &[HOOK, SOME_CALLOCS, MAIN]),
        stack(3, &[HOOK, GROWTH, MAIN]),
        stack(4, &[HOOK, ONE_LEAK, MAIN]),
    ];
    let mut t = 1_000_000;
    let mut tick = || {
        t += 1000;
        t
    };
    for i in 0..1000 {
        ev.push(alloc(
            tick(),
            AllocKind::Malloc,
            0x10_0000 + i * 0x70,
            100,
            1,
        ));
    }
    for i in 0..1000 {
        ev.push(free(tick(), 0x10_0000 + i * 0x70));
    }
    for i in 0..10 {
        ev.push(alloc(
            tick(),
            AllocKind::Calloc,
            0x20_0000 + i * 0x200,
            500,
            2,
        ));
    }
    for i in 0..7 {
        ev.push(free(tick(), 0x20_0000 + i * 0x200));
    }
    // The growth chain: 2^k moves when k is a multiple of 3, else grows in place.
    let mut p = 0;
    let mut n: u64 = 1;
    while n <= 65536 {
        let new = if p != 0 && !n.trailing_zeros().is_multiple_of(3) {
            p
        } else {
            0x30_0000 + n * 2
        };
        ev.push(realloc(tick(), p, new, n, 3));
        p = new;
        n *= 2;
    }
    ev.push(free(tick(), p));
    ev.push(alloc(tick(), AllocKind::Malloc, 0x40_0000, 4096, 4));
    ev.push(Event::Exit(Exit {
        time_ns: tick(),
        pid,
        code: Some(0),
        signal: None,
        freeres: 0,
    }));
    ev
}

fn encode(events: &[Event<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut w = FileWriter::new(&mut out, Codec::Zstd).unwrap();
    for e in events {
        w.write(e).unwrap();
    }
    w.finish().unwrap();
    out
}

/// A report config: `format`, 3 sites per ranking, no symbols, `gates`.
fn plain_config(format: Format, gates: Gates) -> Config {
    Config {
        format,
        top: 3,
        symbolize: false,
        per_process: false,
        depth: 12,
        also: vec![],
        progname: None,
        gates,
        lifetimes: false,
        leak: Default::default(),
        command_killed: None,
        time: tracekit::model::graph::TimeAxis::Auto,
        pages_as_heap: false,
    }
}

fn analyse(logs: &[(&str, Vec<u8>)]) -> Analysis {
    let mut a = Analysis::new();
    for (name, bytes) in logs {
        a.read_log(name, &bytes[..]).unwrap();
    }
    a
}

fn text_of(a: &Analysis, names: &[String], top: usize) -> String {
    text_with(
        a,
        names,
        ExportOptions {
            top,
            per_process: false,
            depth: 12,
            lifetimes: false,
        },
    )
}

fn text_with(a: &Analysis, names: &[String], opts: ExportOptions) -> String {
    let report = build(
        a,
        names,
        Selection { top: opts.top },
        &mut FakeSymbols::new(),
    );
    let mut out = Vec::new();
    text::write(&report, opts, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn heap_known_numbers_match_memusage_definitions() {
    let a = analyse(&[("heap_known.log", encode(&heap_known(100, 1)))]);
    let r = build(
        &a,
        &["x".into()],
        Selection { top: 10 },
        &mut FakeSymbols::new(),
    );
    let t = &r.heap.total;
    // The figures glibc memusage prints for the real program (see the e2e test).
    assert_eq!(t.heap_total, 174_632);
    assert_eq!(t.peak.heap_bytes, 100_000);
    assert_eq!(t.calls.get("malloc"), 1001);
    assert_eq!(t.calls.get("calloc"), 10);
    assert_eq!(t.calls.get("realloc"), 17);
    assert_eq!(t.calls.get("free"), 1008);
    assert_eq!(t.frees.bytes, 169_036);
    assert_eq!((t.leaked.bytes, t.leaked.blocks), (5596, 4));
    // valgrind's: 1,028 allocs, 1,024 frees, 240,167 bytes allocated.
    assert_eq!(
        (t.valgrind.allocs, t.valgrind.frees, t.bytes_allocated),
        (1028, 1024, 240_167)
    );
    assert_eq!(t.histogram.calls, 1028);
    assert_eq!(r.heap.sites.len(), 4);
    let many = r
        .heap
        .sites
        .iter()
        .find(|s| s.frames[0].function == "many_small")
        .unwrap();
    assert_eq!(
        (many.calls, many.bytes, many.peak_bytes),
        (1000, 100_000, 100_000)
    );
    let callocs = r
        .heap
        .sites
        .iter()
        .find(|s| s.frames[0].function == "some_callocs")
        .unwrap();
    assert_eq!(
        (
            callocs.leaked.bytes,
            callocs.leaked.blocks,
            callocs.peak_bytes
        ),
        (1500, 3, 0)
    );
}

#[test]
fn text_report_single_process() {
    let a = analyse(&[("heap_known.log", encode(&heap_known(100, 1)))]);
    insta::assert_snapshot!(text_of(&a, &["heap_known.log".into()], 10));
}

#[test]
fn text_report_top_limits_each_ranking() {
    let a = analyse(&[("heap_known.log", encode(&heap_known(100, 1)))]);
    insta::assert_snapshot!(text_of(&a, &["heap_known.log".into()], 1));
}

#[test]
fn text_report_several_processes() {
    let a = analyse(&[
        ("parent.log", encode(&heap_known(100, 1))),
        ("child.log", encode(&heap_known(101, 100)[..1500])),
    ]);
    insta::assert_snapshot!(text_of(&a, &["parent.log".into(), "child.log".into()], 2));
}

#[test]
fn text_report_several_processes_in_full() {
    let a = analyse(&[
        ("parent.log", encode(&heap_known(100, 1))),
        ("child.log", encode(&heap_known(101, 100)[..1500])),
    ]);
    let opts = ExportOptions {
        top: 1,
        per_process: true,
        depth: 1,
        lifetimes: false,
    };
    insta::assert_snapshot!(text_with(
        &a,
        &["parent.log".into(), "child.log".into()],
        opts
    ));
}

#[test]
fn json_report_schema() {
    let a = analyse(&[("heap_known.log", encode(&heap_known(100, 1)))]);
    let r = build(
        &a,
        &["heap_known.log".into()],
        Selection { top: 10 },
        &mut FakeSymbols::new(),
    );
    insta::assert_json_snapshot!(r);
}

#[test]
fn memusage_layout_is_exact() {
    // glibc memusage's output for heap_known, with the colour escapes and the stack peak
    // removed; the nomove count is what this synthetic log does.
    let a = analyse(&[("heap_known.log", encode(&heap_known(100, 1)))]);
    let r = build(&a, &[], Selection { top: 10 }, &mut FakeSymbols::new());
    let mut out = Vec::new();
    text::write_memusage(&r.heap.total, &mut out).unwrap();
    let expected = "\
Memory usage summary: heap total: 174632, heap peak: 100000
         total calls   total memory   failed calls
 malloc|       1001         104096              0
realloc|         17          65536              0  (nomove:11, dec:0, free:0)
 calloc|         10           5000              0
   free|       1008         169036
Histogram for block sizes:
    0-15              4  <1% 
   16-31              1  <1% 
   32-47              1  <1% 
   64-79              1  <1% 
   96-111          1000  97% ==================================================
  128-143             1  <1% 
  256-271             1  <1% 
  496-511            10  <1% 
  512-527             1  <1% 
 1024-1039            1  <1% 
 2048-2063            1  <1% 
 4096-4111            2  <1% 
 8192-8207            1  <1% 
16384-16399           1  <1% 
32768-32783           1  <1% 
   large              1  <1% 
";
    assert_eq!(String::from_utf8(out).unwrap(), expected);
}

#[test]
fn realloc_edge_cases_follow_memusage() {
    let ev = vec![
        process(5, 1),
        realloc(1, 0, 0x100, 100, 0), // acts as malloc: a realloc call
        realloc(2, 0x100, 0x100, 40, 0), // shrinks in place: nomove and dec
        realloc(3, 0x100, 0, 0, 0),   // realloc(p, 0): free:1, bytes to free's row
        realloc(4, 0, 0, 1 << 40, 0), // fails
        free(5, 0),                   // free(NULL): a call, nothing released
        free(6, 0xdead),              // never allocated here
        alloc(7, AllocKind::Malloc, 0, 1 << 40, 0), // fails
    ];
    let a = analyse(&[("e.log", encode(&ev))]);
    let r = build(&a, &[], Selection { top: 10 }, &mut FakeSymbols::new());
    let t = &r.heap.total;
    assert_eq!(t.calls.get("realloc"), 4);
    assert_eq!((t.realloc.nomove, t.realloc.dec, t.realloc.free), (1, 1, 1));
    let row = |name: &str| {
        t.functions
            .iter()
            .find(|f| f.function == name)
            .unwrap()
            .clone()
    };
    assert_eq!(
        (row("realloc").bytes, row("realloc").failed),
        (100 + (1 << 40), Some(1))
    );
    assert_eq!((row("malloc").calls, row("malloc").failed), (1, Some(1)));
    assert_eq!((row("free").calls, row("free").bytes), (2, 40));
    assert_eq!(t.frees.untracked, 1);
    assert_eq!(t.peak.heap_bytes, 100);
    assert_eq!((t.leaked.bytes, t.leaked.blocks), (0, 0));
    // Histogram: realloc(p, 0) is not counted; the failed calls are.
    assert_eq!(t.histogram.calls, 4);
    assert_eq!(t.heap_total, 100 + (1 << 40) + (1 << 40));
}

#[test]
fn peak_attribution_is_the_moment_of_the_peak() {
    // Site 1 holds 300 at the peak (t=3); afterwards site 1 shrinks and site 2 grows, but never
    // past the peak: the attribution must be the state at t=3.
    let ev = vec![
        process(5, 1),
        alloc(1, AllocKind::Malloc, 0x10, 100, 1),
        alloc(2, AllocKind::Malloc, 0x20, 200, 1),
        alloc(3, AllocKind::Malloc, 0x30, 50, 2),
        free(4, 0x20),
        alloc(5, AllocKind::Malloc, 0x40, 150, 2),
        free(6, 0x40),
    ];
    let a = analyse(&[("p.log", encode(&ev))]);
    let p = &a.heap.processes[0];
    assert_eq!(p.peak, 350);
    assert_eq!(p.peak_time_ns, 3);
    let peaks: Vec<u64> = p.sites().iter().map(|s| s.peak_bytes).collect();
    assert_eq!(peaks, [300, 50]);
}

#[test]
fn truncated_log_reports_what_precedes_and_exits_3() {
    let bytes = encode(&heap_known(100, 1));
    // Stored chunks make the cut land inside a record; zstd would fail as one chunk.
    let mut stored = Vec::new();
    let mut w = FileWriter::new(&mut stored, Codec::Stored).unwrap();
    for e in heap_known(100, 1) {
        w.write(&e).unwrap();
        w.flush_chunk().unwrap();
    }
    w.finish().unwrap();
    assert!(bytes.len() < stored.len());
    // Two thirds in: all of many_small's mallocs, part of its frees.
    // (A cut exactly between two chunks would be a clean, shorter log: step to one that isn't.)
    let cut = (stored.len() * 2 / 3..)
        .find(|&n| {
            tracekit_log::Reader::new(&stored[..n])
                .unwrap()
                .any(|e| e.is_err())
        })
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cut.log");
    std::fs::write(&path, &stored[..cut]).unwrap();
    let config = plain_config(Format::Text, Gates::default());
    let mut out = Vec::new();
    let code = rep::report_logs(&[path], &config, &mut out).unwrap();
    assert_eq!(code, rep::EXIT_DAMAGED);
    let text = String::from_utf8(out).unwrap();
    assert!(text.starts_with("WARNING: "), "{text}");
    assert!(text.contains("truncated at byte"), "{text}");
    assert!(text.contains(" malloc|       1000 "), "{text}");
    assert!(
        text.contains(
            "Live at the end of the log (no exit recorded: killed by a signal, or still running): "
        ),
        "{text}"
    );
    assert!(!text.contains("   free|       1008 "), "{text}");
}

#[test]
fn gates_fail_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k.log");
    std::fs::write(&path, encode(&heap_known(100, 1))).unwrap();
    let run = |peak: &str, leak: &str| {
        let config = plain_config(
            Format::Json,
            Gates {
                max_peak: Some(peak.parse().unwrap()),
                max_leaked: Some(leak.parse().unwrap()),
                ..Gates::default()
            },
        );
        let mut out = Vec::new();
        let code = rep::report_logs(std::slice::from_ref(&path), &config, &mut out).unwrap();
        let r = rep::build_report(
            &{
                let mut a = Analysis::new();
                a.read_log("k", std::fs::File::open(&path).unwrap())
                    .unwrap();
                a
            },
            &[],
            &config,
        );
        (code, config.gates.check(&r))
    };
    assert_eq!(run("100000", "5596"), (0, vec![]));
    let (code, msgs) = run("64KiB", "5KB");
    assert_eq!(code, rep::EXIT_GATE);
    assert_eq!(
        msgs,
        [
            "heap peak 100000 bytes (pid 100) exceeds --max-peak 64KiB (65536 bytes)",
            "5596 bytes leaked in 4 blocks exceeds --max-leaked 5KB (5000 bytes)"
        ]
    );
}

#[test]
fn not_a_log_is_an_error() {
    let mut a = Analysis::new();
    let e = a.read_log("x", &b"hello world, not a log"[..]).unwrap_err();
    assert_eq!(e.to_string(), "not a tracekit log (bad magic at byte 0)");
}

#[test]
fn text_report_lists_crashes_fences_and_syscalls() {
    let mut ev = vec![
        process(9, 1),
        module("/build/heap_known", BASE),
        stack(1, &[MANY_SMALL, MAIN]),
        stack(2, &[FAULT, MAIN]),
        alloc(10, AllocKind::Malloc, 0x1000, 24, 1),
    ];
    ev.push(Event::Fence(tracekit_log::Fence {
        time_ns: 20,
        tid: 9,
        kind: tracekit_log::FenceKind::Overflow,
        addr: 0x1018,
        block: 0x1000,
        block_size: 24,
        alloc_stack: 1,
        free_stack: 0,
        access_stack: 2,
    }));
    ev.push(Event::Syscall(tracekit_log::Syscall {
        pid: 9,
        tid: 9,
        entry_ns: 1,
        exit_ns: 2,
        nr: 1,
        name: Bytes::from("write"),
        args: [1, 0, 3, 0, 0, 0],
        ret: Some(3),
        text: Bytes::from("write(1, \"hi\\n\", 3) = 3"),
    }));
    ev.push(Event::Crash(tracekit_log::Crash {
        time_ns: 30,
        pid: 9,
        tid: 9,
        thread_name: Bytes::from("main"),
        signo: 11,
        code: 1,
        addr: 0,
        access: tracekit_log::Access::Read,
        arch: Arch::X86_64,
        regs: vec![0; 24].into(),
        stack: 1,
        report: Bytes::from("SIGSEGV at address 0x0 (read)\n  #0 many_small\n"),
    }));
    let a = analyse(&[("x.log", encode(&ev))]);
    insta::assert_snapshot!(text_of(&a, &["x.log".into()], 3));
}

#[test]
fn reallocarray_has_its_own_breakdown() {
    let ra = |t, old, new, size| {
        let mut e = realloc(t, old, new, size, 0);
        if let Event::Realloc(r) = &mut e {
            r.kind = AllocKind::Reallocarray;
        }
        e
    };
    let ev = vec![
        process(5, 1),
        realloc(1, 0, 0x100, 10, 0),
        realloc(2, 0x100, 0x100, 20, 0),
        ra(3, 0, 0x200, 200),
        ra(4, 0x200, 0x200, 100),
        ra(5, 0x200, 0x300, 50),
    ];
    let a = analyse(&[("r.log", encode(&ev))]);
    let r = build(&a, &[], Selection { top: 3 }, &mut FakeSymbols::new());
    let mut out = Vec::new();
    text::write_memusage(&r.heap.total, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    let rows: Vec<&str> = text.lines().skip(2).take(4).collect();
    assert_eq!(
        rows,
        [
            "      malloc|          0              0              0",
            "     realloc|          2             20              0  (nomove:1, dec:0, free:0)",
            "      calloc|          0              0              0",
            "reallocarray|          3            200              0  (nomove:1, dec:2, free:0)",
        ],
        "{text}"
    );
    assert_eq!(
        (r.heap.total.realloc.nomove, r.heap.total.realloc.dec),
        (1, 0)
    );
}

#[test]
fn collapsed_stacks_for_flame_graphs() {
    let a = analyse(&[("heap_known.log", encode(&heap_known(100, 1)))]);
    let r = build(&a, &[], Selection { top: 0 }, &mut FakeSymbols::new());
    let mut out = Vec::new();
    tracekit::export::collapsed::write(&r, &mut out).unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "main;growth_chain 131071\nmain;many_small 100000\nmain;one_leak 4096\nmain;some_callocs 5000\n"
    );
}

/// Frames as a real symbolizer gives them for a small C++ program: two allocations on one
/// line told apart by their columns, two with the same line and column (a macro expanding
/// to two calls) told apart by their address, and a stripped library with no symbols.
struct LineSymbols;

const LIBFOO: u64 = 0x7f10_0000_0000;
const NO_SYMBOLS: &str = "no symbols: stripped, and no separate debug file found";

impl Resolve for LineSymbols {
    fn resolve(&mut self, _: usize, modules: &[Module<'static>], addr: u64) -> Vec<ResolvedFrame> {
        let m = modules.iter().find(|m| m.contains(addr - 1)).unwrap();
        let mut f = ResolvedFrame {
            addr,
            module: Some(m.path.to_string_lossy().into_owned()),
            offset: Some(addr - m.base),
            function: "main".to_owned(),
            file: Some("/src/two.cpp".to_owned()),
            ..ResolvedFrame::default()
        };
        let (line, column) = match addr - BASE {
            0x1010 => (5, 13),
            0x1020 => (5, 31),
            0x1030 | 0x1040 => (7, 5),
            0x1050 => (9, 5),
            _ => {
                f.function = "??".to_owned();
                f.file = None;
                f.note = Some(NO_SYMBOLS.to_owned());
                return vec![f];
            }
        };
        f.line = Some(line);
        f.column = Some(column);
        vec![f]
    }
}

#[test]
fn text_report_tells_sites_apart_and_says_each_thing_once() {
    let mut ev = vec![
        Event::Process(Process {
            clock_res_ns: 4_000_000,
            ..match process(300, 1) {
                Event::Process(p) => p,
                _ => unreachable!(),
            }
        }),
        module("/build/two", BASE),
        module("/lib/libfoo.so", LIBFOO),
        stack(1, &[BASE + 0x1010]),
        stack(2, &[BASE + 0x1020]),
        stack(3, &[BASE + 0x1030]),
        stack(4, &[BASE + 0x1040]),
        stack(5, &[LIBFOO + 0x1234, LIBFOO + 0x1300, BASE + 0x1050]),
    ];
    // On a 4 ms clock, 423.999999 ms is 424 ms.
    let t = 423_999_999;
    for (i, size) in [(1u64, 16u64), (2, 32), (3, 48), (4, 64), (5, 80)] {
        ev.push(alloc(t, AllocKind::Malloc, 0x1000 * i, size, i));
    }
    for i in 1..=5 {
        ev.push(free(t + 4_000_000, 0x1000 * i));
    }
    ev.push(Event::Exit(Exit {
        time_ns: t + 4_000_000,
        pid: 300,
        code: Some(0),
        signal: None,
        freeres: Exit::FREERES_CXX | Exit::FREERES_LIBC,
    }));
    let a = analyse(&[("two.log", encode(&ev))]);
    let report = build(
        &a,
        &["two.log".into()],
        Selection { top: 10 },
        &mut LineSymbols,
    );
    let mut out = Vec::new();
    let opts = ExportOptions {
        top: 10,
        per_process: false,
        depth: 12,
        lifetimes: false,
    };
    text::write(&report, opts, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("at main (two.cpp:5:13)\n"), "{text}");
    assert!(text.contains("at main (two.cpp:5:31)\n"), "{text}");
    assert!(text.contains("at main (two.cpp:7; two+0x1030)\n"), "{text}");
    assert!(text.contains("at main (two.cpp:7; two+0x1040)\n"), "{text}");
    // A line that tells nothing apart keeps its plain form.
    assert!(text.contains("by main (two.cpp:9)\n"), "{text}");
    assert!(
        text.contains("0x7f1000001234: ?? (libfoo.so+0x1234)\n"),
        "{text}"
    );
    assert_eq!(text.matches(NO_SYMBOLS).count(), 1, "{text}");
    assert!(text.contains("424 ms after start"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn times_print_no_more_precisely_than_the_clock_ticks() {
    use tracekit::export::text::ms;
    assert_eq!(ms(423_999_999, 4_000_000), "424 ms");
    assert_eq!(ms(0, 4_000_000), "0 ms");
    assert_eq!(ms(1_234_567, 250_000), "1.2 ms");
    assert_eq!(ms(1_234_567, 20_000), "1.23 ms");
    assert_eq!(ms(1_234_567, 1), "1.235 ms");
    // A log that does not say (written before the resolution was recorded): µs.
    assert_eq!(ms(65_536, 0), "0.066 ms");
}

#[test]
fn the_command_a_launcher_saw_killed_is_reported_killed() {
    let mut ev = heap_known(100, 4242);
    ev.pop(); // its Exit: a process killed by a signal writes none
    let mut child = heap_known(101, 100);
    child.pop();
    let a = analyse(&[("p.log", encode(&ev)), ("c.log", encode(&child))]);
    let mut r = build(&a, &[], Selection { top: 3 }, &mut FakeSymbols::new());
    r.heap.command_killed(4242, 15);
    assert_eq!(r.heap.processes[0].exit.map(|e| e.signal), Some(Some(15)));
    // Its child's end is not the launcher's to know.
    assert_eq!(r.heap.processes[1].exit, None);
    let mut out = Vec::new();
    let opts = ExportOptions {
        top: 3,
        per_process: true,
        depth: 12,
        lifetimes: false,
    };
    text::write(&r, opts, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains("Live when SIGTERM killed it: 5596 bytes"),
        "{text}"
    );
    assert!(
        text.contains(
            "Live at the end of the log (no exit recorded: killed by a signal, or still running)"
        ),
        "{text}"
    );
}

#[test]
fn the_timeline_has_no_column_narrower_than_the_clock_tick() {
    let mut ev = heap_known(100, 1);
    if let Event::Process(p) = &mut ev[0] {
        p.clock_res_ns = 1_000_000;
    }
    let a = analyse(&[("k.log", encode(&ev))]);
    let r = build(&a, &[], Selection { top: 3 }, &mut FakeSymbols::new());
    // The log's slices are 65536 ns wide: 16 of them make a column of a 1 ms tick.
    assert_eq!(r.heap.processes[0].timeline.slice_ns, 65_536);
    let mut out = Vec::new();
    let opts = ExportOptions {
        top: 3,
        per_process: false,
        depth: 12,
        lifetimes: false,
    };
    text::write(&r, opts, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains("Heap over time (a column per 1 ms, "),
        "{text}"
    );
    let axis = text
        .lines()
        .find(|l| l.trim_start().starts_with("0 +"))
        .unwrap();
    let columns = r.heap.processes[0].timeline.heap_bytes.len().div_ceil(16);
    assert_eq!(
        axis.trim_start(),
        format!("0 +{}", "-".repeat(columns)),
        "{text}"
    );
}

/// `--graph` on the heap_known events: the ms_print-style chart, snapshot table and detailed
/// trees, pinned; its peak snapshot is the report's peak, with the peak's sites.
#[test]
fn graph_of_heap_known() {
    use tracekit::model::graph::{TimeAxis, Unit};
    let a = analyse(&[("k.log", encode(&heap_known(100, 1)))]);
    let report = build(&a, &[], Selection { top: 10 }, &mut FakeSymbols::new()).with_graph(
        &a,
        TimeAxis::Auto,
        &mut FakeSymbols::new(),
    );
    let g = report.graph.as_ref().unwrap();
    // The fixture's Process record gives no clock resolution: the axis is bytes.
    assert_eq!(g.unit, Unit::Bytes);
    let peak = &g.snapshots[g.peak_index().unwrap()];
    assert_eq!(peak.heap_bytes, report.heap.total.peak.heap_bytes);
    assert_eq!(peak.heap_bytes, 100_000);
    let mut out = Vec::new();
    Format::Graph
        .writer()
        .write(
            &report,
            &ExportOptions {
                top: 10,
                per_process: false,
                depth: 12,
                lifetimes: false,
            },
            &mut out,
        )
        .unwrap();
    insta::assert_snapshot!(String::from_utf8(out).unwrap());
}
/// heaptrack's temporary allocations, told apart by address: a block released by the next
/// recorded event after its allocation, where a realloc (moved or in place) releases its block
/// then allocates, and `free(NULL)`, failed calls and releases of unknown blocks are no events.
#[test]
fn temporary_allocations_follow_heaptrack_by_address() {
    let ev = vec![
        process(5, 1),
        alloc(1, AllocKind::Malloc, 0x100, 10, 1),
        realloc(2, 0x100, 0x100, 20, 2), // in place: releases the last block: temporary (site 1)
        realloc(3, 0x100, 0x200, 30, 2), // moves: temporary again (site 2)
        free(4, 0),                      // free(NULL): no event
        alloc(5, AllocKind::Malloc, 0, 1 << 40, 1), // failed: no event
        free(6, 0xdead),                 // unknown block: no event
        free(7, 0x200),                  // temporary (site 2)
        alloc(8, AllocKind::Malloc, 0x300, 48, 3),
        alloc(9, AllocKind::Malloc, 0x400, 48, 3),
        free(10, 0x300), // another block of the same size and site came between: not temporary
        free(11, 0x400), // a release came between: not temporary
        alloc(12, AllocKind::Malloc, 0x500, 8, 1),
        realloc(13, 0x500, 0, 0, 1), // realloc(p, 0) releases p: temporary (heaptrack misses it)
    ];
    let a = analyse(&[("t.log", encode(&ev))]);
    let p = &a.heap.processes[0];
    assert_eq!(p.temporary, 4);
    let by_site: Vec<(u64, u64)> = p.sites().iter().map(|s| (s.stack, s.temporary)).collect();
    assert_eq!(by_site, [(1, 2), (2, 2), (3, 0)]);
}

/// Lifetimes count the allocations made while a block lived; short-lived blocks are those
/// released within `SHORT_LIVED_ALLOCS` of them; leaks are not in the histogram.
#[test]
fn lifetimes_count_allocations_made_meanwhile() {
    use tracekit::analysis::heap::SHORT_LIVED_ALLOCS;
    let mut ev = vec![
        process(5, 1),
        alloc(1, AllocKind::Malloc, 0x10, 100, 1), // lives through SHORT_LIVED_ALLOCS others
        alloc(2, AllocKind::Malloc, 0x20, 7, 2),   // freed at once: lifetime 0
        free(3, 0x20),
    ];
    for i in 0..SHORT_LIVED_ALLOCS {
        ev.push(alloc(4 + i, AllocKind::Malloc, 0x1000 + i * 16, 1, 3));
    }
    ev.push(free(1000, 0x10));
    let a = analyse(&[("l.log", encode(&ev))]);
    let r = build(&a, &[], Selection { top: 0 }, &mut FakeSymbols::new());
    let l = &r.heap.total.lifetimes;
    let rows: Vec<(u64, u64, u64, u64)> = l
        .allocations
        .iter()
        .map(|r| (r.from, r.to, r.blocks, r.bytes))
        .collect();
    // 0x10 saw 1 + SHORT_LIVED_ALLOCS allocations: 257, in the bucket 256-511.
    assert_eq!(rows, [(0, 0, 1, 7), (256, 511, 1, 100)]);
    assert_eq!((l.short_lived.blocks, l.short_lived.bytes), (1, 7));
    let short: Vec<(u64, u64)> = r
        .heap
        .sites
        .iter()
        .map(|s| (s.stack_id, s.short_lived.bytes))
        .collect();
    assert!(
        short.contains(&(2, 7)) && short.contains(&(1, 0)),
        "{short:?}"
    );
    // In time: 0x20 lived 1 ns, 0x10 999 ns.
    let times: Vec<(u64, u64)> = l.time_ns.iter().map(|r| (r.from, r.blocks)).collect();
    assert_eq!(times, [(1, 1), (512, 1)]);
}

/// heap_known with `extra` more leaked 4096-byte blocks from one_leak.
fn heap_known_leaking(extra: u64) -> Vec<Event<'static>> {
    let mut ev = heap_known(100, 1);
    let exit = ev.pop().expect("the exit event");
    for i in 0..extra {
        ev.push(alloc(
            9_000_000 + i,
            AllocKind::Malloc,
            0x50_0000 + i * 0x2000,
            4096,
            4,
        ));
    }
    ev.push(exit);
    ev
}

fn diff_of(
    base: &[Event<'_>],
    new: &[Event<'_>],
    gates: tracekit::diff::DiffGates,
) -> tracekit::diff::Diff {
    let dir = tempfile::tempdir().unwrap();
    let (b, n) = (dir.path().join("base.tklog"), dir.path().join("new.tklog"));
    std::fs::write(&b, encode(base)).unwrap();
    std::fs::write(&n, encode(new)).unwrap();
    let mut d = tracekit::diff::diff(&tracekit::diff::DiffConfig {
        base: vec![b],
        new: vec![n],
        format: Format::Markdown,
        top: 10,
        symbolize: false,
        gates,
    })
    .unwrap();
    // Deterministic names for the snapshot.
    d.base.logs = vec!["base.tklog".into()];
    d.new.logs = vec!["new.tklog".into()];
    d
}

#[test]
fn diff_names_the_site_that_grew() {
    let gates = tracekit::diff::DiffGates {
        max_peak_increase: Some("5%".parse().unwrap()),
        max_leaked_increase: Some("4KiB".parse().unwrap()),
        ..Default::default()
    };
    let d = diff_of(&heap_known(100, 1), &heap_known_leaking(2), gates);
    let h = d.heap.as_ref().unwrap();
    assert_eq!((h.leaked.base, h.leaked.new), (5596, 5596 + 8192));
    assert_eq!(h.peak.delta, 0);
    assert_eq!(h.sites.len(), 1, "{:#?}", h.sites);
    let s = &h.sites[0];
    assert_eq!(
        (s.leaked_bytes.delta, s.calls.delta, s.bytes.delta),
        (8192, 2, 8192)
    );
    assert_eq!(h.unchanged_sites, 3);
    let passed: Vec<(&str, bool)> = d
        .gates
        .iter()
        .map(|g| (g.gate.as_str(), g.passed))
        .collect();
    assert_eq!(
        passed,
        [
            ("--max-peak-increase", true),
            ("--max-leaked-increase", false)
        ]
    );
    assert_eq!(tracekit::diff::finish(&d), rep::EXIT_GATE);
    let mut out = Vec::new();
    tracekit::diff::write::write(&d, Format::Markdown, 10, &mut out).unwrap();
    insta::assert_snapshot!(String::from_utf8(out).unwrap());
}

#[test]
fn diff_of_a_run_with_itself_is_empty() {
    let d = diff_of(&heap_known(100, 1), &heap_known(100, 1), Default::default());
    let h = d.heap.as_ref().unwrap();
    assert!(h.sites.is_empty(), "{:#?}", h.sites);
    assert_eq!(h.unchanged_sites, 4);
    assert_eq!(tracekit::diff::finish(&d), 0);
}

#[test]
fn markdown_report_has_the_gates() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k.log");
    std::fs::write(&path, encode(&heap_known(100, 1))).unwrap();
    let config = plain_config(
        Format::Markdown,
        Gates {
            max_peak: Some("64KiB".parse().unwrap()),
            max_allocs: Some(2000),
            max_temporary: Some(16),
            ..Gates::default()
        },
    );
    let mut out = Vec::new();
    let code = rep::report_logs(std::slice::from_ref(&path), &config, &mut out).unwrap();
    assert_eq!(code, rep::EXIT_GATE);
    let text = String::from_utf8(out).unwrap();
    let text = text.replace(&path.display().to_string(), "k.log");
    insta::assert_snapshot!(text);
}

/// The lifetime histograms are counted only when something prints them (`--lifetimes`, JSON),
/// and the heap over time in slices (text, JSON): those printers get them whole.
#[test]
fn lifetimes_and_the_timeline_are_kept_when_printed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k.log");
    std::fs::write(&path, encode(&heap_known(100, 1))).unwrap();
    let run = |format, lifetimes| {
        let config = Config {
            lifetimes,
            ..plain_config(format, Gates::default())
        };
        let mut out = Vec::new();
        rep::report_logs(std::slice::from_ref(&path), &config, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    };
    // What the analysis counts when it keeps everything.
    let a = {
        let mut a = Analysis::new();
        a.read_log("k", std::fs::File::open(&path).unwrap())
            .unwrap();
        a
    };
    let released: u64 = a.heap.processes[0]
        .lifetimes
        .allocs
        .iter()
        .map(|c| c.blocks)
        .sum();
    assert!(released > 0);
    let with = run(Format::Text, true);
    assert!(
        with.contains(&format!("Lifetimes of the {released} blocks released")),
        "{with}"
    );
    let json: serde_json::Value = serde_json::from_str(&run(Format::Json, false)).unwrap();
    let rows = json["lifetimes"]["allocations"]
        .as_array()
        .unwrap_or_else(|| panic!("{json}"));
    let blocks: u64 = rows.iter().map(|r| r["blocks"].as_u64().unwrap()).sum();
    assert_eq!(blocks, released);
    let slices = a.heap.processes[0].timeline.maxima();
    assert!(slices.len() > 2);
    assert_eq!(
        json["processes"][0]["timeline"]["heap_bytes"],
        serde_json::json!(slices)
    );
    let without = run(Format::Text, false);
    assert!(!without.contains("Lifetimes of the"), "{without}");
    assert!(
        without.contains("\nHeap over time (a column per "),
        "{without}"
    );
    // The rest of the report is the same.
    let cut = with.find("\nLifetimes of the").unwrap();
    assert_eq!(without[..cut], with[..cut]);
}

/// A log as the heap tracker writes it (heap events in batch records, a few in records of
/// their own, `Sync` records now and then) of three processes, each with modules and stacks
/// among more heap events than a batch of the decoding thread holds.
fn batched_log_of_three_processes() -> Vec<u8> {
    use tracekit_log::delta;
    let mut file = vec![0u8; tracekit_log::HEADER_LEN];
    tracekit_log::write_header(&mut file).unwrap();
    let mut d = Box::new(delta::Encoder::new());
    let mut buf = [0u8; 4096];
    let mut rng = tracekit_log::fixtures::XorShift::new(7);
    let mut open: Option<usize> = None;
    let full = |file: &mut Vec<u8>, open: &mut Option<usize>, ev: &Event<'_>| {
        *open = None;
        let mut buf = [0u8; 4096];
        let n = tracekit_log::encode(ev, &mut buf).unwrap();
        file.extend_from_slice(&buf[..n]);
    };
    for pid in [100, 101, 102] {
        full(&mut file, &mut open, &process(pid, 1));
        let mut live: Vec<u64> = Vec::new();
        let mut t = 0;
        for i in 0..12_000u64 {
            if i % 3000 == 0 {
                full(&mut file, &mut open, &stack(1 + i / 3000, &[0x1000 + i]));
            }
            if i % 997 == 0 {
                let n = delta::sync(&mut d, &mut buf).unwrap();
                open = None;
                file.extend_from_slice(&buf[..n]);
            }
            t += rng.next() % 3;
            let r = rng.next();
            let site = 1 + i / 3000;
            let ev = match r % 5 {
                0 | 1 => {
                    let ptr = 0x5000_0000 + (r >> 20) % 100_000 * 16;
                    live.push(ptr);
                    Event::Alloc(Alloc {
                        time_ns: t,
                        tid: 1,
                        kind: AllocKind::Malloc,
                        ptr,
                        size: (r >> 8) % 5000,
                        align: 0,
                        stack: site,
                    })
                }
                2 | 3 if !live.is_empty() => Event::Free(Free {
                    time_ns: t,
                    tid: 1,
                    kind: FreeKind::Free,
                    ptr: live.swap_remove((r >> 8) as usize % live.len()),
                    size: 0,
                    stack: 0,
                }),
                _ => {
                    let old_ptr = live.pop().unwrap_or(0);
                    let new_ptr = 0x9000_0000 + (r >> 20) % 100_000 * 16;
                    live.push(new_ptr);
                    Event::Realloc(Realloc {
                        time_ns: t,
                        tid: 1,
                        kind: AllocKind::Realloc,
                        old_ptr,
                        new_ptr,
                        size: (r >> 8) % 70_000,
                        stack: site,
                    })
                }
            };
            let batched = if i % 17 != 16 {
                delta::encode_event(&ev, &mut d, &mut buf).unwrap()
            } else {
                None
            };
            match batched {
                Some(n) => {
                    let start = *open.get_or_insert_with(|| {
                        file.extend_from_slice(&delta::batch_head(0));
                        file.len() - 4
                    });
                    file.extend_from_slice(&buf[..n]);
                    let len = file.len() - start - 4;
                    file[start..start + 4].copy_from_slice(&delta::batch_head(len));
                }
                None => full(&mut file, &mut open, &ev),
            }
        }
    }
    file
}

#[test]
fn decoding_on_a_thread_of_its_own_gives_what_one_thread_gives() {
    use tracekit::analysis::DecodeThread;
    let log = batched_log_of_three_processes();
    // Whole, and cut inside a batch record and elsewhere (the damage is reported alike).
    for cut in [log.len(), log.len() / 2 + 3, log.len() / 5] {
        let read = |decode_thread| {
            let mut a = Analysis::with_detail();
            a.decode_thread = decode_thread;
            a.read_log("three", &log[..cut]).unwrap();
            a
        };
        let (one, two) = (read(DecodeThread::Same), read(DecodeThread::Own));
        if cut == log.len() {
            assert_eq!(one.heap.processes.len(), 3);
            assert!(one.heap.processes.iter().all(|p| p.events == 12_000));
        }
        assert_eq!(
            format!("{:?} {:?}", one.heap.processes, one.damage),
            format!("{:?} {:?}", two.heap.processes, two.damage),
            "cut at {cut}"
        );
        assert_eq!((cut == log.len()), one.damage.is_empty(), "cut at {cut}");
        let names = ["three".to_string()];
        assert_eq!(text_of(&one, &names, 5), text_of(&two, &names, 5));
    }
}
