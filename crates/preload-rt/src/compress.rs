//! Compressing a finished log's records in place with zstd.
//!
//! The records a process wrote (from `start` to `end` of the file) are read in pieces of a
//! few MiB cut at record boundaries, and each piece is written back, lower in the file, as
//! one zstd chunk (or as is, when it does not shrink). Writing never overtakes reading, so
//! the file is rewritten without a second copy. This runs once, when the process ends; a
//! process that dies before leaves its records uncompressed, which is just as readable.

use std::ffi::c_int;

use tracekit_log::{chunk_header, Codec, CHUNK_BIT};

use crate::sys;

/// Records per chunk (before compression).
const PIECE: usize = 4 << 20;

/// The zstd level: 3 compresses a heap log about as well as higher levels at a third of the
/// time (the records repeat, the work is in the matching).
pub const LEVEL: i32 = 3;

/// Compresses the records in `[start, end)` of the log `fd`; returns the new end of the
/// log's data, or `None` (file untouched) when compression could not start.
pub fn in_place(fd: c_int, start: u64, end: u64) -> Option<u64> {
    if end <= start {
        return Some(end);
    }
    let mut comp = zstd::bulk::Compressor::new(LEVEL).ok()?;
    let mut input = vec![0u8; PIECE];
    let mut out = vec![0u8; zstd::zstd_safe::compress_bound(PIECE) + 32];
    let (mut rpos, mut wpos, mut carry) = (start, start, 0usize);
    loop {
        let want = (PIECE - carry).min((end - rpos) as usize);
        let got = sys::pread_full(fd, &mut input[carry..carry + want], rpos).ok()?;
        rpos += got as u64;
        let total = carry + got;
        if total == 0 {
            break;
        }
        let at_end = rpos >= end || got < want;
        let mut cut = record_boundary(&input[..total]);
        if at_end || cut == 0 {
            // The last piece (a cut record at the very end stays as it is), or a single
            // record larger than a piece: write everything raw.
            cut = total;
        }
        let raw = &input[..cut];
        let mut head = [0u8; 24];
        let written = match comp.compress_to_buffer(raw, &mut out[..]) {
            Ok(z) if z + 24 < cut => {
                let h = chunk_header(&mut head, Codec::Zstd, cut, z).ok()?;
                sys::pwrite_all(fd, &head[..h], wpos).ok()?;
                sys::pwrite_all(fd, &out[..z], wpos + h as u64).ok()?;
                h + z
            }
            _ => {
                sys::pwrite_all(fd, raw, wpos).ok()?;
                cut
            }
        };
        wpos += written as u64;
        carry = total - cut;
        input.copy_within(cut..total, 0);
        if at_end && carry == 0 {
            break;
        }
    }
    Some(wpos)
}

/// The end of the last whole item (record, padding byte, chunk) in `buf`.
pub fn record_boundary(buf: &[u8]) -> usize {
    let mut i = 0;
    let mut last = 0;
    while i < buf.len() {
        let t = buf[i];
        if t == 0 {
            i += 1;
            last = i;
            continue;
        }
        let mut j = i + 1;
        let mut lens = [0u64; 2];
        let count = if t & CHUNK_BIT != 0 { 2 } else { 1 };
        for l in lens.iter_mut().take(count) {
            match uleb(buf, &mut j) {
                Some(v) => *l = v,
                None => return last,
            }
        }
        let body = if t & CHUNK_BIT != 0 { lens[1] } else { lens[0] };
        let Some(next) = (j as u64).checked_add(body) else {
            return last;
        };
        if next > buf.len() as u64 {
            return last;
        }
        i = next as usize;
        last = i;
    }
    last
}

fn uleb(buf: &[u8], i: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *buf.get(*i)?;
        *i += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundary_stops_before_a_cut_record() {
        // record (tag 5, len 2), padding, record cut short
        let buf = [5u8, 2, 9, 9, 0, 6, 3, 1];
        assert_eq!(record_boundary(&buf), 5);
        assert_eq!(record_boundary(&buf[..4]), 4);
        assert_eq!(record_boundary(&buf[..3]), 0);
    }
}
