//! `-e read=`/`-e write=` dumps in strace's layout.

use std::fmt::Write as _;

/// Lines like ` | 00000  68 65 6c 6c 6f 0a                                hello.           |`.
pub fn dump(data: &[u8]) -> Vec<String> {
    let mut lines = Vec::new();
    for (i, chunk) in data.chunks(16).enumerate() {
        let mut s = format!(" | {:05x} ", i * 16);
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
        let l = super::dump(b"0123456789abcdefXYZ\n");
        assert_eq!(
            l[0],
            " | 00000  30 31 32 33 34 35 36 37  38 39 61 62 63 64 65 66  0123456789abcdef |"
        );
        assert_eq!(
            l[1],
            " | 00010  58 59 5a 0a                                       XYZ.             |"
        );
        let l = super::dump(b"hello\n");
        assert_eq!(
            l[0],
            " | 00000  68 65 6c 6c 6f 0a                                 hello.           |"
        );
    }
}
