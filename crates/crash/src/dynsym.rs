//! The exported (dynamic) symbol that covers an address, found by reading the loaded module's
//! own `.dynamic`, `.dynsym` and hash table in memory: the fallback names when the symbolizer
//! process cannot run. All reads go through `process_vm_readv` ([`sys::read_memory`]), so a
//! damaged or unusual module yields no name rather than a fault, and nothing is allocated.

use crate::sys;

const PT_LOAD: u32 = 1;
const PT_DYNAMIC: u32 = 2;
const DT_NULL: u64 = 0;
const DT_HASH: u64 = 4;
const DT_STRTAB: u64 = 5;
const DT_SYMTAB: u64 = 6;
const DT_STRSZ: u64 = 10;
const DT_GNU_HASH: u64 = 0x6fff_fef5;
const ET_EXEC: u16 = 2;

fn u16_at(addr: u64) -> Option<u16> {
    let mut b = [0u8; 2];
    sys::read_memory(addr, &mut b).then(|| u16::from_le_bytes(b))
}

fn u32_at(addr: u64) -> Option<u32> {
    let mut b = [0u8; 4];
    sys::read_memory(addr, &mut b).then(|| u32::from_le_bytes(b))
}

/// A symbol found for an address: its name (in `name[..len]`) and the offset into it.
#[derive(Debug, Clone, Copy)]
pub struct Found {
    /// The name's bytes.
    pub name: [u8; 128],
    /// Length of the name.
    pub len: usize,
    /// `addr` minus the symbol's start.
    pub offset: u64,
}

impl Found {
    /// The name.
    pub fn name(&self) -> &[u8] {
        &self.name[..self.len]
    }
}

/// Where a loaded module's dynamic symbols are.
struct Tables {
    bias: u64,
    symtab: u64,
    strtab: u64,
    strsz: u64,
    count: u64,
    /// The `DT_GNU_HASH` table, 0 when absent.
    gnu_hash: u64,
}

fn tables(header: u64) -> Option<Tables> {
    let mut ident = [0u8; 4];
    if !sys::read_memory(header, &mut ident) || ident != *b"\x7fELF" {
        return None;
    }
    let e_type = u16_at(header + 16)?;
    let phoff = sys::read_u64(header + 32)?;
    let phnum = u16_at(header + 56)? as u64;
    let mut first_load = None;
    let mut dynamic = None;
    for i in 0..phnum.min(64) {
        let ph = header + phoff + i * 56;
        let p_type = u32_at(ph)?;
        let vaddr = sys::read_u64(ph + 16)?;
        if p_type == PT_LOAD && first_load.is_none() {
            first_load = Some(vaddr);
        }
        if p_type == PT_DYNAMIC {
            dynamic = Some(vaddr);
        }
    }
    let bias = if e_type == ET_EXEC {
        0
    } else {
        header.wrapping_sub(first_load?)
    };
    let dynamic = bias.wrapping_add(dynamic?);
    let (mut symtab, mut strtab, mut strsz, mut hash, mut gnu_hash) = (0, 0, 0, 0, 0);
    for i in 0..512u64 {
        let tag = sys::read_u64(dynamic + i * 16)?;
        let val = sys::read_u64(dynamic + i * 16 + 8)?;
        match tag {
            DT_NULL => break,
            DT_SYMTAB => symtab = val,
            DT_STRTAB => strtab = val,
            DT_STRSZ => strsz = val,
            DT_HASH => hash = val,
            DT_GNU_HASH => gnu_hash = val,
            _ => {}
        }
    }
    // ld.so relocates these in place for the objects it loads; the vDSO's are file addresses.
    let fix = |v: u64| if v != 0 && v < bias { v + bias } else { v };
    let (symtab, strtab, hash, gnu_hash) = (fix(symtab), fix(strtab), fix(hash), fix(gnu_hash));
    if symtab == 0 || strtab == 0 {
        return None;
    }
    let count = if hash != 0 {
        u32_at(hash + 4)? as u64
    } else if gnu_hash != 0 {
        gnu_symbol_count(gnu_hash)?
    } else {
        return None;
    };
    Some(Tables {
        bias,
        symtab,
        strtab,
        strsz,
        count: count.min(1 << 20),
        gnu_hash,
    })
}

/// The number of symbols a `DT_GNU_HASH` table covers: past the highest bucket's chain end.
fn gnu_symbol_count(table: u64) -> Option<u64> {
    let nbuckets = u32_at(table)? as u64;
    let symoffset = u32_at(table + 4)? as u64;
    let bloom_size = u32_at(table + 8)? as u64;
    let buckets = table + 16 + bloom_size * 8;
    let mut last = 0u64;
    for i in 0..nbuckets.min(1 << 20) {
        last = last.max(u32_at(buckets + i * 4)? as u64);
    }
    if last < symoffset {
        return Some(symoffset);
    }
    let chains = buckets + nbuckets * 4;
    (last..last + (1 << 20)).find_map(|i| match u32_at(chains + (i - symoffset) * 4) {
        Some(h) if h & 1 != 0 => Some(Some(i + 1)),
        Some(_) => None,
        None => Some(None),
    })?
}

/// The exported function of the module whose ELF header is mapped at `header` that contains
/// `addr`.
pub fn lookup(header: u64, addr: u64) -> Option<Found> {
    let t = tables(header)?;
    let mut best: Option<(u64, u32)> = None; // (start, st_name)
    let mut chunk = [0u8; 24 * 64];
    let mut i = 0;
    while i < t.count {
        let n = (t.count - i).min(64);
        let bytes = &mut chunk[..(n * 24) as usize];
        if !sys::read_memory(t.symtab + i * 24, bytes) {
            return None;
        }
        for sym in bytes.chunks_exact(24) {
            let name = u32::from_le_bytes([sym[0], sym[1], sym[2], sym[3]]);
            let kind = sym[4] & 0xf;
            let shndx = u16::from_le_bytes([sym[6], sym[7]]);
            let value = u64::from_le_bytes(sym[8..16].try_into().unwrap_or([0; 8]));
            let size = u64::from_le_bytes(sym[16..24].try_into().unwrap_or([0; 8]));
            // STT_FUNC or STT_GNU_IFUNC, defined here.
            if !(kind == 2 || kind == 10) || shndx == 0 || value == 0 {
                continue;
            }
            let start = t.bias.wrapping_add(value);
            if start <= addr && addr - start < size.max(1) {
                // Prefer the first public name over aliases that start with '_'.
                match best {
                    Some((s, _)) if s == start => {}
                    _ => best = Some((start, name)),
                }
            }
        }
        i += n;
    }
    let (start, name) = best?;
    let mut found = Found {
        name: [0; 128],
        len: 0,
        offset: addr - start,
    };
    if t.strsz != 0 && name as u64 >= t.strsz {
        return None;
    }
    let at = t.strtab + name as u64;
    for k in 0..found.name.len() {
        let mut b = [0u8; 1];
        if !sys::read_memory(at + k as u64, &mut b) || b[0] == 0 {
            break;
        }
        found.name[k] = b[0];
        found.len = k + 1;
    }
    (found.len > 0).then_some(found)
}

/// The dynamic linker's hash of a symbol name for `DT_GNU_HASH` tables.
fn gnu_hash(name: &[u8]) -> u32 {
    name.iter()
        .fold(5381u32, |h, &b| h.wrapping_mul(33).wrapping_add(b as u32))
}

/// True when the NUL-terminated string at `at` is `name`.
fn name_is(at: u64, name: &[u8]) -> bool {
    let mut buf = [0u8; 128];
    let n = name.len() + 1;
    n <= buf.len()
        && sys::read_memory(at, &mut buf[..n])
        && &buf[..name.len()] == name
        && buf[name.len()] == 0
}

/// The runtime address of the symbol `name` that the module whose ELF header is mapped at
/// `header` defines, looked up as the dynamic linker does, through its `DT_GNU_HASH` table
/// (modules without one yield `None`). A handful of reads, whatever the table's size.
pub fn find(header: u64, name: &[u8]) -> Option<u64> {
    let t = tables(header)?;
    if t.gnu_hash == 0 {
        return None;
    }
    let h = gnu_hash(name);
    let nbuckets = u32_at(t.gnu_hash)? as u64;
    let symoffset = u32_at(t.gnu_hash + 4)? as u64;
    let bloom_size = u32_at(t.gnu_hash + 8)? as u64;
    if nbuckets == 0 {
        return None;
    }
    let buckets = t.gnu_hash + 16 + bloom_size * 8;
    let chains = buckets + nbuckets * 4;
    let first = u32_at(buckets + (h as u64 % nbuckets) * 4)? as u64;
    if first < symoffset {
        return None;
    }
    // A chain ends at the entry with bit 0 set; bound the walk anyway.
    for i in first..first + (1 << 16) {
        let ch = u32_at(chains + (i - symoffset) * 4)?;
        if ch | 1 == h | 1 {
            let mut sym = [0u8; 24];
            if !sys::read_memory(t.symtab + i * 24, &mut sym) {
                return None;
            }
            let st_name = u32::from_le_bytes([sym[0], sym[1], sym[2], sym[3]]) as u64;
            let shndx = u16::from_le_bytes([sym[6], sym[7]]);
            let value = u64::from_le_bytes(sym[8..16].try_into().ok()?);
            if shndx != 0
                && (t.strsz == 0 || st_name < t.strsz)
                && name_is(t.strtab + st_name, name)
            {
                return Some(t.bias.wrapping_add(value));
            }
        }
        if ch & 1 != 0 {
            return None;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_an_exported_libc_function() {
        let addr = libc::getpid as *const () as u64 + 1;
        let mut buf = vec![0u8; crate::maps::MAPS_CAP];
        let n = crate::maps::read_self(&mut buf);
        let maps = &buf[..n];
        let m = crate::maps::find(maps, addr).unwrap();
        let header = crate::maps::parse(maps)
            .find(|x| x.path == m.path && x.offset == 0)
            .unwrap()
            .start;
        let f = lookup(header, addr).expect("getpid is exported");
        assert_eq!(f.offset, 1);
        assert!(
            f.name().ends_with(b"getpid"),
            "{:?}",
            String::from_utf8_lossy(f.name())
        );
    }

    #[test]
    fn reads_the_same_memory_twice() {
        // Regression: variadic syscall arguments passed as 32-bit values made every other
        // process_vm_readv fail.
        let addr = libc::abort as *const () as u64;
        let mut buf = vec![0u8; crate::maps::MAPS_CAP];
        let n = crate::maps::read_self(&mut buf);
        let header = crate::maps::module_of(&buf[..n], addr)
            .map(|(_, b)| b)
            .unwrap();
        for _ in 0..4 {
            let f = lookup(header, addr + 0x10).expect("abort is exported");
            assert_eq!(f.name(), b"abort");
        }
    }

    #[test]
    fn finds_symbols_by_name_as_dlsym_does() {
        let mut buf = vec![0u8; crate::maps::MAPS_CAP];
        let n = crate::maps::read_self(&mut buf);
        let maps = &buf[..n];
        let libc_header = crate::maps::module_of(maps, libc::abort as *const () as u64)
            .map(|(_, b)| b)
            .unwrap();
        for name in [&c"__abort_msg", &c"abort", &c"getpid", &c"environ"] {
            // SAFETY: dlsym with a NUL-terminated name.
            let want = unsafe { libc::dlsym(libc::RTLD_DEFAULT, name.as_ptr()) } as u64;
            assert_ne!(want, 0, "{name:?}");
            assert_eq!(find(libc_header, name.to_bytes()), Some(want), "{name:?}");
        }
        assert_eq!(find(libc_header, b"no_such_symbol_here"), None);
    }

    #[test]
    fn no_elf_no_name() {
        let x = 0u64;
        assert!(lookup(&x as *const u64 as u64, 0).is_none());
    }
}
