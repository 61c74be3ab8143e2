//! Hand-rolled encoders for the three records a heap tracker writes millions of times
//! (`Alloc`, `Free`, `Realloc`), byte for byte what [`tracekit_log::encode`] writes (a test
//! checks this on random events) but about four times cheaper: the payload of these
//! records is always shorter than 128 bytes, so its one-byte length is written first and
//! the fields go straight into place, with one bounds check for the whole record.

use tracekit_log::codec::tag;
use tracekit_log::{Alloc, Free, Realloc};

/// Room a record of these kinds may need: tag, length, and the payload (at most 56 bytes:
/// five LEB128 integers of up to 10 bytes, a tid of up to 5, a kind byte).
pub const MAX_RECORD: usize = 2 + 64;

struct Out<'a> {
    buf: &'a mut [u8; MAX_RECORD],
    i: usize,
}

impl Out<'_> {
    #[inline(always)]
    fn u(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.buf[2 + self.i] = v as u8 | 0x80;
            self.i += 1;
            v >>= 7;
        }
        self.buf[2 + self.i] = v as u8;
        self.i += 1;
    }

    #[inline(always)]
    fn byte(&mut self, b: u8) {
        self.buf[2 + self.i] = b;
        self.i += 1;
    }

    #[inline(always)]
    fn finish(self, t: u8) -> usize {
        self.buf[0] = t;
        self.buf[1] = self.i as u8;
        self.i + 2
    }
}

/// Encodes an `Alloc` record; returns its length.
#[inline]
pub fn alloc(a: &Alloc, buf: &mut [u8; MAX_RECORD]) -> usize {
    let mut o = Out { buf, i: 0 };
    o.u(a.time_ns);
    o.u(a.tid.into());
    o.byte(a.kind.code());
    o.u(a.ptr);
    o.u(a.size);
    o.u(a.align);
    o.u(a.stack);
    o.finish(tag::ALLOC)
}

/// Encodes a `Free` record; returns its length.
#[inline]
pub fn free(f: &Free, buf: &mut [u8; MAX_RECORD]) -> usize {
    let mut o = Out { buf, i: 0 };
    o.u(f.time_ns);
    o.u(f.tid.into());
    o.byte(f.kind.code());
    o.u(f.ptr);
    o.u(f.size);
    o.u(f.stack);
    o.finish(tag::FREE)
}

/// Encodes a `Realloc` record; returns its length.
#[inline]
pub fn realloc(r: &Realloc, buf: &mut [u8; MAX_RECORD]) -> usize {
    let mut o = Out { buf, i: 0 };
    o.u(r.time_ns);
    o.u(r.tid.into());
    o.byte(r.kind.code());
    o.u(r.old_ptr);
    o.u(r.new_ptr);
    o.u(r.size);
    o.u(r.stack);
    o.finish(tag::REALLOC)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracekit_log::{encode, AllocKind, Event, FreeKind};

    /// A small xorshift generator: values of every LEB128 length, edges included.
    fn values(seed: &mut u64) -> u64 {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        match *seed % 5 {
            0 => 0,
            1 => u64::MAX,
            2 => *seed >> (*seed % 64),
            3 => 127 + (*seed % 3),
            _ => *seed,
        }
    }

    #[test]
    fn same_bytes_as_the_log_crate() {
        let mut seed = 0x1234_5678_9abc_def0u64;
        let mut a = [0u8; MAX_RECORD];
        let mut b = [0u8; 256];
        for i in 0..20_000 {
            let tid = values(&mut seed) as u32;
            let ev = match i % 3 {
                0 => Event::Alloc(Alloc {
                    time_ns: values(&mut seed),
                    tid,
                    kind: AllocKind::ALL[i % AllocKind::ALL.len()],
                    ptr: values(&mut seed),
                    size: values(&mut seed),
                    align: values(&mut seed),
                    stack: values(&mut seed),
                }),
                1 => Event::Free(Free {
                    time_ns: values(&mut seed),
                    tid,
                    kind: FreeKind::ALL[i % FreeKind::ALL.len()],
                    ptr: values(&mut seed),
                    size: values(&mut seed),
                    stack: values(&mut seed),
                }),
                _ => Event::Realloc(Realloc {
                    time_ns: values(&mut seed),
                    tid,
                    kind: AllocKind::Realloc,
                    old_ptr: values(&mut seed),
                    new_ptr: values(&mut seed),
                    size: values(&mut seed),
                    stack: values(&mut seed),
                }),
            };
            let n = match &ev {
                Event::Alloc(x) => alloc(x, &mut a),
                Event::Free(x) => free(x, &mut a),
                Event::Realloc(x) => realloc(x, &mut a),
                _ => unreachable!(),
            };
            let m = encode(&ev, &mut b).unwrap();
            assert_eq!(&a[..n], &b[..m], "{ev:?}");
        }
    }
}
