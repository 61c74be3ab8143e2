//! The heap over time as data, for `tracekit report --graph`, the massif export and the
//! pictures: massif's snapshots of one process (the one with the largest peak, whose peak is
//! the report's), on the time axis asked, each with its sites' backtraces symbolized.

use std::collections::HashMap;

use crate::analysis::timeline::Series;
use crate::analysis::{HeapPass, HeapProcess};
use crate::symbols::{resolve_stack, Resolve, ResolvedFrame};

/// The time axis asked for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TimeAxis {
    /// Milliseconds when the log's clock is fine, else bytes.
    #[default]
    Auto,
    /// Bytes allocated and freed so far (massif's `B`).
    Bytes,
    /// Milliseconds since the process started.
    Ms,
}

/// The time axis used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Bytes allocated and freed so far (massif's `B`).
    Bytes,
    /// Milliseconds since the process started (times held in ns).
    Ms,
}

impl Unit {
    /// As massif's `time_unit:` names it.
    pub fn name(self) -> &'static str {
        match self {
            Unit::Bytes => "B",
            Unit::Ms => "ms",
        }
    }
}

/// A clock whose resolution is coarser than this (ns) gives times too coarse for a time axis:
/// the coarse clock's 4 ms tick, or a log that does not say.
pub const FINE_CLOCK_NS: u64 = 1000;

/// The heap over time of one process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Graph {
    /// The process.
    pub pid: u32,
    /// Its command line.
    pub command: String,
    /// The time axis.
    pub unit: Unit,
    /// The resolution of the log's clock, ns (0: not recorded).
    pub clock_res_ns: u64,
    /// The snapshots, oldest first.
    pub snapshots: Vec<GraphSnapshot>,
    /// The sites the snapshots name (index: [`SiteBytes::site`]).
    pub sites: Vec<GraphSite>,
}

/// One snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphSnapshot {
    /// When, in the unit's own integer (bytes, or ns for [`Unit::Ms`]).
    pub time: u64,
    /// Bytes live.
    pub heap_bytes: u64,
    /// Detailed: the sites are every site live then.
    pub detailed: bool,
    /// The peak (detailed).
    pub peak: bool,
    /// Sites with bytes live, most first (every one when detailed, the largest otherwise).
    pub sites: Vec<SiteBytes>,
}

/// A site's live bytes in a snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SiteBytes {
    /// Index into [`Graph::sites`].
    pub site: usize,
    /// Bytes.
    pub bytes: u64,
}

/// A site: its backtrace and totals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphSite {
    /// Innermost first, tracekit's frames removed.
    pub frames: Vec<ResolvedFrame>,
    /// Bytes allocated here over the run.
    pub bytes: u64,
    /// Bytes live at the peak.
    pub peak_bytes: u64,
    /// Bytes still live at the end.
    pub leaked_bytes: u64,
}

impl Graph {
    /// The peak snapshot's index.
    pub fn peak_index(&self) -> Option<usize> {
        self.snapshots.iter().position(|s| s.peak)
    }

    /// A snapshot's time in the unit shown: bytes, or ms (fractional).
    pub fn time_shown(&self, s: &GraphSnapshot) -> f64 {
        match self.unit {
            Unit::Bytes => s.time as f64,
            Unit::Ms => s.time as f64 / 1e6,
        }
    }

    /// A snapshot's time as massif writes it: bytes, or whole ms.
    pub fn time_integer(&self, s: &GraphSnapshot) -> u64 {
        match self.unit {
            Unit::Bytes => s.time,
            Unit::Ms => s.time / 1_000_000,
        }
    }

    /// True when the log's clock was too coarse for the time to be read closely.
    pub fn coarse_clock(&self) -> bool {
        self.clock_res_ns == 0 || self.clock_res_ns > FINE_CLOCK_NS
    }
}

/// The process whose peak is the report's: the largest (the first of equals).
pub fn largest_peak(heap: &HeapPass) -> Option<usize> {
    let mut best: Option<usize> = None;
    for (i, p) in heap.processes.iter().enumerate() {
        if best.is_none_or(|b| p.peak > heap.processes[b].peak) {
            best = Some(i);
        }
    }
    best
}

/// The graph of the process with the largest peak, symbolizing the sites its snapshots name.
pub fn build(heap: &HeapPass, axis: TimeAxis, resolver: &mut dyn Resolve) -> Option<Graph> {
    let pi = largest_peak(heap)?;
    let p = &heap.processes[pi];
    let coarse = p.info.clock_res_ns == 0 || p.info.clock_res_ns > FINE_CLOCK_NS;
    let unit = match axis {
        TimeAxis::Bytes => Unit::Bytes,
        TimeAxis::Ms => Unit::Ms,
        TimeAxis::Auto if coarse => Unit::Bytes,
        TimeAxis::Auto => Unit::Ms,
    };
    let series = match unit {
        Unit::Bytes => &p.over_time.by_bytes,
        Unit::Ms => &p.over_time.by_ns,
    };
    let (snapshots, sites) = snapshots(pi, p, series, resolver);
    Some(Graph {
        pid: p.info.pid,
        command: if p.info.argv.is_empty() {
            p.info.exe.clone()
        } else {
            p.info.argv.join(" ")
        },
        unit,
        clock_res_ns: p.info.clock_res_ns,
        snapshots,
        sites,
    })
}

fn snapshots(
    pi: usize,
    p: &HeapProcess,
    series: &Series,
    resolver: &mut dyn Resolve,
) -> (Vec<GraphSnapshot>, Vec<GraphSite>) {
    let mut index: HashMap<u32, usize> = HashMap::new();
    let mut sites = Vec::new();
    let mut out = Vec::new();
    for s in series.snapshots() {
        let named = s
            .sites
            .iter()
            .map(|&(site, bytes)| {
                let i = *index.entry(site).or_insert_with(|| {
                    let st = &p.sites()[site as usize];
                    let frames = p
                        .stack(st.stack)
                        .map(|f| resolve_stack(resolver, pi, &p.modules, f))
                        .unwrap_or_default();
                    sites.push(GraphSite {
                        frames,
                        bytes: st.bytes,
                        peak_bytes: st.peak_bytes,
                        leaked_bytes: st.live_bytes,
                    });
                    sites.len() - 1
                });
                SiteBytes { site: i, bytes }
            })
            .collect();
        out.push(GraphSnapshot {
            time: s.time,
            heap_bytes: s.heap_bytes,
            detailed: s.detailed,
            peak: s.peak,
            sites: named,
        });
    }
    (out, sites)
}
