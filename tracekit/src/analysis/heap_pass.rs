//! The heap pass, the first every event goes through: it keeps the processes of the logs (a
//! `Process` record starts one; the events after it are its own) with their modules and
//! stacks, which the other passes' findings refer to by process index, and feeds each
//! process's heap accounting ([`HeapProcess`], which keeps its timeline too).

use tracekit_log::Event;

use super::heap::{self, HeapProcess, ProcessInfo};
use super::mapped::PageChange;

/// Every process of the logs read, in log order (a process that `exec`s starts a new one).
#[derive(Debug, Default)]
pub struct HeapPass {
    /// The processes.
    pub processes: Vec<HeapProcess>,
    /// Each process also keeps what the exports need ([`HeapProcess::keep_detail`]).
    keep_detail: bool,
    /// Each process takes no snapshots of its heap over time ([`HeapProcess::skip_over_time`]).
    skip_over_time: bool,
    /// Each process's detail keeps no heap over time ([`HeapProcess::skip_heap_counter`]).
    skip_heap_counter: bool,
    /// Each process counts no lifetime histograms ([`HeapProcess::skip_lifetimes`]).
    skip_lifetimes: bool,
    /// Each process keeps no timeline ([`HeapProcess::skip_timeline`]).
    skip_timeline: bool,
    /// What `tracekit pack` found in the modules' symbol tables (allocators of their own, test
    /// harnesses), by module path.
    pub notes: Vec<tracekit_log::ModuleNote<'static>>,
    /// The heap is the processes' anonymous mappings, not their heap blocks (`--pages-as-heap`,
    /// see [`super::mapped`]).
    pub pages_as_heap: bool,
    /// Scratch for the changes of one mapping event.
    changes: Vec<PageChange>,
}

impl HeapPass {
    /// A pass whose processes also keep what the exports need.
    pub fn with_detail() -> Self {
        HeapPass {
            keep_detail: true,
            ..HeapPass::default()
        }
    }

    /// The processes read from here on take no snapshots of their heap over time (no graph
    /// will be drawn: they cost a little on every event).
    pub fn skip_over_time(&mut self) {
        self.skip_over_time = true;
    }

    /// The processes read from here on keep no timeline ([`HeapProcess::timeline`]: nothing
    /// will print it, and it costs a little on every heap event).
    pub fn skip_timeline(&mut self) {
        self.skip_timeline = true;
    }

    /// The processes read from here on count no histograms of block lifetimes
    /// ([`HeapProcess::lifetimes`]: nothing will print them, and they cost a little on every
    /// release).
    pub fn skip_lifetimes(&mut self) {
        self.skip_lifetimes = true;
    }

    /// The processes read from here on keep no heap over time in their detail (no export
    /// will draw it).
    pub fn skip_heap_counter(&mut self) {
        self.skip_heap_counter = true;
    }

    fn push(&mut self, info: ProcessInfo) -> usize {
        let mut p = HeapProcess::new(info);
        if self.keep_detail {
            p.keep_detail();
        }
        if self.skip_over_time {
            p.skip_over_time();
        }
        if self.skip_heap_counter {
            p.skip_heap_counter();
        }
        if self.skip_lifetimes {
            p.skip_lifetimes();
        }
        if self.skip_timeline {
            p.skip_timeline();
        }
        self.processes.push(p);
        self.processes.len() - 1
    }

    /// The current process (`cur`), made when the log has events before any `Process` record.
    pub fn process(&mut self, cur: &mut Option<usize>) -> &mut HeapProcess {
        let idx = match *cur {
            Some(i) => i,
            None => *cur.insert(self.push(ProcessInfo::default())),
        };
        &mut self.processes[idx]
    }

    /// One event other than the frequent three (which go to [`HeapProcess`] directly); a
    /// `Process` record makes `cur` the new process.
    pub fn on_event(&mut self, cur: &mut Option<usize>, ev: &Event<'static>) {
        match ev {
            Event::Process(p) => {
                *cur = Some(self.push(ProcessInfo {
                    pid: p.pid,
                    ppid: p.ppid,
                    exe: p.exe.to_string_lossy().into_owned(),
                    argv: p.argv(),
                    tool: p.tool.to_string_lossy().into_owned(),
                    clock_res_ns: p.clock_res_ns,
                }));
            }
            Event::Module(m) => self.process(cur).modules.push(m.clone()),
            // Keep the module: blocks allocated while it was loaded still point into it. A
            // later module at the same base replaces it for lookups (pushed after it).
            Event::ModuleUnload(_) => {}
            Event::Stack(s) => self.process(cur).add_stack(s.id, &s.frames),
            Event::Alloc(_) | Event::Free(_) | Event::Realloc(_) if self.pages_as_heap => {}
            Event::Alloc(a) => self.process(cur).on_alloc(a),
            Event::Free(f) => self.process(cur).on_free(f),
            Event::Realloc(r) => self.process(cur).on_realloc(r),
            Event::Mapping(m) => {
                let mut changes = std::mem::take(&mut self.changes);
                let pages = self.pages_as_heap;
                let p = self.process(cur);
                p.memory.on_mapping(m, &mut changes);
                if pages {
                    for c in changes.drain(..) {
                        p.on_page_change(m, c);
                    }
                }
                changes.clear();
                self.changes = changes;
            }
            Event::MemorySample(s) => {
                let p = self.process(cur);
                let heap = p.current;
                p.memory.on_sample(s, heap);
            }
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
            Event::Leak(l) => {
                // Consecutive records with one check number are one check.
                let checks = &mut self.process(cur).leaks;
                match checks.last_mut() {
                    Some(c) if c.check == l.check => c.add(l),
                    _ => {
                        let mut c = super::leak::LeakCheck {
                            check: l.check,
                            cause: l.cause,
                            ..Default::default()
                        };
                        c.add(l);
                        checks.push(c);
                    }
                }
            }
            Event::Attach(a) => {
                let p = self.process(cur);
                match (a.detached, &mut p.attached) {
                    (false, _) => p.attached = Some((a.time_ns, None)),
                    (true, Some((_, end))) => *end = Some(a.time_ns),
                    (true, None) => p.attached = Some((0, Some(a.time_ns))),
                }
            }
            Event::Exec(e) => self.process(cur).exec = Some(e.path.to_string_lossy().into_owned()),
            // A finding belongs to a process: there is one from here on.
            Event::Fence(_) => {
                self.process(cur);
            }
            Event::ModuleNote(n) => self.notes.push(n.clone()),
            _ => {}
        }
    }

    /// Keeps only the processes `keep` accepts; returns each old index's new one.
    pub fn retain(&mut self, keep: impl Fn(&HeapProcess) -> bool) -> Vec<Option<usize>> {
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
        new_index
    }
}
