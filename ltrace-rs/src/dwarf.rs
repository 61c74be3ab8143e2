//! Prototypes from the DWARF of the module that defines a function, for the functions no
//! ltrace.conf file declares: the parameters and return type of its `DW_TAG_subprogram`,
//! mapped to ltrace's types. A module is read once, when the first such function of it is
//! called, and only when it (or its separate debug file) has `.debug_info`.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use gimli::{AttributeValue, EndianSlice, RunTimeEndian, UnitOffset};
use object::{Object, ObjectSection};

use crate::proto::{Len, Proto, Ty};

/// The prototypes one module's DWARF gives, by name (and linkage name) and by address.
#[derive(Debug, Default)]
pub struct ModuleProtos {
    by_name: HashMap<String, Rc<Proto>>,
    /// By link-time entry address (`DW_AT_low_pc`).
    by_addr: HashMap<u64, Rc<Proto>>,
}

impl ModuleProtos {
    /// The prototype of `name`, else of the function at link-time address `addr`.
    pub fn get(&self, name: &str, addr: Option<u64>) -> Option<Rc<Proto>> {
        self.by_name
            .get(name)
            .or_else(|| addr.and_then(|a| self.by_addr.get(&a)))
            .cloned()
    }

    /// How many functions have a prototype.
    pub fn len(&self) -> usize {
        self.by_addr.len().max(self.by_name.len())
    }

    /// No function has one.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Modules read so far (`None`: no debug info, or unreadable).
#[derive(Debug, Default)]
pub struct Cache {
    modules: HashMap<PathBuf, Option<Rc<ModuleProtos>>>,
}

impl Cache {
    /// The prototype DWARF gives `name` (at link-time address `addr`) in the module at `path`.
    pub fn proto(&mut self, path: &Path, name: &str, addr: Option<u64>) -> Option<Rc<Proto>> {
        self.module(path)?.get(name, addr)
    }

    /// The module at `path`, read on first use.
    pub fn module(&mut self, path: &Path) -> Option<Rc<ModuleProtos>> {
        if let Some(m) = self.modules.get(path) {
            return m.clone();
        }
        let m = read(path).filter(|m| !m.is_empty()).map(Rc::new);
        self.modules.insert(path.to_owned(), m.clone());
        m
    }
}

/// Reads the prototypes of the module at `path`, from its own `.debug_info` or from its
/// separate debug file; `None` when neither has one.
pub fn read(path: &Path) -> Option<ModuleProtos> {
    let data = std::fs::read(path).ok()?;
    let file = object::File::parse(&*data).ok()?;
    if file.section_by_name(".debug_info").is_some() {
        return from_file(&file);
    }
    let debug = debug_file(path, &file)?;
    let data = std::fs::read(debug).ok()?;
    let file = object::File::parse(&*data).ok()?;
    from_file(&file)
}

/// The separate debug file of `path`: by build-id under /usr/lib/debug/.build-id, else by
/// `.gnu_debuglink` next to it, in its `.debug/`, or under /usr/lib/debug (gdb's order).
fn debug_file(path: &Path, file: &object::File<'_>) -> Option<PathBuf> {
    let has_info = |p: &Path| {
        std::fs::read(p).ok().is_some_and(|d| {
            object::File::parse(&*d)
                .ok()
                .is_some_and(|f| f.section_by_name(".debug_info").is_some())
        })
    };
    if let Ok(Some(id)) = file.build_id() {
        if let Some((first, rest)) = id.split_first() {
            let hex: String = rest.iter().map(|b| format!("{b:02x}")).collect();
            let p = PathBuf::from(format!("/usr/lib/debug/.build-id/{first:02x}/{hex}.debug"));
            if has_info(&p) {
                return Some(p);
            }
        }
    }
    let (name, _crc) = file.gnu_debuglink().ok()??;
    let name = Path::new(std::str::from_utf8(name).ok()?);
    let real = std::fs::canonicalize(path).ok()?;
    let dir = real.parent()?;
    let candidates = [
        dir.join(name),
        dir.join(".debug").join(name),
        Path::new("/usr/lib/debug")
            .join(dir.strip_prefix("/").unwrap_or(dir))
            .join(name),
    ];
    candidates
        .into_iter()
        .find(|p| p.as_path() != real.as_path() && has_info(p))
}

/// The shared libraries `program` loads at start, in the dynamic linker's search order, as
/// its own dynamic linker lists them (`ld.so --list`, what ldd runs: nothing of the program
/// runs). Empty when it has no `PT_INTERP` or the listing fails.
pub fn libraries(program: &Path) -> Vec<PathBuf> {
    use object::read::elf::{ElfFile64, ProgramHeader};
    let Ok(data) = std::fs::read(program) else {
        return Vec::new();
    };
    let Ok(file) = ElfFile64::<object::Endianness>::parse(&*data) else {
        return Vec::new();
    };
    let endian = file.endian();
    let interp = file.elf_program_headers().iter().find_map(|p| {
        (p.p_type(endian) == object::elf::PT_INTERP)
            .then(|| p.data(endian, &*data).ok())
            .flatten()
    });
    let Some(interp) = interp.and_then(|i| std::str::from_utf8(i).ok()) else {
        return Vec::new();
    };
    let out = std::process::Command::new(interp.trim_end_matches('\0'))
        .arg("--list")
        .arg(program)
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output();
    let Some(out) = out.ok().filter(|o| o.status.success()) else {
        return Vec::new();
    };
    // "\tname => /path (0x...)", "\t/lib64/ld-linux-x86-64.so.2 (0x...)", "\tlinux-vdso.so.1 (0x...)"
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let l = l.trim();
            let path = l.split_once("=>").map_or(l, |(_, p)| p.trim());
            let path = path.rsplit_once(" (").map_or(path, |(p, _)| p);
            path.starts_with('/').then(|| PathBuf::from(path))
        })
        .collect()
}

type R<'a> = EndianSlice<'a, RunTimeEndian>;

/// A section's contents, decompressed when `SHF_COMPRESSED` (zlib or zstd).
fn section_data<'d>(s: &object::Section<'d, '_>) -> Option<Cow<'d, [u8]>> {
    use object::CompressionFormat;
    use std::io::Read as _;
    let c = s.compressed_data().ok()?;
    // A claimed size is not trusted for the allocation.
    let cap = c.uncompressed_size.min(64 << 20) as usize;
    match c.format {
        CompressionFormat::None => Some(Cow::Borrowed(c.data)),
        CompressionFormat::Zlib => {
            let mut out = Vec::with_capacity(cap);
            flate2::read::ZlibDecoder::new(c.data)
                .read_to_end(&mut out)
                .ok()?;
            Some(Cow::Owned(out))
        }
        CompressionFormat::Zstandard => zstd::stream::decode_all(c.data).ok().map(Cow::Owned),
        _ => None,
    }
}

fn from_file(file: &object::File<'_>) -> Option<ModuleProtos> {
    let endian = if file.is_little_endian() {
        RunTimeEndian::Little
    } else {
        RunTimeEndian::Big
    };
    let load = |id: gimli::SectionId| -> Result<Cow<'_, [u8]>, gimli::Error> {
        Ok(file
            .section_by_name(id.name())
            .and_then(|s| section_data(&s))
            .unwrap_or(Cow::Borrowed(&[])))
    };
    let sections = gimli::DwarfSections::load(load).ok()?;
    let dwarf = sections.borrow(|s| EndianSlice::new(s, endian));
    let mut out = ModuleProtos::default();
    let mut units = dwarf.units();
    while let Ok(Some(header)) = units.next() {
        let Ok(unit) = dwarf.unit(header) else {
            continue;
        };
        // Errors end the unit: what was read of it stays.
        let _ = read_unit(&dwarf, &unit, &mut out);
    }
    Some(out)
}

/// A subprogram being read: its names, entry, return type, parameters so far.
struct Sub {
    depth: isize,
    names: Vec<String>,
    low_pc: Option<u64>,
    /// `DW_AT_external`: visible outside its unit (a `static` one does not own the name).
    external: bool,
    ret: Option<Ty>,
    params: Vec<(Ty, bool)>,
    /// A parameter of a type ltrace-rs does not print (a struct by value, a 128-bit float,
    /// ...): the function keeps the default formatting.
    unsupported: bool,
    done: bool,
}

fn read_unit(
    dwarf: &gimli::Dwarf<R<'_>>,
    unit: &gimli::Unit<R<'_>>,
    out: &mut ModuleProtos,
) -> gimli::Result<()> {
    let mut cur: Option<Sub> = None;
    let mut entries = unit.entries();
    while let Some(e) = entries.next_dfs()? {
        let depth = e.depth();
        if cur.as_ref().is_some_and(|s| depth <= s.depth) {
            finish(cur.take().expect("some"), out);
        }
        match e.tag() {
            gimli::DW_TAG_subprogram => {
                if e.attr_value(gimli::DW_AT_declaration).is_some() {
                    continue;
                }
                let names = names(dwarf, unit, e);
                if names.is_empty() {
                    continue;
                }
                let low_pc = match e.attr_value(gimli::DW_AT_low_pc) {
                    Some(AttributeValue::Addr(a)) => Some(a),
                    Some(AttributeValue::DebugAddrIndex(i)) => dwarf.address(unit, i).ok(),
                    _ => None,
                };
                let ret = match follow_attr(unit, e, gimli::DW_AT_type) {
                    Some(off) => ty(dwarf, unit, off, 0),
                    None => Some(Ty::Void),
                };
                let external = follow_flag(unit, e, gimli::DW_AT_external);
                cur = Some(Sub {
                    depth,
                    names,
                    low_pc,
                    external,
                    unsupported: ret.is_none(),
                    ret,
                    params: Vec::new(),
                    done: false,
                });
            }
            gimli::DW_TAG_formal_parameter => {
                if let Some(s) = cur.as_mut().filter(|s| depth == s.depth + 1 && !s.done) {
                    match follow_attr(unit, e, gimli::DW_AT_type)
                        .and_then(|o| ty(dwarf, unit, o, 0))
                    {
                        Some(t) => s.params.push((t, false)),
                        None => s.unsupported = true,
                    }
                }
            }
            // Variadic: the fixed parameters are all ltrace-rs prints.
            gimli::DW_TAG_unspecified_parameters => {
                if let Some(s) = cur.as_mut().filter(|s| depth == s.depth + 1) {
                    s.done = true;
                }
            }
            _ => {}
        }
    }
    if let Some(s) = cur {
        finish(s, out);
    }
    Ok(())
}

fn finish(s: Sub, out: &mut ModuleProtos) {
    if s.unsupported {
        return;
    }
    let Some(ret) = s.ret else {
        return;
    };
    let p = Rc::new(Proto {
        ret,
        params: s.params,
    });
    // A definition (with code) of an external function wins over an abstract one (inlined
    // everywhere) and over a `static` one of the same name.
    for n in s.names {
        if (s.low_pc.is_some() && s.external) || !out.by_name.contains_key(&n) {
            out.by_name.insert(n, p.clone());
        }
    }
    if let Some(a) = s.low_pc {
        out.by_addr.insert(a, p);
    }
}

/// The names of a subprogram (`DW_AT_name`, `DW_AT_linkage_name`), its own or those of the
/// declaration or abstract instance it completes.
fn names<'a>(
    dwarf: &gimli::Dwarf<R<'a>>,
    unit: &gimli::Unit<R<'a>>,
    e: &gimli::DebuggingInformationEntry<R<'a>>,
) -> Vec<String> {
    let mut out = Vec::new();
    let mut entry = Some(e.clone());
    for _ in 0..4 {
        let Some(cur) = entry.take() else {
            break;
        };
        for at in [gimli::DW_AT_linkage_name, gimli::DW_AT_name] {
            if let Some(v) = cur.attr_value(at) {
                if let Ok(s) = dwarf.attr_string(unit, v) {
                    let s = s.to_string_lossy().into_owned();
                    if !out.contains(&s) {
                        out.push(s);
                    }
                }
            }
        }
        if !out.is_empty() {
            break;
        }
        entry = origin(&cur).and_then(|o| unit.entry(o).ok());
    }
    out
}

/// The entry a concrete or completing entry refers to.
fn origin(e: &gimli::DebuggingInformationEntry<R<'_>>) -> Option<UnitOffset> {
    for at in [gimli::DW_AT_abstract_origin, gimli::DW_AT_specification] {
        if let Some(AttributeValue::UnitRef(o)) = e.attr_value(at) {
            return Some(o);
        }
    }
    None
}

/// The value of the reference attribute `at` of `e`, or of the entry it completes.
fn follow_attr<'a>(
    unit: &gimli::Unit<R<'a>>,
    e: &gimli::DebuggingInformationEntry<R<'a>>,
    at: gimli::DwAt,
) -> Option<UnitOffset> {
    if let Some(AttributeValue::UnitRef(o)) = e.attr_value(at) {
        return Some(o);
    }
    let mut next = origin(e);
    for _ in 0..4 {
        let o = next?;
        let d = unit.entry(o).ok()?;
        if let Some(AttributeValue::UnitRef(t)) = d.attr_value(at) {
            return Some(t);
        }
        next = origin(&d);
    }
    None
}

/// Whether the flag `at` is set on `e` or on the entry it completes.
fn follow_flag<'a>(
    unit: &gimli::Unit<R<'a>>,
    e: &gimli::DebuggingInformationEntry<R<'a>>,
    at: gimli::DwAt,
) -> bool {
    let set = |d: &gimli::DebuggingInformationEntry<R<'a>>| {
        matches!(d.attr_value(at), Some(AttributeValue::Flag(true)))
    };
    if set(e) {
        return true;
    }
    let mut next = origin(e);
    for _ in 0..4 {
        let Some(d) = next.and_then(|o| unit.entry(o).ok()) else {
            return false;
        };
        if set(&d) {
            return true;
        }
        next = origin(&d);
    }
    false
}

fn udata(e: &gimli::DebuggingInformationEntry<R<'_>>, at: gimli::DwAt) -> Option<u64> {
    e.attr_value(at).and_then(|v| v.udata_value())
}

/// Whether the entry `e`'s `DW_AT_name` is `name`.
fn name_is(
    dwarf: &gimli::Dwarf<R<'_>>,
    unit: &gimli::Unit<R<'_>>,
    e: &gimli::DebuggingInformationEntry<R<'_>>,
    name: &str,
) -> bool {
    e.attr_value(gimli::DW_AT_name)
        .and_then(|v| dwarf.attr_string(unit, v).ok())
        .is_some_and(|s| s.slice() == name.as_bytes())
}

/// ltrace's type for the DWARF type at `off`; `None` for one ltrace-rs does not print
/// (aggregates by value, integers wider than 8 bytes, complex and 128-bit floating point).
fn ty(
    dwarf: &gimli::Dwarf<R<'_>>,
    unit: &gimli::Unit<R<'_>>,
    off: UnitOffset,
    depth: u32,
) -> Option<Ty> {
    if depth > 16 {
        return None;
    }
    let e = unit.entry(off).ok()?;
    let target = |e: &gimli::DebuggingInformationEntry<R<'_>>| match e.attr_value(gimli::DW_AT_type)
    {
        Some(AttributeValue::UnitRef(o)) => Some(o),
        _ => None,
    };
    match e.tag() {
        gimli::DW_TAG_base_type => {
            let size = udata(&e, gimli::DW_AT_byte_size)?;
            let enc = match e.attr_value(gimli::DW_AT_encoding) {
                Some(AttributeValue::Encoding(enc)) => Some(enc),
                _ => None,
            };
            if enc == Some(gimli::DW_ATE_float) {
                return match size {
                    4 => Some(Ty::Float),
                    8 => Some(Ty::Double),
                    // x86-64's long double (the x87 80-bit format in 16 bytes); not
                    // _Float128, which has the same size and encoding but its own name.
                    16 if name_is(dwarf, unit, &e, "long double") => Some(Ty::LongDouble),
                    _ => None,
                };
            }
            if size > 8 {
                return None;
            }
            let size = size as u8;
            match enc {
                Some(enc) => match enc {
                    gimli::DW_ATE_boolean => Some(Ty::Bool),
                    gimli::DW_ATE_signed_char | gimli::DW_ATE_unsigned_char if size == 1 => {
                        Some(Ty::Char)
                    }
                    gimli::DW_ATE_signed | gimli::DW_ATE_signed_char => Some(Ty::Int(size)),
                    gimli::DW_ATE_unsigned | gimli::DW_ATE_unsigned_char => Some(Ty::Uint(size)),
                    gimli::DW_ATE_UTF => Some(Ty::Uint(size)),
                    _ => None,
                },
                _ => None,
            }
        }
        gimli::DW_TAG_typedef
        | gimli::DW_TAG_const_type
        | gimli::DW_TAG_volatile_type
        | gimli::DW_TAG_restrict_type
        | gimli::DW_TAG_atomic_type => match target(&e) {
            Some(o) => ty(dwarf, unit, o, depth + 1),
            None => Some(Ty::Void),
        },
        gimli::DW_TAG_enumeration_type => {
            let size = udata(&e, gimli::DW_AT_byte_size).unwrap_or(4).min(8) as u8;
            let signed = !matches!(
                target(&e).and_then(|o| ty(dwarf, unit, o, depth + 1)),
                Some(Ty::Uint(_))
            );
            Some(if signed {
                Ty::Int(size)
            } else {
                Ty::Uint(size)
            })
        }
        gimli::DW_TAG_pointer_type
        | gimli::DW_TAG_reference_type
        | gimli::DW_TAG_rvalue_reference_type => {
            let is_char = target(&e)
                .and_then(|o| ty(dwarf, unit, o, depth + 1))
                .is_some_and(|t| t == Ty::Char);
            Some(if is_char { Ty::Str(Len::Nul) } else { Ty::Addr })
        }
        gimli::DW_TAG_ptr_to_member_type => None,
        gimli::DW_TAG_unspecified_type => Some(Ty::Addr),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// This test binary itself has DWARF (cargo's dev profile): Rust functions are there by
    /// their mangled linkage names; a missing file or one without debug info gives nothing.
    #[test]
    fn a_module_without_debug_info_gives_nothing() {
        assert!(read(Path::new("/nonexistent")).is_none());
        let mut c = Cache::default();
        assert!(c.proto(Path::new("/nonexistent"), "f", None).is_none());
        assert!(c.modules.contains_key(Path::new("/nonexistent")));
    }

    /// C declarations compiled with -g map to ltrace's types (float, double and long double
    /// too); a struct by value or a 128-bit float leaves the function to the default
    /// formatting.
    #[test]
    fn c_types_map_to_ltrace_types() {
        let dir = std::env::temp_dir().join(format!("ltrace-rs-dwarf-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let src = dir.join("t.c");
        std::fs::write(
            &src,
            "typedef unsigned long sz; enum e { A, B }; struct s { long a, b; };\n\
             const char *f1(const char *s, signed char c, unsigned short u, long long l) { return s; }\n\
             _Bool f2(sz n, enum e x, void *p, int *q) { return 0; }\n\
             void f3(int n, ...) {}\n\
             double f4(double d) { return d; }\n\
             long f5(struct s v) { return v.a; }\n\
             char f6(unsigned char c, char **pp) { return 0; }\n\
             long double f7(float f, long double ld, int n) { return ld; }\n\
             __float128 f8(__float128 q) { return q; }\n",
        )
        .unwrap();
        // Linked (a relocatable object's .debug_str references are relocations, not read).
        let obj = dir.join("t.so");
        let st = std::process::Command::new("cc")
            .args(["-g", "-O0", "-shared", "-fPIC", "-o"])
            .arg(&obj)
            .arg(&src)
            .status();
        if !st.is_ok_and(|s| s.success()) {
            eprintln!("skipped: no C compiler");
            return;
        }
        let m = read(&obj).expect("DWARF");
        let _ = std::fs::remove_dir_all(&dir);
        let get = |n: &str| m.get(n, None).map(|p| (*p).clone());
        let p = |ret, params: Vec<Ty>| {
            Some(Proto {
                ret,
                params: params.into_iter().map(|t| (t, false)).collect(),
            })
        };
        use Ty::*;
        let s = || Str(Len::Nul);
        assert_eq!(get("f1"), p(s(), vec![s(), Char, Uint(2), Int(8)]));
        assert_eq!(get("f2"), p(Bool, vec![Uint(8), Uint(4), Addr, Addr]));
        assert_eq!(get("f3"), p(Void, vec![Int(4)]));
        assert_eq!(get("f4"), p(Double, vec![Double]));
        assert_eq!(get("f5"), None);
        assert_eq!(get("f6"), p(Char, vec![Char, Addr]));
        assert_eq!(get("f7"), p(LongDouble, vec![Float, LongDouble, Int(4)]));
        // Same size and encoding as long double, another format.
        assert_eq!(get("f8"), None);
        assert_eq!(get("nope"), None);
    }

    /// libc6-dbg's file for this machine's libc (build-id, compressed sections), when
    /// installed: `atoi` is there with its C types.
    #[test]
    fn a_separate_compressed_debug_file_is_found_by_build_id() {
        let libc = Path::new("/lib/x86_64-linux-gnu/libc.so.6");
        let Some(m) = read(libc) else {
            eprintln!("skipped: no debug file for {}", libc.display());
            return;
        };
        let p = m.get("atoi", None).expect("atoi");
        assert_eq!(p.ret, Ty::Int(4));
        assert_eq!(p.params, vec![(Ty::Str(Len::Nul), false)]);
    }

    /// The dynamic linker lists a dynamically linked program's libraries, libc among them.
    #[test]
    fn libraries_lists_what_the_dynamic_linker_loads() {
        let libs = libraries(Path::new("/bin/sh"));
        assert!(
            libs.iter()
                .any(|l| l.file_name().is_some_and(|n| n == "libc.so.6")),
            "{libs:?}"
        );
        assert!(libraries(Path::new("/nonexistent")).is_empty());
    }
}
