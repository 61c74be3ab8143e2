//! What a module's symbol tables say about it that a heap report must tell: an allocator of
//! its own linked in (whose blocks no `malloc` hook sees), or Rust's test harness (whose
//! threads are named after the tests). `tracekit pack` writes the findings into the log as
//! `ModuleNote` records.

use std::fs::File;
use std::io;
use std::path::Path;

use object::read::elf::ElfFile64;
use object::{Endianness, Object, ObjectSymbol, ReadCache};
use tracekit_log::NoteKind;

/// One finding: what, its usual name, and the symbol that told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// What was found.
    pub kind: NoteKind,
    /// Its usual name (`mimalloc`, `jemalloc`, `libtest`, ...).
    pub name: &'static str,
    /// The symbol that told.
    pub symbol: String,
}

/// Symbols that an allocator of its own defines, with the allocator's name. A defined symbol
/// (not a reference) is a finding. jemalloc appears with the prefix of its Rust build
/// (`_rjem_`, tikv-jemalloc-sys) or of its C builds (`je_`).
const ALLOCATORS: &[(&str, &str)] = &[
    ("mi_free", "mimalloc"),
    ("mi_malloc", "mimalloc"),
    ("_rjem_sdallocx", "jemalloc"),
    ("_rjem_malloc", "jemalloc"),
    ("_rjem_free", "jemalloc"),
    ("je_malloc", "jemalloc"),
    ("je_free", "jemalloc"),
    ("tc_malloc", "tcmalloc"),
    ("tc_free", "tcmalloc"),
    ("sn_rust_alloc", "snmalloc"),
    ("rpmalloc", "rpmalloc"),
];

/// Rust's allocator shim: `__rust_alloc` calls `__rdl_alloc` (the default, `System`: malloc)
/// unless the program has a `#[global_allocator]`. The names are mangled (`..___rustc12___rust_alloc`).
const RUST_ALLOC: &str = "__rust_alloc";
const RUST_DEFAULT_ALLOC: &str = "__rdl_alloc";
/// libtest's entry point, in a Rust test binary (`cargo test`).
const LIBTEST: &str = "test_main_static";

/// What the symbol tables of the ELF file at `path` tell (see the module docs). `build_id`,
/// when not empty, must be the file's: a file rebuilt since the run tells nothing.
pub fn module_findings(path: &Path, build_id: &[u8]) -> io::Result<Vec<Finding>> {
    let cache = ReadCache::new(File::open(path)?);
    let elf = ElfFile64::<Endianness, _>::parse(&cache).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{}: {e}", path.display()),
        )
    })?;
    if !build_id.is_empty() && elf.build_id().ok().flatten() != Some(build_id) {
        return Ok(Vec::new());
    }
    let mut found = Vec::new();
    let (mut rust_alloc, mut rust_default) = (None, false);
    let mut note = |kind, name, symbol: &str| {
        if !found.iter().any(|f: &Finding| f.kind == kind) {
            found.push(Finding {
                kind,
                name,
                symbol: symbol.to_owned(),
            });
        }
    };
    for sym in elf.symbols().chain(elf.dynamic_symbols()) {
        if sym.is_undefined() {
            continue;
        }
        let Ok(name) = sym.name() else { continue };
        if let Some((_, alloc)) = ALLOCATORS.iter().find(|(s, _)| *s == name) {
            note(NoteKind::Allocator, alloc, name);
        } else if mangled_is(name, RUST_ALLOC) {
            rust_alloc.get_or_insert_with(|| name.to_owned());
        } else if mangled_is(name, RUST_DEFAULT_ALLOC) {
            rust_default = true;
        } else if mangled_is(name, LIBTEST) && name.contains("4test") {
            note(NoteKind::TestHarness, "libtest", name);
        }
    }
    if let (Some(sym), false) = (rust_alloc, rust_default) {
        note(NoteKind::Allocator, "Rust #[global_allocator]", &sym);
    }
    Ok(found)
}

/// True when `name` is `plain`, or a mangled name ending in it (v0 mangling ends with the
/// length-prefixed identifier; legacy mangling with `E` after a hash).
fn mangled_is(name: &str, plain: &str) -> bool {
    name == plain || (name.starts_with("_R") && name.ends_with(plain))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(example: &str) -> Vec<(NoteKind, &'static str)> {
        let path = tracekit_examples::path(example);
        let f = module_findings(&path, &[]).unwrap();
        f.iter().map(|f| (f.kind, f.name)).collect()
    }

    /// A C program with glibc's malloc has nothing to tell.
    #[test]
    fn a_program_on_glibc_malloc_has_no_findings() {
        assert_eq!(kinds("heap_known"), vec![]);
    }

    /// This test binary is a libtest harness on the default allocator.
    #[test]
    fn this_test_binary_is_a_harness() {
        let me = std::env::current_exe().unwrap();
        let f = module_findings(&me, &[]).unwrap();
        assert!(
            f.iter()
                .any(|f| f.kind == NoteKind::TestHarness && f.name == "libtest"),
            "{f:?}"
        );
        assert!(!f.iter().any(|f| f.kind == NoteKind::Allocator), "{f:?}");
    }

    /// A rebuilt file (another build-id) tells nothing.
    #[test]
    fn another_build_id_tells_nothing() {
        let me = std::env::current_exe().unwrap();
        assert_eq!(module_findings(&me, &[1, 2, 3]).unwrap(), vec![]);
    }
}
