//! Fuzzing the symbolizer with corrupt files (issue 13): a real binary with DWARF, some of its
//! bytes changed at random (seeded: every run tries the same files), symbolized at addresses
//! across its code. Whatever blazesym and gimli make of the damage, symbolizing must return
//! (frames, no frames, or a reason) and never take the caller down. blazesym 0.2.7 panics on
//! some of these files (a line row naming a file its table lacks; an address range that
//! overflows): the symbolizer contains that, in every build (blazesym runs in a worker process:
//! see `src/isolate.rs`), and says the file's debug information is damaged.
//!
//! `TRACEKIT_FUZZ_ITERS` sets how many corrupt files are tried (CI: 150; `bench/fuzz.sh` runs
//! thousands and prints the count).

use std::path::Path;

use tracekit_log::fixtures::XorShift;
use tracekit_log::{Bytes, Module};
use tracekit_symbolize::*;

fn module(path: &Path, segments: Vec<tracekit_log::Segment>) -> Module<'static> {
    Module {
        time_ns: 0,
        base: 0x5555_0000_0000,
        path: Bytes::owned(path.to_str().unwrap().as_bytes().to_vec()),
        // No build-id: the file is used whatever it has become.
        build_id: Vec::new().into(),
        segments: segments.into(),
    }
}

#[test]
fn corrupt_binaries_never_take_the_symbolizer_down() {
    let iters: u64 = std::env::var("TRACEKIT_FUZZ_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(150);
    let real = tracekit_examples::path("heap_known");
    let original = std::fs::read(&real).unwrap();
    let segments = elf_info(&real).unwrap().segments;
    let code = segments
        .iter()
        .find(|s| s.flags & 1 != 0)
        .map(|s| (s.vaddr, s.memsz))
        .expect("an executable segment");
    let dir = tempfile::tempdir().unwrap();
    let mut rng = XorShift::new(0x9e37_79b9_7f4a_7c15);
    let mut answered = 0u64;
    let mut damaged = 0u64;
    for i in 0..iters {
        let mut bytes = original.clone();
        // A few bytes anywhere, or a run in one place (a header, a table, a DWARF unit).
        let flips = 1 + rng.next() % 16;
        let burst = rng.next().is_multiple_of(4);
        let at0 = (rng.next() as usize) % bytes.len();
        for k in 0..flips as usize {
            let at = if burst {
                (at0 + k) % bytes.len()
            } else {
                (rng.next() as usize) % bytes.len()
            };
            bytes[at] = rng.next() as u8;
        }
        let path = dir.path().join(format!("corrupt{i}"));
        std::fs::write(&path, &bytes).unwrap();
        let m = module(&path, segments.clone());
        // A fresh symbolizer each time: its caches must not carry one file's damage over.
        let mut sym = Symbolizer::new();
        for _ in 0..8 {
            let offset = code.0 + (rng.next() % code.1.max(1));
            match sym.symbolize_file(&m, offset) {
                Ok(_) => answered += 1,
                Err(e) if e.contains("damaged") => damaged += 1,
                Err(_) => {}
            }
        }
        std::fs::remove_file(&path).unwrap();
    }
    eprintln!(
        "{iters} corrupt files, {} lookups: {answered} answered, {damaged} found the file's debug information damaged",
        iters * 8
    );
    assert!(iters == 0 || answered > 0, "not one lookup answered");
}
