//! `-k`: the tracee's stack at each printed syscall, unwound with `framehop` (DWARF CFI from
//! each module's `.eh_frame`, frame-pointer fallback) and symbolized with
//! `tracekit-symbolize`, printed in strace's ` > module(function+offset) [file_offset]` form.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use framehop::x86_64::{CacheX86_64, UnwindRegsX86_64, UnwinderX86_64};
use framehop::{ExplicitModuleSectionInfo, FrameAddress, Module, Unwinder};
use object::{Object, ObjectSection};
use tracekit_ptrace::{mem, Pid};
use tracekit_symbolize::{AddrKind, ModuleMap, Symbolizer};

const MAX_FRAMES: usize = 64;

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

/// Per-process module maps and unwinders, and shared caches.
pub struct Stacks {
    procs: HashMap<Pid, Process>,
    sections: HashMap<String, Option<Sections>>,
    cache: CacheX86_64,
    sym: Symbolizer,
}

impl std::fmt::Debug for Stacks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stacks")
            .field("procs", &self.procs.len())
            .finish()
    }
}

impl Stacks {
    /// Empty caches.
    pub fn new() -> Stacks {
        Stacks {
            procs: HashMap::new(),
            sections: HashMap::new(),
            cache: CacheX86_64::new(),
            sym: Symbolizer::new(),
        }
    }

    /// Forgets the modules of `pid` (after exec, exit, or mapping changes).
    pub fn invalidate(&mut self, pid: Pid) {
        self.procs.remove(&pid);
    }

    fn load(&mut self, pid: Pid) -> Option<()> {
        let map = ModuleMap::from_proc_maps(pid.0 as u32).ok()?;
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

    fn format(&mut self, pid: Pid, addr: u64, kind: AddrKind) -> String {
        let Some(p) = self.procs.get_mut(&pid) else {
            return format!(" > unexpected_backtracing_error [{addr:#x}]");
        };
        let loc = self.sym.symbolize(&mut p.map, addr, kind);
        let Some(module) = loc.module.clone() else {
            return format!(" > unexpected_backtracing_error [{addr:#x}]");
        };
        // A return address is looked up at addr-1 (the call). Like strace (libdw), the
        // bracket shows that adjusted file offset and the function offset is the return
        // address's own.
        let adjust = u64::from(kind == AddrKind::Return);
        let file_off = loc.module_offset;
        match loc.frames.last() {
            Some(f) if f.function != "??" && !f.function.is_empty() => match f.function_offset {
                Some(off) => format!(
                    " > {module}({}+{:#x}) [{file_off:#x}]",
                    f.function,
                    off + adjust
                ),
                None => format!(" > {module}({}) [{file_off:#x}]", f.function),
            },
            _ => format!(" > {module}() [{file_off:#x}]"),
        }
    }

    /// The frames of `pid`, stopped in a syscall, innermost first. `refresh` reloads the
    /// module list (the previous call changed the mappings).
    pub fn capture(&mut self, pid: Pid, refresh: bool) -> Vec<String> {
        if (refresh || !self.procs.contains_key(&pid)) && self.load(pid).is_none() {
            return vec![" > unexpected_backtracing_error".to_owned()];
        }
        let Ok(regs) = tracekit_ptrace::get_regs(pid) else {
            return Vec::new();
        };
        let mut addrs = Vec::new();
        {
            let p = &self.procs[&pid];
            let mut read = |a: u64| mem::read_val::<u64>(pid, a).map_err(|_| ());
            let mut it = p.unwinder.iter_frames(
                regs.rip,
                UnwindRegsX86_64::new(regs.rip, regs.rsp, regs.rbp),
                &mut self.cache,
                &mut read,
            );
            while let Ok(Some(f)) = it.next() {
                addrs.push(f);
                if addrs.len() >= MAX_FRAMES {
                    break;
                }
            }
        }
        addrs
            .into_iter()
            .map(|f| match f {
                FrameAddress::InstructionPointer(a) => self.format(pid, a, AddrKind::Exact),
                FrameAddress::ReturnAddress(a) => self.format(pid, a.get(), AddrKind::Return),
            })
            .collect()
    }
}

impl Default for Stacks {
    fn default() -> Self {
        Stacks::new()
    }
}
