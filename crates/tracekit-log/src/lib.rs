//! The tracekit event log: one binary format that every tracekit tool writes (the heap
//! tracker, the crash handler, the fence allocator and strace-rs) and `tracekit` reads. It also
//! defines the record of a tool not written yet, ltrace-rs's [`LibCall`] (nothing writes it
//! today; it round-trips in this crate's tests).
//!
//! # Layout (version 1)
//!
//! ```text
//! file    := header item*
//! header  := magic "TRKLOG\r\n" (8 bytes), version u16 LE, flags u16 LE        (12 bytes)
//! item    := 0x00                                   padding, skipped (a crashed writer
//!                                                   may leave zeros at the end)
//!          | record
//!          | chunk
//! record  := tag u8 (1..=0x7f), len uleb128, payload[len]
//! chunk   := 0x80|codec u8, raw_len uleb128, stored_len uleb128, data[stored_len]
//!            data, once decoded by `codec` (0 stored, 1 zstd), is raw_len bytes of
//!            padding and records (never chunks)
//! ```
//!
//! Integers in payloads are LEB128 (unsigned) or zig-zag LEB128 (signed); byte strings are a
//! length then bytes. See [`codec`] for each record's fields, in order. A record whose tag is
//! unknown is skipped, and a payload longer than the fields a reader knows is accepted, so
//! newer writers can add records and append fields without breaking older readers; a field
//! appended since a record's first version reads as 0 from an older writer's shorter payload.
//! The version in the header changes only when an existing field changes meaning; [`Reader`]
//! upgrades every version it knows into the current [`Event`] types.
//!
//! Heap events also have compact records (tags 17-19, see [`delta`]) that code the thread,
//! time and pointer against the heap record before them (a freed pointer by its age among
//! recent allocations), and batch records (tag 20) that hold many such events back to back
//! without tags or lengths; a `Sync` record (tag 16, empty) resets that state, which starts
//! at zero at the top of the file and runs through the record stream across chunks. A
//! compact or batched event decodes to the same [`Event`] as its full form; a log may mix
//! them.
//!
//! A `Symbols` record (tag 21) carries the names of addresses of one module, resolved after
//! the run from the module's file (`tracekit pack` puts such records right after the header):
//!
//! ```text
//! symbols := path bytes, build_id bytes,
//!            nstrings uleb128, string bytes * nstrings       function names and file paths
//!            naddrs uleb128, addr * naddrs
//! addr    := offset sleb128 (difference from the previous addr's; module-relative, the
//!            address looked up: a return address minus one),
//!            nframes uleb128, note uleb128 (string index + 1, 0: none), frame * nframes
//! frame   := function uleb128 (string index), file uleb128 (index + 1, 0: none),
//!            line uleb128 (+1, 0: none), column uleb128 (+1, 0: none), flags u8 (bit 0: inlined)
//! ```
//!
//! A reader matches it to the [`Module`] records by build-id (by path when the module has
//! none) and uses it when the module's file is missing or no longer has that build-id, so a
//! log reports the same on another machine. Frames are innermost first (the inline chain
//! ending with the real function); an address with no frames has the reason in `note`.
//!
//! Times in heap and crash events are nanoseconds of `CLOCK_MONOTONIC` since the
//! [`Process`] record's `start_mono_ns`; stacks are interned: a [`Stack`] record is written
//! once, before the first event that names its id.
//!
//! # Writing without allocating
//!
//! [`encode`] and [`write_header`] fill a caller's slice and never allocate, so a preload
//! library can call them inside a malloc hook or a signal handler. [`FileWriter`] is the
//! convenient, allocating writer for tools that run as ordinary programs.
//!
//! ```
//! use tracekit_log::{Event, Exit, FileWriter, Reader};
//! let mut out = Vec::new();
//! let mut w = FileWriter::new(&mut out, tracekit_log::Codec::Zstd).unwrap();
//! w.write(&Event::Exit(Exit { time_ns: 5, pid: 42, code: Some(0), signal: None, freeres: 0 })).unwrap();
//! w.finish().unwrap();
//! let events: Vec<_> = Reader::new(&out[..]).unwrap().collect::<Result<_, _>>().unwrap();
//! assert_eq!(events.len(), 1);
//! ```
//!
//! # Crates
//!
//! The format itself (the [`Event`] types, [`encode`]/[`decode`], [`wire`], the headers) is
//! the `no_std`, dependency-free `tracekit-log-core`, which the preload libraries can link
//! without Rust's standard library; this crate re-exports all of it and adds the [`Reader`],
//! the compact heap records ([`delta`]), [`FileWriter`] (zstd) and the JSON form ([`json`]).

pub mod delta;
pub mod fixtures;
pub mod json;
mod read;
pub mod strace;
mod write;

pub use read::{Error, ErrorKind, Reader, Record};
pub use tracekit_log_core::*;
pub use write::{create_output, output_file_rules, FileWriter};

/// The most raw bytes in one zstd block of a log chunk: a log cut inside a compressed chunk
/// keeps every block before the cut (the reader decodes block by block), so it loses at most
/// this much before the cut. Equal to the heap recorder's largest batch record, so a cut heap
/// log loses no more than one record's bytes. zstd's own limit is 128 KiB; at 64 KiB a heap
/// log is 0.03% larger and compresses 3% slower (measured on a 18 MB `heap_bench` log).
pub const ZSTD_MAX_BLOCK: u32 = 64 << 10;

/// The zstd compressor every writer of log chunks uses: `level`, and blocks of at most
/// `max_block` raw bytes (1 KiB to [`ZSTD_MAX_BLOCK`]), which bound what a cut loses.
pub fn zstd_compressor(
    level: i32,
    max_block: u32,
) -> std::io::Result<zstd::bulk::Compressor<'static>> {
    let mut c = zstd::bulk::Compressor::new(level)?;
    c.set_parameter(zstd::zstd_safe::CParameter::MaxBlockSize(
        max_block.clamp(1 << 10, ZSTD_MAX_BLOCK),
    ))?;
    Ok(c)
}
