//! The detail pass, for the exports (`tracekit export`): what the report does not keep but a
//! viewer shows. Per allocation site, DHAT's numbers (the most bytes live there at once, the
//! blocks there at the process's peak, the sum of its blocks' lifetimes); per process, the heap
//! over time at the clock's resolution (bounded: see [`Counter`]), its threads, its modules;
//! and every system call, signal, crash and fence finding with its time, for a trace viewer.
//!
//! It is off by default ([`Analysis::with_detail`](super::Analysis::with_detail)). The heap
//! numbers are gathered by the heap pass itself ([`SiteDetails`], driven by its own map of
//! live blocks, which already knows each block's site and birth), so an export tracks every
//! live block once; this pass keeps the other events and, at the end of each process, takes
//! the heap pass's numbers.

use rustc_hash::FxHashMap;
use tracekit_log::Event;

use super::Kept;

/// DHAT's numbers for one allocation site (stack id) of one process.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SiteDetail {
    /// Blocks allocated here (a realloc's new block is one, as valgrind counts).
    pub blocks: u64,
    /// Their bytes.
    pub bytes: u64,
    /// Sum of the lifetimes of those blocks, ns (a block live at the end lives to the end).
    pub lifetimes_ns: u64,
    /// The most bytes live here at once.
    pub max_bytes: u64,
    /// Blocks live here at that moment.
    pub max_blocks: u64,
    /// Bytes live here at the process's heap peak.
    pub peak_bytes: u64,
    /// Blocks live here at the process's heap peak.
    pub peak_blocks: u64,
    /// Bytes live here at the end (leaked).
    pub live_bytes: u64,
    /// Blocks live here at the end.
    pub live_blocks: u64,
}

/// The heap of one process over time, at most [`Counter::MAX_POINTS`] points: each point is a
/// span of time (at first every distinct timestamp; the span doubles when the points would be
/// too many) with the most bytes live during it and the bytes live at its last event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counter {
    /// The points, in time order.
    pub points: Vec<Point>,
    /// log2 of the span of a point, ns (0: one point per distinct timestamp).
    pub shift: u32,
}

/// One point of a [`Counter`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Point {
    /// Time of its first event, ns since the process started.
    pub first_ns: u64,
    /// Time of its last event.
    pub last_ns: u64,
    /// The most bytes live during it.
    pub max: u64,
    /// Bytes live after its last event.
    pub last: u64,
}

impl Counter {
    /// The most points kept.
    pub const MAX_POINTS: usize = 8192;

    #[inline]
    fn record(&mut self, time_ns: u64, bytes: u64) {
        if let Some(p) = self.points.last_mut() {
            if p.first_ns >> self.shift == time_ns >> self.shift {
                p.max = p.max.max(bytes);
                p.last = bytes;
                p.last_ns = p.last_ns.max(time_ns);
                return;
            }
        }
        self.points.push(Point {
            first_ns: time_ns,
            last_ns: time_ns,
            max: bytes,
            last: bytes,
        });
        while self.points.len() > Self::MAX_POINTS {
            self.widen();
        }
    }

    /// Doubles the span of a point, merging the points that now share one.
    fn widen(&mut self) {
        self.shift += 1;
        let shift = self.shift;
        let mut merged: Vec<Point> = Vec::with_capacity(self.points.len() / 2 + 1);
        for p in self.points.drain(..) {
            match merged.last_mut() {
                Some(m) if m.first_ns >> shift == p.first_ns >> shift => {
                    m.max = m.max.max(p.max);
                    m.last = p.last;
                    m.last_ns = p.last_ns;
                }
                _ => merged.push(p),
            }
        }
        self.points = merged;
    }
}

/// The detail's heap numbers of one process while its log is read, kept by the heap pass
/// ([`HeapProcess`](super::HeapProcess)) as its live blocks come and go: per site (by the heap
/// pass's site index) and the heap over time.
#[derive(Debug, Clone, Default)]
pub struct SiteDetails {
    sites: Vec<SiteDetail>,
    counter: Counter,
    /// The heap over time is not kept (`counter` stays empty).
    skip_counter: bool,
}

impl SiteDetails {
    /// The numbers of `site` (made on its first use).
    #[inline]
    fn slot(&mut self, site: u32) -> &mut SiteDetail {
        let i = site as usize;
        if i >= self.sites.len() {
            self.sites.resize(i + 1, SiteDetail::default());
        }
        &mut self.sites[i]
    }

    /// A block of `size` bytes made at `site`, which now has `live` (bytes, blocks) live.
    #[inline]
    pub(crate) fn insert(&mut self, site: u32, size: u64, live: (u64, u64)) {
        let s = self.slot(site);
        s.blocks += 1;
        s.bytes = s.bytes.saturating_add(size);
        if live.0 > s.max_bytes {
            (s.max_bytes, s.max_blocks) = live;
        }
    }

    /// A block of `site` released after living `lifetime_ns`.
    #[inline]
    pub(crate) fn remove(&mut self, site: u32, lifetime_ns: u64) {
        let s = self.slot(site);
        s.lifetimes_ns = s.lifetimes_ns.saturating_add(lifetime_ns);
    }

    /// At the end, before an `exec` empties the heap: each site's (bytes, blocks) live at the
    /// peak and now, from the heap pass's sites (which keep them for the report too).
    pub(crate) fn settle(&mut self, site: impl Fn(usize) -> ((u64, u64), (u64, u64))) {
        for (i, s) in self.sites.iter_mut().enumerate() {
            ((s.peak_bytes, s.peak_blocks), (s.live_bytes, s.live_blocks)) = site(i);
        }
    }

    /// The heap holds `bytes` after a change at `time_ns`.
    #[inline]
    pub(crate) fn record(&mut self, time_ns: u64, bytes: u64) {
        if !self.skip_counter {
            self.counter.record(time_ns, bytes);
        }
    }

    /// Keeps no heap over time from here on (an export that draws none).
    pub(crate) fn skip_counter(&mut self) {
        self.skip_counter = true;
    }

    /// A block of `site` still live at the end, having lived `lifetime_ns` to it.
    pub(crate) fn live_at_end(&mut self, site: u32, lifetime_ns: u64) {
        let s = self.slot(site);
        s.lifetimes_ns = s.lifetimes_ns.saturating_add(lifetime_ns);
    }
}

/// The heap numbers of one process at its end, as the heap pass hands them to
/// [`Detail::finish`].
#[derive(Debug)]
pub struct HeapEnd {
    /// The heap pass's numbers (sites by site index).
    pub details: SiteDetails,
    /// Each site's stack id, by site index.
    pub stacks: Vec<u64>,
    /// The heap peak, bytes, and when it was first reached.
    pub peak: (u64, u64),
    /// Its last heap event's time.
    pub end_ns: u64,
    /// The image ended in an `exec`, which gave its heap back (nothing leaked, as the report
    /// says).
    pub exec: bool,
}

/// What the detail pass keeps of one process (index as in the heap pass's processes).
#[derive(Debug, Clone, Default)]
pub struct ProcessDetail {
    /// Process id.
    pub pid: u32,
    /// `CLOCK_MONOTONIC` at its start, ns: its times count from here.
    pub start_mono_ns: u64,
    /// Its last event's time, ns since its start.
    pub end_ns: u64,
    /// Its heap peak, bytes (the first time it was reached, as the report's).
    pub peak: u64,
    /// When, ns since its start.
    pub peak_ns: u64,
    /// DHAT's numbers per allocation site, by stack id.
    pub sites: FxHashMap<u64, SiteDetail>,
    /// Its heap over time (empty when the export needs none: `HeapPass::skip_heap_counter`).
    pub counter: Counter,
    /// Its named threads: (tid, name), in log order.
    pub threads: Vec<(u32, String)>,
    /// Its modules, in log order (pprof's mappings).
    pub modules: Vec<tracekit_log::Module<'static>>,
}

impl ProcessDetail {
    /// Takes the heap pass's numbers: settles each site's share of the peak.
    fn finish(&mut self, heap: HeapEnd) {
        (self.peak, self.peak_ns) = heap.peak;
        self.end_ns = heap.end_ns;
        self.counter = heap.details.counter;
        for (i, mut s) in heap.details.sites.into_iter().enumerate() {
            // Only sites that made a block have numbers.
            if s.blocks == 0 {
                continue;
            }
            if heap.exec {
                (s.live_bytes, s.live_blocks) = (0, 0);
            }
            self.sites.insert(heap.stacks[i], s);
        }
    }
}

/// A system call of a strace-rs log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyscallSlice {
    /// Process id.
    pub pid: u32,
    /// Thread id.
    pub tid: u32,
    /// Entry, ns since the tracer started.
    pub entry_ns: u64,
    /// Exit (`None`: it never returned).
    pub exit_ns: Option<u64>,
    /// The call's name.
    pub name: String,
    /// The line as strace prints it.
    pub text: String,
    /// Its return value.
    pub ret: Option<i64>,
}

/// Something that happened at one moment: a signal, a crash, a fence finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    /// Index into [`Detail::processes`] (`None`: a tracer's event, timed from its start).
    pub process: Option<usize>,
    /// Process id.
    pub pid: u32,
    /// Thread id.
    pub tid: u32,
    /// Time, ns (since the process started, or since the tracer did).
    pub time_ns: u64,
    /// What it was (`SIGSEGV`, `crash: SIGSEGV`, `heap-buffer-overflow`).
    pub name: String,
}

/// Everything the detail pass kept.
#[derive(Debug, Clone, Default)]
pub struct Detail {
    /// Each process, as the heap pass's.
    pub processes: Vec<ProcessDetail>,
    /// The system calls, in log order.
    pub syscalls: Vec<SyscallSlice>,
    /// Signals, crashes and fence findings, in log order.
    pub marks: Vec<Mark>,
}

impl Detail {
    fn process(&mut self, idx: usize) -> &mut ProcessDetail {
        if self.processes.len() <= idx {
            self.processes.resize_with(idx + 1, ProcessDetail::default);
        }
        &mut self.processes[idx]
    }

    /// Any other event, of process `idx` (as the heap pass placed it: after it saw the event).
    pub fn on_event(&mut self, idx: Option<usize>, ev: &Event<'static>) {
        let pid = |d: &mut Detail| idx.map_or(0, |i| d.process(i).pid);
        match ev {
            Event::Process(p) => {
                if let Some(i) = idx {
                    let d = self.process(i);
                    d.pid = p.pid;
                    d.start_mono_ns = p.start_mono_ns;
                }
            }
            Event::Module(m) => {
                if let Some(i) = idx {
                    let m = m.clone();
                    self.process(i).modules.push(m);
                }
            }
            Event::Thread(t) => {
                if let Some(i) = idx {
                    let name = t.name.to_string_lossy().into_owned();
                    self.process(i).threads.push((t.tid, name));
                }
            }
            Event::Syscall(s) => self.syscalls.push(SyscallSlice {
                pid: s.pid,
                tid: s.tid,
                entry_ns: s.entry_ns,
                exit_ns: (s.exit_ns != 0 && s.ret.is_some()).then_some(s.exit_ns),
                name: s.name.to_string_lossy().into_owned(),
                text: s.text.to_string_lossy().into_owned(),
                ret: s.ret,
            }),
            Event::Signal(s) => self.marks.push(Mark {
                process: None,
                pid: s.pid,
                tid: s.tid,
                time_ns: s.time_ns,
                name: tracekit_syscall_summary::signals::name(i64::from(s.signo)),
            }),
            Event::Crash(c) => self.marks.push(Mark {
                process: idx,
                pid: c.pid,
                tid: c.tid,
                time_ns: c.time_ns,
                name: format!(
                    "crash: {}",
                    tracekit_syscall_summary::signals::name(i64::from(c.signo))
                ),
            }),
            Event::Fence(f) => {
                let pid = pid(self);
                self.marks.push(Mark {
                    process: idx,
                    pid,
                    tid: f.tid,
                    time_ns: f.time_ns,
                    name: f.kind.name().to_owned(),
                })
            }
            _ => {}
        }
    }

    /// After the last event of process `idx`: its heap numbers, from the heap pass.
    pub fn finish(&mut self, idx: usize, heap: HeapEnd) {
        self.process(idx).finish(heap);
    }

    /// Keeps the processes kept (`--progname`).
    pub fn keep_processes(&mut self, kept: &Kept<'_>) {
        let mut i = 0;
        self.processes.retain(|_| {
            i += 1;
            kept.new_index.get(i - 1).copied().flatten().is_some()
        });
        self.marks.retain_mut(|m| match m.process {
            None => true,
            Some(p) => match kept.new_index.get(p).copied().flatten() {
                Some(n) => {
                    m.process = Some(n);
                    true
                }
                None => false,
            },
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::{HeapProcess, ProcessInfo};
    use tracekit_log::{Alloc, Free};

    #[test]
    fn the_counter_stays_bounded_and_keeps_the_maximum() {
        let mut c = Counter::default();
        for t in 0..(3 * Counter::MAX_POINTS as u64) {
            c.record(t, if t == 5000 { 1_000_000 } else { t % 7 });
        }
        assert!(c.points.len() <= Counter::MAX_POINTS);
        assert!(c.shift >= 1);
        assert_eq!(c.points.iter().map(|p| p.max).max(), Some(1_000_000));
        assert!(c.points.windows(2).all(|w| w[0].last_ns < w[1].first_ns));
        let last = (3 * Counter::MAX_POINTS as u64) - 1;
        assert_eq!(c.points.last().unwrap().last, last % 7);
    }

    #[test]
    fn sites_keep_their_blocks_at_the_peak_and_their_lifetimes() {
        let alloc = |t, ptr, size, stack| Alloc {
            time_ns: t,
            tid: 1,
            kind: tracekit_log::AllocKind::Malloc,
            ptr,
            size,
            align: 0,
            stack,
        };
        let free = |t, ptr| Free {
            time_ns: t,
            tid: 1,
            kind: tracekit_log::FreeKind::Free,
            ptr,
            size: 0,
            stack: 0,
        };
        // The heap pass keeps the numbers as its blocks come and go.
        let mut h = HeapProcess::new(ProcessInfo::default());
        h.keep_detail();
        h.on_alloc(&alloc(0, 0x10, 100, 1));
        h.on_alloc(&alloc(10, 0x20, 50, 1));
        h.on_alloc(&alloc(20, 0x30, 10, 2)); // the peak: 160
        h.on_free(&free(30, 0x10));
        h.on_free(&free(40, 0x30));
        h.on_alloc(&alloc(50, 0x40, 20, 2));
        h.finish();
        let mut d = Detail::default();
        d.finish(0, h.detail_end());
        let p = &d.processes[0];
        assert_eq!((p.peak, p.peak_ns, p.end_ns), (160, 20, 50));
        let s1 = p.sites[&1];
        assert_eq!(
            (s1.blocks, s1.bytes, s1.max_bytes, s1.max_blocks),
            (2, 150, 150, 2)
        );
        assert_eq!((s1.peak_bytes, s1.peak_blocks), (150, 2));
        assert_eq!((s1.live_bytes, s1.live_blocks), (50, 1));
        // 0x10 lived 30 ns; 0x20 is live at the end (50): 40 ns.
        assert_eq!(s1.lifetimes_ns, 70);
        let s2 = p.sites[&2];
        assert_eq!((s2.peak_bytes, s2.peak_blocks), (10, 1));
        assert_eq!((s2.max_bytes, s2.max_blocks), (20, 1));
        assert_eq!(s2.lifetimes_ns, 20);
    }

    #[test]
    fn a_realloc_shows_in_the_time_slices_at_its_lowest_and_after() {
        let alloc = |t, ptr, size| Alloc {
            time_ns: t,
            tid: 1,
            kind: tracekit_log::AllocKind::Malloc,
            ptr,
            size,
            align: 0,
            stack: 1,
        };
        let realloc = |t, old_ptr, new_ptr, size| tracekit_log::Realloc {
            time_ns: t,
            tid: 1,
            kind: tracekit_log::AllocKind::Realloc,
            old_ptr,
            new_ptr,
            size,
            stack: 1,
        };
        let mut h = HeapProcess::new(ProcessInfo::default());
        h.keep_detail();
        h.on_alloc(&alloc(0, 0x10, 100));
        h.on_alloc(&alloc(0, 0x20, 200));
        // A realloc moving 0x10 (100 bytes) to 0x30 (10): the heap goes 300 -> 200 -> 210.
        h.on_realloc(&realloc(1 << 20, 0x10, 0x30, 10));
        // One moving 0x30 to 0x20, which is live (its free was not recorded): the heap goes
        // 210 -> 200 (0x30 released) -> 0 (0x20 dropped) -> 5.
        h.on_realloc(&realloc(2 << 20, 0x30, 0x20, 5));
        h.finish();
        let mut d = Detail::default();
        d.finish(0, h.detail_end());
        let points: Vec<(u64, u64, u64)> = d.processes[0]
            .counter
            .points
            .iter()
            .map(|p| (p.first_ns, p.max, p.last))
            .collect();
        assert_eq!(
            points,
            [(0, 300, 300), (1 << 20, 210, 210), (2 << 20, 200, 5)]
        );
        // The timeline has slices of 1 ms at first: these are 1 ms apart.
        let maxima = h.timeline.maxima();
        assert_eq!(maxima.iter().copied().max(), Some(300));
        assert_eq!(h.current, 5);
    }
}
