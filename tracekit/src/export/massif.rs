//! massif's output file (`massif.out.PID`), which valgrind's `ms_print` and
//! massif-visualizer read: `desc:`, `cmd:`, `time_unit:`, then one block per snapshot
//! (`snapshot=N`, `time=`, `mem_heap_B=`, `mem_heap_extra_B=`, `mem_stacks_B=`,
//! `heap_tree=empty|detailed|peak`) with, for detailed ones, the tree of allocation sites:
//! `nC: BYTES DETAILS` lines, one space of indent per level, the allocation functions at the
//! root and each level one caller further out, children by size, those under massif's
//! threshold (1% of the snapshot's heap) merged into one `in N places` line.
//!
//! We do not know the allocator's own overhead (`mem_heap_extra_B`) nor the stacks'
//! (`mem_stacks_B`): both are 0, as massif writes them with `--stacks=no` and no overhead.

use std::io::{self, Write};

use super::{ExportOptions, Writer};
use crate::model::graph::{Graph, GraphSnapshot};
use crate::model::Report;
use crate::symbols::ResolvedFrame;

/// massif's default `--threshold`, in percent.
pub const THRESHOLD: f64 = 1.0;

/// The massif writer.
#[derive(Debug, Clone, Copy)]
pub struct Massif;

impl Writer for Massif {
    fn needs_graph(&self) -> bool {
        true
    }

    fn write(&self, report: &Report, _opts: &ExportOptions, out: &mut dyn Write) -> io::Result<()> {
        match &report.graph {
            Some(g) => write(g, out),
            None => Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "no heap events in the logs: nothing to write as massif's heap over time",
            )),
        }
    }
}

/// What a tree node stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Label<'a> {
    /// The root: every allocation function.
    Root,
    /// One frame.
    Frame(&'a ResolvedFrame),
    /// Children under the threshold, merged.
    Below {
        /// How many.
        places: usize,
    },
}

/// A node of a snapshot's tree of sites.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node<'a> {
    /// Bytes live under it.
    pub bytes: u64,
    /// What it is.
    pub label: Label<'a>,
    /// Callers, largest first (a `Below` last).
    pub children: Vec<Node<'a>>,
}

impl Label<'_> {
    /// The text after the byte count in massif's file.
    pub fn details(&self) -> String {
        match self {
            Label::Root => {
                "(heap allocation functions) malloc/new/new[], --alloc-fns, etc.".to_owned()
            }
            Label::Frame(f) => frame_details(f),
            Label::Below { places: 1 } => {
                format!("in 1 place, below massif's threshold ({THRESHOLD:.2}%)")
            }
            Label::Below { places } => {
                format!("in {places} places, all below massif's threshold ({THRESHOLD:.2}%)")
            }
        }
    }
}

/// valgrind's way of naming a code address: `0xADDR: fn (file:line)`, or `(in module)`.
fn frame_details(f: &ResolvedFrame) -> String {
    let func = if f.function.is_empty() || f.function == "??" {
        "???"
    } else {
        &f.function
    };
    let place = match (&f.file, f.line, &f.module) {
        (Some(file), Some(line), _) => {
            let base = file.rsplit('/').next().unwrap_or(file);
            format!(" ({base}:{line})")
        }
        (_, _, Some(m)) => format!(" (in {m})"),
        _ => String::new(),
    };
    format!("0x{:X}: {func}{place}", f.addr)
}

static UNKNOWN: ResolvedFrame = ResolvedFrame {
    addr: 0,
    module: None,
    function: String::new(),
    file: None,
    line: None,
    column: None,
    offset: None,
    inlined: false,
    note: None,
};

/// The tree of `snap`'s sites: the root holds the snapshot's heap, each level one frame
/// further from the allocation; children under [`THRESHOLD`]% of the heap are merged.
pub fn tree<'a>(g: &'a Graph, snap: &GraphSnapshot) -> Node<'a> {
    let sites: Vec<(&'a [ResolvedFrame], u64)> = snap
        .sites
        .iter()
        .map(|s| {
            let f = &g.sites[s.site].frames[..];
            // A site without a recorded stack still holds bytes: one unknown frame.
            (
                if f.is_empty() {
                    std::slice::from_ref(&UNKNOWN)
                } else {
                    f
                },
                s.bytes,
            )
        })
        .collect();
    Node {
        bytes: snap.heap_bytes,
        label: Label::Root,
        children: callers(&sites, 0, snap.heap_bytes),
    }
}

/// Sites as the tree is built from them: the frames and the live bytes.
type Sites<'a> = Vec<(&'a [ResolvedFrame], u64)>;

fn callers<'a>(sites: &[(&'a [ResolvedFrame], u64)], depth: usize, total: u64) -> Vec<Node<'a>> {
    // Group by the frame at `depth`, in order of first appearance (sites come largest first).
    let mut groups: Vec<(&'a ResolvedFrame, Sites<'a>)> = Vec::new();
    for &(frames, bytes) in sites {
        let Some(f) = frames.get(depth) else { continue };
        match groups.iter_mut().find(|(g, _)| same_frame(g, f)) {
            Some((_, v)) => v.push((frames, bytes)),
            None => groups.push((f, vec![(frames, bytes)])),
        }
    }
    let mut nodes: Vec<Node<'a>> = groups
        .into_iter()
        .map(|(f, v)| Node {
            bytes: v.iter().map(|&(_, b)| b).sum(),
            label: Label::Frame(f),
            children: callers(&v, depth + 1, total),
        })
        .collect();
    nodes.sort_by_key(|n| std::cmp::Reverse(n.bytes));
    let significant = |b: u64| total != 0 && b as f64 * 100.0 / total as f64 >= THRESHOLD;
    let (mut keep, below): (Vec<_>, Vec<_>) = nodes.into_iter().partition(|n| significant(n.bytes));
    if !below.is_empty() {
        keep.push(Node {
            bytes: below.iter().map(|n| n.bytes).sum(),
            label: Label::Below {
                places: below.len(),
            },
            children: Vec::new(),
        });
    }
    keep
}

fn same_frame(a: &ResolvedFrame, b: &ResolvedFrame) -> bool {
    a.addr == b.addr && a.function == b.function && a.line == b.line && a.file == b.file
}

/// Writes `g` as a massif.out file.
pub fn write(g: &Graph, out: &mut dyn Write) -> io::Result<()> {
    let clock = if g.coarse_clock() {
        format!("coarse clock ({} ns)", g.clock_res_ns)
    } else {
        format!("clock resolution {} ns", g.clock_res_ns)
    };
    writeln!(
        out,
        "desc: tracekit: pid {}, --time-unit={}, {clock}",
        g.pid,
        g.unit.name()
    )?;
    writeln!(out, "cmd: {}", g.command.replace('\n', " "))?;
    writeln!(out, "time_unit: {}", g.unit.name())?;
    for (i, s) in g.snapshots.iter().enumerate() {
        writeln!(out, "#-----------\nsnapshot={i}\n#-----------")?;
        writeln!(out, "time={}", g.time_integer(s))?;
        writeln!(out, "mem_heap_B={}", s.heap_bytes)?;
        writeln!(out, "mem_heap_extra_B=0\nmem_stacks_B=0")?;
        let kind = match (s.peak, s.detailed) {
            (true, _) => "peak",
            (false, true) => "detailed",
            (false, false) => "empty",
        };
        writeln!(out, "heap_tree={kind}")?;
        if s.detailed || s.peak {
            write_node(&tree(g, s), 0, out)?;
        }
    }
    Ok(())
}

fn write_node(n: &Node<'_>, depth: usize, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "{:depth$}n{}: {} {}",
        "",
        n.children.len(),
        n.bytes,
        n.label.details().replace('\n', " ")
    )?;
    for c in &n.children {
        write_node(c, depth + 1, out)?;
    }
    Ok(())
}
