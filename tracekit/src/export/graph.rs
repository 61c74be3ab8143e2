//! `tracekit report --graph`: the heap over time as valgrind's `ms_print` prints massif's
//! file, so that a reader who knows one reads the other: the 72x20 chart (`#` the peak's
//! column, `@` detailed snapshots, `:` the others; the y axis in B/KB/MB..., the x axis in the
//! time unit: B for bytes allocated and freed, ms/s/h for time), the list of detailed
//! snapshots, the table of snapshots and each detailed snapshot's tree of sites. The chart is
//! drawn from the same snapshots and by the same rules as `ms_print` on our massif export.

use std::io::{self, Write};

use super::massif::{self, Node, THRESHOLD};
use super::{ExportOptions, Writer};
use crate::model::graph::{Graph, Unit};
use crate::model::Report;

/// Columns of the chart.
pub const GRAPH_X: usize = 72;
/// Rows of the chart.
pub const GRAPH_Y: usize = 20;

/// The `--graph` writer.
#[derive(Debug, Clone, Copy)]
pub struct GraphText;

impl Writer for GraphText {
    fn needs_graph(&self) -> bool {
        true
    }

    fn write(&self, report: &Report, _opts: &ExportOptions, out: &mut dyn Write) -> io::Result<()> {
        match &report.graph {
            Some(g) => {
                write(g, out)?;
                let p = report.heap.processes.iter().find(|p| p.pid == g.pid);
                match p.and_then(|p| p.memory.as_ref().map(|m| (m, p.clock_res_ns))) {
                    Some((m, res)) => super::text::write_memory(m, res, out),
                    None => Ok(()),
                }
            }
            None => writeln!(out, "No heap events: no graph."),
        }
    }
}

fn fancy(out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{}", "-".repeat(80))
}

/// Writes `g` as `ms_print` would print its massif file.
pub fn write(g: &Graph, out: &mut dyn Write) -> io::Result<()> {
    fancy(out)?;
    writeln!(out, "Command:            {}", g.command)?;
    let clock = match (g.unit, g.coarse_clock()) {
        (Unit::Ms, true) => format!(
            " (the log's clock ticks every {:.3} ms: times are that coarse)",
            g.clock_res_ns as f64 / 1e6
        ),
        _ => String::new(),
    };
    writeln!(
        out,
        "tracekit:           pid {}, time unit {}{clock}",
        g.pid,
        g.unit.name()
    )?;
    fancy(out)?;
    writeln!(out, "\n")?;
    for line in chart(g) {
        writeln!(out, "{line}")?;
    }
    let peak = g.peak_index();
    writeln!(out)?;
    writeln!(out, "Number of snapshots: {}", g.snapshots.len())?;
    let detailed: Vec<String> = g
        .snapshots
        .iter()
        .enumerate()
        .filter(|(_, s)| s.detailed || s.peak)
        .map(|(i, _)| {
            if Some(i) == peak {
                format!("{i} (peak)")
            } else {
                i.to_string()
            }
        })
        .collect();
    writeln!(out, " Detailed snapshots: [{}]\n", detailed.join(", "))?;
    let header = |out: &mut dyn Write| -> io::Result<()> {
        fancy(out)?;
        writeln!(
            out,
            "{:>3} {:>14} {:>16} {:>16} {:>13} {:>12}",
            "n",
            format!("time({})", g.unit.name()),
            "total(B)",
            "useful-heap(B)",
            "extra-heap(B)",
            "stacks(B)"
        )?;
        fancy(out)
    };
    header(out)?;
    for (i, s) in g.snapshots.iter().enumerate() {
        writeln!(
            out,
            "{:>3} {:>14} {:>16} {:>16} {:>13} {:>12}",
            i,
            commify(g.time_integer(s)),
            commify(s.heap_bytes),
            commify(s.heap_bytes),
            0,
            0
        )?;
        if s.detailed || s.peak {
            print_tree(&massif::tree(g, s), true, "", "", "", s.heap_bytes, out)?;
            if i + 1 < g.snapshots.len() {
                header(out)?;
            }
        }
    }
    Ok(())
}

/// `1234567` as `1,234,567`.
pub fn commify(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// ms_print's `read_heap_tree`: prints a significant node and its children; returns the bytes
/// of an insignificant one (for its parent's `in N+ places` line).
fn print_tree(
    n: &Node<'_>,
    top: bool,
    prefix: &str,
    midfix: &str,
    arrow: &str,
    total: u64,
    out: &mut dyn Write,
) -> io::Result<Option<u64>> {
    let perc = |b: u64| {
        if total == 0 {
            0.0
        } else {
            100.0 * b as f64 / total as f64
        }
    };
    let significant = top || (total != 0 && perc(n.bytes) >= THRESHOLD);
    if significant {
        writeln!(
            out,
            "{prefix}{arrow}{:05.2}% ({}B) {}",
            perc(n.bytes),
            commify(n.bytes),
            n.label.details()
        )?;
    }
    let prefix2 = format!("{prefix}{midfix}");
    let (mut insig, mut insig_bytes) = (0, 0);
    for (i, c) in n.children.iter().enumerate() {
        let mid = if i + 1 == n.children.len() {
            "  "
        } else {
            "| "
        };
        if let Some(b) = print_tree(c, false, &prefix2, mid, "->", total, out)? {
            insig += 1;
            insig_bytes += b;
        }
    }
    if !significant {
        return Ok(Some(n.bytes));
    }
    if insig > 0 {
        writeln!(
            out,
            "{prefix2}->{:05.2}% ({}B) in {insig}+ places, all below ms_print's threshold ({THRESHOLD:05.2}%)",
            perc(insig_bytes),
            commify(insig_bytes)
        )?;
        writeln!(out, "{prefix2}")?;
    }
    if n.children.is_empty() {
        writeln!(out, "{prefix2}")?;
    }
    Ok(None)
}

/// A value as ms_print labels the top of an axis: an integer below 1000, else 5 characters
/// scaled by 1024 (bytes) or to s and h (ms).
fn max_label(v: f64, unit: Unit, bytes: bool) -> (String, &'static str) {
    let (scaled, name) = if bytes || unit == Unit::Bytes {
        let names = ["B", "KB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];
        let (mut s, mut k) = (v, 0);
        while s >= 1000.0 && k + 1 < names.len() {
            s /= 1024.0;
            k += 1;
        }
        (s, names[k])
    } else {
        let mut s = v;
        let mut name = "ms";
        if s >= 1000.0 {
            s /= 1000.0;
            name = "s";
        }
        if s >= 3600.0 {
            s /= 3600.0;
            name = "h";
        }
        (s, name)
    };
    let text = if v < 1000.0 {
        format!("{:5}", v as u64)
    } else if scaled < 10.0 {
        format!("{scaled:5.3}")
    } else if scaled < 100.0 {
        format!("{scaled:5.2}")
    } else {
        format!("{scaled:5.1}")
    };
    (text, name)
}

/// The chart's lines, from the unit line above it to the x axis's labels.
pub fn chart(g: &Graph) -> Vec<String> {
    let mut grid = vec![vec![' '; GRAPH_Y + 1]; GRAPH_X + 1];
    grid[0][0] = '+';
    for col in grid.iter_mut().skip(1) {
        col[0] = '-';
    }
    grid[0][1..].fill('|');
    grid[GRAPH_X][0] = '>';
    grid[0][GRAPH_Y] = '^';
    let peak = g.peak_index();
    let times: Vec<f64> = g.snapshots.iter().map(|s| g.time_shown(s)).collect();
    let mut peak_bytes = g.snapshots.iter().map(|s| s.heap_bytes).max().unwrap_or(0);
    if peak_bytes == 0 {
        peak_bytes = 1;
    }
    let mut end = times.last().copied().unwrap_or(0.0);
    if end == 0.0 {
        end = 1.0;
    }
    let k = peak_bytes as f64 / GRAPH_Y as f64;
    let (mut x, mut prev_y_max, mut prev_char) = (0usize, 0usize, ':');
    for (i, s) in g.snapshots.iter().enumerate() {
        let prev_x = x;
        x = ((times[i] / end) * GRAPH_X as f64) as usize + 1;
        if times[i] >= end || x > GRAPH_X {
            x = GRAPH_X;
        }
        if prev_y_max > 0 {
            for col in grid.iter_mut().take(x).skip(prev_x + 1) {
                col[prev_y_max] = prev_char;
            }
        }
        let c = if Some(i) == peak {
            '#'
        } else if s.detailed {
            '@'
        } else {
            ':'
        };
        let mut y_max = 0;
        for (y, here) in grid[x].iter_mut().enumerate().skip(1) {
            if s.heap_bytes as f64 >= y as f64 * k {
                // Priority: peak > detailed > normal.
                let draw = c == '#'
                    || (c == '@' && *here != '#')
                    || (c == ':' && *here != '#' && *here != '@');
                if draw {
                    *here = c;
                }
                y_max = y;
            }
        }
        prev_y_max = y_max;
        prev_char = c;
    }
    let (y_label, y_unit) = max_label(peak_bytes as f64, g.unit, true);
    let (x_label, x_unit) = max_label(times.last().copied().unwrap_or(0.0), g.unit, false);
    let mut lines = vec![format!("    {y_unit:>2}")];
    for y in (0..=GRAPH_Y).rev() {
        let mut line = if y == GRAPH_Y {
            y_label.clone()
        } else if y == 0 {
            "   0 ".to_owned()
        } else {
            "     ".to_owned()
        };
        line.extend((0..=GRAPH_X).map(|x| grid[x][y]));
        if y == 0 {
            line.push_str(x_unit);
        }
        lines.push(line);
    }
    lines.push(format!("     0{}{:>5}", " ".repeat(GRAPH_X - 5), x_label));
    lines
}
