//! The module map of the running process, from `dl_iterate_phdr`: every loaded object's
//! path, load bias, GNU build-id and `PT_LOAD` segments, as [`tracekit_log::Module`] records.
//!
//! Nothing here allocates: segments go into a fixed array, the build-id and the path are
//! borrowed from the loaded image and the loader's own strings.

use std::borrow::Cow;
use std::ffi::{c_int, c_void, CStr};

use tracekit_log::{Bytes, Module, Segment};

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
        // SAFETY: the loader passes a valid info; data is the tuple below.
        unsafe {
            let out = &mut *data.cast::<(u64, u64)>();
            *out = ((*info).dlpi_adds, (*info).dlpi_subs);
        }
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
    // SAFETY: dl_iterate_phdr passes a valid info for the duration of the call, and data is
    // the Ctx given to for_each.
    let (info, ctx) = unsafe { (&*info, &mut *data.cast::<Ctx<'_>>()) };
    let phdrs: &[libc::Elf64_Phdr] = if info.dlpi_phdr.is_null() {
        &[]
    } else {
        // SAFETY: the loader guarantees dlpi_phnum headers at dlpi_phdr.
        unsafe { std::slice::from_raw_parts(info.dlpi_phdr, info.dlpi_phnum as usize) }
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
                let notes = unsafe { std::slice::from_raw_parts(start, ph.p_memsz as usize) };
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
const MAX_BUILD_ID: usize = 64;

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

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
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

#[cfg(test)]
mod tests {
    use super::*;

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
