//! The leak checks of the processes as memcheck prints them: per process the LEAK SUMMARY's
//! figures and the loss records, one per kind and allocation stack, numbered in memcheck's
//! order (by total bytes, then kind, then blocks).

use crate::analysis::heap::HeapProcess;
use crate::analysis::leak::{LeakCheck, LeakKind};
use crate::symbols::{resolve_stack, Resolve, ResolvedFrame};
use tracekit_log::AllocKind;

/// Bytes and blocks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct LeakCount {
    /// Bytes.
    pub bytes: u64,
    /// Blocks.
    pub blocks: u64,
}

/// The LEAK SUMMARY of one process.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct LeakSummary {
    /// Definitely lost.
    pub definite: LeakCount,
    /// Indirectly lost.
    pub indirect: LeakCount,
    /// Possibly lost.
    pub possible: LeakCount,
    /// Still reachable.
    pub reachable: LeakCount,
    /// Still reachable through memcheck's heuristics, by heuristic name.
    pub via_heuristic: Vec<(String, LeakCount)>,
    /// Suppressed (`--suppressions`): the records an entry matched, out of their kinds.
    pub suppressed: LeakCount,
}

impl LeakSummary {
    /// The figures of one kind.
    pub fn get(&self, k: LeakKind) -> LeakCount {
        match k {
            LeakKind::Definite => self.definite,
            LeakKind::Indirect => self.indirect,
            LeakKind::Possible => self.possible,
            LeakKind::Reachable => self.reachable,
        }
    }

    pub(crate) fn get_mut(&mut self, k: LeakKind) -> &mut LeakCount {
        match k {
            LeakKind::Definite => &mut self.definite,
            LeakKind::Indirect => &mut self.indirect,
            LeakKind::Possible => &mut self.possible,
            LeakKind::Reachable => &mut self.reachable,
        }
    }
}

/// One loss record.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LossRecord {
    /// Its number, 1-based, in memcheck's order.
    pub number: usize,
    /// The kind.
    pub kind: LeakKind,
    /// Bytes of its blocks (memcheck's "direct").
    pub bytes: u64,
    /// Bytes of the blocks they lead (definitely lost records only).
    pub indirect_bytes: u64,
    /// Blocks.
    pub blocks: u64,
    /// The allocation stack id.
    pub stack_id: u64,
    /// The allocation stack.
    pub frames: Vec<ResolvedFrame>,
    /// Matched by a suppression (`--suppressions`): counted as suppressed, not printed.
    pub suppressed: bool,
}

/// One leak check of a process.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LeakReport {
    /// Process id.
    pub pid: u32,
    /// The check's number in its process (0: the one check of an older log).
    pub check: u32,
    /// What started it: `exit`, `signal` (`TRACEKIT_LEAK_CHECK_SIGNAL`), `request`
    /// (`tracekit_do_leak_check()`) or `fatal-signal` (the end of a process that a fatal
    /// signal killed).
    pub cause: &'static str,
    /// The process's last check (the one at exit, when it got there): the one the exit
    /// status and the gates count.
    pub last: bool,
    /// The summary.
    pub summary: LeakSummary,
    /// Every loss record (`total` of them), in memcheck's order.
    pub records: Vec<LossRecord>,
}

impl serde::Serialize for LeakKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// The frame of the allocation function `kind` (the tracker's hook, at no recorded address).
fn allocation_frame(kind: AllocKind) -> ResolvedFrame {
    use AllocKind as K;
    let mangled = match kind {
        K::New => "_Znwm",
        K::NewArray => "_Znam",
        K::NewNothrow => "_ZnwmRKSt9nothrow_t",
        K::NewArrayNothrow => "_ZnamRKSt9nothrow_t",
        K::NewAligned => "_ZnwmSt11align_val_t",
        K::NewArrayAligned => "_ZnamSt11align_val_t",
        K::NewAlignedNothrow => "_ZnwmSt11align_val_tRKSt9nothrow_t",
        K::NewArrayAlignedNothrow => "_ZnamSt11align_val_tRKSt9nothrow_t",
        _ => "",
    };
    let function = if mangled.is_empty() {
        crate::model::heap::alloc_key(kind)
    } else {
        tracekit_symbolize::demangle(mangled).into_owned()
    };
    ResolvedFrame {
        function,
        module: Some("libpreload_heaptrack.so".to_owned()),
        ..Default::default()
    }
}

/// memcheck's heuristic names by bit.
const HEURISTICS: [(u8, &str); 4] = [
    (1, "stdstring"),
    (2, "length64"),
    (4, "newarray"),
    (8, "multipleinheritance"),
];

/// The leak checks of process number `pi`, in order.
pub fn build(p: &HeapProcess, pi: usize, resolver: &mut dyn Resolve) -> Vec<LeakReport> {
    let n = p.leaks.len();
    p.leaks
        .iter()
        .enumerate()
        .map(|(i, c)| build_one(p, pi, c, i + 1 == n, resolver))
        .collect()
}

fn build_one(
    p: &HeapProcess,
    pi: usize,
    check: &LeakCheck,
    last: bool,
    resolver: &mut dyn Resolve,
) -> LeakReport {
    let mut summary = LeakSummary::default();
    let mut merged: Vec<LossRecord> = Vec::new();
    for l in &check.losses {
        let Some(kind) = LeakKind::from_code(l.kind) else {
            continue;
        };
        let c = summary.get_mut(kind);
        c.bytes += l.bytes;
        c.blocks += l.blocks;
        if kind == LeakKind::Reachable && l.heuristic != 0 {
            if let Some((_, name)) = HEURISTICS.iter().find(|(b, _)| *b == l.heuristic) {
                match summary.via_heuristic.iter_mut().find(|(n, _)| n == name) {
                    Some((_, c)) => {
                        c.bytes += l.bytes;
                        c.blocks += l.blocks;
                    }
                    None => summary.via_heuristic.push((
                        (*name).to_owned(),
                        LeakCount {
                            bytes: l.bytes,
                            blocks: l.blocks,
                        },
                    )),
                }
            }
        }
        match merged
            .iter_mut()
            .find(|r| r.kind == kind && r.stack_id == l.stack)
        {
            Some(r) => {
                r.bytes += l.bytes;
                r.blocks += l.blocks;
                r.indirect_bytes += l.indirect_bytes;
            }
            None => merged.push(LossRecord {
                number: 0,
                kind,
                bytes: l.bytes,
                indirect_bytes: l.indirect_bytes,
                blocks: l.blocks,
                stack_id: l.stack,
                frames: Vec::new(),
                suppressed: false,
            }),
        }
    }
    summary.via_heuristic.sort_by_key(|(n, _)| {
        HEURISTICS
            .iter()
            .position(|(_, h)| h == n)
            .unwrap_or(usize::MAX)
    });
    // memcheck's `cmp_LossRecords`: total bytes, then kind, then blocks.
    merged.sort_by_key(|r| (r.bytes + r.indirect_bytes, r.kind, r.blocks, r.stack_id));
    for (i, r) in merged.iter_mut().enumerate() {
        r.number = i + 1;
        let kind = p
            .sites()
            .iter()
            .find(|s| s.stack == r.stack_id)
            .and_then(|s| s.kind);
        // The allocation function first, as in memcheck's stacks (the recorded stack starts
        // at its caller): suppressions name it (`fun:malloc`).
        r.frames = kind.map(allocation_frame).into_iter().collect();
        r.frames.extend(
            p.stack(r.stack_id)
                .map(|f| resolve_stack(resolver, pi, &p.modules, f))
                .unwrap_or_default(),
        );
    }
    LeakReport {
        pid: p.info.pid,
        check: check.check,
        cause: match check.cause {
            tracekit_log::Leak::ON_SIGNAL => "signal",
            tracekit_log::Leak::ON_REQUEST => "request",
            tracekit_log::Leak::AT_FATAL_SIGNAL => "fatal-signal",
            _ => "exit",
        },
        last,
        summary,
        records: merged,
    }
}
