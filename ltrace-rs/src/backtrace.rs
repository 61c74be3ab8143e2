//! `-w N`: the stack of a call's caller after its return line, as ltrace prints it with
//! libunwind (` > /path/of/module(function+0xoffset) [0xaddress]`, then an empty line),
//! unwound by the suite's remote unwinder (`tracekit_symbolize::remote`) and named by its
//! symbolizer.

use tracekit_ptrace::{mem, Pid};
use tracekit_symbolize::remote::{self, Regs};
use tracekit_symbolize::{AddrKind, Symbolizer};

/// The unwinder and the symbolizer, with their caches.
#[derive(Debug, Default)]
pub struct Backtraces {
    walker: remote::Stacks,
    sym: Symbolizer,
}

impl Backtraces {
    /// Forgets the modules of process `tgid` (libraries came or went, or it exec'd).
    pub fn invalidate(&mut self, tgid: i32) {
        self.walker.invalidate(tgid as u32);
    }

    /// At most `depth` frames of thread `tid` of process `tgid`, stopped at `regs`.
    pub fn lines(&mut self, tgid: i32, tid: i32, regs: Regs, depth: usize) -> Vec<String> {
        let mut read = |a: u64| mem::read_val::<u64>(Pid(tid), a).ok();
        let Some(addrs) = self.walker.walk(tgid as u32, regs, false, &mut read, depth) else {
            return Vec::new();
        };
        let Some(map) = self.walker.map(tgid as u32) else {
            return Vec::new();
        };
        addrs
            .into_iter()
            .map(|(ip, kind)| {
                let loc = self.sym.symbolize(map, ip, kind);
                let module = loc.module.as_deref().unwrap_or("unmapped_area");
                // The symbol that covers the address (not an inlined function in it). A
                // return address is looked up at the call before it, and its offset is
                // its own, as libunwind's unw_get_proc_name gives it.
                let adjust = u64::from(kind == AddrKind::Return);
                match loc.frames.last() {
                    Some(f) if !f.function.is_empty() && f.function != "??" => {
                        let off = f.function_offset.unwrap_or(0) + adjust;
                        format!(" > {module}({}+{off:#x}) [{ip:#x}]", f.function)
                    }
                    _ => format!(" > {module}(???) [{ip:#x}]"),
                }
            })
            .collect()
    }
}
