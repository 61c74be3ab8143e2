//! What `/proc/PID` says about a tracee: its mappings and its auxiliary vector.

use std::io;
use std::path::PathBuf;

/// One file-backed mapping of `/proc/PID/maps`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    /// Start address.
    pub start: u64,
    /// End address (exclusive).
    pub end: u64,
    /// File offset.
    pub offset: u64,
    /// The file.
    pub path: PathBuf,
}

/// Parses the text of `/proc/PID/maps`, keeping file-backed mappings.
pub fn parse_maps(text: &str) -> Vec<Mapping> {
    text.lines()
        .filter_map(|line| {
            let mut f = line.split_whitespace();
            let range = f.next()?;
            let _perms = f.next()?;
            let offset = u64::from_str_radix(f.next()?, 16).ok()?;
            let _dev = f.next()?;
            let _inode = f.next()?;
            let path = f.collect::<Vec<_>>().join(" ");
            if !path.starts_with('/') || path.ends_with(" (deleted)") {
                return None;
            }
            let (a, b) = range.split_once('-')?;
            Some(Mapping {
                start: u64::from_str_radix(a, 16).ok()?,
                end: u64::from_str_radix(b, 16).ok()?,
                offset,
                path: PathBuf::from(path),
            })
        })
        .collect()
}

/// The tracee's file-backed mappings.
pub fn maps(pid: i32) -> io::Result<Vec<Mapping>> {
    Ok(parse_maps(&std::fs::read_to_string(format!(
        "/proc/{pid}/maps"
    ))?))
}

/// The thread is in a ptrace stop (state `t` in `/proc/TID/stat`), or gone.
pub fn is_trace_stopped(tid: i32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{tid}/stat")) else {
        return true;
    };
    // The state follows the command name, which is in parentheses and may contain anything.
    stat.rfind(')')
        .and_then(|i| stat[i + 1..].split_whitespace().next())
        .is_none_or(|state| state == "t" || state == "Z" || state == "X")
}

/// One entry of the auxiliary vector.
pub fn auxv(pid: i32, key: u64) -> io::Result<Option<u64>> {
    let data = std::fs::read(format!("/proc/{pid}/auxv"))?;
    Ok(data
        .chunks_exact(16)
        .map(|c| {
            (
                u64::from_ne_bytes(c[..8].try_into().unwrap()),
                u64::from_ne_bytes(c[8..].try_into().unwrap()),
            )
        })
        .find(|&(k, _)| k == key)
        .map(|(_, v)| v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_file_mappings() {
        let m = parse_maps(
            "55d0-55d1 r--p 00000000 08:01 42 /usr/bin/x y\n\
             7f00-7f10 r-xp 00001000 08:01 43 /lib/libc.so.6\n\
             7ff0-7ff1 rw-p 00000000 00:00 0 [stack]\n",
        );
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].path, PathBuf::from("/usr/bin/x y"));
        assert_eq!((m[1].start, m[1].offset), (0x7f00, 0x1000));
    }

    #[test]
    fn our_own_entry_point_is_in_the_auxv() {
        let entry = auxv(std::process::id() as i32, libc::AT_ENTRY).unwrap();
        assert!(entry.is_some_and(|e| e != 0));
    }
}
