//! Formatting into fixed buffers, without allocating: messages to stderr, paths, numbers.
//!
//! `core::fmt` itself never allocates; [`FixedBuf`] gives it a fixed destination and
//! truncates (remembering that it did) instead of failing.

use core::fmt;

/// A byte buffer of `N` bytes that `write!` can target. Output beyond `N` is dropped.
#[derive(Debug)]
pub struct FixedBuf<const N: usize> {
    buf: [u8; N],
    len: usize,
    truncated: bool,
}

impl<const N: usize> Default for FixedBuf<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> FixedBuf<N> {
    /// An empty buffer.
    pub const fn new() -> Self {
        FixedBuf {
            buf: [0; N],
            len: 0,
            truncated: false,
        }
    }

    /// What was written.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// Bytes written.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when nothing was written.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// True when some output did not fit.
    pub fn truncated(&self) -> bool {
        self.truncated
    }

    /// Empties the buffer.
    pub fn clear(&mut self) {
        self.len = 0;
        self.truncated = false;
    }

    /// Appends raw bytes (as many as fit).
    pub fn push_bytes(&mut self, b: &[u8]) {
        let room = N - self.len;
        let n = b.len().min(room);
        self.buf[self.len..self.len + n].copy_from_slice(&b[..n]);
        self.len += n;
        if n < b.len() {
            self.truncated = true;
        }
    }

    /// Appends an unsigned decimal number.
    pub fn push_u64(&mut self, mut v: u64) {
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        loop {
            i -= 1;
            digits[i] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        self.push_bytes(&digits[i..]);
    }

    /// The contents followed by a NUL, for a system call; `None` when they did not fit.
    pub fn as_c_str(&mut self) -> Option<&[u8]> {
        if self.truncated || self.len >= N || self.buf[..self.len].contains(&0) {
            return None;
        }
        self.buf[self.len] = 0;
        Some(&self.buf[..=self.len])
    }
}

impl<const N: usize> fmt::Write for FixedBuf<N> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.push_bytes(s.as_bytes());
        Ok(())
    }
}

/// A byte string shown as text: valid UTF-8 as is, other bytes as `\xNN`.
#[derive(Debug)]
pub struct Text<'a>(pub &'a [u8]);

impl fmt::Display for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for chunk in self.0.utf8_chunks() {
            f.write_str(chunk.valid())?;
            for b in chunk.invalid() {
                write!(f, "\\x{b:02x}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::fmt::Write;
    use std::prelude::rust_2021::*;

    #[test]
    fn formats_and_truncates() {
        let mut b = FixedBuf::<8>::new();
        let s = "ab";
        write!(b, "{}-{s}", 12).unwrap();
        assert_eq!(b.as_bytes(), b"12-ab");
        assert_eq!(b.as_c_str(), Some(&b"12-ab\0"[..]));
        b.push_u64(u64::MAX);
        assert!(b.truncated());
        assert_eq!(b.as_bytes(), b"12-ab184");
        assert_eq!(b.as_c_str(), None);
    }

    #[test]
    fn text_escapes_invalid_utf8() {
        let mut s = FixedBuf::<64>::new();
        write!(s, "{}", Text(b"a\xffb")).unwrap();
        assert_eq!(s.as_bytes(), b"a\\xffb");
    }
}
