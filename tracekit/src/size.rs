//! Sizes on the command line: `64KiB`, `10MB`, `1.5GiB`, `4096` (parsed by `parse-size`:
//! `K`/`KB` are powers of 1000, `KiB` powers of 1024, as `ls --si` and `ls -h` spell them).

use std::fmt;
use std::str::FromStr;

/// A byte count with the text the user typed, so messages can echo it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Size {
    /// Bytes.
    pub bytes: u64,
    /// As typed.
    pub text: String,
}

impl FromStr for Size {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bytes = parse_size::parse_size(s.trim()).map_err(|e| {
            format!("invalid size {s:?} ({e}); use bytes or a unit such as 64KiB, 10MB, 1.5GiB")
        })?;
        Ok(Size {
            bytes,
            text: s.to_owned(),
        })
    }
}

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.text.trim() == self.bytes.to_string() {
            write!(f, "{} bytes", self.bytes)
        } else {
            write!(f, "{} ({} bytes)", self.text, self.bytes)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Size;

    fn bytes(s: &str) -> u64 {
        s.parse::<Size>().unwrap().bytes
    }

    #[test]
    fn units() {
        assert_eq!(bytes("4096"), 4096);
        assert_eq!(bytes("64KiB"), 65536);
        assert_eq!(bytes("10MB"), 10_000_000);
        assert_eq!(bytes("1.5GiB"), 1_610_612_736);
        assert_eq!(bytes("2 MiB"), 2 << 20);
    }

    #[test]
    fn bad_sizes_say_why() {
        for bad in ["", "ten", "-5", "5XB", "1.5.2MB"] {
            let e = bad.parse::<Size>().unwrap_err();
            assert!(e.contains("invalid size"), "{bad}: {e}");
        }
    }

    #[test]
    fn display_echoes_the_text() {
        assert_eq!(bytes("64KiB"), 65536);
        assert_eq!(
            "64KiB".parse::<Size>().unwrap().to_string(),
            "64KiB (65536 bytes)"
        );
        assert_eq!("100".parse::<Size>().unwrap().to_string(), "100 bytes");
    }
}
