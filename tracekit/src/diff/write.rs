//! The diff's printers: text, JSON (`tracekit.diff/1`) and Markdown (a CI step summary), each
//! to a `&mut dyn Write`.

use std::io::{self, Write};

use super::{Change, Diff, HeapDiff, SiteDiff, SiteStatus, SyscallDiff};
use crate::export::markdown::{self, Align};
use crate::export::Format;

/// Frames printed per site in text.
const FRAMES: usize = 8;

/// Writes `d` in `format` (text for anything but JSON and Markdown), listing `top` sites or
/// system calls (0: all; JSON lists all).
pub fn write(d: &Diff, format: Format, top: usize, out: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, d).map_err(io::Error::from)?;
            writeln!(out)
        }
        Format::Markdown => write_markdown(d, top, out),
        _ => write_text(d, top, out),
    }
}

fn first<T>(v: &[T], top: usize) -> &[T] {
    if top == 0 {
        v
    } else {
        &v[..v.len().min(top)]
    }
}

/// The totals' rows; with a leak check, memcheck's five LEAK SUMMARY lines (bytes) after
/// "leaked".
fn totals(h: &HeapDiff) -> Vec<(&'static str, Change)> {
    let mut rows = vec![("heap peak", h.peak), ("leaked", h.leaked)];
    if let Some(l) = &h.leak_check {
        rows.extend([
            ("definitely lost", l.definite),
            ("indirectly lost", l.indirect),
            ("possibly lost", l.possible),
            ("still reachable", l.reachable),
            ("suppressed", l.suppressed),
        ]);
    }
    rows.extend([
        ("bytes allocated", h.bytes_allocated),
        ("allocations", h.allocs),
        ("temporary", h.temporary),
    ]);
    rows
}

fn syscall_totals(s: &SyscallDiff) -> [(&'static str, Change); 3] {
    [
        ("calls", s.calls),
        ("errors", s.errors),
        ("time (ns)", s.time_ns),
    ]
}

fn status(s: &SiteDiff) -> &'static str {
    match s.status {
        SiteStatus::New => " [new site]",
        SiteStatus::Gone => " [gone]",
        SiteStatus::Changed => "",
    }
}

fn write_text(d: &Diff, top: usize, out: &mut dyn Write) -> io::Result<()> {
    for dm in d.base.damage.iter().chain(&d.new.damage) {
        writeln!(
            out,
            "WARNING: {}: {}; this diff covers the events before byte {}",
            dm.log, dm.message, dm.offset
        )?;
    }
    writeln!(
        out,
        "Base: {}\nNew:  {}",
        d.base.logs.join(" "),
        d.new.logs.join(" ")
    )?;
    writeln!(out)?;
    writeln!(out, "{:<16} {:>16} {:>16}  change", "", "base", "new")?;
    let rows: Vec<(&str, Change)> = match (&d.heap, &d.syscalls) {
        (Some(h), _) => totals(h),
        (_, Some(s)) => syscall_totals(s).to_vec(),
        _ => vec![],
    };
    for (what, c) in rows {
        writeln!(
            out,
            "{what:<16} {:>16} {:>16}  {}",
            c.base,
            c.new,
            c.delta_text()
        )?;
    }
    if let Some(h) = &d.heap {
        writeln!(out)?;
        if h.sites.is_empty() {
            let sites = if h.unchanged_sites == 1 {
                "site"
            } else {
                "sites"
            };
            writeln!(
                out,
                "No site changed ({} {sites} in both runs).",
                h.unchanged_sites
            )?;
        } else {
            let shown = first(&h.sites, top);
            writeln!(
                out,
                "Sites by regression ({} changed, {} unchanged; {} shown):",
                h.sites.len(),
                h.unchanged_sites,
                shown.len()
            )?;
            for s in shown {
                writeln!(
                    out,
                    "  {} in {}{}: peak {}, leaked {}, bytes {}, calls {}, temporary {}",
                    s.function,
                    s.exe,
                    status(s),
                    s.peak_bytes.delta_text(),
                    s.leaked_bytes.delta_text(),
                    s.bytes.delta_text(),
                    s.calls.delta_text(),
                    s.temporary.delta_text()
                )?;
                for f in first(&s.frames, FRAMES) {
                    writeln!(out, "      {f}")?;
                }
            }
        }
    }
    if let Some(s) = &d.syscalls {
        let changed: Vec<_> = s.syscalls.iter().filter(|r| r.count_changed()).collect();
        writeln!(out)?;
        writeln!(
            out,
            "System calls whose count or errors changed: {} of {}",
            changed.len(),
            s.syscalls.len()
        )?;
        writeln!(
            out,
            "  {:<20} {:>24} {:>20} {:>28}",
            "syscall", "calls", "errors", "time (ns)"
        )?;
        for r in first(&s.syscalls, top) {
            let pair = |c: &Change| format!("{} -> {}", c.base, c.new);
            writeln!(
                out,
                "  {:<20} {:>24} {:>20} {:>28}",
                r.name,
                pair(&r.calls),
                pair(&r.errors),
                pair(&r.time_ns)
            )?;
        }
    }
    write_gates_text(d, out)
}

fn write_gates_text(d: &Diff, out: &mut dyn Write) -> io::Result<()> {
    if d.gates.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    for g in &d.gates {
        let result = if g.passed { "passed" } else { "FAILED" };
        writeln!(out, "Gate {} {}: {result} ({})", g.gate, g.limit, g.actual)?;
    }
    Ok(())
}

fn write_markdown(d: &Diff, top: usize, out: &mut dyn Write) -> io::Result<()> {
    let what = if d.heap.is_some() {
        "heap"
    } else {
        "system calls"
    };
    writeln!(out, "## tracekit diff: {what}")?;
    writeln!(out)?;
    let logs = |v: &[String]| {
        v.iter()
            .map(|l| format!("`{l}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    writeln!(
        out,
        "Base: {}; new: {}",
        logs(&d.base.logs),
        logs(&d.new.logs)
    )?;
    for dm in d.base.damage.iter().chain(&d.new.damage) {
        writeln!(out)?;
        writeln!(
            out,
            "> **Warning:** `{}` is damaged at byte {} ({}): the diff covers the events before it.",
            dm.log,
            dm.offset,
            markdown::escape(&dm.message)
        )?;
    }
    writeln!(out)?;
    let rows: Vec<(&str, Change)> = match (&d.heap, &d.syscalls) {
        (Some(h), _) => totals(h),
        (_, Some(s)) => syscall_totals(s).to_vec(),
        _ => vec![],
    };
    let rows: Vec<Vec<String>> = rows
        .into_iter()
        .map(|(w, c)| {
            vec![
                w.to_owned(),
                c.base.to_string(),
                c.new.to_string(),
                c.delta_text(),
            ]
        })
        .collect();
    markdown::table(
        &[
            ("", Align::Left),
            ("base", Align::Right),
            ("new", Align::Right),
            ("change", Align::Right),
        ],
        &rows,
        out,
    )?;
    if let Some(h) = &d.heap {
        writeln!(out)?;
        let shown = first(&h.sites, top);
        writeln!(
            out,
            "### Sites by regression: {} changed, {} unchanged",
            h.sites.len(),
            h.unchanged_sites
        )?;
        if !shown.is_empty() {
            writeln!(out)?;
            let rows: Vec<Vec<String>> = shown
                .iter()
                .map(|s| {
                    vec![
                        format!("{}{}", markdown::site_cell(&s.frames), status(s)),
                        s.function.clone(),
                        s.peak_bytes.delta_text(),
                        s.leaked_bytes.delta_text(),
                        s.bytes.delta_text(),
                        s.calls.delta_text(),
                        s.temporary.delta_text(),
                    ]
                })
                .collect();
            markdown::table(
                &[
                    ("site", Align::Left),
                    ("function", Align::Left),
                    ("at peak", Align::Right),
                    ("leaked", Align::Right),
                    ("bytes", Align::Right),
                    ("calls", Align::Right),
                    ("temporary", Align::Right),
                ],
                &rows,
                out,
            )?;
        }
    }
    if let Some(s) = &d.syscalls {
        writeln!(out)?;
        writeln!(out, "### System calls")?;
        writeln!(out)?;
        let rows: Vec<Vec<String>> = first(&s.syscalls, top)
            .iter()
            .map(|r| {
                vec![
                    r.name.clone(),
                    r.calls.delta_text(),
                    r.errors.delta_text(),
                    r.time_ns.delta_text(),
                ]
            })
            .collect();
        markdown::table(
            &[
                ("system call", Align::Left),
                ("calls", Align::Right),
                ("errors", Align::Right),
                ("time (ns)", Align::Right),
            ],
            &rows,
            out,
        )?;
    }
    markdown::write_gates(&d.gates, out)
}
