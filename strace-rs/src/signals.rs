//! Signal names as strace prints them.

pub use tracekit_syscall_summary::signals::name;

/// The name inside a signal set: without the `SIG` prefix (`CHLD`, `RTMIN`, `RT_1`).
pub fn short_name(sig: u32) -> String {
    let n = name(sig as i64);
    n.strip_prefix("SIG").map(str::to_owned).unwrap_or(n)
}

/// Parses `SIGINT`, `INT`, `int` or `2`.
pub fn parse(s: &str) -> Option<u32> {
    if let Ok(n) = s.parse::<u32>() {
        return (1..=64).contains(&n).then_some(n);
    }
    let up = s.to_ascii_uppercase();
    let up = up.strip_prefix("SIG").unwrap_or(&up);
    (1..=64).find(|&n| short_name(n) == up)
}

/// Prints a signal set of `bytes` (strace's `sprintsigmask_n`): `[INT TERM]`, or `~[...]`
/// listing the missing signals when more than half are set.
pub fn sigset(mask: u64, nbits: u32) -> String {
    sigset_styled(mask, nbits, crate::text::XlatStyle::Abbrev)
}

/// [`sigset`] in a `-X` style (`[2]`, `[2 /* INT */]`).
pub fn sigset_styled(mask: u64, nbits: u32, style: crate::text::XlatStyle) -> String {
    let count = mask.count_ones();
    let (inverted, m) = if count * 2 > nbits {
        let full = if nbits >= 64 {
            u64::MAX
        } else {
            (1u64 << nbits) - 1
        };
        (true, !mask & full)
    } else {
        (false, mask)
    };
    let mut s = String::from(if inverted { "~[" } else { "[" });
    let mut first = true;
    for i in 0..nbits.min(64) {
        if m & (1 << i) != 0 {
            if !first {
                s.push(' ');
            }
            first = false;
            crate::text::named(&mut s, style, &(i + 1).to_string(), &short_name(i + 1));
        }
    }
    s.push(']');
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn names() {
        assert_eq!(super::name(11), "SIGSEGV");
        assert_eq!(super::name(34), "SIGRT_2");
        assert_eq!(super::parse("int"), Some(2));
        assert_eq!(super::parse("SIGRTMIN"), Some(32));
        // All but RTMIN and RT_1 set: printed inverted.
        assert_eq!(super::sigset(!(3u64 << 31), 64), "~[RTMIN RT_1]");
        assert_eq!(super::sigset(1 << 16, 64), "[CHLD]");
    }
}
