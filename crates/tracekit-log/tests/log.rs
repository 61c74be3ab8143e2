//! Round trips, damage handling and the no-allocation property of the encoder.

use std::alloc::{GlobalAlloc, Layout, System};
use std::borrow::Cow;
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

fn sample() -> Vec<Event<'static>> {
    vec![
        Event::Process(Process {
            pid: 4242,
            ppid: 1,
            start_unix_ns: 1_700_000_000_000_000_000,
            start_mono_ns: 123_456_789,
            exe: Bytes::borrowed(b"/usr/bin/true"),
            cmdline: Bytes::borrowed(b"true\0--flag\0\xff\0"),
            tool: "heaptrack".into(),
            arch: Arch::X86_64,
        }),
        Event::Module(Module {
            time_ns: 1,
            base: 0x5555_5555_0000,
            path: "/usr/bin/true".into(),
            build_id: Cow::Borrowed(&[0xde, 0xad, 0xbe, 0xef]),
            segments: Cow::Owned(vec![
                Segment {
                    vaddr: 0,
                    memsz: 0x1000,
                    file_offset: 0,
                    flags: 4,
                },
                Segment {
                    vaddr: 0x1000,
                    memsz: 0x3000,
                    file_offset: 0x1000,
                    flags: 5,
                },
            ]),
        }),
        Event::Stack(Stack {
            id: 1,
            frames: Cow::Owned(vec![
                0x5555_5555_1234,
                0x7fff_0000_0010,
                0x5555_5555_1000,
                0,
            ]),
        }),
        Event::Thread(Thread {
            time_ns: 2,
            tid: 4243,
            name: "worker".into(),
        }),
        Event::Alloc(Alloc {
            time_ns: 3,
            tid: 4242,
            kind: AllocKind::Calloc,
            ptr: 0x1000,
            size: 500,
            align: 0,
            stack: 1,
        }),
        Event::Realloc(Realloc {
            time_ns: 4,
            tid: 4242,
            kind: AllocKind::Realloc,
            old_ptr: 0x1000,
            new_ptr: 0x2000,
            size: 1 << 40,
            stack: 1,
        }),
        Event::Free(Free {
            time_ns: 5,
            tid: 4243,
            kind: FreeKind::DeleteArraySized,
            ptr: 0x2000,
            size: 8,
            stack: 0,
        }),
        Event::ModuleUnload(ModuleUnload {
            time_ns: 6,
            base: 0x7f00_0000_0000,
        }),
        Event::Syscall(Syscall {
            pid: 7,
            tid: 8,
            entry_ns: 9,
            exit_ns: 10,
            nr: 257,
            name: "openat".into(),
            args: [u64::MAX, 1, 2, 3, 4, 5],
            ret: Some(-2),
            text: "openat(AT_FDCWD, \"/nope\", O_RDONLY) = -1 ENOENT (No such file or directory)"
                .into(),
        }),
        Event::LibCall(LibCall {
            pid: 7,
            tid: 7,
            entry_ns: 1,
            exit_ns: 0,
            library: "libc.so.6".into(),
            name: "puts".into(),
            ret: None,
            text: "puts(\"hi\")".into(),
        }),
        Event::Signal(Signal {
            time_ns: 1,
            pid: 7,
            tid: 7,
            signo: 17,
            code: -6,
            addr: 0,
        }),
        Event::Crash(Crash {
            time_ns: 11,
            pid: 7,
            tid: 9,
            thread_name: "boom".into(),
            signo: 11,
            code: 1,
            addr: 0,
            access: Access::Write,
            arch: Arch::X86_64,
            regs: Cow::Owned((0..X86_64_REGS.len() as u64).collect()),
            stack: 1,
            report: "SIGSEGV".into(),
        }),
        Event::Fence(Fence {
            time_ns: 1,
            tid: 2,
            kind: FenceKind::UseAfterFree,
            addr: 3,
            block: 4,
            block_size: 5,
            alloc_stack: 6,
            free_stack: 7,
            access_stack: 8,
        }),
        Event::Exec(Exec {
            time_ns: 12,
            pid: 7,
            path: "/bin/sh".into(),
        }),
        Event::Exit(Exit {
            time_ns: 13,
            pid: 7,
            code: None,
            signal: Some(11),
        }),
        Event::Exit(Exit {
            time_ns: 13,
            pid: 8,
            code: Some(-1),
            signal: None,
        }),
    ]
}

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
        assert!(buf[n..n + room].iter().all(|&b| b == 0), "{ev:?}: {:?}", &buf[n..n + room]);
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
    // A cut chunk is reported as truncated too.
    let (got, err) = read_all(&full[..full.len() - 1]);
    assert!(got.is_empty());
    assert!(matches!(err.unwrap().kind, ErrorKind::Truncated));
}

#[test]
fn bad_header_and_version_are_clear_errors() {
    let (_, err) = read_all(b"");
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
    let ev = &sample()[4];
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
    let n = encode(&sample()[4], &mut buf).unwrap();
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
    let v = serde_json::to_value(&sample()[4]).unwrap();
    assert_eq!(v["type"], "alloc");
    assert_eq!(v["kind"], "calloc");
    assert_eq!(v["size"], 500);
    let m = serde_json::to_value(&sample()[1]).unwrap();
    assert_eq!(m["build_id"], "deadbeef");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]
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
        let mut file = vec![0u8; HEADER_LEN];
        write_header(&mut file).unwrap();
        let mut buf = [0u8; 4096];
        let mut ends = vec![];
        for ev in sample() {
            let n = encode(&ev, &mut buf).unwrap();
            file.extend_from_slice(&buf[..n]);
            ends.push(file.len());
        }
        let pos = HEADER_LEN + pos % (file.len() - HEADER_LEN);
        file[pos] = val;
        let (got, _) = read_all(&file);
        let intact = ends.iter().filter(|&&e| e <= pos).count();
        prop_assert!(got.len() >= intact);
        prop_assert_eq!(&got[..intact], &sample()[..intact]);
    }
}
