//! `tracekit heap --per-test`: the heap figures of each test of a test suite, as
//! pytest-memray gives Python users.
//!
//! A test is what a thread is doing: Rust's test harness (libtest, `cargo test`) runs each
//! test on a thread named after it, and a harness that does not (a GoogleTest or ctest-style
//! binary) marks its tests with `tracekit_heap.h`'s `TRACEKIT_TEST_BEGIN`/`END`, written as
//! `Region` records. An allocation belongs to the test of the thread that made it, for its
//! whole life (a block freed by another thread still leaves the test's live bytes). Only the
//! processes that are a test harness (`tracekit pack` found libtest in them, a `ModuleNote`)
//! or that marked regions are read this way; the main thread of a libtest binary is the
//! harness, not a test.
//!
//! The kernel keeps 15 bytes of a thread's name, so a long test name comes back cut: the
//! names the test binary lists (`BINARY --list`, run after the suite) give the whole name
//! when one alone starts with those bytes.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::Context;
use tracekit_log::{Event, NoteKind, Reader};

use crate::size::Size;

/// The figures of one test.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TestFigures {
    /// The test's name (its thread's, or its region's).
    pub name: String,
    /// The process it ran in.
    pub pid: u32,
    /// Allocations (a reallocation is one, as valgrind counts).
    pub allocs: u64,
    /// Bytes allocated.
    pub allocated: u64,
    /// The most bytes of the test's blocks live at once.
    pub peak: u64,
    /// Bytes of the test's blocks still live at exit.
    pub leaked: u64,
    /// Bytes live now (during the read).
    live: u64,
}

/// The tests of some logs.
#[derive(Debug, Default)]
pub struct PerTest {
    /// Every test, in the order each first allocated.
    pub tests: Vec<TestFigures>,
    /// True when some process was a test harness or marked a region (a suite with no test
    /// that allocated has no rows, and is not a program without a harness).
    pub harness_found: bool,
}

/// What one process of a log is, while it is read.
#[derive(Default)]
struct Proc {
    pid: u32,
    exe: String,
    /// Thread names, by tid.
    names: HashMap<u32, String>,
    /// Open regions, by tid.
    regions: HashMap<u32, String>,
    /// Live blocks: address to (test index, size).
    live: HashMap<u64, (Option<usize>, u64)>,
    /// Test index by name.
    by_name: HashMap<String, usize>,
    /// Each thread's test, as last found (forgotten when its name or region changes).
    of_thread: HashMap<u32, Option<usize>>,
    /// Figures of this process's tests.
    tests: Vec<TestFigures>,
    regions_seen: bool,
    /// libtest is in one of its modules.
    harness: bool,
}

impl Proc {
    fn test_of(&mut self, tid: u32) -> Option<usize> {
        if let Some(&t) = self.of_thread.get(&tid) {
            return t;
        }
        let t = self.find_test(tid);
        self.of_thread.insert(tid, t);
        t
    }

    fn find_test(&mut self, tid: u32) -> Option<usize> {
        let name = match self.regions.get(&tid) {
            Some(r) => r.clone(),
            // The main thread of a libtest binary runs the harness; the others the tests.
            None if self.harness && tid != self.pid => self.names.get(&tid)?.clone(),
            None => return None,
        };
        let pid = self.pid;
        let tests = &mut self.tests;
        Some(*self.by_name.entry(name.clone()).or_insert_with(|| {
            tests.push(TestFigures {
                name,
                pid,
                ..TestFigures::default()
            });
            tests.len() - 1
        }))
    }

    fn alloc(&mut self, test: Option<usize>, ptr: u64, size: u64) {
        if let Some(t) = test {
            let f = &mut self.tests[t];
            f.allocs += 1;
            f.allocated = f.allocated.saturating_add(size);
            if ptr != 0 {
                f.live += size;
                f.peak = f.peak.max(f.live);
            }
        }
        if ptr != 0 {
            self.live.insert(ptr, (test, size));
        }
    }

    fn free(&mut self, ptr: u64) {
        if let Some((Some(t), size)) = self.live.remove(&ptr) {
            self.tests[t].live -= size;
        }
    }
}

impl PerTest {
    /// Reads `logs` (the logs of one run).
    pub fn read(logs: &[PathBuf]) -> anyhow::Result<PerTest> {
        let mut all = PerTest::default();
        for log in logs {
            let file = File::open(log).with_context(|| format!("cannot open {}", log.display()))?;
            all.read_log(Reader::new(file)?)?;
        }
        Ok(all)
    }

    fn read_log<R: io::Read>(&mut self, mut reader: Reader<R>) -> anyhow::Result<()> {
        let mut procs: Vec<Proc> = Vec::new();
        let mut harnesses: Vec<Vec<u8>> = Vec::new();
        // A damaged log: its figures up to the damage (the report says where it is).
        while let Ok(Some(ev)) = reader.next_event() {
            if let Event::Process(p) = &ev {
                procs.push(Proc {
                    pid: p.pid,
                    exe: p.exe.to_string_lossy().into_owned(),
                    ..Proc::default()
                });
                continue;
            }
            if let Event::ModuleNote(n) = &ev {
                if n.kind == NoteKind::TestHarness {
                    harnesses.push(n.path.as_bytes().to_vec());
                }
                continue;
            }
            let Some(p) = procs.last_mut() else { continue };
            match ev {
                // The notes come first in a packed log, before any process.
                Event::Module(m) => p.harness |= harnesses.iter().any(|h| h == m.path.as_bytes()),
                Event::Thread(t) => {
                    p.of_thread.remove(&t.tid);
                    p.names.insert(t.tid, t.name.to_string_lossy().into_owned());
                }
                Event::Region(r) => {
                    p.of_thread.remove(&r.tid);
                    if r.name.as_bytes().is_empty() {
                        p.regions.remove(&r.tid);
                    } else {
                        p.regions_seen = true;
                        p.regions
                            .insert(r.tid, r.name.to_string_lossy().into_owned());
                    }
                }
                Event::Alloc(a) => {
                    let t = p.test_of(a.tid);
                    p.alloc(t, a.ptr, a.size);
                }
                Event::Free(f) => p.free(f.ptr),
                Event::Realloc(r) => {
                    // A failed resize (null, size > 0) leaves the old block as it was.
                    if r.new_ptr == 0 && r.size > 0 {
                        continue;
                    }
                    if r.old_ptr != 0 {
                        p.free(r.old_ptr);
                    }
                    if r.new_ptr != 0 {
                        let t = p.test_of(r.tid);
                        p.alloc(t, r.new_ptr, r.size);
                    }
                }
                _ => {}
            }
        }
        for mut p in procs {
            self.harness_found |= p.harness || p.regions_seen;
            let names = if p.harness {
                listed_tests(Path::new(&p.exe))
            } else {
                Vec::new()
            };
            for mut t in std::mem::take(&mut p.tests) {
                t.leaked = t.live;
                t.name = whole_name(&t.name, &names);
                self.tests.push(t);
            }
        }
        Ok(())
    }

    /// The table, one row per test.
    pub fn write(&self, out: &mut dyn Write) -> io::Result<()> {
        let width = self
            .tests
            .iter()
            .map(|t| t.name.len())
            .chain([4])
            .max()
            .unwrap_or(4);
        writeln!(out, "Per test (allocations by the test's thread):")?;
        writeln!(
            out,
            "  {:<width$}  {:>8}  {:>12}  {:>12}  {:>12}",
            "test", "allocs", "allocated", "peak", "leaked"
        )?;
        for t in &self.tests {
            writeln!(
                out,
                "  {:<width$}  {:>8}  {:>12}  {:>12}  {:>12}",
                t.name, t.allocs, t.allocated, t.peak, t.leaked
            )?;
        }
        Ok(())
    }

    /// The per-test gates: one message per test over a limit.
    pub fn check(&self, gates: &PerTestGates) -> Vec<String> {
        let mut failed = Vec::new();
        for t in &self.tests {
            if let Some(max) = &gates.max_peak {
                if t.peak > max.bytes {
                    failed.push(format!(
                        "test {}: peak {} bytes exceeds --max-peak-per-test {max}",
                        t.name, t.peak
                    ));
                }
            }
            if let Some(max) = &gates.max_leaked {
                if t.leaked > max.bytes {
                    failed.push(format!(
                        "test {}: {} bytes leaked exceeds --max-leaked-per-test {max}",
                        t.name, t.leaked
                    ));
                }
            }
        }
        failed
    }
}

/// `--max-peak-per-test`, `--max-leaked-per-test`.
#[derive(Debug, Clone, Default)]
pub struct PerTestGates {
    /// Largest heap peak of one test's blocks.
    pub max_peak: Option<Size>,
    /// Most bytes one test may leave live at exit.
    pub max_leaked: Option<Size>,
}

/// The tests a libtest binary lists (`BINARY --list`: lines `NAME: test`); none when it
/// cannot be run again.
fn listed_tests(exe: &Path) -> Vec<String> {
    let Ok(out) = Command::new(exe)
        .arg("--list")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
    else {
        return Vec::new();
    };
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            l.strip_suffix(": test")
                .or_else(|| l.strip_suffix(": bench"))
        })
        .map(str::to_owned)
        .collect()
}

/// The whole name of the test whose thread name (cut to 15 bytes by the kernel) is `cut`: the
/// one listed name that starts with it, else `cut` as it is.
fn whole_name(cut: &str, listed: &[String]) -> String {
    if listed.iter().any(|n| n == cut) {
        return cut.to_owned();
    }
    let mut starts = listed.iter().filter(|n| n.starts_with(cut));
    match (starts.next(), starts.next()) {
        (Some(one), None) => one.clone(),
        _ => cut.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_name_is_made_whole_only_when_one_listed_name_fits() {
        let listed = [
            "tests::allocates_a_lot".into(),
            "tests::allocates_a_little".into(),
        ];
        assert_eq!(whole_name("tests::allocat", &listed), "tests::allocat");
        let listed = ["tests::allocates_a_lot".into(), "other".into()];
        assert_eq!(
            whole_name("tests::allocat", &listed),
            "tests::allocates_a_lot"
        );
        assert_eq!(whole_name("other", &listed), "other");
    }
}
