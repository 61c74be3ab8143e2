//! Building the environment for an `exec` without allocating: the caller's entries plus one
//! of ours, in a buffer on the caller's stack (safe in a `vfork` child, which must not touch
//! the heap).

use std::ffi::c_char;

use crate::env;
use crate::fmt::FixedBuf;

/// Most environment entries passed through; a larger environment is passed unchanged.
pub const MAX_ENTRIES: usize = 2048;

/// An environment under construction. Big (about 20 KiB): keep it on the stack of the
/// function that calls `exec`.
#[derive(Debug)]
pub struct ExecEnv {
    ptrs: [*const c_char; MAX_ENTRIES + 2],
    extra: FixedBuf<4200>,
}

impl Default for ExecEnv {
    fn default() -> Self {
        Self::new()
    }
}

impl ExecEnv {
    /// An empty builder.
    pub const fn new() -> Self {
        ExecEnv {
            ptrs: [std::ptr::null(); MAX_ENTRIES + 2],
            extra: FixedBuf::new(),
        }
    }

    /// `envp` without any `NAME=` entry, plus `NAME=value`. Returns `envp` itself when the
    /// result would not fit.
    ///
    /// # Safety
    /// `envp` is null or a NULL-terminated array of NUL-terminated strings that outlives
    /// the returned pointer's use.
    pub unsafe fn with_var(
        &mut self,
        envp: *const *const c_char,
        name: &[u8],
        value: &[u8],
    ) -> *const *const c_char {
        self.extra.clear();
        self.extra.push_bytes(name);
        self.extra.push_bytes(b"=");
        self.extra.push_bytes(value);
        let Some(var) = self.extra.as_c_str() else {
            return envp;
        };
        let var = var.as_ptr().cast::<c_char>();
        let mut n = 0;
        // SAFETY: the caller's contract: `envp` is NULL or a NULL-terminated array of C
        // strings, alive and unchanged through this call.
        for e in unsafe { env::c_entries(envp) } {
            if env::entry_value(e.bytes, name).is_none() {
                if n == MAX_ENTRIES {
                    return envp;
                }
                self.ptrs[n] = e.ptr;
                n += 1;
            }
        }
        self.ptrs[n] = var;
        self.ptrs[n + 1] = std::ptr::null();
        self.ptrs.as_ptr()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_variable() {
        let a = c"A=1";
        let old = c"TK=old";
        let b = c"B=2";
        let envp = [a.as_ptr(), old.as_ptr(), b.as_ptr(), std::ptr::null()];
        let mut env = ExecEnv::new();
        // SAFETY: envp is a NULL-terminated array of C strings living through the test.
        let out = unsafe { env.with_var(envp.as_ptr(), b"TK", b"new") };
        // SAFETY: `out` is NULL-terminated (built above); its entries are this test's
        // strings and `env`'s own, alive here.
        let got: Vec<&[u8]> = unsafe { env::c_entries(out) }.map(|e| e.bytes).collect();
        assert_eq!(got, [&b"A=1"[..], b"B=2", b"TK=new"]);
    }
}
