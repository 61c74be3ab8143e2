//! Text helpers shared by the decoders: strace's string quoting and flag/constant printing.

use std::fmt::Write as _;

/// How strings are escaped (`-x`, `-xx`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HexMode {
    /// Octal escapes for non-printable bytes (the default).
    #[default]
    None,
    /// `-x`: a string with any non-printable byte is printed all in `\x` escapes.
    NonAscii,
    /// `-xx`: every byte as `\x` escapes.
    All,
    /// `--strings-in-hex=non-ascii-chars`: each non-printable byte as a `\x` escape (the
    /// rest as usual).
    NonAsciiChars,
}

/// How named constants are printed (`-X`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum XlatStyle {
    /// Numbers only.
    Raw,
    /// Names only (the default).
    #[default]
    Abbrev,
    /// Number followed by the names in a comment.
    Verbose,
}

fn printable(b: u8) -> bool {
    (0x20..0x7f).contains(&b)
}

/// Appends `bytes` quoted the way strace's `print_quoted_string` does.
/// `force_hex` is strace's `QUOTE_FORCE_HEX` (getrandom).
pub fn quote(out: &mut String, bytes: &[u8], hex: HexMode, force_hex: bool) {
    let all_hex = force_hex
        || match hex {
            HexMode::All => true,
            HexMode::NonAscii => bytes
                .iter()
                .any(|&b| !printable(b) && !matches!(b, b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')),
            HexMode::None | HexMode::NonAsciiChars => false,
        };
    out.push('"');
    if all_hex {
        for &b in bytes {
            let _ = write!(out, "\\x{b:02x}");
        }
    } else {
        escape(out, bytes, hex, b"");
    }
    out.push('"');
}

/// The bytes of a string in C escapes (`\n`, `\33`, with `--strings-in-hex=non-ascii-chars`
/// `\x1b`), the bytes in `also` escaped as non-printable ones.
fn escape(out: &mut String, bytes: &[u8], hex: HexMode, also: &[u8]) {
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            b'\x0b' => out.push_str("\\v"),
            b'\x0c' => out.push_str("\\f"),
            b'\r' => out.push_str("\\r"),
            _ if printable(b) && !also.contains(&b) => out.push(b as char),
            _ if hex == HexMode::NonAsciiChars => {
                let _ = write!(out, "\\x{b:02x}");
            }
            _ => {
                let next_is_octal = bytes.get(i + 1).is_some_and(|c| (b'0'..=b'7').contains(c));
                if next_is_octal {
                    let _ = write!(out, "\\{b:03o}");
                } else {
                    let _ = write!(out, "\\{b:o}");
                }
            }
        }
    }
}

/// A descriptor's path as `-y` prints it between `<` and `>` (strace's
/// `print_quoted_string_in_angle_brackets`): quoted like a string but without the quotes,
/// `<` and `>` escaped too.
pub fn angle_quoted(out: &mut String, bytes: &[u8], hex: HexMode) {
    escape(out, bytes, hex, b"<>");
}

/// A process's command name as `-Y` prints it after a pid (strace's `printpid`): quoted
/// like a string but without the quotes, `<` and `>` escaped too (`foo\74bar\76`).
pub fn comm(out: &mut String, bytes: &[u8]) {
    escape(out, bytes, HexMode::None, b"<>");
}

/// The names of tracees, kept so that a line about one that is gone still names it.
fn tracee_comms() -> &'static std::sync::Mutex<std::collections::HashMap<i32, Vec<u8>>> {
    static SEEN: std::sync::OnceLock<std::sync::Mutex<std::collections::HashMap<i32, Vec<u8>>>> =
        std::sync::OnceLock::new();
    SEEN.get_or_init(Default::default)
}

fn read_comm(pid: i32) -> Option<Vec<u8>> {
    let mut c = std::fs::read(format!("/proc/{pid}/comm")).ok()?;
    if c.last() == Some(&b'\n') {
        c.pop();
    }
    Some(c)
}

/// Notes a new tracee's name for [`pid_with_comm`] (strace keeps it in the tracee's `tcb`).
pub fn remember_comm(pid: i32) {
    if let Some(c) = read_comm(pid) {
        if let Ok(mut m) = tracee_comms().lock() {
            m.insert(pid, c);
        }
    }
}

/// [`pid_with_comm`] for a tracee (a line's prefix, its `+++ exited` line): a tracee not
/// seen before (one [`remember_comm`] did not catch) has its name kept now, so that a line
/// printed after it is gone still names it, as strace's `tcb` does.
pub fn tracee_pid_with_comm(out: &mut String, pid: i32) {
    if pid > 0 {
        let known = tracee_comms().lock().map_or(true, |m| m.contains_key(&pid));
        if !known {
            remember_comm(pid);
        }
    }
    pid_with_comm(out, pid);
}

/// `PID<comm>` for `-Y`: the name `/proc` gives; for a tracee that is gone, the last name
/// seen (as in strace); else the number alone (a reaped child that was not traced, as
/// strace's `printpid` prints it).
pub fn pid_with_comm(out: &mut String, pid: i32) {
    let _ = write!(out, "{pid}");
    if pid <= 0 {
        return;
    }
    let name = match read_comm(pid) {
        Some(c) => {
            if let Ok(mut m) = tracee_comms().lock() {
                if let Some(seen) = m.get_mut(&pid) {
                    seen.clone_from(&c);
                }
            }
            Some(c)
        }
        None => tracee_comms()
            .lock()
            .ok()
            .and_then(|m| m.get(&pid).cloned()),
    };
    if let Some(c) = name {
        out.push('<');
        comm(out, &c);
        out.push('>');
    }
}

/// One named value.
pub type Xlat = &'static [(u64, &'static str)];

/// The name of `val` in `table`.
pub fn lookup(table: Xlat, val: u64) -> Option<&'static str> {
    table.iter().find(|(v, _)| *v == val).map(|(_, n)| *n)
}

/// Prints a constant: its name, or `val /* dflt */` (strace's `printxval`).
pub fn xval(out: &mut String, style: XlatStyle, table: Xlat, val: u64, dflt: &str, hex: bool) {
    let num = |out: &mut String| {
        if hex || style != XlatStyle::Abbrev {
            let _ = write!(out, "{}", Hx(val));
        } else {
            let _ = write!(out, "{}", val as i64 as i32);
        }
    };
    match (style, lookup(table, val)) {
        (XlatStyle::Raw, _) => num(out),
        (XlatStyle::Abbrev, Some(n)) => out.push_str(n),
        (XlatStyle::Verbose, Some(n)) => {
            num(out);
            let _ = write!(out, " /* {n} */");
        }
        (_, None) => {
            num(out);
            if !dflt.is_empty() {
                let _ = write!(out, " /* {dflt} */");
            }
        }
    }
}

/// Prints a flag set `A|B|0x40` (strace's `printflags`): `zero` when `val` is 0 and the table
/// has no zero entry; unknown bits in hex; with `dflt`, unknown bits get a `/* dflt */` comment.
pub fn flags(out: &mut String, style: XlatStyle, table: Xlat, val: u64, dflt: &str) {
    if style == XlatStyle::Raw {
        let _ = write!(out, "{}", Hx(val));
        return;
    }
    if val == 0 {
        if let Some(n) = lookup(table, 0) {
            if style == XlatStyle::Verbose {
                let _ = write!(out, "0 /* {n} */");
            } else {
                out.push_str(n);
            }
        } else {
            out.push('0');
        }
        return;
    }
    let mut names = String::new();
    let mut rest = val;
    for &(bit, name) in table {
        if bit != 0 && rest & bit == bit {
            if !names.is_empty() {
                names.push('|');
            }
            names.push_str(name);
            rest &= !bit;
        }
    }
    if style == XlatStyle::Verbose {
        let _ = write!(out, "{val:#x}");
        if !names.is_empty() {
            if rest != 0 {
                let _ = write!(names, "|{rest:#x}");
            }
            let _ = write!(out, " /* {names} */");
        } else if !dflt.is_empty() {
            let _ = write!(out, " /* {dflt} */");
        }
        return;
    }
    if names.is_empty() {
        let _ = write!(out, "{rest:#x}");
        if !dflt.is_empty() {
            let _ = write!(out, " /* {dflt} */");
        }
        return;
    }
    out.push_str(&names);
    if rest != 0 {
        let _ = write!(out, "|{rest:#x}");
    }
}

/// `%#03o`: at least three digits with the leading 0 (`000`, `004`, `0644`).
pub fn octal03(out: &mut String, n: u64) {
    let s = if n == 0 {
        String::new()
    } else {
        format!("0{n:o}")
    };
    for _ in s.len()..3 {
        out.push('0');
    }
    out.push_str(&s);
}

/// Formats `n` as strace's `%#o` for modes (`0644`, `0`).
pub fn octal(out: &mut String, n: u64) {
    if n == 0 {
        out.push('0');
    } else {
        let _ = write!(out, "0{n:o}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_matches_strace() {
        let mut s = String::new();
        quote(
            &mut s,
            b"\x7fELF\x02\x01\x01\x03\0\0a\"\\\n",
            HexMode::None,
            false,
        );
        assert_eq!(s, r#""\177ELF\2\1\1\3\0\0a\"\\\n""#);
        let mut s = String::new();
        quote(&mut s, b"\x001", HexMode::None, false);
        assert_eq!(s, r#""\0001""#);
        let mut s = String::new();
        quote(&mut s, b"ab\x01", HexMode::NonAscii, false);
        assert_eq!(s, r#""\x61\x62\x01""#);
        let mut s = String::new();
        quote(&mut s, b"ab", HexMode::NonAscii, false);
        assert_eq!(s, r#""ab""#);
    }

    #[test]
    fn flags_like_strace() {
        const T: Xlat = &[(1, "A"), (2, "B")];
        let mut s = String::new();
        flags(&mut s, XlatStyle::Abbrev, T, 7, "");
        assert_eq!(s, "A|B|0x4");
        let mut s = String::new();
        flags(&mut s, XlatStyle::Abbrev, T, 0, "");
        assert_eq!(s, "0");
        let mut s = String::new();
        flags(&mut s, XlatStyle::Verbose, T, 3, "");
        assert_eq!(s, "0x3 /* A|B */");
    }
}

/// C's `%#lx`: `0` for zero, `0x1f` otherwise.
#[derive(Debug, Clone, Copy)]
pub struct Hx(pub u64);

impl std::fmt::Display for Hx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0 == 0 {
            f.write_str("0")
        } else {
            write!(f, "{:#x}", self.0)
        }
    }
}

/// A named value in the `-X` style: `name`, `number` (raw), `number /* name */` (verbose).
pub fn named(out: &mut String, style: XlatStyle, number: &str, name: &str) {
    match style {
        XlatStyle::Abbrev => out.push_str(name),
        XlatStyle::Raw => out.push_str(number),
        XlatStyle::Verbose => {
            let _ = write!(out, "{number} /* {name} */");
        }
    }
}
