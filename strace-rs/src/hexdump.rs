//! `-e read=`/`-e write=` dumps in strace's layout.

use std::fmt::Write as _;

/// Lines like ` | 00000  68 65 6c 6c 6f 0a                                hello.           |`:
/// the lines of `data`, the part at `offset` of a dump of `total` bytes: the offset has 5 hex
/// digits, more when the dump is over 1 MiB (as strace's `dumpstr`).
pub fn dump_part(data: &[u8], offset: usize, total: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let width = match total {
        n if n > 1 << 20 => 1 + (n - 1).ilog2() as usize / 4,
        _ => 5,
    };
    for (i, chunk) in data.chunks(16).enumerate() {
        let mut s = format!(" | {:0width$x} ", offset + i * 16);
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
    fn dump(data: &[u8]) -> Vec<String> {
        super::dump_part(data, 0, data.len())
    }

    #[test]
    fn layout() {
        let l = dump(b"0123456789abcdefXYZ\n");
        assert_eq!(
            l[0],
            " | 00000  30 31 32 33 34 35 36 37  38 39 61 62 63 64 65 66  0123456789abcdef |"
        );
        assert_eq!(
            l[1],
            " | 00010  58 59 5a 0a                                       XYZ.             |"
        );
        let l = dump(b"hello\n");
        assert_eq!(
            l[0],
            " | 00000  68 65 6c 6c 6f 0a                                 hello.           |"
        );
        // Over 1 MiB the offsets are wider; a later part keeps its offset.
        let l = super::dump_part(b"ab", 0x100000, 0x100002);
        assert_eq!(
            l[0],
            " | 100000  61 62                                             ab               |"
        );
    }

    #[test]
    fn offsets_widen_past_one_mebibyte() {
        // A part at 0x100000 of a dump of 0x100001 bytes: six digits, as strace.
        let l = super::dump_part(b"A", 0x10_0000, 0x10_0001);
        assert!(l[0].starts_with(" | 100000  41 "), "{}", l[0]);
        let l = super::dump_part(b"A", 0xf_fff0, 0x10_0000);
        assert!(l[0].starts_with(" | ffff0  41 "), "{}", l[0]);
    }
}
