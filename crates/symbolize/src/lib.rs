//! Offline symbolization for tracekit: runtime addresses to module, function, file and line.
//!
//! Tools record raw instruction pointers and the module map (path, load bias, build-id,
//! segments); this crate turns them into names afterwards, in `tracekit`, never inside a
//! hook or a signal handler. DWARF gives file:line and inlined frames (via `blazesym`); a
//! module without debug info falls back to its ELF symbol tables; detached debug info is
//! found by build-id under `/usr/lib/debug/.build-id/`. A module whose file on disk no longer
//! has the recorded build-id (it was rebuilt) is not symbolized with the wrong file.
//!
//! ```
//! use tracekit_symbolize::{AddrKind, ModuleMap, Symbolizer};
//! let mut map = ModuleMap::from_proc_maps(std::process::id()).unwrap();
//! let mut sym = Symbolizer::new();
//! fn here() {}
//! let loc = sym.symbolize(&mut map, here as fn() as usize as u64, AddrKind::Exact);
//! assert!(loc.module.is_some());
//! ```

mod modules;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use blazesym::symbolize::source::{Elf, Source};
use blazesym::symbolize::{CodeInfo, Input, Symbolized};
pub use modules::{elf_info, parse_maps_line, ElfInfo, MapsLine, ModuleMap};

/// How an address was obtained, which decides the address that is looked up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddrKind {
    /// A return address from a backtrace: the call is the instruction before it, so
    /// `addr - 1` is looked up (otherwise a call at a function's end names the next function).
    Return,
    /// The address of the instruction itself (a faulting pc, a sampled pc).
    Exact,
}

/// One function in a symbolized location (several when calls were inlined).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Frame {
    /// Demangled function name.
    pub function: String,
    /// Offset of the address from the function's start (outermost frame only).
    pub function_offset: Option<u64>,
    /// Source file, when debug info has it.
    pub file: Option<String>,
    /// Source line.
    pub line: Option<u32>,
    /// Source column.
    pub column: Option<u32>,
    /// True for a function inlined into the next frame.
    pub inlined: bool,
}

/// What an address resolves to.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Location {
    /// The runtime address asked about.
    pub addr: u64,
    /// Path of the module holding it, when known.
    pub module: Option<String>,
    /// The address relative to the module's file (what `addr2line -e MODULE` takes).
    pub module_offset: u64,
    /// Innermost first; empty when no symbol covers the address.
    pub frames: Vec<Frame>,
    /// Why there are no frames, when there are none and a reason is known
    /// (for example "binary rebuilt since the run: build-id differs").
    pub note: Option<String>,
}

impl Location {
    /// The innermost frame's function, or `??`.
    pub fn function(&self) -> &str {
        self.frames.first().map_or("??", |f| f.function.as_str())
    }
}

/// Symbolizes addresses against module maps, caching parsed files.
pub struct Symbolizer {
    inner: blazesym::symbolize::Symbolizer,
    /// Path on disk → file to read symbols from (itself, a debug file found by build-id), or
    /// why it can't be used.
    files: HashMap<(String, Vec<u8>), Result<PathBuf, String>>,
    debug_root: PathBuf,
}

impl std::fmt::Debug for Symbolizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Symbolizer")
            .field("files", &self.files.len())
            .finish()
    }
}

impl Default for Symbolizer {
    fn default() -> Self {
        Self::new()
    }
}

impl Symbolizer {
    /// A symbolizer that looks for detached debug info in `/usr/lib/debug`.
    pub fn new() -> Self {
        Self::with_debug_root("/usr/lib/debug")
    }

    /// A symbolizer that looks for detached debug info under `root` (`.build-id/xx/rest.debug`
    /// and debug links).
    pub fn with_debug_root(root: impl Into<PathBuf>) -> Self {
        let root = root.into();
        let inner = blazesym::symbolize::Symbolizer::builder()
            .enable_code_info(true)
            .enable_inlined_fns(true)
            .enable_demangling(true)
            .set_debug_dirs(Some([root.clone()]))
            .build();
        Symbolizer {
            inner,
            files: HashMap::new(),
            debug_root: root,
        }
    }

    /// Which file to read `path`'s symbols from, given the build-id recorded for it.
    fn source_file(&mut self, path: &str, build_id: &[u8]) -> Result<PathBuf, String> {
        let key = (path.to_owned(), build_id.to_vec());
        if let Some(r) = self.files.get(&key) {
            return r.clone();
        }
        let by_id = (build_id.len() > 1).then(|| {
            let hex: String = build_id.iter().map(|b| format!("{b:02x}")).collect();
            self.debug_root
                .join(".build-id")
                .join(&hex[..2])
                .join(format!("{}.debug", &hex[2..]))
        });
        let r = match elf_info(Path::new(path)) {
            Ok(info)
                if build_id.is_empty() || info.build_id.is_empty() || info.build_id == build_id =>
            {
                Ok(PathBuf::from(path))
            }
            Ok(_) => match by_id.filter(|p| p.exists()) {
                Some(p) => Ok(p),
                None => Err("binary rebuilt since the run: build-id differs".to_owned()),
            },
            Err(e) => match by_id.filter(|p| p.exists()) {
                Some(p) => Ok(p),
                None => Err(format!("cannot read module: {e}")),
            },
        };
        self.files.insert(key, r.clone());
        r
    }

    /// Symbolizes one runtime address against `map`.
    pub fn symbolize(&mut self, map: &mut ModuleMap, addr: u64, kind: AddrKind) -> Location {
        let lookup = match kind {
            AddrKind::Return => addr.saturating_sub(1),
            AddrKind::Exact => addr,
        };
        let mut loc = Location {
            addr,
            ..Location::default()
        };
        let Some(module) = map.find(lookup) else {
            loc.note = Some("address is in no known module".to_owned());
            return loc;
        };
        let path = module.path.to_string_lossy().into_owned();
        let offset = lookup.wrapping_sub(module.base);
        loc.module_offset = addr.wrapping_sub(module.base);
        loc.module = Some(path.clone());
        let build_id = module.build_id.to_vec();
        if path.starts_with('[') {
            return loc;
        }
        let file = match self.source_file(&path, &build_id) {
            Ok(f) => f,
            Err(why) => {
                loc.note = Some(why);
                return loc;
            }
        };
        let src = Source::Elf(Elf::new(file));
        match self.inner.symbolize_single(&src, Input::VirtOffset(offset)) {
            Ok(Symbolized::Sym(sym)) => {
                // blazesym gives the real function with the location of its (first inlined)
                // call, then the inlined functions outermost first, each with its own location.
                let mut frames = Vec::with_capacity(sym.inlined.len() + 1);
                let mut outer = Frame {
                    function: sym.name.to_string(),
                    function_offset: Some(sym.offset as u64),
                    ..Frame::default()
                };
                set_code(&mut outer, sym.code_info.as_deref());
                frames.push(outer);
                for inl in sym.inlined.iter() {
                    let mut f = Frame {
                        function: inl.name.to_string(),
                        inlined: true,
                        ..Frame::default()
                    };
                    set_code(&mut f, inl.code_info.as_ref());
                    frames.push(f);
                }
                frames.reverse();
                loc.frames = frames;
            }
            Ok(Symbolized::Unknown(reason)) => loc.note = Some(unknown_reason(reason)),
            Err(e) => loc.note = Some(e.to_string()),
        }
        loc
    }
}

/// Why an address has no symbol, in the words of someone who has to do something about it.
fn unknown_reason(reason: blazesym::symbolize::Reason) -> String {
    use blazesym::symbolize::Reason;
    match reason {
        Reason::MissingSyms => "no symbols: stripped, and no separate debug file found".to_owned(),
        other => other.to_string(),
    }
}

fn set_code(f: &mut Frame, code: Option<&CodeInfo<'_>>) {
    if let Some(c) = code {
        f.file = Some(c.to_path().display().to_string());
        f.line = c.line;
        f.column = c.column.map(u32::from);
    }
}
