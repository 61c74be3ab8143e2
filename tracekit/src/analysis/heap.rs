//! Heap accounting for one process, fed one event at a time.
//!
//! The counters follow glibc `memusage` (malloc/memusage.c) where it has a definition, so a
//! reader can compare the two tools line by line:
//!
//! - *heap total* (`heap_total`): bytes requested by every allocation call, failed or not,
//!   where a `realloc` adds only its growth (`new - old` when larger, else nothing);
//! - *heap peak*: the most bytes (as requested, not as the allocator rounds them) live at once;
//! - per function: calls, bytes (the same rule as heap total; `free` counts the bytes it
//!   released) and failed calls (a null result);
//! - `realloc`'s `nomove` (returned the block it was given), `dec` (shrunk) and `free`
//!   (`realloc(p, 0)`, which releases `p`: counted as a realloc call, not in the histogram);
//! - the histogram of requested sizes in 16-byte buckets below 65536, and `large` above.
//!
//! It adds what `valgrind` counts ([`ValgrindCounts`]: a `realloc` is one allocation of its full
//! new size plus one free of the old block), blocks still live at the end (leaks), and per-site
//! statistics ([`Site`]) including each site's share of the heap at the moment of the peak.
//!
//! Two views of how long blocks live: heaptrack's *temporary* allocations (see
//! [`HeapProcess::temporary`]), and bytehound's lifetimes ([`Lifetimes`]: a block lives from its
//! allocation, by `malloc` or `realloc`, to its release, by `free` or `realloc`), counted in
//! allocations made meanwhile and in time.

use rustc_hash::FxHashMap;
use tracekit_log::{Alloc, AllocKind, Free, FreeKind, Module, Realloc};

use super::blocks::{Blocks, Slot};
use super::detail::{HeapEnd, SiteDetails};
use super::timeline::live_sites;

/// memusage's histogram: 16-byte buckets below this size.
pub const HISTOGRAM_LIMIT: u64 = 65536;
/// Width of a histogram bucket.
pub const BUCKET: u64 = 16;
const BUCKETS: usize = (HISTOGRAM_LIMIT / BUCKET) as usize;

/// A block freed before this many more allocations of its process is *short-lived*.
pub const SHORT_LIVED_ALLOCS: u64 = 256;

/// Buckets of a lifetime histogram: 0, then one per power of two (`[2^(i-1), 2^i)`).
pub const LIFETIME_BUCKETS: usize = 65;

/// The histogram bucket of a lifetime `v`.
pub fn lifetime_bucket(v: u64) -> usize {
    (u64::BITS - v.leading_zeros()) as usize
}

/// The smallest and largest lifetime of bucket `i`.
pub fn lifetime_bucket_range(i: usize) -> (u64, u64) {
    match i {
        0 => (0, 0),
        64.. => (1 << 63, u64::MAX),
        _ => (1 << (i - 1), (1 << i) - 1),
    }
}

/// Blocks and their bytes in one lifetime bucket.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LifetimeCount {
    /// Blocks released.
    pub blocks: u64,
    /// Their bytes.
    pub bytes: u64,
}

/// Lifetimes of the blocks released, in log2 buckets ([`lifetime_bucket`]): in allocations made
/// by the process while the block lived, and in ns (only as fine as the log's clock). Blocks
/// never released (leaks) are not in it.
#[derive(Debug, Clone)]
pub struct Lifetimes {
    /// By allocations made meanwhile.
    pub allocs: [LifetimeCount; LIFETIME_BUCKETS],
    /// By time, ns.
    pub time_ns: [LifetimeCount; LIFETIME_BUCKETS],
}

impl Default for Lifetimes {
    fn default() -> Self {
        Lifetimes {
            allocs: [LifetimeCount::default(); LIFETIME_BUCKETS],
            time_ns: [LifetimeCount::default(); LIFETIME_BUCKETS],
        }
    }
}

impl Lifetimes {
    fn add(&mut self, allocs: u64, time_ns: u64, bytes: u64) {
        for (b, v) in [(&mut self.allocs, allocs), (&mut self.time_ns, time_ns)] {
            let c = &mut b[lifetime_bucket(v)];
            c.blocks += 1;
            c.bytes = c.bytes.saturating_add(bytes);
        }
    }
}

/// Number of distinct [`AllocKind`] codes (index = code).
const ALLOC_SLOTS: usize = 32;
/// Number of distinct [`FreeKind`] codes (index = code).
const FREE_SLOTS: usize = 16;

/// Calls, bytes and failures of one allocation function.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AllocCounter {
    /// Calls.
    pub calls: u64,
    /// Bytes requested (memusage's rule: a realloc counts only its growth).
    pub bytes: u64,
    /// Calls that returned null.
    pub failed: u64,
}

/// Calls and bytes of one release function.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FreeCounter {
    /// Calls, including `free(NULL)`.
    pub calls: u64,
    /// Bytes of the blocks released.
    pub bytes: u64,
}

/// `realloc`'s breakdown, as memusage prints it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReallocCounts {
    /// Returned the block it was given.
    pub nomove: u64,
    /// Made a block smaller.
    pub dec: u64,
    /// `realloc(p, 0)`: released the block.
    pub free: u64,
}

/// The counts valgrind's memcheck prints in its `HEAP SUMMARY` ("total heap usage: A allocs,
/// F frees, B bytes allocated"): a `realloc` is one allocation of its whole new size, plus one
/// free when it was given a block.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ValgrindCounts {
    /// Blocks handed out.
    pub allocs: u64,
    /// Blocks released (`free(NULL)` is not one).
    pub frees: u64,
    /// Bytes of every block handed out.
    pub bytes: u64,
}

/// An allocation site: one distinct call stack.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Site {
    /// The stack id in the log (0: none recorded).
    pub stack: u64,
    /// Allocation calls made here.
    pub calls: u64,
    /// Bytes requested here (each call's full size).
    pub bytes: u64,
    /// Calls that failed.
    pub failed: u64,
    /// Bytes of this site's blocks live now (at the end: leaked).
    pub live_bytes: u64,
    /// This site's blocks live now.
    pub live_blocks: u64,
    /// `live_bytes` at the peak, once [`HeapProcess::finish`] ran.
    pub peak_bytes: u64,
    /// The allocation function called here (the first one seen: one call site calls one).
    pub kind: Option<AllocKind>,
    /// Blocks from here freed right away (see [`HeapProcess::temporary`]).
    pub temporary: u64,
    /// Blocks from here released within [`SHORT_LIVED_ALLOCS`] allocations.
    pub short_lived_blocks: u64,
    /// Their bytes.
    pub short_lived_bytes: u64,
    snap_bytes: u64,
    /// `live_blocks` at the same moment as `snap_bytes` (for the exports).
    snap_blocks: u64,
    snap_epoch: u64,
}

#[derive(Debug, Clone, Copy, Default)]
struct Live {
    size: u64,
    site: u32,
    /// The process's allocation count once this block was made (its own included).
    born: u64,
    /// When it was made.
    born_ns: u64,
}

/// Who a process was.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProcessInfo {
    /// Process id (0 when the log has no process record).
    pub pid: u32,
    /// Parent's id.
    pub ppid: u32,
    /// Executable path.
    pub exe: String,
    /// Command line.
    pub argv: Vec<String>,
    /// The tool that wrote the log.
    pub tool: String,
    /// The resolution of the clock of its times, ns (0: not recorded).
    pub clock_res_ns: u64,
}

/// How a process ended, when the log says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExitStatus {
    /// Exit code.
    pub code: Option<i32>,
    /// Fatal signal.
    pub signal: Option<u32>,
    /// The runtime buffers the tracker freed just before (`tracekit_log::Exit::freeres`).
    pub freeres: u32,
}

/// Everything known about one process's heap.
#[derive(Debug, Clone)]
pub struct HeapProcess {
    /// Who it was.
    pub info: ProcessInfo,
    /// How it ended.
    pub exit: Option<ExitStatus>,
    /// It called `exec` (its heap ends there: nothing it had live then counts as leaked).
    pub exec: Option<String>,
    /// Its modules, for symbolization.
    pub modules: Vec<Module<'static>>,
    /// Its leak checks (`Leak` records), in order: the ones asked while it ran, then the one
    /// at exit.
    pub leaks: Vec<super::leak::LeakCheck>,
    /// Recorded by attaching to it while it ran (`tracekit heap -p`): when recording started
    /// and, once detached, stopped (ns on the log's clock).
    pub attached: Option<(u64, Option<u64>)>,
    stacks: FxHashMap<u64, Box<[u64]>>,
    alloc: [AllocCounter; ALLOC_SLOTS],
    free: [FreeCounter; FREE_SLOTS],
    /// `realloc`'s breakdown.
    pub realloc: ReallocCounts,
    /// `reallocarray`'s breakdown.
    pub reallocarray: ReallocCounts,
    /// Releases of blocks the log never saw allocated (made before tracking started, or in a
    /// parent process before `fork`).
    pub untracked_frees: u64,
    /// memusage's heap total.
    pub heap_total: u64,
    /// valgrind's view.
    pub valgrind: ValgrindCounts,
    /// Bytes live now (at the end: leaked).
    pub current: u64,
    /// Blocks live now.
    pub current_blocks: u64,
    /// The heap peak, bytes.
    pub peak: u64,
    /// When the peak was reached (ns since process start).
    pub peak_time_ns: u64,
    peak_epoch: u64,
    histogram: Box<[u64; BUCKETS]>,
    /// Calls of `HISTOGRAM_LIMIT` bytes or more.
    pub large: u64,
    /// Calls counted in the histogram.
    pub histogram_calls: u64,
    live: Blocks<Live>,
    sites: Vec<Site>,
    /// Site index + 1 by stack id, for the small ids writers hand out in order (0: none yet).
    site_by_small_id: Vec<u32>,
    /// Site index by stack id, for ids too large for `site_by_small_id`.
    site_of_stack: FxHashMap<u64, u32>,
    /// The last timestamp seen.
    pub last_time_ns: u64,
    /// Heap events seen.
    pub events: u64,
    /// Temporary allocations, as heaptrack defines them (heaptrack's analyzer,
    /// `AccumulatedTraceData`, over the `+`/`-` stream its recorder writes): a block released
    /// by the very next recorded event after its allocation. Recorded events are successful
    /// allocations and releases of known blocks, in the one order of the process (all threads
    /// together, as heaptrack's single stream); a `realloc` is the release of its block (moved
    /// or not) then an allocation, so a block realloc'ed right after it was made counts.
    /// `free(NULL)`, failed calls and releases of unknown blocks are not events (heaptrack
    /// records none of them). Unlike heaptrack, blocks are told apart by address, not by
    /// (size, stack), so a free of another block of the same size and site is not counted; and
    /// `realloc(p, 0)`, which heaptrack does not record, is a release.
    pub temporary: u64,
    /// The block the last recorded event made (0: that event was a release).
    last_block: u64,
    /// Lifetimes of the blocks released.
    pub lifetimes: Lifetimes,
    /// Bytes live over time.
    pub timeline: super::timeline::Timeline,
    /// massif's snapshots of the heap (none past the first, of the empty heap, after
    /// [`skip_over_time`](Self::skip_over_time)).
    pub over_time: super::timeline::HeapOverTime,
    /// Takes [`over_time`](Self::over_time)'s snapshots.
    keep_over_time: bool,
    /// Counts [`lifetimes`](Self::lifetimes).
    keep_lifetimes: bool,
    /// Keeps [`timeline`](Self::timeline).
    keep_timeline: bool,
    /// Its anonymous mappings and memory samples, beside the heap.
    pub memory: super::mapped::Memory,
    /// The exports' numbers per site, when kept ([`keep_detail`](Self::keep_detail)).
    detail: Option<Box<SiteDetails>>,
}

impl HeapProcess {
    /// A process about which nothing is known yet.
    pub fn new(info: ProcessInfo) -> Self {
        HeapProcess {
            info,
            exit: None,
            exec: None,
            modules: Vec::new(),
            leaks: Vec::new(),
            attached: None,
            stacks: FxHashMap::default(),
            alloc: [AllocCounter::default(); ALLOC_SLOTS],
            free: [FreeCounter::default(); FREE_SLOTS],
            realloc: ReallocCounts::default(),
            reallocarray: ReallocCounts::default(),
            untracked_frees: 0,
            heap_total: 0,
            valgrind: ValgrindCounts::default(),
            current: 0,
            current_blocks: 0,
            peak: 0,
            peak_time_ns: 0,
            peak_epoch: 0,
            histogram: Box::new([0; BUCKETS]),
            large: 0,
            histogram_calls: 0,
            live: Default::default(),
            sites: Vec::new(),
            site_by_small_id: Vec::new(),
            site_of_stack: FxHashMap::default(),
            last_time_ns: 0,
            events: 0,
            temporary: 0,
            last_block: 0,
            lifetimes: Lifetimes::default(),
            timeline: Default::default(),
            over_time: Default::default(),
            keep_over_time: true,
            keep_lifetimes: true,
            keep_timeline: true,
            memory: Default::default(),
            detail: None,
        }
    }

    /// Takes no snapshots of the heap over time ([`over_time`](Self::over_time)), from here
    /// on: for a printer that draws no graph (they cost a little on every event).
    pub fn skip_over_time(&mut self) {
        self.keep_over_time = false;
    }

    /// Keeps no [`timeline`](Self::timeline), from here on: for a printer that does not show
    /// it (it costs a little on every event).
    pub fn skip_timeline(&mut self) {
        self.keep_timeline = false;
    }

    /// Counts no [`lifetimes`](Self::lifetimes) (the histograms), from here on: for a printer
    /// that does not show them (they cost a little on every release).
    pub fn skip_lifetimes(&mut self) {
        self.keep_lifetimes = false;
    }

    /// Also keeps what the exports need per site ([`SiteDetails`]), from here on.
    pub fn keep_detail(&mut self) {
        self.detail.get_or_insert_with(Box::default);
    }

    /// The exports' numbers keep no heap over time (their `Counter`), from here on: for an
    /// export that draws none (it costs a little on every event).
    pub fn skip_heap_counter(&mut self) {
        if let Some(d) = &mut self.detail {
            d.skip_counter();
        }
    }

    /// The exports' numbers, at the end (after [`finish`](Self::finish)): the blocks live
    /// then are counted as living to the process's last event.
    pub fn detail_end(&mut self) -> HeapEnd {
        let mut details = self.detail.take().map(|d| *d).unwrap_or_default();
        let end_ns = self.last_time_ns;
        for l in self.live.values() {
            details.live_at_end(l.site, end_ns.saturating_sub(l.born_ns));
        }
        HeapEnd {
            details,
            stacks: self.sites.iter().map(|s| s.stack).collect(),
            peak: (self.peak, self.peak_time_ns),
            end_ns,
            exec: self.exec.is_some(),
        }
    }

    /// Remembers a stack record.
    pub fn add_stack(&mut self, id: u64, frames: &[u64]) {
        self.stacks.insert(id, frames.into());
    }

    /// The frames of stack `id` (innermost first), when the log defined it.
    pub fn stack(&self, id: u64) -> Option<&[u64]> {
        self.stacks.get(&id).map(|f| &f[..])
    }

    /// Counters of allocation function `kind`.
    pub fn alloc_counter(&self, kind: AllocKind) -> AllocCounter {
        self.alloc[usize::from(kind.code()) % ALLOC_SLOTS]
    }

    /// Counters of release function `kind`.
    pub fn free_counter(&self, kind: FreeKind) -> FreeCounter {
        self.free[usize::from(kind.code()) % FREE_SLOTS]
    }

    /// Non-zero histogram buckets: (first byte of the bucket, calls).
    pub fn histogram(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.histogram
            .iter()
            .enumerate()
            .filter(|(_, &n)| n != 0)
            .map(|(i, &n)| (i as u64 * BUCKET, n))
    }

    /// The sites, in order of first use. Their `peak_bytes` is set by [`finish`](Self::finish).
    pub fn sites(&self) -> &[Site] {
        &self.sites
    }

    /// The site of stack `stack` (made on its first use).
    #[inline]
    fn site(&mut self, stack: u64) -> u32 {
        // Stack ids are interned in order, so they are small: a vector lookup is the hot path.
        let small = usize::try_from(stack).ok();
        if let Some(&s) = small.and_then(|i| self.site_by_small_id.get(i)) {
            if s != 0 {
                return s - 1;
            }
        }
        self.site_slow(stack)
    }

    #[inline(never)]
    fn site_slow(&mut self, stack: u64) -> u32 {
        const SMALL: u64 = 1 << 20;
        if stack < SMALL {
            let i = stack as usize;
            if i >= self.site_by_small_id.len() {
                self.site_by_small_id.resize(i + 1, 0);
            }
            let idx = self.new_site(stack);
            self.site_by_small_id[i] = idx + 1;
            return idx;
        }
        if let Some(&idx) = self.site_of_stack.get(&stack) {
            return idx;
        }
        let idx = self.new_site(stack);
        self.site_of_stack.insert(stack, idx);
        idx
    }

    #[cold]
    fn new_site(&mut self, stack: u64) -> u32 {
        self.sites.push(Site {
            stack,
            ..Site::default()
        });
        (self.sites.len() - 1) as u32
    }

    fn count_size(&mut self, size: u64) {
        if size < HISTOGRAM_LIMIT {
            self.histogram[(size / BUCKET) as usize] += 1;
        } else {
            self.large += 1;
        }
        self.histogram_calls += 1;
    }

    /// Adds or removes bytes of `site`'s live set, and moves the peak. Before the first change
    /// after a new peak, the site saves its live bytes: that was its share at the peak (see
    /// [`finish`](Self::finish)). This keeps the peak attribution O(1) per event.
    ///
    /// `grows_next`: the heap grows again at this same time right after (a `realloc`'s
    /// release of its old block, before the new one), so the time slices ([`Timeline`] and the
    /// detail's counter) are left to that change: their maximum and last level at `time_ns`
    /// come out the same (the next level is the higher), for less work.
    ///
    /// [`Timeline`]: super::timeline::Timeline
    #[inline(always)]
    fn change(&mut self, site: u32, grow: u64, shrink: u64, time_ns: u64, grows_next: bool) {
        let s = &mut self.sites[site as usize];
        if s.snap_epoch != self.peak_epoch {
            s.snap_epoch = self.peak_epoch;
            s.snap_bytes = s.live_bytes;
            s.snap_blocks = s.live_blocks;
        }
        // One of `grow` and `shrink` is 0 (a constant where this is inlined).
        s.live_bytes = s.live_bytes.saturating_add(grow).saturating_sub(shrink);
        self.current = self.current.saturating_add(grow).saturating_sub(shrink);
        // Only growth can make a new peak.
        let new_peak = grow != 0 && self.current > self.peak;
        if new_peak {
            self.peak = self.current;
            self.peak_time_ns = time_ns;
            self.peak_epoch += 1;
        }
        if !grows_next {
            self.record_time_slices(time_ns);
        }
        if self.keep_over_time {
            self.record_over_time(grow.saturating_add(shrink), time_ns, new_peak);
        }
    }

    /// The heap's level now, at `time_ns`, into the time slices.
    #[inline(always)]
    fn record_time_slices(&mut self, time_ns: u64) {
        if self.keep_timeline {
            self.timeline.record(time_ns, self.current);
        }
        if let Some(d) = &mut self.detail {
            d.record(time_ns, self.current);
        }
    }

    /// [`change`](Self::change)'s snapshots of the heap over time (only graphs need them).
    fn record_over_time(&mut self, changed: u64, time_ns: u64, new_peak: bool) {
        let sites = &self.sites;
        self.over_time
            .record(changed, time_ns, self.current, new_peak, |limit| {
                live_sites(sites.len(), |i| sites[i].live_bytes, limit)
            });
    }

    // The per-event functions are inlined into each other: calls and their register saves
    // were a tenth of the pass's instructions.
    ///
    /// `after_release`: a realloc's release just left the time slices to this change
    /// ([`change`](Self::change)'s `grows_next`).
    #[inline(always)]
    fn insert_block(&mut self, ptr: u64, size: u64, site: u32, time_ns: u64, after_release: bool) {
        // A pointer already live means a release was not recorded (or recorded out of order):
        // drop the stale block so the accounting stays consistent.
        let live = Live {
            size,
            site,
            born: self.valgrind.allocs,
            born_ns: time_ns,
        };
        if let Some(old) = self.live.insert(ptr, live) {
            if after_release {
                // The stale block's release lowers the heap first: the level the realloc's
                // release left goes into the time slices now, as it would have then.
                self.record_time_slices(time_ns);
            }
            self.drop_stale(old, time_ns);
        }
        // The site's blocks change after `change`, which saves them at a new peak's first
        // change (with the bytes).
        self.change(site, size, 0, time_ns, false);
        let s = &mut self.sites[site as usize];
        s.live_blocks += 1;
        self.current_blocks += 1;
        if let Some(d) = &mut self.detail {
            d.insert(site, size, (s.live_bytes, s.live_blocks));
        }
        self.last_block = ptr;
    }

    /// A block found live where a new one was made: its release was not recorded.
    #[cold]
    fn drop_stale(&mut self, old: Live, time_ns: u64) {
        self.remove_accounting(old, time_ns, false);
    }

    #[inline(always)]
    fn remove_accounting(&mut self, old: Live, time_ns: u64, grows_next: bool) {
        self.change(old.site, 0, old.size, time_ns, grows_next);
        let s = &mut self.sites[old.site as usize];
        s.live_blocks = s.live_blocks.saturating_sub(1);
        self.current_blocks = self.current_blocks.saturating_sub(1);
        if let Some(d) = &mut self.detail {
            d.remove(old.site, time_ns.saturating_sub(old.born_ns));
        }
    }

    /// Releases live block `ptr`: its accounting, its lifetime, and whether it was temporary.
    /// `None` (and nothing counted) when the block is unknown.
    #[inline(always)]
    fn release(&mut self, ptr: u64, time_ns: u64) -> Option<u64> {
        let slot = self.live.locate(ptr)?;
        Some(self.release_at(slot, ptr, time_ns, false))
    }

    /// [`release`](Self::release) of the block `ptr` found at `slot`.
    #[inline(always)]
    fn release_at(&mut self, slot: Slot, ptr: u64, time_ns: u64, grows_next: bool) -> u64 {
        let old = self.live.remove_at(slot);
        self.remove_accounting(old, time_ns, grows_next);
        let s = &mut self.sites[old.site as usize];
        if std::mem::take(&mut self.last_block) == ptr {
            self.temporary += 1;
            s.temporary += 1;
        }
        let allocs = self.valgrind.allocs.saturating_sub(old.born);
        // Without a branch: whether a block was short-lived is as good as random. (Always
        // counted: the sites a report holds include the first by short-lived bytes.)
        let short = u64::from(allocs < SHORT_LIVED_ALLOCS);
        s.short_lived_blocks += short;
        s.short_lived_bytes = s
            .short_lived_bytes
            .saturating_add(old.size & short.wrapping_neg());
        if self.keep_lifetimes {
            self.lifetimes
                .add(allocs, time_ns.saturating_sub(old.born_ns), old.size);
        }
        old.size
    }

    /// One heap event.
    #[inline(always)]
    pub fn on_heap_event(&mut self, h: &tracekit_log::delta::HeapEvent) {
        use tracekit_log::delta::HeapEvent;
        match h {
            HeapEvent::Alloc(a) => self.on_alloc(a),
            HeapEvent::Free(f) => self.on_free(f),
            HeapEvent::Realloc(r) => self.on_realloc(r),
        }
    }

    /// An allocation (everything but realloc).
    #[inline(always)]
    pub fn on_alloc(&mut self, a: &Alloc) {
        self.events += 1;
        self.last_time_ns = self.last_time_ns.max(a.time_ns);
        let c = &mut self.alloc[usize::from(a.kind.code()) % ALLOC_SLOTS];
        c.calls += 1;
        c.bytes = c.bytes.saturating_add(a.size);
        self.heap_total = self.heap_total.saturating_add(a.size);
        self.count_size(a.size);
        let site = self.site(a.stack);
        let s = &mut self.sites[site as usize];
        s.kind.get_or_insert(a.kind);
        s.calls += 1;
        s.bytes = s.bytes.saturating_add(a.size);
        if a.ptr == 0 {
            self.alloc[usize::from(a.kind.code()) % ALLOC_SLOTS].failed += 1;
            self.sites[site as usize].failed += 1;
            return;
        }
        self.valgrind.allocs += 1;
        self.valgrind.bytes = self.valgrind.bytes.saturating_add(a.size);
        self.insert_block(a.ptr, a.size, site, a.time_ns, false);
    }

    /// A change of the mapped ranges as a heap event (`--pages-as-heap`): a range made is a
    /// block allocated by `mmap` at the stack that mapped it, a range gone a block released by
    /// `munmap`.
    pub fn on_page_change(&mut self, m: &tracekit_log::Mapping, c: super::mapped::PageChange) {
        use super::mapped::PageChange;
        match c {
            PageChange::New { addr, len, stack } => self.on_alloc(&Alloc {
                time_ns: m.time_ns,
                tid: m.tid,
                kind: AllocKind::Mmap,
                ptr: addr,
                size: len,
                align: 0,
                stack,
            }),
            PageChange::Gone { addr } => self.on_free(&Free {
                time_ns: m.time_ns,
                tid: m.tid,
                kind: FreeKind::Munmap,
                ptr: addr,
                size: 0,
                stack: 0,
            }),
        }
    }

    /// A release.
    #[inline(always)]
    pub fn on_free(&mut self, f: &Free) {
        self.events += 1;
        self.last_time_ns = self.last_time_ns.max(f.time_ns);
        let slot = usize::from(f.kind.code()) % FREE_SLOTS;
        self.free[slot].calls += 1;
        if f.ptr == 0 {
            return;
        }
        match self.release(f.ptr, f.time_ns) {
            Some(size) => {
                self.free[slot].bytes = self.free[slot].bytes.saturating_add(size);
                self.valgrind.frees += 1;
            }
            None => self.untracked_frees += 1,
        }
    }

    /// The breakdown counters of `realloc` or `reallocarray`.
    fn breakdown(&mut self, kind: AllocKind) -> &mut ReallocCounts {
        if kind == AllocKind::Reallocarray {
            &mut self.reallocarray
        } else {
            &mut self.realloc
        }
    }

    /// A `realloc` or `reallocarray`.
    #[inline(always)]
    pub fn on_realloc(&mut self, r: &Realloc) {
        self.events += 1;
        self.last_time_ns = self.last_time_ns.max(r.time_ns);
        let slot = usize::from(r.kind.code()) % ALLOC_SLOTS;
        // One lookup of the old block, for its size and for its release below (the table
        // does not change in between).
        let old = if r.old_ptr == 0 {
            None
        } else {
            self.live.locate(r.old_ptr)
        };
        let old_len = old.map_or(0, |s| self.live.value(s).size);
        self.alloc[slot].calls += 1;
        let growth = r.size.saturating_sub(old_len);
        self.alloc[slot].bytes = self.alloc[slot].bytes.saturating_add(growth);
        self.heap_total = self.heap_total.saturating_add(growth);
        let site = self.site(r.stack);
        {
            let s = &mut self.sites[site as usize];
            s.kind.get_or_insert(r.kind);
            s.calls += 1;
            s.bytes = s.bytes.saturating_add(r.size);
        }
        if r.size == 0 && r.old_ptr != 0 && r.new_ptr == 0 {
            // realloc(p, 0) released p (memusage: "free:N", and the bytes go to free's row).
            self.breakdown(r.kind).free += 1;
            if let Some(slot) = old {
                let size = self.release_at(slot, r.old_ptr, r.time_ns, false);
                let f = &mut self.free[usize::from(FreeKind::Free.code())];
                f.bytes = f.bytes.saturating_add(size);
                self.valgrind.frees += 1;
            } else {
                self.untracked_frees += 1;
            }
            return;
        }
        self.count_size(r.size);
        if r.new_ptr == 0 {
            self.alloc[slot].failed += 1;
            self.sites[site as usize].failed += 1;
            return;
        }
        if r.old_ptr != 0 {
            // Without branches: whether a realloc moved its block is as good as random.
            let b = self.breakdown(r.kind);
            b.nomove += u64::from(r.new_ptr == r.old_ptr);
            b.dec += u64::from(old_len > r.size);
        }
        // The old block's release leaves the time slices to the new block's insertion.
        let released = match old {
            Some(slot) => {
                self.release_at(slot, r.old_ptr, r.time_ns, true);
                self.valgrind.frees += 1;
                true
            }
            _ => {
                if r.old_ptr != 0 {
                    self.untracked_frees += 1;
                }
                false
            }
        };
        self.valgrind.allocs += 1;
        self.valgrind.bytes = self.valgrind.bytes.saturating_add(r.size);
        self.insert_block(r.new_ptr, r.size, site, r.time_ns, released);
    }

    /// Settles each site's share of the peak. Call once, after the last event.
    pub fn finish(&mut self) {
        let epoch = self.peak_epoch;
        for s in &mut self.sites {
            // A site changed since the last peak saved its bytes at that moment; one that was
            // not changed still holds them.
            s.peak_bytes = if s.snap_epoch == epoch {
                s.snap_bytes
            } else {
                s.live_bytes
            };
        }
        if let Some(d) = &mut self.detail {
            let sites = &self.sites;
            d.settle(|i| {
                let s = &sites[i];
                let peak_blocks = if s.snap_epoch == epoch {
                    s.snap_blocks
                } else {
                    s.live_blocks
                };
                ((s.peak_bytes, peak_blocks), (s.live_bytes, s.live_blocks))
            });
        }
        let sites = &self.sites;
        let at_peak = live_sites(sites.len(), |i| sites[i].peak_bytes, None);
        let at_end = live_sites(sites.len(), |i| sites[i].live_bytes, None);
        let t = &mut self.over_time;
        let (current, peak) = (self.current, self.peak);
        let end_ns = self.last_time_ns.max(self.peak_time_ns);
        let (churn, peak_churn) = (t.churn, t.peak_churn);
        t.by_bytes.finish(
            (churn, current),
            at_end.clone(),
            (peak_churn, peak),
            at_peak.clone(),
        );
        t.by_ns.finish(
            (end_ns, current),
            at_end,
            (self.peak_time_ns, peak),
            at_peak,
        );
        if self.exec.is_some() {
            // `exec` gave the image's whole heap back to the kernel: nothing of it leaked.
            self.current = 0;
            self.current_blocks = 0;
            for s in &mut self.sites {
                s.live_bytes = 0;
                s.live_blocks = 0;
            }
        }
    }

    /// Every allocation function with calls, in wire order.
    pub fn alloc_kinds(&self) -> impl Iterator<Item = (AllocKind, AllocCounter)> + '_ {
        AllocKind::ALL
            .iter()
            .map(|&k| (k, self.alloc_counter(k)))
            .filter(|(_, c)| c.calls != 0)
    }

    /// Every release function with calls, in wire order.
    pub fn free_kinds(&self) -> impl Iterator<Item = (FreeKind, FreeCounter)> + '_ {
        FreeKind::ALL
            .iter()
            .map(|&k| (k, self.free_counter(k)))
            .filter(|(_, c)| c.calls != 0 || c.bytes != 0)
    }
}
