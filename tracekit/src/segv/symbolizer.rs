//! The crash handler's symbolizer protocol. The crash handler (`preload-segv`), while the
//! crashed process waits, starts a child that `execve`s
//! `tracekit segv --symbolize PID -- INDEX:HEXADDR[!]...` (the program named by
//! `TRACEKIT_SEGV_SYMBOLIZER`, which `tracekit segv` sets to itself): one argument per frame,
//! `INDEX` its position from the faulting frame, `HEXADDR` its address, `!` marking an exact pc
//! (the others are return addresses). This reads `/proc/PID/maps` and the modules' symbols
//! and prints one line per frame on stdout, which the handler copies into its report.

use std::ffi::OsString;
use std::io::Write;

use anyhow::Context;
use tracekit_symbolize::{AddrKind, Location, ModuleMap, Symbolizer};

/// Prints the frames of the crashed process `pid`, given as the protocol says; returns the
/// exit status.
pub fn run(pid: u32, frames: &[OsString]) -> anyhow::Result<u8> {
    let frames = frames
        .iter()
        .map(|a| parse_frame(&a.to_string_lossy()))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut map = ModuleMap::from_proc_maps(pid)
        .with_context(|| format!("cannot read the modules of process {pid}"))?;
    let mut sym = Symbolizer::new();
    let located: Vec<(usize, Location)> = frames
        .iter()
        .map(|f| {
            let kind = if f.exact {
                AddrKind::Exact
            } else {
                AddrKind::Return
            };
            (f.index, sym.symbolize(&mut map, f.addr, kind))
        })
        .collect();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    print_frames(&mut out, &located)?;
    out.flush()?;
    Ok(0)
}

/// One frame to symbolize, as the crash handler passes it: `INDEX:HEXADDR`, `!` when exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawFrame {
    /// Position from the faulting frame.
    pub index: usize,
    /// The address.
    pub addr: u64,
    /// An exact pc rather than a return address.
    pub exact: bool,
}

/// Parses `INDEX:HEXADDR[!]`.
pub fn parse_frame(s: &str) -> anyhow::Result<RawFrame> {
    let (body, exact) = match s.strip_suffix('!') {
        Some(b) => (b, true),
        None => (s, false),
    };
    let (i, a) = body
        .split_once(':')
        .with_context(|| format!("bad frame {s:?}: expected INDEX:HEXADDR"))?;
    Ok(RawFrame {
        index: i
            .parse()
            .with_context(|| format!("bad frame index in {s:?}"))?,
        addr: u64::from_str_radix(a, 16).with_context(|| format!("bad frame address in {s:?}"))?,
        exact,
    })
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Line `line` (1-based) of `file`, if the file can be read.
fn source_line(file: &str, line: u32) -> Option<String> {
    let text = std::fs::read(file).ok()?;
    let l = text
        .split(|&b| b == b'\n')
        .nth(line.checked_sub(1)? as usize)?;
    Some(String::from_utf8_lossy(l).trim_end().to_owned())
}

/// Prints symbolized frames as the crash report shows them; a gap in the indices is shown as
/// omitted frames. Under the first frame whose source file is readable, its line is quoted.
pub fn print_frames(out: &mut dyn Write, frames: &[(usize, Location)]) -> std::io::Result<()> {
    let mut prev: Option<usize> = None;
    let mut quoted = false;
    for (index, loc) in frames {
        if let Some(p) = prev {
            if *index > p + 1 {
                writeln!(out, "      ... {} frames omitted ...", index - p - 1)?;
            }
        }
        prev = Some(*index);
        let module = match &loc.module {
            Some(m) => format!("{}+{:#x}", file_name(m), loc.module_offset),
            None => "??".to_owned(),
        };
        write!(out, "  #{index:<3} {:#018x} in ", loc.addr)?;
        if loc.frames.is_empty() {
            write!(out, "??")?;
            if let Some(n) = &loc.note {
                write!(out, " ({n})")?;
            }
            writeln!(out, " ({module})")?;
            continue;
        }
        for (i, f) in loc.frames.iter().enumerate() {
            if i > 0 {
                write!(out, "{:27}in ", "")?;
            }
            write!(out, "{}", f.function)?;
            if let Some(off) = f.function_offset {
                write!(out, "+{off:#x}")?;
            }
            if let Some(file) = &f.file {
                write!(out, " at {file}")?;
                if let Some(line) = f.line {
                    write!(out, ":{line}")?;
                }
            }
            if f.inlined {
                writeln!(out, " [inlined]")?;
            } else {
                writeln!(out, " ({module})")?;
            }
        }
        if loc.frames.last().is_some_and(|f| f.inlined) {
            // An inline chain whose outer function is unknown still names its module.
            writeln!(out, "{:27}({module})", "")?;
        }
        if !quoted {
            let first = &loc.frames[0];
            if let (Some(file), Some(line)) = (&first.file, first.line) {
                if let Some(text) = source_line(file, line) {
                    writeln!(out, "{:>27} | {text}", line)?;
                    quoted = true;
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracekit_symbolize::Frame;

    #[test]
    fn parses_frames() {
        assert_eq!(
            parse_frame("3:7f00aa!").unwrap(),
            RawFrame {
                index: 3,
                addr: 0x7f00aa,
                exact: true
            }
        );
        assert!(!parse_frame("0:10").unwrap().exact);
        assert!(parse_frame("zz").is_err());
        assert!(parse_frame("1:xyz").is_err());
    }

    fn frame(function: &str, off: Option<u64>, file: &str, line: u32, inlined: bool) -> Frame {
        Frame {
            function: function.into(),
            function_offset: off,
            file: Some(file.into()),
            line: Some(line),
            column: None,
            inlined,
        }
    }

    #[test]
    fn prints_frames_with_inlining_and_gaps() {
        let frames = vec![
            (
                0,
                Location {
                    addr: 0x5555_0000_114b,
                    module: Some("/tmp/prog".into()),
                    module_offset: 0x114b,
                    frames: vec![
                        frame("helper", None, "/src/p.c", 3, true),
                        frame("walk", Some(0xb), "/src/p.c", 9, false),
                    ],
                    note: None,
                },
            ),
            (
                7,
                Location {
                    addr: 0x10,
                    module: None,
                    module_offset: 0,
                    frames: vec![],
                    note: Some("address is in no known module".into()),
                },
            ),
        ];
        let mut out = Vec::new();
        print_frames(&mut out, &frames).unwrap();
        let text = String::from_utf8(out).unwrap();
        let expected = "  #0   0x000055550000114b in helper at /src/p.c:3 [inlined]
                           in walk+0xb at /src/p.c:9 (prog+0x114b)
      ... 6 frames omitted ...
  #7   0x0000000000000010 in ?? (address is in no known module) (??)
";
        assert_eq!(text, expected);
    }

    #[test]
    fn quotes_the_first_readable_source_line() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("p.c");
        std::fs::write(&src, "int main(void) {\n    *(int *)0 = 1;  \n}\n").unwrap();
        let src = src.to_str().unwrap();
        let loc = |file: &str, line| Location {
            addr: 0x1000,
            module: Some("/tmp/prog".into()),
            module_offset: 0x1000,
            frames: vec![frame("main", Some(4), file, line, false)],
            note: None,
        };
        let frames = vec![
            (0, loc("/nonexistent.c", 1)),
            (1, loc(src, 2)),
            (2, loc(src, 1)),
        ];
        let mut out = Vec::new();
        print_frames(&mut out, &frames).unwrap();
        let text = String::from_utf8(out).unwrap();
        let quoted: Vec<&str> = text.lines().filter(|l| l.contains(" | ")).collect();
        assert_eq!(quoted, [format!("{:>27} | {}", 2, "    *(int *)0 = 1;")]);
    }
}
