//! Turning recorded return addresses into frames for the report, behind a small trait so the
//! printers can be tested with fixed names and the real symbolizer runs only on printed sites.

use tracekit_log::Module;
use tracekit_symbolize::{AddrKind, ModuleMap, Symbolizer};

/// One frame as the report shows it.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct ResolvedFrame {
    /// The runtime address (a return address).
    pub addr: u64,
    /// The module's path, when known.
    pub module: Option<String>,
    /// The function (demangled), `??` when unknown.
    pub function: String,
    /// Source file, when debug info has it.
    pub file: Option<String>,
    /// Source line.
    pub line: Option<u32>,
    /// Source column, when debug info has it.
    pub column: Option<u32>,
    /// The address relative to the module (what `addr2line -e MODULE` takes), when the
    /// module is known.
    pub offset: Option<u64>,
    /// True when this function was inlined into the next frame.
    pub inlined: bool,
    /// Why the function is unknown, when the symbolizer knows (for example the module was
    /// rebuilt since the run: its build-id differs).
    pub note: Option<String>,
}

impl ResolvedFrame {
    /// The frame as a run-independent label: `function (file:line)`, `function`, or, without a
    /// name, `module+0xoffset` (addresses move with ASLR and rebuilds; these do not, except
    /// the offset of a rebuilt module). `tracekit diff` matches sites across runs by it.
    pub fn label(&self) -> String {
        match (&self.file, self.line) {
            _ if self.function == "??" => {
                let module = self.module.as_deref().unwrap_or("??");
                let module = module.rsplit('/').next().unwrap_or(module);
                match self.offset {
                    Some(off) => format!("{module}+{off:#x}"),
                    None => format!("{module}+{:#x}", self.addr),
                }
            }
            (Some(file), Some(line)) => {
                let file = file.rsplit('/').next().unwrap_or(file);
                format!("{} ({file}:{line})", self.function)
            }
            _ => self.function.clone(),
        }
    }
}

/// Resolves an address of one process to frames (inline chain, innermost first; at least one).
pub trait Resolve {
    /// Frames for `addr`, a return address recorded in process number `process` whose modules
    /// are `modules`.
    fn resolve(
        &mut self,
        process: usize,
        modules: &[Module<'static>],
        addr: u64,
    ) -> Vec<ResolvedFrame>;

    /// Says that the return addresses `addrs` of process `process` will be resolved next, so
    /// that a resolver can read what they need at once (see [`Symbolizer::prefetch`]). The
    /// frames do not depend on it.
    fn prefetch(&mut self, process: usize, modules: &[Module<'static>], addrs: &[u64]) {
        let _ = (process, modules, addrs);
    }
}

/// The real resolver: DWARF or ELF symbols of the modules recorded in the log.
#[derive(Debug, Default)]
pub struct Symbols {
    sym: Symbolizer,
    maps: Vec<Option<ModuleMap>>,
    /// (process, address) already resolved: sites share their outer frames.
    cache: std::collections::HashMap<(usize, u64), Vec<ResolvedFrame>>,
}

impl Symbols {
    /// A resolver with an empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// A resolver that falls back on the symbols the logs carry (`tracekit pack`) where a
    /// module's file is missing or rebuilt.
    pub fn with_packed(packed: tracekit_symbolize::PackedSymbols) -> Self {
        let mut s = Self::default();
        s.sym.set_packed(packed);
        s
    }
}

impl Resolve for Symbols {
    fn resolve(
        &mut self,
        process: usize,
        modules: &[Module<'static>],
        addr: u64,
    ) -> Vec<ResolvedFrame> {
        if let Some(hit) = self.cache.get(&(process, addr)) {
            return hit.clone();
        }
        let frames = self.lookup(process, modules, addr);
        self.cache.insert((process, addr), frames.clone());
        frames
    }

    fn prefetch(&mut self, process: usize, modules: &[Module<'static>], addrs: &[u64]) {
        let cache = &self.cache;
        let todo = addrs
            .iter()
            .copied()
            .filter(|&a| !cache.contains_key(&(process, a)));
        let map = map_of(&mut self.maps, process, modules);
        self.sym.prefetch(map, todo, AddrKind::Return);
    }
}

/// The module map of process `process` (whose modules are `modules`), made at its first use.
fn map_of<'a>(
    maps: &'a mut Vec<Option<ModuleMap>>,
    process: usize,
    modules: &[Module<'static>],
) -> &'a mut ModuleMap {
    if maps.len() <= process {
        maps.resize_with(process + 1, || None);
    }
    maps[process].get_or_insert_with(|| {
        let mut m = ModuleMap::new();
        for module in modules {
            m.push(module.clone());
        }
        m
    })
}

impl Symbols {
    fn lookup(
        &mut self,
        process: usize,
        modules: &[Module<'static>],
        addr: u64,
    ) -> Vec<ResolvedFrame> {
        let map = map_of(&mut self.maps, process, modules);
        let loc = self.sym.symbolize(map, addr, AddrKind::Return);
        let offset = loc.module.is_some().then_some(loc.module_offset);
        if loc.frames.is_empty() {
            return vec![ResolvedFrame {
                addr,
                module: loc.module,
                function: "??".to_owned(),
                offset,
                note: loc.note,
                ..ResolvedFrame::default()
            }];
        }
        loc.frames
            .into_iter()
            .map(|f| ResolvedFrame {
                addr,
                module: loc.module.clone(),
                function: f.function,
                file: f.file,
                line: f.line,
                column: f.column,
                offset,
                inlined: f.inlined,
                note: None,
            })
            .collect()
    }
}

/// A resolver that names nothing (`??`, module from the map only): for `--no-symbols` and
/// for tests.
#[derive(Debug, Default)]
pub struct NoSymbols;

impl Resolve for NoSymbols {
    fn resolve(
        &mut self,
        _process: usize,
        modules: &[Module<'static>],
        addr: u64,
    ) -> Vec<ResolvedFrame> {
        let module = modules
            .iter()
            .rev()
            .find(|m| m.contains(addr.wrapping_sub(1)));
        vec![ResolvedFrame {
            addr,
            module: module.map(|m| m.path.to_string_lossy().into_owned()),
            offset: module.map(|m| addr.wrapping_sub(m.base)),
            function: "??".to_owned(),
            ..ResolvedFrame::default()
        }]
    }
}

/// True for a module that is one of tracekit's own preload libraries: its frames (the hook
/// that recorded the stack) are dropped from the top of a backtrace.
pub fn is_tracekit_module(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.starts_with("libpreload_") || name.starts_with("libtracekit")
}

/// Resolves a whole stack, dropping the tracekit hook frames at its top.
pub fn resolve_stack(
    r: &mut dyn Resolve,
    process: usize,
    modules: &[Module<'static>],
    frames: &[u64],
) -> Vec<ResolvedFrame> {
    resolve_frames(r, process, modules, frames, false)
}

/// [`resolve_stack`] for a crash's backtrace, whose first address is the faulting
/// instruction itself (the crash handler's frame 0), not a return address: resolved as the
/// return address one byte past it, which is looked up at the instruction, then shown with
/// its own address. (Taken for a return address, a fault on the first instruction of a
/// line was named by the line before.)
pub fn resolve_fault_stack(
    r: &mut dyn Resolve,
    process: usize,
    modules: &[Module<'static>],
    frames: &[u64],
) -> Vec<ResolvedFrame> {
    resolve_frames(r, process, modules, frames, true)
}

fn resolve_frames(
    r: &mut dyn Resolve,
    process: usize,
    modules: &[Module<'static>],
    frames: &[u64],
    first_exact: bool,
) -> Vec<ResolvedFrame> {
    let mut out = Vec::with_capacity(frames.len());
    for (i, &addr) in frames.iter().enumerate() {
        let resolved = if i == 0 && first_exact {
            let mut frames = r.resolve(process, modules, addr.wrapping_add(1));
            for f in &mut frames {
                f.addr = addr;
                f.offset = f.offset.map(|o| o.wrapping_sub(1));
            }
            frames
        } else {
            r.resolve(process, modules, addr)
        };
        if out.is_empty()
            && resolved
                .first()
                .and_then(|f| f.module.as_deref())
                .is_some_and(is_tracekit_module)
        {
            continue;
        }
        out.extend(resolved);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Names each address it is asked for by that address (in `prog`, loaded at 0x1000).
    struct Echo;

    impl Resolve for Echo {
        fn resolve(&mut self, _: usize, _: &[Module<'static>], addr: u64) -> Vec<ResolvedFrame> {
            vec![ResolvedFrame {
                addr,
                function: format!("{addr:#x}"),
                offset: Some(addr - 0x1000),
                module: Some("prog".to_owned()),
                ..ResolvedFrame::default()
            }]
        }
    }

    #[test]
    fn a_fault_stack_looks_its_first_address_up_as_the_instruction_itself() {
        let frames = [0x1234, 0x2000];
        let plain = resolve_stack(&mut Echo, 0, &[], &frames);
        let fault = resolve_fault_stack(&mut Echo, 0, &[], &frames);
        // A return address is looked up one byte before it (the resolver does that): asked
        // for pc + 1, it looks up the faulting pc.
        assert_eq!(fault[0].function, "0x1235");
        assert_eq!((fault[0].addr, fault[0].offset), (0x1234, Some(0x234)));
        assert_eq!(plain[0].function, "0x1234");
        // The other frames are return addresses either way.
        assert_eq!(fault[1..], plain[1..]);
    }
}
