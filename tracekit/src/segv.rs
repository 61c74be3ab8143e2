//! `tracekit segv -- CMD ARGS...`: runs a command with the crash handler (`preload-segv`)
//! preloaded, like glibc's old `catchsegv`. The command replaces tracekit (`exec`), so its pid,
//! exit status and death by signal are exactly its own.
//!
//! - The library is `--preload PATH` (the `.so` or its directory; `--library` is a hidden
//!   alias), else `$TRACEKIT_PRELOAD_DIR/libpreload_segv.so`, else the one next to `tracekit`.
//! - `--signals` is checked here with the handler's own parser, so a bad list is a usage error
//!   (exit 2) rather than a warning from every process and no handler at all.
//! - Exit status when the command cannot be started: 127 not found, 126 not executable.
//!
//! A hidden mode, `tracekit segv --symbolize PID -- INDEX:ADDR[!]...`, is what the crash handler
//! runs in a child process while the crashed process waits: it reads `/proc/PID/maps` and the
//! modules' symbols and prints one line per frame (`!` marks an exact pc, the others are return
//! addresses).

use std::ffi::OsString;
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::Command;

use anyhow::{bail, Context};
use tracekit_symbolize::{AddrKind, Location, ModuleMap, Symbolizer};

use crate::preload::{self, absolute, find_preload};

/// Options of `tracekit segv`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "The command replaces tracekit: its pid, output and exit status \
(or death by its signal) are its own. tracekit exits 127 when the command is not found, 126 \
when it cannot be executed, 2 on a usage error."
)]
pub struct Args {
    /// Signals to report: names with or without SIG (any case), numbers, or "all", separated
    /// by spaces or commas, e.g. "segv bus abrt" [default: SEGV BUS ILL FPE ABRT TRAP]
    #[arg(long, value_name = "LIST", value_parser = signal_list)]
    pub signals: Option<String>,
    /// Also append the report to FILE
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also record the crash in this event log (for `tracekit report`)
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
    /// Print raw frames only (no symbolizer process)
    #[arg(long)]
    pub no_symbols: bool,
    /// The crash handler library, or its directory [default: $TRACEKIT_PRELOAD_DIR, else next to tracekit]
    // `--library` was its name before it took `tracekit heap`'s; kept, hidden, for old scripts.
    #[arg(long, alias = "library", value_name = "PATH")]
    pub preload: Option<PathBuf>,
    /// Internal: symbolize the frames of crashing process PID.
    #[arg(long, hide = true, value_name = "PID")]
    pub symbolize: Option<u32>,
    /// The command to run, and its arguments (after `--`, or after the options)
    // No `allow_hyphen_values`: an unknown option before the command is a usage error, not
    // the command; once the command started, `trailing_var_arg` takes its options as its own.
    #[arg(trailing_var_arg = true, value_name = "CMD")]
    pub command: Vec<OsString>,
}

/// `--signals`, checked with the crash handler's own parser (which would otherwise warn at
/// load and handle nothing); passed on as typed.
fn signal_list(list: &str) -> Result<String, String> {
    let mut selected = [false; 65];
    let accepted = || {
        let names: Vec<&str> = tracekit_signals::SELECTABLE
            .iter()
            .map(|&(_, n)| n)
            .collect();
        format!(
            "accepted: {}, with or without SIG, in any case; their numbers; all",
            names.join(" ")
        )
    };
    match tracekit_signals::parse_signals(list, &mut selected) {
        Err(bad) => Err(format!("unknown signal {bad:?} ({})", accepted())),
        Ok(()) if !selected.contains(&true) => Err(format!("no signal given ({})", accepted())),
        Ok(()) => Ok(list.to_owned()),
    }
}

/// Runs `tracekit segv`; returns the exit status (only on failure to start the command).
pub fn run(args: Args) -> anyhow::Result<u8> {
    if let Some(pid) = args.symbolize {
        return symbolize(pid, &args.command);
    }
    let Some((prog, rest)) = args.command.split_first() else {
        bail!("segv: no command given (usage: tracekit segv [OPTIONS] -- CMD [ARGS...])");
    };
    let library = find_preload(
        preload::SEGV,
        args.preload.as_deref(),
        std::env::var_os("TRACEKIT_PRELOAD_DIR").map(PathBuf::from),
    )?;
    let mut cmd = Command::new(prog);
    cmd.args(rest);
    let mut ld_preload = library.into_os_string();
    if let Some(old) = std::env::var_os("LD_PRELOAD").filter(|v| !v.is_empty()) {
        ld_preload.push(":");
        ld_preload.push(old);
    }
    cmd.env("LD_PRELOAD", ld_preload);
    if let Some(s) = &args.signals {
        cmd.env("TRACEKIT_SEGV_SIGNALS", s);
    }
    if let Some(o) = &args.output {
        cmd.env("TRACEKIT_SEGV_OUTPUT", absolute(o.clone())?);
    }
    if let Some(l) = &args.log {
        cmd.env("TRACEKIT_LOG", absolute(l.clone())?);
    }
    if args.no_symbols {
        cmd.env("TRACEKIT_SEGV_SYMBOLIZE", "0");
    }
    // The handler looks for its symbolizer next to itself: a library found elsewhere
    // (`--preload`, TRACEKIT_PRELOAD_DIR) would print raw frames. This tracekit is the
    // symbolizer, unless the user chose another.
    if std::env::var_os("TRACEKIT_SEGV_SYMBOLIZER").is_none() {
        if let Ok(me) = std::env::current_exe() {
            cmd.env("TRACEKIT_SEGV_SYMBOLIZER", me);
        }
    }
    let err = cmd.exec();
    Ok(preload::cannot_run(prog, &err))
}

/// The hidden mode the crash handler runs: prints the frames of the crashed process `pid`.
fn symbolize(pid: u32, frames: &[OsString]) -> anyhow::Result<u8> {
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
