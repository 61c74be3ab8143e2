//! The module map of the running process, from `dl_iterate_phdr`: every loaded object's
//! path, load bias, GNU build-id and `PT_LOAD` segments, as [`tracekit_log_core::Module`] records.
//!
//! Nothing here allocates: segments go into a fixed array, the build-id and the path are
//! borrowed from the loaded image and the loader's own strings.

use alloc::borrow::Cow;
use core::ffi::{c_int, c_void, CStr};

use tracekit_log_core::{Bytes, Module, Segment};
use tracekit_preload_sys as sys;

/// At most this many `PT_LOAD` segments are recorded per module (real objects have 2 to 5).
pub const MAX_SEGMENTS: usize = 16;

struct Ctx<'a> {
    f: &'a mut dyn FnMut(&Module<'_>),
    exe: &'a [u8],
    time_ns: u64,
}

/// Calls `f` with every loaded module, the main program first. `exe` is the path used for the
/// main program (whose loader name is empty); `time_ns` goes into each record.
///
/// `f` runs with the loader's lock held: it must not call `dlopen` or `dlclose`.
pub fn for_each(exe: &[u8], time_ns: u64, f: &mut dyn FnMut(&Module<'_>)) {
    let mut ctx = Ctx { f, exe, time_ns };
    // SAFETY: the callback only reads the phdr info the loader passes for the duration of
    // the call, and `ctx` outlives dl_iterate_phdr.
    unsafe { libc::dl_iterate_phdr(Some(callback), (&mut ctx as *mut Ctx<'_>).cast()) };
}

/// The loader's counts of objects ever loaded and unloaded: when they have not changed, the
/// module map has not either.
pub fn generation() -> (u64, u64) {
    unsafe extern "C" fn first(
        info: *mut libc::dl_phdr_info,
        _: usize,
        data: *mut c_void,
    ) -> c_int {
        // SAFETY: the loader passes an info valid for the duration of this call.
        let info = unsafe { &*info };
        // SAFETY: `data` is `&mut g` from `generation`, a live, aligned `(u64, u64)` that
        // nothing else touches during `dl_iterate_phdr`.
        let out = unsafe { &mut *data.cast::<(u64, u64)>() };
        *out = (info.dlpi_adds, info.dlpi_subs);
        1
    }
    let mut g = (0u64, 0u64);
    // SAFETY: `first` writes only to `g`, which outlives the call.
    unsafe { libc::dl_iterate_phdr(Some(first), (&mut g as *mut (u64, u64)).cast()) };
    g
}

unsafe extern "C" fn callback(
    info: *mut libc::dl_phdr_info,
    _size: usize,
    data: *mut c_void,
) -> c_int {
    // SAFETY: dl_iterate_phdr passes a valid info for the duration of the call.
    let info = unsafe { &*info };
    // SAFETY: `data` is the `Ctx` that `for_each` lent to dl_iterate_phdr: alive until it
    // returns, and reached only through this pointer meanwhile.
    let ctx = unsafe { &mut *data.cast::<Ctx<'_>>() };
    let phdrs: &[libc::Elf64_Phdr] = if info.dlpi_phdr.is_null() {
        &[]
    } else {
        // SAFETY: the loader guarantees dlpi_phnum headers at dlpi_phdr.
        unsafe { core::slice::from_raw_parts(info.dlpi_phdr, info.dlpi_phnum as usize) }
    };
    let name: &[u8] = if info.dlpi_name.is_null() {
        b""
    } else {
        // SAFETY: the loader's name is a NUL-terminated string that lives with the object.
        unsafe { CStr::from_ptr(info.dlpi_name) }.to_bytes()
    };
    let mut segments = [Segment::default(); MAX_SEGMENTS];
    let mut n = 0;
    let mut build_id: &[u8] = &[];
    for ph in phdrs {
        match ph.p_type {
            libc::PT_LOAD if n < MAX_SEGMENTS => {
                segments[n] = Segment {
                    vaddr: ph.p_vaddr,
                    memsz: ph.p_memsz,
                    file_offset: ph.p_offset,
                    flags: ph.p_flags,
                };
                n += 1;
            }
            libc::PT_NOTE if build_id.is_empty() => {
                let start = info.dlpi_addr.wrapping_add(ph.p_vaddr) as *const u8;
                // SAFETY: a PT_NOTE segment lies inside a loaded, readable PT_LOAD segment.
                let notes = unsafe { core::slice::from_raw_parts(start, ph.p_memsz as usize) };
                build_id = find_build_id(notes).unwrap_or(&[]);
            }
            _ => {}
        }
    }
    if n == 0 {
        return 0;
    }
    let path: &[u8] = if name.is_empty() {
        ctx.exe
    } else if name.starts_with(b"linux-vdso") || name.starts_with(b"linux-gate") {
        b"[vdso]"
    } else {
        name
    };
    let m = Module {
        time_ns: ctx.time_ns,
        base: info.dlpi_addr,
        path: Bytes::borrowed(path),
        build_id: Cow::Borrowed(build_id),
        segments: Cow::Borrowed(&segments[..n]),
    };
    (ctx.f)(&m);
    0
}

/// Most modules a [`Snapshot`] holds.
pub const SNAPSHOT_MODULES: usize = 512;
/// Bytes of paths a [`Snapshot`] holds.
const SNAPSHOT_PATHS: usize = 128 << 10;
/// Longest build-id kept (GNU build-ids are 20 bytes; 16 to 64 exist).
pub const MAX_BUILD_ID: usize = 64;

#[derive(Clone, Copy)]
struct Entry {
    base: u64,
    path: (u32, u32),
    build_id: [u8; MAX_BUILD_ID],
    build_id_len: u8,
    segments: [Segment; MAX_SEGMENTS],
    nsegments: u8,
}

const NO_SEGMENT: Segment = Segment {
    vaddr: 0,
    memsz: 0,
    file_offset: 0,
    flags: 0,
};

const EMPTY: Entry = Entry {
    base: 0,
    path: (0, 0),
    build_id: [0; MAX_BUILD_ID],
    build_id_len: 0,
    segments: [NO_SEGMENT; MAX_SEGMENTS],
    nsegments: 0,
};

/// The module map copied out of the loader, for a forked child: the child must not call
/// `dl_iterate_phdr` (another thread of the parent may have held the loader's lock at the
/// fork, in the middle of a `dlopen`, and the child would wait for it forever), so the parent
/// takes this copy in its atfork prepare handler and the child writes it. Fixed size, in
/// `.bss`: nothing is allocated, and untouched pages cost nothing.
pub struct Snapshot {
    entries: [Entry; SNAPSHOT_MODULES],
    n: usize,
    paths: [u8; SNAPSHOT_PATHS],
    used: usize,
}

impl core::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Snapshot")
            .field("modules", &self.n)
            .finish()
    }
}

impl Default for Snapshot {
    fn default() -> Self {
        Self::new()
    }
}

impl Snapshot {
    /// An empty snapshot.
    pub const fn new() -> Self {
        Snapshot {
            entries: [EMPTY; SNAPSHOT_MODULES],
            n: 0,
            paths: [0; SNAPSHOT_PATHS],
            used: 0,
        }
    }

    /// Copies the loaded modules (calls `dl_iterate_phdr`: not in a forked child).
    pub fn take(&mut self, exe: &[u8]) {
        self.n = 0;
        self.used = 0;
        for_each(exe, 0, &mut |m| self.push(m));
    }

    fn push(&mut self, m: &Module<'_>) {
        let path = m.path.as_bytes();
        if self.n == SNAPSHOT_MODULES || self.used + path.len() > SNAPSHOT_PATHS {
            return;
        }
        let mut e = EMPTY;
        e.base = m.base;
        e.path = (self.used as u32, path.len() as u32);
        self.paths[self.used..self.used + path.len()].copy_from_slice(path);
        self.used += path.len();
        let bid = &m.build_id[..m.build_id.len().min(MAX_BUILD_ID)];
        e.build_id[..bid.len()].copy_from_slice(bid);
        e.build_id_len = bid.len() as u8;
        let segs = &m.segments[..m.segments.len().min(MAX_SEGMENTS)];
        e.segments[..segs.len()].copy_from_slice(segs);
        e.nsegments = segs.len() as u8;
        self.entries[self.n] = e;
        self.n += 1;
    }

    /// Calls `f` with every module of the snapshot, timed `time_ns`.
    pub fn for_each(&self, time_ns: u64, f: &mut dyn FnMut(&Module<'_>)) {
        for e in &self.entries[..self.n] {
            let (at, len) = (e.path.0 as usize, e.path.1 as usize);
            let m = Module {
                time_ns,
                base: e.base,
                path: Bytes::borrowed(&self.paths[at..at + len]),
                build_id: Cow::Borrowed(&e.build_id[..usize::from(e.build_id_len)]),
                segments: Cow::Borrowed(&e.segments[..usize::from(e.nsegments)]),
            };
            f(&m);
        }
    }
}

/// The GNU build-id in a block of ELF notes.
pub fn find_build_id(mut notes: &[u8]) -> Option<&[u8]> {
    const NT_GNU_BUILD_ID: u32 = 3;
    let align4 = |n: usize| (n + 3) & !3;
    while notes.len() >= 12 {
        let word =
            |i: usize| u32::from_ne_bytes([notes[i], notes[i + 1], notes[i + 2], notes[i + 3]]);
        let (namesz, descsz, kind) = (word(0) as usize, word(4) as usize, word(8));
        let name_end = 12usize.checked_add(align4(namesz))?;
        let desc_end = name_end.checked_add(align4(descsz))?;
        if name_end.checked_add(descsz)? > notes.len() {
            return None;
        }
        if kind == NT_GNU_BUILD_ID && namesz == 4 && &notes[12..16] == b"GNU\0" {
            return Some(&notes[name_end..name_end + descsz]);
        }
        notes = notes.get(desc_end..)?;
    }
    None
}

/// The GNU build-id of the ELF object whose header is mapped at `base` (the start of its first
/// mapping, as `/proc/self/maps` shows it), read with [`sys::read_memory`] so that nothing
/// faults: for a crash handler, which must not call `dl_iterate_phdr` (it takes the loader's
/// lock). Copies it into `out`; returns its length (0 when there is none or it can't be read).
pub fn build_id_in_memory(base: u64, out: &mut [u8; MAX_BUILD_ID]) -> usize {
    let mut eh = [0u8; 64];
    if !sys::read_memory(base, &mut eh) || eh[..4] != *b"\x7fELF" || eh[4] != 2 {
        return 0;
    }
    let u16_at = |b: &[u8], i: usize| u64::from(u16::from_le_bytes([b[i], b[i + 1]]));
    let u64_at = |b: &[u8], i: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&b[i..i + 8]);
        u64::from_le_bytes(w)
    };
    let (phoff, phentsize, phnum) = (u64_at(&eh, 32), u16_at(&eh, 54), u16_at(&eh, 56));
    if phentsize < 56 || phnum > 128 {
        return 0;
    }
    let phdr = |i: u64| {
        let mut ph = [0u8; 56];
        sys::read_memory(base.wrapping_add(phoff + i * phentsize), &mut ph).then_some(ph)
    };
    let kind = |ph: &[u8; 56]| u32::from_le_bytes([ph[0], ph[1], ph[2], ph[3]]);
    // The load bias: the header's address minus the address the first PT_LOAD asks for at
    // file offset 0 (0 for a fixed-address executable, `base` for PIE and shared objects).
    let Some(bias) = (0..phnum)
        .filter_map(phdr)
        .find(|ph| kind(ph) == libc::PT_LOAD)
        .map(|ph| base.wrapping_sub(u64_at(&ph, 16).wrapping_sub(u64_at(&ph, 8))))
    else {
        return 0;
    };
    // Objects often have several note segments (`.note.gnu.property` first): look in each.
    for ph in (0..phnum)
        .filter_map(phdr)
        .filter(|ph| kind(ph) == libc::PT_NOTE)
    {
        let mut notes = [0u8; 1024];
        let len = (u64_at(&ph, 40) as usize).min(notes.len());
        if !sys::read_memory(bias.wrapping_add(u64_at(&ph, 16)), &mut notes[..len]) {
            continue;
        }
        if let Some(id) = find_build_id(&notes[..len]).filter(|id| id.len() <= MAX_BUILD_ID) {
            out[..id.len()].copy_from_slice(id);
            return id.len();
        }
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::prelude::rust_2021::*;

    #[test]
    fn finds_this_test_binary_and_libc_with_build_ids() {
        let mut saw_exe = false;
        let mut saw_libc = false;
        let exe = b"/proc/self/exe";
        for_each(exe, 5, &mut |m| {
            assert_eq!(m.time_ns, 5);
            assert!(!m.segments.is_empty());
            if m.path.as_bytes() == exe {
                saw_exe = true;
                let f = main as fn() as usize as u64;
                assert!(m.contains(f), "main program contains its own code");
            }
            if file_name(m.path.as_bytes()).starts_with(b"libc.so") {
                saw_libc = true;
                assert_eq!(m.build_id.len(), 20, "Debian's libc has a SHA-1 build-id");
            }
        });
        assert!(saw_exe && saw_libc);
        // The same build-ids read from memory at each module's header, as a crash handler
        // reads them.
        let mut checked = 0;
        for_each(exe, 0, &mut |m| {
            let Some(first) = m.segments.iter().find(|s| s.file_offset == 0) else {
                return;
            };
            let mut id = [0u8; MAX_BUILD_ID];
            let n = build_id_in_memory(m.base.wrapping_add(first.vaddr), &mut id);
            assert_eq!(&id[..n], &m.build_id[..], "{:?}", m.path);
            checked += usize::from(n > 0);
        });
        assert!(checked >= 2, "{checked}");
        let (adds, _) = generation();
        assert!(adds >= 2);
    }

    fn main() {}

    fn file_name(p: &[u8]) -> &[u8] {
        crate::logpath::file_name(p)
    }

    #[test]
    fn parses_a_build_id_note() {
        let mut note = Vec::new();
        note.extend_from_slice(&4u32.to_ne_bytes());
        note.extend_from_slice(&3u32.to_ne_bytes());
        note.extend_from_slice(&3u32.to_ne_bytes());
        note.extend_from_slice(b"GNU\0\xaa\xbb\xcc\0");
        assert_eq!(find_build_id(&note), Some(&b"\xaa\xbb\xcc"[..]));
        assert_eq!(find_build_id(&note[..10]), None);
    }
}
