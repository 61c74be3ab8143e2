//! `-k`: the tracee's stack at each printed syscall, symbolized with `tracekit-symbolize`.
//!
//! There is no DWARF unwinder here: frame 0 is the syscall's instruction pointer and the
//! callers are found by scanning the stack for return addresses (words pointing into a
//! loaded module right after a `call` instruction). This finds the real callers in
//! practice, but can also list stale return addresses left on the stack; the README says so.

use std::collections::HashMap;

use tracekit_ptrace::{mem, Pid};
use tracekit_symbolize::{AddrKind, ModuleMap, Symbolizer};

const MAX_FRAMES: usize = 32;
const SCAN_WORDS: usize = 4096;

/// Cached module maps and symbol tables.
pub struct Stacks {
    maps: HashMap<Pid, ModuleMap>,
    sym: Symbolizer,
}

impl std::fmt::Debug for Stacks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stacks")
            .field("maps", &self.maps.len())
            .finish()
    }
}

fn looks_like_return(pid: Pid, addr: u64) -> bool {
    let mut b = [0u8; 7];
    if mem::read_exact(pid, addr - 7, &mut b).is_err() {
        return false;
    }
    // b[6] is the byte just before `addr`.
    b[2] == 0xe8 // call rel32
        || (b[5] == 0xff && (b[6] & 0xf8) == 0xd0) // call *%reg
        || (b[1] == 0xff && b[2] == 0x15) // call *disp32(%rip)
        || (b[4] == 0xff && (b[5] & 0x38) == 0x10) // call *disp8(%reg)
        || (b[1] == 0xff && (b[2] & 0x38) == 0x10 && (b[2] & 0xc0) == 0x80) // call *disp32(%reg)
}

impl Stacks {
    /// Empty caches.
    pub fn new() -> Stacks {
        Stacks {
            maps: HashMap::new(),
            sym: Symbolizer::new(),
        }
    }

    /// Forgets the module map of `pid` (after exec, exit, or mapping changes).
    pub fn invalidate(&mut self, pid: Pid) {
        self.maps.remove(&pid);
    }

    fn format(&mut self, pid: Pid, addr: u64, kind: AddrKind) -> Option<String> {
        let map = self.maps.get_mut(&pid)?;
        let loc = self.sym.symbolize(map, addr, kind);
        let module = loc.module.clone()?;
        let line = match loc.frames.last() {
            Some(f) if f.function != "??" && !f.function.is_empty() => match f.function_offset {
                Some(off) => format!(
                    " > {module}({}+{off:#x}) [{:#x}]",
                    f.function, loc.module_offset
                ),
                None => format!(" > {module}({}) [{:#x}]", f.function, loc.module_offset),
            },
            _ => format!(" > {module}() [{:#x}]", loc.module_offset),
        };
        Some(line)
    }

    /// The frames of `pid` stopped in a syscall at `ip` with stack pointer `sp`.
    pub fn capture(&mut self, pid: Pid, ip: u64, sp: u64, refresh: bool) -> Vec<String> {
        if refresh || !self.maps.contains_key(&pid) {
            match ModuleMap::from_proc_maps(pid.0 as u32) {
                Ok(m) => {
                    self.maps.insert(pid, m);
                }
                Err(_) => return vec![" > unexpected_backtracing_error".to_owned()],
            }
        }
        let mut lines = Vec::new();
        if let Some(l) = self.format(pid, ip, AddrKind::Exact) {
            lines.push(l);
        }
        let mut words = vec![0u8; SCAN_WORDS * 8];
        let n = mem::read(pid, sp, &mut words).unwrap_or(0) / 8;
        for i in 0..n {
            if lines.len() >= MAX_FRAMES {
                break;
            }
            let w = u64::from_ne_bytes(words[i * 8..i * 8 + 8].try_into().unwrap());
            if w < 0x1000 {
                continue;
            }
            let in_module = self.maps.get_mut(&pid).is_some_and(|m| m.find(w).is_some());
            if !in_module || !looks_like_return(pid, w) {
                continue;
            }
            if let Some(l) = self.format(pid, w, AddrKind::Return) {
                lines.push(l);
            }
        }
        lines
    }
}

impl Default for Stacks {
    fn default() -> Self {
        Stacks::new()
    }
}
