//! `/proc/self/maps`, read with raw system calls into a fixed buffer and parsed in place.

use tracekit_preload_sys as sys;

/// Room for the maps text; bigger processes are listed as far as it reaches.
pub const MAPS_CAP: usize = 512 * 1024;

/// One line of `/proc/PID/maps`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mapping<'a> {
    /// First address.
    pub start: u64,
    /// One past the last address.
    pub end: u64,
    /// `rwxp` flags as text.
    pub perms: [u8; 4],
    /// File offset of `start`.
    pub offset: u64,
    /// The path, `[stack]`, `[vdso]`... or empty.
    pub path: &'a [u8],
}

impl Mapping<'_> {
    /// True when `addr` is inside.
    pub fn contains(&self, addr: u64) -> bool {
        self.start <= addr && addr < self.end
    }
    /// Readable and writable (data or stack).
    pub fn is_rw(&self) -> bool {
        self.perms[0] == b'r' && self.perms[1] == b'w'
    }
    /// Executable.
    pub fn is_exec(&self) -> bool {
        self.perms[2] == b'x'
    }
    /// Backed by a file (a path that is not `[...]`).
    pub fn is_file(&self) -> bool {
        self.path.first() == Some(&b'/')
    }
    /// A module: a file or the vDSO.
    pub fn is_module(&self) -> bool {
        self.is_file() || self.path == b"[vdso]"
    }
}

/// Reads `/proc/self/maps` into `buf`; returns the bytes read (0 on failure).
pub fn read_self(buf: &mut [u8]) -> usize {
    let Ok(fd) = sys::open(b"/proc/self/maps\0", libc::O_RDONLY | libc::O_CLOEXEC, 0) else {
        return 0;
    };
    let n = sys::read_to_fill(fd, buf);
    sys::close(fd);
    // Drop a partial last line.
    match buf[..n].iter().rposition(|&b| b == b'\n') {
        Some(i) => i + 1,
        None => 0,
    }
}

/// The mappings in maps text.
pub fn parse(text: &[u8]) -> impl Iterator<Item = Mapping<'_>> {
    text.split(|&b| b == b'\n').filter_map(parse_line)
}

fn hex(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 16 {
        return None;
    }
    let mut v = 0u64;
    for &c in s {
        let d = (c as char).to_digit(16)?;
        v = v << 4 | d as u64;
    }
    Some(v)
}

fn parse_line(line: &[u8]) -> Option<Mapping<'_>> {
    // start-end perms offset dev inode [path]
    let mut fields = line.splitn(6, |&b| b == b' ');
    let range = fields.next()?;
    let perms = fields.next()?;
    let offset = fields.next()?;
    let _dev = fields.next()?;
    let _inode = fields.next()?;
    let path = fields.next().unwrap_or(b"");
    let dash = range.iter().position(|&b| b == b'-')?;
    let start = hex(&range[..dash])?;
    let end = hex(&range[dash + 1..])?;
    let path_start = path.iter().position(|&b| b != b' ').unwrap_or(path.len());
    let mut p = [b'-'; 4];
    if perms.len() < 4 {
        return None;
    }
    p.copy_from_slice(&perms[..4]);
    Some(Mapping {
        start,
        end,
        perms: p,
        offset: hex(offset)?,
        path: &path[path_start..],
    })
}

/// The mapping that holds `addr`.
pub fn find(text: &[u8], addr: u64) -> Option<Mapping<'_>> {
    parse(text).find(|m| m.contains(addr))
}

/// The first mapping above `addr`.
pub fn next_above(text: &[u8], addr: u64) -> Option<Mapping<'_>> {
    parse(text).find(|m| m.start > addr)
}

/// The load base of the module holding `addr`: the start of that file's first mapping,
/// minus its offset (what `dl_iterate_phdr` calls `dlpi_addr` for ordinary ELF files).
pub fn module_of(text: &[u8], addr: u64) -> Option<(Mapping<'_>, u64)> {
    let m = find(text, addr)?;
    if !m.is_module() {
        return None;
    }
    let first = parse(text).find(|x| x.path == m.path && x.end > x.start)?;
    Some((m, first.start.wrapping_sub(first.offset)))
}

/// One loaded module, from consecutive mappings of one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModuleSpan<'a> {
    /// Lowest address.
    pub start: u64,
    /// One past the highest address.
    pub end: u64,
    /// Load base (`start` minus the first mapping's offset).
    pub base: u64,
    /// The file.
    pub path: &'a [u8],
}

/// The loaded modules, in address order.
pub fn modules(text: &[u8]) -> impl Iterator<Item = ModuleSpan<'_>> {
    let mut it = parse(text).filter(|m| m.is_module()).peekable();
    core::iter::from_fn(move || {
        let first = it.next()?;
        let mut span = ModuleSpan {
            start: first.start,
            end: first.end,
            base: first.start.wrapping_sub(first.offset),
            path: first.path,
        };
        while let Some(next) = it.peek() {
            if next.path != span.path {
                break;
            }
            span.end = next.end;
            it.next();
        }
        Some(span)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::prelude::rust_2021::*;

    const SAMPLE: &[u8] = b"55d4c3a00000-55d4c3a01000 r--p 00000000 08:01 123 /usr/bin/prog\n\
55d4c3a01000-55d4c3a02000 r-xp 00001000 08:01 123 /usr/bin/prog\n\
55d4c3a02000-55d4c3a03000 rw-p 00002000 08:01 123 /usr/bin/prog\n\
55d4c4000000-55d4c4021000 rw-p 00000000 00:00 0                          [heap]\n\
7f0000000000-7f0000028000 r--p 00000000 08:01 9 /usr/lib/x86_64-linux-gnu/libc.so.6\n\
7f0000028000-7f000019d000 r-xp 00028000 08:01 9 /usr/lib/x86_64-linux-gnu/libc.so.6\n\
7ffc00000000-7ffc00021000 rw-p 00000000 00:00 0                          [stack]\n\
7ffc00100000-7ffc00102000 r-xp 00000000 00:00 0                          [vdso]\n";

    #[test]
    fn parses_lines_and_paths() {
        let all: Vec<_> = parse(SAMPLE).collect();
        assert_eq!(all.len(), 8);
        assert_eq!(all[3].path, b"[heap]");
        assert_eq!(all[1].offset, 0x1000);
        assert!(all[1].is_exec() && !all[1].is_rw());
        assert!(all[6].is_rw());
    }

    #[test]
    fn groups_modules_with_their_base() {
        let m: Vec<_> = modules(SAMPLE).collect();
        assert_eq!(m.len(), 3);
        assert_eq!(m[0].path, b"/usr/bin/prog");
        assert_eq!(
            (m[0].start, m[0].end, m[0].base),
            (0x55d4c3a00000, 0x55d4c3a03000, 0x55d4c3a00000)
        );
        assert_eq!(m[2].path, b"[vdso]");
    }

    #[test]
    fn finds_the_module_of_an_address() {
        let (m, base) = module_of(SAMPLE, 0x7f0000030000).unwrap();
        assert_eq!(m.offset, 0x28000);
        assert_eq!(base, 0x7f0000000000);
        assert!(module_of(SAMPLE, 0x55d4c4000010).is_none());
        assert!(find(SAMPLE, 0x10).is_none());
        assert_eq!(next_above(SAMPLE, 0x7ffbffff0000).unwrap().path, b"[stack]");
    }

    #[test]
    fn reads_its_own_maps() {
        let mut buf = vec![0u8; MAPS_CAP];
        let n = read_self(&mut buf);
        assert!(n > 0);
        let here = reads_its_own_maps as *const () as u64;
        let (m, _) = module_of(&buf[..n], here).unwrap();
        assert!(m.is_exec());
    }
}
