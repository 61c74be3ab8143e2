//! The codec on its own (the reader, compact records and files are `tracekit-log`'s tests):
//! every record kind round-trips through `encode` and `decode`, encoding never allocates, and
//! a buffer too small for a record is reported, never overrun. One event of each kind comes
//! from the codec itself: a payload of zeros or of ones decodes under every full tag.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use tracekit_log_core::wire::{Dec, Full};
use tracekit_log_core::*;

struct Counting;
thread_local! { static ALLOCS: Cell<u64> = const { Cell::new(0) }; }
// SAFETY: forwards to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        ALLOCS.with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as ours.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(p, l) }
    }
}
#[global_allocator]
static GLOBAL: Counting = Counting;

/// One event of each kind the codec knows, owned.
fn one_of_each() -> Vec<Event<'static>> {
    let payloads = [[0u8; 256], [1u8; 256]];
    (0..=u8::MAX)
        .filter_map(|t| {
            payloads
                .iter()
                .find_map(|p| decode(t, p).ok().flatten())
                .map(Event::into_owned)
        })
        .collect()
}

/// Splits one encoded record into its tag and payload.
fn frame(rec: &[u8]) -> (u8, &[u8]) {
    let mut d = Dec::new(rec);
    let t = d.u8().unwrap();
    let len = d.u().unwrap() as usize;
    let start = d.pos();
    assert_eq!(
        start + len,
        rec.len(),
        "the length covers the rest of the record"
    );
    (t, &rec[start..])
}

#[test]
fn every_kind_round_trips() {
    let events = one_of_each();
    assert_eq!(events.len(), 22, "{events:?}");
    let mut buf = [0u8; 1024];
    for ev in &events {
        let n = encode(ev, &mut buf).unwrap();
        let (t, payload) = frame(&buf[..n]);
        assert!(codec::is_known(t) && !codec::is_compact(t));
        assert_eq!(decode(t, payload).unwrap().as_ref(), Some(ev));
    }
}

#[test]
fn encoding_never_allocates_and_small_buffers_are_full() {
    let events = one_of_each();
    let mut buf = [0u8; 1024];
    let before = ALLOCS.with(Cell::get);
    for ev in &events {
        let n = encode(ev, &mut buf).unwrap();
        for small in 0..n {
            assert_eq!(
                encode(ev, &mut buf[..small]),
                Err(Full),
                "{ev:?} in {small}"
            );
        }
    }
    let mut head = [0u8; HEADER_LEN];
    assert_eq!(write_header(&mut head), Ok(HEADER_LEN));
    assert!(chunk_header(&mut buf, Codec::Zstd, 1 << 20, 1000).is_ok());
    assert_eq!(ALLOCS.with(Cell::get), before, "the encoder allocated");
    assert_eq!(&head[..8], &MAGIC);
    assert_eq!(head[8..10], VERSION.to_le_bytes());
}

/// A `Symbols` record as `tracekit pack` writes one: shared strings, an inline chain, an
/// address without a symbol but with a note, line 0 told apart from no line, offsets out of
/// order.
fn packed_symbols() -> Event<'static> {
    let f = |function, file, line, column, inlined| SymbolFrame {
        function,
        file,
        line,
        column,
        inlined,
    };
    Event::Symbols(Symbols {
        path: "/tmp/prog".into(),
        build_id: vec![0xab, 0, 0xcd].into(),
        strings: vec![
            "main".into(),
            "/src/prog.c".into(),
            "helper".into(),
            Bytes::borrowed(b"no symbol \xff"),
        ],
        addrs: vec![
            SymbolAddr {
                offset: 0x1234,
                frames: 2,
                note: None,
            },
            SymbolAddr {
                offset: 0x1000,
                frames: 0,
                note: Some(3),
            },
            SymbolAddr {
                offset: u64::MAX,
                frames: 1,
                note: None,
            },
        ]
        .into(),
        frames: vec![
            f(2, Some(1), Some(7), Some(3), true),
            f(0, Some(1), Some(0), None, false),
            f(2, None, None, None, false),
        ]
        .into(),
    })
}

#[test]
fn symbols_round_trip_with_every_optional_field() {
    let ev = packed_symbols();
    let mut buf = [0u8; 256];
    let n = encode(&ev, &mut buf).unwrap();
    let (t, payload) = frame(&buf[..n]);
    assert_eq!(t, codec::tag::SYMBOLS);
    let back = decode(t, payload).unwrap().unwrap();
    assert_eq!(back, ev);
    let Event::Symbols(s) = back else {
        unreachable!()
    };
    assert_eq!(s.string(s.frames[1].function), b"main");
    assert_eq!(s.string(99), b"");
}

#[test]
fn symbols_with_a_string_index_out_of_range_is_corrupt() {
    let Event::Symbols(mut s) = packed_symbols() else {
        unreachable!()
    };
    s.frames.to_mut()[2].function = 4; // there are four strings
    let mut buf = [0u8; 256];
    let n = encode(&Event::Symbols(s), &mut buf).unwrap();
    let (t, payload) = frame(&buf[..n]);
    assert_eq!(
        decode(t, payload),
        Err(codec::PayloadError::BadValue("string index"))
    );
}

#[test]
fn symbols_claiming_more_frames_than_given_encode_what_there_is() {
    let Event::Symbols(mut s) = packed_symbols() else {
        unreachable!()
    };
    s.addrs.to_mut()[2].frames = 5;
    let mut buf = [0u8; 256];
    let n = encode(&Event::Symbols(s), &mut buf).unwrap();
    let (t, payload) = frame(&buf[..n]);
    let Some(Event::Symbols(back)) = decode(t, payload).unwrap() else {
        unreachable!()
    };
    assert_eq!(back.addrs[2].frames, 1);
    assert_eq!(back.frames.len(), 3);
}

/// A `Leak` record's check number and cause are appended only when the number is not 0: a
/// record of one check at exit is byte for byte what earlier writers wrote, and a later
/// check's number and cause round-trip.
#[test]
fn leak_check_number_is_appended_only_when_set() {
    let leak = |check: u32, cause: u8| {
        Event::Leak(Leak {
            time_ns: 1,
            pid: 2,
            layout: Leak::LAYOUT,
            heuristics: 15,
            losses: std::borrow::Cow::Owned(vec![LeakLoss {
                kind: 3,
                heuristic: 0,
                stack: 4,
                bytes: 5,
                blocks: 1,
                indirect_bytes: 0,
            }]),
            check,
            cause,
        })
    };
    let mut buf = [0u8; 256];
    let n = encode(&leak(0, 0), &mut buf).unwrap();
    let (_, payload) = frame(&buf[..n]);
    // time, pid, layout, heuristics, count, then the loss's six fields: one byte each.
    assert_eq!(payload, [1, 2, 1, 15, 1, 3, 0, 4, 5, 1, 0]);
    let ev = leak(3, Leak::ON_REQUEST);
    let n = encode(&ev, &mut buf).unwrap();
    let (t, payload) = frame(&buf[..n]);
    assert_eq!(&payload[11..], [3, Leak::ON_REQUEST]);
    assert_eq!(decode(t, payload).unwrap().as_ref(), Some(&ev));
}
