//! Module maps: which loaded file holds a runtime address, from a log's `Module` records or
//! from a live process's `/proc/PID/maps`.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fs::File;
use std::io;
use std::path::Path;

use object::elf;
use object::read::elf::{ElfFile64, FileHeader, ProgramHeader};
use object::{Endianness, Object, ReadCache};
use tracekit_log::{Bytes, Module, Segment};

/// The PT_LOAD segments and build-id of an ELF file on disk.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ElfInfo {
    /// Loadable segments.
    pub segments: Vec<Segment>,
    /// GNU build-id, empty when the file has none.
    pub build_id: Vec<u8>,
}

/// Reads the loadable segments and build-id of the ELF file at `path`, reading only the
/// headers it needs.
pub fn elf_info(path: &Path) -> io::Result<ElfInfo> {
    let file = File::open(path)?;
    let cache = ReadCache::new(file);
    let bad = |e: object::Error| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{}: {e}", path.display()),
        )
    };
    let elf = ElfFile64::<Endianness, _>::parse(&cache).map_err(bad)?;
    let endian = elf.endian();
    let mut segments = Vec::new();
    for ph in elf
        .elf_header()
        .program_headers(endian, &cache)
        .map_err(bad)?
    {
        if ph.p_type(endian) == elf::PT_LOAD {
            segments.push(Segment {
                vaddr: ph.p_vaddr(endian),
                memsz: ph.p_memsz(endian),
                file_offset: ph.p_offset(endian),
                flags: ph.p_flags(endian),
            });
        }
    }
    let build_id = elf
        .build_id()
        .ok()
        .flatten()
        .map(<[u8]>::to_vec)
        .unwrap_or_default();
    Ok(ElfInfo { segments, build_id })
}

/// Loaded modules, looked up by runtime address.
#[derive(Debug, Default, Clone)]
pub struct ModuleMap {
    modules: Vec<Module<'static>>,
    /// (start, end, index into `modules`), sorted by start; rebuilt lazily.
    ranges: Vec<(u64, u64, usize)>,
    dirty: bool,
}

impl ModuleMap {
    /// An empty map.
    pub fn new() -> Self {
        ModuleMap::default()
    }

    /// Adds a module. A later module overlapping an earlier one (a library loaded where an
    /// unloaded one was) takes precedence for the overlapping addresses.
    pub fn push(&mut self, module: Module<'static>) {
        self.modules.push(module);
        self.dirty = true;
    }

    /// Forgets the module loaded at `base` (after `dlclose`).
    pub fn remove_base(&mut self, base: u64) {
        self.modules.retain(|m| m.base != base);
        self.dirty = true;
    }

    /// Every module, in the order added.
    pub fn modules(&self) -> &[Module<'static>] {
        &self.modules
    }

    fn index(&mut self) {
        if !self.dirty {
            return;
        }
        self.ranges.clear();
        for (i, m) in self.modules.iter().enumerate() {
            for s in m.segments.iter() {
                let start = m.base.wrapping_add(s.vaddr);
                self.ranges.push((start, start.saturating_add(s.memsz), i));
            }
        }
        // Later modules win: sort by start, then by index descending.
        self.ranges
            .sort_by(|a, b| a.0.cmp(&b.0).then(b.2.cmp(&a.2)));
        self.dirty = false;
    }

    /// The module whose segments hold runtime address `addr`.
    pub fn find(&mut self, addr: u64) -> Option<&Module<'static>> {
        self.index();
        let upto = self.ranges.partition_point(|r| r.0 <= addr);
        // Segments don't overlap within a module; scan back over the few that start before.
        let hit = self.ranges[..upto]
            .iter()
            .rev()
            .take(64)
            .filter(|r| addr < r.1)
            .max_by_key(|r| r.2)?;
        Some(&self.modules[hit.2])
    }

    /// The modules of a live process, from `/proc/PID/maps` and each file's ELF headers.
    /// Mappings of files that are not ELF (fonts, locale archives) are left out.
    pub fn from_proc_maps(pid: u32) -> io::Result<ModuleMap> {
        let maps = std::fs::read_to_string(format!("/proc/{pid}/maps"))?;
        Ok(Self::from_maps_text(&maps, |p| elf_info(p).ok()))
    }

    /// Builds a map from the text of a `/proc/PID/maps` file; `info` reads a path's ELF headers.
    pub fn from_maps_text(maps: &str, mut info: impl FnMut(&Path) -> Option<ElfInfo>) -> ModuleMap {
        let mut map = ModuleMap::new();
        let mut seen: HashMap<&str, Option<ElfInfo>> = HashMap::new();
        let mut done: Vec<&str> = Vec::new();
        for line in maps.lines() {
            let Some(m) = parse_maps_line(line) else {
                continue;
            };
            if !m.path.starts_with('/') || done.contains(&m.path) {
                continue;
            }
            let Some(elf) = seen
                .entry(m.path)
                .or_insert_with(|| info(Path::new(m.path)))
                .as_ref()
            else {
                continue;
            };
            // The segment this mapping's file offset falls in gives the load bias.
            let page = 0xfff;
            let Some(seg) = elf.segments.iter().find(|s| {
                s.file_offset & !page <= m.offset && m.offset < (s.file_offset + s.memsz.max(1))
            }) else {
                continue;
            };
            let base = m.start.wrapping_sub(
                (seg.vaddr & !page).wrapping_add(m.offset - (seg.file_offset & !page)),
            );
            map.push(Module {
                time_ns: 0,
                base,
                path: Bytes::owned(m.path.as_bytes().to_vec()),
                build_id: Cow::Owned(elf.build_id.clone()),
                segments: Cow::Owned(elf.segments.clone()),
            });
            done.push(m.path);
        }
        map
    }
}

/// One line of `/proc/PID/maps`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MapsLine<'a> {
    /// Start address.
    pub start: u64,
    /// End address (exclusive).
    pub end: u64,
    /// Permissions, e.g. `r-xp`.
    pub perms: &'a str,
    /// File offset.
    pub offset: u64,
    /// Path or pseudo-name (`[stack]`), empty for anonymous mappings.
    pub path: &'a str,
}

/// Parses one line of `/proc/PID/maps`.
pub fn parse_maps_line(line: &str) -> Option<MapsLine<'_>> {
    let mut it = line.splitn(6, ' ');
    let range = it.next()?;
    let perms = it.next()?;
    let offset = u64::from_str_radix(it.next()?, 16).ok()?;
    let _dev = it.next()?;
    let _inode = it.next()?;
    let path = it.next().unwrap_or("").trim_start();
    let (s, e) = range.split_once('-')?;
    Some(MapsLine {
        start: u64::from_str_radix(s, 16).ok()?,
        end: u64::from_str_radix(e, 16).ok()?,
        perms,
        offset,
        path,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_maps_lines() {
        let l = "7f1c2a000000-7f1c2a028000 r--p 00000000 fe:01 1234   /usr/lib/x86_64-linux-gnu/libc.so.6";
        let m = parse_maps_line(l).unwrap();
        assert_eq!(m.start, 0x7f1c2a000000);
        assert_eq!(m.end, 0x7f1c2a028000);
        assert_eq!(m.perms, "r--p");
        assert_eq!(m.path, "/usr/lib/x86_64-linux-gnu/libc.so.6");
        let anon = parse_maps_line("7ffd1000-7ffd2000 rw-p 00000000 00:00 0 ").unwrap();
        assert_eq!(anon.path, "");
    }

    #[test]
    fn own_process_map_finds_this_function() {
        let mut map = ModuleMap::from_proc_maps(std::process::id()).unwrap();
        let here = own_process_map_finds_this_function as fn() as usize as u64;
        let m = map.find(here).expect("our own code is in a module");
        let exe = std::env::current_exe().unwrap();
        assert_eq!(Path::new(&*m.path.to_string_lossy()), exe);
        assert!(!m.build_id.is_empty(), "rustc links with a build-id");
        let libc = libc_addr();
        assert!(map
            .find(libc)
            .unwrap()
            .path
            .to_string_lossy()
            .contains("libc.so"));
        assert!(map.find(0x10).is_none());
    }

    fn libc_addr() -> u64 {
        extern "C" {
            fn getpid() -> i32;
        }
        getpid as unsafe extern "C" fn() -> i32 as usize as u64
    }

    #[test]
    fn later_module_wins_where_they_overlap() {
        let seg = |vaddr, memsz| Segment {
            vaddr,
            memsz,
            file_offset: 0,
            flags: 5,
        };
        let module = |base, path: &str| Module {
            time_ns: 0,
            base,
            path: Bytes::owned(path.as_bytes().to_vec()),
            build_id: Cow::Owned(vec![]),
            segments: Cow::Owned(vec![seg(0, 0x1000), seg(0x2000, 0x1000)]),
        };
        let mut map = ModuleMap::new();
        map.push(module(0x10000, "/a"));
        map.push(module(0x10000, "/b"));
        assert_eq!(map.find(0x10010).unwrap().path.as_bytes(), b"/b");
        assert_eq!(map.find(0x12fff).unwrap().path.as_bytes(), b"/b");
        assert!(map.find(0x11000).is_none());
        map.remove_base(0x10000);
        assert!(map.find(0x10010).is_none());
    }
}
