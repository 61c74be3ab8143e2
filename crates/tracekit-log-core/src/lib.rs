//! The tracekit event log's format, without `std`: the [`Event`] types, record encoding
//! ([`encode`], never allocating) and decoding ([`decode`]), the primitives ([`wire`]) and the
//! file and chunk headers ([`write_header`], [`chunk_header`]).
//!
//! This is the part of `tracekit-log` that a `no_std` preload library (the crash handler)
//! links: it has no dependencies at all, so nothing in a workspace build can turn `std` on
//! for it. `tracekit-log` re-exports all of it (use that crate everywhere else) and adds the
//! reader, the compact heap records (`delta`), the buffered [`zstd`] writer and the JSON form;
//! its crate docs describe the file layout.
//!
//! ```
//! use tracekit_log_core::{decode, encode, Event, Exit};
//! let ev = Event::Exit(Exit { time_ns: 5, pid: 42, code: Some(0), signal: None, freeres: 0 });
//! let mut buf = [0u8; 64];
//! let n = encode(&ev, &mut buf).unwrap();
//! // A record is a tag, the payload's length, the payload.
//! let (tag, len) = (buf[0], buf[1] as usize);
//! assert_eq!((2 + len, decode(tag, &buf[2..n]).unwrap()), (n, Some(ev)));
//! ```
//!
//! [`zstd`]: https://docs.rs/zstd

#![no_std]

extern crate alloc;

pub mod codec;
mod event;
mod header;
pub mod wire;

pub use codec::{decode, encode};
pub use event::*;
pub use header::{chunk_header, write_header, Codec};
pub use wire::Full;

/// The first eight bytes of every log.
pub const MAGIC: [u8; 8] = *b"TRKLOG\r\n";
/// The version this crate writes.
pub const VERSION: u16 = 1;
/// Length of the file header.
pub const HEADER_LEN: usize = 12;
/// The most a chunk may decode to; larger claims are treated as corruption.
pub const MAX_CHUNK: usize = 64 << 20;
/// Set on a tag byte that starts a chunk.
pub const CHUNK_BIT: u8 = 0x80;
