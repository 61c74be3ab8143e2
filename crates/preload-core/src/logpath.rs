//! Where a log goes: `TRACEKIT_LOG` with `%p` (pid), `%e` (executable name) and `%%`, or
//! `./tracekit-<tool>.<exe>.<pid>.tklog` by default.

use crate::fmt::FixedBuf;

/// A path buffer.
pub type PathBuf = FixedBuf<4096>;

/// The last component of `path`.
pub fn file_name(path: &[u8]) -> &[u8] {
    path.rsplit(|&b| b == b'/').next().unwrap_or(path)
}

/// True when `pattern` contains `%p`, so every process gets its own file.
pub fn has_pid(pattern: &[u8]) -> bool {
    let mut i = 0;
    while i + 1 < pattern.len() {
        if pattern[i] == b'%' {
            if pattern[i + 1] == b'p' {
                return true;
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    false
}

/// Expands `pattern` for process `pid` running `exe` into `out`. Unknown `%x` sequences are
/// kept as they are.
pub fn expand(pattern: &[u8], pid: u32, exe: &[u8], out: &mut PathBuf) {
    out.clear();
    let mut i = 0;
    while i < pattern.len() {
        let c = pattern[i];
        if c == b'%' && i + 1 < pattern.len() {
            match pattern[i + 1] {
                b'p' => out.push_u64(pid.into()),
                b'e' => out.push_bytes(file_name(exe)),
                b'%' => out.push_bytes(b"%"),
                other => out.push_bytes(&[b'%', other]),
            }
            i += 2;
        } else {
            out.push_bytes(&[c]);
            i += 1;
        }
    }
}

/// The heap tracker's short name, which names its logs.
pub const HEAP: &str = "heap";

/// What every default log name starts with.
pub const PREFIX: &str = "tracekit-";

/// What follows the tool's name in a default log name: the executable, the pid.
pub const SUFFIX: &str = ".%e.%p.tklog";

/// The default pattern for `tool`: `tracekit-<tool>.%e.%p.tklog`. One name however the tool was
/// started: preloaded by hand (in the current directory) or by `tracekit` (in its run
/// directory, see `tracekit heap`).
pub fn default_pattern(tool: &[u8], out: &mut FixedBuf<256>) {
    out.clear();
    out.push_bytes(PREFIX.as_bytes());
    out.push_bytes(tool);
    out.push_bytes(SUFFIX.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::prelude::rust_2021::*;

    #[test]
    fn expands_pid_and_exe() {
        let mut out = PathBuf::new();
        expand(b"/tmp/log.%e.%p.%%.%x", 42, b"/usr/bin/sort", &mut out);
        assert_eq!(out.as_bytes(), b"/tmp/log.sort.42.%.%x");
        assert!(has_pid(b"a%pb"));
        assert!(!has_pid(b"a%%pb"));
        let mut pat = FixedBuf::<256>::new();
        default_pattern(HEAP.as_bytes(), &mut pat);
        expand(pat.as_bytes(), 7, b"ls", &mut out);
        assert_eq!(out.as_bytes(), b"tracekit-heap.ls.7.tklog");
    }
}
