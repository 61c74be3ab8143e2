//! The analysis engine: streams event logs into per-process statistics, holding only what the
//! report needs (live blocks, per-site counters, interned stacks, modules), never the events.
//!
//! ```
//! use tracekit::analysis::Analysis;
//! use tracekit_log::{Alloc, AllocKind, Event, FileWriter, Codec};
//! let mut log = Vec::new();
//! let mut w = FileWriter::new(&mut log, Codec::Stored).unwrap();
//! w.write(&Event::Alloc(Alloc { time_ns: 1, tid: 1, kind: AllocKind::Malloc, ptr: 0x1000,
//!     size: 64, align: 0, stack: 0 })).unwrap();
//! w.finish().unwrap();
//! let mut a = Analysis::new();
//! a.read_log("mem", &log[..]).unwrap();
//! assert_eq!(a.processes[0].peak, 64);
//! ```

pub mod heap;
pub mod timeline;

use std::io::Read;
use std::sync::mpsc;

use tracekit_log::{Event, Reader};

pub use heap::{HeapProcess, ProcessInfo, Site};

/// An event on its way from the decoding thread: the frequent heap events unboxed and small,
/// the rest boxed.
enum Item {
    Alloc(tracekit_log::Alloc),
    Free(tracekit_log::Free),
    Realloc(tracekit_log::Realloc),
    Other(Box<Event<'static>>),
}

/// A crash report found in a log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrashInfo {
    /// Process id.
    pub pid: u32,
    /// Thread id.
    pub tid: u32,
    /// Signal number.
    pub signo: u32,
    /// The report as the crash handler printed it.
    pub report: String,
}

/// A fence-allocator finding, with the process it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FenceInfo {
    /// Index into [`Analysis::processes`].
    pub process: usize,
    /// The event.
    pub fence: tracekit_log::Fence,
}

/// A log that could not be read to its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damage {
    /// The log's name as given.
    pub log: String,
    /// Byte offset where the damage starts.
    pub offset: u64,
    /// The reader's message.
    pub message: String,
}

/// Everything gathered from one or more logs.
#[derive(Debug, Default)]
pub struct Analysis {
    /// One entry per process record (a process that `exec`s starts a new one).
    pub processes: Vec<HeapProcess>,
    /// Crash reports.
    pub crashes: Vec<CrashInfo>,
    /// Fence-allocator findings.
    pub fences: Vec<FenceInfo>,
    /// System-call events seen (strace-rs logs).
    pub syscalls: u64,
    /// strace's `-c` table of those that returned (wall-clock latency, entry to exit).
    pub syscall_summary: tracekit_syscall_summary::Summary,
    /// Logs that ended in damage.
    pub damage: Vec<Damage>,
    /// Records skipped because this build does not know them.
    pub skipped_records: u64,
    /// The symbols the logs carry (`tracekit pack`), for modules whose files are gone.
    pub packed: tracekit_symbolize::PackedSymbols,
}

impl Analysis {
    /// An empty analysis.
    pub fn new() -> Self {
        Analysis::default()
    }

    /// Streams one log in. A damaged log is not an error here: everything before the damage is
    /// kept and the damage is recorded in [`damage`](Self::damage). The error is for a log that
    /// cannot be opened as a log at all (not a tracekit log, unsupported version).
    ///
    /// Decoding (zstd and the record codec) runs on a second thread, handing batches of events
    /// to this one: the two halves cost about the same, so a two-core machine reads a log in
    /// about half the time.
    pub fn read_log(
        &mut self,
        name: &str,
        src: impl Read + Send,
    ) -> Result<(), tracekit_log::Error> {
        let mut reader = Reader::new(src)?;
        let first = self.processes.len();
        let mut cur: Option<usize> = None;
        const BATCH: usize = 4096;
        let (full_tx, full_rx) = mpsc::sync_channel::<Vec<Item>>(4);
        let (empty_tx, empty_rx) = mpsc::channel::<Vec<Item>>();
        let (end, skipped) = std::thread::scope(|scope| {
            let decoder = scope.spawn(move || {
                let mut batch = Vec::with_capacity(BATCH);
                let end = loop {
                    match reader.next_event() {
                        Ok(Some(ev)) => {
                            batch.push(match ev {
                                Event::Alloc(a) => Item::Alloc(a),
                                Event::Free(f) => Item::Free(f),
                                Event::Realloc(r) => Item::Realloc(r),
                                other => Item::Other(Box::new(other.into_owned())),
                            });
                            if batch.len() == BATCH {
                                let next = empty_rx
                                    .try_recv()
                                    .unwrap_or_else(|_| Vec::with_capacity(BATCH));
                                if full_tx.send(std::mem::replace(&mut batch, next)).is_err() {
                                    break Ok(());
                                }
                            }
                        }
                        Ok(None) => break Ok(()),
                        Err(e) => break Err(e),
                    }
                };
                if !batch.is_empty() {
                    let _ = full_tx.send(batch);
                }
                (end, reader.skipped())
            });
            for mut batch in full_rx {
                for item in batch.drain(..) {
                    match item {
                        Item::Alloc(a) => self.process(&mut cur).on_alloc(&a),
                        Item::Free(f) => self.process(&mut cur).on_free(&f),
                        Item::Realloc(r) => self.process(&mut cur).on_realloc(&r),
                        Item::Other(ev) => self.on_event(&mut cur, *ev),
                    }
                }
                let _ = empty_tx.send(batch);
            }
            decoder
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p))
        });
        if let Err(e) = end {
            self.damage.push(Damage {
                log: name.to_owned(),
                offset: e.offset,
                message: e.to_string(),
            });
        }
        self.skipped_records += skipped;
        for p in &mut self.processes[first..] {
            p.finish();
        }
        Ok(())
    }

    /// Keeps only the processes `keep` accepts (and their fence findings).
    pub fn retain_processes(&mut self, keep: impl Fn(&HeapProcess) -> bool) {
        let mut new_index = Vec::with_capacity(self.processes.len());
        let mut kept = 0;
        for p in &self.processes {
            new_index.push(keep(p).then(|| {
                kept += 1;
                kept - 1
            }));
        }
        let mut i = 0;
        self.processes.retain(|_| {
            i += 1;
            new_index[i - 1].is_some()
        });
        self.fences
            .retain_mut(|f| match new_index.get(f.process).copied().flatten() {
                Some(n) => {
                    f.process = n;
                    true
                }
                None => false,
            });
        let pids: Vec<u32> = self.processes.iter().map(|p| p.info.pid).collect();
        self.crashes.retain(|c| pids.contains(&c.pid));
    }

    fn process(&mut self, cur: &mut Option<usize>) -> &mut HeapProcess {
        let idx = *cur.get_or_insert_with(|| {
            self.processes
                .push(HeapProcess::new(ProcessInfo::default()));
            self.processes.len() - 1
        });
        &mut self.processes[idx]
    }

    fn on_event(&mut self, cur: &mut Option<usize>, ev: Event<'_>) {
        match ev {
            Event::Process(p) => {
                self.processes.push(HeapProcess::new(ProcessInfo {
                    pid: p.pid,
                    ppid: p.ppid,
                    exe: p.exe.to_string_lossy().into_owned(),
                    argv: p.argv(),
                    tool: p.tool.to_string_lossy().into_owned(),
                    clock_res_ns: p.clock_res_ns,
                }));
                *cur = Some(self.processes.len() - 1);
            }
            Event::Module(m) => {
                let p = self.process(cur);
                let m = Event::Module(m).into_owned();
                if let Event::Module(m) = m {
                    p.modules.push(m);
                }
            }
            Event::ModuleUnload(u) => {
                // Keep the module: blocks allocated while it was loaded still point into it.
                // A later module at the same base replaces it for lookups (pushed after it).
                let _ = u;
            }
            Event::Stack(s) => self.process(cur).add_stack(s.id, &s.frames),
            Event::Alloc(a) => self.process(cur).on_alloc(&a),
            Event::Free(f) => self.process(cur).on_free(&f),
            Event::Realloc(r) => self.process(cur).on_realloc(&r),
            Event::Exit(e) => {
                let p = self.process(cur);
                p.exit = Some(heap::ExitStatus {
                    code: e.code,
                    signal: e.signal,
                    freeres: e.freeres,
                });
                // An `exec` that returned (it failed) did not end the image.
                p.exec = None;
            }
            Event::Exec(e) => self.process(cur).exec = Some(e.path.to_string_lossy().into_owned()),
            Event::Crash(c) => self.crashes.push(CrashInfo {
                pid: c.pid,
                tid: c.tid,
                signo: c.signo,
                report: c.report.to_string_lossy().into_owned(),
            }),
            Event::Fence(f) => {
                self.process(cur);
                let process = cur.unwrap_or(0);
                self.fences.push(FenceInfo { process, fence: f });
            }
            Event::Syscall(s) => {
                self.syscalls += 1;
                self.syscall_summary.add_event(&s);
            }
            Event::Symbols(s) => self.packed.add(&s),
            // Threads, signals and library calls do not change the heap report.
            _ => {}
        }
    }
}
