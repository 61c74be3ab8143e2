//! End to end: real programs run under `LD_PRELOAD=libpreload_heaptrack.so`, their logs
//! decoded and counted exactly.

use std::collections::BTreeMap;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tracekit_e2e::{
    assert_untouched, example, mode_of, planted_symlink, preload, read_log, require_tool, run,
    stdout, tempdir,
};
use tracekit_log::{AllocKind, Event, FreeKind};

fn lib() -> PathBuf {
    preload("preload-heaptrack")
}

/// Runs `cmd` under the heap tracker with `TRACEKIT_LOG=log`.
fn traced(cmd: &mut Command, log: &Path) -> Output {
    run(cmd.env("LD_PRELOAD", lib()).env("TRACEKIT_LOG", log))
}

fn ok(o: &Output) {
    assert!(
        o.status.success(),
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status,
        stdout(o),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// `(kind, size, align, failed)` of every allocation, counted.
fn allocs(events: &[Event<'_>]) -> BTreeMap<(AllocKind, u64, u64, bool), usize> {
    let mut m = BTreeMap::new();
    for e in events {
        match e {
            Event::Alloc(a) => *m.entry((a.kind, a.size, a.align, a.ptr == 0)).or_default() += 1,
            Event::Realloc(r) => *m.entry((r.kind, r.size, 0, r.new_ptr == 0)).or_default() += 1,
            _ => {}
        }
    }
    m
}

fn frees(events: &[Event<'_>]) -> BTreeMap<(FreeKind, u64), usize> {
    let mut m = BTreeMap::new();
    for e in events {
        if let Event::Free(f) = e {
            if f.ptr != 0 {
                *m.entry((f.kind, f.size)).or_default() += 1;
            }
        }
    }
    m
}

fn count(events: &[Event<'_>], kind: AllocKind, size: u64) -> usize {
    allocs(events)
        .iter()
        .filter(|((k, s, _, failed), _)| *k == kind && *s == size && !failed)
        .map(|(_, n)| n)
        .sum()
}

fn processes(events: &[Event<'_>]) -> Vec<(u32, u32)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Process(p) => Some((p.pid, p.ppid)),
            _ => None,
        })
        .collect()
}

fn exit_code(events: &[Event<'_>]) -> Option<i32> {
    events.iter().rev().find_map(|e| match e {
        Event::Exit(x) => x.code,
        _ => None,
    })
}

/// Every stack id an event uses was defined by a `Stack` record before it, and every
/// allocation of a traced program has a stack.
fn check_stacks(events: &[Event<'_>]) {
    let mut defined = std::collections::HashSet::new();
    for e in events {
        match e {
            Event::Process(_) => defined.clear(),
            Event::Stack(s) => {
                assert!(!s.frames.is_empty());
                assert!(defined.insert(s.id), "stack {} defined twice", s.id);
            }
            Event::Alloc(a) => assert!(defined.contains(&a.stack), "alloc without stack: {a:?}"),
            Event::Realloc(r) => {
                assert!(defined.contains(&r.stack), "realloc without stack: {r:?}")
            }
            _ => {}
        }
    }
}

#[test]
fn every_allocation_function_is_recorded_with_its_kind() {
    let dir = tempdir();
    let log = dir.path().join("funcs.tklog");
    let o = traced(&mut Command::new(example("heap_funcs")), &log);
    ok(&o);
    assert_eq!(stdout(&o), "fail=(nil) rc=22 usable>=11:1\n");
    let ev = read_log(&log);
    check_stacks(&ev);
    let a = allocs(&ev);
    use AllocKind::*;
    for key in [
        (Malloc, 11, 0, false),
        (Calloc, 21, 0, false),
        (Malloc, 50, 0, false),
        (Realloc, 100, 0, false),
        (Reallocarray, 200, 0, false),
        (PosixMemalign, 200, 64, false),
        (AlignedAlloc, 256, 128, false),
        (Memalign, 300, 32, false),
        (Valloc, 400, 4096, false),
        (Pvalloc, 500, 4096, false),
        (Malloc, u64::MAX / 2, 0, true),
        (PosixMemalign, 10, 3, true),
    ] {
        assert_eq!(a.get(&key), Some(&1), "{key:?} in {a:#?}");
    }
    // Eight blocks freed by the program, and printf's buffer, which glibc never frees: the
    // tracker's call of __libc_freeres() freed it at exit. Plus the program's free(NULL).
    assert_eq!(frees(&ev).get(&(FreeKind::Free, 0)), Some(&9));
    let freeres = ev.iter().find_map(|e| match e {
        Event::Exit(x) => Some(x.freeres),
        _ => None,
    });
    assert_eq!(freeres, Some(tracekit_log::Exit::FREERES_LIBC));
    let null_frees = ev
        .iter()
        .filter(|e| matches!(e, Event::Free(f) if f.ptr == 0))
        .count();
    assert_eq!(null_frees, 1);
    assert_eq!(exit_code(&ev), Some(0));
}

#[test]
fn cxx_operators_record_which_operator_made_and_freed_each_block() {
    let dir = tempdir();
    let log = dir.path().join("cxx.tklog");
    let o = traced(&mut Command::new(example("heap_cxx")), &log);
    ok(&o);
    assert_eq!(stdout(&o), "caught=1 none=(nil) words=1\n");
    let ev = read_log(&log);
    check_stacks(&ev);
    let a = allocs(&ev);
    use AllocKind::*;
    for key in [
        (New, 24, 0, false),
        (NewArray, 40, 0, false),
        (New, 56, 0, false),
        (NewArray, 72, 0, false),
        (NewAligned, 88, 64, false),
        (NewArrayAligned, 104, 128, false),
        (NewAligned, 120, 64, false),
        (NewArrayAligned, 136, 64, false),
        (NewNothrow, 152, 0, false),
        (NewArrayNothrow, 168, 0, false),
        (NewAlignedNothrow, 184, 64, false),
        (NewArrayAlignedNothrow, 200, 64, false),
        (New, u64::MAX / 2, 0, true),
        (NewNothrow, u64::MAX / 2, 0, true),
    ] {
        assert_eq!(a.get(&key), Some(&1), "{key:?} in {a:#?}");
    }
    let f = frees(&ev);
    use FreeKind::*;
    for key in [
        (DeleteSized, 56),
        (DeleteArraySized, 72),
        (DeleteSizedAligned, 120),
        (DeleteArraySizedAligned, 136),
        (DeleteNothrow, 0),
        (DeleteArrayNothrow, 0),
    ] {
        assert_eq!(f.get(&key), Some(&1), "{key:?} in {f:#?}");
    }
    assert!(f[&(Delete, 0)] >= 1 && f[&(DeleteArray, 0)] >= 1);
    assert_eq!(
        f[&(DeleteAligned, 0)],
        2,
        "plain and nothrow aligned delete"
    );
    assert_eq!(f[&(DeleteArrayAligned, 0)], 2);
}

#[test]
fn threads_are_named_and_nothing_is_lost() {
    let dir = tempdir();
    let log = dir.path().join("threads.tklog");
    let o = traced(&mut Command::new(example("heap_threads")), &log);
    ok(&o);
    let ev = read_log(&log);
    check_stacks(&ev);
    assert_eq!(count(&ev, AllocKind::Malloc, 777), 4000);
    assert_eq!(count(&ev, AllocKind::Malloc, 555), 1);
    let threads: std::collections::HashSet<u32> = ev
        .iter()
        .filter_map(|e| match e {
            Event::Thread(t) => Some(t.tid),
            _ => None,
        })
        .collect();
    let alloc_tids: std::collections::HashSet<u32> = ev
        .iter()
        .filter_map(|e| match e {
            Event::Alloc(a) if a.size == 777 => Some(a.tid),
            _ => None,
        })
        .collect();
    assert_eq!(alloc_tids.len(), 4, "four worker threads");
    assert!(alloc_tids.is_subset(&threads), "each has a Thread record");
    let renamed: std::collections::HashSet<u32> = ev
        .iter()
        .filter_map(|e| match e {
            Event::Thread(t) if t.name.as_bytes() == b"worker" => Some(t.tid),
            _ => None,
        })
        .collect();
    assert_eq!(renamed, alloc_tids, "each worker's new name is recorded");
    // Every 777-byte block is freed after it was made.
    let mut live = std::collections::HashSet::new();
    for e in &ev {
        match e {
            Event::Alloc(a) if a.size == 777 => assert!(live.insert(a.ptr)),
            Event::Free(f) => {
                live.remove(&f.ptr);
            }
            _ => {}
        }
    }
    assert!(live.is_empty());
}

#[test]
fn fork_child_gets_its_own_log_and_nothing_is_lost() {
    let dir = tempdir();
    let log = dir.path().join("fork.tklog");
    let o = traced(&mut Command::new(example("heap_fork")), &log);
    ok(&o);
    let child_pid: u32 = stdout(&o)
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .expect("child pid printed");
    let parent = read_log(&log);
    let child = read_log(&dir.path().join(format!("fork.tklog.{child_pid}")));
    check_stacks(&parent);
    check_stacks(&child);
    let parent_pid = processes(&parent)[0].0;
    assert_eq!(processes(&child), vec![(child_pid, parent_pid)]);
    assert_eq!(count(&parent, AllocKind::Malloc, 100), 10);
    assert_eq!(count(&parent, AllocKind::Malloc, 300), 30);
    assert_eq!(count(&parent, AllocKind::Malloc, 200), 0);
    assert_eq!(count(&child, AllocKind::Malloc, 200), 20);
    assert_eq!(count(&child, AllocKind::Malloc, 100), 0);
    assert_eq!(frees(&child)[&(FreeKind::Free, 0)], 20);
    assert_eq!(exit_code(&child), Some(0));
    assert_eq!(exit_code(&parent), Some(0));
    // The child's log has its own module map.
    assert!(child.iter().any(|e| matches!(e, Event::Module(_))));
}

#[test]
fn fork_logs_with_pid_pattern_are_named_by_pid() {
    let dir = tempdir();
    let pattern = dir.path().join("h.%e.%p.tklog");
    let o = traced(&mut Command::new(example("heap_fork")), &pattern);
    ok(&o);
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names
        .iter()
        .all(|n| n.starts_with("h.heap_fork.") && n.ends_with(".tklog")));
}

#[test]
fn exec_is_followed_into_the_same_log_when_asked() {
    for how in ["execv", "execl", "execvp"] {
        let dir = tempdir();
        let log = dir.path().join("exec.tklog");
        let o = traced(
            Command::new(example("heap_exec"))
                .arg(how)
                .env("TRACEKIT_FOLLOW_EXEC", "1"),
            &log,
        );
        assert_eq!(o.status.code(), Some(3), "{how}");
        let ev = read_log(&log);
        check_stacks(&ev);
        let procs = processes(&ev);
        assert_eq!(procs.len(), 2, "{how}: a Process record per image");
        assert_eq!(procs[0], procs[1], "{how}: same pid");
        let exec_at = ev
            .iter()
            .position(|e| matches!(e, Event::Exec(_)))
            .expect("Exec record");
        let second = ev
            .iter()
            .rposition(|e| matches!(e, Event::Process(_)))
            .unwrap();
        assert!(exec_at < second);
        assert_eq!(count(&ev[..exec_at], AllocKind::Malloc, 111), 5, "{how}");
        assert_eq!(count(&ev[second..], AllocKind::Malloc, 222), 7, "{how}");
        assert_eq!(exit_code(&ev), Some(3));
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}

#[test]
fn followed_exec_after_chdir_finds_a_relative_log() {
    let dir = tempdir();
    let o = run(Command::new(example("heap_exec"))
        .arg("chdir")
        .current_dir(dir.path())
        .env("LD_PRELOAD", lib())
        .env("TRACEKIT_LOG", "rel.tklog")
        .env("TRACEKIT_FOLLOW_EXEC", "1"));
    assert_eq!(o.status.code(), Some(3));
    let ev = read_log(&dir.path().join("rel.tklog"));
    assert_eq!(processes(&ev).len(), 2);
    assert_eq!(count(&ev, AllocKind::Malloc, 222), 7);
    assert!(!Path::new("/rel.tklog").exists());
}

#[test]
fn exec_without_follow_stops_tracing_at_exec() {
    let dir = tempdir();
    let log = dir.path().join("exec.tklog");
    let o = traced(Command::new(example("heap_exec")).arg("execl"), &log);
    assert_eq!(o.status.code(), Some(3));
    let ev = read_log(&log);
    assert_eq!(processes(&ev).len(), 1);
    assert!(matches!(ev.last(), Some(Event::Exec(x)) if x.path.as_bytes() == b"/proc/self/exe"));
    assert_eq!(count(&ev, AllocKind::Malloc, 111), 5);
    assert_eq!(count(&ev, AllocKind::Malloc, 222), 0);
}

#[test]
fn dlopened_library_is_in_the_module_map_and_its_stacks() {
    let dir = tempdir();
    let log = dir.path().join("dl.tklog");
    let lib_path = example("heap_dlib");
    let o = traced(Command::new(example("heap_dlopen")).arg(&lib_path), &log);
    ok(&o);
    let ev = read_log(&log);
    check_stacks(&ev);
    let module = ev
        .iter()
        .find_map(|e| match e {
            Event::Module(m) if m.path.as_bytes() == lib_path.as_os_str().as_encoded_bytes() => {
                Some(m.clone())
            }
            _ => None,
        })
        .expect("Module record for the dlopened library");
    assert!(!module.build_id.is_empty());
    let stacks: BTreeMap<u64, Vec<u64>> = ev
        .iter()
        .filter_map(|e| match e {
            Event::Stack(s) => Some((s.id, s.frames.to_vec())),
            _ => None,
        })
        .collect();
    let lib_allocs: Vec<_> = ev
        .iter()
        .filter_map(|e| match e {
            Event::Alloc(a) if a.size == 333 => Some(a.stack),
            _ => None,
        })
        .collect();
    assert_eq!(lib_allocs.len(), 3);
    for id in lib_allocs {
        assert!(
            module.contains(stacks[&id][0]),
            "innermost frame is lib_alloc"
        );
    }
    assert!(ev
        .iter()
        .any(|e| matches!(e, Event::ModuleUnload(u) if u.base == module.base)));
}

#[test]
fn closed_stderr_still_gets_the_log_and_the_announcement() {
    let dir = tempdir();
    let o = run(Command::new(example("heap_closed_stderr"))
        .current_dir(dir.path())
        .env("LD_PRELOAD", lib())
        .env_remove("TRACEKIT_LOG"));
    ok(&o);
    let logs: Vec<PathBuf> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(logs.len(), 1);
    let name = logs[0].file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.starts_with("tracekit-heap.heap_closed_stderr.") && name.ends_with(".tklog"));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains(&name), "announced on stderr: {err:?}");
    let ev = read_log(&logs[0]);
    assert_eq!(count(&ev, AllocKind::Malloc, 444), 5);
    assert_eq!(frees(&ev)[&(FreeKind::Free, 0)], 4);
}

/// Events are timed at the coarse clock's resolution all along, even when compressing the
/// log takes long (TRACEKIT_ZSTD_LEVEL=19: each piece takes a good part of a second): the
/// clock the compressor thread publishes is not used while it compresses. Timestamps that
/// stood still for the length of a piece (over 100 ms here) were the bug this catches; the
/// coarse clock ticks every 4 ms.
#[test]
fn timestamps_keep_moving_while_the_log_compresses_slowly() {
    let dir = tempdir();
    let log = dir.path().join("slow-zstd.tklog");
    let o = traced(
        Command::new(example("heap_bench"))
            .arg("300000")
            .env("TRACEKIT_ZSTD_LEVEL", "19"),
        &log,
    );
    ok(&o);
    let ev = read_log(&log);
    let times: Vec<u64> = ev
        .iter()
        .filter_map(|e| match e {
            Event::Alloc(a) => Some(a.time_ns),
            Event::Free(f) => Some(f.time_ns),
            Event::Realloc(r) => Some(r.time_ns),
            Event::Exit(x) => Some(x.time_ns),
            _ => None,
        })
        .collect();
    assert!(times.len() > 500_000);
    // What load cannot break: a stalled clock stamps a long stretch of the program's own work
    // with one value. While the program is descheduled it records nothing, so a busy machine
    // makes runs of equal stamps shorter, never longer. With the clock working, one 4 ms tick
    // holds a few percent of this run's events; with the clock frozen during a level-19
    // compression (the bug this guards against) one stamp held most of them.
    let longest = times
        .chunk_by(|a, b| a == b)
        .map(<[u64]>::len)
        .max()
        .unwrap();
    assert!(
        longest * 4 < times.len(),
        "{longest} of {} events carry the same timestamp",
        times.len()
    );
}

/// Sets the resource limit `resource` of the program `cmd` runs to `value`.
fn limit(cmd: &mut Command, resource: libc::__rlimit_resource_t, value: u64) {
    // SAFETY: setrlimit is async-signal-safe, fine between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            let l = libc::rlimit {
                rlim_cur: value,
                rlim_max: value,
            };
            libc::setrlimit(resource, &l);
            Ok(())
        });
    }
}

#[test]
fn a_crashing_program_leaves_a_readable_log() {
    require_tool!("python3");
    let dir = tempdir();
    let log = dir.path().join("crash.tklog");
    let mut cmd = Command::new(system_tool("python3"));
    // No core file: the abort is the point.
    limit(&mut cmd, libc::RLIMIT_CORE, 0);
    let o = traced(
        cmd.current_dir(dir.path()).args([
            "-c",
            "import os\nx = [bytearray(4321) for _ in range(9)]\nos.abort()",
        ]),
        &log,
    );
    assert!(!o.status.success());
    let ev = read_log(&log);
    assert!(exit_code(&ev).is_none(), "no Exit record after abort");
    let buffers = ev
        .iter()
        .filter(|e| matches!(e, Event::Alloc(a) if a.size > 4321 && a.size < 4321 + 128))
        .count();
    assert!(
        buffers >= 9,
        "the nine bytearrays made before abort: {buffers}"
    );
}

/// A file size limit (`ulimit -f`) stops the log, not the program: growing the log past it
/// would raise SIGXFSZ, whose default action kills. What was recorded up to the limit reads.
#[test]
fn a_file_size_limit_stops_the_log_not_the_program() {
    const LIMIT: u64 = 1 << 20;
    let dir = tempdir();
    let log = dir.path().join("limited.tklog");
    let mut cmd = Command::new(example("heap_bench"));
    limit(&mut cmd, libc::RLIMIT_FSIZE, LIMIT);
    // About 2.7 MB of records.
    let o = traced(cmd.arg("300000"), &log);
    ok(&o);
    assert_eq!(stdout(&o), "300000 allocation events\n");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("file size limit"), "{err}");
    assert!(std::fs::metadata(&log).unwrap().len() <= LIMIT);
    let ev = read_log(&log);
    let n = ev.iter().filter(|e| matches!(e, Event::Alloc(_))).count();
    assert!(
        (50_000..200_000).contains(&n),
        "{n} allocations recorded before the limit"
    );
}

/// A full disk stops the log, not the program: the log (on a 256 KiB tmpfs mounted in a
/// private mount namespace) takes what fits, the program's output and status are its own, and
/// what was recorded reads.
#[test]
fn a_full_disk_stops_the_log_not_the_program() {
    // SAFETY: no preconditions.
    if unsafe { libc::geteuid() } != 0
        || !run(Command::new("unshare").args(["-m", "true"]))
            .status
            .success()
    {
        eprintln!("skipped: mounting a small tmpfs needs root and unshare -m");
        return;
    }
    let dir = tempdir();
    let kept = dir.path().join("full.tklog");
    let script = r#"d=$(mktemp -d) && mount -t tmpfs -o size=256k none "$d" || exit 99
LD_PRELOAD="$1" TRACEKIT_LOG="$d/full.tklog" "$2" 300000; rc=$?
cp "$d/full.tklog" "$3"; exit $rc"#;
    let o = run(Command::new("unshare")
        .args(["-m", "sh", "-c", script, "sh"])
        .arg(preload("preload-heaptrack"))
        .arg(example("heap_bench"))
        .arg(&kept));
    ok(&o);
    assert_eq!(stdout(&o), "300000 allocation events\n");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("the disk holding the log is full"), "{err}");
    let size = std::fs::metadata(&kept).unwrap().len();
    assert!(size > 128 << 10 && size <= 256 << 10, "{size} bytes");
    let ev = read_log(&kept);
    let n = ev.iter().filter(|e| matches!(e, Event::Alloc(_))).count();
    assert!(n > 5_000, "{n} allocations recorded before the disk filled");
}

#[test]
fn counts_match_memusage_on_the_known_program() {
    require_tool!("memusage");
    let dir = tempdir();
    let log = dir.path().join("known.tklog");
    let o = traced(&mut Command::new(example("heap_known")), &log);
    ok(&o);
    let ev = read_log(&log);
    let mu = run(Command::new("memusage").arg(example("heap_known")));
    let text = String::from_utf8_lossy(&mu.stderr).into_owned() + &stdout(&mu);
    let plain: String = strip_ansi_escapes::strip_str(&text);
    let calls = |name: &str| -> usize {
        plain
            .lines()
            .find_map(|l| {
                let l = l.trim_start();
                l.strip_prefix(name)?
                    .strip_prefix('|')?
                    .split_whitespace()
                    .next()?
                    .parse()
                    .ok()
            })
            .unwrap_or_else(|| panic!("no {name} line in memusage output:\n{plain}"))
    };
    let kinds = |k: AllocKind| {
        ev.iter()
            .filter(|e| {
                matches!(e, Event::Alloc(a) if a.kind == k)
                    || matches!(e, Event::Realloc(r) if r.kind == k)
            })
            .count()
    };
    assert_eq!(kinds(AllocKind::Malloc), calls("malloc"));
    assert_eq!(kinds(AllocKind::Calloc), calls("calloc"));
    assert_eq!(kinds(AllocKind::Realloc), calls("realloc"));
    let all_frees = ev.iter().filter(|e| matches!(e, Event::Free(_))).count();
    assert_eq!(all_frees, calls("free"));
    assert_eq!(kinds(AllocKind::Malloc), 1001);
}

/// The distribution's own `tool` (`/usr/bin/python3` rather than a version manager's shell
/// wrapper, whose `exec` would end tracing), else whatever PATH finds.
fn system_tool(tool: &str) -> PathBuf {
    let p = Path::new("/usr/bin").join(tool);
    if p.exists() {
        p
    } else {
        PathBuf::from(tool)
    }
}

/// Runs `cmd` natively and under the tracker; output and status must be the same, and the
/// log complete (ending in an `Exit` with the same status).
fn same_under_tracker(name: &str, make: impl Fn() -> Command) {
    let dir = tempdir();
    let log = dir.path().join(format!("{name}.tklog"));
    let native = run(&mut make());
    let under = traced(&mut make(), &log);
    assert_eq!(stdout(&native), stdout(&under), "{name}: stdout differs");
    assert_eq!(
        native.status.code(),
        under.status.code(),
        "{name}: status differs"
    );
    let ev = read_log(&log);
    assert_eq!(exit_code(&ev), native.status.code(), "{name}: Exit record");
    assert!(
        ev.iter().any(|e| matches!(e, Event::Alloc(_))),
        "{name}: allocations recorded"
    );
    check_stacks(&ev);
}

#[test]
fn never_breaks_its_host() {
    let dir = tempdir();
    let input = dir.path().join("lines.txt");
    let text: String = (0..5000)
        .map(|i| format!("{}\n", (i * 7919) % 5003))
        .collect();
    std::fs::write(&input, text).unwrap();
    let src = dir.path().join("prog.c");
    std::fs::write(
        &src,
        "#include <stdio.h>\nint main(void){puts(\"built\");return 0;}\n",
    )
    .unwrap();

    same_under_tracker("heap_cxx", || Command::new(example("heap_cxx")));
    same_under_tracker("heap_threads", || Command::new(example("heap_threads")));
    if tracekit_e2e::has_tool("python3") {
        same_under_tracker("python3", || {
            let mut c = Command::new(system_tool("python3"));
            c.args(["-c", "import json, hashlib\nd = {str(i): list(range(i % 17)) for i in range(3000)}\nprint(hashlib.sha1(json.dumps(d, sort_keys=True).encode()).hexdigest())"]);
            c
        });
    }
    if tracekit_e2e::has_tool("perl") {
        same_under_tracker("perl", || {
            let mut c = Command::new("perl");
            c.args(["-e", "my %h = map { $_ => $_ * 2 } 1..20000; my $s = 0; $s += $_ for values %h; print scalar(keys %h), \" $s\\n\";"]);
            c
        });
    }
    if tracekit_e2e::has_tool("sort") {
        let input = input.clone();
        same_under_tracker("sort", move || {
            let mut c = Command::new("sort");
            c.arg("-n").arg(&input);
            c
        });
    }
    if tracekit_e2e::has_tool("git") {
        let repo = dir.path().join("repo");
        std::fs::create_dir(&repo).unwrap();
        run(Command::new("git").args(["init", "-q"]).current_dir(&repo));
        std::fs::write(repo.join("a.txt"), "hello\n").unwrap();
        same_under_tracker("git", || {
            let mut c = Command::new("git");
            c.args(["status", "--porcelain=v1", "--untracked-files=all"])
                .current_dir(&repo);
            c
        });
        same_under_tracker("git-hash", || {
            let mut c = Command::new("git");
            c.args(["hash-object", "a.txt"]).current_dir(&repo);
            c
        });
    }
    if tracekit_e2e::has_tool("gcc") {
        let out = dir.path().join("prog");
        same_under_tracker("gcc", || {
            let mut c = Command::new("gcc");
            c.arg("-O1").arg("-o").arg(&out).arg(&src);
            c
        });
        assert_eq!(stdout(&run(&mut Command::new(&out))), "built\n");
    }
}

#[test]
fn gcc_with_followed_execs_gives_each_process_a_readable_log() {
    require_tool!("gcc");
    let dir = tempdir();
    let src = dir.path().join("p.c");
    std::fs::write(&src, "int main(void){return 7;}\n").unwrap();
    let out = dir.path().join("p");
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    let o = traced(
        Command::new("gcc")
            .arg("-o")
            .arg(&out)
            .arg(&src)
            .env("TRACEKIT_FOLLOW_EXEC", "1"),
        &logs.join("%e.%p.tklog"),
    );
    ok(&o);
    assert_eq!(run(&mut Command::new(&out)).status.code(), Some(7));
    let mut exes = Vec::new();
    for e in std::fs::read_dir(&logs).unwrap() {
        let ev = read_log(&e.unwrap().path());
        check_stacks(&ev);
        exes.push(
            ev.iter()
                .find_map(|e| match e {
                    Event::Process(p) => Some(p.exe.to_string_lossy().into_owned()),
                    _ => None,
                })
                .unwrap(),
        );
    }
    // gcc runs the compiler proper, the assembler and the linker: each traced.
    assert!(exes.len() >= 3, "{exes:?}");
    assert!(exes.iter().any(|e| e.ends_with("/cc1")), "{exes:?}");
}

#[test]
fn followed_children_never_take_over_the_first_log() {
    require_tool!("python3");
    let dir = tempdir();
    let log = dir.path().join("py.tklog");
    // subprocess uses vfork + execve (or posix_spawn): the child is not a fork child and
    // gets no log handed on; with a log name without %p it must still pick its own file.
    let o = traced(
        Command::new(system_tool("python3"))
            .args([
                "-c",
                "import subprocess, sys\nsubprocess.run([sys.argv[1]], check=True)\nprint('ok')",
            ])
            .arg(example("heap_funcs"))
            .env("TRACEKIT_FOLLOW_EXEC", "1"),
        &log,
    );
    ok(&o);
    let root = read_log(&log);
    assert_eq!(processes(&root).len(), 1);
    assert!(processes(&root).iter().all(|&(pid, _)| pid == o_pid(&root)));
    assert_eq!(exit_code(&root), Some(0));
    let others: Vec<PathBuf> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p != &log)
        .collect();
    assert_eq!(others.len(), 1, "{others:?}");
    let child = read_log(&others[0]);
    assert_eq!(
        processes(&child)[0].1,
        o_pid(&root),
        "the child's parent is python"
    );
    assert_eq!(count(&child, AllocKind::Pvalloc, 500), 1);
}

fn o_pid(events: &[Event<'_>]) -> u32 {
    processes(events)[0].0
}

#[test]
fn fork_while_other_threads_allocate() {
    let dir = tempdir();
    let pattern = dir.path().join("ft.%p.tklog");
    let o = traced(&mut Command::new(example("heap_fork_threads")), &pattern);
    ok(&o);
    assert_eq!(stdout(&o), "10 children ok\n");
    let mut children = 0;
    for e in std::fs::read_dir(dir.path()).unwrap() {
        let ev = read_log(&e.unwrap().path());
        if count(&ev, AllocKind::Malloc, 321) == 10 {
            children += 1;
            assert_eq!(exit_code(&ev), Some(0), "the child's _exit is recorded");
        }
    }
    assert_eq!(children, 10);
}

/// Heap events in the first `len` bytes of a log, read up to the damage.
fn heap_events_in_prefix(bytes: &[u8]) -> (usize, Option<tracekit_log::Error>) {
    let mut r = match tracekit_log::Reader::new(bytes) {
        Ok(r) => r,
        Err(e) => return (0, Some(e)),
    };
    let mut n = 0;
    loop {
        match r.next_event() {
            Ok(Some(Event::Alloc(_) | Event::Free(_) | Event::Realloc(_))) => n += 1,
            Ok(Some(_)) => {}
            Ok(None) => return (n, None),
            Err(e) => return (n, Some(e)),
        }
    }
}

/// A finished, compressed heap log cut anywhere (an interrupted copy, a full disk) reports
/// everything before the cut: the zstd chunk the cut falls in is decoded as far as it goes
/// instead of being lost whole. Cutting later never gives fewer events.
#[test]
fn a_compressed_log_cut_anywhere_keeps_what_came_before() {
    let dir = tempdir();
    let log = dir.path().join("cut.tklog");
    ok(&traced(
        Command::new(example("heap_bench")).arg("300000"),
        &log,
    ));
    let full = std::fs::read(&log).unwrap();
    let (all, err) = heap_events_in_prefix(&full);
    assert!(err.is_none(), "{err:?}");
    assert!(all > 500_000, "{all}");
    let mut last = 0;
    for k in 1..=20 {
        let cut = full.len() * k / 20;
        let (n, err) = heap_events_in_prefix(&full[..cut]);
        assert!(
            n >= last,
            "cut at {cut} of {}: {n} events after {last}",
            full.len()
        );
        // heap_bench's events are spread evenly through its log: a cut at k/20 of the file
        // keeps about k/20 of them, less at most a zstd block's (1-2% here). A cut piece
        // lost whole (2 MiB of records, a fifth of them) was the bug.
        assert!(
            n * 20 + all / 2 >= all * k,
            "cut at {k}/20 of the log: {n} of {all} events"
        );
        if k < 20 {
            let err = err.unwrap_or_else(|| panic!("cut at {cut}: no error"));
            assert!(err.to_string().contains("truncated"), "{err}");
        }
        last = n;
    }
    assert_eq!(last, all);
}

/// Log files cannot be hijacked: a symlink planted at the log path is not followed (the
/// program runs on, its target is untouched), a log is mode 0600, an existing regular file
/// of ours named explicitly is overwritten (as strace's -o), and a generated default name
/// never reuses a file that exists (a pid seen before, as in a pid namespace, or a planted
/// file or symlink): the next free `NAME.N.tklog` is used.
#[test]
fn log_files_are_created_safely() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempdir();
    let d = dir.path();
    // A symlink as the explicit log path.
    let (victim, link) = planted_symlink(d, "link.tklog");
    let o = run(Command::new("/bin/true")
        .env("LD_PRELOAD", preload("preload-heaptrack"))
        .env("TRACEKIT_LOG", &link));
    assert_eq!(o.status.code(), Some(0));
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(
        err.contains("cannot create the log") && err.contains("(os error 40)"),
        "{err}"
    );
    assert_untouched(&victim);

    // An explicit path: created 0600; an existing file of ours there is overwritten.
    let mine = d.join("mine.tklog");
    std::fs::write(&mine, "old contents").unwrap();
    std::fs::set_permissions(&mine, std::fs::Permissions::from_mode(0o644)).unwrap();
    ok(&traced(&mut Command::new("/bin/true"), &mine));
    assert!(!read_log(&mine).is_empty());
    let fresh = d.join("fresh.tklog");
    ok(&traced(&mut Command::new("/bin/true"), &fresh));
    assert_eq!(mode_of(&fresh), 0o600);

    // The default name (no TRACEKIT_LOG) of a process whose pid already named a log: a
    // symlink and a file of ours planted at the names it would take are left alone.
    let script = format!(
        "ln -s {victim} tracekit-heap.true.$$.tklog && echo mine > tracekit-heap.true.$$.1.tklog \
         && LD_PRELOAD={lib} exec /bin/true",
        victim = victim.display(),
        lib = preload("preload-heaptrack").display()
    );
    let o = run(Command::new("sh")
        .args(["-c", &script])
        .current_dir(d)
        .env_remove("TRACEKIT_LOG"));
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    let names: Vec<String> = std::fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("tracekit-heap.true."))
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
    let log = names
        .iter()
        .find(|n| n.ends_with(".2.tklog"))
        .expect("a .2 log");
    assert!(!read_log(&d.join(log)).is_empty());
    let planted = names.iter().find(|n| n.ends_with(".1.tklog")).unwrap();
    assert_eq!(std::fs::read_to_string(d.join(planted)).unwrap(), "mine\n");
}

/// The files `tracekit` writes from a log (a report, an SVG, an export) are not written
/// through a symlink planted at their name: a clear error, the link's target untouched; a
/// plain path is written as usual.
#[test]
fn reports_and_exports_are_not_written_through_a_symlink() {
    let dir = tempdir();
    let d = dir.path();
    let log = d.join("known.tklog");
    ok(&traced(&mut Command::new(example("heap_known")), &log));
    let (victim, link) = planted_symlink(d, "out.svg");
    let (link, log, known) = (
        link.to_str().unwrap(),
        log.to_str().unwrap(),
        example("heap_known"),
    );
    let runs: [Vec<&str>; 4] = [
        vec!["report", "--svg", link, log],
        vec!["report", "--massif", link, log],
        vec!["export", "--format", "collapsed", "-o", link, log],
        vec![
            "heap",
            "-q",
            "--report",
            link,
            "--",
            known.to_str().unwrap(),
        ],
    ];
    for args in runs {
        let o = run(tracekit_e2e::tracekit().current_dir(d).args(&args));
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        assert_ne!(o.status.code(), Some(0), "{args:?}: {err}");
        assert!(err.contains("(os error 40)"), "{args:?}: {err}");
        assert_untouched(&victim);
    }
    let plain = d.join("plain.svg");
    let o = run(tracekit_e2e::tracekit()
        .args(["report", "--svg"])
        .arg(&plain)
        .arg(log));
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(std::fs::read_to_string(&plain).unwrap().contains("<svg"));
}

/// SIGKILL leaves no handler a chance to run: the log still holds every record written
/// before it (raw records then zero padding, compressed pieces before them), and reads
/// without damage.
#[test]
fn a_program_killed_by_sigkill_leaves_a_readable_log() {
    let dir = tempdir();
    let log = dir.path().join("killed.tklog");
    let mut child = Command::new(example("heap_bench"))
        .arg("50000000")
        .env("LD_PRELOAD", lib())
        .env("TRACEKIT_LOG", &log)
        .spawn()
        .unwrap();
    // Until several pieces (2 MiB of records each) were written, or the program ended.
    while std::fs::metadata(&log).map_or(0, |m| m.len()) < 12 << 20 {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    child.kill().unwrap();
    let status = child.wait().unwrap();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(
        status.signal(),
        Some(libc::SIGKILL),
        "heap_bench ended first"
    );
    let bytes = std::fs::read(&log).unwrap();
    let (n, err) = heap_events_in_prefix(&bytes);
    assert!(err.is_none(), "{err:?}");
    // heap_bench's records take about 9 bytes per event uncompressed.
    assert!(n > 500_000, "{n} events");
    // And `tracekit report` reads it: the process, no exit recorded.
    let out = run(Command::new(tracekit_e2e::bin("tracekit"))
        .args(["report", "--json"])
        .arg(&log));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert!(
        j["processes"][0]["exit"].is_null(),
        "{}",
        j["processes"][0]["exit"]
    );
}
