//! ltrace's command line, parsed into a [`Config`].

use std::ffi::OsString;

use crate::Config;

/// What the command line asks for.
#[derive(Debug)]
pub enum Action {
    /// Trace.
    Run(Box<Config>),
    /// `-h`.
    Help,
    /// `-V`.
    Version,
}

/// The usage text.
pub const USAGE: &str = "\
Usage: ltrace-rs [option ...] [command [arg ...]]
Trace library calls of a given program.

  -A MAXELTS          maximum number of array elements to print.
  -b, --no-signals    don't print signals.
      --backend=KIND  preload (in-process, the default where it can: a program ltrace-rs
                      starts, without -S/-x/-w/-l, nor -f of one that forks) or ptrace.
  -c                  count time and calls, and report a summary on exit.
  -C, --demangle      decode low-level symbol names into user-level names.
  -e FILTER           modify which library calls to trace (malloc+free, !strlen, *@libc.so*).
  -f                  trace children (fork() and clone()).
  -F, --config=FILE   load an alternate prototype file (may be repeated); a function no
                      file declares is typed from the DWARF of the module defining it.
      --no-dwarf      don't: print those with ltrace's defaults.
  -i                  print instruction pointer at time of library call.
  -l, --library=LIB   only trace symbols implemented by this library.
  -L                  do not display library calls.
      --log=FILE      record the calls in the common event log FILE too.
  -n, --indent=NR     indent output by NR spaces for each call level nesting.
  -o, --output=FILE   write the trace output to file with given name.
  -p PID              attach to the process with the process ID pid.
  -r                  print relative timestamps.
  -s STRSIZE          specify the maximum string size to print.
  -S                  trace system calls as well as library calls.
  -t, -tt, -ttt       print absolute timestamps.
  -T                  show the time spent inside each call.
  -w, --where=NR      print backtrace showing NR stack frames at most.
      --wait-spin=auto|off|USEC  (ptrace) poll for the next stop this long before
                      sleeping; auto: up to 100 us while polling pays.
  -x NAME             trace the program's own symbol NAME (a glob) at its entry.
  -h, --help          display this help and exit.
  -V, --version       output version information and exit.
";

/// Parses the arguments after the program name. Errors are ltrace's messages.
pub fn parse(args: Vec<OsString>) -> Result<Action, String> {
    let args: Vec<String> = args
        .into_iter()
        .map(|a| {
            a.into_string()
                .map_err(|_| "arguments must be UTF-8".to_owned())
        })
        .collect::<Result<_, _>>()?;
    let mut cfg = Config::default();
    let mut i = 0;
    let mut time = 0u8;
    while i < args.len() {
        let a = &args[i];
        if a == "--" {
            i += 1;
            break;
        }
        if !a.starts_with('-') || a == "-" {
            break;
        }
        i += 1;
        if let Some(long) = a.strip_prefix("--") {
            let (name, val) = match long.split_once('=') {
                Some((n, v)) => (n, Some(v.to_owned())),
                None => (long, None),
            };
            let value = |i: &mut usize| -> Result<String, String> {
                if let Some(v) = val.clone() {
                    return Ok(v);
                }
                let v = args
                    .get(*i)
                    .cloned()
                    .ok_or_else(|| format!("option '--{name}' requires an argument"))?;
                *i += 1;
                Ok(v)
            };
            match name {
                "help" => return Ok(Action::Help),
                "version" => return Ok(Action::Version),
                "demangle" => cfg.demangle = true,
                "no-signals" => cfg.no_signals = true,
                "config" => cfg.config_files.push(value(&mut i)?.into()),
                "no-dwarf" => cfg.no_dwarf = true,
                "log" => cfg.log = Some(value(&mut i)?.into()),
                "backend" => {
                    cfg.backend = match value(&mut i)?.as_str() {
                        "ptrace" => crate::inproc::Backend::Ptrace,
                        "preload" | "inproc" => crate::inproc::Backend::Preload,
                        other => {
                            return Err(format!(
                                "--backend: '{other}' is neither ptrace nor preload"
                            ))
                        }
                    }
                }
                "output" => cfg.output = Some(value(&mut i)?.into()),
                "library" => cfg.filter.add_library(&value(&mut i)?),
                "indent" => cfg.layout.indent = number(&value(&mut i)?)?,
                "where" => cfg.backtrace = number(&value(&mut i)?)?,
                "wait-spin" => {
                    let v = value(&mut i)?;
                    cfg.wait_spin = tracekit_ptrace::Spin::parse(&v)
                        .ok_or_else(|| format!("invalid --wait-spin argument: '{v}'"))?;
                }
                _ => return Err(format!("unrecognized option '--{name}'")),
            }
            continue;
        }
        let flags: Vec<char> = a[1..].chars().collect();
        let mut k = 0;
        while k < flags.len() {
            let c = flags[k];
            k += 1;
            let takes = matches!(
                c,
                'e' | 'o' | 'p' | 's' | 'n' | 'l' | 'x' | 'u' | 'a' | 'A' | 'D' | 'F' | 'w'
            );
            let val = if takes {
                let rest: String = flags[k..].iter().collect();
                k = flags.len();
                if !rest.is_empty() {
                    rest
                } else {
                    let v = args
                        .get(i)
                        .cloned()
                        .ok_or_else(|| format!("option requires an argument -- '{c}'"))?;
                    i += 1;
                    v
                }
            } else {
                String::new()
            };
            match c {
                'c' => cfg.count = true,
                'S' => cfg.syscalls = true,
                'b' => cfg.no_signals = true,
                'C' => cfg.demangle = true,
                'f' => cfg.follow = true,
                'i' => cfg.layout.ip = true,
                'L' => cfg.no_libs = true,
                'r' => cfg.layout.relative = true,
                't' => time += 1,
                'T' => cfg.layout.time_spent = true,
                'h' => return Ok(Action::Help),
                'V' => return Ok(Action::Version),
                'e' => cfg.filter.add_expr(&val),
                'o' => cfg.output = Some(val.into()),
                'p' => cfg.pids.push(number(&val)? as i32),
                's' => cfg.strsize = number(&val)?,
                'A' => cfg.arraylen = number(&val)?,
                'w' => cfg.backtrace = number(&val)?,
                'n' => cfg.layout.indent = number(&val)?,
                'l' => cfg.filter.add_library(&val),
                'x' => cfg.syms.push(val),
                'F' => cfg.config_files.push(val.into()),
                'a' | 'D' | 'u' => return Err(format!("option -{c} is not supported yet")),
                _ => return Err(format!("invalid option -- '{c}'")),
            }
        }
    }
    cfg.layout.time = time.min(3);
    if cfg.layout.relative && time > 0 {
        return Err("Options -r and -t can't be used together".into());
    }
    cfg.command = args[i..].to_vec();
    if cfg.command.is_empty() && cfg.pids.is_empty() {
        return Err("too few arguments".into());
    }
    if cfg.follow {
        cfg.layout.pid = true;
    }
    Ok(Action::Run(Box::new(cfg)))
}

fn number(s: &str) -> Result<usize, String> {
    s.parse().map_err(|_| format!("invalid number '{s}'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(args: &[&str]) -> Config {
        match parse(args.iter().map(OsString::from).collect()).unwrap() {
            Action::Run(c) => *c,
            a => panic!("{a:?}"),
        }
    }

    #[test]
    fn options_like_ltrace() {
        let c = cfg(&[
            "-c",
            "-fs10",
            "-e",
            "malloc+free",
            "-tt",
            "-o",
            "out",
            "ls",
            "-l",
        ]);
        assert!(c.count && c.follow && c.layout.pid);
        assert_eq!(c.strsize, 10);
        assert_eq!(c.layout.time, 2);
        assert_eq!(c.command, vec!["ls", "-l"]);
        assert!(c.filter.matches("malloc", "libc.so.6") && !c.filter.matches("puts", "libc.so.6"));
        assert!(parse(vec!["-r".into(), "-t".into(), "ls".into()]).is_err());
        assert!(parse(vec![]).is_err());
        assert_eq!(cfg(&["-p", "12"]).pids, vec![12]);
        let c = cfg(&["-Sb", "ls"]);
        assert!(c.syscalls && c.no_signals && !c.no_dwarf);
        assert!(cfg(&["--no-dwarf", "ls"]).no_dwarf);
    }
}
