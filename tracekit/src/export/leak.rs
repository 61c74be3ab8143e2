//! The leak checks as memcheck prints them: with `--leak-check=full` one loss record per
//! allocation stack of the kinds shown ("N (d direct, i indirect) bytes in M blocks are
//! definitely lost in loss record K of T" and its stack), then the LEAK SUMMARY with
//! memcheck's labels, layout and digit grouping, each line prefixed `==PID==`, so scripts
//! that read valgrind's output read these.

use std::io::{self, Write};

use crate::analysis::leak::{LeakKind, LeakKinds};
use crate::model::leak::{LeakCount, LeakReport};

/// How much to print (`--leak-check`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LeakMode {
    /// Nothing.
    No,
    /// The LEAK SUMMARY.
    #[default]
    Summary,
    /// The loss records and the summary.
    Full,
}

/// What the leak section prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeakPrint {
    /// `--leak-check`.
    pub mode: LeakMode,
    /// `--show-leak-kinds`.
    pub show: LeakKinds,
    /// Frames per stack (0: all).
    pub depth: usize,
    /// `--gen-suppressions=all`: each printed record followed by its suppression entry.
    pub gen_suppressions: bool,
}

/// memcheck's `%'lu`: digits grouped by commas.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn count(c: LeakCount) -> String {
    format!("{} bytes in {} blocks", grouped(c.bytes), grouped(c.blocks))
}

/// Writes every process's leak check.
pub fn write(leaks: &[LeakReport], p: &LeakPrint, out: &mut dyn Write) -> io::Result<()> {
    if p.mode == LeakMode::No {
        return Ok(());
    }
    for l in leaks {
        write_one(l, p, out)?;
    }
    Ok(())
}

fn write_one(l: &LeakReport, p: &LeakPrint, out: &mut dyn Write) -> io::Result<()> {
    let pre = format!("=={}==", l.pid);
    let s = &l.summary;
    writeln!(out, "{pre} ")?;
    match l.cause {
        "signal" => writeln!(out, "{pre} leak check {} (asked by a signal):", l.check)?,
        "request" => writeln!(out, "{pre} leak check {} (asked by the program):", l.check)?,
        _ => {}
    }
    if l.records.is_empty() {
        writeln!(
            out,
            "{pre} All heap blocks were freed -- no leaks are possible"
        )?;
        return writeln!(out, "{pre} ");
    }
    let total = l.records.len();
    if p.mode == LeakMode::Full {
        for r in l
            .records
            .iter()
            .filter(|r| p.show.has(r.kind) && !r.suppressed)
        {
            let bytes = if r.indirect_bytes > 0 {
                format!(
                    "{} ({} direct, {} indirect)",
                    grouped(r.bytes + r.indirect_bytes),
                    grouped(r.bytes),
                    grouped(r.indirect_bytes)
                )
            } else {
                grouped(r.bytes)
            };
            writeln!(
                out,
                "{pre} {bytes} bytes in {} blocks are {} in loss record {} of {total}",
                grouped(r.blocks),
                r.kind.phrase(),
                r.number
            )?;
            let shown = if p.depth == 0 {
                r.frames.len()
            } else {
                r.frames.len().min(p.depth)
            };
            if r.frames.is_empty() {
                writeln!(out, "{pre}    (no backtrace recorded)")?;
            }
            for (i, f) in r.frames[..shown].iter().enumerate() {
                let word = if i == 0 { "at" } else { "by" };
                writeln!(out, "{pre}    {word} {}", super::text::valgrind_frame(f))?;
            }
            writeln!(out, "{pre} ")?;
            if p.gen_suppressions {
                crate::model::suppress::write_entry(r, p.depth, out)?;
            }
        }
    }
    writeln!(out, "{pre} LEAK SUMMARY:")?;
    writeln!(out, "{pre}    definitely lost: {}", count(s.definite))?;
    writeln!(out, "{pre}    indirectly lost: {}", count(s.indirect))?;
    writeln!(out, "{pre}      possibly lost: {}", count(s.possible))?;
    writeln!(out, "{pre}    still reachable: {}", count(s.reachable))?;
    if !s.via_heuristic.is_empty() {
        writeln!(
            out,
            "{pre}                       of which reachable via heuristic:"
        )?;
        for (name, c) in &s.via_heuristic {
            writeln!(
                out,
                "{pre}                         {name:<19}: {}",
                count(*c)
            )?;
        }
    }
    writeln!(out, "{pre}         suppressed: {}", count(s.suppressed))?;
    match p.mode {
        LeakMode::Full if s.reachable.blocks > 0 && !p.show.has(LeakKind::Reachable) => {
            writeln!(
                out,
                "{pre} Reachable blocks (those to which a pointer was found) are not shown."
            )?;
            writeln!(
                out,
                "{pre} To see them, rerun with: --leak-check=full --show-leak-kinds=all"
            )?;
        }
        LeakMode::Summary => {
            writeln!(
                out,
                "{pre} Rerun with --leak-check=full to see details of leaked memory"
            )?;
        }
        _ => {}
    }
    writeln!(out, "{pre} ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::leak::{LeakSummary, LossRecord};
    use crate::symbols::ResolvedFrame;

    fn report() -> LeakReport {
        LeakReport {
            pid: 42,
            check: 1,
            cause: "exit",
            last: true,
            summary: LeakSummary {
                definite: LeakCount {
                    bytes: 24,
                    blocks: 1,
                },
                indirect: LeakCount {
                    bytes: 72,
                    blocks: 3,
                },
                reachable: LeakCount {
                    bytes: 72_704,
                    blocks: 1,
                },
                via_heuristic: vec![(
                    "newarray".into(),
                    LeakCount {
                        bytes: 88,
                        blocks: 1,
                    },
                )],
                ..Default::default()
            },
            records: vec![
                LossRecord {
                    number: 1,
                    kind: LeakKind::Definite,
                    bytes: 24,
                    indirect_bytes: 72,
                    blocks: 1,
                    stack_id: 1,
                    frames: vec![
                        ResolvedFrame {
                            addr: 0x4846ef,
                            function: "calloc".into(),
                            module: Some("/x/libpreload_heaptrack.so".into()),
                            ..Default::default()
                        },
                        ResolvedFrame {
                            addr: 0x109190,
                            function: "make_list".into(),
                            file: Some("/src/leak_shapes.c".into()),
                            line: Some(39),
                            ..Default::default()
                        },
                    ],
                    suppressed: false,
                },
                LossRecord {
                    number: 2,
                    kind: LeakKind::Reachable,
                    bytes: 72_704,
                    indirect_bytes: 0,
                    blocks: 1,
                    stack_id: 2,
                    frames: vec![],
                    suppressed: false,
                },
            ],
        }
    }

    fn text(mode: LeakMode) -> String {
        text_of(&report(), mode, false)
    }

    fn text_of(r: &LeakReport, mode: LeakMode, gen_suppressions: bool) -> String {
        let mut out = Vec::new();
        let p = LeakPrint {
            mode,
            show: LeakKinds::DEFAULT,
            depth: 12,
            gen_suppressions,
        };
        write(std::slice::from_ref(r), &p, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn gen_suppressions_follows_each_printed_record_with_its_entry() {
        insta::assert_snapshot!(text_of(&report(), LeakMode::Full, true));
    }

    #[test]
    fn a_suppressed_record_is_counted_not_printed() {
        let mut r = report();
        let supp = crate::model::suppress::Suppressions::parse(
            "t.supp",
            "{\n x\n Memcheck:Leak\n fun:calloc\n fun:make_list\n}\n",
        )
        .unwrap();
        supp.apply(&mut r);
        let t = text_of(&r, LeakMode::Full, false);
        assert!(!t.contains("in loss record 1 of 2"), "{t}");
        assert!(t.contains("definitely lost: 0 bytes in 0 blocks"), "{t}");
        assert!(t.contains("indirectly lost: 72 bytes in 3 blocks"), "{t}");
        assert!(t.contains("suppressed: 24 bytes in 1 blocks"), "{t}");
    }

    #[test]
    fn full_prints_the_shown_records_and_memchecks_summary() {
        insta::assert_snapshot!(text(LeakMode::Full));
    }

    #[test]
    fn summary_prints_only_the_summary() {
        insta::assert_snapshot!(text(LeakMode::Summary));
    }

    #[test]
    fn digits_are_grouped_as_memcheck_does() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(72_704), "72,704");
        assert_eq!(grouped(1_000_000), "1,000,000");
    }
}
