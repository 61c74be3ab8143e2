//! Stacks of another, live process (a ptrace tracee): unwound with `framehop` (DWARF CFI from
//! each module's `.eh_frame`, `.debug_frame`, and the frame-pointer fallback) over the module
//! list of `/proc/PID/maps`. The caller reads the tracee's memory (it owns the ptrace calls) and
//! symbolizes the addresses with [`Symbolizer`](crate::Symbolizer) against [`Stacks::map`].
//! `strace-rs -k` and `ltrace-rs -w` walk their tracees with it.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use framehop::x86_64::{CacheX86_64, UnwindRegsX86_64, UnwinderX86_64};
use framehop::{ExplicitModuleSectionInfo, FrameAddress, Module, Unwinder};
use object::{Object, ObjectSection};

use crate::{AddrKind, ModuleMap};

type Data = Arc<[u8]>;

/// The unwind sections of one file.
#[derive(Clone)]
struct Sections {
    text: Option<std::ops::Range<u64>>,
    got: Option<std::ops::Range<u64>>,
    eh_frame: Option<(std::ops::Range<u64>, Data)>,
    eh_frame_hdr: Option<(std::ops::Range<u64>, Data)>,
    debug_frame: Option<Data>,
}

fn read_sections(path: &Path) -> Option<Sections> {
    let bytes = std::fs::read(path).ok()?;
    let file = object::File::parse(&*bytes).ok()?;
    let range = |name: &str| {
        file.section_by_name(name)
            .map(|s| s.address()..s.address() + s.size())
    };
    let data = |name: &str| -> Option<(std::ops::Range<u64>, Data)> {
        let s = file.section_by_name(name)?;
        let d = s.data().ok()?;
        Some((s.address()..s.address() + s.size(), Arc::from(d)))
    };
    Some(Sections {
        text: range(".text"),
        got: range(".got"),
        eh_frame: data(".eh_frame"),
        eh_frame_hdr: data(".eh_frame_hdr"),
        debug_frame: data(".debug_frame").map(|(_, d)| d),
    })
}

struct Process {
    map: ModuleMap,
    unwinder: UnwinderX86_64<Data>,
}

/// The registers a walk starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Regs {
    /// Instruction pointer.
    pub ip: u64,
    /// Stack pointer.
    pub sp: u64,
    /// Frame pointer.
    pub bp: u64,
}

/// Per-process module maps and unwinders, and the caches they share (the sections of each
/// file, framehop's rule cache).
pub struct Stacks {
    procs: HashMap<u32, Process>,
    sections: HashMap<String, Option<Sections>>,
    cache: CacheX86_64,
}

impl std::fmt::Debug for Stacks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stacks")
            .field("procs", &self.procs.len())
            .finish()
    }
}

impl Default for Stacks {
    fn default() -> Self {
        Stacks::new()
    }
}

impl Stacks {
    /// Empty caches.
    pub fn new() -> Stacks {
        Stacks {
            procs: HashMap::new(),
            sections: HashMap::new(),
            cache: CacheX86_64::new(),
        }
    }

    /// Forgets the modules of `pid` (after exec, exit, or mapping changes).
    pub fn invalidate(&mut self, pid: u32) {
        self.procs.remove(&pid);
    }

    fn load(&mut self, pid: u32) -> Option<()> {
        let map = ModuleMap::from_proc_maps(pid).ok()?;
        let mut unwinder = UnwinderX86_64::new();
        for m in map.modules() {
            let path = String::from_utf8_lossy(&m.path.0).into_owned();
            if path.is_empty() || path.starts_with('[') || m.segments.is_empty() {
                continue;
            }
            let secs = self
                .sections
                .entry(path.clone())
                .or_insert_with(|| read_sections(Path::new(&path)))
                .clone();
            let Some(secs) = secs else { continue };
            let lo = m.segments.iter().map(|s| s.vaddr).min().unwrap_or(0);
            let hi = m
                .segments
                .iter()
                .map(|s| s.vaddr + s.memsz)
                .max()
                .unwrap_or(0);
            let info = ExplicitModuleSectionInfo {
                base_svma: 0,
                text_svma: secs.text.clone(),
                text: None,
                stubs_svma: None,
                stub_helper_svma: None,
                got_svma: secs.got.clone(),
                unwind_info: None,
                eh_frame_svma: secs.eh_frame.as_ref().map(|e| e.0.clone()),
                eh_frame: secs.eh_frame.as_ref().map(|e| e.1.clone()),
                eh_frame_hdr_svma: secs.eh_frame_hdr.as_ref().map(|e| e.0.clone()),
                eh_frame_hdr: secs.eh_frame_hdr.as_ref().map(|e| e.1.clone()),
                debug_frame: secs.debug_frame.clone(),
                text_segment_svma: None,
                text_segment: None,
            };
            unwinder.add_module(Module::new(
                path,
                m.base.wrapping_add(lo)..m.base.wrapping_add(hi),
                m.base,
                info,
            ));
        }
        self.procs.insert(pid, Process { map, unwinder });
        Some(())
    }

    /// The module map of `pid` as last loaded (to symbolize the addresses of a walk).
    pub fn map(&mut self, pid: u32) -> Option<&mut ModuleMap> {
        self.procs.get_mut(&pid).map(|p| &mut p.map)
    }

    /// The stack of `pid`, stopped at `regs`, innermost first, at most `max` frames: the
    /// first address is exact, the others return addresses. `read` gives the tracee's word at
    /// an address. `refresh` reloads the module list (mappings changed since the last walk).
    /// `None` when the module list cannot be read (the process is gone).
    pub fn walk(
        &mut self,
        pid: u32,
        regs: Regs,
        refresh: bool,
        read: &mut dyn FnMut(u64) -> Option<u64>,
        max: usize,
    ) -> Option<Vec<(u64, AddrKind)>> {
        if refresh || !self.procs.contains_key(&pid) {
            self.load(pid)?;
        }
        let p = &self.procs[&pid];
        let mut read = |a: u64| read(a).ok_or(());
        let mut it = p.unwinder.iter_frames(
            regs.ip,
            UnwindRegsX86_64::new(regs.ip, regs.sp, regs.bp),
            &mut self.cache,
            &mut read,
        );
        let mut addrs = Vec::new();
        while let Ok(Some(f)) = it.next() {
            addrs.push(match f {
                FrameAddress::InstructionPointer(a) => (a, AddrKind::Exact),
                FrameAddress::ReturnAddress(a) => (a.get(), AddrKind::Return),
            });
            if addrs.len() >= max {
                break;
            }
        }
        Some(addrs)
    }
}
