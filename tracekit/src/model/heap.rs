//! The heap pass's model: memusage's and valgrind's numbers per process and in total, each
//! process's heap over time, and the selected allocation sites with their backtraces.

use serde::ser::{Serialize, SerializeMap, Serializer};

use crate::analysis::heap::{
    lifetime_bucket_range, HeapProcess, LifetimeCount, BUCKET, SHORT_LIVED_ALLOCS,
};
use crate::analysis::HeapPass;
use crate::symbols::{resolve_stack, Resolve, ResolvedFrame};
use tracekit_log::{AllocKind, Exit, FreeKind};

/// The heap of every process read.
#[derive(Debug, Clone, serde::Serialize)]
pub struct HeapReport {
    /// Totals over every process.
    #[serde(flatten)]
    pub total: HeapSummary,
    /// Each process.
    pub processes: Vec<ProcessReport>,
    /// The selected allocation sites of every process (see [`Selection`]), by bytes.
    pub sites: Vec<SiteReport>,
}

/// Call counts per function, every known function present (0 when never called), keyed by
/// a snake_case name (`malloc`, `operator_new_array`, `free`, `operator_delete_sized`, ...).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calls(pub Vec<(String, u64)>);

impl Calls {
    /// The count for `key`.
    pub fn get(&self, key: &str) -> u64 {
        self.0.iter().find(|(k, _)| k == key).map_or(0, |(_, v)| *v)
    }
}

impl Serialize for Calls {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// The JSON key of an allocation function.
pub fn alloc_key(kind: AllocKind) -> String {
    use AllocKind as K;
    let key = match kind {
        K::Malloc => "malloc",
        K::Calloc => "calloc",
        K::Realloc => "realloc",
        K::Reallocarray => "reallocarray",
        K::PosixMemalign => "posix_memalign",
        K::AlignedAlloc => "aligned_alloc",
        K::Memalign => "memalign",
        K::Valloc => "valloc",
        K::Pvalloc => "pvalloc",
        K::New => "operator_new",
        K::NewArray => "operator_new_array",
        K::NewNothrow => "operator_new_nothrow",
        K::NewArrayNothrow => "operator_new_array_nothrow",
        K::NewAligned => "operator_new_aligned",
        K::NewArrayAligned => "operator_new_array_aligned",
        K::NewAlignedNothrow => "operator_new_aligned_nothrow",
        K::NewArrayAlignedNothrow => "operator_new_array_aligned_nothrow",
        K::Mmap => "mmap",
        K::Custom => "custom_alloc",
        other => return format!("alloc_{}", other.code()),
    };
    key.to_owned()
}

/// The JSON key of a release function.
pub fn free_key(kind: FreeKind) -> String {
    use FreeKind as K;
    let key = match kind {
        K::Free => "free",
        K::Delete => "operator_delete",
        K::DeleteArray => "operator_delete_array",
        K::DeleteSized => "operator_delete_sized",
        K::DeleteArraySized => "operator_delete_array_sized",
        K::DeleteAligned => "operator_delete_aligned",
        K::DeleteArrayAligned => "operator_delete_array_aligned",
        K::DeleteSizedAligned => "operator_delete_sized_aligned",
        K::DeleteArraySizedAligned => "operator_delete_array_sized_aligned",
        K::DeleteNothrow => "operator_delete_nothrow",
        K::DeleteArrayNothrow => "operator_delete_array_nothrow",
        K::Munmap => "munmap",
        K::Custom => "custom_free",
        other => return format!("free_{}", other.code()),
    };
    key.to_owned()
}

/// One row of memusage's table.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FunctionRow {
    /// The function as C/C++ names it (`malloc`, `operator new[]`).
    pub function: String,
    /// Calls.
    pub calls: u64,
    /// Bytes (memusage's rule: a realloc counts its growth; a free the bytes released).
    pub bytes: u64,
    /// Calls that returned null (absent for release functions).
    pub failed: Option<u64>,
    /// memusage's `(nomove, dec, free)`, for `realloc` and `reallocarray` (absent otherwise).
    pub realloc: Option<ReallocReport>,
}

/// `realloc`'s breakdown.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ReallocReport {
    /// Returned the block it was given.
    pub nomove: u64,
    /// Shrunk a block.
    pub dec: u64,
    /// `realloc(p, 0)`.
    pub free: u64,
}

/// All releases together.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct FreesReport {
    /// Calls of every release function, `free(NULL)` included.
    pub calls: u64,
    /// Bytes released (blocks moved by realloc are not counted, as in memusage).
    pub bytes: u64,
    /// Releases of blocks allocated before tracking started (or before `fork`).
    pub untracked: u64,
}

/// valgrind memcheck's `total heap usage` line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ValgrindReport {
    /// Blocks handed out (a realloc is one).
    pub allocs: u64,
    /// Blocks released (a realloc given a block is one).
    pub frees: u64,
    /// Bytes of every block handed out.
    pub bytes: u64,
}

/// The heap peak.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct PeakReport {
    /// Most bytes live at once (requested sizes). In the totals: the largest process's peak.
    pub heap_bytes: u64,
    /// When, ns since that process started.
    pub time_ns: u64,
    /// The process.
    pub pid: u32,
}

/// Blocks live when the process ended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct LeakedReport {
    /// Bytes.
    pub bytes: u64,
    /// Blocks.
    pub blocks: u64,
}

/// One non-empty histogram bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Bucket {
    /// Smallest size in the bucket.
    pub from: u64,
    /// Largest size in the bucket.
    pub to: u64,
    /// Calls.
    pub calls: u64,
}

/// memusage's histogram of requested sizes.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct HistogramReport {
    /// Non-empty 16-byte buckets below 65536.
    pub buckets: Vec<Bucket>,
    /// Calls of 65536 bytes or more.
    pub large: u64,
    /// Calls counted (malloc, calloc, realloc other than `realloc(p, 0)`, the memalign
    /// family and the C++ operators).
    pub calls: u64,
}

/// The numbers of one process, or their totals.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct HeapSummary {
    /// Calls per function.
    pub calls: Calls,
    /// memusage's table: malloc, realloc, calloc, free always, then every other function called.
    pub functions: Vec<FunctionRow>,
    /// `realloc`'s breakdown (memusage's; `reallocarray`'s is in its row of `functions`).
    pub realloc: ReallocReport,
    /// Releases.
    pub frees: FreesReport,
    /// memusage's heap total.
    pub heap_total: u64,
    /// valgrind's "bytes allocated": every block's requested size, reallocs at their new size.
    pub bytes_allocated: u64,
    /// valgrind's counts.
    pub valgrind: ValgrindReport,
    /// The peak.
    pub peak: PeakReport,
    /// Leaks.
    pub leaked: LeakedReport,
    /// The size histogram.
    pub histogram: HistogramReport,
    /// heaptrack's temporary allocations: blocks freed by the next heap event after the one
    /// that made them.
    pub temporary: u64,
    /// How long the released blocks lived.
    pub lifetimes: LifetimesReport,
}

/// Blocks and bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct BlocksReport {
    /// Blocks.
    pub blocks: u64,
    /// Their bytes.
    pub bytes: u64,
}

/// One non-empty bucket of a lifetime histogram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct LifetimeRow {
    /// Shortest lifetime in the bucket.
    pub from: u64,
    /// Longest.
    pub to: u64,
    /// Blocks released with a lifetime in it.
    pub blocks: u64,
    /// Their bytes.
    pub bytes: u64,
}

/// The lifetimes of the blocks released (leaks are not in it), as bytehound shows them: a
/// block lives from its allocation (`malloc`, `realloc`, ...) to its release (`free`,
/// `realloc`).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct LifetimesReport {
    /// A block released before this many more allocations of its process is short-lived.
    pub short_lived_allocs: u64,
    /// The short-lived blocks.
    pub short_lived: BlocksReport,
    /// By the allocations the process made while the block lived: 0, then powers of two.
    pub allocations: Vec<LifetimeRow>,
    /// By time, ns: only as fine as the clock (`clock_res_ns`).
    pub time_ns: Vec<LifetimeRow>,
}

fn lifetime_rows(counts: &[LifetimeCount]) -> Vec<LifetimeRow> {
    counts
        .iter()
        .enumerate()
        .filter(|(_, c)| c.blocks != 0)
        .map(|(i, c)| {
            let (from, to) = lifetime_bucket_range(i);
            LifetimeRow {
                from,
                to,
                blocks: c.blocks,
                bytes: c.bytes,
            }
        })
        .collect()
}

/// Adds the rows of `b` into `a` (both sorted by `from`).
fn add_lifetime_rows(a: &mut Vec<LifetimeRow>, b: &[LifetimeRow]) {
    for row in b {
        match a.binary_search_by_key(&row.from, |x| x.from) {
            Ok(i) => {
                a[i].blocks += row.blocks;
                a[i].bytes = a[i].bytes.saturating_add(row.bytes);
            }
            Err(i) => a.insert(i, *row),
        }
    }
}

/// How a process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ExitReport {
    /// Exit code.
    pub code: Option<i32>,
    /// Fatal signal.
    pub signal: Option<u32>,
    /// The runtimes whose one-off buffers the tracker freed at exit, as valgrind does.
    pub freeres: Freeres,
}

/// Which runtimes' one-off buffers were freed at exit (`tracekit_log::Exit::freeres`); in
/// JSON the list of their names, `["libstdc++", "glibc"]`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Freeres(pub u32);

impl Freeres {
    /// The runtimes' names, in the order they were freed.
    pub fn names(self) -> Vec<&'static str> {
        let mut v = Vec::new();
        if self.0 & Exit::FREERES_CXX != 0 {
            v.push("libstdc++");
        }
        if self.0 & Exit::FREERES_LIBC != 0 {
            v.push("glibc");
        }
        v
    }
}

impl Serialize for Freeres {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.names().serialize(s)
    }
}

/// One process.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ProcessReport {
    /// Process id.
    pub pid: u32,
    /// Parent's id.
    pub ppid: u32,
    /// Executable.
    pub exe: String,
    /// Command line.
    pub argv: Vec<String>,
    /// How it ended: from its log, or for the command `tracekit heap` ran, from its wait
    /// status (absent when neither says: it was killed or is still running).
    pub exit: Option<ExitReport>,
    /// The program it `exec`ed, if it did.
    pub exec: Option<String>,
    /// Its heap over time.
    pub timeline: TimelineReport,
    /// The resolution of its clock, ns: its times are no more precise (0: not recorded).
    pub clock_res_ns: u64,
    /// Recorded by attaching to the running process (`tracekit heap -p`): the interval, ns on
    /// its clock (absent for a process traced from its start).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attached: Option<AttachedReport>,
    /// Its numbers.
    #[serde(flatten)]
    pub summary: HeapSummary,
    /// Allocators of their own linked into its modules, whose blocks the hooks do not see
    /// (absent when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unseen_allocators: Vec<UnseenAllocator>,
    /// Its memory beside its heap: anonymous mappings and the kernel's samples (absent when
    /// the log has neither).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory: Option<MemoryReport>,
}

/// A process's memory beside its heap (see `analysis::mapped`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MemoryReport {
    /// The heap's peak (the summary's `peak.heap_bytes`), beside the others.
    pub peak_heap_bytes: u64,
    /// The most bytes the program had mapped anonymously itself at once.
    pub peak_mapped_bytes: u64,
    /// The most resident bytes sampled.
    pub peak_resident_bytes: u64,
    /// Bytes still mapped at the end.
    pub mapped_bytes: u64,
    /// Samples taken (the rows below are at most [`MEMORY_ROWS`] of them).
    pub samples_taken: u64,
    /// Heap, mapped and resident side by side over time.
    pub samples: Vec<MemoryRow>,
    /// Who mapped what: the stacks that mapped the most bytes, most first.
    pub mappers: Vec<MapperReport>,
}

/// Rows of [`MemoryReport::samples`] at most: the samples of each of this many equal parts of
/// the run, the one with the most resident bytes of each.
pub const MEMORY_ROWS: usize = 40;

/// Mapping stacks kept in [`MemoryReport::mappers`].
const MAPPERS: usize = 10;

/// One sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct MemoryRow {
    /// ns since process start.
    pub time_ns: u64,
    /// Heap bytes live.
    pub heap_bytes: u64,
    /// Bytes mapped anonymously by the program itself (recorded `mmap`, `mremap`, `brk`).
    pub mapped_bytes: u64,
    /// Resident bytes (the kernel's count).
    pub resident_bytes: u64,
    /// The kernel's private writable bytes (`VmData`).
    pub data_bytes: u64,
}

/// The mappings made at one stack.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MapperReport {
    /// The stack id in the process's log.
    pub stack_id: u64,
    /// Calls that mapped.
    pub calls: u64,
    /// Bytes mapped, in whole pages.
    pub bytes: u64,
    /// Of those, still mapped at the end.
    pub live_bytes: u64,
    /// The backtrace, innermost first.
    pub frames: Vec<ResolvedFrame>,
}

/// The memory report of `p` (`None` when its log has no mappings and no samples).
fn memory_report(p: &HeapProcess, pi: usize, resolver: &mut dyn Resolve) -> Option<MemoryReport> {
    let m = &p.memory;
    if m.is_empty() {
        return None;
    }
    let n = m.samples.len();
    let mut samples: Vec<MemoryRow> = Vec::new();
    for part in 0..MEMORY_ROWS.min(n) {
        let (from, to) = (
            part * n / MEMORY_ROWS.min(n),
            (part + 1) * n / MEMORY_ROWS.min(n),
        );
        if let Some(s) = m.samples[from..to].iter().max_by_key(|s| s.resident) {
            samples.push(MemoryRow {
                time_ns: s.time_ns,
                heap_bytes: s.heap,
                mapped_bytes: s.mapped,
                resident_bytes: s.resident,
                data_bytes: s.data,
            });
        }
    }
    let mut sites: Vec<(u64, crate::analysis::mapped::MapSite)> =
        m.sites.iter().map(|(&k, &v)| (k, v)).collect();
    sites.sort_by_key(|&(stack, s)| (std::cmp::Reverse(s.bytes), stack));
    let mappers = sites
        .into_iter()
        .take(MAPPERS)
        .map(|(stack, s)| MapperReport {
            stack_id: stack,
            calls: s.calls,
            bytes: s.bytes,
            live_bytes: s.live_bytes,
            frames: p
                .stack(stack)
                .map(|f| resolve_stack(resolver, pi, &p.modules, f))
                .unwrap_or_default(),
        })
        .collect();
    Some(MemoryReport {
        peak_heap_bytes: p.peak,
        peak_mapped_bytes: m.peak_mapped,
        peak_resident_bytes: m.samples.iter().map(|s| s.resident).max().unwrap_or(0),
        mapped_bytes: m.mapped,
        samples_taken: n as u64,
        samples,
        mappers,
    })
}

/// An allocator of its own in a module (`tracekit pack` found it in the symbol tables): the
/// blocks it hands out go through no hook, so the report counts only those the program
/// reported through tracekit's API (`custom_alloc` calls).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct UnseenAllocator {
    /// The module's path.
    pub module: String,
    /// The allocator (`mimalloc`, `jemalloc`, `tcmalloc`, `Rust #[global_allocator]`, ...).
    pub allocator: String,
    /// The symbol that told.
    pub symbol: String,
}

/// The allocators of their own in `p`'s modules (see [`UnseenAllocator`]).
fn unseen_allocators(heap: &HeapPass, p: &HeapProcess) -> Vec<UnseenAllocator> {
    let mut out: Vec<UnseenAllocator> = Vec::new();
    for n in &heap.notes {
        let path = n.path.as_bytes();
        if n.kind != tracekit_log::NoteKind::Allocator
            || !p.modules.iter().any(|m| m.path.as_bytes() == path)
        {
            continue;
        }
        let a = UnseenAllocator {
            module: n.path.to_string_lossy().into_owned(),
            allocator: n.name.to_string_lossy().into_owned(),
            symbol: n.symbol.to_string_lossy().into_owned(),
        };
        if !out.contains(&a) {
            out.push(a);
        }
    }
    out
}

/// The interval an attached tracker recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct AttachedReport {
    /// When recording started, ns.
    pub from_ns: u64,
    /// When it stopped (absent: the process exited or the log ends first).
    pub to_ns: Option<u64>,
}

/// The heap over time: the most bytes live in each slice of `slice_ns`, from the start.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct TimelineReport {
    /// Width of a slice, ns (a power of two; at most 64 slices).
    pub slice_ns: u64,
    /// Most bytes live during each slice.
    pub heap_bytes: Vec<u64>,
}

/// One allocation site.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SiteReport {
    /// The process.
    pub pid: u32,
    /// The stack id in that process's log (0: no stack recorded).
    pub stack_id: u64,
    /// The allocation function called (`malloc`, `operator new[]`, ...).
    pub function: String,
    /// Allocation calls.
    pub calls: u64,
    /// Bytes requested (each call's full size).
    pub bytes: u64,
    /// Failed calls.
    pub failed: u64,
    /// Bytes live at the process's heap peak.
    pub peak_bytes: u64,
    /// Still live at exit.
    pub leaked: LeakedReport,
    /// Temporary allocations made here.
    pub temporary: u64,
    /// Blocks from here released within `short_lived_allocs` allocations (see
    /// [`LifetimesReport`]).
    pub short_lived: BlocksReport,
    /// The backtrace, innermost first, tracekit's own hook frames removed.
    pub frames: Vec<ResolvedFrame>,
    /// Index into [`HeapReport::processes`] (not serialized).
    #[serde(skip)]
    pub process: usize,
}

/// Which sites a report keeps: the `top` first of each ranking (calls, bytes, peak, leaked,
/// temporary, short-lived bytes), per process.
#[derive(Debug, Clone, Copy)]
pub struct Selection {
    /// How many of each ranking; 0 keeps every site.
    pub top: usize,
}

fn summarize(p: &HeapProcess) -> HeapSummary {
    let mut calls = Vec::new();
    for &k in AllocKind::ALL {
        calls.push((alloc_key(k), p.alloc_counter(k).calls));
    }
    for &k in FreeKind::ALL {
        calls.push((free_key(k), p.free_counter(k).calls));
    }
    let mut functions = Vec::new();
    let breakdown = |r: &crate::analysis::heap::ReallocCounts| ReallocReport {
        nomove: r.nomove,
        dec: r.dec,
        free: r.free,
    };
    let row = |k: AllocKind| {
        let c = p.alloc_counter(k);
        FunctionRow {
            function: k.name().to_owned(),
            calls: c.calls,
            bytes: c.bytes,
            failed: Some(c.failed),
            realloc: match k {
                AllocKind::Realloc => Some(breakdown(&p.realloc)),
                AllocKind::Reallocarray => Some(breakdown(&p.reallocarray)),
                _ => None,
            },
        }
    };
    let classic = [AllocKind::Malloc, AllocKind::Realloc, AllocKind::Calloc];
    functions.extend(classic.iter().map(|&k| row(k)));
    for (k, _) in p.alloc_kinds().filter(|(k, _)| !classic.contains(k)) {
        functions.push(row(k));
    }
    let free = p.free_counter(FreeKind::Free);
    functions.push(FunctionRow {
        function: "free".to_owned(),
        calls: free.calls,
        bytes: free.bytes,
        failed: None,
        realloc: None,
    });
    for (k, c) in p.free_kinds().filter(|(k, _)| *k != FreeKind::Free) {
        functions.push(FunctionRow {
            function: k.name().to_owned(),
            calls: c.calls,
            bytes: c.bytes,
            failed: None,
            realloc: None,
        });
    }
    let frees = p.free_kinds().fold(
        FreesReport {
            untracked: p.untracked_frees,
            ..FreesReport::default()
        },
        |mut acc, (_, c)| {
            acc.calls += c.calls;
            acc.bytes += c.bytes;
            acc
        },
    );
    HeapSummary {
        calls: Calls(calls),
        functions,
        realloc: breakdown(&p.realloc),
        frees,
        heap_total: p.heap_total,
        bytes_allocated: p.valgrind.bytes,
        valgrind: ValgrindReport {
            allocs: p.valgrind.allocs,
            frees: p.valgrind.frees,
            bytes: p.valgrind.bytes,
        },
        peak: PeakReport {
            heap_bytes: p.peak,
            time_ns: p.peak_time_ns,
            pid: p.info.pid,
        },
        leaked: LeakedReport {
            bytes: p.current,
            blocks: p.current_blocks,
        },
        histogram: HistogramReport {
            buckets: p
                .histogram()
                .map(|(from, calls)| Bucket {
                    from,
                    to: from + BUCKET - 1,
                    calls,
                })
                .collect(),
            large: p.large,
            calls: p.histogram_calls,
        },
        temporary: p.temporary,
        lifetimes: LifetimesReport {
            short_lived_allocs: SHORT_LIVED_ALLOCS,
            short_lived: p
                .sites()
                .iter()
                .fold(BlocksReport::default(), |acc, s| BlocksReport {
                    blocks: acc.blocks + s.short_lived_blocks,
                    bytes: acc.bytes.saturating_add(s.short_lived_bytes),
                }),
            allocations: lifetime_rows(&p.lifetimes.allocs),
            time_ns: lifetime_rows(&p.lifetimes.time_ns),
        },
    }
}

/// Adds `b` into `a` (peak: the larger).
fn add(a: &mut HeapSummary, b: &HeapSummary) {
    if a.calls.0.is_empty() {
        *a = b.clone();
        return;
    }
    for ((_, x), (_, y)) in a.calls.0.iter_mut().zip(&b.calls.0) {
        *x = x.saturating_add(*y);
    }
    for r in &b.functions {
        match a.functions.iter_mut().find(|f| f.function == r.function) {
            Some(f) => {
                f.calls = f.calls.saturating_add(r.calls);
                f.bytes = f.bytes.saturating_add(r.bytes);
                f.failed = f.failed.zip(r.failed).map(|(x, y)| x + y);
                f.realloc = f.realloc.zip(r.realloc).map(|(x, y)| ReallocReport {
                    nomove: x.nomove + y.nomove,
                    dec: x.dec + y.dec,
                    free: x.free + y.free,
                });
            }
            None => a.functions.push(r.clone()),
        }
    }
    a.realloc.nomove = a.realloc.nomove.saturating_add(b.realloc.nomove);
    a.realloc.dec = a.realloc.dec.saturating_add(b.realloc.dec);
    a.realloc.free = a.realloc.free.saturating_add(b.realloc.free);
    a.frees.calls = a.frees.calls.saturating_add(b.frees.calls);
    a.frees.bytes = a.frees.bytes.saturating_add(b.frees.bytes);
    a.frees.untracked = a.frees.untracked.saturating_add(b.frees.untracked);
    a.heap_total = a.heap_total.saturating_add(b.heap_total);
    a.bytes_allocated = a.bytes_allocated.saturating_add(b.bytes_allocated);
    a.valgrind.allocs = a.valgrind.allocs.saturating_add(b.valgrind.allocs);
    a.valgrind.frees = a.valgrind.frees.saturating_add(b.valgrind.frees);
    a.valgrind.bytes = a.valgrind.bytes.saturating_add(b.valgrind.bytes);
    if b.peak.heap_bytes > a.peak.heap_bytes {
        a.peak = b.peak;
    }
    a.leaked.bytes = a.leaked.bytes.saturating_add(b.leaked.bytes);
    a.leaked.blocks = a.leaked.blocks.saturating_add(b.leaked.blocks);
    for bk in &b.histogram.buckets {
        match a
            .histogram
            .buckets
            .binary_search_by_key(&bk.from, |x| x.from)
        {
            Ok(i) => a.histogram.buckets[i].calls += bk.calls,
            Err(i) => a.histogram.buckets.insert(i, *bk),
        }
    }
    a.histogram.large = a.histogram.large.saturating_add(b.histogram.large);
    a.histogram.calls = a.histogram.calls.saturating_add(b.histogram.calls);
    a.temporary = a.temporary.saturating_add(b.temporary);
    let (la, lb) = (&mut a.lifetimes, &b.lifetimes);
    la.short_lived.blocks += lb.short_lived.blocks;
    la.short_lived.bytes = la.short_lived.bytes.saturating_add(lb.short_lived.bytes);
    add_lifetime_rows(&mut la.allocations, &lb.allocations);
    add_lifetime_rows(&mut la.time_ns, &lb.time_ns);
}

/// Site indices of `p` kept by `sel`: the union of each ranking's first `top`.
fn select_sites(p: &HeapProcess, sel: Selection) -> Vec<usize> {
    let sites = p.sites();
    let mut keep = vec![false; sites.len()];
    if sel.top == 0 {
        keep.iter_mut().for_each(|k| *k = true);
    } else {
        let keys: [fn(&crate::analysis::Site) -> u64; 6] = [
            |s| s.calls,
            |s| s.bytes,
            |s| s.peak_bytes,
            |s| s.live_bytes,
            |s| s.temporary,
            |s| s.short_lived_bytes,
        ];
        for key in keys {
            let mut idx: Vec<usize> = (0..sites.len()).filter(|&i| key(&sites[i]) > 0).collect();
            idx.sort_by_key(|&i| std::cmp::Reverse(key(&sites[i])));
            for &i in idx.iter().take(sel.top) {
                keep[i] = true;
            }
        }
    }
    let mut idx: Vec<usize> = (0..sites.len()).filter(|&i| keep[i]).collect();
    idx.sort_by_key(|&i| std::cmp::Reverse(sites[i].bytes));
    idx
}

/// Builds the heap model, symbolizing only the selected sites' stacks.
pub fn build(heap: &HeapPass, sel: Selection, resolver: &mut dyn Resolve) -> HeapReport {
    let mut total = HeapSummary::default();
    let mut processes = Vec::new();
    let mut sites = Vec::new();
    for (pi, p) in heap.processes.iter().enumerate() {
        let selected = select_sites(p, sel);
        let addrs: Vec<u64> = selected
            .iter()
            .filter_map(|&i| p.stack(p.sites()[i].stack))
            .flatten()
            .copied()
            .collect();
        resolver.prefetch(pi, &p.modules, &addrs);
        let summary = summarize(p);
        add(&mut total, &summary);
        processes.push(ProcessReport {
            pid: p.info.pid,
            ppid: p.info.ppid,
            exe: p.info.exe.clone(),
            argv: p.info.argv.clone(),
            exit: p.exit.map(|e| ExitReport {
                code: e.code,
                signal: e.signal,
                freeres: Freeres(e.freeres),
            }),
            exec: p.exec.clone(),
            timeline: TimelineReport {
                slice_ns: p.timeline.slice_ns(),
                heap_bytes: p.timeline.maxima(),
            },
            clock_res_ns: p.info.clock_res_ns,
            attached: p
                .attached
                .map(|(from_ns, to_ns)| AttachedReport { from_ns, to_ns }),
            summary,
            unseen_allocators: unseen_allocators(heap, p),
            memory: memory_report(p, pi, resolver),
        });
        for i in selected {
            let s = &p.sites()[i];
            let frames = p
                .stack(s.stack)
                .map(|f| resolve_stack(resolver, pi, &p.modules, f))
                .unwrap_or_default();
            sites.push(SiteReport {
                pid: p.info.pid,
                stack_id: s.stack,
                function: s.kind.map_or("?", |k| k.name()).to_owned(),
                calls: s.calls,
                bytes: s.bytes,
                failed: s.failed,
                peak_bytes: s.peak_bytes,
                leaked: LeakedReport {
                    bytes: s.live_bytes,
                    blocks: s.live_blocks,
                },
                temporary: s.temporary,
                short_lived: BlocksReport {
                    blocks: s.short_lived_blocks,
                    bytes: s.short_lived_bytes,
                },
                frames,
                process: pi,
            });
        }
    }
    if processes.is_empty() {
        total = summarize(&HeapProcess::new(Default::default()));
    }
    HeapReport {
        total,
        processes,
        sites,
    }
}

impl HeapReport {
    /// What a launcher knows and the log cannot say: the command it ran (the process whose
    /// parent it is, in its last image) was killed by `signal`. Processes whose logs record
    /// how they ended are left as they are.
    pub fn command_killed(&mut self, launcher_pid: u32, signal: u32) {
        for p in &mut self.processes {
            if p.ppid == launcher_pid && p.exit.is_none() && p.exec.is_none() {
                p.exit = Some(ExitReport {
                    code: None,
                    signal: Some(signal),
                    freeres: Freeres::default(),
                });
            }
        }
    }
}
