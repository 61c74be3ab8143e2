//! The crash handler's signal lists, in one place so that the handler (`preload-segv`, which
//! reads `TRACEKIT_SEGV_SIGNALS` at load) and its launcher (`tracekit segv --signals`, which
//! refuses a bad list before starting anything) accept exactly the same words.
//!
//! A list is words separated by commas or white space; each word is a signal name with or
//! without `SIG`, in any case (`segv`, `SIGBUS`), its number (`8`), or `all` (every
//! [`SELECTABLE`] signal). `no_std`, without allocation: the crash handler parses the list at
//! load, inside every program that preloads it.
//!
//! ```
//! let mut on = [false; 65];
//! tracekit_signals::parse_signals("segv, SIGBUS 8", &mut on).unwrap();
//! assert!(on[11] && on[7] && on[8]);
//! assert_eq!(tracekit_signals::parse_signals("segv bogus", &mut on), Err("bogus"));
//! ```

#![cfg_attr(not(test), no_std)]

use core::ffi::c_int;

/// The signals handled by default (as catchsegv's `SEGFAULT_SIGNALS` default, plus SIGTRAP).
pub const DEFAULT_SIGNALS: &[c_int] = &[
    libc::SIGSEGV,
    libc::SIGBUS,
    libc::SIGILL,
    libc::SIGFPE,
    libc::SIGABRT,
    libc::SIGTRAP,
];

/// Every signal that may be selected, with its name (without `SIG`).
pub const SELECTABLE: &[(c_int, &str)] = &[
    (libc::SIGSEGV, "SEGV"),
    (libc::SIGBUS, "BUS"),
    (libc::SIGILL, "ILL"),
    (libc::SIGFPE, "FPE"),
    (libc::SIGABRT, "ABRT"),
    (libc::SIGTRAP, "TRAP"),
    (libc::SIGSYS, "SYS"),
    (libc::SIGSTKFLT, "STKFLT"),
    (libc::SIGXCPU, "XCPU"),
    (libc::SIGXFSZ, "XFSZ"),
];

/// Parses a signal list such as `"segv bus abrt"`, `"SIGSEGV,SIGFPE"`, `"11 7"` or `"all"`,
/// setting `out[signal]` for each. The first unknown word is the error (`out` then holds the
/// words before it).
pub fn parse_signals<'a>(spec: &'a str, out: &mut [bool; 65]) -> Result<(), &'a str> {
    for word in spec
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|w| !w.is_empty())
    {
        if word.eq_ignore_ascii_case("all") {
            for &(s, _) in SELECTABLE {
                out[s as usize] = true;
            }
            continue;
        }
        if let Ok(n) = word.parse::<usize>() {
            if SELECTABLE.iter().any(|&(s, _)| s as usize == n) {
                out[n] = true;
                continue;
            }
            return Err(word);
        }
        let bare = if word.len() > 3 && word[..3].eq_ignore_ascii_case("SIG") {
            &word[3..]
        } else {
            word
        };
        match SELECTABLE
            .iter()
            .find(|(_, n)| n.eq_ignore_ascii_case(bare))
        {
            Some(&(s, _)) => out[s as usize] = true,
            None => return Err(word),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_signal_lists() {
        let mut s = [false; 65];
        parse_signals("segv, SIGBUS 8", &mut s).unwrap();
        assert!(s[11] && s[7] && s[8] && !s[6]);
        let mut s = [false; 65];
        parse_signals("all", &mut s).unwrap();
        assert!(DEFAULT_SIGNALS.iter().all(|&x| s[x as usize]));
        assert_eq!(parse_signals("segv bogus", &mut s), Err("bogus"));
        assert_eq!(parse_signals("9", &mut s), Err("9"));
    }
}
