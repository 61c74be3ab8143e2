//! A big debug file with compressed DWARF (a distribution's `libc6-dbg`) read for a few
//! addresses without inflating all of it.
//!
//! blazesym inflates every DWARF section of a file at its first lookup: ~10 MB for glibc's
//! separate debug file, ~30 ms of CPU, when a heap report usually asks for a handful of libc
//! addresses (printf's buffer). Here the worker inflates the compressed sections only as far
//! as the units that cover the addresses asked about (units, abbreviation tables and line
//! programs come in the same order, so a prefix of each), and hands blazesym a copy of the
//! debug file in memory (a memfd) with those prefixes uncompressed, the small sections that
//! any unit may point into inflated whole, and the sections symbolization never reads (location
//! lists, macros, call frames) left empty. A later address beyond the prefix extends it and
//! makes a new version of the copy, which blazesym parses again; addresses known together
//! (the sites a report prints) are asked for together first (`Reducer::prepare`), which makes
//! one version for all of them. The answers are blazesym's, from the same DWARF: the units it sees are the
//! ones that cover the address (every `.debug_aranges` set naming it, and every unit before them).
//!
//! Anything unexpected (no `.debug_aranges` entry for the address, a zstd-compressed or
//! big-endian file, a supplementary file, a checksum that does not match) hands blazesym the
//! file itself, as before.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use flate2::{Decompress, FlushDecompress, Status};
use gimli::{
    DebugAbbrev, DebugAbbrevOffset, DebugAranges, DebugInfo, DebugInfoOffset, LittleEndian,
};
use object::elf::{FileHeader64, SectionHeader64};
use object::read::elf::{FileHeader as _, SectionHeader as _};
use object::read::ReadCache;
use object::Object;

type LE = object::LittleEndian;

/// Files with less compressed `.debug_info` than this are handed to blazesym whole.
const MIN_COMPRESSED_INFO: u64 = 256 << 10;

/// Sections symbolization never reads: left empty in the copy.
const UNREAD: &[&str] = &[
    ".debug_loclists",
    ".debug_loc",
    ".debug_macro",
    ".debug_macinfo",
    ".debug_frame",
    ".debug_pubnames",
    ".debug_pubtypes",
    ".debug_gnu_pubnames",
    ".debug_gnu_pubtypes",
];

/// Sections inflated as far as needed (the rest of the compressed ones are inflated whole).
const PREFIX: [&str; 3] = [".debug_info", ".debug_abbrev", ".debug_line"];

/// The reduced copies of the debug files the worker was asked about.
pub(crate) struct Reducer {
    debug_root: PathBuf,
    /// File asked about → its reduced debug file, or `None`: hand blazesym the file.
    files: HashMap<PathBuf, Option<Reduced>>,
}

impl Reducer {
    /// Debug files found by build-id under `debug_root`, as blazesym finds them.
    pub(crate) fn new(debug_root: &Path) -> Self {
        Reducer {
            debug_root: debug_root.to_owned(),
            files: HashMap::new(),
        }
    }

    /// The file blazesym should read to symbolize `addr` (a virtual address of `file`): a
    /// reduced copy of `file`'s debug file, or `None` for `file` itself.
    pub(crate) fn source_for(&mut self, file: &Path, addr: u64) -> Option<PathBuf> {
        if !self.files.contains_key(file) {
            let r = Reduced::open(file, &self.debug_root);
            self.files.insert(file.to_owned(), r);
        }
        let slot = self.files.get_mut(file)?;
        let r = slot.as_mut()?;
        match r.for_addrs(&[addr], true) {
            Ok(p) => p,
            Err(()) => {
                // Something did not parse: blazesym reads the file itself from now on.
                *slot = None;
                None
            }
        }
    }

    /// Readies the copy of `file`'s debug file for all of `addrs` (virtual addresses of
    /// `file`) at once: one version of the copy, inflated exactly as far as the farthest of
    /// them needs, which blazesym then parses once, where asking them one by one may make a
    /// version (and a parse) per address. [`source_for`](Self::source_for) then answers them
    /// from that version.
    pub(crate) fn prepare(&mut self, file: &Path, addrs: &[u64]) {
        if !self.files.contains_key(file) {
            let r = Reduced::open(file, &self.debug_root);
            self.files.insert(file.to_owned(), r);
        }
        let Some(slot) = self.files.get_mut(file) else {
            return;
        };
        if let Some(r) = slot.as_mut() {
            if r.for_addrs(addrs, false).is_err() {
                *slot = None;
            }
        }
    }

    /// Forgets `file`'s reduced copy (blazesym failed on it): the file itself from now on.
    pub(crate) fn give_up(&mut self, file: &Path) {
        self.files.insert(file.to_owned(), None);
    }
}

/// The debug file that blazesym would read for `file`: the one its `.gnu_debuglink` names,
/// found by build-id under `root` (blazesym's first place) with the link's checksum, or
/// without a debug link, `file` itself when it holds `.debug_info`. `None` otherwise (a
/// linked file found elsewhere is left to blazesym).
pub(crate) fn debug_file_for(file: &Path, root: &Path) -> Option<PathBuf> {
    let f = File::open(file).ok()?;
    let cache = ReadCache::new(f);
    let elf = object::read::elf::ElfFile64::<LE, _>::parse(&cache).ok()?;
    let Some((_, crc)) = elf.gnu_debuglink().ok()? else {
        return elf
            .section_by_name(".debug_info")
            .is_some()
            .then(|| file.to_owned());
    };
    let id = elf.build_id().ok()??;
    if id.len() < 8 {
        return None;
    }
    let hex: String = id.iter().map(|b| format!("{b:02x}")).collect();
    let path = root
        .join(".build-id")
        .join(&hex[..2])
        .join(format!("{}.debug", &hex[2..]));
    let data = std::fs::File::open(&path).ok()?;
    // SAFETY: a read-only private mapping of a file we only read; a file changed under us
    // gives wrong bytes (a checksum that does not match), not unsoundness we rely on.
    let map = unsafe { memmap2::Mmap::map(&data) }.ok()?;
    (crc32fast::hash(&map) == crc).then_some(path)
}

/// A compressed section inflated as far as asked.
struct Stream {
    /// The zlib stream (after the compression header), or for a prefix, the deflate data in it.
    input: &'static [u8],
    dec: Decompress,
    /// A buffer of the section's full size, of which the first `done` bytes are inflated.
    out: Vec<u8>,
    done: usize,
}

impl Stream {
    /// A section that will be inflated whole: zlib's checksum of it is checked at its end.
    fn to_end(input: &'static [u8], size: usize) -> Self {
        Stream {
            input,
            dec: Decompress::new(true),
            out: vec![0; size],
            done: 0,
        }
    }

    /// A section that will be inflated as far as needed: the deflate data inside the zlib
    /// stream, inflated without the running checksum (a tenth of the inflating), which is
    /// checked only at the stream's end, seldom reached here. `None` for a zlib header
    /// that is not plain deflate.
    fn prefix(input: &'static [u8], size: usize) -> Option<Self> {
        let [cmf, flg, ..] = *input else {
            return None;
        };
        // RFC 1950: method 8 (deflate), the header's check, no preset dictionary.
        let plain = cmf & 0x0f == 8 && (u16::from(cmf) << 8 | u16::from(flg)) % 31 == 0;
        if !plain || flg & 0x20 != 0 {
            return None;
        }
        Some(Stream {
            input: &input[2..],
            dec: Decompress::new(false),
            out: vec![0; size],
            done: 0,
        })
    }

    /// Inflates until at least `n` bytes (or the whole section) are there.
    fn ensure(&mut self, n: usize) -> Result<(), ()> {
        let n = n.min(self.out.len());
        while self.done < n {
            let used = self.dec.total_in() as usize;
            let before = self.dec.total_out();
            let status = self
                .dec
                .decompress(
                    self.input.get(used..).ok_or(())?,
                    &mut self.out[self.done..n],
                    FlushDecompress::None,
                )
                .map_err(|_| ())?;
            let made = (self.dec.total_out() - before) as usize;
            self.done += made;
            if status == Status::StreamEnd && self.done < n {
                return Err(());
            }
            if made == 0 && status == Status::BufError {
                return Err(());
            }
        }
        Ok(())
    }

    fn data(&self) -> &[u8] {
        &self.out[..self.done]
    }

    fn whole(&self) -> bool {
        self.done == self.out.len()
    }
}

/// What the copy holds for one section of the debug file.
enum Content {
    /// The section's bytes as they are (not compressed, or no bytes in the file).
    Same,
    /// Left empty.
    Empty,
    /// Inflated whole.
    Whole(Vec<u8>),
    /// Inflated as far as needed: index into `Reduced::streams`.
    Prefix(usize),
}

/// One debug file, its sections inflated as far as the addresses asked so far need.
struct Reduced {
    /// The debug file, mapped.
    map: &'static [u8],
    _mapping: memmap2::Mmap,
    contents: Vec<Content>,
    /// `.debug_info`, `.debug_abbrev`, `.debug_line`.
    streams: [Stream; 3],
    /// `.debug_aranges` inflated, its section's index, and its entries: (begin, end, unit).
    aranges: Vec<u8>,
    aranges_index: usize,
    ranges: Vec<(u64, u64, usize)>,
    /// The units `.debug_aranges` names, sorted.
    listed: Vec<usize>,
    /// End of the whole units inflated.
    units_end: usize,
    /// Units whose abbreviation table and line program are inflated.
    ready: HashSet<usize>,
    /// The copy, once made.
    copy: Option<Copy>,
}

/// The debug file's copy in a memfd. Each section the copy inflates as it grows has room
/// for all of it (a hole until written), so that growing writes only the new bytes and the
/// section headers. Each version gets a path of its own (a new descriptor of the memfd):
/// blazesym keeps what it parsed of a path.
struct Copy {
    file: File,
    headers: Vec<SectionHeader64<LE>>,
    shoff: u64,
    /// Where the inflated sections start in the copy, and how much of each is written.
    at: [u64; 3],
    written: [usize; 3],
    aranges_at: u64,
    /// The descriptors naming each version; the last is the current one.
    paths: Vec<(OwnedFd, PathBuf)>,
}

/// The compression header of a section: (type, size).
fn chdr(data: &[u8]) -> Option<(u32, u64)> {
    let t = u32::from_le_bytes(data.get(..4)?.try_into().ok()?);
    let size = u64::from_le_bytes(data.get(8..16)?.try_into().ok()?);
    Some((t, size))
}

/// The end of the DWARF unit (of `.debug_info` or `.debug_line`) at `at` in `d`.
fn dwarf_unit_end(d: &[u8], at: usize) -> Result<usize, ()> {
    let b = d.get(at..at + 4).ok_or(())?;
    let len = u32::from_le_bytes(b.try_into().map_err(|_| ())?);
    let end = if len == 0xffff_ffff {
        let b = d.get(at + 4..at + 12).ok_or(())?;
        (at as u64 + 12).checked_add(u64::from_le_bytes(b.try_into().map_err(|_| ())?))
    } else {
        Some(at as u64 + 4 + u64::from(len))
    };
    end.and_then(|e| usize::try_from(e).ok()).ok_or(())
}

impl Reduced {
    fn open(file: &Path, root: &Path) -> Option<Reduced> {
        let path = debug_file_for(file, root)?;
        let f = File::open(&path).ok()?;
        // SAFETY: as in `debug_file_for`.
        let mapping = unsafe { memmap2::Mmap::map(&f) }.ok()?;
        // SAFETY: the slice points into `mapping`, which lives (unmoved: Mmap holds a pointer)
        // as long as this `Reduced`; every borrow of it is dropped with it.
        let map: &'static [u8] =
            unsafe { std::slice::from_raw_parts(mapping.as_ptr(), mapping.len()) };
        let e = object::LittleEndian;
        let hdr = FileHeader64::<LE>::parse(map).ok()?;
        if hdr.e_type.get(e) == object::elf::ET_REL {
            return None;
        }
        let sections = hdr.sections(e, map).ok()?;
        let mut contents = Vec::with_capacity(sections.len());
        let mut streams: [Option<Stream>; 3] = [None, None, None];
        let mut aranges = None;
        for (index, s) in sections.iter().enumerate() {
            let name = std::str::from_utf8(sections.section_name(e, s).ok()?).ok()?;
            if matches!(name, ".gnu_debugaltlink" | ".debug_sup") {
                return None;
            }
            let compressed = s.sh_flags(e) & u64::from(object::elf::SHF_COMPRESSED) != 0;
            if !compressed || s.sh_type(e) == object::elf::SHT_NOBITS {
                if name == ".debug_info" {
                    // Not compressed: nothing to save.
                    return None;
                }
                contents.push(Content::Same);
                continue;
            }
            let raw = s.data(e, map).ok()?;
            let (t, size) = chdr(raw)?;
            if t != object::elf::ELFCOMPRESS_ZLIB {
                return None;
            }
            let body = raw.get(24..)?;
            if name == ".debug_info" && (raw.len() as u64) < MIN_COMPRESSED_INFO {
                return None;
            }
            if UNREAD.contains(&name) {
                contents.push(Content::Empty);
            } else if let Some(i) = PREFIX.iter().position(|p| *p == name) {
                streams[i] = Some(Stream::prefix(body, usize::try_from(size).ok()?)?);
                contents.push(Content::Prefix(i));
            } else {
                let mut st = Stream::to_end(body, usize::try_from(size).ok()?);
                st.ensure(usize::MAX).ok()?;
                if name == ".debug_aranges" {
                    aranges = Some((std::mem::take(&mut st.out), index));
                    contents.push(Content::Empty);
                } else {
                    contents.push(Content::Whole(st.out));
                }
            }
        }
        let [Some(info), Some(abbrev), Some(line)] = streams else {
            return None;
        };
        let (aranges, aranges_index) = aranges?;
        let mut ranges = Vec::new();
        let mut listed = Vec::new();
        let mut headers = DebugAranges::new(&aranges, LittleEndian).headers();
        while let Ok(Some(h)) = headers.next() {
            let unit = h.debug_info_offset().0;
            listed.push(unit);
            let mut entries = h.entries();
            while let Ok(Some(a)) = entries.next() {
                let r = a.range();
                if r.end > r.begin {
                    ranges.push((r.begin, r.end, unit));
                }
            }
        }
        listed.sort_unstable();
        listed.dedup();
        Some(Reduced {
            map,
            _mapping: mapping,
            contents,
            streams: [info, abbrev, line],
            aranges,
            aranges_index,
            ranges,
            listed,
            units_end: 0,
            ready: HashSet::new(),
            copy: None,
        })
    }

    /// The copy to read `addrs` from (`None`: the file itself, when no unit covers any of
    /// them); `Err` when the DWARF does not parse as expected. `slack`: grow by more than
    /// these addresses need, as for addresses asked one by one (see [`extend`](Self::extend)).
    fn for_addrs(&mut self, addrs: &[u64], slack: bool) -> Result<Option<PathBuf>, ()> {
        let mut covering: Vec<usize> = self
            .ranges
            .iter()
            .filter(|r| addrs.iter().any(|&a| r.0 <= a && a < r.1))
            .map(|r| r.2)
            .collect();
        let Some(&last) = covering.iter().max() else {
            return Ok(None);
        };
        covering.sort_unstable();
        covering.dedup();
        self.streams[0].ensure(last + 12)?;
        let need = dwarf_unit_end(self.streams[0].data(), last)?;
        let mut changed = false;
        if need > self.units_end {
            self.extend(need, slack)?;
            changed = true;
        }
        for u in covering {
            if !self.ready.contains(&u) {
                self.prepare(u)?;
                changed = true;
            }
        }
        if changed || self.copy.is_none() {
            self.publish().map_err(|_| ())?;
        }
        Ok(self
            .copy
            .as_ref()
            .and_then(|c| c.paths.last())
            .map(|p| p.1.clone()))
    }

    /// Inflates `.debug_info` to whole units past `need` (with `slack`, a sixteenth of the
    /// section more, so that addresses asked in order do not each make a new version), and
    /// the abbreviation tables and line programs of the units added that `.debug_aranges` does
    /// not name (blazesym reads those at once; the others only when an address falls in them).
    fn extend(&mut self, need: usize, slack: bool) -> Result<(), ()> {
        let total = self.streams[0].out.len();
        let more = if slack { total / 16 } else { 0 };
        let target = need.max(self.units_end + more).min(total);
        self.streams[0].ensure(target)?;
        let mut end = self.units_end;
        let mut added = Vec::new();
        while end < total {
            self.streams[0].ensure(end + 12)?;
            let next = dwarf_unit_end(self.streams[0].data(), end)?;
            if next > target || next > self.streams[0].done {
                break;
            }
            added.push(end);
            end = next;
        }
        if end < need {
            return Err(());
        }
        self.units_end = end;
        for u in added {
            if self.listed.binary_search(&u).is_err() {
                self.prepare(u)?;
            }
        }
        Ok(())
    }

    /// Inflates the abbreviation table and the line program of the unit at `unit`.
    fn prepare(&mut self, unit: usize) -> Result<(), ()> {
        let [info, abbrev, line] = &mut self.streams;
        let info = DebugInfo::new(&info.out[..self.units_end], LittleEndian);
        let header = info
            .header_from_offset(DebugInfoOffset(unit))
            .map_err(|_| ())?;
        let at: DebugAbbrevOffset = header.debug_abbrev_offset();
        let mut more = 16 << 10;
        let abbrevs = loop {
            abbrev.ensure(at.0 + more)?;
            match DebugAbbrev::new(abbrev.data(), LittleEndian).abbreviations(at) {
                Ok(a) => break a,
                Err(gimli::Error::UnexpectedEof(_)) if !abbrev.whole() => more *= 2,
                Err(_) => return Err(()),
            }
        };
        let mut entries = header.entries(&abbrevs);
        let Ok(Some(root)) = entries.next_dfs() else {
            return Err(());
        };
        if let Some(gimli::AttributeValue::DebugLineRef(off)) =
            root.attr_value(gimli::DW_AT_stmt_list)
        {
            line.ensure(off.0 + 12)?;
            let end = dwarf_unit_end(line.data(), off.0)?;
            line.ensure(end)?;
        }
        self.ready.insert(unit);
        Ok(())
    }

    /// `.debug_aranges` with only the sets of the units the copy holds.
    fn kept_aranges(&self) -> Vec<u8> {
        let mut starts = Vec::new();
        let mut headers = DebugAranges::new(&self.aranges, LittleEndian).headers();
        while let Ok(Some(h)) = headers.next() {
            starts.push((h.offset().0, h.debug_info_offset().0));
        }
        let mut out = Vec::with_capacity(self.aranges.len());
        for (i, &(at, unit)) in starts.iter().enumerate() {
            let end = starts.get(i + 1).map_or(self.aranges.len(), |n| n.0);
            if unit < self.units_end {
                out.extend_from_slice(&self.aranges[at..end]);
            }
        }
        out
    }

    /// Makes the copy: the ELF and program headers, the sections that do not grow, room for
    /// the ones that do.
    fn create(&self) -> std::io::Result<Copy> {
        let bad = |_| std::io::Error::from(std::io::ErrorKind::InvalidData);
        let e = object::LittleEndian;
        let map = self.map;
        let hdr = FileHeader64::<LE>::parse(map).map_err(bad)?;
        let sections = hdr.sections(e, map).map_err(bad)?;
        let phdrs = hdr.program_headers(e, map).map_err(bad)?;
        // SAFETY: memfd_create reads a NUL-terminated name, ours.
        let fd = unsafe { libc::memfd_create(c"tracekit-debug".as_ptr(), libc::MFD_CLOEXEC) };
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: `fd` was just opened and is owned by nothing else.
        let file = File::from(unsafe { OwnedFd::from_raw_fd(fd) });
        let mut head = Vec::with_capacity(64 + std::mem::size_of_val(phdrs));
        head.extend_from_slice(object::pod::bytes_of(hdr));
        for ph in phdrs {
            head.extend_from_slice(object::pod::bytes_of(ph));
        }
        let mut off = head.len() as u64;
        let mut at = [0; 3];
        let mut aranges_at = 0;
        let mut headers: Vec<SectionHeader64<LE>> = Vec::with_capacity(sections.len());
        for (index, (s, content)) in sections.iter().zip(&self.contents).enumerate() {
            let mut h = *s;
            if matches!(content, Content::Same) {
                if s.sh_type(e) != object::elf::SHT_NOBITS {
                    let bytes = s.data(e, map).map_err(bad)?;
                    off = off.next_multiple_of(h.sh_addralign.get(e).max(1));
                    file.write_all_at(bytes, off)?;
                    h.sh_offset.set(e, off);
                    off += bytes.len() as u64;
                }
                headers.push(h);
                continue;
            }
            h.sh_flags.set(
                e,
                h.sh_flags.get(e) & !u64::from(object::elf::SHF_COMPRESSED),
            );
            h.sh_addralign.set(e, 1);
            off = off.next_multiple_of(8);
            h.sh_offset.set(e, off);
            h.sh_size.set(e, 0);
            match content {
                Content::Whole(v) => {
                    file.write_all_at(v, off)?;
                    h.sh_size.set(e, v.len() as u64);
                    off += v.len() as u64;
                }
                Content::Prefix(i) => {
                    at[*i] = off;
                    off += self.streams[*i].out.len() as u64;
                }
                _ if index == self.aranges_index => {
                    aranges_at = off;
                    off += self.aranges.len() as u64;
                }
                _ => {}
            }
            headers.push(h);
        }
        let shoff = off.next_multiple_of(8);
        let fh: &mut FileHeader64<LE> = object::pod::from_bytes_mut(&mut head[..64])
            .map_err(|()| std::io::Error::from(std::io::ErrorKind::InvalidData))?
            .0;
        fh.e_phoff.set(e, 64);
        fh.e_shoff.set(e, shoff);
        file.write_all_at(&head, 0)?;
        Ok(Copy {
            file,
            headers,
            shoff,
            at,
            written: [0; 3],
            aranges_at,
            paths: Vec::new(),
        })
    }

    /// Writes what was inflated since the last version and the section headers, and names
    /// the new version.
    fn publish(&mut self) -> std::io::Result<()> {
        if self.copy.is_none() {
            self.copy = Some(self.create()?);
        }
        let aranges = self.kept_aranges();
        let e = object::LittleEndian;
        let ends = [self.units_end, self.streams[1].done, self.streams[2].done];
        let Some(copy) = self.copy.as_mut() else {
            return Ok(());
        };
        for (index, content) in self.contents.iter().enumerate() {
            if let Content::Prefix(i) = content {
                let i = *i;
                let from = copy.written[i];
                if ends[i] > from {
                    copy.file.write_all_at(
                        &self.streams[i].out[from..ends[i]],
                        copy.at[i] + from as u64,
                    )?;
                    copy.written[i] = ends[i];
                }
                copy.headers[index].sh_size.set(e, ends[i] as u64);
            }
        }
        copy.file.write_all_at(&aranges, copy.aranges_at)?;
        copy.headers[self.aranges_index]
            .sh_size
            .set(e, aranges.len() as u64);
        let mut table = Vec::with_capacity(copy.headers.len() * 64);
        for h in &copy.headers {
            table.extend_from_slice(object::pod::bytes_of(h));
        }
        copy.file.write_all_at(&table, copy.shoff)?;
        let fd = OwnedFd::from(copy.file.try_clone()?);
        let path = PathBuf::from(format!("/proc/self/fd/{}", fd.as_raw_fd()));
        copy.paths.push((fd, path));
        Ok(())
    }
}
