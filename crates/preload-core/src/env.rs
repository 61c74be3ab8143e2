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
    // SAFETY: `environ` is NULL or libc's NULL-terminated array of NUL-terminated strings; the
    // walk only reads it, and the slice returned lives until the environment is changed, as
    // this function's doc says.
    unsafe { c_entries(environ_array().cast()) }.find_map(|e| entry_value(e.bytes, name.as_bytes()))
}

/// The C library's `environ` pointer (NULL when there is no environment at all).
fn environ_array() -> *mut *mut c_char {
    // SAFETY: a by-value read of libc's `environ` (no reference to the static is made); it is
    // written only by libc's `setenv` family, never while a preload library reads it.
    unsafe { environ }
}

/// The value of `entry` (`NAME=value`) when its name is `name`.
pub fn entry_value<'e>(entry: &'e [u8], name: &[u8]) -> Option<&'e [u8]> {
    (entry.len() > name.len() && entry[name.len()] == b'=' && entry.starts_with(name))
        .then(|| &entry[name.len() + 1..])
}

/// One entry of a NULL-terminated array of C strings: where it sits and what it says.
#[derive(Debug, Clone, Copy)]
pub struct CEntry<'a> {
    /// The array slot that holds the entry.
    pub slot: *const *const c_char,
    /// The entry: a NUL-terminated string.
    pub ptr: *const c_char,
    /// The entry's bytes, without the NUL.
    pub bytes: &'a [u8],
}

/// The entries of `array`, a NULL-terminated array of C strings (`environ`, an exec's
/// `envp`), in order, up to its NULL. The one walk of such arrays: each string is measured
/// (`strlen`), so a constructor reading a few variables uses [`entries_with_prefix`] instead.
///
/// # Safety
/// `array` is NULL or a NULL-terminated array of NUL-terminated strings. The slots not yet
/// walked, and the strings, stay valid and unchanged for `'a`, except that the caller may
/// rewrite slots already walked, and the bytes of an entry it no longer reads.
pub unsafe fn c_entries<'a>(array: *const *const c_char) -> impl Iterator<Item = CEntry<'a>> {
    let mut slot = array;
    core::iter::from_fn(move || {
        if slot.is_null() {
            return None;
        }
        // SAFETY: per the contract, `slot` is one of the array's slots at or before its NULL
        // (the walk stops on reading the NULL), so it is readable.
        let ptr = unsafe { *slot };
        if ptr.is_null() {
            return None;
        }
        // SAFETY: per the contract, a non-NULL entry is a NUL-terminated string valid for 'a.
        let bytes = unsafe { CStr::from_ptr(ptr) }.to_bytes();
        let here = slot;
        // SAFETY: the slot just read was not the NULL, so the next one is within the array
        // (at worst its NULL slot).
        slot = unsafe { slot.add(1) };
        Some(CEntry {
            slot: here,
            ptr,
            bytes,
        })
    })
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
    let array = environ_array();
    if array.is_null() {
        return;
    }
    // Pointers are only moved within the array (`out` never passes the walk), nothing is freed.
    let mut out = array;
    // SAFETY: `environ` is libc's NULL-terminated array of NUL-terminated strings; below we
    // rewrite only slots already walked, as `c_entries` allows.
    for e in unsafe { c_entries(array.cast()) } {
        if entry_value(e.bytes, name.as_bytes()).is_none() {
            // SAFETY: `out` is at or before `e.slot` in the same array: a slot already walked,
            // which we may rewrite as the caller guarantees no other thread reads the array.
            unsafe { *out = e.ptr.cast_mut() };
            // SAFETY: `out` was at or before `e.slot`, which is not the NULL slot, so `out + 1`
            // is at most `e.slot + 1`: still within the array.
            out = unsafe { out.add(1) };
        }
    }
    // SAFETY: `out` is at or before the array's NULL slot: a slot already walked, which
    // becomes the new end.
    unsafe { *out = core::ptr::null_mut() };
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
    const PREFIX: &[u8] = b"LD_PRELOAD=";
    // SAFETY: `environ` is NULL or libc's NULL-terminated array of NUL-terminated strings; an
    // entry's bytes are rewritten only once we no longer read them, as `c_entries` allows.
    for e in unsafe { c_entries(environ_array().cast()) } {
        let Some(value) = e.bytes.strip_prefix(PREFIX) else {
            continue;
        };
        let len = value.len();
        // SAFETY: the entry starts with `PREFIX`, so the value starts `PREFIX.len()` bytes
        // into the same string.
        let start = unsafe { e.ptr.add(PREFIX.len()) }.cast::<u8>().cast_mut();
        // SAFETY: `len` bytes from `start` are the value, before the entry's NUL; `e.bytes` is
        // not read again and the caller guarantees no other thread reads the environment, so
        // this is the only reference to those bytes.
        let value = unsafe { core::slice::from_raw_parts_mut(start, len) };
        let n = strip_preload_list(value, lib_file_name);
        // SAFETY: `n <= len`, so `start + n` is at most the entry's NUL: within the string.
        let end = unsafe { start.add(n) };
        // SAFETY: a byte of the entry (the `value` borrow has ended), rewritten in place as
        // above.
        unsafe { *end = 0 };
        if n == 0 {
            remove("LD_PRELOAD");
            return;
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
        // SAFETY: `i` counts the non-NULL entries read so far, so `envp + i` is at most the
        // array's NULL slot, within the array the contract describes.
        let slot = unsafe { envp.add(i) };
        // SAFETY: per the contract, entries up to and including the NULL one are readable.
        let p = unsafe { *slot }.cast::<u8>();
        if p.is_null() {
            return None;
        }
        i += 1;
        let mut k = 0;
        // A NUL-terminated string: the comparison stops at the first byte that differs from
        // the prefix (a NUL included), so every byte read is at or before the NUL.
        while k < prefix.len() {
            // SAFETY: bytes 0..k matched the prefix, so none was the NUL: `p + k` is at most
            // the NUL, within the string.
            let at = unsafe { p.add(k) };
            // SAFETY: `at` is within the string (above), which the contract keeps alive.
            if unsafe { *at } != prefix[k] {
                break;
            }
            k += 1;
        }
        if k < prefix.len() {
            continue;
        }
        // Bounded, which also keeps the compiler from making this loop a call to `strlen`
        // (one more import to bind at load).
        let mut n = prefix.len();
        while n < max {
            // SAFETY: bytes before `n` were not the NUL, so `p + n` is at most the NUL.
            let at = unsafe { p.add(n) };
            // SAFETY: `at` is within the string (above), which the contract keeps alive.
            if unsafe { *at } == 0 {
                break;
            }
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

/// True when this process runs in secure-execution mode (`AT_SECURE`: a setuid or setgid
/// program, or one with file capabilities, perhaps loading us through `/etc/ld.so.preload`).
/// Its environment is then the unprivileged caller's: a preload library must take no path and
/// no program from it (a log written where the caller says, a symbolizer the caller chose).
///
/// Read from `/proc/self/auxv` once (no libc import: the crash handler's load cost), cached;
/// where that cannot be read, differing real and effective ids say it.
pub fn secure_execution() -> bool {
    use core::sync::atomic::{AtomicU8, Ordering};
    static SECURE: AtomicU8 = AtomicU8::new(0);
    match SECURE.load(Ordering::Relaxed) {
        1 => return false,
        2 => return true,
        _ => {}
    }
    let secure = auxv_secure().unwrap_or_else(ids_differ);
    SECURE.store(if secure { 2 } else { 1 }, Ordering::Relaxed);
    secure
}

/// `AT_SECURE` from `/proc/self/auxv`, if it can be read.
fn auxv_secure() -> Option<bool> {
    const AT_NULL: u64 = 0;
    const AT_SECURE: u64 = 23;
    let mut buf = [0u8; 1024];
    let n = crate::sys::read_file(b"/proc/self/auxv\0", &mut buf).ok()?;
    let word = |i: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&buf[i..i + 8]);
        u64::from_ne_bytes(w)
    };
    let mut i = 0;
    while i + 16 <= n {
        match word(i) {
            AT_SECURE => return Some(word(i + 8) != 0),
            AT_NULL => break,
            _ => i += 16,
        }
    }
    None
}

/// Real and effective ids differ (what `AT_SECURE` says for setuid and setgid programs).
fn ids_differ() -> bool {
    crate::sys::getuid() != crate::sys::geteuid() || crate::sys::getgid() != crate::sys::getegid()
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
    fn c_entries_walk_to_the_null() {
        let owned = [c"A=1", c"TK=x", c"B="];
        let mut array: Vec<*const c_char> = owned.iter().map(|e| e.as_ptr()).collect();
        array.push(core::ptr::null());
        // SAFETY: NUL-terminated strings in a NULL-terminated array that outlive the walk.
        let got: Vec<CEntry<'_>> = unsafe { c_entries(array.as_ptr()) }.collect();
        let bytes: Vec<&[u8]> = got.iter().map(|e| e.bytes).collect();
        assert_eq!(bytes, [&b"A=1"[..], b"TK=x", b"B="]);
        assert_eq!(got[1].slot, array[1..].as_ptr());
        assert_eq!(got[1].ptr, owned[1].as_ptr());
        assert_eq!(entry_value(got[1].bytes, b"TK"), Some(&b"x"[..]));
        assert_eq!(entry_value(got[2].bytes, b"B"), Some(&b""[..]));
        assert_eq!(entry_value(got[1].bytes, b"T"), None);
        // SAFETY: NULL is allowed.
        assert_eq!(unsafe { c_entries(core::ptr::null()) }.count(), 0);
    }

    #[test]
    fn a_test_run_is_not_secure_execution() {
        assert_eq!(auxv_secure(), Some(false));
        assert!(!ids_differ());
        assert!(!secure_execution());
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
