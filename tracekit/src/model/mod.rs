//! The report as data: one model per analysis pass ([`heap`], [`crash`], [`fence`],
//! [`syscalls`]) gathered in a [`Report`] with what the logs were and where they were damaged.
//! No text is rendered here: the writers of [`crate::export`] do that. Serialized, a
//! [`Report`] is the JSON schema `tracekit.heap-report/2` (see `SCHEMA.md`).

pub mod crash;
pub mod fence;
pub mod graph;
pub mod heap;
pub mod leak;
pub mod suppress;
pub mod syscalls;

pub use crash::CrashReport;
pub use fence::FenceReport;
pub use heap::{HeapReport, Selection};
pub use syscalls::SyscallReport;

use crate::analysis::Analysis;
use crate::symbols::Resolve;

/// The schema name and version written in every JSON report.
pub const SCHEMA: &str = "tracekit.heap-report/2";

/// The whole report.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Report {
    /// Always [`SCHEMA`].
    pub schema: &'static str,
    /// The logs read, as named on the command line.
    pub logs: Vec<String>,
    /// False when a log was damaged: the numbers then cover the events before the damage.
    pub complete: bool,
    /// Where each damaged log stops.
    pub damage: Vec<DamageReport>,
    /// The heap: totals, processes, sites.
    #[serde(flatten)]
    pub heap: HeapReport,
    /// Crash reports found in the logs.
    pub crashes: Vec<CrashReport>,
    /// Fence-allocator findings.
    pub fences: Vec<FenceReport>,
    /// System calls (strace-rs logs).
    pub syscalls: SyscallReport,
    /// The leak checks the processes made at exit (`TRACEKIT_LEAK_CHECK`), as memcheck
    /// classifies; absent when none did.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub leaks: Vec<leak::LeakReport>,
    /// The heap over time, when the writer draws it (`Writer::needs_graph`; add it with
    /// [`Report::with_graph`]).
    #[serde(skip)]
    pub graph: Option<graph::Graph>,
    /// Library calls (ltrace-rs logs): text only, the JSON schema is unchanged.
    #[serde(skip)]
    pub libcalls: LibCallReport,
    /// What the exports need besides the report, when the analysis kept it
    /// ([`Analysis::with_detail`]); not part of the JSON schema.
    #[serde(skip)]
    pub detail: Option<Box<crate::analysis::detail::Detail>>,
}

/// A damaged log.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DamageReport {
    /// The log.
    pub log: String,
    /// Byte offset of the damage.
    pub offset: u64,
    /// The reader's message.
    pub message: String,
}

/// Builds the report of `analysis` (its logs named `logs`), symbolizing only the backtraces it
/// keeps: the sites `sel` selects and the fence findings.
pub fn build(
    analysis: &Analysis,
    logs: &[String],
    sel: Selection,
    resolver: &mut dyn Resolve,
) -> Report {
    Report {
        schema: SCHEMA,
        logs: logs.to_vec(),
        complete: analysis.damage.is_empty(),
        damage: analysis
            .damage
            .iter()
            .map(|d| DamageReport {
                log: d.log.clone(),
                offset: d.offset,
                message: d.message.clone(),
            })
            .collect(),
        heap: heap::build(&analysis.heap, sel, resolver),
        crashes: crash::build(&analysis.crashes),
        fences: fence::build(&analysis.fences, &analysis.heap, resolver),
        syscalls: syscalls::build(&analysis.syscalls),
        leaks: analysis
            .heap
            .processes
            .iter()
            .enumerate()
            .flat_map(|(i, p)| leak::build(p, i, resolver))
            .collect(),
        graph: None,
        libcalls: LibCallReport {
            events: analysis.libcalls.events,
            summary: analysis.libcalls.summary.clone(),
        },
        detail: analysis.detail.clone(),
    }
}

/// The library calls of the logs (ltrace-rs's `--log`).
#[derive(Debug, Clone, Default)]
pub struct LibCallReport {
    /// `LibCall` events.
    pub events: u64,
    /// ltrace's `-c` numbers per function.
    pub summary: tracekit_syscall_summary::libcalls::Summary,
}

impl Report {
    /// Adds the heap over time of `analysis` on `axis` ([`graph::build`]).
    pub fn with_graph(
        mut self,
        analysis: &Analysis,
        axis: graph::TimeAxis,
        resolver: &mut dyn Resolve,
    ) -> Self {
        self.graph = graph::build(&analysis.heap, axis, resolver);
        self
    }

    /// True when the logs hold something besides the heap (crashes, fence findings, system
    /// calls).
    pub fn has_other_tools(&self) -> bool {
        !self.crashes.is_empty()
            || !self.fences.is_empty()
            || self.syscalls.events != 0
            || self.libcalls.events != 0
    }
}
