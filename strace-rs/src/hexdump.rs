//! `-e read=`/`-e write=` dumps in strace's layout.

use std::fmt::Write as _;

/// How many hex digits the offsets of a dump of `len` bytes take (strace's `dumpstr`: 5, or
/// as many as the last offset needs past 1 MiB).
pub fn offset_width(len: u64) -> usize {
    if len > 1 << 20 {
        1 + (len - 1).ilog2() as usize / 4
    } else {
        5
    }
}

/// Lines like ` | 00000  68 65 6c 6c 6f 0a                                hello.           |`
/// for a piece that starts `start` bytes into the dumped data, offsets `width` digits wide.
pub fn dump_at(data: &[u8], start: u64, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    for (i, chunk) in data.chunks(16).enumerate() {
        let mut s = format!(" | {:0width$x} ", start as usize + i * 16);
        for j in 0..16 {
            if j == 8 {
                s.push(' ');
            }
            match chunk.get(j) {
                Some(b) => {
                    let _ = write!(s, " {b:02x}");
                }
                None => s.push_str("   "),
            }
        }
        s.push_str("  ");
        for j in 0..16 {
            match chunk.get(j) {
                Some(&b) if (0x20..0x7f).contains(&b) => s.push(b as char),
                Some(_) => s.push('.'),
                None => s.push(' '),
            }
        }
        s.push_str(" |");
        lines.push(s);
    }
    lines
}

#[cfg(test)]
mod tests {
    #[test]
    fn layout() {
        let l = super::dump_at(b"0123456789abcdefXYZ\n", 0, 5);
        assert_eq!(
            l[0],
            " | 00000  30 31 32 33 34 35 36 37  38 39 61 62 63 64 65 66  0123456789abcdef |"
        );
        assert_eq!(
            l[1],
            " | 00010  58 59 5a 0a                                       XYZ.             |"
        );
        let l = super::dump_at(b"hello\n", 0, 5);
        assert_eq!(
            l[0],
            " | 00000  68 65 6c 6c 6f 0a                                 hello.           |"
        );
        // Past 1 MiB the offsets widen to what the last one needs; pieces keep counting.
        assert_eq!(super::offset_width(1 << 20), 5);
        assert_eq!(super::offset_width((1 << 20) + 1), 6);
        assert_eq!(super::offset_width(1 << 28), 7);
        let l = super::dump_at(b"z", 0x10_0010, 6);
        assert!(l[0].starts_with(" | 100010  7a "), "{}", l[0]);
    }
}
