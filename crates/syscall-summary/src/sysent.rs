//! The x86_64 system call table: names, argument counts and strace's classes.

use std::sync::OnceLock;

/// strace's syscall classes (`%file`, `%desc`, ...), as bits.
pub mod class {
    pub const DESC: u32 = 1 << 0;
    pub const FILE: u32 = 1 << 1;
    pub const IPC: u32 = 1 << 2;
    pub const NETWORK: u32 = 1 << 3;
    pub const PROCESS: u32 = 1 << 4;
    pub const SIGNAL: u32 = 1 << 5;
    pub const MEMORY: u32 = 1 << 6;
    pub const CREDS: u32 = 1 << 7;
    pub const CLOCK: u32 = 1 << 8;
    pub const STAT: u32 = 1 << 9;
    pub const LSTAT: u32 = 1 << 10;
    pub const FSTAT: u32 = 1 << 11;
    pub const STAT_LIKE: u32 = 1 << 12;
    pub const STATFS: u32 = 1 << 13;
    pub const FSTATFS: u32 = 1 << 14;
    pub const STATFS_LIKE: u32 = 1 << 15;
    pub const PURE: u32 = 1 << 16;
    /// Always in the seccomp filter (execve, execveat).
    pub const SECCOMP_DEFAULT: u32 = 1 << 17;
}

/// One system call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sysent {
    /// Its number.
    pub nr: u32,
    /// Arguments strace prints for it.
    pub nargs: u8,
    /// [`class`] bits.
    pub classes: u32,
    /// Its name.
    pub name: &'static str,
}

const TABLE: &str = include_str!("sysent_table.txt");

fn parse_classes(s: &str) -> u32 {
    use class::*;
    s.chars()
        .map(|c| match c {
            'D' => DESC,
            'F' => FILE,
            'I' => IPC,
            'N' => NETWORK,
            'P' => PROCESS,
            'S' => SIGNAL,
            'M' => MEMORY,
            'C' => CREDS,
            'K' => CLOCK,
            's' => STAT,
            'l' => LSTAT,
            'f' => FSTAT,
            'a' => STAT_LIKE,
            't' => STATFS,
            'g' => FSTATFS,
            'b' => STATFS_LIKE,
            'U' => PURE,
            'X' => SECCOMP_DEFAULT,
            _ => 0,
        })
        .fold(0, |a, b| a | b)
}

/// The table, indexed by number (`None` for holes).
pub fn table() -> &'static [Option<Sysent>] {
    static T: OnceLock<Vec<Option<Sysent>>> = OnceLock::new();
    T.get_or_init(|| {
        let mut v: Vec<Option<Sysent>> = Vec::new();
        let mut nr = 0u32;
        for line in TABLE.lines() {
            if let Some(n) = line.strip_prefix('@') {
                nr = n.trim().parse().expect("table offset");
                continue;
            }
            let mut f = line.split_whitespace();
            let (Some(nargs), Some(cls), Some(name)) = (f.next(), f.next(), f.next()) else {
                continue;
            };
            if v.len() <= nr as usize {
                v.resize(nr as usize + 1, None);
            }
            v[nr as usize] = Some(Sysent {
                nr,
                nargs: nargs.parse().expect("nargs"),
                classes: parse_classes(cls),
                name,
            });
            nr += 1;
        }
        v
    })
}

/// The entry for `nr`.
pub fn get(nr: u64) -> Option<&'static Sysent> {
    table().get(usize::try_from(nr).ok()?)?.as_ref()
}

/// The number of the syscall called `name`.
pub fn by_name(name: &str) -> Option<u32> {
    table()
        .iter()
        .flatten()
        .find(|s| s.name == name)
        .map(|s| s.nr)
}

/// Size of the number space (for bit sets).
pub fn max_nr() -> usize {
    table().len()
}

/// The name strace prints for `nr` (`syscall_0x1c8` when unknown).
pub fn name(nr: u64) -> String {
    match get(nr) {
        Some(s) => s.name.to_owned(),
        None => format!("syscall_{nr:#x}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_lines_up_with_kernel_numbers() {
        assert_eq!(get(0).unwrap().name, "read");
        assert_eq!(get(59).unwrap().name, "execve");
        assert_eq!(get(231).unwrap().name, "exit_group");
        assert_eq!(get(257).unwrap().name, "openat");
        assert_eq!(get(334).unwrap().name, "rseq");
        assert_eq!(get(435).unwrap().name, "clone3");
        assert_eq!(get(439).unwrap().name, "faccessat2");
        assert_eq!(by_name("newfstatat"), Some(262));
        assert!(get(400).is_none());
    }
}
