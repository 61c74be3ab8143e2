//! The allocator's options: Electric Fence's variables with their meanings, and ours.
//!
//! | variable | meaning | default |
//! | --- | --- | --- |
//! | `EF_ALIGNMENT` | alignment of blocks from `malloc`/`calloc`/`realloc`; 1 (or 0) puts every block's end against its guard page, so a read one byte past any block faults | 16, as glibc (efence's 4 breaks programs such as python3) |
//! | `EF_PROTECT_BELOW` | 1: the guard page is below each block (underflows fault; the bytes after the end are checked at `free`) | 0 |
//! | `EF_PROTECT_FREE` | 1: freed memory is never reused (stays inaccessible for the whole run) | 0: kept inaccessible in a bounded quarantine |
//! | `EF_ALLOW_MALLOC_0` | 0: `malloc(0)` is reported as an error | 1 (efence's default of trapping kills python3) |
//! | `EF_FILL` | a byte value (0-255) new blocks from `malloc` are filled with | none |
//! | `TRACEKIT_EFENCE_SAMPLE` | N: guard one allocation in N (at random), the rest go to glibc | 1: every allocation |
//! | `TRACEKIT_EFENCE_QUARANTINE` | bytes of freed blocks kept inaccessible (`64M`, `1G`; 0: none) | 64 MiB |
//! | `TRACEKIT_EFENCE_MAX_GUARDED` | guarded slots at most (live blocks and the quarantine); past it the quarantine gives up its oldest slots, and without any, blocks get canaries checked at `free` | no limit with guard markers; else what `vm.max_map_count` allows |
//! | `TRACEKIT_EFENCE_GUARD_MARKERS` | 0: make guard and freed pages inaccessible with `mprotect`, even where the kernel has guard markers (`MADV_GUARD_INSTALL`, Linux 6.13+) | 1: markers where the kernel has them |
//! | `TRACEKIT_EFENCE_UFFD` | 0: free one-page blocks with a guard marker (the page dropped) instead of moving the page to a slot out of the quarantine with a userfaultfd (Linux 6.8+, with guard markers) | 1: where the kernel allows it |
//!
//! A value that is not understood is said once on stderr and the default is used: a typo must
//! not silently change what is checked.

use tracekit_preload_rt::env;

/// What the environment asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Alignment of `malloc`'s blocks (a power of two, at least 1).
    pub alignment: usize,
    /// Guard page below blocks instead of above.
    pub protect_below: bool,
    /// Never reuse freed memory.
    pub protect_free: bool,
    /// `malloc(0)` is fine.
    pub allow_malloc_0: bool,
    /// Fill byte for new blocks.
    pub fill: Option<u8>,
    /// Guard one allocation in this many (1: all).
    pub sample: u32,
    /// Bytes of freed blocks kept inaccessible.
    pub quarantine: u64,
    /// Guarded slots at most, live or quarantined (0: no limit with guard markers, else from
    /// `vm.max_map_count`).
    pub max_guarded: u64,
    /// Use the kernel's guard markers where it has them.
    pub markers: bool,
    /// Move freed one-page blocks' pages with a userfaultfd where the kernel allows it.
    pub uffd: bool,
}

impl Options {
    /// The defaults.
    pub const DEFAULT: Options = Options {
        alignment: 16,
        protect_below: false,
        protect_free: false,
        allow_malloc_0: true,
        fill: None,
        sample: 1,
        quarantine: 64 << 20,
        max_guarded: 0,
        markers: true,
        uffd: true,
    };
}

/// Says `tracekit efence: <message>` on stderr, without allocating.
pub fn say(args: core::fmt::Arguments<'_>) {
    tracekit_preload_rt::stderr::say_as("tracekit efence", args);
}

fn text(v: &[u8]) -> &str {
    core::str::from_utf8(v).unwrap_or("(not UTF-8)")
}

/// A size with an optional K/M/G suffix (powers of 1024).
pub fn parse_size(v: &[u8]) -> Option<u64> {
    let v = v.trim_ascii();
    let (digits, shift) = match v.last()? {
        b'k' | b'K' => (&v[..v.len() - 1], 10),
        b'm' | b'M' => (&v[..v.len() - 1], 20),
        b'g' | b'G' => (&v[..v.len() - 1], 30),
        _ => (v, 0),
    };
    env::parse_u64(digits)?.checked_mul(1u64 << shift)
}

fn flag(name: &str, v: &[u8], default: bool) -> bool {
    match v.trim_ascii() {
        b"0" => false,
        b"1" => true,
        _ => {
            say(format_args!(
                "{name}={}: expected 0 or 1 (using {})",
                text(v),
                u8::from(default)
            ));
            default
        }
    }
}

fn number(name: &str, v: &[u8], default: u64, parse: fn(&[u8]) -> Option<u64>) -> u64 {
    parse(v).unwrap_or_else(|| {
        say(format_args!(
            "{name}={}: not a number (using {default})",
            text(v)
        ));
        default
    })
}

/// The variables we know, for the check of unknown `EF_*` names.
const KNOWN: &[&str] = &[
    "EF_ALIGNMENT",
    "EF_PROTECT_BELOW",
    "EF_PROTECT_FREE",
    "EF_ALLOW_MALLOC_0",
    "EF_FILL",
    "TRACEKIT_EFENCE_SAMPLE",
    "TRACEKIT_EFENCE_QUARANTINE",
    "TRACEKIT_EFENCE_MAX_GUARDED",
    "TRACEKIT_EFENCE_GUARD_MARKERS",
    "TRACEKIT_EFENCE_UFFD",
];

/// Reads the options from `NAME=value` entries (the environment), saying what it cannot use.
pub fn parse<'e>(entries: impl Iterator<Item = &'e [u8]>) -> Options {
    let mut o = Options::DEFAULT;
    for e in entries {
        let Some((name, v)) = env::split_entry(e) else {
            continue;
        };
        if !name.starts_with(b"EF_") && !name.starts_with(b"TRACEKIT_EFENCE_") {
            continue;
        }
        let name = text(name);
        match name {
            "EF_ALIGNMENT" => {
                let a = number(name, v, 16, env::parse_u64);
                o.alignment = match a {
                    0 | 1 => 1,
                    a if a.is_power_of_two() && a <= 4096 => a as usize,
                    a => {
                        say(format_args!(
                            "EF_ALIGNMENT={a}: not a power of two up to 4096 (using 16)"
                        ));
                        16
                    }
                };
            }
            "EF_PROTECT_BELOW" => o.protect_below = flag(name, v, false),
            "EF_PROTECT_FREE" => o.protect_free = flag(name, v, false),
            "EF_ALLOW_MALLOC_0" => o.allow_malloc_0 = flag(name, v, true),
            "EF_FILL" => {
                // efence's -1 means "do not fill".
                o.fill = match v.trim_ascii() {
                    b"-1" => None,
                    t => match env::parse_u64(t) {
                        Some(b) if b <= 255 => Some(b as u8),
                        _ => {
                            say(format_args!(
                                "EF_FILL={}: expected a byte value 0-255 or -1 (not filling)",
                                text(v)
                            ));
                            None
                        }
                    },
                };
            }
            "TRACEKIT_EFENCE_SAMPLE" => {
                let n = number(name, v, 1, env::parse_u64);
                o.sample = u32::try_from(n.max(1)).unwrap_or(u32::MAX);
            }
            "TRACEKIT_EFENCE_QUARANTINE" => o.quarantine = number(name, v, 64 << 20, parse_size),
            "TRACEKIT_EFENCE_MAX_GUARDED" => o.max_guarded = number(name, v, 0, env::parse_u64),
            "TRACEKIT_EFENCE_GUARD_MARKERS" => o.markers = flag(name, v, true),
            "TRACEKIT_EFENCE_UFFD" => o.uffd = flag(name, v, true),
            _ if !KNOWN.contains(&name) => say(format_args!("unknown variable {name} (ignored)")),
            _ => {}
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(entries: &[&str]) -> Options {
        parse(entries.iter().map(|e| e.as_bytes()))
    }

    #[test]
    fn efence_variables_keep_their_meanings() {
        assert_eq!(opts(&[]), Options::DEFAULT);
        let o = opts(&[
            "EF_ALIGNMENT=1",
            "EF_PROTECT_BELOW=1",
            "EF_PROTECT_FREE=1",
            "EF_ALLOW_MALLOC_0=0",
            "EF_FILL=170",
            "PATH=/bin",
        ]);
        assert_eq!(o.alignment, 1);
        assert!(o.protect_below && o.protect_free && !o.allow_malloc_0);
        assert_eq!(o.fill, Some(170));
        assert_eq!(opts(&["EF_ALIGNMENT=0"]).alignment, 1);
        assert_eq!(opts(&["EF_ALIGNMENT=64"]).alignment, 64);
        assert_eq!(opts(&["EF_FILL=-1"]).fill, None);
    }

    #[test]
    fn bad_values_fall_back_to_the_defaults() {
        assert_eq!(opts(&["EF_ALIGNMENT=abc"]).alignment, 16);
        assert_eq!(opts(&["EF_ALIGNMENT=12"]).alignment, 16);
        assert!(!opts(&["EF_PROTECT_BELOW=yes please"]).protect_below);
        assert_eq!(opts(&["EF_FILL=300"]).fill, None);
        assert_eq!(opts(&["EF_TYPO=1"]), Options::DEFAULT);
    }

    #[test]
    fn our_variables() {
        let o = opts(&[
            "TRACEKIT_EFENCE_SAMPLE=100",
            "TRACEKIT_EFENCE_QUARANTINE=1M",
            "TRACEKIT_EFENCE_MAX_GUARDED=500",
            "TRACEKIT_EFENCE_GUARD_MARKERS=0",
            "TRACEKIT_EFENCE_UFFD=0",
        ]);
        assert_eq!((o.sample, o.quarantine, o.max_guarded), (100, 1 << 20, 500));
        assert!(!o.markers);
        assert!(!o.uffd);
        assert_eq!(opts(&["TRACEKIT_EFENCE_SAMPLE=0"]).sample, 1);
        assert_eq!(parse_size(b"2G"), Some(2 << 30));
        assert_eq!(parse_size(b"x"), None);
    }
}
