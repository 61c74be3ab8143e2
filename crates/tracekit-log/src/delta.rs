//! Compact heap records: `Alloc`, `Free` and `Realloc` coded against the records before them.
//!
//! A heap tracker writes millions of these, and most of each full record repeats the one
//! before: the same thread, the same (coarse) time, a pointer a few KiB from the last one.
//! The compact forms keep a little state, [`Delta`], shared by writer and reader:
//!
//! ```text
//! state   := tid u32, time_ns u64, ptr u64       all 0 at the start of the file and
//!                                                after every Sync record
//! Sync    := tag 16, len 0                       resets the state
//! CAlloc  := tag 17, len, flags, [tid], [dtime], dptr, size, stack, [align]
//! CFree   := tag 18, len, flags, [tid], [dtime], dptr, [size, stack]
//! CRealloc:= tag 19, len, flags, [tid], [dtime], dptr(old), dptr(new vs old), size, stack
//! flags   := kind (bits 0-4: the AllocKind / FreeKind code)
//!          | 0x20 tid follows (uleb), and becomes the state's thread
//!          | 0x40 dtime follows (zig-zag: time_ns minus the state's time); else the same time
//!          | 0x80 extra: CAlloc has `align` (else 0), CFree has `size, stack` (else 0, 0)
//! dptr    := zig-zag of (pointer minus the state's ptr, wrapping); the state's ptr becomes
//!            the record's pointer (a realloc's new one)
//! ```
//!
//! Each compact record decodes to the same [`Event`] as its full form (tags 6, 7, 8), which
//! stay valid: a log may mix both. The state runs through the logical record stream (chunks
//! are only containers), so a writer that starts in the middle of a file (an `exec`ed image
//! appending) writes `Sync` first; writers also put one every few hundred KiB, where a
//! reader that resumes after damage can pick up again.

use crate::codec::{tag, PayloadError};
use crate::wire::Dec;
use crate::{Alloc, AllocKind, Event, Free, FreeKind, Realloc};

/// The state compact records are coded against (see the [module docs](self)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delta {
    /// The current thread.
    pub tid: u32,
    /// The time of the last heap record.
    pub time_ns: u64,
    /// The last pointer (an allocation's, a release's, or a realloc's new one).
    pub ptr: u64,
}

/// Room a compact record may need: tag, one-byte length, and a payload of at most
/// 1 + 5 + 10 + 4 * 10 bytes.
pub const MAX_COMPACT: usize = 2 + 56;

const TID: u8 = 0x20;
const TIME: u8 = 0x40;
const EXTRA: u8 = 0x80;
const KIND: u8 = 0x1f;

struct Out<'a> {
    buf: &'a mut [u8; MAX_COMPACT],
    i: usize,
}

impl Out<'_> {
    #[inline(always)]
    fn u(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.buf[self.i] = v as u8 | 0x80;
            self.i += 1;
            v >>= 7;
        }
        self.buf[self.i] = v as u8;
        self.i += 1;
    }

    #[inline(always)]
    fn s(&mut self, v: u64) {
        let v = v as i64;
        self.u(((v << 1) ^ (v >> 63)) as u64)
    }

    /// Flags byte at 2, then the thread and time when they changed.
    #[inline(always)]
    fn head(&mut self, d: &mut Delta, kind: u8, tid: u32, time_ns: u64) -> usize {
        debug_assert!(kind <= KIND);
        let mut flags = kind;
        self.i = 3;
        if tid != d.tid {
            flags |= TID;
            self.u(tid.into());
            d.tid = tid;
        }
        if time_ns != d.time_ns {
            flags |= TIME;
            self.s(time_ns.wrapping_sub(d.time_ns));
            d.time_ns = time_ns;
        }
        self.buf[2] = flags;
        2
    }

    #[inline(always)]
    fn finish(self, t: u8) -> usize {
        self.buf[0] = t;
        self.buf[1] = (self.i - 2) as u8;
        self.i
    }
}

/// Encodes `a` as a compact record into `buf`, updating `d`; returns its length. Never
/// allocates.
#[inline]
pub fn alloc(a: &Alloc, d: &mut Delta, buf: &mut [u8; MAX_COMPACT]) -> usize {
    let mut o = Out { buf, i: 0 };
    let f = o.head(d, a.kind.code(), a.tid, a.time_ns);
    o.s(a.ptr.wrapping_sub(d.ptr));
    d.ptr = a.ptr;
    o.u(a.size);
    o.u(a.stack);
    if a.align != 0 {
        o.buf[f] |= EXTRA;
        o.u(a.align);
    }
    o.finish(tag::C_ALLOC)
}

/// Encodes `fr` as a compact record into `buf`, updating `d`; returns its length.
#[inline]
pub fn free(fr: &Free, d: &mut Delta, buf: &mut [u8; MAX_COMPACT]) -> usize {
    let mut o = Out { buf, i: 0 };
    let f = o.head(d, fr.kind.code(), fr.tid, fr.time_ns);
    o.s(fr.ptr.wrapping_sub(d.ptr));
    d.ptr = fr.ptr;
    if fr.size != 0 || fr.stack != 0 {
        o.buf[f] |= EXTRA;
        o.u(fr.size);
        o.u(fr.stack);
    }
    o.finish(tag::C_FREE)
}

/// Encodes `r` as a compact record into `buf`, updating `d`; returns its length.
#[inline]
pub fn realloc(r: &Realloc, d: &mut Delta, buf: &mut [u8; MAX_COMPACT]) -> usize {
    let mut o = Out { buf, i: 0 };
    o.head(d, r.kind.code(), r.tid, r.time_ns);
    o.s(r.old_ptr.wrapping_sub(d.ptr));
    o.s(r.new_ptr.wrapping_sub(r.old_ptr));
    d.ptr = r.new_ptr;
    o.u(r.size);
    o.u(r.stack);
    o.finish(tag::C_REALLOC)
}

/// Encodes a `Sync` record (2 bytes) into `buf` and resets `d`.
#[inline]
pub fn sync(d: &mut Delta, buf: &mut [u8]) -> Option<usize> {
    let b = buf.get_mut(..2)?;
    b.copy_from_slice(&[tag::SYNC, 0]);
    *d = Delta::default();
    Some(2)
}

/// Encodes a heap event compactly into `buf` (any length), updating `d`; `Err(Full)` when
/// `buf` is too short, `Ok(None)` for events that have no compact form.
pub fn encode(ev: &Event<'_>, d: &mut Delta, buf: &mut [u8]) -> Result<Option<usize>, crate::Full> {
    let mut tmp = [0u8; MAX_COMPACT];
    let mut next = *d;
    let n = match ev {
        Event::Alloc(a) => alloc(a, &mut next, &mut tmp),
        Event::Free(f) => free(f, &mut next, &mut tmp),
        Event::Realloc(r) => realloc(r, &mut next, &mut tmp),
        _ => return Ok(None),
    };
    buf.get_mut(..n)
        .ok_or(crate::Full)?
        .copy_from_slice(&tmp[..n]);
    *d = next;
    Ok(Some(n))
}

fn zz(d: &mut Dec<'_>) -> Result<u64, PayloadError> {
    Ok(d.s()? as u64)
}

/// Decodes the payload `p` of compact record `t` (17, 18 or 19) against `st`, updating it.
pub fn decode(t: u8, p: &[u8], st: &mut Delta) -> Result<Event<'static>, PayloadError> {
    let d = &mut Dec::new(p);
    let flags = d.u8()?;
    let mut next = *st;
    if flags & TID != 0 {
        next.tid = u32::try_from(d.u()?).map_err(|_| PayloadError::BadValue("tid"))?;
    }
    if flags & TIME != 0 {
        next.time_ns = next.time_ns.wrapping_add(zz(d)?);
    }
    let kind = flags & KIND;
    let akind = || AllocKind::from_code(kind).ok_or(PayloadError::BadValue("alloc kind"));
    let ev = match t {
        tag::C_ALLOC => {
            let ptr = next.ptr.wrapping_add(zz(d)?);
            next.ptr = ptr;
            Event::Alloc(Alloc {
                time_ns: next.time_ns,
                tid: next.tid,
                kind: akind()?,
                ptr,
                size: d.u()?,
                stack: d.u()?,
                align: if flags & EXTRA != 0 { d.u()? } else { 0 },
            })
        }
        tag::C_FREE => {
            let ptr = next.ptr.wrapping_add(zz(d)?);
            next.ptr = ptr;
            let (size, stack) = if flags & EXTRA != 0 {
                (d.u()?, d.u()?)
            } else {
                (0, 0)
            };
            Event::Free(Free {
                time_ns: next.time_ns,
                tid: next.tid,
                kind: FreeKind::from_code(kind).ok_or(PayloadError::BadValue("free kind"))?,
                ptr,
                size,
                stack,
            })
        }
        tag::C_REALLOC => {
            let old_ptr = next.ptr.wrapping_add(zz(d)?);
            let new_ptr = old_ptr.wrapping_add(zz(d)?);
            next.ptr = new_ptr;
            Event::Realloc(Realloc {
                time_ns: next.time_ns,
                tid: next.tid,
                kind: akind()?,
                old_ptr,
                new_ptr,
                size: d.u()?,
                stack: d.u()?,
            })
        }
        _ => return Err(PayloadError::BadValue("compact record tag")),
    };
    *st = next;
    Ok(ev)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_records_round_trip_and_are_small() {
        let evs = [
            Event::Alloc(Alloc {
                time_ns: 5_000_000,
                tid: 4242,
                kind: AllocKind::Malloc,
                ptr: 0x5555_5555_a000,
                size: 100,
                align: 0,
                stack: 3,
            }),
            Event::Free(Free {
                time_ns: 5_000_000,
                tid: 4242,
                kind: FreeKind::Free,
                ptr: 0x5555_5555_a100,
                size: 0,
                stack: 0,
            }),
            Event::Realloc(Realloc {
                time_ns: 4_000_000,
                tid: 7,
                kind: AllocKind::Realloc,
                old_ptr: 0,
                new_ptr: u64::MAX,
                size: 1 << 40,
                stack: 0,
            }),
            Event::Alloc(Alloc {
                time_ns: u64::MAX,
                tid: u32::MAX,
                kind: AllocKind::NewArrayAlignedNothrow,
                ptr: 0,
                size: u64::MAX,
                align: 1 << 12,
                stack: u64::MAX,
            }),
            Event::Free(Free {
                time_ns: 0,
                tid: 1,
                kind: FreeKind::DeleteArraySizedAligned,
                ptr: 1,
                size: 77,
                stack: 9,
            }),
        ];
        let mut w = Delta::default();
        let mut r = Delta::default();
        let mut lens = Vec::new();
        for ev in &evs {
            let mut buf = [0u8; 64];
            let n = encode(ev, &mut w, &mut buf).unwrap().unwrap();
            assert!(n <= MAX_COMPACT);
            assert_eq!(usize::from(buf[1]) + 2, n);
            let back = decode(buf[0], &buf[2..n], &mut r).unwrap();
            assert_eq!(&back, ev);
            assert_eq!(w, r);
            lens.push(n);
        }
        // Same thread and time, a pointer close by: a free takes 5 bytes.
        assert_eq!(lens[1], 5);
    }

    #[test]
    fn too_short_a_buffer_leaves_the_state_alone() {
        let mut d = Delta::default();
        let ev = Event::Free(Free {
            time_ns: 1,
            tid: 2,
            kind: FreeKind::Free,
            ptr: 3,
            size: 0,
            stack: 0,
        });
        assert_eq!(encode(&ev, &mut d, &mut [0u8; 3]), Err(crate::Full));
        assert_eq!(d, Delta::default());
    }
}
