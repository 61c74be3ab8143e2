//! A process's leak check, as its `Leak` records give it: loss records (kind, stack, bytes,
//! blocks), gathered from every record of the process.

use tracekit_log::{Leak, LeakLoss};

/// memcheck's leak kinds, in its order (`tracekit_leak_scan::Kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LeakKind {
    /// Still reachable.
    Reachable = 0,
    /// Possibly lost.
    Possible = 1,
    /// Indirectly lost.
    Indirect = 2,
    /// Definitely lost.
    Definite = 3,
}

impl LeakKind {
    /// The kind with code `c`.
    pub fn from_code(c: u8) -> Option<LeakKind> {
        [
            LeakKind::Reachable,
            LeakKind::Possible,
            LeakKind::Indirect,
            LeakKind::Definite,
        ]
        .get(usize::from(c))
        .copied()
    }

    /// As memcheck says it in a loss record ("definitely lost", ...).
    pub fn phrase(self) -> &'static str {
        match self {
            LeakKind::Reachable => "still reachable",
            LeakKind::Possible => "possibly lost",
            LeakKind::Indirect => "indirectly lost",
            LeakKind::Definite => "definitely lost",
        }
    }

    /// Its name in `--show-leak-kinds` (`definite`, `indirect`, `possible`, `reachable`).
    pub fn name(self) -> &'static str {
        match self {
            LeakKind::Reachable => "reachable",
            LeakKind::Possible => "possible",
            LeakKind::Indirect => "indirect",
            LeakKind::Definite => "definite",
        }
    }
}

/// A set of kinds (bit `1 << kind`), as `--show-leak-kinds` and its siblings take them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeakKinds(pub u8);

impl LeakKinds {
    /// `definite,possible`: memcheck's default for showing and for errors.
    pub const DEFAULT: LeakKinds = LeakKinds(1 << 3 | 1 << 1);
    /// `definite,indirect`: what `--max-leaked` counts by default.
    pub const LOST: LeakKinds = LeakKinds(1 << 3 | 1 << 2);

    /// True when `k` is in the set.
    pub fn has(self, k: LeakKind) -> bool {
        self.0 & (1 << k as u8) != 0
    }

    /// Parses memcheck's list: `all`, `none`, or kinds joined by commas.
    pub fn parse(text: &str) -> Result<LeakKinds, String> {
        let mut bits = 0;
        for name in text.split(',') {
            bits |= match name {
                "all" => 0b1111,
                "none" => 0,
                "definite" => 1 << 3,
                "indirect" => 1 << 2,
                "possible" => 1 << 1,
                "reachable" => 1,
                _ => {
                    return Err(format!(
                        "unknown leak kind {name:?} (expected definite, indirect, possible, \
                         reachable, all or none)"
                    ))
                }
            };
        }
        Ok(LeakKinds(bits))
    }
}

/// The losses of one process's check.
#[derive(Debug, Clone, Default)]
pub struct LeakCheck {
    /// Its number in the process (0: a log from before checks were numbered, one at exit).
    pub check: u32,
    /// What started it (`tracekit_log::Leak::AT_EXIT`, `ON_SIGNAL`, `ON_REQUEST`,
    /// `AT_FATAL_SIGNAL`).
    pub cause: u8,
    /// memcheck's heuristics that were on.
    pub heuristics: u8,
    /// The loss records as written (a stack may appear once per kind and heuristic).
    pub losses: Vec<LeakLoss>,
}

impl LeakCheck {
    /// Adds one `Leak` record.
    pub fn add(&mut self, l: &Leak<'_>) {
        self.heuristics = l.heuristics;
        self.losses.extend(l.losses.iter().copied());
    }
}
