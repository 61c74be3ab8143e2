//! Options from the environment, read and edited without allocating.
//!
//! `getenv` is safe to call anywhere (it takes no lock and never allocates); `setenv` and
//! `unsetenv` allocate and lock, so the environment is edited in place instead: removing an
//! entry shifts the `environ` pointer array, and removing our library from `LD_PRELOAD`
//! rewrites that string's bytes where they are.

use core::ffi::{c_char, CStr};

extern "C" {
    static mut environ: *mut *mut c_char;
}

/// The value of `name`, if set. The slice points into the environment block: it stays valid
/// until the environment is changed.
pub fn var(name: &str) -> Option<&'static [u8]> {
    // SAFETY: environ is NULL-terminated; each entry is a NUL-terminated string.
    unsafe {
        let mut p = environ;
        if p.is_null() {
            return None;
        }
        while !(*p).is_null() {
            let entry = CStr::from_ptr(*p).to_bytes();
            if entry.len() > name.len()
                && entry[name.len()] == b'='
                && &entry[..name.len()] == name.as_bytes()
            {
                return Some(&entry[name.len() + 1..]);
            }
            p = p.add(1);
        }
    }
    None
}

/// True when `name` is set to `1`, `yes`, `true` or `on`.
pub fn flag(name: &str) -> bool {
    matches!(
        var(name),
        Some(b"1" | b"yes" | b"true" | b"on" | b"YES" | b"TRUE" | b"ON")
    )
}

/// `name` as an unsigned number, or `default` when unset or not a number.
pub fn number(name: &str, default: u64) -> u64 {
    var(name).and_then(parse_u64).unwrap_or(default)
}

/// A decimal number.
pub fn parse_u64(b: &[u8]) -> Option<u64> {
    if b.is_empty() || b.len() > 19 {
        return None;
    }
    b.iter().try_fold(0u64, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + u64::from(c - b'0'))
    })
}

/// Removes every `name=...` entry from the environment, in place.
///
/// Only call this while no other thread reads the environment (a library constructor).
pub fn remove(name: &str) {
    // SAFETY: environ is NULL-terminated; we only move pointers within the array and never
    // free anything.
    unsafe {
        let mut p = environ;
        if p.is_null() {
            return;
        }
        let mut out = p;
        while !(*p).is_null() {
            let entry = CStr::from_ptr(*p).to_bytes();
            let is_it = entry.len() > name.len()
                && entry[name.len()] == b'='
                && &entry[..name.len()] == name.as_bytes();
            if !is_it {
                *out = *p;
                out = out.add(1);
            }
            p = p.add(1);
        }
        *out = core::ptr::null_mut();
    }
}

/// Removes from a preload list every entry whose file name is `lib_file_name` (for example
/// `libpreload_heaptrack.so`), editing `list` in place; returns the new length.
/// Entries are separated by spaces or colons, as ld.so reads them.
pub fn strip_preload_list(list: &mut [u8], lib_file_name: &[u8]) -> usize {
    let mut out = 0;
    let mut i = 0;
    while i < list.len() {
        let start = i;
        while i < list.len() && list[i] != b' ' && list[i] != b':' {
            i += 1;
        }
        let end = i;
        while i < list.len() && (list[i] == b' ' || list[i] == b':') {
            i += 1;
        }
        if start == end {
            continue;
        }
        let file = list[start..end]
            .rsplit(|&b| b == b'/')
            .next()
            .unwrap_or(&[]);
        if file == lib_file_name {
            continue;
        }
        if out > 0 {
            list[out] = b':';
            out += 1;
        }
        list.copy_within(start..end, out);
        out += end - start;
    }
    out
}

/// Removes `lib_file_name` from `LD_PRELOAD` in this process's environment, so that programs
/// it executes are not traced; drops the variable when nothing else is left in it.
///
/// Only call this while no other thread reads the environment (a library constructor).
pub fn strip_own_preload(lib_file_name: &[u8]) {
    // SAFETY: we rewrite the bytes of the LD_PRELOAD entry in place, never past its NUL.
    unsafe {
        let mut p = environ;
        if p.is_null() {
            return;
        }
        while !(*p).is_null() {
            let entry = CStr::from_ptr(*p).to_bytes();
            if let Some(value) = entry.strip_prefix(b"LD_PRELOAD=") {
                let start = (*p).add(11).cast::<u8>();
                let value = core::slice::from_raw_parts_mut(start, value.len());
                let n = strip_preload_list(value, lib_file_name);
                *start.add(n) = 0;
                if n == 0 {
                    remove("LD_PRELOAD");
                    return;
                }
            }
            p = p.add(1);
        }
    }
}

/// The entries of a C environment array that start with `prefix` (the others are not even
/// measured), each cut at `max` bytes: what a library constructor reads from the `envp` glibc
/// hands to `.init_array` functions, in one pass instead of a `getenv` per variable.
///
/// # Safety
/// `envp` is NULL or a NULL-terminated array of NUL-terminated strings, alive and unchanged
/// for `'e`.
pub unsafe fn entries_with_prefix<'e>(
    envp: *const *const c_char,
    prefix: &'static [u8],
    max: usize,
) -> impl Iterator<Item = &'e [u8]> {
    let mut i = 0;
    core::iter::from_fn(move || loop {
        if envp.is_null() {
            return None;
        }
        // SAFETY: per the contract, entries up to and including the NULL one are readable.
        let p = unsafe { *envp.add(i) }.cast::<u8>();
        if p.is_null() {
            return None;
        }
        i += 1;
        let mut k = 0;
        // SAFETY: a NUL-terminated string: the comparison stops at the first byte that
        // differs from the prefix (a NUL included), so every byte read is at or before the NUL.
        while k < prefix.len() && unsafe { *p.add(k) } == prefix[k] {
            k += 1;
        }
        if k < prefix.len() {
            continue;
        }
        // Bounded, which also keeps the compiler from making this loop a call to `strlen`
        // (one more import to bind at load).
        let mut n = prefix.len();
        // SAFETY: as above, up to the NUL.
        while n < max && unsafe { *p.add(n) } != 0 {
            n += 1;
        }
        // SAFETY: n bytes before the NUL, alive for 'e per the contract.
        return Some(unsafe { core::slice::from_raw_parts(p, n) });
    })
}

/// `NAME=value` split at its first `=`.
pub fn split_entry(entry: &[u8]) -> Option<(&[u8], &[u8])> {
    let eq = entry.iter().position(|&b| b == b'=')?;
    Some((&entry[..eq], &entry[eq + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::prelude::rust_2021::*;

    #[test]
    fn strips_only_our_library() {
        let mut l = *b"/a/libx.so:/t/libpreload_heaptrack.so /b/liby.so";
        let n = strip_preload_list(&mut l, b"libpreload_heaptrack.so");
        assert_eq!(&l[..n], b"/a/libx.so:/b/liby.so");
        let mut l = *b"libpreload_heaptrack.so";
        assert_eq!(strip_preload_list(&mut l, b"libpreload_heaptrack.so"), 0);
    }

    #[test]
    fn envp_entries_with_a_prefix() {
        let owned = [
            &b"PATH=/bin\0"[..],
            b"TRACEKIT_A=1\0",
            b"TRACE=x\0",
            b"TRACEKIT_B=long\0",
        ];
        let mut envp: Vec<*const c_char> = owned.iter().map(|e| e.as_ptr().cast()).collect();
        envp.push(core::ptr::null());
        // SAFETY: NUL-terminated strings in a NULL-terminated array that outlive the use.
        let got: Vec<&[u8]> =
            unsafe { entries_with_prefix(envp.as_ptr(), b"TRACEKIT_", 13) }.collect();
        assert_eq!(got, [&b"TRACEKIT_A=1"[..], b"TRACEKIT_B=lo"]);
        assert_eq!(split_entry(got[0]), Some((&b"TRACEKIT_A"[..], &b"1"[..])));
        // SAFETY: NULL is allowed.
        let none = unsafe { entries_with_prefix(core::ptr::null(), b"X", 9) };
        assert_eq!(none.count(), 0);
    }

    #[test]
    fn numbers_parse() {
        assert_eq!(parse_u64(b"123"), Some(123));
        assert_eq!(parse_u64(b"12a"), None);
        assert_eq!(parse_u64(b""), None);
        assert!(var("PATH").is_some());
        assert!(var("TRACEKIT_SURELY_UNSET_VARIABLE").is_none());
    }
}
