//! What ltrace-rs needs from ELF files: a program's imported functions (and the GOT slots that
//! hold their addresses), a library's exported functions (IFUNCs marked), and any object's
//! function symbols for `-x`.

use std::collections::HashMap;
use std::io;

use object::elf;
use object::read::elf::{ElfFile64, FileHeader, Sym};
use object::{Endianness, Object, RelocationFlags, RelocationTarget};

/// A function the program imports from a shared library.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Import {
    /// The symbol name.
    pub name: String,
    /// The GOT slots (link-time addresses) that the dynamic linker fills with its address.
    pub got: Vec<u64>,
    /// The library its symbol version comes from (`libm.so.6` for `ldexp@GLIBC_2.2.5`, which
    /// libc exports too): where the dynamic linker binds it.
    pub from: Option<String>,
}

/// A function an object defines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Export {
    /// Link-time address (the load bias is added by the caller).
    pub addr: u64,
    /// The address is an IFUNC resolver, not the function.
    pub ifunc: bool,
}

/// The parts of one ELF file ltrace-rs uses.
#[derive(Debug, Default)]
pub struct ElfInfo {
    /// `ET_DYN` (PIE or library): addresses are relative to the load bias.
    pub dyn_type: bool,
    /// The entry point (link-time).
    pub entry: u64,
    /// Has a `PT_INTERP` (dynamically linked program).
    pub interp: bool,
    /// Imported functions, in symbol-table order.
    pub imports: Vec<Import>,
    /// Exported (dynamic, default-version) functions by name.
    pub exports: HashMap<String, Export>,
    /// All defined functions of `.symtab` and `.dynsym` (for `-x`), by name.
    pub functions: HashMap<String, Export>,
    /// The lowest `PT_LOAD` virtual address (the bias is `mapped start - this`, page-aligned).
    pub first_load: u64,
    /// The dynamic linker's `_r_debug` (link-time address), whose `r_state` says when a
    /// `dlopen` or `dlclose` is done.
    pub r_debug: Option<u64>,
}

/// Start-up and tear-down calls the C runtime's own files (crt1.o, crtbegin.o) make through the
/// GOT: ltrace, which breaks at PLT slots, never shows them, so neither do we.
const CRT_CALLS: &[&str] = &[
    "__libc_start_main",
    "__cxa_finalize",
    "__gmon_start__",
    "_ITM_registerTMCloneTable",
    "_ITM_deregisterTMCloneTable",
];

fn invalid(e: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e.to_string())
}

/// Parses `data` (a whole ELF file).
pub fn parse(data: &[u8]) -> io::Result<ElfInfo> {
    let file = ElfFile64::<Endianness>::parse(data).map_err(invalid)?;
    let endian = file.endian();
    let header = file.elf_header();
    let mut info = ElfInfo {
        dyn_type: header.e_type(endian) == elf::ET_DYN,
        entry: header.e_entry(endian),
        ..ElfInfo::default()
    };
    use object::read::elf::ProgramHeader;
    info.first_load = file
        .elf_program_headers()
        .iter()
        .filter(|p| p.p_type(endian) == elf::PT_LOAD)
        .map(|p| p.p_vaddr(endian) & !0xfff)
        .min()
        .unwrap_or(0);
    info.interp = file
        .elf_program_headers()
        .iter()
        .any(|p| p.p_type(endian) == elf::PT_INTERP);
    let dynsym = file.elf_dynamic_symbol_table();
    let versions = file
        .elf_section_table()
        .versions(endian, data)
        .ok()
        .flatten();
    let mut import_idx: HashMap<usize, usize> = HashMap::new();
    for (i, sym) in dynsym.iter().enumerate() {
        let Ok(name) = dynsym.symbol_name(endian, sym) else {
            continue;
        };
        let Ok(name) = std::str::from_utf8(name) else {
            continue;
        };
        if name.is_empty() {
            continue;
        }
        let ty = sym.st_type();
        let is_func = ty == elf::STT_FUNC || ty == elf::STT_GNU_IFUNC;
        if sym.is_undefined(endian) {
            if ty == elf::STT_FUNC && !CRT_CALLS.contains(&name) {
                import_idx.insert(i, info.imports.len());
                let from = versions
                    .as_ref()
                    .and_then(|v| {
                        let idx = v.version_index(endian, object::SymbolIndex(i));
                        v.version(idx).ok().flatten()
                    })
                    .and_then(|v| v.file())
                    .map(|f| String::from_utf8_lossy(f).into_owned());
                info.imports.push(Import {
                    name: name.to_owned(),
                    got: Vec::new(),
                    from,
                });
            }
            continue;
        }
        let value = sym.st_value(endian);
        if name == "_r_debug" {
            info.r_debug = Some(value);
        }
        if !is_func || sym.st_bind() == elf::STB_LOCAL {
            continue;
        }
        // A symbol with several versions (memcpy@GLIBC_2.2.5, memcpy@@GLIBC_2.14): programs
        // linked today bind to the default one, which is not hidden.
        let hidden = versions
            .as_ref()
            .map(|v| v.version_index(endian, object::SymbolIndex(i)).is_hidden())
            .unwrap_or(false);
        let export = Export {
            addr: value,
            ifunc: ty == elf::STT_GNU_IFUNC,
        };
        info.functions
            .entry(name.to_owned())
            .or_insert_with(|| export.clone());
        if !hidden {
            info.exports.insert(name.to_owned(), export);
        } else {
            info.exports.entry(name.to_owned()).or_insert(export);
        }
    }
    let symtab = file.elf_symbol_table();
    for sym in symtab.iter() {
        let ty = sym.st_type();
        if (ty != elf::STT_FUNC && ty != elf::STT_GNU_IFUNC)
            || sym.is_undefined(endian)
            || sym.st_value(endian) == 0
        {
            continue;
        }
        let Ok(name) = symtab.symbol_name(endian, sym) else {
            continue;
        };
        if let Ok(name) = std::str::from_utf8(name) {
            info.functions
                .entry(name.to_owned())
                .or_insert_with(|| Export {
                    addr: sym.st_value(endian),
                    ifunc: ty == elf::STT_GNU_IFUNC,
                });
        }
    }
    if let Some(relocs) = file.dynamic_relocations() {
        for (offset, reloc) in relocs {
            let RelocationFlags::Elf { r_type } = reloc.flags() else {
                continue;
            };
            if r_type != elf::R_X86_64_JUMP_SLOT && r_type != elf::R_X86_64_GLOB_DAT {
                continue;
            }
            if let RelocationTarget::Symbol(idx) = reloc.target() {
                if let Some(&k) = import_idx.get(&idx.0) {
                    info.imports[k].got.push(offset);
                }
            }
        }
    }
    Ok(info)
}

/// True when `data` starts with the ELF magic.
pub fn is_elf(data: &[u8]) -> bool {
    data.starts_with(b"\x7fELF")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_own_test_binary_imports_from_libc() {
        let exe = std::env::current_exe().unwrap();
        let info = parse(&std::fs::read(exe).unwrap()).unwrap();
        assert!(info.interp);
        assert!(info.imports.iter().any(|i| i.name == "malloc"));
        assert!(info.imports.iter().all(|i| i.name != "__libc_start_main"));
        let malloc = info.imports.iter().find(|i| i.name == "malloc").unwrap();
        assert_eq!(malloc.from.as_deref(), Some("libc.so.6"));
    }

    #[test]
    fn libc_exports_strlen_as_an_ifunc_and_malloc_as_a_function() {
        let Ok(data) = std::fs::read("/lib/x86_64-linux-gnu/libc.so.6") else {
            return;
        };
        let info = parse(&data).unwrap();
        assert!(info.exports["strlen"].ifunc);
        assert!(!info.exports["malloc"].ifunc);
    }
}
