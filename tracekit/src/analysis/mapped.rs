//! The process's memory beside its heap: the anonymous mappings it made itself (`Mapping`
//! records: `mmap`, `munmap`, `mremap`, `brk`), who made them, and the kernel's samples of its
//! size (`MemorySample` records), each set beside the heap live at that moment. This is what
//! answers "RSS says 8 GB, the heap 1 GB": pages mapped outside `malloc`, pages of freed blocks
//! the allocator kept, pages never touched.
//!
//! With `--pages-as-heap` (massif's option of that name) the mappings replace the heap blocks
//! as the heap pass's blocks ([`PageChange`]): the report, the graph and the sites then count
//! pages mapped, as massif does.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;
use tracekit_log::{MapOp, Mapping};

/// Mappings are whole pages.
const PAGE: u64 = 4096;

/// One mapped range.
#[derive(Debug, Clone, Copy)]
struct Range {
    len: u64,
    stack: u64,
}

/// Mappings made at one stack.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MapSite {
    /// Calls that mapped (`mmap`, `mremap`, a `brk` that grew).
    pub calls: u64,
    /// Bytes they mapped, in whole pages.
    pub bytes: u64,
    /// Of those, still mapped now (at the end: when the process ended).
    pub live_bytes: u64,
}

/// One sample of the process's memory.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sample {
    /// ns since process start.
    pub time_ns: u64,
    /// Heap bytes live then (the heap pass's count; with `--pages-as-heap`, pages mapped).
    pub heap: u64,
    /// Bytes the program had mapped anonymously itself then (recorded mappings).
    pub mapped: u64,
    /// Resident bytes (the kernel's count).
    pub resident: u64,
    /// The kernel's private writable bytes (`VmData`: the break, anonymous mappings, stacks).
    pub data: u64,
}

/// What a mapping event did to the mapped ranges, for `--pages-as-heap`: ranges gone (the
/// block at `addr` released) and ranges made (a block).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageChange {
    /// The range starting at `addr` is no longer mapped as it was.
    Gone {
        /// Its start.
        addr: u64,
    },
    /// A range is mapped (a new one, or what is left of one partly unmapped).
    New {
        /// Its start.
        addr: u64,
        /// Its length.
        len: u64,
        /// The stack of the call that mapped it.
        stack: u64,
    },
}

/// One process's mappings and memory samples.
#[derive(Debug, Clone, Default)]
pub struct Memory {
    ranges: BTreeMap<u64, Range>,
    /// Bytes mapped now (at the end: when the process ended).
    pub mapped: u64,
    /// The most bytes mapped at once.
    pub peak_mapped: u64,
    /// Mapping events seen.
    pub events: u64,
    /// Per stack id.
    pub sites: FxHashMap<u64, MapSite>,
    /// The samples, in time order.
    pub samples: Vec<Sample>,
}

fn pages(len: u64) -> u64 {
    len.div_ceil(PAGE).saturating_mul(PAGE)
}

impl Memory {
    /// True when the log had neither mappings nor samples for this process.
    pub fn is_empty(&self) -> bool {
        self.events == 0 && self.samples.is_empty()
    }

    /// A sample, with the heap's live bytes at that moment.
    pub fn on_sample(&mut self, s: &tracekit_log::MemorySample, heap: u64) {
        self.samples.push(Sample {
            time_ns: s.time_ns,
            heap,
            mapped: self.mapped,
            resident: s.resident,
            data: s.size.min(s.data),
        });
    }

    /// A mapping event; what it did to the ranges is appended to `changes`.
    pub fn on_mapping(&mut self, m: &Mapping, changes: &mut Vec<PageChange>) {
        self.events += 1;
        match m.op {
            MapOp::Mmap => self.map(m.addr, m.len, m.stack, changes),
            MapOp::Munmap => self.unmap(m.addr, m.len, changes),
            MapOp::Mremap => {
                self.unmap(m.addr, m.len, changes);
                self.map(m.new_addr, m.new_len, m.stack, changes);
            }
            MapOp::Brk => {
                // The break moves by bytes; the kernel maps the pages around it.
                let (old, new) = (
                    m.addr.div_ceil(PAGE) * PAGE,
                    m.new_addr.div_ceil(PAGE) * PAGE,
                );
                if new > old {
                    self.map(old, new - old, m.stack, changes);
                } else if old > new {
                    self.unmap(new, old - new, changes);
                }
            }
            // A call a later version records.
            _ => {}
        }
    }

    fn map(&mut self, addr: u64, len: u64, stack: u64, changes: &mut Vec<PageChange>) {
        let len = pages(len);
        if len == 0 {
            return;
        }
        // A fixed mapping replaces what was there.
        self.unmap(addr, len, changes);
        self.ranges.insert(addr, Range { len, stack });
        self.mapped = self.mapped.saturating_add(len);
        self.peak_mapped = self.peak_mapped.max(self.mapped);
        let s = self.sites.entry(stack).or_default();
        s.calls += 1;
        s.bytes = s.bytes.saturating_add(len);
        s.live_bytes = s.live_bytes.saturating_add(len);
        changes.push(PageChange::New { addr, len, stack });
    }

    fn unmap(&mut self, addr: u64, len: u64, changes: &mut Vec<PageChange>) {
        let end = addr.saturating_add(pages(len));
        // The ranges that overlap [addr, end): the one starting before addr, and those inside.
        let first = self
            .ranges
            .range(..addr)
            .next_back()
            .filter(|(&s, r)| s + r.len > addr)
            .map(|(&s, _)| s);
        let starts: Vec<u64> = first
            .into_iter()
            .chain(self.ranges.range(addr..end).map(|(&s, _)| s))
            .collect();
        for start in starts {
            let Some(r) = self.ranges.remove(&start) else {
                continue;
            };
            let r_end = start + r.len;
            let gone = r_end.min(end) - start.max(addr);
            self.mapped = self.mapped.saturating_sub(gone);
            if let Some(s) = self.sites.get_mut(&r.stack) {
                s.live_bytes = s.live_bytes.saturating_sub(gone);
            }
            changes.push(PageChange::Gone { addr: start });
            for (a, b) in [(start, addr), (end, r_end)] {
                if b > a {
                    self.ranges.insert(
                        a,
                        Range {
                            len: b - a,
                            stack: r.stack,
                        },
                    );
                    changes.push(PageChange::New {
                        addr: a,
                        len: b - a,
                        stack: r.stack,
                    });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(op: MapOp, addr: u64, len: u64, new_addr: u64, new_len: u64, stack: u64) -> Mapping {
        Mapping {
            time_ns: 0,
            tid: 1,
            op,
            addr,
            len,
            new_addr,
            new_len,
            stack,
        }
    }

    /// A range unmapped in its middle leaves its two ends mapped, still counted to the stack
    /// that mapped it; an `mremap` moves the bytes; a shrinking break unmaps.
    #[test]
    fn partial_unmap_remap_and_break() {
        let mut m = Memory::default();
        let mut ch = Vec::new();
        m.on_mapping(&ev(MapOp::Mmap, 0x10000, 10 * PAGE, 0, 0, 7), &mut ch);
        assert_eq!((m.mapped, m.peak_mapped), (10 * PAGE, 10 * PAGE));
        ch.clear();
        m.on_mapping(
            &ev(MapOp::Munmap, 0x10000 + 2 * PAGE, 3 * PAGE, 0, 0, 0),
            &mut ch,
        );
        assert_eq!(m.mapped, 7 * PAGE);
        assert_eq!(
            ch,
            [
                PageChange::Gone { addr: 0x10000 },
                PageChange::New {
                    addr: 0x10000,
                    len: 2 * PAGE,
                    stack: 7
                },
                PageChange::New {
                    addr: 0x10000 + 5 * PAGE,
                    len: 5 * PAGE,
                    stack: 7
                },
            ]
        );
        assert_eq!(m.sites[&7].live_bytes, 7 * PAGE);
        // An unmapping of nothing recorded (a file mapping) changes nothing.
        ch.clear();
        m.on_mapping(&ev(MapOp::Munmap, 0x900000, PAGE, 0, 0, 0), &mut ch);
        assert!(ch.is_empty());
        m.on_mapping(
            &ev(MapOp::Mremap, 0x10000, 2 * PAGE, 0x800000, 4 * PAGE, 8),
            &mut ch,
        );
        assert_eq!(m.mapped, 9 * PAGE);
        assert_eq!(m.sites[&8].live_bytes, 4 * PAGE);
        m.on_mapping(&ev(MapOp::Brk, 0x50000, 0, 0x50000 + 100, 0, 9), &mut ch);
        assert_eq!(m.mapped, 10 * PAGE);
        m.on_mapping(&ev(MapOp::Brk, 0x50000 + 100, 0, 0x50000, 0, 9), &mut ch);
        assert_eq!(m.mapped, 9 * PAGE);
        assert_eq!(m.peak_mapped, 10 * PAGE);
    }
}
