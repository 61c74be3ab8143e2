//! Offline symbolization for tracekit: runtime addresses to module, function, file and line.
//!
//! Tools record raw instruction pointers and the module map (path, load bias, build-id,
//! segments); this crate turns them into names afterwards, in `tracekit`, never inside a
//! hook or a signal handler. DWARF gives file:line and inlined frames (via `blazesym`); a
//! module without debug info falls back to its ELF symbol tables; detached debug info is
//! found by build-id under `/usr/lib/debug/.build-id/`. A module whose file on disk no longer
//! has the recorded build-id (it was rebuilt) is not symbolized with the wrong file; the
//! symbols a log carries itself ([`PackedSymbols`], from its `Symbols` records) answer for
//! such a module, or for one whose file is missing.
//!
//! blazesym runs in a worker process forked at the first lookup (see `isolate`): a file whose
//! damage makes it panic or crash costs that file its frames (their reason says so), never the
//! tool, whatever the build's panic strategy.
//!
//! ```
//! use tracekit_symbolize::{AddrKind, ModuleMap, Symbolizer};
//! let mut map = ModuleMap::from_proc_maps(std::process::id()).unwrap();
//! let mut sym = Symbolizer::new();
//! fn here() {}
//! let loc = sym.symbolize(&mut map, here as fn() as usize as u64, AddrKind::Exact);
//! assert!(loc.module.is_some());
//! ```

mod demangle;
mod isolate;
mod modules;
mod notes;
mod packed;
mod reduce;
pub mod remote;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub use demangle::demangle;
pub use modules::{elf_info, parse_maps_line, ElfInfo, MapsLine, ModuleMap};
pub use notes::{module_findings, Finding};
pub use packed::{records, PackedSymbols, Resolution, ADDRS_PER_RECORD};
use tracekit_log::Module;

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
    /// The process that runs blazesym (see `isolate`), started at the first lookup.
    worker: Option<isolate::Worker>,
    /// Files the worker died reading, with what to say for their addresses.
    damaged: HashMap<PathBuf, String>,
    /// Path on disk → file to read symbols from (itself, a debug file found by build-id), or
    /// why it can't be used.
    files: HashMap<(String, Vec<u8>), Result<PathBuf, String>>,
    debug_root: PathBuf,
    /// The symbols the logs carry, for modules whose file can't be used.
    packed: PackedSymbols,
}

impl std::fmt::Debug for Symbolizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Symbolizer")
            .field("files", &self.files.len())
            .field("worker_pid", &self.worker.as_ref().map(|w| w.pid))
            .field("damaged", &self.damaged.len())
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
        Symbolizer {
            worker: None,
            damaged: HashMap::new(),
            files: HashMap::new(),
            debug_root: root,
            packed: PackedSymbols::new(),
        }
    }

    /// Uses `packed` (the logs' own symbols) for the modules whose file is missing, unreadable
    /// or rebuilt since the run (build-id differs), and for modules without a build-id, whose
    /// file cannot be checked: there the log's symbols, made closest to the run, are
    /// preferred. Otherwise the file wins, which may know more (debug info installed since).
    pub fn set_packed(&mut self, packed: PackedSymbols) {
        self.packed = packed;
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
        if path.starts_with('[') {
            return loc;
        }
        let resolved = match self.packed.get(module, offset) {
            Some(p) if module.build_id.is_empty() => Ok(p.clone()),
            _ => self
                .symbolize_file(module, offset)
                .or_else(|why| self.packed.get(module, offset).cloned().ok_or(why)),
        };
        match resolved {
            Ok(r) => {
                loc.frames = r.frames;
                loc.note = r.note;
            }
            Err(why) => loc.note = Some(why),
        }
        loc
    }

    /// Readies the lookups of `addrs` (runtime addresses of `map`, obtained as `kind` says)
    /// that will follow: a big debug file is then read once as far as all of them need,
    /// rather than grown (and parsed again) address by address. The lookups answer exactly as
    /// they would without it; a module this symbolizer will not read (missing, rebuilt,
    /// damaged, answered by the log's own symbols) is left alone.
    pub fn prefetch(
        &mut self,
        map: &mut ModuleMap,
        addrs: impl IntoIterator<Item = u64>,
        kind: AddrKind,
    ) {
        // (file, the path of the first module read from it, offsets)
        let mut by_file: Vec<(PathBuf, String, Vec<u64>)> = Vec::new();
        for addr in addrs {
            let lookup = match kind {
                AddrKind::Return => addr.saturating_sub(1),
                AddrKind::Exact => addr,
            };
            let Some(module) = map.find(lookup) else {
                continue;
            };
            let path = module.path.to_string_lossy();
            let offset = lookup.wrapping_sub(module.base);
            if path.starts_with('[')
                || (module.build_id.is_empty() && self.packed.get(module, offset).is_some())
            {
                continue;
            }
            let Ok(file) = self.source_file(&path, &module.build_id) else {
                continue;
            };
            if self.damaged.contains_key(&file) {
                continue;
            }
            match by_file.iter_mut().find(|(f, _, _)| *f == file) {
                Some((_, _, offsets)) => offsets.push(offset),
                None => by_file.push((file, path.into_owned(), vec![offset])),
            }
        }
        for (file, path, mut offsets) in by_file {
            offsets.sort_unstable();
            offsets.dedup();
            let Ok(worker) = self.worker() else {
                return;
            };
            if let Err(what) = worker.prepare(&file, &offsets) {
                self.worker_died(file, &path, &what);
            }
        }
    }

    /// The worker, started if it is not running.
    fn worker(&mut self) -> Result<&mut isolate::Worker, String> {
        let worker = match self.worker.take() {
            Some(w) => w,
            None => isolate::Worker::start(&self.debug_root)
                .map_err(|e| format!("cannot start the symbolizer process: {e}"))?,
        };
        Ok(self.worker.insert(worker))
    }

    /// The worker died reading `file` (blazesym panicked or crashed on it: `what`), the file
    /// of module `path`: the next lookup starts another one, and this file is not read again.
    /// Returns what to say for its addresses.
    fn worker_died(&mut self, file: PathBuf, path: &str, what: &str) -> String {
        self.worker = None;
        let why = format!("{path}: its debug information is damaged (the DWARF reader {what})");
        self.damaged.insert(file, why.clone());
        why
    }

    /// Symbolizes `offset` (the module-relative address to look up) from `module`'s file
    /// only (or its debug file found by build-id). `Err` says why the file cannot be used:
    /// missing, unreadable, or rebuilt since the run (its build-id differs from the one
    /// recorded). `Ok` with no frames: the file has no symbol for the address.
    pub fn symbolize_file(
        &mut self,
        module: &Module<'_>,
        offset: u64,
    ) -> Result<Resolution, String> {
        let path = module.path.to_string_lossy();
        let file = self.source_file(&path, &module.build_id)?;
        if let Some(why) = self.damaged.get(&file) {
            return Err(why.clone());
        }
        match self.worker()?.ask(&file, offset) {
            Ok(answer) => answer,
            Err(what) => Err(self.worker_died(file, &path, &what)),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use object::{Object, ObjectSymbol};
    use tracekit_log::Bytes;

    use super::*;

    /// The example `heap_known` as a module loaded at 0 (runtime = file addresses), with
    /// `build_id` recorded, at `path`.
    fn module(path: &Path, build_id: &[u8]) -> Module<'static> {
        let info = elf_info(&tracekit_examples::path("heap_known")).unwrap();
        Module {
            time_ns: 0,
            base: 0,
            path: Bytes::owned(path.as_os_str().as_encoded_bytes().to_vec()),
            build_id: Cow::Owned(build_id.to_vec()),
            segments: Cow::Owned(info.segments),
        }
    }

    /// A return address inside `one_leak` of heap_known.
    fn in_one_leak() -> u64 {
        let data = std::fs::read(tracekit_examples::path("heap_known")).unwrap();
        let file = object::File::parse(&*data).unwrap();
        let sym = file
            .symbols()
            .find(|s| s.name() == Ok("one_leak"))
            .expect("heap_known has one_leak");
        sym.address() + 5
    }

    fn function(sym: &mut Symbolizer, m: &Module<'static>) -> Location {
        let mut map = ModuleMap::new();
        map.push(m.clone());
        sym.symbolize(&mut map, in_one_leak(), AddrKind::Return)
    }

    /// The file is used when it has the recorded build-id; the log's symbols when it is
    /// missing or rebuilt, or has no build-id to check; without them, the reason.
    #[test]
    fn packed_symbols_answer_where_the_file_cannot() {
        let real = tracekit_examples::path("heap_known");
        let id = elf_info(&real).unwrap().build_id;
        assert!(!id.is_empty(), "the examples link with a build-id");
        let packed_answer = Resolution {
            frames: vec![Frame {
                function: "as_packed".into(),
                ..Frame::default()
            }],
            note: None,
        };
        let offset = in_one_leak() - 1;
        let table = |m: &Module<'_>| {
            let mut t = PackedSymbols::new();
            for r in records(m, vec![(offset, packed_answer.clone())]) {
                t.add(&r);
            }
            t
        };
        let missing = Path::new("/nonexistent/heap_known");
        let cases = [
            (module(&real, &id), "one_leak"),
            (module(&real, &[0xee; 20]), "as_packed"),
            (module(missing, &id), "as_packed"),
            (module(&real, &[]), "as_packed"),
        ];
        for (m, want) in &cases {
            let mut sym = Symbolizer::new();
            sym.set_packed(table(m));
            assert_eq!(function(&mut sym, m).function(), *want, "{m:?}");
        }
        // Without packed symbols: today's answers.
        let mut sym = Symbolizer::new();
        assert_eq!(function(&mut sym, &cases[0].0).function(), "one_leak");
        let rebuilt = function(&mut sym, &cases[1].0);
        assert_eq!(rebuilt.function(), "??");
        assert!(rebuilt.note.unwrap().contains("build-id differs"));
        let gone = function(&mut sym, &cases[2].0);
        assert!(gone.note.unwrap().starts_with("cannot read module"));
    }
}
