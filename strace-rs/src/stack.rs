//! `-k`: the tracee's stack at each printed syscall, unwound by `tracekit-symbolize`'s
//! [`remote::Stacks`](tracekit_symbolize::remote::Stacks) (framehop over `/proc/PID/maps`) and
//! symbolized with `tracekit-symbolize`, printed in strace's ` > module(function+offset)
//! [file_offset]` form.

use tracekit_ptrace::{mem, Pid};
use tracekit_symbolize::remote::{self, Regs};
use tracekit_symbolize::{AddrKind, Symbolizer};

const MAX_FRAMES: usize = 64;

/// Per-process unwinders and the symbolizer.
#[derive(Debug, Default)]
pub struct Stacks {
    walker: remote::Stacks,
    sym: Symbolizer,
}

impl Stacks {
    /// Empty caches.
    pub fn new() -> Stacks {
        Stacks::default()
    }

    /// Forgets the modules of `pid` (after exec, exit, or mapping changes).
    pub fn invalidate(&mut self, pid: Pid) {
        self.walker.invalidate(pid.0 as u32);
    }

    fn format(&mut self, pid: Pid, addr: u64, kind: AddrKind) -> String {
        let Some(map) = self.walker.map(pid.0 as u32) else {
            return format!(" > unexpected_backtracing_error [{addr:#x}]");
        };
        let loc = self.sym.symbolize(map, addr, kind);
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
        let Ok(regs) = tracekit_ptrace::get_regs(pid) else {
            return Vec::new();
        };
        let regs = Regs {
            ip: regs.rip,
            sp: regs.rsp,
            bp: regs.rbp,
        };
        let mut read = |a: u64| mem::read_val::<u64>(pid, a).ok();
        let Some(addrs) = self
            .walker
            .walk(pid.0 as u32, regs, refresh, &mut read, MAX_FRAMES)
        else {
            return vec![" > unexpected_backtracing_error".to_owned()];
        };
        addrs
            .into_iter()
            .map(|(a, kind)| self.format(pid, a, kind))
            .collect()
    }
}
