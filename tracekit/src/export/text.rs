//! The text report: glibc memusage's summary (same definitions and layout, without the colour
//! escapes and the stack peak, which a preload library cannot measure), then what memusage
//! lacks: leaks, valgrind's counts, and the top allocation sites with backtraces.

use std::collections::{HashMap, HashSet};
use std::io::{self, Write};

use super::{ExportOptions, Writer};
use crate::model::heap::{
    Freeres, FunctionRow, HeapReport, HeapSummary, LifetimeRow, ProcessReport, SiteReport,
    TimelineReport,
};
use crate::model::{self, Report};
use crate::symbols::ResolvedFrame;
use tracekit_log::AllocKind;
use tracekit_syscall_summary::SortBy;

/// A ranking key over sites.
type SiteKey = fn(&SiteReport) -> u64;

/// The text writer.
#[derive(Debug, Clone, Copy)]
pub struct Text;

impl Writer for Text {
    fn needs_timeline(&self) -> bool {
        true
    }

    fn write(&self, report: &Report, opts: &ExportOptions, out: &mut dyn Write) -> io::Result<()> {
        write(report, *opts, out)
    }
}

/// Writes `report` as text.
pub fn write(report: &Report, opts: ExportOptions, out: &mut dyn Write) -> io::Result<()> {
    for d in &report.damage {
        writeln!(
            out,
            "WARNING: {}: {}; this report covers the events before byte {}",
            d.log, d.message, d.offset
        )?;
    }
    let heap = &report.heap;
    write_unseen_allocators(heap, out)?;
    let heap_events = heap
        .processes
        .iter()
        .any(|p| p.summary.calls.0.iter().any(|(_, n)| *n > 0));
    if report.has_other_tools() && !heap_events {
        // A crash-handler or strace-rs log: no heap section of zeros.
        let mut buf = Vec::new();
        write_extras(report, &mut buf)?;
        return out.write_all(buf.strip_prefix(b"\n").unwrap_or(&buf));
    }
    let details = disambiguate(&heap.sites, opts.depth);
    let ctx = Ctx {
        opts,
        details: &details,
    };
    match heap.processes.len() {
        0 => {
            writeln!(out, "No heap events in {}.", report.logs.join(", "))?;
        }
        1 => write_process(heap, 0, &ctx, out)?,
        _ => {
            write_process_table(heap, out)?;
            write_totals(heap, &ctx, out)?;
            if opts.per_process {
                for i in 0..heap.processes.len() {
                    let p = &heap.processes[i];
                    writeln!(out)?;
                    writeln!(out, "== process {} ({}) ==", p.pid, command(p))?;
                    write_process(heap, i, &ctx, out)?;
                }
            }
        }
    }
    write_modules_without_symbols(report, opts.depth, out)?;
    write_extras(report, out)
}

/// A warning per allocator of its own that a process has linked in: the report cannot count
/// its blocks unless the program reported them (`custom alloc`).
fn write_unseen_allocators(r: &HeapReport, out: &mut dyn Write) -> io::Result<()> {
    for p in &r.processes {
        let reported = p
            .summary
            .calls
            .get(&model::heap::alloc_key(AllocKind::Custom));
        for a in &p.unseen_allocators {
            if a.allocator.starts_with("Rust") {
                // std's `System` (malloc) behind it is seen; anything else is not.
                writeln!(
                    out,
                    "WARNING: process {} has a Rust #[global_allocator] ({}): unless it \
                     allocates with malloc (std's System), the blocks it hands out go through \
                     no malloc hook, and this report does not count them",
                    p.pid, a.module
                )?;
            } else {
                writeln!(
                    out,
                    "WARNING: process {} has its own allocator linked in ({}, {} in {}): the \
                     blocks it hands out go through no malloc hook, so this report does not \
                     count them",
                    p.pid, a.allocator, a.symbol, a.module
                )?;
            }
            if reported > 0 {
                writeln!(
                    out,
                    "  except the {reported} allocations the program reported through \
                     tracekit's API (custom alloc)"
                )?;
            } else {
                writeln!(
                    out,
                    "  (wrap it in the tracekit-alloc crate's Traced, or report its blocks \
                     with tracekit_heap.h's TRACEKIT_HEAP_ALLOC/FREE)"
                )?;
            }
        }
    }
    Ok(())
}

/// What the printers of one report share.
struct Ctx<'a> {
    opts: ExportOptions,
    details: &'a Details,
}

/// How much a frame line says about where it is: its source line, and, to tell apart sites
/// that would print the same lines (two calls on one line), the column or the address.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Detail {
    #[default]
    Line,
    Column,
    Address,
}

/// Per site (by address), the detail of each of its frames; sites not in it print plainly.
type Details = HashMap<*const SiteReport, Vec<Detail>>;

/// Finds the sites of a process whose printed backtraces would be the same lines and gives
/// the first frame where they differ its column, or where the columns don't tell them apart
/// (no column in the debug info, or the same one), its address.
fn disambiguate(sites: &[SiteReport], depth: usize) -> Details {
    let mut details: Vec<Vec<Detail>> = sites
        .iter()
        .map(|s| vec![Detail::Line; s.frames.len()])
        .collect();
    let mut changed = true;
    // Each round adds detail to at least one frame of each group of look-alikes, at most
    // two per frame: this ends.
    while changed {
        changed = false;
        let mut groups: HashMap<(usize, Vec<String>), Vec<usize>> = HashMap::new();
        for (i, s) in sites.iter().enumerate() {
            let n = printed_len(&s.frames, depth);
            let text = (0..n)
                .map(|k| frame_text(&s.frames[k], details[i][k]))
                .collect();
            groups.entry((s.process, text)).or_default().push(i);
        }
        for ((_, text), members) in groups {
            if members.len() < 2 {
                continue;
            }
            // The first of the lines they share where a column or an address tells them apart.
            let found = (0..text.len()).find_map(|k| {
                let columns: HashSet<Option<u32>> =
                    members.iter().map(|&i| sites[i].frames[k].column).collect();
                let addrs: HashSet<u64> =
                    members.iter().map(|&i| sites[i].frames[k].addr).collect();
                match details[members[0]][k] {
                    Detail::Line if columns.len() > 1 => Some((k, Detail::Column)),
                    Detail::Line | Detail::Column if addrs.len() > 1 => Some((k, Detail::Address)),
                    _ => None,
                }
            });
            if let Some((k, more)) = found {
                for &i in &members {
                    details[i][k] = more;
                }
                changed = true;
            }
        }
    }
    sites
        .iter()
        .zip(details)
        .filter(|(_, d)| d.iter().any(|&x| x != Detail::Line))
        .map(|(s, d)| (s as *const SiteReport, d))
        .collect()
}

fn command(p: &ProcessReport) -> String {
    if p.argv.is_empty() {
        if p.exe.is_empty() {
            "unknown command".to_owned()
        } else {
            p.exe.clone()
        }
    } else {
        p.argv.join(" ")
    }
}

fn exit_text(p: &ProcessReport) -> String {
    match (&p.exec, p.exit) {
        (Some(_), _) => "exec".to_owned(),
        (None, Some(e)) => match (e.code, e.signal) {
            (_, Some(sig)) => format!("sig {sig}"),
            (Some(c), None) => c.to_string(),
            (None, None) => "?".to_owned(),
        },
        (None, None) => "?".to_owned(),
    }
}

fn write_process_table(r: &HeapReport, out: &mut dyn Write) -> io::Result<()> {
    let t = &r.total;
    writeln!(
        out,
        "{} processes: heap total: {}, largest heap peak: {} (pid {}), leaked: {} bytes in {} blocks",
        r.processes.len(),
        t.heap_total,
        t.peak.heap_bytes,
        t.peak.pid,
        t.leaked.bytes,
        t.leaked.blocks
    )?;
    writeln!(
        out,
        "{:>8} {:>8} {:>12} {:>12} {:>12} {:>8} {:>6}  command",
        "pid", "ppid", "heap total", "heap peak", "leaked", "blocks", "exit"
    )?;
    for p in &r.processes {
        let s = &p.summary;
        writeln!(
            out,
            "{:>8} {:>8} {:>12} {:>12} {:>12} {:>8} {:>6}  {}",
            p.pid,
            p.ppid,
            s.heap_total,
            s.peak.heap_bytes,
            s.leaked.bytes,
            s.leaked.blocks,
            exit_text(p),
            command(p)
        )?;
    }
    Ok(())
}

/// One summary with its sites: a process, or the totals of several.
struct Section<'a> {
    summary: &'a HeapSummary,
    /// What `leaked` means here.
    end_label: String,
    /// The sites ranked by calls, bytes and leaks.
    sites: Vec<&'a SiteReport>,
    /// The sites of the process whose peak `summary.peak` is.
    peak_sites: Vec<&'a SiteReport>,
    /// Name each site's process.
    with_pid: bool,
    /// The heap over time (one process only).
    timeline: Option<&'a TimelineReport>,
    /// The resolution of the clock of its times, ns (0: unknown).
    clock_res_ns: u64,
    /// The runtime buffers freed at exit.
    freeres: Freeres,
}

fn write_process(r: &HeapReport, idx: usize, ctx: &Ctx<'_>, out: &mut dyn Write) -> io::Result<()> {
    let p = &r.processes[idx];
    let end_label = match (&p.exec, p.exit) {
        (None, None) if p.attached.is_some_and(|a| a.to_ns.is_some()) => {
            "Live at detach (allocated while attached, not freed yet)".to_owned()
        }
        (Some(prog), _) => format!("Live when it exec'd {prog}"),
        (None, Some(e)) => match e.signal {
            Some(sig) => format!(
                "Live when {} killed it",
                tracekit_syscall_summary::signals::name(i64::from(sig))
            ),
            None => "Leaked at exit".to_owned(),
        },
        (None, None) => {
            "Live at the end of the log (no exit recorded: killed by a signal, or still running)"
                .to_owned()
        }
    };
    if let Some(a) = p.attached {
        let secs = |ns: u64| ns as f64 / 1e9;
        match a.to_ns {
            Some(to) => writeln!(
                out,
                "Attached to the running process: recorded {:.3} s (from +{:.3} s to +{:.3} s); \
                 what it allocated before is not counted, nor shown as leaked",
                secs(to.saturating_sub(a.from_ns)),
                secs(a.from_ns),
                secs(to)
            )?,
            None => writeln!(
                out,
                "Attached to the running process from +{:.3} s until the log ends; what it \
                 allocated before is not counted, nor shown as leaked",
                secs(a.from_ns)
            )?,
        }
    }
    let sites: Vec<&SiteReport> = r.sites.iter().filter(|x| x.process == idx).collect();
    write_section(
        &Section {
            summary: &p.summary,
            end_label,
            peak_sites: sites.clone(),
            sites,
            with_pid: false,
            timeline: Some(&p.timeline),
            clock_res_ns: p.clock_res_ns,
            freeres: p.exit.map(|e| e.freeres).unwrap_or_default(),
        },
        ctx,
        out,
    )?;
    if let Some(m) = &p.memory {
        write_memory(m, p.clock_res_ns, out)?;
        write_mappers(m, ctx.opts.depth, out)?;
    }
    Ok(())
}

/// Bytes as a short figure with a binary unit (`100.0 MiB`).
fn size(b: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{b} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// The heap beside what the program mapped itself and what the kernel counts resident, over
/// time (the text report's section and `--graph`'s last table).
pub fn write_memory(
    m: &model::heap::MemoryReport,
    clock_res_ns: u64,
    out: &mut dyn Write,
) -> io::Result<()> {
    writeln!(out)?;
    writeln!(
        out,
        "Heap against RSS: peak heap {}, peak mapped by the program {} ({} still mapped at \
         the end), peak resident {}",
        size(m.peak_heap_bytes),
        size(m.peak_mapped_bytes),
        size(m.mapped_bytes),
        size(m.peak_resident_bytes),
    )?;
    if m.samples.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "  (heap: blocks live; mapped: anonymous mmap/mremap/brk the program made itself; \
         resident: the kernel's count; {} of {} samples)",
        m.samples.len(),
        m.samples_taken
    )?;
    writeln!(
        out,
        "  {:>10}  {:>11}  {:>11}  {:>11}",
        "time", "heap", "mapped", "resident"
    )?;
    for r in &m.samples {
        writeln!(
            out,
            "  {:>10}  {:>11}  {:>11}  {:>11}",
            ms(r.time_ns, clock_res_ns),
            size(r.heap_bytes),
            size(r.mapped_bytes),
            size(r.resident_bytes),
        )?;
    }
    Ok(())
}

/// Who mapped what: the stacks that mapped the most.
fn write_mappers(
    m: &model::heap::MemoryReport,
    depth: usize,
    out: &mut dyn Write,
) -> io::Result<()> {
    if m.mappers.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(
        out,
        "Mapped by the program (anonymous mmap, mremap, brk), most bytes first:"
    )?;
    for s in &m.mappers {
        writeln!(
            out,
            "  {} mapping {} ({} bytes); {} still mapped:",
            count(s.calls, "call"),
            size(s.bytes),
            s.bytes,
            size(s.live_bytes)
        )?;
        write_frames(&s.frames, depth, &[], out)?;
    }
    Ok(())
}

fn write_totals(r: &HeapReport, ctx: &Ctx<'_>, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out)?;
    writeln!(out, "== all {} processes ==", r.processes.len())?;
    let sites: Vec<&SiteReport> = r.sites.iter().collect();
    let peak_sites = sites
        .iter()
        .copied()
        .filter(|x| x.pid == r.total.peak.pid)
        .collect();
    write_section(
        &Section {
            summary: &r.total,
            end_label: "Leaked at exit, all processes".to_owned(),
            sites,
            peak_sites,
            with_pid: true,
            timeline: None,
            clock_res_ns: r
                .processes
                .iter()
                .map(|p| p.clock_res_ns)
                .max()
                .unwrap_or(0),
            freeres: Freeres(
                r.processes
                    .iter()
                    .filter_map(|p| p.exit)
                    .fold(0, |acc, e| acc | e.freeres.0),
            ),
        },
        ctx,
        out,
    )
}

fn write_section(sec: &Section<'_>, ctx: &Ctx<'_>, out: &mut dyn Write) -> io::Result<()> {
    let opts = ctx.opts;
    let s = sec.summary;
    write_memusage(s, out)?;
    writeln!(out)?;
    writeln!(
        out,
        "{}: {} in {}",
        sec.end_label,
        count(s.leaked.bytes, "byte"),
        count(s.leaked.blocks, "block")
    )?;
    let freed = sec.freeres.names();
    if !freed.is_empty() {
        let whose: Vec<String> = freed.iter().map(|n| format!("{n}'s")).collect();
        writeln!(
            out,
            "  ({} one-off buffers were freed at exit, as valgrind does)",
            whose.join(" and ")
        )?;
    }
    writeln!(
        out,
        "Total heap usage (as valgrind counts it): {} allocs, {} frees, {} bytes allocated",
        s.valgrind.allocs, s.valgrind.frees, s.valgrind.bytes
    )?;
    if s.temporary != 0 {
        writeln!(
            out,
            "Temporary allocations (freed by the next heap call): {} of {} ({})",
            s.temporary,
            s.valgrind.allocs,
            percent(s.temporary, s.valgrind.allocs)
        )?;
    }
    if s.frees.untracked != 0 {
        writeln!(
            out,
            "Releases of blocks allocated before tracking started: {}",
            s.frees.untracked
        )?;
    }
    if let Some(t) = sec.timeline {
        write_timeline(t, sec.clock_res_ns, out)?;
    }
    if sec.sites.is_empty() {
        return Ok(());
    }
    let pid = |site: &SiteReport| {
        if sec.with_pid {
            format!(" in process {}", site.pid)
        } else {
            String::new()
        }
    };
    let rankings: [(&str, SiteKey); 2] = [("calls", |x| x.calls), ("bytes", |x| x.bytes)];
    for (what, key) in rankings {
        let ranked = rank(&sec.sites, key, opts.top);
        writeln!(out)?;
        writeln!(out, "Top {} allocation sites by {what}:", ranked.len())?;
        for site in ranked {
            write_site(site, &pid(site), ctx, out)?;
        }
    }
    let at_peak = rank(&sec.peak_sites, |x| x.peak_bytes, opts.top);
    if !at_peak.is_empty() {
        writeln!(out)?;
        let whose = if sec.with_pid {
            format!("Process {}'s heap", s.peak.pid)
        } else {
            "Heap".to_owned()
        };
        writeln!(
            out,
            "{whose} at its peak ({} bytes, {} after start), by site:",
            s.peak.heap_bytes,
            ms(s.peak.time_ns, sec.clock_res_ns)
        )?;
        for site in at_peak {
            writeln!(
                out,
                "  {} bytes at peak ({}), from {}:",
                site.peak_bytes,
                percent(site.peak_bytes, s.peak.heap_bytes),
                site.function
            )?;
            write_site_frames(site, ctx, out)?;
        }
    }
    let temporary = rank(&sec.sites, |x| x.temporary, opts.top);
    if !temporary.is_empty() {
        // heaptrack_print's "MOST TEMPORARY ALLOCATIONS".
        writeln!(out)?;
        writeln!(
            out,
            "Top {} allocation sites by temporary allocations:",
            temporary.len()
        )?;
        for site in temporary {
            writeln!(
                out,
                "  {} temporary of {} to {}{} ({}):",
                site.temporary,
                count(site.calls, "call"),
                site.function,
                pid(site),
                percent(site.temporary, site.calls)
            )?;
            write_site_frames(site, ctx, out)?;
        }
    }
    let leaks = rank(&sec.sites, |x| x.leaked.bytes, opts.top);
    if !leaks.is_empty() {
        writeln!(out)?;
        writeln!(out, "Leaks by site:")?;
        for site in leaks {
            writeln!(
                out,
                "  {} in {} leaked, of {} to {}{}:",
                count(site.leaked.bytes, "byte"),
                count(site.leaked.blocks, "block"),
                count(site.calls, "call"),
                site.function,
                pid(site)
            )?;
            write_site_frames(site, ctx, out)?;
        }
    }
    if opts.lifetimes {
        write_lifetimes(sec, ctx, out)?;
    }
    Ok(())
}

/// The lifetime histograms (`--lifetimes`): in allocations always, in time when the clock is
/// fine enough to tell (1 µs or better); then the sites by short-lived bytes.
fn write_lifetimes(sec: &Section<'_>, ctx: &Ctx<'_>, out: &mut dyn Write) -> io::Result<()> {
    let l = &sec.summary.lifetimes;
    let released: u64 = l.allocations.iter().map(|r| r.blocks).sum();
    writeln!(out)?;
    writeln!(
        out,
        "Lifetimes of the {} released, in allocations made meanwhile:",
        count(released, "block")
    )?;
    write_lifetime_rows(&l.allocations, "allocations", &|v| v.to_string(), out)?;
    if sec.clock_res_ns != 0 && sec.clock_res_ns <= 1000 {
        writeln!(out, "The same in time:")?;
        let res = sec.clock_res_ns;
        write_lifetime_rows(&l.time_ns, "time", &|v| ms(v, res), out)?;
    }
    writeln!(
        out,
        "Short-lived (released within {} allocations): {} ({} of the released), {}",
        l.short_lived_allocs,
        count(l.short_lived.blocks, "block"),
        percent(l.short_lived.blocks, released),
        count(l.short_lived.bytes, "byte")
    )?;
    let ranked = rank(&sec.sites, |x| x.short_lived.bytes, ctx.opts.top);
    if ranked.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(
        out,
        "Top {} allocation sites by short-lived bytes:",
        ranked.len()
    )?;
    for site in ranked {
        writeln!(
            out,
            "  {} in {} short-lived, of {} to {}{}:",
            count(site.short_lived.bytes, "byte"),
            count(site.short_lived.blocks, "block"),
            count(site.calls, "call"),
            site.function,
            if sec.with_pid {
                format!(" in process {}", site.pid)
            } else {
                String::new()
            }
        )?;
        write_site_frames(site, ctx, out)?;
    }
    Ok(())
}

fn write_lifetime_rows(
    rows: &[LifetimeRow],
    unit: &str,
    show: &dyn Fn(u64) -> String,
    out: &mut dyn Write,
) -> io::Result<()> {
    writeln!(out, "  {unit:>27} {:>12} {:>14}", "blocks", "bytes")?;
    for r in rows {
        let range = if r.from == r.to {
            show(r.from)
        } else {
            format!("{}-{}", show(r.from), show(r.to))
        };
        writeln!(out, "  {range:>27} {:>12} {:>14}", r.blocks, r.bytes)?;
    }
    Ok(())
}

fn rank<'a>(sites: &[&'a SiteReport], key: SiteKey, top: usize) -> Vec<&'a SiteReport> {
    let mut v: Vec<&SiteReport> = sites.iter().copied().filter(|s| key(s) > 0).collect();
    v.sort_by_key(|s| std::cmp::Reverse(key(s)));
    if top != 0 {
        v.truncate(top);
    }
    v
}

/// memusagestat's graph, in 8 rows of text: one column per slice, `#` up to the slice's most
/// live bytes.
fn write_timeline(t: &TimelineReport, clock_res_ns: u64, out: &mut dyn Write) -> io::Result<()> {
    // A column narrower than the clock's tick shows nothing the clock saw: merge slices
    // (their widths are powers of two) into columns at least one tick wide.
    let merged;
    let t = if t.slice_ns != 0 && clock_res_ns > t.slice_ns {
        let k = clock_res_ns.div_ceil(t.slice_ns).next_power_of_two();
        merged = TimelineReport {
            slice_ns: t.slice_ns.saturating_mul(k),
            heap_bytes: t
                .heap_bytes
                .chunks(k as usize)
                .map(|c| c.iter().copied().max().unwrap_or(0))
                .collect(),
        };
        &merged
    } else {
        t
    };
    const ROWS: u64 = 8;
    let max = t.heap_bytes.iter().copied().max().unwrap_or(0);
    if t.heap_bytes.len() < 2 || max == 0 {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(
        out,
        "Heap over time (a column per {}, a row per {}):",
        ms(t.slice_ns, clock_res_ns),
        count(max.div_ceil(ROWS), "byte")
    )?;
    let width = max.to_string().len();
    let heights: Vec<u64> = t
        .heap_bytes
        .iter()
        .map(|&b| (u128::from(b) * u128::from(ROWS)).div_ceil(u128::from(max)) as u64)
        .collect();
    for row in (1..=ROWS).rev() {
        let label = if row == ROWS {
            max.to_string()
        } else {
            String::new()
        };
        let bars: String = heights
            .iter()
            .map(|&h| if h >= row { '#' } else { ' ' })
            .collect();
        writeln!(out, "{label:>width$} |{}", bars.trim_end())?;
    }
    let end = t.slice_ns.saturating_mul(t.heap_bytes.len() as u64);
    writeln!(out, "{:>width$} +{}", 0, "-".repeat(t.heap_bytes.len()))?;
    writeln!(
        out,
        "{:width$}  0 ms{:>pad$}",
        "",
        ms(end, clock_res_ns),
        pad = t.heap_bytes.len().saturating_sub(4)
    )
}

/// `1 block`, `2 blocks`.
fn count(n: u64, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// `ns` in milliseconds, with no more decimals than a clock of resolution `res_ns` can
/// tell (rounded: a 4 ms clock's 423.999 ms is `424 ms`); µs when the resolution is unknown.
pub fn ms(ns: u64, res_ns: u64) -> String {
    let decimals: u32 = match res_ns {
        0 => 3,
        r if r >= 1_000_000 => 0,
        r if r >= 100_000 => 1,
        r if r >= 10_000 => 2,
        _ => 3,
    };
    let unit = 10u64.pow(6 - decimals);
    let v = ns.saturating_add(unit / 2) / unit;
    if decimals == 0 {
        return format!("{v} ms");
    }
    let scale = 10u64.pow(decimals);
    format!("{}.{:0w$} ms", v / scale, v % scale, w = decimals as usize)
}

fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "-".to_owned();
    }
    let tenths = (u128::from(part) * 1000 / u128::from(whole)) as u64;
    format!("{}.{}%", tenths / 10, tenths % 10)
}

fn write_site(site: &SiteReport, pid: &str, ctx: &Ctx<'_>, out: &mut dyn Write) -> io::Result<()> {
    let failed = if site.failed != 0 {
        format!(" ({} failed)", site.failed)
    } else {
        String::new()
    };
    writeln!(
        out,
        "  {} to {}{pid}{failed}, {}; {} at peak; {} in {} leaked:",
        count(site.calls, "call"),
        site.function,
        count(site.bytes, "byte"),
        count(site.peak_bytes, "byte"),
        count(site.leaked.bytes, "byte"),
        count(site.leaked.blocks, "block")
    )?;
    write_site_frames(site, ctx, out)
}

fn write_site_frames(site: &SiteReport, ctx: &Ctx<'_>, out: &mut dyn Write) -> io::Result<()> {
    let detail = ctx
        .details
        .get(&(site as *const SiteReport))
        .map_or(&[][..], Vec::as_slice);
    write_frames(&site.frames, ctx.opts.depth, detail, out)
}

/// How many of `frames` the backtrace shows: down to `main` (or the C start-up code).
fn shown_len(frames: &[ResolvedFrame]) -> usize {
    // Below main there is only the C runtime's start-up: stop there, as valgrind does.
    let shown = frames
        .iter()
        .enumerate()
        .position(|(i, f)| {
            i > 0 && (f.function.starts_with("__libc_start") || f.function == "_start")
        })
        .unwrap_or(frames.len());
    frames[..shown]
        .iter()
        .position(|f| f.function == "main" && !f.inlined)
        .map_or(shown, |m| m + 1)
}

/// How many frame lines a backtrace prints (`depth` 0: all shown).
fn printed_len(frames: &[ResolvedFrame], depth: usize) -> usize {
    let shown = shown_len(frames);
    if depth == 0 {
        shown
    } else {
        shown.min(depth)
    }
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// A frame line after `at`/`by`, valgrind's way (the address first).
pub(crate) fn valgrind_frame(f: &ResolvedFrame) -> String {
    let text = frame_text(f, Detail::Line);
    if text.starts_with("0x") {
        text
    } else {
        format!("{:#X}: {text}", f.addr).replacen("0X", "0x", 1)
    }
}

/// A frame line after `at`/`by`.
fn frame_text(f: &ResolvedFrame, detail: Detail) -> String {
    let inl = if f.inlined { " [inlined]" } else { "" };
    let place = || match (&f.module, f.offset) {
        (Some(m), Some(off)) => format!("{}+{off:#x}", file_name(m)),
        _ => format!("{:#x}", f.addr),
    };
    match (&f.file, f.line) {
        (Some(file), Some(line)) => {
            let base = file_name(file);
            let at = match (detail, f.column) {
                (Detail::Column, Some(c)) => format!("{base}:{line}:{c}"),
                (Detail::Address, _) => format!("{base}:{line}; {}", place()),
                _ => format!("{base}:{line}"),
            };
            format!("{} ({at}){inl}", f.function)
        }
        _ if f.function == "??" => match &f.module {
            // Why the module has no symbols is said once, below the report.
            Some(_) => format!("{:#x}: ?? ({}){inl}", f.addr, place()),
            None => format!("{:#x}: ?? (in no known module){inl}", f.addr),
        },
        _ => {
            let module = f.module.as_deref().unwrap_or("unknown module");
            format!("{:#x}: {} (in {module}){inl}", f.addr, f.function)
        }
    }
}

/// The backtrace, valgrind-style (`at` then `by`), down to `main` (or the C start-up code);
/// `detail` (when not empty) says how much each frame line says.
fn write_frames(
    frames: &[ResolvedFrame],
    depth: usize,
    detail: &[Detail],
    out: &mut dyn Write,
) -> io::Result<()> {
    if frames.is_empty() {
        return writeln!(out, "      (no backtrace recorded)");
    }
    let shown = shown_len(frames);
    for (i, f) in frames[..shown].iter().enumerate() {
        if depth != 0 && i == depth {
            writeln!(out, "      ... {} more", shown - i)?;
            break;
        }
        let word = if i == 0 { "at" } else { "by" };
        let d = detail.get(i).copied().unwrap_or_default();
        writeln!(out, "      {word} {}", frame_text(f, d))?;
    }
    Ok(())
}

/// One note for the frames that print as module+offset: which modules have no symbols, and
/// why (rather than the reason on every frame).
fn write_modules_without_symbols(r: &Report, depth: usize, out: &mut dyn Write) -> io::Result<()> {
    let mut seen: Vec<(&str, &str)> = Vec::new();
    let frames = r
        .heap
        .sites
        .iter()
        .flat_map(|s| &s.frames[..printed_len(&s.frames, depth)])
        .chain(
            r.fences
                .iter()
                .flat_map(|f| &f.frames[..shown_len(&f.frames)]),
        );
    for f in frames {
        if let (Some(m), Some(why)) = (&f.module, &f.note) {
            if f.function == "??" && !seen.contains(&(m.as_str(), why.as_str())) {
                seen.push((m, why));
            }
        }
    }
    if seen.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(
        out,
        "Frames shown as module+offset are in modules without symbols:"
    )?;
    for (m, why) in seen {
        writeln!(out, "  {m}: {why}")?;
    }
    Ok(())
}

/// memusage's summary, line for line.
pub fn write_memusage(s: &HeapSummary, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "Memory usage summary: heap total: {}, heap peak: {}",
        s.heap_total, s.peak.heap_bytes
    )?;
    let width = s
        .functions
        .iter()
        .map(|f| f.function.len())
        .max()
        .unwrap_or(0)
        .max(7);
    writeln!(
        out,
        "{:width$}total calls   total memory   failed calls",
        "",
        width = width + 2
    )?;
    for f in &s.functions {
        write_row(f, width, out)?;
    }
    writeln!(out, "Histogram for block sizes:")?;
    let h = &s.histogram;
    let maxcalls = h
        .buckets
        .iter()
        .map(|b| b.calls)
        .max()
        .unwrap_or(0)
        .max(h.large);
    let bar = |out: &mut dyn Write, calls: u64| -> io::Result<()> {
        let pct = (u128::from(calls) * 100)
            .checked_div(u128::from(h.calls))
            .unwrap_or(0);
        if pct == 0 {
            write!(out, " <1% ")?;
        } else {
            write!(out, "{pct:3}% ")?;
        }
        let len = (u128::from(calls) * 50)
            .checked_div(u128::from(maxcalls))
            .unwrap_or(0);
        writeln!(out, "{}", "=".repeat(len as usize))
    };
    for b in &h.buckets {
        write!(out, "{:5}-{:<5}{:12} ", b.from, b.to, b.calls)?;
        bar(out, b.calls)?;
    }
    if h.large != 0 {
        write!(out, "   large   {:12} ", h.large)?;
        bar(out, h.large)?;
    }
    Ok(())
}

fn write_row(f: &FunctionRow, width: usize, out: &mut dyn Write) -> io::Result<()> {
    match f.failed {
        Some(failed) => {
            write!(
                out,
                "{:>width$}| {:10}   {:12}   {:12}",
                f.function, f.calls, f.bytes, failed
            )?;
            if let Some(r) = &f.realloc {
                write!(
                    out,
                    "  (nomove:{}, dec:{}, free:{})",
                    r.nomove, r.dec, r.free
                )?;
            }
            writeln!(out)
        }
        None => writeln!(
            out,
            "{:>width$}| {:10}   {:12}",
            f.function, f.calls, f.bytes
        ),
    }
}

fn write_extras(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    for c in &r.crashes {
        writeln!(out)?;
        writeln!(
            out,
            "Crash of process {} (thread {}, signal {}):",
            c.pid, c.tid, c.signal
        )?;
        write!(out, "{}", c.report)?;
        if !c.report.ends_with('\n') {
            writeln!(out)?;
        }
    }
    if !r.fences.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "Heap errors caught by the fence allocator: {}",
            r.fences.len()
        )?;
        for f in &r.fences {
            writeln!(
                out,
                "  {} at {:#x} (block {:#x} of {} bytes), process {} thread {}:",
                f.kind, f.addr, f.block, f.block_size, f.pid, f.tid
            )?;
            write_frames(&f.frames, 0, &[], out)?;
            for (what, frames) in [("allocated", &f.alloc_frames), ("freed", &f.free_frames)] {
                if !frames.is_empty() {
                    writeln!(out, "    the block was {what}:")?;
                    write_frames(frames, 0, &[], out)?;
                }
            }
        }
    }
    if r.syscalls.events != 0 {
        writeln!(out)?;
        writeln!(
            out,
            "System calls: {} events (strace -c):",
            r.syscalls.events
        )?;
        // No table when no call returned.
        if !r.syscalls.summary.is_empty() {
            r.syscalls.summary.write(SortBy::Time, out)?;
        }
    }
    if r.libcalls.events != 0 {
        writeln!(out)?;
        writeln!(
            out,
            "Library calls: {} events (ltrace -c):",
            r.libcalls.events
        )?;
        r.libcalls.summary.write(out)?;
    }
    Ok(())
}
