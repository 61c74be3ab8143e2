//! The report text: a fixed buffer that is also streamed to the output descriptors, so a
//! handler that dies half-way still leaves what it had written. Never allocates.

use core::fmt;

use crate::sys;

/// Capacity of the report kept for the event log.
pub const REPORT_CAP: usize = 64 * 1024;

/// A report being written: text accumulates in `buf` and goes to `fds` on [`Report::flush`].
pub struct Report {
    buf: [u8; REPORT_CAP],
    len: usize,
    flushed: usize,
    fds: [i32; 2],
    truncated: bool,
}

impl Report {
    /// An empty report with no destinations.
    pub const fn new() -> Self {
        Report {
            buf: [0; REPORT_CAP],
            len: 0,
            flushed: 0,
            // Zero, not -1, so the static report stays in .bss; `reset` sets the real ones.
            fds: [0, 0],
            truncated: false,
        }
    }

    /// Starts over, writing to `fds` (-1 entries are skipped).
    pub fn reset(&mut self, fds: [i32; 2]) {
        self.len = 0;
        self.flushed = 0;
        self.fds = fds;
        self.truncated = false;
    }

    /// Appends raw bytes.
    pub fn bytes(&mut self, b: &[u8]) {
        let room = REPORT_CAP - self.len;
        if b.len() > room {
            // Keep streaming what does not fit: flush and reuse the space, giving up the
            // copy for the log (which keeps the start of the report).
            self.flush();
            self.truncated = true;
            for &fd in &self.fds {
                if fd >= 0 {
                    let _ = sys::write_all(fd, b);
                }
            }
            return;
        }
        self.buf[self.len..self.len + b.len()].copy_from_slice(b);
        self.len += b.len();
    }

    /// Writes what is not yet written to every destination.
    pub fn flush(&mut self) {
        let pending = &self.buf[self.flushed..self.len];
        for &fd in &self.fds {
            if fd >= 0 {
                let _ = sys::write_all(fd, pending);
            }
        }
        self.flushed = self.len;
    }

    /// The text so far (the start of it, if it outgrew the buffer).
    pub fn text(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// Room left in the buffer.
    pub fn spare(&mut self) -> &mut [u8] {
        &mut self.buf[self.len..]
    }

    /// Marks `n` bytes of [`Report::spare`] as written.
    pub fn commit(&mut self, n: usize) {
        self.len = (self.len + n).min(REPORT_CAP);
    }
}

impl core::fmt::Debug for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Report")
            .field("len", &self.len)
            .field("flushed", &self.flushed)
            .field("fds", &self.fds)
            .field("truncated", &self.truncated)
            .finish()
    }
}

impl Default for Report {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Write for Report {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.bytes(s.as_bytes());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::fmt::Write;

    #[test]
    fn report_keeps_text_and_streams() {
        let (r, w) = sys::pipe().unwrap();
        let mut rep = Box::new(Report::new());
        rep.reset([w, -1]);
        write!(rep, "hello {}", 42).unwrap();
        rep.flush();
        sys::close(w);
        let mut got = [0u8; 64];
        let n = sys::read_to_fill(r, &mut got);
        assert_eq!(&got[..n], b"hello 42");
        assert_eq!(rep.text(), b"hello 42");
    }
}
