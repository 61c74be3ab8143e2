//! The analysis engine: streams event logs through passes, each building its own model of one
//! kind of event and holding only what the report needs (live blocks, per-site counters,
//! interned stacks, modules), never the events:
//!
//! - [`HeapPass`] (first: it keeps the processes the others refer to): heap accounting and the
//!   heap over time per process ([`heap`], [`timeline`]);
//! - [`CrashPass`]: the crash handler's reports;
//! - [`FencePass`]: the fence allocator's findings;
//! - [`SyscallPass`]: strace-rs's system calls, as strace's `-c` table;
//! - [`LibCallPass`]: ltrace-rs's library calls, as ltrace's `-c` table.
//!
//! A pass for another tool's events is a file implementing [`Pass`], a
//! field of [`Analysis`] and an entry in its list of passes (`Analysis::passes`).
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
//! assert_eq!(a.heap.processes[0].peak, 64);
//! ```

mod blocks;
pub mod crash;
pub mod detail;
pub mod fence;
pub mod heap;
mod heap_pass;
pub mod leak;
pub mod libcalls;
pub mod mapped;
mod pipeline;
pub mod syscalls;
pub mod timeline;

use std::io::Read;

use tracekit_log::delta::HeapEvent;
use tracekit_log::{Event, Reader, Record};

pub use crash::{CrashInfo, CrashPass};
pub use fence::{FenceInfo, FencePass};
pub use heap::{HeapProcess, ProcessInfo, Site};
pub use heap_pass::HeapPass;
pub use libcalls::LibCallPass;
pub use syscalls::SyscallPass;

/// A pass over the events of the logs, after the heap pass has placed each in its process.
pub trait Pass {
    /// One event (other than the frequent heap events, which only the heap pass sees), of the
    /// process at index `process` in [`HeapPass::processes`] (`None`: before any).
    fn on_event(&mut self, process: Option<usize>, ev: &Event<'_>);

    /// Only some processes are kept (`--progname`): drop what belongs to the others, renumber
    /// what refers to the kept ones.
    fn keep_processes(&mut self, kept: &Kept<'_>) {
        let _ = kept;
    }
}

/// The processes kept, for [`Pass::keep_processes`].
#[derive(Debug, Clone, Copy)]
pub struct Kept<'a> {
    /// Each old process index's new one (`None`: dropped).
    pub new_index: &'a [Option<usize>],
    /// The pids of the processes kept.
    pub pids: &'a [u32],
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
    /// The processes and their heaps.
    pub heap: HeapPass,
    /// Crash reports.
    pub crashes: CrashPass,
    /// Fence-allocator findings.
    pub fences: FencePass,
    /// System calls (strace-rs logs).
    pub syscalls: SyscallPass,
    /// Library calls (ltrace-rs logs).
    pub libcalls: LibCallPass,
    /// Logs that ended in damage.
    pub damage: Vec<Damage>,
    /// Records skipped because this build does not know them.
    pub skipped_records: u64,
    /// The symbols the logs carry (`tracekit pack`), for modules whose files are gone.
    pub packed: tracekit_symbolize::PackedSymbols,
    /// What the exports need besides the report (off unless [`with_detail`](Self::with_detail)).
    pub detail: Option<Box<detail::Detail>>,
    /// Where logs are decoded.
    pub decode_thread: DecodeThread,
}

/// Where [`Analysis::read_log`] reads, decompresses and decodes a log.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DecodeThread {
    /// On a thread of its own when this process may run on two CPUs or more, else on the
    /// calling thread.
    #[default]
    Auto,
    /// On the calling thread, which also counts.
    Same,
    /// On a thread of its own, while the calling thread counts.
    Own,
}

impl Analysis {
    /// An empty analysis.
    pub fn new() -> Self {
        Analysis::default()
    }

    /// An empty analysis that also keeps the [`detail`](detail::Detail) the exports need.
    pub fn with_detail() -> Self {
        Analysis {
            heap: HeapPass::with_detail(),
            detail: Some(Box::default()),
            ..Analysis::default()
        }
    }

    /// Streams one log in. A damaged log is not an error here: everything before the damage is
    /// kept and the damage is recorded in [`damage`](Self::damage). The error is for a log that
    /// cannot be opened as a log at all (not a tracekit log, unsupported version).
    ///
    /// With a core to spare ([`decode_thread`](Self::decode_thread): two cores or more and
    /// fewer tasks runnable than cores), a second thread reads, decompresses and decodes while
    /// this one counts (see `pipeline`): about a third less wall time for about a tenth more
    /// CPU time. Otherwise one loop decodes and counts: each heap event of a batch record goes
    /// to its process as it decodes, never stored (two threads on busy cores cost 15-40% more
    /// CPU time, a context switch a batch, and saved no wall time, measured under load 4-6).
    pub fn read_log(
        &mut self,
        name: &str,
        src: impl Read + Send,
    ) -> Result<(), tracekit_log::Error> {
        let reader = Reader::new(src)?;
        let first = self.heap.processes.len();
        let own = match self.decode_thread {
            DecodeThread::Auto => pipeline::worth_it(),
            DecodeThread::Same => false,
            DecodeThread::Own => true,
        };
        let (end, skipped) = if !own {
            self.read_fused(reader)
        } else {
            let mut cur = None;
            let end = pipeline::run(reader, |batch| self.take_batch(&mut cur, batch));
            (end.result, end.skipped)
        };
        if let Err(e) = end {
            self.damage.push(Damage {
                log: name.to_owned(),
                offset: e.offset,
                message: e.to_string(),
            });
        }
        self.skipped_records += skipped;
        for (i, p) in self.heap.processes.iter_mut().enumerate().skip(first) {
            p.finish();
            if let Some(d) = &mut self.detail {
                d.finish(i, p.detail_end());
            }
        }
        Ok(())
    }

    /// [`read_log`](Self::read_log)'s loop on one thread; returns how the log ended and the
    /// records skipped.
    fn read_fused(
        &mut self,
        mut reader: Reader<impl Read>,
    ) -> (Result<(), tracekit_log::Error>, u64) {
        let mut cur: Option<usize> = None;
        let end = loop {
            match reader.next_record() {
                Ok(Some(Record::Heap(h))) => {
                    if !self.heap.pages_as_heap {
                        // The rest of this batch record's heap events (nearly all of a heap
                        // log's) go straight to the process as they decode.
                        let p = self.heap.process(&mut cur);
                        p.on_heap_event(&h);
                        reader.next_heap_events(usize::MAX, |h| p.on_heap_event(&h));
                    }
                }
                Ok(Some(Record::Event(Event::Alloc(a)))) => {
                    self.on_heap_event(&mut cur, &HeapEvent::Alloc(a))
                }
                Ok(Some(Record::Event(Event::Free(f)))) => {
                    self.on_heap_event(&mut cur, &HeapEvent::Free(f))
                }
                Ok(Some(Record::Event(Event::Realloc(r)))) => {
                    self.on_heap_event(&mut cur, &HeapEvent::Realloc(r))
                }
                Ok(Some(Record::Event(other))) => {
                    let ev = other.into_owned();
                    self.on_event(&mut cur, &ev)
                }
                Ok(None) => break Ok(()),
                Err(e) => break Err(e),
            }
        };
        (end, reader.skipped())
    }

    /// A batch of events from the decoding thread (`pipeline`), in log order.
    fn take_batch(&mut self, cur: &mut Option<usize>, batch: &pipeline::Batch) {
        use pipeline::Item;
        let items = &batch.items[..];
        let mut i = 0;
        while let Some(item) = items.get(i) {
            match item {
                Item::Heap(_) if self.heap.pages_as_heap => i += 1,
                Item::Heap(_) => {
                    // The run of heap events from here (nearly all of a heap log's).
                    let p = self.heap.process(cur);
                    while let Some(Item::Heap(h)) = items.get(i) {
                        p.on_heap_event(h);
                        i += 1;
                    }
                }
                Item::Other(k) => {
                    self.on_event(cur, &batch.others[*k as usize]);
                    i += 1;
                }
            }
        }
    }

    /// A heap event in a record of its own.
    fn on_heap_event(&mut self, cur: &mut Option<usize>, h: &HeapEvent) {
        if !self.heap.pages_as_heap {
            self.heap.process(cur).on_heap_event(h);
        }
    }

    /// The passes after the heap pass, in the order they see each event.
    fn passes(&mut self) -> [&mut dyn Pass; 4] {
        [
            &mut self.crashes,
            &mut self.fences,
            &mut self.syscalls,
            &mut self.libcalls,
        ]
    }

    /// Keeps only the processes `keep` accepts (and what the other passes found in them).
    pub fn retain_processes(&mut self, keep: impl Fn(&HeapProcess) -> bool) {
        let new_index = self.heap.retain(keep);
        let pids: Vec<u32> = self.heap.processes.iter().map(|p| p.info.pid).collect();
        let kept = Kept {
            new_index: &new_index,
            pids: &pids,
        };
        for pass in self.passes() {
            pass.keep_processes(&kept);
        }
        if let Some(d) = &mut self.detail {
            d.keep_processes(&kept);
        }
    }

    fn on_event(&mut self, cur: &mut Option<usize>, ev: &Event<'static>) {
        self.heap.on_event(cur, ev);
        if let Event::Symbols(s) = ev {
            self.packed.add(s);
        }
        let process = *cur;
        for pass in self.passes() {
            pass.on_event(process, ev);
        }
        if let Some(d) = &mut self.detail {
            d.on_event(process, ev);
        }
    }
}
