//! Property tests of the analysis engine: random allocation histories against a plain model.
//! The peak attribution (a lazy O(1) snapshot per site) must equal the state at the peak.

use std::collections::HashMap;

use proptest::prelude::*;
use tracekit::analysis::HeapProcess;
use tracekit_log::{Alloc, AllocKind, Free, FreeKind, Realloc};

#[derive(Debug, Clone)]
enum Op {
    Alloc {
        slot: usize,
        size: u64,
        stack: u64,
        fail: bool,
    },
    Free {
        slot: usize,
    },
    FreeUnknown,
    Realloc {
        slot: usize,
        size: u64,
        stack: u64,
        in_place: bool,
        fail: bool,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let size = prop_oneof![0u64..64, 0u64..70_000, Just(1u64 << 40)];
    prop_oneof![
        (
            0usize..12,
            size.clone(),
            1u64..5,
            prop::bool::weighted(0.05)
        )
            .prop_map(|(slot, size, stack, fail)| Op::Alloc {
                slot,
                size,
                stack,
                fail
            }),
        (0usize..12).prop_map(|slot| Op::Free { slot }),
        Just(Op::FreeUnknown),
        (
            0usize..12,
            size,
            1u64..5,
            any::<bool>(),
            prop::bool::weighted(0.05)
        )
            .prop_map(|(slot, size, stack, in_place, fail)| Op::Realloc {
                slot,
                size,
                stack,
                in_place,
                fail
            }),
    ]
}

proptest! {
    #[test]
    fn accounting_matches_a_model(ops in prop::collection::vec(op(), 0..300)) {
        let mut p = HeapProcess::new(Default::default());
        // slot -> (ptr, size, stack)
        let mut live: HashMap<usize, (u64, u64, u64)> = HashMap::new();
        let mut next_ptr = 0x1000u64;
        let (mut current, mut peak) = (0u64, 0u64);
        // stack -> live bytes at the peak
        let mut at_peak: HashMap<u64, u64> = HashMap::new();
        let snapshot = |live: &HashMap<usize, (u64, u64, u64)>| {
            let mut m = HashMap::new();
            for &(_, size, stack) in live.values() {
                *m.entry(stack).or_insert(0u64) += size;
            }
            m
        };
        for (t, op) in ops.iter().enumerate() {
            // Spread over a few ms, so the timeline merges its slices several times.
            let t = t as u64 * 7919;
            match *op {
                Op::Alloc { slot, size, stack, fail } => {
                    if live.contains_key(&slot) { continue; }
                    let ptr = if fail { 0 } else { next_ptr += 0x10_0000; next_ptr };
                    p.on_alloc(&Alloc { time_ns: t, tid: 1, kind: AllocKind::Malloc, ptr, size, align: 0, stack });
                    if !fail { live.insert(slot, (ptr, size, stack)); current += size; }
                }
                Op::Free { slot } => {
                    let ptr = live.remove(&slot).map_or(0, |(ptr, size, _)| { current -= size; ptr });
                    p.on_free(&Free { time_ns: t, tid: 1, kind: FreeKind::Free, ptr, size: 0, stack: 0 });
                }
                Op::FreeUnknown => {
                    p.on_free(&Free { time_ns: t, tid: 1, kind: FreeKind::Free, ptr: 0xdead_0000, size: 0, stack: 0 });
                }
                Op::Realloc { slot, size, stack, in_place, fail } => {
                    let old = live.get(&slot).copied();
                    let old_ptr = old.map_or(0, |o| o.0);
                    // Fails, or realloc(p, 0) releasing p: no new block.
                    let no_block = (fail && size != 0) || (size == 0 && old_ptr != 0);
                    let new_ptr = if no_block {
                        0
                    } else if in_place && old_ptr != 0 {
                        old_ptr
                    } else {
                        next_ptr += 0x10_0000;
                        next_ptr
                    };
                    p.on_realloc(&Realloc { time_ns: t, tid: 1, kind: AllocKind::Realloc, old_ptr, new_ptr, size, stack });
                    if new_ptr != 0 {
                        if let Some(o) = old { current -= o.1; }
                        live.insert(slot, (new_ptr, size, stack));
                        current += size;
                    } else if size == 0 && old_ptr != 0 {
                        current -= old.unwrap().1;
                        live.remove(&slot);
                    }
                }
            }
            if current > peak {
                peak = current;
                at_peak = snapshot(&live);
            }
            prop_assert_eq!(p.current, current);
        }
        p.finish();
        prop_assert_eq!(p.peak, peak);
        prop_assert_eq!(p.current_blocks, live.len() as u64);
        for s in p.sites() {
            prop_assert_eq!(s.peak_bytes, at_peak.get(&s.stack).copied().unwrap_or(0), "stack {}", s.stack);
        }
        let live_sum: u64 = p.sites().iter().map(|s| s.live_bytes).sum();
        prop_assert_eq!(live_sum, current);
        let peak_sum: u64 = p.sites().iter().map(|s| s.peak_bytes).sum();
        prop_assert_eq!(peak_sum, peak);
        // The timeline's highest slice is the peak; its last slice ends where the heap ends.
        let t = p.timeline.maxima();
        prop_assert_eq!(t.iter().copied().max().unwrap_or(0), peak);
        prop_assert!(t.last().copied().unwrap_or(0) >= current);
    }
}

proptest! {
    /// Whatever follows a valid header, reading and printing never panics.
    #[test]
    fn random_logs_never_panic(body in prop::collection::vec(any::<u8>(), 0..2000)) {
        let mut log = vec![0u8; tracekit_log::HEADER_LEN];
        tracekit_log::write_header(&mut log).unwrap();
        log.extend_from_slice(&body);
        let mut a = tracekit::analysis::Analysis::new();
        a.read_log("fuzz", &log[..]).unwrap();
        let r = tracekit::model::build(
            &a,
            &["fuzz".into()],
            tracekit::model::Selection { top: 3 },
            &mut tracekit::symbols::NoSymbols,
        );
        let mut out = Vec::new();
        tracekit::export::text::write(&r, tracekit::export::ExportOptions { top: 3, per_process: true, depth: 2, lifetimes: false }, &mut out).unwrap();
        serde_json::to_vec(&r).unwrap();
    }
}
