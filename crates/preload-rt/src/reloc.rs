//! Hooking by relocation: point every loaded module's GOT slots for named functions at
//! replacements, remember what they held, and put it back.
//!
//! A library that is `dlopen`ed into a running process (the heap tracker attached with
//! `tracekit heap -p`) cannot interpose by symbol order as `LD_PRELOAD` does: every module's
//! calls already go through its GOT, bound to glibc. [`patch`] walks every loaded module
//! (`dl_iterate_phdr`), reads its dynamic section, and for each `R_X86_64_JUMP_SLOT` (calls
//! through the PLT) and `R_X86_64_GLOB_DAT` (calls of `-fno-plt` code, and function pointers
//! taken from the GOT) relocation of a named symbol, swaps the slot (making a RELRO page
//! writable around the store). [`patch_new_modules`] does the same for modules loaded since
//! (call it after `dlopen`); [`restore`] writes every slot back that still holds our
//! replacement.
//!
//! One patch set per process (the slots are process-wide). The store of one slot is one
//! aligned 8-byte write, so threads that run meanwhile call either the old or the new
//! function, never a torn address. Not for use inside a hook: it takes a `std` mutex and
//! allocates (through [`crate::real::RealAllocator`] in the preload libraries).

use std::ffi::{c_int, c_void, CStr, CString};
use std::sync::Mutex;

use crate::sys;

/// One function to redirect: the symbol's name and the replacement's address.
#[derive(Debug, Clone, Copy)]
pub struct Hook<'a> {
    /// The symbol (as modules import it, unversioned).
    pub symbol: &'a CStr,
    /// The address every slot of `symbol` gets.
    pub replacement: usize,
}

/// A slot we changed: where, what it held, what we wrote.
#[derive(Debug, Clone, Copy)]
struct Slot {
    addr: usize,
    old: usize,
    new: usize,
}

#[derive(Debug)]
struct Patches {
    hooks: Vec<(CString, usize)>,
    /// Load biases of modules already walked (and the module never patched, see `skip`).
    seen: Vec<usize>,
    slots: Vec<Slot>,
    /// An address inside the module that must keep its own bindings (the hooking library).
    skip: usize,
    /// Only the program's own slots (see [`patch_program`]).
    program_only: bool,
}

static PATCHES: Mutex<Patches> = Mutex::new(Patches {
    hooks: Vec::new(),
    seen: Vec::new(),
    slots: Vec::new(),
    skip: 0,
    program_only: false,
});

/// What [`patch`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Patched {
    /// Per hook, in order: the address the symbol has in the global scope (what its callers
    /// called before), `None` when no loaded object defines it.
    pub originals: Vec<Option<usize>>,
    /// Slots changed.
    pub slots: usize,
}

/// Redirects `hooks` in every loaded module except the one containing `skip` (the hooking
/// library itself, whose own calls must reach the real functions). Replaces any earlier
/// patch set (restore that first).
pub fn patch(hooks: &[Hook<'_>], skip: usize) -> Patched {
    patch_set(hooks, skip, false)
}

/// Redirects `hooks` in the program's own GOT only (the first module the loader lists): the
/// calls the program makes, not those its libraries make (what ltrace traces by default).
/// [`patch_new_modules`] then finds nothing to do.
pub fn patch_program(hooks: &[Hook<'_>]) -> Patched {
    patch_set(hooks, 0, true)
}

fn patch_set(hooks: &[Hook<'_>], skip: usize, program_only: bool) -> Patched {
    let mut p = PATCHES.lock().unwrap_or_else(|e| e.into_inner());
    p.program_only = program_only;
    p.hooks = hooks
        .iter()
        .map(|h| (h.symbol.to_owned(), h.replacement))
        .collect();
    p.skip = skip;
    p.seen.clear();
    let originals = hooks.iter().map(|h| global_address(h.symbol)).collect();
    let slots = walk(&mut p);
    Patched { originals, slots }
}

/// Patches modules loaded since the last [`patch`] or call of this; returns the slots changed.
pub fn patch_new_modules() -> usize {
    let mut p = PATCHES.lock().unwrap_or_else(|e| e.into_inner());
    if p.hooks.is_empty() {
        return 0;
    }
    walk(&mut p)
}

/// Puts back every slot that still holds our replacement (a module unloaded since is left
/// alone: its slots are gone with it); returns how many were written back. Later calls of
/// [`patch_new_modules`] do nothing until the next [`patch`].
pub fn restore() -> usize {
    let mut p = PATCHES.lock().unwrap_or_else(|e| e.into_inner());
    let slots = std::mem::take(&mut p.slots);
    p.hooks.clear();
    p.seen.clear();
    let mut live = Vec::new();
    modules(&mut |m| live.push(m.clone()));
    let mut n = 0;
    for s in slots {
        let Some(m) = live.iter().find(|m| m.contains(s.addr)) else {
            continue;
        };
        // SAFETY: the slot lies in a module that is still loaded (checked just above, under
        // no lock the loader could change it in: a `dlclose` racing with a restore is the
        // caller's to avoid), and was a GOT slot we wrote.
        if unsafe { read_slot(s.addr) } == s.new && m.store(s.addr, s.old) {
            n += 1;
        }
    }
    n
}

/// True when `addr` is a slot currently redirected (for tests and diagnostics).
pub fn is_patched(addr: usize) -> bool {
    let p = PATCHES.lock().unwrap_or_else(|e| e.into_inner());
    p.slots.iter().any(|s| s.addr == addr)
}

fn global_address(symbol: &CStr) -> Option<usize> {
    // SAFETY: `symbol` is a C string; RTLD_DEFAULT searches the global scope.
    let a = unsafe { libc::dlsym(libc::RTLD_DEFAULT, symbol.as_ptr()) };
    (!a.is_null()).then_some(a as usize)
}

fn walk(p: &mut Patches) -> usize {
    let mut found = Vec::new();
    modules(&mut |m| found.push(m.clone()));
    if p.program_only {
        found.truncate(1);
    }
    let mut n = 0;
    for m in found {
        if p.seen.contains(&m.bias) {
            continue;
        }
        p.seen.push(m.bias);
        if m.contains(p.skip) {
            continue;
        }
        n += patch_module(p, &m);
    }
    n
}

/// What a module's dynamic section says about its relocations.
#[derive(Debug, Clone, Default)]
struct Module {
    bias: usize,
    /// `PT_LOAD` ranges (start, end).
    loads: Vec<(usize, usize)>,
    /// `PT_GNU_RELRO`, page-aligned.
    relro: Option<(usize, usize)>,
    symtab: usize,
    strtab: usize,
    strsz: usize,
    /// `(address, size in bytes)` of the `Elf64_Rela` tables: `DT_JMPREL` and `DT_RELA`.
    tables: [(usize, usize); 2],
}

const PAGE: usize = 4096;
const R_X86_64_GLOB_DAT: u32 = 6;
const R_X86_64_JUMP_SLOT: u32 = 7;
const DT_PLTRELSZ: u64 = 2;
const DT_STRTAB: u64 = 5;
const DT_SYMTAB: u64 = 6;
const DT_RELA: u64 = 7;
const DT_RELASZ: u64 = 8;
const DT_STRSZ: u64 = 10;
const DT_JMPREL: u64 = 23;

/// `Elf64_Dyn`.
#[repr(C)]
struct Dyn {
    tag: u64,
    val: u64,
}

impl Module {
    fn contains(&self, addr: usize) -> bool {
        self.loads.iter().any(|&(s, e)| (s..e).contains(&addr))
    }

    /// The address of a dynamic-section pointer: glibc relocates them in place for most
    /// objects, not for all (the vDSO, the loader's own), so one below the bias is relative.
    fn ptr(&self, v: u64) -> usize {
        let v = v as usize;
        if v < self.bias {
            self.bias + v
        } else {
            v
        }
    }

    /// Writes `value` into the GOT slot at `addr`, making its page writable for the store
    /// when it is in RELRO. False when the page could not be made writable.
    fn store(&self, addr: usize, value: usize) -> bool {
        let relro = self.relro.filter(|&(s, e)| (s..e).contains(&addr));
        let page = addr & !(PAGE - 1);
        let span = if addr % PAGE > PAGE - 8 {
            2 * PAGE
        } else {
            PAGE
        };
        if relro.is_some() {
            let rw = libc::PROT_READ | libc::PROT_WRITE;
            // SAFETY: the page holds the module's GOT (RELRO: read-only data of the loader's);
            // adding write access takes nothing away from anyone.
            if unsafe { sys::protect(page as *mut u8, span, rw) }.is_err() {
                return false;
            }
        }
        // SAFETY: `addr` is an aligned GOT slot of a loaded module (from its relocations),
        // writable now; the store is one 8-byte word, atomic for concurrent readers.
        unsafe { std::ptr::write_volatile(addr as *mut usize, value) };
        if relro.is_some() {
            // SAFETY: as above; RELRO pages are read-only once the loader has relocated them,
            // which is how we found them.
            let _ = unsafe { sys::protect(page as *mut u8, span, libc::PROT_READ) };
        }
        true
    }
}

/// # Safety
/// `addr` is a readable, aligned word.
unsafe fn read_slot(addr: usize) -> usize {
    // SAFETY: the caller's contract.
    unsafe { std::ptr::read_volatile(addr as *const usize) }
}

fn patch_module(p: &mut Patches, m: &Module) -> usize {
    let mut n = 0;
    for &(table, size) in &m.tables {
        if table == 0 {
            continue;
        }
        for i in 0..size / std::mem::size_of::<libc::Elf64_Rela>() {
            // SAFETY: the relocation table of a loaded module, `size` bytes long as its
            // dynamic section says; entries are aligned `Elf64_Rela`s.
            let r = unsafe { &*(table as *const libc::Elf64_Rela).wrapping_add(i) };
            let kind = (r.r_info & 0xffff_ffff) as u32;
            if kind != R_X86_64_JUMP_SLOT && kind != R_X86_64_GLOB_DAT {
                continue;
            }
            let sym = (r.r_info >> 32) as usize;
            let Some(name) = symbol_name(m, sym) else {
                continue;
            };
            let Some(&(_, new)) = p.hooks.iter().find(|(h, _)| h.as_bytes() == name) else {
                continue;
            };
            let addr = m.bias + r.r_offset as usize;
            // SAFETY: a GOT slot of a loaded module (the relocation's target), aligned.
            let old = unsafe { read_slot(addr) };
            if old == new || !m.store(addr, new) {
                continue;
            }
            p.slots.push(Slot { addr, old, new });
            n += 1;
        }
    }
    n
}

fn symbol_name(m: &Module, index: usize) -> Option<&'static [u8]> {
    if m.symtab == 0 || m.strtab == 0 || index == 0 {
        return None;
    }
    // SAFETY: the module's dynamic symbol table; relocations only name symbols inside it.
    let sym = unsafe { &*(m.symtab as *const libc::Elf64_Sym).wrapping_add(index) };
    let off = sym.st_name as usize;
    if off >= m.strsz {
        return None;
    }
    // SAFETY: a NUL-terminated name in the module's string table (offset checked against its
    // size), which lives as long as the module.
    let name = unsafe { CStr::from_ptr((m.strtab + off) as *const libc::c_char) };
    Some(name.to_bytes())
}

/// Calls `f` with every loaded module that has a dynamic section.
fn modules(f: &mut dyn FnMut(&Module)) {
    unsafe extern "C" fn each(info: *mut libc::dl_phdr_info, _: usize, data: *mut c_void) -> c_int {
        // SAFETY: dl_iterate_phdr passes a valid info for the duration of the call.
        let info = unsafe { &*info };
        // SAFETY: `data` is the `&mut dyn FnMut` that `modules` lent for the call.
        let f = unsafe { &mut *data.cast::<&mut dyn FnMut(&Module)>() };
        if let Some(m) = read_module(info) {
            f(&m);
        }
        0
    }
    let mut f = f;
    // SAFETY: `each` only reads what the loader passes and calls `f`, which outlives the call.
    unsafe { libc::dl_iterate_phdr(Some(each), (&mut f as *mut &mut dyn FnMut(&Module)).cast()) };
}

fn read_module(info: &libc::dl_phdr_info) -> Option<Module> {
    let mut m = Module {
        bias: info.dlpi_addr as usize,
        ..Module::default()
    };
    let mut dynamic = 0usize;
    for i in 0..info.dlpi_phnum as usize {
        // SAFETY: the loader's program headers, `dlpi_phnum` of them.
        let ph = unsafe { &*info.dlpi_phdr.wrapping_add(i) };
        let start = m.bias + ph.p_vaddr as usize;
        match ph.p_type {
            libc::PT_LOAD => m.loads.push((start, start + ph.p_memsz as usize)),
            libc::PT_DYNAMIC => dynamic = start,
            libc::PT_GNU_RELRO => {
                let s = start & !(PAGE - 1);
                let e = (start + ph.p_memsz as usize + PAGE - 1) & !(PAGE - 1);
                m.relro = Some((s, e));
            }
            _ => {}
        }
    }
    if dynamic == 0 {
        return None;
    }
    let (mut jmprel, mut pltrelsz, mut rela, mut relasz) = (0, 0, 0, 0);
    let mut d = dynamic as *const Dyn;
    loop {
        // SAFETY: the module's dynamic section, terminated by DT_NULL.
        let e = unsafe { &*d };
        let v = e.val;
        match e.tag {
            0 => break,
            DT_JMPREL => jmprel = m.ptr(v),
            DT_PLTRELSZ => pltrelsz = v as usize,
            DT_RELA => rela = m.ptr(v),
            DT_RELASZ => relasz = v as usize,
            DT_SYMTAB => m.symtab = m.ptr(v),
            DT_STRTAB => m.strtab = m.ptr(v),
            DT_STRSZ => m.strsz = v as usize,
            _ => {}
        }
        d = d.wrapping_add(1);
    }
    m.tables = [(jmprel, pltrelsz), (rela, relasz)];
    Some(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    extern "C" {
        fn getpagesize() -> c_int;
    }

    extern "C" fn fake_pagesize() -> c_int {
        12345
    }

    #[inline(never)]
    fn pagesize() -> c_int {
        // SAFETY: getpagesize has no preconditions.
        std::hint::black_box(unsafe { getpagesize() })
    }

    /// The test binary's call of `getpagesize` goes through its GOT (Rust calls imported
    /// functions as `-fno-plt` C does: a GLOB_DAT slot), so patching redirects it, and
    /// restoring puts glibc's back.
    #[test]
    fn patches_and_restores_a_got_slot() {
        let real = pagesize();
        assert_ne!(real, 12345);
        let hooks = [Hook {
            symbol: c"getpagesize",
            replacement: fake_pagesize as extern "C" fn() -> c_int as usize,
        }];
        let done = patch(&hooks, 0);
        assert!(done.slots >= 1, "no slot of getpagesize found: {done:?}");
        assert!(done.originals[0].is_some());
        assert_eq!(pagesize(), 12345);
        // A second walk finds nothing new.
        assert_eq!(patch_new_modules(), 0);
        assert!(restore() >= 1);
        assert_eq!(pagesize(), real);
        assert_eq!(patch_new_modules(), 0, "restored: no patch set left");
    }
}
