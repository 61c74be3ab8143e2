//! Round trips, damage handling and the no-allocation property of the encoder.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use proptest::prelude::*;
use tracekit_log::*;

/// Counts allocations made by the current thread, to prove `encode` makes none.
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

/// The shared fixtures: one event of each kind, with awkward values.
fn sample() -> Vec<Event<'static>> {
    fixtures::one_of_each()
}

/// The sample's allocation event.
const ALLOC: usize = 6;

fn write_all(events: &[Event<'_>], codec: Codec) -> Vec<u8> {
    let mut w = FileWriter::new(Vec::new(), codec).unwrap();
    for e in events {
        w.write(e).unwrap();
    }
    w.finish().unwrap()
}

fn read_all(bytes: &[u8]) -> (Vec<Event<'static>>, Option<Error>) {
    let mut out = Vec::new();
    let r = match Reader::new(bytes) {
        Ok(r) => r,
        Err(e) => return (out, Some(e)),
    };
    for ev in r {
        match ev {
            Ok(ev) => out.push(ev),
            Err(e) => return (out, Some(e)),
        }
    }
    (out, None)
}

#[test]
fn every_event_round_trips_stored_and_zstd() {
    for codec in [Codec::Stored, Codec::Zstd] {
        let bytes = write_all(&sample(), codec);
        let (got, err) = read_all(&bytes);
        assert!(err.is_none(), "{err:?}");
        assert_eq!(got, sample());
    }
}

#[test]
fn bare_records_and_padding_read_back() {
    // What a preload library writes: header, records straight from `encode`, and the zero
    // padding a crashed writer leaves at the end of its last window.
    let mut file = vec![0u8; HEADER_LEN];
    write_header(&mut file).unwrap();
    let mut buf = [0u8; 4096];
    for ev in sample() {
        let n = encode(&ev, &mut buf).unwrap();
        file.extend_from_slice(&buf[..n]);
        file.push(0);
    }
    file.extend_from_slice(&[0; 100]);
    let (got, err) = read_all(&file);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(got, sample());
}

#[test]
fn encode_never_allocates() {
    let events = sample();
    let mut buf = [0u8; 4096];
    let before = ALLOCS.with(Cell::get);
    let mut total = 0;
    for ev in &events {
        total += encode(ev, &mut buf).unwrap();
        let _ = encode(ev, &mut buf[..3]);
    }
    let mut head = [0u8; HEADER_LEN];
    write_header(&mut head).unwrap();
    chunk_header(&mut buf, Codec::Stored, 100, 100).unwrap();
    assert_eq!(ALLOCS.with(Cell::get), before, "encode allocated");
    assert!(total > 100);
}

#[test]
fn encode_leaves_zeros_after_the_record() {
    for ev in sample() {
        let mut buf = [0u8; 4096];
        let n = encode(&ev, &mut buf).unwrap();
        let room = 8.min(4096 - n);
        assert!(
            buf[n..n + room].iter().all(|&b| b == 0),
            "{ev:?}: {:?}",
            &buf[n..n + room]
        );
    }
}

#[test]
fn encode_into_small_buffers_reports_full() {
    for ev in sample() {
        let mut big = [0u8; 4096];
        let n = encode(&ev, &mut big).unwrap();
        for short in 0..n {
            let mut small = vec![0u8; short];
            assert_eq!(
                encode(&ev, &mut small),
                Err(Full),
                "{ev:?} fit in {short} < {n}"
            );
        }
    }
}

#[test]
fn truncation_anywhere_keeps_what_came_before_and_names_the_offset() {
    let events = sample();
    let full = write_all(&events, Codec::Stored);
    // Stored records without chunk framing, so every cut lands inside a record.
    let mut bare = vec![0u8; HEADER_LEN];
    write_header(&mut bare).unwrap();
    let mut ends = Vec::new();
    let mut buf = [0u8; 4096];
    for ev in &events {
        let n = encode(ev, &mut buf).unwrap();
        bare.extend_from_slice(&buf[..n]);
        ends.push(bare.len());
    }
    for cut in HEADER_LEN..bare.len() {
        let (got, err) = read_all(&bare[..cut]);
        let complete = ends.iter().filter(|&&e| e <= cut).count();
        assert_eq!(got.len(), complete, "cut at {cut}");
        assert_eq!(&got[..], &events[..complete]);
        if cut != HEADER_LEN && !ends.contains(&cut) {
            let err = err.unwrap_or_else(|| {
                panic!(
                    "cut at {cut} of {} (ends {ends:?}) gave no error",
                    bare.len()
                )
            });
            assert!(matches!(err.kind, ErrorKind::Truncated), "{err}");
            let start = if complete == 0 {
                HEADER_LEN
            } else {
                ends[complete - 1]
            };
            assert_eq!(err.offset, start as u64);
            assert!(err.to_string().contains(&format!("byte {start}")), "{err}");
        }
    }
    // A cut chunk is reported as truncated too, after the records before the cut.
    let (got, err) = read_all(&full[..full.len() - 1]);
    assert_eq!(&got[..], &events[..events.len() - 1]);
    assert!(matches!(err.unwrap().kind, ErrorKind::Truncated));
}

/// Many allocation events, enough for several zstd blocks (128 KiB of records each).
fn many_allocs(n: u64) -> Vec<Event<'static>> {
    (0..n)
        .map(|i| {
            Event::Alloc(tracekit_log::Alloc {
                time_ns: i * 1000,
                tid: 7,
                kind: tracekit_log::AllocKind::Malloc,
                ptr: 0x5555_0000_0000 + i * 48,
                size: 16 + i % 977,
                align: 0,
                stack: 1 + i % 13,
            })
        })
        .collect()
}

/// A log cut inside a chunk keeps the records of the chunk up to the cut: every record for a
/// stored chunk, every whole zstd block's for a compressed one (zstd decodes block by
/// block). Cutting later never gives fewer events, and the whole file gives them all.
#[test]
fn a_cut_chunk_keeps_its_records_up_to_the_cut() {
    let events = many_allocs(60_000);
    for codec in [Codec::Stored, Codec::Zstd] {
        let full = write_all(&events, codec);
        let mut last = 0;
        let points = 40;
        for k in 1..=points {
            let cut = HEADER_LEN + (full.len() - HEADER_LEN) * k / points;
            let (got, err) = read_all(&full[..cut]);
            assert_eq!(&got[..], &events[..got.len()], "{codec:?} cut at {cut}");
            assert!(
                got.len() >= last,
                "{codec:?} cut at {cut}: {} < {last}",
                got.len()
            );
            last = got.len();
            if cut < full.len() {
                assert!(
                    matches!(err.unwrap().kind, ErrorKind::Truncated),
                    "{codec:?}"
                );
            } else {
                assert!(err.is_none());
            }
        }
        assert_eq!(last, events.len());
        // A stored chunk loses at most the record the cut falls in.
        if codec == Codec::Stored {
            let (got, _) = read_all(&full[..full.len() / 2]);
            assert!(got.len() * 2 + 2 >= events.len(), "{}", got.len());
        } else {
            // Half the file: half the blocks.
            let (got, _) = read_all(&full[..full.len() / 2]);
            assert!(got.len() * 3 >= events.len(), "{}", got.len());
        }
    }
}

/// A compressed chunk cut one byte short of its end loses only its last zstd block: at most
/// 8 KiB of a tracer's records (the writer's block size), not the 128 KiB a default zstd
/// block holds.
#[test]
fn a_cut_compressed_chunk_loses_at_most_one_small_block() {
    let events = many_allocs(40_000);
    let full = write_all(&events, Codec::Zstd);
    let stored = |evs: &[Event<'_>]| write_all(evs, Codec::Stored).len();
    // One chunk (the writer's chunks are 1 MiB raw).
    let raw = stored(&events);
    assert!(raw < (1 << 20) && raw > (256 << 10), "{raw}");
    let (got, err) = read_all(&full[..full.len() - 1]);
    assert!(matches!(err.unwrap().kind, ErrorKind::Truncated));
    assert_eq!(&got[..], &events[..got.len()]);
    let lost = raw - stored(&events[..got.len()]);
    assert!(lost <= 8 << 10, "{lost} raw bytes lost by a one-byte cut");
}

#[test]
fn bad_header_and_version_are_clear_errors() {
    // Nothing, or zeros only (a writer killed between creating the file, or extending it,
    // and writing its header): empty, not damaged.
    let (_, err) = read_all(b"");
    assert!(matches!(err.unwrap().kind, ErrorKind::Empty));
    let (_, err) = read_all(&vec![0u8; 3 << 20]);
    assert!(matches!(err.unwrap().kind, ErrorKind::Empty));
    // Zeros, then something: not a log.
    let mut zeros_then = vec![0u8; 100_000];
    zeros_then.push(1);
    let (_, err) = read_all(&zeros_then);
    assert!(matches!(err.unwrap().kind, ErrorKind::NotALog));
    let (_, err) = read_all(b"hello world, not a log");
    assert_eq!(
        err.unwrap().to_string(),
        "not a tracekit log (bad magic at byte 0)"
    );
    let mut v9 = vec![0u8; HEADER_LEN];
    write_header(&mut v9).unwrap();
    v9[8] = 9;
    let (_, err) = read_all(&v9);
    assert!(matches!(
        err.unwrap().kind,
        ErrorKind::UnsupportedVersion(9)
    ));
}

#[test]
fn unknown_records_are_skipped() {
    let mut file = vec![0u8; HEADER_LEN];
    write_header(&mut file).unwrap();
    file.extend_from_slice(&[0x7e, 3, 1, 2, 3]);
    let mut buf = [0u8; 256];
    let ev = &sample()[ALLOC];
    let n = encode(ev, &mut buf).unwrap();
    file.extend_from_slice(&buf[..n]);
    let mut r = Reader::new(&file[..]).unwrap();
    assert_eq!(r.next().unwrap().unwrap(), *ev);
    assert!(r.next().is_none());
    assert_eq!(r.skipped(), 1);
}

#[test]
fn corrupt_record_names_its_offset() {
    let mut file = vec![0u8; HEADER_LEN];
    write_header(&mut file).unwrap();
    let mut buf = [0u8; 256];
    let n = encode(&sample()[ALLOC], &mut buf).unwrap();
    file.extend_from_slice(&buf[..n]);
    // An alloc record whose kind byte is invalid.
    file.extend_from_slice(&[6, 3, 1, 1, 200]);
    let (got, err) = read_all(&file);
    assert_eq!(got.len(), 1);
    let err = err.unwrap();
    assert_eq!(err.offset, (HEADER_LEN + n) as u64);
    assert!(err.to_string().contains("invalid alloc kind"), "{err}");
}

#[test]
fn json_dump_names_types_and_fields() {
    let v = serde_json::to_value(json::Json(&sample()[ALLOC])).unwrap();
    assert_eq!(v["type"], "alloc");
    assert_eq!(v["kind"], "operator new[](align, nothrow)");
    assert_eq!(v["size"], 500);
    assert_eq!(v["align"], 64);
    let m = serde_json::to_value(json::Json(&sample()[1])).unwrap();
    assert_eq!(m["build_id"], "dead000f");
}

/// `default` cases, or `PROPTEST_CASES` (bench/fuzz.sh runs many more than CI).
fn fuzz_config(default: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    ProptestConfig::with_cases(cases)
}

proptest! {
    #![proptest_config(fuzz_config(2000))]
    /// Random bytes after a valid header never panic the reader.
    #[test]
    fn random_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..512)) {
        let mut file = vec![0u8; HEADER_LEN];
        write_header(&mut file).unwrap();
        file.extend_from_slice(&body);
        let _ = read_all(&file);
    }

    /// Flipping any byte of a valid log never panics and never loses events before it.
    #[test]
    fn flipped_byte_keeps_prefix(pos in 0usize..10_000, val in any::<u8>()) {
        check_flip(&sample(), full_file, pos, val)?;
    }
}

/// `events` as full records after a header, and where each record ends.
fn full_file(events: &[Event<'_>]) -> (Vec<u8>, Vec<usize>) {
    let mut file = vec![0u8; HEADER_LEN];
    write_header(&mut file).unwrap();
    let mut buf = [0u8; 4096];
    let mut ends = vec![];
    for ev in events {
        let n = encode(ev, &mut buf).unwrap();
        file.extend_from_slice(&buf[..n]);
        ends.push(file.len());
    }
    (file, ends)
}

/// A heap-heavy stream: several threads, times that go forwards and back, failed calls,
/// aligned blocks, sized frees.
fn heap_events(n: usize, seed: u64) -> Vec<Event<'static>> {
    let mut rng = fixtures::XorShift::new(seed);
    let mut rnd = move || rng.next();
    // Frees and reallocs mostly take a recent allocation (as programs do, and as the
    // compact records' age coding expects), sometimes one from long ago or none at all.
    let mut recent: Vec<u64> = Vec::new();
    (0..n)
        .map(|i| {
            let r = rnd();
            let tid = 100 + (r % 3) as u32;
            let time_ns = (i as u64 / 7) * 4_000_000 + (r >> 60);
            let fresh = if r % 31 == 0 {
                0
            } else {
                0x5555_0000_0000 + (rnd() % (1 << 20)) * 16
            };
            let old = match (r >> 20) % 4 {
                0 | 1 if !recent.is_empty() => {
                    let k = (rnd() as usize % 3000).min(recent.len() - 1);
                    recent[recent.len() - 1 - k]
                }
                _ => fresh,
            };
            let ptr = if r % 5 < 2 { fresh } else { old };
            let ev = match r % 5 {
                0 | 1 => Event::Alloc(Alloc {
                    time_ns,
                    tid,
                    kind: AllocKind::ALL[(r >> 8) as usize % AllocKind::ALL.len()],
                    ptr,
                    size: rnd() % 5000,
                    align: if r % 11 == 0 { 64 } else { 0 },
                    stack: rnd() % 40,
                }),
                2 | 3 => Event::Free(Free {
                    time_ns,
                    tid,
                    kind: FreeKind::ALL[(r >> 8) as usize % FreeKind::ALL.len()],
                    ptr,
                    size: if r % 13 == 0 { 48 } else { 0 },
                    stack: if r % 17 == 0 { 2 } else { 0 },
                }),
                _ => Event::Realloc(Realloc {
                    time_ns,
                    tid,
                    kind: AllocKind::Realloc,
                    old_ptr: ptr,
                    new_ptr: if r % 7 == 0 { ptr } else { rnd() },
                    size: rnd() % 100_000,
                    stack: rnd() % 40,
                }),
            };
            match &ev {
                Event::Alloc(a) => recent.push(a.ptr),
                Event::Realloc(x) => recent.push(x.new_ptr),
                _ => {}
            }
            ev
        })
        .collect()
}

/// What the "any values" proptests draw: time, tid, pointer, size, stack and a selector.
type Draw = (u64, u32, u64, u64, u64, u8);

/// An allocation kind picked by a drawn selector.
fn any_alloc_kind(k: u8) -> AllocKind {
    AllocKind::ALL[k as usize % AllocKind::ALL.len()]
}

/// Heap events made of drawn values: allocations, releases (sometimes of what the last
/// allocation returned, which is coded by age) and reallocations of `realloc_kind`.
fn events_from(vals: &[Draw], realloc_kind: fn(u8) -> AllocKind) -> Vec<Event<'static>> {
    let mut prev = 0u64;
    vals.iter()
        .map(|&(time_ns, tid, ptr, size, stack, k)| {
            let ptr = if k % 2 == 0 { prev } else { ptr };
            prev = match k % 3 {
                0 => ptr,
                1 => prev,
                _ => size,
            };
            match k % 3 {
                0 => Event::Alloc(Alloc {
                    time_ns,
                    tid,
                    kind: any_alloc_kind(k),
                    ptr,
                    size,
                    align: stack,
                    stack: size,
                }),
                1 => Event::Free(Free {
                    time_ns,
                    tid,
                    kind: FreeKind::ALL[k as usize % FreeKind::ALL.len()],
                    ptr,
                    size,
                    stack,
                }),
                _ => Event::Realloc(Realloc {
                    time_ns,
                    tid,
                    kind: realloc_kind(k),
                    old_ptr: ptr,
                    new_ptr: size,
                    size: stack,
                    stack: ptr,
                }),
            }
        })
        .collect()
}

/// Writes events into a log: the file, and where each event's record ends.
type WriteLog = fn(&[Event<'_>]) -> (Vec<u8>, Vec<usize>);

/// `events` written by `write` (the file and where each event's record ends), with the byte
/// at `pos` (past the header) set to `val`: the reader must not panic and must return every
/// event whose record ends before the damage.
fn check_flip(
    events: &[Event<'static>],
    write: WriteLog,
    pos: usize,
    val: u8,
) -> Result<(), TestCaseError> {
    let (mut file, ends) = write(events);
    let pos = HEADER_LEN + pos % (file.len() - HEADER_LEN);
    file[pos] = val;
    let (got, _) = read_all(&file);
    let intact = ends.iter().filter(|&&e| e <= pos).count();
    prop_assert!(got.len() >= intact);
    prop_assert_eq!(&got[..intact], &events[..intact]);
    Ok(())
}

/// Records as a preload library writes them: compact heap records mixed with full ones,
/// a `Sync` now and then. Returns the file and the end offset of each event's record.
fn compact_file(events: &[Event<'_>]) -> (Vec<u8>, Vec<usize>) {
    let mut file = vec![0u8; HEADER_LEN];
    write_header(&mut file).unwrap();
    let mut d = delta::Encoder::new();
    let mut buf = [0u8; 4096];
    let mut ends = Vec::new();
    for (i, ev) in events.iter().enumerate() {
        if i % 10 == 9 {
            let n = delta::sync(&mut d, &mut buf).unwrap();
            file.extend_from_slice(&buf[..n]);
        }
        let n = if i % 4 == 3 {
            encode(ev, &mut buf).unwrap()
        } else {
            delta::encode(ev, &mut d, &mut buf)
                .unwrap()
                .unwrap_or_else(|| encode(ev, &mut buf).unwrap())
        };
        file.extend_from_slice(&buf[..n]);
        ends.push(file.len());
    }
    (file, ends)
}

#[test]
fn compact_heap_records_round_trip_mixed_with_full_ones() {
    let mut events = heap_events(3000, 42);
    events.extend(sample());
    events.extend(heap_events(100, 7));
    let (file, ends) = compact_file(&events);
    let (got, err) = read_all(&file);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(got, events);
    // Compact records are smaller than full ones (even with three threads and random
    // pointers, as here).
    let full: usize = events
        .iter()
        .map(|e| encode(e, &mut [0u8; 4096]).unwrap())
        .sum();
    assert!(file.len() * 10 < full * 9, "{} vs {full}", file.len());
    // And they survive chunking (compressed or not): the state runs across chunks, cut at a
    // record boundary in the middle of a run of compact records.
    for codec in [Codec::Stored, Codec::Zstd] {
        let (got, err) = read_all(&in_two_chunks(&file, ends[1000], codec));
        assert!(err.is_none(), "{err:?}");
        assert_eq!(got, events);
    }
}

/// `file`'s records as two chunks of `codec`, cut at `cut` (a record boundary).
fn in_two_chunks(file: &[u8], cut: usize, codec: Codec) -> Vec<u8> {
    let mut out = file[..HEADER_LEN].to_vec();
    for piece in [&file[HEADER_LEN..cut], &file[cut..]] {
        let stored = match codec {
            Codec::Zstd => zstd::bulk::compress(piece, 3).unwrap(),
            _ => piece.to_vec(),
        };
        let mut head = [0u8; 24];
        let h = chunk_header(&mut head, codec, piece.len(), stored.len()).unwrap();
        out.extend_from_slice(&head[..h]);
        out.extend_from_slice(&stored);
    }
    out
}

#[test]
fn compact_records_cut_anywhere_keep_the_prefix() {
    let events = heap_events(60, 3);
    let (file, ends) = compact_file(&events);
    for cut in HEADER_LEN..file.len() {
        let (got, err) = read_all(&file[..cut]);
        let complete = ends.iter().filter(|&&e| e <= cut).count();
        assert!(got.len() >= complete, "cut at {cut}");
        assert_eq!(&got[..complete], &events[..complete]);
        if cut > HEADER_LEN && got.len() == complete && !ends.contains(&cut) && err.is_none() {
            // Only a cut right after a Sync record ends cleanly.
            assert_eq!(file[cut - 2..cut], [codec::tag::SYNC, 0], "cut at {cut}");
        }
    }
}

#[test]
fn compact_encoding_never_allocates() {
    let events = heap_events(500, 9);
    let mut d = Box::new(delta::Encoder::new());
    let mut buf = [0u8; delta::MAX_COMPACT];
    let before = ALLOCS.with(Cell::get);
    let mut total = 0;
    for ev in &events {
        total += match ev {
            Event::Alloc(a) => delta::alloc(a, &mut d, &mut buf),
            Event::Free(f) => delta::free(f, &mut d, &mut buf),
            Event::Realloc(r) => delta::realloc(r, &mut d, &mut buf),
            _ => 0,
        };
        total += delta::sync(&mut d, &mut buf).unwrap();
    }
    assert_eq!(ALLOCS.with(Cell::get), before, "compact encoding allocated");
    assert!(total > 1000);
}

#[test]
fn corrupt_compact_record_names_its_offset() {
    let events = heap_events(5, 1);
    let (mut file, ends) = compact_file(&events[..3]);
    // A compact free with an unknown kind.
    file.extend_from_slice(&[codec::tag::C_FREE, 2, 0x1f, 0]);
    let (got, err) = read_all(&file);
    assert_eq!(got, events[..3]);
    let err = err.unwrap();
    assert_eq!(err.offset, *ends.last().unwrap() as u64);
    assert!(err.to_string().contains("invalid free kind"), "{err}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]
    /// Flipping any byte of a log of compact records never panics and keeps every event
    /// before the damage.
    #[test]
    fn flipped_byte_in_compact_records_keeps_prefix(pos in 0usize..100_000, val in any::<u8>(), seed in any::<u64>()) {
        check_flip(&heap_events(40, seed), compact_file, pos, val)?;
    }

    /// Any heap events, compact-coded against any starting state, decode to themselves.
    #[test]
    fn compact_round_trip_any_values(
        vals in proptest::collection::vec(any::<Draw>(), 1..50),
    ) {
        let mut w = Box::new(delta::Encoder::new());
        let mut r = Box::new(delta::Delta::new());
        for ev in events_from(&vals, |_| AllocKind::Reallocarray) {
            let mut buf = [0u8; 128];
            let n = delta::encode(&ev, &mut w, &mut buf).unwrap().unwrap();
            prop_assert_eq!(usize::from(buf[1]) + 2, n);
            let back = delta::decode(buf[0], &buf[2..n], &mut r).unwrap();
            prop_assert_eq!(back, ev);
        }
    }
}

/// Records as the heap tracker writes them: heap events in batch records (a 3-byte length
/// updated as events are added), closed by a full record or a `Sync` now and then. Returns
/// the file and, for each event, the end of the record that holds it.
fn batch_file(events: &[Event<'_>]) -> (Vec<u8>, Vec<usize>) {
    let mut file = vec![0u8; HEADER_LEN];
    write_header(&mut file).unwrap();
    let mut d = Box::new(delta::Encoder::new());
    let mut buf = [0u8; 4096];
    let mut ends = Vec::new();
    let mut open: Option<(usize, usize)> = None; // (batch start, events in it)
    for (i, ev) in events.iter().enumerate() {
        if i % 50 == 49 {
            open = None;
            let n = delta::sync(&mut d, &mut buf).unwrap();
            file.extend_from_slice(&buf[..n]);
        }
        // Every 17th event goes as a full record (which does not touch the state).
        let batched = if i % 17 != 16 {
            delta::encode_event(ev, &mut d, &mut buf).unwrap()
        } else {
            None
        };
        match batched {
            Some(n) => {
                let (start, count) = *open.get_or_insert_with(|| {
                    file.extend_from_slice(&delta::batch_head(0));
                    (file.len() - 4, 0)
                });
                file.extend_from_slice(&buf[..n]);
                let len = file.len() - start - 4;
                file[start..start + 4].copy_from_slice(&delta::batch_head(len));
                open = Some((start, count + 1));
                // Events of this batch end where the batch ends (so far).
                let l = ends.len();
                for e in &mut ends[l - count..] {
                    *e = file.len();
                }
                ends.push(file.len());
            }
            _ => {
                open = None;
                let n = encode(ev, &mut buf).unwrap();
                file.extend_from_slice(&buf[..n]);
                ends.push(file.len());
            }
        }
    }
    (file, ends)
}

#[test]
fn batched_heap_events_round_trip_and_are_smaller_than_compact_records() {
    let mut events = heap_events(5000, 11);
    events.extend(sample());
    events.extend(heap_events(300, 5));
    let (file, ends) = batch_file(&events);
    let (got, err) = read_all(&file);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(got, events);
    let (compact, _) = compact_file(&events);
    assert!(
        file.len() < compact.len(),
        "{} vs {}",
        file.len(),
        compact.len()
    );
    // Across chunks, compressed or not, cut at a record boundary.
    for codec in [Codec::Stored, Codec::Zstd] {
        let (got, err) = read_all(&in_two_chunks(&file, ends[2500], codec));
        assert!(err.is_none(), "{err:?}");
        assert_eq!(got, events);
    }
}

/// A reader that skips heap events hands out exactly the other events, from full, compact
/// and batched heap records alike, in chunks or not; and it still reports a cut.
#[test]
fn skipping_heap_events_keeps_every_other_event() {
    let is_heap = |e: &Event<'_>| matches!(e, Event::Alloc(_) | Event::Free(_) | Event::Realloc(_));
    let mut events = heap_events(3000, 7);
    events.extend(sample());
    events.extend(heap_events(200, 9));
    let rest: Vec<_> = events.iter().filter(|e| !is_heap(e)).cloned().collect();
    let (batched, ends) = batch_file(&events);
    let files = [
        full_file(&events).0,
        compact_file(&events).0,
        in_two_chunks(&batched, ends[1500], Codec::Zstd),
        batched,
    ];
    for file in &files {
        let r = Reader::new(&file[..]).unwrap().skip_heap_events();
        let got: Vec<_> = r.collect::<Result<_, _>>().unwrap();
        assert_eq!(got, rest);
        let cut = Reader::new(&file[..file.len() - 1])
            .unwrap()
            .skip_heap_events()
            .collect::<Result<Vec<_>, _>>();
        assert!(
            matches!(
                cut,
                Err(Error {
                    kind: ErrorKind::Truncated,
                    ..
                })
            ),
            "{cut:?}"
        );
    }
}

/// `FileWriter::without_header` adds a chunk to an existing log: both halves read back, in
/// order, and the reader counts the zstd chunks it read.
#[test]
fn records_added_without_a_header_read_back_after_the_others() {
    let all = sample();
    let (first, rest) = all.split_at(5);
    let mut file = write_all(first, Codec::Stored);
    let mut w = FileWriter::without_header(&mut file, Codec::Zstd);
    for e in rest {
        w.write(e).unwrap();
    }
    w.finish().unwrap();
    let mut r = Reader::new(&file[..]).unwrap();
    let mut got = Vec::new();
    while let Some(ev) = r.next_event().unwrap() {
        got.push(ev.into_owned());
    }
    assert_eq!(got, sample());
    assert_eq!(r.zstd_chunks(), 1);
}

#[test]
fn batch_cut_anywhere_keeps_the_records_before() {
    let events = heap_events(80, 4);
    let (file, ends) = batch_file(&events);
    for cut in HEADER_LEN..file.len() {
        let (got, _) = read_all(&file[..cut]);
        let complete = ends.iter().filter(|&&e| e <= cut).count();
        assert!(got.len() >= complete, "cut at {cut}");
        assert_eq!(&got[..complete], &events[..complete], "cut at {cut}");
    }
}

#[test]
fn batch_events_encode_without_allocating() {
    let events = heap_events(500, 9);
    let mut d = Box::new(delta::Encoder::new());
    let mut buf = [0u8; delta::MAX_EVENT];
    let before = ALLOCS.with(Cell::get);
    let mut total = 0;
    for ev in &events {
        total += match ev {
            Event::Alloc(a) => delta::batch_alloc(a, &mut d, &mut buf),
            Event::Free(f) => delta::batch_free(f, &mut d, &mut buf),
            Event::Realloc(r) => delta::batch_realloc(r, &mut d, &mut buf),
            _ => 0,
        };
        total += delta::batch_head(total % 1000).len();
    }
    assert_eq!(ALLOCS.with(Cell::get), before, "batch encoding allocated");
    assert!(total > 1000);
}

#[test]
fn corrupt_batch_event_names_the_batch_and_the_event() {
    let events = heap_events(3, 2);
    let (mut file, ends) = batch_file(&events);
    // A batch whose second event has type 0.
    let ok = {
        let mut d = Box::new(delta::Encoder::new());
        let mut b = [0u8; 64];
        let n = delta::encode_event(&events[0], &mut d, &mut b)
            .unwrap()
            .unwrap();
        b[..n].to_vec()
    };
    let mut body = ok.clone();
    body.push(0x20);
    let at = file.len();
    file.extend_from_slice(&delta::batch_head(body.len()));
    file.extend_from_slice(&body);
    let (got, err) = read_all(&file);
    assert_eq!(got.len(), events.len() + 1);
    let err = err.unwrap();
    assert_eq!(err.offset, at as u64, "{err}");
    assert!(ends.last().unwrap() <= &at);
    let text = err.to_string();
    assert!(
        text.contains(&format!("event at byte {} of the batch", ok.len())),
        "{text}"
    );
}

/// [`read_all`] through `Reader::next_heap_events`, `max` events at a time after each heap
/// event `next_record` gives (as the analysis's decoding thread reads): events and the error,
/// as a string with its offset.
fn read_draining(bytes: &[u8], max: usize) -> (Vec<Event<'static>>, Option<(u64, String)>) {
    let mut out = Vec::new();
    let mut r = match Reader::new(bytes) {
        Ok(r) => r,
        Err(e) => return (out, Some((e.offset, e.to_string()))),
    };
    loop {
        let drained = r.next_heap_events(max, |h| out.push(Event::from(h)));
        if drained == max {
            continue;
        }
        match r.next_record() {
            Ok(Some(Record::Heap(h))) => out.push(h.into()),
            Ok(Some(Record::Event(ev))) => out.push(ev.into_owned()),
            Ok(None) => return (out, None),
            Err(e) => return (out, Some((e.offset, e.to_string()))),
        }
    }
}

/// Draining a batch record's events gives what reading them one by one gives, and the same
/// damage at the same offset: whole, cut anywhere, with a byte changed anywhere.
#[test]
fn draining_batches_reads_as_reading_event_by_event() {
    let mut events = heap_events(400, 21);
    events.extend(sample());
    events.extend(heap_events(100, 3));
    let (file, ends) = batch_file(&events);
    let one_by_one = |f: &[u8]| {
        let (got, err) = read_all(f);
        (got, err.map(|e| (e.offset, e.to_string())))
    };
    for max in [1, 3, 4096] {
        assert_eq!(read_draining(&file, max), one_by_one(&file));
        let chunked = in_two_chunks(&file, ends[200], Codec::Zstd);
        assert_eq!(read_draining(&chunked, max), one_by_one(&chunked));
    }
    let mut seen_damage = 0;
    for cut in (HEADER_LEN..file.len()).step_by(7) {
        let want = one_by_one(&file[..cut]);
        seen_damage += usize::from(want.1.is_some());
        assert_eq!(read_draining(&file[..cut], 5), want, "cut at {cut}");
    }
    for pos in (HEADER_LEN..file.len()).step_by(11) {
        let mut bad = file.clone();
        bad[pos] ^= 0x5a;
        let want = one_by_one(&bad);
        seen_damage += usize::from(want.1.is_some());
        assert_eq!(read_draining(&bad, 5), want, "byte {pos} changed");
    }
    assert!(seen_damage > 100, "{seen_damage}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]
    /// Flipping any byte of a log of batches never panics and keeps every record before it.
    #[test]
    fn flipped_byte_in_batches_keeps_prefix(pos in 0usize..100_000, val in any::<u8>(), seed in any::<u64>()) {
        check_flip(&heap_events(60, seed), batch_file, pos, val)?;
    }

    /// Any heap events, as batch events against any state, decode to themselves.
    #[test]
    fn batch_events_round_trip_any_values(
        vals in proptest::collection::vec(any::<Draw>(), 1..50),
    ) {
        let mut w = Box::new(delta::Encoder::new());
        let mut r = Box::new(delta::Delta::new());
        for ev in events_from(&vals, any_alloc_kind) {
            let mut buf = [0u8; 128];
            let n = delta::encode_event(&ev, &mut w, &mut buf).unwrap().unwrap();
            prop_assert!(n <= delta::MAX_EVENT);
            let (back, used) = delta::decode_event(&buf[..n], &mut r).unwrap();
            prop_assert_eq!(used, n);
            prop_assert_eq!(back, ev);
        }
    }
}

/// An older writer's `Process` and `Exit` records end before the fields appended since
/// (`clock_res_ns`, `freeres`): they read as 0.
#[test]
fn fields_appended_to_process_and_exit_read_as_zero_from_older_logs() {
    let mut seen = 0;
    for ev in sample() {
        let zeroed = match ev {
            Event::Process(p) => Event::Process(Process {
                clock_res_ns: 0,
                ..p
            }),
            Event::Exit(x) => Event::Exit(Exit { freeres: 0, ..x }),
            _ => continue,
        };
        let mut buf = vec![0u8; 4096];
        let n = encode(&zeroed, &mut buf).unwrap();
        assert!(buf[1] < 0x80, "a one-byte length");
        // The appended field, 0, is the payload's last byte: an older writer stopped before it.
        assert_eq!(buf[n - 1], 0);
        let old = &buf[2..n - 1];
        assert_eq!(decode(buf[0], old).unwrap(), Some(zeroed));
        seen += 1;
    }
    assert!(seen >= 2);
}

/// A writer killed between an event's bytes and the length that makes them part of the
/// stream leaves those bytes after the last item, then the zeros its file was extended with:
/// the reader ends there without damage, says where, and has every event before.
#[test]
fn a_torn_last_write_followed_by_zeros_is_the_end_not_damage() {
    let events = sample();
    let clean = write_all(&events, Codec::Stored);
    let mut torn = clean.clone();
    // An unframed event's bytes (0xf1 reads as a chunk of an unknown codec), then zeros.
    torn.extend_from_slice(&[0xf1, 0x13, 0x07, 0x2a, 0x55]);
    torn.extend_from_slice(&vec![0u8; 100_000]);
    let mut r = Reader::new(&torn[..]).unwrap();
    let mut n = 0;
    while let Some(ev) = r.next_event().unwrap() {
        assert_eq!(ev, events[n]);
        n += 1;
    }
    assert_eq!(n, events.len());
    assert_eq!(r.torn(), Some(clean.len() as u64));
    assert_eq!(Reader::new(&clean[..]).unwrap().torn(), None);

    // The same bytes with anything after them are damage, as before.
    let mut damaged = torn.clone();
    damaged.extend_from_slice(b"more");
    let (got, err) = read_all(&damaged);
    assert_eq!(got.len(), events.len());
    let err = err.expect("damage is reported");
    assert_eq!(err.offset, clean.len() as u64, "{err}");
}

/// A writer killed inside `encode` (the payload built a few bytes on, its head not written
/// yet) leaves zeros, then payload bytes that may read as a record longer than the rest of
/// the file, then the file's zeros: the end, not damage. The same record cut by the end of
/// the file with its bytes to the last one is a cut file: damage.
#[test]
fn a_torn_record_running_into_the_files_zeros_is_the_end_not_damage() {
    let events = sample();
    let clean = write_all(&events, Codec::Stored);
    let mut torn = clean.clone();
    // Head room left zero, then bytes that read as record 0x13 of 5000 bytes (LEB 0x88 0x27).
    torn.extend_from_slice(&[0, 0, 0, 0, 0]);
    torn.extend_from_slice(&[0x13, 0x88, 0x27, 0x2a, 0x55, 0x07, 0x33]);
    torn.extend_from_slice(&vec![0u8; 300]);
    let mut r = Reader::new(&torn[..]).unwrap();
    let mut n = 0;
    while let Some(ev) = r.next_event().unwrap() {
        assert_eq!(ev, events[n]);
        n += 1;
    }
    assert_eq!(n, events.len());
    // The end is where the padding before the torn bytes began.
    assert_eq!(r.torn(), Some(clean.len() as u64));

    // Cut with the record's bytes up to the end: truncation is reported.
    let mut cut = clean.clone();
    cut.extend_from_slice(&[0x13, 0x88, 0x27]);
    cut.extend_from_slice(&[0x55; 300]);
    let (got, err) = read_all(&cut);
    assert_eq!(got.len(), events.len());
    let err = err.expect("a cut is reported");
    assert_eq!(err.offset, clean.len() as u64, "{err}");
}
