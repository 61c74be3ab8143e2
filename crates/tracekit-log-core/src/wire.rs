//! Variable-length integers and byte strings: the primitives every record is made of.
//!
//! Unsigned integers are LEB128, signed ones zig-zag LEB128. A byte string is its length
//! (LEB128) followed by the bytes. Encoding writes into a caller's slice and never allocates,
//! so the preload libraries can use it inside a malloc hook or a signal handler.

/// The output slice had no room for what was being encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Full;

/// A cursor that encodes into a fixed slice without allocating.
#[derive(Debug)]
pub struct Enc<'a> {
    buf: &'a mut [u8],
    pos: usize,
}

impl<'a> Enc<'a> {
    /// Encodes into `buf`, starting at its first byte.
    pub fn new(buf: &'a mut [u8]) -> Self {
        Enc { buf, pos: 0 }
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.pos
    }

    /// True when nothing has been written.
    pub fn is_empty(&self) -> bool {
        self.pos == 0
    }

    /// One raw byte.
    #[inline]
    pub fn u8(&mut self, v: u8) -> Result<(), Full> {
        let slot = self.buf.get_mut(self.pos).ok_or(Full)?;
        *slot = v;
        self.pos += 1;
        Ok(())
    }

    /// An unsigned LEB128 integer.
    #[inline]
    pub fn u(&mut self, mut v: u64) -> Result<(), Full> {
        loop {
            let byte = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                return self.u8(byte);
            }
            self.u8(byte | 0x80)?;
        }
    }

    /// A signed integer, zig-zag then LEB128.
    #[inline]
    pub fn s(&mut self, v: i64) -> Result<(), Full> {
        self.u(((v << 1) ^ (v >> 63)) as u64)
    }

    /// Raw bytes, no length prefix.
    #[inline]
    pub fn raw(&mut self, bytes: &[u8]) -> Result<(), Full> {
        let end = self.pos.checked_add(bytes.len()).ok_or(Full)?;
        let dst = self.buf.get_mut(self.pos..end).ok_or(Full)?;
        dst.copy_from_slice(bytes);
        self.pos = end;
        Ok(())
    }

    /// A length-prefixed byte string.
    #[inline]
    pub fn bytes(&mut self, bytes: &[u8]) -> Result<(), Full> {
        self.u(bytes.len() as u64)?;
        self.raw(bytes)
    }
}

/// Why a primitive could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeError {
    /// The input ended inside a value.
    Eof,
    /// A LEB128 integer was longer than 64 bits.
    Overflow,
}

/// A cursor that decodes from a slice.
#[derive(Debug, Clone)]
pub struct Dec<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Dec<'a> {
    /// Decodes from the start of `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Dec { buf, pos: 0 }
    }

    /// Bytes consumed so far.
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// Bytes left.
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// One raw byte.
    #[inline]
    pub fn u8(&mut self) -> Result<u8, DecodeError> {
        let b = *self.buf.get(self.pos).ok_or(DecodeError::Eof)?;
        self.pos += 1;
        Ok(b)
    }

    /// An unsigned LEB128 integer.
    #[inline]
    pub fn u(&mut self) -> Result<u64, DecodeError> {
        // Most integers of a log take one to three bytes: decoded here, inlined; longer ones
        // (and every error) in `u_long`.
        match *self.buf.get(self.pos..).unwrap_or_default() {
            [b0, ..] if b0 < 0x80 => {
                self.pos += 1;
                Ok(u64::from(b0))
            }
            [b0, b1, ..] if b1 < 0x80 => {
                self.pos += 2;
                Ok(u64::from(b0 & 0x7f) | u64::from(b1) << 7)
            }
            [b0, b1, b2, ..] if b2 < 0x80 => {
                self.pos += 3;
                Ok(u64::from(b0 & 0x7f) | u64::from(b1 & 0x7f) << 7 | u64::from(b2) << 14)
            }
            _ => {
                let (v, pos) = u_long(self.buf, self.pos)?;
                self.pos = pos;
                Ok(v)
            }
        }
    }

    /// A zig-zag LEB128 signed integer.
    #[inline]
    pub fn s(&mut self) -> Result<i64, DecodeError> {
        let v = self.u()?;
        Ok(((v >> 1) as i64) ^ -((v & 1) as i64))
    }

    /// `n` raw bytes.
    #[inline]
    pub fn raw(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let end = self.pos.checked_add(n).ok_or(DecodeError::Eof)?;
        let s = self.buf.get(self.pos..end).ok_or(DecodeError::Eof)?;
        self.pos = end;
        Ok(s)
    }

    /// A length-prefixed byte string.
    #[inline]
    pub fn bytes(&mut self) -> Result<&'a [u8], DecodeError> {
        let n = self.u()?;
        let n = usize::try_from(n).map_err(|_| DecodeError::Eof)?;
        self.raw(n)
    }
}

/// [`Dec::u`] of any length, at any place: the integer at `buf[pos..]` and the position after
/// it (a function of its own, not a method, so that the cursor does not have to live in
/// memory for it: a decoder's loop keeps it in registers).
#[inline(never)]
fn u_long(buf: &[u8], mut pos: usize) -> Result<(u64, usize), DecodeError> {
    let mut v: u64 = 0;
    let mut shift = 0u32;
    loop {
        let b = *buf.get(pos).ok_or(DecodeError::Eof)?;
        pos += 1;
        if shift == 63 && b > 1 {
            return Err(DecodeError::Overflow);
        }
        v |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Ok((v, pos));
        }
        shift += 7;
        if shift > 63 {
            return Err(DecodeError::Overflow);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leb128_round_trips_edges() {
        let values = [
            0u64,
            1,
            127,
            128,
            300,
            u32::MAX as u64,
            u64::MAX - 1,
            u64::MAX,
        ];
        let signed = [0i64, -1, 1, -64, 64, i64::MIN, i64::MAX];
        let mut buf = [0u8; 256];
        let mut e = Enc::new(&mut buf);
        for v in values {
            e.u(v).unwrap();
        }
        for v in signed {
            e.s(v).unwrap();
        }
        let n = e.len();
        let mut d = Dec::new(&buf[..n]);
        for v in values {
            assert_eq!(d.u().unwrap(), v);
        }
        for v in signed {
            assert_eq!(d.s().unwrap(), v);
        }
        assert_eq!(d.remaining(), 0);
    }

    #[test]
    fn encoder_reports_full_instead_of_overrunning() {
        let mut buf = [0u8; 2];
        let mut e = Enc::new(&mut buf);
        assert_eq!(e.u(1 << 20), Err(Full));
        let mut e = Enc::new(&mut buf);
        assert_eq!(e.bytes(b"abc"), Err(Full));
    }

    #[test]
    fn overlong_integer_is_an_error() {
        let bad = [0xffu8; 11];
        assert_eq!(Dec::new(&bad).u(), Err(DecodeError::Overflow));
        assert_eq!(Dec::new(&[0x80, 0x80]).u(), Err(DecodeError::Eof));
    }
}
