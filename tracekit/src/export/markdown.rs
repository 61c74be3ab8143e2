//! The report as GitHub-flavoured Markdown, for a CI step summary
//! (`tracekit report --format markdown >> "$GITHUB_STEP_SUMMARY"`): the summary, the processes
//! when there are several, the leak checks (memcheck's LEAK SUMMARY per check, then the
//! largest loss records of the kinds memcheck shows by default, definitely and possibly lost),
//! the top sites by bytes, crashes and system calls, then the gates
//! ([`write_gates`], which `tracekit report` appends, since gates are not part of the model).
//! The table helpers are shared with `tracekit diff`'s Markdown.

use std::io::{self, Write};

use super::{ExportOptions, Writer};
use crate::analysis::leak::LeakKind;
use crate::export::leak::grouped;
use crate::model::heap::SiteReport;
use crate::model::leak::{LeakCount, LeakReport};
use crate::model::Report;
use crate::report::GateResult;

/// The Markdown writer.
#[derive(Debug, Clone, Copy)]
pub struct Markdown;

impl Writer for Markdown {
    fn write(&self, report: &Report, opts: &ExportOptions, out: &mut dyn Write) -> io::Result<()> {
        write(report, opts, out)
    }
}

/// How a column is aligned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Text.
    Left,
    /// Numbers.
    Right,
}

/// Writes a table: `columns` (title and alignment), then `rows`, each cell escaped.
pub fn table(
    columns: &[(&str, Align)],
    rows: &[Vec<String>],
    out: &mut dyn Write,
) -> io::Result<()> {
    let cells = |row: &mut dyn Iterator<Item = String>| -> String {
        let v: Vec<String> = row.collect();
        format!("| {} |", v.join(" | "))
    };
    writeln!(
        out,
        "{}",
        cells(&mut columns.iter().map(|(t, _)| escape(t)))
    )?;
    writeln!(
        out,
        "{}",
        cells(&mut columns.iter().map(|(_, a)| match a {
            Align::Left => ":--".to_owned(),
            Align::Right => "--:".to_owned(),
        }))
    )?;
    for row in rows {
        writeln!(out, "{}", cells(&mut row.iter().map(|c| escape(c))))?;
    }
    Ok(())
}

/// A cell's text with the characters that would break a table row escaped.
pub fn escape(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// A site as one cell: its innermost frame, as `tracekit diff` labels frames.
pub fn site_cell(frames: &[String]) -> String {
    match frames.first() {
        Some(f) => format!("`{f}`"),
        None => "(no backtrace)".to_owned(),
    }
}

/// The gates table (nothing when no gate was set).
pub fn write_gates(gates: &[GateResult], out: &mut dyn Write) -> io::Result<()> {
    if gates.is_empty() {
        return Ok(());
    }
    let failed = gates.iter().filter(|g| !g.passed).count();
    writeln!(out)?;
    if failed == 0 {
        writeln!(out, "### Gates: all {} passed", gates.len())?;
    } else {
        writeln!(out, "### Gates: {failed} of {} failed", gates.len())?;
    }
    writeln!(out)?;
    let rows: Vec<Vec<String>> = gates
        .iter()
        .map(|g| {
            vec![
                format!("`{}`", g.gate),
                g.limit.clone(),
                g.actual.clone(),
                if g.passed { "✅ passed" } else { "❌ failed" }.to_owned(),
            ]
        })
        .collect();
    table(
        &[
            ("gate", Align::Left),
            ("limit", Align::Left),
            ("actual", Align::Left),
            ("result", Align::Left),
        ],
        &rows,
        out,
    )
}

fn write(report: &Report, opts: &ExportOptions, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "## tracekit report")?;
    writeln!(out)?;
    let logs: Vec<String> = report.logs.iter().map(|l| format!("`{l}`")).collect();
    writeln!(out, "Logs: {}", logs.join(", "))?;
    for d in &report.damage {
        writeln!(out)?;
        writeln!(
            out,
            "> **Warning:** `{}` is damaged at byte {} ({}): the numbers cover the events before it.",
            d.log,
            d.offset,
            escape(&d.message)
        )?;
    }
    let h = &report.heap;
    let t = &h.total;
    if !h.processes.is_empty() {
        writeln!(out)?;
        let rows = [
            ("heap total (memusage)", format!("{} bytes", t.heap_total)),
            (
                "heap peak",
                format!("{} bytes (pid {})", t.peak.heap_bytes, t.peak.pid),
            ),
            (
                "leaked",
                format!("{} bytes in {} blocks", t.leaked.bytes, t.leaked.blocks),
            ),
            ("allocations", t.valgrind.allocs.to_string()),
            ("frees", t.valgrind.frees.to_string()),
            ("bytes allocated", t.bytes_allocated.to_string()),
            ("temporary allocations", t.temporary.to_string()),
            (
                "short-lived blocks",
                format!(
                    "{} ({} bytes, released within {} allocations)",
                    t.lifetimes.short_lived.blocks,
                    t.lifetimes.short_lived.bytes,
                    t.lifetimes.short_lived_allocs
                ),
            ),
        ];
        let rows: Vec<Vec<String>> = rows
            .into_iter()
            .map(|(k, v)| vec![k.to_owned(), v])
            .collect();
        table(&[("", Align::Left), ("", Align::Right)], &rows, out)?;
    }
    if h.processes.len() > 1 {
        writeln!(out)?;
        writeln!(out, "### Processes")?;
        writeln!(out)?;
        let rows: Vec<Vec<String>> = h
            .processes
            .iter()
            .map(|p| {
                vec![
                    p.pid.to_string(),
                    p.ppid.to_string(),
                    format!("`{}`", p.argv.join(" ")),
                    p.summary.peak.heap_bytes.to_string(),
                    p.summary.leaked.bytes.to_string(),
                    p.summary.valgrind.allocs.to_string(),
                ]
            })
            .collect();
        table(
            &[
                ("pid", Align::Right),
                ("parent", Align::Right),
                ("command", Align::Left),
                ("peak", Align::Right),
                ("leaked", Align::Right),
                ("allocations", Align::Right),
            ],
            &rows,
            out,
        )?;
    }
    write_leaks(&report.leaks, opts.top, out)?;
    write_sites(&h.sites, opts.top, h.processes.len() > 1, out)?;
    if !report.crashes.is_empty() {
        writeln!(out)?;
        writeln!(out, "### Crashes: {}", report.crashes.len())?;
    }
    if !report.fences.is_empty() {
        writeln!(out)?;
        writeln!(out, "### Fence-allocator findings: {}", report.fences.len())?;
    }
    let counts = report.syscalls.summary.counts();
    if !counts.is_empty() {
        writeln!(out)?;
        writeln!(out, "### System calls: {}", report.syscalls.events)?;
        writeln!(out)?;
        let mut counts = counts;
        counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        if opts.top != 0 {
            counts.truncate(opts.top);
        }
        let rows: Vec<Vec<String>> = counts
            .into_iter()
            .map(|(name, calls, errors)| vec![name, calls.to_string(), errors.to_string()])
            .collect();
        table(
            &[
                ("system call", Align::Left),
                ("calls", Align::Right),
                ("errors", Align::Right),
            ],
            &rows,
            out,
        )?;
    }
    Ok(())
}

fn write_sites(
    sites: &[SiteReport],
    top: usize,
    with_pid: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut ranked: Vec<&SiteReport> = sites.iter().filter(|s| s.bytes > 0).collect();
    ranked.sort_by_key(|s| std::cmp::Reverse(s.bytes));
    if top != 0 {
        ranked.truncate(top);
    }
    if ranked.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(out, "### Top {} sites by bytes allocated", ranked.len())?;
    writeln!(out)?;
    let rows: Vec<Vec<String>> = ranked
        .iter()
        .map(|s| {
            let frames: Vec<String> = s.frames.iter().map(|f| f.label()).collect();
            let mut row = vec![site_cell(&frames), s.function.clone()];
            if with_pid {
                row.push(s.pid.to_string());
            }
            row.extend(
                [s.calls, s.bytes, s.peak_bytes, s.leaked.bytes, s.temporary]
                    .map(|n| n.to_string()),
            );
            row
        })
        .collect();
    let mut columns = vec![("site", Align::Left), ("function", Align::Left)];
    if with_pid {
        columns.push(("pid", Align::Right));
    }
    columns.extend([
        ("calls", Align::Right),
        ("bytes", Align::Right),
        ("at peak", Align::Right),
        ("leaked", Align::Right),
        ("temporary", Align::Right),
    ]);
    table(&columns, &rows, out)
}

/// memcheck's "B bytes in N blocks", digits grouped.
fn leak_cell(c: LeakCount) -> String {
    format!("{} bytes in {} blocks", grouped(c.bytes), grouped(c.blocks))
}

/// The leak checks: one row per check with memcheck's five LEAK SUMMARY lines, then the
/// largest `top` loss records (0: all) that are definitely or possibly lost and not
/// suppressed, with the allocation function and the first frame of the program.
fn write_leaks(leaks: &[LeakReport], top: usize, out: &mut dyn Write) -> io::Result<()> {
    if leaks.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(out, "### Leak check (memcheck's LEAK SUMMARY)")?;
    writeln!(out)?;
    let rows: Vec<Vec<String>> = leaks
        .iter()
        .map(|l| {
            let s = &l.summary;
            vec![
                l.pid.to_string(),
                format!("{} ({})", l.check, l.cause),
                leak_cell(s.definite),
                leak_cell(s.indirect),
                leak_cell(s.possible),
                leak_cell(s.reachable),
                leak_cell(s.suppressed),
            ]
        })
        .collect();
    table(
        &[
            ("pid", Align::Right),
            ("check", Align::Left),
            ("definitely lost", Align::Right),
            ("indirectly lost", Align::Right),
            ("possibly lost", Align::Right),
            ("still reachable", Align::Right),
            ("suppressed", Align::Right),
        ],
        &rows,
        out,
    )?;
    let mut shown: Vec<(&LeakReport, &crate::model::leak::LossRecord)> = leaks
        .iter()
        .filter(|l| l.last)
        .flat_map(|l| l.records.iter().map(move |r| (l, r)))
        .filter(|(_, r)| !r.suppressed && matches!(r.kind, LeakKind::Definite | LeakKind::Possible))
        .collect();
    // Largest first, as the end of memcheck's list.
    shown.sort_by_key(|(l, r)| {
        (
            std::cmp::Reverse(r.bytes + r.indirect_bytes),
            l.pid,
            r.number,
        )
    });
    if top != 0 {
        shown.truncate(top);
    }
    if shown.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(out, "#### Largest loss records: {}", shown.len())?;
    writeln!(out)?;
    let rows: Vec<Vec<String>> = shown
        .iter()
        .map(|(l, r)| {
            let labels: Vec<String> = r.frames.iter().skip(1).map(|f| f.label()).collect();
            vec![
                l.pid.to_string(),
                format!("{} of {}", r.number, l.records.len()),
                r.kind.phrase().to_owned(),
                grouped(r.bytes),
                grouped(r.indirect_bytes),
                grouped(r.blocks),
                r.frames
                    .first()
                    .map_or_else(String::new, |f| format!("`{}`", f.function)),
                site_cell(&labels),
            ]
        })
        .collect();
    table(
        &[
            ("pid", Align::Right),
            ("loss record", Align::Left),
            ("kind", Align::Left),
            ("bytes", Align::Right),
            ("indirect bytes", Align::Right),
            ("blocks", Align::Right),
            ("function", Align::Left),
            ("site", Align::Left),
        ],
        &rows,
        out,
    )
}
